/* central-monitor-server-listen.c: the address a CentralMonitorServer
 * listens on, the listening socket, and how a peer is named. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "central-monitor-server-private.h"
#include "ev-address.h"

#define LISTEN_BACKLOG 4096

/* The peer as "ADDR:PORT", its address alone in @address, and whether
 * that is a loopback address. */
char *
central_monitor_format_peer (int       fd,
                             char    **address,
                             gboolean *loopback)
{
  struct sockaddr_storage storage = { 0 };
  socklen_t len = sizeof storage;
  char host[INET6_ADDRSTRLEN] = "";

  if (getpeername (fd, (struct sockaddr *) &storage, &len) != 0)
    storage.ss_family = AF_UNSPEC;
  if (storage.ss_family == AF_INET)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) &storage;

      inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
      *address = g_strdup (host);
      *loopback = (ntohl (in->sin_addr.s_addr) >> 24) == 127;
      return g_strdup_printf ("%s:%u", host, ntohs (in->sin_port));
    }
  if (storage.ss_family == AF_INET6)
    {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &storage;

      inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
      *address = g_strdup (host);
      *loopback = IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
      return g_strdup_printf ("[%s]:%u", host, ntohs (in6->sin6_port));
    }

  *address = g_strdup ("?");
  return g_strdup ("?");
}

/**
 * central_monitor_server_check_address:
 * @address: what a user gave as the address to listen on
 * @error: return location for a #GError
 *
 * Checks that @address has the form central_monitor_server_listen()
 * takes (`ADDR:PORT`, `[IPv6]:PORT`), without resolving or binding it.
 *
 * Returns: %TRUE when it has
 */
gboolean
central_monitor_server_check_address (const char  *address,
                                      GError     **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (address != NULL, FALSE);

  return ev_address_split (address, &host, &port, error);
}

GInetAddress *
central_monitor_resolve_host (const char  *host,
                              GError     **error)
{
  g_autoptr(GResolver) resolver = NULL;
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GError) local_error = NULL;
  GInetAddress *address;

  if (*host == '\0')
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);

  address = g_inet_address_new_from_string (host);
  if (address != NULL)
    return address;

  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, host, NULL, &local_error);
  if (addresses == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Could not resolve “%s”: %s"), host, local_error->message);
      return NULL;
    }

  /* Prefer IPv4, which every monitor can reach. */
  for (GList *l = addresses; l != NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      return g_object_ref (l->data);

  return g_object_ref (addresses->data);
}

int
central_monitor_open_listener (GInetAddress  *inet,
                               guint16        port,
                               const char    *address,
                               guint         *bound_port,
                               GError       **error)
{
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (inet, port);
  struct sockaddr_storage native;
  socklen_t len = sizeof native;
  int fd, one = 1, errsv;

  if (!g_socket_address_to_native (socket_address, &native, sizeof native, error))
    return -1;

  fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto failed;

  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &native, g_socket_address_get_native_size (socket_address)) != 0 ||
      listen (fd, LISTEN_BACKLOG) != 0 ||
      getsockname (fd, (struct sockaddr *) &native, &len) != 0)
    goto failed;

  *bound_port = native.ss_family == AF_INET6
    ? ntohs (((struct sockaddr_in6 *) &native)->sin6_port)
    : ntohs (((struct sockaddr_in *) &native)->sin_port);
  return fd;

failed:
  errsv = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not listen on %s: %s"), address, g_strerror (errsv));
  return -1;
}


#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "central-monitor-server-private.h"
#include "ev-address.h"
#include "ev-epoll-source.h"
#include "ev-link-set.h"
#include "ev-tls.h"

#define N_TIMEOUTS (EV_LINK_TIMEOUT_IDLE + 1)
#define AUTH_RECHECK_US (500 * G_TIME_SPAN_MILLISECOND)
#define LINK_EVENTS_PER_WAKEUP 128

/**
 * CentralMonitorServer:
 *
 * Central's end of the monitor links (docs/protocol.md, section 2), built
 * to hold tens of thousands of them on the main context.
 *
 * The sockets, the listening one included, are the conns of one
 * #EvLinkSet: one epoll set behind one #GSource, a timing wheel for the
 * session deadlines, a bounded read per link and wakeup, EPOLLOUT only
 * while a link has output the kernel did not take. Each link carries a
 * server #EvLinkSession; what this file adds is Central's policy: the
 * link limit, the authentication deadline (the link's own timer), the
 * limit on unauthenticated links per address, and the ids the owner
 * knows the links by.
 *
 * When a session closes, its last bytes (an EOT or a NACK) are written
 * once, as far as the kernel takes them, and the socket is closed at
 * once; a peer that stopped reading loses them.
 *
 * Callbacks may close any link, their own included, or the whole server:
 * the link set defers what concerns a link whose callback is running.
 *
 * With TLS (central_monitor_server_set_tls()), each link first runs a
 * GnuTLS handshake driven by the same readiness events (#EvTlsConn), and
 * its session starts, with its ENQ timer, once that is done; the time the
 * handshake takes counts in the authentication deadline. The session
 * then sees the decrypted bytes exactly as it sees a plain link's.
 */

typedef struct _Link Link;

struct _Link
{
  CentralMonitorServer *server;
  guint64 id;
  EvLinkConn *conn;
  EvLinkSession *session;     /* the conn's */
  char *peer_name;            /* the CN of the client's certificate */
  char *peer;
  char *address;              /* the peer without its port */
  GError *reason;
  /* Until the owner says the link authenticated: when it must have, and
   * its place in the queue of its address's unauthenticated links. */
  gint64 auth_deadline;
  GList *unauthenticated;
  gboolean loopback;
  gboolean request_open;      /* we owe the client a response */
  gboolean established;
};

struct _CentralMonitorServer
{
  GObject parent_instance;

  const CentralMonitorServerCallbacks *callbacks;
  gpointer user_data;

  GMainContext *context;
  EvLinkSet *set;
  EvLinkConn *listener;
  guint port;

  guint max_links;
  guint timeouts_ms[N_TIMEOUTS];
  guint auth_timeout_ms;
  guint max_unauthenticated;
  gboolean limit_loopback;
  GHashTable *unauthenticated;  /* address → GQueue of Link, oldest first */
  EvTlsServer *tls;

  guint64 next_id;
  GHashTable *links;
  guint n_established;
  gboolean disposing;
};

G_DEFINE_FINAL_TYPE (CentralMonitorServer, central_monitor_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_LINKS,
  PROP_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------------
 * One link.
 * --------------------------------------------------------------------- */

static void
link_free (Link *link)
{
  g_clear_pointer (&link->peer_name, g_free);
  g_clear_pointer (&link->peer, g_free);
  g_clear_pointer (&link->address, g_free);
  g_clear_error (&link->reason);
  g_free (link);
}

/* Takes @link out of its address's queue of unauthenticated links. */
static void
forget_unauthenticated (CentralMonitorServer *self,
                        Link                 *link)
{
  GQueue *queue;

  link->auth_deadline = -1;
  ev_link_conn_set_timer (link->conn, -1);
  if (link->unauthenticated == NULL)
    return;

  queue = g_hash_table_lookup (self->unauthenticated, link->address);
  g_queue_delete_link (queue, link->unauthenticated);
  link->unauthenticated = NULL;
  if (g_queue_is_empty (queue))
    g_hash_table_remove (self->unauthenticated, link->address);
}

/* The conn is closed: forget the link and tell the owner. */
static void
link_closed_cb (EvLinkConn   *conn,
                const GError *reason,
                gpointer      user_data)
{
  Link *link = user_data;
  CentralMonitorServer *self = link->server;

  forget_unauthenticated (self, link);
  g_hash_table_remove (self->links, &link->id);
  if (link->established)
    self->n_established--;

  /* A TLS failure; otherwise the session said why. */
  if (reason != NULL)
    {
      g_clear_error (&link->reason);
      link->reason = g_error_copy (reason);
    }
  if (link->reason == NULL)
    link->reason = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                                        _("The link was closed"));

  if (!self->disposing && self->callbacks->link_closed != NULL)
    self->callbacks->link_closed (self, link->id, link->reason, self->user_data);
  link_free (link);
}

/* Ends @link with EOT, reporting @message as why (in the
 * %EV_LINK_ERROR_NOT_AUTHENTICATED code). */
static void
link_refuse (Link       *link,
             const char *message)
{
  ev_link_session_close (link->session);
  g_clear_error (&link->reason);
  link->reason = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_NOT_AUTHENTICATED, message);
  ev_link_conn_update (link->conn);
}

/* The authentication deadline. */
static void
link_timer_cb (EvLinkConn *conn,
               gint64      now,
               gpointer    user_data)
{
  Link *link = user_data;
  CentralMonitorServer *self = link->server;
  g_autofree char *message = NULL;

  if (link->auth_deadline < 0)
    return;

  /* An auth or register we have not answered yet is our delay, not the
   * client's: look again in a while. */
  if (link->request_open)
    {
      link->auth_deadline = now + AUTH_RECHECK_US;
      ev_link_conn_set_timer (conn, link->auth_deadline);
      return;
    }

  message = g_strdup_printf (_("The link did not authenticate within %u ms"), self->auth_timeout_ms);
  forget_unauthenticated (self, link);
  link_refuse (link, message);
}

static void
link_opened_cb (EvLinkConn *conn,
                gpointer    user_data)
{
  Link *link = user_data;
  EvTlsConn *tls = ev_link_conn_get_tls (conn);

  if (tls != NULL)
    link->peer_name = ev_tls_conn_get_peer_name (tls);
}

static const EvLinkConnFuncs link_funcs = {
  .opened = link_opened_cb,
  .timer = link_timer_cb,
  .closed = link_closed_cb,
};

static gboolean
session_accept_cb (EvLinkSession *session,
                   gpointer       user_data)
{
  Link *link = user_data;

  return link->server->n_established < link->server->max_links;
}

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  Link *link = user_data;

  link->established = TRUE;
  link->server->n_established++;
}

static void
session_request_cb (EvLinkSession *session,
                    const char    *text,
                    gsize          len,
                    gpointer       user_data)
{
  Link *link = user_data;
  CentralMonitorServer *self = link->server;

  link->request_open = TRUE;
  if (self->callbacks->request != NULL)
    self->callbacks->request (self, link->id, text, len, self->user_data);
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  Link *link = user_data;

  /* The owner is told once the socket is closed, in link_closed_cb(). */
  g_clear_error (&link->reason);
  link->reason = g_error_copy (reason);
}

static const EvLinkSessionCallbacks session_callbacks = {
  .accept = session_accept_cb,
  .established = session_established_cb,
  .request_received = session_request_cb,
  .closed = session_closed_cb,
};

static GQueue *
ensure_queue (CentralMonitorServer *self,
              const char           *address)
{
  GQueue *queue = g_hash_table_lookup (self->unauthenticated, address);

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->unauthenticated, g_strdup (address), queue);
    }
  return queue;
}

/* Counts @link among its address's unauthenticated links; beyond the
 * limit, the oldest of them gives way: a real monitor authenticates in
 * milliseconds, so a flood of idle links cannot keep it out. */
static void
track_unauthenticated (CentralMonitorServer *self,
                       Link                 *link)
{
  GQueue *queue;

  if (self->auth_timeout_ms > 0)
    {
      link->auth_deadline = g_get_monotonic_time () + (gint64) self->auth_timeout_ms * G_TIME_SPAN_MILLISECOND;
      ev_link_conn_set_timer (link->conn, link->auth_deadline);
    }
  /* A fleet on Central's own host opens thousands of links at once. */
  if (self->max_unauthenticated == 0 || (link->loopback && !self->limit_loopback))
    return;

  queue = ensure_queue (self, link->address);
  while (g_queue_get_length (queue) >= self->max_unauthenticated)
    {
      Link *oldest = g_queue_peek_head (queue);
      g_autofree char *message = g_strdup_printf (_("More than %u links from %s have not authenticated"),
                                                  self->max_unauthenticated, link->address);

      g_debug ("Closing link %" G_GUINT64_FORMAT ": %s", oldest->id, message);
      forget_unauthenticated (self, oldest);
      link_refuse (oldest, message);
      /* The last link of the address took the queue with it. */
      queue = ensure_queue (self, link->address);
    }

  g_queue_push_tail (queue, link);
  link->unauthenticated = g_queue_peek_tail_link (queue);
}

/* A connection was accepted: the link set opens it when this returns,
 * after its TLS handshake if any, and starts its session then. */
static void
link_accepted_cb (EvLinkConn *conn,
                  gpointer    user_data)
{
  CentralMonitorServer *self = user_data;
  int fd = ev_link_conn_get_fd (conn);
  Link *link;

  link = g_new0 (Link, 1);
  link->server = self;
  link->id = ++self->next_id;
  link->conn = conn;
  link->auth_deadline = -1;
  link->peer = central_monitor_format_peer (fd, &link->address, &link->loopback);
  link->session = ev_link_session_new (EV_LINK_ROLE_SERVER, &session_callbacks, link);
  for (guint i = 0; i < N_TIMEOUTS; i++)
    ev_link_session_set_timeout (link->session, i, self->timeouts_ms[i]);
  ev_link_conn_set_user_data (conn, &link_funcs, link);
  ev_link_conn_set_session (conn, link->session);
  if (self->tls != NULL)
    ev_link_conn_set_tls (conn, ev_tls_conn_new_server (self->tls, fd));

  g_hash_table_insert (self->links, &link->id, link);
  track_unauthenticated (self, link);

  if (self->callbacks->link_opened != NULL)
    self->callbacks->link_opened (self, link->id, link->peer, self->user_data);
}

static const EvLinkConnFuncs listener_funcs = {
  .accepted = link_accepted_cb,
};

/* ---------------------------------------------------------------------
 * Listening.
 * --------------------------------------------------------------------- */

static gboolean
ensure_set (CentralMonitorServer  *self,
            GError               **error)
{
  if (self->set != NULL)
    return TRUE;

  self->set = ev_link_set_new (error);
  if (self->set == NULL)
    return FALSE;
  /* The core's Kafka consumer shares this thread: each batch of links
   * served holds up the supplies' messages behind it. 512 at a time made
   * the request and progress p99s at 10,000 CPs 1.2–1.4× those of the
   * monitor server before EvLinkSet, which served 256
   * (bench/results/redesign-compare-20261207). */
  ev_link_set_set_max_events (self->set, LINK_EVENTS_PER_WAKEUP);
  ev_link_set_attach (self->set, self->context);
  return TRUE;
}

static void
stop_listening (CentralMonitorServer *self)
{
  if (self->listener == NULL)
    return;

  ev_link_conn_close (g_steal_pointer (&self->listener));
  self->port = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

/* ---------------------------------------------------------------------
 * GObject.
 * --------------------------------------------------------------------- */

static void
close_all_links (CentralMonitorServer *self)
{
  g_autoptr(GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (guint64),
                                             g_hash_table_size (self->links));
  GHashTableIter iter;
  gpointer value;

  /* Callbacks may close other links meanwhile: look each one up again. */
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_array_append_val (ids, ((Link *) value)->id);

  for (guint i = 0; i < ids->len; i++)
    central_monitor_server_close_link (self, g_array_index (ids, guint64, i));
}

static void
central_monitor_server_dispose (GObject *object)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);
  GHashTableIter iter;
  gpointer value;

  self->disposing = TRUE;

  if (self->set != NULL)
    {
      close_all_links (self);
      stop_listening (self);
      /* A link whose callback is running closes when it returns, with
       * the server gone: it no longer reports to it. */
      g_hash_table_iter_init (&iter, self->links);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Link *link = value;

          ev_link_conn_set_user_data (link->conn, NULL, NULL);
          forget_unauthenticated (self, link);
          g_hash_table_iter_remove (&iter);
          link_free (link);
        }
      g_clear_pointer (&self->set, ev_link_set_unref);
    }

  G_OBJECT_CLASS (central_monitor_server_parent_class)->dispose (object);
}

static void
central_monitor_server_finalize (GObject *object)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  g_clear_pointer (&self->unauthenticated, g_hash_table_unref);
  g_clear_pointer (&self->tls, ev_tls_server_unref);
  g_clear_pointer (&self->links, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (central_monitor_server_parent_class)->finalize (object);
}
static void
central_monitor_server_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINKS:
      g_value_set_uint (value, self->max_links);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_monitor_server_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINKS:
      central_monitor_server_set_max_links (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_monitor_server_class_init (CentralMonitorServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = central_monitor_server_dispose;
  object_class->finalize = central_monitor_server_finalize;
  object_class->get_property = central_monitor_server_get_property;
  object_class->set_property = central_monitor_server_set_property;

  /**
   * CentralMonitorServer:max-links:
   *
   * How many established links the server holds; the ENQ of any client
   * beyond them is answered NACK.
   */
  properties[PROP_MAX_LINKS] =
    g_param_spec_uint ("max-links", NULL, NULL,
                       0, G_MAXUINT, CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * CentralMonitorServer:port:
   *
   * The port the server listens on, 0 when it does not listen.
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL,
                       0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
central_monitor_server_init (CentralMonitorServer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->max_links = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS;
  self->timeouts_ms[EV_LINK_TIMEOUT_HANDSHAKE] = EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_ACK] = EV_LINK_DEFAULT_ACK_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_RESPONSE] = EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_IDLE] = EV_LINK_DEFAULT_IDLE_TIMEOUT_MS;
  self->auth_timeout_ms = CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS;
  self->max_unauthenticated = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED;
  self->unauthenticated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) g_queue_free);
  self->links = g_hash_table_new (g_int64_hash, g_int64_equal);
}

/* ---------------------------------------------------------------------
 * Public API.
 * --------------------------------------------------------------------- */

static const CentralMonitorServerCallbacks no_callbacks = { NULL, };

/**
 * central_monitor_server_new:
 * @callbacks: (nullable): what to tell the owner; must outlive the server
 * @user_data: passed to every callback
 *
 * Creates a server that does not listen yet. Its callbacks will run on
 * the thread-default main context of now, and it must be used from that
 * context's thread only.
 *
 * Returns: (transfer full): a new server
 */
CentralMonitorServer *
central_monitor_server_new (const CentralMonitorServerCallbacks *callbacks,
                            gpointer                             user_data)
{
  CentralMonitorServer *self = g_object_new (CENTRAL_TYPE_MONITOR_SERVER, NULL);

  self->callbacks = callbacks != NULL ? callbacks : &no_callbacks;
  self->user_data = user_data;

  return self;
}

/**
 * central_monitor_server_listen:
 * @self: a server
 * @address: "ADDR:PORT": an IPv4 address, "[IPv6]" or a host name, then
 *   the port; port 0 picks any free port (see
 *   central_monitor_server_get_port()), an empty ADDR means every IPv4
 *   interface
 * @error: return location for a #GError
 *
 * Starts accepting monitor links on @address. A host name is resolved
 * synchronously. Also raises the soft limit of open files to the hard
 * limit, since every link is a descriptor.
 *
 * Returns: %TRUE if the server listens
 */
gboolean
central_monitor_server_listen (CentralMonitorServer  *self,
                               const char            *address,
                               GError               **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  guint16 port = 0;
  guint bound_port = 0;
  int fd;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->listener != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("The monitor server already listens on port %u"), self->port);
      return FALSE;
    }

  if (!ev_address_split (address, &host, &port, error))
    return FALSE;
  inet = central_monitor_resolve_host (host, error);
  if (inet == NULL)
    return FALSE;
  if (!ensure_set (self, error))
    return FALSE;

  ev_raise_fd_limit ();

  fd = central_monitor_open_listener (inet, port, address, &bound_port, error);
  if (fd < 0)
    return FALSE;

  self->listener = ev_link_set_listen (self->set, fd, &listener_funcs, self);
  if (self->listener == NULL)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not listen on %s: %s"), address, g_strerror (errsv));
      return FALSE;
    }

  self->port = bound_port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);

  return TRUE;
}

/**
 * central_monitor_server_get_port:
 * @self: a server
 *
 * Returns: the port the server listens on, or 0 if it does not listen
 */
guint
central_monitor_server_get_port (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->port;
}

/**
 * central_monitor_server_get_n_links:
 * @self: a server
 *
 * Returns: how many links are open, counting those still in their
 *   handshake
 */
guint
central_monitor_server_get_n_links (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return g_hash_table_size (self->links);
}

/**
 * central_monitor_server_get_max_links:
 * @self: a server
 *
 * Returns: the #CentralMonitorServer:max-links
 */
guint
central_monitor_server_get_max_links (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->max_links;
}

/**
 * central_monitor_server_set_max_links:
 * @self: a server
 * @max: how many established links to hold at most
 *
 * Beyond @max established links, a new client's ENQ is answered NACK and
 * the connection closed. Links already established stay.
 */
void
central_monitor_server_set_max_links (CentralMonitorServer *self,
                                      guint                 max)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  if (self->max_links == max)
    return;

  self->max_links = max;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LINKS]);
}

/**
 * central_monitor_server_get_timeout:
 * @self: a server
 * @which: a timeout
 *
 * Returns: the timeout new links get, in milliseconds, 0 for none
 */
guint
central_monitor_server_get_timeout (CentralMonitorServer *self,
                                    EvLinkTimeout         which)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);
  g_return_val_if_fail ((guint) which < N_TIMEOUTS, 0);

  return self->timeouts_ms[which];
}

/**
 * central_monitor_server_set_timeout:
 * @self: a server
 * @which: the timeout to set
 * @ms: the timeout in milliseconds, 0 for none
 *
 * Sets a session timeout (see #EvLinkTimeout) for the links accepted from
 * now on; links already open keep theirs.
 */
void
central_monitor_server_set_timeout (CentralMonitorServer *self,
                                    EvLinkTimeout         which,
                                    guint                 ms)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));
  g_return_if_fail ((guint) which < N_TIMEOUTS);

  self->timeouts_ms[which] = ms;
}

/**
 * central_monitor_server_get_auth_timeout:
 * @self: a server
 *
 * Returns: how long a new link has to authenticate, in ms, 0 for ever
 */
guint
central_monitor_server_get_auth_timeout (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->auth_timeout_ms;
}

/**
 * central_monitor_server_set_auth_timeout:
 * @self: a server
 * @ms: the time in milliseconds, 0 for no limit
 *
 * Links accepted from now on are closed @ms after their accept unless the
 * owner calls central_monitor_server_set_authenticated() first, whatever
 * they send meanwhile.
 */
void
central_monitor_server_set_auth_timeout (CentralMonitorServer *self,
                                         guint                 ms)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->auth_timeout_ms = ms;
}

/**
 * central_monitor_server_get_max_unauthenticated:
 * @self: a server
 *
 * Returns: how many unauthenticated links one peer address may hold
 */
guint
central_monitor_server_get_max_unauthenticated (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->max_unauthenticated;
}

/**
 * central_monitor_server_set_max_unauthenticated:
 * @self: a server
 * @max: the limit, 0 for none
 *
 * Limits the links of one peer address that have not authenticated yet:
 * a new link beyond @max closes the oldest of them. Applies to links
 * accepted from now on.
 */
void
central_monitor_server_set_max_unauthenticated (CentralMonitorServer *self,
                                                guint                 max)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->max_unauthenticated = max;
}

static Link *
lookup_link (CentralMonitorServer  *self,
             guint64                link_id,
             GError               **error)
{
  Link *link = g_hash_table_lookup (self->links, &link_id);

  if (link == NULL)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, link_id);

      g_set_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                   _("No open monitor link has the id %s"), id);
    }

  return link;
}

/**
 * central_monitor_server_set_limit_loopback:
 * @self: a server
 * @limit: whether loopback peers count
 *
 * Links from a loopback address (a fleet simulator on this host) are not
 * limited by #central_monitor_server_set_max_unauthenticated() unless
 * @limit is %TRUE. Applies to links accepted from now on.
 */
void
central_monitor_server_set_limit_loopback (CentralMonitorServer *self,
                                           gboolean              limit)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->limit_loopback = !!limit;
}

/**
 * central_monitor_server_set_authenticated:
 * @self: a server
 * @link_id: an open link
 *
 * Tells the server that @link_id authenticated: its authentication
 * deadline no longer applies, and it no longer counts among its
 * address's unauthenticated links. Unknown links are ignored.
 */
void
central_monitor_server_set_authenticated (CentralMonitorServer *self,
                                          guint64               link_id)
{
  Link *link;

  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  link = lookup_link (self, link_id, NULL);
  if (link == NULL || link->auth_deadline < 0)
    return;

  forget_unauthenticated (self, link);
}

/**
 * central_monitor_server_set_tls:
 * @self: a server
 * @tls: (nullable): the server's certificate and key; %NULL for plain TCP
 *
 * Links accepted from now on speak TLS with @tls (docs/protocol.md,
 * section 2): a client that speaks the plain protocol gets a TLS alert
 * and is closed, and a failed handshake closes the link with an
 * %EV_TLS_ERROR as its reason.
 */
void
central_monitor_server_set_tls (CentralMonitorServer *self,
                                EvTlsServer          *tls)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  g_clear_pointer (&self->tls, ev_tls_server_unref);
  if (tls != NULL)
    self->tls = ev_tls_server_ref (tls);
}

/**
 * central_monitor_server_get_tls:
 * @self: a server
 *
 * Returns: (transfer none) (nullable): the TLS credentials new links use
 */
EvTlsServer *
central_monitor_server_get_tls (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  return self->tls;
}

/**
 * central_monitor_server_get_peer_name:
 * @self: a server
 * @link_id: an open link
 *
 * Returns: (nullable): the common name of the client certificate @link_id
 *   presented, %NULL without one
 */
const char *
central_monitor_server_get_peer_name (CentralMonitorServer *self,
                                      guint64               link_id)
{
  Link *link;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  link = lookup_link (self, link_id, NULL);
  return link != NULL ? link->peer_name : NULL;
}

/**
 * central_monitor_server_get_peer:
 * @self: a server
 * @link_id: an open link
 *
 * Returns: (nullable): the peer of @link_id as "ADDR:PORT", or %NULL if
 *   no such link is open
 */
const char *
central_monitor_server_get_peer (CentralMonitorServer *self,
                                 guint64               link_id)
{
  Link *link;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  link = lookup_link (self, link_id, NULL);
  return link != NULL ? link->peer : NULL;
}

/**
 * central_monitor_server_respond:
 * @self: a server
 * @link_id: the link whose request is answered
 * @text: the response, one JSON object
 * @len: the length of @text, or -1 if it is NUL-terminated
 * @error: return location for a #GError
 *
 * Answers the open request of @link_id, now or any time after
 * #CentralMonitorServerCallbacks.request reported it.
 *
 * Returns: %TRUE if the response was queued; %FALSE with @error set if
 *   the link is unknown or closed, has no open request
 *   (%EV_LINK_ERROR_NO_REQUEST), or @text cannot be framed
 */
gboolean
central_monitor_server_respond (CentralMonitorServer  *self,
                                guint64                link_id,
                                const char            *text,
                                gssize                 len,
                                GError               **error)
{
  g_autofree char *copy = NULL;
  Link *link;
  gboolean ok;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  link = lookup_link (self, link_id, error);
  if (link == NULL)
    return FALSE;

  if (len >= 0)
    text = copy = g_strndup (text, len);

  ok = ev_link_session_respond (link->session, text, g_get_monotonic_time (), error);
  if (ok)
    link->request_open = FALSE;
  ev_link_conn_update (link->conn);

  return ok;
}

/**
 * central_monitor_server_close_link:
 * @self: a server
 * @link_id: a link
 *
 * Ends the session of @link_id with EOT and closes it;
 * #CentralMonitorServerCallbacks.link_closed reports it with
 * %EV_LINK_ERROR_CLOSED, from this call unless the link is the one whose
 * callback is running, in which case it follows when that callback
 * returns. Unknown or closed links are ignored.
 */
void
central_monitor_server_close_link (CentralMonitorServer *self,
                                   guint64               link_id)
{
  Link *link;

  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  link = lookup_link (self, link_id, NULL);
  if (link == NULL)
    return;

  ev_link_session_close (link->session);
  ev_link_conn_update (link->conn);
}

/**
 * central_monitor_server_close:
 * @self: a server
 *
 * Stops listening and closes every link as central_monitor_server_close_link()
 * does. The server may listen again afterwards.
 */
void
central_monitor_server_close (CentralMonitorServer *self)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  g_object_ref (self);
  stop_listening (self);
  close_all_links (self);
  g_object_unref (self);
}

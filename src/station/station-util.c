#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "station-util.h"
#include "ev-file.h"
#include "ev-protocol.h"

/* A token is one short line; anything this long is not one. */
#define TOKEN_MAX_SIZE 4096

/**
 * station_parse_address:
 * @host_and_port: "ADDR:PORT", with a numeric address or "localhost"
 *   ("[::1]:PORT" for IPv6)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the socket address to listen on
 */
GSocketAddress *
station_parse_address (const char  *host_and_port,
                       GError     **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *host;

  /* A port is required: an engine without one would listen at random. */
  if (host_and_port == NULL || strrchr (host_and_port, ':') == NULL)
    goto bad_address;
  parsed = g_network_address_parse (host_and_port, 0, NULL);
  if (parsed == NULL)
    goto bad_address;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed));

  if (g_str_equal (host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    goto bad_address;

  return g_inet_socket_address_new (inet, g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));

bad_address:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an address and port such as 127.0.0.1:7100"),
               host_and_port != NULL ? host_and_port : "");
  return NULL;
}

/**
 * station_token_load:
 * @token_dir: where a monitor keeps its tokens
 * @cp_id: a CP id
 *
 * Returns: (transfer full) (nullable): the token Central gave @cp_id, or
 *   %NULL when there is none
 */
char *
station_token_load (const char *token_dir,
                    const char *cp_id)
{
  g_autofree char *path = g_build_filename (token_dir, cp_id, NULL);
  g_autofree char *contents = NULL;

  if (!ev_file_read_bounded (path, TOKEN_MAX_SIZE, &contents, NULL, NULL))
    return NULL;
  g_strstrip (contents);
  return *contents != '\0' ? g_steal_pointer (&contents) : NULL;
}

/**
 * station_token_save:
 * @token_dir: where a monitor keeps its tokens (created if needed)
 * @cp_id: a CP id
 * @token: the token Central gave it
 * @error: return location for a #GError
 *
 * Keeps @token for @cp_id. The token is a secret: only its owner may read
 * it (mode 0600, in a folder of mode 0700).
 *
 * Returns: %TRUE on success
 */
gboolean
station_token_save (const char  *token_dir,
                    const char  *cp_id,
                    const char  *token,
                    GError     **error)
{
  g_autofree char *path = g_build_filename (token_dir, cp_id, NULL);

  if (g_mkdir_with_parents (token_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), token_dir, g_strerror (saved_errno));
      return FALSE;
    }

  return g_file_set_contents_full (path, token, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Where the nonce of @cp_id is kept: `+` is not in the id alphabet, so
 * no CP's token file has this name. */
static char *
nonce_path (const char *token_dir,
            const char *cp_id)
{
  g_autofree char *name = g_strconcat (cp_id, "+nonce", NULL);

  return g_build_filename (token_dir, name, NULL);
}

/**
 * station_nonce_ensure:
 * @token_dir: where a monitor keeps its tokens (created if needed)
 * @cp_id: a CP id
 *
 * The registration nonce of @cp_id: the one kept from an earlier
 * registration that got no answer, or a new one, kept at once, so that a
 * monitor restarted before it had its token repeats it.
 *
 * Returns: (transfer full) (nullable): the nonce, or %NULL if no random
 *   bytes were to be had
 */
char *
station_nonce_ensure (const char *token_dir,
                      const char *cp_id)
{
  g_autofree char *path = nonce_path (token_dir, cp_id);
  g_autofree char *nonce = NULL;
  g_autoptr(GError) error = NULL;

  if (ev_file_read_bounded (path, TOKEN_MAX_SIZE, &nonce, NULL, NULL) &&
      ev_protocol_validate_nonce (g_strstrip (nonce), NULL, NULL))
    return g_steal_pointer (&nonce);

  g_clear_pointer (&nonce, g_free);
  nonce = ev_protocol_new_nonce (&error);
  if (nonce == NULL)
    {
      g_warning ("No registration nonce for %s: %s", cp_id, error->message);
      return NULL;
    }
  if (g_mkdir_with_parents (token_dir, 0700) != 0 ||
      !g_file_set_contents_full (path, nonce, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_message ("Could not keep the registration nonce of %s: %s", cp_id,
               error != NULL ? error->message : g_strerror (errno));
  return g_steal_pointer (&nonce);
}

/**
 * station_nonce_forget:
 * @token_dir: where a monitor keeps its tokens
 * @cp_id: a CP id
 *
 * Drops the registration nonce of @cp_id once it has its token.
 */
void
station_nonce_forget (const char *token_dir,
                      const char *cp_id)
{
  g_autofree char *path = nonce_path (token_dir, cp_id);

  g_unlink (path);
}

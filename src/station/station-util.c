#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "station-util.h"
#include "ev-address.h"
#include "ev-file.h"
#include "ev-protocol.h"

/* A token is one short line; anything this long is not one. */
#define TOKEN_MAX_SIZE 4096
/* 256 random bits, in hex; a secret file holds at least 128. */
#define PAIRING_SECRET_BYTES 32
#define PAIRING_SECRET_MIN_LENGTH 32

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
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (host_and_port == NULL || !ev_address_split (host_and_port, &host, &port, NULL))
    goto bad_address;
  if (g_str_equal (host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    goto bad_address;

  return g_inet_socket_address_new (inet, port);

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

/**
 * station_pairing_default_path:
 *
 * Where an engine and a monitor of the same user on one machine find
 * their pairing secret when none is given:
 * `$XDG_STATE_HOME/evcharging/engines/pairing.secret`.
 *
 * Returns: (transfer full): the path
 */
char *
station_pairing_default_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "engines", "pairing.secret", NULL);
}

static char *
read_pairing_secret (const char  *path,
                     GError     **error)
{
  g_autofree char *secret = NULL;
  g_autoptr(GError) read_error = NULL;
  GStatBuf st;

  if (!ev_file_read_bounded (path, TOKEN_MAX_SIZE, &secret, NULL, &read_error))
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      return NULL;
    }
  g_strstrip (secret);
  /* A secret others can read pairs them too. */
  if (g_stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("The pairing secret %s can be read by other users; make it private (chmod 600)"), path);
      return NULL;
    }
  if (g_utf8_strlen (secret, -1) < PAIRING_SECRET_MIN_LENGTH ||
      !ev_protocol_validate_token (secret, "secret", NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s does not hold a pairing secret (at least %d printable characters)"),
                   path, PAIRING_SECRET_MIN_LENGTH);
      return NULL;
    }
  return g_steal_pointer (&secret);
}

/**
 * station_pairing_secret_ensure:
 * @path: the pairing secret's file
 * @error: return location for a #GError
 *
 * The pairing secret kept in @path (one line, mode 0600), made and kept
 * there first if the file does not exist. An engine and its monitor
 * started at once may both make one: the file is linked into place only
 * if it is still absent, so both end up with the same.
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL with @error
 */
char *
station_pairing_secret_ensure (const char  *path,
                               GError     **error)
{
  g_autoptr(GError) read_error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *line = NULL;
  int fd;
  int saved_errno;
  gboolean written;

  g_return_val_if_fail (path != NULL, NULL);

  secret = read_pairing_secret (path, &read_error);
  if (secret != NULL || !g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      if (read_error != NULL)
        g_propagate_error (error, g_steal_pointer (&read_error));
      return g_steal_pointer (&secret);
    }

  secret = ev_protocol_random_hex (PAIRING_SECRET_BYTES, error);
  if (secret == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), dir, g_strerror (saved_errno));
      return NULL;
    }

  tmp = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write the pairing secret %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  line = g_strconcat (secret, "\n", NULL);
  written = write (fd, line, strlen (line)) == (gssize) strlen (line) && fsync (fd) == 0;
  saved_errno = errno;
  close (fd);
  if (written && link (tmp, path) != 0)
    {
      saved_errno = errno;
      written = saved_errno == EEXIST;
    }
  g_unlink (tmp);
  if (!written)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not write the pairing secret %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  /* Ours, or the one that got there first. */
  return read_pairing_secret (path, error);
}

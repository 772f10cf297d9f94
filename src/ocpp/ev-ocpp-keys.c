/* ev-ocpp-keys.c: the charger keys of OCPP security profile 2, as both
 * ends keep them: a key file of `CP_ID KEY` lines (Central's
 * --ocpp-keys, the fleet's --ocpp-keys), and the HTTP Basic credentials
 * a charger presents with them (docs/ocpp.md, "Security profile 2"). */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ev-ocpp-keys.h"
#include "ev-protocol.h"

/**
 * ev_ocpp_validate_key:
 * @key: (nullable): a candidate AuthorizationKey
 * @error: return location for an error
 *
 * Checks that @key has 16 to 40 bytes, each a printable ASCII character
 * other than the space.
 *
 * Returns: %TRUE if @key is valid
 */
gboolean
ev_ocpp_validate_key (const char  *key,
                      GError     **error)
{
  gsize length = key != NULL ? strlen (key) : 0;

  if (length < EV_OCPP_KEY_MIN || length > EV_OCPP_KEY_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("An OCPP key has %d to %d characters, not %zu"),
                   EV_OCPP_KEY_MIN, EV_OCPP_KEY_MAX, length);
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    if (key[i] <= ' ' || key[i] > '~')
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("An OCPP key is printable ASCII without spaces"));
        return FALSE;
      }
  return TRUE;
}

/**
 * ev_ocpp_keys_parse:
 * @text: a key file's text: one `CP_ID KEY` a line (blanks between), empty
 *   lines and lines starting with `#` ignored
 * @where: what @text is, for the errors (a file name)
 * @error: return location for an error
 *
 * An error names the line, never the key on it.
 *
 * Returns: (transfer full) (nullable): CP id → key (strings)
 */
GHashTable *
ev_ocpp_keys_parse (const char  *text,
                    const char  *where,
                    GError     **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) problem = NULL;
      g_auto(GStrv) fields = NULL;
      char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      fields = g_strsplit_set (line, " \t", -1);
      /* Several blanks between the two make empty fields. */
      {
        guint kept = 0;

        for (guint j = 0; fields[j] != NULL; j++)
          if (*fields[j] != '\0')
            fields[kept++] = fields[j];
          else
            g_free (fields[j]);
        fields[kept] = NULL;
      }
      if (g_strv_length (fields) != 2)
        g_set_error_literal (&problem, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("not “CP_ID KEY”"));
      else if (ev_protocol_validate_cp_id (fields[0], "CP_ID", &problem) &&
               ev_ocpp_validate_key (fields[1], &problem) &&
               g_hash_table_contains (keys, fields[0]))
        g_set_error (&problem, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     _("a second key for %s"), fields[0]);
      if (problem != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("%s, line %u: %s"), where, i + 1, problem->message);
          return NULL;
        }
      g_hash_table_insert (keys, g_strdup (fields[0]), g_strdup (fields[1]));
    }
  return g_steal_pointer (&keys);
}

/**
 * ev_ocpp_keys_load:
 * @path: a key file (see ev_ocpp_keys_parse())
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): CP id → key (strings)
 */
GHashTable *
ev_ocpp_keys_load (const char  *path,
                   GError     **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  return ev_ocpp_keys_parse (text, path, error);
}

/**
 * ev_ocpp_basic_auth_encode:
 * @user: the user name (a CP id: no colon)
 * @password: the password
 *
 * Returns: (transfer full): the value of an `Authorization` header for
 *   HTTP Basic auth (RFC 7617)
 */
char *
ev_ocpp_basic_auth_encode (const char *user,
                           const char *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

  memset (pair, 0, strlen (pair));
  return g_strconcat ("Basic ", encoded, NULL);
}

/**
 * ev_ocpp_basic_auth_decode:
 * @header: (nullable): an `Authorization` header's value
 * @user: (out): the user name
 * @password: (out): the password
 *
 * Returns: %TRUE if @header holds Basic credentials: base64 of `USER:PASSWORD`,
 *   valid UTF-8 without NUL bytes
 */
gboolean
ev_ocpp_basic_auth_decode (const char  *header,
                           char       **user,
                           char       **password)
{
  g_autofree guchar *decoded = NULL;
  const char *encoded, *colon;
  gsize length;

  *user = *password = NULL;
  if (header == NULL || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return FALSE;
  for (encoded = header + 6; *encoded == ' '; encoded++)
    ;
  if (*encoded == '\0' || strlen (encoded) > 4 * 256)
    return FALSE;
  for (const char *c = encoded; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '+' && *c != '/' && *c != '=')
      return FALSE;
  decoded = g_base64_decode (encoded, &length);
  if (decoded == NULL || memchr (decoded, '\0', length) != NULL ||
      !g_utf8_validate ((const char *) decoded, length, NULL) ||
      (colon = memchr (decoded, ':', length)) == NULL)
    return FALSE;
  *user = g_strndup ((const char *) decoded, colon - (const char *) decoded);
  *password = g_strndup (colon + 1, length - (colon + 1 - (const char *) decoded));
  memset (decoded, 0, length);
  return TRUE;
}

/* ev-address.c: the one reading of an `ADDR:PORT` that a person gives
 * on a command line or in a preference. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ev-address.h"

/**
 * ev_address_split:
 * @address: `HOST:PORT`, or `[IPv6]:PORT`; the host may be empty
 * @out_host: (out) (transfer full): the host, without brackets
 * @out_port: (out): the port, 0 to 65535
 * @error: return location for a #GError (%G_IO_ERROR_INVALID_ARGUMENT,
 *   whose message names @address and shows the form it should have)
 *
 * Splits @address without resolving it. A bare IPv6 address needs its
 * brackets, to be told from its port.
 *
 * Returns: %TRUE when @address has that form
 */
gboolean
ev_address_split (const char  *address,
                  char       **out_host,
                  guint16     *out_port,
                  GError     **error)
{
  const char *colon;
  g_autofree char *host = NULL;
  guint64 port = 0;

  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (out_host != NULL && out_port != NULL, FALSE);

  if (address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end == NULL || end[1] != ':')
        goto bad_address;
      host = g_strndup (address + 1, end - address - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (address, ':');
      if (colon == NULL)
        goto bad_address;
      host = g_strndup (address, colon - address);
      if (strchr (host, ':') != NULL)
        goto bad_address;
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT16, &port, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” has no valid port number (0 to 65535)"), address);
      return FALSE;
    }

  *out_host = g_steal_pointer (&host);
  *out_port = (guint16) port;
  return TRUE;

bad_address:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an address and port such as 127.0.0.1:7000 or [::1]:7000"),
               address);
  return FALSE;
}

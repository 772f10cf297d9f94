#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/random.h>

#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "ev-protocol.h"

G_DEFINE_QUARK (ev-protocol-error-quark, ev_protocol_error)

static gboolean
set_missing (const char  *field,
             GError     **error)
{
  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_MISSING_FIELD,
               _("Field “%s” is missing"), field);
  return FALSE;
}

static gboolean
is_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

/**
 * ev_protocol_is_valid_id:
 * @id: (nullable): a candidate CP id or driver id
 *
 * Checks the identifier alphabet of the protocol: 1 to 32 characters of
 * `A-Z a-z 0-9 . _ -`. The station form of a driver id is not accepted
 * here; see ev_protocol_validate_driver_id().
 *
 * Returns: %TRUE if @id is a valid identifier
 */
gboolean
ev_protocol_is_valid_id (const char *id)
{
  return ev_protocol_validate_cp_id (id, NULL, NULL);
}

/**
 * ev_protocol_is_station_driver_id:
 * @driver_id: (nullable): a driver id
 *
 * Returns: %TRUE if @driver_id is `station:` followed by a valid CP id
 */
gboolean
ev_protocol_is_station_driver_id (const char *driver_id)
{
  return driver_id != NULL &&
         g_str_has_prefix (driver_id, EV_PROTOCOL_STATION_DRIVER_PREFIX) &&
         ev_protocol_is_valid_id (driver_id + strlen (EV_PROTOCOL_STATION_DRIVER_PREFIX));
}

/**
 * ev_protocol_make_station_driver_id:
 * @cp_id: a valid CP id
 *
 * Returns: (transfer full): the driver id `station:<cp_id>` used for a
 *   supply requested at the station itself
 */
char *
ev_protocol_make_station_driver_id (const char *cp_id)
{
  g_return_val_if_fail (ev_protocol_is_valid_id (cp_id), NULL);

  return g_strconcat (EV_PROTOCOL_STATION_DRIVER_PREFIX, cp_id, NULL);
}

/**
 * ev_protocol_validate_cp_id:
 * @cp_id: (nullable): a candidate CP id
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `cp_id`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @cp_id has 1 to 32 characters of `A-Z a-z 0-9 . _ -`.
 *
 * Returns: %TRUE if @cp_id is valid
 */
gboolean
ev_protocol_validate_cp_id (const char  *cp_id,
                            const char  *field,
                            GError     **error)
{
  size_t len;

  if (field == NULL)
    field = "cp_id";
  if (cp_id == NULL)
    return set_missing (field, error);

  len = strlen (cp_id);
  if (len == 0)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                   _("Field “%s” is empty"), field);
      return FALSE;
    }
  if (len > EV_PROTOCOL_ID_MAX_LENGTH)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                   _("Field “%s” is longer than %d characters"),
                   field, EV_PROTOCOL_ID_MAX_LENGTH);
      return FALSE;
    }
  for (size_t i = 0; i < len; i++)
    {
      if (!is_id_char (cp_id[i]))
        {
          g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                       _("Field “%s” may only contain A–Z, a–z, 0–9, “.”, “_” and “-”"),
                       field);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * ev_protocol_validate_driver_id:
 * @driver_id: (nullable): a candidate driver id
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `driver_id`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks a driver id: either an identifier like a CP id, or the station
 * form `station:<cp_id>`.
 *
 * Returns: %TRUE if @driver_id is valid
 */
gboolean
ev_protocol_validate_driver_id (const char  *driver_id,
                                const char  *field,
                                GError     **error)
{
  if (field == NULL)
    field = "driver_id";

  /* The contract names "station:<cp_id>" as the driver id of a supply
   * requested at the station, although ':' is outside the identifier
   * alphabet. Exactly that prefix followed by a valid CP id is accepted,
   * and nothing else with a colon (see docs/protocol.md). */
  if (driver_id != NULL &&
      g_str_has_prefix (driver_id, EV_PROTOCOL_STATION_DRIVER_PREFIX))
    return ev_protocol_validate_cp_id (driver_id + strlen (EV_PROTOCOL_STATION_DRIVER_PREFIX),
                                       field, error);

  return ev_protocol_validate_cp_id (driver_id, field, error);
}

/**
 * ev_protocol_validate_uuid:
 * @uuid: (nullable): a candidate RFC 4122 UUID string
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `id`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Returns: %TRUE if @uuid is a UUID string
 */
gboolean
ev_protocol_validate_uuid (const char  *uuid,
                           const char  *field,
                           GError     **error)
{
  if (field == NULL)
    field = "id";
  if (uuid == NULL)
    return set_missing (field, error);

  if (!g_uuid_string_is_valid (uuid))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                   _("Field “%s” is not a UUID"), field);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_protocol_validate_text:
 * @text: (nullable): a candidate text field
 * @field: the field name for the error message
 * @max_chars: how many characters it may have at most
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @text is 1 to @max_chars characters of UTF-8 without
 * control characters, and not only blanks: the rule of every free-text
 * field (a location, a token, a reason).
 *
 * Returns: %TRUE if @text is valid
 */
gboolean
ev_protocol_validate_text (const char  *text,
                           const char  *field,
                           long         max_chars,
                           GError     **error)
{
  gboolean blank = TRUE;

  if (text == NULL)
    return set_missing (field, error);

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is not valid UTF-8"), field);
      return FALSE;
    }
  if (g_utf8_strlen (text, -1) > max_chars)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is longer than %d characters"),
                   field, (int) max_chars);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        {
          g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                       _("Field “%s” contains a control character"), field);
          return FALSE;
        }
      if (!g_unichar_isspace (c))
        blank = FALSE;
    }
  if (blank)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is empty"), field);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_protocol_validate_location:
 * @location: (nullable): a candidate location
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `location`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @location is 1 to 200 characters of UTF-8 without control
 * characters, and not only blanks.
 *
 * Returns: %TRUE if @location is valid
 */
gboolean
ev_protocol_validate_location (const char  *location,
                               const char  *field,
                               GError     **error)
{
  return ev_protocol_validate_text (location, field != NULL ? field : "location",
                                    EV_PROTOCOL_LOCATION_MAX_LENGTH, error);
}

/**
 * ev_protocol_validate_token:
 * @token: (nullable): a candidate registration token
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `token`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @token is 1 to 256 characters without control characters.
 * Its meaning is Central's business; this only keeps garbage out.
 *
 * Returns: %TRUE if @token is acceptable
 */
gboolean
ev_protocol_validate_token (const char  *token,
                            const char  *field,
                            GError     **error)
{
  return ev_protocol_validate_text (token, field != NULL ? field : "token",
                                    EV_PROTOCOL_TOKEN_MAX_LENGTH, error);
}

/**
 * ev_protocol_validate_nonce:
 * @nonce: (nullable): a candidate registration nonce
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `nonce`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @nonce is 16 to 256 characters without control characters:
 * whoever knows a CP's nonce may repeat its registration, so it must not
 * be short enough to guess.
 *
 * Returns: %TRUE if @nonce is acceptable
 */
gboolean
ev_protocol_validate_nonce (const char  *nonce,
                            const char  *field,
                            GError     **error)
{
  field = field != NULL ? field : "nonce";
  if (!ev_protocol_validate_text (nonce, field, EV_PROTOCOL_TOKEN_MAX_LENGTH, error))
    return FALSE;
  if (g_utf8_strlen (nonce, -1) < EV_PROTOCOL_NONCE_MIN_LENGTH)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is shorter than %d characters"),
                   field, EV_PROTOCOL_NONCE_MIN_LENGTH);
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_protocol_validate_cp_key:
 * @key: (nullable): a candidate charging-point key
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `key`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @key is 32 bytes in canonical standard base64 with padding
 * (44 characters): the key Central issues a CP to sign its messages with
 * (docs/protocol.md, “Charging-point keys”).
 *
 * Returns: %TRUE if @key is acceptable
 */
gboolean
ev_protocol_validate_cp_key (const char  *key,
                             const char  *field,
                             GError     **error)
{
  g_autofree guchar *raw = NULL;
  g_autofree char *again = NULL;
  gsize raw_len = 0;

  field = field != NULL ? field : "key";
  if (key == NULL || strlen (key) != 44 || strspn (key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != 43 ||
      key[43] != '=')
    goto bad;
  raw = g_base64_decode (key, &raw_len);
  again = raw_len == 32 ? g_base64_encode (raw, raw_len) : NULL;
  if (again != NULL && strcmp (again, key) == 0)
    return TRUE;

bad:
  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
               _("Field “%s” is not a key of 32 bytes in base64"), field);
  return FALSE;
}

/**
 * ev_protocol_validate_number:
 * @value: a candidate figure
 * @field: the field name for the error message
 * @max: the largest value allowed (%G_MAXDOUBLE: no bound)
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Checks that @value is finite, not negative and at most @max: the rule
 * of every price, energy and amount.
 *
 * Returns: %TRUE if @value is valid
 */
gboolean
ev_protocol_validate_number (double       value,
                             const char  *field,
                             double       max,
                             GError     **error)
{
  if (!isfinite (value))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is not a finite number"), field);
      return FALSE;
    }
  if (value < 0)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is negative"), field);
      return FALSE;
    }
  if (value > max)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is larger than %g"), field, max);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_protocol_validate_price:
 * @price: a price in EUR/kWh
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `price`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Returns: %TRUE if @price is finite, not negative and at most
 *   %EV_PROTOCOL_PRICE_MAX
 */
gboolean
ev_protocol_validate_price (double       price,
                            const char  *field,
                            GError     **error)
{
  return ev_protocol_validate_number (price, field != NULL ? field : "price",
                                      EV_PROTOCOL_PRICE_MAX, error);
}

/**
 * ev_protocol_validate_kwh:
 * @kwh: an energy in kWh
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `kwh`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Returns: %TRUE if @kwh is finite, not negative and at most
 *   %EV_PROTOCOL_KWH_MAX
 */
gboolean
ev_protocol_validate_kwh (double       kwh,
                          const char  *field,
                          GError     **error)
{
  return ev_protocol_validate_number (kwh, field != NULL ? field : "kwh",
                                      EV_PROTOCOL_KWH_MAX, error);
}

/**
 * ev_protocol_validate_amount:
 * @amount: an amount in EUR
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `amount`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Returns: %TRUE if @amount is finite, not negative and at most
 *   %EV_PROTOCOL_AMOUNT_MAX
 */
gboolean
ev_protocol_validate_amount (double       amount,
                             const char  *field,
                             GError     **error)
{
  return ev_protocol_validate_number (amount, field != NULL ? field : "amount",
                                      EV_PROTOCOL_AMOUNT_MAX, error);
}

/**
 * ev_protocol_validate_timestamp:
 * @ts: milliseconds since the Unix epoch
 * @field: (nullable): the field name for the error message, or %NULL for
 *   `ts`
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Returns: %TRUE if @ts is after the epoch and before the year 10000
 */
gboolean
ev_protocol_validate_timestamp (gint64       ts,
                                const char  *field,
                                GError     **error)
{
  if (field == NULL)
    field = "ts";

  if (ts <= 0 || ts > EV_PROTOCOL_TIMESTAMP_MAX)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is not a time in milliseconds between 1970 and 9999"),
                   field);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_protocol_new_uuid:
 *
 * Returns: (transfer full): a new random RFC 4122 UUID string
 */
char *
ev_protocol_new_uuid (void)
{
  return g_uuid_string_random ();
}

/**
 * ev_protocol_now_ms:
 *
 * Returns: the wall-clock time in milliseconds since the Unix epoch, as
 *   used by `ts`, `expires`, `started_at` and `ended_at`
 */
gint64
ev_protocol_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/**
 * ev_protocol_random_hex:
 * @n_bytes: how many random bytes, at most 64
 * @error: return location for an error in %G_IO_ERROR
 *
 * Returns: (transfer full) (nullable): @n_bytes from the kernel's
 *   cryptographic generator as lowercase hex, or %NULL with @error set
 */
char *
ev_protocol_random_hex (gsize    n_bytes,
                        GError **error)
{
  guint8 bytes[64];
  gsize filled = 0;
  GString *hex;

  g_return_val_if_fail (n_bytes <= sizeof bytes, NULL);

  while (filled < n_bytes)
    {
      ssize_t got = getrandom (bytes + filled, n_bytes - filled, 0);

      if (got < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not generate a random token: %s"),
                       g_strerror (saved_errno));
          return NULL;
        }
      filled += (gsize) got;
    }

  hex = g_string_sized_new (n_bytes * 2);
  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  explicit_bzero (bytes, sizeof bytes);

  return g_string_free (hex, FALSE);
}

/**
 * ev_protocol_new_nonce:
 * @error: return location for an error in %G_IO_ERROR
 *
 * Returns: (transfer full) (nullable): a new registration nonce, 128
 *   random bits in hex, or %NULL with @error set
 */
char *
ev_protocol_new_nonce (GError **error)
{
  return ev_protocol_random_hex (EV_PROTOCOL_NONCE_BYTES, error);
}

/* ev-store-checks.c: what the store checks of every value before it is
 * written, and the errors it answers with. */

#include "config.h"

#include "ev-store-private.h"

/* Input checks. Everything is checked before anything is written, so bad
 * input never disturbs a batch. */

static gboolean
id_is_valid (const char *id)
{
  size_t len;

  if (id == NULL)
    return FALSE;

  len = strlen (id);
  if (len < 1 || len > 32)
    return FALSE;

  for (size_t i = 0; i < len; i++)
    {
      if (!g_ascii_isalnum (id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
        return FALSE;
    }

  return TRUE;
}

gboolean
store_check_cp_id (const char  *cp_id,
                   GError     **error)
{
  if (id_is_valid (cp_id))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid charging point id “%s”: use 1 to 32 letters, digits, “.”, “_” or “-”"),
               cp_id != NULL && g_utf8_validate (cp_id, -1, NULL) ? cp_id : "");
  return FALSE;
}

gboolean
store_check_driver_id (const char  *driver_id,
                       GError     **error)
{
  /* Supplies requested at the station itself run under "station:<cp_id>". */
  if (id_is_valid (driver_id) ||
      (driver_id != NULL && g_str_has_prefix (driver_id, "station:") &&
       id_is_valid (driver_id + strlen ("station:"))))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid driver id “%s”: use 1 to 32 letters, digits, “.”, “_” or “-”"),
               driver_id != NULL && g_utf8_validate (driver_id, -1, NULL) ? driver_id : "");
  return FALSE;
}

gboolean
store_check_supply_id (const char  *supply_id,
                       GError     **error)
{
  if (supply_id != NULL && g_uuid_string_is_valid (supply_id))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid supply id “%s”: expected a UUID"),
               supply_id != NULL && g_utf8_validate (supply_id, -1, NULL) ? supply_id : "");
  return FALSE;
}

gboolean
store_text_is_printable (const char *text,
                         size_t      max_chars)
{
  size_t n = 0;
  gboolean blank = TRUE;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || ++n > max_chars)
        return FALSE;
      if (!g_unichar_isspace (c))
        blank = FALSE;
    }

  return !blank;
}

gboolean
store_check_location (const char  *location,
                      GError     **error)
{
  if (store_text_is_printable (location, MAX_LOCATION_CHARS))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid location: it must be 1 to %d characters of text"),
               MAX_LOCATION_CHARS);
  return FALSE;
}

gboolean
store_check_price (double   price,
                   GError **error)
{
  if (isfinite (price) && price >= 0.0)
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid price %g: it must be a finite number, zero or more"),
               price);
  return FALSE;
}

gboolean
store_check_figures (double   kwh,
                     double   amount,
                     GError **error)
{
  if (isfinite (kwh) && kwh >= 0.0 && isfinite (amount) && amount >= 0.0)
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid energy %g kWh or amount %g EUR: they must be finite numbers, zero or more"),
               kwh, amount);
  return FALSE;
}

gboolean
store_check_time (gint64   ms,
                  GError **error)
{
  g_autofree char *text = NULL;

  if (ms >= 0)
    return TRUE;

  /* A format macro inside the message would hide it from xgettext. */
  text = g_strdup_printf ("%" G_GINT64_FORMAT, ms);
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid time %s: it must be zero or more milliseconds since 1970"),
               text);
  return FALSE;
}

gboolean
store_check_log_entry (const char  *event,
                       const char  *cp_id,
                       const char  *message,
                       GError     **error)
{
  if (!store_text_is_printable (event, MAX_EVENT_CHARS))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid log event: it must be 1 to %d characters of text"),
                   MAX_EVENT_CHARS);
      return FALSE;
    }

  if (message == NULL || strlen (message) > MAX_LOG_MESSAGE_BYTES ||
      !g_utf8_validate (message, -1, NULL))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid log message: it must be text of at most %d bytes"),
                   MAX_LOG_MESSAGE_BYTES);
      return FALSE;
    }

  return cp_id == NULL || store_check_cp_id (cp_id, error);
}

void
store_set_unknown_cp (const char  *cp_id,
                      GError     **error)
{
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND,
               _("Unknown charging point “%s”"), cp_id);
}

void
store_set_unknown_supply (const char  *supply_id,
                          GError     **error)
{
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND,
               _("Unknown supply “%s”"), supply_id);
}

gboolean
store_equal_in_constant_time (const char *a,
                              const char *b)
{
  size_t len = strlen (a);
  guint8 diff = 0;

  /* Hashes have a fixed, public length: only their bytes must not leak. */
  if (strlen (b) != len)
    return FALSE;

  for (size_t i = 0; i < len; i++)
    diff |= (guint8) (a[i] ^ b[i]);

  return diff == 0;
}

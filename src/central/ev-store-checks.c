/* ev-store-checks.c: what the store checks of every value before it is
 * written, and the errors it answers with. */

#include "config.h"

#include "ev-store-private.h"

/* Input checks. Everything is checked before anything is written, so bad
 * input never disturbs a batch. The rules are the protocol's
 * (ev-protocol); the store answers in its own domain, with the
 * protocol's reason. */

static gboolean
refuse (GError  *problem,
        GError **error)
{
  g_set_error_literal (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT, problem->message);
  g_error_free (problem);
  return FALSE;
}

gboolean
store_check_cp_id (const char  *cp_id,
                   GError     **error)
{
  GError *problem = NULL;

  return ev_protocol_validate_cp_id (cp_id, NULL, &problem) || refuse (problem, error);
}

gboolean
store_check_driver_id (const char  *driver_id,
                       GError     **error)
{
  GError *problem = NULL;

  /* Supplies requested at the station itself run under "station:<cp_id>". */
  return ev_protocol_validate_driver_id (driver_id, NULL, &problem) || refuse (problem, error);
}

gboolean
store_check_supply_id (const char  *supply_id,
                       GError     **error)
{
  GError *problem = NULL;

  return ev_protocol_validate_uuid (supply_id, "supply_id", &problem) || refuse (problem, error);
}

gboolean
store_check_text (const char  *text,
                  const char  *field,
                  long         max_chars,
                  GError     **error)
{
  GError *problem = NULL;

  return ev_protocol_validate_text (text, field, max_chars, &problem) || refuse (problem, error);
}

/* Unlike a message, the store bounds no figure above: what it was given
 * was checked where it came in. */
gboolean
store_check_number (double       value,
                    const char  *field,
                    GError     **error)
{
  GError *problem = NULL;

  return ev_protocol_validate_number (value, field, G_MAXDOUBLE, &problem) || refuse (problem, error);
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
  if (!store_check_text (event, "event", MAX_EVENT_CHARS, error))
    return FALSE;

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

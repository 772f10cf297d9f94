/* station-ocpp-charger.c: one simulated OCPP 1.6-J charger, a libsoup
 * WebSocket client of a CSMS. The conversation (boot with retry,
 * heartbeat, status, remote start/stop, metering, availability) lives
 * here once; `ev-station fleet --ocpp` runs thousands of these structs
 * from one timer, `ev-station engine --ocpp` one behind StationOcppEngine. */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ev-ocpp-frame.h"
#include "ev-ocpp-keys.h"
#include "ev-ocpp-message.h"
#include "station-ocpp-charger.h"

#define CALL_TIMEOUT_US    (30 * G_USEC_PER_SEC)
#define RECONNECT_US       (5 * G_USEC_PER_SEC)
#define DEFAULT_RETRY_S    10
#define MAX_HANDSHAKES     256

static const char *const connector_names[] = {
  "Available", "Preparing", "Charging", "Finishing", "Unavailable", "Faulted",
};

static void charger_send_next (StationOcppCharger *cp);

/* Sending -------------------------------------------------------------------- */


static char *
now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static void
charger_send (StationOcppCharger *cp,
              EvOcppMessage      *message)
{
  g_autofree char *text = NULL;

  /* Closing (the CSMS said goodbye, or went away): "closed" comes next
   * and the charger connects again; nothing may be sent meanwhile. */
  if (soup_websocket_connection_get_state (cp->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  text = ev_ocpp_message_encode (message, NULL);
  soup_websocket_connection_send_text (cp->ws, text);
}

static gboolean
valid_outgoing (StationOcppCharger *cp,
                EvOcppMessage      *message,
                const char         *call_action)
{
  g_autoptr (GError) error = NULL;

  if (ev_ocpp_schema_validate_message (cp->host->schema, message, call_action, &error))
    return TRUE;
  /* A bug of ours: count it, and never send what the CSMS must refuse. */
  g_warning ("Not sending an invalid %s: %s", call_action, error->message);
  cp->host->errors++;
  return FALSE;
}

/* Queues the CALL @action with @payload (taken), sent when the one in
 * flight is answered: one CALL at a time (OCPP-J 1.6, section 4.1.1). */
static void
charger_call (StationOcppCharger *cp,
              const char         *action,
              JsonObject         *payload)
{
  g_autofree char *id = g_strdup_printf ("%u", ++cp->call_seq);
  EvOcppMessage *message = ev_ocpp_message_new_call (id, action, payload);

  json_object_unref (payload);
  if (!valid_outgoing (cp, message, action))
    {
      ev_ocpp_message_unref (message);
      return;
    }
  g_queue_push_tail (&cp->outbox, message);
  charger_send_next (cp);
}

static void
charger_send_next (StationOcppCharger *cp)
{
  g_autoptr (EvOcppMessage) message = NULL;

  if (cp->call_action != NULL || cp->ws == NULL)
    return;
  message = g_queue_pop_head (&cp->outbox);
  if (message == NULL)
    return;
  /* Actions are static strings of ours, so the charger keeps a pointer. */
  cp->call_action = g_intern_string (ev_ocpp_message_get_action (message));
  cp->call_id = (guint) g_ascii_strtoull (ev_ocpp_message_get_unique_id (message), NULL, 10);
  cp->call_sent_us = g_get_monotonic_time ();
  cp->host->calls_sent++;
  charger_send (cp, message);
}

static void
charger_reply (StationOcppCharger *cp,
               const char         *unique_id,
               JsonObject         *payload,
               const char         *action)
{
  g_autoptr (EvOcppMessage) message = ev_ocpp_message_new_call_result (unique_id, payload);

  json_object_unref (payload);
  if (valid_outgoing (cp, message, action))
    charger_send (cp, message);
}

/* @reply is the CALLERROR that refuses a CALL of the CSMS. */
static void
charger_refuse (StationOcppCharger *cp,
                EvOcppMessage      *reply)
{
  cp->host->errors++;
  charger_send (cp, reply);
}

static JsonObject *
status_payload (StationOcppConnector connector)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();

  json_object_set_int_member (p, "connectorId", 1);
  json_object_set_string_member (p, "errorCode",
                                 connector == STATION_OCPP_CONNECTOR_FAULTED ? "OtherError" : "NoError");
  json_object_set_string_member (p, "status", connector_names[connector]);
  json_object_set_string_member (p, "timestamp", ts);
  return p;
}

static void
charger_set_connector (StationOcppCharger   *cp,
                       StationOcppConnector  connector)
{
  cp->connector = connector;
  /* Before the boot is accepted the CSMS hears it with the boot. */
  if (cp->phase == STATION_OCPP_PHASE_ACCEPTED)
    charger_call (cp, "StatusNotification", status_payload (connector));
}

/* What the connector shows when no transaction holds it. */
static StationOcppConnector
idle_connector (StationOcppCharger *cp)
{
  if (cp->faulted)
    return STATION_OCPP_CONNECTOR_FAULTED;
  if (cp->inoperative)
    return STATION_OCPP_CONNECTOR_UNAVAILABLE;
  return cp->plugged ? STATION_OCPP_CONNECTOR_PREPARING : STATION_OCPP_CONNECTOR_AVAILABLE;
}

static void
charger_boot (StationOcppCharger *cp)
{
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "chargePointVendor", "EV Charging Network");
  json_object_set_string_member (p, "chargePointModel", cp->host->model);
  json_object_set_string_member (p, "firmwareVersion", PACKAGE_VERSION);
  cp->phase = STATION_OCPP_PHASE_BOOTING;
  charger_call (cp, "BootNotification", p);
}

/* Transactions --------------------------------------------------------------- */

static void
charger_start_transaction (StationOcppCharger *cp,
                           const char         *id_tag)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();

  g_free (cp->id_tag);
  cp->id_tag = g_strdup (id_tag);
  cp->in_transaction = TRUE;
  cp->transaction_id = 0;
  cp->meter_start = (int) floor (cp->meter_wh);
  charger_set_connector (cp, STATION_OCPP_CONNECTOR_PREPARING);
  json_object_set_int_member (p, "connectorId", 1);
  json_object_set_string_member (p, "idTag", id_tag);
  json_object_set_int_member (p, "meterStart", cp->meter_start);
  json_object_set_string_member (p, "timestamp", ts);
  charger_call (cp, "StartTransaction", p);
}

static void
charger_meter_values (StationOcppCharger *cp)
{
  JsonObject *p = json_object_new ();
  JsonObject *value = json_object_new ();
  JsonObject *sample = json_object_new ();
  JsonArray *values = json_array_new ();
  JsonArray *samples = json_array_new ();
  g_autofree char *ts = now_iso8601 ();
  g_autofree char *wh = g_strdup_printf ("%d", (int) floor (cp->meter_wh));

  json_object_set_string_member (sample, "value", wh);
  json_object_set_string_member (sample, "context", "Sample.Periodic");
  json_object_set_string_member (sample, "measurand", "Energy.Active.Import.Register");
  json_object_set_string_member (sample, "unit", "Wh");
  json_array_add_object_element (samples, sample);
  json_object_set_string_member (value, "timestamp", ts);
  json_object_set_array_member (value, "sampledValue", samples);
  json_array_add_object_element (values, value);
  json_object_set_int_member (p, "connectorId", 1);
  json_object_set_int_member (p, "transactionId", cp->transaction_id);
  json_object_set_array_member (p, "meterValue", values);
  charger_call (cp, "MeterValues", p);
}

static void
charger_stop_transaction (StationOcppCharger *cp,
                          const char         *reason)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();
  int meter_stop = (int) floor (cp->meter_wh);

  json_object_set_int_member (p, "transactionId", cp->transaction_id);
  json_object_set_string_member (p, "idTag", cp->id_tag);
  json_object_set_int_member (p, "meterStop", meter_stop);
  json_object_set_string_member (p, "timestamp", ts);
  json_object_set_string_member (p, "reason", reason);
  cp->host->energy_wh += meter_stop - cp->meter_start;
  cp->meter_stop = meter_stop;
  cp->in_transaction = FALSE;
  cp->stop_us = 0;
  charger_call (cp, "StopTransaction", p);
  /* A vehicle still plugged in is Finishing until it leaves. */
  if (cp->plugged && !cp->faulted && !cp->inoperative)
    charger_set_connector (cp, STATION_OCPP_CONNECTOR_FINISHING);
  else
    charger_set_connector (cp, idle_connector (cp));
}

/* Receiving ------------------------------------------------------------------ */

static JsonObject *
status_only (const char *status)
{
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "status", status);
  return p;
}

/* A CALL that ev_ocpp_frame_decode() found valid for its action. */
static void
handle_call (StationOcppCharger *cp,
             EvOcppMessage      *message)
{
  const char *action = ev_ocpp_message_get_action (message);
  const char *id = ev_ocpp_message_get_unique_id (message);
  JsonObject *payload = ev_ocpp_message_get_payload (message);

  if (g_str_equal (action, "RemoteStartTransaction"))
    {
      gboolean ok = cp->phase == STATION_OCPP_PHASE_ACCEPTED && !cp->in_transaction
                    && (cp->connector == STATION_OCPP_CONNECTOR_AVAILABLE
                        || cp->connector == STATION_OCPP_CONNECTOR_PREPARING);

      charger_reply (cp, id, status_only (ok ? "Accepted" : "Rejected"), action);
      if (ok)
        charger_start_transaction (cp, json_object_get_string_member (payload, "idTag"));
    }
  else if (g_str_equal (action, "RemoteStopTransaction"))
    {
      gboolean ok = cp->in_transaction && cp->transaction_id != 0
                    && json_object_get_int_member (payload, "transactionId") == cp->transaction_id;

      charger_reply (cp, id, status_only (ok ? "Accepted" : "Rejected"), action);
      if (ok)
        charger_stop_transaction (cp, "Remote");
    }
  else if (g_str_equal (action, "ChangeAvailability"))
    {
      gboolean inoperative = g_str_equal (json_object_get_string_member (payload, "type"), "Inoperative");

      if (json_object_get_int_member (payload, "connectorId") > 1)
        charger_reply (cp, id, status_only ("Rejected"), action);
      else if (cp->in_transaction)
        {
          /* Applied when the transaction ends. */
          cp->inoperative = inoperative;
          charger_reply (cp, id, status_only ("Scheduled"), action);
        }
      else
        {
          cp->inoperative = inoperative;
          charger_reply (cp, id, status_only ("Accepted"), action);
          charger_set_connector (cp, idle_connector (cp));
        }
    }
  else
    {
      g_autoptr (GError) unsupported =
        g_error_new (EV_OCPP_ERROR, EV_OCPP_ERROR_NOT_SUPPORTED,
                     _("%s is not supported by this simulated charger"), action);
      g_autoptr (EvOcppMessage) reply = ev_ocpp_message_new_call_error_for (id, unsupported);

      charger_refuse (cp, reply);
    }
}

static guint
interval_of (JsonObject *payload)
{
  gint64 interval = json_object_get_int_member (payload, "interval");

  return interval > 0 ? (guint) MIN (interval, 86400) : DEFAULT_RETRY_S;
}

/* The answer to the CALL in flight, @action (interned), which
 * ev_ocpp_frame_decode() checked: @error tells why an invalid one is. */
static void
handle_answer (StationOcppCharger *cp,
               EvOcppFrame        *frame,
               const char         *action,
               const GError       *error)
{
  StationOcppHost *host = cp->host;
  EvOcppMessage *message = frame->message;
  JsonObject *payload = ev_ocpp_message_get_payload (message);
  gint64 now = g_get_monotonic_time ();

  host->calls_answered++;
  if (host->answered != NULL)
    host->answered (host, now - cp->call_sent_us);
  if (frame->kind == EV_OCPP_FRAME_CALL_ERROR)
    {
      g_debug ("%s refused: %s", action, ev_ocpp_message_get_error_code (message));
      host->call_errors++;
      if (action == g_intern_static_string ("BootNotification"))
        cp->next_us = now + DEFAULT_RETRY_S * G_USEC_PER_SEC;
      return;
    }
  if (frame->kind == EV_OCPP_FRAME_INVALID_RESULT)
    {
      g_debug ("Invalid %s confirmation: %s", action, error->message);
      host->errors++;
      if (action == g_intern_static_string ("BootNotification"))
        cp->next_us = now + DEFAULT_RETRY_S * G_USEC_PER_SEC;
      return;
    }

  if (action == g_intern_static_string ("BootNotification"))
    {
      guint interval = interval_of (payload);
      const char *status = json_object_get_string_member (payload, "status");

      if (g_str_equal (status, "Accepted"))
        {
          cp->boot = STATION_OCPP_BOOT_ACCEPTED;
          cp->phase = STATION_OCPP_PHASE_ACCEPTED;
          cp->heartbeat_s = interval;
          cp->heartbeat_us = now + interval * G_USEC_PER_SEC;
          if (!cp->booted_once && host->booted != NULL)
            host->booted (host, cp, now);
          cp->booted_once = TRUE;
          charger_set_connector (cp, cp->connector);
        }
      else
        {
          cp->boot = g_str_equal (status, "Pending") ? STATION_OCPP_BOOT_PENDING : STATION_OCPP_BOOT_REJECTED;
          cp->next_us = now + interval * G_USEC_PER_SEC;
        }
    }
  else if (action == g_intern_static_string ("StartTransaction"))
    {
      JsonObject *info = json_object_get_object_member (payload, "idTagInfo");

      cp->transaction_id = (int) json_object_get_int_member (payload, "transactionId");
      if (!g_str_equal (json_object_get_string_member (info, "status"), "Accepted"))
        {
          cp->in_transaction = FALSE;
          charger_set_connector (cp, idle_connector (cp));
          return;
        }
      host->transactions++;
      charger_set_connector (cp, STATION_OCPP_CONNECTOR_CHARGING);
      cp->meter_us = now + host->meter_interval * G_USEC_PER_SEC;
      if (host->stop_after > 0)
        cp->stop_us = now + host->stop_after * G_USEC_PER_SEC;
    }
}

/* One CALL at a time: an answer is to the one in flight, or to none. */
static const char *
awaited_action (const char *unique_id,
                gpointer    user_data)
{
  StationOcppCharger *cp = user_data;
  char expected[16];

  if (cp->call_action == NULL)
    return NULL;
  g_snprintf (expected, sizeof expected, "%u", cp->call_id);
  return g_str_equal (unique_id, expected) ? cp->call_action : NULL;
}

static void
receive (StationOcppCharger *cp,
         GBytes             *bytes)
{
  g_auto (EvOcppFrame) frame = { 0 };
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  const char *action;

  switch (ev_ocpp_frame_decode (&frame, cp->host->schema, data, length, awaited_action, cp, &error))
    {
    case EV_OCPP_FRAME_CALL:
      handle_call (cp, frame.message);
      break;
    case EV_OCPP_FRAME_RESULT:
    case EV_OCPP_FRAME_CALL_ERROR:
    case EV_OCPP_FRAME_INVALID_RESULT:
      action = cp->call_action;
      cp->call_action = NULL;
      handle_answer (cp, &frame, action, error);
      charger_send_next (cp);
      break;
    case EV_OCPP_FRAME_REFUSED:
      charger_refuse (cp, frame.reply);
      break;
    case EV_OCPP_FRAME_UNEXPECTED:
    case EV_OCPP_FRAME_MALFORMED:
    default:
      cp->host->errors++;
      break;
    }
}

static void
changed (StationOcppCharger *cp)
{
  if (cp->host->changed != NULL)
    cp->host->changed (cp->host, cp);
}

static void
message_cb (SoupWebsocketConnection *ws,
            int                      type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  StationOcppCharger *cp = user_data;

  receive (cp, bytes);
  changed (cp);
}

/* Connecting ----------------------------------------------------------------- */

static void
charger_drop (StationOcppCharger *cp)
{
  if (cp->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (cp->ws, cp);
      g_clear_object (&cp->ws);
    }
  g_queue_clear_full (&cp->outbox, (GDestroyNotify) ev_ocpp_message_unref);
  cp->call_action = NULL;
  cp->phase = STATION_OCPP_PHASE_IDLE;
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  StationOcppCharger *cp = user_data;

  if (cp->host->stopping)
    return;
  g_debug ("Link closed (code %u)", soup_websocket_connection_get_close_code (ws));
  cp->host->errors++;
  charger_drop (cp);
  cp->next_us = g_get_monotonic_time () + RECONNECT_US;
  changed (cp);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  StationOcppCharger *cp = user_data;
  StationOcppHost *host;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  /* Cancelled when the host goes: @cp is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  host = cp->host;
  host->handshakes--;
  if (ws == NULL)
    {
      g_debug ("Cannot connect: %s", error->message);
      host->errors++;
      cp->phase = STATION_OCPP_PHASE_IDLE;
      cp->next_us = g_get_monotonic_time () + RECONNECT_US;
      changed (cp);
      return;
    }
  cp->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (message_cb), cp);
  g_signal_connect (ws, "closed", G_CALLBACK (closed_cb), cp);
  charger_boot (cp);
  changed (cp);
}

static void
charger_connect (StationOcppCharger *cp)
{
  StationOcppHost *host = cp->host;
  g_autofree char *id = station_ocpp_charger_dup_id (cp);
  g_autofree char *uri = host->prefix != NULL ? g_strconcat (host->url, "/", id, NULL)
                                              : g_strdup (host->url);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  const char *protocols[] = { "ocpp1.6", NULL };
  const char *key = host->keys != NULL ? g_hash_table_lookup (host->keys, id) : NULL;

  /* Sent with the first request, as chargers do, not after a 401. */
  if (key != NULL || host->password != NULL)
    {
      g_autofree char *credentials = ev_ocpp_basic_auth_encode (id, key != NULL ? key : host->password);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", credentials);
    }

  cp->phase = STATION_OCPP_PHASE_CONNECTING;
  host->handshakes++;
  soup_session_websocket_connect_async (host->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, host->cancellable, connected_cb, cp);
}

/* The clock ------------------------------------------------------------------ */

/**
 * station_ocpp_charger_tick:
 * @cp: a charger
 * @now: the monotonic time
 * @hours: the time since the last tick, in hours
 *
 * Does what is due at @now: connect, time out a CALL, boot again, meter,
 * beat, send MeterValues, end a transaction at `stop_after`. The owner
 * calls it every %STATION_OCPP_TICK_MS.
 */
void
station_ocpp_charger_tick (StationOcppCharger *cp,
                           gint64              now,
                           double              hours)
{
  StationOcppHost *host = cp->host;

  if (cp->phase == STATION_OCPP_PHASE_IDLE)
    {
      if (cp->next_us <= now &&
          host->handshakes < (host->max_handshakes > 0 ? host->max_handshakes : MAX_HANDSHAKES))
        charger_connect (cp);
      return;
    }
  if (cp->phase == STATION_OCPP_PHASE_CONNECTING)
    return;

  if (cp->call_action != NULL && now - cp->call_sent_us > CALL_TIMEOUT_US)
    {
      host->errors++;
      if (cp->call_action == g_intern_static_string ("BootNotification"))
        cp->next_us = now;
      cp->call_action = NULL;
      charger_send_next (cp);
    }
  if (cp->phase == STATION_OCPP_PHASE_BOOTING)
    {
      if (cp->call_action == NULL && g_queue_is_empty (&cp->outbox) && cp->next_us <= now)
        charger_boot (cp);
      return;
    }

  if (cp->connector == STATION_OCPP_CONNECTOR_CHARGING)
    cp->meter_wh += host->power_kw * 1000.0 * hours;
  if (now >= cp->heartbeat_us)
    {
      cp->heartbeat_us = now + cp->heartbeat_s * G_USEC_PER_SEC;
      charger_call (cp, "Heartbeat", json_object_new ());
    }
  if (cp->connector == STATION_OCPP_CONNECTOR_CHARGING && now >= cp->meter_us)
    {
      cp->meter_us = now + host->meter_interval * G_USEC_PER_SEC;
      charger_meter_values (cp);
    }
  if (cp->connector == STATION_OCPP_CONNECTOR_CHARGING && cp->stop_us != 0 && now >= cp->stop_us)
    charger_stop_transaction (cp, "Local");
}


/* The vehicle and the hardware ----------------------------------------------- */

/**
 * station_ocpp_charger_plug:
 * @cp: a charger
 * @error: where to say why not
 *
 * Plugs a vehicle in: an idle connector becomes Preparing, and a
 * RemoteStartTransaction may start charging it.
 *
 * Returns: whether the vehicle could be plugged in
 */
gboolean
station_ocpp_charger_plug (StationOcppCharger  *cp,
                           GError             **error)
{
  if (cp->plugged || cp->faulted || cp->in_transaction)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           cp->faulted ? _("The charger is faulted: repair it first")
                                       : _("A vehicle is already plugged in"));
      return FALSE;
    }
  cp->plugged = TRUE;
  charger_set_connector (cp, idle_connector (cp));
  return TRUE;
}

/**
 * station_ocpp_charger_unplug:
 * @cp: a charger
 * @error: where to say why not
 *
 * Unplugs the vehicle; a transaction in progress ends with the reason
 * `EVDisconnected`.
 *
 * Returns: whether a vehicle was plugged in
 */
gboolean
station_ocpp_charger_unplug (StationOcppCharger  *cp,
                             GError             **error)
{
  if (!cp->plugged)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("No vehicle is plugged in"));
      return FALSE;
    }
  cp->plugged = FALSE;
  if (cp->in_transaction)
    charger_stop_transaction (cp, "EVDisconnected");
  else
    charger_set_connector (cp, idle_connector (cp));
  return TRUE;
}

/**
 * station_ocpp_charger_set_faulted:
 * @cp: a charger
 * @faulted: whether its hardware fails
 *
 * A fault ends a transaction in progress (reason `Other`) and shows
 * Faulted (errorCode `OtherError`); a repair shows the connector idle.
 */
void
station_ocpp_charger_set_faulted (StationOcppCharger *cp,
                                  gboolean            faulted)
{
  if (cp->faulted == !!faulted)
    return;
  cp->faulted = !!faulted;
  if (cp->in_transaction && faulted)
    charger_stop_transaction (cp, "Other");
  else
    charger_set_connector (cp, idle_connector (cp));
}

/* Life ----------------------------------------------------------------------- */

/**
 * station_ocpp_connector_to_string:
 * @connector: a connector's state
 *
 * Returns: its ChargePointStatus, as OCPP spells it
 */
const char *
station_ocpp_connector_to_string (StationOcppConnector connector)
{
  g_return_val_if_fail (connector < G_N_ELEMENTS (connector_names), NULL);
  return connector_names[connector];
}

/**
 * station_ocpp_boot_to_string:
 * @boot: the CSMS's boot answer
 *
 * Returns: (nullable): `Accepted`, `Pending`, `Rejected`, or %NULL before
 *   any answer
 */
const char *
station_ocpp_boot_to_string (StationOcppBoot boot)
{
  static const char *const names[] = { NULL, "Accepted", "Pending", "Rejected" };

  g_return_val_if_fail (boot < G_N_ELEMENTS (names), NULL);
  return names[boot];
}

/**
 * station_ocpp_phase_to_string:
 * @phase: where a link stands
 *
 * Returns: `disconnected`, `connecting`, `booting` or `accepted`, as the
 *   headless events name it
 */
const char *
station_ocpp_phase_to_string (StationOcppPhase phase)
{
  static const char *const names[] = { "disconnected", "connecting", "booting", "accepted" };

  g_return_val_if_fail (phase < G_N_ELEMENTS (names), NULL);
  return names[phase];
}

/**
 * station_ocpp_check_url:
 * @url: (nullable): what the user gave
 * @error: where to say why it will not do
 *
 * Returns: whether @url is a `ws://` or `wss://` URL with a host and no
 *   query
 */
gboolean
station_ocpp_check_url (const char  *url,
                        GError     **error)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0)
      || g_uri_get_host (uri) == NULL || g_uri_get_query (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a WebSocket URL such as ws://HOST:PORT/PATH"),
                   url != NULL ? url : "");
      return FALSE;
    }
  return TRUE;
}

/**
 * station_ocpp_url_cp_id:
 * @url: (nullable): one charger's URL, `ws://HOST:PORT/PATH/<CP_ID>`
 * @error: where to say why it will not do
 *
 * Returns: (transfer full) (nullable): the CP id that ends @url, or %NULL
 *   when @url is not a WebSocket URL ending with one
 */
char *
station_ocpp_url_cp_id (const char  *url,
                        GError     **error)
{
  const char *slash;

  if (!station_ocpp_check_url (url, error))
    return NULL;
  slash = strrchr (url, '/');
  if (slash == NULL || slash[1] == '\0' || strstr (url, "://") + 2 == slash)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” does not end with the charger’s id, as in ws://HOST:PORT/PATH/CP_ID"), url);
      return NULL;
    }
  return g_strdup (slash + 1);
}

/**
 * station_ocpp_session_new:
 *
 * Returns: (transfer full): a libsoup session for simulated chargers: no
 *   limit on connections, a 30 s time-out, never through a proxy
 */
SoupSession *
station_ocpp_session_new (void)
{
  SoupSession *session = soup_session_new_with_options ("max-conns", G_MAXINT,
                                                        "max-conns-per-host", G_MAXINT,
                                                        "timeout", 30,
                                                        NULL);

  /* A simulator talks to the CSMS it is given, never through a proxy. */
  soup_session_set_proxy_resolver (session, NULL);
  return session;
}

/**
 * station_ocpp_charger_init:
 * @cp: a charger's memory, zeroed
 * @host: what it shares with the others
 * @index: its number, from 0 (its id is the prefix and @index + 1)
 *
 * Readies @cp; its first tick connects it.
 */
void
station_ocpp_charger_init (StationOcppCharger *cp,
                           StationOcppHost    *host,
                           guint               index)
{
  cp->host = host;
  cp->index = index;
  g_queue_init (&cp->outbox);
}

/**
 * station_ocpp_charger_clear:
 * @cp: a charger
 *
 * Drops its link without a word and frees what it holds.
 */
void
station_ocpp_charger_clear (StationOcppCharger *cp)
{
  charger_drop (cp);
  g_clear_pointer (&cp->id_tag, g_free);
}

/**
 * station_ocpp_charger_close:
 * @cp: a charger
 *
 * Closes its link with code 1000 (Normal Closure), as when it shuts down.
 */
void
station_ocpp_charger_close (StationOcppCharger *cp)
{
  if (cp->ws != NULL && soup_websocket_connection_get_state (cp->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (cp->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

/**
 * station_ocpp_charger_dup_id:
 * @cp: a charger
 *
 * Returns: (transfer full): its CP id: the host's prefix and its number,
 *   or the last segment of the host's URL when it has no prefix
 */
char *
station_ocpp_charger_dup_id (StationOcppCharger *cp)
{
  StationOcppHost *host = cp->host;
  const char *slash;

  if (host->prefix != NULL)
    return g_strdup_printf ("%s%0*u", host->prefix, (int) host->digits, cp->index + 1);
  slash = strrchr (host->url, '/');
  return g_strdup (slash != NULL ? slash + 1 : host->url);
}

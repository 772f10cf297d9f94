/* station-ocpp-fleet.c: simulated OCPP 1.6-J chargers, each a libsoup
 * WebSocket client of a CSMS, with one timer for the whole fleet. */

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "ev-json.h"
#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"
#include "station-ocpp-fleet.h"

#define TICK_MS            100
#define MAX_HANDSHAKES     256
#define CALL_TIMEOUT_US    (30 * G_USEC_PER_SEC)
#define RECONNECT_US       (5 * G_USEC_PER_SEC)
#define DEFAULT_RETRY_S    10
#define MAX_SAMPLES        65536

typedef enum {
  PHASE_IDLE,
  PHASE_CONNECTING,
  PHASE_BOOTING,
  PHASE_ACCEPTED,
} Phase;

typedef enum {
  CONNECTOR_AVAILABLE,
  CONNECTOR_PREPARING,
  CONNECTOR_CHARGING,
  CONNECTOR_UNAVAILABLE,
} Connector;

static const char *const connector_names[] = {
  "Available", "Preparing", "Charging", "Unavailable",
};

typedef struct {
  StationOcppFleet        *fleet;
  SoupWebsocketConnection *ws;
  GQueue                   outbox;        /* EvOcppMessage *, CALLs waiting */
  char                    *id_tag;        /* of the transaction, or NULL */
  const char              *call_action;   /* the CALL in flight, or NULL */
  gint64                   call_sent_us;
  gint64                   next_us;       /* reconnect, boot retry */
  gint64                   heartbeat_us;
  gint64                   meter_us;
  gint64                   stop_us;       /* 0: no deadline */
  double                   meter_wh;
  guint                    call_seq;
  guint                    call_id;       /* of the CALL in flight */
  guint                    index;
  guint                    heartbeat_s;
  int                      transaction_id;
  int                      meter_start;
  guint8                   phase;
  guint8                   connector;
  gboolean                 in_transaction : 1;
  gboolean                 inoperative_pending : 1;
  gboolean                 booted_once : 1;
} Charger;

typedef struct {
  GArray  *samples;   /* guint32 µs, a reservoir of at most MAX_SAMPLES */
  guint64  seen;
  guint32  max;
} Samples;

struct _StationOcppFleet
{
  GObject       parent_instance;

  StationOcppFleetConfig config;
  char         *url;
  char         *prefix;
  SoupSession  *session;
  GCancellable *cancellable;     /* of the handshakes */
  EvOcppSchema *schema;
  Charger      *chargers;
  guint         next_to_connect;
  guint         handshakes;
  guint         tick_id;
  gint64        started_us;
  gint64        last_tick_us;
  gboolean      stopping;

  Samples       boot;
  Samples       rtt;
  guint64       calls_sent;
  guint64       calls_answered;
  guint64       call_errors;
  guint64       errors;
  guint64       transactions;
  guint64       energy_wh;
};

G_DEFINE_FINAL_TYPE (StationOcppFleet, station_ocpp_fleet, G_TYPE_OBJECT)

static void charger_connect (Charger *cp);
static void charger_send_next (Charger *cp);

/* Statistics ----------------------------------------------------------------- */

static void
samples_add (Samples *s,
             gint64   us)
{
  guint32 v = (guint32) CLAMP (us, 0, G_MAXUINT32);

  s->seen++;
  s->max = MAX (s->max, v);
  if (s->samples->len < MAX_SAMPLES)
    g_array_append_val (s->samples, v);
  else
    {
      /* Reservoir sampling: every sample so far has the same chance. */
      guint64 slot = (guint64) g_random_double_range (0, (double) s->seen);

      if (slot < MAX_SAMPLES)
        g_array_index (s->samples, guint32, slot) = v;
    }
}

static int
compare_u32 (gconstpointer a,
             gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return (x > y) - (x < y);
}

static JsonNode *
samples_to_json (Samples *s)
{
  g_autoptr (JsonObject) o = json_object_new ();
  g_autoptr (GArray) sorted = NULL;
  const double quantiles[] = { 0.5, 0.99 };
  const char *names[] = { "p50", "p99" };
  JsonNode *node;

  json_object_set_int_member (o, "n", s->seen);
  sorted = g_array_copy (s->samples);
  g_array_sort (sorted, compare_u32);
  for (guint i = 0; i < G_N_ELEMENTS (quantiles); i++)
    {
      guint rank;

      if (sorted->len == 0)
        {
          json_object_set_null_member (o, names[i]);
          continue;
        }
      rank = (guint) ceil (quantiles[i] * sorted->len);
      rank = CLAMP (rank, 1, sorted->len);
      json_object_set_double_member (o, names[i], g_array_index (sorted, guint32, rank - 1) / 1000.0);
    }
  if (s->seen == 0)
    json_object_set_null_member (o, "max");
  else
    json_object_set_double_member (o, "max", s->max / 1000.0);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, o);
  return node;
}

static guint64
resident_kib (void)
{
  g_autofree char *text = NULL;
  unsigned long long pages = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL)
      || sscanf (text, "%llu %llu", &pages, &resident) != 2)
    return 0;
  return resident * (guint64) sysconf (_SC_PAGESIZE) / 1024;
}

/**
 * station_ocpp_fleet_stats:
 * @self: a fleet
 *
 * Returns: (transfer full): the fleet's gauges, counters, latencies and
 *   memory, the fields of the `stats` event of docs/cli.md.
 */
JsonObject *
station_ocpp_fleet_stats (StationOcppFleet *self)
{
  JsonObject *o = json_object_new ();
  guint connected = 0, accepted = 0, charging = 0;
  guint64 rss = resident_kib ();

  for (guint i = 0; i < self->config.count; i++)
    {
      Charger *cp = &self->chargers[i];

      connected += cp->phase >= PHASE_BOOTING;
      accepted += cp->phase == PHASE_ACCEPTED;
      charging += cp->connector == CONNECTOR_CHARGING;
    }
  json_object_set_double_member (o, "t", (g_get_monotonic_time () - self->started_us) / 1e6);
  json_object_set_int_member (o, "count", self->config.count);
  json_object_set_int_member (o, "connected", connected);
  json_object_set_int_member (o, "accepted", accepted);
  json_object_set_int_member (o, "charging", charging);
  json_object_set_int_member (o, "calls_sent", self->calls_sent);
  json_object_set_int_member (o, "calls_answered", self->calls_answered);
  json_object_set_int_member (o, "call_errors", self->call_errors);
  json_object_set_int_member (o, "errors", self->errors);
  json_object_set_int_member (o, "transactions", self->transactions);
  json_object_set_int_member (o, "energy_wh", self->energy_wh);
  json_object_set_member (o, "boot_ms", samples_to_json (&self->boot));
  json_object_set_member (o, "call_ms", samples_to_json (&self->rtt));
  json_object_set_int_member (o, "rss_kib", rss);
  json_object_set_double_member (o, "rss_kib_per_cp", (double) rss / self->config.count);
  return o;
}

static void
samples_clear (Samples *s)
{
  g_array_set_size (s->samples, 0);
  s->seen = 0;
  s->max = 0;
}

/**
 * station_ocpp_fleet_reset:
 * @self: a fleet
 *
 * Sets the counters and the call round trips to zero, so that the next
 * stats cover a window of their own; the boot times, measured from the
 * start, stay.
 */
void
station_ocpp_fleet_reset (StationOcppFleet *self)
{
  samples_clear (&self->rtt);
  self->calls_sent = self->calls_answered = self->call_errors = 0;
  self->errors = self->transactions = self->energy_wh = 0;
}

/* Sending -------------------------------------------------------------------- */

static char *
cp_id (Charger *cp)
{
  guint digits = cp->fleet->config.count > 99999 ? 7 : 5;

  return g_strdup_printf ("%s%0*u", cp->fleet->prefix, digits, cp->index + 1);
}

static char *
now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static void
charger_send (Charger       *cp,
              EvOcppMessage *message)
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
valid_outgoing (Charger       *cp,
                EvOcppMessage *message,
                const char    *call_action)
{
  g_autoptr (GError) error = NULL;

  if (ev_ocpp_schema_validate_message (cp->fleet->schema, message, call_action, &error))
    return TRUE;
  /* A bug of ours: count it, and never send what the CSMS must refuse. */
  g_warning ("Not sending an invalid %s: %s", call_action, error->message);
  cp->fleet->errors++;
  return FALSE;
}

/* Queues the CALL @action with @payload (taken), sent when the one in
 * flight is answered: one CALL at a time (OCPP-J 1.6, section 4.1.1). */
static void
charger_call (Charger    *cp,
              const char *action,
              JsonObject *payload)
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
charger_send_next (Charger *cp)
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
  cp->fleet->calls_sent++;
  charger_send (cp, message);
}

static void
charger_reply (Charger    *cp,
               const char *unique_id,
               JsonObject *payload,
               const char *action)
{
  g_autoptr (EvOcppMessage) message = ev_ocpp_message_new_call_result (unique_id, payload);

  json_object_unref (payload);
  if (valid_outgoing (cp, message, action))
    charger_send (cp, message);
}

static void
charger_reply_error (Charger      *cp,
                     const char   *unique_id,
                     const GError *error)
{
  g_autoptr (EvOcppMessage) message = ev_ocpp_message_new_call_error_for (unique_id, error);

  cp->fleet->errors++;
  charger_send (cp, message);
}

static JsonObject *
status_payload (Connector connector)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();

  json_object_set_int_member (p, "connectorId", 1);
  json_object_set_string_member (p, "errorCode", "NoError");
  json_object_set_string_member (p, "status", connector_names[connector]);
  json_object_set_string_member (p, "timestamp", ts);
  return p;
}

static void
charger_set_connector (Charger   *cp,
                       Connector  connector)
{
  cp->connector = connector;
  charger_call (cp, "StatusNotification", status_payload (connector));
}

static void
charger_boot (Charger *cp)
{
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "chargePointVendor", "EV Charging Network");
  json_object_set_string_member (p, "chargePointModel", "ev-station fleet");
  json_object_set_string_member (p, "firmwareVersion", PACKAGE_VERSION);
  cp->phase = PHASE_BOOTING;
  charger_call (cp, "BootNotification", p);
}

/* Transactions --------------------------------------------------------------- */

static void
charger_start_transaction (Charger    *cp,
                           const char *id_tag)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();

  g_free (cp->id_tag);
  cp->id_tag = g_strdup (id_tag);
  cp->in_transaction = TRUE;
  cp->transaction_id = 0;
  cp->meter_start = (int) floor (cp->meter_wh);
  charger_set_connector (cp, CONNECTOR_PREPARING);
  json_object_set_int_member (p, "connectorId", 1);
  json_object_set_string_member (p, "idTag", id_tag);
  json_object_set_int_member (p, "meterStart", cp->meter_start);
  json_object_set_string_member (p, "timestamp", ts);
  charger_call (cp, "StartTransaction", p);
}

static void
charger_meter_values (Charger *cp)
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
charger_stop_transaction (Charger    *cp,
                          const char *reason)
{
  JsonObject *p = json_object_new ();
  g_autofree char *ts = now_iso8601 ();
  int meter_stop = (int) floor (cp->meter_wh);

  json_object_set_int_member (p, "transactionId", cp->transaction_id);
  json_object_set_string_member (p, "idTag", cp->id_tag);
  json_object_set_int_member (p, "meterStop", meter_stop);
  json_object_set_string_member (p, "timestamp", ts);
  json_object_set_string_member (p, "reason", reason);
  cp->fleet->energy_wh += meter_stop - cp->meter_start;
  cp->in_transaction = FALSE;
  cp->stop_us = 0;
  charger_call (cp, "StopTransaction", p);
  charger_set_connector (cp, cp->inoperative_pending ? CONNECTOR_UNAVAILABLE
                                                     : CONNECTOR_AVAILABLE);
  cp->inoperative_pending = FALSE;
}

/* Receiving ------------------------------------------------------------------ */

static JsonObject *
status_only (const char *status)
{
  JsonObject *p = json_object_new ();

  json_object_set_string_member (p, "status", status);
  return p;
}

static void
handle_call (Charger       *cp,
             EvOcppMessage *message)
{
  const char *action = ev_ocpp_message_get_action (message);
  const char *id = ev_ocpp_message_get_unique_id (message);
  JsonObject *payload = ev_ocpp_message_get_payload (message);
  g_autoptr (GError) error = NULL;

  if (!ev_ocpp_schema_validate_message (cp->fleet->schema, message, NULL, &error))
    {
      charger_reply_error (cp, id, error);
      return;
    }

  if (g_str_equal (action, "RemoteStartTransaction"))
    {
      gboolean ok = cp->phase == PHASE_ACCEPTED && !cp->in_transaction
                    && cp->connector == CONNECTOR_AVAILABLE;

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
          cp->inoperative_pending = inoperative;
          charger_reply (cp, id, status_only ("Scheduled"), action);
        }
      else
        {
          charger_reply (cp, id, status_only ("Accepted"), action);
          charger_set_connector (cp, inoperative ? CONNECTOR_UNAVAILABLE : CONNECTOR_AVAILABLE);
        }
    }
  else
    {
      g_autoptr (GError) unsupported =
        g_error_new (EV_OCPP_ERROR, EV_OCPP_ERROR_NOT_SUPPORTED,
                     _("%s is not supported by this simulated charger"), action);

      charger_reply_error (cp, id, unsupported);
    }
}

static guint
interval_of (JsonObject *payload)
{
  gint64 interval = json_object_get_int_member (payload, "interval");

  return interval > 0 ? (guint) MIN (interval, 86400) : DEFAULT_RETRY_S;
}

static void
handle_answer (Charger       *cp,
               EvOcppMessage *message,
               const char    *action)
{
  StationOcppFleet *fleet = cp->fleet;
  JsonObject *payload = ev_ocpp_message_get_payload (message);
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GError) error = NULL;

  fleet->calls_answered++;
  samples_add (&fleet->rtt, now - cp->call_sent_us);
  if (ev_ocpp_message_get_message_type (message) == EV_OCPP_MESSAGE_CALL_ERROR)
    {
      g_debug ("%s refused: %s", action, ev_ocpp_message_get_error_code (message));
      fleet->call_errors++;
      if (action == g_intern_static_string ("BootNotification"))
        cp->next_us = now + DEFAULT_RETRY_S * G_USEC_PER_SEC;
      return;
    }
  if (!ev_ocpp_schema_validate_message (fleet->schema, message, action, &error))
    {
      g_debug ("Invalid %s confirmation: %s", action, error->message);
      fleet->errors++;
      if (action == g_intern_static_string ("BootNotification"))
        cp->next_us = now + DEFAULT_RETRY_S * G_USEC_PER_SEC;
      return;
    }

  if (action == g_intern_static_string ("BootNotification"))
    {
      guint interval = interval_of (payload);

      if (g_str_equal (json_object_get_string_member (payload, "status"), "Accepted"))
        {
          cp->phase = PHASE_ACCEPTED;
          cp->heartbeat_s = interval;
          cp->heartbeat_us = now + interval * G_USEC_PER_SEC;
          if (!cp->booted_once)
            samples_add (&fleet->boot, now - fleet->started_us);
          cp->booted_once = TRUE;
          charger_set_connector (cp, cp->connector);
        }
      else
        cp->next_us = now + interval * G_USEC_PER_SEC;
    }
  else if (action == g_intern_static_string ("StartTransaction"))
    {
      JsonObject *info = json_object_get_object_member (payload, "idTagInfo");

      cp->transaction_id = (int) json_object_get_int_member (payload, "transactionId");
      if (!g_str_equal (json_object_get_string_member (info, "status"), "Accepted"))
        {
          cp->in_transaction = FALSE;
          charger_set_connector (cp, CONNECTOR_AVAILABLE);
          return;
        }
      fleet->transactions++;
      charger_set_connector (cp, CONNECTOR_CHARGING);
      cp->meter_us = now + fleet->config.meter_interval * G_USEC_PER_SEC;
      if (fleet->config.stop_after > 0)
        cp->stop_us = now + fleet->config.stop_after * G_USEC_PER_SEC;
    }
}

static void
message_cb (SoupWebsocketConnection *ws,
            int                      type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Charger *cp = user_data;
  g_autoptr (EvOcppMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *unique_id = NULL;
  EvOcppMessageType message_type = EV_OCPP_MESSAGE_NONE;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  message = ev_ocpp_message_decode (data, length, &message_type, &unique_id, &error);
  if (message == NULL)
    {
      /* Only a CALL is answered, and only when its id could be read. */
      if (message_type == EV_OCPP_MESSAGE_CALL && unique_id != NULL)
        charger_reply_error (cp, unique_id, error);
      else
        cp->fleet->errors++;
      return;
    }

  if (ev_ocpp_message_get_message_type (message) == EV_OCPP_MESSAGE_CALL)
    handle_call (cp, message);
  else if (cp->call_action != NULL)
    {
      g_autofree char *expected = g_strdup_printf ("%u", cp->call_id);
      const char *action = cp->call_action;

      if (!g_str_equal (ev_ocpp_message_get_unique_id (message), expected))
        {
          cp->fleet->errors++;
          return;
        }
      cp->call_action = NULL;
      handle_answer (cp, message, action);
      charger_send_next (cp);
    }
  else
    cp->fleet->errors++;
}

/* Connecting ----------------------------------------------------------------- */

static void
charger_drop (Charger *cp)
{
  if (cp->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (cp->ws, cp);
      g_clear_object (&cp->ws);
    }
  g_queue_clear_full (&cp->outbox, (GDestroyNotify) ev_ocpp_message_unref);
  cp->call_action = NULL;
  cp->phase = PHASE_IDLE;
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Charger *cp = user_data;

  if (cp->fleet->stopping)
    return;
  g_debug ("Link closed (code %u)", soup_websocket_connection_get_close_code (ws));
  cp->fleet->errors++;
  charger_drop (cp);
  cp->next_us = g_get_monotonic_time () + RECONNECT_US;
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Charger *cp = user_data;
  StationOcppFleet *fleet;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  /* Cancelled when the fleet is finalized: @cp is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  fleet = cp->fleet;
  fleet->handshakes--;
  if (ws == NULL)
    {
      g_debug ("Cannot connect: %s", error->message);
      fleet->errors++;
      cp->phase = PHASE_IDLE;
      cp->next_us = g_get_monotonic_time () + RECONNECT_US;
      return;
    }
  cp->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (message_cb), cp);
  g_signal_connect (ws, "closed", G_CALLBACK (closed_cb), cp);
  charger_boot (cp);
}

static void
charger_connect (Charger *cp)
{
  StationOcppFleet *fleet = cp->fleet;
  g_autofree char *id = cp_id (cp);
  g_autofree char *uri = g_strconcat (fleet->url, "/", id, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  const char *protocols[] = { "ocpp1.6", NULL };

  cp->phase = PHASE_CONNECTING;
  fleet->handshakes++;
  soup_session_websocket_connect_async (fleet->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, fleet->cancellable, connected_cb, cp);
}

/* The fleet's one timer ------------------------------------------------------ */

static void
charger_tick (Charger *cp,
              gint64   now,
              double   hours)
{
  StationOcppFleet *fleet = cp->fleet;

  if (cp->phase == PHASE_IDLE)
    {
      if (cp->next_us <= now && fleet->handshakes < MAX_HANDSHAKES)
        charger_connect (cp);
      return;
    }
  if (cp->phase == PHASE_CONNECTING)
    return;

  if (cp->call_action != NULL && now - cp->call_sent_us > CALL_TIMEOUT_US)
    {
      fleet->errors++;
      if (cp->call_action == g_intern_static_string ("BootNotification"))
        cp->next_us = now;
      cp->call_action = NULL;
      charger_send_next (cp);
    }
  if (cp->phase == PHASE_BOOTING)
    {
      if (cp->call_action == NULL && g_queue_is_empty (&cp->outbox) && cp->next_us <= now)
        charger_boot (cp);
      return;
    }

  if (cp->connector == CONNECTOR_CHARGING)
    cp->meter_wh += fleet->config.power_kw * 1000.0 * hours;
  if (now >= cp->heartbeat_us)
    {
      cp->heartbeat_us = now + cp->heartbeat_s * G_USEC_PER_SEC;
      charger_call (cp, "Heartbeat", json_object_new ());
    }
  if (cp->connector == CONNECTOR_CHARGING && now >= cp->meter_us)
    {
      cp->meter_us = now + fleet->config.meter_interval * G_USEC_PER_SEC;
      charger_meter_values (cp);
    }
  if (cp->connector == CONNECTOR_CHARGING && cp->stop_us != 0 && now >= cp->stop_us)
    charger_stop_transaction (cp, "Local");
}

static gboolean
tick_cb (gpointer user_data)
{
  StationOcppFleet *self = user_data;
  gint64 now = g_get_monotonic_time ();
  double hours = (now - self->last_tick_us) / (3600.0 * G_USEC_PER_SEC);

  self->last_tick_us = now;
  for (guint i = 0; i < self->config.count; i++)
    charger_tick (&self->chargers[i], now, hours);
  return G_SOURCE_CONTINUE;
}

/* Life ----------------------------------------------------------------------- */

/**
 * station_ocpp_fleet_config_init:
 * @config: a configuration to fill
 *
 * Fills @config with the defaults: one charger, prefix `OCPP`, 22 kW,
 * MeterValues every 10 s, no stop of its own.
 */
void
station_ocpp_fleet_config_init (StationOcppFleetConfig *config)
{
  *config = (StationOcppFleetConfig) {
    .url = NULL,
    .count = 1,
    .prefix = "OCPP",
    .power_kw = 22.0,
    .meter_interval = 10,
    .stop_after = 0,
  };
}

/**
 * station_ocpp_fleet_new:
 * @config: what the fleet does
 * @error: where to put why it cannot
 *
 * Makes a fleet of @config->count chargers, none connected yet.
 *
 * Returns: (transfer full): the fleet, or %NULL when @config->url is not
 *   a `ws://` or `wss://` URL.
 */
StationOcppFleet *
station_ocpp_fleet_new (const StationOcppFleetConfig  *config,
                        GError                       **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (StationOcppFleet) self = NULL;
  const char *scheme;

  g_return_val_if_fail (config->count > 0, NULL);

  uri = config->url != NULL ? g_uri_parse (config->url, G_URI_FLAGS_NONE, NULL) : NULL;
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0)
      || g_uri_get_host (uri) == NULL || g_uri_get_query (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a WebSocket URL such as ws://HOST:PORT/PATH"),
                   config->url != NULL ? config->url : "");
      return NULL;
    }

  self = g_object_new (STATION_TYPE_OCPP_FLEET, NULL);
  self->config = *config;
  self->url = g_strdup (config->url);
  if (g_str_has_suffix (self->url, "/"))
    self->url[strlen (self->url) - 1] = '\0';
  self->prefix = g_strdup (config->prefix);
  self->config.url = self->url;
  self->config.prefix = self->prefix;
  self->config.meter_interval = MAX (config->meter_interval, 1);
  self->schema = g_object_ref (ev_ocpp_schema_get_default ());
  self->session = soup_session_new_with_options ("max-conns", G_MAXINT,
                                                 "max-conns-per-host", G_MAXINT,
                                                 "timeout", 30,
                                                 NULL);
  /* A load tool talks to the CSMS it is given, never through a proxy. */
  soup_session_set_proxy_resolver (self->session, NULL);
  self->chargers = g_new0 (Charger, config->count);
  for (guint i = 0; i < config->count; i++)
    {
      self->chargers[i].fleet = self;
      self->chargers[i].index = i;
      g_queue_init (&self->chargers[i].outbox);
    }
  return g_steal_pointer (&self);
}

/**
 * station_ocpp_fleet_start:
 * @self: a fleet
 *
 * Starts connecting the chargers, at most 256 handshakes at once.
 */
void
station_ocpp_fleet_start (StationOcppFleet *self)
{
  g_return_if_fail (self->tick_id == 0);

  self->started_us = self->last_tick_us = g_get_monotonic_time ();
  self->tick_id = g_timeout_add (TICK_MS, tick_cb, self);
  tick_cb (self);
}

/**
 * station_ocpp_fleet_shutdown:
 * @self: a fleet
 *
 * Stops the timer and closes every link (code 1000, Normal Closure).
 */
void
station_ocpp_fleet_shutdown (StationOcppFleet *self)
{
  self->stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  for (guint i = 0; i < self->config.count; i++)
    {
      Charger *cp = &self->chargers[i];

      if (cp->ws != NULL && soup_websocket_connection_get_state (cp->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (cp->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
}

static void
station_ocpp_fleet_finalize (GObject *object)
{
  StationOcppFleet *self = STATION_OCPP_FLEET (object);

  self->stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  for (guint i = 0; self->chargers != NULL && i < self->config.count; i++)
    {
      charger_drop (&self->chargers[i]);
      g_free (self->chargers[i].id_tag);
    }
  g_free (self->chargers);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->schema);
  g_clear_pointer (&self->boot.samples, g_array_unref);
  g_clear_pointer (&self->rtt.samples, g_array_unref);
  g_free (self->url);
  g_free (self->prefix);
  G_OBJECT_CLASS (station_ocpp_fleet_parent_class)->finalize (object);
}

static void
station_ocpp_fleet_class_init (StationOcppFleetClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = station_ocpp_fleet_finalize;
}

static void
station_ocpp_fleet_init (StationOcppFleet *self)
{
  self->cancellable = g_cancellable_new ();
  self->boot.samples = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->rtt.samples = g_array_new (FALSE, FALSE, sizeof (guint32));
}

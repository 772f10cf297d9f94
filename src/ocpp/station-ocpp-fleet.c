/* station-ocpp-fleet.c: simulated OCPP 1.6-J chargers, each a libsoup
 * WebSocket client of a CSMS (StationOcppCharger), with one timer for the
 * whole fleet and its statistics. */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ev-json.h"
#include "ev-ocpp-keys.h"
#include "station-ocpp-charger.h"
#include "station-ocpp-fleet.h"

/* GIO's TLS runs each handshake in a thread of GLib's small shared pool,
 * which holds it for the whole exchange: beyond a few at once they queue
 * there and all slow down (bench/ocpp-tls-boot.py: 300 chargers
 * accepted in 42 s with 256 at once, 8 s with 8). */
#define MAX_TLS_HANDSHAKES 8

#define MAX_SAMPLES        65536

typedef struct {
  GArray  *samples;   /* guint32 µs, a reservoir of at most MAX_SAMPLES */
  guint64  seen;
  guint32  max;
} Samples;

struct _StationOcppFleet
{
  GObject             parent_instance;

  StationOcppFleetConfig config;
  StationOcppHost     host;
  char               *url;
  char               *prefix;
  char               *password;       /* every charger's key, or NULL */
  GHashTable         *keys;           /* CP id → its key, or NULL */
  StationOcppCharger *chargers;
  guint               tick_id;
  gint64              started_us;
  gint64              last_tick_us;

  Samples             boot;
  Samples             rtt;
};

G_DEFINE_FINAL_TYPE (StationOcppFleet, station_ocpp_fleet, G_TYPE_OBJECT)

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
      StationOcppCharger *cp = &self->chargers[i];

      connected += cp->phase >= STATION_OCPP_PHASE_BOOTING;
      accepted += cp->phase == STATION_OCPP_PHASE_ACCEPTED;
      charging += cp->connector == STATION_OCPP_CONNECTOR_CHARGING;
    }
  json_object_set_double_member (o, "t", (g_get_monotonic_time () - self->started_us) / 1e6);
  json_object_set_int_member (o, "count", self->config.count);
  json_object_set_int_member (o, "connected", connected);
  json_object_set_int_member (o, "accepted", accepted);
  json_object_set_int_member (o, "charging", charging);
  json_object_set_int_member (o, "calls_sent", self->host.calls_sent);
  json_object_set_int_member (o, "calls_answered", self->host.calls_answered);
  json_object_set_int_member (o, "call_errors", self->host.call_errors);
  json_object_set_int_member (o, "errors", self->host.errors);
  json_object_set_int_member (o, "transactions", self->host.transactions);
  json_object_set_int_member (o, "energy_wh", self->host.energy_wh);
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
  self->host.calls_sent = self->host.calls_answered = self->host.call_errors = 0;
  self->host.errors = self->host.transactions = self->host.energy_wh = 0;
}

static void
answered (StationOcppHost *host,
          gint64           rtt_us)
{
  StationOcppFleet *self = host->user_data;

  samples_add (&self->rtt, rtt_us);
}

static void
booted (StationOcppHost    *host,
        StationOcppCharger *cp,
        gint64              now_us)
{
  StationOcppFleet *self = host->user_data;

  samples_add (&self->boot, now_us - self->started_us);
}

/* The fleet's one timer ------------------------------------------------------ */

static gboolean
tick_cb (gpointer user_data)
{
  StationOcppFleet *self = user_data;
  gint64 now = g_get_monotonic_time ();
  double hours = (now - self->last_tick_us) / (3600.0 * G_USEC_PER_SEC);

  self->last_tick_us = now;
  for (guint i = 0; i < self->config.count; i++)
    station_ocpp_charger_tick (&self->chargers[i], now, hours);
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
  g_autoptr (StationOcppFleet) self = NULL;
  g_autoptr (GHashTable) keys = NULL;
  g_autoptr (GTlsDatabase) database = NULL;

  g_return_val_if_fail (config->count > 0, NULL);

  if (!station_ocpp_check_url (config->url, error))
    return NULL;
  if ((config->password != NULL && !ev_ocpp_validate_key (config->password, error)) ||
      (config->keys_file != NULL && (keys = ev_ocpp_keys_load (config->keys_file, error)) == NULL) ||
      (config->tls_ca != NULL && (database = g_tls_file_database_new (config->tls_ca, error)) == NULL))
    return NULL;

  self = g_object_new (STATION_TYPE_OCPP_FLEET, NULL);
  self->config = *config;
  self->password = g_strdup (config->password);
  self->keys = g_steal_pointer (&keys);
  self->config.password = self->password;
  self->config.keys_file = NULL;
  self->config.tls_ca = NULL;
  self->url = g_strdup (config->url);
  if (g_str_has_suffix (self->url, "/"))
    self->url[strlen (self->url) - 1] = '\0';
  self->prefix = g_strdup (config->prefix);
  self->config.url = self->url;
  self->config.prefix = self->prefix;
  self->config.meter_interval = MAX (config->meter_interval, 1);
  self->host.schema = g_object_ref (ev_ocpp_schema_get_default ());
  self->host.session = station_ocpp_session_new ();
  if (database != NULL)
    soup_session_set_tls_database (self->host.session, database);
  self->host.password = self->password;
  self->host.keys = self->keys;
  if (g_ascii_strncasecmp (self->url, "wss:", 4) == 0)
    self->host.max_handshakes = MAX_TLS_HANDSHAKES;
  self->host.url = self->url;
  self->host.prefix = self->prefix;
  self->host.digits = config->count > 99999 ? 7 : 5;
  self->host.model = "ev-station fleet";
  self->host.power_kw = config->power_kw;
  self->host.meter_interval = self->config.meter_interval;
  self->host.stop_after = config->stop_after;
  self->host.answered = answered;
  self->host.booted = booted;
  self->host.user_data = self;
  self->chargers = g_new0 (StationOcppCharger, config->count);
  for (guint i = 0; i < config->count; i++)
    station_ocpp_charger_init (&self->chargers[i], &self->host, i);
  return g_steal_pointer (&self);
}

/**
 * station_ocpp_fleet_start:
 * @self: a fleet
 *
 * Starts connecting the chargers, at most 256 handshakes at once (8 over
 * `wss://`).
 */
void
station_ocpp_fleet_start (StationOcppFleet *self)
{
  g_return_if_fail (self->tick_id == 0);

  self->started_us = self->last_tick_us = g_get_monotonic_time ();
  self->tick_id = g_timeout_add (STATION_OCPP_TICK_MS, tick_cb, self);
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
  self->host.stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  for (guint i = 0; i < self->config.count; i++)
    station_ocpp_charger_close (&self->chargers[i]);
}

static void
station_ocpp_fleet_finalize (GObject *object)
{
  StationOcppFleet *self = STATION_OCPP_FLEET (object);

  self->host.stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_cancellable_cancel (self->host.cancellable);
  g_clear_object (&self->host.cancellable);
  for (guint i = 0; self->chargers != NULL && i < self->config.count; i++)
    station_ocpp_charger_clear (&self->chargers[i]);
  g_free (self->chargers);
  if (self->host.session != NULL)
    soup_session_abort (self->host.session);
  g_clear_object (&self->host.session);
  g_clear_object (&self->host.schema);
  g_clear_pointer (&self->boot.samples, g_array_unref);
  g_clear_pointer (&self->rtt.samples, g_array_unref);
  g_free (self->url);
  g_free (self->prefix);
  g_free (self->password);
  g_clear_pointer (&self->keys, g_hash_table_unref);
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
  self->host.cancellable = g_cancellable_new ();
  self->boot.samples = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->rtt.samples = g_array_new (FALSE, FALSE, sizeof (guint32));
}

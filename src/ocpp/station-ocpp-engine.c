/* station-ocpp-engine.c: one simulated OCPP 1.6-J charger that people
 * see and drive (`ev-station engine --ocpp URL`): a StationOcppCharger
 * behind GObject properties and an `event` signal, for the engine window
 * and the headless front end. The conversation with the CSMS is the
 * charger's; this file only clocks it and tells what changed. */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "station-ocpp-charger.h"
#include "station-ocpp-engine.h"

struct _StationOcppEngine
{
  GObject             parent_instance;

  StationOcppHost     host;
  StationOcppCharger  charger;
  char               *url;
  char               *cp_id;
  guint               tick_id;
  gint64              last_tick_us;

  /* What the properties last said, to notify only changes. */
  guint8              phase;
  guint8              boot;
  guint8              connector;
  gboolean            plugged;
  gboolean            faulted;
  gboolean            in_transaction;
  gboolean            started;       /* transaction-started was emitted */
  int                 transaction_id;
  double              kwh;
};

G_DEFINE_FINAL_TYPE (StationOcppEngine, station_ocpp_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_CP_ID,
  PROP_LINK,
  PROP_BOOT,
  PROP_STATUS,
  PROP_PLUGGED,
  PROP_FAULTED,
  PROP_IN_TRANSACTION,
  PROP_ID_TAG,
  PROP_TRANSACTION_ID,
  PROP_KWH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint event_signal;

static void
emit (StationOcppEngine *self,
      const char        *name,
      JsonObject        *fields)
{
  ev_headless_emit (self, event_signal, name, fields);
}

static JsonObject *
transaction_fields (StationOcppEngine *self)
{
  StationOcppCharger *cp = &self->charger;
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "id_tag", cp->id_tag);
  json_object_set_int_member (fields, "transaction_id", cp->transaction_id);
  json_object_set_int_member (fields, "meter_start", cp->meter_start);
  return fields;
}

/* Compares the charger with what the properties last said; notifies and
 * emits the differences. Called after every tick, message and command. */
static void
follow_charger (StationOcppEngine *self)
{
  StationOcppCharger *cp = &self->charger;
  GObject *object = G_OBJECT (self);
  double kwh;

  g_object_freeze_notify (object);
  if (cp->phase != self->phase)
    {
      JsonObject *fields = json_object_new ();

      self->phase = cp->phase;
      json_object_set_string_member (fields, "link", station_ocpp_phase_to_string (cp->phase));
      emit (self, "link", fields);
      g_object_notify_by_pspec (object, properties[PROP_LINK]);
    }
  if (cp->boot != self->boot)
    {
      JsonObject *fields = json_object_new ();

      self->boot = cp->boot;
      json_object_set_string_member (fields, "status", station_ocpp_boot_to_string (cp->boot));
      emit (self, "boot", fields);
      g_object_notify_by_pspec (object, properties[PROP_BOOT]);
    }
  if (cp->connector != self->connector)
    {
      JsonObject *fields = json_object_new ();

      self->connector = cp->connector;
      json_object_set_string_member (fields, "status", station_ocpp_connector_to_string (cp->connector));
      emit (self, "status", fields);
      g_object_notify_by_pspec (object, properties[PROP_STATUS]);
    }
  if (cp->plugged != self->plugged)
    {
      self->plugged = cp->plugged;
      g_object_notify_by_pspec (object, properties[PROP_PLUGGED]);
    }
  if (cp->faulted != self->faulted)
    {
      self->faulted = cp->faulted;
      g_object_notify_by_pspec (object, properties[PROP_FAULTED]);
    }
  if (cp->in_transaction != self->in_transaction)
    {
      self->in_transaction = cp->in_transaction;
      g_object_notify_by_pspec (object, properties[PROP_IN_TRANSACTION]);
      g_object_notify_by_pspec (object, properties[PROP_ID_TAG]);
    }
  if (cp->transaction_id != self->transaction_id)
    {
      self->transaction_id = cp->transaction_id;
      g_object_notify_by_pspec (object, properties[PROP_TRANSACTION_ID]);
    }
  /* Started once the CSMS accepted it and the connector charges. */
  if (!self->started && cp->in_transaction && cp->connector == STATION_OCPP_CONNECTOR_CHARGING)
    {
      self->started = TRUE;
      emit (self, "transaction-started", transaction_fields (self));
    }
  else if (self->started && !cp->in_transaction)
    {
      JsonObject *fields = transaction_fields (self);

      self->started = FALSE;
      json_object_set_int_member (fields, "meter_stop", cp->meter_stop);
      json_object_set_int_member (fields, "energy_wh", cp->meter_stop - cp->meter_start);
      emit (self, "transaction-ended", fields);
    }
  kwh = cp->in_transaction ? (cp->meter_wh - cp->meter_start) / 1000.0
                           : (cp->meter_stop - cp->meter_start) / 1000.0;
  if (kwh != self->kwh)
    {
      self->kwh = kwh;
      g_object_notify_by_pspec (object, properties[PROP_KWH]);
    }
  g_object_thaw_notify (object);
}

static void
changed (StationOcppHost    *host,
         StationOcppCharger *cp)
{
  follow_charger (host->user_data);
}

static gboolean
tick_cb (gpointer user_data)
{
  StationOcppEngine *self = user_data;
  gint64 now = g_get_monotonic_time ();
  double hours = (now - self->last_tick_us) / (3600.0 * G_USEC_PER_SEC);

  self->last_tick_us = now;
  station_ocpp_charger_tick (&self->charger, now, hours);
  follow_charger (self);
  return G_SOURCE_CONTINUE;
}

/**
 * station_ocpp_engine_new:
 * @url: the charger's own URL, `ws://HOST:PORT/PATH/<CP_ID>`
 * @power_kw: its charging power
 * @meter_interval: seconds between two MeterValues
 * @error: where to say why @url will not do
 *
 * Returns: (transfer full): a charger not yet connected, or %NULL when
 *   @url is not a WebSocket URL ending with a CP id
 */
StationOcppEngine *
station_ocpp_engine_new (const char  *url,
                         double       power_kw,
                         guint        meter_interval,
                         GError     **error)
{
  StationOcppEngine *self;
  g_autofree char *cp_id = station_ocpp_url_cp_id (url, error);

  if (cp_id == NULL)
    return NULL;

  self = g_object_new (STATION_TYPE_OCPP_ENGINE, "url", url, NULL);
  self->host.power_kw = power_kw;
  self->host.meter_interval = MAX (meter_interval, 1);
  return self;
}

/**
 * station_ocpp_engine_start:
 * @self: a charger
 * @error: unused: connecting never fails at once, it retries
 *
 * Starts its clock; the first tick connects it and boots it.
 *
 * Returns: %TRUE
 */
gboolean
station_ocpp_engine_start (StationOcppEngine  *self,
                           GError            **error)
{
  g_return_val_if_fail (self->tick_id == 0, FALSE);

  {
    JsonObject *ready = json_object_new ();

    json_object_set_string_member (ready, "cp_id", self->cp_id);
    json_object_set_string_member (ready, "url", self->url);
    json_object_set_double_member (ready, "power_kw", self->host.power_kw);
    emit (self, "ready", ready);
  }
  self->last_tick_us = g_get_monotonic_time ();
  self->tick_id = g_timeout_add (STATION_OCPP_TICK_MS, tick_cb, self);
  tick_cb (self);
  return TRUE;
}

/**
 * station_ocpp_engine_shutdown:
 * @self: a charger
 *
 * Stops its clock and closes its link (code 1000, Normal Closure). A
 * transaction in progress is not ended: a real charger switched off
 * tells its CSMS nothing either.
 */
void
station_ocpp_engine_shutdown (StationOcppEngine *self)
{
  self->host.stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  station_ocpp_charger_close (&self->charger);
}

/* Controls ------------------------------------------------------------------- */

/**
 * station_ocpp_engine_plug:
 * @self: a charger
 * @error: where to say why not
 *
 * Returns: whether a vehicle could be plugged in (Preparing)
 */
gboolean
station_ocpp_engine_plug (StationOcppEngine  *self,
                          GError            **error)
{
  gboolean done = station_ocpp_charger_plug (&self->charger, error);

  follow_charger (self);
  return done;
}

/**
 * station_ocpp_engine_unplug:
 * @self: a charger
 * @error: where to say why not
 *
 * Returns: whether a vehicle was plugged in; its transaction ends
 */
gboolean
station_ocpp_engine_unplug (StationOcppEngine  *self,
                            GError            **error)
{
  gboolean done = station_ocpp_charger_unplug (&self->charger, error);

  follow_charger (self);
  return done;
}

/**
 * station_ocpp_engine_set_faulted:
 * @self: a charger
 * @faulted: whether its hardware fails (Faulted) or is repaired
 */
void
station_ocpp_engine_set_faulted (StationOcppEngine *self,
                                 gboolean           faulted)
{
  station_ocpp_charger_set_faulted (&self->charger, faulted);
  follow_charger (self);
}

/* Getters -------------------------------------------------------------------- */

const char *
station_ocpp_engine_get_url (StationOcppEngine *self)
{
  return self->url;
}

const char *
station_ocpp_engine_get_cp_id (StationOcppEngine *self)
{
  return self->cp_id;
}

/**
 * station_ocpp_engine_get_link:
 * @self: a charger
 *
 * Returns: `disconnected`, `connecting`, `booting` or `accepted`
 */
const char *
station_ocpp_engine_get_link (StationOcppEngine *self)
{
  return station_ocpp_phase_to_string (self->phase);
}

/**
 * station_ocpp_engine_get_boot:
 * @self: a charger
 *
 * Returns: (nullable): the CSMS's last answer to BootNotification
 */
const char *
station_ocpp_engine_get_boot (StationOcppEngine *self)
{
  return station_ocpp_boot_to_string (self->boot);
}

/**
 * station_ocpp_engine_get_status:
 * @self: a charger
 *
 * Returns: its connector's ChargePointStatus (`Available`, `Charging`, …)
 */
const char *
station_ocpp_engine_get_status (StationOcppEngine *self)
{
  return station_ocpp_connector_to_string (self->charger.connector);
}

gboolean
station_ocpp_engine_get_plugged (StationOcppEngine *self)
{
  return self->plugged;
}

gboolean
station_ocpp_engine_get_faulted (StationOcppEngine *self)
{
  return self->faulted;
}

gboolean
station_ocpp_engine_get_in_transaction (StationOcppEngine *self)
{
  return self->in_transaction;
}

/**
 * station_ocpp_engine_get_id_tag:
 * @self: a charger
 *
 * Returns: (nullable): the idTag of the transaction in progress
 */
const char *
station_ocpp_engine_get_id_tag (StationOcppEngine *self)
{
  return self->in_transaction ? self->charger.id_tag : NULL;
}

/**
 * station_ocpp_engine_get_transaction_id:
 * @self: a charger
 *
 * Returns: the CSMS's transactionId of the last transaction, 0 before one
 */
int
station_ocpp_engine_get_transaction_id (StationOcppEngine *self)
{
  return self->transaction_id;
}

/**
 * station_ocpp_engine_get_kwh:
 * @self: a charger
 *
 * Returns: the energy of the transaction in progress, or of the last one
 */
double
station_ocpp_engine_get_kwh (StationOcppEngine *self)
{
  return self->kwh;
}

/* Headless ------------------------------------------------------------------- */

static gboolean
act_command (gpointer         core,
             EvHeadlessCall  *call,
             GError         **error)
{
  StationOcppEngine *self = core;
  const char *word = call->words[0];

  if (g_str_equal (word, "plug"))
    return station_ocpp_engine_plug (self, error);
  if (g_str_equal (word, "unplug"))
    return station_ocpp_engine_unplug (self, error);
  station_ocpp_engine_set_faulted (self, g_str_equal (word, "ko"));
  return TRUE;
}

static gboolean
state_command (gpointer         core,
               EvHeadlessCall  *call,
               GError         **error)
{
  StationOcppEngine *self = core;
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "cp_id", self->cp_id);
  json_object_set_string_member (fields, "link", station_ocpp_engine_get_link (self));
  json_object_set_string_member (fields, "boot", station_ocpp_engine_get_boot (self));
  json_object_set_string_member (fields, "status", station_ocpp_engine_get_status (self));
  json_object_set_boolean_member (fields, "plugged", self->plugged);
  json_object_set_boolean_member (fields, "faulted", self->faulted);
  json_object_set_string_member (fields, "id_tag", station_ocpp_engine_get_id_tag (self));
  json_object_set_int_member (fields, "transaction_id", self->transaction_id);
  json_object_set_double_member (fields, "kwh", self->kwh);
  emit (self, "state", fields);
  return TRUE;
}

static const EvHeadlessCommand commands[] = {
  { "plug", 0, 0, act_command },
  { "unplug", 0, 0, act_command },
  { "ko", 0, 0, act_command },
  { "ok", 0, 0, act_command },
  { "state", 0, 0, state_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

static gboolean
headless_start (gpointer   core,
                GError   **error)
{
  return station_ocpp_engine_start (core, error);
}

static void
headless_shutdown (gpointer core)
{
  station_ocpp_engine_shutdown (core);
}

/**
 * station_ocpp_engine_run_headless:
 * @self: a charger not yet started
 *
 * Runs `ev-station engine --ocpp URL --headless`: the commands of
 * docs/cli.md on standard input, the charger's events as JSON lines.
 *
 * Returns: the exit status
 */
int
station_ocpp_engine_run_headless (StationOcppEngine *self)
{
  const EvHeadlessRole role = {
    .program = "ev-station engine",
    .start = headless_start,
    .shutdown = headless_shutdown,
    .event_to_json = NULL,
    .commands = commands,
  };

  return ev_headless_run (self, &role);
}

/* GObject -------------------------------------------------------------------- */

static void
station_ocpp_engine_constructed (GObject *object)
{
  StationOcppEngine *self = STATION_OCPP_ENGINE (object);

  G_OBJECT_CLASS (station_ocpp_engine_parent_class)->constructed (object);

  self->host.url = self->url;
  self->host.cancellable = g_cancellable_new ();
  self->host.schema = g_object_ref (ev_ocpp_schema_get_default ());
  self->host.session = station_ocpp_session_new ();
  self->host.model = "ev-station engine";
  self->host.changed = changed;
  self->host.user_data = self;
  station_ocpp_charger_init (&self->charger, &self->host, 0);
  self->cp_id = station_ocpp_charger_dup_id (&self->charger);
}

static void
station_ocpp_engine_finalize (GObject *object)
{
  StationOcppEngine *self = STATION_OCPP_ENGINE (object);

  self->host.stopping = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_cancellable_cancel (self->host.cancellable);
  station_ocpp_charger_clear (&self->charger);
  if (self->host.session != NULL)
    soup_session_abort (self->host.session);
  g_clear_object (&self->host.session);
  g_clear_object (&self->host.schema);
  g_clear_object (&self->host.cancellable);
  g_free (self->url);
  g_free (self->cp_id);
  G_OBJECT_CLASS (station_ocpp_engine_parent_class)->finalize (object);
}

static void
station_ocpp_engine_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  StationOcppEngine *self = STATION_OCPP_ENGINE (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_CP_ID:
      g_value_set_string (value, self->cp_id);
      break;
    case PROP_LINK:
      g_value_set_string (value, station_ocpp_engine_get_link (self));
      break;
    case PROP_BOOT:
      g_value_set_string (value, station_ocpp_engine_get_boot (self));
      break;
    case PROP_STATUS:
      g_value_set_string (value, station_ocpp_engine_get_status (self));
      break;
    case PROP_PLUGGED:
      g_value_set_boolean (value, self->plugged);
      break;
    case PROP_FAULTED:
      g_value_set_boolean (value, self->faulted);
      break;
    case PROP_IN_TRANSACTION:
      g_value_set_boolean (value, self->in_transaction);
      break;
    case PROP_ID_TAG:
      g_value_set_string (value, station_ocpp_engine_get_id_tag (self));
      break;
    case PROP_TRANSACTION_ID:
      g_value_set_int (value, self->transaction_id);
      break;
    case PROP_KWH:
      g_value_set_double (value, self->kwh);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_ocpp_engine_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  StationOcppEngine *self = STATION_OCPP_ENGINE (object);

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_ocpp_engine_class_init (StationOcppEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = station_ocpp_engine_constructed;
  object_class->finalize = station_ocpp_engine_finalize;
  object_class->get_property = station_ocpp_engine_get_property;
  object_class->set_property = station_ocpp_engine_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, ro);
  properties[PROP_LINK] = g_param_spec_string ("link", NULL, NULL, NULL, ro);
  properties[PROP_BOOT] = g_param_spec_string ("boot", NULL, NULL, NULL, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  properties[PROP_PLUGGED] = g_param_spec_boolean ("plugged", NULL, NULL, FALSE, ro);
  properties[PROP_FAULTED] = g_param_spec_boolean ("faulted", NULL, NULL, FALSE, ro);
  properties[PROP_IN_TRANSACTION] = g_param_spec_boolean ("in-transaction", NULL, NULL, FALSE, ro);
  properties[PROP_ID_TAG] = g_param_spec_string ("id-tag", NULL, NULL, NULL, ro);
  properties[PROP_TRANSACTION_ID] = g_param_spec_int ("transaction-id", NULL, NULL, G_MININT, G_MAXINT, 0, ro);
  properties[PROP_KWH] = g_param_spec_double ("kwh", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  event_signal = ev_headless_event_signal_new (STATION_TYPE_OCPP_ENGINE);
}

static void
station_ocpp_engine_init (StationOcppEngine *self)
{
  /* So that the first status is told too. */
  self->connector = G_MAXUINT8;
}

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "driver-core.h"
#include "driver-fleet-private.h"
#include "ev-headless.h"
#include "ev-protocol.h"

/* DriverFleet: many simulated drivers in one process, for load. One
 * EvBus (one producer, one reader consumer with no group) carries every
 * driver's requests and reads supply-res, supply-data2, supply-error and
 * cp-states from the beginning. Each driver follows its supply with the
 * same DriverFollow machine as the single driver; what the fleet adds is
 * the choice of who asks where, counters and latency histograms.
 *
 * It scales with the number of messages, not of drivers: requests are
 * paced by one timer, answer time-outs by one sweep over a queue in send
 * order, and choosing a free driver or a free ACTIVE CP is O(1) (arrays
 * with swap-removal). A message keyed by a driver that has nothing in
 * progress is not even parsed. */



G_DEFINE_FINAL_TYPE (DriverFleet, driver_fleet, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_COUNT,
  PROP_PREFIX,
  PROP_RATE,
  PROP_ANSWER_TIMEOUT,
  PROP_STATS_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
emit (DriverFleet *self,
      const char  *name,
      JsonObject  *fields)
{
  ev_headless_emit (self, signals[SIGNAL_EVENT], name, fields);
}

/* Ids ---------------------------------------------------------------------- */

static int
id_width (guint count)
{
  int digits = 1;

  for (guint n = count; n >= 10; n /= 10)
    digits++;
  return MAX (4, digits);
}

/**
 * driver_fleet_make_id:
 * @prefix: the prefix of every id
 * @count: how many drivers the fleet has
 * @n: which one, from 1
 *
 * Returns: (transfer full): the id of driver @n: @prefix and @n
 *   zero-padded to 4 digits, or as many as @count has
 */
char *
driver_fleet_make_id (const char *prefix,
                      guint       count,
                      guint       n)
{
  return g_strdup_printf ("%s%0*u", prefix, id_width (count), n);
}

/**
 * driver_fleet_check_prefix:
 * @prefix: the prefix of every id
 * @count: how many drivers
 * @error: return location for a #GError
 *
 * Returns: %TRUE if every id of the fleet is a valid driver id
 */
gboolean
driver_fleet_check_prefix (const char  *prefix,
                           guint        count,
                           GError     **error)
{
  g_autofree char *last = driver_fleet_make_id (prefix, count, count);

  if (!ev_protocol_is_valid_id (last))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The prefix “%s” does not make valid driver ids (the last would be “%s”): an id has "
                     "1–32 characters of A-Z a-z 0-9 . _ -"),
                   prefix, last);
      return FALSE;
    }
  return TRUE;
}

/* Listings ----------------------------------------------------------------- */

static void
list_idle (DriverFleet *self,
           FleetDriver *driver)
{
  guint index = driver - self->drivers;

  if (!driver_fleet_is_busy (driver))
    return;
  driver->idle_pos = self->idle->len;
  g_array_append_val (self->idle, index);
}

static void
unlist_idle (DriverFleet *self,
             FleetDriver *driver)
{
  guint pos = driver->idle_pos;
  guint last;

  if (driver_fleet_is_busy (driver))
    return;
  last = g_array_index (self->idle, guint, self->idle->len - 1);
  g_array_index (self->idle, guint, pos) = last;
  self->drivers[last].idle_pos = pos;
  g_array_set_size (self->idle, self->idle->len - 1);
  driver->idle_pos = NOT_LISTED;
}

/* A CP is free for a new request when it is ACTIVE and this fleet has
 * nothing in progress there. */
void
driver_fleet_update_free (DriverFleet *self,
                          FleetCp     *cp)
{
  gboolean is_free = cp->state == EV_CP_STATE_ACTIVE && !cp->taken;

  if (is_free && cp->free_pos == NOT_LISTED)
    {
      cp->free_pos = self->free_cps->len;
      g_ptr_array_add (self->free_cps, cp);
    }
  else if (!is_free && cp->free_pos != NOT_LISTED)
    {
      FleetCp *last = g_ptr_array_index (self->free_cps, self->free_cps->len - 1);

      g_ptr_array_index (self->free_cps, cp->free_pos) = last;
      last->free_pos = cp->free_pos;
      g_ptr_array_set_size (self->free_cps, self->free_cps->len - 1);
      cp->free_pos = NOT_LISTED;
    }
}

static void
fleet_cp_free (gpointer data)
{
  FleetCp *cp = data;

  g_free (cp->cp_id);
  g_free (cp);
}

void
driver_fleet_early_free (Early *early)
{
  g_clear_pointer (&early->data, ev_supply_data_free);
  g_clear_pointer (&early->error, ev_supply_error_free);
  g_free (early);
}

/* The driver's supply concluded (or was given up): the driver and its CP
 * are free again. */
void
driver_fleet_conclude (DriverFleet *self,
                       FleetDriver *driver)
{
  FleetCp *cp = g_hash_table_lookup (self->cps, driver_follow_get_cp_id (driver->follow));

  if (cp != NULL)
    {
      cp->taken = FALSE;
      driver_fleet_update_free (self, cp);
    }
  g_clear_pointer (&driver->early, driver_fleet_early_free);
  list_idle (self, driver);
}

/* Requests ----------------------------------------------------------------- */

static void
request_one (DriverFleet *self)
{
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *json = NULL;
  FleetDriver *driver;
  FleetCp *cp;
  Pending pending;
  gsize length;

  if (self->idle->len == 0 || self->free_cps->len == 0)
    {
      self->counters.skipped++;
      return;
    }

  driver = &self->drivers[g_array_index (self->idle, guint, g_rand_int_range (self->rand, 0, self->idle->len))];
  cp = g_ptr_array_index (self->free_cps, g_rand_int_range (self->rand, 0, self->free_cps->len));
  request_id = ev_protocol_new_uuid ();
  request = ev_supply_request_new (request_id, cp->cp_id, driver->follow->driver_id, EV_SUPPLY_ORIGIN_DRIVER);
  json = driver_core_sign_request (driver->key, request, &length, &error);
  if (json == NULL || !ev_bus_produce (self->bus, "supply-req", cp->cp_id, json, length, &error))
    {
      /* A full queue or a broker gone: the request did not leave. */
      if (self->produce_failures++ % 1000 == 0)
        g_message ("Cannot send a supply request (%u so far): %s", self->produce_failures, error->message);
      self->counters.skipped++;
      return;
    }

  /* An idle driver is never refused a request. */
  driver_follow_request (driver->follow, cp->cp_id, request_id, ev_protocol_now_ms (), NULL);
  driver->sent_us = g_get_monotonic_time ();
  g_clear_pointer (&driver->early, driver_fleet_early_free);
  unlist_idle (self, driver);
  cp->taken = TRUE;
  driver_fleet_update_free (self, cp);

  pending.index = driver - self->drivers;
  pending.sent_us = driver->sent_us;
  g_array_append_val (self->pending, pending);
  self->counters.requests++;
}

/* The time to the next request of a Poisson process of the rate. */
static gint64
next_gap_us (DriverFleet *self)
{
  return (gint64) (-log (1.0 - g_rand_double (self->rand)) / self->rate * G_USEC_PER_SEC);
}

static gboolean
pace_cb (gpointer user_data)
{
  DriverFleet *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (self->rate <= 0.0)
    return G_SOURCE_CONTINUE;

  /* After a stall, catch up on at most one second of requests. */
  self->next_arrival_us = MAX (self->next_arrival_us, now - G_USEC_PER_SEC);
  while (self->next_arrival_us <= now)
    {
      request_one (self);
      self->next_arrival_us += next_gap_us (self);
    }
  return G_SOURCE_CONTINUE;
}

/* Requests leave in send order and all wait the same time, so the
 * expired ones are always at the head of the queue. An entry whose driver
 * has been answered, or has asked again since, is dropped. */
static gboolean
sweep_cb (gpointer user_data)
{
  DriverFleet *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 timeout_us = (gint64) self->answer_timeout * 1000;

  while (self->pending_head < self->pending->len)
    {
      Pending *pending = &g_array_index (self->pending, Pending, self->pending_head);
      FleetDriver *driver = &self->drivers[pending->index];

      if (driver_fleet_is_busy (driver) && driver->sent_us == pending->sent_us &&
          driver_follow_get_phase (driver->follow) == DRIVER_PHASE_REQUESTED)
        {
          if (pending->sent_us + timeout_us > now)
            break;
          driver_follow_expire (driver->follow);
          self->counters.no_answer++;
          driver_fleet_conclude (self, driver);
        }
      self->pending_head++;
    }

  if (self->pending_head == self->pending->len)
    {
      g_array_set_size (self->pending, 0);
      self->pending_head = 0;
    }
  else if (self->pending_head > 4096 && self->pending_head * 2 > self->pending->len)
    {
      g_array_remove_range (self->pending, 0, self->pending_head);
      self->pending_head = 0;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
stats_cb (gpointer user_data)
{
  DriverFleet *self = user_data;

  emit (self, "stats", driver_fleet_stats_fields (self));
  return G_SOURCE_CONTINUE;
}

static void
arm_stats (DriverFleet *self)
{
  g_clear_handle_id (&self->stats_id, g_source_remove);
  if (self->started && self->stats_interval > 0)
    self->stats_id = g_timeout_add (self->stats_interval, stats_cb, self);
}

static void
arm_sweep (DriverFleet *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->started)
    self->sweep_id = g_timeout_add (CLAMP (self->answer_timeout / 10, 10, 250), sweep_cb, self);
}

/* Life --------------------------------------------------------------------- */

/**
 * driver_fleet_set_central_key:
 * @self: a fleet, not started
 * @key: (nullable) (transfer full): Central's public key, or %NULL to
 *   check nothing
 */
void
driver_fleet_set_central_key (DriverFleet *self,
                              EvVerifyKey *key)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * driver_fleet_start:
 * @self: a fleet
 * @error: return location for a #GError
 *
 * Connects to Kafka, emits `ready` and starts requesting supplies.
 *
 * Returns: %TRUE if the fleet runs
 */
gboolean
driver_fleet_start (DriverFleet  *self,
                    GError      **error)
{
  const char * const topics[] = { "cp-states", "supply-res", "supply-data2", "supply-error", NULL };
  g_autofree char *client_id = NULL;
  g_autoptr(EvBus) bus = NULL;
  JsonObject *fields;

  g_return_val_if_fail (DRIVER_IS_FLEET (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  client_id = g_strdup_printf ("ev-driver-fleet-%s", self->prefix);
  bus = ev_bus_new_reader (self->bootstrap, client_id, (const char * const *) self->kafka_overrides, error);
  if (bus == NULL || !ev_bus_check_broker (bus, error) || !ev_bus_subscribe (bus, topics, error))
    {
      if (bus != NULL)
        ev_bus_close (bus);
      return FALSE;
    }
  self->drivers = g_new0 (FleetDriver, self->count);
  g_array_set_size (self->idle, 0);
  for (guint i = 0; i < self->count; i++)
    {
      g_autofree char *driver_id = driver_fleet_make_id (self->prefix, self->count, i + 1);
      g_autofree char *dir = driver_core_default_state_dir (driver_id);
      g_autofree char *key_path = g_build_filename (dir, "signing.key", NULL);
      FleetDriver *driver = &self->drivers[i];

      /* Each driver signs with the key a driver of that id keeps, read
       * or made before the first request (not flushed to the disk: a
       * simulated driver's key is cheap to lose). */
      driver->key = ev_signing_key_load_or_create (key_path, FALSE, NULL, error);
      if (driver->key == NULL)
        {
          ev_bus_close (bus);
          return FALSE;
        }
      driver->follow = driver_follow_new (driver_id);
      driver->idle_pos = NOT_LISTED;
      g_hash_table_insert (self->by_id, driver->follow->driver_id, driver);
      list_idle (self, driver);
    }
  self->bus = g_steal_pointer (&bus);
  g_signal_connect (self->bus, "message", G_CALLBACK (driver_fleet_message_cb), self);

  self->started = TRUE;
  self->started_us = g_get_monotonic_time ();
  self->next_arrival_us = self->started_us + (self->rate > 0.0 ? next_gap_us (self) : 0);
  self->pace_id = g_timeout_add (PACE_TICK_MS, pace_cb, self);
  arm_sweep (self);
  arm_stats (self);

  fields = json_object_new ();
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_double_member (fields, "rate", self->rate);
  json_object_set_string_member (fields, "prefix", self->prefix);
  json_object_set_string_member (fields, "bootstrap", ev_bus_get_bootstrap (self->bus));
  emit (self, "ready", fields);
  g_message ("%u drivers %s… ready, %g requests/s", self->count, self->prefix, self->rate);
  return TRUE;
}

/**
 * driver_fleet_shutdown:
 * @self: a fleet
 *
 * Stops requesting and closes Kafka (what was produced is flushed).
 * Safe to call twice.
 */
void
driver_fleet_shutdown (DriverFleet *self)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));

  g_clear_handle_id (&self->pace_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->stats_id, g_source_remove);
  if (self->bus != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->bus, self);
      ev_bus_close (self->bus);
      g_clear_object (&self->bus);
    }
}

/* Properties --------------------------------------------------------------- */

guint
driver_fleet_get_count (DriverFleet *self)
{
  g_return_val_if_fail (DRIVER_IS_FLEET (self), 0);
  return self->count;
}

const char *
driver_fleet_get_prefix (DriverFleet *self)
{
  g_return_val_if_fail (DRIVER_IS_FLEET (self), NULL);
  return self->prefix;
}

double
driver_fleet_get_rate (DriverFleet *self)
{
  g_return_val_if_fail (DRIVER_IS_FLEET (self), 0.0);
  return self->rate;
}

/**
 * driver_fleet_set_rate:
 * @self: a fleet
 * @rate: requests per second for the whole fleet, 0 to pause
 *
 * Changes the pace at once: the next request comes after a gap drawn at
 * the new rate.
 */
void
driver_fleet_set_rate (DriverFleet *self,
                       double       rate)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));
  g_return_if_fail (rate >= 0.0 && rate <= DRIVER_FLEET_MAX_RATE);

  if (self->rate == rate)
    return;
  self->rate = rate;
  if (self->started && rate > 0.0)
    self->next_arrival_us = g_get_monotonic_time () + next_gap_us (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
}

guint
driver_fleet_get_answer_timeout (DriverFleet *self)
{
  g_return_val_if_fail (DRIVER_IS_FLEET (self), 0);
  return self->answer_timeout;
}

void
driver_fleet_set_answer_timeout (DriverFleet *self,
                                 guint        timeout_ms)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));
  g_return_if_fail (timeout_ms > 0);

  if (self->answer_timeout == timeout_ms)
    return;
  self->answer_timeout = timeout_ms;
  arm_sweep (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANSWER_TIMEOUT]);
}

guint
driver_fleet_get_stats_interval (DriverFleet *self)
{
  g_return_val_if_fail (DRIVER_IS_FLEET (self), 0);
  return self->stats_interval;
}

/**
 * driver_fleet_set_stats_interval:
 * @self: a fleet
 * @interval_ms: how often to emit `stats`, 0 for never
 */
void
driver_fleet_set_stats_interval (DriverFleet *self,
                                 guint        interval_ms)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));

  if (self->stats_interval == interval_ms)
    return;
  self->stats_interval = interval_ms;
  arm_stats (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATS_INTERVAL]);
}

/**
 * driver_fleet_new:
 * @bootstrap: the Kafka bootstrap servers
 * @kafka_overrides: (nullable) (array zero-terminated=1): librdkafka
 *   properties, `key=value`
 * @count: how many drivers, 1 to %DRIVER_FLEET_MAX_COUNT
 * @prefix: the prefix of their ids (driver_fleet_check_prefix())
 *
 * Returns: (transfer full): a fleet, not started
 */
DriverFleet *
driver_fleet_new (const char  *bootstrap,
                  char       **kafka_overrides,
                  guint        count,
                  const char  *prefix)
{
  return g_object_new (DRIVER_TYPE_FLEET,
                       "bootstrap", bootstrap,
                       "kafka-overrides", kafka_overrides,
                       "count", count,
                       "prefix", prefix,
                       NULL);
}

static void
driver_fleet_dispose (GObject *object)
{
  DriverFleet *self = DRIVER_FLEET (object);

  driver_fleet_shutdown (self);

  G_OBJECT_CLASS (driver_fleet_parent_class)->dispose (object);
}

static void
driver_fleet_finalize (GObject *object)
{
  DriverFleet *self = DRIVER_FLEET (object);

  g_hash_table_unref (self->by_id);
  for (guint i = 0; self->drivers != NULL && i < self->count; i++)
    {
      g_clear_pointer (&self->drivers[i].early, driver_fleet_early_free);
      g_clear_pointer (&self->drivers[i].key, ev_signing_key_free);
      driver_follow_free (self->drivers[i].follow);
    }
  g_free (self->drivers);
  g_array_unref (self->idle);
  g_ptr_array_unref (self->free_cps);
  g_hash_table_unref (self->cps);
  g_array_unref (self->pending);
  g_rand_free (self->rand);
  g_clear_pointer (&self->central_key, ev_verify_key_free);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->prefix);

  G_OBJECT_CLASS (driver_fleet_parent_class)->finalize (object);
}

static void
driver_fleet_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DriverFleet *self = DRIVER_FLEET (object);

  switch (prop_id)
    {
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_value_set_boxed (value, self->kafka_overrides);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, self->count);
      break;
    case PROP_PREFIX:
      g_value_set_string (value, self->prefix);
      break;
    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;
    case PROP_ANSWER_TIMEOUT:
      g_value_set_uint (value, self->answer_timeout);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, self->stats_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_fleet_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DriverFleet *self = DRIVER_FLEET (object);

  switch (prop_id)
    {
    case PROP_BOOTSTRAP:
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_KAFKA_OVERRIDES:
      self->kafka_overrides = g_value_dup_boxed (value);
      break;
    case PROP_COUNT:
      self->count = g_value_get_uint (value);
      break;
    case PROP_PREFIX:
      g_free (self->prefix);
      self->prefix = g_strdup (g_value_get_string (value) != NULL ? g_value_get_string (value)
                                                                : DRIVER_FLEET_DEFAULT_PREFIX);
      break;
    case PROP_RATE:
      driver_fleet_set_rate (self, g_value_get_double (value));
      break;
    case PROP_ANSWER_TIMEOUT:
      driver_fleet_set_answer_timeout (self, g_value_get_uint (value));
      break;
    case PROP_STATS_INTERVAL:
      driver_fleet_set_stats_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_fleet_class_init (DriverFleetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = driver_fleet_dispose;
  object_class->finalize = driver_fleet_finalize;
  object_class->get_property = driver_fleet_get_property;
  object_class->set_property = driver_fleet_set_property;

  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KAFKA_OVERRIDES] =
    g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, NULL, 1, DRIVER_FLEET_MAX_COUNT, 1,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PREFIX] =
    g_param_spec_string ("prefix", NULL, NULL, DRIVER_FLEET_DEFAULT_PREFIX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, NULL, 0.0, DRIVER_FLEET_MAX_RATE, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ANSWER_TIMEOUT] =
    g_param_spec_uint ("answer-timeout", NULL, NULL, 1, G_MAXUINT, DRIVER_FLEET_DEFAULT_ANSWER_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATS_INTERVAL] =
    g_param_spec_uint ("stats-interval", NULL, NULL, 0, G_MAXUINT, DRIVER_FLEET_DEFAULT_STATS_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DriverFleet::event:
   * @name: the event's name (`ready`, `stats`)
   * @fields: its members
   *
   * What the headless front end prints.
   */
  signals[SIGNAL_EVENT] = ev_headless_event_signal_new (G_TYPE_FROM_CLASS (klass));
}

static void
driver_fleet_init (DriverFleet *self)
{
  self->rate = 1.0;
  self->answer_timeout = DRIVER_FLEET_DEFAULT_ANSWER_TIMEOUT_MS;
  self->stats_interval = DRIVER_FLEET_DEFAULT_STATS_INTERVAL_MS;
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->idle = g_array_new (FALSE, FALSE, sizeof (guint));
  self->cps = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, fleet_cp_free);
  self->free_cps = g_ptr_array_new ();
  self->pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  self->rand = g_rand_new ();
}

#include "config.h"

#include "station-fleet-private.h"

static void cp_sync_machine (FleetCp *cp);

G_DEFINE_FINAL_TYPE (StationFleet, station_fleet, G_TYPE_OBJECT)

/**
 * station_fleet_config_init:
 * @config: the configuration to fill
 *
 * Fills @config with the defaults of `ev-station fleet`; @count is 0 and
 * @bootstrap %NULL, for the caller to set.
 */
void
station_fleet_config_init (StationFleetConfig *config)
{
  memset (config, 0, sizeof *config);
  config->prefix = STATION_FLEET_DEFAULT_PREFIX;
  config->central = STATION_FLEET_DEFAULT_CENTRAL;
  config->power_kw = STATION_DEFAULT_POWER_KW;
  config->auto_plug_ms = STATION_FLEET_DEFAULT_AUTO_PLUG_MS;
  config->auto_unplug_ms = STATION_FLEET_DEFAULT_AUTO_UNPLUG_MS;
  config->stats_interval_ms = STATION_FLEET_DEFAULT_STATS_INTERVAL_MS;
  config->status_interval_ms = STATION_MONITOR_DEFAULT_INTERVAL_MS;
  config->reconnect_min_ms = STATION_MONITOR_DEFAULT_RECONNECT_MIN_MS;
  config->reconnect_max_ms = STATION_MONITOR_DEFAULT_RECONNECT_MAX_MS;
}

void
fleet_schedule_fault (FleetCp *cp,
                      gint64   now)
{
  StationFleet *self = cp->fleet;
  double mean_ms;

  if (self->fault_rate <= 0.0)
    return;

  /* Faults of a CP come as a Poisson process: exponential gaps. */
  mean_ms = MS_PER_HOUR / self->fault_rate;
  cp->fault_at = now + 1 + (gint64) (-log (1.0 - g_rand_double (self->rand)) * mean_ms);
}

/* The engine side ------------------------------------------------------------ */

/* Publishes what the machine produced and counts what changed. */
static void
cp_sync_machine (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  g_autoptr(GPtrArray) output = station_machine_take_output (cp->machine);
  EvCpState state = station_machine_get_state (cp->machine);

  for (guint i = 0; i < output->len; i++)
    {
      EvSupplyData *data = g_ptr_array_index (output, i);
      g_autoptr(GError) error = NULL;
      gsize length = 0;
      g_autofree char *plain = ev_supply_data_to_json (data, &length);
      g_autofree char *json = NULL;

      /* Signed with the CP's key (docs/protocol.md): a CP has one from its
       * first auth, before any supply can start. */
      if (!cp->has_key)
        g_set_error_literal (&error, STATION_ERROR, STATION_ERROR_NO_KEY, "no key from Central");
      else
        json = ev_mac_message_sign (&cp->key, "supply-data", data->cp_id, plain, length, &length, &error);
      if (json == NULL || !ev_bus_produce (self->producer, "supply-data", data->cp_id, json, length, &error))
        {
          self->counters.errors++;
          g_debug ("Could not publish supply data of %s: %s", data->cp_id, error->message);
        }
      if (data->kind == EV_SUPPLY_DATA_TICKET)
        {
          self->counters.tickets++;
          station_finished_add (&cp->finished, data->supply_id);
        }
    }

  if (state == EV_CP_STATE_SUPPLYING && cp->state != EV_CP_STATE_SUPPLYING)
    self->counters.supplies++;
  cp->state = state;
}

StationMachine *
fleet_machine_new (StationFleet *self,
                   guint         index)
{
  StationMachine *machine = station_machine_new (&self->machine_config);
  g_autofree char *id = fleet_format_cp_id (self, index);

  station_machine_set_cp_id (machine, id);
  return machine;
}

static void
cp_fault (FleetCp *cp,
          gint64   now)
{
  StationFleet *self = cp->fleet;

  cp->faulty = !cp->faulty;
  station_machine_set_ko (cp->machine, cp->faulty, ev_protocol_now_ms ());
  if (cp->faulty)
    {
      self->counters.faults++;
      cp->fault_at = now + FAULT_MIN_MS + g_rand_int_range (self->rand, 0, FAULT_MAX_MS - FAULT_MIN_MS + 1);
    }
  else
    fleet_schedule_fault (cp, now);
  cp_sync_machine (cp);
}

/* Hands @directive to one engine, under the single engine's rules. A dead
 * engine reads nothing; a revived one starts afresh, and what it missed
 * has expired by then, as for a restarted engine. */
static gboolean
deliver_directive (FleetCp           *cp,
                   const EvDirective *directive,
                   gint64             now)
{
  if (cp == NULL || cp->engine_killed)
    return FALSE;

  station_directive_apply (cp->machine, &cp->finished, directive, now, NULL);
  cp_sync_machine (cp);
  fleet_cp_reschedule (cp);
  return TRUE;
}

static void
consumer_message_cb (EvBus        *bus,
                     EvBusMessage *msg,
                     gpointer      user_data)
{
  StationFleet *self = user_data;
  g_autoptr(EvDirective) directive = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : "";
  gint64 now = ev_protocol_now_ms ();
  gboolean matched = FALSE;

  if (ev_bus_message_verify (msg, self->central_key, &error))
    directive = ev_directive_from_json (text, length, &error);
  if (directive == NULL)
    {
      self->counters.errors++;
      g_debug ("Skipping a directive: %s", error->message);
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }

  if (g_str_equal (directive->target, EV_DIRECTIVE_TARGET_ALL))
    for (guint i = 0; i < self->count; i++)
      matched |= deliver_directive (&self->cps[i], directive, now);
  else
    matched = deliver_directive (fleet_find_cp (self, directive->target), directive, now);

  self->counters.directives += matched;
  ev_bus_message_done (bus, msg);
}

/* Everything due for one CP. */
static void
cp_due_cb (EvTimerWheelEntry *entry,
           gpointer           user_data)
{
  FleetCp *cp = (FleetCp *) entry;   /* the entry is the first member */
  gint64 now = fleet_now_ms ();

  if (cp->link == CP_LINK_IDLE && now >= cp->retry_at)
    {
      if (cp->fleet->n_joining < MAX_JOINING)
        fleet_cp_connect (cp, now);
      else
        fleet_queue_join (cp);
    }

  if (!cp->engine_killed)
    {
      gint64 deadline = station_machine_get_deadline (cp->machine);

      if (cp->fault_at > 0 && now >= cp->fault_at)
        cp_fault (cp, now);
      if (deadline >= 0 && fleet_epoch_to_monotonic_ms (deadline) <= now)
        {
          station_machine_tick (cp->machine, ev_protocol_now_ms ());
          cp_sync_machine (cp);
        }
    }

  if (cp->link == CP_LINK_UP && fleet_cp_session (cp) != NULL)
    fleet_send_status (cp, now);

  fleet_cp_update (cp);
}

static gboolean
stats_cb (gpointer user_data)
{
  StationFleet *self = user_data;

  fleet_emit (self, "stats", station_fleet_stats (self));
  return G_SOURCE_CONTINUE;
}

static void
seconds_cb (gpointer user_data)
{
  StationFleet *self = user_data;

  self->seconds_id = 0;
  ev_headless_quit ();
}

/* Starting and stopping ------------------------------------------------------ */

static gboolean
resolve_central (StationFleet  *self,
                 GError       **error)
{
  g_autoptr(GSocketAddress) address = station_parse_address (self->central, error);
  g_autoptr(GSocketConnectable) named = NULL;

  if (address == NULL)
    return FALSE;

  named = g_network_address_parse (self->central, 0, NULL);
  g_free (self->central_host);
  self->central_host = named != NULL ? g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (named)))
                                     : g_strdup (self->central);

  self->address_len = g_socket_address_get_native_size (address);
  return g_socket_address_to_native (address, &self->address, sizeof self->address, error);
}

/**
 * station_fleet_set_central_key:
 * @self: a fleet, not started
 * @key: (nullable) (transfer full): Central's public key, or %NULL to
 *   check nothing
 */
void
station_fleet_set_central_key (StationFleet *self,
                               EvVerifyKey  *key)
{
  g_return_if_fail (STATION_IS_FLEET (self));

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * station_fleet_start:
 * @self: a fleet
 * @error: return location for a #GError
 *
 * Raises the descriptor limit, connects to Kafka, creates every CP and
 * starts connecting them to Central (20 a millisecond, so that Central's
 * accept queue keeps up), then emits `ready`.
 *
 * Returns: %TRUE on success
 */
gboolean
station_fleet_start (StationFleet  *self,
                     GError       **error)
{
  const char * const topics[] = { "central-directives", NULL };
  g_autofree char *group = NULL;
  g_autofree char *client_id = NULL;
  JsonObject *fields;
  gint64 now;

  g_return_val_if_fail (STATION_IS_FLEET (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID, _("No Kafka bootstrap servers given"));
      return FALSE;
    }
  if (!resolve_central (self, error))
    return FALSE;

  ev_raise_fd_limit ();

  client_id = g_strdup_printf ("ev-fleet-%d", (int) getpid ());
  self->producer = ev_bus_new (self->bootstrap, NULL, client_id,
                               (const char * const *) self->kafka_overrides, error);
  if (self->producer == NULL)
    return FALSE;
  if (!ev_bus_check_broker (self->producer, error))
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  group = g_strconcat ("ev-fleet-", self->prefix, NULL);
  self->consumer = ev_bus_new (self->bootstrap, group, client_id,
                               (const char * const *) self->kafka_overrides, error);
  if (self->consumer == NULL || !ev_bus_subscribe (self->consumer, topics, error))
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->consumer, "message", G_CALLBACK (consumer_message_cb), self);

  self->links = ev_link_set_new (error);
  if (self->links == NULL)
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  /* Reads a link until it is empty, as a monitor does: what stays inside
   * GnuTLS wakes no epoll. */
  ev_link_set_set_read_limit (self->links, G_MAXSIZE);
  ev_link_set_set_timer_func (self->links, cp_due_cb, self);
  ev_link_set_attach (self->links, NULL);

  now = fleet_now_ms ();
  self->started_us = g_get_monotonic_time ();
  self->cps = g_new0 (FleetCp, self->count);
  self->queue = g_new (guint, self->count);
  for (guint i = 0; i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];

      cp->fleet = self;
      cp->machine = fleet_machine_new (self, i);
      cp->state = EV_CP_STATE_ACTIVE;
      station_monitor_machine_reset (&cp->monitor, &self->monitor_config);
      cp->retry_at = now + i / CONNECTS_PER_MS;
      station_finished_init (&cp->finished, STATION_FLEET_FINISHED_REMEMBERED);
      fleet_schedule_fault (cp, now);
      fleet_cp_reschedule (cp);
    }

  if (self->stats_interval_ms > 0)
    self->stats_id = g_timeout_add (self->stats_interval_ms, stats_cb, self);
  if (self->seconds > 0.0)
    self->seconds_id = g_timeout_add_once ((guint) MIN (self->seconds * 1000.0, G_MAXUINT), seconds_cb, self);
  self->started = TRUE;

  fields = json_object_new ();
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_string_member (fields, "prefix", self->prefix);
  json_object_set_string_member (fields, "central", self->central);
  json_object_set_boolean_member (fields, "tls", self->tls != NULL);
  json_object_set_string_member (fields, "bootstrap", self->bootstrap);
  fleet_emit (self, "ready", fields);
  return TRUE;
}

/**
 * station_fleet_shutdown:
 * @self: a fleet
 *
 * Ends every link (EOT), flushes Kafka and emits `summary` if it was
 * started. Idempotent.
 */
void
station_fleet_shutdown (StationFleet *self)
{
  g_autoptr(JsonObject) summary = NULL;

  g_return_if_fail (STATION_IS_FLEET (self));

  /* The summary describes the fleet as it ran, before its links close. */
  if (self->started)
    summary = station_fleet_stats (self);
  self->shutting_down = TRUE;
  g_clear_handle_id (&self->stats_id, g_source_remove);
  g_clear_handle_id (&self->seconds_id, g_source_remove);

  for (guint i = 0; self->cps != NULL && i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];

      /* An established link ends with EOT; fleet_cp_lost() closes it. */
      if (fleet_cp_session (cp) != NULL)
        ev_link_session_close (fleet_cp_session (cp));
      fleet_cp_lost (cp);
    }
  g_clear_pointer (&self->links, ev_link_set_unref);
  if (self->consumer != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->consumer, self);
      ev_bus_close (self->consumer);
      g_clear_object (&self->consumer);
    }
  if (self->producer != NULL)
    {
      ev_bus_close (self->producer);
      g_clear_object (&self->producer);
    }

  if (self->started)
    {
      self->started = FALSE;
      fleet_emit (self, "summary", g_steal_pointer (&summary));
    }
}

static void
station_fleet_dispose (GObject *object)
{
  StationFleet *self = STATION_FLEET (object);

  station_fleet_shutdown (self);

  G_OBJECT_CLASS (station_fleet_parent_class)->dispose (object);
}

static void
station_fleet_finalize (GObject *object)
{
  StationFleet *self = STATION_FLEET (object);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  for (guint i = 0; self->cps != NULL && i < self->count; i++)
    {
      station_machine_free (self->cps[i].machine);
      station_finished_clear (&self->cps[i].finished);
    }
  g_free (self->cps);
  g_free (self->queue);
  g_clear_pointer (&self->rand, g_rand_free);
  g_free (self->prefix);
  g_free (self->central);
  g_free (self->central_host);
  g_clear_pointer (&self->tls, ev_tls_client_unref);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->token_dir);

  G_OBJECT_CLASS (station_fleet_parent_class)->finalize (object);
}

static void
station_fleet_class_init (StationFleetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = station_fleet_dispose;
  object_class->finalize = station_fleet_finalize;

  /**
   * StationFleet::event:
   * @self: the fleet
   * @name: the event's name, as in the headless front end
   * @fields: its members, without "event"
   *
   * Everything that happens, for the headless front end.
   */
  fleet_signals[SIGNAL_EVENT] = ev_headless_event_signal_new (G_TYPE_FROM_CLASS (klass));
}

static void
station_fleet_init (StationFleet *self)
{
  self->rand = g_rand_new ();
}

/**
 * station_fleet_new:
 * @config: what to simulate; @count ≥ 1
 *
 * Returns: (transfer full): a fleet, not started
 */
StationFleet *
station_fleet_new (const StationFleetConfig *config)
{
  StationFleet *self;
  guint digits = 1;

  g_return_val_if_fail (config != NULL && config->count >= 1, NULL);
  g_return_val_if_fail (config->status_interval_ms > 0 && config->reconnect_min_ms > 0, NULL);

  self = g_object_new (STATION_TYPE_FLEET, NULL);
  self->count = config->count;
  self->prefix = g_strdup (config->prefix);
  self->central = g_strdup (config->central);
  self->tls = config->tls != NULL ? ev_tls_client_ref (config->tls) : NULL;
  self->bootstrap = g_strdup (config->bootstrap);
  self->kafka_overrides = g_strdupv ((char **) config->kafka_overrides);
  self->token_dir = config->token_dir != NULL ? g_strdup (config->token_dir)
                                              : station_monitor_default_token_dir ();
  self->fault_rate = config->fault_rate;
  station_machine_config_init (&self->machine_config);
  self->machine_config.power_kw = config->power_kw;
  self->machine_config.auto_plug_ms = config->auto_plug_ms;
  self->machine_config.auto_unplug_ms = config->auto_unplug_ms;
  self->machine_config.auto_unplug_kwh = config->auto_unplug_kwh;
  self->stats_interval_ms = config->stats_interval_ms;
  self->seconds = config->seconds;
  self->status_interval_ms = config->status_interval_ms;
  self->reconnect_min_ms = config->reconnect_min_ms;
  self->reconnect_max_ms = MAX (config->reconnect_max_ms, config->reconnect_min_ms);
  self->monitor_config = (StationMonitorMachineConfig) {
    .reconnect_min_ms = self->reconnect_min_ms,
    .reconnect_max_ms = self->reconnect_max_ms,
    .status_interval_ms = self->status_interval_ms,
    .jitter = STATUS_JITTER,
    .spread_first = TRUE,
    .hold_skipped = TRUE,
    .seed = g_random_int (),
  };

  for (guint n = config->count; n >= 10; n /= 10)
    digits++;
  self->id_width = MAX (digits, 5);
  return self;
}

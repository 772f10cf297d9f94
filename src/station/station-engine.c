#include "config.h"

#include "station-engine-private.h"

G_DEFINE_FINAL_TYPE (StationEngine, station_engine, G_TYPE_OBJECT)

/**
 * station_engine_shutdown:
 * @self: an engine
 *
 * Closes the monitor links and the listener, flushes Kafka. Idempotent.
 */
void
station_engine_shutdown (StationEngine *self)
{
  g_return_if_fail (STATION_IS_ENGINE (self));

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->links != NULL)
    engine_close_links (self);
  if (self->consumer != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->consumer, self);
      ev_bus_close (self->consumer);
      g_clear_object (&self->consumer);
    }
  if (self->bus != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->bus, self);
      ev_bus_close (self->bus);
      g_clear_object (&self->bus);
    }
  if (self->started)
    {
      self->started = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), engine_pspecs[PROP_STARTED]);
    }
}

static void
station_engine_constructed (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  G_OBJECT_CLASS (station_engine_parent_class)->constructed (object);

  if (self->listen == NULL)
    self->listen = g_strdup (STATION_ENGINE_DEFAULT_LISTEN);
  if (self->location == NULL)
    self->location = g_strdup (DEFAULT_LOCATION);
  if (self->state_dir == NULL)
    self->state_dir = station_engine_default_state_dir ();
  self->machine = station_machine_new (&self->config);
}

static void
station_engine_dispose (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  station_engine_shutdown (self);
  g_clear_pointer (&self->links, g_ptr_array_unref);

  G_OBJECT_CLASS (station_engine_parent_class)->dispose (object);
}

static void
station_engine_finalize (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  g_free (self->listen);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->location);
  g_free (self->state_dir);
  g_free (self->pairing_secret_file);
  if (self->pairing_secret != NULL)
    explicit_bzero (self->pairing_secret, strlen (self->pairing_secret));
  g_free (self->pairing_secret);
  /* Its handler goes with the engine (g_signal_connect_object). */
  g_clear_object (&self->supply);
  g_clear_pointer (&self->machine, station_machine_free);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->journal, station_journal_free);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  station_finished_clear (&self->finished);

  G_OBJECT_CLASS (station_engine_parent_class)->finalize (object);
}

static void
station_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  StationEngine *self = STATION_ENGINE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_value_set_string (value, self->listen);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_value_set_boxed (value, self->kafka_overrides);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_POWER_KW:
      g_value_set_double (value, self->config.power_kw);
      break;
    case PROP_PLUG_TIMEOUT:
      g_value_set_int64 (value, self->config.plug_timeout_ms);
      break;
    case PROP_PROGRESS_INTERVAL:
      g_value_set_int64 (value, self->config.progress_interval_ms);
      break;
    case PROP_AUTO_PLUG:
      g_value_set_int64 (value, self->config.auto_plug_ms);
      break;
    case PROP_AUTO_UNPLUG_AFTER:
      g_value_set_int64 (value, self->config.auto_unplug_ms);
      break;
    case PROP_AUTO_UNPLUG_KWH:
      g_value_set_double (value, self->config.auto_unplug_kwh);
      break;
    case PROP_MONITOR_GRACE:
      g_value_set_int64 (value, self->config.monitor_grace_ms);
      break;
    case PROP_STATE_DIR:
      g_value_set_string (value, self->state_dir);
      break;
    case PROP_PAIRING_SECRET_FILE:
      g_value_set_string (value, self->pairing_secret_file);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_CP_ID:
      g_value_set_string (value, station_engine_get_cp_id (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_KO:
      g_value_set_boolean (value, self->ko);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_SUPPLY_ID:
      g_value_set_string (value, station_engine_get_supply_id (self));
      break;
    case PROP_DRIVER_ID:
      g_value_set_string (value, station_engine_get_driver_id (self));
      break;
    case PROP_SUPPLY_PRICE:
      g_value_set_double (value, station_engine_get_supply_price (self));
      break;
    case PROP_KWH:
      g_value_set_double (value, station_engine_get_kwh (self));
      break;
    case PROP_AMOUNT:
      g_value_set_double (value, station_engine_get_amount (self));
      break;
    case PROP_MONITOR_CONNECTED:
      g_value_set_boolean (value, self->monitor_connected);
      break;
    case PROP_CENTRAL_REACHABLE:
      g_value_set_boolean (value, self->central_reachable);
      break;
    case PROP_BROKER_REACHABLE:
      g_value_set_boolean (value, self->broker_reachable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_engine_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  StationEngine *self = STATION_ENGINE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      self->listen = g_value_dup_string (value);
      break;
    case PROP_BOOTSTRAP:
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_KAFKA_OVERRIDES:
      self->kafka_overrides = g_value_dup_boxed (value);
      break;
    case PROP_LOCATION:
      self->location = g_value_dup_string (value);
      break;
    case PROP_POWER_KW:
      self->config.power_kw = g_value_get_double (value);
      break;
    case PROP_PLUG_TIMEOUT:
      self->config.plug_timeout_ms = g_value_get_int64 (value);
      break;
    case PROP_PROGRESS_INTERVAL:
      self->config.progress_interval_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_PLUG:
      self->config.auto_plug_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_UNPLUG_AFTER:
      self->config.auto_unplug_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_UNPLUG_KWH:
      self->config.auto_unplug_kwh = g_value_get_double (value);
      break;
    case PROP_MONITOR_GRACE:
      self->config.monitor_grace_ms = g_value_get_int64 (value);
      break;
    case PROP_STATE_DIR:
      self->state_dir = g_value_dup_string (value);
      break;
    case PROP_PAIRING_SECRET_FILE:
      self->pairing_secret_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_engine_class_init (StationEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = station_engine_constructed;
  object_class->dispose = station_engine_dispose;
  object_class->finalize = station_engine_finalize;
  object_class->get_property = station_engine_get_property;
  object_class->set_property = station_engine_set_property;

  engine_pspecs[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_KAFKA_OVERRIDES] =
    g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_LOCATION] =
    g_param_spec_string ("location", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_POWER_KW] =
    g_param_spec_double ("power-kw", NULL, NULL, 0.001, 10000.0, STATION_DEFAULT_POWER_KW, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_PLUG_TIMEOUT] =
    g_param_spec_int64 ("plug-timeout", NULL, NULL, 0, G_MAXINT32,
                        STATION_DEFAULT_PLUG_TIMEOUT_MS, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_PROGRESS_INTERVAL] =
    g_param_spec_int64 ("progress-interval", NULL, NULL, 1, G_MAXINT32,
                        STATION_DEFAULT_PROGRESS_INTERVAL_MS, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_AUTO_PLUG] =
    g_param_spec_int64 ("auto-plug", NULL, NULL, -1, G_MAXINT32, -1, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_AUTO_UNPLUG_AFTER] =
    g_param_spec_int64 ("auto-unplug-after", NULL, NULL, -1, G_MAXINT32, -1, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_AUTO_UNPLUG_KWH] =
    g_param_spec_double ("auto-unplug-kwh", NULL, NULL, 0.0, EV_PROTOCOL_KWH_MAX, 0.0, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_MONITOR_GRACE] =
    g_param_spec_int64 ("monitor-grace", NULL, NULL, 0, G_MAXINT32,
                        STATION_DEFAULT_MONITOR_GRACE_MS, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_STATE_DIR] =
    g_param_spec_string ("state-dir", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  engine_pspecs[PROP_PAIRING_SECRET_FILE] =
    g_param_spec_string ("pairing-secret-file", NULL, NULL, NULL, CONSTRUCT_FLAGS);

  engine_pspecs[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, READ_FLAGS);
  engine_pspecs[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, READ_FLAGS);
  engine_pspecs[PROP_CP_ID] =
    g_param_spec_string ("cp-id", NULL, NULL, NULL, READ_FLAGS);
  engine_pspecs[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_ACTIVE, READ_FLAGS);
  engine_pspecs[PROP_KO] =
    g_param_spec_boolean ("ko", NULL, NULL, FALSE, READ_FLAGS);
  engine_pspecs[PROP_PRICE] =
    g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  engine_pspecs[PROP_SUPPLY_ID] =
    g_param_spec_string ("supply-id", NULL, NULL, NULL, READ_FLAGS);
  engine_pspecs[PROP_DRIVER_ID] =
    g_param_spec_string ("driver-id", NULL, NULL, NULL, READ_FLAGS);
  engine_pspecs[PROP_SUPPLY_PRICE] =
    g_param_spec_double ("supply-price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  engine_pspecs[PROP_KWH] =
    g_param_spec_double ("kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  engine_pspecs[PROP_AMOUNT] =
    g_param_spec_double ("amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  engine_pspecs[PROP_MONITOR_CONNECTED] =
    g_param_spec_boolean ("monitor-connected", NULL, NULL, FALSE, READ_FLAGS);
  engine_pspecs[PROP_CENTRAL_REACHABLE] =
    g_param_spec_boolean ("central-reachable", NULL, NULL, FALSE, READ_FLAGS);
  engine_pspecs[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, READ_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, engine_pspecs);

  /**
   * StationEngine::event:
   * @self: the engine
   * @event: a #StationEvent
   *
   * Everything that happens, for the views.
   */
  engine_signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), STATION_TYPE_EVENT);
}

static void
station_engine_init (StationEngine *self)
{
  station_machine_config_init (&self->config);
  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, engine_pending_free);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  station_finished_init (&self->finished, STATION_FINISHED_REMEMBERED);
  self->state = EV_CP_STATE_ACTIVE;
}

/* Public API ----------------------------------------------------------------- */

/**
 * station_engine_set_central_key:
 * @self: an engine, not started
 * @key: (nullable) (transfer full): Central's public key (or its
 *   fingerprint), or %NULL to check nothing
 *
 * What the engine checks directives with: one not signed by Central is
 * skipped as invalid.
 */
void
station_engine_set_central_key (StationEngine *self,
                                EvVerifyKey   *key)
{
  g_return_if_fail (STATION_IS_ENGINE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * station_engine_get_central_key:
 * @self: an engine
 *
 * Returns: (nullable) (transfer none): the key directives are checked with
 */
EvVerifyKey *
station_engine_get_central_key (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->central_key;
}

/**
 * station_engine_start:
 * @self: an engine
 * @error: return location for a #GError
 *
 * Listens for the monitor and connects to Kafka, then emits `ready`.
 *
 * Returns: %TRUE on success
 */
gboolean
station_engine_start (StationEngine  *self,
                      GError        **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autofree char *client_id = NULL;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID, _("No Kafka bootstrap servers given"));
      return FALSE;
    }

  address = station_parse_address (self->listen, error);
  if (address == NULL)
    return FALSE;

  /* Off this machine, a monitor cannot read our default secret: the
   * operator must hand both the same one. */
  if (self->pairing_secret_file == NULL &&
      !g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address))))
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID,
                   _("Listening on %s, which is not a loopback address, needs a pairing secret "
                     "shared with the monitor (--pairing-secret-file)"), self->listen);
      return FALSE;
    }
  {
    g_autofree char *path = self->pairing_secret_file != NULL
      ? g_strdup (self->pairing_secret_file)
      : g_build_filename (self->state_dir, "pairing.secret", NULL);

    g_clear_pointer (&self->pairing_secret, g_free);
    self->pairing_secret = station_pairing_secret_ensure (path, error);
    if (self->pairing_secret == NULL)
      return FALSE;
  }

  client_id = g_strdup_printf ("ev-engine-%d", (int) getpid ());
  self->bus = ev_bus_new (self->bootstrap, NULL, client_id,
                          (const char * const *) self->kafka_overrides, error);
  if (self->bus == NULL)
    return FALSE;
  if (!ev_bus_check_broker (self->bus, error))
    {
      station_engine_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (engine_broker_reachable_cb), self);
  g_signal_connect (self->bus, "delivery-failed", G_CALLBACK (engine_delivery_failed_cb), self);

  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    {
      g_prefix_error (error, _("Cannot listen on %s: "), self->listen);
      station_engine_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (engine_incoming_cb), self);
  g_socket_service_start (self->service);

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->started = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), engine_pspecs[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), engine_pspecs[PROP_STARTED]);

  if (self->central_key == NULL)
    g_message (_("No public key of Central: directives cannot be checked, and anyone on the bus can "
                 "stop this charging point (give --central-key, or start Central once on this machine)"));
  engine_emit (self, STATION_EVENT_READY, NULL);
  return TRUE;
}

gboolean
station_engine_plug (StationEngine  *self,
                     GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);

  ok = station_machine_plug (self->machine, ev_protocol_now_ms (), error);
  engine_sync_machine (self);
  return ok;
}

gboolean
station_engine_unplug (StationEngine  *self,
                       GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);

  ok = station_machine_unplug (self->machine, ev_protocol_now_ms (), error);
  engine_sync_machine (self);
  return ok;
}

/**
 * station_engine_set_ko:
 * @self: an engine
 * @ko: %TRUE to simulate a fault, %FALSE to clear it
 *
 * A fault answers `health` with `ko` and ends any supply at once (ticket
 * with the energy so far, reason `engine-fault`).
 */
void
station_engine_set_ko (StationEngine *self,
                       gboolean       ko)
{
  g_return_if_fail (STATION_IS_ENGINE (self));

  station_machine_set_ko (self->machine, ko, ev_protocol_now_ms ());
  engine_sync_machine (self);
}

/**
 * station_engine_request_supply:
 * @self: a started engine bound to a CP
 * @driver_id: (nullable): the driver typed at the station, or %NULL for
 *   `station:<cp_id>`
 * @error: return location for a #GError
 *
 * Publishes a `supply-req` with origin `station`. Central answers with a
 * `start` directive, or a denial (the `denied` event).
 *
 * Returns: (transfer full) (nullable): the request id
 */
char *
station_engine_request_supply (StationEngine  *self,
                               const char     *driver_id,
                               GError        **error)
{
  const char *cp_id;
  g_autofree char *station_driver = NULL;
  g_autofree char *request_id = NULL;
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;
  StationEventData data = { 0 };

  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);

  cp_id = station_machine_get_cp_id (self->machine);
  if (!self->started || cp_id == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_NOT_BOUND,
                   _("The engine does not know its charging point id yet: start its monitor"));
      return NULL;
    }
  if (driver_id == NULL)
    driver_id = station_driver = ev_protocol_make_station_driver_id (cp_id);
  else if (!ev_protocol_validate_driver_id (driver_id, NULL, error))
    return NULL;

  request_id = ev_protocol_new_uuid ();
  request = ev_supply_request_new (request_id, cp_id, driver_id, EV_SUPPLY_ORIGIN_STATION);
  {
    g_autofree char *plain = ev_supply_request_to_json (request, &length);

    json = engine_authenticate (self, "supply-req", cp_id, plain, length, &length, error);
  }
  if (json == NULL || !ev_bus_produce (self->bus, "supply-req", cp_id, json, length, error))
    return NULL;

  g_hash_table_insert (self->requests, g_strdup (request->request_id), engine_pending_new (self, request));
  data.request = request;
  engine_emit (self, STATION_EVENT_REQUEST, &data);

  return g_steal_pointer (&request_id);
}

gboolean
station_engine_get_started (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->started;
}

guint
station_engine_get_port (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0);
  return self->port;
}

const char *
station_engine_get_listen (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->listen;
}

const char *
station_engine_get_bootstrap (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->bootstrap;
}

const char *
station_engine_get_location (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->location;
}

const char *
station_engine_get_state_dir (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->state_dir;
}

/**
 * station_engine_default_state_dir:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/engines`, where
 *   engines keep their journals unless told otherwise
 */
char *
station_engine_default_state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "engines", NULL);
}

double
station_engine_get_power_kw (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->config.power_kw;
}

const char *
station_engine_get_cp_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return station_machine_get_cp_id (self->machine);
}

EvCpState
station_engine_get_state (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), EV_CP_STATE_ACTIVE);
  return self->state;
}

gboolean
station_engine_get_ko (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->ko;
}

double
station_engine_get_price (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->price;
}

const char *
station_engine_get_supply_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->supply != NULL ? ev_supply_get_supply_id (self->supply) : NULL;
}

const char *
station_engine_get_driver_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->supply != NULL ? ev_supply_get_driver_id (self->supply) : NULL;
}

double
station_engine_get_supply_price (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->supply != NULL ? ev_supply_get_price (self->supply) : 0.0;
}

double
station_engine_get_kwh (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->supply != NULL ? ev_supply_get_kwh (self->supply) : 0.0;
}

double
station_engine_get_amount (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->supply != NULL ? ev_supply_get_amount (self->supply) : 0.0;
}

gboolean
station_engine_get_monitor_connected (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->monitor_connected;
}

gboolean
station_engine_get_central_reachable (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->central_reachable;
}

gboolean
station_engine_get_broker_reachable (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->broker_reachable;
}

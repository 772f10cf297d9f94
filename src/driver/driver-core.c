#include "config.h"

#include "driver-core-private.h"

G_DEFINE_FINAL_TYPE (DriverCore, driver_core, G_TYPE_OBJECT)

/**
 * driver_core_check_driver_id:
 * @driver_id: (nullable): what the user typed
 * @error: return location for a #GError
 *
 * A driver id is a plain protocol id; `station:<cp_id>` is kept for
 * requests typed at a station.
 *
 * Returns: %TRUE if @driver_id may be used by a driver
 */
gboolean
driver_core_check_driver_id (const char  *driver_id,
                             GError     **error)
{
  if (!ev_protocol_validate_driver_id (driver_id, "driver_id", error))
    return FALSE;
  if (ev_protocol_is_station_driver_id (driver_id))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                   _("“%s” is kept for requests made at a charging point: choose another driver id"),
                   driver_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * driver_core_default_state_dir:
 * @driver_id: a valid driver id
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/drivers/<id>`
 */
char *
driver_core_default_state_dir (const char *driver_id)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "drivers", driver_id, NULL);
}

static gint
compare_cps (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  return g_strcmp0 (ev_charging_point_get_cp_id ((EvChargingPoint *) a),
                    ev_charging_point_get_cp_id ((EvChargingPoint *) b));
}

/* cp-states is a latest-value-per-key topic read from the beginning: each
 * message replaces what the list says about its CP, in place. */
static void
forget_cp (DriverCore *self,
           const char *cp_id)
{
  EvChargingPoint *cp = g_hash_table_lookup (self->cp_index, cp_id);
  guint position;

  if (cp == NULL)
    return;
  if (g_list_store_find (self->cps, cp, &position))
    g_list_store_remove (self->cps, position);
  g_hash_table_remove (self->cp_index, cp_id);
}

static void
cp_state_cb (EvBus        *bus,
             EvBusMessage *msg,
             gpointer      user_data)
{
  DriverCore *self = user_data;
  GBytes *value = ev_bus_message_get_value (msg);
  g_autoptr(EvCpStateMessage) state = NULL;
  g_autoptr(GError) error = NULL;
  EvChargingPoint *cp;
  EvCpState previous = EV_CP_STATE_DISCONNECTED;
  gboolean known, changed;
  const char *data = "";
  gsize length = 0;

  if (!ev_bus_message_verify (msg, self->central_key, &error))
    {
      driver_invalid_message (self, bus, msg, error);
      return;
    }

  /* A tombstone (docs/protocol.md): Central forgot the CP. */
  if ((value == NULL || g_bytes_get_size (value) == 0) && ev_bus_message_get_key (msg) != NULL)
    {
      forget_cp (self, ev_bus_message_get_key (msg));
      ev_bus_message_done (bus, msg);
      return;
    }

  if (value != NULL)
    data = g_bytes_get_data (value, &length);
  state = ev_cp_state_message_from_json (data, length, &error);
  if (state == NULL)
    {
      driver_invalid_message (self, bus, msg, error);
      return;
    }

  cp = g_hash_table_lookup (self->cp_index, state->cp_id);
  known = cp != NULL;
  if (!known)
    {
      g_autoptr(EvChargingPoint) item = ev_charging_point_new (state->cp_id);

      cp = item;
      g_hash_table_insert (self->cp_index, g_strdup (state->cp_id), item);
      ev_charging_point_set_state (cp, state->state);
      if (state->location != NULL)
        ev_charging_point_set_location (cp, state->location);
      if (state->has_price)
        ev_charging_point_set_price (cp, state->price);
      g_list_store_insert_sorted (self->cps, item, compare_cps, NULL);
      changed = TRUE;
    }
  else
    {
      previous = ev_charging_point_get_state (cp);
      changed = previous != state->state ||
                (state->location != NULL && g_strcmp0 (state->location, ev_charging_point_get_location (cp)) != 0) ||
                (state->has_price && state->price != ev_charging_point_get_price (cp));
      ev_charging_point_set_state (cp, state->state);
      if (state->location != NULL)
        ev_charging_point_set_location (cp, state->location);
      if (state->has_price)
        ev_charging_point_set_price (cp, state->price);
    }

  if (changed)
    {
      DriverEventData event = { .charging_point = cp, .has_previous = known, .previous = previous };

      driver_emit (self, DRIVER_EVENT_CP_STATE, NULL, &event);
    }
  ev_bus_message_done (bus, msg);
}

static void
reachable_cb (EvBus      *bus,
              GParamSpec *pspec,
              gpointer    user_data)
{
  DriverCore *self = user_data;
  gboolean reachable = ev_bus_get_reachable (bus);
  DriverEventData data = { .reachable = reachable };

  if (reachable == self->reachable)
    return;
  self->reachable = reachable;
  g_object_notify_by_pspec (G_OBJECT (self), driver_core_pspecs[PROP_BROKER_REACHABLE]);
  driver_emit (self, DRIVER_EVENT_BROKER, NULL, &data);
}

static const char * const supply_topics[] = { "supply-res", "supply-data2", "supply-error", NULL };

static EvBus *
open_reader (DriverCore          *self,
             const char * const  *topics,
             GCallback            callback,
             GError             **error)
{
  g_autofree char *client_id = g_strdup_printf ("ev-driver-%s", self->driver_id);
  g_autoptr(EvBus) bus = NULL;

  bus = ev_bus_new_reader (self->bootstrap, client_id, (const char * const *) self->kafka_overrides, error);
  if (bus == NULL || !ev_bus_subscribe (bus, topics, error))
    return NULL;
  g_signal_connect (bus, "message", callback, self);
  return g_steal_pointer (&bus);
}

/* Lifecycle ---------------------------------------------------------------- */

static void
cps_loaded_cb (DriverCore *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), driver_core_pspecs[PROP_CHARGING_POINTS_LOADED]);
}

/**
 * driver_core_set_central_key:
 * @self: a core, not started
 * @key: (nullable) (transfer full): Central's public key (or its
 *   fingerprint), or %NULL to check nothing
 *
 * What the driver checks Central's messages with: a message not signed by
 * it is skipped as invalid.
 */
void
driver_core_set_central_key (DriverCore  *self,
                             EvVerifyKey *key)
{
  g_return_if_fail (DRIVER_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * driver_core_get_central_key:
 * @self: a core
 *
 * Returns: (nullable) (transfer none): the key Central's messages are
 *   checked with
 */
EvVerifyKey *
driver_core_get_central_key (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->central_key;
}

/**
 * driver_core_start:
 * @self: a core
 * @error: return location for a #GError
 *
 * Reads the saved state and history, connects to Kafka and starts
 * reading cp-states and the driver's topics. Emits `ready` first, then
 * `recovered` and `file-start` (resumed) when there is something to
 * resume.
 *
 * Returns: %TRUE on success
 */
gboolean
driver_core_start (DriverCore  *self,
                   GError     **error)
{
  g_autofree char *group = NULL;

  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (!driver_core_check_driver_id (self->driver_id, error))
    return FALSE;
  if (self->signing_key == NULL)
    {
      g_autofree char *key_path = g_build_filename (self->state_dir, "signing.key", NULL);

      self->signing_key = ev_signing_key_load_or_create (key_path, TRUE, NULL, error);
      if (self->signing_key == NULL)
        return FALSE;
    }

  group = g_strdup_printf ("ev-driver-%s", self->driver_id);
  self->bus = ev_bus_new (self->bootstrap, group, group, (const char * const *) self->kafka_overrides, error);
  if (self->bus == NULL || !ev_bus_check_broker (self->bus, error) ||
      !ev_bus_subscribe (self->bus, supply_topics, error))
    {
      g_clear_object (&self->bus);
      return FALSE;
    }
  g_signal_connect (self->bus, "message", G_CALLBACK (driver_supply_message_cb), self);
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (reachable_cb), self);

  {
    const char * const topics[] = { "cp-states", NULL };

    self->cp_reader = open_reader (self, topics, G_CALLBACK (cp_state_cb), error);
    if (self->cp_reader == NULL)
      {
        ev_bus_close (self->bus);
        g_clear_object (&self->bus);
        return FALSE;
      }
    g_signal_connect_swapped (self->cp_reader, "notify::caught-up", G_CALLBACK (cps_loaded_cb), self);
  }
  self->started = TRUE;

  if (self->central_key == NULL)
    g_message (_("No public key of Central: messages from Central cannot be checked, and anyone on "
                 "the bus can pass for it (give --central-key, or start Central once on this machine)"));
  driver_emit (self, DRIVER_EVENT_READY, NULL, NULL);

  driver_load_history (self);
  driver_load_state (self);
  driver_watch_supply (self, self->follow->supply);
  if (self->file != NULL)
    driver_notify_file (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->history)) > 0)
    {
      g_object_notify_by_pspec (G_OBJECT (self), driver_core_pspecs[PROP_TOTAL_KWH]);
      g_object_notify_by_pspec (G_OBJECT (self), driver_core_pspecs[PROP_TOTAL_AMOUNT]);
    }

  if (driver_phase_is_active (driver_core_get_phase (self)))
    {
      g_autoptr(GError) local_error = NULL;

      self->recovery = open_reader (self, supply_topics, G_CALLBACK (driver_supply_message_cb), &local_error);
      if (self->recovery == NULL)
        g_message ("Cannot read back the driver's topics: %s", local_error->message);
      if (driver_core_get_phase (self) == DRIVER_PHASE_REQUESTED)
        driver_arm_answer_timeout (self);
      driver_emit_supply (self, DRIVER_EVENT_RECOVERED, FALSE);
    }

  if (self->file != NULL)
    {
      DriverEventData data = { .resumed = TRUE, .paused = self->file->paused };

      driver_emit_file (self, DRIVER_EVENT_FILE_START, &data);
      driver_file_check (self);
    }
  return TRUE;
}

/**
 * driver_core_get_charging_points_loaded:
 * @self: a core
 *
 * Returns: whether the list holds every CP `cp-states` held when the
 *   driver started (#DriverCore:charging-points-loaded)
 */
gboolean
driver_core_get_charging_points_loaded (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->cp_reader != NULL && ev_bus_get_caught_up (self->cp_reader);
}

/**
 * driver_core_shutdown:
 * @self: a core
 *
 * Stops the timers and closes Kafka (flushing what is queued and
 * committing what is done). The saved state stays, so a new core with the
 * same driver id resumes. Safe to call twice.
 */
void
driver_core_shutdown (DriverCore *self)
{
  g_return_if_fail (DRIVER_IS_CORE (self));

  g_clear_handle_id (&self->answer_id, g_source_remove);
  g_clear_handle_id (&self->spacing_id, g_source_remove);
  g_clear_handle_id (&self->close_recovery_id, g_source_remove);
  driver_close_bus (self, &self->recovery);
  driver_close_bus (self, &self->cp_reader);
  driver_close_bus (self, &self->bus);
  self->started = FALSE;
}

/* Views -------------------------------------------------------------------- */

const char *
driver_core_get_driver_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->driver_id;
}

const char *
driver_core_get_bootstrap (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->bootstrap;
}

const char *
driver_core_get_state_dir (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->state_dir;
}

/**
 * driver_core_get_answer_timeout:
 * @self: a core
 *
 * Returns: how long Central's answer is awaited, in ms
 */
gint64
driver_core_get_answer_timeout (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->answer_timeout;
}

gboolean
driver_core_get_broker_reachable (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->reachable;
}

DriverPhase
driver_core_get_phase (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), DRIVER_PHASE_IDLE);
  return driver_follow_get_phase (self->follow);
}

const char *
driver_core_get_cp_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return driver_follow_get_cp_id (self->follow);
}

const char *
driver_core_get_request_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->request_id;
}

const char *
driver_core_get_supply_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return driver_follow_get_supply_id (self->follow);
}

const char *
driver_core_get_reason (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return driver_follow_get_reason (self->follow);
}

double
driver_core_get_price (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->supply != NULL ? ev_supply_get_price (self->follow->supply) : 0.0;
}

double
driver_core_get_kwh (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->supply != NULL ? ev_supply_get_kwh (self->follow->supply) : 0.0;
}

double
driver_core_get_amount (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->supply != NULL ? ev_supply_get_amount (self->follow->supply) : 0.0;
}

gint64
driver_core_get_started_at (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->follow->supply != NULL ? ev_supply_get_started_at (self->follow->supply) : 0;
}

gint64
driver_core_get_ended_at (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->follow->supply != NULL ? ev_supply_get_ended_at (self->follow->supply) : 0;
}

/**
 * driver_core_get_supply:
 * @self: a core
 *
 * Returns: (transfer none): the request followed now, as its machine has
 *   it; read-only, valid until the core's next change
 */
const DriverFollow *
driver_core_get_supply (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow;
}

/**
 * driver_core_get_current_supply:
 * @self: a core
 *
 * Returns: (transfer none) (nullable): the supply followed now, the one
 *   object its views, its history entry and the core's own properties
 *   follow; %NULL while idle. A new request brings a new one
 *   (#DriverCore:supply is notified).
 */
EvSupply *
driver_core_get_current_supply (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->supply;
}

char *
driver_core_dup_status_text (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return driver_follow_describe (self->follow);
}

/**
 * driver_core_get_charging_points:
 * @self: a core
 *
 * Returns: (transfer none): every CP seen on cp-states, sorted by id, as
 *   #EvChargingPoint items updated in place
 */
GListModel *
driver_core_get_charging_points (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->cps);
}

/**
 * driver_core_get_history:
 * @self: a core
 *
 * Returns: (transfer none): the driver's concluded supplies (tickets and
 *   supplies ended by an error), oldest first, as #EvSupply items
 */
GListModel *
driver_core_get_history (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

double
driver_core_get_total_kwh (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->total_kwh;
}

double
driver_core_get_total_amount (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->total_amount;
}

gboolean
driver_core_get_file_running (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->file != NULL;
}

const char *
driver_core_get_file_path (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->file != NULL ? self->file->path : NULL;
}

guint
driver_core_get_file_position (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->file != NULL ? self->file->index : 0;
}

guint
driver_core_get_file_total (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->file != NULL ? self->file->entries->len : 0;
}

gboolean
driver_core_get_file_paused (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->file != NULL && self->file->paused;
}

/* GObject ------------------------------------------------------------------ */

static void
driver_core_constructed (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  G_OBJECT_CLASS (driver_core_parent_class)->constructed (object);

  self->follow = driver_follow_new (self->driver_id);
  if (self->state_dir == NULL && self->driver_id != NULL)
    self->state_dir = driver_core_default_state_dir (self->driver_id);
}

static void
driver_core_dispose (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  driver_core_shutdown (self);
  if (self->cps != NULL)
    g_list_store_remove_all (self->cps);
  g_hash_table_remove_all (self->cp_index);

  G_OBJECT_CLASS (driver_core_parent_class)->dispose (object);
}

static void
driver_core_finalize (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  g_free (self->driver_id);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->state_dir);
  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  g_clear_pointer (&self->central_key, ev_verify_key_free);
  if (self->watched != NULL)
    g_signal_handlers_disconnect_by_data (self->watched, self);
  g_clear_object (&self->watched);
  driver_follow_free (self->follow);
  g_ptr_array_unref (self->early);
  g_queue_clear (&self->abandoned_order);
  g_hash_table_unref (self->abandoned);
  g_clear_object (&self->cps);
  g_hash_table_unref (self->cp_index);
  g_clear_object (&self->history);
  g_hash_table_unref (self->history_ids);
  driver_file_run_free (self->file);

  G_OBJECT_CLASS (driver_core_parent_class)->finalize (object);
}

static void
driver_core_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DriverCore *self = DRIVER_CORE (object);

  switch (prop_id)
    {
    case PROP_DRIVER_ID: g_value_set_string (value, self->driver_id); break;
    case PROP_BOOTSTRAP: g_value_set_string (value, self->bootstrap); break;
    case PROP_KAFKA_OVERRIDES: g_value_set_boxed (value, self->kafka_overrides); break;
    case PROP_STATE_DIR: g_value_set_string (value, self->state_dir); break;
    case PROP_ANSWER_TIMEOUT: g_value_set_int64 (value, self->answer_timeout); break;
    case PROP_FILE_SPACING: g_value_set_int64 (value, self->file_spacing); break;
    case PROP_BROKER_REACHABLE: g_value_set_boolean (value, self->reachable); break;
    case PROP_SUPPLY: g_value_set_object (value, self->follow->supply); break;
    case PROP_PHASE: g_value_set_enum (value, driver_core_get_phase (self)); break;
    case PROP_CP_ID: g_value_set_string (value, driver_core_get_cp_id (self)); break;
    case PROP_REQUEST_ID: g_value_set_string (value, self->follow->request_id); break;
    case PROP_SUPPLY_ID: g_value_set_string (value, driver_core_get_supply_id (self)); break;
    case PROP_REASON: g_value_set_string (value, driver_core_get_reason (self)); break;
    case PROP_PRICE: g_value_set_double (value, driver_core_get_price (self)); break;
    case PROP_KWH: g_value_set_double (value, driver_core_get_kwh (self)); break;
    case PROP_AMOUNT: g_value_set_double (value, driver_core_get_amount (self)); break;
    case PROP_STARTED_AT: g_value_set_int64 (value, driver_core_get_started_at (self)); break;
    case PROP_ENDED_AT: g_value_set_int64 (value, driver_core_get_ended_at (self)); break;
    case PROP_STATUS_TEXT: g_value_take_string (value, driver_follow_describe (self->follow)); break;
    case PROP_CHARGING_POINTS: g_value_set_object (value, self->cps); break;
    case PROP_CHARGING_POINTS_LOADED: g_value_set_boolean (value, driver_core_get_charging_points_loaded (self)); break;
    case PROP_HISTORY: g_value_set_object (value, self->history); break;
    case PROP_TOTAL_KWH: g_value_set_double (value, self->total_kwh); break;
    case PROP_TOTAL_AMOUNT: g_value_set_double (value, self->total_amount); break;
    case PROP_FILE_RUNNING: g_value_set_boolean (value, self->file != NULL); break;
    case PROP_FILE_PATH: g_value_set_string (value, driver_core_get_file_path (self)); break;
    case PROP_FILE_POSITION: g_value_set_uint (value, driver_core_get_file_position (self)); break;
    case PROP_FILE_TOTAL: g_value_set_uint (value, driver_core_get_file_total (self)); break;
    case PROP_FILE_PAUSED: g_value_set_boolean (value, driver_core_get_file_paused (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_core_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DriverCore *self = DRIVER_CORE (object);

  switch (prop_id)
    {
    case PROP_DRIVER_ID: self->driver_id = g_value_dup_string (value); break;
    case PROP_BOOTSTRAP: self->bootstrap = g_value_dup_string (value); break;
    case PROP_KAFKA_OVERRIDES: self->kafka_overrides = g_value_dup_boxed (value); break;
    case PROP_STATE_DIR: self->state_dir = g_value_dup_string (value); break;
    case PROP_ANSWER_TIMEOUT: self->answer_timeout = g_value_get_int64 (value); break;
    case PROP_FILE_SPACING: self->file_spacing = g_value_get_int64 (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_core_class_init (DriverCoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = driver_core_constructed;
  object_class->dispose = driver_core_dispose;
  object_class->finalize = driver_core_finalize;
  object_class->get_property = driver_core_get_property;
  object_class->set_property = driver_core_set_property;

  driver_core_pspecs[PROP_DRIVER_ID] = g_param_spec_string ("driver-id", NULL, NULL, NULL, construct);
  driver_core_pspecs[PROP_BOOTSTRAP] = g_param_spec_string ("bootstrap", NULL, NULL, NULL, construct);
  driver_core_pspecs[PROP_KAFKA_OVERRIDES] = g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, construct);
  /* Default: driver_core_default_state_dir(). */
  driver_core_pspecs[PROP_STATE_DIR] = g_param_spec_string ("state-dir", NULL, NULL, NULL, construct);
  driver_core_pspecs[PROP_ANSWER_TIMEOUT] =
    g_param_spec_int64 ("answer-timeout", NULL, NULL, 0, G_MAXINT32, DRIVER_DEFAULT_ANSWER_TIMEOUT_MS, construct);
  driver_core_pspecs[PROP_FILE_SPACING] =
    g_param_spec_int64 ("file-spacing", NULL, NULL, 0, G_MAXINT32, DRIVER_DEFAULT_FILE_SPACING_MS, construct);
  driver_core_pspecs[PROP_BROKER_REACHABLE] = g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  /* The supply followed now (#EvSupply), %NULL while idle: its views
   * bind through it; the figures below follow its notify signals. */
  driver_core_pspecs[PROP_SUPPLY] = g_param_spec_object ("supply", NULL, NULL, EV_TYPE_SUPPLY, readable);
  driver_core_pspecs[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL, DRIVER_TYPE_PHASE, DRIVER_PHASE_IDLE, readable);
  driver_core_pspecs[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_REQUEST_ID] = g_param_spec_string ("request-id", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_SUPPLY_ID] = g_param_spec_string ("supply-id", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_PRICE] = g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  driver_core_pspecs[PROP_KWH] = g_param_spec_double ("kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  driver_core_pspecs[PROP_AMOUNT] = g_param_spec_double ("amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  driver_core_pspecs[PROP_STARTED_AT] = g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  driver_core_pspecs[PROP_ENDED_AT] = g_param_spec_int64 ("ended-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  driver_core_pspecs[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_CHARGING_POINTS] =
    g_param_spec_object ("charging-points", NULL, NULL, G_TYPE_LIST_MODEL, readable);
  /* Every CP `cp-states` held at start is in the list (its reader read
   * it to its end once); until then the list is still loading. */
  driver_core_pspecs[PROP_CHARGING_POINTS_LOADED] =
    g_param_spec_boolean ("charging-points-loaded", NULL, NULL, FALSE, readable);
  driver_core_pspecs[PROP_HISTORY] = g_param_spec_object ("history", NULL, NULL, G_TYPE_LIST_MODEL, readable);
  driver_core_pspecs[PROP_TOTAL_KWH] = g_param_spec_double ("total-kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  driver_core_pspecs[PROP_TOTAL_AMOUNT] =
    g_param_spec_double ("total-amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  driver_core_pspecs[PROP_FILE_RUNNING] = g_param_spec_boolean ("file-running", NULL, NULL, FALSE, readable);
  driver_core_pspecs[PROP_FILE_PATH] = g_param_spec_string ("file-path", NULL, NULL, NULL, readable);
  driver_core_pspecs[PROP_FILE_POSITION] = g_param_spec_uint ("file-position", NULL, NULL, 0, G_MAXUINT, 0, readable);
  driver_core_pspecs[PROP_FILE_TOTAL] = g_param_spec_uint ("file-total", NULL, NULL, 0, G_MAXUINT, 0, readable);
  driver_core_pspecs[PROP_FILE_PAUSED] = g_param_spec_boolean ("file-paused", NULL, NULL, FALSE, readable);
  g_object_class_install_properties (object_class, N_PROPS, driver_core_pspecs);

  /**
   * DriverCore::event:
   * @self: the core
   * @event: a #DriverEvent
   *
   * Everything that happens, as it happens, for the views: the headless
   * front end prints each one (docs/cli.md, ev-driver), the window shows
   * news and request file results.
   */
  driver_core_signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), DRIVER_TYPE_EVENT);
}

static void
driver_core_init (DriverCore *self)
{
  self->answer_timeout = DRIVER_DEFAULT_ANSWER_TIMEOUT_MS;
  self->file_spacing = DRIVER_DEFAULT_FILE_SPACING_MS;
  self->early = g_ptr_array_new_with_free_func (driver_early_free);
  self->cps = g_list_store_new (EV_TYPE_CHARGING_POINT);
  self->cp_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->history = g_list_store_new (EV_TYPE_SUPPLY);
  self->history_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->abandoned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->abandoned_order);
}

/* driver-fleet-answers.c: what comes back to the fleet on Kafka: CP
 * states, and each driver's answer, progress, ticket or error. */

#include "config.h"

#include "driver-fleet-private.h"

/* Kafka -------------------------------------------------------------------- */

static void on_data  (DriverFleet        *self,
                      FleetDriver        *driver,
                      EvSupplyData       *data);
static void on_error (DriverFleet        *self,
                      FleetDriver        *driver,
                      EvSupplyError      *error);

static void
keep_early (FleetDriver   *driver,
            EvSupplyData  *data,
            EvSupplyError *error)
{
  if (driver_follow_get_phase (driver->follow) != DRIVER_PHASE_REQUESTED)
    {
      g_clear_pointer (&data, ev_supply_data_free);
      g_clear_pointer (&error, ev_supply_error_free);
      return;
    }
  g_clear_pointer (&driver->early, driver_fleet_early_free);
  driver->early = g_new0 (Early, 1);
  driver->early->data = data;
  driver->early->error = error;
}

static void
on_response (DriverFleet            *self,
             FleetDriver            *driver,
             const EvSupplyResponse *response)
{
  Early *early;

  if (driver_follow_on_response (driver->follow, response) == DRIVER_FOLLOW_IGNORED)
    return;

  driver_fleet_latency_add (&self->counters.response, g_get_monotonic_time () - driver->sent_us);
  if (response->status == EV_SUPPLY_STATUS_DENIED)
    {
      self->counters.denied++;
      self->counters.denials[MIN (response->reason, N_DENY_REASONS - 1)]++;
      driver_fleet_conclude (self, driver);
      return;
    }

  self->counters.authorized++;
  early = g_steal_pointer (&driver->early);
  if (early != NULL && early->data != NULL)
    on_data (self, driver, g_steal_pointer (&early->data));
  else if (early != NULL && early->error != NULL)
    on_error (self, driver, g_steal_pointer (&early->error));
  g_clear_pointer (&early, driver_fleet_early_free);
}

/* Takes @data. */
static void
on_data (DriverFleet  *self,
         FleetDriver  *driver,
         EvSupplyData *data)
{
  g_autoptr(EvSupplyData) owned = data;

  if (driver_follow_on_data (driver->follow, data) == DRIVER_FOLLOW_IGNORED)
    {
      if (data->kind == EV_SUPPLY_DATA_TICKET)
        keep_early (driver, g_steal_pointer (&owned), NULL);
      return;
    }

  if (data->source_ts > 0)
    driver_fleet_latency_add (&self->counters.progress_latency, g_get_real_time () - data->source_ts * 1000);
  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    {
      self->counters.progress++;
      return;
    }
  self->counters.tickets++;
  driver_fleet_conclude (self, driver);
}

/* Takes @error. */
static void
on_error (DriverFleet   *self,
          FleetDriver   *driver,
          EvSupplyError *error)
{
  g_autoptr(EvSupplyError) owned = error;

  if (driver_follow_on_error (driver->follow, error) == DRIVER_FOLLOW_IGNORED)
    {
      keep_early (driver, NULL, g_steal_pointer (&owned));
      return;
    }
  self->counters.errors++;
  self->counters.supply_errors[MIN (error->reason, N_ERROR_REASONS - 1)]++;
  driver_fleet_conclude (self, driver);
}

static void
on_cp_state (DriverFleet            *self,
             const EvCpStateMessage *msg)
{
  FleetCp *cp = g_hash_table_lookup (self->cps, msg->cp_id);

  if (cp == NULL)
    {
      cp = g_new0 (FleetCp, 1);
      cp->cp_id = g_strdup (msg->cp_id);
      cp->state = EV_CP_STATE_DISCONNECTED;
      cp->free_pos = NOT_LISTED;
      g_hash_table_insert (self->cps, cp->cp_id, cp);
    }
  if (cp->state == EV_CP_STATE_ACTIVE)
    self->cps_active--;
  cp->state = msg->state;
  if (cp->state == EV_CP_STATE_ACTIVE)
    self->cps_active++;
  driver_fleet_update_free (self, cp);
}

void
driver_fleet_message_cb (EvBus        *bus,
                         EvBusMessage *msg,
                         gpointer      user_data)
{
  DriverFleet *self = user_data;
  const char *topic = ev_bus_message_get_topic (msg);
  const char *key = ev_bus_message_get_key (msg);
  GBytes *value = ev_bus_message_get_value (msg);
  g_autoptr(GError) error = NULL;
  FleetDriver *driver = NULL;
  const char *data = "";
  gsize length = 0;

  if (!g_str_equal (topic, "cp-states"))
    {
      /* Keyed by driver id: another driver's messages, and ours while
       * nothing is in progress, are not even parsed. */
      driver = key != NULL ? g_hash_table_lookup (self->by_id, key) : NULL;
      if (driver == NULL || !driver_fleet_is_busy (driver))
        {
          ev_bus_message_done (bus, msg);
          return;
        }
    }

  if (!ev_bus_message_verify (msg, self->central_key, &error))
    {
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }
  if (value != NULL)
    data = g_bytes_get_data (value, &length);

  if (g_str_equal (topic, "cp-states"))
    {
      g_autoptr(EvCpStateMessage) state = ev_cp_state_message_from_json (data, length, &error);

      if (state != NULL)
        on_cp_state (self, state);
    }
  else if (g_str_equal (topic, "supply-res"))
    {
      g_autoptr(EvSupplyResponse) response = ev_supply_response_from_json (data, length, &error);

      if (response != NULL)
        on_response (self, driver, response);
    }
  else if (g_str_equal (topic, "supply-data2"))
    {
      EvSupplyData *supply_data = ev_supply_data_from_json (data, length, &error);

      if (supply_data != NULL)
        on_data (self, driver, supply_data);
    }
  else if (g_str_equal (topic, "supply-error"))
    {
      EvSupplyError *supply_error = ev_supply_error_from_json (data, length, &error);

      if (supply_error != NULL)
        on_error (self, driver, supply_error);
    }

  if (error != NULL)
    ev_bus_message_skip (bus, msg, error->message);
  else
    ev_bus_message_done (bus, msg);
}


/* station-monitor-central.c: the monitor's conversation with Central, as
 * its #StationMonitorMachine decides it: auth or register, statuses, the
 * token, the nonce and the CP key, and the events and properties that
 * show it. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-monitor-private.h"
#include "station-util.h"

static void central_act (StationMonitor        *self,
                         gboolean               was_up,
                         StationMonitorActions  actions,
                         const EvLinkResponse  *response);

gboolean
monitor_central_is_up (StationMonitor *self)
{
  return station_monitor_machine_is_up (&self->machine);
}

/* The machine's link changed (or gave a reason): show it. */
static void
central_link_changed (StationMonitor *self,
                      gboolean        was_up,
                      const char     *reason)
{
  StationEventData data = { .link = self->machine.link, .reason = (char *) reason };

  monitor_notify (self, PROP_CENTRAL_LINK);
  data.has_price = monitor_central_is_up (self) && self->has_price;
  data.price = self->price;
  monitor_emit (self, STATION_EVENT_CENTRAL, &data);

  if (was_up != monitor_central_is_up (self))
    {
      /* Report at once, and let the engine show it. */
      self->reported_once = FALSE;
      monitor_tell_engine (self);
    }
}

static void
set_price (StationMonitor *self,
           double          price)
{
  StationEventData data = { .has_price = TRUE, .price = price };

  if (self->has_price && self->price == price)
    return;

  self->price = price;
  self->has_price = TRUE;
  monitor_notify (self, PROP_PRICE);
  monitor_emit (self, STATION_EVENT_PRICE, &data);

  if (self->engine_connected)
    monitor_send_request (self, &self->engine, ev_link_request_new_price (price), NULL);
}

/* What Central's last answer said of the operator's approval. */
static void
set_approval_pending (StationMonitor *self,
                      gboolean        pending)
{
  StationEventData data = { .up = pending };

  if (self->approval_pending == pending)
    return;
  self->approval_pending = pending;
  monitor_notify (self, PROP_APPROVAL_PENDING);
  monitor_emit (self, STATION_EVENT_APPROVAL, &data);
}

/* The key Central issued the CP goes to the engine, which signs its Kafka
 * messages with it (docs/protocol.md, "Charging-point keys"). */
static void
set_cp_key (StationMonitor *self,
            const char     *key)
{
  if (key == NULL || g_strcmp0 (key, self->cp_key) == 0)
    return;

  g_free (self->cp_key);
  self->cp_key = g_strdup (key);
  if (self->engine_connected)
    monitor_send_request (self, &self->engine, ev_link_request_new_key (self->cp_id, self->cp_key), NULL);
}

static void
keep_token (StationMonitor *self,
            const char     *token)
{
  g_autoptr(GError) error = NULL;

  if (!station_token_save (self->token_dir, self->cp_id, token, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not keep the token of %s: %s"),
                                                  self->cp_id, error->message);
      monitor_emit_error (self, message);
      return;
    }
  station_nonce_forget (self->token_dir, self->cp_id);
  g_clear_pointer (&self->nonce, g_free);
}

static void
central_response (StationMonitor *self,
                  EvLinkResponse *response,
                  const GError   *error)
{
  gboolean was_up = monitor_central_is_up (self);

  central_act (self, was_up,
               station_monitor_machine_response (&self->machine, &self->machine_config, response,
                                                 g_get_monotonic_time () / 1000),
               response);
}

static void
send_register (StationMonitor *self)
{
  if (self->location == NULL)
    {
      /* Wait for the engine to say where it is (monitor_central_located()). */
      g_debug ("Waiting for the engine's location before registering %s", self->cp_id);
      station_monitor_machine_sending (&self->machine, STATION_MONITOR_REQUEST_NONE);
      return;
    }

  /* The same nonce until the token is kept: a repeat after a lost answer
   * is then answered again (docs/protocol.md). */
  if (self->nonce == NULL)
    self->nonce = station_nonce_ensure (self->token_dir, self->cp_id);
  station_monitor_machine_sending (&self->machine, STATION_MONITOR_REQUEST_REGISTER);
  monitor_send_request (self, &self->central,
                        ev_link_request_new_register_with_nonce (self->cp_id, self->location, self->nonce),
                        central_response);
}

/* With the stored token, or by registering when there is none. */
static void
authenticate (StationMonitor *self)
{
  g_autofree char *token = station_token_load (self->token_dir, self->cp_id);

  if (token == NULL)
    {
      send_register (self);
      return;
    }
  station_monitor_machine_sending (&self->machine, STATION_MONITOR_REQUEST_AUTH);
  monitor_send_request (self, &self->central, ev_link_request_new_auth (self->cp_id, token), central_response);
}

static void
report_status (StationMonitor *self)
{
  EvCpState state = station_monitor_state_to_report (self->engine_health, self->engine_state);

  monitor_send_request (self, &self->central, ev_link_request_new_status (state, self->engine_health),
                        central_response);

  if (!self->reported_once || self->engine_health != self->reported_health || state != self->reported_state)
    {
      StationEventData data = { .state = state, .health = self->engine_health };

      monitor_emit (self, STATION_EVENT_STATUS, &data);
    }
  self->reported_once = TRUE;
  self->reported_health = self->engine_health;
  if (state != self->reported_state)
    {
      self->reported_state = state;
      monitor_notify (self, PROP_REPORTED_STATE);
    }
}

static void
status_due_cb (gpointer user_data)
{
  StationMonitor *self = user_data;

  self->status_id = 0;
  central_act (self, monitor_central_is_up (self),
               station_monitor_machine_tick (&self->machine, &self->machine_config,
                                             g_get_monotonic_time () / 1000), NULL);
}

/* The status timer follows the machine's deadline. */
static void
rearm_status (StationMonitor *self)
{
  gint64 deadline = station_monitor_machine_get_deadline (&self->machine);

  g_clear_handle_id (&self->status_id, g_source_remove);
  if (deadline < 0 || !self->started)
    return;
  deadline -= g_get_monotonic_time () / 1000;
  self->status_id = g_timeout_add_once (CLAMP (deadline, 0, G_MAXINT32), status_due_cb, self);
}

static void
say_why (StationMonitor        *self,
         StationMonitorActions  actions,
         const EvLinkResponse  *response)
{
  g_autofree char *message = NULL;

  if (actions.refused)
    message = g_strdup_printf (_("Central refused charging point %s: %s"), self->cp_id, actions.reason);
  else if (actions.other_link)
    message = g_strdup_printf (_("Central says charging point %s is connected on another link; trying again"),
                               self->cp_id);
  else if (actions.failed && response != NULL)
    g_message ("Central answered status with %s (%s)", ev_link_status_to_string (response->status),
               ev_link_reason_to_string (response->reason));
  else if (actions.send == STATION_MONITOR_REQUEST_REGISTER)
    g_message ("Central does not know %s: registering it again", self->cp_id);
  if (message != NULL)
    monitor_emit_error (self, message);
}

/* Does what the machine says, in the order of the actions' fields. */
static void
central_act (StationMonitor        *self,
             gboolean               was_up,
             StationMonitorActions  actions,
             const EvLinkResponse  *response)
{
  say_why (self, actions, response);
  if (actions.keep_token)
    keep_token (self, response->token);
  if (actions.accepted && response->has_price)
    set_price (self, response->price);
  if (actions.take_key)
    set_cp_key (self, response->cp_key);
  if (actions.accepted)
    set_approval_pending (self, response->pending);
  if (actions.link_changed)
    central_link_changed (self, was_up, actions.reason);

  switch (actions.send)
    {
    case STATION_MONITOR_REQUEST_AUTH:
      authenticate (self);
      break;
    case STATION_MONITOR_REQUEST_REGISTER:
      send_register (self);
      break;
    case STATION_MONITOR_REQUEST_STATUS:
      report_status (self);
      break;
    case STATION_MONITOR_REQUEST_NONE:
    default:
      break;
    }
  if (actions.close && self->central.link != NULL)
    ev_link_close (self->central.link);
  rearm_status (self);
}

/* Connecting to Central. */
void
monitor_central_connecting (StationMonitor *self)
{
  gboolean was_up = monitor_central_is_up (self);

  central_act (self, was_up, station_monitor_machine_connecting (&self->machine), NULL);
}

/* The link to Central is open. */
void
monitor_central_established (StationMonitor *self)
{
  central_act (self, FALSE,
               station_monitor_machine_established (&self->machine, g_get_monotonic_time () / 1000), NULL);
}

/* The engine said where the CP is: a CP without a token registers now. */
void
monitor_central_located (StationMonitor *self)
{
  if (self->central.link != NULL && !monitor_central_is_up (self) &&
      self->machine.request == STATION_MONITOR_REQUEST_NONE)
    authenticate (self);
}

/* What Central was told changed: it hears of it at once. */
void
monitor_central_changed (StationMonitor *self)
{
  central_act (self, monitor_central_is_up (self),
               station_monitor_machine_changed (&self->machine, g_get_monotonic_time () / 1000), NULL);
}

/* The link to Central went away, or never came. Returns: after how long
 * to connect again, ms. */
guint
monitor_central_lost (StationMonitor *self,
                      const char     *reason)
{
  gboolean was_up = monitor_central_is_up (self);
  guint delay = station_monitor_machine_lost (&self->machine, &self->machine_config);

  g_clear_handle_id (&self->status_id, g_source_remove);
  if (self->machine.link != STATION_CENTRAL_LINK_DENIED)
    central_link_changed (self, was_up, reason);
  return delay;
}

void
monitor_central_stop (StationMonitor *self)
{
  g_clear_handle_id (&self->status_id, g_source_remove);
}

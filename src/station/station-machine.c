#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-machine.h"

G_DEFINE_QUARK (station-error-quark, station_error)

#define MS_PER_HOUR 3600000.0

struct _StationMachine
{
  StationMachineConfig config;
  char *cp_id;

  gboolean ko;
  gboolean stopped;
  gint64 monitor_lost_at;     /* -1 while the monitor is linked */

  /* The supply, from authorisation to its ticket. */
  char *supply_id;
  char *driver_id;
  double price;
  gboolean plugged;
  gint64 authorized_at;
  gint64 started_at;
  gint64 next_progress;
  guint seq;
  double kwh;

  GPtrArray *output;
};

/**
 * station_machine_config_init:
 * @config: the configuration to fill
 *
 * Fills @config with the defaults: 22 kW, 60 s to plug in, progress every
 * second, 5 s without a monitor, no simulation.
 */
void
station_machine_config_init (StationMachineConfig *config)
{
  config->power_kw = STATION_DEFAULT_POWER_KW;
  config->plug_timeout_ms = STATION_DEFAULT_PLUG_TIMEOUT_MS;
  config->progress_interval_ms = STATION_DEFAULT_PROGRESS_INTERVAL_MS;
  config->auto_plug_ms = -1;
  config->auto_unplug_ms = -1;
  config->auto_unplug_kwh = 0.0;
  config->monitor_grace_ms = STATION_DEFAULT_MONITOR_GRACE_MS;
}

StationMachine *
station_machine_new (const StationMachineConfig *config)
{
  StationMachine *self = g_new0 (StationMachine, 1);

  g_return_val_if_fail (config != NULL && config->power_kw > 0.0, NULL);
  g_return_val_if_fail (config->progress_interval_ms > 0, NULL);

  self->config = *config;
  self->monitor_lost_at = -1;
  self->output = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  return self;
}

static void
clear_supply (StationMachine *self)
{
  g_clear_pointer (&self->supply_id, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  self->price = 0.0;
  self->plugged = FALSE;
  self->authorized_at = 0;
  self->started_at = 0;
  self->next_progress = 0;
  self->seq = 0;
  self->kwh = 0.0;
}

void
station_machine_free (StationMachine *self)
{
  if (self == NULL)
    return;

  clear_supply (self);
  g_free (self->cp_id);
  g_ptr_array_unref (self->output);
  g_free (self);
}

void
station_machine_set_cp_id (StationMachine *self,
                           const char     *cp_id)
{
  g_free (self->cp_id);
  self->cp_id = g_strdup (cp_id);
}

const char *
station_machine_get_cp_id (StationMachine *self)
{
  return self->cp_id;
}

EvCpState
station_machine_get_state (StationMachine *self)
{
  if (self->ko)
    return EV_CP_STATE_BROKEN;
  if (self->stopped)
    return EV_CP_STATE_STOPPED;
  if (self->supply_id != NULL)
    return self->plugged ? EV_CP_STATE_SUPPLYING : EV_CP_STATE_WAITING;
  return EV_CP_STATE_ACTIVE;
}

gboolean
station_machine_get_ko (StationMachine *self)
{
  return self->ko;
}

gboolean
station_machine_get_stopped (StationMachine *self)
{
  return self->stopped;
}

const char *
station_machine_get_supply_id (StationMachine *self)
{
  return self->supply_id;
}

const char *
station_machine_get_driver_id (StationMachine *self)
{
  return self->driver_id;
}

double
station_machine_get_supply_price (StationMachine *self)
{
  return self->price;
}

double
station_machine_get_kwh (StationMachine *self)
{
  return self->kwh;
}

double
station_machine_get_amount (StationMachine *self)
{
  return self->kwh * self->price;
}

guint
station_machine_get_seq (StationMachine *self)
{
  return self->seq;
}

gint64
station_machine_get_started_at (StationMachine *self)
{
  return self->started_at;
}

/* Energy is the power times the real time elapsed since the plug; it is
 * measured only forward, so a clock that steps back never lowers it. */
static void
meter (StationMachine *self,
       gint64          now_ms)
{
  double kwh;

  if (!self->plugged || now_ms <= self->started_at)
    return;

  kwh = self->config.power_kw * (double) (now_ms - self->started_at) / MS_PER_HOUR;
  if (kwh > self->kwh)
    self->kwh = kwh;
}

static EvSupplyData *
queue_data (StationMachine   *self,
            EvSupplyDataKind  kind,
            gint64            now_ms)
{
  EvSupplyData *data;

  meter (self, now_ms);
  self->seq++;
  data = station_machine_snapshot (self);
  data->kind = kind;
  g_ptr_array_add (self->output, data);
  return data;
}

/**
 * station_machine_snapshot:
 * @self: a machine
 *
 * The supply in progress as its last progress message said it (or, before
 * any, with `seq` 0 and no energy), without metering anything new: what
 * the engine's journal keeps.
 *
 * Returns: (transfer full) (nullable): a progress message, not queued;
 *   %NULL when there is no supply
 */
EvSupplyData *
station_machine_snapshot (StationMachine *self)
{
  EvSupplyData *data;

  if (self->supply_id == NULL)
    return NULL;

  data = ev_supply_data_new (EV_SUPPLY_DATA_PROGRESS, self->supply_id, self->cp_id, self->driver_id, self->seq);
  data->kwh = self->kwh;
  data->amount = self->kwh * self->price;
  data->price = self->price;
  data->started_at = self->plugged ? self->started_at : self->authorized_at;
  return data;
}

/* Ends the supply, if any, with its ticket. */
static void
finish (StationMachine *self,
        EvTicketReason  reason,
        gint64          now_ms)
{
  EvSupplyData *ticket;

  if (self->supply_id == NULL)
    return;

  ticket = queue_data (self, EV_SUPPLY_DATA_TICKET, now_ms);
  ticket->ended_at = MAX (now_ms, ticket->started_at);
  ticket->reason = reason;
  clear_supply (self);
}

static gboolean
check_available (StationMachine  *self,
                 GError         **error)
{
  if (self->ko)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_BROKEN, _("The engine is out of service (KO)"));
      return FALSE;
    }
  if (self->stopped)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_STOPPED, _("The charging point is stopped by Central"));
      return FALSE;
    }
  return TRUE;
}

gboolean
station_machine_start (StationMachine  *self,
                       const char      *supply_id,
                       const char      *driver_id,
                       double           price,
                       gint64           now_ms,
                       GError         **error)
{
  g_return_val_if_fail (supply_id != NULL && driver_id != NULL, FALSE);

  if (self->cp_id == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_NOT_BOUND,
                   _("The engine does not know its charging point id yet"));
      return FALSE;
    }
  if (!check_available (self, error))
    return FALSE;
  if (self->supply_id != NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_BUSY,
                   _("Supply %s is already in progress"), self->supply_id);
      return FALSE;
    }
  if (!(price >= 0.0))
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID, _("Invalid price"));
      return FALSE;
    }

  self->supply_id = g_strdup (supply_id);
  self->driver_id = g_strdup (driver_id);
  self->price = price;
  self->authorized_at = now_ms;
  return TRUE;
}

gboolean
station_machine_cancel (StationMachine *self,
                        const char     *supply_id)
{
  if (self->supply_id == NULL || self->plugged || g_strcmp0 (supply_id, self->supply_id) != 0)
    return FALSE;

  clear_supply (self);
  return TRUE;
}

gboolean
station_machine_plug (StationMachine  *self,
                      gint64           now_ms,
                      GError         **error)
{
  if (!check_available (self, error))
    return FALSE;
  if (self->supply_id == NULL || self->plugged)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_NOT_WAITING,
                   self->plugged ? _("The vehicle is already plugged in")
                                 : _("No supply is authorised: request one first"));
      return FALSE;
    }

  self->plugged = TRUE;
  self->started_at = now_ms;
  self->next_progress = now_ms + self->config.progress_interval_ms;
  return TRUE;
}

gboolean
station_machine_unplug (StationMachine  *self,
                        gint64           now_ms,
                        GError         **error)
{
  if (!self->plugged)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_NOT_SUPPLYING, _("No vehicle is plugged in"));
      return FALSE;
    }

  finish (self, EV_TICKET_REASON_UNPLUGGED, now_ms);
  return TRUE;
}

void
station_machine_stop (StationMachine *self,
                      gint64          now_ms)
{
  finish (self, EV_TICKET_REASON_STOPPED_BY_CENTRAL, now_ms);
  self->stopped = TRUE;
}

void
station_machine_resume (StationMachine *self)
{
  self->stopped = FALSE;
}

void
station_machine_set_ko (StationMachine *self,
                        gboolean        ko,
                        gint64          now_ms)
{
  if (ko)
    finish (self, EV_TICKET_REASON_ENGINE_FAULT, now_ms);
  self->ko = ko;
}

/**
 * station_machine_set_monitor:
 * @self: a machine
 * @linked: whether a monitor is linked to the engine now
 * @now_ms: the time
 *
 * A supply in progress (authorised or supplying) ends with `monitor-lost`
 * once the monitor has been gone for the grace time: an authorised
 * supply then has 0 kWh, and its ticket says why rather than blame the
 * driver with `not-plugged`. A machine never told of a monitor assumes
 * one.
 */
void
station_machine_set_monitor (StationMachine *self,
                             gboolean        linked,
                             gint64          now_ms)
{
  if (linked)
    self->monitor_lost_at = -1;
  else if (self->monitor_lost_at < 0)
    self->monitor_lost_at = now_ms;
}

static gint64
monitor_lost_deadline (StationMachine *self)
{
  if (self->monitor_lost_at < 0)
    return G_MAXINT64;
  return self->monitor_lost_at + self->config.monitor_grace_ms;
}

static gint64
auto_unplug_at (StationMachine *self)
{
  gint64 at = G_MAXINT64;

  if (self->config.auto_unplug_ms >= 0)
    at = self->started_at + self->config.auto_unplug_ms;
  if (self->config.auto_unplug_kwh > 0.0)
    {
      /* Rounded up so that the energy has been reached at that time. */
      gint64 ms = (gint64) (self->config.auto_unplug_kwh / self->config.power_kw * MS_PER_HOUR + 0.999);
      at = MIN (at, self->started_at + ms);
    }
  return at;
}

/**
 * station_machine_get_deadline:
 * @self: a machine
 *
 * Returns: when station_machine_tick() has something to do (ms since the
 *   epoch), or -1 when only an input can change anything
 */
gint64
station_machine_get_deadline (StationMachine *self)
{
  gint64 at;

  if (self->supply_id == NULL)
    return -1;

  if (!self->plugged)
    {
      at = self->authorized_at + self->config.plug_timeout_ms;
      if (self->config.auto_plug_ms >= 0)
        at = MIN (at, self->authorized_at + self->config.auto_plug_ms);
      return MIN (at, monitor_lost_deadline (self));
    }

  return MIN (MIN (self->next_progress, auto_unplug_at (self)), monitor_lost_deadline (self));
}

void
station_machine_tick (StationMachine *self,
                      gint64          now_ms)
{
  if (self->supply_id == NULL)
    return;

  if (now_ms >= monitor_lost_deadline (self))
    {
      finish (self, EV_TICKET_REASON_MONITOR_LOST, now_ms);
      return;
    }

  if (!self->plugged)
    {
      if (self->config.auto_plug_ms >= 0 && !self->ko && !self->stopped &&
          now_ms >= self->authorized_at + self->config.auto_plug_ms)
        station_machine_plug (self, now_ms, NULL);
      else if (now_ms >= self->authorized_at + self->config.plug_timeout_ms)
        finish (self, EV_TICKET_REASON_NOT_PLUGGED, now_ms);
      return;
    }

  if (now_ms >= auto_unplug_at (self))
    {
      finish (self, EV_TICKET_REASON_UNPLUGGED, now_ms);
      return;
    }

  if (now_ms >= self->next_progress)
    {
      queue_data (self, EV_SUPPLY_DATA_PROGRESS, now_ms);
      /* One message for a late tick, then back on the cadence. */
      while (self->next_progress <= now_ms)
        self->next_progress += self->config.progress_interval_ms;
    }
}

/**
 * station_machine_take_output:
 * @self: a machine
 *
 * Returns: (transfer full) (element-type EvSupplyData): the `supply-data`
 *   messages produced since the last call, oldest first
 */
GPtrArray *
station_machine_take_output (StationMachine *self)
{
  GPtrArray *output = self->output;

  self->output = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  return output;
}

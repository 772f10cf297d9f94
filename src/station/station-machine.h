#pragma once

#include <glib.h>

#include "ev-cp-state.h"
#include "ev-messages.h"

G_BEGIN_DECLS

#define STATION_ERROR (station_error_quark ())

/**
 * StationError:
 * @STATION_ERROR_FAILED: any other failure
 * @STATION_ERROR_NOT_BOUND: no monitor has told the engine its CP id yet
 * @STATION_ERROR_NOT_WAITING: nothing to plug in: no supply is authorised
 * @STATION_ERROR_NOT_SUPPLYING: nothing to unplug: no vehicle is charging
 * @STATION_ERROR_BUSY: the CP already has a supply
 * @STATION_ERROR_STOPPED: the CP is out of order
 * @STATION_ERROR_BROKEN: the engine is KO
 * @STATION_ERROR_INVALID: a bad argument (an id, a price)
 * @STATION_ERROR_JOURNAL: the engine's journal cannot be read
 * @STATION_ERROR_NO_KEY: Central has not issued the CP its key yet (or
 *   the monitor has not handed it over)
 *
 * Why an operation on a station was refused.
 */
typedef enum {
  STATION_ERROR_FAILED,
  STATION_ERROR_NOT_BOUND,
  STATION_ERROR_NOT_WAITING,
  STATION_ERROR_NOT_SUPPLYING,
  STATION_ERROR_BUSY,
  STATION_ERROR_STOPPED,
  STATION_ERROR_BROKEN,
  STATION_ERROR_INVALID,
  STATION_ERROR_JOURNAL,
  STATION_ERROR_NO_KEY,
} StationError;

GQuark station_error_quark (void);

/* Defaults of the engine's timing knobs. */
#define STATION_DEFAULT_POWER_KW 22.0
#define STATION_DEFAULT_PLUG_TIMEOUT_MS 60000
#define STATION_DEFAULT_PROGRESS_INTERVAL_MS 1000
/* The design document: the engine stops the CP when its monitor is lost.
 * A monitor gone this long ends the supply in progress (`monitor-lost`);
 * one back sooner (a restart, a reconnection) changes nothing. */
#define STATION_DEFAULT_MONITOR_GRACE_MS 5000

/**
 * StationMachineConfig:
 * @power_kw: the charging power, kW (> 0)
 * @plug_timeout_ms: how long an authorised supply waits for the vehicle
 * @progress_interval_ms: how often a supply reports progress
 * @auto_plug_ms: simulation: plug in this long after authorisation; < 0 off
 * @auto_unplug_ms: simulation: unplug after supplying this long; < 0 off
 * @auto_unplug_kwh: simulation: unplug at this energy; <= 0 off
 * @monitor_grace_ms: how long the engine may be without its monitor before
 *   it ends the supply in progress
 *
 * The fixed parameters of a #StationMachine.
 */
typedef struct {
  double power_kw;
  gint64 plug_timeout_ms;
  gint64 progress_interval_ms;
  gint64 auto_plug_ms;
  gint64 auto_unplug_ms;
  double auto_unplug_kwh;
  gint64 monitor_grace_ms;
} StationMachineConfig;

void station_machine_config_init (StationMachineConfig *config);

/*
 * StationMachine: the engine's rules as a pure state machine. It owns no
 * clock and no socket: every input carries the time (ms since the epoch)
 * and the `supply-data` messages it produces are queued for the caller
 * (station_machine_take_output()). Time-driven rules (the plug time-out,
 * progress, simulation) run in station_machine_tick(), which the caller
 * calls at station_machine_get_deadline() or later.
 */
typedef struct _StationMachine StationMachine;

StationMachine *station_machine_new          (const StationMachineConfig *config);
void            station_machine_free         (StationMachine  *self);

void            station_machine_set_cp_id    (StationMachine  *self,
                                              const char      *cp_id);
const char     *station_machine_get_cp_id    (StationMachine  *self);

/* ACTIVE, WAITING, SUPPLYING, STOPPED, or BROKEN while KO. */
EvCpState       station_machine_get_state    (StationMachine  *self);
gboolean        station_machine_get_ko       (StationMachine  *self);
gboolean        station_machine_get_stopped  (StationMachine  *self);
const char     *station_machine_get_supply_id (StationMachine *self);
const char     *station_machine_get_driver_id (StationMachine *self);
double          station_machine_get_supply_price (StationMachine *self);
double          station_machine_get_kwh      (StationMachine  *self);
double          station_machine_get_amount   (StationMachine  *self);
guint           station_machine_get_seq      (StationMachine  *self);
gint64          station_machine_get_started_at (StationMachine *self);
EvSupplyData   *station_machine_snapshot     (StationMachine  *self);

gboolean        station_machine_start        (StationMachine  *self,
                                              const char      *supply_id,
                                              const char      *driver_id,
                                              double           price,
                                              gint64           now_ms,
                                              GError         **error);
gboolean        station_machine_cancel       (StationMachine  *self,
                                              const char      *supply_id);
gboolean        station_machine_plug         (StationMachine  *self,
                                              gint64           now_ms,
                                              GError         **error);
gboolean        station_machine_unplug       (StationMachine  *self,
                                              gint64           now_ms,
                                              GError         **error);
void            station_machine_stop         (StationMachine  *self,
                                              gint64           now_ms);
void            station_machine_resume       (StationMachine  *self);
void            station_machine_set_ko       (StationMachine  *self,
                                              gboolean         ko,
                                              gint64           now_ms);
void            station_machine_set_monitor  (StationMachine  *self,
                                              gboolean         linked,
                                              gint64           now_ms);
void            station_machine_tick         (StationMachine  *self,
                                              gint64           now_ms);
gint64          station_machine_get_deadline (StationMachine  *self);

GPtrArray      *station_machine_take_output  (StationMachine  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StationMachine, station_machine_free)

G_END_DECLS

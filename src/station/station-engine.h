#pragma once

#include <gio/gio.h>

#include "ev-cp-state.h"
#include "ev-signing.h"
#include "station-event.h"
#include "station-machine.h"

G_BEGIN_DECLS

#define STATION_ENGINE_DEFAULT_LISTEN "127.0.0.1:7100"

/* How long a supply asked at the station waits for Central's answer. */
#define STATION_ENGINE_ANSWER_TIMEOUT_MS 10000

/**
 * StationEngine:
 *
 * The charging point itself (`ev-station engine`), on GLib/GIO alone: it
 * serves its monitor over a framed link, reads `central-directives`,
 * meters supplies through a #StationMachine and publishes `supply-data`
 * and on-site `supply-req`. Construct it with properties, then
 * station_engine_start().
 *
 * Construct-only properties:
 * - "listen" (string): "ADDR:PORT" for the monitor; port 0 picks a free
 *   one (read it back from "port"). Default 127.0.0.1:7100; any other
 *   than a loopback address needs "pairing-secret-file".
 * - "pairing-secret-file" (string): the secret shared with the monitor
 *   (station_pairing_secret_ensure(): made if absent). Default
 *   `<state-dir>/pairing.secret`. Only a link whose `hello` proves it
 *   may bind the engine or send it anything (docs/protocol.md).
 * - "bootstrap" (string): Kafka bootstrap servers (required).
 * - "kafka-overrides" (strv): librdkafka "key=value" properties.
 * - "location" (string): where the CP is, given to the monitor.
 * - "power-kw" (double): charging power, default 22.
 * - "plug-timeout" (int64, ms): an authorised supply not plugged in
 *   within this time ends with `not-plugged` (default 60000).
 * - "progress-interval" (int64, ms): progress cadence (default 1000).
 * - "auto-plug" (int64, ms): simulation, plug in this long after
 *   authorisation; -1 (default) off.
 * - "auto-unplug-after" (int64, ms): simulation, unplug after supplying
 *   this long; -1 (default) off.
 * - "auto-unplug-kwh" (double): simulation, unplug at this energy; 0 off.
 * - "monitor-grace" (int64, ms): a supply in progress ends with
 *   `monitor-lost` once no monitor has been linked for this long
 *   (default 5000, %STATION_DEFAULT_MONITOR_GRACE_MS).
 * - "state-dir" (string): where the engine keeps its journal,
 *   `<state-dir>/<cp_id>.json` (#StationJournal): the supply in progress
 *   and the tickets Kafka has not confirmed, read again by the next
 *   engine of the CP at `hello`. Default
 *   station_engine_default_state_dir().
 *
 * Read-only properties (notify): "started", "port", "cp-id", "state"
 * (#EvCpState), "ko", "price" (the CP's price from Central), "supply-id",
 * "driver-id", "supply-price", "kwh", "amount", "monitor-connected",
 * "central-reachable", "broker-reachable".
 *
 * Signals:
 * - "event" (#StationEvent): everything that happens, as it happens: the
 *   headless front end prints each one (docs/cli.md), the window shows
 *   news as toasts.
 */
#define STATION_TYPE_ENGINE (station_engine_get_type ())
G_DECLARE_FINAL_TYPE (StationEngine, station_engine, STATION, ENGINE, GObject)

void         station_engine_set_central_key  (StationEngine  *self,
                                              EvVerifyKey    *key);
EvVerifyKey *station_engine_get_central_key  (StationEngine  *self);
gboolean     station_engine_start            (StationEngine  *self,
                                              GError        **error);
void         station_engine_shutdown         (StationEngine  *self);

gboolean     station_engine_get_started      (StationEngine  *self);
guint        station_engine_get_port         (StationEngine  *self);
const char  *station_engine_get_listen       (StationEngine  *self);
const char  *station_engine_get_bootstrap    (StationEngine  *self);
const char  *station_engine_get_location     (StationEngine  *self);
const char  *station_engine_get_state_dir    (StationEngine  *self);
char        *station_engine_default_state_dir (void);
double       station_engine_get_power_kw     (StationEngine  *self);
const char  *station_engine_get_cp_id        (StationEngine  *self);
EvCpState    station_engine_get_state        (StationEngine  *self);
gboolean     station_engine_get_ko           (StationEngine  *self);
double       station_engine_get_price        (StationEngine  *self);
const char  *station_engine_get_supply_id    (StationEngine  *self);
const char  *station_engine_get_driver_id    (StationEngine  *self);
double       station_engine_get_supply_price (StationEngine  *self);
double       station_engine_get_kwh          (StationEngine  *self);
double       station_engine_get_amount       (StationEngine  *self);
gboolean     station_engine_get_monitor_connected (StationEngine *self);
gboolean     station_engine_get_central_reachable (StationEngine *self);
gboolean     station_engine_get_broker_reachable  (StationEngine *self);

/* The station's controls. */
gboolean     station_engine_plug             (StationEngine  *self,
                                              GError        **error);
gboolean     station_engine_unplug           (StationEngine  *self,
                                              GError        **error);
void         station_engine_set_ko           (StationEngine  *self,
                                              gboolean        ko);
/* @driver_id NULL asks as "station:<cp_id>". Returns the request id. */
char        *station_engine_request_supply   (StationEngine  *self,
                                              const char     *driver_id,
                                              GError        **error);

G_END_DECLS

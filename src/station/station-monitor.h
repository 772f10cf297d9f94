#pragma once

#include <gio/gio.h>

#include "ev-cp-state.h"
#include "ev-messages.h"
#include "station-event.h"

G_BEGIN_DECLS

/* The GType of #EvEngineHealth, for the "engine-health" property. */
GType       station_engine_health_get_type (void);
#define STATION_TYPE_ENGINE_HEALTH (station_engine_health_get_type ())

#define STATION_MONITOR_DEFAULT_INTERVAL_MS 1000
#define STATION_MONITOR_DEFAULT_HEALTH_TIMEOUT_MS 1000
/* --health-timeout: a monitor across a slow link from its engine
 * (docs/deployment.md) may wait longer, up to a few status periods. */
#define STATION_MONITOR_MIN_HEALTH_TIMEOUT_MS 100
#define STATION_MONITOR_MAX_HEALTH_TIMEOUT_MS 10000
#define STATION_MONITOR_DEFAULT_RECONNECT_MIN_MS 500
#define STATION_MONITOR_DEFAULT_RECONNECT_MAX_MS 5000

/**
 * StationMonitor:
 *
 * The health supervisor of one charging point (`ev-station monitor`), on
 * GLib/GIO alone: a client of its engine and of Central over framed links.
 * Construct it with properties, then station_monitor_start().
 *
 * Construct-only properties:
 * - "cp-id" (string, required)
 * - "engine" (string): the engine's "ADDR:PORT" (required)
 * - "central" (string): Central's "ADDR:PORT" (required)
 * - "token-dir" (string): where tokens are kept, one file per CP id, mode
 *   0600; default $XDG_STATE_HOME/evcharging/tokens
 * - "pairing-secret-file" (string): the secret shared with the engine,
 *   proved in `hello` (made if absent); default
 *   station_pairing_default_path(), where an engine with the default
 *   state directory keeps its own
 * - "interval" (uint, ms): health and status cadence (default 1000)
 * - "health-timeout" (uint, ms): no answer to `health` in this time means
 *   the engine is unreachable (default 1000)
 * - "reconnect-min", "reconnect-max" (uint, ms): reconnection backoff,
 *   doubling from min to max (defaults 500 and 5000)
 * - "tls" (boolean), "tls-ca", "tls-fingerprint", "tls-client-cert",
 *   "tls-client-key" (strings): the link to Central speaks TLS, checking
 *   Central against a CA or a pinned SHA-256 fingerprint (exactly one),
 *   optionally with a client certificate; any of them means TLS, never
 *   a fallback to plain TCP (docs/tls.md)
 *
 * Read-only properties (notify): "started", "engine-connected",
 * "engine-health" (#EvEngineHealth), "engine-state" (#EvCpState),
 * "last-check" (int64, ms since the epoch of the last health answer),
 * "central-link" (#StationCentralLink), "location", "price",
 * "reported-state" (#EvCpState last reported to Central),
 * "approval-pending" (Central says the CP awaits the operator's approval).
 *
 * Signals:
 * - "event" (#StationEvent): everything that happens, as it happens: the
 *   headless front end prints each one (docs/cli.md), the window logs
 *   them.
 */
#define STATION_TYPE_MONITOR (station_monitor_get_type ())
G_DECLARE_FINAL_TYPE (StationMonitor, station_monitor, STATION, MONITOR, GObject)

/* $XDG_STATE_HOME/evcharging/tokens */
char              *station_monitor_default_token_dir (void);

gboolean           station_monitor_check              (StationMonitor  *self,
                                                       GError         **error);
gboolean           station_monitor_start              (StationMonitor  *self,
                                                       GError         **error);
void               station_monitor_shutdown           (StationMonitor  *self);

const char        *station_monitor_get_cp_id          (StationMonitor  *self);
const char        *station_monitor_get_engine         (StationMonitor  *self);
const char        *station_monitor_get_central        (StationMonitor  *self);
const char        *station_monitor_get_token_dir      (StationMonitor  *self);
gboolean           station_monitor_get_approval_pending (StationMonitor *self);
gboolean           station_monitor_get_started        (StationMonitor  *self);
gboolean           station_monitor_get_tls            (StationMonitor  *self);
gboolean           station_monitor_get_engine_connected (StationMonitor *self);
EvEngineHealth     station_monitor_get_engine_health  (StationMonitor  *self);
EvCpState          station_monitor_get_engine_state   (StationMonitor  *self);
gint64             station_monitor_get_last_check     (StationMonitor  *self);
StationCentralLink station_monitor_get_central_link   (StationMonitor  *self);
const char        *station_monitor_get_location       (StationMonitor  *self);
double             station_monitor_get_price          (StationMonitor  *self);
EvCpState          station_monitor_get_reported_state (StationMonitor  *self);

G_END_DECLS

#pragma once

#include <json-glib/json-glib.h>

#include "station-engine.h"
#include "station-monitor.h"

G_BEGIN_DECLS

/* The scripting interface of docs/cli.md for both roles: commands as lines
 * on stdin, events as JSON lines on stdout, logs on stderr. */

int   station_headless_run_engine      (StationEngine  *engine);
int   station_headless_run_monitor     (StationMonitor *monitor);

JsonObject *station_headless_engine_event_to_json   (StationEngine  *engine,
                                                     StationEvent   *event);
JsonObject *station_headless_monitor_event_to_json  (StationMonitor *monitor,
                                                     StationEvent   *event);
JsonObject *station_headless_engine_status_fields   (StationEngine  *engine);
JsonObject *station_headless_monitor_status_fields  (StationMonitor *monitor);

G_END_DECLS

#pragma once

#include "station-engine.h"
#include "station-monitor.h"

G_BEGIN_DECLS

/* The scripting interface of docs/cli.md for both roles: commands as lines
 * on stdin, events as JSON lines on stdout, logs on stderr. */

int   station_headless_run_engine      (StationEngine  *engine);
int   station_headless_run_monitor     (StationMonitor *monitor);

char *station_headless_engine_command  (StationEngine  *engine,
                                        const char     *line,
                                        gboolean       *out_quit);
char *station_headless_monitor_command (StationMonitor *monitor,
                                        const char     *line,
                                        gboolean       *out_quit);

G_END_DECLS

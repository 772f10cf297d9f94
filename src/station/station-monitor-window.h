#pragma once

#include <adwaita.h>

#include "station-monitor.h"

G_BEGIN_DECLS

#define STATION_TYPE_MONITOR_WINDOW (station_monitor_window_get_type ())

G_DECLARE_FINAL_TYPE (StationMonitorWindow, station_monitor_window, STATION, MONITOR_WINDOW, AdwApplicationWindow)

/* The log keeps this many transitions; older ones are dropped. */
#define STATION_MONITOR_WINDOW_LOG_MAX 500

/* @app may be NULL (tests). @monitor is the started core the window
 * shows; the window never starts or shuts it down. */
StationMonitorWindow *station_monitor_window_new         (GtkApplication       *app,
                                                          StationMonitor       *monitor);
StationMonitor       *station_monitor_window_get_monitor (StationMonitorWindow *self);
/* The transitions shown, newest first: a list of GtkStringObject. */
GListModel           *station_monitor_window_get_log     (StationMonitorWindow *self);

G_END_DECLS

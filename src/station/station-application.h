#pragma once

#include <adwaita.h>

#include "station-engine.h"
#include "station-monitor.h"
#include "station-ocpp-engine.h"

G_BEGIN_DECLS

/* Application ids: the launcher is unique on the session; engines and
 * monitors are G_APPLICATION_NON_UNIQUE, so one machine runs many. */
#define STATION_APP_ID APP_ID_PREFIX ".Station"
#define STATION_ENGINE_APP_ID APP_ID_PREFIX ".Station.Engine"
#define STATION_MONITOR_APP_ID APP_ID_PREFIX ".Station.Monitor"

#define STATION_TYPE_APPLICATION (station_application_get_type ())

G_DECLARE_FINAL_TYPE (StationApplication, station_application, STATION, APPLICATION, AdwApplication)

/* A role's core, not started: handle_local_options starts it and opens
 * its window, or with @headless runs the headless front end instead; the
 * application shuts the core down when it quits. */
StationApplication *station_application_new_engine   (StationEngine  *engine,
                                                      gboolean        headless);
StationApplication *station_application_new_monitor  (StationMonitor *monitor,
                                                      gboolean        headless);
/* An OCPP 1.6-J charger in the engine window (`ev-station engine --ocpp`). */
StationApplication *station_application_new_ocpp_engine (StationOcppEngine *engine,
                                                         gboolean           headless);
/* @program: (nullable): the ev-station the launcher runs for its pairs
 * (NULL: this program). */
StationApplication *station_application_new_launcher (const char     *program);

G_END_DECLS

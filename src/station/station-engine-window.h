#pragma once

#include <adwaita.h>

#include "station-engine.h"
#include "station-ocpp-engine.h"

G_BEGIN_DECLS

#define STATION_TYPE_ENGINE_WINDOW (station_engine_window_get_type ())

G_DECLARE_FINAL_TYPE (StationEngineWindow, station_engine_window, STATION, ENGINE_WINDOW, AdwApplicationWindow)

/* @app may be NULL (tests). @engine is the started core the window shows
 * and drives; the window never starts or shuts it down. */
StationEngineWindow *station_engine_window_new        (GtkApplication      *app,
                                                       StationEngine       *engine);
StationEngineWindow *station_engine_window_new_ocpp   (GtkApplication      *app,
                                                       StationOcppEngine   *engine);
StationEngine       *station_engine_window_get_engine (StationEngineWindow *self);
void                 station_engine_window_add_toast  (StationEngineWindow *self,
                                                       const char          *title);

G_END_DECLS

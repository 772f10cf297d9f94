#pragma once

#include "ev-settings.h"

G_BEGIN_DECLS

#define STATION_TYPE_SETTINGS (station_settings_get_type ())

G_DECLARE_FINAL_TYPE (StationSettings, station_settings, STATION, SETTINGS, EvSettings)

/* The launcher's last choices, as properties bound to GSettings: "cp-id",
 * "location", "engine-address" ("auto" picks a free port) and
 * "central-address". */
StationSettings *station_settings_new                 (void);

const char      *station_settings_get_cp_id           (StationSettings *self);
const char      *station_settings_get_location        (StationSettings *self);
const char      *station_settings_get_engine_address  (StationSettings *self);
const char      *station_settings_get_central_address (StationSettings *self);

G_END_DECLS

#pragma once

#include "ev-settings.h"

G_BEGIN_DECLS

#define DRIVER_TYPE_SETTINGS (driver_settings_get_type ())

G_DECLARE_FINAL_TYPE (DriverSettings, driver_settings, DRIVER, SETTINGS, EvSettings)

/* The window's remembered state as properties bound to GSettings:
 * "window-width", "window-height", "window-maximized", "last-folder"
 * (where the last request file was loaded from; empty when none) and
 * "driver-id" (the id used without --id; empty until chosen). */
DriverSettings *driver_settings_new             (void);

const char     *driver_settings_get_last_folder (DriverSettings *self);
void            driver_settings_set_last_folder (DriverSettings *self,
                                                 const char     *last_folder);
const char     *driver_settings_get_driver_id   (DriverSettings *self);
void            driver_settings_set_driver_id   (DriverSettings *self,
                                                 const char     *driver_id);

G_END_DECLS

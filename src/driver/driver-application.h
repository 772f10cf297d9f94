#pragma once

#include <adwaita.h>

#include "driver-core.h"

G_BEGIN_DECLS

#define DRIVER_APP_ID APP_ID_PREFIX ".Driver"

#define DRIVER_TYPE_APPLICATION (driver_application_get_type ())

G_DECLARE_FINAL_TYPE (DriverApplication, driver_application, DRIVER, APPLICATION, AdwApplication)

/* @core is started; @file (nullable) is a request file to run once the
 * window is open, as --file does. */
DriverApplication *driver_application_new (DriverCore *core,
                                           const char *file);

G_END_DECLS

#pragma once

#include <adwaita.h>

#include "driver-core.h"
#include "driver-settings.h"

G_BEGIN_DECLS

#define DRIVER_TYPE_WINDOW (driver_window_get_type ())

G_DECLARE_FINAL_TYPE (DriverWindow, driver_window, DRIVER, WINDOW, AdwApplicationWindow)

DriverWindow *driver_window_new               (GtkApplication *app,
                                               DriverCore     *core,
                                               DriverSettings *settings);

DriverCore   *driver_window_get_core          (DriverWindow   *self);
void          driver_window_set_request_file  (DriverWindow   *self,
                                               GFile          *file);
void          driver_window_add_toast         (DriverWindow   *self,
                                               const char     *title);

G_END_DECLS

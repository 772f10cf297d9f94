#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DRIVER_TYPE_ID_DIALOG (driver_id_dialog_get_type ())

G_DECLARE_FINAL_TYPE (DriverIdDialog, driver_id_dialog, DRIVER, ID_DIALOG, AdwWindow)

DriverIdDialog *driver_id_dialog_new       (GtkApplication *application,
                                            const char     *driver_id);
void            driver_id_dialog_set_error (DriverIdDialog *self,
                                            const char     *message);

G_END_DECLS

#pragma once

#include <gtk/gtk.h>

#include "ev-charging-point.h"

G_BEGIN_DECLS

#define DRIVER_TYPE_CP_ROW (driver_cp_row_get_type ())

G_DECLARE_FINAL_TYPE (DriverCpRow, driver_cp_row, DRIVER, CP_ROW, GtkWidget)

GtkWidget       *driver_cp_row_new      (void);

EvChargingPoint *driver_cp_row_get_item (DriverCpRow     *self);
void             driver_cp_row_set_item (DriverCpRow     *self,
                                         EvChargingPoint *item);

G_END_DECLS

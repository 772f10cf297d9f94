#pragma once

#include <gtk/gtk.h>

#include "ev-ui.h"

G_BEGIN_DECLS

/* What the driver's window and its rows share beyond ev-ui.h. */

#define DRIVER_RESOURCE_PATH "/io/github/evcharging/EVCharging/Driver"

/* Links the driver's resources in (templates, style.css); the widget
 * classes call it before loading their templates. */
void  driver_ui_ensure_resources (void);

/* The local date and time of @ms (since the epoch); "—" for 0. */
char *driver_ui_format_date_time (gint64        ms);

G_END_DECLS

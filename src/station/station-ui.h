#pragma once

#include <gtk/gtk.h>

#include "ev-ui.h"

G_BEGIN_DECLS

/* What the station's windows share beyond ev-ui.h. */

#define STATION_RESOURCE_PATH "/io/github/evcharging/EVCharging/Station"

/* Links the station's resources in (templates, style.css); the window
 * classes call it before loading their templates. */
void  station_ui_ensure_resources (void);

G_END_DECLS

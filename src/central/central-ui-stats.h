#pragma once

#include <gtk/gtk.h>

#include "central-service.h"

G_BEGIN_DECLS

/* Prints how smoothly the console draws, as `ui-stats` events on stdout
 * (ev-central --events --ui-stats MS; bench/ladder.py --gui). */
#define CENTRAL_TYPE_UI_STATS (central_ui_stats_get_type ())
G_DECLARE_FINAL_TYPE (CentralUiStats, central_ui_stats, CENTRAL, UI_STATS, GObject)

CentralUiStats *central_ui_stats_new (GtkWidget      *window,
                                      CentralService *service,
                                      guint           interval_ms);

G_END_DECLS

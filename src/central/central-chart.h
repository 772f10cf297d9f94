#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* How far back the chart looks. */
#define CENTRAL_CHART_SPAN_MS (60 * 60 * 1000)

#define CENTRAL_TYPE_CHART (central_chart_get_type ())

G_DECLARE_FINAL_TYPE (CentralChart, central_chart, CENTRAL, CHART, GtkWidget)

GtkWidget *central_chart_new          (void);
void       central_chart_add_sample   (CentralChart *self,
                                       gint64        time_ms,
                                       double        power_kw,
                                       guint         supplies);
guint      central_chart_get_n_samples (CentralChart *self);

G_END_DECLS

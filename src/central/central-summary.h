#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CENTRAL_TYPE_SUMMARY (central_summary_get_type ())

G_DECLARE_FINAL_TYPE (CentralSummary, central_summary, CENTRAL, SUMMARY, GtkBox)

GtkWidget  *central_summary_new             (void);
void        central_summary_set_model       (CentralSummary *self,
                                             GListModel     *model);
int         central_summary_get_state       (CentralSummary *self);
void        central_summary_set_state       (CentralSummary *self,
                                             int             state);
gboolean    central_summary_get_compact     (CentralSummary *self);
guint       central_summary_get_count       (CentralSummary *self,
                                             int             state);
void        central_summary_sample          (CentralSummary *self);

G_END_DECLS

/* central-window-private.h: what the files of the window share and no one
 * else sees: its structure and its internal functions. */

#pragma once

#include <adwaita.h>

#include "central-cp-card.h"
#include "central-summary.h"
#include "central-window.h"
#include "ev-cp-state-model.h"
#include "ev-messages.h"
#include "ev-ui.h"

#include <glib/gi18n-lib.h>

#include "central-cp-card.h"
#include "central-resources.h"
#include "central-summary.h"
#include "ev-cp-state-model.h"
#include "ev-messages.h"
#include "ev-ui.h"

G_BEGIN_DECLS

/* A search of the database shows at most this many, newest first. */
#define SEARCH_LIMIT 1000
/* The count of a search still in progress. */
#define SEARCHING G_MAXUINT

/* The pages that are lists. */
typedef enum {
  LIST_REQUESTS,
  LIST_LOG,
  LIST_HISTORY,
  N_LISTS
} ListPage;

struct _CentralWindow
{
  AdwApplicationWindow  parent_instance;

  CentralService       *service;
  GCancellable         *cancellable;

  /* The core's charging points in the state chosen in the header bar,
   * under the search filter. */
  EvCpStateModel       *state_model;
  /* The charging points awaiting the operator's approval. */
  GListStore           *pending;

  AdwToast             *attention_toast;
  guint                 attention_count;
  gboolean              broker_was_down;

  GtkFileChooserNative *export_chooser;

  /* A search of the database in progress, per page; its results. */
  GCancellable         *log_search;
  GCancellable         *history_search;
  guint                 log_found;
  guint                 history_found;

  /* What each list page shows (the live model or a search's results),
   * and what its view has now: a view has its model only while its page
   * is visible. */
  GListModel           *wanted[N_LISTS];
  gboolean              newest_first[N_LISTS];
  GListModel           *attached[N_LISTS];

  /* Template widgets. */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkDropDown          *state_dropdown;
  AdwViewStack         *view_stack;
  GtkStack             *dashboard_stack;
  CentralSummary       *summary;
  GtkColumnView        *cp_list_view;
  GtkRevealer          *pending_revealer;
  GtkListBox           *pending_list;
  GtkGridView          *grid_view;
  GtkFilterListModel   *cp_filter_model;
  GtkStringFilter      *id_filter;
  GtkStringFilter      *location_filter;
  AdwStatusPage        *empty_page;
  GtkColumnView        *requests_view;
  GtkListView          *log_view;
  GtkBox               *log_header;
  GtkColumnView        *history_view;
  GtkLabel             *history_count_label;
  GtkLabel             *log_count_label;
  GtkSearchEntry       *log_search_entry;
  GtkSearchEntry       *history_search_entry;
  GtkImage             *broker_icon;
  GtkLabel             *broker_label;
  GtkLabel             *port_label;
  GtkLabel             *tls_label;
  GtkImage             *tls_icon;
  guint                 tls_shown_port;
  GtkLabel             *count_label;
  AdwStatusPage        *error_page;
};

/* Column cells --------------------------------------------------------- */

typedef char *(*CellFormatFunc) (gpointer item);

typedef struct {
  CellFormatFunc format;
  gboolean       numeric;
  /* The property the cell shows, to follow it (requests change while
   * shown): "kwh", or through an object, "supply.kwh"; NULL: fixed. */
  const char    *live;
  /* A text as wide as the column's widest, for a fixed width; NULL: the
   * column takes what is left. */
  char        *(*sample) (void);
} CellSpec;

/* Samples for the fixed widths: a date and a time of the widest kind. */
#define SAMPLE_MS G_GINT64_CONSTANT (1798675198000)   /* 2026-12-31 23:59:58 UTC */

/* The longest CP id that keeps its column; longer ones are cut short
 * (the tooltip of a cut line has all of it). */
#define LOG_CP_CHARS 12

/* Searching the database ------------------------------------------------ */

typedef struct
{
  CentralWindow *self;
  GCancellable *cancellable;
  gboolean history;
} SearchCall;

void window_setup_columns (CentralWindow *self);

void window_stop_cp_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_resume_cp_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_approve_cp_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_confirm_cp_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_forget_driver_key_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_set_price_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_set_location_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_stop_all_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_resume_all_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_export_response_cb (CentralWindow *self, int response, GtkFileChooserNative *chooser);

void window_export_history_action (GtkWidget *widget, const char *action_name, GVariant *parameter);

void window_attention_dismissed_cb (CentralWindow *self, AdwToast *toast);

void window_add_attention_toast (CentralWindow *self, const char *title);

void window_toast_error (CentralWindow *self, const GError *error);

G_END_DECLS

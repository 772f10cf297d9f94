/* central-window.c: Central's console.
 *
 * Four pages in an AdwViewStack: the dashboard (a GtkGridView of
 * CentralCpCard over the core's list of charging points, filtered by the
 * search text and a state), the requests in progress, the system log and
 * the session history (GtkColumnView each). The models belong to the
 * CentralService, which updates them from the core's thread in coalesced
 * batches; the window only wraps them in filter and sort models, every
 * live change reaches the widgets as an item property notification, and
 * operator commands go to the core's thread as asynchronous calls. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "central-cp-card.h"
#include "central-resources.h"
#include "central-summary.h"
#include "central-window.h"
#include "ev-cp-state-model.h"
#include "ev-messages.h"
#include "ev-ui.h"

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

static const char * const list_page_names[N_LISTS] = { "requests", "log", "history" };

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

G_DEFINE_FINAL_TYPE (CentralWindow, central_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SERVICE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Column cells --------------------------------------------------------- */

typedef char *(*CellFormatFunc) (gpointer item);

typedef struct {
  CellFormatFunc format;
  gboolean       numeric;
  /* The signal of the item's property the cell shows, to follow it
   * (requests change while shown): "notify::kwh"…; NULL: fixed. */
  const char    *live;
  /* A text as wide as the column's widest, for a fixed width; NULL: the
   * column takes what is left. */
  char        *(*sample) (void);
} CellSpec;

static void
cell_refresh (GtkLabel *label,
              gpointer  item)
{
  const CellSpec *spec = g_object_get_data (G_OBJECT (label), "central-cell-spec");
  g_autofree char *text = NULL;

  if (item != NULL)
    text = spec->format (item);

  /* A figure that did not change as shown costs no relayout. */
  if (g_strcmp0 (gtk_label_get_label (label), text != NULL ? text : "") != 0)
    gtk_label_set_label (label, text != NULL ? text : "");
}

static void
cell_item_notify_cb (GtkLabel   *label,
                     GParamSpec *pspec,
                     GObject    *item)
{
  cell_refresh (label, item);
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               const CellSpec           *spec)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), spec->numeric ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  /* One line whatever the text: a row's height needs no layout. */
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  if (spec->numeric)
    gtk_widget_add_css_class (label, "numeric");
  ev_ui_tooltip_when_ellipsized (GTK_LABEL (label));
  g_object_set_data (G_OBJECT (label), "central-cell-spec", (gpointer) spec);
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              const CellSpec           *spec)
{
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  gpointer item = gtk_list_item_get_item (list_item);

  cell_refresh (label, item);

  if (spec->live && item != NULL)
    {
      gulong id = g_signal_connect_swapped (item, spec->live,
                                            G_CALLBACK (cell_item_notify_cb), label);
      g_object_set_data (G_OBJECT (list_item), "central-cell-handler", GSIZE_TO_POINTER (id));
    }
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                const CellSpec           *spec)
{
  gpointer item = gtk_list_item_get_item (list_item);
  gulong id = GPOINTER_TO_SIZE (g_object_steal_data (G_OBJECT (list_item), "central-cell-handler"));

  if (id != 0 && item != NULL)
    g_signal_handler_disconnect (item, id);
}

/* The width of @sample in a cell, with the title and room to spare: a
 * column of fixed width never measures its cells, which a list that
 * changes ten times a second cannot afford for every visible row. */
static int
column_width (const char *title,
              const char *sample)
{
  int width = 0;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GtkWidget) label = g_object_ref_sink (gtk_label_new (i == 0 ? title : sample));
      int natural = 0;

      gtk_widget_add_css_class (label, "numeric");
      gtk_widget_measure (label, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
      width = MAX (width, natural);
    }
  return width + 36;
}

static void
add_column (GtkColumnView  *view,
            const char     *title,
            const CellSpec *spec,
            GtkSorter      *sorter,
            gboolean        expand)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) column = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), (gpointer) spec);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), (gpointer) spec);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), (gpointer) spec);

  column = gtk_column_view_column_new (title, g_object_ref (factory));
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  if (spec->sample != NULL)
    {
      g_autofree char *sample = spec->sample ();

      gtk_column_view_column_set_fixed_width (column, column_width (title, sample));
    }
  if (sorter != NULL)
    gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_append_column (view, column);

  g_clear_object (&sorter);
}

static GtkSorter *
string_sorter (GType       type,
               const char *property)
{
  return GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (type, NULL, property)));
}

static GtkSorter *
numeric_sorter (GType       type,
                const char *property)
{
  return GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (type, NULL, property)));
}

static int
compare_phase (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  EvSupplyPhase pa = ev_supply_session_get_phase ((EvSupplySession *) a);
  EvSupplyPhase pb = ev_supply_session_get_phase ((EvSupplySession *) b);

  return pa < pb ? -1 : pa > pb;
}

static int
compare_cp_state (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  EvCpState sa = ev_charging_point_get_state ((EvChargingPoint *) a);
  EvCpState sb = ev_charging_point_get_state ((EvChargingPoint *) b);

  return sa < sb ? -1 : sa > sb;
}

static const char *
phase_label (EvSupplyPhase phase)
{
  switch (phase)
    {
    case EV_SUPPLY_PHASE_REQUESTED:
      return _("Requested");
    case EV_SUPPLY_PHASE_AUTHORIZED:
      return _("Authorised, waiting for the vehicle");
    case EV_SUPPLY_PHASE_SUPPLYING:
      return _("Supplying");
    case EV_SUPPLY_PHASE_FINISHED:
      return _("Finished");
    case EV_SUPPLY_PHASE_FAILED:
      return _("Failed");
    default:
      return "";
    }
}

static char *
session_date (gpointer item)
{
  return ev_ui_format_ms (ev_supply_session_get_started_at (item), "%x");
}

static char *
session_time (gpointer item)
{
  return ev_ui_format_ms (ev_supply_session_get_started_at (item), "%X");
}

static char *
session_start (gpointer item)
{
  return ev_ui_format_ms (ev_supply_session_get_started_at (item), "%x %X");
}

static char *
session_end (gpointer item)
{
  return ev_ui_format_ms (ev_supply_session_get_ended_at (item), "%x %X");
}

static char *
session_driver (gpointer item)
{
  return g_strdup (ev_supply_session_get_driver_id (item));
}

static char *
session_cp (gpointer item)
{
  return g_strdup (ev_supply_session_get_cp_id (item));
}

static char *
session_phase (gpointer item)
{
  return g_strdup (phase_label (ev_supply_session_get_phase (item)));
}

static char *
session_kwh (gpointer item)
{
  return ev_ui_format_kwh (ev_supply_session_get_kwh (item));
}

static char *
session_amount (gpointer item)
{
  return ev_ui_format_amount (ev_supply_session_get_amount (item));
}

static char *
session_reason (gpointer item)
{
  const char *reason = ev_supply_session_get_reason (item);

  if (reason != NULL && *reason != '\0')
    return g_strdup (ev_reason_describe (reason));

  return g_strdup (phase_label (ev_supply_session_get_phase (item)));
}

static char *
log_date (gpointer item)
{
  return ev_ui_format_ms (central_event_get_time (item), "%x");
}

static char *
log_time (gpointer item)
{
  return ev_ui_format_ms (central_event_get_time (item), "%X");
}

static char *
log_level (gpointer item)
{
  switch (central_event_get_level (item))
    {
    case CENTRAL_LOG_INFO:
      return g_strdup (_("Information"));
    case CENTRAL_LOG_WARNING:
      return g_strdup (_("Warning"));
    case CENTRAL_LOG_ERROR:
      return g_strdup (_("Error"));
    default:
      return NULL;
    }
}

static char *
log_cp (gpointer item)
{
  return g_strdup (central_event_get_cp_id (item));
}

static char *
log_message (gpointer item)
{
  return g_strdup (central_event_get_message (item));
}

/* Samples for the fixed widths: a date and a time of the widest kind. */
#define SAMPLE_MS G_GINT64_CONSTANT (1798675198000)   /* 2026-12-31 23:59:58 UTC */

static char *
sample_date (void)
{
  return ev_ui_format_ms (SAMPLE_MS, "%x");
}

static char *
sample_time (void)
{
  return ev_ui_format_ms (SAMPLE_MS, "%X");
}

static char *
sample_date_time (void)
{
  return ev_ui_format_ms (SAMPLE_MS, "%x %X");
}

static char *
sample_level (void)
{
  const char *labels[] = { _("Information"), _("Warning"), _("Error") };
  const char *widest = labels[0];

  for (guint i = 1; i < G_N_ELEMENTS (labels); i++)
    if (g_utf8_strlen (labels[i], -1) > g_utf8_strlen (widest, -1))
      widest = labels[i];
  return g_strdup (widest);
}

/* Ids are cut short beyond this; the tooltip has the whole one. */
static char *
sample_id (void)
{
  return g_strdup ("MMMMMMMMMMMM");
}

static char *
sample_kwh (void)
{
  return ev_ui_format_kwh (88888.888);
}

static char *
sample_amount (void)
{
  return ev_ui_format_amount (88888.88);
}

static char *
cp_id_text (gpointer item)
{
  return g_strdup (ev_charging_point_get_cp_id (item));
}

static char *
cp_state_text (gpointer item)
{
  return g_strdup (ev_cp_state_get_label (ev_charging_point_get_state (item)));
}

static char *
cp_location_text (gpointer item)
{
  return g_strdup (ev_charging_point_get_location (item));
}

static char *
cp_price_text (gpointer item)
{
  return ev_ui_format_price (ev_charging_point_get_price (item));
}

static char *
cp_driver_text (gpointer item)
{
  return g_strdup (ev_charging_point_get_driver_id (item));
}

static char *
cp_kwh_text (gpointer item)
{
  return ev_charging_point_get_driver_id (item) != NULL ? ev_ui_format_kwh (ev_charging_point_get_kwh (item)) : NULL;
}

static char *
cp_amount_text (gpointer item)
{
  return ev_charging_point_get_driver_id (item) != NULL ? ev_ui_format_amount (ev_charging_point_get_amount (item))
                                                        : NULL;
}

static char *
sample_price (void)
{
  return ev_ui_format_price (88.88);
}

/* The compact list of the dashboard: one row a CP, live. */
static const CellSpec cp_id_spec = { cp_id_text, FALSE, NULL, sample_id };
static const CellSpec cp_state_spec = { cp_state_text, FALSE, "notify::state" };
static const CellSpec cp_location_spec = { cp_location_text, FALSE, "notify::location" };
static const CellSpec cp_price_spec = { cp_price_text, TRUE, "notify::price", sample_price };
static const CellSpec cp_driver_spec = { cp_driver_text, FALSE, "notify::driver-id", sample_id };
static const CellSpec cp_kwh_spec = { cp_kwh_text, TRUE, "notify::kwh", sample_kwh };
static const CellSpec cp_amount_spec = { cp_amount_text, TRUE, "notify::amount", sample_amount };

static const CellSpec request_date_spec = { session_date, FALSE, "notify::started-at", sample_date };
static const CellSpec request_time_spec = { session_time, FALSE, "notify::started-at", sample_time };
static const CellSpec request_driver_spec = { session_driver, FALSE, NULL, sample_id };
static const CellSpec request_cp_spec = { session_cp, FALSE, NULL, sample_id };
static const CellSpec request_phase_spec = { session_phase, FALSE, "notify::phase" };
static const CellSpec request_kwh_spec = { session_kwh, TRUE, "notify::kwh", sample_kwh };

/* The Log page's fields, left to right. */
static const CellSpec log_specs[] = {
  { log_date, FALSE, NULL, sample_date },
  { log_time, FALSE, NULL, sample_time },
  { log_level, FALSE, NULL, sample_level },
  { log_cp, FALSE, NULL, sample_id },
  { log_message, FALSE, NULL, NULL },
};
#define N_LOG_FIELDS G_N_ELEMENTS (log_specs)

static const CellSpec history_cp_spec = { session_cp, FALSE, NULL, sample_id };
static const CellSpec history_driver_spec = { session_driver, FALSE, NULL, sample_id };
static const CellSpec history_start_spec = { session_start, FALSE, NULL, sample_date_time };
static const CellSpec history_end_spec = { session_end, FALSE, NULL, sample_date_time };
static const CellSpec history_kwh_spec = { session_kwh, TRUE, NULL, sample_kwh };
static const CellSpec history_amount_spec = { session_amount, TRUE, NULL, sample_amount };
static const CellSpec history_reason_spec = { session_reason, FALSE, NULL };

/* The Log page is a GtkListView whose row is one label, its fields
 * lined up by tab stops under a header label with the same stops, not a
 * GtkColumnView: a column view makes a list-item widget and a label per
 * cell, and 200 lines a second come in. Measured at 1,000 CPs and 100
 * supplies/s on the Log page (cairo, Xvfb): 3.2% of the frames over
 * 33 ms with five cells, 1.6–3.1% with a box of five labels, 0–0.1% with
 * one label a row. */
static const char *
log_title (guint field)
{
  switch (field)
    {
    case 0:
      return _("Date");
    case 1:
      return _("Time");
    case 2:
      return _("Level");
    case 3:
      return _("Charging Point");
    default:
      return _("Message");
    }
}

/* The longest CP id that keeps its column; longer ones are cut short
 * (the tooltip of a cut line has all of it). */
#define LOG_CP_CHARS 12

static GtkWidget *
log_label (PangoTabArray *tabs)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_tabs (GTK_LABEL (label), tabs);
  return label;
}

static void
log_row_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  PangoTabArray            *tabs)
{
  GtkWidget *label = log_label (tabs);

  ev_ui_tooltip_when_ellipsized (GTK_LABEL (label));
  gtk_list_item_set_child (list_item, label);
}

static void
log_row_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 PangoTabArray            *tabs)
{
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  gpointer event = gtk_list_item_get_item (list_item);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint field = 0; event != NULL && field < N_LOG_FIELDS; field++)
    {
      g_autofree char *text = log_specs[field].format (event);

      if (field > 0)
        g_string_append_c (line, '\t');
      if (field == 3 && text != NULL && g_utf8_strlen (text, -1) > LOG_CP_CHARS)
        {
          g_string_append_len (line, text, g_utf8_offset_to_pointer (text, LOG_CP_CHARS - 1) - text);
          g_string_append (line, "…");
        }
      else if (text != NULL)
        g_string_append (line, text);
    }
  gtk_label_set_label (label, line->str);
}

static void
setup_log (CentralWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GString) titles = g_string_new (NULL);
  PangoTabArray *tabs = pango_tab_array_new (N_LOG_FIELDS - 1, TRUE);
  int stop = 0;

  for (guint field = 0; field < N_LOG_FIELDS; field++)
    {
      if (field > 0)
        g_string_append_c (titles, '\t');
      g_string_append (titles, log_title (field));
      if (log_specs[field].sample != NULL)
        {
          g_autofree char *sample = log_specs[field].sample ();

          stop += column_width (log_title (field), sample);
          pango_tab_array_set_tab (tabs, (int) field, PANGO_TAB_LEFT, stop);
        }
    }
  gtk_box_append (self->log_header, log_label (tabs));
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_last_child (GTK_WIDGET (self->log_header))), titles->str);
  gtk_widget_set_hexpand (gtk_widget_get_last_child (GTK_WIDGET (self->log_header)), TRUE);

  /* The stops live as long as the factory. */
  g_object_set_data_full (G_OBJECT (factory), "central-log-tabs", tabs, (GDestroyNotify) pango_tab_array_free);
  g_signal_connect (factory, "setup", G_CALLBACK (log_row_setup_cb), tabs);
  g_signal_connect (factory, "bind", G_CALLBACK (log_row_bind_cb), tabs);
  gtk_list_view_set_factory (self->log_view, factory);
}

static void
setup_columns (CentralWindow *self)
{
  GType session = EV_TYPE_SUPPLY_SESSION;
  GType cp = EV_TYPE_CHARGING_POINT;

  add_column (self->cp_list_view, _("Charging Point"), &cp_id_spec, string_sorter (cp, "cp-id"), FALSE);
  add_column (self->cp_list_view, _("State"), &cp_state_spec,
              GTK_SORTER (gtk_custom_sorter_new (compare_cp_state, NULL, NULL)), FALSE);
  add_column (self->cp_list_view, _("Location"), &cp_location_spec, string_sorter (cp, "location"), TRUE);
  add_column (self->cp_list_view, _("Price"), &cp_price_spec, numeric_sorter (cp, "price"), FALSE);
  add_column (self->cp_list_view, _("Driver"), &cp_driver_spec, string_sorter (cp, "driver-id"), FALSE);
  add_column (self->cp_list_view, _("Energy"), &cp_kwh_spec, numeric_sorter (cp, "kwh"), FALSE);
  add_column (self->cp_list_view, _("Amount"), &cp_amount_spec, numeric_sorter (cp, "amount"), FALSE);

  add_column (self->requests_view, _("Date"), &request_date_spec, numeric_sorter (session, "started-at"), FALSE);
  add_column (self->requests_view, _("Time"), &request_time_spec, numeric_sorter (session, "started-at"), FALSE);
  add_column (self->requests_view, _("Driver"), &request_driver_spec, string_sorter (session, "driver-id"), FALSE);
  add_column (self->requests_view, _("Charging Point"), &request_cp_spec, string_sorter (session, "cp-id"), FALSE);
  add_column (self->requests_view, _("State"), &request_phase_spec, GTK_SORTER (gtk_custom_sorter_new (compare_phase, NULL, NULL)), TRUE);
  add_column (self->requests_view, _("Energy"), &request_kwh_spec, numeric_sorter (session, "kwh"), FALSE);

  setup_log (self);

  add_column (self->history_view, _("Charging Point"), &history_cp_spec, string_sorter (session, "cp-id"), FALSE);
  add_column (self->history_view, _("Driver"), &history_driver_spec, string_sorter (session, "driver-id"), FALSE);
  add_column (self->history_view, _("Start"), &history_start_spec, numeric_sorter (session, "started-at"), FALSE);
  add_column (self->history_view, _("End"), &history_end_spec, numeric_sorter (session, "ended-at"), FALSE);
  add_column (self->history_view, _("Energy"), &history_kwh_spec, numeric_sorter (session, "kwh"), FALSE);
  add_column (self->history_view, _("Amount"), &history_amount_spec, numeric_sorter (session, "amount"), FALSE);
  add_column (self->history_view, _("Reason"), &history_reason_spec, string_sorter (session, "reason"), TRUE);
}

/* A list read from the top, newest first: while it shows its first rows,
 * new ones that arrive on top are shown too. (GTK keeps the rows it shows
 * in view when rows are inserted above them, which is right for someone
 * reading further down, not for someone watching the news.) */
static void
follow_newest_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GtkWidget  *view)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (view, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;
  GtkWidget *list;

  if (position != 0 || added == 0 || scrolled == NULL)
    return;

  /* Layout has not run yet: this is where the view was. */
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  if (gtk_adjustment_get_value (adjustment) > gtk_adjustment_get_lower (adjustment) + 1.0)
    return;

  /* A column view's rows are a list view inside it. */
  for (list = view;
       list != NULL && !GTK_IS_LIST_VIEW (list);
       list = list == view ? gtk_widget_get_first_child (view) : gtk_widget_get_next_sibling (list))
    ;
  if (list != NULL)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", 0);
}

/* Gives @view (a GtkColumnView, its rows sorted by the column headers,
 * or a GtkListView) @model. */
static void
set_view_model (GtkWidget  *view,
                GListModel *model,
                gboolean    newest_first)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  if (model != NULL && GTK_IS_COLUMN_VIEW (view))
    {
      GtkSortListModel *sorted = gtk_sort_list_model_new (g_object_ref (model),
                                                          g_object_ref (gtk_column_view_get_sorter (GTK_COLUMN_VIEW (view))));

      selection = gtk_no_selection_new (G_LIST_MODEL (sorted));
    }
  else if (model != NULL)
    selection = gtk_no_selection_new (g_object_ref (model));

  if (selection != NULL && newest_first)
    g_signal_connect_object (selection, "items-changed", G_CALLBACK (follow_newest_cb), view, G_CONNECT_AFTER);
  if (GTK_IS_COLUMN_VIEW (view))
    gtk_column_view_set_model (GTK_COLUMN_VIEW (view), GTK_SELECTION_MODEL (selection));
  else
    gtk_list_view_set_model (GTK_LIST_VIEW (view), GTK_SELECTION_MODEL (selection));
}

static GtkWidget *
list_view (CentralWindow *self,
           ListPage       page)
{
  switch (page)
    {
    case LIST_REQUESTS:
      return GTK_WIDGET (self->requests_view);
    case LIST_LOG:
      return GTK_WIDGET (self->log_view);
    case LIST_HISTORY:
    default:
      return GTK_WIDGET (self->history_view);
    }
}

/* A list's view has its model only while its page shows: a hidden
 * GtkColumnView still makes, binds and measures rows for every change
 * of its model (measured at 1,000 CPs and 100 supplies/s: the hidden
 * Requests page alone kept the UI thread ~40% busy). */
static void
update_list_pages (CentralWindow *self)
{
  const char *visible = adw_view_stack_get_visible_child_name (self->view_stack);

  for (ListPage page = 0; page < N_LISTS; page++)
    {
      GListModel *model = g_strcmp0 (visible, list_page_names[page]) == 0 ? self->wanted[page] : NULL;

      if (model == self->attached[page])
        continue;
      set_view_model (list_view (self, page), model, self->newest_first[page]);
      self->attached[page] = model;
    }
}

static void
set_page_model (CentralWindow *self,
                ListPage       page,
                GListModel    *model,
                gboolean       newest_first)
{
  g_set_object (&self->wanted[page], model);
  self->newest_first[page] = newest_first;
  /* Whatever the view had, it gets this one. */
  self->attached[page] = GINT_TO_POINTER (-1);
  update_list_pages (self);
}

static guint
page_n_items (CentralWindow *self,
              ListPage       page)
{
  return self->wanted[page] != NULL ? g_list_model_get_n_items (self->wanted[page]) : 0;
}

/* Toasts --------------------------------------------------------------- */

static void
attention_dismissed_cb (CentralWindow *self,
                        AdwToast      *toast)
{
  if (self->attention_toast == toast)
    {
      g_signal_handlers_disconnect_by_func (toast, attention_dismissed_cb, self);
      g_clear_object (&self->attention_toast);
      self->attention_count = 0;
    }
}

/* Events that need the operator's attention may come in storms (a broker
 * outage with thousands of CPs): while one such toast is shown, later ones
 * only update its count instead of queueing thousands of toasts. */
static void
add_attention_toast (CentralWindow *self,
                     const char    *title)
{
  AdwToast *toast;

  if (self->attention_toast != NULL)
    {
      g_autofree char *summary = NULL;

      self->attention_count++;
      /* Translators: shown when several warnings arrive together; %u is their number. */
      summary = g_strdup_printf (_("Events needing attention: %u"), self->attention_count);
      adw_toast_set_title (self->attention_toast, summary);
      return;
    }

  toast = adw_toast_new (title);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 8);
  adw_toast_set_button_label (toast, _("Show _Log"));
  adw_toast_set_action_name (toast, "win.show-log");
  g_signal_connect_swapped (toast, "dismissed", G_CALLBACK (attention_dismissed_cb), self);

  self->attention_toast = g_object_ref (toast);
  self->attention_count = 1;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * central_window_add_toast:
 * @self: a #CentralWindow
 * @title: a translated sentence
 *
 * Shows @title as a short-lived toast.
 */
void
central_window_add_toast (CentralWindow *self,
                          const char    *title)
{
  g_return_if_fail (CENTRAL_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

static void
toast_error (CentralWindow *self,
             const GError  *error)
{
  central_window_add_toast (self, error->message);
}

/* Every new log line arrives here, in order: warnings and errors become
 * toasts, and so does the broker's return after an outage. */
static void
news_cb (CentralWindow  *self,
         CentralEvent   *event,
         CentralService *service)
{
  gboolean broker = central_event_get_kind (event) == CENTRAL_EVENT_BROKER;

  if (central_event_get_level (event) >= CENTRAL_LOG_WARNING)
    {
      if (broker)
        self->broker_was_down = TRUE;
      add_attention_toast (self, central_event_get_message (event));
    }
  else if (broker && self->broker_was_down)
    {
      self->broker_was_down = FALSE;
      central_window_add_toast (self, central_event_get_message (event));
    }
}

/* Status bar ----------------------------------------------------------- */

static void
update_status (CentralWindow *self)
{
  g_autofree char *broker = NULL;
  g_autofree char *port = NULL;
  g_autofree char *tls = NULL;
  const char *fingerprint;
  gboolean reachable;
  guint bound;

  if (self->service == NULL)
    return;

  reachable = central_service_get_broker_reachable (self->service);
  if (reachable)
    broker = g_strdup_printf (_("Kafka connected (%s)"), central_service_get_bootstrap (self->service));
  else
    broker = g_strdup_printf (_("Kafka unreachable (%s)"), central_service_get_bootstrap (self->service));

  ev_ui_set_status (self->broker_label, reachable, broker);
  gtk_image_set_from_icon_name (self->broker_icon,
                                reachable ? "network-wired-symbolic" : "network-wired-disconnected-symbolic");

  bound = central_service_get_port (self->service);
  if (bound != 0)
    /* Translators: the TCP port monitors connect to, and how many are connected. */
    port = g_strdup_printf (_("Monitor port %u, open links: %u"),
                            bound, central_service_get_n_links (self->service));
  else
    port = g_strdup (_("Monitor port closed"));

  gtk_label_set_label (self->port_label, port);

  /* Set once per start: the link count changes this often, and a
   * tooltip costs round trips to the X server. */
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->tls_label)), bound != 0);
  if (bound == 0 || bound == self->tls_shown_port)
    return;
  self->tls_shown_port = bound;
  fingerprint = central_service_get_tls_fingerprint (self->service);
  if (fingerprint != NULL)
    {
      ev_ui_set_status (self->tls_label, TRUE, _("Monitor links encrypted (TLS)"));
      gtk_image_set_from_icon_name (self->tls_icon, "channel-secure-symbolic");
      tls = g_strdup_printf (_("Certificate SHA-256 fingerprint: %s"), fingerprint);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->tls_label), tls);
    }
  else
    {
      ev_ui_set_status (self->tls_label, FALSE, _("Monitor links not encrypted"));
      gtk_image_set_from_icon_name (self->tls_icon, "channel-insecure-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->tls_label),
                                   _("Tokens cross the network in clear: start Central with --tls-cert and --tls-key"));
    }
}

static void
service_notify_cb (CentralWindow  *self,
                   GParamSpec     *pspec,
                   CentralService *service)
{
  update_status (self);
}

static void
update_counts (CentralWindow *self)
{
  GListModel *all = ev_cp_state_model_get_model (self->state_model);
  guint total = all != NULL ? g_list_model_get_n_items (all) : 0;
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->cp_filter_model));
  g_autofree char *text = NULL;

  if (shown == total)
    text = g_strdup_printf (_("Charging points: %u"), total);
  else
    /* Translators: how many charging points the search shows, of how many. */
    text = g_strdup_printf (_("Charging points: %u of %u"), shown, total);
  gtk_label_set_label (self->count_label, text);

  if (shown > 0)
    {
      gtk_stack_set_visible_child_name (self->dashboard_stack,
                                        central_summary_get_compact (self->summary) ? "list" : "grid");
    }
  else if (total == 0)
    {
      adw_status_page_set_title (self->empty_page, _("No Charging Points"));
      adw_status_page_set_description (self->empty_page,
                                       _("Charging points appear here when their monitors register."));
      gtk_stack_set_visible_child_name (self->dashboard_stack, "empty");
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No Results"));
      adw_status_page_set_description (self->empty_page,
                                       _("No charging point matches the search and the state filter."));
      gtk_stack_set_visible_child_name (self->dashboard_stack, "empty");
    }
}

static void
filtered_items_changed_cb (CentralWindow *self)
{
  update_counts (self);
}

/* What a page shows: the newest entries, or what a search found. */
static char *
page_summary (guint       shown,
              guint       total,
              gboolean    searching,
              const char *all_format,
              const char *newest_format)
{
  if (searching)
    {
      if (shown < total)
        /* Translators: a search of the database found %2$u; the newest %1$u are shown. */
        return g_strdup_printf (_("Found %2$u, the newest %1$u shown"), shown, total);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Found %u", "Found %u", total), total);
    }
  if (shown < total)
    return g_strdup_printf (newest_format, shown, total);
  return g_strdup_printf (all_format, total);
}

static void
update_history_count (CentralWindow *self)
{
  g_autofree char *text = NULL;
  gboolean searching = self->history_search != NULL;
  guint total = 0, shown = 0;

  if (self->service != NULL)
    {
      shown = g_list_model_get_n_items (central_service_get_history (self->service));
      total = MAX (central_service_get_history_total (self->service), shown);
    }
  if (searching)
    {
      shown = page_n_items (self, LIST_HISTORY);
      total = self->history_found;
    }

  if (searching && total == SEARCHING)
    text = g_strdup (_("Searching…"));
  else
    /* Translators: %2$u sessions in the database, the newest %1$u shown. */
    text = page_summary (shown, total, searching, _("Sessions: %u"), _("Sessions: %2$u, the newest %1$u shown"));
  gtk_label_set_label (self->history_count_label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-history", self->service != NULL);
}

static void
update_log_count (CentralWindow *self)
{
  g_autofree char *text = NULL;
  gboolean searching = self->log_search != NULL;
  guint shown = page_n_items (self, LIST_LOG);

  if (searching && self->log_found == SEARCHING)
    text = g_strdup (_("Searching…"));
  else if (searching)
    text = page_summary (shown, self->log_found, TRUE, NULL, NULL);
  else
    /* Translators: the log page keeps its newest lines; the search finds the older ones. */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The newest %u line; search for older ones",
                                         "The newest %u lines; search for older ones", shown), shown);
  gtk_label_set_label (self->log_count_label, text);
}

/* Filtering ------------------------------------------------------------ */

static int
selected_state (CentralWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->state_dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected == 0)
    return -1;

  return (int) selected - 1;
}

static void
cps_items_changed_cb (CentralWindow *self)
{
  update_counts (self);
}

/* Approval is rare: the pending list is rebuilt whenever it changes. */
static void
refresh_pending (CentralWindow *self)
{
  GListModel *cps = self->service != NULL ? central_service_get_charging_points (self->service) : NULL;
  guint n = cps != NULL ? g_list_model_get_n_items (cps) : 0;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      EvChargingPoint *cp = g_list_model_get_item (cps, i);

      if (ev_charging_point_get_pending (cp))
        g_ptr_array_add (pending, cp);
      else
        g_object_unref (cp);
    }
  g_list_store_splice (self->pending, 0, g_list_model_get_n_items (G_LIST_MODEL (self->pending)),
                       pending->pdata, pending->len);
  gtk_revealer_set_reveal_child (self->pending_revealer, pending->len > 0);
}

static void
watch_pending (CentralWindow *self,
               GListModel    *cps,
               guint          position,
               guint          n)
{
  for (guint i = position; i < position + n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      g_signal_connect_object (cp, "notify::pending", G_CALLBACK (refresh_pending), self, G_CONNECT_SWAPPED);
    }
}

static void
pending_items_changed_cb (GListModel    *cps,
                          guint          position,
                          guint          removed,
                          guint          added,
                          CentralWindow *self)
{
  watch_pending (self, cps, position, added);
  if (removed > 0 || added > 0)
    refresh_pending (self);
}

/* A row of the Pending Approval section: the CP, Approve and Reject. */
static GtkWidget *
create_pending_row (gpointer item,
                    gpointer user_data)
{
  EvChargingPoint *cp = item;
  const char *cp_id = ev_charging_point_get_cp_id (cp);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *approve = gtk_button_new_with_mnemonic (_("_Approve"));
  GtkWidget *reject = gtk_button_new_with_mnemonic (_("_Reject…"));
  g_autofree char *approve_label = g_strdup_printf (_("Approve %s"), cp_id);
  g_autofree char *reject_label = g_strdup_printf (_("Reject %s"), cp_id);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cp_id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), ev_charging_point_get_location (cp));
  gtk_widget_add_css_class (approve, "suggested-action");
  gtk_widget_add_css_class (reject, "destructive-action");
  gtk_widget_set_valign (approve, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (reject, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (approve), "s", cp_id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (approve), "win.approve-cp");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (reject), "s", cp_id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (reject), "win.reject-cp");
  ev_ui_set_a11y_label (approve, approve_label);
  ev_ui_set_a11y_label (reject, reject_label);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), reject);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), approve);
  return row;
}

/* The state model follows each CP's state by itself: one item in or out
 * of the grid per change, never a refilter of them all. */
static void
state_filter_changed_cb (CentralWindow *self)
{
  ev_cp_state_model_set_state (self->state_model, selected_state (self));
  central_summary_set_state (self->summary, selected_state (self));
}

/* A count of the summary pressed: the same as choosing its state. */
static void
summary_state_cb (CentralWindow *self)
{
  int state = central_summary_get_state (self->summary);

  gtk_drop_down_set_selected (self->state_dropdown, state < 0 ? 0 : (guint) state + 1);
}

static void
summary_compact_cb (CentralWindow *self)
{
  update_counts (self);
}

static void
search_changed_cb (CentralWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_string_filter_set_search (self->id_filter, text);
  gtk_string_filter_set_search (self->location_filter, text);
}

static void
stop_search_cb (CentralWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

/* Searching the database ------------------------------------------------ */

typedef struct
{
  CentralWindow *self;
  GCancellable *cancellable;
  gboolean history;
} SearchCall;

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SearchCall *call = user_data;
  CentralWindow *self = call->self;
  g_autoptr(GListModel) found = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;

  if (call->history)
    found = central_service_search_history_finish (CENTRAL_SERVICE (source), result, &total, &error);
  else
    found = central_service_search_log_finish (CENTRAL_SERVICE (source), result, &total, &error);

  /* Only the latest search of a page still counts. */
  if (call->cancellable == (call->history ? self->history_search : self->log_search))
    {
      if (found == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            toast_error (self, error);
        }
      else if (call->history)
        {
          self->history_found = total;
          set_page_model (self, LIST_HISTORY, found, FALSE);
          update_history_count (self);
        }
      else
        {
          self->log_found = total;
          set_page_model (self, LIST_LOG, found, FALSE);
          update_log_count (self);
        }
    }

  g_object_unref (call->cancellable);
  g_object_unref (call->self);
  g_free (call);
}

/* The search text of a page: empty shows the live newest entries again;
 * anything else searches the whole database on a worker thread. */
static void
page_search (CentralWindow  *self,
             gboolean        history,
             GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  GCancellable **search = history ? &self->history_search : &self->log_search;
  SearchCall *call;

  if (self->service == NULL)
    return;

  if (*search != NULL)
    g_cancellable_cancel (*search);
  g_clear_object (search);

  if (*text == '\0')
    {
      if (history)
        {
          set_page_model (self, LIST_HISTORY, central_service_get_history (self->service), TRUE);
          update_history_count (self);
        }
      else
        {
          set_page_model (self, LIST_LOG, central_service_get_log (self->service), TRUE);
          update_log_count (self);
        }
      return;
    }

  *search = g_cancellable_new ();
  /* Until the results come, the label says so rather than the count of
   * what the page still shows. */
  if (history)
    {
      self->history_found = SEARCHING;
      update_history_count (self);
    }
  else
    {
      self->log_found = SEARCHING;
      update_log_count (self);
    }
  call = g_new0 (SearchCall, 1);
  call->self = g_object_ref (self);
  call->cancellable = g_object_ref (*search);
  call->history = history;
  if (history)
    central_service_search_history_async (self->service, text, SEARCH_LIMIT, *search, search_done_cb, call);
  else
    central_service_search_log_async (self->service, text, SEARCH_LIMIT, *search, search_done_cb, call);
}

static void
log_search_changed_cb (CentralWindow *self)
{
  page_search (self, FALSE, self->log_search_entry);
}

static void
history_search_changed_cb (CentralWindow *self)
{
  page_search (self, TRUE, self->history_search_entry);
}

/* Actions -------------------------------------------------------------- */

static void
operate_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CentralWindow) self = user_data;
  CentralService *service = CENTRAL_SERVICE (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_async_result_is_tagged (result, central_service_stop_async))
    ok = central_service_stop_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_resume_async))
    ok = central_service_resume_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_reset_token_async))
    ok = central_service_reset_token_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_set_price_async))
    ok = central_service_set_price_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_set_location_async))
    ok = central_service_set_location_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_approve_async))
    ok = central_service_approve_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_reject_async))
    ok = central_service_reject_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_forget_driver_key_async))
    ok = central_service_forget_driver_key_finish (service, result, &error);
  else
    ok = central_service_forget_finish (service, result, &error);

  /* A refusal (a supply still open, a CP already forgotten) says why. */
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast_error (self, error);
}

/* A message to the core's thread; the answer comes back as a callback. */
static void
stop_or_resume (CentralWindow *self,
                const char    *cp_id,
                gboolean       stop)
{
  if (self->service == NULL)
    return;

  if (stop)
    central_service_stop_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
  else
    central_service_resume_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
}

static void
stop_cp_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), g_variant_get_string (parameter, NULL), TRUE);
}

static void
resume_cp_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), g_variant_get_string (parameter, NULL), FALSE);
}

/* Approve of a CP awaiting approval: nothing to undo, so no question. */
static void
approve_cp_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);

  if (self->service != NULL)
    central_service_approve_async (self->service, g_variant_get_string (parameter, NULL), self->cancellable,
                                   operate_done_cb, g_object_ref (self));
}

/* The operator's answer to a confirmation; the dialog carries the CP it
 * is about (none: every CP). */
static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     CentralWindow    *self)
{
  const char *cp_id = g_object_get_data (G_OBJECT (dialog), "central-cp-id");

  if (g_str_equal (response, "stop"))
    stop_or_resume (self, cp_id, TRUE);
  else if (g_str_equal (response, "resume"))
    stop_or_resume (self, cp_id, FALSE);
  else if (self->service != NULL && g_str_equal (response, "reset-token"))
    central_service_reset_token_async (self->service, cp_id, self->cancellable, operate_done_cb,
                                       g_object_ref (self));
  else if (self->service != NULL && g_str_equal (response, "forget"))
    central_service_forget_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
  else if (self->service != NULL && g_str_equal (response, "reject"))
    central_service_reject_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
}

/* Asks before @response (labelled @label) is done to @cp_id, or to every
 * CP when it is %NULL. Cancel is the default. */
static void
confirm (CentralWindow          *self,
         const char             *heading,
         const char             *body,
         const char             *response,
         const char             *label,
         AdwResponseAppearance   appearance,
         const char             *cp_id)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    response, label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response, appearance);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "central-cp-id", g_strdup (cp_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}


/* Reset Token…, Forget… and Reject… of a card. */
static void
confirm_cp_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  gboolean forget = g_str_equal (action_name, "win.forget-cp");

  if (g_str_equal (action_name, "win.reject-cp"))
    {
      /* Translators: %s is a charging point id. */
      g_autofree char *question = g_strdup_printf (_("Reject %s?"), cp_id);

      confirm (self, question,
               _("The charging point is forgotten and its monitor disconnected. If its monitor registers "
                 "again, it awaits your approval again."),
               "reject", _("_Reject"), ADW_RESPONSE_DESTRUCTIVE, cp_id);
      return;
    }

  /* Translators: %s is a charging point id. */
  g_autofree char *heading = g_strdup_printf (forget ? _("Forget %s?") : _("Reset the Token of %s?"), cp_id);

  if (forget)
    confirm (self, heading,
             _("The charging point, its token and its registration are deleted, and its monitor is "
               "disconnected. Its supplies stay in the history. To come back, its monitor must register again."),
             "forget", _("_Forget"), ADW_RESPONSE_DESTRUCTIVE, cp_id);
  else
    confirm (self, heading,
             _("Its monitor is disconnected and its token stops working. The monitor must register again "
               "to get a new token before the charging point takes supplies again."),
             "reset-token", _("_Reset Token"), ADW_RESPONSE_SUGGESTED, cp_id);
}

/* The CP @cp_id as the window shows it, or %NULL. */
static EvChargingPoint *
find_cp (CentralWindow *self,
         const char    *cp_id)
{
  GListModel *cps = self->service != NULL ? central_service_get_charging_points (self->service) : NULL;

  for (guint i = 0; cps != NULL && i < g_list_model_get_n_items (cps); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (g_strcmp0 (ev_charging_point_get_cp_id (cp), cp_id) == 0)
        return g_steal_pointer (&cp);
    }
  return NULL;
}

/* A dialog asking one value of @cp_id in @extra: Cancel, or @set_label,
 * whose response "set" goes to @response_cb. */
static void
present_cp_value_dialog (CentralWindow *self,
                         const char    *cp_id,
                         const char    *heading,
                         const char    *body,
                         GtkWidget     *extra,
                         const char    *set_label,
                         GCallback      response_cb)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  ev_ui_set_a11y_label (extra, heading);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), extra);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "set", set_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "central-cp-id", g_strdup (cp_id), g_free);
  g_signal_connect_object (dialog, "response", response_cb, self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Forget Key of a driver: the driver id typed in the dialog's entry. */
static void
forget_driver_key_response_cb (AdwMessageDialog *dialog,
                               const char       *response,
                               CentralWindow    *self)
{
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  g_autofree char *driver_id = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (self->service == NULL || !g_str_equal (response, "forget-key") || driver_id[0] == '\0')
    return;
  central_service_forget_driver_key_async (self->service, driver_id, self->cancellable, operate_done_cb,
                                           g_object_ref (self));
}

/* Forget a Driver's Key…: a driver who lost their key (a new computer, a
 * deleted state folder) is refused until the operator unbinds their id;
 * their next signed request binds the new key (docs/protocol.md). */
static void
forget_driver_key_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *heading = _("Forget a Driver’s Key");
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                              _("Requests for this driver id are accepted only when signed "
                                                "with the key it is bound to. Forget it when the driver has "
                                                "lost theirs: their next request binds a new key — and so "
                                                "would anyone else’s who asks first as that driver."));
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_max_length (GTK_ENTRY (entry), EV_PROTOCOL_ID_MAX_LENGTH);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Driver id"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  ev_ui_set_a11y_label (entry, _("Driver id"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "forget-key", _("_Forget Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget-key",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (forget_driver_key_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Set of a price (its spin button) or a location (its entry). */
static void
value_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   CentralWindow    *self)
{
  const char *cp_id = g_object_get_data (G_OBJECT (dialog), "central-cp-id");
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);

  if (self->service == NULL || !g_str_equal (response, "set"))
    return;
  if (GTK_IS_SPIN_BUTTON (extra))
    central_service_set_price_async (self->service, cp_id, gtk_spin_button_get_value (GTK_SPIN_BUTTON (extra)),
                                     self->cancellable, operate_done_cb, g_object_ref (self));
  else
    central_service_set_location_async (self->service, cp_id, gtk_editable_get_text (GTK_EDITABLE (extra)),
                                        self->cancellable, operate_done_cb, g_object_ref (self));
}

/* Set Price… of a card: the price of the CP's next supplies. */
static void
set_price_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  g_autoptr(EvChargingPoint) cp = find_cp (self, cp_id);
  g_autofree char *heading = NULL;
  GtkWidget *spin;

  /* Translators: %s is a charging point id. */
  heading = g_strdup_printf (_("Price of %s"), cp_id);
  spin = gtk_spin_button_new_with_range (0.0, CENTRAL_CORE_PRICE_MAX, 0.01);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             cp != NULL ? ev_charging_point_get_price (cp) : CENTRAL_CORE_DEFAULT_PRICE);
  present_cp_value_dialog (self, cp_id, heading,
                           _("In € per kWh. A supply in progress keeps the price it started at; "
                             "the new one applies from the next supply."),
                           spin, _("_Set Price"), G_CALLBACK (value_response_cb));
}

/* Edit Location… of a card: where the CP is, as drivers see it. */
static void
set_location_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  g_autoptr(EvChargingPoint) cp = find_cp (self, cp_id);
  g_autofree char *heading = NULL;
  GtkWidget *entry;

  /* Translators: %s is a charging point id. */
  heading = g_strdup_printf (_("Location of %s"), cp_id);
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), EV_PROTOCOL_LOCATION_MAX_LENGTH);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), cp != NULL ? ev_charging_point_get_location (cp) : "");
  present_cp_value_dialog (self, cp_id, heading,
                           _("Drivers see it in the list of charging points at once; the station's "
                             "monitor is told when it next authenticates."),
                           entry, _("_Set Location"), G_CALLBACK (value_response_cb));
}

/* Stopping every CP ends every supply: it asks first. */
static void
stop_all_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  confirm (CENTRAL_WINDOW (widget), _("Stop All Charging Points?"),
           _("Every supply in progress ends and its ticket is issued. "
             "The charging points show “Out of order” until they are resumed."),
           "stop", _("_Stop All"), ADW_RESPONSE_DESTRUCTIVE, NULL);
}

/* Resuming harms nothing: done at once, no question asked. */
static void
resume_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), NULL, FALSE);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);

  if (self->service == NULL)
    return;

  adw_view_stack_set_visible_child_name (self->view_stack, "dashboard");
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
show_log_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "log");
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GFile) file = user_data;
  g_autoptr(GError) error = NULL;
  CentralWindow *self = g_object_get_data (G_OBJECT (file), "central-window");

  if (central_service_export_history_finish (CENTRAL_SERVICE (source), result, &error))
    {
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *title = g_strdup_printf (_("History exported to %s"), name);

      if (self != NULL)
        central_window_add_toast (self, title);
    }
  else if (self != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      toast_error (self, error);
    }
}

static void
export_response_cb (CentralWindow        *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->service != NULL)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  if (file != NULL)
    {
      /* The window may close before the export ends. */
      g_object_set_data_full (G_OBJECT (file), "central-window", g_object_ref (self), g_object_unref);
      central_service_export_history_async (self->service, file, self->cancellable,
                                            export_done_cb, g_object_ref (file));
    }

  g_signal_handlers_disconnect_by_func (chooser, export_response_cb, self);
  if (self->export_chooser == chooser)
    g_clear_object (&self->export_chooser);
}

static void
export_history_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->service == NULL || self->export_chooser != NULL)
    return;

  self->export_chooser = gtk_file_chooser_native_new (_("Export Session History"),
                                                      GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SAVE,
                                                      _("_Export"),
                                                      _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->export_chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->export_chooser),
                                     "central-history.csv");
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->export_chooser), filter);

  g_signal_connect_swapped (self->export_chooser, "response",
                            G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->export_chooser));
}

/* Core ----------------------------------------------------------------- */

static void
history_items_changed_cb (CentralWindow *self)
{
  update_history_count (self);
}

static void
log_items_changed_cb (CentralWindow *self)
{
  if (self->log_search == NULL)
    update_log_count (self);
}

static void
bind_service (CentralWindow *self)
{
  GListModel *cps = NULL;
  gboolean enabled = self->service != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop-all", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-all", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reset-token-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.forget-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.approve-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reject-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.set-price-cp", enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.set-location-cp", enabled);

  if (self->service != NULL)
    {
      cps = central_service_get_charging_points (self->service);
      g_signal_connect_object (cps, "items-changed",
                               G_CALLBACK (cps_items_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (cps, "items-changed", G_CALLBACK (pending_items_changed_cb), self, 0);
      watch_pending (self, cps, 0, g_list_model_get_n_items (cps));
      g_signal_connect_object (self->service, "notify::broker-reachable",
                               G_CALLBACK (service_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->service, "notify::port",
                               G_CALLBACK (service_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->service, "notify::n-links",
                               G_CALLBACK (service_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->service, "notify::started",
                               G_CALLBACK (service_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->service, "news",
                               G_CALLBACK (news_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (central_service_get_history (self->service), "items-changed",
                               G_CALLBACK (history_items_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->service, "notify::history-total",
                               G_CALLBACK (history_items_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (central_service_get_log (self->service), "items-changed",
                               G_CALLBACK (log_items_changed_cb), self, G_CONNECT_SWAPPED);

      set_page_model (self, LIST_REQUESTS, central_service_get_requests (self->service), FALSE);
      set_page_model (self, LIST_LOG, central_service_get_log (self->service), TRUE);
      set_page_model (self, LIST_HISTORY, central_service_get_history (self->service), TRUE);
      g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                               G_CALLBACK (update_list_pages), self, G_CONNECT_SWAPPED);
      gtk_stack_set_visible_child_name (self->main_stack, "console");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->port_label), central_service_get_listen (self->service));
    }

  ev_cp_state_model_set_model (self->state_model, cps);
  central_summary_set_model (self->summary, cps);
  refresh_pending (self);
  update_counts (self);
  update_status (self);
  update_history_count (self);
  update_log_count (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->log_search_entry), self->service != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->history_search_entry), self->service != NULL);
}

/* GObject -------------------------------------------------------------- */

static void
central_window_constructed (GObject *object)
{
  CentralWindow *self = CENTRAL_WINDOW (object);

  G_OBJECT_CLASS (central_window_parent_class)->constructed (object);

  bind_service (self);
}

static void
central_window_dispose (GObject *object)
{
  CentralWindow *self = CENTRAL_WINDOW (object);

  if (self->attention_toast != NULL)
    g_signal_handlers_disconnect_by_func (self->attention_toast, attention_dismissed_cb, self);
  g_clear_object (&self->attention_toast);
  g_cancellable_cancel (self->cancellable);

  if (self->export_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->export_chooser, export_response_cb, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->export_chooser));
      g_clear_object (&self->export_chooser);
    }

  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_signal_handlers_disconnect_by_data (central_service_get_charging_points (self->service), self);
      g_signal_handlers_disconnect_by_data (central_service_get_history (self->service), self);
      g_signal_handlers_disconnect_by_data (central_service_get_log (self->service), self);
    }
  if (self->log_search != NULL)
    g_cancellable_cancel (self->log_search);
  if (self->history_search != NULL)
    g_cancellable_cancel (self->history_search);
  g_clear_object (&self->log_search);
  g_clear_object (&self->history_search);
  for (ListPage page = 0; page < N_LISTS; page++)
    {
      g_clear_object (&self->wanted[page]);
      self->attached[page] = NULL;
    }

  if (self->cp_filter_model != NULL)
    g_signal_handlers_disconnect_by_data (self->cp_filter_model, self);
  if (self->state_model != NULL)
    ev_cp_state_model_set_model (self->state_model, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), CENTRAL_TYPE_WINDOW);

  g_clear_object (&self->service);

  G_OBJECT_CLASS (central_window_parent_class)->dispose (object);
}

static void
central_window_finalize (GObject *object)
{
  CentralWindow *self = CENTRAL_WINDOW (object);

  g_clear_object (&self->state_model);
  g_clear_object (&self->pending);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (central_window_parent_class)->finalize (object);
}

static void
central_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CentralWindow *self = CENTRAL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CentralWindow *self = CENTRAL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
show_shortcuts_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ev_ui_show_shortcuts (GTK_WINDOW (widget), "/io/github/evcharging/EVCharging/Central/shortcuts.ui");
}

static void
central_window_class_init (CentralWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = central_window_constructed;
  object_class->dispose = central_window_dispose;
  object_class->finalize = central_window_finalize;
  object_class->get_property = central_window_get_property;
  object_class->set_property = central_window_set_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL,
                         CENTRAL_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Referencing the resource links its object file out of the static
   * library; its constructor then registers it. */
  (void) central_get_resource ();

  /* Types named in the templates. */
  g_type_ensure (CENTRAL_TYPE_SUMMARY);
  g_type_ensure (CENTRAL_TYPE_CP_CARD);
  g_type_ensure (EV_TYPE_CHARGING_POINT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/evcharging/EVCharging/Central/central-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, dashboard_stack);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, summary);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, cp_list_view);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, pending_revealer);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, pending_list);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, grid_view);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, cp_filter_model);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, id_filter);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, location_filter);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, requests_view);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, log_header);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, history_view);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, history_count_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, log_count_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, log_search_entry);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, history_search_entry);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, broker_icon);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, broker_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, port_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, tls_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, tls_icon);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, CentralWindow, error_page);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, state_filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, summary_state_cb);
  gtk_widget_class_bind_template_callback (widget_class, summary_compact_cb);
  gtk_widget_class_bind_template_callback (widget_class, log_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, history_search_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.stop-cp", "s", stop_cp_action);
  gtk_widget_class_install_action (widget_class, "win.resume-cp", "s", resume_cp_action);
  gtk_widget_class_install_action (widget_class, "win.reset-token-cp", "s", confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.forget-cp", "s", confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.approve-cp", "s", approve_cp_action);
  gtk_widget_class_install_action (widget_class, "win.reject-cp", "s", confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.set-price-cp", "s", set_price_action);
  gtk_widget_class_install_action (widget_class, "win.set-location-cp", "s", set_location_action);
  gtk_widget_class_install_action (widget_class, "win.stop-all", NULL, stop_all_action);
  gtk_widget_class_install_action (widget_class, "win.resume-all", NULL, resume_all_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-log", NULL, show_log_action);
  gtk_widget_class_install_action (widget_class, "win.export-history", NULL, export_history_action);
  gtk_widget_class_install_action (widget_class, "win.forget-driver-key", NULL, forget_driver_key_action);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL, show_shortcuts_action);
}

static void
central_window_init (CentralWindow *self)
{
  g_autoptr(GtkStringList) states = gtk_string_list_new (NULL);

  self->cancellable = g_cancellable_new ();
  /* Before the template: choosing a state reaches it at once. */
  self->state_model = ev_cp_state_model_new (NULL, -1);
  self->pending = g_list_store_new (EV_TYPE_CHARGING_POINT);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_list_box_bind_model (self->pending_list, G_LIST_MODEL (self->pending), create_pending_row, self, NULL);

  gtk_string_list_append (states, _("All States"));
  for (EvCpState state = 0; state <= EV_CP_STATE_LAST; state++)
    gtk_string_list_append (states, ev_cp_state_get_label (state));
  gtk_drop_down_set_model (self->state_dropdown, G_LIST_MODEL (states));

  gtk_filter_list_model_set_model (self->cp_filter_model, G_LIST_MODEL (self->state_model));
  g_signal_connect_swapped (self->cp_filter_model, "items-changed",
                            G_CALLBACK (filtered_items_changed_cb), self);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  setup_columns (self);

  gtk_stack_set_visible_child_name (self->main_stack, "console");
}

CentralWindow *
central_window_new (CentralApplication *app,
                    CentralService     *service)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (service == NULL || CENTRAL_IS_SERVICE (service), NULL);

  return g_object_new (CENTRAL_TYPE_WINDOW,
                       "application", app,
                       "service", service,
                       NULL);
}

CentralService *
central_window_get_service (CentralWindow *self)
{
  g_return_val_if_fail (CENTRAL_IS_WINDOW (self), NULL);

  return self->service;
}

/**
 * central_window_show_error:
 * @self: a #CentralWindow
 * @message: why Central could not start, translated
 *
 * Replaces the console with a page that explains the failure and offers
 * the preferences.
 */
void
central_window_show_error (CentralWindow *self,
                           const char    *message)
{
  g_return_if_fail (CENTRAL_IS_WINDOW (self));

  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop-all", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-all", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-history", FALSE);
}

/**
 * central_window_show_page:
 * @self: a #CentralWindow
 * @name: "dashboard", "requests", "log" or "history"
 *
 * Returns: %TRUE if there is such a page (now shown)
 */
gboolean
central_window_show_page (CentralWindow *self,
                          const char    *name)
{
  g_return_val_if_fail (CENTRAL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) == NULL)
    return FALSE;
  adw_view_stack_set_visible_child_name (self->view_stack, name);
  return TRUE;
}

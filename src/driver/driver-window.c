/* driver-window.c: the driver's app.
 *
 * On the left the charging points (a GtkListView of DriverCpRow over the
 * core's list, filtered by the search text) and the button that requests
 * a supply at the chosen one; on the right three pages: the supply being
 * followed (its state, live figures and, once it ends, the ticket as a
 * receipt), the request file run, and the history of the driver's own
 * tickets with totals. The broker's status is always in the status bar.
 *
 * Everything shown follows the core's property notifications and list
 * models; every control is a window action ("win.request", …) enabled
 * only when the core would accept it, so buttons go insensitive by
 * themselves. The core's errors and news are toasts. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-cp-row.h"
#include "driver-enum-types.h"
#include "driver-ui.h"
#include "driver-window.h"
#include "ev-supply.h"

struct _DriverWindow
{
  AdwApplicationWindow  parent_instance;

  DriverCore           *core;
  DriverSettings       *settings;   /* nullable */
  GFile                *request_file;
  GtkFileChooserNative *file_chooser;
  const char           *phase_class;
  GPtrArray            *supply_watches;  /* GtkExpressionWatch: core → supply → a figure */

  /* Template widgets. */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  AdwWindowTitle       *window_title;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GtkSearchEntry       *search_entry;
  GtkStack             *cp_stack;
  AdwStatusPage        *cp_empty_page;
  GtkListView          *cp_list;
  GtkSingleSelection   *cp_selection;
  GtkFilterListModel   *cp_filter_model;
  GtkStringFilter      *id_filter;
  GtkStringFilter      *location_filter;
  GtkWidget            *banner;
  GtkLabel             *headline_label;
  GtkLabel             *status_label;
  GtkWidget            *figures_box;
  GtkLabel             *kwh_label;
  GtkLabel             *amount_label;
  GtkWidget            *retry_button;
  GtkWidget            *details_group;
  AdwActionRow         *cp_row;
  AdwActionRow         *price_row;
  AdwActionRow         *started_row;
  GtkWidget            *receipt_group;
  AdwActionRow         *receipt_cp_row;
  AdwActionRow         *receipt_start_row;
  AdwActionRow         *receipt_end_row;
  AdwActionRow         *receipt_kwh_row;
  AdwActionRow         *receipt_price_row;
  AdwActionRow         *receipt_amount_row;
  AdwActionRow         *receipt_reason_row;
  AdwActionRow         *receipt_supply_row;
  AdwActionRow         *file_row;
  GtkProgressBar       *file_progress;
  GtkLabel             *file_progress_label;
  GtkButton            *pause_file_button;
  GtkListBox           *file_results;
  GPtrArray            *skipped_lines;   /* rows for lines skipped, until the run starts */
  GtkListView          *history_list;
  GtkLabel             *history_count_label;
  GtkLabel             *total_kwh_label;
  GtkLabel             *total_amount_label;
  GtkLabel             *broker_label;
  GtkLabel             *key_label;
  GtkLabel             *file_status_label;
  GtkLabel             *driver_label;
};

G_DEFINE_FINAL_TYPE (DriverWindow, driver_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CORE,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static EvChargingPoint *
selected_cp (DriverWindow *self)
{
  return gtk_single_selection_get_selected_item (self->cp_selection);
}

/* The CP of the core's list named @cp_id, or NULL. */
static EvChargingPoint *
find_cp (DriverWindow *self,
         const char   *cp_id)
{
  GListModel *cps = driver_core_get_charging_points (self->core);
  guint n = g_list_model_get_n_items (cps);

  for (guint i = 0; cp_id != NULL && i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (g_strcmp0 (ev_charging_point_get_cp_id (cp), cp_id) == 0)
        return cp;   /* the list keeps its reference */
    }
  return NULL;
}

/* Whether a new request could go out now, at any CP. */
static gboolean
can_request (DriverWindow *self)
{
  DriverPhase phase = driver_core_get_phase (self->core);

  return !driver_core_get_file_running (self->core) &&
         (!driver_phase_is_active (phase) || phase == DRIVER_PHASE_NO_ANSWER);
}

static void
update_actions (DriverWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean running;
  DriverPhase phase;
  EvChargingPoint *cp;

  /* The list lets go of its selection while the window is disposed. */
  if (self->core == NULL || self->cp_selection == NULL)
    return;
  running = driver_core_get_file_running (self->core);
  phase = driver_core_get_phase (self->core);
  cp = selected_cp (self);

  /* A CP out of order, busy or gone cannot take a supply: asking is off. */
  gtk_widget_action_set_enabled (widget, "win.request",
                                 cp != NULL && ev_cp_state_is_available (ev_charging_point_get_state (cp)) &&
                                 can_request (self));
  gtk_widget_action_set_enabled (widget, "win.request-auto",
                                 driver_core_choose_cp (self->core) != NULL && can_request (self));
  gtk_widget_action_set_enabled (widget, "win.retry", phase == DRIVER_PHASE_NO_ANSWER && !running);
  gtk_widget_action_set_enabled (widget, "win.open-file", !running);
  gtk_widget_action_set_enabled (widget, "win.start-file", self->request_file != NULL && can_request (self));
  gtk_widget_action_set_enabled (widget, "win.pause-file", running);
  gtk_widget_action_set_enabled (widget, "win.stop-file", running);
}

/* Supply --------------------------------------------------------------------- */

static const char *
phase_css_class (DriverPhase phase)
{
  switch (phase)
    {
    case DRIVER_PHASE_REQUESTED: return "phase-requested";
    case DRIVER_PHASE_NO_ANSWER: return "phase-no-answer";
    case DRIVER_PHASE_AUTHORIZED: return "phase-authorized";
    case DRIVER_PHASE_SUPPLYING: return "phase-supplying";
    case DRIVER_PHASE_FINISHED: return "phase-finished";
    case DRIVER_PHASE_DENIED: return "phase-denied";
    case DRIVER_PHASE_FAILED: return "phase-failed";
    case DRIVER_PHASE_IDLE:
    default: return "phase-idle";
    }
}

/* The banner's headline: where the supply stands, in a few words. */
static char *
phase_headline (DriverPhase  phase,
                const char  *cp_id)
{
  switch (phase)
    {
    case DRIVER_PHASE_REQUESTED:
      return g_strdup (_("Waiting for Central…"));
    case DRIVER_PHASE_NO_ANSWER:
      return g_strdup (_("Central is not answering"));
    case DRIVER_PHASE_AUTHORIZED:
      /* Translators: the headline once a supply is authorised; %s is a CP id. */
      return g_strdup_printf (_("Plug in at %s"), cp_id);
    case DRIVER_PHASE_SUPPLYING:
      return g_strdup_printf (_("Charging at %s"), cp_id);
    case DRIVER_PHASE_FINISHED:
      return g_strdup (_("Supply finished"));
    case DRIVER_PHASE_DENIED:
      return g_strdup (_("Request refused"));
    case DRIVER_PHASE_FAILED:
      return g_strdup (_("The supply ended early"));
    case DRIVER_PHASE_IDLE:
    default:
      return g_strdup (_("Choose a charging point"));
    }
}

static void
update_price (DriverWindow *self)
{
  double price = driver_core_get_price (self->core);
  EvChargingPoint *cp = find_cp (self, driver_core_get_cp_id (self->core));
  g_autofree char *text = NULL;

  /* Until Central's answer names the price, the list's price is the best
   * guess. */
  if (price <= 0.0 && cp != NULL)
    price = ev_charging_point_get_price (cp);
  if (price > 0.0)
    text = ev_ui_format_price (price);
  adw_action_row_set_subtitle (self->price_row, text != NULL ? text : _("Not known yet"));
  adw_action_row_set_subtitle (self->receipt_price_row, text != NULL ? text : "—");
}

static void
update_figures (DriverWindow *self)
{
  g_autofree char *kwh = ev_ui_format_kwh (driver_core_get_kwh (self->core));
  g_autofree char *amount = ev_ui_format_amount (driver_core_get_amount (self->core));
  g_autofree char *a11y = NULL;

  gtk_label_set_label (self->kwh_label, kwh);
  gtk_label_set_label (self->amount_label, amount);
  adw_action_row_set_subtitle (self->receipt_kwh_row, kwh);
  adw_action_row_set_subtitle (self->receipt_amount_row, amount);

  /* Translators: the accessible name of the live figures: energy, amount. */
  a11y = g_strdup_printf (_("Energy %s, amount %s"), kwh, amount);
  ev_ui_set_a11y_label (self->figures_box, a11y);
}

static void
update_times (DriverWindow *self)
{
  gint64 started = driver_core_get_started_at (self->core);
  g_autofree char *start = driver_ui_format_date_time (started);
  g_autofree char *end = driver_ui_format_date_time (driver_core_get_ended_at (self->core));

  adw_action_row_set_subtitle (self->started_row, started > 0 ? start : _("Not yet"));
  adw_action_row_set_subtitle (self->receipt_start_row, start);
  adw_action_row_set_subtitle (self->receipt_end_row, end);
}

static void
supply_figure_cb (gpointer user_data)
{
  DriverWindow *self = user_data;

  update_price (self);
  update_figures (self);
  update_times (self);
}

/* The supply's figures, price and times follow the supply itself
 * (#DriverCore:supply, then each figure), whichever supply the core
 * follows: expressions, not copies. */
static void
watch_supply (DriverWindow *self)
{
  static const char * const figures[] = { "kwh", "amount", "price", "started-at", "ended-at" };

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autoptr(GtkExpression) expression =
        gtk_property_expression_new (EV_TYPE_SUPPLY,
                                     gtk_property_expression_new (DRIVER_TYPE_CORE, NULL, "supply"),
                                     figures[i]);

      g_ptr_array_add (self->supply_watches,
                       gtk_expression_watch (expression, self->core, supply_figure_cb, self, NULL));
    }
}

static void
update_supply (DriverWindow *self)
{
  DriverPhase phase = driver_core_get_phase (self->core);
  const char *cp_id = driver_core_get_cp_id (self->core);
  const char *reason = driver_core_get_reason (self->core);
  g_autofree char *headline = phase_headline (phase, cp_id);
  g_autofree char *status = driver_core_dup_status_text (self->core);
  g_autofree char *a11y = NULL;
  gboolean receipt = phase == DRIVER_PHASE_FINISHED || phase == DRIVER_PHASE_FAILED;

  ev_ui_swap_css_class (self->banner, &self->phase_class, phase_css_class (phase));
  gtk_label_set_label (self->headline_label, headline);
  if (phase == DRIVER_PHASE_IDLE)
    gtk_label_set_label (self->status_label,
                         _("Pick an available charging point in the list, then request a supply."));
  else
    gtk_label_set_label (self->status_label, status);

  /* Translators: the accessible name of the supply banner: headline, then
   * the situation in words. */
  a11y = g_strdup_printf (_("%s. %s"), headline, gtk_label_get_label (self->status_label));
  ev_ui_set_a11y_label (self->banner, a11y);

  gtk_widget_set_visible (self->figures_box,
                          phase == DRIVER_PHASE_SUPPLYING || receipt);
  gtk_widget_set_visible (self->retry_button, phase == DRIVER_PHASE_NO_ANSWER);
  gtk_widget_set_visible (self->details_group, phase != DRIVER_PHASE_IDLE && !receipt);
  gtk_widget_set_visible (self->receipt_group, receipt);

  adw_action_row_set_subtitle (self->cp_row, ev_ui_or_dash (cp_id));
  adw_action_row_set_subtitle (self->receipt_cp_row, ev_ui_or_dash (cp_id));
  adw_action_row_set_subtitle (self->receipt_supply_row, ev_ui_or_dash (driver_core_get_supply_id (self->core)));
  adw_action_row_set_subtitle (self->receipt_reason_row, driver_reason_describe (phase, reason));
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->receipt_group),
                                   phase == DRIVER_PHASE_FAILED ? _("Ticket of an Interrupted Supply") : _("Ticket"));

  update_price (self);
  update_actions (self);
}

/* Request file ----------------------------------------------------------------- */

static void
update_file (DriverWindow *self)
{
  gboolean running = driver_core_get_file_running (self->core);
  gboolean paused = driver_core_get_file_paused (self->core);
  guint position = driver_core_get_file_position (self->core);
  guint total = driver_core_get_file_total (self->core);
  g_autofree char *progress = NULL;
  g_autofree char *basename = NULL;

  /* One button pauses and resumes; its accessible name says which. */
  gtk_button_set_label (self->pause_file_button, paused ? _("_Resume") : _("_Pause"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->pause_file_button),
                               paused ? _("Go on with the next charging point of the file")
                                      : _("Request no further charging point until resumed; a supply under way goes on"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause_file_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  paused ? _("Resume the request file") : _("Pause the request file"),
                                  -1);

  if (running)
    {
      g_autoptr(GFile) file = g_file_new_for_path (driver_core_get_file_path (self->core));

      /* Position counts the lines done; the one under way is the next. */
      basename = g_file_get_basename (file);
      if (paused)
        /* Translators: progress of a paused request file: supply n of m. */
        progress = g_strdup_printf (_("Paused at supply %u of %u"), MIN (position + 1, total), total);
      else
        /* Translators: progress of a request file: supply n of m. */
        progress = g_strdup_printf (_("Supply %u of %u"), MIN (position + 1, total), total);
      gtk_progress_bar_set_fraction (self->file_progress, total > 0 ? (double) position / total : 0.0);
      gtk_label_set_label (self->file_progress_label, progress);
      adw_action_row_set_subtitle (self->file_row, driver_core_get_file_path (self->core));
      {
        g_autofree char *status = NULL;

        if (paused)
          /* Translators: the status bar while a request file is paused: file name, n of m. */
          status = g_strdup_printf (_("Paused %s: %u of %u"), basename, MIN (position + 1, total), total);
        else
          /* Translators: the status bar while a request file runs: file name, n of m. */
          status = g_strdup_printf (_("Running %s: %u of %u"), basename, MIN (position + 1, total), total);

        gtk_label_set_label (self->file_status_label, status);
      }
    }
  else
    {
      g_autofree char *path = self->request_file != NULL ? g_file_get_path (self->request_file) : NULL;

      adw_action_row_set_subtitle (self->file_row, path != NULL ? path : _("No file chosen"));
      gtk_label_set_label (self->file_status_label, "");
      if (gtk_progress_bar_get_fraction (self->file_progress) == 0.0)
        gtk_label_set_label (self->file_progress_label, _("Not running"));
    }
  update_actions (self);
}

static const char *
outcome_text (DriverFileOutcome outcome)
{
  switch (outcome)
    {
    case DRIVER_FILE_OUTCOME_TICKET: return _("Ticket");
    case DRIVER_FILE_OUTCOME_DENIED: return _("Refused");
    case DRIVER_FILE_OUTCOME_SUPPLY_ERROR: return _("Ended early");
    case DRIVER_FILE_OUTCOME_NO_ANSWER: return _("No answer from Central");
    case DRIVER_FILE_OUTCOME_NOT_SENT:
    default: return _("Not sent");
    }
}

static void
add_file_result (DriverWindow           *self,
                 const DriverFileResult *result)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *kwh = ev_ui_format_kwh (result->kwh);
  g_autofree char *amount = ev_ui_format_amount (result->amount);
  GtkWidget *row;

  /* Translators: a result of a request file: n, CP id, outcome. */
  title = g_strdup_printf (_("%u. %s — %s"), result->n, result->cp_id, outcome_text (result->outcome));
  if (result->outcome == DRIVER_FILE_OUTCOME_TICKET || result->outcome == DRIVER_FILE_OUTCOME_SUPPLY_ERROR)
    subtitle = g_strdup_printf ("%s · %s", kwh, amount);
  else if (result->outcome == DRIVER_FILE_OUTCOME_DENIED)
    subtitle = g_strdup (driver_reason_describe (DRIVER_PHASE_DENIED, result->reason));

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_append (self->file_results, row);
}

static void
clear_file_results (DriverWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->file_results))) != NULL &&
         GTK_IS_LIST_BOX_ROW (child))
    gtk_list_box_remove (self->file_results, child);
}

/* A malformed line of the file, skipped: it stays in the results (a
 * toast passes), listed first once the run starts. */
static void
keep_skipped_line (DriverWindow          *self,
                   const DriverEventData *data)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *text = g_markup_escape_text (data->text != NULL ? data->text : "", -1);
  g_autofree char *reason = g_markup_escape_text (data->reason != NULL ? data->reason : "", -1);
  GtkWidget *row;

  /* Translators: a line of a request file that is not a charging point id. */
  title = g_strdup_printf (_("Line %u — skipped"), data->line);
  /* Translators: the text of a skipped line, then why. */
  subtitle = g_strdup_printf (_("“%s”: %s"), text, reason);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (row, "skipped-line");
  g_ptr_array_add (self->skipped_lines, g_object_ref_sink (row));
}

static void
show_skipped_lines (DriverWindow *self)
{
  for (guint i = 0; i < self->skipped_lines->len; i++)
    gtk_list_box_append (self->file_results, g_ptr_array_index (self->skipped_lines, i));
  g_ptr_array_set_size (self->skipped_lines, 0);
}

/* History ---------------------------------------------------------------------- */

static void
update_history (DriverWindow *self)
{
  guint n = g_list_model_get_n_items (driver_core_get_history (self->core));
  g_autofree char *count = g_strdup_printf ("%u", n);
  g_autofree char *kwh = ev_ui_format_kwh (driver_core_get_total_kwh (self->core));
  g_autofree char *amount = ev_ui_format_amount (driver_core_get_total_amount (self->core));

  gtk_label_set_label (self->history_count_label, count);
  gtk_label_set_label (self->total_kwh_label, kwh);
  gtk_label_set_label (self->total_amount_label, amount);
}

static void
history_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *amount = gtk_label_new (NULL);

  gtk_widget_set_hexpand (text, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (amount, "numeric");
  gtk_widget_add_css_class (amount, "title-4");
  gtk_box_append (GTK_BOX (text), title);
  gtk_box_append (GTK_BOX (text), subtitle);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), amount);
  gtk_widget_add_css_class (box, "history-row");
  gtk_list_item_set_child (list_item, box);
  gtk_list_item_set_activatable (list_item, FALSE);
}

/* A concluded supply does not change any more: binding once is enough. */
static void
history_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  EvSupply *session = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *text = gtk_widget_get_first_child (box);
  GtkLabel *title = GTK_LABEL (gtk_widget_get_first_child (text));
  GtkLabel *subtitle = GTK_LABEL (gtk_widget_get_last_child (text));
  GtkLabel *amount_label = GTK_LABEL (gtk_widget_get_last_child (box));
  gboolean failed = ev_supply_get_phase (session) != EV_SUPPLY_PHASE_FINISHED;
  const char *why = driver_reason_describe (failed ? DRIVER_PHASE_FAILED : DRIVER_PHASE_FINISHED,
                                            ev_supply_get_reason (session));
  g_autofree char *when = driver_ui_format_date_time (ev_supply_get_started_at (session));
  g_autofree char *kwh = ev_ui_format_kwh (ev_supply_get_kwh (session));
  g_autofree char *amount = ev_ui_format_amount (ev_supply_get_amount (session));
  g_autofree char *heading = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *a11y = NULL;

  /* Translators: a ticket in the history: CP id, start date and time. */
  heading = g_strdup_printf (_("%s, %s"), ev_supply_get_cp_id (session), when);
  if (failed)
    /* Translators: a supply ended by an error: energy, reason. */
    detail = g_strdup_printf (_("%s · ended early: %s"), kwh, why);
  else
    /* Translators: a ticket: energy, reason it ended. */
    detail = g_strdup_printf (_("%s · %s"), kwh, why);

  gtk_label_set_label (title, heading);
  gtk_label_set_label (subtitle, detail);
  gtk_label_set_label (amount_label, amount);
  a11y = g_strdup_printf ("%s: %s, %s", heading, detail, amount);
  ev_ui_set_a11y_label (box, a11y);
}

/* Newest first. */
static int
history_compare (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  gint64 ta = ev_supply_get_ended_at ((EvSupply *) a);
  gint64 tb = ev_supply_get_ended_at ((EvSupply *) b);

  return ta < tb ? 1 : ta > tb ? -1 : 0;
}

static void
setup_history (DriverWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (history_compare, NULL, NULL));
  GtkSortListModel *sorted;
  g_autoptr(GtkNoSelection) selection = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (history_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (history_bind_cb), NULL);
  sorted = gtk_sort_list_model_new (g_object_ref (driver_core_get_history (self->core)), sorter);
  selection = gtk_no_selection_new (G_LIST_MODEL (sorted));
  gtk_list_view_set_factory (self->history_list, factory);
  gtk_list_view_set_model (self->history_list, GTK_SELECTION_MODEL (selection));
}

/* CP list ------------------------------------------------------------------------ */

static void
update_cp_count (DriverWindow *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->cp_filter_model));
  guint all = g_list_model_get_n_items (driver_core_get_charging_points (self->core));
  gboolean loaded = driver_core_get_charging_points_loaded (self->core);

  /* The list appears whole, once read to its end, never half of it. */
  gtk_stack_set_visible_child_name (self->cp_stack, loaded && shown > 0 ? "list" : "empty");
  if (!loaded)
    {
      adw_status_page_set_title (self->cp_empty_page, _("Loading Charging Points…"));
      adw_status_page_set_description (self->cp_empty_page,
                                       _("Reading the list of charging points from Central."));
    }
  else if (all == 0)
    {
      adw_status_page_set_title (self->cp_empty_page, _("No Charging Points"));
      adw_status_page_set_description (self->cp_empty_page, _("Central has no charging point yet."));
    }
  else
    {
      adw_status_page_set_title (self->cp_empty_page, _("No Charging Points"));
      adw_status_page_set_description (self->cp_empty_page, _("No charging point matches the search."));
    }
}

static void
search_changed_cb (DriverWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_string_filter_set_search (self->id_filter, text);
  gtk_string_filter_set_search (self->location_filter, text);
}

static void
cp_activated_cb (DriverWindow *self,
                 guint         position)
{
  gtk_single_selection_set_selected (self->cp_selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.request", NULL);
}

/* Status ------------------------------------------------------------------------- */

static void
update_broker (DriverWindow *self)
{
  gboolean reachable = driver_core_get_broker_reachable (self->core);

  ev_ui_set_status (self->broker_label, reachable, reachable ? _("Broker connected") : _("Broker unreachable"));
}

static void
update_identity (DriverWindow *self)
{
  const char *driver_id = driver_core_get_driver_id (self->core);
  g_autofree char *subtitle = g_strdup_printf (_("Driver %s"), driver_id);
  /* Translators: the window title: app name, driver id. */
  g_autofree char *title = g_strdup_printf (_("EV Charging Driver — %s"), driver_id);

  adw_window_title_set_subtitle (self->window_title, subtitle);
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_label (self->driver_label, subtitle);
  /* Said for as long as it lasts: anyone on the bus can pass for Central. */
  ev_ui_set_status (self->key_label, driver_core_get_central_key (self->core) != NULL,
                    driver_core_get_central_key (self->core) != NULL ? _("Central’s messages checked")
                                                                     : _("Central’s messages not checked: no key"));
}

static void
core_notify_cb (DriverWindow *self,
                GParamSpec   *pspec,
                DriverCore   *core)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "status-text") || g_str_equal (name, "phase") ||
           g_str_equal (name, "cp-id") || g_str_equal (name, "reason") || g_str_equal (name, "supply-id"))
    update_supply (self);
  else if (g_str_equal (name, "broker-reachable"))
    update_broker (self);
  else if (g_str_equal (name, "charging-points-loaded"))
    update_cp_count (self);
  else if (g_str_has_prefix (name, "file-"))
    update_file (self);
  else if (g_str_has_prefix (name, "total-"))
    update_history (self);
}

/* The core's news worth a toast; the banner shows the rest. */
static void
core_event_cb (DriverWindow *self,
               DriverEvent  *event,
               DriverCore   *core)
{
  const DriverEventData *data = driver_event_get_data (event);
  g_autofree char *text = NULL;

  switch (driver_event_get_kind (event))
    {
    case DRIVER_EVENT_ERROR:
      text = g_strdup (ev_event_get_message (EV_EVENT (event)));
      break;
    case DRIVER_EVENT_FILE_INVALID_LINE:
      text = g_strdup (ev_event_get_message (EV_EVENT (event)));
      keep_skipped_line (self, data);
      break;
    case DRIVER_EVENT_RECOVERED:
      text = g_strdup (_("Your supply in progress was recovered"));
      break;
    case DRIVER_EVENT_FILE_START:
      if (!data->resumed)
        clear_file_results (self);
      show_skipped_lines (self);
      gtk_progress_bar_set_fraction (self->file_progress, 0.0);
      break;
    case DRIVER_EVENT_FILE_RESULT:
      add_file_result (self, data->result);
      break;
    case DRIVER_EVENT_FILE_DONE:
      {
        DriverFileTotals totals;

        driver_file_results_count (data->results, &totals);
        gtk_progress_bar_set_fraction (self->file_progress, data->stopped ? 0.0 : 1.0);
        if (data->stopped)
          text = g_strdup (_("The request file was stopped"));
        else
          /* Translators: the end of a request file run: tickets, lines. */
          text = g_strdup_printf (ngettext ("Request file done: %u ticket for %u charging points",
                                            "Request file done: %u tickets for %u charging points",
                                            totals.tickets),
                                  totals.tickets, data->total);
        gtk_label_set_label (self->file_progress_label, text);
      }
      break;
    case DRIVER_EVENT_CP_STATE:
      /* The CP selected may have become available, or not. */
      update_actions (self);
      break;
    default:
      /* Properties and list models show the rest. */
      break;
    }

  if (text != NULL && *text != '\0')
    driver_window_add_toast (self, text);
}

/* Actions ---------------------------------------------------------------------- */

static void
toast_error (DriverWindow *self,
             const GError *error)
{
  if (error != NULL)
    driver_window_add_toast (self, error->message);
}

/* One of the pages beside the CP list; on a narrow window, where the list
 * and the pages take turns, the pages come forward. */
static void
show_page (DriverWindow *self,
           const char   *name)
{
  adw_view_stack_set_visible_child_name (self->view_stack, name);
  adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

/* `win.show-pane ("points" | "content")`: on a narrow window, the CP list
 * or the pages. */
static void
show_pane_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);

  adw_leaflet_set_visible_child_name (self->leaflet, g_variant_get_string (parameter, NULL));
}

static void
request_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  EvChargingPoint *cp = selected_cp (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;

  if (cp == NULL)
    return;
  request_id = driver_core_request (self->core, ev_charging_point_get_cp_id (cp), &error);
  if (request_id == NULL)
    toast_error (self, error);
  else
    show_page (self, "supply");
}

/* The cheapest CP available now, chosen by the core (`auto`). */
static void
request_auto_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = driver_core_request (self->core, DRIVER_CORE_AUTO_CP, &error);

  if (request_id == NULL)
    toast_error (self, error);
  else
    show_page (self, "supply");
}

/* Asking again at the same CP repeats the same request id (see
 * driver_core_request()), so Central never authorises it twice. */
static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  g_autofree char *cp_id = g_strdup (driver_core_get_cp_id (self->core));
  g_autofree char *request_id = NULL;
  g_autoptr(GError) error = NULL;

  request_id = driver_core_request (self->core, cp_id, &error);
  if (request_id == NULL)
    toast_error (self, error);
}

static void
file_chooser_response_cb (DriverWindow         *self,
                          int                   response,
                          GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      driver_window_set_request_file (self, file);
    }
  g_clear_object (&self->file_chooser);
}

static void
open_file_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  g_autoptr(GtkFileFilter) text_filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_filter = gtk_file_filter_new ();
  const char *folder = self->settings != NULL ? driver_settings_get_last_folder (self->settings) : NULL;

  if (self->file_chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->file_chooser));
      return;
    }

  self->file_chooser = gtk_file_chooser_native_new (_("Choose a Request File"), GTK_WINDOW (self),
                                                    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->file_chooser), TRUE);
  gtk_file_filter_set_name (text_filter, _("Text files"));
  gtk_file_filter_add_mime_type (text_filter, "text/plain");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->file_chooser), text_filter);
  gtk_file_filter_set_name (all_filter, _("All files"));
  gtk_file_filter_add_pattern (all_filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->file_chooser), all_filter);
  if (folder != NULL && *folder != '\0')
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->file_chooser), dir, NULL);
    }
  g_signal_connect_object (self->file_chooser, "response", G_CALLBACK (file_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->file_chooser));
}

static void
start_file_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  g_autofree char *path = self->request_file != NULL ? g_file_get_path (self->request_file) : NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    return;
  gtk_progress_bar_set_fraction (self->file_progress, 0.0);
  if (!driver_core_run_file (self->core, path, &error))
    toast_error (self, error);
}

static void
pause_file_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (driver_core_get_file_paused (self->core))
    done = driver_core_resume_file (self->core, &error);
  else
    done = driver_core_pause_file (self->core, &error);
  if (!done)
    toast_error (self, error);
}

static void
stop_file_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);

  driver_core_stop_file (self->core);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DriverWindow *self = DRIVER_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* GObject ---------------------------------------------------------------------- */

static void
driver_window_constructed (GObject *object)
{
  DriverWindow *self = DRIVER_WINDOW (object);
  GListModel *cps;

  G_OBJECT_CLASS (driver_window_parent_class)->constructed (object);

  g_assert (DRIVER_IS_CORE (self->core));
  cps = driver_core_get_charging_points (self->core);
  gtk_filter_list_model_set_model (self->cp_filter_model, cps);
  g_signal_connect_object (self->cp_filter_model, "items-changed", G_CALLBACK (update_cp_count), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cps, "items-changed", G_CALLBACK (update_cp_count), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->cp_selection, "notify::selected", G_CALLBACK (update_actions), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->core, "notify", G_CALLBACK (core_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->core, "event", G_CALLBACK (core_event_cb), self, G_CONNECT_SWAPPED);
  self->supply_watches = g_ptr_array_new_with_free_func ((GDestroyNotify) gtk_expression_watch_unwatch);
  watch_supply (self);
  g_signal_connect_object (driver_core_get_history (self->core), "items-changed",
                           G_CALLBACK (update_history), self, G_CONNECT_SWAPPED);
  setup_history (self);

  update_identity (self);
  update_broker (self);
  update_cp_count (self);
  update_history (self);
  update_file (self);
  update_supply (self);
  supply_figure_cb (self);
}

static void
driver_window_dispose (GObject *object)
{
  DriverWindow *self = DRIVER_WINDOW (object);

  if (self->file_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->file_chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->file_chooser));
      g_clear_object (&self->file_chooser);
    }
  /* The core may outlive the window, or go with it: either way it tells
   * this window nothing more. */
  g_clear_pointer (&self->supply_watches, g_ptr_array_unref);
  if (self->core != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->core, self);
      g_signal_handlers_disconnect_by_data (driver_core_get_charging_points (self->core), self);
      g_signal_handlers_disconnect_by_data (driver_core_get_history (self->core), self);
    }
  if (self->cp_filter_model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->cp_filter_model, self);
      g_signal_handlers_disconnect_by_data (self->cp_selection, self);
      gtk_filter_list_model_set_model (self->cp_filter_model, NULL);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), DRIVER_TYPE_WINDOW);
  g_clear_pointer (&self->skipped_lines, g_ptr_array_unref);
  g_clear_object (&self->core);
  g_clear_object (&self->settings);
  g_clear_object (&self->request_file);

  G_OBJECT_CLASS (driver_window_parent_class)->dispose (object);
}

static void
driver_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DriverWindow *self = DRIVER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CORE:
      g_value_set_object (value, self->core);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DriverWindow *self = DRIVER_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CORE:
      self->core = g_value_dup_object (value);
      break;
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_window_class_init (DriverWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = driver_window_constructed;
  object_class->dispose = driver_window_dispose;
  object_class->get_property = driver_window_get_property;
  object_class->set_property = driver_window_set_property;

  properties[PROP_CORE] =
    g_param_spec_object ("core", NULL, NULL, DRIVER_TYPE_CORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, DRIVER_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DRIVER_TYPE_CP_ROW);
  g_type_ensure (EV_TYPE_CHARGING_POINT);

  driver_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, DRIVER_RESOURCE_PATH "/driver-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_stack);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_empty_page);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_list);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_selection);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_filter_model);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, id_filter);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, location_filter);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, headline_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, figures_box);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, kwh_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, amount_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, details_group);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, cp_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, price_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, started_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_group);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_cp_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_start_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_end_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_kwh_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_price_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_amount_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_reason_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, receipt_supply_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, file_row);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, file_progress);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, file_progress_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, pause_file_button);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, file_results);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, history_list);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, history_count_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, total_kwh_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, total_amount_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, key_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, broker_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, file_status_label);
  gtk_widget_class_bind_template_child (widget_class, DriverWindow, driver_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, cp_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.show-pane", "s", show_pane_action);
  gtk_widget_class_install_action (widget_class, "win.request", NULL, request_action);
  gtk_widget_class_install_action (widget_class, "win.request-auto", NULL, request_auto_action);
  gtk_widget_class_install_action (widget_class, "win.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", NULL, open_file_action);
  gtk_widget_class_install_action (widget_class, "win.start-file", NULL, start_file_action);
  gtk_widget_class_install_action (widget_class, "win.pause-file", NULL, pause_file_action);
  gtk_widget_class_install_action (widget_class, "win.stop-file", NULL, stop_file_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-file", NULL);
  ev_ui_class_install_shortcuts (widget_class, "/io/github/evcharging/EVCharging/Driver/shortcuts.ui");
}

static void
driver_window_init (DriverWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->skipped_lines = g_ptr_array_new_with_free_func (g_object_unref);
}

DriverWindow *
driver_window_new (GtkApplication *app,
                   DriverCore     *core,
                   DriverSettings *settings)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (DRIVER_IS_CORE (core), NULL);
  g_return_val_if_fail (settings == NULL || DRIVER_IS_SETTINGS (settings), NULL);

  return g_object_new (DRIVER_TYPE_WINDOW,
                       "application", app,
                       "core", core,
                       "settings", settings,
                       NULL);
}

DriverCore *
driver_window_get_core (DriverWindow *self)
{
  g_return_val_if_fail (DRIVER_IS_WINDOW (self), NULL);
  return self->core;
}

/**
 * driver_window_set_request_file:
 * @self: a #DriverWindow
 * @file: (nullable): the request file to run next
 *
 * Chooses the file that "win.start-file" runs, as the file chooser does,
 * and remembers its folder.
 */
void
driver_window_set_request_file (DriverWindow *self,
                                GFile        *file)
{
  g_return_if_fail (DRIVER_IS_WINDOW (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  g_set_object (&self->request_file, file);
  if (file != NULL && self->settings != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (file);
      g_autofree char *folder = parent != NULL ? g_file_get_path (parent) : NULL;

      if (folder != NULL)
        driver_settings_set_last_folder (self->settings, folder);
    }
  if (file != NULL)
    show_page (self, "file");
  update_file (self);
}

/**
 * driver_window_add_toast:
 * @self: a #DriverWindow
 * @title: a translated sentence
 *
 * Shows @title as a short-lived toast.
 */
void
driver_window_add_toast (DriverWindow *self,
                         const char   *title)
{
  g_return_if_fail (DRIVER_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  ev_ui_add_toast (self->toast_overlay, title, 4);
}

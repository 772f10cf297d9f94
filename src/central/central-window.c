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

#include "central-window-private.h"

static const char * const list_page_names[N_LISTS] = { "requests", "log", "history" };

G_DEFINE_FINAL_TYPE (CentralWindow, central_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SERVICE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
      window_add_attention_toast (self, central_event_get_message (event));
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
            window_toast_error (self, error);
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
    g_signal_handlers_disconnect_by_func (self->attention_toast, window_attention_dismissed_cb, self);
  g_clear_object (&self->attention_toast);
  g_cancellable_cancel (self->cancellable);

  if (self->export_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->export_chooser, window_export_response_cb, self);
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

  gtk_widget_class_install_action (widget_class, "win.stop-cp", "s", window_stop_cp_action);
  gtk_widget_class_install_action (widget_class, "win.resume-cp", "s", window_resume_cp_action);
  gtk_widget_class_install_action (widget_class, "win.reset-token-cp", "s", window_confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.forget-cp", "s", window_confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.approve-cp", "s", window_approve_cp_action);
  gtk_widget_class_install_action (widget_class, "win.reject-cp", "s", window_confirm_cp_action);
  gtk_widget_class_install_action (widget_class, "win.set-price-cp", "s", window_set_price_action);
  gtk_widget_class_install_action (widget_class, "win.set-location-cp", "s", window_set_location_action);
  gtk_widget_class_install_action (widget_class, "win.stop-all", NULL, window_stop_all_action);
  gtk_widget_class_install_action (widget_class, "win.resume-all", NULL, window_resume_all_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-log", NULL, show_log_action);
  gtk_widget_class_install_action (widget_class, "win.export-history", NULL, window_export_history_action);
  gtk_widget_class_install_action (widget_class, "win.forget-driver-key", NULL, window_forget_driver_key_action);
  ev_ui_class_install_shortcuts (widget_class, "/io/github/evcharging/EVCharging/Central/shortcuts.ui");
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

  window_setup_columns (self);

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

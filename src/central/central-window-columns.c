/* central-window-columns.c: the columns of the window's lists (requests,
 * history, charging points) and the rows of its log: what each cell shows,
 * how it sorts, and how wide it starts. */

#include "config.h"

#include "central-window-private.h"

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
cell_watch_notify_cb (gpointer label)
{
  GtkListItem *list_item = g_object_get_data (G_OBJECT (label), "central-cell-list-item");

  cell_refresh (label, gtk_list_item_get_item (list_item));
}

/* An expression for @path on @type: "kwh", or through an object
 * property, "supply.kwh" (the supply a CP holds, not a copy of it). */
static GtkExpression *
path_expression (GType       type,
                 const char *path)
{
  g_auto(GStrv) names = g_strsplit (path, ".", -1);
  GtkExpression *expression = NULL;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (type);
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), names[i]);

      g_return_val_if_fail (pspec != NULL, expression);
      expression = gtk_property_expression_new (type, expression, names[i]);
      type = pspec->value_type;
    }
  return expression;
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
  g_object_set_data (G_OBJECT (label), "central-cell-list-item", list_item);
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
      g_autoptr(GtkExpression) expression = path_expression (G_OBJECT_TYPE (item), spec->live);
      GtkExpressionWatch *watch = gtk_expression_watch (expression, item, cell_watch_notify_cb, label, NULL);

      g_object_set_data_full (G_OBJECT (list_item), "central-cell-watch", watch,
                              (GDestroyNotify) gtk_expression_watch_unwatch);
    }
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                const CellSpec           *spec)
{
  g_object_set_data (G_OBJECT (list_item), "central-cell-watch", NULL);
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
  return GTK_SORTER (gtk_string_sorter_new (path_expression (type, property)));
}

/* A CP without a supply sorts as 0 kWh, which a property chain through a
 * %NULL supply does not give a numeric sorter. */
static double
cp_kwh_value (EvChargingPoint *cp,
              gpointer         user_data)
{
  return ev_charging_point_get_kwh (cp);
}

static double
cp_amount_value (EvChargingPoint *cp,
                 gpointer         user_data)
{
  return ev_charging_point_get_amount (cp);
}

static GtkSorter *
cp_figure_sorter (double (*getter) (EvChargingPoint *cp,
                                     gpointer         user_data))
{
  GtkExpression *expression =
    gtk_cclosure_expression_new (G_TYPE_DOUBLE, NULL, 0, NULL, G_CALLBACK (getter), NULL, NULL);

  return GTK_SORTER (gtk_numeric_sorter_new (expression));
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
  EvSupplyPhase pa = ev_supply_get_phase ((EvSupply *) a);
  EvSupplyPhase pb = ev_supply_get_phase ((EvSupply *) b);

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
  return ev_ui_format_ms (ev_supply_get_started_at (item), "%x");
}

static char *
session_time (gpointer item)
{
  return ev_ui_format_ms (ev_supply_get_started_at (item), "%X");
}

static char *
session_start (gpointer item)
{
  return ev_ui_format_ms (ev_supply_get_started_at (item), "%x %X");
}

static char *
session_end (gpointer item)
{
  return ev_ui_format_ms (ev_supply_get_ended_at (item), "%x %X");
}

static char *
session_driver (gpointer item)
{
  return g_strdup (ev_supply_get_driver_id (item));
}

static char *
session_cp (gpointer item)
{
  return g_strdup (ev_supply_get_cp_id (item));
}

static char *
session_phase (gpointer item)
{
  return g_strdup (phase_label (ev_supply_get_phase (item)));
}

static char *
session_kwh (gpointer item)
{
  return ev_ui_format_kwh (ev_supply_get_kwh (item));
}

static char *
session_amount (gpointer item)
{
  return ev_ui_format_amount (ev_supply_get_amount (item));
}

static char *
session_reason (gpointer item)
{
  const char *reason = ev_supply_get_reason (item);

  if (reason != NULL && *reason != '\0')
    return g_strdup (ev_reason_describe (reason));

  return g_strdup (phase_label (ev_supply_get_phase (item)));
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
static const CellSpec cp_state_spec = { cp_state_text, FALSE, "state" };
static const CellSpec cp_location_spec = { cp_location_text, FALSE, "location" };
static const CellSpec cp_price_spec = { cp_price_text, TRUE, "price", sample_price };
static const CellSpec cp_driver_spec = { cp_driver_text, FALSE, "supply.driver-id", sample_id };
static const CellSpec cp_kwh_spec = { cp_kwh_text, TRUE, "supply.kwh", sample_kwh };
static const CellSpec cp_amount_spec = { cp_amount_text, TRUE, "supply.amount", sample_amount };

static const CellSpec request_date_spec = { session_date, FALSE, "started-at", sample_date };
static const CellSpec request_time_spec = { session_time, FALSE, "started-at", sample_time };
static const CellSpec request_driver_spec = { session_driver, FALSE, NULL, sample_id };
static const CellSpec request_cp_spec = { session_cp, FALSE, NULL, sample_id };
static const CellSpec request_phase_spec = { session_phase, FALSE, "phase" };
static const CellSpec request_kwh_spec = { session_kwh, TRUE, "kwh", sample_kwh };

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

void
window_setup_columns (CentralWindow *self)
{
  GType session = EV_TYPE_SUPPLY;
  GType cp = EV_TYPE_CHARGING_POINT;

  add_column (self->cp_list_view, _("Charging Point"), &cp_id_spec, string_sorter (cp, "cp-id"), FALSE);
  add_column (self->cp_list_view, _("State"), &cp_state_spec,
              GTK_SORTER (gtk_custom_sorter_new (compare_cp_state, NULL, NULL)), FALSE);
  add_column (self->cp_list_view, _("Location"), &cp_location_spec, string_sorter (cp, "location"), TRUE);
  add_column (self->cp_list_view, _("Price"), &cp_price_spec, numeric_sorter (cp, "price"), FALSE);
  add_column (self->cp_list_view, _("Driver"), &cp_driver_spec, string_sorter (cp, "supply.driver-id"), FALSE);
  add_column (self->cp_list_view, _("Energy"), &cp_kwh_spec, cp_figure_sorter (cp_kwh_value), FALSE);
  add_column (self->cp_list_view, _("Amount"), &cp_amount_spec, cp_figure_sorter (cp_amount_value), FALSE);

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

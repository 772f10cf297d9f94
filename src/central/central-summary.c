/* central-summary.c: the network at a glance, above the dashboard's
 * cards: how many CPs are in each state (each count a toggle that shows
 * only that state: the "state" property, which the window keeps in step
 * with its state filter), a switch to a compact list ("compact"), and a
 * chart of the power delivered and the supplies in progress over the last
 * hour (CentralChart).
 *
 * It reads the view model of the CPs the window shows (updated in batches
 * by CentralService) on a timer while it is mapped, never per change: a
 * count over 10,000 items takes well under a millisecond, where a handler
 * per item and property would run thousands of times a second. The power
 * is the energy the supplies in progress gained since the last sample
 * (each CP's `kwh` of its `supply_id`) over the time between samples; what
 * a supply gained after its last sample and before its ticket is not
 * counted. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "central-chart.h"
#include "central-summary.h"
#include "ev-charging-point.h"
#include "ev-cp-state.h"

#define N_STATES (EV_CP_STATE_LAST + 1)
#define COUNT_INTERVAL_MS 1000
#define SAMPLE_INTERVAL_MS 10000

struct _CentralSummary
{
  GtkBox           parent_instance;

  GListModel      *model;
  int              state;
  gboolean         compact;
  GtkToggleButton *toggles[N_STATES];
  GtkLabel        *count_labels[N_STATES];
  guint            counts[N_STATES];
  GtkToggleButton *compact_toggle;
  CentralChart    *chart;
  guint            tick_id;
  gint64           last_sample_us;   /* monotonic; 0: no baseline yet */
  GHashTable      *energy;           /* supply id → its kWh at the last sample */
  gboolean         syncing;
};

G_DEFINE_FINAL_TYPE (CentralSummary, central_summary, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_STATE,
  PROP_COMPACT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_counts (CentralSummary *self)
{
  guint counts[N_STATES] = { 0, };
  guint n = self->model != NULL ? g_list_model_get_n_items (self->model) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (self->model, i);
      EvCpState state = ev_charging_point_get_state (cp);

      if ((guint) state < N_STATES)
        counts[state]++;
    }
  for (guint s = 0; s < N_STATES; s++)
    {
      g_autofree char *text = NULL;

      if (counts[s] == self->counts[s] && gtk_label_get_label (self->count_labels[s])[0] != '\0')
        continue;
      self->counts[s] = counts[s];
      text = g_strdup_printf ("%u", counts[s]);
      gtk_label_set_label (self->count_labels[s], text);
    }
}

/**
 * central_summary_sample:
 * @self: a summary
 *
 * Adds a point to the chart now: the power the supplies in progress gained
 * since the last one, and how many there are. The first call only takes
 * the baseline. The summary calls it by itself every 10 s while mapped.
 */
void
central_summary_sample (CentralSummary *self)
{
  g_autoptr(GHashTable) energy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gint64 now_us = g_get_monotonic_time ();
  guint n = self->model != NULL ? g_list_model_get_n_items (self->model) : 0;
  double gained_kwh = 0.0;
  guint supplies = 0;

  g_return_if_fail (CENTRAL_IS_SUMMARY (self));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (self->model, i);
      EvSupply *supply = ev_charging_point_get_supply (cp);
      const char *supply_id = supply != NULL ? ev_supply_get_supply_id (supply) : NULL;
      double kwh = supply != NULL ? ev_supply_get_kwh (supply) : 0.0;
      double *before;

      if (ev_charging_point_get_state (cp) != EV_CP_STATE_SUPPLYING || supply_id == NULL)
        continue;
      supplies++;
      before = g_hash_table_lookup (self->energy, supply_id);
      gained_kwh += MAX (0.0, kwh - (before != NULL ? *before : 0.0));
      g_hash_table_insert (energy, g_strdup (supply_id), g_memdup2 (&kwh, sizeof kwh));
    }

  if (self->last_sample_us != 0 && now_us > self->last_sample_us)
    {
      double hours = (now_us - self->last_sample_us) / (3600.0 * G_USEC_PER_SEC);

      central_chart_add_sample (self->chart, g_get_real_time () / 1000, gained_kwh / hours, supplies);
    }
  g_clear_pointer (&self->energy, g_hash_table_unref);
  self->energy = g_steal_pointer (&energy);
  self->last_sample_us = now_us;
}

static gboolean
tick_cb (gpointer user_data)
{
  CentralSummary *self = user_data;

  update_counts (self);
  if (g_get_monotonic_time () - self->last_sample_us >= SAMPLE_INTERVAL_MS * 1000)
    central_summary_sample (self);
  return G_SOURCE_CONTINUE;
}

static void
central_summary_map (GtkWidget *widget)
{
  CentralSummary *self = CENTRAL_SUMMARY (widget);

  GTK_WIDGET_CLASS (central_summary_parent_class)->map (widget);
  update_counts (self);
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add (COUNT_INTERVAL_MS, tick_cb, self);
}

static void
central_summary_unmap (GtkWidget *widget)
{
  CentralSummary *self = CENTRAL_SUMMARY (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  GTK_WIDGET_CLASS (central_summary_parent_class)->unmap (widget);
}

static void
toggled_cb (GtkToggleButton *toggle,
            CentralSummary  *self)
{
  int state = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (toggle), "central-state"));

  if (self->syncing)
    return;
  if (gtk_toggle_button_get_active (toggle))
    central_summary_set_state (self, state);
  else if (self->state == state)
    central_summary_set_state (self, -1);
}

static void
compact_toggled_cb (CentralSummary *self)
{
  gboolean compact = gtk_toggle_button_get_active (self->compact_toggle);

  if (compact == self->compact)
    return;
  self->compact = compact;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPACT]);
}

static void
central_summary_dispose (GObject *object)
{
  CentralSummary *self = CENTRAL_SUMMARY (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->model);
  g_clear_pointer (&self->energy, g_hash_table_unref);

  G_OBJECT_CLASS (central_summary_parent_class)->dispose (object);
}

static void
central_summary_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CentralSummary *self = CENTRAL_SUMMARY (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_COMPACT:
      g_value_set_boolean (value, self->compact);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_summary_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CentralSummary *self = CENTRAL_SUMMARY (object);

  switch (prop_id)
    {
    case PROP_STATE:
      central_summary_set_state (self, g_value_get_int (value));
      break;
    case PROP_COMPACT:
      gtk_toggle_button_set_active (self->compact_toggle, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_summary_class_init (CentralSummaryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = central_summary_dispose;
  object_class->get_property = central_summary_get_property;
  object_class->set_property = central_summary_set_property;
  widget_class->map = central_summary_map;
  widget_class->unmap = central_summary_unmap;

  /* The one state shown (an EvCpState), or -1 for all. */
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, -1, EV_CP_STATE_LAST, -1, flags);
  /* Whether the CPs are shown as a compact list rather than cards. */
  properties[PROP_COMPACT] = g_param_spec_boolean ("compact", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "networksummary");
}

static void
central_summary_init (CentralSummary *self)
{
  GtkWidget *counts = gtk_flow_box_new ();
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->state = -1;
  self->energy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (counts), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (counts), TRUE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (counts), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (counts), N_STATES);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (counts), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (counts), 6);
  gtk_widget_set_hexpand (counts, TRUE);
  for (guint s = 0; s < N_STATES; s++)
    {
      GtkWidget *toggle = gtk_toggle_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *count = gtk_label_new ("");
      GtkWidget *name = gtk_label_new (ev_cp_state_get_label (s));
      g_autofree char *tooltip = g_strdup_printf (_("Show only the charging points that are %s"),
                                                  ev_cp_state_get_label (s));

      gtk_widget_add_css_class (count, "title-3");
      gtk_widget_add_css_class (count, "numeric");
      gtk_widget_add_css_class (name, "caption");
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (box), count);
      gtk_box_append (GTK_BOX (box), name);
      gtk_button_set_child (GTK_BUTTON (toggle), box);
      gtk_widget_add_css_class (toggle, "state-count");
      gtk_widget_add_css_class (toggle, ev_cp_state_get_css_class (s));
      gtk_widget_set_tooltip_text (toggle, tooltip);
      g_object_set_data (G_OBJECT (toggle), "central-state", GINT_TO_POINTER (s));
      g_signal_connect (toggle, "toggled", G_CALLBACK (toggled_cb), self);
      gtk_flow_box_append (GTK_FLOW_BOX (counts), toggle);
      self->toggles[s] = GTK_TOGGLE_BUTTON (toggle);
      self->count_labels[s] = GTK_LABEL (count);
    }
  gtk_box_append (GTK_BOX (row), counts);

  self->compact_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new ());
  gtk_button_set_icon_name (GTK_BUTTON (self->compact_toggle), "view-list-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->compact_toggle), _("Show a compact list instead of cards"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->compact_toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Compact list"), -1);
  gtk_widget_set_valign (GTK_WIDGET (self->compact_toggle), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->compact_toggle, "toggled", G_CALLBACK (compact_toggled_cb), self);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->compact_toggle));
  gtk_box_append (GTK_BOX (self), row);

  self->chart = CENTRAL_CHART (central_chart_new ());
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->chart));
}

GtkWidget *
central_summary_new (void)
{
  return g_object_new (CENTRAL_TYPE_SUMMARY, NULL);
}

/**
 * central_summary_set_model:
 * @self: a summary
 * @model: (nullable): the #EvChargingPoint items to count
 */
void
central_summary_set_model (CentralSummary *self,
                           GListModel     *model)
{
  g_return_if_fail (CENTRAL_IS_SUMMARY (self));

  g_set_object (&self->model, model);
  g_hash_table_remove_all (self->energy);
  self->last_sample_us = 0;
  update_counts (self);
}

int
central_summary_get_state (CentralSummary *self)
{
  g_return_val_if_fail (CENTRAL_IS_SUMMARY (self), -1);
  return self->state;
}

/**
 * central_summary_set_state:
 * @self: a summary
 * @state: an #EvCpState, or -1 for every state
 *
 * Presses the toggle of @state alone (or none).
 */
void
central_summary_set_state (CentralSummary *self,
                           int             state)
{
  g_return_if_fail (CENTRAL_IS_SUMMARY (self));
  g_return_if_fail (state >= -1 && state <= EV_CP_STATE_LAST);

  self->syncing = TRUE;
  for (int s = 0; s < N_STATES; s++)
    gtk_toggle_button_set_active (self->toggles[s], s == state);
  self->syncing = FALSE;
  if (state == self->state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

gboolean
central_summary_get_compact (CentralSummary *self)
{
  g_return_val_if_fail (CENTRAL_IS_SUMMARY (self), FALSE);
  return self->compact;
}

/**
 * central_summary_get_count:
 * @self: a summary
 * @state: an #EvCpState
 *
 * Returns: how many CPs were in @state at the last count
 */
guint
central_summary_get_count (CentralSummary *self,
                           int             state)
{
  g_return_val_if_fail (CENTRAL_IS_SUMMARY (self), 0);
  g_return_val_if_fail (state >= 0 && state <= EV_CP_STATE_LAST, 0);
  return self->counts[state];
}

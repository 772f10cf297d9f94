/* station-monitor-window.c: the health supervisor of one charging point.
 *
 * What the monitor knows now (engine health and its last check, the link
 * to Central, the status it reports, in the state colour) and a log of
 * its transitions, newest first. The log is a GtkStringList bound to a
 * list box and capped, so a monitor left running for days stays small. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-monitor-window.h"
#include "station-ui.h"

struct _StationMonitorWindow
{
  AdwApplicationWindow  parent_instance;

  StationMonitor       *monitor;
  GtkStringList        *log;
  const char           *state_class;

  /* Template widgets. */
  AdwWindowTitle       *window_title;
  GtkWidget            *banner;
  GtkLabel             *state_label;
  GtkLabel             *health_label;
  AdwActionRow         *check_row;
  AdwActionRow         *engine_row;
  AdwActionRow         *location_row;
  GtkLabel             *link_label;
  AdwActionRow         *central_row;
  AdwActionRow         *price_row;
  GtkListBox           *log_list;
};

G_DEFINE_FINAL_TYPE (StationMonitorWindow, station_monitor_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_MONITOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
health_label (EvEngineHealth health)
{
  switch (health)
    {
    case EV_ENGINE_HEALTH_OK:
      /* Translators: the engine's health. */
      return C_("health", "OK");
    case EV_ENGINE_HEALTH_KO:
      /* Translators: the engine's health: it reports a fault. */
      return C_("health", "KO");
    case EV_ENGINE_HEALTH_UNREACHABLE:
    default:
      return C_("health", "Unreachable");
    }
}

static const char *
link_label (StationCentralLink link)
{
  switch (link)
    {
    case STATION_CENTRAL_LINK_CONNECTING:
      return C_("central link", "Connecting");
    case STATION_CENTRAL_LINK_AUTHENTICATED:
      return C_("central link", "Authenticated");
    case STATION_CENTRAL_LINK_REGISTERED:
      return C_("central link", "Registered");
    case STATION_CENTRAL_LINK_DENIED:
      return C_("central link", "Denied");
    case STATION_CENTRAL_LINK_DOWN:
    default:
      return C_("central link", "Down");
    }
}

/* One of libadwaita's "success", "warning", "error" colours, or none. */
static void
set_tone (GtkWidget  *widget,
          const char *tone)
{
  static const char * const tones[] = { "success", "warning", "error" };

  for (guint i = 0; i < G_N_ELEMENTS (tones); i++)
    if (g_strcmp0 (tones[i], tone) != 0)
      gtk_widget_remove_css_class (widget, tones[i]);
  if (tone != NULL)
    gtk_widget_add_css_class (widget, tone);
}

static void
log_add (StationMonitorWindow *self,
         const char           *text)
{
  g_autofree char *time = ev_ui_format_time (g_get_real_time () / 1000);
  g_autofree char *line = g_strdup_printf ("%s  %s", time, text);
  const char * const additions[] = { line, NULL };
  guint n;

  gtk_string_list_splice (self->log, 0, 0, additions);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->log));
  if (n > STATION_MONITOR_WINDOW_LOG_MAX)
    gtk_string_list_splice (self->log, STATION_MONITOR_WINDOW_LOG_MAX, n - STATION_MONITOR_WINDOW_LOG_MAX, NULL);
}

static void
update_state (StationMonitorWindow *self)
{
  EvCpState state = station_monitor_get_reported_state (self->monitor);
  const char *label = ev_cp_state_get_label (state);
  g_autofree char *a11y = NULL;

  ev_ui_set_state_class (self->banner, &self->state_class, state);
  gtk_label_set_label (self->state_label, label);
  /* Translators: the accessible name of the banner: the state reported. */
  a11y = g_strdup_printf (_("Reported to Central: %s"), label);
  ev_ui_set_a11y_label (self->banner, a11y);
}

static void
update_health (StationMonitorWindow *self)
{
  EvEngineHealth health = station_monitor_get_engine_health (self->monitor);
  const char *label = health_label (health);
  g_autofree char *a11y = NULL;

  gtk_label_set_label (self->health_label, label);
  set_tone (GTK_WIDGET (self->health_label),
            health == EV_ENGINE_HEALTH_OK ? "success" :
            health == EV_ENGINE_HEALTH_KO ? "warning" : "error");
  a11y = g_strdup_printf (_("Engine health: %s"), label);
  ev_ui_set_a11y_label (GTK_WIDGET (self->health_label), a11y);
}

static void
update_check (StationMonitorWindow *self)
{
  gint64 last = station_monitor_get_last_check (self->monitor);
  g_autofree char *text = NULL;

  if (last > 0)
    text = ev_ui_format_time (last);
  adw_action_row_set_subtitle (self->check_row, text != NULL ? text : _("Never"));
}

static void
update_link (StationMonitorWindow *self)
{
  StationCentralLink link = station_monitor_get_central_link (self->monitor);
  gboolean up = link == STATION_CENTRAL_LINK_AUTHENTICATED || link == STATION_CENTRAL_LINK_REGISTERED;
  gboolean pending = up && station_monitor_get_approval_pending (self->monitor);
  const char *label = pending ? C_("central link", "Awaiting approval") : link_label (link);
  g_autofree char *a11y = NULL;

  gtk_label_set_label (self->link_label, label);
  set_tone (GTK_WIDGET (self->link_label),
            pending ? "warning" : up ? "success" : link == STATION_CENTRAL_LINK_CONNECTING ? NULL : "error");
  a11y = g_strdup_printf (_("Link to Central: %s"), label);
  ev_ui_set_a11y_label (GTK_WIDGET (self->link_label), a11y);
}

static void
update_details (StationMonitorWindow *self)
{
  const char *location = station_monitor_get_location (self->monitor);
  double price = station_monitor_get_price (self->monitor);
  g_autofree char *price_text = NULL;

  adw_action_row_set_subtitle (self->location_row,
                               location != NULL && *location != '\0' ? location : _("Not known yet"));
  if (price > 0.0)
    price_text = ev_ui_format_price (price);
  adw_action_row_set_subtitle (self->price_row, price_text != NULL ? price_text : _("Not known yet"));
}

static void
monitor_notify_cb (StationMonitorWindow *self,
                   GParamSpec           *pspec,
                   StationMonitor       *monitor)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "reported-state"))
    update_state (self);
  else if (g_str_equal (name, "engine-health"))
    update_health (self);
  else if (g_str_equal (name, "last-check"))
    update_check (self);
  else if (g_str_equal (name, "central-link") || g_str_equal (name, "approval-pending"))
    update_link (self);
  else if (g_str_equal (name, "location") || g_str_equal (name, "price"))
    update_details (self);
}

/* Every transition of the monitor, as a sentence for the log. */
static void
monitor_event_cb (StationMonitorWindow *self,
                  StationEvent         *event,
                  StationMonitor       *monitor)
{
  const StationEventData *data = station_event_get_data (event);
  g_autofree char *text = NULL;

  switch (station_event_get_kind (event))
    {
    case STATION_EVENT_ENGINE_HEALTH:
      /* Translators: the engine's health changed: new, previous. */
      text = g_strdup_printf (_("Engine health %s (was %s)"), health_label (data->health),
                              health_label (data->previous_health));
      break;
    case STATION_EVENT_CENTRAL:
      text = g_strdup_printf (_("Central link %s"), link_label (data->link));
      if (data->reason != NULL && *data->reason != '\0')
        {
          char *with_reason = g_strdup_printf ("%s (%s)", text, data->reason);

          g_free (text);
          text = with_reason;
        }
      break;
    case STATION_EVENT_STATUS:
      text = g_strdup_printf (_("Reported %s to Central"), ev_cp_state_get_label (data->state));
      break;
    case STATION_EVENT_ENGINE_CONNECTED:
      text = g_strdup_printf (_("Engine connected at %s"), station_monitor_get_engine (monitor));
      break;
    case STATION_EVENT_ENGINE_DOWN:
      text = g_strdup_printf (_("Engine link down: %s"), data->reason);
      break;
    case STATION_EVENT_ENGINE_DENIED:
      text = g_strdup_printf (_("The engine refused this monitor: %s"), ev_reason_describe (data->reason));
      break;
    case STATION_EVENT_APPROVAL:
      text = g_strdup (data->up ? _("Registered with Central: waiting for the operator’s approval, no supplies until then")
                                : _("The operator approved this charging point"));
      break;
    case STATION_EVENT_PRICE:
      {
        g_autofree char *price = ev_ui_format_price (data->price);

        text = g_strdup_printf (_("Price from Central: %s"), price);
      }
      break;
    case STATION_EVENT_ERROR:
      text = g_strdup (ev_event_get_message (EV_EVENT (event)));
      break;
    default:
      break;
    }

  if (text != NULL)
    log_add (self, text);
}

static GtkWidget *
create_log_row_cb (gpointer item,
                   gpointer user_data)
{
  GtkWidget *label = gtk_label_new (gtk_string_object_get_string (item));

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  gtk_widget_set_margin_top (label, 8);
  gtk_widget_set_margin_bottom (label, 8);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
station_monitor_window_constructed (GObject *object)
{
  StationMonitorWindow *self = STATION_MONITOR_WINDOW (object);
  g_autofree char *engine = NULL;
  g_autofree char *central = NULL;
  g_autofree char *title = NULL;
  const char *cp_id;

  G_OBJECT_CLASS (station_monitor_window_parent_class)->constructed (object);

  g_assert (STATION_IS_MONITOR (self->monitor));
  cp_id = station_monitor_get_cp_id (self->monitor);
  /* Translators: the window title, with the CP id. */
  title = g_strdup_printf (_("Monitor of %s"), cp_id);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_subtitle (self->window_title, cp_id);

  g_object_get (self->monitor, "engine", &engine, "central", &central, NULL);
  adw_action_row_set_subtitle (self->engine_row, engine);
  {
    /* Translators: Central's address, and whether the link is encrypted. */
    g_autofree char *subtitle = g_strdup_printf (station_monitor_get_tls (self->monitor)
                                                 ? _("%s — TLS")
                                                 : _("%s — not encrypted"),
                                                 central);

    adw_action_row_set_subtitle (self->central_row, subtitle);
  }

  gtk_list_box_bind_model (self->log_list, G_LIST_MODEL (self->log), create_log_row_cb, NULL, NULL);

  g_signal_connect_object (self->monitor, "notify", G_CALLBACK (monitor_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "event", G_CALLBACK (monitor_event_cb), self, G_CONNECT_SWAPPED);

  update_state (self);
  update_health (self);
  update_check (self);
  update_link (self);
  update_details (self);
}

static void
station_monitor_window_dispose (GObject *object)
{
  StationMonitorWindow *self = STATION_MONITOR_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), STATION_TYPE_MONITOR_WINDOW);
  g_clear_object (&self->monitor);
  g_clear_object (&self->log);

  G_OBJECT_CLASS (station_monitor_window_parent_class)->dispose (object);
}

static void
station_monitor_window_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  StationMonitorWindow *self = STATION_MONITOR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_monitor_window_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  StationMonitorWindow *self = STATION_MONITOR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_monitor_window_class_init (StationMonitorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = station_monitor_window_constructed;
  object_class->dispose = station_monitor_window_dispose;
  object_class->get_property = station_monitor_window_get_property;
  object_class->set_property = station_monitor_window_set_property;

  properties[PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL, STATION_TYPE_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  station_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, STATION_RESOURCE_PATH "/station-monitor-window.ui");
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, health_label);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, check_row);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, engine_row);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, location_row);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, link_label);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, central_row);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, price_row);
  gtk_widget_class_bind_template_child (widget_class, StationMonitorWindow, log_list);
  ev_ui_class_install_shortcuts (widget_class, "/io/github/evcharging/EVCharging/Station/shortcuts.ui");
}

static void
station_monitor_window_init (StationMonitorWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->log = gtk_string_list_new (NULL);
}

StationMonitorWindow *
station_monitor_window_new (GtkApplication *app,
                            StationMonitor *monitor)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (STATION_IS_MONITOR (monitor), NULL);

  return g_object_new (STATION_TYPE_MONITOR_WINDOW,
                       "application", app,
                       "monitor", monitor,
                       NULL);
}

StationMonitor *
station_monitor_window_get_monitor (StationMonitorWindow *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR_WINDOW (self), NULL);
  return self->monitor;
}

GListModel *
station_monitor_window_get_log (StationMonitorWindow *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR_WINDOW (self), NULL);
  return G_LIST_MODEL (self->log);
}

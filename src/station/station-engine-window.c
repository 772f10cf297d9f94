/* station-engine-window.c: the charging point as its driver sees it.
 *
 * A banner in the state colour says what the CP is doing; below it the
 * CP's identity and the controls of the simulation. Every control is a
 * window action ("engine.plug", …) enabled only when the engine can do it,
 * so the buttons go insensitive by themselves. Everything shown follows
 * the engine's property notifications; errors and the engine's news
 * (request sent, denied, ticket) are toasts.
 *
 * The same window shows an OCPP 1.6-J charger (`ev-station engine
 * --ocpp`) when it is given a StationOcppEngine instead: the banner says
 * its ChargePointStatus, the rows its CSMS and boot answer, the supply box
 * its transaction; Central's on-site request has no place there. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-engine-window.h"
#include "station-ui.h"

struct _StationEngineWindow
{
  AdwApplicationWindow  parent_instance;

  StationEngine        *engine;
  StationOcppEngine    *ocpp;
  const char           *state_class;

  /* Template widgets. */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkWidget            *banner;
  GtkLabel             *state_label;
  GtkLabel             *detail_label;
  GtkWidget            *supply_box;
  GtkLabel             *driver_label;
  GtkLabel             *kwh_label;
  GtkLabel             *amount_label;
  AdwActionRow         *cp_row;
  AdwActionRow         *location_row;
  AdwActionRow         *price_row;
  AdwEntryRow          *driver_entry;
  GtkWidget            *request_group;
  GtkLabel             *central_label;
  GtkLabel             *broker_label;
  GtkLabel             *key_label;
  GtkLabel             *monitor_label;
  GtkLabel             *port_label;
};

G_DEFINE_FINAL_TYPE (StationEngineWindow, station_engine_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_OCPP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_actions (StationEngineWindow *self)
{
  EvCpState state = station_engine_get_state (self->engine);
  gboolean ko = station_engine_get_ko (self->engine);
  gboolean bound = station_engine_get_cp_id (self->engine) != NULL;
  GtkWidget *widget = GTK_WIDGET (self);

  gtk_widget_action_set_enabled (widget, "engine.plug", state == EV_CP_STATE_WAITING && !ko);
  gtk_widget_action_set_enabled (widget, "engine.unplug", state == EV_CP_STATE_SUPPLYING);
  gtk_widget_action_set_enabled (widget, "engine.simulate-fault", !ko);
  gtk_widget_action_set_enabled (widget, "engine.repair", ko);
  /* Asking needs the broker to carry the request and Central to answer. */
  gtk_widget_action_set_enabled (widget, "engine.request-supply",
                                 bound && !ko && state == EV_CP_STATE_ACTIVE &&
                                 station_engine_get_broker_reachable (self->engine) &&
                                 station_engine_get_central_reachable (self->engine));
}

static const char *
describe_state (StationEngineWindow *self,
                EvCpState            state)
{
  switch (state)
    {
    case EV_CP_STATE_ACTIVE:
      /* Available only as far as it can be reached. */
      if (!station_engine_get_broker_reachable (self->engine))
        return _("The broker cannot be reached: no supply can be authorised until it is back");
      if (!station_engine_get_central_reachable (self->engine))
        return _("Central cannot be reached: no supply can be authorised until it is back");
      return _("Ready for a supply");
    case EV_CP_STATE_WAITING:
      return _("A supply is authorised: plug the vehicle in within a minute");
    case EV_CP_STATE_SUPPLYING:
      return _("Charging the vehicle");
    case EV_CP_STATE_STOPPED:
      return _("Stopped by Central until it is resumed");
    case EV_CP_STATE_BROKEN:
      return _("The engine reports a fault: repair it to supply again");
    case EV_CP_STATE_DISCONNECTED:
    default:
      return _("No monitor connected");
    }
}

static void
update_state (StationEngineWindow *self)
{
  EvCpState state = station_engine_get_state (self->engine);
  const char *label;
  g_autofree char *a11y = NULL;

  ev_ui_set_state_class (self->banner, &self->state_class, state);
  if (state == EV_CP_STATE_ACTIVE && (!station_engine_get_broker_reachable (self->engine) ||
                                      !station_engine_get_central_reachable (self->engine)))
    gtk_widget_add_css_class (self->banner, "cut-off");
  else
    gtk_widget_remove_css_class (self->banner, "cut-off");

  if (state == EV_CP_STATE_WAITING)
    label = _("Plug in the vehicle");
  else
    label = ev_cp_state_get_label (state);
  gtk_label_set_label (self->state_label, label);
  gtk_label_set_label (self->detail_label, describe_state (self, state));
  gtk_widget_set_visible (self->supply_box, state == EV_CP_STATE_SUPPLYING);

  /* Translators: the accessible name of the state banner. */
  a11y = g_strdup_printf (_("State: %s"), label);
  ev_ui_set_a11y_label (self->banner, a11y);

  update_actions (self);
}

static void
update_identity (StationEngineWindow *self)
{
  const char *cp_id = station_engine_get_cp_id (self->engine);
  g_autofree char *title = NULL;

  if (cp_id != NULL)
    {
      /* Translators: the window title, with the CP id. */
      title = g_strdup_printf (_("Engine of %s"), cp_id);
      adw_window_title_set_subtitle (self->window_title, cp_id);
      adw_action_row_set_subtitle (self->cp_row, cp_id);
    }
  else
    {
      title = g_strdup (_("Charging Point Engine"));
      adw_window_title_set_subtitle (self->window_title, _("Waiting for the monitor"));
      adw_action_row_set_subtitle (self->cp_row, _("Not known until the monitor connects"));
    }
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_action_row_set_subtitle (self->location_row, ev_ui_or_dash (station_engine_get_location (self->engine)));
  update_actions (self);
}

static void
update_price (StationEngineWindow *self)
{
  double price = station_engine_get_price (self->engine);
  g_autofree char *text = NULL;

  if (price > 0.0)
    text = ev_ui_format_price (price);
  adw_action_row_set_subtitle (self->price_row, text != NULL ? text : _("Not known yet"));
}

static void
update_supply (StationEngineWindow *self)
{
  const char *driver = station_engine_get_driver_id (self->engine);
  g_autofree char *driver_text = NULL;
  g_autofree char *kwh = ev_ui_format_kwh (station_engine_get_kwh (self->engine));
  g_autofree char *amount = ev_ui_format_amount (station_engine_get_amount (self->engine));

  if (driver != NULL)
    driver_text = g_strdup_printf (_("Driver %s"), driver);
  gtk_label_set_label (self->driver_label, driver_text != NULL ? driver_text : "");
  gtk_label_set_label (self->kwh_label, kwh);
  gtk_label_set_label (self->amount_label, amount);
}

static void
update_links (StationEngineWindow *self)
{
  g_autofree char *port = g_strdup_printf (_("Port %u"), station_engine_get_port (self->engine));

  ev_ui_set_status (self->central_label, station_engine_get_central_reachable (self->engine),
              station_engine_get_central_reachable (self->engine) ? _("Central reachable") : _("Central unreachable"));
  ev_ui_set_status (self->broker_label, station_engine_get_broker_reachable (self->engine),
              station_engine_get_broker_reachable (self->engine) ? _("Broker connected") : _("Broker unreachable"));
  ev_ui_set_status (self->monitor_label, station_engine_get_monitor_connected (self->engine),
              station_engine_get_monitor_connected (self->engine) ? _("Monitor connected") : _("No monitor"));
  /* Said for as long as it lasts: anyone on the bus can stop this CP. */
  ev_ui_set_status (self->key_label, station_engine_get_central_key (self->engine) != NULL,
                    station_engine_get_central_key (self->engine) != NULL ? _("Directives checked")
                                                                          : _("Directives not checked: no key of Central"));
  gtk_label_set_label (self->port_label, port);
}

static void
engine_notify_cb (StationEngineWindow *self,
                  GParamSpec          *pspec,
                  StationEngine       *engine)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "state") || g_str_equal (name, "ko"))
    update_state (self);
  else if (g_str_equal (name, "cp-id") || g_str_equal (name, "location"))
    update_identity (self);
  else if (g_str_equal (name, "price"))
    update_price (self);
  else if (g_str_equal (name, "driver-id") || g_str_equal (name, "kwh") || g_str_equal (name, "amount"))
    update_supply (self);
  else if (g_str_equal (name, "central-reachable") || g_str_equal (name, "broker-reachable"))
    {
      update_links (self);
      update_state (self);
    }
  else if (g_str_equal (name, "monitor-connected") || g_str_equal (name, "port"))
    update_links (self);
}

/* The engine's news worth a toast. */
static void
engine_event_cb (StationEngineWindow *self,
                 StationEvent        *event,
                 StationEngine       *engine)
{
  const StationEventData *data = station_event_get_data (event);
  g_autofree char *text = NULL;

  switch (station_event_get_kind (event))
    {
    case STATION_EVENT_REQUEST:
      text = g_strdup_printf (_("Supply requested for %s"), data->request->driver_id);
      break;
    case STATION_EVENT_DENIED:
      text = g_strdup_printf (_("Central denied the supply for %s (%s)"), data->response->driver_id,
                              ev_reason_describe (ev_supply_deny_reason_to_string (data->response->reason)));
      break;
    case STATION_EVENT_NO_ANSWER:
      text = g_strdup_printf (_("Central did not answer the request for %s: try again in a moment"),
                              data->request->driver_id);
      break;
    case STATION_EVENT_TICKET:
      if (ev_event_get_message (EV_EVENT (event)) != NULL)
        {
          /* The engine ended it by itself, and says why. */
          text = g_strdup (ev_event_get_message (EV_EVENT (event)));
          break;
        }
      {
        g_autofree char *kwh = ev_ui_format_kwh (data->supply_data->kwh);
        g_autofree char *amount = ev_ui_format_amount (data->supply_data->amount);

        /* Translators: a finished supply: energy, amount. */
        text = g_strdup_printf (_("Supply finished: %s, %s"), kwh, amount);
      }
      break;
    case STATION_EVENT_NOT_PAIRED:
    case STATION_EVENT_ERROR:
      text = g_strdup (ev_event_get_message (EV_EVENT (event)));
      break;
    default:
      /* Properties show the rest. */
      break;
    }

  if (text != NULL && *text != '\0')
    station_engine_window_add_toast (self, text);
}

static void
toast_error (StationEngineWindow *self,
             const GError        *error)
{
  if (error != NULL)
    station_engine_window_add_toast (self, error->message);
}

static void
plug_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (self->ocpp != NULL ? !station_ocpp_engine_plug (self->ocpp, &error)
                         : !station_engine_plug (self->engine, &error))
    toast_error (self, error);
}

static void
unplug_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (self->ocpp != NULL ? !station_ocpp_engine_unplug (self->ocpp, &error)
                         : !station_engine_unplug (self->engine, &error))
    toast_error (self, error);
}

static void
fault_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (widget);
  gboolean fault = g_str_equal (action_name, "engine.simulate-fault");

  if (self->ocpp != NULL)
    station_ocpp_engine_set_faulted (self->ocpp, fault);
  else
    station_engine_set_ko (self->engine, fault);
}

static void
request_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *driver = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->driver_entry))));
  g_autofree char *request_id = NULL;

  request_id = station_engine_request_supply (self->engine, *driver != '\0' ? driver : NULL, &error);
  if (request_id == NULL)
    toast_error (self, error);
}

static void
driver_entry_activated_cb (StationEngineWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "engine.request-supply", NULL);
}

/* An OCPP charger ----------------------------------------------------------- */

static const struct {
  const char *status;
  EvCpState   state;     /* the banner's colour */
  const char *label;
} ocpp_statuses[] = {
  { "Available", EV_CP_STATE_ACTIVE, N_("Available") },
  { "Preparing", EV_CP_STATE_WAITING, N_("Preparing") },
  { "Charging", EV_CP_STATE_SUPPLYING, N_("Charging") },
  { "Finishing", EV_CP_STATE_WAITING, N_("Finishing") },
  { "Unavailable", EV_CP_STATE_STOPPED, N_("Unavailable") },
  { "Faulted", EV_CP_STATE_BROKEN, N_("Faulted") },
};

static const char *
describe_ocpp (StationOcppEngine *ocpp)
{
  const char *link = station_ocpp_engine_get_link (ocpp);
  const char *boot = station_ocpp_engine_get_boot (ocpp);

  if (g_str_equal (link, "accepted"))
    {
      if (station_ocpp_engine_get_faulted (ocpp))
        return _("The charger reports a fault: repair it to charge again");
      if (station_ocpp_engine_get_in_transaction (ocpp))
        return _("A transaction is in progress");
      if (station_ocpp_engine_get_plugged (ocpp))
        return _("A vehicle is plugged in: the CSMS may start a transaction");
      return _("The CSMS accepted the boot: waiting for a remote start");
    }
  if (g_strcmp0 (boot, "Pending") == 0)
    return _("The CSMS holds the boot Pending: booting again after its interval");
  if (g_strcmp0 (boot, "Rejected") == 0)
    return _("The CSMS rejected the boot: trying again after its interval");
  if (g_str_equal (link, "booting"))
    return _("Connected: waiting for the CSMS to answer the boot");
  if (g_str_equal (link, "connecting"))
    return _("Connecting to the CSMS");
  return _("The CSMS cannot be reached: trying again every 5 s");
}

static void
update_ocpp (StationEngineWindow *self)
{
  StationOcppEngine *ocpp = self->ocpp;
  const char *status = station_ocpp_engine_get_status (ocpp);
  gboolean accepted = g_str_equal (station_ocpp_engine_get_link (ocpp), "accepted");
  gboolean linked = !g_str_equal (station_ocpp_engine_get_link (ocpp), "disconnected") &&
                    !g_str_equal (station_ocpp_engine_get_link (ocpp), "connecting");
  gboolean plugged = station_ocpp_engine_get_plugged (ocpp);
  gboolean faulted = station_ocpp_engine_get_faulted (ocpp);
  gboolean in_transaction = station_ocpp_engine_get_in_transaction (ocpp);
  const char *boot = station_ocpp_engine_get_boot (ocpp);
  EvCpState state = EV_CP_STATE_DISCONNECTED;
  const char *label = _("Not Accepted");
  GtkWidget *widget = GTK_WIDGET (self);
  g_autofree char *a11y = NULL;
  g_autofree char *kwh = ev_ui_format_kwh (station_ocpp_engine_get_kwh (ocpp));
  g_autofree char *tag = NULL;
  g_autofree char *transaction = NULL;

  for (guint i = 0; accepted && i < G_N_ELEMENTS (ocpp_statuses); i++)
    if (g_str_equal (status, ocpp_statuses[i].status))
      {
        state = ocpp_statuses[i].state;
        label = _(ocpp_statuses[i].label);
      }
  ev_ui_set_state_class (self->banner, &self->state_class, state);
  gtk_label_set_label (self->state_label, label);
  gtk_label_set_label (self->detail_label, describe_ocpp (ocpp));
  a11y = g_strdup_printf (_("State: %s"), label);
  ev_ui_set_a11y_label (self->banner, a11y);

  gtk_widget_set_visible (self->supply_box, in_transaction);
  if (in_transaction)
    {
      /* Translators: the idTag the CSMS started the transaction for. */
      tag = g_strdup_printf (_("idTag %s"), ev_ui_or_dash (station_ocpp_engine_get_id_tag (ocpp)));
      if (station_ocpp_engine_get_transaction_id (ocpp) != 0)
        /* Translators: the CSMS's transactionId. */
        transaction = g_strdup_printf (_("Transaction %d"), station_ocpp_engine_get_transaction_id (ocpp));
    }
  gtk_label_set_label (self->driver_label, tag != NULL ? tag : "");
  gtk_label_set_label (self->kwh_label, kwh);
  gtk_label_set_label (self->amount_label, transaction != NULL ? transaction : _("Starting…"));

  adw_action_row_set_subtitle (self->price_row, boot != NULL ? boot : _("No answer yet"));
  ev_ui_set_status (self->central_label, linked, linked ? _("CSMS connected") : _("CSMS not connected"));

  gtk_widget_action_set_enabled (widget, "engine.plug", !plugged && !faulted && !in_transaction);
  gtk_widget_action_set_enabled (widget, "engine.unplug", plugged);
  gtk_widget_action_set_enabled (widget, "engine.simulate-fault", !faulted);
  gtk_widget_action_set_enabled (widget, "engine.repair", faulted);
  gtk_widget_action_set_enabled (widget, "engine.request-supply", FALSE);
}

/* What stays: the charger's identity and what has no place for it. */
static void
setup_ocpp (StationEngineWindow *self)
{
  const char *cp_id = station_ocpp_engine_get_cp_id (self->ocpp);
  /* Translators: the window title, with the OCPP charger's id. */
  g_autofree char *title = g_strdup_printf (_("OCPP Charger %s"), cp_id);

  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_subtitle (self->window_title, cp_id);
  adw_action_row_set_subtitle (self->cp_row, cp_id);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->location_row), _("CSMS"));
  adw_action_row_set_subtitle (self->location_row, station_ocpp_engine_get_url (self->ocpp));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->price_row), _("Boot Answer"));
  gtk_widget_set_visible (self->request_group, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->broker_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->monitor_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->key_label), FALSE);
  gtk_label_set_label (self->port_label, _("OCPP 1.6-J"));
}

static void
ocpp_notify_cb (StationEngineWindow *self,
                GParamSpec          *pspec,
                StationOcppEngine   *ocpp)
{
  update_ocpp (self);
}

/* The transactions, as toasts. */
static void
ocpp_event_cb (StationEngineWindow *self,
               const char          *name,
               JsonObject          *fields,
               StationOcppEngine   *ocpp)
{
  g_autofree char *text = NULL;

  if (g_str_equal (name, "transaction-started"))
    text = g_strdup_printf (_("Transaction %d started for %s"),
                            (int) json_object_get_int_member (fields, "transaction_id"),
                            json_object_get_string_member (fields, "id_tag"));
  else if (g_str_equal (name, "transaction-ended"))
    {
      g_autofree char *kwh = ev_ui_format_kwh (json_object_get_int_member (fields, "energy_wh") / 1000.0);

      /* Translators: a finished OCPP transaction: its id, its energy. */
      text = g_strdup_printf (_("Transaction %d ended: %s"),
                              (int) json_object_get_int_member (fields, "transaction_id"), kwh);
    }
  if (text != NULL)
    station_engine_window_add_toast (self, text);
}

static void
station_engine_window_constructed (GObject *object)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (object);

  G_OBJECT_CLASS (station_engine_window_parent_class)->constructed (object);

  if (self->ocpp != NULL)
    {
      g_signal_connect_object (self->ocpp, "notify", G_CALLBACK (ocpp_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->ocpp, "event", G_CALLBACK (ocpp_event_cb), self, G_CONNECT_SWAPPED);
      setup_ocpp (self);
      update_ocpp (self);
      return;
    }
  g_assert (STATION_IS_ENGINE (self->engine));
  g_signal_connect_object (self->engine, "notify", G_CALLBACK (engine_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "event", G_CALLBACK (engine_event_cb), self, G_CONNECT_SWAPPED);

  update_identity (self);
  update_price (self);
  update_supply (self);
  update_links (self);
  update_state (self);
}

static void
station_engine_window_dispose (GObject *object)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), STATION_TYPE_ENGINE_WINDOW);
  g_clear_object (&self->engine);
  g_clear_object (&self->ocpp);

  G_OBJECT_CLASS (station_engine_window_parent_class)->dispose (object);
}

static void
station_engine_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_OCPP_ENGINE:
      g_value_set_object (value, self->ocpp);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_engine_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  StationEngineWindow *self = STATION_ENGINE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_OCPP_ENGINE:
      self->ocpp = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_engine_window_class_init (StationEngineWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = station_engine_window_constructed;
  object_class->dispose = station_engine_window_dispose;
  object_class->get_property = station_engine_window_get_property;
  object_class->set_property = station_engine_window_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, STATION_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OCPP_ENGINE] =
    g_param_spec_object ("ocpp-engine", NULL, NULL, STATION_TYPE_OCPP_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  station_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, STATION_RESOURCE_PATH "/station-engine-window.ui");
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, supply_box);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, driver_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, kwh_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, amount_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, cp_row);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, location_row);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, price_row);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, driver_entry);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, request_group);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, central_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, broker_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, key_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, monitor_label);
  gtk_widget_class_bind_template_child (widget_class, StationEngineWindow, port_label);
  gtk_widget_class_bind_template_callback (widget_class, driver_entry_activated_cb);

  gtk_widget_class_install_action (widget_class, "engine.plug", NULL, plug_action);
  gtk_widget_class_install_action (widget_class, "engine.unplug", NULL, unplug_action);
  gtk_widget_class_install_action (widget_class, "engine.simulate-fault", NULL, fault_action);
  gtk_widget_class_install_action (widget_class, "engine.repair", NULL, fault_action);
  gtk_widget_class_install_action (widget_class, "engine.request-supply", NULL, request_action);
  ev_ui_class_install_shortcuts (widget_class, "/io/github/evcharging/EVCharging/Station/shortcuts.ui");
}

static void
station_engine_window_init (StationEngineWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

StationEngineWindow *
station_engine_window_new (GtkApplication *app,
                           StationEngine  *engine)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (STATION_IS_ENGINE (engine), NULL);

  return g_object_new (STATION_TYPE_ENGINE_WINDOW,
                       "application", app,
                       "engine", engine,
                       NULL);
}

/**
 * station_engine_window_new_ocpp:
 * @app: (nullable): the application
 * @engine: a started OCPP charger
 *
 * Returns: (transfer floating): the engine window showing and driving
 *   @engine
 */
StationEngineWindow *
station_engine_window_new_ocpp (GtkApplication    *app,
                                StationOcppEngine *engine)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (STATION_IS_OCPP_ENGINE (engine), NULL);

  return g_object_new (STATION_TYPE_ENGINE_WINDOW,
                       "application", app,
                       "ocpp-engine", engine,
                       NULL);
}

StationEngine *
station_engine_window_get_engine (StationEngineWindow *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE_WINDOW (self), NULL);
  return self->engine;
}

/**
 * station_engine_window_add_toast:
 * @self: a #StationEngineWindow
 * @title: a translated sentence
 *
 * Shows @title as a short-lived toast.
 */
void
station_engine_window_add_toast (StationEngineWindow *self,
                                 const char          *title)
{
  g_return_if_fail (STATION_IS_ENGINE_WINDOW (self));
  g_return_if_fail (title != NULL);

  ev_ui_add_toast (self->toast_overlay, title, 4);
}

/* central-cp-card.c: one charging point on the dashboard.
 *
 * The grid view recycles cards, so a card only follows the item it is
 * given: it listens to the item's property notifications and updates its
 * labels and state class in place. Stop and Resume activate the window's
 * "win.stop-cp" and "win.resume-cp" actions with the CP id as target, and
 * the card's menu (Set Price…, Edit Location…, Reset Token…, Forget…) its
 * own "card.set-price", "card.set-location", "card.reset-token" and
 * "card.forget", which pass the id on to the window's "win.set-price-cp",
 * "win.set-location-cp", "win.reset-token-cp" and "win.forget-cp": the
 * card needs no reference to the core. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "central-cp-card.h"
#include "ev-ui.h"

struct _CentralCpCard
{
  GtkWidget        parent_instance;

  EvChargingPoint *item;
  const char      *state_class;
  /* The supply's figures, followed through the item's :supply. */
  GtkExpressionWatch *supply_watches[3];

  GtkWidget       *box;
  GtkLabel        *id_label;
  GtkLabel        *state_label;
  GtkLabel        *location_label;
  GtkLabel        *price_label;
  GtkStack        *detail_stack;
  GtkLabel        *detail_label;
  GtkLabel        *driver_label;
  GtkLabel        *energy_label;
  GtkLabel        *amount_label;
  GtkButton       *stop_button;
  GtkButton       *resume_button;
  GtkButton       *approve_button;
  GtkButton       *reject_button;
  GtkMenuButton   *menu_button;
  GMenuModel      *menu;
};

G_DEFINE_FINAL_TYPE (CentralCpCard, central_cp_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
describe_state (EvCpState state)
{
  switch (state)
    {
    case EV_CP_STATE_DISCONNECTED:
      return _("No monitor connected");
    case EV_CP_STATE_ACTIVE:
      return _("Ready for a supply");
    case EV_CP_STATE_WAITING:
      return _("Authorised: waiting for the vehicle to be plugged in");
    case EV_CP_STATE_SUPPLYING:
      return "";
    case EV_CP_STATE_STOPPED:
      return _("Stopped by the operator");
    case EV_CP_STATE_BROKEN:
      return _("The engine reports a fault");
    default:
      return "";
    }
}

static void
update_state (CentralCpCard *self)
{
  EvCpState state = EV_CP_STATE_DISCONNECTED;
  gboolean pending = FALSE;
  g_autofree char *a11y = NULL;

  if (self->item != NULL)
    {
      state = ev_charging_point_get_state (self->item);
      pending = ev_charging_point_get_pending (self->item);
    }

  ev_ui_set_state_class (GTK_WIDGET (self), &self->state_class, state);

  gtk_label_set_label (self->state_label, pending ? _("Pending") : ev_cp_state_get_label (state));
  gtk_label_set_label (self->detail_label,
                       pending ? _("Registered: awaits your approval, and takes no supplies until then")
                               : describe_state (state));

  /* Awaiting approval, the operator's only choice is approve or reject. */
  gtk_widget_set_visible (GTK_WIDGET (self->stop_button), !pending && state != EV_CP_STATE_STOPPED);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_button), !pending && state == EV_CP_STATE_STOPPED);
  gtk_widget_set_visible (GTK_WIDGET (self->approve_button), pending);
  gtk_widget_set_visible (GTK_WIDGET (self->reject_button), pending);

  /* A supply in progress shows its live figures; WAITING has a driver but
   * nothing measured yet. */
  gtk_stack_set_visible_child_name (self->detail_stack,
                                    state == EV_CP_STATE_SUPPLYING ? "supply" : "idle");

  if (self->item != NULL)
    {
      const char *location = ev_charging_point_get_location (self->item);

      /* Translators: the accessible name of a card: CP id, state, location. */
      a11y = g_strdup_printf (_("Charging point %s, %s, %s"),
                              ev_charging_point_get_cp_id (self->item),
                              ev_cp_state_get_label (state),
                              location != NULL ? location : "");
      ev_ui_set_a11y_label (GTK_WIDGET (self), a11y);
    }
}

static void
update_location (CentralCpCard *self)
{
  const char *location = NULL;

  if (self->item != NULL)
    location = ev_charging_point_get_location (self->item);

  if (location == NULL || *location == '\0')
    location = _("Unknown location");

  gtk_label_set_label (self->location_label, location);
}

static void
update_price (CentralCpCard *self)
{
  g_autofree char *text = NULL;

  if (self->item != NULL)
    text = ev_ui_format_price (ev_charging_point_get_price (self->item));

  gtk_label_set_label (self->price_label, text != NULL ? text : "");
}

static void
update_driver (CentralCpCard *self)
{
  g_autofree char *text = NULL;
  const char *driver = NULL;

  if (self->item != NULL)
    driver = ev_charging_point_get_driver_id (self->item);

  if (driver != NULL && *driver != '\0')
    text = g_strdup_printf (_("Driver %s"), driver);

  gtk_label_set_label (self->driver_label, text != NULL ? text : "");
}

static void
update_energy (CentralCpCard *self)
{
  g_autofree char *text = NULL;

  if (self->item != NULL)
    text = ev_ui_format_kwh (ev_charging_point_get_kwh (self->item));

  gtk_label_set_label (self->energy_label, text != NULL ? text : "");
}

static void
update_amount (CentralCpCard *self)
{
  g_autofree char *text = NULL;

  if (self->item != NULL)
    text = ev_ui_format_amount (ev_charging_point_get_amount (self->item));

  gtk_label_set_label (self->amount_label, text != NULL ? text : "");
}

static void
item_notify_cb (CentralCpCard *self,
                GParamSpec    *pspec,
                GObject       *item)
{
  const char *name = g_param_spec_get_name (pspec);

  /* Property names are interned, so pointer comparison would do; the
   * string comparison keeps this readable and costs nothing here. */
  if (g_str_equal (name, "state") || g_str_equal (name, "pending"))
    update_state (self);
  else if (g_str_equal (name, "price"))
    update_price (self);
  else if (g_str_equal (name, "location"))
    {
      update_location (self);
      update_state (self);
    }
}

static void
unwatch_supply (CentralCpCard *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->supply_watches); i++)
    g_clear_pointer (&self->supply_watches[i], gtk_expression_watch_unwatch);
}

/* GtkLabel skips a label that did not change: one callback for all. */
static void
supply_figure_cb (gpointer data)
{
  CentralCpCard *self = data;

  update_driver (self);
  update_energy (self);
  update_amount (self);
}

static void
watch_supply (CentralCpCard *self)
{
  static const char * const figures[] = { "driver-id", "kwh", "amount" };

  G_STATIC_ASSERT (G_N_ELEMENTS (figures) == G_N_ELEMENTS (((CentralCpCard *) NULL)->supply_watches));

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autoptr(GtkExpression) expression =
        gtk_property_expression_new (EV_TYPE_SUPPLY,
                                     gtk_property_expression_new (EV_TYPE_CHARGING_POINT, NULL, "supply"),
                                     figures[i]);

      self->supply_watches[i] = gtk_expression_watch (expression, self->item, supply_figure_cb, self, NULL);
    }
}

static void
update_all (CentralCpCard *self)
{
  const char *cp_id = NULL;
  GVariant *target = NULL;

  if (self->item != NULL)
    cp_id = ev_charging_point_get_cp_id (self->item);

  gtk_label_set_label (self->id_label, cp_id != NULL ? cp_id : "");

  if (cp_id != NULL)
    target = g_variant_new_string (cp_id);

  /* Without a target the actions, which take the CP id, must not be set:
   * GTK warns about the parameter type mismatch. */
  if (target != NULL)
    g_variant_ref_sink (target);
  {
    GtkActionable *buttons[] = {
      GTK_ACTIONABLE (self->stop_button), GTK_ACTIONABLE (self->resume_button),
      GTK_ACTIONABLE (self->approve_button), GTK_ACTIONABLE (self->reject_button),
    };
    const char *actions[] = { "win.stop-cp", "win.resume-cp", "win.approve-cp", "win.reject-cp" };

    for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
      {
        gtk_actionable_set_action_name (buttons[i], NULL);
        gtk_actionable_set_action_target_value (buttons[i], target);
        if (target != NULL)
          gtk_actionable_set_action_name (buttons[i], actions[i]);
      }
  }
  g_clear_pointer (&target, g_variant_unref);

  if (cp_id != NULL)
    {
      g_autofree char *stop = g_strdup_printf (_("Stop %s"), cp_id);
      g_autofree char *resume = g_strdup_printf (_("Resume %s"), cp_id);

      /* Translators: the accessible name of a card's menu button; %s is a charging point id. */
      g_autofree char *more = g_strdup_printf (_("More actions for %s"), cp_id);

      /* Translators: accessible names of a card's buttons; %s is a charging point id. */
      g_autofree char *approve = g_strdup_printf (_("Approve %s"), cp_id);
      g_autofree char *reject = g_strdup_printf (_("Reject %s"), cp_id);

      ev_ui_set_a11y_label (GTK_WIDGET (self->stop_button), stop);
      ev_ui_set_a11y_label (GTK_WIDGET (self->resume_button), resume);
      ev_ui_set_a11y_label (GTK_WIDGET (self->approve_button), approve);
      ev_ui_set_a11y_label (GTK_WIDGET (self->reject_button), reject);
      ev_ui_set_a11y_label (GTK_WIDGET (self->menu_button), more);
    }

  update_location (self);
  update_price (self);
  update_driver (self);
  update_energy (self);
  update_amount (self);
  update_state (self);
}

static void
central_cp_card_dispose (GObject *object)
{
  CentralCpCard *self = CENTRAL_CP_CARD (object);

  unwatch_supply (self);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, item_notify_cb, self);
  g_clear_object (&self->item);

  gtk_widget_dispose_template (GTK_WIDGET (self), CENTRAL_TYPE_CP_CARD);

  G_OBJECT_CLASS (central_cp_card_parent_class)->dispose (object);
}

static void
central_cp_card_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CentralCpCard *self = CENTRAL_CP_CARD (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_cp_card_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CentralCpCard *self = CENTRAL_CP_CARD (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      central_cp_card_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The menu's actions name no CP: the card adds its own and asks the
 * window. */
static void
cp_action (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  CentralCpCard *self = CENTRAL_CP_CARD (widget);

  if (self->item == NULL)
    return;

  gtk_widget_activate_action (widget,
                              g_str_equal (action_name, "card.forget") ? "win.forget-cp" :
                              g_str_equal (action_name, "card.set-price") ? "win.set-price-cp" :
                              g_str_equal (action_name, "card.set-location") ? "win.set-location-cp" :
                              "win.reset-token-cp",
                              "s", ev_charging_point_get_cp_id (self->item));
}

static void
central_cp_card_class_init (CentralCpCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = central_cp_card_dispose;
  object_class->get_property = central_cp_card_get_property;
  object_class->set_property = central_cp_card_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         EV_TYPE_CHARGING_POINT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/evcharging/EVCharging/Central/central-cp-card.ui");
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, box);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, id_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, state_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, location_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, price_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, driver_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, energy_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, amount_label);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, stop_button);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, resume_button);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, approve_button);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, reject_button);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, menu_button);
  gtk_widget_class_bind_template_child (widget_class, CentralCpCard, menu);

  gtk_widget_class_install_action (widget_class, "card.set-price", NULL, cp_action);
  gtk_widget_class_install_action (widget_class, "card.set-location", NULL, cp_action);
  gtk_widget_class_install_action (widget_class, "card.reset-token", NULL, cp_action);
  gtk_widget_class_install_action (widget_class, "card.forget", NULL, cp_action);

  gtk_widget_class_set_css_name (widget_class, "cpcard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

/* Tooltips are computed when asked: a grid of thousands of cards must
 * not set them on every bind. */
static gboolean
button_query_tooltip_cb (GtkWidget     *button,
                         int            x,
                         int            y,
                         gboolean       keyboard_mode,
                         GtkTooltip    *tooltip,
                         CentralCpCard *self)
{
  g_autofree char *text = NULL;
  const char *cp_id;

  if (self->item == NULL)
    return FALSE;

  cp_id = ev_charging_point_get_cp_id (self->item);
  if (button == GTK_WIDGET (self->stop_button))
    text = g_strdup_printf (_("Stop %s"), cp_id);
  else
    text = g_strdup_printf (_("Resume %s"), cp_id);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* The popover is made when the menu is first opened, not for every card
 * of a grid of thousands. */
static void
menu_create_popup_cb (GtkMenuButton *button,
                      gpointer       user_data)
{
  CentralCpCard *self = user_data;

  if (gtk_menu_button_get_popover (button) == NULL)
    gtk_menu_button_set_menu_model (button, self->menu);
}

static void
central_cp_card_init (CentralCpCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  ev_ui_tooltip_when_ellipsized (self->location_label);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->stop_button), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->resume_button), TRUE);
  g_signal_connect (self->stop_button, "query-tooltip", G_CALLBACK (button_query_tooltip_cb), self);
  g_signal_connect (self->resume_button, "query-tooltip", G_CALLBACK (button_query_tooltip_cb), self);
  gtk_menu_button_set_create_popup_func (self->menu_button, menu_create_popup_cb, self, NULL);

  update_all (self);
}

GtkWidget *
central_cp_card_new (void)
{
  return g_object_new (CENTRAL_TYPE_CP_CARD, NULL);
}

EvChargingPoint *
central_cp_card_get_item (CentralCpCard *self)
{
  g_return_val_if_fail (CENTRAL_IS_CP_CARD (self), NULL);

  return self->item;
}

void
central_cp_card_set_item (CentralCpCard   *self,
                          EvChargingPoint *item)
{
  g_return_if_fail (CENTRAL_IS_CP_CARD (self));
  g_return_if_fail (item == NULL || EV_IS_CHARGING_POINT (item));

  if (self->item == item)
    return;

  unwatch_supply (self);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, item_notify_cb, self);

  g_set_object (&self->item, item);

  if (self->item != NULL)
    {
      g_signal_connect_object (self->item, "notify",
                               G_CALLBACK (item_notify_cb), self,
                               G_CONNECT_SWAPPED);
      watch_supply (self);
    }

  update_all (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

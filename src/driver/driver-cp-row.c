/* driver-cp-row.c: one charging point in the driver's list.
 *
 * The list view recycles rows, so a row only follows the item it is
 * given: it listens to the item's property notifications and updates its
 * labels and state class (ev-cp-state.h, the colours of every app) in
 * place. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-cp-row.h"
#include "driver-ui.h"

struct _DriverCpRow
{
  GtkWidget        parent_instance;

  EvChargingPoint *item;
  const char      *state_class;

  GtkWidget       *box;
  GtkLabel        *id_label;
  GtkLabel        *location_label;
  GtkLabel        *state_label;
  GtkLabel        *price_label;
};

G_DEFINE_FINAL_TYPE (DriverCpRow, driver_cp_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_a11y (DriverCpRow *self)
{
  g_autofree char *label = NULL;
  EvCpState state;
  const char *location;

  if (self->item == NULL)
    return;

  state = ev_charging_point_get_state (self->item);
  location = ev_charging_point_get_location (self->item);
  /* Translators: the accessible name of a charging point in the list:
   * id, state, availability, location. */
  label = g_strdup_printf (_("Charging point %s, %s, %s, %s"),
                           ev_charging_point_get_cp_id (self->item),
                           ev_cp_state_get_label (state),
                           ev_cp_state_is_available (state) ? _("available") : _("not available"),
                           location != NULL ? location : "");
  ev_ui_set_a11y_label (GTK_WIDGET (self), label);
}

static void
update_state (DriverCpRow *self)
{
  EvCpState state = EV_CP_STATE_DISCONNECTED;

  if (self->item != NULL)
    state = ev_charging_point_get_state (self->item);

  ev_ui_swap_css_class (GTK_WIDGET (self), &self->state_class, ev_cp_state_get_css_class (state));
  gtk_label_set_label (self->state_label, ev_cp_state_get_label (state));
  update_a11y (self);
}

static void
update_location (DriverCpRow *self)
{
  const char *location = NULL;

  if (self->item != NULL)
    location = ev_charging_point_get_location (self->item);
  if (location == NULL || *location == '\0')
    location = _("Unknown location");

  gtk_label_set_label (self->location_label, location);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->location_label), location);
  update_a11y (self);
}

static void
update_price (DriverCpRow *self)
{
  g_autofree char *text = NULL;

  if (self->item != NULL && ev_charging_point_get_price (self->item) > 0.0)
    text = ev_ui_format_price (ev_charging_point_get_price (self->item));

  gtk_label_set_label (self->price_label, text != NULL ? text : "");
}

static void
item_notify_cb (DriverCpRow *self,
                GParamSpec  *pspec,
                GObject     *item)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "state"))
    update_state (self);
  else if (g_str_equal (name, "location"))
    update_location (self);
  else if (g_str_equal (name, "price"))
    update_price (self);
}

static void
update_all (DriverCpRow *self)
{
  const char *cp_id = self->item != NULL ? ev_charging_point_get_cp_id (self->item) : NULL;

  gtk_label_set_label (self->id_label, cp_id != NULL ? cp_id : "");
  update_location (self);
  update_price (self);
  update_state (self);
}

static void
driver_cp_row_dispose (GObject *object)
{
  DriverCpRow *self = DRIVER_CP_ROW (object);

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, item_notify_cb, self);
  g_clear_object (&self->item);

  gtk_widget_dispose_template (GTK_WIDGET (self), DRIVER_TYPE_CP_ROW);

  G_OBJECT_CLASS (driver_cp_row_parent_class)->dispose (object);
}

static void
driver_cp_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DriverCpRow *self = DRIVER_CP_ROW (object);

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
driver_cp_row_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DriverCpRow *self = DRIVER_CP_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      driver_cp_row_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_cp_row_class_init (DriverCpRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = driver_cp_row_dispose;
  object_class->get_property = driver_cp_row_get_property;
  object_class->set_property = driver_cp_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         EV_TYPE_CHARGING_POINT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  driver_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, DRIVER_RESOURCE_PATH "/driver-cp-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DriverCpRow, box);
  gtk_widget_class_bind_template_child (widget_class, DriverCpRow, id_label);
  gtk_widget_class_bind_template_child (widget_class, DriverCpRow, location_label);
  gtk_widget_class_bind_template_child (widget_class, DriverCpRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, DriverCpRow, price_label);

  gtk_widget_class_set_css_name (widget_class, "cprow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
driver_cp_row_init (DriverCpRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_all (self);
}

GtkWidget *
driver_cp_row_new (void)
{
  return g_object_new (DRIVER_TYPE_CP_ROW, NULL);
}

EvChargingPoint *
driver_cp_row_get_item (DriverCpRow *self)
{
  g_return_val_if_fail (DRIVER_IS_CP_ROW (self), NULL);
  return self->item;
}

void
driver_cp_row_set_item (DriverCpRow     *self,
                        EvChargingPoint *item)
{
  g_return_if_fail (DRIVER_IS_CP_ROW (self));
  g_return_if_fail (item == NULL || EV_IS_CHARGING_POINT (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, item_notify_cb, self);
  g_set_object (&self->item, item);
  if (self->item != NULL)
    g_signal_connect_object (self->item, "notify", G_CALLBACK (item_notify_cb), self, G_CONNECT_SWAPPED);

  update_all (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

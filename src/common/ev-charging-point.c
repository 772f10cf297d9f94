#include "config.h"

#include <math.h>

#include "ev-charging-point.h"
#include "ev-enum-types.h"

/**
 * EvChargingPoint:
 *
 * One charging point as every app sees it: identity, where it is, what it
 * costs, its state and, while a supply runs, who is charging and how much.
 * Views bind to its properties, so an update is a property change (notify)
 * rather than a list model change.
 */
struct _EvChargingPoint
{
  GObject parent_instance;

  char *cp_id;
  char *location;
  double price;
  EvCpState state;
  char *driver_id;
  char *supply_id;
  double kwh;
  double amount;
  gboolean pending;
};

G_DEFINE_FINAL_TYPE (EvChargingPoint, ev_charging_point, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CP_ID,
  PROP_LOCATION,
  PROP_PRICE,
  PROP_STATE,
  PROP_DRIVER_ID,
  PROP_SUPPLY_ID,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ev_charging_point_finalize (GObject *object)
{
  EvChargingPoint *self = EV_CHARGING_POINT (object);

  g_clear_pointer (&self->cp_id, g_free);
  g_clear_pointer (&self->location, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->supply_id, g_free);

  G_OBJECT_CLASS (ev_charging_point_parent_class)->finalize (object);
}

static void
ev_charging_point_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EvChargingPoint *self = EV_CHARGING_POINT (object);

  switch (prop_id)
    {
    case PROP_CP_ID:
      g_value_set_string (value, self->cp_id);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DRIVER_ID:
      g_value_set_string (value, self->driver_id);
      break;
    case PROP_SUPPLY_ID:
      g_value_set_string (value, self->supply_id);
      break;
    case PROP_KWH:
      g_value_set_double (value, self->kwh);
      break;
    case PROP_AMOUNT:
      g_value_set_double (value, self->amount);
      break;
    case PROP_PENDING:
      g_value_set_boolean (value, self->pending);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_charging_point_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EvChargingPoint *self = EV_CHARGING_POINT (object);

  switch (prop_id)
    {
    case PROP_CP_ID:
      self->cp_id = g_value_dup_string (value);
      break;
    case PROP_LOCATION:
      ev_charging_point_set_location (self, g_value_get_string (value));
      break;
    case PROP_PRICE:
      ev_charging_point_set_price (self, g_value_get_double (value));
      break;
    case PROP_STATE:
      ev_charging_point_set_state (self, g_value_get_enum (value));
      break;
    case PROP_DRIVER_ID:
      ev_charging_point_set_driver_id (self, g_value_get_string (value));
      break;
    case PROP_SUPPLY_ID:
      ev_charging_point_set_supply_id (self, g_value_get_string (value));
      break;
    case PROP_KWH:
      ev_charging_point_set_kwh (self, g_value_get_double (value));
      break;
    case PROP_AMOUNT:
      ev_charging_point_set_amount (self, g_value_get_double (value));
      break;
    case PROP_PENDING:
      ev_charging_point_set_pending (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_charging_point_class_init (EvChargingPointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ev_charging_point_finalize;
  object_class->get_property = ev_charging_point_get_property;
  object_class->set_property = ev_charging_point_set_property;

  properties[PROP_CP_ID] =
    g_param_spec_string ("cp-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCATION] =
    g_param_spec_string ("location", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRICE] =
    g_param_spec_double ("price", NULL, NULL,
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       EV_TYPE_CP_STATE, EV_CP_STATE_DISCONNECTED,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DRIVER_ID] =
    g_param_spec_string ("driver-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUPPLY_ID] =
    g_param_spec_string ("supply-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KWH] =
    g_param_spec_double ("kwh", NULL, NULL,
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AMOUNT] =
    g_param_spec_double ("amount", NULL, NULL,
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Registered, awaiting the operator's approval (Central). */
  properties[PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_charging_point_init (EvChargingPoint *self)
{
  self->state = EV_CP_STATE_DISCONNECTED;
}

/**
 * ev_charging_point_new:
 * @cp_id: the CP's identifier
 *
 * Creates a charging point in state %EV_CP_STATE_DISCONNECTED.
 *
 * Returns: (transfer full): a new #EvChargingPoint
 */
EvChargingPoint *
ev_charging_point_new (const char *cp_id)
{
  g_return_val_if_fail (cp_id != NULL, NULL);

  return g_object_new (EV_TYPE_CHARGING_POINT, "cp-id", cp_id, NULL);
}

/**
 * ev_charging_point_copy:
 * @self: a charging point
 *
 * A snapshot: events carry one, so that they keep saying how the CP
 * stood when they happened while the list's item goes on changing.
 *
 * Returns: (transfer full): a new #EvChargingPoint with the values of @self
 */
EvChargingPoint *
ev_charging_point_copy (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);

  return g_object_new (EV_TYPE_CHARGING_POINT,
                       "cp-id", self->cp_id,
                       "location", self->location,
                       "price", self->price,
                       "state", self->state,
                       "driver-id", self->driver_id,
                       "supply-id", self->supply_id,
                       "kwh", self->kwh,
                       "amount", self->amount,
                       "pending", self->pending,
                       NULL);
}

const char *
ev_charging_point_get_cp_id (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);
  return self->cp_id;
}

static void
set_string (EvChargingPoint *self,
            char           **field,
            const char      *value,
            int              prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Doubles that are not finite or are negative never reach a property:
 * they would be shown on dashboards and written into tickets. */
static void
set_amount_like (EvChargingPoint *self,
                 double          *field,
                 double           value,
                 int              prop)
{
  g_return_if_fail (isfinite (value) && value >= 0.0);

  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

const char *
ev_charging_point_get_location (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);
  return self->location;
}

void
ev_charging_point_set_location (EvChargingPoint *self,
                                const char      *location)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_string (self, &self->location, location, PROP_LOCATION);
}

double
ev_charging_point_get_price (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), 0.0);
  return self->price;
}

void
ev_charging_point_set_price (EvChargingPoint *self,
                             double           price)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_amount_like (self, &self->price, price, PROP_PRICE);
}

EvCpState
ev_charging_point_get_state (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), EV_CP_STATE_DISCONNECTED);
  return self->state;
}

void
ev_charging_point_set_state (EvChargingPoint *self,
                             EvCpState        state)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  g_return_if_fail ((unsigned) state <= EV_CP_STATE_LAST);

  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

const char *
ev_charging_point_get_driver_id (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);
  return self->driver_id;
}

void
ev_charging_point_set_driver_id (EvChargingPoint *self,
                                 const char      *driver_id)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_string (self, &self->driver_id, driver_id, PROP_DRIVER_ID);
}

const char *
ev_charging_point_get_supply_id (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);
  return self->supply_id;
}

void
ev_charging_point_set_supply_id (EvChargingPoint *self,
                                 const char      *supply_id)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_string (self, &self->supply_id, supply_id, PROP_SUPPLY_ID);
}

double
ev_charging_point_get_kwh (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), 0.0);
  return self->kwh;
}

void
ev_charging_point_set_kwh (EvChargingPoint *self,
                           double           kwh)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_amount_like (self, &self->kwh, kwh, PROP_KWH);
}

double
ev_charging_point_get_amount (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), 0.0);
  return self->amount;
}

void
ev_charging_point_set_amount (EvChargingPoint *self,
                              double           amount)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  set_amount_like (self, &self->amount, amount, PROP_AMOUNT);
}

/**
 * ev_charging_point_get_pending:
 * @self: a charging point
 *
 * Returns: whether the CP registered and awaits the operator's approval
 */
gboolean
ev_charging_point_get_pending (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), FALSE);
  return self->pending;
}

/**
 * ev_charging_point_set_pending:
 * @self: a charging point
 * @pending: whether it awaits the operator's approval
 */
void
ev_charging_point_set_pending (EvChargingPoint *self,
                               gboolean         pending)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));

  pending = !!pending;
  if (self->pending == pending)
    return;
  self->pending = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
}

/**
 * ev_charging_point_clear_supply:
 * @self: a charging point
 *
 * Forgets the supply in progress (driver, supply id, kWh and amount), as
 * when a supply ends. Notifications are batched into one emission per
 * changed property.
 */
void
ev_charging_point_clear_supply (EvChargingPoint *self)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));

  g_object_freeze_notify (G_OBJECT (self));
  ev_charging_point_set_driver_id (self, NULL);
  ev_charging_point_set_supply_id (self, NULL);
  ev_charging_point_set_kwh (self, 0.0);
  ev_charging_point_set_amount (self, 0.0);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * ev_charging_point_update:
 * @self: a charging point
 * @from: another one with the same id
 *
 * Gives @self every value of @from; only the properties that change are
 * notified, together. This is how a view's copy follows the original
 * living on another thread.
 */
void
ev_charging_point_update (EvChargingPoint *self,
                          EvChargingPoint *from)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  g_return_if_fail (EV_IS_CHARGING_POINT (from));

  g_object_freeze_notify (G_OBJECT (self));
  ev_charging_point_set_location (self, from->location);
  ev_charging_point_set_price (self, from->price);
  ev_charging_point_set_state (self, from->state);
  ev_charging_point_set_driver_id (self, from->driver_id);
  ev_charging_point_set_supply_id (self, from->supply_id);
  ev_charging_point_set_kwh (self, from->kwh);
  ev_charging_point_set_amount (self, from->amount);
  ev_charging_point_set_pending (self, from->pending);
  g_object_thaw_notify (G_OBJECT (self));
}

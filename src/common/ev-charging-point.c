#include "config.h"

#include <math.h>

#include "ev-charging-point.h"
#include "ev-enum-types.h"

/**
 * EvChargingPoint:
 *
 * One charging point as every app sees it: identity, where it is, what it
 * costs, its state and, while a supply runs, that supply (#EvSupply: who
 * is charging and how much). Views bind to its properties, and to the
 * supply's through expressions (`supply` then `kwh`), so an update is a
 * property change (notify) rather than a list model change.
 */
struct _EvChargingPoint
{
  GObject parent_instance;

  char *cp_id;
  char *location;
  double price;
  EvCpState state;
  EvSupply *supply;
  gulong supply_notify_id;
  gboolean pending;
};

G_DEFINE_FINAL_TYPE (EvChargingPoint, ev_charging_point, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CP_ID,
  PROP_LOCATION,
  PROP_PRICE,
  PROP_STATE,
  PROP_SUPPLY,
  PROP_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SUPPLY_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
ev_charging_point_dispose (GObject *object)
{
  EvChargingPoint *self = EV_CHARGING_POINT (object);

  if (self->supply != NULL)
    g_clear_signal_handler (&self->supply_notify_id, self->supply);
  g_clear_object (&self->supply);

  G_OBJECT_CLASS (ev_charging_point_parent_class)->dispose (object);
}

static void
ev_charging_point_finalize (GObject *object)
{
  EvChargingPoint *self = EV_CHARGING_POINT (object);

  g_clear_pointer (&self->cp_id, g_free);
  g_clear_pointer (&self->location, g_free);

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
    case PROP_SUPPLY:
      g_value_set_object (value, self->supply);
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
    case PROP_SUPPLY:
      ev_charging_point_set_supply (self, g_value_get_object (value));
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

  object_class->dispose = ev_charging_point_dispose;
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
  /**
   * EvChargingPoint:supply: (nullable)
   *
   * The supply in progress at this CP, or %NULL. It is the supply itself,
   * not a copy: bind to its figures through an expression. Notified
   * when the CP holds another supply (or none); a change of the supply's
   * own figures is the supply's notification, and the CP's
   * #EvChargingPoint::supply-changed.
   */
  properties[PROP_SUPPLY] =
    g_param_spec_object ("supply", NULL, NULL,
                         EV_TYPE_SUPPLY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Registered, awaiting the operator's approval (Central). */
  properties[PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvChargingPoint::supply-changed:
   * @self: the charging point
   *
   * A property of the supply the CP holds changed. For whoever watches
   * the CP alone (Central's service, which snapshots changed CPs for its
   * view thread); a view binds to the figure it shows instead, so that
   * a change of kWh does not also redraw the driver's name.
   */
  signals[SUPPLY_CHANGED] =
    g_signal_new ("supply-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
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
 * stood when they happened while the list's item goes on changing. Its
 * supply is a copy too.
 *
 * Returns: (transfer full): a new #EvChargingPoint with the values of @self
 */
EvChargingPoint *
ev_charging_point_copy (EvChargingPoint *self)
{
  g_autoptr(EvSupply) supply = NULL;

  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);

  if (self->supply != NULL)
    supply = ev_supply_copy (self->supply);

  return g_object_new (EV_TYPE_CHARGING_POINT,
                       "cp-id", self->cp_id,
                       "location", self->location,
                       "price", self->price,
                       "state", self->state,
                       "supply", supply,
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

static void
supply_notify_cb (EvChargingPoint *self)
{
  g_signal_emit (self, signals[SUPPLY_CHANGED], 0);
}

/**
 * ev_charging_point_get_supply:
 * @self: a charging point
 *
 * Returns: (transfer none) (nullable): the supply in progress
 */
EvSupply *
ev_charging_point_get_supply (EvChargingPoint *self)
{
  g_return_val_if_fail (EV_IS_CHARGING_POINT (self), NULL);
  return self->supply;
}

/**
 * ev_charging_point_set_supply:
 * @self: a charging point
 * @supply: (nullable): the supply now in progress, or %NULL when none is
 */
void
ev_charging_point_set_supply (EvChargingPoint *self,
                              EvSupply        *supply)
{
  g_return_if_fail (EV_IS_CHARGING_POINT (self));
  g_return_if_fail (supply == NULL || EV_IS_SUPPLY (supply));

  if (self->supply == supply)
    return;

  if (self->supply != NULL)
    g_clear_signal_handler (&self->supply_notify_id, self->supply);
  g_set_object (&self->supply, supply);
  if (supply != NULL)
    self->supply_notify_id = g_signal_connect_swapped (supply, "notify",
                                                       G_CALLBACK (supply_notify_cb), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUPPLY]);
}

/* Read through :supply, for callers that want one figure; there is no
 * copy of them on the CP. */
#define THROUGH_SUPPLY(type, name, none) \
  type \
  ev_charging_point_get_##name (EvChargingPoint *self) \
  { \
    g_return_val_if_fail (EV_IS_CHARGING_POINT (self), none); \
    return self->supply != NULL ? ev_supply_get_##name (self->supply) : none; \
  }

THROUGH_SUPPLY (const char *, driver_id, NULL)
THROUGH_SUPPLY (const char *, supply_id, NULL)
THROUGH_SUPPLY (double, kwh, 0.0)
THROUGH_SUPPLY (double, amount, 0.0)

#undef THROUGH_SUPPLY

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
 * ev_charging_point_update:
 * @self: a charging point
 * @from: another one with the same id
 *
 * Gives @self every value of @from; only the properties that change are
 * notified, together. This is how a view's copy follows the original
 * living on another thread: the same supply is updated in place (its
 * figures notify), another one is copied.
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
  if (from->supply == NULL)
    ev_charging_point_set_supply (self, NULL);
  else if (self->supply != NULL &&
           g_strcmp0 (ev_supply_get_supply_id (self->supply), ev_supply_get_supply_id (from->supply)) == 0)
    ev_supply_update (self->supply, from->supply);
  else
    {
      g_autoptr(EvSupply) supply = ev_supply_copy (from->supply);

      ev_charging_point_set_supply (self, supply);
    }
  ev_charging_point_set_pending (self, from->pending);
  g_object_thaw_notify (G_OBJECT (self));
}

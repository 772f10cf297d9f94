#include "config.h"

#include <math.h>

#include "ev-enum-types.h"
#include "ev-supply.h"

/**
 * EvSupply:
 *
 * One supply, from the request to its ticket or error: who, where, at what
 * price, the latest figures and, once concluded, when and why it ended.
 * It is the one truth of a supply in every program: Central's request
 * table, its history and a charging point's #EvChargingPoint:supply, the
 * driver's follow machine and its views, all hold these objects, and
 * follow them through their notify signals. Every setter notifies once
 * per real change and never for an equal value.
 */
struct _EvSupply
{
  GObject parent_instance;

  char *supply_id;
  char *cp_id;
  char *driver_id;
  EvSupplyPhase phase;
  double price;
  double kwh;
  double amount;
  guint seq;
  gint64 started_at;
  gint64 ended_at;
  char *reason;
  gboolean provisional;
};

G_DEFINE_FINAL_TYPE (EvSupply, ev_supply, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SUPPLY_ID,
  PROP_CP_ID,
  PROP_DRIVER_ID,
  PROP_PHASE,
  PROP_PRICE,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_SEQ,
  PROP_STARTED_AT,
  PROP_ENDED_AT,
  PROP_REASON,
  PROP_PROVISIONAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const phase_names[] = {
  [EV_SUPPLY_PHASE_REQUESTED] = "requested",
  [EV_SUPPLY_PHASE_AUTHORIZED] = "authorized",
  [EV_SUPPLY_PHASE_SUPPLYING] = "supplying",
  [EV_SUPPLY_PHASE_FINISHED] = "finished",
  [EV_SUPPLY_PHASE_FAILED] = "failed",
};

/**
 * ev_supply_phase_to_string:
 * @phase: a phase
 *
 * Returns: the phase's stable name, the one the database, the driver's
 *   state file and the events use (independent of enum nicks)
 */
const char *
ev_supply_phase_to_string (EvSupplyPhase phase)
{
  g_return_val_if_fail ((unsigned) phase < G_N_ELEMENTS (phase_names), NULL);

  return phase_names[phase];
}

/**
 * ev_supply_phase_from_string:
 * @name: (nullable): a name ev_supply_phase_to_string() gives
 * @phase: (out): where to put the phase
 *
 * Returns: %TRUE if @name names a phase; @phase is untouched otherwise
 */
gboolean
ev_supply_phase_from_string (const char    *name,
                             EvSupplyPhase *phase)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (phase_names); i++)
    if (g_str_equal (name, phase_names[i]))
      {
        *phase = i;
        return TRUE;
      }
  return FALSE;
}

static void
ev_supply_finalize (GObject *object)
{
  EvSupply *self = EV_SUPPLY (object);

  g_clear_pointer (&self->supply_id, g_free);
  g_clear_pointer (&self->cp_id, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (ev_supply_parent_class)->finalize (object);
}

static void
ev_supply_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  EvSupply *self = EV_SUPPLY (object);

  switch (prop_id)
    {
    case PROP_SUPPLY_ID:
      g_value_set_string (value, self->supply_id);
      break;
    case PROP_CP_ID:
      g_value_set_string (value, self->cp_id);
      break;
    case PROP_DRIVER_ID:
      g_value_set_string (value, self->driver_id);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_KWH:
      g_value_set_double (value, self->kwh);
      break;
    case PROP_AMOUNT:
      g_value_set_double (value, self->amount);
      break;
    case PROP_SEQ:
      g_value_set_uint (value, self->seq);
      break;
    case PROP_STARTED_AT:
      g_value_set_int64 (value, self->started_at);
      break;
    case PROP_ENDED_AT:
      g_value_set_int64 (value, self->ended_at);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    case PROP_PROVISIONAL:
      g_value_set_boolean (value, self->provisional);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_supply_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  EvSupply *self = EV_SUPPLY (object);

  switch (prop_id)
    {
    case PROP_SUPPLY_ID:
      ev_supply_set_supply_id (self, g_value_get_string (value));
      break;
    case PROP_CP_ID:
      self->cp_id = g_value_dup_string (value);
      break;
    case PROP_DRIVER_ID:
      self->driver_id = g_value_dup_string (value);
      break;
    case PROP_PHASE:
      ev_supply_set_phase (self, g_value_get_enum (value));
      break;
    case PROP_PRICE:
      ev_supply_set_price (self, g_value_get_double (value));
      break;
    case PROP_KWH:
      ev_supply_set_kwh (self, g_value_get_double (value));
      break;
    case PROP_AMOUNT:
      ev_supply_set_amount (self, g_value_get_double (value));
      break;
    case PROP_SEQ:
      ev_supply_set_seq (self, g_value_get_uint (value));
      break;
    case PROP_STARTED_AT:
      ev_supply_set_started_at (self, g_value_get_int64 (value));
      break;
    case PROP_ENDED_AT:
      ev_supply_set_ended_at (self, g_value_get_int64 (value));
      break;
    case PROP_REASON:
      ev_supply_set_reason (self, g_value_get_string (value));
      break;
    case PROP_PROVISIONAL:
      ev_supply_set_provisional (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_supply_class_init (EvSupplyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags id = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ev_supply_finalize;
  object_class->get_property = ev_supply_get_property;
  object_class->set_property = ev_supply_set_property;

  /**
   * EvSupply:supply-id:
   *
   * The supply's UUID: given at construction, or set once when it becomes
   * known (a driver learns it with the authorisation); it never changes.
   */
  properties[PROP_SUPPLY_ID] = g_param_spec_string ("supply-id", NULL, NULL, NULL, rw);
  properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, id);
  properties[PROP_DRIVER_ID] = g_param_spec_string ("driver-id", NULL, NULL, NULL, id);
  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL,
                       EV_TYPE_SUPPLY_PHASE, EV_SUPPLY_PHASE_REQUESTED, rw);
  properties[PROP_PRICE] = g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, rw);
  properties[PROP_KWH] = g_param_spec_double ("kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, rw);
  properties[PROP_AMOUNT] = g_param_spec_double ("amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, rw);
  properties[PROP_SEQ] = g_param_spec_uint ("seq", NULL, NULL, 0, G_MAXUINT, 0, rw);
  properties[PROP_STARTED_AT] =
    g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_ENDED_AT] =
    g_param_spec_int64 ("ended-at", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, rw);
  /**
   * EvSupply:provisional:
   *
   * Whether the outcome is Central's, given at a fault, while the
   * engine's own figures have not arrived: its ticket settles the supply.
   */
  properties[PROP_PROVISIONAL] = g_param_spec_boolean ("provisional", NULL, NULL, FALSE, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_supply_init (EvSupply *self)
{
  self->phase = EV_SUPPLY_PHASE_REQUESTED;
}

/**
 * ev_supply_new:
 * @supply_id: (nullable): the supply's UUID, %NULL while only requested
 * @cp_id: the charging point
 * @driver_id: the driver (or `station:<cp_id>`)
 *
 * Returns: (transfer full): a new supply in %EV_SUPPLY_PHASE_REQUESTED
 */
EvSupply *
ev_supply_new (const char *supply_id,
               const char *cp_id,
               const char *driver_id)
{
  g_return_val_if_fail (cp_id != NULL, NULL);
  g_return_val_if_fail (driver_id != NULL, NULL);

  return g_object_new (EV_TYPE_SUPPLY,
                       "supply-id", supply_id,
                       "cp-id", cp_id,
                       "driver-id", driver_id,
                       NULL);
}

#define GETTER(type, name, fallback) \
  type \
  ev_supply_get_##name (EvSupply *self) \
  { \
    g_return_val_if_fail (EV_IS_SUPPLY (self), fallback); \
    return self->name; \
  }

GETTER (const char *, supply_id, NULL)
GETTER (const char *, cp_id, NULL)
GETTER (const char *, driver_id, NULL)
GETTER (EvSupplyPhase, phase, EV_SUPPLY_PHASE_REQUESTED)
GETTER (double, price, 0.0)
GETTER (double, kwh, 0.0)
GETTER (double, amount, 0.0)
GETTER (guint, seq, 0)
GETTER (gint64, started_at, 0)
GETTER (gint64, ended_at, 0)
GETTER (const char *, reason, NULL)
GETTER (gboolean, provisional, FALSE)

#undef GETTER

/* Setters of plain values share one shape: refuse what the property cannot
 * hold, return early when nothing changes, notify by pspec. */
#define VALUE_SETTER(type, name, PROP, valid) \
  void \
  ev_supply_set_##name (EvSupply *self, \
                        type      name) \
  { \
    g_return_if_fail (EV_IS_SUPPLY (self)); \
    g_return_if_fail (valid); \
    if (self->name == name) \
      return; \
    self->name = name; \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]); \
  }

VALUE_SETTER (EvSupplyPhase, phase, PROP_PHASE, (unsigned) phase <= EV_SUPPLY_PHASE_FAILED)
VALUE_SETTER (double, price, PROP_PRICE, isfinite (price) && price >= 0.0)
VALUE_SETTER (double, kwh, PROP_KWH, isfinite (kwh) && kwh >= 0.0)
VALUE_SETTER (double, amount, PROP_AMOUNT, isfinite (amount) && amount >= 0.0)
VALUE_SETTER (guint, seq, PROP_SEQ, TRUE)
VALUE_SETTER (gint64, started_at, PROP_STARTED_AT, started_at >= 0)
VALUE_SETTER (gint64, ended_at, PROP_ENDED_AT, ended_at >= 0)
VALUE_SETTER (gboolean, provisional, PROP_PROVISIONAL, provisional == TRUE || provisional == FALSE)

#undef VALUE_SETTER

/**
 * ev_supply_set_supply_id:
 * @self: a supply
 * @supply_id: (nullable): its UUID
 *
 * Gives a supply created while only requested the id Central gave it.
 * An id, once set, stays.
 */
void
ev_supply_set_supply_id (EvSupply   *self,
                         const char *supply_id)
{
  g_return_if_fail (EV_IS_SUPPLY (self));

  if (g_strcmp0 (self->supply_id, supply_id) == 0)
    return;
  g_return_if_fail (self->supply_id == NULL);

  self->supply_id = g_strdup (supply_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUPPLY_ID]);
}

void
ev_supply_set_reason (EvSupply   *self,
                      const char *reason)
{
  g_return_if_fail (EV_IS_SUPPLY (self));

  if (g_strcmp0 (self->reason, reason) == 0)
    return;

  g_free (self->reason);
  self->reason = g_strdup (reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
}

/**
 * ev_supply_is_concluded:
 * @self: a supply
 *
 * Returns: %TRUE once the supply has its one outcome (ticket or error)
 */
gboolean
ev_supply_is_concluded (EvSupply *self)
{
  g_return_val_if_fail (EV_IS_SUPPLY (self), FALSE);

  return self->phase == EV_SUPPLY_PHASE_FINISHED ||
         self->phase == EV_SUPPLY_PHASE_FAILED;
}

/**
 * ev_supply_update:
 * @self: a supply
 * @from: another one of the same supply
 *
 * Gives @self every changing value of @from (not its identity); only the
 * properties that change are notified, together.
 */
void
ev_supply_update (EvSupply *self,
                  EvSupply *from)
{
  g_return_if_fail (EV_IS_SUPPLY (self));
  g_return_if_fail (EV_IS_SUPPLY (from));

  g_object_freeze_notify (G_OBJECT (self));
  ev_supply_set_phase (self, from->phase);
  ev_supply_set_price (self, from->price);
  ev_supply_set_kwh (self, from->kwh);
  ev_supply_set_amount (self, from->amount);
  ev_supply_set_seq (self, from->seq);
  ev_supply_set_started_at (self, from->started_at);
  ev_supply_set_ended_at (self, from->ended_at);
  ev_supply_set_reason (self, from->reason);
  ev_supply_set_provisional (self, from->provisional);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * ev_supply_differs:
 * @a: (nullable): a supply
 * @b: (nullable): another
 * @name: the name of a property of #EvSupply
 *
 * What a holder that moves from one supply to another (a driver's next
 * request, an engine's next supply) tells its own watchers: the values
 * that are not the same. No supply counts as the properties' defaults.
 *
 * Returns: %TRUE if @a and @b hold different values of @name
 */
gboolean
ev_supply_differs (EvSupply   *a,
                   EvSupply   *b,
                   const char *name)
{
  g_auto(GValue) value_a = G_VALUE_INIT;
  g_auto(GValue) value_b = G_VALUE_INIT;
  GParamSpec *pspec = NULL;

  if (a == b)
    return FALSE;
  for (guint i = 1; i < N_PROPS && pspec == NULL && properties[i] != NULL; i++)
    if (g_str_equal (g_param_spec_get_name (properties[i]), name))
      pspec = properties[i];
  g_return_val_if_fail (pspec != NULL, TRUE);

  g_value_init (&value_a, pspec->value_type);
  g_value_init (&value_b, pspec->value_type);
  g_param_value_set_default (pspec, &value_a);
  g_param_value_set_default (pspec, &value_b);
  if (a != NULL)
    g_object_get_property (G_OBJECT (a), name, &value_a);
  if (b != NULL)
    g_object_get_property (G_OBJECT (b), name, &value_b);
  return g_param_values_cmp (pspec, &value_a, &value_b) != 0;
}

/**
 * ev_supply_copy:
 * @self: a supply
 *
 * Returns: (transfer full): a new supply with the values of @self
 */
EvSupply *
ev_supply_copy (EvSupply *self)
{
  EvSupply *copy;

  g_return_val_if_fail (EV_IS_SUPPLY (self), NULL);

  copy = ev_supply_new (self->supply_id, self->cp_id, self->driver_id);
  ev_supply_update (copy, self);
  return copy;
}

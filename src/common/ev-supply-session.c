#include "config.h"

#include <math.h>

#include "ev-enum-types.h"
#include "ev-supply-session.h"

/**
 * EvSupplySession:
 *
 * One supply, from the request to its ticket or error: who, where, at what
 * price, the latest figures and, once concluded, when and why it ended.
 * Central's request table, its session history and the driver's session
 * view all show these objects directly.
 */
struct _EvSupplySession
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

G_DEFINE_FINAL_TYPE (EvSupplySession, ev_supply_session, G_TYPE_OBJECT)

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

static void
ev_supply_session_finalize (GObject *object)
{
  EvSupplySession *self = EV_SUPPLY_SESSION (object);

  g_clear_pointer (&self->supply_id, g_free);
  g_clear_pointer (&self->cp_id, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (ev_supply_session_parent_class)->finalize (object);
}

static void
ev_supply_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EvSupplySession *self = EV_SUPPLY_SESSION (object);

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
ev_supply_session_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EvSupplySession *self = EV_SUPPLY_SESSION (object);

  switch (prop_id)
    {
    case PROP_SUPPLY_ID:
      self->supply_id = g_value_dup_string (value);
      break;
    case PROP_CP_ID:
      self->cp_id = g_value_dup_string (value);
      break;
    case PROP_DRIVER_ID:
      self->driver_id = g_value_dup_string (value);
      break;
    case PROP_PHASE:
      ev_supply_session_set_phase (self, g_value_get_enum (value));
      break;
    case PROP_PRICE:
      ev_supply_session_set_price (self, g_value_get_double (value));
      break;
    case PROP_KWH:
      ev_supply_session_set_kwh (self, g_value_get_double (value));
      break;
    case PROP_AMOUNT:
      ev_supply_session_set_amount (self, g_value_get_double (value));
      break;
    case PROP_SEQ:
      ev_supply_session_set_seq (self, g_value_get_uint (value));
      break;
    case PROP_STARTED_AT:
      ev_supply_session_set_started_at (self, g_value_get_int64 (value));
      break;
    case PROP_ENDED_AT:
      ev_supply_session_set_ended_at (self, g_value_get_int64 (value));
      break;
    case PROP_REASON:
      ev_supply_session_set_reason (self, g_value_get_string (value));
      break;
    case PROP_PROVISIONAL:
      ev_supply_session_set_provisional (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_supply_session_class_init (EvSupplySessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags id = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ev_supply_session_finalize;
  object_class->get_property = ev_supply_session_get_property;
  object_class->set_property = ev_supply_session_set_property;

  properties[PROP_SUPPLY_ID] = g_param_spec_string ("supply-id", NULL, NULL, NULL, id);
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
   * EvSupplySession:provisional:
   *
   * Whether the outcome is Central's, given at a fault, while the
   * engine's own figures have not arrived: its ticket settles the supply.
   */
  properties[PROP_PROVISIONAL] = g_param_spec_boolean ("provisional", NULL, NULL, FALSE, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_supply_session_init (EvSupplySession *self)
{
  self->phase = EV_SUPPLY_PHASE_REQUESTED;
}

/**
 * ev_supply_session_new:
 * @supply_id: (nullable): the supply's UUID, %NULL while only requested
 * @cp_id: the charging point
 * @driver_id: the driver (or `station:<cp_id>`)
 *
 * Returns: (transfer full): a new session in %EV_SUPPLY_PHASE_REQUESTED
 */
EvSupplySession *
ev_supply_session_new (const char *supply_id,
                       const char *cp_id,
                       const char *driver_id)
{
  g_return_val_if_fail (cp_id != NULL, NULL);
  g_return_val_if_fail (driver_id != NULL, NULL);

  return g_object_new (EV_TYPE_SUPPLY_SESSION,
                       "supply-id", supply_id,
                       "cp-id", cp_id,
                       "driver-id", driver_id,
                       NULL);
}

#define GETTER(type, name, fallback) \
  type \
  ev_supply_session_get_##name (EvSupplySession *self) \
  { \
    g_return_val_if_fail (EV_IS_SUPPLY_SESSION (self), fallback); \
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
  ev_supply_session_set_##name (EvSupplySession *self, \
                                type             name) \
  { \
    g_return_if_fail (EV_IS_SUPPLY_SESSION (self)); \
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

void
ev_supply_session_set_reason (EvSupplySession *self,
                              const char      *reason)
{
  g_return_if_fail (EV_IS_SUPPLY_SESSION (self));

  if (g_strcmp0 (self->reason, reason) == 0)
    return;

  g_free (self->reason);
  self->reason = g_strdup (reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
}

/**
 * ev_supply_session_is_concluded:
 * @self: a session
 *
 * Returns: %TRUE once the supply has its one outcome (ticket or error)
 */
gboolean
ev_supply_session_is_concluded (EvSupplySession *self)
{
  g_return_val_if_fail (EV_IS_SUPPLY_SESSION (self), FALSE);

  return self->phase == EV_SUPPLY_PHASE_FINISHED ||
         self->phase == EV_SUPPLY_PHASE_FAILED;
}

/**
 * ev_supply_session_update:
 * @self: a session
 * @from: another one of the same supply
 *
 * Gives @self every changing value of @from (not its identity); only the
 * properties that change are notified, together.
 */
void
ev_supply_session_update (EvSupplySession *self,
                          EvSupplySession *from)
{
  g_return_if_fail (EV_IS_SUPPLY_SESSION (self));
  g_return_if_fail (EV_IS_SUPPLY_SESSION (from));

  g_object_freeze_notify (G_OBJECT (self));
  ev_supply_session_set_phase (self, from->phase);
  ev_supply_session_set_price (self, from->price);
  ev_supply_session_set_kwh (self, from->kwh);
  ev_supply_session_set_amount (self, from->amount);
  ev_supply_session_set_seq (self, from->seq);
  ev_supply_session_set_started_at (self, from->started_at);
  ev_supply_session_set_ended_at (self, from->ended_at);
  ev_supply_session_set_reason (self, from->reason);
  ev_supply_session_set_provisional (self, from->provisional);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * ev_supply_session_copy:
 * @self: a session
 *
 * Returns: (transfer full): a new session with the values of @self
 */
EvSupplySession *
ev_supply_session_copy (EvSupplySession *self)
{
  EvSupplySession *copy;

  g_return_val_if_fail (EV_IS_SUPPLY_SESSION (self), NULL);

  copy = ev_supply_session_new (self->supply_id, self->cp_id, self->driver_id);
  ev_supply_session_update (copy, self);
  return copy;
}

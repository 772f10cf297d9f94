/* central-event.c: one thing that happened at Central, typed. */

#include "config.h"

#include "central-event.h"
#include "ev-store.h"

G_DEFINE_ENUM_TYPE (CentralLogLevel, central_log_level,
                    G_DEFINE_ENUM_VALUE (CENTRAL_LOG_INFO, "info"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_LOG_WARNING, "warning"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_LOG_ERROR, "error"))

G_DEFINE_ENUM_TYPE (CentralEventKind, central_event_kind,
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_READY, "ready"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_REGISTERED, "cp-registered"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_AUTHENTICATED, "cp-authenticated"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_AUTH_DENIED, "auth-denied"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_STATE, "cp-state"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_DISCONNECTED, "cp-disconnected"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_REQUEST, "request"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_AUTHORIZED, "authorized"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_DENIED, "denied"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_PROGRESS, "progress"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_TICKET, "ticket"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_SUPPLY_ERROR, "supply-error"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_SETTLED, "settled"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_STORE, "store"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_DIRECTIVE, "directive"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_INVALID_MESSAGE, "invalid-message"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_BROKER, "broker"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_ERROR, "error"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_STOP, "stop"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_RESUME, "resume"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_TOKEN_RESET, "token-reset"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_FORGOTTEN, "cp-forgotten"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_PRICE, "price"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_LOCATION, "location"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_TLS, "tls"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_TLS_FAILED, "tls-failed"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_DRIVER_KEY_FORGOTTEN, "driver-key-forgotten"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_APPROVED, "cp-approved"),
                    G_DEFINE_ENUM_VALUE (CENTRAL_EVENT_CP_REJECTED, "cp-rejected"))

struct _CentralEvent
{
  EvEvent parent_instance;

  CentralLogLevel level;
  CentralEventData data;
};

G_DEFINE_FINAL_TYPE (CentralEvent, central_event, EV_TYPE_EVENT)

enum {
  PROP_0,
  PROP_LEVEL,
  PROP_CP_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
central_event_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CentralEvent *self = CENTRAL_EVENT (object);

  switch (prop_id)
    {
    case PROP_LEVEL:
      g_value_set_enum (value, self->level);
      break;
    case PROP_CP_ID:
      g_value_set_string (value, self->data.cp_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Every pointer of its data is a string. */
static const EvEventMember members[] = {
  EV_EVENT_STRING (CentralEventData, cp_id),
  EV_EVENT_STRING (CentralEventData, peer),
  EV_EVENT_STRING (CentralEventData, location),
  EV_EVENT_STRING (CentralEventData, reason),
  EV_EVENT_STRING (CentralEventData, fault),
  EV_EVENT_STRING (CentralEventData, request_id),
  EV_EVENT_STRING (CentralEventData, driver_id),
  EV_EVENT_STRING (CentralEventData, supply_id),
  EV_EVENT_STRING (CentralEventData, origin),
  EV_EVENT_STRING (CentralEventData, target),
  EV_EVENT_STRING (CentralEventData, action),
  EV_EVENT_STRING (CentralEventData, topic),
  EV_EVENT_STRING (CentralEventData, listen),
  EV_EVENT_STRING (CentralEventData, kafka),
  EV_EVENT_STRING (CentralEventData, db),
  EV_EVENT_STRING (CentralEventData, fingerprint),
};

static void
central_event_class_init (CentralEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = central_event_get_property;

  properties[PROP_LEVEL] = g_param_spec_enum ("level", NULL, NULL, CENTRAL_TYPE_LOG_LEVEL,
                                              CENTRAL_LOG_INFO, flags);
  properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  ev_event_class_set_kind_type (EV_EVENT_CLASS (klass), CENTRAL_TYPE_EVENT_KIND);
  ev_event_class_set_data (EV_EVENT_CLASS (klass), G_STRUCT_OFFSET (CentralEvent, data), sizeof (CentralEventData),
                           members, G_N_ELEMENTS (members));
}

static void
central_event_init (CentralEvent *self)
{
}

/**
 * central_event_new:
 * @kind: what happened
 * @time_ms: when, in ms since the epoch; 0 for now
 * @level: how much it matters
 * @message: (nullable): a translated sentence for the log, or %NULL
 * @data: (nullable): its figures, copied
 *
 * Returns: (transfer full): a new immutable event
 */
CentralEvent *
central_event_new (CentralEventKind        kind,
                   gint64                  time_ms,
                   CentralLogLevel         level,
                   const char             *message,
                   const CentralEventData *data)
{
  CentralEvent *self = g_object_new (CENTRAL_TYPE_EVENT,
                                     "kind", kind,
                                     "time", time_ms,
                                     "message", message,
                                     NULL);

  self->level = level;
  ev_event_set_data (EV_EVENT (self), data);
  return self;
}

CentralEventKind
central_event_get_kind (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), CENTRAL_EVENT_ERROR);
  return ev_event_get_kind (EV_EVENT (self));
}

const char *
central_event_get_name (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), NULL);
  return ev_event_get_name (EV_EVENT (self));
}

gint64
central_event_get_time (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), 0);
  return ev_event_get_time (EV_EVENT (self));
}

CentralLogLevel
central_event_get_level (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), CENTRAL_LOG_INFO);
  return self->level;
}

const char *
central_event_get_message (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), NULL);
  return ev_event_get_message (EV_EVENT (self));
}

const char *
central_event_get_cp_id (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), NULL);
  return self->data.cp_id;
}

const CentralEventData *
central_event_get_data (CentralEvent *self)
{
  g_return_val_if_fail (CENTRAL_IS_EVENT (self), NULL);
  return &self->data;
}

/**
 * central_event_new_from_record:
 * @record: a log line read from the database
 *
 * Returns: (transfer full): the line as the log shows it: its kind (an
 *   error for a name this version does not know), time, level, message
 *   and CP
 */
CentralEvent *
central_event_new_from_record (const EvLogRecord *record)
{
  g_autoptr(GEnumClass) kinds = g_type_class_ref (CENTRAL_TYPE_EVENT_KIND);
  GEnumValue *kind;
  CentralEventData data = { 0 };

  g_return_val_if_fail (record != NULL, NULL);

  kind = record->event != NULL ? g_enum_get_value_by_nick (kinds, record->event) : NULL;
  data.cp_id = record->cp_id;
  return central_event_new (kind != NULL ? (CentralEventKind) kind->value : CENTRAL_EVENT_ERROR,
                            record->time_ms,
                            (CentralLogLevel) CLAMP (record->level, CENTRAL_LOG_INFO, CENTRAL_LOG_ERROR),
                            record->message, &data);
}

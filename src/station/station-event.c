#include "config.h"

#include "station-event.h"

G_DEFINE_ENUM_TYPE (StationEventKind, station_event_kind,
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_READY, "ready"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_MONITOR, "monitor"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_BOUND, "bound"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_CENTRAL, "central"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_PRICE, "price"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_BROKER, "broker"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_DIRECTIVE, "directive"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_AUTHORIZED, "authorized"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_STARTED, "started"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_STATE, "state"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_PROGRESS, "progress"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_TICKET, "ticket"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_HEALTH, "health"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_REQUEST, "request"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_DENIED, "denied"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_NO_ANSWER, "no-answer"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_INVALID_MESSAGE, "invalid-message"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_ENGINE_CONNECTED, "engine-connected"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_ENGINE_DENIED, "engine-denied"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_ENGINE_DOWN, "engine-down"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_ENGINE_HEALTH, "engine-health"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_STATUS, "status"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_NOT_PAIRED, "not-paired"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_APPROVAL, "approval"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_CP_KEY, "cp-key"),
                    G_DEFINE_ENUM_VALUE (STATION_EVENT_ERROR, "error"))

/**
 * StationEvent:
 *
 * One event of a #StationEngine or a #StationMonitor, for their views:
 * its kind, and the typed data of that kind, copied when the event is
 * made so that it never changes.
 */
struct _StationEvent
{
  EvEvent parent_instance;

  StationEventData data;
};

G_DEFINE_FINAL_TYPE (StationEvent, station_event, EV_TYPE_EVENT)

static const EvEventMember members[] = {
  EV_EVENT_STRING (StationEventData, cp_id),
  EV_EVENT_STRING (StationEventData, location),
  EV_EVENT_STRING (StationEventData, reason),
  EV_EVENT_STRING (StationEventData, topic),
  EV_EVENT_STRING (StationEventData, ignored),
  EV_EVENT_STRING (StationEventData, supply_id),
  EV_EVENT_STRING (StationEventData, driver_id),
  EV_EVENT_BOXED (StationEventData, directive, ev_directive_copy, ev_directive_free),
  EV_EVENT_BOXED (StationEventData, supply_data, ev_supply_data_copy, ev_supply_data_free),
  EV_EVENT_BOXED (StationEventData, request, ev_supply_request_copy, ev_supply_request_free),
  EV_EVENT_BOXED (StationEventData, response, ev_supply_response_copy, ev_supply_response_free),
};

static void
station_event_class_init (StationEventClass *klass)
{
  ev_event_class_set_kind_type (EV_EVENT_CLASS (klass), STATION_TYPE_EVENT_KIND);
  ev_event_class_set_data (EV_EVENT_CLASS (klass), G_STRUCT_OFFSET (StationEvent, data), sizeof (StationEventData),
                           members, G_N_ELEMENTS (members));
}

static void
station_event_init (StationEvent *self)
{
}

/**
 * station_event_new:
 * @kind: what happened
 * @message: (nullable): what went wrong, for `error`
 * @data: (nullable): its data, copied
 *
 * Returns: (transfer full): a new event
 */
StationEvent *
station_event_new (StationEventKind        kind,
                   const char             *message,
                   const StationEventData *data)
{
  StationEvent *self = g_object_new (STATION_TYPE_EVENT, "kind", kind, "message", message, NULL);

  ev_event_set_data (EV_EVENT (self), data);
  return self;
}

StationEventKind
station_event_get_kind (StationEvent *self)
{
  g_return_val_if_fail (STATION_IS_EVENT (self), STATION_EVENT_ERROR);
  return ev_event_get_kind (EV_EVENT (self));
}

/**
 * station_event_get_data:
 * @self: an event
 *
 * Returns: (transfer none): its typed data
 */
const StationEventData *
station_event_get_data (StationEvent *self)
{
  g_return_val_if_fail (STATION_IS_EVENT (self), NULL);
  return &self->data;
}

#include "config.h"

#include "driver-enum-types.h"
#include "driver-event.h"

/**
 * DriverEvent:
 *
 * One event of a #DriverCore, for its views: its kind, and the typed data
 * of that kind, copied when the event is made so that it never changes.
 */
struct _DriverEvent
{
  EvEvent parent_instance;

  DriverEventData data;
};

G_DEFINE_FINAL_TYPE (DriverEvent, driver_event, EV_TYPE_EVENT)

static gpointer
copy_result (gconstpointer result,
             gpointer      user_data)
{
  return driver_file_result_copy (result);
}

static GPtrArray *
copy_results (GPtrArray *results)
{
  GPtrArray *copy = g_ptr_array_copy (results, copy_result, NULL);

  g_ptr_array_set_free_func (copy, (GDestroyNotify) driver_file_result_free);
  return copy;
}

static const EvEventMember members[] = {
  EV_EVENT_BOXED (DriverEventData, supply, driver_follow_copy, driver_follow_free),
  EV_EVENT_BOXED (DriverEventData, charging_point, ev_charging_point_copy, g_object_unref),
  EV_EVENT_STRING (DriverEventData, path),
  EV_EVENT_STRING (DriverEventData, cp_id),
  EV_EVENT_STRING (DriverEventData, text),
  EV_EVENT_BOXED (DriverEventData, result, driver_file_result_copy, driver_file_result_free),
  EV_EVENT_BOXED (DriverEventData, results, copy_results, g_ptr_array_unref),
  EV_EVENT_STRING (DriverEventData, topic),
  EV_EVENT_STRING (DriverEventData, reason),
};

static void
driver_event_class_init (DriverEventClass *klass)
{
  ev_event_class_set_kind_type (EV_EVENT_CLASS (klass), DRIVER_TYPE_EVENT_KIND);
  ev_event_class_set_data (EV_EVENT_CLASS (klass), G_STRUCT_OFFSET (DriverEvent, data), sizeof (DriverEventData),
                           members, G_N_ELEMENTS (members));
}

static void
driver_event_init (DriverEvent *self)
{
}

/**
 * driver_event_new:
 * @kind: what happened
 * @message: (nullable): the event's message (see #DriverEventData)
 * @data: (nullable): its data, copied
 *
 * Returns: (transfer full): a new event
 */
DriverEvent *
driver_event_new (DriverEventKind        kind,
                  const char            *message,
                  const DriverEventData *data)
{
  DriverEvent *self = g_object_new (DRIVER_TYPE_EVENT, "kind", kind, "message", message, NULL);

  ev_event_set_data (EV_EVENT (self), data);
  return self;
}

DriverEventKind
driver_event_get_kind (DriverEvent *self)
{
  g_return_val_if_fail (DRIVER_IS_EVENT (self), DRIVER_EVENT_ERROR);
  return ev_event_get_kind (EV_EVENT (self));
}

/**
 * driver_event_get_data:
 * @self: an event
 *
 * Returns: (transfer none): its typed data
 */
const DriverEventData *
driver_event_get_data (DriverEvent *self)
{
  g_return_val_if_fail (DRIVER_IS_EVENT (self), NULL);
  return &self->data;
}

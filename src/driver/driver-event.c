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

static void
driver_event_finalize (GObject *object)
{
  DriverEventData *data = &DRIVER_EVENT (object)->data;

  g_clear_pointer (&data->supply, driver_follow_free);
  g_clear_object (&data->charging_point);
  g_free (data->path);
  g_free (data->cp_id);
  g_free (data->text);
  g_clear_pointer (&data->result, driver_file_result_free);
  g_clear_pointer (&data->results, g_ptr_array_unref);
  g_free (data->topic);
  g_free (data->reason);

  G_OBJECT_CLASS (driver_event_parent_class)->finalize (object);
}

static gpointer
copy_result (gconstpointer result,
             gpointer      user_data)
{
  return driver_file_result_copy (result);
}

static void
driver_event_class_init (DriverEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = driver_event_finalize;
  ev_event_class_set_kind_type (EV_EVENT_CLASS (klass), DRIVER_TYPE_EVENT_KIND);
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
  DriverEventData *copy = &self->data;

  if (data == NULL)
    return self;

  *copy = *data;
  copy->supply = data->supply != NULL ? driver_follow_copy (data->supply) : NULL;
  copy->charging_point = data->charging_point != NULL ? ev_charging_point_copy (data->charging_point) : NULL;
  copy->path = g_strdup (data->path);
  copy->cp_id = g_strdup (data->cp_id);
  copy->text = g_strdup (data->text);
  copy->result = data->result != NULL ? driver_file_result_copy (data->result) : NULL;
  copy->results = data->results != NULL ? g_ptr_array_copy (data->results, copy_result, NULL) : NULL;
  if (copy->results != NULL)
    g_ptr_array_set_free_func (copy->results, (GDestroyNotify) driver_file_result_free);
  copy->topic = g_strdup (data->topic);
  copy->reason = g_strdup (data->reason);
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

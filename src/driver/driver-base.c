/* driver-base.c: what every part of the driver's core uses: its events,
 * its properties' notifications, and closing a Kafka client. */

#include "config.h"

#include "driver-core-private.h"

GParamSpec *driver_core_pspecs[N_PROPS];
guint driver_core_signals[N_SIGNALS];

/* @prop of @self changed. */
void
driver_core_notify (DriverCore *self,
                    int         prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), driver_core_pspecs[prop]);
}

/* Helpers ------------------------------------------------------------------ */

void
driver_emit (DriverCore            *self,
             DriverEventKind        kind,
             const char            *message,
             const DriverEventData *data)
{
  ev_event_emit (self, driver_core_signals[SIGNAL_EVENT], driver_event_new (kind, message, data));
}

void
driver_emit_error (DriverCore *self,
                   const char *message)
{
  g_message ("%s", message);
  driver_emit (self, DRIVER_EVENT_ERROR, message, NULL);
}

void
driver_notify_follow (DriverCore         *self,
                      const DriverFollow *before)
{
  const DriverFollow *now = self->follow;
  GObject *object = G_OBJECT (self);

  g_object_freeze_notify (object);
  if (before->phase != now->phase)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_PHASE]);
  if (g_strcmp0 (before->cp_id, now->cp_id) != 0)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_CP_ID]);
  if (g_strcmp0 (before->request_id, now->request_id) != 0)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_REQUEST_ID]);
  if (g_strcmp0 (before->supply_id, now->supply_id) != 0)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_SUPPLY_ID]);
  if (g_strcmp0 (before->reason, now->reason) != 0)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_REASON]);
  if (before->price != now->price)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_PRICE]);
  if (before->kwh != now->kwh)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_KWH]);
  if (before->amount != now->amount)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_AMOUNT]);
  if (before->started_at != now->started_at)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_STARTED_AT]);
  if (before->ended_at != now->ended_at)
    g_object_notify_by_pspec (object, driver_core_pspecs[PROP_ENDED_AT]);
  g_object_notify_by_pspec (object, driver_core_pspecs[PROP_STATUS_TEXT]);
  g_object_thaw_notify (object);
}

void
driver_close_bus (DriverCore  *self,
                  EvBus      **bus)
{
  if (*bus == NULL)
    return;
  g_signal_handlers_disconnect_by_data (*bus, self);
  ev_bus_close (*bus);
  g_clear_object (bus);
}

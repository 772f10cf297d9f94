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

/* The core's properties that are its supply's, by the supply's names. */
static const struct {
  const char *name;
  int prop;
} followed[] = {
  { "phase", PROP_PHASE },
  { "cp-id", PROP_CP_ID },
  { "supply-id", PROP_SUPPLY_ID },
  { "reason", PROP_REASON },
  { "price", PROP_PRICE },
  { "kwh", PROP_KWH },
  { "amount", PROP_AMOUNT },
  { "started-at", PROP_STARTED_AT },
  { "ended-at", PROP_ENDED_AT },
};

static void
supply_notify_cb (EvSupply   *supply,
                  GParamSpec *pspec,
                  DriverCore *self)
{
  const char *name = g_param_spec_get_name (pspec);

  for (guint i = 0; i < G_N_ELEMENTS (followed); i++)
    if (g_str_equal (name, followed[i].name))
      {
        g_object_freeze_notify (G_OBJECT (self));
        driver_core_notify (self, followed[i].prop);
        driver_core_notify (self, PROP_STATUS_TEXT);
        g_object_thaw_notify (G_OBJECT (self));
        return;
      }
}

/**
 * driver_watch_supply:
 * @self: a core
 * @supply: (nullable): the follow's supply now
 *
 * The core's properties follow @supply from now on: called when the
 * follow took another supply object (a request, a restart), it tells
 * #DriverCore:supply and, of the values the two supplies hold, those that
 * differ.
 */
void
driver_watch_supply (DriverCore *self,
                     EvSupply   *supply)
{
  g_autoptr(EvSupply) old = g_steal_pointer (&self->watched);
  GObject *object = G_OBJECT (self);

  if (old == supply)
    {
      self->watched = g_steal_pointer (&old);
      return;
    }
  if (old != NULL)
    g_signal_handlers_disconnect_by_func (old, supply_notify_cb, self);
  if (supply != NULL)
    {
      self->watched = g_object_ref (supply);
      g_signal_connect (supply, "notify", G_CALLBACK (supply_notify_cb), self);
    }

  g_object_freeze_notify (object);
  driver_core_notify (self, PROP_SUPPLY);
  driver_core_notify (self, PROP_REQUEST_ID);
  driver_core_notify (self, PROP_PHASE);
  driver_core_notify (self, PROP_STATUS_TEXT);
  /* The phase is told above: it is the request's as much as the supply's. */
  for (guint i = 1; i < G_N_ELEMENTS (followed); i++)
    if (ev_supply_differs (old, supply, followed[i].name))
      driver_core_notify (self, followed[i].prop);
  g_object_thaw_notify (object);
}

/* The request's own state changed (Central did not answer in time): the
 * phase and the words for it, which the supply does not hold. */
void
driver_notify_request (DriverCore *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  driver_core_notify (self, PROP_PHASE);
  driver_core_notify (self, PROP_STATUS_TEXT);
  g_object_thaw_notify (G_OBJECT (self));
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

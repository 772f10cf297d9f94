/* station-monitor-base.c: what every part of the monitor uses: its
 * events, its property notifications, its requests on either link, and
 * what the engine must be told. */

#include "config.h"

#include "station-monitor-private.h"

GParamSpec *monitor_properties[N_PROPS];
guint monitor_signals[N_SIGNALS];

void
monitor_emit (StationMonitor         *self,
              StationEventKind        kind,
              const StationEventData *data)
{
  ev_event_emit (self, monitor_signals[SIGNAL_EVENT], station_event_new (kind, NULL, data));
}

void
monitor_emit_error (StationMonitor *self,
                    const char     *message)
{
  g_message ("%s", message);
  ev_event_emit (self, monitor_signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_ERROR, message, NULL));
}

void
monitor_notify (StationMonitor *self,
                int             prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), monitor_properties[prop]);
}

/* Requests ------------------------------------------------------------------- */

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(EvLinkResponse) response = NULL;

  text = ev_link_request_finish (EV_LINK (source), result, &error);
  /* Cancelled: the monitor is shutting down or gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* An answer on a link that has since been replaced. */
  if (pending->peer->link != EV_LINK (source))
    return;

  if (text != NULL)
    response = ev_link_response_from_json (text, -1, &error);
  if (pending->func != NULL)
    pending->func (pending->self, response, error);
}

void
monitor_send_request (StationMonitor *self,
                      Peer           *peer,
                      EvLinkRequest  *request,
                      ResponseFunc    func)
{
  g_autofree char *json = ev_link_request_to_json (request, NULL);
  Pending *pending;

  ev_link_request_free (request);
  if (peer->link == NULL)
    return;

  pending = g_new0 (Pending, 1);
  pending->self = self;
  pending->peer = peer;
  pending->func = func;
  ev_link_request_async (peer->link, json, self->cancellable, request_cb, pending);
}

/* What the engine must know about Central: whether it is reachable, and
 * the price. */
void
monitor_tell_engine (StationMonitor *self)
{
  if (!self->engine_connected)
    return;

  monitor_send_request (self, &self->engine, ev_link_request_new_central (monitor_central_is_up (self)), NULL);
  if (self->has_price)
    monitor_send_request (self, &self->engine, ev_link_request_new_price (self->price), NULL);
  if (self->cp_key != NULL)
    monitor_send_request (self, &self->engine, ev_link_request_new_key (self->cp_id, self->cp_key), NULL);
}

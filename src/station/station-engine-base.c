/* station-engine-base.c: what every part of the engine uses: its events and
 * its properties' notifications. */

#include "config.h"

#include "station-engine-private.h"

GParamSpec *engine_pspecs[N_PROPS];
guint engine_signals[N_SIGNALS];

/* @prop of @self changed. */
void
engine_notify (StationEngine *self,
               int            prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), engine_pspecs[prop]);
}

void
engine_emit (StationEngine          *self,
             StationEventKind        kind,
             const StationEventData *data)
{
  ev_event_emit (self, engine_signals[SIGNAL_EVENT], station_event_new (kind, NULL, data));
}

void
engine_emit_error (StationEngine *self,
                   const char    *message)
{
  g_message ("%s", message);
  ev_event_emit (self, engine_signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_ERROR, message, NULL));
}

void
engine_set_boolean (StationEngine    *self,
                    gboolean         *field,
                    gboolean          value,
                    int               prop,
                    StationEventKind  kind)
{
  StationEventData data = { .up = !!value };

  if (*field == data.up)
    return;

  *field = data.up;
  g_object_notify_by_pspec (G_OBJECT (self), engine_pspecs[prop]);
  engine_emit (self, kind, &data);
}

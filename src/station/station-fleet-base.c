/* station-fleet-base.c: what every part of the fleet uses: its simulated
 * CPs by index and id, their link states, their timers, and its events. */

#include "config.h"

#include "station-fleet-private.h"

guint fleet_signals[N_SIGNALS];

void
fleet_emit (StationFleet *self,
            const char   *name,
            JsonObject   *fields)
{
  ev_headless_emit (self, fleet_signals[SIGNAL_EVENT], name, fields);
}

gint64
fleet_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

guint
fleet_cp_index (FleetCp *cp)
{
  return cp - cp->fleet->cps;
}

const char *
fleet_cp_id (FleetCp *cp)
{
  return station_machine_get_cp_id (cp->machine);
}

/* Ids ------------------------------------------------------------------------ */

char *
fleet_format_cp_id (StationFleet *self,
                    guint         index)
{
  return g_strdup_printf ("%s%0*u", self->prefix, self->id_width, index + 1);
}

/* Returns the CP called @id, or NULL if it is not one of ours. */
FleetCp *
fleet_find_cp (StationFleet *self,
               const char   *id)
{
  gsize prefix_len = strlen (self->prefix);
  guint64 number = 0;
  const char *digits;

  if (id == NULL || !g_str_has_prefix (id, self->prefix) ||
      strlen (id) != prefix_len + self->id_width)
    return NULL;

  for (digits = id + prefix_len; *digits != '\0'; digits++)
    {
      if (!g_ascii_isdigit (*digits))
        return NULL;
      number = number * 10 + (*digits - '0');
    }
  if (number < 1 || number > self->count)
    return NULL;
  return &self->cps[number - 1];
}

static gboolean
is_joining (CpLink link)
{
  return link == CP_LINK_CONNECTING || link == CP_LINK_HANDSHAKE || link == CP_LINK_AUTH;
}

/* Waits for a place among the CPs joining Central. */
void
fleet_queue_join (FleetCp *cp)
{
  StationFleet *self = cp->fleet;

  if (cp->queued)
    return;
  cp->queued = TRUE;
  self->queue[(self->queue_head + self->queue_len++) % self->count] = cp - self->cps;
}

/* A place is free: the first CP still waiting connects now. */
static void
dequeue_join (StationFleet *self)
{
  while (self->queue_len > 0 && !self->shutting_down)
    {
      FleetCp *cp = &self->cps[self->queue[self->queue_head]];

      self->queue_head = (self->queue_head + 1) % self->count;
      self->queue_len--;
      cp->queued = FALSE;
      if (cp->link == CP_LINK_IDLE)
        {
          cp->retry_at = 0;
          fleet_cp_reschedule (cp);
          return;
        }
    }
}

void
fleet_set_link (FleetCp *cp,
                CpLink   link)
{
  gboolean was_joining = is_joining (cp->link);

  cp->fleet->n_joining += is_joining (link) - was_joining;
  cp->link = link;
  if (was_joining && !is_joining (link))
    dequeue_join (cp->fleet);
}

/* Timers --------------------------------------------------------------------- */

gint64
fleet_epoch_to_monotonic_ms (gint64 epoch_ms)
{
  return epoch_ms - (ev_protocol_now_ms () - fleet_now_ms ());
}

/* Puts @cp in the wheel at the earliest of its timers. */
void
fleet_cp_reschedule (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  gint64 due = G_MAXINT64;

  if (cp->link == CP_LINK_IDLE && !cp->queued)
    due = cp->retry_at;
  if (cp->link == CP_LINK_UP && station_monitor_machine_get_deadline (&cp->monitor) > 0)
    due = MIN (due, station_monitor_machine_get_deadline (&cp->monitor));
  if (!cp->engine_killed)
    {
      gint64 deadline = station_machine_get_deadline (cp->machine);

      if (cp->fault_at > 0)
        due = MIN (due, cp->fault_at);
      if (deadline >= 0)
        due = MIN (due, fleet_epoch_to_monotonic_ms (deadline));
    }

  if (self->links == NULL)
    return;
  if (due == G_MAXINT64)
    ev_link_set_cancel (self->links, &cp->timer);
  else
    ev_link_set_schedule (self->links, &cp->timer, due);
}

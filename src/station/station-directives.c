#include "config.h"

#include "station-directives.h"

/**
 * station_finished_init:
 * @self: the memory to set up
 * @capacity: how many ids to keep (1 to 65535)
 */
void
station_finished_init (StationFinished *self,
                       guint            capacity)
{
  g_return_if_fail (capacity > 0 && capacity <= G_MAXUINT16);

  self->ids = NULL;
  self->capacity = capacity;
  self->len = 0;
  self->oldest = 0;
}

void
station_finished_clear (StationFinished *self)
{
  for (guint i = 0; i < self->len; i++)
    g_free (self->ids[i]);
  g_clear_pointer (&self->ids, g_free);
  self->len = 0;
  self->oldest = 0;
}

gboolean
station_finished_contains (const StationFinished *self,
                           const char            *supply_id)
{
  if (supply_id == NULL)
    return FALSE;

  /* A few hundred short strings at most, looked up once per directive. */
  for (guint i = 0; i < self->len; i++)
    if (g_str_equal (self->ids[i], supply_id))
      return TRUE;
  return FALSE;
}

/* Remembers @supply_id, forgetting the oldest one when full. */
void
station_finished_add (StationFinished *self,
                      const char      *supply_id)
{
  if (supply_id == NULL || station_finished_contains (self, supply_id))
    return;

  if (self->ids == NULL)
    self->ids = g_new0 (char *, self->capacity);
  if (self->len < self->capacity)
    {
      self->ids[self->len++] = g_strdup (supply_id);
      return;
    }

  g_free (self->ids[self->oldest]);
  self->ids[self->oldest] = g_strdup (supply_id);
  self->oldest = (self->oldest + 1) % self->capacity;
}

/**
 * station_directive_apply:
 * @machine: the engine's machine, bound to the CP the directive targets
 * @finished: the supplies it has ended or seen cancelled
 * @directive: a `central-directives` message for this CP (or `all`)
 * @now_ms: the time, ms since the epoch
 * @out_ignored: (out) (transfer full) (optional): why it was not applied:
 *   `expired`, `duplicate`, `finished`, `not-waiting`, or the machine's
 *   refusal in words
 *
 * The engine's rules for a directive (docs/protocol.md): an expired one is
 * ignored, so that a restarted engine never acts on stale orders; a
 * `start` for the supply in progress, or for one already ended or
 * cancelled here, is ignored; `cancel` withdraws an authorisation not yet
 * plugged in and remembers the supply, so that its `start` arriving late
 * never runs it. The caller publishes the machine's output afterwards.
 *
 * Returns: %TRUE when the directive was applied
 */
gboolean
station_directive_apply (StationMachine    *machine,
                         StationFinished   *finished,
                         const EvDirective *directive,
                         gint64             now_ms,
                         char             **out_ignored)
{
  g_autoptr(GError) error = NULL;
  const char *ignored = NULL;

  if (out_ignored != NULL)
    *out_ignored = NULL;

  if (ev_directive_is_expired (directive, now_ms))
    ignored = "expired";
  else
    switch (directive->action)
      {
      case EV_DIRECTIVE_ACTION_START:
        if (g_strcmp0 (directive->supply_id, station_machine_get_supply_id (machine)) == 0)
          ignored = "duplicate";
        else if (station_finished_contains (finished, directive->supply_id))
          ignored = "finished";
        else if (!station_machine_start (machine, directive->supply_id, directive->driver_id,
                                         directive->price, now_ms, &error))
          {
            if (out_ignored != NULL)
              *out_ignored = g_strdup (error->message);
            return FALSE;
          }
        break;
      case EV_DIRECTIVE_ACTION_STOP:
        station_machine_stop (machine, now_ms);
        break;
      case EV_DIRECTIVE_ACTION_RESUME:
        station_machine_resume (machine);
        break;
      case EV_DIRECTIVE_ACTION_CANCEL:
        station_finished_add (finished, directive->supply_id);
        if (!station_machine_cancel (machine, directive->supply_id))
          ignored = "not-waiting";
        break;
      default:
        g_assert_not_reached ();
      }

  if (ignored != NULL && out_ignored != NULL)
    *out_ignored = g_strdup (ignored);
  return ignored == NULL;
}

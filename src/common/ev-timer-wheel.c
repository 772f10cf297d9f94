#include "config.h"

#include <string.h>

#include "ev-timer-wheel.h"

static inline EvTimerWheelEntry **
slot_for (EvTimerWheel *self,
          gint64        ms)
{
  return &self->slots[ms % EV_TIMER_WHEEL_SLOTS];
}

static void
link_into (EvTimerWheelEntry **head,
           EvTimerWheelEntry  *entry)
{
  entry->next = *head;
  if (entry->next != NULL)
    entry->next->pprev = &entry->next;
  entry->pprev = head;
  *head = entry;
}

static void
unlink_entry (EvTimerWheelEntry *entry)
{
  *entry->pprev = entry->next;
  if (entry->next != NULL)
    entry->next->pprev = entry->pprev;
  entry->next = NULL;
  entry->pprev = NULL;
}

/**
 * ev_timer_wheel_init:
 * @self: a wheel
 * @now_ms: the current time
 *
 * Empties @self and sets its clock.
 */
void
ev_timer_wheel_init (EvTimerWheel *self,
                     gint64        now_ms)
{
  memset (self->slots, 0, sizeof self->slots);
  self->next_ms = MAX (now_ms, 0);
  self->n_scheduled = 0;
}

/**
 * ev_timer_wheel_clear:
 * @self: a wheel
 *
 * Unschedules every entry, so that each may be freed or scheduled again.
 */
void
ev_timer_wheel_clear (EvTimerWheel *self)
{
  for (guint i = 0; i < EV_TIMER_WHEEL_SLOTS; i++)
    while (self->slots[i] != NULL)
      unlink_entry (self->slots[i]);
  self->n_scheduled = 0;
}

gboolean
ev_timer_wheel_is_scheduled (const EvTimerWheelEntry *entry)
{
  return entry->pprev != NULL;
}

guint
ev_timer_wheel_get_n_scheduled (EvTimerWheel *self)
{
  return self->n_scheduled;
}

/**
 * ev_timer_wheel_schedule:
 * @self: a wheel
 * @entry: a timer, scheduled or not
 * @due_ms: when it is due
 *
 * (Re)schedules @entry. A time already passed is due at the next
 * ev_timer_wheel_advance().
 */
void
ev_timer_wheel_schedule (EvTimerWheel      *self,
                         EvTimerWheelEntry *entry,
                         gint64             due_ms)
{
  if (entry->pprev != NULL)
    unlink_entry (entry);
  else
    self->n_scheduled++;

  entry->due_ms = MAX (due_ms, self->next_ms);
  link_into (slot_for (self, entry->due_ms), entry);
}

void
ev_timer_wheel_cancel (EvTimerWheel      *self,
                       EvTimerWheelEntry *entry)
{
  if (entry->pprev == NULL)
    return;

  unlink_entry (entry);
  self->n_scheduled--;
}

/**
 * ev_timer_wheel_get_next_due:
 * @self: a wheel
 *
 * Returns: a time at or before the earliest due entry (an entry a turn or
 *   more ahead may make it early), or -1 when nothing is scheduled
 */
gint64
ev_timer_wheel_get_next_due (EvTimerWheel *self)
{
  if (self->n_scheduled == 0)
    return -1;

  for (gint64 ms = self->next_ms; ms < self->next_ms + EV_TIMER_WHEEL_SLOTS; ms++)
    if (*slot_for (self, ms) != NULL)
      return ms;
  return self->next_ms + EV_TIMER_WHEEL_SLOTS;
}

/**
 * ev_timer_wheel_advance:
 * @self: a wheel
 * @now_ms: the current time
 * @func: called for every entry due up to @now_ms, in order of their
 *   millisecond, after it is unscheduled
 * @user_data: passed to @func
 *
 * Runs the wheel up to @now_ms. @func may schedule or cancel any entry,
 * its own included.
 */
void
ev_timer_wheel_advance (EvTimerWheel     *self,
                        gint64            now_ms,
                        EvTimerWheelFunc  func,
                        gpointer          user_data)
{
  /* An empty wheel has nothing to walk through. */
  if (self->n_scheduled == 0)
    {
      self->next_ms = MAX (self->next_ms, now_ms + 1);
      return;
    }

  for (; self->next_ms <= now_ms; self->next_ms++)
    {
      EvTimerWheelEntry **slot = slot_for (self, self->next_ms);
      EvTimerWheelEntry *later = NULL;

      while (*slot != NULL)
        {
          EvTimerWheelEntry *entry = *slot;

          unlink_entry (entry);
          if (entry->due_ms > self->next_ms)
            {
              /* Due in a later turn: set aside while this slot drains. */
              link_into (&later, entry);
              continue;
            }
          self->n_scheduled--;
          func (entry, user_data);
        }

      while (later != NULL)
        {
          EvTimerWheelEntry *entry = later;

          unlink_entry (entry);
          link_into (slot, entry);
        }
    }
}

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The wheel has 1 ms slots; an entry due a whole turn or more ahead waits
 * in its slot for its turn. */
#define EV_TIMER_WHEEL_SLOTS 8192

typedef struct _EvTimerWheelEntry EvTimerWheelEntry;

/**
 * EvTimerWheelEntry:
 *
 * One timer, embedded in whatever it times (use the offset of the member
 * to get back to it). Zero-initialised, it is not scheduled.
 */
struct _EvTimerWheelEntry
{
  /*< private >*/
  EvTimerWheelEntry *next;
  EvTimerWheelEntry **pprev;
  gint64 due_ms;
};

/**
 * EvTimerWheel:
 *
 * A hashed timing wheel: thousands of timers, each scheduled, moved and
 * cancelled in O(1), and expired in order of their millisecond. It owns
 * no clock: the caller passes the time, in milliseconds on any monotonic
 * scale.
 */
typedef struct
{
  /*< private >*/
  EvTimerWheelEntry *slots[EV_TIMER_WHEEL_SLOTS];
  gint64 next_ms;
  guint n_scheduled;
} EvTimerWheel;

typedef void (*EvTimerWheelFunc) (EvTimerWheelEntry *entry,
                                  gpointer           user_data);

void     ev_timer_wheel_init         (EvTimerWheel      *self,
                                      gint64             now_ms);
void     ev_timer_wheel_clear        (EvTimerWheel      *self);
void     ev_timer_wheel_schedule     (EvTimerWheel      *self,
                                      EvTimerWheelEntry *entry,
                                      gint64             due_ms);
void     ev_timer_wheel_cancel       (EvTimerWheel      *self,
                                      EvTimerWheelEntry *entry);
gboolean ev_timer_wheel_is_scheduled (const EvTimerWheelEntry *entry);
guint    ev_timer_wheel_get_n_scheduled (EvTimerWheel   *self);
gint64   ev_timer_wheel_get_next_due (EvTimerWheel      *self);
void     ev_timer_wheel_advance      (EvTimerWheel      *self,
                                      gint64             now_ms,
                                      EvTimerWheelFunc   func,
                                      gpointer           user_data);

G_END_DECLS

/* central-base.c: what every part of Central's core uses: its events, which
 * are also the lines of its log, and a log that hears of a flood once. */

#include "config.h"

#include "central-core-private.h"

guint central_core_signals[N_SIGNALS];

/* Counts one more of @throttle's events; %TRUE when the log may hear of
 * them now (the first, or the first after @interval_us), with *@count
 * the number since the last report. */
gboolean
central_log_throttle_take (LogThrottle *throttle,
                           gint64       interval_us,
                           guint       *count)
{
  gint64 now = g_get_monotonic_time ();

  throttle->unlogged++;
  if (throttle->logged_us != 0 && now - throttle->logged_us < interval_us)
    return FALSE;
  *count = throttle->unlogged;
  throttle->logged_us = now;
  throttle->unlogged = 0;
  return TRUE;
}

gint64
central_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Events ------------------------------------------------------------------ */

/* A log line: in memory the newest LOG_LIMIT, in the database (in the
 * current batch) all of them, up to the store's log-limit. */
static void
add_log (CentralCore  *self,
         CentralEvent *event)
{
  g_autoptr(GError) error = NULL;
  guint n;

  g_list_store_insert (self->log, 0, event);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->log));
  if (n > LOG_LIMIT)
    g_list_store_remove (self->log, n - 1);

  if (self->store != NULL &&
      !ev_store_append_log (self->store, central_event_get_time (event), central_event_get_level (event),
                            central_event_get_name (event), central_event_get_cp_id (event),
                            central_event_get_message (event), &error))
    g_debug ("Could not keep a log line in the database: %s", error->message);
}

/* Emits an event of @kind with @data and, when @message is given, logs it
 * for people. */
void
central_emit (CentralCore            *self,
              CentralEventKind        kind,
              CentralLogLevel         level,
              const char             *message,
              const CentralEventData *data)
{
  CentralEvent *event = central_event_new (kind, 0, level, message, data);

  if (message != NULL)
    {
      add_log (self, event);
      if (level == CENTRAL_LOG_ERROR)
        g_warning ("%s", message);
      else
        g_message ("%s", message);
    }

  ev_event_emit (self, central_core_signals[SIGNAL_EVENT], event);
}

void
central_emit_error (CentralCore *self,
                    const char  *message)
{
  central_emit (self, CENTRAL_EVENT_ERROR, CENTRAL_LOG_ERROR, message, NULL);
}

void
central_emit_invalid_message (CentralCore *self,
                              const char  *topic,
                              const char  *reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .topic = topic, .reason = reason };

  message = g_strdup_printf (_("Skipped a message on “%s”: %s"), topic, reason);
  central_emit (self, CENTRAL_EVENT_INVALID_MESSAGE, CENTRAL_LOG_WARNING, message, &data);
}

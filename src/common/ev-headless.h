#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ev-event.h"

G_BEGIN_DECLS

/**
 * EvHeadlessRole:
 * @program: the program's name, for messages on standard error
 * @start: starts the core (its first events are printed)
 * @shutdown: shuts the core down
 * @command: runs one command line; returns an error message for people,
 *   or %NULL; sets *out_quit for `quit`
 * @event_to_json: (nullable): turns the core's typed #EvEvent into the
 *   fields of its JSON line (printed with ev_event_connect_printer() from
 *   before start until after shutdown); %NULL prints the core's JSON
 *   `event` signal (const char *name, JsonObject *fields) as it is
 *
 * How ev_headless_run() drives one core.
 */
typedef struct {
  const char *program;
  gboolean  (*start)    (gpointer    core,
                         GError    **error);
  void      (*shutdown) (gpointer    core);
  char     *(*command)  (gpointer    core,
                         const char *line,
                         gboolean   *out_quit);
  EvEventJsonFunc event_to_json;
} EvHeadlessRole;

/* The `event` signal every core has: (const char *name, JsonObject
 * *fields), everything that happens, for its views. */
guint  ev_headless_event_signal_new (GType             type);
/* Emits @name on @instance's `event` signal, taking @fields (NULL: no
 * fields); the error form also logs @message for people. */
void   ev_headless_emit        (gpointer              instance,
                                guint                 signal_id,
                                const char           *name,
                                JsonObject           *fields);
void   ev_headless_emit_error  (gpointer              instance,
                                guint                 signal_id,
                                const char           *message);

void   ev_headless_print_event (const char           *name,
                                JsonObject           *fields);
void   ev_headless_print_error (const char           *message);
void   ev_headless_print_help  (const char * const   *commands);
GStrv  ev_headless_split_words (const char           *line,
                                guint                *n_words);
int    ev_headless_run         (gpointer              core,
                                const EvHeadlessRole *role);
void   ev_headless_quit        (void);
void   ev_headless_run_past_end_of_input (gboolean run_past);

G_END_DECLS

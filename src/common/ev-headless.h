#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * EvHeadlessRole:
 * @program: the program's name, for messages on standard error
 * @start: starts the core (its first events are printed)
 * @shutdown: shuts the core down
 * @command: runs one command line; returns an error message for people,
 *   or %NULL; sets *out_quit for `quit`
 * @watch: (nullable): connects what prints the core's events (turning its
 *   typed events into JSON lines with ev_headless_print_event()) and
 *   returns the handler, disconnected after shutdown; %NULL prints the
 *   core's JSON `event` signal (const char *name, JsonObject *fields) as
 *   it is
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
  gulong    (*watch)    (gpointer    core);
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

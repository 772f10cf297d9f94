#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ev-event.h"

G_BEGIN_DECLS

/**
 * EvHeadlessCall:
 * @commands: the table the command was found in
 * @line: the whole command line
 * @words: (array zero-terminated=1): its words, the command first
 * @n_words: how many
 * @quit: set by a command that ends the run (`quit`)
 *
 * One command line being run.
 */
typedef struct _EvHeadlessCommand EvHeadlessCommand;

typedef struct {
  const EvHeadlessCommand *commands;
  const char              *line;
  char                   **words;
  guint                    n_words;
  gboolean                 quit;
} EvHeadlessCall;

/**
 * EvHeadlessCommandFunc:
 * @core: the front end's core
 * @call: the command line
 * @error: return location for what went wrong, for people
 *
 * Returns: whether the command ran
 */
typedef gboolean (*EvHeadlessCommandFunc) (gpointer         core,
                                           EvHeadlessCall  *call,
                                           GError         **error);

/* max_args of a command that checks its arguments itself. */
#define EV_HEADLESS_ANY_ARGS G_MAXUINT8

/**
 * EvHeadlessCommand:
 * @usage: the command as `help` shows it (`request CP`); its first word
 *   is its name; only a few are translated (the error's list)
 * @min_args: the fewest words it takes after its name
 * @max_args: the most, or %EV_HEADLESS_ANY_ARGS
 * @run: what it does; %NULL for a line of `help` only
 *
 * One row of a front end's command table, which ends with a row whose
 * @usage is %NULL. A line whose name or number of words no row takes is
 * an unknown command.
 */
struct _EvHeadlessCommand {
  const char            *usage;
  guint8                 min_args;
  guint8                 max_args;
  EvHeadlessCommandFunc  run;
};

char      *ev_headless_dispatch     (const EvHeadlessCommand *commands,
                                     gpointer                 core,
                                     const char              *line,
                                     gboolean                *out_quit);
gboolean   ev_headless_command_help (gpointer                 core,
                                     EvHeadlessCall          *call,
                                     GError                 **error);
gboolean   ev_headless_command_quit (gpointer                 core,
                                     EvHeadlessCall          *call,
                                     GError                 **error);
const char *ev_headless_call_rest   (EvHeadlessCall          *call,
                                     guint                    n_words);

/**
 * EvHeadlessLineFunc:
 * @line: (nullable): a command line, valid UTF-8; %NULL at the end of
 *   input
 * @error: (nullable): at the end, why the input could not be read
 * @user_data: the data given to ev_headless_input_new()
 *
 * Returns: whether to read the next line
 */
typedef gboolean (*EvHeadlessLineFunc) (const char   *line,
                                        const GError *error,
                                        gpointer      user_data);

typedef struct _EvHeadlessInput EvHeadlessInput;

EvHeadlessInput *ev_headless_input_new  (EvHeadlessLineFunc  func,
                                         gpointer            user_data);
void             ev_headless_input_stop (EvHeadlessInput    *input);
void             ev_headless_input_free (EvHeadlessInput    *input);

/**
 * EvHeadlessRole:
 * @program: the program's name, for messages on standard error
 * @start: starts the core (its first events are printed)
 * @shutdown: shuts the core down
 * @command: (nullable): runs one command line; returns an error message
 *   for people, or %NULL; sets *out_quit for `quit`; %NULL: @commands
 *   are run with ev_headless_dispatch()
 * @event_to_json: (nullable): turns the core's typed #EvEvent into the
 *   fields of its JSON line (printed with ev_event_connect_printer() from
 *   before start until after shutdown); %NULL prints the core's JSON
 *   `event` signal (const char *name, JsonObject *fields) as it is
 * @commands: the command table, when @command is %NULL
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
  const EvHeadlessCommand *commands;
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
int    ev_headless_run         (gpointer              core,
                                const EvHeadlessRole *role);
void   ev_headless_quit        (void);
void   ev_headless_run_past_end_of_input (gboolean run_past);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvHeadlessInput, ev_headless_input_free)

G_END_DECLS

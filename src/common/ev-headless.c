#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

#include "ev-headless.h"
#include "ev-json.h"

/* The scripting interface every program shares (docs/protocol.md 4):
 * commands as lines on stdin, events as JSON lines on stdout, logs on
 * stderr. */

/* What separates the words of a command line. */
#define BLANKS " \t\r"

typedef struct
{
  gpointer core;
  const EvHeadlessRole *role;
  GMainLoop *loop;
} Headless;

/**
 * ev_headless_print_event:
 * @name: the event's name
 * @fields: (nullable): its other members
 *
 * Writes `{"event":name, …fields}` and a newline on standard output and
 * flushes it at once, so that a reader sees every event as it happens.
 */
void
ev_headless_print_event (const char *name,
                         JsonObject *fields)
{
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *text = NULL;

  g_return_if_fail (name != NULL);

  json_object_set_string_member (event, "event", name);
  if (fields != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init_ordered (&iter, fields);
      while (json_object_iter_next_ordered (&iter, &member, &node))
        json_object_set_member (event, member, json_node_copy (node));
    }

  text = ev_json_object_to_string (event, NULL);
  /* One write per line: events may come from a core's own thread while
   * the command loop prints an error. */
  flockfile (stdout);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
  funlockfile (stdout);
}

/**
 * ev_headless_print_error:
 * @message: what went wrong, for people
 *
 * Prints an `error` event.
 */
void
ev_headless_print_error (const char *message)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "message", message);
  ev_headless_print_event ("error", fields);
}

/* Its words, runs of blanks collapsed. */
static GStrv
split_words (const char *line,
             guint      *n_words)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) words = g_strsplit_set (line, BLANKS, -1);
  GStrv result;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_strv_builder_add (builder, words[i]);
  result = g_strv_builder_end (builder);
  *n_words = g_strv_length (result);
  return result;
}

/* Whether @word names @command: its usage's first word. */
static gboolean
names (const EvHeadlessCommand *command,
       const char              *word)
{
  size_t length = strlen (word);

  return strncmp (command->usage, word, length) == 0 &&
         (command->usage[length] == ' ' || command->usage[length] == '\0');
}

static char *
unknown_command (const EvHeadlessCommand *commands,
                 const char              *line)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) usages = NULL;
  g_autofree char *list = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (line));

  for (const EvHeadlessCommand *command = commands; command->usage != NULL; command++)
    if (command->run != NULL)
      g_strv_builder_add (builder, g_dgettext (GETTEXT_PACKAGE, command->usage));
  usages = g_strv_builder_end (builder);
  list = g_strjoinv (", ", usages);
  /* TRANSLATORS: %s: the line typed; %s: the commands, e.g. “stats, reset, help, quit” */
  return g_strdup_printf (_("Unknown command “%s” (commands: %s)"), stripped, list);
}

/**
 * ev_headless_dispatch:
 * @commands: a front end's command table
 * @core: its core
 * @line: one command line
 * @out_quit: (out): set to %TRUE when the command ends the run
 *
 * Runs the row of @commands that takes @line (its name and number of
 * words); an empty line does nothing.
 *
 * Returns: (transfer full) (nullable): an error message for people (an
 *   unknown command lists the commands), or %NULL when the command ran
 */
char *
ev_headless_dispatch (const EvHeadlessCommand *commands,
                      gpointer                 core,
                      const char              *line,
                      gboolean                *out_quit)
{
  g_auto(GStrv) words = NULL;
  EvHeadlessCall call = { commands, line, NULL, 0, FALSE };

  g_return_val_if_fail (commands != NULL, NULL);
  g_return_val_if_fail (line != NULL, NULL);

  *out_quit = FALSE;
  words = split_words (line, &call.n_words);
  call.words = words;
  if (call.n_words == 0)
    return NULL;

  for (const EvHeadlessCommand *command = commands; command->usage != NULL; command++)
    {
      g_autoptr(GError) error = NULL;
      guint n_args = call.n_words - 1;

      if (command->run == NULL || !names (command, words[0]) ||
          n_args < command->min_args || (command->max_args != EV_HEADLESS_ANY_ARGS && n_args > command->max_args))
        continue;
      if (!command->run (core, &call, &error))
        return g_strdup (error->message);
      *out_quit = call.quit;
      return NULL;
    }
  return unknown_command (commands, line);
}

/**
 * ev_headless_command_help:
 * @core: unused
 * @call: the command line
 * @error: unused
 *
 * `help`: prints a `help` event listing the usage of every row of the
 * table.
 *
 * Returns: %TRUE
 */
gboolean
ev_headless_command_help (gpointer         core,
                          EvHeadlessCall  *call,
                          GError         **error)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonArray *array = json_array_new ();

  for (const EvHeadlessCommand *command = call->commands; command->usage != NULL; command++)
    json_array_add_string_element (array, command->usage);
  json_object_set_array_member (fields, "commands", array);
  ev_headless_print_event ("help", fields);
  return TRUE;
}

/**
 * ev_headless_command_quit:
 * @core: unused
 * @call: the command line
 * @error: unused
 *
 * `quit`: ends the run.
 *
 * Returns: %TRUE
 */
gboolean
ev_headless_command_quit (gpointer         core,
                          EvHeadlessCall  *call,
                          GError         **error)
{
  call->quit = TRUE;
  return TRUE;
}

/**
 * ev_headless_call_rest:
 * @call: a command line
 * @n_words: how many words to pass
 *
 * Returns: (transfer none): the line after its first @n_words words,
 *   from the blank that follows them, for an argument that may hold
 *   blanks (a location, a path)
 */
const char *
ev_headless_call_rest (EvHeadlessCall *call,
                       guint           n_words)
{
  const char *rest = call->line;

  for (guint word = 0; word < n_words; word++)
    {
      rest += strspn (rest, BLANKS);
      rest += strcspn (rest, BLANKS);
    }
  return rest;
}

/**
 * ev_headless_event_signal_new:
 * @type: a core's type
 *
 * Creates the `event` signal of a core, which ev_headless_run() prints
 * and the windows follow: (const char *name, JsonObject *fields).
 *
 * Returns: the signal's id
 */
guint
ev_headless_event_signal_new (GType type)
{
  return g_signal_new ("event", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                       G_TYPE_NONE, 2,
                       G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                       JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

/**
 * ev_headless_emit:
 * @instance: a core
 * @signal_id: its `event` signal
 * @name: the event's name
 * @fields: (transfer full) (nullable): its members
 *
 * Emits an event of a core, taking @fields.
 */
void
ev_headless_emit (gpointer    instance,
                  guint       signal_id,
                  const char *name,
                  JsonObject *fields)
{
  g_autoptr(JsonObject) owned = fields != NULL ? fields : json_object_new ();

  g_signal_emit (instance, signal_id, 0, name, owned);
}

/**
 * ev_headless_emit_error:
 * @instance: a core
 * @signal_id: its `event` signal
 * @message: what went wrong, for people
 *
 * Emits an `error` event with @message, also logged.
 */
void
ev_headless_emit_error (gpointer    instance,
                        guint       signal_id,
                        const char *message)
{
  JsonObject *fields = json_object_new ();

  g_message ("%s", message);
  json_object_set_string_member (fields, "message", message);
  ev_headless_emit (instance, signal_id, "error", fields);
}

/* The loop of the ev_headless_run() in progress, for ev_headless_quit(). */
static GMainLoop *running_loop;
static gboolean run_past_end_of_input;

/**
 * ev_headless_run_past_end_of_input:
 * @run_past: whether end of input leaves the run going
 *
 * For a run of fixed length (`--seconds`): end of input does not end it,
 * so `PROGRAM --seconds 30 </dev/null` runs 30 s; `quit`, SIGINT,
 * SIGTERM and ev_headless_quit() still do.
 */
void
ev_headless_run_past_end_of_input (gboolean run_past)
{
  run_past_end_of_input = run_past;
}

/**
 * ev_headless_quit:
 *
 * Ends the ev_headless_run() in progress as `quit` would, for a core that
 * decides by itself that it is done (a run of fixed length). Does nothing
 * when none runs.
 */
void
ev_headless_quit (void)
{
  if (running_loop != NULL)
    g_main_loop_quit (running_loop);
}

struct _EvHeadlessInput
{
  EvHeadlessLineFunc func;
  gpointer user_data;
  GDataInputStream *stream;
  GCancellable *cancellable;
  gboolean reading;
};

static void read_line_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
read_next_line (EvHeadlessInput *input)
{
  input->reading = TRUE;
  g_data_input_stream_read_line_async (input->stream, G_PRIORITY_DEFAULT,
                                       input->cancellable, read_line_cb, input);
}

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EvHeadlessInput *input = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  input->reading = FALSE;
  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (line == NULL && error != NULL && error->domain == G_CONVERT_ERROR)
    {
      /* A line that is not UTF-8: say so and keep reading. */
      ev_headless_print_error (_("A command line is not valid UTF-8"));
      read_next_line (input);
      return;
    }

  /* At the end of input (line NULL) nobody is left to type `quit`. */
  if (input->func (line, error, input->user_data) && line != NULL)
    read_next_line (input);
}

/**
 * ev_headless_input_new:
 * @func: called with each command line of standard input, then with
 *   %NULL at its end
 * @user_data: data for @func
 *
 * Reads standard input a line at a time on the main context, each line
 * as it comes, until @func returns %FALSE or the input ends. A line that
 * is not UTF-8 is told as an `error` event and passed over.
 *
 * Returns: (transfer full): the reader, reading
 */
EvHeadlessInput *
ev_headless_input_new (EvHeadlessLineFunc func,
                       gpointer           user_data)
{
  g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  EvHeadlessInput *input = g_new0 (EvHeadlessInput, 1);

  input->func = func;
  input->user_data = user_data;
  input->stream = g_data_input_stream_new (stdin_stream);
  input->cancellable = g_cancellable_new ();
  read_next_line (input);
  return input;
}

/**
 * ev_headless_input_stop:
 * @input: a reader
 *
 * Stops reading: no line comes to its function any more.
 */
void
ev_headless_input_stop (EvHeadlessInput *input)
{
  g_cancellable_cancel (input->cancellable);
}

/**
 * ev_headless_input_free:
 * @input: (transfer full): a reader
 *
 * Stops reading, and waits for the read in progress to finish.
 */
void
ev_headless_input_free (EvHeadlessInput *input)
{
  ev_headless_input_stop (input);
  /* Let the cancelled read finish before its stream goes. */
  while (input->reading)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&input->stream);
  g_clear_object (&input->cancellable);
  g_free (input);
}

static gboolean
command_line_cb (const char   *line,
                 const GError *error,
                 gpointer      user_data)
{
  Headless *headless = user_data;
  g_autofree char *problem = NULL;
  gboolean quit = FALSE;

  if (line == NULL)
    {
      if (error != NULL)
        g_printerr ("%s: %s\n", headless->role->program, error->message);
      if (!run_past_end_of_input)
        g_main_loop_quit (headless->loop);
      return FALSE;
    }

  if (headless->role->command != NULL)
    problem = headless->role->command (headless->core, line, &quit);
  else
    problem = ev_headless_dispatch (headless->role->commands, headless->core, line, &quit);
  if (problem != NULL)
    ev_headless_print_error (problem);
  if (quit)
    g_main_loop_quit (headless->loop);
  return !quit;
}

static void
event_cb (GObject    *core,
          const char *name,
          JsonObject *fields,
          gpointer    user_data)
{
  ev_headless_print_event (name, fields);
}

static gboolean
signal_cb (gpointer user_data)
{
  Headless *headless = user_data;

  g_message ("Stopping on a signal");
  g_main_loop_quit (headless->loop);
  return G_SOURCE_CONTINUE;
}

/**
 * ev_headless_run:
 * @core: a core object, not started yet (so that its first events are
 *   printed)
 * @role: how to start, command and shut down @core
 *
 * Starts @core and serves standard input until `quit`, end of input,
 * SIGINT or SIGTERM, then shuts the core down and prints `stopped`.
 *
 * Returns: the exit status: 0, or 1 if the core could not start
 */
int
ev_headless_run (gpointer              core,
                 const EvHeadlessRole *role)
{
  g_autoptr(GError) error = NULL;
  EvHeadlessInput *input;
  Headless headless = { 0 };
  gulong handler;
  guint sigint_id, sigterm_id;

  g_return_val_if_fail (G_IS_OBJECT (core), 1);
  g_return_val_if_fail (role != NULL, 1);

  if (role->event_to_json != NULL)
    handler = ev_event_connect_printer (core, role->event_to_json);
  else
    handler = g_signal_connect (core, "event", G_CALLBACK (event_cb), NULL);
  if (!role->start (core, &error))
    {
      ev_headless_print_error (error->message);
      g_printerr ("%s: %s\n", role->program, error->message);
      g_signal_handler_disconnect (core, handler);
      return 1;
    }

  headless.core = core;
  headless.role = role;
  headless.loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &headless);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &headless);

  input = ev_headless_input_new (command_line_cb, &headless);
  running_loop = headless.loop;
  g_main_loop_run (headless.loop);
  running_loop = NULL;

  ev_headless_input_stop (input);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  role->shutdown (core);
  ev_headless_print_event ("stopped", NULL);
  g_signal_handler_disconnect (core, handler);

  ev_headless_input_free (input);
  g_main_loop_unref (headless.loop);
  return 0;
}

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>

#include "ev-headless.h"
#include "ev-json.h"

/* The scripting interface every program shares (docs/protocol.md 4):
 * commands as lines on stdin, events as JSON lines on stdout, logs on
 * stderr. */

typedef struct
{
  gpointer core;
  const EvHeadlessRole *role;
  GMainLoop *loop;
  GDataInputStream *input;
  GCancellable *cancellable;
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

/**
 * ev_headless_print_help:
 * @commands: (array zero-terminated=1): the commands, as people type them
 *
 * Prints a `help` event listing @commands.
 */
void
ev_headless_print_help (const char * const *commands)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonArray *array = json_array_new ();

  for (guint i = 0; commands[i] != NULL; i++)
    json_array_add_string_element (array, commands[i]);
  json_object_set_array_member (fields, "commands", array);
  ev_headless_print_event ("help", fields);
}

/**
 * ev_headless_split_words:
 * @line: a command line
 * @n_words: (out): how many words it has
 *
 * Returns: (transfer full): its words, runs of blanks collapsed
 */
GStrv
ev_headless_split_words (const char *line,
                         guint      *n_words)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) words = g_strsplit_set (line, " \t\r", -1);
  GStrv result;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_strv_builder_add (builder, words[i]);
  result = g_strv_builder_end (builder);
  *n_words = g_strv_length (result);
  return result;
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

static void read_line_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
read_next_line (Headless *headless)
{
  g_data_input_stream_read_line_async (headless->input, G_PRIORITY_DEFAULT,
                                       headless->cancellable, read_line_cb, headless);
}

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Headless *headless = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *problem = NULL;
  gboolean quit = FALSE;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (line == NULL && error != NULL && error->domain == G_CONVERT_ERROR)
    {
      /* A line that is not UTF-8: say so and keep reading. */
      ev_headless_print_error (_("A command line is not valid UTF-8"));
      read_next_line (headless);
      return;
    }

  if (line == NULL)
    {
      /* End of input: nobody is left to type `quit`. */
      if (error != NULL)
        g_printerr ("%s: %s\n", headless->role->program, error->message);
      if (!run_past_end_of_input)
        g_main_loop_quit (headless->loop);
      return;
    }

  problem = headless->role->command (headless->core, line, &quit);
  if (problem != NULL)
    ev_headless_print_error (problem);
  if (quit)
    g_main_loop_quit (headless->loop);
  else
    read_next_line (headless);
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
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GError) error = NULL;
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
  headless.cancellable = g_cancellable_new ();
  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  headless.input = g_data_input_stream_new (stdin_stream);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &headless);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &headless);

  read_next_line (&headless);
  running_loop = headless.loop;
  g_main_loop_run (headless.loop);
  running_loop = NULL;

  g_cancellable_cancel (headless.cancellable);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  role->shutdown (core);
  ev_headless_print_event ("stopped", NULL);
  g_signal_handler_disconnect (core, handler);

  /* Let the cancelled read finish before its stream goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_object (&headless.input);
  g_clear_object (&headless.cancellable);
  g_main_loop_unref (headless.loop);
  return 0;
}

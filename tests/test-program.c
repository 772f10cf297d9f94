#include "config.h"

#include <string.h>

#include "test-program.h"
#include "test-utils.h"

#define WAIT_MS 60000

static void program_read (EvTestProgram *program);

static void
program_line_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EvTestProgram *program = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonNode *root;

  line = g_data_input_stream_read_line_finish_utf8 (program->out, result, NULL, &error);
  if (line == NULL)
    return;   /* End of output, or cancelled. */

  if (!json_parser_load_from_data (parser, line, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    g_error ("%s wrote a line that is not a JSON object: %s", program->name, line);
  if (!g_str_has_prefix (program->name, "ev-central"))
    g_test_message ("%s: %s", program->name, line);
  g_ptr_array_add (program->events, json_object_ref (json_node_get_object (root)));
  program_read (program);
}

static void
program_read (EvTestProgram *program)
{
  g_data_input_stream_read_line_async (program->out, G_PRIORITY_DEFAULT, program->cancellable,
                                       program_line_cb, program);
}

static void
program_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EvTestProgram *program = user_data;
  GSubprocess *process = G_SUBPROCESS (source);

  if (!g_subprocess_wait_finish (process, result, NULL))
    return;
  program->signalled = g_subprocess_get_if_signaled (process);
  if (program->signalled)
    program->status = g_subprocess_get_term_sig (process);
  else
    program->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  program->exited = TRUE;
}

/**
 * ev_test_program_start:
 * @name: what to call it in messages
 * @runtime_dir: its XDG_RUNTIME_DIR and XDG_STATE_HOME (a private broker
 *   discovery file, private tokens)
 * @argv: (array zero-terminated=1): the command line
 *
 * Returns: (transfer full): the running program; its events are read on
 *   the main context
 */
EvTestProgram *
ev_test_program_start (const char  *name,
                       const char  *runtime_dir,
                       const char **argv)
{
  return ev_test_program_start_with_env (name, runtime_dir, NULL, argv);
}

/**
 * ev_test_program_start_with_env:
 * @name: what to call it in messages
 * @runtime_dir: as for ev_test_program_start()
 * @env: (nullable) (array zero-terminated=1): more VAR, VALUE pairs
 * @argv: (array zero-terminated=1): the command line
 *
 * Returns: (transfer full): the running program
 */
EvTestProgram *
ev_test_program_start_with_env (const char  *name,
                                const char  *runtime_dir,
                                const char **env,
                                const char **argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  EvTestProgram *program = g_new0 (EvTestProgram, 1);

  program->name = name;
  program->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  program->cancellable = g_cancellable_new ();
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", runtime_dir, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL && env[i + 1] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  program->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (program->process, NULL, program_exited_cb, program);
  program->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (program->process));
  program_read (program);
  return program;
}

void
ev_test_program_send (EvTestProgram *program,
                      const char    *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (program->process);
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
}

/**
 * ev_test_program_wait_exit:
 * @program: a program
 * @timeout_ms: how long to wait, failing the test after it
 *
 * Returns: its exit status, or (when it died by a signal) minus the
 *   signal's number
 */
int
ev_test_program_wait_exit (EvTestProgram *program,
                           guint          timeout_ms)
{
  ev_test_wait_flag (NULL, &program->exited, timeout_ms, program->name);
  /* Let the last lines in the pipe arrive. */
  ev_test_sleep_spinning (NULL, 50);
  g_cancellable_cancel (program->cancellable);
  return program->signalled ? -program->status : program->status;
}

/* Ends the program's input and waits for its exit status. */
int
ev_test_program_finish (EvTestProgram *program)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (program->process), NULL, NULL);
  return ev_test_program_wait_exit (program, WAIT_MS);
}

void
ev_test_program_free (EvTestProgram *program)
{
  if (!program->exited)
    {
      g_subprocess_force_exit (program->process);
      ev_test_wait_flag (NULL, &program->exited, WAIT_MS, program->name);
    }
  g_cancellable_cancel (program->cancellable);
  ev_test_sleep_spinning (NULL, 10);
  g_clear_object (&program->out);
  g_clear_object (&program->process);
  g_clear_object (&program->cancellable);
  g_ptr_array_unref (program->events);
  g_free (program);
}

/* Whether @event has @member = @value (always when @member is NULL). */
gboolean
ev_test_event_has (JsonObject *event,
                   const char *member,
                   const char *value)
{
  return member == NULL ||
         g_strcmp0 (json_object_get_string_member_with_default (event, member, NULL), value) == 0;
}

/* How many events called @name have @member = @value (when given) and
 * @member2 = @value2 (when given). */
guint
ev_test_program_count (EvTestProgram *program,
                       const char    *name,
                       const char    *member,
                       const char    *value,
                       const char    *member2,
                       const char    *value2)
{
  guint n = 0;

  for (guint i = 0; i < program->events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (program->events, i);

      n += ev_test_event_has (event, "event", name) && ev_test_event_has (event, member, value) &&
           ev_test_event_has (event, member2, value2);
    }
  return n;
}

typedef struct
{
  EvTestProgram *program;
  const char *name, *member, *value, *member2, *value2;
  guint at_least;
} EventWait;

static gboolean
events_seen (gpointer user_data)
{
  EventWait *wait = user_data;

  return ev_test_program_count (wait->program, wait->name, wait->member, wait->value,
                                wait->member2, wait->value2) >= wait->at_least;
}

void
ev_test_program_wait (EvTestProgram *program,
                      guint          at_least,
                      const char    *name,
                      const char    *member,
                      const char    *value,
                      const char    *member2,
                      const char    *value2)
{
  EventWait wait = { program, name, member, value, member2, value2, at_least };
  g_autofree char *what = g_strdup_printf ("%u %s event(s) %s=%s %s=%s from %s", at_least, name,
                                           member, value, member2, value2, program->name);

  ev_test_wait_until (NULL, events_seen, &wait, WAIT_MS, what);
}

/* The last event called @name, or NULL. */
JsonObject *
ev_test_program_last (EvTestProgram *program,
                      const char    *name)
{
  for (guint i = program->events->len; i > 0; i--)
    {
      JsonObject *event = g_ptr_array_index (program->events, i - 1);

      if (ev_test_event_has (event, "event", name))
        return event;
    }
  return NULL;
}

/* Starts `ev-broker --headless` (EV_BROKER) and waits for it to be ready;
 * *@bootstrap is its address, valid while it runs. */
EvTestProgram *
ev_test_broker_start (const char  *runtime_dir,
                      const char **bootstrap)
{
  const char *argv[] = { g_getenv ("EV_BROKER"), "--headless", NULL };
  EvTestProgram *broker;

  g_assert_nonnull (argv[0]);
  broker = ev_test_program_start ("ev-broker", runtime_dir, argv);
  ev_test_program_wait (broker, 1, "ready", NULL, NULL, NULL, NULL);
  *bootstrap = json_object_get_string_member (ev_test_program_last (broker, "ready"), "bootstrap");
  return broker;
}

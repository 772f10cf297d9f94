#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "driver-headless.h"
#include "ev-headless.h"

static const char * const commands[] = {
  "list", "request CP", "file PATH", "pause", "resume", "stop", "status", "history", "help", "quit", NULL
};

/* What the headless run needs besides the core: the file to run once
 * started, and whether `quit` was typed (end of input lets a running
 * file finish first). Kept on the core, as there is one per run. */
typedef struct
{
  char *file;
  gboolean quit_typed;
} HeadlessRun;

#define RUN_KEY "driver-headless-run"

static void
headless_run_free (gpointer data)
{
  HeadlessRun *run = data;

  g_free (run->file);
  g_free (run);
}

/**
 * driver_headless_run_command:
 * @core: a started core
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `list`, `request CP`, `file PATH`, `pause`, `resume`, `stop` (the
 * last three act on the request file that runs), `status`, `history`,
 * `help` or `quit`, printing its events.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
driver_headless_run_command (DriverCore *core,
                             const char *line,
                             gboolean   *out_quit)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  guint n;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);
  if (n == 0)
    return NULL;

  if (n == 1 && g_str_equal (words[0], "quit"))
    {
      HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);

      if (run != NULL)
        run->quit_typed = TRUE;
      *out_quit = TRUE;
      return NULL;
    }
  if (n == 1 && g_str_equal (words[0], "help"))
    {
      ev_headless_print_help (commands);
      return NULL;
    }
  if (n == 1 && (g_str_equal (words[0], "list") || g_str_equal (words[0], "status") ||
                 g_str_equal (words[0], "history")))
    {
      g_autoptr(JsonObject) fields = NULL;

      if (g_str_equal (words[0], "list"))
        fields = driver_core_list_fields (core);
      else if (g_str_equal (words[0], "status"))
        fields = driver_core_status_fields (core);
      else
        fields = driver_core_history_fields (core);
      ev_headless_print_event (words[0], fields);
      return NULL;
    }
  if (n == 2 && g_str_equal (words[0], "request"))
    {
      g_autofree char *request_id = driver_core_request (core, words[1], &error);

      return request_id != NULL ? NULL : g_strdup (error->message);
    }
  if (n == 1 && g_str_equal (words[0], "pause"))
    return driver_core_pause_file (core, &error) ? NULL : g_strdup (error->message);
  if (n == 1 && g_str_equal (words[0], "resume"))
    return driver_core_resume_file (core, &error) ? NULL : g_strdup (error->message);
  if (n == 1 && g_str_equal (words[0], "stop"))
    return driver_core_stop_file (core) ? NULL : g_strdup (_("No request file is running"));
  if (n >= 2 && g_str_equal (words[0], "file"))
    {
      /* The path is the rest of the line, spaces included. */
      g_autofree char *path = g_strstrip (g_strdup (g_strstr_len (line, -1, "file") + 4));

      return driver_core_run_file (core, path, &error) ? NULL : g_strdup (error->message);
    }

  {
    g_autofree char *stripped = g_strstrip (g_strdup (line));

    return g_strdup_printf (_("Unknown command “%s” (commands: list, request CP, file PATH, pause, resume, stop, status, history, help, quit)"),
                            stripped);
  }
}

static gboolean
start (gpointer   core,
       GError   **error)
{
  HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);
  g_autoptr(GError) file_error = NULL;

  if (!driver_core_start (core, error))
    return FALSE;

  /* A file that resumed on start is already running. */
  if (run->file != NULL && !driver_core_get_file_running (core) &&
      !driver_core_run_file (core, run->file, &file_error))
    ev_headless_print_error (file_error->message);
  return TRUE;
}

/* The file is done, or paused: with input closed nobody can resume it,
 * so stop (the paused run is saved and resumes paused next time). */
static void
file_running_cb (GObject    *core,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  if (!driver_core_get_file_running (DRIVER_CORE (core)) || driver_core_get_file_paused (DRIVER_CORE (core)))
    g_main_loop_quit (user_data);
}

static gboolean
signal_cb (gpointer user_data)
{
  g_message ("Stopping on a signal");
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* End of input while a file runs: `ev-driver --headless --file F
 * </dev/null` must run the whole file, so wait for it (a signal, `quit`
 * or a pause still stop at once). */
static void
finish_file (DriverCore *core)
{
  g_autoptr(GMainLoop) loop = NULL;
  gulong handler, paused_handler;
  guint sigint_id, sigterm_id;

  loop = g_main_loop_new (NULL, FALSE);
  handler = g_signal_connect (core, "notify::file-running", G_CALLBACK (file_running_cb), loop);
  paused_handler = g_signal_connect (core, "notify::file-paused", G_CALLBACK (file_running_cb), loop);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, loop);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (core, handler);
  g_signal_handler_disconnect (core, paused_handler);
  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
}

static void
shutdown (gpointer core)
{
  HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);

  if (!run->quit_typed && driver_core_get_file_running (core) && !driver_core_get_file_paused (core))
    finish_file (core);
  driver_core_shutdown (core);
}

static char *
command (gpointer    core,
         const char *line,
         gboolean   *out_quit)
{
  return driver_headless_run_command (core, line, out_quit);
}

/**
 * driver_headless_run:
 * @core: a core, not started yet (so that its first events are printed)
 * @file: (nullable): a request file to run once started
 *
 * Starts @core and serves standard input until `quit`, SIGINT or SIGTERM,
 * or end of input (after a running request file is done), then shuts the
 * core down.
 *
 * Returns: the exit status: 0, or 1 if the core could not start
 */
int
driver_headless_run (DriverCore *core,
                     const char *file)
{
  static const EvHeadlessRole role = { "ev-driver", start, shutdown, command, NULL };
  HeadlessRun *run = g_new0 (HeadlessRun, 1);
  int status;

  run->file = g_strdup (file);
  g_object_set_data_full (G_OBJECT (core), RUN_KEY, run, headless_run_free);
  status = ev_headless_run (core, &role);
  g_object_set_data (G_OBJECT (core), RUN_KEY, NULL);
  return status;
}

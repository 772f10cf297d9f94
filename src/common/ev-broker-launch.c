#include "config.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "ev-broker-launch.h"
#include "ev-discovery.h"

/**
 * ev_broker_find_program:
 *
 * Finds the `ev-broker` program: `$EV_BROKER` when set, else the one next
 * to the running program (installed layout, or the build tree's
 * `src/broker/`), else the one on `$PATH`.
 *
 * Returns: (transfer full) (nullable): its path, or %NULL if there is none
 */
char *
ev_broker_find_program (void)
{
  g_autofree char *self_path = NULL;
  g_autofree char *dir = NULL;
  const char *env = g_getenv ("EV_BROKER");
  const char *neighbours[] = { "ev-broker", "../broker/ev-broker", "../../src/broker/ev-broker" };

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path != NULL)
    {
      dir = g_path_get_dirname (self_path);
      for (guint i = 0; i < G_N_ELEMENTS (neighbours); i++)
        {
          g_autofree char *candidate = g_build_filename (dir, neighbours[i], NULL);

          if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE) &&
              !g_file_test (candidate, G_FILE_TEST_IS_DIR))
            return g_steal_pointer (&candidate);
        }
    }

  return g_find_program_in_path ("ev-broker");
}

/* The broker outlives whoever started it: its own session keeps a Ctrl+C
 * in that program's terminal from reaching it. */
static void
detach_cb (gpointer user_data)
{
  setsid ();
}

/**
 * ev_broker_ensure:
 * @broker_program: (nullable): the `ev-broker` to start, or %NULL to find
 *   it with ev_broker_find_program()
 * @error: return location for a #GError
 *
 * Returns the bootstrap address of the embedded broker announced in the
 * discovery file, starting `ev-broker --detached` as a separate process
 * first if none runs (so that the caller's exit or crash does not take it
 * down). When two programs race to start one, the loser's broker refuses
 * to start and both use the winner's.
 *
 * Returns: (transfer full) (nullable): "127.0.0.1:PORT", or %NULL on error
 */
char *
ev_broker_ensure (const char  *broker_program,
                  GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *program = NULL;
  g_autofree char *bootstrap = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 deadline;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bootstrap = ev_discovery_read (NULL, NULL);
  if (bootstrap != NULL)
    return g_steal_pointer (&bootstrap);

  program = broker_program != NULL ? g_strdup (broker_program) : ev_broker_find_program ();
  if (program == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No Kafka broker was given and the embedded broker “ev-broker” was not found"));
      return NULL;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, detach_cb, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &local_error, program, "--detached", NULL);
  if (process == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not start the embedded broker “%s”: %s"), program, local_error->message);
      return NULL;
    }
  g_message ("Started the embedded Kafka broker (%s, process %s)",
             program, g_subprocess_get_identifier (process));

  /* The broker announces itself once its topics exist. Poll: this runs
   * once, at start-up, before any main loop is of use. */
  deadline = g_get_monotonic_time () + EV_BROKER_LAUNCH_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < deadline)
    {
      bootstrap = ev_discovery_read (NULL, NULL);
      if (bootstrap != NULL)
        return g_steal_pointer (&bootstrap);

      /* It exited: another one won a race (and will announce itself), or
       * it failed; keep looking until the deadline either way. */
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("The embedded broker “%s” did not start within %d seconds"),
               program, EV_BROKER_LAUNCH_TIMEOUT_MS / 1000);
  return NULL;
}

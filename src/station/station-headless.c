#include "config.h"

#include <glib/gi18n-lib.h>

#include "ev-headless.h"
#include "station-headless.h"

/* `help`, `status` and `quit`, common to both roles. Returns TRUE when
 * handled. */
static gboolean
common_command (GStrv               words,
                guint               n,
                const char * const *commands,
                JsonObject         *status,
                gboolean           *out_quit)
{
  g_autoptr(JsonObject) owned = status;

  if (n != 1)
    return FALSE;
  if (g_str_equal (words[0], "quit"))
    *out_quit = TRUE;
  else if (g_str_equal (words[0], "help"))
    ev_headless_print_help (commands);
  else if (g_str_equal (words[0], "status"))
    ev_headless_print_event ("status", owned);
  else
    return FALSE;
  return TRUE;
}

static const char * const engine_commands[] = {
  "plug", "unplug", "ko", "ok", "request [DRIVER]", "status", "help", "quit", NULL
};

/**
 * station_headless_engine_command:
 * @engine: a started engine
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `plug`, `unplug`, `ko`, `ok`, `request [DRIVER]`, `status`, `help`
 * or `quit`.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
station_headless_engine_command (StationEngine *engine,
                                 const char    *line,
                                 gboolean      *out_quit)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  guint n = 0;
  gboolean ok = TRUE;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);
  if (n == 0 ||
      common_command (words, n, engine_commands, station_engine_describe (engine), out_quit))
    return NULL;

  if (g_str_equal (words[0], "plug") && n == 1)
    ok = station_engine_plug (engine, &error);
  else if (g_str_equal (words[0], "unplug") && n == 1)
    ok = station_engine_unplug (engine, &error);
  else if ((g_str_equal (words[0], "ko") || g_str_equal (words[0], "ok")) && n == 1)
    station_engine_set_ko (engine, g_str_equal (words[0], "ko"));
  else if (g_str_equal (words[0], "request") && n <= 2)
    {
      g_autofree char *request_id = station_engine_request_supply (engine, words[1], &error);

      ok = request_id != NULL;
    }
  else
    {
      g_autofree char *stripped = g_strstrip (g_strdup (line));

      return g_strdup_printf (_("Unknown command “%s” (commands: plug, unplug, ko, ok, request [DRIVER], status, help, quit)"),
                              stripped);
    }

  return ok ? NULL : g_strdup (error->message);
}

static const char * const monitor_commands[] = { "status", "help", "quit", NULL };

/**
 * station_headless_monitor_command:
 * @monitor: a started monitor
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `status`, `help` or `quit`.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
station_headless_monitor_command (StationMonitor *monitor,
                                  const char     *line,
                                  gboolean       *out_quit)
{
  g_auto(GStrv) words = NULL;
  g_autofree char *stripped = NULL;
  guint n = 0;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);
  if (n == 0 ||
      common_command (words, n, monitor_commands, station_monitor_describe (monitor), out_quit))
    return NULL;

  stripped = g_strstrip (g_strdup (line));
  return g_strdup_printf (_("Unknown command “%s” (commands: status, help, quit)"), stripped);
}

static gboolean
engine_start (gpointer core, GError **error)
{
  return station_engine_start (core, error);
}

static void
engine_shutdown (gpointer core)
{
  station_engine_shutdown (core);
}

static char *
engine_command (gpointer core, const char *line, gboolean *out_quit)
{
  return station_headless_engine_command (core, line, out_quit);
}

static gboolean
monitor_start (gpointer core, GError **error)
{
  return station_monitor_start (core, error);
}

static void
monitor_shutdown (gpointer core)
{
  station_monitor_shutdown (core);
}

static char *
monitor_command (gpointer core, const char *line, gboolean *out_quit)
{
  return station_headless_monitor_command (core, line, out_quit);
}

/**
 * station_headless_run_engine:
 * @engine: an engine, not started yet (so that `ready` is printed)
 *
 * Returns: the exit status: 0, or 1 if the engine could not start
 */
int
station_headless_run_engine (StationEngine *engine)
{
  static const EvHeadlessRole role = { "ev-station", engine_start, engine_shutdown, engine_command, NULL };

  return ev_headless_run (engine, &role);
}

/**
 * station_headless_run_monitor:
 * @monitor: a monitor, not started yet
 *
 * Returns: the exit status: 0, or 1 if the monitor could not start
 */
int
station_headless_run_monitor (StationMonitor *monitor)
{
  static const EvHeadlessRole role = { "ev-station", monitor_start, monitor_shutdown, monitor_command, NULL };

  return ev_headless_run (monitor, &role);
}

/* station-fleet-headless.c: the fleet's commands (kill and revive CPs,
 * statistics) and its headless front end. */

#include "config.h"

#include "station-fleet-private.h"

/* Commands ------------------------------------------------------------------- */

static FleetCp *
lookup (StationFleet  *self,
        const char    *id,
        GError       **error)
{
  FleetCp *cp = fleet_find_cp (self, id);

  if (cp == NULL)
    g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID,
                 _("There is no charging point “%s” in this fleet"), id);
  return cp;
}

/* Announces what a command did to @cp and brings its timers in line. */
static gboolean
commanded (StationFleet *self,
           FleetCp      *cp,
           const char   *event)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "cp_id", fleet_cp_id (cp));
  json_object_set_int_member (fields, "ts", ev_protocol_now_ms ());
  fleet_emit (self, event, fields);
  fleet_cp_reschedule (cp);
  return TRUE;
}

/**
 * station_fleet_kill_engine:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * The CP's engine stops, as if its process died: it answers no health
 * check, meters nothing and reads no directive. Its monitor reports it
 * BROKEN (`unreachable`) with its next status.
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_kill_engine (StationFleet  *self,
                           const char    *cp_id,
                           GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);

  if (cp == NULL)
    return FALSE;

  cp->engine_killed = TRUE;
  return commanded (self, cp, "engine-killed");
}

/**
 * station_fleet_kill_monitor:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * Closes the CP's link to Central abruptly (no EOT), as if its monitor
 * died, and does not reconnect it until station_fleet_revive().
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_kill_monitor (StationFleet  *self,
                            const char    *cp_id,
                            GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);

  if (cp == NULL)
    return FALSE;

  fleet_set_link (cp, CP_LINK_KILLED);
  fleet_cp_lost (cp);
  return commanded (self, cp, "monitor-killed");
}

/**
 * station_fleet_revive:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * Undoes station_fleet_kill_engine() (the engine starts again afresh, as
 * a restarted process would) and station_fleet_kill_monitor() (the
 * monitor connects again).
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_revive (StationFleet  *self,
                      const char    *cp_id,
                      GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);
  gint64 now = fleet_now_ms ();

  if (cp == NULL)
    return FALSE;

  if (cp->engine_killed)
    {
      station_machine_free (cp->machine);
      cp->machine = fleet_machine_new (self, fleet_cp_index (cp));
      cp->engine_killed = FALSE;
      cp->faulty = FALSE;
      cp->state = EV_CP_STATE_ACTIVE;
      cp->fault_at = 0;
      fleet_schedule_fault (cp, now);
    }
  if (cp->link == CP_LINK_KILLED)
    {
      fleet_set_link (cp, CP_LINK_IDLE);
      station_monitor_machine_reset (&cp->monitor, &self->monitor_config);
      cp->retry_at = now;
    }
  return commanded (self, cp, "revived");
}

static const char * const commands[] = {
  "stats", "reset", "kill-engine CP", "kill-monitor CP", "revive CP", "help", "quit", NULL
};

/**
 * station_fleet_command:
 * @self: a started fleet
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `stats`, `reset`, `kill-engine CP`, `kill-monitor CP`, `revive CP`,
 * `help` or `quit`.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
station_fleet_command (StationFleet *self,
                       const char   *line,
                       gboolean     *out_quit)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *stripped = NULL;
  guint n = 0;
  gboolean ok = TRUE;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);
  if (n == 0)
    return NULL;

  if (n == 1 && g_str_equal (words[0], "quit"))
    *out_quit = TRUE;
  else if (n == 1 && g_str_equal (words[0], "help"))
    ev_headless_print_help (commands);
  else if (n == 1 && g_str_equal (words[0], "stats"))
    fleet_emit (self, "stats", station_fleet_stats (self));
  else if (n == 1 && g_str_equal (words[0], "reset"))
    station_fleet_reset (self);
  else if (n == 2 && g_str_equal (words[0], "kill-engine"))
    ok = station_fleet_kill_engine (self, words[1], &error);
  else if (n == 2 && g_str_equal (words[0], "kill-monitor"))
    ok = station_fleet_kill_monitor (self, words[1], &error);
  else if (n == 2 && g_str_equal (words[0], "revive"))
    ok = station_fleet_revive (self, words[1], &error);
  else
    {
      stripped = g_strstrip (g_strdup (line));
      return g_strdup_printf (_("Unknown command “%s” (commands: stats, reset, kill-engine CP, "
                                "kill-monitor CP, revive CP, help, quit)"), stripped);
    }

  return ok ? NULL : g_strdup (error->message);
}

/* A run of fixed length (--seconds) outlives the end of its input, so
 * that `ev-station fleet --seconds 30 </dev/null` runs 30 s. */
static gboolean
headless_start (gpointer   core,
                GError   **error)
{
  StationFleet *self = core;

  if (!station_fleet_start (self, error))
    return FALSE;
  ev_headless_run_past_end_of_input (self->seconds > 0.0);
  return TRUE;
}

static void
headless_shutdown (gpointer core)
{
  station_fleet_shutdown (core);
}

static char *
headless_command (gpointer    core,
                  const char *line,
                  gboolean   *out_quit)
{
  return station_fleet_command (core, line, out_quit);
}

/**
 * station_fleet_run_headless:
 * @self: a fleet, not started yet (so that `ready` is printed)
 *
 * Returns: the exit status: 0, or 1 if the fleet could not start
 */
int
station_fleet_run_headless (StationFleet *self)
{
  static const EvHeadlessRole role = { "ev-station fleet", headless_start, headless_shutdown, headless_command, NULL };

  return ev_headless_run (self, &role);
}

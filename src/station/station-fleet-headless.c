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

static gboolean
stats_command (gpointer         self,
               EvHeadlessCall  *call,
               GError         **error)
{
  fleet_emit (self, "stats", station_fleet_stats (self));
  return TRUE;
}

static gboolean
reset_command (gpointer         self,
               EvHeadlessCall  *call,
               GError         **error)
{
  station_fleet_reset (self);
  return TRUE;
}

/* `kill-engine CP`, `kill-monitor CP` and `revive CP`. */
static gboolean
cp_command (gpointer         self,
            EvHeadlessCall  *call,
            GError         **error)
{
  const char *name = call->words[0];

  if (g_str_equal (name, "kill-engine"))
    return station_fleet_kill_engine (self, call->words[1], error);
  if (g_str_equal (name, "kill-monitor"))
    return station_fleet_kill_monitor (self, call->words[1], error);
  return station_fleet_revive (self, call->words[1], error);
}

static const EvHeadlessCommand commands[] = {
  { "stats", 0, 0, stats_command },
  { "reset", 0, 0, reset_command },
  { "kill-engine CP", 1, 1, cp_command },
  { "kill-monitor CP", 1, 1, cp_command },
  { "revive CP", 1, 1, cp_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

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

/**
 * station_fleet_run_headless:
 * @self: a fleet, not started yet (so that `ready` is printed)
 *
 * Returns: the exit status: 0, or 1 if the fleet could not start
 */
int
station_fleet_run_headless (StationFleet *self)
{
  static const EvHeadlessRole role = {
    .program = "ev-station fleet", .start = headless_start, .shutdown = headless_shutdown,
    .commands = commands,
  };

  return ev_headless_run (self, &role);
}

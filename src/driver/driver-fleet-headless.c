#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "driver-fleet-headless.h"
#include "ev-program.h"
#include "ev-broker-launch.h"
#include "ev-bus.h"
#include "ev-headless.h"

/* `ev-driver fleet`: the options, the commands and the end of a run of
 * DriverFleet, always headless (docs/cli.md). */

#define PROGRAM "ev-driver fleet"

/* How this run ends; one run per process. */
typedef struct
{
  double seconds;         /* --seconds, 0 for none */
  guint deadline_id;
} FleetRun;

static FleetRun run;

static gboolean
parse_rate (const char *text,
            double     *rate)
{
  char *end = NULL;
  double value;

  if (text == NULL || *text == '\0')
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (*end != '\0' || !isfinite (value) || value < 0.0 || value > DRIVER_FLEET_MAX_RATE)
    return FALSE;
  *rate = value;
  return TRUE;
}

static gboolean
stats_command (gpointer         fleet,
               EvHeadlessCall  *call,
               GError         **error)
{
  g_autoptr(JsonObject) fields = driver_fleet_stats_fields (fleet);

  ev_headless_print_event ("stats", fields);
  return TRUE;
}

static gboolean
reset_command (gpointer         fleet,
               EvHeadlessCall  *call,
               GError         **error)
{
  driver_fleet_reset (fleet);
  return TRUE;
}

static gboolean
rate_command (gpointer         fleet,
              EvHeadlessCall  *call,
              GError         **error)
{
  double rate;

  if (call->n_words != 2 || !parse_rate (call->words[1], &rate))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“rate” takes one number of requests per second, from 0 (pause) to %g"),
                   DRIVER_FLEET_MAX_RATE);
      return FALSE;
    }
  driver_fleet_set_rate (fleet, rate);
  return TRUE;
}

static const EvHeadlessCommand commands[] = {
  { "stats", 0, 0, stats_command },
  { "reset", 0, 0, reset_command },
  { "rate R", 0, EV_HEADLESS_ANY_ARGS, rate_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

/* --seconds elapsed: the run ends as on `quit`. */
static gboolean
deadline_cb (gpointer user_data)
{
  run.deadline_id = 0;
  g_message ("Stopping: the time given by --seconds is up");
  ev_headless_quit ();
  return G_SOURCE_REMOVE;
}

static gboolean
start (gpointer   fleet,
       GError   **error)
{
  if (!driver_fleet_start (fleet, error))
    return FALSE;
  if (run.seconds > 0.0)
    {
      run.deadline_id = g_timeout_add ((guint) ceil (run.seconds * 1000.0), deadline_cb, NULL);
      ev_headless_run_past_end_of_input (TRUE);
    }
  return TRUE;
}

/* The summary comes before `stopped`. */
static void
shutdown (gpointer fleet)
{
  g_autoptr(JsonObject) fields = NULL;

  fields = driver_fleet_stats_fields (fleet);
  ev_headless_print_event ("summary", fields);
  driver_fleet_shutdown (fleet);
}

/**
 * driver_fleet_main:
 * @argc: the number of arguments, `fleet` first
 * @argv: the arguments after `ev-driver`
 *
 * Runs `ev-driver fleet`.
 *
 * Returns: the exit status: 0, 1 when it cannot start, 2 for bad options
 */
int
driver_fleet_main (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(DriverFleet) fleet = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bootstrap = NULL;
  g_autofree char *prefix = NULL;
  g_auto(GStrv) overrides = NULL;
  g_autofree char *central_key = NULL;
  g_autofree char *central_fingerprint = NULL;
  g_autoptr(EvVerifyKey) trusted = NULL;
  static const EvHeadlessRole role = {
    .program = PROGRAM, .start = start, .shutdown = shutdown, .commands = commands,
  };
  int count = 0;
  double rate = 1.0;
  int stats_interval = DRIVER_FLEET_DEFAULT_STATS_INTERVAL_MS;
  int answer_timeout = DRIVER_FLEET_DEFAULT_ANSWER_TIMEOUT_MS;
  double seconds = 0.0;
  gboolean headless = FALSE;
  gboolean version = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      N_("How many drivers (required)"), N_("M") },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate,
      N_("Supply requests per second for the whole fleet (default 1; 0 pauses)"), N_("R") },
    { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix,
      N_("The prefix of the driver ids (default FLT: FLT0001, FLT0002, …)"), N_("PREFIX") },
    { "kafka", 'k', 0, G_OPTION_ARG_STRING, &bootstrap,
      N_("Kafka bootstrap servers (default: the embedded broker, started if none runs)"), N_("HOST:PORT,…") },
    { "property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      N_("Set a librdkafka property (repeatable)"), N_("KEY=VALUE") },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval,
      N_("Print statistics every MS milliseconds (default 1000; 0: only when asked)"), N_("MS") },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      N_("Stop after S seconds (default: run until quit)"), N_("S") },
    { "answer-timeout", 0, 0, G_OPTION_ARG_INT, &answer_timeout,
      N_("Give up waiting for Central’s answer after MS milliseconds (default 10000)"), N_("MS") },
    { "central-key", 0, 0, G_OPTION_ARG_STRING, &central_key,
      N_("Central’s public key, or a file holding it (default: the one Central wrote for this user)"),
      N_("BASE64|FILE") },
    { "central-key-fingerprint", 0, 0, G_OPTION_ARG_STRING, &central_fingerprint,
      N_("Trust the Central key with this SHA-256 fingerprint"), N_("HEX") },
    { "headless", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &headless, NULL, NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_set_prgname (PROGRAM);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Many simulated drivers in one process, for load: they request supplies at "
                                  "random ACTIVE charging points at a given rate, follow them, and report "
                                  "counts and latencies as JSON lines. Commands on standard input: stats, "
                                  "reset, rate R, help, quit."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return ev_program_usage_error (PROGRAM, error->message);
  if (version)
    {
      g_print ("ev-driver %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    return ev_program_unexpected_argument (PROGRAM, argv[1]);
  if (count < 1 || count > DRIVER_FLEET_MAX_COUNT)
    {
      g_autofree char *message = g_strdup_printf (_("--count M is required, from 1 to %d"), DRIVER_FLEET_MAX_COUNT);

      return ev_program_usage_error (PROGRAM, message);
    }
  if (!isfinite (rate) || rate < 0.0 || rate > DRIVER_FLEET_MAX_RATE)
    {
      g_autofree char *message = g_strdup_printf (_("--rate must be from 0 to %g requests per second"),
                                                  DRIVER_FLEET_MAX_RATE);

      return ev_program_usage_error (PROGRAM, message);
    }
  if (stats_interval < 0)
    return ev_program_usage_error (PROGRAM, _("--stats-interval cannot be negative"));
  if (answer_timeout < 1)
    return ev_program_usage_error (PROGRAM, _("--answer-timeout must be at least 1 ms"));
  if (!isfinite (seconds) || seconds < 0.0 || seconds > G_MAXUINT / 1000)
    return ev_program_usage_error (PROGRAM, _("--seconds must be a positive number of seconds"));
  if (!driver_fleet_check_prefix (prefix != NULL ? prefix : DRIVER_FLEET_DEFAULT_PREFIX, count, &error))
    return ev_program_usage_error (PROGRAM, error->message);
  if (!ev_bus_check_options (bootstrap, (const char * const *) overrides, &error))
    return ev_program_usage_error (PROGRAM, error->message);
  trusted = ev_signing_find_central_key (central_key, central_fingerprint, &error);
  if (trusted == NULL && error != NULL)
    return ev_program_usage_error (PROGRAM, error->message);

  /* stdout carries only JSON events. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (bootstrap == NULL)
    bootstrap = ev_broker_ensure (NULL, &error);
  if (bootstrap == NULL)
    {
      ev_headless_print_error (error->message);
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return 1;
    }

  fleet = driver_fleet_new (bootstrap, overrides, count, prefix);
  driver_fleet_set_central_key (fleet, g_steal_pointer (&trusted));
  driver_fleet_set_rate (fleet, rate);
  driver_fleet_set_answer_timeout (fleet, answer_timeout);
  driver_fleet_set_stats_interval (fleet, stats_interval);

  run = (FleetRun) { 0 };
  run.seconds = seconds;

  status = ev_headless_run (fleet, &role);

  g_clear_handle_id (&run.deadline_id, g_source_remove);
  return status;
}

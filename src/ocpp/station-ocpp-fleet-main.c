/* station-ocpp-fleet-main.c: `ev-station fleet --ocpp URL`, the headless
 * front end of StationOcppFleet: JSON events on standard output, commands
 * on standard input. */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ev-json.h"
#include "station-ocpp-fleet.h"

typedef struct {
  StationOcppFleet *fleet;
  GMainLoop        *loop;
  GDataInputStream *input;
  GCancellable     *cancellable;
  gboolean          stop_on_eof;
} Run;

static void
print_event (const char *name,
             JsonObject *fields)
{
  g_autoptr (JsonObject) o = fields != NULL ? json_object_ref (fields) : json_object_new ();
  g_autofree char *text = NULL;

  /* "event" first, as in every other headless program. */
  json_object_remove_member (o, "event");
  {
    g_autoptr (JsonObject) line = json_object_new ();
    g_autoptr (GList) members = json_object_get_members (o);

    json_object_set_string_member (line, "event", name);
    for (GList *l = members; l != NULL; l = l->next)
      json_object_set_member (line, l->data, json_object_dup_member (o, l->data));
    text = ev_json_object_to_string (line, NULL);
  }
  g_print ("%s\n", text);
  fflush (stdout);
}

static void
print_error (const char *message)
{
  g_autoptr (JsonObject) o = json_object_new ();

  json_object_set_string_member (o, "message", message);
  print_event ("error", o);
}

static void
print_stats (Run        *run,
             const char *name)
{
  g_autoptr (JsonObject) stats = station_ocpp_fleet_stats (run->fleet);

  print_event (name, stats);
}

static void read_next (Run *run);

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                      result, NULL, &error);

  if (line == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (error != NULL)
        print_error (error->message);
      if (run->stop_on_eof)
        g_main_loop_quit (run->loop);
      return;
    }
  g_strstrip (line);
  if (g_str_equal (line, "stats"))
    print_stats (run, "stats");
  else if (g_str_equal (line, "reset"))
    station_ocpp_fleet_reset (run->fleet);
  else if (g_str_equal (line, "quit"))
    {
      g_main_loop_quit (run->loop);
      return;
    }
  else if (line[0] != '\0')
    {
      g_autofree char *message = g_strdup_printf (_("Unknown command “%s” (the commands are stats, reset and quit)"), line);

      print_error (message);
    }
  read_next (run);
}

static void
read_next (Run *run)
{
  g_data_input_stream_read_line_async (run->input, G_PRIORITY_DEFAULT, run->cancellable, line_cb, run);
}

static gboolean
stats_cb (gpointer user_data)
{
  print_stats (user_data, "stats");
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
raise_open_files_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/**
 * station_ocpp_fleet_main:
 * @argc: the number of arguments
 * @argv: the arguments after `ev-station fleet` (`argv[0]` is skipped)
 *
 * Runs `ev-station fleet --ocpp URL --count N` as docs/cli.md tells,
 * until `quit`, end of input, SIGINT, SIGTERM or `--seconds`.
 *
 * Returns: the exit status: 0, 1 when the fleet cannot start, 2 for bad
 *   arguments.
 */
int
station_ocpp_fleet_main (int    argc,
                         char **argv)
{
  StationOcppFleetConfig config;
  g_autofree char *url = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *password = NULL;
  g_autofree char *keys_file = NULL;
  g_autofree char *tls_ca = NULL;
  int count = 0, meter_interval = 10, stop_after = 0, stats_interval = 1000, seconds = 0;
  double power_kw = 22.0;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stdin_stream = NULL;
  g_auto (GStrv) args = NULL;
  Run run = { 0 };
  guint sources[4] = { 0 };
  const GOptionEntry entries[] = {
    { "ocpp", 0, 0, G_OPTION_ARG_STRING, &url, N_("The CSMS’s WebSocket URL; each charger connects to URL/CP_ID"), "ws://HOST:PORT/PATH" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, N_("How many chargers"), "N" },
    { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix, N_("The CP ids’ prefix (default OCPP)"), "PREFIX" },
    { "power-kw", 0, 0, G_OPTION_ARG_DOUBLE, &power_kw, N_("Charging power (default 22)"), "KW" },
    { "meter-interval", 0, 0, G_OPTION_ARG_INT, &meter_interval, N_("Seconds between MeterValues (default 10)"), "S" },
    { "stop-after", 0, 0, G_OPTION_ARG_INT, &stop_after, N_("End a transaction after this many seconds (default 0: on RemoteStopTransaction only)"), "S" },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval, N_("How often a stats event is printed, in ms (default 1000; 0 never)"), "MS" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, N_("Stop after S seconds (default 0: run until quit)"), "S" },
    { "ocpp-password", 0, 0, G_OPTION_ARG_STRING, &password, N_("Every charger’s key for HTTP Basic auth (16 to 40 characters)"), "KEY" },
    { "ocpp-keys", 0, 0, G_OPTION_ARG_FILENAME, &keys_file, N_("Each charger’s key for HTTP Basic auth: a file of “CP_ID KEY” lines"), "FILE" },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &tls_ca, N_("With wss://, trust the CAs in FILE (PEM) instead of the system’s"), "FILE" },
    { NULL }
  };

  context = g_option_context_new (_("— simulated OCPP 1.6-J chargers"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  args = g_new0 (char *, argc + 2);
  args[0] = g_strdup ("ev-station fleet");
  for (int i = 1; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      print_error (error->message);
      return 2;
    }
  if (count < 1 || meter_interval < 1 || stop_after < 0 || stats_interval < 0 || seconds < 0
      || !(power_kw > 0 && power_kw <= 1000))
    {
      print_error (_("Bad arguments: --count and --meter-interval must be at least 1, --power-kw between 0 and 1000, the others not negative"));
      return 2;
    }

  station_ocpp_fleet_config_init (&config);
  config.url = url;
  config.count = count;
  if (prefix != NULL)
    config.prefix = prefix;
  config.power_kw = power_kw;
  config.meter_interval = meter_interval;
  config.stop_after = stop_after;
  config.password = password;
  config.keys_file = keys_file;
  config.tls_ca = tls_ca;
  run.fleet = station_ocpp_fleet_new (&config, &error);
  if (run.fleet == NULL)
    {
      print_error (error->message);
      return 2;
    }

  raise_open_files_limit ();
  run.loop = g_main_loop_new (NULL, FALSE);
  run.stop_on_eof = seconds == 0;
  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  run.input = g_data_input_stream_new (stdin_stream);
  run.cancellable = g_cancellable_new ();
  read_next (&run);
  sources[0] = g_unix_signal_add (SIGINT, quit_cb, &run);
  sources[1] = g_unix_signal_add (SIGTERM, quit_cb, &run);
  if (stats_interval > 0)
    sources[2] = g_timeout_add (stats_interval, stats_cb, &run);
  if (seconds > 0)
    sources[3] = g_timeout_add_seconds (seconds, quit_cb, &run);

  station_ocpp_fleet_start (run.fleet);
  {
    g_autoptr (JsonObject) ready = json_object_new ();

    json_object_set_int_member (ready, "count", count);
    json_object_set_string_member (ready, "prefix", config.prefix);
    json_object_set_string_member (ready, "url", url);
    print_event ("ready", ready);
  }
  g_main_loop_run (run.loop);

  print_stats (&run, "summary");
  station_ocpp_fleet_shutdown (run.fleet);
  print_event ("stopped", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_clear_handle_id (&sources[i], g_source_remove);
  g_cancellable_cancel (run.cancellable);
  /* Let the close frames go out and the cancelled read end. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&run.cancellable);
  g_clear_object (&run.fleet);
  g_clear_object (&run.input);
  g_main_loop_unref (run.loop);
  return 0;
}

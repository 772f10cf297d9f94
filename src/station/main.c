#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "ev-program.h"
#include "ev-broker-launch.h"
#include "ev-bus.h"
#include "ev-headless.h"
#include "station-application.h"
#include "station-engine.h"
#include "station-fleet.h"
#include "station-ocpp-engine.h"
#include "station-ocpp-fleet.h"
#include "station-monitor.h"
#include "station-util.h"

/* ev-station ROLE [OPTION…]: the engine and the monitor of a charging
 * point. Each role parses its own options, builds its core and hands it to
 * its application, which runs the headless front end with --headless and
 * its window otherwise.
 * With no role, the launcher window starts engine+monitor pairs as
 * processes of this same program. */

typedef struct
{
  gboolean headless;
  gboolean version;
} CommonOptions;

static void
add_common_entries (GOptionContext *context,
                    CommonOptions  *common)
{
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &common->headless,
      N_("No window: commands on standard input, JSON events on standard output"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &common->version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

static GOptionContext *
new_context (const char *parameter,
             const char *summary)
{
  GOptionContext *context = g_option_context_new (parameter);

  g_option_context_set_summary (context, summary);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

/* GOption's own --help names the program only ("ev-station [OPTION…]");
 * a role's help names the role too ("ev-station engine [OPTION…]"). */
static gboolean
asks_help (int    argc,
           char **argv)
{
  for (int i = 1; i < argc && g_strcmp0 (argv[i], "--") != 0; i++)
    if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h") || g_str_equal (argv[i], "-?"))
      return TRUE;
  return FALSE;
}

static void
print_help (GOptionContext *context,
            const char     *program)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
  g_autofree char *usage = g_strconcat (g_get_prgname (), " [", NULL);
  const char *at = strstr (help, usage);

  if (at != NULL)
    g_print ("%.*s%s [%s", (int) (at - help), help, program, at + strlen (usage));
  else
    g_print ("%s", help);
}

/* Returns FALSE on bad arguments, said on stderr; exits after --help. */
static gboolean
parse (GOptionContext  *context,
       int             *argc,
       char          ***argv,
       const char      *program)
{
  g_autoptr(GError) error = NULL;

  if (asks_help (*argc, *argv))
    {
      print_help (context, program);
      exit (0);
    }

  if (g_option_context_parse (context, argc, argv, &error) && *argc <= 1)
    return TRUE;

  if (error != NULL)
    ev_program_usage_error (program, error->message);
  else
    ev_program_unexpected_argument (program, (*argv)[1]);
  return FALSE;
}

/* Returns FALSE when there is nothing to run (--version). */
static gboolean
check_view (const CommonOptions *common)
{
  if (common->version)
    {
      g_print ("ev-station %s\n", PACKAGE_VERSION);
      return FALSE;
    }
  /* Headless, stdout carries only JSON events; the windows log to stderr
   * too, where the launcher reads why a process could not start. */
  g_log_writer_default_set_use_stderr (TRUE);
  return TRUE;
}

/* A role's core, to its application: started there with its window, or
 * run by the headless front end (station-application.c). */
static int
run_role (GObject  *core,
          gboolean  headless)
{
  g_autoptr(StationApplication) app = NULL;

  if (STATION_IS_ENGINE (core))
    app = station_application_new_engine (STATION_ENGINE (core), headless);
  else if (STATION_IS_OCPP_ENGINE (core))
    app = station_application_new_ocpp_engine (STATION_OCPP_ENGINE (core), headless);
  else
    app = station_application_new_monitor (STATION_MONITOR (core), headless);
  return g_application_run (G_APPLICATION (app), 0, NULL);
}

/* An empty --kafka or a -X that is not key=value is refused now rather
 * than an obscure error from librdkafka later. */
static gboolean
check_kafka_options (const char  *bootstrap,
                     char       **overrides,
                     const char  *program)
{
  g_autoptr(GError) error = NULL;

  if (ev_bus_check_options (bootstrap, (const char * const *) overrides, &error))
    return TRUE;
  g_printerr ("%s: %s\n", program, error->message);
  return FALSE;
}

static gint64
seconds_to_ms (double seconds)
{
  return seconds < 0.0 ? -1 : (gint64) (seconds * 1000.0 + 0.5);
}

/* `ev-station engine --ocpp URL`: one OCPP 1.6-J charger, the CSMS its
 * central (docs/ocpp.md). */
static int
run_ocpp_engine (const char          *url,
                 double               power_kw,
                 int                  meter_interval,
                 const CommonOptions *common)
{
  const char *program = "ev-station engine";
  g_autoptr(StationOcppEngine) engine = NULL;
  g_autoptr(GError) error = NULL;

  engine = station_ocpp_engine_new (url, power_kw, (guint) meter_interval, &error);
  if (engine == NULL)
    {
      if (common->headless)
        ev_headless_print_error (error->message);
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  if (!check_view (common))
    return 0;
  return run_role (G_OBJECT (engine), common->headless);
}

static int
run_engine (int    argc,
            char **argv)
{
  const char *program = "ev-station engine";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(StationEngine) engine = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  CommonOptions common = { 0 };
  g_autofree char *listen = NULL;
  g_autofree char *bootstrap = NULL;
  g_autofree char *location = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *secret_file = NULL;
  g_auto(GStrv) overrides = NULL;
  g_autofree char *central_key = NULL;
  g_autofree char *central_fingerprint = NULL;
  g_autoptr(EvVerifyKey) trusted = NULL;
  double power_kw = STATION_DEFAULT_POWER_KW;
  double auto_plug = -1.0, auto_unplug_after = -1.0, auto_unplug_kwh = 0.0;
  g_autofree char *ocpp = NULL;
  int meter_interval = 10;
  const GOptionEntry entries[] = {
    { "ocpp", 0, 0, G_OPTION_ARG_STRING, &ocpp,
      N_("Be a simulated OCPP 1.6-J charger of the CSMS at this URL instead (no Kafka, no monitor)"),
      "ws://HOST:PORT/PATH/CP_ID" },
    { "meter-interval", 0, 0, G_OPTION_ARG_INT, &meter_interval,
      N_("With --ocpp: seconds between MeterValues (default 10)"), N_("S") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Listen for the monitor on ADDR:PORT (default 127.0.0.1:7100; port 0 picks a free one)"), N_("ADDR:PORT") },
    { "kafka", 'k', 0, G_OPTION_ARG_STRING, &bootstrap,
      N_("Kafka bootstrap servers (default: the embedded broker)"), N_("HOST:PORT,…") },
    { "property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      N_("Set a librdkafka property (repeatable)"), N_("KEY=VALUE") },
    { "location", 0, 0, G_OPTION_ARG_STRING, &location,
      N_("Where the charging point is, given to Central at registration"), N_("TEXT") },
    { "power-kw", 0, 0, G_OPTION_ARG_DOUBLE, &power_kw,
      N_("Charging power in kW (default 22)"), N_("KW") },
    { "auto-plug", 0, 0, G_OPTION_ARG_DOUBLE, &auto_plug,
      N_("Simulation: plug the vehicle in this many seconds after authorisation"), N_("SECONDS") },
    { "auto-unplug-after", 0, 0, G_OPTION_ARG_DOUBLE, &auto_unplug_after,
      N_("Simulation: unplug after supplying for this many seconds"), N_("SECONDS") },
    { "auto-unplug-kwh", 0, 0, G_OPTION_ARG_DOUBLE, &auto_unplug_kwh,
      N_("Simulation: unplug when this much energy is supplied"), N_("KWH") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("Where to keep the engine’s journal (default $XDG_STATE_HOME/evcharging/engines)"), N_("DIR") },
    { "central-key", 0, 0, G_OPTION_ARG_STRING, &central_key,
      N_("Central’s public key, or a file holding it (default: the one Central wrote for this user)"),
      N_("BASE64|FILE") },
    { "central-key-fingerprint", 0, 0, G_OPTION_ARG_STRING, &central_fingerprint,
      N_("Trust the Central key with this SHA-256 fingerprint"), N_("HEX") },
    { "pairing-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
      N_("The secret shared with the monitor, made if absent (default DIR/pairing.secret of --state-dir; "
         "required to listen on an address other than loopback)"), N_("FILE") },
    { NULL }
  };

  context = new_context (NULL, _("The engine of a charging point: receives Central’s directives, "
                                 "meters supplies and streams them every second."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  add_common_entries (context, &common);
  if (!parse (context, &argc, &argv, program) || !check_kafka_options (bootstrap, overrides, program))
    return 2;

  if (!(power_kw > 0.0 && power_kw <= 10000.0))
    {
      g_printerr (_("%s: --power-kw must be between 0 and 10000\n"), program);
      return 2;
    }
  if (ocpp != NULL)
    {
      gboolean ours = listen != NULL || bootstrap != NULL || overrides != NULL || location != NULL ||
                      state_dir != NULL || secret_file != NULL || central_key != NULL ||
                      central_fingerprint != NULL || auto_plug >= 0.0 || auto_unplug_after >= 0.0 ||
                      auto_unplug_kwh > 0.0;

      if (ours || meter_interval < 1 || meter_interval > 3600)
        {
          g_printerr (_("%s: with --ocpp only --power-kw, --meter-interval (1 to 3600 s), --headless "
                        "and --version apply\n"), program);
          return 2;
        }
      return run_ocpp_engine (ocpp, power_kw, meter_interval, &common);
    }
  if (auto_unplug_after >= 0.0 && auto_unplug_kwh > 0.0)
    {
      g_printerr (_("%s: give --auto-unplug-after or --auto-unplug-kwh, not both\n"), program);
      return 2;
    }
  if (!(auto_unplug_kwh >= 0.0 && auto_unplug_kwh <= EV_PROTOCOL_KWH_MAX) ||
      auto_plug > G_MAXINT32 / 1000 || auto_unplug_after > G_MAXINT32 / 1000)
    {
      g_printerr (_("%s: a simulation value is out of range\n"), program);
      return 2;
    }
  if (location != NULL && !ev_protocol_validate_location (location, "--location", &error))
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  if (state_dir != NULL && *state_dir == '\0')
    {
      g_printerr (_("%s: --state-dir must name a folder\n"), program);
      return 2;
    }
  if (listen != NULL && (address = station_parse_address (listen, &error)) == NULL)
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  trusted = ev_signing_find_central_key (central_key, central_fingerprint, &error);
  if (trusted == NULL && error != NULL)
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  if (!check_view (&common))
    return 0;

  /* Like Central: the embedded broker, started if none runs, so that a
   * station started first still finds one. */
  if (bootstrap == NULL)
    bootstrap = ev_broker_ensure (NULL, &error);
  if (bootstrap == NULL)
    {
      g_autoptr(JsonObject) fields = json_object_new ();

      json_object_set_string_member (fields, "message", error->message);
      ev_headless_print_event ("error", fields);
      g_printerr ("%s: %s\n", program, error->message);
      return 1;
    }

  engine = g_object_new (STATION_TYPE_ENGINE,
                         "listen", listen,
                         "bootstrap", bootstrap,
                         "kafka-overrides", overrides,
                         "location", location,
                         "power-kw", power_kw,
                         "auto-plug", seconds_to_ms (auto_plug),
                         "auto-unplug-after", seconds_to_ms (auto_unplug_after),
                         "auto-unplug-kwh", auto_unplug_kwh,
                         "state-dir", state_dir,
                         "pairing-secret-file", secret_file,
                         NULL);
  station_engine_set_central_key (engine, g_steal_pointer (&trusted));
  return run_role (G_OBJECT (engine), common.headless);
}

/* How a monitor (or a fleet's) speaks TLS to Central. */
typedef struct {
  gboolean tls;
  char *ca;
  char *fingerprint;
  char *client_cert;
  char *client_key;
} TlsOptions;

#define TLS_ENTRIES(options) \
    { "tls", 0, 0, G_OPTION_ARG_NONE, &(options).tls, \
      N_("Speak TLS to Central, never plain TCP (needs --tls-ca or --tls-fingerprint)"), NULL }, \
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &(options).ca, \
      N_("Check Central’s certificate against this CA (PEM); implies --tls"), N_("FILE") }, \
    { "tls-fingerprint", 0, 0, G_OPTION_ARG_STRING, &(options).fingerprint, \
      N_("Accept only Central’s certificate with this SHA-256 fingerprint; implies --tls"), N_("SHA256") }, \
    { "tls-client-cert", 0, 0, G_OPTION_ARG_FILENAME, &(options).client_cert, \
      N_("Present this certificate to Central (PEM; its common name is the CP id)"), N_("FILE") }, \
    { "tls-client-key", 0, 0, G_OPTION_ARG_FILENAME, &(options).client_key, \
      N_("The private key of --tls-client-cert (PEM)"), N_("FILE") }

static void
tls_options_clear (TlsOptions *options)
{
  g_clear_pointer (&options->ca, g_free);
  g_clear_pointer (&options->fingerprint, g_free);
  g_clear_pointer (&options->client_cert, g_free);
  g_clear_pointer (&options->client_key, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TlsOptions, tls_options_clear)

static int
run_monitor (int    argc,
             char **argv)
{
  const char *program = "ev-station monitor";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(StationMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;
  CommonOptions common = { 0 };
  g_autofree char *cp_id = NULL;
  g_autofree char *engine = NULL;
  g_autofree char *central = NULL;
  int health_timeout = STATION_MONITOR_DEFAULT_HEALTH_TIMEOUT_MS;
  g_auto(TlsOptions) tls = { 0 };
  g_autofree char *secret_file = NULL;
  const GOptionEntry entries[] = {
    { "id", 'i', 0, G_OPTION_ARG_STRING, &cp_id,
      N_("The charging point’s id (required)"), N_("CP") },
    { "engine", 'e', 0, G_OPTION_ARG_STRING, &engine,
      N_("The engine’s address (required)"), N_("ADDR:PORT") },
    { "central", 'c', 0, G_OPTION_ARG_STRING, &central,
      N_("Central’s address (required)"), N_("ADDR:PORT") },
    { "health-timeout", 0, 0, G_OPTION_ARG_INT, &health_timeout,
      N_("How long the engine may take to answer a health check (default 1000 ms)"), N_("MS") },
    TLS_ENTRIES (tls),
    { "pairing-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
      N_("The secret shared with the engine, made if absent "
         "(default $XDG_STATE_HOME/evcharging/engines/pairing.secret)"), N_("FILE") },
    { NULL }
  };

  context = new_context (NULL, _("The monitor of a charging point: authenticates it with Central, "
                                 "checks its engine every second and reports its status."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  add_common_entries (context, &common);
  if (!parse (context, &argc, &argv, program))
    return 2;
  if (!common.version && (cp_id == NULL || engine == NULL || central == NULL))
    {
      g_autoptr(GPtrArray) missing = g_ptr_array_new ();
      g_autofree char *names = NULL;

      if (cp_id == NULL)
        g_ptr_array_add (missing, (char *) "--id");
      if (engine == NULL)
        g_ptr_array_add (missing, (char *) "--engine");
      if (central == NULL)
        g_ptr_array_add (missing, (char *) "--central");
      g_ptr_array_add (missing, NULL);
      names = g_strjoinv (", ", (char **) missing->pdata);
      /* TRANSLATORS: %s: the program; %s: the options missing, e.g. “--engine, --central” */
      g_printerr (_("%s: missing %s (--id, --engine and --central are required)\n"), program, names);
      return 2;
    }
  if (health_timeout < STATION_MONITOR_MIN_HEALTH_TIMEOUT_MS || health_timeout > STATION_MONITOR_MAX_HEALTH_TIMEOUT_MS)
    {
      g_printerr (_("%s: --health-timeout takes %d to %d ms\n"), program,
                  STATION_MONITOR_MIN_HEALTH_TIMEOUT_MS, STATION_MONITOR_MAX_HEALTH_TIMEOUT_MS);
      return 2;
    }
  if (!check_view (&common))
    return 0;

  monitor = g_object_new (STATION_TYPE_MONITOR,
                          "cp-id", cp_id,
                          "engine", engine,
                          "central", central,
                          "health-timeout", (guint) health_timeout,
                          "tls", tls.tls,
                          "tls-ca", tls.ca,
                          "tls-fingerprint", tls.fingerprint,
                          "tls-client-cert", tls.client_cert,
                          "tls-client-key", tls.client_key,
                          "pairing-secret-file", secret_file,
                          NULL);
  if (!station_monitor_check (monitor, &error))
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  return run_role (G_OBJECT (monitor), common.headless);
}

static int
run_fleet (int    argc,
           char **argv)
{
  const char *program = "ev-station fleet";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(StationFleet) fleet = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *test_id = NULL;
  CommonOptions common = { 0 };
  StationFleetConfig config;
  int count = 0;
  g_autofree char *prefix = NULL;
  g_autofree char *central = NULL;
  g_autofree char *bootstrap = NULL;
  g_autofree char *token_dir = NULL;
  g_autofree char *central_key = NULL;
  g_autofree char *central_fingerprint = NULL;
  g_autoptr(EvVerifyKey) trusted = NULL;
  g_auto(GStrv) overrides = NULL;
  double fault_rate = 0.0, power_kw = STATION_DEFAULT_POWER_KW, auto_unplug_kwh = 0.0, seconds = 0.0;
  /* In seconds, as for `ev-station engine`. */
  double auto_plug = STATION_FLEET_DEFAULT_AUTO_PLUG_MS / 1000.0;
  double auto_unplug_after = STATION_FLEET_DEFAULT_AUTO_UNPLUG_MS / 1000.0;
  int stats_interval = STATION_FLEET_DEFAULT_STATS_INTERVAL_MS;
  g_auto(TlsOptions) tls = { 0 };
  g_autoptr(EvTlsClient) tls_client = NULL;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      N_("How many charging points to simulate (required)"), N_("N") },
    { "prefix", 'p', 0, G_OPTION_ARG_STRING, &prefix,
      N_("Their ids: this prefix and a number, ALC00001… (default ALC)"), N_("PREFIX") },
    { "central", 'c', 0, G_OPTION_ARG_STRING, &central,
      N_("Central’s address (default 127.0.0.1:7001)"), N_("ADDR:PORT") },
    { "kafka", 'k', 0, G_OPTION_ARG_STRING, &bootstrap,
      N_("Kafka bootstrap servers (default: the embedded broker)"), N_("HOST:PORT,…") },
    { "property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      N_("Set a librdkafka property (repeatable)"), N_("KEY=VALUE") },
    { "fault-rate", 0, 0, G_OPTION_ARG_DOUBLE, &fault_rate,
      N_("Mean engine faults per charging point per hour, each lasting 5 to 30 s (default 0)"), N_("R") },
    { "auto-plug", 0, 0, G_OPTION_ARG_DOUBLE, &auto_plug,
      N_("Plug the vehicle in this many seconds after authorisation; -1 never (default 1)"), N_("SECONDS") },
    { "auto-unplug-after", 0, 0, G_OPTION_ARG_DOUBLE, &auto_unplug_after,
      N_("Unplug after supplying for this many seconds; -1 never (default 10)"), N_("SECONDS") },
    { "auto-unplug-kwh", 0, 0, G_OPTION_ARG_DOUBLE, &auto_unplug_kwh,
      N_("Unplug when this much energy is supplied; 0 never (default)"), N_("KWH") },
    { "power-kw", 0, 0, G_OPTION_ARG_DOUBLE, &power_kw,
      N_("Charging power in kW (default 22)"), N_("KW") },
    { "token-dir", 0, 0, G_OPTION_ARG_FILENAME, &token_dir,
      N_("Where the monitors keep their tokens (default: as ev-station monitor)"), N_("DIR") },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval,
      N_("Print statistics this often, in milliseconds; 0 never (default 1000)"), N_("MS") },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
      N_("Stop after this many seconds; 0 runs until quit (default)"), N_("S") },
    TLS_ENTRIES (tls),
    { "central-key", 0, 0, G_OPTION_ARG_STRING, &central_key,
      N_("Central’s public key, or a file holding it (default: the one Central wrote for this user)"),
      N_("BASE64|FILE") },
    { "central-key-fingerprint", 0, 0, G_OPTION_ARG_STRING, &central_fingerprint,
      N_("Trust the Central key with this SHA-256 fingerprint"), N_("HEX") },
    { NULL }
  };

  context = new_context (NULL, _("Many charging points in one process, for load tests: each with its "
                                 "engine’s rules and a monitor linked to Central over its own TCP connection."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  add_common_entries (context, &common);
  if (!parse (context, &argc, &argv, program) || !check_kafka_options (bootstrap, overrides, program))
    return 2;
  if (common.version)
    {
      check_view (&common);
      return 0;
    }

  if (count < 1)
    {
      g_printerr (_("%s: --count must be at least 1\n"), program);
      return 2;
    }
  /* The longest id of the fleet must be a valid CP id. */
  test_id = g_strdup_printf ("%s%05d", prefix != NULL ? prefix : STATION_FLEET_DEFAULT_PREFIX, count);
  if (!ev_protocol_validate_cp_id (test_id, "--prefix", &error))
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  if (!(power_kw > 0.0 && power_kw <= 10000.0))
    {
      g_printerr (_("%s: --power-kw must be between 0 and 10000\n"), program);
      return 2;
    }
  if (!(fault_rate >= 0.0 && fault_rate <= 3600.0) || stats_interval < 0 || !(seconds >= 0.0) ||
      !(auto_unplug_kwh >= 0.0 && auto_unplug_kwh <= EV_PROTOCOL_KWH_MAX) ||
      !(auto_plug <= G_MAXINT32 / 1000) || !(auto_unplug_after <= G_MAXINT32 / 1000))
    {
      g_printerr (_("%s: a simulation value is out of range\n"), program);
      return 2;
    }
  if (tls.tls || tls.ca != NULL || tls.fingerprint != NULL || tls.client_cert != NULL)
    {
      tls_client = ev_tls_client_new (tls.ca, tls.fingerprint, tls.client_cert, tls.client_key, &error);
      if (tls_client == NULL)
        {
          g_printerr ("%s: %s\n", program, error->message);
          return 2;
        }
    }
  trusted = ev_signing_find_central_key (central_key, central_fingerprint, &error);
  if (trusted == NULL && error != NULL)
    {
      g_printerr ("%s: %s\n", program, error->message);
      return 2;
    }
  check_view (&common);

  if (bootstrap == NULL)
    bootstrap = ev_broker_ensure (NULL, &error);
  if (bootstrap == NULL)
    {
      ev_headless_print_error (error->message);
      g_printerr ("%s: %s\n", program, error->message);
      return 1;
    }

  station_fleet_config_init (&config);
  config.count = count;
  if (prefix != NULL)
    config.prefix = prefix;
  if (central != NULL)
    config.central = central;
  config.bootstrap = bootstrap;
  config.kafka_overrides = (const char * const *) overrides;
  config.token_dir = token_dir;
  config.fault_rate = fault_rate;
  config.power_kw = power_kw;
  config.auto_plug_ms = seconds_to_ms (auto_plug);
  config.auto_unplug_ms = seconds_to_ms (auto_unplug_after);
  config.auto_unplug_kwh = auto_unplug_kwh;
  config.stats_interval_ms = stats_interval;
  config.seconds = seconds;
  config.tls = tls_client;

  fleet = station_fleet_new (&config);
  station_fleet_set_central_key (fleet, g_steal_pointer (&trusted));
  return station_fleet_run_headless (fleet);
}

/* `ev-station fleet --ocpp URL` simulates OCPP 1.6-J chargers instead of
 * our own CPs (docs/ocpp.md). */
static gboolean
wants_ocpp (int    argc,
            char **argv)
{
  for (int i = 1; i < argc && !g_str_equal (argv[i], "--"); i++)
    if (g_str_equal (argv[i], "--ocpp") || g_str_has_prefix (argv[i], "--ocpp="))
      return TRUE;
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  CommonOptions common = { 0 };

  ev_program_init ("ev-station");

  if (argc > 1 && g_str_equal (argv[1], "engine"))
    return run_engine (argc - 1, argv + 1);
  if (argc > 1 && g_str_equal (argv[1], "monitor"))
    return run_monitor (argc - 1, argv + 1);
  if (argc > 1 && g_str_equal (argv[1], "fleet"))
    return wants_ocpp (argc - 1, argv + 1) ? station_ocpp_fleet_main (argc - 1, argv + 1)
                                           : run_fleet (argc - 1, argv + 1);

  context = new_context (_("[engine|monitor|fleet]"),
                         _("The station simulator of EV Charging Network. Without a role it opens the launcher window. "
                           "Run “ev-station engine --help”, “ev-station monitor --help” or “ev-station fleet --help” "
                           "for each role’s options."));
  add_common_entries (context, &common);
  if (!parse (context, &argc, &argv, "ev-station"))
    return 2;
  if (common.version)
    {
      g_print ("ev-station %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (common.headless)
    {
      g_printerr (_("ev-station: --headless needs a role: “ev-station engine” or "
                    "“ev-station monitor --id CP --engine ADDR:PORT --central ADDR:PORT”.\n"));
      return 2;
    }

  {
    g_autoptr(StationApplication) app = station_application_new_launcher (NULL);

    /* Logs go to stderr, with those of the processes it starts. */
    g_log_writer_default_set_use_stderr (TRUE);

    return g_application_run (G_APPLICATION (app), 0, NULL);
  }
}

#include "config.h"

#include <glib/gi18n.h>

#include "central-application.h"
#include "central-core.h"
#include "central-headless.h"
#include "central-ocpp.h"
#include "central-ocpp-security.h"
#include "central-topics.h"
#include "ev-address.h"
#include "ev-program.h"
#include "ev-headless.h"
#include "ev-bus.h"
#include "ev-tls.h"

/* --price: one price, or MIN-MAX (both from 0 to 100, MIN below MAX).
 * Unset, *out_price < 0 (the default price); *out_max < 0 when there is
 * no range. */
static gboolean
parse_price (const char *text,
             double     *out_price,
             double     *out_max)
{
  g_auto(GStrv) parts = NULL;
  char *end = NULL;

  *out_price = -1.0;
  *out_max = -1.0;
  if (text == NULL)
    return TRUE;

  /* The separator is the '-' after the first number. */
  parts = g_strsplit (text, "-", 2);
  *out_price = g_ascii_strtod (parts[0], &end);
  if (end == parts[0] || *end != '\0' || !(*out_price >= 0.0 && *out_price <= CENTRAL_CORE_PRICE_MAX))
    return FALSE;
  if (parts[1] == NULL)
    return TRUE;
  *out_max = g_ascii_strtod (parts[1], &end);
  return end != parts[1] && *end == '\0' && *out_max > *out_price && *out_max <= CENTRAL_CORE_PRICE_MAX;
}

static int
run_headless (CentralOptions *options)
{
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(CentralService) service = NULL;
  g_autoptr(GError) error = NULL;

  core = central_options_create_core (options, NULL, &error);
  if (core == NULL)
    {
      ev_headless_print_error (error->message);
      g_printerr ("ev-central: %s\n", error->message);
      return 1;
    }
  service = g_object_new (CENTRAL_TYPE_SERVICE, "core", core, "views", FALSE, NULL);
  return central_headless_run (service);
}

/* --create-topics: one line per finding on stdout; the exit status says
 * how it went (docs/cli.md). */
static int
run_create_topics (CentralOptions *options,
                   int             partitions,
                   int             replication_factor)
{
  g_autoptr(GPtrArray) report = g_ptr_array_new_with_free_func (g_free);
  const char *bootstrap = options->bootstrap;
  CentralTopicsStatus status;

  status = central_topics_create (bootstrap, (const char * const *) options->kafka_overrides,
                                  partitions, replication_factor, report);
  for (guint i = 0; i < report->len; i++)
    g_print ("%s\n", (const char *) g_ptr_array_index (report, i));

  switch (status)
    {
    case CENTRAL_TOPICS_RIGHT:
      g_print (_("Every topic is as asked at %s.\n"), bootstrap);
      return 0;
    case CENTRAL_TOPICS_MISCONFIGURED:
      g_printerr (_("ev-central: some topics at %s are not as asked (see above); nothing was changed\n"),
                  bootstrap);
      return 3;
    case CENTRAL_TOPICS_FAILED:
    default:
      g_printerr (_("ev-central: the topics could not be created at %s (see above)\n"), bootstrap);
      return 1;
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CentralApplication) app = NULL;
  g_auto(CentralOptions) options = { .ocpp_heartbeat = -1 };
  gboolean headless = FALSE;
  gboolean version = FALSE;
  gboolean create_topics = FALSE;
  int partitions = -1;         /* -1: not given */
  int replication_factor = -1;
  gboolean print_fingerprint = FALSE;
  gboolean print_public_key = FALSE;
  g_autofree char *price = NULL;
  g_autofree char *listen_host = NULL;
  guint16 listen_port;
  int status;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options.listen,
      N_("Listen for monitors on ADDR:PORT (default 0.0.0.0:7001)"), N_("ADDR:PORT") },
    { "ocpp-listen", 0, 0, G_OPTION_ARG_STRING, &options.ocpp_listen,
      N_("Also accept OCPP 1.6-J chargers at ws://ADDR:PORT/ocpp/CP_ID, wss:// with --tls-cert (any address with TLS and --ocpp-keys, else a loopback one)"),
      N_("ADDR:PORT") },
    { "ocpp-heartbeat", 0, 0, G_OPTION_ARG_INT, &options.ocpp_heartbeat,
      N_("The heartbeat interval OCPP chargers are given, 1 to 86400 s; one silent for two is disconnected (default: half the silence timeout)"),
      N_("S") },
    { "ocpp-keys", 0, 0, G_OPTION_ARG_FILENAME, &options.ocpp_keys,
      N_("OCPP chargers authenticate with HTTP Basic auth: their keys, one “CP_ID KEY” a line"),
      N_("FILE") },
    { "kafka", 'k', 0, G_OPTION_ARG_STRING, &options.bootstrap,
      N_("Kafka bootstrap servers (default: the embedded broker, started if none runs)"), N_("HOST:PORT,…") },
    { "property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &options.kafka_overrides,
      N_("Set a librdkafka property (repeatable)"), N_("KEY=VALUE") },
    { "db", 'd', 0, G_OPTION_ARG_FILENAME, &options.db_path,
      N_("The SQLite database (default $XDG_DATA_HOME/evcharging/central.db)"), N_("PATH") },
    { "signing-key", 0, 0, G_OPTION_ARG_FILENAME, &options.signing_key,
      N_("Central’s private key, made there on first use (default $XDG_STATE_HOME/evcharging/central-signing.key)"),
      N_("FILE") },
    { "print-public-key", 0, 0, G_OPTION_ARG_NONE, &print_public_key,
      N_("Print Central’s public key and its fingerprint, and exit"), NULL },
    { "price", 0, 0, G_OPTION_ARG_STRING, &price,
      N_("Price in €/kWh given to newly registered charging points, or a range MIN-MAX to draw each one’s from (default 0.35)"),
      N_("EUR|MIN-MAX") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_cert,
      N_("Serve monitors over TLS with this certificate (PEM; with --tls-key)"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_key,
      N_("The private key of --tls-cert (PEM)"), N_("FILE") },
    { "tls-client-ca", 0, 0, G_OPTION_ARG_FILENAME, &options.tls_client_ca,
      N_("Require monitors to present a certificate from this CA, whose common name is their CP id"), N_("FILE") },
    { "print-tls-fingerprint", 0, 0, G_OPTION_ARG_NONE, &print_fingerprint,
      N_("Print the SHA-256 fingerprint of --tls-cert, for monitors to pin, and exit"), NULL },
    { "auto-approve", 0, 0, G_OPTION_ARG_NONE, &options.auto_approve,
      N_("Approve every new charging point as it registers (for demos), instead of awaiting the operator"), NULL },
    { "insecure-bus", 0, 0, G_OPTION_ARG_NONE, &options.insecure_bus,
      N_("Sign nothing on Kafka and check no signature: anyone on the bus can act as anyone (to measure what security costs)"), NULL },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_("No window: commands on standard input, JSON events on standard output"), NULL },
    { "events", 0, 0, G_OPTION_ARG_NONE, &options.events,
      N_("With the window: also print every event as JSON on standard output"), NULL },
    { "ui-stats", 0, 0, G_OPTION_ARG_INT, &options.ui_stats_ms,
      N_("With the window: print how smoothly it draws every MS milliseconds (implies --events)"), N_("MS") },
    { "page", 0, 0, G_OPTION_ARG_STRING, &options.page,
      N_("With the window: open it on this page (dashboard, requests, log, history)"), N_("PAGE") },
    { "create-topics", 0, 0, G_OPTION_ARG_NONE, &create_topics,
      N_("Create the Kafka topics that are missing, check the others, and exit"), NULL },
    { "partitions", 0, 0, G_OPTION_ARG_INT, &partitions,
      N_("With --create-topics: partitions per topic (default 6)"), N_("N") },
    { "replication-factor", 0, 0, G_OPTION_ARG_INT, &replication_factor,
      N_("With --create-topics: replicas per partition (default 1; 3 on a real cluster)"), N_("N") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  ev_program_init ("ev-central");

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("The control centre of EV Charging Network: authorises supplies, "
                                  "watches every charging point and relays live data to drivers."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  /* GTK 4 takes no options of its own: anything unknown is a mistake,
   * told like the other programs tell it. */
  g_option_context_set_ignore_unknown_options (context, FALSE);
  g_option_context_set_help_enabled (context, TRUE);

  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      !ev_bus_check_options (options.bootstrap, (const char * const *) options.kafka_overrides, &error))
    return ev_program_usage_error ("ev-central", error->message);

  if (version)
    {
      g_print ("ev-central %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (print_fingerprint)
    {
      g_autofree char *fingerprint = NULL;

      if (options.tls_cert == NULL)
        {
          g_printerr (_("ev-central: --print-tls-fingerprint needs --tls-cert FILE\n"));
          return 2;
        }
      fingerprint = ev_tls_fingerprint_of_file (options.tls_cert, &error);
      if (fingerprint == NULL)
        {
          g_printerr ("ev-central: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", fingerprint);
      return 0;
    }

  if (print_public_key)
    {
      g_autofree char *path = options.signing_key != NULL ? g_strdup (options.signing_key)
                                                          : central_core_default_signing_key_path ();
      g_autoptr(EvSigningKey) key = ev_signing_key_load_or_create (path, TRUE, NULL, &error);

      if (key == NULL)
        {
          g_printerr ("ev-central: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", ev_signing_key_get_public_base64 (key));
      g_print (_("fingerprint %s\n"), ev_signing_key_get_fingerprint (key));
      return 0;
    }

  if ((options.tls_cert == NULL) != (options.tls_key == NULL) ||
      (options.tls_client_ca != NULL && options.tls_cert == NULL))
    {
      g_printerr (_("ev-central: --tls-cert and --tls-key go together, and --tls-client-ca needs them\n"));
      return 2;
    }

  if (!parse_price (price, &options.price, &options.price_max))
    {
      g_printerr (_("ev-central: --price takes a price from 0 to 100 €/kWh, or a range such as 0.30-0.60\n"));
      return 2;
    }

  if (headless && (options.events || options.ui_stats_ms != 0 || options.page != NULL))
    {
      g_printerr (_("ev-central: --events, --ui-stats and --page go with the window, not --headless\n"));
      return 2;
    }

  if (options.ui_stats_ms < 0 || options.ui_stats_ms > 3600000)
    {
      g_printerr (_("ev-central: --ui-stats takes milliseconds between 1 and 3600000\n"));
      return 2;
    }
  if (options.ui_stats_ms > 0)
    options.events = TRUE;

  if (options.page != NULL && !g_strv_contains ((const char * const[]) { "dashboard", "requests", "log",
                                                                         "history", NULL }, options.page))
    {
      g_printerr (_("ev-central: there is no page “%s” (dashboard, requests, log, history)\n"), options.page);
      return 2;
    }

  if (options.listen != NULL && !ev_address_split (options.listen, &listen_host, &listen_port, &error))
    {
      g_printerr ("ev-central: --listen: %s\n", error->message);
      return 2;
    }

  if (options.ocpp_heartbeat != -1 && (options.ocpp_heartbeat < 1 || options.ocpp_heartbeat > 86400))
    {
      g_printerr (_("ev-central: --ocpp-heartbeat must be 1 to 86400 seconds\n"));
      return 2;
    }
  options.ocpp_heartbeat = MAX (options.ocpp_heartbeat, 0);

  /* The window may take its certificate from the preferences: the core
   * checks again with the one it got. */
  if (options.ocpp_listen != NULL &&
      !central_ocpp_check_listen (options.ocpp_listen,
                                  options.ocpp_keys != NULL && (options.tls_cert != NULL || !headless),
                                  &error))
    {
      g_printerr ("ev-central: --ocpp-listen: %s\n", error->message);
      return 2;
    }

  if (headless && argc > 1)
    {
      g_printerr (_("ev-central: unknown option or argument “%s”\n"), argv[1]);
      g_printerr (_("Run “%s --help” to see every option.\n"), "ev-central");
      return 2;
    }

  if (!create_topics && (partitions != -1 || replication_factor != -1))
    {
      g_printerr (_("ev-central: --partitions and --replication-factor go with --create-topics\n"));
      return 2;
    }
  if (create_topics)
    {
      if (partitions == -1)
        partitions = CENTRAL_TOPICS_DEFAULT_PARTITIONS;
      if (replication_factor == -1)
        replication_factor = 1;
      if (partitions < 1 || partitions > CENTRAL_TOPICS_MAX_PARTITIONS ||
          replication_factor < 1 || replication_factor > CENTRAL_TOPICS_MAX_REPLICATION)
        {
          g_printerr (_("ev-central: --partitions takes 1 to %d, --replication-factor 1 to %d\n"),
                      CENTRAL_TOPICS_MAX_PARTITIONS, CENTRAL_TOPICS_MAX_REPLICATION);
          return 2;
        }
      if (argc > 1)
        {
          g_printerr (_("ev-central: unknown option or argument “%s”\n"), argv[1]);
          return 2;
        }
      /* The embedded broker has its topics from its start. */
      if (options.bootstrap == NULL)
        {
          g_printerr (_("ev-central: --create-topics needs the cluster’s --kafka\n"));
          return 2;
        }
      return run_create_topics (&options, partitions, replication_factor);
    }

  if (headless)
    {
      /* stdout carries only JSON events. */
      g_log_writer_default_set_use_stderr (TRUE);
      status = run_headless (&options);
    }
  else
    {
      /* With --events, stdout carries only JSON events. */
      if (options.events)
        g_log_writer_default_set_use_stderr (TRUE);
      app = central_application_new (&options);
      status = g_application_run (G_APPLICATION (app), argc, argv);
    }

  return status;
}

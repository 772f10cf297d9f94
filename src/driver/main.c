#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "driver-application.h"
#include "driver-core.h"
#include "driver-settings.h"
#include "driver-fleet-headless.h"
#include "ev-program.h"
#include "ev-broker-launch.h"
#include "ev-bus.h"
#include "ev-headless.h"

/* ev-driver: checks the options and hands them to the application,
 * whose handle_local_options builds the core and runs it headless or
 * with its window (driver-application.c). */

#define PROGRAM "ev-driver"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DriverApplication) app = NULL;
  g_autofree char *driver_id = NULL;
  g_autofree char *bootstrap = NULL;
  g_autofree char *file = NULL;
  g_auto(GStrv) overrides = NULL;
  g_autofree char *central_key = NULL;
  g_autofree char *central_fingerprint = NULL;
  g_autoptr(EvVerifyKey) trusted = NULL;
  gboolean headless = FALSE;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "id", 'i', 0, G_OPTION_ARG_STRING, &driver_id,
      N_("The driver id (required with --headless; the window asks for one and keeps it)"), N_("DRIVER") },
    { "kafka", 'k', 0, G_OPTION_ARG_STRING, &bootstrap,
      N_("Kafka bootstrap servers (default: the embedded broker, started if none runs)"), N_("HOST:PORT,…") },
    { "property", 'X', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      N_("Set a librdkafka property (repeatable)"), N_("KEY=VALUE") },
    { "central-key", 0, 0, G_OPTION_ARG_STRING, &central_key,
      N_("Central’s public key, or a file holding it (default: the one Central wrote for this user)"),
      N_("BASE64|FILE") },
    { "central-key-fingerprint", 0, 0, G_OPTION_ARG_STRING, &central_fingerprint,
      N_("Trust the Central key with this SHA-256 fingerprint"), N_("HEX") },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
      N_("Run a request file: one charging point id per line"), N_("PATH") },
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_("No window: commands on standard input, JSON events on standard output"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  ev_program_init (PROGRAM);

  if (argc > 1 && g_str_equal (argv[1], "fleet"))
    return driver_fleet_main (argc - 1, argv + 1);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("The driver’s app of EV Charging Network: sees the charging points, "
                                  "requests a supply, follows it live and keeps the tickets. "
                                  "Run “ev-driver fleet --help” for many simulated drivers at once."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return ev_program_usage_error (PROGRAM, error->message);
  if (version)
    {
      g_print ("%s %s\n", PROGRAM, PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    return ev_program_unexpected_argument (PROGRAM, argv[1]);
  if (driver_id == NULL && headless)
    {
      g_printerr (_("%s: --id DRIVER is required\n"), PROGRAM);
      return 2;
    }
  if (driver_id == NULL)
    {
      /* The window: the id kept from an earlier run, or it asks. */
      g_autoptr(DriverSettings) settings = driver_settings_new ();
      const char *kept = driver_settings_get_driver_id (settings);

      if (driver_core_check_driver_id (kept, NULL))
        driver_id = g_strdup (kept);
    }
  if (driver_id != NULL && !driver_core_check_driver_id (driver_id, &error))
    {
      g_printerr ("%s: --id: %s\n", PROGRAM, error->message);
      return 2;
    }
  if (!ev_bus_check_options (bootstrap, (const char * const *) overrides, &error))
    {
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return 2;
    }
  trusted = ev_signing_find_central_key (central_key, central_fingerprint, &error);
  if (trusted == NULL && error != NULL)
    {
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return 2;
    }

  /* stdout carries only JSON events. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (bootstrap == NULL)
    bootstrap = ev_broker_ensure (NULL, &error);
  if (bootstrap == NULL)
    {
      if (headless)
        ev_headless_print_error (error->message);
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      return 1;
    }

  app = driver_application_new (&(DriverLaunch) {
    .driver_id = driver_id,
    .bootstrap = bootstrap,
    .overrides = (const char * const *) overrides,
    .central_key = g_steal_pointer (&trusted),
    .file = file,
    .headless = headless,
  });
  return g_application_run (G_APPLICATION (app), 0, NULL);
}

/* central-application.c: Central's GTK application.
 *
 * Configuration comes from three places, the first one given wins: the
 * command line (CentralOptions, parsed by main.c), GSettings (the
 * preferences window), and the defaults (central-options.c resolves
 * them). The core is created on the first activation; when it cannot
 * start, the window explains why instead of the program exiting.
 *
 * Central is a unique application, and a second launch is decided in
 * handle_local_options: with no option, or only options the running one
 * was started with, it hands over (the window comes forward); with
 * another place to serve (--db, --listen, --kafka, …) it runs as an
 * instance of its own; with other window options only, it says why it
 * cannot apply them and exits with status 2. */

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "central-application.h"
#include "central-core.h"
#include "central-headless.h"
#include "central-service.h"
#include "central-ui-stats.h"
#include "central-preferences.h"
#include "central-settings.h"
#include "central-window.h"
#include "ev-instance.h"
#include "ev-ui.h"

#define APP_ID "io.github.evcharging.EVCharging.Central"
/* How much the UI thread gives way to the core's thread (nice levels). */
#define UI_NICE 5

struct _CentralApplication
{
  AdwApplication   parent_instance;

  CentralOptions   options;
  CentralSettings *settings;
  CentralService  *service;
  CentralUiStats  *ui_stats;
  guint            signal_ids[2];
};

G_DEFINE_FINAL_TYPE (CentralApplication, central_application, ADW_TYPE_APPLICATION)

/* When the machine is busy, the links come first: the UI thread (this
 * one) gives way to the core's thread, which was started before with the
 * program's own priority. On Linux a thread's nice value is its own. */
static void
give_way_to_core (void)
{
  pid_t tid = (pid_t) syscall (SYS_gettid);
  int current;

  errno = 0;
  current = getpriority (PRIO_PROCESS, (id_t) tid);
  if (errno != 0 || setpriority (PRIO_PROCESS, (id_t) tid, MIN (current + UI_NICE, 19)) != 0)
    g_debug ("Could not lower the UI thread's priority: %s", g_strerror (errno));
}

/* Central's core on a thread of its own, started. */
static CentralService *
create_service (CentralApplication  *self,
                GError             **error)
{
  g_auto(CentralOptions) preferences;
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(CentralService) service = NULL;

  central_options_init (&preferences);
  preferences.listen = g_strdup (central_settings_get_listen_address (self->settings));
  preferences.bootstrap = g_strdup (central_settings_get_kafka_bootstrap (self->settings));
  preferences.db_path = g_strdup (central_settings_get_database_path (self->settings));
  preferences.tls_cert = g_strdup (central_settings_get_tls_certificate (self->settings));
  preferences.tls_key = g_strdup (central_settings_get_tls_key (self->settings));
  preferences.auto_approve = central_settings_get_auto_approve (self->settings);
  core = central_options_create_core (&self->options, &preferences, error);
  if (core == NULL)
    return NULL;
  service = central_service_new (core);
  if (self->options.events)
    central_headless_print_events (service);
  if (!central_service_start (service, error))
    return NULL;
  give_way_to_core ();

  return g_steal_pointer (&service);
}

/* A second launch (docs/cli.md, "A second ev-central"). */
static int
central_application_handle_local_options (GApplication *application,
                                          GVariantDict *dict)
{
  CentralApplication *self = CENTRAL_APPLICATION (application);
  g_autoptr(GVariant) running = NULL;
  g_autoptr(GVariant) serving = NULL;
  g_autoptr(GVariant) window = NULL;

  if (!ev_instance_find_running (APP_ID, &running) || running == NULL)
    return -1;

  serving = g_variant_ref_sink (central_options_to_variant (&self->options, TRUE, FALSE));
  window = g_variant_ref_sink (central_options_to_variant (&self->options, FALSE, TRUE));
  if (!ev_instance_options_match (serving, running))
    {
      g_application_set_flags (application, G_APPLICATION_NON_UNIQUE);
      return -1;
    }
  if (!ev_instance_options_match (window, running))
    {
      g_printerr (_("ev-central: Central already runs here; --events, --ui-stats and --page apply "
                    "only when it starts: use its window, or quit it and start again\n"));
      return 2;
    }
  return -1;
}

static void
central_application_activate (GApplication *application)
{
  CentralApplication *self = CENTRAL_APPLICATION (application);
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  if (self->service == NULL)
    self->service = create_service (self, &error);

  window = GTK_WINDOW (central_window_new (self, self->service));
  if (self->service == NULL)
    {
      g_autofree char *message = NULL;

      g_message ("Central could not start: %s", error->message);
      message = g_strdup_printf (_("%s\n\nCheck the listen address, the Kafka bootstrap servers and "
                                   "the database path in the preferences, then start Central again."),
                                 error->message);
      central_window_show_error (CENTRAL_WINDOW (window), message);
    }

  ev_ui_remember_window_size (window, G_OBJECT (self->settings));
  if (self->service != NULL && self->options.page != NULL)
    central_window_show_page (CENTRAL_WINDOW (window), self->options.page);
  if (self->options.ui_stats_ms > 0)
    self->ui_stats = central_ui_stats_new (GTK_WIDGET (window), self->service,
                                           (guint) self->options.ui_stats_ms);
  gtk_window_present (window);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  /* Closing the windows first lets them save their size. */
  ev_ui_close_windows_and_quit (GTK_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  CentralApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  CentralPreferences *preferences;

  preferences = central_preferences_new (parent, self->settings);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ev_ui_show_about (GTK_APPLICATION (user_data), APP_ID, _("EV Charging Central"),
                    _("The control centre of an electric vehicle charging network: "
                      "it authorises every supply and shows every charging point live."));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "preferences", .activate = preferences_action },
  { .name = "about", .activate = about_action },
};

static void
central_application_startup (GApplication *application)
{
  CentralApplication *self = CENTRAL_APPLICATION (application);
  static const char *search_accels[] = { "<Control>f", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (central_application_parent_class)->startup (application);

  ev_ui_application_startup (GTK_APPLICATION (self), app_actions, G_N_ELEMENTS (app_actions), APP_ID);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  ev_ui_add_quit_signals (application, self->signal_ids);
}

static void
central_application_shutdown (GApplication *application)
{
  CentralApplication *self = CENTRAL_APPLICATION (application);

  ev_ui_clear_quit_signals (self->signal_ids);
  g_clear_object (&self->ui_stats);
  if (self->service != NULL)
    central_service_shutdown (self->service);

  G_APPLICATION_CLASS (central_application_parent_class)->shutdown (application);
}

static void
central_application_dispose (GObject *object)
{
  CentralApplication *self = CENTRAL_APPLICATION (object);

  ev_ui_clear_quit_signals (self->signal_ids);
  g_clear_object (&self->service);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (central_application_parent_class)->dispose (object);
}

static void
central_application_finalize (GObject *object)
{
  CentralApplication *self = CENTRAL_APPLICATION (object);

  central_options_clear (&self->options);

  G_OBJECT_CLASS (central_application_parent_class)->finalize (object);
}

static void
central_application_class_init (CentralApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = central_application_dispose;
  object_class->finalize = central_application_finalize;

  app_class->handle_local_options = central_application_handle_local_options;
  app_class->activate = central_application_activate;
  app_class->startup = central_application_startup;
  app_class->shutdown = central_application_shutdown;
}

static void
central_application_init (CentralApplication *self)
{
  self->settings = central_settings_new ();
}

/* Takes what @options holds (it is left "nothing given"). */
CentralApplication *
central_application_new (CentralOptions *options)
{
  CentralApplication *self;

  self = g_object_new (CENTRAL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/evcharging/EVCharging/Central",
                       NULL);

  if (options != NULL)
    central_options_steal (&self->options, options);
  else
    central_options_init (&self->options);
  ev_instance_export_options (G_APPLICATION (self), central_options_to_variant (&self->options, TRUE, TRUE));

  return self;
}

/* central-application.c: Central's GTK application.
 *
 * Configuration comes from three places, the first one given wins: the
 * command line (CentralOptions, parsed by main.c), GSettings (the
 * preferences window), and the defaults. The core is created on the first
 * activation; when it cannot start, the window explains why instead of the
 * program exiting. */

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
#include "ev-broker-launch.h"
#include "ev-ui.h"

#define APP_ID "io.github.evcharging.EVCharging.Central"
/* How much the UI thread gives way to the core's thread (nice levels). */
#define UI_NICE 5
#define DEFAULT_LISTEN "0.0.0.0:7001"

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

/* The first non-NULL of the command line and GSettings; "" stays "". */
static const char *
pick (const char *option,
      const char *setting)
{
  if (option != NULL)
    return option;
  return setting != NULL ? setting : "";
}

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
  const char *listen;
  const char *bootstrap_setting;
  const char *db_setting;
  const char *tls_cert;
  const char *tls_key;
  g_autofree char *bootstrap = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(CentralService) service = NULL;
  g_autoptr(EvSigningKey) key = NULL;

  listen = pick (self->options.listen, central_settings_get_listen_address (self->settings));
  if (*listen == '\0')
    listen = DEFAULT_LISTEN;

  bootstrap_setting = pick (self->options.bootstrap, central_settings_get_kafka_bootstrap (self->settings));
  if (*bootstrap_setting != '\0')
    bootstrap = g_strdup (bootstrap_setting);
  else
    bootstrap = ev_broker_ensure (NULL, error);
  if (bootstrap == NULL)
    return NULL;

  tls_cert = pick (self->options.tls_cert, central_settings_get_tls_certificate (self->settings));
  tls_key = pick (self->options.tls_key, central_settings_get_tls_key (self->settings));
  if (*tls_cert == '\0' && *tls_key == '\0')
    tls_cert = tls_key = NULL;

  db_setting = pick (self->options.db_path, central_settings_get_database_path (self->settings));
  if (*db_setting != '\0')
    db_path = g_strdup (db_setting);
  else
    db_path = central_core_default_db_path ();

  core = g_object_new (CENTRAL_TYPE_CORE,
                       "listen", listen,
                       "bootstrap", bootstrap,
                       "kafka-overrides", self->options.kafka_overrides,
                       "db-path", db_path,
                       "default-price", self->options.price >= 0.0 ? self->options.price : CENTRAL_CORE_DEFAULT_PRICE,
                       "default-price-max", self->options.price_max,
                       "tls-cert", tls_cert,
                       "tls-key", tls_key,
                       "tls-client-ca", self->options.tls_client_ca,
                       "auto-approve", self->options.auto_approve ||
                                       central_settings_get_auto_approve (self->settings),
                       "insecure-bus", self->options.insecure_bus,
                       NULL);
  if (!self->options.insecure_bus)
    {
      key = central_core_load_signing_key (self->options.signing_key, error);
      if (key == NULL)
        return NULL;
      central_core_set_signing_key (core, g_steal_pointer (&key));
    }
  service = central_service_new (core);
  if (self->options.events)
    central_headless_print_events (service);
  if (!central_service_start (service, error))
    return NULL;
  give_way_to_core ();

  return g_steal_pointer (&service);
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
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (central_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", shortcuts_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);

  gtk_window_set_default_icon_name (APP_ID);
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

  app_class->activate = central_application_activate;
  app_class->startup = central_application_startup;
  app_class->shutdown = central_application_shutdown;
}

static void
central_application_init (CentralApplication *self)
{
  self->settings = central_settings_new ();
}

/* Frees what @options holds (not @options itself). */
void
central_options_clear (CentralOptions *options)
{
  g_clear_pointer (&options->listen, g_free);
  g_clear_pointer (&options->bootstrap, g_free);
  g_clear_pointer (&options->kafka_overrides, g_strfreev);
  g_clear_pointer (&options->db_path, g_free);
  g_clear_pointer (&options->signing_key, g_free);
  g_clear_pointer (&options->page, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
  g_clear_pointer (&options->tls_client_ca, g_free);
}

CentralApplication *
central_application_new (const CentralOptions *options)
{
  CentralApplication *self;

  self = g_object_new (CENTRAL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/evcharging/EVCharging/Central",
                       NULL);

  if (options != NULL)
    {
      self->options.listen = g_strdup (options->listen);
      self->options.bootstrap = g_strdup (options->bootstrap);
      self->options.kafka_overrides = g_strdupv (options->kafka_overrides);
      self->options.db_path = g_strdup (options->db_path);
      self->options.signing_key = g_strdup (options->signing_key);
      self->options.price = options->price;
      self->options.price_max = options->price_max;
      self->options.events = options->events;
      self->options.ui_stats_ms = options->ui_stats_ms;
      self->options.page = g_strdup (options->page);
      self->options.tls_cert = g_strdup (options->tls_cert);
      self->options.tls_key = g_strdup (options->tls_key);
      self->options.tls_client_ca = g_strdup (options->tls_client_ca);
      self->options.auto_approve = options->auto_approve;
      self->options.insecure_bus = options->insecure_bus;
    }
  else
    {
      self->options.price = -1.0;
      self->options.price_max = -1.0;
    }

  return self;
}

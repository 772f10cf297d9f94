/* station-application.c: the GTK application of each role of ev-station.
 *
 * One class, three ids: the launcher (no role), and the engine and the
 * monitor, each given the core main.c built from the options. A role's
 * core starts in handle_local_options, so that one that cannot start
 * (port taken) ends the process at once with the reason on stderr, which
 * is how the launcher tells a failure; with --headless the headless front
 * end runs there instead and no window is made.
 * SIGINT and SIGTERM quit cleanly, so the launcher's Stop and a terminal's
 * Ctrl+C flush Kafka like `quit` does in headless mode. The launcher, told
 * to stop by a signal, first stops the engines and monitors it started
 * and waits for them: nothing it started outlives it then. (Closing its
 * window leaves them running: they have their own windows.) */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-application.h"
#include "station-engine-window.h"
#include "station-headless.h"
#include "station-launcher.h"
#include "station-monitor-window.h"
#include "station-settings.h"
#include "station-ui.h"

struct _StationApplication
{
  AdwApplication   parent_instance;

  StationEngine   *engine;
  StationOcppEngine *ocpp;
  StationMonitor  *monitor;
  StationSettings *settings;
  char            *program;
  guint            signal_ids[2];
  gboolean         stopping;
  gboolean         headless;
};

G_DEFINE_FINAL_TYPE (StationApplication, station_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_PROGRAM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
station_application_handle_local_options (GApplication *application,
                                          GVariantDict *options)
{
  StationApplication *self = STATION_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (self->engine != NULL)
    {
      if (self->headless)
        return station_headless_run_engine (self->engine);
      if (!station_engine_start (self->engine, &error))
        {
          g_printerr ("ev-station engine: %s\n", error->message);
          return 1;
        }
    }
  else if (self->ocpp != NULL)
    {
      if (self->headless)
        return station_ocpp_engine_run_headless (self->ocpp);
      if (!station_ocpp_engine_start (self->ocpp, &error))
        {
          g_printerr ("ev-station engine: %s\n", error->message);
          return 1;
        }
    }
  else if (self->monitor != NULL)
    {
      if (self->headless)
        return station_headless_run_monitor (self->monitor);
      if (!station_monitor_start (self->monitor, &error))
        {
          g_printerr ("ev-station monitor: %s\n", error->message);
          return 1;
        }
    }
  return -1;
}

static void
station_application_activate (GApplication *application)
{
  StationApplication *self = STATION_APPLICATION (application);
  GtkApplication *app = GTK_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (app);

  if (window == NULL)
    {
      if (self->engine != NULL)
        window = GTK_WINDOW (station_engine_window_new (app, self->engine));
      else if (self->ocpp != NULL)
        window = GTK_WINDOW (station_engine_window_new_ocpp (app, self->ocpp));
      else if (self->monitor != NULL)
        window = GTK_WINDOW (station_monitor_window_new (app, self->monitor));
      else
        {
          if (self->settings == NULL)
            self->settings = station_settings_new ();
          window = GTK_WINDOW (station_launcher_new (app, self->settings, self->program));
        }
    }

  gtk_window_present (window);
  g_debug ("Window presented: %s", g_application_get_application_id (application));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ev_ui_show_about (GTK_APPLICATION (user_data), STATION_APP_ID, _("EV Charging Station"),
                    _("A charging point simulator: its engine meters supplies, "
                      "its monitor keeps Central informed of its health."));
}

static StationLauncher *
find_launcher (StationApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (STATION_IS_LAUNCHER (l->data))
      return l->data;
  return NULL;
}

static void
pairs_stopped_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(StationApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!station_launcher_stop_all_finish (STATION_LAUNCHER (source), result, &error))
    g_message ("Not waiting for the charging points any more: %s", error->message);
  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

/* SIGINT or SIGTERM to the launcher: its pairs stop first (a second
 * signal does not wait for them). */
static gboolean
launcher_signal_cb (gpointer user_data)
{
  StationApplication *self = user_data;
  StationLauncher *launcher = find_launcher (self);

  if (launcher == NULL || self->stopping)
    {
      g_application_quit (G_APPLICATION (self));
      return G_SOURCE_CONTINUE;
    }

  g_message ("Stopping the charging points started here, then quitting");
  self->stopping = TRUE;
  g_application_hold (G_APPLICATION (self));
  station_launcher_stop_all_async (launcher, pairs_stopped_cb, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "about", .activate = about_action },
};

static void
station_application_startup (GApplication *application)
{
  StationApplication *self = STATION_APPLICATION (application);

  G_APPLICATION_CLASS (station_application_parent_class)->startup (application);

  ev_ui_application_startup (GTK_APPLICATION (self), app_actions, G_N_ELEMENTS (app_actions), STATION_APP_ID);

  if (self->engine == NULL && self->ocpp == NULL && self->monitor == NULL)
    ev_ui_add_signal_watches (self->signal_ids, launcher_signal_cb, self);
  else
    ev_ui_add_quit_signals (G_APPLICATION (self), self->signal_ids);
}

static void
station_application_shutdown (GApplication *application)
{
  StationApplication *self = STATION_APPLICATION (application);

  ev_ui_clear_quit_signals (self->signal_ids);
  if (self->engine != NULL)
    station_engine_shutdown (self->engine);
  if (self->ocpp != NULL)
    station_ocpp_engine_shutdown (self->ocpp);
  if (self->monitor != NULL)
    station_monitor_shutdown (self->monitor);

  G_APPLICATION_CLASS (station_application_parent_class)->shutdown (application);
}

static void
station_application_dispose (GObject *object)
{
  StationApplication *self = STATION_APPLICATION (object);

  ev_ui_clear_quit_signals (self->signal_ids);
  g_clear_object (&self->engine);
  g_clear_object (&self->ocpp);
  g_clear_object (&self->monitor);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (station_application_parent_class)->dispose (object);
}

static void
station_application_finalize (GObject *object)
{
  StationApplication *self = STATION_APPLICATION (object);

  g_free (self->program);

  G_OBJECT_CLASS (station_application_parent_class)->finalize (object);
}

static void
station_application_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  StationApplication *self = STATION_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_PROGRAM:
      g_value_set_string (value, self->program);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_application_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  StationApplication *self = STATION_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_PROGRAM:
      self->program = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_application_class_init (StationApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = station_application_dispose;
  object_class->finalize = station_application_finalize;
  object_class->get_property = station_application_get_property;
  object_class->set_property = station_application_set_property;

  /**
   * StationApplication:program:
   *
   * The ev-station program the launcher runs for its pairs; %NULL for
   * this one.
   */
  properties[PROP_PROGRAM] =
    g_param_spec_string ("program", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  app_class->handle_local_options = station_application_handle_local_options;
  app_class->activate = station_application_activate;
  app_class->startup = station_application_startup;
  app_class->shutdown = station_application_shutdown;
}

static void
station_application_init (StationApplication *self)
{
}

static StationApplication *
application_new (const char        *app_id,
                 GApplicationFlags  flags)
{
  return g_object_new (STATION_TYPE_APPLICATION,
                       "application-id", app_id,
                       "flags", flags,
                       "resource-base-path", STATION_RESOURCE_PATH,
                       NULL);
}

StationApplication *
station_application_new_engine (StationEngine *engine,
                                gboolean       headless)
{
  StationApplication *self;

  g_return_val_if_fail (STATION_IS_ENGINE (engine), NULL);

  self = application_new (STATION_ENGINE_APP_ID, G_APPLICATION_NON_UNIQUE);
  self->engine = g_object_ref (engine);
  self->headless = headless;
  return self;
}

StationApplication *
station_application_new_ocpp_engine (StationOcppEngine *engine,
                                     gboolean           headless)
{
  StationApplication *self;

  g_return_val_if_fail (STATION_IS_OCPP_ENGINE (engine), NULL);

  self = application_new (STATION_ENGINE_APP_ID, G_APPLICATION_NON_UNIQUE);
  self->ocpp = g_object_ref (engine);
  self->headless = headless;
  return self;
}

StationApplication *
station_application_new_monitor (StationMonitor *monitor,
                                 gboolean        headless)
{
  StationApplication *self;

  g_return_val_if_fail (STATION_IS_MONITOR (monitor), NULL);

  self = application_new (STATION_MONITOR_APP_ID, G_APPLICATION_NON_UNIQUE);
  self->monitor = g_object_ref (monitor);
  self->headless = headless;
  return self;
}

StationApplication *
station_application_new_launcher (const char *program)
{
  return g_object_new (STATION_TYPE_APPLICATION,
                       "application-id", STATION_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", STATION_RESOURCE_PATH,
                       "program", program,
                       NULL);
}

/* driver-application.c: the GTK application of ev-driver.
 *
 * main.c checks the options and hands them over as a DriverLaunch;
 * handle_local_options builds the core: with --headless it runs the
 * headless front end there and no window is made; otherwise it starts the
 * core and the window opens on it, or, when no driver id was given or
 * kept, first asks who is driving (DriverIdDialog) and starts the core
 * itself; "Change Driver…" swaps the core for
 * another driver's when no supply is under way. The id chosen is kept in
 * GSettings. Several drivers may run on one desktop, so the application
 * is not unique.
 * SIGINT and SIGTERM quit cleanly, flushing Kafka like `quit` does in
 * headless mode. The window's size is remembered in GSettings. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-application.h"
#include "driver-headless.h"
#include "driver-id-dialog.h"
#include "driver-settings.h"
#include "driver-ui.h"
#include "driver-window.h"

struct _DriverApplication
{
  AdwApplication  parent_instance;

  DriverCore     *core;     /* nullable until a driver is chosen */
  DriverSettings *settings;
  char           *bootstrap;
  GStrv           overrides;
  char           *file;
  gboolean        headless;
  guint           signal_ids[2];
};

G_DEFINE_FINAL_TYPE (DriverApplication, driver_application, ADW_TYPE_APPLICATION)

static void
present_main_window (DriverApplication *self)
{
  GtkWindow *window = GTK_WINDOW (driver_window_new (GTK_APPLICATION (self), self->core, self->settings));

  ev_ui_remember_window_size (window, G_OBJECT (self->settings));
  gtk_window_present (window);
  g_debug ("Window presented for driver %s", driver_core_get_driver_id (self->core));

  /* --file: the run starts with the window, and its errors show there. */
  if (self->file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (self->file);
      g_autoptr(GError) error = NULL;

      driver_window_set_request_file (DRIVER_WINDOW (window), file);
      if (!driver_core_get_file_running (self->core) && !driver_core_run_file (self->core, self->file, &error))
        driver_window_add_toast (DRIVER_WINDOW (window), error->message);
      g_clear_pointer (&self->file, g_free);
    }
}

static GtkWindow *
find_main_window (DriverApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DRIVER_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static void
driver_chosen_cb (DriverIdDialog *dialog,
                  const char     *driver_id,
                  gpointer        user_data)
{
  DriverApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!driver_application_use_driver (self, driver_id, &error))
    {
      driver_id_dialog_set_error (dialog, error->message);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
ask_driver (DriverApplication *self)
{
  GtkWindow *main_window = find_main_window (self);
  DriverIdDialog *dialog = driver_id_dialog_new (GTK_APPLICATION (self),
                                                 self->core != NULL ? driver_core_get_driver_id (self->core) : NULL);

  if (main_window != NULL)
    {
      gtk_window_set_transient_for (GTK_WINDOW (dialog), main_window);
      gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
    }
  g_signal_connect (dialog, "chosen", G_CALLBACK (driver_chosen_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The core of a launch with a driver id: the headless front end runs
 * here, and returns its exit status; a window's core is started here, so
 * that a core that cannot start is a clear error on standard error rather
 * than an empty window. */
static int
driver_application_handle_local_options (GApplication *application,
                                         GVariantDict *options)
{
  DriverApplication *self = DRIVER_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (self->core == NULL)
    return -1;
  if (self->headless)
    return driver_headless_run (self->core, self->file);
  if (!driver_core_start (self->core, &error))
    {
      g_printerr ("ev-driver: %s\n", error->message);
      return 1;
    }
  return -1;
}

static void
driver_application_activate (GApplication *application)
{
  DriverApplication *self = DRIVER_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  if (self->core == NULL)
    ask_driver (self);
  else
    present_main_window (self);
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
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ev_ui_show_about (GTK_APPLICATION (user_data), DRIVER_APP_ID, _("EV Charging Driver"),
                    _("The driver’s app of EV Charging Network: find an available charging "
                      "point, request a supply, follow it live and keep your tickets."));
}

static void
change_driver_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  ask_driver (DRIVER_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "change-driver", .activate = change_driver_action },
  { .name = "about", .activate = about_action },
};

static void
driver_application_startup (GApplication *application)
{
  DriverApplication *self = DRIVER_APPLICATION (application);

  G_APPLICATION_CLASS (driver_application_parent_class)->startup (application);

  ev_ui_application_startup (GTK_APPLICATION (self), app_actions, G_N_ELEMENTS (app_actions), DRIVER_APP_ID);

  self->settings = driver_settings_new ();
  ev_ui_add_quit_signals (G_APPLICATION (self), self->signal_ids);
}

static void
driver_application_shutdown (GApplication *application)
{
  DriverApplication *self = DRIVER_APPLICATION (application);

  ev_ui_clear_quit_signals (self->signal_ids);
  if (self->core != NULL)
    driver_core_shutdown (self->core);

  G_APPLICATION_CLASS (driver_application_parent_class)->shutdown (application);
}

static void
driver_application_dispose (GObject *object)
{
  DriverApplication *self = DRIVER_APPLICATION (object);

  ev_ui_clear_quit_signals (self->signal_ids);
  g_clear_object (&self->core);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (driver_application_parent_class)->dispose (object);
}

static void
driver_application_finalize (GObject *object)
{
  DriverApplication *self = DRIVER_APPLICATION (object);

  g_free (self->file);
  g_free (self->bootstrap);
  g_strfreev (self->overrides);

  G_OBJECT_CLASS (driver_application_parent_class)->finalize (object);
}

static void
driver_application_class_init (DriverApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = driver_application_dispose;
  object_class->finalize = driver_application_finalize;

  app_class->handle_local_options = driver_application_handle_local_options;
  app_class->activate = driver_application_activate;
  app_class->startup = driver_application_startup;
  app_class->shutdown = driver_application_shutdown;
}

static void
driver_application_init (DriverApplication *self)
{
}

static DriverApplication *
application_new (const char *file)
{
  DriverApplication *self;

  driver_ui_ensure_resources ();
  self = g_object_new (DRIVER_TYPE_APPLICATION,
                       "application-id", DRIVER_APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", DRIVER_RESOURCE_PATH,
                       NULL);
  self->file = g_strdup (file);
  return self;
}

/**
 * driver_application_new:
 * @launch: what the options ask; its @central_key is taken
 *
 * Returns: (transfer full): the application of one launch, which
 *   g_application_run() runs with or without its window
 */
DriverApplication *
driver_application_new (DriverLaunch *launch)
{
  g_autoptr(EvVerifyKey) key = g_steal_pointer (&launch->central_key);
  DriverApplication *self;

  g_return_val_if_fail (launch->bootstrap != NULL, NULL);

  self = driver_application_new_for_bus (launch->bootstrap, launch->overrides, launch->file);
  self->headless = launch->headless;
  if (launch->driver_id != NULL)
    {
      self->core = g_object_new (DRIVER_TYPE_CORE,
                                 "driver-id", launch->driver_id,
                                 "bootstrap", launch->bootstrap,
                                 "kafka-overrides", launch->overrides,
                                 NULL);
      driver_core_set_central_key (self->core, g_steal_pointer (&key));
    }
  return self;
}

DriverApplication *
driver_application_new_for_bus (const char         *bootstrap,
                                const char * const *overrides,
                                const char         *file)
{
  DriverApplication *self;

  g_return_val_if_fail (bootstrap != NULL, NULL);

  self = application_new (file);
  self->bootstrap = g_strdup (bootstrap);
  self->overrides = g_strdupv ((char **) overrides);
  return self;
}

DriverCore *
driver_application_get_core (DriverApplication *self)
{
  g_return_val_if_fail (DRIVER_IS_APPLICATION (self), NULL);
  return self->core;
}

/**
 * driver_application_use_driver:
 * @self: an application, started
 * @driver_id: the driver now at the wheel
 * @error: return location for a #GError
 *
 * Starts a core for @driver_id, keeps the id for the next start and
 * opens its window; the previous driver's core and window, if any, go.
 * Fails, changing nothing, while that driver's supply or request file is
 * under way, or when the new core cannot start.
 *
 * Returns: whether @driver_id is now the driver
 */
gboolean
driver_application_use_driver (DriverApplication  *self,
                               const char         *driver_id,
                               GError            **error)
{
  g_autoptr(DriverCore) core = NULL;
  GtkWindow *old_window;

  g_return_val_if_fail (DRIVER_IS_APPLICATION (self), FALSE);

  if (self->core != NULL)
    {
      DriverPhase phase = driver_core_get_phase (self->core);

      if (g_strcmp0 (driver_core_get_driver_id (self->core), driver_id) == 0)
        return TRUE;
      if (driver_core_get_file_running (self->core))
        {
          g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_FILE_RUNNING,
                               _("Stop the request file before another driver takes the wheel."));
          return FALSE;
        }
      if (phase == DRIVER_PHASE_REQUESTED || phase == DRIVER_PHASE_NO_ANSWER ||
          phase == DRIVER_PHASE_AUTHORIZED || phase == DRIVER_PHASE_SUPPLYING)
        {
          g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_BUSY,
                               _("A supply is under way: wait for its ticket before another driver takes the wheel."));
          return FALSE;
        }
    }

  core = g_object_new (DRIVER_TYPE_CORE,
                       "driver-id", driver_id,
                       "bootstrap", self->bootstrap,
                       "kafka-overrides", self->overrides,
                       NULL);
  if (!driver_core_start (core, error))
    return FALSE;

  old_window = find_main_window (self);
  if (self->core != NULL)
    driver_core_shutdown (self->core);
  g_set_object (&self->core, core);
  driver_settings_set_driver_id (self->settings, driver_id);
  present_main_window (self);
  if (old_window != NULL)
    gtk_window_destroy (old_window);
  return TRUE;
}

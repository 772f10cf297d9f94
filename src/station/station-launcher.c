/* station-launcher.c: `ev-station` with no role.
 *
 * Asks for a CP id, a location, the engine's listen address and Central's
 * address (remembered in GSettings through StationSettings) and starts
 * the pair as two processes of this same program, `ev-station engine` and
 * `ev-station monitor`, each of which opens its own window. They are
 * separate processes on purpose: the engine and the monitor fail
 * separately (SPEC.md), and closing the launcher leaves them running.
 *
 * Each process's standard error is read line by line (and passed on to
 * ours); a process that exits within STATION_LAUNCHER_STARTUP_GRACE_MS
 * failed to start, and its last line says why.
 *
 * It also starts OCPP 1.6-J chargers, `ev-station engine --ocpp URL`,
 * each one process listed as a pair without a monitor (the CSMS is its
 * central).
 *
 * The application stops them all (station_launcher_stop_all_async())
 * when the launcher itself is told to stop by SIGINT or SIGTERM: what it
 * started does not outlive it then. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>

#include "ev-protocol.h"
#include "ev-tls.h"
#include "station-launcher.h"
#include "station-ocpp-charger.h"
#include "station-ui.h"
#include "station-util.h"

typedef struct _Pair Pair;

typedef struct
{
  Pair             *pair;
  gboolean          is_engine;
  GSubprocess      *process;
  GDataInputStream *errors;
  char             *last_line;
  gint64            started_us;
  gboolean          exited;
  gboolean          eof;
  gboolean          failed_at_start;
  gboolean          stopping;
  int               status;
} Child;

struct _Pair
{
  StationLauncher *launcher;
  char            *cp_id;
  Child            engine;
  Child            monitor;
  AdwActionRow    *row;
  GtkWidget       *stop_button;
  GtkWidget       *remove_button;
  gboolean         ocpp;          /* an OCPP charger: no monitor */
};

struct _StationLauncher
{
  AdwApplicationWindow  parent_instance;

  StationSettings      *settings;
  char                 *program;
  GCancellable         *cancellable;
  GPtrArray            *pairs;
  GPtrArray            *stop_tasks;    /* GTask of station_launcher_stop_all_async() */
  guint                 stop_timeout_id;

  /* Template widgets. */
  AdwToastOverlay      *toast_overlay;
  AdwEntryRow          *cp_entry;
  AdwEntryRow          *location_entry;
  AdwEntryRow          *engine_entry;
  AdwEntryRow          *central_entry;
  AdwEntryRow          *tls_ca_entry;
  AdwEntryRow          *tls_fingerprint_entry;
  AdwEntryRow          *ocpp_entry;
  GtkListBox           *pairs_list;
};

G_DEFINE_FINAL_TYPE (StationLauncher, station_launcher, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_PROGRAM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
child_clear (Child *child)
{
  g_clear_object (&child->errors);
  g_clear_object (&child->process);
  g_clear_pointer (&child->last_line, g_free);
}

static void
pair_free (Pair *pair)
{
  child_clear (&pair->engine);
  child_clear (&pair->monitor);
  g_free (pair->cp_id);
  g_free (pair);
}

static void
toast (StationLauncher *self,
       const char      *text)
{
  ev_ui_add_toast (self->toast_overlay, text, 0);
}

static gboolean
child_running (const Child *child)
{
  return child->process != NULL && !child->exited;
}

/* Never started, or ended and its standard error read to the end: nothing
 * of it is still on its way. */
static gboolean
child_done (const Child *child)
{
  return child->process == NULL || (child->exited && child->eof);
}

static void
child_stop (Child *child)
{
  if (!child_running (child))
    return;
  child->stopping = TRUE;
  g_subprocess_send_signal (child->process, SIGTERM);
}

static char *
child_describe (const Child *child)
{
  if (child->process == NULL)
    return g_strdup (_("not started"));
  if (!child->exited)
    return g_strdup (_("running"));
  if (child->failed_at_start && child->last_line != NULL)
    /* Translators: a process that failed to start, and its last words. */
    return g_strdup_printf (_("failed to start (%s)"), child->last_line);
  if (child->failed_at_start)
    return g_strdup (_("failed to start"));
  if (child->stopping)
    return g_strdup (_("stopped"));
  if (child->status >= 0)
    return g_strdup_printf (_("exited with status %d"), child->status);
  return g_strdup (_("killed by a signal"));
}

static void
pair_update_row (Pair *pair)
{
  g_autofree char *engine = child_describe (&pair->engine);
  g_autofree char *monitor = child_describe (&pair->monitor);
  g_autofree char *subtitle = NULL;

  if (pair->ocpp)
    /* Translators: how the process of an OCPP charger is doing. */
    subtitle = g_strdup_printf (_("OCPP charger %s"), engine);
  else
    /* Translators: how the two processes of a CP are doing. */
    subtitle = g_strdup_printf (_("Engine %s, monitor %s"), engine, monitor);
  adw_action_row_set_subtitle (pair->row, subtitle);
  gtk_widget_set_sensitive (pair->stop_button, child_running (&pair->engine) || child_running (&pair->monitor));
  gtk_widget_set_visible (pair->remove_button, child_done (&pair->engine) && child_done (&pair->monitor));
}

/* Both the exit and the end of its standard error are in: say how it
 * ended, once. */
static void
child_finished (Child *child)
{
  Pair *pair = child->pair;
  StationLauncher *self = pair->launcher;
  gint64 lived_ms = (g_get_monotonic_time () - child->started_us) / 1000;
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;

  if (!child->exited || !child->eof)
    return;

  /* Stopped from here is not a failure, however soon. */
  child->failed_at_start = !child->stopping && lived_ms < STATION_LAUNCHER_STARTUP_GRACE_MS;
  pair_update_row (pair);
  if (!child->failed_at_start)
    return;

  if (child->last_line != NULL)
    reason = g_strdup (child->last_line);
  else if (child->status >= 0)
    reason = g_strdup_printf (_("exit status %d"), child->status);
  else
    reason = g_strdup (_("killed by a signal"));

  if (child->is_engine)
    text = g_strdup_printf (_("The engine of %s could not start: %s"), pair->cp_id, reason);
  else
    text = g_strdup_printf (_("The monitor of %s could not start: %s"), pair->cp_id, reason);
  g_message ("%s", text);
  /* A toast holds one short line: the reason is in the row. */
  g_clear_pointer (&text, g_free);
  if (child->is_engine)
    text = g_strdup_printf (_("The engine of %s could not start"), pair->cp_id);
  else
    text = g_strdup_printf (_("The monitor of %s could not start"), pair->cp_id);
  toast (self, text);

  /* A monitor without its engine has nothing to watch. */
  if (child->is_engine)
    child_stop (&pair->monitor);
}

/* The stops asked for are done once no process started here runs. */
static void
check_stopped (StationLauncher *self)
{
  g_autoptr(GPtrArray) tasks = NULL;

  if (self->stop_tasks->len == 0 || station_launcher_get_n_running (self) > 0)
    return;

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  tasks = g_steal_pointer (&self->stop_tasks);
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static void
child_waited_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Child *child;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Not cancelled: the launcher and the child are still there. */
  child = user_data;
  child->exited = TRUE;
  if (g_subprocess_get_if_exited (child->process))
    child->status = g_subprocess_get_exit_status (child->process);
  else
    child->status = -1;
  g_debug ("The %s of %s exited (status %d)", child->is_engine ? "engine" : "monitor", child->pair->cp_id,
           child->status);
  child_finished (child);
  check_stopped (child->pair->launcher);
}

static void read_next_line (Child *child);

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Child *child;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  child = user_data;
  if (line == NULL)
    {
      child->eof = TRUE;
      child_finished (child);
      return;
    }

  /* Passed on, so that a terminal shows what the pair says. */
  g_printerr ("[%s %s] %s\n", child->pair->cp_id, child->is_engine ? "engine" : "monitor", line);
  g_strstrip (line);
  if (*line != '\0')
    {
      g_free (child->last_line);
      child->last_line = g_steal_pointer (&line);
    }
  read_next_line (child);
}

static void
read_next_line (Child *child)
{
  g_data_input_stream_read_line_async (child->errors, G_PRIORITY_DEFAULT,
                                       child->pair->launcher->cancellable,
                                       line_read_cb, child);
}

static gboolean
child_spawn (Child               *child,
             const char * const  *argv,
             GError             **error)
{
  StationLauncher *self = child->pair->launcher;

  child->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (child->process == NULL)
    return FALSE;

  child->started_us = g_get_monotonic_time ();
  child->errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (child->process));
  g_subprocess_wait_async (child->process, self->cancellable, child_waited_cb, child);
  read_next_line (child);
  return TRUE;
}

static void
stop_clicked_cb (GtkButton *button,
                 Pair      *pair)
{
  child_stop (&pair->monitor);
  child_stop (&pair->engine);
}

/* A pair whose processes are both over leaves the list. */
static void
remove_clicked_cb (GtkButton *button,
                   Pair      *pair)
{
  StationLauncher *self = pair->launcher;

  if (!child_done (&pair->engine) || !child_done (&pair->monitor))
    return;
  gtk_list_box_remove (self->pairs_list, GTK_WIDGET (pair->row));
  g_ptr_array_remove (self->pairs, pair);
}

static Pair *
pair_new (StationLauncher *self,
          const char      *cp_id,
          const char      *location)
{
  Pair *pair = g_new0 (Pair, 1);
  g_autofree char *title = NULL;
  g_autofree char *stop_label = NULL;
  g_autofree char *remove_label = NULL;

  pair->launcher = self;
  pair->cp_id = g_strdup (cp_id);
  pair->engine.pair = pair;
  pair->engine.is_engine = TRUE;
  pair->monitor.pair = pair;

  title = *location != '\0' ? g_strdup_printf ("%s — %s", cp_id, location) : g_strdup (cp_id);
  pair->row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (pair->row), title);

  pair->stop_button = gtk_button_new_with_label (C_("action", "Stop"));
  gtk_widget_set_valign (pair->stop_button, GTK_ALIGN_CENTER);
  /* Translators: the accessible name of a pair's Stop button. */
  stop_label = g_strdup_printf (_("Stop the engine and the monitor of %s"), cp_id);
  gtk_widget_set_tooltip_text (pair->stop_button, stop_label);
  ev_ui_set_a11y_label (pair->stop_button, stop_label);
  g_signal_connect (pair->stop_button, "clicked", G_CALLBACK (stop_clicked_cb), pair);
  adw_action_row_add_suffix (pair->row, pair->stop_button);

  pair->remove_button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (pair->remove_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (pair->remove_button, "flat");
  /* Translators: the accessible name of a pair's Remove button. */
  remove_label = g_strdup_printf (_("Remove %s from the list"), cp_id);
  gtk_widget_set_tooltip_text (pair->remove_button, remove_label);
  ev_ui_set_a11y_label (pair->remove_button, remove_label);
  gtk_widget_set_visible (pair->remove_button, FALSE);
  g_signal_connect (pair->remove_button, "clicked", G_CALLBACK (remove_clicked_cb), pair);
  adw_action_row_add_suffix (pair->row, pair->remove_button);

  g_ptr_array_add (self->pairs, pair);
  gtk_list_box_prepend (self->pairs_list, GTK_WIDGET (pair->row));
  return pair;
}

/* A free TCP port on this machine, for "auto". Another program could take
 * it before the engine binds it; the engine then fails at once, and says
 * so. */
static guint
pick_free_port (GError **error)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (!g_socket_listener_add_address (listener, any_port, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &bound, error))
    return 0;
  g_socket_listener_close (listener);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Where the monitor reaches an engine listening on @listen: the loopback
 * address when the engine listens on every address. */
static char *
engine_connect_address (const char  *listen,
                        GError     **error)
{
  g_autoptr(GSocketAddress) address = station_parse_address (listen, error);
  GInetAddress *inet;
  g_autofree char *host = NULL;
  guint port;

  if (address == NULL)
    return NULL;

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  if (port == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The engine needs a fixed port for its monitor, or “auto”"));
      return NULL;
    }
  if (g_inet_address_get_is_any (inet))
    return g_strdup_printf ("127.0.0.1:%u", port);

  host = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/**
 * station_launcher_start:
 * @self: a #StationLauncher
 * @error: where to put what is wrong with the fields
 *
 * Starts `ev-station engine` and `ev-station monitor` for the CP in the
 * fields. Their later failures are reported in the window.
 *
 * Returns: %TRUE if both processes were started
 */
gboolean
station_launcher_start (StationLauncher  *self,
                        GError          **error)
{
  g_autofree char *cp_id = NULL;
  g_autofree char *location = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *central = NULL;
  g_autofree char *engine = NULL;
  g_autofree char *tls_ca = NULL;
  g_autofree char *tls_fingerprint = NULL;
  g_autofree char *secret_file = station_pairing_default_path ();
  g_autoptr(GSocketAddress) central_address = NULL;
  g_autoptr(GPtrArray) engine_argv = g_ptr_array_new ();
  g_autoptr(GPtrArray) monitor_argv = g_ptr_array_new ();
  Pair *pair;

  g_return_val_if_fail (STATION_IS_LAUNCHER (self), FALSE);

  cp_id = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->cp_entry))));
  location = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->location_entry))));
  listen = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->engine_entry))));
  central = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->central_entry))));
  tls_ca = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->tls_ca_entry))));
  tls_fingerprint = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->tls_fingerprint_entry))));

  if (!ev_protocol_validate_cp_id (cp_id, _("Charging point id"), error))
    return FALSE;
  if (*location != '\0' && !ev_protocol_validate_location (location, _("Location"), error))
    return FALSE;

  if (*listen == '\0' || g_ascii_strcasecmp (listen, "auto") == 0)
    {
      guint port = pick_free_port (error);

      if (port == 0)
        return FALSE;
      g_free (listen);
      listen = g_strdup_printf ("127.0.0.1:%u", port);
    }
  engine = engine_connect_address (listen, error);
  if (engine == NULL)
    return FALSE;

  central_address = station_parse_address (central, error);
  if (central_address == NULL)
    return FALSE;
  /* Checked here, so that a mistake shows before any process starts. */
  if (*tls_ca != '\0' || *tls_fingerprint != '\0')
    {
      g_autoptr(EvTlsClient) tls = ev_tls_client_new (*tls_ca != '\0' ? tls_ca : NULL,
                                                      *tls_fingerprint != '\0' ? tls_fingerprint : NULL,
                                                      NULL, NULL, error);

      if (tls == NULL)
        return FALSE;
    }

  g_ptr_array_add (engine_argv, self->program);
  g_ptr_array_add (engine_argv, (char *) "engine");
  g_ptr_array_add (engine_argv, (char *) "--listen");
  g_ptr_array_add (engine_argv, listen);
  /* Both given the secret by name: an engine on 0.0.0.0 needs it so. */
  g_ptr_array_add (engine_argv, (char *) "--pairing-secret-file");
  g_ptr_array_add (engine_argv, secret_file);
  if (*location != '\0')
    {
      g_ptr_array_add (engine_argv, (char *) "--location");
      g_ptr_array_add (engine_argv, location);
    }
  g_ptr_array_add (engine_argv, NULL);

  pair = pair_new (self, cp_id, location);
  if (child_spawn (&pair->engine, (const char * const *) engine_argv->pdata, error))
    {
      const char * const common[] = {
        self->program, "monitor", "--id", cp_id, "--engine", engine, "--central", central,
        "--pairing-secret-file", secret_file,
      };

      for (guint i = 0; i < G_N_ELEMENTS (common); i++)
        g_ptr_array_add (monitor_argv, (char *) common[i]);
      if (*tls_ca != '\0')
        {
          g_ptr_array_add (monitor_argv, (char *) "--tls-ca");
          g_ptr_array_add (monitor_argv, tls_ca);
        }
      if (*tls_fingerprint != '\0')
        {
          g_ptr_array_add (monitor_argv, (char *) "--tls-fingerprint");
          g_ptr_array_add (monitor_argv, tls_fingerprint);
        }
      g_ptr_array_add (monitor_argv, NULL);

      /* The monitor finds the engine whenever it comes up: it retries. */
      if (!child_spawn (&pair->monitor, (const char * const *) monitor_argv->pdata, error))
        child_stop (&pair->engine);
    }
  pair_update_row (pair);

  return pair->monitor.process != NULL;
}

/**
 * station_launcher_start_ocpp:
 * @self: a #StationLauncher
 * @error: where to put what is wrong with the URL
 *
 * Starts `ev-station engine --ocpp URL` for the URL in the OCPP field:
 * one simulated OCPP 1.6-J charger in its own window.
 *
 * Returns: %TRUE if the process was started
 */
gboolean
station_launcher_start_ocpp (StationLauncher  *self,
                             GError          **error)
{
  g_autofree char *url = NULL;
  g_autofree char *cp_id = NULL;
  g_autofree char *stop_label = NULL;
  Pair *pair;

  g_return_val_if_fail (STATION_IS_LAUNCHER (self), FALSE);

  url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ocpp_entry))));
  cp_id = station_ocpp_url_cp_id (url, error);
  if (cp_id == NULL)
    return FALSE;

  pair = pair_new (self, cp_id, _("OCPP 1.6-J"));
  pair->ocpp = TRUE;
  /* Translators: the accessible name of an OCPP charger's Stop button. */
  stop_label = g_strdup_printf (_("Stop the OCPP charger %s"), cp_id);
  gtk_widget_set_tooltip_text (pair->stop_button, stop_label);
  ev_ui_set_a11y_label (pair->stop_button, stop_label);
  {
    const char * const argv[] = { self->program, "engine", "--ocpp", url, NULL };

    child_spawn (&pair->engine, argv, error);
  }
  pair_update_row (pair);
  return pair->engine.process != NULL;
}

static void
start_ocpp_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  StationLauncher *self = STATION_LAUNCHER (widget);
  g_autoptr(GError) error = NULL;

  if (!station_launcher_start_ocpp (self, &error))
    toast (self, error->message);
}

static void
ocpp_entry_activated_cb (StationLauncher *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "launcher.start-ocpp", NULL);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  StationLauncher *self = STATION_LAUNCHER (widget);
  g_autoptr(GError) error = NULL;

  if (!station_launcher_start (self, &error))
    toast (self, error->message);
}

static void
entry_activated_cb (StationLauncher *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "launcher.start", NULL);
}

static void
bind_entry (StationLauncher *self,
            const char      *property,
            AdwEntryRow     *entry)
{
  g_object_bind_property (self->settings, property, entry, "text",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

static void
station_launcher_constructed (GObject *object)
{
  StationLauncher *self = STATION_LAUNCHER (object);

  G_OBJECT_CLASS (station_launcher_parent_class)->constructed (object);

  g_assert (STATION_IS_SETTINGS (self->settings));
  if (self->program == NULL)
    self->program = g_file_read_link ("/proc/self/exe", NULL);
  if (self->program == NULL)
    self->program = g_strdup ("ev-station");

  bind_entry (self, "cp-id", self->cp_entry);
  bind_entry (self, "location", self->location_entry);
  bind_entry (self, "engine-address", self->engine_entry);
  bind_entry (self, "central-address", self->central_entry);
  bind_entry (self, "tls-ca", self->tls_ca_entry);
  bind_entry (self, "tls-fingerprint", self->tls_fingerprint_entry);
}

static void
station_launcher_dispose (GObject *object)
{
  StationLauncher *self = STATION_LAUNCHER (object);

  /* The processes go on running: they have their own windows. */
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  if (self->stop_tasks != NULL)
    {
      for (guint i = 0; i < self->stop_tasks->len; i++)
        g_task_return_new_error (g_ptr_array_index (self->stop_tasks, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 _("The launcher was closed"));
      g_clear_pointer (&self->stop_tasks, g_ptr_array_unref);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), STATION_TYPE_LAUNCHER);
  g_clear_pointer (&self->pairs, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (station_launcher_parent_class)->dispose (object);
}

static void
station_launcher_finalize (GObject *object)
{
  StationLauncher *self = STATION_LAUNCHER (object);

  g_clear_pointer (&self->program, g_free);

  G_OBJECT_CLASS (station_launcher_parent_class)->finalize (object);
}

static void
station_launcher_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  StationLauncher *self = STATION_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_PROGRAM:
      g_value_set_string (value, self->program);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_launcher_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  StationLauncher *self = STATION_LAUNCHER (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_PROGRAM:
      self->program = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_launcher_class_init (StationLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = station_launcher_constructed;
  object_class->dispose = station_launcher_dispose;
  object_class->finalize = station_launcher_finalize;
  object_class->get_property = station_launcher_get_property;
  object_class->set_property = station_launcher_set_property;

  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, STATION_TYPE_SETTINGS, flags);
  properties[PROP_PROGRAM] = g_param_spec_string ("program", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  station_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, STATION_RESOURCE_PATH "/station-launcher.ui");
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, cp_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, location_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, engine_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, central_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, tls_ca_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, tls_fingerprint_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, ocpp_entry);
  gtk_widget_class_bind_template_child (widget_class, StationLauncher, pairs_list);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, ocpp_entry_activated_cb);

  gtk_widget_class_install_action (widget_class, "launcher.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "launcher.start-ocpp", NULL, start_ocpp_action);
  ev_ui_class_install_shortcuts (widget_class, "/io/github/evcharging/EVCharging/Station/shortcuts.ui");
}

static void
station_launcher_init (StationLauncher *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) pair_free);
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

StationLauncher *
station_launcher_new (GtkApplication  *app,
                      StationSettings *settings,
                      const char      *program)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (STATION_IS_SETTINGS (settings), NULL);

  return g_object_new (STATION_TYPE_LAUNCHER,
                       "application", app,
                       "settings", settings,
                       "program", program,
                       NULL);
}

void
station_launcher_stop_all (StationLauncher *self)
{
  g_return_if_fail (STATION_IS_LAUNCHER (self));

  for (guint i = 0; i < self->pairs->len; i++)
    stop_clicked_cb (NULL, g_ptr_array_index (self->pairs, i));
}

/* The processes that did not stop in time. */
static void
stop_timeout_cb (gpointer user_data)
{
  StationLauncher *self = user_data;

  self->stop_timeout_id = 0;
  for (guint i = 0; i < self->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (self->pairs, i);
      Child *children[] = { &pair->engine, &pair->monitor };

      for (guint j = 0; j < G_N_ELEMENTS (children); j++)
        if (child_running (children[j]))
          {
            g_message ("The %s of %s did not stop in time: killing it",
                       children[j]->is_engine ? "engine" : "monitor", pair->cp_id);
            g_subprocess_force_exit (children[j]->process);
          }
    }
}

/**
 * station_launcher_stop_all_async:
 * @self: a #StationLauncher
 * @callback: called once every process started here has exited
 * @user_data: for @callback
 *
 * Sends SIGTERM to every process started here that still runs, so that
 * each shuts down cleanly, and waits for them all to exit; one still
 * running after %STATION_LAUNCHER_STOP_TIMEOUT_MS is killed.
 */
void
station_launcher_stop_all_async (StationLauncher     *self,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (STATION_IS_LAUNCHER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, station_launcher_stop_all_async);

  station_launcher_stop_all (self);
  g_ptr_array_add (self->stop_tasks, g_steal_pointer (&task));
  if (self->stop_timeout_id == 0 && station_launcher_get_n_running (self) > 0)
    self->stop_timeout_id = g_timeout_add_once (STATION_LAUNCHER_STOP_TIMEOUT_MS, stop_timeout_cb, self);
  check_stopped (self);
}

/**
 * station_launcher_stop_all_finish:
 * @self: a #StationLauncher
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE once every process started here has exited; %FALSE if
 *   the launcher was closed first
 */
gboolean
station_launcher_stop_all_finish (StationLauncher  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == station_launcher_stop_all_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
station_launcher_get_n_pairs (StationLauncher *self)
{
  g_return_val_if_fail (STATION_IS_LAUNCHER (self), 0);
  return self->pairs->len;
}

guint
station_launcher_get_n_running (StationLauncher *self)
{
  guint n = 0;

  g_return_val_if_fail (STATION_IS_LAUNCHER (self), 0);

  for (guint i = 0; i < self->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (self->pairs, i);

      n += child_running (&pair->engine) + child_running (&pair->monitor);
    }
  return n;
}

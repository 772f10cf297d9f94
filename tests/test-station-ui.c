/* test-station-ui: the station's windows under Xvfb.
 *
 * The engine and monitor windows show a real StationEngine and a real
 * StationMonitor linked to each other, on librdkafka's mock cluster (the
 * code ev-broker runs), with a test Central (station-peers) that
 * registers the CP and a Kafka peer that publishes Central's directives.
 * The launcher runs small shell scripts in place of ev-station.
 *
 * The programs as a user starts them (ev-station engine and monitor with
 * their windows, and the launcher with a pair it started) must stop
 * cleanly on SIGINT and SIGTERM.
 *
 * With EV_STATION_SCREENSHOTS=<folder> a last test saves
 * screenshot-station-engine.png and screenshot-station-monitor.png there:
 * an engine in the middle of a supply, and its monitor. */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "ev-discovery.h"
#include "ev-mock-cluster.h"
#include "station-application.h"
#include "station-engine-window.h"
#include "ev-tls.h"
#include "station-launcher.h"
#include "station-monitor-window.h"
#include "station-peers.h"
#include "station-settings.h"
#include "test-utils.h"
#include "ui-test-utils.h"

#define CP_ID "ALC-001"
#define LOCATION "Alicante, Av. Maisonnave 12"

/* Widgets ------------------------------------------------------------------ */

/* The monitor's two badges: 0 the engine's health, 1 the link to Central. */
static gboolean
is_nth_badge (GtkWidget     *widget,
              gconstpointer  data)
{
  guint *skip = (guint *) data;

  if (!GTK_IS_LABEL (widget) || !gtk_widget_has_css_class (widget, "health-badge"))
    return FALSE;
  if (*skip == 0)
    return TRUE;
  (*skip)--;
  return FALSE;
}

static GtkLabel *
find_badge (GtkWidget *widget,
            guint     *skip)
{
  return (GtkLabel *) ev_ui_test_find (widget, is_nth_badge, skip, EV_UI_TEST_ANY);
}

typedef struct {
  GtkWidget  *window;
  guint       index;
  const char *text;
} BadgeWait;

static gboolean
badge_shows (gpointer user_data)
{
  BadgeWait *wait = user_data;
  guint skip = wait->index;
  GtkLabel *badge = find_badge (wait->window, &skip);

  g_assert_nonnull (badge);
  return g_str_equal (gtk_label_get_label (badge), wait->text);
}

static void
wait_badge (GtkWidget  *window,
            guint       index,
            const char *text)
{
  BadgeWait wait = { window, index, text };

  ev_test_wait_until (NULL, badge_shows, &wait, PEER_WAIT_MS, text);
}

#define HEALTH 0
#define LINK 1

typedef struct {
  GtkWidget  *banner;
  const char *css_class;
} BannerWait;

static gboolean
banner_has_class (gpointer user_data)
{
  BannerWait *wait = user_data;

  return gtk_widget_has_css_class (wait->banner, wait->css_class);
}

/* Waits for the banner to show @state: its class, and @label in it. */
static void
wait_banner (GtkWidget  *window,
             EvCpState   state,
             const char *label)
{
  BannerWait wait = { ev_ui_test_find_class (window, "state-banner"), ev_cp_state_get_css_class (state) };

  g_assert_nonnull (wait.banner);
  ev_test_wait_until (NULL, banner_has_class, &wait, PEER_WAIT_MS, ev_cp_state_to_string (state));
  for (guint i = 0; i <= EV_CP_STATE_LAST; i++)
    if (i != state)
      g_assert_false (gtk_widget_has_css_class (wait.banner, ev_cp_state_get_css_class (i)));
  g_assert_nonnull (ev_ui_test_find_label (wait.banner, label, EV_UI_TEST_ANY));
}

/* A charging point: engine + monitor + test Central + Kafka peer ----------- */

typedef struct {
  char                 *tmpdir;
  char *secret_file;         /* the engine and monitor pairing secret */
  EvMockCluster        *cluster;
  PeerCentral           central;
  PeerServer           *central_server;
  PeerKafka            *kafka;
  StationEngine        *engine;
  StationMonitor       *monitor;
  StationEngineWindow  *engine_window;
  StationMonitorWindow *monitor_window;
} Fixture;

static gboolean
engine_ready (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_strcmp0 (station_engine_get_cp_id (fixture->engine), CP_ID) == 0 &&
         station_engine_get_central_reachable (fixture->engine) &&
         station_engine_get_price (fixture->engine) > 0.0;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *engine_address = NULL;
  g_autofree char *central_address = NULL;

  fixture->tmpdir = ev_test_make_tmpdir ();
  fixture->secret_file = g_build_filename (fixture->tmpdir, "pairing.secret", NULL);
  fixture->cluster = ev_mock_cluster_new (1, &error);
  g_assert_no_error (error);
  peer_central_init (&fixture->central);
  fixture->central_server = peer_server_new (0, peer_central_func, &fixture->central);

  fixture->engine = g_object_new (STATION_TYPE_ENGINE,
                                  "listen", "127.0.0.1:0",
                                  "bootstrap", ev_mock_cluster_get_bootstrap (fixture->cluster),
                                  "location", LOCATION,
                                  "pairing-secret-file", fixture->secret_file,
                                  "progress-interval", (gint64) 250,
                                  /* The screenshots show a fast charger: figures worth reading
                                   * within seconds. */
                                  "power-kw", data != NULL ? 350.0 : 22.0,
                                  NULL);
  g_assert_true (station_engine_start (fixture->engine, &error));
  g_assert_no_error (error);

  engine_address = g_strdup_printf ("127.0.0.1:%u", station_engine_get_port (fixture->engine));
  central_address = peer_server_dup_address (fixture->central_server);
  fixture->monitor = g_object_new (STATION_TYPE_MONITOR,
                                   "cp-id", CP_ID,
                                   "engine", engine_address,
                                   "central", central_address,
                                   "token-dir", fixture->tmpdir,
                                   "pairing-secret-file", fixture->secret_file,
                                   "interval", 200,
                                   "health-timeout", 2000,
                                   "reconnect-min", 100,
                                   "reconnect-max", 400,
                                   NULL);

  /* The windows come first, so that they see every transition. */
  fixture->engine_window = g_object_ref_sink (station_engine_window_new (NULL, fixture->engine));
  fixture->monitor_window = g_object_ref_sink (station_monitor_window_new (NULL, fixture->monitor));
  if (data != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (fixture->engine_window), 560, 860);
      gtk_window_set_default_size (GTK_WINDOW (fixture->monitor_window), 560, 980);
    }
  gtk_window_present (GTK_WINDOW (fixture->engine_window));
  gtk_window_present (GTK_WINDOW (fixture->monitor_window));

  g_assert_true (station_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
  fixture->kafka = peer_kafka_new (ev_mock_cluster_get_bootstrap (fixture->cluster));
  ev_test_wait_until (NULL, engine_ready, fixture, PEER_WAIT_MS, "the engine bound, priced and told of Central");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->monitor_window));
  ev_ui_test_destroy_window (g_steal_pointer (&fixture->engine_window), PEER_WAIT_MS);
  g_assert_finalize_object (g_steal_pointer (&fixture->monitor_window));

  station_monitor_shutdown (fixture->monitor);
  g_assert_finalize_object (g_steal_pointer (&fixture->monitor));
  peer_kafka_free (fixture->kafka);
  station_engine_shutdown (fixture->engine);
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  g_clear_pointer (&fixture->central_server, peer_server_free);
  peer_central_clear (&fixture->central);
  g_assert_finalize_object (g_steal_pointer (&fixture->cluster));
  ev_test_rm_rf (fixture->tmpdir);
  g_free (fixture->tmpdir);
  g_free (fixture->secret_file);
}

static void
start_supply (Fixture    *fixture,
              const char *supply_id,
              const char *driver_id)
{
  peer_kafka_directive (fixture->kafka, CP_ID, EV_DIRECTIVE_ACTION_START, supply_id, driver_id,
                        ev_protocol_now_ms () + 60000);
  wait_banner (GTK_WIDGET (fixture->engine_window), EV_CP_STATE_WAITING, "Plug in the vehicle");
}

/* Engine window ------------------------------------------------------------- */

static void
test_engine_buttons (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->engine_window);
  GtkWidget *plug = ev_ui_test_find_button (window, "engine.plug");
  GtkWidget *unplug = ev_ui_test_find_button (window, "engine.unplug");
  GtkWidget *fault = ev_ui_test_find_button (window, "engine.simulate-fault");
  GtkWidget *repair = ev_ui_test_find_button (window, "engine.repair");
  const char *supply_id = "0b6e1c1e-5f0a-4d3a-9c51-1d2f3a4b5c6d";
  g_autofree char *price = NULL;

  g_assert_nonnull (plug);
  g_assert_nonnull (unplug);
  g_assert_nonnull (fault);
  g_assert_nonnull (repair);

  /* Idle: the CP's identity, and only a fault is possible. */
  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
  g_assert_nonnull (ev_ui_test_find_label (window, CP_ID, EV_UI_TEST_ANY));
  g_assert_nonnull (ev_ui_test_find_label (window, LOCATION, EV_UI_TEST_ANY));
  price = g_strdup_printf ("%.2f €/kWh", 0.35);
  ev_ui_test_wait_label (window, price, EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "Central reachable", EV_UI_TEST_ANY, PEER_WAIT_MS);
  g_assert_nonnull (ev_ui_test_find_label (window, "Monitor connected", EV_UI_TEST_ANY));
  g_assert_false (gtk_widget_get_sensitive (plug));
  g_assert_false (gtk_widget_get_sensitive (unplug));
  g_assert_true (gtk_widget_get_sensitive (fault));
  g_assert_false (gtk_widget_get_sensitive (repair));

  /* Authorised by Central: green, "Plug in the vehicle"; Plug in works. */
  start_supply (fixture, supply_id, "driver-0417");
  g_assert_true (gtk_widget_get_sensitive (plug));
  g_signal_emit_by_name (plug, "clicked");
  wait_banner (window, EV_CP_STATE_SUPPLYING, ev_cp_state_get_label (EV_CP_STATE_SUPPLYING));
  g_assert_nonnull (ev_ui_test_find_label (window, "Driver driver-0417", EV_UI_TEST_ANY));
  g_assert_false (gtk_widget_get_sensitive (plug));
  g_assert_true (gtk_widget_get_sensitive (unplug));

  /* Live figures follow the engine's progress. */
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 2);
  {
    g_autofree char *kwh = g_strdup_printf ("%.2f kWh", station_engine_get_kwh (fixture->engine));

    ev_ui_test_wait_label (window, kwh, EV_UI_TEST_ANY, PEER_WAIT_MS);
  }

  /* Unplugged: a ticket, available again, and a toast says so. */
  g_signal_emit_by_name (unplug, "clicked");
  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  ev_ui_test_wait_label (window, "Supply finished", EV_UI_TEST_ANY, PEER_WAIT_MS);

  /* A fault turns it red; only Repair is offered; Repair turns it back. */
  g_assert_true (gtk_widget_activate_action (window, "engine.simulate-fault", NULL));
  wait_banner (window, EV_CP_STATE_BROKEN, ev_cp_state_get_label (EV_CP_STATE_BROKEN));
  g_assert_false (gtk_widget_get_sensitive (fault));
  g_assert_true (gtk_widget_get_sensitive (repair));
  g_assert_false (gtk_widget_get_sensitive (ev_ui_test_find_button (window, "engine.request-supply")));
  g_signal_emit_by_name (repair, "clicked");
  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
}

static gboolean
request_sensitive (gpointer window)
{
  return gtk_widget_get_sensitive (ev_ui_test_find_button (window, "engine.request-supply"));
}

static gboolean
request_insensitive (gpointer window)
{
  return !request_sensitive (window);
}

static void
test_engine_request_and_errors (Fixture       *fixture,
                                gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->engine_window);
  GtkEditable *driver = GTK_EDITABLE (ev_ui_test_find_type (window, ADW_TYPE_ENTRY_ROW));
  g_autoptr(GError) expected = NULL;
  const EvSupplyRequest *request;

  g_assert_nonnull (driver);
  /* Offered once the broker and Central are both reachable. */
  ev_test_wait_until (NULL, request_sensitive, window, PEER_WAIT_MS, "Request Supply enabled");

  /* Empty: the station asks as itself. */
  g_assert_true (gtk_widget_activate_action (window, "engine.request-supply", NULL));
  request = peer_kafka_wait_request (fixture->kafka, 1);
  g_assert_cmpstr (request->driver_id, ==, "station:" CP_ID);
  ev_ui_test_wait_label (window, "Supply requested for station:" CP_ID, EV_UI_TEST_ANY, PEER_WAIT_MS);

  /* A driver id typed in. */
  gtk_editable_set_text (driver, "driver-1022");
  g_assert_true (gtk_widget_activate_action (window, "engine.request-supply", NULL));
  request = peer_kafka_wait_request (fixture->kafka, 2);
  g_assert_cmpstr (request->driver_id, ==, "driver-1022");

  /* An invalid one: the engine's error, as a toast. */
  g_assert_null (station_engine_request_supply (fixture->engine, "bad id!", &expected));
  g_assert_nonnull (expected);
  gtk_editable_set_text (driver, "bad id!");
  g_assert_true (gtk_widget_activate_action (window, "engine.request-supply", NULL));
  ev_ui_test_wait_label (window, expected->message, EV_UI_TEST_ANY, PEER_WAIT_MS);

  /* Plug in while nothing is authorised is not offered at all. */
  g_assert_false (gtk_widget_get_sensitive (ev_ui_test_find_button (window, "engine.plug")));

  /* Nobody answers (no Central reads the topic here): the station is
   * told so after the answer time-out, instead of waiting for ever. */
  ev_ui_test_wait_label (window, "Central did not answer the request for station:" CP_ID,
                         EV_UI_TEST_ANY, STATION_ENGINE_ANSWER_TIMEOUT_MS + PEER_WAIT_MS);
}

/* Cut off from the broker, the engine is not shown as a green "ready":
 * it says why nothing can be authorised, and asking is off until the
 * broker is back. */
static void
test_engine_cut_off (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->engine_window);
  g_autoptr(GError) error = NULL;
  GtkWidget *banner;

  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
  ev_ui_test_wait_label (window, "Ready for a supply", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_test_wait_until (NULL, request_sensitive, window, PEER_WAIT_MS, "Request Supply enabled");
  banner = ev_ui_test_find_class (window, "state-banner");
  g_assert_false (gtk_widget_has_css_class (banner, "cut-off"));

  g_assert_true (ev_mock_cluster_set_down (fixture->cluster, &error));
  g_assert_no_error (error);
  ev_ui_test_wait_label (window, "Broker unreachable", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "The broker cannot be reached", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_test_wait_until (NULL, request_insensitive, window, PEER_WAIT_MS, "Request Supply disabled");
  g_assert_true (gtk_widget_has_css_class (banner, "cut-off"));

  g_assert_true (ev_mock_cluster_set_up (fixture->cluster, &error));
  g_assert_no_error (error);
  ev_ui_test_wait_label (window, "Ready for a supply", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_test_wait_until (NULL, request_sensitive, window, PEER_WAIT_MS, "Request Supply enabled again");
  g_assert_false (gtk_widget_has_css_class (banner, "cut-off"));
}

/* Monitor window ------------------------------------------------------------ */

static int
log_index (StationMonitorWindow *window,
           const char           *text)
{
  GListModel *log = station_monitor_window_get_log (window);

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(GtkStringObject) line = g_list_model_get_item (log, i);

      if (strstr (gtk_string_object_get_string (line), text) != NULL)
        return (int) i;
    }
  return -1;
}

static void
test_monitor_window (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->monitor_window);
  int ko_at, ok_at;

  wait_badge (window, HEALTH, "OK");
  wait_badge (window, LINK, "Registered");
  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
  g_assert_nonnull (ev_ui_test_find_label (window, LOCATION, EV_UI_TEST_ANY));
  g_assert_nonnull (ev_ui_test_find_label (window, "0.35 €/kWh", EV_UI_TEST_ANY));
  g_assert_cmpint (station_monitor_get_last_check (fixture->monitor), >, 0);

  /* The engine reports a fault: KO, and BROKEN reported to Central. */
  station_engine_set_ko (fixture->engine, TRUE);
  wait_badge (window, HEALTH, "KO");
  wait_banner (window, EV_CP_STATE_BROKEN, ev_cp_state_get_label (EV_CP_STATE_BROKEN));
  station_engine_set_ko (fixture->engine, FALSE);
  wait_banner (window, EV_CP_STATE_ACTIVE, ev_cp_state_get_label (EV_CP_STATE_ACTIVE));
  wait_badge (window, HEALTH, "OK");

  /* The log has both transitions, newest first. */
  ko_at = log_index (fixture->monitor_window, "Engine health KO (was OK)");
  ok_at = log_index (fixture->monitor_window, "Engine health OK (was KO)");
  g_assert_cmpint (ko_at, >=, 0);
  g_assert_cmpint (ok_at, >=, 0);
  g_assert_cmpint (ok_at, <, ko_at);
  g_assert_cmpint (log_index (fixture->monitor_window, "Central link Registered"), >, ko_at);

  /* Central goes away: Down, and the engine hears of it. */
  g_clear_pointer (&fixture->central_server, peer_server_free);
  wait_badge (window, LINK, "Down");
  ev_ui_test_wait_label (GTK_WIDGET (fixture->engine_window), "Central unreachable", EV_UI_TEST_ANY, PEER_WAIT_MS);
  g_assert_cmpint (log_index (fixture->monitor_window, "Central link Down"), >=, 0);
}

/* Screenshots ---------------------------------------------------------------- */

static void
save_png (GtkWidget  *widget,
          const char *folder,
          const char *name)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);

  ev_ui_test_save_png (widget, path);
}

static gboolean
supplied_a_while (gpointer user_data)
{
  return station_engine_get_kwh (user_data) >= 0.5;
}

static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *folder = g_getenv ("EV_STATION_SCREENSHOTS");

  start_supply (fixture, "5d1f0b7a-3c2e-4a8b-9f10-7e6d5c4b3a21", "driver-0417");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->engine_window), "engine.plug", NULL));
  /* 350 kW for about five seconds. */
  ev_test_wait_until (NULL, supplied_a_while, fixture->engine, PEER_WAIT_MS, "some energy");
  wait_banner (GTK_WIDGET (fixture->monitor_window), EV_CP_STATE_SUPPLYING,
               ev_cp_state_get_label (EV_CP_STATE_SUPPLYING));
  ev_test_sleep_spinning (NULL, 500);
  save_png (GTK_WIDGET (fixture->engine_window), folder, "screenshot-station-engine.png");
  save_png (GTK_WIDGET (fixture->monitor_window), folder, "screenshot-station-monitor.png");
}

/* Launcher -------------------------------------------------------------------- */

static void
test_launcher_new_destroy (void)
{
  StationSettings *settings = station_settings_new ();
  g_autoptr(GSettings) gsettings = g_settings_new ("io.github.evcharging.EVCharging.Station");
  StationLauncher *launcher = g_object_ref_sink (station_launcher_new (NULL, settings, "/bin/true"));
  GtkWidget *window = GTK_WIDGET (launcher);
  g_autofree char *stored = NULL;
  GtkEditable *cp_entry;

  gtk_window_present (GTK_WINDOW (launcher));
  g_assert_cmpstr (station_settings_get_cp_id (settings), ==, "CP-001");
  g_assert_cmpstr (station_settings_get_engine_address (settings), ==, "auto");
  g_assert_cmpstr (station_settings_get_central_address (settings), ==, "127.0.0.1:7001");
  g_assert_cmpstr (station_settings_get_location (settings), ==, "");
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 0);

  /* The fields show the settings and write them back. */
  cp_entry = GTK_EDITABLE (ev_ui_test_find_type (window, ADW_TYPE_ENTRY_ROW));
  g_assert_cmpstr (gtk_editable_get_text (cp_entry), ==, "CP-001");
  gtk_editable_set_text (cp_entry, "ELX-002");
  stored = g_settings_get_string (gsettings, "cp-id");
  g_assert_cmpstr (stored, ==, "ELX-002");
  g_settings_set_string (gsettings, "central-address", "192.0.2.10:7001");
  g_assert_cmpstr (station_settings_get_central_address (settings), ==, "192.0.2.10:7001");
  g_assert_nonnull (ev_ui_test_find_label (window, "None yet", EV_UI_TEST_ANY));

  /* A bad id is refused before anything starts. */
  gtk_editable_set_text (cp_entry, "bad id!");
  g_assert_true (gtk_widget_activate_action (window, "launcher.start", NULL));
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 0);

  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  g_settings_reset (gsettings, "cp-id");
  g_settings_reset (gsettings, "central-address");
  g_assert_finalize_object (settings);
}

static void
reset_settings (void)
{
  g_autoptr(GSettings) gsettings = g_settings_new ("io.github.evcharging.EVCharging.Station");

  g_settings_reset (gsettings, "cp-id");
  g_settings_reset (gsettings, "location");
  g_settings_reset (gsettings, "engine-address");
  g_settings_reset (gsettings, "central-address");
  g_settings_reset (gsettings, "tls-ca");
  g_settings_reset (gsettings, "tls-fingerprint");
}

static char *
write_script (const char *folder,
              const char *name,
              const char *body)
{
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\n%s\n", body);
  char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return path;
}

typedef struct {
  StationLauncher *launcher;
  guint            n;
} RunningWait;

static gboolean
running_is (gpointer user_data)
{
  RunningWait *wait = user_data;

  return station_launcher_get_n_running (wait->launcher) == wait->n;
}

static void
wait_running (StationLauncher *launcher,
              guint            n)
{
  RunningWait wait = { launcher, n };

  ev_test_wait_until (NULL, running_is, &wait, PEER_WAIT_MS, "the processes");
}

typedef struct {
  const char *path;
  guint       lines;
} FileWait;

static gboolean
file_has_lines (gpointer user_data)
{
  FileWait *wait = user_data;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (wait->path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  /* The last piece follows the last newline. */
  return g_strv_length (lines) == wait->lines + 1;
}

/* An entry row whose title starts with @data. */
static gboolean
is_entry_titled (GtkWidget     *widget,
                 gconstpointer  data)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data);
}

/* The launcher starts an OCPP charger: `ev-station engine --ocpp URL`,
 * one process; a URL that names no charger starts nothing. */
static void
test_launcher_starts_ocpp (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *args = g_build_filename (dir, "args", NULL);
  g_autofree char *script_body = g_strdup_printf ("echo \"$*\" >> '%s'\nexec sleep 600", args);
  g_autofree char *program = write_script (dir, "fake-station", script_body);
  StationSettings *settings = station_settings_new ();
  StationLauncher *launcher = g_object_ref_sink (station_launcher_new (NULL, settings, program));
  GtkWidget *window = GTK_WIDGET (launcher);
  GtkEditable *url_entry;
  FileWait file_wait = { args, 1 };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  gtk_window_present (GTK_WINDOW (launcher));
  url_entry = GTK_EDITABLE (ev_ui_test_find (window, is_entry_titled, "CSMS URL", EV_UI_TEST_ANY));
  g_assert_nonnull (url_entry);

  gtk_editable_set_text (url_entry, "ws://127.0.0.1:9000/");
  g_assert_false (station_launcher_start_ocpp (launcher, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 0);

  gtk_editable_set_text (url_entry, "ws://127.0.0.1:9000/ocpp/OCPP-007");
  g_assert_true (gtk_widget_activate_action (window, "launcher.start-ocpp", NULL));
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 1);
  g_assert_cmpuint (station_launcher_get_n_running (launcher), ==, 1);
  ev_test_wait_until (NULL, file_has_lines, &file_wait, PEER_WAIT_MS, "the charger to start");
  g_file_get_contents (args, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "engine --ocpp ws://127.0.0.1:9000/ocpp/OCPP-007\n");
  g_assert_nonnull (ev_ui_test_find_label (window, "OCPP-007 — OCPP 1.6-J", EV_UI_TEST_ANY));
  g_assert_nonnull (ev_ui_test_find_label (window, "OCPP charger running", EV_UI_TEST_ANY));

  station_launcher_stop_all (launcher);
  wait_running (launcher, 0);
  ev_ui_test_wait_label (window, "OCPP charger stopped", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  g_assert_finalize_object (settings);
  ev_test_rm_rf (dir);
}

/* The launcher's TLS fields reach the monitor; a bad one starts nothing. */
static void
test_launcher_tls (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *args = g_build_filename (dir, "args", NULL);
  g_autofree char *script_body = g_strdup_printf ("echo \"$*\" >> '%s'\nexec sleep 600", args);
  g_autofree char *program = write_script (dir, "fake-station", script_body);
  const char *fingerprint = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
  g_autofree char *expected = g_strdup_printf (" --tls-fingerprint %s\n", fingerprint);
  StationSettings *settings = station_settings_new ();
  StationLauncher *launcher = g_object_ref_sink (station_launcher_new (NULL, settings, program));
  FileWait file_wait = { args, 2 };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  gtk_window_present (GTK_WINDOW (launcher));

  g_object_set (settings, "cp-id", "ALC-043", "tls-fingerprint", "12:34", NULL);
  g_assert_false (station_launcher_start (launcher, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 0);

  g_object_set (settings, "tls-fingerprint", fingerprint, NULL);
  g_assert_true (station_launcher_start (launcher, &error));
  g_assert_no_error (error);
  ev_test_wait_until (NULL, file_has_lines, &file_wait, PEER_WAIT_MS, "both processes to start");
  g_file_get_contents (args, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, " --central 127.0.0.1:7001 "));
  g_assert_nonnull (strstr (text, expected));

  station_launcher_stop_all (launcher);
  wait_running (launcher, 0);
  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  reset_settings ();
  g_assert_finalize_object (settings);
  ev_test_rm_rf (dir);
}

static void
test_launcher_starts_pair (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *args = g_build_filename (dir, "args", NULL);
  g_autofree char *program = NULL;
  g_autofree char *script_body = NULL;
  StationSettings *settings = station_settings_new ();
  StationLauncher *launcher;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  FileWait file_wait = { args, 2 };
  const char *listen, *engine;

  /* Records its arguments and stays up, like a role would. */
  script_body = g_strdup_printf ("echo \"$*\" >> '%s'\nexec sleep 600", args);
  program = write_script (dir, "fake-station", script_body);
  launcher = g_object_ref_sink (station_launcher_new (NULL, settings, program));
  gtk_window_present (GTK_WINDOW (launcher));

  g_object_set (settings, "cp-id", "ALC-042", "location", "Alicante, Puerto", NULL);
  g_assert_true (station_launcher_start (launcher, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 1);
  g_assert_cmpuint (station_launcher_get_n_running (launcher), ==, 2);
  ev_test_wait_until (NULL, file_has_lines, &file_wait, PEER_WAIT_MS, "both processes to start");
  g_assert_nonnull (ev_ui_test_find_label (GTK_WIDGET (launcher), "ALC-042 — Alicante, Puerto", EV_UI_TEST_ANY));
  g_assert_nonnull (ev_ui_test_find_label (GTK_WIDGET (launcher), "Engine running, monitor running", EV_UI_TEST_ANY));

  /* "auto": the engine listens on a free loopback port, the monitor
   * connects to that same port. */
  g_file_get_contents (args, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  if (g_str_has_prefix (lines[1], "engine"))
    {
      char *swap = lines[0];

      lines[0] = lines[1];
      lines[1] = swap;
    }
  g_assert_true (g_str_has_prefix (lines[0], "engine --listen 127.0.0.1:"));
  g_assert_true (g_str_has_suffix (lines[0], " --location Alicante, Puerto"));
  listen = lines[0] + strlen ("engine --listen ");
  g_assert_true (g_str_has_prefix (lines[1], "monitor --id ALC-042 --engine 127.0.0.1:"));
  g_assert_nonnull (strstr (lines[1], " --central 127.0.0.1:7001 "));
  engine = lines[1] + strlen ("monitor --id ALC-042 --engine ");
  g_assert_cmpint (strcspn (listen, " "), ==, strcspn (engine, " "));
  g_assert_cmpint (strncmp (listen, engine, strcspn (listen, " ")), ==, 0);
  /* Both are given the same pairing secret. */
  {
    const char *engine_secret = strstr (lines[0], " --pairing-secret-file ");
    const char *monitor_secret = strstr (lines[1], " --pairing-secret-file ");

    g_assert_nonnull (engine_secret);
    g_assert_nonnull (monitor_secret);
    engine_secret += strlen (" --pairing-secret-file ");
    monitor_secret += strlen (" --pairing-secret-file ");
    g_assert_cmpint (strcspn (engine_secret, " "), ==, strlen (monitor_secret));
    g_assert_cmpint (strncmp (engine_secret, monitor_secret, strlen (monitor_secret)), ==, 0);
  }

  /* Stop: both end, and that is not a failure. */
  station_launcher_stop_all (launcher);
  wait_running (launcher, 0);
  ev_ui_test_wait_label (GTK_WIDGET (launcher), "Engine stopped, monitor stopped", EV_UI_TEST_ANY, PEER_WAIT_MS);
  g_assert_null (ev_ui_test_find_label (GTK_WIDGET (launcher), "could not start", EV_UI_TEST_ANY));

  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  reset_settings ();
  g_assert_finalize_object (settings);
  ev_test_rm_rf (dir);
}

static gboolean
has_tooltip (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), data) == 0;
}

static void
test_launcher_reports_failure (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *program = NULL;
  StationSettings *settings = station_settings_new ();
  StationLauncher *launcher;
  g_autoptr(GError) error = NULL;
  GtkWidget *remove;

  /* The engine fails at once, as with a port in use; the monitor waits. */
  program = write_script (dir, "failing-station",
                          "if [ \"$1\" = engine ]; then\n"
                          "  echo 'ev-station engine: Error binding to address 127.0.0.1:7100: Address already in use' >&2\n"
                          "  exit 1\n"
                          "fi\n"
                          "exec sleep 600");
  launcher = g_object_ref_sink (station_launcher_new (NULL, settings, program));
  gtk_window_present (GTK_WINDOW (launcher));
  g_object_set (settings, "cp-id", "ALC-043", "engine-address", "0.0.0.0:7100", NULL);

  g_assert_true (station_launcher_start (launcher, &error));
  g_assert_no_error (error);
  /* A toast short enough to be read whole; the reason is in the row. */
  ev_ui_test_wait_label (GTK_WIDGET (launcher), "The engine of ALC-043 could not start",
                         EV_UI_TEST_ANY, PEER_WAIT_MS);
  /* Its monitor is stopped with it. */
  wait_running (launcher, 0);
  ev_ui_test_wait_label (GTK_WIDGET (launcher),
                         "Engine failed to start (ev-station engine: Error binding to address 127.0.0.1:7100: "
                         "Address already in use), monitor stopped", EV_UI_TEST_ANY, PEER_WAIT_MS);

  /* Both over: the row can be removed. */
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 1);
  remove = ev_ui_test_wait_for (GTK_WIDGET (launcher), has_tooltip, "Remove ALC-043 from the list",
                                EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS, "the Remove button");
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (station_launcher_get_n_pairs (launcher), ==, 0);
  g_assert_false (ev_ui_test_has_label (GTK_WIDGET (launcher), "ALC-043"));

  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  reset_settings ();
  g_assert_finalize_object (settings);
  ev_test_rm_rf (dir);
}

/* The programs a user starts ------------------------------------------------ */

/* Starts ev-station with @argv and waits for its window: its debug line
 * says the window is up, so its signal watches are. */
static EvUiTestProgram *
start_program (const char * const *argv)
{
  const char * const env[] = { "G_MESSAGES_DEBUG=Station", NULL };
  EvUiTestProgram *program;

  g_assert_nonnull (argv[0]);
  program = ev_ui_test_program_spawn (argv, env);
  ev_ui_test_program_wait_line (program, "Window presented", PEER_WAIT_MS);
  return program;
}

static void
stop_program (EvUiTestProgram *program,
              int              signum)
{
  g_assert_cmpint (ev_ui_test_program_stop (program, signum, PEER_WAIT_MS), ==, 0);
  ev_ui_test_program_free (program);
}

/* ev-station engine with its window: a signal shuts it down (Kafka
 * flushed, listener closed) with status 0. */
static void
test_engine_quits_on_signal (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  EvMockCluster *cluster = ev_mock_cluster_new (1, &error);
  const char *argv[] = {
    g_getenv ("EV_STATION"), "engine", "--listen", "127.0.0.1:0",
    "--kafka", ev_mock_cluster_get_bootstrap (cluster), NULL
  };

  g_assert_no_error (error);
  stop_program (start_program (argv), GPOINTER_TO_INT (data));
  g_assert_finalize_object (cluster);
}

static gboolean
links_closed (gpointer user_data)
{
  return peer_server_get_n_links (user_data) == 0;
}

/* ev-station monitor with its window, linked to a test engine and a test
 * Central: a signal closes both links and exits with status 0. */
static void
test_monitor_quits_on_signal (gconstpointer data)
{
  PeerEngine engine = { 0 };
  PeerCentral central = { 0 };
  PeerServer *engine_server = peer_server_new (0, peer_engine_func, &engine);
  PeerServer *central_server;
  g_autofree char *engine_address = peer_server_dup_address (engine_server);
  g_autofree char *central_address = NULL;
  const char *argv[] = { g_getenv ("EV_STATION"), "monitor", "--id", "SIG-MON", NULL, NULL, NULL, NULL, NULL };
  EvUiTestProgram *program;

  peer_central_init (&central);
  central_server = peer_server_new (0, peer_central_func, &central);
  central_address = peer_server_dup_address (central_server);
  argv[4] = "--engine";
  argv[5] = engine_address;
  argv[6] = "--central";
  argv[7] = central_address;

  program = start_program (argv);
  /* Registered: both links are up. */
  peer_server_wait_count (central_server, EV_LINK_REQUEST_REGISTER, 1);
  g_assert_cmpuint (peer_server_get_n_links (engine_server), ==, 1);
  stop_program (program, GPOINTER_TO_INT (data));
  ev_test_wait_until (NULL, links_closed, engine_server, PEER_WAIT_MS, "the engine link to close");
  ev_test_wait_until (NULL, links_closed, central_server, PEER_WAIT_MS, "the Central link to close");

  peer_server_free (central_server);
  peer_server_free (engine_server);
  peer_central_clear (&central);
  g_free (engine.bound);
  g_free (engine.key);
}

typedef struct {
  int              signum;
  PeerServer      *central;
  StationLauncher *launcher;
} LauncherRun;

/* The monitor registered with Central, which it does once its engine
 * answered: both serve their main loops, so their signal watches are up.
 * Then the launcher is signalled, as a user's `kill` would. */
static gboolean
pair_up_cb (gpointer user_data)
{
  LauncherRun *run = user_data;

  if (peer_server_count (run->central, EV_LINK_REQUEST_REGISTER) == 0)
    return G_SOURCE_CONTINUE;
  g_assert_cmpuint (station_launcher_get_n_running (run->launcher), ==, 2);
  g_assert_cmpint (kill (getpid (), run->signum), ==, 0);
  return G_SOURCE_REMOVE;
}

static void
launcher_activated_cb (GApplication *app,
                       LauncherRun  *run)
{
  g_autoptr(GError) error = NULL;

  run->launcher = g_object_ref (STATION_LAUNCHER (gtk_application_get_active_window (GTK_APPLICATION (app))));
  g_assert_true (station_launcher_start (run->launcher, &error));
  g_assert_no_error (error);
  g_timeout_add (50, pair_up_cb, run);
}

static gboolean
launcher_too_slow_cb (gpointer user_data)
{
  g_error ("the launcher did not stop its pair and quit in time");
  return G_SOURCE_REMOVE;
}

/* The launcher (its application, in this process) started a real
 * engine+monitor pair; a signal stops both processes, waits for them and
 * quits with status 0: nothing it started outlives it. */
static void
test_launcher_stops_pair_on_signal (gconstpointer data)
{
  g_autoptr(GSettings) gsettings = g_settings_new ("io.github.evcharging.EVCharging.Station");
  g_autoptr(GError) error = NULL;
  EvMockCluster *cluster = ev_mock_cluster_new (1, &error);
  LauncherRun run = { .signum = GPOINTER_TO_INT (data) };
  g_autofree char *central_address = NULL;
  StationApplication *app;
  PeerCentral central = { 0 };
  guint timeout_id;

  g_assert_no_error (error);
  /* The engine finds the broker as a user's does: in the discovery file. */
  g_assert_true (ev_discovery_write (ev_mock_cluster_get_bootstrap (cluster), getpid (), &error));
  g_assert_no_error (error);
  peer_central_init (&central);
  run.central = peer_server_new (0, peer_central_func, &central);
  central_address = peer_server_dup_address (run.central);
  /* A CP of its own per run: the tokens of the run before stay in this
   * process's state folder, and a fresh test Central knows none. */
  g_settings_set_string (gsettings, "cp-id", run.signum == SIGINT ? "SIG-002" : "SIG-001");
  g_settings_set_string (gsettings, "central-address", central_address);

  g_assert_nonnull (g_getenv ("EV_STATION"));
  app = station_application_new_launcher (g_getenv ("EV_STATION"));
  g_signal_connect_after (app, "activate", G_CALLBACK (launcher_activated_cb), &run);
  timeout_id = g_timeout_add (PEER_WAIT_MS, launcher_too_slow_cb, NULL);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_source_remove (timeout_id);

  g_assert_cmpuint (station_launcher_get_n_pairs (run.launcher), ==, 1);
  g_assert_cmpuint (station_launcher_get_n_running (run.launcher), ==, 0);
  /* The row follows once the ends of their standard error are read too. */
  ev_ui_test_wait_label (GTK_WIDGET (run.launcher), "Engine stopped, monitor stopped", EV_UI_TEST_ANY,
                         PEER_WAIT_MS);
  ev_test_wait_until (NULL, links_closed, run.central, PEER_WAIT_MS, "the monitor's link to close");

  ev_ui_test_destroy_window (g_steal_pointer (&run.launcher), PEER_WAIT_MS);
  g_assert_finalize_object (app);
  peer_server_free (run.central);
  peer_central_clear (&central);
  reset_settings ();
  g_assert_true (ev_discovery_remove (getpid (), &error));
  g_assert_no_error (error);
  g_assert_finalize_object (cluster);
}

/* The engine window in Spanish (LANGUAGE=es), from the catalogue built in
 * po/; in a subprocess, as GLib decides once per process. */
static void
test_spanish (void)
{
  Fixture fixture = { 0 };
  GtkWidget *window;

  if (!ev_ui_test_in_spanish ())
    return;

  fixture_setup (&fixture, NULL);
  window = GTK_WIDGET (fixture.engine_window);
  ev_ui_test_wait_label (window, "Listo para un suministro", EV_UI_TEST_ANY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "Central accesible", EV_UI_TEST_ANY, PEER_WAIT_MS);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Motor de " CP_ID);
  g_assert_false (ev_ui_test_has_label (window, "Ready for a supply"));
  fixture_teardown (&fixture, NULL);
}

/* The keyboard shortcuts window (win.show-help-overlay, Ctrl+?) lists
 * shortcuts. */
static void
test_shortcuts_window (void)
{
  StationSettings *settings = station_settings_new ();
  StationLauncher *launcher;
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWindow *shortcuts = NULL;

  ev_ui_test_check_shortcuts ("/io/github/evcharging/EVCharging/Station/shortcuts.ui");

  /* The windows' win.show-help-overlay (ev_ui_class_install_shortcuts())
   * opens them over the window it is activated on. */
  launcher = g_object_ref_sink (station_launcher_new (NULL, settings, "/bin/true"));
  gtk_window_present (GTK_WINDOW (launcher));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (launcher), "win.show-help-overlay", NULL));
  for (guint i = 0; shortcuts == NULL && i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_SHORTCUTS_WINDOW (window) && gtk_window_get_transient_for (window) == GTK_WINDOW (launcher))
        shortcuts = window;
    }
  g_assert_nonnull (shortcuts);

  /* It would go with the launcher's dispose, which the reference held
   * here delays past the wait for every window to close. */
  gtk_window_destroy (shortcuts);
  ev_ui_test_destroy_window (launcher, PEER_WAIT_MS);
  g_assert_finalize_object (settings);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  ev_ui_test_bind_catalogue ();
  /* Nothing may touch the real user's directories: the programs started
   * here keep tokens and find the broker there. */
  home = ev_test_make_tmpdir ();
  g_setenv ("XDG_STATE_HOME", home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", home, TRUE);

  /* StationApplication gets its style sheet from AdwApplication; the
   * windows here have no application. */
  ev_ui_test_init ("/io/github/evcharging/EVCharging/Station/style.css");

  g_test_add_func ("/station-ui/launcher/new-destroy", test_launcher_new_destroy);
  g_test_add_func ("/station-ui/launcher/starts-pair", test_launcher_starts_pair);
  g_test_add_func ("/station-ui/launcher/tls", test_launcher_tls);
  g_test_add_func ("/station-ui/launcher/starts-ocpp", test_launcher_starts_ocpp);
  g_test_add_func ("/station-ui/launcher/reports-failure", test_launcher_reports_failure);
  g_test_add ("/station-ui/engine/buttons", Fixture, NULL, fixture_setup, test_engine_buttons, fixture_teardown);
  g_test_add ("/station-ui/engine/cut-off", Fixture, NULL, fixture_setup, test_engine_cut_off, fixture_teardown);
  g_test_add ("/station-ui/engine/request-and-errors", Fixture, NULL,
              fixture_setup, test_engine_request_and_errors, fixture_teardown);
  g_test_add_func ("/station-ui/engine/spanish", test_spanish);
  g_test_add_func ("/station-ui/shortcuts-window", test_shortcuts_window);
  g_test_add ("/station-ui/monitor/health-and-link", Fixture, NULL,
              fixture_setup, test_monitor_window, fixture_teardown);
  /* Only on request: it checks nothing, it paints. */
  if (g_getenv ("EV_STATION_SCREENSHOTS") != NULL)
    g_test_add ("/station-ui/screenshots", Fixture, GINT_TO_POINTER (1), fixture_setup, test_screenshots, fixture_teardown);
  g_test_add_data_func ("/station-ui/program/engine-sigterm", GINT_TO_POINTER (SIGTERM),
                        test_engine_quits_on_signal);
  g_test_add_data_func ("/station-ui/program/engine-sigint", GINT_TO_POINTER (SIGINT),
                        test_engine_quits_on_signal);
  g_test_add_data_func ("/station-ui/program/monitor-sigterm", GINT_TO_POINTER (SIGTERM),
                        test_monitor_quits_on_signal);
  g_test_add_data_func ("/station-ui/program/monitor-sigint", GINT_TO_POINTER (SIGINT),
                        test_monitor_quits_on_signal);
  g_test_add_data_func ("/station-ui/program/launcher-sigterm", GINT_TO_POINTER (SIGTERM),
                        test_launcher_stops_pair_on_signal);
  g_test_add_data_func ("/station-ui/program/launcher-sigint", GINT_TO_POINTER (SIGINT),
                        test_launcher_stops_pair_on_signal);

  status = g_test_run ();
  ev_test_rm_rf (home);
  return status;
}

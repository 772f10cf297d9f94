/* test-central-ui: Central's console under Xvfb, on a real core, a private
 * ev-broker, a real SQLite file and a monitor on a real link.
 *
 * With EV_SCREENSHOT=path.png a last test saves a picture of
 * a network of 24 charging points in every state. */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "central-core.h"
#include "central-cp-card.h"
#include "central-preferences.h"
#include "central-settings.h"
#include "central-window.h"
#include "central-peers.h"
#include "ev-store.h"
#include "test-utils.h"
#include "ui-test-utils.h"

#define WAIT_MS 30000

/* Helpers ---------------------------------------------------------------- */

static void
collect_cards (GtkWidget *widget,
               GPtrArray *cards)
{
  if (CENTRAL_IS_CP_CARD (widget))
    {
      if (central_cp_card_get_item (CENTRAL_CP_CARD (widget)) != NULL &&
          gtk_widget_get_mapped (widget))
        g_ptr_array_add (cards, widget);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_cards (child, cards);
}

static GtkWidget *
find_card (GtkWidget  *window,
           const char *cp_id)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  collect_cards (window, cards);
  for (guint i = 0; i < cards->len; i++)
    {
      EvChargingPoint *item = central_cp_card_get_item (cards->pdata[i]);

      if (g_strcmp0 (ev_charging_point_get_cp_id (item), cp_id) == 0)
        return cards->pdata[i];
    }

  return NULL;
}

typedef struct {
  GtkWidget  *window;
  const char *cp_id;
  const char *css_class;
} CardWait;

static gboolean
card_has_class (gpointer user_data)
{
  CardWait *wait = user_data;
  GtkWidget *card = find_card (wait->window, wait->cp_id);

  return card != NULL && gtk_widget_has_css_class (card, wait->css_class);
}

static void
wait_card_state (GtkWidget  *window,
                 const char *cp_id,
                 EvCpState   state)
{
  CardWait wait = { window, cp_id, ev_cp_state_get_css_class (state) };
  g_autofree char *what = g_strdup_printf ("card %s to show %s", cp_id, ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, card_has_class, &wait, WAIT_MS, what);
}

typedef struct {
  GtkWidget *window;
  guint      n;
} CountWait;

static gboolean
cards_shown (gpointer user_data)
{
  CountWait *wait = user_data;
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  collect_cards (wait->window, cards);
  return cards->len == wait->n;
}

static void
wait_cards (GtkWidget *window,
            guint      n)
{
  CountWait wait = { window, n };

  ev_test_wait_until (NULL, cards_shown, &wait, WAIT_MS, "the cards to be shown");
}

/* A monitor on a real link (central-peers.c) ----------------------------- */

/* Checks that Central answered @status, and frees the response. */
static void
expect_status (EvLinkResponse *response,
               EvLinkStatus    status)
{
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, ev_link_status_to_string (status));
  ev_link_response_free (response);
}

static void
monitor_auth (PeerMonitor *monitor,
              const char  *cp_id,
              const char  *token)
{
  expect_status (peer_monitor_auth (monitor, cp_id, token), EV_LINK_STATUS_AUTHORIZED);
}

static void
monitor_status (PeerMonitor    *monitor,
                EvEngineHealth  engine)
{
  expect_status (peer_monitor_status (monitor, EV_CP_STATE_ACTIVE, engine), EV_LINK_STATUS_OK);
}

/* The fixture: a database of CPs, a core on it, its window --------------- */

static const struct {
  const char *cp_id;
  const char *location;
  double      price;
} network[] = {
  { "ALC-001", "Alicante, Av. Maisonnave 12", 0.35 },
  { "ALC-002", "Alicante, Rambla de Méndez Núñez 4", 0.35 },
  { "ALC-003", "Alicante, Estación de Autobuses", 0.39 },
  { "ELX-001", "Elche, Plaça de Baix 1", 0.32 },
  { "ELX-002", "Elche, Parque Municipal", 0.32 },
  { "BEN-001", "Benidorm, Av. del Mediterráneo 40", 0.42 },
  { "BEN-002", "Benidorm, Parking Ayuntamiento", 0.42 },
  { "BEN-003", "Benidorm, Playa de Poniente", 0.45 },
  { "TOR-001", "Torrevieja, Paseo Juan Aparicio", 0.36 },
  { "TOR-002", "Torrevieja, Centro Comercial Habaneras", 0.36 },
  { "ORI-001", "Orihuela, Glorieta Gabriel Miró", 0.33 },
  { "DEN-001", "Dénia, Port, Moll de la Pansa", 0.44 },
  { "DEN-002", "Dénia, Carrer Marqués de Campo 20", 0.44 },
  { "ALC-004", "Alicante, Universidad, Aparcamiento Norte", 0.30 },
  { "ALC-005", "Alicante, Hospital General", 0.30 },
  { "VIL-001", "Villena, Plaza de Santiago", 0.31 },
  { "ALC-006", "Alicante, Puerto, Muelle 12", 0.37 },
  { "SJN-001", "Sant Joan d'Alacant, Rotonda Fabraquer", 0.34 },
  { "SVR-001", "San Vicente del Raspeig, Av. de la Libertad", 0.34 },
  { "ALT-001", "Altea, Passeig del Mediterrani", 0.46 },
  { "CAL-001", "Calp, Av. Gabriel Miró 7", 0.43 },
  { "XAB-001", "Xàbia, Port, Plaça del Convent", 0.44 },
  { "ALC-007", "Alicante, Playa de San Juan", 0.38 },
  { "ALC-008", "Alicante, Mercado Central", 0.35 },
};

typedef struct {
  char          *dir;
  char          *db_path;
  PeerBroker    *broker;
  char          *tokens[G_N_ELEMENTS (network)];
  guint          n_cps;
  CentralService *service;
  CentralWindow *window;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(EvStore) store = NULL;
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(GError) error = NULL;

  fixture->n_cps = GPOINTER_TO_UINT (data);
  fixture->dir = ev_test_make_tmpdir ();
  fixture->db_path = g_build_filename (fixture->dir, "central.db", NULL);

  fixture->broker = peer_broker_start ();

  store = ev_store_open (fixture->db_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < fixture->n_cps; i++)
    {
      fixture->tokens[i] = ev_store_register_cp (store, network[i].cp_id, network[i].location,
                                                 network[i].price, &error);
      g_assert_no_error (error);
    }
  ev_store_flush (store, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&store));

  /* A monitor that is silent between the test's statuses must not turn
   * DISCONNECTED behind the test's back. */
  core = g_object_new (CENTRAL_TYPE_CORE,
                       "listen", "127.0.0.1:0",
                       "bootstrap", peer_broker_get_bootstrap (fixture->broker),
                       "db-path", fixture->db_path,
                       "silence-timeout", 600000,
                       NULL);
  fixture->service = central_service_new (core);
  central_service_start (fixture->service, &error);
  g_assert_no_error (error);

  fixture->window = g_object_ref_sink (central_window_new (NULL, fixture->service));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1200, 800);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ev_ui_test_destroy_window (g_steal_pointer (&fixture->window), WAIT_MS);

  central_service_shutdown (fixture->service);
  g_assert_finalize_object (g_steal_pointer (&fixture->service));

  peer_broker_stop (fixture->broker);

  for (guint i = 0; i < fixture->n_cps; i++)
    g_free (fixture->tokens[i]);
  ev_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->db_path);
}

static guint
index_of (const char *cp_id)
{
  for (guint i = 0; i < G_N_ELEMENTS (network); i++)
    if (g_str_equal (network[i].cp_id, cp_id))
      return i;

  g_assert_not_reached ();
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window))
        return ADW_MESSAGE_DIALOG (window);
    }

  return NULL;
}

/* Tests ------------------------------------------------------------------ */

static void
test_dashboard_lists_database (Fixture       *fixture,
                               gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkGridView *grid = GTK_GRID_VIEW (ev_ui_test_find_type (window, GTK_TYPE_GRID_VIEW));
  GListModel *model;

  g_assert_nonnull (grid);
  model = G_LIST_MODEL (gtk_grid_view_get_model (grid));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, fixture->n_cps);

  wait_cards (window, fixture->n_cps);
  for (guint i = 0; i < fixture->n_cps; i++)
    {
      GtkWidget *card = find_card (window, network[i].cp_id);

      g_assert_nonnull (card);
      g_assert_true (ev_ui_test_has_label (card, network[i].cp_id));
      g_assert_true (ev_ui_test_has_label (card, network[i].location));
      g_assert_true (gtk_widget_has_css_class (card, "state-disconnected"));
      g_assert_true (ev_ui_test_has_label (card, ev_cp_state_get_label (EV_CP_STATE_DISCONNECTED)));
    }
}

static void
test_search_filters (Fixture       *fixture,
                     gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkGridView *grid = GTK_GRID_VIEW (ev_ui_test_find_type (window, GTK_TYPE_GRID_VIEW));
  GListModel *model = G_LIST_MODEL (gtk_grid_view_get_model (grid));
  GtkEditable *entry = GTK_EDITABLE (ev_ui_test_find_type (window, GTK_TYPE_SEARCH_ENTRY));
  GtkDropDown *states = GTK_DROP_DOWN (ev_ui_test_find_type (window, GTK_TYPE_DROP_DOWN));

  g_assert_true (gtk_widget_activate_action (window, "win.search", NULL));

  /* By location, whatever the case. */
  gtk_editable_set_text (entry, "benidorm");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);

  /* By id. */
  gtk_editable_set_text (entry, "ELX-00");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);

  gtk_editable_set_text (entry, "");
  g_signal_emit_by_name (entry, "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, fixture->n_cps);

  /* By state: every CP is DISCONNECTED until its monitor comes. */
  gtk_drop_down_set_selected (states, 1 + EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  gtk_drop_down_set_selected (states, 1 + EV_CP_STATE_DISCONNECTED);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, fixture->n_cps);

  /* The state filter follows each CP at once, with the search too. */
  {
    GListModel *cps = central_service_get_charging_points (fixture->service);
    g_autoptr(EvChargingPoint) first = g_list_model_get_item (cps, 0);
    g_autoptr(EvChargingPoint) second = g_list_model_get_item (cps, 1);
    g_autoptr(EvChargingPoint) shown = NULL;

    gtk_drop_down_set_selected (states, 1 + EV_CP_STATE_ACTIVE);
    ev_charging_point_set_state (second, EV_CP_STATE_ACTIVE);
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
    shown = g_list_model_get_item (model, 0);
    g_assert_true (shown == second);
    ev_charging_point_set_state (first, EV_CP_STATE_ACTIVE);
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
    gtk_editable_set_text (entry, ev_charging_point_get_cp_id (first));
    g_signal_emit_by_name (entry, "search-changed");
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
    ev_charging_point_set_state (first, EV_CP_STATE_BROKEN);
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
    gtk_editable_set_text (entry, "");
    g_signal_emit_by_name (entry, "search-changed");
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
    ev_charging_point_set_state (second, EV_CP_STATE_DISCONNECTED);
    ev_charging_point_set_state (first, EV_CP_STATE_DISCONNECTED);
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  }
  gtk_drop_down_set_selected (states, 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, fixture->n_cps);
}

/* Colours the network as it might be on a busy afternoon, through the same
 * item properties the core sets, for the screenshot only. */
static void
paint_busy_network (Fixture *fixture)
{
  static const struct {
    EvCpState   state;
    const char *driver;
    double      kwh;
  } looks[] = {
    { EV_CP_STATE_SUPPLYING, "driver-0417", 12.84 },
    { EV_CP_STATE_ACTIVE, NULL, 0 },
    { EV_CP_STATE_SUPPLYING, "driver-1022", 3.27 },
    { EV_CP_STATE_WAITING, "driver-0090", 0 },
    { EV_CP_STATE_ACTIVE, NULL, 0 },
    { EV_CP_STATE_BROKEN, NULL, 0 },
    { EV_CP_STATE_SUPPLYING, "driver-0311", 27.5 },
    { EV_CP_STATE_ACTIVE, NULL, 0 },
    { EV_CP_STATE_STOPPED, NULL, 0 },
    { EV_CP_STATE_ACTIVE, NULL, 0 },
    { EV_CP_STATE_DISCONNECTED, NULL, 0 },
    { EV_CP_STATE_SUPPLYING, "driver-0733", 8.05 },
  };
  GListModel *cps = central_service_get_charging_points (fixture->service);

  for (guint i = 0; i < g_list_model_get_n_items (cps); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);
      guint look = i % G_N_ELEMENTS (looks);

      if (looks[look].driver != NULL)
        {
          ev_charging_point_set_driver_id (cp, looks[look].driver);
          ev_charging_point_set_kwh (cp, looks[look].kwh);
          ev_charging_point_set_amount (cp, looks[look].kwh * ev_charging_point_get_price (cp));
        }
      ev_charging_point_set_state (cp, looks[look].state);
    }
}

static gboolean
broker_reachable (gpointer user_data)
{
  return central_service_get_broker_reachable (user_data);
}

static void
test_screenshot (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *path = g_getenv ("EV_SCREENSHOT");

  wait_cards (GTK_WIDGET (fixture->window), fixture->n_cps);
  ev_test_wait_until (NULL, broker_reachable, fixture->service, WAIT_MS, "the broker to be reachable");
  paint_busy_network (fixture);
  ev_test_sleep_spinning (NULL, 500);
  ev_ui_test_save_png (GTK_WIDGET (fixture->window), path);
}

static void
test_monitor_states_and_stop_all (Fixture       *fixture,
                                  gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  guint port = central_service_get_port (fixture->service);
  const char *first = "ALC-001";
  const char *second = "ELX-001";
  PeerMonitor *link1;
  PeerMonitor *link2;
  AdwMessageDialog *dialog;

  g_assert_cmpuint (port, >, 0);
  wait_cards (window, fixture->n_cps);

  /* A monitor authenticates and reports a healthy engine: green. */
  link1 = peer_monitor_connect (port);
  monitor_auth (link1, first, fixture->tokens[index_of (first)]);
  monitor_status (link1, EV_ENGINE_HEALTH_OK);
  wait_card_state (window, first, EV_CP_STATE_ACTIVE);
  g_assert_false (gtk_widget_has_css_class (find_card (window, first), "state-disconnected"));

  /* The engine is KO: red. */
  monitor_status (link1, EV_ENGINE_HEALTH_KO);
  wait_card_state (window, first, EV_CP_STATE_BROKEN);
  g_assert_false (gtk_widget_has_css_class (find_card (window, first), "state-active"));

  /* It recovers. */
  monitor_status (link1, EV_ENGINE_HEALTH_OK);
  wait_card_state (window, first, EV_CP_STATE_ACTIVE);

  link2 = peer_monitor_connect (port);
  monitor_auth (link2, second, fixture->tokens[index_of (second)]);
  monitor_status (link2, EV_ENGINE_HEALTH_OK);
  wait_card_state (window, second, EV_CP_STATE_ACTIVE);

  /* Stop all asks first; cancelling does nothing. */
  g_assert_true (gtk_widget_activate_action (window, "win.stop-all", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  ev_test_sleep_spinning (NULL, 200);
  g_assert_true (gtk_widget_has_css_class (find_card (window, first), "state-active"));

  g_assert_true (gtk_widget_activate_action (window, "win.stop-all", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "stop");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_card_state (window, first, EV_CP_STATE_STOPPED);
  wait_card_state (window, second, EV_CP_STATE_STOPPED);
  g_assert_true (ev_ui_test_has_label (find_card (window, first), ev_cp_state_get_label (EV_CP_STATE_STOPPED)));

  /* A stopped card offers Resume; its button resumes that CP only. */
  g_assert_true (gtk_widget_activate_action (window, "win.resume-cp", "s", first));
  wait_card_state (window, first, EV_CP_STATE_ACTIVE);
  g_assert_true (gtk_widget_has_css_class (find_card (window, second), "state-stopped"));

  peer_monitor_free (link1);
  peer_monitor_free (link2);
}

static void
test_card_follows_item (void)
{
  g_autoptr(EvChargingPoint) cp = ev_charging_point_new ("CP-42");
  GtkWidget *card = g_object_ref_sink (central_cp_card_new ());

  ev_charging_point_set_location (cp, "Alicante, Plaza de los Luceros");
  central_cp_card_set_item (CENTRAL_CP_CARD (card), cp);
  g_assert_true (ev_ui_test_has_label (card, "CP-42"));
  g_assert_true (ev_ui_test_has_label (card, "Alicante, Plaza de los Luceros"));
  g_assert_true (gtk_widget_has_css_class (card, "state-disconnected"));

  ev_charging_point_set_state (cp, EV_CP_STATE_SUPPLYING);
  ev_charging_point_set_driver_id (cp, "driver-7");
  g_assert_true (gtk_widget_has_css_class (card, "state-supplying"));
  g_assert_false (gtk_widget_has_css_class (card, "state-disconnected"));
  g_assert_true (ev_ui_test_has_label (card, ev_cp_state_get_label (EV_CP_STATE_SUPPLYING)));

  ev_charging_point_set_state (cp, EV_CP_STATE_BROKEN);
  g_assert_true (gtk_widget_has_css_class (card, "state-broken"));
  g_assert_false (gtk_widget_has_css_class (card, "state-supplying"));

  /* Recycled: it lets go of the item. */
  central_cp_card_set_item (CENTRAL_CP_CARD (card), NULL);
  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  g_assert_false (gtk_widget_has_css_class (card, "state-active"));

  g_assert_finalize_object (card);
}

static void
test_settings_and_preferences (void)
{
  CentralSettings *settings = central_settings_new ();
  g_autoptr(GSettings) gsettings = g_settings_new ("io.github.evcharging.EVCharging.Central");
  CentralPreferences *preferences;
  g_autofree char *stored = NULL;

  g_assert_cmpstr (central_settings_get_listen_address (settings), ==, "0.0.0.0:7001");
  g_assert_cmpstr (central_settings_get_kafka_bootstrap (settings), ==, "");

  central_settings_set_kafka_bootstrap (settings, "kafka.example.org:9092");
  stored = g_settings_get_string (gsettings, "kafka-bootstrap");
  g_assert_cmpstr (stored, ==, "kafka.example.org:9092");

  g_settings_set_string (gsettings, "database-path", "/tmp/central-test.db");
  g_assert_cmpstr (central_settings_get_database_path (settings), ==, "/tmp/central-test.db");

  preferences = g_object_ref_sink (central_preferences_new (NULL, settings));
  gtk_window_present (GTK_WINDOW (preferences));
  ev_test_sleep_spinning (NULL, 100);
  gtk_window_destroy (GTK_WINDOW (preferences));
  g_assert_finalize_object (preferences);

  g_settings_reset (gsettings, "kafka-bootstrap");
  g_settings_reset (gsettings, "database-path");
  g_assert_finalize_object (settings);
}

static void
test_window_start_error (void)
{
  CentralWindow *window = g_object_ref_sink (central_window_new (NULL, NULL));
  GtkWidget *status;

  central_window_show_error (window, "The port 7001 is in use");
  gtk_window_present (GTK_WINDOW (window));
  status = ev_ui_test_find_type (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE);
  g_assert_nonnull (status);
  /* The first status page is the visible one: the error. */
  g_assert_true (ev_ui_test_has_label (GTK_WIDGET (window), "The port 7001 is in use"));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop-all", NULL) &&
                  find_message_dialog () != NULL);

  ev_ui_test_destroy_window (window, WAIT_MS);
}

/* The console in Spanish (LANGUAGE=es), from the catalogue built in po/:
 * the header bar and the cards speak it. In a subprocess: GLib decides
 * once per process whether to translate at all. */
static void
test_spanish (void)
{
  Fixture fixture = { 0 };
  GtkWidget *window;
  const char *disconnected;

  if (!g_test_subprocess ())
    {
      g_setenv ("LANGUAGE", "es", TRUE);
      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_unsetenv ("LANGUAGE");
      g_test_trap_assert_passed ();
      return;
    }

  fixture_setup (&fixture, GUINT_TO_POINTER (2));
  window = GTK_WIDGET (fixture.window);
  disconnected = ev_cp_state_get_label (EV_CP_STATE_DISCONNECTED);

  /* Not the English text: the catalogue was found and used. */
  g_assert_cmpstr (disconnected, ==, "Desconectado");
  g_assert_true (ev_ui_test_has_label (window, "Detener todos"));
  g_assert_false (ev_ui_test_has_label (window, "Stop All"));
  wait_cards (window, fixture.n_cps);
  g_assert_true (ev_ui_test_has_label (find_card (window, network[0].cp_id), disconnected));
  fixture_teardown (&fixture, GUINT_TO_POINTER (2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* As ev-central's main() does, with the catalogues of the build tree. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("EV_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* CentralApplication gets its style sheet from AdwApplication; the
   * windows here have no application. */
  ev_ui_test_init ("/io/github/evcharging/EVCharging/Central/style.css");

  g_test_add_func ("/central-ui/card/follows-item", test_card_follows_item);
  g_test_add_func ("/central-ui/settings/preferences", test_settings_and_preferences);
  g_test_add_func ("/central-ui/window/start-error", test_window_start_error);
  g_test_add ("/central-ui/window/dashboard", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_dashboard_lists_database, fixture_teardown);
  g_test_add ("/central-ui/window/search", Fixture, GUINT_TO_POINTER (G_N_ELEMENTS (network)),
              fixture_setup, test_search_filters, fixture_teardown);
  g_test_add ("/central-ui/window/monitor-states-stop-all", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_monitor_states_and_stop_all, fixture_teardown);
  g_test_add_func ("/central-ui/window/spanish", test_spanish);
  /* Only on request (./run screenshots): it checks nothing, it paints. */
  if (g_getenv ("EV_SCREENSHOT") != NULL)
    g_test_add ("/central-ui/window/screenshot", Fixture, GUINT_TO_POINTER (G_N_ELEMENTS (network)),
                fixture_setup, test_screenshot, fixture_teardown);

  return g_test_run ();
}

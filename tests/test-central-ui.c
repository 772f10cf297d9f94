/* test-central-ui: Central's console under Xvfb, on a real core, a private
 * ev-broker, a real SQLite file and a monitor on a real link.
 *
 * With EV_SCREENSHOT=path.png a last test saves a picture of
 * a network of 24 charging points in every state. */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "central-core.h"
#include "central-cp-card.h"
#include "central-preferences.h"
#include "central-settings.h"
#include "central-chart.h"
#include "central-summary.h"
#include "central-window.h"
#include "central-peers.h"
#include "ev-store.h"
#include "test-program.h"
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

/* In a fixture's data, with the count of CPs: the last one is pending. */
#define WITH_PENDING 0x10000u

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

  fixture->n_cps = GPOINTER_TO_UINT (data) & ~WITH_PENDING;
  fixture->dir = ev_test_make_tmpdir ();
  fixture->db_path = g_build_filename (fixture->dir, "central.db", NULL);

  fixture->broker = peer_broker_start ();

  store = ev_store_open (fixture->db_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < fixture->n_cps; i++)
    {
      /* WITH_PENDING: the last one awaits the operator's approval. */
      fixture->tokens[i] = ev_store_register_cp_pending (store, network[i].cp_id, network[i].location,
                                                         network[i].price, NULL,
                                                         (GPOINTER_TO_UINT (data) & WITH_PENDING) &&
                                                         i == fixture->n_cps - 1,
                                                         &error);
      g_assert_no_error (error);
    }
  /* A driver whose id is bound to a key (test_forget_driver_key()). */
  g_assert_true (ev_store_bind_driver_key (store, "DRV-LOST", "fsHVrwGjPzn6oSbWEiLlEl8VcCtGInShBnSBUVwq4L0=",
                                           &error));
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

typedef struct {
  CentralSummary *summary;
  EvCpState       state;
  guint           count;
} SummaryWait;

static gboolean
summary_count_is (gpointer user_data)
{
  SummaryWait *wait = user_data;

  return central_summary_get_count (wait->summary, wait->state) == wait->count;
}

static void
wait_count (CentralSummary *summary,
            EvCpState       state,
            guint           count)
{
  SummaryWait wait = { summary, state, count };
  g_autofree char *what = g_strdup_printf ("%u %s", count, ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, summary_count_is, &wait, WAIT_MS, what);
}

static gboolean
is_state_toggle (GtkWidget     *widget,
                 gconstpointer  state)
{
  return GTK_IS_TOGGLE_BUTTON (widget) && gtk_widget_has_css_class (widget, "state-count") &&
         gtk_widget_has_css_class (widget, ev_cp_state_get_css_class (GPOINTER_TO_INT (state)));
}

static void
click (GtkWidget *button)
{
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
supply_figures_gone (gpointer list)
{
  return !ev_ui_test_has_label (list, "57.91 kWh") && !ev_ui_test_has_label (list, "driver-second");
}

/* The compact list's Energy column shows the kWh of the CP's supply
 * itself: it follows that supply's figures, and when the CP's supply is
 * another, the new one's and no longer the old one's. */
static void
test_list_follows_supply (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  CentralSummary *summary = CENTRAL_SUMMARY (ev_ui_test_find_type (window, CENTRAL_TYPE_SUMMARY));
  GListModel *cps = central_service_get_charging_points (fixture->service);
  g_autoptr(EvChargingPoint) cp = NULL;
  g_autoptr(EvSupply) first = NULL;
  g_autoptr(EvSupply) second = NULL;
  GtkWidget *list;

  wait_cards (window, fixture->n_cps);
  cp = g_list_model_get_item (cps, 0);
  first = ev_supply_new ("supply-first", ev_charging_point_get_cp_id (cp), "driver-first");
  second = ev_supply_new ("supply-second", ev_charging_point_get_cp_id (cp), "driver-second");
  ev_supply_set_kwh (first, 13.57);
  ev_supply_set_kwh (second, 35.79);

  g_object_set (summary, "compact", TRUE, NULL);
  list = ev_ui_test_find_class (window, "cp-list");
  ev_charging_point_set_state (cp, EV_CP_STATE_SUPPLYING);
  ev_charging_point_set_supply (cp, first);
  ev_ui_test_wait_label (list, "13.57 kWh", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  ev_ui_test_wait_label (list, "driver-first", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);

  ev_supply_set_kwh (first, 24.68);
  ev_ui_test_wait_label (list, "24.68 kWh", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);

  ev_charging_point_set_supply (cp, second);
  ev_ui_test_wait_label (list, "35.79 kWh", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  ev_ui_test_wait_label (list, "driver-second", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_false (ev_ui_test_has_label (list, "24.68 kWh"));

  /* The old supply's figures are not this CP's any more. */
  ev_supply_set_kwh (first, 46.8);
  ev_supply_set_kwh (second, 57.91);
  ev_ui_test_wait_label (list, "57.91 kWh", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_false (ev_ui_test_has_label (list, "46.80 kWh"));

  ev_charging_point_set_supply (cp, NULL);
  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  ev_test_wait_until (NULL, supply_figures_gone, list, WAIT_MS, "the supply's figures to go");
  g_object_set (summary, "compact", FALSE, NULL);
}

/* Above the cards: a count per state, each a filter; a compact list; a
 * chart of the power and the supplies in progress. */
static void
test_summary (Fixture       *fixture,
              gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  CentralSummary *summary = CENTRAL_SUMMARY (ev_ui_test_find_type (window, CENTRAL_TYPE_SUMMARY));
  GtkGridView *grid = GTK_GRID_VIEW (ev_ui_test_find_type (window, GTK_TYPE_GRID_VIEW));
  GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (grid));
  GtkDropDown *states = GTK_DROP_DOWN (ev_ui_test_find_type (window, GTK_TYPE_DROP_DOWN));
  GListModel *cps = central_service_get_charging_points (fixture->service);
  GtkWidget *active_toggle = ev_ui_test_find (window, is_state_toggle, GINT_TO_POINTER (EV_CP_STATE_ACTIVE),
                                              EV_UI_TEST_ANY);
  GtkWidget *chart = ev_ui_test_find_type (window, CENTRAL_TYPE_CHART);
  const GdkRGBA power_colour = { 0.21, 0.52, 0.89, 1.0 };
  g_autoptr(GdkTexture) before = NULL;
  g_autoptr(GdkTexture) after = NULL;
  GtkStack *dashboard;
  GtkColumnView *list;

  g_assert_nonnull (summary);
  g_assert_nonnull (active_toggle);
  wait_cards (window, fixture->n_cps);
  wait_count (summary, EV_CP_STATE_DISCONNECTED, fixture->n_cps);

  /* Three ACTIVE, two SUPPLYING, one BROKEN: counted within a second. */
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);
      EvCpState state = i < 3 ? EV_CP_STATE_ACTIVE : i < 5 ? EV_CP_STATE_SUPPLYING : EV_CP_STATE_BROKEN;

      if (state == EV_CP_STATE_SUPPLYING)
        {
          g_autofree char *supply_id = g_strdup_printf ("supply-%u", i);

          g_autoptr(EvSupply) supply = ev_supply_new (supply_id, ev_charging_point_get_cp_id (cp), "d1");

          ev_supply_set_kwh (supply, 1.0);
          ev_charging_point_set_supply (cp, supply);
        }
      ev_charging_point_set_state (cp, state);
    }
  wait_count (summary, EV_CP_STATE_ACTIVE, 3);
  wait_count (summary, EV_CP_STATE_SUPPLYING, 2);
  wait_count (summary, EV_CP_STATE_BROKEN, 1);
  wait_count (summary, EV_CP_STATE_DISCONNECTED, fixture->n_cps - 6);

  /* A count is a filter, the same as the state menu's, and back. */
  click (active_toggle);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 3);
  g_assert_cmpuint (gtk_drop_down_get_selected (states), ==, 1 + EV_CP_STATE_ACTIVE);
  click (active_toggle);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, fixture->n_cps);
  g_assert_cmpuint (gtk_drop_down_get_selected (states), ==, 0);
  gtk_drop_down_set_selected (states, 1 + EV_CP_STATE_BROKEN);
  g_assert_cmpint (central_summary_get_state (summary), ==, EV_CP_STATE_BROKEN);
  g_assert_true (gtk_toggle_button_get_active (
    GTK_TOGGLE_BUTTON (ev_ui_test_find (window, is_state_toggle, GINT_TO_POINTER (EV_CP_STATE_BROKEN), EV_UI_TEST_ANY))));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (active_toggle)));
  gtk_drop_down_set_selected (states, 0);

  /* The compact list: the same CPs, a row each. */
  g_object_set (summary, "compact", TRUE, NULL);
  dashboard = GTK_STACK (gtk_widget_get_ancestor (GTK_WIDGET (grid), GTK_TYPE_STACK));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (dashboard), ==, "list");
  list = GTK_COLUMN_VIEW (ev_ui_test_find_class (window, "cp-list"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (list))), ==, fixture->n_cps);
  ev_ui_test_wait_label (GTK_WIDGET (list), network[0].location, EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_object_set (summary, "compact", FALSE, NULL);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (dashboard), ==, "grid");

  /* The chart: 2 kWh gained in a sample's time is power, drawn. */
  /* Before: only the scale's label is in the power's colour. */
  before = ev_ui_test_render (chart);
  central_summary_sample (summary);
  for (guint i = 3; i < 5; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      ev_supply_set_kwh (ev_charging_point_get_supply (cp), 2.0);
    }
  ev_test_sleep_spinning (NULL, 200);
  central_summary_sample (summary);
  ev_test_sleep_spinning (NULL, 200);
  central_summary_sample (summary);
  g_assert_cmpuint (central_chart_get_n_samples (CENTRAL_CHART (chart)), >=, 2);
  ev_test_sleep_spinning (NULL, 100);
  after = ev_ui_test_render (chart);
  g_assert_cmpuint (ev_ui_test_count_pixels (after, &power_colour, 0.08), >,
                    ev_ui_test_count_pixels (before, &power_colour, 0.08) + 100);
}

static gboolean
is_mapped_action_button (GtkWidget     *widget,
                         gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* At 360 px, the width of a phone: the window fits, the header's buttons
 * become icons, and a bar at the bottom reaches every page. */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  AdwViewSwitcherBar *bar = ADW_VIEW_SWITCHER_BAR (ev_ui_test_find_type (window, ADW_TYPE_VIEW_SWITCHER_BAR));
  AdwViewStack *stack = ADW_VIEW_STACK (ev_ui_test_find_type (window, ADW_TYPE_VIEW_STACK));
  g_autoptr(GPtrArray) toggles = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *layout = NULL;
  int minimum = 0;

  /* GNOME's title buttons (and a phone's): close only. */
  g_object_get (gtk_settings_get_default (), "gtk-decoration-layout", &layout, NULL);
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  wait_cards (window, fixture->n_cps);
  ev_test_wait_until (NULL, ev_ui_test_switcher_bar_shown, bar, WAIT_MS, "the view switcher bar");
  gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  g_assert_cmpint (gtk_widget_get_width (window), <=, 360);

  toggles = ev_ui_test_find_all_mapped (GTK_WIDGET (bar), GTK_TYPE_TOGGLE_BUTTON);
  g_assert_cmpuint (toggles->len, ==, 4);
  for (guint i = 0; i < toggles->len; i++)
    {
      g_signal_emit_by_name (g_ptr_array_index (toggles, i), "clicked");
      ev_test_sleep_spinning (NULL, 50);
      g_assert_true (gtk_widget_get_mapped (adw_view_stack_get_visible_child (stack)));
      g_hash_table_add (seen, (gpointer) adw_view_stack_get_visible_child_name (stack));
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 4);

  /* Stop All and Resume All stay in reach, as icons. */
  g_assert_nonnull (ev_ui_test_find (window, is_mapped_action_button, "win.stop-all", EV_UI_TEST_ANY));
  g_assert_nonnull (ev_ui_test_find (window, is_mapped_action_button, "win.resume-all", EV_UI_TEST_ANY));
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", layout, NULL);
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
          g_autoptr(EvSupply) supply = ev_supply_new (NULL, ev_charging_point_get_cp_id (cp), looks[look].driver);

          ev_supply_set_kwh (supply, looks[look].kwh);
          ev_supply_set_amount (supply, looks[look].kwh * ev_charging_point_get_price (cp));
          ev_charging_point_set_supply (cp, supply);
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

  /* Resume All harms nothing: it asks nothing, and resumes the rest. */
  g_assert_true (gtk_widget_activate_action (window, "win.resume-all", NULL));
  g_assert_null (find_message_dialog ());
  wait_card_state (window, second, EV_CP_STATE_ACTIVE);

  peer_monitor_free (link1);
  peer_monitor_free (link2);
}

/* Opens @cp_id's card menu item @action (card.reset-token or
 * card.forget) and returns the confirmation it asks for. */
static AdwMessageDialog *
card_menu_confirmation (GtkWidget  *window,
                        const char *cp_id,
                        const char *action)
{
  GtkWidget *card = find_card (window, cp_id);
  AdwMessageDialog *dialog;

  g_assert_nonnull (card);
  g_assert_null (find_message_dialog ());
  g_assert_true (gtk_widget_activate_action (card, action, NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  /* About this CP; Cancel unless the operator says otherwise. */
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), cp_id));
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  return dialog;
}

static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
card_gone (gpointer user_data)
{
  CardWait *wait = user_data;

  return find_card (wait->window, wait->cp_id) == NULL;
}

/* A card's menu offers Reset Token… and Forget…; both ask first. Reset
 * disconnects the monitor, whose old token stops working, and the log
 * says so; Forget takes the card off the dashboard; a refusal is a toast
 * in words. */
static void
test_card_menu_reset_and_forget (Fixture       *fixture,
                                 gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  guint port = central_service_get_port (fixture->service);
  const char *reset = "ALC-001";
  const char *forgotten = "ALC-002";
  CardWait gone = { window, forgotten, NULL };
  AdwMessageDialog *dialog;
  PeerMonitor *link;
  GtkMenuButton *menu_button;
  GMenuModel *menu;

  wait_cards (window, fixture->n_cps);

  /* The menu, made when first opened, holds the three card actions. */
  menu_button = GTK_MENU_BUTTON (ev_ui_test_find_type (find_card (window, forgotten), GTK_TYPE_MENU_BUTTON));
  g_assert_nonnull (menu_button);
  g_assert_null (gtk_menu_button_get_menu_model (menu_button));
  gtk_menu_button_popup (menu_button);
  menu = gtk_menu_button_get_menu_model (menu_button);
  g_assert_nonnull (menu);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 1);
  {
    g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, 0, G_MENU_LINK_SECTION);
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    g_autofree char *third = NULL;
    g_autofree char *fourth = NULL;

    g_assert_cmpint (g_menu_model_get_n_items (section), ==, 4);
    g_assert_true (g_menu_model_get_item_attribute (section, 0, G_MENU_ATTRIBUTE_ACTION, "s", &first));
    g_assert_true (g_menu_model_get_item_attribute (section, 1, G_MENU_ATTRIBUTE_ACTION, "s", &second));
    g_assert_true (g_menu_model_get_item_attribute (section, 2, G_MENU_ATTRIBUTE_ACTION, "s", &third));
    g_assert_true (g_menu_model_get_item_attribute (section, 3, G_MENU_ATTRIBUTE_ACTION, "s", &fourth));
    g_assert_cmpstr (first, ==, "card.set-price");
    g_assert_cmpstr (second, ==, "card.set-location");
    g_assert_cmpstr (third, ==, "card.reset-token");
    g_assert_cmpstr (fourth, ==, "card.forget");
  }
  gtk_menu_button_popdown (menu_button);

  /* Forget: destructive, and it says the supplies stay. Cancel does
   * nothing. */
  dialog = card_menu_confirmation (window, forgotten, "card.forget");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "forget"), ==, ADW_RESPONSE_DESTRUCTIVE);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "history"));
  answer (dialog, "cancel");
  ev_test_sleep_spinning (NULL, 300);
  g_assert_nonnull (find_card (window, forgotten));

  dialog = card_menu_confirmation (window, forgotten, "card.forget");
  answer (dialog, "forget");
  ev_test_wait_until (NULL, card_gone, &gone, WAIT_MS, "the forgotten card to go");
  wait_cards (window, fixture->n_cps - 1);
  g_assert_cmpuint (g_list_model_get_n_items (central_service_get_charging_points (fixture->service)), ==,
                    fixture->n_cps - 1);

  /* Once more (a second window, a stale dialog): refused, in words. */
  g_assert_true (gtk_widget_activate_action (window, "win.forget-cp", "s", forgotten));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  answer (dialog, "forget");
  ev_ui_test_wait_label (window, "There is no charging point “ALC-002”", EV_UI_TEST_ANY, WAIT_MS);

  /* Reset: its monitor is cut off, its old token no longer works. */
  link = peer_monitor_connect (port);
  monitor_auth (link, reset, fixture->tokens[index_of (reset)]);
  monitor_status (link, EV_ENGINE_HEALTH_OK);
  wait_card_state (window, reset, EV_CP_STATE_ACTIVE);
  dialog = card_menu_confirmation (window, reset, "card.reset-token");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "register again"));
  answer (dialog, "reset-token");
  peer_monitor_wait_closed (link);
  wait_card_state (window, reset, EV_CP_STATE_DISCONNECTED);
  peer_monitor_free (link);
  link = peer_monitor_connect (port);
  expect_status (peer_monitor_auth (link, reset, fixture->tokens[index_of (reset)]), EV_LINK_STATUS_DENIED);
  peer_monitor_free (link);

  /* Set Price…: the CP's price, shown on its card from then on. */
  g_assert_true (gtk_widget_activate_action (find_card (window, reset), "card.set-price", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), reset));
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (adw_message_dialog_get_extra_child (dialog))),
                                  CENTRAL_CORE_DEFAULT_PRICE, 1e-9);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (adw_message_dialog_get_extra_child (dialog)), 0.55);
  answer (dialog, "set");
  ev_ui_test_wait_label (find_card (window, reset), "0.55 €/kWh", EV_UI_TEST_ANY, WAIT_MS);

  /* Edit Location…: from the location the card shows, to a new one. */
  g_assert_true (gtk_widget_activate_action (find_card (window, reset), "card.set-location", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), reset));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog))), !=, "");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "Elche, Parque Empresarial 7");
  answer (dialog, "set");
  ev_ui_test_wait_label (find_card (window, reset), "Elche, Parque Empresarial 7", EV_UI_TEST_ANY, WAIT_MS);

  /* The log says what the operator did. */
  g_assert_true (central_window_show_page (fixture->window, "log"));
  ev_ui_test_wait_label (window, "Set the price of charging point ALC-001 to 0.55 €/kWh", EV_UI_TEST_ANY, WAIT_MS);
  ev_ui_test_wait_label (window, "Charging point ALC-001 is now at Elche, Parque Empresarial 7", EV_UI_TEST_ANY,
                         WAIT_MS);
  ev_ui_test_wait_label (window, "Reset the token of charging point ALC-001", EV_UI_TEST_ANY, WAIT_MS);
  ev_ui_test_wait_label (window, "Forgot charging point ALC-002", EV_UI_TEST_ANY, WAIT_MS);
}

/* Forget a Driver's Key… (primary menu) asks for the driver id, Cancel
 * by default; an id bound to no key is refused in words, a bound one is
 * unbound and the log says so. */
static void
test_forget_driver_key (Fixture       *fixture,
                        gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (window, "win.forget-driver-key", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "DRV-NOBODY");
  answer (dialog, "forget-key");
  ev_ui_test_wait_label (window, "Driver DRV-NOBODY is bound to no key", EV_UI_TEST_ANY, WAIT_MS);

  g_assert_true (gtk_widget_activate_action (window, "win.forget-driver-key", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), " DRV-LOST ");
  answer (dialog, "forget-key");
  g_assert_true (central_window_show_page (fixture->window, "log"));
  ev_ui_test_wait_label (window, "Driver DRV-LOST is no longer bound to a key: their next request binds a new one",
                         EV_UI_TEST_ANY, WAIT_MS);
}

static void
test_card_follows_item (void)
{
  g_autoptr(EvChargingPoint) cp = ev_charging_point_new ("CP-42");
  g_autoptr(EvSupply) first = ev_supply_new ("S1", "CP-42", "driver-7");
  g_autoptr(EvSupply) second = ev_supply_new ("S2", "CP-42", "driver-8");
  GtkWidget *card = g_object_ref_sink (central_cp_card_new ());

  ev_supply_set_kwh (second, 0.5);
  ev_charging_point_set_location (cp, "Alicante, Plaza de los Luceros");
  central_cp_card_set_item (CENTRAL_CP_CARD (card), cp);
  g_assert_true (ev_ui_test_has_label (card, "CP-42"));
  g_assert_true (ev_ui_test_has_label (card, "Alicante, Plaza de los Luceros"));
  g_assert_true (gtk_widget_has_css_class (card, "state-disconnected"));

  ev_charging_point_set_state (cp, EV_CP_STATE_SUPPLYING);
  ev_charging_point_set_supply (cp, first);
  g_assert_true (ev_ui_test_has_label (card, "Driver driver-7"));
  ev_supply_set_kwh (first, 4.25);
  g_assert_true (ev_ui_test_has_label (card, "4.25 kWh"));
  ev_charging_point_set_supply (cp, second);
  g_assert_true (ev_ui_test_has_label (card, "Driver driver-8"));
  g_assert_true (ev_ui_test_has_label (card, "0.50 kWh"));
  g_assert_false (ev_ui_test_has_label (card, "4.25 kWh"));
  /* The old supply is no longer shown. */
  ev_supply_set_kwh (first, 6.0);
  g_assert_false (ev_ui_test_has_label (card, "6.00 kWh"));
  ev_charging_point_set_supply (cp, NULL);
  g_assert_false (ev_ui_test_has_label (card, "Driver driver-8"));
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

/* A real network ----------------------------------------------------------- */

static gboolean
mapped_label_containing (GtkWidget     *widget,
                         gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

static gboolean
entry_named (GtkWidget     *widget,
             gconstpointer  placeholder)
{
  g_autofree char *text = NULL;

  if (!GTK_IS_SEARCH_ENTRY (widget))
    return FALSE;
  g_object_get (widget, "placeholder-text", &text, NULL);
  return g_strcmp0 (text, placeholder) == 0;
}

static gboolean
held_once (gpointer object)
{
  return g_atomic_int_get (&G_OBJECT (object)->ref_count) == 1;
}

/* Shows the page @name of the console and waits for a row of it that
 * shows @text. */
/* A label that says exactly @data. */
static gboolean
label_is (GtkWidget     *widget,
          gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), data) == 0;
}

static void
wait_page_shows (GtkWidget  *window,
                 const char *name,
                 const char *text)
{
  AdwViewStack *stack = ADW_VIEW_STACK (ev_ui_test_find_type (window, ADW_TYPE_VIEW_STACK));
  g_autofree char *what = g_strdup_printf ("the %s page to show “%s”", name, text);

  adw_view_stack_set_visible_child_name (stack, name);
  ev_ui_test_wait_for (window, mapped_label_containing, text, EV_UI_TEST_ANY, WAIT_MS, what);
}

/* A widget that counts how often it is measured. */
#define TEST_TYPE_MEASURE_PROBE (test_measure_probe_get_type ())
G_DECLARE_FINAL_TYPE (TestMeasureProbe, test_measure_probe, TEST, MEASURE_PROBE, GtkWidget)

struct _TestMeasureProbe
{
  GtkWidget parent_instance;
  guint     measured;
};

G_DEFINE_FINAL_TYPE (TestMeasureProbe, test_measure_probe, GTK_TYPE_WIDGET)

static void
test_measure_probe_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  TEST_MEASURE_PROBE (widget)->measured++;
  *minimum = *natural = 16;
}

static void
test_measure_probe_class_init (TestMeasureProbeClass *klass)
{
  GTK_WIDGET_CLASS (klass)->measure = test_measure_probe_measure;
}

static void
test_measure_probe_init (TestMeasureProbe *self)
{
}

static void
count_layout_cb (GdkFrameClock *clock,
                 guint         *layouts)
{
  (*layouts)++;
}

/* Each frame asks for the next layout, so that three come even when
 * nothing else in the window moves. */
static void
next_layout_cb (GdkFrameClock *clock,
                guint         *layouts)
{
  if (*layouts < 3)
    gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_LAYOUT);
}

static gboolean
layouts_done (gpointer layouts)
{
  return *(guint *) layouts >= 3;
}

/* Changes @probes' size, as a cell whose figure changes does, and waits
 * for three layouts of @window (all of it queued, so that the window is
 * laid out whatever the probes do), their counts reset before. */
static void
resize_and_lay_out (GtkWidget         *window,
                    TestMeasureProbe **probes,
                    guint              n_probes)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  guint layouts = 0;
  gulong counter = g_signal_connect (clock, "layout", G_CALLBACK (count_layout_cb), &layouts);
  gulong next = g_signal_connect (clock, "after-paint", G_CALLBACK (next_layout_cb), &layouts);

  for (guint i = 0; i < n_probes; i++)
    {
      probes[i]->measured = 0;
      gtk_widget_queue_resize (GTK_WIDGET (probes[i]));
    }
  gtk_widget_queue_resize (window);
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_LAYOUT);
  ev_test_wait_until (NULL, layouts_done, &layouts, WAIT_MS, "three layouts of the window");
  g_signal_handler_disconnect (clock, counter);
  g_signal_handler_disconnect (clock, next);
}

/* A view that does not show costs the window no layout: neither the
 * page that is not shown nor, on the dashboard, the view behind the
 * other (cards or compact list) is measured. A hidden view that was
 * measured anyway re-measured its rows for every change of every CP: at
 * 1,000 CPs, the compact list behind the Log page alone made one frame
 * in eight late by over 33 ms. */
static void
test_hidden_views_not_measured (Fixture       *fixture,
                                gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  AdwViewStack *pages = ADW_VIEW_STACK (ev_ui_test_find_type (window, ADW_TYPE_VIEW_STACK));
  GtkStack *dashboard = GTK_STACK (gtk_widget_get_ancestor (ev_ui_test_find_class (window, "cp-grid"),
                                                            GTK_TYPE_STACK));
  TestMeasureProbe *probes[2];

  wait_cards (window, fixture->n_cps);
  probes[0] = g_object_new (TEST_TYPE_MEASURE_PROBE, NULL);
  probes[1] = g_object_new (TEST_TYPE_MEASURE_PROBE, NULL);
  adw_view_stack_add_named (pages, GTK_WIDGET (probes[0]), "probe-page");
  gtk_stack_add_named (dashboard, GTK_WIDGET (probes[1]), "probe-view");

  /* The cards show: neither another page nor the view behind them. */
  resize_and_lay_out (window, probes, 2);
  g_assert_cmpuint (probes[0]->measured, ==, 0);
  g_assert_cmpuint (probes[1]->measured, ==, 0);

  /* The Log page shows: nothing of the dashboard. */
  g_assert_true (central_window_show_page (fixture->window, "log"));
  wait_page_shows (window, "log", "Central is listening");
  resize_and_lay_out (window, probes, 2);
  g_assert_cmpuint (probes[0]->measured, ==, 0);
  g_assert_cmpuint (probes[1]->measured, ==, 0);

  /* Shown, a probe is measured: the counts can tell. */
  adw_view_stack_set_visible_child_name (pages, "probe-page");
  resize_and_lay_out (window, probes, 2);
  g_assert_cmpuint (probes[0]->measured, >, 0);
  g_assert_cmpuint (probes[1]->measured, ==, 0);

  g_assert_true (central_window_show_page (fixture->window, "dashboard"));
  adw_view_stack_remove (pages, GTK_WIDGET (probes[0]));
  gtk_stack_remove (dashboard, GTK_WIDGET (probes[1]));
  wait_cards (window, fixture->n_cps);
}

typedef struct {
  CentralService *service;
  guint           n;
} ActiveWait;

static gboolean
all_active (gpointer user_data)
{
  ActiveWait *wait = user_data;
  GListModel *cps = central_service_get_charging_points (wait->service);

  if (g_list_model_get_n_items (cps) != wait->n)
    return FALSE;
  for (guint i = 0; i < wait->n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (ev_charging_point_get_state (cp) != EV_CP_STATE_ACTIVE)
        return FALSE;
    }
  return TRUE;
}

static JsonObject *
fleet_stats (EvTestProgram *fleet)
{
  guint seen = ev_test_program_count (fleet, "stats", NULL, NULL, NULL, NULL);

  ev_test_program_send (fleet, "stats");
  ev_test_program_wait (fleet, seen + 1, "stats", NULL, NULL, NULL, NULL);
  return ev_test_program_last (fleet, "stats");
}

static EvTestProgram *
start_fleet (const char *dir,
             guint       port,
             const char *bootstrap,
             guint       count,
             const char *prefix,
             const char *unplug_after)
{
  g_autofree char *n = g_strdup_printf ("%u", count);
  g_autofree char *central = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  const char *argv[] = { g_getenv ("EV_STATION"), "fleet", "--count", n, "--prefix", prefix,
                         "--central", central, "--kafka", bootstrap, "--token-dir", tokens,
                         "--stats-interval", "0", "--auto-plug", "0.2", "--auto-unplug-after", unplug_after,
                         NULL };
  EvTestProgram *fleet;

  g_assert_nonnull (argv[0]);
  fleet = ev_test_program_start ("ev-station fleet", dir, argv);
  ev_test_program_wait (fleet, 1, "ready", NULL, NULL, NULL, NULL);
  return fleet;
}

/* The console of a real network: 500 monitors register at once (each its
 * own TCP link, from `ev-station fleet`, a real process), drivers charge.
 * The window draws all along; no link is lost, and the dashboard, the
 * Requests, Log and History pages all show what happened. */
static void
test_fleet_of_500 (void)
{
  const guint n = 500;
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db_path = g_build_filename (dir, "central.db", NULL);
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(GError) error = NULL;
  PeerBroker *broker = peer_broker_start ();
  const char *bootstrap = peer_broker_get_bootstrap (broker);
  CentralService *service;
  CentralWindow *window;
  EvTestProgram *fleet;
  PeerDriver *drivers[3];
  char *supply_ids[G_N_ELEMENTS (drivers)] = { NULL };
  char *request_ids[G_N_ELEMENTS (drivers)] = { NULL };
  g_autofree char *count_text = g_strdup_printf ("Charging points: %u", n);
  ActiveWait active = { NULL, n };
  JsonObject *stats;

  core = g_object_new (CENTRAL_TYPE_CORE,
                       "listen", "127.0.0.1:0",
                       "bootstrap", bootstrap,
                       "db-path", db_path,
                       "auto-approve", TRUE,
                       NULL);
  service = central_service_new (core);
  g_assert_true (central_service_start (service, &error));
  g_assert_no_error (error);
  window = g_object_ref_sink (central_window_new (NULL, service));
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_present (GTK_WINDOW (window));
  /* The Log page shows while everyone registers. */
  wait_page_shows (GTK_WIDGET (window), "log", "Central is listening");

  /* Supplies last 10 s: long enough to be seen among the requests. */
  fleet = start_fleet (dir, central_service_get_port (service), bootstrap, n, "UI", "10");
  active.service = service;
  ev_test_wait_until (NULL, all_active, &active, WAIT_MS, "500 CPs ACTIVE in the console");
  ev_ui_test_wait_label (GTK_WIDGET (window), count_text, EV_UI_TEST_ANY, WAIT_MS);
  wait_page_shows (GTK_WIDGET (window), "log", "registered at Fleet UI");

  /* Drivers charge at three CPs: Requests while they supply, History
   * once their tickets are out. */
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    {
      g_autofree char *driver_id = g_strdup_printf ("ui-driver-%u", i);

      drivers[i] = peer_driver_new (bootstrap, driver_id);
    }
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("UI%05u", 100 * (i + 1));

      request_ids[i] = peer_driver_request (drivers[i], cp_id);
    }
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    {
      const EvSupplyResponse *response = peer_driver_wait_response (drivers[i], request_ids[i]);

      g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
      supply_ids[i] = g_strdup (response->supply_id);
    }
  wait_page_shows (GTK_WIDGET (window), "requests", "ui-driver-0");
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    peer_driver_wait_data (drivers[i], supply_ids[i], EV_SUPPLY_DATA_TICKET, 0);
  wait_page_shows (GTK_WIDGET (window), "history", "ui-driver-2");
  /* Reasons in words, amounts in €, where a person reads them. */
  wait_page_shows (GTK_WIDGET (window), "history", "the vehicle was unplugged");
  g_assert_null (ev_ui_test_find (GTK_WIDGET (window), label_is, "unplugged", EV_UI_TEST_VISIBLE_ONLY));
  wait_page_shows (GTK_WIDGET (window), "log", "Ticket for driver ui-driver-1");
  wait_page_shows (GTK_WIDGET (window), "log", " €");
  g_assert_null (ev_ui_test_find (GTK_WIDGET (window), mapped_label_containing, "EUR", EV_UI_TEST_ANY));

  /* Both pages search the whole database, older lines included. */
  {
    GtkWidget *log_search = ev_ui_test_find (GTK_WIDGET (window), entry_named, "Search the whole log",
                                             EV_UI_TEST_ANY);
    GtkWidget *history_search = ev_ui_test_find (GTK_WIDGET (window), entry_named, "Search every session",
                                                 EV_UI_TEST_ANY);

    g_assert_nonnull (log_search);
    g_assert_nonnull (history_search);
    gtk_editable_set_text (GTK_EDITABLE (log_search), "ui00007");
    wait_page_shows (GTK_WIDGET (window), "log", "Charging point UI00007 registered");
    g_assert_true (ev_ui_test_wait_label (GTK_WIDGET (window), "Found 1", EV_UI_TEST_ANY, WAIT_MS) != NULL);
    gtk_editable_set_text (GTK_EDITABLE (log_search), "");
    wait_page_shows (GTK_WIDGET (window), "log", "Ticket for driver ui-driver-");

    gtk_editable_set_text (GTK_EDITABLE (history_search), "ui-driver-1");
    ev_ui_test_wait_label (GTK_WIDGET (window), "Found 1", EV_UI_TEST_ANY, WAIT_MS);
    wait_page_shows (GTK_WIDGET (window), "history", "ui-driver-1");
    g_assert_null (ev_ui_test_find (GTK_WIDGET (window), mapped_label_containing, "ui-driver-2", EV_UI_TEST_ANY));
  }

  /* Nothing was lost while the window drew. */
  stats = fleet_stats (fleet);
  g_assert_cmpint (json_object_get_int_member (stats, "links_up"), ==, n);
  g_assert_cmpint (json_object_get_int_member (stats, "registered"), ==, n);
  g_assert_cmpint (json_object_get_int_member (stats, "errors"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (stats, "reconnects"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (stats, "tickets"), >=, G_N_ELEMENTS (drivers));
  g_assert_cmpuint (central_service_get_n_links (service), ==, n);

  ev_test_program_send (fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (fleet), ==, 0);
  ev_test_program_free (fleet);
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    {
      peer_driver_free (drivers[i]);
      g_free (request_ids[i]);
      g_free (supply_ids[i]);
    }

  ev_ui_test_destroy_window (window, WAIT_MS);
  central_service_shutdown (service);
  /* A search the entry started by itself may still be answering. */
  ev_test_wait_until (NULL, held_once, service, WAIT_MS, "the searches to end");
  g_assert_finalize_object (service);
  peer_broker_stop (broker);
  ev_test_rm_rf (dir);
}

/* The real ev-central, its window on the test's display ----------------- */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *err;
  GCancellable     *cancellable;
  guint             port;
  gboolean          exited;
  int               status;
} Console;

static void console_read (Console *console);

static void
console_line_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Console *console = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (console->err, result, NULL, NULL);
  const char *port;

  if (line == NULL)
    return;
  g_test_message ("ev-central: %s", line);
  port = strstr (line, "listening on port ");
  if (port != NULL)
    console->port = (guint) g_ascii_strtoull (port + strlen ("listening on port "), NULL, 10);
  console_read (console);
}

static void
console_read (Console *console)
{
  g_data_input_stream_read_line_async (console->err, G_PRIORITY_DEFAULT, console->cancellable,
                                       console_line_cb, console);
}

static void
console_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Console *console = user_data;
  GSubprocess *process = G_SUBPROCESS (source);

  if (!g_subprocess_wait_finish (process, result, NULL))
    return;
  if (g_subprocess_get_if_signaled (process))
    console->status = -g_subprocess_get_term_sig (process);
  else
    console->status = g_subprocess_get_exit_status (process);
  console->exited = TRUE;
}

static gboolean
console_listening (gpointer user_data)
{
  Console *console = user_data;

  g_assert_false (console->exited);
  return console->port != 0;
}

/* ev-central with its window, on its own (no session bus: it cannot
 * hand over to another Central of the same session). */
static void
console_start (Console    *console,
               const char *dir,
               const char *bootstrap)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *db = g_build_filename (dir, "console.db", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (g_getenv ("EV_CENTRAL"));
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  console->cancellable = g_cancellable_new ();
  console->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("EV_CENTRAL"),
                                                  "--listen", "127.0.0.1:0", "--auto-approve", "--kafka", bootstrap,
                                                  "--db", db, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (console->process, NULL, console_exited_cb, console);
  console->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (console->process));
  console_read (console);
  ev_test_wait_until (NULL, console_listening, console, WAIT_MS, "ev-central to listen");
}

static int
console_signal (Console *console,
                int      signum)
{
  g_subprocess_send_signal (console->process, signum);
  ev_test_wait_flag (NULL, &console->exited, WAIT_MS, "ev-central to exit");
  g_cancellable_cancel (console->cancellable);
  ev_test_sleep_spinning (NULL, 10);
  g_clear_object (&console->err);
  g_clear_object (&console->process);
  g_clear_object (&console->cancellable);
  return console->status;
}

/* The program people launch from the menu: with a fleet of 500 on it, no
 * link is lost; SIGTERM and SIGINT shut it down cleanly, exit status 0. */
static void
test_program_signals (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  PeerBroker *broker = peer_broker_start ();
  const char *bootstrap = peer_broker_get_bootstrap (broker);
  Console console = { 0 };
  EvTestProgram *fleet;
  JsonObject *stats;

  console_start (&console, dir, bootstrap);
  fleet = start_fleet (dir, console.port, bootstrap, 500, "PS", "2");
  do
    stats = fleet_stats (fleet);
  while (json_object_get_int_member (stats, "registered") < 500);
  ev_test_sleep_spinning (NULL, 4000);
  stats = fleet_stats (fleet);
  g_assert_cmpint (json_object_get_int_member (stats, "links_up"), ==, 500);
  g_assert_cmpint (json_object_get_int_member (stats, "errors"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (stats, "reconnects"), ==, 0);

  g_assert_cmpint (console_signal (&console, SIGTERM), ==, 0);
  ev_test_program_send (fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (fleet), ==, 0);
  ev_test_program_free (fleet);

  console = (Console) { 0 };
  console_start (&console, dir, bootstrap);
  g_assert_cmpint (console_signal (&console, SIGINT), ==, 0);

  /* --ui-stats: the events as headless prints them, and how the window
   * draws, on stdout. */
  {
    g_autofree char *db = g_build_filename (dir, "events.db", NULL);
    const char *env[] = { "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", NULL };
    const char *argv[] = { g_getenv ("EV_CENTRAL"), "--ui-stats", "200", "--page", "log", "--auto-approve",
                           "--listen", "127.0.0.1:0", "--kafka", bootstrap, "--db", db, NULL };
    EvTestProgram *window = ev_test_program_start_with_env ("ev-central-window", dir, env, argv);
    JsonObject *stats;

    ev_test_program_wait (window, 1, "ready", NULL, NULL, NULL, NULL);
    ev_test_program_wait (window, 3, "ui-stats", NULL, NULL, NULL, NULL);
    stats = ev_test_program_last (window, "ui-stats");
    g_assert_cmpint (json_object_get_int_member (stats, "frames"), >, 0);
    g_assert_true (json_object_has_member (json_object_get_object_member (stats, "frame_ms"), "p99"));
    g_assert_cmpint (json_object_get_int_member (stats, "probes"), >, 0);
    g_assert_cmpint (json_object_get_int_member (stats, "rss_kib"), >, 0);
    g_subprocess_send_signal (window->process, SIGTERM);
    g_assert_cmpint (ev_test_program_wait_exit (window, WAIT_MS), ==, 0);
    ev_test_program_free (window);
  }

  peer_broker_stop (broker);
  ev_test_rm_rf (dir);
}

static gboolean
approved (gpointer user_data)
{
  return !ev_charging_point_get_pending (user_data);
}

/* Issue 14: a CP awaiting approval shows under Pending Approval and on
 * its card, which offers Approve and Reject… (asked first); approved, it
 * becomes a normal card and the section goes. */
static void
test_pending_approval (Fixture       *fixture,
                       gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  const char *cp_id = network[fixture->n_cps - 1].cp_id;
  EvChargingPoint *item;
  GtkWidget *card;
  GtkRevealer *section;
  AdwMessageDialog *dialog;

  wait_cards (window, fixture->n_cps);
  card = find_card (window, cp_id);
  item = central_cp_card_get_item (CENTRAL_CP_CARD (card));
  g_assert_true (ev_charging_point_get_pending (item));
  g_assert_true (ev_ui_test_has_label (card, "Pending"));
  g_assert_true (gtk_widget_get_visible (ev_ui_test_find_button (card, "win.approve-cp")));
  g_assert_false (gtk_widget_get_visible (ev_ui_test_find_button (card, "win.stop-cp")));
  g_assert_false (ev_ui_test_has_label (find_card (window, network[0].cp_id), "Pending"));

  /* The section lists it, with its own buttons. */
  section = GTK_REVEALER (gtk_widget_get_ancestor (GTK_WIDGET (ev_ui_test_find_label (window, "Pending Approval",
                                                                                       EV_UI_TEST_ANY)),
                                                   GTK_TYPE_REVEALER));
  g_assert_true (gtk_revealer_get_reveal_child (section));
  g_assert_true (ev_ui_test_has_label (GTK_WIDGET (section), cp_id));
  g_assert_nonnull (ev_ui_test_find_button (GTK_WIDGET (section), "win.approve-cp"));
  g_assert_nonnull (ev_ui_test_find_button (GTK_WIDGET (section), "win.reject-cp"));

  /* Reject asks first; Cancel keeps it. */
  g_assert_true (gtk_widget_activate_action (ev_ui_test_find_button (card, "win.reject-cp"), "win.reject-cp", "s", cp_id));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "reject"), ==, ADW_RESPONSE_DESTRUCTIVE);
  answer (dialog, "cancel");
  ev_test_sleep_spinning (NULL, 300);
  g_assert_true (ev_charging_point_get_pending (item));

  /* Approve: a normal card, and nothing left pending. */
  g_assert_true (gtk_widget_activate_action (ev_ui_test_find_button (card, "win.approve-cp"), "win.approve-cp", "s", cp_id));
  ev_test_wait_until (NULL, approved, item, WAIT_MS, "the CP to be approved");
  g_assert_false (ev_ui_test_has_label (card, "Pending"));
  g_assert_false (gtk_widget_get_visible (ev_ui_test_find_button (card, "win.approve-cp")));
  g_assert_true (gtk_widget_get_visible (ev_ui_test_find_button (card, "win.stop-cp")));
  g_assert_false (gtk_revealer_get_reveal_child (section));
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

  if (!ev_ui_test_in_spanish ())
    return;

  fixture_setup (&fixture, GUINT_TO_POINTER (2 | WITH_PENDING));
  window = GTK_WIDGET (fixture.window);
  disconnected = ev_cp_state_get_label (EV_CP_STATE_DISCONNECTED);

  /* Not the English text: the catalogue was found and used. */
  g_assert_cmpstr (disconnected, ==, "Desconectado");
  g_assert_true (ev_ui_test_has_label (window, "Detener todos"));
  g_assert_false (ev_ui_test_has_label (window, "Stop All"));
  wait_cards (window, fixture.n_cps);
  g_assert_true (ev_ui_test_has_label (find_card (window, network[0].cp_id), disconnected));
  {
    AdwMessageDialog *dialog = card_menu_confirmation (window, network[0].cp_id, "card.forget");

    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "¿Olvidar ALC-001?");
    answer (dialog, "cancel");
  }
  {
    AdwMessageDialog *dialog;
    GtkWidget *summary;
    GtkWidget *toggle;

    /* The location dialog and the summary speak Spanish too. */
    g_assert_true (gtk_widget_activate_action (find_card (window, network[0].cp_id), "card.set-location", NULL));
    dialog = find_message_dialog ();
    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Ubicación de ALC-001");
    answer (dialog, "cancel");
    summary = ev_ui_test_find_type (window, CENTRAL_TYPE_SUMMARY);
    g_assert_true (ev_ui_test_has_label (summary, "Desconectado"));
    toggle = ev_ui_test_find (summary, is_state_toggle, GINT_TO_POINTER (EV_CP_STATE_BROKEN), EV_UI_TEST_ANY);
    g_assert_cmpstr (gtk_widget_get_tooltip_text (toggle), ==,
                     "Mostrar solo los puntos de recarga en estado «Averiado»");
  }
  /* The CP awaiting approval, and its section. */
  g_assert_true (ev_ui_test_has_label (find_card (window, network[1].cp_id), "Pendiente"));
  g_assert_true (ev_ui_test_has_label (window, "Pendientes de aprobación"));
  g_assert_nonnull (ev_ui_test_find_button (find_card (window, network[1].cp_id), "win.approve-cp"));
  g_assert_true (ev_ui_test_has_label (find_card (window, network[1].cp_id), "Aprobar"));
  fixture_teardown (&fixture, GUINT_TO_POINTER (2 | WITH_PENDING));
}

/* The keyboard shortcuts window (win.show-help-overlay, Ctrl+?) lists
 * shortcuts. */
static void
test_shortcuts_window (void)
{
  ev_ui_test_check_shortcuts ("/io/github/evcharging/EVCharging/Central/shortcuts.ui");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ev_ui_test_bind_catalogue ();

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
  g_test_add ("/central-ui/window/card-menu-reset-forget", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_card_menu_reset_and_forget, fixture_teardown);
  g_test_add ("/central-ui/window/forget-driver-key", Fixture, GUINT_TO_POINTER (2),
              fixture_setup, test_forget_driver_key, fixture_teardown);
  g_test_add ("/central-ui/window/summary", Fixture, GUINT_TO_POINTER (12),
              fixture_setup, test_summary, fixture_teardown);
  g_test_add ("/central-ui/window/list-follows-supply", Fixture, GUINT_TO_POINTER (2),
              fixture_setup, test_list_follows_supply, fixture_teardown);
  g_test_add ("/central-ui/window/hidden-views-not-measured", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_hidden_views_not_measured, fixture_teardown);
  g_test_add ("/central-ui/window/narrow", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_narrow, fixture_teardown);
  g_test_add ("/central-ui/window/pending-approval", Fixture, GUINT_TO_POINTER (3 | WITH_PENDING),
              fixture_setup, test_pending_approval, fixture_teardown);
  g_test_add_func ("/central-ui/window/spanish", test_spanish);
  g_test_add_func ("/central-ui/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/central-ui/window/fleet-of-500", test_fleet_of_500);
  g_test_add_func ("/central-ui/program/signals", test_program_signals);
  /* Only on request (./run screenshots): it checks nothing, it paints. */
  if (g_getenv ("EV_SCREENSHOT") != NULL)
    g_test_add ("/central-ui/window/screenshot", Fixture, GUINT_TO_POINTER (G_N_ELEMENTS (network)),
                fixture_setup, test_screenshot, fixture_teardown);

  return g_test_run ();
}

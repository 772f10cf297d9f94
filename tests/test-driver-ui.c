/* test-driver-ui: the driver's window under Xvfb.
 *
 * The window shows a real DriverCore on a private ev-broker, with the
 * test Central of driver-peers.c publishing cp-states and answering the
 * requests as each test says. Requests go through the window's actions,
 * as its buttons do, and the tests read what the labels show.
 *
 * With EV_DRIVER_SCREENSHOTS=<folder> a last test saves
 * screenshot-driver.png there: a supply in progress, with a history. */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "driver-application.h"
#include "driver-cp-row.h"
#include "driver-id-dialog.h"
#include "driver-peers.h"
#include "driver-settings.h"
#include "driver-window.h"
#include "ev-supply.h"
#include "test-utils.h"
#include "ui-test-utils.h"

#define DRIVER_ID "d1"
#define ANSWER_TIMEOUT_MS 20000
#define SHORT_ANSWER_TIMEOUT_MS 1500
#define FILE_SPACING_MS 300

/* Widgets ------------------------------------------------------------------ */

static gboolean
is_cp_row (GtkWidget     *widget,
           gconstpointer  cp_id)
{
  EvChargingPoint *item;

  if (!DRIVER_IS_CP_ROW (widget))
    return FALSE;
  item = driver_cp_row_get_item (DRIVER_CP_ROW (widget));
  return item != NULL && g_strcmp0 (ev_charging_point_get_cp_id (item), cp_id) == 0;
}

/* The row showing @cp_id in the CP list, if it is drawn. */
static DriverCpRow *
find_cp_row (GtkWidget  *widget,
             const char *cp_id)
{
  return (DriverCpRow *) ev_ui_test_find (widget, is_cp_row, cp_id, EV_UI_TEST_ANY);
}

typedef struct {
  GtkWidget  *window;
  const char *cp_id;
  const char *css_class;
} RowWait;

static gboolean
row_has_class (gpointer user_data)
{
  RowWait *wait = user_data;
  DriverCpRow *row = find_cp_row (wait->window, wait->cp_id);

  return row != NULL && gtk_widget_has_css_class (GTK_WIDGET (row), wait->css_class);
}

static void
wait_row_state (GtkWidget  *window,
                const char *cp_id,
                EvCpState   state)
{
  RowWait wait = { window, cp_id, ev_cp_state_get_css_class (state) };
  g_autofree char *what = g_strdup_printf ("%s shown %s", cp_id, ev_cp_state_to_string (state));
  DriverCpRow *row;

  ev_test_wait_until (NULL, row_has_class, &wait, PEER_WAIT_MS, what);
  row = find_cp_row (window, cp_id);
  for (guint i = 0; i <= EV_CP_STATE_LAST; i++)
    if (i != state)
      g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), ev_cp_state_get_css_class (i)));
  g_assert_nonnull (ev_ui_test_find_label (GTK_WIDGET (row), ev_cp_state_get_label (state), EV_UI_TEST_VISIBLE_ONLY));
}

/* Fixture: broker, test Central, core, window ---------------------------------- */

typedef struct {
  PeerBroker   *broker;
  FakeCentral  *central;
  char         *state_dir;
  DriverCore   *core;
  DriverWindow *window;
} Fixture;

typedef struct {
  gint64   answer_timeout;
  gboolean screenshot;
  int      width;  /* 0: the default */
} FixtureData;

static const FixtureData normal = { ANSWER_TIMEOUT_MS, FALSE, 0 };
static const FixtureData impatient = { SHORT_ANSWER_TIMEOUT_MS, FALSE, 0 };
static const FixtureData screenshot = { ANSWER_TIMEOUT_MS, TRUE, 0 };
/* The narrowest phone GNOME designs for. */
static const FixtureData narrow = { ANSWER_TIMEOUT_MS, FALSE, 360 };

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const FixtureData *data = user_data;
  g_autoptr(GError) error = NULL;

  fixture->broker = peer_broker_start ();
  fixture->central = fake_central_new (peer_broker_get_bootstrap (fixture->broker));
  fixture->state_dir = ev_test_make_tmpdir ();
  fixture->core = g_object_new (DRIVER_TYPE_CORE,
                                "driver-id", DRIVER_ID,
                                "bootstrap", peer_broker_get_bootstrap (fixture->broker),
                                "state-dir", fixture->state_dir,
                                "answer-timeout", data->answer_timeout,
                                "file-spacing", (gint64) FILE_SPACING_MS,
                                NULL);

  /* The window comes first, so that it sees every change. */
  fixture->window = g_object_ref_sink (driver_window_new (NULL, fixture->core, NULL));
  if (data->screenshot)
    gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1040, 760);
  if (data->width != 0)
    gtk_window_set_default_size (GTK_WINDOW (fixture->window), data->width, 720);
  gtk_window_present (GTK_WINDOW (fixture->window));

  g_assert_true (driver_core_start (fixture->core, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ev_ui_test_destroy_window (g_steal_pointer (&fixture->window), PEER_WAIT_MS);

  driver_core_shutdown (fixture->core);
  g_assert_finalize_object (g_steal_pointer (&fixture->core));
  fake_central_free (fixture->central);
  peer_broker_stop (fixture->broker);
  ev_test_rm_rf (fixture->state_dir);
  g_free (fixture->state_dir);
}

static GtkSingleSelection *
cp_selection (Fixture *fixture)
{
  GtkListView *view = GTK_LIST_VIEW (ev_ui_test_find_class (GTK_WIDGET (fixture->window), "cp-list"));

  return GTK_SINGLE_SELECTION (gtk_list_view_get_model (view));
}

typedef struct {
  GListModel *model;
  guint       n;
} CountWait;

static gboolean
count_is (gpointer user_data)
{
  CountWait *wait = user_data;

  return g_list_model_get_n_items (wait->model) == wait->n;
}

static void
wait_cps_shown (Fixture *fixture,
                guint    n)
{
  CountWait wait = { G_LIST_MODEL (cp_selection (fixture)), n };

  ev_test_wait_until (NULL, count_is, &wait, PEER_WAIT_MS, "the charging points listed");
}

static void
select_cp (Fixture    *fixture,
           const char *cp_id)
{
  GtkSingleSelection *selection = cp_selection (fixture);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (selection));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_str_equal (ev_charging_point_get_cp_id (cp), cp_id))
        {
          gtk_single_selection_set_selected (selection, i);
          return;
        }
    }
  g_error ("%s is not listed", cp_id);
}

static gboolean
is_sensitive (GtkWidget *widget)
{
  return gtk_widget_get_sensitive (widget) && gtk_widget_is_sensitive (widget);
}

static gboolean
request_enabled (gpointer window)
{
  return is_sensitive (ev_ui_test_find_button (window, "win.request"));
}

/* Through the button's action, as a click does. */
static const EvSupplyRequest *
request_at (Fixture    *fixture,
            const char *cp_id,
            guint       nth)
{
  GtkWidget *button = ev_ui_test_find_button (GTK_WIDGET (fixture->window), "win.request");
  const EvSupplyRequest *sent;

  select_cp (fixture, cp_id);
  g_assert_true (is_sensitive (button));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.request", NULL));
  sent = fake_central_wait_request (fixture->central, nth);
  g_assert_cmpstr (sent->cp_id, ==, cp_id);
  g_assert_cmpstr (sent->driver_id, ==, DRIVER_ID);
  return sent;
}

/* Tests ---------------------------------------------------------------------- */

static void
test_cp_list (Fixture       *fixture,
              gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkEditable *search;

  ev_ui_test_wait_label (window, "Driver " DRIVER_ID, EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), DRIVER_ID));
  ev_ui_test_wait_label (window, "Broker connected", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  /* Nothing chosen: nothing to request; nothing available: no "cheapest". */
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request")));
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request-auto")));

  /* Loading until cp-states is read to its end; then, empty, it says so. */
  if (!driver_core_get_charging_points_loaded (fixture->core))
    g_assert_true (ev_ui_test_has_label (window, "Loading Charging Points…"));
  ev_ui_test_wait_label (window, "Central has no charging point yet.", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  fake_central_cp_state (fixture->central, "CP2", EV_CP_STATE_BROKEN);
  fake_central_cp_state (fixture->central, "CP1", EV_CP_STATE_ACTIVE);
  fake_central_cp_state (fixture->central, "CP3", EV_CP_STATE_STOPPED);
  wait_cps_shown (fixture, 3);
  wait_row_state (window, "CP1", EV_CP_STATE_ACTIVE);
  wait_row_state (window, "CP2", EV_CP_STATE_BROKEN);
  wait_row_state (window, "CP3", EV_CP_STATE_STOPPED);
  g_assert_nonnull (ev_ui_test_find_label (GTK_WIDGET (find_cp_row (window, "CP1")), "Street of CP1", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (GTK_WIDGET (find_cp_row (window, "CP1")), "0.50 €/kWh", EV_UI_TEST_VISIBLE_ONLY));

  /* A CP out of order cannot be asked for a supply. */
  select_cp (fixture, "CP2");
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request")));
  select_cp (fixture, "CP3");
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request")));

  /* Rows follow their item in place, and so does the button. */
  select_cp (fixture, "CP2");
  fake_central_cp_state (fixture->central, "CP2", EV_CP_STATE_ACTIVE);
  wait_row_state (window, "CP2", EV_CP_STATE_ACTIVE);
  ev_test_wait_until (NULL, request_enabled, window, PEER_WAIT_MS, "Request Supply enabled for CP2");

  /* The search box filters by id and by location. */
  search = GTK_EDITABLE (ev_ui_test_find_type (window, GTK_TYPE_SEARCH_ENTRY));
  gtk_editable_set_text (search, "cp3");
  wait_cps_shown (fixture, 1);
  gtk_editable_set_text (search, "street of cp2");
  wait_cps_shown (fixture, 1);
  g_assert_nonnull (find_cp_row (window, "CP2"));
  gtk_editable_set_text (search, "nowhere");
  wait_cps_shown (fixture, 0);
  ev_ui_test_wait_label (window, "No charging point matches the search.", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  gtk_editable_set_text (search, "");
  wait_cps_shown (fixture, 3);

  select_cp (fixture, "CP1");
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.request")));

  /* Ctrl+?'s action shows the shortcuts over the window; closed, it is gone. */
  {
    GtkWindow *shortcuts = NULL;
    GListModel *toplevels = gtk_window_get_toplevels ();

    g_assert_true (gtk_widget_activate_action (window, "win.show-help-overlay", NULL));
    for (guint i = 0; i < g_list_model_get_n_items (toplevels) && shortcuts == NULL; i++)
      {
        g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

        if (GTK_IS_SHORTCUTS_WINDOW (toplevel))
          shortcuts = toplevel;
      }
    g_assert_nonnull (shortcuts);
    g_assert_true (gtk_window_get_transient_for (shortcuts) == GTK_WINDOW (window));
    gtk_window_destroy (shortcuts);
  }

  /* Cheapest Available: every price is the same here, so the first by id. */
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.request-auto")));
  g_assert_true (gtk_widget_activate_action (window, "win.request-auto", NULL));
  g_assert_cmpstr (fake_central_wait_request (fixture->central, 1)->cp_id, ==, "CP1");
}

static void
test_supply (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *receipt;
  const EvSupplyRequest *sent;
  g_autofree char *supply_id = NULL;
  g_autofree char *request_id = NULL;
  g_autoptr(EvSupply) entry = NULL;

  fake_central_cp_state (fixture->central, "CP1", EV_CP_STATE_ACTIVE);
  wait_cps_shown (fixture, 1);
  ev_ui_test_wait_label (window, "Choose a charging point", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  sent = request_at (fixture, "CP1", 1);
  request_id = g_strdup (sent->request_id);
  ev_ui_test_wait_label (window, "Waiting for Central", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  /* One supply at a time: the button goes insensitive. */
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request")));
  g_assert_false (gtk_widget_activate_action (window, "win.request", NULL) &&
                  fake_central_count_requests (fixture->central) > 1);

  supply_id = fake_central_authorize (fixture->central, sent);
  ev_ui_test_wait_label (window, "Plug in at CP1", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "0.50 €/kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.request")));

  fake_central_data (fixture->central, sent, supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 1.0, 0);
  ev_ui_test_wait_label (window, "Charging at CP1", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "1.00 kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  fake_central_data (fixture->central, sent, supply_id, EV_SUPPLY_DATA_PROGRESS, 2, 1.5, 0);
  ev_ui_test_wait_label (window, "1.50 kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "0.75 €", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  fake_central_data (fixture->central, sent, supply_id, EV_SUPPLY_DATA_TICKET, 3, 2.5, EV_TICKET_REASON_UNPLUGGED);
  ev_ui_test_wait_label (window, "Supply finished", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  receipt = ev_ui_test_find_class (window, "receipt");
  g_assert_nonnull (receipt);
  g_assert_true (gtk_widget_get_visible (receipt));
  g_assert_nonnull (ev_ui_test_find_label (receipt, "CP1", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (receipt, "2.50 kWh", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (receipt, "1.25 €", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (receipt, "0.50 €/kWh", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (receipt, "the vehicle was unplugged", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_nonnull (ev_ui_test_find_label (receipt, supply_id, EV_UI_TEST_VISIBLE_ONLY));

  /* The receipt, the history and the core show one supply object: what
   * changes it (as an engine's late ticket settles a supply) shows at
   * once, with no copy to bring up to date. */
  entry = g_list_model_get_item (driver_core_get_history (fixture->core), 0);
  g_assert_true (entry == driver_core_get_current_supply (fixture->core));
  ev_supply_set_kwh (entry, 3.0);
  ev_ui_test_wait_label (receipt, "3.00 kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_cmpfloat (driver_core_get_kwh (fixture->core), ==, 3.0);
  ev_supply_set_kwh (entry, 2.5);
  ev_ui_test_wait_label (receipt, "2.50 kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  /* The history and its totals. */
  g_assert_cmpuint (g_list_model_get_n_items (driver_core_get_history (fixture->core)), ==, 1);
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (ev_ui_test_find_type (window, ADW_TYPE_VIEW_STACK)), "history");
  ev_ui_test_wait_label (window, "Total energy", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "CP1, ", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "the vehicle was unplugged", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  /* A new supply may be requested again. */
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.request")));
}

static void
test_denied (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  const EvSupplyRequest *sent;

  /* Available in the list, broken down by the time Central looks. */
  fake_central_cp_state (fixture->central, "CP2", EV_CP_STATE_ACTIVE);
  wait_cps_shown (fixture, 1);
  sent = request_at (fixture, "CP2", 1);
  fake_central_deny (fixture->central, sent, EV_SUPPLY_DENY_REASON_CP_BROKEN);
  ev_ui_test_wait_label (window, "Request refused", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "the charging point is broken down", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_false (gtk_widget_get_visible (ev_ui_test_find_class (window, "receipt")));
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.request")));
}

static void
test_no_answer_retry (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *retry = ev_ui_test_find_button (window, "win.retry");
  const EvSupplyRequest *first, *again;
  g_autofree char *request_id = NULL;
  g_autofree char *supply_id = NULL;

  fake_central_cp_state (fixture->central, "CP1", EV_CP_STATE_ACTIVE);
  wait_cps_shown (fixture, 1);
  g_assert_false (gtk_widget_get_visible (retry));
  first = request_at (fixture, "CP1", 1);
  request_id = g_strdup (first->request_id);

  /* The test Central keeps quiet. */
  ev_ui_test_wait_label (window, "Central is not answering", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_true (gtk_widget_get_visible (retry));
  g_assert_true (is_sensitive (retry));

  /* Asking again repeats the same request. */
  g_assert_true (gtk_widget_activate_action (window, "win.retry", NULL));
  again = fake_central_wait_request (fixture->central, 2);
  g_assert_cmpstr (again->request_id, ==, request_id);
  ev_ui_test_wait_label (window, "Waiting for Central", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_false (gtk_widget_get_visible (retry));

  supply_id = fake_central_authorize (fixture->central, again);
  ev_ui_test_wait_label (window, "Plug in at CP1", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
}

/* The test Central for file runs: CP1 ends with a ticket, CP2 is denied. */
static void
file_policy (FakeCentral           *central,
             const EvSupplyRequest *request,
             gpointer               user_data)
{
  g_autofree char *supply_id = NULL;

  if (g_str_equal (request->cp_id, "CP2"))
    {
      fake_central_deny (central, request, EV_SUPPLY_DENY_REASON_CP_BUSY);
      return;
    }
  supply_id = fake_central_authorize (central, request);
  fake_central_data (central, request, supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 1.0, 0);
  fake_central_data (central, request, supply_id, EV_SUPPLY_DATA_TICKET, 2, 2.0, EV_TICKET_REASON_UNPLUGGED);
}

static GFile *
write_file (Fixture    *fixture,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (fixture->state_dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return g_file_new_for_path (path);
}

static gboolean
file_done (gpointer user_data)
{
  return !driver_core_get_file_running (user_data);
}

static void
test_file_run (Fixture       *fixture,
               gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  g_autoptr(GFile) trip = write_file (fixture, "trip.txt", "CP1\nnot a cp!\nCP2\n");
  g_autoptr(GFile) long_trip = write_file (fixture, "long.txt", "CP1\nCP1\nCP1\n");

  fake_central_cp_state (fixture->central, "CP1", EV_CP_STATE_ACTIVE);
  wait_cps_shown (fixture, 1);
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.start-file")));
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.stop-file")));

  fake_central_set_policy (fixture->central, file_policy, NULL);
  driver_window_set_request_file (fixture->window, trip);
  ev_ui_test_wait_label (window, "trip.txt", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.start-file")));
  g_assert_true (gtk_widget_activate_action (window, "win.start-file", NULL));
  g_assert_true (driver_core_get_file_running (fixture->core));
  ev_ui_test_wait_label (window, "of 2", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.stop-file")));
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.start-file")));

  ev_test_wait_until (NULL, file_done, fixture->core, PEER_WAIT_MS, "the file run");
  ev_ui_test_wait_label (window, "Request file done: 1 ticket for 2 charging points", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "1. CP1 — Ticket", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "2. CP2 — Refused", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  ev_ui_test_wait_label (window, "the charging point is in use", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  /* The malformed line stays among the results, not only in a toast. */
  ev_ui_test_wait_label (window, "Line 2 — skipped", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_nonnull (ev_ui_test_find_class (window, "skipped-line"));

  /* Stop: the supply under way goes on, nothing more is requested. */
  fake_central_set_policy (fixture->central, NULL, NULL);
  driver_window_set_request_file (fixture->window, long_trip);
  g_assert_true (gtk_widget_activate_action (window, "win.start-file", NULL));
  fake_central_wait_request (fixture->central, 3);

  /* Pause and resume with the one button, its label following. */
  g_assert_true (is_sensitive (ev_ui_test_find_button (window, "win.pause-file")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ev_ui_test_find_button (window, "win.pause-file"))), ==, "_Pause");
  g_assert_true (gtk_widget_activate_action (window, "win.pause-file", NULL));
  g_assert_true (driver_core_get_file_paused (fixture->core));
  ev_ui_test_wait_label (window, "Paused at supply 1 of 3", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ev_ui_test_find_button (window, "win.pause-file"))), ==, "_Resume");
  g_assert_true (gtk_widget_activate_action (window, "win.pause-file", NULL));
  g_assert_false (driver_core_get_file_paused (fixture->core));
  ev_ui_test_wait_label (window, "Supply 1 of 3", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  g_assert_true (gtk_widget_activate_action (window, "win.stop-file", NULL));
  g_assert_false (driver_core_get_file_running (fixture->core));
  ev_ui_test_wait_label (window, "The request file was stopped", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.stop-file")));
  g_assert_false (is_sensitive (ev_ui_test_find_button (window, "win.pause-file")));
  ev_test_sleep_spinning (NULL, FILE_SPACING_MS * 3);
  g_assert_cmpuint (fake_central_count_requests (fixture->central), ==, 3);
}

/* Screenshot -------------------------------------------------------------------- */

static void
publish_cp (Fixture    *fixture,
            const char *cp_id,
            EvCpState   state,
            const char *location,
            double      price)
{
  g_autoptr(EvCpStateMessage) msg = ev_cp_state_message_new (cp_id, state);
  g_autofree char *json = NULL;

  msg->location = g_strdup (location);
  msg->has_price = TRUE;
  msg->price = price;
  json = ev_cp_state_message_to_json (msg, NULL);
  fake_central_publish (fixture->central, "cp-states", cp_id, json);
}

static void
test_screenshot (Fixture       *fixture,
                 gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  const char *folder = g_getenv ("EV_DRIVER_SCREENSHOTS");
  const EvSupplyRequest *sent;
  g_autofree char *earlier = NULL;
  g_autofree char *supply_id = NULL;
  g_autofree char *path = NULL;

  /* The test Central authorises at FAKE_CENTRAL_PRICE. */
  publish_cp (fixture, "ALC-001", EV_CP_STATE_ACTIVE, "Alicante, Av. Maisonnave 12", FAKE_CENTRAL_PRICE);
  publish_cp (fixture, "ALC-002", EV_CP_STATE_SUPPLYING, "Alicante, Plaza de los Luceros", 0.35);
  publish_cp (fixture, "ELX-001", EV_CP_STATE_ACTIVE, "Elche, Parque Empresarial", FAKE_CENTRAL_PRICE);
  publish_cp (fixture, "MAD-004", EV_CP_STATE_STOPPED, "Madrid, Calle de Alcalá 45", 0.42);
  publish_cp (fixture, "MUR-002", EV_CP_STATE_BROKEN, "Murcia, Gran Vía 3", 0.38);
  publish_cp (fixture, "VLC-007", EV_CP_STATE_DISCONNECTED, "Valencia, Av. del Puerto 200", 0.40);
  wait_cps_shown (fixture, 6);

  /* An earlier ticket for the history. */
  sent = request_at (fixture, "ELX-001", 1);
  earlier = fake_central_authorize (fixture->central, sent);
  fake_central_data (fixture->central, sent, earlier, EV_SUPPLY_DATA_TICKET, 1, 18.4, EV_TICKET_REASON_UNPLUGGED);
  ev_ui_test_wait_label (window, "Supply finished", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);

  /* And a supply in progress. */
  sent = request_at (fixture, "ALC-001", 2);
  supply_id = fake_central_authorize (fixture->central, sent);
  fake_central_data (fixture->central, sent, supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 12.84, 0);
  publish_cp (fixture, "ALC-001", EV_CP_STATE_SUPPLYING, "Alicante, Av. Maisonnave 12", FAKE_CENTRAL_PRICE);
  ev_ui_test_wait_label (window, "12.84 kWh", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  wait_row_state (window, "ALC-001", EV_CP_STATE_SUPPLYING);
  ev_test_sleep_spinning (NULL, 500);
  path = g_build_filename (folder, "screenshot-driver.png", NULL);
  ev_ui_test_save_png (window, path);
}

static gboolean
leaflet_folded (gpointer leaflet)
{
  return adw_leaflet_get_folded (leaflet);
}

/* At 360 px the list and the pages take turns, and a bar at the bottom
 * switches the pages: every page can be reached, and back. */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  AdwLeaflet *leaflet = ADW_LEAFLET (ev_ui_test_find_type (window, ADW_TYPE_LEAFLET));
  AdwViewSwitcherBar *bar = ADW_VIEW_SWITCHER_BAR (ev_ui_test_find_type (window, ADW_TYPE_VIEW_SWITCHER_BAR));
  AdwViewStack *stack = ADW_VIEW_STACK (ev_ui_test_find_type (window, ADW_TYPE_VIEW_STACK));
  g_autoptr(GPtrArray) toggles = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  int minimum = 0;

  ev_test_wait_until (NULL, leaflet_folded, leaflet, PEER_WAIT_MS, "the list and the pages folded");
  gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  g_assert_cmpint (gtk_widget_get_width (window), <=, 360);
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "points");

  publish_cp (fixture, "ALC-001", EV_CP_STATE_ACTIVE, "Alicante, Av. Maisonnave 12", FAKE_CENTRAL_PRICE);
  wait_cps_shown (fixture, 1);

  /* Asking for a supply brings the supply forward. */
  request_at (fixture, "ALC-001", 1);
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "supply");
  ev_test_wait_until (NULL, ev_ui_test_switcher_bar_shown, bar, PEER_WAIT_MS, "the view switcher bar");

  toggles = ev_ui_test_find_all_mapped (GTK_WIDGET (bar), GTK_TYPE_TOGGLE_BUTTON);
  g_assert_cmpuint (toggles->len, ==, 3);
  for (guint i = 0; i < toggles->len; i++)
    {
      const char *name;

      g_signal_emit_by_name (g_ptr_array_index (toggles, i), "clicked");
      ev_test_sleep_spinning (NULL, 100);
      name = adw_view_stack_get_visible_child_name (stack);
      g_assert_true (gtk_widget_get_mapped (adw_view_stack_get_visible_child (stack)));
      g_hash_table_add (seen, (gpointer) name);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 3);
  g_assert_true (g_hash_table_contains (seen, "supply"));
  g_assert_true (g_hash_table_contains (seen, "file"));
  g_assert_true (g_hash_table_contains (seen, "history"));

  /* Back to the list, and forward again without a request. */
  g_assert_true (gtk_widget_activate_action (window, "win.show-pane", "s", "points"));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "points");
  g_assert_true (gtk_widget_activate_action (window, "win.show-pane", "s", "content"));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");

  if (g_getenv ("EV_DRIVER_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("EV_DRIVER_SCREENSHOTS"), "screenshot-driver-narrow.png", NULL);

      ev_test_sleep_spinning (NULL, 500);
      ev_ui_test_save_png (window, path);
    }
}

static void
chosen_cb (DriverIdDialog *dialog,
           const char     *driver_id,
           gpointer        user_data)
{
  char **chosen = user_data;

  g_free (*chosen);
  *chosen = g_strdup (driver_id);
}

/* The dialog checks the id as the core does, and says what is wrong. */
static void
test_id_dialog (void)
{
  DriverIdDialog *dialog = g_object_ref_sink (driver_id_dialog_new (NULL, NULL));
  GtkEditable *entry = GTK_EDITABLE (ev_ui_test_find_type (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW));
  g_autofree char *chosen = NULL;
  GtkLabel *error_label;

  g_signal_connect (dialog, "chosen", G_CALLBACK (chosen_cb), &chosen);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_false (is_sensitive (ev_ui_test_find_button (GTK_WIDGET (dialog), "dialog.continue")));

  gtk_editable_set_text (entry, "no spaces please");
  g_assert_true (is_sensitive (ev_ui_test_find_button (GTK_WIDGET (dialog), "dialog.continue")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.continue", NULL));
  g_assert_null (chosen);
  error_label = GTK_LABEL (ev_ui_test_find_class (GTK_WIDGET (dialog), "id-error"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_cmpstr (gtk_label_get_text (error_label), !=, "");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"));

  gtk_editable_set_text (entry, " walker ");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (entry), "error"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.continue", NULL));
  g_assert_cmpstr (chosen, ==, "walker");

  ev_ui_test_destroy_window (dialog, PEER_WAIT_MS);
}

static GtkWindow *
window_of_type (GApplication *app,
                GType         type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

typedef struct {
  GApplication *app;
  GType         type;
} WindowWait;

static gboolean
has_window (gpointer user_data)
{
  WindowWait *wait = user_data;

  return window_of_type (wait->app, wait->type) != NULL;
}

static GtkWindow *
wait_window (GApplication *app,
             GType         type)
{
  WindowWait wait = { app, type };

  ev_test_wait_until (NULL, has_window, &wait, PEER_WAIT_MS, g_type_name (type));
  return window_of_type (app, type);
}

/* The driver id kept for the next start. */
static void
assert_kept_id (GSettings  *settings,
                const char *driver_id)
{
  g_autofree char *kept = g_settings_get_string (settings, "driver-id");

  g_assert_cmpstr (kept, ==, driver_id);
}

static void
choose_driver (GApplication *app,
               const char   *driver_id)
{
  GtkWindow *dialog = wait_window (app, DRIVER_TYPE_ID_DIALOG);
  GtkEditable *entry = GTK_EDITABLE (ev_ui_test_find_type (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW));

  gtk_editable_set_text (entry, driver_id);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.continue", NULL));
}

static gboolean
no_dialog (gpointer app)
{
  return window_of_type (app, DRIVER_TYPE_ID_DIALOG) == NULL;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* EvSettings under the driver's settings: a property reads its key, is
 * written back to it, notifies only when it changes and is never NULL. */
static void
test_settings (void)
{
  g_autoptr(GSettings) gsettings = g_settings_new ("io.github.evcharging.EVCharging.Driver");
  g_autofree char *stored = NULL;
  DriverSettings *settings;
  guint notified = 0;
  int width = 0;

  g_settings_set_int (gsettings, "window-width", 640);
  settings = driver_settings_new ();
  g_object_get (settings, "window-width", &width, NULL);
  g_assert_cmpint (width, ==, 640);
  g_assert_cmpstr (driver_settings_get_last_folder (settings), ==, "");

  g_signal_connect (settings, "notify::last-folder", G_CALLBACK (count_notify_cb), &notified);
  driver_settings_set_last_folder (settings, "/tmp/requests");
  g_assert_cmpuint (notified, ==, 1);
  stored = g_settings_get_string (gsettings, "last-folder");
  g_assert_cmpstr (stored, ==, "/tmp/requests");
  driver_settings_set_last_folder (settings, "/tmp/requests");
  g_assert_cmpuint (notified, ==, 1);
  driver_settings_set_last_folder (settings, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpstr (driver_settings_get_last_folder (settings), ==, "");

  g_settings_set_int (gsettings, "window-width", 800);
  g_object_get (settings, "window-width", &width, NULL);
  g_assert_cmpint (width, ==, 800);

  g_settings_reset (gsettings, "window-width");
  g_settings_reset (gsettings, "last-folder");
  g_assert_finalize_object (settings);
}

/* Started without --id and nothing kept: the app asks who is driving,
 * keeps the answer, and the main menu changes the driver, but not in the
 * middle of a supply. */
static void
test_first_run (void)
{
  Fixture fixture = { 0, };
  g_autoptr(DriverApplication) app = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.evcharging.EVCharging.Driver");
  g_autoptr(GError) error = NULL;
  DriverCore *core;
  GtkWindow *dialog;
  GtkLabel *error_label;

  g_settings_reset (settings, "driver-id");
  fixture.broker = peer_broker_start ();
  fixture.central = fake_central_new (peer_broker_get_bootstrap (fixture.broker));
  app = driver_application_new_for_bus (peer_broker_get_bootstrap (fixture.broker), NULL, NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  g_assert_null (driver_application_get_core (app));
  choose_driver (G_APPLICATION (app), "walker");
  fixture.window = DRIVER_WINDOW (wait_window (G_APPLICATION (app), DRIVER_TYPE_WINDOW));
  ev_test_wait_until (NULL, no_dialog, app, PEER_WAIT_MS, "the dialog gone");
  core = driver_application_get_core (app);
  g_assert_cmpstr (driver_core_get_driver_id (core), ==, "walker");
  assert_kept_id (settings, "walker");

  /* A supply under way: the driver stays. */
  publish_cp (&fixture, "ALC-001", EV_CP_STATE_ACTIVE, "Alicante", FAKE_CENTRAL_PRICE);
  wait_cps_shown (&fixture, 1);
  select_cp (&fixture, "ALC-001");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.window), "win.request", NULL));
  fake_central_wait_request (fixture.central, 1);
  g_action_group_activate_action (G_ACTION_GROUP (app), "change-driver", NULL);
  choose_driver (G_APPLICATION (app), "runner");
  dialog = window_of_type (G_APPLICATION (app), DRIVER_TYPE_ID_DIALOG);
  g_assert_nonnull (dialog);
  error_label = GTK_LABEL (ev_ui_test_find_class (GTK_WIDGET (dialog), "id-error"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_true (driver_application_get_core (app) == core);
  assert_kept_id (settings, "walker");
  gtk_window_destroy (dialog);

  /* Once the request was denied, another driver may take the wheel. */
  fake_central_deny (fixture.central, fake_central_wait_request (fixture.central, 1), EV_SUPPLY_DENY_REASON_CP_BUSY);
  ev_ui_test_wait_label (GTK_WIDGET (fixture.window), "Request refused", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_action_group_activate_action (G_ACTION_GROUP (app), "change-driver", NULL);
  choose_driver (G_APPLICATION (app), "runner");
  ev_test_wait_until (NULL, no_dialog, app, PEER_WAIT_MS, "the dialog gone");
  g_assert_true (driver_application_get_core (app) != core);
  g_assert_cmpstr (driver_core_get_driver_id (driver_application_get_core (app)), ==, "runner");
  assert_kept_id (settings, "runner");
  fixture.window = DRIVER_WINDOW (window_of_type (G_APPLICATION (app), DRIVER_TYPE_WINDOW));
  g_assert_cmpstr (driver_core_get_driver_id (driver_application_get_core (app)), ==, "runner");

  driver_core_shutdown (driver_application_get_core (app));
  ev_ui_test_destroy_window (g_object_ref (fixture.window), PEER_WAIT_MS);
  g_settings_reset (settings, "driver-id");
  fake_central_free (fixture.central);
  peer_broker_stop (fixture.broker);
}

/* The program a user starts: ev-driver with its window, on a private
 * broker. A signal shuts it down cleanly (Kafka closed) with status 0. */
static void
test_quits_on_signal (gconstpointer data)
{
  int signum = GPOINTER_TO_INT (data);
  PeerBroker *broker = peer_broker_start ();
  const char *argv[] = {
    g_getenv ("EV_DRIVER"), "--id", "signalled", "--kafka", peer_broker_get_bootstrap (broker), NULL
  };
  /* Its debug line says the window is up, so its signal watches are. */
  const char *env[] = { "G_MESSAGES_DEBUG=Driver", NULL };
  EvUiTestProgram *program;

  g_assert_nonnull (argv[0]);
  program = ev_ui_test_program_spawn (argv, env);
  ev_ui_test_program_wait_line (program, "Window presented", PEER_WAIT_MS);
  g_assert_cmpint (ev_ui_test_program_stop (program, signum, PEER_WAIT_MS), ==, 0);
  ev_ui_test_program_free (program);
  peer_broker_stop (broker);
}

/* The window in Spanish (LANGUAGE=es), from the catalogue built in po/.
 * In a subprocess: GLib decides once per process whether to translate. */
static void
test_spanish (void)
{
  Fixture fixture = { 0 };
  GtkWidget *window;

  if (!ev_ui_test_in_spanish ())
    return;

  fixture_setup (&fixture, &normal);
  window = GTK_WIDGET (fixture.window);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ev_ui_test_find_button (window, "win.request"))), ==,
                   "_Pedir suministro");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ev_ui_test_find_button (window, "win.request-auto"))), ==,
                   "El más _barato disponible");
  fake_central_cp_state (fixture.central, "CP1", EV_CP_STATE_ACTIVE);
  wait_cps_shown (&fixture, 1);
  ev_ui_test_wait_label (window, "Elija un punto de recarga", EV_UI_TEST_VISIBLE_ONLY, PEER_WAIT_MS);
  g_assert_false (ev_ui_test_has_label (window, "Choose a charging point"));
  {
    /* Who is driving, and a wrong id's reason, in Spanish too. */
    DriverIdDialog *dialog = g_object_ref_sink (driver_id_dialog_new (NULL, NULL));

    g_assert_true (ev_ui_test_has_label (GTK_WIDGET (dialog), "¿Quién conduce?"));
    gtk_editable_set_text (GTK_EDITABLE (ev_ui_test_find_type (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW)),
                           "station:CP1");
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.continue", NULL));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (ev_ui_test_find_class (GTK_WIDGET (dialog), "id-error"))),
                              "elija otro"));
    gtk_window_destroy (GTK_WINDOW (dialog));
    g_object_unref (dialog);
  }
  fixture_teardown (&fixture, &normal);
}

/* The keyboard shortcuts window (win.show-help-overlay, Ctrl+?) lists
 * shortcuts. */
static void
test_shortcuts_window (void)
{
  ev_ui_test_check_shortcuts ("/io/github/evcharging/EVCharging/Driver/shortcuts.ui");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *state_home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  ev_ui_test_bind_catalogue ();
  /* Nothing may touch the real user's directories. */
  state_home = ev_test_make_tmpdir ();
  g_setenv ("XDG_STATE_HOME", state_home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", state_home, TRUE);

  /* DriverApplication gets its style sheet from AdwApplication; the
   * window here has no application. */
  ev_ui_test_init ("/io/github/evcharging/EVCharging/Driver/style.css");

#define ADD(path, data, func) g_test_add (path, Fixture, &data, fixture_setup, func, fixture_teardown)
  ADD ("/driver-ui/cp-list", normal, test_cp_list);
  ADD ("/driver-ui/supply", normal, test_supply);
  ADD ("/driver-ui/denied", normal, test_denied);
  ADD ("/driver-ui/no-answer-retry", impatient, test_no_answer_retry);
  ADD ("/driver-ui/file-run", normal, test_file_run);
  ADD ("/driver-ui/narrow", narrow, test_narrow);
  g_test_add_func ("/driver-ui/spanish", test_spanish);
  g_test_add_func ("/driver-ui/id-dialog", test_id_dialog);
  g_test_add_func ("/driver-ui/first-run", test_first_run);
  g_test_add_func ("/driver-ui/settings", test_settings);
  g_test_add_func ("/driver-ui/shortcuts-window", test_shortcuts_window);
  /* Only on request: it checks nothing, it paints. */
  if (g_getenv ("EV_DRIVER_SCREENSHOTS") != NULL)
    ADD ("/driver-ui/screenshot", screenshot, test_screenshot);
#undef ADD
  g_test_add_data_func ("/driver-ui/program/sigterm", GINT_TO_POINTER (SIGTERM), test_quits_on_signal);
  g_test_add_data_func ("/driver-ui/program/sigint", GINT_TO_POINTER (SIGINT), test_quits_on_signal);

  status = g_test_run ();
  ev_test_rm_rf (state_home);
  return status;
}

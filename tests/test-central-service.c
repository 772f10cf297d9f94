#include "config.h"

#include <json-glib/json-glib.h>

#include "central-headless.h"
#include "central-peers.h"
#include "central-service.h"
#include "test-program.h"
#include "test-utils.h"

/* CentralService: Central's core on a thread of its own, seen from the
 * thread that started it (the UI thread of the console). Monitors are
 * real: `ev-station fleet` as a real process over loopback TCP, against a
 * private ev-broker and a real SQLite file. The test's main thread plays
 * the UI thread. No timing thresholds: what is asserted is what was lost,
 * refused or disconnected. */

#define WAIT_MS PEER_WAIT_MS

static PeerBroker *broker;
/* The UI thread of these tests. */
static GThread *main_thread;

typedef struct
{
  char *dir;
  char *db_path;
  char *group;              /* the core's consumer group, its own */
  CentralService *service;
  EvTestProgram *fleet;
  GPtrArray *news;          /* CentralEvent, as the UI thread got them */
} Fixture;

static void
news_cb (CentralService *service,
         CentralEvent   *event,
         Fixture        *f)
{
  g_assert_true (g_thread_self () == main_thread);
  g_ptr_array_add (f->news, g_object_ref (event));
}

/* A service on the fixture's database, started. */
static void
start_service (Fixture *f)
{
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(GError) error = NULL;

  core = g_object_new (CENTRAL_TYPE_CORE,
                       "listen", "127.0.0.1:0",
                       "bootstrap", peer_broker_get_bootstrap (broker),
                       "db-path", f->db_path,
                       "group", f->group,
                       "auto-approve", TRUE,
                       NULL);
  f->service = central_service_new (core);
  g_signal_connect (f->service, "news", G_CALLBACK (news_cb), f);
  g_assert_true (central_service_start (f->service, &error));
  g_assert_no_error (error);
  g_assert_true (central_service_get_started (f->service));
  g_assert_cmpuint (central_service_get_port (f->service), !=, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *uuid = g_uuid_string_random ();

  f->dir = ev_test_make_tmpdir ();
  f->db_path = g_build_filename (f->dir, "central.db", NULL);
  /* A group of its own: one an earlier test left is still assigned for a
   * while, and a request would wait for it longer than Central accepts. */
  f->group = g_strdup_printf ("ev-central-service-test-%.8s", uuid);
  f->news = g_ptr_array_new_with_free_func (g_object_unref);
  start_service (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->fleet != NULL)
    {
      ev_test_program_send (f->fleet, "quit");
      g_assert_cmpint (ev_test_program_finish (f->fleet), ==, 0);
      ev_test_program_free (f->fleet);
    }
  central_service_shutdown (f->service);
  g_assert_false (central_service_get_started (f->service));
  g_signal_handlers_disconnect_by_data (f->service, f);
  g_assert_finalize_object (g_steal_pointer (&f->service));
  g_ptr_array_unref (f->news);
  ev_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->group);
}

static void
start_fleet (Fixture    *f,
             guint       count,
             const char *prefix)
{
  g_autofree char *n = g_strdup_printf ("%u", count);
  g_autofree char *central = g_strdup_printf ("127.0.0.1:%u", central_service_get_port (f->service));
  g_autofree char *tokens = g_build_filename (f->dir, "tokens", NULL);
  const char *argv[] = { g_getenv ("EV_STATION"), "fleet", "--count", n, "--prefix", prefix,
                         "--central", central, "--kafka", peer_broker_get_bootstrap (broker),
                         "--token-dir", tokens, "--stats-interval", "0", NULL };

  g_assert_nonnull (argv[0]);
  f->fleet = ev_test_program_start ("ev-station fleet", f->dir, argv);
  ev_test_program_wait (f->fleet, 1, "ready", NULL, NULL, NULL, NULL);
}

typedef struct
{
  CentralService *service;
  guint n;
  EvCpState state;
} CpsWait;

/* Whether the view shows @n CPs, all in @state. */
static gboolean
view_shows (gpointer user_data)
{
  CpsWait *wait = user_data;
  GListModel *cps = central_service_get_charging_points (wait->service);
  guint n = g_list_model_get_n_items (cps);

  if (n != wait->n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (ev_charging_point_get_state (cp) != wait->state)
        return FALSE;
    }
  return TRUE;
}

static void
wait_view (Fixture   *f,
           guint      n,
           EvCpState  state)
{
  CpsWait wait = { f->service, n, state };
  g_autofree char *what = g_strdup_printf ("the view to show %u CPs %s", n, ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, view_shows, &wait, WAIT_MS, what);
}

typedef struct
{
  CentralService *service;
  const char *cp_id;
  EvCpState state;
} CpWait;

/* The view's copy of @cp_id, or NULL (the view's model holds it). */
static EvChargingPoint *
view_lookup (CentralService *service,
             const char     *cp_id)
{
  GListModel *cps = central_service_get_charging_points (service);

  for (guint i = 0; i < g_list_model_get_n_items (cps); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (g_str_equal (ev_charging_point_get_cp_id (cp), cp_id))
        return cp;
    }
  return NULL;
}

static gboolean
view_cp_in_state (gpointer user_data)
{
  CpWait *wait = user_data;
  EvChargingPoint *cp = view_lookup (wait->service, wait->cp_id);

  return cp != NULL && ev_charging_point_get_state (cp) == wait->state;
}

static void
wait_view_cp (Fixture    *f,
              const char *cp_id,
              EvCpState   state)
{
  CpWait wait = { f->service, cp_id, state };
  g_autofree char *what = g_strdup_printf ("the view to show %s %s", cp_id, ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, view_cp_in_state, &wait, WAIT_MS, what);
}

/* A fresh `stats` event of the fleet. */
static JsonObject *
fleet_stats (Fixture *f)
{
  guint seen = ev_test_program_count (f->fleet, "stats", NULL, NULL, NULL, NULL);

  ev_test_program_send (f->fleet, "stats");
  ev_test_program_wait (f->fleet, seen + 1, "stats", NULL, NULL, NULL, NULL);
  return ev_test_program_last (f->fleet, "stats");
}

static guint
count_news (Fixture          *f,
            CentralEventKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < f->news->len; i++)
    n += central_event_get_kind (g_ptr_array_index (f->news, i)) == kind;
  return n;
}

static guint
batches (Fixture *f)
{
  guint n = 0;

  g_object_get (f->service, "batches", &n, NULL);
  return n;
}

/* 200 monitors report every second while the UI thread does nothing for
 * 5 s, longer than the 3 s after which a silent CP is DISCONNECTED: with
 * the core on the UI thread, every link would be lost. */
static void
test_ui_thread_blocked (Fixture       *f,
                        gconstpointer  data)
{
  const guint n = 200;
  JsonObject *before, *after;
  gint64 answered_before;

  start_fleet (f, n, "UB");
  wait_view (f, n, EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (central_service_get_n_links (f->service), ==, n);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_REGISTERED), ==, n);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_DISCONNECTED), ==, 0);

  ev_test_program_send (f->fleet, "reset");
  before = fleet_stats (f);
  answered_before = json_object_get_int_member (before, "status_answered");

  /* The UI thread is busy: no main-loop iteration here for 5 s. */
  g_usleep (5 * G_USEC_PER_SEC);

  after = fleet_stats (f);
  /* Each monitor sent about five statuses meanwhile; all were answered. */
  g_assert_cmpint (json_object_get_int_member (after, "status_answered") - answered_before, >=, 4 * n);
  /* At most the one request of each link in flight. */
  g_assert_cmpint (json_object_get_int_member (after, "status_sent") -
                   json_object_get_int_member (after, "status_answered"), <=, n);
  g_assert_cmpint (json_object_get_int_member (after, "errors"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (after, "reconnects"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (after, "links_up"), ==, n);
  g_assert_cmpint (json_object_get_int_member (after, "registered"), ==, n);

  /* And the view catches up in one go: still every CP ACTIVE, none was
   * ever disconnected. */
  wait_view (f, n, EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (central_service_get_n_links (f->service), ==, n);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_DISCONNECTED), ==, 0);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_AUTH_DENIED), ==, 0);
}

/* Hundreds of registrations and state changes reach the view as a few
 * batches, at most one per batch interval, never one per message. */
static void
test_batches (Fixture       *f,
              gconstpointer  data)
{
  const guint n = 300;
  guint first = batches (f);
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed_ms;
  guint taken;

  start_fleet (f, n, "BA");
  wait_view (f, n, EV_CP_STATE_ACTIVE);
  elapsed_ms = (g_get_monotonic_time () - started) / 1000;
  taken = batches (f) - first;

  /* 300 registrations are 300 log lines (and 600 state changes). */
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_REGISTERED), ==, n);
  g_assert_cmpuint (taken, >=, 1);
  g_assert_cmpuint (taken, <=, elapsed_ms / CENTRAL_SERVICE_DEFAULT_BATCH_INTERVAL_MS + 2);

  /* The view's CPs are sorted by id and are not the core's objects. */
  {
    GListModel *cps = central_service_get_charging_points (f->service);
    g_autoptr(EvChargingPoint) first_cp = g_list_model_get_item (cps, 0);
    g_autoptr(EvChargingPoint) last_cp = g_list_model_get_item (cps, n - 1);

    g_assert_cmpstr (ev_charging_point_get_cp_id (first_cp), ==, "BA00001");
    g_assert_cmpstr (ev_charging_point_get_cp_id (last_cp), ==, "BA00300");
  }

  /* The log, newest first, bounded. */
  {
    GListModel *log = central_service_get_log (f->service);
    g_autoptr(CentralEvent) newest = g_list_model_get_item (log, 0);
    g_autoptr(CentralEvent) oldest = g_list_model_get_item (log, g_list_model_get_n_items (log) - 1);

    g_assert_cmpuint (g_list_model_get_n_items (log), <=, 1000);
    g_assert_cmpint (central_event_get_time (newest), >=, central_event_get_time (oldest));
    g_assert_nonnull (central_event_get_message (newest));
  }
}

typedef enum
{
  OP_STOP,
  OP_RESUME,
  OP_RESET_TOKEN,
  OP_FORGET,
  OP_PRICE,
  OP_LOCATION,
} Op;

static void
operation_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CentralService *service = CENTRAL_SERVICE (source);
  GError **error = user_data;
  gboolean ok;

  if (g_async_result_is_tagged (result, central_service_stop_async))
    ok = central_service_stop_finish (service, result, error);
  else if (g_async_result_is_tagged (result, central_service_resume_async))
    ok = central_service_resume_finish (service, result, error);
  else if (g_async_result_is_tagged (result, central_service_reset_token_async))
    ok = central_service_reset_token_finish (service, result, error);
  else if (g_async_result_is_tagged (result, central_service_set_price_async))
    ok = central_service_set_price_finish (service, result, error);
  else if (g_async_result_is_tagged (result, central_service_set_location_async))
    ok = central_service_set_location_finish (service, result, error);
  else
    ok = central_service_forget_finish (service, result, error);
  g_assert_true (ok == (*error == NULL));
  /* Answered on the thread that asked. */
  g_assert_true (g_thread_self () == main_thread);
  if (ok)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "done");
}

static void
async_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GError *
operate (Fixture    *f,
         Op          op,
         const char *cp_id)
{
  GError *error = NULL;

  switch (op)
    {
    case OP_STOP:
      central_service_stop_async (f->service, cp_id, NULL, operation_cb, &error);
      break;
    case OP_RESUME:
      central_service_resume_async (f->service, cp_id, NULL, operation_cb, &error);
      break;
    case OP_RESET_TOKEN:
      central_service_reset_token_async (f->service, cp_id, NULL, operation_cb, &error);
      break;
    case OP_FORGET:
      central_service_forget_async (f->service, cp_id, NULL, operation_cb, &error);
      break;
    case OP_PRICE:
      central_service_set_price_async (f->service, cp_id, 0.42, NULL, operation_cb, &error);
      break;
    case OP_LOCATION:
      central_service_set_location_async (f->service, cp_id, "Dock 7", NULL, operation_cb, &error);
      break;
    }
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_clear_error (&error);
  return error;
}

typedef struct
{
  const char *cp_id;
  EvCpState state;
  double price;
  char *location;
} CoreCheck;

static void
check_core_cb (CentralCore *core,
               gpointer     user_data)
{
  CoreCheck *check = user_data;

  EvChargingPoint *cp = central_core_lookup_cp (core, check->cp_id);

  check->state = ev_charging_point_get_state (cp);
  check->price = ev_charging_point_get_price (cp);
  g_free (check->location);
  check->location = g_strdup (ev_charging_point_get_location (cp));
}

/* Commands travel to the core's thread and their answers come back. */
static void
test_commands (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  CoreCheck check = { "CM00002", EV_CP_STATE_ACTIVE };

  start_fleet (f, 3, "CM");
  wait_view (f, 3, EV_CP_STATE_ACTIVE);

  error = operate (f, OP_STOP, "NOPE");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);
  g_clear_error (&error);
  error = operate (f, OP_STOP, "not an id!");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_no_error (operate (f, OP_STOP, "CM00002"));
  /* The core has it at once; the view with a later batch. */
  g_assert_true (central_service_call (f->service, check_core_cb, &check));
  g_assert_cmpint (check.state, ==, EV_CP_STATE_STOPPED);
  wait_view_cp (f, "CM00002", EV_CP_STATE_STOPPED);

  g_assert_no_error (operate (f, OP_RESUME, NULL));
  wait_view (f, 3, EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_STOP), ==, 1);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_RESUME), ==, 1);

  /* A price and a location carry their value to the core. */
  error = operate (f, OP_PRICE, "NOPE");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);
  g_clear_error (&error);
  g_assert_no_error (operate (f, OP_PRICE, "CM00002"));
  g_assert_no_error (operate (f, OP_LOCATION, "CM00002"));
  g_assert_true (central_service_call (f->service, check_core_cb, &check));
  g_assert_cmpfloat (check.price, ==, 0.42);
  g_assert_cmpstr (check.location, ==, "Dock 7");

  /* The log is searched in the database, on a worker thread. */
  {
    g_autoptr(GListModel) found = NULL;
    g_autoptr(CentralEvent) line = NULL;
    guint total = 0;

    central_service_search_log_async (f->service, "cm00002", 10, NULL, async_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    found = central_service_search_log_finish (f->service, result, &total, &error);
    g_clear_object (&result);
    g_assert_no_error (error);
    /* Registered, then stopped by the operator. */
    g_assert_cmpuint (total, ==, 2);
    g_assert_cmpuint (g_list_model_get_n_items (found), ==, 2);
    line = g_list_model_get_item (found, 0);
    g_assert_cmpint (central_event_get_kind (line), ==, CENTRAL_EVENT_STOP);
    g_assert_cmpstr (central_event_get_cp_id (line), ==, "CM00002");
  }

  /* The export commits first, then writes from the database. */
  {
    g_autofree char *path = g_build_filename (f->dir, "history.csv", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autofree char *contents = NULL;

    central_service_export_history_async (f->service, file, NULL, async_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (central_service_export_history_finish (f->service, result, &error));
    g_clear_object (&result);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_true (g_str_has_prefix (contents, "supply_id,cp_id,driver_id,"));
  }

  /* Once the core has stopped, a command still gets an answer. */
  ev_test_program_send (f->fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (f->fleet), ==, 0);
  g_clear_pointer (&f->fleet, ev_test_program_free);
  central_service_shutdown (f->service);
  error = operate (f, OP_STOP, NULL);
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED);
  g_assert_false (central_service_call (f->service, check_core_cb, &check));
  g_free (check.location);
}

/* A new CP on a real link, reporting ACTIVE every 300 ms. */
static PeerMonitor *
connect_new_cp (Fixture    *f,
                const char *cp_id)
{
  PeerMonitor *monitor = peer_monitor_connect (central_service_get_port (f->service));
  EvLinkResponse *response = peer_monitor_register (monitor, cp_id, "Alicante, Plaza de los Luceros");

  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_REGISTERED);
  ev_link_response_free (response);
  response = peer_monitor_status (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_OK);
  ev_link_response_free (response);
  peer_monitor_heartbeat (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, 300);
  wait_view_cp (f, cp_id, EV_CP_STATE_ACTIVE);
  return monitor;
}

static gboolean
view_lacks_cp (gpointer user_data)
{
  CpWait *wait = user_data;

  return view_lookup (wait->service, wait->cp_id) == NULL;
}

/* Reset Token and Forget travel to the core's thread like Stop; a
 * forgotten CP leaves the view's model with a batch; a CP with an open
 * supply is not forgotten, and the answer says why. */
static void
test_reset_token_and_forget (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  PeerMonitor *busy_monitor = connect_new_cp (f, "RF-BUSY");
  PeerMonitor *idle_monitor = connect_new_cp (f, "RF-IDLE");
  PeerDriver *driver = peer_driver_new (peer_broker_get_bootstrap (broker), "DRV-RF");
  const EvSupplyResponse *response;
  CpWait gone = { f->service, "RF-IDLE", EV_CP_STATE_DISCONNECTED };

  error = operate (f, OP_FORGET, "NOPE");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);
  g_clear_error (&error);
  error = operate (f, OP_RESET_TOKEN, "not an id!");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Refused while a supply is open there, in words. */
  request_id = peer_driver_request (driver, "RF-BUSY");
  response = peer_driver_wait_response (driver, request_id);
  g_assert_cmpstr (ev_supply_deny_reason_to_string (response->reason), ==,
                   ev_supply_deny_reason_to_string (EV_SUPPLY_DENY_REASON_NONE));
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  error = operate (f, OP_FORGET, "RF-BUSY");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS);
  g_assert_nonnull (strstr (error->message, "RF-BUSY"));
  g_clear_error (&error);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_FORGOTTEN), ==, 0);

  /* Reset: the link is closed; the view follows. */
  g_assert_no_error (operate (f, OP_RESET_TOKEN, "RF-IDLE"));
  peer_monitor_wait_closed (idle_monitor);
  wait_view_cp (f, "RF-IDLE", EV_CP_STATE_DISCONNECTED);
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_TOKEN_RESET), ==, 1);

  /* Forget: the view's model loses the CP, and only it. */
  g_assert_no_error (operate (f, OP_FORGET, "RF-IDLE"));
  ev_test_wait_until (NULL, view_lacks_cp, &gone, WAIT_MS, "the view to drop RF-IDLE");
  g_assert_cmpuint (g_list_model_get_n_items (central_service_get_charging_points (f->service)), ==, 1);
  g_assert_nonnull (view_lookup (f->service, "RF-BUSY"));
  /* The log line came in the same batch. */
  g_assert_cmpuint (count_news (f, CENTRAL_EVENT_CP_FORGOTTEN), ==, 1);

  /* Forgotten for good. */
  error = operate (f, OP_FORGET, "RF-IDLE");
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);

  peer_driver_free (driver);
  peer_monitor_free (idle_monitor);
  peer_monitor_free (busy_monitor);
}

/* The headless front end prints what docs/cli.md says, from the typed
 * events. */
static void
test_event_json (void)
{
  CentralEventData data = {
    .cp_id = "CP1", .supply_id = "S1", .driver_id = "D1", .kwh = 1.5, .amount = 0.525,
    .price = 0.35, .started_at = 1000, .ended_at = 2000, .reason = "unplugged",
  };
  g_autoptr(CentralEvent) ticket = central_event_new (CENTRAL_EVENT_TICKET, 0, CENTRAL_LOG_INFO, "x", &data);
  g_autoptr(CentralEvent) denied = NULL;
  g_autoptr(CentralEvent) stop = central_event_new (CENTRAL_EVENT_STOP, 0, CENTRAL_LOG_INFO, "x", NULL);
  g_autoptr(JsonObject) json = central_headless_event_to_json (ticket);
  g_autoptr(JsonObject) denied_json = NULL;
  g_autoptr(GList) members = json_object_get_members (json);
  const char *expected[] = { "cp_id", "supply_id", "driver_id", "kwh", "amount", "price",
                             "started_at", "ended_at", "reason", "ts" };
  guint i = 0;

  g_assert_cmpstr (central_event_get_name (ticket), ==, "ticket");
  for (GList *l = members; l != NULL; l = l->next, i++)
    g_assert_cmpstr (l->data, ==, expected[i]);
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (expected));
  g_assert_cmpfloat (json_object_get_double_member (json, "kwh"), ==, 1.5);
  g_assert_cmpint (json_object_get_int_member (json, "ended_at"), ==, 2000);
  g_assert_cmpint (json_object_get_int_member (json, "ts"), ==, ev_event_get_time (EV_EVENT (ticket)));

  /* An auth-denied without a valid id has no cp_id at all. */
  data = (CentralEventData) { .reason = "invalid-id", .peer = "127.0.0.1:4" };
  denied = central_event_new (CENTRAL_EVENT_AUTH_DENIED, 0, CENTRAL_LOG_WARNING, "x", &data);
  denied_json = central_headless_event_to_json (denied);
  g_assert_false (json_object_has_member (denied_json, "cp_id"));
  g_assert_cmpstr (json_object_get_string_member (denied_json, "peer"), ==, "127.0.0.1:4");

  /* The operator's own command is logged, not printed. */
  g_assert_null (central_headless_event_to_json (stop));
}

/* A restarted Central shows the newest log lines it had, from the
 * database. */
static void
test_log_after_restart (Fixture       *f,
                        gconstpointer  data)
{
  GListModel *log;
  gboolean found = FALSE;

  start_fleet (f, 3, "LR");
  wait_view (f, 3, EV_CP_STATE_ACTIVE);
  ev_test_program_send (f->fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (f->fleet), ==, 0);
  g_clear_pointer (&f->fleet, ev_test_program_free);
  central_service_shutdown (f->service);
  g_signal_handlers_disconnect_by_data (f->service, f);
  g_assert_finalize_object (g_steal_pointer (&f->service));

  start_service (f);

  /* At once, before anything new happens. */
  log = central_service_get_log (f->service);
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(CentralEvent) line = g_list_model_get_item (log, i);

      if (central_event_get_kind (line) == CENTRAL_EVENT_CP_REGISTERED &&
          g_strcmp0 (central_event_get_cp_id (line), "LR00002") == 0)
        {
          found = TRUE;
          g_assert_nonnull (central_event_get_message (line));
          g_assert_cmpint (central_event_get_level (line), ==, CENTRAL_LOG_INFO);
          g_assert_cmpint (central_event_get_time (line), >, 0);
        }
    }
  g_assert_true (found);
}

/* The console's own options are checked before anything starts. */
static void
test_bad_arguments (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  const char *cases[][4] = {
    { "--headless", "--events", NULL },
    { "--headless", "--page", "log", NULL },
    { "--page", "nope", NULL },
    { "--ui-stats", "-1", NULL },
    { "--price", "-5", NULL },
  };

  g_assert_nonnull (g_getenv ("EV_CENTRAL"));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *argv[8] = { g_getenv ("EV_CENTRAL"), "--db", "/nonexistent/never.db", NULL };
      EvTestProgram *central;

      for (guint j = 0; cases[i][j] != NULL; j++)
        argv[3 + j] = cases[i][j];
      central = ev_test_program_start ("ev-central", dir, argv);
      g_assert_cmpint (ev_test_program_finish (central), ==, 2);
      /* Nothing on stdout: no event, no window. */
      g_assert_cmpuint (central->events->len, ==, 0);
      ev_test_program_free (central);
    }
  ev_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/central/service/event-json", test_event_json);
  g_test_add_func ("/central/program/bad-arguments", test_bad_arguments);
  g_test_add ("/central/service/ui-thread-blocked", Fixture, NULL,
              fixture_setup, test_ui_thread_blocked, fixture_teardown);
  g_test_add ("/central/service/batches", Fixture, NULL,
              fixture_setup, test_batches, fixture_teardown);
  g_test_add ("/central/service/commands", Fixture, NULL,
              fixture_setup, test_commands, fixture_teardown);
  g_test_add ("/central/service/reset-token-forget", Fixture, NULL,
              fixture_setup, test_reset_token_and_forget, fixture_teardown);
  g_test_add ("/central/service/log-after-restart", Fixture, NULL,
              fixture_setup, test_log_after_restart, fixture_teardown);

  broker = peer_broker_start ();
  status = g_test_run ();
  peer_broker_stop (broker);
  return status;
}

#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "station-machine.h"
#include "station-monitor.h"
#include "station-peers.h"
#include "test-utils.h"

/* The monitor against a test engine and a test Central, both plain EvLink
 * servers written from docs/protocol.md. Timers are short here. */

typedef struct
{
  char *tmpdir;
  char *secret_file;         /* the engine and monitor pairing secret */
  PeerEngine engine;
  PeerCentral central;
  PeerServer *engine_server;
  PeerServer *central_server;
  StationMonitor *monitor;
} Fixture;

static StationMonitor *
monitor_new (Fixture    *fixture,
             const char *cp_id)
{
  g_autofree char *engine = peer_server_dup_address (fixture->engine_server);
  g_autofree char *central = peer_server_dup_address (fixture->central_server);

  return g_object_new (STATION_TYPE_MONITOR,
                       "cp-id", cp_id,
                       "engine", engine,
                       "central", central,
                       "token-dir", fixture->tmpdir,
                       "pairing-secret-file", fixture->secret_file,
                       "interval", 200,
                       "health-timeout", 300,
                       "reconnect-min", 100,
                       "reconnect-max", 400,
                       NULL);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->tmpdir = ev_test_make_tmpdir ();
  fixture->secret_file = g_build_filename (fixture->tmpdir, "pairing.secret", NULL);
  peer_central_init (&fixture->central);
  fixture->engine_server = peer_server_new (0, peer_engine_func, &fixture->engine);
  fixture->central_server = peer_server_new (0, peer_central_func, &fixture->central);
  fixture->monitor = monitor_new (fixture, "CP1");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->monitor != NULL)
    {
      station_monitor_shutdown (fixture->monitor);
      g_assert_finalize_object (fixture->monitor);
    }
  g_clear_pointer (&fixture->engine_server, peer_server_free);
  g_clear_pointer (&fixture->central_server, peer_server_free);
  peer_central_clear (&fixture->central);
  g_free (fixture->engine.bound);
  g_free (fixture->engine.key);
  ev_test_rm_rf (fixture->tmpdir);
  g_free (fixture->tmpdir);
  g_free (fixture->secret_file);
}

typedef struct
{
  StationMonitor *monitor;
  const char *property;
  int value;
} EnumWait;

static gboolean
enum_reached (gpointer user_data)
{
  EnumWait *wait = user_data;
  int value = -1;

  g_object_get (wait->monitor, wait->property, &value, NULL);
  return value == wait->value;
}

static void
wait_enum (StationMonitor *monitor,
           const char     *property,
           int             value)
{
  EnumWait wait = { monitor, property, value };
  g_autofree char *what = g_strdup_printf ("%s to be %d", property, value);

  ev_test_wait_until (NULL, enum_reached, &wait, PEER_WAIT_MS, what);
}

static void
start (StationMonitor *monitor)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (station_monitor_start (monitor, &error));
  g_assert_no_error (error);
}

static void
test_monitor_new_destroy (void)
{
  g_autoptr(GError) error = NULL;
  StationMonitor *monitor = g_object_new (STATION_TYPE_MONITOR, "cp-id", "CP1", NULL);
  StationMonitor *bad_id = g_object_new (STATION_TYPE_MONITOR, "cp-id", "bad id",
                                         "engine", "127.0.0.1:1", "central", "127.0.0.1:2", NULL);
  g_autofree char *dir = station_monitor_default_token_dir ();

  g_assert_true (g_str_has_suffix (dir, "evcharging/tokens"));
  g_assert_cmpint (station_monitor_get_central_link (monitor), ==, STATION_CENTRAL_LINK_DOWN);
  g_assert_cmpint (station_monitor_get_engine_health (monitor), ==, EV_ENGINE_HEALTH_UNREACHABLE);
  g_assert_false (station_monitor_start (monitor, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_finalize_object (monitor);

  g_assert_false (station_monitor_start (bad_id, &error));
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID);
  g_assert_finalize_object (bad_id);
  g_assert_cmpstr (station_central_link_to_string (STATION_CENTRAL_LINK_REGISTERED), ==, "registered");
}

static gboolean
engine_told_reachable (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->engine.central_reachable && fixture->engine.price == 0.35;
}

static gboolean
engine_given_key (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_strcmp0 (fixture->engine.key, PEER_CP_KEY) == 0;
}

static gboolean
engine_told_unreachable (gpointer user_data)
{
  Fixture *fixture = user_data;

  return !fixture->engine.central_reachable;
}

static void
test_monitor_register_and_token (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, "CP1", NULL);
  g_autofree char *token = NULL;
  const EvLinkRequest *request;
  GStatBuf st;

  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_REGISTER);
  g_assert_cmpstr (request->cp_id, ==, "CP1");
  g_assert_cmpstr (request->location, ==, "Test street 1");
  g_assert_cmpstr (fixture->engine.bound, ==, "CP1");
  g_assert_cmpfloat (station_monitor_get_price (fixture->monitor), ==, 0.35);

  /* The token is kept, readable by its owner only. */
  g_assert_true (g_file_get_contents (path, &token, NULL, NULL));
  g_assert_cmpstr (token, ==, "token-CP1");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  ev_test_wait_until (NULL, engine_told_reachable, fixture, PEER_WAIT_MS, "the engine to hear of Central");
  /* The key Central issued in its answer goes to the engine. */
  ev_test_wait_until (NULL, engine_given_key, fixture, PEER_WAIT_MS, "the engine to be given the CP's key");
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_OK);
  peer_server_wait_count (fixture->central_server, EV_LINK_REQUEST_STATUS, 3);
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_STATUS);
  g_assert_cmpint (request->state, ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpint (request->engine, ==, EV_ENGINE_HEALTH_OK);
  g_assert_cmpint (station_monitor_get_reported_state (fixture->monitor), ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpint (station_monitor_get_last_check (fixture->monitor), >, 0);

  /* A restarted monitor authenticates with the stored token. */
  station_monitor_shutdown (fixture->monitor);
  g_assert_finalize_object (fixture->monitor);
  fixture->monitor = monitor_new (fixture, "CP1");
  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_AUTHENTICATED);
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_AUTH);
  g_assert_cmpstr (request->token, ==, "token-CP1");
  g_assert_cmpuint (peer_server_count (fixture->central_server, EV_LINK_REQUEST_REGISTER), ==, 1);
}

static gboolean
approval_is (StationMonitor *monitor,
             gboolean        pending)
{
  return station_monitor_get_approval_pending (monitor) == pending;
}

static gboolean
approval_pending (gpointer user_data)
{
  return approval_is (user_data, TRUE);
}

static gboolean
approval_given (gpointer user_data)
{
  return approval_is (user_data, FALSE);
}

static void
count_approval_cb (StationMonitor *monitor,
                   StationEvent   *event,
                   guint          *n)
{
  if (station_event_get_kind (event) == STATION_EVENT_APPROVAL)
    (*n)++;
}

/* Central registers the CP pending the operator's approval: the monitor
 * says so (property and one event), keeps its link and reports; the
 * approval arrives with a status answer. */
static void
test_monitor_awaits_approval (Fixture       *fixture,
                              gconstpointer  data)
{
  guint events = 0;

  fixture->central.pending = TRUE;
  g_signal_connect (fixture->monitor, "event", G_CALLBACK (count_approval_cb), &events);
  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  ev_test_wait_until (NULL, approval_pending, fixture->monitor, PEER_WAIT_MS, "the monitor to await approval");
  peer_server_wait_count (fixture->central_server, EV_LINK_REQUEST_STATUS, 3);
  g_assert_cmpint (station_monitor_get_central_link (fixture->monitor), ==, STATION_CENTRAL_LINK_REGISTERED);
  g_assert_cmpuint (events, ==, 1);

  fixture->central.pending = FALSE;
  ev_test_wait_until (NULL, approval_given, fixture->monitor, PEER_WAIT_MS, "the monitor to learn of approval");
  g_assert_cmpuint (events, ==, 2);
  g_signal_handlers_disconnect_by_func (fixture->monitor, count_approval_cb, &events);
}

/* The `registered` answer is lost: the monitor registers again with the
 * same nonce (kept beside its tokens meanwhile), and is answered. */
static void
test_monitor_register_lost_answer (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *nonce_path = g_build_filename (fixture->tmpdir, "CP1+nonce", NULL);
  g_autofree char *first = NULL;
  g_autofree char *kept = NULL;
  const EvLinkRequest *request;

  fixture->central.lose_registered = 1;
  start (fixture->monitor);
  peer_server_wait_count (fixture->central_server, EV_LINK_REQUEST_REGISTER, 1);
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_REGISTER);
  g_assert_nonnull (request->nonce);
  first = g_strdup (request->nonce);
  g_assert_true (g_file_get_contents (nonce_path, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, first);

  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  g_assert_cmpuint (peer_server_count (fixture->central_server, EV_LINK_REQUEST_REGISTER), ==, 2);
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_REGISTER);
  g_assert_cmpstr (request->nonce, ==, first);
  /* With its token kept, the nonce is no longer needed. */
  g_assert_false (g_file_test (nonce_path, G_FILE_TEST_EXISTS));
}

static void
test_monitor_unknown_cp (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, "CP1", NULL);
  g_autofree char *token = NULL;

  /* A token from a Central whose database is gone. */
  g_assert_true (g_file_set_contents (path, "stale-token\n", -1, NULL));
  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  g_assert_cmpstr (peer_server_last (fixture->central_server, EV_LINK_REQUEST_AUTH)->token, ==, "stale-token");
  g_assert_true (g_file_get_contents (path, &token, NULL, NULL));
  g_assert_cmpstr (token, ==, "token-CP1");
}

static void
test_monitor_denied (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->tmpdir, "CP1", NULL);

  g_hash_table_insert (fixture->central.tokens, g_strdup ("CP1"), g_strdup ("the-real-one"));
  g_assert_true (g_file_set_contents (path, "wrong", -1, NULL));
  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_DENIED);
  g_assert_cmpuint (peer_server_count (fixture->central_server, EV_LINK_REQUEST_REGISTER), ==, 0);

  /* The operator fixes it: the monitor's slow retries get through. */
  g_assert_true (g_file_set_contents (path, "the-real-one", -1, NULL));
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_AUTHENTICATED);
}

static void
test_monitor_engine_faults (Fixture       *fixture,
                            gconstpointer  data)
{
  guint port = peer_server_get_port (fixture->engine_server);
  guint hellos;

  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_OK);

  fixture->engine.ko = TRUE;
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_KO);
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_KO, PEER_WAIT_MS);
  g_assert_cmpint (station_monitor_get_reported_state (fixture->monitor), ==, EV_CP_STATE_BROKEN);
  fixture->engine.ko = FALSE;
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_OK);

  /* An engine that stops answering is unreachable; the request it
   * swallowed does not hold the link: a new one is opened at once. */
  hellos = peer_server_count (fixture->engine_server, EV_LINK_REQUEST_HELLO);
  fixture->engine.silent = TRUE;
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_UNREACHABLE);
  peer_server_wait_count (fixture->engine_server, EV_LINK_REQUEST_HELLO, hellos + 1);
  fixture->engine.silent = FALSE;
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_OK);

  /* An engine that goes away is unreachable, and found again. */
  hellos = peer_server_count (fixture->engine_server, EV_LINK_REQUEST_HELLO);
  g_clear_pointer (&fixture->engine_server, peer_server_free);
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_UNREACHABLE);
  g_assert_false (station_monitor_get_engine_connected (fixture->monitor));
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_UNREACHABLE, PEER_WAIT_MS);
  g_assert_cmpint (peer_server_last (fixture->central_server, EV_LINK_REQUEST_STATUS)->state, ==,
                   EV_CP_STATE_BROKEN);

  fixture->engine_server = peer_server_new (port, peer_engine_func, &fixture->engine);
  wait_enum (fixture->monitor, "engine-health", EV_ENGINE_HEALTH_OK);
  g_assert_cmpuint (hellos, >=, 1);
  g_assert_cmpuint (peer_server_count (fixture->engine_server, EV_LINK_REQUEST_HELLO), ==, 1);
}

/* Issue 13: after a stall, an engine answering again is reported healthy
 * to Central within 2 s; it took about 9 s, a health request swallowed
 * during the stall holding the link until its 10 s response time-out.
 * The monitor's own timers here (health every second, 1 s to answer). */
static void
test_monitor_engine_stall (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *engine = peer_server_dup_address (fixture->engine_server);
  g_autofree char *central = peer_server_dup_address (fixture->central_server);

  g_assert_finalize_object (fixture->monitor);
  fixture->monitor = g_object_new (STATION_TYPE_MONITOR,
                                   "cp-id", "CP1",
                                   "engine", engine,
                                   "central", central,
                                   "token-dir", fixture->tmpdir,
                                   "pairing-secret-file", fixture->secret_file,
                                   NULL);
  g_assert_cmpuint (STATION_MONITOR_DEFAULT_HEALTH_TIMEOUT_MS, ==, 1000);
  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_OK, PEER_WAIT_MS);

  fixture->engine.silent = TRUE;
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_UNREACHABLE, PEER_WAIT_MS);
  /* The stall lasts a few seconds. */
  ev_test_sleep_spinning (NULL, 3000);

  /* A generous deadline for the 2 s target. */
  fixture->engine.silent = FALSE;
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_OK, 3000);
}

static void
test_monitor_central_down (Fixture       *fixture,
                           gconstpointer  data)
{
  guint port = peer_server_get_port (fixture->central_server);

  start (fixture->monitor);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_REGISTERED);
  ev_test_wait_until (NULL, engine_told_reachable, fixture, PEER_WAIT_MS, "the engine to hear of Central");

  g_clear_pointer (&fixture->central_server, peer_server_free);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_DOWN);
  ev_test_wait_until (NULL, engine_told_unreachable, fixture, PEER_WAIT_MS, "the engine to hear Central is gone");
  /* The engine is still checked meanwhile. */
  g_assert_cmpint (station_monitor_get_engine_health (fixture->monitor), ==, EV_ENGINE_HEALTH_OK);

  fixture->central_server = peer_server_new (port, peer_central_func, &fixture->central);
  wait_enum (fixture->monitor, "central-link", STATION_CENTRAL_LINK_AUTHENTICATED);
  ev_test_wait_until (NULL, engine_told_reachable, fixture, PEER_WAIT_MS, "the engine to hear Central is back");
  g_assert_cmpstr (peer_server_last (fixture->central_server, EV_LINK_REQUEST_AUTH)->token, ==, "token-CP1");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/station/monitor/new-destroy", test_monitor_new_destroy);
  g_test_add ("/station/monitor/register-and-token", Fixture, NULL, fixture_setup,
              test_monitor_register_and_token, fixture_teardown);
  g_test_add ("/station/monitor/awaits-approval", Fixture, NULL, fixture_setup,
              test_monitor_awaits_approval, fixture_teardown);
  g_test_add ("/station/monitor/register-lost-answer", Fixture, NULL, fixture_setup,
              test_monitor_register_lost_answer, fixture_teardown);
  g_test_add ("/station/monitor/unknown-cp", Fixture, NULL, fixture_setup,
              test_monitor_unknown_cp, fixture_teardown);
  g_test_add ("/station/monitor/denied", Fixture, NULL, fixture_setup,
              test_monitor_denied, fixture_teardown);
  g_test_add ("/station/monitor/engine-faults", Fixture, NULL, fixture_setup,
              test_monitor_engine_faults, fixture_teardown);
  g_test_add ("/station/monitor/engine-stall", Fixture, NULL, fixture_setup,
              test_monitor_engine_stall, fixture_teardown);
  g_test_add ("/station/monitor/central-down", Fixture, NULL, fixture_setup,
              test_monitor_central_down, fixture_teardown);

  return g_test_run ();
}

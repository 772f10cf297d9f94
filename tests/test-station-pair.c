#include "config.h"

#include <signal.h>

#include "ev-mock-cluster.h"
#include "station-engine.h"
#include "station-journal.h"
#include "station-monitor.h"
#include "station-peers.h"
#include "test-program.h"
#include "test-utils.h"

/* A real engine and monitor against a test Central (a plain EvLink server
 * from docs/protocol.md) and the mock cluster, the Central's Kafka side
 * played by PeerKafka. */

typedef struct
{
  char *tmpdir;
  char *secret_file;         /* the engine and monitor pairing secret */
  EvMockCluster *cluster;
  PeerKafka *kafka;
  PeerCentral central;
  PeerServer *central_server;
  StationEngine *engine;
  StationMonitor *monitor;
} Fixture;

static StationMonitor *
monitor_new (Fixture    *fixture,
             const char *engine,
             guint       interval)
{
  g_autofree char *central = peer_server_dup_address (fixture->central_server);

  return g_object_new (STATION_TYPE_MONITOR,
                       "cp-id", "CP1",
                       "engine", engine,
                       "central", central,
                       "token-dir", fixture->tmpdir,
                       "pairing-secret-file", fixture->secret_file,
                       "interval", interval,
                       "health-timeout", interval,
                       "reconnect-min", 100,
                       "reconnect-max", 400,
                       NULL);
}

static void
start_monitor (Fixture    *fixture,
               const char *engine,
               guint       interval)
{
  g_autoptr(GError) error = NULL;

  fixture->monitor = monitor_new (fixture, engine, interval);
  g_assert_true (station_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tmpdir = ev_test_make_tmpdir ();
  fixture->secret_file = g_build_filename (fixture->tmpdir, "pairing.secret", NULL);
  fixture->cluster = ev_mock_cluster_new (1, &error);
  g_assert_no_error (error);
  fixture->kafka = peer_kafka_new (ev_mock_cluster_get_bootstrap (fixture->cluster));
  peer_central_init (&fixture->central);
  fixture->central_server = peer_server_new (0, peer_central_func, &fixture->central);
}

/* An engine in this process, with its monitor. */
static void
start_pair (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  fixture->engine = g_object_new (STATION_TYPE_ENGINE,
                                  "listen", "127.0.0.1:0",
                                  "bootstrap", ev_mock_cluster_get_bootstrap (fixture->cluster),
                                  "location", "Alicante",
                                  "progress-interval", (gint64) 200,
                                  "state-dir", fixture->tmpdir,
                                  NULL);
  g_assert_true (station_engine_start (fixture->engine, &error));
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", station_engine_get_port (fixture->engine));
  start_monitor (fixture, address, 200);
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
  if (fixture->engine != NULL)
    {
      station_engine_shutdown (fixture->engine);
      g_assert_finalize_object (fixture->engine);
    }
  g_clear_pointer (&fixture->central_server, peer_server_free);
  peer_central_clear (&fixture->central);
  peer_kafka_free (fixture->kafka);
  g_assert_finalize_object (fixture->cluster);
  ev_test_rm_rf (fixture->tmpdir);
  g_free (fixture->tmpdir);
  g_free (fixture->secret_file);
}

static gboolean
link_is (Fixture            *fixture,
         StationCentralLink  link)
{
  return station_monitor_get_central_link (fixture->monitor) == link;
}

static gboolean
registered (gpointer user_data)
{
  return link_is (user_data, STATION_CENTRAL_LINK_REGISTERED);
}

static gboolean
authenticated (gpointer user_data)
{
  return link_is (user_data, STATION_CENTRAL_LINK_AUTHENTICATED);
}

static gboolean
central_down (gpointer user_data)
{
  return link_is (user_data, STATION_CENTRAL_LINK_DOWN);
}

static gboolean
engine_sees_central (gpointer user_data)
{
  Fixture *fixture = user_data;

  return station_engine_get_central_reachable (fixture->engine) &&
         station_engine_get_price (fixture->engine) == 0.35;
}

static gboolean
engine_misses_central (gpointer user_data)
{
  Fixture *fixture = user_data;

  return !station_engine_get_central_reachable (fixture->engine);
}

static gboolean
engine_waiting (gpointer user_data)
{
  Fixture *fixture = user_data;

  return station_engine_get_state (fixture->engine) == EV_CP_STATE_WAITING;
}

/* Authorises a supply the way Central does, and plugs the vehicle in. */
static void
start_supply (Fixture    *fixture,
              const char *supply_id)
{
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  ev_test_wait_until (NULL, engine_waiting, fixture, PEER_WAIT_MS, "WAITING");
  g_assert_true (station_engine_plug (fixture->engine, NULL));
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 1);
}

static void
test_pair_register_and_restart (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *engine = NULL;
  const EvLinkRequest *request;

  start_pair (fixture);
  ev_test_wait_until (NULL, registered, fixture, PEER_WAIT_MS, "registration");
  request = peer_server_last (fixture->central_server, EV_LINK_REQUEST_REGISTER);
  g_assert_cmpstr (request->location, ==, "Alicante");
  g_assert_cmpstr (station_engine_get_cp_id (fixture->engine), ==, "CP1");
  ev_test_wait_until (NULL, engine_sees_central, fixture, PEER_WAIT_MS, "the engine to see Central");
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_OK, PEER_WAIT_MS);
  g_assert_cmpint (peer_server_last (fixture->central_server, EV_LINK_REQUEST_STATUS)->state, ==,
                   EV_CP_STATE_ACTIVE);

  /* The monitor restarts: same engine, token reused. */
  engine = g_strdup_printf ("127.0.0.1:%u", station_engine_get_port (fixture->engine));
  station_monitor_shutdown (fixture->monitor);
  g_assert_finalize_object (fixture->monitor);
  start_monitor (fixture, engine, 200);
  ev_test_wait_until (NULL, authenticated, fixture, PEER_WAIT_MS, "authentication");
  g_assert_cmpstr (peer_server_last (fixture->central_server, EV_LINK_REQUEST_AUTH)->token, ==, "token-CP1");
  g_assert_cmpuint (peer_server_count (fixture->central_server, EV_LINK_REQUEST_REGISTER), ==, 1);
}

static void
test_pair_ko_during_supply (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *supply_id = "88888888-8888-4888-8888-888888888888";
  const EvSupplyData *ticket;

  start_pair (fixture);
  ev_test_wait_until (NULL, registered, fixture, PEER_WAIT_MS, "registration");
  start_supply (fixture, supply_id);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 2);

  station_engine_set_ko (fixture->engine, TRUE);
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpfloat (ticket->kwh, >, 0.0);
  g_assert_cmpfloat (ticket->amount, >, 0.0);
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_KO, PEER_WAIT_MS);
  g_assert_cmpint (peer_server_last (fixture->central_server, EV_LINK_REQUEST_STATUS)->state, ==,
                   EV_CP_STATE_BROKEN);

  station_engine_set_ko (fixture->engine, FALSE);
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_OK, PEER_WAIT_MS);
}

static void
test_pair_central_gone (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *supply_id = "99999999-9999-4999-8999-999999999999";
  guint port = peer_server_get_port (fixture->central_server);
  const EvSupplyData *ticket;
  guint before;

  start_pair (fixture);
  ev_test_wait_until (NULL, registered, fixture, PEER_WAIT_MS, "registration");
  ev_test_wait_until (NULL, engine_sees_central, fixture, PEER_WAIT_MS, "the engine to see Central");
  start_supply (fixture, supply_id);

  g_clear_pointer (&fixture->central_server, peer_server_free);
  ev_test_wait_until (NULL, central_down, fixture, PEER_WAIT_MS, "Central to be gone");
  ev_test_wait_until (NULL, engine_misses_central, fixture, PEER_WAIT_MS, "the engine to miss Central");

  /* The supply goes on without Central. */
  before = peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, before + 2);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);

  fixture->central_server = peer_server_new (port, peer_central_func, &fixture->central);
  ev_test_wait_until (NULL, authenticated, fixture, PEER_WAIT_MS, "re-authentication");
  ev_test_wait_until (NULL, engine_sees_central, fixture, PEER_WAIT_MS, "the engine to see Central again");

  g_assert_true (station_engine_unplug (fixture->engine, NULL));
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpuint (ticket->seq, >, before + 2);
}

/* The engine as its own process --------------------------------------------- */

typedef struct
{
  char *line;
  gboolean done;
} LineRead;

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  read->done = TRUE;
}

/* Reads events until one named @name; returns it. */
static JsonObject *
wait_event (GDataInputStream *events,
            const char       *name)
{
  for (;;)
    {
      LineRead read = { 0 };
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;

      g_data_input_stream_read_line_async (events, G_PRIORITY_DEFAULT, NULL, line_cb, &read);
      ev_test_wait_flag (NULL, &read.done, PEER_WAIT_MS, name);
      g_assert_nonnull (read.line);
      node = json_from_string (read.line, NULL);
      g_free (read.line);
      g_assert_nonnull (node);
      object = json_node_get_object (node);
      if (g_str_equal (json_object_get_string_member (object, "event"), name))
        return json_object_ref (object);
    }
}

static void
test_pair_engine_killed (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GSubprocess) engine = NULL;
  g_autoptr(GDataInputStream) events = NULL;
  g_autoptr(JsonObject) ready = NULL;
  g_autoptr(JsonObject) error_event = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  const char *program = g_getenv ("EV_STATION");

  g_assert_nonnull (program);
  engine = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                             program, "engine", "--headless", "--listen", "127.0.0.1:0",
                             "--kafka", ev_mock_cluster_get_bootstrap (fixture->cluster),
                             "--location", "Alicante", "--state-dir", fixture->tmpdir, NULL);
  g_assert_no_error (error);
  events = g_data_input_stream_new (g_subprocess_get_stdout_pipe (engine));
  ready = wait_event (events, "ready");
  g_assert_cmpint (json_object_get_int_member (ready, "port"), >, 0);

  /* A bad command is reported and the engine goes on. */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (engine), "fly\n", 4, NULL, NULL, &error);
  g_assert_no_error (error);
  error_event = wait_event (events, "error");

  /* The real cadence here: health every second, 1 s to answer. */
  address = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT, json_object_get_int_member (ready, "port"));
  start_monitor (fixture, address, 1000);
  ev_test_wait_until (NULL, registered, fixture, PEER_WAIT_MS, "registration");
  json_object_unref (wait_event (events, "bound"));
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_OK, PEER_WAIT_MS);

  /* Killed: Central hears it is unreachable within 2 s (SPEC.md, 15). */
  g_subprocess_send_signal (engine, SIGKILL);
  peer_server_wait_status (fixture->central_server, EV_ENGINE_HEALTH_UNREACHABLE, 2000);
  g_assert_cmpint (peer_server_last (fixture->central_server, EV_LINK_REQUEST_STATUS)->state, ==,
                   EV_CP_STATE_BROKEN);
  g_assert_false (station_monitor_get_engine_connected (fixture->monitor));
  g_subprocess_wait (engine, NULL, NULL);
}

/* Issue 13: an engine killed -9 while supplying. Its journal outlives it:
 * the next engine of the CP ends the supply at once as an engine fault,
 * with the energy last recorded (never less than Kafka saw), and
 * publishes that ticket. */
static void
test_pair_engine_killed_supplying (Fixture       *fixture,
                                   gconstpointer  data)
{
  const char *supply_id = "13131313-1313-4131-8131-131313131313";
  const char *bootstrap = ev_mock_cluster_get_bootstrap (fixture->cluster);
  g_autoptr(StationJournal) journal = station_journal_new (fixture->tmpdir, "CP1");
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  const EvSupplyData *kept;
  const EvSupplyData *ticket;
  EvTestProgram *engine;

  g_assert_nonnull (g_getenv ("EV_STATION"));
  {
    const char *argv[] = { g_getenv ("EV_STATION"), "engine", "--headless", "--listen", "127.0.0.1:0",
                           "--kafka", bootstrap, "--state-dir", fixture->tmpdir, NULL };

    engine = ev_test_program_start ("ev-station engine", fixture->tmpdir, argv);
  }
  ev_test_program_wait (engine, 1, "ready", NULL, NULL, NULL, NULL);
  g_assert_true (ev_test_event_has (ev_test_program_last (engine, "ready"), "state_dir", fixture->tmpdir));
  listen = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT,
                            json_object_get_int_member (ev_test_program_last (engine, "ready"), "port"));
  start_monitor (fixture, listen, 200);
  ev_test_program_wait (engine, 1, "bound", NULL, NULL, NULL, NULL);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  ev_test_program_wait (engine, 1, "authorized", NULL, NULL, NULL, NULL);
  ev_test_program_send (engine, "plug");
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 2);

  g_subprocess_send_signal (engine->process, SIGKILL);
  ev_test_program_wait_exit (engine, PEER_WAIT_MS);
  g_assert_true (engine->signalled);
  ev_test_program_free (engine);

  g_assert_true (station_journal_load (journal, &error));
  g_assert_no_error (error);
  kept = station_journal_get_supply (journal);
  g_assert_nonnull (kept);
  g_assert_cmpstr (kept->supply_id, ==, supply_id);
  g_assert_cmpuint (kept->seq, >=, 3);

  /* The same port: the monitor finds its engine again by itself. */
  {
    const char *argv[] = { g_getenv ("EV_STATION"), "engine", "--headless", "--listen", listen,
                           "--kafka", bootstrap, "--state-dir", fixture->tmpdir, NULL };

    engine = ev_test_program_start ("ev-station engine", fixture->tmpdir, argv);
  }
  ev_test_program_wait (engine, 1, "ticket", "reason", "engine-fault", "supply_id", supply_id);
  g_assert_nonnull (json_object_get_string_member_with_default (ev_test_program_last (engine, "ticket"),
                                                                "message", NULL));
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpuint (ticket->seq, ==, kept->seq);
  g_assert_cmpfloat (ticket->kwh, ==, kept->kwh);
  g_assert_cmpfloat (ticket->kwh, >=, peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS,
                                                            2)->kwh);

  ev_test_program_send (engine, "quit");
  g_assert_cmpint (ev_test_program_wait_exit (engine, PEER_WAIT_MS), ==, 0);
  ev_test_program_free (engine);
}

/* Issue 13: `quit` while the broker hangs (stopped: its sockets open,
 * nothing answered) used to wait without end in librdkafka's consumer
 * close. The engine must exit 0 within its shutdown bound (5 s); the
 * deadline here is generous. */
static void
test_pair_quit_broker_stopped (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *broker_argv[] = { g_getenv ("EV_BROKER"), "--headless", NULL };
  g_autofree char *bootstrap = NULL;
  g_autofree char *address = NULL;
  EvTestProgram *broker;
  EvTestProgram *engine;
  PeerKafka *kafka;
  JsonObject *ready;
  GPid pid;

  g_assert_nonnull (broker_argv[0]);
  g_assert_nonnull (g_getenv ("EV_STATION"));
  broker = ev_test_program_start ("ev-broker", fixture->tmpdir, broker_argv);
  ev_test_program_wait (broker, 1, "ready", NULL, NULL, NULL, NULL);
  ready = ev_test_program_last (broker, "ready");
  bootstrap = g_strdup (json_object_get_string_member (ready, "bootstrap"));
  pid = json_object_get_int_member (ready, "pid");

  {
    const char *argv[] = { g_getenv ("EV_STATION"), "engine", "--headless", "--listen", "127.0.0.1:0",
                           "--kafka", bootstrap, "--pairing-secret-file", fixture->secret_file, NULL };

    engine = ev_test_program_start ("ev-station engine", fixture->tmpdir, argv);
  }
  ev_test_program_wait (engine, 1, "ready", NULL, NULL, NULL, NULL);
  address = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT,
                             json_object_get_int_member (ev_test_program_last (engine, "ready"), "port"));
  start_monitor (fixture, address, 200);
  ev_test_program_wait (engine, 1, "bound", NULL, NULL, NULL, NULL);

  /* A directive read proves the engine's consumer is in its group. */
  kafka = peer_kafka_new (bootstrap);
  peer_kafka_directive (kafka, "CP1", EV_DIRECTIVE_ACTION_START, "12121212-1212-4121-8121-121212121212", "d1",
                        ev_protocol_now_ms () + 60000);
  ev_test_program_wait (engine, 1, "authorized", NULL, NULL, NULL, NULL);

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  ev_test_program_send (engine, "quit");
  g_assert_cmpint (ev_test_program_wait_exit (engine, 10000), ==, 0);

  kill (pid, SIGCONT);
  peer_kafka_free (kafka);
  ev_test_program_free (engine);
  ev_test_program_free (broker);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/station/pair/register-and-restart", Fixture, NULL, fixture_setup,
              test_pair_register_and_restart, fixture_teardown);
  g_test_add ("/station/pair/ko-during-supply", Fixture, NULL, fixture_setup,
              test_pair_ko_during_supply, fixture_teardown);
  g_test_add ("/station/pair/central-gone", Fixture, NULL, fixture_setup,
              test_pair_central_gone, fixture_teardown);
  g_test_add ("/station/pair/engine-killed", Fixture, NULL, fixture_setup,
              test_pair_engine_killed, fixture_teardown);
  g_test_add ("/station/pair/engine-killed-supplying", Fixture, NULL, fixture_setup,
              test_pair_engine_killed_supplying, fixture_teardown);
  g_test_add ("/station/pair/quit-broker-stopped", Fixture, NULL, fixture_setup,
              test_pair_quit_broker_stopped, fixture_teardown);

  return g_test_run ();
}

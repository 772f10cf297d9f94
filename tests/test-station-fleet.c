#include "config.h"

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"
#include "station-peers.h"
#include "test-program.h"
#include "test-utils.h"

/* `ev-station fleet` as a real process, against a real ev-broker and a
 * real ev-central over loopback TCP; Kafka is watched (and a driver's
 * request made) with PeerKafka. Everything is asserted on behaviour seen
 * from outside: Central's events, the messages on Kafka, the fleet's own
 * events. No timing thresholds. */

#define N_CPS 50

/* How many distinct CPs Central has shown in @state. */
static guint
count_cps_in_state (EvTestProgram *central,
                    const char    *state)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < central->events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (central->events, i);

      if (ev_test_event_has (event, "event", "cp-state") && ev_test_event_has (event, "state", state))
        g_hash_table_add (seen, (gpointer) json_object_get_string_member (event, "cp_id"));
    }
  return g_hash_table_size (seen);
}

typedef struct
{
  EvTestProgram *central;
  const char *state;
  guint n;
} StateWait;

static gboolean
cps_in_state (gpointer user_data)
{
  StateWait *wait = user_data;

  return count_cps_in_state (wait->central, wait->state) >= wait->n;
}

/* A stats event of the fleet whose @member is at least @value. */
typedef struct
{
  EvTestProgram *fleet;
  const char *member;
  gint64 value;
} StatsWait;

static gboolean
stats_reached (gpointer user_data)
{
  StatsWait *wait = user_data;
  JsonObject *stats = ev_test_program_last (wait->fleet, "stats");

  return stats != NULL && json_object_get_int_member_with_default (stats, wait->member, 0) >= wait->value;
}

static void
wait_stats (EvTestProgram *fleet,
            const char    *member,
            gint64         value)
{
  StatsWait wait = { fleet, member, value };
  g_autofree char *what = g_strdup_printf ("fleet stats with %s ≥ %" G_GINT64_FORMAT, member, value);

  ev_test_wait_until (NULL, stats_reached, &wait, PEER_WAIT_MS, what);
}

/* Tests ---------------------------------------------------------------------- */

static void
test_bad_arguments (void)
{
  const char *station = g_getenv ("EV_STATION");
  g_autofree char *dir = ev_test_make_tmpdir ();
  const char *cases[][3] = {
    { "--count", "0", NULL },
    { "--prefix", "bad prefix!", NULL },
    { "--fault-rate", "-1", NULL },
  };

  g_assert_nonnull (station);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *argv[] = { station, "fleet", "--count", "3", cases[i][0], cases[i][1], NULL };
      EvTestProgram *program = ev_test_program_start ("ev-station fleet", dir, argv);

      g_assert_cmpint (ev_test_program_finish (program), ==, 2);
      g_assert_cmpuint (program->events->len, ==, 0);
      ev_test_program_free (program);
    }
  ev_test_rm_rf (dir);
}

static char *
request_supply (PeerKafka  *kafka,
                const char *cp_id,
                const char *driver_id)
{
  g_autofree char *request_id = ev_protocol_new_uuid ();
  g_autoptr(EvSupplyRequest) request =
    ev_supply_request_new (request_id, cp_id, driver_id, EV_SUPPLY_ORIGIN_DRIVER);
  g_autofree char *json = ev_supply_request_to_json (request, NULL);
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);

  /* Signed as a driver signs: Central refuses a driver's request that is not. */
  peer_kafka_set_signing_key (kafka, key);
  peer_kafka_publish (kafka, "supply-req", cp_id, json);
  peer_kafka_set_signing_key (kafka, NULL);
  return g_steal_pointer (&request_id);
}

static void
test_fleet (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  g_autofree char *central_address = NULL;
  g_autofree char *count = g_strdup_printf ("%d", N_CPS);
  g_autofree char *request_id = NULL;
  g_autofree char *bootstrap = NULL;
  const char *broker_argv[] = { g_getenv ("EV_BROKER"), "--headless", NULL };
  EvTestProgram *broker, *central, *fleet;
  PeerKafka *kafka;
  JsonObject *event;
  const char *supply_id;
  StateWait state_wait;

  g_assert_nonnull (g_getenv ("EV_CENTRAL"));
  g_assert_nonnull (g_getenv ("EV_STATION"));

  broker = ev_test_program_start ("ev-broker", dir, broker_argv);
  ev_test_program_wait (broker, 1, "ready", NULL, NULL, NULL, NULL);
  bootstrap = g_strdup (json_object_get_string_member (ev_test_program_last (broker, "ready"), "bootstrap"));

  {
    const char *argv[] = { g_getenv ("EV_CENTRAL"), "--headless", "--listen", "127.0.0.1:0", "--auto-approve",
                           "--kafka", bootstrap, "--db", db, NULL };

    central = ev_test_program_start ("ev-central", dir, argv);
  }
  ev_test_program_wait (central, 1, "ready", NULL, NULL, NULL, NULL);
  central_address = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT,
                                     json_object_get_int_member (ev_test_program_last (central, "ready"), "port"));
  kafka = peer_kafka_new (bootstrap);
  /* Central issues the keys here, and checks the MACs itself (its
   * `ticket` event below). */
  peer_kafka_set_cp_key (kafka, NULL);

  {
    const char *argv[] = { g_getenv ("EV_STATION"), "fleet", "--count", count, "--prefix", "TF",
                           "--central", central_address, "--kafka", bootstrap, "--token-dir", tokens,
                           "--stats-interval", "300", "--auto-plug", "0.2",
                           "--auto-unplug-after", "2.5", NULL };

    fleet = ev_test_program_start ("ev-station fleet", dir, argv);
  }
  ev_test_program_wait (fleet, 1, "ready", "prefix", "TF", "central", central_address);
  g_assert_cmpint (json_object_get_int_member (ev_test_program_last (fleet, "ready"), "count"), ==, N_CPS);

  /* Every CP registers over its own TCP link, and its statuses make it
   * ACTIVE in Central. */
  ev_test_program_wait (central, N_CPS, "cp-registered", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (ev_test_program_count (central, "cp-registered", "cp_id", "TF00001", NULL, NULL), ==, 1);
  g_assert_cmpuint (ev_test_program_count (central, "cp-registered", "cp_id", "TF00050", NULL, NULL), ==, 1);
  state_wait = (StateWait) { central, "ACTIVE", N_CPS };
  ev_test_wait_until (NULL, cps_in_state, &state_wait, PEER_WAIT_MS, "every CP ACTIVE in Central");
  wait_stats (fleet, "registered", N_CPS);
  wait_stats (fleet, "links_up", N_CPS);
  wait_stats (fleet, "status_answered", N_CPS);
  event = ev_test_program_last (fleet, "stats");
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, N_CPS);
  g_assert_true (json_object_has_member (json_object_get_object_member (event, "status_ms"), "p99"));
  g_assert_cmpint (json_object_get_int_member (event, "rss_kib"), >, 0);

  /* A driver's request: Central's start directive makes that CP supply,
   * stream its progress and end with a ticket (auto-unplug). */
  request_id = request_supply (kafka, "TF00007", "fleet-driver");
  ev_test_program_wait (central, 1, "authorized", "request_id", request_id, NULL, NULL);
  event = NULL;
  for (guint i = 0; i < central->events->len && event == NULL; i++)
    if (ev_test_event_has (g_ptr_array_index (central->events, i), "request_id", request_id) &&
        ev_test_event_has (g_ptr_array_index (central->events, i), "event", "authorized"))
      event = g_ptr_array_index (central->events, i);
  supply_id = json_object_get_string_member (event, "supply_id");
  g_assert_cmpstr (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 1)->cp_id, ==, "TF00007");
  g_assert_cmpstr (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0)->driver_id, ==,
                   "fleet-driver");
  g_assert_cmpint (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0)->reason, ==,
                   EV_TICKET_REASON_UNPLUGGED);
  ev_test_program_wait (central, 1, "ticket", "supply_id", supply_id, NULL, NULL);
  wait_stats (fleet, "directives", 1);
  wait_stats (fleet, "supplies", 1);
  wait_stats (fleet, "tickets", 1);

  /* A dead engine: its monitor reports it, and Central shows BROKEN. */
  ev_test_program_send (fleet, "kill-engine TF00011");
  ev_test_program_wait (fleet, 1, "engine-killed", "cp_id", "TF00011", NULL, NULL);
  ev_test_program_wait (central, 1, "cp-state", "cp_id", "TF00011", "state", "BROKEN");
  wait_stats (fleet, "broken", 1);

  /* A dead monitor: its link closes, and Central shows DISCONNECTED. */
  ev_test_program_send (fleet, "kill-monitor TF00012");
  ev_test_program_wait (fleet, 1, "monitor-killed", "cp_id", "TF00012", NULL, NULL);
  ev_test_program_wait (central, 1, "cp-disconnected", "cp_id", "TF00012", NULL, NULL);
  ev_test_program_wait (central, 1, "cp-state", "cp_id", "TF00012", "state", "DISCONNECTED");

  /* Revived, it authenticates with the token it kept. */
  ev_test_program_send (fleet, "revive TF00012");
  ev_test_program_wait (central, 1, "cp-authenticated", "cp_id", "TF00012", NULL, NULL);
  ev_test_program_wait (central, 2, "cp-state", "cp_id", "TF00012", "state", "ACTIVE");

  /* Bad commands are errors; the fleet goes on. */
  ev_test_program_send (fleet, "bogus");
  ev_test_program_send (fleet, "kill-engine NOPE00001");
  ev_test_program_send (fleet, "kill-monitor TF00051");
  ev_test_program_send (fleet, "revive");
  ev_test_program_wait (fleet, 4, "error", NULL, NULL, NULL, NULL);
  ev_test_program_send (fleet, "reset");
  ev_test_program_send (fleet, "stats");
  wait_stats (fleet, "registered", N_CPS);

  ev_test_program_send (fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (fleet), ==, 0);
  event = ev_test_program_last (fleet, "summary");
  g_assert_nonnull (event);
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, N_CPS);
  g_assert_true (json_object_has_member (event, "status_ms"));
  g_assert_true (ev_test_event_has (g_ptr_array_index (fleet->events, fleet->events->len - 1), "event", "stopped"));

  /* Its links ended with EOT: Central sees every CP go. */
  state_wait = (StateWait) { central, "DISCONNECTED", N_CPS };
  ev_test_wait_until (NULL, cps_in_state, &state_wait, PEER_WAIT_MS, "every CP DISCONNECTED");

  ev_test_program_send (central, "quit");
  g_assert_cmpint (ev_test_program_finish (central), ==, 0);
  peer_kafka_free (kafka);
  g_assert_cmpint (ev_test_program_finish (broker), ==, 0);
  ev_test_program_free (fleet);
  ev_test_program_free (central);
  ev_test_program_free (broker);
  ev_test_rm_rf (dir);
}

/* A run of fixed length outlives the end of its input: `--seconds 2
 * </dev/null` runs until the time is up, then prints its summary. */
static void
test_seconds (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  EvTestProgram *broker, *fleet;
  const char *bootstrap;
  JsonObject *summary;

  /* A broker must answer at start; Central need not. */
  broker = ev_test_broker_start (dir, &bootstrap);
  {
    const char *argv[] = {
      g_getenv ("EV_STATION"), "fleet", "--count", "3", "--central", "127.0.0.1:9",
      "--kafka", bootstrap,
      "--token-dir", tokens, "--seconds", "2", NULL
    };

    g_assert_nonnull (argv[0]);
    fleet = ev_test_program_start ("ev-station fleet", dir, argv);
  }
  g_assert_cmpint (ev_test_program_finish (fleet), ==, 0);
  summary = ev_test_program_last (fleet, "summary");
  g_assert_nonnull (summary);
  g_assert_cmpfloat (json_object_get_double_member (summary, "t"), >=, 2.0);
  g_assert_cmpint (json_object_get_int_member (summary, "count"), ==, 3);
  /* No Central answered: no latency to show, which is not 0 ms. */
  {
    JsonObject *latency = json_object_get_object_member (summary, "status_ms");

    g_assert_cmpint (json_object_get_int_member (latency, "n"), ==, 0);
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (latency, "p50")));
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (latency, "p99")));
    g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (latency, "max")));
  }
  ev_test_program_send (broker, "quit");
  g_assert_cmpint (ev_test_program_finish (broker), ==, 0);
  ev_test_program_free (fleet);
  ev_test_program_free (broker);
  ev_test_rm_rf (dir);
}

/* Measured as a monitor lives it: against a Central that answers every
 * status 2 s late while statuses fall due every second, the statuses due
 * meanwhile are held back and counted as skipped, and each latency counts
 * from when its status was due, not from when the link was free to send
 * it; so the figures show the backlog (most samples well over the 2 s a
 * single answer takes), not 2 s flat (coordinated omission). */
static void
test_slow_central (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  g_autofree char *address = NULL;
  EvTestProgram *broker, *fleet;
  PeerCentral central = { 0 };
  PeerServer *server;
  const char *bootstrap;
  JsonObject *stats, *latency;

  peer_central_init (&central);
  server = peer_server_new (0, peer_central_func, &central);
  peer_server_set_status_delay (server, 2000);
  address = peer_server_dup_address (server);
  broker = ev_test_broker_start (dir, &bootstrap);
  {
    const char *argv[] = {
      g_getenv ("EV_STATION"), "fleet", "--count", "2", "--central", address,
      "--kafka", bootstrap, "--token-dir", tokens, "--stats-interval", "500", NULL
    };

    g_assert_nonnull (argv[0]);
    fleet = ev_test_program_start ("ev-station fleet", dir, argv);
  }
  wait_stats (fleet, "status_answered", 8);

  stats = ev_test_program_last (fleet, "stats");
  latency = json_object_get_object_member (stats, "status_ms");
  g_assert_cmpint (json_object_get_int_member (stats, "status_skipped"), >, 0);
  g_assert_cmpint (json_object_get_int_member (latency, "skipped"), ==,
                   json_object_get_int_member (stats, "status_skipped"));
  g_assert_cmpint (json_object_get_int_member (latency, "n"), >=, 8);
  g_assert_cmpfloat (json_object_get_double_member (latency, "p50"), >=, 2500.0);
  g_assert_cmpfloat (json_object_get_double_member (latency, "max"), >=,
                     json_object_get_double_member (latency, "p50"));

  ev_test_program_send (fleet, "quit");
  g_assert_cmpint (ev_test_program_finish (fleet), ==, 0);
  ev_test_program_send (broker, "quit");
  g_assert_cmpint (ev_test_program_finish (broker), ==, 0);
  ev_test_program_free (fleet);
  ev_test_program_free (broker);
  peer_server_free (server);
  peer_central_clear (&central);
  ev_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/station/fleet/bad-arguments", test_bad_arguments);
  g_test_add_func ("/station/fleet/network", test_fleet);
  g_test_add_func ("/station/fleet/seconds", test_seconds);
  g_test_add_func ("/station/fleet/slow-central", test_slow_central);

  return g_test_run ();
}

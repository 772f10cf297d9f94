#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "driver-fleet.h"
#include "driver-peers.h"
#include "test-utils.h"

/* `ev-driver fleet` as a real process against a private ev-broker and a
 * test Central on Kafka (tests/driver-peers.c). The test asserts what the
 * fleet counts, never how fast it is. */

/* Long enough for the test Central's first fetch, even under sanitizers. */
#define ANSWER_TIMEOUT "60000"

static const char * const active_cps[] = { "CP-FA", "CP-FB", "CP-FC", NULL };

typedef enum {
  POLICY_FIRST_ROUND,   /* deny the first request, authorise the others */
  POLICY_DENY_STOPPED,  /* deny everything, cp-stopped */
} Policy;

typedef struct
{
  PeerBroker *broker;
  FakeCentral *central;
  char *state_home;
  Policy policy;
  GPtrArray *authorized;  /* FleetSupply */
} Fixture;

typedef struct
{
  EvSupplyRequest *request;
  char *supply_id;
} FleetSupply;

static void
fleet_supply_free (gpointer data)
{
  FleetSupply *supply = data;

  ev_supply_request_free (supply->request);
  g_free (supply->supply_id);
  g_free (supply);
}

/* The test Central: every request must be at an ACTIVE CP, by one of the
 * fleet's drivers. */
static void
policy_cb (FakeCentral           *central,
           const EvSupplyRequest *request,
           gpointer               user_data)
{
  Fixture *fixture = user_data;
  guint64 n = 0;

  g_assert_true (g_strv_contains (active_cps, request->cp_id));
  g_assert_true (g_str_has_prefix (request->driver_id, "FLT"));
  g_assert_true (g_ascii_string_to_unsigned (request->driver_id + 3, 10, 1, 5, &n, NULL));
  g_assert_cmpuint (strlen (request->driver_id), ==, 7);
  g_assert_cmpint (request->origin, ==, EV_SUPPLY_ORIGIN_DRIVER);

  if (fixture->policy == POLICY_DENY_STOPPED)
    {
      fake_central_deny (central, request, EV_SUPPLY_DENY_REASON_CP_STOPPED);
      return;
    }
  if (fake_central_count_requests (central) == 1)
    {
      fake_central_deny (central, request, EV_SUPPLY_DENY_REASON_CP_BUSY);
      return;
    }

  {
    FleetSupply *supply = g_new0 (FleetSupply, 1);
    g_autofree char *other_request = ev_protocol_new_uuid ();
    g_autoptr(EvSupplyRequest) decoy = ev_supply_request_new (other_request, request->cp_id,
                                                               request->driver_id, EV_SUPPLY_ORIGIN_DRIVER);

    /* An answer to another request of the same driver comes first: it is
     * not this driver's answer. */
    g_free (fake_central_authorize (central, decoy));
    supply->request = ev_supply_request_copy (request);
    supply->supply_id = fake_central_authorize (central, request);
    g_ptr_array_add (fixture->authorized, supply);
  }
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->state_home = ev_test_make_tmpdir ();
  fixture->authorized = g_ptr_array_new_with_free_func (fleet_supply_free);
  if (data == NULL)
    return;
  fixture->broker = peer_broker_start ();
  fixture->central = fake_central_new (peer_broker_get_bootstrap (fixture->broker));
  fake_central_set_policy (fixture->central, policy_cb, fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->central, fake_central_free);
  g_clear_pointer (&fixture->broker, peer_broker_stop);
  g_ptr_array_unref (fixture->authorized);
  ev_test_rm_rf (fixture->state_home);
  g_free (fixture->state_home);
}

static DriverProcess *
fleet_start (Fixture    *fixture,
             const char *rate,
             const char *seconds)
{
  const char *args[] = {
    "fleet", "--count", "5", "--rate", rate, "--kafka", peer_broker_get_bootstrap (fixture->broker),
    "--stats-interval", "100", "--answer-timeout", ANSWER_TIMEOUT, "--seconds", seconds, NULL
  };

  if (seconds == NULL)
    args[11] = NULL;
  return driver_process_spawn (args, fixture->state_home);
}

static gint64
member (JsonObject *object,
        const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", 2);

  if (parts[1] != NULL)
    return member (json_object_get_object_member (object, parts[0]), parts[1]);
  return json_object_get_int_member (object, parts[0]);
}

typedef gboolean (*StatsCondition) (JsonObject *stats);

typedef struct
{
  DriverProcess *process;
  StatsCondition condition;
} StatsWait;

static gboolean
stats_arrived (gpointer user_data)
{
  StatsWait *wait = user_data;
  JsonObject *stats = driver_process_last_event (wait->process, "stats");

  return stats != NULL && wait->condition (stats);
}

/* Waits for a `stats` event (one every 100 ms) that satisfies @condition. */
static JsonObject *
wait_stats (DriverProcess  *process,
            StatsCondition  condition,
            const char     *what)
{
  StatsWait wait = { process, condition };

  ev_test_wait_until (NULL, stats_arrived, &wait, PEER_WAIT_MS, what);
  return driver_process_last_event (process, "stats");
}

static gboolean
cps_read (JsonObject *stats)
{
  return member (stats, "cps_known") == 6 && member (stats, "cps_active") == 3;
}

static gboolean
all_answered (JsonObject *stats)
{
  return member (stats, "requests") == 4 && member (stats, "authorized") == 3 && member (stats, "denied") == 1;
}

static gboolean
paused (JsonObject *stats)
{
  return json_object_get_double_member (stats, "rate") == 0.0;
}

static gboolean
all_concluded (JsonObject *stats)
{
  return member (stats, "tickets") + member (stats, "errors") == 3;
}

static gboolean
all_progress (JsonObject *stats)
{
  return member (stats, "progress") >= 5;
}

static gboolean
reset_done (JsonObject *stats)
{
  return member (stats, "requests") == 0 && member (stats, "tickets") == 0;
}

static gboolean
denied_some (JsonObject *stats)
{
  return member (stats, "denied") >= 5;
}

static void
publish_cp_states (FakeCentral *central)
{
  for (guint i = 0; active_cps[i] != NULL; i++)
    fake_central_cp_state (central, active_cps[i], EV_CP_STATE_ACTIVE);
  fake_central_cp_state (central, "CP-FD", EV_CP_STATE_BROKEN);
  fake_central_cp_state (central, "CP-FE", EV_CP_STATE_STOPPED);
  fake_central_cp_state (central, "CP-FF", EV_CP_STATE_DISCONNECTED);
}

/* Messages the fleet must ignore: about another driver, or about a
 * supply of this driver that is not the one it follows. */
static void
publish_decoys (FakeCentral       *central,
                const FleetSupply *supply)
{
  g_autofree char *other_supply = ev_protocol_new_uuid ();
  g_autoptr(EvSupplyRequest) stranger = ev_supply_request_copy (supply->request);

  g_free (stranger->driver_id);
  stranger->driver_id = g_strdup ("OTHER-1");
  fake_central_data (central, stranger, supply->supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 0.5,
                     EV_TICKET_REASON_NONE);
  fake_central_data (central, supply->request, other_supply, EV_SUPPLY_DATA_PROGRESS, 1, 0.5,
                     EV_TICKET_REASON_NONE);
  fake_central_error (central, supply->request, other_supply, EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED, 0.5);
}

static void
test_fleet (Fixture       *fixture,
            gconstpointer  data)
{
  DriverProcess *process;
  JsonObject *event;
  guint errors_before;

  publish_cp_states (fixture->central);
  process = fleet_start (fixture, "5", NULL);

  event = driver_process_wait_event (process, "ready", NULL, NULL);
  g_assert_cmpint (member (event, "count"), ==, 5);
  g_assert_cmpfloat (json_object_get_double_member (event, "rate"), ==, 5.0);
  g_assert_cmpstr (json_object_get_string_member (event, "prefix"), ==, "FLT");
  g_assert_cmpstr (json_object_get_string_member (event, "bootstrap"), ==,
                   peer_broker_get_bootstrap (fixture->broker));
  wait_stats (process, cps_read, "the fleet to read cp-states");

  /* Three ACTIVE CPs: one denial frees its CP, then three authorised
   * supplies hold all of them, so exactly four requests are made. */
  wait_stats (process, all_answered, "four requests answered");
  driver_process_send (process, "rate 0");
  /* Paused before any CP is free again, so no fifth request. */
  wait_stats (process, paused, "the fleet paused");

  for (guint i = 0; i < fixture->authorized->len; i++)
    {
      FleetSupply *supply = g_ptr_array_index (fixture->authorized, i);

      publish_decoys (fixture->central, supply);
      fake_central_data (fixture->central, supply->request, supply->supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 0.5,
                         EV_TICKET_REASON_NONE);
      if (i == 1)
        continue;
      fake_central_data (fixture->central, supply->request, supply->supply_id, EV_SUPPLY_DATA_PROGRESS, 2, 1.0,
                         EV_TICKET_REASON_NONE);
      fake_central_data (fixture->central, supply->request, supply->supply_id, EV_SUPPLY_DATA_TICKET, 3, 1.5,
                         EV_TICKET_REASON_UNPLUGGED);
    }

  /* supply-error is another topic, read in parallel with supply-data2:
   * sent at once, the error could overtake the progress before it, which
   * then (rightly) no longer counts. So the error goes once every
   * progress was seen. */
  wait_stats (process, all_progress, "every progress message");
  {
    FleetSupply *supply = g_ptr_array_index (fixture->authorized, 1);

    fake_central_error (fixture->central, supply->request, supply->supply_id,
                        EV_SUPPLY_ERROR_REASON_ENGINE_FAULT, 0.5);
  }

  event = wait_stats (process, all_concluded, "every supply concluded");
  g_assert_cmpuint (fake_central_count_requests (fixture->central), ==, 4);
  g_assert_cmpint (member (event, "count"), ==, 5);
  g_assert_cmpint (member (event, "cps_known"), ==, 6);
  g_assert_cmpint (member (event, "cps_active"), ==, 3);
  g_assert_cmpint (member (event, "requests"), ==, 4);
  g_assert_cmpint (member (event, "authorized"), ==, 3);
  g_assert_cmpint (member (event, "denied"), ==, 1);
  g_assert_cmpint (member (event, "denials.cp-busy"), ==, 1);
  g_assert_cmpint (member (event, "denials.cp-stopped"), ==, 0);
  g_assert_cmpint (member (event, "no_answer"), ==, 0);
  g_assert_cmpint (member (event, "in_flight"), ==, 0);
  g_assert_cmpint (member (event, "supplying"), ==, 0);
  g_assert_cmpint (member (event, "progress"), ==, 5);
  g_assert_cmpint (member (event, "tickets"), ==, 2);
  g_assert_cmpint (member (event, "errors"), ==, 1);
  g_assert_cmpint (member (event, "supply_errors.engine-fault"), ==, 1);
  g_assert_cmpint (member (event, "supply_errors.cp-disconnected"), ==, 0);
  g_assert_cmpint (member (event, "response_ms.n"), ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (event, "response_ms"), "p50"),
                     >=, 0.0);
  /* Every progress and ticket carried source_ts: one sample each. */
  g_assert_cmpint (member (event, "progress_ms.n"), ==, 7);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (event, "progress_ms"), "max"),
                     >=, 0.0);

  /* Bad commands: an error event each, and the fleet goes on. */
  errors_before = driver_process_count_events (process, "error");
  driver_process_send (process, "bogus");
  driver_process_send (process, "rate");
  driver_process_send (process, "rate -3");
  driver_process_send (process, "rate fast");
  driver_process_send (process, "stats now");
  driver_process_send (process, "help");
  driver_process_wait_event (process, "help", NULL, NULL);
  g_assert_cmpuint (driver_process_count_events (process, "error"), ==, errors_before + 5);

  /* reset, then a new round at another rate where Central denies all. */
  driver_process_send (process, "reset");
  wait_stats (process, reset_done, "the counters reset");
  fixture->policy = POLICY_DENY_STOPPED;
  driver_process_send (process, "rate 50");
  wait_stats (process, denied_some, "five denials");
  driver_process_send (process, "rate 0");

  driver_process_send (process, "quit");
  g_assert_cmpint (driver_process_wait_exit (process), ==, 0);
  event = driver_process_wait_event (process, "summary", NULL, NULL);
  g_assert_cmpint (member (event, "denied"), ==, member (event, "denials.cp-stopped"));
  g_assert_cmpint (member (event, "denied"), >=, 5);
  g_assert_cmpint (member (event, "authorized"), ==, 0);
  g_assert_cmpint (member (event, "tickets"), ==, 0);
  g_assert_true (json_object_has_member (event, "response_ms"));
  g_assert_true (json_object_get_null_member (json_object_get_object_member (event, "progress_ms"), "p50"));
  driver_process_wait_event (process, "stopped", NULL, NULL);
  driver_process_free (process);
}

/* --seconds runs for that long even with its input closed, then prints
 * the summary and exits 0. */
static void
test_seconds (Fixture       *fixture,
              gconstpointer  data)
{
  DriverProcess *process = fleet_start (fixture, "0", "1");
  JsonObject *event;

  driver_process_wait_event (process, "ready", NULL, NULL);
  driver_process_close_input (process);
  g_assert_cmpint (driver_process_wait_exit (process), ==, 0);
  event = driver_process_wait_event (process, "summary", NULL, NULL);
  g_assert_cmpint (member (event, "requests"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (event, "t"), >=, 1.0);
  driver_process_wait_event (process, "stopped", NULL, NULL);
  driver_process_free (process);
}

/* Bad options: a message on standard error and exit status 2. */
static void
test_bad_options (Fixture       *fixture,
                  gconstpointer  data)
{
  const char * const cases[][6] = {
    { NULL },
    { "--count", "0", NULL },
    { "--count", "5", "--rate", "-1", NULL },
    { "--count", "5", "--prefix", "bad prefix", NULL },
    { "--count", "5", "-X", "nokey", NULL },
    { "--count", "5", "--answer-timeout", "0", NULL },
    { "--count", "5", "extra", NULL },
    { "--count", "many", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = 0;

      g_ptr_array_add (argv, (char *) g_getenv ("EV_DRIVER"));
      g_ptr_array_add (argv, "fleet");
      for (guint j = 0; cases[i][j] != NULL; j++)
        g_ptr_array_add (argv, (char *) cases[i][j]);
      g_ptr_array_add (argv, NULL);

      g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, &err, &status, &error));
      g_assert_no_error (error);
      g_test_message ("case %u: %s", i, err);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 2);
      g_assert_cmpstr (out, ==, "");
      g_assert_nonnull (strstr (err, "ev-driver fleet"));
    }
}

/* The ids: zero-padded to four digits, or as wide as the count. */
static void
test_ids (void)
{
  g_autofree char *small = driver_fleet_make_id ("FLT", 5, 1);
  g_autofree char *wide = driver_fleet_make_id ("D", 12345, 7);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (small, ==, "FLT0001");
  g_assert_cmpstr (wide, ==, "D00007");
  g_assert_true (driver_fleet_check_prefix ("", 10, NULL));
  g_assert_false (driver_fleet_check_prefix ("a:b", 10, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_false (driver_fleet_check_prefix ("ABCDEFGHIJKLMNOPQRSTUVWXYZABCD", 10, NULL));
}

/* A fleet that is never started is a plain object. */
static void
test_new_destroy (void)
{
  DriverFleet *fleet = driver_fleet_new ("127.0.0.1:1", NULL, 3, NULL);
  g_autoptr(JsonObject) stats = NULL;

  g_assert_cmpstr (driver_fleet_get_prefix (fleet), ==, "FLT");
  g_assert_cmpuint (driver_fleet_get_count (fleet), ==, 3);
  driver_fleet_set_rate (fleet, 12.5);
  g_assert_cmpfloat (driver_fleet_get_rate (fleet), ==, 12.5);
  stats = driver_fleet_stats_fields (fleet);
  g_assert_cmpint (json_object_get_int_member (stats, "requests"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (stats, "denials"), "cp-busy"), ==, 0);
  g_assert_finalize_object (fleet);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/driver-fleet/ids", test_ids);
  g_test_add_func ("/driver-fleet/new-destroy", test_new_destroy);
  g_test_add ("/driver-fleet/bad-options", Fixture, NULL, fixture_setup, test_bad_options, fixture_teardown);
  g_test_add ("/driver-fleet/run", Fixture, "broker", fixture_setup, test_fleet, fixture_teardown);
  g_test_add ("/driver-fleet/seconds", Fixture, "broker", fixture_setup, test_seconds, fixture_teardown);
  return g_test_run ();
}

#include "config.h"

#include "driver-peers.h"
#include "test-utils.h"

/* Recovery of the ev-driver program killed (SIGKILL) in the middle of a
 * supply or of a request file, against a private ev-broker and a test
 * Central. */

typedef struct
{
  PeerBroker *broker;
  FakeCentral *central;
  char *state_home;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->broker = peer_broker_start ();
  fixture->central = fake_central_new (peer_broker_get_bootstrap (fixture->broker));
  fixture->state_home = ev_test_make_tmpdir ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  fake_central_free (fixture->central);
  peer_broker_stop (fixture->broker);
  ev_test_rm_rf (fixture->state_home);
  g_free (fixture->state_home);
}

static DriverProcess *
start (Fixture    *fixture,
       const char *file)
{
  DriverProcess *process = driver_process_start (peer_broker_get_bootstrap (fixture->broker), "d1",
                                                 fixture->state_home, file);

  driver_process_wait_event (process, "ready", "driver_id", "d1");
  return process;
}

static const char *
field (JsonObject *fields,
       const char *member)
{
  return json_object_get_string_member_with_default (fields, member, NULL);
}

/* Requests CP1, gets it authorised and supplying; returns the supply id. */
static char *
supply_started (Fixture                 *fixture,
                DriverProcess           *process,
                const EvSupplyRequest  **out_request)
{
  const EvSupplyRequest *request;
  char *supply_id;

  driver_process_send (process, "request CP1");
  request = fake_central_wait_request (fixture->central, 1);
  supply_id = fake_central_authorize (fixture->central, request);
  driver_process_wait_event (process, "authorized", "supply_id", supply_id);
  fake_central_data (fixture->central, request, supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 1.0, 0);
  driver_process_wait_event (process, "progress", "supply_id", supply_id);
  *out_request = request;
  return supply_id;
}

static void
test_killed_during_supply (Fixture       *fixture,
                           gconstpointer  data)
{
  DriverProcess *process = start (fixture, NULL);
  const EvSupplyRequest *request;
  g_autofree char *supply_id = supply_started (fixture, process, &request);
  JsonObject *event;

  driver_process_kill (process);
  driver_process_free (process);
  /* Live data goes on while the driver is down. */
  fake_central_data (fixture->central, request, supply_id, EV_SUPPLY_DATA_PROGRESS, 2, 2.0, 0);

  process = start (fixture, NULL);
  event = driver_process_wait_event (process, "recovered", "supply_id", supply_id);
  g_assert_cmpstr (field (event, "phase"), ==, "supplying");
  g_assert_cmpfloat (json_object_get_double_member (event, "kwh"), ==, 1.0);
  event = driver_process_wait_event (process, "progress", "supply_id", supply_id);
  g_assert_cmpint (json_object_get_int_member (event, "seq"), ==, 2);

  /* Still live after the recovery. */
  fake_central_data (fixture->central, request, supply_id, EV_SUPPLY_DATA_TICKET, 3, 3.0, EV_TICKET_REASON_UNPLUGGED);
  event = driver_process_wait_event (process, "ticket", "supply_id", supply_id);
  g_assert_cmpfloat (json_object_get_double_member (event, "kwh"), ==, 3.0);
  driver_process_send (process, "history");
  event = driver_process_wait_event (process, "history", NULL, NULL);
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, 1);
  g_assert_cmpuint (driver_process_count_events (process, "ticket"), ==, 1);
  driver_process_send (process, "quit");
  g_assert_cmpint (driver_process_wait_exit (process), ==, 0);
  driver_process_free (process);
}

static void
test_ended_meanwhile (Fixture       *fixture,
                      gconstpointer  data)
{
  DriverProcess *process = start (fixture, NULL);
  const EvSupplyRequest *request;
  g_autofree char *supply_id = supply_started (fixture, process, &request);
  g_autofree char *second_supply = NULL;
  const EvSupplyRequest *second;
  JsonObject *event;

  driver_process_kill (process);
  driver_process_free (process);
  fake_central_error (fixture->central, request, supply_id, EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED, 1.5);

  process = start (fixture, NULL);
  driver_process_wait_event (process, "recovered", "supply_id", supply_id);
  event = driver_process_wait_event (process, "supply-error", "supply_id", supply_id);
  g_assert_cmpstr (field (event, "reason"), ==, "cp-disconnected");
  g_assert_cmpfloat (json_object_get_double_member (event, "kwh"), ==, 1.5);

  /* Once concluded, the driver is free again. */
  driver_process_send (process, "request CP2");
  second = fake_central_wait_request (fixture->central, 2);
  g_assert_cmpstr (second->cp_id, ==, "CP2");
  second_supply = fake_central_authorize (fixture->central, second);
  fake_central_data (fixture->central, second, second_supply, EV_SUPPLY_DATA_TICKET, 1, 0.5,
                     EV_TICKET_REASON_UNPLUGGED);
  driver_process_wait_event (process, "ticket", "supply_id", second_supply);

  /* A third start: nothing left to recover, the error is not repeated. */
  driver_process_send (process, "quit");
  driver_process_wait_exit (process);
  driver_process_free (process);
  process = start (fixture, NULL);
  driver_process_send (process, "history");
  event = driver_process_wait_event (process, "history", NULL, NULL);
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, 2);
  g_assert_cmpuint (driver_process_count_events (process, "recovered"), ==, 0);
  driver_process_free (process);
}

static void
file_policy (FakeCentral           *central,
             const EvSupplyRequest *request,
             gpointer               user_data)
{
  g_autofree char *supply_id = NULL;

  if (g_str_equal (request->cp_id, "CP3"))
    {
      fake_central_deny (central, request, EV_SUPPLY_DENY_REASON_CP_STOPPED);
      return;
    }
  supply_id = fake_central_authorize (central, request);
  fake_central_data (central, request, supply_id, EV_SUPPLY_DATA_PROGRESS, 1, 1.0, 0);
  /* CP2's supply is left running: the test ends it. */
  if (g_str_equal (request->cp_id, "CP1"))
    fake_central_data (central, request, supply_id, EV_SUPPLY_DATA_TICKET, 2, 2.0, EV_TICKET_REASON_UNPLUGGED);
  else
    *(char **) user_data = g_strdup (supply_id);
}

static void
test_file_resumed (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->state_home, "trip.txt", NULL);
  g_autofree char *cp2_supply = NULL;
  const EvSupplyRequest *cp2;
  DriverProcess *process;
  JsonObject *event;
  guint cp1_requests = 0;

  g_assert_true (g_file_set_contents (path, "CP1\n# then\nCP2\nCP3\n", -1, NULL));
  fake_central_set_policy (fixture->central, file_policy, &cp2_supply);
  process = start (fixture, path);
  event = driver_process_wait_event (process, "file-start", NULL, NULL);
  g_assert_cmpint (json_object_get_int_member (event, "m"), ==, 3);
  driver_process_wait_event (process, "file-result", "cp_id", "CP1");
  event = driver_process_wait_event (process, "file-request", "cp_id", "CP2");
  g_assert_cmpint (json_object_get_int_member (event, "n"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (event, "line"), ==, 3);
  cp2 = fake_central_wait_request (fixture->central, 2);
  driver_process_wait_event (process, "progress", "cp_id", "CP2");
  g_assert_nonnull (cp2_supply);

  driver_process_kill (process);
  driver_process_free (process);
  fake_central_data (fixture->central, cp2, cp2_supply, EV_SUPPLY_DATA_TICKET, 2, 2.0, EV_TICKET_REASON_UNPLUGGED);

  /* Same file: it resumes at line 3 (CP2's outcome), then CP3. Standard
   * input closes at once: the file still runs to its end. */
  process = start (fixture, path);
  event = driver_process_wait_event (process, "file-start", NULL, NULL);
  g_assert_true (json_object_get_boolean_member (event, "resumed"));
  g_assert_cmpint (json_object_get_int_member (event, "n"), ==, 2);
  driver_process_close_input (process);
  driver_process_wait_event (process, "ticket", "supply_id", cp2_supply);
  event = driver_process_wait_event (process, "file-done", NULL, NULL);
  g_assert_cmpint (json_object_get_int_member (event, "total"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (event, "tickets"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (event, "denied"), ==, 1);

  for (guint i = 1; i <= fake_central_count_requests (fixture->central); i++)
    cp1_requests += g_str_equal (fake_central_wait_request (fixture->central, i)->cp_id, "CP1");
  g_assert_cmpuint (cp1_requests, ==, 1);
  g_assert_cmpuint (fake_central_count_requests (fixture->central), ==, 3);
  driver_process_free (process);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/driver/recovery/killed-during-supply", Fixture, NULL, fixture_setup,
              test_killed_during_supply, fixture_teardown);
  g_test_add ("/driver/recovery/ended-meanwhile", Fixture, NULL, fixture_setup,
              test_ended_meanwhile, fixture_teardown);
  g_test_add ("/driver/recovery/file-resumed", Fixture, NULL, fixture_setup,
              test_file_resumed, fixture_teardown);

  return g_test_run ();
}

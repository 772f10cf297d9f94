/* test-central-ocpp.c: the mapping of Central's OCPP 1.6-J endpoint
 * (docs/ocpp.md) and the transactions it keeps in the store;
 * tests/e2e/e2e-ocpp.py runs the endpoint itself. */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "central-ocpp-security.h"
#include "central-ocpp.h"
#include "ev-store.h"
#include "test-utils.h"

static void
test_status_mapping (void)
{
  static const struct { const char *status; EvCpState state; } cases[] = {
    { "Available", EV_CP_STATE_ACTIVE },
    { "Reserved", EV_CP_STATE_ACTIVE },
    { "Preparing", EV_CP_STATE_WAITING },
    { "Charging", EV_CP_STATE_SUPPLYING },
    { "SuspendedEV", EV_CP_STATE_SUPPLYING },
    { "SuspendedEVSE", EV_CP_STATE_SUPPLYING },
    { "Finishing", EV_CP_STATE_SUPPLYING },
    { "Unavailable", EV_CP_STATE_STOPPED },
    { "Faulted", EV_CP_STATE_BROKEN },
  };
  EvCpState state;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      state = EV_CP_STATE_DISCONNECTED;
      g_assert_true (central_ocpp_status_to_state (cases[i].status, &state));
      g_assert_cmpint (state, ==, cases[i].state);
    }
  /* Not statuses of 1.6 (the validator refuses them before). */
  g_assert_false (central_ocpp_status_to_state ("Occupied", &state));
  g_assert_false (central_ocpp_status_to_state ("available", &state));
  g_assert_false (central_ocpp_status_to_state ("", &state));
  g_assert_false (central_ocpp_status_to_state (NULL, &state));
}

static void
test_heartbeat_interval (void)
{
  /* At least two heartbeats within the silence timeout, at most one a second. */
  g_assert_cmpuint (central_ocpp_heartbeat_interval (3000, 0), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (500, 0), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (0, 0), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (60000, 0), ==, 30);
  /* --ocpp-heartbeat: given as it is, and silence is two of them. */
  g_assert_cmpuint (central_ocpp_heartbeat_interval (3000, 60), ==, 60);
  g_assert_cmpuint (central_ocpp_silence_ms (3000, 0), ==, 3000);
  g_assert_cmpuint (central_ocpp_silence_ms (3000, 60), ==, 120000);
  g_assert_cmpuint (central_ocpp_silence_ms (300000, 60), ==, 300000);
  g_assert_cmpuint (central_ocpp_silence_ms (3000, 86400), ==, 172800000);
}

static void
test_listen_loopback_only (void)
{
  const char *good[] = { "127.0.0.1:9000", "[::1]:9000", "localhost:0", "127.0.0.2:1" };
  const char *bad[] = { "0.0.0.0:9000", "192.168.1.2:9000", "[::]:9000", "example.org:80", "nonsense" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (central_ocpp_check_listen (good[i], FALSE, &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (central_ocpp_check_listen (bad[i], FALSE, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      /* With TLS and the chargers' keys, any address. */
      g_assert_true (central_ocpp_check_listen (bad[i], TRUE, &error) || i == G_N_ELEMENTS (bad) - 1);
    }
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_energy_register (void)
{
  static const struct { const char *payload; gboolean found; double wh; } cases[] = {
    /* No measurand: the energy register, in Wh by default. */
    { "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":\"1500\"}]}]}", TRUE, 1500 },
    { "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":\"12.5\",\"unit\":\"kWh\","
      "\"measurand\":\"Energy.Active.Import.Register\"}]}]}", TRUE, 12500 },
    /* The last reading of the register wins; other measurands, phases and
     * signed data do not count. */
    { "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":\"100\"},"
      "{\"value\":\"7\",\"measurand\":\"Power.Active.Import\",\"unit\":\"W\"}]},"
      "{\"timestamp\":\"u\",\"sampledValue\":[{\"value\":\"200\"},{\"value\":\"90\",\"phase\":\"L1\"},"
      "{\"value\":\"ABCD\",\"format\":\"SignedData\"}]}]}", TRUE, 200 },
    { "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":\"5\","
      "\"measurand\":\"Current.Import\",\"unit\":\"A\"}]}]}", FALSE, 0 },
    { "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"t\",\"sampledValue\":[{\"value\":\"lots\"},"
      "{\"value\":\"-4\"},{\"value\":\"3\",\"unit\":\"varh\"}]}]}", FALSE, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) payload = parse_object (cases[i].payload);
      double wh = -1;

      g_assert_cmpint (central_ocpp_energy_register (payload, &wh), ==, cases[i].found);
      if (cases[i].found)
        g_assert_cmpfloat (wh, ==, cases[i].wh);
    }
}

static void
test_stop_reason (void)
{
  g_assert_cmpint (central_ocpp_stop_reason (NULL), ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpint (central_ocpp_stop_reason ("Local"), ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpint (central_ocpp_stop_reason ("EVDisconnected"), ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpint (central_ocpp_stop_reason ("Other"), ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpint (central_ocpp_stop_reason ("Remote"), ==, EV_TICKET_REASON_STOPPED_BY_CENTRAL);
  g_assert_cmpint (central_ocpp_stop_reason ("DeAuthorized"), ==, EV_TICKET_REASON_STOPPED_BY_CENTRAL);
  g_assert_cmpint (central_ocpp_stop_reason ("PowerLoss"), ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpint (central_ocpp_stop_reason ("EmergencyStop"), ==, EV_TICKET_REASON_ENGINE_FAULT);
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* A database of schema 9 (before transactions) with a supply under way
 * is upgraded; transactionIds are given once per supply and found again,
 * after the supply ended too. */
static void
test_store_transactions (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "central.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupply) outcome = NULL;
  g_autofree char *token = NULL;
  g_autofree char *found = NULL;
  gint64 id = 0, again = 0, meter = 0;
  gboolean recorded = FALSE;
  EvStore *store;

  store = ev_store_open (path, &error);
  g_assert_no_error (error);
  token = ev_store_register_cp (store, "OC1", "Street 1", 0.5, &error);
  g_assert_no_error (error);
  g_clear_pointer (&token, g_free);
  token = ev_store_register_cp (store, "OC2", "Street 2", 0.5, &error);
  g_assert_no_error (error);
  g_assert_true (ev_store_create_session (store, "00000000-0000-5000-8000-000000000001", "OC1", "d1", 0.5, &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_finalize_object (store);
  raw_exec (path, "DROP INDEX sessions_by_ocpp_transaction;"
                  "ALTER TABLE sessions DROP COLUMN ocpp_transaction_id;"
                  "ALTER TABLE sessions DROP COLUMN ocpp_meter_start;"
                  "PRAGMA user_version = 9;");

  store = ev_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_false (ev_store_get_ocpp_transaction (store, "00000000-0000-5000-8000-000000000001", &id, &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_start_ocpp_transaction (store, "00000000-0000-5000-8000-000000000001", 1200,
                                                  &id, &meter, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 1);
  g_assert_cmpint (meter, ==, 1200);
  /* A StartTransaction again: the same transaction, its first meter. */
  g_assert_true (ev_store_start_ocpp_transaction (store, "00000000-0000-5000-8000-000000000001", 9999,
                                                  &again, &meter, &error));
  g_assert_cmpint (again, ==, 1);
  g_assert_cmpint (meter, ==, 1200);
  g_assert_true (ev_store_create_session (store, "00000000-0000-5000-8000-000000000002", "OC2", "d2", 0.5, &error));
  g_assert_true (ev_store_start_ocpp_transaction (store, "00000000-0000-5000-8000-000000000002", 0,
                                                  &again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again, ==, 2);
  /* No supply under way: none. */
  g_assert_false (ev_store_start_ocpp_transaction (store, "00000000-0000-5000-8000-000000000003", 0,
                                                   &again, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Ended, its transaction still names it: a StopTransaction repeated
   * finds a supply that is billed already. */
  outcome = ev_store_lookup_session (store, "00000000-0000-5000-8000-000000000001", &error);
  ev_supply_set_phase (outcome, EV_SUPPLY_PHASE_FINISHED);
  ev_supply_set_kwh (outcome, 2.0);
  ev_supply_set_amount (outcome, 1.0);
  ev_supply_set_seq (outcome, 2);
  ev_supply_set_started_at (outcome, 1000);
  ev_supply_set_ended_at (outcome, 2000);
  ev_supply_set_reason (outcome, "unplugged");
  g_assert_true (ev_store_finish_session (store, outcome, &recorded, &error));
  g_assert_true (recorded);
  g_assert_true (ev_store_flush (store, &error));
  meter = 0;
  found = ev_store_lookup_ocpp_transaction (store, 1, &meter, &error);
  g_assert_cmpstr (found, ==, "00000000-0000-5000-8000-000000000001");
  g_assert_cmpint (meter, ==, 1200);
  g_assert_true (ev_store_get_ocpp_transaction (store, "00000000-0000-5000-8000-000000000002", &id, &error));
  g_assert_cmpint (id, ==, 2);
  g_assert_null (ev_store_lookup_ocpp_transaction (store, 3, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (ev_store_driver_is_known (store, "d1", &error));
  g_assert_false (ev_store_driver_is_known (store, "d9", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (store);
}

/* Chargers connect by the thousand: the endpoint's accept queue must
 * hold more than GLib's default backlog of 10 while the loop is busy
 * (here, not running at all). A SYN beyond the queue is dropped, so its
 * connect stays pending, and is retried only after 1 s and 3 s. */
static void
test_listen_backlog (void)
{
  enum { N = 200 };
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  g_autoptr(CentralCore) core = central_core_new ("127.0.0.1:0", "127.0.0.1:9", NULL, db);
  g_autoptr(GError) error = NULL;
  CentralOcpp *ocpp = central_ocpp_new (core, "127.0.0.1:0", &error);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct pollfd fds[N];
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint connected = 0;

  g_assert_no_error (error);
  g_assert_nonnull (ocpp);
  address.sin_port = htons (central_ocpp_get_port (ocpp));
  for (guint i = 0; i < N; i++)
    {
      fds[i].fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      fds[i].events = POLLOUT;
      g_assert_cmpint (fds[i].fd, >=, 0);
      if (connect (fds[i].fd, (struct sockaddr *) &address, sizeof address) != 0)
        g_assert_cmpint (errno, ==, EINPROGRESS);
    }

  /* Nobody accepts: only the kernel's queue answers the handshakes. */
  while (connected < N && g_get_monotonic_time () < deadline)
    {
      connected = 0;
      g_assert_cmpint (poll (fds, N, 100), >=, 0);
      for (guint i = 0; i < N; i++)
        {
          int failure = 0;
          socklen_t len = sizeof failure;

          if (!(fds[i].revents & POLLOUT))
            continue;
          g_assert_cmpint (getsockopt (fds[i].fd, SOL_SOCKET, SO_ERROR, &failure, &len), ==, 0);
          g_assert_cmpint (failure, ==, 0);
          connected++;
        }
    }
  g_assert_cmpuint (connected, ==, N);

  for (guint i = 0; i < N; i++)
    close (fds[i].fd);
  central_ocpp_free (ocpp);
  ev_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/central-ocpp/status-mapping", test_status_mapping);
  g_test_add_func ("/central-ocpp/heartbeat-interval", test_heartbeat_interval);
  g_test_add_func ("/central-ocpp/listen-loopback-only", test_listen_loopback_only);
  g_test_add_func ("/central-ocpp/energy-register", test_energy_register);
  g_test_add_func ("/central-ocpp/stop-reason", test_stop_reason);
  g_test_add_func ("/central-ocpp/store-transactions", test_store_transactions);
  g_test_add_func ("/central-ocpp/listen-backlog", test_listen_backlog);
  return g_test_run ();
}

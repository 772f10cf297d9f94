#include "config.h"

#include "station-monitor-machine.h"

/* The monitor's conversation with Central as a pure machine, driven by
 * fake time: what `ev-station monitor` and every CP of the fleet do. */

static StationMonitorMachineConfig monitor_config = {
  .reconnect_min_ms = 500,
  .reconnect_max_ms = 5000,
  .status_interval_ms = 1000,
};

static EvLinkResponse *
answer (EvLinkStatus status,
        EvLinkReason reason)
{
  EvLinkResponse *response = g_new0 (EvLinkResponse, 1);

  response->status = status;
  response->reason = reason;
  return response;
}

/* Up to the first request: connecting, then the link is open. */
static void
open_link (StationMonitorMachine *machine,
           gint64                 now)
{
  StationMonitorActions actions = station_monitor_machine_connecting (machine);

  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  actions = station_monitor_machine_established (machine, now);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_AUTH);
  g_assert_false (actions.close);
  g_assert_cmpint (machine->request, ==, STATION_MONITOR_REQUEST_AUTH);
}

static void
authorise (StationMonitorMachine       *machine,
           StationMonitorMachineConfig *config,
           gint64                       now)
{
  g_autoptr(EvLinkResponse) ok = answer (EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);
  StationMonitorActions actions;

  open_link (machine, now);
  actions = station_monitor_machine_response (machine, config, ok, now);
  g_assert_true (actions.accepted);
  g_assert_true (actions.take_key);
  g_assert_true (actions.link_changed);
  g_assert_false (actions.keep_token);
  g_assert_cmpint (machine->link, ==, STATION_CENTRAL_LINK_AUTHENTICATED);
}

/* A CP without a token registers, keeps its token, then reports its
 * status every period; statuses wait for each other's answers. */
static void
test_conversation (void)
{
  g_autoptr(EvLinkResponse) registered = answer (EV_LINK_STATUS_REGISTERED, EV_LINK_REASON_NONE);
  g_autoptr(EvLinkResponse) ok = answer (EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  StationMonitorMachine machine;
  StationMonitorActions actions;

  station_monitor_machine_reset (&machine, &monitor_config);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DOWN);
  actions = station_monitor_machine_connecting (&machine);
  g_assert_true (actions.link_changed);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_CONNECTING);
  actions = station_monitor_machine_connecting (&machine);
  g_assert_false (actions.link_changed);

  actions = station_monitor_machine_established (&machine, 1000);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_AUTH);
  /* No token stored: the caller registers instead. */
  station_monitor_machine_sending (&machine, STATION_MONITOR_REQUEST_REGISTER);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, -1);
  g_assert_false (station_monitor_machine_tick (&machine, &monitor_config, 5000).send);

  registered->token = g_strdup ("token");
  actions = station_monitor_machine_response (&machine, &monitor_config, registered, 1010);
  g_assert_true (actions.keep_token);
  g_assert_true (actions.take_key);
  g_assert_true (actions.accepted);
  g_assert_true (actions.link_changed);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_REGISTERED);
  g_assert_true (station_monitor_machine_is_up (&machine));

  /* The first status is due at once, then one every period. */
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, 1010);
  actions = station_monitor_machine_tick (&machine, &monitor_config, 1012);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (actions.status_due, ==, 1010);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, 2010);
  g_assert_cmpint (station_monitor_machine_tick (&machine, &monitor_config, 2009).send, ==, STATION_MONITOR_REQUEST_NONE);

  actions = station_monitor_machine_response (&machine, &monitor_config, ok, 1020);
  g_assert_true (actions.accepted);
  g_assert_false (actions.link_changed);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);

  actions = station_monitor_machine_tick (&machine, &monitor_config, 2010);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  /* Unanswered at the next period: that status is skipped. */
  actions = station_monitor_machine_tick (&machine, &monitor_config, 3010);
  g_assert_true (actions.skipped);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  actions = station_monitor_machine_response (&machine, &monitor_config, ok, 3020);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, 4010);

  /* A change goes at once when nothing is outstanding, else with the
   * answer. */
  actions = station_monitor_machine_changed (&machine, 3100);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (actions.status_due, ==, 3100);
  actions = station_monitor_machine_changed (&machine, 3150);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  actions = station_monitor_machine_response (&machine, &monitor_config, ok, 3160);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (actions.status_due, ==, 3150);
}

/* Reconnection delays double from the shortest to the longest; a
 * refusal waits the longest and keeps the link `denied` until Central
 * takes the CP; the link up again starts from the shortest. */
static void
test_backoff (void)
{
  g_autoptr(EvLinkResponse) bad_token = answer (EV_LINK_STATUS_DENIED, EV_LINK_REASON_BAD_TOKEN);
  const guint expected[] = { 500, 1000, 2000, 4000, 5000, 5000 };
  StationMonitorMachine machine;
  StationMonitorActions actions;

  station_monitor_machine_reset (&machine, &monitor_config);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      station_monitor_machine_connecting (&machine);
      g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, expected[i]);
      g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DOWN);
    }

  authorise (&machine, &monitor_config, 100);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 1000);

  open_link (&machine, 200);
  actions = station_monitor_machine_response (&machine, &monitor_config, bad_token, 210);
  g_assert_true (actions.refused);
  g_assert_true (actions.failed);
  g_assert_true (actions.close);
  g_assert_true (actions.link_changed);
  g_assert_cmpstr (actions.reason, ==, "bad-token");
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DENIED);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 5000);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DENIED);
  g_assert_false (station_monitor_machine_connecting (&machine).link_changed);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DENIED);

  authorise (&machine, &monitor_config, 300);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);

  /* A monitor revived by hand starts afresh. */
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 1000);
  station_monitor_machine_reset (&machine, &monitor_config);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);
}

/* With jitter, a delay stays within its bounds, and CPs sharing one
 * configuration (the fleet's) do not all pick the same one. */
static void
test_jitter (void)
{
  StationMonitorMachineConfig config = monitor_config;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  config.jitter = 0.1;
  for (guint cp = 0; cp < 50; cp++)
    {
      StationMonitorMachine machine;
      guint delay;

      station_monitor_machine_reset (&machine, &config);
      delay = station_monitor_machine_lost (&machine, &config);
      g_assert_cmpuint (delay, >=, 450);
      g_assert_cmpuint (delay, <=, 550);
      g_hash_table_add (seen, GUINT_TO_POINTER (delay));
      for (guint i = 0; i < 5; i++)
        delay = station_monitor_machine_lost (&machine, &config);
      g_assert_cmpuint (delay, >=, 4500);
      g_assert_cmpuint (delay, <=, 5500);
    }
  g_assert_cmpuint (g_hash_table_size (seen), >, 10);
}

/* A fresh Central database: `auth` says unknown-cp, and the CP registers
 * again on the same link. */
static void
test_unknown_cp (void)
{
  g_autoptr(EvLinkResponse) unknown = answer (EV_LINK_STATUS_DENIED, EV_LINK_REASON_UNKNOWN_CP);
  g_autoptr(EvLinkResponse) registered = answer (EV_LINK_STATUS_REGISTERED, EV_LINK_REASON_NONE);
  StationMonitorMachine machine;
  StationMonitorActions actions;

  station_monitor_machine_reset (&machine, &monitor_config);
  open_link (&machine, 100);
  actions = station_monitor_machine_response (&machine, &monitor_config, unknown, 110);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_REGISTER);
  g_assert_false (actions.close);
  g_assert_false (actions.refused);
  g_assert_true (actions.link_changed);
  g_assert_cmpstr (actions.reason, ==, "unknown-cp");
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_CONNECTING);
  g_assert_cmpint (machine.request, ==, STATION_MONITOR_REQUEST_REGISTER);

  /* A `registered` without a token is a refusal. */
  actions = station_monitor_machine_response (&machine, &monitor_config, registered, 120);
  g_assert_true (actions.refused);
  g_assert_true (actions.close);

  station_monitor_machine_lost (&machine, &monitor_config);
  open_link (&machine, 200);
  station_monitor_machine_sending (&machine, STATION_MONITOR_REQUEST_REGISTER);
  registered->token = g_strdup ("token");
  actions = station_monitor_machine_response (&machine, &monitor_config, registered, 210);
  g_assert_true (actions.keep_token);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_REGISTERED);
}

/* The fleet's cadence: the first status within one period, a status
 * falling due while one is out held back and sent with the answer, from
 * when it was due; Central asking to authenticate again stops statuses. */
static void
test_status_cadence (void)
{
  g_autoptr(EvLinkResponse) ok = answer (EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  g_autoptr(EvLinkResponse) again = answer (EV_LINK_STATUS_DENIED, EV_LINK_REASON_NOT_AUTHENTICATED);
  StationMonitorMachineConfig config = monitor_config;
  StationMonitorMachine machine;
  StationMonitorActions actions;
  gint64 due;

  config.spread_first = TRUE;
  config.hold_skipped = TRUE;
  station_monitor_machine_reset (&machine, &config);
  authorise (&machine, &config, 10000);
  due = station_monitor_machine_get_deadline (&machine);
  g_assert_cmpint (due, >, 10000);
  g_assert_cmpint (due, <=, 11000);

  g_assert_cmpint (station_monitor_machine_tick (&machine, &config, due - 1).send, ==, STATION_MONITOR_REQUEST_NONE);
  actions = station_monitor_machine_tick (&machine, &config, due);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (actions.status_due, ==, due);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, due + 1000);

  /* Two periods go by unanswered: both skipped, the first held back. */
  actions = station_monitor_machine_tick (&machine, &config, due + 1000);
  g_assert_true (actions.skipped);
  actions = station_monitor_machine_tick (&machine, &config, due + 2000);
  g_assert_true (actions.skipped);
  actions = station_monitor_machine_response (&machine, &config, ok, due + 2500);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (actions.status_due, ==, due + 1000);

  /* A machine far behind (a stalled process) does not send a burst. */
  actions = station_monitor_machine_response (&machine, &config, ok, due + 2600);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_NONE);
  actions = station_monitor_machine_tick (&machine, &config, due + 60000);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_STATUS);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, due + 61000);

  actions = station_monitor_machine_response (&machine, &config, again, due + 60010);
  g_assert_cmpint (actions.send, ==, STATION_MONITOR_REQUEST_AUTH);
  g_assert_cmpstr (actions.reason, ==, "not-authenticated");
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_CONNECTING);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, -1);
  g_assert_cmpint (station_monitor_machine_changed (&machine, due + 60020).send, ==,
                   STATION_MONITOR_REQUEST_NONE);
}

/* The link lost while `auth` is out: nothing outstanding, an answer
 * arriving late does nothing, and the next link authenticates again. */
static void
test_lost_mid_auth (void)
{
  g_autoptr(EvLinkResponse) ok = answer (EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);
  StationMonitorMachine machine;
  StationMonitorActions actions;

  station_monitor_machine_reset (&machine, &monitor_config);
  open_link (&machine, 100);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DOWN);
  g_assert_cmpint (machine.request, ==, STATION_MONITOR_REQUEST_NONE);

  actions = station_monitor_machine_response (&machine, &monitor_config, ok, 120);
  g_assert_false (actions.accepted);
  g_assert_false (actions.link_changed);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_DOWN);

  open_link (&machine, 700);
  actions = station_monitor_machine_response (&machine, &monitor_config, ok, 710);
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_AUTHENTICATED);
  /* Lost while up: down, no status due any more. */
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);
  g_assert_cmpint (station_monitor_machine_get_deadline (&machine), ==, -1);
  g_assert_false (station_monitor_machine_is_up (&machine));
}

/* Another link holds the CP: retry at the usual pace, not as a refusal.
 * An unreadable answer closes the link, except to a status. */
static void
test_other_link_and_bad_answers (void)
{
  g_autoptr(EvLinkResponse) taken = answer (EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_CONNECTED);
  StationMonitorMachine machine;
  StationMonitorActions actions;

  station_monitor_machine_reset (&machine, &monitor_config);
  open_link (&machine, 100);
  actions = station_monitor_machine_response (&machine, &monitor_config, taken, 110);
  g_assert_true (actions.other_link);
  g_assert_true (actions.close);
  g_assert_false (actions.refused);
  g_assert_false (actions.failed);
  g_assert_cmpstr (actions.reason, ==, "already-connected");
  g_assert_cmpint (machine.link, ==, STATION_CENTRAL_LINK_CONNECTING);
  g_assert_cmpuint (station_monitor_machine_lost (&machine, &monitor_config), ==, 500);

  open_link (&machine, 700);
  actions = station_monitor_machine_response (&machine, &monitor_config, NULL, 710);
  g_assert_true (actions.failed);
  g_assert_true (actions.close);

  station_monitor_machine_lost (&machine, &monitor_config);
  authorise (&machine, &monitor_config, 3000);
  g_assert_cmpint (station_monitor_machine_tick (&machine, &monitor_config, 3000).send, ==, STATION_MONITOR_REQUEST_STATUS);
  actions = station_monitor_machine_response (&machine, &monitor_config, NULL, 3010);
  g_assert_true (actions.failed);
  g_assert_false (actions.close);
  g_assert_true (station_monitor_machine_is_up (&machine));
}

static void
test_state_to_report (void)
{
  g_assert_cmpint (station_monitor_state_to_report (EV_ENGINE_HEALTH_OK, EV_CP_STATE_SUPPLYING), ==,
                   EV_CP_STATE_SUPPLYING);
  g_assert_cmpint (station_monitor_state_to_report (EV_ENGINE_HEALTH_KO, EV_CP_STATE_BROKEN), ==,
                   EV_CP_STATE_BROKEN);
  g_assert_cmpint (station_monitor_state_to_report (EV_ENGINE_HEALTH_UNREACHABLE, EV_CP_STATE_ACTIVE), ==,
                   EV_CP_STATE_BROKEN);
  g_assert_cmpint (station_monitor_state_to_report (EV_ENGINE_HEALTH_OK, EV_CP_STATE_DISCONNECTED), ==,
                   EV_CP_STATE_BROKEN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/station-monitor-machine/conversation", test_conversation);
  g_test_add_func ("/station-monitor-machine/backoff", test_backoff);
  g_test_add_func ("/station-monitor-machine/jitter", test_jitter);
  g_test_add_func ("/station-monitor-machine/unknown-cp", test_unknown_cp);
  g_test_add_func ("/station-monitor-machine/status-cadence", test_status_cadence);
  g_test_add_func ("/station-monitor-machine/lost-mid-auth", test_lost_mid_auth);
  g_test_add_func ("/station-monitor-machine/other-link-and-bad-answers", test_other_link_and_bad_answers);
  g_test_add_func ("/station-monitor-machine/state-to-report", test_state_to_report);

  return g_test_run ();
}

#include "config.h"

#include <math.h>
#include <string.h>

#include "ev-mock-cluster.h"
#include "station-engine.h"
#include "station-journal.h"
#include "station-machine.h"
#include "station-peers.h"
#include "station-util.h"
#include "test-utils.h"

/* The pure machine, fed with a fake clock ----------------------------------- */

#define T0 G_GINT64_CONSTANT (1700000000000)
#define KWH_PER_MS (22.0 / 3600000.0)

static StationMachine *
machine_new (gint64 auto_plug,
             gint64 auto_unplug,
             double auto_kwh)
{
  StationMachineConfig config;
  StationMachine *machine;

  station_machine_config_init (&config);
  config.auto_plug_ms = auto_plug;
  config.auto_unplug_ms = auto_unplug;
  config.auto_unplug_kwh = auto_kwh;
  machine = station_machine_new (&config);
  station_machine_set_cp_id (machine, "CP1");
  return machine;
}

static void
start_supply (StationMachine *machine,
              gint64          now)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (station_machine_start (machine, "s-1", "d1", 0.5, now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_WAITING);
}

static EvSupplyData *
take_one (StationMachine *machine)
{
  g_autoptr(GPtrArray) output = station_machine_take_output (machine);

  g_assert_cmpuint (output->len, ==, 1);
  return g_ptr_array_steal_index (output, 0);
}

static void
assert_ticket (EvSupplyData   *ticket,
               EvTicketReason  reason,
               double          kwh,
               gint64          started_at,
               gint64          ended_at)
{
  g_assert_cmpint (ticket->kind, ==, EV_SUPPLY_DATA_TICKET);
  g_assert_cmpint (ticket->reason, ==, reason);
  g_assert_cmpfloat_with_epsilon (ticket->kwh, kwh, 1e-9);
  g_assert_cmpfloat_with_epsilon (ticket->amount, kwh * 0.5, 1e-9);
  g_assert_cmpint (ticket->started_at, ==, started_at);
  g_assert_cmpint (ticket->ended_at, ==, ended_at);
  g_assert_cmpstr (ticket->cp_id, ==, "CP1");
  g_assert_cmpstr (ticket->driver_id, ==, "d1");
  ev_supply_data_free (ticket);
}

static void
test_machine_supply (void)
{
  g_autoptr(StationMachine) machine = machine_new (-1, -1, 0);
  g_autoptr(GError) error = NULL;
  EvSupplyData *data;

  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, -1);
  g_assert_false (station_machine_plug (machine, T0, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_NOT_WAITING);
  g_clear_error (&error);

  start_supply (machine, T0);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 60000);
  g_assert_false (station_machine_start (machine, "s-2", "d2", 0.5, T0, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_BUSY);
  g_clear_error (&error);

  g_assert_true (station_machine_plug (machine, T0 + 5000, NULL));
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 6000);

  /* Progress every second, measured from the plug. */
  for (guint seq = 1; seq <= 3; seq++)
    {
      gint64 now = T0 + 5000 + seq * 1000;

      station_machine_tick (machine, now - 1);
      g_assert_cmpuint (station_machine_take_output (machine)->len, ==, 0);
      station_machine_tick (machine, now);
      data = take_one (machine);
      g_assert_cmpint (data->kind, ==, EV_SUPPLY_DATA_PROGRESS);
      g_assert_cmpuint (data->seq, ==, seq);
      g_assert_cmpfloat_with_epsilon (data->kwh, seq * 1000 * KWH_PER_MS, 1e-9);
      g_assert_cmpfloat_with_epsilon (data->amount, data->kwh * 0.5, 1e-9);
      g_assert_cmpint (data->started_at, ==, T0 + 5000);
      ev_supply_data_free (data);
    }

  /* A late tick gives one message and returns to the cadence. */
  station_machine_tick (machine, T0 + 11500);
  data = take_one (machine);
  g_assert_cmpuint (data->seq, ==, 4);
  ev_supply_data_free (data);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 12000);

  g_assert_true (station_machine_unplug (machine, T0 + 15000, NULL));
  data = take_one (machine);
  g_assert_cmpuint (data->seq, ==, 5);
  assert_ticket (data, EV_TICKET_REASON_UNPLUGGED, 10000 * KWH_PER_MS, T0 + 5000, T0 + 15000);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);
  g_assert_null (station_machine_get_supply_id (machine));
  g_assert_false (station_machine_unplug (machine, T0 + 16000, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_NOT_SUPPLYING);
}

static void
test_machine_not_plugged (void)
{
  g_autoptr(StationMachine) machine = machine_new (-1, -1, 0);

  start_supply (machine, T0);
  station_machine_tick (machine, T0 + 59999);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_WAITING);
  station_machine_tick (machine, T0 + 60000);
  assert_ticket (take_one (machine), EV_TICKET_REASON_NOT_PLUGGED, 0.0, T0, T0 + 60000);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);

  /* A cancel withdraws an authorisation without a ticket. */
  start_supply (machine, T0);
  g_assert_false (station_machine_cancel (machine, "other"));
  g_assert_true (station_machine_cancel (machine, "s-1"));
  g_assert_cmpuint (station_machine_take_output (machine)->len, ==, 0);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);
}

static void
test_machine_stop_resume (void)
{
  g_autoptr(StationMachine) machine = machine_new (-1, -1, 0);
  g_autoptr(GError) error = NULL;

  start_supply (machine, T0);
  station_machine_plug (machine, T0, NULL);
  station_machine_stop (machine, T0 + 2000);
  assert_ticket (take_one (machine), EV_TICKET_REASON_STOPPED_BY_CENTRAL, 2000 * KWH_PER_MS, T0, T0 + 2000);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_STOPPED);
  g_assert_false (station_machine_start (machine, "s-2", "d1", 0.5, T0, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_STOPPED);

  /* Stopping again changes nothing and issues no ticket. */
  station_machine_stop (machine, T0 + 3000);
  g_assert_cmpuint (station_machine_take_output (machine)->len, ==, 0);
  station_machine_resume (machine);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);
}

static void
test_machine_ko (void)
{
  g_autoptr(StationMachine) machine = machine_new (-1, -1, 0);
  g_autoptr(GError) error = NULL;

  start_supply (machine, T0);
  station_machine_plug (machine, T0 + 1000, NULL);
  station_machine_set_ko (machine, TRUE, T0 + 4000);
  assert_ticket (take_one (machine), EV_TICKET_REASON_ENGINE_FAULT, 3000 * KWH_PER_MS, T0 + 1000, T0 + 4000);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_BROKEN);
  g_assert_true (station_machine_get_ko (machine));
  g_assert_false (station_machine_start (machine, "s-2", "d1", 0.5, T0, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_BROKEN);

  station_machine_set_ko (machine, FALSE, T0 + 5000);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (station_machine_take_output (machine)->len, ==, 0);
}

static void
test_machine_monitor_lost (void)
{
  g_autoptr(StationMachine) machine = machine_new (-1, -1, 0);
  g_autoptr(GPtrArray) output = NULL;
  EvSupplyData *ticket;

  /* Gone for less than the grace (5 s): the supply goes on. */
  start_supply (machine, T0);
  station_machine_plug (machine, T0, NULL);
  for (gint64 now = T0 + 500; now <= T0 + 9000; now += 500)
    {
      if (now == T0 + 2000)
        station_machine_set_monitor (machine, FALSE, now);
      if (now == T0 + 6500)
        station_machine_set_monitor (machine, TRUE, now);
      station_machine_tick (machine, now);
    }
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_SUPPLYING);
  output = station_machine_take_output (machine);
  g_assert_cmpuint (output->len, ==, 9);

  /* Gone for good: the ticket comes at the grace, with every kWh so far.
   * Being told again that it is gone does not restart the count. */
  station_machine_set_monitor (machine, FALSE, T0 + 9500);
  station_machine_set_monitor (machine, FALSE, T0 + 12000);
  station_machine_tick (machine, T0 + 14000);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 14500);
  g_clear_pointer (&output, g_ptr_array_unref);
  output = station_machine_take_output (machine);
  g_assert_cmpuint (output->len, ==, 1);
  station_machine_tick (machine, T0 + 14500);
  assert_ticket (take_one (machine), EV_TICKET_REASON_MONITOR_LOST, 14500 * KWH_PER_MS, T0, T0 + 14500);
  g_assert_cmpint (station_machine_get_state (machine), ==, EV_CP_STATE_ACTIVE);

  /* Authorised, not plugged in: it ends the same way, with 0 kWh. */
  station_machine_set_monitor (machine, TRUE, T0 + 20000);
  start_supply (machine, T0 + 20000);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 80000);
  station_machine_set_monitor (machine, FALSE, T0 + 21000);
  g_assert_cmpint (station_machine_get_deadline (machine), ==, T0 + 26000);
  station_machine_tick (machine, T0 + 26000);
  ticket = take_one (machine);
  assert_ticket (ticket, EV_TICKET_REASON_MONITOR_LOST, 0.0, T0 + 20000, T0 + 26000);
}

static void
test_machine_simulation (void)
{
  g_autoptr(StationMachine) timed = machine_new (3000, 10000, 0);
  g_autoptr(StationMachine) metered = machine_new (0, -1, 0.11);
  g_autoptr(GPtrArray) output = NULL;
  EvSupplyData *ticket;

  /* Plugged 3 s after authorisation, unplugged 10 s later. */
  start_supply (timed, T0);
  g_assert_cmpint (station_machine_get_deadline (timed), ==, T0 + 3000);
  station_machine_tick (timed, T0 + 3000);
  g_assert_cmpint (station_machine_get_state (timed), ==, EV_CP_STATE_SUPPLYING);
  for (gint64 now = T0 + 4000; now <= T0 + 13000; now += 1000)
    station_machine_tick (timed, now);
  output = station_machine_take_output (timed);
  g_assert_cmpuint (output->len, ==, 10);
  ticket = g_ptr_array_steal_index (output, 9);
  assert_ticket (ticket, EV_TICKET_REASON_UNPLUGGED, 10000 * KWH_PER_MS, T0 + 3000, T0 + 13000);

  /* Unplugged once 0.11 kWh are in: 18 s at 22 kW. */
  start_supply (metered, T0);
  station_machine_tick (metered, T0);
  g_assert_cmpint (station_machine_get_state (metered), ==, EV_CP_STATE_SUPPLYING);
  while (station_machine_get_state (metered) == EV_CP_STATE_SUPPLYING)
    station_machine_tick (metered, station_machine_get_deadline (metered));
  g_clear_pointer (&output, g_ptr_array_unref);
  output = station_machine_take_output (metered);
  ticket = g_ptr_array_steal_index (output, output->len - 1);
  g_assert_cmpuint (output->len, ==, 17);
  assert_ticket (ticket, EV_TICKET_REASON_UNPLUGGED, 0.11, T0, T0 + 18000);
}

/* The engine over sockets and Kafka ------------------------------------------- */

typedef struct
{
  EvMockCluster *cluster;
  StationEngine *engine;
  PeerKafka *kafka;
  EvLink *monitor;           /* the test monitor */
  GPtrArray *events;         /* "name" strings, in order */
  char *ticket_message;      /* the last ticket event's message */
  char *error_message;       /* the last error event's message */
  char *state_dir;           /* the engine's journal, private to the test */
  gint64 grace;
  EvSigningKey *central_key; /* when set: Central's key, which the engine trusts */
} Fixture;

static void
event_cb (StationEngine *engine,
          StationEvent  *event,
          gpointer       user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->events, g_strdup (ev_event_get_name (EV_EVENT (event))));
  if (station_event_get_kind (event) == STATION_EVENT_TICKET)
    {
      g_free (fixture->ticket_message);
      fixture->ticket_message = g_strdup (ev_event_get_message (EV_EVENT (event)));
    }
  if (station_event_get_kind (event) == STATION_EVENT_ERROR)
    {
      g_free (fixture->error_message);
      fixture->error_message = g_strdup (ev_event_get_message (EV_EVENT (event)));
    }
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EvLink **link = user_data;
  g_autoptr(GError) error = NULL;

  *link = ev_link_connect_finish (result, &error);
  g_assert_no_error (error);
}

static gboolean
monitor_linked (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->monitor != NULL && station_engine_get_monitor_connected (fixture->engine);
}

static gboolean
link_open (gpointer user_data)
{
  return *(EvLink **) user_data != NULL;
}

/* A new link to the engine, its handshake done. */
static EvLink *
open_link (Fixture *fixture)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", station_engine_get_port (fixture->engine));
  EvLink *link = NULL;

  ev_link_connect_to_host_async (address, 0, 0, NULL, connected_cb, &link);
  ev_test_wait_until (NULL, link_open, &link, PEER_WAIT_MS, "a link to the engine");
  return link;
}

static EvLinkResponse *ask_on (EvLink        *link,
                               EvLinkRequest *request);

/* The engine's pairing secret: where it keeps it by default. */
static char *
pairing_secret (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->state_dir, "pairing.secret", NULL);
  g_autoptr(GError) error = NULL;
  char *secret = station_pairing_secret_ensure (path, &error);

  g_assert_no_error (error);
  return secret;
}

/* A `hello` as @cp_id on @link proving @secret, as a paired monitor
 * does: a bare one for the challenge, then the proof. */
static EvLinkResponse *
paired_hello (EvLink     *link,
              const char *cp_id,
              const char *secret)
{
  g_autoptr(EvLinkResponse) challenge = ask_on (link, ev_link_request_new_hello (cp_id));

  g_assert_cmpint (challenge->status, ==, EV_LINK_STATUS_DENIED);
  g_assert_cmpint (challenge->reason, ==, EV_LINK_REASON_NOT_PAIRED);
  g_assert_nonnull (challenge->challenge);
  return ask_on (link, ev_link_request_new_hello_paired (cp_id, challenge->challenge, secret));
}

/* Links the test monitor to the engine; the engine counts it as its
 * monitor from its hello on (hello()). */
static void
link_monitor (Fixture *fixture)
{
  fixture->monitor = open_link (fixture);
}

static gboolean
monitor_gone (gpointer user_data)
{
  Fixture *fixture = user_data;

  return !station_engine_get_monitor_connected (fixture->engine);
}

/* Closes the test monitor's link, and waits until the engine knows. */
static void
unlink_monitor (Fixture *fixture)
{
  ev_link_close (fixture->monitor);
  g_clear_object (&fixture->monitor);
  ev_test_wait_until (NULL, monitor_gone, fixture, PEER_WAIT_MS, "the engine to lose its monitor");
}

/* A started engine with the fixture's settings and state dir, linked to
 * the test monitor. */
static void
start_engine (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->engine = g_object_new (STATION_TYPE_ENGINE,
                                  "listen", "127.0.0.1:0",
                                  "bootstrap", ev_mock_cluster_get_bootstrap (fixture->cluster),
                                  "location", "Test street 1",
                                  "plug-timeout", (gint64) 1500,
                                  "progress-interval", (gint64) 200,
                                  "monitor-grace", fixture->grace,
                                  "state-dir", fixture->state_dir,
                                  NULL);
  g_signal_connect (fixture->engine, "event", G_CALLBACK (event_cb), fixture);
  if (fixture->central_key != NULL)
    station_engine_set_central_key (fixture->engine, ev_signing_key_dup_verify_key (fixture->central_key));
  g_assert_true (station_engine_start (fixture->engine, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (station_engine_get_port (fixture->engine), >, 0);
  g_assert_cmpstr (station_engine_get_state_dir (fixture->engine), ==, fixture->state_dir);

  link_monitor (fixture);
}

/* The engine goes as a killed one does as far as its journal can tell:
 * nothing is ended, no ticket issued; what Kafka has not delivered within
 * the close is dropped. */
static void
crash_engine (Fixture *fixture)
{
  station_engine_shutdown (fixture->engine);
  g_assert_finalize_object (fixture->engine);
  ev_link_close (fixture->monitor);
  g_clear_object (&fixture->monitor);
  g_ptr_array_set_size (fixture->events, 0);
  g_clear_pointer (&fixture->ticket_message, g_free);
}

/* @data: (nullable): a gint64, the engine's monitor grace in ms */
static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->grace = data != NULL ? *(const gint64 *) data : STATION_DEFAULT_MONITOR_GRACE_MS;
  fixture->state_dir = ev_test_make_tmpdir ();
  fixture->cluster = ev_mock_cluster_new (1, &error);
  g_assert_no_error (error);
  fixture->events = g_ptr_array_new_with_free_func (g_free);
  start_engine (fixture);
  fixture->kafka = peer_kafka_new (ev_mock_cluster_get_bootstrap (fixture->cluster));
}

/* An engine that trusts a Central key, and a peer that signs with it. */
static void
fixture_setup_signed (Fixture       *fixture,
                      gconstpointer  data)
{
  fixture->central_key = ev_signing_key_generate (NULL);
  g_assert_nonnull (fixture->central_key);
  fixture_setup (fixture, data);
  peer_kafka_set_signing_key (fixture->kafka, fixture->central_key);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->central_key, ev_signing_key_free);
  peer_kafka_free (fixture->kafka);
  if (fixture->monitor != NULL)
    {
      ev_link_close (fixture->monitor);
      g_object_unref (fixture->monitor);
    }
  station_engine_shutdown (fixture->engine);
  g_assert_finalize_object (fixture->engine);
  g_ptr_array_unref (fixture->events);
  g_free (fixture->ticket_message);
  g_free (fixture->error_message);
  g_assert_finalize_object (fixture->cluster);
  ev_test_rm_rf (fixture->state_dir);
  g_free (fixture->state_dir);
}

typedef struct
{
  char *text;
  gboolean done;
} Answer;

static void
answer_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Answer *answer = user_data;
  g_autoptr(GError) error = NULL;

  answer->text = ev_link_request_finish (EV_LINK (source), result, &error);
  g_assert_no_error (error);
  answer->done = TRUE;
}

/* Sends @request (consumed) on @link and returns the parsed response. */
static EvLinkResponse *
ask_on (EvLink        *link,
        EvLinkRequest *request)
{
  g_autofree char *json = ev_link_request_to_json (request, NULL);
  g_autoptr(GError) error = NULL;
  Answer answer = { 0 };
  EvLinkResponse *response;

  ev_link_request_free (request);
  ev_link_request_async (link, json, NULL, answer_cb, &answer);
  ev_test_wait_flag (NULL, &answer.done, PEER_WAIT_MS, "the engine's response");
  response = ev_link_response_from_json (answer.text, -1, &error);
  g_assert_no_error (error);
  g_free (answer.text);
  return response;
}

/* Sends @request (consumed) on the test monitor's link. */
static EvLinkResponse *
ask (Fixture       *fixture,
     EvLinkRequest *request)
{
  return ask_on (fixture->monitor, request);
}

/* The test monitor hands the engine CP1's key, as a monitor does after
 * Central's answer (PEER_CP_KEY: what the Kafka peer checks). */
static void
give_key (Fixture *fixture)
{
  g_autoptr(EvLinkResponse) response = ask (fixture, ev_link_request_new_key ("CP1", PEER_CP_KEY));

  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_OK);
}

/* The test monitor says hello as CP1's paired monitor, and waits until
 * the engine counts it as its monitor. */
static void
hello (Fixture *fixture)
{
  g_autofree char *secret = pairing_secret (fixture);
  g_autoptr(EvLinkResponse) response = paired_hello (fixture->monitor, "CP1", secret);

  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_OK);
  g_assert_cmpstr (response->location, ==, "Test street 1");
  g_assert_cmpstr (station_engine_get_cp_id (fixture->engine), ==, "CP1");
  ev_test_wait_until (NULL, monitor_linked, fixture, PEER_WAIT_MS, "the monitor link");
  give_key (fixture);
}

static gboolean
has_event (Fixture    *fixture,
           const char *name)
{
  for (guint i = 0; i < fixture->events->len; i++)
    if (g_str_equal (g_ptr_array_index (fixture->events, i), name))
      return TRUE;
  return FALSE;
}

typedef struct
{
  StationEngine *engine;
  EvCpState state;
} StateWait;

static gboolean
state_reached (gpointer user_data)
{
  StateWait *wait = user_data;

  return station_engine_get_state (wait->engine) == wait->state;
}

static void
wait_state (Fixture   *fixture,
            EvCpState  state)
{
  StateWait wait = { fixture->engine, state };

  ev_test_wait_until (NULL, state_reached, &wait, PEER_WAIT_MS, ev_cp_state_to_string (state));
}

static void
test_engine_new_destroy (void)
{
  StationEngine *engine = g_object_new (STATION_TYPE_ENGINE, "bootstrap", "127.0.0.1:1", NULL);
  g_autoptr(GError) error = NULL;
  StationEngine *bad = g_object_new (STATION_TYPE_ENGINE, "bootstrap", "127.0.0.1:1",
                                     "listen", "nowhere", NULL);

  g_assert_cmpstr (station_engine_get_listen (engine), ==, STATION_ENGINE_DEFAULT_LISTEN);
  g_assert_cmpfloat (station_engine_get_power_kw (engine), ==, 22.0);
  g_assert_cmpint (station_engine_get_state (engine), ==, EV_CP_STATE_ACTIVE);
  g_assert_null (station_engine_get_cp_id (engine));
  g_assert_finalize_object (engine);

  g_assert_false (station_engine_start (bad, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_finalize_object (bad);
}

static guint
count_events (Fixture    *fixture,
              const char *name)
{
  guint n = 0;

  for (guint i = 0; i < fixture->events->len; i++)
    n += g_str_equal (g_ptr_array_index (fixture->events, i), name);
  return n;
}

static void
assert_not_paired (EvLinkResponse *response)
{
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, "denied");
  g_assert_cmpstr (ev_link_reason_to_string (response->reason), ==, "not-paired");
  ev_link_response_free (response);
}

/* Strangers on the engine port: a hello as another CP, or as the right
 * one without the secret, or with a proof made for another link, binds
 * nothing; their orders are refused; the engine hears of each stranger
 * once. The real monitor then gets in, and a stranger still cannot
 * re-bind or instruct the engine. */
static void
test_engine_port_hijack (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *secret = pairing_secret (fixture);
  EvLink *stranger = open_link (fixture);
  g_autoptr(EvLinkResponse) challenge = NULL;
  g_autoptr(EvLinkResponse) real_challenge = NULL;
  g_autoptr(EvLinkResponse) theirs = NULL;

  challenge = ask_on (stranger, ev_link_request_new_hello ("EVIL"));
  g_assert_cmpint (challenge->reason, ==, EV_LINK_REASON_NOT_PAIRED);
  g_assert_nonnull (challenge->challenge);
  assert_not_paired (ask_on (stranger, ev_link_request_new_hello_paired ("EVIL", challenge->challenge,
                                                                          "a guess at the secret, long enough")));
  g_clear_pointer (&challenge, ev_link_response_free);
  challenge = ask_on (stranger, ev_link_request_new_hello ("CP1"));
  assert_not_paired (ask_on (stranger, ev_link_request_new_hello_paired ("CP1", challenge->challenge,
                                                                          "a guess at the secret, long enough")));
  /* A proof the real monitor made for its own link is worth nothing on
   * another (the challenges differ). */
  real_challenge = ask (fixture, ev_link_request_new_hello ("CP1"));
  assert_not_paired (ask_on (stranger, ev_link_request_new_hello_paired ("CP1", real_challenge->challenge, secret)));

  assert_not_paired (ask_on (stranger, ev_link_request_new_central (FALSE)));
  assert_not_paired (ask_on (stranger, ev_link_request_new_price (99)));
  assert_not_paired (ask_on (stranger, ev_link_request_new_health ()));
  g_assert_null (station_engine_get_cp_id (fixture->engine));
  g_assert_false (station_engine_get_monitor_connected (fixture->engine));
  g_assert_cmpfloat (station_engine_get_price (fixture->engine), ==, 0.0);
  g_assert_false (has_event (fixture, "bound"));
  g_assert_false (has_event (fixture, "price"));
  g_assert_cmpuint (count_events (fixture, "not-paired"), ==, 1);

  /* The real monitor. */
  hello (fixture);
  theirs = ask (fixture, ev_link_request_new_central (TRUE));
  g_assert_cmpint (theirs->status, ==, EV_LINK_STATUS_OK);
  g_assert_true (station_engine_get_central_reachable (fixture->engine));

  /* Still nothing for the stranger, nor for a new one. */
  assert_not_paired (ask_on (stranger, ev_link_request_new_hello ("CP1")));
  assert_not_paired (ask_on (stranger, ev_link_request_new_central (FALSE)));
  assert_not_paired (ask_on (stranger, ev_link_request_new_price (99)));
  ev_link_close (stranger);
  g_clear_object (&stranger);
  stranger = open_link (fixture);
  assert_not_paired (ask_on (stranger, ev_link_request_new_hello ("EVIL")));
  assert_not_paired (ask_on (stranger, ev_link_request_new_price (99)));
  g_assert_cmpstr (station_engine_get_cp_id (fixture->engine), ==, "CP1");
  g_assert_true (station_engine_get_central_reachable (fixture->engine));
  g_assert_cmpfloat (station_engine_get_price (fixture->engine), ==, 0.0);
  g_assert_cmpuint (count_events (fixture, "not-paired"), ==, 2);
  ev_link_close (stranger);
  g_clear_object (&stranger);

  /* Only local monitors reach an engine by default; off loopback, a
   * secret must be given; given, the engine starts. */
  g_assert_cmpstr (STATION_ENGINE_DEFAULT_LISTEN, ==, "127.0.0.1:7100");
  {
    g_autofree char *path = g_build_filename (fixture->state_dir, "pairing.secret", NULL);
    g_autoptr(GError) error = NULL;
    StationEngine *open_engine = g_object_new (STATION_TYPE_ENGINE, "listen", "0.0.0.0:0",
                                               "bootstrap", ev_mock_cluster_get_bootstrap (fixture->cluster),
                                               "state-dir", fixture->state_dir, NULL);

    g_assert_false (station_engine_start (open_engine, &error));
    g_assert_error (error, STATION_ERROR, STATION_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "--pairing-secret-file"));
    g_assert_finalize_object (open_engine);
    g_clear_error (&error);

    open_engine = g_object_new (STATION_TYPE_ENGINE, "listen", "0.0.0.0:0",
                                "bootstrap", ev_mock_cluster_get_bootstrap (fixture->cluster),
                                "state-dir", fixture->state_dir, "pairing-secret-file", path, NULL);
    g_assert_true (station_engine_start (open_engine, &error));
    g_assert_no_error (error);
    station_engine_shutdown (open_engine);
    g_assert_finalize_object (open_engine);
  }
}

static void
test_engine_monitor_link (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(EvLinkResponse) health = NULL;
  g_autoptr(EvLinkResponse) other = NULL;
  g_autoptr(EvLinkResponse) central = NULL;
  g_autoptr(EvLinkResponse) price = NULL;
  g_autoptr(EvLinkResponse) ko = NULL;
  g_autoptr(EvLinkResponse) foreign = NULL;
  g_autoptr(EvLinkResponse) bad = NULL;
  g_autoptr(GError) error = NULL;

  hello (fixture);
  {
    g_autofree char *secret = pairing_secret (fixture);

    /* Even the paired monitor cannot move the engine to another CP. */
    other = paired_hello (fixture->monitor, "CP2", secret);
    g_assert_cmpint (other->status, ==, EV_LINK_STATUS_DENIED);
    g_assert_cmpint (other->reason, ==, EV_LINK_REASON_BOUND_TO_OTHER_CP);
  }

  health = ask (fixture, ev_link_request_new_health ());
  g_assert_cmpint (health->status, ==, EV_LINK_STATUS_OK);
  g_assert_cmpint (health->state, ==, EV_CP_STATE_ACTIVE);

  central = ask (fixture, ev_link_request_new_central (TRUE));
  g_assert_cmpint (central->status, ==, EV_LINK_STATUS_OK);
  g_assert_true (station_engine_get_central_reachable (fixture->engine));
  price = ask (fixture, ev_link_request_new_price (0.42));
  g_assert_cmpint (price->status, ==, EV_LINK_STATUS_OK);
  g_assert_cmpfloat (station_engine_get_price (fixture->engine), ==, 0.42);
  g_assert_true (has_event (fixture, "central"));
  g_assert_true (has_event (fixture, "price"));

  station_engine_set_ko (fixture->engine, TRUE);
  ko = ask (fixture, ev_link_request_new_health ());
  g_assert_cmpint (ko->status, ==, EV_LINK_STATUS_KO);
  g_assert_cmpint (ko->state, ==, EV_CP_STATE_BROKEN);
  station_engine_set_ko (fixture->engine, FALSE);

  /* Central's requests are not the engine's to answer. */
  foreign = ask (fixture, ev_link_request_new_status (EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK));
  g_assert_cmpint (foreign->status, ==, EV_LINK_STATUS_ERROR);
  g_assert_cmpint (foreign->reason, ==, EV_LINK_REASON_UNKNOWN_TYPE);

  /* Bad JSON inside a good frame is answered, and the link stays. */
  {
    Answer answer = { 0 };

    ev_link_request_async (fixture->monitor, "{\"type\":", NULL, answer_cb, &answer);
    ev_test_wait_flag (NULL, &answer.done, PEER_WAIT_MS, "the bad-json response");
    bad = ev_link_response_from_json (answer.text, -1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bad->reason, ==, EV_LINK_REASON_BAD_JSON);
    g_free (answer.text);
  }
  g_assert_true (station_engine_get_monitor_connected (fixture->engine));
}

typedef struct
{
  StationEngine *engine;
  double kwh;
} KwhWait;

static gboolean
meter_moved (gpointer user_data)
{
  KwhWait *wait = user_data;

  return station_engine_get_kwh (wait->engine) > wait->kwh;
}

/* The CP's key comes from the paired monitor only. Without one the
 * engine sends no live figures and keeps its ticket in the journal; the
 * key, once handed over, sends the ticket, signed (the Kafka peer checks
 * every MAC); a station request waits for a key too. */
static void
test_engine_cp_key (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *secret = pairing_secret (fixture);
  EvLink *stranger = open_link (fixture);
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  const char *supply_id = "66666666-6666-4666-8666-666666666666";
  const EvSupplyData *ticket;
  double metered;

  response = paired_hello (fixture->monitor, "CP1", secret);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_OK);
  ev_test_wait_until (NULL, monitor_linked, fixture, PEER_WAIT_MS, "the monitor link");
  g_clear_pointer (&response, ev_link_response_free);

  /* Nobody else hands over a key, nor the monitor one for another CP. */
  assert_not_paired (ask_on (stranger, ev_link_request_new_key ("CP1", PEER_CP_KEY)));
  response = ask (fixture, ev_link_request_new_key ("CP9", PEER_CP_KEY));
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_DENIED);
  g_assert_cmpint (response->reason, ==, EV_LINK_REASON_BOUND_TO_OTHER_CP);
  g_clear_pointer (&response, ev_link_response_free);
  g_assert_false (has_event (fixture, "cp-key"));

  g_assert_null (station_engine_request_supply (fixture->engine, NULL, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_NO_KEY);
  g_clear_error (&error);

  /* A whole supply without a key: nothing leaves the engine. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_true (station_engine_plug (fixture->engine, &error));
  g_assert_no_error (error);
  {
    KwhWait wait = { fixture->engine, 0.0 };

    ev_test_wait_until (NULL, meter_moved, &wait, PEER_WAIT_MS, "a reading");
  }
  metered = station_engine_get_kwh (fixture->engine);
  g_assert_true (station_engine_unplug (fixture->engine, &error));
  g_assert_true (has_event (fixture, "ticket"));
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS), ==, 0);
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);

  /* The key: the ticket goes out, signed, once. */
  give_key (fixture);
  g_assert_true (has_event (fixture, "cp-key"));
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpfloat (ticket->kwh, >=, metered);

  /* And a station request now leaves, signed. */
  request_id = station_engine_request_supply (fixture->engine, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (peer_kafka_wait_request (fixture->kafka, 1)->request_id, ==, request_id);
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);

  ev_link_close (stranger);
  g_clear_object (&stranger);
}

static void
test_engine_supply (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const EvSupplyData *ticket;
  gint64 expires = ev_protocol_now_ms () + 60000;

  g_assert_false (station_engine_plug (fixture->engine, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_NOT_WAITING);
  g_clear_error (&error);
  hello (fixture);

  /* A stale directive and another CP's are ignored; ours is taken. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "11111111-1111-4111-8111-111111111111",
                        "d0", ev_protocol_now_ms () - 1000);
  peer_kafka_directive (fixture->kafka, "CP9", EV_DIRECTIVE_ACTION_START, "22222222-2222-4222-8222-222222222222",
                        "d9", expires);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "33333333-3333-4333-8333-333333333333",
                        "d1", expires);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_cmpstr (station_engine_get_supply_id (fixture->engine), ==, "33333333-3333-4333-8333-333333333333");
  g_assert_cmpstr (station_engine_get_driver_id (fixture->engine), ==, "d1");
  g_assert_cmpfloat (station_engine_get_supply_price (fixture->engine), ==, 0.35);
  g_assert_true (has_event (fixture, "authorized"));

  g_assert_true (station_engine_plug (fixture->engine, &error));
  g_assert_no_error (error);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);
  peer_kafka_wait_data (fixture->kafka, "33333333-3333-4333-8333-333333333333", EV_SUPPLY_DATA_PROGRESS, 3);
  g_assert_cmpfloat (station_engine_get_kwh (fixture->engine), >, 0.0);

  g_assert_true (station_engine_unplug (fixture->engine, &error));
  ticket = peer_kafka_wait_data (fixture->kafka, "33333333-3333-4333-8333-333333333333", EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpstr (ticket->driver_id, ==, "d1");
  g_assert_cmpfloat (ticket->kwh, >, 0.0);
  g_assert_cmpfloat (fabs (ticket->amount - ticket->kwh * 0.35), <, 0.01);
  g_assert_cmpint (ticket->ended_at, >=, ticket->started_at);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_ACTIVE);
  g_assert_true (has_event (fixture, "ticket"));
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, "11111111-1111-4111-8111-111111111111",
                                           EV_SUPPLY_DATA_TICKET), ==, 0);

  /* Not plugged in time (1.5 s here): a ticket says so. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "44444444-4444-4444-8444-444444444444",
                        "d1", expires);
  ticket = peer_kafka_wait_data (fixture->kafka, "44444444-4444-4444-8444-444444444444", EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_NOT_PLUGGED);
  g_assert_cmpfloat (ticket->kwh, ==, 0.0);

  /* Stop ends a supply; `all` reaches every engine; resume. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "55555555-5555-4555-8555-555555555555",
                        "d1", expires);
  wait_state (fixture, EV_CP_STATE_WAITING);
  station_engine_plug (fixture->engine, NULL);
  peer_kafka_directive (fixture->kafka, "all", EV_DIRECTIVE_ACTION_STOP, NULL, NULL, expires);
  wait_state (fixture, EV_CP_STATE_STOPPED);
  ticket = peer_kafka_wait_data (fixture->kafka, "55555555-5555-4555-8555-555555555555", EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_STOPPED_BY_CENTRAL);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_RESUME, NULL, NULL, expires);
  wait_state (fixture, EV_CP_STATE_ACTIVE);

  /* A start for a supply that already ended here (a restarted Central
   * answering its backlog again), or that was withdrawn before its start
   * arrived, is not run; the next real one is. Directives for one CP are
   * read in order, so the last start proves the others were handled. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "33333333-3333-4333-8333-333333333333",
                        "d1", expires);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_CANCEL, "77777777-7777-4777-8777-777777777777",
                        NULL, expires);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "77777777-7777-4777-8777-777777777777",
                        "d7", expires);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "66666666-6666-4666-8666-666666666666",
                        "d6", expires);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_cmpstr (station_engine_get_supply_id (fixture->engine), ==, "66666666-6666-4666-8666-666666666666");
  g_assert_cmpstr (station_engine_get_driver_id (fixture->engine), ==, "d6");
}

static guint
count_event (Fixture    *fixture,
             const char *name)
{
  guint n = 0;

  for (guint i = 0; i < fixture->events->len; i++)
    n += g_str_equal (g_ptr_array_index (fixture->events, i), name);
  return n;
}

static gboolean
two_invalid_messages (gpointer user_data)
{
  return count_event (user_data, "invalid-message") >= 2;
}

/* A `stop all` that Central did not sign (signed by another key, or not
 * at all) is skipped as invalid: the supply goes on. Central's own stop
 * still works. */
static void
test_engine_forged_directive (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(EvSigningKey) forger = ev_signing_key_generate (NULL);
  gint64 expires = ev_protocol_now_ms () + 60000;
  const char *supply_id = "88888888-8888-4888-8888-888888888888";

  hello (fixture);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1", expires);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_true (station_engine_plug (fixture->engine, NULL));
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);

  peer_kafka_set_signing_key (fixture->kafka, forger);
  peer_kafka_directive (fixture->kafka, "all", EV_DIRECTIVE_ACTION_STOP, NULL, NULL, expires);
  peer_kafka_set_signing_key (fixture->kafka, NULL);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_STOP, NULL, NULL, expires);
  ev_test_wait_until (NULL, two_invalid_messages, fixture, PEER_WAIT_MS, "two invalid messages");
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpstr (station_engine_get_supply_id (fixture->engine), ==, supply_id);

  peer_kafka_set_signing_key (fixture->kafka, fixture->central_key);
  peer_kafka_directive (fixture->kafka, "all", EV_DIRECTIVE_ACTION_STOP, NULL, NULL, expires);
  wait_state (fixture, EV_CP_STATE_STOPPED);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpuint (count_event (fixture, "invalid-message"), ==, 2);
}

static void
test_engine_ko_during_supply (Fixture       *fixture,
                              gconstpointer  data)
{
  const EvSupplyData *ticket;
  const char *supply_id = "66666666-6666-4666-8666-666666666666";

  hello (fixture);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  station_engine_plug (fixture->engine, NULL);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 2);

  station_engine_set_ko (fixture->engine, TRUE);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_BROKEN);
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpfloat (ticket->kwh, >, 0.0);
  g_assert_null (station_engine_get_supply_id (fixture->engine));
  station_engine_set_ko (fixture->engine, FALSE);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_ACTIVE);
}

static gboolean
has_event_denied (gpointer user_data)
{
  return has_event (user_data, "denied");
}

static void
test_engine_request (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const EvSupplyRequest *request;

  g_assert_null (station_engine_request_supply (fixture->engine, NULL, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_NOT_BOUND);
  g_clear_error (&error);
  hello (fixture);
  g_assert_null (station_engine_request_supply (fixture->engine, "bad id!", &error));
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID);

  first = station_engine_request_supply (fixture->engine, NULL, NULL);
  second = station_engine_request_supply (fixture->engine, "driver7", NULL);
  request = peer_kafka_wait_request (fixture->kafka, 1);
  g_assert_cmpstr (request->request_id, ==, first);
  g_assert_cmpstr (request->cp_id, ==, "CP1");
  g_assert_cmpstr (request->driver_id, ==, "station:CP1");
  g_assert_cmpint (request->origin, ==, EV_SUPPLY_ORIGIN_STATION);
  request = peer_kafka_wait_request (fixture->kafka, 2);
  g_assert_cmpstr (request->driver_id, ==, "driver7");

  /* Central's denial reaches the station. */
  {
    g_autoptr(EvSupplyResponse) denial = ev_supply_response_new_denied (second, "driver7", "CP1",
                                                                        EV_SUPPLY_DENY_REASON_CP_BUSY);
    g_autofree char *json = ev_supply_response_to_json (denial, NULL);

    peer_kafka_publish (fixture->kafka, "supply-res", "driver7", json);
    ev_test_wait_until (NULL, has_event_denied, fixture, PEER_WAIT_MS, "the denial");
  }
}

static gboolean
broker_is (Fixture  *fixture,
           gboolean  reachable)
{
  return station_engine_get_broker_reachable (fixture->engine) == reachable;
}

/* The engine's meter past @kwh. */
static gboolean
broker_up (gpointer user_data)
{
  return broker_is (user_data, TRUE);
}

static gboolean
broker_down (gpointer user_data)
{
  return broker_is (user_data, FALSE);
}

static void
test_engine_broker_outage (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *supply_id = "77777777-7777-4777-8777-777777777777";
  const EvSupplyData *ticket;
  KwhWait kwh_wait;
  guint seq;

  hello (fixture);
  ev_test_wait_until (NULL, broker_up, fixture, PEER_WAIT_MS, "the broker");
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  station_engine_plug (fixture->engine, NULL);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 1);

  g_assert_true (ev_mock_cluster_set_down (fixture->cluster, &error));
  ev_test_wait_until (NULL, broker_down, fixture, PEER_WAIT_MS, "the broker outage");
  g_assert_true (has_event (fixture, "broker"));
  /* Metering goes on meanwhile: the meter moves on with nobody to tell. */
  kwh_wait = (KwhWait) { fixture->engine, station_engine_get_kwh (fixture->engine) };
  ev_test_wait_until (NULL, meter_moved, &kwh_wait, PEER_WAIT_MS, "the meter to move during the outage");
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);
  station_engine_unplug (fixture->engine, NULL);

  g_assert_true (ev_mock_cluster_set_up (fixture->cluster, &error));
  ev_test_wait_until (NULL, broker_up, fixture, PEER_WAIT_MS, "the broker's return");
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  /* Every message queued during the outage was delivered. */
  for (seq = 1; seq < ticket->seq; seq++)
    peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, seq);
}

static const gint64 short_grace = 1500;

/* Starts supply @supply_id for d1 and plugs in; waits for its @seq-th
 * progress. */
static void
supplying (Fixture    *fixture,
           const char *supply_id,
           guint       seq)
{
  hello (fixture);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_true (station_engine_plug (fixture->engine, NULL));
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, seq);
}

/* The design document: the engine stops the CP when its monitor is lost.
 * The ticket has the engine's every kWh and says why. */
static void
test_engine_monitor_lost (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *supply_id = "88888888-8888-4888-8888-888888888888";
  const EvSupplyData *ticket;
  gint64 lost_at;

  supplying (fixture, supply_id, 2);
  lost_at = ev_protocol_now_ms ();
  unlink_monitor (fixture);

  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_MONITOR_LOST);
  g_assert_cmpint (ticket->ended_at - lost_at, >=, short_grace);
  /* A generous margin: the rule, not the speed, is tested. */
  g_assert_cmpint (ticket->ended_at - lost_at, <=, short_grace + 2000);
  g_assert_cmpfloat_with_epsilon (ticket->kwh, 22.0 * (ticket->ended_at - ticket->started_at) / 3600000.0, 1e-9);
  g_assert_cmpfloat (ticket->kwh, >=, peer_kafka_wait_data (fixture->kafka, supply_id,
                                                            EV_SUPPLY_DATA_PROGRESS, ticket->seq - 1)->kwh);
  g_assert_cmpfloat_with_epsilon (ticket->amount, ticket->kwh * 0.35, 1e-9);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_ACTIVE);
  g_assert_null (station_engine_get_supply_id (fixture->engine));
  g_assert_nonnull (fixture->ticket_message);
  g_assert_nonnull (strstr (fixture->ticket_message, "monitor"));
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
}

/* A monitor back within the grace (a restart) changes nothing. */
static void
test_engine_monitor_back (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *supply_id = "99999999-9999-4999-8999-999999999999";
  guint seq;

  supplying (fixture, supply_id, 1);
  unlink_monitor (fixture);
  link_monitor (fixture);
  hello (fixture);

  /* Past the grace, counted from the loss: still supplying. Nothing can
   * be awaited for something that must not happen, hence the wait. */
  ev_test_sleep_spinning (NULL, short_grace + 1000);
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);
  seq = peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS);
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, seq + 2);

  /* It ends as it should, unplugged. */
  g_assert_true (station_engine_unplug (fixture->engine, NULL));
  g_assert_cmpint (peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0)->reason, ==,
                   EV_TICKET_REASON_UNPLUGGED);
}

/* The engine's journal ---------------------------------------------------------- */

static StationJournal *
load_journal (Fixture *fixture)
{
  StationJournal *journal = station_journal_new (fixture->state_dir, "CP1");
  g_autoptr(GError) error = NULL;

  g_assert_true (station_journal_load (journal, &error));
  g_assert_no_error (error);
  return journal;
}

static gboolean
journal_empty (gpointer user_data)
{
  g_autoptr(StationJournal) journal = load_journal (user_data);

  return station_journal_get_supply (journal) == NULL && station_journal_get_tickets (journal)->len == 0;
}

/* Kafka confirmed every ticket: the journal forgets them. */
static void
wait_journal_empty (Fixture *fixture)
{
  ev_test_wait_until (NULL, journal_empty, fixture, PEER_WAIT_MS, "the journal to empty");
}

/* An engine that dies while supplying: the next one ends the supply at
 * once, an engine fault, with the energy of the journal's last reading. */
static void
test_engine_journal_crash (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *supply_id = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
  g_autoptr(StationJournal) journal = NULL;
  g_autoptr(EvSupplyData) kept = NULL;
  const EvSupplyData *ticket;
  const EvSupplyData *progress;

  supplying (fixture, supply_id, 3);
  crash_engine (fixture);
  start_engine (fixture);

  /* What the dead engine left: the supply, as of its last progress. */
  journal = load_journal (fixture);
  g_assert_nonnull (station_journal_get_supply (journal));
  kept = ev_supply_data_copy (station_journal_get_supply (journal));
  g_assert_cmpstr (kept->supply_id, ==, supply_id);
  g_assert_cmpuint (kept->seq, >=, 4);
  progress = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, kept->seq - 1);
  g_assert_cmpfloat (kept->kwh, ==, progress->kwh);
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);

  hello (fixture);
  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpuint (ticket->seq, ==, kept->seq);
  g_assert_cmpfloat (ticket->kwh, ==, progress->kwh);
  g_assert_cmpfloat_with_epsilon (ticket->amount, progress->amount, 1e-9);
  g_assert_cmpint (ticket->started_at, ==, progress->started_at);
  g_assert_cmpint (ticket->ended_at, >=, ticket->started_at);
  g_assert_cmpstr (ticket->driver_id, ==, "d1");
  g_assert_cmpstr (ticket->cp_id, ==, "CP1");
  g_assert_true (has_event (fixture, "ticket"));
  g_assert_nonnull (fixture->ticket_message);
  g_assert_nonnull (strstr (fixture->ticket_message, "engine stopped"));
  g_assert_cmpint (station_engine_get_state (fixture->engine), ==, EV_CP_STATE_ACTIVE);
  wait_journal_empty (fixture);

  /* A start of that supply again (Central's backlog) is not run. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                        "d2", ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_cmpstr (station_engine_get_supply_id (fixture->engine), ==, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
}

/* A supply that ended normally, its ticket delivered, and then the engine
 * restarted: a `start` for it sent again (a restarted Central answering
 * its backlog) is not run a second time by the new engine either. */
static void
test_engine_journal_ended (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *supply_id = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
  g_autoptr(StationJournal) journal = NULL;

  supplying (fixture, supply_id, 1);
  g_assert_true (station_engine_unplug (fixture->engine, NULL));
  peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  wait_journal_empty (fixture);
  journal = load_journal (fixture);
  g_assert_cmpuint (station_journal_get_ended (journal)->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (station_journal_get_ended (journal), 0), ==, supply_id);

  crash_engine (fixture);
  start_engine (fixture);
  hello (fixture);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, supply_id, "d1",
                        ev_protocol_now_ms () + 60000);
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee",
                        "d2", ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  g_assert_cmpstr (station_engine_get_supply_id (fixture->engine), ==, "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee");
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
}

/* A ticket published while the broker is away, and the engine killed
 * before Kafka confirmed it: the next engine publishes the same message
 * again once the broker is back. */
static void
test_engine_journal_undelivered (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *supply_id = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
  g_autoptr(StationJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  const EvSupplyData *kept;
  const EvSupplyData *ticket;

  supplying (fixture, supply_id, 1);
  ev_test_wait_until (NULL, broker_up, fixture, PEER_WAIT_MS, "the broker");
  g_assert_true (ev_mock_cluster_set_down (fixture->cluster, &error));
  ev_test_wait_until (NULL, broker_down, fixture, PEER_WAIT_MS, "the broker outage");
  g_assert_true (station_engine_unplug (fixture->engine, NULL));

  journal = load_journal (fixture);
  g_assert_null (station_journal_get_supply (journal));
  g_assert_cmpuint (station_journal_get_tickets (journal)->len, ==, 1);
  kept = g_ptr_array_index (station_journal_get_tickets (journal), 0);
  g_assert_cmpstr (kept->supply_id, ==, supply_id);
  g_assert_cmpint (kept->reason, ==, EV_TICKET_REASON_UNPLUGGED);

  crash_engine (fixture);
  g_assert_true (ev_mock_cluster_set_up (fixture->cluster, &error));
  start_engine (fixture);
  hello (fixture);

  ticket = peer_kafka_wait_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (ticket->reason, ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpstr (ticket->envelope.id, ==, kept->envelope.id);
  g_assert_cmpuint (ticket->seq, ==, kept->seq);
  g_assert_cmpfloat (ticket->kwh, ==, kept->kwh);
  g_assert_nonnull (strstr (fixture->ticket_message, "Sent again"));
  wait_journal_empty (fixture);
  g_assert_cmpuint (peer_kafka_count_data (fixture->kafka, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
}

/* A journal that cannot be read is said, set aside, and the engine goes on. */
static void
test_engine_journal_damaged (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->state_dir, "CP1.json", NULL);
  g_autofree char *damaged = g_strconcat (path, ".damaged", NULL);
  g_autoptr(StationJournal) journal = NULL;

  g_assert_true (g_file_set_contents (path, "{\"version\":1,\"supply\":{\"kind\":", -1, NULL));
  hello (fixture);
  g_assert_true (has_event (fixture, "error"));
  g_assert_nonnull (fixture->error_message);
  g_assert_nonnull (strstr (fixture->error_message, path));
  g_assert_nonnull (strstr (fixture->error_message, damaged));
  g_assert_true (g_file_test (damaged, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* It works, and keeps a journal again. */
  peer_kafka_directive (fixture->kafka, "CP1", EV_DIRECTIVE_ACTION_START, "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
                        "d1", ev_protocol_now_ms () + 60000);
  wait_state (fixture, EV_CP_STATE_WAITING);
  journal = load_journal (fixture);
  g_assert_nonnull (station_journal_get_supply (journal));
  g_assert_cmpstr (station_journal_get_supply (journal)->supply_id, ==, "dddddddd-dddd-4ddd-8ddd-dddddddddddd");
  g_assert_cmpuint (station_journal_get_supply (journal)->seq, ==, 1);
}

/* The journal on its own: what it keeps reads back the same; a file too
 * big or not a journal is refused, naming the file. */
static void
test_journal_file (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *state_dir = g_build_filename (dir, "engines", NULL);
  g_autoptr(StationJournal) journal = station_journal_new (state_dir, "CP1");
  g_autoptr(StationJournal) again = station_journal_new (state_dir, "CP1");
  g_autoptr(EvSupplyData) progress = ev_supply_data_new (EV_SUPPLY_DATA_PROGRESS,
                                                         "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "CP1", "d1", 7);
  g_autoptr(EvSupplyData) ticket = ev_supply_data_new (EV_SUPPLY_DATA_TICKET,
                                                       "ffffffff-ffff-4fff-8fff-ffffffffffff", "CP1", "d2", 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *big = NULL;
  g_autofree char *aside = NULL;
  const EvSupplyData *supply;

  /* No file yet: an empty journal. */
  g_assert_true (station_journal_load (journal, &error));
  g_assert_null (station_journal_get_supply (journal));

  progress->kwh = 0.25;
  progress->amount = 0.125;
  progress->price = 0.5;
  progress->started_at = T0;
  station_journal_set_supply (journal, progress, T0 + 7000);
  ticket->kwh = 1.5;
  ticket->price = 0.4;
  ticket->amount = 0.6;
  ticket->started_at = T0;
  ticket->ended_at = T0 + 1000;
  ticket->reason = EV_TICKET_REASON_UNPLUGGED;
  ev_envelope_ensure (&ticket->envelope);
  station_journal_add_ticket (journal, ticket);
  g_assert_true (station_journal_save (journal, &error));
  g_assert_no_error (error);

  g_assert_true (station_journal_load (again, &error));
  g_assert_no_error (error);
  supply = station_journal_get_supply (again);
  g_assert_nonnull (supply);
  g_assert_cmpint (supply->kind, ==, EV_SUPPLY_DATA_TICKET);
  g_assert_cmpint (supply->reason, ==, EV_TICKET_REASON_ENGINE_FAULT);
  g_assert_cmpuint (supply->seq, ==, 8);
  g_assert_cmpfloat (supply->kwh, ==, 0.25);
  g_assert_cmpfloat (supply->amount, ==, 0.125);
  g_assert_cmpint (supply->started_at, ==, T0);
  g_assert_cmpint (supply->ended_at, ==, T0 + 7000);
  g_assert_cmpuint (station_journal_get_tickets (again)->len, ==, 1);
  g_assert_true (ev_supply_data_equal (g_ptr_array_index (station_journal_get_tickets (again), 0), ticket));
  g_assert_cmpstr (((EvSupplyData *) g_ptr_array_index (station_journal_get_tickets (again), 0))->envelope.id,
                   ==, ticket->envelope.id);

  /* The ticket of the supply in progress replaces it. */
  g_assert_true (station_journal_remove_ticket (again, ticket->supply_id));
  g_assert_false (station_journal_remove_ticket (again, ticket->supply_id));

  /* Too big: refused before it is read whole. */
  big = g_strnfill (STATION_JOURNAL_MAX_SIZE + 1, ' ');
  g_assert_true (g_file_set_contents (station_journal_get_path (journal), big, -1, NULL));
  g_assert_false (station_journal_load (again, &error));
  g_assert_nonnull (strstr (error->message, station_journal_get_path (journal)));
  g_clear_error (&error);

  /* Not a journal of this CP. */
  g_assert_true (g_file_set_contents (station_journal_get_path (journal),
                                      "{\"version\":1,\"supply\":null,\"tickets\":[{\"kind\":\"ticket\"}]}", -1, NULL));
  g_assert_false (station_journal_load (again, &error));
  g_assert_error (error, STATION_ERROR, STATION_ERROR_JOURNAL);
  g_assert_nonnull (strstr (error->message, station_journal_get_path (journal)));
  g_clear_error (&error);

  aside = station_journal_set_aside (again, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (aside, "CP1.json.damaged"));
  g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (station_journal_get_path (journal), G_FILE_TEST_EXISTS));

  ev_test_rm_rf (dir);
}

/* The kinds' nicks are the events' names in docs/cli.md, and an event
 * keeps its own copy of what it was made with. */
static void
test_event_names_and_data (void)
{
  static const char * const names[] = {
    "ready", "monitor", "bound", "central", "price", "broker", "directive", "authorized", "started",
    "state", "progress", "ticket", "health", "request", "denied", "no-answer", "invalid-message",
    "engine-connected", "engine-denied", "engine-down", "engine-health", "status", "not-paired", "approval", "cp-key", "error",
  };
  g_autoptr(EvSupplyRequest) request = ev_supply_request_new ("r1", "CP1", "d1", EV_SUPPLY_ORIGIN_STATION);
  g_autofree char *reason = g_strdup ("bound-to-other-cp");
  StationEventData data = { .request = request, .reason = reason, .link = STATION_CENTRAL_LINK_DENIED };
  StationEvent *event;

  for (guint kind = 0; kind < G_N_ELEMENTS (names); kind++)
    {
      event = station_event_new (kind, NULL, NULL);
      g_assert_cmpint (station_event_get_kind (event), ==, kind);
      g_assert_cmpstr (ev_event_get_name (EV_EVENT (event)), ==, names[kind]);
      g_assert_finalize_object (event);
    }
  g_assert_cmpint (STATION_EVENT_ERROR + 1, ==, G_N_ELEMENTS (names));

  event = station_event_new (STATION_EVENT_ERROR, "It broke", &data);
  g_clear_pointer (&request, ev_supply_request_free);
  g_clear_pointer (&reason, g_free);
  g_assert_cmpstr (ev_event_get_message (EV_EVENT (event)), ==, "It broke");
  g_assert_cmpstr (station_event_get_data (event)->request->request_id, ==, "r1");
  g_assert_cmpstr (station_event_get_data (event)->reason, ==, "bound-to-other-cp");
  g_assert_cmpint (station_event_get_data (event)->link, ==, STATION_CENTRAL_LINK_DENIED);
  g_assert_finalize_object (event);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/station/machine/supply", test_machine_supply);
  g_test_add_func ("/station/machine/not-plugged", test_machine_not_plugged);
  g_test_add_func ("/station/machine/stop-resume", test_machine_stop_resume);
  g_test_add_func ("/station/machine/ko", test_machine_ko);
  g_test_add_func ("/station/machine/simulation", test_machine_simulation);
  g_test_add_func ("/station/machine/monitor-lost", test_machine_monitor_lost);
  g_test_add_func ("/station/event/names-and-data", test_event_names_and_data);
  g_test_add_func ("/station/engine/new-destroy", test_engine_new_destroy);
  g_test_add ("/station/engine/monitor-link", Fixture, NULL, fixture_setup, test_engine_monitor_link, fixture_teardown);
  g_test_add ("/station/engine/port-hijack", Fixture, NULL, fixture_setup, test_engine_port_hijack, fixture_teardown);
  g_test_add ("/station/engine/supply", Fixture, NULL, fixture_setup, test_engine_supply, fixture_teardown);
  g_test_add ("/station/engine/cp-key", Fixture, NULL, fixture_setup, test_engine_cp_key, fixture_teardown);
  g_test_add ("/station/engine/forged-directive", Fixture, NULL, fixture_setup_signed,
              test_engine_forged_directive, fixture_teardown);
  g_test_add ("/station/engine/ko-during-supply", Fixture, NULL, fixture_setup, test_engine_ko_during_supply, fixture_teardown);
  g_test_add ("/station/engine/request", Fixture, NULL, fixture_setup, test_engine_request, fixture_teardown);
  g_test_add ("/station/engine/broker-outage", Fixture, NULL, fixture_setup, test_engine_broker_outage, fixture_teardown);
  g_test_add ("/station/engine/monitor-lost", Fixture, &short_grace, fixture_setup, test_engine_monitor_lost, fixture_teardown);
  g_test_add ("/station/engine/monitor-back", Fixture, &short_grace, fixture_setup, test_engine_monitor_back, fixture_teardown);
  g_test_add_func ("/station/journal/file", test_journal_file);
  g_test_add ("/station/engine/journal/crash", Fixture, NULL, fixture_setup, test_engine_journal_crash, fixture_teardown);
  g_test_add ("/station/engine/journal/ended", Fixture, NULL, fixture_setup, test_engine_journal_ended, fixture_teardown);
  g_test_add ("/station/engine/journal/undelivered", Fixture, NULL, fixture_setup,
              test_engine_journal_undelivered, fixture_teardown);
  g_test_add ("/station/engine/journal/damaged", Fixture, NULL, fixture_setup,
              test_engine_journal_damaged, fixture_teardown);

  return g_test_run ();
}

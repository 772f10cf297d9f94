#include "config.h"

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"
#include "station-peers.h"
#include "test-utils.h"

/* `ev-station fleet` as a real process, against a real ev-broker and a
 * real ev-central over loopback TCP; Kafka is watched (and a driver's
 * request made) with PeerKafka. Everything is asserted on behaviour seen
 * from outside: Central's events, the messages on Kafka, the fleet's own
 * events. No timing thresholds. */

#define N_CPS 50

/* A program in --headless mode: its JSON events, as they come. */
typedef struct
{
  const char *name;
  GSubprocess *process;
  GDataInputStream *out;
  GCancellable *cancellable;
  GPtrArray *events;    /* JsonObject */
  gboolean exited;
  int status;
} Program;

static void program_read (Program *program);

static void
program_line_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Program *program = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonNode *root;

  line = g_data_input_stream_read_line_finish_utf8 (program->out, result, NULL, &error);
  if (line == NULL)
    return;   /* End of output, or cancelled. */

  if (!json_parser_load_from_data (parser, line, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    g_error ("%s wrote a line that is not a JSON object: %s", program->name, line);
  if (!g_str_equal (program->name, "ev-central"))
    g_test_message ("%s: %s", program->name, line);
  g_ptr_array_add (program->events, json_object_ref (json_node_get_object (root)));
  program_read (program);
}

static void
program_read (Program *program)
{
  g_data_input_stream_read_line_async (program->out, G_PRIORITY_DEFAULT, program->cancellable,
                                       program_line_cb, program);
}

static void
program_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Program *program = user_data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL))
    return;
  program->status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                    ? g_subprocess_get_exit_status (G_SUBPROCESS (source)) : -1;
  program->exited = TRUE;
}

/* Runs @argv (NULL-terminated) with a private runtime directory. */
static Program *
program_start (const char  *name,
               const char  *runtime_dir,
               const char **argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  Program *program = g_new0 (Program, 1);

  program->name = name;
  program->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  program->cancellable = g_cancellable_new ();
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", runtime_dir, TRUE);
  program->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (program->process, NULL, program_exited_cb, program);
  program->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (program->process));
  program_read (program);
  return program;
}

static void
program_send (Program    *program,
              const char *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (program->process);
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all (in, text, strlen (text), NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Ends the program's input and waits for its exit status. */
static int
program_finish (Program *program)
{
  int status;

  g_output_stream_close (g_subprocess_get_stdin_pipe (program->process), NULL, NULL);
  ev_test_wait_flag (NULL, &program->exited, PEER_WAIT_MS, program->name);
  /* Let the last lines in the pipe arrive. */
  ev_test_sleep_spinning (NULL, 50);
  g_cancellable_cancel (program->cancellable);
  status = program->status;
  return status;
}

static void
program_free (Program *program)
{
  if (!program->exited)
    {
      g_subprocess_force_exit (program->process);
      ev_test_wait_flag (NULL, &program->exited, PEER_WAIT_MS, program->name);
    }
  g_cancellable_cancel (program->cancellable);
  ev_test_sleep_spinning (NULL, 10);
  g_clear_object (&program->out);
  g_clear_object (&program->process);
  g_clear_object (&program->cancellable);
  g_ptr_array_unref (program->events);
  g_free (program);
}

/* Events -------------------------------------------------------------------- */

static gboolean
has_member (JsonObject *event,
            const char *member,
            const char *value)
{
  return member == NULL ||
         g_strcmp0 (json_object_get_string_member_with_default (event, member, NULL), value) == 0;
}

/* How many events called @name have @member = @value (when given) and
 * @member2 = @value2 (when given). */
static guint
count_events (Program    *program,
              const char *name,
              const char *member,
              const char *value,
              const char *member2,
              const char *value2)
{
  guint n = 0;

  for (guint i = 0; i < program->events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (program->events, i);

      n += has_member (event, "event", name) && has_member (event, member, value) &&
           has_member (event, member2, value2);
    }
  return n;
}

typedef struct
{
  Program *program;
  const char *name, *member, *value, *member2, *value2;
  guint at_least;
} EventWait;

static gboolean
events_seen (gpointer user_data)
{
  EventWait *wait = user_data;

  return count_events (wait->program, wait->name, wait->member, wait->value,
                       wait->member2, wait->value2) >= wait->at_least;
}

static void
wait_events (Program    *program,
             guint       at_least,
             const char *name,
             const char *member,
             const char *value,
             const char *member2,
             const char *value2)
{
  EventWait wait = { program, name, member, value, member2, value2, at_least };
  g_autofree char *what = g_strdup_printf ("%u %s event(s) %s=%s %s=%s from %s", at_least, name,
                                           member, value, member2, value2, program->name);

  ev_test_wait_until (NULL, events_seen, &wait, PEER_WAIT_MS, what);
}

/* The last event called @name, or NULL. */
static JsonObject *
last_event (Program    *program,
            const char *name)
{
  for (guint i = program->events->len; i > 0; i--)
    {
      JsonObject *event = g_ptr_array_index (program->events, i - 1);

      if (has_member (event, "event", name))
        return event;
    }
  return NULL;
}

/* How many distinct CPs Central has shown in @state. */
static guint
count_cps_in_state (Program    *central,
                    const char *state)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < central->events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (central->events, i);

      if (has_member (event, "event", "cp-state") && has_member (event, "state", state))
        g_hash_table_add (seen, (gpointer) json_object_get_string_member (event, "cp_id"));
    }
  return g_hash_table_size (seen);
}

typedef struct
{
  Program *central;
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
  Program *fleet;
  const char *member;
  gint64 value;
} StatsWait;

static gboolean
stats_reached (gpointer user_data)
{
  StatsWait *wait = user_data;
  JsonObject *stats = last_event (wait->fleet, "stats");

  return stats != NULL && json_object_get_int_member_with_default (stats, wait->member, 0) >= wait->value;
}

static void
wait_stats (Program    *fleet,
            const char *member,
            gint64      value)
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
      Program *program = program_start ("ev-station fleet", dir, argv);

      g_assert_cmpint (program_finish (program), ==, 2);
      g_assert_cmpuint (program->events->len, ==, 0);
      program_free (program);
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

  peer_kafka_publish (kafka, "supply-req", cp_id, json);
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
  Program *broker, *central, *fleet;
  PeerKafka *kafka;
  JsonObject *event;
  const char *supply_id;
  StateWait state_wait;

  g_assert_nonnull (g_getenv ("EV_CENTRAL"));
  g_assert_nonnull (g_getenv ("EV_STATION"));

  broker = program_start ("ev-broker", dir, broker_argv);
  wait_events (broker, 1, "ready", NULL, NULL, NULL, NULL);
  bootstrap = g_strdup (json_object_get_string_member (last_event (broker, "ready"), "bootstrap"));

  {
    const char *argv[] = { g_getenv ("EV_CENTRAL"), "--headless", "--listen", "127.0.0.1:0",
                           "--kafka", bootstrap, "--db", db, NULL };

    central = program_start ("ev-central", dir, argv);
  }
  wait_events (central, 1, "ready", NULL, NULL, NULL, NULL);
  central_address = g_strdup_printf ("127.0.0.1:%" G_GINT64_FORMAT,
                                     json_object_get_int_member (last_event (central, "ready"), "port"));
  kafka = peer_kafka_new (bootstrap);

  {
    const char *argv[] = { g_getenv ("EV_STATION"), "fleet", "--count", count, "--prefix", "TF",
                           "--central", central_address, "--kafka", bootstrap, "--token-dir", tokens,
                           "--stats-interval", "300", "--auto-plug", "200",
                           "--auto-unplug-after", "2500", NULL };

    fleet = program_start ("ev-station fleet", dir, argv);
  }
  wait_events (fleet, 1, "ready", "prefix", "TF", "central", central_address);
  g_assert_cmpint (json_object_get_int_member (last_event (fleet, "ready"), "count"), ==, N_CPS);

  /* Every CP registers over its own TCP link, and its statuses make it
   * ACTIVE in Central. */
  wait_events (central, N_CPS, "cp-registered", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (count_events (central, "cp-registered", "cp_id", "TF00001", NULL, NULL), ==, 1);
  g_assert_cmpuint (count_events (central, "cp-registered", "cp_id", "TF00050", NULL, NULL), ==, 1);
  state_wait = (StateWait) { central, "ACTIVE", N_CPS };
  ev_test_wait_until (NULL, cps_in_state, &state_wait, PEER_WAIT_MS, "every CP ACTIVE in Central");
  wait_stats (fleet, "registered", N_CPS);
  wait_stats (fleet, "links_up", N_CPS);
  wait_stats (fleet, "status_answered", N_CPS);
  event = last_event (fleet, "stats");
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, N_CPS);
  g_assert_true (json_object_has_member (json_object_get_object_member (event, "status_ms"), "p99"));
  g_assert_cmpint (json_object_get_int_member (event, "rss_kib"), >, 0);

  /* A driver's request: Central's start directive makes that CP supply,
   * stream its progress and end with a ticket (auto-unplug). */
  request_id = request_supply (kafka, "TF00007", "fleet-driver");
  wait_events (central, 1, "authorized", "request_id", request_id, NULL, NULL);
  event = NULL;
  for (guint i = 0; i < central->events->len && event == NULL; i++)
    if (has_member (g_ptr_array_index (central->events, i), "request_id", request_id) &&
        has_member (g_ptr_array_index (central->events, i), "event", "authorized"))
      event = g_ptr_array_index (central->events, i);
  supply_id = json_object_get_string_member (event, "supply_id");
  g_assert_cmpstr (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_PROGRESS, 1)->cp_id, ==, "TF00007");
  g_assert_cmpstr (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0)->driver_id, ==,
                   "fleet-driver");
  g_assert_cmpint (peer_kafka_wait_data (kafka, supply_id, EV_SUPPLY_DATA_TICKET, 0)->reason, ==,
                   EV_TICKET_REASON_UNPLUGGED);
  wait_events (central, 1, "ticket", "supply_id", supply_id, NULL, NULL);
  wait_stats (fleet, "directives", 1);
  wait_stats (fleet, "supplies", 1);
  wait_stats (fleet, "tickets", 1);

  /* A dead engine: its monitor reports it, and Central shows BROKEN. */
  program_send (fleet, "kill-engine TF00011");
  wait_events (fleet, 1, "engine-killed", "cp_id", "TF00011", NULL, NULL);
  wait_events (central, 1, "cp-state", "cp_id", "TF00011", "state", "BROKEN");
  wait_stats (fleet, "broken", 1);

  /* A dead monitor: its link closes, and Central shows DISCONNECTED. */
  program_send (fleet, "kill-monitor TF00012");
  wait_events (fleet, 1, "monitor-killed", "cp_id", "TF00012", NULL, NULL);
  wait_events (central, 1, "cp-disconnected", "cp_id", "TF00012", NULL, NULL);
  wait_events (central, 1, "cp-state", "cp_id", "TF00012", "state", "DISCONNECTED");

  /* Revived, it authenticates with the token it kept. */
  program_send (fleet, "revive TF00012");
  wait_events (central, 1, "cp-authenticated", "cp_id", "TF00012", NULL, NULL);
  wait_events (central, 2, "cp-state", "cp_id", "TF00012", "state", "ACTIVE");

  /* Bad commands are errors; the fleet goes on. */
  program_send (fleet, "bogus");
  program_send (fleet, "kill-engine NOPE00001");
  program_send (fleet, "kill-monitor TF00051");
  program_send (fleet, "revive");
  wait_events (fleet, 4, "error", NULL, NULL, NULL, NULL);
  program_send (fleet, "reset");
  program_send (fleet, "stats");
  wait_stats (fleet, "registered", N_CPS);

  program_send (fleet, "quit");
  g_assert_cmpint (program_finish (fleet), ==, 0);
  event = last_event (fleet, "summary");
  g_assert_nonnull (event);
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, N_CPS);
  g_assert_true (json_object_has_member (event, "status_ms"));
  g_assert_true (has_member (g_ptr_array_index (fleet->events, fleet->events->len - 1), "event", "stopped"));

  /* Its links ended with EOT: Central sees every CP go. */
  state_wait = (StateWait) { central, "DISCONNECTED", N_CPS };
  ev_test_wait_until (NULL, cps_in_state, &state_wait, PEER_WAIT_MS, "every CP DISCONNECTED");

  program_send (central, "quit");
  g_assert_cmpint (program_finish (central), ==, 0);
  peer_kafka_free (kafka);
  g_assert_cmpint (program_finish (broker), ==, 0);
  program_free (fleet);
  program_free (central);
  program_free (broker);
  ev_test_rm_rf (dir);
}

/* A run of fixed length outlives the end of its input: `--seconds 2
 * </dev/null` runs until the time is up, then prints its summary. */
static void
test_seconds (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  const char *argv[] = {
    g_getenv ("EV_STATION"), "fleet", "--count", "3", "--central", "127.0.0.1:9",
    "--kafka", "127.0.0.1:9", "--token-dir", tokens, "--seconds", "2", NULL
  };
  Program *fleet;
  JsonObject *summary;

  g_assert_nonnull (argv[0]);
  fleet = program_start ("ev-station fleet", dir, argv);
  g_assert_cmpint (program_finish (fleet), ==, 0);
  summary = last_event (fleet, "summary");
  g_assert_nonnull (summary);
  g_assert_cmpfloat (json_object_get_double_member (summary, "t"), >=, 2.0);
  g_assert_cmpint (json_object_get_int_member (summary, "count"), ==, 3);
  program_free (fleet);
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

  return g_test_run ();
}

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ev-broker-launch.h"
#include "ev-bus.h"
#include "ev-discovery.h"
#include "ev-mock-cluster.h"
#include "ev-topics.h"
#include "test-utils.h"

/* Generous: consumer groups take seconds to form on the mock cluster. */
#define WAIT_MS 60000

static char *runtime_dir;

/* The real ev-broker, driven through its stdin and read on its stdout. */
typedef struct
{
  GSubprocess *process;
  GOutputStream *commands;
  GDataInputStream *events;
  GCancellable *cancellable;
  GQueue queue;               /* JsonObject *, oldest first */
  gboolean eof;
  gboolean exited;
  char *bootstrap;
  GPid pid;
} Broker;

static void read_event_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
read_next_event (Broker *broker)
{
  g_data_input_stream_read_line_async (broker->events, G_PRIORITY_DEFAULT,
                                       broker->cancellable, read_event_cb, broker);
}

static void
read_event_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Broker *broker = user_data;
  JsonNode *root;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_no_error (error);

  if (line == NULL)
    {
      broker->eof = TRUE;
      return;
    }

  /* Every line on stdout is one JSON object with an "event". */
  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_true (json_object_has_member (json_node_get_object (root), "event"));
  g_queue_push_tail (&broker->queue, json_object_ref (json_node_get_object (root)));

  read_next_event (broker);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Broker *broker = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  broker->exited = TRUE;
}

typedef struct
{
  Broker *broker;
  const char *name;
  JsonObject *found;
} EventWait;

static gboolean
event_arrived (gpointer user_data)
{
  EventWait *wait = user_data;

  for (GList *l = wait->broker->queue.head; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member (l->data, "event"), wait->name) == 0)
      {
        wait->found = l->data;
        g_queue_delete_link (&wait->broker->queue, l);
        return TRUE;
      }

  /* The broker is gone without it: stop waiting, the caller fails. */
  return wait->broker->eof;
}

static JsonObject *
broker_wait_event (Broker     *broker,
                   const char *name)
{
  EventWait wait = { broker, name, NULL };

  ev_test_wait_until (NULL, event_arrived, &wait, WAIT_MS, name);
  if (wait.found == NULL)
    g_error ("ev-broker ended its output without a “%s” event", name);

  return wait.found;
}

static void
broker_send (Broker     *broker,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  g_output_stream_write_all (broker->commands, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
broker_start_full (Broker     *broker,
                   const char *extra_arg)
{
  g_autoptr(GError) error = NULL;
  const char *path = g_getenv ("EV_BROKER");

  g_assert_nonnull (path);
  memset (broker, 0, sizeof *broker);
  g_queue_init (&broker->queue);
  broker->cancellable = g_cancellable_new ();
  broker->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                      &error, path, "--headless", extra_arg, NULL);
  g_assert_no_error (error);
  broker->commands = g_subprocess_get_stdin_pipe (broker->process);
  broker->events = g_data_input_stream_new (g_subprocess_get_stdout_pipe (broker->process));
  g_subprocess_wait_async (broker->process, NULL, wait_cb, broker);
  read_next_event (broker);
}

static void
broker_start (Broker *broker)
{
  JsonObject *ready;

  broker_start_full (broker, NULL);
  ready = broker_wait_event (broker, "ready");
  broker->bootstrap = g_strdup (json_object_get_string_member (ready, "bootstrap"));
  broker->pid = json_object_get_int_member (ready, "pid");
  json_object_unref (ready);

  g_assert_true (g_str_has_prefix (broker->bootstrap, "127.0.0.1:"));
  g_assert_cmpint (broker->pid, ==, atoi (g_subprocess_get_identifier (broker->process)));
}

/* Waits for the broker to exit, which must be cleanly (status 0). */
static void
broker_wait_exit (Broker *broker,
                  int     expected_status)
{
  ev_test_wait_flag (NULL, &broker->exited, WAIT_MS, "ev-broker to exit");
  g_assert_true (g_subprocess_get_if_exited (broker->process));
  g_assert_cmpint (g_subprocess_get_exit_status (broker->process), ==, expected_status);
}

static void
broker_free (Broker *broker)
{
  g_cancellable_cancel (broker->cancellable);
  if (!broker->exited)
    {
      g_subprocess_force_exit (broker->process);
      ev_test_wait_flag (NULL, &broker->exited, WAIT_MS, "ev-broker to die");
    }
  /* Let the cancelled read report before its stream goes. */
  ev_test_sleep_spinning (NULL, 10);
  g_queue_clear_full (&broker->queue, (GDestroyNotify) json_object_unref);
  g_clear_object (&broker->events);
  g_clear_object (&broker->cancellable);
  g_clear_pointer (&broker->bootstrap, g_free);
  g_assert_finalize_object (g_steal_pointer (&broker->process));
}

static char *
discovery_file (void)
{
  return g_build_filename (runtime_dir, "evcharging", "broker", NULL);
}

/* Runs a command to completion; returns its stdout, asserts it succeeded. */
static char *
run (const char * const *argv,
     const char         *input)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;

  process = g_subprocess_newv (argv,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                               (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0),
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("%s failed:\n%s\n%s", argv[0], out, err);

  return out;
}

static const char *
kcat_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_find_program_in_path ("kcat");
  if (path == NULL)
    g_error ("kcat is not installed (Debian package kcat; ./run test installs it)");

  return path;
}

static void
test_ready_and_discovery (void)
{
  g_autofree char *path = discovery_file ();
  g_autofree char *found = NULL;
  g_autofree char *from_bus = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *event;
  JsonArray *topics;
  Broker broker;
  GPid pid = 0;

  broker_start (&broker);

  /* Announced by the time it says it is ready. */
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  found = ev_discovery_read (&pid, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, broker.bootstrap);
  g_assert_cmpint (pid, ==, broker.pid);
  from_bus = ev_bus_default_bootstrap (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (from_bus, ==, broker.bootstrap);

  broker_send (&broker, "status");
  event = broker_wait_event (&broker, "status");
  g_assert_cmpstr (json_object_get_string_member (event, "bootstrap"), ==, broker.bootstrap);
  g_assert_true (json_object_get_boolean_member (event, "up"));
  g_assert_cmpint (json_object_get_int_member (event, "partitions"), ==, EV_MOCK_CLUSTER_DEFAULT_PARTITIONS);
  topics = json_object_get_array_member (event, "topics");
  g_assert_cmpuint (json_array_get_length (topics), ==, 7);
  json_object_unref (event);

  /* A command it does not know is an error event, and it goes on. */
  broker_send (&broker, "frobnicate");
  event = broker_wait_event (&broker, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (event, "message"), "frobnicate"));
  json_object_unref (event);
  broker_send (&broker, "status");
  json_object_unref (broker_wait_event (&broker, "status"));

  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&broker);
}

static void
message_cb (EvBus        *bus,
            EvBusMessage *msg,
            gpointer      user_data)
{
  GPtrArray *values = user_data;
  GBytes *value = ev_bus_message_get_value (msg);

  g_ptr_array_add (values, g_strdup_printf ("%s=%.*s", ev_bus_message_get_key (msg),
                                            (int) g_bytes_get_size (value),
                                            (const char *) g_bytes_get_data (value, NULL)));
  ev_bus_message_done (bus, msg);
}

typedef struct
{
  GPtrArray *values;
  const char *expected;
} ValueWait;

static gboolean
value_received (gpointer user_data)
{
  ValueWait *wait = user_data;

  for (guint i = 0; i < wait->values->len; i++)
    if (g_str_equal (g_ptr_array_index (wait->values, i), wait->expected))
      return TRUE;

  return FALSE;
}

static void
wait_for_value (GPtrArray  *values,
                const char *expected)
{
  ValueWait wait = { values, expected };

  ev_test_wait_until (NULL, value_received, &wait, WAIT_MS, expected);
}

static void
test_bus_round_trip (void)
{
  const char * const topics[] = { "supply-res", NULL };
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  EvBus *producer;
  EvBus *consumer;
  Broker broker;

  broker_start (&broker);

  /* No bootstrap given: both find the broker through discovery. */
  producer = ev_bus_new (NULL, NULL, "test-broker-producer", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ev_bus_get_bootstrap (producer), ==, broker.bootstrap);
  consumer = ev_bus_new (NULL, "test-broker", "test-broker-consumer", NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (consumer, "message", G_CALLBACK (message_cb), values);
  ev_bus_subscribe (consumer, topics, &error);
  g_assert_no_error (error);

  ev_bus_produce (producer, "supply-res", "driver-7", "{\"status\":\"authorized\"}", 23, &error);
  g_assert_no_error (error);
  wait_for_value (values, "driver-7={\"status\":\"authorized\"}");

  g_assert_finalize_object (consumer);
  g_assert_finalize_object (producer);

  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  broker_free (&broker);
}

static void
test_kcat (void)
{
  const char * const topics[] = { "supply-data", NULL };
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *consumed = NULL;
  const char * const *names = ev_topics_get_all ();
  EvBus *bus;
  Broker broker;

  broker_start (&broker);

  {
    const char * const argv[] = { "timeout", "60", kcat_path (), "-b", broker.bootstrap, "-L", NULL };

    listing = run (argv, NULL);
  }
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *line = g_strdup_printf ("topic \"%s\" with %d partitions",
                                               names[i], EV_MOCK_CLUSTER_DEFAULT_PARTITIONS);

      if (strstr (listing, line) == NULL)
        g_error ("kcat -L does not list %s:\n%s", names[i], listing);
    }

  /* kcat → broker → EvBus, and EvBus → broker → kcat. */
  {
    const char * const argv[] = { "timeout", "60", kcat_path (), "-b", broker.bootstrap,
                                  "-P", "-t", "supply-data", "-k", "CP-kcat", NULL };
    g_free (run (argv, "hello from kcat\n"));
  }

  bus = ev_bus_new (NULL, "test-kcat", NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (bus, "message", G_CALLBACK (message_cb), values);
  ev_bus_subscribe (bus, topics, &error);
  g_assert_no_error (error);
  wait_for_value (values, "CP-kcat=hello from kcat");

  ev_bus_produce (bus, "supply-data", "CP-bus", "hello from EvBus", 16, &error);
  g_assert_no_error (error);
  wait_for_value (values, "CP-bus=hello from EvBus");
  g_assert_finalize_object (bus);

  {
    const char * const argv[] = { "timeout", "60", kcat_path (), "-b", broker.bootstrap,
                                  "-C", "-t", "supply-data", "-o", "beginning", "-e",
                                  "-f", "%k=%s\\n", NULL };
    consumed = run (argv, NULL);
  }
  g_assert_nonnull (strstr (consumed, "CP-kcat=hello from kcat\n"));
  g_assert_nonnull (strstr (consumed, "CP-bus=hello from EvBus\n"));

  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  broker_free (&broker);
}

static void
test_kafka_python (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "kafka-python-roundtrip.py", NULL);
  /* Debian's interpreter: python3-kafka is installed for it, whatever
   * python3 comes first in PATH. */
  const char *python = g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
                       ? "/usr/bin/python3" : "python3";
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  Broker broker;

  broker_start (&broker);

  {
    const char * const argv[] = { "timeout", "120", python, script, broker.bootstrap, "supply-req", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                  &out, &err, &status, &error);
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("kafka-python round trip failed (%s):\n%s%s", error->message, out, err);

  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  broker_free (&broker);
}

static gboolean
is_reachable (gpointer user_data)
{
  return ev_bus_get_reachable (user_data);
}

static gboolean
discovery_gone (gpointer user_data)
{
  return !g_file_test (user_data, G_FILE_TEST_EXISTS);
}

static gboolean
is_unreachable (gpointer user_data)
{
  return !ev_bus_get_reachable (user_data);
}

static void
test_down_up (void)
{
  g_autoptr(GError) error = NULL;
  JsonObject *event;
  EvBus *bus;
  Broker broker;

  broker_start (&broker);
  bus = ev_bus_new (broker.bootstrap, NULL, "test-down-up", NULL, &error);
  g_assert_no_error (error);
  ev_test_wait_until (NULL, is_reachable, bus, WAIT_MS, "reachable");

  broker_send (&broker, "down");
  json_object_unref (broker_wait_event (&broker, "broker-down"));
  ev_test_wait_until (NULL, is_unreachable, bus, WAIT_MS, "unreachable");
  broker_send (&broker, "status");
  event = broker_wait_event (&broker, "status");
  g_assert_false (json_object_get_boolean_member (event, "up"));
  json_object_unref (event);

  broker_send (&broker, "up");
  json_object_unref (broker_wait_event (&broker, "broker-up"));
  ev_test_wait_until (NULL, is_reachable, bus, WAIT_MS, "reachable again");

  g_assert_finalize_object (bus);
  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  broker_free (&broker);
}

/* `produce-errors N` keeps what producers send from the broker, retried
 * and neither delivered nor given up on, until `produce-errors 0`. */
static void
test_produce_errors (void)
{
  const char * const bad[] = { "produce-errors", "produce-errors -1", "produce-errors x",
                               "produce-errors 1000001", "produce-errorsx 1" };
  g_autoptr(GError) error = NULL;
  EvTestDelivery delivery = { FALSE, NULL };
  JsonObject *event;
  EvBus *bus;
  Broker broker;

  broker_start (&broker);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      broker_send (&broker, bad[i]);
      json_object_unref (broker_wait_event (&broker, "error"));
    }

  broker_send (&broker, "produce-errors 100000");
  event = broker_wait_event (&broker, "produce-errors");
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, 100000);
  json_object_unref (event);

  bus = ev_bus_new (broker.bootstrap, NULL, "test-produce-errors", NULL, &error);
  g_assert_no_error (error);
  ev_bus_produce_full (bus, "supply-res", "driver-1", "{}", 2, ev_test_delivery_cb, &delivery, NULL, &error);
  g_assert_no_error (error);
  /* A while to show that nothing comes (librdkafka retries every 100 ms). */
  ev_test_sleep_spinning (NULL, 1500);
  g_assert_false (delivery.done);

  broker_send (&broker, "produce-errors 0");
  event = broker_wait_event (&broker, "produce-errors");
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, 0);
  json_object_unref (event);
  ev_test_wait_flag (NULL, &delivery.done, WAIT_MS, "the delivery report");
  g_assert_no_error (delivery.error);

  g_assert_finalize_object (bus);
  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  broker_free (&broker);
}

static void
test_sigterm (void)
{
  g_autofree char *path = discovery_file ();
  Broker broker;

  broker_start (&broker);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_subprocess_send_signal (broker.process, SIGTERM);
  broker_wait_exit (&broker, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&broker);
}

static void
test_stdin_eof (void)
{
  g_autofree char *path = discovery_file ();
  g_autoptr(GError) error = NULL;
  Broker broker;

  broker_start (&broker);
  g_output_stream_close (broker.commands, NULL, &error);
  g_assert_no_error (error);
  broker_wait_exit (&broker, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&broker);
}

static void
test_detached (void)
{
  g_autofree char *path = discovery_file ();
  g_autoptr(GError) error = NULL;
  g_autoptr(EvBus) bus = NULL;
  Broker broker;
  JsonObject *ready;

  /* Programs start the broker detached: their exit (stdin closing) must
   * not take it down; only a signal stops it. */
  broker_start_full (&broker, "--detached");
  ready = broker_wait_event (&broker, "ready");
  broker.bootstrap = g_strdup (json_object_get_string_member (ready, "bootstrap"));
  json_object_unref (ready);
  g_output_stream_close (broker.commands, NULL, &error);
  g_assert_no_error (error);

  ev_test_sleep_spinning (NULL, 500);
  g_assert_false (broker.exited);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  bus = ev_bus_new (broker.bootstrap, NULL, "test-detached", NULL, &error);
  g_assert_no_error (error);
  ev_test_wait_until (NULL, is_reachable, bus, WAIT_MS, "the detached broker to be reachable");
  g_clear_object (&bus);

  g_subprocess_send_signal (broker.process, SIGTERM);
  broker_wait_exit (&broker, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&broker);
}

static void
test_ensure (void)
{
  g_autofree char *path = discovery_file ();
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *announced = NULL;
  g_autoptr(EvBus) bus = NULL;
  GPid pid = 0;

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* None runs: one is started, detached, and announced. */
  first = ev_broker_ensure (g_getenv ("EV_BROKER"), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "127.0.0.1:"));
  announced = ev_discovery_read (&pid, NULL);
  g_assert_cmpstr (announced, ==, first);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (pid, !=, getpid ());

  /* One runs: it is reused, not started again. */
  second = ev_broker_ensure (g_getenv ("EV_BROKER"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, first);

  bus = ev_bus_new (first, NULL, "test-ensure", NULL, &error);
  g_assert_no_error (error);
  ev_test_wait_until (NULL, is_reachable, bus, WAIT_MS, "the started broker to be reachable");
  g_clear_object (&bus);

  /* It is a separate process that only a signal stops. */
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  ev_test_wait_until (NULL, discovery_gone, path, WAIT_MS, "the started broker to withdraw");
}

static void
test_ensure_missing_program (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bootstrap = NULL;

  bootstrap = ev_broker_ensure ("/nonexistent/ev-broker", &error);
  g_assert_null (bootstrap);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ev-broker"));
}

static void
test_second_broker_refused (void)
{
  g_autofree char *path = discovery_file ();
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;
  Broker first;
  Broker second;

  broker_start (&first);

  /* One embedded broker per user: clients would not know which to use. */
  broker_start_full (&second, NULL);
  json_object_unref (broker_wait_event (&second, "error"));
  broker_wait_exit (&second, 1);
  broker_free (&second);

  found = ev_discovery_read (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, first.bootstrap);

  broker_send (&first, "quit");
  broker_wait_exit (&first, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&first);
}

static GPid
dead_pid (void)
{
  const char * const argv[] = { "true", NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  /* Reaped by hand: GSubprocess forgets the pid of a process that ended. */
  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);

  return pid;
}

static void
test_stale_discovery (void)
{
  g_autofree char *path = discovery_file ();
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;
  GPid gone = dead_pid ();
  EvBus *bus;
  Broker broker;

  found = ev_discovery_read (NULL, &error);
  g_assert_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A broker that crashed left its file behind: that is no broker. */
  ev_discovery_write ("127.0.0.1:9", gone, &error);
  g_assert_no_error (error);
  found = ev_discovery_read (NULL, &error);
  g_assert_null (found);
  g_assert_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_STALE);
  g_clear_error (&error);
  bus = ev_bus_new (NULL, NULL, NULL, NULL, &error);
  g_assert_null (bus);
  g_assert_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_STALE);
  g_clear_error (&error);

  /* Garbage is reported as such. */
  g_file_set_contents (path, "not json", -1, &error);
  g_assert_no_error (error);
  found = ev_discovery_read (NULL, &error);
  g_assert_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_INVALID);
  g_clear_error (&error);

  /* A new broker replaces the stale announcement. */
  ev_discovery_write ("127.0.0.1:9", gone, &error);
  g_assert_no_error (error);
  broker_start (&broker);
  found = ev_discovery_read (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, broker.bootstrap);

  /* Only the announcing process withdraws it. */
  g_assert_true (ev_discovery_remove (gone, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  broker_send (&broker, "quit");
  broker_wait_exit (&broker, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  broker_free (&broker);
}

/* In a Flatpak sandbox another instance's broker has a pid this process
 * cannot see: an address that answers still counts as a live broker. */
static void
test_discovery_unseen_pid (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bootstrap = NULL;
  g_autofree char *found = NULL;
  GPid gone = dead_pid ();

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  bootstrap = g_strdup_printf ("127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  ev_discovery_write (bootstrap, gone, &error);
  g_assert_no_error (error);
  found = ev_discovery_read (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, bootstrap);

  g_socket_listener_close (listener);
  g_clear_pointer (&found, g_free);
  found = ev_discovery_read (NULL, &error);
  g_assert_null (found);
  g_assert_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_STALE);
  g_assert_true (ev_discovery_remove (gone, NULL));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Before anything asks GLib for it: the brokers started here, and this
   * process's discovery, use a private runtime directory. */
  runtime_dir = ev_test_make_tmpdir ();
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/broker/ready-and-discovery", test_ready_and_discovery);
  g_test_add_func ("/broker/stale-discovery", test_stale_discovery);
  g_test_add_func ("/broker/discovery-unseen-pid", test_discovery_unseen_pid);
  g_test_add_func ("/broker/second-broker-refused", test_second_broker_refused);
  g_test_add_func ("/broker/bus-round-trip", test_bus_round_trip);
  g_test_add_func ("/broker/kcat", test_kcat);
  g_test_add_func ("/broker/kafka-python", test_kafka_python);
  g_test_add_func ("/broker/down-up", test_down_up);
  g_test_add_func ("/broker/produce-errors", test_produce_errors);
  g_test_add_func ("/broker/sigterm", test_sigterm);
  g_test_add_func ("/broker/stdin-eof", test_stdin_eof);
  g_test_add_func ("/broker/detached", test_detached);
  g_test_add_func ("/broker/ensure", test_ensure);
  g_test_add_func ("/broker/ensure-missing-program", test_ensure_missing_program);

  status = g_test_run ();

  ev_test_rm_rf (runtime_dir);
  g_free (runtime_dir);

  return status;
}

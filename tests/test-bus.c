#include "config.h"

#include <signal.h>
#include <string.h>

#include "ev-bus.h"
#include "ev-mock-cluster.h"
#include "ev-topics.h"
#include "test-program.h"
#include "test-utils.h"

/* Generous: joining a consumer group on the mock cluster takes seconds. */
#define WAIT_MS 60000

typedef struct
{
  EvBus *bus;
  GPtrArray *messages;
  guint done_limit;
  guint count_at_caught_up;   /* messages received when EvBus:caught-up was set */
} Consumer;

static gboolean
value_is (EvBusMessage *msg,
          const char   *text)
{
  GBytes *value = ev_bus_message_get_value (msg);
  gsize len;
  const char *data = g_bytes_get_data (value, &len);

  return len == strlen (text) && memcmp (data, text, len) == 0;
}

static char *
value_dup (EvBusMessage *msg)
{
  GBytes *value = ev_bus_message_get_value (msg);

  return g_strndup (g_bytes_get_data (value, NULL), g_bytes_get_size (value));
}

/* Stands for an application: a message whose value is "poison" cannot be
 * parsed and is skipped; the others are "stored" and marked done, up to
 * done_limit of them (the rest are received but never finished). */
static void
message_cb (EvBus        *bus,
            EvBusMessage *msg,
            gpointer      user_data)
{
  Consumer *consumer = user_data;

  g_ptr_array_add (consumer->messages, ev_bus_message_ref (msg));

  if (value_is (msg, "poison"))
    ev_bus_message_skip (bus, msg, "not JSON");
  else if (consumer->messages->len <= consumer->done_limit)
    ev_bus_message_done (bus, msg);
}

static void
consumer_start_at (Consumer           *consumer,
                   const char         *bootstrap,
                   const char         *group_id,
                   gboolean            reader,
                   const char * const *topics)
{
  g_autoptr(GError) error = NULL;

  if (reader)
    consumer->bus = ev_bus_new_reader (bootstrap, "test-reader", NULL, &error);
  else
    consumer->bus = ev_bus_new (bootstrap, group_id, "test-consumer", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (consumer->bus);

  consumer->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_bus_message_unref);
  if (consumer->done_limit == 0)
    consumer->done_limit = G_MAXUINT;
  g_signal_connect (consumer->bus, "message", G_CALLBACK (message_cb), consumer);

  ev_bus_subscribe (consumer->bus, topics, &error);
  g_assert_no_error (error);
}

static void
consumer_start (Consumer           *consumer,
                EvMockCluster      *cluster,
                const char         *group_id,
                gboolean            reader,
                const char * const *topics)
{
  consumer_start_at (consumer, ev_mock_cluster_get_bootstrap (cluster), group_id, reader, topics);
}

static void
consumer_stop (Consumer *consumer)
{
  g_clear_pointer (&consumer->messages, g_ptr_array_unref);
  g_assert_finalize_object (g_steal_pointer (&consumer->bus));
}

typedef struct
{
  Consumer *consumer;
  guint count;
} CountWait;

static gboolean
received_at_least (gpointer user_data)
{
  CountWait *wait = user_data;

  return wait->consumer->messages->len >= wait->count;
}

static void
wait_for_messages (Consumer *consumer,
                   guint     count)
{
  CountWait wait = { consumer, count };

  ev_test_wait_until (NULL, received_at_least, &wait, WAIT_MS, "messages");
}

static gboolean
is_reachable (gpointer user_data)
{
  return ev_bus_get_reachable (user_data);
}

static gboolean
is_unreachable (gpointer user_data)
{
  return !ev_bus_get_reachable (user_data);
}

static EvBus *
producer_new (EvMockCluster *cluster)
{
  g_autoptr(GError) error = NULL;
  EvBus *bus;

  bus = ev_bus_new (ev_mock_cluster_get_bootstrap (cluster), NULL, "test-producer", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bus);

  return bus;
}

static void
produce (EvBus      *bus,
         const char *topic,
         const char *key,
         const char *value)
{
  g_autoptr(GError) error = NULL;

  ev_bus_produce (bus, topic, key, value, strlen (value), &error);
  g_assert_no_error (error);
}

static gboolean
all_delivered (gpointer user_data)
{
  return ev_bus_get_pending (user_data) == 0;
}

static EvMockCluster *
cluster_new (void)
{
  g_autoptr(GError) error = NULL;
  EvMockCluster *cluster;

  cluster = ev_mock_cluster_new (EV_MOCK_CLUSTER_DEFAULT_PARTITIONS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cluster);

  return cluster;
}

static void
test_cluster_new_destroy (void)
{
  EvMockCluster *cluster = cluster_new ();
  const char *bootstrap = ev_mock_cluster_get_bootstrap (cluster);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (bootstrap, "127.0.0.1:"));
  g_assert_cmpint (ev_mock_cluster_get_partitions (cluster), ==, EV_MOCK_CLUSTER_DEFAULT_PARTITIONS);
  g_assert_cmpuint (g_strv_length ((char **) ev_topics_get_all ()), ==, 7);
  g_assert_true (g_strv_contains (ev_topics_get_all (), "cp-states"));
  g_assert_true (ev_mock_cluster_get_up (cluster));

  g_assert_true (ev_mock_cluster_set_down (cluster, &error));
  g_assert_no_error (error);
  g_assert_false (ev_mock_cluster_get_up (cluster));
  g_assert_true (ev_mock_cluster_set_up (cluster, &error));
  g_assert_no_error (error);
  g_assert_true (ev_mock_cluster_get_up (cluster));

  g_assert_finalize_object (cluster);
}

static void
test_round_trip (void)
{
  const char * const topics[] = { "supply-req", NULL };
  EvMockCluster *cluster = cluster_new ();
  EvBus *producer = producer_new (cluster);
  Consumer consumer = { 0 };
  const char *value = "{\"v\":1,\"cp_id\":\"CP1\"}";
  gint64 before = g_get_real_time () / 1000;
  EvBusMessage *msg;

  g_assert_null (ev_bus_get_group_id (producer));

  consumer_start (&consumer, cluster, "test-round-trip", FALSE, topics);
  produce (producer, "supply-req", "CP1", value);

  wait_for_messages (&consumer, 1);
  msg = g_ptr_array_index (consumer.messages, 0);
  g_assert_cmpstr (ev_bus_message_get_topic (msg), ==, "supply-req");
  g_assert_cmpstr (ev_bus_message_get_key (msg), ==, "CP1");
  g_assert_true (value_is (msg, value));
  g_assert_cmpint (ev_bus_message_get_partition (msg), >=, 0);
  g_assert_cmpint (ev_bus_message_get_partition (msg), <, EV_MOCK_CLUSTER_DEFAULT_PARTITIONS);
  g_assert_cmpint (ev_bus_message_get_offset (msg), ==, 0);
  g_assert_cmpint (ev_bus_message_get_timestamp (msg), >=, before - 1000);
  g_assert_cmpint (ev_bus_message_get_timestamp (msg), <=, g_get_real_time () / 1000 + 1000);
  g_assert_cmpuint (ev_bus_get_delivery_failures (producer), ==, 0);

  consumer_stop (&consumer);
  g_assert_finalize_object (producer);
  g_assert_finalize_object (cluster);
}

static void
test_group_resume (void)
{
  const char * const topics[] = { "supply-data", NULL };
  EvMockCluster *cluster = cluster_new ();
  EvBus *producer = producer_new (cluster);
  Consumer a = { .done_limit = 3 };
  Consumer b = { 0 };

  /* One key: one partition, so the order is the production order. */
  for (guint i = 1; i <= 6; i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", i);

      produce (producer, "supply-data", "CP1", value);
    }
  ev_test_wait_until (NULL, all_delivered, producer, WAIT_MS, "delivery");

  /* A receives all six but only finishes the first three. */
  consumer_start (&a, cluster, "test-resume", FALSE, topics);
  wait_for_messages (&a, 6);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *expected = g_strdup_printf ("%u", i + 1);

      g_assert_true (value_is (g_ptr_array_index (a.messages, i), expected));
    }
  consumer_stop (&a);

  /* B, in the same group, gets exactly the three A did not finish. */
  consumer_start (&b, cluster, "test-resume", FALSE, topics);
  wait_for_messages (&b, 3);
  ev_test_sleep_spinning (NULL, 500);
  g_assert_cmpuint (b.messages->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *value = value_dup (g_ptr_array_index (b.messages, i));
      g_autofree char *expected = g_strdup_printf ("%u", i + 4);

      g_assert_cmpstr (value, ==, expected);
    }
  consumer_stop (&b);

  g_assert_finalize_object (producer);
  g_assert_finalize_object (cluster);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_poison_skipped (void)
{
  const char * const topics[] = { "supply-req", NULL };
  EvMockCluster *cluster = cluster_new ();
  EvBus *producer = producer_new (cluster);
  Consumer consumer = { 0 };
  Consumer again = { 0 };
  guint notified = 0;

  produce (producer, "supply-req", "CP1", "first");
  produce (producer, "supply-req", "CP1", "poison");
  produce (producer, "supply-req", "CP1", "second");

  consumer_start (&consumer, cluster, "test-poison", FALSE, topics);
  g_signal_connect (consumer.bus, "notify::skipped", G_CALLBACK (notify_cb), &notified);
  wait_for_messages (&consumer, 3);
  g_assert_true (value_is (g_ptr_array_index (consumer.messages, 0), "first"));
  g_assert_true (value_is (g_ptr_array_index (consumer.messages, 2), "second"));
  g_assert_cmpuint (ev_bus_get_skipped (consumer.bus), ==, 1);
  g_assert_cmpuint (notified, ==, 1);
  consumer_stop (&consumer);

  /* The poison message was marked done like the others: a restarted
   * member starts after it instead of choking on it again. */
  produce (producer, "supply-req", "CP1", "third");
  consumer_start (&again, cluster, "test-poison", FALSE, topics);
  wait_for_messages (&again, 1);
  g_assert_true (value_is (g_ptr_array_index (again.messages, 0), "third"));
  g_assert_cmpuint (ev_bus_get_skipped (again.bus), ==, 0);
  consumer_stop (&again);

  g_assert_finalize_object (producer);
  g_assert_finalize_object (cluster);
}

/* The topics a cluster lacks, asked without creating them: a cluster that
 * creates topics on demand would otherwise create them with its own
 * defaults (the mock cluster does, for a topic named in a request). */
static void
test_missing_topics (void)
{
  EvMockCluster *cluster = cluster_new ();
  const char * const wanted[] = { "supply-req", "ev-test-nowhere", "cp-states", "ev-test-nothing", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) missing = NULL;
  g_auto(GStrv) again = NULL;
  EvBus *bus;

  bus = ev_bus_new (ev_mock_cluster_get_bootstrap (cluster), NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  missing = ev_bus_list_missing_topics (bus, ev_topics_get_all (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (missing), ==, 0);
  g_clear_pointer (&missing, g_strfreev);

  missing = ev_bus_list_missing_topics (bus, wanted, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (missing, ((const char * const[]) { "ev-test-nowhere", "ev-test-nothing", NULL }));
  again = ev_bus_list_missing_topics (bus, wanted, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (again, missing);

  g_assert_finalize_object (bus);
  g_assert_finalize_object (cluster);
}

static void
test_overrides (void)
{
  EvMockCluster *cluster = cluster_new ();
  const char *bootstrap = ev_mock_cluster_get_bootstrap (cluster);
  const char * const overrides[] = { "linger.ms=20", "fetch.wait.max.ms=50", NULL };
  const char * const unknown[] = { "no.such.property=1", NULL };
  const char * const invalid[] = { "acks=banana", NULL };
  const char * const malformed[] = { "linger.ms", NULL };
  g_autoptr(GError) error = NULL;
  EvBus *bus;
  char *value;

  /* Our defaults first... */
  bus = ev_bus_new (bootstrap, "test-overrides", NULL, NULL, &error);
  g_assert_no_error (error);
  value = ev_bus_dup_producer_config (bus, "linger.ms");
  g_assert_cmpstr (value, ==, "2");
  g_free (value);
  value = ev_bus_dup_producer_config (bus, "enable.idempotence");
  g_assert_cmpstr (value, ==, "true");
  g_free (value);
  value = ev_bus_dup_consumer_config (bus, "enable.auto.offset.store");
  g_assert_cmpstr (value, ==, "false");
  g_free (value);
  value = ev_bus_dup_consumer_config (bus, "session.timeout.ms");
  g_assert_cmpstr (value, ==, "6000");
  g_free (value);
  /* A broker that stops answering with its connection open is noticed
   * in seconds, not a minute (tests/e2e/multihost.py). */
  value = ev_bus_dup_consumer_config (bus, "socket.timeout.ms");
  g_assert_cmpstr (value, ==, "10000");
  g_free (value);
  g_assert_finalize_object (bus);

  /* ...then the command line, which wins. */
  bus = ev_bus_new (bootstrap, "test-overrides", "custom-id", overrides, &error);
  g_assert_no_error (error);
  value = ev_bus_dup_producer_config (bus, "linger.ms");
  g_assert_cmpstr (value, ==, "20");
  g_free (value);
  value = ev_bus_dup_consumer_config (bus, "fetch.wait.max.ms");
  g_assert_cmpstr (value, ==, "50");
  g_free (value);
  value = ev_bus_dup_consumer_config (bus, "client.id");
  g_assert_cmpstr (value, ==, "custom-id");
  g_free (value);
  g_assert_finalize_object (bus);

  bus = ev_bus_new (bootstrap, NULL, NULL, unknown, &error);
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG);
  g_assert_null (bus);
  g_assert_nonnull (strstr (error->message, "no.such.property"));
  g_clear_error (&error);

  bus = ev_bus_new (bootstrap, "test-overrides", NULL, invalid, &error);
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG);
  g_assert_null (bus);
  g_assert_nonnull (strstr (error->message, "banana"));
  g_clear_error (&error);

  bus = ev_bus_new (bootstrap, NULL, NULL, malformed, &error);
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG);
  g_assert_null (bus);
  g_clear_error (&error);

  g_assert_finalize_object (cluster);
}

static void
test_broker_outage (void)
{
  const char * const topics[] = { "supply-res", NULL };
  EvMockCluster *cluster = cluster_new ();
  EvBus *producer = producer_new (cluster);
  Consumer consumer = { 0 };
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  consumer_start (&consumer, cluster, "test-outage", FALSE, topics);
  g_signal_connect (consumer.bus, "notify::reachable", G_CALLBACK (notify_cb), &notified);

  /* Up and running: connected and a first message through. */
  produce (producer, "supply-res", "driver-1", "before");
  wait_for_messages (&consumer, 1);
  ev_test_wait_until (NULL, is_reachable, consumer.bus, WAIT_MS, "consumer reachable");
  ev_test_wait_until (NULL, is_reachable, producer, WAIT_MS, "producer reachable");
  notified = 0;

  ev_mock_cluster_set_down (cluster, &error);
  g_assert_no_error (error);
  ev_test_wait_until (NULL, is_unreachable, consumer.bus, WAIT_MS, "consumer unreachable");
  ev_test_wait_until (NULL, is_unreachable, producer, WAIT_MS, "producer unreachable");
  g_assert_cmpuint (notified, ==, 1);

  /* Accepted without blocking, delivered once the broker is back. */
  produce (producer, "supply-res", "driver-1", "during");
  g_assert_cmpuint (consumer.messages->len, ==, 1);

  ev_mock_cluster_set_up (cluster, &error);
  g_assert_no_error (error);
  ev_test_wait_until (NULL, is_reachable, consumer.bus, WAIT_MS, "consumer reachable again");
  ev_test_wait_until (NULL, is_reachable, producer, WAIT_MS, "producer reachable again");
  g_assert_cmpuint (notified, ==, 2);

  wait_for_messages (&consumer, 2);
  g_assert_true (value_is (g_ptr_array_index (consumer.messages, 1), "during"));
  g_assert_cmpuint (ev_bus_get_delivery_failures (producer), ==, 0);

  consumer_stop (&consumer);
  g_assert_finalize_object (producer);
  g_assert_finalize_object (cluster);
}

static gboolean
caught_up (gpointer bus)
{
  return ev_bus_get_caught_up (bus);
}

static void
note_count_cb (EvBus      *bus,
               GParamSpec *pspec,
               Consumer   *consumer)
{
  consumer->count_at_caught_up = consumer->messages->len;
}

static void
test_reader (void)
{
  const char * const topics[] = { "cp-states", NULL };
  EvMockCluster *cluster = cluster_new ();
  EvBus *producer = producer_new (cluster);
  Consumer first = { 0 };
  Consumer second = { 0 };
  gboolean seen[3] = { FALSE, FALSE, FALSE };

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("CP%u", i);
      g_autofree char *value = g_strdup_printf ("{\"cp_id\":\"CP%u\",\"state\":\"ACTIVE\"}", i);

      produce (producer, "cp-states", key, value);
    }
  ev_test_wait_until (NULL, all_delivered, producer, WAIT_MS, "delivery");

  /* Started after the fact, a reader still sees every earlier message. */
  consumer_start (&first, cluster, NULL, TRUE, topics);
  g_assert_true (ev_bus_get_no_commit (first.bus));
  wait_for_messages (&first, 3);
  for (guint i = 0; i < first.messages->len; i++)
    {
      const char *key = ev_bus_message_get_key (g_ptr_array_index (first.messages, i));

      g_assert_nonnull (key);
      g_assert_true (g_str_has_prefix (key, "CP"));
      seen[key[2] - '0'] = TRUE;
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);
  consumer_stop (&first);

  /* Another reader, started later, also gets everything, and says when
   * it has: caught up only once all three arrived. */
  consumer_start (&second, cluster, NULL, TRUE, topics);
  g_signal_connect (second.bus, "notify::caught-up", G_CALLBACK (note_count_cb), &second);
  ev_test_wait_until (NULL, caught_up, second.bus, WAIT_MS, "the reader to catch up");
  g_assert_cmpuint (second.count_at_caught_up, ==, 3);
  g_assert_cmpuint (second.messages->len, ==, 3);
  consumer_stop (&second);

  /* Nothing to read is caught up too, once its partitions are known. */
  {
    const char * const empty[] = { "supply-error", NULL };
    Consumer third = { 0 };

    consumer_start (&third, cluster, NULL, TRUE, empty);
    ev_test_wait_until (NULL, caught_up, third.bus, WAIT_MS, "the reader of an empty topic to catch up");
    g_assert_cmpuint (third.messages->len, ==, 0);
    consumer_stop (&third);
  }

  g_assert_finalize_object (producer);
  g_assert_finalize_object (cluster);
}

static void
test_producer_only (void)
{
  EvMockCluster *cluster = cluster_new ();
  EvBus *bus = producer_new (cluster);
  const char * const topics[] = { "supply-req", NULL };
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (ev_bus_get_bootstrap (bus), ==, ev_mock_cluster_get_bootstrap (cluster));
  g_assert_false (ev_bus_get_no_commit (bus));
  g_assert_false (ev_bus_subscribe (bus, topics, &error));
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_FAILED);
  g_clear_error (&error);

  ev_test_wait_until (NULL, is_reachable, bus, WAIT_MS, "reachable");

  ev_bus_close (bus);
  g_assert_false (ev_bus_produce (bus, "supply-req", NULL, "x", 1, &error));
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CLOSED);

  g_assert_finalize_object (bus);
  g_assert_finalize_object (cluster);
}

typedef struct
{
  guint called;
  guint freed;
  GError *error;
} Report;

static void
delivered_cb (EvBus        *bus,
              const GError *error,
              gpointer      user_data)
{
  Report *report = user_data;

  report->called++;
  g_clear_error (&report->error);
  report->error = error != NULL ? g_error_copy (error) : NULL;
}

static void
report_freed (gpointer user_data)
{
  ((Report *) user_data)->freed++;
}

static gboolean
report_freed_once (gpointer user_data)
{
  return ((Report *) user_data)->freed == 1;
}

/* ev_bus_produce_full(): the delivery report, good or bad, reaches the
 * caller once on the main context; a bus closed first never calls, and
 * frees the caller's data. */
static void
test_delivery_report (void)
{
  const char * const overrides[] = { "message.timeout.ms=1500", NULL };
  EvMockCluster *cluster = cluster_new ();
  g_autoptr(GError) error = NULL;
  Report delivered = { 0 }, lost = { 0 }, pending = { 0 }, closed = { 0 };
  EvBus *bus;

  bus = ev_bus_new (ev_mock_cluster_get_bootstrap (cluster), NULL, "test-producer", overrides, &error);
  g_assert_no_error (error);

  g_assert_true (ev_bus_produce_full (bus, "supply-data", "CP1", "a", 1, delivered_cb, &delivered,
                                      report_freed, &error));
  ev_test_wait_until (NULL, report_freed_once, &delivered, WAIT_MS, "the delivery report");
  g_assert_cmpuint (delivered.called, ==, 1);
  g_assert_no_error (delivered.error);

  g_assert_true (ev_mock_cluster_set_down (cluster, &error));
  g_assert_true (ev_bus_produce_full (bus, "supply-data", "CP1", "b", 1, delivered_cb, &lost,
                                      report_freed, &error));
  ev_test_wait_until (NULL, report_freed_once, &lost, WAIT_MS, "the failure report");
  g_assert_cmpuint (lost.called, ==, 1);
  g_assert_nonnull (lost.error);
  g_assert_cmpuint (ev_bus_get_delivery_failures (bus), ==, 1);

  g_assert_true (ev_bus_produce_full (bus, "supply-data", "CP1", "c", 1, delivered_cb, &pending,
                                      report_freed, &error));
  ev_bus_close (bus);
  g_assert_cmpuint (pending.called, ==, 0);
  g_assert_cmpuint (pending.freed, ==, 1);
  g_assert_false (ev_bus_produce_full (bus, "supply-data", "CP1", "d", 1, delivered_cb, &closed,
                                       report_freed, &error));
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CLOSED);
  g_assert_cmpuint (closed.called, ==, 0);
  g_assert_cmpuint (closed.freed, ==, 1);

  g_clear_error (&delivered.error);
  g_clear_error (&lost.error);
  g_assert_finalize_object (bus);
  g_assert_finalize_object (cluster);
}

/* ev_bus_flush(): the reports of what reached the broker meanwhile are
 * called before it returns; without a broker it gives up after its
 * timeout, and the report waits. */
static void
test_flush (void)
{
  EvMockCluster *cluster = cluster_new ();
  g_autoptr(GError) error = NULL;
  Report delivered = { 0 }, waiting = { 0 };
  gint64 start;
  EvBus *bus;

  bus = ev_bus_new (ev_mock_cluster_get_bootstrap (cluster), NULL, "test-flush", NULL, &error);
  g_assert_no_error (error);

  g_assert_true (ev_bus_produce_full (bus, "supply-data", "CP1", "a", 1, delivered_cb, &delivered,
                                      report_freed, &error));
  g_assert_true (ev_bus_flush (bus, WAIT_MS));
  g_assert_cmpuint (delivered.called, ==, 1);
  g_assert_cmpuint (delivered.freed, ==, 1);
  g_assert_no_error (delivered.error);

  g_assert_true (ev_mock_cluster_set_down (cluster, &error));
  g_assert_true (ev_bus_produce_full (bus, "supply-data", "CP1", "b", 1, delivered_cb, &waiting,
                                      report_freed, &error));
  start = g_get_monotonic_time ();
  g_assert_false (ev_bus_flush (bus, 300));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (waiting.called, ==, 0);

  ev_bus_close (bus);
  g_assert_false (ev_bus_flush (bus, WAIT_MS));
  g_assert_cmpuint (waiting.called, ==, 0);
  g_assert_cmpuint (waiting.freed, ==, 1);

  g_assert_finalize_object (bus);
  g_assert_finalize_object (cluster);
}

typedef struct
{
  EvBus *bus;
  GMutex lock;
  GCond cond;
  gboolean done;
} Closing;

static gpointer
close_thread (gpointer data)
{
  Closing *closing = data;

  ev_bus_close (closing->bus);
  g_mutex_lock (&closing->lock);
  closing->done = TRUE;
  g_cond_signal (&closing->cond);
  g_mutex_unlock (&closing->lock);
  return NULL;
}

/* A broker that stops answering while its sockets stay open (SIGSTOP, a
 * hung host) must not hold a closing bus: librdkafka's consumer close
 * waits for the group's answers, which never come. The close runs on a
 * thread of the test so that a hang fails the test instead of hanging
 * it; the deadline is generous, the bound is ev-bus.c's. */
static void
test_close_broker_stopped (void)
{
  const char * const topics[] = { "supply-req", NULL };
  g_autofree char *dir = ev_test_make_tmpdir ();
  const char *argv[] = { g_getenv ("EV_BROKER"), "--headless", NULL };
  EvTestProgram *broker = NULL;
  Consumer consumer = { 0 };
  Closing closing = { 0 };
  g_autoptr(GError) error = NULL;
  GThread *thread;
  JsonObject *ready;
  gint64 deadline;
  gboolean done;
  GPid pid;

  g_assert_nonnull (argv[0]);
  broker = ev_test_program_start ("ev-broker", dir, argv);
  ev_test_program_wait (broker, 1, "ready", NULL, NULL, NULL, NULL);
  ready = ev_test_program_last (broker, "ready");
  pid = json_object_get_int_member (ready, "pid");

  consumer_start_at (&consumer, json_object_get_string_member (ready, "bootstrap"), "test-close", FALSE, topics);
  produce (consumer.bus, "supply-req", "CP1", "joined");
  wait_for_messages (&consumer, 1);

  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  g_mutex_init (&closing.lock);
  g_cond_init (&closing.cond);
  closing.bus = consumer.bus;
  thread = g_thread_new ("test-close", close_thread, &closing);
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&closing.lock);
  while (!closing.done && g_cond_wait_until (&closing.cond, &closing.lock, deadline))
    ;
  done = closing.done;
  g_mutex_unlock (&closing.lock);
  if (!done)
    g_error ("ev_bus_close() did not return within 10 s of the broker stopping");
  g_thread_join (thread);
  g_mutex_clear (&closing.lock);
  g_cond_clear (&closing.cond);

  g_assert_false (ev_bus_produce (consumer.bus, "supply-req", NULL, "x", 1, &error));
  g_assert_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CLOSED);
  consumer_stop (&consumer);

  kill (pid, SIGCONT);
  ev_test_program_free (broker);
  ev_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bus/cluster-new-destroy", test_cluster_new_destroy);
  g_test_add_func ("/bus/producer-only", test_producer_only);
  g_test_add_func ("/bus/round-trip", test_round_trip);
  g_test_add_func ("/bus/group-resume", test_group_resume);
  g_test_add_func ("/bus/poison-skipped", test_poison_skipped);
  g_test_add_func ("/bus/overrides", test_overrides);
  g_test_add_func ("/bus/missing-topics", test_missing_topics);
  g_test_add_func ("/bus/broker-outage", test_broker_outage);
  g_test_add_func ("/bus/delivery-report", test_delivery_report);
  g_test_add_func ("/bus/flush", test_flush);
  g_test_add_func ("/bus/reader", test_reader);
  g_test_add_func ("/bus/close-broker-stopped", test_close_broker_stopped);

  return g_test_run ();
}

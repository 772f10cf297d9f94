/*
 * Kafka defaults of every EvBus, applied before the caller's overrides (the
 * `-X key=value` of each program), so the command line always wins:
 *
 * Both handles
 *   statistics.interval.ms=1000  The statistics carry each broker's state;
 *                                they tell when a broker is UP again after an
 *                                outage, and they wake an idle consumer so it
 *                                polls well within max.poll.interval.ms.
 *   reconnect.backoff.max.ms=1000  Measured after a 15 s outage of the mock
 *                                broker: reachable again in 1.8 s and the
 *                                message produced meanwhile delivered in
 *                                3.8 s, against 3.4 s and 10.7 s with the
 *                                default 10000. One reconnect attempt a
 *                                second during an outage costs nothing.
 *   socket.nagle.disable=true    Small messages leave at once instead of
 *                                waiting for the previous segment's ACK (no
 *                                effect measurable on localhost; it matters
 *                                on a real network).
 *   socket.timeout.ms=10000      A broker that stops answering with its
 *                                connection open (a cable pulled, a host or
 *                                network cut off: no FIN, no reset) is
 *                                noticed when a request times out: with the
 *                                default 60000 a driver cut off from Kafka
 *                                said so after a minute; with 10000, after
 *                                11 s (tests/e2e/multihost.py). Requests
 *                                answer in milliseconds otherwise, and with
 *                                200 ms of latency and 5% loss (same test)
 *                                none came near 10 s.
 *   log.queue=true               librdkafka's logs are served on the main
 *                                context with everything else, not from its
 *                                threads.
 *
 * Producer
 *   enable.idempotence=true, acks=all  The wire contract (PROTOCOL.md 3): no
 *                                duplicates from retries, no loss on a leader
 *                                change.
 *   linger.ms=2                  Measured on the mock cluster: 2–5 ms keeps a
 *                                hop under 5 ms at any rate, while 0 collapses
 *                                under load (no batching: 10 s at 10k msg/s).
 *
 * Consumer
 *   fetch.wait.max.ms=5          The mock broker answers a fetch only when
 *                                this wait ends, so the default 500 makes a
 *                                hop take 255 ms (p50) / 500 ms (p99).
 *                                Measured with EvBus on the mock cluster
 *                                (linger.ms=2): 5.4 / 7.5 ms at 100 msg/s,
 *                                5.7 / 7.7 ms at 5,000 msg/s; with 10 the p50
 *                                doubles at low rates (12.6 ms). The price:
 *                                an idle consumer sends ~200 fetches a
 *                                second, 4% of a core for consumer and
 *                                in-process mock together (0.8% with 100).
 *   session.timeout.ms=6000, heartbeat.interval.ms=2000  A group notices a
 *                                dead member in 5–11 s instead of 89 s with
 *                                the default 45 s.
 *   enable.auto.offset.store=false, enable.auto.commit=true,
 *   auto.commit.interval.ms=1000  At-least-once, commit after processing:
 *                                only offsets the application marked done
 *                                are committed; a crash replays at most the
 *                                last second of marked work (closing commits
 *                                everything marked).
 *   auto.offset.reset=earliest   A group's first start, or a reader, sees
 *                                what was produced before it joined.
 *   Reader (no-commit) mode: a private group `ev-reader-<uuid>` and
 *   enable.auto.commit=false, so every start reads from the beginning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <syslog.h>
#include <unistd.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <librdkafka/rdkafka.h>

#include "ev-bus.h"
#include "ev-discovery.h"

/* How long closing a bus may take in all. A program closes at most two
 * buses one after the other, and its shutdown must end within 5 s even
 * when the broker hangs (sockets open, nothing answered), where
 * librdkafka's consumer close waits without end. */
#define CLOSE_TIMEOUT_MS 2000
/* The part of it spent waiting for undelivered messages. */
#define FLUSH_TIMEOUT_MS 1000
/* Events served per wake-up before yielding to the rest of the main loop. */
#define DISPATCH_BUDGET 1000
/* A fallback wake-up, in case statistics were switched off by an override:
 * a consumer that does not poll for max.poll.interval.ms leaves its group. */
#define KEEPALIVE_SECONDS 10

G_DEFINE_QUARK (ev-bus-error-quark, ev_bus_error)

/* EvBusMessage */

struct _EvBusMessage
{
  grefcount ref_count;
  char *topic;
  char *key;
  GBytes *value;
  GBytes *signature;   /* the EV_SIGNING_HEADER header of a tombstone, or NULL */
  int partition;
  gint64 offset;
  gint64 timestamp;
};

G_DEFINE_BOXED_TYPE (EvBusMessage, ev_bus_message, ev_bus_message_ref, ev_bus_message_unref)

static EvBusMessage *
ev_bus_message_new_from_kafka (const rd_kafka_message_t *rkm)
{
  EvBusMessage *msg = g_new0 (EvBusMessage, 1);
  rd_kafka_timestamp_type_t type;
  rd_kafka_headers_t *headers = NULL;
  const void *header = NULL;
  size_t header_len = 0;

  g_ref_count_init (&msg->ref_count);
  msg->topic = g_strdup (rd_kafka_topic_name (rkm->rkt));
  msg->key = rkm->key != NULL ? g_strndup (rkm->key, rkm->key_len) : NULL;
  msg->value = g_bytes_new (rkm->payload, rkm->payload != NULL ? rkm->len : 0);
  msg->partition = rkm->partition;
  msg->offset = rkm->offset;
  msg->timestamp = rd_kafka_message_timestamp (rkm, &type);
  if (rkm->payload == NULL &&
      rd_kafka_message_headers (rkm, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last (headers, EV_SIGNING_HEADER, &header, &header_len) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      header != NULL)
    msg->signature = g_bytes_new (header, header_len);

  return msg;
}

/**
 * ev_bus_message_ref:
 * @msg: a #EvBusMessage
 *
 * Returns: (transfer full): @msg
 */
EvBusMessage *
ev_bus_message_ref (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  g_ref_count_inc (&msg->ref_count);
  return msg;
}

/**
 * ev_bus_message_unref:
 * @msg: (transfer full): a #EvBusMessage
 *
 * Drops a reference; the last one frees @msg.
 */
void
ev_bus_message_unref (EvBusMessage *msg)
{
  g_return_if_fail (msg != NULL);

  if (!g_ref_count_dec (&msg->ref_count))
    return;

  g_free (msg->topic);
  g_free (msg->key);
  g_bytes_unref (msg->value);
  g_clear_pointer (&msg->signature, g_bytes_unref);
  g_free (msg);
}

/**
 * ev_bus_message_get_topic:
 * @msg: a #EvBusMessage
 *
 * Returns: the topic the message came from
 */
const char *
ev_bus_message_get_topic (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return msg->topic;
}

/**
 * ev_bus_message_get_key:
 * @msg: a #EvBusMessage
 *
 * Returns: (nullable): the message key, %NULL when it has none
 */
const char *
ev_bus_message_get_key (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return msg->key;
}

/**
 * ev_bus_message_get_value:
 * @msg: a #EvBusMessage
 *
 * Returns: (transfer none): the payload; empty for a message without one
 */
GBytes *
ev_bus_message_get_value (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  return msg->value;
}

/**
 * ev_bus_message_get_partition:
 * @msg: a #EvBusMessage
 *
 * Returns: the partition the message came from
 */
int
ev_bus_message_get_partition (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, -1);
  return msg->partition;
}

/**
 * ev_bus_message_get_offset:
 * @msg: a #EvBusMessage
 *
 * Returns: the message's offset in its partition
 */
gint64
ev_bus_message_get_offset (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, -1);
  return msg->offset;
}

/**
 * ev_bus_message_get_timestamp:
 * @msg: a #EvBusMessage
 *
 * Returns: the message timestamp in milliseconds since the Unix epoch, or
 *   -1 when the broker gave none
 */
gint64
ev_bus_message_get_timestamp (EvBusMessage *msg)
{
  g_return_val_if_fail (msg != NULL, -1);
  return msg->timestamp;
}

/**
 * ev_bus_message_verify:
 * @msg: a message
 * @trusted: (nullable): the key its author signs with, or %NULL when the
 *   reader has none (then nothing can be checked, and every message
 *   passes)
 * @error: return location for a #GError in %EV_SIGNING_ERROR
 *
 * Checks that @msg was signed by @trusted for its topic and key
 * (ev_signed_message_verify()). A message with no value (a tombstone)
 * is checked against its %EV_SIGNING_HEADER header
 * (ev_signed_tombstone_verify()).
 *
 * Returns: %TRUE when @msg may be believed
 */
gboolean
ev_bus_message_verify (EvBusMessage  *msg,
                       EvVerifyKey   *trusted,
                       GError       **error)
{
  gconstpointer data = NULL;
  gsize length = 0;

  if (trusted == NULL)
    return TRUE;
  if (msg->value != NULL)
    data = g_bytes_get_data (msg->value, &length);
  if (length > 0)
    return ev_signed_message_verify (msg->topic, msg->key, data, length, trusted, NULL, error);
  if (msg->signature != NULL)
    data = g_bytes_get_data (msg->signature, &length);
  else
    data = NULL;
  return ev_signed_tombstone_verify (msg->topic, msg->key, data, data != NULL ? length : 0, trusted, error);
}

/* Errors */

static EvBusError
error_code_from_kafka (rd_kafka_resp_err_t err)
{
  switch ((int) err)
    {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return EV_BUS_ERROR_UNREACHABLE;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return EV_BUS_ERROR_TIMED_OUT;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return EV_BUS_ERROR_QUEUE_FULL;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return EV_BUS_ERROR_TOO_LARGE;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return EV_BUS_ERROR_UNKNOWN_TOPIC;
    case RD_KAFKA_RESP_ERR__FATAL:
      return EV_BUS_ERROR_FATAL;
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return EV_BUS_ERROR_CLOSED;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return EV_BUS_ERROR_CONFIG;
    default:
      return EV_BUS_ERROR_FAILED;
    }
}

/**
 * ev_bus_set_error_from_kafka:
 * @error: return location for a #GError
 * @kafka_error: a `rd_kafka_resp_err_t`
 * @format: (nullable): printf()-style context put before librdkafka's text
 * @...: arguments for @format
 *
 * Sets @error in %EV_BUS_ERROR from a librdkafka error code, keeping the
 * text of rd_kafka_err2str().
 */
void
ev_bus_set_error_from_kafka (GError     **error,
                             int          kafka_error,
                             const char  *format,
                             ...)
{
  const char *text = rd_kafka_err2str (kafka_error);
  EvBusError code = error_code_from_kafka (kafka_error);

  if (format != NULL)
    {
      g_autofree char *context = NULL;
      va_list args;

      va_start (args, format);
      context = g_strdup_vprintf (format, args);
      va_end (args);
      g_set_error (error, EV_BUS_ERROR, code, "%s: %s", context, text);
    }
  else
    {
      g_set_error_literal (error, EV_BUS_ERROR, code, text);
    }
}

/* EvBus */

typedef struct _Handle Handle;

/* What librdkafka's callbacks reach through their opaque: an allocation of
 * its own, so that a client left behind by a close that timed out (still
 * closing on its thread) never reaches the bus it belonged to. The
 * handle is NULL from the close on. */
typedef struct
{
  Handle *handle;
} Opaque;

struct _Handle
{
  EvBus *bus;
  const char *name;
  rd_kafka_t *rk;
  Opaque *opaque;
  rd_kafka_queue_t *queue;
  int wake_fds[2];
  GSource *watch;
  gboolean reachable;
};

typedef struct
{
  char *topic;
  char *key;
  GError *error;
} DeliveryFailure;

/* A message produced by ev_bus_produce_full(): what to call once its
 * delivery report came (@error NULL when it reached the broker). */
typedef struct
{
  EvBusDeliveredFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
  GError *error;
} Completion;

/**
 * EvBus:
 *
 * A Kafka client served on the thread-default #GMainContext: a producer
 * (idempotent, `acks=all`) and, given a group or in reader mode, a consumer.
 *
 * librdkafka signals each of its queues through a pipe watched by the main
 * context, and the callback drains the queue, so nothing polls in a loop and
 * nothing blocks. Consumption is at-least-once with commit after
 * processing: a message's offset is stored when the application says its
 * effect is stored (ev_bus_message_done()), and the automatic commit only
 * commits stored offsets. #EvBus:reachable follows the brokers' state.
 */
struct _EvBus
{
  GObject parent_instance;

  char *bootstrap;
  char *group_id;
  char *client_id;
  char **overrides;
  gboolean no_commit;

  gboolean reachable;
  gboolean was_reachable;
  guint skipped;
  guint delivery_failures;

  GMainContext *context;
  Handle producer;
  Handle consumer;
  GSource *keepalive;
  GPtrArray *failed;
  GHashTable *completions;    /* Completion, every one not yet called */
  GQueue reported;            /* Completion, reported, to be called */
  GHashTable *at_end;         /* "topic/partition" that reached their end once (reader) */
  gboolean caught_up;
  gboolean closed;
};

static void ev_bus_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvBus, ev_bus, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      ev_bus_initable_iface_init))

enum {
  PROP_0,
  PROP_BOOTSTRAP,
  PROP_GROUP_ID,
  PROP_CLIENT_ID,
  PROP_OVERRIDES,
  PROP_NO_COMMIT,
  PROP_REACHABLE,
  PROP_SKIPPED,
  PROP_DELIVERY_FAILURES,
  PROP_CAUGHT_UP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  MESSAGE,
  DELIVERY_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
delivery_failure_free (gpointer data)
{
  DeliveryFailure *failure = data;

  g_free (failure->topic);
  g_free (failure->key);
  g_clear_error (&failure->error);
  g_free (failure);
}

static void
completion_free (gpointer data)
{
  Completion *completion = data;

  if (completion->destroy != NULL)
    completion->destroy (completion->user_data);
  g_clear_error (&completion->error);
  g_free (completion);
}

/* librdkafka callbacks. They run inside rd_kafka_poll() and friends, where
 * a signal handler must not run (it could close the bus under librdkafka's
 * feet): they only record, and dispatch_cb() emits once the call returned. */

static void
log_cb (const rd_kafka_t *rk,
        int               level,
        const char       *facility,
        const char       *message)
{
  /* Connection failures are reported as errors and through :reachable;
   * the log itself is for debugging, and must not make warnings fatal. */
  if (level <= LOG_WARNING)
    g_info ("%s: %s: %s", rd_kafka_name (rk), facility, message);
  else
    g_debug ("%s: %s: %s", rd_kafka_name (rk), facility, message);
}

static gboolean
is_connection_error (int err)
{
  return err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         err == RD_KAFKA_RESP_ERR__RESOLVE;
}

static void
error_cb (rd_kafka_t *rk,
          int         err,
          const char *reason,
          void       *opaque)
{
  Handle *handle = ((Opaque *) opaque)->handle;

  if (handle == NULL)
    return;

  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    handle->reachable = FALSE;

  if (err == RD_KAFKA_RESP_ERR__FATAL)
    {
      char fatal[512];
      rd_kafka_resp_err_t cause = rd_kafka_fatal_error (rk, fatal, sizeof fatal);

      g_warning ("Kafka %s hit a fatal error (%s): %s",
                 handle->name, rd_kafka_err2name (cause), fatal);
    }
  else if (is_connection_error (err))
    g_debug ("Kafka %s: %s", handle->name, reason);
  else
    g_message ("Kafka %s: %s: %s", handle->name, rd_kafka_err2name (err), reason);
}

static int
stats_cb (rd_kafka_t *rk,
          char       *json,
          size_t      json_len,
          void       *opaque)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  Handle *handle = ((Opaque *) opaque)->handle;
  gboolean any_up = FALSE;
  JsonObject *root;
  JsonObject *brokers;
  g_autoptr(GList) members = NULL;
  JsonNode *node;

  if (handle == NULL || !json_parser_load_from_data (parser, json, json_len, NULL))
    return 0;

  node = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  root = json_node_get_object (node);
  node = json_object_get_member (root, "brokers");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  brokers = json_node_get_object (node);

  members = json_object_get_values (brokers);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *broker = l->data;

      if (JSON_NODE_HOLDS_OBJECT (broker) &&
          g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (broker),
                                                                 "state", NULL), "UP") == 0)
        any_up = TRUE;
    }

  handle->reachable = any_up;

  /* 0: librdkafka frees @json. */
  return 0;
}

static void
dr_msg_cb (rd_kafka_t                *rk,
           const rd_kafka_message_t  *rkm,
           void                      *opaque)
{
  Handle *handle = ((Opaque *) opaque)->handle;
  Completion *completion = rkm->_private;
  EvBus *self;
  DeliveryFailure *failure;

  /* Closing: what is left undelivered is logged by the close, and the
   * completions were dropped (never dereference them here then). */
  if (handle == NULL)
    return;
  self = handle->bus;

  if (completion != NULL)
    {
      if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ev_bus_set_error_from_kafka (&completion->error, rkm->err, "Message to %s not delivered",
                                     rd_kafka_topic_name (rkm->rkt));
      g_queue_push_tail (&self->reported, completion);
    }

  if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      handle->reachable = TRUE;
      return;
    }

  failure = g_new0 (DeliveryFailure, 1);
  failure->topic = g_strdup (rd_kafka_topic_name (rkm->rkt));
  failure->key = rkm->key != NULL ? g_strndup (rkm->key, rkm->key_len) : NULL;
  ev_bus_set_error_from_kafka (&failure->error, rkm->err, "Message to %s not delivered",
                               failure->topic);
  g_ptr_array_add (self->failed, failure);
}

/* Dispatching on the main context */

static void
wake (Handle *handle)
{
  char byte = 1;

  if (handle->wake_fds[1] < 0)
    return;

  /* A full pipe already guarantees a wake-up. */
  if (write (handle->wake_fds[1], &byte, 1) < 0 && errno != EAGAIN)
    g_debug ("Cannot wake the Kafka %s: %s", handle->name, g_strerror (errno));
}

static void
update_reachable (EvBus *self)
{
  gboolean reachable = self->producer.reachable &&
                       (self->consumer.rk == NULL || self->consumer.reachable);

  if (reachable == self->reachable)
    return;

  self->reachable = reachable;
  if (reachable && self->was_reachable)
    g_message ("Kafka at %s is reachable again", self->bootstrap);
  else if (reachable)
    g_debug ("Kafka at %s is reachable", self->bootstrap);
  else
    g_message ("Kafka at %s is unreachable", self->bootstrap);
  self->was_reachable |= reachable;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACHABLE]);
}

static void
emit_deferred (EvBus *self)
{
  while (!self->closed && self->failed->len > 0)
    {
      DeliveryFailure *failure = g_ptr_array_steal_index (self->failed, 0);

      self->delivery_failures++;
      g_message ("%s (key %s)", failure->error->message,
                 failure->key != NULL ? failure->key : "none");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELIVERY_FAILURES]);
      g_signal_emit (self, signals[DELIVERY_FAILED], 0,
                     failure->topic, failure->key, failure->error);
      delivery_failure_free (failure);
    }

  while (!self->closed && !g_queue_is_empty (&self->reported))
    {
      Completion *completion = g_queue_pop_head (&self->reported);

      /* Taken out first: the callback may produce (or close) again. */
      g_hash_table_steal (self->completions, completion);
      completion->func (self, completion->error, completion->user_data);
      completion_free (completion);
    }

  if (!self->closed)
    update_reachable (self);
}

/* A reader's partition reached its end: once every partition it has
 * been given did, it has caught up (EvBus:caught-up). */
static void
note_partition_end (EvBus      *self,
                    const char *topic,
                    int         partition)
{
  rd_kafka_topic_partition_list_t *assignment = NULL;
  gboolean all = TRUE;

  if (self->caught_up || self->at_end == NULL)
    return;
  g_hash_table_add (self->at_end, g_strdup_printf ("%s/%d", topic, partition));

  if (rd_kafka_assignment (self->consumer.rk, &assignment) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return;
  for (int i = 0; i < assignment->cnt && all; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s/%d", assignment->elems[i].topic,
                                              assignment->elems[i].partition);

      all = g_hash_table_contains (self->at_end, key);
    }
  all = all && assignment->cnt > 0;
  rd_kafka_topic_partition_list_destroy (assignment);

  if (all)
    {
      self->caught_up = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAUGHT_UP]);
    }
}

static void
handle_consumer_error (EvBus                    *self,
                       const rd_kafka_message_t *rkm)
{
  const char *topic = rkm->rkt != NULL ? rd_kafka_topic_name (rkm->rkt) : NULL;
  g_autofree char *text = rd_kafka_message_errstr (rkm) != NULL
                          ? g_strdup (rd_kafka_message_errstr (rkm)) : NULL;

  if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
    {
      if (topic != NULL)
        note_partition_end (self, topic, rkm->partition);
      return;
    }

  if (is_connection_error (rkm->err) ||
      rkm->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    g_debug ("Kafka consumer%s%s: %s", topic ? " of " : "", topic ? topic : "", text);
  else
    g_message ("Kafka consumer%s%s: %s", topic ? " of " : "", topic ? topic : "", text);
}

static void
serve_consumer (EvBus *self)
{
  guint served;

  for (served = 0; served < DISPATCH_BUDGET && !self->closed; served++)
    {
      g_autoptr(EvBusMessage) msg = NULL;
      rd_kafka_message_t *rkm;

      rkm = rd_kafka_consumer_poll (self->consumer.rk, 0);
      if (rkm == NULL)
        break;

      if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          handle_consumer_error (self, rkm);
          rd_kafka_message_destroy (rkm);
          continue;
        }

      /* Copied and released first: a handler may close the bus, and a
       * consumer cannot close while the application holds its messages. */
      msg = ev_bus_message_new_from_kafka (rkm);
      rd_kafka_message_destroy (rkm);

      self->consumer.reachable = TRUE;
      update_reachable (self);
      g_signal_emit (self, signals[MESSAGE], 0, msg);
    }

  if (served == DISPATCH_BUDGET)
    wake (&self->consumer);
}

static void
serve_producer (EvBus *self)
{
  for (guint served = 0; served < DISPATCH_BUDGET; served++)
    if (rd_kafka_poll (self->producer.rk, 0) == 0)
      return;

  wake (&self->producer);
}

static void
dispatch (EvBus  *self,
          Handle *handle)
{
  if (self->closed)
    return;

  if (handle == &self->consumer)
    serve_consumer (self);
  else
    serve_producer (self);

  emit_deferred (self);
}

static gboolean
dispatch_cb (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  Handle *handle = user_data;
  g_autoptr(EvBus) self = g_object_ref (handle->bus);
  char buffer[256];

  while (read (fd, buffer, sizeof buffer) > 0)
    ;

  dispatch (self, handle);

  return G_SOURCE_CONTINUE;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  g_autoptr(EvBus) self = g_object_ref (user_data);

  if (self->consumer.rk != NULL)
    dispatch (self, &self->consumer);
  dispatch (self, &self->producer);

  return G_SOURCE_CONTINUE;
}

/* Construction */

static gboolean
conf_set (rd_kafka_conf_t  *conf,
          const char       *key,
          const char       *value,
          GError          **error)
{
  char errstr[512];

  switch (rd_kafka_conf_set (conf, key, value, errstr, sizeof errstr))
    {
    case RD_KAFKA_CONF_OK:
      return TRUE;
    case RD_KAFKA_CONF_UNKNOWN:
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG,
                   "Unknown Kafka property “%s”: %s", key, errstr);
      return FALSE;
    case RD_KAFKA_CONF_INVALID:
    default:
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG,
                   "Invalid value “%s” for Kafka property “%s”: %s", value, key, errstr);
      return FALSE;
    }
}

static gboolean
conf_set_all (rd_kafka_conf_t    *conf,
              const char * const *pairs,
              GError            **error)
{
  for (guint i = 0; pairs[i] != NULL; i += 2)
    if (!conf_set (conf, pairs[i], pairs[i + 1], error))
      return FALSE;

  return TRUE;
}

static gboolean
conf_set_overrides (rd_kafka_conf_t  *conf,
                    char            **overrides,
                    GError          **error)
{
  for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++)
    {
      const char *eq = strchr (overrides[i], '=');
      g_autofree char *key = NULL;

      if (eq == NULL || eq == overrides[i])
        {
          g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG,
                       "Kafka override “%s” is not of the form key=value", overrides[i]);
          return FALSE;
        }

      key = g_strndup (overrides[i], eq - overrides[i]);
      if (!conf_set (conf, key, eq + 1, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
handle_start (Handle           *handle,
              rd_kafka_type_t   type,
              rd_kafka_conf_t  *conf,
              GError          **error)
{
  EvBus *self = handle->bus;
  g_autoptr(GError) local_error = NULL;
  char errstr[512];

  if (!g_unix_open_pipe (handle->wake_fds, FD_CLOEXEC, &local_error) ||
      !g_unix_set_fd_nonblocking (handle->wake_fds[0], TRUE, &local_error) ||
      !g_unix_set_fd_nonblocking (handle->wake_fds[1], TRUE, &local_error))
    {
      rd_kafka_conf_destroy (conf);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_FAILED,
                   "Cannot create the Kafka %s's wake-up pipe: %s",
                   handle->name, local_error->message);
      return FALSE;
    }

  handle->opaque = g_new0 (Opaque, 1);
  handle->opaque->handle = handle;
  rd_kafka_conf_set_opaque (conf, handle->opaque);
  rd_kafka_conf_set_log_cb (conf, log_cb);
  rd_kafka_conf_set_error_cb (conf, error_cb);
  rd_kafka_conf_set_stats_cb (conf, stats_cb);
  if (type == RD_KAFKA_PRODUCER)
    rd_kafka_conf_set_dr_msg_cb (conf, dr_msg_cb);

  /* On success rd_kafka_new() owns @conf. */
  handle->rk = rd_kafka_new (type, conf, errstr, sizeof errstr);
  if (handle->rk == NULL)
    {
      rd_kafka_conf_destroy (conf);
      g_clear_pointer (&handle->opaque, g_free);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG,
                   "Cannot create the Kafka %s: %s", handle->name, errstr);
      return FALSE;
    }

  if (type == RD_KAFKA_CONSUMER)
    {
      /* Everything (errors, statistics, logs, rebalances, messages) then
       * arrives on the one consumer queue. */
      rd_kafka_poll_set_consumer (handle->rk);
      handle->queue = rd_kafka_queue_get_consumer (handle->rk);
    }
  else
    {
      handle->queue = rd_kafka_queue_get_main (handle->rk);
    }
  rd_kafka_set_log_queue (handle->rk, NULL);

  /* librdkafka writes to the pipe when the queue turns non-empty; that is
   * the only wake-up, hence dispatch() drains the queue every time. */
  rd_kafka_queue_io_event_enable (handle->queue, handle->wake_fds[1], "1", 1);

  handle->watch = g_unix_fd_source_new (handle->wake_fds[0], G_IO_IN);
  g_source_set_callback (handle->watch, G_SOURCE_FUNC (dispatch_cb), handle, NULL);
  g_source_set_static_name (handle->watch, "EvBus dispatch");
  g_source_attach (handle->watch, self->context);

  /* Events queued before the pipe was attached would not wake us. */
  wake (handle);

  return TRUE;
}

static rd_kafka_conf_t *
common_conf (EvBus   *self,
             GError **error)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  const char *client_id = self->client_id;
  const char * const defaults[] = {
    "statistics.interval.ms", "1000",
    "reconnect.backoff.max.ms", "1000",
    "socket.nagle.disable", "true",
    "socket.timeout.ms", "10000",
    "log.queue", "true",
    NULL
  };

  if (client_id == NULL)
    client_id = g_get_prgname () != NULL ? g_get_prgname () : "evcharging";

  if (!conf_set (conf, "bootstrap.servers", self->bootstrap, error) ||
      !conf_set (conf, "client.id", client_id, error) ||
      !conf_set_all (conf, defaults, error))
    {
      rd_kafka_conf_destroy (conf);
      return NULL;
    }

  return conf;
}

static gboolean
start_producer (EvBus   *self,
                GError **error)
{
  rd_kafka_conf_t *conf;
  const char * const defaults[] = {
    "enable.idempotence", "true",
    "acks", "all",
    "linger.ms", "2",
    NULL
  };

  conf = common_conf (self, error);
  if (conf == NULL)
    return FALSE;

  if (!conf_set_all (conf, defaults, error) ||
      !conf_set_overrides (conf, self->overrides, error))
    {
      rd_kafka_conf_destroy (conf);
      return FALSE;
    }

  return handle_start (&self->producer, RD_KAFKA_PRODUCER, conf, error);
}

static gboolean
start_consumer (EvBus   *self,
                GError **error)
{
  rd_kafka_conf_t *conf;
  const char * const defaults[] = {
    "fetch.wait.max.ms", "5",
    "session.timeout.ms", "6000",
    "heartbeat.interval.ms", "2000",
    "enable.auto.offset.store", "false",
    "enable.auto.commit", self->no_commit ? "false" : "true",
    "auto.commit.interval.ms", "1000",
    "auto.offset.reset", "earliest",
    /* A reader says when it has read what was there (EvBus:caught-up). */
    "enable.partition.eof", self->no_commit ? "true" : "false",
    NULL
  };

  conf = common_conf (self, error);
  if (conf == NULL)
    return FALSE;

  if (self->no_commit)
    self->at_end = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!conf_set (conf, "group.id", self->group_id, error) ||
      !conf_set_all (conf, defaults, error) ||
      !conf_set_overrides (conf, self->overrides, error))
    {
      rd_kafka_conf_destroy (conf);
      return FALSE;
    }

  return handle_start (&self->consumer, RD_KAFKA_CONSUMER, conf, error);
}

static gboolean
ev_bus_initable_init (GInitable     *initable,
                      GCancellable  *cancellable,
                      GError       **error)
{
  EvBus *self = EV_BUS (initable);

  if (self->producer.rk != NULL)
    return TRUE;

  if (self->bootstrap == NULL)
    {
      self->bootstrap = ev_bus_default_bootstrap (error);
      if (self->bootstrap == NULL)
        return FALSE;
    }

  if (self->no_commit && self->group_id == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      self->group_id = g_strconcat ("ev-reader-", uuid, NULL);
    }

  if (!start_producer (self, error))
    return FALSE;

  if (self->group_id != NULL && !start_consumer (self, error))
    return FALSE;

  self->keepalive = g_timeout_source_new_seconds (KEEPALIVE_SECONDS);
  g_source_set_callback (self->keepalive, keepalive_cb, self, NULL);
  g_source_set_static_name (self->keepalive, "EvBus keepalive");
  g_source_attach (self->keepalive, self->context);

  return TRUE;
}

static void
ev_bus_initable_iface_init (GInitableIface *iface)
{
  iface->init = ev_bus_initable_init;
}

/* Shutdown */

static void
handle_stop_watching (Handle *handle)
{
  if (handle->watch != NULL)
    {
      g_source_destroy (handle->watch);
      g_clear_pointer (&handle->watch, g_source_unref);
    }
  if (handle->queue != NULL)
    {
      rd_kafka_queue_io_event_enable (handle->queue, -1, NULL, 0);
      g_clear_pointer (&handle->queue, rd_kafka_queue_destroy);
    }
}

static void
handle_close_fds (Handle *handle)
{
  for (guint i = 0; i < 2; i++)
    if (handle->wake_fds[i] >= 0)
      {
        close (handle->wake_fds[i]);
        handle->wake_fds[i] = -1;
      }
}

/* The librdkafka clients of a bus being closed, handed to a thread of
 * their own: the close waits for it at most CLOSE_TIMEOUT_MS, then leaves
 * it behind (and the clients with it, deliberately leaked) rather than
 * hang the program's exit. Shared by the two until the last lets go. */
typedef struct
{
  gatomicrefcount refs;
  char *bootstrap;
  rd_kafka_t *producer;
  rd_kafka_t *consumer;
  Opaque *opaques[2];
  GMutex lock;
  GCond cond;
  gboolean done;
} Closer;

static void
closer_unref (Closer *closer)
{
  if (!g_atomic_ref_count_dec (&closer->refs))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (closer->opaques); i++)
    g_free (closer->opaques[i]);
  g_free (closer->bootstrap);
  g_mutex_clear (&closer->lock);
  g_cond_clear (&closer->cond);
  g_free (closer);
}

static gpointer
closer_thread (gpointer data)
{
  Closer *closer = data;

  if (closer->producer != NULL)
    {
      rd_kafka_resp_err_t err = rd_kafka_flush (closer->producer, FLUSH_TIMEOUT_MS);

      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          g_message ("Closing the Kafka producer with %d message(s) undelivered: %s",
                     rd_kafka_outq_len (closer->producer), rd_kafka_err2str (err));
          rd_kafka_purge (closer->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
          rd_kafka_poll (closer->producer, 0);
        }
      rd_kafka_destroy (closer->producer);
    }

  if (closer->consumer != NULL)
    {
      /* Closing commits the offsets marked done and leaves the group, so
       * another member takes over at once. Without a broker it returns at
       * once (measured), the group then notices after session.timeout.ms;
       * with a broker that hangs it may never return. */
      rd_kafka_resp_err_t err = rd_kafka_consumer_close (closer->consumer);

      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_message ("Closing the Kafka consumer: %s", rd_kafka_err2str (err));
      rd_kafka_destroy (closer->consumer);
    }

  g_mutex_lock (&closer->lock);
  closer->done = TRUE;
  g_cond_signal (&closer->cond);
  g_mutex_unlock (&closer->lock);
  closer_unref (closer);
  return NULL;
}

/* Takes @handle's client for @closer: from now on its callbacks do nothing. */
static rd_kafka_t *
handle_give_up (Handle  *handle,
                Opaque **opaque)
{
  handle_stop_watching (handle);
  handle_close_fds (handle);
  if (handle->opaque != NULL)
    handle->opaque->handle = NULL;
  *opaque = g_steal_pointer (&handle->opaque);
  return g_steal_pointer (&handle->rk);
}

/**
 * ev_bus_close:
 * @self: a #EvBus
 *
 * Shuts the bus down: stops serving it, waits a second at most for
 * undelivered messages (logging how many are left), commits what was marked
 * done and leaves the consumer group. No signal is emitted afterwards, and
 * producing fails with %EV_BUS_ERROR_CLOSED. Disposing the bus closes it;
 * calling this earlier chooses when the wait happens. Safe to call twice.
 *
 * It returns within about 2 s whatever the broker does: librdkafka closes
 * on a thread of its own, and a client that has not closed by then (a
 * broker that hangs with its sockets open) is left behind on that thread,
 * its memory deliberately leaked, so that a program always exits.
 */
void
ev_bus_close (EvBus *self)
{
  g_autoptr(GError) error = NULL;
  Closer *closer;
  GThread *thread;
  gint64 deadline;
  gboolean done;

  g_return_if_fail (EV_IS_BUS (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  if (self->keepalive != NULL)
    {
      g_source_destroy (self->keepalive);
      g_clear_pointer (&self->keepalive, g_source_unref);
    }
  g_ptr_array_set_size (self->failed, 0);
  g_queue_clear (&self->reported);
  g_hash_table_remove_all (self->completions);

  closer = g_new0 (Closer, 1);
  g_atomic_ref_count_init (&closer->refs);
  g_mutex_init (&closer->lock);
  g_cond_init (&closer->cond);
  closer->bootstrap = g_strdup (self->bootstrap);
  closer->producer = handle_give_up (&self->producer, &closer->opaques[0]);
  closer->consumer = handle_give_up (&self->consumer, &closer->opaques[1]);
  if (closer->producer == NULL && closer->consumer == NULL)
    {
      closer_unref (closer);
      return;
    }

  g_atomic_ref_count_inc (&closer->refs);
  deadline = g_get_monotonic_time () + CLOSE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  thread = g_thread_try_new ("ev-bus-close", closer_thread, closer, &error);
  if (thread == NULL)
    {
      g_message ("Closing Kafka without a thread of its own: %s", error->message);
      closer_thread (closer);
    }
  else
    g_thread_unref (thread);

  g_mutex_lock (&closer->lock);
  while (!closer->done && g_cond_wait_until (&closer->cond, &closer->lock, deadline))
    ;
  done = closer->done;
  g_mutex_unlock (&closer->lock);

  if (!done)
    g_message ("Kafka at %s did not close within %d ms (the broker does not answer): "
               "leaving its client behind", closer->bootstrap, CLOSE_TIMEOUT_MS);
  closer_unref (closer);
}

static void
ev_bus_dispose (GObject *object)
{
  EvBus *self = EV_BUS (object);

  ev_bus_close (self);

  G_OBJECT_CLASS (ev_bus_parent_class)->dispose (object);
}

static void
ev_bus_finalize (GObject *object)
{
  EvBus *self = EV_BUS (object);

  g_clear_pointer (&self->bootstrap, g_free);
  g_clear_pointer (&self->group_id, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->overrides, g_strfreev);
  g_clear_pointer (&self->failed, g_ptr_array_unref);
  g_queue_clear (&self->reported);
  g_clear_pointer (&self->completions, g_hash_table_unref);
  g_clear_pointer (&self->at_end, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (ev_bus_parent_class)->finalize (object);
}

static void
ev_bus_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  EvBus *self = EV_BUS (object);

  switch (prop_id)
    {
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_GROUP_ID:
      g_value_set_string (value, self->group_id);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_OVERRIDES:
      g_value_set_boxed (value, self->overrides);
      break;
    case PROP_NO_COMMIT:
      g_value_set_boolean (value, self->no_commit);
      break;
    case PROP_REACHABLE:
      g_value_set_boolean (value, self->reachable);
      break;
    case PROP_SKIPPED:
      g_value_set_uint (value, self->skipped);
      break;
    case PROP_DELIVERY_FAILURES:
      g_value_set_uint (value, self->delivery_failures);
      break;
    case PROP_CAUGHT_UP:
      g_value_set_boolean (value, self->caught_up);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_bus_set_property (GObject      *object,
                     guint         prop_id,
                     const GValue *value,
                     GParamSpec   *pspec)
{
  EvBus *self = EV_BUS (object);

  switch (prop_id)
    {
    case PROP_BOOTSTRAP:
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_GROUP_ID:
      self->group_id = g_value_dup_string (value);
      break;
    case PROP_CLIENT_ID:
      self->client_id = g_value_dup_string (value);
      break;
    case PROP_OVERRIDES:
      self->overrides = g_value_dup_boxed (value);
      break;
    case PROP_NO_COMMIT:
      self->no_commit = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_bus_class_init (EvBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ev_bus_dispose;
  object_class->finalize = ev_bus_finalize;
  object_class->get_property = ev_bus_get_property;
  object_class->set_property = ev_bus_set_property;

  /**
   * EvBus:bootstrap:
   *
   * The brokers to bootstrap from, `host:port[,host:port…]`. %NULL finds
   * the embedded broker (ev_bus_default_bootstrap()).
   */
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:group-id:
   *
   * The consumer group. %NULL makes a producer-only bus, unless
   * #EvBus:no-commit is set.
   */
  properties[PROP_GROUP_ID] =
    g_param_spec_string ("group-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:client-id:
   *
   * How the client names itself to the brokers; %NULL uses the program
   * name.
   */
  properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:overrides:
   *
   * librdkafka properties as `key=value` strings (kcat's `-X`), applied
   * after the bus's defaults so they win. An unknown key or a refused value
   * makes construction fail with %EV_BUS_ERROR_CONFIG.
   */
  properties[PROP_OVERRIDES] =
    g_param_spec_boxed ("overrides", NULL, NULL,
                        G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:no-commit:
   *
   * Reader mode: the consumer reads its topics from the beginning and never
   * commits, in a private group unless #EvBus:group-id names one. This is
   * how a latest-value topic such as `cp-states` is read.
   */
  properties[PROP_NO_COMMIT] =
    g_param_spec_boolean ("no-commit", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:reachable:
   *
   * Whether a broker is up for every handle of the bus. %FALSE until the
   * first connection, and during an outage; back to %TRUE within about a
   * second of a broker's return.
   */
  properties[PROP_REACHABLE] =
    g_param_spec_boolean ("reachable", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:skipped:
   *
   * How many messages were skipped with ev_bus_message_skip().
   */
  properties[PROP_SKIPPED] =
    g_param_spec_uint ("skipped", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:delivery-failures:
   *
   * How many produced messages could not be delivered.
   */
  properties[PROP_DELIVERY_FAILURES] =
    g_param_spec_uint ("delivery-failures", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:caught-up:
   *
   * A reader (#EvBus:no-commit) has read every partition it was given to
   * its end at least once: what the topics held when it started is all
   * delivered. Never set for a group consumer. Notified once.
   */
  properties[PROP_CAUGHT_UP] =
    g_param_spec_boolean ("caught-up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvBus::message:
   * @self: a #EvBus
   * @msg: the message
   *
   * A message arrived on a subscribed topic. Once its effect is stored,
   * pass it to ev_bus_message_done() (or ev_bus_message_skip() if it is
   * unusable); until then it will be delivered again after a restart.
   */
  signals[MESSAGE] =
    g_signal_new ("message",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  EV_TYPE_BUS_MESSAGE);

  /**
   * EvBus::delivery-failed:
   * @self: a #EvBus
   * @topic: the message's topic
   * @key: (nullable): the message's key
   * @error: why it was not delivered
   *
   * A produced message was given up on (for example after
   * `message.timeout.ms` without a broker).
   */
  signals[DELIVERY_FAILED] =
    g_signal_new ("delivery-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
ev_bus_init (EvBus *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->failed = g_ptr_array_new_with_free_func (delivery_failure_free);
  self->completions = g_hash_table_new_full (NULL, NULL, completion_free, NULL);

  self->producer.bus = self;
  self->producer.name = "producer";
  self->producer.wake_fds[0] = self->producer.wake_fds[1] = -1;
  self->consumer.bus = self;
  self->consumer.name = "consumer";
  self->consumer.wake_fds[0] = self->consumer.wake_fds[1] = -1;
}

/* Public API */

/**
 * ev_bus_default_bootstrap:
 * @error: return location for a #GError
 *
 * Finds the embedded broker (`ev-broker`) through its discovery file, for
 * programs started without `--kafka`.
 *
 * Returns: (transfer full): its bootstrap address, or %NULL with @error set
 *   in %EV_DISCOVERY_ERROR when none runs
 */
char *
ev_bus_default_bootstrap (GError **error)
{
  return ev_discovery_read (NULL, error);
}

/**
 * ev_bus_new:
 * @bootstrap: (nullable): the brokers, `host:port[,…]`; %NULL for the
 *   embedded broker
 * @group_id: (nullable): the consumer group; %NULL for a producer only
 * @client_id: (nullable): the client name; %NULL for the program name
 * @overrides: (nullable) (array zero-terminated=1): librdkafka properties
 *   as `key=value`, applied last
 * @error: return location for a #GError
 *
 * Creates a bus served on the thread-default main context: a producer and,
 * with a group, a consumer that commits what is marked done.
 *
 * Returns: (transfer full): the new bus, or %NULL with @error set
 */
EvBus *
ev_bus_new (const char          *bootstrap,
            const char          *group_id,
            const char          *client_id,
            const char * const  *overrides,
            GError             **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EV_TYPE_BUS, NULL, error,
                         "bootstrap", bootstrap,
                         "group-id", group_id,
                         "client-id", client_id,
                         "overrides", overrides,
                         NULL);
}

/**
 * ev_bus_new_reader:
 * @bootstrap: (nullable): the brokers; %NULL for the embedded broker
 * @client_id: (nullable): the client name; %NULL for the program name
 * @overrides: (nullable) (array zero-terminated=1): librdkafka properties
 * @error: return location for a #GError
 *
 * Creates a bus whose consumer reads its topics from the beginning and
 * never commits (#EvBus:no-commit).
 *
 * Returns: (transfer full): the new bus, or %NULL with @error set
 */
EvBus *
ev_bus_new_reader (const char          *bootstrap,
                   const char          *client_id,
                   const char * const  *overrides,
                   GError             **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EV_TYPE_BUS, NULL, error,
                         "bootstrap", bootstrap,
                         "client-id", client_id,
                         "overrides", overrides,
                         "no-commit", TRUE,
                         NULL);
}

/**
 * ev_bus_get_bootstrap:
 * @self: a #EvBus
 *
 * Returns: the brokers the bus bootstraps from
 */
const char *
ev_bus_get_bootstrap (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  return self->bootstrap;
}

/**
 * ev_bus_get_group_id:
 * @self: a #EvBus
 *
 * Returns: (nullable): the consumer group, %NULL for a producer only
 */
const char *
ev_bus_get_group_id (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  return self->group_id;
}

/**
 * ev_bus_get_client_id:
 * @self: a #EvBus
 *
 * Returns: (nullable): the client id given at construction
 */
const char *
ev_bus_get_client_id (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  return self->client_id;
}

/**
 * ev_bus_get_no_commit:
 * @self: a #EvBus
 *
 * Returns: whether the bus is a reader that never commits
 */
gboolean
ev_bus_get_no_commit (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  return self->no_commit;
}

/**
 * ev_bus_get_reachable:
 * @self: a #EvBus
 *
 * Returns: whether the brokers are reachable
 */
gboolean
ev_bus_get_reachable (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  return self->reachable;
}

/**
 * ev_bus_get_caught_up:
 * @self: a #EvBus
 *
 * Returns: whether a reader has read its partitions to their end once
 *   (#EvBus:caught-up)
 */
gboolean
ev_bus_get_caught_up (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  return self->caught_up;
}

/**
 * ev_bus_get_skipped:
 * @self: a #EvBus
 *
 * Returns: how many messages were skipped as unusable
 */
guint
ev_bus_get_skipped (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), 0);
  return self->skipped;
}

/**
 * ev_bus_get_delivery_failures:
 * @self: a #EvBus
 *
 * Returns: how many produced messages were not delivered
 */
guint
ev_bus_get_delivery_failures (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), 0);
  return self->delivery_failures;
}

/**
 * ev_bus_get_pending:
 * @self: a #EvBus
 *
 * Returns: how many produced messages (and producer events) are not yet
 *   acknowledged
 */
guint
ev_bus_get_pending (EvBus *self)
{
  g_return_val_if_fail (EV_IS_BUS (self), 0);

  if (self->producer.rk == NULL)
    return 0;
  return rd_kafka_outq_len (self->producer.rk);
}

static char *
dup_config (rd_kafka_t *rk,
            const char *key)
{
  const rd_kafka_conf_t *conf;
  g_autofree char *value = NULL;
  size_t size = 0;

  if (rk == NULL)
    return NULL;

  conf = rd_kafka_conf (rk);
  if (rd_kafka_conf_get (conf, key, NULL, &size) != RD_KAFKA_CONF_OK)
    return NULL;
  value = g_malloc0 (size + 1);
  if (rd_kafka_conf_get (conf, key, value, &size) != RD_KAFKA_CONF_OK)
    return NULL;

  return g_steal_pointer (&value);
}

/**
 * ev_bus_dup_producer_config:
 * @self: a #EvBus
 * @key: a librdkafka property
 *
 * Reads a property as the producer runs with it, defaults and overrides
 * applied.
 *
 * Returns: (transfer full) (nullable): the value, %NULL for an unknown key
 *   or a closed bus
 */
char *
ev_bus_dup_producer_config (EvBus      *self,
                            const char *key)
{
  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return dup_config (self->producer.rk, key);
}

/**
 * ev_bus_dup_consumer_config:
 * @self: a #EvBus
 * @key: a librdkafka property
 *
 * Like ev_bus_dup_producer_config(), for the consumer.
 *
 * Returns: (transfer full) (nullable): the value, %NULL for an unknown key
 *   or a bus without consumer
 */
char *
ev_bus_dup_consumer_config (EvBus      *self,
                            const char *key)
{
  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return dup_config (self->consumer.rk, key);
}

/**
 * ev_bus_produce:
 * @self: a #EvBus
 * @topic: the topic
 * @key: (nullable): the key (a CP or driver id), which picks the partition
 * @value: (array length=len): the payload
 * @len: its length in bytes
 * @error: return location for a #GError
 *
 * Queues a message without blocking. Delivery is confirmed later: a failure
 * emits #EvBus::delivery-failed and counts in #EvBus:delivery-failures.
 * While no broker is reachable messages wait in the queue (up to
 * `message.timeout.ms`).
 *
 * Returns: %TRUE if the message was queued; %FALSE with @error set
 *   (%EV_BUS_ERROR_QUEUE_FULL when the queue is full)
 */
gboolean
ev_bus_produce (EvBus       *self,
                const char  *topic,
                const char  *key,
                const void  *value,
                gsize        len,
                GError     **error)
{
  return ev_bus_produce_full (self, topic, key, value, len, NULL, NULL, NULL, error);
}

/**
 * ev_bus_produce_full:
 * @self: a #EvBus
 * @topic: the topic
 * @key: (nullable): the key
 * @value: (array length=len): the payload
 * @len: its length in bytes
 * @func: (nullable) (scope notified): called once on the bus's main
 *   context when librdkafka's delivery report for this message came:
 *   with a %NULL error when the broker has it, else with why not
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data, after @func or when the bus
 *   closes first
 * @error: return location for a #GError
 *
 * Like ev_bus_produce(), for a message whose sender must know that it
 * reached the broker (to forget a copy kept on disk, for example). A bus
 * closed before the report never calls @func: whatever the close could
 * not deliver is as good as lost, and the caller still has its copy.
 * When the message cannot be queued, @func is not called and @user_data
 * is freed at once.
 *
 * Returns: %TRUE if the message was queued
 */
gboolean
ev_bus_produce_full (EvBus              *self,
                     const char         *topic,
                     const char         *key,
                     const void         *value,
                     gsize               len,
                     EvBusDeliveredFunc  func,
                     gpointer            user_data,
                     GDestroyNotify      destroy,
                     GError            **error)
{
  size_t key_len = key != NULL ? strlen (key) : 0;
  Completion *completion = NULL;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (value != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (func != NULL)
    {
      completion = g_new0 (Completion, 1);
      completion->func = func;
      completion->user_data = user_data;
      completion->destroy = destroy;
    }
  else if (destroy != NULL)
    destroy (user_data);

  if (self->closed)
    {
      g_clear_pointer (&completion, completion_free);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CLOSED,
                   "Cannot send to %s: the Kafka bus is closed", topic);
      return FALSE;
    }

  err = rd_kafka_producev (self->producer.rk,
                           RD_KAFKA_V_TOPIC (topic),
                           RD_KAFKA_V_KEY (key, key_len),
                           RD_KAFKA_V_VALUE ((void *) value, len),
                           RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_OPAQUE (completion),
                           RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      g_clear_pointer (&completion, completion_free);
      ev_bus_set_error_from_kafka (error, err, "Cannot send to %s", topic);
      return FALSE;
    }

  if (completion != NULL)
    g_hash_table_add (self->completions, completion);
  return TRUE;
}

/**
 * ev_bus_produce_tombstone:
 * @self: a #EvBus
 * @topic: the topic
 * @key: the key whose latest value is deleted
 * @signature: (nullable): the tombstone's signature
 *   (ev_signed_tombstone_sign()), sent as the %EV_SIGNING_HEADER header
 * @error: return location for a #GError
 *
 * Queues a message with no value (a tombstone, which a compacted topic
 * keeps until the key's earlier values are gone).
 *
 * Returns: %TRUE if the message was queued
 */
gboolean
ev_bus_produce_tombstone (EvBus       *self,
                          const char  *topic,
                          const char  *key,
                          const char  *signature,
                          GError     **error)
{
  rd_kafka_headers_t *headers;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  g_return_val_if_fail (topic != NULL && key != NULL, FALSE);

  if (self->closed)
    {
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CLOSED,
                   "Cannot send to %s: the Kafka bus is closed", topic);
      return FALSE;
    }

  headers = rd_kafka_headers_new (1);
  if (signature != NULL)
    rd_kafka_header_add (headers, EV_SIGNING_HEADER, -1, signature, strlen (signature));
  /* On success the message owns the headers. */
  err = rd_kafka_producev (self->producer.rk,
                           RD_KAFKA_V_TOPIC (topic),
                           RD_KAFKA_V_KEY (key, strlen (key)),
                           RD_KAFKA_V_VALUE (NULL, 0),
                           RD_KAFKA_V_HEADERS (headers),
                           RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      rd_kafka_headers_destroy (headers);
      ev_bus_set_error_from_kafka (error, err, "Cannot send to %s", topic);
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_bus_flush:
 * @self: a #EvBus
 * @timeout_ms: how long to wait at most
 *
 * Waits, blocking the calling thread for up to @timeout_ms, until every
 * message produced so far has had its delivery report, then calls those
 * reports (see ev_bus_produce_full()) before it returns. For a program
 * about to close the bus that must know which of its messages reached the
 * broker: ev_bus_close() delivers what it can too, but calls no report.
 * Does nothing on a closed bus.
 *
 * Returns: %TRUE if every message produced so far reached the broker or
 *   was given up on
 */
gboolean
ev_bus_flush (EvBus *self,
              guint  timeout_ms)
{
  g_autoptr(EvBus) held = NULL;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), FALSE);

  if (self->closed || self->producer.rk == NULL)
    return FALSE;

  /* A report may drop the caller's last reference. */
  held = g_object_ref (self);
  /* It polls the producer's queue: the reports are recorded, as on the
   * main context, and called here once it returned. */
  err = rd_kafka_flush (self->producer.rk, (int) MIN (timeout_ms, (guint) G_MAXINT));
  emit_deferred (self);

  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/**
 * ev_bus_subscribe:
 * @self: a #EvBus with a consumer (a group or #EvBus:no-commit)
 * @topics: (array zero-terminated=1): the topics, replacing any earlier
 *   subscription
 * @error: return location for a #GError
 *
 * Starts consuming @topics; messages arrive as #EvBus::message. Does not
 * block: joining the group happens in the background.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_bus_subscribe (EvBus               *self,
                  const char * const  *topics,
                  GError             **error)
{
  rd_kafka_topic_partition_list_t *list;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  g_return_val_if_fail (topics != NULL && topics[0] != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->consumer.rk == NULL)
    {
      g_set_error_literal (error, EV_BUS_ERROR, self->closed ? EV_BUS_ERROR_CLOSED : EV_BUS_ERROR_FAILED,
                           self->closed ? "The Kafka bus is closed"
                                        : "This Kafka bus has no consumer: give it a group id");
      return FALSE;
    }

  list = rd_kafka_topic_partition_list_new (g_strv_length ((char **) topics));
  for (guint i = 0; topics[i] != NULL; i++)
    rd_kafka_topic_partition_list_add (list, topics[i], RD_KAFKA_PARTITION_UA);
  err = rd_kafka_subscribe (self->consumer.rk, list);
  rd_kafka_topic_partition_list_destroy (list);

  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      ev_bus_set_error_from_kafka (error, err, "Cannot subscribe");
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_bus_message_done:
 * @self: the #EvBus that delivered @msg
 * @msg: a message whose effect is now stored
 *
 * Marks @msg processed: its offset is committed with the next automatic
 * commit (or when the bus closes), so the group will not see it again.
 * Offsets are per partition, so this also covers the earlier messages of
 * @msg's partition: mark messages done in the order they arrived. Does
 * nothing on a reader (#EvBus:no-commit).
 */
void
ev_bus_message_done (EvBus        *self,
                     EvBusMessage *msg)
{
  rd_kafka_topic_partition_list_t *list;
  rd_kafka_resp_err_t err;

  g_return_if_fail (EV_IS_BUS (self));
  g_return_if_fail (msg != NULL);

  if (self->no_commit || self->consumer.rk == NULL)
    return;

  list = rd_kafka_topic_partition_list_new (1);
  rd_kafka_topic_partition_list_add (list, msg->topic, msg->partition)->offset = msg->offset + 1;
  err = rd_kafka_offsets_store (self->consumer.rk, list);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    err = list->elems[0].err;
  rd_kafka_topic_partition_list_destroy (list);

  /* Typically the partition went to another member in a rebalance; it
   * will deliver the message again, which at-least-once allows. */
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    g_debug ("Cannot store the offset of %s[%d]@%" G_GINT64_FORMAT ": %s",
             msg->topic, msg->partition, msg->offset, rd_kafka_err2str (err));
}

/**
 * ev_bus_message_skip:
 * @self: the #EvBus that delivered @msg
 * @msg: a message that cannot be used (unparsable, invalid)
 * @reason: (nullable): why, for the log
 *
 * Logs and counts (#EvBus:skipped) an unusable message and marks it done,
 * so consumption goes on past it instead of retrying it forever.
 */
void
ev_bus_message_skip (EvBus        *self,
                     EvBusMessage *msg,
                     const char   *reason)
{
  g_return_if_fail (EV_IS_BUS (self));
  g_return_if_fail (msg != NULL);

  g_message ("Skipping message %s[%d]@%" G_GINT64_FORMAT " (key %s): %s",
             msg->topic, msg->partition, msg->offset,
             msg->key != NULL ? msg->key : "none",
             reason != NULL ? reason : "unusable");

  self->skipped++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SKIPPED]);

  ev_bus_message_done (self, msg);
}

/**
 * ev_bus_check_options:
 * @bootstrap: (nullable): the `--kafka` a user gave, or %NULL for none
 * @overrides: (nullable) (array zero-terminated=1): the `-X` a user gave
 * @error: return location for a #GError in %G_OPTION_ERROR
 *
 * Checks a program's Kafka options before anything starts: an empty
 * `--kafka` names no broker, and every `-X` must be `key=value`, like
 * kcat's. A clear error now rather than an obscure one from librdkafka
 * later.
 *
 * Returns: %TRUE when they can be used
 */
gboolean
ev_bus_check_options (const char          *bootstrap,
                      const char * const  *overrides,
                      GError             **error)
{
  if (bootstrap != NULL && bootstrap[strspn (bootstrap, " \t,")] == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--kafka takes the brokers as HOST:PORT[,HOST:PORT…], not an empty list"));
      return FALSE;
    }

  for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++)
    {
      const char *eq = strchr (overrides[i], '=');

      if (eq == NULL || eq == overrides[i])
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("-X takes key=value, not “%s”"), overrides[i]);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * ev_bus_list_missing_topics:
 * @self: a #EvBus
 * @topics: (array zero-terminated=1): topic names
 * @error: return location for a #GError
 *
 * Asks the brokers which of @topics they lack, waiting at most
 * %EV_BUS_START_TIMEOUT_MS and blocking the calling thread. It asks for
 * the metadata of every topic rather than of @topics, which a broker with
 * `auto.create.topics.enable` would create with its own defaults.
 *
 * Returns: (transfer full) (nullable): the missing ones, in the order of
 *   @topics (an empty array when none is); %NULL with @error set when no
 *   broker answered
 */
char **
ev_bus_list_missing_topics (EvBus               *self,
                            const char * const  *topics,
                            GError             **error)
{
  const struct rd_kafka_metadata *metadata = NULL;
  g_autoptr(GStrvBuilder) missing = g_strv_builder_new ();
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), NULL);
  g_return_val_if_fail (self->producer.rk != NULL, NULL);

  err = rd_kafka_metadata (self->producer.rk, 1, NULL, &metadata, EV_BUS_START_TIMEOUT_MS);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      ev_bus_set_error_from_kafka (error, err, "Cannot read the topics at %s", self->bootstrap);
      return NULL;
    }

  for (guint i = 0; topics[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (int t = 0; t < metadata->topic_cnt && !found; t++)
        found = g_str_equal (metadata->topics[t].topic, topics[i]) &&
                metadata->topics[t].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      if (!found)
        g_strv_builder_add (missing, topics[i]);
    }

  rd_kafka_metadata_destroy (metadata);
  return g_strv_builder_end (missing);
}

/**
 * ev_bus_new_admin_handle:
 * @bootstrap: the bootstrap servers
 * @overrides: (nullable) (array zero-terminated=1): `key=value` librdkafka
 *   properties, applied last
 * @error: return location for a #GError
 *
 * A librdkafka handle for administration requests (the Admin API and
 * metadata): a producer that never produces, configured like the handles
 * of an #EvBus and then with @overrides (security settings, for a real
 * cluster). Destroy it with rd_kafka_destroy().
 *
 * Returns: (transfer full) (nullable): the `rd_kafka_t *`, or %NULL with
 *   @error set
 */
gpointer
ev_bus_new_admin_handle (const char          *bootstrap,
                         const char * const  *overrides,
                         GError             **error)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  rd_kafka_t *rk;
  char errstr[512];
  const char * const defaults[] = {
    "client.id", "ev-admin",
    "socket.timeout.ms", "10000",
    "log.queue", "false",
    NULL
  };

  g_return_val_if_fail (bootstrap != NULL, NULL);

  if (!conf_set (conf, "bootstrap.servers", bootstrap, error) ||
      !conf_set_all (conf, defaults, error) ||
      !conf_set_overrides (conf, (char **) overrides, error))
    {
      rd_kafka_conf_destroy (conf);
      return NULL;
    }

  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL)
    {
      rd_kafka_conf_destroy (conf);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG, "Cannot create a Kafka client: %s", errstr);
      return NULL;
    }

  return rk;
}

/**
 * ev_bus_check_broker:
 * @self: a #EvBus
 * @error: return location for a #GError
 *
 * Asks the brokers for their metadata and waits at most
 * %EV_BUS_START_TIMEOUT_MS for an answer, blocking the calling thread. A
 * program calls it once at start, before it says it is ready, so that a
 * wrong `--kafka` is a clear error rather than a silent wait.
 *
 * Returns: %TRUE when a broker answered; %FALSE with @error set in
 *   %EV_BUS_ERROR otherwise
 */
gboolean
ev_bus_check_broker (EvBus   *self,
                     GError **error)
{
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (EV_IS_BUS (self), FALSE);
  g_return_val_if_fail (self->producer.rk != NULL, FALSE);

  err = rd_kafka_metadata (self->producer.rk, 0, NULL, &metadata, EV_BUS_START_TIMEOUT_MS);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_UNREACHABLE,
                   _("No Kafka broker at %s answered within %d s: %s"),
                   self->bootstrap, EV_BUS_START_TIMEOUT_MS / 1000, rd_kafka_err2str (err));
      return FALSE;
    }

  rd_kafka_metadata_destroy (metadata);
  return TRUE;
}

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

#include "ev-bus-private.h"

G_DEFINE_QUARK (ev-bus-error-quark, ev_bus_error)

static void ev_bus_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvBus, ev_bus, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      ev_bus_initable_iface_init))

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
  rd_kafka_conf_set_log_cb (conf, bus_log_cb);
  rd_kafka_conf_set_error_cb (conf, bus_error_cb);
  rd_kafka_conf_set_stats_cb (conf, bus_stats_cb);
  if (type == RD_KAFKA_PRODUCER)
    rd_kafka_conf_set_dr_msg_cb (conf, bus_dr_msg_cb);

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
   * the only wake-up, hence bus_dispatch() drains the queue every time. */
  rd_kafka_queue_io_event_enable (handle->queue, handle->wake_fds[1], "1", 1);

  handle->watch = g_unix_fd_source_new (handle->wake_fds[0], G_IO_IN);
  g_source_set_callback (handle->watch, G_SOURCE_FUNC (bus_dispatch_cb), handle, NULL);
  g_source_set_static_name (handle->watch, "EvBus dispatch");
  g_source_attach (handle->watch, self->context);

  /* Events queued before the pipe was attached would not wake us. */
  bus_wake (handle);

  return TRUE;
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

  conf = bus_common_conf (self, error);
  if (conf == NULL)
    return FALSE;

  if (!bus_conf_set_all (conf, defaults, error) ||
      !bus_conf_set_overrides (conf, self->overrides, error))
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

  conf = bus_common_conf (self, error);
  if (conf == NULL)
    return FALSE;

  if (self->no_commit)
    self->at_end = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!bus_conf_set (conf, "group.id", self->group_id, error) ||
      !bus_conf_set_all (conf, defaults, error) ||
      !bus_conf_set_overrides (conf, self->overrides, error))
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
  g_source_set_callback (self->keepalive, bus_keepalive_cb, self, NULL);
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
  bus_pspecs[PROP_BOOTSTRAP] =
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
  bus_pspecs[PROP_GROUP_ID] =
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
  bus_pspecs[PROP_CLIENT_ID] =
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
  bus_pspecs[PROP_OVERRIDES] =
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
  bus_pspecs[PROP_NO_COMMIT] =
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
  bus_pspecs[PROP_REACHABLE] =
    g_param_spec_boolean ("reachable", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:skipped:
   *
   * How many messages were skipped with ev_bus_message_skip().
   */
  bus_pspecs[PROP_SKIPPED] =
    g_param_spec_uint ("skipped", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvBus:delivery-failures:
   *
   * How many produced messages could not be delivered.
   */
  bus_pspecs[PROP_DELIVERY_FAILURES] =
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
  bus_pspecs[PROP_CAUGHT_UP] =
    g_param_spec_boolean ("caught-up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, bus_pspecs);

  /**
   * EvBus::message:
   * @self: a #EvBus
   * @msg: the message
   *
   * A message arrived on a subscribed topic. Once its effect is stored,
   * pass it to ev_bus_message_done() (or ev_bus_message_skip() if it is
   * unusable); until then it will be delivered again after a restart.
   */
  bus_signals[MESSAGE] =
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
  bus_signals[DELIVERY_FAILED] =
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
  self->failed = g_ptr_array_new_with_free_func (bus_delivery_failure_free);
  self->completions = g_hash_table_new_full (NULL, NULL, bus_completion_free, NULL);

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

/* ev-bus-serve.c: librdkafka's events served on the bus's main context:
 * messages, delivery reports, errors, statistics and reachability, a
 * budget at a time; and what a consumer says of each message it got. */

#include "config.h"

#include "ev-bus-private.h"

GParamSpec *bus_pspecs[N_PROPS];
guint bus_signals[N_SIGNALS];

/* @prop of @self changed. */
void
bus_notify (EvBus *self,
            int    prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), bus_pspecs[prop]);
}

void
bus_delivery_failure_free (gpointer data)
{
  DeliveryFailure *failure = data;

  g_free (failure->topic);
  g_free (failure->key);
  g_clear_error (&failure->error);
  g_free (failure);
}

void
bus_completion_free (gpointer data)
{
  Completion *completion = data;

  if (completion->destroy != NULL)
    completion->destroy (completion->user_data);
  g_clear_error (&completion->error);
  g_free (completion);
}

/* librdkafka callbacks. They run inside rd_kafka_poll() and friends, where
 * a signal handler must not run (it could close the bus under librdkafka's
 * feet): they only record, and bus_dispatch_cb() emits once the call returned. */

void
bus_log_cb (const rd_kafka_t *rk,
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

void
bus_error_cb (rd_kafka_t *rk,
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

int
bus_stats_cb (rd_kafka_t *rk,
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

void
bus_dr_msg_cb (rd_kafka_t                *rk,
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

void
bus_wake (Handle *handle)
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

  bus_notify (self, PROP_REACHABLE);
}

void
bus_emit_deferred (EvBus *self)
{
  while (!self->closed && self->failed->len > 0)
    {
      DeliveryFailure *failure = g_ptr_array_steal_index (self->failed, 0);

      self->delivery_failures++;
      g_message ("%s (key %s)", failure->error->message,
                 failure->key != NULL ? failure->key : "none");
      bus_notify (self, PROP_DELIVERY_FAILURES);
      g_signal_emit (self, bus_signals[DELIVERY_FAILED], 0,
                     failure->topic, failure->key, failure->error);
      bus_delivery_failure_free (failure);
    }

  while (!self->closed && !g_queue_is_empty (&self->reported))
    {
      Completion *completion = g_queue_pop_head (&self->reported);

      /* Taken out first: the callback may produce (or close) again. */
      g_hash_table_steal (self->completions, completion);
      completion->func (self, completion->error, completion->user_data);
      bus_completion_free (completion);
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
      bus_notify (self, PROP_CAUGHT_UP);
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
      g_signal_emit (self, bus_signals[MESSAGE], 0, msg);
    }

  if (served == DISPATCH_BUDGET)
    bus_wake (&self->consumer);
}

static void
serve_producer (EvBus *self)
{
  for (guint served = 0; served < DISPATCH_BUDGET; served++)
    if (rd_kafka_poll (self->producer.rk, 0) == 0)
      return;

  bus_wake (&self->producer);
}

void
bus_dispatch (EvBus  *self,
              Handle *handle)
{
  if (self->closed)
    return;

  if (handle == &self->consumer)
    serve_consumer (self);
  else
    serve_producer (self);

  bus_emit_deferred (self);
}

gboolean
bus_dispatch_cb (int          fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  Handle *handle = user_data;
  g_autoptr(EvBus) self = g_object_ref (handle->bus);
  char buffer[256];

  while (read (fd, buffer, sizeof buffer) > 0)
    ;

  bus_dispatch (self, handle);

  return G_SOURCE_CONTINUE;
}

gboolean
bus_keepalive_cb (gpointer user_data)
{
  g_autoptr(EvBus) self = g_object_ref (user_data);

  if (self->consumer.rk != NULL)
    bus_dispatch (self, &self->consumer);
  bus_dispatch (self, &self->producer);

  return G_SOURCE_CONTINUE;
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
  bus_notify (self, PROP_SKIPPED);

  ev_bus_message_done (self, msg);
}

/* ev-bus-produce.c: producing messages and tombstones, with delivery
 * reports on the caller's main context, and flushing. */

#include "config.h"

#include "ev-bus-private.h"

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
      g_clear_pointer (&completion, bus_completion_free);
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
      g_clear_pointer (&completion, bus_completion_free);
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
  bus_emit_deferred (self);

  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

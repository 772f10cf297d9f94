/* ev-bus-message.c: EvBusMessage, one consumed Kafka message, and the check
 * of its signature. */

#include "config.h"

#include "ev-bus-private.h"

G_DEFINE_BOXED_TYPE (EvBusMessage, ev_bus_message, ev_bus_message_ref, ev_bus_message_unref)

EvBusMessage *
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

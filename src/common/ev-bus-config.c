/* ev-bus-config.c: librdkafka's configuration of every EvBus (the defaults
 * above ev-bus.c, the caller's overrides), errors in words, and the
 * cluster checks made at start (topics, options, the broker itself). */

#include "config.h"

#include "ev-bus-private.h"

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

/* Construction */

gboolean
bus_conf_set (rd_kafka_conf_t  *conf,
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

gboolean
bus_conf_set_all (rd_kafka_conf_t    *conf,
                  const char * const *pairs,
                  GError            **error)
{
  for (guint i = 0; pairs[i] != NULL; i += 2)
    if (!bus_conf_set (conf, pairs[i], pairs[i + 1], error))
      return FALSE;

  return TRUE;
}

gboolean
bus_conf_set_overrides (rd_kafka_conf_t  *conf,
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
      if (!bus_conf_set (conf, key, eq + 1, error))
        return FALSE;
    }

  return TRUE;
}

rd_kafka_conf_t *
bus_common_conf (EvBus   *self,
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

  if (!bus_conf_set (conf, "bootstrap.servers", self->bootstrap, error) ||
      !bus_conf_set (conf, "client.id", client_id, error) ||
      !bus_conf_set_all (conf, defaults, error))
    {
      rd_kafka_conf_destroy (conf);
      return NULL;
    }

  return conf;
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

  if (!bus_conf_set (conf, "bootstrap.servers", bootstrap, error) ||
      !bus_conf_set_all (conf, defaults, error) ||
      !bus_conf_set_overrides (conf, (char **) overrides, error))
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

#include "config.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "ev-bus.h"
#include "ev-mock-cluster.h"
#include "ev-topics.h"

/**
 * EvMockCluster:
 *
 * A Kafka cluster of one broker living inside this process: librdkafka's mock
 * cluster, listening on 127.0.0.1 on a port it picks. It is what `ev-broker`
 * runs and what the tests talk to. Any Kafka client can connect to it, but
 * everything it holds (topics, messages, committed offsets) dies with it.
 *
 * The broker can be taken down and brought back up, which simulates an outage
 * without losing anything, and it can refuse produce requests for a while
 * (ev_mock_cluster_set_produce_errors()), which keeps a message from being
 * delivered while every connection stays up.
 */
struct _EvMockCluster
{
  GObject parent_instance;

  int partitions;
  gboolean up;

  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mcluster;
  char *bootstrap;
};

static void ev_mock_cluster_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvMockCluster, ev_mock_cluster, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      ev_mock_cluster_initable_iface_init))

enum {
  PROP_0,
  PROP_PARTITIONS,
  PROP_BOOTSTRAP,
  PROP_UP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The only broker of the cluster; the mock numbers its brokers from 1. */
#define BROKER_ID 1

static void
log_cb (const rd_kafka_t *rk,
        int               level,
        const char       *facility,
        const char       *message)
{
  /* The mock's own chatter is only interesting when debugging it. */
  g_debug ("mock cluster: %s: %s", facility, message);
}

typedef struct
{
  rd_kafka_mock_cluster_t *mcluster;
  const char *topic;
  int partitions;
  rd_kafka_resp_err_t err;
} CreateTopic;

static gpointer
create_topic_thread (gpointer data)
{
  CreateTopic *job = data;

  job->err = rd_kafka_mock_topic_create (job->mcluster, job->topic, job->partitions, 1);
  return NULL;
}

/* Each creation is a request to the cluster's thread, which in librdkafka
 * 2.0.2 often notices it only at its next 1 s poll timeout: one after the
 * other, seven topics took 2 s (measured). Sent together, they are served
 * in one go. */
static gboolean
create_topics (EvMockCluster  *self,
               GError        **error)
{
  const char * const *topics = ev_topics_get_all ();
  guint n_topics = g_strv_length ((char **) topics);
  g_autofree CreateTopic *jobs = g_new0 (CreateTopic, n_topics);
  g_autofree GThread **threads = g_new0 (GThread *, n_topics);

  for (guint i = 0; i < n_topics; i++)
    {
      jobs[i] = (CreateTopic) { self->mcluster, topics[i], self->partitions, 0 };
      threads[i] = g_thread_new ("ev-mock-topic", create_topic_thread, &jobs[i]);
    }

  for (guint i = 0; i < n_topics; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < n_topics; i++)
    if (jobs[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
      {
        ev_bus_set_error_from_kafka (error, jobs[i].err, "Cannot create topic %s", topics[i]);
        return FALSE;
      }

  return TRUE;
}

static gboolean
ev_mock_cluster_initable_init (GInitable     *initable,
                               GCancellable  *cancellable,
                               GError       **error)
{
  EvMockCluster *self = EV_MOCK_CLUSTER (initable);
  rd_kafka_conf_t *conf;
  char errstr[512];

  if (self->rk != NULL)
    return TRUE;

  conf = rd_kafka_conf_new ();
  rd_kafka_conf_set_log_cb (conf, log_cb);
  /* This handle only hosts the cluster; it never talks to a broker. */
  if (rd_kafka_conf_set (conf, "client.id", "ev-mock-cluster", errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set (conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    {
      rd_kafka_conf_destroy (conf);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_CONFIG,
                   "Cannot configure the mock cluster: %s", errstr);
      return FALSE;
    }

  self->rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (self->rk == NULL)
    {
      rd_kafka_conf_destroy (conf);
      g_set_error (error, EV_BUS_ERROR, EV_BUS_ERROR_FAILED,
                   "Cannot create the mock cluster's handle: %s", errstr);
      return FALSE;
    }

  self->mcluster = rd_kafka_mock_cluster_new (self->rk, 1);
  if (self->mcluster == NULL)
    {
      g_set_error_literal (error, EV_BUS_ERROR, EV_BUS_ERROR_FAILED,
                           "Cannot create the mock cluster (no free port on 127.0.0.1?)");
      return FALSE;
    }

  if (!create_topics (self, error))
    return FALSE;

  self->bootstrap = g_strdup (rd_kafka_mock_cluster_bootstraps (self->mcluster));
  self->up = TRUE;

  g_debug ("Mock cluster listening on %s with %u topics of %d partitions",
           self->bootstrap, g_strv_length ((char **) ev_topics_get_all ()), self->partitions);

  return TRUE;
}

static void
ev_mock_cluster_initable_iface_init (GInitableIface *iface)
{
  iface->init = ev_mock_cluster_initable_init;
}

static void
ev_mock_cluster_finalize (GObject *object)
{
  EvMockCluster *self = EV_MOCK_CLUSTER (object);

  /* The cluster runs on threads of its own handle: destroy it first. */
  g_clear_pointer (&self->mcluster, rd_kafka_mock_cluster_destroy);
  g_clear_pointer (&self->rk, rd_kafka_destroy);
  g_clear_pointer (&self->bootstrap, g_free);

  G_OBJECT_CLASS (ev_mock_cluster_parent_class)->finalize (object);
}

static void
ev_mock_cluster_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EvMockCluster *self = EV_MOCK_CLUSTER (object);

  switch (prop_id)
    {
    case PROP_PARTITIONS:
      g_value_set_int (value, self->partitions);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_UP:
      g_value_set_boolean (value, self->up);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_mock_cluster_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EvMockCluster *self = EV_MOCK_CLUSTER (object);

  switch (prop_id)
    {
    case PROP_PARTITIONS:
      self->partitions = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_mock_cluster_class_init (EvMockClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ev_mock_cluster_finalize;
  object_class->get_property = ev_mock_cluster_get_property;
  object_class->set_property = ev_mock_cluster_set_property;

  /**
   * EvMockCluster:partitions:
   *
   * How many partitions each topic of the wire contract gets.
   */
  properties[PROP_PARTITIONS] =
    g_param_spec_int ("partitions", NULL, NULL,
                      1, 1000, EV_MOCK_CLUSTER_DEFAULT_PARTITIONS,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                      G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvMockCluster:bootstrap:
   *
   * The `host:port` clients give as `bootstrap.servers`.
   */
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvMockCluster:up:
   *
   * Whether the broker accepts connections (%FALSE during a simulated
   * outage).
   */
  properties[PROP_UP] =
    g_param_spec_boolean ("up", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_mock_cluster_init (EvMockCluster *self)
{
  self->partitions = EV_MOCK_CLUSTER_DEFAULT_PARTITIONS;
}

/**
 * ev_mock_cluster_new:
 * @partitions: partitions per topic, 1 or more
 * @error: return location for a #GError
 *
 * Starts a cluster of one broker on 127.0.0.1, with the topics of
 * ev_topics_get_all() created.
 *
 * Returns: (transfer full): the new cluster, or %NULL with @error set
 */
EvMockCluster *
ev_mock_cluster_new (int      partitions,
                     GError **error)
{
  g_return_val_if_fail (partitions >= 1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EV_TYPE_MOCK_CLUSTER, NULL, error,
                         "partitions", partitions,
                         NULL);
}

/**
 * ev_mock_cluster_get_bootstrap:
 * @self: a #EvMockCluster
 *
 * Returns: the `127.0.0.1:PORT` address clients bootstrap from
 */
const char *
ev_mock_cluster_get_bootstrap (EvMockCluster *self)
{
  g_return_val_if_fail (EV_IS_MOCK_CLUSTER (self), NULL);

  return self->bootstrap;
}

/**
 * ev_mock_cluster_get_partitions:
 * @self: a #EvMockCluster
 *
 * Returns: how many partitions each topic has
 */
int
ev_mock_cluster_get_partitions (EvMockCluster *self)
{
  g_return_val_if_fail (EV_IS_MOCK_CLUSTER (self), 0);

  return self->partitions;
}

/**
 * ev_mock_cluster_get_up:
 * @self: a #EvMockCluster
 *
 * Returns: whether the broker is up
 */
gboolean
ev_mock_cluster_get_up (EvMockCluster *self)
{
  g_return_val_if_fail (EV_IS_MOCK_CLUSTER (self), FALSE);

  return self->up;
}

static gboolean
set_up (EvMockCluster  *self,
        gboolean        up,
        GError        **error)
{
  rd_kafka_resp_err_t err;

  if (self->up == up)
    return TRUE;

  if (up)
    err = rd_kafka_mock_broker_set_up (self->mcluster, BROKER_ID);
  else
    err = rd_kafka_mock_broker_set_down (self->mcluster, BROKER_ID);

  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      ev_bus_set_error_from_kafka (error, err, up ? "Cannot bring the broker up"
                                                  : "Cannot take the broker down");
      return FALSE;
    }

  self->up = up;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UP]);

  return TRUE;
}

/**
 * ev_mock_cluster_set_down:
 * @self: a #EvMockCluster
 * @error: return location for a #GError
 *
 * Takes the broker down: it closes every connection and refuses new ones,
 * but keeps its topics, messages and committed offsets. Does nothing if it
 * is down already.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_mock_cluster_set_down (EvMockCluster  *self,
                          GError        **error)
{
  g_return_val_if_fail (EV_IS_MOCK_CLUSTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_up (self, FALSE, error);
}

/**
 * ev_mock_cluster_set_up:
 * @self: a #EvMockCluster
 * @error: return location for a #GError
 *
 * Brings the broker back after ev_mock_cluster_set_down(). Clients
 * reconnect by themselves. Does nothing if it is up already.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_mock_cluster_set_up (EvMockCluster  *self,
                        GError        **error)
{
  g_return_val_if_fail (EV_IS_MOCK_CLUSTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_up (self, TRUE, error);
}

/* Produce (0), from the Kafka protocol's list of API keys; librdkafka
 * keeps its RD_KAFKAP_* names in a header it does not install. */
#define API_KEY_PRODUCE 0

/**
 * ev_mock_cluster_set_produce_errors:
 * @self: a #EvMockCluster
 * @count: how many produce requests fail, or 0 for none
 *
 * Makes the next @count produce requests the broker gets, whoever sends
 * them, fail with `NOT_LEADER_FOR_PARTITION`: an error producers retry by
 * themselves, so their messages wait, undelivered, until the count is
 * used up (each retry uses one). Replaces any count still left; 0 lets
 * every request through again.
 */
void
ev_mock_cluster_set_produce_errors (EvMockCluster *self,
                                    guint          count)
{
  g_autofree rd_kafka_resp_err_t *errors = NULL;

  g_return_if_fail (EV_IS_MOCK_CLUSTER (self));

  rd_kafka_mock_clear_request_errors (self->mcluster, API_KEY_PRODUCE);
  if (count == 0)
    return;

  errors = g_new (rd_kafka_resp_err_t, count);
  for (guint i = 0; i < count; i++)
    errors[i] = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
  rd_kafka_mock_push_request_errors_array (self->mcluster, API_KEY_PRODUCE, count, errors);
}

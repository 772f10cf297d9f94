/* central-topics.c: `ev-central --create-topics`, the topics of the wire
 * contract created on a Kafka cluster through librdkafka's Admin API,
 * idempotently: a topic that exists is checked instead (its partitions and
 * replicas from the metadata, its configuration with DescribeConfigs) and
 * what differs from what was asked is reported, never changed: changing
 * the partitions of a topic in use moves keys to other partitions, and
 * that is the operator's decision. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <librdkafka/rdkafka.h>

#include "central-topics.h"
#include "ev-bus.h"
#include "ev-topics.h"

#define METADATA_TIMEOUT_MS 5000
#define CREATE_TIMEOUT_MS 15000
/* A real cluster answers DescribeConfigs at once; the embedded broker
 * (librdkafka's mock cluster) does not know the request, and the client
 * waits this long for a controller to send it to. */
#define DESCRIBE_TIMEOUT_MS 5000

/* The one topic read as a table (the last state of each CP). */
#define COMPACTED_TOPIC "cp-states"

static void
say (GPtrArray  *report,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);

static void
say (GPtrArray  *report,
     const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (report, g_strdup_vprintf (format, args));
  va_end (args);
}

static const rd_kafka_metadata_topic_t *
find_topic (const struct rd_kafka_metadata *metadata,
            const char                     *name)
{
  for (int i = 0; i < metadata->topic_cnt; i++)
    if (g_str_equal (metadata->topics[i].topic, name) &&
        metadata->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      return &metadata->topics[i];

  return NULL;
}

/* The settings each topic is created with. */
static const char *
wanted_cleanup_policy (const char *topic)
{
  return g_str_equal (topic, COMPACTED_TOPIC) ? "compact" : "delete";
}

static int
wanted_min_insync (int replication_factor)
{
  /* With 3 replicas or more, acks=all survives one broker down and never
   * takes a write only one broker holds (docs/deployment.md). */
  return replication_factor >= 3 ? 2 : 1;
}

/* The successful answer to the request sent to QUEUE, or NULL when it
 * failed, said in REPORT after FAILED (a format taking the reason). */
static rd_kafka_event_t *
wait_result (rd_kafka_queue_t *queue,
             GPtrArray        *report,
             const char       *failed)
{
  rd_kafka_event_t *event = rd_kafka_queue_poll (queue, CREATE_TIMEOUT_MS + METADATA_TIMEOUT_MS);

  if (event != NULL && rd_kafka_event_error (event) == RD_KAFKA_RESP_ERR_NO_ERROR)
    return event;

  g_ptr_array_add (report, g_strdup_printf (failed, event != NULL ? rd_kafka_event_error_string (event)
                                                                  : _("no answer")));
  g_clear_pointer (&event, rd_kafka_event_destroy);
  return NULL;
}

static rd_kafka_AdminOptions_t *
admin_options (rd_kafka_t          *rk,
               rd_kafka_admin_op_t  op)
{
  rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new (rk, op);
  int timeout = op == RD_KAFKA_ADMIN_OP_CREATETOPICS ? CREATE_TIMEOUT_MS : DESCRIBE_TIMEOUT_MS;
  char errstr[256];

  rd_kafka_AdminOptions_set_request_timeout (options, timeout, errstr, sizeof errstr);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS)
    rd_kafka_AdminOptions_set_operation_timeout (options, timeout, errstr, sizeof errstr);
  return options;
}

/* Creates MISSING; TRUE when each was created or exists by now. */
static gboolean
create_topics (rd_kafka_t  *rk,
               GPtrArray   *missing,
               int          partitions,
               int          replication_factor,
               GPtrArray   *report)
{
  g_autofree rd_kafka_NewTopic_t **topics = g_new0 (rd_kafka_NewTopic_t *, missing->len);
  g_autofree char *min_insync = g_strdup_printf ("%d", wanted_min_insync (replication_factor));
  rd_kafka_queue_t *queue = rd_kafka_queue_new (rk);
  rd_kafka_AdminOptions_t *options = admin_options (rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_event_t *event;
  const rd_kafka_topic_result_t **results;
  size_t n_results = 0;
  gboolean ok = TRUE;
  char errstr[512];

  for (guint i = 0; i < missing->len; i++)
    {
      const char *name = g_ptr_array_index (missing, i);

      topics[i] = rd_kafka_NewTopic_new (name, partitions, replication_factor, errstr, sizeof errstr);
      g_assert (topics[i] != NULL);  /* the arguments were checked by the caller */
      rd_kafka_NewTopic_set_config (topics[i], "cleanup.policy", wanted_cleanup_policy (name));
      if (replication_factor > 1)
        rd_kafka_NewTopic_set_config (topics[i], "min.insync.replicas", min_insync);
    }

  rd_kafka_CreateTopics (rk, topics, missing->len, options, queue);
  event = wait_result (queue, report, _("Could not create the topics: %s"));
  if (event == NULL)
    {
      ok = FALSE;
      goto out;
    }

  results = rd_kafka_CreateTopics_result_topics (rd_kafka_event_CreateTopics_result (event), &n_results);
  for (size_t i = 0; i < n_results; i++)
    {
      const char *name = rd_kafka_topic_result_name (results[i]);
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error (results[i]);

      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        say (report, _("%s: created with %d partitions and %d replicas"), name, partitions, replication_factor);
      else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        say (report, _("%s: created meanwhile by someone else"), name);
      else
        {
          const char *text = rd_kafka_topic_result_error_string (results[i]);

          say (report, _("%s: could not be created: %s"), name, text != NULL ? text : rd_kafka_err2str (err));
          ok = FALSE;
        }
    }

out:
  g_clear_pointer (&event, rd_kafka_event_destroy);
  rd_kafka_AdminOptions_destroy (options);
  rd_kafka_queue_destroy (queue);
  rd_kafka_NewTopic_destroy_array (topics, missing->len);
  return ok;
}

static const char *
config_value (const rd_kafka_ConfigResource_t *resource,
              const char                      *name)
{
  const rd_kafka_ConfigEntry_t **entries;
  size_t n_entries = 0;

  entries = rd_kafka_ConfigResource_configs (resource, &n_entries);
  for (size_t i = 0; i < n_entries; i++)
    if (g_str_equal (rd_kafka_ConfigEntry_name (entries[i]), name))
      return rd_kafka_ConfigEntry_value (entries[i]);

  return NULL;
}

/* Checks the configuration of every topic; FALSE when some differs from
 * what it is created with, or cannot be read. */
static gboolean
check_configs (rd_kafka_t *rk,
               int         replication_factor,
               GPtrArray  *report)
{
  const char * const *names = ev_topics_get_all ();
  guint n_names = g_strv_length ((char **) names);
  g_autofree rd_kafka_ConfigResource_t **resources = g_new0 (rd_kafka_ConfigResource_t *, n_names);
  rd_kafka_queue_t *queue = rd_kafka_queue_new (rk);
  rd_kafka_AdminOptions_t *options = admin_options (rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_event_t *event;
  const rd_kafka_ConfigResource_t **results;
  size_t n_results = 0;
  gboolean right = TRUE;

  for (guint i = 0; i < n_names; i++)
    resources[i] = rd_kafka_ConfigResource_new (RD_KAFKA_RESOURCE_TOPIC, names[i]);

  rd_kafka_DescribeConfigs (rk, resources, n_names, options, queue);
  event = wait_result (queue, report, _("Could not read the topics' configuration: %s"));
  if (event == NULL)
    {
      right = FALSE;
      goto out;
    }

  results = rd_kafka_DescribeConfigs_result_resources (rd_kafka_event_DescribeConfigs_result (event), &n_results);
  for (size_t i = 0; i < n_results; i++)
    {
      const char *name = rd_kafka_ConfigResource_name (results[i]);
      const char *policy;
      const char *min_insync;

      if (rd_kafka_ConfigResource_error (results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          say (report, _("%s: could not read its configuration: %s"), name,
               rd_kafka_ConfigResource_error_string (results[i]));
          right = FALSE;
          continue;
        }

      policy = config_value (results[i], "cleanup.policy");
      if (policy == NULL || !g_str_equal (policy, wanted_cleanup_policy (name)))
        {
          say (report, _("%s: cleanup.policy is %s, it should be %s"), name,
               policy != NULL ? policy : "?", wanted_cleanup_policy (name));
          right = FALSE;
        }

      min_insync = config_value (results[i], "min.insync.replicas");
      if (min_insync != NULL && g_ascii_strtoll (min_insync, NULL, 10) < wanted_min_insync (replication_factor))
        {
          say (report, _("%s: min.insync.replicas is %s, it should be at least %d with %d replicas"), name,
               min_insync, wanted_min_insync (replication_factor), replication_factor);
          right = FALSE;
        }
    }

out:
  g_clear_pointer (&event, rd_kafka_event_destroy);
  rd_kafka_AdminOptions_destroy (options);
  rd_kafka_queue_destroy (queue);
  rd_kafka_ConfigResource_destroy_array (resources, n_names);
  return right;
}

/* Checks the partitions and replicas of every topic in METADATA. */
static gboolean
check_layout (const struct rd_kafka_metadata *metadata,
              int                             partitions,
              int                             replication_factor,
              GPtrArray                      *report)
{
  const char * const *names = ev_topics_get_all ();
  gboolean right = TRUE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      const rd_kafka_metadata_topic_t *topic = find_topic (metadata, names[i]);
      int replicas;

      if (topic == NULL)
        continue;
      replicas = topic->partition_cnt > 0 ? topic->partitions[0].replica_cnt : 0;
      if (topic->partition_cnt != partitions)
        {
          say (report, _("%s: has %d partitions, %d were asked for"), names[i], topic->partition_cnt, partitions);
          right = FALSE;
        }
      if (replicas != replication_factor)
        {
          say (report, _("%s: has %d replicas, %d were asked for"), names[i], replicas, replication_factor);
          right = FALSE;
        }
    }

  return right;
}

static const struct rd_kafka_metadata *
read_metadata (rd_kafka_t *rk,
               GPtrArray  *report)
{
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_resp_err_t err;

  /* Every topic of the cluster: asking for ours by name could create them
   * with the broker's defaults where auto-creation is on. */
  err = rd_kafka_metadata (rk, 1, NULL, &metadata, METADATA_TIMEOUT_MS);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      say (report, _("No Kafka broker answered within %d s: %s"), METADATA_TIMEOUT_MS / 1000,
           rd_kafka_err2str (err));
      return NULL;
    }

  return metadata;
}

/**
 * central_topics_create:
 * @bootstrap: the cluster's bootstrap servers
 * @overrides: (nullable): librdkafka properties (`key=value`)
 * @partitions: partitions of each topic created (1 or more)
 * @replication_factor: replicas of each partition created (1 or more)
 * @report: (element-type utf8): receives one translated line per finding
 *
 * Creates the topics of the wire contract that the cluster lacks, with
 * @partitions, @replication_factor, `cleanup.policy` `compact` for
 * cp-states (`delete` for the others) and, with 3 replicas or more,
 * `min.insync.replicas` 2; then checks every topic against the same
 * settings. Blocks for up to about 40 s.
 *
 * Returns: what was found
 */
CentralTopicsStatus
central_topics_create (const char         *bootstrap,
                       const char * const *overrides,
                       int                 partitions,
                       int                 replication_factor,
                       GPtrArray          *report)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) missing = g_ptr_array_new ();
  const char * const *names = ev_topics_get_all ();
  const struct rd_kafka_metadata *metadata = NULL;
  CentralTopicsStatus status = CENTRAL_TOPICS_FAILED;
  gboolean right = TRUE;
  rd_kafka_t *rk;

  g_return_val_if_fail (bootstrap != NULL, CENTRAL_TOPICS_FAILED);
  g_return_val_if_fail (partitions >= 1 && replication_factor >= 1, CENTRAL_TOPICS_FAILED);

  rk = ev_bus_new_admin_handle (bootstrap, overrides, &error);
  if (rk == NULL)
    {
      say (report, "%s", error->message);
      return CENTRAL_TOPICS_FAILED;
    }

  metadata = read_metadata (rk, report);
  if (metadata == NULL)
    goto out;

  for (guint i = 0; names[i] != NULL; i++)
    if (find_topic (metadata, names[i]) == NULL)
      g_ptr_array_add (missing, (gpointer) names[i]);
    else
      say (report, _("%s: exists"), names[i]);

  if (missing->len > 0)
    {
      if (!create_topics (rk, missing, partitions, replication_factor, report))
        goto out;
      /* What was created, as the cluster now describes it. */
      g_clear_pointer (&metadata, rd_kafka_metadata_destroy);
      metadata = read_metadata (rk, report);
      if (metadata == NULL)
        goto out;
    }

  right &= check_layout (metadata, partitions, replication_factor, report);
  right &= check_configs (rk, replication_factor, report);
  status = right ? CENTRAL_TOPICS_RIGHT : CENTRAL_TOPICS_MISCONFIGURED;

out:
  g_clear_pointer (&metadata, rd_kafka_metadata_destroy);
  rd_kafka_destroy (rk);
  return status;
}

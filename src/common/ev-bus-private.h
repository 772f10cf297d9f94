/* ev-bus-private.h: what the files of EvBus share and no one else sees:
 * its structure, its librdkafka handles and its internal functions. */

#pragma once

#include <librdkafka/rdkafka.h>

#include "ev-bus.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <syslog.h>
#include <unistd.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <librdkafka/rdkafka.h>

#include "ev-discovery.h"

G_BEGIN_DECLS

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

EvBusMessage *ev_bus_message_new_from_kafka (const rd_kafka_message_t *rkm);

gboolean bus_conf_set (rd_kafka_conf_t *conf, const char *key, const char *value, GError **error);

gboolean bus_conf_set_all (rd_kafka_conf_t *conf, const char * const *pairs, GError **error);

gboolean bus_conf_set_overrides (rd_kafka_conf_t *conf, char **overrides, GError **error);

rd_kafka_conf_t *bus_common_conf (EvBus *self, GError **error);

void bus_delivery_failure_free (gpointer data);

void bus_completion_free (gpointer data);

void bus_log_cb (const rd_kafka_t *rk, int level, const char *facility, const char *message);

void bus_error_cb (rd_kafka_t *rk, int err, const char *reason, void *opaque);

int bus_stats_cb (rd_kafka_t *rk, char *json, size_t json_len, void *opaque);

void bus_dr_msg_cb (rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);

void bus_wake (Handle *handle);

void bus_emit_deferred (EvBus *self);

void bus_dispatch (EvBus *self, Handle *handle);

gboolean bus_dispatch_cb (int fd, GIOCondition condition, gpointer user_data);

gboolean bus_keepalive_cb (gpointer user_data);

void bus_notify (EvBus *self,
                 int    prop);

enum {
  MESSAGE,
  DELIVERY_FAILED,
  N_SIGNALS
};

extern GParamSpec *bus_pspecs[N_PROPS];
extern guint bus_signals[N_SIGNALS];

G_END_DECLS

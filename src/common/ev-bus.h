#pragma once

#include <gio/gio.h>

#include "ev-signing.h"

G_BEGIN_DECLS

/**
 * EvBusError:
 * @EV_BUS_ERROR_FAILED: any other Kafka error
 * @EV_BUS_ERROR_CONFIG: an unknown librdkafka property, a value it refuses,
 *   or an override that is not `key=value`
 * @EV_BUS_ERROR_UNREACHABLE: no broker can be reached (transport failure,
 *   all brokers down, name resolution)
 * @EV_BUS_ERROR_TIMED_OUT: a message or request timed out
 * @EV_BUS_ERROR_QUEUE_FULL: the producer queue is full: retry later
 * @EV_BUS_ERROR_TOO_LARGE: the message exceeds the size the broker accepts
 * @EV_BUS_ERROR_UNKNOWN_TOPIC: the topic or partition does not exist
 * @EV_BUS_ERROR_FATAL: the producer hit a fatal (idempotence) error and
 *   must be recreated
 * @EV_BUS_ERROR_CLOSED: the bus is shutting down
 *
 * Kafka failures, mapped from librdkafka's error codes; the message keeps
 * librdkafka's own text.
 */
typedef enum {
  EV_BUS_ERROR_FAILED,
  EV_BUS_ERROR_CONFIG,
  EV_BUS_ERROR_UNREACHABLE,
  EV_BUS_ERROR_TIMED_OUT,
  EV_BUS_ERROR_QUEUE_FULL,
  EV_BUS_ERROR_TOO_LARGE,
  EV_BUS_ERROR_UNKNOWN_TOPIC,
  EV_BUS_ERROR_FATAL,
  EV_BUS_ERROR_CLOSED,
} EvBusError;

#define EV_BUS_ERROR (ev_bus_error_quark ())

GQuark ev_bus_error_quark          (void);
void   ev_bus_set_error_from_kafka (GError     **error,
                                    int          kafka_error,
                                    const char  *format,
                                    ...) G_GNUC_PRINTF (3, 4);

/**
 * EvBusMessage:
 *
 * One consumed Kafka message. Reference-counted and immutable; keep a
 * reference while its processing is pending, then hand it to
 * ev_bus_message_done().
 */
typedef struct _EvBusMessage EvBusMessage;

#define EV_TYPE_BUS_MESSAGE (ev_bus_message_get_type ())

GType         ev_bus_message_get_type      (void) G_GNUC_CONST;
EvBusMessage *ev_bus_message_ref           (EvBusMessage *msg);
void          ev_bus_message_unref         (EvBusMessage *msg);
const char   *ev_bus_message_get_topic     (EvBusMessage *msg);
const char   *ev_bus_message_get_key       (EvBusMessage *msg);
GBytes       *ev_bus_message_get_value     (EvBusMessage *msg);
int           ev_bus_message_get_partition (EvBusMessage *msg);
gint64        ev_bus_message_get_offset    (EvBusMessage *msg);
gint64        ev_bus_message_get_timestamp (EvBusMessage *msg);

gboolean      ev_bus_message_verify        (EvBusMessage *msg,
                                            EvVerifyKey  *trusted,
                                            GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvBusMessage, ev_bus_message_unref)

#define EV_TYPE_BUS (ev_bus_get_type ())

G_DECLARE_FINAL_TYPE (EvBus, ev_bus, EV, BUS, GObject)

char        *ev_bus_default_bootstrap       (GError             **error);

EvBus       *ev_bus_new                     (const char          *bootstrap,
                                             const char          *group_id,
                                             const char          *client_id,
                                             const char * const  *overrides,
                                             GError             **error);
EvBus       *ev_bus_new_reader              (const char          *bootstrap,
                                             const char          *client_id,
                                             const char * const  *overrides,
                                             GError             **error);

const char  *ev_bus_get_bootstrap           (EvBus               *self);
const char  *ev_bus_get_group_id            (EvBus               *self);
const char  *ev_bus_get_client_id           (EvBus               *self);
gboolean     ev_bus_get_no_commit           (EvBus               *self);
gboolean     ev_bus_get_reachable           (EvBus               *self);
guint        ev_bus_get_skipped             (EvBus               *self);
guint        ev_bus_get_delivery_failures   (EvBus               *self);
guint        ev_bus_get_pending             (EvBus               *self);
gboolean     ev_bus_get_caught_up           (EvBus               *self);

char        *ev_bus_dup_producer_config     (EvBus               *self,
                                             const char          *key);
char        *ev_bus_dup_consumer_config     (EvBus               *self,
                                             const char          *key);

gboolean     ev_bus_produce                 (EvBus               *self,
                                             const char          *topic,
                                             const char          *key,
                                             const void          *value,
                                             gsize                len,
                                             GError             **error);

/**
 * EvBusDeliveredFunc:
 * @bus: the bus
 * @error: (nullable): %NULL when the message reached the broker, else why
 *   it was given up on
 * @user_data: the data given to ev_bus_produce_full()
 *
 * The delivery report of one message, on the bus's main context.
 */
typedef void (*EvBusDeliveredFunc)          (EvBus               *bus,
                                             const GError        *error,
                                             gpointer             user_data);

gboolean     ev_bus_produce_full            (EvBus               *self,
                                             const char          *topic,
                                             const char          *key,
                                             const void          *value,
                                             gsize                len,
                                             EvBusDeliveredFunc   func,
                                             gpointer             user_data,
                                             GDestroyNotify       destroy,
                                             GError             **error);

gboolean     ev_bus_produce_tombstone       (EvBus               *self,
                                             const char          *topic,
                                             const char          *key,
                                             const char          *signature,
                                             GError             **error);

gboolean     ev_bus_flush                   (EvBus               *self,
                                             guint                timeout_ms);

gboolean     ev_bus_subscribe               (EvBus               *self,
                                             const char * const  *topics,
                                             GError             **error);
void         ev_bus_message_done            (EvBus               *self,
                                             EvBusMessage        *msg);
void         ev_bus_message_skip            (EvBus               *self,
                                             EvBusMessage        *msg,
                                             const char          *reason);

void         ev_bus_close                   (EvBus               *self);

/**
 * EV_BUS_START_TIMEOUT_MS:
 *
 * How long a program waits at start for a broker to answer
 * (ev_bus_check_broker()) before it gives up.
 */
#define EV_BUS_START_TIMEOUT_MS 5000

gboolean     ev_bus_check_options           (const char          *bootstrap,
                                             const char * const  *overrides,
                                             GError             **error);
char       **ev_bus_list_missing_topics     (EvBus               *self,
                                             const char * const  *topics,
                                             GError             **error);
gpointer     ev_bus_new_admin_handle        (const char          *bootstrap,
                                             const char * const  *overrides,
                                             GError             **error);
gboolean     ev_bus_check_broker            (EvBus               *self,
                                             GError             **error);

G_END_DECLS

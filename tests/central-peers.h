#pragma once

/* Test peers of Central, written from docs/protocol.md and src/common
 * alone: a private ev-broker, a monitor (over a real EvLink, or raw bytes
 * on a socket), an engine and a driver (over EvBus). Everything runs on
 * the thread-default main context; every wait spins it and fails the test
 * after PEER_WAIT_MS instead of hanging. Returned messages belong to the
 * peer and live as long as it does. */

#include <gio/gio.h>

#include "ev-link.h"
#include "ev-messages.h"

G_BEGIN_DECLS

/* Generous: joining a consumer group on the mock cluster takes seconds,
 * and sanitizers slow everything down. */
#define PEER_WAIT_MS 60000

/* A private ev-broker ($EV_BROKER --headless) with its own runtime
 * directory, so it never meets another test's broker. */
typedef struct _PeerBroker PeerBroker;

PeerBroker *peer_broker_start         (void);
const char *peer_broker_get_bootstrap (PeerBroker *broker);
void        peer_broker_set_produce_errors (PeerBroker *broker,
                                            guint       count);
void        peer_broker_stop          (PeerBroker *broker);

/* A monitor on a real EvLink: one request at a time, each answered by a
 * parsed response (the test fails if the response is not valid). An
 * optional heartbeat sends `status` periodically, like a real monitor. */
typedef struct _PeerMonitor PeerMonitor;

PeerMonitor    *peer_monitor_connect     (guint           port);
EvLinkResponse *peer_monitor_request     (PeerMonitor    *monitor,
                                          const char     *json);
EvLinkResponse *peer_monitor_auth        (PeerMonitor    *monitor,
                                          const char     *cp_id,
                                          const char     *token);
EvLinkResponse *peer_monitor_register    (PeerMonitor    *monitor,
                                          const char     *cp_id,
                                          const char     *location);
EvLinkResponse *peer_monitor_status      (PeerMonitor    *monitor,
                                          EvCpState       state,
                                          EvEngineHealth  engine);
void            peer_monitor_heartbeat   (PeerMonitor    *monitor,
                                          EvCpState       state,
                                          EvEngineHealth  engine,
                                          guint           interval_ms);
void            peer_monitor_stop_heartbeat (PeerMonitor *monitor);
gboolean        peer_monitor_is_closed   (PeerMonitor    *monitor);
void            peer_monitor_wait_closed (PeerMonitor    *monitor);
void            peer_monitor_close       (PeerMonitor    *monitor);
void            peer_monitor_free        (PeerMonitor    *monitor);

/* A monitor link spoken byte by byte, to misbehave on purpose. Connecting
 * does the ENQ/ACK handshake. */
typedef struct _PeerRawLink PeerRawLink;

PeerRawLink *peer_raw_link_connect    (guint        port);
void         peer_raw_link_send       (PeerRawLink *raw,
                                       const void  *data,
                                       gsize        len);
gboolean     peer_raw_link_try_send   (PeerRawLink *raw,
                                       const void  *data,
                                       gsize        len);
void         peer_raw_link_send_frame (PeerRawLink *raw,
                                       const char  *json);
guint8       peer_raw_link_read_byte  (PeerRawLink *raw);
char        *peer_raw_link_read_frame (PeerRawLink *raw);
char        *peer_raw_link_request    (PeerRawLink *raw,
                                       const char  *json);
gboolean     peer_raw_link_is_closed  (PeerRawLink *raw);
void         peer_raw_link_free       (PeerRawLink *raw);

/* An engine: keeps the `central-directives` for its CP (or `all`) made
 * after it was created, publishes `supply-data` (keyed by its CP), and
 * can ask for a supply as typed at the station. */
typedef struct _PeerEngine PeerEngine;

PeerEngine        *peer_engine_new              (const char        *bootstrap,
                                                 const char        *cp_id);
const EvDirective *peer_engine_wait_directive   (PeerEngine        *engine,
                                                 EvDirectiveAction  action,
                                                 guint              nth);
guint              peer_engine_count_directives (PeerEngine        *engine,
                                                 EvDirectiveAction  action);
EvSupplyData      *peer_engine_data_new         (PeerEngine        *engine,
                                                 const EvDirective *start,
                                                 EvSupplyDataKind   kind,
                                                 guint              seq,
                                                 double             kwh);
void               peer_engine_publish          (PeerEngine        *engine,
                                                 const EvSupplyData *data);
void               peer_engine_publish_delivered (PeerEngine       *engine,
                                                 const EvSupplyData *data);
void               peer_engine_publish_raw      (PeerEngine        *engine,
                                                 const char        *topic,
                                                 const char        *value);
char              *peer_engine_request          (PeerEngine        *engine,
                                                 const char        *driver_id);
void               peer_engine_use_key          (PeerEngine        *engine,
                                                 const char        *key);
void               peer_engine_free             (PeerEngine        *engine);

/* The key Central last issued @cp_id in an answer any PeerMonitor read
 * (what a monitor hands its engine), or %NULL. */
const char        *peer_cp_key                  (const char        *cp_id);

/* A driver: publishes `supply-req`, keeps the `supply-res`,
 * `supply-data2` and `supply-error` messages naming its driver id, and
 * the latest `cp-states` message of every CP. */
typedef struct _PeerDriver PeerDriver;

PeerDriver             *peer_driver_new             (const char       *bootstrap,
                                                     const char       *driver_id);
const char             *peer_driver_get_id          (PeerDriver       *driver);
char                   *peer_driver_request         (PeerDriver       *driver,
                                                     const char       *cp_id);
void                    peer_driver_publish_request (PeerDriver       *driver,
                                                     const EvSupplyRequest *request);
void                    peer_driver_request_again   (PeerDriver       *driver,
                                                     const char       *request_id,
                                                     const char       *cp_id);
const EvSupplyResponse *peer_driver_wait_response   (PeerDriver       *driver,
                                                     const char       *request_id);
const EvSupplyResponse *peer_driver_wait_response_nth (PeerDriver     *driver,
                                                       const char     *request_id,
                                                       guint           nth);
guint                   peer_driver_count_responses (PeerDriver       *driver,
                                                     const char       *request_id);
const EvSupplyData     *peer_driver_wait_data       (PeerDriver       *driver,
                                                     const char       *supply_id,
                                                     EvSupplyDataKind  kind,
                                                     guint             seq);
guint                   peer_driver_count_data      (PeerDriver       *driver,
                                                     const char       *supply_id,
                                                     EvSupplyDataKind  kind);
const EvSupplyError    *peer_driver_wait_error      (PeerDriver       *driver,
                                                     const char       *supply_id);
guint                   peer_driver_count_errors    (PeerDriver       *driver,
                                                     const char       *supply_id);
const EvCpStateMessage *peer_driver_wait_cp_state   (PeerDriver       *driver,
                                                     const char       *cp_id,
                                                     EvCpState         state);
void                    peer_driver_wait_cp_gone    (PeerDriver       *driver,
                                                     const char       *cp_id);
gboolean                peer_driver_knows_cp        (PeerDriver       *driver,
                                                     const char       *cp_id);
void                    peer_driver_free            (PeerDriver       *driver);

G_END_DECLS

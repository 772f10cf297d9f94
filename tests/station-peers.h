#pragma once

/* Test peers of the station, written from docs/protocol.md and src/common
 * alone: a framed-link server (used as a test engine and as a test Central)
 * and a Kafka client for the station's topics. Everything runs on the
 * thread-default main context; waits spin it and fail after PEER_WAIT_MS. */

#include <gio/gio.h>

#include "ev-bus.h"
#include "ev-link.h"
#include "ev-messages.h"

G_BEGIN_DECLS

/* Generous: joining a consumer group on the mock cluster takes seconds,
 * and sanitizers slow everything down. */
#define PEER_WAIT_MS 60000

typedef struct _PeerServer PeerServer;

/* Returns the response to @request, or NULL to leave it unanswered. */
typedef EvLinkResponse *(*PeerServerFunc) (PeerServer          *server,
                                           const EvLinkRequest *request,
                                           gpointer             user_data);

PeerServer          *peer_server_new          (guint                port,
                                               PeerServerFunc       func,
                                               gpointer             user_data);
guint                peer_server_get_port     (PeerServer          *server);
char                *peer_server_dup_address  (PeerServer          *server);
guint                peer_server_count        (PeerServer          *server,
                                               EvLinkRequestType    type);
const EvLinkRequest *peer_server_last         (PeerServer          *server,
                                               EvLinkRequestType    type);
void                 peer_server_wait_count   (PeerServer          *server,
                                               EvLinkRequestType    type,
                                               guint                count);
guint                peer_server_get_n_links  (PeerServer          *server);
void                 peer_server_set_status_delay (PeerServer       *server,
                                                   guint             delay_ms);
/* Waits until the last `status` received says the engine is @health. */
void                 peer_server_wait_status  (PeerServer          *server,
                                               EvEngineHealth       health,
                                               guint                timeout_ms);
void                 peer_server_free         (PeerServer          *server);

/* The key the test Central issues every CP ("Key of the test charging
 * point!!" in base64), and what a test monitor hands its engine. */
#define PEER_CP_KEY "S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE="

/* A test Central: registers unknown CPs (token "token-<cp_id>", price
 * 0.35), and again a known one whose register repeats its nonce,
 * authorises a known CP with its token (both answers carrying
 * PEER_CP_KEY), answers status with the price.
 * While lose_registered is set, a register is recorded but its answer is
 * lost (never sent), once per unit. */
EvLinkResponse *peer_central_func (PeerServer          *server,
                                   const EvLinkRequest *request,
                                   gpointer             user_data);
typedef struct
{
  GHashTable *tokens;   /* cp_id → token */
  GHashTable *nonces;   /* cp_id → nonce of its registration */
  guint lose_registered;
  double price;
  gboolean pending;     /* answers carry "approval":"pending" */
} PeerCentral;

void            peer_central_init  (PeerCentral *central);
void            peer_central_clear (PeerCentral *central);

/* A test engine: answers hello, health (ok or ko; nothing while silent),
 * central, price and key (kept in @key). */
typedef struct
{
  char *bound;
  char *key;
  gboolean ko;
  gboolean silent;
  gboolean central_reachable;
  double price;
} PeerEngine;

EvLinkResponse *peer_engine_func (PeerServer          *server,
                                  const EvLinkRequest *request,
                                  gpointer             user_data);

/* A Kafka peer: reads the station's output (supply-data, supply-req),
 * failing the test if a message lacks the MAC of PEER_CP_KEY, and
 * publishes what Central would (central-directives, supply-res). */
typedef struct _PeerKafka PeerKafka;

PeerKafka          *peer_kafka_new            (const char         *bootstrap);
void                peer_kafka_publish        (PeerKafka          *kafka,
                                               const char         *topic,
                                               const char         *key,
                                               const char         *json);
void                peer_kafka_set_signing_key (PeerKafka         *kafka,
                                                EvSigningKey      *key);
void                peer_kafka_set_cp_key     (PeerKafka          *kafka,
                                               const char         *key);
void                peer_kafka_directive      (PeerKafka          *kafka,
                                               const char         *target,
                                               EvDirectiveAction   action,
                                               const char         *supply_id,
                                               const char         *driver_id,
                                               gint64              expires);
const EvSupplyData *peer_kafka_wait_data      (PeerKafka          *kafka,
                                               const char         *supply_id,
                                               EvSupplyDataKind    kind,
                                               guint               seq);
guint               peer_kafka_count_data     (PeerKafka          *kafka,
                                               const char         *supply_id,
                                               EvSupplyDataKind    kind);
const EvSupplyRequest *peer_kafka_wait_request (PeerKafka         *kafka,
                                                guint              nth);
void                peer_kafka_free           (PeerKafka          *kafka);

G_END_DECLS

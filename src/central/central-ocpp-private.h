/* central-ocpp-private.h: what the files of Central's OCPP endpoint
 * share: the endpoint, its chargers' links, and how they answer and call
 * (central-ocpp.c), and the supplies at OCPP chargers
 * (central-ocpp-supply.c). */

#pragma once

#include <libsoup/soup.h>

#include "central-core-private.h"
#include "central-ocpp.h"
#include "central-ocpp-security.h"
#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"

G_BEGIN_DECLS

struct _CentralOcpp
{
  CentralCore *core;          /* not owned: the core owns this */
  SoupServer *server;
  CentralOcppKeys *keys;      /* Basic auth on the handshake, or NULL */
  EvOcppSchema *schema;
  GHashTable *chargers;       /* &Charger.link_id → Charger */
  guint64 next_id;
  guint port;
  gulong event_handler;       /* on the core's "event" */
};

typedef struct
{
  CentralOcpp *ocpp;
  guint64 link_id;
  char *cp_id;
  char *peer;
  SoupWebsocketConnection *ws;
  guint calls;                /* CALLs sent: their uniqueIds */
  GHashTable *awaited;        /* uniqueId of a CALL sent → AwaitedCall */
  char *remote_started;       /* the supply it was last asked to start */
} Charger;

/* A CALL of Central's whose answer has not come. */
typedef struct
{
  char *action;
  char *supply_id;            /* RemoteStart/StopTransaction: of which supply */
} AwaitedCall;

void      central_ocpp_send_result   (Charger       *charger,
                                      const char    *unique_id,
                                      JsonObject    *payload);
void      central_ocpp_send_error    (Charger       *charger,
                                      const char    *unique_id,
                                      const GError  *error);
void      central_ocpp_send_call     (Charger       *charger,
                                      const char    *action,
                                      JsonObject    *payload,
                                      const char    *supply_id);
CpRecord *central_ocpp_accepted_record (Charger     *charger,
                                      const char    *unique_id);
Charger  *central_ocpp_find_charger  (CentralOcpp   *self,
                                      const char    *cp_id);

/* central-ocpp-supply.c */
void      central_ocpp_remote_start  (CentralOcpp   *self,
                                      const char    *cp_id);
void      central_ocpp_remote_stop   (CentralOcpp   *self,
                                      const char    *cp_id);
void      central_ocpp_remote_start_answered (Charger       *charger,
                                      AwaitedCall   *call,
                                      EvOcppMessage *answer);
void      central_ocpp_handle_start_transaction (Charger    *charger,
                                      const char    *unique_id,
                                      JsonObject    *payload);
void      central_ocpp_handle_meter_values (Charger  *charger,
                                      const char    *unique_id,
                                      JsonObject    *payload);
void      central_ocpp_handle_stop_transaction (Charger    *charger,
                                      const char    *unique_id,
                                      JsonObject    *payload);
void      central_ocpp_handle_authorize (Charger     *charger,
                                      const char    *unique_id,
                                      JsonObject    *payload);

G_END_DECLS

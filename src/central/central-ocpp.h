#pragma once

#include <json-glib/json-glib.h>

#include "central-core.h"
#include "ev-messages.h"

G_BEGIN_DECLS

/* Central's OCPP 1.6-J endpoint (docs/ocpp.md): a libsoup WebSocket
 * server at ws://ADDR:PORT/ocpp/<CP_ID>, subprotocol ocpp1.6, whose
 * chargers are CPs of the core like any other. Owned by the core. */
typedef struct _CentralOcpp CentralOcpp;

/* The path every charger connects under, followed by /<CP_ID>. */
#define CENTRAL_OCPP_PATH "/ocpp"

CentralOcpp *central_ocpp_new             (CentralCore  *core,
                                           const char   *listen,
                                           GError      **error);
void         central_ocpp_free            (CentralOcpp  *self);
guint        central_ocpp_get_port        (CentralOcpp  *self);

gboolean     central_ocpp_status_to_state (const char   *status,
                                           EvCpState    *state);
guint        central_ocpp_heartbeat_interval (guint      silence_timeout_ms,
                                              guint      heartbeat_s);
guint        central_ocpp_silence_ms      (guint         silence_timeout_ms,
                                           guint         heartbeat_s);
gboolean     central_ocpp_is_link         (guint64       link_id);
gboolean     central_ocpp_energy_register (JsonObject   *payload,
                                           double       *wh);
EvTicketReason central_ocpp_stop_reason   (const char   *reason);

G_END_DECLS

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ev-ocpp-message.h"

G_BEGIN_DECLS

/**
 * EvOcppPayloadKind:
 * @EV_OCPP_PAYLOAD_REQUEST: the payload of a CALL (`<Action>.req`).
 * @EV_OCPP_PAYLOAD_CONFIRMATION: the payload of the CALLRESULT that
 *   answers it (`<Action>.conf`).
 */
typedef enum {
  EV_OCPP_PAYLOAD_REQUEST,
  EV_OCPP_PAYLOAD_CONFIRMATION,
} EvOcppPayloadKind;

#define EV_TYPE_OCPP_SCHEMA (ev_ocpp_schema_get_type ())

G_DECLARE_FINAL_TYPE (EvOcppSchema, ev_ocpp_schema, EV, OCPP_SCHEMA, GObject)

EvOcppSchema  *ev_ocpp_schema_new_from_bytes    (GBytes             *json,
                                                 GError            **error);
EvOcppSchema  *ev_ocpp_schema_get_default       (void);

char         **ev_ocpp_schema_list_actions      (EvOcppSchema       *self);
gboolean       ev_ocpp_schema_has_action        (EvOcppSchema       *self,
                                                 const char         *action);
gboolean       ev_ocpp_schema_validate          (EvOcppSchema       *self,
                                                 const char         *action,
                                                 EvOcppPayloadKind   kind,
                                                 JsonObject         *payload,
                                                 GError            **error);
gboolean       ev_ocpp_schema_validate_message  (EvOcppSchema       *self,
                                                 EvOcppMessage      *message,
                                                 const char         *call_action,
                                                 GError            **error);

G_END_DECLS

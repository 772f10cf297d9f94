#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* OCPP-J 1.6, section 4.1.4: a unique id has at most 36 characters. */
#define EV_OCPP_UNIQUE_ID_MAX 36

/* No OCPP 1.6 payload nests deeper than 6 levels; json-glib recurses once
 * per level, so the decoder refuses anything deeper than this before it
 * parses. */
#define EV_OCPP_MAX_DEPTH 32

#define EV_OCPP_ERROR (ev_ocpp_error_quark ())

/**
 * EvOcppError:
 * @EV_OCPP_ERROR_NOT_IMPLEMENTED: `NotImplemented`, the action is unknown.
 * @EV_OCPP_ERROR_NOT_SUPPORTED: `NotSupported`, the action is known but
 *   not supported.
 * @EV_OCPP_ERROR_INTERNAL_ERROR: `InternalError`
 * @EV_OCPP_ERROR_PROTOCOL_ERROR: `ProtocolError`, the message is not an
 *   OCPP-J RPC frame or its payload is incomplete.
 * @EV_OCPP_ERROR_SECURITY_ERROR: `SecurityError`
 * @EV_OCPP_ERROR_FORMATION_VIOLATION: `FormationViolation`, the text is
 *   not JSON or the payload does not have the structure of its action.
 * @EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION:
 *   `PropertyConstraintViolation`, a field has an invalid value.
 * @EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION:
 *   `OccurenceConstraintViolation` (so spelled in 1.6), a required field
 *   is missing or an array has too few items.
 * @EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION: `TypeConstraintViolation`, a
 *   field has the wrong JSON type.
 * @EV_OCPP_ERROR_GENERIC_ERROR: `GenericError`
 *
 * The error codes of a CALLERROR (OCPP-J 1.6, section 4.2.3). A decoding
 * or validation failure carries the code that the receiver of a CALL
 * must answer with.
 */
typedef enum {
  EV_OCPP_ERROR_NOT_IMPLEMENTED,
  EV_OCPP_ERROR_NOT_SUPPORTED,
  EV_OCPP_ERROR_INTERNAL_ERROR,
  EV_OCPP_ERROR_PROTOCOL_ERROR,
  EV_OCPP_ERROR_SECURITY_ERROR,
  EV_OCPP_ERROR_FORMATION_VIOLATION,
  EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
  EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION,
  EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION,
  EV_OCPP_ERROR_GENERIC_ERROR,
} EvOcppError;

/**
 * EvOcppMessageType:
 * @EV_OCPP_MESSAGE_NONE: not a known message type.
 * @EV_OCPP_MESSAGE_CALL: `[2, uniqueId, action, payload]`
 * @EV_OCPP_MESSAGE_CALL_RESULT: `[3, uniqueId, payload]`
 * @EV_OCPP_MESSAGE_CALL_ERROR: `[4, uniqueId, errorCode,
 *   errorDescription, errorDetails]`
 *
 * The MessageTypeId of an OCPP-J RPC frame.
 */
typedef enum {
  EV_OCPP_MESSAGE_NONE = 0,
  EV_OCPP_MESSAGE_CALL = 2,
  EV_OCPP_MESSAGE_CALL_RESULT = 3,
  EV_OCPP_MESSAGE_CALL_ERROR = 4,
} EvOcppMessageType;

typedef struct _EvOcppMessage EvOcppMessage;

#define EV_TYPE_OCPP_MESSAGE (ev_ocpp_message_get_type ())

GQuark             ev_ocpp_error_quark               (void);
const char        *ev_ocpp_error_to_string           (EvOcppError code);
gboolean           ev_ocpp_error_from_string         (const char  *text,
                                                      EvOcppError *code);

gboolean           ev_ocpp_unique_id_is_valid        (const char *unique_id);

GType              ev_ocpp_message_get_type          (void) G_GNUC_CONST;
EvOcppMessage     *ev_ocpp_message_new_call          (const char *unique_id,
                                                      const char *action,
                                                      JsonObject *payload);
EvOcppMessage     *ev_ocpp_message_new_call_result   (const char *unique_id,
                                                      JsonObject *payload);
EvOcppMessage     *ev_ocpp_message_new_call_error    (const char *unique_id,
                                                      EvOcppError code,
                                                      const char *description,
                                                      JsonObject *details);
EvOcppMessage     *ev_ocpp_message_new_call_error_for (const char   *unique_id,
                                                       const GError *error);
EvOcppMessage     *ev_ocpp_message_ref               (EvOcppMessage *self);
void               ev_ocpp_message_unref             (EvOcppMessage *self);

EvOcppMessageType  ev_ocpp_message_get_message_type  (EvOcppMessage *self);
const char        *ev_ocpp_message_get_unique_id     (EvOcppMessage *self);
const char        *ev_ocpp_message_get_action        (EvOcppMessage *self);
JsonObject        *ev_ocpp_message_get_payload       (EvOcppMessage *self);
const char        *ev_ocpp_message_get_error_code    (EvOcppMessage *self);
const char        *ev_ocpp_message_get_error_description (EvOcppMessage *self);
gboolean           ev_ocpp_message_equal             (EvOcppMessage *a,
                                                      EvOcppMessage *b);

EvOcppMessage     *ev_ocpp_message_decode            (const char         *data,
                                                      gssize              length,
                                                      EvOcppMessageType  *type,
                                                      char              **unique_id,
                                                      GError            **error);
char              *ev_ocpp_message_encode            (EvOcppMessage *self,
                                                      gsize         *length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvOcppMessage, ev_ocpp_message_unref)

G_END_DECLS

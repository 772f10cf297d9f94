#pragma once

#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"

G_BEGIN_DECLS

/**
 * EvOcppFrameKind:
 * @EV_OCPP_FRAME_CALL: a CALL whose payload is valid for its action:
 *   carry it out.
 * @EV_OCPP_FRAME_RESULT: a CALLRESULT to a CALL of ours, valid for the
 *   action of that CALL.
 * @EV_OCPP_FRAME_CALL_ERROR: a CALLERROR to a CALL of ours: the peer
 *   refused it.
 * @EV_OCPP_FRAME_INVALID_RESULT: a CALLRESULT to a CALL of ours whose
 *   payload is not valid for the action of that CALL.
 * @EV_OCPP_FRAME_REFUSED: a CALL that cannot be carried out (malformed,
 *   unknown action, invalid payload): send the frame's reply.
 * @EV_OCPP_FRAME_UNEXPECTED: a CALLRESULT or CALLERROR that answers no
 *   CALL of ours.
 * @EV_OCPP_FRAME_MALFORMED: no OCPP-J message, or one that cannot be
 *   answered: not a CALL, or a CALL whose uniqueId could not be read.
 *
 * What a receiver does with one incoming WebSocket message.
 */
typedef enum {
  EV_OCPP_FRAME_CALL,
  EV_OCPP_FRAME_RESULT,
  EV_OCPP_FRAME_CALL_ERROR,
  EV_OCPP_FRAME_INVALID_RESULT,
  EV_OCPP_FRAME_REFUSED,
  EV_OCPP_FRAME_UNEXPECTED,
  EV_OCPP_FRAME_MALFORMED,
} EvOcppFrameKind;

/**
 * EvOcppFrame:
 * @kind: what it is
 * @message: (nullable): the decoded message; %NULL for
 *   %EV_OCPP_FRAME_MALFORMED and for a %EV_OCPP_FRAME_REFUSED that did
 *   not decode
 * @action: (nullable): the action of a CALL, or the action of our CALL
 *   that an answer answers (the string the lookup returned)
 * @reply: (nullable): for %EV_OCPP_FRAME_REFUSED, the CALLERROR to send
 *
 * One incoming OCPP-J message, as ev_ocpp_frame_decode() reads it. Clear
 * it with ev_ocpp_frame_clear() (or declare it `g_auto(EvOcppFrame)`).
 */
typedef struct
{
  EvOcppFrameKind kind;
  EvOcppMessage *message;
  const char *action;
  EvOcppMessage *reply;
} EvOcppFrame;

/**
 * EvOcppCallLookup:
 * @unique_id: the uniqueId of a CALLRESULT or CALLERROR
 * @user_data: what was given with it
 *
 * Returns: (nullable): the action of the CALL of ours awaiting an answer
 *   with @unique_id, or %NULL when none is
 */
typedef const char *(*EvOcppCallLookup) (const char *unique_id,
                                         gpointer    user_data);

EvOcppFrameKind ev_ocpp_frame_decode (EvOcppFrame       *frame,
                                      EvOcppSchema      *schema,
                                      const char        *data,
                                      gssize             length,
                                      EvOcppCallLookup   lookup,
                                      gpointer           user_data,
                                      GError           **error);
void            ev_ocpp_frame_clear  (EvOcppFrame       *frame);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvOcppFrame, ev_ocpp_frame_clear)

G_END_DECLS

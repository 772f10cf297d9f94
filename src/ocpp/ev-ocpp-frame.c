/* ev-ocpp-frame.c: one incoming OCPP-J message, read once for every
 * receiver (Central's endpoint, the simulated chargers): decoded, told a
 * CALL from an answer, checked against the schema, and a refused CALL's
 * CALLERROR made. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ev-ocpp-frame.h"

static EvOcppFrameKind
refuse (EvOcppFrame  *frame,
        const char   *unique_id,
        const GError *error)
{
  frame->reply = ev_ocpp_message_new_call_error_for (unique_id, error);
  return frame->kind = EV_OCPP_FRAME_REFUSED;
}

/**
 * ev_ocpp_frame_decode:
 * @frame: (out caller-allocates): where to put what was read; zeroed or
 *   cleared
 * @schema: the schemas that CALLs and CALLRESULTs are checked against
 * @data: the text of one WebSocket message
 * @length: its length in bytes, or -1 if nul-terminated
 * @lookup: (nullable) (scope call): tells which CALL of ours an answer
 *   answers; %NULL when none awaits one
 * @user_data: for @lookup
 * @error: why the message is not to be carried out, for people
 *
 * Only a CALL is ever answered, and only when its uniqueId could be
 * read: a CALL that did not decode, names an unknown action or carries a
 * payload invalid for it is %EV_OCPP_FRAME_REFUSED, and its CALLERROR
 * (the errorCode of @error, its message as the errorDescription) is in
 * @frame's reply. A CALLERROR from the peer is handed back as it came,
 * unchecked: its errorCode may be one 1.6 does not list.
 *
 * Returns: @frame's kind; @error is set for %EV_OCPP_FRAME_INVALID_RESULT,
 *   %EV_OCPP_FRAME_REFUSED, %EV_OCPP_FRAME_UNEXPECTED and
 *   %EV_OCPP_FRAME_MALFORMED, in %EV_OCPP_ERROR
 */
EvOcppFrameKind
ev_ocpp_frame_decode (EvOcppFrame       *frame,
                      EvOcppSchema      *schema,
                      const char        *data,
                      gssize             length,
                      EvOcppCallLookup   lookup,
                      gpointer           user_data,
                      GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *unique_id = NULL;
  EvOcppMessageType type = EV_OCPP_MESSAGE_NONE;
  EvOcppMessage *message;

  g_return_val_if_fail (frame != NULL, EV_OCPP_FRAME_MALFORMED);
  g_return_val_if_fail (EV_IS_OCPP_SCHEMA (schema), EV_OCPP_FRAME_MALFORMED);
  g_return_val_if_fail (error == NULL || *error == NULL, EV_OCPP_FRAME_MALFORMED);

  *frame = (EvOcppFrame) { .kind = EV_OCPP_FRAME_MALFORMED };
  message = ev_ocpp_message_decode (data, length, &type, &unique_id, &local_error);
  if (message == NULL)
    {
      if (type == EV_OCPP_MESSAGE_CALL && unique_id != NULL)
        refuse (frame, unique_id, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return frame->kind;
    }
  frame->message = message;

  if (type == EV_OCPP_MESSAGE_CALL)
    {
      frame->action = ev_ocpp_message_get_action (message);
      if (!ev_ocpp_schema_validate_message (schema, message, NULL, &local_error))
        {
          refuse (frame, unique_id, local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return frame->kind;
        }
      return frame->kind = EV_OCPP_FRAME_CALL;
    }

  frame->action = lookup != NULL ? lookup (unique_id, user_data) : NULL;
  if (frame->action == NULL)
    {
      g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                   _("No call of ours awaits an answer with the unique id %s"), unique_id);
      return frame->kind = EV_OCPP_FRAME_UNEXPECTED;
    }
  if (type == EV_OCPP_MESSAGE_CALL_ERROR)
    return frame->kind = EV_OCPP_FRAME_CALL_ERROR;
  if (!ev_ocpp_schema_validate_message (schema, message, frame->action, error))
    return frame->kind = EV_OCPP_FRAME_INVALID_RESULT;
  return frame->kind = EV_OCPP_FRAME_RESULT;
}

/**
 * ev_ocpp_frame_clear:
 * @frame: a frame that ev_ocpp_frame_decode() filled, or a zeroed one
 *
 * Drops the messages @frame holds and zeroes it.
 */
void
ev_ocpp_frame_clear (EvOcppFrame *frame)
{
  g_return_if_fail (frame != NULL);

  g_clear_pointer (&frame->message, ev_ocpp_message_unref);
  g_clear_pointer (&frame->reply, ev_ocpp_message_unref);
  *frame = (EvOcppFrame) { .kind = EV_OCPP_FRAME_MALFORMED };
}

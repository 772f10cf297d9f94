#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ev-ocpp-frame.h"

/* libFuzzer entry points; libFuzzer itself declares nothing for C. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char **actions;
static guint n_actions;

static void
fail (const char *what,
      const char *text,
      GError     *error)
{
  fprintf (stderr, "%s: %s\n%s\n", what, error != NULL ? error->message : "", text);
  abort ();
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A warning or critical from the codec is a bug the fuzzer should report. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  actions = ev_ocpp_schema_list_actions (ev_ocpp_schema_get_default ());
  n_actions = g_strv_length (actions);
  return 0;
}

/* A failure must say which CALLERROR answers it, and that answer must be
 * a valid message. */
static void
check_failure (GError     *error,
               const char *unique_id)
{
  g_autoptr(EvOcppMessage) answer = NULL;
  g_autoptr(EvOcppMessage) decoded = NULL;
  g_autoptr(GError) decode_error = NULL;
  g_autofree char *text = NULL;

  if (error == NULL || error->domain != EV_OCPP_ERROR ||
      ev_ocpp_error_to_string ((EvOcppError) error->code) == NULL)
    fail ("a failure without an OCPP error", "", error);
  if (unique_id == NULL)
    return;

  answer = ev_ocpp_message_new_call_error_for (unique_id, error);
  text = ev_ocpp_message_encode (answer, NULL);
  decoded = ev_ocpp_message_decode (text, -1, NULL, NULL, &decode_error);
  if (decoded == NULL || !ev_ocpp_message_equal (answer, decoded))
    fail ("the CALLERROR for a failure does not decode", text, decode_error);
}

static void
check_validation (EvOcppMessage *message)
{
  EvOcppSchema *schema = ev_ocpp_schema_get_default ();

  if (ev_ocpp_message_get_message_type (message) == EV_OCPP_MESSAGE_CALL)
    {
      g_autoptr(GError) error = NULL;

      if (!ev_ocpp_schema_validate_message (schema, message, NULL, &error))
        check_failure (error, ev_ocpp_message_get_unique_id (message));
      return;
    }

  /* A confirmation could answer any action. */
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!ev_ocpp_schema_validate_message (schema, message, actions[i], &error))
        check_failure (error, NULL);
    }
}

/* Some uniqueIds answer a CALL of ours, of an action drawn from the id;
 * the others answer none. */
static const char *
awaited_action (const char *unique_id,
                gpointer    user_data)
{
  guint pick = g_str_hash (unique_id) % (n_actions + 1);

  return pick < n_actions ? actions[pick] : NULL;
}

/* What the kind says of the frame holds. */
static void
check_frame (EvOcppFrameKind  kind,
             EvOcppFrame     *frame,
             GError          *error)
{
  EvOcppMessage *message = frame->message;
  EvOcppMessageType type = message != NULL ? ev_ocpp_message_get_message_type (message) : EV_OCPP_MESSAGE_NONE;
  const char *unique_id = message != NULL ? ev_ocpp_message_get_unique_id (message) : NULL;
  gboolean failed = kind != EV_OCPP_FRAME_CALL && kind != EV_OCPP_FRAME_RESULT && kind != EV_OCPP_FRAME_CALL_ERROR;

  if (kind != frame->kind || failed != (error != NULL))
    fail ("the kind, the frame and the error disagree", "", error);
  if ((kind == EV_OCPP_FRAME_REFUSED) != (frame->reply != NULL))
    fail ("a reply for no refused CALL, or none for one", "", error);
  switch (kind)
    {
    case EV_OCPP_FRAME_CALL:
      if (type != EV_OCPP_MESSAGE_CALL || g_strcmp0 (frame->action, ev_ocpp_message_get_action (message)) != 0)
        fail ("a CALL frame that is no CALL", "", NULL);
      break;
    case EV_OCPP_FRAME_RESULT:
    case EV_OCPP_FRAME_INVALID_RESULT:
    case EV_OCPP_FRAME_CALL_ERROR:
      if (type != (kind == EV_OCPP_FRAME_CALL_ERROR ? EV_OCPP_MESSAGE_CALL_ERROR : EV_OCPP_MESSAGE_CALL_RESULT) ||
          g_strcmp0 (frame->action, awaited_action (unique_id, NULL)) != 0)
        fail ("an answer that is not to the CALL of ours", "", error);
      break;
    case EV_OCPP_FRAME_UNEXPECTED:
      if (type == EV_OCPP_MESSAGE_CALL || awaited_action (unique_id, NULL) != NULL)
        fail ("an answer to a CALL of ours told unexpected", "", error);
      break;
    case EV_OCPP_FRAME_REFUSED:
      if (message != NULL && type != EV_OCPP_MESSAGE_CALL)
        fail ("a refused message that is no CALL", "", error);
      if (ev_ocpp_message_get_message_type (frame->reply) != EV_OCPP_MESSAGE_CALL_ERROR ||
          g_strcmp0 (ev_ocpp_message_get_error_description (frame->reply), error->message) != 0)
        fail ("a reply that is not the CALLERROR for the error", "", error);
      check_failure (error, ev_ocpp_message_get_unique_id (frame->reply));
      break;
    case EV_OCPP_FRAME_MALFORMED:
    default:
      if (message != NULL)
        fail ("a malformed frame with a message", "", error);
      check_failure (error, NULL);
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *bytes,
                        size_t         size)
{
  g_auto(EvOcppFrame) frame = { 0 };
  g_autoptr(EvOcppMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again_error = NULL;
  g_autofree char *text = NULL;
  EvOcppFrameKind kind;
  gsize length = 0;

  if (size > G_MAXSSIZE)
    return 0;

  kind = ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (), (const char *) bytes, (gssize) size,
                               awaited_action, NULL, &error);
  check_frame (kind, &frame, error);
  if (frame.message == NULL)
    return 0;

  /* Whatever decodes encodes to text that decodes to the same message. */
  text = ev_ocpp_message_encode (frame.message, &length);
  again = ev_ocpp_message_decode (text, (gssize) length, NULL, NULL, &again_error);
  if (again == NULL || !ev_ocpp_message_equal (frame.message, again))
    fail ("the round trip changed the message", text, again_error);

  check_validation (frame.message);
  return 0;
}

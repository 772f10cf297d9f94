#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"

/* libFuzzer entry points; libFuzzer itself declares nothing for C. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char **actions;

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

int
LLVMFuzzerTestOneInput (const uint8_t *bytes,
                        size_t         size)
{
  g_autoptr(EvOcppMessage) message = NULL;
  g_autoptr(EvOcppMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unique_id = NULL;
  g_autofree char *text = NULL;
  EvOcppMessageType type = EV_OCPP_MESSAGE_NONE;
  gsize length = 0;

  if (size > G_MAXSSIZE)
    return 0;

  message = ev_ocpp_message_decode ((const char *) bytes, (gssize) size, &type, &unique_id, &error);
  if (message == NULL)
    {
      check_failure (error, unique_id);
      return 0;
    }
  if (type != ev_ocpp_message_get_message_type (message) ||
      g_strcmp0 (unique_id, ev_ocpp_message_get_unique_id (message)) != 0)
    fail ("the type or uniqueId told differ from the message's", "", NULL);

  /* Whatever decodes encodes to text that decodes to the same message. */
  text = ev_ocpp_message_encode (message, &length);
  again = ev_ocpp_message_decode (text, (gssize) length, NULL, NULL, &error);
  if (again == NULL || !ev_ocpp_message_equal (message, again))
    fail ("the round trip changed the message", text, error);

  check_validation (message);
  return 0;
}

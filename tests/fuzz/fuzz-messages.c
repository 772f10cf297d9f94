#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ev-messages.h"

/* libFuzzer entry points; libFuzzer itself declares nothing for C. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what,
      const char *json,
      GError     *error)
{
  fprintf (stderr, "%s: %s\n%s\n", what, error != NULL ? error->message : "", json);
  abort ();
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A warning or critical from the codec is a bug the fuzzer should report. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
check_link_request (const char *data,
                    gssize      size)
{
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(EvLinkResponse) decoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  request = ev_link_request_parse (data, size, &reason, &error);
  if (request != NULL)
    {
      if (reason != EV_LINK_REASON_NONE || error != NULL)
        fail ("ev_link_request_parse: success with a reason or an error", "", error);
      return;
    }
  if (reason == EV_LINK_REASON_NONE || error == NULL)
    fail ("ev_link_request_parse: failure without a reason or an error", "", error);
  g_clear_error (&error);

  /* Whatever went wrong, the server's answer is a valid response. */
  response = ev_link_response_new_for_reason (reason);
  json = ev_link_response_to_json (response, NULL);
  decoded = ev_link_response_from_json (json, -1, &error);
  if (decoded == NULL || !ev_link_response_equal (response, decoded))
    fail ("ev_link_response_new_for_reason: invalid response", json, error);
}

/* The one decoder runs over the input with every message table. When it
 * accepts the input, its encoding must decode again, to an equal message. */
static void
check_round_trip (const EvMessageType *type,
                  const char          *data,
                  gssize               size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gpointer first, second;
  gsize length = 0;

  first = ev_message_decode (type, data, size, NULL, NULL);
  if (first == NULL)
    return;

  json = ev_message_encode (type, first, &length);
  second = ev_message_decode (type, json, (gssize) length, NULL, &error);
  if (second == NULL || !ev_message_equal (type, first, second))
    {
      fprintf (stderr, "%s: ", type->name);
      fail (second == NULL ? "re-encoding does not decode" : "round trip changed the message",
            json, error);
    }
  ev_message_free (type, second);
  ev_message_free (type, first);
}

int
LLVMFuzzerTestOneInput (const uint8_t *bytes,
                        size_t         size)
{
  const char *data = (const char *) bytes;
  const EvMessageType * const *types;
  guint n_types;

  types = ev_message_types (&n_types);

  if (size > G_MAXSSIZE)
    return 0;

  check_link_request (data, (gssize) size);
  for (guint i = 0; i < n_types; i++)
    check_round_trip (types[i], data, (gssize) size);

  return 0;
}

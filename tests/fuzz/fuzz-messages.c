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

/* Every decoder runs over the input. When one accepts it, its encoding
 * must decode again, to an equal message. */
#define ROUND_TRIP(Type, prefix, data, size)                                \
  G_STMT_START {                                                            \
    g_autoptr(Type) first = prefix##_from_json (data, size, NULL);          \
    if (first != NULL)                                                      \
      {                                                                     \
        g_autoptr(GError) error = NULL;                                     \
        g_autoptr(Type) second = NULL;                                      \
        g_autofree char *json = NULL;                                       \
        gsize length = 0;                                                   \
                                                                            \
        json = prefix##_to_json (first, &length);                           \
        second = prefix##_from_json (json, length, &error);                 \
        if (second == NULL)                                                 \
          fail (#prefix ": re-encoding does not decode", json, error);      \
        if (!prefix##_equal (first, second))                                \
          fail (#prefix ": round trip changed the message", json, NULL);    \
      }                                                                     \
  } G_STMT_END

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

int
LLVMFuzzerTestOneInput (const uint8_t *bytes,
                        size_t         size)
{
  const char *data = (const char *) bytes;

  if (size > G_MAXSSIZE)
    return 0;

  check_link_request (data, (gssize) size);
  ROUND_TRIP (EvLinkRequest, ev_link_request, data, (gssize) size);
  ROUND_TRIP (EvLinkResponse, ev_link_response, data, (gssize) size);
  ROUND_TRIP (EvSupplyRequest, ev_supply_request, data, (gssize) size);
  ROUND_TRIP (EvSupplyResponse, ev_supply_response, data, (gssize) size);
  ROUND_TRIP (EvDirective, ev_directive, data, (gssize) size);
  ROUND_TRIP (EvSupplyData, ev_supply_data, data, (gssize) size);
  ROUND_TRIP (EvSupplyError, ev_supply_error, data, (gssize) size);
  ROUND_TRIP (EvCpStateMessage, ev_cp_state_message, data, (gssize) size);

  return 0;
}

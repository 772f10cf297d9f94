/* ocpp-cost: what decoding, validating and encoding one OCPP-J message
 * costs, for the messages a charger sends most (docs/ocpp.md). Usage:
 * ocpp-cost [N] (default 20000 of each). */

#include "config.h"

#include <string.h>

#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"

static const char * const messages[] = {
  "[2,\"1001\",\"Heartbeat\",{}]",
  "[2,\"1002\",\"StatusNotification\",{\"connectorId\":1,\"errorCode\":\"NoError\","
  "\"status\":\"Charging\",\"timestamp\":\"2026-12-06T19:01:01Z\"}]",
  "[2,\"1003\",\"MeterValues\",{\"connectorId\":1,\"transactionId\":1001,\"meterValue\":"
  "[{\"timestamp\":\"2026-12-06T19:05:00Z\",\"sampledValue\":[{\"value\":\"1234.5\","
  "\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\","
  "\"unit\":\"Wh\"},{\"value\":\"7400\",\"measurand\":\"Power.Active.Import\",\"unit\":\"W\"}]}]}]",
  "[2,\"1004\",\"StopTransaction\",{\"idTag\":\"DRIVER-0001\",\"meterStop\":13345,"
  "\"timestamp\":\"2026-12-06T20:01:00Z\",\"transactionId\":1001,\"reason\":\"EVDisconnected\"}]",
};

typedef void (*Round) (const char *text, EvOcppMessage *message);

static void
decode_round (const char    *text,
              EvOcppMessage *message)
{
  g_autoptr(EvOcppMessage) decoded = ev_ocpp_message_decode (text, -1, NULL, NULL, NULL);

  g_assert (decoded != NULL);
}

static void
validate_round (const char    *text,
                EvOcppMessage *message)
{
  g_assert (ev_ocpp_schema_validate_message (ev_ocpp_schema_get_default (), message, NULL, NULL));
}

static void
encode_round (const char    *text,
              EvOcppMessage *message)
{
  g_free (ev_ocpp_message_encode (message, NULL));
}

/* Microseconds per round, over @n rounds. */
static double
time_rounds (Round          round,
             const char    *text,
             EvOcppMessage *message,
             guint          n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    round (text, message);
  return (double) (g_get_monotonic_time () - start) / n;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 20000;

  g_assert (n > 0);
  g_print ("%-20s %6s %11s %13s %11s\n", "message", "bytes", "decode us", "validate us", "encode us");
  for (guint m = 0; m < G_N_ELEMENTS (messages); m++)
    {
      g_autoptr(EvOcppMessage) message = ev_ocpp_message_decode (messages[m], -1, NULL, NULL, NULL);

      g_assert (message != NULL);
      g_print ("%-20s %6zu %11.2f %13.2f %11.2f\n", ev_ocpp_message_get_action (message),
               strlen (messages[m]),
               time_rounds (decode_round, messages[m], message, n),
               time_rounds (validate_round, messages[m], message, n),
               time_rounds (encode_round, messages[m], message, n));
    }
  return 0;
}

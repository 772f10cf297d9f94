#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"
#include "test-messages.h"

/* Kafka messages: one decoder interface for the tables ----------------- */

typedef gboolean (*DecodeFunc) (const char *data,
                                gssize      length,
                                GError    **error);

#define DEFINE_DECODE(name, Type, from_json)           \
  static gboolean                                      \
  name (const char *data, gssize length, GError **error) \
  {                                                    \
    g_autoptr(Type) msg = from_json (data, length, error); \
    return msg != NULL;                                \
  }

DEFINE_DECODE (decode_supply_request, EvSupplyRequest, ev_supply_request_from_json)
DEFINE_DECODE (decode_supply_response, EvSupplyResponse, ev_supply_response_from_json)
DEFINE_DECODE (decode_directive, EvDirective, ev_directive_from_json)
DEFINE_DECODE (decode_supply_data, EvSupplyData, ev_supply_data_from_json)
DEFINE_DECODE (decode_supply_error, EvSupplyError, ev_supply_error_from_json)
DEFINE_DECODE (decode_cp_state, EvCpStateMessage, ev_cp_state_message_from_json)

typedef struct {
  const char *merge;   /* a JSON object whose members replace the base's */
  const char *remove;  /* a member to delete */
  int code;
} Mutation;

typedef struct {
  const char *name;
  DecodeFunc decode;
  const char *base;
  const char *required[16];
  const Mutation *mutations;
  unsigned n_mutations;
} Kind;

static const Mutation supply_request_mutations[] = {
  { "{\"origin\":\"station\",\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"driver_id\":\"station:\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"driver_id\":\"stat:CP1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"driver_id\":\"" ID32 "\"}", NULL, OK },
  { "{\"driver_id\":\"" ID33 "\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":\"" ID32 "\"}", NULL, OK },
  { "{\"cp_id\":\"" ID33 "\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":\"CP 1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":\"CP#1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":\"\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":\"station:CP1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"cp_id\":1}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"cp_id\":{}}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"request_id\":\"req-1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"origin\":\"robot\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"origin\":\"Driver\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"origin\":true}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
};

static const Mutation supply_response_mutations[] = {
  { "{\"price\":0}", NULL, OK },
  { "{\"price\":1}", NULL, OK },
  { "{\"reason\":\"cp-busy\"}", NULL, OK },
  { "{\"price\":-0.01}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"price\":1e6}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"price\":\"0.35\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"supply_id\":\"S1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"status\":\"maybe\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"status\":\"denied\"}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
  { "{\"reason\":\"on-fire\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"driver_id\":\"D 1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
};

static const Mutation supply_denied_mutations[] = {
  { "{\"reason\":\"unknown-cp\"}", NULL, OK },
  { "{\"reason\":\"cp-disconnected\"}", NULL, OK },
  { "{\"reason\":\"cp-stopped\"}", NULL, OK },
  { "{\"reason\":\"cp-broken\"}", NULL, OK },
  { "{\"reason\":\"driver-busy\"}", NULL, OK },
  { "{\"reason\":\"invalid-request\"}", NULL, OK },
  { "{\"reason\":\"engine-fault\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"reason\":\"CP-BUSY\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"reason\":null}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
  { "{\"reason\":[]}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"supply_id\":\"" U3 "\",\"price\":0.35}", NULL, OK },
  { "{\"supply_id\":\"nope\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
};

static const Mutation directive_start_mutations[] = {
  { "{\"target\":\"all\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"target\":\"CP 1\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"target\":\"" ID33 "\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"target\":\"ALL\"}", NULL, OK },
  { "{\"action\":\"explode\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"action\":0}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"expires\":0}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"expires\":-1}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"expires\":\"soon\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"expires\":1.7e12}", NULL, OK },
  { "{\"expires\":1700000000000.5}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"expires\":1e300}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"price\":-1}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"driver_id\":\"a:b\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"action\":\"stop\"}", "supply_id", OK },
  { "{\"action\":\"cancel\"}", "price", OK },
  { "{\"action\":\"cancel\"}", "supply_id", EV_PROTOCOL_ERROR_MISSING_FIELD },
  { "{\"action\":\"cancel\",\"target\":\"all\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"action\":\"stop\",\"target\":\"all\"}", NULL, OK },
  { "{\"action\":\"resume\",\"target\":\"all\",\"supply_id\":\"x\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
};

static const Mutation directive_stop_mutations[] = {
  { "{\"action\":\"resume\"}", NULL, OK },
  { "{\"target\":\"CP1\"}", NULL, OK },
  { "{\"action\":\"start\"}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
  { "{\"action\":\"cancel\"}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
};

static const Mutation supply_data_mutations[] = {
  { "{\"seq\":1}", NULL, OK },
  { "{\"seq\":4294967295}", NULL, OK },
  { "{\"seq\":0}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"seq\":-1}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"seq\":4294967296}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"seq\":1.5}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"seq\":\"1\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"kwh\":0}", NULL, OK },
  { "{\"kwh\":-0.1}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"kwh\":1e300}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"kwh\":false}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"amount\":-1}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"amount\":1e12}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"price\":101}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"kind\":\"partial\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"kind\":\"ticket\"}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
  { NULL, "started_at", OK },
  { "{\"started_at\":0}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ended_at\":1699999999999}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"reason\":\"unplugged\"}", NULL, OK },
  { "{\"reason\":\"cp-busy\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"supply_id\":\"" U3 "x\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"source_ts\":1700000000001}", NULL, OK },
  { "{\"source_ts\":null}", NULL, OK },
  { "{\"source_ts\":0}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"source_ts\":\"now\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
};

static const Mutation ticket_mutations[] = {
  { "{\"reason\":\"stopped-by-central\"}", NULL, OK },
  { "{\"reason\":\"engine-fault\"}", NULL, OK },
  { "{\"reason\":\"not-plugged\",\"kwh\":0,\"amount\":0}", NULL, OK },
  { "{\"reason\":\"bored\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"reason\":\"cp-disconnected\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ended_at\":1700000000000}", NULL, OK },
  { "{\"ended_at\":1699999999999}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"started_at\":1700000900001}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ended_at\":null}", NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
  { "{\"ended_at\":\"later\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"kind\":\"progress\"}", "reason", OK },
};

static const Mutation supply_error_mutations[] = {
  { "{\"reason\":\"cp-disconnected\"}", NULL, OK },
  { "{\"reason\":\"stopped-by-central\"}", NULL, OK },
  { "{\"reason\":\"not-plugged\",\"kwh\":0,\"amount\":0}", NULL, OK },
  { "{\"reason\":\"unplugged\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"reason\":\"\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"kwh\":-2}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"amount\":\"free\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"driver_id\":\"station:CP1\"}", NULL, OK },
  { "{\"cp_id\":\"" ID33 "\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
};

static const Mutation cp_state_mutations[] = {
  { NULL, "location", OK },
  { NULL, "price", OK },
  { "{\"location\":null,\"price\":null}", NULL, OK },
  { "{\"state\":\"DISCONNECTED\"}", NULL, OK },
  { "{\"state\":\"active\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"state\":\"WAITING_FOR_SUPPLY\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"state\":3}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"location\":\"\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"location\":\"bell\\u0007\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"location\":\"line\\nbreak\"}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"location\":7}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"price\":-0.35}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"cp_id\":\"CP1!\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
};

/* Every Kafka message shares the envelope and these cases. */
static const Mutation envelope_mutations[] = {
  { "{\"unknown_field\":{\"nested\":[1,2,3]},\"another\":\"x\"}", NULL, OK },
  { "{\"v\":1.0}", NULL, OK },
  { "{\"ts\":1}", NULL, OK },
  { "{\"v\":2}", NULL, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION },
  { "{\"v\":0}", NULL, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION },
  { "{\"v\":1.5}", NULL, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION },
  { "{\"v\":2,\"cp_id\":5,\"new_shape\":true}", NULL, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION },
  { "{\"v\":\"1\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"id\":\"not-a-uuid\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"id\":\"\"}", NULL, EV_PROTOCOL_ERROR_INVALID_ID },
  { "{\"id\":42}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"ts\":0}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ts\":-1700000000000}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ts\":1.5}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
  { "{\"ts\":\"now\"}", NULL, EV_PROTOCOL_ERROR_WRONG_TYPE },
  { "{\"ts\":99999999999999999999}", NULL, EV_PROTOCOL_ERROR_INVALID_VALUE },
};

#define KIND(name, decode, base, mutations, ...) \
  { name, decode, base, { __VA_ARGS__ }, mutations, G_N_ELEMENTS (mutations) }

static const Kind kinds[] = {
  KIND ("supply-req", decode_supply_request,
        "{" ENV "\"request_id\":\"" U2 "\",\"cp_id\":\"CP1\",\"driver_id\":\"D-1\",\"origin\":\"driver\"}",
        supply_request_mutations,
        "v", "id", "ts", "request_id", "cp_id", "driver_id", "origin"),
  KIND ("supply-res authorized", decode_supply_response,
        "{" ENV "\"request_id\":\"" U2 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
        "\"status\":\"authorized\",\"supply_id\":\"" U3 "\",\"price\":0.35}",
        supply_response_mutations,
        "v", "id", "ts", "request_id", "driver_id", "cp_id", "status", "supply_id", "price"),
  KIND ("supply-res denied", decode_supply_response,
        "{" ENV "\"request_id\":\"" U2 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
        "\"status\":\"denied\",\"reason\":\"cp-busy\"}",
        supply_denied_mutations,
        "v", "id", "ts", "request_id", "driver_id", "cp_id", "status", "reason"),
  KIND ("directive start", decode_directive,
        "{" ENV "\"target\":\"CP1\",\"action\":\"start\",\"supply_id\":\"" U3 "\","
        "\"driver_id\":\"D-1\",\"price\":0.35,\"expires\":1700000060000}",
        directive_start_mutations,
        "v", "id", "ts", "target", "action", "supply_id", "driver_id", "price", "expires"),
  KIND ("directive stop", decode_directive,
        "{" ENV "\"target\":\"all\",\"action\":\"stop\",\"expires\":1700000060000}",
        directive_stop_mutations,
        "v", "id", "ts", "target", "action", "expires"),
  KIND ("supply-data progress", decode_supply_data,
        "{" ENV "\"kind\":\"progress\",\"supply_id\":\"" U3 "\",\"cp_id\":\"CP1\",\"driver_id\":\"D-1\","
        "\"seq\":3,\"kwh\":1.5,\"amount\":0.525,\"price\":0.35,\"started_at\":1700000000000}",
        supply_data_mutations,
        "v", "id", "ts", "kind", "supply_id", "cp_id", "driver_id", "seq", "kwh", "amount", "price"),
  KIND ("supply-data ticket", decode_supply_data,
        "{" ENV "\"kind\":\"ticket\",\"supply_id\":\"" U3 "\",\"cp_id\":\"CP1\",\"driver_id\":\"D-1\","
        "\"seq\":10,\"kwh\":7.5,\"amount\":2.625,\"price\":0.35,\"started_at\":1700000000000,"
        "\"ended_at\":1700000900000,\"reason\":\"unplugged\"}",
        ticket_mutations,
        "v", "id", "ts", "kind", "supply_id", "cp_id", "driver_id", "seq", "kwh", "amount", "price",
        "started_at", "ended_at", "reason"),
  KIND ("supply-error", decode_supply_error,
        "{" ENV "\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
        "\"reason\":\"engine-fault\",\"kwh\":1.0,\"amount\":0.35}",
        supply_error_mutations,
        "v", "id", "ts", "supply_id", "driver_id", "cp_id", "reason", "kwh", "amount"),
  KIND ("cp-states", decode_cp_state,
        "{" ENV "\"cp_id\":\"CP1\",\"state\":\"ACTIVE\",\"location\":\"Alicante, Av. Maisonnave 12\",\"price\":0.35}",
        cp_state_mutations,
        "v", "id", "ts", "cp_id", "state"),
};

static char *
mutate (const char     *base,
        const Mutation *mutation)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (base, &error);
  JsonObject *object;

  g_assert_no_error (error);
  object = json_node_get_object (root);

  if (mutation->remove != NULL)
    {
      g_assert_true (json_object_has_member (object, mutation->remove));
      json_object_remove_member (object, mutation->remove);
    }
  if (mutation->merge != NULL)
    {
      g_autoptr(JsonNode) merge = json_from_string (mutation->merge, &error);
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      g_assert_no_error (error);
      json_object_iter_init (&iter, json_node_get_object (merge));
      while (json_object_iter_next (&iter, &name, &node))
        json_object_set_member (object, name, json_node_copy (node));
    }

  return json_to_string (root, FALSE);
}

static void
check_decode (const Kind     *kind,
              const char     *json,
              int             code,
              const char     *field)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  gboolean ok;

  shown = g_strescape (json, NULL);
  g_test_message ("%s: %s", kind->name, shown);
  ok = kind->decode (json, -1, &error);
  if (code == OK)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, EV_PROTOCOL_ERROR, code);
      if (field != NULL)
        g_assert_nonnull (strstr (error->message, field));
    }
}

static void
test_kafka_valid_bases (void)
{
  for (unsigned k = 0; k < G_N_ELEMENTS (kinds); k++)
    check_decode (&kinds[k], kinds[k].base, OK, NULL);
}

static void
test_kafka_missing_fields (void)
{
  for (unsigned k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      for (unsigned f = 0; f < G_N_ELEMENTS (kinds[k].required) && kinds[k].required[f] != NULL; f++)
        {
          g_autofree char *null_member = g_strdup_printf ("{\"%s\":null}", kinds[k].required[f]);
          Mutation removed = { NULL, kinds[k].required[f], 0 };
          Mutation nulled = { null_member, NULL, 0 };
          g_autofree char *without = mutate (kinds[k].base, &removed);
          g_autofree char *with_null = mutate (kinds[k].base, &nulled);

          check_decode (&kinds[k], without, EV_PROTOCOL_ERROR_MISSING_FIELD, kinds[k].required[f]);
          check_decode (&kinds[k], with_null, EV_PROTOCOL_ERROR_MISSING_FIELD, kinds[k].required[f]);
        }
    }
}

static void
test_kafka_mutations (void)
{
  for (unsigned k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      for (unsigned m = 0; m < kinds[k].n_mutations; m++)
        {
          g_autofree char *json = mutate (kinds[k].base, &kinds[k].mutations[m]);

          check_decode (&kinds[k], json, kinds[k].mutations[m].code, NULL);
        }
      for (unsigned m = 0; m < G_N_ELEMENTS (envelope_mutations); m++)
        {
          g_autofree char *json = mutate (kinds[k].base, &envelope_mutations[m]);

          check_decode (&kinds[k], json, envelope_mutations[m].code, NULL);
        }
    }
}

static void
test_kafka_malformed (void)
{
  for (unsigned k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const char *base = kinds[k].base;
      size_t len = strlen (base);
      g_autofree char *truncated = g_strndup (base, len - 1);
      g_autofree char *half = g_strndup (base, len / 2);
      g_autofree char *array = g_strdup_printf ("[%s]", base);
      g_autofree char *bad_utf8 = g_strdup (base);
      g_autoptr(GString) at_limit = g_string_new (base);
      g_autoptr(GString) over_limit = NULL;
      g_autoptr(GError) error = NULL;

      check_decode (&kinds[k], "", EV_PROTOCOL_ERROR_BAD_JSON, NULL);
      check_decode (&kinds[k], " \n\t", EV_PROTOCOL_ERROR_BAD_JSON, NULL);
      check_decode (&kinds[k], truncated, EV_PROTOCOL_ERROR_BAD_JSON, NULL);
      check_decode (&kinds[k], half, EV_PROTOCOL_ERROR_BAD_JSON, NULL);
      check_decode (&kinds[k], array, EV_PROTOCOL_ERROR_NOT_OBJECT, NULL);
      check_decode (&kinds[k], "[]", EV_PROTOCOL_ERROR_NOT_OBJECT, NULL);
      check_decode (&kinds[k], "true", EV_PROTOCOL_ERROR_NOT_OBJECT, NULL);
      check_decode (&kinds[k], "{}", EV_PROTOCOL_ERROR_MISSING_FIELD, "“v”");

      /* A byte that cannot start a UTF-8 sequence, inside a string value. */
      *strstr (bad_utf8, U1) = '\xc0';
      check_decode (&kinds[k], bad_utf8, EV_PROTOCOL_ERROR_BAD_JSON, NULL);

      /* Exactly at the bound is fine; one byte more is too large. */
      g_string_truncate (at_limit, at_limit->len - 1);
      g_string_append (at_limit, ",\"pad\":\"");
      while (at_limit->len < EV_PROTOCOL_KAFKA_MAX_SIZE - 2)
        g_string_append_c (at_limit, ' ');
      g_string_append (at_limit, "\"}");
      g_assert_cmpuint (at_limit->len, ==, EV_PROTOCOL_KAFKA_MAX_SIZE);
      g_assert_true (kinds[k].decode (at_limit->str, at_limit->len, &error));
      g_assert_no_error (error);

      over_limit = g_string_new (at_limit->str);
      g_string_insert_c (over_limit, over_limit->len - 2, ' ');
      check_decode (&kinds[k], over_limit->str, EV_PROTOCOL_ERROR_TOO_LARGE, NULL);
    }
}

/* Values json-glib parses but cannot write back, so no mutation can make
 * them: infinities and unpaired surrogates. */
static void
test_kafka_literals (void)
{
  static const struct {
    const char *json;
    int code;
  } cases[] = {
    { "{" ENV "\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
      "\"reason\":\"engine-fault\",\"kwh\":1e999,\"amount\":0}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{" ENV "\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
      "\"reason\":\"engine-fault\",\"kwh\":1,\"amount\":-1e999}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{" ENV "\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP\\ud800x\","
      "\"reason\":\"engine-fault\",\"kwh\":1,\"amount\":1}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{" ENV "\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
      "\"reason\":\"engine-fault\",\"kwh\":1,\"amount\":1,\"x\":\"\\udc00x\"}", OK },
    { "{\"v\":1,\"id\":\"" U1 "\",\"ts\":1e999,\"supply_id\":\"" U3 "\",\"driver_id\":\"D-1\","
      "\"cp_id\":\"CP1\",\"reason\":\"engine-fault\",\"kwh\":1,\"amount\":1}", EV_PROTOCOL_ERROR_INVALID_VALUE },
  };

  /* kinds[] ends with supply-error and cp-states. */
  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    check_decode (&kinds[G_N_ELEMENTS (kinds) - 2], cases[i].json, cases[i].code, NULL);
}

/* Kafka messages: round trips ----------------------------------------- */

static void
set_envelope (EvEnvelope *envelope,
              gint64      offset)
{
  envelope->id = g_strdup (U1);
  envelope->ts = TS + offset;
}

static void
test_supply_request_round_trip (void)
{
  EvSupplyRequest *messages[] = {
    ev_supply_request_new (U2, "CP1", "D-1", EV_SUPPLY_ORIGIN_DRIVER),
    ev_supply_request_new (U2, "CP1", "station:CP1", EV_SUPPLY_ORIGIN_STATION),
    ev_supply_request_new (U2, ID32, "operator.typed", EV_SUPPLY_ORIGIN_STATION),
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(EvSupplyRequest) msg = messages[i];
      g_autoptr(EvSupplyRequest) decoded = NULL;
      g_autoptr(EvSupplyRequest) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      gsize length;

      set_envelope (&msg->envelope, i);
      json = ev_supply_request_to_json (msg, &length);
      if (i == 0)
        g_assert_cmpstr (json, ==, "{" ENV "\"request_id\":\"" U2 "\",\"cp_id\":\"CP1\","
                                   "\"driver_id\":\"D-1\",\"origin\":\"driver\"}");
      decoded = ev_supply_request_from_json (json, length, &error);
      g_assert_no_error (error);
      g_assert_true (ev_supply_request_equal (msg, decoded));

      copy = ev_supply_request_copy (decoded);
      g_assert_true (ev_supply_request_equal (copy, msg));
      g_assert_true (copy->envelope.id != decoded->envelope.id);

      /* Equality looks at every field. */
      copy->origin = !copy->origin;
      g_assert_false (ev_supply_request_equal (copy, msg));
    }
}

static void
test_supply_response_round_trip (void)
{
  for (int reason = EV_SUPPLY_DENY_REASON_NONE; reason <= EV_SUPPLY_DENY_REASON_UNAVAILABLE; reason++)
    {
      g_autoptr(EvSupplyResponse) msg = NULL;
      g_autoptr(EvSupplyResponse) decoded = NULL;
      g_autoptr(EvSupplyResponse) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      gsize length;

      if (reason == EV_SUPPLY_DENY_REASON_NONE)
        msg = ev_supply_response_new_authorized (U2, "D-1", "CP1", U3, 0.5);
      else
        msg = ev_supply_response_new_denied (U2, "station:CP1", "CP1", reason);
      set_envelope (&msg->envelope, reason);

      json = ev_supply_response_to_json (msg, &length);
      g_test_message ("%s", json);
      if (reason == EV_SUPPLY_DENY_REASON_NONE)
        g_assert_cmpstr (json, ==, "{" ENV "\"request_id\":\"" U2 "\",\"driver_id\":\"D-1\",\"cp_id\":\"CP1\","
                                   "\"status\":\"authorized\",\"supply_id\":\"" U3 "\",\"price\":0.5}");
      decoded = ev_supply_response_from_json (json, length, &error);
      g_assert_no_error (error);
      g_assert_true (ev_supply_response_equal (msg, decoded));
      g_assert_cmpint (decoded->reason, ==, reason);

      copy = ev_supply_response_copy (decoded);
      g_assert_true (ev_supply_response_equal (copy, msg));
      copy->price += 0.01;
      g_assert_cmpint (ev_supply_response_equal (copy, msg), ==, !msg->has_price);
    }
}

static void
test_directive_round_trip (void)
{
  for (int action = EV_DIRECTIVE_ACTION_START; action <= EV_DIRECTIVE_ACTION_CANCEL; action++)
    {
      for (int all = 0; all < 2; all++)
        {
          g_autoptr(EvDirective) msg = NULL;
          g_autoptr(EvDirective) decoded = NULL;
          g_autoptr(EvDirective) copy = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *json = NULL;
          gsize length;
          gboolean one_supply = action == EV_DIRECTIVE_ACTION_START || action == EV_DIRECTIVE_ACTION_CANCEL;

          if (all && one_supply)
            continue;

          msg = ev_directive_new (all ? EV_DIRECTIVE_TARGET_ALL : "CP1", action, TS + 60000);
          set_envelope (&msg->envelope, action);
          if (one_supply)
            msg->supply_id = g_strdup (U3);
          if (action == EV_DIRECTIVE_ACTION_START)
            {
              msg->driver_id = g_strdup ("D-1");
              msg->has_price = TRUE;
              msg->price = 0.25;
            }

          json = ev_directive_to_json (msg, &length);
          g_test_message ("%s", json);
          if (action == EV_DIRECTIVE_ACTION_START)
            g_assert_cmpstr (json, ==, "{" ENV "\"target\":\"CP1\",\"action\":\"start\",\"supply_id\":\"" U3 "\","
                                       "\"driver_id\":\"D-1\",\"price\":0.25,\"expires\":1700000060000}");
          decoded = ev_directive_from_json (json, length, &error);
          g_assert_no_error (error);
          g_assert_true (ev_directive_equal (msg, decoded));

          copy = ev_directive_copy (decoded);
          g_assert_true (ev_directive_equal (copy, msg));
          copy->expires++;
          g_assert_false (ev_directive_equal (copy, msg));

          g_assert_true (ev_directive_applies_to (decoded, "CP1"));
          g_assert_cmpint (ev_directive_applies_to (decoded, "CP2"), ==, all);
          g_assert_cmpint (ev_directive_applies_to (decoded, NULL), ==, all);
          g_assert_false (ev_directive_is_expired (decoded, TS + 60000));
          g_assert_true (ev_directive_is_expired (decoded, TS + 60001));
        }
    }
}

static void
test_supply_data_round_trip (void)
{
  for (int reason = EV_TICKET_REASON_NONE; reason <= EV_TICKET_REASON_MONITOR_LOST; reason++)
    {
      for (int with_start = 0; with_start < 2; with_start++)
        {
          gboolean ticket = reason != EV_TICKET_REASON_NONE;
          g_autoptr(EvSupplyData) msg = NULL;
          g_autoptr(EvSupplyData) decoded = NULL;
          g_autoptr(EvSupplyData) copy = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *json = NULL;
          gsize length;

          if (ticket && !with_start)
            continue;

          msg = ev_supply_data_new (ticket ? EV_SUPPLY_DATA_TICKET : EV_SUPPLY_DATA_PROGRESS,
                                    U3, "CP1", reason == EV_TICKET_REASON_UNPLUGGED ? "station:CP1" : "D-1",
                                    ticket ? 42 : 1);
          set_envelope (&msg->envelope, reason);
          msg->kwh = 7.5;
          msg->amount = 2.625;
          msg->price = 0.35;
          if (with_start)
            msg->started_at = TS;
          if (ticket)
            {
              msg->ended_at = TS + 900000;
              msg->reason = reason;
            }

          json = ev_supply_data_to_json (msg, &length);
          g_test_message ("%s", json);
          if (reason == EV_TICKET_REASON_ENGINE_FAULT)
            g_assert_cmpstr (json, ==, "{\"v\":1,\"id\":\"" U1 "\",\"ts\":1700000000003,\"kind\":\"ticket\",\"supply_id\":\"" U3 "\",\"cp_id\":\"CP1\","
                                       "\"driver_id\":\"D-1\",\"seq\":42,\"kwh\":7.5,\"amount\":2.625,"
                                       "\"price\":0.35,\"started_at\":1700000000000,"
                                       "\"ended_at\":1700000900000,\"reason\":\"engine-fault\"}");
          decoded = ev_supply_data_from_json (json, length, &error);
          g_assert_no_error (error);
          g_assert_true (ev_supply_data_equal (msg, decoded));

          copy = ev_supply_data_copy (decoded);
          g_assert_true (ev_supply_data_equal (copy, msg));
          copy->seq++;
          g_assert_false (ev_supply_data_equal (copy, msg));
        }
    }
}

/* The extension of supply-data2: `source_ts` (the engine's `ts`) is
 * written only when set, read back when present, and a message without
 * it is the same as before. */
static void
test_supply_data_source_ts (void)
{
  g_autoptr(EvSupplyData) msg = ev_supply_data_new (EV_SUPPLY_DATA_PROGRESS, U3, "CP1", "D-1", 2);
  g_autoptr(EvSupplyData) decoded = NULL;
  g_autoptr(EvSupplyData) plain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *without = NULL;
  gsize length;

  set_envelope (&msg->envelope, 0);
  msg->kwh = 1.5;
  msg->amount = 0.5;
  msg->price = 0.35;
  without = ev_supply_data_to_json (msg, NULL);
  g_assert_null (strstr (without, "source_ts"));
  plain = ev_supply_data_from_json (without, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (plain->source_ts, ==, 0);

  msg->source_ts = TS - 7;
  json = ev_supply_data_to_json (msg, &length);
  g_assert_nonnull (strstr (json, ",\"source_ts\":1699999999993}"));
  decoded = ev_supply_data_from_json (json, length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decoded->source_ts, ==, TS - 7);
  g_assert_true (ev_supply_data_equal (msg, decoded));
  g_assert_false (ev_supply_data_equal (plain, decoded));
}

static void
test_supply_error_round_trip (void)
{
  for (int reason = EV_SUPPLY_ERROR_REASON_ENGINE_FAULT; reason <= EV_SUPPLY_ERROR_REASON_NOT_PLUGGED; reason++)
    {
      g_autoptr(EvSupplyError) msg = ev_supply_error_new (U3, "D-1", "CP1", reason);
      g_autoptr(EvSupplyError) decoded = NULL;
      g_autoptr(EvSupplyError) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      gsize length;

      set_envelope (&msg->envelope, reason);
      msg->kwh = reason == EV_SUPPLY_ERROR_REASON_NOT_PLUGGED ? 0 : 3.25;
      msg->amount = msg->kwh * 0.5;

      json = ev_supply_error_to_json (msg, &length);
      g_test_message ("%s", json);
      if (reason == EV_SUPPLY_ERROR_REASON_NOT_PLUGGED)
        g_assert_cmpstr (json, ==, "{\"v\":1,\"id\":\"" U1 "\",\"ts\":1700000000004,\"supply_id\":\"" U3 "\","
                                   "\"driver_id\":\"D-1\",\"cp_id\":\"CP1\",\"reason\":\"not-plugged\","
                                   "\"kwh\":0.0,\"amount\":0.0}");
      decoded = ev_supply_error_from_json (json, length, &error);
      g_assert_no_error (error);
      g_assert_true (ev_supply_error_equal (msg, decoded));

      copy = ev_supply_error_copy (decoded);
      g_assert_true (ev_supply_error_equal (copy, msg));
      copy->reason = EV_SUPPLY_ERROR_REASON_NONE;
      g_assert_false (ev_supply_error_equal (copy, msg));
    }
}

static void
test_cp_state_round_trip (void)
{
  for (int state = EV_CP_STATE_DISCONNECTED; state <= EV_CP_STATE_LAST; state++)
    {
      for (int with_details = 0; with_details < 2; with_details++)
        {
          g_autoptr(EvCpStateMessage) msg = ev_cp_state_message_new ("CP1", state);
          g_autoptr(EvCpStateMessage) decoded = NULL;
          g_autoptr(EvCpStateMessage) copy = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *json = NULL;
          gsize length;

          set_envelope (&msg->envelope, state);
          if (with_details)
            {
              msg->location = g_strdup ("Alicante, Av. Maisonnave 12 — ñ");
              msg->has_price = TRUE;
              msg->price = 0.35;
            }

          json = ev_cp_state_message_to_json (msg, &length);
          g_test_message ("%s", json);
          if (state == EV_CP_STATE_DISCONNECTED && !with_details)
            g_assert_cmpstr (json, ==, "{" ENV "\"cp_id\":\"CP1\",\"state\":\"DISCONNECTED\"}");
          decoded = ev_cp_state_message_from_json (json, length, &error);
          g_assert_no_error (error);
          g_assert_true (ev_cp_state_message_equal (msg, decoded));
          g_assert_cmpint (decoded->has_price, ==, with_details);

          copy = ev_cp_state_message_copy (decoded);
          g_assert_true (ev_cp_state_message_equal (copy, msg));
          copy->has_price = !copy->has_price;
          g_assert_false (ev_cp_state_message_equal (copy, msg));
        }
    }
}

void
test_messages_add_kafka (void)
{
  g_test_add_func ("/messages/kafka/valid", test_kafka_valid_bases);
  g_test_add_func ("/messages/kafka/missing-fields", test_kafka_missing_fields);
  g_test_add_func ("/messages/kafka/mutations", test_kafka_mutations);
  g_test_add_func ("/messages/kafka/malformed", test_kafka_malformed);
  g_test_add_func ("/messages/kafka/literals", test_kafka_literals);
  g_test_add_func ("/messages/supply-req/round-trip", test_supply_request_round_trip);
  g_test_add_func ("/messages/supply-res/round-trip", test_supply_response_round_trip);
  g_test_add_func ("/messages/directive/round-trip", test_directive_round_trip);
  g_test_add_func ("/messages/supply-data/round-trip", test_supply_data_round_trip);
  g_test_add_func ("/messages/supply-data/source-ts", test_supply_data_source_ts);
  g_test_add_func ("/messages/supply-error/round-trip", test_supply_error_round_trip);
  g_test_add_func ("/messages/cp-states/round-trip", test_cp_state_round_trip);
}

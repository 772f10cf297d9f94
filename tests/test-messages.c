#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"
#include "test-messages.h"

/* Identifiers, values and the error codes that guard them ------------- */

static void
test_ids (void)
{
  static const char *valid[] = { "CP1", "a", "A.b_c-9", ID32, "...", "-_-" };
  static const struct {
    const char *id;
    int code;
  } invalid[] = {
    { NULL, EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "", EV_PROTOCOL_ERROR_INVALID_ID },
    { ID33, EV_PROTOCOL_ERROR_INVALID_ID },
    { "CP 1", EV_PROTOCOL_ERROR_INVALID_ID },
    { "CP/1", EV_PROTOCOL_ERROR_INVALID_ID },
    { "CP:1", EV_PROTOCOL_ERROR_INVALID_ID },
    { "station:CP1", EV_PROTOCOL_ERROR_INVALID_ID },
    { "CPñ", EV_PROTOCOL_ERROR_INVALID_ID },
    { "CP1\n", EV_PROTOCOL_ERROR_INVALID_ID },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (ev_protocol_is_valid_id (valid[i]));
      g_assert_true (ev_protocol_validate_cp_id (valid[i], NULL, &error));
      g_assert_no_error (error);
      g_assert_true (ev_protocol_validate_driver_id (valid[i], NULL, &error));
      g_assert_no_error (error);
    }

  for (unsigned i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) error2 = NULL;

      g_test_message ("invalid id %u", i);
      g_assert_false (ev_protocol_is_valid_id (invalid[i].id));
      g_assert_false (ev_protocol_validate_cp_id (invalid[i].id, "target", &error));
      g_assert_error (error, EV_PROTOCOL_ERROR, invalid[i].code);
      /* The message names the field. */
      g_assert_nonnull (strstr (error->message, "target"));

      if (g_strcmp0 (invalid[i].id, "station:CP1") != 0)
        {
          g_assert_false (ev_protocol_validate_driver_id (invalid[i].id, NULL, &error2));
          g_assert_error (error2, EV_PROTOCOL_ERROR, invalid[i].code);
          g_assert_nonnull (strstr (error2->message, "driver_id"));
        }
    }
}

static void
test_station_driver_id (void)
{
  static const char *valid[] = { "station:CP1", ("station:" ID32), "station:a.b-c_d" };
  static const char *invalid[] = {
    "station:", ("station:" ID33), "station:CP 1", "station:station:CP1",
    "Station:CP1", "stations:CP1", "station-CP1:", "driver:CP1", ":CP1", "station:CP1:",
  };
  g_autofree char *made = NULL;

  for (unsigned i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (ev_protocol_validate_driver_id (valid[i], NULL, &error));
      g_assert_no_error (error);
      g_assert_true (ev_protocol_is_station_driver_id (valid[i]));
      /* Only as a driver id: never as a CP id. */
      g_assert_false (ev_protocol_validate_cp_id (valid[i], NULL, NULL));
    }

  for (unsigned i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("invalid station id %s", invalid[i]);
      g_assert_false (ev_protocol_validate_driver_id (invalid[i], NULL, &error));
      g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID);
      g_assert_false (ev_protocol_is_station_driver_id (invalid[i]));
    }

  g_assert_false (ev_protocol_is_station_driver_id ("CP1"));
  g_assert_false (ev_protocol_is_station_driver_id (NULL));

  made = ev_protocol_make_station_driver_id ("CP7");
  g_assert_cmpstr (made, ==, "station:CP7");
}

static void
test_uuids (void)
{
  static const char *invalid[] = {
    "", "not-a-uuid", U1 "0", "2f1c6a8e4b7d4c1e9a3b0d5e6f708192",
    "2f1c6a8e-4b7d-4c1e-9a3b-0d5e6f70819g", "{2f1c6a8e-4b7d-4c1e-9a3b-0d5e6f708192}",
  };
  g_autofree char *a = ev_protocol_new_uuid ();
  g_autofree char *b = ev_protocol_new_uuid ();
  g_autoptr(GError) error = NULL;

  g_assert_true (ev_protocol_validate_uuid (a, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ev_protocol_validate_uuid (U1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a, !=, b);

  for (unsigned i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) local_error = NULL;

      g_assert_false (ev_protocol_validate_uuid (invalid[i], "supply_id", &local_error));
      g_assert_error (local_error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID);
      g_assert_nonnull (strstr (local_error->message, "supply_id"));
    }

  g_assert_false (ev_protocol_validate_uuid (NULL, NULL, &error));
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_MISSING_FIELD);
}

static void
test_locations (void)
{
  g_autoptr(GString) longest = g_string_new (NULL);
  g_autofree char *too_long = NULL;
  static const char *invalid[] = { "", "   ", "a\nb", "tab\there", "bell\a", "del\x7f", "c1\xc2\x85" };

  /* 200 characters, 400 bytes: the bound counts characters. */
  for (int i = 0; i < EV_PROTOCOL_LOCATION_MAX_LENGTH; i++)
    g_string_append (longest, "ñ");
  too_long = g_strconcat (longest->str, "x", NULL);

  g_assert_true (ev_protocol_validate_location ("Alicante, Av. Maisonnave 12", NULL, NULL));
  g_assert_true (ev_protocol_validate_location ("Zürich — Bahnhofstraße 1", NULL, NULL));
  g_assert_true (ev_protocol_validate_location ("x", NULL, NULL));
  g_assert_true (ev_protocol_validate_location (longest->str, NULL, NULL));

  for (unsigned i = 0; i < G_N_ELEMENTS (invalid) + 2; i++)
    {
      g_autoptr(GError) error = NULL;
      const char *text = i < G_N_ELEMENTS (invalid) ? invalid[i] : i == G_N_ELEMENTS (invalid) ? too_long : "\xff\xfe";

      g_test_message ("invalid location %u", i);
      g_assert_false (ev_protocol_validate_location (text, NULL, &error));
      g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE);
      g_assert_nonnull (strstr (error->message, "location"));
    }

  g_assert_true (ev_protocol_validate_token ("s3cr3t+/=", NULL, NULL));
  g_assert_false (ev_protocol_validate_token ("", NULL, NULL));
  g_assert_false (ev_protocol_validate_token ("a\x01", NULL, NULL));
}

static void
test_numbers (void)
{
  static const struct {
    gboolean (*validate) (double, const char *, GError **);
    double max;
  } validators[] = {
    { ev_protocol_validate_price, EV_PROTOCOL_PRICE_MAX },
    { ev_protocol_validate_kwh, EV_PROTOCOL_KWH_MAX },
    { ev_protocol_validate_amount, EV_PROTOCOL_AMOUNT_MAX },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (validators); i++)
    {
      double bad[] = { -0.01, -1e300, NAN, INFINITY, -INFINITY, validators[i].max * 1.0001, 1e300 };
      double good[] = { 0, 0.35, 1, validators[i].max };

      for (unsigned j = 0; j < G_N_ELEMENTS (good); j++)
        g_assert_true (validators[i].validate (good[j], NULL, NULL));
      for (unsigned j = 0; j < G_N_ELEMENTS (bad); j++)
        {
          g_autoptr(GError) error = NULL;

          g_assert_false (validators[i].validate (bad[j], "field_x", &error));
          g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE);
          g_assert_nonnull (strstr (error->message, "field_x"));
        }
    }
}

static void
test_timestamps (void)
{
  gint64 before = g_get_real_time () / 1000;
  gint64 now = ev_protocol_now_ms ();
  gint64 after = g_get_real_time () / 1000;
  gint64 bad[] = { 0, -1, G_MININT64, EV_PROTOCOL_TIMESTAMP_MAX + 1, G_MAXINT64 };

  g_assert_cmpint (now, >=, before);
  g_assert_cmpint (now, <=, after);
  g_assert_true (ev_protocol_validate_timestamp (now, NULL, NULL));
  g_assert_true (ev_protocol_validate_timestamp (1, NULL, NULL));
  g_assert_true (ev_protocol_validate_timestamp (EV_PROTOCOL_TIMESTAMP_MAX, NULL, NULL));

  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ev_protocol_validate_timestamp (bad[i], "expires", &error));
      g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE);
      g_assert_nonnull (strstr (error->message, "expires"));
    }
}

/* Wire names of the enumerations -------------------------------------- */

#define CHECK_WIRE_NAMES(prefix, Type, ...)                                   \
  G_STMT_START {                                                              \
    static const char *names[] = { __VA_ARGS__ };                             \
    static const char *unknown[] = { "", "nope", "OK", "Auth", "ok ", "-" };  \
    for (unsigned i = 0; i < G_N_ELEMENTS (names); i++)                       \
      {                                                                       \
        Type parsed = (Type) 99;                                              \
        g_assert_cmpstr (prefix##_to_string ((Type) i), ==, names[i]);        \
        if (names[i] == NULL)                                                 \
          continue;                                                           \
        g_assert_true (prefix##_from_string (names[i], &parsed));             \
        g_assert_cmpint (parsed, ==, i);                                      \
      }                                                                       \
    g_assert_null (prefix##_to_string ((Type) G_N_ELEMENTS (names)));         \
    for (unsigned i = 0; i < G_N_ELEMENTS (unknown); i++)                     \
      {                                                                       \
        Type parsed = (Type) 99;                                              \
        g_assert_false (prefix##_from_string (unknown[i], &parsed));          \
        g_assert_cmpint (parsed, ==, 99);                                     \
      }                                                                       \
  } G_STMT_END

static void
test_wire_names (void)
{
  CHECK_WIRE_NAMES (ev_link_request_type, EvLinkRequestType,
                    "auth", "register", "status", "hello", "health", "central", "price", "key");
  CHECK_WIRE_NAMES (ev_engine_health, EvEngineHealth, "ok", "ko", "unreachable");
  CHECK_WIRE_NAMES (ev_link_status, EvLinkStatus,
                    "ok", "ko", "authorized", "registered", "denied", "error");
  CHECK_WIRE_NAMES (ev_link_reason, EvLinkReason,
                    NULL, "unknown-cp", "bad-token", "invalid-id", "already-registered",
                    "invalid-location", "not-authenticated", "bound-to-other-cp",
                    "unknown-type", "bad-json", "invalid-request", "rate-limited",
                    "already-connected", "not-paired", "too-many-pending");
  CHECK_WIRE_NAMES (ev_supply_origin, EvSupplyOrigin, "driver", "station");
  CHECK_WIRE_NAMES (ev_supply_status, EvSupplyStatus, "authorized", "denied");
  CHECK_WIRE_NAMES (ev_supply_deny_reason, EvSupplyDenyReason,
                    NULL, "unknown-cp", "cp-disconnected", "cp-busy", "cp-stopped",
                    "cp-broken", "driver-busy", "invalid-request", "unavailable");
  CHECK_WIRE_NAMES (ev_directive_action, EvDirectiveAction, "start", "stop", "resume", "cancel");
  CHECK_WIRE_NAMES (ev_supply_data_kind, EvSupplyDataKind, "progress", "ticket");
  CHECK_WIRE_NAMES (ev_ticket_reason, EvTicketReason,
                    NULL, "unplugged", "stopped-by-central", "engine-fault", "not-plugged",
                    "monitor-lost");
  CHECK_WIRE_NAMES (ev_supply_error_reason, EvSupplyErrorReason,
                    NULL, "engine-fault", "cp-disconnected", "stopped-by-central", "not-plugged");
}

/* Link requests ------------------------------------------------------- */

/* A registration awaiting the operator's approval (an extension). */
static EvLinkResponse *
pending_registered (void)
{
  EvLinkResponse *response = ev_link_response_new_registered (0.5, "tok");

  response->pending = TRUE;
  return response;
}

/* An answer that hands out the CP's key (docs/protocol.md). */
static EvLinkResponse *
keyed_authorized (void)
{
  EvLinkResponse *response = ev_link_response_new_authorized (0.25, "Here");

  response->cp_key = g_strdup ("S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE=");
  return response;
}

/* The pairing proof is HMAC-SHA256 (a known value) over the challenge and
 * the CP id: any other secret, challenge or CP id fails, and so does a
 * hello without a proof. */
static void
test_pairing_proof (void)
{
  const char *secret = "correct horse battery staple";
  const char *challenge = "0123456789abcdef0123456789abcdef";
  g_autofree char *proof = ev_link_pairing_proof (secret, challenge, "CP-2");
  g_autoptr(EvLinkRequest) good = ev_link_request_new_hello_paired ("CP-2", challenge, secret);
  g_autoptr(EvLinkRequest) other_secret = ev_link_request_new_hello_paired ("CP-2", challenge, "guess");
  g_autoptr(EvLinkRequest) other_cp = ev_link_request_new_hello_paired ("CP-3", challenge, secret);
  g_autoptr(EvLinkRequest) bare = ev_link_request_new_hello ("CP-2");
  g_autoptr(EvLinkRequest) cut = ev_link_request_copy (good);

  g_assert_cmpstr (proof, ==, "0d92443a073a3534fe4f62a81752f4199378809a9b5fbfb5b09743b22203acf4");
  g_assert_true (ev_link_pairing_check (secret, challenge, good));
  g_assert_false (ev_link_pairing_check (secret, "fedcba9876543210fedcba9876543210", good));
  g_assert_false (ev_link_pairing_check ("other", challenge, good));
  g_assert_false (ev_link_pairing_check (secret, challenge, other_secret));
  g_assert_false (ev_link_pairing_check (secret, challenge, bare));
  /* Signed for CP-3, presented as CP-2. */
  g_free (other_cp->cp_id);
  other_cp->cp_id = g_strdup ("CP-2");
  g_assert_false (ev_link_pairing_check (secret, challenge, other_cp));
  cut->proof[strlen (cut->proof) - 1] = '\0';
  g_assert_false (ev_link_pairing_check (secret, challenge, cut));
}

static void
test_link_request_round_trip (void)
{
  EvLinkRequest *requests[] = {
    ev_link_request_new_auth ("CP1", "tok-123"),
    ev_link_request_new_register ("CP1", "Alicante, Av. Maisonnave 12"),
    ev_link_request_new_register_with_nonce ("CP1", "Here", "0123456789abcdef0123456789abcdef"),
    ev_link_request_new_status (EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
    ev_link_request_new_status (EV_CP_STATE_BROKEN, EV_ENGINE_HEALTH_KO),
    ev_link_request_new_status (EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_UNREACHABLE),
    ev_link_request_new_hello ("CP-2"),
    ev_link_request_new_hello_paired ("CP-2", "0123456789abcdef0123456789abcdef", "correct horse battery staple"),
    ev_link_request_new_health (),
    ev_link_request_new_central (TRUE),
    ev_link_request_new_central (FALSE),
    ev_link_request_new_price (0.35),
    ev_link_request_new_price (0),
    ev_link_request_new_key ("CP1", "S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE="),
  };
  static const char *expected[] = {
    "{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"tok-123\"}",
    "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"Alicante, Av. Maisonnave 12\"}",
    "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"Here\",\"nonce\":\"0123456789abcdef0123456789abcdef\"}",
    "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}",
    "{\"type\":\"status\",\"state\":\"BROKEN\",\"engine\":\"ko\"}",
    "{\"type\":\"status\",\"state\":\"SUPPLYING\",\"engine\":\"unreachable\"}",
    "{\"type\":\"hello\",\"cp_id\":\"CP-2\"}",
    "{\"type\":\"hello\",\"cp_id\":\"CP-2\",\"challenge\":\"0123456789abcdef0123456789abcdef\","
    "\"proof\":\"0d92443a073a3534fe4f62a81752f4199378809a9b5fbfb5b09743b22203acf4\"}",
    "{\"type\":\"health\"}",
    "{\"type\":\"central\",\"reachable\":true}",
    "{\"type\":\"central\",\"reachable\":false}",
    NULL,
    NULL,
    "{\"type\":\"key\",\"cp_id\":\"CP1\",\"key\":\"S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE=\"}",
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (requests) == G_N_ELEMENTS (expected));

  for (unsigned i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(EvLinkRequest) request = requests[i];
      g_autoptr(EvLinkRequest) decoded = NULL;
      g_autoptr(EvLinkRequest) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      EvLinkReason reason = EV_LINK_REASON_BAD_JSON;
      gsize length = 0;

      json = ev_link_request_to_json (request, &length);
      g_test_message ("%s", json);
      g_assert_cmpuint (length, ==, strlen (json));
      if (expected[i] != NULL)
        g_assert_cmpstr (json, ==, expected[i]);

      decoded = ev_link_request_parse (json, length, &reason, &error);
      g_assert_no_error (error);
      g_assert_nonnull (decoded);
      g_assert_cmpint (reason, ==, EV_LINK_REASON_NONE);
      g_assert_true (ev_link_request_equal (request, decoded));

      copy = ev_link_request_copy (decoded);
      g_assert_true (ev_link_request_equal (copy, request));
      if (copy->cp_id != NULL)
        g_assert_true (copy->cp_id != decoded->cp_id);
    }
}

static void
test_link_request_decode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvLinkRequest) auth = NULL;
  g_autoptr(EvLinkRequest) price = NULL;
  g_autoptr(EvLinkRequest) other = NULL;

  /* As the contract writes them, with unknown fields added. */
  auth = ev_link_request_from_json ("{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"abc\","
                                    "\"firmware\":{\"v\":[1,2]},\"cp_id_hint\":null}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (auth->type, ==, EV_LINK_REQUEST_AUTH);
  g_assert_cmpstr (auth->cp_id, ==, "CP1");
  g_assert_cmpstr (auth->token, ==, "abc");

  /* An integer price is a number too. */
  price = ev_link_request_from_json ("{\"type\":\"price\",\"price\":1}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (price->price, ==, 1.0);

  /* Fields of other request types are ignored, not validated. */
  other = ev_link_request_from_json ("{\"type\":\"health\",\"cp_id\":\"bad id!\"}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (other->type, ==, EV_LINK_REQUEST_HEALTH);
  g_assert_null (other->cp_id);
}

static void
test_link_request_invalid (void)
{
  static const struct {
    const char *json;
    int code;
    EvLinkReason reason;
    const char *response;
  } cases[] = {
    { "", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, "{\"status\":\"error\",\"reason\":\"bad-json\"}" },
    { "   ", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "{\"type\":\"auth\",\"cp_id\":\"CP1\"", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "{\"type\":\"health\"} trailing", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "{\"type\":\"health\",}", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "{\"type\":\"h\xff\"}", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "\xc3\x28", EV_PROTOCOL_ERROR_BAD_JSON, EV_LINK_REASON_BAD_JSON, NULL },
    { "[{\"type\":\"health\"}]", EV_PROTOCOL_ERROR_NOT_OBJECT, EV_LINK_REASON_BAD_JSON, "{\"status\":\"error\",\"reason\":\"bad-json\"}" },
    { "\"health\"", EV_PROTOCOL_ERROR_NOT_OBJECT, EV_LINK_REASON_BAD_JSON, NULL },
    { "42", EV_PROTOCOL_ERROR_NOT_OBJECT, EV_LINK_REASON_BAD_JSON, NULL },
    { "null", EV_PROTOCOL_ERROR_NOT_OBJECT, EV_LINK_REASON_BAD_JSON, NULL },
    { "{\"type\":\"reboot\"}", EV_PROTOCOL_ERROR_UNKNOWN_TYPE, EV_LINK_REASON_UNKNOWN_TYPE, "{\"status\":\"error\",\"reason\":\"unknown-type\"}" },
    { "{\"type\":\"AUTH\",\"cp_id\":\"CP1\",\"token\":\"t\"}", EV_PROTOCOL_ERROR_UNKNOWN_TYPE, EV_LINK_REASON_UNKNOWN_TYPE, NULL },
    { "{\"cp_id\":\"CP1\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_UNKNOWN_TYPE, NULL },
    { "{\"type\":7}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_UNKNOWN_TYPE, NULL },
    { "{\"type\":\"auth\",\"token\":\"t\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_ID, "{\"status\":\"denied\",\"reason\":\"invalid-id\"}" },
    { "{\"type\":\"auth\",\"cp_id\":\"CP 1\",\"token\":\"t\"}", EV_PROTOCOL_ERROR_INVALID_ID, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"auth\",\"cp_id\":[\"CP1\"],\"token\":\"t\"}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"auth\",\"cp_id\":\"CP1\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_BAD_TOKEN, "{\"status\":\"denied\",\"reason\":\"bad-token\"}" },
    { "{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_BAD_TOKEN, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"" ID33 "\",\"location\":\"x\"}", EV_PROTOCOL_ERROR_INVALID_ID, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"\",\"location\":\"x\"}", EV_PROTOCOL_ERROR_INVALID_ID, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_LOCATION, "{\"status\":\"denied\",\"reason\":\"invalid-location\"}" },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_LOCATION, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"a\\nb\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_LOCATION, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"a\\ud800b\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_LOCATION, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":42}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_LOCATION, NULL },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"x\",\"nonce\":\"short\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, "{\"status\":\"error\",\"reason\":\"invalid-request\"}" },
    { "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"x\",\"nonce\":7}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"status\",\"engine\":\"ok\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_REQUEST, "{\"status\":\"error\",\"reason\":\"invalid-request\"}" },
    { "{\"type\":\"status\",\"state\":\"active\",\"engine\":\"ok\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"meh\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"status\",\"state\":\"ACTIVE\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"hello\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"hello\",\"cp_id\":\"station:CP1\"}", EV_PROTOCOL_ERROR_INVALID_ID, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"central\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"central\",\"reachable\":\"yes\"}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"central\",\"reachable\":1}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\",\"price\":-0.1}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\",\"price\":1e999}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\",\"price\":1000}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\",\"price\":\"0.35\"}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"price\",\"price\":true}", EV_PROTOCOL_ERROR_WRONG_TYPE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"key\",\"key\":\"S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE=\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_ID, NULL },
    { "{\"type\":\"key\",\"cp_id\":\"CP1\"}", EV_PROTOCOL_ERROR_MISSING_FIELD, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"key\",\"cp_id\":\"CP1\",\"key\":\"short\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    /* 32 bytes, but not the canonical spelling (the last character's spare bits set). */
    { "{\"type\":\"key\",\"cp_id\":\"CP1\",\"key\":\"S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISF=\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
    { "{\"type\":\"key\",\"cp_id\":\"CP1\",\"key\":\"S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE\"}", EV_PROTOCOL_ERROR_INVALID_VALUE, EV_LINK_REASON_INVALID_REQUEST, NULL },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) error2 = NULL;
      g_autoptr(EvLinkRequest) request = NULL;
      g_autoptr(EvLinkResponse) response = NULL;
      g_autofree char *response_json = NULL;
      g_autofree char *shown = NULL;
      EvLinkReason reason = EV_LINK_REASON_NONE;

      shown = g_strescape (cases[i].json, NULL);
      g_test_message ("case %u: %s", i, shown);
      request = ev_link_request_parse (cases[i].json, -1, &reason, &error);
      g_assert_null (request);
      g_assert_error (error, EV_PROTOCOL_ERROR, cases[i].code);
      g_assert_cmpint (reason, ==, cases[i].reason);

      /* Same verdict without the reason. */
      request = ev_link_request_from_json (cases[i].json, -1, &error2);
      g_assert_null (request);
      g_assert_error (error2, EV_PROTOCOL_ERROR, cases[i].code);

      response = ev_link_response_new_for_reason (reason);
      response_json = ev_link_response_to_json (response, NULL);
      if (cases[i].response != NULL)
        g_assert_cmpstr (response_json, ==, cases[i].response);
    }
}

static void
test_link_request_size (void)
{
  g_autoptr(GString) json = g_string_new ("{\"type\":\"health\",\"pad\":\"");
  g_autoptr(EvLinkRequest) fits = NULL;
  g_autoptr(EvLinkRequest) over = NULL;
  g_autoptr(GError) error = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  while (json->len < EV_PROTOCOL_LINK_MAX_SIZE - 2)
    g_string_append_c (json, 'x');
  g_string_append (json, "\"}");
  g_assert_cmpuint (json->len, ==, EV_PROTOCOL_LINK_MAX_SIZE);

  fits = ev_link_request_from_json (json->str, json->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fits);

  g_string_insert_c (json, json->len - 2, 'x');
  over = ev_link_request_parse (json->str, -1, &reason, &error);
  g_assert_null (over);
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_TOO_LARGE);
  g_assert_cmpint (reason, ==, EV_LINK_REASON_BAD_JSON);
}

static void
test_explicit_length (void)
{
  /* A frame's DATA is not nul-terminated: only @length bytes count. */
  static const char buffer[] = "{\"type\":\"health\"}\x03garbage";
  static const char with_nul[] = "{\"type\":\"health\"}\0{}";
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(EvLinkRequest) truncated = NULL;
  g_autoptr(EvLinkRequest) nul = NULL;
  g_autoptr(EvLinkRequest) null_data = NULL;
  g_autoptr(GError) error = NULL;

  request = ev_link_request_from_json (buffer, strlen ("{\"type\":\"health\"}"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (request->type, ==, EV_LINK_REQUEST_HEALTH);

  truncated = ev_link_request_from_json (buffer, 10, &error);
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON);
  g_clear_error (&error);

  nul = ev_link_request_from_json (with_nul, sizeof with_nul - 1, &error);
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON);
  g_clear_error (&error);

  null_data = ev_link_request_from_json (NULL, 0, &error);
  g_assert_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON);
}

/* Link responses ------------------------------------------------------ */

static void
test_link_response_helpers (void)
{
  static const struct {
    EvLinkReason reason;
    const char *json;
  } for_reason[] = {
    { EV_LINK_REASON_BAD_JSON, "{\"status\":\"error\",\"reason\":\"bad-json\"}" },
    { EV_LINK_REASON_UNKNOWN_TYPE, "{\"status\":\"error\",\"reason\":\"unknown-type\"}" },
    { EV_LINK_REASON_INVALID_REQUEST, "{\"status\":\"error\",\"reason\":\"invalid-request\"}" },
    { EV_LINK_REASON_NONE, "{\"status\":\"error\",\"reason\":\"invalid-request\"}" },
    { EV_LINK_REASON_INVALID_ID, "{\"status\":\"denied\",\"reason\":\"invalid-id\"}" },
    { EV_LINK_REASON_INVALID_LOCATION, "{\"status\":\"denied\",\"reason\":\"invalid-location\"}" },
    { EV_LINK_REASON_BAD_TOKEN, "{\"status\":\"denied\",\"reason\":\"bad-token\"}" },
    { EV_LINK_REASON_UNKNOWN_CP, "{\"status\":\"denied\",\"reason\":\"unknown-cp\"}" },
    { EV_LINK_REASON_ALREADY_REGISTERED, "{\"status\":\"denied\",\"reason\":\"already-registered\"}" },
    { EV_LINK_REASON_NOT_AUTHENTICATED, "{\"status\":\"denied\",\"reason\":\"not-authenticated\"}" },
    { EV_LINK_REASON_BOUND_TO_OTHER_CP, "{\"status\":\"denied\",\"reason\":\"bound-to-other-cp\"}" },
  };
  EvLinkResponse *responses[] = {
    ev_link_response_new_bad_json (),
    ev_link_response_new_unknown_type (),
    ev_link_response_new_ok (),
    ev_link_response_new_ok_with_price (0.5),
    ev_link_response_new_hello_ok ("Alicante", EV_CP_STATE_ACTIVE),
    ev_link_response_new_health (TRUE, EV_CP_STATE_SUPPLYING),
    ev_link_response_new_health (FALSE, EV_CP_STATE_BROKEN),
    ev_link_response_new_authorized (0.25, "Alicante, Av. Maisonnave 12"),
    ev_link_response_new_registered (0.5, "tok"),
    ev_link_response_new_denied (EV_LINK_REASON_NOT_AUTHENTICATED),
    ev_link_response_new_error (EV_LINK_REASON_BAD_JSON),
    ev_link_response_new_not_paired ("0123456789abcdef0123456789abcdef"),
    pending_registered (),
    keyed_authorized (),
  };
  static const char *expected[] = {
    "{\"status\":\"error\",\"reason\":\"bad-json\"}",
    "{\"status\":\"error\",\"reason\":\"unknown-type\"}",
    "{\"status\":\"ok\"}",
    "{\"status\":\"ok\",\"price\":0.5}",
    "{\"status\":\"ok\",\"location\":\"Alicante\",\"state\":\"ACTIVE\"}",
    "{\"status\":\"ok\",\"state\":\"SUPPLYING\"}",
    "{\"status\":\"ko\",\"state\":\"BROKEN\"}",
    "{\"status\":\"authorized\",\"price\":0.25,\"location\":\"Alicante, Av. Maisonnave 12\"}",
    "{\"status\":\"registered\",\"price\":0.5,\"token\":\"tok\"}",
    "{\"status\":\"denied\",\"reason\":\"not-authenticated\"}",
    "{\"status\":\"error\",\"reason\":\"bad-json\"}",
    "{\"status\":\"denied\",\"reason\":\"not-paired\",\"challenge\":\"0123456789abcdef0123456789abcdef\"}",
    "{\"status\":\"registered\",\"price\":0.5,\"token\":\"tok\",\"approval\":\"pending\"}",
    "{\"status\":\"authorized\",\"price\":0.25,\"location\":\"Here\",\"cp_key\":\"S2V5IG9mIHRoZSB0ZXN0IGNoYXJnaW5nIHBvaW50ISE=\"}",
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (responses) == G_N_ELEMENTS (expected));

  for (unsigned i = 0; i < G_N_ELEMENTS (for_reason); i++)
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_for_reason (for_reason[i].reason);
      g_autofree char *json = ev_link_response_to_json (response, NULL);

      g_assert_cmpstr (json, ==, for_reason[i].json);
    }

  for (unsigned i = 0; i < G_N_ELEMENTS (responses); i++)
    {
      g_autoptr(EvLinkResponse) response = responses[i];
      g_autoptr(EvLinkResponse) decoded = NULL;
      g_autoptr(EvLinkResponse) copy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      gsize length = 0;

      json = ev_link_response_to_json (response, &length);
      g_assert_cmpstr (json, ==, expected[i]);
      g_assert_cmpuint (length, ==, strlen (json));

      decoded = ev_link_response_from_json (json, length, &error);
      g_assert_no_error (error);
      g_assert_true (ev_link_response_equal (decoded, response));

      copy = ev_link_response_copy (decoded);
      g_assert_true (ev_link_response_equal (copy, response));
    }
}

static void
test_link_response_invalid (void)
{
  static const struct {
    const char *json;
    int code;
  } cases[] = {
    { "{\"status\":\"ok\",\"price\":0.35,\"future\":[1,{\"a\":null}]}", OK },
    { "{\"status\":\"denied\",\"reason\":\"bound-to-other-cp\"}", OK },
    { "{\"status\":\"ok\",\"location\":\"Alicante\",\"state\":\"ACTIVE\"}", OK },
    { "{\"status\":\"ok\",\"state\":null}", OK },
    { "", EV_PROTOCOL_ERROR_BAD_JSON },
    { "{\"status\":\"ok\"", EV_PROTOCOL_ERROR_BAD_JSON },
    { "[\"ok\"]", EV_PROTOCOL_ERROR_NOT_OBJECT },
    { "{}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":null}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":1}", EV_PROTOCOL_ERROR_WRONG_TYPE },
    { "{\"status\":\"fine\"}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{\"status\":\"denied\"}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"error\"}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"denied\",\"reason\":\"because\"}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{\"status\":\"denied\",\"reason\":5}", EV_PROTOCOL_ERROR_WRONG_TYPE },
    { "{\"status\":\"authorized\",\"price\":0.35}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"authorized\",\"location\":\"x\"}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"registered\",\"price\":0.35}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"registered\",\"token\":\"t\"}", EV_PROTOCOL_ERROR_MISSING_FIELD },
    { "{\"status\":\"ok\",\"price\":-1}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{\"status\":\"ok\",\"price\":\"1\"}", EV_PROTOCOL_ERROR_WRONG_TYPE },
    { "{\"status\":\"ok\",\"state\":\"HAPPY\"}", EV_PROTOCOL_ERROR_INVALID_VALUE },
    { "{\"status\":\"ok\",\"location\":\"\\u0007\"}", EV_PROTOCOL_ERROR_INVALID_VALUE },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EvLinkResponse) response = NULL;

      g_test_message ("case %u: %s", i, cases[i].json);
      response = ev_link_response_from_json (cases[i].json, -1, &error);
      if (cases[i].code == OK)
        {
          g_assert_no_error (error);
          g_assert_nonnull (response);
        }
      else
        {
          g_assert_null (response);
          g_assert_error (error, EV_PROTOCOL_ERROR, cases[i].code);
        }
    }
}

static void
test_envelope_fill (void)
{
  g_autoptr(EvCpStateMessage) msg = ev_cp_state_message_new ("CP1", EV_CP_STATE_ACTIVE);
  g_autoptr(EvCpStateMessage) first = NULL;
  g_autoptr(EvCpStateMessage) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json1 = NULL;
  g_autofree char *json2 = NULL;
  g_autofree char *json3 = NULL;
  g_autofree char *json4 = NULL;
  gint64 before, after;

  before = ev_protocol_now_ms ();
  json1 = ev_cp_state_message_to_json (msg, NULL);
  json2 = ev_cp_state_message_to_json (msg, NULL);
  after = ev_protocol_now_ms ();

  /* Encoding fills the envelope on the wire, not in the message. */
  g_assert_null (msg->envelope.id);
  g_assert_cmpint (msg->envelope.ts, ==, 0);

  first = ev_cp_state_message_from_json (json1, -1, &error);
  g_assert_no_error (error);
  second = ev_cp_state_message_from_json (json2, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (first->envelope.id));
  g_assert_cmpstr (first->envelope.id, !=, second->envelope.id);
  g_assert_cmpint (first->envelope.ts, >=, before);
  g_assert_cmpint (first->envelope.ts, <=, after);

  /* After ev_envelope_ensure() every encoding is the same message. */
  ev_envelope_ensure (&msg->envelope);
  g_assert_true (g_uuid_string_is_valid (msg->envelope.id));
  g_assert_cmpint (msg->envelope.ts, >=, before);
  json3 = ev_cp_state_message_to_json (msg, NULL);
  json4 = ev_cp_state_message_to_json (msg, NULL);
  g_assert_cmpstr (json3, ==, json4);
}

static void
test_free_null (void)
{
  /* Every free function, and so every g_autoptr, accepts NULL. */
  ev_link_request_free (NULL);
  ev_link_response_free (NULL);
  ev_supply_request_free (NULL);
  ev_supply_response_free (NULL);
  ev_directive_free (NULL);
  ev_supply_data_free (NULL);
  ev_supply_error_free (NULL);
  ev_cp_state_message_free (NULL);
}

/* Every reason code of the wire has words for the people who read it;
 * a code we do not know is shown as it is. */
static void
test_reason_words (void)
{
  GPtrArray *codes = g_ptr_array_new ();

  for (int r = EV_LINK_REASON_NONE + 1; r <= EV_LINK_REASON_TOO_MANY_PENDING; r++)
    if (r != EV_LINK_REASON_INVALID_REQUEST)   /* said by the request, see below */
      g_ptr_array_add (codes, (gpointer) ev_link_reason_to_string (r));
  for (int r = EV_SUPPLY_DENY_REASON_NONE + 1; r <= EV_SUPPLY_DENY_REASON_UNAVAILABLE; r++)
    g_ptr_array_add (codes, (gpointer) ev_supply_deny_reason_to_string (r));
  for (int r = EV_TICKET_REASON_NONE + 1; r <= EV_TICKET_REASON_MONITOR_LOST; r++)
    g_ptr_array_add (codes, (gpointer) ev_ticket_reason_to_string (r));
  for (int r = EV_SUPPLY_ERROR_REASON_NONE + 1; r <= EV_SUPPLY_ERROR_REASON_NOT_PLUGGED; r++)
    g_ptr_array_add (codes, (gpointer) ev_supply_error_reason_to_string (r));

  for (guint i = 0; i < codes->len; i++)
    {
      const char *code = g_ptr_array_index (codes, i);

      g_assert_nonnull (code);
      g_assert_cmpstr (ev_reason_describe (code), !=, code);
      g_assert_null (strchr (ev_reason_describe (code), '-'));
    }
  g_assert_cmpstr (ev_reason_describe ("cp-busy"), ==, "the charging point is busy");
  g_assert_cmpstr (ev_reason_describe ("invalid-request"), ==, "the request is not valid");
  g_assert_cmpstr (ev_reason_describe ("something-new"), ==, "something-new");
  g_assert_cmpstr (ev_reason_describe (NULL), ==, "—");
  g_ptr_array_unref (codes);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/ids", test_ids);
  g_test_add_func ("/protocol/station-driver-id", test_station_driver_id);
  g_test_add_func ("/protocol/uuids", test_uuids);
  g_test_add_func ("/protocol/locations", test_locations);
  g_test_add_func ("/protocol/numbers", test_numbers);
  g_test_add_func ("/protocol/timestamps", test_timestamps);
  g_test_add_func ("/messages/wire-names", test_wire_names);
  g_test_add_func ("/messages/link-request/round-trip", test_link_request_round_trip);
  g_test_add_func ("/messages/link-request/pairing-proof", test_pairing_proof);
  g_test_add_func ("/messages/link-request/decode", test_link_request_decode);
  g_test_add_func ("/messages/link-request/invalid", test_link_request_invalid);
  g_test_add_func ("/messages/link-request/size", test_link_request_size);
  g_test_add_func ("/messages/link-request/explicit-length", test_explicit_length);
  g_test_add_func ("/messages/link-response/helpers", test_link_response_helpers);
  g_test_add_func ("/messages/link-response/invalid", test_link_response_invalid);
  test_messages_add_kafka ();
  test_messages_add_table ();
  g_test_add_func ("/messages/envelope-fill", test_envelope_fill);
  g_test_add_func ("/messages/free-null", test_free_null);
  g_test_add_func ("/messages/reason-words", test_reason_words);

  return g_test_run ();
}

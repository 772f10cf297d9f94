#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"

#define U1 "2f1c6a8e-4b7d-4c1e-9a3b-0d5e6f708192"
#define U2 "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
#define U3 "c0ffee00-1234-4abc-8def-0123456789ab"
#define TS 1700000000000
#define ENV "\"v\":1,\"id\":\"" U1 "\",\"ts\":1700000000000,"
#define ID32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#define ID33 ID32 "6"
#define OK (-1)

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
  g_test_add_func ("/messages/envelope-fill", test_envelope_fill);
  g_test_add_func ("/messages/free-null", test_free_null);
  g_test_add_func ("/messages/reason-words", test_reason_words);

  return g_test_run ();
}

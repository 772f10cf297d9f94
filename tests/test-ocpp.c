#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"

/* JSON in this file is written with ' for " to stay readable. */
static char *
json_text (const char *quoted)
{
  char *text = g_strdup (quoted);

  g_strdelimit (text, "'", '"');
  return text;
}

static JsonObject *
parse_object (const char *quoted)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = json_text (quoted);

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* One valid request and confirmation of every action of OCPP 1.6 (the
 * six feature profiles and the security whitepaper's messages). */
typedef struct
{
  const char *action;
  const char *request;
  const char *confirmation;
} Sample;

static const Sample samples[] = {
  { "Authorize",
    "{'idTag':'DRIVER-0001'}",
    "{'idTagInfo':{'status':'Accepted',"
    "'expiryDate':'2026-12-31T23:59:59Z','parentIdTag':'FLEET-7'}}" },
  { "BootNotification",
    "{'chargePointVendor':'EVCharging','chargePointModel':'Sim-22',"
    "'chargePointSerialNumber':'SN-0001','firmwareVersion':'0.1.0',"
    "'meterType':'ACME','meterSerialNumber':'M-1'}",
    "{'status':'Accepted','currentTime':'2026-12-06T19:00:00.123Z',"
    "'interval':300}" },
  { "CancelReservation",
    "{'reservationId':42}",
    "{'status':'Accepted'}" },
  { "CertificateSigned",
    "{'certificateChain':'-----BEGIN CERTIFICATE----- MIIB -----END CERTIFICATE-----'}",
    "{'status':'Rejected'}" },
  { "ChangeAvailability",
    "{'connectorId':0,'type':'Inoperative'}",
    "{'status':'Scheduled'}" },
  { "ChangeConfiguration",
    "{'key':'HeartbeatInterval','value':'300'}",
    "{'status':'RebootRequired'}" },
  { "ClearCache",
    "{}",
    "{'status':'Accepted'}" },
  { "ClearChargingProfile",
    "{'id':3,'connectorId':1,'chargingProfilePurpose':'TxProfile',"
    "'stackLevel':0}",
    "{'status':'Unknown'}" },
  { "DataTransfer",
    "{'vendorId':'io.github.evcharging','messageId':'price',"
    "'data':'0.35'}",
    "{'status':'Accepted','data':'ok'}" },
  { "DeleteCertificate",
    "{'certificateHashData':{'hashAlgorithm':'SHA256',"
    "'issuerNameHash':'a1b2','issuerKeyHash':'c3d4','serialNumber':'01'}}",
    "{'status':'NotFound'}" },
  { "DiagnosticsStatusNotification",
    "{'status':'Uploaded'}",
    "{}" },
  { "ExtendedTriggerMessage",
    "{'requestedMessage':'SignChargePointCertificate','connectorId':1}",
    "{'status':'Accepted'}" },
  { "FirmwareStatusNotification",
    "{'status':'Installed'}",
    "{}" },
  { "GetCompositeSchedule",
    "{'connectorId':1,'duration':3600,'chargingRateUnit':'W'}",
    "{'status':'Accepted','connectorId':1,"
    "'scheduleStart':'2026-12-06T19:00:00Z',"
    "'chargingSchedule':{'duration':3600,'chargingRateUnit':'W',"
    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':11000.0,"
    "'numberPhases':3},{'startPeriod':1800,'limit':7400.5}]}}" },
  { "GetConfiguration",
    "{'key':['HeartbeatInterval','MeterValueSampleInterval']}",
    "{'configurationKey':[{'key':'HeartbeatInterval','readonly':false,"
    "'value':'300'}],'unknownKey':['MeterValueSampleInterval']}" },
  { "GetDiagnostics",
    "{'location':'ftp://logs.example.org/cp-1/','retries':3,"
    "'retryInterval':60,'startTime':'2026-12-01T00:00:00Z',"
    "'stopTime':'2026-12-06T00:00:00+01:00'}",
    "{'fileName':'cp-1-diagnostics.tar.gz'}" },
  { "GetInstalledCertificateIds",
    "{'certificateType':'CentralSystemRootCertificate'}",
    "{'status':'Accepted',"
    "'certificateHashData':[{'hashAlgorithm':'SHA384',"
    "'issuerNameHash':'aa','issuerKeyHash':'bb','serialNumber':'7f'}]}" },
  { "GetLocalListVersion",
    "{}",
    "{'listVersion':-1}" },
  { "GetLog",
    "{'log':{'remoteLocation':'https://logs.example.org/upload',"
    "'oldestTimestamp':'2026-12-01T00:00:00Z'},'logType':'SecurityLog',"
    "'requestId':9}",
    "{'status':'Accepted','filename':'security.log'}" },
  { "Heartbeat",
    "{}",
    "{'currentTime':'2026-12-06T19:23:47Z'}" },
  { "InstallCertificate",
    "{'certificateType':'ManufacturerRootCertificate',"
    "'certificate':'-----BEGIN CERTIFICATE-----'}",
    "{'status':'Failed'}" },
  { "LogStatusNotification",
    "{'status':'Uploading','requestId':9}",
    "{}" },
  { "MeterValues",
    "{'connectorId':1,'transactionId':1001,"
    "'meterValue':[{'timestamp':'2026-12-06T19:05:00Z',"
    "'sampledValue':[{'value':'1234.5','context':'Sample.Periodic',"
    "'format':'Raw','measurand':'Energy.Active.Import.Register',"
    "'location':'Outlet','unit':'Wh'},{'value':'7400',"
    "'measurand':'Power.Active.Import','phase':'L1','unit':'W'}]}]}",
    "{}" },
  { "RemoteStartTransaction",
    "{'connectorId':1,'idTag':'DRIVER-0001',"
    "'chargingProfile':{'chargingProfileId':1,'stackLevel':0,"
    "'chargingProfilePurpose':'TxProfile',"
    "'chargingProfileKind':'Relative',"
    "'chargingSchedule':{'chargingRateUnit':'A',"
    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':16.1}],"
    "'minChargingRate':6.0}}}",
    "{'status':'Accepted'}" },
  { "RemoteStopTransaction",
    "{'transactionId':1001}",
    "{'status':'Rejected'}" },
  { "ReserveNow",
    "{'connectorId':1,'expiryDate':'2026-12-06T20:00:00Z',"
    "'idTag':'DRIVER-0001','reservationId':42}",
    "{'status':'Occupied'}" },
  { "Reset",
    "{'type':'Soft'}",
    "{'status':'Accepted'}" },
  { "SecurityEventNotification",
    "{'type':'FirmwareUpdated','timestamp':'2026-12-06T19:00:00Z',"
    "'techInfo':'0.1.1'}",
    "{}" },
  { "SendLocalList",
    "{'listVersion':2,'updateType':'Differential',"
    "'localAuthorizationList':[{'idTag':'DRIVER-0001',"
    "'idTagInfo':{'status':'Blocked'}},{'idTag':'DRIVER-0002'}]}",
    "{'status':'VersionMismatch'}" },
  { "SetChargingProfile",
    "{'connectorId':0,'csChargingProfiles':{'chargingProfileId':7,"
    "'stackLevel':1,'chargingProfilePurpose':'ChargePointMaxProfile',"
    "'chargingProfileKind':'Recurring','recurrencyKind':'Daily',"
    "'validFrom':'2026-12-01T00:00:00Z','validTo':'2027-01-01T00:00:00Z',"
    "'chargingSchedule':{'duration':86400,"
    "'startSchedule':'2026-12-01T00:00:00Z','chargingRateUnit':'W',"
    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':22000},"
    "{'startPeriod':28800,'limit':0.3,'numberPhases':1}]}}}",
    "{'status':'NotSupported'}" },
  { "SignCertificate",
    "{'csr':'-----BEGIN CERTIFICATE REQUEST-----'}",
    "{'status':'Accepted'}" },
  { "SignedFirmwareStatusNotification",
    "{'status':'SignatureVerified','requestId':4}",
    "{}" },
  { "SignedUpdateFirmware",
    "{'requestId':4,'retries':2,"
    "'firmware':{'location':'https://fw.example.org/0.1.1.bin',"
    "'retrieveDateTime':'2026-12-07T02:00:00Z',"
    "'signingCertificate':'-----BEGIN CERTIFICATE-----',"
    "'signature':'c2lnbmF0dXJl'}}",
    "{'status':'InvalidCertificate'}" },
  { "StartTransaction",
    "{'connectorId':1,'idTag':'DRIVER-0001','meterStart':1000,"
    "'reservationId':42,'timestamp':'2026-12-06T19:01:00Z'}",
    "{'idTagInfo':{'status':'Accepted'},'transactionId':1001}" },
  { "StatusNotification",
    "{'connectorId':1,'errorCode':'NoError','status':'Charging',"
    "'info':'plugged','timestamp':'2026-12-06T19:01:01Z',"
    "'vendorId':'io.github.evcharging','vendorErrorCode':'0'}",
    "{}" },
  { "StopTransaction",
    "{'idTag':'DRIVER-0001','meterStop':13345,"
    "'timestamp':'2026-12-06T20:01:00Z','transactionId':1001,"
    "'reason':'EVDisconnected',"
    "'transactionData':[{'timestamp':'2026-12-06T20:01:00Z',"
    "'sampledValue':[{'value':'13345','context':'Transaction.End',"
    "'measurand':'Energy.Active.Import.Register','unit':'Wh'}]}]}",
    "{'idTagInfo':{'status':'Accepted'}}" },
  { "TriggerMessage",
    "{'requestedMessage':'StatusNotification','connectorId':1}",
    "{'status':'NotImplemented'}" },
  { "UnlockConnector",
    "{'connectorId':1}",
    "{'status':'Unlocked'}" },
  { "UpdateFirmware",
    "{'location':'https://fw.example.org/0.1.1.bin','retries':1,"
    "'retrieveDate':'2026-12-07T02:00:00Z','retryInterval':120}",
    "{}" },
};

static const char * const core_profile[] = {
  "Authorize", "BootNotification", "ChangeAvailability", "ChangeConfiguration",
  "ClearCache", "DataTransfer", "GetConfiguration", "Heartbeat", "MeterValues",
  "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "StartTransaction",
  "StatusNotification", "StopTransaction", "UnlockConnector",
};

/* A CALL whose whole text nests @depth levels deep. */
static char *
nested_call (guint depth)
{
  g_autofree char *open = g_strnfill (depth - 2, '[');
  g_autofree char *close = g_strnfill (depth - 2, ']');

  return g_strdup_printf ("[2,'1','Heartbeat',{'a':%s%s}]", open, close);
}

static void
assert_round_trip (EvOcppMessage *message,
                   const char    *expected)
{
  g_autoptr(EvOcppMessage) decoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *want = json_text (expected);
  g_autofree char *unique_id = NULL;
  EvOcppMessageType type = EV_OCPP_MESSAGE_NONE;
  gsize length = 0;

  text = ev_ocpp_message_encode (message, &length);
  g_assert_cmpstr (text, ==, want);
  g_assert_cmpuint (length, ==, strlen (want));

  decoded = ev_ocpp_message_decode (text, (gssize) length, &type, &unique_id, &error);
  g_assert_no_error (error);
  g_assert_true (ev_ocpp_message_equal (message, decoded));
  g_assert_cmpint (type, ==, ev_ocpp_message_get_message_type (message));
  g_assert_cmpstr (unique_id, ==, ev_ocpp_message_get_unique_id (message));
}

static void
test_round_trip (void)
{
  g_autoptr(JsonObject) request = parse_object ("{'chargePointVendor':'EVCharging','chargePointModel':'Sim'}");
  g_autoptr(JsonObject) confirmation = parse_object ("{'status':'Accepted','currentTime':'2026-12-06T19:00:00Z','interval':300}");
  g_autoptr(JsonObject) details = parse_object ("{'member':'idTag','limit':20.5}");
  g_autoptr(EvOcppMessage) call = NULL;
  g_autoptr(EvOcppMessage) result = NULL;
  g_autoptr(EvOcppMessage) call_error = NULL;
  g_autoptr(EvOcppMessage) bare_error = NULL;
  g_autoptr(EvOcppMessage) heartbeat = NULL;

  call = ev_ocpp_message_new_call ("19223201", "BootNotification", request);
  g_assert_cmpint (ev_ocpp_message_get_message_type (call), ==, EV_OCPP_MESSAGE_CALL);
  g_assert_cmpstr (ev_ocpp_message_get_action (call), ==, "BootNotification");
  g_assert_null (ev_ocpp_message_get_error_code (call));
  g_assert_true (ev_ocpp_message_get_payload (call) == request);
  assert_round_trip (call, "[2,'19223201','BootNotification',"
                           "{'chargePointVendor':'EVCharging','chargePointModel':'Sim'}]");

  result = ev_ocpp_message_new_call_result ("19223201", confirmation);
  g_assert_null (ev_ocpp_message_get_action (result));
  assert_round_trip (result, "[3,'19223201',"
                             "{'status':'Accepted','currentTime':'2026-12-06T19:00:00Z','interval':300}]");

  call_error = ev_ocpp_message_new_call_error ("c0ffee00-0000-4000-8000-000000000000",
                                               EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                                               "idTag is too long", details);
  g_assert_cmpstr (ev_ocpp_message_get_error_code (call_error), ==, "PropertyConstraintViolation");
  g_assert_cmpstr (ev_ocpp_message_get_error_description (call_error), ==, "idTag is too long");
  assert_round_trip (call_error, "[4,'c0ffee00-0000-4000-8000-000000000000',"
                                 "'PropertyConstraintViolation','idTag is too long',"
                                 "{'member':'idTag','limit':20.5}]");

  bare_error = ev_ocpp_message_new_call_error ("1", EV_OCPP_ERROR_GENERIC_ERROR, NULL, NULL);
  assert_round_trip (bare_error, "[4,'1','GenericError','',{}]");

  heartbeat = ev_ocpp_message_new_call ("2", "Heartbeat", NULL);
  assert_round_trip (heartbeat, "[2,'2','Heartbeat',{}]");

  g_assert_false (ev_ocpp_message_equal (call, heartbeat));
  g_assert_false (ev_ocpp_message_equal (call_error, bare_error));
}

static void
test_decode_fields (void)
{
  g_autoptr(EvOcppMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = json_text (" [ 4 , 'x' , 'SomeVendorError' , 'Oops' , { 'a' : [1, 2.5, null, true] } ] ");
  JsonObject *details;

  message = ev_ocpp_message_decode (text, -1, NULL, NULL, &error);
  g_assert_no_error (error);
  /* A peer's errorCode outside the ten of 1.6 is kept as sent. */
  g_assert_cmpstr (ev_ocpp_message_get_error_code (message), ==, "SomeVendorError");
  g_assert_cmpstr (ev_ocpp_message_get_error_description (message), ==, "Oops");
  details = ev_ocpp_message_get_payload (message);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (details, "a")), ==, 4);
}

static void
test_error_codes (void)
{
  static const char * const names[] = {
    "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
    "FormationViolation", "PropertyConstraintViolation", "OccurenceConstraintViolation",
    "TypeConstraintViolation", "GenericError",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      EvOcppError code = EV_OCPP_ERROR_GENERIC_ERROR;

      g_assert_cmpstr (ev_ocpp_error_to_string ((EvOcppError) i), ==, names[i]);
      g_assert_true (ev_ocpp_error_from_string (names[i], &code));
      g_assert_cmpint (code, ==, i);
    }
  g_assert_false (ev_ocpp_error_from_string ("OccurrenceConstraintViolation", &(EvOcppError) { 0 }));
  g_assert_false (ev_ocpp_error_from_string ("FormatViolation", &(EvOcppError) { 0 }));
}

typedef struct
{
  const char *text;
  EvOcppError code;
  EvOcppMessageType type;
  const char *unique_id;
} BadFrame;

static void
test_bad_frames (void)
{
  g_autofree char *deep = NULL;
  g_autofree char *too_deep = NULL;
  const BadFrame frames[] = {
    { "", EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
    { "[2,'1','Heartbeat',{}", EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
    { "hello", EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
    { "{'2':'1'}", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "'[2]'", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "[]", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "[5,'1',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "[2.0,'1','Heartbeat',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "['2','1','Heartbeat',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, 0, NULL },
    { "[2]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, NULL },
    { "[2,17,'Heartbeat',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, NULL },
    { "[2,'','Heartbeat',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, NULL },
    /* 37 characters: one too many. */
    { "[2,'c0ffee00-0000-4000-8000-0000000000001','Heartbeat',{}]",
      EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, NULL },
    { "[2,'1','Heartbeat']", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1','Heartbeat',{},{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1','',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1',7,{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1','Heartbeat',[]]", EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1','Heartbeat',null]", EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL, "1" },
    { "[3,'1',{},1]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL_RESULT, "1" },
    { "[3,'1','x']", EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL_RESULT, "1" },
    { "[4,'1','GenericError',5,{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL_ERROR, "1" },
    { "[4,'1','','x',{}]", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL_ERROR, "1" },
    { "[4,'1','GenericError','x']", EV_OCPP_ERROR_PROTOCOL_ERROR, EV_OCPP_MESSAGE_CALL_ERROR, "1" },
    { "\xff[2,'1','Heartbeat',{}]", EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
    /* json-glib reads "\202" as the byte 0x82, which is no UTF-8. */
    { "[2,'1','DataTransfer',{'vendorId':'\\202'}]",
      EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL, "1" },
    { "[2,'1','DataTransfer',{'\\202':'x'}]", EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL, "1" },
    /* json-glib reads a number beyond a double's range as infinity, which
     * no JSON text can say again (found by fuzz-ocpp). */
    { "[2,'1','StartTransaction',{'connectorId':1,'idTag':'D','meterStart':1E615,'timestamp':'2026-12-06T19:01:00Z'}]",
      EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL, "1" },
    { "[3,'1',{'transactionId':-1e400}]", EV_OCPP_ERROR_FORMATION_VIOLATION, EV_OCPP_MESSAGE_CALL_RESULT, "1" },
    { NULL, EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
    { NULL, EV_OCPP_ERROR_FORMATION_VIOLATION, 0, NULL },
  };
  g_autofree BadFrame *cases = g_memdup2 (frames, sizeof frames);
  const guint n_fixed = G_N_ELEMENTS (frames) - 2;

  /* Nesting that would take json-glib's recursion past the stack, and
   * one level more than the decoder allows. */
  deep = g_strnfill (200000, '[');
  cases[n_fixed].text = deep;
  too_deep = nested_call (EV_OCPP_MAX_DEPTH + 1);
  cases[n_fixed + 1].text = too_deep;

  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      g_autoptr(EvOcppMessage) message = NULL;
      g_autoptr(EvOcppMessage) answer = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = json_text (cases[i].text);
      g_autofree char *unique_id = NULL;
      g_autofree char *shown = g_strescape (text, NULL);
      EvOcppMessageType type = 99;

      g_test_message ("frame %u: %.60s", i, shown);
      message = ev_ocpp_message_decode (text, -1, &type, &unique_id, &error);
      g_assert_null (message);
      g_assert_error (error, EV_OCPP_ERROR, (int) cases[i].code);
      g_assert_cmpint (type, ==, cases[i].type);
      g_assert_cmpstr (unique_id, ==, cases[i].unique_id);

      /* What a CSMS answers. */
      if (unique_id != NULL)
        {
          answer = ev_ocpp_message_new_call_error_for (unique_id, error);
          g_assert_cmpstr (ev_ocpp_message_get_error_code (answer), ==,
                           ev_ocpp_error_to_string (cases[i].code));
          g_assert_cmpstr (ev_ocpp_message_get_error_description (answer), ==, error->message);
        }
    }
}

static void
test_depth_limit (void)
{
  /* The deepest frame allowed, and brackets inside strings, which are
   * no nesting. */
  const char * const fine[] = {
    "[2,'1','DataTransfer',{'vendorId':'x','data':'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\'[[['}]",
    NULL,
  };
  g_autofree char *deepest = nested_call (EV_OCPP_MAX_DEPTH);

  for (guint i = 0; i < G_N_ELEMENTS (fine); i++)
    {
      g_autoptr(EvOcppMessage) message = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = json_text (fine[i] != NULL ? fine[i] : deepest);

      message = ev_ocpp_message_decode (text, -1, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (message);
    }
}

static void
test_nul_byte (void)
{
  static const char with_nul[] = "[2,\"1\",\"Heartbeat\",{}]\0 ";
  g_autoptr(EvOcppMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  /* A nul byte inside the given length is no text. */
  message = ev_ocpp_message_decode (with_nul, sizeof with_nul - 1, NULL, NULL, &error);
  g_assert_null (message);
  g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION);
  g_clear_error (&error);

  /* No bytes at all. */
  message = ev_ocpp_message_decode (NULL, 0, NULL, NULL, &error);
  g_assert_null (message);
  g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION);
  g_clear_error (&error);

  /* The same bytes up to the nul are a message. */
  message = ev_ocpp_message_decode (with_nul, strlen (with_nul), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
}

static void
test_call_error_for (void)
{
  g_autoptr(GError) foreign = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Disk full");
  g_autoptr(EvOcppMessage) answer = ev_ocpp_message_new_call_error_for ("42", foreign);
  g_autofree char *text = ev_ocpp_message_encode (answer, NULL);

  g_assert_cmpstr (text, ==, "[4,\"42\",\"InternalError\",\"Disk full\",{}]");
}

static void
test_unique_id (void)
{
  g_assert_true (ev_ocpp_unique_id_is_valid ("a"));
  g_assert_true (ev_ocpp_unique_id_is_valid ("c0ffee00-0000-4000-8000-000000000000"));
  /* 36 characters, 72 bytes. */
  g_assert_true (ev_ocpp_unique_id_is_valid ("ññññññññññññññññññññññññññññññññññññ"));
  g_assert_false (ev_ocpp_unique_id_is_valid ("ñññññññññññññññññññññññññññññññññññññ"));
  g_assert_false (ev_ocpp_unique_id_is_valid (""));
  g_assert_false (ev_ocpp_unique_id_is_valid (NULL));
}

static void
test_default_schema (void)
{
  EvOcppSchema *schema = ev_ocpp_schema_get_default ();
  g_auto(GStrv) actions = ev_ocpp_schema_list_actions (schema);

  g_assert_true (schema == ev_ocpp_schema_get_default ());
  /* 28 actions in the six profiles of 1.6, 11 of the security whitepaper. */
  g_assert_cmpuint (g_strv_length (actions), ==, 39);
  g_assert_cmpstr (actions[0], ==, "Authorize");
  g_assert_cmpstr (actions[38], ==, "UpdateFirmware");
  for (guint i = 0; i < G_N_ELEMENTS (core_profile); i++)
    g_assert_true (ev_ocpp_schema_has_action (schema, core_profile[i]));
  g_assert_false (ev_ocpp_schema_has_action (schema, "authorize"));
}

static void
assert_valid (const char        *action,
              EvOcppPayloadKind  kind,
              const char        *payload)
{
  g_autoptr(JsonObject) object = parse_object (payload);
  g_autoptr(GError) error = NULL;

  ev_ocpp_schema_validate (ev_ocpp_schema_get_default (), action, kind, object, &error);
  g_assert_no_error (error);
}

static void
test_samples (void)
{
  EvOcppSchema *schema = ev_ocpp_schema_get_default ();
  g_auto(GStrv) actions = ev_ocpp_schema_list_actions (schema);

  /* One sample per action, in the schemas' order. */
  g_assert_cmpuint (g_strv_length (actions), ==, G_N_ELEMENTS (samples));
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autofree char *call_text = NULL;
      g_autofree char *result_text = NULL;
      g_autofree char *quoted_call = g_strdup_printf ("[2,'%u','%s',%s]", i, samples[i].action,
                                                      samples[i].request);
      g_autofree char *quoted_result = g_strdup_printf ("[3,'%u',%s]", i, samples[i].confirmation);
      g_autoptr(EvOcppMessage) call = NULL;
      g_autoptr(EvOcppMessage) result = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", samples[i].action);
      g_assert_cmpstr (actions[i], ==, samples[i].action);
      assert_valid (samples[i].action, EV_OCPP_PAYLOAD_REQUEST, samples[i].request);
      assert_valid (samples[i].action, EV_OCPP_PAYLOAD_CONFIRMATION, samples[i].confirmation);

      /* The same through the codec, as a CSMS or charger meets them. */
      call_text = json_text (quoted_call);
      call = ev_ocpp_message_decode (call_text, -1, NULL, NULL, &error);
      g_assert_no_error (error);
      ev_ocpp_schema_validate_message (schema, call, NULL, &error);
      g_assert_no_error (error);
      result_text = json_text (quoted_result);
      result = ev_ocpp_message_decode (result_text, -1, NULL, NULL, &error);
      g_assert_no_error (error);
      ev_ocpp_schema_validate_message (schema, result, samples[i].action, &error);
      g_assert_no_error (error);

      /* A request is no confirmation, except where both are empty. */
      if (strcmp (samples[i].request, "{}") != 0 || strcmp (samples[i].confirmation, "{}") != 0)
        {
          g_autoptr(JsonObject) request = parse_object (samples[i].request);

          g_assert_false (ev_ocpp_schema_validate (schema, samples[i].action,
                                                   EV_OCPP_PAYLOAD_CONFIRMATION, request, NULL));
        }
    }
}

typedef struct
{
  const char *action;
  EvOcppPayloadKind kind;
  const char *payload;
  EvOcppError code;
  /* A part of the error message: the path to the culprit. */
  const char *culprit;
} Invalid;

static void
test_invalid_payloads (void)
{
  static const Invalid invalid[] = {
    /* A required member missing, at the top and deep inside. */
    { "Authorize", EV_OCPP_PAYLOAD_REQUEST, "{}",
      EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "“payload.idTag”" },
    { "BootNotification", EV_OCPP_PAYLOAD_CONFIRMATION, "{'status':'Accepted','interval':60}",
      EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "MeterValues", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':1,'meterValue':[{'timestamp':'2026-12-06T19:05:00Z','sampledValue':[{'value':'1'},{'unit':'Wh'}]}]}",
      EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "“payload.meterValue[0].sampledValue[1].value”" },
    /* Too few items. */
    { "GetInstalledCertificateIds", EV_OCPP_PAYLOAD_CONFIRMATION,
      "{'status':'Accepted','certificateHashData':[]}",
      EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "“payload.certificateHashData”" },
    /* The wrong JSON type. */
    { "StartTransaction", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':'1','idTag':'D','meterStart':0,'timestamp':'2026-12-06T19:01:00Z'}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.connectorId” must be of type integer" },
    { "StopTransaction", EV_OCPP_PAYLOAD_REQUEST,
      "{'meterStop':13345.5,'timestamp':'2026-12-06T20:01:00Z','transactionId':1001}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.meterStop”" },
    /* Integral, but beyond what the integer it is read into holds. */
    { "StopTransaction", EV_OCPP_PAYLOAD_REQUEST,
      "{'meterStop':1E19,'timestamp':'2026-12-06T20:01:00Z','transactionId':1001}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.meterStop” must be of type integer" },
    { "StopTransaction", EV_OCPP_PAYLOAD_REQUEST,
      "{'meterStop':-9223372036854777856.0,'timestamp':'2026-12-06T20:01:00Z','transactionId':1001}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.meterStop” must be of type integer" },
    { "GetConfiguration", EV_OCPP_PAYLOAD_CONFIRMATION,
      "{'configurationKey':[{'key':'K','readonly':'no'}]}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.configurationKey[0].readonly”" },
    { "MeterValues", EV_OCPP_PAYLOAD_REQUEST, "{'connectorId':1,'meterValue':{}}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.meterValue” must be of type array" },
    { "Authorize", EV_OCPP_PAYLOAD_REQUEST, "{'idTag':null}",
      EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "“payload.idTag”" },
    /* A value not allowed: too long, outside the enumeration, not a
     * date-time, not a URI, not a multiple of 0.1. */
    { "Authorize", EV_OCPP_PAYLOAD_REQUEST, "{'idTag':'DRIVER-0001-DRIVER-01'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.idTag” is longer than 20 characters" },
    { "StatusNotification", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':1,'errorCode':'NoError','status':'Sleeping'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.status”" },
    { "StatusNotification", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':1,'errorCode':'noerror','status':'Available'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.errorCode”" },
    { "DeleteCertificate", EV_OCPP_PAYLOAD_REQUEST,
      "{'certificateHashData':{'hashAlgorithm':'MD5','issuerNameHash':'a','issuerKeyHash':'b','serialNumber':'1'}}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.certificateHashData.hashAlgorithm”" },
    { "StartTransaction", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':1,'idTag':'D','meterStart':0,'timestamp':'yesterday'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.timestamp” is not a valid date-time" },
    { "Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-02-30T10:00:00Z'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06T10:00:00+0100'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06 10:00'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06T25:00:00Z'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06T10:00:00.Z'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.currentTime”" },
    { "UpdateFirmware", EV_OCPP_PAYLOAD_REQUEST,
      "{'location':'firmware.bin','retrieveDate':'2026-12-07T02:00:00Z'}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.location” is not a valid uri" },
    { "SetChargingProfile", EV_OCPP_PAYLOAD_REQUEST,
      "{'connectorId':0,'csChargingProfiles':{'chargingProfileId':7,'stackLevel':1,'chargingProfilePurpose':'TxDefaultProfile','chargingProfileKind':'Absolute','chargingSchedule':{'chargingRateUnit':'A','chargingSchedulePeriod':[{'startPeriod':0,'limit':16.05}]}}}",
      EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
      "“payload.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit” is not a multiple of 0.1" },
    /* A member the message does not have. */
    { "Heartbeat", EV_OCPP_PAYLOAD_REQUEST, "{'uptime':5}",
      EV_OCPP_ERROR_FORMATION_VIOLATION, "“payload.uptime”" },
    { "StartTransaction", EV_OCPP_PAYLOAD_CONFIRMATION,
      "{'idTagInfo':{'status':'Accepted','price':0.35},'transactionId':1}",
      EV_OCPP_ERROR_FORMATION_VIOLATION, "“payload.idTagInfo.price”" },
    /* An action 1.6 does not have. */
    { "Authorise", EV_OCPP_PAYLOAD_REQUEST, "{'idTag':'D'}",
      EV_OCPP_ERROR_NOT_IMPLEMENTED, "“Authorise”" },
    { "TransactionEvent", EV_OCPP_PAYLOAD_CONFIRMATION, "{}",
      EV_OCPP_ERROR_NOT_IMPLEMENTED, "“TransactionEvent”" },
  };
  EvOcppSchema *schema = ev_ocpp_schema_get_default ();

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(JsonObject) payload = parse_object (invalid[i].payload);
      g_autoptr(GError) error = NULL;

      g_test_message ("%s: %s", invalid[i].action, invalid[i].payload);
      g_assert_false (ev_ocpp_schema_validate (schema, invalid[i].action, invalid[i].kind,
                                               payload, &error));
      g_assert_error (error, EV_OCPP_ERROR, (int) invalid[i].code);
      g_assert_nonnull (strstr (error->message, invalid[i].culprit));
    }
}

static void
test_valid_edges (void)
{
  /* Exactly 20 characters, counted as characters rather than bytes. */
  assert_valid ("Authorize", EV_OCPP_PAYLOAD_REQUEST, "{'idTag':'DRIVER-0001-DRIVER-0'}");
  assert_valid ("Authorize", EV_OCPP_PAYLOAD_REQUEST, "{'idTag':'ÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑ'}");
  /* An integral number written with a fraction is an integer. */
  assert_valid ("RemoteStopTransaction", EV_OCPP_PAYLOAD_REQUEST, "{'transactionId':1001.0}");
  /* The largest such numbers a 64-bit integer holds. */
  assert_valid ("RemoteStopTransaction", EV_OCPP_PAYLOAD_REQUEST, "{'transactionId':9.2e18}");
  assert_valid ("RemoteStopTransaction", EV_OCPP_PAYLOAD_REQUEST, "{'transactionId':-9223372036854775808.0}");
  /* 0.3 is a multiple of 0.1, whatever binary floating point says. */
  assert_valid ("GetCompositeSchedule", EV_OCPP_PAYLOAD_CONFIRMATION,
                "{'status':'Accepted','chargingSchedule':{'chargingRateUnit':'A',"
                "'chargingSchedulePeriod':[{'startPeriod':0,'limit':0.3},{'startPeriod':60,'limit':1e3}],"
                "'minChargingRate':6}}");
  /* RFC 3339's variants: offset, fraction, lower case; and no offset at
   * all, as real chargers send. */
  assert_valid ("Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06T10:00:00'}");
  assert_valid ("Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06T19:23:47-05:30'}");
  assert_valid ("Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2026-12-06t19:23:47.123456z'}");
  assert_valid ("Heartbeat", EV_OCPP_PAYLOAD_CONFIRMATION, "{'currentTime':'2024-02-29T00:00:00Z'}");
}

static void
test_validate_message (void)
{
  EvOcppSchema *schema = ev_ocpp_schema_get_default ();
  g_autoptr(EvOcppMessage) call = NULL;
  g_autoptr(EvOcppMessage) result = NULL;
  g_autoptr(EvOcppMessage) call_error = NULL;
  g_autoptr(EvOcppMessage) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  call = ev_ocpp_message_decode ("[2,\"77\",\"Authorize\",{\"idTag\":\"DRIVER-0001-DRIVER-01\"}]", -1,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (ev_ocpp_schema_validate_message (schema, call, NULL, &error));
  answer = ev_ocpp_message_new_call_error_for (ev_ocpp_message_get_unique_id (call), error);
  text = ev_ocpp_message_encode (answer, NULL);
  g_assert_true (g_str_has_prefix (text, "[4,\"77\",\"PropertyConstraintViolation\",\"“payload.idTag”"));
  g_clear_error (&error);

  /* A confirmation is checked against the action of its CALL. */
  result = ev_ocpp_message_decode ("[3,\"77\",{\"idTagInfo\":{\"status\":\"Accepted\"}}]", -1,
                                   NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ev_ocpp_schema_validate_message (schema, result, "Authorize", &error));
  g_assert_false (ev_ocpp_schema_validate_message (schema, result, "Heartbeat", &error));
  g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION);
  g_clear_error (&error);

  call_error = ev_ocpp_message_new_call_error ("77", EV_OCPP_ERROR_NOT_SUPPORTED, NULL, NULL);
  g_assert_true (ev_ocpp_schema_validate_message (schema, call_error, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_refused (EvOcppSchema *schema,
                JsonObject   *payload,
                EvOcppError   code,
                const char   *message_part)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ev_ocpp_schema_validate (schema, "Test", EV_OCPP_PAYLOAD_REQUEST, payload, &error));
  g_assert_error (error, EV_OCPP_ERROR, (int) code);
  g_assert_nonnull (strstr (error->message, message_part));
}

static EvOcppSchema *
schema_from_text (const char  *quoted,
                  GError     **error)
{
  g_autofree char *text = json_text (quoted);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), strlen (quoted));

  return ev_ocpp_schema_new_from_bytes (bytes, error);
}

static void
test_schema_keywords (void)
{
  g_autoptr(EvOcppSchema) schema = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) low = parse_object ("{'n':-1,'list':[1]}");
  g_autoptr(JsonObject) high = parse_object ("{'n':101,'list':[1]}");
  g_autoptr(JsonObject) many = parse_object ("{'n':5,'list':[1,2,3]}");
  g_autoptr(JsonObject) either = parse_object ("{'n':5,'list':[1],'id':null}");
  g_autoptr(JsonObject) neither = parse_object ("{'n':5,'list':[1],'id':true}");
  g_autoptr(JsonObject) short_name = parse_object ("{'n':5,'list':[1],'name':'a'}");
  static const char * const unsupported[] = {
    "[{'$id':'urn:X.req','type':'object','pattern':'^a'},{'$id':'urn:X.conf'}]",
    "[{'$id':'urn:X.req','type':'object','additionalProperties':{}},{'$id':'urn:X.conf'}]",
    "[{'$id':'urn:X.req','type':'object','properties':{'a':{'$ref':'#/definitions/Nope'}}},{'$id':'urn:X.conf'}]",
    "[{'$id':'urn:X.req','type':'text'},{'$id':'urn:X.conf'}]",
    "[{'$id':'urn:X.req','format':'email'},{'$id':'urn:X.conf'}]",
    "[{'$id':'urn:X.req'}]",
    "[{'$id':'X.req'},{'$id':'urn:X.conf'}]",
    "{'$id':'urn:X.req'}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unsupported); i++)
    {
      g_autoptr(EvOcppSchema) refused = schema_from_text (unsupported[i], &error);

      g_assert_null (refused);
      g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_INTERNAL_ERROR);
      g_clear_error (&error);
    }

  /* Keywords the 1.6 schemas do not use (yet) work all the same. */
  schema = schema_from_text ("[{'$id':'urn:Test.req','type':'object','properties':{"
                             "'n':{'type':'integer','minimum':0,'maximum':100},"
                             "'list':{'type':'array','maxItems':2},"
                             "'id':{'type':['string','null']},"
                             "'name':{'type':'string','minLength':2}}},"
                             "{'$id':'urn:Test.conf','type':'object'}]", &error);
  g_assert_no_error (error);
  assert_refused (schema, low, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.n” is less than 0");
  assert_refused (schema, high, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "“payload.n” is greater than 100");
  assert_refused (schema, many, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "“payload.list” has more than 2 items");
  g_assert_true (ev_ocpp_schema_validate (schema, "Test", EV_OCPP_PAYLOAD_REQUEST, either, &error));
  assert_refused (schema, neither, EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "string, null");
  assert_refused (schema, short_name, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                  "“payload.name” is shorter than 2 characters");

  g_assert_finalize_object (g_steal_pointer (&schema));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ocpp/message/round-trip", test_round_trip);
  g_test_add_func ("/ocpp/message/decode-fields", test_decode_fields);
  g_test_add_func ("/ocpp/message/error-codes", test_error_codes);
  g_test_add_func ("/ocpp/message/unique-id", test_unique_id);
  g_test_add_func ("/ocpp/message/bad-frames", test_bad_frames);
  g_test_add_func ("/ocpp/message/depth-limit", test_depth_limit);
  g_test_add_func ("/ocpp/message/nul-byte", test_nul_byte);
  g_test_add_func ("/ocpp/message/call-error-for", test_call_error_for);
  g_test_add_func ("/ocpp/schema/default", test_default_schema);
  g_test_add_func ("/ocpp/schema/samples", test_samples);
  g_test_add_func ("/ocpp/schema/invalid-payloads", test_invalid_payloads);
  g_test_add_func ("/ocpp/schema/valid-edges", test_valid_edges);
  g_test_add_func ("/ocpp/schema/validate-message", test_validate_message);
  g_test_add_func ("/ocpp/schema/keywords", test_schema_keywords);

  return g_test_run ();
}

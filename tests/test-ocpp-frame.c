/* test-ocpp-frame.c: ev_ocpp_frame_decode(), the one reading of an
 * incoming OCPP-J message that Central's endpoint and the simulated
 * chargers share: every kind it tells, the CALLERROR it makes, and when
 * it asks which CALL of ours an answer answers. */

#include "config.h"

#include "ev-ocpp-frame.h"

#define NO_ERROR (-1)

/* The CALL of ours that awaits an answer, as the receivers keep it. */
typedef struct
{
  const char *unique_id;
  const char *action;
  guint asked;
} Awaited;

static const char *
awaited_lookup (const char *unique_id,
                gpointer    user_data)
{
  Awaited *awaited = user_data;

  awaited->asked++;
  return g_strcmp0 (unique_id, awaited->unique_id) == 0 ? awaited->action : NULL;
}

typedef struct
{
  const char *text;           /* JSON with ' for " */
  EvOcppFrameKind kind;
  int code;                   /* an EvOcppError, or NO_ERROR */
  const char *action;         /* the frame's action */
  const char *reply_id;       /* the uniqueId of the CALLERROR sent back */
  gboolean asks;              /* whether the lookup is asked */
} Case;

/* Our CALL "7" is a RemoteStartTransaction awaiting its answer. */
static const Case cases[] = {
  /* Not JSON, not an array, a wrong type id: nothing to answer. */
  { "hello", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_FORMATION_VIOLATION, NULL, NULL, FALSE },
  { "", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_FORMATION_VIOLATION, NULL, NULL, FALSE },
  { "{'2':'1'}", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, FALSE },
  { "[5,'1',{}]", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, FALSE },
  { "['2','1','Heartbeat',{}]", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, FALSE },
  /* A CALL whose uniqueId cannot be read cannot be answered. */
  { "[2,17,'Heartbeat',{}]", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, FALSE },
  /* A malformed CALL with a uniqueId is refused with the decoder's code. */
  { "[2,'1','Heartbeat']", EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, "1", FALSE },
  { "[2,'1','Heartbeat',[]]", EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_FORMATION_VIOLATION, NULL, "1", FALSE },
  { "[2,'1','DataTransfer',{'vendorId':'\\202'}]", EV_OCPP_FRAME_REFUSED,
    EV_OCPP_ERROR_FORMATION_VIOLATION, NULL, "1", FALSE },
  /* The schema's verdicts on a CALL. */
  { "[2,'a1','Fly',{}]", EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_NOT_IMPLEMENTED, "Fly", "a1", FALSE },
  { "[2,'a2','BootNotification',{'chargePointVendor':'V'}]", EV_OCPP_FRAME_REFUSED,
    EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION, "BootNotification", "a2", FALSE },
  { "[2,'a3','StatusNotification',{'connectorId':'1','errorCode':'NoError','status':'Available'}]",
    EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION, "StatusNotification", "a3", FALSE },
  { "[2,'a4','StatusNotification',{'connectorId':1,'errorCode':'NoError','status':'Occupied'}]",
    EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION, "StatusNotification", "a4", FALSE },
  { "[2,'a5','Heartbeat',{'x':1}]", EV_OCPP_FRAME_REFUSED, EV_OCPP_ERROR_FORMATION_VIOLATION,
    "Heartbeat", "a5", FALSE },
  /* A valid CALL, whatever our CALL in flight: its uniqueId is the peer's. */
  { "[2,'7','Heartbeat',{}]", EV_OCPP_FRAME_CALL, NO_ERROR, "Heartbeat", NULL, FALSE },
  /* Answers: to our CALL, valid or not; to none; a CALLERROR as it came. */
  { "[3,'7',{'status':'Accepted'}]", EV_OCPP_FRAME_RESULT, NO_ERROR, "RemoteStartTransaction", NULL, TRUE },
  { "[3,'7',{'status':'Maybe'}]", EV_OCPP_FRAME_INVALID_RESULT, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
    "RemoteStartTransaction", NULL, TRUE },
  { "[3,'7',{}]", EV_OCPP_FRAME_INVALID_RESULT, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION,
    "RemoteStartTransaction", NULL, TRUE },
  { "[4,'7','GenericError','busy',{}]", EV_OCPP_FRAME_CALL_ERROR, NO_ERROR, "RemoteStartTransaction", NULL, TRUE },
  { "[4,'7','FormatViolation','2.0 speaks',{'a':1}]", EV_OCPP_FRAME_CALL_ERROR, NO_ERROR,
    "RemoteStartTransaction", NULL, TRUE },
  { "[3,'8',{'status':'Accepted'}]", EV_OCPP_FRAME_UNEXPECTED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, TRUE },
  { "[4,'8','GenericError','',{}]", EV_OCPP_FRAME_UNEXPECTED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, TRUE },
  /* A malformed answer is never matched to our CALL. */
  { "[3,'7','x']", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_FORMATION_VIOLATION, NULL, NULL, FALSE },
  { "[4,'7','GenericError',5,{}]", EV_OCPP_FRAME_MALFORMED, EV_OCPP_ERROR_PROTOCOL_ERROR, NULL, NULL, FALSE },
};

static void
check_case (const Case *c)
{
  Awaited awaited = { "7", "RemoteStartTransaction", 0 };
  g_auto(EvOcppFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdelimit (g_strdup (c->text), "'", '"');
  EvOcppFrameKind kind;

  g_test_message ("%s", text);
  kind = ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (), text, -1,
                               awaited_lookup, &awaited, &error);
  g_assert_cmpint (kind, ==, c->kind);
  g_assert_cmpint (frame.kind, ==, c->kind);
  g_assert_cmpstr (frame.action, ==, c->action);
  g_assert_cmpuint (awaited.asked, ==, c->asks ? 1 : 0);
  if (c->code == NO_ERROR)
    g_assert_no_error (error);
  else
    g_assert_error (error, EV_OCPP_ERROR, c->code);

  /* The message, whenever it decoded; the answers' uniqueIds as sent. */
  if (kind == EV_OCPP_FRAME_MALFORMED || (kind == EV_OCPP_FRAME_REFUSED && c->action == NULL))
    g_assert_null (frame.message);
  else
    g_assert_nonnull (frame.message);

  /* The CALLERROR a CALL is refused with: the error's code and text, as
   * the receivers answered before they shared this. */
  if (c->reply_id == NULL)
    g_assert_null (frame.reply);
  else
    {
      g_autoptr(EvOcppMessage) expected = ev_ocpp_message_new_call_error_for (c->reply_id, error);

      g_assert_nonnull (frame.reply);
      g_assert_cmpint (ev_ocpp_message_get_message_type (frame.reply), ==, EV_OCPP_MESSAGE_CALL_ERROR);
      g_assert_cmpstr (ev_ocpp_message_get_unique_id (frame.reply), ==, c->reply_id);
      g_assert_cmpstr (ev_ocpp_message_get_error_code (frame.reply), ==,
                       ev_ocpp_error_to_string ((EvOcppError) c->code));
      g_assert_cmpstr (ev_ocpp_message_get_error_description (frame.reply), ==, error->message);
      g_assert_true (ev_ocpp_message_equal (frame.reply, expected));
    }
}

static void
test_kinds (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (&cases[i]);
}

/* A CALLERROR is handed back as it came: code, text and details. */
static void
test_call_error_as_sent (void)
{
  Awaited awaited = { "42", "ChangeAvailability", 0 };
  g_auto(EvOcppFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  JsonObject *details;

  g_assert_cmpint (ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (),
                                         "[4,\"42\",\"NotSupported\",\"no\",{\"why\":\"x\"}]", -1,
                                         awaited_lookup, &awaited, &error),
                   ==, EV_OCPP_FRAME_CALL_ERROR);
  g_assert_no_error (error);
  g_assert_cmpstr (frame.action, ==, "ChangeAvailability");
  g_assert_cmpstr (ev_ocpp_message_get_error_code (frame.message), ==, "NotSupported");
  g_assert_cmpstr (ev_ocpp_message_get_error_description (frame.message), ==, "no");
  details = ev_ocpp_message_get_payload (frame.message);
  g_assert_cmpstr (json_object_get_string_member (details, "why"), ==, "x");
}

/* With no lookup, every answer is to no CALL of ours; a length bounds
 * the text, and a cleared frame is read into again. */
static void
test_no_lookup_and_reuse (void)
{
  const char *text = "[3,\"1\",{}]garbage";
  g_auto(EvOcppFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (), text, 10,
                                         NULL, NULL, &error),
                   ==, EV_OCPP_FRAME_UNEXPECTED);
  g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR);
  g_assert_nonnull (frame.message);
  g_assert_null (frame.action);

  ev_ocpp_frame_clear (&frame);
  g_assert_null (frame.message);
  g_assert_null (frame.reply);
  g_clear_error (&error);

  g_assert_cmpint (ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (), text, -1,
                                         NULL, NULL, &error),
                   ==, EV_OCPP_FRAME_MALFORMED);
  g_assert_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION);
  g_assert_null (frame.message);

  /* No GError wanted: the kind and the reply still tell. */
  ev_ocpp_frame_clear (&frame);
  g_assert_cmpint (ev_ocpp_frame_decode (&frame, ev_ocpp_schema_get_default (), "[2,\"9\",\"Fly\",{}]", -1,
                                         NULL, NULL, NULL),
                   ==, EV_OCPP_FRAME_REFUSED);
  g_assert_cmpstr (ev_ocpp_message_get_error_code (frame.reply), ==, "NotImplemented");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ocpp/frame/kinds", test_kinds);
  g_test_add_func ("/ocpp/frame/call-error-as-sent", test_call_error_as_sent);
  g_test_add_func ("/ocpp/frame/no-lookup-and-reuse", test_no_lookup_and_reuse);

  return g_test_run ();
}

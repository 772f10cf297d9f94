#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver-event.h"
#include "driver-follow.h"
#include "driver-history.h"
#include "driver-request-file.h"
#include "ev-json.h"
#include "ev-protocol.h"
#include "test-utils.h"

/* The driver's pure units: the request-file parser and the supply-follow
 * machine, with no Kafka and no clock. */

#define REQUEST_ID "11111111-1111-4111-8111-111111111111"
#define SUPPLY_ID "22222222-2222-4222-8222-222222222222"
#define OTHER_REQUEST_ID "33333333-3333-4333-8333-333333333333"
#define T0 G_GINT64_CONSTANT (1700000000000)

static void
test_file_parse (void)
{
  const char text[] =
    "# my trip\n"
    "CP1\n"
    "\n"
    "   CP2   # the second one\r\n"
    "CP 3\n"
    "bad!id\n"
    "#CP4\n"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\n"
    "CP5";
  g_autoptr(DriverRequestFile) file = driver_request_file_parse (text, sizeof text - 1);
  DriverRequestEntry *entry;
  DriverRequestProblem *problem;

  g_assert_cmpuint (file->entries->len, ==, 3);
  entry = g_ptr_array_index (file->entries, 0);
  g_assert_cmpstr (entry->cp_id, ==, "CP1");
  g_assert_cmpuint (entry->line, ==, 2);
  entry = g_ptr_array_index (file->entries, 1);
  g_assert_cmpstr (entry->cp_id, ==, "CP2");
  g_assert_cmpuint (entry->line, ==, 4);
  entry = g_ptr_array_index (file->entries, 2);
  g_assert_cmpstr (entry->cp_id, ==, "CP5");
  g_assert_cmpuint (entry->line, ==, 9);

  g_assert_cmpuint (file->problems->len, ==, 3);
  problem = g_ptr_array_index (file->problems, 0);
  g_assert_cmpuint (problem->line, ==, 5);
  g_assert_cmpstr (problem->text, ==, "CP 3");
  problem = g_ptr_array_index (file->problems, 1);
  g_assert_cmpuint (problem->line, ==, 6);
  g_assert_nonnull (problem->message);
  problem = g_ptr_array_index (file->problems, 2);
  g_assert_cmpuint (problem->line, ==, 8);
}

static void
test_file_binary (void)
{
  const char text[] = "CP1\n\xff\xfe\nC\0P\nCP2\n";
  g_autoptr(DriverRequestFile) file = driver_request_file_parse (text, sizeof text - 1);
  g_autoptr(DriverRequestFile) empty = driver_request_file_parse ("", 0);
  g_autoptr(DriverRequestFile) comments = driver_request_file_parse ("# a\n\n  # b\n", 11);

  g_assert_cmpuint (file->entries->len, ==, 2);
  g_assert_cmpuint (file->problems->len, ==, 2);
  g_assert_true (g_utf8_validate (((DriverRequestProblem *) g_ptr_array_index (file->problems, 0))->text, -1, NULL));
  g_assert_cmpuint (empty->entries->len, ==, 0);
  g_assert_cmpuint (empty->problems->len, ==, 0);
  g_assert_cmpuint (comments->entries->len, ==, 0);
  g_assert_cmpuint (comments->problems->len, ==, 0);
}

static void
test_file_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DriverRequestFile) file = NULL;
  g_autofree char *path = NULL;
  int fd;

  file = driver_request_file_load ("/nonexistent/requests.txt", &error);
  g_assert_null (file);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  fd = g_file_open_tmp ("requests-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, "CP1\nCP2\n", -1, &error));
  file = driver_request_file_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file->entries->len, ==, 2);
  g_unlink (path);
}

/* A request file is read up to its bound and no further: /dev/zero (which
 * never ends), a FIFO with no writer (which would block) and a file one
 * byte too large are refused with an error naming them. */
static void
test_file_bounded (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *fifo = g_build_filename (dir, "fifo", NULL);
  g_autofree char *large = g_build_filename (dir, "large.txt", NULL);
  g_autofree char *text = g_malloc (DRIVER_REQUEST_FILE_MAX_SIZE + 1);
  g_autoptr(DriverRequestFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = driver_request_file_load ("/dev/zero", &error);
  g_assert_null (file);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, "/dev/zero"));
  g_clear_error (&error);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  file = driver_request_file_load (fifo, &error);
  g_assert_null (file);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, fifo));
  g_clear_error (&error);

  /* Exactly at the bound: read; one byte more: refused. */
  memset (text, '#', DRIVER_REQUEST_FILE_MAX_SIZE + 1);
  text[DRIVER_REQUEST_FILE_MAX_SIZE - 1] = '\n';
  g_assert_true (g_file_set_contents (large, text, DRIVER_REQUEST_FILE_MAX_SIZE, &error));
  file = driver_request_file_load (large, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file->entries->len, ==, 0);
  g_clear_pointer (&file, driver_request_file_free);
  g_assert_true (g_file_set_contents (large, text, DRIVER_REQUEST_FILE_MAX_SIZE + 1, &error));
  file = driver_request_file_load (large, &error);
  g_assert_null (file);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, large));
  g_assert_nonnull (strstr (error->message, "1048576"));
  ev_test_rm_rf (dir);
}

static EvSupplyResponse *
authorized (const char *driver_id,
            const char *request_id)
{
  return ev_supply_response_new_authorized (request_id, driver_id, "CP1", SUPPLY_ID, 0.5);
}

static EvSupplyData *
data (const char       *driver_id,
      const char       *supply_id,
      EvSupplyDataKind  kind,
      guint             seq,
      double            kwh)
{
  EvSupplyData *msg = ev_supply_data_new (kind, supply_id, "CP1", driver_id, seq);

  msg->kwh = kwh;
  msg->amount = kwh * 0.5;
  msg->price = 0.5;
  msg->started_at = T0;
  if (kind == EV_SUPPLY_DATA_TICKET)
    {
      msg->ended_at = T0 + 5000;
      msg->reason = EV_TICKET_REASON_UNPLUGGED;
    }
  return msg;
}

static void
test_follow_supply (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(EvSupplyResponse) other_driver = authorized ("d2", REQUEST_ID);
  g_autoptr(EvSupplyResponse) other_request = authorized ("d1", "33333333-3333-4333-8333-333333333333");
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);
  g_autoptr(EvSupplyData) p1 = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 1, 1.0);
  g_autoptr(EvSupplyData) p2 = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 2, 2.0);
  g_autoptr(EvSupplyData) foreign = data ("d2", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 3, 3.0);
  g_autoptr(EvSupplyData) ticket = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_TICKET, 3, 2.5);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_IDLE);
  g_assert_cmpint (driver_follow_on_response (follow, response), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, &error));
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_REQUESTED);
  g_assert_false (driver_follow_request (follow, "CP2", "x", T0, &error));
  g_assert_error (error, DRIVER_ERROR, DRIVER_ERROR_BUSY);

  /* Someone else's answers change nothing. */
  g_assert_cmpint (driver_follow_on_response (follow, other_driver), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_cmpint (driver_follow_on_response (follow, other_request), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_cmpint (driver_follow_on_data (follow, p1), ==, DRIVER_FOLLOW_IGNORED);

  g_assert_cmpint (driver_follow_on_response (follow, response), ==, DRIVER_FOLLOW_CHANGED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_AUTHORIZED);
  g_assert_cmpstr (driver_follow_get_supply_id (follow), ==, SUPPLY_ID);
  g_assert_cmpfloat (ev_supply_get_price (follow->supply), ==, 0.5);
  text = driver_follow_describe (follow);
  g_assert_nonnull (strstr (text, "CP1"));
  /* A repeated answer is idempotent. */
  g_assert_cmpint (driver_follow_on_response (follow, response), ==, DRIVER_FOLLOW_IGNORED);

  g_assert_cmpint (driver_follow_on_data (follow, p2), ==, DRIVER_FOLLOW_CHANGED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_SUPPLYING);
  g_assert_cmpfloat (ev_supply_get_kwh (follow->supply), ==, 2.0);
  /* Older figures never go back. */
  g_assert_cmpint (driver_follow_on_data (follow, p1), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_cmpint (driver_follow_on_data (follow, foreign), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_cmpfloat (ev_supply_get_kwh (follow->supply), ==, 2.0);

  g_assert_cmpint (driver_follow_on_data (follow, ticket), ==, DRIVER_FOLLOW_CONCLUDED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (follow->supply), ==, 2.5);
  g_assert_cmpfloat (ev_supply_get_amount (follow->supply), ==, 1.25);
  g_assert_cmpint (ev_supply_get_started_at (follow->supply), ==, T0);
  g_assert_cmpint (ev_supply_get_ended_at (follow->supply), ==, T0 + 5000);
  g_assert_cmpstr (driver_follow_get_reason (follow), ==, "unplugged");
  g_assert_cmpint (driver_follow_on_data (follow, ticket), ==, DRIVER_FOLLOW_IGNORED);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

/* The machine's supply is one EvSupply for the whole request: the answer,
 * the figures and the ticket change that object (each change notified
 * once), a denial fails it unborn, and the next request brings another,
 * leaving the one before as it ended (the history keeps it). */
static void
test_follow_one_supply (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);
  g_autoptr(EvSupplyResponse) denied = NULL;
  g_autoptr(EvSupplyData) p1 = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 1, 1.0);
  g_autoptr(EvSupplyData) ticket = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_TICKET, 2, 2.5);
  g_autoptr(EvSupply) first = NULL;
  guint kwh = 0, phase = 0, supply_id = 0;

  g_assert_null (follow->supply);
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL));
  first = g_object_ref (follow->supply);
  g_assert_null (ev_supply_get_supply_id (first));
  g_assert_cmpstr (ev_supply_get_cp_id (first), ==, "CP1");
  g_assert_cmpstr (ev_supply_get_driver_id (first), ==, "d1");
  g_signal_connect (first, "notify::kwh", G_CALLBACK (count_cb), &kwh);
  g_signal_connect (first, "notify::phase", G_CALLBACK (count_cb), &phase);
  g_signal_connect (first, "notify::supply-id", G_CALLBACK (count_cb), &supply_id);

  driver_follow_on_response (follow, response);
  driver_follow_on_data (follow, p1);
  driver_follow_on_data (follow, p1);
  driver_follow_on_data (follow, ticket);
  g_assert_true (follow->supply == first);
  g_assert_cmpstr (ev_supply_get_supply_id (first), ==, SUPPLY_ID);
  g_assert_cmpint (ev_supply_get_phase (first), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (first), ==, 2.5);
  g_assert_cmpuint (supply_id, ==, 1);
  g_assert_cmpuint (kwh, ==, 2);
  g_assert_cmpuint (phase, ==, 3);

  denied = ev_supply_response_new_denied (OTHER_REQUEST_ID, "d1", "CP2", EV_SUPPLY_DENY_REASON_CP_BUSY);
  g_assert_true (driver_follow_request (follow, "CP2", OTHER_REQUEST_ID, T0, NULL));
  g_assert_true (follow->supply != first);
  g_assert_cmpint (ev_supply_get_phase (first), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (first), ==, 2.5);
  g_assert_cmpint (driver_follow_on_response (follow, denied), ==, DRIVER_FOLLOW_CONCLUDED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_DENIED);
  g_assert_cmpint (ev_supply_get_phase (follow->supply), ==, EV_SUPPLY_PHASE_FAILED);
  g_assert_null (ev_supply_get_supply_id (follow->supply));
  g_assert_cmpstr (ev_supply_get_reason (follow->supply), ==, "cp-busy");
}

static void
test_follow_denied_and_error (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(EvSupplyResponse) denied = NULL;
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);
  g_autoptr(EvSupplyError) failure = ev_supply_error_new (SUPPLY_ID, "d1", "CP1",
                                                          EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED);
  g_autofree char *text = NULL;

  denied = ev_supply_response_new_denied (REQUEST_ID, "d1", "CP1", EV_SUPPLY_DENY_REASON_CP_BROKEN);
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL));
  g_assert_cmpint (driver_follow_on_response (follow, denied), ==, DRIVER_FOLLOW_CONCLUDED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_DENIED);
  g_assert_cmpstr (driver_follow_get_reason (follow), ==, "cp-broken");
  text = driver_follow_describe (follow);
  g_assert_nonnull (strstr (text, driver_reason_describe (DRIVER_PHASE_DENIED, "cp-broken")));

  /* Every wire reason has words of its own. */
  for (EvSupplyDenyReason r = EV_SUPPLY_DENY_REASON_UNKNOWN_CP; r <= EV_SUPPLY_DENY_REASON_UNAVAILABLE; r++)
    g_assert_cmpstr (driver_reason_describe (DRIVER_PHASE_DENIED, ev_supply_deny_reason_to_string (r)), !=,
                     ev_supply_deny_reason_to_string (r));
  for (EvSupplyErrorReason r = EV_SUPPLY_ERROR_REASON_ENGINE_FAULT; r <= EV_SUPPLY_ERROR_REASON_NOT_PLUGGED; r++)
    g_assert_cmpstr (driver_reason_describe (DRIVER_PHASE_FAILED, ev_supply_error_reason_to_string (r)), !=,
                     ev_supply_error_reason_to_string (r));
  for (EvTicketReason r = EV_TICKET_REASON_UNPLUGGED; r <= EV_TICKET_REASON_MONITOR_LOST; r++)
    g_assert_cmpstr (driver_reason_describe (DRIVER_PHASE_FINISHED, ev_ticket_reason_to_string (r)), !=,
                     ev_ticket_reason_to_string (r));
  g_assert_cmpstr (driver_reason_describe (DRIVER_PHASE_FAILED, "something-new"), ==, "something-new");

  /* A new request after a conclusion; then an error ends it. */
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL));
  g_assert_cmpint (driver_follow_on_error (follow, failure), ==, DRIVER_FOLLOW_IGNORED);
  g_assert_cmpint (driver_follow_on_response (follow, response), ==, DRIVER_FOLLOW_CHANGED);
  failure->kwh = 1.5;
  failure->amount = 0.75;
  g_assert_cmpint (driver_follow_on_error (follow, failure), ==, DRIVER_FOLLOW_CONCLUDED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_FAILED);
  g_assert_cmpstr (driver_follow_get_reason (follow), ==, "cp-disconnected");
  g_assert_cmpfloat (ev_supply_get_kwh (follow->supply), ==, 1.5);
  g_assert_cmpint (driver_follow_on_error (follow, failure), ==, DRIVER_FOLLOW_IGNORED);
}

static void
test_follow_no_answer (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);

  g_assert_false (driver_follow_expire (follow));
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL));
  g_assert_true (driver_follow_expire (follow));
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_NO_ANSWER);
  g_assert_false (driver_follow_expire (follow));
  g_assert_true (driver_phase_is_active (driver_follow_get_phase (follow)));
  g_assert_false (driver_phase_is_concluded (driver_follow_get_phase (follow)));

  /* A late answer is still taken. */
  g_assert_cmpint (driver_follow_on_response (follow, response), ==, DRIVER_FOLLOW_CHANGED);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, DRIVER_PHASE_AUTHORIZED);

  /* And a new request may replace an unanswered one. */
  g_clear_pointer (&follow, driver_follow_free);
  follow = driver_follow_new ("d1");
  g_assert_true (driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL));
  g_assert_true (driver_follow_expire (follow));
  g_assert_true (driver_follow_request (follow, "CP2", "44444444-4444-4444-8444-444444444444", T0, NULL));
  g_assert_cmpstr (driver_follow_get_cp_id (follow), ==, "CP2");
}

static void
test_follow_json (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(DriverFollow) back = NULL;
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);
  g_autoptr(EvSupplyData) p1 = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 4, 1.25);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonObject) damaged = json_object_new ();
  g_autoptr(GError) error = NULL;

  driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL);
  driver_follow_on_response (follow, response);
  driver_follow_on_data (follow, p1);
  object = driver_follow_to_json (follow);
  back = driver_follow_from_json (object, "d1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (driver_follow_get_phase (back), ==, DRIVER_PHASE_SUPPLYING);
  g_assert_cmpstr (back->request_id, ==, REQUEST_ID);
  g_assert_cmpstr (driver_follow_get_supply_id (back), ==, SUPPLY_ID);
  g_assert_cmpstr (driver_follow_get_cp_id (back), ==, "CP1");
  g_assert_cmpuint (ev_supply_get_seq (back->supply), ==, 4);
  g_assert_cmpfloat (ev_supply_get_kwh (back->supply), ==, 1.25);
  g_assert_cmpint (back->requested_at, ==, T0);
  /* The restored machine goes on where it stopped. */
  g_assert_cmpint (driver_follow_on_data (back, p1), ==, DRIVER_FOLLOW_IGNORED);

  json_object_set_string_member (damaged, "phase", "supplying");
  json_object_set_string_member (damaged, "cp_id", "CP1");
  g_assert_null (driver_follow_from_json (damaged, "d1", &error));
  g_assert_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE);
  g_clear_error (&error);
  json_object_set_string_member (damaged, "phase", "dancing");
  g_assert_null (driver_follow_from_json (damaged, "d1", &error));
  g_assert_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE);
}

/* Drives a new machine for "d1" to @phase through its inputs. */
static DriverFollow *
follow_in_phase (DriverPhase phase)
{
  DriverFollow *follow = driver_follow_new ("d1");
  g_autoptr(EvSupplyResponse) response = authorized ("d1", REQUEST_ID);
  g_autoptr(EvSupplyResponse) denied = NULL;
  g_autoptr(EvSupplyData) progress = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_PROGRESS, 4, 1.25);
  g_autoptr(EvSupplyData) ticket = data ("d1", SUPPLY_ID, EV_SUPPLY_DATA_TICKET, 5, 2.5);
  g_autoptr(EvSupplyError) failure = ev_supply_error_new (SUPPLY_ID, "d1", "CP1",
                                                          EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);

  denied = ev_supply_response_new_denied (REQUEST_ID, "d1", "CP1", EV_SUPPLY_DENY_REASON_CP_BUSY);
  if (phase == DRIVER_PHASE_IDLE)
    return follow;
  driver_follow_request (follow, "CP1", REQUEST_ID, T0, NULL);
  if (phase == DRIVER_PHASE_NO_ANSWER)
    driver_follow_expire (follow);
  else if (phase == DRIVER_PHASE_DENIED)
    driver_follow_on_response (follow, denied);
  else if (phase != DRIVER_PHASE_REQUESTED)
    driver_follow_on_response (follow, response);
  if (phase == DRIVER_PHASE_SUPPLYING || phase == DRIVER_PHASE_FINISHED || phase == DRIVER_PHASE_FAILED)
    driver_follow_on_data (follow, progress);
  if (phase == DRIVER_PHASE_FINISHED)
    driver_follow_on_data (follow, ticket);
  else if (phase == DRIVER_PHASE_FAILED)
    driver_follow_on_error (follow, failure);
  g_assert_cmpint (driver_follow_get_phase (follow), ==, phase);
  return follow;
}

/* Every state the driver can save comes back whole, under the names the
 * state file and the events have always used (docs/cli.md). */
static void
test_follow_json_every_phase (void)
{
  static const char * const names[] = {
    [DRIVER_PHASE_IDLE] = "idle",
    [DRIVER_PHASE_REQUESTED] = "requested",
    [DRIVER_PHASE_NO_ANSWER] = "no-answer",
    [DRIVER_PHASE_AUTHORIZED] = "authorized",
    [DRIVER_PHASE_SUPPLYING] = "supplying",
    [DRIVER_PHASE_FINISHED] = "finished",
    [DRIVER_PHASE_DENIED] = "denied",
    [DRIVER_PHASE_FAILED] = "failed",
  };

  for (DriverPhase phase = DRIVER_PHASE_IDLE; phase <= DRIVER_PHASE_FAILED; phase++)
    {
      g_autoptr(DriverFollow) follow = follow_in_phase (phase);
      g_autoptr(DriverFollow) back = NULL;
      g_autoptr(JsonObject) object = driver_follow_to_json (follow);
      g_autoptr(JsonObject) again = NULL;
      g_autofree char *text = ev_json_object_to_string (object, NULL);
      g_autofree char *text_again = NULL;
      g_autoptr(GError) error = NULL;
      DriverPhase parsed;
      EvSupplyPhase supply_phase;

      g_assert_cmpstr (driver_phase_to_string (phase), ==, names[phase]);
      g_assert_true (driver_phase_from_string (names[phase], &parsed));
      g_assert_cmpint (parsed, ==, phase);
      g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, names[phase]);
      /* A phase of a supply has EvSupply's name; the others are a request's. */
      if (driver_phase_to_supply_phase (phase, &supply_phase))
        g_assert_cmpstr (ev_supply_phase_to_string (supply_phase), ==, names[phase]);
      else
        g_assert_true (phase == DRIVER_PHASE_IDLE || phase == DRIVER_PHASE_NO_ANSWER ||
                       phase == DRIVER_PHASE_DENIED);

      back = driver_follow_from_json (object, "d1", &error);
      g_assert_no_error (error);
      g_assert_cmpint (driver_follow_get_phase (back), ==, driver_follow_get_phase (follow));
      g_assert_cmpstr (back->request_id, ==, follow->request_id);
      g_assert_cmpstr (driver_follow_get_cp_id (back), ==, driver_follow_get_cp_id (follow));
      g_assert_cmpstr (driver_follow_get_supply_id (back), ==, driver_follow_get_supply_id (follow));
      g_assert_cmpstr (driver_follow_get_reason (back), ==, driver_follow_get_reason (follow));
      g_assert_true ((back->supply == NULL) == (follow->supply == NULL));
      if (follow->supply != NULL)
        {
          g_assert_cmpfloat (ev_supply_get_price (back->supply), ==, ev_supply_get_price (follow->supply));
          g_assert_cmpfloat (ev_supply_get_kwh (back->supply), ==, ev_supply_get_kwh (follow->supply));
          g_assert_cmpfloat (ev_supply_get_amount (back->supply), ==, ev_supply_get_amount (follow->supply));
          g_assert_cmpuint (ev_supply_get_seq (back->supply), ==, ev_supply_get_seq (follow->supply));
          g_assert_cmpint (ev_supply_get_started_at (back->supply), ==, ev_supply_get_started_at (follow->supply));
          g_assert_cmpint (ev_supply_get_ended_at (back->supply), ==, ev_supply_get_ended_at (follow->supply));
        }
      g_assert_cmpint (back->requested_at, ==, follow->requested_at);
      again = driver_follow_to_json (back);
      text_again = ev_json_object_to_string (again, NULL);
      g_assert_cmpstr (text_again, ==, text);
    }
  g_assert_false (driver_phase_from_string ("dancing", &(DriverPhase) { 0 }));
  g_assert_false (driver_phase_from_string (NULL, &(DriverPhase) { 0 }));
}

/* A state file exactly as the driver wrote it before DriverFollow took its
 * names from EvSupply: it loads, and is written back byte for byte. */
static void
test_follow_json_old_format (void)
{
  static const char old_supply[] =
    "{\"phase\":\"finished\",\"request_id\":\"" REQUEST_ID "\",\"cp_id\":\"CP1\","
    "\"supply_id\":\"" SUPPLY_ID "\",\"reason\":\"unplugged\",\"price\":0.5,"
    "\"kwh\":2.5,\"amount\":1.25,\"seq\":5,\"requested_at\":1700000000000,"
    "\"started_at\":1700000000000,\"ended_at\":1700000005000}";
  g_autofree char *state = g_strdup_printf ("{\"version\":1,\"driver_id\":\"d1\",\"supply\":%s,\"file\":null}",
                                            old_supply);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(DriverFollow) back = NULL;
  g_autoptr(DriverFollow) follow = follow_in_phase (DRIVER_PHASE_FINISHED);
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, state, -1, &error));
  g_assert_no_error (error);
  back = driver_follow_from_json (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                                                  "supply"),
                                  "d1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (driver_follow_get_phase (back), ==, DRIVER_PHASE_FINISHED);
  g_assert_cmpstr (driver_follow_get_supply_id (back), ==, SUPPLY_ID);
  g_assert_cmpstr (driver_follow_get_reason (back), ==, "unplugged");
  g_assert_cmpfloat (ev_supply_get_kwh (back->supply), ==, 2.5);
  g_assert_cmpuint (ev_supply_get_seq (back->supply), ==, 5);

  /* Today's machine in the same state writes the same text. */
  object = driver_follow_to_json (follow);
  text = ev_json_object_to_string (object, NULL);
  g_assert_cmpstr (text, ==, old_supply);
  g_clear_pointer (&object, json_object_unref);
  g_clear_pointer (&text, g_free);
  object = driver_follow_to_json (back);
  text = ev_json_object_to_string (object, NULL);
  g_assert_cmpstr (text, ==, old_supply);
}

/* The kinds' nicks are the events' names in docs/cli.md. */
static void
test_event_names (void)
{
  static const char * const names[] = {
    "ready", "broker", "cp-state", "recovered", "request", "no-answer", "authorized", "denied",
    "progress", "ticket", "supply-error", "file-invalid-line", "file-start", "file-paused",
    "file-resumed", "file-request", "file-result", "file-done", "invalid-message", "error",
  };

  for (guint kind = 0; kind < G_N_ELEMENTS (names); kind++)
    {
      DriverEvent *event = driver_event_new (kind, NULL, NULL);

      g_assert_cmpint (driver_event_get_kind (event), ==, kind);
      g_assert_cmpstr (ev_event_get_name (EV_EVENT (event)), ==, names[kind]);
      g_assert_cmpint (ev_event_get_time (EV_EVENT (event)), >, 0);
      g_assert_null (ev_event_get_message (EV_EVENT (event)));
      g_assert_null (driver_event_get_data (event)->supply);
      g_assert_finalize_object (event);
    }
  g_assert_cmpint (DRIVER_EVENT_ERROR + 1, ==, G_N_ELEMENTS (names));
}

/* An event keeps its own copy of what it was made with. */
static void
test_event_data (void)
{
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(EvChargingPoint) cp = ev_charging_point_new ("CP1");
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_file_result_free);
  DriverRequestEntry entry = { .cp_id = (char *) "CP2", .line = 3 };
  DriverEventData data = { 0 };
  const DriverEventData *copy;
  DriverEvent *event;

  g_assert_true (driver_follow_request (follow, "CP1", "r1", 1000, NULL));
  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  g_ptr_array_add (results, driver_file_result_new (1, &entry, NULL));
  data.supply = follow;
  data.charging_point = cp;
  data.has_previous = TRUE;
  data.previous = EV_CP_STATE_BROKEN;
  data.path = (char *) "/tmp/trip.txt";
  data.results = results;
  event = driver_event_new (DRIVER_EVENT_REQUEST, "Waiting", &data);

  /* What it was made with changes, or goes; the event does not. */
  driver_follow_expire (follow);
  ev_charging_point_set_state (cp, EV_CP_STATE_SUPPLYING);
  g_ptr_array_set_size (results, 0);

  copy = driver_event_get_data (event);
  g_assert_cmpstr (ev_event_get_message (EV_EVENT (event)), ==, "Waiting");
  g_assert_true (copy->supply != follow);
  g_assert_cmpint (driver_follow_get_phase (copy->supply), ==, DRIVER_PHASE_REQUESTED);
  g_assert_cmpstr (copy->supply->request_id, ==, "r1");
  g_assert_true (copy->charging_point != cp);
  g_assert_cmpint (ev_charging_point_get_state (copy->charging_point), ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpint (copy->previous, ==, EV_CP_STATE_BROKEN);
  g_assert_cmpstr (copy->path, ==, "/tmp/trip.txt");
  g_assert_cmpuint (copy->results->len, ==, 1);
  g_assert_cmpint (((DriverFileResult *) g_ptr_array_index (copy->results, 0))->outcome, ==,
                   DRIVER_FILE_OUTCOME_NOT_SENT);
  g_assert_finalize_object (event);
}

/* A line's result, as saved in state.json and read back. */
static void
test_file_result_json (void)
{
  DriverRequestEntry entry = { .cp_id = (char *) "CP7", .line = 12 };
  g_autoptr(DriverFollow) follow = driver_follow_new ("d1");
  g_autoptr(DriverFileResult) result = NULL;
  g_autoptr(DriverFileResult) back = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_file_result_free);
  DriverFileTotals totals;

  g_autoptr(EvSupplyResponse) denied = ev_supply_response_new_denied (REQUEST_ID, "d1", "CP7",
                                                                      EV_SUPPLY_DENY_REASON_CP_BUSY);

  driver_follow_request (follow, "CP7", REQUEST_ID, T0, NULL);
  driver_follow_on_response (follow, denied);
  result = driver_file_result_new (4, &entry, follow);
  object = driver_file_result_to_json (result);
  g_assert_cmpstr (json_object_get_string_member (object, "outcome"), ==, "denied");
  g_assert_true (json_object_get_null_member (object, "supply_id"));
  back = driver_file_result_from_json (object);
  g_assert_nonnull (back);
  g_assert_cmpuint (back->n, ==, 4);
  g_assert_cmpstr (back->cp_id, ==, "CP7");
  g_assert_cmpuint (back->line, ==, 12);
  g_assert_cmpint (back->outcome, ==, DRIVER_FILE_OUTCOME_DENIED);
  g_assert_cmpstr (back->reason, ==, "cp-busy");
  g_assert_null (back->supply_id);

  json_object_set_string_member (object, "outcome", "exploded");
  g_assert_null (driver_file_result_from_json (object));

  g_ptr_array_add (results, g_steal_pointer (&back));
  g_ptr_array_add (results, driver_file_result_new (5, &entry, NULL));
  driver_file_results_count (results, &totals);
  g_assert_cmpuint (totals.denied, ==, 1);
  g_assert_cmpuint (totals.failed, ==, 1);
  g_assert_cmpuint (totals.tickets, ==, 0);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The driver's own files edited by hand: a number that is not one the
 * driver could have written (negative, a string, beyond a 64-bit integer
 * or a double) reads as 0, and nothing else of the file is lost. */
static void
test_damaged_numbers (void)
{
  g_autoptr(JsonObject) supply = parse_object ("{\"phase\":\"finished\",\"request_id\":\"" REQUEST_ID "\","
                                               "\"cp_id\":\"CP1\",\"supply_id\":\"" SUPPLY_ID "\","
                                               "\"reason\":\"unplugged\",\"price\":\"x\",\"kwh\":-2.5,"
                                               "\"amount\":1e400,\"seq\":-5,\"requested_at\":1e30,"
                                               "\"started_at\":-1e30,\"ended_at\":1700000005000}");
  g_autoptr(JsonObject) ticket_object = parse_object ("{\"supply_id\":\"" SUPPLY_ID "\",\"cp_id\":\"CP1\","
                                                      "\"outcome\":\"ticket\",\"kwh\":-1,\"amount\":1e400,"
                                                      "\"price\":0.5,\"started_at\":1e30,\"ended_at\":12.5}");
  g_autoptr(JsonObject) result_object = parse_object ("{\"n\":1e30,\"cp_id\":\"CP7\",\"line\":-3,"
                                                      "\"outcome\":\"ticket\",\"kwh\":-3,\"amount\":2.5}");
  g_autoptr(DriverFollow) follow = NULL;
  g_autoptr(EvSupply) ticket = NULL;
  g_autoptr(DriverFileResult) result = NULL;
  g_autoptr(GError) error = NULL;

  follow = driver_follow_from_json (supply, "d1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (driver_follow_get_supply_id (follow), ==, SUPPLY_ID);
  g_assert_cmpfloat (ev_supply_get_price (follow->supply), ==, 0.0);
  g_assert_cmpfloat (ev_supply_get_kwh (follow->supply), ==, 0.0);
  g_assert_cmpfloat (ev_supply_get_amount (follow->supply), ==, 0.0);
  g_assert_cmpuint (ev_supply_get_seq (follow->supply), ==, 0);
  g_assert_cmpint (follow->requested_at, ==, 0);
  g_assert_cmpint (ev_supply_get_started_at (follow->supply), ==, 0);
  g_assert_cmpint (ev_supply_get_ended_at (follow->supply), ==, 1700000005000);

  ticket = driver_history_ticket_from_json (ticket_object, "d1");
  g_assert_nonnull (ticket);
  g_assert_cmpfloat (ev_supply_get_kwh (ticket), ==, 0.0);
  g_assert_cmpfloat (ev_supply_get_amount (ticket), ==, 0.0);
  g_assert_cmpfloat (ev_supply_get_price (ticket), ==, 0.5);
  g_assert_cmpint (ev_supply_get_started_at (ticket), ==, 0);
  g_assert_cmpint (ev_supply_get_ended_at (ticket), ==, 0);

  result = driver_file_result_from_json (result_object);
  g_assert_nonnull (result);
  g_assert_cmpuint (result->n, ==, 0);
  g_assert_cmpuint (result->line, ==, 0);
  g_assert_cmpfloat (result->kwh, ==, 0.0);
  g_assert_cmpfloat (result->amount, ==, 2.5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/driver/file/parse", test_file_parse);
  g_test_add_func ("/driver/file/binary", test_file_binary);
  g_test_add_func ("/driver/file/load", test_file_load);
  g_test_add_func ("/driver/file/bounded", test_file_bounded);
  g_test_add_func ("/driver/follow/supply", test_follow_supply);
  g_test_add_func ("/driver/follow/denied-and-error", test_follow_denied_and_error);
  g_test_add_func ("/driver/follow/one-supply", test_follow_one_supply);
  g_test_add_func ("/driver/follow/no-answer", test_follow_no_answer);
  g_test_add_func ("/driver/follow/json", test_follow_json);
  g_test_add_func ("/driver/follow/json-every-phase", test_follow_json_every_phase);
  g_test_add_func ("/driver/follow/json-old-format", test_follow_json_old_format);
  g_test_add_func ("/driver/file/result-json", test_file_result_json);
  g_test_add_func ("/driver/state/damaged-numbers", test_damaged_numbers);
  g_test_add_func ("/driver/event/names", test_event_names);
  g_test_add_func ("/driver/event/data", test_event_data);

  return g_test_run ();
}

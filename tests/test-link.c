#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gio/gio.h>

#include "ev-frame.h"
#include "ev-link.h"
#include "ev-link-session.h"
#include "test-utils.h"

/* Timeouts given to links under test, and how long a test waits for
 * something before it fails. */
#define SHORT_MS 200
#define WAIT_MS  5000
#define SEC      G_USEC_PER_SEC

/* Byte sequences are written as space-separated tokens: ENQ, ACK, NACK,
 * EOT, F:<json> for a frame, BAD:<json> for a frame with a wrong LRC, and
 * RAW:<text> for bytes as they are. */
static GByteArray *
build (const char *spec)
{
  GByteArray *bytes = g_byte_array_new ();
  g_auto(GStrv) tokens = g_strsplit (spec, " ", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      const char *t = tokens[i];
      guint8 byte;

      if (*t == '\0')
        continue;

      if (g_str_equal (t, "ENQ"))
        byte = EV_FRAME_ENQ;
      else if (g_str_equal (t, "ACK"))
        byte = EV_FRAME_ACK;
      else if (g_str_equal (t, "NACK"))
        byte = EV_FRAME_NACK;
      else if (g_str_equal (t, "EOT"))
        byte = EV_FRAME_EOT;
      else if (g_str_has_prefix (t, "F:"))
        {
          g_assert_true (ev_frame_encode_append (bytes, t + 2, strlen (t + 2), NULL));
          continue;
        }
      else if (g_str_has_prefix (t, "BAD:"))
        {
          g_assert_true (ev_frame_encode_append (bytes, t + 4, strlen (t + 4), NULL));
          bytes->data[bytes->len - 1] ^= 0xFF;
          continue;
        }
      else if (g_str_has_prefix (t, "RAW:"))
        {
          g_byte_array_append (bytes, (const guint8 *) t + 4, strlen (t + 4));
          continue;
        }
      else
        g_error ("bad token %s", t);

      g_byte_array_append (bytes, &byte, 1);
    }

  return bytes;
}

static GByteArray *
oversize_frame (void)
{
  GByteArray *bytes = g_byte_array_new ();
  guint8 byte = EV_FRAME_STX;

  g_byte_array_append (bytes, &byte, 1);
  for (guint i = 0; i < EV_FRAME_MAX_DATA + 500; i++)
    {
      byte = 'a';
      g_byte_array_append (bytes, &byte, 1);
    }
  byte = EV_FRAME_ETX;
  g_byte_array_append (bytes, &byte, 1);
  byte = 0;
  g_byte_array_append (bytes, &byte, 1);

  return bytes;
}

/* ---------------------------------------------------------------------
 * EvLinkSession with a fake clock: no sockets, time is a number.
 * --------------------------------------------------------------------- */

typedef struct {
  EvLinkSession *session;
  gboolean refuse;
  gboolean respond_inline;
  guint established;
  GPtrArray *texts;
  GError *reason;
  guint closed;
  gint64 now;
} SessionLog;

static gboolean
log_accept_cb (EvLinkSession *session,
               gpointer       user_data)
{
  SessionLog *log = user_data;

  return !log->refuse;
}

static void
log_established_cb (EvLinkSession *session,
                    gpointer       user_data)
{
  SessionLog *log = user_data;

  log->established++;
}

static void
log_request_cb (EvLinkSession *session,
                const char    *text,
                gsize          len,
                gpointer       user_data)
{
  SessionLog *log = user_data;

  g_assert_cmpuint (strlen (text), ==, len);
  g_ptr_array_add (log->texts, g_strdup (text));

  if (log->respond_inline)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *response = g_strdup_printf ("{\"re\":%s}", text);

      g_assert_true (ev_link_session_respond (session, response, log->now, &error));
      g_assert_no_error (error);
    }
}

static void
log_response_cb (EvLinkSession *session,
                 guint          request_id,
                 const char    *text,
                 gsize          len,
                 gpointer       user_data)
{
  SessionLog *log = user_data;

  g_assert_cmpuint (strlen (text), ==, len);
  g_ptr_array_add (log->texts, g_strdup_printf ("%u:%s", request_id, text));
}

static void
log_closed_cb (EvLinkSession *session,
               const GError  *reason,
               gpointer       user_data)
{
  SessionLog *log = user_data;

  g_assert_nonnull (reason);
  log->closed++;
  g_clear_error (&log->reason);
  log->reason = g_error_copy (reason);
}

static const EvLinkSessionCallbacks log_callbacks = {
  .accept = log_accept_cb,
  .established = log_established_cb,
  .request_received = log_request_cb,
  .response_received = log_response_cb,
  .closed = log_closed_cb,
};

static void
session_log_init (SessionLog *log,
                  EvLinkRole  role)
{
  memset (log, 0, sizeof *log);
  log->session = ev_link_session_new (role, &log_callbacks, log);
  log->texts = g_ptr_array_new_with_free_func (g_free);
}

static void
session_log_clear (SessionLog *log)
{
  g_clear_pointer (&log->session, ev_link_session_free);
  g_clear_pointer (&log->texts, g_ptr_array_unref);
  g_clear_error (&log->reason);
}

static void
assert_output (SessionLog *log,
               const char *spec)
{
  g_autoptr(GByteArray) expected = build (spec);
  g_autoptr(GBytes) output = ev_link_session_take_output (log->session);
  gsize len = 0;
  const guint8 *data = output != NULL ? g_bytes_get_data (output, &len) : NULL;

  g_assert_cmpmem (data, len, expected->data, expected->len);
  g_assert_false (ev_link_session_has_output (log->session));
}

static void
feed (SessionLog *log,
      const char *spec,
      gint64      now)
{
  g_autoptr(GByteArray) bytes = build (spec);

  log->now = now;
  ev_link_session_receive (log->session, bytes->data, bytes->len, now);
}

static void
assert_texts (SessionLog *log,
              const char *joined)
{
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint i = 0; i < log->texts->len; i++)
    g_string_append_printf (all, "%s%s", i > 0 ? " " : "", (char *) log->texts->pdata[i]);
  g_assert_cmpstr (all->str, ==, joined);
}

/* A client session past the handshake at time 0. */
static void
established_client (SessionLog *log)
{
  session_log_init (log, EV_LINK_ROLE_CLIENT);
  ev_link_session_start (log->session, 0);
  feed (log, "ACK", 0);
  assert_output (log, "ENQ");
  g_assert_cmpuint (log->established, ==, 1);
}

static void
established_server (SessionLog *log)
{
  session_log_init (log, EV_LINK_ROLE_SERVER);
  ev_link_session_start (log->session, 0);
  feed (log, "ENQ", 0);
  assert_output (log, "ACK");
  g_assert_cmpuint (log->established, ==, 1);
}

static void
test_session_new_free (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_SERVER);
  g_assert_cmpint (ev_link_session_get_role (log.session), ==, EV_LINK_ROLE_SERVER);
  g_assert_cmpint (ev_link_session_get_state (log.session), ==, EV_LINK_SESSION_STATE_NEW);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  g_assert_false (ev_link_session_has_output (log.session));
  g_assert_cmpuint (ev_link_session_get_timeout (log.session, EV_LINK_TIMEOUT_HANDSHAKE), ==, 5000);
  g_assert_cmpuint (ev_link_session_get_timeout (log.session, EV_LINK_TIMEOUT_IDLE), ==, 10000);
  session_log_clear (&log);
}

static void
test_session_client_handshake (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_CLIENT);
  ev_link_session_start (log.session, 100);
  assert_output (&log, "ENQ");
  g_assert_cmpint (ev_link_session_get_state (log.session), ==, EV_LINK_SESSION_STATE_HANDSHAKE);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 100 + 5 * SEC);

  ev_link_session_tick (log.session, 100 + 5 * SEC - 1);
  g_assert_cmpuint (log.closed, ==, 0);

  /* Garbage and a stray ENQ do not complete the handshake. */
  feed (&log, "RAW:hello ENQ", SEC);
  g_assert_cmpuint (log.established, ==, 0);

  feed (&log, "ACK", 2 * SEC);
  g_assert_cmpuint (log.established, ==, 1);
  g_assert_cmpint (ev_link_session_get_state (log.session), ==, EV_LINK_SESSION_STATE_ESTABLISHED);
  /* A client with nothing to send runs no timer. */
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  assert_output (&log, "");
  g_assert_cmpuint (ev_link_session_get_garbage_count (log.session), ==, 5);
  session_log_clear (&log);
}

static void
test_session_client_handshake_timeout (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_CLIENT);
  ev_link_session_start (log.session, 0);
  ev_link_session_tick (log.session, 5 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);
  g_assert_cmpint (ev_link_session_get_state (log.session), ==, EV_LINK_SESSION_STATE_CLOSED);
  assert_output (&log, "ENQ EOT");

  /* Closed means closed: nothing more happens, and closed is said once. */
  feed (&log, "ACK", 6 * SEC);
  ev_link_session_tick (log.session, 60 * SEC);
  ev_link_session_close (log.session);
  g_assert_cmpuint (log.established, ==, 0);
  g_assert_cmpuint (log.closed, ==, 1);
  assert_output (&log, "");
  session_log_clear (&log);
}

static void
test_session_client_refused (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_CLIENT);
  ev_link_session_start (log.session, 0);
  feed (&log, "NACK", SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);
  g_assert_cmpuint (log.established, ==, 0);
  assert_output (&log, "ENQ");
  session_log_clear (&log);
}

static void
test_session_server_accept_refuse (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_SERVER);
  ev_link_session_start (log.session, 0);
  assert_output (&log, "");
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 5 * SEC);
  feed (&log, "ENQ", SEC);
  assert_output (&log, "ACK");
  g_assert_cmpuint (log.established, ==, 1);
  /* A repeated ENQ is confirmed again. */
  feed (&log, "ENQ", 2 * SEC);
  assert_output (&log, "ACK");
  g_assert_cmpuint (log.established, ==, 1);
  session_log_clear (&log);

  session_log_init (&log, EV_LINK_ROLE_SERVER);
  log.refuse = TRUE;
  ev_link_session_start (log.session, 0);
  feed (&log, "ENQ", SEC);
  assert_output (&log, "NACK");
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);
  g_assert_cmpuint (log.established, ==, 0);
  session_log_clear (&log);

  /* No ENQ at all: the server gives up after the handshake timeout. */
  session_log_init (&log, EV_LINK_ROLE_SERVER);
  ev_link_session_start (log.session, 0);
  ev_link_session_tick (log.session, 5 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);
  session_log_clear (&log);
}

static void
test_session_requests_in_order (void)
{
  g_autoptr(GError) error = NULL;
  SessionLog log;
  guint id1, id2;

  session_log_init (&log, EV_LINK_ROLE_CLIENT);
  ev_link_session_start (log.session, 0);

  /* Requests made before the handshake wait for it. */
  id1 = ev_link_session_request (log.session, "{\"n\":1}", 0, &error);
  g_assert_no_error (error);
  id2 = ev_link_session_request (log.session, "{\"n\":2}", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id1, !=, 0);
  g_assert_cmpuint (id2, !=, 0);
  g_assert_cmpuint (id1, !=, id2);
  assert_output (&log, "ENQ");

  feed (&log, "ACK", SEC);
  assert_output (&log, "F:{\"n\":1}");
  g_assert_cmpuint (ev_link_session_get_n_queued (log.session), ==, 1);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, SEC + 5 * SEC);

  feed (&log, "ACK", 2 * SEC);
  assert_output (&log, "");
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 2 * SEC + 10 * SEC);

  /* The response is ACKed before the next request leaves. */
  feed (&log, "F:{\"r\":1}", 3 * SEC);
  assert_output (&log, "ACK F:{\"n\":2}");
  feed (&log, "ACK F:{\"r\":2}", 4 * SEC);
  assert_output (&log, "ACK");

  {
    g_autofree char *expected = g_strdup_printf ("%u:{\"r\":1} %u:{\"r\":2}", id1, id2);
    assert_texts (&log, expected);
  }
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  g_assert_cmpuint (log.closed, ==, 0);
  session_log_clear (&log);
}

static void
test_session_retransmit (void)
{
  g_autoptr(GError) error = NULL;
  SessionLog log;

  established_client (&log);
  ev_link_session_request (log.session, "{\"type\":\"health\"}", SEC, &error);
  g_assert_no_error (error);
  assert_output (&log, "F:{\"type\":\"health\"}");

  for (guint i = 1; i <= EV_LINK_MAX_RETRANSMITS; i++)
    {
      feed (&log, "NACK", (1 + i) * SEC);
      assert_output (&log, "F:{\"type\":\"health\"}");
      /* The ACK timer restarts with every retransmission. */
      g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, (1 + i) * SEC + 5 * SEC);
    }

  feed (&log, "NACK", 10 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_NACKS);
  assert_output (&log, "EOT");
  session_log_clear (&log);

  /* A NACK followed by an ACK is just a repaired frame. */
  established_client (&log);
  ev_link_session_request (log.session, "{}", SEC, NULL);
  feed (&log, "NACK", SEC);
  feed (&log, "ACK F:{\"ok\":1}", SEC);
  assert_output (&log, "F:{} F:{} ACK");
  assert_texts (&log, "1:{\"ok\":1}");
  g_assert_cmpuint (log.closed, ==, 0);
  session_log_clear (&log);
}

static void
test_session_ack_and_response_timeouts (void)
{
  SessionLog log;

  established_client (&log);
  ev_link_session_request (log.session, "{}", SEC, NULL);
  ev_link_session_tick (log.session, 6 * SEC - 1);
  g_assert_cmpuint (log.closed, ==, 0);
  ev_link_session_tick (log.session, 6 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_ACK_TIMEOUT);
  assert_output (&log, "F:{} EOT");
  session_log_clear (&log);

  established_client (&log);
  ev_link_session_request (log.session, "{}", SEC, NULL);
  feed (&log, "ACK", 2 * SEC);
  ev_link_session_tick (log.session, 12 * SEC - 1);
  g_assert_cmpuint (log.closed, ==, 0);
  ev_link_session_tick (log.session, 12 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_RESPONSE_TIMEOUT);
  assert_output (&log, "F:{} EOT");
  session_log_clear (&log);
}

static void
test_session_server_idle (void)
{
  g_autoptr(GError) error = NULL;
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_SERVER);
  ev_link_session_start (log.session, 0);
  feed (&log, "ENQ", SEC);
  assert_output (&log, "ACK");
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 11 * SEC);

  /* Any byte counts as a sign of life, garbage included. */
  feed (&log, "RAW:x", 4 * SEC);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 14 * SEC);

  /* While a request is open the client waits for us: no idle timer. */
  feed (&log, "F:{\"n\":1}", 5 * SEC);
  assert_output (&log, "ACK");
  assert_texts (&log, "{\"n\":1}");
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  ev_link_session_tick (log.session, 100 * SEC);
  g_assert_cmpuint (log.closed, ==, 0);

  g_assert_true (ev_link_session_respond (log.session, "{\"r\":1}", 100 * SEC, &error));
  g_assert_no_error (error);
  assert_output (&log, "F:{\"r\":1}");
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 105 * SEC);

  feed (&log, "ACK", 101 * SEC);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, 111 * SEC);
  ev_link_session_tick (log.session, 111 * SEC - 1);
  g_assert_cmpuint (log.closed, ==, 0);
  ev_link_session_tick (log.session, 111 * SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT);
  assert_output (&log, "EOT");
  session_log_clear (&log);
}

static void
test_session_server_bad_frames (void)
{
  SessionLog log;

  established_server (&log);
  log.respond_inline = TRUE;

  /* A good frame in between resets the count. */
  feed (&log, "BAD:{} BAD:{}", SEC);
  assert_output (&log, "NACK NACK");
  feed (&log, "F:{}", SEC);
  assert_output (&log, "ACK F:{\"re\":{}}");
  feed (&log, "ACK BAD:{}", SEC);
  assert_output (&log, "NACK");
  g_assert_cmpuint (log.closed, ==, 0);

  feed (&log, "BAD:{} BAD:[] F:{}", SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_BAD_FRAMES);
  /* The third bad frame is NACKed, then the session ends; the good frame
   * after it is never looked at. */
  assert_output (&log, "NACK NACK EOT");
  assert_texts (&log, "{}");
  session_log_clear (&log);

  /* The client NACKs bad responses without counting them. */
  established_client (&log);
  ev_link_session_request (log.session, "{}", SEC, NULL);
  feed (&log, "ACK BAD:{} BAD:{} BAD:{} BAD:{} F:{\"ok\":1}", SEC);
  assert_output (&log, "F:{} NACK NACK NACK NACK ACK");
  assert_texts (&log, "1:{\"ok\":1}");
  g_assert_cmpuint (log.closed, ==, 0);
  session_log_clear (&log);
}

static void
test_session_server_retransmits_response (void)
{
  SessionLog log;

  established_server (&log);
  log.respond_inline = TRUE;
  feed (&log, "F:{}", SEC);
  assert_output (&log, "ACK F:{\"re\":{}}");
  feed (&log, "NACK NACK", SEC);
  assert_output (&log, "F:{\"re\":{}} F:{\"re\":{}}");
  feed (&log, "ACK", SEC);
  assert_output (&log, "");
  g_assert_cmpuint (log.closed, ==, 0);
  session_log_clear (&log);
}

static void
test_session_protocol_violations (void)
{
  SessionLog log;

  /* A second request before the first was answered. */
  established_server (&log);
  feed (&log, "F:{\"n\":1} F:{\"n\":2}", SEC);
  assert_output (&log, "ACK ACK EOT");
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_PROTOCOL);
  assert_texts (&log, "{\"n\":1}");
  session_log_clear (&log);

  /* A frame before ENQ. */
  session_log_init (&log, EV_LINK_ROLE_SERVER);
  ev_link_session_start (log.session, 0);
  feed (&log, "F:{}", SEC);
  assert_output (&log, "EOT");
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_PROTOCOL);
  session_log_clear (&log);

  /* A response nobody asked for. */
  established_client (&log);
  feed (&log, "F:{}", SEC);
  assert_output (&log, "ACK EOT");
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_PROTOCOL);
  session_log_clear (&log);
}

static void
test_session_eot_and_close (void)
{
  g_autoptr(GError) error = NULL;
  SessionLog log;

  /* EOT from the peer: nothing more is sent, not even pending bytes. */
  established_server (&log);
  feed (&log, "F:{} EOT", SEC);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  assert_output (&log, "");
  g_assert_false (ev_link_session_respond (log.session, "{}", SEC, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_clear_error (&error);
  session_log_clear (&log);

  established_client (&log);
  ev_link_session_peer_closed (log.session);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED);
  session_log_clear (&log);

  established_client (&log);
  {
    g_autoptr(GError) io_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "reset");

    ev_link_session_fail (log.session, io_error);
    g_assert_error (log.reason, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  }
  session_log_clear (&log);

  /* Closing locally sends EOT after whatever was pending. */
  established_client (&log);
  ev_link_session_request (log.session, "{}", SEC, NULL);
  ev_link_session_close (log.session);
  assert_output (&log, "F:{} EOT");
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_cmpuint (ev_link_session_request (log.session, "{}", SEC, &error), ==, 0);
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  session_log_clear (&log);
}

static void
test_session_api_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (EV_FRAME_MAX_DATA + 1, 'x');
  SessionLog log;
  guint id1, id2, id3;

  established_server (&log);
  g_assert_false (ev_link_session_respond (log.session, "{}", SEC, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_NO_REQUEST);
  g_clear_error (&error);

  /* A response that cannot be framed leaves the request open. */
  feed (&log, "F:{}", SEC);
  assert_output (&log, "ACK");
  g_assert_false (ev_link_session_respond (log.session, too_long, SEC, &error));
  g_assert_error (error, EV_FRAME_ERROR, EV_FRAME_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_assert_true (ev_link_session_respond (log.session, "{}", SEC, NULL));
  assert_output (&log, "F:{}");
  session_log_clear (&log);

  established_client (&log);
  g_assert_cmpuint (ev_link_session_request (log.session, too_long, SEC, &error), ==, 0);
  g_assert_error (error, EV_FRAME_ERROR, EV_FRAME_ERROR_TOO_LONG);
  g_clear_error (&error);
  assert_output (&log, "");

  id1 = ev_link_session_request (log.session, "{\"n\":1}", SEC, NULL);
  id2 = ev_link_session_request (log.session, "{\"n\":2}", SEC, NULL);
  id3 = ev_link_session_request (log.session, "{\"n\":3}", SEC, NULL);
  g_assert_cmpuint (ev_link_session_get_n_queued (log.session), ==, 2);
  /* Only requests that have not left can be withdrawn. */
  g_assert_false (ev_link_session_cancel_request (log.session, id1));
  g_assert_true (ev_link_session_cancel_request (log.session, id2));
  g_assert_false (ev_link_session_cancel_request (log.session, id2));
  g_assert_cmpuint (ev_link_session_get_n_queued (log.session), ==, 1);
  feed (&log, "ACK F:{}", 2 * SEC);
  assert_output (&log, "F:{\"n\":1} ACK F:{\"n\":3}");
  g_assert_cmpuint (id3, !=, 0);
  session_log_clear (&log);
}

static void
test_session_timeouts_settable (void)
{
  SessionLog log;

  session_log_init (&log, EV_LINK_ROLE_CLIENT);
  ev_link_session_set_timeout (log.session, EV_LINK_TIMEOUT_HANDSHAKE, 100);
  g_assert_cmpuint (ev_link_session_get_timeout (log.session, EV_LINK_TIMEOUT_HANDSHAKE), ==, 100);
  ev_link_session_start (log.session, SEC);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, SEC + 100 * 1000);

  /* A running timer follows the new value; 0 means no limit. */
  ev_link_session_set_timeout (log.session, EV_LINK_TIMEOUT_HANDSHAKE, 0);
  g_assert_cmpint (ev_link_session_get_deadline (log.session), ==, -1);
  ev_link_session_tick (log.session, 1000 * SEC);
  g_assert_cmpuint (log.closed, ==, 0);
  ev_link_session_set_timeout (log.session, EV_LINK_TIMEOUT_HANDSHAKE, 300);
  ev_link_session_tick (log.session, SEC + 300 * 1000);
  g_assert_error (log.reason, EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);
  session_log_clear (&log);
}

static void
shuttle (SessionLog *a,
         SessionLog *b,
         gint64      now)
{
  gboolean moved = TRUE;

  while (moved)
    {
      SessionLog *ends[2][2] = { { a, b }, { b, a } };

      moved = FALSE;
      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(GBytes) out = ev_link_session_take_output (ends[i][0]->session);

          if (out != NULL)
            {
              gsize len;
              const guint8 *data = g_bytes_get_data (out, &len);

              ends[i][1]->now = now;
              ev_link_session_receive (ends[i][1]->session, data, len, now);
              moved = TRUE;
            }
        }
    }
}

static void
test_session_back_to_back (void)
{
  SessionLog client, server;
  g_autoptr(GString) expected = g_string_new (NULL);

  session_log_init (&client, EV_LINK_ROLE_CLIENT);
  session_log_init (&server, EV_LINK_ROLE_SERVER);
  server.respond_inline = TRUE;
  ev_link_session_start (server.session, 0);
  ev_link_session_start (client.session, 0);

  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *json = g_strdup_printf ("{\"n\":%u}", n);
      guint id = ev_link_session_request (client.session, json, 0, NULL);

      g_string_append_printf (expected, "%s%u:{\"re\":{\"n\":%u}}", n > 1 ? " " : "", id, n);
    }

  shuttle (&client, &server, SEC);
  assert_texts (&client, expected->str);
  g_assert_cmpuint (server.texts->len, ==, 5);
  g_assert_cmpuint (client.established, ==, 1);
  g_assert_cmpuint (server.established, ==, 1);

  ev_link_session_close (client.session);
  shuttle (&client, &server, 2 * SEC);
  g_assert_error (client.reason, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);

  session_log_clear (&client);
  session_log_clear (&server);
}

/* ---------------------------------------------------------------------
 * EvLink over real loopback sockets.
 * --------------------------------------------------------------------- */

typedef struct {
  GMainContext *context;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  /* Let stream closes and cancelled operations finish. */
  ev_test_sleep_spinning (fixture->context, 20);
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
  g_main_context_pop_thread_default (fixture->context);
  g_clear_pointer (&fixture->context, g_main_context_unref);
}

/* A peer that speaks raw bytes, to misbehave on purpose. */
typedef struct {
  GSocket *listener;
  GSource *accept_source;
  GSocket *socket;
  GSource *read_source;
  GByteArray *received;
  gsize cursor;
  gboolean eof;
  guint16 port;
} RawPeer;

static gboolean
raw_readable_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  RawPeer *peer = user_data;
  g_autoptr(GError) error = NULL;
  guint8 buffer[8192];
  gssize n;

  n = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, &error);
  if (n > 0)
    {
      g_byte_array_append (peer->received, buffer, n);
      return G_SOURCE_CONTINUE;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  peer->eof = TRUE;
  return G_SOURCE_REMOVE;
}

static void
raw_peer_watch (RawPeer *peer,
                GSocket *socket)
{
  peer->socket = socket;
  g_socket_set_blocking (socket, FALSE);
  peer->read_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (peer->read_source, G_SOURCE_FUNC (raw_readable_cb), peer, NULL);
  g_source_attach (peer->read_source, g_main_context_get_thread_default ());
}

static gboolean
raw_accept_cb (GSocket      *listener,
               GIOCondition  condition,
               gpointer      user_data)
{
  RawPeer *peer = user_data;
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_accept (listener, NULL, &error);

  if (socket == NULL)
    return G_SOURCE_CONTINUE;

  raw_peer_watch (peer, socket);
  return G_SOURCE_REMOVE;
}

static RawPeer *
raw_peer_new (void)
{
  RawPeer *peer = g_new0 (RawPeer, 1);

  peer->received = g_byte_array_new ();
  return peer;
}

/* Listens on 127.0.0.1 on a port the kernel picks, and reads it back. */
static RawPeer *
raw_server_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  RawPeer *peer = raw_peer_new ();

  peer->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (peer->listener, FALSE);
  g_assert_true (g_socket_bind (peer->listener, address, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_listen (peer->listener, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (peer->listener, &error);
  g_assert_no_error (error);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_assert_cmpuint (peer->port, !=, 0);

  peer->accept_source = g_socket_create_source (peer->listener, G_IO_IN, NULL);
  g_source_set_callback (peer->accept_source, G_SOURCE_FUNC (raw_accept_cb), peer, NULL);
  g_source_attach (peer->accept_source, g_main_context_get_thread_default ());

  return peer;
}

static RawPeer *
raw_client_new (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  RawPeer *peer = raw_peer_new ();
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  /* The kernel completes the connection into the listen backlog. */
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  raw_peer_watch (peer, socket);

  return peer;
}

static void
raw_peer_free (RawPeer *peer)
{
  if (peer->accept_source != NULL)
    g_source_destroy (peer->accept_source);
  g_clear_pointer (&peer->accept_source, g_source_unref);
  if (peer->read_source != NULL)
    g_source_destroy (peer->read_source);
  g_clear_pointer (&peer->read_source, g_source_unref);
  if (peer->socket != NULL)
    g_socket_close (peer->socket, NULL);
  g_clear_object (&peer->socket);
  if (peer->listener != NULL)
    g_socket_close (peer->listener, NULL);
  g_clear_object (&peer->listener);
  g_byte_array_unref (peer->received);
  g_free (peer);
}

static void
raw_send_bytes (RawPeer      *peer,
                const guint8 *data,
                gsize         len)
{
  g_autoptr(GError) error = NULL;
  gsize sent = 0;

  g_assert_nonnull (peer->socket);
  while (sent < len)
    {
      gssize n = g_socket_send_with_blocking (peer->socket, (const char *) data + sent,
                                              len - sent, TRUE, NULL, &error);
      g_assert_no_error (error);
      sent += n;
    }
}

static void
raw_send (RawPeer    *peer,
          const char *spec)
{
  g_autoptr(GByteArray) bytes = build (spec);

  raw_send_bytes (peer, bytes->data, bytes->len);
}

typedef struct {
  RawPeer *peer;
  gsize needed;
} RawWait;

static gboolean
raw_has_bytes (gpointer user_data)
{
  RawWait *wait = user_data;

  return wait->peer->received->len - wait->peer->cursor >= wait->needed || wait->peer->eof;
}

/* Waits for exactly the bytes of @spec, next in what the peer received. */
static void
raw_expect (Fixture    *fixture,
            RawPeer    *peer,
            const char *spec)
{
  g_autoptr(GByteArray) expected = build (spec);
  RawWait wait = { peer, expected->len };

  ev_test_wait_until (fixture->context, raw_has_bytes, &wait, WAIT_MS, spec);
  g_assert_cmpmem (peer->received->data + peer->cursor,
                   MIN (expected->len, peer->received->len - peer->cursor),
                   expected->data, expected->len);
  peer->cursor += expected->len;
}

static gboolean
raw_at_eof (gpointer user_data)
{
  RawPeer *peer = user_data;

  return peer->eof;
}

/* The other end closed the connection, with nothing unread before. */
static void
raw_expect_eof (Fixture *fixture,
                RawPeer *peer)
{
  ev_test_wait_until (fixture->context, raw_at_eof, peer, WAIT_MS, "end of stream");
  g_assert_cmpuint (peer->received->len, ==, peer->cursor);
}

/* A test server: EvLink server ends for the connections it accepts. */
typedef struct {
  GSocketListener *listener;
  GCancellable *cancellable;
  guint16 port;
  EvLink *link;
  GPtrArray *requests;
  GError *reason;
  gboolean refuse;
  gboolean auto_respond;
  guint idle_timeout_ms;
} TestServer;

static gboolean
server_accept_cb (EvLink     *link,
                  TestServer *server)
{
  return !server->refuse;
}

static void
server_request_cb (EvLink     *link,
                   const char *text,
                   TestServer *server)
{
  g_ptr_array_add (server->requests, g_strdup (text));

  if (server->auto_respond)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *response = g_strdup_printf ("{\"re\":%s}", text);

      g_assert_true (ev_link_respond (link, response, &error));
      g_assert_no_error (error);
    }
}

static void
record_reason_cb (EvLink       *link,
                  const GError *reason,
                  GError      **slot)
{
  g_assert_null (*slot);
  *slot = g_error_copy (reason);
}

static void
server_accepted_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  TestServer *server;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_no_error (error);

  server = user_data;
  g_assert_null (server->link);
  server->link = ev_link_new_server (connection);
  if (server->idle_timeout_ms != 0)
    ev_link_set_timeout (server->link, EV_LINK_TIMEOUT_IDLE, server->idle_timeout_ms);
  g_signal_connect (server->link, "accept", G_CALLBACK (server_accept_cb), server);
  g_signal_connect (server->link, "request", G_CALLBACK (server_request_cb), server);
  g_signal_connect (server->link, "closed", G_CALLBACK (record_reason_cb), &server->reason);
}

static void
test_server_init (TestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  memset (server, 0, sizeof *server);
  server->requests = g_ptr_array_new_with_free_func (g_free);
  server->auto_respond = TRUE;
  server->cancellable = g_cancellable_new ();
  server->listener = g_socket_listener_new ();
  g_assert_true (g_socket_listener_add_address (server->listener, address,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &effective, &error));
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_accept_async (server->listener, server->cancellable,
                                  server_accepted_cb, server);
}

static void
test_server_clear (TestServer *server)
{
  g_cancellable_cancel (server->cancellable);
  g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
  g_clear_object (&server->cancellable);
  if (server->link != NULL)
    g_assert_finalize_object (g_steal_pointer (&server->link));
  g_clear_pointer (&server->requests, g_ptr_array_unref);
  g_clear_error (&server->reason);
}

static gboolean
server_has_link (gpointer user_data)
{
  TestServer *server = user_data;

  return server->link != NULL;
}

static gboolean
error_is_set (gpointer user_data)
{
  GError **slot = user_data;

  return *slot != NULL;
}

typedef struct {
  gboolean done;
  EvLink *link;
  GError *error;
} ConnectResult;

static void
connect_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ConnectResult *r = user_data;

  g_assert_null (source);
  r->link = ev_link_connect_finish (result, &r->error);
  g_assert_true ((r->link == NULL) != (r->error == NULL));
  r->done = TRUE;
}

static ConnectResult
connect_port (Fixture *fixture,
              guint16  port,
              guint    handshake_timeout_ms)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  ConnectResult r = { FALSE, NULL, NULL };

  ev_link_connect_async (G_SOCKET_CONNECTABLE (address), handshake_timeout_ms, NULL,
                         connect_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  return r;
}

static EvLink *
connect_ok (Fixture *fixture,
            guint16  port)
{
  ConnectResult r = connect_port (fixture, port, 0);

  g_assert_no_error (r.error);
  g_assert_true (ev_link_is_established (r.link));
  g_assert_cmpint (ev_link_get_role (r.link), ==, EV_LINK_ROLE_CLIENT);
  return r.link;
}

/* A client link whose server is a raw peer that ACKed the ENQ. */
static EvLink *
connect_raw (Fixture  *fixture,
             RawPeer **server)
{
  ConnectResult r = { FALSE, NULL, NULL };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;

  *server = raw_server_new ();
  address = g_inet_socket_address_new (loopback, (*server)->port);
  ev_link_connect_async (G_SOCKET_CONNECTABLE (address), 0, NULL, connect_done_cb, &r);
  raw_expect (fixture, *server, "ENQ");
  raw_send (*server, "ACK");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_no_error (r.error);
  return r.link;
}

/* A raw client that completed the handshake with an EvLink server. */
static RawPeer *
raw_client_handshake (Fixture    *fixture,
                      TestServer *server)
{
  RawPeer *client = raw_client_new (server->port);

  ev_test_wait_until (fixture->context, server_has_link, server, WAIT_MS, "accept");
  raw_send (client, "ENQ");
  raw_expect (fixture, client, "ACK");
  g_assert_true (ev_link_is_established (server->link));
  return client;
}

typedef struct {
  gboolean done;
  char *response;
  GError *error;
  GPtrArray *order;
} RequestResult;

static void
request_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RequestResult *r = user_data;

  r->response = ev_link_request_finish (EV_LINK (source), result, &r->error);
  g_assert_true ((r->response == NULL) != (r->error == NULL));
  r->done = TRUE;
  if (r->order != NULL)
    g_ptr_array_add (r->order, r);
}

static void
request_result_clear (RequestResult *r)
{
  g_clear_pointer (&r->response, g_free);
  g_clear_error (&r->error);
  r->done = FALSE;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_link_new_destroy (Fixture       *fixture,
                       gconstpointer  data)
{
  TestServer server;
  RawPeer *client;
  EvLink *link;

  test_server_init (&server);
  client = raw_client_new (server.port);
  ev_test_wait_until (fixture->context, server_has_link, &server, WAIT_MS, "accept");

  link = g_steal_pointer (&server.link);
  g_assert_cmpint (ev_link_get_role (link), ==, EV_LINK_ROLE_SERVER);
  g_assert_true (G_IS_SOCKET_CONNECTION (ev_link_get_stream (link)));
  g_assert_false (ev_link_is_established (link));
  g_assert_false (ev_link_is_closed (link));
  g_assert_null (ev_link_get_close_reason (link));
  g_assert_cmpuint (ev_link_get_timeout (link, EV_LINK_TIMEOUT_HANDSHAKE), ==, EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS);
  g_assert_cmpuint (ev_link_get_timeout (link, EV_LINK_TIMEOUT_ACK), ==, EV_LINK_DEFAULT_ACK_TIMEOUT_MS);
  g_assert_cmpuint (ev_link_get_timeout (link, EV_LINK_TIMEOUT_RESPONSE), ==, EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS);
  g_assert_cmpuint (ev_link_get_timeout (link, EV_LINK_TIMEOUT_IDLE), ==, EV_LINK_DEFAULT_IDLE_TIMEOUT_MS);
  g_assert_finalize_object (link);

  /* Dropping an open link closes its connection. */
  raw_expect_eof (fixture, client);
  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_timeout_properties (Fixture       *fixture,
                              gconstpointer  data)
{
  TestServer server;
  RawPeer *client;
  guint notified = 0;
  guint value = 0;

  test_server_init (&server);
  client = raw_client_new (server.port);
  ev_test_wait_until (fixture->context, server_has_link, &server, WAIT_MS, "accept");

  g_signal_connect (server.link, "notify::ack-timeout", G_CALLBACK (count_notify_cb), &notified);

  g_object_set (server.link, "ack-timeout", 1234, NULL);
  g_object_set (server.link, "ack-timeout", 1234, NULL);
  ev_link_set_timeout (server.link, EV_LINK_TIMEOUT_ACK, 1234);
  g_object_get (server.link, "ack-timeout", &value, NULL);
  g_assert_cmpuint (value, ==, 1234);
  g_assert_cmpuint (ev_link_get_timeout (server.link, EV_LINK_TIMEOUT_ACK), ==, 1234);
  g_assert_cmpuint (notified, ==, 1);

  /* Shortening a running timer takes effect at once: the handshake
   * started long ago by this measure, so the server gives up. */
  ev_link_set_timeout (server.link, EV_LINK_TIMEOUT_HANDSHAKE, 1);
  raw_expect (fixture, client, "EOT");
  raw_expect_eof (fixture, client);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);

  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_request_response (Fixture       *fixture,
                            gconstpointer  data)
{
  TestServer server;
  EvLink *client;
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  RequestResult results[4] = { { 0 } };
  GError *client_reason = NULL;
  guint established_notified = 0;

  test_server_init (&server);
  client = connect_ok (fixture, server.port);
  g_signal_connect (client, "closed", G_CALLBACK (record_reason_cb), &client_reason);
  ev_test_wait_until (fixture->context, server_has_link, &server, WAIT_MS, "accept");

  /* Four requests at once: they go one at a time, answered in order. */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"status\",\"n\":%u}", i);

      results[i].order = order;
      ev_link_request_async (client, json, NULL, request_done_cb, &results[i]);
    }

  ev_test_wait_flag (fixture->context, &results[3].done, WAIT_MS, "last response");
  g_assert_cmpuint (order->len, ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *expected = g_strdup_printf ("{\"re\":{\"type\":\"status\",\"n\":%u}}", i);
      g_autofree char *request = g_strdup_printf ("{\"type\":\"status\",\"n\":%u}", i);

      g_assert_true (order->pdata[i] == &results[i]);
      g_assert_no_error (results[i].error);
      g_assert_cmpstr (results[i].response, ==, expected);
      g_assert_cmpstr (server.requests->pdata[i], ==, request);
      request_result_clear (&results[i]);
    }

  /* Closing sends EOT: the server sees it, the client gets CLOSED. */
  g_signal_connect (client, "notify::established", G_CALLBACK (count_notify_cb), &established_notified);
  ev_link_close (client);
  g_assert_cmpuint (established_notified, ==, 1);
  g_assert_true (ev_link_is_closed (client));
  g_assert_false (ev_link_is_established (client));
  g_assert_error (client_reason, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  ev_test_wait_until (fixture->context, error_is_set, &server.reason, WAIT_MS, "server closed");
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);

  /* A request on a closed link fails with the reason it closed. */
  ev_link_request_async (client, "{}", NULL, request_done_cb, &results[0]);
  ev_test_wait_flag (fixture->context, &results[0].done, WAIT_MS, "request on closed link");
  g_assert_error (results[0].error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  request_result_clear (&results[0]);

  g_clear_error (&client_reason);
  g_assert_finalize_object (client);
  test_server_clear (&server);
}

typedef struct {
  EvLink *link;
  char *response;
} DeferredResponse;

static gboolean
respond_later_cb (gpointer user_data)
{
  DeferredResponse *d = user_data;

  g_assert_true (ev_link_respond (d->link, d->response, NULL));
  g_clear_pointer (&d->response, g_free);
  return G_SOURCE_REMOVE;
}

static void
deferred_request_cb (EvLink           *link,
                     const char       *text,
                     DeferredResponse *d)
{
  GSource *source = g_timeout_source_new (20);

  g_assert_null (d->response);
  d->link = link;
  d->response = g_strdup_printf ("{\"late\":%s}", text);
  g_source_set_callback (source, respond_later_cb, d, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static void
test_link_deferred_responses (Fixture       *fixture,
                              gconstpointer  data)
{
  TestServer server;
  EvLink *client;
  RequestResult results[3] = { { 0 } };
  DeferredResponse deferred = { NULL, NULL };

  test_server_init (&server);
  server.auto_respond = FALSE;
  client = connect_ok (fixture, server.port);
  ev_test_wait_until (fixture->context, server_has_link, &server, WAIT_MS, "accept");
  g_signal_connect (server.link, "request", G_CALLBACK (deferred_request_cb), &deferred);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *json = g_strdup_printf ("[%u]", i);

      ev_link_request_async (client, json, NULL, request_done_cb, &results[i]);
    }

  ev_test_wait_flag (fixture->context, &results[2].done, WAIT_MS, "last response");
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *expected = g_strdup_printf ("{\"late\":[%u]}", i);

      g_assert_no_error (results[i].error);
      g_assert_cmpstr (results[i].response, ==, expected);
      request_result_clear (&results[i]);
    }

  ev_link_close (client);
  g_assert_finalize_object (client);
  ev_test_wait_until (fixture->context, error_is_set, &server.reason, WAIT_MS, "server closed");
  test_server_clear (&server);
}

static void
test_link_connect_to_host (Fixture       *fixture,
                           gconstpointer  data)
{
  TestServer server;
  ConnectResult r = { FALSE, NULL, NULL };
  g_autofree char *host_and_port = NULL;

  test_server_init (&server);
  host_and_port = g_strdup_printf ("127.0.0.1:%u", server.port);
  ev_link_connect_to_host_async (host_and_port, 1, 0, NULL, connect_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_no_error (r.error);
  g_assert_true (ev_link_is_established (r.link));
  ev_link_close (r.link);
  g_assert_finalize_object (r.link);
  ev_test_wait_until (fixture->context, error_is_set, &server.reason, WAIT_MS, "server closed");
  test_server_clear (&server);

  /* Not an address at all. */
  memset (&r, 0, sizeof r);
  ev_link_connect_to_host_async ("[::1", 1, 0, NULL, connect_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
}

static void
test_link_connect_refused_port (Fixture       *fixture,
                                gconstpointer  data)
{
  RawPeer *server = raw_server_new ();
  guint16 port = server->port;
  ConnectResult r;

  /* A port that nobody listens on any more. */
  raw_peer_free (server);
  r = connect_port (fixture, port, 0);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&r.error);
}

static void
test_link_connect_cancelled (Fixture       *fixture,
                             gconstpointer  data)
{
  RawPeer *server = raw_server_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, server->port);
  ConnectResult r = { FALSE, NULL, NULL };

  /* Cancelled while the server has not answered the ENQ yet. */
  ev_link_connect_async (G_SOCKET_CONNECTABLE (address), 0, cancellable, connect_done_cb, &r);
  raw_expect (fixture, server, "ENQ");
  g_cancellable_cancel (cancellable);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  raw_expect (fixture, server, "EOT");
  raw_expect_eof (fixture, server);
  raw_peer_free (server);
}

static void
test_link_client_handshake_timeout (Fixture       *fixture,
                                    gconstpointer  data)
{
  RawPeer *server = raw_server_new ();
  ConnectResult r;

  /* The server reads the ENQ and never answers. */
  r = connect_port (fixture, server->port, SHORT_MS);
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);
  g_clear_error (&r.error);
  raw_expect (fixture, server, "ENQ EOT");
  raw_expect_eof (fixture, server);
  raw_peer_free (server);
}

static void
test_link_client_enq_refused (Fixture       *fixture,
                              gconstpointer  data)
{
  RawPeer *server = raw_server_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, server->port);
  ConnectResult r = { FALSE, NULL, NULL };

  ev_link_connect_async (G_SOCKET_CONNECTABLE (address), 0, NULL, connect_done_cb, &r);
  raw_expect (fixture, server, "ENQ");
  raw_send (server, "NACK");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);
  g_clear_error (&r.error);
  raw_expect_eof (fixture, server);
  raw_peer_free (server);
}

static void
test_link_client_nack_recovers (Fixture       *fixture,
                                gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };

  ev_link_request_async (client, "{\"type\":\"health\"}", NULL, request_done_cb, &r);
  raw_expect (fixture, server, "F:{\"type\":\"health\"}");
  raw_send (server, "NACK");
  raw_expect (fixture, server, "F:{\"type\":\"health\"}");
  raw_send (server, "ACK F:{\"status\":\"ok\"}");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.response, ==, "{\"status\":\"ok\"}");
  raw_expect (fixture, server, "ACK");
  request_result_clear (&r);

  ev_link_close (client);
  raw_expect (fixture, server, "EOT");
  raw_expect_eof (fixture, server);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_nack_too_many (Fixture       *fixture,
                                gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };
  GError *reason = NULL;

  g_signal_connect (client, "closed", G_CALLBACK (record_reason_cb), &reason);
  ev_link_request_async (client, "{\"type\":\"health\"}", NULL, request_done_cb, &r);

  /* The first send and three retransmissions, each NACKed. */
  for (guint i = 0; i < 1 + EV_LINK_MAX_RETRANSMITS; i++)
    {
      raw_expect (fixture, server, "F:{\"type\":\"health\"}");
      raw_send (server, "NACK");
    }

  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "request failed");
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_NACKS);
  g_assert_error (reason, EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_NACKS);
  raw_expect (fixture, server, "EOT");
  raw_expect_eof (fixture, server);

  request_result_clear (&r);
  g_clear_error (&reason);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_ack_timeout (Fixture       *fixture,
                              gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };

  ev_link_set_timeout (client, EV_LINK_TIMEOUT_ACK, SHORT_MS);
  ev_link_request_async (client, "{}", NULL, request_done_cb, &r);
  raw_expect (fixture, server, "F:{}");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "request failed");
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_ACK_TIMEOUT);
  g_assert_error (ev_link_get_close_reason (client), EV_LINK_ERROR, EV_LINK_ERROR_ACK_TIMEOUT);
  raw_expect (fixture, server, "EOT");
  raw_expect_eof (fixture, server);

  request_result_clear (&r);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_response_timeout (Fixture       *fixture,
                                   gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };

  g_object_set (client, "response-timeout", SHORT_MS, NULL);
  ev_link_request_async (client, "{}", NULL, request_done_cb, &r);
  raw_expect (fixture, server, "F:{}");
  raw_send (server, "ACK");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "request failed");
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_RESPONSE_TIMEOUT);
  raw_expect (fixture, server, "EOT");
  raw_expect_eof (fixture, server);

  request_result_clear (&r);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_eot_from_server (Fixture       *fixture,
                                  gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };
  GError *reason = NULL;

  g_signal_connect (client, "closed", G_CALLBACK (record_reason_cb), &reason);
  ev_link_request_async (client, "{}", NULL, request_done_cb, &r);
  raw_expect (fixture, server, "F:{}");
  raw_send (server, "ACK EOT");
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "request failed");
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  g_assert_error (reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  /* No EOT back: the connection just closes. */
  raw_expect_eof (fixture, server);

  request_result_clear (&r);
  g_clear_error (&reason);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_response_split (Fixture       *fixture,
                                 gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  RequestResult r = { 0 };
  g_autoptr(GByteArray) response = build ("ACK RAW:noise F:{\"status\":\"ok\",\"price\":0.35}");

  ev_link_request_async (client, "{\"type\":\"status\"}", NULL, request_done_cb, &r);
  raw_expect (fixture, server, "F:{\"type\":\"status\"}");
  for (guint i = 0; i < response->len; i++)
    {
      raw_send_bytes (server, response->data + i, 1);
      ev_test_sleep_spinning (fixture->context, 2);
    }
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.response, ==, "{\"status\":\"ok\",\"price\":0.35}");
  raw_expect (fixture, server, "ACK");

  request_result_clear (&r);
  ev_link_close (client);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_client_cancel (Fixture       *fixture,
                         gconstpointer  data)
{
  RawPeer *server;
  EvLink *client = connect_raw (fixture, &server);
  g_autoptr(GCancellable) first_cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) second_cancellable = g_cancellable_new ();
  RequestResult first = { 0 }, second = { 0 }, third = { 0 };

  ev_link_request_async (client, "[1]", first_cancellable, request_done_cb, &first);
  ev_link_request_async (client, "[2]", second_cancellable, request_done_cb, &second);
  ev_link_request_async (client, "[3]", NULL, request_done_cb, &third);
  raw_expect (fixture, server, "F:[1]");

  /* [2] has not left: it is withdrawn. [1] has: it fails for the caller,
   * and its response, when it comes, is not taken for [3]'s. */
  g_cancellable_cancel (second_cancellable);
  g_cancellable_cancel (first_cancellable);
  ev_test_wait_flag (fixture->context, &second.done, WAIT_MS, "second cancelled");
  ev_test_wait_flag (fixture->context, &first.done, WAIT_MS, "first cancelled");
  g_assert_error (first.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  raw_send (server, "ACK F:{\"for\":1}");
  raw_expect (fixture, server, "ACK F:[3]");
  raw_send (server, "ACK F:{\"for\":3}");
  ev_test_wait_flag (fixture->context, &third.done, WAIT_MS, "third");
  g_assert_cmpstr (third.response, ==, "{\"for\":3}");
  raw_expect (fixture, server, "ACK");

  request_result_clear (&first);
  request_result_clear (&second);
  request_result_clear (&third);
  ev_link_close (client);
  g_assert_finalize_object (client);
  raw_peer_free (server);
}

static void
test_link_server_idle_timeout (Fixture       *fixture,
                               gconstpointer  data)
{
  TestServer server;
  RawPeer *client;

  test_server_init (&server);
  server.idle_timeout_ms = SHORT_MS;
  client = raw_client_handshake (fixture, &server);

  /* Say nothing: the server gives up on us. */
  raw_expect (fixture, client, "EOT");
  raw_expect_eof (fixture, client);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT);

  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_split_frame (Fixture       *fixture,
                              gconstpointer  data)
{
  TestServer server;
  RawPeer *client;
  g_autoptr(GByteArray) frame = build ("F:{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"t\"}");

  test_server_init (&server);
  client = raw_client_handshake (fixture, &server);

  for (guint i = 0; i < frame->len; i++)
    {
      raw_send_bytes (client, frame->data + i, 1);
      ev_test_sleep_spinning (fixture->context, 2);
    }

  raw_expect (fixture, client, "ACK F:{\"re\":{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"t\"}}");
  g_assert_cmpuint (server.requests->len, ==, 1);
  raw_send (client, "ACK EOT");
  raw_expect_eof (fixture, client);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);

  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_garbage (Fixture       *fixture,
                          gconstpointer  data)
{
  TestServer server;
  RawPeer *client;

  test_server_init (&server);
  client = raw_client_handshake (fixture, &server);

  raw_send (client, "RAW:garbage\r\n F:[1] RAW:zzz");
  raw_expect (fixture, client, "ACK F:{\"re\":[1]}");
  raw_send (client, "ACK RAW:\x7f\x01 F:[2]");
  raw_expect (fixture, client, "ACK F:{\"re\":[2]}");
  g_assert_cmpuint (server.requests->len, ==, 2);
  g_assert_cmpstr (server.requests->pdata[0], ==, "[1]");
  g_assert_cmpstr (server.requests->pdata[1], ==, "[2]");
  g_assert_null (server.reason);

  raw_send (client, "ACK");
  raw_peer_free (client);
  ev_test_wait_until (fixture->context, error_is_set, &server.reason, WAIT_MS, "server closed");
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED);
  test_server_clear (&server);
}

static void
test_link_server_oversize_frame (Fixture       *fixture,
                                 gconstpointer  data)
{
  TestServer server;
  RawPeer *client;
  g_autoptr(GByteArray) big = oversize_frame ();

  test_server_init (&server);
  client = raw_client_handshake (fixture, &server);

  raw_send_bytes (client, big->data, big->len);
  raw_expect (fixture, client, "NACK");
  g_assert_cmpuint (server.requests->len, ==, 0);

  /* The link survives it. */
  raw_send (client, "F:{\"type\":\"status\"}");
  raw_expect (fixture, client, "ACK F:{\"re\":{\"type\":\"status\"}}");
  g_assert_null (server.reason);

  raw_send (client, "ACK EOT");
  raw_expect_eof (fixture, client);
  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_too_many_bad_frames (Fixture       *fixture,
                                      gconstpointer  data)
{
  TestServer server;
  RawPeer *client;

  test_server_init (&server);
  client = raw_client_handshake (fixture, &server);

  raw_send (client, "BAD:{} BAD:{}");
  raw_expect (fixture, client, "NACK NACK");
  g_assert_null (server.reason);
  raw_send (client, "BAD:{}");
  raw_expect (fixture, client, "NACK EOT");
  raw_expect_eof (fixture, client);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_BAD_FRAMES);
  g_assert_cmpuint (server.requests->len, ==, 0);

  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_retransmits_response (Fixture       *fixture,
                                       gconstpointer  data)
{
  TestServer server;
  RawPeer *client;

  test_server_init (&server);
  client = raw_client_handshake (fixture, &server);

  raw_send (client, "F:[1]");
  raw_expect (fixture, client, "ACK F:{\"re\":[1]}");
  raw_send (client, "NACK");
  raw_expect (fixture, client, "F:{\"re\":[1]}");
  raw_send (client, "ACK F:[2]");
  raw_expect (fixture, client, "ACK F:{\"re\":[2]}");
  g_assert_cmpuint (server.requests->len, ==, 2);

  raw_send (client, "ACK EOT");
  raw_expect_eof (fixture, client);
  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_refuses (Fixture       *fixture,
                          gconstpointer  data)
{
  TestServer server;
  RawPeer *client;

  test_server_init (&server);
  server.refuse = TRUE;
  client = raw_client_new (server.port);
  ev_test_wait_until (fixture->context, server_has_link, &server, WAIT_MS, "accept");
  raw_send (client, "ENQ");
  raw_expect (fixture, client, "NACK");
  raw_expect_eof (fixture, client);
  g_assert_error (server.reason, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);

  raw_peer_free (client);
  test_server_clear (&server);
}

static void
test_link_server_refuses_evlink_client (Fixture       *fixture,
                                        gconstpointer  data)
{
  TestServer server;
  ConnectResult r;

  test_server_init (&server);
  server.refuse = TRUE;
  r = connect_port (fixture, server.port, 0);
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);
  g_clear_error (&r.error);
  ev_test_wait_until (fixture->context, error_is_set, &server.reason, WAIT_MS, "server closed");
  test_server_clear (&server);
}

#define ADD_LINK_TEST(path, func) \
  g_test_add ("/link/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/link-session/new-free", test_session_new_free);
  g_test_add_func ("/link-session/client-handshake", test_session_client_handshake);
  g_test_add_func ("/link-session/client-handshake-timeout", test_session_client_handshake_timeout);
  g_test_add_func ("/link-session/client-refused", test_session_client_refused);
  g_test_add_func ("/link-session/server-accept-refuse", test_session_server_accept_refuse);
  g_test_add_func ("/link-session/requests-in-order", test_session_requests_in_order);
  g_test_add_func ("/link-session/retransmit", test_session_retransmit);
  g_test_add_func ("/link-session/ack-and-response-timeouts", test_session_ack_and_response_timeouts);
  g_test_add_func ("/link-session/server-idle", test_session_server_idle);
  g_test_add_func ("/link-session/server-bad-frames", test_session_server_bad_frames);
  g_test_add_func ("/link-session/server-retransmits-response", test_session_server_retransmits_response);
  g_test_add_func ("/link-session/protocol-violations", test_session_protocol_violations);
  g_test_add_func ("/link-session/eot-and-close", test_session_eot_and_close);
  g_test_add_func ("/link-session/api-errors", test_session_api_errors);
  g_test_add_func ("/link-session/timeouts-settable", test_session_timeouts_settable);
  g_test_add_func ("/link-session/back-to-back", test_session_back_to_back);

  ADD_LINK_TEST ("new-destroy", test_link_new_destroy);
  ADD_LINK_TEST ("timeout-properties", test_link_timeout_properties);
  ADD_LINK_TEST ("request-response", test_link_request_response);
  ADD_LINK_TEST ("deferred-responses", test_link_deferred_responses);
  ADD_LINK_TEST ("connect-to-host", test_link_connect_to_host);
  ADD_LINK_TEST ("connect-refused-port", test_link_connect_refused_port);
  ADD_LINK_TEST ("connect-cancelled", test_link_connect_cancelled);
  ADD_LINK_TEST ("client/handshake-timeout", test_link_client_handshake_timeout);
  ADD_LINK_TEST ("client/enq-refused", test_link_client_enq_refused);
  ADD_LINK_TEST ("client/nack-recovers", test_link_client_nack_recovers);
  ADD_LINK_TEST ("client/nack-too-many", test_link_client_nack_too_many);
  ADD_LINK_TEST ("client/ack-timeout", test_link_client_ack_timeout);
  ADD_LINK_TEST ("client/response-timeout", test_link_client_response_timeout);
  ADD_LINK_TEST ("client/eot-from-server", test_link_client_eot_from_server);
  ADD_LINK_TEST ("client/response-split", test_link_client_response_split);
  ADD_LINK_TEST ("client/cancel", test_link_client_cancel);
  ADD_LINK_TEST ("server/idle-timeout", test_link_server_idle_timeout);
  ADD_LINK_TEST ("server/split-frame", test_link_server_split_frame);
  ADD_LINK_TEST ("server/garbage", test_link_server_garbage);
  ADD_LINK_TEST ("server/oversize-frame", test_link_server_oversize_frame);
  ADD_LINK_TEST ("server/too-many-bad-frames", test_link_server_too_many_bad_frames);
  ADD_LINK_TEST ("server/retransmits-response", test_link_server_retransmits_response);
  ADD_LINK_TEST ("server/refuses", test_link_server_refuses);
  ADD_LINK_TEST ("server/refuses-evlink-client", test_link_server_refuses_evlink_client);

  return g_test_run ();
}

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "ev-frame.h"
#include "ev-link-session.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("check failed: %s\n", #cond); abort (); } } G_STMT_END

/* A small deterministic generator, so the same input always splits the
 * same way and a crash reproduces. */
static guint32
next_random (guint32 *state)
{
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

static void
log_event_cb (const EvFrameEvent *event,
              gpointer            user_data)
{
  GString *log = user_data;

  g_string_append_c (log, (char) ('0' + event->type));
  switch (event->type)
    {
    case EV_FRAME_EVENT_FRAME:
      CHECK (event->len >= 1 && event->len <= EV_FRAME_MAX_DATA);
      CHECK (event->data[event->len] == '\0');
      CHECK (memchr (event->data, EV_FRAME_STX, event->len) == NULL);
      CHECK (memchr (event->data, EV_FRAME_ETX, event->len) == NULL);
      /* Whatever decodes as a frame encodes back into one. */
      CHECK (ev_frame_validate_data (event->data, event->len, NULL));
      g_string_append_len (log, event->data, event->len);
      break;
    case EV_FRAME_EVENT_BAD_FRAME:
      g_string_append_c (log, (char) ('0' + event->error));
      break;
    case EV_FRAME_EVENT_CONTROL:
      CHECK (ev_frame_is_control_byte (event->control));
      g_string_append_c (log, (char) event->control);
      break;
    default:
      abort ();
    }
  g_string_append_c (log, '|');
}

/* However the bytes are cut into reads, the decoder reports the same. */
static void
fuzz_decoder (const guint8 *data,
              size_t        size,
              guint32       seed)
{
  g_autoptr(GString) whole = g_string_new (NULL);
  g_autoptr(GString) chunked = g_string_new (NULL);
  g_autoptr(EvFrameDecoder) a = ev_frame_decoder_new (log_event_cb, whole);
  g_autoptr(EvFrameDecoder) b = ev_frame_decoder_new (log_event_cb, chunked);
  size_t pos = 0;

  ev_frame_decoder_feed (a, data, size);

  while (pos < size)
    {
      size_t chunk = 1 + next_random (&seed) % 64;

      chunk = MIN (chunk, size - pos);
      ev_frame_decoder_feed (b, data + pos, chunk);
      pos += chunk;
    }

  CHECK (g_string_equal (whole, chunked));
  CHECK (ev_frame_decoder_get_garbage_count (a) == ev_frame_decoder_get_garbage_count (b));
  CHECK (ev_frame_decoder_is_in_frame (a) == ev_frame_decoder_is_in_frame (b));
}

typedef struct {
  guint closed;
  gboolean closed_by_peer;
  guint established;
  gboolean respond_inline;
  gint64 now;
  GString *checked;
  EvFrameDecoder *checker;
  guint bad_output;
} SessionState;

static void
count_bad_output_cb (const EvFrameEvent *event,
                     gpointer            user_data)
{
  SessionState *st = user_data;

  if (event->type == EV_FRAME_EVENT_BAD_FRAME)
    st->bad_output++;
}

static void
established_cb (EvLinkSession *session,
                gpointer       user_data)
{
  SessionState *st = user_data;

  CHECK (st->closed == 0);
  st->established++;
}

static void
request_received_cb (EvLinkSession *session,
                     const char    *text,
                     gsize          len,
                     gpointer       user_data)
{
  SessionState *st = user_data;

  CHECK (ev_link_session_get_role (session) == EV_LINK_ROLE_SERVER);
  CHECK (st->established > 0);
  if (st->respond_inline)
    CHECK (ev_link_session_respond (session, "{\"status\":\"ok\"}", st->now, NULL));
}

static void
response_received_cb (EvLinkSession *session,
                      guint          request_id,
                      const char    *text,
                      gsize          len,
                      gpointer       user_data)
{
  CHECK (ev_link_session_get_role (session) == EV_LINK_ROLE_CLIENT);
  CHECK (request_id != 0);
  CHECK (strlen (text) <= len);
}

static void
closed_cb (EvLinkSession *session,
           const GError  *reason,
           gpointer       user_data)
{
  SessionState *st = user_data;

  CHECK (reason != NULL);
  st->closed++;
  /* Output still queued is dropped then, even mid-frame: nobody reads it. */
  st->closed_by_peer = g_error_matches (reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);
}

static const EvLinkSessionCallbacks fuzz_callbacks = {
  .established = established_cb,
  .request_received = request_received_cb,
  .response_received = response_received_cb,
  .closed = closed_cb,
};

/* Whatever the session writes must itself be well-formed: frames and
 * control bytes, no garbage, no bad frames. */
static void
drain (EvLinkSession *session,
       SessionState  *st,
       guint32       *seed)
{
  gsize len;
  const guint8 *out = ev_link_session_peek_output (session, &len);

  if (out == NULL)
    return;

  if (next_random (seed) % 2 == 0)
    {
      /* A partial write. */
      gsize n = next_random (seed) % (len + 1);

      ev_frame_decoder_feed (st->checker, out, n);
      ev_link_session_consume_output (session, n);
    }
  else
    {
      g_autoptr(GBytes) bytes = ev_link_session_take_output (session);

      out = g_bytes_get_data (bytes, &len);
      ev_frame_decoder_feed (st->checker, out, len);
    }
}

static void
fuzz_session (EvLinkRole    role,
              const guint8 *data,
              size_t        size,
              guint32       seed)
{
  SessionState st = { 0 };
  g_autoptr(EvLinkSession) session = ev_link_session_new (role, &fuzz_callbacks, &st);
  size_t pos = 0;

  st.checker = ev_frame_decoder_new (count_bad_output_cb, &st);
  ev_link_session_set_timeout (session, EV_LINK_TIMEOUT_ACK, 1000);
  ev_link_session_start (session, 0);

  while (pos < size)
    {
      guint8 op = data[pos++];
      gint64 deadline;

      st.respond_inline = (op & 0x80) != 0;

      switch (op % 6)
        {
        case 0:
          st.now += (gint64) (op + 1) * 50 * 1000;
          ev_link_session_tick (session, st.now);
          break;
        case 1:
          if (role == EV_LINK_ROLE_CLIENT)
            ev_link_session_request (session, "{\"type\":\"health\"}", st.now, NULL);
          else
            ev_link_session_respond (session, "{\"status\":\"ok\"}", st.now, NULL);
          break;
        case 2:
          if (role == EV_LINK_ROLE_CLIENT)
            ev_link_session_cancel_request (session, op / 6);
          break;
        default:
          {
            size_t chunk = 1 + next_random (&seed) % 48;

            chunk = MIN (chunk, size - pos);

            ev_link_session_receive (session, data + pos, chunk, st.now);
            pos += chunk;
          }
          break;
        }

      deadline = ev_link_session_get_deadline (session);
      CHECK (deadline == -1 || deadline >= 0);
      CHECK (st.closed <= 1);
      CHECK ((st.closed == 1) == (ev_link_session_get_state (session) == EV_LINK_SESSION_STATE_CLOSED));
      drain (session, &st, &seed);
    }

  ev_link_session_close (session);
  CHECK (st.closed == 1);
  ev_link_session_tick (session, G_MAXINT64 / 2);
  CHECK (st.closed == 1);
  CHECK (ev_link_session_get_deadline (session) == -1);

  while (ev_link_session_has_output (session))
    drain (session, &st, &seed);

  CHECK (st.bad_output == 0);
  CHECK (ev_frame_decoder_get_garbage_count (st.checker) == 0);
  CHECK (st.closed_by_peer || !ev_frame_decoder_is_in_frame (st.checker));
  ev_frame_decoder_free (st.checker);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint32 seed = 0x9e3779b9u ^ (guint32) size;

  for (size_t i = 0; i < MIN (size, (size_t) 4); i++)
    seed = seed * 31 + data[i];
  if (seed == 0)
    seed = 1;

  fuzz_decoder (data, size, seed);
  fuzz_session (EV_LINK_ROLE_CLIENT, data, size, seed);
  fuzz_session (EV_LINK_ROLE_SERVER, data, size, seed);

  return 0;
}

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ev-frame.h"
#include "ev-link-session.h"

G_DEFINE_QUARK (ev-link-error-quark, ev_link_error)

G_DEFINE_ENUM_TYPE (EvLinkRole, ev_link_role,
  G_DEFINE_ENUM_VALUE (EV_LINK_ROLE_CLIENT, "client"),
  G_DEFINE_ENUM_VALUE (EV_LINK_ROLE_SERVER, "server"))

#define N_TIMEOUTS (EV_LINK_TIMEOUT_IDLE + 1)

typedef struct {
  guint id;
  GBytes *frame;
} QueuedRequest;

/**
 * EvLinkSession:
 *
 * The session rules of docs/protocol.md, section 2, for one end of one
 * link. It owns no socket and reads no clock: its owner feeds it the bytes
 * that arrived and the current monotonic time, writes out what it asks
 * for, and calls ev_link_session_tick() at ev_link_session_get_deadline().
 * That keeps it cheap enough for Central to run thousands from one epoll
 * source, and lets tests drive it with a fake clock.
 */
struct _EvLinkSession
{
  EvLinkRole role;
  EvLinkSessionState state;
  const EvLinkSessionCallbacks *callbacks;
  gpointer user_data;

  EvFrameDecoder *decoder;
  GByteArray *output;
  guint timeouts_ms[N_TIMEOUTS];

  /* The time of the input being handled, for the callbacks of the decoder. */
  gint64 now;
  gint64 handshake_since;
  gint64 last_activity;

  /* The frame we sent last and wait an ACK or NACK for. */
  GBytes *tx_frame;
  guint tx_retransmits;
  gint64 tx_sent_at;

  /* Client: requests not sent yet, and the one on the wire. */
  GQueue queue;
  guint next_id;
  guint current_id;
  gboolean awaiting_response;
  gint64 response_since;

  gboolean input_seen;

  /* Server. */
  gboolean request_open;
  guint bad_in_a_row;
};

static void
queued_request_free (QueuedRequest *request)
{
  g_bytes_unref (request->frame);
  g_free (request);
}

static void
append_byte (EvLinkSession *self,
             guint8         byte)
{
  g_byte_array_append (self->output, &byte, 1);
}

static void
append_bytes (EvLinkSession *self,
              GBytes        *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_byte_array_append (self->output, data, len);
}

static void
close_session (EvLinkSession *self,
               GError        *reason,
               gboolean       send_eot,
               gboolean       discard_output)
{
  g_autoptr(GError) owned_reason = reason;

  if (self->state == EV_LINK_SESSION_STATE_CLOSED)
    return;

  self->state = EV_LINK_SESSION_STATE_CLOSED;

  if (discard_output)
    g_byte_array_set_size (self->output, 0);
  if (send_eot)
    append_byte (self, EV_FRAME_EOT);

  g_clear_pointer (&self->tx_frame, g_bytes_unref);
  g_queue_clear_full (&self->queue, (GDestroyNotify) queued_request_free);
  self->current_id = 0;
  self->awaiting_response = FALSE;
  self->request_open = FALSE;

  if (self->callbacks->closed != NULL)
    self->callbacks->closed (self, owned_reason, self->user_data);
}

static void
protocol_violation (EvLinkSession *self,
                    const char    *message)
{
  close_session (self, g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_PROTOCOL, message),
                 TRUE, FALSE);
}

/* A TLS record begins with its type (alert 0x15, handshake 0x16) and the
 * major version 3. In the plain protocol 0x15 is NACK, but NACK is never
 * followed by ETX (0x03). */
static gboolean
looks_like_tls (const guint8 *data,
                gsize         len)
{
  return len >= 2 && (data[0] == 0x15 || data[0] == 0x16) && data[1] == 0x03;
}

static void
tls_mismatch (EvLinkSession *self)
{
  const char *message = self->role == EV_LINK_ROLE_CLIENT
    ? _("The server expects TLS: connect with TLS (--tls and --tls-ca or --tls-fingerprint)")
    : _("The peer speaks TLS, but this port takes plain links");

  close_session (self, g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_TLS_MISMATCH, message),
                 FALSE, TRUE);
}

static void
send_frame (EvLinkSession *self,
            GBytes        *frame)
{
  g_assert (self->tx_frame == NULL);

  self->tx_frame = frame;
  self->tx_retransmits = 0;
  self->tx_sent_at = self->now;
  append_bytes (self, frame);
}

/* One request on the wire at a time: the next one leaves once the
 * response to the previous one has arrived. */
static void
pump_queue (EvLinkSession *self)
{
  QueuedRequest *request;

  if (self->role != EV_LINK_ROLE_CLIENT ||
      self->state != EV_LINK_SESSION_STATE_ESTABLISHED ||
      self->current_id != 0)
    return;

  request = g_queue_pop_head (&self->queue);
  if (request == NULL)
    return;

  self->current_id = request->id;
  send_frame (self, g_steal_pointer (&request->frame));
  g_free (request);
}

static void
establish (EvLinkSession *self)
{
  self->state = EV_LINK_SESSION_STATE_ESTABLISHED;
  self->last_activity = self->now;

  if (self->callbacks->established != NULL)
    self->callbacks->established (self, self->user_data);

  pump_queue (self);
}

static void
handle_enq (EvLinkSession *self)
{
  if (self->role != EV_LINK_ROLE_SERVER)
    return;

  if (self->state == EV_LINK_SESSION_STATE_ESTABLISHED)
    {
      /* A repeated ENQ is harmless: confirm again. */
      append_byte (self, EV_FRAME_ACK);
      return;
    }

  if (self->callbacks->accept != NULL &&
      !self->callbacks->accept (self, self->user_data))
    {
      append_byte (self, EV_FRAME_NACK);
      close_session (self,
                     g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_REFUSED,
                                          _("The link was refused")),
                     FALSE, FALSE);
      return;
    }

  if (self->state != EV_LINK_SESSION_STATE_HANDSHAKE)
    return;

  append_byte (self, EV_FRAME_ACK);
  establish (self);
}

static void
handle_ack (EvLinkSession *self)
{
  if (self->state == EV_LINK_SESSION_STATE_HANDSHAKE)
    {
      if (self->role == EV_LINK_ROLE_CLIENT)
        establish (self);
      return;
    }

  /* A stray ACK (nothing outstanding) is ignored, like garbage. */
  if (self->tx_frame == NULL)
    return;

  g_clear_pointer (&self->tx_frame, g_bytes_unref);

  if (self->role == EV_LINK_ROLE_CLIENT)
    {
      self->awaiting_response = TRUE;
      self->response_since = self->now;
    }
}

static void
handle_nack (EvLinkSession *self)
{
  if (self->state == EV_LINK_SESSION_STATE_HANDSHAKE)
    {
      if (self->role == EV_LINK_ROLE_CLIENT)
        close_session (self,
                       g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_REFUSED,
                                            _("The server refused the link")),
                       FALSE, FALSE);
      return;
    }

  if (self->tx_frame == NULL)
    return;

  if (self->tx_retransmits >= EV_LINK_MAX_RETRANSMITS)
    {
      close_session (self,
                     g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_NACKS,
                                          _("The peer kept rejecting a frame after its last retransmission")),
                     TRUE, FALSE);
      return;
    }

  self->tx_retransmits++;
  self->tx_sent_at = self->now;
  append_bytes (self, self->tx_frame);
}

static void
handle_control (EvLinkSession *self,
                guint8         control)
{
  switch (control)
    {
    case EV_FRAME_EOT:
      close_session (self,
                     g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_EOT,
                                          _("The peer ended the session")),
                     FALSE, TRUE);
      break;
    case EV_FRAME_ENQ:
      handle_enq (self);
      break;
    case EV_FRAME_ACK:
      handle_ack (self);
      break;
    case EV_FRAME_NACK:
      handle_nack (self);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
handle_bad_frame (EvLinkSession *self)
{
  if (self->state != EV_LINK_SESSION_STATE_ESTABLISHED)
    {
      protocol_violation (self, _("The peer sent a frame before the handshake"));
      return;
    }

  append_byte (self, EV_FRAME_NACK);

  if (self->role == EV_LINK_ROLE_SERVER &&
      ++self->bad_in_a_row >= EV_LINK_MAX_BAD_FRAMES)
    close_session (self,
                   g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_BAD_FRAMES,
                                        _("The peer sent too many bad frames in a row")),
                   TRUE, FALSE);
}

static void
handle_frame (EvLinkSession *self,
              const char    *text,
              gsize          len)
{
  if (self->state != EV_LINK_SESSION_STATE_ESTABLISHED)
    {
      protocol_violation (self, _("The peer sent a frame before the handshake"));
      return;
    }

  /* The frame is well formed, so it is ACKed before anything else even
   * when it breaks the session rules. */
  append_byte (self, EV_FRAME_ACK);

  if (self->role == EV_LINK_ROLE_SERVER)
    {
      self->bad_in_a_row = 0;

      if (self->request_open || self->tx_frame != NULL)
        {
          protocol_violation (self, _("The peer sent a request while another one was open"));
          return;
        }

      self->request_open = TRUE;
      if (self->callbacks->request_received != NULL)
        self->callbacks->request_received (self, text, len, self->user_data);
    }
  else
    {
      guint id = self->current_id;

      if (!self->awaiting_response)
        {
          protocol_violation (self, _("The peer sent a frame that answers no request"));
          return;
        }

      self->awaiting_response = FALSE;
      self->current_id = 0;

      if (self->callbacks->response_received != NULL)
        self->callbacks->response_received (self, id, text, len, self->user_data);

      pump_queue (self);
    }
}

static void
decoder_cb (const EvFrameEvent *event,
            gpointer            user_data)
{
  EvLinkSession *self = user_data;

  if (self->state == EV_LINK_SESSION_STATE_CLOSED)
    return;

  switch (event->type)
    {
    case EV_FRAME_EVENT_CONTROL:
      handle_control (self, event->control);
      break;
    case EV_FRAME_EVENT_BAD_FRAME:
      handle_bad_frame (self);
      break;
    case EV_FRAME_EVENT_FRAME:
      handle_frame (self, event->data, event->len);
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * ev_link_session_new:
 * @role: which end of the link this is
 * @callbacks: (not nullable): the owner's callbacks; must outlive the session
 * @user_data: passed to every callback
 *
 * Creates a session in %EV_LINK_SESSION_STATE_NEW with the default
 * timeouts. Call ev_link_session_start() once the connection exists.
 *
 * Returns: (transfer full): a new session
 */
EvLinkSession *
ev_link_session_new (EvLinkRole                    role,
                     const EvLinkSessionCallbacks *callbacks,
                     gpointer                      user_data)
{
  EvLinkSession *self;

  g_return_val_if_fail (role == EV_LINK_ROLE_CLIENT || role == EV_LINK_ROLE_SERVER, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  self = g_new0 (EvLinkSession, 1);
  self->role = role;
  self->state = EV_LINK_SESSION_STATE_NEW;
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->decoder = ev_frame_decoder_new (decoder_cb, self);
  self->output = g_byte_array_new ();
  self->timeouts_ms[EV_LINK_TIMEOUT_HANDSHAKE] = EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_ACK] = EV_LINK_DEFAULT_ACK_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_RESPONSE] = EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_IDLE] = EV_LINK_DEFAULT_IDLE_TIMEOUT_MS;
  g_queue_init (&self->queue);

  return self;
}

/**
 * ev_link_session_free:
 * @self: (transfer full): a session
 *
 * Frees @self without calling any callback. Not to be called from one of
 * its callbacks.
 */
void
ev_link_session_free (EvLinkSession *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->decoder, ev_frame_decoder_free);
  g_clear_pointer (&self->output, g_byte_array_unref);
  g_clear_pointer (&self->tx_frame, g_bytes_unref);
  g_queue_clear_full (&self->queue, (GDestroyNotify) queued_request_free);
  g_free (self);
}

/**
 * ev_link_session_get_role:
 * @self: a session
 *
 * Returns: which end of the link @self is
 */
EvLinkRole
ev_link_session_get_role (EvLinkSession *self)
{
  g_return_val_if_fail (self != NULL, EV_LINK_ROLE_CLIENT);

  return self->role;
}

/**
 * ev_link_session_get_state:
 * @self: a session
 *
 * Returns: where the session stands
 */
EvLinkSessionState
ev_link_session_get_state (EvLinkSession *self)
{
  g_return_val_if_fail (self != NULL, EV_LINK_SESSION_STATE_CLOSED);

  return self->state;
}

/**
 * ev_link_session_set_timeout:
 * @self: a session
 * @which: the timeout to set
 * @timeout_ms: the new timeout in milliseconds, 0 for none
 *
 * Changes a timeout. A timer already running is measured against the new
 * value from the time it started; ev_link_session_get_deadline() tells
 * the owner when to tick next.
 */
void
ev_link_session_set_timeout (EvLinkSession *self,
                             EvLinkTimeout  which,
                             guint          timeout_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail ((unsigned) which < N_TIMEOUTS);

  self->timeouts_ms[which] = timeout_ms;
}

/**
 * ev_link_session_get_timeout:
 * @self: a session
 * @which: a timeout
 *
 * Returns: the timeout in milliseconds, 0 for none
 */
guint
ev_link_session_get_timeout (EvLinkSession *self,
                             EvLinkTimeout  which)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail ((unsigned) which < N_TIMEOUTS, 0);

  return self->timeouts_ms[which];
}

/**
 * ev_link_session_start:
 * @self: a session in %EV_LINK_SESSION_STATE_NEW
 * @now_us: the current monotonic time, in microseconds
 *
 * Starts the handshake: a client queues ENQ for output; both roles start
 * the handshake timer.
 */
void
ev_link_session_start (EvLinkSession *self,
                       gint64         now_us)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == EV_LINK_SESSION_STATE_NEW);

  self->state = EV_LINK_SESSION_STATE_HANDSHAKE;
  self->now = now_us;
  self->handshake_since = now_us;
  self->last_activity = now_us;

  if (self->role == EV_LINK_ROLE_CLIENT)
    append_byte (self, EV_FRAME_ENQ);
}

/**
 * ev_link_session_receive:
 * @self: a started session
 * @data: (array length=len): bytes as they arrived from the peer
 * @len: the length of @data
 * @now_us: the current monotonic time, in microseconds
 *
 * Handles bytes from the peer, in chunks of any size. Callbacks run from
 * here; afterwards, write out what ev_link_session_peek_output() holds.
 * Bytes that arrive after the session closed are ignored.
 */
void
ev_link_session_receive (EvLinkSession *self,
                         const void    *data,
                         gsize          len,
                         gint64         now_us)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (self->state != EV_LINK_SESSION_STATE_NEW);

  if (self->state == EV_LINK_SESSION_STATE_CLOSED || len == 0)
    return;

  self->now = now_us;
  self->last_activity = now_us;
  if (!self->input_seen)
    {
      self->input_seen = TRUE;
      if (self->state == EV_LINK_SESSION_STATE_HANDSHAKE && looks_like_tls (data, len))
        {
          tls_mismatch (self);
          return;
        }
    }
  ev_frame_decoder_feed (self->decoder, data, len);
}

static gint64
deadline_of (EvLinkSession *self,
             EvLinkTimeout  which,
             gint64         since)
{
  guint ms = self->timeouts_ms[which];

  return ms == 0 ? -1 : since + (gint64) ms * 1000;
}

static void
pick_earliest (gint64        *earliest,
               EvLinkTimeout *which,
               gint64         deadline,
               EvLinkTimeout  candidate)
{
  if (deadline >= 0 && (*earliest < 0 || deadline < *earliest))
    {
      *earliest = deadline;
      *which = candidate;
    }
}

static gint64
next_deadline (EvLinkSession *self,
               EvLinkTimeout *which)
{
  gint64 earliest = -1;

  switch (self->state)
    {
    case EV_LINK_SESSION_STATE_HANDSHAKE:
      pick_earliest (&earliest, which,
                     deadline_of (self, EV_LINK_TIMEOUT_HANDSHAKE, self->handshake_since),
                     EV_LINK_TIMEOUT_HANDSHAKE);
      break;

    case EV_LINK_SESSION_STATE_ESTABLISHED:
      if (self->tx_frame != NULL)
        pick_earliest (&earliest, which,
                       deadline_of (self, EV_LINK_TIMEOUT_ACK, self->tx_sent_at),
                       EV_LINK_TIMEOUT_ACK);
      if (self->awaiting_response)
        pick_earliest (&earliest, which,
                       deadline_of (self, EV_LINK_TIMEOUT_RESPONSE, self->response_since),
                       EV_LINK_TIMEOUT_RESPONSE);
      /* A client waiting for our response is silent for a good reason. */
      if (self->role == EV_LINK_ROLE_SERVER && !self->request_open && self->tx_frame == NULL)
        pick_earliest (&earliest, which,
                       deadline_of (self, EV_LINK_TIMEOUT_IDLE, self->last_activity),
                       EV_LINK_TIMEOUT_IDLE);
      break;

    case EV_LINK_SESSION_STATE_NEW:
    case EV_LINK_SESSION_STATE_CLOSED:
    default:
      break;
    }

  return earliest;
}

/**
 * ev_link_session_get_deadline:
 * @self: a session
 *
 * Returns: the monotonic time in microseconds at which the owner must call
 *   ev_link_session_tick(), or -1 if no timer runs. It changes after
 *   every input.
 */
gint64
ev_link_session_get_deadline (EvLinkSession *self)
{
  EvLinkTimeout which;

  g_return_val_if_fail (self != NULL, -1);

  return next_deadline (self, &which);
}

/**
 * ev_link_session_tick:
 * @self: a session
 * @now_us: the current monotonic time, in microseconds
 *
 * Lets time pass: closes the session (sending EOT) if a timer expired.
 */
void
ev_link_session_tick (EvLinkSession *self,
                      gint64         now_us)
{
  EvLinkTimeout which = EV_LINK_TIMEOUT_HANDSHAKE;
  gint64 deadline;
  guint ms;
  GError *reason = NULL;

  g_return_if_fail (self != NULL);

  deadline = next_deadline (self, &which);
  if (deadline < 0 || now_us < deadline)
    return;

  self->now = now_us;
  ms = self->timeouts_ms[which];

  switch (which)
    {
    case EV_LINK_TIMEOUT_HANDSHAKE:
      reason = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT,
                            _("The handshake did not complete within %u ms"), ms);
      break;
    case EV_LINK_TIMEOUT_ACK:
      reason = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_ACK_TIMEOUT,
                            _("A frame was not acknowledged within %u ms"), ms);
      break;
    case EV_LINK_TIMEOUT_RESPONSE:
      reason = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_RESPONSE_TIMEOUT,
                            _("No response arrived within %u ms"), ms);
      break;
    case EV_LINK_TIMEOUT_IDLE:
      reason = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT,
                            _("The peer sent nothing for %u ms"), ms);
      break;
    default:
      g_assert_not_reached ();
    }

  close_session (self, reason, TRUE, FALSE);
}

/**
 * ev_link_session_peer_closed:
 * @self: a session
 *
 * Tells the session that the connection ended (end of stream). It closes
 * with %EV_LINK_ERROR_PEER_CLOSED unless it was closed already.
 */
void
ev_link_session_peer_closed (EvLinkSession *self)
{
  g_return_if_fail (self != NULL);

  close_session (self,
                 g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                                      _("The peer closed the connection")),
                 FALSE, TRUE);
}

/**
 * ev_link_session_fail:
 * @self: a session
 * @reason: why the connection cannot go on, such as an I/O error
 *
 * Closes the session with a copy of @reason, sending nothing more.
 */
void
ev_link_session_fail (EvLinkSession *self,
                      const GError  *reason)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (reason != NULL);

  close_session (self, g_error_copy (reason), FALSE, TRUE);
}

/**
 * ev_link_session_close:
 * @self: a session
 *
 * Ends the session from this side: queues EOT after any pending output
 * and closes with %EV_LINK_ERROR_CLOSED. The owner then flushes the output
 * and closes the connection.
 */
void
ev_link_session_close (EvLinkSession *self)
{
  g_return_if_fail (self != NULL);

  close_session (self,
                 g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                                      _("The link was closed")),
                 TRUE, FALSE);
}

/**
 * ev_link_session_request:
 * @self: a client session
 * @json: the request, one JSON object
 * @now_us: the current monotonic time, in microseconds
 * @error: return location for a #GError
 *
 * Queues a request. It leaves as soon as the handshake is done and every
 * earlier request has its response, which arrives through
 * #EvLinkSessionCallbacks.response_received with the returned id.
 *
 * Returns: the request's id (never 0), or 0 with @error set if @json
 *   cannot be framed or the session is closed
 */
guint
ev_link_session_request (EvLinkSession  *self,
                         const char     *json,
                         gint64          now_us,
                         GError        **error)
{
  QueuedRequest *request;
  GBytes *frame;
  guint id;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (self->role == EV_LINK_ROLE_CLIENT, 0);
  g_return_val_if_fail (json != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (self->state == EV_LINK_SESSION_STATE_CLOSED)
    {
      g_set_error_literal (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                           _("The link was closed"));
      return 0;
    }

  frame = ev_frame_encode (json, strlen (json), error);
  if (frame == NULL)
    return 0;

  if (++self->next_id == 0)
    self->next_id = 1;

  id = self->next_id;
  request = g_new0 (QueuedRequest, 1);
  request->id = id;
  request->frame = frame;
  g_queue_push_tail (&self->queue, request);

  self->now = now_us;
  pump_queue (self);

  return id;
}

/**
 * ev_link_session_cancel_request:
 * @self: a client session
 * @request_id: an id from ev_link_session_request()
 *
 * Withdraws a request that has not been sent yet. A request already sent
 * cannot be withdrawn: its response will still arrive.
 *
 * Returns: %TRUE if the request was withdrawn
 */
gboolean
ev_link_session_cancel_request (EvLinkSession *self,
                                guint          request_id)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      QueuedRequest *request = l->data;

      if (request->id == request_id)
        {
          g_queue_delete_link (&self->queue, l);
          queued_request_free (request);
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * ev_link_session_get_n_queued:
 * @self: a client session
 *
 * Returns: how many requests wait for an earlier one to be answered
 */
guint
ev_link_session_get_n_queued (EvLinkSession *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->queue.length;
}

/**
 * ev_link_session_respond:
 * @self: a server session
 * @json: the response, one JSON object
 * @now_us: the current monotonic time, in microseconds
 * @error: return location for a #GError
 *
 * Answers the open request. If @json cannot be framed the request stays
 * open, so another response can be given.
 *
 * Returns: %TRUE if the response was queued for output
 */
gboolean
ev_link_session_respond (EvLinkSession  *self,
                         const char     *json,
                         gint64          now_us,
                         GError        **error)
{
  GBytes *frame;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->role == EV_LINK_ROLE_SERVER, FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state == EV_LINK_SESSION_STATE_CLOSED)
    {
      g_set_error_literal (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                           _("The link was closed"));
      return FALSE;
    }

  if (!self->request_open)
    {
      g_set_error_literal (error, EV_LINK_ERROR, EV_LINK_ERROR_NO_REQUEST,
                           _("There is no request to respond to"));
      return FALSE;
    }

  frame = ev_frame_encode (json, strlen (json), error);
  if (frame == NULL)
    return FALSE;

  self->now = now_us;
  self->request_open = FALSE;
  self->last_activity = now_us;
  send_frame (self, frame);

  return TRUE;
}

/**
 * ev_link_session_has_output:
 * @self: a session
 *
 * Returns: %TRUE if bytes wait to be written to the peer
 */
gboolean
ev_link_session_has_output (EvLinkSession *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->output->len > 0;
}

/**
 * ev_link_session_peek_output:
 * @self: a session
 * @len: (out): how many bytes wait
 *
 * Returns: (array length=len) (transfer none) (nullable): the bytes to
 *   write, valid until the next call on @self; %NULL if there are none
 */
const guint8 *
ev_link_session_peek_output (EvLinkSession *self,
                             gsize         *len)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (len != NULL, NULL);

  *len = self->output->len;
  return self->output->len > 0 ? self->output->data : NULL;
}

/**
 * ev_link_session_consume_output:
 * @self: a session
 * @n: how many bytes of the output were written
 *
 * Drops the first @n bytes of the output, after a (possibly partial) write.
 */
void
ev_link_session_consume_output (EvLinkSession *self,
                                gsize          n)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (n <= self->output->len);

  if (n > 0)
    g_byte_array_remove_range (self->output, 0, (guint) n);
}

/**
 * ev_link_session_take_output:
 * @self: a session
 *
 * Takes all the bytes that wait to be written.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL if there are none
 */
GBytes *
ev_link_session_take_output (EvLinkSession *self)
{
  GByteArray *taken;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->output->len == 0)
    return NULL;

  taken = g_steal_pointer (&self->output);
  self->output = g_byte_array_new ();

  return g_byte_array_free_to_bytes (taken);
}

/**
 * ev_link_session_get_garbage_count:
 * @self: a session
 *
 * Returns: how many bytes between frames were ignored because they were
 *   neither a frame nor a control byte
 */
guint64
ev_link_session_get_garbage_count (EvLinkSession *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ev_frame_decoder_get_garbage_count (self->decoder);
}

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS 5000
#define EV_LINK_DEFAULT_ACK_TIMEOUT_MS       5000
#define EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS  10000
#define EV_LINK_DEFAULT_IDLE_TIMEOUT_MS      10000

/* A NACKed frame is sent again this many times before the link closes. */
#define EV_LINK_MAX_RETRANSMITS 3
/* A server closes a link after NACKing this many frames in a row. */
#define EV_LINK_MAX_BAD_FRAMES  3

#define EV_LINK_ERROR (ev_link_error_quark ())

/**
 * EvLinkError:
 * @EV_LINK_ERROR_CLOSED: this side closed the link, or the link is closed.
 * @EV_LINK_ERROR_EOT: the peer ended the session with EOT.
 * @EV_LINK_ERROR_PEER_CLOSED: the connection ended without EOT.
 * @EV_LINK_ERROR_REFUSED: the server answered ENQ with NACK.
 * @EV_LINK_ERROR_HANDSHAKE_TIMEOUT: the ENQ handshake did not complete in time.
 * @EV_LINK_ERROR_ACK_TIMEOUT: a frame sent was neither ACKed nor NACKed in time.
 * @EV_LINK_ERROR_RESPONSE_TIMEOUT: a request got no response in time.
 * @EV_LINK_ERROR_IDLE_TIMEOUT: the client sent nothing for too long.
 * @EV_LINK_ERROR_TOO_MANY_NACKS: a frame was NACKed again after its last
 *   retransmission.
 * @EV_LINK_ERROR_TOO_MANY_BAD_FRAMES: the peer sent too many bad frames in
 *   a row.
 * @EV_LINK_ERROR_PROTOCOL: the peer broke the session rules.
 * @EV_LINK_ERROR_NO_REQUEST: a response was given with no request to answer.
 * @EV_LINK_ERROR_NOT_AUTHENTICATED: server: the client did not authenticate
 *   in time, or was one unauthenticated link too many from its address.
 * @EV_LINK_ERROR_TLS_MISMATCH: one end speaks TLS and the other the plain
 *   protocol (a TLS record arrived during the plain handshake).
 *
 * Why a link closed, or why an operation on it failed.
 */
typedef enum {
  EV_LINK_ERROR_CLOSED,
  EV_LINK_ERROR_EOT,
  EV_LINK_ERROR_PEER_CLOSED,
  EV_LINK_ERROR_REFUSED,
  EV_LINK_ERROR_HANDSHAKE_TIMEOUT,
  EV_LINK_ERROR_ACK_TIMEOUT,
  EV_LINK_ERROR_RESPONSE_TIMEOUT,
  EV_LINK_ERROR_IDLE_TIMEOUT,
  EV_LINK_ERROR_TOO_MANY_NACKS,
  EV_LINK_ERROR_TOO_MANY_BAD_FRAMES,
  EV_LINK_ERROR_PROTOCOL,
  EV_LINK_ERROR_NO_REQUEST,
  EV_LINK_ERROR_NOT_AUTHENTICATED,
  EV_LINK_ERROR_TLS_MISMATCH,
} EvLinkError;

GQuark ev_link_error_quark (void);

/**
 * EvLinkRole:
 * @EV_LINK_ROLE_CLIENT: sends ENQ, then requests (the monitor).
 * @EV_LINK_ROLE_SERVER: answers ENQ, then responds (Central, the engine).
 *
 * Which end of a link a session is.
 */
typedef enum {
  EV_LINK_ROLE_CLIENT,
  EV_LINK_ROLE_SERVER,
} EvLinkRole;

#define EV_TYPE_LINK_ROLE (ev_link_role_get_type ())
GType ev_link_role_get_type (void);

/**
 * EvLinkSessionState:
 * @EV_LINK_SESSION_STATE_NEW: not started.
 * @EV_LINK_SESSION_STATE_HANDSHAKE: waiting for ENQ (server) or its answer (client).
 * @EV_LINK_SESSION_STATE_ESTABLISHED: frames flow.
 * @EV_LINK_SESSION_STATE_CLOSED: over; only output may remain to flush.
 */
typedef enum {
  EV_LINK_SESSION_STATE_NEW,
  EV_LINK_SESSION_STATE_HANDSHAKE,
  EV_LINK_SESSION_STATE_ESTABLISHED,
  EV_LINK_SESSION_STATE_CLOSED,
} EvLinkSessionState;

/**
 * EvLinkTimeout:
 * @EV_LINK_TIMEOUT_HANDSHAKE: from start to the end of the ENQ handshake.
 * @EV_LINK_TIMEOUT_ACK: from sending a frame to its ACK or NACK.
 * @EV_LINK_TIMEOUT_RESPONSE: client: from a request's ACK to its response.
 * @EV_LINK_TIMEOUT_IDLE: server: silence allowed while no request is open.
 */
typedef enum {
  EV_LINK_TIMEOUT_HANDSHAKE,
  EV_LINK_TIMEOUT_ACK,
  EV_LINK_TIMEOUT_RESPONSE,
  EV_LINK_TIMEOUT_IDLE,
} EvLinkTimeout;

typedef struct _EvLinkSession EvLinkSession;

/**
 * EvLinkSessionCallbacks:
 * @accept: (nullable): server: whether to accept a client's ENQ; %NULL
 *   accepts every client
 * @established: the ENQ handshake succeeded
 * @request_received: server: a request frame arrived (and was ACKed);
 *   answer it with ev_link_session_respond()
 * @response_received: client: the response to request @request_id arrived
 * @closed: the session is over; @reason says why. Called exactly once.
 *
 * What a session tells its owner. @text is valid only during the call and
 * is NUL-terminated. The callbacks may call back into the session, but
 * must not free it.
 */
typedef struct {
  gboolean (*accept)            (EvLinkSession *session,
                                 gpointer       user_data);
  void     (*established)       (EvLinkSession *session,
                                 gpointer       user_data);
  void     (*request_received)  (EvLinkSession *session,
                                 const char    *text,
                                 gsize          len,
                                 gpointer       user_data);
  void     (*response_received) (EvLinkSession *session,
                                 guint          request_id,
                                 const char    *text,
                                 gsize          len,
                                 gpointer       user_data);
  void     (*closed)            (EvLinkSession *session,
                                 const GError  *reason,
                                 gpointer       user_data);
} EvLinkSessionCallbacks;

EvLinkSession      *ev_link_session_new             (EvLinkRole                    role,
                                                     const EvLinkSessionCallbacks *callbacks,
                                                     gpointer                      user_data);
void                ev_link_session_free            (EvLinkSession                *self);

EvLinkRole          ev_link_session_get_role        (EvLinkSession                *self);
EvLinkSessionState  ev_link_session_get_state       (EvLinkSession                *self);
void                ev_link_session_set_timeout     (EvLinkSession                *self,
                                                     EvLinkTimeout                 which,
                                                     guint                         timeout_ms);
guint               ev_link_session_get_timeout     (EvLinkSession                *self,
                                                     EvLinkTimeout                 which);

void                ev_link_session_start           (EvLinkSession                *self,
                                                     gint64                        now_us);
void                ev_link_session_receive         (EvLinkSession                *self,
                                                     const void                   *data,
                                                     gsize                         len,
                                                     gint64                        now_us);
void                ev_link_session_tick            (EvLinkSession                *self,
                                                     gint64                        now_us);
gint64              ev_link_session_get_deadline    (EvLinkSession                *self);
void                ev_link_session_peer_closed     (EvLinkSession                *self);
void                ev_link_session_fail            (EvLinkSession                *self,
                                                     const GError                 *reason);
void                ev_link_session_close           (EvLinkSession                *self);

guint               ev_link_session_request         (EvLinkSession                *self,
                                                     const char                   *json,
                                                     gint64                        now_us,
                                                     GError                      **error);
gboolean            ev_link_session_cancel_request  (EvLinkSession                *self,
                                                     guint                         request_id);
guint               ev_link_session_get_n_queued    (EvLinkSession                *self);
gboolean            ev_link_session_respond         (EvLinkSession                *self,
                                                     const char                   *json,
                                                     gint64                        now_us,
                                                     GError                      **error);

gboolean            ev_link_session_has_output      (EvLinkSession                *self);
const guint8       *ev_link_session_peek_output     (EvLinkSession                *self,
                                                     gsize                        *len);
void                ev_link_session_consume_output  (EvLinkSession                *self,
                                                     gsize                         n);
GBytes             *ev_link_session_take_output     (EvLinkSession                *self);

guint64             ev_link_session_get_garbage_count (EvLinkSession              *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvLinkSession, ev_link_session_free)

G_END_DECLS

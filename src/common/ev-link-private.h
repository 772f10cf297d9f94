/* ev-link-private.h: what the files of EvLink share: its structure and its
 * internal functions. */

#pragma once

#include "ev-link.h"

#include "ev-frame.h"
#include "ev-tls.h"

G_BEGIN_DECLS

/* Enough for a whole frame, so a frame usually arrives in one read. */
#define READ_CHUNK (EV_FRAME_MAX_DATA + EV_FRAME_OVERHEAD)

/**
 * EvLink:
 *
 * One framed TCP link (docs/protocol.md, section 2) over a #GIOStream,
 * driven by GIO async I/O on the thread-default main context of its
 * creator. The session rules live in #EvLinkSession; this object only
 * moves bytes and time in and out of it.
 *
 * A client link is made with ev_link_connect_async(), which completes once
 * the server accepted the ENQ handshake; it sends requests with
 * ev_link_request_async(). A server link wraps an accepted connection
 * with ev_link_new_server(); it emits #EvLink::request for every request,
 * answered with ev_link_respond().
 */
struct _EvLink
{
  GObject parent_instance;

  EvLinkRole role;
  GIOStream *stream;
  GMainContext *context;
  GCancellable *cancellable;
  EvLinkSession *session;
  guint timeouts_ms[EV_LINK_TIMEOUT_IDLE + 1];

  GSource *timer;
  gint64 timer_deadline;

  /* Bytes handed to the output stream and not confirmed written yet. */
  GBytes *writing;
  gboolean write_failed;
  gboolean stream_closing;

  gboolean was_established;
  GError *close_reason;
  /* Client: request id → GTask, for requests not answered yet. */
  GHashTable *requests;
};

typedef struct {
  guint id;
  GSource *cancel_source;
} RequestData;

typedef struct {
  EvLink *link;
  EvTlsClient *tls;
  GSocketConnectable *address;
  guint handshake_timeout_ms;
  gulong established_id;
  gulong closed_id;
  GSource *cancel_source;
} ConnectData;



G_END_DECLS

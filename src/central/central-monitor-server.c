/* accept4() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "central-monitor-server.h"
#include "ev-epoll-source.h"
#include "ev-tls.h"

#define N_TIMEOUTS (EV_LINK_TIMEOUT_IDLE + 1)
#define LISTEN_BACKLOG 4096
#define MAX_EVENTS 256
#define READ_CHUNK 16384
/* Reading stops after this much from one link in one wakeup, so a flood
 * on one link cannot starve the others (level-triggered: the rest waits). */
#define MAX_READ_PER_WAKEUP (4 * READ_CHUNK)
/* Out of descriptors: stop accepting for this long, or until a link closes. */
#define ACCEPT_PAUSE_US (100 * G_TIME_SPAN_MILLISECOND)
#define AUTH_RECHECK_US (500 * G_TIME_SPAN_MILLISECOND)

/**
 * CentralMonitorServer:
 *
 * Central's end of the monitor links (docs/protocol.md, section 2), built
 * to hold tens of thousands of them on the main context.
 *
 * Every socket, the listening one included, is non-blocking and sits in
 * one epoll set, and that one descriptor is the only thing GLib polls: a
 * single #GSource watches it and also carries, as its ready time, the
 * earliest session deadline. The epoll set is level-triggered, so a
 * wakeup may read a bounded amount from each link and leave the rest for
 * the next one without losing an edge. EPOLLOUT is watched only while a
 * link has output the kernel did not take.
 *
 * Session timers live in a binary min-heap keyed by
 * ev_link_session_get_deadline(): every input or output on a link
 * re-keys that link (O(log n)), and a wakeup ticks only the links whose
 * deadline has passed, never scanning the others.
 *
 * When a session closes, its last bytes (an EOT or a NACK) are written
 * once, as far as the kernel takes them, and the socket is closed at
 * once; a peer that stopped reading loses them.
 *
 * Link records are freed only when no call into the server is on the
 * stack, so callbacks may close any link, their own included, or the
 * whole server.
 *
 * With TLS (central_monitor_server_set_tls()), each link first runs a
 * GnuTLS handshake driven by the same readiness events (#EvTlsConn), and
 * its session starts, with its ENQ timer, once that is done; the time the
 * handshake takes counts in the authentication deadline. The session
 * then sees the decrypted bytes exactly as it sees a plain link's.
 */

typedef struct _Link Link;

struct _Link
{
  CentralMonitorServer *server;
  guint64 id;
  int fd;
  EvLinkSession *session;
  EvTlsConn *tls;             /* NULL on a plain link */
  char *peer_name;            /* the CN of the client's certificate */
  gboolean tls_failed;
  char *peer;
  char *address;              /* the peer without its port */
  GError *reason;
  /* Until the owner says the link authenticated: when it must have, and
   * its place in the queue of its address's unauthenticated links. */
  gint64 auth_deadline;
  GList *unauthenticated;
  gboolean loopback;
  gboolean request_open;      /* we owe the client a response */
  guint32 events;
  guint heap_index;
  gint64 deadline;
  /* Set while the session is being driven, so that a callback closing
   * this very link leaves the clean-up to the code that drives it. */
  guint busy;
  gboolean established;
  gboolean finished;
};

#define NOT_IN_HEAP G_MAXUINT

struct _CentralMonitorServer
{
  GObject parent_instance;

  const CentralMonitorServerCallbacks *callbacks;
  gpointer user_data;

  GMainContext *context;
  GSource *source;
  gpointer epoll_tag;
  int epoll_fd;
  int listen_fd;
  guint port;
  gint64 accept_paused_until;

  guint max_links;
  guint timeouts_ms[N_TIMEOUTS];
  guint auth_timeout_ms;
  guint max_unauthenticated;
  gboolean limit_loopback;
  GHashTable *unauthenticated;  /* address → GQueue of Link, oldest first */
  EvTlsServer *tls;

  guint64 next_id;
  GHashTable *links;
  guint n_established;
  GPtrArray *heap;

  /* Calls into the server on the stack, and the links that closed
   * meanwhile, to be freed when it drops to zero. */
  guint depth;
  GPtrArray *zombies;
  gboolean disposing;

  guint8 buffer[READ_CHUNK];
};

G_DEFINE_FINAL_TYPE (CentralMonitorServer, central_monitor_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_LINKS,
  PROP_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  GSource source;
  CentralMonitorServer *server;
} MonitorSource;

static void server_dispatch (CentralMonitorServer *self);

/* ---------------------------------------------------------------------
 * The timer heap.
 * --------------------------------------------------------------------- */

static inline Link *
heap_at (CentralMonitorServer *self,
         guint                 i)
{
  return g_ptr_array_index (self->heap, i);
}

static void
heap_place (CentralMonitorServer *self,
            Link                 *link,
            guint                 i)
{
  self->heap->pdata[i] = link;
  link->heap_index = i;
}

static void
heap_sift_up (CentralMonitorServer *self,
              guint                 i)
{
  Link *link = heap_at (self, i);

  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      Link *above = heap_at (self, parent);

      if (above->deadline <= link->deadline)
        break;
      heap_place (self, above, i);
      i = parent;
    }
  heap_place (self, link, i);
}

static void
heap_sift_down (CentralMonitorServer *self,
                guint                 i)
{
  Link *link = heap_at (self, i);
  guint n = self->heap->len;

  for (;;)
    {
      guint child = 2 * i + 1;
      Link *below;

      if (child >= n)
        break;
      if (child + 1 < n && heap_at (self, child + 1)->deadline < heap_at (self, child)->deadline)
        child++;
      below = heap_at (self, child);
      if (link->deadline <= below->deadline)
        break;
      heap_place (self, below, i);
      i = child;
    }
  heap_place (self, link, i);
}

static void
heap_remove (CentralMonitorServer *self,
             Link                 *link)
{
  guint i = link->heap_index;
  Link *last;

  if (i == NOT_IN_HEAP)
    return;

  link->heap_index = NOT_IN_HEAP;
  last = g_ptr_array_steal_index_fast (self->heap, self->heap->len - 1);
  if (last == link)
    return;

  heap_place (self, last, i);
  heap_sift_down (self, i);
  heap_sift_up (self, last->heap_index);
}

/* Keys @link by @deadline, or takes it out of the heap for -1. */
static void
heap_update (CentralMonitorServer *self,
             Link                 *link,
             gint64                deadline)
{
  gint64 old = link->deadline;

  if (deadline < 0)
    {
      heap_remove (self, link);
      link->deadline = -1;
      return;
    }

  link->deadline = deadline;
  if (link->heap_index == NOT_IN_HEAP)
    {
      g_ptr_array_add (self->heap, link);
      link->heap_index = self->heap->len - 1;
      heap_sift_up (self, link->heap_index);
    }
  else if (deadline < old)
    heap_sift_up (self, link->heap_index);
  else if (deadline > old)
    heap_sift_down (self, link->heap_index);
}

/* ---------------------------------------------------------------------
 * Entering and leaving the server.
 * --------------------------------------------------------------------- */

static void
link_free (Link *link)
{
  g_clear_pointer (&link->session, ev_link_session_free);
  g_clear_pointer (&link->tls, ev_tls_conn_free);
  g_clear_pointer (&link->peer_name, g_free);
  g_clear_pointer (&link->peer, g_free);
  g_clear_pointer (&link->address, g_free);
  g_clear_error (&link->reason);
  g_free (link);
}

static void
server_enter (CentralMonitorServer *self)
{
  g_object_ref (self);
  self->depth++;
}

static void
update_ready_time (CentralMonitorServer *self)
{
  gint64 ready = -1;

  if (self->source == NULL)
    return;

  if (self->heap->len > 0)
    ready = heap_at (self, 0)->deadline;
  if (self->accept_paused_until > 0 && (ready < 0 || self->accept_paused_until < ready))
    ready = self->accept_paused_until;

  if (g_source_get_ready_time (self->source) != ready)
    g_source_set_ready_time (self->source, ready);
}

static void
server_leave (CentralMonitorServer *self)
{
  g_assert (self->depth > 0);

  if (--self->depth == 0)
    {
      g_ptr_array_set_size (self->zombies, 0);
      update_ready_time (self);
    }
  g_object_unref (self);
}

/* ---------------------------------------------------------------------
 * One link.
 * --------------------------------------------------------------------- */

static void
set_epoll_events (CentralMonitorServer *self,
                  Link                 *link,
                  guint32               events)
{
  struct epoll_event event = { .events = events, .data.ptr = link };

  if (link->events == events)
    return;
  if (epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, link->fd, &event) == 0)
    link->events = events;
  else
    g_debug ("epoll_ctl(MOD) on link %" G_GUINT64_FORMAT ": %s", link->id, g_strerror (errno));
}

static GError *
io_error_new (int errsv)
{
  return g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                      _("The connection failed: %s"), g_strerror (errsv));
}

/* Writes what the kernel takes. A closed session gets this one chance. */
static void
link_flush_tls (Link *link)
{
  /* Nothing leaves in the clear once TLS was asked for. */
  if (!ev_tls_conn_is_established (link->tls))
    {
      gsize len = 0;

      ev_link_session_peek_output (link->session, &len);
      ev_link_session_consume_output (link->session, len);
      return;
    }
  ev_tls_conn_flush_session (link->tls, link->session);
}

static void
link_flush (Link *link)
{
  if (link->tls != NULL)
    {
      link_flush_tls (link);
      return;
    }

  while (ev_link_session_has_output (link->session))
    {
      gsize len = 0;
      const guint8 *data = ev_link_session_peek_output (link->session, &len);
      gssize n = send (link->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      int errsv = errno;

      if (n > 0)
        {
          ev_link_session_consume_output (link->session, n);
          continue;
        }
      if (n < 0 && errsv == EINTR)
        continue;
      if (n < 0 && (errsv == EAGAIN || errsv == EWOULDBLOCK))
        return;

      if (ev_link_session_get_state (link->session) != EV_LINK_SESSION_STATE_CLOSED)
        {
          g_autoptr(GError) error = io_error_new (errsv);

          /* This discards the output. */
          ev_link_session_fail (link->session, error);
        }
      else
        ev_link_session_consume_output (link->session, len);
      return;
    }
}

static void
resume_accepting (CentralMonitorServer *self)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };

  if (self->accept_paused_until == 0 || self->listen_fd < 0)
    return;

  self->accept_paused_until = 0;
  epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, self->listen_fd, &event);
}

/* Takes @link out of its address's queue of unauthenticated links. */
static void
forget_unauthenticated (CentralMonitorServer *self,
                        Link                 *link)
{
  GQueue *queue;

  link->auth_deadline = -1;
  if (link->unauthenticated == NULL)
    return;

  queue = g_hash_table_lookup (self->unauthenticated, link->address);
  g_queue_delete_link (queue, link->unauthenticated);
  link->unauthenticated = NULL;
  if (g_queue_is_empty (queue))
    g_hash_table_remove (self->unauthenticated, link->address);
}

static void
link_finish (CentralMonitorServer *self,
             Link                 *link)
{
  link->finished = TRUE;
  forget_unauthenticated (self, link);
  epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, link->fd, NULL);
  if (link->tls != NULL)
    ev_tls_conn_bye (link->tls);
  close (link->fd);
  link->fd = -1;
  heap_remove (self, link);
  g_hash_table_remove (self->links, &link->id);
  if (link->established)
    self->n_established--;
  resume_accepting (self);

  g_ptr_array_add (self->zombies, link);

  if (link->reason == NULL)
    link->reason = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                                        _("The link was closed"));

  if (!self->disposing && self->callbacks->link_closed != NULL)
    self->callbacks->link_closed (self, link->id, link->reason, self->user_data);
}

/* Brings the socket, the epoll mask and the timer heap in line with the
 * session after anything happened to it. */
static void
link_update (CentralMonitorServer *self,
             Link                 *link)
{
  guint32 events = EPOLLIN | EPOLLRDHUP;
  gint64 deadline;

  if (link->finished || link->busy > 0)
    return;

  link_flush (link);

  if (link->tls_failed ||
      ev_link_session_get_state (link->session) == EV_LINK_SESSION_STATE_CLOSED)
    {
      link_finish (self, link);
      return;
    }

  if (ev_link_session_has_output (link->session) ||
      (link->tls != NULL && ev_tls_conn_wants_write (link->tls)))
    events |= EPOLLOUT;
  set_epoll_events (self, link, events);

  deadline = ev_link_session_get_deadline (link->session);
  if (link->auth_deadline >= 0 && (deadline < 0 || link->auth_deadline < deadline))
    deadline = link->auth_deadline;
  heap_update (self, link, deadline);
}

/* Ends @link with EOT, reporting @message as why (in the
 * %EV_LINK_ERROR_NOT_AUTHENTICATED code). */
static void
link_refuse (CentralMonitorServer *self,
             Link                 *link,
             const char           *message)
{
  link->busy++;
  ev_link_session_close (link->session);
  link->busy--;
  g_clear_error (&link->reason);
  link->reason = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_NOT_AUTHENTICATED, message);
  link_update (self, link);
}

/* Drives the TLS handshake of @link; once it is done, starts the
 * session and returns %TRUE. A failure ends the link with the TLS error
 * as its reason. */
static gboolean
link_tls_handshake (CentralMonitorServer *self,
                    Link                 *link)
{
  g_autoptr(GError) error = NULL;

  switch (ev_tls_conn_handshake (link->tls, &error))
    {
    case EV_TLS_IO_OK:
      link->peer_name = ev_tls_conn_get_peer_name (link->tls);
      ev_link_session_start (link->session, g_get_monotonic_time ());
      return TRUE;
    case EV_TLS_IO_AGAIN:
      return FALSE;
    case EV_TLS_IO_EOF:
      error = g_error_new_literal (EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                                   _("The peer closed the connection before the TLS handshake"));
      break;
    case EV_TLS_IO_ERROR:
    default:
      break;
    }

  link->tls_failed = TRUE;
  g_clear_error (&link->reason);
  link->reason = g_steal_pointer (&error);
  return FALSE;
}

/* Reads what the link's TLS records carry, as link_read() does for a
 * plain link. The buffer takes a whole record (16 KiB). */
static void
link_read_tls (CentralMonitorServer *self,
               Link                 *link)
{
  G_STATIC_ASSERT (sizeof self->buffer >= 16384);

  if (!ev_tls_conn_is_established (link->tls) && !link_tls_handshake (self, link))
    return;

  link->busy++;
  ev_tls_conn_read_session (link->tls, link->session, self->buffer, sizeof self->buffer,
                            MAX_READ_PER_WAKEUP);
  link->busy--;
}

static void
link_read (CentralMonitorServer *self,
           Link                 *link,
           guint32               events)
{
  gsize total = 0;

  if (link->tls != NULL)
    {
      link_read_tls (self, link);
      return;
    }

  link->busy++;

  while (total < MAX_READ_PER_WAKEUP &&
         ev_link_session_get_state (link->session) != EV_LINK_SESSION_STATE_CLOSED)
    {
      gssize n = recv (link->fd, self->buffer, sizeof self->buffer, MSG_DONTWAIT);
      int errsv = errno;

      if (n > 0)
        {
          ev_link_session_receive (link->session, self->buffer, n, g_get_monotonic_time ());
          total += n;
          /* A short read emptied the socket, unless the peer hung up:
           * then read on to see the end of stream now. */
          if ((gsize) n < sizeof self->buffer && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            break;
        }
      else if (n == 0)
        {
          ev_link_session_peer_closed (link->session);
          break;
        }
      else if (errsv == EINTR)
        continue;
      else if (errsv == EAGAIN || errsv == EWOULDBLOCK)
        break;
      else
        {
          g_autoptr(GError) error = io_error_new (errsv);

          ev_link_session_fail (link->session, error);
          break;
        }
    }

  link->busy--;
}

static gboolean
session_accept_cb (EvLinkSession *session,
                   gpointer       user_data)
{
  Link *link = user_data;

  return link->server->n_established < link->server->max_links;
}

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  Link *link = user_data;

  link->established = TRUE;
  link->server->n_established++;
}

static void
session_request_cb (EvLinkSession *session,
                    const char    *text,
                    gsize          len,
                    gpointer       user_data)
{
  Link *link = user_data;
  CentralMonitorServer *self = link->server;

  link->request_open = TRUE;
  if (self->callbacks->request != NULL)
    self->callbacks->request (self, link->id, text, len, self->user_data);
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  Link *link = user_data;

  /* The owner is told once the socket is closed, in link_finish(). */
  g_clear_error (&link->reason);
  link->reason = g_error_copy (reason);
}

static const EvLinkSessionCallbacks session_callbacks = {
  .accept = session_accept_cb,
  .established = session_established_cb,
  .request_received = session_request_cb,
  .closed = session_closed_cb,
};

/* The peer as "ADDR:PORT", its address alone in @address, and whether
 * that is a loopback address. */
static char *
format_peer (int       fd,
             char    **address,
             gboolean *loopback)
{
  struct sockaddr_storage storage = { 0 };
  socklen_t len = sizeof storage;
  char host[INET6_ADDRSTRLEN] = "";

  if (getpeername (fd, (struct sockaddr *) &storage, &len) != 0)
    storage.ss_family = AF_UNSPEC;
  if (storage.ss_family == AF_INET)
    {
      struct sockaddr_in *in = (struct sockaddr_in *) &storage;

      inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
      *address = g_strdup (host);
      *loopback = (ntohl (in->sin_addr.s_addr) >> 24) == 127;
      return g_strdup_printf ("%s:%u", host, ntohs (in->sin_port));
    }
  if (storage.ss_family == AF_INET6)
    {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &storage;

      inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
      *address = g_strdup (host);
      *loopback = IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
      return g_strdup_printf ("[%s]:%u", host, ntohs (in6->sin6_port));
    }

  *address = g_strdup ("?");
  return g_strdup ("?");
}

/* Counts @link among its address's unauthenticated links; beyond the
 * limit, the oldest of them gives way: a real monitor authenticates in
 * milliseconds, so a flood of idle links cannot keep it out. */
static void
track_unauthenticated (CentralMonitorServer *self,
                       Link                 *link)
{
  GQueue *queue = g_hash_table_lookup (self->unauthenticated, link->address);

  link->auth_deadline = self->auth_timeout_ms > 0
    ? g_get_monotonic_time () + (gint64) self->auth_timeout_ms * G_TIME_SPAN_MILLISECOND
    : -1;
  /* A fleet on Central's own host opens thousands of links at once. */
  if (self->max_unauthenticated == 0 || (link->loopback && !self->limit_loopback))
    return;

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->unauthenticated, g_strdup (link->address), queue);
    }

  while (g_queue_get_length (queue) >= self->max_unauthenticated)
    {
      Link *oldest = g_queue_peek_head (queue);
      g_autofree char *message = g_strdup_printf (_("More than %u links from %s have not authenticated"),
                                                  self->max_unauthenticated, link->address);

      g_debug ("Closing link %" G_GUINT64_FORMAT ": %s", oldest->id, message);
      forget_unauthenticated (self, oldest);
      link_refuse (self, oldest, message);
      /* The last link of the address took the queue with it. */
      queue = g_hash_table_lookup (self->unauthenticated, link->address);
      if (queue == NULL)
        {
          queue = g_queue_new ();
          g_hash_table_insert (self->unauthenticated, g_strdup (link->address), queue);
        }
    }

  g_queue_push_tail (queue, link);
  link->unauthenticated = g_queue_peek_tail_link (queue);
}

static void
link_open (CentralMonitorServer *self,
           int                   fd)
{
  struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP };
  Link *link;
  int one = 1;

  link = g_new0 (Link, 1);
  link->server = self;
  link->id = ++self->next_id;
  link->fd = fd;
  link->heap_index = NOT_IN_HEAP;
  link->deadline = -1;
  link->auth_deadline = -1;
  link->peer = format_peer (fd, &link->address, &link->loopback);
  link->session = ev_link_session_new (EV_LINK_ROLE_SERVER, &session_callbacks, link);
  for (guint i = 0; i < N_TIMEOUTS; i++)
    ev_link_session_set_timeout (link->session, i, self->timeouts_ms[i]);

  /* Frames are small and every one waits for an answer. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  event.data.ptr = link;
  if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
    {
      g_debug ("epoll_ctl(ADD): %s", g_strerror (errno));
      close (fd);
      link_free (link);
      return;
    }
  link->events = event.events;

  g_hash_table_insert (self->links, &link->id, link);
  if (self->tls != NULL)
    link->tls = ev_tls_conn_new_server (self->tls, fd);
  else
    ev_link_session_start (link->session, g_get_monotonic_time ());
  track_unauthenticated (self, link);

  link->busy++;
  if (self->callbacks->link_opened != NULL)
    self->callbacks->link_opened (self, link->id, link->peer, self->user_data);
  link->busy--;

  link_update (self, link);
}

static void
accept_all (CentralMonitorServer *self)
{
  while (self->listen_fd >= 0)
    {
      int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd >= 0)
        {
          link_open (self, fd);
          continue;
        }

      switch (errno)
        {
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
          continue;

        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
          {
            /* Level-triggered, the listener would wake us at once again:
             * stop watching it for a while. */
            struct epoll_event event = { .events = 0, .data.ptr = NULL };

            g_debug ("accept: %s; pausing", g_strerror (errno));
            epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, self->listen_fd, &event);
            self->accept_paused_until = g_get_monotonic_time () + ACCEPT_PAUSE_US;
            return;
          }

        case EAGAIN:
        default:
          return;
        }
    }
}

static void
expire_timers (CentralMonitorServer *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->accept_paused_until > 0 && self->accept_paused_until <= now)
    resume_accepting (self);

  while (self->heap->len > 0 && heap_at (self, 0)->deadline <= now)
    {
      Link *link = heap_at (self, 0);

      /* An auth or register we have not answered yet is our delay, not
       * the client's: look again in a while. */
      if (link->auth_deadline >= 0 && link->auth_deadline <= now && link->request_open)
        {
          link->auth_deadline = now + AUTH_RECHECK_US;
          link_update (self, link);
          continue;
        }
      if (link->auth_deadline >= 0 && link->auth_deadline <= now)
        {
          g_autofree char *message = g_strdup_printf (_("The link did not authenticate within %u ms"),
                                                      self->auth_timeout_ms);

          forget_unauthenticated (self, link);
          link_refuse (self, link, message);
          continue;
        }

      link->busy++;
      ev_link_session_tick (link->session, now);
      link->busy--;

      /* A session ticked at its deadline closes, so this always moves
       * the link out of the way; the removal guards against a session
       * that would keep a past deadline. */
      link_update (self, link);
      if (!link->finished && link->heap_index == 0 && link->deadline <= now)
        heap_remove (self, link);
    }
}

static void
server_dispatch (CentralMonitorServer *self)
{
  struct epoll_event events[MAX_EVENTS];
  int n;

  server_enter (self);

  /* A wakeup for a timer alone needs no epoll_wait(). */
  if (g_source_query_unix_fd (self->source, self->epoll_tag) & G_IO_IN)
    n = epoll_wait (self->epoll_fd, events, MAX_EVENTS, 0);
  else
    n = 0;
  for (int i = 0; i < n; i++)
    {
      Link *link = events[i].data.ptr;

      if (link == NULL)
        {
          accept_all (self);
          continue;
        }

      /* A link closed earlier in this batch stays allocated until we
       * leave, so its pointer is still safe to look at. */
      if (link->finished)
        continue;

      /* A TLS handshake may wait for the socket to take output, too. */
      if ((events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ||
          (link->tls != NULL && !ev_tls_conn_is_established (link->tls)))
        link_read (self, link, events[i].events);
      link_update (self, link);
    }

  expire_timers (self);

  server_leave (self);
}

static gboolean
monitor_source_dispatch (GSource     *source,
                         GSourceFunc  callback,
                         gpointer     user_data)
{
  MonitorSource *monitor_source = (MonitorSource *) source;

  server_dispatch (monitor_source->server);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs monitor_source_funcs = {
  .dispatch = monitor_source_dispatch,
};

/* ---------------------------------------------------------------------
 * Listening.
 * --------------------------------------------------------------------- */

/* Splits "HOST:PORT" or "[IPV6]:PORT"; the host may be empty for "any". */
static gboolean
split_address (const char  *address,
               char       **host,
               guint16     *port,
               GError     **error)
{
  const char *colon;
  g_autofree char *name = NULL;
  guint64 number = 0;

  if (address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end == NULL || end[1] != ':')
        goto bad_address;
      name = g_strndup (address + 1, end - address - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (address, ':');
      if (colon == NULL)
        goto bad_address;
      name = g_strndup (address, colon - address);
      /* A bare IPv6 address needs brackets to be told from its port. */
      if (strchr (name, ':') != NULL)
        goto bad_address;
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT16, &number, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” has no valid port number (0 to 65535)"), address);
      return FALSE;
    }

  *host = g_steal_pointer (&name);
  *port = (guint16) number;
  return TRUE;

bad_address:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an address and port such as 127.0.0.1:7000 or [::1]:7000"),
               address);
  return FALSE;
}

/**
 * central_monitor_server_check_address:
 * @address: what a user gave as the address to listen on
 * @error: return location for a #GError
 *
 * Checks that @address has the form central_monitor_server_listen()
 * takes (`ADDR:PORT`, `[IPv6]:PORT`), without resolving or binding it.
 *
 * Returns: %TRUE when it has
 */
gboolean
central_monitor_server_check_address (const char  *address,
                                      GError     **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (address != NULL, FALSE);

  return split_address (address, &host, &port, error);
}

static GInetAddress *
resolve_host (const char  *host,
              GError     **error)
{
  g_autoptr(GResolver) resolver = NULL;
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GError) local_error = NULL;
  GInetAddress *address;

  if (*host == '\0')
    return g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);

  address = g_inet_address_new_from_string (host);
  if (address != NULL)
    return address;

  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, host, NULL, &local_error);
  if (addresses == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Could not resolve “%s”: %s"), host, local_error->message);
      return NULL;
    }

  /* Prefer IPv4, which every monitor can reach. */
  for (GList *l = addresses; l != NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      return g_object_ref (l->data);

  return g_object_ref (addresses->data);
}

static int
open_listener (GInetAddress  *inet,
               guint16        port,
               const char    *address,
               guint         *bound_port,
               GError       **error)
{
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (inet, port);
  struct sockaddr_storage native;
  socklen_t len = sizeof native;
  int fd, one = 1, errsv;

  if (!g_socket_address_to_native (socket_address, &native, sizeof native, error))
    return -1;

  fd = socket (native.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto failed;

  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &native, g_socket_address_get_native_size (socket_address)) != 0 ||
      listen (fd, LISTEN_BACKLOG) != 0 ||
      getsockname (fd, (struct sockaddr *) &native, &len) != 0)
    goto failed;

  *bound_port = native.ss_family == AF_INET6
    ? ntohs (((struct sockaddr_in6 *) &native)->sin6_port)
    : ntohs (((struct sockaddr_in *) &native)->sin_port);
  return fd;

failed:
  errsv = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not listen on %s: %s"), address, g_strerror (errsv));
  return -1;
}

static gboolean
ensure_epoll (CentralMonitorServer  *self,
              GError               **error)
{
  MonitorSource *source;

  if (self->epoll_fd >= 0)
    return TRUE;

  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epoll_fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the epoll set: %s"), g_strerror (errsv));
      return FALSE;
    }

  self->source = g_source_new (&monitor_source_funcs, sizeof (MonitorSource));
  source = (MonitorSource *) self->source;
  source->server = self;
  g_source_set_static_name (self->source, "CentralMonitorServer");
  self->epoll_tag = g_source_add_unix_fd (self->source, self->epoll_fd, G_IO_IN);
  g_source_attach (self->source, self->context);

  return TRUE;
}

static void
stop_listening (CentralMonitorServer *self)
{
  if (self->listen_fd < 0)
    return;

  epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, self->listen_fd, NULL);
  close (self->listen_fd);
  self->listen_fd = -1;
  self->accept_paused_until = 0;
  self->port = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

/* ---------------------------------------------------------------------
 * GObject.
 * --------------------------------------------------------------------- */

static void
close_all_links (CentralMonitorServer *self)
{
  g_autoptr(GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (guint64),
                                             g_hash_table_size (self->links));
  GHashTableIter iter;
  gpointer value;

  /* Callbacks may close other links meanwhile: look each one up again. */
  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_array_append_val (ids, ((Link *) value)->id);

  for (guint i = 0; i < ids->len; i++)
    central_monitor_server_close_link (self, g_array_index (ids, guint64, i));
}

static void
central_monitor_server_dispose (GObject *object)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  self->disposing = TRUE;

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }

  if (self->epoll_fd >= 0)
    {
      close_all_links (self);
      stop_listening (self);
      close (self->epoll_fd);
      self->epoll_fd = -1;
    }

  if (self->depth == 0)
    g_ptr_array_set_size (self->zombies, 0);

  G_OBJECT_CLASS (central_monitor_server_parent_class)->dispose (object);
}

static void
central_monitor_server_finalize (GObject *object)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  g_clear_pointer (&self->zombies, g_ptr_array_unref);
  g_clear_pointer (&self->unauthenticated, g_hash_table_unref);
  g_clear_pointer (&self->tls, ev_tls_server_unref);
  g_clear_pointer (&self->heap, g_ptr_array_unref);
  g_clear_pointer (&self->links, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (central_monitor_server_parent_class)->finalize (object);
}

static void
central_monitor_server_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINKS:
      g_value_set_uint (value, self->max_links);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_monitor_server_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  CentralMonitorServer *self = CENTRAL_MONITOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINKS:
      central_monitor_server_set_max_links (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_monitor_server_class_init (CentralMonitorServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = central_monitor_server_dispose;
  object_class->finalize = central_monitor_server_finalize;
  object_class->get_property = central_monitor_server_get_property;
  object_class->set_property = central_monitor_server_set_property;

  /**
   * CentralMonitorServer:max-links:
   *
   * How many established links the server holds; the ENQ of any client
   * beyond them is answered NACK.
   */
  properties[PROP_MAX_LINKS] =
    g_param_spec_uint ("max-links", NULL, NULL,
                       0, G_MAXUINT, CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * CentralMonitorServer:port:
   *
   * The port the server listens on, 0 when it does not listen.
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL,
                       0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
central_monitor_server_init (CentralMonitorServer *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->epoll_fd = -1;
  self->listen_fd = -1;
  self->max_links = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS;
  self->timeouts_ms[EV_LINK_TIMEOUT_HANDSHAKE] = EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_ACK] = EV_LINK_DEFAULT_ACK_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_RESPONSE] = EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_IDLE] = EV_LINK_DEFAULT_IDLE_TIMEOUT_MS;
  self->auth_timeout_ms = CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS;
  self->max_unauthenticated = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED;
  self->unauthenticated = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) g_queue_free);
  self->links = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->heap = g_ptr_array_new ();
  self->zombies = g_ptr_array_new_with_free_func ((GDestroyNotify) link_free);
}

/* ---------------------------------------------------------------------
 * Public API.
 * --------------------------------------------------------------------- */

static const CentralMonitorServerCallbacks no_callbacks = { NULL, };

/**
 * central_monitor_server_new:
 * @callbacks: (nullable): what to tell the owner; must outlive the server
 * @user_data: passed to every callback
 *
 * Creates a server that does not listen yet. Its callbacks will run on
 * the thread-default main context of now, and it must be used from that
 * context's thread only.
 *
 * Returns: (transfer full): a new server
 */
CentralMonitorServer *
central_monitor_server_new (const CentralMonitorServerCallbacks *callbacks,
                            gpointer                             user_data)
{
  CentralMonitorServer *self = g_object_new (CENTRAL_TYPE_MONITOR_SERVER, NULL);

  self->callbacks = callbacks != NULL ? callbacks : &no_callbacks;
  self->user_data = user_data;

  return self;
}

/**
 * central_monitor_server_listen:
 * @self: a server
 * @address: "ADDR:PORT": an IPv4 address, "[IPv6]" or a host name, then
 *   the port; port 0 picks any free port (see
 *   central_monitor_server_get_port()), an empty ADDR means every IPv4
 *   interface
 * @error: return location for a #GError
 *
 * Starts accepting monitor links on @address. A host name is resolved
 * synchronously. Also raises the soft limit of open files to the hard
 * limit, since every link is a descriptor.
 *
 * Returns: %TRUE if the server listens
 */
gboolean
central_monitor_server_listen (CentralMonitorServer  *self,
                               const char            *address,
                               GError               **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };
  guint16 port = 0;
  guint bound_port = 0;
  int fd;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->listen_fd >= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("The monitor server already listens on port %u"), self->port);
      return FALSE;
    }

  if (!split_address (address, &host, &port, error))
    return FALSE;
  inet = resolve_host (host, error);
  if (inet == NULL)
    return FALSE;
  if (!ensure_epoll (self, error))
    return FALSE;

  ev_raise_fd_limit ();

  fd = open_listener (inet, port, address, &bound_port, error);
  if (fd < 0)
    return FALSE;

  if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
    {
      int errsv = errno;

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not listen on %s: %s"), address, g_strerror (errsv));
      return FALSE;
    }

  self->listen_fd = fd;
  self->port = bound_port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);

  return TRUE;
}

/**
 * central_monitor_server_get_port:
 * @self: a server
 *
 * Returns: the port the server listens on, or 0 if it does not listen
 */
guint
central_monitor_server_get_port (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->port;
}

/**
 * central_monitor_server_get_n_links:
 * @self: a server
 *
 * Returns: how many links are open, counting those still in their
 *   handshake
 */
guint
central_monitor_server_get_n_links (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return g_hash_table_size (self->links);
}

/**
 * central_monitor_server_get_max_links:
 * @self: a server
 *
 * Returns: the #CentralMonitorServer:max-links
 */
guint
central_monitor_server_get_max_links (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->max_links;
}

/**
 * central_monitor_server_set_max_links:
 * @self: a server
 * @max: how many established links to hold at most
 *
 * Beyond @max established links, a new client's ENQ is answered NACK and
 * the connection closed. Links already established stay.
 */
void
central_monitor_server_set_max_links (CentralMonitorServer *self,
                                      guint                 max)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  if (self->max_links == max)
    return;

  self->max_links = max;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LINKS]);
}

/**
 * central_monitor_server_get_timeout:
 * @self: a server
 * @which: a timeout
 *
 * Returns: the timeout new links get, in milliseconds, 0 for none
 */
guint
central_monitor_server_get_timeout (CentralMonitorServer *self,
                                    EvLinkTimeout         which)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);
  g_return_val_if_fail ((guint) which < N_TIMEOUTS, 0);

  return self->timeouts_ms[which];
}

/**
 * central_monitor_server_set_timeout:
 * @self: a server
 * @which: the timeout to set
 * @ms: the timeout in milliseconds, 0 for none
 *
 * Sets a session timeout (see #EvLinkTimeout) for the links accepted from
 * now on; links already open keep theirs.
 */
void
central_monitor_server_set_timeout (CentralMonitorServer *self,
                                    EvLinkTimeout         which,
                                    guint                 ms)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));
  g_return_if_fail ((guint) which < N_TIMEOUTS);

  self->timeouts_ms[which] = ms;
}

/**
 * central_monitor_server_get_auth_timeout:
 * @self: a server
 *
 * Returns: how long a new link has to authenticate, in ms, 0 for ever
 */
guint
central_monitor_server_get_auth_timeout (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->auth_timeout_ms;
}

/**
 * central_monitor_server_set_auth_timeout:
 * @self: a server
 * @ms: the time in milliseconds, 0 for no limit
 *
 * Links accepted from now on are closed @ms after their accept unless the
 * owner calls central_monitor_server_set_authenticated() first, whatever
 * they send meanwhile.
 */
void
central_monitor_server_set_auth_timeout (CentralMonitorServer *self,
                                         guint                 ms)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->auth_timeout_ms = ms;
}

/**
 * central_monitor_server_get_max_unauthenticated:
 * @self: a server
 *
 * Returns: how many unauthenticated links one peer address may hold
 */
guint
central_monitor_server_get_max_unauthenticated (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), 0);

  return self->max_unauthenticated;
}

/**
 * central_monitor_server_set_max_unauthenticated:
 * @self: a server
 * @max: the limit, 0 for none
 *
 * Limits the links of one peer address that have not authenticated yet:
 * a new link beyond @max closes the oldest of them. Applies to links
 * accepted from now on.
 */
void
central_monitor_server_set_max_unauthenticated (CentralMonitorServer *self,
                                                guint                 max)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->max_unauthenticated = max;
}

static Link *
lookup_link (CentralMonitorServer  *self,
             guint64                link_id,
             GError               **error)
{
  Link *link = g_hash_table_lookup (self->links, &link_id);

  if (link == NULL)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, link_id);

      g_set_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED,
                   _("No open monitor link has the id %s"), id);
    }

  return link;
}

/**
 * central_monitor_server_set_limit_loopback:
 * @self: a server
 * @limit: whether loopback peers count
 *
 * Links from a loopback address (a fleet simulator on this host) are not
 * limited by #central_monitor_server_set_max_unauthenticated() unless
 * @limit is %TRUE. Applies to links accepted from now on.
 */
void
central_monitor_server_set_limit_loopback (CentralMonitorServer *self,
                                           gboolean              limit)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  self->limit_loopback = !!limit;
}

/**
 * central_monitor_server_set_authenticated:
 * @self: a server
 * @link_id: an open link
 *
 * Tells the server that @link_id authenticated: its authentication
 * deadline no longer applies, and it no longer counts among its
 * address's unauthenticated links. Unknown links are ignored.
 */
void
central_monitor_server_set_authenticated (CentralMonitorServer *self,
                                          guint64               link_id)
{
  Link *link;

  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  link = lookup_link (self, link_id, NULL);
  if (link == NULL || link->auth_deadline < 0)
    return;

  server_enter (self);
  forget_unauthenticated (self, link);
  link_update (self, link);
  server_leave (self);
}

/**
 * central_monitor_server_set_tls:
 * @self: a server
 * @tls: (nullable): the server's certificate and key; %NULL for plain TCP
 *
 * Links accepted from now on speak TLS with @tls (docs/protocol.md,
 * section 2): a client that speaks the plain protocol gets a TLS alert
 * and is closed, and a failed handshake closes the link with an
 * %EV_TLS_ERROR as its reason.
 */
void
central_monitor_server_set_tls (CentralMonitorServer *self,
                                EvTlsServer          *tls)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  g_clear_pointer (&self->tls, ev_tls_server_unref);
  if (tls != NULL)
    self->tls = ev_tls_server_ref (tls);
}

/**
 * central_monitor_server_get_tls:
 * @self: a server
 *
 * Returns: (transfer none) (nullable): the TLS credentials new links use
 */
EvTlsServer *
central_monitor_server_get_tls (CentralMonitorServer *self)
{
  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  return self->tls;
}

/**
 * central_monitor_server_get_peer_name:
 * @self: a server
 * @link_id: an open link
 *
 * Returns: (nullable): the common name of the client certificate @link_id
 *   presented, %NULL without one
 */
const char *
central_monitor_server_get_peer_name (CentralMonitorServer *self,
                                      guint64               link_id)
{
  Link *link;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  link = lookup_link (self, link_id, NULL);
  return link != NULL ? link->peer_name : NULL;
}

/**
 * central_monitor_server_get_peer:
 * @self: a server
 * @link_id: an open link
 *
 * Returns: (nullable): the peer of @link_id as "ADDR:PORT", or %NULL if
 *   no such link is open
 */
const char *
central_monitor_server_get_peer (CentralMonitorServer *self,
                                 guint64               link_id)
{
  Link *link;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), NULL);

  link = lookup_link (self, link_id, NULL);
  return link != NULL ? link->peer : NULL;
}

/**
 * central_monitor_server_respond:
 * @self: a server
 * @link_id: the link whose request is answered
 * @text: the response, one JSON object
 * @len: the length of @text, or -1 if it is NUL-terminated
 * @error: return location for a #GError
 *
 * Answers the open request of @link_id, now or any time after
 * #CentralMonitorServerCallbacks.request reported it.
 *
 * Returns: %TRUE if the response was queued; %FALSE with @error set if
 *   the link is unknown or closed, has no open request
 *   (%EV_LINK_ERROR_NO_REQUEST), or @text cannot be framed
 */
gboolean
central_monitor_server_respond (CentralMonitorServer  *self,
                                guint64                link_id,
                                const char            *text,
                                gssize                 len,
                                GError               **error)
{
  g_autofree char *copy = NULL;
  Link *link;
  gboolean ok;

  g_return_val_if_fail (CENTRAL_IS_MONITOR_SERVER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  link = lookup_link (self, link_id, error);
  if (link == NULL)
    return FALSE;

  if (len >= 0)
    text = copy = g_strndup (text, len);

  server_enter (self);
  ok = ev_link_session_respond (link->session, text, g_get_monotonic_time (), error);
  if (ok)
    link->request_open = FALSE;
  link_update (self, link);
  server_leave (self);

  return ok;
}

/**
 * central_monitor_server_close_link:
 * @self: a server
 * @link_id: a link
 *
 * Ends the session of @link_id with EOT and closes it;
 * #CentralMonitorServerCallbacks.link_closed reports it with
 * %EV_LINK_ERROR_CLOSED, from this call unless the link is the one whose
 * callback is running, in which case it follows when that callback
 * returns. Unknown or closed links are ignored.
 */
void
central_monitor_server_close_link (CentralMonitorServer *self,
                                   guint64               link_id)
{
  Link *link;

  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  link = lookup_link (self, link_id, NULL);
  if (link == NULL)
    return;

  server_enter (self);
  ev_link_session_close (link->session);
  link_update (self, link);
  server_leave (self);
}

/**
 * central_monitor_server_close:
 * @self: a server
 *
 * Stops listening and closes every link as central_monitor_server_close_link()
 * does. The server may listen again afterwards.
 */
void
central_monitor_server_close (CentralMonitorServer *self)
{
  g_return_if_fail (CENTRAL_IS_MONITOR_SERVER (self));

  server_enter (self);
  stop_listening (self);
  close_all_links (self);
  server_leave (self);
}

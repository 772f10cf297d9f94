/* ev-link-set-conn.c: one conn of an EvLinkSet (see ev-link-set.c):
 * reading, writing, TLS, its session and its timer. */

#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "ev-epoll-source.h"
#include "ev-link-set-private.h"

const EvLinkConnFuncs link_conn_no_funcs = { NULL, };

static GError *
io_error_new (int errsv)
{
  return g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                      _("The connection failed: %s"), g_strerror (errsv));
}

static void
conn_fail (EvLinkConn *conn,
           GError     *error)
{
  if (conn->session != NULL && ev_link_session_get_state (conn->session) != EV_LINK_SESSION_STATE_CLOSED)
    {
      ev_link_session_fail (conn->session, error);
      g_error_free (error);
      return;
    }
  if (conn->reason == NULL && conn->session == NULL)
    conn->reason = error;
  else
    g_error_free (error);
  conn->close_requested = TRUE;
}

void
link_conn_set_events (EvLinkConn *conn,
                      guint32     events)
{
  if (conn->events != events &&
      ev_epoll_source_modify (conn->set->source, conn->fd, events, conn))
    conn->events = events;
}

/* Writes what the kernel takes of @data; returns how much, or -1 with
 * errno set. */
static gssize
conn_write (EvLinkConn   *conn,
            const guint8 *data,
            gsize         len)
{
  for (;;)
    {
      gssize n = send (conn->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
      return -1;
    }
}

static void
flush_session (EvLinkConn *conn)
{
  EvLinkSession *session = conn->session;

  if (conn->tls != NULL)
    {
      ev_tls_conn_flush_session (conn->tls, session);
      return;
    }

  while (ev_link_session_has_output (session))
    {
      gsize len = 0;
      const guint8 *data = ev_link_session_peek_output (session, &len);
      gssize n = conn_write (conn, data, len);

      if (n > 0)
        {
          ev_link_session_consume_output (session, n);
          continue;
        }
      if (n < 0 && ev_link_session_get_state (session) != EV_LINK_SESSION_STATE_CLOSED)
        /* This discards the output. */
        conn_fail (conn, io_error_new (errno));
      else if (n < 0)
        ev_link_session_consume_output (session, len);
      return;
    }
}

static void
flush_raw (EvLinkConn *conn)
{
  gsize done = 0;

  while (done < conn->out->len)
    {
      g_autoptr(GError) error = NULL;
      gsize n = 0;
      gssize written;

      if (conn->tls != NULL)
        {
          EvTlsIo io = ev_tls_conn_send (conn->tls, conn->out->data + done, conn->out->len - done,
                                         &n, &error);

          written = io == EV_TLS_IO_OK ? (gssize) n : io == EV_TLS_IO_AGAIN ? 0 : -1;
          if (written < 0 && error == NULL)
            error = io_error_new (EPIPE);
        }
      else
        {
          written = conn_write (conn, conn->out->data + done, conn->out->len - done);
          if (written < 0)
            error = io_error_new (errno);
        }

      if (written < 0)
        {
          g_byte_array_set_size (conn->out, 0);
          conn_fail (conn, g_steal_pointer (&error));
          return;
        }
      if (written == 0)
        break;
      done += written;
    }
  g_byte_array_remove_range (conn->out, 0, done);
}

/* Writes what the kernel takes. A conn being closed gets this one chance. */
static void
conn_flush (EvLinkConn *conn)
{
  if (conn->connecting)
    return;

  /* Nothing leaves in the clear once TLS was asked for. */
  if (conn->tls != NULL && !ev_tls_conn_is_established (conn->tls))
    {
      gsize len = 0;

      if (conn->session != NULL)
        {
          ev_link_session_peek_output (conn->session, &len);
          ev_link_session_consume_output (conn->session, len);
        }
      if (conn->out != NULL)
        g_byte_array_set_size (conn->out, 0);
      return;
    }

  if (conn->session != NULL)
    flush_session (conn);
  if (conn->out != NULL && conn->out->len > 0)
    flush_raw (conn);
}

static gboolean
conn_has_output (EvLinkConn *conn)
{
  return (conn->session != NULL && ev_link_session_has_output (conn->session)) ||
         (conn->out != NULL && conn->out->len > 0) ||
         (conn->tls != NULL && ev_tls_conn_wants_write (conn->tls));
}

void
link_conn_schedule (EvLinkConn *conn)
{
  EvLinkSet *self = conn->set;
  gint64 deadline = conn->timer_us;
  gint64 due_ms;

  if (conn->session != NULL)
    {
      gint64 session_deadline = ev_link_session_get_deadline (conn->session);

      if (session_deadline >= 0 && (deadline < 0 || session_deadline < deadline))
        deadline = session_deadline;
    }

  if (deadline < 0)
    {
      ev_timer_wheel_cancel (&self->wheel, &conn->entry);
      return;
    }

  /* Never early: the wheel counts whole milliseconds. */
  due_ms = MAX ((deadline + 999) / 1000, self->floor_ms);
  if (due_ms != conn->due_ms || !ev_timer_wheel_is_scheduled (&conn->entry))
    {
      conn->due_ms = due_ms;
      ev_timer_wheel_schedule (&self->wheel, &conn->entry, due_ms);
    }
}

/* Brings the socket, the epoll mask and the timer in line with the conn
 * (and its session) after anything happened to it. */
void
link_conn_update (EvLinkConn *conn)
{
  guint32 events;

  if (conn->finished || conn->busy > 0)
    return;

  if (conn->kind == CONN_STREAM)
    conn_flush (conn);

  if (conn->close_requested ||
      (conn->session != NULL && ev_link_session_get_state (conn->session) == EV_LINK_SESSION_STATE_CLOSED))
    {
      link_set_finish (conn);
      return;
    }

  if (conn->kind == CONN_STREAM)
    {
      if (conn->connecting)
        events = EPOLLOUT;
      else
        events = EPOLLIN | EPOLLRDHUP | (conn_has_output (conn) ? EPOLLOUT : 0);
      link_conn_set_events (conn, events);
    }
  link_conn_schedule (conn);
}

/* The transport is up: tell the owner, then start the session. */
void
link_conn_opened (EvLinkConn *conn)
{
  conn->open = TRUE;
  if (conn->funcs->opened != NULL)
    conn->funcs->opened (conn, conn->user_data);
  if (conn->session != NULL && !conn->close_requested &&
      ev_link_session_get_state (conn->session) == EV_LINK_SESSION_STATE_NEW)
    ev_link_session_start (conn->session, g_get_monotonic_time ());
}

/* Drives the TLS handshake; returns %TRUE once it is done. A failure
 * closes the conn with the TLS error as its reason. */
static gboolean
conn_handshake (EvLinkConn *conn)
{
  g_autoptr(GError) error = NULL;

  switch (ev_tls_conn_handshake (conn->tls, &error))
    {
    case EV_TLS_IO_OK:
      link_conn_opened (conn);
      return TRUE;
    case EV_TLS_IO_AGAIN:
      return FALSE;
    case EV_TLS_IO_EOF:
      g_clear_error (&error);
      error = g_error_new_literal (EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                                   _("The peer closed the connection before the TLS handshake"));
      break;
    case EV_TLS_IO_ERROR:
    default:
      break;
    }

  g_clear_error (&conn->reason);
  conn->reason = g_steal_pointer (&error);
  conn->close_requested = TRUE;
  return FALSE;
}

static void
conn_connected (EvLinkConn *conn)
{
  socklen_t len = sizeof (int);
  int error = 0;

  conn->connecting = FALSE;
  if (getsockopt (conn->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
    {
      int errsv = error != 0 ? error : errno;

      conn->reason = g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                                  _("Could not connect: %s"), g_strerror (errsv));
      conn->close_requested = TRUE;
      return;
    }

  if (conn->tls == NULL)
    link_conn_opened (conn);
  else
    conn_handshake (conn);
}

static void
conn_deliver (EvLinkConn   *conn,
              const guint8 *data,
              gsize         len)
{
  if (conn->session != NULL)
    ev_link_session_receive (conn->session, data, len, g_get_monotonic_time ());
  else if (conn->funcs->received != NULL)
    conn->funcs->received (conn, data, len, conn->user_data);
}

static void
conn_peer_closed (EvLinkConn *conn)
{
  if (conn->session != NULL)
    {
      ev_link_session_peer_closed (conn->session);
      return;
    }
  if (conn->reason == NULL)
    conn->reason = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                                        _("The peer closed the connection"));
  conn->close_requested = TRUE;
}

static gboolean
conn_readable (EvLinkConn *conn)
{
  return !conn->close_requested &&
         (conn->session == NULL || ev_link_session_get_state (conn->session) != EV_LINK_SESSION_STATE_CLOSED);
}

static void
conn_read_tls (EvLinkConn *conn)
{
  EvLinkSet *self = conn->set;
  gsize total = 0;

  if (conn->session != NULL)
    {
      ev_tls_conn_read_session (conn->tls, conn->session, self->buffer, sizeof self->buffer,
                                self->read_limit);
      return;
    }

  while (total < self->read_limit && conn_readable (conn))
    {
      g_autoptr(GError) error = NULL;
      gsize n = 0;
      EvTlsIo io = ev_tls_conn_recv (conn->tls, self->buffer, sizeof self->buffer, &n, &error);

      if (io == EV_TLS_IO_OK)
        {
          conn_deliver (conn, self->buffer, n);
          total += n;
          continue;
        }
      if (io == EV_TLS_IO_EOF)
        conn_peer_closed (conn);
      else if (io == EV_TLS_IO_ERROR)
        conn_fail (conn, g_steal_pointer (&error));
      break;
    }
}

static void
conn_read (EvLinkConn *conn,
           guint32     events)
{
  EvLinkSet *self = conn->set;
  gsize total = 0;

  if (conn->tls != NULL)
    {
      conn_read_tls (conn);
      return;
    }

  while (total < self->read_limit && conn_readable (conn))
    {
      gssize n = recv (conn->fd, self->buffer, sizeof self->buffer, MSG_DONTWAIT);
      int errsv = errno;

      if (n > 0)
        {
          conn_deliver (conn, self->buffer, n);
          total += n;
          /* A short read emptied the socket, unless the peer hung up:
           * then read on to see the end of stream now. */
          if ((gsize) n < sizeof self->buffer && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            break;
        }
      else if (n == 0)
        {
          conn_peer_closed (conn);
          break;
        }
      else if (errsv == EINTR)
        continue;
      else if (errsv == EAGAIN || errsv == EWOULDBLOCK)
        break;
      else
        {
          conn_fail (conn, io_error_new (errsv));
          break;
        }
    }
}

/* A socket conn is ready with the epoll @events. */
void
link_conn_ready (EvLinkConn *conn,
                 guint32     events)
{
  conn->busy++;
  if (conn->connecting)
    conn_connected (conn);
  /* A TLS handshake may wait for the socket to take output, too. */
  else if (conn->tls != NULL && !ev_tls_conn_is_established (conn->tls))
    {
      if (conn_handshake (conn))
        conn_read (conn, events);
    }
  else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    conn_read (conn, events);
  conn->busy--;
  link_conn_update (conn);
}

/* The API --------------------------------------------------------------------- */

/**
 * ev_link_conn_get_fd:
 * @conn: a conn
 *
 * Returns: its descriptor, -1 once it is closed
 */
int
ev_link_conn_get_fd (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, -1);

  return conn->fd;
}

/**
 * ev_link_conn_get_user_data:
 * @conn: a conn
 *
 * Returns: (transfer none): what its functions are passed
 */
gpointer
ev_link_conn_get_user_data (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);

  return conn->user_data;
}

/**
 * ev_link_conn_set_user_data:
 * @conn: a conn
 * @funcs: (nullable): what @conn calls from now on; must outlive it
 * @user_data: passed to @funcs
 */
void
ev_link_conn_set_user_data (EvLinkConn            *conn,
                            const EvLinkConnFuncs *funcs,
                            gpointer               user_data)
{
  g_return_if_fail (conn != NULL);

  conn->funcs = funcs != NULL ? funcs : &link_conn_no_funcs;
  conn->user_data = user_data;
}

/**
 * ev_link_conn_is_open:
 * @conn: a conn
 *
 * Returns: whether its transport is up (connected and TLS negotiated)
 *   and it is not closed
 */
gboolean
ev_link_conn_is_open (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, FALSE);

  return conn->open && !conn->finished;
}

/**
 * ev_link_conn_is_closed:
 * @conn: a conn
 *
 * Returns: whether @conn closed, or will when its callback returns
 */
gboolean
ev_link_conn_is_closed (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, TRUE);

  return conn->finished || conn->close_requested;
}

/**
 * ev_link_conn_set_session:
 * @conn: a socket conn without a session
 * @session: (transfer full): the framed session it carries
 *
 * From now on, @conn feeds @session what arrives, sends its output and
 * ticks it at its deadline; it closes once @session is closed, and frees
 * it with itself. A session not started yet starts when @conn opens.
 * After calling into @session from outside a callback of @conn, call
 * ev_link_conn_update().
 */
void
ev_link_conn_set_session (EvLinkConn    *conn,
                          EvLinkSession *session)
{
  g_return_if_fail (conn != NULL && conn->kind == CONN_STREAM);
  g_return_if_fail (conn->session == NULL);

  conn->session = session;
  if (conn->open && ev_link_session_get_state (session) == EV_LINK_SESSION_STATE_NEW)
    ev_link_session_start (session, g_get_monotonic_time ());
}

/**
 * ev_link_conn_get_session:
 * @conn: a conn
 *
 * Returns: (transfer none) (nullable): the session it carries
 */
EvLinkSession *
ev_link_conn_get_session (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);

  return conn->session;
}

/**
 * ev_link_conn_set_tls:
 * @conn: a socket conn not open yet (give it in
 *   #EvLinkConnFuncs.accepted, or right after connecting)
 * @tls: (transfer full): the TLS end made over ev_link_conn_get_fd()
 *
 * The conn negotiates TLS first and opens once that is done; a failed
 * handshake closes it with the %EV_TLS_ERROR as the reason.
 */
void
ev_link_conn_set_tls (EvLinkConn *conn,
                      EvTlsConn  *tls)
{
  g_return_if_fail (conn != NULL && conn->kind == CONN_STREAM);
  g_return_if_fail (conn->tls == NULL && !conn->open);

  conn->tls = tls;
}

/**
 * ev_link_conn_get_tls:
 * @conn: a conn
 *
 * Returns: (transfer none) (nullable): its TLS end, %NULL on a plain conn
 */
EvTlsConn *
ev_link_conn_get_tls (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);

  return conn->tls;
}

/**
 * ev_link_conn_send:
 * @conn: a socket conn
 * @data: bytes to send
 * @len: how many
 *
 * Queues @data after what waits already and writes what the kernel
 * takes; EPOLLOUT brings the rest. A failed write closes @conn.
 */
void
ev_link_conn_send (EvLinkConn *conn,
                   const void *data,
                   gsize       len)
{
  g_return_if_fail (conn != NULL && conn->kind == CONN_STREAM);

  if (conn->finished || conn->close_requested)
    return;
  if (conn->out == NULL)
    conn->out = g_byte_array_new ();
  g_byte_array_append (conn->out, data, len);
  if (conn->busy == 0)
    ev_link_conn_update (conn);
}

/**
 * ev_link_conn_get_n_unsent:
 * @conn: a conn
 *
 * Returns: how many bytes of ev_link_conn_send() the kernel did not take
 *   yet
 */
gsize
ev_link_conn_get_n_unsent (EvLinkConn *conn)
{
  g_return_val_if_fail (conn != NULL, 0);

  return conn->out != NULL ? conn->out->len : 0;
}

/**
 * ev_link_conn_set_timer:
 * @conn: a conn
 * @due_us: when #EvLinkConnFuncs.timer is due (as g_get_monotonic_time()),
 *   -1 for never
 *
 * One timer a conn, beside its session's; it fires once, never early,
 * within about a millisecond of @due_us.
 */
void
ev_link_conn_set_timer (EvLinkConn *conn,
                        gint64      due_us)
{
  g_return_if_fail (conn != NULL);

  conn->timer_us = due_us;
  if (conn->busy > 0 || conn->finished)
    return;
  /* Leaving the set moves its wakeup. */
  link_set_enter (conn->set);
  link_conn_schedule (conn);
  link_set_leave (conn->set);
}

/**
 * ev_link_conn_update:
 * @conn: a conn
 *
 * Brings @conn in line with its session after the owner called into it:
 * sends its output, moves its timer, closes @conn if the session closed.
 * Within a callback of @conn this waits until the callback returns.
 */
void
ev_link_conn_update (EvLinkConn *conn)
{
  EvLinkSet *self;

  g_return_if_fail (conn != NULL);

  if (conn->finished)
    return;
  self = conn->set;
  link_set_enter (self);
  link_conn_update (conn);
  link_set_leave (self);
}

/**
 * ev_link_conn_close:
 * @conn: a conn
 *
 * Closes @conn after one last try to write what it queued (end its
 * session first for an EOT). #EvLinkConnFuncs.closed reports it, from
 * this call unless a callback of @conn is running, in which case it
 * follows when that returns. A conn already closed is ignored.
 */
void
ev_link_conn_close (EvLinkConn *conn)
{
  g_return_if_fail (conn != NULL);

  if (conn->finished)
    return;
  conn->close_requested = TRUE;
  ev_link_conn_update (conn);
}

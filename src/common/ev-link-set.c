/* accept4() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "ev-epoll-source.h"
#include "ev-link-set-private.h"

/**
 * EvLinkSet:
 *
 * Many sockets on one thread: every descriptor sits in one epoll set
 * behind one #GSource (ev-epoll-source.c), level-triggered, and each has
 * one entry in a 1 ms timing wheel, due at the earliest of its session's
 * deadline and its owner's timer. The set's own wakeup is the wheel's
 * next due time. A program without a GLib main loop drives the same set
 * with ev_link_set_iterate().
 *
 * A conn is one descriptor: a listener whose accepted sockets become
 * conns, a socket accepted, adopted or connecting, or a descriptor only
 * watched. A socket conn reads a bounded amount per wakeup, writes what
 * the kernel takes and watches EPOLLOUT only while output waits. With an
 * #EvLinkSession it feeds the session, sends its output and closes once
 * the session is closed (its last bytes get one chance); without one it
 * hands the bytes to #EvLinkConnFuncs.received and sends what
 * ev_link_conn_send() queued. With an #EvTlsConn the handshake comes
 * first, driven by the same events, and the session starts after it.
 *
 * Conns closed while a call into the set is on the stack are freed when
 * it returns, so callbacks may close anything, their own conn included.
 */

/* Out of descriptors: stop accepting for this long, or until one closes. */
#define ACCEPT_PAUSE_US (100 * G_TIME_SPAN_MILLISECOND)

static inline gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Entering and leaving --------------------------------------------------- */

static void
conn_free (EvLinkConn *conn)
{
  g_clear_pointer (&conn->session, ev_link_session_free);
  g_clear_pointer (&conn->tls, ev_tls_conn_free);
  g_clear_pointer (&conn->out, g_byte_array_unref);
  g_clear_error (&conn->reason);
  g_free (conn);
}

void
link_set_enter (EvLinkSet *self)
{
  ev_link_set_ref (self);
  self->depth++;
}

static void
update_wakeup (EvLinkSet *self)
{
  gint64 due = ev_timer_wheel_get_next_due (&self->wheel);
  gint64 ready = due < 0 ? -1 : due * 1000;

  if (self->timers != NULL)
    {
      gint64 owner_due = ev_timer_wheel_get_next_due (self->timers);

      if (owner_due >= 0 && (ready < 0 || owner_due * 1000 < ready))
        ready = owner_due * 1000;
    }
  if (self->accept_paused_until > 0 && (ready < 0 || self->accept_paused_until < ready))
    ready = self->accept_paused_until;
  self->wakeup_us = ready;
  ev_epoll_source_set_wakeup (self->source, ready);
}

void
link_set_leave (EvLinkSet *self)
{
  g_assert (self->depth > 0);

  if (--self->depth == 0)
    {
      g_ptr_array_set_size (self->zombies, 0);
      update_wakeup (self);
    }
  ev_link_set_unref (self);
}

/* Conns coming and going ---------------------------------------------------- */

static void
resume_accepting (EvLinkSet *self)
{
  if (self->accept_paused_until == 0)
    return;

  self->accept_paused_until = 0;
  for (guint i = 0; i < self->listeners->len; i++)
    link_conn_set_events (g_ptr_array_index (self->listeners, i), EPOLLIN);
}

void
link_set_finish (EvLinkConn *conn)
{
  EvLinkSet *self = conn->set;

  conn->finished = TRUE;
  ev_epoll_source_remove (self->source, conn->fd);
  if (conn->tls != NULL)
    ev_tls_conn_bye (conn->tls);
  if (conn->kind != CONN_WATCH)
    close (conn->fd);
  conn->fd = -1;
  ev_timer_wheel_cancel (&self->wheel, &conn->entry);

  if (conn->prev != NULL)
    conn->prev->next = conn->next;
  else
    self->conns = conn->next;
  if (conn->next != NULL)
    conn->next->prev = conn->prev;
  self->n_conns--;
  if (conn->kind == CONN_LISTENER)
    g_ptr_array_remove_fast (self->listeners, conn);
  resume_accepting (self);

  g_ptr_array_add (self->zombies, conn);
  if (!conn->silent && conn->funcs->closed != NULL)
    conn->funcs->closed (conn, conn->reason, conn->user_data);
}

static EvLinkConn *
conn_new (EvLinkSet             *self,
          ConnKind               kind,
          int                    fd,
          guint32                events,
          const EvLinkConnFuncs *funcs,
          gpointer               user_data)
{
  EvLinkConn *conn = g_new0 (EvLinkConn, 1);

  conn->set = self;
  conn->kind = kind;
  conn->fd = fd;
  conn->funcs = funcs != NULL ? funcs : &link_conn_no_funcs;
  conn->user_data = user_data;
  conn->timer_us = -1;
  conn->due_ms = -1;

  if (!ev_epoll_source_add (self->source, fd, events, conn))
    {
      if (kind != CONN_WATCH)
        close (fd);
      g_free (conn);
      return NULL;
    }
  conn->events = events;

  conn->next = self->conns;
  if (self->conns != NULL)
    self->conns->prev = conn;
  self->conns = conn;
  self->n_conns++;
  return conn;
}

static void
conn_accept (EvLinkConn *listener,
             int         fd)
{
  int one = 1;
  EvLinkConn *conn;

  /* Frames are small and every one waits for an answer. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conn = conn_new (listener->set, CONN_STREAM, fd, EPOLLIN | EPOLLRDHUP, listener->funcs, listener->user_data);
  if (conn == NULL)
    return;

  conn->busy++;
  if (conn->funcs->accepted != NULL)
    conn->funcs->accepted (conn, conn->user_data);
  if (conn->tls == NULL && !conn->close_requested)
    link_conn_opened (conn);
  conn->busy--;
  link_conn_update (conn);
}

static void
accept_all (EvLinkConn *listener)
{
  EvLinkSet *self = listener->set;

  while (!listener->finished && self->accept_paused_until == 0)
    {
      int fd = accept4 (listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (fd >= 0)
        {
          conn_accept (listener, fd);
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
          /* Level-triggered, the listeners would wake us at once again:
           * stop watching them for a while. */
          g_debug ("accept: %s; pausing", g_strerror (errno));
          for (guint i = 0; i < self->listeners->len; i++)
            link_conn_set_events (g_ptr_array_index (self->listeners, i), 0);
          self->accept_paused_until = g_get_monotonic_time () + ACCEPT_PAUSE_US;
          return;

        case EAGAIN:
        default:
          return;
        }
    }
}

/* Dispatch ------------------------------------------------------------------- */

/* The first descriptor of a wakeup enters the set until the wakeup ends,
 * so that a conn closed early in the batch stays allocated for the rest. */
static void
batch_enter (EvLinkSet *self)
{
  if (self->in_batch)
    return;
  self->in_batch = TRUE;
  link_set_enter (self);
}

static void
epoll_ready_cb (gpointer tag,
                guint32  events,
                gpointer user_data)
{
  EvLinkSet *self = user_data;
  EvLinkConn *conn = tag;

  batch_enter (self);
  if (conn->finished)
    return;

  switch (conn->kind)
    {
    case CONN_LISTENER:
      accept_all (conn);
      return;

    case CONN_WATCH:
      conn->busy++;
      if (conn->funcs->ready != NULL)
        conn->funcs->ready (conn, events, conn->user_data);
      conn->busy--;
      link_conn_update (conn);
      return;

    case CONN_STREAM:
    default:
      link_conn_ready (conn, events);
      return;
    }
}

static void
timer_cb (EvTimerWheelEntry *entry,
          gpointer           user_data)
{
  EvLinkConn *conn = (EvLinkConn *) ((char *) entry - G_STRUCT_OFFSET (EvLinkConn, entry));
  gint64 now = g_get_monotonic_time ();

  conn->busy++;
  if (conn->timer_us >= 0 && conn->timer_us <= now)
    {
      conn->timer_us = -1;
      if (conn->funcs->timer != NULL)
        conn->funcs->timer (conn, now, conn->user_data);
    }
  if (conn->session != NULL)
    ev_link_session_tick (conn->session, now);
  conn->busy--;
  link_conn_update (conn);
}

static void
epoll_dispatched_cb (gpointer user_data)
{
  EvLinkSet *self = user_data;
  gint64 now = now_ms ();

  batch_enter (self);

  if (self->accept_paused_until > 0 && self->accept_paused_until <= g_get_monotonic_time ())
    resume_accepting (self);

  /* What the timers reschedule lands in a later millisecond. */
  self->floor_ms = now + 1;
  ev_timer_wheel_advance (&self->wheel, now, timer_cb, self);
  if (self->timers != NULL)
    ev_timer_wheel_advance (self->timers, now, self->timer_func, self->timer_data);
  self->floor_ms = 0;

  self->in_batch = FALSE;
  link_set_leave (self);
}

static const EvEpollSourceFuncs epoll_funcs = {
  .ready = epoll_ready_cb,
  .dispatched = epoll_dispatched_cb,
};

/* The set --------------------------------------------------------------------- */

/**
 * ev_link_set_new:
 * @error: return location for a #GError
 *
 * Creates an empty set, attached to no main context yet.
 *
 * Returns: (transfer full) (nullable): the set
 */
EvLinkSet *
ev_link_set_new (GError **error)
{
  EvLinkSet *self = g_new0 (EvLinkSet, 1);

  self->source = ev_epoll_source_new (&epoll_funcs, self, error);
  if (self->source == NULL)
    {
      g_free (self);
      return NULL;
    }
  g_source_set_static_name (self->source, "EvLinkSet");
  self->ref_count = 1;
  self->read_limit = EV_LINK_SET_DEFAULT_READ_LIMIT;
  self->wakeup_us = -1;
  self->listeners = g_ptr_array_new ();
  self->zombies = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  ev_timer_wheel_init (&self->wheel, now_ms ());
  return self;
}

/**
 * ev_link_set_ref:
 * @self: a set
 *
 * Returns: (transfer full): @self
 */
EvLinkSet *
ev_link_set_ref (EvLinkSet *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  self->ref_count++;
  return self;
}

/**
 * ev_link_set_unref:
 * @self: (transfer full): a set
 *
 * Drops a reference; the last one closes every conn without telling
 * their owners and frees the set.
 */
void
ev_link_set_unref (EvLinkSet *self)
{
  g_return_if_fail (self != NULL);

  if (--self->ref_count > 0)
    return;

  /* Closing needs the set alive for a moment more. */
  self->ref_count = 1;
  ev_link_set_close_all (self, FALSE);
  g_ptr_array_set_size (self->zombies, 0);
  g_source_destroy (self->source);
  g_clear_pointer (&self->source, g_source_unref);
  g_clear_pointer (&self->zombies, g_ptr_array_unref);
  g_clear_pointer (&self->listeners, g_ptr_array_unref);
  if (self->timers != NULL)
    ev_timer_wheel_clear (self->timers);
  g_free (self->timers);
  g_free (self);
}

/**
 * ev_link_set_attach:
 * @self: a set
 * @context: (nullable): the main context to run on, %NULL for the default
 *
 * Runs the set on @context from now on. Use it from that context's
 * thread only.
 */
void
ev_link_set_attach (EvLinkSet    *self,
                    GMainContext *context)
{
  g_return_if_fail (self != NULL);

  g_source_attach (self->source, context);
}

/**
 * ev_link_set_iterate:
 * @self: a set attached to no main context
 * @max_wait_ms: how long to wait at most, -1 for ever
 *
 * Waits until a descriptor is ready or a timer is due, but no longer
 * than @max_wait_ms, and dispatches what is: the loop of a program that
 * runs no GLib main loop.
 */
void
ev_link_set_iterate (EvLinkSet *self,
                     int        max_wait_ms)
{
  gint64 ready;
  int wait = max_wait_ms;

  g_return_if_fail (self != NULL);

  ready = g_source_get_ready_time (self->source);
  if (ready >= 0)
    {
      gint64 until = MAX ((ready - g_get_monotonic_time () + 999) / 1000, 0);

      if (wait < 0 || until < wait)
        wait = (int) until;
    }
  ev_epoll_source_wait (self->source, wait);
}

/**
 * ev_link_set_set_read_limit:
 * @self: a set
 * @limit: how many bytes to read from one descriptor in one wakeup
 *
 * The rest waits for the next wakeup (the epoll set is level-triggered).
 * A TLS conn may leave bytes inside GnuTLS that wake no epoll once it
 * reaches the limit: give G_MAXSIZE where that matters more than
 * fairness.
 */
void
ev_link_set_set_read_limit (EvLinkSet *self,
                            gsize      limit)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (limit > 0);

  self->read_limit = limit;
}

/**
 * ev_link_set_set_max_events:
 * @self: a set
 * @max_events: how many ready descriptors one wakeup serves, from 1 to
 *   512 (the default)
 *
 * The rest are served at the next wakeup, after the other sources of the
 * set's main context (a Kafka consumer on the same thread, say) had their
 * turn.
 */
void
ev_link_set_set_max_events (EvLinkSet *self,
                            guint      max_events)
{
  g_return_if_fail (self != NULL);

  ev_epoll_source_set_max_events (self->source, max_events);
}

/**
 * ev_link_set_get_n_conns:
 * @self: a set
 *
 * Returns: how many conns are open, listeners and watches included
 */
guint
ev_link_set_get_n_conns (EvLinkSet *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_conns;
}

/**
 * ev_link_set_listen:
 * @self: a set
 * @fd: (transfer full): a non-blocking socket that listens
 * @funcs: (nullable): what the listener and the conns it accepts call;
 *   must outlive them
 * @user_data: passed to @funcs
 *
 * Accepts connections on @fd, each as a conn with TCP_NODELAY (see
 * #EvLinkConnFuncs.accepted). Out of descriptors, accepting pauses for
 * 100 ms or until a conn closes. Closing the listener closes @fd.
 *
 * Returns: (transfer none) (nullable): the listener, %NULL if epoll
 *   refused @fd (which is then closed)
 */
EvLinkConn *
ev_link_set_listen (EvLinkSet             *self,
                    int                    fd,
                    const EvLinkConnFuncs *funcs,
                    gpointer               user_data)
{
  EvLinkConn *conn;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  conn = conn_new (self, CONN_LISTENER, fd, self->accept_paused_until > 0 ? 0 : EPOLLIN, funcs, user_data);
  if (conn != NULL)
    g_ptr_array_add (self->listeners, conn);
  return conn;
}

/**
 * ev_link_set_adopt:
 * @self: a set
 * @fd: (transfer full): a connected non-blocking socket
 * @funcs: (nullable): what the conn calls; must outlive it
 * @user_data: passed to @funcs
 *
 * Makes a conn of @fd. It opens at the next wakeup, so that the caller
 * may give it a session or TLS first.
 *
 * Returns: (transfer none) (nullable): the conn, %NULL if epoll refused
 *   @fd (which is then closed)
 */
EvLinkConn *
ev_link_set_adopt (EvLinkSet             *self,
                   int                    fd,
                   const EvLinkConnFuncs *funcs,
                   gpointer               user_data)
{
  EvLinkConn *conn;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  /* A connected socket is writable at once: that is the open event. */
  conn = conn_new (self, CONN_STREAM, fd, EPOLLOUT, funcs, user_data);
  if (conn == NULL)
    return NULL;
  conn->connecting = TRUE;
  return conn;
}

/**
 * ev_link_set_connect:
 * @self: a set
 * @address: where to connect
 * @address_len: the size of @address
 * @funcs: (nullable): what the conn calls; must outlive it
 * @user_data: passed to @funcs
 * @error: return location for a #GError
 *
 * Starts a non-blocking connect() with TCP_NODELAY. Once it is done,
 * #EvLinkConnFuncs.opened follows (after the TLS handshake when
 * ev_link_conn_set_tls() gave one), or #EvLinkConnFuncs.closed with why
 * it failed.
 *
 * Returns: (transfer none) (nullable): the conn, or %NULL with @error set
 */
EvLinkConn *
ev_link_set_connect (EvLinkSet              *self,
                     const struct sockaddr  *address,
                     socklen_t               address_len,
                     const EvLinkConnFuncs  *funcs,
                     gpointer                user_data,
                     GError                **error)
{
  int one = 1;
  int fd;
  int errsv;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (address != NULL, NULL);

  fd = socket (address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0)
    {
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect (fd, address, address_len) == 0 || errno == EINPROGRESS)
        {
          EvLinkConn *conn = ev_link_set_adopt (self, fd, funcs, user_data);

          if (conn != NULL)
            return conn;
          errno = ENOMEM;
          fd = -1;
        }
    }

  errsv = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not connect: %s"), g_strerror (errsv));
  return NULL;
}

/**
 * ev_link_set_watch:
 * @self: a set
 * @fd: a descriptor, still the caller's to close
 * @events: the epoll events to watch
 * @funcs: what the watch calls (#EvLinkConnFuncs.ready); must outlive it
 * @user_data: passed to @funcs
 *
 * Watches @fd without reading or writing it: a pipe, a signalfd, stdin.
 *
 * Returns: (transfer none) (nullable): the watch, %NULL if epoll refused
 *   @fd
 */
EvLinkConn *
ev_link_set_watch (EvLinkSet             *self,
                   int                    fd,
                   guint32                events,
                   const EvLinkConnFuncs *funcs,
                   gpointer               user_data)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  return conn_new (self, CONN_WATCH, fd, events, funcs, user_data);
}

/**
 * ev_link_set_close_all:
 * @self: a set
 * @notify: whether #EvLinkConnFuncs.closed hears of it
 *
 * Closes every conn, listeners and watches included; an established
 * session first ends with EOT.
 */
void
ev_link_set_close_all (EvLinkSet *self,
                       gboolean   notify)
{
  g_autoptr(GPtrArray) all = g_ptr_array_sized_new (self->n_conns);

  g_return_if_fail (self != NULL);

  link_set_enter (self);
  for (EvLinkConn *conn = self->conns; conn != NULL; conn = conn->next)
    g_ptr_array_add (all, conn);
  /* Callbacks may close other conns meanwhile: the zombies stay
   * allocated until this returns. */
  for (guint i = 0; i < all->len; i++)
    {
      EvLinkConn *conn = g_ptr_array_index (all, i);

      if (conn->finished)
        continue;
      conn->silent = conn->silent || !notify;
      if (conn->session != NULL)
        ev_link_session_close (conn->session);
      conn->close_requested = TRUE;
      link_conn_update (conn);
    }
  link_set_leave (self);
}


/* The owner's timers ----------------------------------------------------------- */

/**
 * ev_link_set_set_timer_func:
 * @self: a set
 * @func: called for each of the owner's entries once it is due (after it
 *   is unscheduled); it may call into the set and schedule any entry
 * @user_data: passed to @func
 *
 * Gives the owner timers of its own on the set's clock, tied to no conn:
 * something timed whether or not it has a descriptor now (a client
 * waiting to connect again, say). Set it once, before scheduling.
 */
void
ev_link_set_set_timer_func (EvLinkSet        *self,
                            EvTimerWheelFunc  func,
                            gpointer          user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  if (self->timers == NULL)
    {
      self->timers = g_new0 (EvTimerWheel, 1);
      ev_timer_wheel_init (self->timers, now_ms ());
    }
  self->timer_func = func;
  self->timer_data = user_data;
}

/**
 * ev_link_set_schedule:
 * @self: a set with a timer function
 * @entry: an entry of the owner's, embedded in what it times
 * @due_ms: when it is due, in milliseconds of g_get_monotonic_time()
 *
 * Schedules @entry, or moves it if it was scheduled.
 */
void
ev_link_set_schedule (EvLinkSet         *self,
                      EvTimerWheelEntry *entry,
                      gint64             due_ms)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->timers != NULL);

  ev_timer_wheel_schedule (self->timers, entry, due_ms);
  /* Within a call into the set the wakeup follows when it returns; an
   * earlier wakeup than needed only makes one dispatch find less due. */
  if (self->depth == 0 && (self->wakeup_us < 0 || due_ms * 1000 < self->wakeup_us))
    {
      self->wakeup_us = due_ms * 1000;
      ev_epoll_source_set_wakeup (self->source, self->wakeup_us);
    }
}

/**
 * ev_link_set_cancel:
 * @self: a set with a timer function
 * @entry: an entry of the owner's
 *
 * Unschedules @entry; an entry not scheduled is ignored.
 */
void
ev_link_set_cancel (EvLinkSet         *self,
                    EvTimerWheelEntry *entry)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->timers != NULL);

  ev_timer_wheel_cancel (self->timers, entry);
}

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ev-epoll-source.h"

/* GLib polls every watched descriptor on each iteration and re-sorts its
 * list on each dispatch, so thousands of sockets, one source each, cost
 * the square of their number (docs/architecture.md). Here the sockets sit
 * in one epoll set and GLib watches only that one descriptor, level-
 * triggered: a wakeup may leave input unread without losing it. */

#define MAX_EVENTS 512

typedef struct
{
  GSource source;
  const EvEpollSourceFuncs *funcs;
  gpointer user_data;
  int epoll_fd;
  gpointer tag;
  int max_events;   /* ready descriptors handed over per wakeup */
} EvEpollSource;

/* Waits up to @timeout_ms (-1 for ever, or no wait at all for -2), then
 * hands every ready descriptor over, then says it is done. */
static void
epoll_source_run (EvEpollSource *self,
                  int            timeout_ms)
{
  struct epoll_event events[MAX_EVENTS];
  int n = 0;

  if (timeout_ms != -2)
    n = epoll_wait (self->epoll_fd, events, self->max_events, timeout_ms);
  for (int i = 0; i < n; i++)
    self->funcs->ready (events[i].data.ptr, events[i].events, self->user_data);

  if (self->funcs->dispatched != NULL)
    self->funcs->dispatched (self->user_data);
}

static gboolean
epoll_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  EvEpollSource *self = (EvEpollSource *) source;

  /* A wakeup for the ready time alone needs no epoll_wait(). */
  epoll_source_run (self, (g_source_query_unix_fd (source, self->tag) & G_IO_IN) ? 0 : -2);
  return G_SOURCE_CONTINUE;
}

/**
 * ev_epoll_source_set_max_events:
 * @source: an epoll source
 * @max_events: how many ready descriptors one wakeup hands over, from 1
 *   to 512 (the default)
 *
 * The rest wait for the next wakeup, after the other sources of the main
 * context had their turn.
 */
void
ev_epoll_source_set_max_events (GSource *source,
                                guint    max_events)
{
  g_return_if_fail (max_events >= 1 && max_events <= MAX_EVENTS);

  ((EvEpollSource *) source)->max_events = max_events;
}

/**
 * ev_epoll_source_wait:
 * @source: an epoll source, attached to no main context
 * @timeout_ms: how long to wait for a descriptor at most, -1 for ever
 *
 * Runs @source without a main loop: waits for its descriptors, then
 * dispatches as the main context would, the dispatched function included.
 */
void
ev_epoll_source_wait (GSource *source,
                      int      timeout_ms)
{
  g_return_if_fail (timeout_ms >= -1);

  epoll_source_run ((EvEpollSource *) source, timeout_ms);
}

static void
epoll_source_finalize (GSource *source)
{
  EvEpollSource *self = (EvEpollSource *) source;

  if (self->epoll_fd >= 0)
    close (self->epoll_fd);
  self->epoll_fd = -1;
}

static GSourceFuncs epoll_source_funcs = {
  .dispatch = epoll_source_dispatch,
  .finalize = epoll_source_finalize,
};

/**
 * ev_epoll_source_new:
 * @funcs: (not nullable): what to call; must outlive the source
 * @user_data: passed to @funcs
 * @error: return location for a #GError
 *
 * Creates a source over a new epoll set. Attach it to a main context.
 *
 * Returns: (transfer full) (nullable): the source
 */
GSource *
ev_epoll_source_new (const EvEpollSourceFuncs  *funcs,
                     gpointer                   user_data,
                     GError                   **error)
{
  EvEpollSource *self;
  int fd;

  g_return_val_if_fail (funcs != NULL && funcs->ready != NULL, NULL);

  fd = epoll_create1 (EPOLL_CLOEXEC);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the epoll set: %s"), g_strerror (errsv));
      return NULL;
    }

  self = (EvEpollSource *) g_source_new (&epoll_source_funcs, sizeof (EvEpollSource));
  self->funcs = funcs;
  self->user_data = user_data;
  self->epoll_fd = fd;
  self->max_events = MAX_EVENTS;
  self->tag = g_source_add_unix_fd (&self->source, fd, G_IO_IN);
  g_source_set_static_name (&self->source, "EvEpollSource");
  return &self->source;
}

static gboolean
control (GSource  *source,
         int       op,
         int       fd,
         guint32   events,
         gpointer  tag)
{
  EvEpollSource *self = (EvEpollSource *) source;
  struct epoll_event event = { .events = events, .data.ptr = tag };

  if (epoll_ctl (self->epoll_fd, op, fd, &event) == 0)
    return TRUE;
  g_debug ("epoll_ctl(%d) on descriptor %d: %s", op, fd, g_strerror (errno));
  return FALSE;
}

/**
 * ev_epoll_source_add:
 * @source: an epoll source
 * @fd: a non-blocking descriptor
 * @events: the epoll events to watch
 * @tag: handed back to the ready function
 *
 * Returns: %TRUE on success
 */
gboolean
ev_epoll_source_add (GSource  *source,
                     int       fd,
                     guint32   events,
                     gpointer  tag)
{
  return control (source, EPOLL_CTL_ADD, fd, events, tag);
}

gboolean
ev_epoll_source_modify (GSource  *source,
                        int       fd,
                        guint32   events,
                        gpointer  tag)
{
  return control (source, EPOLL_CTL_MOD, fd, events, tag);
}

void
ev_epoll_source_remove (GSource *source,
                        int      fd)
{
  control (source, EPOLL_CTL_DEL, fd, 0, NULL);
}

/**
 * ev_epoll_source_set_wakeup:
 * @source: an epoll source
 * @monotonic_us: when to dispatch even without input (as
 *   g_get_monotonic_time()), or -1 for never
 */
void
ev_epoll_source_set_wakeup (GSource *source,
                            gint64   monotonic_us)
{
  if (g_source_get_ready_time (source) != monotonic_us)
    g_source_set_ready_time (source, monotonic_us);
}

/**
 * ev_raise_fd_limit:
 *
 * Raises the soft limit of open descriptors to the hard limit, for a
 * process that holds one socket per link.
 */
void
ev_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;

  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("setrlimit(RLIMIT_NOFILE): %s", g_strerror (errno));
}

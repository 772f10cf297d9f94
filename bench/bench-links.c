/* The client side shared by the monitor-link benchmarks: see
 * bench-links.h. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <glib/gstdio.h>

#include "bench-links.h"
#include "ev-epoll-source.h"

/* Connecting pauses this often so that the server can accept and answer
 * as its backlog fills. */
#define CONNECT_BATCH 500

void
bench_link_close (BenchLink *link)
{
  if (link->closed)
    return;

  link->closed = TRUE;
  link->all->n_closed++;
  if (link->fd >= 0)
    {
      epoll_ctl (link->all->epoll_fd, EPOLL_CTL_DEL, link->fd, NULL);
      close (link->fd);
      link->fd = -1;
    }
}

/* Requests and control bytes are tiny: the kernel takes them whole or the
 * link counts as failed. */
void
bench_link_send (BenchLink  *link,
                 const void *data,
                 gsize       len)
{
  if (link->closed)
    return;

  if (send (link->fd, data, len, MSG_NOSIGNAL) != (gssize) len)
    {
      link->all->send_failures++;
      bench_link_close (link);
    }
}

/* Sends @frame as the link's one outstanding request. */
void
bench_link_request (BenchLink *link,
                    GBytes    *frame)
{
  link->outstanding = TRUE;
  link->sent_at = g_get_monotonic_time ();
  bench_link_send (link, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

static void
link_decoded_cb (const EvFrameEvent *event,
                 gpointer            user_data)
{
  BenchLink *link = user_data;
  BenchLinks *all = link->all;
  guint8 reply;

  switch (event->type)
    {
    case EV_FRAME_EVENT_CONTROL:
      if (event->control == EV_FRAME_ACK && !link->established)
        {
          link->established = TRUE;
          all->n_established++;
          if (all->callbacks->established != NULL)
            all->callbacks->established (link);
        }
      else if (event->control == EV_FRAME_NACK)
        {
          all->nacks++;
          /* A refused ENQ: the server is full. */
          if (!link->established)
            bench_link_close (link);
        }
      else if (event->control == EV_FRAME_EOT)
        {
          all->eots++;
          bench_link_close (link);
        }
      break;

    case EV_FRAME_EVENT_FRAME:
      reply = EV_FRAME_ACK;
      bench_link_send (link, &reply, 1);
      if (!link->outstanding)
        {
          /* The server speaks only when spoken to. */
          all->bad_frames++;
          break;
        }
      link->outstanding = FALSE;
      if (all->callbacks->frame != NULL)
        all->callbacks->frame (link, event->data, event->len);
      break;

    case EV_FRAME_EVENT_BAD_FRAME:
    default:
      reply = EV_FRAME_NACK;
      bench_link_send (link, &reply, 1);
      all->bad_frames++;
      break;
    }
}

/* A non-blocking connect() finished: on success, start the handshake. */
static void
link_connected (BenchLink *link)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = link };
  guint8 enq = EV_FRAME_ENQ;
  socklen_t len = sizeof (int);
  int error = 0;

  link->connecting = FALSE;
  if (getsockopt (link->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
    {
      if (link->all->connect_failures++ == 0)
        g_printerr ("connect: %s\n", g_strerror (error != 0 ? error : errno));
      bench_link_close (link);
      return;
    }
  epoll_ctl (link->all->epoll_fd, EPOLL_CTL_MOD, link->fd, &event);
  bench_link_send (link, &enq, 1);
}

static void
link_ready (BenchSource *source,
            guint32      events)
{
  BenchLink *link = (BenchLink *) source;
  guint8 buffer[4096];

  if (link->connecting)
    {
      link_connected (link);
      return;
    }

  while (!link->closed)
    {
      gssize n = recv (link->fd, buffer, sizeof buffer, 0);

      if (n > 0)
        ev_frame_decoder_feed (link->decoder, buffer, n);
      else if (n < 0 && errno == EINTR)
        continue;
      else
        {
          if (n == 0 || errno != EAGAIN)
            {
              link->all->closed_by_peer++;
              bench_link_close (link);
            }
          break;
        }
    }
}

void
bench_links_init (BenchLinks               *all,
                  guint                     n,
                  const BenchLinkCallbacks *callbacks,
                  gpointer                  user_data,
                  const char               *periodic_json,
                  gint64                    period_us)
{
  memset (all, 0, sizeof *all);
  all->n = n;
  all->links = g_new0 (BenchLink, n);
  all->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  all->callbacks = callbacks;
  all->user_data = user_data;
  ev_timer_wheel_init (&all->wheel, g_get_monotonic_time () / 1000);
  all->n_closed = n;
  all->periodic.request = bench_frame_new (periodic_json);
  all->periodic.period_us = period_us;
  all->periodic.measure_from = G_MAXINT64;
  all->periodic.measure_until = G_MAXINT64;
  all->periodic.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < n; i++)
    {
      all->links[i].all = all;
      all->links[i].index = i;
      all->links[i].fd = -1;
      all->links[i].closed = TRUE;
    }
}

void
bench_links_clear (BenchLinks *all)
{
  bench_links_close_all (all, FALSE);
  g_clear_pointer (&all->links, g_free);
  g_clear_pointer (&all->periodic.request, g_bytes_unref);
  g_clear_pointer (&all->periodic.latencies, g_array_unref);
  if (all->epoll_fd >= 0)
    close (all->epoll_fd);
  all->epoll_fd = -1;
}

/* Starts connecting: the server's accept queue may be full, so the
 * handshake continues in the loop rather than blocking it. */
static gboolean
link_connect (BenchLink *link,
              guint16    port)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  struct epoll_event event = { .events = EPOLLOUT, .data.ptr = link };
  int one = 1;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  address.sin_port = htons (port);
  link->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (link->fd < 0 ||
      (connect (link->fd, (struct sockaddr *) &address, sizeof address) != 0 && errno != EINPROGRESS))
    {
      g_printerr ("connect: %s\n", g_strerror (errno));
      if (link->fd >= 0)
        close (link->fd);
      link->fd = -1;
      return FALSE;
    }

  link->source.ready = link_ready;
  link->connecting = TRUE;
  link->closed = FALSE;
  link->established = FALSE;
  link->outstanding = FALSE;
  link->all->n_closed--;
  setsockopt (link->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_ctl (link->all->epoll_fd, EPOLL_CTL_ADD, link->fd, &event);
  if (link->decoder == NULL)
    link->decoder = ev_frame_decoder_new (link_decoded_cb, link);
  else
    ev_frame_decoder_reset (link->decoder);
  return TRUE;
}

/* Opens every link (all closed before) and sends its ENQ; waits until
 * every handshake ended or @timeout_us passed. */
gboolean
bench_links_connect_all (BenchLinks *all,
                         guint16     port,
                         gint64      timeout_us)
{
  gint64 deadline;

  all->n_established = 0;
  for (guint i = 0; i < all->n; i++)
    {
      if (!link_connect (&all->links[i], port))
        return FALSE;
      if (i % CONNECT_BATCH == CONNECT_BATCH - 1)
        bench_links_run (all, g_get_monotonic_time () + 1000);
    }

  deadline = g_get_monotonic_time () + timeout_us;
  while (all->n_established + all->n_closed < all->n && g_get_monotonic_time () < deadline)
    bench_links_run (all, g_get_monotonic_time () + 10000);
  return TRUE;
}

void
bench_links_close_all (BenchLinks *all,
                       gboolean    send_eot)
{
  guint8 eot = EV_FRAME_EOT;

  for (guint i = 0; i < all->n; i++)
    {
      if (send_eot)
        bench_link_send (&all->links[i], &eot, 1);
      bench_link_close (&all->links[i]);
      g_clear_pointer (&all->links[i].decoder, ev_frame_decoder_free);
    }
  /* Forget the schedule: the links are gone. */
  ev_timer_wheel_clear (&all->wheel);
}

void
bench_links_add_source (BenchLinks  *all,
                        int          fd,
                        BenchSource *source)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = source };

  epoll_ctl (all->epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

void
bench_links_remove_fd (BenchLinks *all,
                       int         fd)
{
  epoll_ctl (all->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

void
bench_links_schedule (BenchLinks *all,
                      BenchLink  *link,
                      gint64      due)
{
  /* A link already late runs at the next turn of the loop. */
  link->due = MAX (due, all->wheel.next_ms * 1000);
  ev_timer_wheel_schedule (&all->wheel, &link->timer, link->due / 1000);
}

static void
link_due_cb (EvTimerWheelEntry *entry,
             gpointer           user_data)
{
  BenchLinks *all = user_data;
  BenchLink *link = (BenchLink *) ((char *) entry - G_STRUCT_OFFSET (BenchLink, timer));

  if (!link->closed && all->callbacks->due != NULL)
    all->callbacks->due (link);
}

/* Calls the due callback of every link due up to now, one 1 ms slot at a
 * time. */
static void
run_wheel (BenchLinks *all)
{
  ev_timer_wheel_advance (&all->wheel, g_get_monotonic_time () / 1000, link_due_cb, all);
}

void
bench_links_run (BenchLinks *all,
                 gint64      until)
{
  struct epoll_event events[512];

  while (g_get_monotonic_time () < until)
    {
      int n = epoll_wait (all->epoll_fd, events, G_N_ELEMENTS (events), 1);

      for (int i = 0; i < n; i++)
        {
          BenchSource *source = events[i].data.ptr;

          source->ready (source, events[i].events);
        }
      run_wheel (all);
    }
}

guint64
bench_links_get_errors (BenchLinks *all)
{
  return all->nacks + all->eots + all->bad_frames + all->send_failures + all->closed_by_peer +
         all->connect_failures;
}

void
bench_links_start_window (BenchLinks *all,
                          gint64      duration_us)
{
  all->periodic.measure_from = g_get_monotonic_time ();
  all->periodic.measure_until = all->periodic.measure_from + duration_us;
}

static gboolean
in_window (BenchPeriodic *periodic,
           gint64         time)
{
  return time >= periodic->measure_from && time < periodic->measure_until;
}

void
bench_link_periodic_due (BenchLink *link)
{
  BenchPeriodic *periodic = &link->all->periodic;
  double factor = 1.0 + g_random_double_range (-BENCH_JITTER, BENCH_JITTER);

  bench_links_schedule (link->all, link, link->due + (gint64) (periodic->period_us * factor));

  if (link->outstanding)
    {
      /* The previous request is still unanswered: one at a time. */
      periodic->skipped_total++;
      periodic->skipped += in_window (periodic, g_get_monotonic_time ());
      return;
    }

  bench_link_request (link, periodic->request);
  periodic->sent += in_window (periodic, link->sent_at);
}

/* Called on the answer to a periodic request: records its latency if it
 * was sent and answered inside the window, and returns TRUE then. */
gboolean
bench_link_periodic_answered (BenchLink *link,
                              gint64    *out_latency)
{
  BenchPeriodic *periodic = &link->all->periodic;
  gint64 now = g_get_monotonic_time ();
  gint64 latency = now - link->sent_at;

  if (out_latency != NULL)
    *out_latency = latency;
  if (!in_window (periodic, link->sent_at) || now > periodic->measure_until)
    return FALSE;
  g_array_append_val (periodic->latencies, latency);
  return TRUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

void
bench_latencies_sort (GArray *latencies)
{
  g_array_sort (latencies, compare_gint64);
}

double
bench_latency_ms (GArray *sorted,
                  double  p)
{
  guint i;

  if (sorted->len == 0)
    return 0.0;
  i = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gint64, i) / 1000.0;
}

void
bench_raise_fd_limit (void)
{
  ev_raise_fd_limit ();
}

GBytes *
bench_frame_new (const char *json)
{
  return ev_frame_encode (json, strlen (json), NULL);
}

/* A program of the build, relative to the running benchmark. */
char *
bench_default_program (const char *relative)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname (self != NULL ? self : ".");

  return g_build_filename (dir, relative, NULL);
}

void
bench_remove_tree (const char *path)
{
  GDir *dir = g_file_test (path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      bench_remove_tree (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  if (g_remove (path) != 0)
    g_printerr ("could not remove %s: %s\n", path, g_strerror (errno));
}

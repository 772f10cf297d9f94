/* The client side shared by the monitor-link benchmarks: see
 * bench-links.h. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>

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
  if (link->conn != NULL)
    {
      /* Closed on purpose: no error to count. */
      ev_link_conn_set_user_data (link->conn, NULL, NULL);
      ev_link_conn_close (g_steal_pointer (&link->conn));
    }
}

void
bench_link_send (BenchLink  *link,
                 const void *data,
                 gsize       len)
{
  if (!link->closed)
    ev_link_conn_send (link->conn, data, len);
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

/* The connect() finished: start the handshake. */
static void
link_opened_cb (EvLinkConn *conn,
                gpointer    user_data)
{
  guint8 enq = EV_FRAME_ENQ;

  bench_link_send (user_data, &enq, 1);
}

static void
link_received_cb (EvLinkConn   *conn,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  BenchLink *link = user_data;

  if (!link->closed)
    ev_frame_decoder_feed (link->decoder, data, len);
}

static void
link_timer_cb (EvLinkConn *conn,
               gint64      now_us,
               gpointer    user_data)
{
  BenchLink *link = user_data;

  if (!link->closed && link->all->callbacks->due != NULL)
    link->all->callbacks->due (link);
}

/* The connection failed or the server closed it. */
static void
link_closed_cb (EvLinkConn   *conn,
                const GError *reason,
                gpointer      user_data)
{
  BenchLink *link = user_data;

  link->conn = NULL;
  if (g_error_matches (reason, EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED))
    link->all->closed_by_peer++;
  else if (link->all->connect_failures++ == 0)
    g_printerr ("connect: %s\n", reason != NULL ? reason->message : "?");
  bench_link_close (link);
}

static const EvLinkConnFuncs link_funcs = {
  .opened = link_opened_cb,
  .received = link_received_cb,
  .timer = link_timer_cb,
  .closed = link_closed_cb,
};

void
bench_links_init (BenchLinks               *all,
                  guint                     n,
                  const BenchLinkCallbacks *callbacks,
                  gpointer                  user_data,
                  const char               *periodic_json,
                  gint64                    period_us)
{
  g_autoptr(GError) error = NULL;

  memset (all, 0, sizeof *all);
  all->n = n;
  all->links = g_new0 (BenchLink, n);
  all->set = ev_link_set_new (&error);
  if (all->set == NULL)
    g_error ("%s", error->message);
  all->callbacks = callbacks;
  all->user_data = user_data;
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
  g_clear_pointer (&all->set, ev_link_set_unref);
}

/* Starts connecting: the server's accept queue may be full, so the
 * handshake continues in the loop rather than blocking it. */
static gboolean
link_connect (BenchLink *link,
              guint16    port)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  g_autoptr(GError) error = NULL;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  address.sin_port = htons (port);
  link->conn = ev_link_set_connect (link->all->set, (struct sockaddr *) &address, sizeof address,
                                    &link_funcs, link, &error);
  if (link->conn == NULL)
    {
      g_printerr ("connect: %s\n", error->message);
      return FALSE;
    }

  link->closed = FALSE;
  link->established = FALSE;
  link->outstanding = FALSE;
  link->all->n_closed--;
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
}

static void
source_ready_cb (EvLinkConn *conn,
                 guint32     events,
                 gpointer    user_data)
{
  BenchSource *source = user_data;

  source->ready (source, events);
}

static const EvLinkConnFuncs source_funcs = {
  .ready = source_ready_cb,
};

void
bench_links_add_source (BenchLinks  *all,
                        int          fd,
                        BenchSource *source)
{
  source->watch = ev_link_set_watch (all->set, fd, EPOLLIN, &source_funcs, source);
}

void
bench_links_remove_source (BenchLinks  *all,
                           BenchSource *source)
{
  if (source->watch != NULL)
    ev_link_conn_close (g_steal_pointer (&source->watch));
}

void
bench_links_schedule (BenchLinks *all,
                      BenchLink  *link,
                      gint64      due)
{
  /* A link already late runs at the next turn of the loop. */
  link->due = MAX (due, g_get_monotonic_time ());
  if (link->conn != NULL)
    ev_link_conn_set_timer (link->conn, link->due);
}

void
bench_links_run (BenchLinks *all,
                 gint64      until)
{
  while (g_get_monotonic_time () < until)
    ev_link_set_iterate (all->set, 1);
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

/* monitor-links: N monitor links against one CentralMonitorServer.
 *
 * The server runs in a forked child on its own main loop, so its CPU time
 * (getrusage) is its alone. The parent plays N monitors on plain
 * non-blocking sockets in one epoll loop (bench-links.c): each sends a "status" request
 * about once a second (with jitter), ACKs the response, and records the
 * time from sending the request to receiving its response.
 *
 *   monitor-links [--links N] [--seconds S] [--rate R]
 */

#include "config.h"

#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <glib-unix.h>

#include "bench-links.h"
#include "central-monitor-server.h"

#define STATUS_REQUEST "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}"
#define STATUS_RESPONSE "{\"status\":\"ok\",\"price\":0.35}"
#define WARM_UP_US (2 * G_USEC_PER_SEC)

/* ---------------------------------------------------------------------
 * The server, in the child.
 * --------------------------------------------------------------------- */

typedef struct {
  gint64 cpu_us;
  gint64 wall_us;
  guint64 answered;
  guint n_links;
} ServerReport;

typedef struct {
  CentralMonitorServer *server;
  GMainLoop *loop;
  struct rusage start_usage;
  gint64 start_time;
  guint64 answered;
  guint64 answered_at_start;
  int report_fd;
} ServerSide;

static void
server_request_cb (CentralMonitorServer *server,
                   guint64               link_id,
                   const char           *text,
                   gsize                 len,
                   gpointer              user_data)
{
  ServerSide *side = user_data;

  if (central_monitor_server_respond (server, link_id, STATUS_RESPONSE, -1, NULL))
    side->answered++;
}

static const CentralMonitorServerCallbacks server_callbacks = {
  .request = server_request_cb,
};

static gint64
cpu_us_of (const struct rusage *usage)
{
  return (gint64) (usage->ru_utime.tv_sec + usage->ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage->ru_utime.tv_usec + usage->ru_stime.tv_usec;
}

static gboolean
start_measuring_cb (gpointer user_data)
{
  ServerSide *side = user_data;

  getrusage (RUSAGE_SELF, &side->start_usage);
  side->start_time = g_get_monotonic_time ();
  side->answered_at_start = side->answered;
  return G_SOURCE_CONTINUE;
}

static gboolean
stop_measuring_cb (gpointer user_data)
{
  ServerSide *side = user_data;
  ServerReport report = { 0, };
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  report.cpu_us = cpu_us_of (&usage) - cpu_us_of (&side->start_usage);
  report.wall_us = g_get_monotonic_time () - side->start_time;
  report.answered = side->answered - side->answered_at_start;
  report.n_links = central_monitor_server_get_n_links (side->server);
  if (write (side->report_fd, &report, sizeof report) != sizeof report)
    g_printerr ("server: could not write its report\n");

  g_main_loop_quit (side->loop);
  return G_SOURCE_REMOVE;
}

static int
run_server (int report_fd)
{
  g_autoptr(GError) error = NULL;
  ServerSide side = { .report_fd = report_fd };
  guint port;

  side.server = central_monitor_server_new (&server_callbacks, &side);
  side.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGUSR1, start_measuring_cb, &side);
  g_unix_signal_add (SIGTERM, stop_measuring_cb, &side);

  if (!central_monitor_server_listen (side.server, "127.0.0.1:0", &error))
    {
      g_printerr ("server: %s\n", error->message);
      return 1;
    }
  port = central_monitor_server_get_port (side.server);
  if (write (report_fd, &port, sizeof port) != sizeof port)
    return 1;

  start_measuring_cb (&side);
  g_main_loop_run (side.loop);

  central_monitor_server_close (side.server);
  g_object_unref (side.server);
  g_main_loop_unref (side.loop);
  return 0;
}

/* ---------------------------------------------------------------------
 * The monitors, in the parent (the links themselves: bench-links.c).
 * --------------------------------------------------------------------- */

/* Only the latency of an answer matters. */
static void
monitor_frame (BenchLink  *link,
               const char *data,
               gsize       len)
{
  bench_link_periodic_answered (link, NULL);
}

static const BenchLinkCallbacks monitor_callbacks = {
  .frame = monitor_frame,
  .due = bench_link_periodic_due,
};

int
main (int   argc,
      char *argv[])
{
  int links = 10000;
  int seconds = 20;
  double rate = 1.0;
  GOptionEntry entries[] = {
    { "links", 'n', 0, G_OPTION_ARG_INT, &links, "Monitor links to open (10000)", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Seconds to measure (20)", "S" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Requests per second per link (1)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("— load a CentralMonitorServer");
  g_autoptr(GError) error = NULL;
  BenchLinks clients;
  BenchLinks *all = &clients;
  BenchPeriodic *periodic = &clients.periodic;
  ServerReport report = { 0, };
  int pipe_fds[2];
  guint port = 0;
  pid_t child;
  gint64 started;
  int status;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (links <= 0 || seconds <= 0 || rate * BENCH_WHEEL_SLOTS / 1000.0 <= 1.0 + BENCH_JITTER)
    {
      g_printerr ("--links and --seconds must be positive, --rate at least 0.14\n");
      return 2;
    }

  bench_raise_fd_limit ();
  if (pipe (pipe_fds) != 0)
    return 1;

  child = fork ();
  if (child < 0)
    return 1;
  if (child == 0)
    {
      close (pipe_fds[0]);
      _exit (run_server (pipe_fds[1]));
    }
  close (pipe_fds[1]);

  if (read (pipe_fds[0], &port, sizeof port) != sizeof port)
    {
      g_printerr ("the server did not start\n");
      return 1;
    }

  bench_links_init (all, links, &monitor_callbacks, NULL, STATUS_REQUEST,
                    (gint64) (G_USEC_PER_SEC / rate));

  started = g_get_monotonic_time ();
  if (!bench_links_connect_all (all, port, 30 * G_USEC_PER_SEC))
    {
      kill (child, SIGKILL);
      return 1;
    }
  g_print ("%u links established in %.2f s (%u failed)\n", all->n_established,
           (g_get_monotonic_time () - started) / 1e6, all->n - all->n_established);

  /* Spread the first requests over one period, warm up, then measure. */
  for (int i = 0; i < links; i++)
    bench_links_schedule (all, &all->links[i],
                          g_get_monotonic_time () + g_random_int_range (0, (gint32) periodic->period_us));

  bench_links_run (all, g_get_monotonic_time () + WARM_UP_US);
  kill (child, SIGUSR1);
  bench_links_start_window (all, (gint64) seconds * G_USEC_PER_SEC);
  bench_links_run (all, periodic->measure_until);
  kill (child, SIGTERM);

  if (read (pipe_fds[0], &report, sizeof report) != sizeof report)
    g_printerr ("the server sent no report\n");
  waitpid (child, &status, 0);

  bench_latencies_sort (periodic->latencies);
  g_print ("| links | seconds | rate/link | sent | answered | skipped | errors | p50 ms | p99 ms | max ms | server CPU (%% of a core) |\n");
  g_print ("|---|---|---|---|---|---|---|---|---|---|---|\n");
  g_print ("| %u | %d | %.2f | %" G_GUINT64_FORMAT " | %u | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
           " | %.2f | %.2f | %.2f | %.1f |\n",
           all->n_established, seconds, rate, periodic->sent, periodic->latencies->len, periodic->skipped,
           bench_links_get_errors (all),
           bench_latency_ms (periodic->latencies, 0.50),
           bench_latency_ms (periodic->latencies, 0.99),
           bench_latency_ms (periodic->latencies, 1.0),
           report.wall_us > 0 ? 100.0 * report.cpu_us / report.wall_us : 0.0);

  bench_links_clear (all);

  return 0;
}

/* ack-server: the least a server can do for the monitors' links.
 *
 * The limit against which the ladder (ladder.py) compares Central: one
 * thread, one EvLinkSet driven without a GLib main loop, plain
 * non-blocking sockets.
 * It does per link what Central's link layer must do and nothing more:
 * ENQ → ACK, every frame ACKed (a bad one NACKed), each frame's JSON
 * parsed and validated by the same decoder as Central's
 * (ev_link_request_parse), `register`/`auth` remembered per link (the CP
 * id; anything else first is `not-authenticated`), `status` answered with
 * the price, every response encoded and framed when it is sent, and two
 * timers per link on a timing wheel as Central keeps them: 10 s to
 * authenticate, and closing a link silent for 10 s. What it does not do
 * is all of Central's work beyond the link: no token check, no store, no
 * Kafka, no CP states, no supplies, no log, no view models. The ladder's
 * ratio is Central's CPU per status frame over this one's.
 *
 *   ack-server [--listen ADDR:PORT] [--backlog N]
 *
 * Standard output, one JSON object per line: `ready` (with the port), and
 * on SIGUSR1 or the stdin command `window-start` a `window-start` event;
 * on SIGUSR2 or `window-end` a `window` event with its own CPU time (user +
 * system) and the status frames answered since the window
 * started. stdin `stats` prints the totals (`timed_out`: links closed by a
 * timer); `quit`, end of input, SIGINT or SIGTERM end it.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>

#include "ev-frame.h"
#include "ev-link-set.h"
#include "ev-messages.h"

/* docs/protocol.md, section 2, and the implementation notes. */
#define AUTH_DEADLINE_MS 10000
#define IDLE_TIMEOUT_MS 10000
#define PRICE 0.35

typedef struct _Server Server;

typedef struct
{
  Server *server;
  EvLinkConn *conn;
  EvFrameDecoder *decoder;
  /* The CP id of a successful `register` or `auth`; NULL before. */
  char *cp_id;
} Link;

typedef struct
{
  gint64 wall_us;
  gint64 cpu_us;
  guint64 status_frames;
  guint64 frames;
} Mark;

struct _Server
{
  EvLinkSet *set;
  int signal_fd;
  GByteArray *reply;
  guint64 next_token;
  char line[512];
  size_t line_len;
  int quit;
  gboolean in_window;
  Mark window;
  /* Totals since the start. */
  guint64 links;
  guint64 accepted;
  guint64 closed;
  guint64 frames;
  guint64 status_frames;
  guint64 bad_frames;
  guint64 bad_requests;
  guint64 failures;
  guint64 timed_out;
};

/* User + system time of this (single-threaded) process. */
static gint64
cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
link_closed_cb (EvLinkConn   *conn,
                const GError *reason,
                gpointer      user_data)
{
  Link *link = user_data;
  Server *server = link->server;

  if (reason != NULL && !g_error_matches (reason, EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED))
    server->failures++;
  g_clear_pointer (&link->decoder, ev_frame_decoder_free);
  g_free (link->cp_id);
  g_free (link);
  server->links--;
  server->closed++;
}

/* What Central's link layer answers, without Central's rules: the same
 * decoder, the same encoder, a CP id kept per link. */
static EvLinkResponse *
respond_to (Link       *link,
            const char *data,
            gsize       len)
{
  Server *server = link->server;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  request = ev_link_request_parse (data, len, &reason, &error);
  if (request == NULL)
    {
      server->bad_requests++;
      return ev_link_response_new_for_reason (reason);
    }

  switch (request->type)
    {
    case EV_LINK_REQUEST_REGISTER:
      {
        g_autofree char *token = g_strdup_printf ("ack-server-%" G_GUINT64_FORMAT, ++server->next_token);

        g_free (link->cp_id);
        link->cp_id = g_strdup (request->cp_id);
        return ev_link_response_new_registered (PRICE, token);
      }
    case EV_LINK_REQUEST_AUTH:
      g_free (link->cp_id);
      link->cp_id = g_strdup (request->cp_id);
      return ev_link_response_new_authorized (PRICE, "ack-server");
    case EV_LINK_REQUEST_STATUS:
      if (link->cp_id == NULL)
        return ev_link_response_new_denied (EV_LINK_REASON_NOT_AUTHENTICATED);
      server->status_frames++;
      return ev_link_response_new_ok_with_price (PRICE);
    case EV_LINK_REQUEST_HELLO:
    case EV_LINK_REQUEST_HEALTH:
    case EV_LINK_REQUEST_CENTRAL:
    case EV_LINK_REQUEST_PRICE:
    default:
      return ev_link_response_new_unknown_type ();
    }
}

static void
link_decoded_cb (const EvFrameEvent *event,
                 gpointer            user_data)
{
  Link *link = user_data;
  Server *server = link->server;
  guint8 reply[1];
  g_autoptr(EvLinkResponse) response = NULL;
  g_autofree char *json = NULL;
  gsize size;

  switch (event->type)
    {
    case EV_FRAME_EVENT_CONTROL:
      if (event->control == EV_FRAME_ENQ)
        {
          reply[0] = EV_FRAME_ACK;
          ev_link_conn_send (link->conn, reply, 1);
        }
      else if (event->control == EV_FRAME_EOT)
        ev_link_conn_close (link->conn);
      break;

    case EV_FRAME_EVENT_FRAME:
      /* ACK and the response leave in one send. */
      server->frames++;
      response = respond_to (link, event->data, event->len);
      json = ev_link_response_to_json (response, &size);
      g_byte_array_set_size (server->reply, 0);
      g_byte_array_append (server->reply, (const guint8 *) "\x06", 1);
      if (ev_frame_encode_append (server->reply, json, size, NULL))
        ev_link_conn_send (link->conn, server->reply->data, server->reply->len);
      break;

    case EV_FRAME_EVENT_BAD_FRAME:
    default:
      server->bad_frames++;
      reply[0] = EV_FRAME_NACK;
      ev_link_conn_send (link->conn, reply, 1);
      break;
    }
}

static void
link_received_cb (EvLinkConn   *conn,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  Link *link = user_data;

  ev_frame_decoder_feed (link->decoder, data, len);
  /* Central closes a link silent for 10 s; until the link has
   * authenticated, its deadline stands whatever it sends. */
  if (link->cp_id != NULL)
    ev_link_conn_set_timer (conn, g_get_monotonic_time () + IDLE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND);
}

static void
link_timer_cb (EvLinkConn *conn,
               gint64      now_us,
               gpointer    user_data)
{
  Link *link = user_data;
  guint8 eot = EV_FRAME_EOT;

  /* Best effort, as Central: EOT, then the socket is closed. */
  ev_link_conn_send (conn, &eot, 1);
  link->server->timed_out++;
  ev_link_conn_close (conn);
}

static const EvLinkConnFuncs link_funcs = {
  .received = link_received_cb,
  .timer = link_timer_cb,
  .closed = link_closed_cb,
};

static void
link_accepted_cb (EvLinkConn *conn,
                  gpointer    user_data)
{
  Server *server = user_data;
  Link *link = g_new0 (Link, 1);

  link->server = server;
  link->conn = conn;
  link->decoder = ev_frame_decoder_new (link_decoded_cb, link);
  ev_link_conn_set_user_data (conn, &link_funcs, link);
  ev_link_conn_set_timer (conn, g_get_monotonic_time () + AUTH_DEADLINE_MS * G_TIME_SPAN_MILLISECOND);
  server->links++;
  server->accepted++;
}

static const EvLinkConnFuncs listener_funcs = {
  .accepted = link_accepted_cb,
};

static void
mark (Server *server,
      Mark   *out)
{
  out->wall_us = g_get_monotonic_time ();
  out->cpu_us = cpu_us ();
  out->status_frames = server->status_frames;
  out->frames = server->frames;
}

static void
print_totals (Server     *server,
              const char *event)
{
  printf ("{\"event\":\"%s\",\"links\":%" G_GUINT64_FORMAT ",\"accepted\":%" G_GUINT64_FORMAT
          ",\"closed\":%" G_GUINT64_FORMAT
          ",\"frames\":%" G_GUINT64_FORMAT ",\"status_frames\":%" G_GUINT64_FORMAT
          ",\"bad_frames\":%" G_GUINT64_FORMAT ",\"bad_requests\":%" G_GUINT64_FORMAT
          ",\"failures\":%" G_GUINT64_FORMAT ",\"timed_out\":%" G_GUINT64_FORMAT
          ",\"cpu_s\":%.3f}\n",
          event, server->links, server->accepted, server->closed, server->frames,
          server->status_frames, server->bad_frames, server->bad_requests, server->failures,
          server->timed_out, cpu_us () / 1e6);
  fflush (stdout);
}

static void
window_start (Server *server)
{
  mark (server, &server->window);
  server->in_window = TRUE;
  printf ("{\"event\":\"window-start\",\"links\":%" G_GUINT64_FORMAT "}\n", server->links);
  fflush (stdout);
}

static void
window_end (Server *server)
{
  Mark end;
  double wall_s, cpu_s;
  guint64 status_frames;

  if (!server->in_window)
    {
      printf ("{\"event\":\"error\",\"message\":\"window-end without window-start\"}\n");
      fflush (stdout);
      return;
    }
  mark (server, &end);
  server->in_window = FALSE;
  wall_s = (end.wall_us - server->window.wall_us) / 1e6;
  cpu_s = (end.cpu_us - server->window.cpu_us) / 1e6;
  status_frames = end.status_frames - server->window.status_frames;
  printf ("{\"event\":\"window\",\"wall_s\":%.3f,\"cpu_s\":%.3f,\"cpu_percent\":%.2f,"
          "\"status_frames\":%" G_GUINT64_FORMAT ",\"frames\":%" G_GUINT64_FORMAT ","
          "\"status_per_s\":%.1f,\"cpu_ms_per_1000_status\":%.4f,\"links\":%" G_GUINT64_FORMAT "}\n",
          wall_s, cpu_s, wall_s > 0 ? 100.0 * cpu_s / wall_s : 0.0, status_frames,
          end.frames - server->window.frames, wall_s > 0 ? status_frames / wall_s : 0.0,
          status_frames > 0 ? 1e6 * cpu_s / status_frames : 0.0, server->links);
  fflush (stdout);
}

static void
command (Server     *server,
         const char *line)
{
  if (g_str_equal (line, "window-start"))
    window_start (server);
  else if (g_str_equal (line, "window-end"))
    window_end (server);
  else if (g_str_equal (line, "stats"))
    print_totals (server, "stats");
  else if (g_str_equal (line, "quit"))
    server->quit = TRUE;
  else if (line[0] != '\0')
    {
      printf ("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
      fflush (stdout);
    }
}

static void
read_input_cb (EvLinkConn *conn,
               guint32     events,
               gpointer    user_data)
{
  Server *server = user_data;
  char buffer[512];
  ssize_t n = read (STDIN_FILENO, buffer, sizeof buffer);

  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    {
      /* End of input: whoever drove us is gone. */
      ev_link_conn_close (conn);
      server->quit = TRUE;
      return;
    }
  for (ssize_t i = 0; i < n; i++)
    {
      if (buffer[i] == '\n')
        {
          server->line[server->line_len] = '\0';
          g_strstrip (server->line);
          command (server, server->line);
          server->line_len = 0;
        }
      else if (server->line_len < sizeof server->line - 1)
        server->line[server->line_len++] = buffer[i];
    }
}

static void
read_signals_cb (EvLinkConn *conn,
                 guint32     events,
                 gpointer    user_data)
{
  Server *server = user_data;
  struct signalfd_siginfo info;

  while (read (server->signal_fd, &info, sizeof info) == sizeof info)
    {
      if (info.ssi_signo == SIGUSR1)
        window_start (server);
      else if (info.ssi_signo == SIGUSR2)
        window_end (server);
      else
        server->quit = TRUE;
    }
}

static gboolean
parse_address (const char         *text,
               struct sockaddr_in *address)
{
  g_autofree char *host = g_strdup (text);
  char *colon = strrchr (host, ':');
  char *end;
  long port;

  if (colon == NULL)
    return FALSE;
  *colon = '\0';
  port = strtol (colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return FALSE;
  memset (address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_port = htons ((guint16) port);
  return inet_pton (AF_INET, host, &address->sin_addr) == 1;
}

static int
listen_on (const char *text,
           int         backlog,
           guint16    *out_port)
{
  struct sockaddr_in address;
  socklen_t len = sizeof address;
  int one = 1;
  int fd;

  if (!parse_address (text, &address))
    {
      fprintf (stderr, "ack-server: not an IPv4 ADDR:PORT: %s\n", text);
      return -1;
    }
  fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &address, sizeof address) != 0 ||
      listen (fd, backlog) != 0 ||
      getsockname (fd, (struct sockaddr *) &address, &len) != 0)
    {
      fprintf (stderr, "ack-server: %s: %s\n", text, strerror (errno));
      close (fd);
      return -1;
    }
  *out_port = ntohs (address.sin_port);
  return fd;
}

static void
usage (void)
{
  fprintf (stderr, "usage: ack-server [--listen ADDR:PORT] [--backlog N]\n");
}

int
main (int   argc,
      char *argv[])
{
  const char *listen_address = "127.0.0.1:0";
  int backlog = 65535;
  static const EvLinkConnFuncs input_funcs = { .ready = read_input_cb };
  static const EvLinkConnFuncs signal_funcs = { .ready = read_signals_cb };
  Server server = { 0, };
  g_autoptr(GError) error = NULL;
  struct rlimit limit;
  sigset_t mask;
  guint16 port = 0;
  int fd;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--listen") && i + 1 < argc)
        listen_address = argv[++i];
      else if (g_str_equal (argv[i], "--backlog") && i + 1 < argc)
        backlog = atoi (argv[++i]);
      else
        {
          usage ();
          return g_str_equal (argv[i], "--help") ? 0 : 2;
        }
    }

  /* Every link is a descriptor: as many as this process may have. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&mask);
  sigaddset (&mask, SIGUSR1);
  sigaddset (&mask, SIGUSR2);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigprocmask (SIG_BLOCK, &mask, NULL);

  server.set = ev_link_set_new (&error);
  if (server.set == NULL)
    {
      fprintf (stderr, "ack-server: %s\n", error->message);
      return 1;
    }
  fd = listen_on (listen_address, backlog, &port);
  if (fd < 0)
    return 1;
  ev_link_set_listen (server.set, fd, &listener_funcs, &server);
  server.signal_fd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  ev_link_set_watch (server.set, server.signal_fd, EPOLLIN, &signal_funcs, &server);
  fcntl (STDIN_FILENO, F_SETFL, fcntl (STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  /* stdin may be /dev/null, which epoll refuses: then only signals. */
  ev_link_set_watch (server.set, STDIN_FILENO, EPOLLIN, &input_funcs, &server);

  server.reply = g_byte_array_new ();

  printf ("{\"event\":\"ready\",\"port\":%u,\"pid\":%d,\"nofile\":%llu}\n", port, (int) getpid (),
          (unsigned long long) limit.rlim_cur);
  fflush (stdout);

  while (!server.quit)
    ev_link_set_iterate (server.set, 1000);

  print_totals (&server, "stopped");
  /* The links die with the process. */
  g_byte_array_unref (server.reply);
  return 0;
}

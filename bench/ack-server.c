/* ack-server: the least a server can do for the monitors' links.
 *
 * The limit against which the ladder (ladder.py) compares Central: one
 * thread, one epoll set, plain non-blocking sockets, no GLib main loop.
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

/* accept4() */
#define _GNU_SOURCE

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
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>

#include "ev-frame.h"
#include "ev-messages.h"
#include "ev-timer-wheel.h"

#define MAX_EVENTS 1024
/* docs/protocol.md, section 2, and the implementation notes. */
#define AUTH_DEADLINE_MS 10000
#define IDLE_TIMEOUT_MS 10000
#define PRICE 0.35

typedef enum
{
  SOURCE_LISTEN,
  SOURCE_SIGNAL,
  SOURCE_STDIN,
  SOURCE_LINK,
} SourceKind;

typedef struct _Server Server;

typedef struct
{
  SourceKind kind;
  Server *server;
  int fd;
  EvFrameDecoder *decoder;
  /* What the kernel did not take yet. */
  guint8 *out;
  size_t out_len;
  int closing;
  /* The CP id of a successful `register` or `auth`; NULL before. */
  char *cp_id;
  /* Due at the authentication deadline, then 10 s after the last byte. */
  EvTimerWheelEntry timer;
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
  int epoll_fd;
  Link listener;
  Link signals;
  Link input;
  /* Closed to make room for one accept() when descriptors run out. */
  int reserve_fd;
  EvTimerWheel wheel;
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
  guint64 refused;
  guint64 frames;
  guint64 status_frames;
  guint64 bad_frames;
  guint64 bad_requests;
  guint64 send_failures;
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
watch (Server   *server,
       int       op,
       Link     *link,
       guint32   events)
{
  struct epoll_event event = { .events = events, .data.ptr = link };

  epoll_ctl (server->epoll_fd, op, link->fd, &event);
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
link_free (Link *link)
{
  Server *server = link->server;

  ev_timer_wheel_cancel (&server->wheel, &link->timer);
  epoll_ctl (server->epoll_fd, EPOLL_CTL_DEL, link->fd, NULL);
  close (link->fd);
  g_clear_pointer (&link->decoder, ev_frame_decoder_free);
  g_free (link->cp_id);
  free (link->out);
  free (link);
  server->links--;
  server->closed++;
}

/* Sends @data now, or queues what the kernel would not take and watches
 * for room. */
static void
link_send (Link       *link,
           const void *data,
           size_t      len)
{
  ssize_t n = 0;

  if (link->closing)
    return;
  if (link->out_len == 0)
    {
      n = send (link->fd, data, len, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          link->server->send_failures++;
          link->closing = TRUE;
          return;
        }
      n = MAX (n, 0);
      if ((size_t) n == len)
        return;
      watch (link->server, EPOLL_CTL_MOD, link, EPOLLIN | EPOLLOUT);
    }
  link->out = realloc (link->out, link->out_len + len - n);
  memcpy (link->out + link->out_len, (const guint8 *) data + n, len - n);
  link->out_len += len - n;
}

static void
link_flush (Link *link)
{
  ssize_t n = send (link->fd, link->out, link->out_len, MSG_NOSIGNAL);

  if (n < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        link->closing = TRUE;
      return;
    }
  memmove (link->out, link->out + n, link->out_len - n);
  link->out_len -= n;
  if (link->out_len == 0)
    watch (link->server, EPOLL_CTL_MOD, link, EPOLLIN);
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
          link_send (link, reply, 1);
        }
      else if (event->control == EV_FRAME_EOT)
        link->closing = TRUE;
      break;

    case EV_FRAME_EVENT_FRAME:
      /* ACK and the response leave in one send. */
      server->frames++;
      response = respond_to (link, event->data, event->len);
      json = ev_link_response_to_json (response, &size);
      g_byte_array_set_size (server->reply, 0);
      g_byte_array_append (server->reply, (const guint8 *) "\x06", 1);
      if (ev_frame_encode_append (server->reply, json, size, NULL))
        link_send (link, server->reply->data, server->reply->len);
      break;

    case EV_FRAME_EVENT_BAD_FRAME:
    default:
      server->bad_frames++;
      reply[0] = EV_FRAME_NACK;
      link_send (link, reply, 1);
      break;
    }
}

static void
link_ready (Link     *link,
            guint32   events)
{
  guint8 buffer[4096];
  ssize_t n;

  if ((events & EPOLLOUT) != 0 && link->out_len > 0)
    link_flush (link);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !link->closing)
    {
      n = recv (link->fd, buffer, sizeof buffer, 0);
      if (n > 0)
        {
          ev_frame_decoder_feed (link->decoder, buffer, n);
          /* Central closes a link silent for 10 s; until the link has
           * authenticated, its deadline stands whatever it sends. */
          if (link->cp_id != NULL)
            ev_timer_wheel_schedule (&link->server->wheel, &link->timer, now_ms () + IDLE_TIMEOUT_MS);
        }
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        link->closing = TRUE;
    }
  if (link->closing)
    link_free (link);
}

static void
accept_links (Server *server)
{
  int one = 1;

  for (;;)
    {
      int fd = accept4 (server->listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      Link *link;

      if (fd < 0)
        {
          if ((errno == EMFILE || errno == ENFILE) && server->reserve_fd >= 0)
            {
              /* Out of descriptors: refuse this one rather than spin on a
               * listener that stays readable. */
              close (server->reserve_fd);
              fd = accept (server->listener.fd, NULL, NULL);
              if (fd >= 0)
                close (fd);
              server->refused++;
              server->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
              continue;
            }
          return;
        }

      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      link = calloc (1, sizeof *link);
      link->kind = SOURCE_LINK;
      link->server = server;
      link->fd = fd;
      link->decoder = ev_frame_decoder_new (link_decoded_cb, link);
      ev_timer_wheel_schedule (&server->wheel, &link->timer, now_ms () + AUTH_DEADLINE_MS);
      watch (server, EPOLL_CTL_ADD, link, EPOLLIN);
      server->links++;
      server->accepted++;
    }
}

static void
link_expired_cb (EvTimerWheelEntry *entry,
                 gpointer           user_data)
{
  Link *link = (Link *) ((char *) entry - G_STRUCT_OFFSET (Link, timer));
  guint8 eot = EV_FRAME_EOT;

  /* Best effort, as Central: EOT, then the socket is closed. */
  send (link->fd, &eot, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  link->server->timed_out++;
  link_free (link);
}

static int
wait_timeout_ms (Server *server)
{
  gint64 due = ev_timer_wheel_get_next_due (&server->wheel);

  if (due < 0)
    return -1;
  return (int) CLAMP (due - now_ms (), 0, 1000);
}

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
          ",\"closed\":%" G_GUINT64_FORMAT ",\"refused\":%" G_GUINT64_FORMAT
          ",\"frames\":%" G_GUINT64_FORMAT ",\"status_frames\":%" G_GUINT64_FORMAT
          ",\"bad_frames\":%" G_GUINT64_FORMAT ",\"bad_requests\":%" G_GUINT64_FORMAT
          ",\"send_failures\":%" G_GUINT64_FORMAT ",\"timed_out\":%" G_GUINT64_FORMAT
          ",\"cpu_s\":%.3f}\n",
          event, server->links, server->accepted, server->closed, server->refused, server->frames,
          server->status_frames, server->bad_frames, server->bad_requests, server->send_failures,
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
read_input (Server *server)
{
  char buffer[512];
  ssize_t n = read (STDIN_FILENO, buffer, sizeof buffer);

  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    {
      /* End of input: whoever drove us is gone. */
      epoll_ctl (server->epoll_fd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
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
read_signals (Server *server)
{
  struct signalfd_siginfo info;

  while (read (server->signals.fd, &info, sizeof info) == sizeof info)
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
  Server server = { 0, };
  struct epoll_event events[MAX_EVENTS];
  struct rlimit limit;
  sigset_t mask;
  guint16 port = 0;

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

  server.epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  server.reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  server.listener = (Link) { .kind = SOURCE_LISTEN, .server = &server };
  server.listener.fd = listen_on (listen_address, backlog, &port);
  if (server.listener.fd < 0)
    return 1;
  server.signals = (Link) { .kind = SOURCE_SIGNAL, .server = &server,
                            .fd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC) };
  server.input = (Link) { .kind = SOURCE_STDIN, .server = &server, .fd = STDIN_FILENO };
  fcntl (STDIN_FILENO, F_SETFL, fcntl (STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  watch (&server, EPOLL_CTL_ADD, &server.listener, EPOLLIN);
  watch (&server, EPOLL_CTL_ADD, &server.signals, EPOLLIN);
  /* stdin may be /dev/null, which epoll refuses: then only signals. */
  watch (&server, EPOLL_CTL_ADD, &server.input, EPOLLIN);

  ev_timer_wheel_init (&server.wheel, now_ms ());
  server.reply = g_byte_array_new ();

  printf ("{\"event\":\"ready\",\"port\":%u,\"pid\":%d,\"nofile\":%llu}\n", port, (int) getpid (),
          (unsigned long long) limit.rlim_cur);
  fflush (stdout);

  while (!server.quit)
    {
      int n = epoll_wait (server.epoll_fd, events, MAX_EVENTS, wait_timeout_ms (&server));

      for (int i = 0; i < n; i++)
        {
          Link *link = events[i].data.ptr;

          switch (link->kind)
            {
            case SOURCE_LISTEN:
              accept_links (&server);
              break;
            case SOURCE_SIGNAL:
              read_signals (&server);
              break;
            case SOURCE_STDIN:
              read_input (&server);
              break;
            case SOURCE_LINK:
            default:
              link_ready (link, events[i].events);
              break;
            }
        }
      ev_timer_wheel_advance (&server.wheel, now_ms (), link_expired_cb, NULL);
    }

  print_totals (&server, "stopped");
  /* The links die with the process. */
  g_byte_array_unref (server.reply);
  return 0;
}

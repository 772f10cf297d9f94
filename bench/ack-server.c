/* ack-server: the least a server can do for the monitors' links.
 *
 * The limit against which the ladder (ladder.py) compares Central: one
 * thread, one epoll set, plain non-blocking sockets, no GLib main loop.
 * It speaks just enough of docs/protocol.md, section 2, for a monitor to
 * stay happy: ENQ → ACK, every frame ACKed (a bad one NACKed), `register`,
 * `auth` and `status` answered with the smallest valid responses, anything
 * else with `unknown-type`, EOT (or end of stream) closes the link. It
 * keeps no state per CP and never checks a token.
 *
 *   ack-server [--listen ADDR:PORT] [--backlog N]
 *
 * Standard output, one JSON object per line: `ready` (with the port), and
 * on SIGUSR1 or the stdin command `window-start` a `window-start` event;
 * on SIGUSR2 or `window-end` a `window` event with its own CPU time (user +
 * system) and the status frames answered since the window
 * started. stdin `stats` prints the totals; `quit`, end of input, SIGINT or
 * SIGTERM end it.
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

#define MAX_EVENTS 1024

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
  GBytes *ok_status;
  GBytes *registered;
  GBytes *authorized;
  GBytes *unknown_type;
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
  guint64 send_failures;
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

static void
link_free (Link *link)
{
  Server *server = link->server;

  epoll_ctl (server->epoll_fd, EPOLL_CTL_DEL, link->fd, NULL);
  close (link->fd);
  g_clear_pointer (&link->decoder, ev_frame_decoder_free);
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

/* The request's "type", without parsing the JSON: the monitors write
 * `"type":"status"` (white space allowed around the colon). */
static GBytes *
response_for (Server     *server,
              const char *data)
{
  const char *p = strstr (data, "\"type\"");

  if (p == NULL)
    return server->unknown_type;
  for (p += 6; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':'; p++)
    ;
  if (g_str_has_prefix (p, "\"status\""))
    {
      server->status_frames++;
      return server->ok_status;
    }
  if (g_str_has_prefix (p, "\"register\""))
    return server->registered;
  if (g_str_has_prefix (p, "\"auth\""))
    return server->authorized;
  return server->unknown_type;
}

static void
link_decoded_cb (const EvFrameEvent *event,
                 gpointer            user_data)
{
  Link *link = user_data;
  Server *server = link->server;
  guint8 reply[1 + EV_FRAME_OVERHEAD + 128];
  GBytes *response;
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
      response = response_for (server, event->data);
      size = g_bytes_get_size (response);
      reply[0] = EV_FRAME_ACK;
      memcpy (reply + 1, g_bytes_get_data (response, NULL), size);
      link_send (link, reply, size + 1);
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
        ev_frame_decoder_feed (link->decoder, buffer, n);
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
      watch (server, EPOLL_CTL_ADD, link, EPOLLIN);
      server->links++;
      server->accepted++;
    }
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
          ",\"bad_frames\":%" G_GUINT64_FORMAT ",\"send_failures\":%" G_GUINT64_FORMAT
          ",\"cpu_s\":%.3f}\n",
          event, server->links, server->accepted, server->closed, server->refused, server->frames,
          server->status_frames, server->bad_frames, server->send_failures, cpu_us () / 1e6);
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

  /* The smallest valid responses of docs/protocol.md, section 2. */
#define FRAME(json) ev_frame_encode (json, strlen (json), NULL)
  server.ok_status = FRAME ("{\"status\":\"ok\",\"price\":0.35}");
  server.registered = FRAME ("{\"status\":\"registered\",\"price\":0.35,\"token\":\"ack-server\"}");
  server.authorized = FRAME ("{\"status\":\"authorized\",\"price\":0.35,\"location\":\"ack-server\"}");
  server.unknown_type = FRAME ("{\"status\":\"error\",\"reason\":\"unknown-type\"}");
#undef FRAME

  printf ("{\"event\":\"ready\",\"port\":%u,\"pid\":%d,\"nofile\":%llu}\n", port, (int) getpid (),
          (unsigned long long) limit.rlim_cur);
  fflush (stdout);

  while (!server.quit)
    {
      int n = epoll_wait (server.epoll_fd, events, MAX_EVENTS, -1);

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
    }

  print_totals (&server, "stopped");
  /* The links die with the process. */
  g_bytes_unref (server.ok_status);
  g_bytes_unref (server.registered);
  g_bytes_unref (server.authorized);
  g_bytes_unref (server.unknown_type);
  return 0;
}

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "ev-link-set.h"
#include "test-utils.h"

#define WAIT_MS 10000

/* What the conns of one test reported. */
typedef struct {
  EvLinkSet *set;
  GMainContext *context;
  GString *received;
  GPtrArray *accepted;
  GPtrArray *events;      /* "opened", "closed", "timer A", … */
  GError *reason;
  guint n_opened;
  guint n_closed;
  guint n_received;
  gboolean in_received;
  guint n_closed_inside_received;
  EvLinkConn *also_close;
  gboolean close_in_received;
  gint64 due[4];
  gint64 fired[4];
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->set = ev_link_set_new (&error);
  g_assert_no_error (error);
  fixture->received = g_string_new (NULL);
  fixture->accepted = g_ptr_array_new ();
  fixture->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->set, ev_link_set_unref);
  g_string_free (fixture->received, TRUE);
  g_ptr_array_unref (fixture->accepted);
  g_ptr_array_unref (fixture->events);
  g_clear_error (&fixture->reason);
  g_clear_pointer (&fixture->context, g_main_context_unref);
}

/* Runs the set without a main loop until @cond holds, failing the test
 * if it does not in time. */
#define ITERATE_UNTIL(fixture, cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND; \
    while (!(cond)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_); \
        ev_link_set_iterate ((fixture)->set, 100); \
      } \
  } G_STMT_END

static void
note (Fixture    *fixture,
      const char *event)
{
  g_ptr_array_add (fixture->events, g_strdup (event));
}

static void
accepted_cb (EvLinkConn *conn,
             gpointer    user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->accepted, conn);
  note (fixture, "accepted");
}

static void
opened_cb (EvLinkConn *conn,
           gpointer    user_data)
{
  Fixture *fixture = user_data;

  fixture->n_opened++;
  note (fixture, "opened");
}

static void
received_cb (EvLinkConn   *conn,
             const guint8 *data,
             gsize         len,
             gpointer      user_data)
{
  Fixture *fixture = user_data;

  g_assert_false (ev_link_conn_is_closed (conn) && fixture->close_in_received);
  fixture->n_received++;
  g_string_append_len (fixture->received, (const char *) data, len);
  if (fixture->close_in_received)
    {
      fixture->in_received = TRUE;
      ev_link_conn_close (conn);
      if (fixture->also_close != NULL)
        ev_link_conn_close (g_steal_pointer (&fixture->also_close));
      fixture->in_received = FALSE;
    }
}

static void
timer_cb (EvLinkConn *conn,
          gint64      now_us,
          gpointer    user_data)
{
  note (user_data, "timer");
}

static void
closed_cb (EvLinkConn   *conn,
           const GError *reason,
           gpointer      user_data)
{
  Fixture *fixture = user_data;

  if (fixture->in_received)
    fixture->n_closed_inside_received++;
  fixture->n_closed++;
  g_clear_error (&fixture->reason);
  if (reason != NULL)
    fixture->reason = g_error_copy (reason);
  note (fixture, "closed");
}

static const EvLinkConnFuncs funcs = {
  .accepted = accepted_cb,
  .opened = opened_cb,
  .received = received_cb,
  .timer = timer_cb,
  .closed = closed_cb,
};

static int
listen_loopback (guint16 *port)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t len = sizeof address;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (listen (fd, 16), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &len), ==, 0);
  *port = ntohs (address.sin_port);
  return fd;
}

static struct sockaddr_in
loopback (guint16 port)
{
  struct sockaddr_in address = { .sin_family = AF_INET };

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  address.sin_port = htons (port);
  return address;
}

static gboolean
has_received (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->received->len >= 5;
}

/* A listener accepts, a conn connects, both on the same set attached to
 * a main context; bytes go from the client to the accepted conn. */
static void
test_accept (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;
  int fd = listen_loopback (&port);
  struct sockaddr_in address = loopback (port);
  EvLinkConn *listener, *client;

  fixture->context = g_main_context_new ();
  ev_link_set_attach (fixture->set, fixture->context);
  listener = ev_link_set_listen (fixture->set, fd, &funcs, fixture);
  g_assert_nonnull (listener);
  client = ev_link_set_connect (fixture->set, (struct sockaddr *) &address, sizeof address,
                                &funcs, fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  g_assert_false (ev_link_conn_is_open (client));

  ev_link_conn_send (client, "hello", 5);
  ev_test_wait_until (fixture->context, has_received, fixture, WAIT_MS, "the bytes");

  g_assert_cmpstr (fixture->received->str, ==, "hello");
  g_assert_cmpuint (fixture->accepted->len, ==, 1);
  g_assert_true (ev_link_conn_is_open (client));
  g_assert_true (ev_link_conn_is_open (g_ptr_array_index (fixture->accepted, 0)));
  g_assert_cmpuint (fixture->n_opened, ==, 2);
  g_assert_cmpuint (ev_link_set_get_n_conns (fixture->set), ==, 3);
  g_assert_cmpuint (fixture->n_closed, ==, 0);
}

/* A connect that fails closes the conn with why, never opening it; one
 * that succeeds opens it, driven by ev_link_set_iterate() alone. */
static void
test_connect (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;
  int fd = listen_loopback (&port);
  struct sockaddr_in address = loopback (port);
  EvLinkConn *conn;

  /* Nobody listens on a port just released. */
  close (fd);
  conn = ev_link_set_connect (fixture->set, (struct sockaddr *) &address, sizeof address,
                              &funcs, fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conn);
  ITERATE_UNTIL (fixture, fixture->n_closed > 0);
  g_assert_error (fixture->reason, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (fixture->n_opened, ==, 0);
  g_assert_cmpuint (ev_link_set_get_n_conns (fixture->set), ==, 0);

  fd = listen_loopback (&port);
  address = loopback (port);
  ev_link_set_listen (fixture->set, fd, &funcs, fixture);
  conn = ev_link_set_connect (fixture->set, (struct sockaddr *) &address, sizeof address,
                              &funcs, fixture, &error);
  g_assert_no_error (error);
  ITERATE_UNTIL (fixture, ev_link_conn_is_open (conn) && fixture->accepted->len == 1);
  g_assert_cmpuint (fixture->n_closed, ==, 1);
}

static void
socket_pair (int fds[2])
{
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==, 0);
}

typedef struct {
  Fixture *fixture;
  int index;
} TimerTag;

static void
ordered_timer_cb (EvLinkConn *conn,
                  gint64      now_us,
                  gpointer    user_data)
{
  TimerTag *tag = user_data;

  tag->fixture->fired[tag->index] = g_get_monotonic_time ();
  note (tag->fixture, (const char *[]) { "A", "B", "C", "D" }[tag->index]);
}

static const EvLinkConnFuncs timer_funcs = {
  .timer = ordered_timer_cb,
};

/* Timers fire in the order of their times, none early; one cancelled
 * never fires, one moved fires at its new time. */
static void
test_timers (Fixture       *fixture,
             gconstpointer  data)
{
  static const int after_ms[4] = { 40, 10, 25, 15 };
  TimerTag tags[4];
  EvLinkConn *conns[4];
  int fds[4][2];
  gint64 start = g_get_monotonic_time ();
  g_autofree char *order = NULL;

  for (int i = 0; i < 4; i++)
    {
      tags[i] = (TimerTag) { fixture, i };
      socket_pair (fds[i]);
      conns[i] = ev_link_set_adopt (fixture->set, fds[i][0], &timer_funcs, &tags[i]);
    }
  /* The conns open; from then on the set has nothing to do but wait, and
   * timers set from outside its dispatch must move its wakeup. */
  ev_link_set_iterate (fixture->set, 0);
  start = g_get_monotonic_time ();
  for (int i = 0; i < 4; i++)
    {
      fixture->due[i] = start + after_ms[i] * G_TIME_SPAN_MILLISECOND;
      ev_link_conn_set_timer (conns[i], fixture->due[i]);
    }
  /* D is cancelled, A moved earlier than C. */
  ev_link_conn_set_timer (conns[3], -1);
  fixture->due[0] = start + 20 * G_TIME_SPAN_MILLISECOND;
  ev_link_conn_set_timer (conns[0], fixture->due[0]);

  /* The set wakes up for its timers by itself: a wait for a descriptor
   * that never comes ends at the next timer. */
  while (fixture->events->len < 3)
    {
      ev_link_set_iterate (fixture->set, WAIT_MS);
      g_assert_cmpint (g_get_monotonic_time () - start, <, WAIT_MS * G_TIME_SPAN_MILLISECOND);
    }
  /* Longer than D's first time, to see it stays silent. */
  while (g_get_monotonic_time () < start + 60 * G_TIME_SPAN_MILLISECOND)
    ev_link_set_iterate (fixture->set, 10);

  g_ptr_array_add (fixture->events, NULL);
  order = g_strjoinv (",", (char **) fixture->events->pdata);
  g_assert_cmpstr (order, ==, "B,A,C");
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (fixture->fired[i], >=, fixture->due[i]);
  g_assert_cmpint (fixture->fired[3], ==, 0);

  for (int i = 0; i < 4; i++)
    close (fds[i][1]);
}

/* An owner's timer, tied to no conn. */
typedef struct {
  EvTimerWheelEntry entry;
  Fixture *fixture;
  int index;
  gboolean again;
} OwnerTimer;

static void
owner_timer_cb (EvTimerWheelEntry *entry,
                gpointer           user_data)
{
  OwnerTimer *timer = (OwnerTimer *) entry;   /* the entry is the first member */
  Fixture *fixture = user_data;

  g_assert_true (fixture == timer->fixture);
  fixture->fired[timer->index] = g_get_monotonic_time ();
  note (fixture, (const char *[]) { "A", "B", "C", "D" }[timer->index]);
  /* A timer may schedule itself again from its own call. */
  if (timer->again)
    {
      timer->again = FALSE;
      fixture->due[timer->index] = g_get_monotonic_time () + 15 * G_TIME_SPAN_MILLISECOND;
      ev_link_set_schedule (fixture->set, entry, (fixture->due[timer->index] + 999) / 1000);
    }
}

/* The owner's timers run on the set's clock with no descriptor at all:
 * in the order of their times, none early, a cancelled one never, one
 * scheduled again from its call at its new time. */
static void
test_owner_timers (Fixture       *fixture,
                   gconstpointer  data)
{
  static const int after_ms[4] = { 30, 10, 20, 25 };
  OwnerTimer timers[4];
  gint64 start = g_get_monotonic_time ();
  g_autofree char *order = NULL;

  ev_link_set_set_timer_func (fixture->set, owner_timer_cb, fixture);
  for (int i = 0; i < 4; i++)
    {
      timers[i] = (OwnerTimer) { .fixture = fixture, .index = i };
      fixture->due[i] = start + after_ms[i] * G_TIME_SPAN_MILLISECOND;
      ev_link_set_schedule (fixture->set, &timers[i].entry, (fixture->due[i] + 999) / 1000);
    }
  ev_link_set_cancel (fixture->set, &timers[3].entry);
  timers[1].again = TRUE;

  /* A wait for a descriptor that never comes ends at the next timer. */
  while (fixture->events->len < 4)
    {
      ev_link_set_iterate (fixture->set, WAIT_MS);
      g_assert_cmpint (g_get_monotonic_time () - start, <, WAIT_MS * G_TIME_SPAN_MILLISECOND);
    }
  while (g_get_monotonic_time () < start + 50 * G_TIME_SPAN_MILLISECOND)
    ev_link_set_iterate (fixture->set, 10);

  g_ptr_array_add (fixture->events, NULL);
  order = g_strjoinv (",", (char **) fixture->events->pdata);
  /* B again lands 15 ms after its first call: after C, maybe after A. */
  g_assert_true (g_str_equal (order, "B,C,B,A") || g_str_equal (order, "B,C,A,B"));
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (fixture->fired[i], >=, fixture->due[i]);
  g_assert_cmpint (fixture->fired[3], ==, 0);
  g_assert_cmpuint (ev_link_set_get_n_conns (fixture->set), ==, 0);
}

/* The peer closing ends a conn without a session with PEER_CLOSED. */
static void
test_peer_closes (Fixture       *fixture,
                  gconstpointer  data)
{
  int fds[2];

  socket_pair (fds);
  ev_link_set_adopt (fixture->set, fds[0], &funcs, fixture);
  g_assert_cmpint (write (fds[1], "bye", 3), ==, 3);
  close (fds[1]);

  ITERATE_UNTIL (fixture, fixture->n_closed > 0);
  g_assert_cmpstr (fixture->received->str, ==, "bye");
  g_assert_error (fixture->reason, EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED);
  g_assert_cmpuint (fixture->n_closed, ==, 1);
  g_assert_cmpuint (ev_link_set_get_n_conns (fixture->set), ==, 0);
}

/* A conn closing itself (and another) from its own callback: its close
 * is reported once the callback returned, the other's at once, and
 * nothing more is delivered to either. */
static void
test_close_in_callback (Fixture       *fixture,
                        gconstpointer  data)
{
  int a[2], b[2];

  socket_pair (a);
  socket_pair (b);
  ev_link_set_adopt (fixture->set, a[0], &funcs, fixture);
  fixture->also_close = ev_link_set_adopt (fixture->set, b[0], &funcs, fixture);
  fixture->close_in_received = TRUE;
  /* Epoll hands the conns over in the order they became ready. */
  g_assert_cmpint (write (a[1], "one", 3), ==, 3);
  g_assert_cmpint (write (b[1], "two", 3), ==, 3);

  ITERATE_UNTIL (fixture, fixture->n_closed == 2);
  /* One more round: nothing left to deliver or to close. */
  ev_link_set_iterate (fixture->set, 20);

  g_assert_cmpuint (fixture->n_received, ==, 1);
  g_assert_cmpuint (fixture->n_closed, ==, 2);
  /* The other conn was closed from inside the callback, this one after. */
  g_assert_cmpuint (fixture->n_closed_inside_received, ==, 1);
  g_assert_cmpstr (fixture->received->str, ==, "one");
  g_assert_null (fixture->reason);
  g_assert_cmpuint (ev_link_set_get_n_conns (fixture->set), ==, 0);
  close (a[1]);
  close (b[1]);
}

/* A reader that takes nothing: the conn keeps what the kernel refused
 * and sends it, in order, as the reader catches up. Meanwhile a flood on
 * one conn does not keep the set from another. */
static void
test_back_pressure (Fixture       *fixture,
                    gconstpointer  data)
{
  enum { TOTAL = 4 * 1024 * 1024 };
  g_autofree guint8 *sent = g_malloc (TOTAL);
  g_autofree guint8 *got = g_malloc (TOTAL);
  gsize n_got = 0;
  int slow[2], quiet[2];
  EvLinkConn *writer;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (gsize i = 0; i < TOTAL; i++)
    sent[i] = (guint8) (i * 7 + i / 251);
  socket_pair (slow);
  socket_pair (quiet);
  writer = ev_link_set_adopt (fixture->set, slow[0], &funcs, fixture);
  ev_link_set_adopt (fixture->set, quiet[0], &funcs, fixture);
  ev_link_set_iterate (fixture->set, 10);

  ev_link_conn_send (writer, sent, TOTAL);
  g_assert_cmpuint (ev_link_conn_get_n_unsent (writer), >, 0);
  g_assert_cmpuint (ev_link_conn_get_n_unsent (writer), <, TOTAL);

  /* The writer's backlog does not hold up what another conn gets. */
  g_assert_cmpint (write (quiet[1], "ping", 4), ==, 4);
  ITERATE_UNTIL (fixture, fixture->received->len >= 4);
  g_assert_cmpstr (fixture->received->str, ==, "ping");

  while (n_got < TOTAL)
    {
      gssize n = read (slow[1], got + n_got, MIN (4096, TOTAL - n_got));

      if (n > 0)
        n_got += n;
      else
        g_assert_cmpint (errno, ==, EAGAIN);
      ev_link_set_iterate (fixture->set, n > 0 ? 0 : 10);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_true (memcmp (sent, got, TOTAL) == 0);
  g_assert_cmpuint (ev_link_conn_get_n_unsent (writer), ==, 0);
  g_assert_cmpuint (fixture->n_closed, ==, 0);
  close (slow[1]);
  close (quiet[1]);
}

/* A flood on one conn is read a bounded amount per wakeup. */
static void
test_read_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  static char block[8192];
  int fds[2];
  int size = 256 * 1024;
  gsize written = 0;

  socket_pair (fds);
  setsockopt (fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ev_link_set_set_read_limit (fixture->set, 8192);
  ev_link_set_adopt (fixture->set, fds[0], &funcs, fixture);
  ev_link_set_iterate (fixture->set, 10);
  while (written < 100 * 1024)
    {
      gssize n = write (fds[1], block, sizeof block);

      g_assert_cmpint (n, >, 0);
      written += n;
    }

  ev_link_set_iterate (fixture->set, 100);
  g_assert_cmpuint (fixture->received->len, >, 0);
  g_assert_cmpuint (fixture->received->len, <=, 8192 + 16384);
  ITERATE_UNTIL (fixture, fixture->received->len >= written);
  close (fds[1]);
}

/* One wakeup serves at most the set's limit of ready conns; the others
 * are served at the next, none lost. */
static void
test_max_events (Fixture       *fixture,
                 gconstpointer  data)
{
  enum { N = 6, LIMIT = 2 };
  int peers[N];

  for (int i = 0; i < N; i++)
    {
      int fds[2];

      socket_pair (fds);
      ev_link_set_adopt (fixture->set, fds[0], &funcs, fixture);
      peers[i] = fds[1];
    }
  ITERATE_UNTIL (fixture, fixture->n_opened >= N);
  ev_link_set_set_max_events (fixture->set, LIMIT);
  for (int i = 0; i < N; i++)
    g_assert_cmpint (write (peers[i], "x", 1), ==, 1);

  ev_link_set_iterate (fixture->set, 100);
  g_assert_cmpuint (fixture->n_received, ==, LIMIT);
  ev_link_set_iterate (fixture->set, 100);
  g_assert_cmpuint (fixture->n_received, ==, 2 * LIMIT);
  ITERATE_UNTIL (fixture, fixture->n_received >= N);
  g_assert_cmpstr (fixture->received->str, ==, "xxxxxx");
  for (int i = 0; i < N; i++)
    close (peers[i]);
}

/* Two framed sessions, one on each end of a socket pair in the same set:
 * the set starts them, carries the handshake and a request, and ticks
 * the server's session at its deadline when the client goes quiet. */
typedef struct {
  gboolean established;
  gboolean requested;
  gboolean answered;
  gboolean closed;
  GError *reason;
} SessionLog;

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  ((SessionLog *) user_data)->established = TRUE;
}

static void
session_request_cb (EvLinkSession *session,
                    const char    *text,
                    gsize          len,
                    gpointer       user_data)
{
  SessionLog *log = user_data;

  log->requested = TRUE;
  g_assert_cmpstr (text, ==, "{\"type\":\"status\"}");
  g_assert_true (ev_link_session_respond (session, "{\"status\":\"ok\"}", g_get_monotonic_time (), NULL));
}

static void
session_response_cb (EvLinkSession *session,
                     guint          request_id,
                     const char    *text,
                     gsize          len,
                     gpointer       user_data)
{
  SessionLog *log = user_data;

  log->answered = TRUE;
  g_assert_cmpstr (text, ==, "{\"status\":\"ok\"}");
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  SessionLog *log = user_data;

  log->closed = TRUE;
  log->reason = g_error_copy (reason);
}

static const EvLinkSessionCallbacks session_callbacks = {
  .established = session_established_cb,
  .request_received = session_request_cb,
  .response_received = session_response_cb,
  .closed = session_closed_cb,
};

static void
test_sessions (Fixture       *fixture,
               gconstpointer  data)
{
  SessionLog client_log = { 0, }, server_log = { 0, };
  EvLinkSession *client = ev_link_session_new (EV_LINK_ROLE_CLIENT, &session_callbacks, &client_log);
  EvLinkSession *server = ev_link_session_new (EV_LINK_ROLE_SERVER, &session_callbacks, &server_log);
  EvLinkConn *client_conn, *server_conn;
  g_autoptr(GError) error = NULL;
  int fds[2];

  socket_pair (fds);
  ev_link_session_set_timeout (server, EV_LINK_TIMEOUT_IDLE, 50);
  client_conn = ev_link_set_adopt (fixture->set, fds[0], &funcs, fixture);
  server_conn = ev_link_set_adopt (fixture->set, fds[1], &funcs, fixture);
  ev_link_conn_set_session (client_conn, client);
  ev_link_conn_set_session (server_conn, server);

  ITERATE_UNTIL (fixture, client_log.established);
  g_assert_cmpuint (ev_link_session_request (client, "{\"type\":\"status\"}", g_get_monotonic_time (), &error), >, 0);
  g_assert_no_error (error);
  ev_link_conn_update (client_conn);
  ITERATE_UNTIL (fixture, client_log.answered);
  g_assert_true (server_log.requested);

  /* The client says nothing more: the server's idle timeout ends it with
   * EOT, and the client's conn closes after it. */
  ITERATE_UNTIL (fixture, client_log.closed);
  g_assert_error (server_log.reason, EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT);
  g_assert_error (client_log.reason, EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  ITERATE_UNTIL (fixture, fixture->n_closed == 2);
  /* A session's reason is the session's to give. */
  g_assert_null (fixture->reason);
  g_clear_error (&client_log.reason);
  g_clear_error (&server_log.reason);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/link-set/accept", test_accept);
  ADD ("/link-set/connect", test_connect);
  ADD ("/link-set/timers", test_timers);
  ADD ("/link-set/owner-timers", test_owner_timers);
  ADD ("/link-set/peer-closes", test_peer_closes);
  ADD ("/link-set/close-in-callback", test_close_in_callback);
  ADD ("/link-set/back-pressure", test_back_pressure);
  ADD ("/link-set/read-limit", test_read_limit);
  ADD ("/link-set/max-events", test_max_events);
  ADD ("/link-set/sessions", test_sessions);
#undef ADD

  return g_test_run ();
}

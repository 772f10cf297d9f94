/* test-central-ocpp.c: the mapping of Central's OCPP 1.6-J endpoint
 * (docs/ocpp.md); tests/e2e/e2e-ocpp.py runs the endpoint itself. */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "central-ocpp.h"
#include "test-utils.h"

static void
test_status_mapping (void)
{
  static const struct { const char *status; EvCpState state; } cases[] = {
    { "Available", EV_CP_STATE_ACTIVE },
    { "Reserved", EV_CP_STATE_ACTIVE },
    { "Preparing", EV_CP_STATE_WAITING },
    { "Charging", EV_CP_STATE_SUPPLYING },
    { "SuspendedEV", EV_CP_STATE_SUPPLYING },
    { "SuspendedEVSE", EV_CP_STATE_SUPPLYING },
    { "Finishing", EV_CP_STATE_SUPPLYING },
    { "Unavailable", EV_CP_STATE_STOPPED },
    { "Faulted", EV_CP_STATE_BROKEN },
  };
  EvCpState state;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      state = EV_CP_STATE_DISCONNECTED;
      g_assert_true (central_ocpp_status_to_state (cases[i].status, &state));
      g_assert_cmpint (state, ==, cases[i].state);
    }
  /* Not statuses of 1.6 (the validator refuses them before). */
  g_assert_false (central_ocpp_status_to_state ("Occupied", &state));
  g_assert_false (central_ocpp_status_to_state ("available", &state));
  g_assert_false (central_ocpp_status_to_state ("", &state));
  g_assert_false (central_ocpp_status_to_state (NULL, &state));
}

static void
test_heartbeat_interval (void)
{
  /* At least two heartbeats within the silence timeout, at most one a second. */
  g_assert_cmpuint (central_ocpp_heartbeat_interval (3000), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (500), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (0), ==, 1);
  g_assert_cmpuint (central_ocpp_heartbeat_interval (60000), ==, 30);
}

static void
test_listen_loopback_only (void)
{
  const char *good[] = { "127.0.0.1:9000", "[::1]:9000", "localhost:0", "127.0.0.2:1" };
  const char *bad[] = { "0.0.0.0:9000", "192.168.1.2:9000", "[::]:9000", "example.org:80", "nonsense" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (central_ocpp_check_listen (good[i], &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (central_ocpp_check_listen (bad[i], &error));
      g_assert_nonnull (error);
    }
}

/* Chargers connect by the thousand: the endpoint's accept queue must
 * hold more than GLib's default backlog of 10 while the loop is busy
 * (here, not running at all). A SYN beyond the queue is dropped, so its
 * connect stays pending, and is retried only after 1 s and 3 s. */
static void
test_listen_backlog (void)
{
  enum { N = 200 };
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  g_autoptr(CentralCore) core = central_core_new ("127.0.0.1:0", "127.0.0.1:9", NULL, db);
  g_autoptr(GError) error = NULL;
  CentralOcpp *ocpp = central_ocpp_new (core, "127.0.0.1:0", &error);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct pollfd fds[N];
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint connected = 0;

  g_assert_no_error (error);
  g_assert_nonnull (ocpp);
  address.sin_port = htons (central_ocpp_get_port (ocpp));
  for (guint i = 0; i < N; i++)
    {
      fds[i].fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      fds[i].events = POLLOUT;
      g_assert_cmpint (fds[i].fd, >=, 0);
      if (connect (fds[i].fd, (struct sockaddr *) &address, sizeof address) != 0)
        g_assert_cmpint (errno, ==, EINPROGRESS);
    }

  /* Nobody accepts: only the kernel's queue answers the handshakes. */
  while (connected < N && g_get_monotonic_time () < deadline)
    {
      connected = 0;
      g_assert_cmpint (poll (fds, N, 100), >=, 0);
      for (guint i = 0; i < N; i++)
        {
          int failure = 0;
          socklen_t len = sizeof failure;

          if (!(fds[i].revents & POLLOUT))
            continue;
          g_assert_cmpint (getsockopt (fds[i].fd, SOL_SOCKET, SO_ERROR, &failure, &len), ==, 0);
          g_assert_cmpint (failure, ==, 0);
          connected++;
        }
    }
  g_assert_cmpuint (connected, ==, N);

  for (guint i = 0; i < N; i++)
    close (fds[i].fd);
  central_ocpp_free (ocpp);
  ev_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/central-ocpp/status-mapping", test_status_mapping);
  g_test_add_func ("/central-ocpp/heartbeat-interval", test_heartbeat_interval);
  g_test_add_func ("/central-ocpp/listen-loopback-only", test_listen_loopback_only);
  g_test_add_func ("/central-ocpp/listen-backlog", test_listen_backlog);
  return g_test_run ();
}

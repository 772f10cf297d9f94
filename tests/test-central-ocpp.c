/* test-central-ocpp.c: the mapping of Central's OCPP 1.6-J endpoint
 * (docs/ocpp.md); tests/e2e/e2e-ocpp.py runs the endpoint itself. */

#include "config.h"

#include "central-ocpp-security.h"
#include "central-ocpp.h"

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

      g_assert_true (central_ocpp_check_listen (good[i], FALSE, &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (central_ocpp_check_listen (bad[i], FALSE, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      /* With TLS and the chargers' keys, any address. */
      g_assert_true (central_ocpp_check_listen (bad[i], TRUE, &error) || i == G_N_ELEMENTS (bad) - 1);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/central-ocpp/status-mapping", test_status_mapping);
  g_test_add_func ("/central-ocpp/heartbeat-interval", test_heartbeat_interval);
  g_test_add_func ("/central-ocpp/listen-loopback-only", test_listen_loopback_only);
  return g_test_run ();
}

/* ev_address_split(): what each program reads as ADDR:PORT, and the
 * clear error for what it is not. */

#include "config.h"

#include <string.h>

#include "ev-address.h"

static void
test_good (void)
{
  static const struct { const char *text; const char *host; guint16 port; } cases[] = {
    { "127.0.0.1:7001", "127.0.0.1", 7001 },
    { "0.0.0.0:0", "0.0.0.0", 0 },
    { "localhost:65535", "localhost", 65535 },
    { ":7001", "", 7001 },
    { "[::1]:7100", "::1", 7100 },
    { "[fe80::1%eth0]:80", "fe80::1%eth0", 80 },
    { "central.example:7001", "central.example", 7001 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 1;

      g_test_message ("%s", cases[i].text);
      g_assert_true (ev_address_split (cases[i].text, &host, &port, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (host, ==, cases[i].host);
      g_assert_cmpuint (port, ==, cases[i].port);
    }
}

static void
test_bad (void)
{
  static const struct { const char *text; const char *says; } cases[] = {
    { "", "is not an address and port" },
    { "127.0.0.1", "is not an address and port" },
    { "::1:7000", "is not an address and port" },
    { "[::1]7000", "is not an address and port" },
    { "[::1", "is not an address and port" },
    { "127.0.0.1:", "has no valid port number" },
    { "127.0.0.1:65536", "has no valid port number" },
    { "127.0.0.1:-1", "has no valid port number" },
    { "127.0.0.1:http", "has no valid port number" },
    { "127.0.0.1:70 01", "has no valid port number" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = NULL;
      guint16 port = 0;

      g_test_message ("“%s”", cases[i].text);
      g_assert_false (ev_address_split (cases[i].text, &host, &port, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (host);
      /* The message names what was given, and what is wrong with it. */
      g_assert_nonnull (strstr (error->message, cases[i].text));
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/address/good", test_good);
  g_test_add_func ("/address/bad", test_bad);

  return g_test_run ();
}

/* sign-cost: what signing and checking one Kafka message costs, with the
 * message shapes Central publishes and reads (docs/protocol.md, “Signed
 * messages”). Usage: sign-cost [N] (default 20000 of each). */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ev-signing.h"

#define MESSAGE "{\"v\":1,\"id\":\"0e6e5f0c-4a2b-4b0e-9d3c-4f5e6a7b8c9d\",\"ts\":1765000000000," \
  "\"kind\":\"progress\",\"supply_id\":\"7d1c2f4e-9a8b-4c3d-8e2f-1a2b3c4d5e6f\",\"cp_id\":\"CP1234\"," \
  "\"driver_id\":\"D1234\",\"seq\":12,\"kwh\":1.25,\"amount\":0.4375,\"price\":0.35," \
  "\"started_at\":1765000000000,\"source_ts\":1765000000000}"

static double
per_op_us (gint64 start,
           guint  n)
{
  return (double) (g_get_monotonic_time () - start) / n;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 20000;
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autoptr(EvVerifyKey) trusted = ev_signing_key_dup_verify_key (key);
  g_autofree char *signed_text = NULL;
  gsize signed_len = 0;
  gint64 start;
  double sign_us, verify_us, verify_new_us, keygen_us;

  g_assert (key != NULL && n > 0);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = ev_signed_message_sign (key, "supply-data2", "D1234", MESSAGE,
                                                      strlen (MESSAGE), &signed_len, NULL);
      g_assert (text != NULL);
      if (i == 0)
        signed_text = g_steal_pointer (&text);
    }
  sign_us = per_op_us (start, n);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    g_assert (ev_signed_message_verify ("supply-data2", "D1234", signed_text, signed_len,
                                        trusted, NULL, NULL));
  verify_us = per_op_us (start, n);

  /* A reader that meets the key in the message (a driver's supply-req at
   * Central): the key is imported each time. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    g_assert (ev_signed_message_verify ("supply-data2", "D1234", signed_text, signed_len,
                                        NULL, NULL, NULL));
  verify_new_us = per_op_us (start, n);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n / 10 + 1; i++)
    {
      g_autoptr(EvSigningKey) fresh = ev_signing_key_generate (NULL);
      g_assert (fresh != NULL);
    }
  keygen_us = per_op_us (start, n / 10 + 1);

  /* Saving a new key to a file of its own (mode 0600, flushed to disk):
   * what a driver does once, and the driver fleet once per driver. */
  {
    g_autofree char *dir = g_dir_make_tmp ("sign-cost-XXXXXX", NULL);
    guint keys = MIN (n / 100 + 1, 200);

    start = g_get_monotonic_time ();
    for (guint i = 0; i < keys; i++)
      {
        g_autofree char *path = g_strdup_printf ("%s/%u.key", dir, i);
        g_autoptr(EvSigningKey) fresh = ev_signing_key_load_or_create (path, TRUE, NULL, NULL);

        g_assert (fresh != NULL);
        g_unlink (path);
      }
    g_print ("make and save a key:  %7.1f µs\n", per_op_us (start, keys));
    g_rmdir (dir);
  }

  /* A CP's MAC (docs/protocol.md, "Charging-point keys"): the engine makes
   * one per progress, Central checks it against one or two keys. */
  {
    EvCpKey keys[2];
    g_autofree char *maced = NULL;
    gsize maced_len = 0;
    double mac_us, check_us, check_second_us;

    g_assert (ev_cp_key_generate (&keys[0], NULL) && ev_cp_key_generate (&keys[1], NULL));
    start = g_get_monotonic_time ();
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *text = ev_mac_message_sign (&keys[0], "supply-data", "CP1234", MESSAGE,
                                                     strlen (MESSAGE), &maced_len, NULL);
        g_assert (text != NULL);
        if (i == 0)
          maced = g_steal_pointer (&text);
      }
    mac_us = per_op_us (start, n);
    start = g_get_monotonic_time ();
    for (guint i = 0; i < n; i++)
      g_assert (ev_mac_message_verify (keys, 2, "supply-data", "CP1234", maced, maced_len, NULL, NULL));
    check_us = per_op_us (start, n);
    /* Made with the key the newest replaced: two MACs computed. */
    {
      EvCpKey replaced[2] = { keys[1], keys[0] };

      start = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        g_assert (ev_mac_message_verify (replaced, 2, "supply-data", "CP1234", maced, maced_len, NULL, NULL));
    }
    check_second_us = per_op_us (start, n);
    g_print ("CP MAC: make %.1f µs, check %.1f µs (%.1f µs when it is not the newest key)\n",
             mac_us, check_us, check_second_us);
    g_print ("one core at 10,000 CPs checking 1 MAC a second each: %.1f%%\n", check_us * 10000 / 1e6 * 100);
  }

  g_print ("messages: %u, %zu bytes signed (%zu unsigned)\n", n, signed_len, strlen (MESSAGE));
  g_print ("sign:                 %7.1f µs/message\n", sign_us);
  g_print ("verify (known key):   %7.1f µs/message\n", verify_us);
  g_print ("verify (key in msg):  %7.1f µs/message\n", verify_new_us);
  g_print ("generate a key pair:  %7.1f µs\n", keygen_us);
  g_print ("one core at 10,000 CPs (1 progress/s each, Central verifies it and signs its relay):"
           " %.1f%%\n", (verify_us + sign_us) * 10000 / 1e6 * 100);
  return 0;
}

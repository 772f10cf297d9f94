#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ev-signing.h"
#include "test-utils.h"

#define MESSAGE "{\"v\":1,\"id\":\"0e6e5f0c-4a2b-4b0e-9d3c-4f5e6a7b8c9d\",\"ts\":1,\"target\":\"all\",\"action\":\"stop\",\"expires\":9}"

static char *
sign (EvSigningKey *key,
      const char   *topic,
      const char   *kafka_key,
      const char   *text)
{
  g_autoptr(GError) error = NULL;
  char *signed_text = ev_signed_message_sign (key, topic, kafka_key, text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  return signed_text;
}

static void
assert_rejected (const char   *topic,
                 const char   *kafka_key,
                 const char   *text,
                 EvVerifyKey  *trusted,
                 int           code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ev_signed_message_verify (topic, kafka_key, text, strlen (text), trusted, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, code);
}

/* A signed message is the original with two members more at its end, and
 * still a JSON object a reader that ignores unknown members parses. */
static void
test_sign_verify (void)
{
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autoptr(EvVerifyKey) trusted = ev_signing_key_dup_verify_key (key);
  g_autoptr(EvVerifyKey) signer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = sign (key, "central-directives", "all", MESSAGE);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *expected_start = g_strndup (MESSAGE, strlen (MESSAGE) - 1);

  g_assert_true (g_str_has_prefix (text, expected_start));
  g_assert_true (g_str_has_prefix (text + strlen (expected_start), ",\"pub\":\""));
  g_assert_cmpuint (strlen (text), ==, strlen (MESSAGE) + strlen (",\"pub\":\"\",\"sig\":\"\"") + 44 + 88);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));

  g_assert_true (ev_signed_message_verify ("central-directives", "all", text, strlen (text),
                                           trusted, &signer, &error));
  g_assert_no_error (error);
  g_assert_true (ev_verify_key_equal (signer, trusted));
  g_assert_cmpstr (ev_verify_key_get_base64 (signer), ==, ev_signing_key_get_public_base64 (key));

  /* Any key, when the caller checks the signer itself. */
  g_assert_true (ev_signed_message_verify ("central-directives", "all", text, strlen (text),
                                           NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Every change of the bytes, the topic or the key breaks the signature;
 * a message in any other form is refused before any cryptography. */
static void
test_rejections (void)
{
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autoptr(EvSigningKey) other = ev_signing_key_generate (NULL);
  g_autoptr(EvVerifyKey) trusted = ev_signing_key_dup_verify_key (key);
  g_autofree char *text = sign (key, "central-directives", "all", MESSAGE);
  g_autofree char *forged = sign (other, "central-directives", "all", MESSAGE);
  g_autofree char *tampered = g_strdup (text);
  g_autofree char *truncated = g_strndup (text, strlen (text) - 1);
  g_autofree char *spaced = NULL;
  g_autofree char *moved = NULL;
  char *p;

  assert_rejected ("central-directives", "all", MESSAGE, trusted, EV_SIGNING_ERROR_UNSIGNED);
  assert_rejected ("central-directives", "all", forged, trusted, EV_SIGNING_ERROR_WRONG_KEY);
  assert_rejected ("central-directives", "CP1", text, trusted, EV_SIGNING_ERROR_BAD_SIGNATURE);
  assert_rejected ("supply-res", "all", text, trusted, EV_SIGNING_ERROR_BAD_SIGNATURE);
  assert_rejected ("central-directives", "all", truncated, trusted, EV_SIGNING_ERROR_UNSIGNED);

  /* "stop" → "stip" */
  p = strstr (tampered, "stop");
  p[2] = 'i';
  assert_rejected ("central-directives", "all", tampered, trusted, EV_SIGNING_ERROR_BAD_SIGNATURE);

  /* A garbled signature (a base64 digit of its middle). */
  g_free (tampered);
  tampered = g_strdup (text);
  p = tampered + strlen (tampered) - 40;
  *p = *p == 'A' ? 'B' : 'A';
  assert_rejected ("central-directives", "all", tampered, trusted, EV_SIGNING_ERROR_BAD_SIGNATURE);

  /* Not base64 at all. */
  p = tampered + strlen (tampered) - 10;
  *p = '*';
  assert_rejected ("central-directives", "all", tampered, trusted, EV_SIGNING_ERROR_MALFORMED);

  /* White space inside the suffix: the form is exact. */
  p = strstr (text, ",\"sig\"");
  spaced = g_strdup_printf ("%.*s, %s", (int) (p - text), text, p + 1);
  assert_rejected ("central-directives", "all", spaced, trusted, EV_SIGNING_ERROR_UNSIGNED);

  /* "sig" not last: a member after it. */
  moved = g_strdup_printf ("%.*s,\"x\":1}", (int) strlen (text) - 1, text);
  assert_rejected ("central-directives", "all", moved, trusted, EV_SIGNING_ERROR_UNSIGNED);

  /* A key with a line break could shift the signed lines. */
  assert_rejected ("central-directives", "all\n{", text, trusted, EV_SIGNING_ERROR_MALFORMED);
}

/* A reader that knows only the fingerprint accepts the key that has it,
 * and no other. */
static void
test_fingerprint (void)
{
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autoptr(EvSigningKey) other = ev_signing_key_generate (NULL);
  g_autofree char *upper = g_ascii_strup (ev_signing_key_get_fingerprint (key), -1);
  g_autoptr(EvVerifyKey) trusted = ev_verify_key_new_from_fingerprint (upper, NULL);
  g_autofree char *text = sign (key, "supply-res", "D1", MESSAGE);
  g_autofree char *forged = sign (other, "supply-res", "D1", MESSAGE);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (trusted);
  g_assert_cmpuint (strlen (ev_signing_key_get_fingerprint (key)), ==, 64);
  g_assert_null (ev_verify_key_get_base64 (trusted));
  assert_rejected ("supply-res", "D1", forged, trusted, EV_SIGNING_ERROR_WRONG_KEY);
  g_assert_true (ev_signed_message_verify ("supply-res", "D1", text, strlen (text), trusted, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ev_verify_key_get_base64 (trusted), ==, ev_signing_key_get_public_base64 (key));
  assert_rejected ("supply-res", "D1", forged, trusted, EV_SIGNING_ERROR_WRONG_KEY);

  g_assert_null (ev_verify_key_new_from_fingerprint ("abc", &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY);
}

/* A tombstone has no value: its signature travels in a header, and is
 * bound to its topic and key like any other. */
static void
test_tombstone (void)
{
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autoptr(EvSigningKey) other = ev_signing_key_generate (NULL);
  g_autoptr(EvVerifyKey) trusted = ev_signing_key_dup_verify_key (key);
  g_autofree char *header = ev_signed_tombstone_sign (key, "cp-states", "CP1", NULL);
  g_autofree char *forged = ev_signed_tombstone_sign (other, "cp-states", "CP1", NULL);
  g_autofree char *as_message = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (header);
  g_assert_true (g_str_has_prefix (header, "{\"pub\":\""));
  g_assert_true (ev_signed_tombstone_verify ("cp-states", "CP1", header, strlen (header), trusted, &error));
  g_assert_no_error (error);
  g_assert_false (ev_signed_tombstone_verify ("cp-states", "CP2", header, strlen (header), trusted, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (ev_signed_tombstone_verify ("cp-states", "CP1", forged, strlen (forged), trusted, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY);
  g_clear_error (&error);
  g_assert_false (ev_signed_tombstone_verify ("cp-states", "CP1", NULL, 0, trusted, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_UNSIGNED);
  g_clear_error (&error);

  /* Neither passes for the other: a tombstone's signature is no message. */
  g_assert_false (ev_signed_message_verify ("cp-states", "CP1", header, strlen (header), trusted, NULL, NULL));
  as_message = sign (key, "cp-states", "CP1", MESSAGE);
  g_assert_false (ev_signed_tombstone_verify ("cp-states", "CP1", as_message, strlen (as_message), trusted, NULL));
}

/* Keys go to files and come back; bad files get errors that say why. */
static void
test_files (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "central.key", NULL);
  g_autofree char *pub_path = g_build_filename (dir, "central.pub", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.key", NULL);
  g_autoptr(EvSigningKey) key = NULL;
  g_autoptr(EvSigningKey) again = NULL;
  g_autoptr(EvSigningKey) missing = NULL;
  g_autoptr(EvVerifyKey) pub = NULL;
  g_autoptr(EvVerifyKey) loaded = NULL;
  g_autoptr(GError) error = NULL;
  gboolean created = FALSE;
  GStatBuf info;

  key = ev_signing_key_load_or_create (path, TRUE, &created, &error);
  g_assert_no_error (error);
  g_assert_true (created);
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  again = ev_signing_key_load_or_create (path, TRUE, &created, &error);
  g_assert_no_error (error);
  g_assert_false (created);
  g_assert_cmpstr (ev_signing_key_get_public_base64 (again), ==, ev_signing_key_get_public_base64 (key));

  pub = ev_signing_key_dup_verify_key (key);
  g_assert_true (ev_verify_key_save (pub, pub_path, &error));
  loaded = ev_verify_key_new_from_argument (pub_path, &error);
  g_assert_no_error (error);
  g_assert_true (ev_verify_key_equal (loaded, pub));
  g_clear_pointer (&loaded, ev_verify_key_free);
  loaded = ev_verify_key_new_from_argument (ev_signing_key_get_public_base64 (key), &error);
  g_assert_no_error (error);
  g_assert_true (ev_verify_key_equal (loaded, pub));

  /* Readable by others: refused. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  missing = ev_signing_key_load (path, &error);
  g_assert_null (missing);
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "0600"));
  g_clear_error (&error);

  /* Not a key: refused, and never replaced by a new one. */
  g_assert_true (g_file_set_contents_full (bad, "hello\n", -1, 0, 0600, NULL));
  missing = ev_signing_key_load_or_create (bad, TRUE, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (ev_verify_key_load (bad, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (ev_verify_key_new_from_argument (path + 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  ev_test_rm_rf (dir);
}

/* The private key travels as base64 (CP keys on the local link). */
static void
test_base64 (void)
{
  g_autoptr(EvSigningKey) key = ev_signing_key_generate (NULL);
  g_autofree char *secret = ev_signing_key_to_base64 (key);
  g_autoptr(EvSigningKey) copy = ev_signing_key_new_from_base64 (secret, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (copy);
  g_assert_cmpstr (ev_signing_key_get_public_base64 (copy), ==, ev_signing_key_get_public_base64 (key));
  g_assert_null (ev_signing_key_new_from_base64 ("AAAA", &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY);
  g_clear_error (&error);
  g_assert_null (ev_verify_key_new_from_base64 ("not base64 at all, not at all, not at all!!", &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY);
}

/* Charging-point keys: HMAC-SHA256 over the domain, topic, Kafka key and
 * message, as the last member "mac"; any change, or another key, fails. */
static void
test_mac (void)
{
  static const char message[] = "{\"v\":1,\"kind\":\"progress\",\"cp_id\":\"CP1\",\"kwh\":1.5}";
  EvCpKey keys[2];
  EvCpKey again;
  g_autofree char *text = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *extra = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  guint which = 99;
  char *mac;

  g_assert_true (ev_cp_key_generate (&keys[0], &error));
  g_assert_true (ev_cp_key_generate (&keys[1], &error));
  g_assert_false (ev_cp_key_equal (&keys[0], &keys[1]));
  b64 = ev_cp_key_to_base64 (&keys[1]);
  g_assert_true (ev_cp_key_from_base64 (b64, &again, &error));
  g_assert_true (ev_cp_key_equal (&again, &keys[1]));
  g_assert_false (ev_cp_key_from_base64 ("c2hvcnQ=", &again, NULL));

  text = ev_mac_message_sign (&keys[1], "supply-data", "CP1", message, strlen (message), &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, strlen (text));
  g_assert_true (g_str_has_prefix (text, "{\"v\":1,\"kind\":\"progress\",\"cp_id\":\"CP1\",\"kwh\":1.5,\"mac\":\""));
  g_assert_cmpuint (len, ==, strlen (message) + strlen (",\"mac\":\"\"") + 44);

  /* Made by the second key of the two: which says so. */
  g_assert_true (ev_mac_message_verify (keys, 2, "supply-data", "CP1", text, len, &which, &error));
  g_assert_cmpuint (which, ==, 1);
  g_assert_false (ev_mac_message_verify (keys, 1, "supply-data", "CP1", text, len, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (ev_mac_message_verify (keys, 0, "supply-data", "CP1", text, len, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Another topic or Kafka key. */
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-req", "CP1", text, len, NULL, NULL));
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", "CP2", text, len, NULL, NULL));
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", NULL, text, len, NULL, NULL));

  /* A changed figure. */
  tampered = g_strdup (text);
  mac = strstr (tampered, "1.5");
  mac[0] = '9';
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", "CP1", tampered, len, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* No MAC, a member after it, a MAC that is not base64. */
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", "CP1", message, strlen (message), NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_UNSIGNED);
  g_clear_error (&error);
  extra = g_strdup_printf ("%.*s,\"x\":1}", (int) len - 1, text);
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", "CP1", extra, strlen (extra), NULL, NULL));
  g_free (tampered);
  tampered = g_strdup (text);
  tampered[len - 5] = '*';
  g_assert_false (ev_mac_message_verify (&keys[1], 1, "supply-data", "CP1", tampered, len, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Nothing but an object with members can carry one. */
  g_assert_null (ev_mac_message_sign (&keys[0], "supply-data", "CP1", "{}", 2, NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (ev_mac_message_sign (&keys[0], "supply-data", "C\nP", message, strlen (message), NULL, &error));
  g_assert_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED);
  g_clear_error (&error);

  /* The shortest text the signer takes verifies too (fuzz-signed found
   * a three-byte object the signer made and the checker refused). */
  g_free (text);
  text = ev_mac_message_sign (&keys[0], "supply-data", "CP1", "{@}", 3, &len, &error);
  g_assert_no_error (error);
  g_assert_true (ev_mac_message_verify (keys, 1, "supply-data", "CP1", text, len, NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/signing/sign-verify", test_sign_verify);
  g_test_add_func ("/signing/rejections", test_rejections);
  g_test_add_func ("/signing/fingerprint", test_fingerprint);
  g_test_add_func ("/signing/files", test_files);
  g_test_add_func ("/signing/tombstone", test_tombstone);
  g_test_add_func ("/signing/base64", test_base64);
  g_test_add_func ("/signing/mac", test_mac);

  return g_test_run ();
}

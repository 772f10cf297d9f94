#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev-signing.h"

/* libFuzzer entry points; libFuzzer itself declares nothing for C. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A fixed key, so that the seed corpus (tests/fuzz/corpus/signed, signed
 * with it) reaches the signature check: seed 00 01 … 1f. */
#define SECRET "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8DoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA=="

static EvSigningKey *key;
static EvVerifyKey *trusted;
/* The charging-point key of the MAC checks: bytes 00 01 … 1f too. */
static EvCpKey cp_key;

static void
fail (const char *what,
      const char *text)
{
  fprintf (stderr, "%s\n%s\n", what, text);
  abort ();
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  key = ev_signing_key_new_from_base64 (SECRET, NULL);
  if (key == NULL)
    abort ();
  trusted = ev_signing_key_dup_verify_key (key);
  for (guint i = 0; i < EV_CP_KEY_SIZE; i++)
    cp_key.bytes[i] = (guint8) i;
  return 0;
}

/* The same promises for a charging point's MAC (docs/protocol.md,
 * "Charging-point keys"). */
static void
check_mac (const char    *topic,
           const char    *kafka_key,
           const char    *value,
           const uint8_t *data,
           size_t         size)
{
  g_autofree char *maced = NULL;
  gsize maced_len = 0;

  if (ev_mac_message_verify (&cp_key, 1, topic, kafka_key, value, strlen (value), NULL, NULL))
    {
      const char *mac = g_strrstr (value, ",\"mac\":\"");
      g_autofree char *body = NULL;
      g_autofree char *again = NULL;

      if (mac == NULL)
        fail ("a MAC verified without a mac member", value);
      body = g_strdup_printf ("%.*s}", (int) (mac - value), value);
      again = ev_mac_message_sign (&cp_key, topic, kafka_key, body, strlen (body), NULL, NULL);
      if (again == NULL || strcmp (again, value) != 0)
        fail ("a MAC verified that the signer would not make", value);
    }

  maced = ev_mac_message_sign (&cp_key, topic, kafka_key, value, strlen (value), &maced_len, NULL);
  if (maced != NULL)
    {
      gsize at = size > 1 ? data[1] % maced_len : 0;

      if (!ev_mac_message_verify (&cp_key, 1, topic, kafka_key, maced, maced_len, NULL, NULL))
        fail ("the MAC of the signer does not verify", maced);
      if (ev_mac_message_verify (&cp_key, 1, "another-topic", kafka_key, maced, maced_len, NULL, NULL))
        fail ("a MAC verified under another topic", maced);
      maced[at] ^= 0x01;
      if (ev_mac_message_verify (&cp_key, 1, topic, kafka_key, maced, maced_len, NULL, NULL))
        fail ("a MAC verified after a byte changed", maced);
    }
}

/* Input: "TOPIC\nKEY\nVALUE". The decoder must never crash, and must
 * accept exactly what the signer makes: a value that verifies is the
 * signer's output for its own body; a value the signer accepts verifies,
 * and stops verifying once any byte changes or under another topic. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_auto(GStrv) parts = g_strsplit (input, "\n", 3);
  const char *topic = "supply-res", *kafka_key = "D1", *value = input;
  g_autofree char *signed_text = NULL;
  gsize signed_len = 0;

  if (g_strv_length (parts) == 3)
    {
      topic = parts[0];
      kafka_key = parts[1];
      value = parts[2];
    }

  /* Any key (the signer's public key comes in the message), then ours. */
  ev_signed_message_verify (topic, kafka_key, value, strlen (value), NULL, NULL, NULL);
  if (ev_signed_message_verify (topic, kafka_key, value, strlen (value), trusted, NULL, NULL))
    {
      const char *sig = strstr (value, ",\"pub\":\"");
      g_autofree char *body = NULL;
      g_autofree char *again = NULL;

      /* The body is the value up to the last "pub" member, closed. */
      while (sig != NULL && strstr (sig + 1, ",\"pub\":\"") != NULL)
        sig = strstr (sig + 1, ",\"pub\":\"");
      if (sig == NULL)
        fail ("verified without a pub member", value);
      body = g_strdup_printf ("%.*s}", (int) (sig - value), value);
      again = ev_signed_message_sign (key, topic, kafka_key, body, strlen (body), NULL, NULL);
      if (again == NULL || strcmp (again, value) != 0)
        fail ("verified a message the signer would not make", value);
    }

  check_mac (topic, kafka_key, value, data, size);

  signed_text = ev_signed_message_sign (key, topic, kafka_key, value, strlen (value), &signed_len, NULL);
  if (signed_text != NULL)
    {
      gsize at = size > 0 ? data[0] % signed_len : 0;

      if (!ev_signed_message_verify (topic, kafka_key, signed_text, signed_len, trusted, NULL, NULL))
        fail ("the signer's output does not verify", signed_text);
      if (ev_signed_message_verify ("another-topic", kafka_key, signed_text, signed_len, trusted, NULL, NULL))
        fail ("verified under another topic", signed_text);
      signed_text[at] ^= 0x01;
      if (ev_signed_message_verify (topic, kafka_key, signed_text, signed_len, trusted, NULL, NULL))
        fail ("verified after a byte changed", signed_text);
    }
  return 0;
}

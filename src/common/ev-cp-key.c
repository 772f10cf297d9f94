/* ev-cp-key.c: charging-point keys and the MAC engines append to their
 * messages (docs/protocol.md, "Charging-point keys"), on GnuTLS. */

#include "config.h"

#include "ev-signing-private.h"

/**
 * ev_cp_key_generate:
 * @key: (out caller-allocates): where the new key goes
 * @error: return location for a #GError
 *
 * Makes a fresh key from the cryptography library's random generator.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_cp_key_generate (EvCpKey  *key,
                    GError  **error)
{
  int rc = gnutls_rnd (GNUTLS_RND_KEY, key->bytes, sizeof key->bytes);

  if (rc < 0)
    {
      signing_set_gnutls_error (error, rc, _("Could not make a charging-point key"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_cp_key_from_base64:
 * @text: 32 bytes in canonical base64 (44 characters)
 * @key: (out caller-allocates): the key
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @text is a key
 */
gboolean
ev_cp_key_from_base64 (const char  *text,
                       EvCpKey     *key,
                       GError     **error)
{
  if (text == NULL || !signing_decode_base64_exact (text, strlen (text), key->bytes, sizeof key->bytes))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY,
                           _("Not a charging-point key (32 bytes in base64)"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_cp_key_to_base64:
 * @key: a key
 *
 * Returns: (transfer full): @key in base64
 */
char *
ev_cp_key_to_base64 (const EvCpKey *key)
{
  return g_base64_encode (key->bytes, sizeof key->bytes);
}

/* Compares in a time that does not depend on where they differ. */
static gboolean
equal_in_constant_time (const guint8 *a,
                        const guint8 *b,
                        gsize         len)
{
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/**
 * ev_cp_key_equal:
 * @a: a key
 * @b: another key
 *
 * Returns: whether @a and @b are the same key
 */
gboolean
ev_cp_key_equal (const EvCpKey *a,
                 const EvCpKey *b)
{
  return equal_in_constant_time (a->bytes, b->bytes, sizeof a->bytes);
}

static gboolean
compute_mac (const EvCpKey *key,
             const GString *bytes,
             guint8         mac[32],
             GError       **error)
{
  int rc = gnutls_hmac_fast (GNUTLS_MAC_SHA256, key->bytes, sizeof key->bytes, bytes->str, bytes->len, mac);

  if (rc < 0)
    {
      signing_set_gnutls_error (error, rc, _("Could not compute a message authentication code"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_mac_message_sign:
 * @key: the CP's key
 * @topic: the topic the message goes to
 * @kafka_key: (nullable): its Kafka key
 * @text: (array length=len): the message, one JSON object with members
 * @len: its length
 * @out_len: (out) (optional): the length of the result
 * @error: return location for a #GError
 *
 * Appends the member `"mac"`, an HMAC-SHA256 with @key of
 * `"ev-mac-1" \n TOPIC \n KEY \n MESSAGE`, as the last member of @text
 * (docs/protocol.md, “Charging-point keys”).
 *
 * Returns: (transfer full) (nullable): the message with its MAC,
 *   NUL-terminated, or %NULL with @error set
 */
char *
ev_mac_message_sign (const EvCpKey *key,
                     const char    *topic,
                     const char    *kafka_key,
                     const char    *text,
                     gsize          len,
                     gsize         *out_len,
                     GError       **error)
{
  g_autoptr(GString) bytes = NULL;
  g_autofree char *mac_b64 = NULL;
  guint8 mac[32];
  GString *out;

  g_return_val_if_fail (key != NULL && topic != NULL && text != NULL, NULL);

  if (!signing_check_signable (kafka_key, text, len, error))
    return NULL;

  bytes = signing_domain_bytes (EV_MAC_DOMAIN, topic, kafka_key, text, len);
  if (!compute_mac (key, bytes, mac, error))
    return NULL;
  mac_b64 = g_base64_encode (mac, sizeof mac);

  out = g_string_sized_new (len + MAC_TRAILER_LEN + 1);
  g_string_append_len (out, text, len - 1);
  g_string_append (out, MAC_OPEN);
  g_string_append (out, mac_b64);
  g_string_append (out, SIG_CLOSE);
  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free (out, FALSE);
}

/**
 * ev_mac_message_verify:
 * @keys: (array length=n_keys): the keys that may have made the MAC, in
 *   the order they are tried (the newest first)
 * @n_keys: how many
 * @topic: the topic the message was read from
 * @kafka_key: (nullable): its Kafka key
 * @value: (array length=len): the message
 * @len: its length
 * @out_which: (out) (optional): the index in @keys of the key that made
 *   the MAC
 * @error: return location for a #GError
 *
 * Checks that @value ends exactly with the member ev_mac_message_sign()
 * appends and that one of @keys made it over the rest, @topic and
 * @kafka_key.
 *
 * Returns: %TRUE when one of @keys made the MAC; %FALSE with @error set
 *   otherwise (%EV_SIGNING_ERROR_UNSIGNED, %EV_SIGNING_ERROR_MALFORMED or
 *   %EV_SIGNING_ERROR_BAD_SIGNATURE)
 */
gboolean
ev_mac_message_verify (const EvCpKey *keys,
                       guint          n_keys,
                       const char    *topic,
                       const char    *kafka_key,
                       const void    *value,
                       gsize          len,
                       guint         *out_which,
                       GError       **error)
{
  const char *text = value;
  const char *open;
  g_autoptr(GString) bytes = NULL;
  guint8 mac[32];

  g_return_val_if_fail (topic != NULL, FALSE);

  if (text == NULL || len < MAC_TRAILER_LEN + 2 ||
      memcmp (text + len - MAC_TRAILER_LEN, MAC_OPEN, strlen (MAC_OPEN)) != 0)
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_UNSIGNED,
                           _("the message carries no code of its charging point"));
      return FALSE;
    }
  open = text + len - MAC_TRAILER_LEN;
  if (text[0] != '{' || open - text < 2 || open[-1] == '{' ||
      memcmp (text + len - strlen (SIG_CLOSE), SIG_CLOSE, strlen (SIG_CLOSE)) != 0 ||
      !signing_decode_base64_exact (open + strlen (MAC_OPEN), MAC_B64_LEN, mac, sizeof mac) ||
      (kafka_key != NULL && strchr (kafka_key, '\n') != NULL))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED,
                           _("the code of its charging point is not in the signed form"));
      return FALSE;
    }

  /* What was authenticated: the text before the "mac" member, closed. */
  bytes = signing_domain_bytes (EV_MAC_DOMAIN, topic, kafka_key, text, open - text);
  g_string_append_c (bytes, '}');
  for (guint i = 0; i < n_keys; i++)
    {
      guint8 expected[32];

      if (!compute_mac (&keys[i], bytes, expected, error))
        return FALSE;
      if (equal_in_constant_time (expected, mac, sizeof mac))
        {
          if (out_which != NULL)
            *out_which = i;
          return TRUE;
        }
    }

  g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE,
                       n_keys == 0 ? _("Central has issued no key to its charging point")
                                   : _("the code does not match the key of its charging point"));
  return FALSE;
}

/* ev-signing.c: Ed25519 keys and signed Kafka messages, on GnuTLS. The
 * only file that calls the cryptography library (docs/architecture.md). */

#include "config.h"

#include "ev-signing-private.h"

G_DEFINE_QUARK (ev-signing-error-quark, ev_signing_error)

void
signing_set_gnutls_error (GError     **error,
                          int          code,
                          const char  *what)
{
  g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_FAILED,
               "%s: %s", what, gnutls_strerror (code));
}

/**
 * ev_signing_fingerprint:
 * @public_key: (array length=len): a raw public key
 * @len: its length
 *
 * The fingerprint of a public key: SHA-256 of its raw bytes, in lower-case
 * hexadecimal (64 characters).
 *
 * Returns: (transfer full): the fingerprint
 */
char *
ev_signing_fingerprint (const void *public_key,
                        gsize       len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, public_key, len);
}

/**
 * ev_signing_central_key_path:
 *
 * Where Central writes its public key for the programs of the same user:
 * `$XDG_STATE_HOME/evcharging/central-key.pub` (kept across logins, unlike
 * the runtime folder).
 *
 * Returns: (transfer full): the path
 */
char *
ev_signing_central_key_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "central-key.pub", NULL);
}

/**
 * ev_signing_find_central_key:
 * @key_argument: (nullable): `--central-key`: a public key in base64 or a
 *   file holding one
 * @fingerprint: (nullable): `--central-key-fingerprint`
 * @error: return location for a #GError
 *
 * The key a reader checks Central's messages with: the one it was given,
 * else the one Central wrote for this user (ev_signing_central_key_path()).
 *
 * Returns: (transfer full) (nullable): the key; %NULL with @error set
 *   when the given key is unusable, %NULL without an error when there is
 *   none at all (the reader cannot check anything)
 */
EvVerifyKey *
ev_signing_find_central_key (const char  *key_argument,
                             const char  *fingerprint,
                             GError     **error)
{
  g_autofree char *path = NULL;

  if (key_argument != NULL)
    return ev_verify_key_new_from_argument (key_argument, error);
  if (fingerprint != NULL)
    return ev_verify_key_new_from_fingerprint (fingerprint, error);

  path = ev_signing_central_key_path ();
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return ev_verify_key_load (path, error);
}

/* Verify keys --------------------------------------------------------------- */

static gboolean
verify_key_set_raw (EvVerifyKey   *self,
                    const guint8  *raw,
                    GError       **error)
{
  gnutls_datum_t x = { (unsigned char *) raw, EV_SIGNING_PUBLIC_SIZE };
  gnutls_pubkey_t pubkey = NULL;
  int ret;

  ret = gnutls_pubkey_init (&pubkey);
  if (ret == 0)
    ret = gnutls_pubkey_import_ecc_raw (pubkey, GNUTLS_ECC_CURVE_ED25519, &x, NULL);
  if (ret < 0)
    {
      g_clear_pointer (&pubkey, gnutls_pubkey_deinit);
      signing_set_gnutls_error (error, ret, _("Cannot use the public key"));
      return FALSE;
    }

  self->has_key = TRUE;
  memcpy (self->raw, raw, EV_SIGNING_PUBLIC_SIZE);
  self->pubkey = pubkey;
  self->base64 = g_base64_encode (raw, EV_SIGNING_PUBLIC_SIZE);
  g_free (self->fingerprint);
  self->fingerprint = ev_signing_fingerprint (raw, EV_SIGNING_PUBLIC_SIZE);
  return TRUE;
}

static EvVerifyKey *
verify_key_new_from_raw (const guint8  *raw,
                         GError       **error)
{
  EvVerifyKey *self = g_new0 (EvVerifyKey, 1);

  if (!verify_key_set_raw (self, raw, error))
    {
      ev_verify_key_free (self);
      return NULL;
    }
  return self;
}

/* Decodes exactly @size bytes of strict base64 (no spaces, padding where
 * it belongs) from @text, of @text_len characters. */
gboolean
signing_decode_base64_exact (const char *text,
                             gsize       text_len,
                             guint8     *out,
                             gsize       size)
{
  g_autofree char *copy = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *again = NULL;
  gsize decoded_len = 0;

  if (text_len != 4 * ((size + 2) / 3))
    return FALSE;
  for (gsize i = 0; i < text_len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/' && text[i] != '=')
      return FALSE;

  copy = g_strndup (text, text_len);
  decoded = g_base64_decode (copy, &decoded_len);
  if (decoded_len != size)
    return FALSE;
  /* g_base64_decode() is lenient: only the canonical form is accepted, so
   * that one key or signature has one spelling. */
  again = g_base64_encode (decoded, decoded_len);
  if (strcmp (again, copy) != 0)
    return FALSE;
  memcpy (out, decoded, size);
  return TRUE;
}

/**
 * ev_verify_key_new_from_base64:
 * @text: a raw Ed25519 public key in base64 (44 characters), surrounding
 *   white space allowed
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvVerifyKey *
ev_verify_key_new_from_base64 (const char  *text,
                               GError     **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  guint8 raw[EV_SIGNING_PUBLIC_SIZE];

  if (!signing_decode_base64_exact (stripped, strlen (stripped), raw, sizeof raw))
    {
      g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY,
                   _("“%s” is not a public key (44 characters of base64)"), stripped);
      return NULL;
    }
  return verify_key_new_from_raw (raw, error);
}

/**
 * ev_verify_key_new_from_fingerprint:
 * @hex: a fingerprint (64 hexadecimal digits; colons and case ignored)
 * @error: return location for a #GError
 *
 * A key known by its fingerprint only: ev_signed_message_verify() accepts
 * the first message whose public key has this fingerprint, and the key
 * then knows that public key.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvVerifyKey *
ev_verify_key_new_from_fingerprint (const char  *hex,
                                    GError     **error)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  EvVerifyKey *self;

  for (const char *p = hex; *p != '\0'; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p))
        break;
      g_string_append_c (clean, g_ascii_tolower (*p));
    }
  if (clean->len != 64 || strspn (hex, "0123456789abcdefABCDEF: \t\n") != strlen (hex))
    {
      g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY,
                   _("“%s” is not a key fingerprint (64 hexadecimal digits)"), hex);
      return NULL;
    }

  self = g_new0 (EvVerifyKey, 1);
  self->fingerprint = g_string_free (g_steal_pointer (&clean), FALSE);
  return self;
}

/**
 * ev_verify_key_load:
 * @path: a file holding a public key in base64 (as
 *   ev_verify_key_save() writes it)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 *   (naming @path)
 */
EvVerifyKey *
ev_verify_key_load (const char  *path,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  EvVerifyKey *self;

  if (!ev_file_read_bounded (path, KEY_FILE_MAX, &contents, NULL, error))
    return NULL;
  self = ev_verify_key_new_from_base64 (contents, &local_error);
  if (self == NULL)
    g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE,
                 _("“%s” does not hold a public key: %s"), path, local_error->message);
  return self;
}

/**
 * ev_verify_key_new_from_argument:
 * @argument: a public key in base64, or the name of a file holding one
 * @error: return location for a #GError
 *
 * What `--central-key` accepts.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvVerifyKey *
ev_verify_key_new_from_argument (const char  *argument,
                                 GError     **error)
{
  EvVerifyKey *self = ev_verify_key_new_from_base64 (argument, NULL);

  if (self != NULL)
    return self;
  return ev_verify_key_load (argument, error);
}

/**
 * ev_verify_key_save:
 * @key: a key with a public key (not only a fingerprint)
 * @path: where to write it; its folder is created
 * @error: return location for a #GError
 *
 * Writes the key in base64 and a newline, mode 0644, atomically.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_verify_key_save (EvVerifyKey  *key,
                    const char   *path,
                    GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = NULL;

  g_return_val_if_fail (key != NULL && key->has_key, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  text = g_strconcat (key->base64, "\n", NULL);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/**
 * ev_verify_key_get_base64:
 * @key: a key
 *
 * Returns: (nullable): the public key in base64, or %NULL for a key known
 *   by its fingerprint only, until it met its public key
 */
const char *
ev_verify_key_get_base64 (EvVerifyKey *key)
{
  return key->base64;
}

/**
 * ev_verify_key_get_fingerprint:
 * @key: a key
 *
 * Returns: the key's fingerprint (ev_signing_fingerprint())
 */
const char *
ev_verify_key_get_fingerprint (EvVerifyKey *key)
{
  return key->fingerprint;
}

/**
 * ev_verify_key_equal:
 * @a: a key
 * @b: another
 *
 * Returns: whether both stand for the same public key
 */
gboolean
ev_verify_key_equal (EvVerifyKey *a,
                     EvVerifyKey *b)
{
  return g_strcmp0 (a->fingerprint, b->fingerprint) == 0;
}

/**
 * ev_verify_key_verify:
 * @key: a key with a public key
 * @data: (array length=len): the signed bytes
 * @len: their length
 * @signature: (array length=signature_len): the signature
 * @signature_len: its length
 *
 * Returns: whether @signature is @key's signature of @data
 */
gboolean
ev_verify_key_verify (EvVerifyKey *key,
                      const void  *data,
                      gsize        len,
                      const void  *signature,
                      gsize        signature_len)
{
  gnutls_datum_t d = { (unsigned char *) data, len };
  gnutls_datum_t s = { (unsigned char *) signature, signature_len };

  if (!key->has_key || signature_len != EV_SIGNING_SIGNATURE_SIZE)
    return FALSE;
  return gnutls_pubkey_verify_data2 (key->pubkey, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s) >= 0;
}

/**
 * ev_verify_key_free:
 * @key: (nullable): a key
 */
void
ev_verify_key_free (EvVerifyKey *key)
{
  if (key == NULL)
    return;
  g_clear_pointer (&key->pubkey, gnutls_pubkey_deinit);
  g_free (key->base64);
  g_free (key->fingerprint);
  g_free (key);
}

static EvSigningKey *
signing_key_new_from_secret (const guint8  *secret,
                             GError       **error)
{
  g_autoptr(EvSigningKey) self = g_new0 (EvSigningKey, 1);
  gnutls_datum_t k = { (unsigned char *) secret, SEED_SIZE };
  gnutls_datum_t x = { (unsigned char *) secret + SEED_SIZE, EV_SIGNING_PUBLIC_SIZE };
  g_autoptr(GBytes) probe = NULL;
  int ret;

  memcpy (self->seed, secret, SEED_SIZE);
  ret = gnutls_privkey_init (&self->privkey);
  if (ret >= 0)
    ret = gnutls_privkey_import_ecc_raw (self->privkey, GNUTLS_ECC_CURVE_ED25519, &x, NULL, &k);
  if (ret < 0)
    {
      signing_set_gnutls_error (error, ret, _("Cannot use the private key"));
      return NULL;
    }
  self->public = verify_key_new_from_raw (x.data, error);
  if (self->public == NULL)
    return NULL;

  /* GnuTLS takes the public half as given: a key whose halves do not
   * belong together would sign what nobody can verify. */
  probe = ev_signing_key_sign (self, EV_SIGNING_DOMAIN, strlen (EV_SIGNING_DOMAIN), error);
  if (probe == NULL)
    return NULL;
  if (!ev_verify_key_verify (self->public, EV_SIGNING_DOMAIN, strlen (EV_SIGNING_DOMAIN),
                             g_bytes_get_data (probe, NULL), g_bytes_get_size (probe)))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY,
                           _("The private key does not match its public key"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * ev_signing_key_generate:
 * @error: return location for a #GError
 *
 * Makes a new Ed25519 key pair from the system's random generator.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvSigningKey *
ev_signing_key_generate (GError **error)
{
  gnutls_privkey_t privkey = NULL;
  gnutls_datum_t x = { NULL, 0 }, k = { NULL, 0 };
  gnutls_ecc_curve_t curve;
  guint8 secret[SECRET_SIZE];
  EvSigningKey *self = NULL;
  int ret;

  ret = gnutls_privkey_init (&privkey);
  if (ret >= 0)
    ret = gnutls_privkey_generate (privkey, GNUTLS_PK_EDDSA_ED25519, 256, 0);
  if (ret >= 0)
    ret = gnutls_privkey_export_ecc_raw2 (privkey, &curve, &x, NULL, &k, 0);
  if (ret < 0)
    signing_set_gnutls_error (error, ret, _("Cannot make a key"));
  else if (x.size != EV_SIGNING_PUBLIC_SIZE || k.size != SEED_SIZE)
    g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_FAILED,
                 _("Cannot make a key: GnuTLS gave a key of %u and %u bytes"), x.size, k.size);
  else
    {
      memcpy (secret, k.data, SEED_SIZE);
      memcpy (secret + SEED_SIZE, x.data, EV_SIGNING_PUBLIC_SIZE);
      self = signing_key_new_from_secret (secret, error);
      gnutls_memset (secret, 0, sizeof secret);
    }

  if (k.data != NULL)
    {
      gnutls_memset (k.data, 0, k.size);
      gnutls_free (k.data);
    }
  gnutls_free (x.data);
  g_clear_pointer (&privkey, gnutls_privkey_deinit);
  return self;
}

/**
 * ev_signing_key_new_from_base64:
 * @text: a private key as ev_signing_key_to_base64() writes it (its
 *   32-byte seed and its 32-byte public key, in base64), surrounding white
 *   space allowed
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvSigningKey *
ev_signing_key_new_from_base64 (const char  *text,
                                GError     **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  guint8 secret[SECRET_SIZE];
  EvSigningKey *self;

  if (!signing_decode_base64_exact (stripped, strlen (stripped), secret, sizeof secret))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_KEY,
                           _("Not a private key (88 characters of base64)"));
      return NULL;
    }
  self = signing_key_new_from_secret (secret, error);
  gnutls_memset (secret, 0, sizeof secret);
  return self;
}

/**
 * ev_signing_key_to_base64:
 * @key: a key
 *
 * The private key (its seed, then its public key) in base64: a secret.
 *
 * Returns: (transfer full): the text
 */
char *
ev_signing_key_to_base64 (EvSigningKey *key)
{
  guint8 secret[SECRET_SIZE];
  char *text;

  memcpy (secret, key->seed, SEED_SIZE);
  memcpy (secret + SEED_SIZE, key->public->raw, EV_SIGNING_PUBLIC_SIZE);
  text = g_base64_encode (secret, sizeof secret);
  gnutls_memset (secret, 0, sizeof secret);
  return text;
}

/**
 * ev_signing_key_load:
 * @path: a private key file (ev_signing_key_save())
 * @error: return location for a #GError
 *
 * Reads a private key. A file that others may read is refused, like ssh
 * does, since a key anyone read signs for anyone.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 *   (naming @path)
 */
EvSigningKey *
ev_signing_key_load (const char  *path,
                     GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) lines = NULL;
  EvSigningKey *self;
  GStatBuf info;

  if (!ev_file_read_bounded (path, KEY_FILE_MAX, &contents, NULL, error))
    return NULL;
  if (g_stat (path, &info) == 0 && (info.st_mode & 077) != 0)
    {
      g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE,
                   _("“%s” may be read by others (mode %03o): make it 0600"),
                   path, (unsigned) (info.st_mode & 0777));
      return NULL;
    }
  lines = g_strsplit (contents, "\n", 3);
  if (g_strv_length (lines) < 2 || strcmp (lines[0], PRIVATE_HEADER) != 0)
    {
      g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE,
                   _("“%s” is not a private key of EV Charging"), path);
      return NULL;
    }
  self = ev_signing_key_new_from_base64 (lines[1], &local_error);
  if (self == NULL)
    g_set_error (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_FILE,
                 _("“%s” does not hold a usable private key: %s"), path, local_error->message);
  return self;
}

/**
 * ev_signing_key_save:
 * @key: a key
 * @path: where to write it; its folder is created (mode 0700)
 * @durable: whether to wait until the file is on the disk
 * @error: return location for a #GError
 *
 * Writes the private key, mode 0600, atomically: a header line, then
 * its secret in base64 (ev_signing_key_to_base64()). A key whose loss
 * costs nothing (a simulated driver's) may skip the wait, which costs
 * milliseconds on a busy disk.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_signing_key_save (EvSigningKey  *key,
                     const char    *path,
                     gboolean       durable,
                     GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *seed = NULL;
  g_autofree char *text = NULL;
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  seed = ev_signing_key_to_base64 (key);
  text = g_strdup_printf ("%s\n%s\n", PRIVATE_HEADER, seed);
  ok = g_file_set_contents_full (path, text, -1,
                                 durable ? G_FILE_SET_CONTENTS_CONSISTENT : G_FILE_SET_CONTENTS_NONE,
                                 0600, error);
  memset (text, 0, strlen (text));
  memset (seed, 0, strlen (seed));
  return ok;
}

/**
 * ev_signing_key_load_or_create:
 * @path: a private key file
 * @durable: as for ev_signing_key_save()
 * @created: (out) (optional): set to whether the key was made now
 * @error: return location for a #GError
 *
 * Reads @path, or makes a new key and saves it there when there is no
 * such file. A file that exists but cannot be used is an error, never
 * replaced.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvSigningKey *
ev_signing_key_load_or_create (const char  *path,
                               gboolean     durable,
                               gboolean    *created,
                               GError     **error)
{
  g_autoptr(EvSigningKey) key = NULL;

  if (created != NULL)
    *created = FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return ev_signing_key_load (path, error);

  key = ev_signing_key_generate (error);
  if (key == NULL || !ev_signing_key_save (key, path, durable, error))
    return NULL;
  if (created != NULL)
    *created = TRUE;
  return g_steal_pointer (&key);
}

/**
 * ev_signing_key_get_public_base64:
 * @key: a key
 *
 * Returns: its public key in base64
 */
const char *
ev_signing_key_get_public_base64 (EvSigningKey *key)
{
  return key->public->base64;
}

/**
 * ev_signing_key_get_fingerprint:
 * @key: a key
 *
 * Returns: its public key's fingerprint
 */
const char *
ev_signing_key_get_fingerprint (EvSigningKey *key)
{
  return key->public->fingerprint;
}

/**
 * ev_signing_key_dup_verify_key:
 * @key: a key
 *
 * Returns: (transfer full): its public half
 */
EvVerifyKey *
ev_signing_key_dup_verify_key (EvSigningKey *key)
{
  return verify_key_new_from_raw (key->public->raw, NULL);
}

/**
 * ev_signing_key_sign:
 * @key: a key
 * @data: (array length=len): the bytes to sign
 * @len: their length
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the 64-byte signature, or %NULL
 *   with @error set
 */
GBytes *
ev_signing_key_sign (EvSigningKey  *key,
                     const void    *data,
                     gsize          len,
                     GError       **error)
{
  gnutls_datum_t d = { (unsigned char *) data, len };
  gnutls_datum_t s = { NULL, 0 };
  GBytes *signature;
  int ret;

  ret = gnutls_privkey_sign_data2 (key->privkey, GNUTLS_SIGN_EDDSA_ED25519, 0, &d, &s);
  if (ret < 0)
    {
      signing_set_gnutls_error (error, ret, _("Cannot sign"));
      return NULL;
    }
  signature = g_bytes_new (s.data, s.size);
  gnutls_free (s.data);
  return signature;
}

/**
 * ev_signing_key_free:
 * @key: (nullable): a key
 */
void
ev_signing_key_free (EvSigningKey *key)
{
  if (key == NULL)
    return;
  g_clear_pointer (&key->privkey, gnutls_privkey_deinit);
  gnutls_memset (key->seed, 0, SEED_SIZE);
  ev_verify_key_free (key->public);
  g_free (key);
}

/* Signed messages ----------------------------------------------------------- */

/* DOMAIN "\n" topic "\n" key "\n" body: what a signature (domain
 * "ev-sig-1") or a MAC ("ev-mac-1") covers. */
GString *
signing_domain_bytes (const char *domain,
                      const char *topic,
                      const char *kafka_key,
                      const char *body,
                      gsize       body_len)
{
  GString *bytes = g_string_sized_new (body_len + 64);

  g_string_append (bytes, domain);
  g_string_append_c (bytes, '\n');
  g_string_append (bytes, topic);
  g_string_append_c (bytes, '\n');
  g_string_append (bytes, kafka_key != NULL ? kafka_key : "");
  g_string_append_c (bytes, '\n');
  g_string_append_len (bytes, body, body_len);
  return bytes;
}

static GString *
signed_bytes (const char *topic,
              const char *kafka_key,
              const char *body,
              gsize       body_len)
{
  return signing_domain_bytes (EV_SIGNING_DOMAIN, topic, kafka_key, body, body_len);
}

/* Only a JSON object with members, under a Kafka key without a line
 * break, can carry a signature or a MAC. */
gboolean
signing_check_signable (const char  *kafka_key,
                        const char  *text,
                        gsize        len,
                        GError     **error)
{
  if (len < 3 || text[0] != '{' || text[len - 1] != '}' || text[len - 2] == '{')
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED,
                           _("Only a JSON object with members can be signed"));
      return FALSE;
    }
  if (kafka_key != NULL && strchr (kafka_key, '\n') != NULL)
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED,
                           _("A Kafka key with a line break cannot be signed"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ev_signed_message_sign:
 * @key: the author's key
 * @topic: the topic the message goes to
 * @kafka_key: (nullable): its Kafka key
 * @text: (array length=len): the message, one JSON object whose last byte
 *   is its closing brace
 * @len: its length
 * @out_len: (out) (optional): the length of the result
 * @error: return location for a #GError
 *
 * Appends the members `"pub"` (@key's public key) and `"sig"` (the
 * signature) as the last members of @text (docs/protocol.md, “Signed
 * messages”).
 *
 * Returns: (transfer full) (nullable): the signed message, NUL-terminated,
 *   or %NULL with @error set
 */
char *
ev_signed_message_sign (EvSigningKey  *key,
                        const char    *topic,
                        const char    *kafka_key,
                        const char    *text,
                        gsize          len,
                        gsize         *out_len,
                        GError       **error)
{
  g_autoptr(GString) bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *signature_b64 = NULL;
  gsize head_len, body_start;

  g_return_val_if_fail (key != NULL && topic != NULL && text != NULL, NULL);

  if (!signing_check_signable (kafka_key, text, len, error))
    return NULL;

  bytes = signed_bytes (topic, kafka_key, text, len - 1);
  body_start = bytes->len - (len - 1);
  g_string_append (bytes, PUB_OPEN);
  g_string_append (bytes, ev_signing_key_get_public_base64 (key));
  g_string_append (bytes, "\"}");
  signature = ev_signing_key_sign (key, bytes->str, bytes->len, error);
  if (signature == NULL)
    return NULL;

  signature_b64 = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  /* Reuse the buffer: drop the domain and the closing brace, add "sig". */
  g_string_erase (bytes, 0, body_start);
  head_len = bytes->len - 1;
  g_string_truncate (bytes, head_len - 1);
  g_string_append (bytes, SIG_OPEN);
  g_string_append (bytes, signature_b64);
  g_string_append (bytes, SIG_CLOSE);
  if (out_len != NULL)
    *out_len = bytes->len;
  return g_string_free (g_steal_pointer (&bytes), FALSE);
}

/**
 * ev_signed_message_is_signed:
 * @value: (array length=len): a message
 * @len: its length
 *
 * Returns: whether @value ends with a `"sig"` member in the signed form
 *   (not whether the signature is good)
 */
gboolean
ev_signed_message_is_signed (const void *value,
                             gsize       len)
{
  const char *text = value;

  return value != NULL && len > TRAILER_LEN &&
         memcmp (text + len - strlen (SIG_CLOSE) - SIGNATURE_B64_LEN - strlen (SIG_OPEN),
                 SIG_OPEN, strlen (SIG_OPEN)) == 0;
}

/* Checks @text against the signed form: a message ending with the
 * trailer, or for a tombstone the signature's own object,
 * `{"pub":"…","sig":"…"}` (a message with no members). */
static gboolean
verify_signed_text (const char    *topic,
                    const char    *kafka_key,
                    const char    *text,
                    gsize          len,
                    gboolean       tombstone,
                    EvVerifyKey   *trusted,
                    EvVerifyKey  **signer,
                    GError       **error)
{
  const char *tail, *pub, *sig;
  guint8 raw_pub[EV_SIGNING_PUBLIC_SIZE];
  guint8 raw_sig[EV_SIGNING_SIGNATURE_SIZE];
  g_autoptr(EvVerifyKey) owned = NULL;
  g_autoptr(GString) bytes = NULL;
  EvVerifyKey *key;

  g_return_val_if_fail (topic != NULL, FALSE);

  if (signer != NULL)
    *signer = NULL;
  if (tombstone ? (text == NULL || len != TRAILER_LEN) : !ev_signed_message_is_signed (text, len))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_UNSIGNED,
                           _("the message is not signed"));
      return FALSE;
    }

  /* tail: the "pub" member's opening quote. */
  tail = tombstone ? text + 1 : text + len - TRAILER_LEN + 1;
  pub = tail + strlen (PUB_MEMBER);
  sig = pub + PUBLIC_B64_LEN + strlen (SIG_OPEN);
  if (text[0] != '{' || (!tombstone && (tail - text < 3 || tail[-1] != ',')) ||
      memcmp (tail, PUB_MEMBER, strlen (PUB_MEMBER)) != 0 ||
      memcmp (pub + PUBLIC_B64_LEN, SIG_OPEN, strlen (SIG_OPEN)) != 0 ||
      memcmp (text + len - strlen (SIG_CLOSE), SIG_CLOSE, strlen (SIG_CLOSE)) != 0 ||
      !signing_decode_base64_exact (pub, PUBLIC_B64_LEN, raw_pub, sizeof raw_pub) ||
      !signing_decode_base64_exact (sig, SIGNATURE_B64_LEN, raw_sig, sizeof raw_sig) ||
      (kafka_key != NULL && strchr (kafka_key, '\n') != NULL))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED,
                           _("the signature is not in the signed form"));
      return FALSE;
    }

  if (trusted != NULL && trusted->has_key)
    {
      if (memcmp (trusted->raw, raw_pub, sizeof raw_pub) != 0)
        {
          g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY,
                               _("the message is signed by another key"));
          return FALSE;
        }
      key = trusted;
    }
  else
    {
      owned = verify_key_new_from_raw (raw_pub, error);
      if (owned == NULL)
        return FALSE;
      if (trusted != NULL && strcmp (trusted->fingerprint, owned->fingerprint) != 0)
        {
          g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY,
                               _("the message is signed by a key with another fingerprint"));
          return FALSE;
        }
      key = owned;
    }

  /* What was signed: the text up to the "sig" member, closed again. */
  bytes = signed_bytes (topic, kafka_key, text, (sig - text) - strlen (SIG_OPEN) + 1);
  g_string_append_c (bytes, '}');
  if (!ev_verify_key_verify (key, bytes->str, bytes->len, raw_sig, sizeof raw_sig))
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_BAD_SIGNATURE,
                           _("the signature does not match the message"));
      return FALSE;
    }

  /* A key known by its fingerprint keeps the public key it just met. */
  if (trusted != NULL && !trusted->has_key)
    verify_key_set_raw (trusted, raw_pub, NULL);

  if (signer != NULL)
    *signer = owned != NULL ? g_steal_pointer (&owned) : verify_key_new_from_raw (raw_pub, NULL);
  return TRUE;
}

/**
 * ev_signed_message_verify:
 * @topic: the topic the message was read from
 * @kafka_key: (nullable): its Kafka key
 * @value: (array length=len): the message
 * @len: its length
 * @trusted: (nullable): the only key whose signature is accepted (a key
 *   known by its fingerprint learns its public key here), or %NULL to
 *   accept any key (the caller checks *@signer)
 * @signer: (out) (optional) (transfer full): the key that signed it
 * @error: return location for a #GError
 *
 * Checks that @value ends exactly with the members ev_signed_message_sign()
 * appends and that the signature covers the rest, @topic and @kafka_key.
 * The message itself is left alone: a JSON reader that ignores unknown
 * members parses it as it is.
 *
 * Returns: %TRUE when the message is signed by @trusted (or by any key
 *   when @trusted is %NULL); %FALSE with @error set otherwise
 */
gboolean
ev_signed_message_verify (const char    *topic,
                          const char    *kafka_key,
                          const void    *value,
                          gsize          len,
                          EvVerifyKey   *trusted,
                          EvVerifyKey  **signer,
                          GError       **error)
{
  return verify_signed_text (topic, kafka_key, value, len, FALSE, trusted, signer, error);
}

/**
 * ev_signed_tombstone_sign:
 * @key: the author's key
 * @topic: the topic of the tombstone
 * @kafka_key: its Kafka key
 * @error: return location for a #GError
 *
 * The signature of a tombstone (a message with no value), to send as the
 * header %EV_SIGNING_HEADER: `{"pub":"…","sig":"…"}`, signing the bytes
 * a message with no members would be signed with.
 *
 * Returns: (transfer full) (nullable): the header's value, or %NULL with
 *   @error set
 */
char *
ev_signed_tombstone_sign (EvSigningKey  *key,
                          const char    *topic,
                          const char    *kafka_key,
                          GError       **error)
{
  g_autoptr(GString) bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *signature_b64 = NULL;

  g_return_val_if_fail (key != NULL && topic != NULL, NULL);

  if (kafka_key != NULL && strchr (kafka_key, '\n') != NULL)
    {
      g_set_error_literal (error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_MALFORMED,
                           _("A Kafka key with a line break cannot be signed"));
      return NULL;
    }
  bytes = signed_bytes (topic, kafka_key, "{", 1);
  g_string_append (bytes, PUB_MEMBER);
  g_string_append (bytes, ev_signing_key_get_public_base64 (key));
  g_string_append (bytes, "\"}");
  signature = ev_signing_key_sign (key, bytes->str, bytes->len, error);
  if (signature == NULL)
    return NULL;
  signature_b64 = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  return g_strconcat ("{" PUB_MEMBER, ev_signing_key_get_public_base64 (key),
                      SIG_OPEN, signature_b64, SIG_CLOSE, NULL);
}

/**
 * ev_signed_tombstone_verify:
 * @topic: the topic the tombstone was read from
 * @kafka_key: (nullable): its Kafka key
 * @header: (array length=len) (nullable): its %EV_SIGNING_HEADER, or %NULL
 *   when it has none
 * @len: the header's length
 * @trusted: (nullable): as for ev_signed_message_verify()
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @header is @trusted's signature of this tombstone
 */
gboolean
ev_signed_tombstone_verify (const char    *topic,
                            const char    *kafka_key,
                            const void    *header,
                            gsize          len,
                            EvVerifyKey   *trusted,
                            GError       **error)
{
  return verify_signed_text (topic, kafka_key, header, len, TRUE, trusted, NULL, error);
}

#include "config.h"

#include "ev-tls-private.h"

G_DEFINE_QUARK (ev-tls-error-quark, ev_tls_error)

static void
set_gnutls_error (GError     **error,
                  EvTlsError   code,
                  const char  *what,
                  int          ret)
{
  g_set_error (error, EV_TLS_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
}

static gboolean
read_file (const char      *path,
           const char      *what,
           gnutls_datum_t  *datum,
           GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                   _("Cannot read the %s: %s"), what, local_error->message);
      return FALSE;
    }

  datum->data = (unsigned char *) contents;
  datum->size = (unsigned int) len;
  return TRUE;
}

static gboolean
load_key_pair (gnutls_certificate_credentials_t   credentials,
               const char                        *cert_file,
               const char                        *key_file,
               GError                           **error)
{
  gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
  gboolean ok = FALSE;
  int ret;

  if (!read_file (cert_file, _("certificate file"), &cert, error) ||
      !read_file (key_file, _("key file"), &key, error))
    goto out;

  ret = gnutls_certificate_set_x509_key_mem2 (credentials, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                   _("The certificate %s and the key %s cannot be used together (PEM expected): %s"),
                   cert_file, key_file, gnutls_strerror (ret));
      goto out;
    }
  ok = TRUE;

out:
  g_free (cert.data);
  g_free (key.data);
  return ok;
}

static gboolean
load_trust (gnutls_certificate_credentials_t   credentials,
            const char                        *ca_file,
            GError                           **error)
{
  gnutls_datum_t ca = { NULL, 0 };
  int ret;

  if (!read_file (ca_file, _("CA file"), &ca, error))
    return FALSE;
  ret = gnutls_certificate_set_x509_trust_mem (credentials, &ca, GNUTLS_X509_FMT_PEM);
  g_free (ca.data);
  if (ret <= 0)
    {
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                   _("The CA file %s holds no PEM certificate: %s"), ca_file,
                   ret < 0 ? gnutls_strerror (ret) : _("none found"));
      return FALSE;
    }
  return TRUE;
}

static char *
format_fingerprint (const guint8 *digest,
                    gsize         len)
{
  GString *text = g_string_sized_new (len * 3);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (text, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (text, FALSE);
}

char *
tls_fingerprint_of_der (const guint8 *der,
                        gsize         len)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_checksum_update (checksum, der, len);
  g_checksum_get_digest (checksum, digest, &digest_len);
  return format_fingerprint (digest, digest_len);
}

/**
 * ev_tls_parse_fingerprint:
 * @text: a SHA-256 fingerprint: 64 hex digits, with or without colons
 * @normalized: (out) (optional): the fingerprint as `AB:CD:…`, upper case
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @text is a SHA-256 fingerprint
 */
gboolean
ev_tls_parse_fingerprint (const char  *text,
                          char       **normalized,
                          GError     **error)
{
  guint8 digest[32];
  gsize n = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  for (const char *p = text; *p != '\0'; p++)
    {
      int high, low;

      if (*p == ':' || *p == ' ')
        continue;
      high = g_ascii_xdigit_value (p[0]);
      low = p[1] != '\0' ? g_ascii_xdigit_value (p[1]) : -1;
      if (high < 0 || low < 0 || n == sizeof digest)
        goto bad;
      digest[n++] = (guint8) (high << 4 | low);
      p++;
    }
  if (n != sizeof digest)
    goto bad;

  if (normalized != NULL)
    *normalized = format_fingerprint (digest, n);
  return TRUE;

bad:
  g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS,
               _("“%s” is not a SHA-256 fingerprint (64 hex digits, colons allowed)"), text);
  return FALSE;
}

/**
 * ev_tls_fingerprint_of_file:
 * @cert_file: a PEM certificate (the first one counts)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the SHA-256 fingerprint of the
 *   certificate's DER as `AB:CD:…`, what `--tls-fingerprint` pins
 */
char *
ev_tls_fingerprint_of_file (const char  *cert_file,
                            GError     **error)
{
  gnutls_datum_t pem = { NULL, 0 };
  gnutls_datum_t der = { NULL, 0 };
  gnutls_x509_crt_t crt = NULL;
  char *fingerprint = NULL;
  int ret;

  g_return_val_if_fail (cert_file != NULL, NULL);

  if (!read_file (cert_file, _("certificate file"), &pem, error))
    return NULL;

  if ((ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_import (crt, &pem, GNUTLS_X509_FMT_PEM)) < 0 ||
      (ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der)) < 0)
    g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                 _("%s holds no PEM certificate: %s"), cert_file, gnutls_strerror (ret));
  else
    fingerprint = tls_fingerprint_of_der (der.data, der.size);

  gnutls_free (der.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  g_free (pem.data);
  return fingerprint;
}

/* ---------------------------------------------------------------------
 * The server's credentials.
 * --------------------------------------------------------------------- */

/**
 * ev_tls_server_new:
 * @cert_file: the server's certificate (PEM; a chain may follow it)
 * @key_file: its private key (PEM)
 * @client_ca_file: (nullable): if set, clients must present a
 *   certificate signed by a CA in this PEM file
 * @error: return location for a #GError
 *
 * Loads what a TLS server needs, with an error that names the file at
 * fault.
 *
 * Returns: (transfer full) (nullable): the credentials
 */
EvTlsServer *
ev_tls_server_new (const char  *cert_file,
                   const char  *key_file,
                   const char  *client_ca_file,
                   GError     **error)
{
  g_autoptr(EvTlsServer) self = NULL;
  int ret;

  g_return_val_if_fail (cert_file != NULL, NULL);
  g_return_val_if_fail (key_file != NULL, NULL);

  self = g_atomic_rc_box_new0 (EvTlsServer);
  ret = gnutls_certificate_allocate_credentials (&self->credentials);
  if (ret < 0)
    {
      set_gnutls_error (error, EV_TLS_ERROR_FILE, "gnutls_certificate_allocate_credentials", ret);
      return NULL;
    }

  if (!load_key_pair (self->credentials, cert_file, key_file, error))
    return NULL;
  if (client_ca_file != NULL && !load_trust (self->credentials, client_ca_file, error))
    return NULL;
  self->requires_client_cert = client_ca_file != NULL;

  self->fingerprint = ev_tls_fingerprint_of_file (cert_file, error);
  if (self->fingerprint == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

static void
server_clear (gpointer data)
{
  EvTlsServer *self = data;

  if (self->credentials != NULL)
    gnutls_certificate_free_credentials (self->credentials);
  g_free (self->fingerprint);
}

/**
 * ev_tls_server_ref:
 * @self: server credentials
 *
 * Returns: (transfer full): @self
 */
EvTlsServer *
ev_tls_server_ref (EvTlsServer *self)
{
  return g_atomic_rc_box_acquire (self);
}

/**
 * ev_tls_server_unref:
 * @self: (transfer full): server credentials
 */
void
ev_tls_server_unref (EvTlsServer *self)
{
  g_atomic_rc_box_release_full (self, server_clear);
}

/**
 * ev_tls_server_get_fingerprint:
 * @self: server credentials
 *
 * Returns: the SHA-256 fingerprint of the server's certificate, `AB:CD:…`
 */
const char *
ev_tls_server_get_fingerprint (EvTlsServer *self)
{
  return self->fingerprint;
}

/**
 * ev_tls_server_get_requires_client_cert:
 * @self: server credentials
 *
 * Returns: whether clients must present a certificate
 */
gboolean
ev_tls_server_get_requires_client_cert (EvTlsServer *self)
{
  return self->requires_client_cert;
}

/* ---------------------------------------------------------------------
 * The client's trust.
 * --------------------------------------------------------------------- */

/**
 * ev_tls_client_new:
 * @ca_file: (nullable): the CA that signed the server's certificate (PEM)
 * @fingerprint: (nullable): or the SHA-256 fingerprint of the server's
 *   certificate, pinned
 * @cert_file: (nullable): the client's own certificate (PEM)
 * @key_file: (nullable): its key; given if and only if @cert_file is
 * @error: return location for a #GError
 *
 * Exactly one of @ca_file and @fingerprint must be given: a client told
 * to use TLS always checks whom it talks to. The files are read now, so
 * that a mistake shows at start.
 *
 * Returns: (transfer full) (nullable): the client's configuration
 */
EvTlsClient *
ev_tls_client_new (const char  *ca_file,
                   const char  *fingerprint,
                   const char  *cert_file,
                   const char  *key_file,
                   GError     **error)
{
  g_autoptr(EvTlsClient) self = NULL;
  int ret;

  if ((ca_file == NULL) == (fingerprint == NULL))
    {
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS,
                           _("TLS needs either a CA file (--tls-ca) or the server’s certificate fingerprint (--tls-fingerprint), not both"));
      return NULL;
    }
  if ((cert_file == NULL) != (key_file == NULL))
    {
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS,
                           _("A client certificate needs its key, and a key its certificate (--tls-client-cert and --tls-client-key)"));
      return NULL;
    }

  self = g_atomic_rc_box_new0 (EvTlsClient);
  /* GIO's file database does not find a relative path. */
  self->ca_file = ca_file != NULL ? g_canonicalize_filename (ca_file, NULL) : NULL;
  self->cert_file = g_strdup (cert_file);
  self->key_file = g_strdup (key_file);
  if (fingerprint != NULL && !ev_tls_parse_fingerprint (fingerprint, &self->fingerprint, error))
    return NULL;

  ret = gnutls_certificate_allocate_credentials (&self->credentials);
  if (ret < 0)
    {
      set_gnutls_error (error, EV_TLS_ERROR_FILE, "gnutls_certificate_allocate_credentials", ret);
      return NULL;
    }
  if (ca_file != NULL && !load_trust (self->credentials, ca_file, error))
    return NULL;
  if (cert_file != NULL && !load_key_pair (self->credentials, cert_file, key_file, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
client_clear (gpointer data)
{
  EvTlsClient *self = data;

  g_free (self->ca_file);
  g_free (self->fingerprint);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_clear_object (&self->database);
  g_clear_object (&self->certificate);
  if (self->credentials != NULL)
    gnutls_certificate_free_credentials (self->credentials);
}

/**
 * ev_tls_client_ref:
 * @self: a client configuration
 *
 * Returns: (transfer full): @self
 */
EvTlsClient *
ev_tls_client_ref (EvTlsClient *self)
{
  return g_atomic_rc_box_acquire (self);
}

/**
 * ev_tls_client_unref:
 * @self: (transfer full): a client configuration
 */
void
ev_tls_client_unref (EvTlsClient *self)
{
  g_atomic_rc_box_release_full (self, client_clear);
}

/**
 * ev_tls_client_describe:
 * @self: a client configuration
 *
 * Returns: (transfer full): how the server is checked, for the log
 */
char *
ev_tls_client_describe (EvTlsClient *self)
{
  if (self->fingerprint != NULL)
    return g_strdup_printf (_("certificate pinned to SHA-256 %s"), self->fingerprint);
  return g_strdup_printf (_("certificate checked against the CA in %s"), self->ca_file);
}

/**
 * ev_tls_check_backend:
 * @error: return location for a #GError
 *
 * Returns: %TRUE if GIO can do TLS (glib-networking is installed)
 */
gboolean
ev_tls_check_backend (GError **error)
{
  if (g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return TRUE;
  g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_UNSUPPORTED,
                       _("TLS is not available: GIO has no TLS backend (install glib-networking)"));
  return FALSE;
}

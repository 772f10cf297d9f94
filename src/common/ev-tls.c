#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ev-tls.h"

/**
 * EvTlsServer:
 *
 * A server's certificate and key (and, optionally, the CA its clients'
 * certificates must come from), loaded once and shared by every
 * connection.
 *
 * The monitor server keeps thousands of links in one epoll set (see
 * docs/architecture.md), which GTlsConnection, one GSource per link,
 * cannot do; so the server side, and the fleet's many client links,
 * drive GnuTLS (the library glib-networking wraps) directly over their
 * non-blocking sockets through #EvTlsConn. A single client link such as
 * the monitor's goes through GIO instead: ev_tls_client_handshake_async().
 */
struct _EvTlsServer
{
  gnutls_certificate_credentials_t credentials;
  char *fingerprint;
  gboolean requires_client_cert;
};

/**
 * EvTlsClient:
 *
 * How a client checks the server: against a CA file (host name or IP
 * address checked against the certificate) or against a pinned SHA-256
 * fingerprint of the server's certificate; and the client's own
 * certificate, if it has one.
 */
struct _EvTlsClient
{
  char *ca_file;
  char *fingerprint;          /* normalized, AA:BB:…, or NULL */
  char *cert_file;
  char *key_file;
  /* Made when first needed: GIO's for ev_tls_client_handshake_async(),
   * GnuTLS's for ev_tls_conn_new_client(). */
  GTlsDatabase *database;
  GTlsCertificate *certificate;
  gnutls_certificate_credentials_t credentials;
};

typedef enum {
  CONN_PEEK,
  CONN_HANDSHAKE,
  CONN_ESTABLISHED,
  CONN_FAILED,
} ConnState;

struct _EvTlsConn
{
  gnutls_session_t session;
  EvTlsServer *server;
  EvTlsClient *client;
  int fd;
  ConnState state;
  /* GnuTLS wants a send that returned AGAIN repeated; this many bytes
   * of the caller's output are in that record. */
  gsize send_pending;
  char *rejection;            /* why our verify function said no */
};

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

static char *
fingerprint_of_der (const guint8 *der,
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
    fingerprint = fingerprint_of_der (der.data, der.size);

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

/* ---------------------------------------------------------------------
 * One client handshake through GIO.
 * --------------------------------------------------------------------- */

typedef struct {
  EvTlsClient *client;
  GTlsConnection *connection;
  char *host;
  char *rejection;
  GCancellable *cancellable;  /* ours: cancelled by the caller's or the timer */
  GSource *timer;
  GSource *cancel_source;
  gboolean timed_out;
} Handshake;

static void
handshake_free (gpointer data)
{
  Handshake *handshake = data;

  if (handshake->timer != NULL)
    {
      g_source_destroy (handshake->timer);
      g_source_unref (handshake->timer);
    }
  if (handshake->cancel_source != NULL)
    {
      g_source_destroy (handshake->cancel_source);
      g_source_unref (handshake->cancel_source);
    }
  ev_tls_client_unref (handshake->client);
  g_clear_object (&handshake->connection);
  g_clear_object (&handshake->cancellable);
  g_free (handshake->host);
  g_free (handshake->rejection);
  g_free (handshake);
}

static char *
describe_certificate_errors (Handshake            *handshake,
                             GTlsCertificate      *certificate,
                             GTlsCertificateFlags  errors)
{
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    {
      g_autoptr(GDateTime) after = NULL;
      g_autofree char *date = NULL;

      g_object_get (certificate, "not-valid-after", &after, NULL);
      date = after != NULL ? g_date_time_format_iso8601 (after) : g_strdup ("?");
      return g_strdup_printf (_("the server’s certificate expired on %s"), date);
    }
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return g_strdup (_("the server’s certificate is not valid yet"));
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return g_strdup_printf (_("the server’s certificate is not signed by the CA in %s"),
                            handshake->client->ca_file);
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      if (g_hostname_is_ip_address (handshake->host))
        return g_strdup_printf (_("the server’s certificate does not list the IP address %s (as an IP subjectAltName)"),
                                handshake->host);
      return g_strdup_printf (_("the server’s certificate is not for the host name %s"), handshake->host);
    }
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    return g_strdup (_("the server’s certificate was revoked"));
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    return g_strdup (_("the server’s certificate uses an insecure algorithm"));
  return g_strdup (_("the server’s certificate could not be checked"));
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Handshake *handshake = user_data;
  EvTlsClient *client = handshake->client;

  g_clear_pointer (&handshake->rejection, g_free);

  if (client->fingerprint != NULL)
    {
      g_autoptr(GByteArray) der = NULL;
      g_autofree char *seen = NULL;

      g_object_get (certificate, "certificate", &der, NULL);
      seen = der != NULL ? fingerprint_of_der (der->data, der->len) : g_strdup ("?");
      if (g_strcmp0 (seen, client->fingerprint) != 0)
        {
          handshake->rejection = g_strdup_printf (_("the server’s certificate has the fingerprint %s, not the pinned %s"),
                                                  seen, client->fingerprint);
          return FALSE;
        }
      /* Pinned: who signed it and which names it lists do not matter. */
      errors &= ~(G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY);
      if (errors == 0)
        return TRUE;
    }

  handshake->rejection = describe_certificate_errors (handshake, certificate, errors);
  return FALSE;
}

static void
handshake_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Handshake *handshake = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_task_return_pointer (task, g_object_ref (handshake->connection), g_object_unref);
      return;
    }

  if (handshake->timed_out)
    g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_TIMEOUT,
                             _("The TLS handshake with %s did not complete in time"), handshake->host);
  else if (g_task_return_error_if_cancelled (task))
    return;
  else if (handshake->rejection != NULL)
    g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE,
                             _("TLS refused: %s"), handshake->rejection);
  else
    g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                             _("The TLS handshake with %s failed (does it serve TLS on this port?): %s"),
                             handshake->host, error->message);
}

static gboolean
handshake_timeout_cb (gpointer user_data)
{
  Handshake *handshake = user_data;

  handshake->timed_out = TRUE;
  g_cancellable_cancel (handshake->cancellable);
  g_clear_pointer (&handshake->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
handshake_cancelled_cb (GCancellable *cancellable,
                        gpointer      user_data)
{
  Handshake *handshake = user_data;

  g_cancellable_cancel (handshake->cancellable);
  return G_SOURCE_CONTINUE;
}

static char *
host_of (GSocketConnectable *server)
{
  if (G_IS_NETWORK_ADDRESS (server))
    return g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (server)));
  if (G_IS_INET_SOCKET_ADDRESS (server))
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (server)));
  return g_socket_connectable_to_string (server);
}

/**
 * ev_tls_client_handshake_async:
 * @self: a client configuration
 * @base: the connected plain stream
 * @server: the address connected to; its host name (or IP address) is
 *   what the certificate must name when checked against a CA
 * @timeout_ms: how long the handshake may take; 0 for no limit
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the handshake is over
 * @user_data: passed to @callback
 *
 * Runs a TLS handshake over @base with GIO's TLS backend, checking the
 * server as @self says. Errors are in the %EV_TLS_ERROR domain and say
 * what was wrong with the server's certificate (expired, another CA,
 * another name, another fingerprint).
 */
void
ev_tls_client_handshake_async (EvTlsClient         *self,
                               GIOStream           *base,
                               GSocketConnectable  *server,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) connection = NULL;
  Handshake *handshake;

  g_return_if_fail (self != NULL);
  g_return_if_fail (G_IS_IO_STREAM (base));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ev_tls_client_handshake_async);

  if (!ev_tls_check_backend (&error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->ca_file != NULL && self->database == NULL)
    {
      self->database = g_tls_file_database_new (self->ca_file, &error);
      if (self->database == NULL)
        {
          g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                                   _("Cannot read the CA file: %s"), error->message);
          return;
        }
    }
  if (self->cert_file != NULL && self->certificate == NULL)
    {
      self->certificate = g_tls_certificate_new_from_files (self->cert_file, self->key_file, &error);
      if (self->certificate == NULL)
        {
          g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_FILE,
                                   _("Cannot load the client certificate: %s"), error->message);
          return;
        }
    }

  connection = g_tls_client_connection_new (base, server, &error);
  if (connection == NULL)
    {
      g_task_return_new_error (task, EV_TLS_ERROR, EV_TLS_ERROR_UNSUPPORTED,
                               "%s", error->message);
      return;
    }

  handshake = g_new0 (Handshake, 1);
  handshake->client = ev_tls_client_ref (self);
  handshake->connection = G_TLS_CONNECTION (g_steal_pointer (&connection));
  handshake->host = host_of (server);
  handshake->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, handshake, handshake_free);

  g_tls_connection_set_database (handshake->connection, self->database);
  if (self->certificate != NULL)
    g_tls_connection_set_certificate (handshake->connection, self->certificate);
  /* The link ends with EOT, not with a TLS close_notify. */
  g_tls_connection_set_require_close_notify (handshake->connection, FALSE);
  g_signal_connect (handshake->connection, "accept-certificate",
                    G_CALLBACK (accept_certificate_cb), handshake);

  if (timeout_ms > 0)
    {
      handshake->timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (handshake->timer, handshake_timeout_cb, handshake, NULL);
      g_source_attach (handshake->timer, g_task_get_context (task));
    }
  if (cancellable != NULL)
    {
      handshake->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (handshake->cancel_source, G_SOURCE_FUNC (handshake_cancelled_cb),
                             handshake, NULL);
      g_source_attach (handshake->cancel_source, g_task_get_context (task));
    }

  g_tls_connection_handshake_async (handshake->connection, G_PRIORITY_DEFAULT,
                                    handshake->cancellable, handshake_done_cb,
                                    g_steal_pointer (&task));
}

/**
 * ev_tls_client_handshake_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the TLS stream over the base one
 */
GIOStream *
ev_tls_client_handshake_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, ev_tls_client_handshake_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------------
 * One connection over a non-blocking socket, through GnuTLS.
 * --------------------------------------------------------------------- */

static EvTlsConn *
conn_new (unsigned int                      flags,
          gnutls_certificate_credentials_t  credentials,
          int                               fd)
{
  EvTlsConn *self = g_new0 (EvTlsConn, 1);

  self->fd = fd;
  /* GNUTLS_NO_SIGNAL: a peer gone away must not raise SIGPIPE. */
  gnutls_init (&self->session, flags | GNUTLS_NO_SIGNAL);
  gnutls_set_default_priority (self->session);
  gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, credentials);
  gnutls_transport_set_int (self->session, fd);
  gnutls_session_set_ptr (self->session, self);

  return self;
}

/**
 * ev_tls_conn_new_server:
 * @server: the server's credentials
 * @fd: an accepted, non-blocking socket; still the caller's to close
 *
 * Returns: (transfer full): the server end of a TLS connection, to drive
 *   with ev_tls_conn_handshake()
 */
EvTlsConn *
ev_tls_conn_new_server (EvTlsServer *server,
                        int          fd)
{
  EvTlsConn *self;

  g_return_val_if_fail (server != NULL, NULL);

  self = conn_new (GNUTLS_SERVER, server->credentials, fd);
  self->server = ev_tls_server_ref (server);
  self->state = CONN_PEEK;
  if (server->requires_client_cert)
    {
      gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_cert (self->session, NULL, 0);
    }

  return self;
}

static int
verify_pinned_cb (gnutls_session_t session)
{
  EvTlsConn *self = gnutls_session_get_ptr (session);
  const gnutls_datum_t *peers;
  unsigned int n = 0;
  g_autofree char *seen = NULL;

  peers = gnutls_certificate_get_peers (session, &n);
  if (peers == NULL || n == 0)
    {
      self->rejection = g_strdup (_("the server sent no certificate"));
      return -1;
    }
  seen = fingerprint_of_der (peers[0].data, peers[0].size);
  if (g_strcmp0 (seen, self->client->fingerprint) == 0)
    return 0;
  self->rejection = g_strdup_printf (_("the server’s certificate has the fingerprint %s, not the pinned %s"),
                                     seen, self->client->fingerprint);
  return -1;
}

/**
 * ev_tls_conn_new_client:
 * @client: how to check the server
 * @fd: a connected, non-blocking socket; still the caller's to close
 * @host: the host name or IP address connected to
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the client end of a TLS
 *   connection, to drive with ev_tls_conn_handshake()
 */
EvTlsConn *
ev_tls_conn_new_client (EvTlsClient  *client,
                        int           fd,
                        const char   *host,
                        GError      **error)
{
  EvTlsConn *self;

  g_return_val_if_fail (client != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);

  self = conn_new (GNUTLS_CLIENT, client->credentials, fd);
  self->client = ev_tls_client_ref (client);
  self->state = CONN_HANDSHAKE;
  if (!g_hostname_is_ip_address (host))
    gnutls_server_name_set (self->session, GNUTLS_NAME_DNS, host, strlen (host));
  if (client->fingerprint != NULL)
    gnutls_session_set_verify_function (self->session, verify_pinned_cb);
  else
    gnutls_session_set_verify_cert (self->session, host, 0);

  return self;
}

/**
 * ev_tls_conn_free:
 * @self: (transfer full): a connection
 *
 * Frees the TLS state; the socket stays open.
 */
void
ev_tls_conn_free (EvTlsConn *self)
{
  if (self == NULL)
    return;
  gnutls_deinit (self->session);
  g_clear_pointer (&self->server, ev_tls_server_unref);
  g_clear_pointer (&self->client, ev_tls_client_unref);
  g_free (self->rejection);
  g_free (self);
}

static EvTlsIo
handshake_failed (EvTlsConn  *self,
                  int         ret,
                  GError    **error)
{
  self->state = CONN_FAILED;
  /* Best effort: the peer learns why, if its socket takes it now. */
  gnutls_alert_send_appropriate (self->session, ret);

  if (self->rejection != NULL)
    {
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE, _("TLS refused: %s"), self->rejection);
    }
  else if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
    {
      gnutls_datum_t out = { NULL, 0 };
      unsigned int status = gnutls_session_get_verify_cert_status (self->session);

      gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &out, 0);
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE,
                   _("TLS refused: %s"), out.data != NULL ? (const char *) out.data : gnutls_strerror (ret));
      gnutls_free (out.data);
    }
  else if ((ret == GNUTLS_E_NO_CERTIFICATE_FOUND || ret == GNUTLS_E_CERTIFICATE_REQUIRED) &&
           self->server != NULL)
    {
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE,
                           _("TLS refused: the client sent no certificate, and this server requires one"));
    }
  else
    {
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                   _("The TLS handshake failed: %s"), gnutls_strerror (ret));
    }
  return EV_TLS_IO_ERROR;
}

/* A TLS client opens with a handshake record; the plain protocol opens
 * with ENQ. Telling them apart before GnuTLS reads anything turns a
 * plain monitor into one clear error instead of a stalled handshake. */
static EvTlsIo
peek_first_byte (EvTlsConn  *self,
                 GError    **error)
{
  guint8 first = 0;
  gssize n = recv (self->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return EV_TLS_IO_AGAIN;
  if (n == 0)
    return EV_TLS_IO_EOF;
  if (n < 0)
    {
      int errsv = errno;

      self->state = CONN_FAILED;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s", g_strerror (errsv));
      return EV_TLS_IO_ERROR;
    }
  if (first != EV_TLS_HANDSHAKE_RECORD)
    {
      self->state = CONN_FAILED;
      /* A TLS alert: a plain client recognises it (ev-link-session.c). */
      gnutls_alert_send (self->session, GNUTLS_AL_FATAL, GNUTLS_A_PROTOCOL_VERSION);
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_NOT_TLS,
                           _("The peer does not speak TLS (a plain-TCP client on a TLS port)"));
      return EV_TLS_IO_ERROR;
    }

  self->state = CONN_HANDSHAKE;
  return EV_TLS_IO_OK;
}

/**
 * ev_tls_conn_handshake:
 * @self: a connection
 * @error: return location for a #GError
 *
 * Drives the handshake as far as the socket allows.
 *
 * Returns: %EV_TLS_IO_OK once established, %EV_TLS_IO_AGAIN to be called
 *   again when the socket is ready, else why it ended
 */
EvTlsIo
ev_tls_conn_handshake (EvTlsConn  *self,
                       GError    **error)
{
  int ret;

  switch (self->state)
    {
    case CONN_ESTABLISHED:
      return EV_TLS_IO_OK;
    case CONN_FAILED:
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE, _("The TLS handshake failed"));
      return EV_TLS_IO_ERROR;
    case CONN_PEEK:
      {
        EvTlsIo io = peek_first_byte (self, error);

        if (io != EV_TLS_IO_OK)
          return io;
      }
      break;
    case CONN_HANDSHAKE:
    default:
      break;
    }

  ret = gnutls_handshake (self->session);
  if (ret == GNUTLS_E_SUCCESS)
    {
      self->state = CONN_ESTABLISHED;
      return EV_TLS_IO_OK;
    }
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED ||
      (!gnutls_error_is_fatal (ret) && ret != GNUTLS_E_PREMATURE_TERMINATION))
    return EV_TLS_IO_AGAIN;
  if (ret == GNUTLS_E_PREMATURE_TERMINATION || ret == GNUTLS_E_PULL_ERROR)
    {
      self->state = CONN_FAILED;
      g_set_error_literal (error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                           self->server != NULL
                           ? _("The peer closed the connection during the TLS handshake (did it refuse this server’s certificate?)")
                           : _("The server closed the connection during the TLS handshake (does it require a client certificate?)"));
      return EV_TLS_IO_ERROR;
    }
  if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
    {
      self->state = CONN_FAILED;
      g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
                   _("The peer ended the TLS handshake: %s"),
                   gnutls_alert_get_name (gnutls_alert_get (self->session)));
      return EV_TLS_IO_ERROR;
    }
  return handshake_failed (self, ret, error);
}

/**
 * ev_tls_conn_is_established:
 * @self: a connection
 *
 * Returns: whether the handshake completed
 */
gboolean
ev_tls_conn_is_established (EvTlsConn *self)
{
  return self->state == CONN_ESTABLISHED;
}

static EvTlsIo
record_error (int      ret,
              GError **error)
{
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
    return EV_TLS_IO_AGAIN;
  if (ret == GNUTLS_E_PREMATURE_TERMINATION)
    return EV_TLS_IO_EOF;
  g_set_error (error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE,
               _("TLS failed: %s"), gnutls_strerror (ret));
  return EV_TLS_IO_ERROR;
}

/**
 * ev_tls_conn_recv:
 * @self: an established connection
 * @buffer: where to put what arrived
 * @size: its size; 16384 or more takes any record whole, so that nothing
 *   stays buffered inside GnuTLS out of the socket's sight
 * @received: (out): how many bytes arrived
 * @error: return location for a #GError
 *
 * Returns: %EV_TLS_IO_OK with @received set, or why nothing came
 */
EvTlsIo
ev_tls_conn_recv (EvTlsConn  *self,
                  void       *buffer,
                  gsize       size,
                  gsize      *received,
                  GError    **error)
{
  gssize ret = gnutls_record_recv (self->session, buffer, size);

  *received = 0;
  if (ret > 0)
    {
      *received = ret;
      return EV_TLS_IO_OK;
    }
  if (ret == 0)
    return EV_TLS_IO_EOF;
  return record_error (ret, error);
}

/**
 * ev_tls_conn_send:
 * @self: an established connection
 * @data: bytes to send; after %EV_TLS_IO_AGAIN, the same bytes again
 *   (more may follow them)
 * @len: how many
 * @sent: (out): how many of them left (encrypted)
 * @error: return location for a #GError
 *
 * Returns: %EV_TLS_IO_OK with @sent set, or why nothing left
 */
EvTlsIo
ev_tls_conn_send (EvTlsConn   *self,
                  const void  *data,
                  gsize        len,
                  gsize       *sent,
                  GError     **error)
{
  gssize ret;

  *sent = 0;
  if (self->send_pending > 0)
    ret = gnutls_record_send (self->session, NULL, 0);
  else
    {
      len = MIN (len, 16384);
      ret = gnutls_record_send (self->session, data, len);
    }

  if (ret >= 0)
    {
      *sent = self->send_pending > 0 ? self->send_pending : (gsize) ret;
      self->send_pending = 0;
      return EV_TLS_IO_OK;
    }
  if ((ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) && self->send_pending == 0)
    self->send_pending = len;
  return record_error (ret, error);
}

/**
 * ev_tls_conn_wants_write:
 * @self: a connection
 *
 * Returns: whether the last %EV_TLS_IO_AGAIN waits for the socket to
 *   take output (EPOLLOUT) rather than for input
 */
gboolean
ev_tls_conn_wants_write (EvTlsConn *self)
{
  return self->send_pending > 0 ||
         (self->state == CONN_HANDSHAKE && gnutls_record_get_direction (self->session) == 1);
}

/**
 * ev_tls_conn_flush_session:
 * @self: an established connection
 * @session: the link session it carries
 *
 * Sends @session's output as TLS records while the socket takes them. A
 * failed write fails the session; a closed session's last output is
 * dropped instead, as it had this one chance.
 */
void
ev_tls_conn_flush_session (EvTlsConn     *self,
                           EvLinkSession *session)
{
  while (ev_link_session_has_output (session))
    {
      g_autoptr(GError) error = NULL;
      gsize len = 0, sent = 0;
      const guint8 *data = ev_link_session_peek_output (session, &len);
      EvTlsIo io = ev_tls_conn_send (self, data, len, &sent, &error);

      if (io == EV_TLS_IO_OK)
        {
          ev_link_session_consume_output (session, sent);
          continue;
        }
      if (io == EV_TLS_IO_AGAIN)
        return;

      if (ev_link_session_get_state (session) == EV_LINK_SESSION_STATE_CLOSED)
        ev_link_session_consume_output (session, len);
      else
        {
          if (error == NULL)
            error = g_error_new_literal (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                                         _("The peer closed the connection"));
          ev_link_session_fail (session, error);
        }
      return;
    }
}

/**
 * ev_tls_conn_read_session:
 * @self: an established connection
 * @session: the link session it carries
 * @buffer: room for the records' contents
 * @size: its size
 * @max: stop after this many bytes (the rest waits for the next wakeup)
 *
 * Feeds @session what the TLS records bring, until the socket has no
 * more, the peer closes (the session hears of it), an error fails the
 * session, the session closes or @max bytes came. Below @max, nothing
 * stays buffered inside GnuTLS where epoll cannot see it.
 *
 * Returns: how many bytes were fed
 */
gsize
ev_tls_conn_read_session (EvTlsConn     *self,
                          EvLinkSession *session,
                          guint8        *buffer,
                          gsize          size,
                          gsize          max)
{
  gsize total = 0;

  while (total < max && ev_link_session_get_state (session) != EV_LINK_SESSION_STATE_CLOSED)
    {
      g_autoptr(GError) error = NULL;
      gsize n = 0;
      EvTlsIo io = ev_tls_conn_recv (self, buffer, size, &n, &error);

      if (io == EV_TLS_IO_OK)
        {
          ev_link_session_receive (session, buffer, n, g_get_monotonic_time ());
          total += n;
          continue;
        }
      if (io == EV_TLS_IO_EOF)
        ev_link_session_peer_closed (session);
      else if (io == EV_TLS_IO_ERROR)
        ev_link_session_fail (session, error);
      break;
    }
  return total;
}

/**
 * ev_tls_conn_get_peer_name:
 * @self: an established connection
 *
 * Returns: (transfer full) (nullable): the common name (CN) of the
 *   peer's certificate, %NULL if it sent none
 */
char *
ev_tls_conn_get_peer_name (EvTlsConn *self)
{
  const gnutls_datum_t *peers;
  gnutls_x509_crt_t crt = NULL;
  unsigned int n = 0;
  char name[256];
  size_t size = sizeof name;
  char *result = NULL;

  peers = gnutls_certificate_get_peers (self->session, &n);
  if (peers == NULL || n == 0 || gnutls_x509_crt_init (&crt) < 0)
    return NULL;
  if (gnutls_x509_crt_import (crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
      gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) >= 0)
    result = g_strndup (name, size);
  gnutls_x509_crt_deinit (crt);
  return result;
}

/**
 * ev_tls_conn_bye:
 * @self: a connection
 *
 * Sends close_notify if the socket takes it now; never waits.
 */
void
ev_tls_conn_bye (EvTlsConn *self)
{
  if (self->state == CONN_ESTABLISHED)
    gnutls_bye (self->session, GNUTLS_SHUT_WR);
}

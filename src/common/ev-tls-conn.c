/* ev-tls-conn.c: EvTlsConn, TLS records over a non-blocking socket with
 * GnuTLS, for Central's epoll loop and the station fleet. */

#include "config.h"

#include "ev-tls-private.h"

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
  seen = tls_fingerprint_of_der (peers[0].data, peers[0].size);
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

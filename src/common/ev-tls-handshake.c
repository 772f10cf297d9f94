/* ev-tls-handshake.c: a monitor's TLS handshake with Central over GIO
 * (glib-networking), checking Central's certificate against a CA or a
 * pinned fingerprint. */

#include "config.h"

#include "ev-tls-private.h"

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
      seen = der != NULL ? tls_fingerprint_of_der (der->data, der->len) : g_strdup ("?");
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

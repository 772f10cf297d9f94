/* ev-link-connect.c: opening a link as a client: connecting by address or
 * host name, with or without TLS, and the ENQ/ACK handshake. */

#include "config.h"

#include "ev-link-private.h"

static void
connect_data_detach (ConnectData *data)
{
  if (data->link != NULL)
    {
      g_clear_signal_handler (&data->established_id, data->link);
      g_clear_signal_handler (&data->closed_id, data->link);
    }
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
}

static void
connect_data_free (gpointer user_data)
{
  ConnectData *data = user_data;

  connect_data_detach (data);
  g_clear_object (&data->link);
  g_clear_pointer (&data->tls, ev_tls_client_unref);
  g_clear_object (&data->address);
  g_free (data);
}

/* Takes the task's last reference. */
static void
connect_complete (GTask  *task,
                  GError *error)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(EvLink) link = NULL;

  connect_data_detach (data);
  link = g_steal_pointer (&data->link);

  if (error != NULL)
    {
      if (link != NULL)
        ev_link_close (link);
      g_task_return_error (task, error);
    }
  else
    {
      g_task_return_pointer (task, g_steal_pointer (&link), g_object_unref);
    }

  g_object_unref (task);
}

static void
connect_established_cb (EvLink     *link,
                        GParamSpec *pspec,
                        GTask      *task)
{
  if (ev_link_is_established (link))
    connect_complete (task, NULL);
}

static void
connect_closed_cb (EvLink       *link,
                   const GError *reason,
                   GTask        *task)
{
  connect_complete (task, g_error_copy (reason));
}

static gboolean
connect_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  connect_complete (task, error);
  return G_SOURCE_REMOVE;
}

/* Starts the link's ENQ handshake over @stream. */
static void
start_client (GTask     *task,
              GIOStream *stream)
{
  ConnectData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  data->link = g_object_new (EV_TYPE_LINK,
                             "role", EV_LINK_ROLE_CLIENT,
                             "stream", stream,
                             "handshake-timeout", data->handshake_timeout_ms,
                             NULL);
  data->established_id = g_signal_connect (data->link, "notify::established",
                                           G_CALLBACK (connect_established_cb), task);
  data->closed_id = g_signal_connect (data->link, "closed",
                                      G_CALLBACK (connect_closed_cb), task);

  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (connect_cancelled_cb),
                             task, NULL);
      g_source_attach (data->cancel_source, g_task_get_context (task));
    }
}

static void
tls_handshake_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GIOStream) stream = NULL;
  GError *error = NULL;

  stream = ev_tls_client_handshake_finish (result, &error);
  if (stream == NULL)
    {
      connect_complete (task, error);
      return;
    }
  start_client (task, stream);
}

static void
socket_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) connection = NULL;
  GError *error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      connect_complete (task, error);
      return;
    }

  if (data->tls == NULL)
    {
      start_client (task, G_IO_STREAM (connection));
      return;
    }

  /* The TLS handshake has the ENQ handshake's time-out of its own. */
  ev_tls_client_handshake_async (data->tls, G_IO_STREAM (connection), data->address,
                                 data->handshake_timeout_ms, g_task_get_cancellable (task),
                                 tls_handshake_cb, task);
}

/**
 * ev_link_connect_async:
 * @address: the server's address
 * @handshake_timeout_ms: how long the server may take to answer ENQ; 0
 *   for the default of %EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the link is established or failed
 * @user_data: passed to @callback
 *
 * Connects to a server and performs the ENQ handshake. The link then runs
 * on the thread-default main context of the caller.
 */
void
ev_link_connect_async (GSocketConnectable  *address,
                       guint                handshake_timeout_ms,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  ev_link_connect_tls_async (address, handshake_timeout_ms, NULL, cancellable, callback, user_data);
}

/**
 * ev_link_connect_tls_async:
 * @address: the server's address
 * @handshake_timeout_ms: as for ev_link_connect_async(); the TLS
 *   handshake gets as long again
 * @tls: (nullable): speak TLS, checking the server as @tls says; %NULL
 *   for plain TCP
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the link is established or failed
 * @user_data: passed to @callback
 *
 * Like ev_link_connect_async(), over TLS (GIO's backend, glib-networking)
 * when @tls is set. A TLS failure is an %EV_TLS_ERROR. Finish with
 * ev_link_connect_finish().
 */
void
ev_link_connect_tls_async (GSocketConnectable  *address,
                           guint                handshake_timeout_ms,
                           EvTlsClient         *tls,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GSocketClient) client = NULL;
  GTask *task;
  ConnectData *data;

  g_return_if_fail (G_IS_SOCKET_CONNECTABLE (address));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ev_link_connect_async);

  data = g_new0 (ConnectData, 1);
  data->handshake_timeout_ms = handshake_timeout_ms != 0 ? handshake_timeout_ms
                                                         : EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  data->tls = tls != NULL ? ev_tls_client_ref (tls) : NULL;
  data->address = g_object_ref (address);
  g_task_set_task_data (task, data, connect_data_free);

  client = g_socket_client_new ();
  /* Links go straight to their peer, as they did before glib-networking
   * brought GIO a proxy resolver (libproxy) that would consult the
   * desktop's HTTP proxy settings for them. */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_async (client, address, cancellable, socket_connected_cb, task);
}

/**
 * ev_link_connect_to_host_async:
 * @host_and_port: `host:port`, or a host alone to use @default_port
 * @default_port: the port when @host_and_port names none
 * @handshake_timeout_ms: as for ev_link_connect_async()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the link is established or failed
 * @user_data: passed to @callback
 *
 * Like ev_link_connect_async(), with the address given as text such as
 * `"127.0.0.1:7100"`. Finish with ev_link_connect_finish().
 */
void
ev_link_connect_to_host_async (const char          *host_and_port,
                               guint16              default_port,
                               guint                handshake_timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  ev_link_connect_to_host_tls_async (host_and_port, default_port, handshake_timeout_ms, NULL,
                                     cancellable, callback, user_data);
}

/**
 * ev_link_connect_to_host_tls_async:
 * @host_and_port: `host:port`, or a host alone to use @default_port
 * @default_port: the port when @host_and_port names none
 * @handshake_timeout_ms: as for ev_link_connect_async()
 * @tls: (nullable): as for ev_link_connect_tls_async()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the link is established or failed
 * @user_data: passed to @callback
 *
 * ev_link_connect_tls_async() with the address given as text. The host
 * part is what a certificate checked against a CA must name.
 */
void
ev_link_connect_to_host_tls_async (const char          *host_and_port,
                                   guint16              default_port,
                                   guint                handshake_timeout_ms,
                                   EvTlsClient         *tls,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GSocketConnectable) address = NULL;
  GError *error = NULL;

  g_return_if_fail (host_and_port != NULL);

  address = g_network_address_parse (host_and_port, default_port, &error);
  if (address == NULL)
    {
      g_task_report_error (NULL, callback, user_data, ev_link_connect_async, error);
      return;
    }

  ev_link_connect_tls_async (address, handshake_timeout_ms, tls, cancellable, callback, user_data);
}

/**
 * ev_link_connect_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes ev_link_connect_async() or ev_link_connect_to_host_async().
 * The error is a #GIOErrorEnum when connecting failed, or an
 * #EvLinkError such as %EV_LINK_ERROR_REFUSED or
 * %EV_LINK_ERROR_HANDSHAKE_TIMEOUT when the handshake did.
 *
 * Returns: (transfer full) (nullable): an established client link
 */
EvLink *
ev_link_connect_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ev_link_connect_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

#include "config.h"

#include "ev-link-private.h"

static void after_input (EvLink *self);
static void start_write (EvLink *self);
static void start_read (EvLink *self);

G_DEFINE_FINAL_TYPE (EvLink, ev_link, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROLE,
  PROP_STREAM,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_ACK_TIMEOUT,
  PROP_RESPONSE_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_ESTABLISHED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_ACCEPT,
  SIGNAL_REQUEST,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
request_data_free (gpointer user_data)
{
  RequestData *data = user_data;

  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_source_unref (data->cancel_source);
    }
  g_free (data);
}

static void
remove_timer (EvLink *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  self->timer_deadline = -1;
}

static gboolean
timer_cb (gpointer user_data)
{
  EvLink *self = g_object_ref (EV_LINK (user_data));

  /* The source is removed by returning; forget it first so after_input()
   * schedules the next deadline, including this one if GLib's cached
   * loop time made us fire a little early. */
  g_clear_pointer (&self->timer, g_source_unref);
  self->timer_deadline = -1;

  ev_link_session_tick (self->session, g_get_monotonic_time ());
  after_input (self);

  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
update_timer (EvLink *self)
{
  gint64 deadline = -1;
  gint64 now;
  gint64 delay_ms;

  if (!self->stream_closing)
    deadline = ev_link_session_get_deadline (self->session);

  if (deadline == self->timer_deadline && (deadline < 0 || self->timer != NULL))
    return;

  remove_timer (self);
  if (deadline < 0)
    return;

  now = g_get_monotonic_time ();
  delay_ms = deadline > now ? (deadline - now + 999) / 1000 : 0;

  self->timer = g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_static_name (self->timer, "[evcharging] link timer");
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_attach (self->timer, self->context);
  self->timer_deadline = deadline;
}

static void
stream_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  /* Errors closing a dead connection tell nobody anything. */
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* Once the session is over and its last bytes (the EOT) are out, the
 * connection is closed. */
static void
maybe_close_stream (EvLink *self)
{
  if (self->stream_closing ||
      ev_link_session_get_state (self->session) != EV_LINK_SESSION_STATE_CLOSED ||
      self->writing != NULL ||
      (ev_link_session_has_output (self->session) && !self->write_failed))
    return;

  self->stream_closing = TRUE;
  remove_timer (self);
  /* Stops the read still pending; its callback touches nothing. */
  g_cancellable_cancel (self->cancellable);
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL,
                           stream_closed_cb, NULL);
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  EvLink *self;
  gssize written;

  written = g_output_stream_write_bytes_finish (G_OUTPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (EV_LINK (user_data));

  if (error != NULL)
    {
      g_clear_pointer (&self->writing, g_bytes_unref);
      self->write_failed = TRUE;
      ev_link_session_fail (self->session, error);
    }
  else if ((gsize) written < g_bytes_get_size (self->writing))
    {
      GBytes *rest = g_bytes_new_from_bytes (self->writing, written,
                                             g_bytes_get_size (self->writing) - written);

      g_bytes_unref (self->writing);
      self->writing = rest;
      g_output_stream_write_bytes_async (g_io_stream_get_output_stream (self->stream),
                                         self->writing, G_PRIORITY_DEFAULT,
                                         self->cancellable, write_cb, self);
    }
  else
    {
      g_clear_pointer (&self->writing, g_bytes_unref);
    }

  after_input (self);
  g_object_unref (self);
}

static void
start_write (EvLink *self)
{
  if (self->writing != NULL || self->write_failed || self->stream_closing)
    return;

  self->writing = ev_link_session_take_output (self->session);
  if (self->writing == NULL)
    return;

  g_output_stream_write_bytes_async (g_io_stream_get_output_stream (self->stream),
                                     self->writing, G_PRIORITY_DEFAULT,
                                     self->cancellable, write_cb, self);
}

/* Called after anything was fed to the session: write what it produced,
 * follow its timers, and close the connection when it is over. */
static void
after_input (EvLink *self)
{
  start_write (self);
  update_timer (self);
  maybe_close_stream (self);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  EvLink *self;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (EV_LINK (user_data));

  if (error != NULL)
    {
      ev_link_session_fail (self->session, error);
    }
  else if (g_bytes_get_size (bytes) == 0)
    {
      ev_link_session_peer_closed (self->session);
    }
  else
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      ev_link_session_receive (self->session, data, len, g_get_monotonic_time ());
      if (ev_link_session_get_state (self->session) != EV_LINK_SESSION_STATE_CLOSED)
        start_read (self);
    }

  after_input (self);
  g_object_unref (self);
}

static void
start_read (EvLink *self)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (self->stream),
                                   READ_CHUNK, G_PRIORITY_DEFAULT,
                                   self->cancellable, read_cb, self);
}

static gboolean
session_accept_cb (EvLinkSession *session,
                   gpointer       user_data)
{
  EvLink *self = user_data;
  gboolean accepted = TRUE;

  if (g_signal_has_handler_pending (self, signals[SIGNAL_ACCEPT], 0, TRUE))
    g_signal_emit (self, signals[SIGNAL_ACCEPT], 0, &accepted);

  return accepted;
}

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  EvLink *self = user_data;

  self->was_established = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ESTABLISHED]);
}

static void
session_request_received_cb (EvLinkSession *session,
                             const char    *text,
                             gsize          len,
                             gpointer       user_data)
{
  EvLink *self = user_data;

  g_signal_emit (self, signals[SIGNAL_REQUEST], 0, text);
}

static void
session_response_received_cb (EvLinkSession *session,
                              guint          request_id,
                              const char    *text,
                              gsize          len,
                              gpointer       user_data)
{
  EvLink *self = user_data;
  GTask *task = NULL;

  /* Absent if the request was cancelled after it left: its response is
   * dropped, and the next request is matched to the next response. */
  if (!g_hash_table_steal_extended (self->requests, GUINT_TO_POINTER (request_id),
                                    NULL, (gpointer *) &task))
    return;

  g_task_return_pointer (task, g_strndup (text, len), g_free);
  g_object_unref (task);
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  EvLink *self = user_data;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_clear_error (&self->close_reason);
  self->close_reason = g_error_copy (reason);

  g_debug ("Link %p closed: %s", self, reason->message);

  /* Tasks may complete synchronously and call back into us, so the table
   * is emptied before any of them returns. */
  g_hash_table_iter_init (&iter, self->requests);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_ptr_array_add (tasks, value);
      g_hash_table_iter_steal (&iter);
    }

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (reason));

  if (self->was_established)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ESTABLISHED]);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
}

static const EvLinkSessionCallbacks session_callbacks = {
  .accept = session_accept_cb,
  .established = session_established_cb,
  .request_received = session_request_received_cb,
  .response_received = session_response_received_cb,
  .closed = session_closed_cb,
};

static void
ev_link_constructed (GObject *object)
{
  EvLink *self = EV_LINK (object);

  G_OBJECT_CLASS (ev_link_parent_class)->constructed (object);

  g_return_if_fail (G_IS_IO_STREAM (self->stream));

  self->context = g_main_context_ref_thread_default ();
  self->session = ev_link_session_new (self->role, &session_callbacks, self);
  for (guint i = 0; i < G_N_ELEMENTS (self->timeouts_ms); i++)
    ev_link_session_set_timeout (self->session, i, self->timeouts_ms[i]);

  ev_link_session_start (self->session, g_get_monotonic_time ());
  start_read (self);
  after_input (self);
}

static void
ev_link_dispose (GObject *object)
{
  EvLink *self = EV_LINK (object);

  g_cancellable_cancel (self->cancellable);
  remove_timer (self);
  g_clear_pointer (&self->writing, g_bytes_unref);
  /* Pending operations hold the stream; the socket closes when they end. */
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (ev_link_parent_class)->dispose (object);
}

static void
ev_link_finalize (GObject *object)
{
  EvLink *self = EV_LINK (object);

  g_clear_pointer (&self->session, ev_link_session_free);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->close_reason);

  G_OBJECT_CLASS (ev_link_parent_class)->finalize (object);
}

static EvLinkTimeout
timeout_for_prop (guint prop_id)
{
  switch (prop_id)
    {
    case PROP_HANDSHAKE_TIMEOUT:
      return EV_LINK_TIMEOUT_HANDSHAKE;
    case PROP_ACK_TIMEOUT:
      return EV_LINK_TIMEOUT_ACK;
    case PROP_RESPONSE_TIMEOUT:
      return EV_LINK_TIMEOUT_RESPONSE;
    case PROP_IDLE_TIMEOUT:
      return EV_LINK_TIMEOUT_IDLE;
    default:
      g_assert_not_reached ();
    }
}

static guint
prop_for_timeout (EvLinkTimeout which)
{
  switch (which)
    {
    case EV_LINK_TIMEOUT_HANDSHAKE:
      return PROP_HANDSHAKE_TIMEOUT;
    case EV_LINK_TIMEOUT_ACK:
      return PROP_ACK_TIMEOUT;
    case EV_LINK_TIMEOUT_RESPONSE:
      return PROP_RESPONSE_TIMEOUT;
    case EV_LINK_TIMEOUT_IDLE:
      return PROP_IDLE_TIMEOUT;
    default:
      g_assert_not_reached ();
    }
}

static void
ev_link_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  EvLink *self = EV_LINK (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
    case PROP_ACK_TIMEOUT:
    case PROP_RESPONSE_TIMEOUT:
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->timeouts_ms[timeout_for_prop (prop_id)]);
      break;
    case PROP_ESTABLISHED:
      g_value_set_boolean (value, ev_link_is_established (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_link_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  EvLink *self = EV_LINK (object);

  switch (prop_id)
    {
    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;
    case PROP_STREAM:
      self->stream = g_value_dup_object (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
    case PROP_ACK_TIMEOUT:
    case PROP_RESPONSE_TIMEOUT:
    case PROP_IDLE_TIMEOUT:
      ev_link_set_timeout (self, timeout_for_prop (prop_id), g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
timeout_pspec (const char *name,
               guint       default_ms)
{
  return g_param_spec_uint (name, NULL, NULL,
                            0, G_MAXUINT, default_ms,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
ev_link_class_init (EvLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = ev_link_constructed;
  object_class->dispose = ev_link_dispose;
  object_class->finalize = ev_link_finalize;
  object_class->get_property = ev_link_get_property;
  object_class->set_property = ev_link_set_property;

  /**
   * EvLink:role:
   *
   * Which end of the link this is.
   */
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL,
                       EV_TYPE_LINK_ROLE, EV_LINK_ROLE_CLIENT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * EvLink:stream:
   *
   * The connection the link runs over.
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL,
                         G_TYPE_IO_STREAM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * EvLink:handshake-timeout:
   *
   * Milliseconds allowed for the ENQ handshake; 0 for no limit.
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    timeout_pspec ("handshake-timeout", EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS);

  /**
   * EvLink:ack-timeout:
   *
   * Milliseconds allowed between sending a frame and its ACK or NACK; 0
   * for no limit.
   */
  properties[PROP_ACK_TIMEOUT] =
    timeout_pspec ("ack-timeout", EV_LINK_DEFAULT_ACK_TIMEOUT_MS);

  /**
   * EvLink:response-timeout:
   *
   * Client: milliseconds allowed between a request's ACK and its response;
   * 0 for no limit.
   */
  properties[PROP_RESPONSE_TIMEOUT] =
    timeout_pspec ("response-timeout", EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS);

  /**
   * EvLink:idle-timeout:
   *
   * Server: milliseconds a client may stay silent while no request is
   * open; 0 for no limit.
   */
  properties[PROP_IDLE_TIMEOUT] =
    timeout_pspec ("idle-timeout", EV_LINK_DEFAULT_IDLE_TIMEOUT_MS);

  /**
   * EvLink:established:
   *
   * Whether the ENQ handshake succeeded and the link is not closed.
   */
  properties[PROP_ESTABLISHED] =
    g_param_spec_boolean ("established", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EvLink::accept:
   * @self: a server link
   *
   * Emitted when the client's ENQ arrives. The first handler decides:
   * %TRUE answers ACK, %FALSE answers NACK and closes the link with
   * %EV_LINK_ERROR_REFUSED. With no handler, every client is accepted.
   *
   * Returns: whether to accept the client
   */
  signals[SIGNAL_ACCEPT] =
    g_signal_new ("accept",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  g_signal_accumulator_first_wins, NULL,
                  NULL,
                  G_TYPE_BOOLEAN, 0);

  /**
   * EvLink::request:
   * @self: a server link
   * @text: the request, as received (normally one JSON object)
   *
   * Emitted for every request; answer it with ev_link_respond(), now or
   * later. The next request arrives only after the response.
   */
  signals[SIGNAL_REQUEST] =
    g_signal_new ("request",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * EvLink::closed:
   * @self: a link
   * @reason: why: an #EvLinkError, or the #GIOErrorEnum that broke the
   *   connection
   *
   * Emitted once, when the session ends for whatever reason.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
ev_link_init (EvLink *self)
{
  self->cancellable = g_cancellable_new ();
  self->requests = g_hash_table_new (NULL, NULL);
  self->timer_deadline = -1;
  self->timeouts_ms[EV_LINK_TIMEOUT_HANDSHAKE] = EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_ACK] = EV_LINK_DEFAULT_ACK_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_RESPONSE] = EV_LINK_DEFAULT_RESPONSE_TIMEOUT_MS;
  self->timeouts_ms[EV_LINK_TIMEOUT_IDLE] = EV_LINK_DEFAULT_IDLE_TIMEOUT_MS;
}

/**
 * ev_link_new:
 * @role: which end of the link this is
 * @stream: a connected stream
 *
 * Starts a link over @stream at once, on the thread-default main context:
 * a client sends ENQ (watch #EvLink:established and #EvLink::closed), a
 * server waits for it. Most callers want ev_link_connect_async() or
 * ev_link_new_server() instead.
 *
 * Returns: (transfer full): a new link
 */
EvLink *
ev_link_new (EvLinkRole  role,
             GIOStream  *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  return g_object_new (EV_TYPE_LINK,
                       "role", role,
                       "stream", stream,
                       NULL);
}

/**
 * ev_link_new_server:
 * @connection: a connection accepted by a #GSocketListener
 *
 * Starts the server end of a link over @connection. Connect to
 * #EvLink::request (and #EvLink::accept, #EvLink::closed) before
 * returning to the main loop.
 *
 * Returns: (transfer full): a new link
 */
EvLink *
ev_link_new_server (GSocketConnection *connection)
{
  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);

  return ev_link_new (EV_LINK_ROLE_SERVER, G_IO_STREAM (connection));
}

/**
 * ev_link_get_role:
 * @self: a link
 *
 * Returns: which end of the link @self is
 */
EvLinkRole
ev_link_get_role (EvLink *self)
{
  g_return_val_if_fail (EV_IS_LINK (self), EV_LINK_ROLE_CLIENT);

  return self->role;
}

/**
 * ev_link_get_stream:
 * @self: a link
 *
 * Returns: (transfer none) (nullable): the connection, %NULL once disposed
 */
GIOStream *
ev_link_get_stream (EvLink *self)
{
  g_return_val_if_fail (EV_IS_LINK (self), NULL);

  return self->stream;
}

/**
 * ev_link_is_established:
 * @self: a link
 *
 * Returns: %TRUE once the handshake succeeded, until the link closes
 */
gboolean
ev_link_is_established (EvLink *self)
{
  g_return_val_if_fail (EV_IS_LINK (self), FALSE);

  return self->session != NULL &&
         ev_link_session_get_state (self->session) == EV_LINK_SESSION_STATE_ESTABLISHED;
}

/**
 * ev_link_is_closed:
 * @self: a link
 *
 * Returns: %TRUE once #EvLink::closed was emitted
 */
gboolean
ev_link_is_closed (EvLink *self)
{
  g_return_val_if_fail (EV_IS_LINK (self), TRUE);

  return self->close_reason != NULL;
}

/**
 * ev_link_get_close_reason:
 * @self: a link
 *
 * Returns: (transfer none) (nullable): why the link closed, or %NULL while
 *   it is open
 */
const GError *
ev_link_get_close_reason (EvLink *self)
{
  g_return_val_if_fail (EV_IS_LINK (self), NULL);

  return self->close_reason;
}

/**
 * ev_link_get_timeout:
 * @self: a link
 * @which: a timeout
 *
 * Returns: the timeout in milliseconds, 0 for none
 */
guint
ev_link_get_timeout (EvLink        *self,
                     EvLinkTimeout  which)
{
  g_return_val_if_fail (EV_IS_LINK (self), 0);
  g_return_val_if_fail ((unsigned) which < G_N_ELEMENTS (self->timeouts_ms), 0);

  return self->timeouts_ms[which];
}

/**
 * ev_link_set_timeout:
 * @self: a link
 * @which: the timeout to set
 * @timeout_ms: milliseconds, 0 for none
 *
 * Changes a timeout, also one whose timer is running (it is measured
 * from when the timer started).
 */
void
ev_link_set_timeout (EvLink        *self,
                     EvLinkTimeout  which,
                     guint          timeout_ms)
{
  g_return_if_fail (EV_IS_LINK (self));
  g_return_if_fail ((unsigned) which < G_N_ELEMENTS (self->timeouts_ms));

  if (self->timeouts_ms[which] == timeout_ms)
    return;

  self->timeouts_ms[which] = timeout_ms;

  if (self->session != NULL)
    {
      ev_link_session_set_timeout (self->session, which, timeout_ms);
      update_timer (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_for_timeout (which)]);
}

/* A request withdrawn before it left is dropped from the session's queue;
 * one already on the wire keeps its place, and its response is dropped. */
static gboolean
request_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  EvLink *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  GTask *owned = NULL;

  if (g_hash_table_steal_extended (self->requests, GUINT_TO_POINTER (data->id),
                                   NULL, (gpointer *) &owned))
    {
      ev_link_session_cancel_request (self->session, data->id);
      g_task_return_error_if_cancelled (owned);
      g_object_unref (owned);
    }

  return G_SOURCE_REMOVE;
}

/**
 * ev_link_request_async:
 * @self: a client link
 * @json: the request, one JSON object of at most %EV_FRAME_MAX_DATA bytes
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the response
 * @user_data: passed to @callback
 *
 * Sends a request and waits for its response. Requests made while another
 * is outstanding wait their turn and are sent in order. Cancelling a
 * request that has not left withdraws it; one already sent still gets its
 * response, which is then dropped.
 */
void
ev_link_request_async (EvLink              *self,
                       const char          *json,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  RequestData *data;
  guint id;

  g_return_if_fail (EV_IS_LINK (self));
  g_return_if_fail (self->role == EV_LINK_ROLE_CLIENT);
  g_return_if_fail (json != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ev_link_request_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->close_reason != NULL)
    {
      g_task_return_error (task, g_error_copy (self->close_reason));
      return;
    }

  id = ev_link_session_request (self->session, json, g_get_monotonic_time (), &error);
  if (id == 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (RequestData, 1);
  data->id = id;
  g_task_set_task_data (task, data, request_data_free);

  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (request_cancelled_cb),
                             task, NULL);
      g_source_attach (data->cancel_source, self->context);
    }

  g_hash_table_insert (self->requests, GUINT_TO_POINTER (id), g_steal_pointer (&task));
  after_input (self);
}

/**
 * ev_link_request_finish:
 * @self: a client link
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes ev_link_request_async(). When the link closes first, the error
 * is the reason it closed.
 *
 * Returns: (transfer full) (nullable): the response text
 */
char *
ev_link_request_finish (EvLink        *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (EV_IS_LINK (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, ev_link_request_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * ev_link_respond:
 * @self: a server link
 * @json: the response, one JSON object of at most %EV_FRAME_MAX_DATA bytes
 * @error: return location for a #GError
 *
 * Answers the request last emitted by #EvLink::request.
 *
 * Returns: %TRUE if the response was queued for sending; %FALSE with
 *   @error set if the link is closed, no request is open, or @json cannot
 *   be framed
 */
gboolean
ev_link_respond (EvLink      *self,
                 const char  *json,
                 GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (EV_IS_LINK (self), FALSE);
  g_return_val_if_fail (self->role == EV_LINK_ROLE_SERVER, FALSE);
  g_return_val_if_fail (json != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->close_reason != NULL)
    {
      g_propagate_error (error, g_error_copy (self->close_reason));
      return FALSE;
    }

  ok = ev_link_session_respond (self->session, json, g_get_monotonic_time (), error);
  if (ok)
    after_input (self);

  return ok;
}

/**
 * ev_link_close:
 * @self: a link
 *
 * Ends the session: sends EOT, closes the connection once it is written,
 * and emits #EvLink::closed with %EV_LINK_ERROR_CLOSED. Outstanding
 * requests fail with that error. Does nothing if the link is closed.
 */
void
ev_link_close (EvLink *self)
{
  g_return_if_fail (EV_IS_LINK (self));

  if (self->session == NULL || self->close_reason != NULL)
    return;

  g_object_ref (self);
  ev_link_session_close (self->session);
  after_input (self);
  g_object_unref (self);
}

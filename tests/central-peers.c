#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "central-peers.h"
#include "ev-bus.h"
#include "ev-signing.h"
#include "test-utils.h"

/* The last key Central issued each CP id in an `auth` or `register`
 * answer, as a monitor hands it to its engine: cp_id → base64. */
static GHashTable *issued_keys;

const char *
peer_cp_key (const char *cp_id)
{
  return issued_keys != NULL ? g_hash_table_lookup (issued_keys, cp_id) : NULL;
}

static void
remember_key (const char           *request_json,
              const EvLinkResponse *response)
{
  g_autoptr(EvLinkRequest) request = ev_link_request_from_json (request_json, -1, NULL);

  if (request == NULL || request->cp_id == NULL || response->cp_key == NULL)
    return;
  if (issued_keys == NULL)
    issued_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (issued_keys, g_strdup (request->cp_id), g_strdup (response->cp_key));
}

/* Control bytes of the framed links (PROTOCOL.md 2), spelled out here so
 * the raw link depends on the contract rather than on ev-frame. */
#define STX  0x02
#define ETX  0x03
#define ENQ  0x05
#define ACK  0x06

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* ------------------------------------------------------------------ */
/* Broker                                                              */

struct _PeerBroker
{
  GSubprocess *process;
  GDataInputStream *events;
  char *runtime_dir;
  char *bootstrap;
  gboolean exited;
  gboolean successful;
};

static void
broker_exited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PeerBroker *broker = user_data;

  broker->successful = g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL) &&
                       g_subprocess_get_successful (G_SUBPROCESS (source));
  broker->exited = TRUE;
}

typedef struct
{
  char *line;
  gboolean done;
} LineRead;

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, NULL);
  read->done = TRUE;
}

/* Reads the broker's next event, which must be @name. */
static JsonObject *
broker_read_event (PeerBroker *broker,
                   const char *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *what = g_strdup_printf ("ev-broker's “%s” event", name);
  LineRead read = { 0 };
  JsonObject *event;

  g_data_input_stream_read_line_async (broker->events, G_PRIORITY_DEFAULT, NULL, line_read_cb, &read);
  ev_test_wait_flag (NULL, &read.done, PEER_WAIT_MS, what);
  if (read.line == NULL)
    g_error ("ev-broker ended its output without a “%s” event", name);

  json_parser_load_from_data (parser, read.line, -1, &error);
  g_assert_no_error (error);
  g_free (read.line);
  event = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (event, "event"), ==, name);
  return json_object_ref (event);
}

/**
 * peer_broker_start:
 *
 * Starts `$EV_BROKER --headless` in a private runtime directory and waits
 * for its `ready` event.
 *
 * Returns: (transfer full): the broker; end it with peer_broker_stop()
 */
PeerBroker *
peer_broker_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ready = NULL;
  const char *path = g_getenv ("EV_BROKER");
  PeerBroker *broker;

  g_assert_nonnull (path);
  broker = g_new0 (PeerBroker, 1);
  broker->runtime_dir = ev_test_make_tmpdir ();

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", broker->runtime_dir, TRUE);
  broker->process = g_subprocess_launcher_spawn (launcher, &error, path, "--headless", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (broker->process, NULL, broker_exited_cb, broker);

  /* The first line on stdout is the ready event. */
  broker->events = g_data_input_stream_new (g_subprocess_get_stdout_pipe (broker->process));
  ready = broker_read_event (broker, "ready");
  broker->bootstrap = g_strdup (json_object_get_string_member (ready, "bootstrap"));
  g_assert_nonnull (broker->bootstrap);

  return broker;
}

const char *
peer_broker_get_bootstrap (PeerBroker *broker)
{
  return broker->bootstrap;
}

/**
 * peer_broker_set_produce_errors:
 * @count: how many produce requests fail, or 0 for none
 *
 * Sends the broker `produce-errors @count` (docs/cli.md) and waits for its
 * answer: the next @count produce requests of any client fail with an
 * error producers retry, so what they send meanwhile waits, undelivered.
 */
void
peer_broker_set_produce_errors (PeerBroker *broker,
                                guint       count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *command = g_strdup_printf ("produce-errors %u\n", count);

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (broker->process), command, strlen (command),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  event = broker_read_event (broker, "produce-errors");
  g_assert_cmpint (json_object_get_int_member (event, "count"), ==, count);
}

/**
 * peer_broker_stop:
 *
 * Asks the broker to quit (closing its stdin), waits for it, checks that
 * it exited successfully, and removes its runtime directory.
 */
void
peer_broker_stop (PeerBroker *broker)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (broker->process), NULL, NULL);
  ev_test_wait_flag (NULL, &broker->exited, PEER_WAIT_MS, "ev-broker to exit");
  g_assert_true (broker->successful);
  g_clear_object (&broker->events);
  /* GIO may still hold the process for a moment after reaping it. */
  g_clear_object (&broker->process);
  ev_test_rm_rf (broker->runtime_dir);
  g_free (broker->runtime_dir);
  g_free (broker->bootstrap);
  g_free (broker);
}

/* ------------------------------------------------------------------ */
/* Monitor over EvLink                                                 */

struct _PeerMonitor
{
  EvLink *link;
  guint heartbeat_id;
  char *heartbeat_json;
  gboolean heartbeat_pending;
};

typedef struct
{
  GObject *object;
  gboolean done;
} AsyncWait;

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AsyncWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  wait->object = G_OBJECT (ev_link_connect_finish (result, &error));
  g_assert_no_error (error);
  wait->done = TRUE;
}

/**
 * peer_monitor_connect:
 * @port: Central's monitor port on 127.0.0.1
 *
 * Returns: (transfer full): a monitor whose link is established
 */
PeerMonitor *
peer_monitor_connect (guint port)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  AsyncWait wait = { 0 };
  PeerMonitor *monitor;

  ev_link_connect_to_host_async (address, 0, 0, NULL, connected_cb, &wait);
  ev_test_wait_flag (NULL, &wait.done, PEER_WAIT_MS, "the monitor link");

  monitor = g_new0 (PeerMonitor, 1);
  monitor->link = EV_LINK (wait.object);
  return monitor;
}

typedef struct
{
  char *text;
  gboolean done;
} RequestWait;

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  RequestWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  wait->text = ev_link_request_finish (EV_LINK (source), result, &error);
  g_assert_no_error (error);
  wait->done = TRUE;
}

/**
 * peer_monitor_request:
 * @json: any request text, valid or not
 *
 * Sends @json and waits for Central's response, which must parse.
 *
 * Returns: (transfer full): the response
 */
EvLinkResponse *
peer_monitor_request (PeerMonitor *monitor,
                      const char  *json)
{
  g_autoptr(GError) error = NULL;
  RequestWait wait = { 0 };
  EvLinkResponse *response;

  ev_link_request_async (monitor->link, json, NULL, request_cb, &wait);
  ev_test_wait_flag (NULL, &wait.done, PEER_WAIT_MS, json);

  response = ev_link_response_from_json (wait.text, -1, &error);
  if (response == NULL)
    g_error ("Central answered %s with %s: %s", json, wait.text, error->message);
  g_free (wait.text);
  remember_key (json, response);

  return response;
}

static EvLinkResponse *
request_typed (PeerMonitor   *monitor,
               EvLinkRequest *request)
{
  g_autofree char *json = ev_link_request_to_json (request, NULL);

  ev_link_request_free (request);
  return peer_monitor_request (monitor, json);
}

EvLinkResponse *
peer_monitor_auth (PeerMonitor *monitor,
                   const char  *cp_id,
                   const char  *token)
{
  return request_typed (monitor, ev_link_request_new_auth (cp_id, token));
}

EvLinkResponse *
peer_monitor_register (PeerMonitor *monitor,
                       const char  *cp_id,
                       const char  *location)
{
  return request_typed (monitor, ev_link_request_new_register (cp_id, location));
}

EvLinkResponse *
peer_monitor_status (PeerMonitor    *monitor,
                     EvCpState       state,
                     EvEngineHealth  engine)
{
  return request_typed (monitor, ev_link_request_new_status (state, engine));
}

static void
heartbeat_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PeerMonitor *monitor = user_data;
  g_autofree char *text = NULL;

  /* The link may close under a heartbeat: that is the test's business. */
  text = ev_link_request_finish (EV_LINK (source), result, NULL);
  monitor->heartbeat_pending = FALSE;
}

static gboolean
heartbeat_cb (gpointer user_data)
{
  PeerMonitor *monitor = user_data;

  if (!monitor->heartbeat_pending && !ev_link_is_closed (monitor->link))
    {
      monitor->heartbeat_pending = TRUE;
      ev_link_request_async (monitor->link, monitor->heartbeat_json, NULL, heartbeat_done_cb, monitor);
    }

  return G_SOURCE_CONTINUE;
}

/**
 * peer_monitor_heartbeat:
 *
 * From now on sends `status` with @state and @engine every @interval_ms,
 * as a real monitor does every second. Replaces an earlier heartbeat.
 */
void
peer_monitor_heartbeat (PeerMonitor    *monitor,
                        EvCpState       state,
                        EvEngineHealth  engine,
                        guint           interval_ms)
{
  g_autoptr(EvLinkRequest) request = ev_link_request_new_status (state, engine);

  peer_monitor_stop_heartbeat (monitor);
  monitor->heartbeat_json = ev_link_request_to_json (request, NULL);
  monitor->heartbeat_id = g_timeout_add (interval_ms, heartbeat_cb, monitor);
}

static gboolean
heartbeat_idle (gpointer user_data)
{
  return !((PeerMonitor *) user_data)->heartbeat_pending;
}

/* Stops the heartbeat; returns once no heartbeat is on the wire, so the
 * caller's next request is the only one. */
void
peer_monitor_stop_heartbeat (PeerMonitor *monitor)
{
  g_clear_handle_id (&monitor->heartbeat_id, g_source_remove);
  g_clear_pointer (&monitor->heartbeat_json, g_free);
  ev_test_wait_until (NULL, heartbeat_idle, monitor, PEER_WAIT_MS, "the last heartbeat");
}

gboolean
peer_monitor_is_closed (PeerMonitor *monitor)
{
  return ev_link_is_closed (monitor->link);
}

static gboolean
monitor_closed (gpointer user_data)
{
  return peer_monitor_is_closed (user_data);
}

/* Waits for Central to close the link. */
void
peer_monitor_wait_closed (PeerMonitor *monitor)
{
  ev_test_wait_until (NULL, monitor_closed, monitor, PEER_WAIT_MS, "the monitor link to close");
}

/* Ends the session (EOT and close), as a monitor that quits. */
void
peer_monitor_close (PeerMonitor *monitor)
{
  g_clear_handle_id (&monitor->heartbeat_id, g_source_remove);
  ev_link_close (monitor->link);
}

void
peer_monitor_free (PeerMonitor *monitor)
{
  peer_monitor_close (monitor);
  ev_test_wait_until (NULL, heartbeat_idle, monitor, PEER_WAIT_MS, "the last heartbeat");
  g_clear_pointer (&monitor->heartbeat_json, g_free);
  g_assert_finalize_object (g_steal_pointer (&monitor->link));
  g_free (monitor);
}

/* ------------------------------------------------------------------ */
/* Raw monitor link                                                    */

struct _PeerRawLink
{
  GSocketConnection *connection;
  GCancellable *cancellable;
  GByteArray *input;
  gsize consumed;
  gboolean closed;
  gboolean reading;
};

static void read_more (PeerRawLink *raw);

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  PeerRawLink *raw = user_data;
  g_autoptr(GBytes) bytes = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  raw->reading = FALSE;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      raw->closed = TRUE;
      return;
    }

  g_byte_array_append (raw->input, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_more (raw);
}

static void
read_more (PeerRawLink *raw)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (raw->connection));

  raw->reading = TRUE;
  g_input_stream_read_bytes_async (in, 4096, G_PRIORITY_DEFAULT, raw->cancellable, raw_read_cb, raw);
}

static void
socket_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  AsyncWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  wait->object = G_OBJECT (g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                                   result, &error));
  g_assert_no_error (error);
  wait->done = TRUE;
}

/**
 * peer_raw_link_connect:
 *
 * Opens a socket to Central, sends ENQ and checks the answer is ACK.
 *
 * Returns: (transfer full): the raw link
 */
PeerRawLink *
peer_raw_link_connect (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  const guint8 enq = ENQ;
  AsyncWait wait = { 0 };
  PeerRawLink *raw;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_to_host_async (client, address, 0, NULL, socket_connected_cb, &wait);
  ev_test_wait_flag (NULL, &wait.done, PEER_WAIT_MS, "the raw link");

  raw = g_new0 (PeerRawLink, 1);
  raw->connection = G_SOCKET_CONNECTION (wait.object);
  raw->cancellable = g_cancellable_new ();
  raw->input = g_byte_array_new ();
  read_more (raw);

  peer_raw_link_send (raw, &enq, 1);
  g_assert_cmphex (peer_raw_link_read_byte (raw), ==, ACK);

  return raw;
}

void
peer_raw_link_send (PeerRawLink *raw,
                    const void  *data,
                    gsize        len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));
  g_autoptr(GError) error = NULL;

  /* Small writes to a local socket do not block. */
  g_output_stream_write_all (out, data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Like peer_raw_link_send(), for a link Central may have closed: a
 * failed write is no failure of the test. */
gboolean
peer_raw_link_try_send (PeerRawLink *raw,
                        const void  *data,
                        gsize        len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));

  return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

/* Sends @json as one well-formed frame. */
void
peer_raw_link_send_frame (PeerRawLink *raw,
                          const char  *json)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  const guint8 stx = STX, etx = ETX;
  guint8 lrc = 0;

  for (const char *p = json; *p != '\0'; p++)
    lrc ^= (guint8) *p;
  g_byte_array_append (frame, &stx, 1);
  g_byte_array_append (frame, (const guint8 *) json, strlen (json));
  g_byte_array_append (frame, &etx, 1);
  g_byte_array_append (frame, &lrc, 1);
  peer_raw_link_send (raw, frame->data, frame->len);
}

typedef struct
{
  PeerRawLink *raw;
  gsize needed;
} InputWait;

static gboolean
input_available (gpointer user_data)
{
  InputWait *wait = user_data;

  return wait->raw->input->len >= wait->raw->consumed + wait->needed || wait->raw->closed;
}

static void
wait_input (PeerRawLink *raw,
            gsize        needed)
{
  InputWait wait = { raw, needed };

  ev_test_wait_until (NULL, input_available, &wait, PEER_WAIT_MS, "bytes from Central");
  if (raw->input->len < raw->consumed + needed)
    g_error ("Central closed the raw link");
}

/* Waits for the next byte Central sends and consumes it. */
guint8
peer_raw_link_read_byte (PeerRawLink *raw)
{
  wait_input (raw, 1);
  return raw->input->data[raw->consumed++];
}

/**
 * peer_raw_link_read_frame:
 *
 * Waits for the next frame, checks its LRC and ACKs it; bytes before its
 * STX are skipped.
 *
 * Returns: (transfer full): its DATA
 */
char *
peer_raw_link_read_frame (PeerRawLink *raw)
{
  const guint8 ack = ACK;
  gsize len = 0;
  guint8 lrc = 0;
  char *data;

  while (peer_raw_link_read_byte (raw) != STX)
    ;
  for (;;)
    {
      wait_input (raw, len + 1);
      if (raw->input->data[raw->consumed + len] == ETX)
        break;
      lrc ^= raw->input->data[raw->consumed + len];
      len++;
    }
  wait_input (raw, len + 2);
  g_assert_cmphex (raw->input->data[raw->consumed + len + 1], ==, lrc);

  data = g_strndup ((const char *) raw->input->data + raw->consumed, len);
  raw->consumed += len + 2;
  peer_raw_link_send (raw, &ack, 1);

  return data;
}

/* Sends one request frame, checks it is ACKed, returns the response. */
char *
peer_raw_link_request (PeerRawLink *raw,
                       const char  *json)
{
  peer_raw_link_send_frame (raw, json);
  g_assert_cmphex (peer_raw_link_read_byte (raw), ==, ACK);
  return peer_raw_link_read_frame (raw);
}

/* Whether Central closed the socket (every byte sent was read). */
gboolean
peer_raw_link_is_closed (PeerRawLink *raw)
{
  return raw->closed;
}

static gboolean
raw_not_reading (gpointer user_data)
{
  return !((PeerRawLink *) user_data)->reading;
}

void
peer_raw_link_free (PeerRawLink *raw)
{
  g_cancellable_cancel (raw->cancellable);
  ev_test_wait_until (NULL, raw_not_reading, raw, PEER_WAIT_MS, "the raw read to end");
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
  g_assert_finalize_object (g_steal_pointer (&raw->connection));
  g_object_unref (raw->cancellable);
  g_byte_array_unref (raw->input);
  g_free (raw);
}

/* ------------------------------------------------------------------ */
/* Kafka peers                                                         */

typedef void (*PeerValueFunc) (gpointer    peer,
                               const char *topic,
                               const char *key,
                               const char *value,
                               gsize       len);

typedef struct
{
  PeerValueFunc func;
  gpointer peer;
} Dispatch;

static void
bus_message_cb (EvBus        *bus,
                EvBusMessage *msg,
                gpointer      user_data)
{
  Dispatch *dispatch = user_data;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize len = 0;
  const char *data = value != NULL ? g_bytes_get_data (value, &len) : NULL;

  /* A null value is a tombstone: only cp-states has them. */
  if (data != NULL || g_str_equal (ev_bus_message_get_topic (msg), "cp-states"))
    dispatch->func (dispatch->peer, ev_bus_message_get_topic (msg), ev_bus_message_get_key (msg), data, len);
  ev_bus_message_done (bus, msg);
}

/* A reader (private group, from the beginning of each topic) calling
 * @func for every value, and a producer. */
static EvBus *
bus_new (const char         *bootstrap,
         const char         *client_id,
         const char * const *topics,
         Dispatch           *dispatch)
{
  g_autoptr(GError) error = NULL;
  EvBus *bus;

  bus = ev_bus_new_reader (bootstrap, client_id, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (bus, "message", G_CALLBACK (bus_message_cb), dispatch);
  ev_bus_subscribe (bus, topics, &error);
  g_assert_no_error (error);

  return bus;
}

static void
bus_produce (EvBus      *bus,
             const char *topic,
             const char *key,
             const char *value)
{
  g_autoptr(GError) error = NULL;

  ev_bus_produce (bus, topic, key, value, strlen (value), &error);
  g_assert_no_error (error);
}

static void
bus_free (EvBus *bus)
{
  ev_bus_close (bus);
  g_assert_finalize_object (bus);
}

/* ------------------------------------------------------------------ */
/* Engine                                                              */

struct _PeerEngine
{
  EvBus *bus;
  Dispatch dispatch;
  char *cp_id;
  gint64 created;
  GPtrArray *directives;     /* EvDirective * */
  GHashTable *started_at;    /* supply_id → gint64 * */
  gboolean own_key;          /* sign with @key, not the CP's issued key */
  char *key;                 /* with own_key: base64, or NULL for none */
};

/* @json as the engine sends it on @topic: with the MAC of its CP's key
 * (the last one Central issued, or the one the test chose). */
static char *
engine_sign (PeerEngine *engine,
             const char *topic,
             const char *json)
{
  const char *text = engine->own_key ? engine->key : peer_cp_key (engine->cp_id);
  g_autoptr(GError) error = NULL;
  EvCpKey key;
  char *signed_json;

  if (text == NULL)
    return g_strdup (json);
  if (!ev_cp_key_from_base64 (text, &key, &error))
    g_error ("Not a CP key: %s", error->message);
  signed_json = ev_mac_message_sign (&key, topic, engine->cp_id, json, strlen (json), NULL, &error);
  g_assert_no_error (error);
  return signed_json;
}

/**
 * peer_engine_use_key:
 * @key: (nullable): a CP key in base64, or %NULL to send no MAC
 *
 * From now on the engine signs with @key instead of its CP's: a forger.
 */
void
peer_engine_use_key (PeerEngine *engine,
                     const char *key)
{
  engine->own_key = TRUE;
  g_free (engine->key);
  engine->key = g_strdup (key);
}

static void
engine_value (gpointer    peer,
              const char *topic,
              const char *key,
              const char *value,
              gsize       len)
{
  PeerEngine *engine = peer;
  EvDirective *directive = ev_directive_from_json (value, len, NULL);

  /* A reader sees the whole topic: keep only what Central said to this
   * CP since the engine exists (an `all` of an earlier test is stale). */
  if (directive != NULL && ev_directive_applies_to (directive, engine->cp_id) &&
      directive->envelope.ts >= engine->created)
    g_ptr_array_add (engine->directives, directive);
  else
    g_clear_pointer (&directive, ev_directive_free);
}

PeerEngine *
peer_engine_new (const char *bootstrap,
                 const char *cp_id)
{
  const char * const topics[] = { "central-directives", NULL };
  g_autofree char *client_id = g_strconcat ("peer-engine-", cp_id, NULL);
  PeerEngine *engine = g_new0 (PeerEngine, 1);

  engine->cp_id = g_strdup (cp_id);
  engine->created = now_ms ();
  engine->directives = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_directive_free);
  engine->started_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  engine->dispatch = (Dispatch) { engine_value, engine };
  engine->bus = bus_new (bootstrap, client_id, topics, &engine->dispatch);

  return engine;
}

static const EvDirective *
find_directive (PeerEngine        *engine,
                EvDirectiveAction  action,
                guint              nth)
{
  guint seen = 0;

  for (guint i = 0; i < engine->directives->len; i++)
    {
      const EvDirective *directive = g_ptr_array_index (engine->directives, i);

      if (directive->action == action && ++seen == nth)
        return directive;
    }

  return NULL;
}

guint
peer_engine_count_directives (PeerEngine        *engine,
                              EvDirectiveAction  action)
{
  guint n = 0;

  for (guint i = 0; i < engine->directives->len; i++)
    if (((EvDirective *) g_ptr_array_index (engine->directives, i))->action == action)
      n++;

  return n;
}

typedef struct
{
  PeerEngine *engine;
  EvDirectiveAction action;
  guint nth;
} DirectiveWait;

static gboolean
directive_arrived (gpointer user_data)
{
  DirectiveWait *wait = user_data;

  return find_directive (wait->engine, wait->action, wait->nth) != NULL;
}

/**
 * peer_engine_wait_directive:
 * @nth: 1 for the first directive with @action, 2 for the second, …
 *
 * Returns: (transfer none): the @nth directive with @action
 */
const EvDirective *
peer_engine_wait_directive (PeerEngine        *engine,
                            EvDirectiveAction  action,
                            guint              nth)
{
  DirectiveWait wait = { engine, action, nth };
  g_autofree char *what = g_strdup_printf ("directive %s #%u for %s",
                                           ev_directive_action_to_string (action), nth,
                                           engine->cp_id);

  ev_test_wait_until (NULL, directive_arrived, &wait, PEER_WAIT_MS, what);
  return find_directive (engine, action, nth);
}

/**
 * peer_engine_data_new:
 * @start: the `start` directive of the supply
 *
 * A correct `supply-data` message for the supply @start authorised:
 * amount = kwh × price, the supply's start time, and for a ticket the
 * current time and reason `unplugged`. Tests change fields to make it
 * wrong on purpose before peer_engine_publish().
 *
 * Returns: (transfer full): the message
 */
EvSupplyData *
peer_engine_data_new (PeerEngine        *engine,
                      const EvDirective *start,
                      EvSupplyDataKind   kind,
                      guint              seq,
                      double             kwh)
{
  EvSupplyData *data = ev_supply_data_new (kind, start->supply_id, engine->cp_id,
                                           start->driver_id, seq);
  gint64 *started_at = g_hash_table_lookup (engine->started_at, start->supply_id);

  if (started_at == NULL)
    {
      started_at = g_new (gint64, 1);
      *started_at = now_ms ();
      g_hash_table_insert (engine->started_at, g_strdup (start->supply_id), started_at);
    }

  data->kwh = kwh;
  data->price = start->price;
  data->amount = kwh * start->price;
  data->started_at = *started_at;
  if (kind == EV_SUPPLY_DATA_TICKET)
    {
      data->ended_at = MAX (now_ms (), *started_at);
      data->reason = EV_TICKET_REASON_UNPLUGGED;
    }

  return data;
}

/* Publishes @data on `supply-data`, keyed by the engine's CP id. */
void
peer_engine_publish (PeerEngine         *engine,
                     const EvSupplyData *data)
{
  g_autofree char *plain = ev_supply_data_to_json (data, NULL);
  g_autofree char *json = engine_sign (engine, "supply-data", plain);

  bus_produce (engine->bus, "supply-data", engine->cp_id, json);
}

/* Like peer_engine_publish(), and waits until the broker has it. */
void
peer_engine_publish_delivered (PeerEngine         *engine,
                               const EvSupplyData *data)
{
  g_autofree char *plain = ev_supply_data_to_json (data, NULL);
  g_autofree char *json = engine_sign (engine, "supply-data", plain);
  g_autoptr(GError) error = NULL;
  EvTestDelivery delivery = { FALSE, NULL };

  ev_bus_produce_full (engine->bus, "supply-data", engine->cp_id, json, strlen (json),
                       ev_test_delivery_cb, &delivery, NULL, &error);
  g_assert_no_error (error);
  ev_test_wait_flag (NULL, &delivery.done, PEER_WAIT_MS, "the engine's message to reach the broker");
  g_assert_no_error (delivery.error);
}

/* Publishes any text on @topic, keyed by the engine's CP id. */
void
peer_engine_publish_raw (PeerEngine *engine,
                         const char *topic,
                         const char *value)
{
  bus_produce (engine->bus, topic, engine->cp_id, value);
}

/**
 * peer_engine_request:
 * @driver_id: the driver typed at the station, or `station:<cp_id>`
 *
 * Asks for a supply at the engine's CP, as typed at the station (origin
 * `station`).
 *
 * Returns: (transfer full): the new request id
 */
char *
peer_engine_request (PeerEngine *engine,
                     const char *driver_id)
{
  char *request_id = g_uuid_string_random ();
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autofree char *json = NULL;

  g_autofree char *plain = NULL;

  request = ev_supply_request_new (request_id, engine->cp_id, driver_id, EV_SUPPLY_ORIGIN_STATION);
  plain = ev_supply_request_to_json (request, NULL);
  json = engine_sign (engine, "supply-req", plain);
  bus_produce (engine->bus, "supply-req", engine->cp_id, json);

  return request_id;
}

void
peer_engine_free (PeerEngine *engine)
{
  bus_free (engine->bus);
  g_ptr_array_unref (engine->directives);
  g_hash_table_unref (engine->started_at);
  g_free (engine->cp_id);
  g_free (engine->key);
  g_free (engine);
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */

struct _PeerDriver
{
  EvBus *bus;
  Dispatch dispatch;
  char *driver_id;
  GPtrArray *responses;   /* EvSupplyResponse * */
  GPtrArray *data;        /* EvSupplyData * */
  GPtrArray *errors;      /* EvSupplyError * */
  GHashTable *cp_states;  /* cp_id → EvCpStateMessage *, the latest */
  GHashTable *tombstones; /* cp_id whose latest cp-states value is null */
  EvSigningKey *key;      /* signs its requests, as a driver does */
};

static void
driver_value (gpointer    peer,
              const char *topic,
              const char *key,
              const char *value,
              gsize       len)
{
  PeerDriver *driver = peer;

  /* Each topic carries every driver's messages: keep ours. */
  if (g_str_equal (topic, "supply-res"))
    {
      EvSupplyResponse *msg = ev_supply_response_from_json (value, len, NULL);

      if (msg != NULL && g_str_equal (msg->driver_id, driver->driver_id))
        g_ptr_array_add (driver->responses, g_steal_pointer (&msg));
      g_clear_pointer (&msg, ev_supply_response_free);
    }
  else if (g_str_equal (topic, "supply-data2"))
    {
      EvSupplyData *msg = ev_supply_data_from_json (value, len, NULL);

      if (msg != NULL && g_str_equal (msg->driver_id, driver->driver_id))
        g_ptr_array_add (driver->data, g_steal_pointer (&msg));
      g_clear_pointer (&msg, ev_supply_data_free);
    }
  else if (g_str_equal (topic, "cp-states") && value == NULL)
    {
      /* A tombstone: the CP was forgotten. */
      if (key != NULL)
        g_hash_table_remove (driver->cp_states, key);
      g_hash_table_add (driver->tombstones, g_strdup (key != NULL ? key : ""));
    }
  else if (g_str_equal (topic, "cp-states"))
    {
      EvCpStateMessage *msg = ev_cp_state_message_from_json (value, len, NULL);

      /* A latest-value-per-key topic: every CP, read from the start. */
      if (msg != NULL)
        {
          g_hash_table_remove (driver->tombstones, msg->cp_id);
          g_hash_table_replace (driver->cp_states, g_strdup (msg->cp_id), msg);
        }
    }
  else
    {
      EvSupplyError *msg = ev_supply_error_from_json (value, len, NULL);

      if (msg != NULL && g_str_equal (msg->driver_id, driver->driver_id))
        g_ptr_array_add (driver->errors, g_steal_pointer (&msg));
      g_clear_pointer (&msg, ev_supply_error_free);
    }
}

PeerDriver *
peer_driver_new (const char *bootstrap,
                 const char *driver_id)
{
  const char * const topics[] = { "supply-res", "supply-data2", "supply-error", "cp-states", NULL };
  g_autofree char *client_id = g_strconcat ("peer-driver-", driver_id, NULL);
  PeerDriver *driver = g_new0 (PeerDriver, 1);

  driver->driver_id = g_strdup (driver_id);
  driver->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_response_free);
  driver->data = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  driver->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_error_free);
  driver->cp_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) ev_cp_state_message_free);
  driver->tombstones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  driver->key = ev_signing_key_generate (NULL);
  g_assert_nonnull (driver->key);
  driver->dispatch = (Dispatch) { driver_value, driver };
  driver->bus = bus_new (bootstrap, client_id, topics, &driver->dispatch);

  return driver;
}

const char *
peer_driver_get_id (PeerDriver *driver)
{
  return driver->driver_id;
}

/* Publishes a `supply-req` (origin driver) with a given request id, for
 * instance again, as a redelivery would. */
void
peer_driver_request_again (PeerDriver *driver,
                           const char *request_id,
                           const char *cp_id)
{
  g_autoptr(EvSupplyRequest) request = NULL;

  request = ev_supply_request_new (request_id, cp_id, driver->driver_id, EV_SUPPLY_ORIGIN_DRIVER);
  peer_driver_publish_request (driver, request);
}

/* Publishes @request signed with the driver's key, as a driver does. */
void
peer_driver_publish_request (PeerDriver            *driver,
                             const EvSupplyRequest *request)
{
  g_autofree char *json = NULL;
  g_autofree char *signed_json = NULL;
  gsize length = 0;

  json = ev_supply_request_to_json (request, &length);
  signed_json = ev_signed_message_sign (driver->key, "supply-req", request->cp_id, json, length, NULL, NULL);
  g_assert_nonnull (signed_json);
  bus_produce (driver->bus, "supply-req", request->cp_id, signed_json);
}

/**
 * peer_driver_request:
 *
 * Asks for a supply at @cp_id.
 *
 * Returns: (transfer full): the new request id
 */
char *
peer_driver_request (PeerDriver *driver,
                     const char *cp_id)
{
  char *request_id = g_uuid_string_random ();

  peer_driver_request_again (driver, request_id, cp_id);
  return request_id;
}

/* The @nth (1-based) response to @request_id, or NULL; the count in
 * @count. */
static const EvSupplyResponse *
find_response (PeerDriver *driver,
               const char *request_id,
               guint       nth,
               guint      *count)
{
  const EvSupplyResponse *found = NULL;

  *count = 0;
  for (guint i = 0; i < driver->responses->len; i++)
    {
      const EvSupplyResponse *msg = g_ptr_array_index (driver->responses, i);

      if (g_strcmp0 (msg->request_id, request_id) == 0 && ++(*count) == nth)
        found = msg;
    }

  return found;
}

guint
peer_driver_count_responses (PeerDriver *driver,
                             const char *request_id)
{
  guint count;

  find_response (driver, request_id, 0, &count);
  return count;
}

typedef struct
{
  PeerDriver *driver;
  const char *id;
  EvSupplyDataKind kind;
  guint seq;
} DriverWait;

static gboolean
responses_arrived (gpointer user_data)
{
  DriverWait *wait = user_data;

  return peer_driver_count_responses (wait->driver, wait->id) >= wait->seq;
}

/**
 * peer_driver_wait_response_nth:
 * @nth: 1 for the first response to @request_id, 2 for the second, …
 *
 * Returns: (transfer none): the @nth response to @request_id
 */
const EvSupplyResponse *
peer_driver_wait_response_nth (PeerDriver *driver,
                               const char *request_id,
                               guint       nth)
{
  DriverWait wait = { driver, request_id, 0, nth };
  guint count;

  ev_test_wait_until (NULL, responses_arrived, &wait, PEER_WAIT_MS, "a supply-res");
  return find_response (driver, request_id, nth, &count);
}

/* Returns: (transfer none): the first response to @request_id */
const EvSupplyResponse *
peer_driver_wait_response (PeerDriver *driver,
                           const char *request_id)
{
  return peer_driver_wait_response_nth (driver, request_id, 1);
}

static gboolean
data_matches (const EvSupplyData *msg,
              const char         *supply_id,
              EvSupplyDataKind    kind,
              guint               seq)
{
  return (supply_id == NULL || g_strcmp0 (msg->supply_id, supply_id) == 0) &&
         msg->kind == kind && (seq == 0 || msg->seq == seq);
}

/* How many `supply-data2` messages of @kind for @supply_id (%NULL: any)
 * arrived. */
guint
peer_driver_count_data (PeerDriver       *driver,
                        const char       *supply_id,
                        EvSupplyDataKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < driver->data->len; i++)
    if (data_matches (g_ptr_array_index (driver->data, i), supply_id, kind, 0))
      n++;

  return n;
}

static const EvSupplyData *
find_data (DriverWait *wait)
{
  for (guint i = 0; i < wait->driver->data->len; i++)
    {
      const EvSupplyData *msg = g_ptr_array_index (wait->driver->data, i);

      if (data_matches (msg, wait->id, wait->kind, wait->seq))
        return msg;
    }

  return NULL;
}

static gboolean
data_arrived (gpointer user_data)
{
  return find_data (user_data) != NULL;
}

/**
 * peer_driver_wait_data:
 * @seq: the sequence number wanted, or 0 for any
 *
 * Returns: (transfer none): the first matching `supply-data2` message
 */
const EvSupplyData *
peer_driver_wait_data (PeerDriver       *driver,
                       const char       *supply_id,
                       EvSupplyDataKind  kind,
                       guint             seq)
{
  DriverWait wait = { driver, supply_id, kind, seq };
  g_autofree char *what = g_strdup_printf ("supply-data2 %s #%u for %s",
                                           ev_supply_data_kind_to_string (kind), seq,
                                           driver->driver_id);

  ev_test_wait_until (NULL, data_arrived, &wait, PEER_WAIT_MS, what);
  return find_data (&wait);
}

guint
peer_driver_count_errors (PeerDriver *driver,
                          const char *supply_id)
{
  guint n = 0;

  for (guint i = 0; i < driver->errors->len; i++)
    if (g_strcmp0 (((EvSupplyError *) g_ptr_array_index (driver->errors, i))->supply_id,
                   supply_id) == 0)
      n++;

  return n;
}

static gboolean
error_arrived (gpointer user_data)
{
  DriverWait *wait = user_data;

  return peer_driver_count_errors (wait->driver, wait->id) > 0;
}

/* Returns: (transfer none): the first `supply-error` for @supply_id */
const EvSupplyError *
peer_driver_wait_error (PeerDriver *driver,
                        const char *supply_id)
{
  DriverWait wait = { driver, supply_id, 0, 0 };

  ev_test_wait_until (NULL, error_arrived, &wait, PEER_WAIT_MS, "a supply-error");
  for (guint i = 0; i < driver->errors->len; i++)
    {
      const EvSupplyError *msg = g_ptr_array_index (driver->errors, i);

      if (g_strcmp0 (msg->supply_id, supply_id) == 0)
        return msg;
    }
  g_assert_not_reached ();
}

void
peer_driver_free (PeerDriver *driver)
{
  bus_free (driver->bus);
  g_ptr_array_unref (driver->responses);
  g_ptr_array_unref (driver->data);
  g_ptr_array_unref (driver->errors);
  g_hash_table_unref (driver->cp_states);
  g_hash_table_unref (driver->tombstones);
  ev_signing_key_free (driver->key);
  g_free (driver->driver_id);
  g_free (driver);
}

typedef struct
{
  PeerDriver *driver;
  const char *cp_id;
  EvCpState state;
} CpStateWait;

static gboolean
cp_state_arrived (gpointer user_data)
{
  CpStateWait *wait = user_data;
  EvCpStateMessage *msg = g_hash_table_lookup (wait->driver->cp_states, wait->cp_id);

  return msg != NULL && msg->state == wait->state;
}

/**
 * peer_driver_wait_cp_state:
 *
 * Waits for the latest `cp-states` message of @cp_id to say @state.
 *
 * Returns: (transfer none): that message
 */
const EvCpStateMessage *
peer_driver_wait_cp_state (PeerDriver *driver,
                           const char *cp_id,
                           EvCpState   state)
{
  CpStateWait wait = { driver, cp_id, state };
  g_autofree char *what = g_strdup_printf ("cp-states to say %s is %s", cp_id,
                                           ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, cp_state_arrived, &wait, PEER_WAIT_MS, what);
  return g_hash_table_lookup (driver->cp_states, cp_id);
}

static gboolean
cp_state_gone (gpointer user_data)
{
  CpStateWait *wait = user_data;

  return g_hash_table_contains (wait->driver->tombstones, wait->cp_id);
}

/**
 * peer_driver_wait_cp_gone:
 *
 * Waits for the latest `cp-states` message of @cp_id to be a tombstone.
 */
void
peer_driver_wait_cp_gone (PeerDriver *driver,
                          const char *cp_id)
{
  CpStateWait wait = { driver, cp_id, EV_CP_STATE_DISCONNECTED };
  g_autofree char *what = g_strdup_printf ("a tombstone for %s on cp-states", cp_id);

  ev_test_wait_until (NULL, cp_state_gone, &wait, PEER_WAIT_MS, what);
  g_assert_false (g_hash_table_contains (driver->cp_states, cp_id));
}

/**
 * peer_driver_knows_cp:
 *
 * Whether any `cp-states` message of @cp_id (or a tombstone) has come.
 */
gboolean
peer_driver_knows_cp (PeerDriver *driver,
                      const char *cp_id)
{
  return g_hash_table_contains (driver->cp_states, cp_id) ||
         g_hash_table_contains (driver->tombstones, cp_id);
}

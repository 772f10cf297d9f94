#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "central-monitor-server.h"
#include "ev-frame.h"
#include "ev-link.h"
#include "test-utils.h"

/* Timeouts given to the server under test, and how long a test waits for
 * something before it fails. */
#define SHORT_MS 150
#define WAIT_MS  10000
#define N_MANY   500

/* ---------------------------------------------------------------------
 * What the server reported.
 * --------------------------------------------------------------------- */

typedef enum {
  ON_REQUEST_RESPOND,
  ON_REQUEST_KEEP,
  ON_REQUEST_CLOSE_LINK,
  ON_REQUEST_CLOSE_SERVER,
} OnRequest;

typedef struct {
  GMainContext *context;
  CentralMonitorServer *server;
  OnRequest on_request;
  /* link id → peer, request texts, and close reason (a GError) */
  GHashTable *peers;
  GHashTable *requests;
  GHashTable *reasons;
  GArray *opened;
  guint n_requests;
  guint n_closed;
  guint64 last_request_link;
} Fixture;

static gpointer
id_key (guint64 id)
{
  return g_memdup2 (&id, sizeof id);
}

static void
link_opened_cb (CentralMonitorServer *server,
                guint64               link_id,
                const char           *peer,
                gpointer              user_data)
{
  Fixture *fixture = user_data;

  g_assert_true (server == fixture->server);
  g_assert_nonnull (peer);
  /* Ids grow and are never reused. */
  if (fixture->opened->len > 0)
    g_assert_cmpuint (link_id, >, g_array_index (fixture->opened, guint64, fixture->opened->len - 1));
  g_array_append_val (fixture->opened, link_id);
  g_hash_table_insert (fixture->peers, id_key (link_id), g_strdup (peer));
}

static void
request_cb (CentralMonitorServer *server,
            guint64               link_id,
            const char           *text,
            gsize                 len,
            gpointer              user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;

  g_assert_cmpuint (strlen (text), ==, len);
  g_assert_true (g_hash_table_contains (fixture->peers, &link_id));
  g_assert_false (g_hash_table_contains (fixture->reasons, &link_id));
  fixture->n_requests++;
  fixture->last_request_link = link_id;
  g_hash_table_insert (fixture->requests, id_key (link_id), g_strdup (text));

  switch (fixture->on_request)
    {
    case ON_REQUEST_RESPOND:
      response = g_strdup_printf ("{\"re\":%s}", text);
      g_assert_true (central_monitor_server_respond (server, link_id, response, -1, &error));
      g_assert_no_error (error);
      break;
    case ON_REQUEST_KEEP:
      break;
    case ON_REQUEST_CLOSE_LINK:
      central_monitor_server_close_link (server, link_id);
      /* The link is closed at once for the API. */
      g_assert_false (central_monitor_server_respond (server, link_id, "{}", -1, &error));
      g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
      break;
    case ON_REQUEST_CLOSE_SERVER:
      central_monitor_server_close (server);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
link_closed_cb (CentralMonitorServer *server,
                guint64               link_id,
                const GError         *reason,
                gpointer              user_data)
{
  Fixture *fixture = user_data;

  g_assert_nonnull (reason);
  g_assert_true (reason->domain == EV_LINK_ERROR);
  /* Exactly once, and only for a link that was opened. */
  g_assert_true (g_hash_table_contains (fixture->peers, &link_id));
  g_assert_false (g_hash_table_contains (fixture->reasons, &link_id));
  g_hash_table_insert (fixture->reasons, id_key (link_id), g_error_copy (reason));
  fixture->n_closed++;
}

static const CentralMonitorServerCallbacks recorder_callbacks = {
  .link_opened = link_opened_cb,
  .request = request_cb,
  .link_closed = link_closed_cb,
};

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);
  fixture->peers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  fixture->requests = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  fixture->reasons = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                            (GDestroyNotify) g_error_free);
  fixture->opened = g_array_new (FALSE, FALSE, sizeof (guint64));

  fixture->server = central_monitor_server_new (&recorder_callbacks, fixture);
  g_assert_true (central_monitor_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->server != NULL)
    {
      central_monitor_server_close (fixture->server);
      /* Every link opened was reported closed. */
      g_assert_cmpuint (fixture->n_closed, ==, fixture->opened->len);
      g_assert_finalize_object (g_steal_pointer (&fixture->server));
    }

  /* Let client streams finish closing. */
  ev_test_sleep_spinning (fixture->context, 20);
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
  g_main_context_pop_thread_default (fixture->context);
  g_clear_pointer (&fixture->context, g_main_context_unref);
  g_clear_pointer (&fixture->peers, g_hash_table_unref);
  g_clear_pointer (&fixture->requests, g_hash_table_unref);
  g_clear_pointer (&fixture->reasons, g_hash_table_unref);
  g_clear_pointer (&fixture->opened, g_array_unref);
}

static guint64
last_opened (Fixture *fixture)
{
  g_assert_cmpuint (fixture->opened->len, >, 0);
  return g_array_index (fixture->opened, guint64, fixture->opened->len - 1);
}

static const GError *
reason_of (Fixture *fixture,
           guint64  link_id)
{
  return g_hash_table_lookup (fixture->reasons, &link_id);
}

typedef struct {
  const guint *value;
  guint target;
} CountWait;

static gboolean
count_reached (gpointer user_data)
{
  CountWait *wait = user_data;

  return *wait->value >= wait->target;
}

/* Spins until *@value reaches @target. */
static void
wait_count (Fixture     *fixture,
            const guint *value,
            guint        target,
            const char  *what)
{
  CountWait wait = { value, target };

  ev_test_wait_until (fixture->context, count_reached, &wait, WAIT_MS, what);
}

#define wait_opened(fixture, n) wait_count ((fixture), &(fixture)->opened->len, (n), "link opened")
#define wait_closed(fixture, n) wait_count ((fixture), &(fixture)->n_closed, (n), "link closed")
#define wait_requests(fixture, n) wait_count ((fixture), &(fixture)->n_requests, (n), "request")

/* ---------------------------------------------------------------------
 * A raw client on a plain socket, to misbehave on purpose. Its socket is
 * non-blocking and read while the test's context spins: everything it
 * can receive is written by the server from that context.
 * --------------------------------------------------------------------- */

typedef struct {
  int fd;
  guint16 local_port;
  GByteArray *received;
  gsize cursor;
  gboolean eof;
} RawClient;

/* Byte sequences are space-separated tokens: ENQ, ACK, NACK, EOT,
 * F:<json> for a frame, BAD:<json> for a frame with a wrong LRC. */
static GByteArray *
build (const char *spec)
{
  GByteArray *bytes = g_byte_array_new ();
  g_auto(GStrv) tokens = g_strsplit (spec, " ", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      const char *t = tokens[i];
      guint8 byte;

      if (*t == '\0')
        continue;
      if (g_str_has_prefix (t, "F:") || g_str_has_prefix (t, "BAD:"))
        {
          const char *json = strchr (t, ':') + 1;

          g_assert_true (ev_frame_encode_append (bytes, json, strlen (json), NULL));
          if (*t == 'B')
            bytes->data[bytes->len - 1] ^= 0xFF;
          continue;
        }

      if (g_str_equal (t, "ENQ"))
        byte = EV_FRAME_ENQ;
      else if (g_str_equal (t, "ACK"))
        byte = EV_FRAME_ACK;
      else if (g_str_equal (t, "NACK"))
        byte = EV_FRAME_NACK;
      else if (g_str_equal (t, "EOT"))
        byte = EV_FRAME_EOT;
      else
        g_error ("bad token %s", t);
      g_byte_array_append (bytes, &byte, 1);
    }

  return bytes;
}

static RawClient *
raw_client_new (Fixture *fixture)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t len = sizeof address;
  RawClient *client = g_new0 (RawClient, 1);
  int one = 1;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  address.sin_port = htons (central_monitor_server_get_port (fixture->server));
  client->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (client->fd, >=, 0);
  /* The kernel completes the connection into the listen backlog. */
  g_assert_cmpint (connect (client->fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (fcntl (client->fd, F_SETFL, O_NONBLOCK), ==, 0);
  setsockopt (client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  g_assert_cmpint (getsockname (client->fd, (struct sockaddr *) &address, &len), ==, 0);
  client->local_port = ntohs (address.sin_port);
  client->received = g_byte_array_new ();

  return client;
}

static void
raw_client_free (RawClient *client)
{
  if (client->fd >= 0)
    close (client->fd);
  g_byte_array_unref (client->received);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawClient, raw_client_free)

static void
raw_send_bytes (RawClient    *client,
                const guint8 *data,
                gsize         len)
{
  g_assert_cmpint (send (client->fd, data, len, MSG_NOSIGNAL), ==, (gssize) len);
}

static void
raw_send (RawClient  *client,
          const char *spec)
{
  g_autoptr(GByteArray) bytes = build (spec);

  raw_send_bytes (client, bytes->data, bytes->len);
}

static void
raw_poll (RawClient *client)
{
  guint8 buffer[4096];

  while (!client->eof)
    {
      gssize n = recv (client->fd, buffer, sizeof buffer, 0);

      if (n > 0)
        g_byte_array_append (client->received, buffer, n);
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        client->eof = TRUE;
      else if (errno == EAGAIN)
        break;
    }
}

typedef struct {
  RawClient *client;
  gsize needed;
} RawWait;

static gboolean
raw_has_bytes (gpointer user_data)
{
  RawWait *wait = user_data;

  raw_poll (wait->client);
  return wait->client->received->len - wait->client->cursor >= wait->needed || wait->client->eof;
}

/* Waits for exactly the bytes of @spec, next in what the client received. */
static void
raw_expect (Fixture    *fixture,
            RawClient  *client,
            const char *spec)
{
  g_autoptr(GByteArray) expected = build (spec);
  RawWait wait = { client, expected->len };

  ev_test_wait_until (fixture->context, raw_has_bytes, &wait, WAIT_MS, spec);
  g_assert_cmpmem (client->received->data + client->cursor,
                   MIN (expected->len, client->received->len - client->cursor),
                   expected->data, expected->len);
  client->cursor += expected->len;
}

static gboolean
raw_at_eof (gpointer user_data)
{
  RawClient *client = user_data;

  raw_poll (client);
  return client->eof;
}

/* The server closed the connection, with nothing unread before. */
static void
raw_expect_eof (Fixture   *fixture,
                RawClient *client)
{
  ev_test_wait_until (fixture->context, raw_at_eof, client, WAIT_MS, "end of stream");
  g_assert_cmpuint (client->received->len, ==, client->cursor);
}

static RawClient *
raw_client_handshake (Fixture *fixture)
{
  RawClient *client = raw_client_new (fixture);

  wait_opened (fixture, fixture->opened->len + 1);
  raw_send (client, "ENQ");
  raw_expect (fixture, client, "ACK");
  return client;
}

/* ---------------------------------------------------------------------
 * EvLink clients, as real monitors connect.
 * --------------------------------------------------------------------- */

typedef struct {
  gboolean done;
  EvLink *link;
  GError *error;
  guint *n_done;
} ConnectResult;

static void
connect_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ConnectResult *r = user_data;

  r->link = ev_link_connect_finish (result, &r->error);
  g_assert_true ((r->link == NULL) != (r->error == NULL));
  r->done = TRUE;
  if (r->n_done != NULL)
    (*r->n_done)++;
}

static void
connect_start (Fixture       *fixture,
               ConnectResult *r)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address =
    g_inet_socket_address_new (loopback, central_monitor_server_get_port (fixture->server));

  ev_link_connect_async (G_SOCKET_CONNECTABLE (address), WAIT_MS, NULL, connect_done_cb, r);
}

static ConnectResult
connect_link (Fixture *fixture)
{
  ConnectResult r = { FALSE, NULL, NULL, NULL };

  connect_start (fixture, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  return r;
}

static EvLink *
connect_ok (Fixture *fixture)
{
  ConnectResult r = connect_link (fixture);

  g_assert_no_error (r.error);
  g_assert_true (ev_link_is_established (r.link));
  return r.link;
}

typedef struct {
  gboolean done;
  char *response;
  GError *error;
  guint *n_done;
} RequestResult;

static void
request_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RequestResult *r = user_data;

  r->response = ev_link_request_finish (EV_LINK (source), result, &r->error);
  g_assert_true ((r->response == NULL) != (r->error == NULL));
  r->done = TRUE;
  if (r->n_done != NULL)
    (*r->n_done)++;
}

static void
request_result_clear (RequestResult *r)
{
  g_clear_pointer (&r->response, g_free);
  g_clear_error (&r->error);
}

static gboolean
link_is_closed (gpointer user_data)
{
  return ev_link_is_closed (user_data);
}

/* ---------------------------------------------------------------------
 * Tests.
 * --------------------------------------------------------------------- */

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_new_destroy (void)
{
  g_autoptr(GError) error = NULL;
  CentralMonitorServer *server = central_monitor_server_new (NULL, NULL);
  guint notified = 0;
  guint value = 0;

  g_assert_true (CENTRAL_IS_MONITOR_SERVER (server));
  g_assert_cmpuint (central_monitor_server_get_port (server), ==, 0);
  g_assert_cmpuint (central_monitor_server_get_n_links (server), ==, 0);
  g_assert_cmpuint (central_monitor_server_get_max_links (server), ==,
                    CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS);
  g_assert_cmpuint (central_monitor_server_get_timeout (server, EV_LINK_TIMEOUT_IDLE), ==,
                    EV_LINK_DEFAULT_IDLE_TIMEOUT_MS);
  g_assert_cmpuint (central_monitor_server_get_timeout (server, EV_LINK_TIMEOUT_HANDSHAKE), ==,
                    EV_LINK_DEFAULT_HANDSHAKE_TIMEOUT_MS);
  central_monitor_server_set_timeout (server, EV_LINK_TIMEOUT_ACK, 1234);
  g_assert_cmpuint (central_monitor_server_get_timeout (server, EV_LINK_TIMEOUT_ACK), ==, 1234);

  g_signal_connect (server, "notify::max-links", G_CALLBACK (count_notify_cb), &notified);
  central_monitor_server_set_max_links (server, 7);
  central_monitor_server_set_max_links (server, 7);
  g_object_get (server, "max-links", &value, NULL);
  g_assert_cmpuint (value, ==, 7);
  g_assert_cmpuint (notified, ==, 1);

  /* Closing a server that never listened, or an unknown link, is harmless. */
  central_monitor_server_close_link (server, 42);
  central_monitor_server_close (server);
  g_assert_finalize_object (server);

  /* A listening server is released as well. */
  server = central_monitor_server_new (NULL, NULL);
  g_assert_true (central_monitor_server_listen (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (server);
}

static void
test_listen_port (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RawClient) client = NULL;
  g_autofree char *expected_peer = NULL;
  guint port = central_monitor_server_get_port (fixture->server);
  guint property = 0;

  g_assert_cmpuint (port, >, 0);
  g_object_get (fixture->server, "port", &property, NULL);
  g_assert_cmpuint (property, ==, port);

  /* One address at a time. */
  g_assert_false (central_monitor_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);

  client = raw_client_new (fixture);
  wait_opened (fixture, 1);
  expected_peer = g_strdup_printf ("127.0.0.1:%u", client->local_port);
  g_assert_cmpstr (g_hash_table_lookup (fixture->peers, &g_array_index (fixture->opened, guint64, 0)),
                   ==, expected_peer);
  g_assert_cmpstr (central_monitor_server_get_peer (fixture->server, last_opened (fixture)),
                   ==, expected_peer);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 1);
}

static void
test_listen_other_addresses (void)
{
  const char *addresses[] = { "localhost:0", "[::1]:0", ":0" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autoptr(GError) error = NULL;
      CentralMonitorServer *server = central_monitor_server_new (NULL, NULL);

      if (central_monitor_server_listen (server, addresses[i], &error))
        g_assert_cmpuint (central_monitor_server_get_port (server), >, 0);
      else
        {
          /* A machine without IPv6 cannot bind ::1; that is its only excuse. */
          g_assert_cmpstr (addresses[i], ==, "[::1]:0");
          g_assert_true (error->domain == G_IO_ERROR);
        }
      g_assert_finalize_object (server);
    }
}

static void
test_bad_address (void)
{
  const char *bad[] = {
    "", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http",
    "::1:7000", "[::1", "[::1]7000", "127.0.0.1:-1",
  };
  g_autoptr(GError) error = NULL;
  CentralMonitorServer *server = central_monitor_server_new (NULL, NULL);
  CentralMonitorServer *other = central_monitor_server_new (NULL, NULL);
  g_autofree char *taken = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (central_monitor_server_listen (server, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      /* The message quotes what was given. */
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_clear_error (&error);
      g_assert_cmpuint (central_monitor_server_get_port (server), ==, 0);
    }

  /* An address that is not this machine's cannot be bound. */
  g_assert_false (central_monitor_server_listen (server, "192.0.2.1:0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "192.0.2.1:0"));
  g_clear_error (&error);

  /* A port in use. */
  g_assert_true (central_monitor_server_listen (other, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  taken = g_strdup_printf ("127.0.0.1:%u", central_monitor_server_get_port (other));
  g_assert_false (central_monitor_server_listen (server, taken, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_nonnull (strstr (error->message, taken));
  g_clear_error (&error);

  g_assert_finalize_object (server);
  g_assert_finalize_object (other);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(EvLink) link = connect_ok (fixture);
  RequestResult r = { FALSE, };
  guint64 id;

  g_assert_cmpuint (fixture->opened->len, ==, 1);
  id = last_opened (fixture);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"status\",\"n\":%u}", i);
      g_autofree char *expected = g_strdup_printf ("{\"re\":%s}", json);

      ev_link_request_async (link, json, NULL, request_done_cb, &r);
      ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
      g_assert_no_error (r.error);
      g_assert_cmpstr (r.response, ==, expected);
      g_assert_cmpstr (g_hash_table_lookup (fixture->requests, &id), ==, json);
      request_result_clear (&r);
      r.done = FALSE;
    }
  g_assert_cmpuint (fixture->n_requests, ==, 3);

  /* The client ends the session: EOT. */
  ev_link_close (link);
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, id), EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 0);
  g_assert_finalize_object (g_steal_pointer (&link));
}

typedef struct {
  Fixture *fixture;
  guint64 link_id;
} LaterData;

static gboolean
respond_later_cb (gpointer user_data)
{
  LaterData *later = user_data;
  static const char response[] = "{\"status\":\"ok\",\"price\":0.35}XYZ";
  g_autoptr(GError) error = NULL;

  /* Only @len bytes of the text count. */
  g_assert_true (central_monitor_server_respond (later->fixture->server, later->link_id,
                                                 response, sizeof response - 4, &error));
  g_assert_no_error (error);

  /* One response per request. */
  g_assert_false (central_monitor_server_respond (later->fixture->server, later->link_id,
                                                  "{}", -1, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_NO_REQUEST);
  return G_SOURCE_REMOVE;
}

static void
test_respond_later (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(EvLink) link = NULL;
  RequestResult r = { FALSE, };
  LaterData later = { fixture, 0 };
  g_autoptr(GSource) source = NULL;

  fixture->on_request = ON_REQUEST_KEEP;
  central_monitor_server_set_timeout (fixture->server, EV_LINK_TIMEOUT_IDLE, SHORT_MS);
  link = connect_ok (fixture);

  ev_link_request_async (link, "{\"type\":\"status\"}", NULL, request_done_cb, &r);
  wait_requests (fixture, 1);
  later.link_id = fixture->last_request_link;

  /* Longer than the idle timeout: it is paused while a request is open. */
  ev_test_sleep_spinning (fixture->context, 2 * SHORT_MS);
  g_assert_false (r.done);
  g_assert_cmpuint (fixture->n_closed, ==, 0);

  source = g_timeout_source_new (10);
  g_source_set_callback (source, respond_later_cb, &later, NULL);
  g_source_attach (source, fixture->context);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.response, ==, "{\"status\":\"ok\",\"price\":0.35}");
  request_result_clear (&r);

  /* Idle again afterwards, the link times out. */
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, later.link_id), EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT);
  ev_test_wait_until (fixture->context, link_is_closed, link, WAIT_MS, "client closed");
  g_assert_error ((GError *) ev_link_get_close_reason (link), EV_LINK_ERROR, EV_LINK_ERROR_EOT);
  g_assert_finalize_object (g_steal_pointer (&link));
}

static void
test_many_links (Fixture       *fixture,
                 gconstpointer  data)
{
  ConnectResult *connects = g_new0 (ConnectResult, N_MANY);
  RequestResult *requests = g_new0 (RequestResult, N_MANY);
  guint connected = 0;
  guint answered = 0;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < N_MANY; i++)
    {
      connects[i].n_done = &connected;
      connect_start (fixture, &connects[i]);
    }
  wait_count (fixture, &connected, N_MANY, "all connected");
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, N_MANY);

  for (guint i = 0; i < N_MANY; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"status\",\"i\":%u}", i);

      g_assert_no_error (connects[i].error);
      requests[i].n_done = &answered;
      ev_link_request_async (connects[i].link, json, NULL, request_done_cb, &requests[i]);
    }
  wait_count (fixture, &answered, N_MANY, "all answered");

  for (guint i = 0; i < N_MANY; i++)
    {
      g_autofree char *expected = g_strdup_printf ("{\"re\":{\"type\":\"status\",\"i\":%u}}", i);

      g_assert_no_error (requests[i].error);
      g_assert_cmpstr (requests[i].response, ==, expected);
      request_result_clear (&requests[i]);
    }
  g_assert_cmpuint (fixture->n_requests, ==, N_MANY);

  /* Every link got its own id. */
  for (guint i = 0; i < fixture->opened->len; i++)
    g_assert_true (g_hash_table_add (seen, &g_array_index (fixture->opened, guint64, i)));
  g_assert_cmpuint (g_hash_table_size (seen), ==, N_MANY);

  for (guint i = 0; i < N_MANY; i++)
    g_assert_finalize_object (connects[i].link);
  wait_closed (fixture, N_MANY);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 0);

  g_free (connects);
  g_free (requests);
}

static void
test_client_closes (Fixture       *fixture,
                    gconstpointer  data)
{
  RawClient *client = raw_client_handshake (fixture);
  guint64 id = last_opened (fixture);

  close (client->fd);
  client->fd = -1;
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, id), EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED);

  /* Exactly once: nothing more arrives later. */
  ev_test_sleep_spinning (fixture->context, 50);
  g_assert_cmpuint (fixture->n_closed, ==, 1);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 0);

  /* A client that connects and leaves before its handshake, too. */
  raw_client_free (client);
  client = raw_client_new (fixture);
  wait_opened (fixture, 2);
  raw_client_free (client);
  wait_closed (fixture, 2);
  g_assert_error ((GError *) reason_of (fixture, last_opened (fixture)),
                  EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED);
}

static void
test_eot_from_client (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(RawClient) client = raw_client_handshake (fixture);
  guint64 id = last_opened (fixture);

  raw_send (client, "EOT");
  raw_expect_eof (fixture, client);
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, id), EV_LINK_ERROR, EV_LINK_ERROR_EOT);
}

static void
test_timeouts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(RawClient) idle = NULL;
  g_autoptr(RawClient) mute = NULL;
  g_autoptr(RawClient) chatty = NULL;
  guint64 idle_id, mute_id;

  central_monitor_server_set_timeout (fixture->server, EV_LINK_TIMEOUT_IDLE, SHORT_MS);
  central_monitor_server_set_timeout (fixture->server, EV_LINK_TIMEOUT_HANDSHAKE, SHORT_MS);

  /* Idle after the handshake. */
  idle = raw_client_handshake (fixture);
  idle_id = last_opened (fixture);
  /* Silent from the start: no ENQ. */
  mute = raw_client_new (fixture);
  wait_opened (fixture, 2);
  mute_id = last_opened (fixture);

  /* One that keeps talking stays: the timer restarts with every input. */
  chatty = raw_client_handshake (fixture);
  for (guint i = 0; i < 6; i++)
    {
      ev_test_sleep_spinning (fixture->context, SHORT_MS / 3);
      raw_send (chatty, "ENQ");
      raw_expect (fixture, chatty, "ACK");
    }

  raw_expect (fixture, idle, "EOT");
  raw_expect_eof (fixture, idle);
  raw_expect (fixture, mute, "EOT");
  raw_expect_eof (fixture, mute);
  wait_closed (fixture, 2);
  g_assert_error ((GError *) reason_of (fixture, idle_id), EV_LINK_ERROR, EV_LINK_ERROR_IDLE_TIMEOUT);
  g_assert_error ((GError *) reason_of (fixture, mute_id), EV_LINK_ERROR, EV_LINK_ERROR_HANDSHAKE_TIMEOUT);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 1);

  raw_expect (fixture, chatty, "EOT");
  raw_expect_eof (fixture, chatty);
  wait_closed (fixture, 3);
}

static void
test_close_link_in_request (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(RawClient) client = raw_client_handshake (fixture);
  g_autoptr(RawClient) other = raw_client_handshake (fixture);
  guint64 id = fixture->opened->len > 0 ? g_array_index (fixture->opened, guint64, 0) : 0;

  fixture->on_request = ON_REQUEST_CLOSE_LINK;
  /* A request, and bytes behind it in the same write: ignored. */
  raw_send (client, "F:{\"type\":\"status\"} ENQ F:{\"type\":\"status\"}");
  raw_expect (fixture, client, "ACK EOT");
  raw_expect_eof (fixture, client);
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, id), EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_cmpuint (fixture->n_requests, ==, 1);

  /* The other link carries on. */
  fixture->on_request = ON_REQUEST_RESPOND;
  raw_send (other, "F:{\"n\":1}");
  raw_expect (fixture, other, "ACK F:{\"re\":{\"n\":1}}");
  raw_send (other, "ACK");
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 1);

  /* Closing a link from outside any callback. */
  central_monitor_server_close_link (fixture->server, last_opened (fixture));
  g_assert_cmpuint (fixture->n_closed, ==, 2);
  raw_expect (fixture, other, "EOT");
  raw_expect_eof (fixture, other);
}

static void
test_close_server_in_request (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(RawClient) a = raw_client_handshake (fixture);
  g_autoptr(RawClient) b = raw_client_handshake (fixture);
  g_autoptr(RawClient) c = raw_client_new (fixture);

  wait_opened (fixture, 3);
  fixture->on_request = ON_REQUEST_CLOSE_SERVER;
  raw_send (b, "F:{\"type\":\"status\"}");
  raw_expect (fixture, b, "ACK EOT");
  raw_expect_eof (fixture, b);
  raw_expect (fixture, a, "EOT");
  raw_expect_eof (fixture, a);
  raw_expect (fixture, c, "EOT");
  raw_expect_eof (fixture, c);

  g_assert_cmpuint (fixture->n_closed, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_error ((GError *) reason_of (fixture, g_array_index (fixture->opened, guint64, i)),
                    EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 0);
  g_assert_cmpuint (central_monitor_server_get_port (fixture->server), ==, 0);
}

static void
test_max_links (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(EvLink) first = NULL;
  g_autoptr(EvLink) second = NULL;
  g_autoptr(EvLink) fourth = NULL;
  g_autoptr(RawClient) raw = NULL;
  ConnectResult refused;

  central_monitor_server_set_max_links (fixture->server, 2);
  first = connect_ok (fixture);
  second = connect_ok (fixture);

  refused = connect_link (fixture);
  g_assert_error (refused.error, EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);
  g_clear_error (&refused.error);
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, last_opened (fixture)),
                  EV_LINK_ERROR, EV_LINK_ERROR_REFUSED);

  /* On the wire: NACK, then the server closes at once. */
  raw = raw_client_new (fixture);
  raw_send (raw, "ENQ");
  raw_expect (fixture, raw, "NACK");
  raw_expect_eof (fixture, raw);
  wait_closed (fixture, 2);

  /* A place freed is a place taken again. */
  ev_link_close (first);
  wait_closed (fixture, 3);
  fourth = connect_ok (fixture);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 2);

  g_assert_finalize_object (g_steal_pointer (&first));
}

static void
test_split_and_merged (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(RawClient) client = raw_client_new (fixture);
  g_autoptr(GByteArray) bytes = build ("ENQ F:{\"type\":\"status\",\"state\":\"ACTIVE\"}");
  guint64 id;

  wait_opened (fixture, 1);
  id = last_opened (fixture);

  /* Byte by byte, the context running between writes. */
  for (guint i = 0; i < bytes->len; i++)
    {
      raw_send_bytes (client, bytes->data + i, 1);
      ev_test_sleep_spinning (fixture->context, 2);
    }
  raw_expect (fixture, client, "ACK ACK F:{\"re\":{\"type\":\"status\",\"state\":\"ACTIVE\"}}");
  g_assert_cmpstr (g_hash_table_lookup (fixture->requests, &id), ==,
                   "{\"type\":\"status\",\"state\":\"ACTIVE\"}");

  /* The ACK of a response merged with the next request, and with a
   * repeated ENQ. */
  raw_send (client, "ACK F:{\"n\":2}");
  raw_expect (fixture, client, "ACK F:{\"re\":{\"n\":2}}");
  raw_send (client, "ACK ENQ F:{\"n\":3}");
  raw_expect (fixture, client, "ACK ACK F:{\"re\":{\"n\":3}}");
  g_assert_cmpuint (fixture->n_requests, ==, 3);

  /* A frame split across two writes with a pause between them. */
  g_byte_array_set_size (bytes, 0);
  g_assert_true (ev_frame_encode_append (bytes, "{\"n\":4}", 7, NULL));
  raw_send (client, "ACK");
  raw_send_bytes (client, bytes->data, 4);
  ev_test_sleep_spinning (fixture->context, 30);
  g_assert_cmpuint (fixture->n_requests, ==, 3);
  raw_send_bytes (client, bytes->data + 4, bytes->len - 4);
  raw_expect (fixture, client, "ACK F:{\"re\":{\"n\":4}}");
  g_assert_cmpuint (fixture->n_closed, ==, 0);
}

static void
test_bad_frames (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(RawClient) client = raw_client_handshake (fixture);
  g_autoptr(RawClient) early = NULL;
  guint64 id = last_opened (fixture);

  /* Two bad frames, then a good one resets the count. */
  raw_send (client, "BAD:{\"n\":1} BAD:{\"n\":2}");
  raw_expect (fixture, client, "NACK NACK");
  raw_send (client, "F:{\"n\":3}");
  raw_expect (fixture, client, "ACK F:{\"re\":{\"n\":3}}");
  raw_send (client, "ACK BAD:{\"n\":4} BAD:{\"n\":5}");
  raw_expect (fixture, client, "NACK NACK");
  g_assert_cmpuint (fixture->n_closed, ==, 0);

  /* The third in a row closes the link. */
  raw_send (client, "BAD:{\"n\":6}");
  raw_expect (fixture, client, "NACK EOT");
  raw_expect_eof (fixture, client);
  wait_closed (fixture, 1);
  g_assert_error ((GError *) reason_of (fixture, id), EV_LINK_ERROR, EV_LINK_ERROR_TOO_MANY_BAD_FRAMES);

  /* A frame before the handshake breaks the protocol. */
  early = raw_client_new (fixture);
  raw_send (early, "F:{\"n\":7}");
  raw_expect (fixture, early, "EOT");
  raw_expect_eof (fixture, early);
  wait_closed (fixture, 2);
  g_assert_error ((GError *) reason_of (fixture, last_opened (fixture)),
                  EV_LINK_ERROR, EV_LINK_ERROR_PROTOCOL);
  g_assert_cmpuint (fixture->n_requests, ==, 1);
}

static void
test_server_close (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EvLink *links[3];
  g_autoptr(RawClient) handshaking = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    links[i] = connect_ok (fixture);
  handshaking = raw_client_new (fixture);
  wait_opened (fixture, 4);

  central_monitor_server_close (fixture->server);
  g_assert_cmpuint (fixture->n_closed, ==, 4);
  g_assert_cmpuint (central_monitor_server_get_n_links (fixture->server), ==, 0);
  g_assert_cmpuint (central_monitor_server_get_port (fixture->server), ==, 0);
  for (guint i = 0; i < 4; i++)
    g_assert_error ((GError *) reason_of (fixture, g_array_index (fixture->opened, guint64, i)),
                    EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);

  raw_expect (fixture, handshaking, "EOT");
  raw_expect_eof (fixture, handshaking);
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      ev_test_wait_until (fixture->context, link_is_closed, links[i], WAIT_MS, "client closed");
      g_assert_error ((GError *) ev_link_get_close_reason (links[i]), EV_LINK_ERROR, EV_LINK_ERROR_EOT);
      g_assert_finalize_object (links[i]);
    }

  /* Closing twice changes nothing; the server can listen again. */
  central_monitor_server_close (fixture->server);
  g_assert_cmpuint (fixture->n_closed, ==, 4);
  g_assert_true (central_monitor_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  links[0] = connect_ok (fixture);
  g_assert_cmpuint (fixture->opened->len, ==, 5);
  g_assert_finalize_object (links[0]);
  wait_closed (fixture, 5);
}

static void
test_respond_unknown (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RawClient) client = NULL;
  guint64 id;

  g_assert_false (central_monitor_server_respond (fixture->server, 12345, "{}", -1, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "12345"));
  g_clear_error (&error);
  g_assert_null (central_monitor_server_get_peer (fixture->server, 12345));

  /* A link that is open but has no request. */
  client = raw_client_handshake (fixture);
  id = last_opened (fixture);
  g_assert_false (central_monitor_server_respond (fixture->server, id, "{}", -1, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_NO_REQUEST);
  g_clear_error (&error);

  /* A link that was closed. */
  fixture->on_request = ON_REQUEST_KEEP;
  raw_send (client, "F:{\"n\":1}");
  raw_expect (fixture, client, "ACK");
  raw_send (client, "EOT");
  wait_closed (fixture, 1);
  g_assert_false (central_monitor_server_respond (fixture->server, id, "{}", -1, &error));
  g_assert_error (error, EV_LINK_ERROR, EV_LINK_ERROR_CLOSED);
  central_monitor_server_close_link (fixture->server, id);
  g_assert_cmpuint (fixture->n_closed, ==, 1);
}

static void
test_dispose_with_links (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(RawClient) client = raw_client_handshake (fixture);
  g_autoptr(RawClient) handshaking = raw_client_new (fixture);

  wait_opened (fixture, 2);

  /* Disposing closes every link, without telling the owner. */
  g_assert_finalize_object (g_steal_pointer (&fixture->server));
  g_assert_cmpuint (fixture->n_closed, ==, 0);
  raw_expect (fixture, client, "EOT");
  raw_expect_eof (fixture, client);
  raw_expect (fixture, handshaking, "EOT");
  raw_expect_eof (fixture, handshaking);
}

#define ADD_TEST(path, func) \
  g_test_add ("/monitor-server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/monitor-server/new-destroy", test_new_destroy);
  g_test_add_func ("/monitor-server/listen-other-addresses", test_listen_other_addresses);
  g_test_add_func ("/monitor-server/bad-address", test_bad_address);
  ADD_TEST ("listen-port", test_listen_port);
  ADD_TEST ("round-trip", test_round_trip);
  ADD_TEST ("respond-later", test_respond_later);
  ADD_TEST ("many-links", test_many_links);
  ADD_TEST ("client-closes", test_client_closes);
  ADD_TEST ("eot-from-client", test_eot_from_client);
  ADD_TEST ("timeouts", test_timeouts);
  ADD_TEST ("close-link-in-request", test_close_link_in_request);
  ADD_TEST ("close-server-in-request", test_close_server_in_request);
  ADD_TEST ("max-links", test_max_links);
  ADD_TEST ("split-and-merged", test_split_and_merged);
  ADD_TEST ("bad-frames", test_bad_frames);
  ADD_TEST ("server-close", test_server_close);
  ADD_TEST ("respond-unknown", test_respond_unknown);
  ADD_TEST ("dispose-with-links", test_dispose_with_links);

  return g_test_run ();
}

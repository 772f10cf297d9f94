/* TLS on the monitor ↔ Central link: Central's GnuTLS end inside its epoll
 * loop (CentralMonitorServer) against GIO's TLS client (EvLink), with
 * certificates made by certtool at test time. */

#include "config.h"

#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "central-core.h"
#include "central-headless.h"
#include "central-monitor-server.h"
#include "central-peers.h"
#include "ev-link.h"
#include "ev-tls.h"
#include "station-fleet.h"
#include "station-monitor.h"
#include "test-utils.h"

#define WAIT_MS 10000
#define N_FLEET 300

/* ---------------------------------------------------------------------
 * Certificates.
 * --------------------------------------------------------------------- */

typedef struct {
  char *dir;
} Certs;

static Certs certs;

static char *
cert_path (const char *name)
{
  return g_build_filename (certs.dir, name, NULL);
}

static void
certtool (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "certtool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (certs.dir, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("certtool %s failed: %s", args[0], err);
}

static void
make_key (const char *name)
{
  certtool ((const char *[]) { "--generate-privkey", "--key-type=ecdsa", "--outfile", name, NULL });
}

static void
write_template (const char *name,
                const char *text)
{
  g_autofree char *path = cert_path (name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
make_ca (const char *prefix,
         const char *cn)
{
  g_autofree char *key = g_strdup_printf ("%s-key.pem", prefix);
  g_autofree char *cert = g_strdup_printf ("%s.pem", prefix);
  g_autofree char *tmpl = g_strdup_printf ("%s.tmpl", prefix);
  g_autofree char *text = g_strdup_printf ("cn = \"%s\"\nca\ncert_signing_key\nexpiration_days = 30\n", cn);

  write_template (tmpl, text);
  make_key (key);
  certtool ((const char *[]) { "--generate-self-signed", "--load-privkey", key,
                               "--template", tmpl, "--outfile", cert, NULL });
}

/* @prefix.pem and @prefix-key.pem, signed by the CA @ca. */
static void
make_cert (const char *prefix,
           const char *ca,
           const char *template_text)
{
  g_autofree char *key = g_strdup_printf ("%s-key.pem", prefix);
  g_autofree char *cert = g_strdup_printf ("%s.pem", prefix);
  g_autofree char *tmpl = g_strdup_printf ("%s.tmpl", prefix);
  g_autofree char *ca_cert = g_strdup_printf ("%s.pem", ca);
  g_autofree char *ca_key = g_strdup_printf ("%s-key.pem", ca);

  write_template (tmpl, template_text);
  make_key (key);
  certtool ((const char *[]) { "--generate-certificate", "--load-privkey", key,
                               "--load-ca-certificate", ca_cert, "--load-ca-privkey", ca_key,
                               "--template", tmpl, "--outfile", cert, NULL });
}

static void
make_certs (void)
{
  certs.dir = ev_test_make_tmpdir ();
  make_ca ("ca", "EV Test CA");
  make_ca ("other-ca", "Somebody Else's CA");
  make_cert ("server", "ca",
             "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
             "tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 30\n");
  make_cert ("expired", "ca",
             "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
             "tls_www_server\nsigning_key\nencryption_key\n"
             "activation_date = \"2020-01-01 00:00:00\"\nexpiration_date = \"2020-06-01 00:00:00\"\n");
  make_cert ("client", "ca",
             "cn = \"CP1\"\ntls_www_client\nsigning_key\nexpiration_days = 30\n");
}

/* ---------------------------------------------------------------------
 * A server and what it reported.
 * --------------------------------------------------------------------- */

typedef struct {
  GMainContext *context;
  CentralMonitorServer *server;
  guint n_opened;
  guint n_closed;
  guint n_requests;
  GError *last_reason;
  char *last_peer_name;
} Fixture;

static void
link_opened_cb (CentralMonitorServer *server,
                guint64               link_id,
                const char           *peer,
                gpointer              user_data)
{
  Fixture *fixture = user_data;

  fixture->n_opened++;
}

static void
request_cb (CentralMonitorServer *server,
            guint64               link_id,
            const char           *text,
            gsize                 len,
            gpointer              user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *response = g_strdup_printf ("{\"re\":%s}", text);
  g_autoptr(GError) error = NULL;

  fixture->n_requests++;
  g_free (fixture->last_peer_name);
  fixture->last_peer_name = g_strdup (central_monitor_server_get_peer_name (server, link_id));
  central_monitor_server_set_authenticated (server, link_id);
  g_assert_true (central_monitor_server_respond (server, link_id, response, -1, &error));
}

static void
link_closed_cb (CentralMonitorServer *server,
                guint64               link_id,
                const GError         *reason,
                gpointer              user_data)
{
  Fixture *fixture = user_data;

  fixture->n_closed++;
  g_clear_error (&fixture->last_reason);
  fixture->last_reason = g_error_copy (reason);
}

static const CentralMonitorServerCallbacks callbacks = {
  .link_opened = link_opened_cb,
  .request = request_cb,
  .link_closed = link_closed_cb,
};

/* A server on 127.0.0.1 with @cert (NULL: plain TCP). */
static void
fixture_start (Fixture    *fixture,
               const char *cert,
               const char *client_ca)
{
  g_autoptr(GError) error = NULL;

  fixture->context = g_main_context_ref_thread_default ();
  fixture->server = central_monitor_server_new (&callbacks, fixture);
  if (cert != NULL)
    {
      g_autofree char *cert_file = g_strdup_printf ("%s/%s.pem", certs.dir, cert);
      g_autofree char *key_file = g_strdup_printf ("%s/%s-key.pem", certs.dir, cert);
      g_autofree char *ca_file = client_ca != NULL ? g_strdup_printf ("%s/%s.pem", certs.dir, client_ca) : NULL;
      g_autoptr(EvTlsServer) tls = ev_tls_server_new (cert_file, key_file, ca_file, &error);

      g_assert_no_error (error);
      central_monitor_server_set_tls (fixture->server, tls);
    }
  g_assert_true (central_monitor_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
}

static void
fixture_stop (Fixture *fixture)
{
  g_assert_finalize_object (fixture->server);
  g_clear_error (&fixture->last_reason);
  g_free (fixture->last_peer_name);
  g_main_context_unref (fixture->context);
}

static void
wait_closed (Fixture *fixture,
             guint    n)
{
  while (fixture->n_closed < n)
    {
      gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

      g_main_context_iteration (fixture->context, TRUE);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
    }
}

typedef struct {
  gboolean done;
  EvLink *link;
  GError *error;
  char *response;
} Result;

static void
connect_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Result *r = user_data;

  r->link = ev_link_connect_finish (result, &r->error);
  r->done = TRUE;
}

static void
request_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Result *r = user_data;

  r->response = ev_link_request_finish (EV_LINK (source), result, &r->error);
  r->done = TRUE;
}

/* Connects to the fixture's server as @host, through @tls (NULL: plain). */
static Result
connect_as (Fixture     *fixture,
            const char  *host,
            EvTlsClient *tls)
{
  g_autofree char *address = g_strdup_printf ("%s:%u", host, central_monitor_server_get_port (fixture->server));
  Result r = { 0 };

  ev_link_connect_to_host_tls_async (address, 0, WAIT_MS, tls, NULL, connect_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "connect");
  g_assert_true ((r.link == NULL) != (r.error == NULL));
  return r;
}

static EvTlsClient *
client_new (const char *ca,
            const char *fingerprint,
            const char *cert)
{
  g_autofree char *ca_file = ca != NULL ? cert_path (ca) : NULL;
  g_autofree char *cert_file = cert != NULL ? g_strdup_printf ("%s/%s.pem", certs.dir, cert) : NULL;
  g_autofree char *key_file = cert != NULL ? g_strdup_printf ("%s/%s-key.pem", certs.dir, cert) : NULL;
  g_autoptr(GError) error = NULL;
  EvTlsClient *client = ev_tls_client_new (ca_file, fingerprint, cert_file, key_file, &error);

  g_assert_no_error (error);
  return client;
}

/* A request goes through the link and its answer comes back. */
static void
assert_round_trip (Fixture *fixture,
                   EvLink  *link)
{
  Result r = { 0 };

  ev_link_request_async (link, "{\"type\":\"status\",\"state\":\"ACTIVE\"}", NULL, request_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.response, ==, "{\"re\":{\"type\":\"status\",\"state\":\"ACTIVE\"}}");
  g_free (r.response);
}

static void
close_link (Fixture *fixture,
            EvLink  *link)
{
  guint closed = fixture->n_closed;

  ev_link_close (link);
  g_object_unref (link);
  wait_closed (fixture, closed + 1);
}

/* ---------------------------------------------------------------------
 * Tests.
 * --------------------------------------------------------------------- */

static void
test_good_ca (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  Result r;

  fixture_start (&fixture, "server", NULL);

  /* The certificate names both; an IP address is checked against its
   * IP subjectAltName, a name against its DNS names. */
  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  close_link (&fixture, r.link);

  r = connect_as (&fixture, "localhost", tls);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  /* No client certificate was asked for. */
  g_assert_null (fixture.last_peer_name);
  close_link (&fixture, r.link);

  fixture_stop (&fixture);
}

static void
test_fingerprint (void)
{
  Fixture fixture = { 0 };
  g_autofree char *server_pem = cert_path ("server.pem");
  g_autofree char *other_pem = cert_path ("expired.pem");
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = ev_tls_fingerprint_of_file (server_pem, &error);
  g_autofree char *other = ev_tls_fingerprint_of_file (other_pem, &error);
  g_autofree char *bare = NULL;
  g_autoptr(EvTlsClient) good = NULL;
  g_autoptr(EvTlsClient) wrong = NULL;
  Result r;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (fingerprint), ==, 32 * 3 - 1);

  /* Without colons, in lower case, it is the same fingerprint. */
  bare = g_ascii_strdown (fingerprint, -1);
  for (char *p = bare, *q = bare;; p++)
    if (*p != ':' && (*q++ = *p) == '\0')
      break;
  good = client_new (NULL, bare, NULL);
  wrong = client_new (NULL, other, NULL);

  fixture_start (&fixture, "server", NULL);

  r = connect_as (&fixture, "127.0.0.1", good);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  close_link (&fixture, r.link);

  r = connect_as (&fixture, "127.0.0.1", wrong);
  g_assert_error (r.error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (r.error->message, fingerprint));
  g_assert_nonnull (strstr (r.error->message, "pinned"));
  g_clear_error (&r.error);
  /* Central saw the handshake fail. */
  wait_closed (&fixture, 2);
  g_assert_true (fixture.last_reason->domain == EV_TLS_ERROR);

  fixture_stop (&fixture);
}

static void
test_bad_fingerprint_option (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ev_tls_parse_fingerprint ("AB:CD", NULL, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_null (ev_tls_client_new (NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_null (ev_tls_server_new ("/nonexistent/cert.pem", "/nonexistent/key.pem", NULL, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/cert.pem"));
}

static void
test_wrong_ca (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("other-ca.pem", NULL, NULL);
  Result r;

  fixture_start (&fixture, "server", NULL);

  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_error (r.error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (r.error->message, "not signed by the CA"));
  g_clear_error (&r.error);
  wait_closed (&fixture, 1);
  g_assert_true (fixture.last_reason->domain == EV_TLS_ERROR);
  g_assert_cmpuint (fixture.n_requests, ==, 0);

  fixture_stop (&fixture);
}

static void
test_expired (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  Result r;

  fixture_start (&fixture, "expired", NULL);

  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_error (r.error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (r.error->message, "expired on 2020-06-01"));
  g_clear_error (&r.error);
  wait_closed (&fixture, 1);

  fixture_stop (&fixture);
}

static void
test_plain_client_on_tls_port (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  Result r;

  fixture_start (&fixture, "server", NULL);

  r = connect_as (&fixture, "127.0.0.1", NULL);
  g_assert_error (r.error, EV_LINK_ERROR, EV_LINK_ERROR_TLS_MISMATCH);
  g_assert_nonnull (strstr (r.error->message, "expects TLS"));
  g_clear_error (&r.error);
  wait_closed (&fixture, 1);
  g_assert_error (fixture.last_reason, EV_TLS_ERROR, EV_TLS_ERROR_NOT_TLS);

  /* Central goes on serving. */
  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  close_link (&fixture, r.link);

  fixture_stop (&fixture);
}

static void
test_tls_client_on_plain_port (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  Result r;

  fixture_start (&fixture, NULL, NULL);

  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_error (r.error, EV_TLS_ERROR, EV_TLS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (r.error->message, "does it serve TLS"));
  g_clear_error (&r.error);
  wait_closed (&fixture, 1);
  g_assert_error (fixture.last_reason, EV_LINK_ERROR, EV_LINK_ERROR_TLS_MISMATCH);

  fixture_stop (&fixture);
}

static void
test_client_certificates (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) without = client_new ("ca.pem", NULL, NULL);
  g_autoptr(EvTlsClient) with = client_new ("ca.pem", NULL, "client");
  Result r;

  fixture_start (&fixture, "server", "ca");

  r = connect_as (&fixture, "127.0.0.1", without);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
  wait_closed (&fixture, 1);
  g_assert_error (fixture.last_reason, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (fixture.last_reason->message, "no certificate"));

  r = connect_as (&fixture, "127.0.0.1", with);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  g_assert_cmpstr (fixture.last_peer_name, ==, "CP1");
  close_link (&fixture, r.link);

  fixture_stop (&fixture);
}

static gboolean
closed_at_least_cb (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->n_closed >= 1;
}

/* A peer that sends half a ClientHello and stops must not hold up anyone
 * else, and the authentication deadline ends it. */
static void
test_stalled_handshake (void)
{
  Fixture fixture = { 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) stalled = NULL;

  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  /* A record header promising 512 bytes, and 3 of them. */
  const guint8 half_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01 };
  Result r;

  fixture_start (&fixture, "server", NULL);
  central_monitor_server_set_auth_timeout (fixture.server, 1500);

  address = g_strdup_printf ("127.0.0.1:%u", central_monitor_server_get_port (fixture.server));
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  stalled = g_socket_client_connect_to_host (socket_client, address, 0, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (stalled)),
                             half_hello, sizeof half_hello, NULL, NULL, &error);
  g_assert_no_error (error);

  r = connect_as (&fixture, "127.0.0.1", tls);
  g_assert_no_error (r.error);
  assert_round_trip (&fixture, r.link);
  g_assert_cmpuint (fixture.n_closed, ==, 0);

  ev_test_wait_until (fixture.context, closed_at_least_cb, &fixture, WAIT_MS, "the stalled link closed");
  g_assert_error (fixture.last_reason, EV_LINK_ERROR, EV_LINK_ERROR_NOT_AUTHENTICATED);
  /* The good link stays. */
  assert_round_trip (&fixture, r.link);
  close_link (&fixture, r.link);

  fixture_stop (&fixture);
}

/* ---------------------------------------------------------------------
 * Central's core over TLS.
 * --------------------------------------------------------------------- */

typedef struct {
  GPtrArray *tls_events;   /* JsonObject of every `tls` event */
  guint n_failed;
} CoreEvents;

static void
core_event_cb (CentralCore  *core,
               CentralEvent *event,
               gpointer      user_data)
{
  CoreEvents *events = user_data;

  if (g_str_equal (central_event_get_name (event), "tls"))
    g_ptr_array_add (events->tls_events, central_headless_event_to_json (event));
  else if (g_str_equal (central_event_get_name (event), "tls-failed"))
    events->n_failed++;
}

static CentralCore *
core_start (PeerBroker  *broker,
            const char  *dir,
            gboolean     tls,
            gboolean     client_certs,
            CoreEvents  *events)
{
  g_autofree char *db = g_build_filename (dir, tls ? "tls.db" : "plain.db", NULL);
  g_autofree char *cert = cert_path ("server.pem");
  g_autofree char *key = cert_path ("server-key.pem");
  g_autofree char *ca = cert_path ("ca.pem");
  g_autoptr(GError) error = NULL;
  CentralCore *core = g_object_new (CENTRAL_TYPE_CORE,
                                    "listen", "127.0.0.1:0",
                                    "bootstrap", peer_broker_get_bootstrap (broker),
                                    "db-path", db,
                                    "tls-cert", tls ? cert : NULL,
                                    "tls-key", tls ? key : NULL,
                                    "tls-client-ca", client_certs ? ca : NULL,
                                    /* Not about approval (issue 14). */
                                    "auto-approve", TRUE,
                                    NULL);

  g_signal_connect (core, "event", G_CALLBACK (core_event_cb), events);
  g_assert_true (central_core_start (core, &error));
  g_assert_no_error (error);
  return core;
}

static EvLinkResponse *
request (Fixture    *fixture,
         EvLink     *link,
         const char *json)
{
  Result r = { 0 };
  EvLinkResponse *response;

  ev_link_request_async (link, json, NULL, request_done_cb, &r);
  ev_test_wait_flag (fixture->context, &r.done, WAIT_MS, "response");
  g_assert_no_error (r.error);
  response = ev_link_response_from_json (r.response, -1, NULL);
  g_assert_nonnull (response);
  g_free (r.response);
  return response;
}

/* Central says whether its links are encrypted; with client certificates,
 * a link speaks only for the CP its certificate names. */
static void
test_core (void)
{
  PeerBroker *broker = peer_broker_start ();
  g_autofree char *dir = ev_test_make_tmpdir ();
  CoreEvents events = { g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref), 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, "client");
  g_autoptr(EvLinkResponse) other = NULL;
  g_autoptr(EvLinkResponse) own = NULL;
  g_autofree char *expected = NULL;
  Fixture fixture = { 0 };
  CentralCore *core;
  JsonObject *event;
  Result r = { 0 };
  g_autofree char *address = NULL;

  fixture.context = g_main_context_ref_thread_default ();

  core = core_start (broker, dir, FALSE, FALSE, &events);
  g_assert_cmpuint (events.tls_events->len, ==, 1);
  event = g_ptr_array_index (events.tls_events, 0);
  g_assert_false (json_object_get_boolean_member (event, "encrypted"));
  g_assert_false (json_object_has_member (event, "fingerprint"));
  g_assert_null (central_core_get_tls_fingerprint (core));
  central_core_shutdown (core);
  g_assert_finalize_object (core);

  core = core_start (broker, dir, TRUE, TRUE, &events);
  g_assert_cmpuint (events.tls_events->len, ==, 2);
  event = g_ptr_array_index (events.tls_events, 1);
  g_assert_true (json_object_get_boolean_member (event, "encrypted"));
  g_assert_true (json_object_get_boolean_member (event, "client_certs"));
  {
    g_autofree char *server_pem = cert_path ("server.pem");

    expected = ev_tls_fingerprint_of_file (server_pem, NULL);
  }
  g_assert_cmpstr (json_object_get_string_member (event, "fingerprint"), ==, expected);
  g_assert_cmpstr (central_core_get_tls_fingerprint (core), ==, expected);

  address = g_strdup_printf ("127.0.0.1:%u", central_core_get_port (core));
  ev_link_connect_to_host_tls_async (address, 0, WAIT_MS, tls, NULL, connect_done_cb, &r);
  ev_test_wait_flag (fixture.context, &r.done, WAIT_MS, "connect");
  g_assert_no_error (r.error);

  /* The certificate says CP1. */
  other = request (&fixture, r.link, "{\"type\":\"register\",\"cp_id\":\"CP2\",\"location\":\"Alicante\"}");
  g_assert_cmpint (other->status, ==, EV_LINK_STATUS_DENIED);
  g_assert_cmpint (other->reason, ==, EV_LINK_REASON_BOUND_TO_OTHER_CP);
  own = request (&fixture, r.link, "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"Alicante\"}");
  g_assert_cmpint (own->status, ==, EV_LINK_STATUS_REGISTERED);

  ev_link_close (r.link);
  g_object_unref (r.link);
  central_core_shutdown (core);
  g_assert_finalize_object (core);
  g_ptr_array_unref (events.tls_events);
  peer_broker_stop (broker);
  ev_test_rm_rf (dir);
  g_main_context_unref (fixture.context);
}

static gboolean
fleet_up_cb (gpointer user_data)
{
  StationFleet *fleet = user_data;
  g_autoptr(JsonObject) stats = station_fleet_stats (fleet);

  return json_object_get_int_member (stats, "links_up") == N_FLEET &&
         json_object_get_int_member (stats, "status_answered") >= N_FLEET;
}

/* The fleet's many links speak TLS from its epoll loop too. */
static void
test_fleet (void)
{
  PeerBroker *broker = peer_broker_start ();
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  CoreEvents events = { g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref), 0 };
  g_autoptr(EvTlsClient) tls = client_new ("ca.pem", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *central = NULL;
  StationFleetConfig config;
  StationFleet *fleet;
  CentralCore *core;

  core = core_start (broker, dir, TRUE, FALSE, &events);
  central = g_strdup_printf ("127.0.0.1:%u", central_core_get_port (core));

  station_fleet_config_init (&config);
  config.count = N_FLEET;
  config.prefix = "TLS";
  config.central = central;
  config.bootstrap = peer_broker_get_bootstrap (broker);
  config.token_dir = tokens;
  config.stats_interval_ms = 0;
  config.tls = tls;
  fleet = station_fleet_new (&config);
  g_assert_true (station_fleet_start (fleet, &error));
  g_assert_no_error (error);

  ev_test_wait_until (NULL, fleet_up_cb, fleet, 60000, "every CP of the fleet up and reporting over TLS");
  g_assert_cmpuint (events.n_failed, ==, 0);
  g_assert_cmpuint (central_core_get_n_links (core), ==, N_FLEET);

  station_fleet_shutdown (fleet);
  g_assert_finalize_object (fleet);
  central_core_shutdown (core);
  g_assert_finalize_object (core);
  g_ptr_array_unref (events.tls_events);
  peer_broker_stop (broker);
  ev_test_rm_rf (dir);
}

/* The fleet's side: GnuTLS on a non-blocking socket, as its epoll loop
 * drives it, against the server on the same main context. */
static EvTlsIo
gnutls_client_handshake (Fixture      *fixture,
                         EvTlsClient  *client,
                         GError      **error)
{
  struct sockaddr_in address = { .sin_family = AF_INET,
                                 .sin_port = htons (central_monitor_server_get_port (fixture->server)),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gint64 end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  EvTlsConn *conn;
  EvTlsIo io;

  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (fcntl (fd, F_SETFL, O_NONBLOCK), ==, 0);
  conn = ev_tls_conn_new_client (client, fd, "127.0.0.1", NULL);
  while ((io = ev_tls_conn_handshake (conn, error)) == EV_TLS_IO_AGAIN)
    {
      g_main_context_iteration (fixture->context, FALSE);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
    }
  ev_tls_conn_free (conn);
  close (fd);
  return io;
}

static void
test_gnutls_client (void)
{
  Fixture fixture = { 0 };
  g_autofree char *server_pem = cert_path ("server.pem");
  g_autofree char *fingerprint = ev_tls_fingerprint_of_file (server_pem, NULL);
  g_autoptr(EvTlsClient) good = client_new ("ca.pem", NULL, NULL);
  g_autoptr(EvTlsClient) pinned = client_new (NULL, fingerprint, NULL);
  g_autoptr(EvTlsClient) other_ca = client_new ("other-ca.pem", NULL, NULL);
  g_autoptr(EvTlsClient) wrong_pin = client_new (NULL, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                                                       "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", NULL);
  g_autoptr(GError) error = NULL;

  fixture_start (&fixture, "server", NULL);

  g_assert_cmpint (gnutls_client_handshake (&fixture, good, &error), ==, EV_TLS_IO_OK);
  g_assert_no_error (error);
  g_assert_cmpint (gnutls_client_handshake (&fixture, pinned, &error), ==, EV_TLS_IO_OK);
  g_assert_no_error (error);

  g_assert_cmpint (gnutls_client_handshake (&fixture, other_ca, &error), ==, EV_TLS_IO_ERROR);
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_clear_error (&error);
  g_assert_cmpint (gnutls_client_handshake (&fixture, wrong_pin, &error), ==, EV_TLS_IO_ERROR);
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, fingerprint));
  g_clear_error (&error);

  fixture_stop (&fixture);

  /* An expired certificate, even from the right CA. */
  fixture_start (&fixture, "expired", NULL);
  g_assert_cmpint (gnutls_client_handshake (&fixture, good, &error), ==, EV_TLS_IO_ERROR);
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, "expired"));
  fixture_stop (&fixture);
}

static gboolean
monitor_checks (gboolean     tls,
                const char  *ca,
                const char  *fingerprint,
                GError     **error)
{
  g_autoptr(StationMonitor) monitor = g_object_new (STATION_TYPE_MONITOR,
                                                    "cp-id", "CP1",
                                                    "engine", "127.0.0.1:7100",
                                                    "central", "127.0.0.1:7001",
                                                    "tls", tls,
                                                    "tls-ca", ca,
                                                    "tls-fingerprint", fingerprint,
                                                    NULL);

  return station_monitor_check (monitor, error);
}

/* A monitor told to use TLS has what it needs at start, or does not
 * start: it never falls back to plain TCP. */
static void
test_monitor_options (void)
{
  g_autofree char *ca = cert_path ("ca.pem");
  g_autoptr(GError) error = NULL;

  g_assert_true (monitor_checks (FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (monitor_checks (FALSE, ca, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (monitor_checks (TRUE, NULL, NULL, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_false (monitor_checks (TRUE, ca, "AB", &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_false (monitor_checks (TRUE, NULL, "not hex", &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_OPTIONS);
  g_clear_error (&error);
  g_assert_false (monitor_checks (FALSE, "/nonexistent/ca.pem", NULL, &error));
  g_assert_error (error, EV_TLS_ERROR, EV_TLS_ERROR_FILE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *certtool_path = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  certtool_path = g_find_program_in_path ("certtool");
  if (certtool_path == NULL)
    {
      g_printerr ("certtool (Debian gnutls-bin) is needed to make the test certificates\n");
      return 1;
    }
  make_certs ();

  g_test_add_func ("/tls/good-ca", test_good_ca);
  g_test_add_func ("/tls/fingerprint", test_fingerprint);
  g_test_add_func ("/tls/bad-options", test_bad_fingerprint_option);
  g_test_add_func ("/tls/wrong-ca", test_wrong_ca);
  g_test_add_func ("/tls/expired", test_expired);
  g_test_add_func ("/tls/plain-client-on-tls-port", test_plain_client_on_tls_port);
  g_test_add_func ("/tls/tls-client-on-plain-port", test_tls_client_on_plain_port);
  g_test_add_func ("/tls/client-certificates", test_client_certificates);
  g_test_add_func ("/tls/stalled-handshake", test_stalled_handshake);
  g_test_add_func ("/tls/core", test_core);
  g_test_add_func ("/tls/fleet", test_fleet);
  g_test_add_func ("/tls/monitor-options", test_monitor_options);
  g_test_add_func ("/tls/gnutls-client", test_gnutls_client);

  status = g_test_run ();
  ev_test_rm_rf (certs.dir);
  g_free (certs.dir);
  return status;
}

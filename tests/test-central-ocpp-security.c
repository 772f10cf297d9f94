/* test-central-ocpp-security.c: OCPP security profile 2 at Central
 * (docs/ocpp.md, "Security profile 2"): the key file, Basic credentials,
 * and Central's endpoint in-process against a private ev-broker, played
 * by a libsoup client: handshakes with and without the right key, and the
 * per-address limits on handshakes and boots (docs/protocol.md,
 * "Registration, tokens and link limits"). tests/e2e/e2e-ocpp-tls.py
 * runs the same over TLS with the real programs. */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "central-core.h"
#include "central-event.h"
#include "central-ocpp-security.h"
#include "central-peers.h"
#include "ev-ocpp-keys.h"
#include "test-utils.h"

#define WAIT_MS PEER_WAIT_MS
#define KEY_1 "0123456789abcdef-one"
#define KEY_2 "0123456789abcdef-two"
#define WRONG "0123456789abcdef-bad"

static PeerBroker *broker;

/* The key file and Basic credentials -------------------------------------- */

static void
test_keys_parse (void)
{
  static const char *bad[] = {
    "CP1\n",
    "CP1 0123456789abcdef extra\n",
    "not/an/id 0123456789abcdef\n",
    "CP1 0123456789abcde\n",                               /* 15 bytes */
    "CP1 0123456789abcdef0123456789abcdef012345678\n",     /* 41 bytes */
    "CP1 0123456789abcdef\xc3\xa9\n",
    "CP1 0123456789abcdef\nCP1 0123456789abcdeg\n",
  };
  g_autoptr(GHashTable) keys = NULL;
  g_autoptr(GError) error = NULL;

  keys = ev_ocpp_keys_parse ("# the chargers\n\nCP1 0123456789abcdef\n  CP2\t\t" KEY_2 "  \n"
                             "CP3 0123456789abcdef0123456789abcdef01234567\n", "keys", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 3);
  g_assert_cmpstr (g_hash_table_lookup (keys, "CP1"), ==, "0123456789abcdef");
  g_assert_cmpstr (g_hash_table_lookup (keys, "CP2"), ==, KEY_2);
  g_assert_cmpuint (strlen (g_hash_table_lookup (keys, "CP3")), ==, EV_OCPP_KEY_MAX);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) problem = NULL;
      g_autoptr(GHashTable) none = ev_ocpp_keys_parse (bad[i], "keys", &problem);

      g_assert_null (none);
      g_assert_nonnull (problem);
      /* The line, never the key. */
      g_assert_true (g_str_has_prefix (problem->message, "keys, line "));
      g_assert_null (strstr (problem->message, "0123456789abcde"));
    }
}

static void
test_basic_auth (void)
{
  g_autofree char *header = ev_ocpp_basic_auth_encode ("CP1", "pass:word");
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  static const char *bad[] = {
    NULL, "", "Bearer Q1AxOnB3", "Basic ", "Basic Q1AxcHc=" /* CP1pw: no colon */,
    "Basic Q1Ax*nB3", "Basic AENQMTpwdw==" /* a NUL byte */,
  };

  g_assert_cmpstr (header, ==, "Basic Q1AxOnBhc3M6d29yZA==");
  g_assert_true (ev_ocpp_basic_auth_decode (header, &user, &password));
  g_assert_cmpstr (user, ==, "CP1");
  g_assert_cmpstr (password, ==, "pass:word");
  g_clear_pointer (&user, g_free);
  g_clear_pointer (&password, g_free);
  g_assert_true (ev_ocpp_basic_auth_decode ("basic   Q1AxOg==", &user, &password));
  g_assert_cmpstr (user, ==, "CP1");
  g_assert_cmpstr (password, ==, "");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *u = NULL;
      g_autofree char *p = NULL;

      g_assert_false (ev_ocpp_basic_auth_decode (bad[i], &u, &p));
      g_assert_null (u);
      g_assert_null (p);
    }
}

static void
test_path_cp_id (void)
{
  g_autofree char *plain = central_ocpp_path_cp_id ("/ocpp/CP-1");
  g_autofree char *escaped = central_ocpp_path_cp_id ("/ocpp/CP%2D2");

  g_assert_cmpstr (plain, ==, "CP-1");
  g_assert_cmpstr (escaped, ==, "CP-2");
  g_assert_null (central_ocpp_path_cp_id ("/ocpp/"));
  g_assert_null (central_ocpp_path_cp_id ("/ocpp"));
  g_assert_null (central_ocpp_path_cp_id ("/ocpp/a/b"));
  g_assert_null (central_ocpp_path_cp_id ("/ocpp/not%20an%20id"));
  g_assert_null (central_ocpp_path_cp_id ("/other/CP1"));
}

static char *
write_keys (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "ocpp-keys", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "OK1 " KEY_1 "\nOK2 " KEY_2 "\n", -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
test_keys_check (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *path = write_keys (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(CentralOcppKeys) keys = central_ocpp_keys_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (central_ocpp_keys_count (keys), ==, 2);
  g_assert_true (central_ocpp_keys_check (keys, "OK1", KEY_1));
  g_assert_true (central_ocpp_keys_check (keys, "OK2", KEY_2));
  g_assert_false (central_ocpp_keys_check (keys, "OK1", KEY_2));
  g_assert_false (central_ocpp_keys_check (keys, "OK1", WRONG));
  g_assert_false (central_ocpp_keys_check (keys, "OK1", "0123456789abcdef-on"));
  g_assert_false (central_ocpp_keys_check (keys, "OK1", ""));
  g_assert_false (central_ocpp_keys_check (keys, "OK1", NULL));
  g_assert_false (central_ocpp_keys_check (keys, "OK3", KEY_1));
  g_assert_false (central_ocpp_keys_check (keys, "OK3", ""));
  ev_test_rm_rf (dir);
}

/* Central's endpoint, in-process ------------------------------------------ */

typedef struct
{
  char *tmpdir;
  char *keys_path;
  CentralCore *core;
  GPtrArray *events;          /* "name\treason\tmessage" */
} Fixture;

static void
event_cb (CentralCore  *core,
          CentralEvent *event,
          gpointer      user_data)
{
  Fixture *f = user_data;
  const CentralEventData *data = central_event_get_data (event);

  g_ptr_array_add (f->events, g_strdup_printf ("%s\t%s\t%s", central_event_get_name (event),
                                               data->reason != NULL ? data->reason : "",
                                               central_event_get_message (event)));
}

/* Central on a fresh database, its OCPP endpoint on loopback, with the
 * keys of OK1 and OK2 if @keys; loopback peers count for the limits. */
static void
core_start (Fixture  *f,
            gboolean  keys,
            gboolean  auto_approve)
{
  g_autofree char *db = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *group = g_strconcat ("ocpp-security-", uuid, NULL);
  g_autoptr(GError) error = NULL;

  f->tmpdir = ev_test_make_tmpdir ();
  db = g_build_filename (f->tmpdir, "central.db", NULL);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->core = g_object_new (CENTRAL_TYPE_CORE,
                          "listen", "127.0.0.1:0",
                          "bootstrap", peer_broker_get_bootstrap (broker),
                          "db-path", db,
                          "group", group,
                          "limit-loopback", TRUE,
                          /* Long enough not to end within a test. */
                          "auth-backoff", 60000,
                          "auto-approve", auto_approve,
                          NULL);
  central_core_set_ocpp_listen (f->core, "127.0.0.1:0");
  if (keys)
    {
      f->keys_path = write_keys (f->tmpdir);
      central_core_set_ocpp_keys (f->core, f->keys_path);
    }
  g_signal_connect (f->core, "event", G_CALLBACK (event_cb), f);
  g_assert_true (central_core_start (f->core, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (central_core_get_ocpp_port (f->core), !=, 0);
}

static void
core_stop (Fixture *f)
{
  central_core_shutdown (f->core);
  g_signal_handlers_disconnect_by_data (f->core, f);
  g_assert_finalize_object (g_steal_pointer (&f->core));
  ev_test_rm_rf (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->keys_path);
  g_ptr_array_unref (f->events);
}

/* The last event called @name, or %NULL. */
static const char *
last_event (Fixture    *f,
            const char *name)
{
  g_autofree char *prefix = g_strconcat (name, "\t", NULL);

  for (guint i = f->events->len; i > 0; i--)
    if (g_str_has_prefix (f->events->pdata[i - 1], prefix))
      return f->events->pdata[i - 1];
  return NULL;
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done;
  char *received;
} Client;

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Client *client = user_data;

  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &client->error);
  client->done = TRUE;
}

/* A handshake for /ocpp/@cp_id with Basic credentials of @user and
 * @password (none if @user is %NULL). Returns the HTTP status: 101 once
 * upgraded (then *@ws is the connection, if asked for). */
static guint
handshake (Fixture                  *f,
           const char               *cp_id,
           const char               *user,
           const char               *password,
           SoupWebsocketConnection **ws)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/ocpp/%s", central_core_get_ocpp_port (f->core), cp_id);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  const char *protocols[] = { "ocpp1.6", NULL };
  Client client = { 0 };
  guint status;

  if (user != NULL)
    {
      g_autofree char *credentials = ev_ocpp_basic_auth_encode (user, password);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", credentials);
    }
  soup_session_websocket_connect_async (session, msg, NULL, (char **) protocols, G_PRIORITY_DEFAULT,
                                        NULL, connected_cb, &client);
  ev_test_wait_flag (NULL, &client.done, WAIT_MS, "the handshake");
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_UNAUTHORIZED)
    g_assert_nonnull (soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate"));
  g_clear_error (&client.error);
  if (ws != NULL)
    *ws = g_steal_pointer (&client.ws);
  g_clear_object (&client.ws);
  return status;
}

static void
message_cb (SoupWebsocketConnection *ws,
            int                      type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Client *client = user_data;

  client->received = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
received (gpointer user_data)
{
  return ((Client *) user_data)->received != NULL;
}

/* Boots @cp_id on a new link; returns the status of the answer. */
static char *
boot (Fixture    *f,
      const char *cp_id)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(JsonNode) answer = NULL;
  Client client = { 0 };
  char *status;

  g_assert_cmpuint (handshake (f, cp_id, NULL, NULL, &ws), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
  g_signal_connect (ws, "message", G_CALLBACK (message_cb), &client);
  soup_websocket_connection_send_text (ws, "[2,\"1\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\"}]");
  ev_test_wait_until (NULL, received, &client, WAIT_MS, "the answer to a boot");
  answer = json_from_string (client.received, NULL);
  g_assert_nonnull (answer);
  status = g_strdup (json_object_get_string_member (json_array_get_object_element (json_node_get_array (answer), 2),
                                                    "status"));
  g_signal_handlers_disconnect_by_data (ws, &client);
  soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_free (client.received);
  return status;
}

static void
test_handshake_auth (void)
{
  Fixture f = { 0 };
  const char *denied;

  core_start (&f, TRUE, TRUE);
  g_assert_cmpuint (handshake (&f, "OK1", NULL, NULL, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (handshake (&f, "OK1", "OK1", KEY_1, NULL), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);

  g_assert_cmpuint (handshake (&f, "OK1", "OK1", WRONG, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
  denied = last_event (&f, "auth-denied");
  g_assert_nonnull (denied);
  g_assert_true (g_str_has_prefix (denied, "auth-denied\tbad-token\t"));
  g_assert_nonnull (strstr (denied, "wrong key"));
  g_assert_null (strstr (denied, "0123456789"));

  /* Another charger's credentials under this one's path. */
  g_assert_cmpuint (handshake (&f, "OK2", "OK1", KEY_1, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (last_event (&f, "auth-denied"), "auth-denied\tbound-to-other-cp\t"));
  /* A CP id without a key. */
  g_assert_cmpuint (handshake (&f, "OK3", "OK3", KEY_1, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_nonnull (strstr (last_event (&f, "auth-denied"), "no key"));
  g_assert_cmpuint (handshake (&f, "OK2", "OK2", KEY_2, NULL), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
  core_stop (&f);
}

/* Wrong keys back off as wrong tokens do: 3 in a row for a CP id, 10
 * from an address whatever the ids; meanwhile even the right key hears
 * 429. */
static void
test_wrong_keys_back_off (void)
{
  Fixture f = { 0 };

  core_start (&f, TRUE, TRUE);
  for (int i = 0; i < 3; i++)
    g_assert_cmpuint (handshake (&f, "OK1", "OK1", WRONG, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (handshake (&f, "OK1", "OK1", KEY_1, NULL), ==, CENTRAL_OCPP_STATUS_TOO_MANY_REQUESTS);
  g_assert_true (g_str_has_prefix (last_event (&f, "auth-denied"), "auth-denied\trate-limited\t"));
  g_assert_cmpuint (handshake (&f, "OK2", "OK2", KEY_2, NULL), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);

  for (int i = 0; i < 7; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("X%d", i);

      g_assert_cmpuint (handshake (&f, cp_id, cp_id, WRONG, NULL), ==, SOUP_STATUS_UNAUTHORIZED);
    }
  g_assert_cmpuint (handshake (&f, "OK2", "OK2", KEY_2, NULL), ==, CENTRAL_OCPP_STATUS_TOO_MANY_REQUESTS);
  core_stop (&f);
}

/* Boots of new CP ids draw on the address's budget of 16 registrations;
 * a known CP boots regardless. */
static void
test_boot_budget (void)
{
  Fixture f = { 0 };

  core_start (&f, FALSE, TRUE);
  for (int i = 0; i < 16; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("FL%02d", i);
      g_autofree char *status = boot (&f, cp_id);

      g_assert_cmpstr (status, ==, "Accepted");
    }
  {
    g_autofree char *status = boot (&f, "FL16");
    g_autofree char *again = NULL;

    g_assert_cmpstr (status, ==, "Rejected");
    g_assert_true (g_str_has_prefix (last_event (&f, "auth-denied"), "auth-denied\trate-limited\t"));
    again = boot (&f, "FL00");
    g_assert_cmpstr (again, ==, "Accepted");
  }
  core_stop (&f);
}

/* At most 16 CPs from one address await approval. */
static void
test_boot_pending_limit (void)
{
  Fixture f = { 0 };

  core_start (&f, FALSE, FALSE);
  for (int i = 0; i < 16; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("PL%02d", i);
      g_autofree char *status = boot (&f, cp_id);

      g_assert_cmpstr (status, ==, "Pending");
    }
  {
    g_autofree char *status = boot (&f, "PL16");

    g_assert_cmpstr (status, ==, "Rejected");
    g_assert_true (g_str_has_prefix (last_event (&f, "auth-denied"), "auth-denied\ttoo-many-pending\t"));
  }
  core_stop (&f);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/central-ocpp-security/keys-parse", test_keys_parse);
  g_test_add_func ("/central-ocpp-security/basic-auth", test_basic_auth);
  g_test_add_func ("/central-ocpp-security/keys-check", test_keys_check);
  g_test_add_func ("/central-ocpp-security/path-cp-id", test_path_cp_id);
  g_test_add_func ("/central-ocpp-security/handshake-auth", test_handshake_auth);
  g_test_add_func ("/central-ocpp-security/wrong-keys-back-off", test_wrong_keys_back_off);
  g_test_add_func ("/central-ocpp-security/boot-budget", test_boot_budget);
  g_test_add_func ("/central-ocpp-security/boot-pending-limit", test_boot_pending_limit);
  broker = peer_broker_start ();
  status = g_test_run ();
  peer_broker_stop (broker);
  return status;
}

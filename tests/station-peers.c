#include <glib.h>
#include <string.h>

#include "ev-protocol.h"
#include "ev-signing.h"
#include "station-peers.h"
#include "test-utils.h"

/* PeerServer -------------------------------------------------------------- */

struct _PeerServer
{
  GSocketService *service;
  guint port;
  PeerServerFunc func;
  gpointer user_data;
  GPtrArray *links;
  GPtrArray *requests;    /* EvLinkRequest, every one received */
  guint status_delay_ms;  /* answers to `status` leave this much later */
};

/* An answer held back (peer_server_set_status_delay()). */
typedef struct
{
  EvLink *link;
  char *json;
} Delayed;

static gboolean
delayed_answer_cb (gpointer user_data)
{
  Delayed *delayed = user_data;

  ev_link_respond (delayed->link, delayed->json, NULL);
  g_object_unref (delayed->link);
  g_free (delayed->json);
  g_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
server_request_cb (EvLink     *link,
                   const char *text,
                   gpointer    user_data)
{
  PeerServer *server = user_data;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(EvLinkResponse) response = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  request = ev_link_request_parse (text, -1, &reason, NULL);
  if (request == NULL)
    response = ev_link_response_new_for_reason (reason);
  else
    {
      g_ptr_array_add (server->requests, ev_link_request_copy (request));
      response = server->func (server, request, server->user_data);
    }

  if (response != NULL && request != NULL && request->type == EV_LINK_REQUEST_STATUS &&
      server->status_delay_ms > 0)
    {
      Delayed *delayed = g_new0 (Delayed, 1);

      delayed->link = g_object_ref (link);
      delayed->json = ev_link_response_to_json (response, NULL);
      g_timeout_add (server->status_delay_ms, delayed_answer_cb, delayed);
    }
  else if (response != NULL)
    {
      g_autofree char *json = ev_link_response_to_json (response, NULL);

      ev_link_respond (link, json, NULL);
    }
}

/**
 * peer_server_set_status_delay:
 * @server: a server
 * @delay_ms: how long each answer to a `status` is held back; 0 for none
 *
 * Plays a slow Central: the answers leave @delay_ms after their request.
 */
void
peer_server_set_status_delay (PeerServer *server,
                              guint       delay_ms)
{
  server->status_delay_ms = delay_ms;
}

static void
server_closed_cb (EvLink       *link,
                  const GError *reason,
                  gpointer      user_data)
{
  PeerServer *server = user_data;

  g_signal_handlers_disconnect_by_data (link, server);
  g_ptr_array_remove (server->links, link);
}

static gboolean
server_incoming_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source,
                    gpointer           user_data)
{
  PeerServer *server = user_data;
  EvLink *link = ev_link_new_server (connection);

  g_signal_connect (link, "request", G_CALLBACK (server_request_cb), server);
  g_signal_connect (link, "closed", G_CALLBACK (server_closed_cb), server);
  g_ptr_array_add (server->links, link);
  return TRUE;
}

/* Listens on 127.0.0.1:@port (0: any free port). */
PeerServer *
peer_server_new (guint          port,
                 PeerServerFunc func,
                 gpointer       user_data)
{
  PeerServer *server = g_new0 (PeerServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  server->func = func;
  server->user_data = user_data;
  server->links = g_ptr_array_new_with_free_func (g_object_unref);
  server->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_link_request_free);
  server->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (server->service, "incoming", G_CALLBACK (server_incoming_cb), server);
  g_socket_service_start (server->service);
  return server;
}

guint
peer_server_get_port (PeerServer *server)
{
  return server->port;
}

char *
peer_server_dup_address (PeerServer *server)
{
  return g_strdup_printf ("127.0.0.1:%u", server->port);
}

guint
peer_server_count (PeerServer        *server,
                   EvLinkRequestType  type)
{
  guint n = 0;

  for (guint i = 0; i < server->requests->len; i++)
    if (((EvLinkRequest *) g_ptr_array_index (server->requests, i))->type == type)
      n++;
  return n;
}

const EvLinkRequest *
peer_server_last (PeerServer        *server,
                  EvLinkRequestType  type)
{
  for (guint i = server->requests->len; i > 0; i--)
    {
      const EvLinkRequest *request = g_ptr_array_index (server->requests, i - 1);

      if (request->type == type)
        return request;
    }
  return NULL;
}

typedef struct
{
  PeerServer *server;
  EvLinkRequestType type;
  guint count;
} CountWait;

static gboolean
count_reached (gpointer user_data)
{
  CountWait *wait = user_data;

  return peer_server_count (wait->server, wait->type) >= wait->count;
}

void
peer_server_wait_count (PeerServer        *server,
                        EvLinkRequestType  type,
                        guint              count)
{
  CountWait wait = { server, type, count };
  g_autofree char *what = g_strdup_printf ("%u “%s” requests", count, ev_link_request_type_to_string (type));

  ev_test_wait_until (NULL, count_reached, &wait, PEER_WAIT_MS, what);
}

typedef struct
{
  PeerServer *server;
  EvEngineHealth health;
} StatusWait;

static gboolean
status_reported (gpointer user_data)
{
  StatusWait *wait = user_data;
  const EvLinkRequest *status = peer_server_last (wait->server, EV_LINK_REQUEST_STATUS);

  return status != NULL && status->engine == wait->health;
}

void
peer_server_wait_status (PeerServer     *server,
                         EvEngineHealth  health,
                         guint           timeout_ms)
{
  StatusWait wait = { server, health };
  g_autofree char *what = g_strdup_printf ("a status with the engine %s", ev_engine_health_to_string (health));

  ev_test_wait_until (NULL, status_reported, &wait, timeout_ms, what);
}

guint
peer_server_get_n_links (PeerServer *server)
{
  return server->links->len;
}

/* Stops listening and drops every link at once, like a process that died. */
void
peer_server_free (PeerServer *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  for (guint i = 0; i < server->links->len; i++)
    {
      EvLink *link = g_ptr_array_index (server->links, i);

      g_signal_handlers_disconnect_by_data (link, server);
      g_io_stream_close (ev_link_get_stream (link), NULL, NULL);
    }
  g_ptr_array_unref (server->links);
  g_ptr_array_unref (server->requests);
  g_free (server);
}

/* Test Central ---------------------------------------------------------------- */

void
peer_central_init (PeerCentral *central)
{
  central->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  central->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  central->price = 0.35;
}

void
peer_central_clear (PeerCentral *central)
{
  g_clear_pointer (&central->tokens, g_hash_table_unref);
  g_clear_pointer (&central->nonces, g_hash_table_unref);
}

EvLinkResponse *
peer_central_func (PeerServer          *server,
                   const EvLinkRequest *request,
                   gpointer             user_data)
{
  PeerCentral *central = user_data;
  EvLinkResponse *response;
  const char *token;

  switch (request->type)
    {
    case EV_LINK_REQUEST_AUTH:
      token = g_hash_table_lookup (central->tokens, request->cp_id);
      if (token == NULL)
        return ev_link_response_new_denied (EV_LINK_REASON_UNKNOWN_CP);
      if (!g_str_equal (token, request->token))
        return ev_link_response_new_denied (EV_LINK_REASON_BAD_TOKEN);
      response = ev_link_response_new_authorized (central->price, "somewhere");
      response->pending = central->pending;
      response->cp_key = g_strdup (PEER_CP_KEY);
      return response;
    case EV_LINK_REQUEST_REGISTER:
      if (g_hash_table_contains (central->tokens, request->cp_id) &&
          (request->nonce == NULL ||
           g_strcmp0 (g_hash_table_lookup (central->nonces, request->cp_id), request->nonce) != 0))
        return ev_link_response_new_denied (EV_LINK_REASON_ALREADY_REGISTERED);
      token = g_strconcat ("token-", request->cp_id, NULL);
      g_hash_table_insert (central->tokens, g_strdup (request->cp_id), (char *) token);
      if (request->nonce != NULL)
        g_hash_table_insert (central->nonces, g_strdup (request->cp_id), g_strdup (request->nonce));
      if (central->lose_registered > 0)
        {
          central->lose_registered--;
          return NULL;
        }
      response = ev_link_response_new_registered (central->price, token);
      response->pending = central->pending;
      response->cp_key = g_strdup (PEER_CP_KEY);
      return response;
    case EV_LINK_REQUEST_STATUS:
      response = ev_link_response_new_ok_with_price (central->price);
      response->pending = central->pending;
      return response;
    default:
      return ev_link_response_new_unknown_type ();
    }
}

/* Test engine ----------------------------------------------------------------- */

EvLinkResponse *
peer_engine_func (PeerServer          *server,
                  const EvLinkRequest *request,
                  gpointer             user_data)
{
  PeerEngine *engine = user_data;
  EvCpState state = engine->ko ? EV_CP_STATE_BROKEN : EV_CP_STATE_ACTIVE;

  switch (request->type)
    {
    case EV_LINK_REQUEST_HELLO:
      if (engine->bound != NULL && !g_str_equal (engine->bound, request->cp_id))
        return ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
      if (engine->bound == NULL)
        engine->bound = g_strdup (request->cp_id);
      return ev_link_response_new_hello_ok ("Test street 1", state);
    case EV_LINK_REQUEST_HEALTH:
      return engine->silent ? NULL : ev_link_response_new_health (!engine->ko, state);
    case EV_LINK_REQUEST_CENTRAL:
      engine->central_reachable = request->reachable;
      return ev_link_response_new_ok ();
    case EV_LINK_REQUEST_PRICE:
      engine->price = request->price;
      return ev_link_response_new_ok ();
    case EV_LINK_REQUEST_KEY:
      g_free (engine->key);
      engine->key = g_strdup (request->key);
      return ev_link_response_new_ok ();
    default:
      return ev_link_response_new_unknown_type ();
    }
}

/* PeerKafka --------------------------------------------------------------------- */

struct _PeerKafka
{
  EvBus *reader;
  EvBus *producer;
  GPtrArray *data;       /* EvSupplyData */
  GPtrArray *requests;   /* EvSupplyRequest */
  EvSigningKey *key;     /* borrowed: signs what it publishes, when set */
  char *cp_key;          /* what the engines' messages must carry the MAC of; NULL: unchecked */
};

static void
kafka_message_cb (EvBus        *bus,
                  EvBusMessage *msg,
                  gpointer      user_data)
{
  PeerKafka *kafka = user_data;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : "";
  g_autoptr(GError) error = NULL;
  EvCpKey key;

  /* Everything an engine publishes carries its CP's MAC (a driver's
   * request, which a test may publish here, is signed otherwise). */
  if (kafka->cp_key != NULL &&
      (g_str_equal (ev_bus_message_get_topic (msg), "supply-data") || strstr (text, "\"origin\":\"station\"") != NULL))
    {
      g_assert_true (ev_cp_key_from_base64 (kafka->cp_key, &key, NULL));
      if (!ev_mac_message_verify (&key, 1, ev_bus_message_get_topic (msg), ev_bus_message_get_key (msg),
                                  text, length, NULL, &error))
        g_error ("The station published on %s without the MAC of its CP's key (%s): %.*s",
                 ev_bus_message_get_topic (msg), error->message, (int) length, text);
    }

  if (g_str_equal (ev_bus_message_get_topic (msg), "supply-data"))
    {
      EvSupplyData *data = ev_supply_data_from_json (text, length, NULL);

      g_assert_nonnull (data);
      g_ptr_array_add (kafka->data, data);
    }
  else
    {
      EvSupplyRequest *request = ev_supply_request_from_json (text, length, NULL);

      g_assert_nonnull (request);
      g_ptr_array_add (kafka->requests, request);
    }
  ev_bus_message_done (bus, msg);
}

PeerKafka *
peer_kafka_new (const char *bootstrap)
{
  const char * const topics[] = { "supply-data", "supply-req", NULL };
  PeerKafka *kafka = g_new0 (PeerKafka, 1);
  g_autoptr(GError) error = NULL;

  kafka->cp_key = g_strdup (PEER_CP_KEY);
  kafka->data = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  kafka->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_request_free);
  kafka->reader = ev_bus_new_reader (bootstrap, "peer-reader", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ev_bus_subscribe (kafka->reader, topics, &error));
  g_signal_connect (kafka->reader, "message", G_CALLBACK (kafka_message_cb), kafka);
  kafka->producer = ev_bus_new (bootstrap, NULL, "peer-central", NULL, &error);
  g_assert_no_error (error);
  return kafka;
}

/* Checks the engines' MACs against @key (base64; %NULL: not at all)
 * instead of PEER_CP_KEY: a real Central issues keys of its own. */
void
peer_kafka_set_cp_key (PeerKafka  *kafka,
                       const char *key)
{
  g_free (kafka->cp_key);
  kafka->cp_key = g_strdup (key);
}

void
peer_kafka_publish (PeerKafka  *kafka,
                    const char *topic,
                    const char *key,
                    const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *signed_json = NULL;

  if (kafka->key != NULL)
    {
      signed_json = ev_signed_message_sign (kafka->key, topic, key, json, strlen (json), NULL, &error);
      g_assert_no_error (error);
      json = signed_json;
    }
  g_assert_true (ev_bus_produce (kafka->producer, topic, key, json, strlen (json), &error));
  g_assert_no_error (error);
}

/* Signs what it publishes from now on with @key (borrowed), as Central
 * does, or nothing when @key is %NULL. */
void
peer_kafka_set_signing_key (PeerKafka    *kafka,
                            EvSigningKey *key)
{
  kafka->key = key;
}

/* Publishes a directive; a start is for driver @driver_id at 0.35 EUR/kWh. */
void
peer_kafka_directive (PeerKafka         *kafka,
                      const char        *target,
                      EvDirectiveAction  action,
                      const char        *supply_id,
                      const char        *driver_id,
                      gint64             expires)
{
  g_autoptr(EvDirective) directive = ev_directive_new (target, action, expires);
  g_autofree char *json = NULL;

  directive->supply_id = g_strdup (supply_id);
  directive->driver_id = g_strdup (driver_id);
  if (action == EV_DIRECTIVE_ACTION_START)
    {
      directive->has_price = TRUE;
      directive->price = 0.35;
    }
  json = ev_directive_to_json (directive, NULL);
  peer_kafka_publish (kafka, "central-directives", target, json);
}

static const EvSupplyData *
find_data (PeerKafka        *kafka,
           const char       *supply_id,
           EvSupplyDataKind  kind,
           guint             seq)
{
  for (guint i = 0; i < kafka->data->len; i++)
    {
      const EvSupplyData *data = g_ptr_array_index (kafka->data, i);

      if (g_str_equal (data->supply_id, supply_id) && data->kind == kind && (seq == 0 || data->seq == seq))
        return data;
    }
  return NULL;
}

typedef struct
{
  PeerKafka *kafka;
  const char *supply_id;
  EvSupplyDataKind kind;
  guint seq;
} DataWait;

static gboolean
data_found (gpointer user_data)
{
  DataWait *wait = user_data;

  return find_data (wait->kafka, wait->supply_id, wait->kind, wait->seq) != NULL;
}

/* Waits for a message of @supply_id of @kind (with @seq, or any when 0). */
const EvSupplyData *
peer_kafka_wait_data (PeerKafka        *kafka,
                      const char       *supply_id,
                      EvSupplyDataKind  kind,
                      guint             seq)
{
  DataWait wait = { kafka, supply_id, kind, seq };
  g_autofree char *what = g_strdup_printf ("%s %u of %s", ev_supply_data_kind_to_string (kind), seq, supply_id);

  ev_test_wait_until (NULL, data_found, &wait, PEER_WAIT_MS, what);
  return find_data (kafka, supply_id, kind, seq);
}

guint
peer_kafka_count_data (PeerKafka        *kafka,
                       const char       *supply_id,
                       EvSupplyDataKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < kafka->data->len; i++)
    {
      const EvSupplyData *data = g_ptr_array_index (kafka->data, i);

      n += g_str_equal (data->supply_id, supply_id) && data->kind == kind;
    }
  return n;
}

typedef struct
{
  PeerKafka *kafka;
  guint nth;
} RequestWait;

static gboolean
request_found (gpointer user_data)
{
  RequestWait *wait = user_data;

  return wait->kafka->requests->len >= wait->nth;
}

const EvSupplyRequest *
peer_kafka_wait_request (PeerKafka *kafka,
                         guint      nth)
{
  RequestWait wait = { kafka, nth };

  ev_test_wait_until (NULL, request_found, &wait, PEER_WAIT_MS, "a supply request");
  return g_ptr_array_index (kafka->requests, nth - 1);
}

void
peer_kafka_free (PeerKafka *kafka)
{
  g_free (kafka->cp_key);
  ev_bus_close (kafka->reader);
  ev_bus_close (kafka->producer);
  g_object_unref (kafka->reader);
  g_object_unref (kafka->producer);
  g_ptr_array_unref (kafka->data);
  g_ptr_array_unref (kafka->requests);
  g_free (kafka);
}

/* central-ocpp.c: Central's OCPP 1.6-J endpoint. Each WebSocket at
 * /ocpp/<CP_ID> is a link of that CP: BootNotification registers or
 * binds it, StatusNotification and Heartbeat keep its state, as the
 * framed protocol's register, auth and status do (central-links.c). */

#include "config.h"

#include "central-monitor-server-private.h"
#include "central-ocpp-private.h"
#include "central-ocpp-security.h"
#include "ev-address.h"
#include "ev-ocpp-frame.h"

/* OCPP link ids live apart from the monitor server's (a counter from 1),
 * so that CpRecord.link_id names either without confusion. */
#define OCPP_LINK_ID_BASE (G_GUINT64_CONSTANT (1) << 62)
/* What a charger awaiting approval is told to wait before booting again. */
#define PENDING_RETRY_S 5

static void
awaited_call_free (gpointer data)
{
  AwaitedCall *call = data;

  g_free (call->action);
  g_free (call->supply_id);
  g_free (call);
}

static void
charger_free (Charger *charger)
{
  g_signal_handlers_disconnect_by_data (charger->ws, charger);
  if (soup_websocket_connection_get_state (charger->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (charger->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (charger->ws);
  g_hash_table_destroy (charger->awaited);
  g_free (charger->remote_started);
  g_free (charger->cp_id);
  g_free (charger->peer);
  g_free (charger);
}

/* The mapping ------------------------------------------------------------- */

/**
 * central_ocpp_status_to_state:
 * @status: a ChargePointStatus of OCPP 1.6
 * @state: (out): our state for it
 *
 * Maps a StatusNotification's status to our CP states (docs/ocpp.md).
 *
 * Returns: %FALSE if @status is not one of 1.6
 */
gboolean
central_ocpp_status_to_state (const char *status,
                              EvCpState  *state)
{
  static const struct { const char *status; EvCpState state; } map[] = {
    { "Available", EV_CP_STATE_ACTIVE },
    { "Reserved", EV_CP_STATE_ACTIVE },
    { "Preparing", EV_CP_STATE_WAITING },
    { "Charging", EV_CP_STATE_SUPPLYING },
    { "SuspendedEV", EV_CP_STATE_SUPPLYING },
    { "SuspendedEVSE", EV_CP_STATE_SUPPLYING },
    { "Finishing", EV_CP_STATE_SUPPLYING },
    { "Unavailable", EV_CP_STATE_STOPPED },
    { "Faulted", EV_CP_STATE_BROKEN },
  };

  for (gsize i = 0; status != NULL && i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (status, map[i].status))
      {
        *state = map[i].state;
        return TRUE;
      }
  return FALSE;
}

/**
 * central_ocpp_heartbeat_interval:
 * @silence_timeout_ms: the core's silence timeout
 * @heartbeat_s: `--ocpp-heartbeat`, or 0
 *
 * Returns: the heartbeat interval, in seconds, that a BootNotification is
 *   answered with: @heartbeat_s when given; otherwise a charger beats at
 *   least twice within the silence timeout, and at most once a second
 */
guint
central_ocpp_heartbeat_interval (guint silence_timeout_ms,
                                 guint heartbeat_s)
{
  return heartbeat_s > 0 ? heartbeat_s : MAX (silence_timeout_ms / 2000, 1);
}

/**
 * central_ocpp_silence_ms:
 * @silence_timeout_ms: the core's silence timeout
 * @heartbeat_s: `--ocpp-heartbeat`, or 0
 *
 * Returns: how long an OCPP charger may say nothing before it is
 *   DISCONNECTED: the silence timeout, or two heartbeat intervals when
 *   they are longer (a closed socket is seen at once whatever this is)
 */
guint
central_ocpp_silence_ms (guint silence_timeout_ms,
                         guint heartbeat_s)
{
  guint64 two_beats = 2 * (guint64) central_ocpp_heartbeat_interval (silence_timeout_ms, heartbeat_s) * 1000;

  return (guint) MIN (MAX (two_beats, silence_timeout_ms), G_MAXUINT);
}

/**
 * central_ocpp_is_link:
 * @link_id: a CpRecord's link id
 *
 * Returns: whether @link_id names an OCPP charger's WebSocket
 */
gboolean
central_ocpp_is_link (guint64 link_id)
{
  return link_id >= OCPP_LINK_ID_BASE;
}

/* Sending ------------------------------------------------------------------ */

static void
send_message (Charger       *charger,
              EvOcppMessage *message)
{
  g_autofree char *text = ev_ocpp_message_encode (message, NULL);

  if (soup_websocket_connection_get_state (charger->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (charger->ws, text);
}

void
central_ocpp_send_result (Charger    *charger,
             const char *unique_id,
             JsonObject *payload)
{
  g_autoptr(EvOcppMessage) message = ev_ocpp_message_new_call_result (unique_id, payload);

  send_message (charger, message);
}

/* @reply is the CALLERROR that answers a CALL for @error. */
static void
send_refusal (Charger       *charger,
              EvOcppMessage *reply,
              const GError  *error)
{
  g_debug ("OCPP CALLERROR to %s: %s", charger->peer, error->message);
  send_message (charger, reply);
}

void
central_ocpp_send_error (Charger      *charger,
            const char   *unique_id,
            const GError *error)
{
  g_autoptr(EvOcppMessage) reply = ev_ocpp_message_new_call_error_for (unique_id, error);

  send_refusal (charger, reply, error);
}

/* Sends a CALL of Central's to @charger, for @supply_id if not %NULL;
 * its answer is checked when it comes (message_cb). */
void
central_ocpp_send_call (Charger    *charger,
                        const char *action,
                        JsonObject *payload,
                        const char *supply_id)
{
  AwaitedCall *call;
  g_autofree char *unique_id = g_strdup_printf ("%u", ++charger->calls);
  g_autoptr(EvOcppMessage) message = ev_ocpp_message_new_call (unique_id, action, payload);
  g_autoptr(GError) error = NULL;

  /* What we send is valid, or a bug of ours that no charger should see. */
  if (!ev_ocpp_schema_validate_message (charger->ocpp->schema, message, NULL, &error))
    {
      g_critical ("Invalid %s for %s: %s", action, charger->cp_id, error->message);
      return;
    }
  call = g_new0 (AwaitedCall, 1);
  call->action = g_strdup (action);
  call->supply_id = g_strdup (supply_id);
  g_hash_table_insert (charger->awaited, g_steal_pointer (&unique_id), call);
  send_message (charger, message);
}

/* The operator's stop or resume of the whole charger (connector 0). */
static void
send_availability (Charger  *charger,
                   gboolean  operative)
{
  g_autoptr(JsonObject) payload = json_object_new ();

  json_object_set_int_member (payload, "connectorId", 0);
  json_object_set_string_member (payload, "type", operative ? "Operative" : "Inoperative");
  central_ocpp_send_call (charger, "ChangeAvailability", payload, NULL);
}

static void
set_current_time (JsonObject *payload)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  json_object_set_string_member (payload, "currentTime", text);
}

/* The record of @charger's CP while @charger is its link, else %NULL. */
static CpRecord *
bound_record (Charger *charger)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = g_hash_table_lookup (core->records, charger->cp_id);

  return rec != NULL && rec->link_id == charger->link_id ? rec : NULL;
}

/* Heard from @rec's charger now: a silent CP comes back. */
static void
heard_from (CentralCore *core,
            CpRecord    *rec)
{
  gboolean was_silent = rec->silent;

  rec->last_status_us = g_get_monotonic_time ();
  rec->silent = FALSE;
  if (was_silent)
    central_update_state (core, rec);
}

/* The CP's location: where it says nothing, what it is. */
static char *
boot_location (JsonObject *payload)
{
  g_autofree char *location = g_strdup_printf ("%s %s",
                                               json_object_get_string_member (payload, "chargePointVendor"),
                                               json_object_get_string_member (payload, "chargePointModel"));

  if (!ev_protocol_validate_location (location, "location", NULL))
    return g_strdup ("OCPP");
  return g_steal_pointer (&location);
}

/* A CP id Central has never seen: registered, pending unless
 * --auto-approve. Returns %NULL if the limits or the store refused. */
static CpRecord *
register_cp (Charger    *charger,
             JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvChargingPoint) cp = NULL;
  g_autofree char *location = boot_location (payload);
  g_autofree char *token = NULL;
  g_autofree char *message = NULL;
  double price = central_registration_price (core);
  CentralEventData data = { .cp_id = charger->cp_id, .location = location, .price = price,
                            .peer = charger->peer, .pending = !core->auto_approve };
  CpRecord *rec;

  /* The limits of a monitor's registration (central-links.c). */
  if ((!core->auto_approve && central_check_too_many_pending (core, charger->peer, charger->cp_id)) ||
      !central_take_register_budget (core, charger->peer, charger->cp_id))
    return NULL;
  /* The token is for the framed protocol: an OCPP charger proves its CP
   * id with its key from --ocpp-keys (central-ocpp-security.c). */
  token = ev_store_register_cp_pending (core->store, charger->cp_id, location, price,
                                        NULL, !core->auto_approve, &error);
  if (token == NULL)
    {
      message = g_strdup_printf (_("Could not register charging point %s: %s"),
                                 charger->cp_id, error->message);
      central_emit_error (core, message);
      return NULL;
    }

  cp = ev_charging_point_new (charger->cp_id);
  ev_charging_point_set_location (cp, location);
  ev_charging_point_set_price (cp, price);
  ev_charging_point_set_pending (cp, !core->auto_approve);
  rec = central_add_cp (core, cp);
  if (!core->auto_approve)
    rec->pending_address = central_peer_address (charger->peer);

  if (core->auto_approve)
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh)"),
                               charger->cp_id, location, price);
  else
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh); it awaits your approval"),
                               charger->cp_id, location, price);
  central_emit (core, CENTRAL_EVENT_CP_REGISTERED, CENTRAL_LOG_INFO, message, &data);
  return rec;
}

static void
bind_charger (Charger  *charger,
              CpRecord *rec)
{
  CentralCore *core = charger->ocpp->core;
  guint64 previous = rec->link_id;

  if (previous == charger->link_id)
    return;
  /* The newest link of a CP wins, as on the monitor port. */
  if (previous >= OCPP_LINK_ID_BASE)
    g_hash_table_remove (charger->ocpp->chargers, &previous);
  else if (previous != 0)
    central_monitor_server_close_link (core->server, previous);

  rec->link_id = charger->link_id;
  rec->silent = FALSE;
  rec->status_seen = FALSE;
  rec->last_status_us = g_get_monotonic_time ();
  rec->reported = EV_CP_STATE_ACTIVE;
  central_update_state (core, rec);
}

/* A known CP's new link. */
static void
emit_connected (Charger  *charger,
                CpRecord *rec)
{
  g_autofree char *message = g_strdup_printf (_("Charging point %s connected from %s"),
                                              charger->cp_id, charger->peer);
  CentralEventData data = {
    .cp_id = charger->cp_id,
    .location = ev_charging_point_get_location (rec->cp),
    .price = ev_charging_point_get_price (rec->cp),
    .peer = charger->peer,
    .pending = ev_charging_point_get_pending (rec->cp),
  };

  central_emit (charger->ocpp->core, CENTRAL_EVENT_CP_AUTHENTICATED, CENTRAL_LOG_INFO, message, &data);
}

/* Actions ------------------------------------------------------------------ */

static void
handle_boot (Charger    *charger,
             const char *unique_id,
             JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = g_hash_table_lookup (core->records, charger->cp_id);
  g_autoptr(JsonObject) answer = json_object_new ();
  gboolean pending;

  if (rec == NULL)
    rec = register_cp (charger, payload);
  else if (rec->link_id != charger->link_id)
    emit_connected (charger, rec);

  set_current_time (answer);
  if (rec == NULL)
    {
      json_object_set_string_member (answer, "status", "Rejected");
      json_object_set_int_member (answer, "interval", PENDING_RETRY_S);
      central_ocpp_send_result (charger, unique_id, answer);
      return;
    }

  bind_charger (charger, rec);
  pending = ev_charging_point_get_pending (rec->cp);
  json_object_set_string_member (answer, "status", pending ? "Pending" : "Accepted");
  json_object_set_int_member (answer, "interval",
                              pending ? PENDING_RETRY_S : central_ocpp_heartbeat_interval (core->silence_timeout, core->ocpp_heartbeat));
  central_ocpp_send_result (charger, unique_id, answer);
  /* The operator's stop outlives the charger's reboots, as an engine's. */
  if (!pending && rec->stopped)
    send_availability (charger, FALSE);
}

/* The record of an accepted charger, or %NULL after answering its CALL
 * with a SecurityError. A charger whose socket dropped connects again
 * without a new boot and goes on with what it had queued: an approved
 * CP's link is its newest, as after a boot. */
CpRecord *
central_ocpp_accepted_record (Charger    *charger,
                              const char *unique_id)
{
  CpRecord *rec = g_hash_table_lookup (charger->ocpp->core->records, charger->cp_id);
  g_autoptr(GError) error = NULL;

  if (rec != NULL && !ev_charging_point_get_pending (rec->cp))
    {
      if (rec->link_id != charger->link_id)
        {
          emit_connected (charger, rec);
          bind_charger (charger, rec);
        }
      heard_from (charger->ocpp->core, rec);
      return rec;
    }
  g_set_error (&error, EV_OCPP_ERROR, EV_OCPP_ERROR_SECURITY_ERROR,
               "The charge point has not been accepted by a BootNotification");
  central_ocpp_send_error (charger, unique_id, error);
  return NULL;
}

static void
handle_heartbeat (Charger    *charger,
                  const char *unique_id)
{
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  g_autoptr(JsonObject) answer = NULL;

  if (rec == NULL)
    return;
  answer = json_object_new ();
  set_current_time (answer);
  central_ocpp_send_result (charger, unique_id, answer);
}

static void
handle_status (Charger    *charger,
               const char *unique_id,
               JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  g_autoptr(JsonObject) answer = NULL;
  gint64 connector;
  EvCpState state;

  if (rec == NULL)
    return;
  answer = json_object_new ();
  central_ocpp_send_result (charger, unique_id, answer);

  /* Our CPs have one connector: 0 (the whole charger) or 1 speak for it. */
  connector = json_object_get_int_member (payload, "connectorId");
  if (connector > 1 ||
      !central_ocpp_status_to_state (json_object_get_string_member (payload, "status"), &state))
    return;
  rec->status_seen = TRUE;
  rec->reported = state;
  central_update_state (core, rec);
}

/* A CALL that ev_ocpp_frame_decode() found valid for its action. */
static void
handle_call (Charger       *charger,
             EvOcppMessage *call)
{
  const char *action = ev_ocpp_message_get_action (call);
  const char *unique_id = ev_ocpp_message_get_unique_id (call);
  JsonObject *payload = ev_ocpp_message_get_payload (call);
  g_autoptr(GError) error = NULL;

  if (g_str_equal (action, "BootNotification"))
    handle_boot (charger, unique_id, payload);
  else if (g_str_equal (action, "Heartbeat"))
    handle_heartbeat (charger, unique_id);
  else if (g_str_equal (action, "StatusNotification"))
    handle_status (charger, unique_id, payload);
  else if (g_str_equal (action, "StartTransaction"))
    central_ocpp_handle_start_transaction (charger, unique_id, payload);
  else if (g_str_equal (action, "MeterValues"))
    central_ocpp_handle_meter_values (charger, unique_id, payload);
  else if (g_str_equal (action, "StopTransaction"))
    central_ocpp_handle_stop_transaction (charger, unique_id, payload);
  else if (g_str_equal (action, "Authorize"))
    central_ocpp_handle_authorize (charger, unique_id, payload);
  else
    {
      g_set_error (&error, EV_OCPP_ERROR, EV_OCPP_ERROR_NOT_SUPPORTED,
                   "%s is not supported by this central system", action);
      central_ocpp_send_error (charger, unique_id, error);
    }
}

/* Which CALL of ours an answer answers (ev_ocpp_frame_decode()). */
static const char *
awaited_action (const char *unique_id,
                gpointer    user_data)
{
  Charger *charger = user_data;
  AwaitedCall *call = g_hash_table_lookup (charger->awaited, unique_id);

  return call != NULL ? call->action : NULL;
}

/* The answer to a CALL of ours, checked: a RemoteStartTransaction's
 * decides its supply, the others change nothing (the charger's
 * StatusNotification tells what it did). */
static void
handle_answer (Charger      *charger,
               EvOcppFrame  *frame,
               const GError *error)
{
  EvOcppMessage *answer = frame->message;
  const char *unique_id = ev_ocpp_message_get_unique_id (answer);
  AwaitedCall *call = g_hash_table_lookup (charger->awaited, unique_id);

  if (frame->kind == EV_OCPP_FRAME_CALL_ERROR)
    g_debug ("%s refused %s: %s %s", charger->cp_id, call->action,
             ev_ocpp_message_get_error_code (answer), ev_ocpp_message_get_error_description (answer));
  else if (frame->kind == EV_OCPP_FRAME_INVALID_RESULT)
    g_debug ("Invalid answer to %s from %s: %s", call->action, charger->cp_id, error->message);
  if (g_str_equal (call->action, "RemoteStartTransaction"))
    central_ocpp_remote_start_answered (charger, call,
                                        frame->kind != EV_OCPP_FRAME_INVALID_RESULT ? answer : NULL);
  g_hash_table_remove (charger->awaited, unique_id);
}

/* The WebSocket ------------------------------------------------------------ */

static void
message_cb (SoupWebsocketConnection *ws,
            int                      type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Charger *charger = user_data;
  g_auto(EvOcppFrame) frame = { 0 };
  g_autoptr(GError) error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_debug ("Unanswerable OCPP message from %s: OCPP-J messages are text", charger->peer);
      return;
    }

  switch (ev_ocpp_frame_decode (&frame, charger->ocpp->schema, data, length,
                                awaited_action, charger, &error))
    {
    case EV_OCPP_FRAME_CALL:
      handle_call (charger, frame.message);
      break;
    case EV_OCPP_FRAME_RESULT:
    case EV_OCPP_FRAME_CALL_ERROR:
    case EV_OCPP_FRAME_INVALID_RESULT:
      handle_answer (charger, &frame, error);
      break;
    case EV_OCPP_FRAME_REFUSED:
      send_refusal (charger, frame.reply, error);
      break;
    case EV_OCPP_FRAME_UNEXPECTED:
      g_debug ("OCPP answer from %s to no call of ours (%s)", charger->peer,
               ev_ocpp_message_get_unique_id (frame.message));
      break;
    case EV_OCPP_FRAME_MALFORMED:
    default:
      g_debug ("Unanswerable OCPP message from %s: %s", charger->peer, error->message);
      break;
    }
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Charger *charger = user_data;
  CentralOcpp *self = charger->ocpp;
  CpRecord *rec = bound_record (charger);
  guint64 link_id = charger->link_id;

  if (rec != NULL)
    {
      rec->link_id = 0;
      if (!rec->silent && !self->core->shutting_down)
        central_disconnect_cp (self->core, rec, _("The link was closed"));
    }
  g_hash_table_remove (self->chargers, &link_id);
}

/* Before the upgrade: with keys, a charger proves its CP id by Basic
 * auth (central-ocpp-security.c), or hears 401 (or 429 while its id or
 * address backs off) and never gets a WebSocket. */
static void
handshake_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  CentralOcpp *self = user_data;
  g_autofree char *cp_id = NULL;
  g_autofree char *peer = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  guint status;

  if (self->keys == NULL)
    return;
  /* websocket_cb() closes a link without a valid CP id. */
  if ((cp_id = central_ocpp_path_cp_id (path)) == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  peer = remote != NULL ? g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote)) : g_strdup ("?");
  status = central_ocpp_authorize (self->core, self->keys, cp_id, peer,
                                   soup_message_headers_get_one (headers, "Authorization"));
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Basic realm=\"ev-central\", charset=\"UTF-8\"");
  if (status != 0)
    soup_server_message_set_status (msg, status, NULL);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  CentralOcpp *self = user_data;
  g_autofree char *cp_id = NULL;
  g_autoptr(GError) error = NULL;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  Charger *charger;

  if (g_str_has_prefix (path, CENTRAL_OCPP_PATH "/"))
    cp_id = g_uri_unescape_string (path + strlen (CENTRAL_OCPP_PATH "/"), "/");
  if (cp_id == NULL || !ev_protocol_validate_cp_id (cp_id, "cp_id", &error))
    {
      g_debug ("OCPP connection to %s refused: %s", path,
               error != NULL ? error->message : "no charge point id");
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "the path is /ocpp/<charge point id>");
      return;
    }

  charger = g_new0 (Charger, 1);
  charger->ocpp = self;
  charger->link_id = OCPP_LINK_ID_BASE + ++self->next_id;
  charger->cp_id = g_steal_pointer (&cp_id);
  charger->peer = remote != NULL ? g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote))
                                 : g_strdup ("?");
  charger->ws = g_object_ref (ws);
  charger->awaited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, awaited_call_free);
  g_signal_connect (ws, "message", G_CALLBACK (message_cb), charger);
  g_signal_connect (ws, "closed", G_CALLBACK (closed_cb), charger);
  g_hash_table_insert (self->chargers, &charger->link_id, charger);
}

/* libsoup listens with GLib's backlog of 10: when thousands of chargers
 * connect at once, the kernel drops the SYNs beyond it and they try
 * again only after 1, 3, 7 s…  So the socket is the monitor port's, with
 * its backlog. */
static gboolean
listen_on (SoupServer               *server,
           GSocketAddress           *address,
           const char               *listen,
           SoupServerListenOptions   options,
           GError                  **error)
{
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  g_autoptr(GSocket) socket = NULL;
  guint bound_port;
  int fd;

  fd = central_monitor_open_listener (g_inet_socket_address_get_address (inet),
                                      g_inet_socket_address_get_port (inet), listen, &bound_port, error);
  if (fd < 0)
    return FALSE;
  socket = g_socket_new_from_fd (fd, error);
  if (socket == NULL)
    {
      close (fd);
      return FALSE;
    }
  return soup_server_listen_socket (server, socket, options, error);
}

/**
 * central_ocpp_find_charger:
 * @self: an endpoint
 * @cp_id: a CP id
 *
 * Returns: (nullable): the charger that is @cp_id's link now, if any
 */
Charger *
central_ocpp_find_charger (CentralOcpp *self,
                           const char  *cp_id)
{
  CpRecord *rec = g_hash_table_lookup (self->core->records, cp_id);

  return rec != NULL && rec->link_id >= OCPP_LINK_ID_BASE
         ? g_hash_table_lookup (self->chargers, &rec->link_id) : NULL;
}

/* Directives reach engines through Kafka; an OCPP charger gets the
 * operator's stop and resume as ChangeAvailability (and a stop ends its
 * transaction), and a supply's start as RemoteStartTransaction. */
static void
core_event_cb (CentralCore  *core,
               CentralEvent *event,
               gpointer      user_data)
{
  CentralOcpp *self = user_data;
  const CentralEventData *data = central_event_get_data (event);
  gboolean all, operative;
  GHashTableIter iter;
  Charger *charger;

  if (central_event_get_kind (event) != CENTRAL_EVENT_DIRECTIVE)
    return;
  if (g_strcmp0 (data->action, "start") == 0)
    {
      central_ocpp_remote_start (self, data->target);
      return;
    }
  if (g_strcmp0 (data->action, "stop") != 0 && g_strcmp0 (data->action, "resume") != 0)
    return;
  all = g_strcmp0 (data->target, EV_DIRECTIVE_TARGET_ALL) == 0;
  operative = g_str_equal (data->action, "resume");

  g_hash_table_iter_init (&iter, self->chargers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &charger))
    {
      CpRecord *rec = bound_record (charger);

      if (rec != NULL && !ev_charging_point_get_pending (rec->cp) &&
          (all || g_strcmp0 (data->target, charger->cp_id) == 0))
        {
          send_availability (charger, operative);
          if (!operative)
            central_ocpp_remote_stop (self, charger->cp_id);
        }
    }
}

/**
 * central_ocpp_new:
 * @core: the core the chargers are CPs of
 * @listen: "ADDR:PORT"; port 0 picks one
 * @error: return location for an error
 *
 * With the core's certificate (the monitor port's) the endpoint speaks
 * TLS; with the core's OCPP key file every handshake needs Basic auth;
 * with neither or one of them, @listen must be a loopback address
 * (central_ocpp_check_listen()).
 *
 * Returns: (transfer full) (nullable): the endpoint, listening
 */
CentralOcpp *
central_ocpp_new (CentralCore  *core,
                  const char   *listen,
                  GError      **error)
{
  const char *protocols[] = { "ocpp1.6", NULL };
  g_autofree char *host = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(CentralOcppKeys) keys = NULL;
  CentralOcpp *self;
  GSList *listeners;
  guint16 port;

  if (core->tls_cert != NULL &&
      (certificate = g_tls_certificate_new_from_files (core->tls_cert, core->tls_key, error)) == NULL)
    return NULL;
  if (core->ocpp_keys != NULL && (keys = central_ocpp_keys_load (core->ocpp_keys, error)) == NULL)
    return NULL;
  if (!central_ocpp_check_listen (listen, certificate != NULL && keys != NULL, error) ||
      !ev_address_split (listen, &host, &port, error))
    return NULL;
  address = g_inet_socket_address_new_from_string (g_str_equal (host, "localhost") ? "127.0.0.1" : host,
                                                   port);

  self = g_new0 (CentralOcpp, 1);
  self->core = core;
  self->schema = g_object_ref (ev_ocpp_schema_get_default ());
  self->chargers = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                          (GDestroyNotify) charger_free);
  self->keys = g_steal_pointer (&keys);
  self->server = soup_server_new ("server-header", "ev-central", "tls-certificate", certificate, NULL);
  soup_server_add_early_handler (self->server, CENTRAL_OCPP_PATH, handshake_cb, self, NULL);
  soup_server_add_websocket_handler (self->server, CENTRAL_OCPP_PATH, NULL, (char **) protocols,
                                     websocket_cb, self, NULL);
  if (address == NULL ||
      !listen_on (self->server, address, listen, certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    {
      if (address == NULL)
        g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                     _("Not an address: %s"), listen);
      central_ocpp_free (self);
      return NULL;
    }

  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL)
    bound = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  if (bound != NULL)
    self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->event_handler = g_signal_connect (core, "event", G_CALLBACK (core_event_cb), self);
  g_message ("OCPP 1.6-J chargers connect to %s://%s:%u" CENTRAL_OCPP_PATH "/<CP_ID>%s",
             certificate != NULL ? "wss" : "ws", host, self->port,
             self->keys != NULL ? " with Basic auth" : "");
  return self;
}

/**
 * central_ocpp_get_port:
 * @self: an endpoint
 *
 * Returns: the port it listens on
 */
guint
central_ocpp_get_port (CentralOcpp *self)
{
  return self->port;
}

/**
 * central_ocpp_free:
 * @self: an endpoint
 *
 * Closes every charger's link (without telling the core: it is shutting
 * down) and the server.
 */
void
central_ocpp_free (CentralOcpp *self)
{
  g_clear_signal_handler (&self->event_handler, self->core);
  soup_server_disconnect (self->server);
  g_hash_table_destroy (self->chargers);
  g_object_unref (self->server);
  g_clear_pointer (&self->keys, central_ocpp_keys_free);
  g_object_unref (self->schema);
  g_free (self);
}

/* station-engine-links.c: the engine's port for its monitor: pairing, the
 * monitor's requests (hello, health, central, price, key) and its links. */

#include "config.h"

#include "station-engine-private.h"

static void update_monitor_connected (StationEngine *self);

static void
link_pairing_free (gpointer data)
{
  LinkPairing *pairing = data;

  g_free (pairing->challenge);
  g_free (pairing->cp_id);
  g_free (pairing);
}

static LinkPairing *
link_pairing (EvLink *link)
{
  return g_object_get_data (G_OBJECT (link), "station-pairing");
}

static gboolean
link_is_paired (EvLink *link)
{
  LinkPairing *pairing = link_pairing (link);

  return pairing != NULL && pairing->cp_id != NULL;
}

/* %NULL when @request may go on: a `hello` proving the pairing for its
 * CP id, or anything on a link whose proved `hello` was answered ok. A
 * `hello` that proves nothing is answered with a challenge, anything
 * else unpaired is refused, and the engine hears of a stranger once per
 * link. */
static EvLinkResponse *
check_pairing (StationEngine       *self,
               LinkPairing         *pairing,
               const EvLinkRequest *request)
{
  g_autofree char *challenge = NULL;
  g_autoptr(GError) error = NULL;
  gboolean stranger;

  if (request->type != EV_LINK_REQUEST_HELLO && pairing->cp_id != NULL)
    return NULL;
  if (request->type == EV_LINK_REQUEST_HELLO && request->proof == NULL &&
      g_strcmp0 (request->cp_id, pairing->cp_id) == 0)
    return NULL;
  if (request->type == EV_LINK_REQUEST_HELLO && pairing->challenge != NULL &&
      ev_link_pairing_check (self->pairing_secret, pairing->challenge, request))
    {
      g_clear_pointer (&pairing->challenge, g_free);
      return NULL;
    }

  /* A bare hello is how a paired monitor begins; a wrong proof, or an
   * order before the pairing, is a stranger's. */
  stranger = request->type != EV_LINK_REQUEST_HELLO || request->proof != NULL;
  if (stranger && !pairing->reported)
    {
      g_autofree char *message = NULL;
      StationEventData data = {
        .reason = (char *) ev_link_request_type_to_string (request->type),
        .cp_id = request->type == EV_LINK_REQUEST_HELLO ? request->cp_id : NULL,
      };

      pairing->reported = TRUE;
      message = request->type == EV_LINK_REQUEST_HELLO
        ? g_strdup_printf (_("Refused a monitor that is not paired with this engine (hello as %s)"), request->cp_id)
        : g_strdup_printf (_("Refused a “%s” request from a monitor that is not paired with this engine"),
                           data.reason);
      g_message ("%s", message);
      ev_event_emit (self, engine_signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_NOT_PAIRED, message, &data));
    }

  g_clear_pointer (&pairing->challenge, g_free);
  if (request->type != EV_LINK_REQUEST_HELLO)
    return ev_link_response_new_not_paired (NULL);

  /* A fresh challenge for each attempt: a proof seen once is worthless. */
  challenge = ev_protocol_new_nonce (&error);
  if (challenge == NULL)
    {
      engine_emit_error (self, error->message);
      return ev_link_response_new_not_paired (NULL);
    }
  pairing->challenge = g_strdup (challenge);
  return ev_link_response_new_not_paired (challenge);
}

/* The key the monitor handed over (validated by the decoder): the
 * engine signs with it from now on, and the tickets that waited for a
 * key go out. */
static void
set_cp_key (StationEngine *self,
            const char    *text)
{
  StationEventData data = { 0 };
  EvCpKey key;

  if (!ev_cp_key_from_base64 (text, &key, NULL) ||
      (self->has_cp_key && ev_cp_key_equal (&key, &self->cp_key)))
    return;

  self->cp_key = key;
  self->has_cp_key = TRUE;
  self->said_no_key = FALSE;
  if (self->journal != NULL)
    data.count = station_journal_get_tickets (self->journal)->len - g_hash_table_size (self->in_flight);
  engine_emit (self, STATION_EVENT_CP_KEY, &data);
  engine_publish_undelivered (self);
}

static EvLinkResponse *
handle_request (StationEngine       *self,
                LinkPairing         *pairing,
                const EvLinkRequest *request)
{
  const char *cp_id = station_machine_get_cp_id (self->machine);
  EvCpState state = station_machine_get_state (self->machine);

  /* Central's requests are not an engine's to answer, paired or not. */
  if (request->type != EV_LINK_REQUEST_AUTH && request->type != EV_LINK_REQUEST_REGISTER &&
      request->type != EV_LINK_REQUEST_STATUS)
    {
      EvLinkResponse *refusal = check_pairing (self, pairing, request);

      if (refusal != NULL)
        return refusal;
    }

  switch (request->type)
    {
    case EV_LINK_REQUEST_HELLO:
      if (cp_id == NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!engine_bind_cp (self, request->cp_id, &error))
            {
              g_autofree char *message = g_strdup_printf (_("Cannot read directives for %s: %s"),
                                                          request->cp_id, error->message);
              engine_emit_error (self, message);
              return ev_link_response_new_error (EV_LINK_REASON_INVALID_REQUEST);
            }
        }
      else if (!g_str_equal (cp_id, request->cp_id))
        return ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
      if (g_strcmp0 (pairing->cp_id, request->cp_id) != 0)
        {
          g_free (pairing->cp_id);
          pairing->cp_id = g_strdup (request->cp_id);
          update_monitor_connected (self);
        }
      return ev_link_response_new_hello_ok (self->location, state);

    case EV_LINK_REQUEST_HEALTH:
      return ev_link_response_new_health (!station_machine_get_ko (self->machine), state);

    case EV_LINK_REQUEST_CENTRAL:
      engine_set_boolean (self, &self->central_reachable, request->reachable, PROP_CENTRAL_REACHABLE,
                          STATION_EVENT_CENTRAL);
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_PRICE:
      if (self->price != request->price)
        {
          StationEventData data = { .has_price = TRUE, .price = request->price };

          self->price = request->price;
          engine_notify (self, PROP_PRICE);
          engine_emit (self, STATION_EVENT_PRICE, &data);
        }
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_KEY:
      if (cp_id == NULL || !g_str_equal (cp_id, request->cp_id))
        return ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
      set_cp_key (self, request->key);
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_AUTH:
    case EV_LINK_REQUEST_REGISTER:
    case EV_LINK_REQUEST_STATUS:
    default:
      /* Central's requests: not something an engine answers. */
      return ev_link_response_new_unknown_type ();
    }
}

static void
link_request_cb (EvLink     *link,
                 const char *text,
                 gpointer    user_data)
{
  StationEngine *self = user_data;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  request = ev_link_request_parse (text, -1, &reason, &error);
  if (request == NULL)
    {
      g_debug ("Bad request from the monitor: %s", error->message);
      response = ev_link_response_new_for_reason (reason);
    }
  else
    response = handle_request (self, link_pairing (link), request);

  json = ev_link_response_to_json (response, NULL);
  g_clear_error (&error);
  if (!ev_link_respond (link, json, &error))
    g_debug ("Could not answer the monitor: %s", error->message);
}

static void
update_monitor_connected (StationEngine *self)
{
  gboolean connected = FALSE;

  /* A stranger's link keeps no supply going. */
  for (guint i = 0; i < self->links->len; i++)
    {
      EvLink *link = g_ptr_array_index (self->links, i);

      connected |= ev_link_is_established (link) && link_is_paired (link);
    }

  engine_set_boolean (self, &self->monitor_connected, connected, PROP_MONITOR_CONNECTED, STATION_EVENT_MONITOR);
  station_machine_set_monitor (self->machine, connected, ev_protocol_now_ms ());
  engine_sync_machine (self);
}

static void
link_established_cb (EvLink     *link,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  update_monitor_connected (user_data);
}

static void
link_closed_cb (EvLink       *link,
                const GError *reason,
                gpointer      user_data)
{
  StationEngine *self = user_data;

  g_debug ("Monitor link closed: %s", reason != NULL ? reason->message : "");
  g_signal_handlers_disconnect_by_data (link, self);
  g_ptr_array_remove_fast (self->links, link);
  update_monitor_connected (self);
}

gboolean
engine_incoming_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source_object,
                    gpointer           user_data)
{
  StationEngine *self = user_data;
  EvLink *link = ev_link_new_server (connection);

  g_object_set_data_full (G_OBJECT (link), "station-pairing", g_new0 (LinkPairing, 1), link_pairing_free);
  g_signal_connect (link, "request", G_CALLBACK (link_request_cb), self);
  g_signal_connect (link, "closed", G_CALLBACK (link_closed_cb), self);
  g_signal_connect (link, "notify::established", G_CALLBACK (link_established_cb), self);
  g_ptr_array_add (self->links, link);
  return TRUE;
}

/* GObject ------------------------------------------------------------------ */

void
engine_close_links (StationEngine *self)
{
  g_autoptr(GPtrArray) links = g_steal_pointer (&self->links);

  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < links->len; i++)
    {
      EvLink *link = g_ptr_array_index (links, i);

      g_signal_handlers_disconnect_by_data (link, self);
      ev_link_close (link);
    }
}

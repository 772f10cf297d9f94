/* central-links.c: the monitor links at Central: auth, register and status,
 * the limits on them, and the CP state they decide. */

#include "config.h"

#include "central-core-private.h"
#include "central-ocpp.h"

void
central_cp_record_free (CpRecord *rec)
{
  g_clear_object (&rec->cp);
  g_free (rec->pending_address);
  g_free (rec);
}

void
central_link_free (Link *link)
{
  g_free (link->peer);
  g_free (link->cp_id);
  g_free (link);
}

/* CP states ---------------------------------------------------------------- */

static EvCpState
effective_state (CpRecord *rec)
{
  /* Authenticated but not reported yet: nobody knows what the engine
   * does (after a monitor restart it may still be supplying). */
  if (rec->link_id == 0 || rec->silent || !rec->status_seen)
    return EV_CP_STATE_DISCONNECTED;
  if (rec->reported == EV_CP_STATE_BROKEN)
    return EV_CP_STATE_BROKEN;
  if (rec->stopped)
    return EV_CP_STATE_STOPPED;
  return rec->reported;
}

void
central_store_cp_state (CentralCore *self,
                        CpRecord    *rec)
{
  g_autoptr(GError) error = NULL;
  EvCpState stored = rec->stopped ? EV_CP_STATE_STOPPED : ev_charging_point_get_state (rec->cp);

  /* A stored STOPPED is the operator's stop, which outlives restarts. */
  if (!rec->stopped && stored == EV_CP_STATE_STOPPED)
    stored = EV_CP_STATE_ACTIVE;
  if (!ev_store_set_cp_state (self->store, ev_charging_point_get_cp_id (rec->cp), stored, &error))
    central_emit_error (self, error->message);
}

void
central_update_state (CentralCore *self,
                      CpRecord    *rec)
{
  EvCpState previous = ev_charging_point_get_state (rec->cp);
  EvCpState state = effective_state (rec);
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);
  g_autofree char *message = NULL;
  CentralLogLevel level = CENTRAL_LOG_INFO;
  CentralEventData data = {
    .cp_id = cp_id,
    .state = state,
    .previous = previous,
    .location = ev_charging_point_get_location (rec->cp),
    .price = ev_charging_point_get_price (rec->cp),
  };

  if (state == previous)
    return;

  ev_charging_point_set_state (rec->cp, state);
  central_store_cp_state (self, rec);
  central_publish_cp_state (self, rec->cp);

  if (state == EV_CP_STATE_BROKEN)
    {
      level = CENTRAL_LOG_WARNING;
      message = g_strdup_printf (_("Charging point %s is broken down"), cp_id);
    }
  else if (previous == EV_CP_STATE_BROKEN && state != EV_CP_STATE_DISCONNECTED)
    message = g_strdup_printf (_("Charging point %s has recovered"), cp_id);
  central_emit (self, CENTRAL_EVENT_CP_STATE, level, message, &data);

  if (state == EV_CP_STATE_BROKEN)
    central_fail_supply (self, rec, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
  else if (state == EV_CP_STATE_DISCONNECTED)
    central_fail_supply (self, rec, EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED);
}

CpRecord *
central_add_cp (CentralCore     *self,
                EvChargingPoint *cp)
{
  CpRecord *rec = g_new0 (CpRecord, 1);
  guint position;

  rec->cp = g_object_ref (cp);
  rec->reported = EV_CP_STATE_ACTIVE;
  g_hash_table_insert (self->records, g_strdup (ev_charging_point_get_cp_id (cp)), rec);

  /* Sorted by id; registrations are rare, so a binary search is plenty. */
  {
    guint lo = 0, hi = g_list_model_get_n_items (G_LIST_MODEL (self->cps));

    while (lo < hi)
      {
        guint mid = (lo + hi) / 2;
        g_autoptr(EvChargingPoint) other = g_list_model_get_item (G_LIST_MODEL (self->cps), mid);

        if (strcmp (ev_charging_point_get_cp_id (other), ev_charging_point_get_cp_id (cp)) < 0)
          lo = mid + 1;
        else
          hi = mid;
      }
    position = lo;
  }
  g_list_store_insert (self->cps, position, cp);

  return rec;
}

/* Monitor links ------------------------------------------------------------ */

static void
respond (CentralCore          *self,
         guint64               link_id,
         const EvLinkResponse *response)
{
  g_autofree char *json = NULL;
  gsize length;

  json = ev_link_response_to_json (response, &length);
  /* The link may be gone by now; nothing to do then. */
  central_monitor_server_respond (self->server, link_id, json, length, NULL);
}

static void
emit_auth_denied (CentralCore  *self,
                  Link         *link,
                  const char   *cp_id,
                  EvLinkReason  reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .cp_id = cp_id, .reason = ev_link_reason_to_string (reason), .peer = link->peer };

  message = g_strdup_printf (_("Denied charging point %s from %s: %s"),
                             cp_id != NULL ? cp_id : "?", link->peer,
                             ev_reason_describe (ev_link_reason_to_string (reason)));
  central_emit (self, CENTRAL_EVENT_AUTH_DENIED, CENTRAL_LOG_WARNING, message, &data);
}

/* Binds @link to @rec's CP: the newest authenticated link of a CP wins. */
static void
bind_link (CentralCore *self,
           Link        *link,
           CpRecord    *rec)
{
  guint64 previous = rec->link_id;

  if (link->cp_id != NULL && g_strcmp0 (link->cp_id, ev_charging_point_get_cp_id (rec->cp)) != 0)
    {
      CpRecord *other = g_hash_table_lookup (self->records, link->cp_id);

      if (other != NULL && other->link_id == link->id)
        {
          other->link_id = 0;
          central_update_state (self, other);
        }
    }

  g_free (link->cp_id);
  link->cp_id = g_strdup (ev_charging_point_get_cp_id (rec->cp));
  link->auth_failures = 0;
  central_monitor_server_set_authenticated (self->server, link->id);
  rec->link_id = link->id;
  rec->silent = FALSE;
  rec->status_seen = FALSE;
  rec->last_status_us = g_get_monotonic_time ();
  rec->reported = EV_CP_STATE_ACTIVE;

  if (previous != 0 && previous != link->id)
    central_monitor_server_close_link (self->server, previous);

  central_update_state (self, rec);
}

static void
emit_link_news (CentralCore      *self,
                CentralEventKind  kind,
                Link             *link,
                CpRecord         *rec,
                const char       *message)
{
  CentralEventData data = {
    .cp_id = ev_charging_point_get_cp_id (rec->cp),
    .location = ev_charging_point_get_location (rec->cp),
    .price = ev_charging_point_get_price (rec->cp),
    .peer = link->peer,
    .pending = ev_charging_point_get_pending (rec->cp),
  };

  central_emit (self, kind, CENTRAL_LOG_INFO, message, &data);
}

/* Counts a failed auth on @link, which closes after too many (once its
 * answer is out). */
static void
count_link_failure (CentralCore *self,
                    Link        *link)
{
  if (++link->auth_failures >= AUTH_FAILURES_PER_LINK)
    central_monitor_server_close_link (self->server, link->id);
}

static AuthLimit *
ensure_auth_limit (CentralCore *self,
                   const char  *cp_id)
{
  AuthLimit *limit = g_hash_table_lookup (self->auth_limits, cp_id);

  if (limit == NULL)
    {
      limit = g_new0 (AuthLimit, 1);
      g_hash_table_insert (self->auth_limits, g_strdup (cp_id), limit);
    }
  return limit;
}

/* The back-off after @failures in a row, the first of them @threshold:
 * the base, doubling with each further one, up to a minute. */
static gint64
backoff_us (CentralCore *self,
            guint        failures,
            guint        threshold)
{
  gint64 base = (gint64) self->auth_backoff * G_TIME_SPAN_MILLISECOND;
  guint shift = MIN (failures - threshold, 6);

  return MAX (MIN (base << shift, AUTH_BACKOFF_MAX_US), base);
}

/* The address of a peer "ADDR:PORT" or "[ADDR]:PORT", without the port
 * and brackets. */
char *
central_peer_address (const char *peer)
{
  const char *colon = strrchr (peer, ':');
  g_autofree char *host = colon != NULL ? g_strndup (peer, colon - peer) : g_strdup (peer);

  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    return g_strndup (host + 1, strlen (host) - 2);
  return g_steal_pointer (&host);
}

/* Drops the addresses that have nothing left to hold against them. */
static void
prune_peer_limits (CentralCore *self)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  PeerLimit *limit;

  g_hash_table_iter_init (&iter, self->peer_limits);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &limit))
    if (limit->blocked_until_us <= now && now - limit->last_failure_us >= PEER_FORGET_US &&
        now - limit->register_refilled_us >= REGISTER_BUDGET * REGISTER_REFILL_US)
      g_hash_table_iter_remove (&iter);
}

/* The limits of @peer's address, or %NULL if it is exempt. */
static PeerLimit *
peer_limit_of (CentralCore *self,
               const char  *peer)
{
  g_autofree char *address = central_peer_address (peer);
  PeerLimit *limit;

  if (!self->limit_loopback)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

      if (inet == NULL || g_inet_address_get_is_loopback (inet))
        return NULL;
    }

  limit = g_hash_table_lookup (self->peer_limits, address);
  if (limit == NULL)
    {
      if (g_hash_table_size (self->peer_limits) >= PEER_LIMITS_PRUNE_AT)
        prune_peer_limits (self);
      limit = g_new0 (PeerLimit, 1);
      limit->register_budget = REGISTER_BUDGET;
      limit->register_refilled_us = g_get_monotonic_time ();
      g_hash_table_insert (self->peer_limits, g_steal_pointer (&address), limit);
    }
  return limit;
}

/* A wrong token (or OCPP key) for @cp_id from @from: after a few in a
 * row the CP id backs off, and after a few more from one address
 * (whatever the ids) the address does. */
void
central_count_token_failure (CentralCore *self,
                             const char  *from,
                             const char  *cp_id)
{
  AuthLimit *limit = ensure_auth_limit (self, cp_id);
  PeerLimit *peer = peer_limit_of (self, from);
  gint64 now = g_get_monotonic_time ();

  if (peer != NULL)
    {
      if (now - peer->last_failure_us >= PEER_FORGET_US)
        peer->failures = 0;
      peer->last_failure_us = now;
      if (++peer->failures >= PEER_FAILURES_BEFORE_BACKOFF)
        peer->blocked_until_us = now + backoff_us (self, peer->failures, PEER_FAILURES_BEFORE_BACKOFF);
    }

  if (++limit->failures >= AUTH_FAILURES_BEFORE_BACKOFF)
    limit->blocked_until_us = now + backoff_us (self, limit->failures, AUTH_FAILURES_BEFORE_BACKOFF);
}

/* Emits an `auth-denied` of @cp_id with @reason, its message from
 * @format (CP id, peer, count), if the log has not heard of such a
 * denial for an interval; otherwise counts it for the next report. */
static void
emit_throttled (CentralCore  *self,
                LogThrottle  *throttle,
                const char   *peer,
                const char   *cp_id,
                EvLinkReason  reason,
                const char   *format)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .cp_id = cp_id, .reason = ev_link_reason_to_string (reason), .peer = peer };

  guint count;

  if (!central_log_throttle_take (throttle, AUTH_LOG_INTERVAL_US, &count))
    return;
  message = g_strdup_printf (format, cp_id != NULL ? cp_id : "?", peer, count);
  central_emit (self, CENTRAL_EVENT_AUTH_DENIED, CENTRAL_LOG_WARNING, message, &data);
}

/* Whether @cp_id, or @from's address, backs off after wrong tokens (or
 * OCPP keys); the log hears of it once per interval, with how many
 * attempts there were. */
gboolean
central_check_rate_limited (CentralCore *self,
                            const char  *from,
                            const char  *cp_id)
{
  AuthLimit *limit = g_hash_table_lookup (self->auth_limits, cp_id);
  PeerLimit *peer = peer_limit_of (self, from);
  gint64 now = g_get_monotonic_time ();

  if (peer != NULL && peer->blocked_until_us > now)
    emit_throttled (self, &peer->rate_limited, from, cp_id, EV_LINK_REASON_RATE_LIMITED,
                    _("Denied charging point %s from %s: too many wrong tokens from this address (rate-limited attempts since the last report: %u)"));
  else if (limit != NULL && limit->blocked_until_us > now)
    emit_throttled (self, &limit->rate_limited, from, cp_id, EV_LINK_REASON_RATE_LIMITED,
                    _("Denied charging point %s from %s: too many wrong tokens (rate-limited attempts since the last report: %u)"));
  else
    return FALSE;
  return TRUE;
}

/* Answers `rate-limited` while @cp_id, or @link's address, backs off. */
static gboolean
refuse_rate_limited (CentralCore *self,
                     Link        *link,
                     const char  *cp_id)
{
  g_autoptr(EvLinkResponse) response = NULL;

  if (!central_check_rate_limited (self, link->peer, cp_id))
    return FALSE;

  response = ev_link_response_new_denied (EV_LINK_REASON_RATE_LIMITED);
  respond (self, link->id, response);
  count_link_failure (self, link);
  return TRUE;
}

/* Whether @rec's CP is live on a link other than @link: authenticated
 * there, and heard from (auth or status) within the silence timeout. A
 * newcomer is refused then, so a stolen token cannot knock the real
 * monitor off; once the live link falls silent, the newcomer wins. */
static gboolean
refuse_already_connected (CentralCore *self,
                          Link        *link,
                          CpRecord    *rec)
{
  g_autoptr(EvLinkResponse) response = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);

  if (rec->link_id == 0 || rec->link_id == link->id ||
      g_get_monotonic_time () - rec->last_status_us >= (gint64) self->silence_timeout * G_TIME_SPAN_MILLISECOND)
    return FALSE;

  response = ev_link_response_new_denied (EV_LINK_REASON_ALREADY_CONNECTED);
  respond (self, link->id, response);
  emit_throttled (self, &ensure_auth_limit (self, cp_id)->already_connected, link->peer, cp_id,
                  EV_LINK_REASON_ALREADY_CONNECTED,
                  _("Denied charging point %s from %s: it is connected on another link (refused attempts since the last report: %u)"));
  count_link_failure (self, link);
  return TRUE;
}

/* Whether registering one more CP would leave more than the operator may
 * be asked to sort through awaiting approval: from @from's address, or in
 * all; the log hears of such refusals once per interval. */
gboolean
central_check_too_many_pending (CentralCore *self,
                                const char  *from,
                                const char  *cp_id)
{
  g_autofree char *address = central_peer_address (from);
  guint total = 0, from_address = 0;
  GHashTableIter iter;
  CpRecord *rec;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
    if (ev_charging_point_get_pending (rec->cp))
      {
        total++;
        from_address += g_strcmp0 (rec->pending_address, address) == 0;
      }
  if (total < PENDING_TOTAL && from_address < PENDING_PER_ADDRESS)
    return FALSE;

  emit_throttled (self, &self->pending_throttle, from, cp_id, EV_LINK_REASON_TOO_MANY_PENDING,
                  _("Denied charging point %s from %s: too many charging points await approval (refused registrations since the last report: %u)"));
  return TRUE;
}

/* Answers `too-many-pending` when one more CP may not await approval. */
static gboolean
refuse_too_many_pending (CentralCore *self,
                         Link        *link,
                         const char  *cp_id)
{
  g_autoptr(EvLinkResponse) response = NULL;

  if (!central_check_too_many_pending (self, link->peer, cp_id))
    return FALSE;
  response = ev_link_response_new_denied (EV_LINK_REASON_TOO_MANY_PENDING);
  respond (self, link->id, response);
  return TRUE;
}

/* Whether @from's address may register one new CP id now (and takes it
 * from its budget); the log hears of refusals once per interval. */
gboolean
central_take_register_budget (CentralCore *self,
                              const char  *from,
                              const char  *cp_id)
{
  PeerLimit *peer = peer_limit_of (self, from);
  gint64 now = g_get_monotonic_time ();

  if (peer == NULL)
    return TRUE;
  peer->register_budget = MIN ((double) REGISTER_BUDGET,
                               peer->register_budget +
                               (double) (now - peer->register_refilled_us) / REGISTER_REFILL_US);
  peer->register_refilled_us = now;
  if (peer->register_budget >= 1.0 && peer->blocked_until_us <= now)
    {
      peer->register_budget -= 1.0;
      return TRUE;
    }

  emit_throttled (self, &peer->rate_limited, from, cp_id, EV_LINK_REASON_RATE_LIMITED,
                  _("Denied charging point %s from %s: too many registrations from this address (rate-limited attempts since the last report: %u)"));
  return FALSE;
}

/* Whether @link's address may register one new CP id now; otherwise
 * answers `rate-limited`. */
static gboolean
take_register_budget (CentralCore *self,
                      Link        *link,
                      const char  *cp_id)
{
  g_autoptr(EvLinkResponse) response = NULL;

  if (central_take_register_budget (self, link->peer, cp_id))
    return TRUE;
  response = ev_link_response_new_denied (EV_LINK_REASON_RATE_LIMITED);
  respond (self, link->id, response);
  return FALSE;
}

static void
pending_response_free (gpointer data)
{
  PendingResponse *pending = data;

  ev_link_response_free (pending->response);
  g_free (pending);
}

static void
send_pending_response_cb (CentralCore *self,
                          gpointer     data)
{
  PendingResponse *pending = data;

  respond (self, pending->link_id, pending->response);
}

static void
handle_auth (CentralCore         *self,
             Link                *link,
             const EvLinkRequest *request)
{
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  CpRecord *rec = g_hash_table_lookup (self->records, request->cp_id);
  EvLinkReason reason = EV_LINK_REASON_NONE;
  gboolean fresh = FALSE;

  if (refuse_rate_limited (self, link, request->cp_id))
    return;

  if (rec == NULL)
    reason = EV_LINK_REASON_UNKNOWN_CP;
  else if (!ev_store_verify_token (self->store, request->cp_id, request->token, &error))
    reason = g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN) ? EV_LINK_REASON_UNKNOWN_CP
                                                                            : EV_LINK_REASON_BAD_TOKEN;
  if (reason != EV_LINK_REASON_NONE)
    {
      response = ev_link_response_new_denied (reason);
      respond (self, link->id, response);
      emit_auth_denied (self, link, request->cp_id, reason);
      if (reason == EV_LINK_REASON_BAD_TOKEN)
        central_count_token_failure (self, link->peer, request->cp_id);
      count_link_failure (self, link);
      return;
    }

  if (refuse_already_connected (self, link, rec))
    return;

  g_hash_table_remove (self->auth_limits, request->cp_id);
  response = ev_link_response_new_authorized (ev_charging_point_get_price (rec->cp),
                                              ev_charging_point_get_location (rec->cp));
  response->pending = ev_charging_point_get_pending (rec->cp);
  response->cp_key = central_ensure_cp_key (self, rec, FALSE, &fresh, &error);
  if (response->cp_key == NULL)
    {
      /* The CP goes on with the key it has; the next auth tries again. */
      g_autofree char *problem = g_strdup_printf (_("Could not issue a key to charging point %s: %s"),
                                                  request->cp_id, error->message);

      central_emit_error (self, problem);
    }
  if (fresh)
    {
      /* A new key is only good once it is stored. */
      PendingResponse *pending = g_new0 (PendingResponse, 1);

      pending->link_id = link->id;
      pending->response = g_steal_pointer (&response);
      central_when_committed (self, NULL, send_pending_response_cb, pending, pending_response_free);
    }
  else
    respond (self, link->id, response);
  message = g_strdup_printf (_("Charging point %s connected from %s"), request->cp_id, link->peer);
  emit_link_news (self, CENTRAL_EVENT_CP_AUTHENTICATED, link, rec, message);
  bind_link (self, link, rec);
}

/* The price of a CP registering for the first time. */
double
central_registration_price (CentralCore *self)
{
  double price;

  if (!(self->default_price_max > self->default_price))
    return self->default_price;
  /* Whole cents, within the range. */
  price = round (g_random_double_range (self->default_price, self->default_price_max) * 100.0) / 100.0;
  return CLAMP (price, self->default_price, self->default_price_max);
}

static void
handle_register (CentralCore         *self,
                 Link                *link,
                 const EvLinkRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *message = NULL;
  PendingResponse *pending;
  CpRecord *rec;
  double price;

  /* A CP known already (a repeated registration, or one whose token the
   * operator reset) keeps its price; a new one gets the default, or a
   * price drawn in the configured range. */
  rec = g_hash_table_lookup (self->records, request->cp_id);
  /* Only a repeat with a nonce could replace the live link's token;
   * without one the store answers `already-registered` below. */
  if (rec != NULL && request->nonce != NULL && refuse_already_connected (self, link, rec))
    return;
  /* The pending limit first: a refused registration spends no budget. */
  if (rec == NULL && !self->auto_approve && refuse_too_many_pending (self, link, request->cp_id))
    return;
  if (rec == NULL && !take_register_budget (self, link, request->cp_id))
    return;
  price = rec != NULL ? ev_charging_point_get_price (rec->cp) : central_registration_price (self);

  /* The store decides: a CP with a token is refused unless this repeats
   * its registration's nonce; one without a token (an old database, or
   * reset by the operator) registers again. */
  token = ev_store_register_cp_pending (self->store, request->cp_id, request->location,
                                        price, request->nonce, rec == NULL && !self->auto_approve, &error);
  if (token == NULL && g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS))
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_denied (EV_LINK_REASON_ALREADY_REGISTERED);

      respond (self, link->id, response);
      emit_auth_denied (self, link, request->cp_id, EV_LINK_REASON_ALREADY_REGISTERED);
      return;
    }
  if (token == NULL)
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_denied (EV_LINK_REASON_INVALID_REQUEST);

      message = g_strdup_printf (_("Could not register charging point %s: %s"),
                                 request->cp_id, error->message);
      central_emit_error (self, message);
      respond (self, link->id, response);
      return;
    }

  rec = g_hash_table_lookup (self->records, request->cp_id);
  if (rec == NULL)
    {
      g_autoptr(EvChargingPoint) cp = ev_charging_point_new (request->cp_id);

      ev_charging_point_set_location (cp, request->location);
      ev_charging_point_set_price (cp, price);
      ev_charging_point_set_pending (cp, !self->auto_approve);
      rec = central_add_cp (self, cp);
      if (!self->auto_approve)
        rec->pending_address = central_peer_address (link->peer);
    }
  else
    {
      /* Registered again: the store took the new location. */
      ev_charging_point_set_location (rec->cp, request->location);
      ev_charging_point_set_price (rec->cp, price);
    }
  g_hash_table_remove (self->auth_limits, request->cp_id);

  /* The token is only good once it is stored. */
  pending = g_new0 (PendingResponse, 1);
  pending->link_id = link->id;
  pending->response = ev_link_response_new_registered (ev_charging_point_get_price (rec->cp), token);
  pending->response->pending = ev_charging_point_get_pending (rec->cp);
  {
    g_autoptr(GError) key_error = NULL;
    gboolean fresh;

    /* New credentials, a new key. */
    pending->response->cp_key = central_ensure_cp_key (self, rec, TRUE, &fresh, &key_error);
    if (pending->response->cp_key == NULL)
      {
        g_autofree char *problem = g_strdup_printf (_("Could not issue a key to charging point %s: %s"),
                                                    request->cp_id, key_error->message);

        central_emit_error (self, problem);
      }
  }
  central_when_committed (self, NULL, send_pending_response_cb, pending, pending_response_free);

  if (ev_charging_point_get_pending (rec->cp))
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh); it awaits your approval"),
                               request->cp_id, ev_charging_point_get_location (rec->cp),
                               ev_charging_point_get_price (rec->cp));
  else
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh)"),
                               request->cp_id, ev_charging_point_get_location (rec->cp),
                               ev_charging_point_get_price (rec->cp));
  emit_link_news (self, CENTRAL_EVENT_CP_REGISTERED, link, rec, message);
  bind_link (self, link, rec);
}

/* An engine that reports its CP free while Central has a supply under way
 * there for longer than any ticket takes to arrive has lost that supply
 * (replaced, or restarted without its journal): Central ends it at a
 * fault, provisionally, so that nothing stays open for ever; a ticket
 * that comes after all still settles it. */

void
central_check_forgotten_supply (CentralCore *self,
                                CpRecord    *rec)
{
  const char *supply_id = ev_charging_point_get_supply_id (rec->cp);
  EvSupply *session = supply_id != NULL ? g_hash_table_lookup (self->open, supply_id) : NULL;

  if (session == NULL || ev_supply_get_phase (session) != EV_SUPPLY_PHASE_SUPPLYING ||
      rec->reported != EV_CP_STATE_ACTIVE)
    {
      rec->idle_since_us = 0;
      return;
    }
  if (rec->idle_since_us == 0)
    rec->idle_since_us = rec->last_status_us;
  else if (rec->last_status_us - rec->idle_since_us >= (gint64) self->forgotten_timeout * G_TIME_SPAN_MILLISECOND)
    {
      rec->idle_since_us = 0;
      central_fail_session (self, session, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
    }
}

static void
handle_status (CentralCore         *self,
               Link                *link,
               const EvLinkRequest *request)
{
  g_autoptr(EvLinkResponse) response = NULL;
  CpRecord *rec = link->cp_id != NULL ? g_hash_table_lookup (self->records, link->cp_id) : NULL;

  if (rec == NULL || rec->link_id != link->id)
    {
      response = ev_link_response_new_denied (EV_LINK_REASON_NOT_AUTHENTICATED);
      respond (self, link->id, response);
      return;
    }

  if (request->state == EV_CP_STATE_DISCONNECTED)
    {
      response = ev_link_response_new_error (EV_LINK_REASON_INVALID_REQUEST);
      respond (self, link->id, response);
      return;
    }

  rec->last_status_us = g_get_monotonic_time ();
  rec->silent = FALSE;
  rec->status_seen = TRUE;
  rec->reported = request->engine == EV_ENGINE_HEALTH_OK ? request->state : EV_CP_STATE_BROKEN;

  /* Resumed CPs are ACTIVE at once: a STOPPED report sent before the engine
   * got the resume is stale, and must not flip them back until the
   * directive is due again. */
  if (!rec->stopped && rec->reported == EV_CP_STATE_STOPPED &&
      rec->last_status_us - rec->stop_sent_us < STOP_RESEND_US)
    rec->reported = EV_CP_STATE_ACTIVE;

  /* The operator's word outlives an engine that missed the directive. */
  if (rec->reported != EV_CP_STATE_BROKEN &&
      rec->stopped != (rec->reported == EV_CP_STATE_STOPPED) &&
      rec->last_status_us - rec->stop_sent_us >= STOP_RESEND_US)
    {
      rec->stop_sent_us = rec->last_status_us;
      central_publish_directive (self, ev_charging_point_get_cp_id (rec->cp),
                                 rec->stopped ? EV_DIRECTIVE_ACTION_STOP : EV_DIRECTIVE_ACTION_RESUME, NULL);
    }

  response = ev_link_response_new_ok_with_price (ev_charging_point_get_price (rec->cp));
  response->pending = ev_charging_point_get_pending (rec->cp);
  respond (self, link->id, response);
  central_update_state (self, rec);
  central_check_forgotten_supply (self, rec);
}

static void
link_opened_cb (CentralMonitorServer *server,
                guint64               link_id,
                const char           *peer,
                gpointer              user_data)
{
  CentralCore *self = user_data;
  Link *link = g_new0 (Link, 1);

  link->id = link_id;
  link->peer = g_strdup (peer);
  g_hash_table_insert (self->links, &link->id, link);
  g_object_notify (G_OBJECT (self), "n-links");
}

/* The cp_id of a request that failed validation for another field, so
 * that the denial names the CP; %NULL when it has no valid one. */
static char *
valid_cp_id_of (const char *text,
                gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *member;
  const char *cp_id;

  if (!json_parser_load_from_data (parser, text, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  member = json_object_get_member (json_node_get_object (root), "cp_id");
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  cp_id = json_node_get_string (member);
  if (!ev_protocol_validate_cp_id (cp_id, "cp_id", NULL))
    return NULL;
  return g_strdup (cp_id);
}

/* With client certificates, a link may speak only for the CP its
 * certificate names (its CN): anything else is `bound-to-other-cp`. */
static gboolean
certificate_matches (CentralCore         *self,
                     Link                *link,
                     const EvLinkRequest *request)
{
  const char *name = central_monitor_server_get_peer_name (self->server, link->id);
  g_autoptr(EvLinkResponse) response = NULL;

  if (name == NULL || self->tls_client_ca == NULL ||
      (request->type != EV_LINK_REQUEST_AUTH && request->type != EV_LINK_REQUEST_REGISTER) ||
      g_strcmp0 (name, request->cp_id) == 0)
    return TRUE;

  response = ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
  respond (self, link->id, response);
  emit_auth_denied (self, link, request->cp_id, EV_LINK_REASON_BOUND_TO_OTHER_CP);
  count_link_failure (self, link);
  return FALSE;
}

static void
request_cb (CentralMonitorServer *server,
            guint64               link_id,
            const char           *text,
            gsize                 len,
            gpointer              user_data)
{
  CentralCore *self = user_data;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;
  Link *link = g_hash_table_lookup (self->links, &link_id);

  if (link == NULL)
    return;

  request = ev_link_request_parse (text, len, &reason, &error);
  if (request == NULL)
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_for_reason (reason);

      g_debug ("Bad request from %s: %s", link->peer, error->message);
      respond (self, link_id, response);
      if (reason == EV_LINK_REASON_INVALID_ID || reason == EV_LINK_REASON_INVALID_LOCATION ||
          reason == EV_LINK_REASON_BAD_TOKEN)
        {
          g_autofree char *cp_id = valid_cp_id_of (text, len);

          emit_auth_denied (self, link, cp_id, reason);
        }
      return;
    }

  if (!certificate_matches (self, link, request))
    return;

  switch (request->type)
    {
    case EV_LINK_REQUEST_AUTH:
      handle_auth (self, link, request);
      break;
    case EV_LINK_REQUEST_REGISTER:
      handle_register (self, link, request);
      break;
    case EV_LINK_REQUEST_STATUS:
      handle_status (self, link, request);
      break;
    case EV_LINK_REQUEST_HELLO:
    case EV_LINK_REQUEST_HEALTH:
    case EV_LINK_REQUEST_CENTRAL:
    case EV_LINK_REQUEST_PRICE:
    default:
      {
        /* Requests for an engine are not Central's. */
        g_autoptr(EvLinkResponse) response = ev_link_response_new_unknown_type ();

        respond (self, link_id, response);
      }
      break;
    }
}

void
central_disconnect_cp (CentralCore *self,
                       CpRecord    *rec,
                       const char  *reason)
{
  g_autofree char *message = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);
  CentralEventData data = { .cp_id = cp_id, .reason = reason };

  message = g_strdup_printf (_("Charging point %s disconnected: %s"), cp_id, reason);
  central_emit (self, CENTRAL_EVENT_CP_DISCONNECTED, CENTRAL_LOG_WARNING, message, &data);
  central_update_state (self, rec);
}

static void
link_closed_cb (CentralMonitorServer *server,
                guint64               link_id,
                const GError         *reason,
                gpointer              user_data)
{
  CentralCore *self = user_data;
  Link *link = g_hash_table_lookup (self->links, &link_id);
  CpRecord *rec;

  if (link == NULL)
    return;

  if (reason != NULL && (reason->domain == EV_TLS_ERROR ||
                         g_error_matches (reason, EV_LINK_ERROR, EV_LINK_ERROR_TLS_MISMATCH)))
    {
      g_autofree char *message = g_strdup_printf (_("TLS with the link from %s failed: %s"),
                                                  link->peer, reason->message);
      CentralEventData data = { .peer = link->peer, .reason = reason->message };

      central_emit (self, CENTRAL_EVENT_TLS_FAILED, CENTRAL_LOG_WARNING, message, &data);
    }

  rec = link->cp_id != NULL ? g_hash_table_lookup (self->records, link->cp_id) : NULL;
  if (rec != NULL && rec->link_id == link_id && !self->shutting_down)
    {
      gboolean was_silent = rec->silent;

      rec->link_id = 0;
      if (!was_silent)
        central_disconnect_cp (self, rec, reason != NULL ? reason->message : _("The link was closed"));
    }
  else if (rec != NULL && rec->link_id == link_id)
    rec->link_id = 0;

  g_hash_table_remove (self->links, &link_id);
  g_object_notify (G_OBJECT (self), "n-links");
}

const CentralMonitorServerCallbacks central_server_callbacks = {
  .link_opened = link_opened_cb,
  .request = request_cb,
  .link_closed = link_closed_cb,
};

gboolean
central_check_silence_cb (gpointer user_data)
{
  CentralCore *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) self->silence_timeout * G_TIME_SPAN_MILLISECOND;
  guint ocpp_ms = central_ocpp_silence_ms (self->silence_timeout, self->ocpp_heartbeat);
  gint64 ocpp_limit = (gint64) ocpp_ms * G_TIME_SPAN_MILLISECOND;
  GHashTableIter iter;
  CpRecord *rec;
  g_autoptr(GPtrArray) fell_silent = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
    if (rec->link_id != 0 && !rec->silent &&
        now - rec->last_status_us >= (central_ocpp_is_link (rec->link_id) ? ocpp_limit : limit))
      g_ptr_array_add (fell_silent, rec);

  /* Authorisations nobody took up (see DEFAULT_AUTHORIZED_TIMEOUT_MS). A
   * core that just started first reads what its backlog says of them. */
  {
    g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func (g_object_unref);
    gint64 now_wall = central_now_ms ();
    GHashTableIter open_iter;
    EvSupply *session;

    g_hash_table_iter_init (&open_iter, self->open);
    while (g_hash_table_iter_next (&open_iter, NULL, (gpointer *) &session))
      if (ev_supply_get_phase (session) == EV_SUPPLY_PHASE_AUTHORIZED &&
          now_wall - MAX (ev_supply_get_started_at (session), self->started_at_ms) >
          (gint64) self->authorized_timeout)
        g_ptr_array_add (expired, g_object_ref (session));

    for (guint i = 0; i < expired->len; i++)
      central_fail_session (self, g_ptr_array_index (expired, i), EV_SUPPLY_ERROR_REASON_NOT_PLUGGED);
  }

  /* Outside the iteration: handling may close links and add records. */
  for (guint i = 0; i < fell_silent->len; i++)
    {
      g_autofree char *reason = NULL;

      rec = g_ptr_array_index (fell_silent, i);
      rec->silent = TRUE;
      reason = g_strdup_printf (_("no status for %u ms"),
                                central_ocpp_is_link (rec->link_id) ? ocpp_ms : self->silence_timeout);
      central_disconnect_cp (self, rec, reason);
    }

  return G_SOURCE_CONTINUE;
}

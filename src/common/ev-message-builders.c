#include "config.h"

#include <string.h>

#include "ev-messages.h"

/* The typed constructors of the messages, and the few helpers that are
 * about one message's meaning rather than its wire form (pairing proofs,
 * directive targets and expiry). Copying, comparing, encoding and
 * decoding are the generic codec's (ev-message-codec.c), driven by the
 * tables in ev-messages.c. */

/**
 * ev_link_request_new:
 * @type: the request type
 *
 * Returns: (transfer full): a request of @type with every field unset
 */
EvLinkRequest *
ev_link_request_new (EvLinkRequestType type)
{
  EvLinkRequest *request = g_new0 (EvLinkRequest, 1);

  request->type = type;
  return request;
}

/**
 * ev_link_request_new_auth:
 * @cp_id: the CP id
 * @token: the token Central issued at registration
 *
 * Returns: (transfer full): an `auth` request
 */
EvLinkRequest *
ev_link_request_new_auth (const char *cp_id,
                          const char *token)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_AUTH);

  request->cp_id = g_strdup (cp_id);
  request->token = g_strdup (token);
  return request;
}

/**
 * ev_link_request_new_register:
 * @cp_id: the CP id
 * @location: where the CP is
 *
 * Returns: (transfer full): a `register` request
 */
EvLinkRequest *
ev_link_request_new_register (const char *cp_id,
                              const char *location)
{
  return ev_link_request_new_register_with_nonce (cp_id, location, NULL);
}

/**
 * ev_link_request_new_register_with_nonce:
 * @cp_id: the CP id
 * @location: where the CP is
 * @nonce: (nullable): the monitor's registration nonce (see
 *   ev_protocol_new_nonce()), kept until it has its token
 *
 * Returns: (transfer full): a `register` request
 */
EvLinkRequest *
ev_link_request_new_register_with_nonce (const char *cp_id,
                                         const char *location,
                                         const char *nonce)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_REGISTER);

  request->cp_id = g_strdup (cp_id);
  request->location = g_strdup (location);
  request->nonce = g_strdup (nonce);
  return request;
}

/**
 * ev_link_request_new_status:
 * @state: the CP state
 * @engine: the engine's health as the monitor sees it
 *
 * Returns: (transfer full): a `status` request
 */
EvLinkRequest *
ev_link_request_new_status (EvCpState      state,
                            EvEngineHealth engine)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_STATUS);

  request->state = state;
  request->engine = engine;
  return request;
}

/**
 * ev_link_request_new_hello:
 * @cp_id: the CP id the monitor serves
 *
 * Returns: (transfer full): a `hello` request
 */
EvLinkRequest *
ev_link_request_new_hello (const char *cp_id)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_HELLO);

  request->cp_id = g_strdup (cp_id);
  return request;
}

/**
 * ev_link_pairing_proof:
 * @secret: the pairing secret the engine and its monitor share
 * @challenge: the engine's challenge
 * @cp_id: the CP id the `hello` names
 *
 * The proof a monitor gives in `hello` that it holds @secret, without
 * sending it: HMAC-SHA256 keyed with @secret over "@challenge:@cp_id",
 * in lowercase hex. The challenge is the engine's, fresh for each link,
 * so a proof seen once is worth nothing later.
 *
 * Returns: (transfer full): the proof
 */
char *
ev_link_pairing_proof (const char *secret,
                       const char *challenge,
                       const char *cp_id)
{
  g_autofree char *message = NULL;

  g_return_val_if_fail (secret != NULL && challenge != NULL && cp_id != NULL, NULL);

  message = g_strconcat (challenge, ":", cp_id, NULL);
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret),
                                    message, -1);
}

/**
 * ev_link_pairing_check:
 * @secret: the pairing secret
 * @challenge: the challenge the engine gave this link
 * @hello: a `hello` request
 *
 * Whether @hello answers @challenge with the proof of @secret for its
 * CP id (ev_link_pairing_proof()). The comparison takes the same time
 * whatever the proof.
 *
 * Returns: %TRUE if @hello proves the pairing
 */
gboolean
ev_link_pairing_check (const char          *secret,
                       const char          *challenge,
                       const EvLinkRequest *hello)
{
  g_autofree char *expected = NULL;
  gsize length;
  guint8 diff = 0;

  g_return_val_if_fail (secret != NULL && challenge != NULL && hello != NULL, FALSE);

  if (hello->type != EV_LINK_REQUEST_HELLO || hello->proof == NULL || hello->challenge == NULL ||
      hello->cp_id == NULL || !g_str_equal (hello->challenge, challenge))
    return FALSE;
  expected = ev_link_pairing_proof (secret, challenge, hello->cp_id);
  length = strlen (expected);
  if (strlen (hello->proof) != length)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    diff |= (guint8) (expected[i] ^ hello->proof[i]);
  return diff == 0;
}

/**
 * ev_link_request_new_hello_paired:
 * @cp_id: the CP id the monitor serves
 * @challenge: the engine's challenge (from its `not-paired` denial)
 * @secret: the pairing secret
 *
 * Returns: (transfer full): a `hello` request that proves the pairing
 */
EvLinkRequest *
ev_link_request_new_hello_paired (const char *cp_id,
                                  const char *challenge,
                                  const char *secret)
{
  EvLinkRequest *request = ev_link_request_new_hello (cp_id);

  request->challenge = g_strdup (challenge);
  request->proof = ev_link_pairing_proof (secret, challenge, cp_id);
  return request;
}

/**
 * ev_link_request_new_health:
 *
 * Returns: (transfer full): a `health` request
 */
EvLinkRequest *
ev_link_request_new_health (void)
{
  return ev_link_request_new (EV_LINK_REQUEST_HEALTH);
}

/**
 * ev_link_request_new_central:
 * @reachable: whether Central is reachable
 *
 * Returns: (transfer full): a `central` request
 */
EvLinkRequest *
ev_link_request_new_central (gboolean reachable)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_CENTRAL);

  request->reachable = !!reachable;
  return request;
}

/**
 * ev_link_request_new_price:
 * @price: the current price in EUR/kWh
 *
 * Returns: (transfer full): a `price` request
 */
EvLinkRequest *
ev_link_request_new_price (double price)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_PRICE);

  request->price = price;
  return request;
}

/**
 * ev_link_request_new_key:
 * @cp_id: the CP id
 * @key: the key Central issued the CP, in base64
 *
 * Returns: (transfer full): a `key` request
 */
EvLinkRequest *
ev_link_request_new_key (const char *cp_id,
                         const char *key)
{
  EvLinkRequest *request = ev_link_request_new (EV_LINK_REQUEST_KEY);

  request->cp_id = g_strdup (cp_id);
  request->key = g_strdup (key);
  return request;
}

/**
 * ev_link_response_new:
 * @status: the status
 *
 * Returns: (transfer full): a response with @status and no other field
 */
EvLinkResponse *
ev_link_response_new (EvLinkStatus status)
{
  EvLinkResponse *response = g_new0 (EvLinkResponse, 1);

  response->status = status;
  return response;
}

/**
 * ev_link_response_new_ok:
 *
 * Returns: (transfer full): `{"status":"ok"}`, the answer to `central`
 *   and `price`
 */
EvLinkResponse *
ev_link_response_new_ok (void)
{
  return ev_link_response_new (EV_LINK_STATUS_OK);
}

/**
 * ev_link_response_new_ok_with_price:
 * @price: the current price in EUR/kWh
 *
 * Returns: (transfer full): `{"status":"ok","price":…}`, the answer to
 *   `status`
 */
EvLinkResponse *
ev_link_response_new_ok_with_price (double price)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_OK);

  response->has_price = TRUE;
  response->price = price;
  return response;
}

/**
 * ev_link_response_new_hello_ok:
 * @location: the CP location
 * @state: the CP state
 *
 * Returns: (transfer full): `{"status":"ok","location":…,"state":…}`,
 *   the answer to `hello`
 */
EvLinkResponse *
ev_link_response_new_hello_ok (const char *location,
                               EvCpState   state)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_OK);

  response->location = g_strdup (location);
  response->has_state = TRUE;
  response->state = state;
  return response;
}

/**
 * ev_link_response_new_health:
 * @ok: whether the engine is healthy
 * @state: the CP state
 *
 * Returns: (transfer full): `{"status":"ok"|"ko","state":…}`, the answer
 *   to `health`
 */
EvLinkResponse *
ev_link_response_new_health (gboolean  ok,
                             EvCpState state)
{
  EvLinkResponse *response = ev_link_response_new (ok ? EV_LINK_STATUS_OK : EV_LINK_STATUS_KO);

  response->has_state = TRUE;
  response->state = state;
  return response;
}

/**
 * ev_link_response_new_authorized:
 * @price: the price in EUR/kWh
 * @location: the CP location Central has on record
 *
 * Returns: (transfer full): the answer to a successful `auth`
 */
EvLinkResponse *
ev_link_response_new_authorized (double      price,
                                 const char *location)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_AUTHORIZED);

  response->has_price = TRUE;
  response->price = price;
  response->location = g_strdup (location);
  return response;
}

/**
 * ev_link_response_new_registered:
 * @price: the price in EUR/kWh
 * @token: the token the monitor presents on `auth`
 *
 * Returns: (transfer full): the answer to a successful `register`
 */
EvLinkResponse *
ev_link_response_new_registered (double      price,
                                 const char *token)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_REGISTERED);

  response->has_price = TRUE;
  response->price = price;
  response->token = g_strdup (token);
  return response;
}

/**
 * ev_link_response_new_denied:
 * @reason: why
 *
 * Returns: (transfer full): `{"status":"denied","reason":…}`
 */
EvLinkResponse *
ev_link_response_new_denied (EvLinkReason reason)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_DENIED);

  response->reason = reason;
  return response;
}

/**
 * ev_link_response_new_error:
 * @reason: why
 *
 * Returns: (transfer full): `{"status":"error","reason":…}`
 */
EvLinkResponse *
ev_link_response_new_error (EvLinkReason reason)
{
  EvLinkResponse *response = ev_link_response_new (EV_LINK_STATUS_ERROR);

  response->reason = reason;
  return response;
}

/**
 * ev_link_response_new_not_paired:
 * @challenge: (nullable): the challenge for this link's next `hello`
 *
 * Returns: (transfer full): `{"status":"denied","reason":"not-paired",
 *   "challenge":…}`
 */
EvLinkResponse *
ev_link_response_new_not_paired (const char *challenge)
{
  EvLinkResponse *response = ev_link_response_new_denied (EV_LINK_REASON_NOT_PAIRED);

  response->challenge = g_strdup (challenge);
  return response;
}

/**
 * ev_link_response_new_bad_json:
 *
 * Returns: (transfer full): `{"status":"error","reason":"bad-json"}`
 */
EvLinkResponse *
ev_link_response_new_bad_json (void)
{
  return ev_link_response_new_error (EV_LINK_REASON_BAD_JSON);
}

/**
 * ev_link_response_new_unknown_type:
 *
 * Returns: (transfer full): `{"status":"error","reason":"unknown-type"}`
 */
EvLinkResponse *
ev_link_response_new_unknown_type (void)
{
  return ev_link_response_new_error (EV_LINK_REASON_UNKNOWN_TYPE);
}

/**
 * ev_link_response_new_for_reason:
 * @reason: a reason from ev_link_request_parse(), or any other
 *
 * Builds the answer to a request that failed with @reason: `error` for
 * `bad-json`, `unknown-type` and `invalid-request`, which are about the
 * message, and `denied` otherwise.
 *
 * Returns: (transfer full): the response
 */
EvLinkResponse *
ev_link_response_new_for_reason (EvLinkReason reason)
{
  switch (reason)
    {
    case EV_LINK_REASON_BAD_JSON:
    case EV_LINK_REASON_UNKNOWN_TYPE:
    case EV_LINK_REASON_INVALID_REQUEST:
      return ev_link_response_new_error (reason);
    case EV_LINK_REASON_NONE:
      return ev_link_response_new_error (EV_LINK_REASON_INVALID_REQUEST);
    default:
      return ev_link_response_new_denied (reason);
    }
}

/**
 * ev_supply_request_new:
 * @request_id: (nullable): the request UUID, or %NULL for a new one
 * @cp_id: the CP asked for
 * @driver_id: who asks
 * @origin: a driver app or the station
 *
 * Returns: (transfer full): a `supply-req` message with an unset envelope
 */
EvSupplyRequest *
ev_supply_request_new (const char     *request_id,
                       const char     *cp_id,
                       const char     *driver_id,
                       EvSupplyOrigin  origin)
{
  EvSupplyRequest *msg = g_new0 (EvSupplyRequest, 1);

  msg->request_id = request_id != NULL ? g_strdup (request_id) : ev_protocol_new_uuid ();
  msg->cp_id = g_strdup (cp_id);
  msg->driver_id = g_strdup (driver_id);
  msg->origin = origin;
  return msg;
}

static EvSupplyResponse *
supply_response_new (const char     *request_id,
                     const char     *driver_id,
                     const char     *cp_id,
                     EvSupplyStatus  status)
{
  EvSupplyResponse *msg = g_new0 (EvSupplyResponse, 1);

  msg->request_id = g_strdup (request_id);
  msg->driver_id = g_strdup (driver_id);
  msg->cp_id = g_strdup (cp_id);
  msg->status = status;
  return msg;
}

/**
 * ev_supply_response_new_authorized:
 * @request_id: the request answered
 * @driver_id: who asked
 * @cp_id: the CP asked for
 * @supply_id: the new supply's UUID
 * @price: the price of the supply in EUR/kWh
 *
 * Returns: (transfer full): an authorised `supply-res` message
 */
EvSupplyResponse *
ev_supply_response_new_authorized (const char *request_id,
                                   const char *driver_id,
                                   const char *cp_id,
                                   const char *supply_id,
                                   double      price)
{
  EvSupplyResponse *msg = supply_response_new (request_id, driver_id, cp_id,
                                               EV_SUPPLY_STATUS_AUTHORIZED);

  msg->supply_id = g_strdup (supply_id);
  msg->has_price = TRUE;
  msg->price = price;
  return msg;
}

/**
 * ev_supply_response_new_denied:
 * @request_id: the request answered
 * @driver_id: who asked
 * @cp_id: the CP asked for
 * @reason: why
 *
 * Returns: (transfer full): a denied `supply-res` message
 */
EvSupplyResponse *
ev_supply_response_new_denied (const char         *request_id,
                               const char         *driver_id,
                               const char         *cp_id,
                               EvSupplyDenyReason  reason)
{
  EvSupplyResponse *msg = supply_response_new (request_id, driver_id, cp_id,
                                               EV_SUPPLY_STATUS_DENIED);

  msg->reason = reason;
  return msg;
}

/**
 * ev_directive_new:
 * @target: a CP id or %EV_DIRECTIVE_TARGET_ALL
 * @action: what to do
 * @expires: ms since the epoch after which engines ignore it
 *
 * Set @supply_id, @driver_id and @price on the result for `start`, and
 * @supply_id for `cancel`.
 *
 * Returns: (transfer full): a `central-directives` message
 */
EvDirective *
ev_directive_new (const char        *target,
                  EvDirectiveAction  action,
                  gint64             expires)
{
  EvDirective *msg = g_new0 (EvDirective, 1);

  msg->target = g_strdup (target);
  msg->action = action;
  msg->expires = expires;
  return msg;
}

/**
 * ev_directive_applies_to:
 * @msg: a directive
 * @cp_id: the CP id of the engine reading it
 *
 * Returns: %TRUE if @msg targets @cp_id or every CP
 */
gboolean
ev_directive_applies_to (const EvDirective *msg,
                         const char        *cp_id)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  return g_strcmp0 (msg->target, EV_DIRECTIVE_TARGET_ALL) == 0 ||
         (cp_id != NULL && g_strcmp0 (msg->target, cp_id) == 0);
}

/**
 * ev_directive_is_expired:
 * @msg: a directive
 * @now_ms: the current time, from ev_protocol_now_ms()
 *
 * Returns: %TRUE if the directive's `expires` has passed
 */
gboolean
ev_directive_is_expired (const EvDirective *msg,
                         gint64             now_ms)
{
  g_return_val_if_fail (msg != NULL, TRUE);

  return msg->expires < now_ms;
}

/**
 * ev_supply_data_new:
 * @kind: progress or ticket
 * @supply_id: the supply
 * @cp_id: where
 * @driver_id: whose
 * @seq: the sequence number, from 1
 *
 * Set the figures on the result, and for a ticket @started_at, @ended_at
 * and @reason.
 *
 * Returns: (transfer full): a `supply-data` message
 */
EvSupplyData *
ev_supply_data_new (EvSupplyDataKind  kind,
                    const char       *supply_id,
                    const char       *cp_id,
                    const char       *driver_id,
                    guint             seq)
{
  EvSupplyData *msg = g_new0 (EvSupplyData, 1);

  msg->kind = kind;
  msg->supply_id = g_strdup (supply_id);
  msg->cp_id = g_strdup (cp_id);
  msg->driver_id = g_strdup (driver_id);
  msg->seq = seq;
  return msg;
}

/**
 * ev_supply_error_new:
 * @supply_id: the supply
 * @driver_id: whose
 * @cp_id: where
 * @reason: why it ended
 *
 * Set @kwh and @amount on the result.
 *
 * Returns: (transfer full): a `supply-error` message
 */
EvSupplyError *
ev_supply_error_new (const char          *supply_id,
                     const char          *driver_id,
                     const char          *cp_id,
                     EvSupplyErrorReason  reason)
{
  EvSupplyError *msg = g_new0 (EvSupplyError, 1);

  msg->supply_id = g_strdup (supply_id);
  msg->driver_id = g_strdup (driver_id);
  msg->cp_id = g_strdup (cp_id);
  msg->reason = reason;
  return msg;
}

/**
 * ev_cp_state_message_new:
 * @cp_id: the CP
 * @state: its state
 *
 * Set @location and @price on the result when known.
 *
 * Returns: (transfer full): a `cp-states` message
 */
EvCpStateMessage *
ev_cp_state_message_new (const char *cp_id,
                         EvCpState   state)
{
  EvCpStateMessage *msg = g_new0 (EvCpStateMessage, 1);

  msg->cp_id = g_strdup (cp_id);
  msg->state = state;
  return msg;
}

#pragma once

#include <glib.h>

#include "ev-cp-state.h"
#include "ev-message-codec.h"
#include "ev-protocol.h"

G_BEGIN_DECLS

/* Enumerations of the wire strings. Where a value is optional, 0 (…_NONE)
 * means "absent" and has no string. */

/**
 * EvLinkRequestType:
 * @EV_LINK_REQUEST_AUTH: monitor → Central, `auth`.
 * @EV_LINK_REQUEST_REGISTER: monitor → Central, `register`.
 * @EV_LINK_REQUEST_STATUS: monitor → Central, `status`.
 * @EV_LINK_REQUEST_HELLO: monitor → engine, `hello`.
 * @EV_LINK_REQUEST_HEALTH: monitor → engine, `health`.
 * @EV_LINK_REQUEST_CENTRAL: monitor → engine, `central`.
 * @EV_LINK_REQUEST_PRICE: monitor → engine, `price`.
 * @EV_LINK_REQUEST_KEY: monitor → engine, `key` (an extension): the key
 *   Central issued the CP to sign its Kafka messages with.
 *
 * The `type` of a request on a framed TCP link.
 */
typedef enum {
  EV_LINK_REQUEST_AUTH,
  EV_LINK_REQUEST_REGISTER,
  EV_LINK_REQUEST_STATUS,
  EV_LINK_REQUEST_HELLO,
  EV_LINK_REQUEST_HEALTH,
  EV_LINK_REQUEST_CENTRAL,
  EV_LINK_REQUEST_PRICE,
  EV_LINK_REQUEST_KEY,
} EvLinkRequestType;

/**
 * EvEngineHealth:
 * @EV_ENGINE_HEALTH_OK: `ok`
 * @EV_ENGINE_HEALTH_KO: `ko`
 * @EV_ENGINE_HEALTH_UNREACHABLE: `unreachable`
 *
 * The engine as its monitor sees it, reported in `status`.
 */
typedef enum {
  EV_ENGINE_HEALTH_OK,
  EV_ENGINE_HEALTH_KO,
  EV_ENGINE_HEALTH_UNREACHABLE,
} EvEngineHealth;

/**
 * EvLinkStatus:
 * @EV_LINK_STATUS_OK: `ok`
 * @EV_LINK_STATUS_KO: `ko`
 * @EV_LINK_STATUS_AUTHORIZED: `authorized`
 * @EV_LINK_STATUS_REGISTERED: `registered`
 * @EV_LINK_STATUS_DENIED: `denied`
 * @EV_LINK_STATUS_ERROR: `error`
 *
 * The `status` of a link response.
 */
typedef enum {
  EV_LINK_STATUS_OK,
  EV_LINK_STATUS_KO,
  EV_LINK_STATUS_AUTHORIZED,
  EV_LINK_STATUS_REGISTERED,
  EV_LINK_STATUS_DENIED,
  EV_LINK_STATUS_ERROR,
} EvLinkStatus;

/**
 * EvLinkReason:
 * @EV_LINK_REASON_NONE: no reason.
 * @EV_LINK_REASON_UNKNOWN_CP: `unknown-cp`
 * @EV_LINK_REASON_BAD_TOKEN: `bad-token`
 * @EV_LINK_REASON_INVALID_ID: `invalid-id`
 * @EV_LINK_REASON_ALREADY_REGISTERED: `already-registered`
 * @EV_LINK_REASON_INVALID_LOCATION: `invalid-location`
 * @EV_LINK_REASON_NOT_AUTHENTICATED: `not-authenticated`
 * @EV_LINK_REASON_BOUND_TO_OTHER_CP: `bound-to-other-cp`
 * @EV_LINK_REASON_UNKNOWN_TYPE: `unknown-type`
 * @EV_LINK_REASON_BAD_JSON: `bad-json`
 * @EV_LINK_REASON_INVALID_REQUEST: `invalid-request`, an extension: a
 *   request of a known type with a field that is missing or invalid and
 *   has no reason of its own (e.g. a negative `price`).
 * @EV_LINK_REASON_RATE_LIMITED: `rate-limited`, an extension: too many
 *   failed `auth` attempts for this CP id or from this address; try again
 *   later.
 * @EV_LINK_REASON_ALREADY_CONNECTED: `already-connected`, an extension:
 *   the CP is live on another link, which is kept.
 * @EV_LINK_REASON_NOT_PAIRED: `not-paired`, an extension: the engine
 *   takes requests only from the monitor it is paired with; the denial
 *   of a `hello` carries a `challenge` to prove the pairing with.
 * @EV_LINK_REASON_TOO_MANY_PENDING: `too-many-pending`, an extension: a
 *   `register` refused because too many registrations await the
 *   operator's approval (from this address, or in all).
 *
 * The `reason` of a denied or error link response.
 */
typedef enum {
  EV_LINK_REASON_NONE,
  EV_LINK_REASON_UNKNOWN_CP,
  EV_LINK_REASON_BAD_TOKEN,
  EV_LINK_REASON_INVALID_ID,
  EV_LINK_REASON_ALREADY_REGISTERED,
  EV_LINK_REASON_INVALID_LOCATION,
  EV_LINK_REASON_NOT_AUTHENTICATED,
  EV_LINK_REASON_BOUND_TO_OTHER_CP,
  EV_LINK_REASON_UNKNOWN_TYPE,
  EV_LINK_REASON_BAD_JSON,
  EV_LINK_REASON_INVALID_REQUEST,
  EV_LINK_REASON_RATE_LIMITED,
  EV_LINK_REASON_ALREADY_CONNECTED,
  EV_LINK_REASON_NOT_PAIRED,
  EV_LINK_REASON_TOO_MANY_PENDING,
} EvLinkReason;

/**
 * EvSupplyOrigin:
 * @EV_SUPPLY_ORIGIN_DRIVER: `driver`, from a driver app.
 * @EV_SUPPLY_ORIGIN_STATION: `station`, typed at the charging point.
 */
typedef enum {
  EV_SUPPLY_ORIGIN_DRIVER,
  EV_SUPPLY_ORIGIN_STATION,
} EvSupplyOrigin;

/**
 * EvSupplyStatus:
 * @EV_SUPPLY_STATUS_AUTHORIZED: `authorized`
 * @EV_SUPPLY_STATUS_DENIED: `denied`
 */
typedef enum {
  EV_SUPPLY_STATUS_AUTHORIZED,
  EV_SUPPLY_STATUS_DENIED,
} EvSupplyStatus;

/**
 * EvSupplyDenyReason:
 * @EV_SUPPLY_DENY_REASON_NONE: no reason.
 * @EV_SUPPLY_DENY_REASON_UNKNOWN_CP: `unknown-cp`
 * @EV_SUPPLY_DENY_REASON_CP_DISCONNECTED: `cp-disconnected`
 * @EV_SUPPLY_DENY_REASON_CP_BUSY: `cp-busy`
 * @EV_SUPPLY_DENY_REASON_CP_STOPPED: `cp-stopped`
 * @EV_SUPPLY_DENY_REASON_CP_BROKEN: `cp-broken`
 * @EV_SUPPLY_DENY_REASON_DRIVER_BUSY: `driver-busy`
 * @EV_SUPPLY_DENY_REASON_INVALID_REQUEST: `invalid-request`
 * @EV_SUPPLY_DENY_REASON_UNAVAILABLE: `unavailable`, an extension: Central
 *   cannot store a supply right now (its disk is full); ask again later
 *
 * Why Central denied a supply request (`supply-res`).
 */
typedef enum {
  EV_SUPPLY_DENY_REASON_NONE,
  EV_SUPPLY_DENY_REASON_UNKNOWN_CP,
  EV_SUPPLY_DENY_REASON_CP_DISCONNECTED,
  EV_SUPPLY_DENY_REASON_CP_BUSY,
  EV_SUPPLY_DENY_REASON_CP_STOPPED,
  EV_SUPPLY_DENY_REASON_CP_BROKEN,
  EV_SUPPLY_DENY_REASON_DRIVER_BUSY,
  EV_SUPPLY_DENY_REASON_INVALID_REQUEST,
  EV_SUPPLY_DENY_REASON_UNAVAILABLE,
} EvSupplyDenyReason;

/**
 * EvDirectiveAction:
 * @EV_DIRECTIVE_ACTION_START: `start`, authorise a supply.
 * @EV_DIRECTIVE_ACTION_STOP: `stop`, put the CP out of order.
 * @EV_DIRECTIVE_ACTION_RESUME: `resume`, make it ACTIVE again.
 * @EV_DIRECTIVE_ACTION_CANCEL: `cancel`, withdraw an authorisation.
 */
typedef enum {
  EV_DIRECTIVE_ACTION_START,
  EV_DIRECTIVE_ACTION_STOP,
  EV_DIRECTIVE_ACTION_RESUME,
  EV_DIRECTIVE_ACTION_CANCEL,
} EvDirectiveAction;

/**
 * EvSupplyDataKind:
 * @EV_SUPPLY_DATA_PROGRESS: `progress`, live figures.
 * @EV_SUPPLY_DATA_TICKET: `ticket`, the final message of a supply.
 */
typedef enum {
  EV_SUPPLY_DATA_PROGRESS,
  EV_SUPPLY_DATA_TICKET,
} EvSupplyDataKind;

/**
 * EvTicketReason:
 * @EV_TICKET_REASON_NONE: no reason (progress messages).
 * @EV_TICKET_REASON_UNPLUGGED: `unplugged`
 * @EV_TICKET_REASON_STOPPED_BY_CENTRAL: `stopped-by-central`
 * @EV_TICKET_REASON_ENGINE_FAULT: `engine-fault`
 * @EV_TICKET_REASON_NOT_PLUGGED: `not-plugged`
 * @EV_TICKET_REASON_MONITOR_LOST: `monitor-lost`: the engine had no
 *   monitor for 5 s and ended the supply itself
 *
 * Why a supply ended, as its ticket says.
 */
typedef enum {
  EV_TICKET_REASON_NONE,
  EV_TICKET_REASON_UNPLUGGED,
  EV_TICKET_REASON_STOPPED_BY_CENTRAL,
  EV_TICKET_REASON_ENGINE_FAULT,
  EV_TICKET_REASON_NOT_PLUGGED,
  EV_TICKET_REASON_MONITOR_LOST,
} EvTicketReason;

/**
 * EvSupplyErrorReason:
 * @EV_SUPPLY_ERROR_REASON_NONE: no reason.
 * @EV_SUPPLY_ERROR_REASON_ENGINE_FAULT: `engine-fault`
 * @EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED: `cp-disconnected`
 * @EV_SUPPLY_ERROR_REASON_STOPPED_BY_CENTRAL: `stopped-by-central`
 * @EV_SUPPLY_ERROR_REASON_NOT_PLUGGED: `not-plugged`
 *
 * Why a supply ended by a fault or refusal (`supply-error`).
 */
typedef enum {
  EV_SUPPLY_ERROR_REASON_NONE,
  EV_SUPPLY_ERROR_REASON_ENGINE_FAULT,
  EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED,
  EV_SUPPLY_ERROR_REASON_STOPPED_BY_CENTRAL,
  EV_SUPPLY_ERROR_REASON_NOT_PLUGGED,
} EvSupplyErrorReason;

const char *ev_link_request_type_to_string    (EvLinkRequestType    type);
gboolean    ev_link_request_type_from_string  (const char          *text,
                                               EvLinkRequestType   *type);
const char *ev_engine_health_to_string        (EvEngineHealth       health);
gboolean    ev_engine_health_from_string      (const char          *text,
                                               EvEngineHealth      *health);
const char *ev_link_status_to_string          (EvLinkStatus         status);
gboolean    ev_link_status_from_string        (const char          *text,
                                               EvLinkStatus        *status);
const char *ev_link_reason_to_string          (EvLinkReason         reason);
gboolean    ev_link_reason_from_string        (const char          *text,
                                               EvLinkReason        *reason);
const char *ev_supply_origin_to_string        (EvSupplyOrigin       origin);
gboolean    ev_supply_origin_from_string      (const char          *text,
                                               EvSupplyOrigin      *origin);
const char *ev_supply_status_to_string        (EvSupplyStatus       status);
gboolean    ev_supply_status_from_string      (const char          *text,
                                               EvSupplyStatus      *status);
const char *ev_supply_deny_reason_to_string   (EvSupplyDenyReason   reason);
gboolean    ev_supply_deny_reason_from_string (const char          *text,
                                               EvSupplyDenyReason  *reason);
const char *ev_directive_action_to_string     (EvDirectiveAction    action);
gboolean    ev_directive_action_from_string   (const char          *text,
                                               EvDirectiveAction   *action);
const char *ev_supply_data_kind_to_string     (EvSupplyDataKind     kind);
gboolean    ev_supply_data_kind_from_string   (const char          *text,
                                               EvSupplyDataKind    *kind);
const char *ev_ticket_reason_to_string        (EvTicketReason       reason);
gboolean    ev_ticket_reason_from_string      (const char          *text,
                                               EvTicketReason      *reason);
const char *ev_supply_error_reason_to_string  (EvSupplyErrorReason  reason);
gboolean    ev_supply_error_reason_from_string (const char         *text,
                                                EvSupplyErrorReason *reason);

/* ------------------------------------------------------------------ */
/* Section 2: framed TCP links                                         */

/**
 * EvLinkRequest:
 * @type: the request type.
 * @cp_id: `auth`, `register`, `hello`, `key`: the CP id.
 * @token: `auth`: the token Central issued at registration.
 * @location: `register`: where the CP is.
 * @nonce: (nullable): `register`, optional (an extension): a random
 *   string the monitor keeps until it has its token, so that a repeated
 *   `register` gets the same answer.
 * @challenge: (nullable): `hello`, optional (an extension): the
 *   engine's challenge the @proof answers.
 * @proof: (nullable): `hello`, optional (an extension): the pairing
 *   proof, see ev_link_pairing_proof().
 * @state: `status`: the CP state.
 * @engine: `status`: the engine's health.
 * @reachable: `central`: whether Central is reachable.
 * @price: `price`: the current price in EUR/kWh.
 * @key: `key`: the CP's key, 32 bytes in base64.
 *
 * One monitor request; only the fields of @type are meaningful.
 */
typedef struct {
  EvLinkRequestType type;
  char *cp_id;
  char *token;
  char *location;
  char *nonce;
  char *challenge;
  char *proof;
  EvCpState state;
  EvEngineHealth engine;
  gboolean reachable;
  double price;
  char *key;
} EvLinkRequest;

EvLinkRequest  *ev_link_request_new           (EvLinkRequestType    type);
EvLinkRequest  *ev_link_request_new_auth      (const char          *cp_id,
                                               const char          *token);
EvLinkRequest  *ev_link_request_new_register  (const char          *cp_id,
                                               const char          *location);
EvLinkRequest  *ev_link_request_new_register_with_nonce (const char *cp_id,
                                                         const char *location,
                                                         const char *nonce);
EvLinkRequest  *ev_link_request_new_status    (EvCpState            state,
                                               EvEngineHealth       engine);
EvLinkRequest  *ev_link_request_new_hello     (const char          *cp_id);
EvLinkRequest  *ev_link_request_new_hello_paired (const char       *cp_id,
                                                  const char       *challenge,
                                                  const char       *secret);
char           *ev_link_pairing_proof         (const char          *secret,
                                               const char          *challenge,
                                               const char          *cp_id);
gboolean        ev_link_pairing_check         (const char          *secret,
                                               const char          *challenge,
                                               const EvLinkRequest *hello);
EvLinkRequest  *ev_link_request_new_health    (void);
EvLinkRequest  *ev_link_request_new_central   (gboolean             reachable);
EvLinkRequest  *ev_link_request_new_price     (double               price);
EvLinkRequest  *ev_link_request_new_key       (const char          *cp_id,
                                               const char          *key);
EV_MESSAGE_DECLARE_CODEC (EvLinkRequest, ev_link_request)
EvLinkRequest  *ev_link_request_parse         (const char          *data,
                                               gssize               length,
                                               EvLinkReason        *reason,
                                               GError             **error);

/**
 * EvLinkResponse:
 * @status: the status.
 * @reason: `denied`, `error`: why; %EV_LINK_REASON_NONE when absent.
 * @has_price: whether @price is present.
 * @price: `authorized`, `registered`, `ok` to `status`: EUR/kWh.
 * @location: (nullable): `authorized`, `ok` to `hello`: the location.
 * @token: (nullable): `registered`: the token to present on `auth`.
 * @has_state: whether @state is present.
 * @state: `ok` to `hello`, `ok`/`ko` to `health`: the CP state.
 * @challenge: (nullable): `denied` `not-paired` to `hello` (an
 *   extension): the challenge the next `hello` proves the pairing with.
 * @pending: `registered`, `authorized`, `ok` to `status` (an extension,
 *   `"approval":"pending"` on the wire): the CP awaits the operator's
 *   approval; absent (or `"approved"`) means approved.
 * @cp_key: (nullable): `registered`, `authorized` (an extension): the
 *   key the CP signs its Kafka messages with, 32 bytes in base64.
 *
 * One response on a link.
 */
typedef struct {
  EvLinkStatus status;
  EvLinkReason reason;
  gboolean has_price;
  double price;
  char *location;
  char *token;
  gboolean has_state;
  EvCpState state;
  char *challenge;
  gboolean pending;
  char *cp_key;
} EvLinkResponse;

EvLinkResponse *ev_link_response_new              (EvLinkStatus          status);
EvLinkResponse *ev_link_response_new_ok           (void);
EvLinkResponse *ev_link_response_new_ok_with_price (double               price);
EvLinkResponse *ev_link_response_new_hello_ok     (const char           *location,
                                                   EvCpState             state);
EvLinkResponse *ev_link_response_new_health       (gboolean              ok,
                                                   EvCpState             state);
EvLinkResponse *ev_link_response_new_authorized   (double                price,
                                                   const char           *location);
EvLinkResponse *ev_link_response_new_registered   (double                price,
                                                   const char           *token);
EvLinkResponse *ev_link_response_new_denied       (EvLinkReason          reason);
EvLinkResponse *ev_link_response_new_error        (EvLinkReason          reason);
EvLinkResponse *ev_link_response_new_not_paired   (const char           *challenge);
EvLinkResponse *ev_link_response_new_bad_json     (void);
EvLinkResponse *ev_link_response_new_unknown_type (void);
EvLinkResponse *ev_link_response_new_for_reason   (EvLinkReason          reason);
EV_MESSAGE_DECLARE_CODEC (EvLinkResponse, ev_link_response)

/* ------------------------------------------------------------------ */
/* Section 3: Kafka messages                                           */

/**
 * EvSupplyRequest:
 * @envelope: the envelope.
 * @request_id: the request UUID.
 * @cp_id: the CP asked for.
 * @driver_id: who asks (may be `station:<cp_id>`).
 * @origin: a driver app or the station.
 *
 * A `supply-req` message.
 */
typedef struct {
  EvEnvelope envelope;
  char *request_id;
  char *cp_id;
  char *driver_id;
  EvSupplyOrigin origin;
} EvSupplyRequest;

EvSupplyRequest *ev_supply_request_new        (const char             *request_id,
                                               const char             *cp_id,
                                               const char             *driver_id,
                                               EvSupplyOrigin          origin);
EV_MESSAGE_DECLARE_CODEC (EvSupplyRequest, ev_supply_request)

/**
 * EvSupplyResponse:
 * @envelope: the envelope.
 * @request_id: the request answered.
 * @driver_id: who asked.
 * @cp_id: the CP asked for.
 * @status: authorised or denied.
 * @reason: why it was denied; required when denied.
 * @supply_id: (nullable): the new supply; required when authorised.
 * @has_price: whether @price is present; required when authorised.
 * @price: the price of the supply in EUR/kWh.
 *
 * A `supply-res` message.
 */
typedef struct {
  EvEnvelope envelope;
  char *request_id;
  char *driver_id;
  char *cp_id;
  EvSupplyStatus status;
  EvSupplyDenyReason reason;
  char *supply_id;
  gboolean has_price;
  double price;
} EvSupplyResponse;

EvSupplyResponse *ev_supply_response_new_authorized (const char             *request_id,
                                                     const char             *driver_id,
                                                     const char             *cp_id,
                                                     const char             *supply_id,
                                                     double                  price);
EvSupplyResponse *ev_supply_response_new_denied     (const char             *request_id,
                                                     const char             *driver_id,
                                                     const char             *cp_id,
                                                     EvSupplyDenyReason      reason);
EV_MESSAGE_DECLARE_CODEC (EvSupplyResponse, ev_supply_response)

/* The `target` of a directive meant for every engine. */
#define EV_DIRECTIVE_TARGET_ALL "all"

/**
 * EvDirective:
 * @envelope: the envelope.
 * @target: a CP id, or %EV_DIRECTIVE_TARGET_ALL.
 * @action: what to do.
 * @supply_id: (nullable): `start`, `cancel`: the supply concerned.
 * @driver_id: (nullable): `start`: the driver of the supply.
 * @has_price: whether @price is present; required for `start`.
 * @price: `start`: the price of the supply in EUR/kWh.
 * @expires: ms since the epoch after which engines ignore the directive.
 *
 * A `central-directives` message. `start` and `cancel` concern one supply,
 * so they need a single CP as @target.
 */
typedef struct {
  EvEnvelope envelope;
  char *target;
  EvDirectiveAction action;
  char *supply_id;
  char *driver_id;
  gboolean has_price;
  double price;
  gint64 expires;
} EvDirective;

EvDirective *ev_directive_new             (const char         *target,
                                           EvDirectiveAction   action,
                                           gint64              expires);
EV_MESSAGE_DECLARE_CODEC (EvDirective, ev_directive)
gboolean     ev_directive_applies_to      (const EvDirective  *msg,
                                           const char         *cp_id);
gboolean     ev_directive_is_expired      (const EvDirective  *msg,
                                           gint64              now_ms);

/**
 * EvSupplyData:
 * @envelope: the envelope.
 * @kind: progress or ticket.
 * @supply_id: the supply.
 * @cp_id: where.
 * @driver_id: whose.
 * @seq: 1, 2, … per supply.
 * @kwh: energy so far.
 * @amount: money so far, EUR.
 * @price: EUR/kWh.
 * @started_at: ms since the epoch; 0 when absent, required for a ticket.
 * @ended_at: ms since the epoch; 0 when absent, required for a ticket.
 * @reason: why the supply ended; required for a ticket.
 * @source_ts: `supply-data2` only, an extension: the `ts` of the engine's
 *   `supply-data` message Central relays, in ms since the epoch; 0 when
 *   absent. Encoded only when set; readers that do not know it ignore it.
 *
 * A `supply-data` message, and the same shape on `supply-data2`.
 */
typedef struct {
  EvEnvelope envelope;
  EvSupplyDataKind kind;
  char *supply_id;
  char *cp_id;
  char *driver_id;
  guint seq;
  double kwh;
  double amount;
  double price;
  gint64 started_at;
  gint64 ended_at;
  EvTicketReason reason;
  gint64 source_ts;
} EvSupplyData;

EvSupplyData *ev_supply_data_new          (EvSupplyDataKind    kind,
                                           const char         *supply_id,
                                           const char         *cp_id,
                                           const char         *driver_id,
                                           guint               seq);
EV_MESSAGE_DECLARE_CODEC (EvSupplyData, ev_supply_data)

/**
 * EvSupplyError:
 * @envelope: the envelope.
 * @supply_id: the supply.
 * @driver_id: whose.
 * @cp_id: where.
 * @reason: why it ended.
 * @kwh: energy delivered.
 * @amount: money owed, EUR.
 *
 * A `supply-error` message.
 */
typedef struct {
  EvEnvelope envelope;
  char *supply_id;
  char *driver_id;
  char *cp_id;
  EvSupplyErrorReason reason;
  double kwh;
  double amount;
} EvSupplyError;

EvSupplyError *ev_supply_error_new        (const char          *supply_id,
                                           const char          *driver_id,
                                           const char          *cp_id,
                                           EvSupplyErrorReason  reason);
EV_MESSAGE_DECLARE_CODEC (EvSupplyError, ev_supply_error)

/**
 * EvCpStateMessage:
 * @envelope: the envelope.
 * @cp_id: the CP.
 * @state: its state.
 * @location: (nullable): where it is.
 * @has_price: whether @price is present.
 * @price: its price in EUR/kWh.
 *
 * A `cp-states` message.
 */
typedef struct {
  EvEnvelope envelope;
  char *cp_id;
  EvCpState state;
  char *location;
  gboolean has_price;
  double price;
} EvCpStateMessage;

EvCpStateMessage *ev_cp_state_message_new       (const char             *cp_id,
                                                 EvCpState               state);
EV_MESSAGE_DECLARE_CODEC (EvCpStateMessage, ev_cp_state_message)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvLinkRequest, ev_link_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvLinkResponse, ev_link_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSupplyRequest, ev_supply_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSupplyResponse, ev_supply_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvDirective, ev_directive_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSupplyData, ev_supply_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSupplyError, ev_supply_error_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvCpStateMessage, ev_cp_state_message_free)

const EvMessageType * const *ev_message_types (guint *n_types);

const char *ev_reason_describe (const char *reason);

G_END_DECLS

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ev-messages.h"

/* Wire names ------------------------------------------------------------ */

/* Tables are indexed by enum value; a NULL entry (the …_NONE values) has no
 * wire name and is never parsed. */
static const char *
wire_name (const char * const *names,
           unsigned            n_names,
           int                 value)
{
  if (value < 0 || (unsigned) value >= n_names)
    return NULL;
  return names[value];
}

static gboolean
wire_value (const char * const *names,
            unsigned            n_names,
            const char         *text,
            int                *value)
{
  if (text == NULL)
    return FALSE;

  for (unsigned i = 0; i < n_names; i++)
    {
      if (names[i] != NULL && strcmp (names[i], text) == 0)
        {
          *value = (int) i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Each pair of functions follows ev_cp_state_to_string() and
 * ev_cp_state_from_string(): to_string returns the exact wire name or
 * %NULL for a value without one; from_string matches exactly and leaves
 * the output alone on failure. The `int` pair is what the message tables
 * use. */
#define DEFINE_WIRE_NAMES(prefix, Type, names)                              \
  static const char *                                                       \
  prefix##_wire_name (int value)                                            \
  {                                                                         \
    return wire_name (names, G_N_ELEMENTS (names), value);                  \
  }                                                                         \
                                                                            \
  static gboolean                                                           \
  prefix##_wire_value (const char *text,                                    \
                       int        *value)                                   \
  {                                                                         \
    return wire_value (names, G_N_ELEMENTS (names), text, value);           \
  }                                                                         \
                                                                            \
  const char *                                                              \
  prefix##_to_string (Type value)                                           \
  {                                                                         \
    return prefix##_wire_name ((int) value);                                \
  }                                                                         \
                                                                            \
  gboolean                                                                  \
  prefix##_from_string (const char *text,                                   \
                        Type       *value)                                  \
  {                                                                         \
    int v;                                                                  \
                                                                            \
    g_return_val_if_fail (value != NULL, FALSE);                            \
                                                                            \
    if (!prefix##_wire_value (text, &v))                                    \
      return FALSE;                                                         \
    *value = (Type) v;                                                      \
    return TRUE;                                                            \
  }

static const char * const link_request_type_names[] = {
  [EV_LINK_REQUEST_AUTH] = "auth",
  [EV_LINK_REQUEST_REGISTER] = "register",
  [EV_LINK_REQUEST_STATUS] = "status",
  [EV_LINK_REQUEST_HELLO] = "hello",
  [EV_LINK_REQUEST_HEALTH] = "health",
  [EV_LINK_REQUEST_CENTRAL] = "central",
  [EV_LINK_REQUEST_PRICE] = "price",
  [EV_LINK_REQUEST_KEY] = "key",
};

static const char * const engine_health_names[] = {
  [EV_ENGINE_HEALTH_OK] = "ok",
  [EV_ENGINE_HEALTH_KO] = "ko",
  [EV_ENGINE_HEALTH_UNREACHABLE] = "unreachable",
};

static const char * const link_status_names[] = {
  [EV_LINK_STATUS_OK] = "ok",
  [EV_LINK_STATUS_KO] = "ko",
  [EV_LINK_STATUS_AUTHORIZED] = "authorized",
  [EV_LINK_STATUS_REGISTERED] = "registered",
  [EV_LINK_STATUS_DENIED] = "denied",
  [EV_LINK_STATUS_ERROR] = "error",
};

static const char * const link_reason_names[] = {
  [EV_LINK_REASON_NONE] = NULL,
  [EV_LINK_REASON_UNKNOWN_CP] = "unknown-cp",
  [EV_LINK_REASON_BAD_TOKEN] = "bad-token",
  [EV_LINK_REASON_INVALID_ID] = "invalid-id",
  [EV_LINK_REASON_ALREADY_REGISTERED] = "already-registered",
  [EV_LINK_REASON_INVALID_LOCATION] = "invalid-location",
  [EV_LINK_REASON_NOT_AUTHENTICATED] = "not-authenticated",
  [EV_LINK_REASON_BOUND_TO_OTHER_CP] = "bound-to-other-cp",
  [EV_LINK_REASON_UNKNOWN_TYPE] = "unknown-type",
  [EV_LINK_REASON_BAD_JSON] = "bad-json",
  [EV_LINK_REASON_INVALID_REQUEST] = "invalid-request",
  [EV_LINK_REASON_RATE_LIMITED] = "rate-limited",
  [EV_LINK_REASON_ALREADY_CONNECTED] = "already-connected",
  [EV_LINK_REASON_NOT_PAIRED] = "not-paired",
  [EV_LINK_REASON_TOO_MANY_PENDING] = "too-many-pending",
};

static const char * const supply_origin_names[] = {
  [EV_SUPPLY_ORIGIN_DRIVER] = "driver",
  [EV_SUPPLY_ORIGIN_STATION] = "station",
};

static const char * const supply_status_names[] = {
  [EV_SUPPLY_STATUS_AUTHORIZED] = "authorized",
  [EV_SUPPLY_STATUS_DENIED] = "denied",
};

static const char * const supply_deny_reason_names[] = {
  [EV_SUPPLY_DENY_REASON_NONE] = NULL,
  [EV_SUPPLY_DENY_REASON_UNKNOWN_CP] = "unknown-cp",
  [EV_SUPPLY_DENY_REASON_CP_DISCONNECTED] = "cp-disconnected",
  [EV_SUPPLY_DENY_REASON_CP_BUSY] = "cp-busy",
  [EV_SUPPLY_DENY_REASON_CP_STOPPED] = "cp-stopped",
  [EV_SUPPLY_DENY_REASON_CP_BROKEN] = "cp-broken",
  [EV_SUPPLY_DENY_REASON_DRIVER_BUSY] = "driver-busy",
  [EV_SUPPLY_DENY_REASON_INVALID_REQUEST] = "invalid-request",
  [EV_SUPPLY_DENY_REASON_UNAVAILABLE] = "unavailable",
};

static const char * const directive_action_names[] = {
  [EV_DIRECTIVE_ACTION_START] = "start",
  [EV_DIRECTIVE_ACTION_STOP] = "stop",
  [EV_DIRECTIVE_ACTION_RESUME] = "resume",
  [EV_DIRECTIVE_ACTION_CANCEL] = "cancel",
};

static const char * const supply_data_kind_names[] = {
  [EV_SUPPLY_DATA_PROGRESS] = "progress",
  [EV_SUPPLY_DATA_TICKET] = "ticket",
};

static const char * const ticket_reason_names[] = {
  [EV_TICKET_REASON_NONE] = NULL,
  [EV_TICKET_REASON_UNPLUGGED] = "unplugged",
  [EV_TICKET_REASON_STOPPED_BY_CENTRAL] = "stopped-by-central",
  [EV_TICKET_REASON_ENGINE_FAULT] = "engine-fault",
  [EV_TICKET_REASON_NOT_PLUGGED] = "not-plugged",
  [EV_TICKET_REASON_MONITOR_LOST] = "monitor-lost",
};

static const char * const supply_error_reason_names[] = {
  [EV_SUPPLY_ERROR_REASON_NONE] = NULL,
  [EV_SUPPLY_ERROR_REASON_ENGINE_FAULT] = "engine-fault",
  [EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED] = "cp-disconnected",
  [EV_SUPPLY_ERROR_REASON_STOPPED_BY_CENTRAL] = "stopped-by-central",
  [EV_SUPPLY_ERROR_REASON_NOT_PLUGGED] = "not-plugged",
};

/**
 * ev_link_request_type_to_string:
 * @value: a link request type
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_link_request_type_from_string:
 * @text: (nullable): a wire name such as `"auth"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvLinkRequestType
 */
DEFINE_WIRE_NAMES (ev_link_request_type, EvLinkRequestType, link_request_type_names)
/**
 * ev_engine_health_to_string:
 * @value: an engine health
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_engine_health_from_string:
 * @text: (nullable): a wire name such as `"unreachable"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvEngineHealth
 */
DEFINE_WIRE_NAMES (ev_engine_health, EvEngineHealth, engine_health_names)
/**
 * ev_link_status_to_string:
 * @value: a link response status
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_link_status_from_string:
 * @text: (nullable): a wire name such as `"authorized"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvLinkStatus
 */
DEFINE_WIRE_NAMES (ev_link_status, EvLinkStatus, link_status_names)
/**
 * ev_link_reason_to_string:
 * @value: a link response reason
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_link_reason_from_string:
 * @text: (nullable): a wire name such as `"bad-json"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvLinkReason
 */
DEFINE_WIRE_NAMES (ev_link_reason, EvLinkReason, link_reason_names)
/**
 * ev_supply_origin_to_string:
 * @value: a supply request origin
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_supply_origin_from_string:
 * @text: (nullable): a wire name such as `"station"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvSupplyOrigin
 */
DEFINE_WIRE_NAMES (ev_supply_origin, EvSupplyOrigin, supply_origin_names)
/**
 * ev_supply_status_to_string:
 * @value: a supply response status
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_supply_status_from_string:
 * @text: (nullable): a wire name such as `"denied"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvSupplyStatus
 */
DEFINE_WIRE_NAMES (ev_supply_status, EvSupplyStatus, supply_status_names)
/**
 * ev_supply_deny_reason_to_string:
 * @value: a supply denial reason
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_supply_deny_reason_from_string:
 * @text: (nullable): a wire name such as `"cp-busy"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvSupplyDenyReason
 */
DEFINE_WIRE_NAMES (ev_supply_deny_reason, EvSupplyDenyReason, supply_deny_reason_names)
/**
 * ev_directive_action_to_string:
 * @value: a directive action
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_directive_action_from_string:
 * @text: (nullable): a wire name such as `"resume"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvDirectiveAction
 */
DEFINE_WIRE_NAMES (ev_directive_action, EvDirectiveAction, directive_action_names)
/**
 * ev_supply_data_kind_to_string:
 * @value: a supply data kind
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_supply_data_kind_from_string:
 * @text: (nullable): a wire name such as `"ticket"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvSupplyDataKind
 */
DEFINE_WIRE_NAMES (ev_supply_data_kind, EvSupplyDataKind, supply_data_kind_names)
/**
 * ev_ticket_reason_to_string:
 * @value: a ticket reason
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_ticket_reason_from_string:
 * @text: (nullable): a wire name such as `"unplugged"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvTicketReason
 */
DEFINE_WIRE_NAMES (ev_ticket_reason, EvTicketReason, ticket_reason_names)
/**
 * ev_supply_error_reason_to_string:
 * @value: a supply error reason
 *
 * Returns: (transfer none) (nullable): the wire name of @value, or %NULL
 */
/**
 * ev_supply_error_reason_from_string:
 * @text: (nullable): a wire name such as `"engine-fault"`
 * @value: (out): where to store the parsed value
 *
 * Returns: %TRUE if @text is exactly a wire name of #EvSupplyErrorReason
 */
DEFINE_WIRE_NAMES (ev_supply_error_reason, EvSupplyErrorReason, supply_error_reason_names)


/* The two wire names that are not a table of their own. */

static const char *
cp_state_wire_name (int value)
{
  return ev_cp_state_to_string ((EvCpState) value);
}

static gboolean
cp_state_wire_value (const char *text,
                     int        *value)
{
  EvCpState state;

  if (!ev_cp_state_from_string (text, &state))
    return FALSE;
  *value = (int) state;
  return TRUE;
}

/* `"approval":"pending"` (an extension) sets EvLinkResponse.pending;
 * `"approved"`, or no member, leaves it unset. */
static const char *
approval_wire_name (int pending)
{
  return pending ? "pending" : NULL;
}

static gboolean
approval_wire_value (const char *text,
                     int        *pending)
{
  if (g_str_equal (text, "pending"))
    *pending = TRUE;
  else if (g_str_equal (text, "approved"))
    *pending = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* Rules across members ------------------------------------------------- */

static gboolean
validate_target (const char  *target,
                 const char  *field,
                 GError     **error)
{
  return g_strcmp0 (target, EV_DIRECTIVE_TARGET_ALL) == 0 ||
         ev_protocol_validate_cp_id (target, field, error);
}

/* `start` and `cancel` concern one supply, so one CP. */
static gboolean
check_directive (gconstpointer   msg,
                 GError        **error)
{
  const EvDirective *directive = msg;

  if ((directive->action != EV_DIRECTIVE_ACTION_START && directive->action != EV_DIRECTIVE_ACTION_CANCEL) ||
      strcmp (directive->target, EV_DIRECTIVE_TARGET_ALL) != 0)
    return TRUE;

  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
               _("Field “%s” must name one charging point for this action"),
               "target");
  return FALSE;
}

static gboolean
check_supply_data (gconstpointer   msg,
                   GError        **error)
{
  const EvSupplyData *data = msg;

  if (data->ended_at == 0 || data->started_at == 0 || data->ended_at >= data->started_at)
    return TRUE;

  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
               _("Field “%s” is earlier than “%s”"), "ended_at", "started_at");
  return FALSE;
}

/* The tables ------------------------------------------------------------- */

/* Enums are stored and read as int. */
G_STATIC_ASSERT (sizeof (EvLinkRequestType) == sizeof (int));
G_STATIC_ASSERT (sizeof (EvCpState) == sizeof (int));
G_STATIC_ASSERT (sizeof (EvLinkStatus) == sizeof (int));
G_STATIC_ASSERT (sizeof (EvSupplyStatus) == sizeof (int));
G_STATIC_ASSERT (sizeof (EvDirectiveAction) == sizeof (int));
G_STATIC_ASSERT (sizeof (EvSupplyDataKind) == sizeof (int));

#define AT(Struct, member) .offset = G_STRUCT_OFFSET (Struct, member)
#define HAS(Struct, member) .presence = G_STRUCT_OFFSET (Struct, member)
#define WIRE(prefix) .enum_name = prefix##_wire_name, .enum_value = prefix##_wire_value
#define STRING EV_MESSAGE_FIELD_STRING
#define ENUM EV_MESSAGE_FIELD_ENUM
#define DOUBLE EV_MESSAGE_FIELD_DOUBLE
#define TIMESTAMP EV_MESSAGE_FIELD_TIMESTAMP
#define ALWAYS EV_MESSAGE_ALWAYS
#define WHEN EV_MESSAGE_WHEN

#define MESSAGE(wire, Struct, max, has_envelope, table, rule, bad_json) { \
    .name = wire, .size = sizeof (Struct), .max_size = max, .envelope = has_envelope, \
    .fields = table, .n_fields = G_N_ELEMENTS (table), .check = rule, .bad_json_refusal = bad_json }

/* A link request carries the members of its `type`; each names the
 * reason a server refuses it with when it is missing or invalid. */
static const EvMessageField link_request_fields[] = {
  { "type", ENUM, AT (EvLinkRequest, type), .required = ALWAYS, WIRE (ev_link_request_type),
    .flags = EV_MESSAGE_FIELD_SELECTS | EV_MESSAGE_FIELD_TYPE_NAME, .refusal = EV_LINK_REASON_UNKNOWN_TYPE },
  { "cp_id", STRING, AT (EvLinkRequest, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id,
    .carried = WHEN (EV_LINK_REQUEST_AUTH) | WHEN (EV_LINK_REQUEST_REGISTER) | WHEN (EV_LINK_REQUEST_HELLO) |
               WHEN (EV_LINK_REQUEST_KEY),
    .refusal = EV_LINK_REASON_INVALID_ID },
  { "token", STRING, AT (EvLinkRequest, token), .required = ALWAYS, .check_string = ev_protocol_validate_token,
    .carried = WHEN (EV_LINK_REQUEST_AUTH), .refusal = EV_LINK_REASON_BAD_TOKEN },
  { "location", STRING, AT (EvLinkRequest, location), .required = ALWAYS,
    .check_string = ev_protocol_validate_location,
    .carried = WHEN (EV_LINK_REQUEST_REGISTER), .refusal = EV_LINK_REASON_INVALID_LOCATION },
  { "nonce", STRING, AT (EvLinkRequest, nonce), .check_string = ev_protocol_validate_nonce,
    .carried = WHEN (EV_LINK_REQUEST_REGISTER), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "challenge", STRING, AT (EvLinkRequest, challenge), .check_string = ev_protocol_validate_nonce,
    .carried = WHEN (EV_LINK_REQUEST_HELLO), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "proof", STRING, AT (EvLinkRequest, proof), .check_string = ev_protocol_validate_nonce,
    .carried = WHEN (EV_LINK_REQUEST_HELLO), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "state", ENUM, AT (EvLinkRequest, state), .required = ALWAYS, WIRE (cp_state),
    .carried = WHEN (EV_LINK_REQUEST_STATUS), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "engine", ENUM, AT (EvLinkRequest, engine), .required = ALWAYS, WIRE (ev_engine_health),
    .carried = WHEN (EV_LINK_REQUEST_STATUS), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "reachable", EV_MESSAGE_FIELD_BOOLEAN, AT (EvLinkRequest, reachable), .required = ALWAYS,
    .carried = WHEN (EV_LINK_REQUEST_CENTRAL), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "price", DOUBLE, AT (EvLinkRequest, price), .required = ALWAYS, .check_number = ev_protocol_validate_price,
    .carried = WHEN (EV_LINK_REQUEST_PRICE), .refusal = EV_LINK_REASON_INVALID_REQUEST },
  { "key", STRING, AT (EvLinkRequest, key), .required = ALWAYS, .check_string = ev_protocol_validate_cp_key,
    .carried = WHEN (EV_LINK_REQUEST_KEY), .refusal = EV_LINK_REASON_INVALID_REQUEST },
};

static const EvMessageField link_response_fields[] = {
  { "status", ENUM, AT (EvLinkResponse, status), .required = ALWAYS, WIRE (ev_link_status),
    .flags = EV_MESSAGE_FIELD_SELECTS },
  { "reason", ENUM, AT (EvLinkResponse, reason), WIRE (ev_link_reason),
    .required = WHEN (EV_LINK_STATUS_DENIED) | WHEN (EV_LINK_STATUS_ERROR) },
  { "price", DOUBLE, AT (EvLinkResponse, price), HAS (EvLinkResponse, has_price),
    .check_number = ev_protocol_validate_price,
    .required = WHEN (EV_LINK_STATUS_AUTHORIZED) | WHEN (EV_LINK_STATUS_REGISTERED) },
  { "location", STRING, AT (EvLinkResponse, location), .check_string = ev_protocol_validate_location,
    .required = WHEN (EV_LINK_STATUS_AUTHORIZED) },
  { "token", STRING, AT (EvLinkResponse, token), .check_string = ev_protocol_validate_token,
    .required = WHEN (EV_LINK_STATUS_REGISTERED) },
  { "state", ENUM, AT (EvLinkResponse, state), HAS (EvLinkResponse, has_state), WIRE (cp_state) },
  { "challenge", STRING, AT (EvLinkResponse, challenge), .check_string = ev_protocol_validate_nonce },
  { "approval", ENUM, AT (EvLinkResponse, pending), WIRE (approval) },
  { "cp_key", STRING, AT (EvLinkResponse, cp_key), .check_string = ev_protocol_validate_cp_key },
};

static const EvMessageField supply_request_fields[] = {
  { "request_id", STRING, AT (EvSupplyRequest, request_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_uuid },
  { "cp_id", STRING, AT (EvSupplyRequest, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id },
  { "driver_id", STRING, AT (EvSupplyRequest, driver_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_driver_id },
  { "origin", ENUM, AT (EvSupplyRequest, origin), .required = ALWAYS, WIRE (ev_supply_origin) },
};

static const EvMessageField supply_response_fields[] = {
  { "request_id", STRING, AT (EvSupplyResponse, request_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_uuid },
  { "driver_id", STRING, AT (EvSupplyResponse, driver_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_driver_id },
  { "cp_id", STRING, AT (EvSupplyResponse, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id },
  { "status", ENUM, AT (EvSupplyResponse, status), .required = ALWAYS, WIRE (ev_supply_status),
    .flags = EV_MESSAGE_FIELD_SELECTS },
  { "reason", ENUM, AT (EvSupplyResponse, reason), .required = WHEN (EV_SUPPLY_STATUS_DENIED),
    WIRE (ev_supply_deny_reason) },
  { "supply_id", STRING, AT (EvSupplyResponse, supply_id), .required = WHEN (EV_SUPPLY_STATUS_AUTHORIZED),
    .check_string = ev_protocol_validate_uuid },
  { "price", DOUBLE, AT (EvSupplyResponse, price), HAS (EvSupplyResponse, has_price),
    .required = WHEN (EV_SUPPLY_STATUS_AUTHORIZED), .check_number = ev_protocol_validate_price },
};

static const EvMessageField directive_fields[] = {
  { "target", STRING, AT (EvDirective, target), .required = ALWAYS, .check_string = validate_target },
  { "action", ENUM, AT (EvDirective, action), .required = ALWAYS, WIRE (ev_directive_action),
    .flags = EV_MESSAGE_FIELD_SELECTS },
  { "supply_id", STRING, AT (EvDirective, supply_id), .check_string = ev_protocol_validate_uuid,
    .required = WHEN (EV_DIRECTIVE_ACTION_START) | WHEN (EV_DIRECTIVE_ACTION_CANCEL) },
  { "driver_id", STRING, AT (EvDirective, driver_id), .required = WHEN (EV_DIRECTIVE_ACTION_START),
    .check_string = ev_protocol_validate_driver_id },
  { "price", DOUBLE, AT (EvDirective, price), HAS (EvDirective, has_price),
    .required = WHEN (EV_DIRECTIVE_ACTION_START), .check_number = ev_protocol_validate_price },
  { "expires", TIMESTAMP, AT (EvDirective, expires), .required = ALWAYS },
};

static const EvMessageField supply_data_fields[] = {
  { "kind", ENUM, AT (EvSupplyData, kind), .required = ALWAYS, WIRE (ev_supply_data_kind),
    .flags = EV_MESSAGE_FIELD_SELECTS },
  { "supply_id", STRING, AT (EvSupplyData, supply_id), .required = ALWAYS, .check_string = ev_protocol_validate_uuid },
  { "cp_id", STRING, AT (EvSupplyData, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id },
  { "driver_id", STRING, AT (EvSupplyData, driver_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_driver_id },
  { "seq", EV_MESSAGE_FIELD_SEQ, AT (EvSupplyData, seq), .required = ALWAYS },
  { "kwh", DOUBLE, AT (EvSupplyData, kwh), .required = ALWAYS, .check_number = ev_protocol_validate_kwh },
  { "amount", DOUBLE, AT (EvSupplyData, amount), .required = ALWAYS, .check_number = ev_protocol_validate_amount },
  { "price", DOUBLE, AT (EvSupplyData, price), .required = ALWAYS, .check_number = ev_protocol_validate_price },
  { "started_at", TIMESTAMP, AT (EvSupplyData, started_at), .required = WHEN (EV_SUPPLY_DATA_TICKET),
    .flags = EV_MESSAGE_FIELD_OMIT_ZERO },
  { "ended_at", TIMESTAMP, AT (EvSupplyData, ended_at), .required = WHEN (EV_SUPPLY_DATA_TICKET),
    .flags = EV_MESSAGE_FIELD_OMIT_ZERO },
  { "reason", ENUM, AT (EvSupplyData, reason), .required = WHEN (EV_SUPPLY_DATA_TICKET), WIRE (ev_ticket_reason) },
  { "source_ts", TIMESTAMP, AT (EvSupplyData, source_ts), .flags = EV_MESSAGE_FIELD_OMIT_UNSET },
};

static const EvMessageField supply_error_fields[] = {
  { "supply_id", STRING, AT (EvSupplyError, supply_id), .required = ALWAYS, .check_string = ev_protocol_validate_uuid },
  { "driver_id", STRING, AT (EvSupplyError, driver_id), .required = ALWAYS,
    .check_string = ev_protocol_validate_driver_id },
  { "cp_id", STRING, AT (EvSupplyError, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id },
  { "reason", ENUM, AT (EvSupplyError, reason), .required = ALWAYS, WIRE (ev_supply_error_reason) },
  { "kwh", DOUBLE, AT (EvSupplyError, kwh), .required = ALWAYS, .check_number = ev_protocol_validate_kwh },
  { "amount", DOUBLE, AT (EvSupplyError, amount), .required = ALWAYS, .check_number = ev_protocol_validate_amount },
};

static const EvMessageField cp_state_message_fields[] = {
  { "cp_id", STRING, AT (EvCpStateMessage, cp_id), .required = ALWAYS, .check_string = ev_protocol_validate_cp_id },
  { "state", ENUM, AT (EvCpStateMessage, state), .required = ALWAYS, WIRE (cp_state) },
  { "location", STRING, AT (EvCpStateMessage, location), .check_string = ev_protocol_validate_location },
  { "price", DOUBLE, AT (EvCpStateMessage, price), HAS (EvCpStateMessage, has_price),
    .check_number = ev_protocol_validate_price },
};

static const EvMessageType link_request_type =
  MESSAGE ("link-request", EvLinkRequest, EV_PROTOCOL_LINK_MAX_SIZE, FALSE, link_request_fields, NULL,
           EV_LINK_REASON_BAD_JSON);
static const EvMessageType link_response_type =
  MESSAGE ("link-response", EvLinkResponse, EV_PROTOCOL_LINK_MAX_SIZE, FALSE, link_response_fields, NULL, 0);
static const EvMessageType supply_request_type =
  MESSAGE ("supply-req", EvSupplyRequest, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, supply_request_fields, NULL, 0);
static const EvMessageType supply_response_type =
  MESSAGE ("supply-res", EvSupplyResponse, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, supply_response_fields, NULL, 0);
static const EvMessageType directive_type =
  MESSAGE ("central-directives", EvDirective, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, directive_fields,
           check_directive, 0);
static const EvMessageType supply_data_type =
  MESSAGE ("supply-data", EvSupplyData, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, supply_data_fields,
           check_supply_data, 0);
static const EvMessageType supply_error_type =
  MESSAGE ("supply-error", EvSupplyError, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, supply_error_fields, NULL, 0);
static const EvMessageType cp_state_message_type =
  MESSAGE ("cp-states", EvCpStateMessage, EV_PROTOCOL_KAFKA_MAX_SIZE, TRUE, cp_state_message_fields, NULL, 0);

/**
 * ev_message_types:
 * @n_types: (out): how many
 *
 * Every message of the wire, for the tests and the fuzzer to go through.
 *
 * Returns: (transfer none) (array length=n_types): their descriptions
 */
const EvMessageType * const *
ev_message_types (guint *n_types)
{
  static const EvMessageType * const types[] = {
    &link_request_type, &link_response_type, &supply_request_type, &supply_response_type,
    &directive_type, &supply_data_type, &supply_error_type, &cp_state_message_type,
  };

  *n_types = G_N_ELEMENTS (types);
  return types;
}

/* The typed codec ------------------------------------------------------- */

/* Each message has prefix_copy(), _free(), _equal(), _to_json() and
 * _from_json(), which are ev_message_copy(), ev_message_free(),
 * ev_message_equal(), ev_message_encode() and ev_message_decode() on its
 * table. Every member present must be valid; which are required: */

/**
 * ev_link_request_from_json:
 *
 * A link request needs its `type` and that type's members: `cp_id` for
 * `auth`, `register`, `hello` and `key`; `token` for `auth`; `location`
 * for `register`; `state` and `engine` for `status`; `reachable` for
 * `central`; `price` for `price`; `key` for `key`. Like
 * ev_link_request_parse() without the response reason.
 */
EV_MESSAGE_DEFINE_CODEC (EvLinkRequest, ev_link_request, link_request_type)

/**
 * ev_link_response_from_json:
 *
 * `denied` and `error` need a `reason`, `authorized` a `price` and
 * `location`, `registered` a `price` and `token`.
 */
EV_MESSAGE_DEFINE_CODEC (EvLinkResponse, ev_link_response, link_response_type)

/**
 * ev_supply_request_from_json:
 *
 * Every member of a `supply-req` is required.
 */
EV_MESSAGE_DEFINE_CODEC (EvSupplyRequest, ev_supply_request, supply_request_type)

/**
 * ev_supply_response_from_json:
 *
 * An authorised `supply-res` needs `supply_id` and `price`, a denied one a
 * `reason` from the contract's list.
 */
EV_MESSAGE_DEFINE_CODEC (EvSupplyResponse, ev_supply_response, supply_response_type)

/**
 * ev_directive_from_json:
 *
 * `target`, `action` and `expires` are always required; `start` also needs
 * `supply_id`, `driver_id` and `price`, `cancel` a `supply_id`, and both a
 * single CP as target. Expiry is not checked here: see
 * ev_directive_is_expired().
 */
EV_MESSAGE_DEFINE_CODEC (EvDirective, ev_directive, directive_type)

/**
 * ev_supply_data_from_json:
 *
 * For `supply-data` and `supply-data2`: the ids, `seq` (at least 1), `kwh`,
 * `amount` and `price` are always required; a ticket also needs
 * `started_at`, `ended_at` (not before `started_at`) and a `reason` from
 * the contract's list. `source_ts` (an extension of `supply-data2`) is
 * optional, and like the unset times left out when encoding.
 */
EV_MESSAGE_DEFINE_CODEC (EvSupplyData, ev_supply_data, supply_data_type)

/**
 * ev_supply_error_from_json:
 *
 * Every member of a `supply-error` is required and `reason` must be from
 * the contract's list.
 */
EV_MESSAGE_DEFINE_CODEC (EvSupplyError, ev_supply_error, supply_error_type)

/**
 * ev_cp_state_message_from_json:
 *
 * `cp_id` and `state` are required; `location` and `price` are optional.
 */
EV_MESSAGE_DEFINE_CODEC (EvCpStateMessage, ev_cp_state_message, cp_state_message_type)

/**
 * ev_link_request_parse:
 * @data: (array length=length) (nullable): the JSON text of one frame
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @reason: (out) (optional): on failure, the reason a server answers with
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a monitor request. On failure @reason tells the
 * three cases apart: %EV_LINK_REASON_BAD_JSON (not a JSON object, or too
 * large), %EV_LINK_REASON_UNKNOWN_TYPE (no or an unknown `type`) and, for
 * a bad field, %EV_LINK_REASON_INVALID_ID, %EV_LINK_REASON_INVALID_LOCATION,
 * %EV_LINK_REASON_BAD_TOKEN or %EV_LINK_REASON_INVALID_REQUEST.
 * ev_link_response_new_for_reason() builds the matching response. On
 * success @reason is %EV_LINK_REASON_NONE.
 *
 * Returns: (transfer full) (nullable): the request, or %NULL on error
 */
EvLinkRequest *
ev_link_request_parse (const char    *data,
                       gssize         length,
                       EvLinkReason  *reason,
                       GError       **error)
{
  EvLinkRequest *request;
  int refusal;

  request = ev_message_decode (&link_request_type, data, length, &refusal, error);
  if (reason != NULL)
    *reason = (EvLinkReason) refusal;
  return request;
}

/**
 * ev_reason_describe:
 * @reason: (nullable): a reason code of the wire (a denial, a ticket, a
 *   supply error, a link refusal), such as `cp-busy` or `unplugged`
 *
 * The reason in words for an operator, where a person reads it (the log,
 * the history, a toast); the codes stay in the headless JSON.
 *
 * Returns: (transfer none): translated words, or @reason itself when it is
 *   not one of ours, or "—" for none
 */
const char *
ev_reason_describe (const char *reason)
{
  static const struct {
    const char *reason;
    const char *text;
  } texts[] = {
    { "unknown-cp", N_("unknown charging point") },
    { "cp-disconnected", N_("the charging point is disconnected") },
    { "cp-busy", N_("the charging point is busy") },
    { "cp-stopped", N_("the charging point is stopped") },
    { "cp-broken", N_("the charging point is broken down") },
    { "driver-busy", N_("the driver already has a supply in progress") },
    { "invalid-request", N_("the request is not valid") },
    { "unavailable", N_("Central cannot take requests now") },
    { "unplugged", N_("the vehicle was unplugged") },
    { "stopped-by-central", N_("stopped by the operator") },
    { "engine-fault", N_("the engine broke down") },
    { "not-plugged", N_("no vehicle plugged in within a minute") },
    { "monitor-lost", N_("the engine lost its monitor") },
    { "bad-token", N_("wrong token") },
    { "invalid-id", N_("invalid charging point id") },
    { "already-registered", N_("already registered") },
    { "invalid-location", N_("invalid location") },
    { "not-authenticated", N_("not authenticated") },
    { "bound-to-other-cp", N_("the engine serves another charging point") },
    { "unknown-type", N_("unknown request") },
    { "bad-json", N_("malformed request") },
    { "rate-limited", N_("too many attempts; wait before trying again") },
    { "already-connected", N_("the charging point is connected on another link") },
    { "not-paired", N_("not the monitor this engine is paired with") },
    { "too-many-pending", N_("too many charging points await approval") },
  };

  if (reason == NULL || *reason == '\0')
    return "—";
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_str_equal (texts[i].reason, reason))
      return g_dgettext (GETTEXT_PACKAGE, texts[i].text);
  return reason;
}

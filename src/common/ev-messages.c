#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ev-json.h"
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
 * the output alone on failure. */
#define DEFINE_WIRE_NAMES(prefix, Type, names)                              \
  const char *                                                              \
  prefix##_to_string (Type value)                                           \
  {                                                                         \
    return wire_name (names, G_N_ELEMENTS (names), (int) value);            \
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
    if (!wire_value (names, G_N_ELEMENTS (names), text, &v))                \
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

/* Decoding --------------------------------------------------------------- */

typedef gboolean (*StringValidator) (const char  *value,
                                     const char  *field,
                                     GError     **error);
typedef gboolean (*NumberValidator) (double       value,
                                     const char  *field,
                                     GError     **error);

static JsonNode *
parse_object (const char  *data,
              gssize       length,
              gsize        max_size,
              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize len;

  if (data == NULL)
    len = 0;
  else if (length < 0)
    len = strnlen (data, max_size + 1);
  else
    len = (gsize) length;

  if (len > max_size)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_TOO_LARGE,
                   _("Message is larger than %u bytes"), (unsigned) max_size);
      return NULL;
    }
  if (len == 0)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON,
                   _("Message is empty"));
      return NULL;
    }
  /* This also rejects NUL bytes, which would otherwise end the text early. */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON,
                   _("Message is not valid UTF-8"));
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON,
                   _("Message is not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_BAD_JSON,
                   _("Message is empty"));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_NOT_OBJECT,
                   _("Message is not a JSON object"));
      return NULL;
    }

  return g_steal_pointer (&root);
}

/* A member that is null counts as absent, as many encoders write null for
 * an optional field. */
static JsonNode *
lookup (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
absent (const char  *name,
        gboolean     required,
        GError     **error)
{
  if (!required)
    return TRUE;

  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_MISSING_FIELD,
               _("Field “%s” is missing"), name);
  return FALSE;
}

/* Returns NULL, so that a decoder can return it directly. */
static gpointer
unknown_value (const char  *name,
               GError     **error)
{
  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
               _("Field “%s” has an unknown value"), name);
  return NULL;
}

static GType
value_type (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
}

/* Sets *value to the string, or to NULL when the field is absent. */
static gboolean
get_string (JsonObject  *object,
            const char  *name,
            gboolean     required,
            const char **value,
            GError     **error)
{
  JsonNode *node = lookup (object, name);

  *value = NULL;
  if (node == NULL)
    return absent (name, required, error);

  if (value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_WRONG_TYPE,
                   _("Field “%s” must be a string"), name);
      return FALSE;
    }

  /* json-glib lets unpaired surrogate escapes through as invalid UTF-8. */
  *value = json_node_get_string (node);
  if (*value == NULL || !g_utf8_validate (*value, -1, NULL))
    {
      *value = NULL;
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” is not valid UTF-8"), name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
get_number (JsonObject  *object,
            const char  *name,
            gboolean     required,
            gboolean    *present,
            double      *value,
            GError     **error)
{
  JsonNode *node = lookup (object, name);
  GType type;

  *present = FALSE;
  *value = 0;
  if (node == NULL)
    return absent (name, required, error);

  type = value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_WRONG_TYPE,
                   _("Field “%s” must be a number"), name);
      return FALSE;
    }

  *present = TRUE;
  *value = json_node_get_double (node);
  return TRUE;
}

/* Integers written as 1.7e12 by other encoders are accepted when their
 * value is whole. */
static gboolean
get_integer (JsonObject  *object,
             const char  *name,
             gboolean     required,
             gboolean    *present,
             gint64      *value,
             GError     **error)
{
  JsonNode *node = lookup (object, name);
  GType type;

  *present = FALSE;
  *value = 0;
  if (node == NULL)
    return absent (name, required, error);

  type = value_type (node);
  if (type == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
    }
  else if (type == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      /* 2^63 is exactly representable; anything in range converts. */
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
          d != (double) (gint64) d)
        {
          g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                       _("Field “%s” must be a whole number"), name);
          return FALSE;
        }
      *value = (gint64) d;
    }
  else
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_WRONG_TYPE,
                   _("Field “%s” must be a number"), name);
      return FALSE;
    }

  *present = TRUE;
  return TRUE;
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *name,
             gboolean     required,
             gboolean    *value,
             GError     **error)
{
  JsonNode *node = lookup (object, name);

  *value = FALSE;
  if (node == NULL)
    return absent (name, required, error);

  if (value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_WRONG_TYPE,
                   _("Field “%s” must be true or false"), name);
      return FALSE;
    }

  *value = json_node_get_boolean (node);
  return TRUE;
}

/* Replaces *value with a copy of the validated string, or leaves it NULL
 * when the optional field is absent. */
static gboolean
read_string (JsonObject       *object,
             const char       *name,
             gboolean          required,
             StringValidator   validate,
             char            **value,
             GError          **error)
{
  const char *text;

  if (!get_string (object, name, required, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!validate (text, name, error))
    return FALSE;

  g_free (*value);
  *value = g_strdup (text);
  return TRUE;
}

static gboolean
read_number (JsonObject       *object,
             const char       *name,
             gboolean          required,
             NumberValidator   validate,
             gboolean         *present,
             double           *value,
             GError          **error)
{
  gboolean dummy;

  if (present == NULL)
    present = &dummy;
  if (!get_number (object, name, required, present, value, error))
    return FALSE;

  return !*present || validate (*value, name, error);
}

/* Sets *value to 0 when the optional field is absent. */
static gboolean
read_timestamp (JsonObject  *object,
                const char  *name,
                gboolean     required,
                gint64      *value,
                GError     **error)
{
  gboolean present;

  if (!get_integer (object, name, required, &present, value, error))
    return FALSE;

  return !present || ev_protocol_validate_timestamp (*value, name, error);
}

static gboolean
read_envelope (JsonObject  *object,
               EvEnvelope  *envelope,
               GError     **error)
{
  gboolean present;
  double v;

  /* The version comes first: a newer version may change everything else. */
  if (!get_number (object, "v", TRUE, &present, &v, error))
    return FALSE;
  if (v != EV_PROTOCOL_VERSION)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                   _("Unsupported protocol version (field “v” must be %d)"),
                   EV_PROTOCOL_VERSION);
      return FALSE;
    }

  return read_string (object, "id", TRUE, ev_protocol_validate_uuid, &envelope->id, error) &&
         read_timestamp (object, "ts", TRUE, &envelope->ts, error);
}

static gboolean
check_not_before (gint64       later,
                  const char  *later_name,
                  gint64       earlier,
                  const char  *earlier_name,
                  GError     **error)
{
  if (later == 0 || earlier == 0 || later >= earlier)
    return TRUE;

  g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
               _("Field “%s” is earlier than “%s”"), later_name, earlier_name);
  return FALSE;
}

/* Encoding --------------------------------------------------------------- */

static JsonBuilder *
begin_object (void)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  return builder;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_envelope (JsonBuilder      *builder,
              const EvEnvelope *envelope)
{
  g_autofree char *id = NULL;

  if (envelope->id == NULL)
    id = ev_protocol_new_uuid ();

  add_int (builder, "v", EV_PROTOCOL_VERSION);
  add_string (builder, "id", envelope->id != NULL ? envelope->id : id);
  add_int (builder, "ts", envelope->ts > 0 ? envelope->ts : ev_protocol_now_ms ());
}

static char *
end_object (JsonBuilder *builder,
            gsize       *length)
{
  g_autoptr(JsonBuilder) owned = builder;
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (owned);
  root = json_builder_get_root (owned);

  return ev_json_to_string (root, length);
}

static void
envelope_clear (EvEnvelope *envelope)
{
  g_clear_pointer (&envelope->id, g_free);
  envelope->ts = 0;
}

static void
envelope_copy (EvEnvelope       *dest,
               const EvEnvelope *src)
{
  dest->id = g_strdup (src->id);
  dest->ts = src->ts;
}

static gboolean
envelope_equal (const EvEnvelope *a,
                const EvEnvelope *b)
{
  return g_strcmp0 (a->id, b->id) == 0 && a->ts == b->ts;
}

static gboolean
optional_double_equal (gboolean a_present,
                       double   a,
                       gboolean b_present,
                       double   b)
{
  return a_present == b_present && (!a_present || a == b);
}

/**
 * ev_envelope_ensure:
 * @envelope: an envelope
 *
 * Gives @envelope a new UUID and the current time where they are unset,
 * so that encoding the message twice yields the same `id` and `ts`.
 */
void
ev_envelope_ensure (EvEnvelope *envelope)
{
  g_return_if_fail (envelope != NULL);

  if (envelope->id == NULL)
    envelope->id = ev_protocol_new_uuid ();
  if (envelope->ts <= 0)
    envelope->ts = ev_protocol_now_ms ();
}

/* Link requests ---------------------------------------------------------- */

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
 * ev_link_request_copy:
 * @request: a request
 *
 * Returns: (transfer full): a deep copy of @request
 */
EvLinkRequest *
ev_link_request_copy (const EvLinkRequest *request)
{
  EvLinkRequest *copy;

  g_return_val_if_fail (request != NULL, NULL);

  copy = g_memdup2 (request, sizeof *request);
  copy->cp_id = g_strdup (request->cp_id);
  copy->token = g_strdup (request->token);
  copy->location = g_strdup (request->location);
  copy->nonce = g_strdup (request->nonce);
  copy->challenge = g_strdup (request->challenge);
  copy->proof = g_strdup (request->proof);
  copy->key = g_strdup (request->key);
  return copy;
}

/**
 * ev_link_request_free:
 * @request: (nullable): a request
 *
 * Frees @request and its strings.
 */
void
ev_link_request_free (EvLinkRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->cp_id);
  g_free (request->token);
  g_free (request->location);
  g_free (request->nonce);
  g_free (request->challenge);
  g_free (request->proof);
  g_free (request->key);
  g_free (request);
}

/**
 * ev_link_request_equal:
 * @a: a request
 * @b: another request
 *
 * Compares the type and the fields that type carries on the wire.
 *
 * Returns: %TRUE if @a and @b encode to the same request
 */
gboolean
ev_link_request_equal (const EvLinkRequest *a,
                       const EvLinkRequest *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->type != b->type)
    return FALSE;

  switch (a->type)
    {
    case EV_LINK_REQUEST_AUTH:
      return g_strcmp0 (a->cp_id, b->cp_id) == 0 && g_strcmp0 (a->token, b->token) == 0;
    case EV_LINK_REQUEST_REGISTER:
      return g_strcmp0 (a->cp_id, b->cp_id) == 0 && g_strcmp0 (a->location, b->location) == 0 &&
             g_strcmp0 (a->nonce, b->nonce) == 0;
    case EV_LINK_REQUEST_STATUS:
      return a->state == b->state && a->engine == b->engine;
    case EV_LINK_REQUEST_HELLO:
      return g_strcmp0 (a->cp_id, b->cp_id) == 0 && g_strcmp0 (a->challenge, b->challenge) == 0 &&
             g_strcmp0 (a->proof, b->proof) == 0;
    case EV_LINK_REQUEST_HEALTH:
      return TRUE;
    case EV_LINK_REQUEST_CENTRAL:
      return !a->reachable == !b->reachable;
    case EV_LINK_REQUEST_PRICE:
      return a->price == b->price;
    case EV_LINK_REQUEST_KEY:
      return g_strcmp0 (a->cp_id, b->cp_id) == 0 && g_strcmp0 (a->key, b->key) == 0;
    default:
      return FALSE;
    }
}

/**
 * ev_link_request_to_json:
 * @request: a request
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @request with the fields of its type. The caller is responsible
 * for their validity.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_link_request_to_json (const EvLinkRequest *request,
                         gsize               *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (request != NULL, NULL);

  builder = begin_object ();
  add_string (builder, "type", ev_link_request_type_to_string (request->type));

  switch (request->type)
    {
    case EV_LINK_REQUEST_AUTH:
      add_string (builder, "cp_id", request->cp_id);
      add_string (builder, "token", request->token);
      break;
    case EV_LINK_REQUEST_REGISTER:
      add_string (builder, "cp_id", request->cp_id);
      add_string (builder, "location", request->location);
      if (request->nonce != NULL)
        add_string (builder, "nonce", request->nonce);
      break;
    case EV_LINK_REQUEST_STATUS:
      add_string (builder, "state", ev_cp_state_to_string (request->state));
      add_string (builder, "engine", ev_engine_health_to_string (request->engine));
      break;
    case EV_LINK_REQUEST_HELLO:
      add_string (builder, "cp_id", request->cp_id);
      add_string (builder, "challenge", request->challenge);
      add_string (builder, "proof", request->proof);
      break;
    case EV_LINK_REQUEST_HEALTH:
      break;
    case EV_LINK_REQUEST_CENTRAL:
      add_boolean (builder, "reachable", request->reachable);
      break;
    case EV_LINK_REQUEST_PRICE:
      add_double (builder, "price", request->price);
      break;
    case EV_LINK_REQUEST_KEY:
      add_string (builder, "cp_id", request->cp_id);
      add_string (builder, "key", request->key);
      break;
    default:
      break;
    }

  return end_object (builder, length);
}

/* Sets *reason before each step, so that on failure it names the answer a
 * server owes for that step. */
static EvLinkRequest *
decode_link_request (JsonObject    *object,
                     EvLinkReason  *reason,
                     GError       **error)
{
  g_autoptr(EvLinkRequest) request = NULL;
  EvLinkRequestType type;
  const char *text;

  *reason = EV_LINK_REASON_UNKNOWN_TYPE;
  if (!get_string (object, "type", TRUE, &text, error))
    return NULL;
  if (!ev_link_request_type_from_string (text, &type))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   _("Field “%s” has an unknown value"), "type");
      return NULL;
    }

  request = ev_link_request_new (type);
  switch (type)
    {
    case EV_LINK_REQUEST_AUTH:
      *reason = EV_LINK_REASON_INVALID_ID;
      if (!read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &request->cp_id, error))
        return NULL;
      *reason = EV_LINK_REASON_BAD_TOKEN;
      if (!read_string (object, "token", TRUE, ev_protocol_validate_token, &request->token, error))
        return NULL;
      break;

    case EV_LINK_REQUEST_REGISTER:
      *reason = EV_LINK_REASON_INVALID_ID;
      if (!read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &request->cp_id, error))
        return NULL;
      *reason = EV_LINK_REASON_INVALID_LOCATION;
      if (!read_string (object, "location", TRUE, ev_protocol_validate_location, &request->location, error))
        return NULL;
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!read_string (object, "nonce", FALSE, ev_protocol_validate_nonce, &request->nonce, error))
        return NULL;
      break;

    case EV_LINK_REQUEST_STATUS:
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!get_string (object, "state", TRUE, &text, error))
        return NULL;
      if (!ev_cp_state_from_string (text, &request->state))
        return unknown_value ("state", error);
      if (!get_string (object, "engine", TRUE, &text, error))
        return NULL;
      if (!ev_engine_health_from_string (text, &request->engine))
        return unknown_value ("engine", error);
      break;

    case EV_LINK_REQUEST_HELLO:
      *reason = EV_LINK_REASON_INVALID_ID;
      if (!read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &request->cp_id, error))
        return NULL;
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!read_string (object, "challenge", FALSE, ev_protocol_validate_nonce, &request->challenge, error) ||
          !read_string (object, "proof", FALSE, ev_protocol_validate_nonce, &request->proof, error))
        return NULL;
      break;

    case EV_LINK_REQUEST_HEALTH:
      break;

    case EV_LINK_REQUEST_CENTRAL:
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!get_boolean (object, "reachable", TRUE, &request->reachable, error))
        return NULL;
      break;

    case EV_LINK_REQUEST_PRICE:
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!read_number (object, "price", TRUE, ev_protocol_validate_price, NULL, &request->price, error))
        return NULL;
      break;

    case EV_LINK_REQUEST_KEY:
      *reason = EV_LINK_REASON_INVALID_ID;
      if (!read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &request->cp_id, error))
        return NULL;
      *reason = EV_LINK_REASON_INVALID_REQUEST;
      if (!read_string (object, "key", TRUE, ev_protocol_validate_cp_key, &request->key, error))
        return NULL;
      break;

    default:
      g_assert_not_reached ();
    }

  *reason = EV_LINK_REASON_NONE;
  return g_steal_pointer (&request);
}

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
  g_autoptr(JsonNode) root = NULL;
  EvLinkReason dummy;

  if (reason == NULL)
    reason = &dummy;

  *reason = EV_LINK_REASON_BAD_JSON;
  root = parse_object (data, length, EV_PROTOCOL_LINK_MAX_SIZE, error);
  if (root == NULL)
    return NULL;

  return decode_link_request (json_node_get_object (root), reason, error);
}

/**
 * ev_link_request_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Like ev_link_request_parse() without the response reason.
 *
 * Returns: (transfer full) (nullable): the request, or %NULL on error
 */
EvLinkRequest *
ev_link_request_from_json (const char  *data,
                           gssize       length,
                           GError     **error)
{
  return ev_link_request_parse (data, length, NULL, error);
}

/* Link responses --------------------------------------------------------- */

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
 * ev_link_response_copy:
 * @response: a response
 *
 * Returns: (transfer full): a deep copy of @response
 */
EvLinkResponse *
ev_link_response_copy (const EvLinkResponse *response)
{
  EvLinkResponse *copy;

  g_return_val_if_fail (response != NULL, NULL);

  copy = g_memdup2 (response, sizeof *response);
  copy->location = g_strdup (response->location);
  copy->token = g_strdup (response->token);
  copy->challenge = g_strdup (response->challenge);
  copy->cp_key = g_strdup (response->cp_key);
  return copy;
}

/**
 * ev_link_response_free:
 * @response: (nullable): a response
 *
 * Frees @response and its strings.
 */
void
ev_link_response_free (EvLinkResponse *response)
{
  if (response == NULL)
    return;

  g_free (response->location);
  g_free (response->token);
  g_free (response->challenge);
  g_free (response->cp_key);
  g_free (response);
}

/**
 * ev_link_response_equal:
 * @a: a response
 * @b: another response
 *
 * Returns: %TRUE if @a and @b encode to the same response
 */
gboolean
ev_link_response_equal (const EvLinkResponse *a,
                        const EvLinkResponse *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->status == b->status &&
         a->reason == b->reason &&
         optional_double_equal (a->has_price, a->price, b->has_price, b->price) &&
         g_strcmp0 (a->location, b->location) == 0 &&
         g_strcmp0 (a->token, b->token) == 0 &&
         g_strcmp0 (a->challenge, b->challenge) == 0 &&
         g_strcmp0 (a->cp_key, b->cp_key) == 0 &&
         !a->pending == !b->pending &&
         a->has_state == b->has_state &&
         (!a->has_state || a->state == b->state);
}

/**
 * ev_link_response_to_json:
 * @response: a response
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @response with the fields that are set.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_link_response_to_json (const EvLinkResponse *response,
                          gsize                *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (response != NULL, NULL);

  builder = begin_object ();
  add_string (builder, "status", ev_link_status_to_string (response->status));
  add_string (builder, "reason", ev_link_reason_to_string (response->reason));
  if (response->has_price)
    add_double (builder, "price", response->price);
  add_string (builder, "location", response->location);
  add_string (builder, "token", response->token);
  if (response->has_state)
    add_string (builder, "state", ev_cp_state_to_string (response->state));
  add_string (builder, "challenge", response->challenge);
  if (response->pending)
    add_string (builder, "approval", "pending");
  add_string (builder, "cp_key", response->cp_key);

  return end_object (builder, length);
}

/**
 * ev_link_response_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a link response: `denied` and `error` need a
 * `reason`, `authorized` a `price` and `location`, `registered` a `price`
 * and `token`; every field present must be valid.
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error
 */
EvLinkResponse *
ev_link_response_from_json (const char  *data,
                            gssize       length,
                            GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvLinkResponse) response = NULL;
  JsonObject *object;
  const char *text;
  EvLinkStatus status;
  gboolean needs_reason, needs_price;

  root = parse_object (data, length, EV_PROTOCOL_LINK_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  if (!get_string (object, "status", TRUE, &text, error))
    return NULL;
  if (!ev_link_status_from_string (text, &status))
    return unknown_value ("status", error);

  response = ev_link_response_new (status);
  needs_reason = status == EV_LINK_STATUS_DENIED || status == EV_LINK_STATUS_ERROR;
  needs_price = status == EV_LINK_STATUS_AUTHORIZED || status == EV_LINK_STATUS_REGISTERED;

  if (!get_string (object, "reason", needs_reason, &text, error))
    return NULL;
  if (text != NULL && !ev_link_reason_from_string (text, &response->reason))
    return unknown_value ("reason", error);

  if (!read_number (object, "price", needs_price, ev_protocol_validate_price,
                    &response->has_price, &response->price, error) ||
      !read_string (object, "location", status == EV_LINK_STATUS_AUTHORIZED,
                    ev_protocol_validate_location, &response->location, error) ||
      !read_string (object, "token", status == EV_LINK_STATUS_REGISTERED,
                    ev_protocol_validate_token, &response->token, error) ||
      !read_string (object, "challenge", FALSE, ev_protocol_validate_nonce, &response->challenge, error) ||
      !read_string (object, "cp_key", FALSE, ev_protocol_validate_cp_key, &response->cp_key, error))
    return NULL;

  if (!get_string (object, "state", FALSE, &text, error))
    return NULL;
  if (text != NULL)
    {
      if (!ev_cp_state_from_string (text, &response->state))
        return unknown_value ("state", error);
      response->has_state = TRUE;
    }

  if (!get_string (object, "approval", FALSE, &text, error))
    return NULL;
  if (text != NULL && !g_str_equal (text, "pending") && !g_str_equal (text, "approved"))
    return unknown_value ("approval", error);
  response->pending = g_strcmp0 (text, "pending") == 0;

  return g_steal_pointer (&response);
}

/* supply-req ------------------------------------------------------------- */

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

/**
 * ev_supply_request_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvSupplyRequest *
ev_supply_request_copy (const EvSupplyRequest *msg)
{
  EvSupplyRequest *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->request_id = g_strdup (msg->request_id);
  copy->cp_id = g_strdup (msg->cp_id);
  copy->driver_id = g_strdup (msg->driver_id);
  return copy;
}

/**
 * ev_supply_request_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_supply_request_free (EvSupplyRequest *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->request_id);
  g_free (msg->cp_id);
  g_free (msg->driver_id);
  g_free (msg);
}

/**
 * ev_supply_request_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_supply_request_equal (const EvSupplyRequest *a,
                         const EvSupplyRequest *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         g_strcmp0 (a->request_id, b->request_id) == 0 &&
         g_strcmp0 (a->cp_id, b->cp_id) == 0 &&
         g_strcmp0 (a->driver_id, b->driver_id) == 0 &&
         a->origin == b->origin;
}

/**
 * ev_supply_request_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_supply_request_to_json (const EvSupplyRequest *msg,
                           gsize                 *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "request_id", msg->request_id);
  add_string (builder, "cp_id", msg->cp_id);
  add_string (builder, "driver_id", msg->driver_id);
  add_string (builder, "origin", ev_supply_origin_to_string (msg->origin));
  return end_object (builder, length);
}

/**
 * ev_supply_request_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `supply-req` message; every field is required.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvSupplyRequest *
ev_supply_request_from_json (const char  *data,
                             gssize       length,
                             GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvSupplyRequest) msg = NULL;
  JsonObject *object;
  const char *text;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvSupplyRequest, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !read_string (object, "request_id", TRUE, ev_protocol_validate_uuid, &msg->request_id, error) ||
      !read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &msg->cp_id, error) ||
      !read_string (object, "driver_id", TRUE, ev_protocol_validate_driver_id, &msg->driver_id, error) ||
      !get_string (object, "origin", TRUE, &text, error))
    return NULL;
  if (!ev_supply_origin_from_string (text, &msg->origin))
    return unknown_value ("origin", error);

  return g_steal_pointer (&msg);
}

/* supply-res ------------------------------------------------------------- */

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
 * ev_supply_response_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvSupplyResponse *
ev_supply_response_copy (const EvSupplyResponse *msg)
{
  EvSupplyResponse *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->request_id = g_strdup (msg->request_id);
  copy->driver_id = g_strdup (msg->driver_id);
  copy->cp_id = g_strdup (msg->cp_id);
  copy->supply_id = g_strdup (msg->supply_id);
  return copy;
}

/**
 * ev_supply_response_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_supply_response_free (EvSupplyResponse *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->request_id);
  g_free (msg->driver_id);
  g_free (msg->cp_id);
  g_free (msg->supply_id);
  g_free (msg);
}

/**
 * ev_supply_response_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_supply_response_equal (const EvSupplyResponse *a,
                          const EvSupplyResponse *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         g_strcmp0 (a->request_id, b->request_id) == 0 &&
         g_strcmp0 (a->driver_id, b->driver_id) == 0 &&
         g_strcmp0 (a->cp_id, b->cp_id) == 0 &&
         a->status == b->status &&
         a->reason == b->reason &&
         g_strcmp0 (a->supply_id, b->supply_id) == 0 &&
         optional_double_equal (a->has_price, a->price, b->has_price, b->price);
}

/**
 * ev_supply_response_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_supply_response_to_json (const EvSupplyResponse *msg,
                            gsize                  *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "request_id", msg->request_id);
  add_string (builder, "driver_id", msg->driver_id);
  add_string (builder, "cp_id", msg->cp_id);
  add_string (builder, "status", ev_supply_status_to_string (msg->status));
  add_string (builder, "reason", ev_supply_deny_reason_to_string (msg->reason));
  add_string (builder, "supply_id", msg->supply_id);
  if (msg->has_price)
    add_double (builder, "price", msg->price);
  return end_object (builder, length);
}

/**
 * ev_supply_response_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `supply-res` message: an authorised one needs
 * `supply_id` and `price`, a denied one a `reason` from the contract's list.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvSupplyResponse *
ev_supply_response_from_json (const char  *data,
                              gssize       length,
                              GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvSupplyResponse) msg = NULL;
  JsonObject *object;
  const char *text;
  gboolean authorized;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvSupplyResponse, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !read_string (object, "request_id", TRUE, ev_protocol_validate_uuid, &msg->request_id, error) ||
      !read_string (object, "driver_id", TRUE, ev_protocol_validate_driver_id, &msg->driver_id, error) ||
      !read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &msg->cp_id, error) ||
      !get_string (object, "status", TRUE, &text, error))
    return NULL;
  if (!ev_supply_status_from_string (text, &msg->status))
    return unknown_value ("status", error);
  authorized = msg->status == EV_SUPPLY_STATUS_AUTHORIZED;

  if (!get_string (object, "reason", !authorized, &text, error))
    return NULL;
  if (text != NULL && !ev_supply_deny_reason_from_string (text, &msg->reason))
    return unknown_value ("reason", error);

  if (!read_string (object, "supply_id", authorized, ev_protocol_validate_uuid, &msg->supply_id, error) ||
      !read_number (object, "price", authorized, ev_protocol_validate_price,
                    &msg->has_price, &msg->price, error))
    return NULL;

  return g_steal_pointer (&msg);
}

/* central-directives ----------------------------------------------------- */

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
 * ev_directive_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvDirective *
ev_directive_copy (const EvDirective *msg)
{
  EvDirective *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->target = g_strdup (msg->target);
  copy->supply_id = g_strdup (msg->supply_id);
  copy->driver_id = g_strdup (msg->driver_id);
  return copy;
}

/**
 * ev_directive_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_directive_free (EvDirective *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->target);
  g_free (msg->supply_id);
  g_free (msg->driver_id);
  g_free (msg);
}

/**
 * ev_directive_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_directive_equal (const EvDirective *a,
                    const EvDirective *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         g_strcmp0 (a->target, b->target) == 0 &&
         a->action == b->action &&
         g_strcmp0 (a->supply_id, b->supply_id) == 0 &&
         g_strcmp0 (a->driver_id, b->driver_id) == 0 &&
         optional_double_equal (a->has_price, a->price, b->has_price, b->price) &&
         a->expires == b->expires;
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
 * ev_directive_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_directive_to_json (const EvDirective *msg,
                      gsize             *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "target", msg->target);
  add_string (builder, "action", ev_directive_action_to_string (msg->action));
  add_string (builder, "supply_id", msg->supply_id);
  add_string (builder, "driver_id", msg->driver_id);
  if (msg->has_price)
    add_double (builder, "price", msg->price);
  add_int (builder, "expires", msg->expires);
  return end_object (builder, length);
}

static gboolean
validate_target (const char  *target,
                 const char  *field,
                 GError     **error)
{
  return g_strcmp0 (target, EV_DIRECTIVE_TARGET_ALL) == 0 ||
         ev_protocol_validate_cp_id (target, field, error);
}

/**
 * ev_directive_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `central-directives` message. `target`, `action`
 * and `expires` are always required; `start` also needs `supply_id`,
 * `driver_id` and `price`, `cancel` a `supply_id`, and both a single CP
 * as target. Expiry is not checked here: see ev_directive_is_expired().
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvDirective *
ev_directive_from_json (const char  *data,
                        gssize       length,
                        GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvDirective) msg = NULL;
  JsonObject *object;
  const char *text;
  gboolean start, one_supply;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvDirective, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !read_string (object, "target", TRUE, validate_target, &msg->target, error) ||
      !get_string (object, "action", TRUE, &text, error))
    return NULL;
  if (!ev_directive_action_from_string (text, &msg->action))
    return unknown_value ("action", error);

  start = msg->action == EV_DIRECTIVE_ACTION_START;
  one_supply = start || msg->action == EV_DIRECTIVE_ACTION_CANCEL;

  if (!read_string (object, "supply_id", one_supply, ev_protocol_validate_uuid, &msg->supply_id, error) ||
      !read_string (object, "driver_id", start, ev_protocol_validate_driver_id, &msg->driver_id, error) ||
      !read_number (object, "price", start, ev_protocol_validate_price,
                    &msg->has_price, &msg->price, error) ||
      !read_timestamp (object, "expires", TRUE, &msg->expires, error))
    return NULL;

  if (one_supply && strcmp (msg->target, EV_DIRECTIVE_TARGET_ALL) == 0)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” must name one charging point for this action"),
                   "target");
      return NULL;
    }

  return g_steal_pointer (&msg);
}

/* supply-data, supply-data2 ---------------------------------------------- */

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
 * ev_supply_data_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvSupplyData *
ev_supply_data_copy (const EvSupplyData *msg)
{
  EvSupplyData *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->supply_id = g_strdup (msg->supply_id);
  copy->cp_id = g_strdup (msg->cp_id);
  copy->driver_id = g_strdup (msg->driver_id);
  return copy;
}

/**
 * ev_supply_data_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_supply_data_free (EvSupplyData *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->supply_id);
  g_free (msg->cp_id);
  g_free (msg->driver_id);
  g_free (msg);
}

/**
 * ev_supply_data_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_supply_data_equal (const EvSupplyData *a,
                      const EvSupplyData *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         a->kind == b->kind &&
         g_strcmp0 (a->supply_id, b->supply_id) == 0 &&
         g_strcmp0 (a->cp_id, b->cp_id) == 0 &&
         g_strcmp0 (a->driver_id, b->driver_id) == 0 &&
         a->seq == b->seq &&
         a->kwh == b->kwh &&
         a->amount == b->amount &&
         a->price == b->price &&
         a->started_at == b->started_at &&
         a->ended_at == b->ended_at &&
         a->reason == b->reason &&
         a->source_ts == b->source_ts;
}

/**
 * ev_supply_data_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 * Unset (0) times and reason are left out.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_supply_data_to_json (const EvSupplyData *msg,
                        gsize              *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "kind", ev_supply_data_kind_to_string (msg->kind));
  add_string (builder, "supply_id", msg->supply_id);
  add_string (builder, "cp_id", msg->cp_id);
  add_string (builder, "driver_id", msg->driver_id);
  add_int (builder, "seq", msg->seq);
  add_double (builder, "kwh", msg->kwh);
  add_double (builder, "amount", msg->amount);
  add_double (builder, "price", msg->price);
  if (msg->started_at != 0)
    add_int (builder, "started_at", msg->started_at);
  if (msg->ended_at != 0)
    add_int (builder, "ended_at", msg->ended_at);
  add_string (builder, "reason", ev_ticket_reason_to_string (msg->reason));
  if (msg->source_ts > 0)
    add_int (builder, "source_ts", msg->source_ts);
  return end_object (builder, length);
}

/**
 * ev_supply_data_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `supply-data` (or `supply-data2`) message. The
 * ids, `seq` (at least 1), `kwh`, `amount` and `price` are always
 * required; a ticket also needs `started_at`, `ended_at` (not before
 * `started_at`) and a `reason` from the contract's list. `source_ts`
 * (an extension of `supply-data2`) is optional.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvSupplyData *
ev_supply_data_from_json (const char  *data,
                          gssize       length,
                          GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvSupplyData) msg = NULL;
  JsonObject *object;
  const char *text;
  gboolean ticket, present;
  gint64 seq;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvSupplyData, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !get_string (object, "kind", TRUE, &text, error))
    return NULL;
  if (!ev_supply_data_kind_from_string (text, &msg->kind))
    return unknown_value ("kind", error);
  ticket = msg->kind == EV_SUPPLY_DATA_TICKET;

  if (!read_string (object, "supply_id", TRUE, ev_protocol_validate_uuid, &msg->supply_id, error) ||
      !read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &msg->cp_id, error) ||
      !read_string (object, "driver_id", TRUE, ev_protocol_validate_driver_id, &msg->driver_id, error) ||
      !get_integer (object, "seq", TRUE, &present, &seq, error))
    return NULL;
  if (seq < 1 || seq > G_MAXUINT32)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” must be a whole number from 1 to %u"),
                   "seq", (unsigned) G_MAXUINT32);
      return NULL;
    }
  msg->seq = (guint) seq;

  if (!read_number (object, "kwh", TRUE, ev_protocol_validate_kwh, NULL, &msg->kwh, error) ||
      !read_number (object, "amount", TRUE, ev_protocol_validate_amount, NULL, &msg->amount, error) ||
      !read_number (object, "price", TRUE, ev_protocol_validate_price, NULL, &msg->price, error) ||
      !read_timestamp (object, "started_at", ticket, &msg->started_at, error) ||
      !read_timestamp (object, "ended_at", ticket, &msg->ended_at, error) ||
      !read_timestamp (object, "source_ts", FALSE, &msg->source_ts, error) ||
      !get_string (object, "reason", ticket, &text, error))
    return NULL;
  if (text != NULL && !ev_ticket_reason_from_string (text, &msg->reason))
    return unknown_value ("reason", error);

  if (!check_not_before (msg->ended_at, "ended_at", msg->started_at, "started_at", error))
    return NULL;

  return g_steal_pointer (&msg);
}

/* supply-error ----------------------------------------------------------- */

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
 * ev_supply_error_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvSupplyError *
ev_supply_error_copy (const EvSupplyError *msg)
{
  EvSupplyError *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->supply_id = g_strdup (msg->supply_id);
  copy->driver_id = g_strdup (msg->driver_id);
  copy->cp_id = g_strdup (msg->cp_id);
  return copy;
}

/**
 * ev_supply_error_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_supply_error_free (EvSupplyError *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->supply_id);
  g_free (msg->driver_id);
  g_free (msg->cp_id);
  g_free (msg);
}

/**
 * ev_supply_error_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_supply_error_equal (const EvSupplyError *a,
                       const EvSupplyError *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         g_strcmp0 (a->supply_id, b->supply_id) == 0 &&
         g_strcmp0 (a->driver_id, b->driver_id) == 0 &&
         g_strcmp0 (a->cp_id, b->cp_id) == 0 &&
         a->reason == b->reason &&
         a->kwh == b->kwh &&
         a->amount == b->amount;
}

/**
 * ev_supply_error_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_supply_error_to_json (const EvSupplyError *msg,
                         gsize               *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "supply_id", msg->supply_id);
  add_string (builder, "driver_id", msg->driver_id);
  add_string (builder, "cp_id", msg->cp_id);
  add_string (builder, "reason", ev_supply_error_reason_to_string (msg->reason));
  add_double (builder, "kwh", msg->kwh);
  add_double (builder, "amount", msg->amount);
  return end_object (builder, length);
}

/**
 * ev_supply_error_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `supply-error` message; every field is required
 * and `reason` must be from the contract's list.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvSupplyError *
ev_supply_error_from_json (const char  *data,
                           gssize       length,
                           GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvSupplyError) msg = NULL;
  JsonObject *object;
  const char *text;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvSupplyError, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !read_string (object, "supply_id", TRUE, ev_protocol_validate_uuid, &msg->supply_id, error) ||
      !read_string (object, "driver_id", TRUE, ev_protocol_validate_driver_id, &msg->driver_id, error) ||
      !read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &msg->cp_id, error) ||
      !get_string (object, "reason", TRUE, &text, error))
    return NULL;
  if (!ev_supply_error_reason_from_string (text, &msg->reason))
    return unknown_value ("reason", error);

  if (!read_number (object, "kwh", TRUE, ev_protocol_validate_kwh, NULL, &msg->kwh, error) ||
      !read_number (object, "amount", TRUE, ev_protocol_validate_amount, NULL, &msg->amount, error))
    return NULL;

  return g_steal_pointer (&msg);
}

/* cp-states -------------------------------------------------------------- */

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

/**
 * ev_cp_state_message_copy:
 * @msg: a message
 *
 * Returns: (transfer full): a deep copy of @msg
 */
EvCpStateMessage *
ev_cp_state_message_copy (const EvCpStateMessage *msg)
{
  EvCpStateMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = g_memdup2 (msg, sizeof *msg);
  envelope_copy (&copy->envelope, &msg->envelope);
  copy->cp_id = g_strdup (msg->cp_id);
  copy->location = g_strdup (msg->location);
  return copy;
}

/**
 * ev_cp_state_message_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and its strings.
 */
void
ev_cp_state_message_free (EvCpStateMessage *msg)
{
  if (msg == NULL)
    return;

  envelope_clear (&msg->envelope);
  g_free (msg->cp_id);
  g_free (msg->location);
  g_free (msg);
}

/**
 * ev_cp_state_message_equal:
 * @a: a message
 * @b: another message
 *
 * Returns: %TRUE if every field of @a and @b, envelope included, is equal
 */
gboolean
ev_cp_state_message_equal (const EvCpStateMessage *a,
                           const EvCpStateMessage *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return envelope_equal (&a->envelope, &b->envelope) &&
         g_strcmp0 (a->cp_id, b->cp_id) == 0 &&
         a->state == b->state &&
         g_strcmp0 (a->location, b->location) == 0 &&
         optional_double_equal (a->has_price, a->price, b->has_price, b->price);
}

/**
 * ev_cp_state_message_to_json:
 * @msg: a message
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg; an unset envelope gets a new UUID and the current time.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_cp_state_message_to_json (const EvCpStateMessage *msg,
                             gsize                  *length)
{
  JsonBuilder *builder;

  g_return_val_if_fail (msg != NULL, NULL);

  builder = begin_object ();
  add_envelope (builder, &msg->envelope);
  add_string (builder, "cp_id", msg->cp_id);
  add_string (builder, "state", ev_cp_state_to_string (msg->state));
  add_string (builder, "location", msg->location);
  if (msg->has_price)
    add_double (builder, "price", msg->price);
  return end_object (builder, length);
}

/**
 * ev_cp_state_message_from_json:
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a `cp-states` message: `cp_id` and `state` are
 * required; `location` and `price` are optional but checked when present.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
EvCpStateMessage *
ev_cp_state_message_from_json (const char  *data,
                               gssize       length,
                               GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EvCpStateMessage) msg = NULL;
  JsonObject *object;
  const char *text;

  root = parse_object (data, length, EV_PROTOCOL_KAFKA_MAX_SIZE, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = g_new0 (EvCpStateMessage, 1);
  if (!read_envelope (object, &msg->envelope, error) ||
      !read_string (object, "cp_id", TRUE, ev_protocol_validate_cp_id, &msg->cp_id, error) ||
      !get_string (object, "state", TRUE, &text, error))
    return NULL;
  if (!ev_cp_state_from_string (text, &msg->state))
    return unknown_value ("state", error);

  if (!read_string (object, "location", FALSE, ev_protocol_validate_location, &msg->location, error) ||
      !read_number (object, "price", FALSE, ev_protocol_validate_price,
                    &msg->has_price, &msg->price, error))
    return NULL;

  return g_steal_pointer (&msg);
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

/* ev-ocpp-message.c: the three RPC frames of OCPP-J 1.6 and their JSON
 * text. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ev-json.h"
#include "ev-ocpp-message.h"

G_DEFINE_QUARK (ev-ocpp-error-quark, ev_ocpp_error)

struct _EvOcppMessage
{
  gatomicrefcount ref_count;
  EvOcppMessageType type;
  char *unique_id;
  /* The action of a CALL, the errorCode of a CALLERROR. */
  char *name;
  char *description;
  /* The payload, or a CALLERROR's errorDetails. */
  JsonObject *payload;
};

G_DEFINE_BOXED_TYPE (EvOcppMessage, ev_ocpp_message, ev_ocpp_message_ref, ev_ocpp_message_unref)

/* Indexed by EvOcppError. */
static const char * const error_codes[] = {
  "NotImplemented",
  "NotSupported",
  "InternalError",
  "ProtocolError",
  "SecurityError",
  "FormationViolation",
  "PropertyConstraintViolation",
  "OccurenceConstraintViolation",
  "TypeConstraintViolation",
  "GenericError",
};

/**
 * ev_ocpp_error_to_string:
 * @code: an #EvOcppError
 *
 * Returns: the errorCode that stands for @code in a CALLERROR
 */
const char *
ev_ocpp_error_to_string (EvOcppError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (error_codes), NULL);

  return error_codes[code];
}

/**
 * ev_ocpp_error_from_string:
 * @text: an errorCode
 * @code: (out): where to store its #EvOcppError
 *
 * Returns: whether @text is one of the ten errorCodes of OCPP-J 1.6
 */
gboolean
ev_ocpp_error_from_string (const char  *text,
                           EvOcppError *code)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (strcmp (text, error_codes[i]) == 0)
      {
        *code = (EvOcppError) i;
        return TRUE;
      }
  return FALSE;
}

/**
 * ev_ocpp_unique_id_is_valid:
 * @unique_id: (nullable): a candidate uniqueId
 *
 * Returns: whether @unique_id is a string of 1 to %EV_OCPP_UNIQUE_ID_MAX
 *   characters of valid UTF-8
 */
gboolean
ev_ocpp_unique_id_is_valid (const char *unique_id)
{
  return unique_id != NULL &&
         unique_id[0] != '\0' &&
         g_utf8_validate (unique_id, -1, NULL) &&
         g_utf8_strlen (unique_id, -1) <= EV_OCPP_UNIQUE_ID_MAX;
}

static EvOcppMessage *
message_new (EvOcppMessageType  type,
             const char        *unique_id,
             const char        *name,
             const char        *description,
             JsonObject        *payload)
{
  EvOcppMessage *self = g_new0 (EvOcppMessage, 1);

  g_ref_count_init (&self->ref_count);
  self->type = type;
  self->unique_id = g_strdup (unique_id);
  self->name = g_strdup (name);
  self->description = g_strdup (description);
  self->payload = payload != NULL ? json_object_ref (payload) : json_object_new ();
  return self;
}

/**
 * ev_ocpp_message_new_call:
 * @unique_id: the uniqueId that the answer will carry
 * @action: the action, e.g. `BootNotification`
 * @payload: (nullable): the request; %NULL for `{}`
 *
 * The payload is shared, not copied: do not change it afterwards.
 *
 * Returns: (transfer full): a CALL
 */
EvOcppMessage *
ev_ocpp_message_new_call (const char *unique_id,
                          const char *action,
                          JsonObject *payload)
{
  g_return_val_if_fail (ev_ocpp_unique_id_is_valid (unique_id), NULL);
  g_return_val_if_fail (action != NULL && action[0] != '\0', NULL);

  return message_new (EV_OCPP_MESSAGE_CALL, unique_id, action, NULL, payload);
}

/**
 * ev_ocpp_message_new_call_result:
 * @unique_id: the uniqueId of the CALL this answers
 * @payload: (nullable): the confirmation; %NULL for `{}`
 *
 * Returns: (transfer full): a CALLRESULT
 */
EvOcppMessage *
ev_ocpp_message_new_call_result (const char *unique_id,
                                 JsonObject *payload)
{
  g_return_val_if_fail (ev_ocpp_unique_id_is_valid (unique_id), NULL);

  return message_new (EV_OCPP_MESSAGE_CALL_RESULT, unique_id, NULL, NULL, payload);
}

/**
 * ev_ocpp_message_new_call_error:
 * @unique_id: the uniqueId of the CALL this answers
 * @code: the errorCode
 * @description: (nullable): the errorDescription; %NULL for `""`
 * @details: (nullable): the errorDetails; %NULL for `{}`
 *
 * Returns: (transfer full): a CALLERROR
 */
EvOcppMessage *
ev_ocpp_message_new_call_error (const char *unique_id,
                                EvOcppError code,
                                const char *description,
                                JsonObject *details)
{
  g_return_val_if_fail (ev_ocpp_unique_id_is_valid (unique_id), NULL);
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (error_codes), NULL);

  return message_new (EV_OCPP_MESSAGE_CALL_ERROR, unique_id, error_codes[code],
                      description != NULL ? description : "", details);
}

/**
 * ev_ocpp_message_new_call_error_for:
 * @unique_id: the uniqueId of the CALL this answers
 * @error: why the CALL failed
 *
 * The answer to a CALL that could not be decoded, validated or carried
 * out: the errorCode of an %EV_OCPP_ERROR, `InternalError` for any other
 * domain, and the error's message as the errorDescription.
 *
 * Returns: (transfer full): a CALLERROR
 */
EvOcppMessage *
ev_ocpp_message_new_call_error_for (const char   *unique_id,
                                    const GError *error)
{
  EvOcppError code = EV_OCPP_ERROR_INTERNAL_ERROR;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == EV_OCPP_ERROR && (guint) error->code < G_N_ELEMENTS (error_codes))
    code = (EvOcppError) error->code;
  return ev_ocpp_message_new_call_error (unique_id, code, error->message, NULL);
}

/**
 * ev_ocpp_message_ref:
 * @self: an #EvOcppMessage
 *
 * Returns: (transfer full): @self
 */
EvOcppMessage *
ev_ocpp_message_ref (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * ev_ocpp_message_unref:
 * @self: (transfer full): an #EvOcppMessage
 *
 * Drops a reference; the last one frees @self.
 */
void
ev_ocpp_message_unref (EvOcppMessage *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;

  g_free (self->unique_id);
  g_free (self->name);
  g_free (self->description);
  json_object_unref (self->payload);
  g_free (self);
}

/**
 * ev_ocpp_message_get_message_type:
 * @self: an #EvOcppMessage
 *
 * Returns: CALL, CALLRESULT or CALLERROR
 */
EvOcppMessageType
ev_ocpp_message_get_message_type (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, EV_OCPP_MESSAGE_NONE);

  return self->type;
}

/**
 * ev_ocpp_message_get_unique_id:
 * @self: an #EvOcppMessage
 *
 * Returns: the uniqueId
 */
const char *
ev_ocpp_message_get_unique_id (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->unique_id;
}

/**
 * ev_ocpp_message_get_action:
 * @self: an #EvOcppMessage
 *
 * Returns: (nullable): the action of a CALL, %NULL for the other types
 */
const char *
ev_ocpp_message_get_action (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->type == EV_OCPP_MESSAGE_CALL ? self->name : NULL;
}

/**
 * ev_ocpp_message_get_payload:
 * @self: an #EvOcppMessage
 *
 * Returns: (transfer none): the payload of a CALL or CALLRESULT, the
 *   errorDetails of a CALLERROR
 */
JsonObject *
ev_ocpp_message_get_payload (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->payload;
}

/**
 * ev_ocpp_message_get_error_code:
 * @self: an #EvOcppMessage
 *
 * The errorCode as received: a peer may send one that 1.6 does not list
 * (ev_ocpp_error_from_string() tells).
 *
 * Returns: (nullable): the errorCode of a CALLERROR, %NULL for the
 *   other types
 */
const char *
ev_ocpp_message_get_error_code (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->type == EV_OCPP_MESSAGE_CALL_ERROR ? self->name : NULL;
}

/**
 * ev_ocpp_message_get_error_description:
 * @self: an #EvOcppMessage
 *
 * Returns: (nullable): the errorDescription of a CALLERROR, %NULL for
 *   the other types
 */
const char *
ev_ocpp_message_get_error_description (EvOcppMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->description;
}

static gboolean
objects_equal (JsonObject *a,
               JsonObject *b)
{
  g_autoptr(JsonNode) node_a = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) node_b = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (node_a, node_b);
}

/**
 * ev_ocpp_message_equal:
 * @a: an #EvOcppMessage
 * @b: another
 *
 * Returns: whether @a and @b are the same message, payload included
 */
gboolean
ev_ocpp_message_equal (EvOcppMessage *a,
                       EvOcppMessage *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return a->type == b->type &&
         g_strcmp0 (a->unique_id, b->unique_id) == 0 &&
         g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->description, b->description) == 0 &&
         objects_equal (a->payload, b->payload);
}

/* Refuses nesting deeper than EV_OCPP_MAX_DEPTH before json-glib, which
 * recurses once per level, sees the text. Only brackets outside strings
 * count; everything else is json-glib's to judge. */
static gboolean
check_depth (const char *data,
             gsize       length,
             GError    **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > EV_OCPP_MAX_DEPTH)
            {
              g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION,
                           _("The message nests deeper than %d levels"),
                           EV_OCPP_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

/* Why a value of @node cannot stand in a message, or NULL when all can.
 * json-glib reads GScanner's octal escapes ("\\202") in strings, which
 * JSON does not have, and can so make a string that is not UTF-8 out of
 * text that is; and it reads a number beyond a double's range (1E400)
 * as infinity, which no JSON text can say again. Such a message is
 * malformed: nothing downstream need check again. Recursion is bounded
 * by check_depth(). */
static const char *
unsound_value (JsonNode *node)
{
  const char *why = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (why == NULL && json_object_iter_next (&iter, &name, &member))
        why = g_utf8_validate (name, -1, NULL) ? unsound_value (member)
                                                : _("A string in the message is not valid UTF-8");
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; why == NULL && i < json_array_get_length (array); i++)
        why = unsound_value (json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
        why = _("A string in the message is not valid UTF-8");
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      if (!isfinite (json_node_get_double (node)))
        why = _("A number in the message is out of range");
    }
  return why;
}

static const char *
element_string (JsonArray *array,
                guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
element_object (JsonArray *array,
                guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static EvOcppMessageType
element_message_type (JsonArray *array)
{
  JsonNode *node = json_array_get_element (array, 0);
  gint64 value;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return EV_OCPP_MESSAGE_NONE;
  value = json_node_get_int (node);
  if (value < EV_OCPP_MESSAGE_CALL || value > EV_OCPP_MESSAGE_CALL_ERROR)
    return EV_OCPP_MESSAGE_NONE;
  return (EvOcppMessageType) value;
}

static guint
element_count (EvOcppMessageType type)
{
  switch (type)
    {
    case EV_OCPP_MESSAGE_CALL:
      return 4;
    case EV_OCPP_MESSAGE_CALL_RESULT:
      return 3;
    case EV_OCPP_MESSAGE_CALL_ERROR:
      return 5;
    case EV_OCPP_MESSAGE_NONE:
    default:
      g_assert_not_reached ();
    }
}

static EvOcppMessage *
decode_array (JsonArray          *array,
              EvOcppMessageType  *type_out,
              char              **unique_id_out,
              GError            **error)
{
  guint length = json_array_get_length (array);
  EvOcppMessageType type;
  const char *unique_id;
  const char *name;
  const char *description = NULL;
  JsonObject *payload;
  guint payload_index;

  type = length > 0 ? element_message_type (array) : EV_OCPP_MESSAGE_NONE;
  if (type == EV_OCPP_MESSAGE_NONE)
    {
      g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                           _("An OCPP-J message begins with its type: 2, 3 or 4"));
      return NULL;
    }
  *type_out = type;

  unique_id = length > 1 ? element_string (array, 1) : NULL;
  if (!ev_ocpp_unique_id_is_valid (unique_id))
    {
      g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                   _("The unique id must be a string of 1 to %d characters"),
                   EV_OCPP_UNIQUE_ID_MAX);
      return NULL;
    }
  *unique_id_out = g_strdup (unique_id);

  if (length != element_count (type))
    {
      g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                   _("An OCPP-J message of type %d has %u elements, not %u"),
                   (int) type, length, element_count (type));
      return NULL;
    }

  /* The action, or the errorCode and errorDescription. */
  name = type != EV_OCPP_MESSAGE_CALL_RESULT ? element_string (array, 2) : NULL;
  if (type != EV_OCPP_MESSAGE_CALL_RESULT && (name == NULL || name[0] == '\0'))
    {
      g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                           type == EV_OCPP_MESSAGE_CALL
                           ? _("The action must be a non-empty string")
                           : _("The error code must be a non-empty string"));
      return NULL;
    }
  if (type == EV_OCPP_MESSAGE_CALL_ERROR)
    {
      description = element_string (array, 3);
      if (description == NULL)
        {
          g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                               _("The error description must be a string"));
          return NULL;
        }
    }

  payload_index = element_count (type) - 1;
  payload = element_object (array, payload_index);
  if (payload == NULL)
    {
      g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION,
                           _("The payload must be a JSON object"));
      return NULL;
    }

  return message_new (type, unique_id, name, description, payload);
}

/**
 * ev_ocpp_message_decode:
 * @data: the text of one WebSocket message
 * @length: its length in bytes, or -1 if nul-terminated
 * @type: (out) (optional): the message type, as soon as it is known, or
 *   %EV_OCPP_MESSAGE_NONE
 * @unique_id: (out) (optional) (transfer full): the uniqueId, as soon as
 *   a valid one is read, or %NULL
 * @error: the reason it is no OCPP-J message
 *
 * Reads the frame, not the payload: ev_ocpp_schema_validate() checks
 * that against its action. On failure, @error carries the code to answer
 * a CALL with; @type and @unique_id tell whether it was a CALL and which
 * uniqueId the CALLERROR must carry (a CALLRESULT or CALLERROR is never
 * answered).
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 */
EvOcppMessage *
ev_ocpp_message_decode (const char         *data,
                        gssize              length,
                        EvOcppMessageType  *type,
                        char              **unique_id,
                        GError            **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *read_id = NULL;
  EvOcppMessageType read_type = EV_OCPP_MESSAGE_NONE;
  EvOcppMessage *message = NULL;
  JsonNode *root;
  const char *why;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  if (length < 0)
    length = (gssize) strlen (data);

  /* g_utf8_validate() also refuses a nul byte inside the text. */
  if (!g_utf8_validate (data, length, NULL))
    g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION,
                         _("The message is not valid UTF-8 text"));
  else if (check_depth (data, (gsize) length, error))
    {
      parser = json_parser_new_immutable ();
      if (!json_parser_load_from_data (parser, data, length, &parse_error))
        g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION,
                     _("The message is not JSON: %s"), parse_error->message);
      else if ((root = json_parser_get_root (parser)) == NULL)
        g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION,
                             _("The message is empty"));
      else if (!JSON_NODE_HOLDS_ARRAY (root))
        g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_PROTOCOL_ERROR,
                             _("An OCPP-J message is a JSON array"));
      else if ((message = decode_array (json_node_get_array (root), &read_type, &read_id, error)) &&
               (why = unsound_value (root)) != NULL)
        {
          g_clear_pointer (&message, ev_ocpp_message_unref);
          g_set_error_literal (error, EV_OCPP_ERROR, EV_OCPP_ERROR_FORMATION_VIOLATION, why);
        }
    }

  if (type != NULL)
    *type = read_type;
  if (unique_id != NULL)
    *unique_id = g_steal_pointer (&read_id);
  return message;
}

/**
 * ev_ocpp_message_encode:
 * @self: an #EvOcppMessage
 * @length: (out) (optional): the length of the text
 *
 * Returns: (transfer full): the message as OCPP-J text
 */
char *
ev_ocpp_message_encode (EvOcppMessage *self,
                        gsize         *length)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  g_return_val_if_fail (self != NULL, NULL);

  json_array_add_int_element (array, self->type);
  json_array_add_string_element (array, self->unique_id);
  if (self->type != EV_OCPP_MESSAGE_CALL_RESULT)
    json_array_add_string_element (array, self->name);
  if (self->type == EV_OCPP_MESSAGE_CALL_ERROR)
    json_array_add_string_element (array, self->description);
  json_array_add_object_element (array, json_object_ref (self->payload));

  json_node_set_array (node, array);
  return ev_json_to_string (node, length);
}

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ev-json.h"
#include "ev-message-codec.h"
#include "ev-protocol.h"

/* Members ---------------------------------------------------------------- */

#define MEMBER(msg, field, Type) ((Type *) ((char *) (msg) + (field)->offset))
#define CONST_MEMBER(msg, field, Type) ((const Type *) ((const char *) (msg) + (field)->offset))

/* The value of the member with EV_MESSAGE_FIELD_SELECTS, or -1. */
static int
selector_of (const EvMessageType *type,
             gconstpointer        msg)
{
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].flags & EV_MESSAGE_FIELD_SELECTS)
      return *CONST_MEMBER (msg, &type->fields[i], int);
  return -1;
}

/* A selector of -1 (none, or not read yet) is in every mask but 0; one
 * out of range, in none. */
static gboolean
in_mask (guint32 mask,
         int     selector)
{
  if (selector < 0)
    return mask != 0;
  return selector < 32 && (mask & EV_MESSAGE_WHEN (selector)) != 0;
}

static gboolean
is_carried (const EvMessageField *field,
            int                   selector)
{
  return field->carried == 0 || in_mask (field->carried, selector);
}

/* Whether an enum or a double with a `has_…` flag is present. */
static gboolean
is_present (const EvMessageField *field,
            gconstpointer         msg)
{
  return field->presence == 0 || *(const gboolean *) ((const char *) msg + field->presence);
}

static void
set_present (const EvMessageField *field,
             gpointer              msg)
{
  if (field->presence != 0)
    *(gboolean *) ((char *) msg + field->presence) = TRUE;
}

/**
 * ev_message_new:
 * @type: a message description
 *
 * Returns: (transfer full): a message of @type with every member unset
 */
gpointer
ev_message_new (const EvMessageType *type)
{
  g_return_val_if_fail (type != NULL, NULL);

  return g_malloc0 (type->size);
}

/**
 * ev_message_copy:
 * @type: a message description
 * @msg: a message of @type
 *
 * Returns: (transfer full): a deep copy of @msg
 */
gpointer
ev_message_copy (const EvMessageType *type,
                 gconstpointer        msg)
{
  gpointer copy;

  g_return_val_if_fail (type != NULL && msg != NULL, NULL);

  copy = g_memdup2 (msg, type->size);
  if (type->envelope)
    ((EvEnvelope *) copy)->id = g_strdup (((const EvEnvelope *) msg)->id);
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].type == EV_MESSAGE_FIELD_STRING)
      *MEMBER (copy, &type->fields[i], char *) = g_strdup (*CONST_MEMBER (msg, &type->fields[i], char *));
  return copy;
}

/**
 * ev_message_free:
 * @type: a message description
 * @msg: (nullable): a message of @type
 *
 * Frees @msg and its strings.
 */
void
ev_message_free (const EvMessageType *type,
                 gpointer             msg)
{
  g_return_if_fail (type != NULL);

  if (msg == NULL)
    return;

  if (type->envelope)
    g_free (((EvEnvelope *) msg)->id);
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].type == EV_MESSAGE_FIELD_STRING)
      g_free (*MEMBER (msg, &type->fields[i], char *));
  g_free (msg);
}

static gboolean
field_equal (const EvMessageField *field,
             gconstpointer         a,
             gconstpointer         b)
{
  gboolean a_present = is_present (field, a);

  if (a_present != is_present (field, b))
    return FALSE;
  if (!a_present)
    return TRUE;

  switch (field->type)
    {
    case EV_MESSAGE_FIELD_STRING:
      return g_strcmp0 (*CONST_MEMBER (a, field, char *), *CONST_MEMBER (b, field, char *)) == 0;
    case EV_MESSAGE_FIELD_ENUM:
      return *CONST_MEMBER (a, field, int) == *CONST_MEMBER (b, field, int);
    case EV_MESSAGE_FIELD_DOUBLE:
      return *CONST_MEMBER (a, field, double) == *CONST_MEMBER (b, field, double);
    case EV_MESSAGE_FIELD_TIMESTAMP:
      return *CONST_MEMBER (a, field, gint64) == *CONST_MEMBER (b, field, gint64);
    case EV_MESSAGE_FIELD_SEQ:
      return *CONST_MEMBER (a, field, guint) == *CONST_MEMBER (b, field, guint);
    case EV_MESSAGE_FIELD_BOOLEAN:
      return !*CONST_MEMBER (a, field, gboolean) == !*CONST_MEMBER (b, field, gboolean);
    default:
      g_assert_not_reached ();
    }
}

/**
 * ev_message_equal:
 * @type: a message description
 * @a: a message of @type
 * @b: another message of @type
 *
 * Compares the envelope and the members the messages carry on the wire
 * (for a link request, those of its `type`).
 *
 * Returns: %TRUE if @a and @b encode to the same message
 */
gboolean
ev_message_equal (const EvMessageType *type,
                  gconstpointer        a,
                  gconstpointer        b)
{
  int selector;

  g_return_val_if_fail (type != NULL && a != NULL && b != NULL, FALSE);

  if (type->envelope)
    {
      const EvEnvelope *ea = a, *eb = b;

      if (g_strcmp0 (ea->id, eb->id) != 0 || ea->ts != eb->ts)
        return FALSE;
    }

  selector = selector_of (type, a);
  if (selector != selector_of (type, b))
    return FALSE;
  for (guint i = 0; i < type->n_fields; i++)
    if (is_carried (&type->fields[i], selector) && !field_equal (&type->fields[i], a, b))
      return FALSE;
  return TRUE;
}

/* Encoding --------------------------------------------------------------- */

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
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
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

static void
add_field (JsonBuilder          *builder,
           const EvMessageField *field,
           gconstpointer         msg)
{
  gint64 ts;

  if (!is_present (field, msg))
    return;

  switch (field->type)
    {
    case EV_MESSAGE_FIELD_STRING:
      add_string (builder, field->name, *CONST_MEMBER (msg, field, char *));
      break;
    case EV_MESSAGE_FIELD_ENUM:
      add_string (builder, field->name, field->enum_name (*CONST_MEMBER (msg, field, int)));
      break;
    case EV_MESSAGE_FIELD_DOUBLE:
      json_builder_set_member_name (builder, field->name);
      json_builder_add_double_value (builder, *CONST_MEMBER (msg, field, double));
      break;
    case EV_MESSAGE_FIELD_TIMESTAMP:
      ts = *CONST_MEMBER (msg, field, gint64);
      if (((field->flags & EV_MESSAGE_FIELD_OMIT_ZERO) && ts == 0) ||
          ((field->flags & EV_MESSAGE_FIELD_OMIT_UNSET) && ts <= 0))
        break;
      add_int (builder, field->name, ts);
      break;
    case EV_MESSAGE_FIELD_SEQ:
      add_int (builder, field->name, *CONST_MEMBER (msg, field, guint));
      break;
    case EV_MESSAGE_FIELD_BOOLEAN:
      json_builder_set_member_name (builder, field->name);
      json_builder_add_boolean_value (builder, *CONST_MEMBER (msg, field, gboolean));
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * ev_message_encode:
 * @type: a message description
 * @msg: a message of @type
 * @length: (out) (optional): the length of the result in bytes
 *
 * Encodes @msg: the envelope first (an unset one gets a new UUID and the
 * current time, without changing @msg), then the members it carries in
 * the order of the table, leaving out those that are unset. The caller is
 * responsible for their validity.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_message_encode (const EvMessageType *type,
                   gconstpointer        msg,
                   gsize               *length)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  int selector;

  g_return_val_if_fail (type != NULL && msg != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (type->envelope)
    add_envelope (builder, msg);

  selector = selector_of (type, msg);
  for (guint i = 0; i < type->n_fields; i++)
    if (is_carried (&type->fields[i], selector))
      add_field (builder, &type->fields[i], msg);

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return ev_json_to_string (root, length);
}

/* Decoding --------------------------------------------------------------- */

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

/* Returns FALSE, so that a reader can return it directly. */
static gboolean
field_error (GError     **error,
             int          code,
             const char  *format,
             const char  *name)
{
  g_set_error (error, EV_PROTOCOL_ERROR, code, format, name);
  return FALSE;
}

/* A member that is null counts as absent, as many encoders write null for
 * an optional field. Sets *node to NULL when it is absent, and fails when
 * it is required. */
static gboolean
lookup (JsonObject  *object,
        const char  *name,
        gboolean     required,
        JsonNode   **node,
        GError     **error)
{
  *node = json_object_get_member (object, name);
  if (*node != NULL && JSON_NODE_HOLDS_NULL (*node))
    *node = NULL;
  if (*node != NULL || !required)
    return TRUE;
  return field_error (error, EV_PROTOCOL_ERROR_MISSING_FIELD, _("Field “%s” is missing"), name);
}

static GType
value_type (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
}

static gboolean
wrong_type (const char  *name,
            const char  *format,
            GError     **error)
{
  return field_error (error, EV_PROTOCOL_ERROR_WRONG_TYPE, format, name);
}

static gboolean
get_string (JsonNode    *node,
            const char  *name,
            const char **value,
            GError     **error)
{
  if (value_type (node) != G_TYPE_STRING)
    return wrong_type (name, _("Field “%s” must be a string"), error);

  /* json-glib lets unpaired surrogate escapes through as invalid UTF-8. */
  *value = json_node_get_string (node);
  if (*value == NULL || !g_utf8_validate (*value, -1, NULL))
    return field_error (error, EV_PROTOCOL_ERROR_INVALID_VALUE, _("Field “%s” is not valid UTF-8"), name);

  return TRUE;
}

static gboolean
get_number (JsonNode    *node,
            const char  *name,
            double      *value,
            GError     **error)
{
  GType type = value_type (node);

  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return wrong_type (name, _("Field “%s” must be a number"), error);

  *value = json_node_get_double (node);
  return TRUE;
}

/* Integers written as 1.7e12 by other encoders are accepted when their
 * value is whole. */
static gboolean
get_integer (JsonNode    *node,
             const char  *name,
             gint64      *value,
             GError     **error)
{
  double d;

  if (value_type (node) == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }
  if (!get_number (node, name, &d, error))
    return FALSE;

  /* 2^63 is exactly representable; anything in range converts. */
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
      d != (double) (gint64) d)
    return field_error (error, EV_PROTOCOL_ERROR_INVALID_VALUE, _("Field “%s” must be a whole number"), name);
  *value = (gint64) d;
  return TRUE;
}

static gboolean
read_enum (JsonNode              *node,
           const EvMessageField  *field,
           int                   *value,
           GError               **error)
{
  const char *text;

  if (!get_string (node, field->name, &text, error))
    return FALSE;
  if (field->enum_value (text, value))
    return TRUE;

  return field_error (error,
                      (field->flags & EV_MESSAGE_FIELD_TYPE_NAME) ? EV_PROTOCOL_ERROR_UNKNOWN_TYPE
                                                                  : EV_PROTOCOL_ERROR_INVALID_VALUE,
                      _("Field “%s” has an unknown value"), field->name);
}

static gboolean
read_seq (JsonNode    *node,
          const char  *name,
          guint       *value,
          GError     **error)
{
  gint64 seq;

  if (!get_integer (node, name, &seq, error))
    return FALSE;
  if (seq < 1 || seq > G_MAXUINT32)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_VALUE,
                   _("Field “%s” must be a whole number from 1 to %u"),
                   name, (unsigned) G_MAXUINT32);
      return FALSE;
    }
  *value = (guint) seq;
  return TRUE;
}

/* Reads one present member into msg. */
static gboolean
read_field (JsonNode              *node,
            const EvMessageField  *field,
            gpointer               msg,
            GError               **error)
{
  const char *text;
  double number;

  switch (field->type)
    {
    case EV_MESSAGE_FIELD_STRING:
      if (!get_string (node, field->name, &text, error) ||
          (field->check_string != NULL && !field->check_string (text, field->name, error)))
        return FALSE;
      *MEMBER (msg, field, char *) = g_strdup (text);
      return TRUE;

    case EV_MESSAGE_FIELD_ENUM:
      return read_enum (node, field, MEMBER (msg, field, int), error);

    case EV_MESSAGE_FIELD_DOUBLE:
      if (!get_number (node, field->name, &number, error) ||
          (field->check_number != NULL && !field->check_number (number, field->name, error)))
        return FALSE;
      *MEMBER (msg, field, double) = number;
      return TRUE;

    case EV_MESSAGE_FIELD_TIMESTAMP:
      return get_integer (node, field->name, MEMBER (msg, field, gint64), error) &&
             ev_protocol_validate_timestamp (*MEMBER (msg, field, gint64), field->name, error);

    case EV_MESSAGE_FIELD_SEQ:
      return read_seq (node, field->name, MEMBER (msg, field, guint), error);

    case EV_MESSAGE_FIELD_BOOLEAN:
      if (value_type (node) != G_TYPE_BOOLEAN)
        return wrong_type (field->name, _("Field “%s” must be true or false"), error);
      *MEMBER (msg, field, gboolean) = json_node_get_boolean (node);
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
read_envelope (JsonObject  *object,
               EvEnvelope  *envelope,
               GError     **error)
{
  static const EvMessageField id = {
    .name = "id", .type = EV_MESSAGE_FIELD_STRING, .offset = G_STRUCT_OFFSET (EvEnvelope, id),
    .check_string = ev_protocol_validate_uuid,
  };
  static const EvMessageField ts = {
    .name = "ts", .type = EV_MESSAGE_FIELD_TIMESTAMP, .offset = G_STRUCT_OFFSET (EvEnvelope, ts),
  };
  JsonNode *node;
  double v;

  /* The version comes first: a newer version may change everything else. */
  if (!lookup (object, "v", TRUE, &node, error) ||
      !get_number (node, "v", &v, error))
    return FALSE;
  if (v != EV_PROTOCOL_VERSION)
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                   _("Unsupported protocol version (field “v” must be %d)"),
                   EV_PROTOCOL_VERSION);
      return FALSE;
    }

  return lookup (object, "id", TRUE, &node, error) &&
         read_field (node, &id, envelope, error) &&
         lookup (object, "ts", TRUE, &node, error) &&
         read_field (node, &ts, envelope, error);
}

static gboolean
read_fields (const EvMessageType  *type,
             JsonObject           *object,
             gpointer              msg,
             int                  *refusal,
             GError              **error)
{
  /* Until the selecting member is read, which comes before every member
   * that depends on it, each member counts as carried and required or
   * not by its mask alone. */
  int selector = -1;

  for (guint i = 0; i < type->n_fields; i++)
    {
      const EvMessageField *field = &type->fields[i];
      JsonNode *node;

      if (!is_carried (field, selector))
        continue;

      *refusal = field->refusal;
      if (!lookup (object, field->name, in_mask (field->required, selector), &node, error))
        return FALSE;
      if (node == NULL)
        continue;
      if (!read_field (node, field, msg, error))
        return FALSE;
      set_present (field, msg);
      if (field->flags & EV_MESSAGE_FIELD_SELECTS)
        selector = *MEMBER (msg, field, int);
    }

  return TRUE;
}

/**
 * ev_message_decode:
 * @type: a message description
 * @data: (array length=length) (nullable): the JSON text
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @refusal: (out) (optional): on failure, the #EvLinkReason a server
 *   answers with (see ev_link_request_parse()); 0 on success
 * @error: return location for an error in %EV_PROTOCOL_ERROR
 *
 * Decodes and validates a message of @type: at most @type's size, a JSON
 * object, the envelope, then each member the message carries, required
 * or valid when present, then @type's rule across members. Members the
 * table does not name are ignored.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
gpointer
ev_message_decode (const EvMessageType  *type,
                   const char           *data,
                   gssize                length,
                   int                  *refusal,
                   GError              **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  gpointer msg;
  int dummy;

  g_return_val_if_fail (type != NULL, NULL);

  if (refusal == NULL)
    refusal = &dummy;

  *refusal = type->bad_json_refusal;
  root = parse_object (data, length, type->max_size, error);
  if (root == NULL)
    return NULL;
  object = json_node_get_object (root);

  msg = ev_message_new (type);
  *refusal = 0;
  if ((type->envelope && !read_envelope (object, msg, error)) ||
      !read_fields (type, object, msg, refusal, error) ||
      (type->check != NULL && !type->check (msg, error)))
    {
      ev_message_free (type, msg);
      return NULL;
    }

  *refusal = 0;
  return msg;
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

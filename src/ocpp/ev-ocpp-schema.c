/* ev-ocpp-schema.c: the OCPP 1.6 JSON schemas, and a validator for the
 * subset of JSON Schema (draft-04) that they use. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ev-ocpp-resources.h"
#include "ev-ocpp-schema.h"

#define DEFAULT_SCHEMA_PATH "/io/github/evcharging/EVCharging/ocpp/1.6/ocpp1_6.json"

/* The schemas of one action: its request's and its confirmation's. */
typedef struct
{
  JsonObject *request;
  JsonObject *confirmation;
} ActionSchemas;

struct _EvOcppSchema
{
  GObject parent_instance;

  /* Holds every schema object the table points into. */
  JsonNode *root;
  /* Action name → ActionSchemas. */
  GHashTable *actions;
};

G_DEFINE_FINAL_TYPE (EvOcppSchema, ev_ocpp_schema, G_TYPE_OBJECT)

/* The keywords the validator understands; a schema with any other is
 * refused when loaded rather than half-checked. Annotations are
 * accepted and ignored. */
static const char * const known_keywords[] = {
  "$id", "id", "$schema", "title", "description", "definitions",
  "type", "properties", "required", "additionalProperties", "enum",
  "maxLength", "minLength", "minimum", "maximum", "multipleOf", "format",
  "items", "minItems", "maxItems", "$ref",
};

static const char * const known_types[] = {
  "object", "array", "string", "integer", "number", "boolean", "null",
};

static const char * const known_formats[] = { "date-time", "uri" };

static gboolean
in_list (const char        *word,
         const char * const *list,
         gsize               length)
{
  for (gsize i = 0; i < length; i++)
    if (strcmp (word, list[i]) == 0)
      return TRUE;
  return FALSE;
}

#define IN_LIST(word, list) in_list ((word), (list), G_N_ELEMENTS (list))

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
ev_ocpp_schema_finalize (GObject *object)
{
  EvOcppSchema *self = EV_OCPP_SCHEMA (object);

  g_clear_pointer (&self->actions, g_hash_table_unref);
  g_clear_pointer (&self->root, json_node_unref);

  G_OBJECT_CLASS (ev_ocpp_schema_parent_class)->finalize (object);
}

static void
ev_ocpp_schema_class_init (EvOcppSchemaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ev_ocpp_schema_finalize;
}

static void
ev_ocpp_schema_init (EvOcppSchema *self)
{
  self->actions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Loading: every schema is checked once, so that validation can trust
 * its shape. */

static gboolean check_schema (JsonObject  *document,
                              JsonNode    *node,
                              const char  *id,
                              GError     **error);

static JsonObject *
resolve_ref (JsonObject *document,
             const char *ref)
{
  JsonObject *definitions;
  JsonNode *target;

  if (!g_str_has_prefix (ref, "#/definitions/") ||
      !json_object_has_member (document, "definitions"))
    return NULL;
  definitions = json_object_get_object_member (document, "definitions");
  if (definitions == NULL)
    return NULL;
  target = json_object_get_member (definitions, ref + strlen ("#/definitions/"));
  return target != NULL && JSON_NODE_HOLDS_OBJECT (target) ? json_node_get_object (target) : NULL;
}

static gboolean
bad_schema (GError     **error,
            const char  *id,
            const char  *keyword)
{
  g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_INTERNAL_ERROR,
               _("Schema “%s” uses “%s” in a way the validator does not support"),
               id, keyword);
  return FALSE;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
holds_number (JsonNode *node)
{
  return holds_type (node, G_TYPE_INT64) || holds_type (node, G_TYPE_DOUBLE);
}

static gboolean
is_string (JsonNode *node)
{
  return holds_type (node, G_TYPE_STRING);
}

static gboolean
is_type_name (JsonNode *node)
{
  return is_string (node) && IN_LIST (json_node_get_string (node), known_types);
}

/* Whether @node is a non-empty array whose every item passes @item_ok. */
static gboolean
is_array_of (JsonNode *node,
             gboolean (*item_ok) (JsonNode *item))
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!item_ok (json_array_get_element (array, i)))
      return FALSE;
  return json_array_get_length (array) > 0;
}

static gboolean
check_schema_map (JsonObject  *document,
                  const char  *keyword,
                  JsonNode    *node,
                  const char  *id,
                  GError     **error)
{
  JsonObjectIter iter;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_schema (error, id, keyword);
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, NULL, &member))
    if (!check_schema (document, member, id, error))
      return FALSE;
  return TRUE;
}

static gboolean
check_keyword (JsonObject  *document,
               const char  *keyword,
               JsonNode    *value,
               const char  *id,
               GError     **error)
{
  gboolean ok;

  if (!IN_LIST (keyword, known_keywords))
    return bad_schema (error, id, keyword);

  if (strcmp (keyword, "type") == 0)
    ok = is_type_name (value) || is_array_of (value, is_type_name);
  else if (strcmp (keyword, "properties") == 0 || strcmp (keyword, "definitions") == 0)
    return check_schema_map (document, keyword, value, id, error);
  else if (strcmp (keyword, "required") == 0)
    ok = is_array_of (value, is_string);
  else if (strcmp (keyword, "additionalProperties") == 0)
    ok = holds_type (value, G_TYPE_BOOLEAN);
  else if (strcmp (keyword, "enum") == 0)
    ok = JSON_NODE_HOLDS_ARRAY (value) && json_array_get_length (json_node_get_array (value)) > 0;
  else if (g_str_has_prefix (keyword, "max") || g_str_has_prefix (keyword, "min"))
    ok = holds_number (value) && (holds_type (value, G_TYPE_INT64) || strcmp (keyword, "minimum") == 0 ||
                                  strcmp (keyword, "maximum") == 0);
  else if (strcmp (keyword, "multipleOf") == 0)
    ok = holds_number (value) && json_node_get_double (value) > 0;
  else if (strcmp (keyword, "format") == 0)
    ok = holds_type (value, G_TYPE_STRING) && IN_LIST (json_node_get_string (value), known_formats);
  else if (strcmp (keyword, "items") == 0)
    return check_schema (document, value, id, error);
  else if (strcmp (keyword, "$ref") == 0)
    ok = holds_type (value, G_TYPE_STRING) && resolve_ref (document, json_node_get_string (value)) != NULL;
  else
    ok = TRUE;

  return ok || bad_schema (error, id, keyword);
}

static gboolean
check_schema (JsonObject  *document,
              JsonNode    *node,
              const char  *id,
              GError     **error)
{
  JsonObjectIter iter;
  const char *keyword;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_schema (error, id, "{}");
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &keyword, &value))
    if (!check_keyword (document, keyword, value, id, error))
      return FALSE;
  return TRUE;
}

static gboolean
add_schema (EvOcppSchema  *self,
            JsonNode      *node,
            GError       **error)
{
  g_autofree char *action = NULL;
  ActionSchemas *schemas;
  JsonObject *object;
  const char *id;
  const char *dot;

  id = JSON_NODE_HOLDS_OBJECT (node)
       ? json_object_get_string_member_with_default (json_node_get_object (node), "$id", NULL)
       : NULL;
  if (id == NULL || !g_str_has_prefix (id, "urn:") ||
      (dot = strrchr (id, '.')) == NULL || dot - id <= 4 ||
      (strcmp (dot, ".req") != 0 && strcmp (dot, ".conf") != 0))
    return bad_schema (error, id != NULL ? id : "?", "$id");

  object = json_node_get_object (node);
  if (!check_schema (object, node, id, error))
    return FALSE;

  action = g_strndup (id + 4, dot - (id + 4));
  schemas = g_hash_table_lookup (self->actions, action);
  if (schemas == NULL)
    {
      schemas = g_new0 (ActionSchemas, 1);
      g_hash_table_insert (self->actions, g_strdup (action), schemas);
    }
  if (strcmp (dot, ".req") == 0)
    schemas->request = object;
  else
    schemas->confirmation = object;
  return TRUE;
}

/**
 * ev_ocpp_schema_new_from_bytes:
 * @json: a JSON array of schemas, each with an `$id` of
 *   `urn:<Action>.req` or `urn:<Action>.conf`
 * @error: why they cannot be used
 *
 * Loads a set of OCPP schemas. A schema that uses a keyword the
 * validator does not implement is refused, never half-checked.
 *
 * Returns: (transfer full) (nullable): the schemas, or %NULL with @error
 */
EvOcppSchema *
ev_ocpp_schema_new_from_bytes (GBytes  *json,
                               GError **error)
{
  g_autoptr(EvOcppSchema) self = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  GHashTableIter iter;
  ActionSchemas *schemas;
  const char *action;
  JsonArray *array;
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (json, &size);
  if (!json_parser_load_from_data (parser, data, (gssize) size, error))
    return NULL;

  self = g_object_new (EV_TYPE_OCPP_SCHEMA, NULL);
  self->root = json_node_ref (json_parser_get_root (parser));
  if (!JSON_NODE_HOLDS_ARRAY (self->root))
    {
      bad_schema (error, "", "[]");
      return NULL;
    }
  array = json_node_get_array (self->root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!add_schema (self, json_array_get_element (array, i), error))
      return NULL;

  g_hash_table_iter_init (&iter, self->actions);
  while (g_hash_table_iter_next (&iter, (gpointer *) &action, (gpointer *) &schemas))
    if (schemas->request == NULL || schemas->confirmation == NULL)
      {
        bad_schema (error, action, schemas->request == NULL ? ".req" : ".conf");
        return NULL;
      }

  return g_steal_pointer (&self);
}

/**
 * ev_ocpp_schema_get_default:
 *
 * The official OCPP 1.6 schemas, compiled into the program (see
 * data/ocpp/1.6/README.md). Loaded on the first call, from any thread.
 *
 * Returns: (transfer none): the OCPP 1.6 schemas
 */
EvOcppSchema *
ev_ocpp_schema_get_default (void)
{
  static EvOcppSchema *schema;

  if (g_once_init_enter (&schema))
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      EvOcppSchema *loaded;

      bytes = g_resource_lookup_data (ev_ocpp_get_resource (), DEFAULT_SCHEMA_PATH,
                                      G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
      loaded = bytes != NULL ? ev_ocpp_schema_new_from_bytes (bytes, &error) : NULL;
      /* The file is part of the program, checked by the tests. */
      if (loaded == NULL)
        g_error ("The built-in OCPP 1.6 schemas do not load: %s", error->message);
      g_once_init_leave (&schema, loaded);
    }
  return schema;
}

/**
 * ev_ocpp_schema_list_actions:
 * @self: an #EvOcppSchema
 *
 * Returns: (transfer full): the actions that have schemas, sorted
 */
char **
ev_ocpp_schema_list_actions (EvOcppSchema *self)
{
  g_autofree const char **keys = NULL;
  char **actions;
  guint length = 0;

  g_return_val_if_fail (EV_IS_OCPP_SCHEMA (self), NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (self->actions, &length);
  qsort (keys, length, sizeof *keys, compare_strings);
  actions = g_new0 (char *, length + 1);
  for (guint i = 0; i < length; i++)
    actions[i] = g_strdup (keys[i]);
  return actions;
}

/**
 * ev_ocpp_schema_has_action:
 * @self: an #EvOcppSchema
 * @action: an action name
 *
 * Returns: whether @action has schemas
 */
gboolean
ev_ocpp_schema_has_action (EvOcppSchema *self,
                           const char   *action)
{
  g_return_val_if_fail (EV_IS_OCPP_SCHEMA (self), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);

  return g_hash_table_contains (self->actions, action);
}

/* Validation. The first failure wins; its code is the CALLERROR a CALL
 * with this payload gets (docs/ocpp.md, "Validation"). */

typedef struct
{
  JsonObject *document;
  GString *path;
  GError **error;
} Validation;

static gboolean validate_node (Validation *v,
                               JsonObject *schema,
                               JsonNode   *node);

static gboolean
fail (Validation  *v,
      EvOcppError  code,
      const char  *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Validation  *v,
      EvOcppError  code,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (v->error, g_error_new_valist (EV_OCPP_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

static gboolean
matches_type (JsonNode   *node,
              const char *type)
{
  double value;

  if (strcmp (type, "object") == 0)
    return JSON_NODE_HOLDS_OBJECT (node);
  if (strcmp (type, "array") == 0)
    return JSON_NODE_HOLDS_ARRAY (node);
  if (strcmp (type, "null") == 0)
    return JSON_NODE_HOLDS_NULL (node);
  if (strcmp (type, "string") == 0)
    return holds_type (node, G_TYPE_STRING);
  if (strcmp (type, "boolean") == 0)
    return holds_type (node, G_TYPE_BOOLEAN);
  if (strcmp (type, "number") == 0)
    return holds_number (node);
  /* "integer": as in draft-06 and later (and in ocpp-rpc), 5.0 is one,
   * as long as a 64-bit integer holds it: what passes is read with
   * json_object_get_int_member(), and 1E19 would not fit. */
  if (holds_type (node, G_TYPE_INT64))
    return TRUE;
  if (!holds_type (node, G_TYPE_DOUBLE))
    return FALSE;
  value = json_node_get_double (node);
  return isfinite (value) && value == floor (value) && value >= -0x1p63 && value < 0x1p63;
}

static gboolean
validate_type (Validation *v,
               JsonNode   *type,
               JsonNode   *node)
{
  g_autoptr(GString) names = NULL;
  JsonArray *types;

  if (holds_type (type, G_TYPE_STRING))
    {
      if (matches_type (node, json_node_get_string (type)))
        return TRUE;
      return fail (v, EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION,
                   _("“%s” must be of type %s"), v->path->str, json_node_get_string (type));
    }

  types = json_node_get_array (type);
  names = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (types); i++)
    {
      const char *name = json_array_get_string_element (types, i);

      if (matches_type (node, name))
        return TRUE;
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", name);
    }
  return fail (v, EV_OCPP_ERROR_TYPE_CONSTRAINT_VIOLATION,
               _("“%s” must be of type %s"), v->path->str, names->str);
}

static gboolean
digits (const char *text,
        guint       count)
{
  for (guint i = 0; i < count; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* RFC 3339's date-time, as JSON Schema's format means it: the layout
 * checked here, the calendar by GLib. The offset may be missing: real
 * chargers leave it out, and ocpp-rpc accepts that too; such a time is
 * UTC, as OCPP 1.6 wants every time to be. */
static gboolean
is_date_time (const char *text)
{
  g_autoptr(GTimeZone) utc = NULL;
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *normal = NULL;
  const char *p;

  if (strlen (text) < 19 || !digits (text, 4) || text[4] != '-' || !digits (text + 5, 2) ||
      text[7] != '-' || !digits (text + 8, 2) || strchr ("Tt ", text[10]) == NULL ||
      !digits (text + 11, 2) || text[13] != ':' || !digits (text + 14, 2) || text[16] != ':' ||
      !digits (text + 17, 2))
    return FALSE;

  p = text + 19;
  if (*p == '.')
    {
      if (!g_ascii_isdigit (*++p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'Z' || *p == 'z')
    p++;
  else if ((*p == '+' || *p == '-') && digits (p + 1, 2) && p[3] == ':' && digits (p + 4, 2))
    p += 6;
  if (*p != '\0')
    return FALSE;

  utc = g_time_zone_new_utc ();
  normal = g_ascii_strup (text, -1);
  normal[10] = 'T';
  parsed = g_date_time_new_from_iso8601 (normal, utc);
  return parsed != NULL;
}

/* Whether @value keeps to the bound @keyword of @schema, if it has one:
 * a lower bound if @lower, else an upper one. */
static gboolean
within (JsonObject *schema,
        const char *keyword,
        double      value,
        gboolean    lower,
        double     *bound)
{
  if (!json_object_has_member (schema, keyword))
    return TRUE;
  *bound = json_object_get_double_member (schema, keyword);
  return lower ? value >= *bound : value <= *bound;
}

static gboolean
validate_string (Validation *v,
                 JsonObject *schema,
                 const char *text)
{
  glong length = g_utf8_strlen (text, -1);
  const char *format;
  double bound;

  if (!within (schema, "maxLength", length, FALSE, &bound))
    return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                 _("“%s” is longer than %d characters"), v->path->str, (int) bound);
  if (!within (schema, "minLength", length, TRUE, &bound))
    return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                 _("“%s” is shorter than %d characters"), v->path->str, (int) bound);

  format = json_object_get_string_member_with_default (schema, "format", NULL);
  if (format != NULL &&
      (strcmp (format, "date-time") == 0 ? !is_date_time (text)
                                          : !g_uri_is_valid (text, G_URI_FLAGS_NONE, NULL)))
    return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                 _("“%s” is not a valid %s"), v->path->str, format);
  return TRUE;
}

static gboolean
validate_number (Validation *v,
                 JsonObject *schema,
                 double      value)
{
  double bound;

  if (!within (schema, "minimum", value, TRUE, &bound))
    return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                 _("“%s” is less than %g"), v->path->str, bound);
  if (!within (schema, "maximum", value, FALSE, &bound))
    return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                 _("“%s” is greater than %g"), v->path->str, bound);
  if (json_object_has_member (schema, "multipleOf"))
    {
      double step = json_object_get_double_member (schema, "multipleOf");
      double quotient = value / step;

      /* 0.3 / 0.1 is 2.9999999999999996 in binary floating point. */
      if (!isfinite (quotient) ||
          fabs (quotient - nearbyint (quotient)) > 1e-9 * MAX (1.0, fabs (quotient)))
        return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
                     _("“%s” is not a multiple of %g"), v->path->str, step);
    }
  return TRUE;
}

/* Validates a member (@name) or an item (@index), named so in errors. */
static gboolean
validate_child (Validation *v,
                JsonObject *schema,
                const char *name,
                guint       index,
                JsonNode   *node)
{
  gsize saved = v->path->len;
  gboolean ok;

  if (name != NULL)
    g_string_append_printf (v->path, ".%s", name);
  else
    g_string_append_printf (v->path, "[%u]", index);
  ok = validate_node (v, schema, node);
  g_string_truncate (v->path, saved);
  return ok;
}

static gboolean
validate_object (Validation *v,
                 JsonObject *schema,
                 JsonObject *object)
{
  JsonObject *properties = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (json_object_has_member (schema, "required"))
    {
      JsonArray *required = json_object_get_array_member (schema, "required");

      for (guint i = 0; i < json_array_get_length (required); i++)
        {
          name = json_array_get_string_element (required, i);
          if (!json_object_has_member (object, name))
            return fail (v, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION,
                         _("“%s.%s” is missing"), v->path->str, name);
        }
    }

  if (json_object_has_member (schema, "properties"))
    properties = json_object_get_object_member (schema, "properties");

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      JsonNode *property = properties != NULL ? json_object_get_member (properties, name) : NULL;

      if (property != NULL)
        {
          if (!validate_child (v, json_node_get_object (property), name, 0, member))
            return FALSE;
        }
      else if (!json_object_get_boolean_member_with_default (schema, "additionalProperties", TRUE))
        return fail (v, EV_OCPP_ERROR_FORMATION_VIOLATION,
                     _("“%s.%s” is not part of this message"), v->path->str, name);
    }
  return TRUE;
}

static gboolean
validate_array (Validation *v,
                JsonObject *schema,
                JsonArray  *array)
{
  guint length = json_array_get_length (array);
  JsonObject *items;
  double bound;

  if (!within (schema, "minItems", length, TRUE, &bound))
    return fail (v, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION,
                 _("“%s” has fewer than %d items"), v->path->str, (int) bound);
  if (!within (schema, "maxItems", length, FALSE, &bound))
    return fail (v, EV_OCPP_ERROR_OCCURENCE_CONSTRAINT_VIOLATION,
                 _("“%s” has more than %d items"), v->path->str, (int) bound);

  if (!json_object_has_member (schema, "items"))
    return TRUE;
  items = json_object_get_object_member (schema, "items");
  for (guint i = 0; i < length; i++)
    if (!validate_child (v, items, NULL, i, json_array_get_element (array, i)))
      return FALSE;
  return TRUE;
}

static gboolean
validate_enum (Validation *v,
               JsonArray  *values,
               JsonNode   *node)
{
  for (guint i = 0; i < json_array_get_length (values); i++)
    if (json_node_equal (json_array_get_element (values, i), node))
      return TRUE;
  return fail (v, EV_OCPP_ERROR_PROPERTY_CONSTRAINT_VIOLATION,
               _("“%s” is not one of its allowed values"), v->path->str);
}

static gboolean
validate_node (Validation *v,
               JsonObject *schema,
               JsonNode   *node)
{
  /* As in draft-04, a $ref stands for the whole schema. */
  if (json_object_has_member (schema, "$ref"))
    return validate_node (v, resolve_ref (v->document, json_object_get_string_member (schema, "$ref")),
                          node);

  if (json_object_has_member (schema, "type") &&
      !validate_type (v, json_object_get_member (schema, "type"), node))
    return FALSE;
  if (json_object_has_member (schema, "enum") &&
      !validate_enum (v, json_object_get_array_member (schema, "enum"), node))
    return FALSE;

  if (holds_type (node, G_TYPE_STRING))
    return validate_string (v, schema, json_node_get_string (node));
  if (holds_number (node))
    return validate_number (v, schema, json_node_get_double (node));
  if (JSON_NODE_HOLDS_OBJECT (node))
    return validate_object (v, schema, json_node_get_object (node));
  if (JSON_NODE_HOLDS_ARRAY (node))
    return validate_array (v, schema, json_node_get_array (node));
  return TRUE;
}

/**
 * ev_ocpp_schema_validate:
 * @self: an #EvOcppSchema
 * @action: the action, e.g. `StartTransaction`
 * @kind: whether @payload is the request or the confirmation
 * @payload: the payload
 * @error: the first violation
 *
 * Checks @payload against the schema of @action. On failure, @error's
 * code in %EV_OCPP_ERROR is the CALLERROR a CALL with @payload gets:
 * `NotImplemented` for an action without schemas, and for a violation
 * `TypeConstraintViolation` (wrong JSON type),
 * `OccurenceConstraintViolation` (a required member missing, too few or
 * too many items), `PropertyConstraintViolation` (a value not allowed:
 * too long, not in the enumeration, not a date-time, out of range) or
 * `FormationViolation` (a member the message does not have).
 *
 * Returns: whether @payload is valid
 */
gboolean
ev_ocpp_schema_validate (EvOcppSchema       *self,
                         const char         *action,
                         EvOcppPayloadKind   kind,
                         JsonObject         *payload,
                         GError            **error)
{
  g_autoptr(GString) path = g_string_new ("payload");
  g_autoptr(JsonNode) node = NULL;
  ActionSchemas *schemas;
  Validation v;

  g_return_val_if_fail (EV_IS_OCPP_SCHEMA (self), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  schemas = g_hash_table_lookup (self->actions, action);
  if (schemas == NULL)
    {
      g_set_error (error, EV_OCPP_ERROR, EV_OCPP_ERROR_NOT_IMPLEMENTED,
                   _("Action “%s” is not part of OCPP 1.6"), action);
      return FALSE;
    }

  v.document = kind == EV_OCPP_PAYLOAD_REQUEST ? schemas->request : schemas->confirmation;
  v.path = path;
  v.error = error;
  node = json_node_init_object (json_node_alloc (), payload);
  return validate_node (&v, v.document, node);
}

/**
 * ev_ocpp_schema_validate_message:
 * @self: an #EvOcppSchema
 * @message: a decoded message
 * @call_action: (nullable): for a CALLRESULT, the action of the CALL it
 *   answers
 * @error: the first violation
 *
 * Checks a CALL's payload against its action's request schema and a
 * CALLRESULT's against the confirmation schema of @call_action, as
 * ev_ocpp_schema_validate() does. A CALLERROR has no schema and is
 * always valid.
 *
 * Returns: whether @message is valid
 */
gboolean
ev_ocpp_schema_validate_message (EvOcppSchema   *self,
                                 EvOcppMessage  *message,
                                 const char     *call_action,
                                 GError        **error)
{
  g_return_val_if_fail (EV_IS_OCPP_SCHEMA (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  switch (ev_ocpp_message_get_message_type (message))
    {
    case EV_OCPP_MESSAGE_CALL:
      return ev_ocpp_schema_validate (self, ev_ocpp_message_get_action (message),
                                      EV_OCPP_PAYLOAD_REQUEST,
                                      ev_ocpp_message_get_payload (message), error);
    case EV_OCPP_MESSAGE_CALL_RESULT:
      g_return_val_if_fail (call_action != NULL, FALSE);
      return ev_ocpp_schema_validate (self, call_action, EV_OCPP_PAYLOAD_CONFIRMATION,
                                      ev_ocpp_message_get_payload (message), error);
    case EV_OCPP_MESSAGE_CALL_ERROR:
    case EV_OCPP_MESSAGE_NONE:
    default:
      return TRUE;
    }
}

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ev-json.h"

/* JSON text as compact as json-glib's, but numbers in their shortest
 * form that reads back to the same double: json-glib 1.6 writes 0.35 as
 * 0.34999999999999998, correct but unkind to people and scripts. */

static void write_node (GString  *out,
                        JsonNode *node);

static void
write_string (GString    *out,
              const char *text)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
write_double (GString *out,
              double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no NaN or infinity. */
  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  for (int digits = 15; digits <= 17; digits++)
    {
      g_autofree char *format = g_strdup_printf ("%%.%dg", digits);

      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_string_append (out, buffer);

  /* Keep it a floating-point number for readers that care. */
  if (strpbrk (buffer, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
write_value (GString  *out,
             JsonNode *node)
{
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      write_double (out, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      write_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
    }
}

static void
write_node (GString  *out,
            JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            write_string (out, name);
            g_string_append_c (out, ':');
            write_node (out, member);
          }
        g_string_append_c (out, '}');
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            write_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      write_value (out, node);
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
    }
}

/**
 * ev_json_to_string:
 * @node: a JSON node
 * @length: (out) (optional): the length of the text
 *
 * Writes @node as compact JSON, object members in insertion order and
 * numbers in the shortest form that reads back to the same value.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_json_to_string (JsonNode *node,
                   gsize    *length)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  write_node (out, node);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

/**
 * ev_json_object_to_string:
 * @object: a JSON object
 * @length: (out) (optional): the length of the text
 *
 * Like ev_json_to_string() for an object.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ev_json_object_to_string (JsonObject *object,
                          gsize      *length)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  g_return_val_if_fail (object != NULL, NULL);

  json_node_set_object (node, object);
  return ev_json_to_string (node, length);
}

/**
 * ev_json_object_set_nullable_string:
 * @object: a JSON object
 * @member: the member's name
 * @value: (nullable): its value
 *
 * Sets @member to @value, or to JSON null when there is none.
 */
void
ev_json_object_set_nullable_string (JsonObject *object,
                                    const char *member,
                                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

/**
 * ev_json_object_get_int_in_range:
 * @object: a JSON object
 * @member: the member's name
 * @min: the least value taken
 * @max: the greatest value taken
 * @fallback: what a missing or unfit member reads as
 *
 * Reads a whole number from a file of our own, which a person may have
 * edited: an integer, or a double with no fraction (as other encoders
 * write them), from @min to @max. Anything else (not a number, a
 * fraction, out of range) reads as @fallback. Unlike
 * json_object_get_int_member(), a double out of a 64-bit integer's range
 * is never converted, which C leaves undefined.
 *
 * Returns: the member's value, or @fallback
 */
gint64
ev_json_object_get_int_in_range (JsonObject *object,
                                 const char *member,
                                 gint64      min,
                                 gint64      max,
                                 gint64      fallback)
{
  JsonNode *node;
  gint64 value;
  double d;

  g_return_val_if_fail (object != NULL, fallback);
  g_return_val_if_fail (member != NULL, fallback);
  g_return_val_if_fail (min <= max, fallback);

  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      d = json_node_get_double (node);
      /* 2^63 is exactly representable; anything below it converts. */
      if (!(d >= -0x1p63 && d < 0x1p63) || d != floor (d))
        return fallback;
      value = (gint64) d;
    }
  else
    return fallback;
  return value >= min && value <= max ? value : fallback;
}

/**
 * ev_json_object_get_figure:
 * @object: a JSON object
 * @member: the member's name
 *
 * Reads a figure (kWh, an amount, a price) from a file of our own, which
 * a person may have edited: a finite number, not negative, or 0 for
 * anything else.
 *
 * Returns: the member's value, or 0
 */
double
ev_json_object_get_figure (JsonObject *object,
                           const char *member)
{
  JsonNode *node;
  double value;

  g_return_val_if_fail (object != NULL, 0.0);
  g_return_val_if_fail (member != NULL, 0.0);

  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 && json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return 0.0;
  value = json_node_get_double (node);
  return isfinite (value) && value >= 0.0 ? value : 0.0;
}

#include "config.h"

#include <math.h>

#include "ev-json.h"

static char *
write_parsed (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return ev_json_to_string (json_parser_get_root (parser), NULL);
}

/* Numbers come out in the shortest text that reads back to the same
 * double, which json-glib itself does not do. */
static void
test_numbers (void)
{
  const struct { double value; const char *text; } cases[] = {
    { 0.35, "0.35" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 2.625, "2.625" },
    { 7.0, "7.0" },
    { -1.5e-7, "-1.5e-07" },
    { 1e300, "1e+300" },
    { NAN, "null" },
    { INFINITY, "null" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
      g_autofree char *text = NULL;

      json_node_set_double (node, cases[i].value);
      text = ev_json_to_string (node, NULL);
      g_assert_cmpstr (text, ==, cases[i].text);
      if (isfinite (cases[i].value))
        g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, cases[i].value);
    }
}

static void
test_strings_and_structure (void)
{
  const struct { const char *in; const char *out; } cases[] = {
    { "{\"b\":1,\"a\":[true,false,null]}", "{\"b\":1,\"a\":[true,false,null]}" },
    { "{\"s\":\"quote \\\" back \\\\ nl \\n tab \\t cr \\r\"}", "{\"s\":\"quote \\\" back \\\\ nl \\n tab \\t cr \\r\"}" },
    { "[\"\\u0001\\u001f\"]", "[\"\\u0001\\u001f\"]" },
    { "[\"Alicante, Av. Maisonnave 12 — ñ €\"]", "[\"Alicante, Av. Maisonnave 12 — ñ €\"]" },
    { "{}", "{}" },
    { "[]", "[]" },
    { "[{\"x\":{\"y\":[1,2.5]}}]", "[{\"x\":{\"y\":[1,2.5]}}]" },
    { "-42", "-42" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = write_parsed (cases[i].in);

      g_assert_cmpstr (text, ==, cases[i].out);
    }
}

static void
test_object_length (void)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *text = NULL;
  gsize length = 0;

  json_object_set_string_member (object, "event", "ready");
  json_object_set_double_member (object, "price", 0.35);
  text = ev_json_object_to_string (object, &length);
  g_assert_cmpstr (text, ==, "{\"event\":\"ready\",\"price\":0.35}");
  g_assert_cmpuint (length, ==, strlen (text));
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Whole numbers from files a person may have edited: what is not one, or
 * not in range, reads as the fallback, never as a converted double. */
static void
test_int_in_range (void)
{
  g_autoptr(JsonObject) object = parse_object ("{\"int\":42,\"whole\":42.0,\"fraction\":4.5,\"huge\":1e30,"
                                               "\"tiny\":-1e30,\"beyond\":1e400,\"negative\":-3,"
                                               "\"big\":9007199254740993,\"text\":\"42\",\"null\":null,"
                                               "\"bool\":true,\"list\":[42]}");

  g_assert_cmpint (ev_json_object_get_int_in_range (object, "int", 0, 100, -1), ==, 42);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "whole", 0, 100, -1), ==, 42);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "int", 0, 41, -1), ==, -1);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "int", 43, 100, -1), ==, -1);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "negative", G_MININT64, G_MAXINT64, 0), ==, -3);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "negative", 0, G_MAXINT64, 7), ==, 7);
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "big", 0, G_MAXINT64, -1), ==, 9007199254740993);
  for (guint i = 0; i < 8; i++)
    {
      static const char *unfit[] = { "fraction", "huge", "tiny", "beyond", "text", "null", "bool", "list" };

      g_test_message ("%s", unfit[i]);
      g_assert_cmpint (ev_json_object_get_int_in_range (object, unfit[i], G_MININT64, G_MAXINT64, 5), ==, 5);
    }
  g_assert_cmpint (ev_json_object_get_int_in_range (object, "missing", 0, 100, 9), ==, 9);
}

/* Figures from files a person may have edited: finite and not negative,
 * or 0. */
static void
test_figure (void)
{
  g_autoptr(JsonObject) object = parse_object ("{\"kwh\":2.5,\"int\":3,\"zero\":0,\"negative\":-0.5,"
                                               "\"beyond\":1e400,\"text\":\"2.5\",\"null\":null,\"list\":[1]}");

  g_assert_cmpfloat (ev_json_object_get_figure (object, "kwh"), ==, 2.5);
  g_assert_cmpfloat (ev_json_object_get_figure (object, "int"), ==, 3.0);
  g_assert_cmpfloat (ev_json_object_get_figure (object, "zero"), ==, 0.0);
  for (guint i = 0; i < 6; i++)
    {
      static const char *unfit[] = { "negative", "beyond", "text", "null", "list", "missing" };

      g_test_message ("%s", unfit[i]);
      g_assert_cmpfloat (ev_json_object_get_figure (object, unfit[i]), ==, 0.0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/numbers", test_numbers);
  g_test_add_func ("/json/strings-and-structure", test_strings_and_structure);
  g_test_add_func ("/json/object-length", test_object_length);
  g_test_add_func ("/json/int-in-range", test_int_in_range);
  g_test_add_func ("/json/figure", test_figure);

  return g_test_run ();
}

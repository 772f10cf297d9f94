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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/numbers", test_numbers);
  g_test_add_func ("/json/strings-and-structure", test_strings_and_structure);
  g_test_add_func ("/json/object-length", test_object_length);

  return g_test_run ();
}

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-protocol.h"
#include "test-messages.h"

/* The message tables, checked through the generic codec: every message
 * type and every value of its selecting member, as the encoder wrote them
 * before the tables existed. */

typedef struct {
  const char *type;
  const char *json;
} Sample;

static const Sample samples[] = {
  { "link-request",
    "{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"tok-abc_123\"}" },
  { "link-request",
    "{\"type\":\"register\",\"cp_id\":\"CP1\",\"location\":\"Alicante, Av. Maisonnave 12\""
    ",\"nonce\":\"nonce-0123456789abcdef\"}" },
  { "link-request",
    "{\"type\":\"status\",\"state\":\"SUPPLYING\",\"engine\":\"unreachable\"}" },
  { "link-request",
    "{\"type\":\"hello\",\"cp_id\":\"CP1\",\"challenge\":\"challenge-0123456789ab\""
    ",\"proof\":\"proof-0123456789abcdef\"}" },
  { "link-request",
    "{\"type\":\"health\"}" },
  { "link-request",
    "{\"type\":\"central\",\"reachable\":true}" },
  { "link-request",
    "{\"type\":\"price\",\"price\":0.35}" },
  { "link-request",
    "{\"type\":\"key\",\"cp_id\":\"CP1\""
    ",\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}" },
  { "link-response",
    "{\"status\":\"authorized\",\"price\":0.35,\"location\":\"Alicante\""
    ",\"approval\":\"pending\",\"cp_key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}" },
  { "link-response",
    "{\"status\":\"registered\",\"price\":0.4,\"token\":\"tok-abc_123\"}" },
  { "link-response",
    "{\"status\":\"ok\",\"location\":\"Alicante\",\"state\":\"ACTIVE\"}" },
  { "link-response",
    "{\"status\":\"denied\",\"reason\":\"not-paired\""
    ",\"challenge\":\"challenge-0123456789ab\"}" },
  { "link-response",
    "{\"status\":\"ko\",\"state\":\"BROKEN\"}" },
  { "link-response",
    "{\"status\":\"ok\",\"price\":1.0}" },
  { "link-response",
    "{\"status\":\"error\",\"reason\":\"bad-json\"}" },
  { "supply-req",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"request_id\":\"22222222-2222-4222-8222-222222222222\",\"cp_id\":\"CP1\""
    ",\"driver_id\":\"station:CP1\",\"origin\":\"station\"}" },
  { "supply-res",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"request_id\":\"22222222-2222-4222-8222-222222222222\",\"driver_id\":\"D-1\""
    ",\"cp_id\":\"CP1\",\"status\":\"authorized\""
    ",\"supply_id\":\"33333333-3333-4333-8333-333333333333\",\"price\":0.35}" },
  { "supply-res",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"request_id\":\"22222222-2222-4222-8222-222222222222\",\"driver_id\":\"D-1\""
    ",\"cp_id\":\"CP1\",\"status\":\"denied\",\"reason\":\"cp-busy\"}" },
  { "central-directives",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"target\":\"CP1\",\"action\":\"start\""
    ",\"supply_id\":\"33333333-3333-4333-8333-333333333333\",\"driver_id\":\"D-1\""
    ",\"price\":0.35,\"expires\":1700000060000}" },
  { "central-directives",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"target\":\"CP1\",\"action\":\"cancel\""
    ",\"supply_id\":\"33333333-3333-4333-8333-333333333333\",\"expires\":1700000060000}" },
  { "central-directives",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"target\":\"all\",\"action\":\"stop\",\"expires\":1700000060000}" },
  { "supply-data",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"kind\":\"progress\",\"supply_id\":\"33333333-3333-4333-8333-333333333333\""
    ",\"cp_id\":\"CP1\",\"driver_id\":\"D-1\",\"seq\":3,\"kwh\":1.5,\"amount\":0.525"
    ",\"price\":0.35,\"started_at\":1700000000000}" },
  { "supply-data",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"kind\":\"ticket\",\"supply_id\":\"33333333-3333-4333-8333-333333333333\""
    ",\"cp_id\":\"CP1\",\"driver_id\":\"D-1\",\"seq\":10,\"kwh\":7.5,\"amount\":2.625"
    ",\"price\":0.35,\"started_at\":1700000000000,\"ended_at\":1700000900000"
    ",\"reason\":\"monitor-lost\",\"source_ts\":1700000900100}" },
  { "supply-error",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"supply_id\":\"33333333-3333-4333-8333-333333333333\",\"driver_id\":\"D-1\""
    ",\"cp_id\":\"CP1\",\"reason\":\"not-plugged\",\"kwh\":0.0,\"amount\":0.0}" },
  { "cp-states",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"cp_id\":\"CP1\",\"state\":\"STOPPED\",\"location\":\"Alicante\",\"price\":0.35}" },
  { "cp-states",
    "{\"v\":1,\"id\":\"11111111-1111-4111-8111-111111111111\",\"ts\":1700000000000"
    ",\"cp_id\":\"CP2\",\"state\":\"DISCONNECTED\"}" },
};

static const EvMessageType *
find_type (const char *name)
{
  const EvMessageType * const *types;
  guint n_types;

  types = ev_message_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    if (g_str_equal (types[i]->name, name))
      return types[i];
  g_assert_not_reached ();
}

static int
selector_of (const EvMessageType *type,
             gconstpointer        msg)
{
  for (guint i = 0; i < type->n_fields; i++)
    if (type->fields[i].flags & EV_MESSAGE_FIELD_SELECTS)
      return *(const int *) ((const char *) msg + type->fields[i].offset);
  return -1;
}

static gboolean
in_mask (guint32 mask,
         int     selector)
{
  return selector < 0 ? mask != 0 : (mask & EV_MESSAGE_WHEN (selector)) != 0;
}

static gboolean
is_carried (const EvMessageField *field,
            int                   selector)
{
  return field->carried == 0 || in_mask (field->carried, selector);
}

/* The sample with member @name set to @value (JSON text), or removed when
 * @value is NULL. */
static char *
with_member (const char *json,
             const char *name,
             const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (json, &error);
  JsonObject *object;

  g_assert_no_error (error);
  object = json_node_get_object (root);
  if (value == NULL)
    {
      json_object_remove_member (object, name);
    }
  else
    {
      JsonNode *node = json_from_string (value, &error);

      g_assert_no_error (error);
      json_object_set_member (object, name, node);
    }
  return json_to_string (root, FALSE);
}

static gpointer
decode_sample (const Sample *sample)
{
  g_autoptr(GError) error = NULL;
  int refusal = -1;
  gpointer msg;

  msg = ev_message_decode (find_type (sample->type), sample->json, -1, &refusal, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpint (refusal, ==, 0);
  return msg;
}

/* The tables are well formed: unique member names, a selecting member
 * before every member that depends on it, wire names for every enum, a
 * reason for every member of a link request, and a sample that carries
 * every member. */
static void
test_table_shape (void)
{
  const EvMessageType * const *types;
  guint n_types;

  types = ev_message_types (&n_types);
  g_assert_cmpuint (n_types, ==, 8);
  for (guint t = 0; t < n_types; t++)
    {
      const EvMessageType *type = types[t];
      gboolean selected = FALSE;

      g_test_message ("%s", type->name);
      g_assert_cmpuint (type->size, >, 0);
      g_assert_cmpuint (type->n_fields, >, 0);
      for (guint i = 0; i < type->n_fields; i++)
        {
          const EvMessageField *field = &type->fields[i];
          gboolean sampled = FALSE;

          for (guint j = 0; j < i; j++)
            g_assert_cmpstr (type->fields[j].name, !=, field->name);
          if (field->carried != 0 || (field->required != 0 && field->required != EV_MESSAGE_ALWAYS))
            g_assert_true (selected);
          if (field->flags & EV_MESSAGE_FIELD_SELECTS)
            {
              g_assert_false (selected);
              g_assert_cmpint (field->type, ==, EV_MESSAGE_FIELD_ENUM);
              g_assert_cmpuint (field->required, ==, EV_MESSAGE_ALWAYS);
              selected = TRUE;
            }
          if (field->type == EV_MESSAGE_FIELD_ENUM)
            g_assert_true (field->enum_name != NULL && field->enum_value != NULL);
          if (type->bad_json_refusal != 0)
            g_assert_cmpint (field->refusal, !=, 0);

          for (guint s = 0; s < G_N_ELEMENTS (samples) && !sampled; s++)
            if (g_str_equal (samples[s].type, type->name))
              sampled = strstr (samples[s].json, field->name) != NULL;
          g_assert_true (sampled);
        }
    }
}

/* Decoding a sample and encoding it again gives the same bytes: the wire
 * form, member order included, is what the signatures are computed on. */
static void
test_table_wire_form (void)
{
  for (guint s = 0; s < G_N_ELEMENTS (samples); s++)
    {
      const EvMessageType *type = find_type (samples[s].type);
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      gpointer first, second;
      gsize length = 0;

      g_test_message ("%s", samples[s].json);
      first = decode_sample (&samples[s]);
      json = ev_message_encode (type, first, &length);
      g_assert_cmpstr (json, ==, samples[s].json);
      g_assert_cmpuint (length, ==, strlen (json));

      second = ev_message_decode (type, json, (gssize) length, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (ev_message_equal (type, first, second));
      ev_message_free (type, second);

      second = ev_message_copy (type, first);
      g_assert_true (ev_message_equal (type, first, second));
      ev_message_free (type, second);
      ev_message_free (type, first);
    }
}

/* Equality looks at every member a message carries: changing any one of
 * them in a copy makes the copy differ. */
static void
test_table_equal (void)
{
  for (guint s = 0; s < G_N_ELEMENTS (samples); s++)
    {
      const EvMessageType *type = find_type (samples[s].type);
      gpointer msg = decode_sample (&samples[s]);
      int selector = selector_of (type, msg);

      for (guint i = 0; i < type->n_fields; i++)
        {
          const EvMessageField *field = &type->fields[i];
          gpointer copy;
          char *at;

          if (!is_carried (field, selector) || (field->flags & EV_MESSAGE_FIELD_SELECTS))
            continue;
          copy = ev_message_copy (type, msg);
          at = (char *) copy + field->offset;
          switch (field->type)
            {
            case EV_MESSAGE_FIELD_STRING:
              g_free (*(char **) at);
              *(char **) at = g_strdup ("changed");
              break;
            case EV_MESSAGE_FIELD_ENUM:
            case EV_MESSAGE_FIELD_SEQ:
              *(int *) at += 1;
              break;
            case EV_MESSAGE_FIELD_DOUBLE:
              *(double *) at += 1;
              break;
            case EV_MESSAGE_FIELD_TIMESTAMP:
              *(gint64 *) at += 1;
              break;
            case EV_MESSAGE_FIELD_BOOLEAN:
              *(gboolean *) at = !*(gboolean *) at;
              break;
            default:
              g_assert_not_reached ();
            }
          if (field->presence != 0)
            *(gboolean *) ((char *) copy + field->presence) = TRUE;
          g_test_message ("%s: %s", type->name, field->name);
          g_assert_false (ev_message_equal (type, msg, copy));
          ev_message_free (type, copy);
        }
      ev_message_free (type, msg);
    }
}

static void
check_refused (const EvMessageType  *type,
               const EvMessageField *field,
               const char           *json,
               int                   code)
{
  g_autoptr(GError) error = NULL;
  int refusal = 0;
  gpointer msg;

  g_test_message ("%s", json);
  msg = ev_message_decode (type, json, -1, &refusal, &error);
  g_assert_null (msg);
  g_assert_error (error, EV_PROTOCOL_ERROR, code);
  g_assert_nonnull (strstr (error->message, field->name));
  g_assert_cmpint (refusal, ==, field->refusal);
}

/* Each required member, removed or null, is missing; each optional one
 * may go. */
static void
test_table_required (void)
{
  for (guint s = 0; s < G_N_ELEMENTS (samples); s++)
    {
      const EvMessageType *type = find_type (samples[s].type);
      gpointer msg = decode_sample (&samples[s]);
      int selector = selector_of (type, msg);

      for (guint i = 0; i < type->n_fields; i++)
        {
          const EvMessageField *field = &type->fields[i];
          g_autofree char *without = NULL;
          g_autofree char *with_null = NULL;

          if (!is_carried (field, selector))
            continue;
          without = with_member (samples[s].json, field->name, NULL);
          with_null = with_member (samples[s].json, field->name, "null");
          if (in_mask (field->required, selector))
            {
              check_refused (type, field, without, EV_PROTOCOL_ERROR_MISSING_FIELD);
              check_refused (type, field, with_null, EV_PROTOCOL_ERROR_MISSING_FIELD);
            }
          else
            {
              g_autoptr(GError) error = NULL;
              gpointer decoded = ev_message_decode (type, without, -1, NULL, &error);

              g_assert_no_error (error);
              ev_message_free (type, decoded);
            }
        }
      ev_message_free (type, msg);
    }
}

/* Each member the message carries, of another JSON type, is refused as
 * such; a member the table does not know is ignored. */
static void
test_table_types (void)
{
  static const char *wrong[] = {
    [EV_MESSAGE_FIELD_STRING] = "5",
    [EV_MESSAGE_FIELD_ENUM] = "true",
    [EV_MESSAGE_FIELD_DOUBLE] = "\"5\"",
    [EV_MESSAGE_FIELD_TIMESTAMP] = "\"1700000000000\"",
    [EV_MESSAGE_FIELD_SEQ] = "false",
    [EV_MESSAGE_FIELD_BOOLEAN] = "1",
  };

  for (guint s = 0; s < G_N_ELEMENTS (samples); s++)
    {
      const EvMessageType *type = find_type (samples[s].type);
      gpointer msg = decode_sample (&samples[s]);
      int selector = selector_of (type, msg);
      g_autofree char *extended = with_member (samples[s].json, "zz_future", "{\"a\":[1,null]}");
      g_autoptr(GError) error = NULL;
      gpointer decoded;

      for (guint i = 0; i < type->n_fields; i++)
        {
          const EvMessageField *field = &type->fields[i];
          g_autofree char *mistyped = NULL;
          g_autofree char *nested = NULL;

          if (!is_carried (field, selector) || strstr (samples[s].json, field->name) == NULL)
            continue;
          mistyped = with_member (samples[s].json, field->name, wrong[field->type]);
          nested = with_member (samples[s].json, field->name, "[\"x\"]");
          check_refused (type, field, mistyped, EV_PROTOCOL_ERROR_WRONG_TYPE);
          check_refused (type, field, nested, EV_PROTOCOL_ERROR_WRONG_TYPE);
        }

      decoded = ev_message_decode (type, extended, -1, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (ev_message_equal (type, msg, decoded));
      ev_message_free (type, decoded);
      ev_message_free (type, msg);
    }
}

void
test_messages_add_table (void)
{
  g_test_add_func ("/messages/table/shape", test_table_shape);
  g_test_add_func ("/messages/table/wire-form", test_table_wire_form);
  g_test_add_func ("/messages/table/equal", test_table_equal);
  g_test_add_func ("/messages/table/required", test_table_required);
  g_test_add_func ("/messages/table/types", test_table_types);
}

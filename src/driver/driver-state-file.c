/* driver-state-file.c: what the driver keeps across restarts: the supply it
 * follows and the file it runs (state.json), and its tickets (history.json). */

#include "config.h"

#include "driver-core-private.h"

/* Persistence -------------------------------------------------------------- */

/* Written to a temporary file and renamed over the old one, so a crash
 * leaves either the old or the new state, never half of one. */
static gboolean
save_json (DriverCore  *self,
           const char  *name,
           JsonObject  *object,
           GError     **error)
{
  g_autofree char *path = g_build_filename (self->state_dir, name, NULL);
  g_autofree char *text = NULL;
  gsize length;

  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), self->state_dir, g_strerror (saved_errno));
      return FALSE;
    }
  text = ev_json_object_to_string (object, &length);
  return g_file_set_contents_full (path, text, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static JsonObject *
load_json (DriverCore  *self,
           const char  *name,
           GError     **error)
{
  g_autofree char *path = g_build_filename (self->state_dir, name, NULL);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  JsonNode *root;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;

  if (!ev_file_read_bounded (path, STATE_FILE_MAX_SIZE, &contents, &length, &local_error))
    {
      g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_STATE, local_error->message);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("Cannot read %s: %s"), path, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("Cannot read %s: not a JSON object"), path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

void
driver_save_state (DriverCore *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_int_member (object, "version", 1);
  json_object_set_string_member (object, "driver_id", self->driver_id);
  if (driver_follow_get_phase (self->follow) != DRIVER_PHASE_IDLE)
    json_object_set_object_member (object, "supply", driver_follow_to_json (self->follow));
  else
    json_object_set_null_member (object, "supply");
  if (self->file != NULL)
    json_object_set_object_member (object, "file", driver_file_run_to_json (self->file));
  else
    json_object_set_null_member (object, "file");

  if (!save_json (self, STATE_FILE, object, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot save the supply in progress: %s"), error->message);

      driver_emit_error (self, message);
    }
}

void
driver_add_history (DriverCore      *self,
                    EvSupply *session)
{
  g_hash_table_add (self->history_ids, g_strdup (ev_supply_get_supply_id (session)));
  g_list_store_append (self->history, session);
  self->total_kwh += ev_supply_get_kwh (session);
  self->total_amount += ev_supply_get_amount (session);
}

void
driver_load_history (DriverCore *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tickets;

  object = load_json (self, HISTORY_FILE, &error);
  if (error != NULL)
    driver_emit_error (self, error->message);
  if (object == NULL || (tickets = json_object_get_array_member (object, "tickets")) == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *item = json_array_get_object_element (tickets, i);
      g_autoptr(EvSupply) session = item != NULL ? driver_history_ticket_from_json (item, self->driver_id)
                                                        : NULL;

      if (session != NULL &&
          !g_hash_table_contains (self->history_ids, ev_supply_get_supply_id (session)))
        driver_add_history (self, session);
    }
}

void
driver_save_history (DriverCore *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *tickets = json_array_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvSupply) session = g_list_model_get_item (G_LIST_MODEL (self->history), i);

      json_array_add_object_element (tickets, driver_history_ticket_to_json (session));
    }
  json_object_set_array_member (object, "tickets", tickets);
  if (!save_json (self, HISTORY_FILE, object, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot save the ticket history: %s"), error->message);

      driver_emit_error (self, message);
    }
}

/* After a restart the saved supply, once concluded, is the history's
 * entry of the same id: the follow takes that object. */
static void
share_history_entry (DriverCore *self)
{
  const char *supply_id = driver_follow_get_supply_id (self->follow);
  GListModel *history = G_LIST_MODEL (self->history);
  guint n = g_list_model_get_n_items (history);

  if (supply_id == NULL || !ev_supply_is_concluded (self->follow->supply) ||
      !g_hash_table_contains (self->history_ids, supply_id))
    return;
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(EvSupply) entry = g_list_model_get_item (history, i - 1);

      if (g_strcmp0 (ev_supply_get_supply_id (entry), supply_id) == 0)
        {
          g_set_object (&self->follow->supply, entry);
          return;
        }
    }
}

/* Reads the saved state back. A supply in progress is followed again: the
 * consumer group delivers whatever it had not committed, and a reader
 * from the beginning of the driver's topics finds the outcome even when
 * the group's offsets are already past it. */
void
driver_load_state (DriverCore *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *supply, *file;

  object = load_json (self, STATE_FILE, &error);
  if (object == NULL)
    {
      if (error != NULL)
        driver_emit_error (self, error->message);
      return;
    }

  supply = json_object_get_object_member (object, "supply");
  if (supply != NULL)
    {
      DriverFollow *follow = driver_follow_from_json (supply, self->driver_id, &error);

      if (follow == NULL)
        {
          driver_emit_error (self, error->message);
          g_clear_error (&error);
        }
      else
        {
          driver_follow_free (self->follow);
          self->follow = follow;
          share_history_entry (self);
        }
    }

  file = json_object_get_object_member (object, "file");
  if (file != NULL)
    {
      self->file = driver_file_run_from_json (file);
      if (self->file == NULL)
        driver_emit_error (self, _("The saved request file run is damaged; it is not resumed"));
    }
}

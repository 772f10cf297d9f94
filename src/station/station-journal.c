#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ev-file.h"
#include "ev-json.h"
#include "station-journal.h"
#include "ev-protocol.h"
#include "station-machine.h"

#define JOURNAL_VERSION 1

struct _StationJournal
{
  char *state_dir;
  char *cp_id;
  char *path;
  EvSupplyData *supply;     /* a ticket, reason engine-fault; NULL when idle */
  GPtrArray *tickets;       /* EvSupplyData, envelopes set, oldest first */
  GPtrArray *ended;         /* supply ids ended here, oldest first, bounded */
};

/**
 * station_journal_new:
 * @state_dir: the folder of the journals (created when first saved)
 * @cp_id: the CP whose journal it is
 *
 * Returns: (transfer full): an empty journal for `<state_dir>/<cp_id>.json`;
 *   station_journal_load() reads what the file holds
 */
StationJournal *
station_journal_new (const char *state_dir,
                     const char *cp_id)
{
  StationJournal *self = g_new0 (StationJournal, 1);
  g_autofree char *name = g_strconcat (cp_id, ".json", NULL);

  self->state_dir = g_strdup (state_dir);
  self->cp_id = g_strdup (cp_id);
  self->path = g_build_filename (state_dir, name, NULL);
  self->tickets = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  self->ended = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
station_journal_free (StationJournal *self)
{
  if (self == NULL)
    return;

  g_free (self->state_dir);
  g_free (self->cp_id);
  g_free (self->path);
  g_clear_pointer (&self->supply, ev_supply_data_free);
  g_ptr_array_unref (self->tickets);
  g_ptr_array_unref (self->ended);
  g_free (self);
}

const char *
station_journal_get_path (StationJournal *self)
{
  return self->path;
}

/* One entry of the file: a ticket of this CP, checked as the wire
 * contract checks any `supply-data` message. */
static EvSupplyData *
read_ticket (StationJournal  *self,
             JsonNode        *node,
             GError         **error)
{
  g_autofree char *text = NULL;
  g_autoptr(EvSupplyData) ticket = NULL;
  gsize length = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_JOURNAL, _("an entry is not a JSON object"));
      return NULL;
    }
  text = ev_json_to_string (node, &length);
  ticket = ev_supply_data_from_json (text, length, error);
  if (ticket == NULL)
    return NULL;
  if (ticket->kind != EV_SUPPLY_DATA_TICKET || g_strcmp0 (ticket->cp_id, self->cp_id) != 0)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_JOURNAL,
                   _("an entry is not a ticket of %s"), self->cp_id);
      return NULL;
    }
  return g_steal_pointer (&ticket);
}

static gboolean
load_object (StationJournal  *self,
             JsonObject      *object,
             GError         **error)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_data_free);
  g_autoptr(EvSupplyData) supply = NULL;
  JsonNode *node;

  if (ev_json_object_get_int_in_range (object, "version", 0, G_MAXINT, 0) != JOURNAL_VERSION)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_JOURNAL, _("unknown version"));
      return FALSE;
    }

  node = json_object_get_member (object, "supply");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && (supply = read_ticket (self, node, error)) == NULL)
    return FALSE;

  node = json_object_get_member (object, "tickets");
  if (node != NULL && !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_JOURNAL, _("“tickets” is not a list"));
      return FALSE;
    }
  for (guint i = 0; node != NULL && i < json_array_get_length (json_node_get_array (node)); i++)
    {
      EvSupplyData *ticket = read_ticket (self, json_array_get_element (json_node_get_array (node), i), error);

      if (ticket == NULL)
        return FALSE;
      g_ptr_array_add (tickets, ticket);
    }

  /* The supplies ended here (older journals have none): a `start` sent
   * again for one of them must not run it twice after a restart. */
  node = json_object_get_member (object, "ended");
  g_ptr_array_set_size (self->ended, 0);
  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
                    i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *id = json_array_get_string_element (json_node_get_array (node), i);

      if (id != NULL && ev_protocol_validate_uuid (id, "ended", NULL))
        station_journal_add_ended (self, id);
    }

  g_clear_pointer (&self->supply, ev_supply_data_free);
  self->supply = g_steal_pointer (&supply);
  g_ptr_array_unref (self->tickets);
  self->tickets = g_steal_pointer (&tickets);
  return TRUE;
}

/**
 * station_journal_load:
 * @self: a journal
 * @error: return location for a #GError
 *
 * Reads the file, if there is one (none is an empty journal). The file
 * is read only up to %STATION_JOURNAL_MAX_SIZE, and every entry is
 * checked as a `supply-data` message.
 *
 * Returns: %TRUE when the journal is read (or there is none); %FALSE with
 *   @error naming the file when it is damaged, too big or unreadable: the
 *   journal is then left empty
 */
gboolean
station_journal_load (StationJournal  *self,
                      GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  JsonNode *root;

  if (!g_file_test (self->path, G_FILE_TEST_EXISTS))
    return TRUE;

  if (!ev_file_read_bounded (self->path, STATION_JOURNAL_MAX_SIZE, &contents, &length, error))
    return FALSE;
  if (json_parser_load_from_data (parser, contents, length, &local_error))
    {
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        g_set_error (&local_error, STATION_ERROR, STATION_ERROR_JOURNAL, _("not a JSON object"));
      else
        load_object (self, json_node_get_object (root), &local_error);
    }

  if (local_error != NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_JOURNAL, _("Cannot read “%s”: %s"),
                   self->path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * station_journal_set_aside:
 * @self: a journal whose file could not be read
 * @error: return location for a #GError
 *
 * Renames the file to `<cp_id>.json.damaged` (replacing an older one), so
 * that it can be looked at and the next save starts afresh.
 *
 * Returns: (transfer full) (nullable): the new path, or %NULL with @error
 */
char *
station_journal_set_aside (StationJournal  *self,
                           GError         **error)
{
  g_autofree char *damaged = g_strconcat (self->path, ".damaged", NULL);

  if (g_rename (self->path, damaged) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot rename “%s”: %s"), self->path, g_strerror (saved_errno));
      return NULL;
    }
  return g_steal_pointer (&damaged);
}

/**
 * station_journal_save:
 * @self: a journal
 * @error: return location for a #GError
 *
 * Replaces the file with the journal: a temporary file in the same
 * folder, flushed to the disk, then renamed over the old one, so that a
 * crash or a power cut leaves either the old journal or the new one.
 *
 * Returns: %TRUE on success
 */
gboolean
station_journal_save (StationJournal  *self,
                      GError         **error)
{
  g_autoptr(GString) text = g_string_new ("{\"version\":1,\"cp_id\":");
  g_autoptr(JsonNode) cp_id = json_node_init_string (json_node_alloc (), self->cp_id);
  g_autofree char *quoted = ev_json_to_string (cp_id, NULL);

  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), self->state_dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Each entry is a whole `supply-data` message, written as it goes on
   * the wire. */
  g_string_append (text, quoted);
  g_string_append (text, ",\"supply\":");
  if (self->supply != NULL)
    {
      g_autofree char *supply = ev_supply_data_to_json (self->supply, NULL);

      g_string_append (text, supply);
    }
  else
    g_string_append (text, "null");
  g_string_append (text, ",\"tickets\":[");
  for (guint i = 0; i < self->tickets->len; i++)
    {
      g_autofree char *ticket = ev_supply_data_to_json (g_ptr_array_index (self->tickets, i), NULL);

      if (i > 0)
        g_string_append_c (text, ',');
      g_string_append (text, ticket);
    }
  g_string_append (text, "],\"ended\":[");
  for (guint i = 0; i < self->ended->len; i++)
    g_string_append_printf (text, "%s\"%s\"", i > 0 ? "," : "", (const char *) g_ptr_array_index (self->ended, i));
  g_string_append (text, "]}\n");

  return g_file_set_contents_full (self->path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/**
 * station_journal_get_supply:
 * @self: a journal
 *
 * Returns: (nullable): the supply in progress, as the `engine-fault`
 *   ticket it gets should the engine stop now
 */
const EvSupplyData *
station_journal_get_supply (StationJournal *self)
{
  return self->supply;
}

/**
 * station_journal_set_supply:
 * @self: a journal
 * @last: (nullable): the supply's last reading: a progress message, or
 *   one with `seq` 0 before any; %NULL when no supply is in progress
 * @now_ms: the time of that reading
 *
 * Keeps the supply in progress as the ticket it gets should the engine
 * stop now: the figures of @last, the next `seq`, reason `engine-fault`.
 */
void
station_journal_set_supply (StationJournal     *self,
                            const EvSupplyData *last,
                            gint64              now_ms)
{
  EvSupplyData *ticket;

  g_clear_pointer (&self->supply, ev_supply_data_free);
  if (last == NULL)
    return;

  ticket = ev_supply_data_new (EV_SUPPLY_DATA_TICKET, last->supply_id, last->cp_id, last->driver_id,
                               last->seq + 1);
  ticket->kwh = last->kwh;
  ticket->amount = last->amount;
  ticket->price = last->price;
  ticket->started_at = last->started_at;
  ticket->ended_at = MAX (now_ms, last->started_at);
  ticket->reason = EV_TICKET_REASON_ENGINE_FAULT;
  self->supply = ticket;
}

/**
 * station_journal_take_supply:
 * @self: a journal
 *
 * Returns: (transfer full) (nullable): the supply in progress as its
 *   `engine-fault` ticket, now no longer in the journal
 */
EvSupplyData *
station_journal_take_supply (StationJournal *self)
{
  return g_steal_pointer (&self->supply);
}

/**
 * station_journal_get_tickets:
 * @self: a journal
 *
 * Returns: (transfer none) (element-type EvSupplyData): the tickets not
 *   yet confirmed delivered, oldest first
 */
GPtrArray *
station_journal_get_tickets (StationJournal *self)
{
  return self->tickets;
}

/**
 * station_journal_add_ticket:
 * @self: a journal
 * @ticket: a ticket about to be published, its envelope set
 *   (ev_envelope_ensure())
 *
 * Keeps a copy of @ticket until station_journal_remove_ticket(); the
 * ticket of the supply in progress replaces the supply.
 */
void
station_journal_add_ticket (StationJournal     *self,
                            const EvSupplyData *ticket)
{
  g_return_if_fail (ticket->envelope.id != NULL);

  if (self->supply != NULL && g_strcmp0 (self->supply->supply_id, ticket->supply_id) == 0)
    g_clear_pointer (&self->supply, ev_supply_data_free);
  station_journal_remove_ticket (self, ticket->supply_id);
  g_ptr_array_add (self->tickets, ev_supply_data_copy (ticket));
  station_journal_add_ended (self, ticket->supply_id);
}

/**
 * station_journal_add_ended:
 * @self: a journal
 * @supply_id: a supply this engine ended (or saw cancelled)
 *
 * Remembers @supply_id among the newest %STATION_JOURNAL_ENDED ended
 * here, so that the next engine of this CP ignores a `start` for it.
 */
void
station_journal_add_ended (StationJournal *self,
                           const char     *supply_id)
{
  for (guint i = 0; i < self->ended->len; i++)
    if (g_str_equal (g_ptr_array_index (self->ended, i), supply_id))
      return;
  if (self->ended->len >= STATION_JOURNAL_ENDED)
    g_ptr_array_remove_index (self->ended, 0);
  g_ptr_array_add (self->ended, g_strdup (supply_id));
}

/**
 * station_journal_get_ended:
 * @self: a journal
 *
 * Returns: (transfer none) (element-type utf8): the supplies ended here,
 *   oldest first
 */
GPtrArray *
station_journal_get_ended (StationJournal *self)
{
  return self->ended;
}

/**
 * station_journal_remove_ticket:
 * @self: a journal
 * @supply_id: a supply
 *
 * Forgets the ticket of @supply_id, once Kafka has it.
 *
 * Returns: whether there was one
 */
gboolean
station_journal_remove_ticket (StationJournal *self,
                               const char     *supply_id)
{
  for (guint i = 0; i < self->tickets->len; i++)
    {
      EvSupplyData *ticket = g_ptr_array_index (self->tickets, i);

      if (g_strcmp0 (ticket->supply_id, supply_id) == 0)
        {
          g_ptr_array_remove_index (self->tickets, i);
          return TRUE;
        }
    }
  return FALSE;
}

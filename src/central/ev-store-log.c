/* ev-store-log.c: the system log's rows and the outbox of messages Central
 * has yet to see the broker take. */

#include "config.h"

#include "ev-store-private.h"

EvLogRecord *
store_log_record_from_row (sqlite3_stmt *stmt)
{
  EvLogRecord *record = g_new0 (EvLogRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->time_ms = sqlite3_column_int64 (stmt, 1);
  record->level = sqlite3_column_int (stmt, 2);
  record->event = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  record->cp_id = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  record->message = g_strdup ((const char *) sqlite3_column_text (stmt, 5));

  return record;
}

/**
 * ev_store_append_log:
 * @self: a store
 * @time_ms: when it happened, in ms since the epoch, or 0 for now
 * @level: its level (a #GLogLevelFlags value, or the caller's own scale),
 *   kept as given
 * @event: what happened, as a short name (`cp-registered`…): 1 to 64
 *   characters of text
 * @cp_id: (nullable): the charging point it is about, if any
 * @message: the text for people: valid UTF-8, at most 4096 bytes
 * @error: return location for an error
 *
 * Appends an entry to the log, in the current batch. The log keeps the
 * newest #EvStore:log-limit entries; an #EvStoreReader searches it.
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_INVALID_ARGUMENT
 *   for bad input, in which case nothing was written
 */
gboolean
ev_store_append_log (EvStore     *self,
                     gint64       time_ms,
                     int          level,
                     const char  *event,
                     const char  *cp_id,
                     const char  *message,
                     GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_time (time_ms, error) ||
      !store_check_log_entry (event, cp_id, message, error))
    return FALSE;

  if (!store_begin_write (self, error) ||
      (stmt = store_borrow_stmt (self, STMT_LOG_INSERT, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_ms > 0 ? time_ms : store_now_ms ());
  sqlite3_bind_int (stmt, 2, level);
  store_bind_text (stmt, 3, event);
  store_bind_text (stmt, 4, cp_id);
  store_bind_text (stmt, 5, message);
  if (!store_step_done (self, stmt, error))
    return FALSE;

  self->log_appends++;
  return TRUE;
}

/* Outbox */

/**
 * ev_outbox_entry_new:
 * @id: its row in the outbox
 * @topic: the Kafka topic it goes to
 * @key: (nullable): its Kafka key
 * @payload: its bytes, exactly as they are to be sent
 *
 * Returns: (transfer full): a new outbox entry; free it with
 *   ev_outbox_entry_free()
 */
EvOutboxEntry *
ev_outbox_entry_new (gint64      id,
                     const char *topic,
                     const char *key,
                     GBytes     *payload)
{
  EvOutboxEntry *entry;

  g_return_val_if_fail (topic != NULL, NULL);
  g_return_val_if_fail (payload != NULL, NULL);

  entry = g_new0 (EvOutboxEntry, 1);
  entry->id = id;
  entry->topic = g_strdup (topic);
  entry->key = g_strdup (key);
  entry->payload = g_bytes_ref (payload);
  return entry;
}

/**
 * ev_outbox_entry_free:
 * @entry: (nullable): an outbox entry
 *
 * Frees @entry, its strings and its reference to the payload.
 */
void
ev_outbox_entry_free (EvOutboxEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->topic);
  g_free (entry->key);
  g_bytes_unref (entry->payload);
  g_free (entry);
}

static EvOutboxEntry *
outbox_entry_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(GBytes) payload = g_bytes_new (sqlite3_column_blob (stmt, 3),
                                           (gsize) sqlite3_column_bytes (stmt, 3));

  return ev_outbox_entry_new (sqlite3_column_int64 (stmt, 0),
                              (const char *) sqlite3_column_text (stmt, 1),
                              (const char *) sqlite3_column_text (stmt, 2),
                              payload);
}

/**
 * ev_store_outbox_add:
 * @self: a store
 * @topic: the Kafka topic the message goes to
 * @key: (nullable): its Kafka key
 * @payload: (array length=length): the message, exactly as it is to be
 *   sent (a copy sent again is the same bytes)
 * @length: its length in bytes, at least 1
 * @out_id: (out) (optional): the row's id, for ev_store_outbox_remove()
 * @error: return location for an error
 *
 * Keeps a message that must reach Kafka, in the current batch, so that it
 * commits with the change it reports, or not at all: Central sends it once
 * the batch is committed, removes it when the broker has it, and sends
 * whatever is left again when it starts.
 *
 * A row that cannot be written (the disk is full, an I/O error) takes the
 * whole batch with it: it is rolled back, its ev_store_when_committed()
 * callbacks hear why, and nothing written in it commits without its
 * message.
 *
 * Returns: %TRUE on success; %FALSE with @error set, and the batch rolled
 *   back unless the input was invalid (%EV_STORE_ERROR_INVALID_ARGUMENT:
 *   nothing was written)
 */
gboolean
ev_store_outbox_add (EvStore     *self,
                     const char  *topic,
                     const char  *key,
                     const void  *payload,
                     gsize        length,
                     gint64      *out_id,
                     GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  GError *local = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (payload != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_id != NULL)
    *out_id = 0;

  if (topic == NULL || topic[0] == '\0' || length == 0 || length > G_MAXINT)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid outbox message: it needs a topic and 1 byte or more"));
      return FALSE;
    }

  if (!store_begin_write (self, error) ||
      (stmt = store_borrow_stmt (self, STMT_OUTBOX_INSERT, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, topic);
  store_bind_text (stmt, 2, key);
  sqlite3_bind_blob (stmt, 3, payload, (int) length, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, store_now_ms ());
  if (!store_step_done (self, stmt, &local))
    {
      g_clear_pointer (&stmt, store_borrowed_stmt_release);
      /* SQLite left the transaction open: what it holds must not commit
       * without this row. */
      if (self->in_batch)
        {
          store_run_simple (self, STMT_ROLLBACK, NULL);
          store_lose_batch (self, local);
        }
      g_propagate_error (error, local);
      return FALSE;
    }

  if (out_id != NULL)
    *out_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

/**
 * ev_store_outbox_remove:
 * @self: a store
 * @id: a row of the outbox, from ev_store_outbox_add() or
 *   ev_store_outbox_load()
 * @error: return location for an error
 *
 * Removes a message the broker has, in the current batch. A row that is
 * not there (removed already) is not an error. Should the batch be lost,
 * the message is sent again at the next start: a duplicate, which its
 * receiver recognises.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_outbox_remove (EvStore  *self,
                        gint64    id,
                        GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_begin_write (self, error) ||
      (stmt = store_borrow_stmt (self, STMT_OUTBOX_DELETE, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return store_step_done (self, stmt, error);
}

/**
 * ev_store_outbox_load:
 * @self: a store
 * @error: return location for an error
 *
 * Loads every message of the outbox, oldest first: what Central sends
 * again when it starts.
 *
 * Returns: (transfer full) (element-type EvOutboxEntry): the messages, or
 *   %NULL with @error set
 */
GPtrArray *
ev_store_outbox_load (EvStore  *self,
                      GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((stmt = store_borrow_stmt (self, STMT_OUTBOX_LOAD, error)) == NULL)
    return NULL;

  return store_collect_store_rows (self, stmt, (RowFunc) outbox_entry_from_row,
                                   (GDestroyNotify) ev_outbox_entry_free, error);
}

/* Reader */

/**
 * ev_log_record_free:
 * @record: (nullable): a log entry
 *
 * Frees @record and its strings.
 */
void
ev_log_record_free (EvLogRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->event);
  g_free (record->cp_id);
  g_free (record->message);
  g_free (record);
}

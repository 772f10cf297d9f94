/* ev-store-reader.c: a read-only connection for searching the log and the
 * history away from the writer's thread. */

#include "config.h"

#include "ev-store-private.h"

static const char * const reader_stmt_sql[N_READER_STMTS] = {
  [READER_STMT_LOG_SEARCH] =
    "SELECT " LOG_COLUMNS " FROM log" LOG_MATCH " ORDER BY id DESC LIMIT ?1",
  [READER_STMT_LOG_COUNT] =
    "SELECT count(*) FROM log" LOG_MATCH,
  [READER_STMT_HISTORY_SEARCH] =
    "SELECT " SESSION_COLUMNS " FROM sessions" HISTORY_MATCH HISTORY_ORDER_LIMIT,
  [READER_STMT_HISTORY_COUNT] =
    "SELECT count(*) FROM sessions" HISTORY_MATCH,
  [READER_STMT_HISTORY_ALL] = HISTORY_SQL,
};

/**
 * EvStoreReader:
 *
 * A read-only connection to the database of an #EvStore, for searches and
 * exports that must not hold up the store's thread: open one on the thread
 * that searches, with ev_store_reader_open(), and use it from that thread
 * only. Thanks to the WAL it reads while the store writes, and it sees
 * what the store has committed — never a batch still open.
 */

/**
 * ev_store_reader_open:
 * @path: the database file of an #EvStore
 * @error: return location for an error
 *
 * Opens @path read-only. It must exist and have the schema of this
 * version (%EV_STORE_SCHEMA_VERSION), which #EvStore gives it on opening.
 *
 * Returns: (transfer full): the reader, or %NULL with @error set:
 *   %EV_STORE_ERROR_NOT_FOUND if there is no file,
 *   %EV_STORE_ERROR_NOT_A_DATABASE if it is not a database of this
 *   program, %EV_STORE_ERROR_TOO_NEW or %EV_STORE_ERROR_TOO_OLD for
 *   another schema
 */
EvStoreReader *
ev_store_reader_open (const char  *path,
                      GError     **error)
{
  g_autoptr(EvStoreReader) reader = NULL;
  int version = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (path[0] == '\0')
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("No database file given"));
      return NULL;
    }

  reader = g_new0 (EvStoreReader, 1);
  reader->db = store_open_db (path, SQLITE_OPEN_READONLY, &version, error);
  if (reader->db == NULL)
    return NULL;

  /* Only a store can create or upgrade a database. */
  if (version == 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_A_DATABASE,
                   _("“%s” is not a database; it was left untouched"), path);
      return NULL;
    }
  if (version < EV_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_TOO_OLD,
                   _("The database “%s” has schema %d; Central upgrades it to schema %d when it opens it"),
                   path, version, EV_STORE_SCHEMA_VERSION);
      return NULL;
    }

  return g_steal_pointer (&reader);
}

/**
 * ev_store_reader_free:
 * @reader: (nullable): a reader
 *
 * Closes @reader.
 */
void
ev_store_reader_free (EvStoreReader *reader)
{
  if (reader == NULL)
    return;

  for (guint i = 0; i < N_READER_STMTS; i++)
    g_clear_pointer (&reader->stmts[i], sqlite3_finalize);
  sqlite3_close (reader->db);
  g_free (reader);
}

/* A substring match for LIKE … ESCAPE '\', or NULL to match everything. */
static char *
like_pattern (const char *text)
{
  GString *pattern;

  if (text == NULL || text[0] == '\0')
    return NULL;

  pattern = g_string_new ("%");
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');

  return g_string_free (pattern, FALSE);
}

/* Binds ?1 to @limit (0 for no limit) and ?2, where there is one, to
 * @pattern. */
static EvBorrowedStmt *
reader_borrow (EvStoreReader  *reader,
               ReaderStmtId    id,
               guint           limit,
               const char     *pattern,
               GError        **error)
{
  sqlite3_stmt *stmt = store_borrow_cached (reader->db, &reader->stmts[id], reader_stmt_sql[id], error);

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  if (sqlite3_bind_parameter_count (stmt) >= 2)
    store_bind_text (stmt, 2, pattern);
  return stmt;
}

static GPtrArray *
reader_search (EvStoreReader   *reader,
               ReaderStmtId     search_id,
               ReaderStmtId     count_id,
               const char      *text,
               guint            limit,
               RowFunc          from_row,
               GDestroyNotify   free_func,
               guint           *out_total,
               GError         **error)
{
  g_autofree char *pattern = like_pattern (text);
  g_autoptr(GPtrArray) rows = NULL;

  if (out_total != NULL)
    *out_total = 0;

  /* The rows and their count come from one snapshot. */
  if (!store_exec_sql (reader->db, "BEGIN", error))
    return NULL;

  {
    g_autoptr(EvBorrowedStmt) stmt = reader_borrow (reader, search_id, limit, pattern, error);

    if (stmt != NULL)
      rows = store_collect_rows (reader->db, stmt, from_row, free_func, error);
  }

  /* Fewer rows than the limit are all there is; only more need counting. */
  if (rows != NULL && out_total != NULL && (limit == 0 || rows->len < limit))
    {
      *out_total = rows->len;
    }
  else if (rows != NULL && out_total != NULL)
    {
      g_autoptr(EvBorrowedStmt) count = reader_borrow (reader, count_id, 0, pattern, error);

      if (count == NULL || store_db_step (reader->db, count, error) == 0)
        g_clear_pointer (&rows, g_ptr_array_unref);
      else
        *out_total = (guint) CLAMP (sqlite3_column_int64 (count, 0), 0, G_MAXUINT);
    }

  sqlite3_exec (reader->db, "COMMIT", NULL, NULL, NULL);
  return g_steal_pointer (&rows);
}

/**
 * ev_store_reader_search_log:
 * @reader: a reader
 * @text: (nullable): what to look for in the message, the event or the
 *   charging point's id, ignoring the case of ASCII letters; %NULL or ""
 *   for every entry
 * @limit: at most this many, or 0 for all
 * @out_total: (out) (optional): how many entries match in all
 * @error: return location for an error
 *
 * Searches the log, newest entry first. @text is matched as it is:
 * `%`, `_` and `\` are not wildcards.
 *
 * Returns: (transfer full) (element-type EvLogRecord): the entries, or
 *   %NULL with @error set
 */
GPtrArray *
ev_store_reader_search_log (EvStoreReader  *reader,
                            const char     *text,
                            guint           limit,
                            guint          *out_total,
                            GError        **error)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return reader_search (reader, READER_STMT_LOG_SEARCH, READER_STMT_LOG_COUNT,
                        text, limit, (RowFunc) store_log_record_from_row,
                        (GDestroyNotify) ev_log_record_free, out_total, error);
}

/**
 * ev_store_reader_search_history:
 * @reader: a reader
 * @text: (nullable): what to look for in the charging point's id, the
 *   driver's id, the supply's id or the reason it ended, ignoring the case
 *   of ASCII letters; %NULL or "" for every supply
 * @limit: at most this many, or 0 for all
 * @out_total: (out) (optional): how many supplies match in all
 * @error: return location for an error
 *
 * Searches the ended supplies (those ev_store_load_history() returns), the
 * most recently ended first. @text is matched as it is: `%`, `_` and `\`
 * are not wildcards.
 *
 * Returns: (transfer full) (element-type EvSupply): the supplies,
 *   or %NULL with @error set
 */
GPtrArray *
ev_store_reader_search_history (EvStoreReader  *reader,
                                const char     *text,
                                guint           limit,
                                guint          *out_total,
                                GError        **error)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return reader_search (reader, READER_STMT_HISTORY_SEARCH, READER_STMT_HISTORY_COUNT,
                        text, limit, (RowFunc) store_session_from_row,
                        g_object_unref, out_total, error);
}

/**
 * ev_store_reader_foreach_history:
 * @reader: a reader
 * @func: (scope call): called with each ended supply, the most recently
 *   ended first, until it returns %FALSE
 * @user_data: data for @func
 * @error: return location for an error
 *
 * Reads the ended supplies one at a time, for an export that should not
 * hold them all in memory. They come from one snapshot, which the WAL
 * keeps until this returns: keep @func quick.
 *
 * Returns: %TRUE if every supply was read or @func stopped; %FALSE with
 *   @error set
 */
gboolean
ev_store_reader_foreach_history (EvStoreReader       *reader,
                                 EvStoreSessionFunc   func,
                                 gpointer             user_data,
                                 GError             **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((stmt = reader_borrow (reader, READER_STMT_HISTORY_ALL, 0, NULL, error)) == NULL)
    return FALSE;

  while ((rc = store_db_step (reader->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(EvSupply) session = store_session_from_row (stmt);

      if (!func (session, user_data))
        break;
    }

  return rc != 0;
}

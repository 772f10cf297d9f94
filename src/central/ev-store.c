#include "config.h"

#include "ev-store-private.h"

static void ev_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvStore, ev_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      ev_store_initable_iface_init))

G_DEFINE_QUARK (ev-store-error-quark, ev_store_error)

enum {
  PROP_0,
  PROP_PATH,
  PROP_FLUSH_INTERVAL,
  PROP_COMMIT_LATENCY,
  PROP_LOG_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A cached statement borrowed for one use: reset and unbound when the
 * borrower's scope ends, never finalised before the store is. */
void
store_borrowed_stmt_release (EvBorrowedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

gint64
store_now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
waiter_clear (gpointer data)
{
  Waiter *waiter = data;

  if (waiter->destroy != NULL)
    g_clear_pointer (&waiter->user_data, waiter->destroy);
}

static void
run_waiters (EvStore      *self,
             const GError *error)
{
  g_autoptr(GArray) waiters = NULL;

  if (self->waiters->len == 0)
    return;

  /* Callbacks may write and register again: those belong to the next batch. */
  waiters = g_steal_pointer (&self->waiters);
  self->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  g_array_set_clear_func (self->waiters, waiter_clear);

  for (guint i = 0; i < waiters->len; i++)
    {
      Waiter *waiter = &g_array_index (waiters, Waiter, i);

      waiter->func (self, error, waiter->user_data);
    }
}

/* Every write of the batch is gone (@cause): whoever waits for it must
 * hear so. */
void
store_lose_batch (EvStore      *self,
                  const GError *cause)
{
  g_autoptr(GError) lost = NULL;

  self->in_batch = FALSE;
  g_clear_pointer (&self->flush_source, g_source_destroy);
  lost = g_error_new (EV_STORE_ERROR, cause->code,
                      _("The last batch of writes was rolled back: %s"),
                      cause->message);
  g_message ("%s", lost->message);
  run_waiters (self, lost);
}

/* After a failed statement SQLite may have rolled the whole transaction
 * back by itself (disk full, I/O error, out of memory). */
static void
check_batch_survived (EvStore      *self,
                      const GError *cause)
{
  if (self->in_batch && sqlite3_get_autocommit (self->db))
    store_lose_batch (self, cause);
}

/* Prepares @sql into *@slot once, for the life of the connection. */
EvBorrowedStmt *
store_borrow_cached (sqlite3       *db,
                     sqlite3_stmt **slot,
                     const char    *sql,
                     GError       **error)
{
  if (*slot == NULL)
    {
      int rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);

      if (rc != SQLITE_OK)
        {
          store_set_db_error (db, rc, error);
          return NULL;
        }
    }

  return *slot;
}

EvBorrowedStmt *
store_borrow_stmt (EvStore  *self,
                   StmtId    id,
                   GError  **error)
{
  return store_borrow_cached (self->db, &self->stmts[id], store_stmt_sql[id], error);
}

/* Returns SQLITE_ROW, SQLITE_DONE, or 0 with @error set. */
int
store_db_step (sqlite3       *db,
               sqlite3_stmt  *stmt,
               GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  store_set_db_error (db, sqlite3_reset (stmt), error);
  return 0;
}

/* Passes on the error of a statement of the store's, once it is known
 * whether the batch survived it. */
static void
propagate_stmt_error (EvStore  *self,
                      GError   *local,
                      GError  **error)
{
  check_batch_survived (self, local);
  /* Whoever reads it (a log, an error event) learns which file it is. */
  g_propagate_prefixed_error (error, local, "%s: ", self->path);
}

int
store_step (EvStore       *self,
            sqlite3_stmt  *stmt,
            GError       **error)
{
  GError *local = NULL;
  int rc = store_db_step (self->db, stmt, &local);

  if (rc == 0)
    propagate_stmt_error (self, local, error);
  return rc;
}

gboolean
store_step_done (EvStore       *self,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  return store_step (self, stmt, error) != 0;
}

gboolean
store_run_simple (EvStore  *self,
                  StmtId    id,
                  GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = store_borrow_stmt (self, id, error);

  return stmt != NULL && store_step_done (self, stmt, error);
}

void
store_bind_text (sqlite3_stmt *stmt,
                 int           index,
                 const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

void
store_bind_time (sqlite3_stmt *stmt,
                 int           index,
                 gint64        ms)
{
  if (ms > 0)
    sqlite3_bind_int64 (stmt, index, ms);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
flush_timeout_cb (gpointer user_data)
{
  EvStore *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ev_store_flush (self, &error))
    g_message ("%s", error->message);

  return G_SOURCE_REMOVE;
}

/* Commits within @ms at the latest: a flush already due sooner stays. */
static void
schedule_flush (EvStore *self,
                guint    ms)
{
  gint64 due = g_get_monotonic_time () + (gint64) ms * 1000;

  if (self->flush_source != NULL && self->flush_due <= due)
    return;

  g_clear_pointer (&self->flush_source, g_source_destroy);
  self->flush_due = due;
  self->flush_source = g_timeout_source_new (ms);
  g_source_set_static_name (self->flush_source, "[evcharging] EvStore flush");
  g_source_set_callback (self->flush_source, flush_timeout_cb, self, NULL);
  g_source_attach (self->flush_source, self->context);
  g_source_unref (self->flush_source);
}

/* Every write goes through here: it opens the batch's transaction if none
 * is open. */
gboolean
store_begin_write (EvStore  *self,
                   GError  **error)
{
  if (self->in_batch)
    return TRUE;

  if (!store_run_simple (self, STMT_BEGIN, error))
    return FALSE;

  self->in_batch = TRUE;
  schedule_flush (self, self->flush_interval);
  return TRUE;
}

/* Every row left in @stmt, as from_row() builds it. */
GPtrArray *
store_collect_rows (sqlite3         *db,
                    sqlite3_stmt    *stmt,
                    RowFunc          from_row,
                    GDestroyNotify   free_func,
                    GError         **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = store_db_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));

  if (rc == 0)
    return NULL;

  return g_steal_pointer (&rows);
}

/* store_collect_rows() on a statement of the store's. */
GPtrArray *
store_collect_store_rows (EvStore         *self,
                          sqlite3_stmt    *stmt,
                          RowFunc          from_row,
                          GDestroyNotify   free_func,
                          GError         **error)
{
  GError *local = NULL;
  GPtrArray *rows = store_collect_rows (self->db, stmt, from_row, free_func, &local);

  if (rows == NULL)
    propagate_stmt_error (self, local, error);
  return rows;
}

static gboolean
ev_store_initable_init (GInitable     *initable,
                        GCancellable  *cancellable,
                        GError       **error)
{
  EvStore *self = EV_STORE (initable);
  g_autoptr(GError) local = NULL;
  g_autofree char *dir = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *journal_mode = NULL;
  int version = 0;
  int rc;

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("No database file given"));
      return FALSE;
    }

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_FAILED,
                   _("Could not create the folder “%s” for the database: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  self->db = store_open_db (self->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            &version, error);
  if (self->db == NULL)
    return FALSE;

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      journal_mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      rc = SQLITE_OK;
    }
  else if (stmt != NULL)
    {
      rc = sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    {
      store_set_sqlite_error (self, rc, &local);
      store_set_open_error (self->path, local, error);
      return FALSE;
    }

  if (g_strcmp0 (journal_mode, "wal") != 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_FAILED,
                   _("Could not open the database “%s”: it cannot use write-ahead logging"),
                   self->path);
      return FALSE;
    }

  /* The checkpointer's thread checkpoints, not the writer's commits. */
  if (!store_exec_sql (self->db,
                       "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                       "PRAGMA wal_autocheckpoint = 0;"
                       "PRAGMA journal_size_limit = " G_STRINGIFY (WAL_SIZE_LIMIT_BYTES),
                       &local))
    {
      store_set_open_error (self->path, local, error);
      return FALSE;
    }

  for (int next = version + 1; next <= EV_STORE_SCHEMA_VERSION; next++)
    {
      if (!store_apply_migration (self, next, error))
        return FALSE;
    }

  /* A database that can only be read (its file, its folder, its disk)
   * is refused now, not at the first write. Another writer holding the
   * lock (a running Central, a tool) shows it can be written: nobody
   * waits for it here. */
  sqlite3_busy_timeout (self->db, 0);
  if (sqlite3_db_readonly (self->db, "main") != 1 &&
      !store_exec_sql (self->db, "BEGIN IMMEDIATE; COMMIT", &local) &&
      g_error_matches (local, EV_STORE_ERROR, EV_STORE_ERROR_BUSY))
    g_clear_error (&local);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (sqlite3_db_readonly (self->db, "main") == 1 || local != NULL)
    {
      if (local == NULL)
        local = g_error_new_literal (EV_STORE_ERROR, EV_STORE_ERROR_FAILED,
                                     _("it can only be read"));
      else
        store_exec_sql (self->db, "ROLLBACK", NULL);
      store_set_open_error (self->path, local, error);
      return FALSE;
    }

  self->checkpointer = store_checkpointer_start (self->path, &local);
  if (self->checkpointer == NULL)
    {
      store_set_open_error (self->path, local, error);
      return FALSE;
    }
  /* After wal_autocheckpoint, which installs a hook of its own. */
  sqlite3_wal_hook (self->db, store_wal_hook_cb, self);

  return TRUE;
}

static void
ev_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = ev_store_initable_init;
}

/* GObject */

static void
ev_store_dispose (GObject *object)
{
  EvStore *self = EV_STORE (object);

  if (self->db != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!ev_store_flush (self, &error))
        g_warning ("Could not save the last writes to “%s”: %s",
                   self->path, error->message);
    }

  g_clear_pointer (&self->flush_source, g_source_destroy);

  G_OBJECT_CLASS (ev_store_parent_class)->dispose (object);
}

static void
ev_store_finalize (GObject *object)
{
  EvStore *self = EV_STORE (object);
  gboolean checkpoint_on_close = FALSE;

  if (self->checkpointer != NULL)
    {
      sqlite3_wal_hook (self->db, NULL, NULL);
      g_clear_pointer (&self->checkpointer, store_checkpointer_stop);
      checkpoint_on_close = TRUE;
    }

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);

  if (self->db != NULL)
    {
      /* Only a failed last flush leaves a batch open; dropping it is all
       * that is left to do. */
      if (self->in_batch)
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      /* Closing the last connection checkpoints and removes the WAL; with
       * a reader still open it would leave it as it is. */
      if (checkpoint_on_close)
        sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      sqlite3_close (self->db);
      self->db = NULL;
    }

  g_clear_pointer (&self->waiters, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (ev_store_parent_class)->finalize (object);
}

static void
ev_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  EvStore *self = EV_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FLUSH_INTERVAL:
      g_value_set_uint (value, self->flush_interval);
      break;
    case PROP_COMMIT_LATENCY:
      g_value_set_uint (value, self->commit_latency);
      break;
    case PROP_LOG_LIMIT:
      g_value_set_uint (value, self->log_limit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_store_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  EvStore *self = EV_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_FLUSH_INTERVAL:
      self->flush_interval = g_value_get_uint (value);
      break;
    case PROP_COMMIT_LATENCY:
      self->commit_latency = g_value_get_uint (value);
      break;
    case PROP_LOG_LIMIT:
      ev_store_set_log_limit (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_store_class_init (EvStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ev_store_dispose;
  object_class->finalize = ev_store_finalize;
  object_class->get_property = ev_store_get_property;
  object_class->set_property = ev_store_set_property;

  /**
   * EvStore:path:
   *
   * The database file. Missing parent folders are created.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvStore:flush-interval:
   *
   * How long, in milliseconds, a batch of writes may stay uncommitted
   * before the store commits it on its own.
   */
  properties[PROP_FLUSH_INTERVAL] =
    g_param_spec_uint ("flush-interval", NULL, NULL,
                       1, G_MAXINT, 100,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvStore:commit-latency:
   *
   * How long, in milliseconds, an ev_store_when_committed() callback may
   * wait for its commit (never longer than #EvStore:flush-interval).
   * Plain writes wait for the flush interval; a caller waiting to act
   * (answer a driver, relay a ticket) commits the batch sooner: right
   * after the main-loop dispatch that asked when the last commit is at
   * least this old, else this long after the last commit. So an answer
   * after a pause waits only for the commit itself, and under load the
   * store commits at most once every commit-latency ms. Measured with
   * bench/ladder.py: at 1,000 CPs request → answer p50 21.8 ms when every
   * waiter waited up to 10 ms, 12.4 ms when every one committed at once;
   * at 10,000 CPs committing at once cost 8 more points of a core than
   * 10 ms (docs/performance.md).
   */
  properties[PROP_COMMIT_LATENCY] =
    g_param_spec_uint ("commit-latency", NULL, NULL,
                       0, G_MAXINT, EV_STORE_DEFAULT_COMMIT_LATENCY_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * EvStore:log-limit:
   *
   * How many of the newest log entries (ev_store_append_log()) the
   * database keeps, or 0 to keep them all. The oldest ones go in one
   * delete at a flush, at most once per 1000 entries appended, so the log
   * may briefly hold up to 999 more.
   */
  properties[PROP_LOG_LIMIT] =
    g_param_spec_uint ("log-limit", NULL, NULL,
                       0, G_MAXUINT, EV_STORE_DEFAULT_LOG_LIMIT,
                       G_PARAM_READWRITE |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_store_init (EvStore *self)
{
  self->flush_interval = 100;
  self->commit_latency = EV_STORE_DEFAULT_COMMIT_LATENCY_MS;
  self->log_limit = EV_STORE_DEFAULT_LOG_LIMIT;
  /* The first batch trims a log left longer than the limit. */
  self->log_appends = LOG_TRIM_EVERY;
  self->context = g_main_context_ref_thread_default ();
  self->waiters = g_array_new (FALSE, FALSE, sizeof (Waiter));
  g_array_set_clear_func (self->waiters, waiter_clear);
}

/* Public API */

/**
 * ev_store_open:
 * @path: the database file; created, with its folders, if missing
 * @error: return location for an error
 *
 * Opens Central's database, upgrading its schema if it is older than
 * %EV_STORE_SCHEMA_VERSION. A file that is not a database, holds another
 * program's data or comes from a newer version is refused with an
 * #EvStoreError and left as it was.
 *
 * To choose #EvStore:flush-interval, use g_initable_new() with
 * %EV_TYPE_STORE instead.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
EvStore *
ev_store_open (const char  *path,
               GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EV_TYPE_STORE, NULL, error, "path", path, NULL);
}

/**
 * ev_store_get_path:
 * @self: a store
 *
 * Returns: the database file
 */
const char *
ev_store_get_path (EvStore *self)
{
  g_return_val_if_fail (EV_IS_STORE (self), NULL);

  return self->path;
}

/**
 * ev_store_get_flush_interval:
 * @self: a store
 *
 * Returns: the most milliseconds a write waits before it is committed
 */
guint
ev_store_get_flush_interval (EvStore *self)
{
  g_return_val_if_fail (EV_IS_STORE (self), 0);

  return self->flush_interval;
}

/**
 * ev_store_get_log_limit:
 * @self: a store
 *
 * Returns: how many log entries the database keeps, or 0 for all (see
 *   #EvStore:log-limit)
 */
guint
ev_store_get_log_limit (EvStore *self)
{
  g_return_val_if_fail (EV_IS_STORE (self), 0);

  return self->log_limit;
}

/**
 * ev_store_set_log_limit:
 * @self: a store
 * @log_limit: how many of the newest log entries to keep, or 0 for all
 *
 * Sets #EvStore:log-limit. A lower limit takes effect when the next batch
 * of writes is flushed.
 */
void
ev_store_set_log_limit (EvStore *self,
                        guint    log_limit)
{
  g_return_if_fail (EV_IS_STORE (self));

  if (self->log_limit == log_limit)
    return;

  self->log_limit = log_limit;
  self->log_appends = MAX (self->log_appends, LOG_TRIM_EVERY);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_LIMIT]);
}

/* Deletes the oldest log entries beyond the limit, in the open batch. Ids
 * grow by one per entry and only the oldest are ever deleted, so the
 * newest log_limit entries are those above max (id) - log_limit. */
static void
trim_log (EvStore *self)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  g_autoptr(GError) error = NULL;

  self->log_appends = 0;
  if (self->log_limit == 0)
    return;

  if ((stmt = store_borrow_stmt (self, STMT_LOG_TRIM, &error)) != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, self->log_limit);
      store_step_done (self, stmt, &error);
    }
  if (error != NULL)
    g_message ("Could not trim the log of “%s”: %s", self->path, error->message);
}

/**
 * ev_store_flush:
 * @self: a store
 * @error: return location for an error
 *
 * Commits every write made so far in one transaction, then calls the
 * callbacks of ev_store_when_committed() waiting for it. If the commit
 * fails the batch is rolled back, the callbacks hear why and so does the
 * caller.
 *
 * Returns: %TRUE if every write made so far is now on disk
 */
gboolean
ev_store_flush (EvStore  *self,
                GError  **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_clear_pointer (&self->flush_source, g_source_destroy);

  if (self->in_batch && self->log_appends >= LOG_TRIM_EVERY)
    trim_log (self);

  if (self->in_batch)
    {
      self->last_commit = g_get_monotonic_time ();
      if (!store_run_simple (self, STMT_COMMIT, &local) && self->in_batch)
        {
          if (!sqlite3_get_autocommit (self->db))
            store_run_simple (self, STMT_ROLLBACK, NULL);
          g_prefix_error (&local, _("Could not save the database: "));
        }
      /* A failed COMMIT that SQLite already rolled back was reported to
       * the waiters by check_batch_survived(). */
      self->in_batch = FALSE;

      /* Before the waiters, who may begin the next batch. */
      if (local == NULL)
        store_catch_up_wal (self);
    }

  run_waiters (self, local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_store_check_writable:
 * @self: a store
 * @error: return location for an error
 *
 * Commits what is pending, then one write of its own (the schema version,
 * written again as it is), so that a caller waiting for a full disk to
 * have room again knows when writes succeed.
 *
 * Returns: %TRUE if both committed
 */
gboolean
ev_store_check_writable (EvStore  *self,
                         GError  **error)
{
  g_autofree char *sql = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ev_store_flush (self, error) || !store_begin_write (self, error))
    return FALSE;

  sql = g_strdup_printf ("PRAGMA user_version = %d", EV_STORE_SCHEMA_VERSION);
  rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      g_autoptr(GError) local = NULL;

      store_set_sqlite_error (self, rc, &local);
      check_batch_survived (self, local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  return ev_store_flush (self, error);
}

/**
 * ev_store_when_committed:
 * @self: a store
 * @func: (scope notified): called once the writes are committed or lost
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data after @func ran
 *
 * Calls @func after the transaction holding every write made so far on
 * @self has committed (or failed): this is how Central commits a Kafka
 * offset only once the message's effect is stored. @func is never called
 * from here, always later from ev_store_flush() — the next automatic one
 * if nobody flushes earlier — even when nothing was waiting to be written.
 */
void
ev_store_when_committed (EvStore              *self,
                         EvStoreCommittedFunc  func,
                         gpointer              user_data,
                         GDestroyNotify        destroy)
{
  Waiter waiter = { func, user_data, destroy };

  g_return_if_fail (EV_IS_STORE (self));
  g_return_if_fail (func != NULL);

  g_array_append_val (self->waiters, waiter);
  {
    /* At once after a pause; under load, at most one commit every
     * commit-latency ms. */
    gint64 since = (g_get_monotonic_time () - self->last_commit) / 1000;
    guint wait = since >= (gint64) self->commit_latency ? 0 : self->commit_latency - (guint) since;

    schedule_flush (self, MIN (wait, self->flush_interval));
  }
}

/**
 * ev_store_has_pending:
 * @self: a store
 *
 * Returns: %TRUE if writes or ev_store_when_committed() callbacks wait for
 *   the next flush
 */
gboolean
ev_store_has_pending (EvStore *self)
{
  g_return_val_if_fail (EV_IS_STORE (self), FALSE);

  return self->in_batch || self->waiters->len > 0;
}

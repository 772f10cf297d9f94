/* ev-store-schema.c: the database's schema, its migrations from every older
 * version, the statements the store prepares, and opening the file. */

#include "config.h"

#include "ev-store-private.h"

/**
 * EvStore:
 *
 * Central's database: the registered charging points (with a salted hash of
 * each one's token), the drivers seen, one row per supply, from its
 * authorisation to its ticket or fault, and the outbox of messages Central
 * has yet to see the broker take.
 *
 * Writes are batched: each write runs at once inside the current
 * transaction, so it is checked and visible to every read of this store
 * immediately, but it becomes durable only when the transaction commits —
 * on ev_store_flush(), or on its own every #EvStore:flush-interval
 * milliseconds on the thread-default main context of the thread that
 * created the store. One commit per batch is what lets a busy Central keep
 * up (see MACHINE-NOTES, "SQLite"). A caller that must not act before its
 * write is durable (commit a Kafka offset, send a ticket on) registers
 * ev_store_when_committed() and acts in the callback; the batch then
 * commits within #EvStore:commit-latency.
 *
 * The database runs in WAL mode with `synchronous=NORMAL`: a committed
 * batch survives the process being killed; a power cut may lose the last
 * batches. WAL checkpoints, which would stall a commit by 10–120 ms, run
 * on a thread of the store's own with a connection of its own (`PASSIVE`,
 * so it never waits for the writer), once a commit leaves the WAL past
 * 1000 pages, or a few seconds after any commit. The WAL starts over only
 * at a transaction that begins with all of it checkpointed; under writes
 * that never pause that never happens by itself, so once the WAL passes
 * 4000 pages (16 MiB) the writer copies its own last commit, a few ms. A
 * writer that outpaces the checkpointer's disk grows the WAL until it
 * catches up. An #EvStore is not thread-safe: use it from the thread
 * that created it.
 *
 * Searches of the log and of the history, and exports, run elsewhere, on
 * an #EvStoreReader of their own.
 */

/* Schema 1 predates CP tokens. Schema 2 adds the token columns and the
 * indices Central looks supplies up by; its unique partial indices make
 * "one supply in progress per CP and per driver" a property of the data.
 * Schema 3 remembers denied requests, so that a request read again after a
 * restart gets the same answer. Schema 4 keeps the log Central shows, so
 * that the console holds only its newest entries and searches the rest;
 * newest first is the order of the rowid (`id`), and an index on cp_id,
 * which holds the rowid too, gives one charging point's entries newest
 * first. Schema 5 keeps a hash of each registration's nonce, so that a
 * repeated registration gets the same answer, and marks the charging
 * points the operator forgot whose supplies are still in the history
 * (their rows must stay for the sessions that name them). Schema 6 adds
 * the outbox: the messages Central must send, each written in the batch
 * of the change it reports and deleted once the broker has it, so that a
 * stored outcome always reaches its driver (oldest first is the order of
 * the rowid, `id`). Schema 7 binds a driver id to the public key that
 * signed its first request. Schema 8 marks whether the operator has
 * approved a charging point (those of older databases are). Schema 10
 * keeps the transactionId Central gave a supply at an OCPP charger and
 * the meter it started at, so that the charger's StopTransaction, however
 * often it comes, bills that supply once. */
const char * const store_migrations[] = {
  /* 1 */
  "CREATE TABLE charging_points ("
  "  cp_id TEXT PRIMARY KEY NOT NULL,"
  "  location TEXT NOT NULL,"
  "  price REAL NOT NULL CHECK (price >= 0),"
  "  state TEXT NOT NULL DEFAULT 'DISCONNECTED',"
  "  registered_at INTEGER NOT NULL,"
  "  last_seen INTEGER"
  ");"
  "CREATE TABLE drivers ("
  "  driver_id TEXT PRIMARY KEY NOT NULL,"
  "  first_seen INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL"
  ");"
  "CREATE TABLE sessions ("
  "  supply_id TEXT PRIMARY KEY NOT NULL,"
  "  cp_id TEXT NOT NULL REFERENCES charging_points (cp_id),"
  "  driver_id TEXT NOT NULL REFERENCES drivers (driver_id),"
  "  price REAL NOT NULL CHECK (price >= 0),"
  "  kwh REAL NOT NULL DEFAULT 0 CHECK (kwh >= 0),"
  "  amount REAL NOT NULL DEFAULT 0 CHECK (amount >= 0),"
  "  seq INTEGER NOT NULL DEFAULT 0,"
  "  phase TEXT NOT NULL,"
  "  reason TEXT,"
  "  authorised_at INTEGER NOT NULL,"
  "  started_at INTEGER,"
  "  ended_at INTEGER"
  ");"
  "CREATE INDEX sessions_by_cp ON sessions (cp_id);",

  /* 2 */
  "ALTER TABLE charging_points ADD COLUMN token_salt TEXT;"
  "ALTER TABLE charging_points ADD COLUMN token_hash TEXT;"
  "DROP INDEX sessions_by_cp;"
  "CREATE UNIQUE INDEX sessions_open_by_cp ON sessions (cp_id)"
  "  WHERE ended_at IS NULL;"
  "CREATE UNIQUE INDEX sessions_open_by_driver ON sessions (driver_id)"
  "  WHERE ended_at IS NULL;"
  "CREATE INDEX sessions_history ON sessions (ended_at DESC)"
  "  WHERE ended_at IS NOT NULL;"
  "CREATE INDEX sessions_history_by_driver ON sessions (driver_id, ended_at DESC)"
  "  WHERE ended_at IS NOT NULL;",

  /* 3 */
  "CREATE TABLE denials ("
  "  request_id TEXT PRIMARY KEY NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  denied_at INTEGER NOT NULL"
  ");",

  /* 4 */
  "CREATE TABLE log ("
  "  id INTEGER PRIMARY KEY,"
  "  time_ms INTEGER NOT NULL,"
  "  level INTEGER NOT NULL,"
  "  event TEXT NOT NULL,"
  "  cp_id TEXT NULL,"
  "  message TEXT NOT NULL"
  ");"
  "CREATE INDEX log_by_cp ON log (cp_id) WHERE cp_id IS NOT NULL;",

  /* 5: a registration's nonce (a repeated `register` gets the same
   * answer), forgotten CPs whose supplies stay in the history, and
   * outcomes Central gave at a fault, open to the engine's own figures
   * (see ev_store_finish_session()). */
  "ALTER TABLE charging_points ADD COLUMN nonce_hash TEXT;"
  "ALTER TABLE charging_points ADD COLUMN forgotten INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE sessions ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;",

  /* 6: the outbox (see ev_store_outbox_add()). */
  "CREATE TABLE outbox ("
  "  id INTEGER PRIMARY KEY,"
  "  topic TEXT NOT NULL,"
  "  key TEXT,"
  "  payload BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");",

  /* 7: the public key each driver id is bound to on first use (see
   * ev_store_bind_driver_key()). */
  "ALTER TABLE drivers ADD COLUMN public_key TEXT;",

  /* 8: a new charging point awaits the operator's approval; those that
   * exist when the database is upgraded are approved, so that nothing an
   * operator already runs stops (see ev_store_register_cp_pending()). */
  "ALTER TABLE charging_points ADD COLUMN approved INTEGER NOT NULL DEFAULT 1;",

  /* 9: the key Central issued each charging point to sign its Kafka
   * messages with, the one it replaced and when (see
   * ev_store_set_cp_key()). */
  "ALTER TABLE charging_points ADD COLUMN cp_key TEXT;"
  "ALTER TABLE charging_points ADD COLUMN cp_key_previous TEXT;"
  "ALTER TABLE charging_points ADD COLUMN cp_key_issued_at INTEGER;",

  /* 10: a supply's OCPP transaction (see
   * ev_store_start_ocpp_transaction()). */
  "ALTER TABLE sessions ADD COLUMN ocpp_transaction_id INTEGER;"
  "ALTER TABLE sessions ADD COLUMN ocpp_meter_start INTEGER;"
  "CREATE UNIQUE INDEX sessions_by_ocpp_transaction ON sessions (ocpp_transaction_id)"
  "  WHERE ocpp_transaction_id IS NOT NULL;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (store_migrations) == EV_STORE_SCHEMA_VERSION);

const char * const store_stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_CP_SELECT_TOKEN] =
    "SELECT token_salt, token_hash, nonce_hash FROM charging_points"
    " WHERE cp_id = ?1 AND NOT forgotten",
  [STMT_CP_INSERT] =
    "INSERT INTO charging_points"
    " (cp_id, location, price, state, registered_at, token_salt, token_hash, nonce_hash, approved)"
    " VALUES (?1, ?2, ?3, 'DISCONNECTED', ?4, ?5, ?6, ?7, ?8)",
  /* Also brings back a forgotten charging point. */
  [STMT_CP_REREGISTER] =
    "UPDATE charging_points"
    " SET location = ?2, price = ?3, registered_at = ?4,"
    "     token_salt = ?5, token_hash = ?6, nonce_hash = ?7,"
    "     state = CASE WHEN forgotten THEN 'DISCONNECTED' ELSE state END,"
    "     approved = CASE WHEN forgotten THEN ?8 ELSE approved END,"
    "     forgotten = 0"
    " WHERE cp_id = ?1 AND (token_hash IS NULL OR forgotten)",
  [STMT_CP_RESET_TOKEN] =
    "UPDATE charging_points SET token_salt = NULL, token_hash = NULL, nonce_hash = NULL"
    " WHERE cp_id = ?1 AND NOT forgotten",
  /* A repeated registration: the same nonce, a new token. */
  [STMT_CP_RENEW_TOKEN] =
    "UPDATE charging_points"
    " SET location = ?2, price = ?3, token_salt = ?5, token_hash = ?6"
    " WHERE cp_id = ?1 AND nonce_hash = ?7 AND registered_at <= ?4",
  /* A charging point with supplies in the history keeps its row, marked. */
  [STMT_CP_DELETE] =
    "DELETE FROM charging_points WHERE cp_id = ?1"
    " AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.cp_id = ?1)",
  [STMT_CP_FORGET] =
    "UPDATE charging_points"
    " SET forgotten = 1, token_salt = NULL, token_hash = NULL, nonce_hash = NULL"
    " WHERE cp_id = ?1 AND NOT forgotten",
  [STMT_CP_LOAD] =
    "SELECT cp_id, location, price, state, approved FROM charging_points WHERE NOT forgotten"
    " ORDER BY cp_id",
  [STMT_CP_SET_STATE] =
    "UPDATE charging_points SET state = ?2 WHERE cp_id = ?1",
  [STMT_CP_SET_PRICE] =
    "UPDATE charging_points SET price = ?2 WHERE cp_id = ?1",
  [STMT_CP_SET_LOCATION] =
    "UPDATE charging_points SET location = ?2 WHERE cp_id = ?1",
  [STMT_CP_TOUCH] =
    "UPDATE charging_points SET last_seen = ?2 WHERE cp_id = ?1",
  [STMT_CP_APPROVE] =
    "UPDATE charging_points SET approved = ?2 WHERE cp_id = ?1 AND NOT forgotten",
  [STMT_DRIVER_TOUCH] =
    "INSERT INTO drivers (driver_id, first_seen, last_seen) VALUES (?1, ?2, ?2)"
    " ON CONFLICT (driver_id) DO UPDATE SET last_seen = excluded.last_seen",
  [STMT_DRIVER_SELECT] =
    "SELECT 1 FROM drivers WHERE driver_id = ?1",
  [STMT_DRIVER_KEY_SELECT] =
    "SELECT public_key FROM drivers WHERE driver_id = ?1",
  [STMT_DRIVER_KEY_BIND] =
    "INSERT INTO drivers (driver_id, first_seen, last_seen, public_key) VALUES (?1, ?2, ?2, ?3)"
    " ON CONFLICT (driver_id) DO UPDATE SET public_key = excluded.public_key",
  [STMT_CP_KEY_SELECT] =
    "SELECT cp_key, cp_key_previous, cp_key_issued_at FROM charging_points WHERE cp_id = ?1 AND NOT forgotten",
  [STMT_CP_KEY_SET] =
    "UPDATE charging_points"
    " SET cp_key_previous = cp_key, cp_key = ?2, cp_key_issued_at = ?3"
    " WHERE cp_id = ?1 AND NOT forgotten",
  [STMT_DRIVER_KEY_FORGET] =
    "UPDATE drivers SET public_key = NULL WHERE driver_id = ?1 AND public_key IS NOT NULL",
  [STMT_SESSION_SELECT] =
    "SELECT " SESSION_COLUMNS " FROM sessions WHERE supply_id = ?1",
  [STMT_SESSION_INSERT] =
    "INSERT INTO sessions"
    " (supply_id, cp_id, driver_id, price, phase, authorised_at)"
    " VALUES (?1, ?2, ?3, ?4, 'authorized', ?5)",
  [STMT_SESSION_PROGRESS] =
    "UPDATE sessions"
    " SET seq = ?2, kwh = ?3, amount = ?4, phase = 'supplying',"
    "     started_at = COALESCE (started_at, ?5)"
    " WHERE supply_id = ?1 AND ended_at IS NULL AND seq < ?2",
  /* The engine's figures after Central ended the supply at a fault: kept,
   * the outcome stays Central's until the ticket comes. */
  [STMT_SESSION_PROGRESS_PROVISIONAL] =
    "UPDATE sessions"
    " SET seq = ?2, kwh = ?3, amount = ?4, started_at = COALESCE (started_at, ?5)"
    " WHERE supply_id = ?1 AND provisional = 1 AND seq < ?2",
  [STMT_SESSION_FINISH] =
    "UPDATE sessions"
    " SET phase = ?2, seq = MAX (seq, ?3), kwh = ?4, amount = ?5,"
    "     started_at = COALESCE (?6, started_at), ended_at = ?7, reason = ?8,"
    "     provisional = ?9"
    " WHERE supply_id = ?1 AND (ended_at IS NULL OR (provisional = 1 AND ?9 = 0))",
  [STMT_SESSION_OPEN_BY_CP] =
    "SELECT " SESSION_COLUMNS " FROM sessions"
    " WHERE cp_id = ?1 AND ended_at IS NULL",
  [STMT_SESSION_OPEN_BY_DRIVER] =
    "SELECT " SESSION_COLUMNS " FROM sessions"
    " WHERE driver_id = ?1 AND ended_at IS NULL",
  [STMT_SESSION_OPEN_ALL] =
    "SELECT " SESSION_COLUMNS " FROM sessions"
    " WHERE ended_at IS NULL ORDER BY authorised_at, supply_id",
  [STMT_SESSION_HISTORY] = HISTORY_SQL,
  [STMT_SESSION_HISTORY_BY_DRIVER] =
    "SELECT " SESSION_COLUMNS " FROM sessions"
    " WHERE driver_id = ?2 AND ended_at IS NOT NULL" HISTORY_ORDER_LIMIT,
  /* The next transactionId, given once: a StartTransaction repeated
   * for the same supply keeps the first (and its meter). */
  [STMT_SESSION_OCPP_START] =
    "UPDATE sessions"
    " SET ocpp_transaction_id = (SELECT COALESCE (MAX (ocpp_transaction_id), 0) + 1 FROM sessions),"
    "     ocpp_meter_start = ?2"
    " WHERE supply_id = ?1 AND ended_at IS NULL AND ocpp_transaction_id IS NULL",
  [STMT_SESSION_OCPP_SELECT] =
    "SELECT ocpp_transaction_id, ocpp_meter_start FROM sessions"
    " WHERE supply_id = ?1 AND ocpp_transaction_id IS NOT NULL",
  [STMT_SESSION_OCPP_LOOKUP] =
    "SELECT supply_id, ocpp_meter_start FROM sessions WHERE ocpp_transaction_id = ?1",
  [STMT_DENIAL_INSERT] =
    "INSERT OR IGNORE INTO denials (request_id, reason, denied_at) VALUES (?1, ?2, ?3)",
  [STMT_DENIAL_SELECT] =
    "SELECT reason FROM denials WHERE request_id = ?1",
  [STMT_LOG_INSERT] =
    "INSERT INTO log (time_ms, level, event, cp_id, message)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_LOG_TRIM] =
    "DELETE FROM log WHERE id <= (SELECT max (id) FROM log) - ?1",
  [STMT_OUTBOX_INSERT] =
    "INSERT INTO outbox (topic, key, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
  [STMT_OUTBOX_DELETE] =
    "DELETE FROM outbox WHERE id = ?1",
  [STMT_OUTBOX_LOAD] =
    "SELECT id, topic, key, payload FROM outbox ORDER BY id",
};

static int
error_code_for_sqlite (int rc)
{
  switch (rc)
    {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return EV_STORE_ERROR_EXISTS;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return EV_STORE_ERROR_NOT_FOUND;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      return EV_STORE_ERROR_INVALID_ARGUMENT;
    default:
      break;
    }

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      return EV_STORE_ERROR_NOT_A_DATABASE;
    case SQLITE_CORRUPT:
      return EV_STORE_ERROR_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return EV_STORE_ERROR_BUSY;
    case SQLITE_FULL:
      return EV_STORE_ERROR_FULL;
    default:
      return EV_STORE_ERROR_FAILED;
    }
}

void
store_set_db_error (sqlite3  *db,
                    int       rc,
                    GError  **error)
{
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  g_set_error (error, EV_STORE_ERROR, error_code_for_sqlite (rc),
               _("Database error: %s"), message);
}

void
store_set_sqlite_error (EvStore  *self,
                        int       rc,
                        GError  **error)
{
  store_set_db_error (self->db, rc, error);
}

/* Opening */

gboolean
store_exec_sql (sqlite3     *db,
                const char  *sql,
                GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      store_set_db_error (db, rc, error);
      return FALSE;
    }

  return TRUE;
}

/* Reads one integer from a PRAGMA or a query (for opening and migrating
 * only; these statements are not worth caching). */
static gboolean
query_int (sqlite3     *db,
           const char  *sql,
           int         *out_value,
           GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out_value = sqlite3_column_int (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    {
      if (stmt != NULL)
        rc = sqlite3_reset (stmt);
      store_set_db_error (db, rc, error);
    }
  sqlite3_finalize (stmt);

  return rc == SQLITE_OK;
}

void
store_set_open_error (const char    *path,
                      const GError  *cause,
                      GError       **error)
{
  g_set_error (error, EV_STORE_ERROR, cause->code,
               _("Could not open the database “%s”: %s"),
               path, cause->message);
}

/* Opens a connection to @path and reads its schema version. Nothing is
 * written yet: a file that is not ours, or is from a newer version, is
 * refused without a single byte changed. */
sqlite3 *
store_open_db (const char  *path,
               int          flags,
               int         *out_version,
               GError     **error)
{
  g_autoptr(GError) local = NULL;
  sqlite3 *db = NULL;
  int n_objects = 0;
  int rc;

  rc = sqlite3_open_v2 (path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      int saved_errno = db != NULL ? sqlite3_system_errno (db) : 0;

      if ((rc & 0xff) == SQLITE_CANTOPEN && saved_errno != 0)
        local = g_error_new_literal (EV_STORE_ERROR,
                                     saved_errno == ENOENT ? EV_STORE_ERROR_NOT_FOUND
                                                           : EV_STORE_ERROR_FAILED,
                                     g_strerror (saved_errno));
      else
        store_set_db_error (db, rc, &local);
      store_set_open_error (path, local, error);
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  if (!query_int (db, "PRAGMA user_version", out_version, &local) ||
      !query_int (db, "SELECT count(*) FROM sqlite_schema", &n_objects, &local))
    {
      if (local->code == EV_STORE_ERROR_NOT_A_DATABASE)
        g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_A_DATABASE,
                     _("“%s” is not a database; it was left untouched"),
                     path);
      else
        store_set_open_error (path, local, error);
    }
  else if (*out_version > EV_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_TOO_NEW,
                   _("The database “%s” was written by a newer version of this program (schema %d; this one knows up to %d); it was left untouched"),
                   path, *out_version, EV_STORE_SCHEMA_VERSION);
    }
  else if (*out_version == 0 && n_objects > 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_A_DATABASE,
                   _("“%s” holds another program’s data; it was left untouched"),
                   path);
    }
  else
    {
      return db;
    }

  sqlite3_close (db);
  return NULL;
}

gboolean
store_apply_migration (EvStore  *self,
                       int       version,
                       GError  **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *set_version = NULL;
  int current = 0;

  if (!store_exec_sql (self->db, "BEGIN IMMEDIATE", &local))
    goto failed;

  /* Another process may have migrated while we waited for the lock. */
  if (!query_int (self->db, "PRAGMA user_version", &current, &local))
    goto rollback;
  if (current >= version)
    return store_exec_sql (self->db, "COMMIT", error);

  set_version = g_strdup_printf ("PRAGMA user_version = %d", version);
  if (!store_exec_sql (self->db, store_migrations[version - 1], &local) ||
      !store_exec_sql (self->db, set_version, &local) ||
      !store_exec_sql (self->db, "COMMIT", &local))
    goto rollback;

  return TRUE;

rollback:
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
failed:
  g_set_error (error, EV_STORE_ERROR, local->code,
               _("Could not upgrade the database “%s” to schema %d: %s"),
               self->path, version, local->message);
  return FALSE;
}

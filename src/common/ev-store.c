#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ev-store.h"
#include "ev-protocol.h"

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
 * approved a charging point (those of older databases are). */
static const char * const migrations[] = {
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
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == EV_STORE_SCHEMA_VERSION);

#define SESSION_COLUMNS \
  "supply_id, cp_id, driver_id, price, kwh, amount, seq, phase, reason, " \
  "started_at, ended_at, provisional"

#define HISTORY_ORDER_LIMIT " ORDER BY ended_at DESC, rowid DESC LIMIT ?1"

/* The ended supplies, newest first: ev_store_load_history() and the
 * export read the same rows. */
#define HISTORY_SQL \
  "SELECT " SESSION_COLUMNS " FROM sessions WHERE ended_at IS NOT NULL" HISTORY_ORDER_LIMIT

#define LOG_COLUMNS "id, time_ms, level, event, cp_id, message"

typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_CP_SELECT_TOKEN,
  STMT_CP_INSERT,
  STMT_CP_REREGISTER,
  STMT_CP_RESET_TOKEN,
  STMT_CP_RENEW_TOKEN,
  STMT_CP_DELETE,
  STMT_CP_FORGET,
  STMT_CP_LOAD,
  STMT_CP_SET_STATE,
  STMT_CP_SET_PRICE,
  STMT_CP_SET_LOCATION,
  STMT_CP_TOUCH,
  STMT_CP_APPROVE,
  STMT_DRIVER_TOUCH,
  STMT_DRIVER_KEY_SELECT,
  STMT_DRIVER_KEY_BIND,
  STMT_DRIVER_KEY_FORGET,
  STMT_CP_KEY_SELECT,
  STMT_CP_KEY_SET,
  STMT_SESSION_SELECT,
  STMT_SESSION_INSERT,
  STMT_SESSION_PROGRESS,
  STMT_SESSION_FINISH,
  STMT_SESSION_PROGRESS_PROVISIONAL,
  STMT_SESSION_OPEN_BY_CP,
  STMT_SESSION_OPEN_BY_DRIVER,
  STMT_SESSION_OPEN_ALL,
  STMT_SESSION_HISTORY,
  STMT_SESSION_HISTORY_BY_DRIVER,
  STMT_DENIAL_INSERT,
  STMT_DENIAL_SELECT,
  STMT_LOG_INSERT,
  STMT_LOG_TRIM,
  STMT_OUTBOX_INSERT,
  STMT_OUTBOX_DELETE,
  STMT_OUTBOX_LOAD,
  N_STMTS
} StmtId;

static const char * const stmt_sql[N_STMTS] = {
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

/* An #EvStoreReader's statements. A search text binds ?2 as a LIKE pattern
 * (NULL for everything); LIKE folds the case of ASCII letters only. */
typedef enum {
  READER_STMT_LOG_SEARCH,
  READER_STMT_LOG_COUNT,
  READER_STMT_HISTORY_SEARCH,
  READER_STMT_HISTORY_COUNT,
  READER_STMT_HISTORY_ALL,
  N_READER_STMTS
} ReaderStmtId;

#define LIKE(column) column " LIKE ?2 ESCAPE '\\'"

#define LOG_MATCH \
  " WHERE ?2 IS NULL OR " LIKE ("message") " OR " LIKE ("event") \
  " OR " LIKE ("cp_id")

#define HISTORY_MATCH \
  " WHERE ended_at IS NOT NULL AND (?2 IS NULL OR " LIKE ("cp_id") \
  " OR " LIKE ("driver_id") " OR " LIKE ("supply_id") " OR " LIKE ("reason") ")"

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

/* Stable names of the phases in the database, independent of enum nicks. */
static const char * const phase_names[] = {
  [EV_SUPPLY_PHASE_REQUESTED] = "requested",
  [EV_SUPPLY_PHASE_AUTHORIZED] = "authorized",
  [EV_SUPPLY_PHASE_SUPPLYING] = "supplying",
  [EV_SUPPLY_PHASE_FINISHED] = "finished",
  [EV_SUPPLY_PHASE_FAILED] = "failed",
};

#define BUSY_TIMEOUT_MS 5000
#define TOKEN_BYTES 32
#define SALT_BYTES 16
#define MAX_LOCATION_CHARS 200
#define MAX_REASON_BYTES 64
#define MAX_TOKEN_BYTES 256
#define MAX_EVENT_CHARS 64
#define MAX_LOG_MESSAGE_BYTES 4096
/* The log is trimmed to #EvStore:log-limit at most once per this many
 * appends, at a flush, in one DELETE. */
#define LOG_TRIM_EVERY 1000
/* A commit that leaves this many pages in the WAL wakes the checkpointer
 * at once; a smaller one, after CHECKPOINT_INTERVAL_MS. */
#define CHECKPOINT_PAGES 1000
#define CHECKPOINT_INTERVAL_MS 2000
/* Past this many pages the writer copies its own last commit: see
 * catch_up_wal(). */
#define CATCH_UP_PAGES (4 * CHECKPOINT_PAGES)
/* After a burst past the usual CATCH_UP_PAGES, the WAL file shrinks back
 * to this when it starts over. Not less: cutting a file of 16 MiB to 4
 * costs the writer's commit about 10 ms, and reusing it costs nothing. */
#define WAL_SIZE_LIMIT_BYTES 33554432   /* 32 MiB */

typedef struct {
  EvStoreCommittedFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} Waiter;

/* The thread that checkpoints the WAL, with a connection of its own; the
 * writer's WAL hook tells it about each commit. */
typedef struct {
  sqlite3 *db;
  GThread *thread;
  GMutex mutex;
  GCond cond;
  /* Under mutex: */
  gboolean committed;      /* a commit since the last checkpoint began */
  int wal_pages;           /* the WAL's size after the last commit */
  int backfilled;          /* WAL pages copied by the last checkpoint */
  gboolean stopping;
} Checkpointer;

struct _EvStoreReader
{
  sqlite3 *db;
  sqlite3_stmt *stmts[N_READER_STMTS];
};

struct _EvStore
{
  GObject parent_instance;

  char *path;
  guint flush_interval;
  guint commit_latency;
  gint64 last_commit;           /* monotonic µs of the last COMMIT */

  sqlite3 *db;
  sqlite3_stmt *stmts[N_STMTS];
  gboolean in_batch;
  Checkpointer *checkpointer;
  int wal_pages;           /* the WAL's size after the last commit */
  int wal_pages_before;    /* and after the one before it */

  guint log_limit;
  guint log_appends;       /* since the log was last trimmed */

  GMainContext *context;
  GSource *flush_source;
  gint64 flush_due;        /* monotonic µs the flush_source fires */
  GArray *waiters;
};

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
typedef sqlite3_stmt EvBorrowedStmt;

static void
borrowed_stmt_release (EvBorrowedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvBorrowedStmt, borrowed_stmt_release)

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

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

static void
set_db_error (sqlite3  *db,
              int       rc,
              GError  **error)
{
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  g_set_error (error, EV_STORE_ERROR, error_code_for_sqlite (rc),
               _("Database error: %s"), message);
}

static void
set_sqlite_error (EvStore  *self,
                  int       rc,
                  GError  **error)
{
  set_db_error (self->db, rc, error);
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
static void
lose_batch (EvStore      *self,
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
    lose_batch (self, cause);
}

/* Prepares @sql into *@slot once, for the life of the connection. */
static EvBorrowedStmt *
borrow_cached (sqlite3       *db,
               sqlite3_stmt **slot,
               const char    *sql,
               GError       **error)
{
  if (*slot == NULL)
    {
      int rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);

      if (rc != SQLITE_OK)
        {
          set_db_error (db, rc, error);
          return NULL;
        }
    }

  return *slot;
}

static EvBorrowedStmt *
borrow_stmt (EvStore  *self,
             StmtId    id,
             GError  **error)
{
  return borrow_cached (self->db, &self->stmts[id], stmt_sql[id], error);
}

/* Returns SQLITE_ROW, SQLITE_DONE, or 0 with @error set. */
static int
db_step (sqlite3       *db,
         sqlite3_stmt  *stmt,
         GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  set_db_error (db, sqlite3_reset (stmt), error);
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

static int
step (EvStore       *self,
      sqlite3_stmt  *stmt,
      GError       **error)
{
  GError *local = NULL;
  int rc = db_step (self->db, stmt, &local);

  if (rc == 0)
    propagate_stmt_error (self, local, error);
  return rc;
}

static gboolean
step_done (EvStore       *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  return step (self, stmt, error) != 0;
}

static gboolean
run_simple (EvStore  *self,
            StmtId    id,
            GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = borrow_stmt (self, id, error);

  return stmt != NULL && step_done (self, stmt, error);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_time (sqlite3_stmt *stmt,
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
static gboolean
begin_write (EvStore  *self,
             GError  **error)
{
  if (self->in_batch)
    return TRUE;

  if (!run_simple (self, STMT_BEGIN, error))
    return FALSE;

  self->in_batch = TRUE;
  schedule_flush (self, self->flush_interval);
  return TRUE;
}

/* Input checks. Everything is checked before anything is written, so bad
 * input never disturbs a batch. */

static gboolean
id_is_valid (const char *id)
{
  size_t len;

  if (id == NULL)
    return FALSE;

  len = strlen (id);
  if (len < 1 || len > 32)
    return FALSE;

  for (size_t i = 0; i < len; i++)
    {
      if (!g_ascii_isalnum (id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
        return FALSE;
    }

  return TRUE;
}

static gboolean
check_cp_id (const char  *cp_id,
             GError     **error)
{
  if (id_is_valid (cp_id))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid charging point id “%s”: use 1 to 32 letters, digits, “.”, “_” or “-”"),
               cp_id != NULL && g_utf8_validate (cp_id, -1, NULL) ? cp_id : "");
  return FALSE;
}

static gboolean
check_driver_id (const char  *driver_id,
                 GError     **error)
{
  /* Supplies requested at the station itself run under "station:<cp_id>". */
  if (id_is_valid (driver_id) ||
      (driver_id != NULL && g_str_has_prefix (driver_id, "station:") &&
       id_is_valid (driver_id + strlen ("station:"))))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid driver id “%s”: use 1 to 32 letters, digits, “.”, “_” or “-”"),
               driver_id != NULL && g_utf8_validate (driver_id, -1, NULL) ? driver_id : "");
  return FALSE;
}

static gboolean
check_supply_id (const char  *supply_id,
                 GError     **error)
{
  if (supply_id != NULL && g_uuid_string_is_valid (supply_id))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid supply id “%s”: expected a UUID"),
               supply_id != NULL && g_utf8_validate (supply_id, -1, NULL) ? supply_id : "");
  return FALSE;
}

static gboolean
text_is_printable (const char *text,
                   size_t      max_chars)
{
  size_t n = 0;
  gboolean blank = TRUE;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || ++n > max_chars)
        return FALSE;
      if (!g_unichar_isspace (c))
        blank = FALSE;
    }

  return !blank;
}

static gboolean
check_location (const char  *location,
                GError     **error)
{
  if (text_is_printable (location, MAX_LOCATION_CHARS))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid location: it must be 1 to %d characters of text"),
               MAX_LOCATION_CHARS);
  return FALSE;
}

static gboolean
check_price (double   price,
             GError **error)
{
  if (isfinite (price) && price >= 0.0)
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid price %g: it must be a finite number, zero or more"),
               price);
  return FALSE;
}

static gboolean
check_figures (double   kwh,
               double   amount,
               GError **error)
{
  if (isfinite (kwh) && kwh >= 0.0 && isfinite (amount) && amount >= 0.0)
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid energy %g kWh or amount %g EUR: they must be finite numbers, zero or more"),
               kwh, amount);
  return FALSE;
}

static gboolean
check_time (gint64   ms,
            GError **error)
{
  g_autofree char *text = NULL;

  if (ms >= 0)
    return TRUE;

  /* A format macro inside the message would hide it from xgettext. */
  text = g_strdup_printf ("%" G_GINT64_FORMAT, ms);
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid time %s: it must be zero or more milliseconds since 1970"),
               text);
  return FALSE;
}

static gboolean
check_log_entry (const char  *event,
                 const char  *cp_id,
                 const char  *message,
                 GError     **error)
{
  if (!text_is_printable (event, MAX_EVENT_CHARS))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid log event: it must be 1 to %d characters of text"),
                   MAX_EVENT_CHARS);
      return FALSE;
    }

  if (message == NULL || strlen (message) > MAX_LOG_MESSAGE_BYTES ||
      !g_utf8_validate (message, -1, NULL))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid log message: it must be text of at most %d bytes"),
                   MAX_LOG_MESSAGE_BYTES);
      return FALSE;
    }

  return cp_id == NULL || check_cp_id (cp_id, error);
}

static void
set_unknown_cp (const char  *cp_id,
                GError     **error)
{
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND,
               _("Unknown charging point “%s”"), cp_id);
}

static void
set_unknown_supply (const char  *supply_id,
                    GError     **error)
{
  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND,
               _("Unknown supply “%s”"), supply_id);
}

/* Tokens */

static char *
hash_token (const char *salt,
            const char *token)
{
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                    (const guchar *) salt, strlen (salt),
                                    token, -1);
}

static gboolean
equal_in_constant_time (const char *a,
                        const char *b)
{
  size_t len = strlen (a);
  guint8 diff = 0;

  /* Hashes have a fixed, public length: only their bytes must not leak. */
  if (strlen (b) != len)
    return FALSE;

  for (size_t i = 0; i < len; i++)
    diff |= (guint8) (a[i] ^ b[i]);

  return diff == 0;
}

/* Rows to objects */

static gboolean
phase_from_name (const char    *name,
                 EvSupplyPhase *out_phase)
{
  for (guint i = 0; i < G_N_ELEMENTS (phase_names); i++)
    {
      if (g_strcmp0 (name, phase_names[i]) == 0)
        {
          *out_phase = i;
          return TRUE;
        }
    }

  return FALSE;
}

static EvSupplySession *
session_from_row (sqlite3_stmt *stmt)
{
  EvSupplySession *session;
  EvSupplyPhase phase = EV_SUPPLY_PHASE_FAILED;
  double price = sqlite3_column_double (stmt, 3);
  double kwh = sqlite3_column_double (stmt, 4);
  double amount = sqlite3_column_double (stmt, 5);
  gint64 seq = sqlite3_column_int64 (stmt, 6);

  session = ev_supply_session_new ((const char *) sqlite3_column_text (stmt, 0),
                                   (const char *) sqlite3_column_text (stmt, 1),
                                   (const char *) sqlite3_column_text (stmt, 2));

  if (!phase_from_name ((const char *) sqlite3_column_text (stmt, 7), &phase))
    g_debug ("Supply %s has an unknown phase; shown as failed",
             (const char *) sqlite3_column_text (stmt, 0));

  ev_supply_session_set_phase (session, phase);
  ev_supply_session_set_price (session, isfinite (price) && price >= 0 ? price : 0.0);
  ev_supply_session_set_kwh (session, isfinite (kwh) && kwh >= 0 ? kwh : 0.0);
  ev_supply_session_set_amount (session, isfinite (amount) && amount >= 0 ? amount : 0.0);
  ev_supply_session_set_seq (session, (guint) CLAMP (seq, 0, G_MAXUINT));
  ev_supply_session_set_reason (session, (const char *) sqlite3_column_text (stmt, 8));
  ev_supply_session_set_started_at (session, sqlite3_column_int64 (stmt, 9));
  ev_supply_session_set_ended_at (session, sqlite3_column_int64 (stmt, 10));
  ev_supply_session_set_provisional (session, sqlite3_column_int (stmt, 11) != 0);

  return session;
}

static EvLogRecord *
log_record_from_row (sqlite3_stmt *stmt)
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

typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

/* Every row left in @stmt, as from_row() builds it. */
static GPtrArray *
collect_rows (sqlite3         *db,
              sqlite3_stmt    *stmt,
              RowFunc          from_row,
              GDestroyNotify   free_func,
              GError         **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = db_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));

  if (rc == 0)
    return NULL;

  return g_steal_pointer (&rows);
}

/* collect_rows() on a statement of the store's. */
static GPtrArray *
collect_store_rows (EvStore         *self,
                    sqlite3_stmt    *stmt,
                    RowFunc          from_row,
                    GDestroyNotify   free_func,
                    GError         **error)
{
  GError *local = NULL;
  GPtrArray *rows = collect_rows (self->db, stmt, from_row, free_func, &local);

  if (rows == NULL)
    propagate_stmt_error (self, local, error);
  return rows;
}

static GPtrArray *
collect_sessions (EvStore       *self,
                  sqlite3_stmt  *stmt,
                  GError       **error)
{
  return collect_store_rows (self, stmt, (RowFunc) session_from_row, g_object_unref, error);
}

/* Opening */

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (db, rc, error);
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
      set_db_error (db, rc, error);
    }
  sqlite3_finalize (stmt);

  return rc == SQLITE_OK;
}

static void
set_open_error (const char    *path,
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
static sqlite3 *
open_db (const char  *path,
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
        set_db_error (db, rc, &local);
      set_open_error (path, local, error);
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
        set_open_error (path, local, error);
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

static gboolean
apply_migration (EvStore  *self,
                 int       version,
                 GError  **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *set_version = NULL;
  int current = 0;

  if (!exec_sql (self->db, "BEGIN IMMEDIATE", &local))
    goto failed;

  /* Another process may have migrated while we waited for the lock. */
  if (!query_int (self->db, "PRAGMA user_version", &current, &local))
    goto rollback;
  if (current >= version)
    return exec_sql (self->db, "COMMIT", error);

  set_version = g_strdup_printf ("PRAGMA user_version = %d", version);
  if (!exec_sql (self->db, migrations[version - 1], &local) ||
      !exec_sql (self->db, set_version, &local) ||
      !exec_sql (self->db, "COMMIT", &local))
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

/* Checkpoints */

/* Runs on the writer's thread, after each of its commits. */
static int
wal_hook_cb (void       *user_data,
             sqlite3    *db,
             const char *db_name,
             int         wal_pages)
{
  EvStore *self = user_data;
  Checkpointer *checkpointer = self->checkpointer;

  self->wal_pages_before = self->wal_pages;
  self->wal_pages = wal_pages;

  g_mutex_lock (&checkpointer->mutex);
  /* The first commit starts the checkpointer's clock; a long WAL wants a
   * checkpoint at once. */
  if (!checkpointer->committed || wal_pages >= CHECKPOINT_PAGES)
    g_cond_signal (&checkpointer->cond);
  checkpointer->committed = TRUE;
  checkpointer->wal_pages = wal_pages;
  g_mutex_unlock (&checkpointer->mutex);

  return SQLITE_OK;
}

static void
checkpoint (Checkpointer *checkpointer)
{
  gint64 start = g_get_monotonic_time ();
  int wal_pages = -1;
  int backfilled = -1;
  int rc;

  /* PASSIVE never waits for the writer or for readers: it copies what no
   * reader still needs. A transaction that begins once all is copied
   * starts the WAL over. */
  rc = sqlite3_wal_checkpoint_v2 (checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &wal_pages, &backfilled);
  g_mutex_lock (&checkpointer->mutex);
  checkpointer->backfilled = backfilled;
  g_mutex_unlock (&checkpointer->mutex);
  switch (rc & 0xff)
    {
    case SQLITE_OK:
    case SQLITE_BUSY:
    case SQLITE_INTERRUPT:
      g_debug ("Checkpoint: %d of %d WAL pages in the database, %" G_GINT64_FORMAT " µs (%s)",
               backfilled, wal_pages, g_get_monotonic_time () - start, sqlite3_errstr (rc));
      break;
    default:
      g_message ("Could not checkpoint the database: %s", sqlite3_errmsg (checkpointer->db));
    }
}

static gpointer
checkpointer_thread (gpointer data)
{
  Checkpointer *checkpointer = data;
  gint64 due = 0;

  g_mutex_lock (&checkpointer->mutex);
  while (!checkpointer->stopping)
    {
      if (!checkpointer->committed)
        {
          g_cond_wait (&checkpointer->cond, &checkpointer->mutex);
          continue;
        }

      if (due == 0)
        due = g_get_monotonic_time () + CHECKPOINT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;
      if (checkpointer->wal_pages < CHECKPOINT_PAGES && g_get_monotonic_time () < due)
        {
          g_cond_wait_until (&checkpointer->cond, &checkpointer->mutex, due);
          continue;
        }

      checkpointer->committed = FALSE;
      due = 0;
      g_mutex_unlock (&checkpointer->mutex);
      checkpoint (checkpointer);
      g_mutex_lock (&checkpointer->mutex);
    }
  g_mutex_unlock (&checkpointer->mutex);

  return NULL;
}

static Checkpointer *
checkpointer_start (const char  *path,
                    GError     **error)
{
  g_autofree Checkpointer *checkpointer = g_new0 (Checkpointer, 1);
  int version = 0;

  checkpointer->db = open_db (path, SQLITE_OPEN_READWRITE, &version, error);
  if (checkpointer->db == NULL)
    return NULL;

  g_mutex_init (&checkpointer->mutex);
  g_cond_init (&checkpointer->cond);
  checkpointer->thread = g_thread_try_new ("evstore-ckpt", checkpointer_thread,
                                           checkpointer, error);
  if (checkpointer->thread == NULL)
    {
      g_mutex_clear (&checkpointer->mutex);
      g_cond_clear (&checkpointer->cond);
      sqlite3_close (checkpointer->db);
      return NULL;
    }

  return g_steal_pointer (&checkpointer);
}

static void
checkpointer_stop (Checkpointer *checkpointer)
{
  g_mutex_lock (&checkpointer->mutex);
  checkpointer->stopping = TRUE;
  g_cond_signal (&checkpointer->cond);
  g_mutex_unlock (&checkpointer->mutex);

  /* A checkpoint under way gives up at once; the writer finishes it as it
   * closes. */
  sqlite3_interrupt (checkpointer->db);
  g_thread_join (checkpointer->thread);

  sqlite3_close (checkpointer->db);
  g_mutex_clear (&checkpointer->mutex);
  g_cond_clear (&checkpointer->cond);
  g_free (checkpointer);
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

  self->db = open_db (self->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
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
      set_sqlite_error (self, rc, &local);
      set_open_error (self->path, local, error);
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
  if (!exec_sql (self->db,
                 "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                 "PRAGMA wal_autocheckpoint = 0;"
                 "PRAGMA journal_size_limit = " G_STRINGIFY (WAL_SIZE_LIMIT_BYTES),
                 &local))
    {
      set_open_error (self->path, local, error);
      return FALSE;
    }

  for (int next = version + 1; next <= EV_STORE_SCHEMA_VERSION; next++)
    {
      if (!apply_migration (self, next, error))
        return FALSE;
    }

  /* A database that can only be read (its file, its folder, its disk)
   * is refused now, not at the first write. Another writer holding the
   * lock (a running Central, a tool) shows it can be written: nobody
   * waits for it here. */
  sqlite3_busy_timeout (self->db, 0);
  if (sqlite3_db_readonly (self->db, "main") != 1 &&
      !exec_sql (self->db, "BEGIN IMMEDIATE; COMMIT", &local) &&
      g_error_matches (local, EV_STORE_ERROR, EV_STORE_ERROR_BUSY))
    g_clear_error (&local);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (sqlite3_db_readonly (self->db, "main") == 1 || local != NULL)
    {
      if (local == NULL)
        local = g_error_new_literal (EV_STORE_ERROR, EV_STORE_ERROR_FAILED,
                                     _("it can only be read"));
      else
        exec_sql (self->db, "ROLLBACK", NULL);
      set_open_error (self->path, local, error);
      return FALSE;
    }

  self->checkpointer = checkpointer_start (self->path, &local);
  if (self->checkpointer == NULL)
    {
      set_open_error (self->path, local, error);
      return FALSE;
    }
  /* After wal_autocheckpoint, which installs a hook of its own. */
  sqlite3_wal_hook (self->db, wal_hook_cb, self);

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
      g_clear_pointer (&self->checkpointer, checkpointer_stop);
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

  if ((stmt = borrow_stmt (self, STMT_LOG_TRIM, &error)) != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, self->log_limit);
      step_done (self, stmt, &error);
    }
  if (error != NULL)
    g_message ("Could not trim the log of “%s”: %s", self->path, error->message);
}

/* The WAL starts over only at a transaction that begins with all of it
 * copied into the database. Under writes with no pause the next batch
 * begins as soon as a commit ends, before the checkpointer has copied that
 * commit, and the WAL would grow without end. So once it is past
 * CATCH_UP_PAGES, and the checkpointer has copied everything up to the
 * commit before, the writer copies this last commit itself before the next
 * batch begins: a stall of one small checkpoint every few thousand pages
 * under constant load, none when the load pauses now and then. */
static void
catch_up_wal (EvStore *self)
{
  gint64 start;
  int backfilled;
  int wal_pages = -1;
  int rc;

  if (self->checkpointer == NULL || self->wal_pages < CATCH_UP_PAGES)
    return;

  g_mutex_lock (&self->checkpointer->mutex);
  backfilled = self->checkpointer->backfilled;
  g_mutex_unlock (&self->checkpointer->mutex);
  if (backfilled < self->wal_pages_before)
    return;

  start = g_get_monotonic_time ();
  rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &wal_pages, &backfilled);
  g_debug ("Writer's checkpoint: %d of %d WAL pages in the database, %" G_GINT64_FORMAT " µs (%s)",
           backfilled, wal_pages, g_get_monotonic_time () - start, sqlite3_errstr (rc));
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
      if (!run_simple (self, STMT_COMMIT, &local) && self->in_batch)
        {
          if (!sqlite3_get_autocommit (self->db))
            run_simple (self, STMT_ROLLBACK, NULL);
          g_prefix_error (&local, _("Could not save the database: "));
        }
      /* A failed COMMIT that SQLite already rolled back was reported to
       * the waiters by check_batch_survived(). */
      self->in_batch = FALSE;

      /* Before the waiters, who may begin the next batch. */
      if (local == NULL)
        catch_up_wal (self);
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

  if (!ev_store_flush (self, error) || !begin_write (self, error))
    return FALSE;

  sql = g_strdup_printf ("PRAGMA user_version = %d", EV_STORE_SCHEMA_VERSION);
  rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      g_autoptr(GError) local = NULL;

      set_sqlite_error (self, rc, &local);
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

/**
 * ev_store_register_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is, as its station reports it
 * @price: the price per kWh Central assigns, in EUR
 * @error: return location for an error
 *
 * ev_store_register_cp_with_nonce() without a nonce.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
char *
ev_store_register_cp (EvStore     *self,
                      const char  *cp_id,
                      const char  *location,
                      double       price,
                      GError     **error)
{
  return ev_store_register_cp_with_nonce (self, cp_id, location, price, NULL, error);
}

static char *
hash_nonce (const char *nonce)
{
  return nonce != NULL ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, nonce, -1) : NULL;
}

/**
 * ev_store_register_cp_with_nonce:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is, as its station reports it
 * @price: the price per kWh Central assigns, in EUR
 * @nonce: (nullable): the registration's nonce, which its monitor keeps
 *   until it has its token
 * @error: return location for an error
 *
 * Registers a charging point, or registers again one whose token was
 * reset by ev_store_reset_token() (or that was registered before tokens
 * existed, or was forgotten), and issues it a new token. Only salted
 * hashes of the token and a hash of @nonce are stored: the returned
 * string is the only copy of the token.
 *
 * A registration repeated with the same @nonce (its answer was lost) is
 * answered again: since the token cannot be recovered from its hash, a new
 * one replaces it, which is as safe, since only the nonce's holder can
 * ask.
 *
 * Registration is committed before this returns, together with the rest
 * of the current batch.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 *   (%EV_STORE_ERROR_EXISTS if the charging point is registered, has a
 *   token, and @nonce is not its registration's)
 */
char *
ev_store_register_cp_with_nonce (EvStore     *self,
                                 const char  *cp_id,
                                 const char  *location,
                                 double       price,
                                 const char  *nonce,
                                 GError     **error)
{
  return ev_store_register_cp_pending (self, cp_id, location, price, nonce, FALSE, error);
}

/**
 * ev_store_register_cp_pending:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is
 * @price: its price in EUR/kWh
 * @nonce: (nullable): the registration's nonce
 * @pending: whether a new charging point (or a forgotten one registering
 *   anew) awaits the operator's approval (ev_store_approve_cp())
 * @error: return location for an error
 *
 * Like ev_store_register_cp_with_nonce(); a charging point the store
 * knows already keeps its approval.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
char *
ev_store_register_cp_pending (EvStore     *self,
                              const char  *cp_id,
                              const char  *location,
                              double       price,
                              const char  *nonce,
                              gboolean     pending,
                              GError     **error)
{
  g_autofree char *token = NULL;
  g_autofree char *salt = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *nonce_hash = hash_nonce (nonce);
  g_autoptr(EvBorrowedStmt) select = NULL;
  g_autoptr(EvBorrowedStmt) write = NULL;
  gboolean has_token;
  gboolean repeat = FALSE;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_cp_id (cp_id, error) ||
      !check_location (location, error) ||
      !check_price (price, error))
    return NULL;

  if ((token = ev_protocol_random_hex (TOKEN_BYTES, error)) == NULL ||
      (salt = ev_protocol_random_hex (SALT_BYTES, error)) == NULL)
    return NULL;
  hash = hash_token (salt, token);

  if ((select = borrow_stmt (self, STMT_CP_SELECT_TOKEN, error)) == NULL)
    return NULL;
  bind_text (select, 1, cp_id);
  if ((rc = step (self, select, error)) == 0)
    return NULL;
  has_token = rc == SQLITE_ROW && sqlite3_column_type (select, 1) != SQLITE_NULL;
  if (has_token && nonce_hash != NULL && sqlite3_column_type (select, 2) != SQLITE_NULL)
    repeat = equal_in_constant_time ((const char *) sqlite3_column_text (select, 2), nonce_hash);
  g_clear_pointer (&select, borrowed_stmt_release);
  if (has_token && !repeat)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS,
                   _("Charging point “%s” is already registered"), cp_id);
      return NULL;
    }

  if (!begin_write (self, error))
    return NULL;

  /* A row without a token, or forgotten, is registered again; a new
   * charging point gets a row. */
  for (StmtId id = repeat ? STMT_CP_RENEW_TOKEN : STMT_CP_REREGISTER; ; id = STMT_CP_INSERT)
    {
      if ((write = borrow_stmt (self, id, error)) == NULL)
        return NULL;
      bind_text (write, 1, cp_id);
      bind_text (write, 2, location);
      sqlite3_bind_double (write, 3, price);
      sqlite3_bind_int64 (write, 4, now_ms ());
      bind_text (write, 5, salt);
      bind_text (write, 6, hash);
      bind_text (write, 7, nonce_hash);
      if (id != STMT_CP_RENEW_TOKEN)
        sqlite3_bind_int (write, 8, pending ? 0 : 1);
      if (!step_done (self, write, error))
        return NULL;
      g_clear_pointer (&write, borrowed_stmt_release);
      if (id == STMT_CP_INSERT || sqlite3_changes (self->db) > 0)
        break;
    }

  /* The token leaves this function only once its hash is on disk. */
  if (!ev_store_flush (self, error))
    return NULL;

  return g_steal_pointer (&token);
}

/**
 * ev_store_verify_token:
 * @self: a store
 * @cp_id: the charging point's id
 * @token: the token it presents
 * @error: return location for an error
 *
 * Checks the token a charging point presents, in time that does not depend
 * on how much of it is right.
 *
 * Returns: %TRUE if @token is the charging point's; otherwise %FALSE with
 *   %EV_STORE_ERROR_NOT_FOUND (unknown charging point),
 *   %EV_STORE_ERROR_BAD_TOKEN (wrong token), %EV_STORE_ERROR_NO_TOKEN (it
 *   must register again) or %EV_STORE_ERROR_INVALID_ARGUMENT (invalid id)
 */
gboolean
ev_store_verify_token (EvStore     *self,
                       const char  *cp_id,
                       const char  *token,
                       GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  g_autofree char *hash = NULL;
  const char *salt;
  const char *stored;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error))
    return FALSE;

  if ((stmt = borrow_stmt (self, STMT_CP_SELECT_TOKEN, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, cp_id);
  if ((rc = step (self, stmt, error)) == 0)
    return FALSE;

  if (rc != SQLITE_ROW)
    {
      set_unknown_cp (cp_id, error);
      return FALSE;
    }

  salt = (const char *) sqlite3_column_text (stmt, 0);
  stored = (const char *) sqlite3_column_text (stmt, 1);
  if (salt == NULL || stored == NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN,
                   _("Charging point “%s” has no token and must register again"),
                   cp_id);
      return FALSE;
    }

  if (token == NULL || token[0] == '\0' || strlen (token) > MAX_TOKEN_BYTES ||
      !equal_in_constant_time ((hash = hash_token (salt, token)), stored))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_BAD_TOKEN,
                   _("Wrong token for charging point “%s”"), cp_id);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_store_reset_token:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Forgets a charging point's token, on the operator's word, so that its
 * monitor may register it again (ev_store_register_cp()) and receive a new
 * one. Its old token no longer authenticates it. Committed before this
 * returns, with the rest of the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_reset_token (EvStore     *self,
                      const char  *cp_id,
                      GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error) || !begin_write (self, error))
    return FALSE;

  if ((stmt = borrow_stmt (self, STMT_CP_RESET_TOKEN, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, cp_id);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_cp (cp_id, error);
      return FALSE;
    }

  return ev_store_flush (self, error);
}

/**
 * ev_store_forget_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Forgets a charging point on the operator's word: it, its token and its
 * registration are gone (ev_store_load_charging_points() leaves it out,
 * its token no longer authenticates it, and its id may be registered
 * anew). The supplies it gave stay in the history. Committed before this
 * returns, with the rest of the current batch.
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_NOT_FOUND for an
 *   unknown charging point, or %EV_STORE_ERROR_IN_PROGRESS while a supply
 *   at it has not ended
 */
gboolean
ev_store_forget_cp (EvStore     *self,
                    const char  *cp_id,
                    GError     **error)
{
  g_autoptr(EvSupplySession) open = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error))
    return FALSE;

  open = ev_store_find_open_session (self, cp_id, NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (open != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS,
                   _("Charging point “%s” has a supply in progress"), cp_id);
      return FALSE;
    }

  if (!begin_write (self, error))
    return FALSE;

  for (StmtId id = STMT_CP_DELETE; ; id = STMT_CP_FORGET)
    {
      if ((stmt = borrow_stmt (self, id, error)) == NULL)
        return FALSE;
      bind_text (stmt, 1, cp_id);
      if (!step_done (self, stmt, error))
        return FALSE;
      g_clear_pointer (&stmt, borrowed_stmt_release);
      if (sqlite3_changes (self->db) > 0)
        break;
      if (id == STMT_CP_FORGET)
        {
          set_unknown_cp (cp_id, error);
          return FALSE;
        }
    }

  return ev_store_flush (self, error);
}

/**
 * ev_store_load_charging_points:
 * @self: a store
 * @error: return location for an error
 *
 * Loads every registered charging point, ordered by id, with its location,
 * price and last stored state. Supply figures are not set: see
 * ev_store_load_open_sessions().
 *
 * Returns: (transfer full) (element-type EvChargingPoint): the charging
 *   points, or %NULL with @error set
 */
GPtrArray *
ev_store_load_charging_points (EvStore  *self,
                               GError  **error)
{
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((stmt = borrow_stmt (self, STMT_CP_LOAD, error)) == NULL)
    return NULL;

  cps = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = step (self, stmt, error)) == SQLITE_ROW)
    {
      EvChargingPoint *cp;
      EvCpState state = EV_CP_STATE_DISCONNECTED;
      double price = sqlite3_column_double (stmt, 2);

      cp = ev_charging_point_new ((const char *) sqlite3_column_text (stmt, 0));
      ev_charging_point_set_location (cp, (const char *) sqlite3_column_text (stmt, 1));
      ev_charging_point_set_price (cp, isfinite (price) && price >= 0 ? price : 0.0);
      ev_cp_state_from_string ((const char *) sqlite3_column_text (stmt, 3), &state);
      ev_charging_point_set_state (cp, state);
      ev_charging_point_set_pending (cp, sqlite3_column_int (stmt, 4) == 0);
      g_ptr_array_add (cps, cp);
    }

  if (rc == 0)
    return NULL;

  return g_steal_pointer (&cps);
}

static gboolean
update_cp (EvStore     *self,
           StmtId       id,
           const char  *cp_id,
           GValue      *value,
           GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  if (!begin_write (self, error))
    return FALSE;

  if ((stmt = borrow_stmt (self, id, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, cp_id);
  if (G_VALUE_HOLDS_STRING (value))
    bind_text (stmt, 2, g_value_get_string (value));
  else if (G_VALUE_HOLDS_DOUBLE (value))
    sqlite3_bind_double (stmt, 2, g_value_get_double (value));
  else
    sqlite3_bind_int64 (stmt, 2, g_value_get_int64 (value));
  if (!step_done (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_cp (cp_id, error);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_store_set_cp_state:
 * @self: a store
 * @cp_id: the charging point's id
 * @state: its new state
 * @error: return location for an error
 *
 * Records a charging point's state, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_state (EvStore     *self,
                       const char  *cp_id,
                       EvCpState    state,
                       GError     **error)
{
  g_auto(GValue) value = G_VALUE_INIT;
  const char *name;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error))
    return FALSE;

  if ((name = ev_cp_state_to_string (state)) == NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid charging point state %d"), (int) state);
      return FALSE;
    }

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_static_string (&value, name);
  return update_cp (self, STMT_CP_SET_STATE, cp_id, &value, error);
}

/**
 * ev_store_set_cp_price:
 * @self: a store
 * @cp_id: the charging point's id
 * @price: its new price per kWh, in EUR
 * @error: return location for an error
 *
 * Records a charging point's price, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_price (EvStore     *self,
                       const char  *cp_id,
                       double       price,
                       GError     **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error) || !check_price (price, error))
    return FALSE;

  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, price);
  return update_cp (self, STMT_CP_SET_PRICE, cp_id, &value, error);
}

/**
 * ev_store_set_cp_location:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is now said to be (as `register` takes it)
 * @error: return location for an error
 *
 * Records a charging point's location, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_location (EvStore     *self,
                          const char  *cp_id,
                          const char  *location,
                          GError     **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error) || !check_location (location, error))
    return FALSE;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, location);
  return update_cp (self, STMT_CP_SET_LOCATION, cp_id, &value, error);
}

/**
 * ev_store_approve_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Approves a charging point that registered pending, in the current
 * batch. (Rejecting one is forgetting it: ev_store_forget_cp().)
 *
 * Returns: %TRUE on success; %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_approve_cp (EvStore     *self,
                     const char  *cp_id,
                     GError     **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error))
    return FALSE;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, 1);
  return update_cp (self, STMT_CP_APPROVE, cp_id, &value, error);
}

/**
 * ev_store_touch_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Records that the charging point was heard from now, in the current
 * batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_touch_cp (EvStore     *self,
                   const char  *cp_id,
                   GError     **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_cp_id (cp_id, error))
    return FALSE;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, now_ms ());
  return update_cp (self, STMT_CP_TOUCH, cp_id, &value, error);
}

static gboolean
touch_driver (EvStore     *self,
              const char  *driver_id,
              GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = borrow_stmt (self, STMT_DRIVER_TOUCH, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, driver_id);
  sqlite3_bind_int64 (stmt, 2, now_ms ());
  return step_done (self, stmt, error);
}

/**
 * ev_store_touch_driver:
 * @self: a store
 * @driver_id: the driver's id (or `station:<cp_id>` for a supply requested
 *   at the station)
 * @error: return location for an error
 *
 * Records that the driver was heard from now, adding it if new, in the
 * current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_touch_driver (EvStore     *self,
                       const char  *driver_id,
                       GError     **error)
{
  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return check_driver_id (driver_id, error) &&
         begin_write (self, error) &&
         touch_driver (self, driver_id, error);
}

/**
 * ev_store_get_driver_key:
 * @self: a store
 * @driver_id: a driver id
 * @out_key: (out) (transfer full) (nullable): the public key (base64) the
 *   id is bound to, or %NULL when it is bound to none
 * @error: return location for an error
 *
 * Returns: %TRUE on success (with or without a key)
 */
gboolean
ev_store_get_driver_key (EvStore     *self,
                         const char  *driver_id,
                         char       **out_key,
                         GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (out_key != NULL, FALSE);

  *out_key = NULL;
  stmt = borrow_stmt (self, STMT_DRIVER_KEY_SELECT, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, driver_id);
  if ((rc = step (self, stmt, error)) == 0)
    return FALSE;
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    *out_key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return TRUE;
}

/**
 * ev_store_bind_driver_key:
 * @self: a store
 * @driver_id: a driver id (added if new)
 * @public_key: the public key (base64) it is bound to from now on
 * @error: return location for an error
 *
 * Binds @driver_id to @public_key, in the current batch: Central then
 * accepts requests for that id signed by that key only.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_bind_driver_key (EvStore     *self,
                          const char  *driver_id,
                          const char  *public_key,
                          GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (!check_driver_id (driver_id, error) || !begin_write (self, error))
    return FALSE;
  stmt = borrow_stmt (self, STMT_DRIVER_KEY_BIND, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, driver_id);
  sqlite3_bind_int64 (stmt, 2, now_ms ());
  bind_text (stmt, 3, public_key);
  return step_done (self, stmt, error);
}

/**
 * ev_store_forget_driver_key:
 * @self: a store
 * @driver_id: a driver id
 * @out_forgotten: (out) (optional): whether the id was bound to a key
 * @error: return location for an error
 *
 * Unbinds @driver_id from its key, in the current batch: its next signed
 * request binds it again (the operator's recovery for a lost key).
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_forget_driver_key (EvStore     *self,
                            const char  *driver_id,
                            gboolean    *out_forgotten,
                            GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);

  if (!check_driver_id (driver_id, error) || !begin_write (self, error))
    return FALSE;
  stmt = borrow_stmt (self, STMT_DRIVER_KEY_FORGET, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, driver_id);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (out_forgotten != NULL)
    *out_forgotten = sqlite3_changes (self->db) > 0;
  return TRUE;
}

/**
 * ev_store_get_cp_keys:
 * @self: a store
 * @cp_id: a charging point's id
 * @out_key: (out) (transfer full) (nullable): its key (base64), %NULL
 *   when Central has issued it none
 * @out_previous: (out) (transfer full) (nullable): the key @out_key
 *   replaced, or %NULL
 * @out_issued_at: (out): when @out_key was issued, ms since the epoch (0
 *   without a key)
 * @error: return location for an error
 *
 * Returns: %TRUE on success (with or without keys);
 *   %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_get_cp_keys (EvStore     *self,
                      const char  *cp_id,
                      char       **out_key,
                      char       **out_previous,
                      gint64      *out_issued_at,
                      GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (out_key != NULL && out_previous != NULL && out_issued_at != NULL, FALSE);

  *out_key = *out_previous = NULL;
  *out_issued_at = 0;
  if (!check_cp_id (cp_id, error))
    return FALSE;
  stmt = borrow_stmt (self, STMT_CP_KEY_SELECT, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, cp_id);
  if ((rc = step (self, stmt, error)) == 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      set_unknown_cp (cp_id, error);
      return FALSE;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    {
      *out_key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *out_issued_at = sqlite3_column_int64 (stmt, 2);
    }
  if (sqlite3_column_type (stmt, 1) == SQLITE_TEXT)
    *out_previous = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  return TRUE;
}

/**
 * ev_store_set_cp_key:
 * @self: a store
 * @cp_id: a charging point's id
 * @key: the key (base64) Central issues it now
 * @issued_at: now, ms since the epoch
 * @error: return location for an error
 *
 * Records a new key for @cp_id in the current batch; its key until now
 * becomes its previous key (Central accepts both for a while).
 *
 * Returns: %TRUE on success; %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_set_cp_key (EvStore     *self,
                     const char  *cp_id,
                     const char  *key,
                     gint64       issued_at,
                     GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!check_cp_id (cp_id, error) || !begin_write (self, error))
    return FALSE;
  stmt = borrow_stmt (self, STMT_CP_KEY_SET, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, cp_id);
  bind_text (stmt, 2, key);
  sqlite3_bind_int64 (stmt, 3, issued_at);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      set_unknown_cp (cp_id, error);
      return FALSE;
    }
  return TRUE;
}

/* Looks up one session with a cached statement whose ?1 is @key.
 * Returns FALSE on error; *out_session is NULL when there is none. */
static gboolean
select_session (EvStore          *self,
                StmtId            id,
                const char       *key,
                EvSupplySession **out_session,
                GError          **error)
{
  g_autoptr(EvBorrowedStmt) stmt = borrow_stmt (self, id, error);
  int rc;

  *out_session = NULL;
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, key);
  if ((rc = step (self, stmt, error)) == 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out_session = session_from_row (stmt);

  return TRUE;
}

/**
 * ev_store_create_session:
 * @self: a store
 * @supply_id: the new supply's id (a UUID)
 * @cp_id: the charging point it is at, which must be registered
 * @driver_id: the driver it is for
 * @price: the price per kWh agreed, in EUR
 * @error: return location for an error
 *
 * Records a supply Central authorised (phase
 * %EV_SUPPLY_PHASE_AUTHORIZED), and touches its driver, in the current
 * batch. Use ev_store_when_committed() before telling anyone about it.
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_IN_PROGRESS if
 *   the charging point or the driver has a supply that has not ended,
 *   %EV_STORE_ERROR_EXISTS if @supply_id is taken,
 *   %EV_STORE_ERROR_NOT_FOUND for an unknown charging point
 */
gboolean
ev_store_create_session (EvStore     *self,
                         const char  *supply_id,
                         const char  *cp_id,
                         const char  *driver_id,
                         double       price,
                         GError     **error)
{
  g_autoptr(EvSupplySession) existing = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_supply_id (supply_id, error) ||
      !check_cp_id (cp_id, error) ||
      !check_driver_id (driver_id, error) ||
      !check_price (price, error))
    return FALSE;

  if (!begin_write (self, error))
    return FALSE;

  {
    g_autoptr(EvBorrowedStmt) cp = borrow_stmt (self, STMT_CP_SELECT_TOKEN, error);

    if (cp == NULL)
      return FALSE;
    bind_text (cp, 1, cp_id);
    if ((rc = step (self, cp, error)) == 0)
      return FALSE;
    if (rc != SQLITE_ROW)
      {
        set_unknown_cp (cp_id, error);
        return FALSE;
      }
  }

  if (!select_session (self, STMT_SESSION_SELECT, supply_id, &existing, error))
    return FALSE;
  if (existing != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS,
                   _("Supply “%s” already exists"), supply_id);
      return FALSE;
    }

  if (!select_session (self, STMT_SESSION_OPEN_BY_CP, cp_id, &existing, error))
    return FALSE;
  if (existing == NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_DRIVER, driver_id, &existing, error))
    return FALSE;
  if (existing != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS,
                   _("Supply “%s” of driver “%s” at charging point “%s” has not ended"),
                   ev_supply_session_get_supply_id (existing),
                   ev_supply_session_get_driver_id (existing),
                   ev_supply_session_get_cp_id (existing));
      return FALSE;
    }

  if (!touch_driver (self, driver_id, error))
    return FALSE;

  if ((stmt = borrow_stmt (self, STMT_SESSION_INSERT, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, supply_id);
  bind_text (stmt, 2, cp_id);
  bind_text (stmt, 3, driver_id);
  sqlite3_bind_double (stmt, 4, price);
  sqlite3_bind_int64 (stmt, 5, now_ms ());

  return step_done (self, stmt, error);
}

static const StmtId progress_stmts[] = { STMT_SESSION_PROGRESS, STMT_SESSION_PROGRESS_PROVISIONAL };

/**
 * ev_store_record_progress:
 * @self: a store
 * @supply_id: the supply's id
 * @seq: the progress message's sequence number (from 1)
 * @kwh: energy so far, in kWh
 * @amount: amount so far, in EUR
 * @started_at: when energy started flowing (ms since the epoch), or 0 if
 *   not known; only the first one given is kept
 * @out_applied: (out) (optional): whether the progress was newer than what
 *   was stored, and so recorded
 * @error: return location for an error
 *
 * Records a supply's progress (phase %EV_SUPPLY_PHASE_SUPPLYING), in the
 * current batch. A @seq not greater than the stored one (a late or
 * duplicate delivery), or progress for a supply that has ended, changes
 * nothing and is not an error — except for a supply Central ended at a
 * fault (#EvSupplySession:provisional), whose figures follow the engine's
 * while its outcome stays.
 *
 * Returns: %TRUE on success (applied or not); %FALSE with @error set for
 *   bad input or an unknown supply
 */
gboolean
ev_store_record_progress (EvStore     *self,
                          const char  *supply_id,
                          guint        seq,
                          double       kwh,
                          double       amount,
                          gint64       started_at,
                          gboolean    *out_applied,
                          GError     **error)
{
  gboolean applied;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_applied != NULL)
    *out_applied = FALSE;

  if (!check_supply_id (supply_id, error) ||
      !check_figures (kwh, amount, error) ||
      !check_time (started_at, error))
    return FALSE;

  if (seq == 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid sequence number 0: progress counts from 1"));
      return FALSE;
    }

  if (!begin_write (self, error))
    return FALSE;

  /* An open supply; else one Central ended at a fault, which follows the
   * engine's meter. */
  applied = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (progress_stmts) && !applied; i++)
    {
      g_autoptr(EvBorrowedStmt) stmt = borrow_stmt (self, progress_stmts[i], error);

      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, supply_id);
      sqlite3_bind_int64 (stmt, 2, seq);
      sqlite3_bind_double (stmt, 3, kwh);
      sqlite3_bind_double (stmt, 4, amount);
      bind_time (stmt, 5, started_at);
      if (!step_done (self, stmt, error))
        return FALSE;
      applied = sqlite3_changes (self->db) > 0;
    }
  if (!applied)
    {
      g_autoptr(EvSupplySession) session = NULL;

      if (!select_session (self, STMT_SESSION_SELECT, supply_id, &session, error))
        return FALSE;
      if (session == NULL)
        {
          set_unknown_supply (supply_id, error);
          return FALSE;
        }
    }

  if (out_applied != NULL)
    *out_applied = applied;
  return TRUE;
}

/**
 * ev_store_finish_session:
 * @self: a store
 * @outcome: the supply as it ended: its id, charging point and driver,
 *   phase %EV_SUPPLY_PHASE_FINISHED (a ticket) or %EV_SUPPLY_PHASE_FAILED
 *   (a fault), final kWh and amount, seq, start and end times (an end of
 *   0 means now) and reason
 * @out_recorded: (out) (optional): %TRUE if this call ended or settled
 *   the supply; %FALSE if it had already ended (a duplicate ticket, or a
 *   second fault), in which case nothing changed
 * @error: return location for an error
 *
 * Records the end of a supply, once: the first ticket or fault for a
 * supply_id is stored, any later one is recognised and ignored, so that
 * Central neither stores nor relays it twice. The one exception: an
 * outcome Central gave at a fault (@outcome's
 * #EvSupplySession:provisional set) is settled by the first outcome that
 * is not provisional — the engine's ticket — which replaces its figures,
 * phase and reason (@out_recorded is then %TRUE). Written in the current
 * batch; use ev_store_when_committed() before relaying it or committing
 * the Kafka offset.
 *
 * Returns: %TRUE on success (recorded or not); %FALSE with @error set for
 *   bad input, an unknown supply, or one that is another charging point's
 *   or driver's
 */
gboolean
ev_store_finish_session (EvStore          *self,
                         EvSupplySession  *outcome,
                         gboolean         *out_recorded,
                         GError          **error)
{
  g_autoptr(EvSupplySession) stored = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  const char *supply_id;
  const char *reason;
  EvSupplyPhase phase;
  gint64 ended_at;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (EV_IS_SUPPLY_SESSION (outcome), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_recorded != NULL)
    *out_recorded = FALSE;

  supply_id = ev_supply_session_get_supply_id (outcome);
  phase = ev_supply_session_get_phase (outcome);
  reason = ev_supply_session_get_reason (outcome);
  ended_at = ev_supply_session_get_ended_at (outcome);

  if (!check_supply_id (supply_id, error) ||
      !check_figures (ev_supply_session_get_kwh (outcome),
                      ev_supply_session_get_amount (outcome), error) ||
      !check_time (ev_supply_session_get_started_at (outcome), error) ||
      !check_time (ended_at, error))
    return FALSE;

  if (phase != EV_SUPPLY_PHASE_FINISHED && phase != EV_SUPPLY_PHASE_FAILED)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Supply “%s” can only end finished or failed"), supply_id);
      return FALSE;
    }

  if (reason != NULL && !text_is_printable (reason, MAX_REASON_BYTES))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid reason for the end of supply “%s”"), supply_id);
      return FALSE;
    }

  if (!begin_write (self, error))
    return FALSE;

  if (!select_session (self, STMT_SESSION_SELECT, supply_id, &stored, error))
    return FALSE;
  if (stored == NULL)
    {
      set_unknown_supply (supply_id, error);
      return FALSE;
    }

  if (g_strcmp0 (ev_supply_session_get_cp_id (stored), ev_supply_session_get_cp_id (outcome)) != 0 ||
      g_strcmp0 (ev_supply_session_get_driver_id (stored), ev_supply_session_get_driver_id (outcome)) != 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Supply “%s” is not at charging point “%s” for driver “%s”"),
                   supply_id,
                   ev_supply_session_get_cp_id (outcome),
                   ev_supply_session_get_driver_id (outcome));
      return FALSE;
    }

  /* Ended already: by a ticket (this is a duplicate), or by Central at a
   * fault, which only the engine's own outcome may settle. */
  if (ev_supply_session_is_concluded (stored) &&
      (!ev_supply_session_get_provisional (stored) || ev_supply_session_get_provisional (outcome)))
    return TRUE;

  if ((stmt = borrow_stmt (self, STMT_SESSION_FINISH, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, supply_id);
  bind_text (stmt, 2, phase_names[phase]);
  sqlite3_bind_int64 (stmt, 3, ev_supply_session_get_seq (outcome));
  sqlite3_bind_double (stmt, 4, ev_supply_session_get_kwh (outcome));
  sqlite3_bind_double (stmt, 5, ev_supply_session_get_amount (outcome));
  bind_time (stmt, 6, ev_supply_session_get_started_at (outcome));
  sqlite3_bind_int64 (stmt, 7, ended_at > 0 ? ended_at : now_ms ());
  bind_text (stmt, 8, reason);
  sqlite3_bind_int (stmt, 9, ev_supply_session_get_provisional (outcome) ? 1 : 0);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (out_recorded != NULL)
    *out_recorded = sqlite3_changes (self->db) > 0;
  return TRUE;
}

/**
 * ev_store_lookup_session:
 * @self: a store
 * @supply_id: a supply's id
 * @error: return location for an error
 *
 * Looks a supply up, whether in progress or ended (for a driver that
 * recovers after a crash).
 *
 * Returns: (transfer full): the supply, or %NULL with @error set
 *   (%EV_STORE_ERROR_NOT_FOUND if there is none)
 */
EvSupplySession *
ev_store_lookup_session (EvStore     *self,
                         const char  *supply_id,
                         GError     **error)
{
  EvSupplySession *session = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_supply_id (supply_id, error) ||
      !select_session (self, STMT_SESSION_SELECT, supply_id, &session, error))
    return NULL;

  if (session == NULL)
    set_unknown_supply (supply_id, error);

  return session;
}

/**
 * ev_store_find_open_session:
 * @self: a store
 * @cp_id: (nullable): a charging point's id
 * @driver_id: (nullable): a driver's id
 * @error: return location for an error
 *
 * Finds the supply that has not ended at @cp_id, or else of @driver_id;
 * there is at most one of each. Give at least one of them.
 *
 * Returns: (transfer full) (nullable): the supply, or %NULL if there is
 *   none (@error unset) or on error (@error set)
 */
EvSupplySession *
ev_store_find_open_session (EvStore     *self,
                            const char  *cp_id,
                            const char  *driver_id,
                            GError     **error)
{
  EvSupplySession *session = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (cp_id != NULL || driver_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((cp_id != NULL && !check_cp_id (cp_id, error)) ||
      (driver_id != NULL && !check_driver_id (driver_id, error)))
    return NULL;

  if (cp_id != NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_CP, cp_id, &session, error))
    return NULL;

  if (session == NULL && driver_id != NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_DRIVER, driver_id, &session, error))
    return NULL;

  return session;
}

/**
 * ev_store_load_open_sessions:
 * @self: a store
 * @error: return location for an error
 *
 * Loads every supply that has not ended, oldest authorisation first: what
 * Central resumes following after a restart.
 *
 * Returns: (transfer full) (element-type EvSupplySession): the supplies,
 *   or %NULL with @error set
 */
GPtrArray *
ev_store_load_open_sessions (EvStore  *self,
                             GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((stmt = borrow_stmt (self, STMT_SESSION_OPEN_ALL, error)) == NULL)
    return NULL;

  return collect_sessions (self, stmt, error);
}

/**
 * ev_store_load_history:
 * @self: a store
 * @driver_id: (nullable): only this driver's supplies, or %NULL for all
 * @limit: at most this many, or 0 for all
 * @error: return location for an error
 *
 * Loads ended supplies (tickets and faults), the most recently ended
 * first.
 *
 * Returns: (transfer full) (element-type EvSupplySession): the supplies,
 *   or %NULL with @error set
 */
GPtrArray *
ev_store_load_history (EvStore     *self,
                       const char  *driver_id,
                       guint        limit,
                       GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (driver_id != NULL && !check_driver_id (driver_id, error))
    return NULL;

  stmt = borrow_stmt (self,
                      driver_id != NULL ? STMT_SESSION_HISTORY_BY_DRIVER : STMT_SESSION_HISTORY,
                      error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  if (driver_id != NULL)
    bind_text (stmt, 2, driver_id);

  return collect_sessions (self, stmt, error);
}

/**
 * ev_store_record_denial:
 * @self: a store
 * @request_id: the denied request's id
 * @reason: why, as on the wire (`cp-busy`…)
 * @error: return location for an error
 *
 * Remembers that Central denied @request_id, in the current batch; the
 * first reason recorded for a request stays.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_record_denial (EvStore     *self,
                        const char  *request_id,
                        const char  *reason,
                        GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (request_id != NULL && reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!begin_write (self, error))
    return FALSE;
  stmt = borrow_stmt (self, STMT_DENIAL_INSERT, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, request_id);
  bind_text (stmt, 2, reason);
  sqlite3_bind_int64 (stmt, 3, now_ms ());
  return step_done (self, stmt, error);
}

/**
 * ev_store_lookup_denial:
 * @self: a store
 * @request_id: a request's id
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the reason @request_id was denied,
 *   or %NULL if it was not (or on error, with @error set)
 */
char *
ev_store_lookup_denial (EvStore     *self,
                        const char  *request_id,
                        GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (request_id != NULL, NULL);

  stmt = borrow_stmt (self, STMT_DENIAL_SELECT, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, request_id);
  if ((rc = step (self, stmt, error)) == 0 || rc != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
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

  if (!check_time (time_ms, error) ||
      !check_log_entry (event, cp_id, message, error))
    return FALSE;

  if (!begin_write (self, error) ||
      (stmt = borrow_stmt (self, STMT_LOG_INSERT, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_ms > 0 ? time_ms : now_ms ());
  sqlite3_bind_int (stmt, 2, level);
  bind_text (stmt, 3, event);
  bind_text (stmt, 4, cp_id);
  bind_text (stmt, 5, message);
  if (!step_done (self, stmt, error))
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

  if (!begin_write (self, error) ||
      (stmt = borrow_stmt (self, STMT_OUTBOX_INSERT, error)) == NULL)
    return FALSE;
  bind_text (stmt, 1, topic);
  bind_text (stmt, 2, key);
  sqlite3_bind_blob (stmt, 3, payload, (int) length, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, now_ms ());
  if (!step_done (self, stmt, &local))
    {
      g_clear_pointer (&stmt, borrowed_stmt_release);
      /* SQLite left the transaction open: what it holds must not commit
       * without this row. */
      if (self->in_batch)
        {
          run_simple (self, STMT_ROLLBACK, NULL);
          lose_batch (self, local);
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

  if (!begin_write (self, error) ||
      (stmt = borrow_stmt (self, STMT_OUTBOX_DELETE, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return step_done (self, stmt, error);
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

  if ((stmt = borrow_stmt (self, STMT_OUTBOX_LOAD, error)) == NULL)
    return NULL;

  return collect_store_rows (self, stmt, (RowFunc) outbox_entry_from_row,
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
  reader->db = open_db (path, SQLITE_OPEN_READONLY, &version, error);
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
  sqlite3_stmt *stmt = borrow_cached (reader->db, &reader->stmts[id], reader_stmt_sql[id], error);

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  if (sqlite3_bind_parameter_count (stmt) >= 2)
    bind_text (stmt, 2, pattern);
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
  if (!exec_sql (reader->db, "BEGIN", error))
    return NULL;

  {
    g_autoptr(EvBorrowedStmt) stmt = reader_borrow (reader, search_id, limit, pattern, error);

    if (stmt != NULL)
      rows = collect_rows (reader->db, stmt, from_row, free_func, error);
  }

  /* Fewer rows than the limit are all there is; only more need counting. */
  if (rows != NULL && out_total != NULL && (limit == 0 || rows->len < limit))
    {
      *out_total = rows->len;
    }
  else if (rows != NULL && out_total != NULL)
    {
      g_autoptr(EvBorrowedStmt) count = reader_borrow (reader, count_id, 0, pattern, error);

      if (count == NULL || db_step (reader->db, count, error) == 0)
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
                        text, limit, (RowFunc) log_record_from_row,
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
 * Returns: (transfer full) (element-type EvSupplySession): the supplies,
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
                        text, limit, (RowFunc) session_from_row,
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

  while ((rc = db_step (reader->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(EvSupplySession) session = session_from_row (stmt);

      if (!func (session, user_data))
        break;
    }

  return rc != 0;
}

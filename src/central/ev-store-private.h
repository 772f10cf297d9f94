/* ev-store-private.h: what the files of EvStore share and no one else
 * sees: the store's structure, its prepared statements and its checks. */

#pragma once

#include <sqlite3.h>

#include "ev-store.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ev-protocol.h"

G_BEGIN_DECLS

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
  STMT_DRIVER_SELECT,
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
  STMT_SESSION_OCPP_START,
  STMT_SESSION_OCPP_SELECT,
  STMT_SESSION_OCPP_LOOKUP,
  STMT_DENIAL_INSERT,
  STMT_DENIAL_SELECT,
  STMT_LOG_INSERT,
  STMT_LOG_TRIM,
  STMT_OUTBOX_INSERT,
  STMT_OUTBOX_DELETE,
  STMT_OUTBOX_LOAD,
  N_STMTS
} StmtId;

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

#define BUSY_TIMEOUT_MS 5000
#define TOKEN_BYTES 32
#define SALT_BYTES 16
#define MAX_REASON_CHARS 64
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

typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

EvSupply *store_session_from_row (sqlite3_stmt *stmt);

EvLogRecord *store_log_record_from_row (sqlite3_stmt *stmt);

gboolean store_check_cp_id (const char *cp_id, GError **error);

gboolean store_check_driver_id (const char *driver_id, GError **error);

gboolean store_check_supply_id (const char *supply_id, GError **error);

gboolean store_check_text (const char *text, const char *field, long max_chars, GError **error);

gboolean store_check_number (double value, const char *field, GError **error);

gboolean store_check_time (gint64 ms, GError **error);

gboolean store_check_log_entry (const char *event, const char *cp_id, const char *message, GError **error);

void store_set_unknown_cp (const char *cp_id, GError **error);

void store_set_unknown_supply (const char *supply_id, GError **error);

gboolean store_equal_in_constant_time (const char *a, const char *b);

int store_wal_hook_cb (void *user_data, sqlite3 *db, const char *db_name, int wal_pages);

Checkpointer *store_checkpointer_start (const char *path, GError **error);

void store_checkpointer_stop (Checkpointer *checkpointer);

void store_catch_up_wal (EvStore *self);

extern const char * const store_migrations[];

extern const char * const store_stmt_sql[];

void store_set_db_error (sqlite3 *db, int rc, GError **error);

void store_set_sqlite_error (EvStore *self, int rc, GError **error);

gboolean store_exec_sql (sqlite3 *db, const char *sql, GError **error);

void store_set_open_error (const char *path, const GError *cause, GError **error);

sqlite3 *store_open_db (const char *path, int flags, int *out_version, GError **error);

gboolean store_apply_migration (EvStore *self, int version, GError **error);

gboolean store_touch_driver (EvStore *self, const char *driver_id, GError **error);

/* A cached statement, reset and unbound when it goes out of scope. */
typedef sqlite3_stmt EvBorrowedStmt;

void store_borrowed_stmt_release (EvBorrowedStmt *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvBorrowedStmt, store_borrowed_stmt_release)

gint64 store_now_ms (void);

void store_lose_batch (EvStore *self, const GError *cause);

EvBorrowedStmt *store_borrow_cached (sqlite3 *db, sqlite3_stmt **slot, const char *sql, GError **error);

EvBorrowedStmt *store_borrow_stmt (EvStore *self, StmtId id, GError **error);

int store_db_step (sqlite3 *db, sqlite3_stmt *stmt, GError **error);

int store_step (EvStore *self, sqlite3_stmt *stmt, GError **error);

gboolean store_step_done (EvStore *self, sqlite3_stmt *stmt, GError **error);

gboolean store_run_simple (EvStore *self, StmtId id, GError **error);

void store_bind_text (sqlite3_stmt *stmt, int index, const char *text);

void store_bind_time (sqlite3_stmt *stmt, int index, gint64 ms);

gboolean store_begin_write (EvStore *self, GError **error);

GPtrArray *store_collect_rows (sqlite3 *db, sqlite3_stmt *stmt, RowFunc from_row, GDestroyNotify free_func,
                               GError **error);

GPtrArray *store_collect_store_rows (EvStore *self, sqlite3_stmt *stmt, RowFunc from_row, GDestroyNotify free_func,
                                     GError **error);

G_END_DECLS

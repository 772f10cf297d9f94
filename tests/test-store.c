#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <sqlite3.h>

#include "ev-store.h"
#include "test-utils.h"

#define SUPPLY_1 "0b6c2d86-51a4-4f1e-9a57-2f0d7c1e6a01"
#define SUPPLY_2 "0b6c2d86-51a4-4f1e-9a57-2f0d7c1e6a02"
#define SUPPLY_3 "0b6c2d86-51a4-4f1e-9a57-2f0d7c1e6a03"
#define SUPPLY_4 "0b6c2d86-51a4-4f1e-9a57-2f0d7c1e6a04"
#define UNKNOWN_SUPPLY "0b6c2d86-51a4-4f1e-9a57-2f0d7c1e6aff"

/* The crash tests run a copy of this program as the writer they kill. */
static const char *crash_writer_flag = "--crash-writer";
#define CRASH_BATCH 50

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = ev_test_make_tmpdir ();
  /* Nested, so that every test also checks that folders are created. */
  fixture->path = g_build_filename (fixture->dir, "data", "central", "central.db", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  ev_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static EvStore *
open_store (const char *path,
            guint       flush_interval)
{
  g_autoptr(GError) error = NULL;
  EvStore *store;

  store = g_initable_new (EV_TYPE_STORE, NULL, &error,
                          "path", path,
                          "flush-interval", flush_interval,
                          NULL);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* A second connection, as another process would see the file: it sees only
 * what was committed. */
static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static char *
raw_text (const char *path,
          const char *sql)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static gint64
raw_int (const char *path,
         const char *sql)
{
  g_autofree char *text = raw_text (path, sql);

  g_assert_nonnull (text);
  return g_ascii_strtoll (text, NULL, 10);
}

static GBytes *
file_bytes (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static gboolean
bytes_contain (GBytes     *bytes,
               const char *needle)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  size_t len = strlen (needle);

  for (gsize i = 0; len <= size && i <= size - len; i++)
    {
      if (memcmp (data + i, needle, len) == 0)
        return TRUE;
    }
  return FALSE;
}

static char *
register_cp (EvStore    *store,
             const char *cp_id,
             double      price)
{
  g_autoptr(GError) error = NULL;
  char *token;

  token = ev_store_register_cp (store, cp_id, "Alicante, Av. Maisonnave 12", price, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static void
create_session (EvStore    *store,
                const char *supply_id,
                const char *cp_id,
                const char *driver_id)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ev_store_create_session (store, supply_id, cp_id, driver_id, 0.35, &error));
  g_assert_no_error (error);
}

static EvSupply *
make_outcome (const char    *supply_id,
              const char    *cp_id,
              const char    *driver_id,
              EvSupplyPhase  phase,
              double         kwh,
              gint64         ended_at,
              const char    *reason)
{
  EvSupply *outcome = ev_supply_new (supply_id, cp_id, driver_id);

  ev_supply_set_phase (outcome, phase);
  ev_supply_set_price (outcome, 0.35);
  ev_supply_set_kwh (outcome, kwh);
  ev_supply_set_amount (outcome, kwh * 0.35);
  ev_supply_set_started_at (outcome, 1000);
  ev_supply_set_ended_at (outcome, ended_at);
  ev_supply_set_reason (outcome, reason);
  return outcome;
}

static gboolean
finish (EvStore         *store,
        EvSupply *outcome)
{
  g_autoptr(GError) error = NULL;
  gboolean recorded = -1;

  g_assert_true (ev_store_finish_session (store, outcome, &recorded, &error));
  g_assert_no_error (error);
  g_assert_cmpint (recorded, !=, -1);
  g_object_unref (outcome);
  return recorded;
}

static EvSupply *
lookup (EvStore    *store,
        const char *supply_id)
{
  g_autoptr(GError) error = NULL;
  EvSupply *session;

  session = ev_store_lookup_session (store, supply_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  return session;
}

/* Opening and migrations */

static void
test_open_fresh (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;
  EvStore *store;

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ev_store_get_path (store), ==, fixture->path);
  g_assert_cmpuint (ev_store_get_flush_interval (store), ==, 100);
  g_assert_false (ev_store_has_pending (store));
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION);
  mode = raw_text (fixture->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");

  /* Opening again applies nothing twice. */
  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (store);
  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION);
}

/* The shape of a database written by the first release (schema 1). */
static const char schema_1[] =
  "CREATE TABLE charging_points (cp_id TEXT PRIMARY KEY NOT NULL, location TEXT NOT NULL,"
  "  price REAL NOT NULL CHECK (price >= 0), state TEXT NOT NULL DEFAULT 'DISCONNECTED',"
  "  registered_at INTEGER NOT NULL, last_seen INTEGER);"
  "CREATE TABLE drivers (driver_id TEXT PRIMARY KEY NOT NULL, first_seen INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL);"
  "CREATE TABLE sessions (supply_id TEXT PRIMARY KEY NOT NULL,"
  "  cp_id TEXT NOT NULL REFERENCES charging_points (cp_id),"
  "  driver_id TEXT NOT NULL REFERENCES drivers (driver_id),"
  "  price REAL NOT NULL CHECK (price >= 0), kwh REAL NOT NULL DEFAULT 0 CHECK (kwh >= 0),"
  "  amount REAL NOT NULL DEFAULT 0 CHECK (amount >= 0), seq INTEGER NOT NULL DEFAULT 0,"
  "  phase TEXT NOT NULL, reason TEXT, authorised_at INTEGER NOT NULL, started_at INTEGER,"
  "  ended_at INTEGER);"
  "CREATE INDEX sessions_by_cp ON sessions (cp_id);"
  "PRAGMA user_version = 1;";

static void
test_migrate_from_v1 (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *token = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  EvSupply *ticket;
  EvStore *store;
  sqlite3 *db;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  db = raw_open (fixture->path);
  raw_exec (db, schema_1);
  raw_exec (db,
            "INSERT INTO charging_points VALUES ('OLD-1', 'Elche', 0.30, 'ACTIVE', 100, 200);"
            "INSERT INTO drivers VALUES ('d1', 100, 200);"
            "INSERT INTO sessions VALUES ('" SUPPLY_1 "', 'OLD-1', 'd1', 0.30, 5.0, 1.5, 7,"
            "  'finished', 'unplugged', 100, 150, 2000);");
  sqlite3_close (db);

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);

  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 1);
  g_assert_cmpstr (ev_charging_point_get_cp_id (cps->pdata[0]), ==, "OLD-1");
  g_assert_cmpstr (ev_charging_point_get_location (cps->pdata[0]), ==, "Elche");
  g_assert_cmpfloat (ev_charging_point_get_price (cps->pdata[0]), ==, 0.30);
  g_assert_cmpint (ev_charging_point_get_state (cps->pdata[0]), ==, EV_CP_STATE_ACTIVE);

  history = ev_store_load_history (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  ticket = history->pdata[0];
  g_assert_cmpstr (ev_supply_get_supply_id (ticket), ==, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (ticket), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (ticket), ==, 5.0);
  g_assert_cmpuint (ev_supply_get_seq (ticket), ==, 7);
  g_assert_cmpint (ev_supply_get_ended_at (ticket), ==, 2000);
  g_assert_cmpstr (ev_supply_get_reason (ticket), ==, "unplugged");

  /* Registered before tokens existed: it must register again, and may. */
  g_assert_false (ev_store_verify_token (store, "OLD-1", "anything", &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN);
  g_clear_error (&error);
  token = register_cp (store, "OLD-1", 0.30);
  g_assert_true (ev_store_verify_token (store, "OLD-1", token, &error));
  g_assert_no_error (error);

  g_clear_pointer (&cps, g_ptr_array_unref);
  g_clear_pointer (&history, g_ptr_array_unref);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM drivers"), ==, 1);
}

static void
assert_refused_untouched (const char *path,
                          int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) before = file_bytes (path);
  g_autoptr(GBytes) after = NULL;
  EvStore *store;

  store = ev_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, EV_STORE_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));

  after = file_bytes (path);
  g_assert_true (g_bytes_equal (before, after));
}

static void
test_newer_version_refused (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *sql = NULL;
  sqlite3 *db;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  db = raw_open (fixture->path);
  raw_exec (db, schema_1);
  sql = g_strdup_printf ("INSERT INTO charging_points VALUES ('CP1', 'x', 0.3, 'ACTIVE', 1, 1);"
                         "PRAGMA user_version = %d;", EV_STORE_SCHEMA_VERSION + 1);
  raw_exec (db, sql);
  sqlite3_close (db);

  assert_refused_untouched (fixture->path, EV_STORE_ERROR_TOO_NEW);
  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION + 1);
}

static void
test_not_a_database_refused (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *foreign = g_build_filename (dir, "other.db", NULL);
  sqlite3 *db;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);

  /* A short text file, then a longer one spanning several pages. */
  g_file_set_contents (fixture->path, "my notes, not a database\n", -1, &error);
  g_assert_no_error (error);
  assert_refused_untouched (fixture->path, EV_STORE_ERROR_NOT_A_DATABASE);

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text, "line %u of somebody's important file\n", i);
  g_file_set_contents (fixture->path, text->str, text->len, &error);
  g_assert_no_error (error);
  assert_refused_untouched (fixture->path, EV_STORE_ERROR_NOT_A_DATABASE);

  /* A real SQLite database, but another program's. */
  db = raw_open (foreign);
  raw_exec (db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);"
                "INSERT INTO photos (name) VALUES ('beach');");
  sqlite3_close (db);
  assert_refused_untouched (foreign, EV_STORE_ERROR_NOT_A_DATABASE);
}

/* Charging points */

static void
test_register_and_verify (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *token = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *token_2 = NULL;
  g_autofree char *token_3 = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *salt = NULL;
  g_autofree char *salt_2 = NULL;
  EvStore *store = open_store (fixture->path, 100);
  char *again;

  token = register_cp (store, "CP1", 0.35);
  g_assert_cmpuint (strlen (token), >=, 32);

  g_assert_true (ev_store_verify_token (store, "CP1", token, &error));
  g_assert_no_error (error);

  wrong = g_strdup (token);
  wrong[strlen (wrong) - 1] = wrong[strlen (wrong) - 1] == 'a' ? 'b' : 'a';
  g_assert_false (ev_store_verify_token (store, "CP1", wrong, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_BAD_TOKEN);
  g_clear_error (&error);
  g_assert_false (ev_store_verify_token (store, "CP1", "", &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_BAD_TOKEN);
  g_clear_error (&error);
  g_assert_false (ev_store_verify_token (store, "CP9", token, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ev_store_verify_token (store, "CP 1", token, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A registered CP with a token cannot be taken over by registering. */
  again = ev_store_register_cp (store, "CP1", "Elsewhere", 0.10, &error);
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS);
  g_assert_null (again);
  g_clear_error (&error);
  g_assert_true (ev_store_verify_token (store, "CP1", token, NULL));

  /* Registration is on disk as soon as the token is handed out. */
  g_assert_false (ev_store_has_pending (store));
  hash = raw_text (fixture->path, "SELECT token_hash FROM charging_points WHERE cp_id = 'CP1'");
  salt = raw_text (fixture->path, "SELECT token_salt FROM charging_points WHERE cp_id = 'CP1'");
  g_assert_nonnull (hash);
  g_assert_nonnull (salt);
  g_assert_cmpstr (hash, !=, token);
  g_assert_null (strstr (hash, token));
  g_assert_null (strstr (token, hash));

  token_2 = register_cp (store, "CP2", 0.35);
  g_assert_cmpstr (token_2, !=, token);
  salt_2 = raw_text (fixture->path, "SELECT token_salt FROM charging_points WHERE cp_id = 'CP2'");
  g_assert_cmpstr (salt_2, !=, salt);
  g_assert_false (ev_store_verify_token (store, "CP2", token, NULL));

  /* The operator resets CP1: its old token stops working, and it may
   * register again for a new one. */
  g_assert_true (ev_store_reset_token (store, "CP1", &error));
  g_assert_no_error (error);
  g_assert_false (ev_store_verify_token (store, "CP1", token, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN);
  g_clear_error (&error);
  token_3 = register_cp (store, "CP1", 0.40);
  g_assert_cmpstr (token_3, !=, token);
  g_assert_true (ev_store_verify_token (store, "CP1", token_3, NULL));
  g_assert_false (ev_store_verify_token (store, "CP1", token, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_BAD_TOKEN);
  g_clear_error (&error);

  g_assert_false (ev_store_reset_token (store, "CP9", &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_finalize_object (store);

  /* No token is anywhere in the file. */
  contents = file_bytes (fixture->path);
  g_assert_false (bytes_contain (contents, token_3));
  g_assert_false (bytes_contain (contents, token_2));
  g_assert_true (bytes_contain (contents, "CP2"));
}

static EvChargingPoint *
find_cp (GPtrArray  *cps,
         const char *cp_id)
{
  for (guint i = 0; i < cps->len; i++)
    {
      if (g_str_equal (ev_charging_point_get_cp_id (cps->pdata[i]), cp_id))
        return cps->pdata[i];
    }
  g_assert_not_reached ();
}

/* A registration repeated with its nonce gets a working token again; any
 * other is refused. A forgotten CP leaves the list, keeps its history, and
 * may register anew; forgetting waits for its supply to end. */
static void
test_register_nonce_and_forget (Fixture       *fixture,
                                gconstpointer  data)
{
  static const char nonce[] = "00112233445566778899aabbccddeeff";
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  g_autofree char *anew = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) history = NULL;
  EvStore *store = open_store (fixture->path, 100);

  first = ev_store_register_cp_with_nonce (store, "CP1", "Here", 0.35, nonce, &error);
  g_assert_no_error (error);
  again = ev_store_register_cp_with_nonce (store, "CP1", "Here", 0.35, nonce, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_true (ev_store_verify_token (store, "CP1", again, NULL));

  other = ev_store_register_cp_with_nonce (store, "CP1", "Here", 0.35, "ffeeddccbbaa99887766554433221100", &error);
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS);
  g_assert_null (other);
  g_clear_error (&error);
  other = ev_store_register_cp (store, "CP1", "Here", 0.35, &error);
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (ev_store_verify_token (store, "CP1", again, NULL));

  /* Forgetting waits for the supply to end. */
  create_session (store, SUPPLY_1, "CP1", "d1");
  g_assert_false (ev_store_forget_cp (store, "CP1", &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS);
  g_clear_error (&error);
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED,
                                              1.5, 2000, "unplugged")));

  g_assert_true (ev_store_forget_cp (store, "CP1", &error));
  g_assert_no_error (error);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 0);
  g_assert_false (ev_store_verify_token (store, "CP1", again, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ev_store_forget_cp (store, "CP1", &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* The nonce went with it. */
  other = ev_store_register_cp_with_nonce (store, "CP9", "There", 0.35, nonce, &error);
  g_assert_no_error (error);
  g_clear_pointer (&other, g_free);
  history = ev_store_load_history (store, NULL, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);

  anew = ev_store_register_cp (store, "CP1", "Elsewhere", 0.40, &error);
  g_assert_no_error (error);
  g_assert_true (ev_store_verify_token (store, "CP1", anew, NULL));
  g_clear_pointer (&cps, g_ptr_array_unref);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_cmpuint (cps->len, ==, 2);
  g_assert_cmpstr (ev_charging_point_get_location (g_ptr_array_index (cps, 0)), ==, "Elsewhere");

  /* Without history, the row goes. */
  g_assert_true (ev_store_forget_cp (store, "CP9", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (store);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM charging_points WHERE cp_id = 'CP9'"), ==, 0);
}

/* Schema 7: a CP registered pending stays so (a repeated registration
 * too) until approved; forgotten and registered again, it is pending
 * again; approving an unknown CP fails. */
static void
test_cp_approval (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autofree char *token = NULL;
  g_autofree char *again = NULL;
  g_autofree char *approved = NULL;
  EvStore *store = open_store (fixture->path, 60000);

  token = ev_store_register_cp_pending (store, "CP-P", "Elda", 0.30, "0123456789abcdef0123", TRUE, &error);
  g_assert_no_error (error);
  approved = ev_store_register_cp_pending (store, "CP-A", "Elda", 0.30, NULL, FALSE, &error);
  g_assert_no_error (error);
  again = ev_store_register_cp_pending (store, "CP-P", "Elda", 0.30, "0123456789abcdef0123", FALSE, &error);
  g_assert_no_error (error);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_true (ev_charging_point_get_pending (find_cp (cps, "CP-P")));
  g_assert_false (ev_charging_point_get_pending (find_cp (cps, "CP-A")));
  g_clear_pointer (&cps, g_ptr_array_unref);

  g_assert_true (ev_store_approve_cp (store, "CP-P", &error));
  g_assert_no_error (error);
  g_assert_false (ev_store_approve_cp (store, "CP-NONE", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_false (ev_charging_point_get_pending (find_cp (cps, "CP-P")));
  g_clear_pointer (&cps, g_ptr_array_unref);

  g_assert_true (ev_store_forget_cp (store, "CP-P", &error));
  g_clear_pointer (&token, g_free);
  token = ev_store_register_cp_pending (store, "CP-P", "Elda", 0.30, NULL, TRUE, &error);
  g_assert_no_error (error);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_true (ev_charging_point_get_pending (find_cp (cps, "CP-P")));
  g_clear_pointer (&cps, g_ptr_array_unref);
  g_assert_finalize_object (store);
}

/* The keys Central issues a CP: a new one pushes the current one into
 * "previous", both survive a reopening, and an unknown id is an error. */
static void
test_cp_keys (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = NULL;
  g_autofree char *previous = NULL;
  gint64 issued_at = -1;
  EvStore *store = open_store (fixture->path, 60000);

  token = ev_store_register_cp (store, "CP-K", "Elda", 0.30, &error);
  g_assert_no_error (error);
  g_assert_true (ev_store_get_cp_keys (store, "CP-K", &key, &previous, &issued_at, &error));
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_null (previous);
  g_assert_cmpint (issued_at, ==, 0);

  g_assert_true (ev_store_set_cp_key (store, "CP-K", "first", 1000, &error));
  g_assert_true (ev_store_set_cp_key (store, "CP-K", "second", 2000, &error));
  g_assert_no_error (error);
  g_assert_false (ev_store_set_cp_key (store, "CP-NONE", "third", 3000, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_finalize_object (store);

  store = open_store (fixture->path, 60000);
  g_assert_true (ev_store_get_cp_keys (store, "CP-K", &key, &previous, &issued_at, &error));
  g_assert_cmpstr (key, ==, "second");
  g_assert_cmpstr (previous, ==, "first");
  g_assert_cmpint (issued_at, ==, 2000);
  g_clear_pointer (&key, g_free);
  g_clear_pointer (&previous, g_free);
  g_assert_false (ev_store_get_cp_keys (store, "CP-NONE", &key, &previous, &issued_at, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_assert_finalize_object (store);
}

/* Every column ev_store_set_cp_column() knows is written as given and
 * read back from the file; anything else is refused and writes nothing. */
static void
test_cp_columns (Fixture       *fixture,
                 gconstpointer  data)
{
  struct
  {
    const char *column;
    GType type;
    const char *text;
    double number;
    gint64 integer;
    const char *stored;
  } columns[] = {
    { "state", G_TYPE_STRING, "SUPPLYING", 0, 0, "SUPPLYING" },
    { "price", G_TYPE_DOUBLE, NULL, 0.45, 0, "0.45" },
    { "location", G_TYPE_STRING, "Dock 7, Elda", 0, 0, "Dock 7, Elda" },
    { "approved", G_TYPE_BOOLEAN, NULL, 0, TRUE, "1" },
    { "last_seen", G_TYPE_INT64, NULL, 0, 1700000000123, "1700000000123" },
  };
  const char *refused[] = { "cp_id", "token_hash", "registered_at", "price = 0 --", "", "PRICE" };
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_auto(GValue) wrong = G_VALUE_INIT;
  EvStore *store = open_store (fixture->path, 60000);

  token = ev_store_register_cp_pending (store, "CP1", "Elda", 0.30, NULL, TRUE, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, columns[i].type);
      if (columns[i].type == G_TYPE_STRING)
        g_value_set_string (&value, columns[i].text);
      else if (columns[i].type == G_TYPE_DOUBLE)
        g_value_set_double (&value, columns[i].number);
      else if (columns[i].type == G_TYPE_BOOLEAN)
        g_value_set_boolean (&value, columns[i].integer);
      else
        g_value_set_int64 (&value, columns[i].integer);
      g_assert_true (ev_store_set_cp_column (store, "CP1", columns[i].column, &value, &error));
      g_assert_no_error (error);

      g_assert_false (ev_store_set_cp_column (store, "CP9", columns[i].column, &value, &error));
      g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }

  g_value_init (&wrong, G_TYPE_DOUBLE);
  g_value_set_double (&wrong, 9.0);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_false (ev_store_set_cp_column (store, "CP1", refused[i], &wrong, &error));
      g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  /* A value of another type, or out of range, is refused too. */
  g_assert_false (ev_store_set_cp_column (store, "CP1", "location", &wrong, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_value_set_double (&wrong, -1.0);
  g_assert_false (ev_store_set_cp_column (store, "CP1", "price", &wrong, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_value_unset (&wrong);
  g_value_init (&wrong, G_TYPE_STRING);
  g_value_set_static_string (&wrong, "ON FIRE");
  g_assert_false (ev_store_set_cp_column (store, "CP1", "state", &wrong, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ev_store_set_cp_column (store, "CP 1", "state", &wrong, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_finalize_object (store);

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT %s FROM charging_points WHERE cp_id = 'CP1'",
                                              columns[i].column);
      g_autofree char *stored = raw_text (fixture->path, sql);

      g_assert_cmpstr (stored, ==, columns[i].stored);
    }
}

static void
test_cp_updates (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autofree char *token_1 = NULL;
  g_autofree char *token_2 = NULL;
  EvStore *store = open_store (fixture->path, 60000);

  token_1 = register_cp (store, "CP1", 0.30);
  token_2 = register_cp (store, "CP2", 0.30);

  g_assert_true (ev_store_set_cp_state (store, "CP1", EV_CP_STATE_SUPPLYING, &error));
  g_assert_true (ev_store_set_cp_price (store, "CP2", 0.45, &error));
  g_assert_true (ev_store_touch_cp (store, "CP1", &error));
  g_assert_no_error (error);
  g_assert_false (ev_store_set_cp_state (store, "CP9", EV_CP_STATE_ACTIVE, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Reads see the batch before it is committed. */
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 2);
  g_assert_cmpint (ev_charging_point_get_state (find_cp (cps, "CP1")), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpfloat (ev_charging_point_get_price (find_cp (cps, "CP2")), ==, 0.45);
  g_clear_pointer (&cps, g_ptr_array_unref);

  /* Closing commits what is pending. */
  g_assert_finalize_object (store);

  store = open_store (fixture->path, 100);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 2);
  g_assert_cmpstr (ev_charging_point_get_cp_id (cps->pdata[0]), ==, "CP1");
  g_assert_cmpint (ev_charging_point_get_state (cps->pdata[0]), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpstr (ev_charging_point_get_location (cps->pdata[0]), ==, "Alicante, Av. Maisonnave 12");
  g_assert_cmpfloat (ev_charging_point_get_price (cps->pdata[1]), ==, 0.45);
  g_assert_cmpint (ev_charging_point_get_state (cps->pdata[1]), ==, EV_CP_STATE_DISCONNECTED);
  g_clear_pointer (&cps, g_ptr_array_unref);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "SELECT last_seen IS NOT NULL FROM charging_points WHERE cp_id = 'CP1'"), ==, 1);
  g_assert_cmpint (raw_int (fixture->path, "SELECT last_seen IS NULL FROM charging_points WHERE cp_id = 'CP2'"), ==, 1);
}

static void
assert_invalid (gboolean    ok,
                GError     *error,
                const char *call)
{
  if (ok || error == NULL)
    g_error ("%s was accepted", call);
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpstr (error->message, !=, "");
}

#define ASSERT_INVALID(call) \
  G_STMT_START { \
    g_autoptr(GError) e_ = NULL; \
    GError **error = &e_; \
    gboolean ok_ = (call) ? TRUE : FALSE; \
    assert_invalid (ok_, e_, #call); \
  } G_STMT_END

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(EvSupply) requested = NULL;
  g_autoptr(EvSupply) bad_reason = NULL;
  g_autofree char *token = NULL;
  gboolean applied = TRUE;
  EvStore *store = open_store (fixture->path, 60000);

  token = register_cp (store, "CP1", 0.30);
  create_session (store, SUPPLY_1, "CP1", "d1");
  /* Pending in the open batch while the bad calls come in. */
  g_assert_true (ev_store_set_cp_state (store, "CP1", EV_CP_STATE_WAITING, &error));
  g_assert_no_error (error);

  ASSERT_INVALID (ev_store_register_cp (store, "", "x", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP 2", "x", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP/2", "x", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CPñ", "x", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "C123456789012345678901234567890123", "x", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "   ", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "two\nlines", 0.3, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "x", NAN, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "x", -0.1, error));
  ASSERT_INVALID (ev_store_register_cp (store, "CP2", "x", INFINITY, error));
  ASSERT_INVALID (ev_store_set_cp_price (store, "CP1", NAN, error));
  ASSERT_INVALID (ev_store_set_cp_state (store, "CP1", (EvCpState) 99, error));
  ASSERT_INVALID (ev_store_touch_driver (store, "driver one", error));
  ASSERT_INVALID (ev_store_create_session (store, "not-a-uuid", "CP1", "d2", 0.3, error));
  ASSERT_INVALID (ev_store_create_session (store, SUPPLY_2, "CP1", "d 2", 0.3, error));
  ASSERT_INVALID (ev_store_create_session (store, SUPPLY_2, "CP1", "d2", NAN, error));
  ASSERT_INVALID (ev_store_record_progress (store, SUPPLY_1, 1, -1.0, 0.0, 0, &applied, error));
  ASSERT_INVALID (ev_store_record_progress (store, SUPPLY_1, 1, 1.0, NAN, 0, &applied, error));
  ASSERT_INVALID (ev_store_record_progress (store, SUPPLY_1, 1, INFINITY, 1.0, 0, &applied, error));
  ASSERT_INVALID (ev_store_record_progress (store, SUPPLY_1, 0, 1.0, 1.0, 0, &applied, error));
  ASSERT_INVALID (ev_store_record_progress (store, SUPPLY_1, 1, 1.0, 1.0, -5, &applied, error));
  g_assert_false (applied);
  requested = make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_REQUESTED, 1.0, 0, NULL);
  ASSERT_INVALID (ev_store_finish_session (store, requested, NULL, error));
  bad_reason = make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 1.0, 0, "bad\x01reason");
  ASSERT_INVALID (ev_store_finish_session (store, bad_reason, NULL, error));

  /* What was pending before the bad calls is committed intact, and
   * nothing else. */
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (store);

  store = open_store (fixture->path, 100);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 1);
  g_assert_cmpint (ev_charging_point_get_state (cps->pdata[0]), ==, EV_CP_STATE_WAITING);
  g_assert_cmpfloat (ev_charging_point_get_price (cps->pdata[0]), ==, 0.30);
  open = ev_store_load_open_sessions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpint (ev_supply_get_phase (open->pdata[0]), ==, EV_SUPPLY_PHASE_AUTHORIZED);
  g_assert_cmpuint (ev_supply_get_seq (open->pdata[0]), ==, 0);
  g_clear_pointer (&cps, g_ptr_array_unref);
  g_clear_pointer (&open, g_ptr_array_unref);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM drivers"), ==, 1);
}

/* Sessions */

/* An outcome Central gives at a fault is provisional: the engine's
 * progress keeps the figures up with its meter, its ticket settles the
 * supply once (same row), and nothing after that changes it. */
static void
test_session_settled (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupply) session = NULL;
  g_autofree char *token = NULL;
  EvSupply *fault;
  gboolean applied = FALSE;
  EvStore *store = open_store (fixture->path, 60000);

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");
  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 1, 0.5, 0.175, 1000, &applied, &error));

  fault = make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FAILED, 0.5, 4000, "cp-disconnected");
  ev_supply_set_provisional (fault, TRUE);
  g_assert_true (finish (store, fault));
  session = lookup (store, SUPPLY_1);
  g_assert_true (ev_supply_get_provisional (session));
  g_clear_object (&session);

  /* A second fault does not settle it; the engine's progress moves the
   * figures, not the outcome. */
  fault = make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FAILED, 0.5, 4500, "engine-fault");
  ev_supply_set_provisional (fault, TRUE);
  g_assert_false (finish (store, fault));
  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 2, 1.5, 0.525, 1000, &applied, &error));
  g_assert_no_error (error);
  g_assert_true (applied);
  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 2, 1.5, 0.525, 1000, &applied, &error));
  g_assert_false (applied);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_FAILED);
  g_assert_cmpstr (ev_supply_get_reason (session), ==, "cp-disconnected");
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 1.5);
  g_clear_object (&session);

  /* The engine's ticket settles it; a repeat changes nothing. */
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 2.25, 6000, "unplugged")));
  g_assert_false (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 2.25, 6000, "unplugged")));
  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 3, 9.0, 3.15, 1000, &applied, &error));
  g_assert_false (applied);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 1);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpstr (ev_supply_get_reason (session), ==, "unplugged");
  g_assert_false (ev_supply_get_provisional (session));
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 2.25);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_amount (session), 2.25 * 0.35, 1e-9);
  g_assert_cmpint (ev_supply_get_ended_at (session), ==, 6000);

  g_clear_object (&session);
  g_assert_finalize_object (store);
}

static void
test_session_lifecycle (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(EvSupply) session = NULL;
  g_autoptr(EvSupply) wrong_cp = NULL;
  g_autoptr(EvSupply) unknown = NULL;
  g_autofree char *token_1 = NULL;
  g_autofree char *token_2 = NULL;
  gboolean applied = FALSE;
  EvStore *store = open_store (fixture->path, 60000);

  token_1 = register_cp (store, "CP1", 0.35);
  token_2 = register_cp (store, "CP2", 0.35);

  create_session (store, SUPPLY_1, "CP1", "d1");

  /* One supply in progress per CP and per driver; ids are unique. */
  g_assert_false (ev_store_create_session (store, SUPPLY_2, "CP1", "d2", 0.35, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS);
  g_clear_error (&error);
  g_assert_false (ev_store_create_session (store, SUPPLY_2, "CP2", "d1", 0.35, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS);
  g_clear_error (&error);
  g_assert_false (ev_store_create_session (store, SUPPLY_1, "CP2", "d2", 0.35, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ev_store_create_session (store, SUPPLY_2, "CP9", "d2", 0.35, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  open = ev_store_load_open_sessions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpstr (ev_supply_get_supply_id (open->pdata[0]), ==, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (open->pdata[0]), ==, EV_SUPPLY_PHASE_AUTHORIZED);
  g_assert_cmpfloat (ev_supply_get_price (open->pdata[0]), ==, 0.35);
  g_clear_pointer (&open, g_ptr_array_unref);

  session = ev_store_find_open_session (store, "CP1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ev_supply_get_supply_id (session), ==, SUPPLY_1);
  g_clear_object (&session);
  session = ev_store_find_open_session (store, NULL, "d1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ev_supply_get_supply_id (session), ==, SUPPLY_1);
  g_clear_object (&session);
  session = ev_store_find_open_session (store, "CP2", "d2", &error);
  g_assert_no_error (error);
  g_assert_null (session);

  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 1, 0.5, 0.175, 1000, &applied, &error));
  g_assert_no_error (error);
  g_assert_true (applied);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_SUPPLYING);
  g_assert_cmpint (ev_supply_get_started_at (session), ==, 1000);
  g_clear_object (&session);

  /* The first ticket is recorded; a second one for the same supply_id
   * (redelivered, or with other figures) changes nothing, nor does a
   * fault after it. */
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 2.0, 5000, "unplugged")));
  g_assert_false (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 2.0, 5000, "unplugged")));
  g_assert_false (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 9.0, 9000, "stopped-by-central")));
  g_assert_false (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FAILED, 3.0, 6000, "engine-fault")));

  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions WHERE supply_id = '" SUPPLY_1 "'"), ==, 1);
  g_assert_cmpint (raw_int (fixture->path, "SELECT kwh * 1000 FROM sessions WHERE supply_id = '" SUPPLY_1 "'"), ==, 2000);
  g_assert_cmpint (raw_int (fixture->path, "SELECT ended_at FROM sessions WHERE supply_id = '" SUPPLY_1 "'"), ==, 5000);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 2.0);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_amount (session), 0.7, 1e-9);
  g_assert_cmpstr (ev_supply_get_reason (session), ==, "unplugged");
  g_assert_cmpint (ev_supply_get_started_at (session), ==, 1000);
  g_assert_cmpint (ev_supply_get_ended_at (session), ==, 5000);
  g_clear_object (&session);

  /* Errors: an unknown supply, one claimed by another CP. */
  unknown = make_outcome (UNKNOWN_SUPPLY, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 1.0, 0, NULL);
  g_assert_false (ev_store_finish_session (store, unknown, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (ev_store_lookup_session (store, UNKNOWN_SUPPLY, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  create_session (store, SUPPLY_2, "CP1", "d1");
  wrong_cp = make_outcome (SUPPLY_2, "CP2", "d1", EV_SUPPLY_PHASE_FINISHED, 1.0, 0, NULL);
  g_assert_false (ev_store_finish_session (store, wrong_cp, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A fault ends a supply too, and frees the CP and the driver. */
  g_assert_true (finish (store, make_outcome (SUPPLY_2, "CP1", "d1", EV_SUPPLY_PHASE_FAILED, 0.25, 7000, "engine-fault")));
  open = ev_store_load_open_sessions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 0);
  create_session (store, SUPPLY_3, "CP1", "d1");

  g_assert_finalize_object (store);
}

/* Supplies ended out of order, so that history follows the end time, and
 * one in progress. @driver_3 ends the third supply. */
static void
add_history (EvStore    *store,
             const char *driver_3)
{
  g_free (register_cp (store, "CP1", 0.35));
  g_free (register_cp (store, "CP2", 0.35));

  create_session (store, SUPPLY_1, "CP1", "d1");
  create_session (store, SUPPLY_2, "CP2", "d2");
  g_assert_true (finish (store, make_outcome (SUPPLY_2, "CP2", "d2", EV_SUPPLY_PHASE_FINISHED, 1.0, 8000, "unplugged")));
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 2.0, 6000, "unplugged")));
  create_session (store, SUPPLY_3, "CP1", driver_3);
  g_assert_true (finish (store, make_outcome (SUPPLY_3, "CP1", driver_3, EV_SUPPLY_PHASE_FAILED, 3.0, 9000, "engine-fault")));
  create_session (store, SUPPLY_4, "CP2", "station:CP2");
}

static void
test_history (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) open = NULL;
  EvStore *store = open_store (fixture->path, 100);

  add_history (store, "d1");

  history = ev_store_load_history (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[0]), ==, SUPPLY_3);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[1]), ==, SUPPLY_2);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[2]), ==, SUPPLY_1);
  g_clear_pointer (&history, g_ptr_array_unref);

  history = ev_store_load_history (store, NULL, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[1]), ==, SUPPLY_2);
  g_clear_pointer (&history, g_ptr_array_unref);

  history = ev_store_load_history (store, "d1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[0]), ==, SUPPLY_3);
  g_assert_cmpint (ev_supply_get_phase (history->pdata[0]), ==, EV_SUPPLY_PHASE_FAILED);
  g_assert_cmpstr (ev_supply_get_supply_id (history->pdata[1]), ==, SUPPLY_1);
  g_clear_pointer (&history, g_ptr_array_unref);

  /* What a restarted Central recovers. */
  g_assert_finalize_object (store);
  store = open_store (fixture->path, 100);
  open = ev_store_load_open_sessions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpstr (ev_supply_get_supply_id (open->pdata[0]), ==, SUPPLY_4);
  g_assert_cmpstr (ev_supply_get_driver_id (open->pdata[0]), ==, "station:CP2");
  g_clear_pointer (&open, g_ptr_array_unref);
  g_assert_finalize_object (store);
}

static void
test_progress_monotonic (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupply) session = NULL;
  g_autofree char *token = NULL;
  EvStore *store = open_store (fixture->path, 100);
  static const struct {
    guint seq;
    double kwh;
    gboolean applied;
    guint stored_seq;
    double stored_kwh;
  } steps[] = {
    { 1, 1.0, TRUE, 1, 1.0 },
    { 3, 3.0, TRUE, 3, 3.0 },
    { 2, 2.0, FALSE, 3, 3.0 },   /* late */
    { 3, 9.0, FALSE, 3, 3.0 },   /* duplicate seq with other figures */
    { 1, 0.5, FALSE, 3, 3.0 },
    { 4, 4.0, TRUE, 4, 4.0 },
  };

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gboolean applied = !steps[i].applied;

      g_assert_true (ev_store_record_progress (store, SUPPLY_1, steps[i].seq, steps[i].kwh,
                                               steps[i].kwh * 0.35, 1000, &applied, &error));
      g_assert_no_error (error);
      g_assert_cmpint (applied, ==, steps[i].applied);
      session = lookup (store, SUPPLY_1);
      g_assert_cmpuint (ev_supply_get_seq (session), ==, steps[i].stored_seq);
      g_assert_cmpfloat (ev_supply_get_kwh (session), ==, steps[i].stored_kwh);
      g_clear_object (&session);
    }

  g_assert_false (ev_store_record_progress (store, UNKNOWN_SUPPLY, 1, 1.0, 1.0, 0, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Progress after the ticket is late by definition. */
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 4.5, 5000, "unplugged")));
  g_assert_true (ev_store_record_progress (store, SUPPLY_1, 10, 7.0, 2.45, 0, NULL, &error));
  g_assert_no_error (error);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 4.5);
  g_assert_cmpuint (ev_supply_get_seq (session), ==, 4);
  g_clear_object (&session);

  g_assert_finalize_object (store);
}

/* Batching */

static void
test_batch_one_commit (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupply) session = NULL;
  g_autofree char *token = NULL;
  EvStore *store = open_store (fixture->path, 60000);

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");
  for (guint seq = 1; seq <= 2000; seq++)
    {
      g_assert_true (ev_store_record_progress (store, SUPPLY_1, seq, seq * 0.01, seq * 0.0035, 1000, NULL, &error));
      g_assert_true (ev_store_set_cp_state (store, "CP1", seq % 2 ? EV_CP_STATE_SUPPLYING : EV_CP_STATE_WAITING, &error));
      g_assert_true (ev_store_touch_cp (store, "CP1", &error));
      g_assert_no_error (error);
    }

  /* Nothing of the batch is committed yet: another connection still sees
   * the state from before it; this store already sees all of it. */
  g_assert_true (ev_store_has_pending (store));
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 0);
  g_assert_cmpint (raw_int (fixture->path, "SELECT last_seen IS NULL FROM charging_points"), ==, 1);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpuint (ev_supply_get_seq (session), ==, 2000);
  g_clear_object (&session);

  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_false (ev_store_has_pending (store));
  g_assert_cmpint (raw_int (fixture->path, "SELECT seq FROM sessions"), ==, 2000);
  g_assert_finalize_object (store);

  store = open_store (fixture->path, 100);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpuint (ev_supply_get_seq (session), ==, 2000);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (session), 20.0, 1e-9);
  g_clear_object (&session);
  g_assert_finalize_object (store);
  g_assert_cmpint (raw_int (fixture->path, "SELECT state = 'WAITING' FROM charging_points"), ==, 1);
}

typedef struct {
  const char *path;
  guint calls;
  gint64 rows_seen;
  gboolean had_error;
  guint order;
  guint *counter;
} Committed;

static void
committed_cb (EvStore      *store,
              const GError *error,
              gpointer      user_data)
{
  Committed *committed = user_data;

  committed->calls++;
  committed->had_error = error != NULL;
  committed->order = ++*committed->counter;
  /* By now the write must be visible to any other connection. */
  committed->rows_seen = raw_int (committed->path, "SELECT count(*) FROM sessions");
}

static void
test_committed_callback (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token_1 = NULL;
  g_autofree char *token_2 = NULL;
  guint counter = 0;
  Committed first = { fixture->path, 0, -1, TRUE, 0, &counter };
  Committed second = { fixture->path, 0, -1, TRUE, 0, &counter };
  Committed idle = { fixture->path, 0, -1, TRUE, 0, &counter };
  EvStore *store = open_store (fixture->path, 60000);

  token_1 = register_cp (store, "CP1", 0.35);
  token_2 = register_cp (store, "CP2", 0.35);

  create_session (store, SUPPLY_1, "CP1", "d1");
  ev_store_when_committed (store, committed_cb, &first, NULL);
  create_session (store, SUPPLY_2, "CP2", "d2");
  ev_store_when_committed (store, committed_cb, &second, NULL);

  /* Never called before the commit, not even from the call itself. */
  g_assert_cmpuint (first.calls, ==, 0);
  g_assert_cmpuint (second.calls, ==, 0);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 0);

  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (first.calls, ==, 1);
  g_assert_cmpuint (second.calls, ==, 1);
  g_assert_false (first.had_error);
  g_assert_false (second.had_error);
  g_assert_cmpint (first.rows_seen, ==, 2);
  g_assert_cmpint (second.rows_seen, ==, 2);
  g_assert_cmpuint (first.order, <, second.order);

  /* With nothing pending it still waits for the next flush, and runs once. */
  ev_store_when_committed (store, committed_cb, &idle, NULL);
  g_assert_cmpuint (idle.calls, ==, 0);
  g_assert_true (ev_store_flush (store, NULL));
  g_assert_true (ev_store_flush (store, NULL));
  g_assert_cmpuint (idle.calls, ==, 1);
  g_assert_cmpuint (first.calls, ==, 1);

  g_assert_finalize_object (store);
}

static void
free_committed_cb (gpointer data)
{
  Committed *committed = data;

  committed->counter = NULL;
}

static void
test_committed_on_close (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *token = NULL;
  guint counter = 0;
  Committed committed = { fixture->path, 0, -1, TRUE, 0, &counter };
  EvStore *store = open_store (fixture->path, 60000);

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");
  ev_store_when_committed (store, committed_cb, &committed, free_committed_cb);

  g_assert_finalize_object (store);
  g_assert_cmpuint (committed.calls, ==, 1);
  g_assert_false (committed.had_error);
  g_assert_cmpint (committed.rows_seen, ==, 1);
  g_assert_null (committed.counter);
}

static gboolean
committed_called (gpointer user_data)
{
  Committed *committed = user_data;

  return committed->calls > 0;
}

static void
test_automatic_flush (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *token = NULL;
  guint counter = 0;
  Committed committed = { fixture->path, 0, -1, TRUE, 0, &counter };
  EvStore *store;

  /* The store flushes on the context that was thread-default when it was
   * created: only iterating this one may commit. */
  g_main_context_push_thread_default (context);
  store = open_store (fixture->path, 20);
  g_main_context_pop_thread_default (context);

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");
  ev_store_when_committed (store, committed_cb, &committed, NULL);
  g_assert_true (ev_store_has_pending (store));

  ev_test_wait_until (context, committed_called, &committed, 10000, "the automatic flush");
  g_assert_cmpuint (committed.calls, ==, 1);
  g_assert_false (committed.had_error);
  g_assert_cmpint (committed.rows_seen, ==, 1);
  g_assert_false (ev_store_has_pending (store));

  g_assert_finalize_object (store);
}

/* Plain writes wait for the flush interval; a waiter commits the batch
 * within the commit latency. */
static void
test_commit_latency (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  guint counter = 0;
  Committed committed = { fixture->path, 0, -1, TRUE, 0, &counter };
  EvStore *store;

  store = g_initable_new (EV_TYPE_STORE, NULL, &error,
                          "path", fixture->path,
                          "flush-interval", 600000,
                          "commit-latency", 20,
                          NULL);
  g_assert_no_error (error);
  g_assert_nonnull (store);

  token = register_cp (store, "CP1", 0.35);   /* registering commits at once */
  g_assert_true (ev_store_touch_driver (store, "d9", &error));
  g_assert_no_error (error);
  ev_test_sleep_spinning (NULL, 300);
  g_assert_true (ev_store_has_pending (store));
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM drivers"), ==, 0);

  create_session (store, SUPPLY_1, "CP1", "d1");
  ev_store_when_committed (store, committed_cb, &committed, NULL);
  ev_test_wait_until (NULL, committed_called, &committed, 10000, "the commit a waiter asks for");
  g_assert_false (committed.had_error);
  g_assert_cmpint (committed.rows_seen, ==, 1);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM drivers"), >=, 1);
  g_assert_false (ev_store_has_pending (store));

  g_assert_finalize_object (store);
}

/* Crashes */

static char *
self_exe (void)
{
  g_autoptr(GError) error = NULL;
  char *exe = g_file_read_link ("/proc/self/exe", &error);

  g_assert_no_error (error);
  return exe;
}

/* The writer a crash test kills: batches of CRASH_BATCH drivers named
 * b<batch>-<n>, each flushed and then reported on stdout. */
static int
run_crash_writer (const char *path,
                  const char *mode)
{
  g_autoptr(GError) error = NULL;
  EvStore *store;

  store = g_initable_new (EV_TYPE_STORE, NULL, &error,
                          "path", path, "flush-interval", 600000, NULL);
  if (store == NULL)
    g_error ("%s", error->message);

  for (guint batch = 0; ; batch++)
    {
      gboolean last = g_str_equal (mode, "exit") && batch == 5;

      for (guint n = 0; n < CRASH_BATCH; n++)
        {
          g_autofree char *driver_id = g_strdup_printf ("b%04u-%02u", batch, n);

          if (!ev_store_touch_driver (store, driver_id, &error))
            g_error ("%s", error->message);

          /* Leaves half a batch written but not flushed. */
          if (last && n == CRASH_BATCH / 2)
            {
              printf ("pending\n");
              fflush (stdout);
              _exit (0);
            }
        }

      if (!ev_store_flush (store, &error))
        g_error ("%s", error->message);
      printf ("flushed %u\n", batch + 1);
      fflush (stdout);
    }
}

static GSubprocess *
spawn_writer (const char *path,
              const char *mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *exe = self_exe ();
  GSubprocess *child;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            exe, crash_writer_flag, path, mode, NULL);
  g_assert_no_error (error);
  return child;
}

static void
assert_recovered (const char *path,
                  guint       flushed_batches,
                  gboolean    exact)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *check = NULL;
  g_autofree char *sql = NULL;
  gint64 total;
  EvStore *store;

  /* The store itself must open what the crash left (a -wal to recover). */
  store = ev_store_open (path, &error);
  g_assert_no_error (error);

  check = raw_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");

  sql = g_strdup_printf ("SELECT count(*) FROM drivers WHERE driver_id < 'b%04u'", flushed_batches);
  g_assert_cmpint (raw_int (path, sql), ==, (gint64) flushed_batches * CRASH_BATCH);

  /* Whole batches or nothing: never half of one. */
  total = raw_int (path, "SELECT count(*) FROM drivers");
  g_assert_cmpint (total % CRASH_BATCH, ==, 0);
  if (exact)
    g_assert_cmpint (total, ==, (gint64) flushed_batches * CRASH_BATCH);

  g_assert_finalize_object (store);
}

static void
test_crash_sigkill (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = spawn_writer (fixture->path, "kill");
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  guint flushed = 0;

  while (flushed < 20)
    {
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "flushed "));
      flushed = (guint) g_ascii_strtoull (line + strlen ("flushed "), NULL, 10);
    }

  /* Killed while it writes the next batch. */
  g_subprocess_force_exit (child);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);

  assert_recovered (fixture->path, flushed, FALSE);
}

static void
test_crash_exit_unflushed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = spawn_writer (fixture->path, "exit");
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  guint flushed = 0;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_equal (line, "pending"))
        break;
      flushed = (guint) g_ascii_strtoull (line + strlen ("flushed "), NULL, 10);
    }

  g_subprocess_wait_check (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (flushed, ==, 5);

  /* Every flushed batch is there; the half batch never flushed is not. */
  assert_recovered (fixture->path, flushed, TRUE);
}

/* The log and its readers */

static void
append_log (EvStore    *store,
            const char *event,
            const char *cp_id,
            const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ev_store_append_log (store, 1000, G_LOG_LEVEL_MESSAGE, event, cp_id, message, &error));
  g_assert_no_error (error);
}

static EvStoreReader *
open_reader (const char *path)
{
  g_autoptr(GError) error = NULL;
  EvStoreReader *reader;

  reader = ev_store_reader_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reader);
  return reader;
}

static GPtrArray *
search_log (EvStoreReader *reader,
            const char    *text,
            guint          limit,
            guint         *out_total)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records;

  records = ev_store_reader_search_log (reader, text, limit, out_total, &error);
  g_assert_no_error (error);
  g_assert_nonnull (records);
  return records;
}

static void
assert_log_record (EvLogRecord *record,
                   const char  *event,
                   const char  *cp_id,
                   const char  *message)
{
  g_assert_cmpstr (record->event, ==, event);
  g_assert_cmpstr (record->cp_id, ==, cp_id);
  g_assert_cmpstr (record->message, ==, message);
}

static void
test_log_append (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) records = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  EvLogRecord *record;
  EvLogRecord *newer;
  gint64 before = g_get_real_time () / 1000;
  guint total = 0;

  reader = open_reader (fixture->path);
  records = search_log (reader, NULL, 0, &total);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_cmpuint (total, ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);

  g_assert_true (ev_store_append_log (store, 5000, G_LOG_LEVEL_WARNING, "cp-registered", "CP1",
                                      "Charging point CP1 registered at Alicante", &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_append_log (store, 0, G_LOG_LEVEL_MESSAGE, "central-started", NULL,
                                      "Central started\nwith two lines", &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_has_pending (store));

  /* Another connection does not see a batch that is still open. */
  records = search_log (reader, NULL, 0, &total);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_cmpuint (total, ==, 0);
  g_clear_pointer (&records, g_ptr_array_unref);

  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);

  records = search_log (reader, "", 0, &total);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpuint (total, ==, 2);
  record = records->pdata[1];
  assert_log_record (record, "cp-registered", "CP1", "Charging point CP1 registered at Alicante");
  g_assert_cmpint (record->level, ==, G_LOG_LEVEL_WARNING);
  g_assert_cmpint (record->time_ms, ==, 5000);
  newer = records->pdata[0];
  assert_log_record (newer, "central-started", NULL, "Central started\nwith two lines");
  g_assert_cmpint (newer->level, ==, G_LOG_LEVEL_MESSAGE);
  g_assert_cmpint (newer->time_ms, >=, before);
  g_assert_cmpint (newer->id, >, record->id);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* Writes after the commit stay unseen until the next one. */
  append_log (store, "cp-state", "CP1", "CP1 is supplying");
  records = search_log (reader, NULL, 0, &total);
  g_assert_cmpuint (total, ==, 2);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* Closing commits them; a reader opened after the store closed reads
   * the file it left. */
  g_assert_finalize_object (store);
  g_clear_pointer (&reader, ev_store_reader_free);
  reader = open_reader (fixture->path);
  records = search_log (reader, NULL, 1, &total);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (total, ==, 3);
  assert_log_record (records->pdata[0], "cp-state", "CP1", "CP1 is supplying");
}

static void
test_log_bad_input (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *longest = g_strnfill (4096, 'x');
  g_autofree char *too_long = g_strnfill (4097, 'x');
  g_autofree char *event_too_long = g_strnfill (65, 'e');
  EvStore *store = open_store (fixture->path, 60000);
  guint total = 0;

  append_log (store, "first", NULL, "kept");
  append_log (store, "second", "CP1", longest);

  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "", NULL, "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, NULL, NULL, "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "   ", NULL, "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "bad\tevent", NULL, "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, event_too_long, NULL, "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "e", NULL, NULL, error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "e", NULL, "bad \xff utf-8", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "e", NULL, too_long, error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "e", "CP 1", "x", error));
  ASSERT_INVALID (ev_store_append_log (store, 1, 0, "e", "", "x", error));
  ASSERT_INVALID (ev_store_append_log (store, -1, 0, "e", NULL, "x", error));

  append_log (store, "third", NULL, "");
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (store);

  /* The good entries around the bad ones, and nothing else. */
  reader = open_reader (fixture->path);
  records = search_log (reader, NULL, 0, &total);
  g_assert_cmpuint (total, ==, 3);
  assert_log_record (records->pdata[0], "third", NULL, "");
  assert_log_record (records->pdata[1], "second", "CP1", longest);
  assert_log_record (records->pdata[2], "first", NULL, "kept");
}

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_log_trim (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) records = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  g_autofree char *oldest = NULL;
  g_autofree char *expected = NULL;
  guint notified = 0;
  guint total = 0;
  gint64 rows;

  g_assert_cmpuint (ev_store_get_log_limit (store), ==, EV_STORE_DEFAULT_LOG_LIMIT);
  g_signal_connect (store, "notify::log-limit", G_CALLBACK (notify_count_cb), &notified);
  ev_store_set_log_limit (store, 1000);
  ev_store_set_log_limit (store, 1000);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (ev_store_get_log_limit (store), ==, 1000);

  /* Flushed every 300 entries: the log never holds more than the limit
   * plus one trim's worth. */
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *message = g_strdup_printf ("entry %u", i);

      append_log (store, "test", NULL, message);
      if (i % 300 == 299)
        {
          g_assert_true (ev_store_flush (store, &error));
          g_assert_no_error (error);
          rows = raw_int (fixture->path, "SELECT count(*) FROM log");
          g_assert_cmpint (rows, <=, 1000 + 999);
        }
    }
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);

  /* The newest entries are those kept, in one run. */
  rows = raw_int (fixture->path, "SELECT count(*) FROM log");
  g_assert_cmpint (rows, >=, 1000);
  g_assert_cmpint (rows, <=, 1000 + 999);
  g_assert_cmpint (raw_int (fixture->path, "SELECT max (id) - min (id) + 1 FROM log"), ==, rows);
  reader = open_reader (fixture->path);
  records = search_log (reader, NULL, 1, &total);
  g_assert_cmpuint (total, ==, rows);
  g_assert_cmpstr (((EvLogRecord *) records->pdata[0])->message, ==, "entry 4999");
  g_clear_pointer (&records, g_ptr_array_unref);
  oldest = raw_text (fixture->path, "SELECT message FROM log ORDER BY id LIMIT 1");
  expected = g_strdup_printf ("entry %" G_GINT64_FORMAT, 5000 - rows);
  g_assert_cmpstr (oldest, ==, expected);

  /* A lower limit applies at the next flush. */
  ev_store_set_log_limit (store, 10);
  append_log (store, "test", NULL, "entry 5000");
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM log"), ==, 10);
  g_assert_cmpint (raw_int (fixture->path, "SELECT min (id) FROM log WHERE message = 'entry 4991'"), ==,
                   raw_int (fixture->path, "SELECT min (id) FROM log"));

  /* 0 keeps everything. */
  ev_store_set_log_limit (store, 0);
  for (guint i = 0; i < 2500; i++)
    append_log (store, "test", NULL, "more");
  g_assert_true (ev_store_flush (store, &error));
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM log"), ==, 2510);
  g_assert_cmpuint (notified, ==, 3);

  g_assert_finalize_object (store);
}

/* The 100,000 entries of test_log_search: a few hold wildcards. */
static void
search_entry (guint        i,
              const char **out_event,
              char       **out_cp_id,
              char       **out_message)
{
  *out_event = i % 3 == 0 ? "supply-progress" : "cp-state";
  *out_cp_id = i % 7 == 0 ? NULL : g_strdup_printf ("CP%03u", i % 500);
  if (i == 12345)
    *out_message = g_strdup ("Battery at 50% now");
  else if (i == 54321)
    *out_message = g_strdup ("an under_score and a back\\slash");
  else
    *out_message = g_strdup_printf ("Supply %u at %u kW", i, i % 97);
}

static gboolean
contains_ascii_nocase (const char *haystack,
                       const char *needle)
{
  g_autofree char *h = haystack != NULL ? g_ascii_strdown (haystack, -1) : NULL;
  g_autofree char *n = g_ascii_strdown (needle, -1);

  return h != NULL && strstr (h, n) != NULL;
}

#define SEARCH_ROWS 100000

static void
test_log_search (Fixture       *fixture,
                 gconstpointer  data)
{
  static const char * const texts[] = {
    NULL, "", "50%", "500", "_", "\\", "%", "BATTERY", "cp0", "Supply-PROGRESS",
    "Supply 9999", "no such entry",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  gint64 start;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < SEARCH_ROWS; i++)
    {
      const char *event;
      g_autofree char *cp_id = NULL;
      g_autofree char *message = NULL;

      search_entry (i, &event, &cp_id, &message);
      g_assert_true (ev_store_append_log (store, 1000 + i, G_LOG_LEVEL_INFO, event, cp_id, message, &error));
    }
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_test_message ("appended and committed %u entries in %.1f ms", SEARCH_ROWS,
                  (g_get_monotonic_time () - start) / 1000.0);

  reader = open_reader (fixture->path);
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
    {
      const char *text = texts[t];
      g_autoptr(GPtrArray) records = NULL;
      guint expected = 0;
      gint64 newest = -1;
      guint total = 0;

      for (guint i = 0; i < SEARCH_ROWS; i++)
        {
          const char *event;
          g_autofree char *cp_id = NULL;
          g_autofree char *message = NULL;

          search_entry (i, &event, &cp_id, &message);
          if (text == NULL || text[0] == '\0' ||
              contains_ascii_nocase (message, text) ||
              contains_ascii_nocase (event, text) ||
              contains_ascii_nocase (cp_id, text))
            {
              expected++;
              newest = i;
            }
        }

      start = g_get_monotonic_time ();
      records = search_log (reader, text, 50, &total);
      g_test_message ("search_log (\"%s\", 50) over %u entries: %u found, %.1f ms",
                      text != NULL ? text : "(null)", SEARCH_ROWS, total,
                      (g_get_monotonic_time () - start) / 1000.0);

      g_assert_cmpuint (total, ==, expected);
      g_assert_cmpuint (records->len, ==, MIN (expected, 50));
      for (guint k = 1; k < records->len; k++)
        {
          EvLogRecord *later = records->pdata[k - 1];
          EvLogRecord *earlier = records->pdata[k];

          g_assert_cmpint (later->id, >, earlier->id);
          g_assert_cmpint (later->time_ms, >, earlier->time_ms);
        }
      if (records->len > 0)
        g_assert_cmpint (((EvLogRecord *) records->pdata[0])->time_ms, ==, 1000 + newest);
    }

  g_assert_finalize_object (store);
}

static void
assert_same_sessions (GPtrArray  *sessions,
                      GPtrArray  *expected,
                      const char *text)
{
  guint n = 0;

  for (guint i = 0; i < expected->len; i++)
    {
      EvSupply *want = expected->pdata[i];
      EvSupply *got;

      if (text != NULL &&
          !contains_ascii_nocase (ev_supply_get_cp_id (want), text) &&
          !contains_ascii_nocase (ev_supply_get_driver_id (want), text) &&
          !contains_ascii_nocase (ev_supply_get_supply_id (want), text) &&
          !contains_ascii_nocase (ev_supply_get_reason (want), text))
        continue;

      g_assert_cmpuint (n, <, sessions->len);
      got = sessions->pdata[n++];
      g_assert_cmpstr (ev_supply_get_supply_id (got), ==, ev_supply_get_supply_id (want));
      g_assert_cmpstr (ev_supply_get_cp_id (got), ==, ev_supply_get_cp_id (want));
      g_assert_cmpstr (ev_supply_get_driver_id (got), ==, ev_supply_get_driver_id (want));
      g_assert_cmpint (ev_supply_get_phase (got), ==, ev_supply_get_phase (want));
      g_assert_cmpfloat (ev_supply_get_kwh (got), ==, ev_supply_get_kwh (want));
      g_assert_cmpfloat (ev_supply_get_amount (got), ==, ev_supply_get_amount (want));
      g_assert_cmpfloat (ev_supply_get_price (got), ==, ev_supply_get_price (want));
      g_assert_cmpstr (ev_supply_get_reason (got), ==, ev_supply_get_reason (want));
      g_assert_cmpint (ev_supply_get_ended_at (got), ==, ev_supply_get_ended_at (want));
    }
  g_assert_cmpuint (sessions->len, ==, n);
}

typedef struct {
  GPtrArray *seen;
  guint stop_after;
} Export;

static gboolean
export_cb (EvSupply *session,
           gpointer         user_data)
{
  Export *export = user_data;

  g_ptr_array_add (export->seen, g_object_ref (session));
  return export->seen->len < export->stop_after;
}

static void
test_history_reader (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char * const texts[] = { NULL, "cp1", "D_1", "engine", "unplugged", "6a02", "_", "%", "nobody" };
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) found = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  Export export = { NULL, G_MAXUINT };
  guint total = 0;

  /* An underscore in an id must be found as itself, not as a wildcard. */
  add_history (store, "d_1");
  g_assert_true (ev_store_flush (store, &error));
  history = ev_store_load_history (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 3);

  reader = open_reader (fixture->path);
  for (guint t = 0; t < G_N_ELEMENTS (texts); t++)
    {
      found = ev_store_reader_search_history (reader, texts[t], 0, &total, &error);
      g_assert_no_error (error);
      assert_same_sessions (found, history, texts[t]);
      g_assert_cmpuint (total, ==, found->len);
      g_clear_pointer (&found, g_ptr_array_unref);
    }

  found = ev_store_reader_search_history (reader, "", 2, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_cmpuint (total, ==, 3);
  g_assert_cmpstr (ev_supply_get_supply_id (found->pdata[1]), ==, SUPPLY_2);
  g_clear_pointer (&found, g_ptr_array_unref);

  export.seen = g_ptr_array_new_with_free_func (g_object_unref);
  g_assert_true (ev_store_reader_foreach_history (reader, export_cb, &export, &error));
  g_assert_no_error (error);
  assert_same_sessions (export.seen, history, NULL);
  g_ptr_array_set_size (export.seen, 0);

  export.stop_after = 2;
  g_assert_true (ev_store_reader_foreach_history (reader, export_cb, &export, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (export.seen->len, ==, 2);
  g_assert_cmpstr (ev_supply_get_supply_id (export.seen->pdata[1]), ==, SUPPLY_2);
  g_clear_pointer (&export.seen, g_ptr_array_unref);

  /* A supply that ends in the open batch is not there yet. */
  g_assert_true (finish (store, make_outcome (SUPPLY_4, "CP2", "station:CP2", EV_SUPPLY_PHASE_FINISHED, 4.0, 9500, "unplugged")));
  found = ev_store_reader_search_history (reader, NULL, 0, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 3);
  g_clear_pointer (&found, g_ptr_array_unref);
  g_assert_true (ev_store_flush (store, &error));
  found = ev_store_reader_search_history (reader, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 4);
  g_assert_cmpstr (ev_supply_get_supply_id (found->pdata[0]), ==, SUPPLY_4);

  g_assert_finalize_object (store);
}

static void
assert_reader_refused (const char *path,
                       int         code)
{
  g_autoptr(GError) error = NULL;
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);
  g_autoptr(GBytes) before = g_file_test (path, G_FILE_TEST_IS_REGULAR) ? file_bytes (path) : NULL;
  EvStoreReader *reader;

  reader = ev_store_reader_open (path, &error);
  g_assert_null (reader);
  g_assert_error (error, EV_STORE_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);

  if (before != NULL)
    {
      g_autoptr(GBytes) after = file_bytes (path);

      g_assert_true (g_bytes_equal (before, after));
    }
  g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, exists);
}

static void
test_reader_refused (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.db", NULL);
  g_autofree char *foreign = g_build_filename (dir, "other.db", NULL);
  g_autofree char *older = g_build_filename (dir, "older.db", NULL);
  g_autofree char *newer = g_build_filename (dir, "newer.db", NULL);
  g_autofree char *sql = NULL;
  EvStoreReader *reader;
  sqlite3 *db;

  /* Missing, in a missing folder too. */
  assert_reader_refused (fixture->path, EV_STORE_ERROR_NOT_FOUND);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  assert_reader_refused (fixture->path, EV_STORE_ERROR_NOT_FOUND);

  reader = ev_store_reader_open ("", &error);
  g_assert_null (reader);
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_file_set_contents (text, "my notes, not a database\n", -1, &error);
  g_assert_no_error (error);
  assert_reader_refused (text, EV_STORE_ERROR_NOT_A_DATABASE);
  g_file_set_contents (empty, "", 0, &error);
  g_assert_no_error (error);
  assert_reader_refused (empty, EV_STORE_ERROR_NOT_A_DATABASE);
  assert_reader_refused (dir, EV_STORE_ERROR_FAILED);

  db = raw_open (foreign);
  raw_exec (db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);");
  sqlite3_close (db);
  assert_reader_refused (foreign, EV_STORE_ERROR_NOT_A_DATABASE);

  db = raw_open (older);
  raw_exec (db, schema_1);
  sqlite3_close (db);
  assert_reader_refused (older, EV_STORE_ERROR_TOO_OLD);

  db = raw_open (newer);
  raw_exec (db, schema_1);
  sql = g_strdup_printf ("PRAGMA user_version = %d;", EV_STORE_SCHEMA_VERSION + 1);
  raw_exec (db, sql);
  sqlite3_close (db);
  assert_reader_refused (newer, EV_STORE_ERROR_TOO_NEW);
}

typedef struct {
  const char *path;
  guint rounds;
  GError *error;
  guint searches;
} Searcher;

/* A console's worker thread: searches while the store writes, and only
 * ever sees whole commits. */
static gpointer
searcher_thread (gpointer data)
{
  Searcher *searcher = data;
  g_autoptr(EvStoreReader) reader = ev_store_reader_open (searcher->path, &searcher->error);
  guint last = 0;

  while (reader != NULL)
    {
      g_autoptr(GPtrArray) records = NULL;
      guint total = 0;

      records = ev_store_reader_search_log (reader, "round", 10, &total, &searcher->error);
      if (records == NULL)
        break;
      searcher->searches++;
      g_assert_cmpuint (total % 100, ==, 0);
      g_assert_cmpuint (total, >=, last);
      last = total;
      if (total == searcher->rounds * 100)
        break;
    }

  return NULL;
}

static void
test_reader_thread (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  Searcher searcher = { fixture->path, 200, NULL, 0 };
  GThread *thread;

  thread = g_thread_new ("searcher", searcher_thread, &searcher);
  for (guint round = 0; round < searcher.rounds; round++)
    {
      for (guint n = 0; n < 100; n++)
        {
          g_autofree char *message = g_strdup_printf ("round %u entry %u", round, n);

          append_log (store, "test", NULL, message);
        }
      g_assert_true (ev_store_flush (store, &error));
      g_assert_no_error (error);
    }
  g_thread_join (thread);
  g_assert_no_error (searcher.error);
  g_test_message ("%u searches while the store wrote", searcher.searches);

  g_assert_finalize_object (store);
}

/* What schemas 2 and 3 added to schema 1, as those releases wrote it. */
static const char schema_3_additions[] =
  "ALTER TABLE charging_points ADD COLUMN token_salt TEXT;"
  "ALTER TABLE charging_points ADD COLUMN token_hash TEXT;"
  "DROP INDEX sessions_by_cp;"
  "CREATE UNIQUE INDEX sessions_open_by_cp ON sessions (cp_id) WHERE ended_at IS NULL;"
  "CREATE UNIQUE INDEX sessions_open_by_driver ON sessions (driver_id) WHERE ended_at IS NULL;"
  "CREATE INDEX sessions_history ON sessions (ended_at DESC) WHERE ended_at IS NOT NULL;"
  "CREATE INDEX sessions_history_by_driver ON sessions (driver_id, ended_at DESC)"
  "  WHERE ended_at IS NOT NULL;"
  "CREATE TABLE denials (request_id TEXT PRIMARY KEY NOT NULL, reason TEXT NOT NULL,"
  "  denied_at INTEGER NOT NULL);"
  "PRAGMA user_version = 3;";

/* Writes a database as an older release did, in WAL mode: each piece of
 * SQL of the NULL-ended list in turn. */
static void
write_old_database (const char *path,
                    ...)
{
  g_autofree char *dir = g_path_get_dirname (path);
  const char *sql;
  sqlite3 *db;
  va_list args;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  db = raw_open (path);
  raw_exec (db, "PRAGMA journal_mode = WAL");
  va_start (args, path);
  while ((sql = va_arg (args, const char *)) != NULL)
    raw_exec (db, sql);
  va_end (args);
  sqlite3_close (db);
}

static void
test_migrate_from_v3 (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *reason = NULL;
  EvSupply *session;
  EvStore *store;

  hash = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) "salt3", 5, "token-of-cp3", -1);
  rows = g_strdup_printf ("INSERT INTO charging_points VALUES ('CP3', 'Elche', 0.30, 'ACTIVE', 100, 200, 'salt3', '%s');"
                          "INSERT INTO charging_points VALUES ('CP4', 'Alcoy', 0.40, 'STOPPED', 100, NULL, NULL, NULL);"
                          "INSERT INTO drivers VALUES ('d1', 100, 200), ('d2', 100, 300);"
                          "INSERT INTO sessions VALUES ('" SUPPLY_1 "', 'CP3', 'd1', 0.30, 5.0, 1.5, 7,"
                          "  'finished', 'unplugged', 100, 150, 2000);"
                          "INSERT INTO sessions VALUES ('" SUPPLY_2 "', 'CP4', 'd2', 0.40, 1.0, 0.4, 2,"
                          "  'supplying', NULL, 3000, 3100, NULL);"
                          "INSERT INTO denials VALUES ('req-9', 'cp-busy', 2500);",
                          hash);
  write_old_database (fixture->path, schema_1, schema_3_additions, rows, NULL);

  /* Only the store upgrades; a reader waits for it. */
  assert_reader_refused (fixture->path, EV_STORE_ERROR_TOO_OLD);

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);

  g_assert_true (ev_store_verify_token (store, "CP3", "token-of-cp3", &error));
  g_assert_no_error (error);
  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 2);
  g_assert_cmpstr (ev_charging_point_get_location (find_cp (cps, "CP3")), ==, "Elche");
  g_assert_cmpint (ev_charging_point_get_state (find_cp (cps, "CP4")), ==, EV_CP_STATE_STOPPED);
  g_assert_cmpfloat (ev_charging_point_get_price (find_cp (cps, "CP4")), ==, 0.40);

  history = ev_store_load_history (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  session = history->pdata[0];
  g_assert_cmpstr (ev_supply_get_supply_id (session), ==, SUPPLY_1);
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 5.0);
  g_assert_cmpfloat (ev_supply_get_amount (session), ==, 1.5);
  g_assert_cmpstr (ev_supply_get_reason (session), ==, "unplugged");
  open = ev_store_load_open_sessions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpstr (ev_supply_get_supply_id (open->pdata[0]), ==, SUPPLY_2);
  g_assert_cmpint (ev_supply_get_phase (open->pdata[0]), ==, EV_SUPPLY_PHASE_SUPPLYING);
  reason = ev_store_lookup_denial (store, "req-9", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reason, ==, "cp-busy");

  /* And it has a log now. */
  append_log (store, "migrated", "CP3", "Upgraded to schema 4");
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  reader = open_reader (fixture->path);
  records = search_log (reader, "schema", 0, NULL);
  g_assert_cmpuint (records->len, ==, 1);
  assert_log_record (records->pdata[0], "migrated", "CP3", "Upgraded to schema 4");

  g_clear_pointer (&cps, g_ptr_array_unref);
  g_clear_pointer (&history, g_ptr_array_unref);
  g_clear_pointer (&open, g_ptr_array_unref);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 2);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM drivers"), ==, 2);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'log_by_cp'"), ==, 1);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'outbox'"), ==, 1);
}

/* What schemas 4 and 5 added to schema 3, as those releases wrote it. */
static const char schema_5_additions[] =
  "CREATE TABLE log (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, level INTEGER NOT NULL,"
  "  event TEXT NOT NULL, cp_id TEXT NULL, message TEXT NOT NULL);"
  "CREATE INDEX log_by_cp ON log (cp_id) WHERE cp_id IS NOT NULL;"
  "ALTER TABLE charging_points ADD COLUMN nonce_hash TEXT;"
  "ALTER TABLE charging_points ADD COLUMN forgotten INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE sessions ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;"
  "PRAGMA user_version = 5;";

/* Schema 6 adds the outbox to a database of schema 5, which keeps all it
 * had. */
static void
test_migrate_from_v5 (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(EvSupply) settled = NULL;
  g_autofree char *reason = NULL;
  EvSupply *session;
  EvStore *store;
  gint64 id = 0;

  write_old_database (fixture->path, schema_1, schema_3_additions, schema_5_additions,
                      "INSERT INTO charging_points VALUES ('CP5', 'Elda', 0.30, 'ACTIVE', 100, 200, NULL, NULL, NULL, 0);"
                      "INSERT INTO charging_points VALUES ('GONE', 'Petrer', 0.30, 'DISCONNECTED', 100, 200, NULL, NULL, NULL, 1);"
                      "INSERT INTO drivers VALUES ('d1', 100, 200);"
                      "INSERT INTO sessions VALUES ('" SUPPLY_1 "', 'CP5', 'd1', 0.30, 2.0, 0.6, 4,"
                      "  'failed', 'engine-fault', 100, 150, 2000, 1);"
                      "INSERT INTO sessions VALUES ('" SUPPLY_2 "', 'GONE', 'd1', 0.30, 1.0, 0.3, 2,"
                      "  'finished', 'unplugged', 100, 150, 1000, 0);"
                      "INSERT INTO denials VALUES ('req-5', 'cp-stopped', 2500);"
                      "INSERT INTO log (time_ms, level, event, cp_id, message) VALUES (1000, 16, 'ready', NULL, 'Central started');",
                      NULL);

  assert_reader_refused (fixture->path, EV_STORE_ERROR_TOO_OLD);

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);

  cps = ev_store_load_charging_points (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cps->len, ==, 1);
  g_assert_cmpstr (ev_charging_point_get_location (find_cp (cps, "CP5")), ==, "Elda");
  /* Schema 7: what was registered before approval existed is approved. */
  g_assert_false (ev_charging_point_get_pending (find_cp (cps, "CP5")));
  history = ev_store_load_history (store, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  session = history->pdata[0];
  g_assert_cmpstr (ev_supply_get_supply_id (session), ==, SUPPLY_1);
  g_assert_true (ev_supply_get_provisional (session));
  g_assert_cmpfloat (ev_supply_get_kwh (session), ==, 2.0);
  reason = ev_store_lookup_denial (store, "req-5", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reason, ==, "cp-stopped");

  /* The outbox is there, empty, and works. */
  outbox = ev_store_outbox_load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 0);
  g_assert_true (ev_store_outbox_add (store, "supply-data2", "d1", "{}", 2, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  /* The provisional supply still settles. */
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP5", "d1", EV_SUPPLY_PHASE_FINISHED, 2.5, 3000, "unplugged")));
  settled = lookup (store, SUPPLY_1);
  g_assert_false (ev_supply_get_provisional (settled));
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);

  reader = open_reader (fixture->path);
  records = search_log (reader, "started", 0, NULL);
  g_assert_cmpuint (records->len, ==, 1);

  g_clear_pointer (&cps, g_ptr_array_unref);
  g_clear_pointer (&history, g_ptr_array_unref);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "PRAGMA user_version"), ==, EV_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM charging_points"), ==, 2);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM sessions"), ==, 2);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 1);
}

/* Checkpoints */

/* The WAL index (the -shm file, https://sqlite.org/walformat.html) holds
 * the WAL's last frame at byte 16 and the last one checkpointed at 96. */
static gboolean
wal_checkpointed (gpointer user_data)
{
  const char *shm = user_data;
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint32 last_frame;
  guint32 backfilled;

  if (!g_file_get_contents (shm, &contents, &length, NULL) || length < 100)
    return FALSE;
  memcpy (&last_frame, contents + 16, sizeof last_frame);
  memcpy (&backfilled, contents + 96, sizeof backfilled);
  return last_frame == backfilled;
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits for the checkpointer's thread, which tells the main context
 * nothing: the context wakes every few ms to look at the file. */
static void
wait_checkpointed (const char *path)
{
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  guint wake = g_timeout_add (5, wake_cb, NULL);

  ev_test_wait_until (NULL, wal_checkpointed, shm, 20000, "a checkpoint");
  g_source_remove (wake);
}

static goffset
file_size (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  return info != NULL ? g_file_info_get_size (info) : 0;
}

/* A commit of 2000 entries, two to a 4 KiB page: past the 1000 pages that
 * wake the checkpointer at once. */
#define ROUND_ENTRIES 2000

static void
append_round (EvStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = g_strnfill (1400, 'w');

  for (guint n = 0; n < ROUND_ENTRIES; n++)
    append_log (store, "bulk", "CP1", message);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
}

#define WAL_ROUNDS 25
#define WAL_BOUND (16 * 1024 * 1024)

static void
test_wal_bounded (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  EvStore *store = open_store (fixture->path, 60000);
  goffset largest = 0;
  gint64 start;

  ev_store_set_log_limit (store, 3 * ROUND_ENTRIES);

  /* The writer never checkpoints (wal_autocheckpoint=0): without the
   * checkpointer's thread the WAL would pass 100 MB, and these waits would
   * time out. Each commit that finds the WAL checkpointed starts it over
   * and cuts the file back to the larger of 4 MiB and itself. */
  for (guint round = 0; round < WAL_ROUNDS; round++)
    {
      append_round (store);
      largest = MAX (largest, file_size (wal));
      g_assert_cmpint (file_size (wal), <, WAL_BOUND);
      wait_checkpointed (fixture->path);
    }
  g_test_message ("largest WAL: %.1f MiB after %d commits of %d entries",
                  largest / 1048576.0, WAL_ROUNDS, ROUND_ENTRIES);

  /* A small commit is checkpointed too, a few seconds later. */
  append_log (store, "small", NULL, "one entry");
  g_assert_true (ev_store_flush (store, NULL));
  start = g_get_monotonic_time ();
  wait_checkpointed (fixture->path);
  g_test_message ("a small commit was checkpointed after %.0f ms",
                  (g_get_monotonic_time () - start) / 1000.0);


  g_assert_finalize_object (store);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM log"), <=, 3 * ROUND_ENTRIES + 999);
}

/* Writes that never pause, as Central's under load: every batch begins as
 * soon as the last one is committed, before the checkpointer has copied
 * it, so the WAL could never start over by itself; past 4000 pages the
 * writer copies its own last commit. */
typedef struct {
  EvStore *store;
  const char *wal;
  char *message;
  guint appended;
  goffset largest;
} Feeder;

#define FEED_ENTRIES 40000

static gboolean
feed_cb (gpointer user_data)
{
  Feeder *feeder = user_data;

  for (guint n = 0; n < 20; n++)
    append_log (feeder->store, "bulk", "CP1", feeder->message);
  feeder->appended += 20;
  feeder->largest = MAX (feeder->largest, file_size (feeder->wal));
  return G_SOURCE_CONTINUE;
}

static gboolean
fed_cb (gpointer user_data)
{
  Feeder *feeder = user_data;

  return feeder->appended >= FEED_ENTRIES;
}

static void
test_wal_bounded_without_pause (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *message = g_strnfill (1400, 'w');
  Feeder feeder = { NULL, wal, message, 0, 0 };
  guint feed;

  /* Committed every 100 ms on its own, as Central's store is. */
  feeder.store = open_store (fixture->path, 100);
  ev_store_set_log_limit (feeder.store, 3 * ROUND_ENTRIES);
  feed = g_timeout_add (1, feed_cb, &feeder);
  ev_test_wait_until (NULL, fed_cb, &feeder, 120000, "the entries to be written");
  g_source_remove (feed);

  /* Without the writer's catch-up the WAL passes 100 MB. */
  g_test_message ("largest WAL: %.1f MiB while %d entries were written without a pause",
                  feeder.largest / 1048576.0, FEED_ENTRIES);
  g_assert_cmpint (feeder.largest, <, 3 * WAL_BOUND);

  g_assert_finalize_object (feeder.store);
}

/* Closing right after a big commit interrupts the checkpoint under way
 * and leaves no WAL behind; a reader open meanwhile keeps reading. */
static void
test_close_with_checkpointer (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) records = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  guint total = 0;
  gint64 start;

  append_round (store);
  start = g_get_monotonic_time ();
  g_assert_finalize_object (store);
  g_test_message ("closed in %.1f ms right after a commit of %d entries",
                  (g_get_monotonic_time () - start) / 1000.0, ROUND_ENTRIES);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM log"), ==, ROUND_ENTRIES);

  store = open_store (fixture->path, 60000);
  reader = open_reader (fixture->path);
  append_round (store);
  g_assert_finalize_object (store);
  records = search_log (reader, "bulk", 1, &total);
  g_assert_cmpuint (total, ==, 2 * ROUND_ENTRIES);
}

/* A denial is remembered across a reopen; the first reason stays. */
static void
test_denials (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(EvStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);
  reason = ev_store_lookup_denial (store, "req-1", &error);
  g_assert_no_error (error);
  g_assert_null (reason);

  g_assert_true (ev_store_record_denial (store, "req-1", "cp-busy", &error));
  g_assert_true (ev_store_record_denial (store, "req-1", "cp-stopped", &error));
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&store));

  store = ev_store_open (fixture->path, &error);
  g_assert_no_error (error);
  reason = ev_store_lookup_denial (store, "req-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reason, ==, "cp-busy");
  g_clear_pointer (&reason, g_free);
  reason = ev_store_lookup_denial (store, "req-2", &error);
  g_assert_no_error (error);
  g_assert_null (reason);
}

/* The outbox */

static gint64
outbox_add (EvStore    *store,
            const char *topic,
            const char *key,
            const char *payload,
            gsize       length)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (ev_store_outbox_add (store, topic, key, payload, length, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static GPtrArray *
outbox_load (EvStore *store)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = ev_store_outbox_load (store, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
assert_outbox_entry (EvOutboxEntry *entry,
                     gint64         id,
                     const char    *topic,
                     const char    *key,
                     const char    *payload,
                     gsize          length)
{
  g_autoptr(GBytes) expected = g_bytes_new (payload, length);

  g_assert_cmpint (entry->id, ==, id);
  g_assert_cmpstr (entry->topic, ==, topic);
  g_assert_cmpstr (entry->key, ==, key);
  g_assert_true (g_bytes_equal (entry->payload, expected));
}

/* Rows come back as they were written (the payload byte for byte, NULs
 * included), oldest first; they are written in the batch, and removed in
 * one. */
static void
test_outbox (Fixture       *fixture,
             gconstpointer  data)
{
  static const char binary[] = { '{', '\0', '}', '\xff' };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  gint64 first, second, third;

  entries = outbox_load (store);
  g_assert_cmpuint (entries->len, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);

  first = outbox_add (store, "supply-data2", "d1", "{\"kind\":\"ticket\"}", 17);
  second = outbox_add (store, "supply-error", NULL, binary, sizeof binary);
  third = outbox_add (store, "supply-data2", "d2", "{}", 2);
  g_assert_cmpint (first, <, second);
  g_assert_cmpint (second, <, third);

  /* In the batch: this store sees the rows, another connection not yet. */
  g_assert_true (ev_store_has_pending (store));
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 0);
  entries = outbox_load (store);
  g_assert_cmpuint (entries->len, ==, 3);
  assert_outbox_entry (entries->pdata[0], first, "supply-data2", "d1", "{\"kind\":\"ticket\"}", 17);
  assert_outbox_entry (entries->pdata[1], second, "supply-error", NULL, binary, sizeof binary);
  assert_outbox_entry (entries->pdata[2], third, "supply-data2", "d2", "{}", 2);
  g_clear_pointer (&entries, g_ptr_array_unref);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 3);

  /* Removed in the batch too; a row removed twice is no error. */
  g_assert_true (ev_store_outbox_remove (store, second, &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_outbox_remove (store, second, &error));
  g_assert_no_error (error);
  g_assert_true (ev_store_outbox_remove (store, 999999, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 3);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 2);

  /* Bad input writes nothing. */
  g_assert_false (ev_store_outbox_add (store, "", "d1", "{}", 2, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ev_store_outbox_add (store, "supply-data2", "d1", "", 0, NULL, &error));
  g_assert_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ev_store_has_pending (store));
  g_assert_finalize_object (store);

  /* What is left outlives the store; later rows still come after. */
  store = open_store (fixture->path, 60000);
  entries = outbox_load (store);
  g_assert_cmpuint (entries->len, ==, 2);
  assert_outbox_entry (entries->pdata[0], first, "supply-data2", "d1", "{\"kind\":\"ticket\"}", 17);
  assert_outbox_entry (entries->pdata[1], third, "supply-data2", "d2", "{}", 2);
  g_assert_cmpint (outbox_add (store, "supply-data2", "d3", "{}", 2), >, third);
  g_clear_pointer (&entries, g_ptr_array_unref);
  g_assert_finalize_object (store);
}

static void
keep_error_cb (EvStore      *store,
               const GError *error,
               gpointer      user_data)
{
  GError **kept = user_data;

  g_assert_null (*kept);
  g_assert_nonnull (error);
  *kept = g_error_copy (error);
}

/* A row goes with the batch it was written in: a batch that cannot
 * commit (here the file size limit plays a full disk) leaves no row, and
 * takes the writes around it along; the store goes on afterwards. */
static void
test_outbox_rolled_back (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(EvSupply) session = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) lost = NULL;
  EvStore *store = open_store (fixture->path, 60000);
  gint64 kept;

  token = register_cp (store, "CP1", 0.35);
  create_session (store, SUPPLY_1, "CP1", "d1");
  kept = outbox_add (store, "supply-data2", "d1", "kept", 4);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);

  ev_test_set_disk_full (TRUE);
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 1.0, 5000, "unplugged")));
  outbox_add (store, "supply-data2", "d1", "lost", 4);
  ev_store_when_committed (store, keep_error_cb, &lost, NULL);
  g_assert_false (ev_store_flush (store, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  ev_test_set_disk_full (FALSE);
  g_assert_nonnull (lost);

  entries = outbox_load (store);
  g_assert_cmpuint (entries->len, ==, 1);
  assert_outbox_entry (entries->pdata[0], kept, "supply-data2", "d1", "kept", 4);
  g_clear_pointer (&entries, g_ptr_array_unref);
  session = lookup (store, SUPPLY_1);
  g_assert_cmpint (ev_supply_get_ended_at (session), ==, 0);

  /* Written again, it commits. */
  g_assert_true (finish (store, make_outcome (SUPPLY_1, "CP1", "d1", EV_SUPPLY_PHASE_FINISHED, 1.0, 5000, "unplugged")));
  outbox_add (store, "supply-data2", "d1", "again", 5);
  g_assert_true (ev_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (store);

  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox"), ==, 2);
  g_assert_cmpint (raw_int (fixture->path, "SELECT count(*) FROM outbox WHERE payload = CAST ('lost' AS BLOB)"), ==, 0);
  g_assert_cmpint (raw_int (fixture->path, "SELECT ended_at FROM sessions"), ==, 5000);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], crash_writer_flag))
    return run_crash_writer (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("open/fresh", test_open_fresh);
  ADD ("open/migrate-from-v1", test_migrate_from_v1);
  ADD ("open/migrate-from-v3", test_migrate_from_v3);
  ADD ("open/migrate-from-v5", test_migrate_from_v5);
  ADD ("open/newer-version-refused", test_newer_version_refused);
  ADD ("open/not-a-database-refused", test_not_a_database_refused);
  ADD ("cp/register-verify", test_register_and_verify);
  ADD ("cp/register-nonce-forget", test_register_nonce_and_forget);
  ADD ("cp/updates", test_cp_updates);
  ADD ("cp/columns", test_cp_columns);
  ADD ("cp/approval", test_cp_approval);
  ADD ("cp/keys", test_cp_keys);
  ADD ("input/rejected", test_bad_input);
  ADD ("session/lifecycle", test_session_lifecycle);
  ADD ("session/settled", test_session_settled);
  ADD ("session/history", test_history);
  ADD ("session/progress-monotonic", test_progress_monotonic);
  ADD ("session/denials", test_denials);
  ADD ("outbox/add-remove-load", test_outbox);
  ADD ("outbox/rolled-back", test_outbox_rolled_back);
  ADD ("batch/one-commit", test_batch_one_commit);
  ADD ("batch/committed-callback", test_committed_callback);
  ADD ("batch/committed-on-close", test_committed_on_close);
  ADD ("batch/automatic-flush", test_automatic_flush);
  ADD ("batch/commit-latency", test_commit_latency);
  ADD ("crash/sigkill", test_crash_sigkill);
  ADD ("crash/exit-unflushed", test_crash_exit_unflushed);
  ADD ("log/append", test_log_append);
  ADD ("log/bad-input", test_log_bad_input);
  ADD ("log/trim", test_log_trim);
  ADD ("log/search", test_log_search);
  ADD ("reader/history", test_history_reader);
  ADD ("reader/refused", test_reader_refused);
  ADD ("reader/thread", test_reader_thread);
  ADD ("checkpoint/wal-bounded", test_wal_bounded);
  ADD ("checkpoint/wal-bounded-without-pause", test_wal_bounded_without_pause);
  ADD ("checkpoint/close", test_close_with_checkpointer);

#undef ADD

  return g_test_run ();
}

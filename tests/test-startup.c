/* Every program refuses bad start-up input with the documented exit
 * status (docs/cli.md: 2 for bad arguments, 1 when it cannot start) and
 * a one-line reason on standard error; Central outlives its file size
 * limit. The programs run as real processes (EV_CENTRAL, EV_STATION,
 * EV_DRIVER, EV_BROKER). */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "ev-instance.h"
#include "ev-mock-cluster.h"
#include "ev-topics.h"
#include "ev-store.h"
#include "test-program.h"
#include "test-utils.h"

#define CENTRAL g_getenv ("EV_CENTRAL")
#define STATION g_getenv ("EV_STATION")
#define DRIVER g_getenv ("EV_DRIVER")

typedef struct
{
  GSubprocess *process;
  char *name;
} Run;

static void
run_start (Run          *run,
           const char   *dir,
           const char  **argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (argv[0]);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", dir, TRUE);
  /* What must fail fails before any window is thought of. */
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  run->name = g_strjoinv (" ", (char **) argv);
  run->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
}

/* Waits for the process; asserts its status and a one-line reason on
 * stderr that holds @needle. */
static void
run_finish (Run        *run,
            int         status,
            const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;

  g_subprocess_communicate_utf8 (run->process, "", NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_test_message ("%s → %s", run->name, err);
  g_assert_true (g_subprocess_get_if_exited (run->process));
  g_assert_cmpint (g_subprocess_get_exit_status (run->process), ==, status);
  g_assert_nonnull (err);
  lines = g_strsplit (err, "\n", -1);
  g_assert_cmpstr (lines[0], !=, "");
  g_assert_nonnull (strstr (lines[0], needle));
  g_clear_object (&run->process);
  g_clear_pointer (&run->name, g_free);
}

static void
expect (const char  *dir,
        const char **argv,
        int          status,
        const char  *needle)
{
  Run run = { 0 };

  run_start (&run, dir, argv);
  run_finish (&run, status, needle);
}

/* Bad arguments: exit 2 at once, nothing started. */
static void
test_bad_arguments (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);

  expect (dir, (const char *[]) { CENTRAL, "--headless", "--kafka", "", "--db", db, NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { STATION, "engine", "--headless", "--kafka", "", NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { STATION, "fleet", "--count", "1", "--kafka", " ", NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { DRIVER, "--headless", "--id", "d1", "--kafka", "", NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { DRIVER, "fleet", "--count", "1", "--kafka", ",", NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { CENTRAL, "--headless", "--kafka", "127.0.0.1:1", "--listen", "nowhere",
                                  "--db", db, NULL }, 2, "nowhere");
  expect (dir, (const char *[]) { STATION, "engine", "--headless", "--kafka", "127.0.0.1:1",
                                  "--listen", "nowhere", NULL }, 2, "nowhere");
  expect (dir, (const char *[]) { STATION, "monitor", "--headless", "--id", "bad id!",
                                  "--engine", "127.0.0.1:1", "--central", "127.0.0.1:2", NULL }, 2, "cp_id");
  expect (dir, (const char *[]) { STATION, "monitor", "--headless", "--id", "CP1",
                                  "--engine", "nowhere", "--central", "127.0.0.1:2", NULL }, 2, "nowhere");
  expect (dir, (const char *[]) { STATION, "monitor", "--headless", "--id", "CP1", "--engine", "127.0.0.1:1",
                                  "--central", "127.0.0.1:2", "--health-timeout", "50", NULL }, 2,
          "--health-timeout takes 100 to 10000 ms");
  /* Keys: one that is not a key, a fingerprint of the wrong length, a
   * private key others may read. */
  expect (dir, (const char *[]) { STATION, "engine", "--headless", "--kafka", "127.0.0.1:1",
                                  "--central-key", "/nonexistent/central.pub", NULL }, 2, "/nonexistent/central.pub");
  expect (dir, (const char *[]) { DRIVER, "--headless", "--id", "d1", "--kafka", "127.0.0.1:1",
                                  "--central-key-fingerprint", "abc", NULL }, 2, "fingerprint");
  {
    g_autofree char *key = g_build_filename (dir, "readable.key", NULL);

    g_assert_true (g_file_set_contents_full (key, "evcharging-ed25519-private-key\n", -1, 0, 0644, NULL));
    expect (dir, (const char *[]) { CENTRAL, "--print-public-key", "--signing-key", key, NULL }, 1, "0600");
  }
  /* Said alike by every program: unknown options, and what is missing. */
  expect (dir, (const char *[]) { CENTRAL, "--bogus", NULL }, 2, "ev-central: Unknown option --bogus");
  expect (dir, (const char *[]) { DRIVER, "fleet", "--bogus", NULL }, 2, "ev-driver fleet: Unknown option --bogus");
  expect (dir, (const char *[]) { STATION, "monitor", "--headless", "--id", "CP1", NULL }, 2,
          "missing --engine, --central");
  ev_test_rm_rf (dir);
}

/* Standard output of a program that must exit 0 at once; with
 * @state_home, as its XDG_STATE_HOME. */
static char *
run_output_in (const char  *state_home,
               const char **argv)
{
  g_auto(GStrv) env = state_home != NULL ? g_environ_setenv (g_get_environ (), "XDG_STATE_HOME", state_home, TRUE)
                                         : NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = -1;

  g_assert_nonnull (argv[0]);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static char *
run_output (const char **argv)
{
  return run_output_in (NULL, argv);
}

/* --version everywhere, and a role's --help names the role. */
static void
test_version_and_help (void)
{
  g_autofree char *fleet_version = run_output ((const char *[]) { DRIVER, "fleet", "--version", NULL });
  g_autofree char *engine_help = run_output ((const char *[]) { STATION, "engine", "--help", NULL });
  g_autofree char *monitor_help = run_output ((const char *[]) { STATION, "monitor", "-h", NULL });
  g_autofree char *expected = g_strdup_printf ("ev-driver %s\n", PACKAGE_VERSION);

  g_assert_cmpstr (fleet_version, ==, expected);
  g_assert_nonnull (strstr (engine_help, "ev-station engine ["));
  g_assert_nonnull (strstr (engine_help, "--auto-plug"));
  g_assert_nonnull (strstr (monitor_help, "ev-station monitor ["));
}

/* --print-public-key makes the key on first use and prints the same key
 * and fingerprint every time. */
static void
test_print_public_key (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *key = g_build_filename (dir, "evcharging", "central-signing.key", NULL);
  g_autofree char *first = run_output_in (dir, (const char *[]) { CENTRAL, "--print-public-key", NULL });
  g_autofree char *again = run_output_in (dir, (const char *[]) { CENTRAL, "--print-public-key",
                                                                  "--signing-key", key, NULL });
  g_auto(GStrv) lines = g_strsplit (first, "\n", -1);
  g_autoptr(EvVerifyKey) public = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpstr (first, ==, again);
  g_assert_true (g_file_test (key, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  public = ev_verify_key_new_from_base64 (lines[0], NULL);
  g_assert_nonnull (public);
  expected = g_strdup_printf ("fingerprint %s", ev_verify_key_get_fingerprint (public));
  g_assert_cmpstr (lines[1], ==, expected);
  ev_test_rm_rf (dir);
}

/* No broker answers: each program says so and exits 1, instead of saying
 * ready and waiting (or opening a window). They run at once, each waiting
 * its time-out. */
static void
test_no_broker (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  Run runs[7] = { { 0 } };

  run_start (&runs[0], dir, (const char *[]) { CENTRAL, "--headless", "--kafka", "127.0.0.1:1",
                                               "--listen", "127.0.0.1:0", "--db", db, NULL });
  run_start (&runs[1], dir, (const char *[]) { STATION, "engine", "--headless", "--kafka", "127.0.0.1:1",
                                               "--listen", "127.0.0.1:0", NULL });
  run_start (&runs[2], dir, (const char *[]) { STATION, "fleet", "--count", "1", "--kafka", "127.0.0.1:1",
                                               "--central", "127.0.0.1:9", NULL });
  run_start (&runs[3], dir, (const char *[]) { DRIVER, "--headless", "--id", "d1", "--kafka", "127.0.0.1:1", NULL });
  run_start (&runs[4], dir, (const char *[]) { DRIVER, "fleet", "--count", "1", "--kafka", "127.0.0.1:1", NULL });
  /* With a window, the core starts first (handle_local_options), so the
   * reason is the broker's, not the missing display's. */
  run_start (&runs[5], dir, (const char *[]) { STATION, "engine", "--kafka", "127.0.0.1:1",
                                               "--listen", "127.0.0.1:0", NULL });
  run_start (&runs[6], dir, (const char *[]) { DRIVER, "--id", "d1", "--kafka", "127.0.0.1:1", NULL });
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    run_finish (&runs[i], 1, "127.0.0.1:1");
  ev_test_rm_rf (dir);
}

/* Runs ev-central --create-topics with ARGS against BOOTSTRAP; its exit
 * status, standard output in *OUT. */
static int
create_topics (const char  *bootstrap,
               const char **args,
               char       **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_ptr_array_add (argv, (char *) CENTRAL);
  g_ptr_array_add (argv, "--create-topics");
  g_ptr_array_add (argv, "--kafka");
  g_ptr_array_add (argv, (char *) bootstrap);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("--create-topics %s → %s%s", bootstrap, *out, err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* --create-topics against the embedded broker's cluster: every topic is
 * found, and its partitions compared with what was asked. The mock
 * cluster knows neither CreateTopics nor DescribeConfigs: the creation
 * itself and the configuration check can only be shown on a real cluster,
 * and the configuration that cannot be read is said (exit 3). */
static void
test_create_topics (void)
{
  g_autoptr(GError) error = NULL;
  EvMockCluster *cluster = ev_mock_cluster_new (6, &error);
  const char *bootstrap;
  const char * const *topics = ev_topics_get_all ();
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  bootstrap = ev_mock_cluster_get_bootstrap (cluster);

  g_assert_cmpint (create_topics (bootstrap, (const char *[]) { NULL }, &out), ==, 3);
  for (guint i = 0; topics[i] != NULL; i++)
    {
      g_autofree char *exists = g_strdup_printf ("%s: exists\n", topics[i]);

      g_assert_nonnull (strstr (out, exists));
    }
  g_assert_null (strstr (out, "partitions"));
  g_assert_nonnull (strstr (out, "configuration"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (create_topics (bootstrap, (const char *[]) { "--partitions", "12", NULL }, &out), ==, 3);
  g_assert_nonnull (strstr (out, "cp-states: has 6 partitions, 12 were asked for"));
  g_assert_nonnull (strstr (out, "supply-req: has 6 partitions, 12 were asked for"));
  g_assert_null (strstr (out, "replicas"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (create_topics (bootstrap, (const char *[]) { "--replication-factor", "3", NULL }, &out), ==, 3);
  g_assert_nonnull (strstr (out, "supply-data: has 1 replicas, 3 were asked for"));
  g_clear_pointer (&out, g_free);

  /* Nobody there: said, exit 1. */
  g_assert_cmpint (create_topics ("127.0.0.1:1", (const char *[]) { NULL }, &out), ==, 1);
  g_assert_nonnull (strstr (out, "No Kafka broker answered"));

  expect (dir, (const char *[]) { CENTRAL, "--partitions", "3", NULL }, 2, "--create-topics");
  expect (dir, (const char *[]) { CENTRAL, "--create-topics", NULL }, 2, "--kafka");
  expect (dir, (const char *[]) { CENTRAL, "--create-topics", "--kafka", bootstrap, "--partitions", "0", NULL }, 2,
          "--partitions");
  expect (dir, (const char *[]) { CENTRAL, "--create-topics", "--kafka", bootstrap, "--replication-factor", "101",
                                  NULL }, 2, "--replication-factor");
  ev_test_rm_rf (dir);
  g_assert_finalize_object (cluster);
}

/* A cluster without our topics (a real one with auto-creation off):
 * Central starts, and says which are missing and how to create them. */
static void
test_missing_topics (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  rd_kafka_mock_cluster_t *mcluster;
  rd_kafka_t *rk;
  char errstr[256];
  int status = -1;

  g_assert_cmpint (rd_kafka_conf_set (conf, "log_level", "0", errstr, sizeof errstr), ==, RD_KAFKA_CONF_OK);
  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);
  mcluster = rd_kafka_mock_cluster_new (rk, 1);
  g_assert_nonnull (mcluster);

  /* Its standard input is /dev/null: it starts, and quits at its end. */
  g_spawn_sync (NULL, (char *[]) { (char *) CENTRAL, "--headless", "--listen", "127.0.0.1:0", "--kafka",
                                   (char *) rd_kafka_mock_cluster_bootstraps (mcluster), "--db", db, NULL },
                NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "\"event\":\"ready\""));
  g_assert_nonnull (strstr (err, "Kafka topics missing at "));
  g_assert_nonnull (strstr (err, ": supply-req, supply-res, central-directives, supply-data, supply-data2, "
                                 "supply-error, cp-states. Create them with"));
  g_assert_nonnull (strstr (err, "ev-central --create-topics"));

  rd_kafka_mock_cluster_destroy (mcluster);
  rd_kafka_destroy (rk);
  ev_test_rm_rf (dir);
}

/* Makes an empty database of the current schema, closed. */
static void
make_database (const char *path)
{
  g_autoptr(GError) error = NULL;
  EvStore *store = ev_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_finalize_object (store);
}

static void
overwrite (const char *path,
           goffset     offset,
           const void *bytes,
           gsize       len)
{
  FILE *file = fopen (path, "r+b");

  g_assert_nonnull (file);
  g_assert_cmpint (fseek (file, offset, SEEK_SET), ==, 0);
  g_assert_cmpuint (fwrite (bytes, 1, len, file), ==, len);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* A database SQLite may only read (its header's write version above 2:
 * what a read-only file is to a user other than root) is refused at
 * start, naming the file; so is a damaged one. Both are checked before
 * the broker. */
static void
test_database (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  const char *argv[] = { CENTRAL, "--headless", "--kafka", "127.0.0.1:1", "--listen", "127.0.0.1:0",
                         "--db", db, NULL };
  const guint8 write_version = 3;
  sqlite3 *handle = NULL;
  sqlite3_stmt *stmt = NULL;
  int page_size, root;
  guint8 *garbage;

  make_database (db);
  overwrite (db, 18, &write_version, 1);
  expect (dir, argv, 1, db);

  /* The page of an index read at start, overwritten with garbage. */
  g_unlink (db);
  make_database (db);
  g_assert_cmpint (sqlite3_open_v2 (db, &handle, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (handle, "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
                                       "FROM sqlite_schema WHERE name = 'sqlite_autoindex_charging_points_1'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  root = sqlite3_column_int (stmt, 0);
  page_size = sqlite3_column_int (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (handle);
  garbage = g_malloc (page_size);
  memset (garbage, 0xff, page_size);
  overwrite (db, (goffset) (root - 1) * page_size, garbage, page_size);
  g_free (garbage);
  expect (dir, argv, 1, db);
  ev_test_rm_rf (dir);
}

/* Past its file size limit Central's writes fail (EFBIG) instead of the
 * signal SIGXFSZ killing it: it goes on serving, and quits cleanly. */
static void
test_file_size_limit (void)
{
  g_autofree char *dir = ev_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "central.db", NULL);
  const char *env[] = { "G_DEBUG", "", NULL };
  EvTestProgram *broker, *central;
  const char *bootstrap;

  make_database (db);
  broker = ev_test_broker_start (dir, &bootstrap);
  {
    /* Below the database's size: the first checkpoint writes past it. */
    const char *argv[] = { "prlimit", "--fsize=40000", CENTRAL, "--headless",
                           "--kafka", bootstrap, "--listen", "127.0.0.1:0", "--db", db, NULL };

    central = ev_test_program_start_with_env ("ev-central", dir, env, argv);
  }
  ev_test_program_wait (central, 1, "ready", NULL, NULL, NULL, NULL);
  /* Each command is a log line: a commit to the write-ahead log, which
   * outgrows the limit, and checkpoints past it. */
  for (guint i = 1; i <= 60; i++)
    {
      ev_test_program_send (central, "stop all");
      ev_test_program_wait (central, i, "directive", "target", "all", NULL, NULL);
    }
  ev_test_program_send (central, "list");
  ev_test_program_wait (central, 1, "list", NULL, NULL, NULL, NULL);
  ev_test_program_send (central, "quit");
  g_assert_cmpint (ev_test_program_finish (central), ==, 0);
  g_assert_false (central->signalled);
  ev_test_program_send (broker, "quit");
  g_assert_cmpint (ev_test_program_finish (broker), ==, 0);
  ev_test_program_free (central);
  ev_test_program_free (broker);
  ev_test_rm_rf (dir);
}

/* The rule a second launch decides by: what it gives must be what the
 * running one was given; what it leaves out does not count. */
static void
test_instance_options_match (void)
{
  g_autoptr(GVariant) running = NULL;
  g_autoptr(GVariant) none = NULL;
  g_autoptr(GVariant) same = NULL;
  g_autoptr(GVariant) other = NULL;
  g_autoptr(GVariant) more = NULL;
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);

  g_variant_dict_insert (dict, "db", "s", "/tmp/a.db");
  g_variant_dict_insert (dict, "events", "b", TRUE);
  running = g_variant_ref_sink (g_variant_dict_end (dict));
  none = g_variant_ref_sink (g_variant_new_parsed ("@a{sv} {}"));
  same = g_variant_ref_sink (g_variant_new_parsed ("{'db': <'/tmp/a.db'>}"));
  other = g_variant_ref_sink (g_variant_new_parsed ("{'db': <'/tmp/b.db'>}"));
  more = g_variant_ref_sink (g_variant_new_parsed ("{'db': <'/tmp/a.db'>, 'page': <'log'>}"));

  g_assert_true (ev_instance_options_match (none, running));
  g_assert_true (ev_instance_options_match (same, running));
  g_assert_true (ev_instance_options_match (running, running));
  g_assert_false (ev_instance_options_match (other, running));
  g_assert_false (ev_instance_options_match (more, running));
  g_assert_false (ev_instance_options_match (running, none));
}

/* A window-mode Central with --events, its JSON events on stdout. It
 * draws with cairo: loading Mesa for nothing only leaves its one-time
 * allocations for LeakSanitizer to find. */
static EvTestProgram *
central_window_start (const char  *dir,
                      const char **argv)
{
  const char *env[] = { "XDG_DATA_HOME", dir, "G_DEBUG", "", "GDK_DEBUG", "gl-disable", NULL };

  return ev_test_program_start_with_env ("ev-central", dir, env, argv);
}

static void
central_window_quit (EvTestProgram *central)
{
  g_subprocess_send_signal (central->process, SIGTERM);
  g_assert_cmpint (ev_test_program_wait_exit (central, 20000), ==, 0);
  ev_test_program_free (central);
}

/* A second ev-central while one runs with its window (docs/cli.md, "A
 * second ev-central"): a plain launch hands over to it; one given another
 * place to serve runs as an instance of its own; one given only other
 * window options says why not and exits 2. Needs a display and a session
 * bus (the ui suites' xvfb-run and dbus-run-session). */
static void
test_second_central (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *db_a = NULL;
  g_autofree char *db_b = NULL;
  EvTestProgram *broker, *first, *plain, *other;
  const char *bootstrap;

  if (g_getenv ("DISPLAY") == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      if (g_getenv ("EV_UI_TESTS_REQUIRED") != NULL)
        g_error ("no display or session bus: run under xvfb-run and dbus-run-session");
      g_test_skip ("no display or session bus: run under xvfb-run and dbus-run-session");
      return;
    }

  dir = ev_test_make_tmpdir ();
  db_a = g_build_filename (dir, "a.db", NULL);
  db_b = g_build_filename (dir, "b.db", NULL);
  broker = ev_test_broker_start (dir, &bootstrap);
  first = central_window_start (dir, (const char *[]) { CENTRAL, "--events", "--kafka", bootstrap,
                                                        "--listen", "127.0.0.1:0", "--db", db_a, NULL });
  ev_test_program_wait (first, 1, "ready", NULL, NULL, NULL, NULL);

  /* Plain, and with the first one's own options: its window comes forward. */
  plain = central_window_start (dir, (const char *[]) { CENTRAL, NULL });
  g_assert_cmpint (ev_test_program_wait_exit (plain, 20000), ==, 0);
  g_assert_cmpuint (ev_test_program_count (plain, "ready", NULL, NULL, NULL, NULL), ==, 0);
  ev_test_program_free (plain);
  plain = central_window_start (dir, (const char *[]) { CENTRAL, "--db", db_a, "--events", NULL });
  g_assert_cmpint (ev_test_program_wait_exit (plain, 20000), ==, 0);
  ev_test_program_free (plain);
  g_assert_false (first->exited);

  /* Window options it cannot apply. */
  expect (dir, (const char *[]) { CENTRAL, "--page", "log", NULL }, 2, "already runs");

  /* Another database and port: a Central of its own. */
  other = central_window_start (dir, (const char *[]) { CENTRAL, "--events", "--kafka", bootstrap,
                                                        "--listen", "127.0.0.1:0", "--db", db_b, NULL });
  ev_test_program_wait (other, 1, "ready", NULL, NULL, NULL, NULL);
  g_assert_true (g_file_test (db_b, G_FILE_TEST_EXISTS));
  central_window_quit (other);

  g_assert_false (first->exited);
  central_window_quit (first);
  ev_test_program_send (broker, "quit");
  g_assert_cmpint (ev_test_program_finish (broker), ==, 0);
  ev_test_program_free (broker);
  ev_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/startup/bad-arguments", test_bad_arguments);
  g_test_add_func ("/startup/version-and-help", test_version_and_help);
  g_test_add_func ("/startup/print-public-key", test_print_public_key);
  g_test_add_func ("/startup/no-broker", test_no_broker);
  g_test_add_func ("/startup/create-topics", test_create_topics);
  g_test_add_func ("/startup/missing-topics", test_missing_topics);
  g_test_add_func ("/startup/database", test_database);
  g_test_add_func ("/startup/file-size-limit", test_file_size_limit);
  g_test_add_func ("/startup/instance-options-match", test_instance_options_match);
  g_test_add_func ("/startup/second-central", test_second_central);

  return g_test_run ();
}

/* central-load: the real ev-central under N monitor links.
 *
 * Starts a private ev-broker and `ev-central --headless` on a fresh
 * database in a temporary folder, then plays N monitors on plain
 * non-blocking sockets in one epoll loop (bench-links.c): each registers
 * as B00001, B00002… and then sends a "status" request about once a
 * second (± 10%), ACKing every response. It measures the time until all
 * are registered, then over a window the status latency, Central's CPU
 * time (/proc/PID/stat) and, at the end, its RSS. With --restart it then
 * closes every link, stops Central with SIGTERM, starts it again on the
 * same database and measures the time until every link is authenticated
 * again with its token.
 *
 *   central-load [--links N] [--seconds S] [--restart] [--keep]
 *                [--broker PATH] [--central PATH] [--timeout S]
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-links.h"

#define STATUS_REQUEST "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}"
#define STATUS_OK "\"status\":\"ok\""
#define PERIOD_US G_USEC_PER_SEC
#define WARM_UP_US (2 * G_USEC_PER_SEC)
#define EXIT_TIMEOUT_US (60 * G_USEC_PER_SEC)
#define NOT_EXITED (-1)

/* ---------------------------------------------------------------------
 * The two child processes, their stdout drained by the same loop.
 * --------------------------------------------------------------------- */

typedef struct _Load Load;

typedef struct
{
  BenchSource source;
  Load *load;
  const char *name;
  GPid pid;
  int stdin_fd;
  int stdout_fd;
  GString *pending;
  int exit_status;
  /* The latest "ready" event. */
  gboolean ready;
  char *bootstrap;
  gint64 port;
  gint64 cps;
  char *log_path;
} Child;

/* What Central printed. */
typedef struct
{
  guint registered;
  guint authenticated;
  guint state_changes;
  guint disconnected;
  GHashTable *disconnect_reasons;
  guint denied;
  guint errors;
  guint other;
} CentralEvents;

struct _Load
{
  BenchLinks links;
  Child broker;
  Child central;
  CentralEvents events;
  char **envp;
  char *tmp_dir;
  char *db_path;
  /* Per link: its token once registered, whether it may send status. */
  char **tokens;
  gboolean *ready;
  guint n_ready;
  gint64 all_ready_at;
  /* Request → response of every "register" or "auth" of the phase. */
  GArray *hello_latencies;
  gboolean use_auth;
  char *first_refusal;
  /* Status answers outside the window: registration, warm-up, restart. */
  GArray *other_latencies;
  /* Per link: when its last status (or register/auth) was answered. */
  gint64 *last_answer_at;
  gint64 max_gap;
  guint64 long_gaps;
  guint64 refused;
  guint64 not_ok;
};

static void
count_event (Load       *load,
             Child      *child,
             JsonObject *event)
{
  const char *name = json_object_get_string_member_with_default (event, "event", "");
  CentralEvents *events = &load->events;

  if (g_str_equal (name, "ready"))
    {
      g_free (child->bootstrap);
      child->bootstrap = g_strdup (json_object_get_string_member_with_default (event, "bootstrap", ""));
      child->port = json_object_get_int_member_with_default (event, "port", 0);
      child->cps = json_object_get_int_member_with_default (event, "cps", -1);
      child->ready = TRUE;
    }
  else if (child == &load->broker)
    return;
  else if (g_str_equal (name, "cp-registered"))
    events->registered++;
  else if (g_str_equal (name, "cp-authenticated"))
    events->authenticated++;
  else if (g_str_equal (name, "cp-state"))
    events->state_changes++;
  else if (g_str_equal (name, "cp-disconnected"))
    {
      const char *reason = json_object_get_string_member_with_default (event, "reason", "?");

      events->disconnected++;
      g_hash_table_insert (events->disconnect_reasons, g_strdup (reason),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (events->disconnect_reasons, reason)) + 1));
    }
  else if (g_str_equal (name, "auth-denied"))
    events->denied++;
  else if (g_str_equal (name, "error"))
    {
      if (events->errors++ == 0)
        g_printerr ("%s: first error event: %s\n", child->name,
                    json_object_get_string_member_with_default (event, "message", "?"));
    }
  else
    events->other++;
}

static void
child_line (Child      *child,
            const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_printerr ("%s: not a JSON event: %s\n", child->name, line);
      return;
    }
  count_event (child->load, child, json_node_get_object (root));
}

static void
child_readable (BenchSource *source,
                guint32      events)
{
  Child *child = (Child *) source;
  char buffer[65536];
  gssize n;
  char *newline;

  while ((n = read (child->stdout_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (child->pending, buffer, n);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    {
      bench_links_remove_source (&child->load->links, &child->source);
      close (child->stdout_fd);
      child->stdout_fd = -1;
    }

  while ((newline = memchr (child->pending->str, '\n', child->pending->len)) != NULL)
    {
      gsize line_len = newline - child->pending->str;

      *newline = '\0';
      if (line_len > 0)
        child_line (child, child->pending->str);
      g_string_erase (child->pending, 0, line_len + 1);
    }
}

static gboolean
child_spawn (Load        *load,
             Child       *child,
             const char  *name,
             char       **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean spawned;
  int log_fd;

  child->load = load;
  child->name = name;
  child->source.ready = child_readable;
  child->exit_status = NOT_EXITED;
  child->ready = FALSE;
  if (child->pending == NULL)
    child->pending = g_string_new (NULL);
  g_string_truncate (child->pending, 0);

  /* Its logs (one line per CP event) go to TMP/NAME.log. */
  g_free (child->log_path);
  child->log_path = g_strdup_printf ("%s/%s.log", load->tmp_dir, name);
  log_fd = open (child->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  spawned = log_fd >= 0 &&
            g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv,
                                              (const char * const *) load->envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                              -1, -1, log_fd, NULL, NULL, 0, &child->pid,
                                              &child->stdin_fd, &child->stdout_fd, NULL, &error);
  if (log_fd >= 0)
    close (log_fd);
  if (!spawned)
    {
      g_printerr ("could not start %s: %s\n", argv[0],
                  error != NULL ? error->message : g_strerror (errno));
      return FALSE;
    }
  fcntl (child->stdout_fd, F_SETFL, O_NONBLOCK);
  bench_links_add_source (&load->links, child->stdout_fd, &child->source);
  return TRUE;
}

/* Runs the loop until @child is ready or @timeout_us passed. */
static gboolean
child_wait_ready (Child  *child,
                  gint64  timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (!child->ready && child->stdout_fd >= 0 && g_get_monotonic_time () < deadline)
    bench_links_run (&child->load->links, g_get_monotonic_time () + 10000);
  if (!child->ready)
    g_printerr ("%s did not announce itself ready\n", child->name);
  return child->ready;
}

/* Runs the loop (draining its output) until @child exits; kills it after
 * @timeout_us. Returns the exit status, or 128 + signal. */
static int
child_wait_exit (Child  *child,
                 gint64  timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  int status;

  if (child->exit_status != NOT_EXITED || child->pid <= 0)
    return child->exit_status;

  while (waitpid (child->pid, &status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_printerr ("%s did not exit in %" G_GINT64_FORMAT " s: killed\n", child->name,
                      timeout_us / G_USEC_PER_SEC);
          kill (child->pid, SIGKILL);
          waitpid (child->pid, &status, 0);
          break;
        }
      bench_links_run (&child->load->links, g_get_monotonic_time () + 10000);
    }
  /* Whatever it printed last. */
  if (child->stdout_fd >= 0)
    child_readable (&child->source, EPOLLIN);

  child->exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  if (child->stdin_fd >= 0)
    close (child->stdin_fd);
  child->stdin_fd = -1;
  if (child->stdout_fd >= 0)
    {
      bench_links_remove_source (&child->load->links, &child->source);
      close (child->stdout_fd);
    }
  child->stdout_fd = -1;
  return child->exit_status;
}

static void
child_command (Child      *child,
               const char *command)
{
  if (write (child->stdin_fd, command, strlen (command)) != (gssize) strlen (command))
    g_printerr ("could not write “%s” to %s: %s\n", command, child->name, g_strerror (errno));
}

/* How many lines the child logged, and the first few warnings. */
static void
child_summarize_log (Child *child)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines, n_warnings = 0;

  if (child->log_path == NULL || !g_file_get_contents (child->log_path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  n_lines = g_strv_length (lines) - 1;
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "WARNING") != NULL || strstr (lines[i], "CRITICAL") != NULL ||
        strstr (lines[i], "ERROR") != NULL)
      {
        if (n_warnings++ < 5)
          g_print ("  %s: %s\n", child->name, lines[i]);
      }
  g_print ("%s logged %u lines on stderr (%u warnings or worse) in %s\n",
           child->name, n_lines, n_warnings, child->log_path);
}

static void
child_clear (Child *child)
{
  if (child->pid > 0 && child->exit_status == NOT_EXITED)
    {
      kill (child->pid, SIGKILL);
      child_wait_exit (child, EXIT_TIMEOUT_US);
    }
  g_clear_pointer (&child->bootstrap, g_free);
  g_clear_pointer (&child->log_path, g_free);
  if (child->pending != NULL)
    g_string_free (child->pending, TRUE);
  child->pending = NULL;
}

/* CPU time (user + system) of @pid in µs, from /proc/PID/stat. */
static gint64
process_cpu_us (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      (after_name = strrchr (text, ')')) == NULL)
    return 0;
  /* After "pid (comm) ": state is field 3, utime 14, stime 15. */
  fields = g_strsplit (after_name + 2, " ", 14);
  if (g_strv_length (fields) < 14)
    return 0;
  return (g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10)) *
         G_USEC_PER_SEC / sysconf (_SC_CLK_TCK);
}

/* A "Key:   value kB" line of /proc/PID/status, as a number. */
static gint64
process_status_value (GPid        pid,
                      const char *key)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      (line = strstr (text, key)) == NULL)
    return 0;
  return g_ascii_strtoll (line + strlen (key), NULL, 10);
}

static double
cpu_share (gint64 cpu_us,
           gint64 wall_us)
{
  return wall_us > 0 ? 100.0 * cpu_us / wall_us : 0.0;
}

/* ---------------------------------------------------------------------
 * The monitors.
 * --------------------------------------------------------------------- */

static void
monitor_established (BenchLink *link)
{
  Load *load = link->all->user_data;
  guint i = link->index;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) frame = NULL;

  if (load->use_auth)
    json = g_strdup_printf ("{\"type\":\"auth\",\"cp_id\":\"B%05u\",\"token\":\"%s\"}",
                            i + 1, load->tokens[i]);
  else
    json = g_strdup_printf ("{\"type\":\"register\",\"cp_id\":\"B%05u\","
                            "\"location\":\"Bench street %u, Alicante\"}", i + 1, i + 1);
  frame = bench_frame_new (json);
  bench_link_request (link, frame);
}

/* The answer to "register" or "auth". */
static void
monitor_hello_answered (Load       *load,
                        BenchLink  *link,
                        const char *data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *response = NULL;
  const char *status = "";
  gint64 latency = g_get_monotonic_time () - link->sent_at;

  g_array_append_val (load->hello_latencies, latency);
  if (json_parser_load_from_data (parser, data, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      response = json_node_get_object (json_parser_get_root (parser));
      status = json_object_get_string_member_with_default (response, "status", "");
    }

  if (g_str_equal (status, "registered") || g_str_equal (status, "authorized"))
    {
      if (g_str_equal (status, "registered"))
        {
          g_free (load->tokens[link->index]);
          load->tokens[link->index] = g_strdup (json_object_get_string_member_with_default (response, "token", ""));
        }
      load->ready[link->index] = TRUE;
      load->last_answer_at[link->index] = g_get_monotonic_time ();
      if (++load->n_ready == load->links.n)
        load->all_ready_at = g_get_monotonic_time ();
      /* A monitor sends its first status within a second. */
      bench_links_schedule (link->all, link, g_get_monotonic_time () + g_random_int_range (0, PERIOD_US));
      return;
    }

  load->refused++;
  if (load->first_refusal == NULL)
    load->first_refusal = g_strdup (data);
  bench_link_close (link);
}

static void
monitor_frame (BenchLink  *link,
               const char *data,
               gsize       len)
{
  Load *load = link->all->user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 latency, gap;

  if (!load->ready[link->index])
    {
      monitor_hello_answered (load, link, data);
      return;
    }

  if (strstr (data, STATUS_OK) == NULL)
    {
      if (load->not_ok++ == 0)
        g_printerr ("first status answer that is not ok: %s\n", data);
      return;
    }
  if (!bench_link_periodic_answered (link, &latency))
    g_array_append_val (load->other_latencies, latency);

  /* Central declares a CP silent after 3 s without a status. */
  gap = now - load->last_answer_at[link->index];
  load->max_gap = MAX (load->max_gap, gap);
  if (gap >= 3 * G_USEC_PER_SEC)
    load->long_gaps++;
  load->last_answer_at[link->index] = now;
}

static const BenchLinkCallbacks monitor_callbacks = {
  .established = monitor_established,
  .frame = monitor_frame,
  .due = bench_link_periodic_due,
};

/* Connects every link (registering or authenticating), and runs until
 * each one is ready or closed. Returns the seconds it took until the last
 * one was ready, or a negative number if some never were. */
static double
connect_everyone (Load   *load,
                  gint64  timeout_us)
{
  BenchLinks *all = &load->links;
  gint64 started = g_get_monotonic_time ();
  gint64 deadline = started + timeout_us;
  guint pending;

  load->n_ready = 0;
  load->all_ready_at = 0;
  g_array_set_size (load->hello_latencies, 0);
  memset (load->ready, 0, all->n * sizeof (gboolean));
  if (!bench_links_connect_all (all, load->central.port, timeout_us))
    return -1.0;

  do
    {
      bench_links_run (all, g_get_monotonic_time () + 10000);
      pending = 0;
      for (guint i = 0; i < all->n; i++)
        pending += !all->links[i].closed && !load->ready[i];
    }
  while (pending > 0 && g_get_monotonic_time () < deadline);

  bench_latencies_sort (load->hello_latencies);
  g_print ("%s answered in p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
           load->use_auth ? "auth" : "register", bench_latency_ms (load->hello_latencies, 0.5),
           bench_latency_ms (load->hello_latencies, 0.99), bench_latency_ms (load->hello_latencies, 1.0));
  if (load->n_ready < all->n)
    {
      g_printerr ("only %u of %u links became ready (%u still waiting)\n",
                  load->n_ready, all->n, pending);
      return -1.0;
    }
  return (load->all_ready_at - started) / 1e6;
}

/* ---------------------------------------------------------------------
 * The run.
 * --------------------------------------------------------------------- */

static gboolean
start_central (Load       *load,
               const char *central_path)
{
  char *argv[] = {
    (char *) central_path, "--headless", "--listen", "127.0.0.1:0", "--auto-approve",
    "--kafka", load->broker.bootstrap, "--db", load->db_path, NULL
  };

  return child_spawn (load, &load->central, "ev-central", argv) &&
         child_wait_ready (&load->central, EXIT_TIMEOUT_US);
}

static gboolean
make_private_dirs (Load *load)
{
  const char *subdirs[][2] = {
    { "XDG_RUNTIME_DIR", "run" }, { "XDG_DATA_HOME", "data" }, { "XDG_STATE_HOME", "state" },
    { "XDG_CONFIG_HOME", "config" }, { "XDG_CACHE_HOME", "cache" },
  };
  g_autoptr(GError) error = NULL;

  load->tmp_dir = g_dir_make_tmp ("central-load-XXXXXX", &error);
  if (load->tmp_dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  load->db_path = g_build_filename (load->tmp_dir, "central.db", NULL);
  load->envp = g_get_environ ();
  load->envp = g_environ_setenv (load->envp, "GSETTINGS_BACKEND", "memory", TRUE);
  load->envp = g_environ_unsetenv (load->envp, "G_MESSAGES_DEBUG");
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (load->tmp_dir, subdirs[i][1], NULL);

      g_mkdir (dir, 0700);
      load->envp = g_environ_setenv (load->envp, subdirs[i][0], dir, TRUE);
    }
  return TRUE;
}

typedef struct
{
  double register_s;
  double register_cpu;
  double window_cpu;
  double bench_cpu;
  gint64 rss_kb;
  gint64 threads;
  double startup_s;
  double auth_s;
  gint64 cps_after_restart;
  int sigterm_status;
  double quit_s;
  int quit_status;
  int broker_status;
} Figures;

static gint64
self_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (gint64) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* Registers everyone, warms up, measures. FALSE if it could not. */
static gboolean
run_load (Load    *load,
          int      seconds,
          gint64   timeout_us,
          Figures *figures)
{
  gint64 cpu_before, started, bench_before;

  started = g_get_monotonic_time ();
  cpu_before = process_cpu_us (load->central.pid);
  figures->register_s = connect_everyone (load, timeout_us);
  figures->register_cpu = cpu_share (process_cpu_us (load->central.pid) - cpu_before,
                                     g_get_monotonic_time () - started);
  g_print ("%u of %u links registered in %.2f s\n", load->n_ready, load->links.n, figures->register_s);
  if (figures->register_s < 0)
    return FALSE;

  bench_links_run (&load->links, g_get_monotonic_time () + WARM_UP_US);

  cpu_before = process_cpu_us (load->central.pid);
  bench_before = self_cpu_us ();
  bench_links_start_window (&load->links, (gint64) seconds * G_USEC_PER_SEC);
  bench_links_run (&load->links, load->links.periodic.measure_until);
  figures->window_cpu = cpu_share (process_cpu_us (load->central.pid) - cpu_before,
                                   g_get_monotonic_time () - load->links.periodic.measure_from);
  figures->bench_cpu = cpu_share (self_cpu_us () - bench_before,
                                  g_get_monotonic_time () - load->links.periodic.measure_from);
  figures->rss_kb = process_status_value (load->central.pid, "VmRSS:");
  figures->threads = process_status_value (load->central.pid, "Threads:");
  return TRUE;
}

/* Closes every link, stops Central with SIGTERM, starts it again on the
 * same database and authenticates everyone with their tokens. */
static gboolean
run_restart (Load       *load,
             const char *central_path,
             gint64      timeout_us,
             Figures    *figures)
{
  gint64 started;

  bench_links_close_all (&load->links, TRUE);
  kill (load->central.pid, SIGTERM);
  figures->sigterm_status = child_wait_exit (&load->central, EXIT_TIMEOUT_US);

  started = g_get_monotonic_time ();
  if (!start_central (load, central_path))
    return FALSE;
  figures->startup_s = (g_get_monotonic_time () - started) / 1e6;
  figures->cps_after_restart = load->central.cps;

  load->use_auth = TRUE;
  figures->auth_s = connect_everyone (load, timeout_us);
  g_print ("Central restarted in %.2f s with %" G_GINT64_FORMAT " CPs; %u of %u links authenticated in %.2f s\n",
           figures->startup_s, figures->cps_after_restart, load->n_ready, load->links.n, figures->auth_s);
  if (figures->auth_s < 0)
    return FALSE;
  /* A little steady state after the storm. */
  bench_links_run (&load->links, g_get_monotonic_time () + WARM_UP_US);
  return TRUE;
}

static void
print_exit (const char *what,
            int         status)
{
  if (status == NOT_EXITED)
    g_print ("%s: not run\n", what);
  else if (status > 128)
    g_print ("%s: killed by signal %d\n", what, status - 128);
  else
    g_print ("%s: exit status %d\n", what, status);
}

static void
print_figures (Load     *load,
               int       seconds,
               gboolean  restart,
               Figures  *figures)
{
  BenchLinks *all = &load->links;
  BenchPeriodic *periodic = &all->periodic;
  GArray *sorted = periodic->latencies;
  g_autofree char *startup = restart ? g_strdup_printf ("%.2f", figures->startup_s) : g_strdup ("–");
  g_autofree char *auth = restart ? g_strdup_printf ("%.2f", figures->auth_s) : g_strdup ("–");

  bench_latencies_sort (sorted);
  g_print ("\n| links | register all s | Central CPU %% registering | seconds | sent | answered | skipped "
           "| errors nack/eot/denied/closed | p50 ms | p99 ms | max ms | Central CPU %% | Central RSS MB "
           "| restart: startup s | restart: auth all s | quit s | quit exit |\n");
  g_print ("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  g_print ("| %u | %.2f | %.0f | %d | %" G_GUINT64_FORMAT " | %u | %" G_GUINT64_FORMAT
           " | %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
           " | %.2f | %.2f | %.2f | %.1f | %.0f | %s | %s | %.2f | %d |\n\n",
           all->n, figures->register_s, figures->register_cpu, seconds, periodic->sent, sorted->len,
           periodic->skipped, all->nacks + all->bad_frames, all->eots, load->refused + load->not_ok,
           all->closed_by_peer + all->send_failures + all->connect_failures,
           bench_latency_ms (sorted, 0.50), bench_latency_ms (sorted, 0.99), bench_latency_ms (sorted, 1.0),
           figures->window_cpu, figures->rss_kb / 1024.0, startup, auth, figures->quit_s,
           figures->quit_status);

  g_print ("Errors, whole run: %" G_GUINT64_FORMAT " NACK, %" G_GUINT64_FORMAT " bad frames, %"
           G_GUINT64_FORMAT " EOT, %" G_GUINT64_FORMAT " register/auth refused, %" G_GUINT64_FORMAT
           " status not ok, %" G_GUINT64_FORMAT " closed by Central, %" G_GUINT64_FORMAT " failed sends, %"
           G_GUINT64_FORMAT " failed connects; %"
           G_GUINT64_FORMAT " status sends skipped (previous one unanswered after ~1 s)\n",
           all->nacks, all->bad_frames, all->eots, load->refused, load->not_ok,
           all->closed_by_peer, all->send_failures, all->connect_failures, periodic->skipped_total);
  bench_latencies_sort (load->other_latencies);
  g_print ("Status outside the window (registration, warm-up, restart): %u answered, p50 %.2f ms, "
           "p99 %.2f ms, max %.2f ms; longest gap between two answers on a link %.2f s, %"
           G_GUINT64_FORMAT " gaps of 3 s or more\n",
           load->other_latencies->len, bench_latency_ms (load->other_latencies, 0.5),
           bench_latency_ms (load->other_latencies, 0.99), bench_latency_ms (load->other_latencies, 1.0),
           load->max_gap / 1e6, load->long_gaps);
  if (load->first_refusal != NULL)
    g_print ("First refusal: %s\n", load->first_refusal);
  g_print ("Central events: %u cp-registered, %u cp-authenticated, %u cp-state, %u cp-disconnected, "
           "%u auth-denied, %u error, %u other\n",
           load->events.registered, load->events.authenticated, load->events.state_changes,
           load->events.disconnected, load->events.denied, load->events.errors, load->events.other);
  {
    GHashTableIter iter;
    gpointer reason, count;

    g_hash_table_iter_init (&iter, load->events.disconnect_reasons);
    while (g_hash_table_iter_next (&iter, &reason, &count))
      g_print ("  cp-disconnected, reason \"%s\": %u\n", (char *) reason, GPOINTER_TO_UINT (count));
  }
  g_print ("Central: %" G_GINT64_FORMAT " threads, %.0f MB RSS after the window; this bench used %.1f%% "
           "of a core over the window\n",
           figures->threads, figures->rss_kb / 1024.0, figures->bench_cpu);
  if (restart)
    print_exit ("Central after SIGTERM", figures->sigterm_status);
  print_exit ("Central after quit", figures->quit_status);
  print_exit ("ev-broker after quit", figures->broker_status);
  child_summarize_log (&load->central);
  child_summarize_log (&load->broker);
}

int
main (int   argc,
      char *argv[])
{
  int links = 10000;
  int seconds = 20;
  int timeout = 120;
  gboolean restart = FALSE;
  gboolean keep = FALSE;
  g_autofree char *broker_path = NULL;
  g_autofree char *central_path = NULL;
  GOptionEntry entries[] = {
    { "links", 'n', 0, G_OPTION_ARG_INT, &links, "Monitor links to open (10000, at most 99999)", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Seconds to measure (20)", "S" },
    { "restart", 'r', 0, G_OPTION_ARG_NONE, &restart, "Then restart Central and authenticate everyone again", NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Seconds allowed to register or authenticate all (120)", "S" },
    { "keep", 'k', 0, G_OPTION_ARG_NONE, &keep, "Keep the temporary folder (database, logs)", NULL },
    { "broker", 0, 0, G_OPTION_ARG_FILENAME, &broker_path, "ev-broker to run (../src/broker/ev-broker)", "PATH" },
    { "central", 0, 0, G_OPTION_ARG_FILENAME, &central_path, "ev-central to run (../src/central/ev-central)", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("— load a real ev-central with monitor links");
  g_autoptr(GError) error = NULL;
  Load load = { 0, };
  Figures figures = { .sigterm_status = NOT_EXITED, .quit_status = NOT_EXITED,
                      .broker_status = NOT_EXITED };
  gint64 timeout_us, quit_started;
  gboolean ok = FALSE;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (links <= 0 || links > 99999 || seconds <= 0 || timeout <= 0)
    {
      g_printerr ("--links must be 1–99999, --seconds and --timeout positive\n");
      return 2;
    }
  timeout_us = (gint64) timeout * G_USEC_PER_SEC;
  if (broker_path == NULL)
    broker_path = bench_default_program ("../src/broker/ev-broker");
  if (central_path == NULL)
    central_path = bench_default_program ("../src/central/ev-central");

  signal (SIGPIPE, SIG_IGN);
  bench_raise_fd_limit ();
  if (!make_private_dirs (&load))
    return 1;
  bench_links_init (&load.links, links, &monitor_callbacks, &load, STATUS_REQUEST, PERIOD_US);
  load.tokens = g_new0 (char *, links + 1);
  load.ready = g_new0 (gboolean, links);
  load.hello_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  load.other_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  load.last_answer_at = g_new0 (gint64, links);
  load.events.disconnect_reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  {
    char *broker_argv[] = { broker_path, NULL };

    if (child_spawn (&load, &load.broker, "ev-broker", broker_argv) &&
        child_wait_ready (&load.broker, EXIT_TIMEOUT_US) &&
        start_central (&load, central_path))
      {
        g_print ("broker at %s; Central on port %" G_GINT64_FORMAT " (pid %d), database %s\n",
                 load.broker.bootstrap, load.central.port, load.central.pid, load.db_path);
        ok = run_load (&load, seconds, timeout_us, &figures) &&
             (!restart || run_restart (&load, central_path, timeout_us, &figures));
      }
  }

  /* Leave politely: links first, then Central, then the broker. */
  bench_links_close_all (&load.links, TRUE);
  quit_started = g_get_monotonic_time ();
  if (load.central.pid > 0 && load.central.exit_status == NOT_EXITED)
    {
      child_command (&load.central, "quit\n");
      figures.quit_status = child_wait_exit (&load.central, EXIT_TIMEOUT_US);
    }
  figures.quit_s = (g_get_monotonic_time () - quit_started) / 1e6;
  if (load.broker.pid > 0 && load.broker.exit_status == NOT_EXITED)
    {
      child_command (&load.broker, "quit\n");
      figures.broker_status = child_wait_exit (&load.broker, EXIT_TIMEOUT_US);
    }

  print_figures (&load, seconds, restart, &figures);
  ok = ok && figures.quit_status == 0 && figures.broker_status == 0;

  child_clear (&load.central);
  child_clear (&load.broker);
  bench_links_clear (&load.links);
  if (keep)
    g_print ("kept %s\n", load.tmp_dir);
  else
    bench_remove_tree (load.tmp_dir);
  g_strfreev (load.tokens);
  g_free (load.ready);
  g_free (load.first_refusal);
  g_array_unref (load.hello_latencies);
  g_array_unref (load.other_latencies);
  g_free (load.last_answer_at);
  g_strfreev (load.envp);
  g_hash_table_unref (load.events.disconnect_reasons);
  g_free (load.tmp_dir);
  g_free (load.db_path);

  return ok ? 0 : 1;
}

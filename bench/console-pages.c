/* console-pages: Central's console over a database of 100,000 log lines
 * and 100,000 concluded sessions (issue 12).
 *
 * The console is the app's own: a CentralService over a CentralCore on a
 * SQLite file made here through EvStore (N registered CPs, log lines and
 * concluded sessions spread over the past two weeks), a private
 * ev-broker (the core needs one), and a CentralWindow at 1280×800 with
 * the app's style sheet. Nothing is called behind the window's back: the
 * pages are switched with central_window_show_page(), searches are typed
 * into the pages' own search entries, and scrolling moves the pages' own
 * scrollbars. Each step is timed up to the frame that shows it:
 *
 * - window creation → the first frame with cards;
 * - switching to each page → the next frame;
 * - typing a search on the Log and History pages → the results in the
 *   list and "Found …" in the count label, painted; clearing it → the
 *   live newest entries, painted; the same searches on the database
 *   alone (an EvStoreReader, as the service's worker thread does);
 * - scrolling the History page (its newest 1,000) and the Log page (a
 *   search's 1,000) from top to bottom, half a page a frame: frame
 *   intervals and the work of each frame;
 * - how late a 10 ms timer of the main loop runs, per phase and over
 *   the run; VmRSS; what the service keeps in its view models.
 *
 * A tick callback keeps the frame clock running, as an animation would,
 * so there is always a next frame and a stalled main loop shows as a
 * long one. No timing is asserted: this reports figures.
 *
 *   console-pages [--cps N] [--log N] [--sessions N] [--repeat N]
 *                 [--renderer NAME] [--broker PATH] [--keep] [--json]
 *
 * Run it under Xvfb: see bench/README.md. */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-links.h"
#include "central-core.h"
#include "central-cp-card.h"
#include "central-event.h"
#include "central-service.h"
#include "central-window.h"
#include "ev-store.h"

#define PROBE_MS 10
#define WIDTH 1280
#define HEIGHT 800
#define BROKER_TIMEOUT_US (30 * G_USEC_PER_SEC)
/* The longest any one step may take before the bench gives up. */
#define STEP_TIMEOUT_US (60 * G_USEC_PER_SEC)
/* Frames left to pass between two measured steps. */
#define SETTLE_FRAMES 6
/* What the pages keep in memory, and what a search shows. */
#define PAGE_LIMIT 1000
/* The log and sessions go back this far. */
#define SPAN_MS (G_GINT64_CONSTANT (14) * 24 * 3600 * 1000)
/* Rows written between two commits while making the database. */
#define BATCH_ROWS 10000
#define N_DRIVERS 5000
/* Each frame of a scroll moves this much of a page. */
#define SCROLL_STEP 0.5
/* Two refreshes at 60 Hz: a frame longer than this is a dropped frame. */
#define SLOW_FRAME_US 33400

typedef enum {
  PAGE_DASHBOARD,
  PAGE_REQUESTS,
  PAGE_LOG,
  PAGE_HISTORY,
  N_PAGES
} PageId;

static const char * const page_names[N_PAGES] = { "dashboard", "requests", "log", "history" };

/* Where the main loop's lateness is counted. */
typedef enum {
  PHASE_WINDOW,
  PHASE_PAGES,
  PHASE_SEARCH,
  PHASE_SCROLL,
  N_PHASES
} Phase;

static const char * const phase_names[N_PHASES] = { "window", "pages", "search", "scroll" };

/* The three searches of each searchable page. */
typedef enum {
  MATCH_FEW,
  MATCH_MANY,
  MATCH_NONE,
  N_MATCHES
} Match;

static const char * const match_names[N_MATCHES] = { "few", "many", "none" };

/* The widgets of one page, found in the window's tree. */
typedef struct
{
  GtkWidget *child;
  GtkColumnView *view;
  GtkEditable *entry;
  GtkLabel *count;
  GtkAdjustment *vadjustment;
  GListModel *live;
} Page;

typedef struct
{
  PageId page;
  char *text;
  /* What the database alone says, and how long it takes. */
  guint total;
  GArray *database;     /* µs */
  /* Through the window. */
  GArray *typed;        /* set_text → painted, µs */
  GArray *changed;      /* "search-changed" → painted, µs */
  GArray *cleared;      /* set_text ("") → painted, µs */
  char *label;
  guint shown;
} SearchCase;

typedef struct
{
  PageId page;
  const char *what;
  guint rows;
  /* Row widgets the list made for them, and how many are on screen. */
  guint rows_made;
  guint rows_on_screen;
  guint runs;
  gint64 total_us;
  GArray *intervals;    /* after-paint → after-paint, µs */
  GArray *work;         /* before-paint → after-paint, µs */
} ScrollCase;

typedef struct
{
  /* Options. */
  int n_cps;
  int n_log;
  int n_sessions;
  int repeat;
  gboolean keep;
  gboolean json;
  char *renderer_env;

  GRand *rand;
  char *tmp_dir;
  char *db_path;
  GSubprocess *broker;
  GDataInputStream *broker_out;
  char *bootstrap;
  CentralService *service;
  CentralWindow *window;
  Page pages[N_PAGES];

  /* Frames of the current window. */
  guint tick_id;
  gint64 before_paint_at;
  gint64 last_after_paint_at;
  guint64 after_paints;
  gint64 cards_at;
  guint cards_shown;

  /* The scroll in progress. */
  GtkAdjustment *scroll_adjustment;
  ScrollCase *scroll;
  gboolean scrolling;
  gboolean scroll_done;

  gint64 search_changed_at;

  /* Main-loop lateness, µs. */
  Phase phase;
  GArray *lateness[N_PHASES];
  GArray *lateness_all;

  /* Results. */
  double make_s;
  double make_log_s;
  double make_sessions_s;
  char *renderer;
  GArray *first_frame;
  GArray *switch_to[N_PAGES];
  SearchCase searches[2][N_MATCHES];
  ScrollCase scrolls[2];
  double rss_core;
  double rss_first_frame;
  double rss_end;
  guint model_items[N_PAGES];
  guint history_total;
} Bench;

/* Helpers -------------------------------------------------------------- */

static GArray *
us_array_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
append_us (GArray *array,
           gint64  us)
{
  g_array_append_val (array, us);
}

static double
rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0.0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtod (line + strlen ("VmRSS:"), NULL) / 1024.0 : 0.0;
}

static guint
count_over (GArray *us,
            gint64  limit)
{
  guint n = 0;

  for (guint i = 0; i < us->len; i++)
    n += g_array_index (us, gint64, i) > limit;
  return n;
}

static double
seconds_since (gint64 then)
{
  return (g_get_monotonic_time () - then) / (double) G_USEC_PER_SEC;
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Cards bound to a CP: those on screen (mapped), or all the grid made. */
static guint
count_cards (GtkWidget *widget,
             gboolean   mapped_only)
{
  guint n = 0;

  if (CENTRAL_IS_CP_CARD (widget))
    return central_cp_card_get_item (CENTRAL_CP_CARD (widget)) != NULL &&
           (!mapped_only || gtk_widget_get_mapped (widget));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_cards (child, mapped_only);
  return n;
}

/* The database ---------------------------------------------------------- */

static const char *const towns[] = {
  "Alicante", "Elche", "Benidorm", "Torrevieja", "Orihuela", "Dénia",
  "Villena", "Altea", "Calp", "Xàbia", "Petrer", "Elda", "Alcoy",
};

static const char *const streets[] = {
  "Av. Maisonnave", "Rambla de Méndez Núñez", "Plaça de Baix",
  "Av. del Mediterráneo", "Paseo Juan Aparicio", "Carrer Marqués de Campo",
  "Av. de la Libertad", "Passeig del Mediterrani", "Av. Gabriel Miró",
};

static double
cp_price (int n)
{
  return 0.30 + 0.01 * (n % 16);
}

static char *
random_cp (Bench *bench,
           int   *out_n)
{
  int n = g_rand_int_range (bench->rand, 1, bench->n_cps + 1);

  if (out_n != NULL)
    *out_n = n;
  return g_strdup_printf ("CP%05d", n);
}

static char *
random_driver (Bench *bench)
{
  return g_strdup_printf ("D%05d", g_rand_int_range (bench->rand, 1, N_DRIVERS + 1));
}

/* The lines the core logs, in the proportions of a busy day. */
static const struct {
  CentralEventKind kind;
  double weight;
} log_mix[] = {
  { CENTRAL_EVENT_AUTHORIZED, 0.30 },
  { CENTRAL_EVENT_TICKET, 0.28 },
  { CENTRAL_EVENT_CP_AUTHENTICATED, 0.10 },
  { CENTRAL_EVENT_CP_DISCONNECTED, 0.08 },
  { CENTRAL_EVENT_DENIED, 0.08 },
  { CENTRAL_EVENT_CP_STATE, 0.06 },
  { CENTRAL_EVENT_SUPPLY_ERROR, 0.04 },
  { CENTRAL_EVENT_INVALID_MESSAGE, 0.03 },
  { CENTRAL_EVENT_STOP, 0.01 },
  { CENTRAL_EVENT_BROKER, 0.01 },
  { CENTRAL_EVENT_ERROR, 0.01 },
};

static const char *const deny_reasons[] = {
  "cp-busy", "driver-busy", "cp-disconnected", "cp-broken", "cp-stopped", "unknown-cp",
};

static const char *const fail_reasons[] = {
  "engine-fault", "cp-disconnected", "stopped-by-central",
};

/* One log line as the core's add_log() would keep it; the messages are
 * the core's (untranslated). */
static CentralEvent *
make_log_event (Bench  *bench,
                gint64  time_ms)
{
  g_autofree char *cp_id = random_cp (bench, NULL);
  g_autofree char *driver_id = random_driver (bench);
  g_autofree char *message = NULL;
  CentralEventData data = { .cp_id = cp_id };
  CentralLogLevel level = CENTRAL_LOG_INFO;
  CentralEventKind kind = log_mix[0].kind;
  double x = g_rand_double (bench->rand);
  double kwh = g_rand_double_range (bench->rand, 2.0, 60.0);
  double amount = kwh * 0.35;

  for (guint i = 0; i < G_N_ELEMENTS (log_mix); i++)
    {
      kind = log_mix[i].kind;
      x -= log_mix[i].weight;
      if (x < 0.0)
        break;
    }

  switch (kind)
    {
    case CENTRAL_EVENT_AUTHORIZED:
      message = g_strdup_printf ("Authorised driver %s at %s", driver_id, cp_id);
      break;
    case CENTRAL_EVENT_TICKET:
      message = g_strdup_printf ("Ticket for driver %s at %s: %.2f kWh, %.2f EUR", driver_id, cp_id, kwh, amount);
      break;
    case CENTRAL_EVENT_CP_AUTHENTICATED:
      message = g_strdup_printf ("Charging point %s connected from 10.%d.%d.%d:%d", cp_id,
                                 g_rand_int_range (bench->rand, 0, 256), g_rand_int_range (bench->rand, 0, 256),
                                 g_rand_int_range (bench->rand, 1, 255), g_rand_int_range (bench->rand, 32768, 61000));
      break;
    case CENTRAL_EVENT_CP_DISCONNECTED:
      level = CENTRAL_LOG_WARNING;
      message = g_strdup_printf ("Charging point %s disconnected: %s", cp_id,
                                 g_rand_boolean (bench->rand) ? "no status for 3000 ms" : "The link was closed");
      break;
    case CENTRAL_EVENT_DENIED:
      level = CENTRAL_LOG_WARNING;
      message = g_strdup_printf ("Denied driver %s at %s: %s", driver_id, cp_id,
                                 deny_reasons[g_rand_int_range (bench->rand, 0, G_N_ELEMENTS (deny_reasons))]);
      break;
    case CENTRAL_EVENT_CP_STATE:
      if (g_rand_boolean (bench->rand))
        {
          level = CENTRAL_LOG_WARNING;
          message = g_strdup_printf ("Charging point %s is broken down", cp_id);
        }
      else
        {
          message = g_strdup_printf ("Charging point %s has recovered", cp_id);
        }
      break;
    case CENTRAL_EVENT_SUPPLY_ERROR:
      level = CENTRAL_LOG_WARNING;
      message = g_strdup_printf ("The supply of driver %s at %s failed (%s) after %.2f kWh, %.2f EUR",
                                 driver_id, cp_id,
                                 fail_reasons[g_rand_int_range (bench->rand, 0, G_N_ELEMENTS (fail_reasons))],
                                 kwh, amount);
      break;
    case CENTRAL_EVENT_INVALID_MESSAGE:
      level = CENTRAL_LOG_WARNING;
      data.cp_id = NULL;
      message = g_strdup_printf ("Skipped a message on “supply-data”: energy went down from %.3f to %.3f kWh",
                                 kwh, kwh / 2);
      break;
    case CENTRAL_EVENT_STOP:
      message = g_strdup_printf ("Stopped charging point %s", cp_id);
      break;
    case CENTRAL_EVENT_BROKER:
      data.cp_id = NULL;
      level = g_rand_boolean (bench->rand) ? CENTRAL_LOG_WARNING : CENTRAL_LOG_INFO;
      message = g_strdup (level == CENTRAL_LOG_WARNING ? "The Kafka broker is unreachable"
                                                       : "The Kafka broker is reachable");
      break;
    case CENTRAL_EVENT_ERROR:
    default:
      data.cp_id = NULL;
      level = CENTRAL_LOG_ERROR;
      message = g_strdup ("Could not publish on “supply-res”: Local: Message timed out");
      break;
    }

  return central_event_new (kind, time_ms, level, message, &data);
}

/* One supply from authorisation to its end, as the core records it. Most
 * end with a ticket (unplugged); some never got a vehicle, some were
 * stopped, some failed. */
static gboolean
add_session (Bench    *bench,
             EvStore  *store,
             gint64    ended_at,
             GError  **error)
{
  g_autofree char *supply_id = g_uuid_string_random ();
  g_autofree char *driver_id = NULL;
  g_autofree char *cp_id = NULL;
  g_autoptr(EvSupply) outcome = NULL;
  EvSupplyPhase phase = EV_SUPPLY_PHASE_FINISHED;
  const char *reason = "unplugged";
  double x = g_rand_double (bench->rand);
  double minutes = g_rand_double_range (bench->rand, 5.0, 120.0);
  double kw = g_rand_double_range (bench->rand, 7.0, 50.0);
  double kwh, price;
  int cp_n;

  cp_id = random_cp (bench, &cp_n);
  price = cp_price (cp_n);
  /* Some supplies are asked for at the station itself. */
  driver_id = g_rand_double (bench->rand) < 0.05 ? g_strdup_printf ("station:%s", cp_id) : random_driver (bench);

  if ((x -= 0.04) < 0.0)
    reason = "not-plugged";
  else if ((x -= 0.03) < 0.0)
    reason = "stopped-by-central";
  else if ((x -= 0.03) < 0.0)
    reason = "engine-fault";
  else if ((x -= 0.03) < 0.0)
    {
      phase = EV_SUPPLY_PHASE_FAILED;
      reason = fail_reasons[g_rand_int_range (bench->rand, 0, G_N_ELEMENTS (fail_reasons))];
    }
  kwh = g_str_equal (reason, "not-plugged") ? 0.0 : kw * minutes / 60.0;

  if (!ev_store_create_session (store, supply_id, cp_id, driver_id, price, error))
    return FALSE;

  outcome = ev_supply_new (supply_id, cp_id, driver_id);
  ev_supply_set_phase (outcome, phase);
  ev_supply_set_price (outcome, price);
  ev_supply_set_kwh (outcome, kwh);
  ev_supply_set_amount (outcome, kwh * price);
  ev_supply_set_seq (outcome, kwh > 0.0 ? (guint) minutes : 0);
  ev_supply_set_started_at (outcome, kwh > 0.0 ? ended_at - (gint64) (minutes * 60000) : 0);
  ev_supply_set_ended_at (outcome, ended_at);
  ev_supply_set_reason (outcome, reason);

  return ev_store_finish_session (store, outcome, NULL, error);
}

/* When the i-th of @n entries happened: evenly over the span, oldest
 * first, with some jitter. */
static gint64
entry_time (Bench  *bench,
            gint64  now_ms,
            int     i,
            int     n)
{
  gint64 step = SPAN_MS / MAX (n, 1);

  return now_ms - SPAN_MS + i * step + g_rand_int_range (bench->rand, 0, (gint32) MAX (step, 1));
}

static gboolean
make_database (Bench   *bench,
               GError **error)
{
  g_autoptr(EvStore) store = ev_store_open (bench->db_path, error);
  gint64 now_ms = g_get_real_time () / 1000 - 60000;
  gint64 started = g_get_monotonic_time ();

  if (store == NULL)
    return FALSE;

  for (int i = 0; i < bench->n_cps; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP%05d", i + 1);
      g_autofree char *location = g_strdup_printf ("%s, %s %d",
                                                   towns[i % G_N_ELEMENTS (towns)],
                                                   streets[(i / 7) % G_N_ELEMENTS (streets)],
                                                   1 + i % 97);
      g_autofree char *token = ev_store_register_cp (store, cp_id, location, cp_price (i + 1), error);

      if (token == NULL)
        return FALSE;
    }
  if (!ev_store_flush (store, error))
    return FALSE;

  for (int i = 0; i < bench->n_log; i++)
    {
      g_autoptr(CentralEvent) event = make_log_event (bench, entry_time (bench, now_ms, i, bench->n_log));

      if (!ev_store_append_log (store, central_event_get_time (event), central_event_get_level (event),
                                central_event_get_name (event), central_event_get_cp_id (event),
                                central_event_get_message (event), error))
        return FALSE;
      if ((i + 1) % BATCH_ROWS == 0 && !ev_store_flush (store, error))
        return FALSE;
    }
  if (!ev_store_flush (store, error))
    return FALSE;
  bench->make_log_s = seconds_since (started);

  for (int i = 0; i < bench->n_sessions; i++)
    {
      if (!add_session (bench, store, entry_time (bench, now_ms, i, bench->n_sessions), error))
        return FALSE;
      if ((i + 1) % BATCH_ROWS == 0 && !ev_store_flush (store, error))
        return FALSE;
    }
  if (!ev_store_flush (store, error))
    return FALSE;

  bench->make_s = seconds_since (started);
  bench->make_sessions_s = bench->make_s - bench->make_log_s;
  return TRUE;
}

/* The searches of the Log and History pages, on the database alone: a
 * new reader each time and the window's limit, as the service's worker
 * thread does. */
static gboolean
search_database (Bench   *bench,
                 GError **error)
{
  for (int r = 0; r < bench->repeat; r++)
    for (guint p = 0; p < 2; p++)
      for (Match m = 0; m < N_MATCHES; m++)
        {
          SearchCase *c = &bench->searches[p][m];
          g_autoptr(EvStoreReader) reader = NULL;
          g_autoptr(GPtrArray) rows = NULL;
          gint64 started = g_get_monotonic_time ();

          reader = ev_store_reader_open (bench->db_path, error);
          if (reader == NULL)
            return FALSE;
          if (c->page == PAGE_LOG)
            rows = ev_store_reader_search_log (reader, c->text, PAGE_LIMIT, &c->total, error);
          else
            rows = ev_store_reader_search_history (reader, c->text, PAGE_LIMIT, &c->total, error);
          if (rows == NULL)
            return FALSE;
          append_us (c->database, g_get_monotonic_time () - started);
        }

  return TRUE;
}

/* The broker ------------------------------------------------------------ */

static void
broker_line_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Bench *bench = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, NULL);

  /* Drained so that it never blocks on a full pipe; nothing else needed. */
  if (line != NULL && bench->broker_out != NULL)
    g_data_input_stream_read_line_async (bench->broker_out, G_PRIORITY_LOW, NULL,
                                         broker_line_cb, bench);
}

/* Starts a private ev-broker (in this process's temporary XDG folders)
 * and reads its "ready" line for the bootstrap address. */
static gboolean
start_broker (Bench       *bench,
              const char  *path,
              GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *log_path = g_build_filename (bench->tmp_dir, "ev-broker.log", NULL);
  g_autofree char *line = NULL;
  JsonObject *ready;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  bench->broker = g_subprocess_launcher_spawn (launcher, error, path, "--headless", NULL);
  if (bench->broker == NULL)
    return FALSE;

  bench->broker_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bench->broker));
  line = g_data_input_stream_read_line (bench->broker_out, NULL, NULL, error);
  if (line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ev-broker ended without a ready event");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, line, -1, error))
    return FALSE;
  ready = json_node_get_object (json_parser_get_root (parser));
  if (ready == NULL || g_strcmp0 (json_object_get_string_member_with_default (ready, "event", NULL), "ready") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ev-broker said %s", line);
      return FALSE;
    }
  bench->bootstrap = g_strdup (json_object_get_string_member_with_default (ready, "bootstrap", NULL));

  g_data_input_stream_read_line_async (bench->broker_out, G_PRIORITY_LOW, NULL, broker_line_cb, bench);
  return bench->bootstrap != NULL;
}

static void
stop_broker (Bench *bench)
{
  g_autoptr(GError) error = NULL;

  if (bench->broker == NULL)
    return;

  /* ev-broker quits when its stdin closes. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (bench->broker), NULL, NULL);
  if (!g_subprocess_wait_check (bench->broker, NULL, &error))
    g_printerr ("ev-broker: %s\n", error->message);
  g_clear_object (&bench->broker_out);
  g_clear_object (&bench->broker);
}

/* Frames and the main loop ---------------------------------------------- */

static gboolean
probe_cb (gpointer user_data)
{
  Bench *bench = user_data;
  /* A timeout's ready time is the expiration it waited for; GLib sets
   * the next one from this dispatch, so lateness does not accumulate. */
  gint64 late = MAX (g_get_monotonic_time () - g_source_get_ready_time (g_main_current_source ()), 0);

  append_us (bench->lateness[bench->phase], late);
  append_us (bench->lateness_all, late);
  return G_SOURCE_CONTINUE;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 Bench         *bench)
{
  bench->before_paint_at = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->cards_at == 0 && bench->window != NULL)
    {
      guint cards = count_cards (GTK_WIDGET (bench->window), TRUE);

      if (cards > 0)
        {
          bench->cards_at = now;
          bench->cards_shown = cards;
        }
    }

  if (bench->scrolling)
    {
      append_us (bench->scroll->work, now - bench->before_paint_at);
      append_us (bench->scroll->intervals, now - bench->last_after_paint_at);
    }

  bench->last_after_paint_at = now;
  bench->after_paints++;
}

static gboolean
keep_ticking_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
window_realize_cb (GtkWidget *widget,
                   Bench     *bench)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), bench);
  g_signal_connect_after (clock, "after-paint", G_CALLBACK (after_paint_cb), bench);
}

static gboolean
spin_once (gint64   deadline,
           GError **error)
{
  if (g_get_monotonic_time () > deadline)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "a step took longer than %d s",
                   (int) (STEP_TIMEOUT_US / G_USEC_PER_SEC));
      return FALSE;
    }
  g_main_context_iteration (NULL, TRUE);
  return TRUE;
}

/* Runs the main loop up to the next after-paint and returns its time. */
static gint64
next_paint (Bench   *bench,
            GError **error)
{
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  guint64 paints = bench->after_paints;

  while (bench->after_paints == paints)
    if (!spin_once (deadline, error))
      return 0;
  return bench->last_after_paint_at;
}

static gboolean
settle (Bench   *bench,
        GError **error)
{
  for (guint i = 0; i < SETTLE_FRAMES; i++)
    if (next_paint (bench, error) == 0)
      return FALSE;
  return TRUE;
}

/* The window ------------------------------------------------------------ */

static void
close_window (Bench *bench)
{
  if (bench->window == NULL)
    return;

  gtk_widget_remove_tick_callback (GTK_WIDGET (bench->window), bench->tick_id);
  gtk_window_destroy (GTK_WINDOW (bench->window));
  g_clear_object (&bench->window);
  memset (bench->pages, 0, sizeof bench->pages);
}

/* A new window, timed from its creation to the first frame with cards. */
static gboolean
open_window (Bench   *bench,
             GError **error)
{
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  gint64 created = g_get_monotonic_time ();

  bench->cards_at = 0;
  bench->window = g_object_ref_sink (central_window_new (NULL, bench->service));
  g_signal_connect (bench->window, "realize", G_CALLBACK (window_realize_cb), bench);
  gtk_window_set_default_size (GTK_WINDOW (bench->window), WIDTH, HEIGHT);
  bench->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (bench->window), keep_ticking_cb, NULL, NULL);
  gtk_window_present (GTK_WINDOW (bench->window));

  while (bench->cards_at == 0)
    if (!spin_once (deadline, error))
      return FALSE;
  append_us (bench->first_frame, bench->cards_at - created);
  return TRUE;
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   Bench          *bench)
{
  bench->search_changed_at = g_get_monotonic_time ();
}

/* The widgets of each page, by the window's layout: a page's list is its
 * one GtkColumnView; the Log and History pages have a count label (the
 * first label) and a search entry. */
static gboolean
find_pages (Bench   *bench,
            GError **error)
{
  GtkWidget *stack = find_widget (GTK_WIDGET (bench->window), ADW_TYPE_VIEW_STACK);
  GListModel *live[N_PAGES] = {
    NULL,
    central_service_get_requests (bench->service),
    central_service_get_log (bench->service),
    central_service_get_history (bench->service),
  };

  for (PageId p = 0; p < N_PAGES; p++)
    {
      Page *page = &bench->pages[p];
      GtkWidget *scrolled;

      page->child = stack != NULL ? adw_view_stack_get_child_by_name (ADW_VIEW_STACK (stack), page_names[p]) : NULL;
      if (page->child == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the window has no %s page", page_names[p]);
          return FALSE;
        }
      if (p == PAGE_DASHBOARD)
        continue;

      page->live = live[p];
      page->view = GTK_COLUMN_VIEW (find_widget (page->child, GTK_TYPE_COLUMN_VIEW));
      scrolled = page->view != NULL ? gtk_widget_get_ancestor (GTK_WIDGET (page->view), GTK_TYPE_SCROLLED_WINDOW) : NULL;
      if (scrolled == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the %s page has no list", page_names[p]);
          return FALSE;
        }
      page->vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
      if (p == PAGE_REQUESTS)
        continue;

      page->entry = GTK_EDITABLE (find_widget (page->child, GTK_TYPE_SEARCH_ENTRY));
      page->count = GTK_LABEL (find_widget (page->child, GTK_TYPE_LABEL));
      if (page->entry == NULL || page->count == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the %s page has no search", page_names[p]);
          return FALSE;
        }
      g_signal_connect (page->entry, "search-changed", G_CALLBACK (search_changed_cb), bench);
    }

  return TRUE;
}

/* The model a page's list shows: the window wraps it in a sort model and
 * a GtkNoSelection. NULL while the page is hidden. */
static GListModel *
shown_model (Page *page)
{
  GtkSelectionModel *selection = gtk_column_view_get_model (page->view);
  GListModel *model;

  if (!GTK_IS_NO_SELECTION (selection))
    return NULL;
  model = gtk_no_selection_get_model (GTK_NO_SELECTION (selection));
  return GTK_IS_SORT_LIST_MODEL (model) ? gtk_sort_list_model_get_model (GTK_SORT_LIST_MODEL (model)) : model;
}

/* How many row widgets @page's list has made, and how many of them are
 * on screen. */
static guint
count_rows (Page  *page,
            guint *out_on_screen)
{
  GtkWidget *list = find_widget (GTK_WIDGET (page->view), GTK_TYPE_LIST_VIEW);
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (page->view), GTK_TYPE_SCROLLED_WINDOW);
  double height = gtk_widget_get_height (scrolled);
  guint n = 0;

  *out_on_screen = 0;
  for (GtkWidget *row = list != NULL ? gtk_widget_get_first_child (list) : NULL;
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t bounds;

      if (!gtk_widget_get_visible (row))
        continue;
      n++;
      /* The list maps only the rows in view. */
      if (gtk_widget_get_mapped (row) && gtk_widget_compute_bounds (row, scrolled, &bounds) &&
          bounds.origin.y + bounds.size.height > 0 && bounds.origin.y < height)
        (*out_on_screen)++;
    }
  return n;
}

static gboolean
show_page (Bench   *bench,
           PageId   p,
           GError **error)
{
  if (!central_window_show_page (bench->window, page_names[p]))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no page %s", page_names[p]);
      return FALSE;
    }
  return settle (bench, error);
}

/* Measurements ---------------------------------------------------------- */

static gboolean
measure_page_switches (Bench   *bench,
                       GError **error)
{
  /* From the dashboard, each page in turn and back to the dashboard. */
  static const PageId order[] = { PAGE_REQUESTS, PAGE_LOG, PAGE_HISTORY, PAGE_DASHBOARD };

  for (int r = 0; r < bench->repeat; r++)
    for (guint i = 0; i < G_N_ELEMENTS (order); i++)
      {
        gint64 started, painted;

        if (!settle (bench, error))
          return FALSE;
        started = g_get_monotonic_time ();
        central_window_show_page (bench->window, page_names[order[i]]);
        if ((painted = next_paint (bench, error)) == 0)
          return FALSE;
        append_us (bench->switch_to[order[i]], painted - started);
      }

  return TRUE;
}

/* Types @text into @page's search entry and runs the main loop until the
 * list shows what the page should show and a frame has painted it: for a
 * search, its results with "Found …" in the count label; for "", the
 * live newest entries again. Returns the time from the typing and from
 * "search-changed" to that frame. */
static gboolean
type_search (Bench       *bench,
             Page        *page,
             const char  *text,
             gint64      *out_typed,
             gint64      *out_changed,
             GError     **error)
{
  g_autofree char *before = g_strdup (gtk_label_get_label (page->count));
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  gboolean clearing = *text == '\0';
  gint64 typed, painted;

  bench->search_changed_at = 0;
  typed = g_get_monotonic_time ();
  gtk_editable_set_text (page->entry, text);
  for (;;)
    {
      GListModel *shown = shown_model (page);

      if (clearing ? shown == page->live
                   : (shown != NULL && shown != page->live &&
                      g_strcmp0 (gtk_label_get_label (page->count), before) != 0))
        break;
      if (!spin_once (deadline, error))
        return FALSE;
    }
  if ((painted = next_paint (bench, error)) == 0)
    return FALSE;

  *out_typed = painted - typed;
  *out_changed = bench->search_changed_at != 0 ? painted - bench->search_changed_at : 0;
  return TRUE;
}

static gboolean
measure_searches (Bench   *bench,
                  guint    index,
                  GError **error)
{
  SearchCase *cases = bench->searches[index];
  Page *page = &bench->pages[cases[0].page];

  if (!show_page (bench, cases[0].page, error))
    return FALSE;

  for (int r = 0; r < bench->repeat; r++)
    for (Match m = 0; m < N_MATCHES; m++)
      {
        SearchCase *c = &cases[m];
        gint64 typed, changed, cleared;

        if (!settle (bench, error) ||
            !type_search (bench, page, c->text, &typed, &changed, error))
          return FALSE;
        append_us (c->typed, typed);
        append_us (c->changed, changed);
        g_free (c->label);
        c->label = g_strdup (gtk_label_get_label (page->count));
        c->shown = g_list_model_get_n_items (shown_model (page));

        if (!settle (bench, error) ||
            !type_search (bench, page, "", &cleared, &changed, error))
          return FALSE;
        append_us (c->cleared, cleared);
      }

  return TRUE;
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Bench *bench = user_data;
  GtkAdjustment *adjustment = bench->scroll_adjustment;
  double page_size = gtk_adjustment_get_page_size (adjustment);
  double bottom = gtk_adjustment_get_upper (adjustment) - page_size;
  double value = gtk_adjustment_get_value (adjustment);

  /* The last step was painted at the bottom: this frame is not counted. */
  if (value >= bottom - 0.5)
    {
      bench->scrolling = FALSE;
      bench->scroll_done = TRUE;
      return G_SOURCE_REMOVE;
    }

  gtk_adjustment_set_value (adjustment, MIN (value + page_size * SCROLL_STEP, bottom));
  return G_SOURCE_CONTINUE;
}

/* Scrolls @page's list from the top to the bottom, half a page a frame. */
static gboolean
scroll_page (Bench      *bench,
             ScrollCase *scroll,
             GError    **error)
{
  Page *page = &bench->pages[scroll->page];
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  gint64 started;

  gtk_adjustment_set_value (page->vadjustment, gtk_adjustment_get_lower (page->vadjustment));
  if (!settle (bench, error))
    return FALSE;

  scroll->rows = g_list_model_get_n_items (shown_model (page));
  scroll->rows_made = count_rows (page, &scroll->rows_on_screen);
  bench->scroll = scroll;
  bench->scroll_adjustment = page->vadjustment;
  bench->scroll_done = FALSE;
  bench->scrolling = TRUE;
  started = g_get_monotonic_time ();
  gtk_widget_add_tick_callback (GTK_WIDGET (bench->window), scroll_tick_cb, bench, NULL);
  while (!bench->scroll_done)
    if (!spin_once (deadline, error))
      return FALSE;
  scroll->total_us += bench->last_after_paint_at - started;
  scroll->runs++;
  bench->scroll = NULL;
  return TRUE;
}

static gboolean
measure_scrolls (Bench   *bench,
                 GError **error)
{
  ScrollCase *history = &bench->scrolls[0];
  ScrollCase *log = &bench->scrolls[1];
  SearchCase *many = &bench->searches[0][MATCH_MANY];
  Page *log_page = &bench->pages[PAGE_LOG];
  gint64 typed, changed;

  if (!show_page (bench, PAGE_HISTORY, error))
    return FALSE;
  for (int r = 0; r < bench->repeat; r++)
    if (!scroll_page (bench, history, error))
      return FALSE;

  /* The Log page keeps only what happened since Central started: its
   * 1,000 rows to scroll are a search's. */
  if (!show_page (bench, PAGE_LOG, error) ||
      !type_search (bench, log_page, many->text, &typed, &changed, error))
    return FALSE;
  for (int r = 0; r < bench->repeat; r++)
    if (!scroll_page (bench, log, error))
      return FALSE;

  return type_search (bench, log_page, "", &typed, &changed, error);
}

/* Report ---------------------------------------------------------------- */

static void
print_row (const char *what,
           GArray     *us)
{
  bench_latencies_sort (us);
  g_print ("| %s | %u | %.1f | %.1f | %.1f |\n", what, us->len,
           bench_latency_ms (us, 0.0), bench_latency_ms (us, 0.5), bench_latency_ms (us, 1.0));
}

static void
print_search_row (SearchCase *c,
                  const char *what,
                  GArray     *us)
{
  g_autofree char *row = g_strdup_printf ("%s search “%s”%s", page_names[c->page], c->text, what);

  print_row (row, us);
}

static void
json_int (JsonBuilder *builder,
          const char  *name,
          gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
json_double (JsonBuilder *builder,
             const char  *name,
             double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

static void
json_string (JsonBuilder *builder,
             const char  *name,
             const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
json_stats (JsonBuilder *builder,
            const char  *name,
            GArray      *us,
            gboolean     percentiles)
{
  bench_latencies_sort (us);
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_int (builder, "n", us->len);
  if (percentiles)
    {
      json_double (builder, "p50", bench_latency_ms (us, 0.5));
      json_double (builder, "p99", bench_latency_ms (us, 0.99));
    }
  else
    {
      json_double (builder, "min", bench_latency_ms (us, 0.0));
      json_double (builder, "median", bench_latency_ms (us, 0.5));
    }
  json_double (builder, "max", bench_latency_ms (us, 1.0));
  json_builder_end_object (builder);
}

static void
print_json (Bench *bench)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_string (builder, "bench", "console-pages");
  json_string (builder, "renderer", bench->renderer);
  json_string (builder, "gsk_renderer_env", bench->renderer_env != NULL ? bench->renderer_env : "");
  json_int (builder, "cps", bench->n_cps);
  json_int (builder, "log", bench->n_log);
  json_int (builder, "sessions", bench->n_sessions);
  json_int (builder, "repeat", bench->repeat);
  json_double (builder, "make_database_s", bench->make_s);

  json_stats (builder, "first_frame_ms", bench->first_frame, FALSE);
  json_builder_set_member_name (builder, "switch_ms");
  json_builder_begin_object (builder);
  for (PageId p = 0; p < N_PAGES; p++)
    json_stats (builder, page_names[p], bench->switch_to[p], FALSE);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "search");
  json_builder_begin_array (builder);
  for (guint i = 0; i < 2; i++)
    for (Match m = 0; m < N_MATCHES; m++)
      {
        SearchCase *c = &bench->searches[i][m];

        json_builder_begin_object (builder);
        json_string (builder, "page", page_names[c->page]);
        json_string (builder, "match", match_names[m]);
        json_string (builder, "text", c->text);
        json_int (builder, "found", c->total);
        json_int (builder, "shown", c->shown);
        json_string (builder, "label", c->label != NULL ? c->label : "");
        json_stats (builder, "typed_ms", c->typed, FALSE);
        json_stats (builder, "search_changed_ms", c->changed, FALSE);
        json_stats (builder, "database_ms", c->database, FALSE);
        json_stats (builder, "clear_ms", c->cleared, FALSE);
        json_builder_end_object (builder);
      }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "scroll");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (bench->scrolls); i++)
    {
      ScrollCase *s = &bench->scrolls[i];

      json_builder_begin_object (builder);
      json_string (builder, "page", page_names[s->page]);
      json_int (builder, "rows", s->rows);
      json_int (builder, "row_widgets", s->rows_made);
      json_int (builder, "row_widgets_on_screen", s->rows_on_screen);
      json_int (builder, "runs", s->runs);
      json_double (builder, "seconds_per_run", s->runs > 0 ? s->total_us / 1e6 / s->runs : 0.0);
      json_stats (builder, "frame_interval_ms", s->intervals, TRUE);
      json_int (builder, "slow_frames", count_over (s->intervals, SLOW_FRAME_US));
      json_stats (builder, "frame_work_ms", s->work, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "loop_late_ms");
  json_builder_begin_object (builder);
  json_stats (builder, "all", bench->lateness_all, TRUE);
  for (Phase ph = 0; ph < N_PHASES; ph++)
    json_stats (builder, phase_names[ph], bench->lateness[ph], TRUE);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "rss_mb");
  json_builder_begin_object (builder);
  json_double (builder, "core", bench->rss_core);
  json_double (builder, "first_frame", bench->rss_first_frame);
  json_double (builder, "end", bench->rss_end);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "model_items");
  json_builder_begin_object (builder);
  for (PageId p = 0; p < N_PAGES; p++)
    json_int (builder, p == PAGE_DASHBOARD ? "charging_points" : page_names[p], bench->model_items[p]);
  json_int (builder, "history_total", bench->history_total);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
report (Bench *bench)
{
  g_print ("\n%d CPs, %d log lines, %d concluded sessions; renderer %s; each step %d times\n\n",
           bench->n_cps, bench->n_log, bench->n_sessions, bench->renderer, bench->repeat);

  g_print ("| step | n | min ms | median ms | max ms |\n|---|---|---|---|---|\n");
  print_row ("window created → first frame with cards", bench->first_frame);
  for (PageId p = 0; p < N_PAGES; p++)
    {
      g_autofree char *what = g_strdup_printf ("switch to %s → painted", page_names[p]);

      print_row (what, bench->switch_to[p]);
    }
  for (guint i = 0; i < 2; i++)
    for (Match m = 0; m < N_MATCHES; m++)
      {
        SearchCase *c = &bench->searches[i][m];
        g_autofree char *found = g_strdup_printf (" (%u found): typed → painted", c->total);

        print_search_row (c, found, c->typed);
        print_search_row (c, ": search-changed → painted", c->changed);
        print_search_row (c, ": database alone", c->database);
        print_search_row (c, " cleared → painted", c->cleared);
      }

  g_print ("\n| scroll, top to bottom | rows | row widgets made (on screen) | frames | s a run "
           "| frame p50 ms | p99 ms | max ms | frames > 33.4 ms | frame work p50 ms | p99 ms | max ms |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (guint i = 0; i < G_N_ELEMENTS (bench->scrolls); i++)
    {
      ScrollCase *s = &bench->scrolls[i];

      bench_latencies_sort (s->intervals);
      bench_latencies_sort (s->work);
      g_print ("| %s (%s) | %u | %u (%u) | %u | %.2f | %.1f | %.1f | %.1f | %u | %.1f | %.1f | %.1f |\n",
               page_names[s->page], s->what, s->rows, s->rows_made, s->rows_on_screen, s->intervals->len,
               s->runs > 0 ? s->total_us / 1e6 / s->runs : 0.0,
               bench_latency_ms (s->intervals, 0.5), bench_latency_ms (s->intervals, 0.99),
               bench_latency_ms (s->intervals, 1.0), count_over (s->intervals, SLOW_FRAME_US),
               bench_latency_ms (s->work, 0.5), bench_latency_ms (s->work, 0.99),
               bench_latency_ms (s->work, 1.0));
    }

  g_print ("\n| main loop late (10 ms timer) | samples | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n");
  for (int ph = -1; ph < N_PHASES; ph++)
    {
      GArray *us = ph < 0 ? bench->lateness_all : bench->lateness[ph];

      bench_latencies_sort (us);
      g_print ("| %s | %u | %.2f | %.2f | %.2f |\n", ph < 0 ? "whole run" : phase_names[ph], us->len,
               bench_latency_ms (us, 0.5), bench_latency_ms (us, 0.99), bench_latency_ms (us, 1.0));
    }

  g_print ("\n%" G_GUINT64_FORMAT " frames painted in all\n", bench->after_paints);
  g_print ("RSS: %.0f MB with the core, %.0f MB after the first frame, %.0f MB at the end\n",
           bench->rss_core, bench->rss_first_frame, bench->rss_end);
  g_print ("The service's view models: %u charging points, %u requests, %u log lines, "
           "%u sessions (history-total %u)%s\n",
           bench->model_items[PAGE_DASHBOARD], bench->model_items[PAGE_REQUESTS],
           bench->model_items[PAGE_LOG], bench->model_items[PAGE_HISTORY], bench->history_total,
           bench->model_items[PAGE_LOG] <= PAGE_LIMIT && bench->model_items[PAGE_HISTORY] <= PAGE_LIMIT
           ? "" : " — MORE THAN THE PAGES SHOULD KEEP");
  for (guint i = 0; i < 2; i++)
    for (Match m = 0; m < N_MATCHES; m++)
      g_print ("%s search “%s”: the label said “%s”, the list had %u rows\n",
               page_names[bench->searches[i][m].page], bench->searches[i][m].text,
               bench->searches[i][m].label, bench->searches[i][m].shown);

  if (bench->json)
    print_json (bench);
}

/* Run ------------------------------------------------------------------- */

/* Until the first batch has reached the view models (and the broker
 * answers, or a console opens with a warning toast). */
static gboolean
wait_for_service (Bench   *bench,
                  GError **error)
{
  gint64 deadline = g_get_monotonic_time () + BROKER_TIMEOUT_US;
  guint batches = 0;

  while (batches == 0 || !central_service_get_broker_reachable (bench->service))
    {
      if (!spin_once (deadline, error))
        return FALSE;
      g_object_get (bench->service, "batches", &batches, NULL);
    }
  return TRUE;
}

static gboolean
run (Bench       *bench,
     const char  *broker_path,
     GError     **error)
{
  g_autoptr(GtkCssProvider) css = NULL;
  guint probe_id;
  gboolean ok;

  g_print ("making %s: %d CPs, %d log lines, %d concluded sessions\n",
           bench->db_path, bench->n_cps, bench->n_log, bench->n_sessions);
  if (!make_database (bench, error))
    return FALSE;
  g_print ("made in %.1f s (log %.1f s, sessions %.1f s)\n",
           bench->make_s, bench->make_log_s, bench->make_sessions_s);

  if (!search_database (bench, error) ||
      !start_broker (bench, broker_path, error))
    return FALSE;

  {
    g_autoptr(CentralCore) core = g_object_new (CENTRAL_TYPE_CORE,
                                                "listen", "127.0.0.1:0",
                                                "bootstrap", bench->bootstrap,
                                                "db-path", bench->db_path,
                                                "auto-approve", TRUE,
                                                NULL);

    bench->service = central_service_new (core);
  }
  if (!central_service_start (bench->service, error) ||
      !wait_for_service (bench, error))
    return FALSE;
  bench->rss_core = rss_mb ();

  /* As AdwApplication would, with no application here. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/evcharging/EVCharging/Central/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  probe_id = g_timeout_add (PROBE_MS, probe_cb, bench);

  bench->phase = PHASE_WINDOW;
  ok = TRUE;
  for (int r = 0; ok && r < bench->repeat; r++)
    {
      if (r > 0)
        close_window (bench);
      ok = open_window (bench, error) && settle (bench, error);
      if (ok && r == 0)
        {
          bench->rss_first_frame = rss_mb ();
          bench->renderer = g_strdup (G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (bench->window))));
          g_print ("first frame with %u cards on screen (%u made) after %.2f s (%s)\n", bench->cards_shown,
                   count_cards (GTK_WIDGET (bench->window), FALSE),
                   g_array_index (bench->first_frame, gint64, 0) / 1e6, bench->renderer);
        }
    }

  ok = ok && find_pages (bench, error);
  bench->phase = PHASE_PAGES;
  ok = ok && measure_page_switches (bench, error);
  bench->phase = PHASE_SEARCH;
  ok = ok && measure_searches (bench, 0, error) && measure_searches (bench, 1, error);
  bench->phase = PHASE_SCROLL;
  ok = ok && measure_scrolls (bench, error);

  g_source_remove (probe_id);
  if (!ok)
    return FALSE;

  bench->rss_end = rss_mb ();
  bench->model_items[PAGE_DASHBOARD] = g_list_model_get_n_items (central_service_get_charging_points (bench->service));
  for (PageId p = PAGE_REQUESTS; p < N_PAGES; p++)
    bench->model_items[p] = g_list_model_get_n_items (bench->pages[p].live);
  bench->history_total = central_service_get_history_total (bench->service);

  report (bench);
  return TRUE;
}

/* This process and its broker write only into the temporary folder. */
static gboolean
make_private_dirs (Bench   *bench,
                   GError **error)
{
  const char *subdirs[][2] = {
    { "XDG_RUNTIME_DIR", "run" }, { "XDG_DATA_HOME", "data" }, { "XDG_STATE_HOME", "state" },
    { "XDG_CONFIG_HOME", "config" }, { "XDG_CACHE_HOME", "cache" },
  };

  bench->tmp_dir = g_dir_make_tmp ("console-pages-XXXXXX", error);
  if (bench->tmp_dir == NULL)
    return FALSE;
  bench->db_path = g_build_filename (bench->tmp_dir, "central.db", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (bench->tmp_dir, subdirs[i][1], NULL);

      if (g_mkdir (dir, 0700) != 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "cannot make %s: %s", dir, g_strerror (errno));
          return FALSE;
        }
      g_setenv (subdirs[i][0], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  return TRUE;
}

static void
setup_cases (Bench *bench)
{
  /* One CP's lines or sessions (about 100 of 100,000 with 1,000 CPs),
   * thousands, and none. */
  g_autofree char *one_cp = g_strdup_printf ("CP%05d", (bench->n_cps + 1) / 2);
  const char *texts[2][N_MATCHES] = {
    { one_cp, "denied", "no-such-text" },
    { one_cp, "engine-fault", "no-such-text" },
  };

  for (guint i = 0; i < 2; i++)
    for (Match m = 0; m < N_MATCHES; m++)
      {
        SearchCase *c = &bench->searches[i][m];

        c->page = i == 0 ? PAGE_LOG : PAGE_HISTORY;
        c->text = g_strdup (texts[i][m]);
        c->database = us_array_new ();
        c->typed = us_array_new ();
        c->changed = us_array_new ();
        c->cleared = us_array_new ();
      }

  bench->scrolls[0] = (ScrollCase) { .page = PAGE_HISTORY, .what = "the newest",
                                      .intervals = us_array_new (), .work = us_array_new () };
  bench->scrolls[1] = (ScrollCase) { .page = PAGE_LOG, .what = "a search's",
                                      .intervals = us_array_new (), .work = us_array_new () };
}

static void
bench_clear (Bench *bench)
{
  for (guint i = 0; i < 2; i++)
    for (Match m = 0; m < N_MATCHES; m++)
      {
        SearchCase *c = &bench->searches[i][m];

        g_free (c->text);
        g_free (c->label);
        g_clear_pointer (&c->database, g_array_unref);
        g_clear_pointer (&c->typed, g_array_unref);
        g_clear_pointer (&c->changed, g_array_unref);
        g_clear_pointer (&c->cleared, g_array_unref);
      }
  for (guint i = 0; i < G_N_ELEMENTS (bench->scrolls); i++)
    {
      g_clear_pointer (&bench->scrolls[i].intervals, g_array_unref);
      g_clear_pointer (&bench->scrolls[i].work, g_array_unref);
    }
  for (Phase ph = 0; ph < N_PHASES; ph++)
    g_array_unref (bench->lateness[ph]);
  for (PageId p = 0; p < N_PAGES; p++)
    g_array_unref (bench->switch_to[p]);
  g_array_unref (bench->lateness_all);
  g_array_unref (bench->first_frame);
  g_rand_free (bench->rand);
  g_free (bench->tmp_dir);
  g_free (bench->db_path);
  g_free (bench->bootstrap);
  g_free (bench->renderer_env);
  g_free (bench->renderer);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— Central's console pages over a large database");
  g_autoptr(GError) error = NULL;
  g_autofree char *broker_path = NULL;
  g_autofree char *renderer = NULL;
  Bench bench = {
    .n_cps = 1000,
    .n_log = 100000,
    .n_sessions = 100000,
    .repeat = 5,
  };
  GOptionEntry entries[] = {
    { "cps", 0, 0, G_OPTION_ARG_INT, &bench.n_cps, "Charging points (1000)", "N" },
    { "log", 0, 0, G_OPTION_ARG_INT, &bench.n_log, "Log lines in the database (100000)", "N" },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &bench.n_sessions, "Concluded sessions in the database (100000)", "N" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &bench.repeat, "Times each step is measured (5)", "N" },
    { "renderer", 0, 0, G_OPTION_ARG_STRING, &renderer,
      "Set GSK_RENDERER (default: the environment's; cairo is the reference)", "NAME" },
    { "broker", 0, 0, G_OPTION_ARG_FILENAME, &broker_path, "ev-broker to run (../src/broker/ev-broker)", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &bench.keep, "Keep the temporary folder and its database", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &bench.json, "Also print the figures as one JSON line", NULL },
    { NULL }
  };
  gboolean ok;

  setlocale (LC_ALL, "");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("console-pages: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("console-pages: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (bench.n_cps < 1 || bench.n_cps > 99999 ||
      bench.n_log < 0 || bench.n_log > EV_STORE_DEFAULT_LOG_LIMIT ||
      bench.n_sessions < 0 || bench.n_sessions > 10000000 ||
      bench.repeat < 1 || bench.repeat > 1000)
    {
      g_printerr ("console-pages: --cps must be 1..99999, --log 0..%d (the store keeps no more), "
                  "--sessions 0..10000000, --repeat 1..1000\n", EV_STORE_DEFAULT_LOG_LIMIT);
      return 2;
    }
  if (renderer != NULL && *renderer == '\0')
    {
      g_printerr ("console-pages: --renderer needs a name (cairo, gl, ngl, vulkan)\n");
      return 2;
    }

  if (renderer != NULL)
    g_setenv ("GSK_RENDERER", renderer, TRUE);
  bench.renderer_env = g_strdup (g_getenv ("GSK_RENDERER"));
  if (broker_path == NULL)
    broker_path = bench_default_program ("../src/broker/ev-broker");

  /* Before GTK reads them. */
  if (!make_private_dirs (&bench, &error))
    {
      g_printerr ("console-pages: %s\n", error->message);
      return 1;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("console-pages: no display: run it under xvfb-run\n");
      bench_remove_tree (bench.tmp_dir);
      return 1;
    }
  adw_init ();

  bench.rand = g_rand_new_with_seed (1);
  bench.first_frame = us_array_new ();
  bench.lateness_all = us_array_new ();
  for (Phase ph = 0; ph < N_PHASES; ph++)
    bench.lateness[ph] = us_array_new ();
  for (PageId p = 0; p < N_PAGES; p++)
    bench.switch_to[p] = us_array_new ();
  setup_cases (&bench);

  ok = run (&bench, broker_path, &error);
  if (!ok)
    g_printerr ("console-pages: %s\n", error != NULL ? error->message : "failed");

  close_window (&bench);
  if (bench.service != NULL)
    central_service_shutdown (bench.service);
  g_clear_object (&bench.service);
  stop_broker (&bench);
  if (bench.keep)
    g_print ("kept %s\n", bench.tmp_dir);
  else
    bench_remove_tree (bench.tmp_dir);

  bench_clear (&bench);
  return ok ? 0 : 1;
}

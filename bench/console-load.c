/* console-load: Central's console with N charging points, R of them
 * changing every second.
 *
 * The console is the app's own: a CentralCore started on a SQLite file
 * of N registered CPs (and a private ev-broker, which the core needs),
 * and a CentralWindow over it, shown at 1280×800 with the app's style
 * sheet. The window binds the core's list of EvChargingPoint; in the app
 * every live change reaches it as a property notification on those
 * items. The bench changes them with the same setters the core calls
 * (ev_charging_point_set_state() and, for supplies, the supply id,
 * driver, kWh and amount, then ev_charging_point_clear_supply() when
 * the supply ends), R times a second, spread evenly, on the main loop.
 * What the core itself does around a change (the database, Kafka, the
 * "event" signal, the log) is not played here: central-load measures
 * that side.
 *
 * Measured after a warm-up, over S seconds:
 * - main-loop latency: how late a 10 ms timeout is dispatched;
 * - frames: intervals between the frame clock's "after-paint"s, and the
 *   work of each frame ("before-paint" → "after-paint"). A tick callback
 *   keeps the frame clock running, as any animation would, so a stalled
 *   main loop shows as a long frame rather than as no frame;
 * - the time to the first frame that shows cards, from window creation;
 * - VmRSS before the window, after the first frame and at the end.
 *
 *   console-load [--cps N] [--changes R] [--seconds S] [--warmup S]
 *                [--visible] [--state-filter STATE] [--renderer NAME]
 *                [--broker PATH] [--seed N]
 *
 * Run it under Xvfb: see bench/README.md. */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-links.h"
#include "central-core.h"
#include "central-service.h"
#include "central-cp-card.h"
#include "central-window.h"
#include "ev-store.h"

#define PROBE_MS 10
#define WIDTH 1280
#define HEIGHT 800
#define BROKER_TIMEOUT_US (30 * G_USEC_PER_SEC)

typedef struct
{
  /* Options. */
  int n_cps;
  double rate;
  double seconds;
  double warmup;
  gboolean visible_only;
  char *state_filter;
  char *renderer_env;

  char *tmp_dir;
  GSubprocess *broker;
  GDataInputStream *broker_out;
  char *bootstrap;
  CentralService *service;
  CentralWindow *window;
  GRand *rand;

  /* The items changed: all of them, or those on screen (--visible). */
  GPtrArray *targets;

  /* Frames. */
  gint64 created_at;
  gint64 first_frame_at;
  guint cards_on_screen;
  gint64 before_paint_at;
  gint64 last_after_paint_at;
  GArray *frame_intervals;
  GArray *frame_work;
  guint64 frames;
  guint64 paints;

  /* items-changed of the model the grid view shows. */
  guint64 model_changes;
  guint64 model_removed;
  guint64 model_added;

  /* Main-loop latency. */
  GArray *lateness;

  /* Changes. */
  gint64 changes_from;
  guint64 changes_done;
  guint64 state_changes;
  guint64 progress_updates;

  /* The measuring window. */
  gboolean measuring;
  gint64 window_from;
  gint64 window_until;
  gboolean done;
} Bench;

/* Helpers -------------------------------------------------------------- */

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* @p in 0..1 of sorted µs values, in ms. */
static double
percentile_ms (GArray *sorted,
               double  p)
{
  guint i;

  if (sorted->len == 0)
    return 0.0;
  i = (guint) (p * sorted->len);
  if (i >= sorted->len)
    i = sorted->len - 1;
  return g_array_index (sorted, gint64, i) / 1000.0;
}

static double
max_ms (GArray *sorted)
{
  return sorted->len > 0 ? g_array_index (sorted, gint64, sorted->len - 1) / 1000.0 : 0.0;
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

static void
spin_until (gboolean *flag,
            gint64    timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

/* The network ---------------------------------------------------------- */

static const char *const towns[] = {
  "Alicante", "Elche", "Benidorm", "Torrevieja", "Orihuela", "Dénia",
  "Villena", "Altea", "Calp", "Xàbia", "Petrer", "Elda", "Alcoy",
};

static const char *const streets[] = {
  "Av. Maisonnave", "Rambla de Méndez Núñez", "Plaça de Baix",
  "Av. del Mediterráneo", "Paseo Juan Aparicio", "Carrer Marqués de Campo",
  "Av. de la Libertad", "Passeig del Mediterrani", "Av. Gabriel Miró",
};

/* Registers CP00001… in a new database, as monitors would have. */
static gboolean
make_database (Bench       *bench,
               const char  *db_path,
               GError     **error)
{
  g_autoptr(EvStore) store = ev_store_open (db_path, error);

  if (store == NULL)
    return FALSE;

  for (int i = 0; i < bench->n_cps; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP%05d", i + 1);
      g_autofree char *location = g_strdup_printf ("%s, %s %d",
                                                   towns[i % G_N_ELEMENTS (towns)],
                                                   streets[(i / 7) % G_N_ELEMENTS (streets)],
                                                   1 + i % 97);
      g_autofree char *token = ev_store_register_cp (store, cp_id, location,
                                                     0.30 + 0.01 * (i % 16), error);

      if (token == NULL)
        return FALSE;
    }

  return ev_store_flush (store, error);
}

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

/* Starts a private ev-broker in its own runtime folder and reads its
 * "ready" line for the bootstrap address. */
static gboolean
start_broker (Bench       *bench,
              const char  *path,
              GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *run_dir = g_build_filename (bench->tmp_dir, "run", NULL);
  g_autofree char *log_path = g_build_filename (bench->tmp_dir, "ev-broker.log", NULL);
  g_autofree char *line = NULL;
  JsonObject *ready;

  if (g_mkdir_with_parents (run_dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot make %s: %s", run_dir, g_strerror (errno));
      return FALSE;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run_dir, TRUE);
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

/* Changes -------------------------------------------------------------- */

/* The states a CP moves to, and how often: mostly available or supplying. */
static const struct {
  EvCpState state;
  double    weight;
} state_weights[] = {
  { EV_CP_STATE_ACTIVE, 0.35 },
  { EV_CP_STATE_SUPPLYING, 0.30 },
  { EV_CP_STATE_STOPPED, 0.10 },
  { EV_CP_STATE_BROKEN, 0.10 },
  { EV_CP_STATE_DISCONNECTED, 0.15 },
};

static EvCpState
pick_state (Bench     *bench,
            EvCpState  not_this)
{
  for (;;)
    {
      double x = g_rand_double (bench->rand);

      for (guint i = 0; i < G_N_ELEMENTS (state_weights); i++)
        {
          x -= state_weights[i].weight;
          if (x < 0.0)
            {
              if (state_weights[i].state != not_this)
                return state_weights[i].state;
              break;
            }
        }
    }
}

/* As the core does: a supply's figures before its state (track_session
 * then update_state), clear_supply when it ends, and kWh then amount on
 * every progress report (handle_progress). */
static void
set_state (Bench           *bench,
           EvChargingPoint *cp,
           EvCpState        state)
{
  EvCpState previous = ev_charging_point_get_state (cp);

  if (previous == EV_CP_STATE_SUPPLYING)
    ev_charging_point_clear_supply (cp);

  if (state == EV_CP_STATE_SUPPLYING)
    {
      g_autofree char *supply_id = g_strdup_printf ("S%08x", g_rand_int (bench->rand));
      g_autofree char *driver_id = g_strdup_printf ("D%05d", g_rand_int_range (bench->rand, 1, 100000));

      ev_charging_point_set_supply_id (cp, supply_id);
      ev_charging_point_set_driver_id (cp, driver_id);
      ev_charging_point_set_kwh (cp, 0.0);
      ev_charging_point_set_amount (cp, 0.0);
    }

  ev_charging_point_set_state (cp, state);
}

static void
apply_change (Bench *bench)
{
  EvChargingPoint *cp = g_ptr_array_index (bench->targets,
                                           g_rand_int_range (bench->rand, 0, (gint32) bench->targets->len));
  EvCpState state = ev_charging_point_get_state (cp);

  /* Half the changes of a supplying CP are its live figures. */
  if (state == EV_CP_STATE_SUPPLYING && g_rand_boolean (bench->rand))
    {
      double kwh = ev_charging_point_get_kwh (cp) + g_rand_double_range (bench->rand, 0.01, 0.2);

      ev_charging_point_set_kwh (cp, kwh);
      ev_charging_point_set_amount (cp, kwh * ev_charging_point_get_price (cp));
      if (bench->measuring)
        bench->progress_updates++;
      return;
    }

  set_state (bench, cp, pick_state (bench, state));
  if (bench->measuring)
    bench->state_changes++;
}

/* Every millisecond (or as soon as the loop comes back), the changes due
 * by now at R a second. */
static gboolean
change_cb (gpointer user_data)
{
  Bench *bench = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 due = (guint64) ((now - bench->changes_from) * bench->rate / G_USEC_PER_SEC);

  while (bench->changes_done < due)
    {
      apply_change (bench);
      bench->changes_done++;
    }

  return G_SOURCE_CONTINUE;
}

/* Probes --------------------------------------------------------------- */

static gboolean
probe_cb (gpointer user_data)
{
  Bench *bench = user_data;
  gint64 now = g_get_monotonic_time ();
  /* A timeout's ready time is the expiration it waited for; GLib sets
   * the next one from this dispatch, so lateness does not accumulate. */
  gint64 expected = g_source_get_ready_time (g_main_current_source ());

  if (!bench->measuring && bench->window_from != 0 && now >= bench->window_from)
    bench->measuring = TRUE;

  if (bench->measuring && now >= bench->window_until)
    {
      bench->measuring = FALSE;
      bench->done = TRUE;
    }

  if (bench->measuring)
    {
      gint64 late = MAX (now - expected, 0);

      g_array_append_val (bench->lateness, late);
    }

  return G_SOURCE_CONTINUE;
}

static void
collect_cards (GtkWidget *widget,
               GPtrArray *items)
{
  if (CENTRAL_IS_CP_CARD (widget))
    {
      EvChargingPoint *item = central_cp_card_get_item (CENTRAL_CP_CARD (widget));

      if (item != NULL && gtk_widget_get_mapped (widget))
        g_ptr_array_add (items, g_object_ref (item));
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_cards (child, items);
}

static void
before_paint_cb (GdkFrameClock *clock,
                 Bench         *bench)
{
  bench->before_paint_at = g_get_monotonic_time ();
}

static void
paint_cb (GdkFrameClock *clock,
          Bench         *bench)
{
  if (bench->measuring)
    bench->paints++;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  if (bench->first_frame_at == 0)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      collect_cards (GTK_WIDGET (bench->window), items);
      if (items->len > 0)
        {
          bench->first_frame_at = now;
          bench->cards_on_screen = items->len;
        }
    }

  if (bench->measuring)
    {
      gint64 work = now - bench->before_paint_at;

      bench->frames++;
      g_array_append_val (bench->frame_work, work);
      if (bench->last_after_paint_at != 0)
        {
          gint64 interval = now - bench->last_after_paint_at;

          g_array_append_val (bench->frame_intervals, interval);
        }
    }

  bench->last_after_paint_at = now;
}

static gboolean
tick_cb (GtkWidget     *widget,
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
  g_signal_connect (clock, "paint", G_CALLBACK (paint_cb), bench);
  g_signal_connect_after (clock, "after-paint", G_CALLBACK (after_paint_cb), bench);
}

static void
grid_items_changed_cb (GListModel *model,
                       guint       position,
                       guint       removed,
                       guint       added,
                       Bench      *bench)
{
  if (!bench->measuring)
    return;
  bench->model_changes++;
  bench->model_removed += removed;
  bench->model_added += added;
}

static GtkWidget *
find_grid_view (GtkWidget *widget)
{
  if (GTK_IS_GRID_VIEW (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_grid_view (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_drop_down (GtkWidget *widget)
{
  if (GTK_IS_DROP_DOWN (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_drop_down (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Start and report ----------------------------------------------------- */

/* A network that has been running a while: CPs in every state. */
static void
mix_states (Bench *bench)
{
  for (guint i = 0; i < bench->targets->len; i++)
    set_state (bench, g_ptr_array_index (bench->targets, i),
               pick_state (bench, (EvCpState) -1));
}

static void
report (Bench      *bench,
        const char *renderer,
        double      first_frame_s,
        double      rss_core,
        double      rss_first,
        double      rss_end)
{
  double window_s = (bench->window_until - bench->window_from) / (double) G_USEC_PER_SEC;
  double fps = bench->frames / window_s;
  double changes_per_s = (bench->state_changes + bench->progress_updates) / window_s;

  g_array_sort (bench->lateness, compare_int64);
  g_array_sort (bench->frame_intervals, compare_int64);
  g_array_sort (bench->frame_work, compare_int64);

  g_print ("\n| renderer | cps | changes/s (state + progress) | targets | seconds | first frame s | cards shown "
           "| loop late p50 ms | p99 ms | max ms | frame p50 ms | p99 ms | max ms | fps | painted/s "
           "| frame work p50 ms | p99 ms | max ms | RSS MB core / first frame / end |\n");
  g_print ("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  g_print ("| %s | %d | %.0f (%" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT ") | %s%s%s%s | %.0f | %.2f | %u "
           "| %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f | %.2f | %.0f / %.0f / %.0f |\n",
           renderer, bench->n_cps, changes_per_s, bench->state_changes, bench->progress_updates,
           bench->visible_only ? "on screen" : "all",
           bench->state_filter != NULL ? " (filter " : "",
           bench->state_filter != NULL ? bench->state_filter : "",
           bench->state_filter != NULL ? ")" : "", window_s, first_frame_s, bench->cards_on_screen,
           percentile_ms (bench->lateness, 0.5), percentile_ms (bench->lateness, 0.99), max_ms (bench->lateness),
           percentile_ms (bench->frame_intervals, 0.5), percentile_ms (bench->frame_intervals, 0.99),
           max_ms (bench->frame_intervals), fps, bench->paints / window_s,
           percentile_ms (bench->frame_work, 0.5), percentile_ms (bench->frame_work, 0.99),
           max_ms (bench->frame_work), rss_core, rss_first, rss_end);

  g_print ("grid model items-changed: %" G_GUINT64_FORMAT " emissions, %" G_GUINT64_FORMAT
           " items removed and %" G_GUINT64_FORMAT " added in all\n",
           bench->model_changes, bench->model_removed, bench->model_added);

  /* One line, numbers rounded as in the table. */
  g_print ("{\"bench\":\"console-load\",\"renderer\":\"%s\",\"gsk_renderer_env\":\"%s\","
           "\"cps\":%d,\"rate\":%.0f,\"targets\":\"%s\",\"state_filter\":\"%s\",\"seconds\":%.0f,"
           "\"state_changes\":%" G_GUINT64_FORMAT ",\"progress_updates\":%" G_GUINT64_FORMAT ","
           "\"first_frame_s\":%.3f,\"cards_shown\":%u,"
           "\"loop_late_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"n\":%u},"
           "\"frame_interval_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"n\":%u},"
           "\"fps\":%.1f,\"painted_per_s\":%.1f,"
           "\"grid_items_changed\":{\"emissions\":%" G_GUINT64_FORMAT ",\"removed\":%" G_GUINT64_FORMAT ",\"added\":%" G_GUINT64_FORMAT "},"
           "\"frame_work_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f},"
           "\"rss_mb\":{\"core\":%.1f,\"first_frame\":%.1f,\"end\":%.1f}}\n",
           renderer, bench->renderer_env != NULL ? bench->renderer_env : "",
           bench->n_cps, bench->rate, bench->visible_only ? "on-screen" : "all",
           bench->state_filter != NULL ? bench->state_filter : "", window_s,
           bench->state_changes, bench->progress_updates,
           first_frame_s, bench->cards_on_screen,
           percentile_ms (bench->lateness, 0.5), percentile_ms (bench->lateness, 0.99),
           max_ms (bench->lateness), bench->lateness->len,
           percentile_ms (bench->frame_intervals, 0.5), percentile_ms (bench->frame_intervals, 0.99),
           max_ms (bench->frame_intervals), bench->frame_intervals->len,
           fps, bench->paints / window_s,
           bench->model_changes, bench->model_removed, bench->model_added,
           percentile_ms (bench->frame_work, 0.5), percentile_ms (bench->frame_work, 0.99),
           max_ms (bench->frame_work), rss_core, rss_first, rss_end);
}

static gboolean
run (Bench       *bench,
     const char  *broker_path,
     GError     **error)
{
  g_autoptr(GtkCssProvider) css = NULL;
  g_autofree char *db_path = g_build_filename (bench->tmp_dir, "central.db", NULL);
  GListModel *cps;
  const char *renderer;
  gint64 started;
  double rss_core, rss_first, first_frame_s;
  guint probe_id, change_id, tick_id;

  started = g_get_monotonic_time ();
  if (!make_database (bench, db_path, error))
    return FALSE;
  g_print ("registered %d CPs in %.2f s\n", bench->n_cps,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);

  if (!start_broker (bench, broker_path, error))
    return FALSE;

  {
    g_autoptr(CentralCore) core = g_object_new (CENTRAL_TYPE_CORE,
                                                "listen", "127.0.0.1:0",
                                                "bootstrap", bench->bootstrap,
                                                "db-path", db_path,
                                                NULL);

    bench->service = central_service_new (core);
  }
  if (!central_service_start (bench->service, error))
    return FALSE;

  /* A console that opens before the broker answers shows a warning toast;
   * in the app the broker has usually long been up. */
  {
    gint64 deadline = g_get_monotonic_time () + BROKER_TIMEOUT_US;

    while (!central_service_get_broker_reachable (bench->service) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    if (!central_service_get_broker_reachable (bench->service))
      g_printerr ("the broker is still unreachable; going on\n");
  }

  cps = central_service_get_charging_points (bench->service);
  bench->targets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < g_list_model_get_n_items (cps); i++)
    g_ptr_array_add (bench->targets, g_list_model_get_item (cps, i));
  mix_states (bench);
  rss_core = rss_mb ();

  /* As AdwApplication would, with no application here. */
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/evcharging/EVCharging/Central/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  bench->created_at = g_get_monotonic_time ();
  bench->window = g_object_ref_sink (central_window_new (NULL, bench->service));
  g_signal_connect (bench->window, "realize", G_CALLBACK (window_realize_cb), bench);
  gtk_window_set_default_size (GTK_WINDOW (bench->window), WIDTH, HEIGHT);
  gtk_window_present (GTK_WINDOW (bench->window));

  {
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    while (bench->first_frame_at == 0 && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  if (bench->first_frame_at == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no frame with cards within 60 s");
      return FALSE;
    }
  first_frame_s = (bench->first_frame_at - bench->created_at) / (double) G_USEC_PER_SEC;
  rss_first = rss_mb ();
  renderer = G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (bench->window)));
  g_print ("first frame with %u cards after %.2f s (%s), RSS %.0f MB\n",
           bench->cards_on_screen, first_frame_s, renderer, rss_first);

  if (bench->visible_only)
    {
      g_ptr_array_set_size (bench->targets, 0);
      collect_cards (GTK_WIDGET (bench->window), bench->targets);
    }

  /* As the operator would pick it in the header bar's "Filter by state"
   * (index 0 is "All States", then the states in their enum order). */
  if (bench->state_filter != NULL)
    {
      GtkWidget *drop_down = find_drop_down (GTK_WIDGET (bench->window));
      EvCpState state;

      if (!ev_cp_state_from_string (bench->state_filter, &state) || drop_down == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "cannot filter by %s", bench->state_filter);
          return FALSE;
        }
      gtk_drop_down_set_selected (GTK_DROP_DOWN (drop_down), (guint) state + 1);
    }

  {
    GtkWidget *grid = find_grid_view (GTK_WIDGET (bench->window));

    if (grid != NULL)
      g_signal_connect (gtk_grid_view_get_model (GTK_GRID_VIEW (grid)), "items-changed",
                        G_CALLBACK (grid_items_changed_cb), bench);
  }

  tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (bench->window), tick_cb, NULL, NULL);
  probe_id = g_timeout_add (PROBE_MS, probe_cb, bench);
  bench->changes_from = g_get_monotonic_time ();
  change_id = g_timeout_add (1, change_cb, bench);

  bench->window_from = bench->changes_from + (gint64) (bench->warmup * G_USEC_PER_SEC);
  bench->window_until = bench->window_from + (gint64) (bench->seconds * G_USEC_PER_SEC);
  g_print ("changing %.0f CPs a second (%s); measuring %.0f s after %.0f s of warm-up\n",
           bench->rate, bench->visible_only ? "those on screen" : "any of them",
           bench->seconds, bench->warmup);
  spin_until (&bench->done, (gint64) ((bench->warmup + bench->seconds + 60) * G_USEC_PER_SEC));

  g_source_remove (change_id);
  g_source_remove (probe_id);
  gtk_widget_remove_tick_callback (GTK_WIDGET (bench->window), tick_id);

  report (bench, renderer, first_frame_s, rss_core, rss_first, rss_mb ());

  return bench->done;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— Central's console under load");
  g_autoptr(GError) error = NULL;
  g_autofree char *broker_path = NULL;
  g_autofree char *renderer = NULL;
  int seed = 1;
  Bench bench = {
    .n_cps = 10000,
    .rate = 1000,
    .seconds = 20,
    .warmup = 2,
  };
  GOptionEntry entries[] = {
    { "cps", 0, 0, G_OPTION_ARG_INT, &bench.n_cps, "Charging points (10000)", "N" },
    { "changes", 0, 0, G_OPTION_ARG_DOUBLE, &bench.rate, "Changes a second (1000)", "R" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &bench.seconds, "Seconds measured (20)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &bench.warmup, "Seconds of changes before measuring (2)", "S" },
    { "visible", 0, 0, G_OPTION_ARG_NONE, &bench.visible_only, "Change only the CPs on screen", NULL },
    { "state-filter", 0, 0, G_OPTION_ARG_STRING, &bench.state_filter,
      "Show only CPs in this state, as the header bar's filter does", "STATE" },
    { "renderer", 0, 0, G_OPTION_ARG_STRING, &renderer,
      "Set GSK_RENDERER (default: the environment's; the Xvfb tests use cairo)", "NAME" },
    { "broker", 0, 0, G_OPTION_ARG_FILENAME, &broker_path, "ev-broker to run (../src/broker/ev-broker)", "PATH" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (1)", "N" },
    { NULL }
  };
  gboolean ok;

  setlocale (LC_ALL, "");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (bench.n_cps < 1 || bench.n_cps > 99999 || bench.rate < 0 || bench.seconds <= 0 || bench.warmup < 0)
    {
      g_printerr ("--cps must be 1..99999, --changes ≥ 0, --seconds > 0, --warmup ≥ 0\n");
      return 2;
    }

  if (renderer != NULL)
    g_setenv ("GSK_RENDERER", renderer, TRUE);
  bench.renderer_env = g_strdup (g_getenv ("GSK_RENDERER"));
  if (broker_path == NULL)
    broker_path = bench_default_program ("../src/broker/ev-broker");

  if (!gtk_init_check ())
    {
      g_printerr ("no display: run console-load under xvfb-run\n");
      return 1;
    }
  adw_init ();

  bench.rand = g_rand_new_with_seed ((guint32) seed);
  bench.lateness = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.frame_intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.frame_work = g_array_new (FALSE, FALSE, sizeof (gint64));
  bench.tmp_dir = g_dir_make_tmp ("console-load-XXXXXX", &error);
  ok = bench.tmp_dir != NULL && run (&bench, broker_path, &error);
  if (!ok)
    g_printerr ("console-load: %s\n", error != NULL ? error->message : "the window never finished");

  if (bench.window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (bench.window));
      g_clear_object (&bench.window);
    }
  g_clear_pointer (&bench.targets, g_ptr_array_unref);
  if (bench.service != NULL)
    central_service_shutdown (bench.service);
  g_clear_object (&bench.service);
  stop_broker (&bench);
  if (bench.tmp_dir != NULL)
    bench_remove_tree (bench.tmp_dir);

  g_free (bench.tmp_dir);
  g_free (bench.bootstrap);
  g_free (bench.renderer_env);
  g_free (bench.state_filter);
  g_array_unref (bench.lateness);
  g_array_unref (bench.frame_intervals);
  g_array_unref (bench.frame_work);
  g_rand_free (bench.rand);

  return ok ? 0 : 1;
}

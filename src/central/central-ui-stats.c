/* central-ui-stats.c: how smoothly the console draws, as JSON lines.
 *
 * `ev-central --events --ui-stats MS` prints a `ui-stats` event every MS:
 * the window's frames (the interval between two paints, and the work of
 * each paint: from the frame clock's before-paint to its after-paint),
 * how late a 10 ms timer of the main loop fires, and the memory. A tick
 * callback keeps the frame clock running meanwhile, as an animation
 * would, so a stalled main loop shows as a long frame rather than as no
 * frame at all. This is how bench/ladder.py --gui measures the real
 * window under the real load. */

#include "config.h"

#include <math.h>
#include <stdio.h>

#include "central-ui-stats.h"
#include "ev-file.h"
#include "ev-headless.h"

#define PROBE_MS 10
/* /proc/self/status is some 1.5 KB. */
#define PROC_STATUS_MAX_SIZE (64 * 1024)
/* The targets of docs/performance.md: a frame within two refreshes at
 * 60 Hz, a main loop never 20 ms late. Counting what misses them lets a
 * reader pool any number of intervals exactly. */
#define SLOW_FRAME_MS 33.4
#define LATE_PROBE_MS 20.0

struct _CentralUiStats
{
  GObject parent_instance;

  GtkWidget *window;
  CentralService *service;
  guint interval;

  GdkFrameClock *clock;
  gulong before_handler;
  gulong after_handler;
  guint tick_id;
  guint probe_id;
  guint report_id;

  gint64 before_paint;
  gint64 last_paint;
  gint64 probe_due;
  gint64 started;
  GArray *frame_ms;     /* double */
  GArray *work_ms;      /* double */
  GArray *lateness_ms;  /* double */
};

G_DEFINE_FINAL_TYPE (CentralUiStats, central_ui_stats, G_TYPE_OBJECT)

static double
ms_since (gint64 then,
          gint64 now)
{
  return (now - then) / 1000.0;
}

static void
before_paint_cb (GdkFrameClock  *clock,
                 CentralUiStats *self)
{
  self->before_paint = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock  *clock,
                CentralUiStats *self)
{
  gint64 now = g_get_monotonic_time ();
  double ms;

  if (self->last_paint != 0)
    {
      ms = ms_since (self->last_paint, now);
      g_array_append_val (self->frame_ms, ms);
    }
  if (self->before_paint != 0)
    {
      ms = ms_since (self->before_paint, now);
      g_array_append_val (self->work_ms, ms);
    }
  self->last_paint = now;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
probe_cb (gpointer user_data)
{
  CentralUiStats *self = user_data;
  gint64 now = g_get_monotonic_time ();
  double late = MAX (0.0, ms_since (self->probe_due, now));

  g_array_append_val (self->lateness_ms, late);
  self->probe_due = now + PROBE_MS * 1000;
  return G_SOURCE_CONTINUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static guint
count_over (GArray *samples,
            double  limit)
{
  guint n = 0;

  for (guint i = 0; i < samples->len; i++)
    n += g_array_index (samples, double, i) > limit;
  return n;
}

/* {"p50","p99","max"} of @samples (emptied), or null without any. */
static JsonNode *
percentiles (GArray *samples)
{
  g_autoptr(JsonObject) object = NULL;
  JsonNode *node;
  guint n = samples->len;

  if (n == 0)
    return json_node_new (JSON_NODE_NULL);

  g_array_sort (samples, compare_doubles);
  object = json_object_new ();
  json_object_set_double_member (object, "p50", g_array_index (samples, double, (n - 1) / 2));
  json_object_set_double_member (object, "p99", g_array_index (samples, double, (guint) ((n - 1) * 0.99)));
  json_object_set_double_member (object, "max", g_array_index (samples, double, n - 1));
  g_array_set_size (samples, 0);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

static gint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!ev_file_read_bounded ("/proc/self/status", PROC_STATUS_MAX_SIZE, &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 6, NULL, 10) : 0;
}

static gboolean
report_cb (gpointer user_data)
{
  CentralUiStats *self = user_data;
  g_autoptr(JsonObject) fields = json_object_new ();
  guint batches = 0;

  json_object_set_double_member (fields, "t", round (ms_since (self->started, g_get_monotonic_time ())) / 1000.0);
  json_object_set_int_member (fields, "frames", self->frame_ms->len);
  json_object_set_int_member (fields, "frames_over_33ms", count_over (self->frame_ms, SLOW_FRAME_MS));
  json_object_set_int_member (fields, "probes", self->lateness_ms->len);
  json_object_set_int_member (fields, "probes_over_20ms", count_over (self->lateness_ms, LATE_PROBE_MS));
  json_object_set_member (fields, "frame_ms", percentiles (self->frame_ms));
  json_object_set_member (fields, "frame_work_ms", percentiles (self->work_ms));
  json_object_set_member (fields, "loop_lateness_ms", percentiles (self->lateness_ms));
  json_object_set_int_member (fields, "rss_kib", rss_kib ());
  if (self->service != NULL)
    {
      g_object_get (self->service, "batches", &batches, NULL);
      json_object_set_int_member (fields, "batches", batches);
      json_object_set_int_member (fields, "cps",
                                  g_list_model_get_n_items (central_service_get_charging_points (self->service)));
    }
  ev_headless_print_event ("ui-stats", fields);
  return G_SOURCE_CONTINUE;
}

static void
window_realize_cb (GtkWidget      *window,
                   CentralUiStats *self)
{
  if (self->clock != NULL)
    return;

  self->clock = g_object_ref (gtk_widget_get_frame_clock (window));
  self->before_handler = g_signal_connect (self->clock, "before-paint", G_CALLBACK (before_paint_cb), self);
  self->after_handler = g_signal_connect (self->clock, "after-paint", G_CALLBACK (after_paint_cb), self);
  self->tick_id = gtk_widget_add_tick_callback (window, tick_cb, NULL, NULL);
}

static void
central_ui_stats_dispose (GObject *object)
{
  CentralUiStats *self = CENTRAL_UI_STATS (object);

  if (self->clock != NULL)
    {
      g_clear_signal_handler (&self->before_handler, self->clock);
      g_clear_signal_handler (&self->after_handler, self->clock);
      g_clear_object (&self->clock);
    }
  if (self->window != NULL)
    {
      if (self->tick_id != 0)
        gtk_widget_remove_tick_callback (self->window, self->tick_id);
      self->tick_id = 0;
      g_signal_handlers_disconnect_by_data (self->window, self);
      g_object_remove_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      self->window = NULL;
    }
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_clear_handle_id (&self->report_id, g_source_remove);
  g_clear_object (&self->service);

  G_OBJECT_CLASS (central_ui_stats_parent_class)->dispose (object);
}

static void
central_ui_stats_finalize (GObject *object)
{
  CentralUiStats *self = CENTRAL_UI_STATS (object);

  g_array_unref (self->frame_ms);
  g_array_unref (self->work_ms);
  g_array_unref (self->lateness_ms);

  G_OBJECT_CLASS (central_ui_stats_parent_class)->finalize (object);
}

static void
central_ui_stats_class_init (CentralUiStatsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = central_ui_stats_dispose;
  object_class->finalize = central_ui_stats_finalize;
}

static void
central_ui_stats_init (CentralUiStats *self)
{
  self->frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  self->work_ms = g_array_new (FALSE, FALSE, sizeof (double));
  self->lateness_ms = g_array_new (FALSE, FALSE, sizeof (double));
}

/**
 * central_ui_stats_new:
 * @window: the console's window
 * @service: (nullable): its service
 * @interval_ms: how often to print a `ui-stats` event
 *
 * Returns: (transfer full): a reporter that lives until unreffed or
 *   @window is gone
 */
CentralUiStats *
central_ui_stats_new (GtkWidget      *window,
                      CentralService *service,
                      guint           interval_ms)
{
  CentralUiStats *self;

  g_return_val_if_fail (GTK_IS_WIDGET (window), NULL);
  g_return_val_if_fail (interval_ms > 0, NULL);

  self = g_object_new (CENTRAL_TYPE_UI_STATS, NULL);
  self->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->window);
  self->service = service != NULL ? g_object_ref (service) : NULL;
  self->interval = interval_ms;
  self->started = g_get_monotonic_time ();

  g_signal_connect (window, "realize", G_CALLBACK (window_realize_cb), self);
  if (gtk_widget_get_realized (window))
    window_realize_cb (window, self);
  self->probe_due = g_get_monotonic_time () + PROBE_MS * 1000;
  self->probe_id = g_timeout_add (PROBE_MS, probe_cb, self);
  self->report_id = g_timeout_add (interval_ms, report_cb, self);
  return self;
}

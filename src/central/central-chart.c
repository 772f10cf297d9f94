/* central-chart.c: the network over the last hour, drawn with cairo: the
 * power being delivered (kW, a filled line on the left scale) and the
 * supplies in progress (a line on the right scale). It is given samples
 * (CentralSummary takes one every few seconds) and keeps an hour of them;
 * it draws only when one arrives or its size changes. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "central-chart.h"

typedef struct
{
  gint64 time_ms;
  double power_kw;
  guint supplies;
} Sample;

struct _CentralChart
{
  GtkWidget  parent_instance;

  GArray    *samples;   /* Sample, oldest first, within the span */
};

G_DEFINE_FINAL_TYPE (CentralChart, central_chart, GTK_TYPE_WIDGET)

#define PAD 8.0

/* The smallest of 1, 2, 5 × 10^n at or above @value (and at least 1). */
static double
nice_ceiling (double value)
{
  double magnitude;

  if (!(value > 1.0))
    return 1.0;
  magnitude = pow (10.0, floor (log10 (value)));
  for (guint i = 0; i < 3; i++)
    {
      double step = (const double[]) { 1.0, 2.0, 5.0 }[i] * magnitude;

      if (step >= value)
        return step;
    }
  return 10.0 * magnitude;
}

static void
set_colour (cairo_t       *cr,
            const GdkRGBA *colour,
            double         alpha)
{
  cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, colour->alpha * alpha);
}

static void
draw_label (GtkWidget  *widget,
            cairo_t    *cr,
            const char *text,
            double      x,
            double      y,
            gboolean    right_aligned)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width, height;

  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, right_aligned ? x - width : x, y);
  pango_cairo_show_layout (cr, layout);
}

/* x of @time_ms on a plot from @left, @width wide, ending at @now_ms. */
static double
x_of (gint64 time_ms,
      gint64 now_ms,
      double left,
      double width)
{
  return left + width * (1.0 - (double) (now_ms - time_ms) / CENTRAL_CHART_SPAN_MS);
}

static void
central_chart_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  CentralChart *self = CENTRAL_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  G_GNUC_END_IGNORE_DEPRECATIONS
  const GdkRGBA power_colour = { 0.21, 0.52, 0.89, 1.0 };    /* the accent blue */
  const GdkRGBA supplies_colour = { 0.15, 0.64, 0.41, 1.0 }; /* the success green */
  g_autofree char *power_text = NULL;
  g_autofree char *supplies_text = NULL;
  GdkRGBA fg;
  cairo_t *cr;
  double max_power = 0.0, max_supplies = 0.0, left, right, top, bottom, plot_w, plot_h;
  gint64 now_ms;

  if (width < 2 * PAD + 10 || height < 2 * PAD + 10)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (style, &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (guint i = 0; i < self->samples->len; i++)
    {
      const Sample *s = &g_array_index (self->samples, Sample, i);

      max_power = MAX (max_power, s->power_kw);
      max_supplies = MAX (max_supplies, s->supplies);
    }
  max_power = nice_ceiling (max_power);
  max_supplies = nice_ceiling (max_supplies);
  now_ms = self->samples->len > 0 ? g_array_index (self->samples, Sample, self->samples->len - 1).time_ms
                                  : g_get_real_time () / 1000;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  left = PAD;
  right = width - PAD;
  top = PAD + 16;
  bottom = height - PAD - 16;
  plot_w = right - left;
  plot_h = bottom - top;

  /* Scales and the frame. */
  /* Translators: the top of the chart's power scale. */
  power_text = g_strdup_printf (_("%g kW"), max_power);
  /* Translators: the top of the chart's scale of supplies in progress. */
  supplies_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%g supply", "%g supplies", (gulong) max_supplies),
                                   max_supplies);
  set_colour (cr, &power_colour, 1.0);
  draw_label (widget, cr, power_text, left, PAD - 2, FALSE);
  set_colour (cr, &supplies_colour, 1.0);
  draw_label (widget, cr, supplies_text, right, PAD - 2, TRUE);
  set_colour (cr, &fg, 0.55);
  draw_label (widget, cr, _("an hour ago"), left, bottom + 2, FALSE);
  draw_label (widget, cr, _("now"), right, bottom + 2, TRUE);
  set_colour (cr, &fg, 0.15);
  cairo_set_line_width (cr, 1.0);
  for (guint i = 0; i <= 4; i++)
    {
      double y = round (top + plot_h * i / 4.0) + 0.5;

      cairo_move_to (cr, left, y);
      cairo_line_to (cr, right, y);
    }
  cairo_stroke (cr);

  if (self->samples->len >= 2)
    {
      /* Power: a filled area under its line. */
      for (guint i = 0; i < self->samples->len; i++)
        {
          const Sample *s = &g_array_index (self->samples, Sample, i);
          double x = x_of (s->time_ms, now_ms, left, plot_w);
          double y = bottom - plot_h * s->power_kw / max_power;

          if (i == 0)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
        }
      set_colour (cr, &power_colour, 1.0);
      cairo_set_line_width (cr, 2.0);
      cairo_stroke_preserve (cr);
      cairo_line_to (cr, x_of (now_ms, now_ms, left, plot_w), bottom);
      cairo_line_to (cr, x_of (g_array_index (self->samples, Sample, 0).time_ms, now_ms, left, plot_w), bottom);
      cairo_close_path (cr);
      set_colour (cr, &power_colour, 0.18);
      cairo_fill (cr);

      /* Supplies in progress: steps. */
      for (guint i = 0; i < self->samples->len; i++)
        {
          const Sample *s = &g_array_index (self->samples, Sample, i);
          double x = x_of (s->time_ms, now_ms, left, plot_w);
          double y = bottom - plot_h * s->supplies / max_supplies;

          if (i == 0)
            cairo_move_to (cr, x, y);
          else
            {
              double dummy, last_y;

              cairo_get_current_point (cr, &dummy, &last_y);
              cairo_line_to (cr, x, last_y);
              cairo_line_to (cr, x, y);
            }
        }
      set_colour (cr, &supplies_colour, 1.0);
      cairo_set_line_width (cr, 2.0);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
central_chart_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 120 : 90;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 140;
}

static void
central_chart_finalize (GObject *object)
{
  CentralChart *self = CENTRAL_CHART (object);

  g_array_unref (self->samples);

  G_OBJECT_CLASS (central_chart_parent_class)->finalize (object);
}

static void
central_chart_class_init (CentralChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = central_chart_finalize;
  widget_class->snapshot = central_chart_snapshot;
  widget_class->measure = central_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "networkchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
central_chart_init (CentralChart *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Power delivered and supplies in progress over the last hour"),
                                  -1);
}

GtkWidget *
central_chart_new (void)
{
  return g_object_new (CENTRAL_TYPE_CHART, NULL);
}

/**
 * central_chart_add_sample:
 * @self: a chart
 * @time_ms: when, in ms since the epoch (later than the previous sample)
 * @power_kw: the power being delivered, in kW
 * @supplies: the supplies in progress
 *
 * Adds a sample at the right edge; samples older than an hour go.
 */
void
central_chart_add_sample (CentralChart *self,
                          gint64        time_ms,
                          double        power_kw,
                          guint         supplies)
{
  Sample sample = { time_ms, MAX (power_kw, 0.0), supplies };
  g_autofree char *description = NULL;
  guint old = 0;

  g_return_if_fail (CENTRAL_IS_CHART (self));

  g_array_append_val (self->samples, sample);
  while (old < self->samples->len &&
         g_array_index (self->samples, Sample, old).time_ms < time_ms - CENTRAL_CHART_SPAN_MS)
    old++;
  if (old > 0)
    g_array_remove_range (self->samples, 0, old);

  /* Translators: what the chart shows now, for screen readers. */
  description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%.1f kW now, %u supply in progress",
                                              "%.1f kW now, %u supplies in progress", supplies),
                                 sample.power_kw, supplies);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
central_chart_get_n_samples (CentralChart *self)
{
  g_return_val_if_fail (CENTRAL_IS_CHART (self), 0);
  return self->samples->len;
}

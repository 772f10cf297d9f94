/* station-ui.c: helpers shared by the engine window, the monitor window
 * and the launcher. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "station-resources.h"
#include "station-ui.h"

void
station_ui_ensure_resources (void)
{
  /* A static library drops an object nothing refers to, and with it the
   * constructor that registers the resources. */
  (void) station_get_resource ();
}

void
station_ui_set_state_class (GtkWidget   *widget,
                            const char **current,
                            EvCpState    state)
{
  const char *css_class = ev_cp_state_get_css_class (state);

  if (g_strcmp0 (*current, css_class) == 0)
    return;

  if (*current != NULL)
    gtk_widget_remove_css_class (widget, *current);
  gtk_widget_add_css_class (widget, css_class);
  *current = css_class;
}

void
station_ui_set_a11y_label (GtkWidget  *widget,
                           const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

char *
station_ui_format_price (double price)
{
  /* Translators: a price per kilowatt-hour. */
  return g_strdup_printf (_("%.2f €/kWh"), price);
}

char *
station_ui_format_kwh (double kwh)
{
  return g_strdup_printf (_("%.2f kWh"), kwh);
}

char *
station_ui_format_amount (double amount)
{
  /* Translators: an amount of money in euros. */
  return g_strdup_printf (_("%.2f €"), amount);
}

char *
station_ui_format_time (gint64 ms)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (ms / 1000);

  if (time == NULL)
    return g_strdup ("");
  return g_date_time_format (time, "%H:%M:%S");
}

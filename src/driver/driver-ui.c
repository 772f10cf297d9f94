/* driver-ui.c: helpers shared by the driver's window and its rows. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-resources.h"
#include "driver-ui.h"

void
driver_ui_ensure_resources (void)
{
  /* A static library drops an object nothing refers to, and with it the
   * constructor that registers the resources. */
  (void) driver_get_resource ();
}

void
driver_ui_swap_class (GtkWidget   *widget,
                      const char **current,
                      const char  *css_class)
{
  if (g_strcmp0 (*current, css_class) == 0)
    return;

  if (*current != NULL)
    gtk_widget_remove_css_class (widget, *current);
  gtk_widget_add_css_class (widget, css_class);
  *current = css_class;
}

void
driver_ui_set_a11y_label (GtkWidget  *widget,
                          const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

char *
driver_ui_format_price (double price)
{
  /* Translators: a price per kilowatt-hour. */
  return g_strdup_printf (_("%.2f €/kWh"), price);
}

char *
driver_ui_format_kwh (double kwh)
{
  return g_strdup_printf (_("%.2f kWh"), kwh);
}

char *
driver_ui_format_amount (double amount)
{
  /* Translators: an amount of money in euros. */
  return g_strdup_printf (_("%.2f €"), amount);
}

char *
driver_ui_format_date_time (gint64 ms)
{
  g_autoptr(GDateTime) time = NULL;

  if (ms <= 0)
    return g_strdup ("—");
  time = g_date_time_new_from_unix_local (ms / 1000);
  if (time == NULL)
    return g_strdup ("—");
  /* Translators: a date and time in g_date_time_format() notation. */
  return g_date_time_format (time, _("%Y-%m-%d %H:%M:%S"));
}

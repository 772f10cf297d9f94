#pragma once

#include <gtk/gtk.h>

#include "ev-cp-state.h"

G_BEGIN_DECLS

/* Small helpers of the driver's window and its rows (the station has the
 * same ones in station-ui.h). */

#define DRIVER_RESOURCE_PATH "/io/github/evcharging/EVCharging/Driver"

/* Links the driver's resources in (templates, style.css); the widget
 * classes call it before loading their templates. */
void  driver_ui_ensure_resources (void);

/* Moves @widget from the class in *@current to @css_class; *@current
 * holds the static string of the class now set. */
void  driver_ui_swap_class       (GtkWidget    *widget,
                                  const char  **current,
                                  const char   *css_class);

/* Sets the accessible label of @widget. */
void  driver_ui_set_a11y_label   (GtkWidget    *widget,
                                  const char   *label);

/* Translated figures: "0.35 €/kWh", "12.84 kWh", "4.49 €". */
char *driver_ui_format_price     (double        price);
char *driver_ui_format_kwh       (double        kwh);
char *driver_ui_format_amount    (double        amount);

/* The local date and time of @ms (since the epoch); "—" for 0. */
char *driver_ui_format_date_time (gint64        ms);

G_END_DECLS

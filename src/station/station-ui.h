#pragma once

#include <gtk/gtk.h>

#include "ev-cp-state.h"

G_BEGIN_DECLS

/* Small helpers shared by the station's windows. */

#define STATION_RESOURCE_PATH "/io/github/evcharging/EVCharging/Station"

/* Links the station's resources in (templates, style.css); the window
 * classes call it before loading their templates. */
void  station_ui_ensure_resources (void);

/* Moves @widget from the state class in *@current to @state's (the classes
 * of ev-cp-state.h, coloured the same in every app); *@current holds the
 * static string of the class now set. */
void  station_ui_set_state_class (GtkWidget    *widget,
                                  const char  **current,
                                  EvCpState     state);

/* Sets the accessible label of @widget. */
void  station_ui_set_a11y_label  (GtkWidget    *widget,
                                  const char   *label);

/* Translated figures: "0.35 €/kWh", "12.84 kWh", "4.49 €". */
char *station_ui_format_price    (double        price);
char *station_ui_format_kwh      (double        kwh);
char *station_ui_format_amount   (double        amount);

/* The local time of @ms (since the epoch) as HH:MM:SS. */
char *station_ui_format_time     (gint64        ms);

G_END_DECLS

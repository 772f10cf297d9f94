#pragma once

#include <adwaita.h>

#include "ev-cp-state.h"

G_BEGIN_DECLS

/* GTK helpers shared by the three apps' widgets. */

/* Moves @widget from the class in *@current to @css_class; *@current
 * holds the static string of the class now set (NULL at first). */
void        ev_ui_swap_css_class        (GtkWidget      *widget,
                                         const char    **current,
                                         const char     *css_class);

/* The same with the class of @state (ev-cp-state.h), coloured the same in
 * every app. */
void        ev_ui_set_state_class       (GtkWidget      *widget,
                                         const char    **current,
                                         EvCpState       state);

/* Shows @text in @label, green ("success") when @good, red ("error")
 * otherwise. */
void        ev_ui_set_status            (GtkLabel       *label,
                                         gboolean        good,
                                         const char     *text);

/* Sets the accessible label of @widget. */
void        ev_ui_set_a11y_label        (GtkWidget      *widget,
                                         const char     *label);

/* @text, or "—" when it is NULL or empty. */
const char *ev_ui_or_dash               (const char     *text);

/* Translated figures: "0.35 €/kWh", "12.84 kWh", "4.49 €". */
char       *ev_ui_format_price          (double          price);
char       *ev_ui_format_kwh            (double          kwh);
char       *ev_ui_format_amount         (double          amount);

/* The local time of @ms (since the epoch) as HH:MM:SS; "" if invalid. */
char       *ev_ui_format_time           (gint64          ms);

/* The local time of @ms in g_date_time_format() @format; "—" for 0. */
char       *ev_ui_format_ms             (gint64          ms,
                                         const char     *format);

/* Shows @title in @overlay for @timeout seconds (0: until dismissed). */
void        ev_ui_show_shortcuts        (GtkWindow      *parent,
                                         const char     *resource);

/* Installs win.show-help-overlay on @widget_class (a GtkWindow's), which
 * shows @resource (static) with ev_ui_show_shortcuts(). */
void        ev_ui_class_install_shortcuts (GtkWidgetClass *widget_class,
                                           const char     *resource);
void        ev_ui_add_toast             (AdwToastOverlay *overlay,
                                         const char      *title,
                                         guint            timeout);

/* Adds the style sheet every app shares (ev-ui.css: the states'
 * colours, the status bar) to the default display, under the app's own
 * style.css; once per display. */
void        ev_ui_add_shared_style      (void);

/* What every app of the network does as it starts up, after chaining up:
 * @entries become app actions, Ctrl+Q quits (app.quit), Ctrl+? shows the
 * keyboard shortcuts (win.show-help-overlay), every window takes
 * @app_id's icon, and the shared style is added. */
void        ev_ui_application_startup   (GtkApplication     *application,
                                         const GActionEntry *entries,
                                         int                 n_entries,
                                         const char         *app_id);

/* The about window of an app of the network, over the active window. */
void        ev_ui_show_about            (GtkApplication *application,
                                         const char     *app_id,
                                         const char     *application_name,
                                         const char     *comments);

/* Gives @window the size kept in @settings ("window-width",
 * "window-height", "window-maximized") and keeps it there on close. */
void        ev_ui_remember_window_size  (GtkWindow      *window,
                                         GObject        *settings);

/* Closes every window of @application, so that they save their state,
 * then quits. */
void        ev_ui_close_windows_and_quit (GtkApplication *application);

/* Calls @callback on SIGINT and SIGTERM (the main context's watches);
 * @source_ids receives the two. */
void        ev_ui_add_signal_watches    (guint           source_ids[2],
                                         GSourceFunc     callback,
                                         gpointer        user_data);
/* Quits @application on SIGINT and SIGTERM, so that it shuts down
 * cleanly; @source_ids receives the two watches. */
void        ev_ui_add_quit_signals      (GApplication   *application,
                                         guint           source_ids[2]);
void        ev_ui_clear_quit_signals    (guint           source_ids[2]);

void        ev_ui_tooltip_when_ellipsized (GtkLabel     *label);

G_END_DECLS

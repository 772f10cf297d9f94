/* ev-ui.c: GTK helpers shared by Central, the station and the driver. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <signal.h>

#include "ev-ui.h"
#include "ev-ui-resources.h"

void
ev_ui_swap_css_class (GtkWidget   *widget,
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
ev_ui_set_state_class (GtkWidget   *widget,
                       const char **current,
                       EvCpState    state)
{
  /* Static strings owned by ev-cp-state.c. */
  ev_ui_swap_css_class (widget, current, ev_cp_state_get_css_class (state));
}

void
ev_ui_set_status (GtkLabel   *label,
                  gboolean    good,
                  const char *text)
{
  gtk_label_set_label (label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (label), good ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (label), good ? "success" : "error");
}

void
ev_ui_set_a11y_label (GtkWidget  *widget,
                      const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

const char *
ev_ui_or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "—";
}

char *
ev_ui_format_price (double price)
{
  /* Translators: a price per kilowatt-hour. */
  return g_strdup_printf (_("%.2f €/kWh"), price);
}

char *
ev_ui_format_kwh (double kwh)
{
  return g_strdup_printf (_("%.2f kWh"), kwh);
}

char *
ev_ui_format_amount (double amount)
{
  /* Translators: an amount of money in euros. */
  return g_strdup_printf (_("%.2f €"), amount);
}

char *
ev_ui_format_time (gint64 ms)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (ms / 1000);

  if (time == NULL)
    return g_strdup ("");
  return g_date_time_format (time, "%H:%M:%S");
}

/* The local time zone, looked up once a minute: GLib reads it from the
 * file system each time it is asked, and a list of thousands of rows
 * asks for every date it shows. Used from the UI thread only. */
static GTimeZone *
local_time_zone (void)
{
  static GTimeZone *zone;
  static gint64 looked_up;
  gint64 now = g_get_monotonic_time ();

  if (zone == NULL || now - looked_up > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      looked_up = now;
    }
  return zone;
}

char *
ev_ui_format_ms (gint64      ms,
                 const char *format)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) time = NULL;

  if (ms <= 0)
    return g_strdup ("—");
  utc = g_date_time_new_from_unix_utc (ms / 1000);
  if (utc != NULL)
    time = g_date_time_to_timezone (utc, local_time_zone ());
  if (time == NULL)
    return g_strdup ("—");
  return g_date_time_format (time, format);
}

/**
 * ev_ui_show_shortcuts:
 * @parent: the window it is for
 * @resource: the path of a .ui resource whose `help_overlay` is a
 *   #GtkShortcutsWindow
 *
 * Shows the keyboard shortcuts (win.show-help-overlay, Ctrl+?), made
 * afresh and gone when closed or when @parent goes: nothing of it stays
 * behind while it is not shown.
 */
void
ev_ui_show_shortcuts (GtkWindow  *parent,
                      const char *resource)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource (resource);
  GtkWindow *shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));

  gtk_window_set_transient_for (shortcuts, parent);
  gtk_window_set_destroy_with_parent (shortcuts, TRUE);
  gtk_window_present (shortcuts);
}

static GQuark
shortcuts_resource_quark (void)
{
  return g_quark_from_static_string ("ev-ui-shortcuts-resource");
}

static void
show_shortcuts_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  const char *resource = NULL;

  for (GType type = G_OBJECT_TYPE (widget); resource == NULL && type != 0; type = g_type_parent (type))
    resource = g_type_get_qdata (type, shortcuts_resource_quark ());
  g_return_if_fail (resource != NULL);

  ev_ui_show_shortcuts (GTK_WINDOW (widget), resource);
}

/**
 * ev_ui_class_install_shortcuts:
 * @widget_class: the class of a #GtkWindow subclass
 * @resource: (not nullable): the path of its shortcuts .ui resource, a
 *   string that lives as long as the program
 *
 * Installs the win.show-help-overlay action on @widget_class, which shows
 * @resource with ev_ui_show_shortcuts(). The path is kept on the type, as
 * widget actions carry no data of their own.
 */
void
ev_ui_class_install_shortcuts (GtkWidgetClass *widget_class,
                               const char     *resource)
{
  g_return_if_fail (g_type_is_a (G_TYPE_FROM_CLASS (widget_class), GTK_TYPE_WINDOW));
  g_return_if_fail (resource != NULL);

  g_type_set_qdata (G_TYPE_FROM_CLASS (widget_class), shortcuts_resource_quark (), (gpointer) resource);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL, show_shortcuts_action);
}

void
ev_ui_add_toast (AdwToastOverlay *overlay,
                 const char      *title,
                 guint            timeout)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, timeout);
  adw_toast_overlay_add_toast (overlay, toast);
}

void
ev_ui_add_shared_style (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = NULL;

  g_return_if_fail (display != NULL);

  if (g_object_get_data (G_OBJECT (display), "ev-ui-shared-style") != NULL)
    return;

  /* Named, so that this library's resource is linked in and registered
   * (not in a g_assert(), which G_DISABLE_ASSERT would take out). */
  g_return_if_fail (ev_ui_get_resource () != NULL);
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/evcharging/EVCharging/ui/ev-ui.css");
  /* One below AdwApplication's style.css, so that an app's own rule wins
   * over a shared one as specific. */
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION - 1);
  g_object_set_data_full (G_OBJECT (display), "ev-ui-shared-style",
                          g_steal_pointer (&provider), g_object_unref);
}

void
ev_ui_application_startup (GtkApplication     *application,
                           const GActionEntry *entries,
                           int                 n_entries,
                           const char         *app_id)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };

  g_return_if_fail (GTK_IS_APPLICATION (application));
  g_return_if_fail (app_id != NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (application), entries, n_entries, application);
  gtk_application_set_accels_for_action (application, "app.quit", quit_accels);
  gtk_application_set_accels_for_action (application, "win.show-help-overlay", shortcuts_accels);
  gtk_window_set_default_icon_name (app_id);
  ev_ui_add_shared_style ();
}

void
ev_ui_show_about (GtkApplication *application,
                  const char     *app_id,
                  const char     *application_name,
                  const char     *comments)
{
  GtkWindow *parent = gtk_application_get_active_window (application);
  static const char *developers[] = { "The EV Charging Network developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", TRUE,
                        "application-name", application_name,
                        "application-icon", app_id,
                        "developer-name", _("The EV Charging Network developers"),
                        "version", PACKAGE_VERSION,
                        "comments", comments,
                        "website", "https://github.com/evcharging/evcharging",
                        "issue-url", "https://github.com/evcharging/evcharging/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static gboolean
window_close_request_cb (GtkWindow *window,
                         GObject   *settings)
{
  int width = 0;
  int height = 0;
  gboolean maximized = gtk_window_is_maximized (window);

  gtk_window_get_default_size (window, &width, &height);
  g_object_set (settings, "window-maximized", maximized, NULL);
  if (!maximized && width > 0 && height > 0)
    g_object_set (settings,
                  "window-width", width,
                  "window-height", height,
                  NULL);

  return GDK_EVENT_PROPAGATE;
}

void
ev_ui_remember_window_size (GtkWindow *window,
                            GObject   *settings)
{
  int width = 0;
  int height = 0;
  gboolean maximized = FALSE;

  g_object_get (settings,
                "window-width", &width,
                "window-height", &height,
                "window-maximized", &maximized,
                NULL);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (window, width, height);
  if (maximized)
    gtk_window_maximize (window);
  g_signal_connect_object (window, "close-request",
                           G_CALLBACK (window_close_request_cb), settings, 0);
}

void
ev_ui_close_windows_and_quit (GtkApplication *application)
{
  GList *windows = gtk_application_get_windows (application);

  /* A closed window may leave the list: step on before closing it. */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }

  g_application_quit (G_APPLICATION (application));
}

static gboolean
quit_on_signal_cb (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

void
ev_ui_add_signal_watches (guint       source_ids[2],
                          GSourceFunc callback,
                          gpointer    user_data)
{
  source_ids[0] = g_unix_signal_add (SIGINT, callback, user_data);
  source_ids[1] = g_unix_signal_add (SIGTERM, callback, user_data);
}

void
ev_ui_add_quit_signals (GApplication *application,
                        guint         source_ids[2])
{
  ev_ui_add_signal_watches (source_ids, quit_on_signal_cb, application);
}

void
ev_ui_clear_quit_signals (guint source_ids[2])
{
  g_clear_handle_id (&source_ids[0], g_source_remove);
  g_clear_handle_id (&source_ids[1], g_source_remove);
}

static gboolean
ellipsized_tooltip_cb (GtkWidget  *widget,
                       int         x,
                       int         y,
                       gboolean    keyboard_mode,
                       GtkTooltip *tooltip,
                       gpointer    user_data)
{
  GtkLabel *label = GTK_LABEL (widget);

  if (!pango_layout_is_ellipsized (gtk_label_get_layout (label)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (label));
  return TRUE;
}

/**
 * ev_ui_tooltip_when_ellipsized:
 * @label: a label that may be ellipsized
 *
 * Shows the whole text of @label as its tooltip when, and only when, it
 * is cut short. The text is asked for when the pointer rests on the label
 * (`query-tooltip`), never set ahead: setting a tooltip costs round trips
 * to the display server, which thousands of list rows cannot afford.
 */
void
ev_ui_tooltip_when_ellipsized (GtkLabel *label)
{
  g_return_if_fail (GTK_IS_LABEL (label));

  gtk_widget_set_has_tooltip (GTK_WIDGET (label), TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (ellipsized_tooltip_cb), NULL);
}

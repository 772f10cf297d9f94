/* test-ev-ui.c: what the three apps share from src/ui: the style sheet
 * that colours the charging points' states alike everywhere (SPEC.md:
 * grey, green, orange, red), and what every app does as it starts up. */

#include "config.h"

#include "ev-ui.h"
#include "ui-test-utils.h"

typedef enum {
  SHOWN_GREY,
  SHOWN_SUCCESS,
  SHOWN_WARNING,
  SHOWN_ERROR,
} Shown;

static const struct {
  EvCpState state;
  Shown     shown;
} state_colours[] = {
  { EV_CP_STATE_DISCONNECTED, SHOWN_GREY },
  { EV_CP_STATE_ACTIVE, SHOWN_SUCCESS },
  { EV_CP_STATE_WAITING, SHOWN_SUCCESS },
  { EV_CP_STATE_SUPPLYING, SHOWN_SUCCESS },
  { EV_CP_STATE_STOPPED, SHOWN_WARNING },
  { EV_CP_STATE_BROKEN, SHOWN_ERROR },
};

/* The test's own boxes in the theme's colours, to read them as drawn. */
static const char reference_css[] =
  ".reference-1 { background-color: @success_bg_color; }\n"
  ".reference-2 { background-color: @warning_bg_color; }\n"
  ".reference-3 { background-color: @error_bg_color; }\n";

static GtkWidget *
reference_box (Shown shown)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  g_autofree char *css_class = g_strdup_printf ("reference-%d", (int) shown);

  gtk_widget_add_css_class (box, css_class);
  gtk_widget_set_size_request (box, 24, 12);
  return box;
}

/* The colour of the middle of what @widget draws. */
static GdkRGBA
drawn_colour (GtkWidget *widget)
{
  g_autoptr(GdkTexture) texture = ev_ui_test_render (widget);
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = g_malloc ((gsize) width * height * 4);
  const guchar *p;
  double a;

  /* GDK_MEMORY_DEFAULT: B, G, R, A, premultiplied. */
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  p = pixels + 4 * ((gsize) (height / 2) * width + width / 2);
  a = p[3] / 255.0;
  g_assert_cmpfloat (a, >, 0.9);
  return (GdkRGBA) { p[2] / 255.0 / a, p[1] / 255.0 / a, p[0] / 255.0 / a, 1.0 };
}

/* Checks that @widget is filled with the colour of @shown and with none
 * of the others'; @colours are the references' (index: Shown). */
static void
check_shown (GtkWidget     *widget,
             Shown          shown,
             const GdkRGBA *colours,
             const char    *what)
{
  g_autoptr(GdkTexture) texture = ev_ui_test_render (widget);
  guint area = (guint) (gdk_texture_get_width (texture) * gdk_texture_get_height (texture));

  g_test_message ("%s", what);
  g_assert_cmpuint (area, >, 0);
  for (Shown colour = SHOWN_SUCCESS; colour <= SHOWN_ERROR; colour++)
    {
      guint n = ev_ui_test_count_pixels (texture, &colours[colour], 0.02);

      if (colour == shown)
        g_assert_cmpuint (n, >, area / 2);
      else
        g_assert_cmpuint (n, <, area / 20);
    }
}

/* Every state's badge (in a widget of the state's class, as Central's
 * cards and the driver's rows hold it) and banner (of the state's class
 * itself, as the station's windows show it) in the state's colour. */
static void
test_state_colours (void)
{
  g_autoptr(GtkCssProvider) references = gtk_css_provider_new ();
  GtkWidget *window = g_object_ref_sink (gtk_window_new ());
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *reference[SHOWN_ERROR + 1] = { NULL };
  GtkWidget *badge[G_N_ELEMENTS (state_colours)];
  GtkWidget *banner[G_N_ELEMENTS (state_colours)];
  GdkRGBA colours[SHOWN_ERROR + 1] = { { 0 } };

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_css_provider_load_from_data (references, reference_css, -1);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (references),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  for (Shown shown = SHOWN_SUCCESS; shown <= SHOWN_ERROR; shown++)
    {
      reference[shown] = reference_box (shown);
      gtk_box_append (GTK_BOX (column), reference[shown]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (state_colours); i++)
    {
      const char *state_class = ev_cp_state_get_css_class (state_colours[i].state);
      GtkWidget *holder = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

      gtk_widget_add_css_class (holder, state_class);
      badge[i] = gtk_label_new ("Available");
      gtk_widget_set_halign (badge[i], GTK_ALIGN_START);
      gtk_widget_add_css_class (badge[i], "state-badge");
      gtk_box_append (GTK_BOX (holder), badge[i]);
      gtk_box_append (GTK_BOX (column), holder);

      banner[i] = gtk_label_new ("Available");
      gtk_widget_add_css_class (banner[i], "state-banner");
      gtk_widget_add_css_class (banner[i], state_class);
      gtk_box_append (GTK_BOX (column), banner[i]);
    }
  gtk_window_set_child (GTK_WINDOW (window), column);
  gtk_window_present (GTK_WINDOW (window));

  for (Shown shown = SHOWN_SUCCESS; shown <= SHOWN_ERROR; shown++)
    colours[shown] = drawn_colour (reference[shown]);
  /* Three colours to tell apart. */
  g_assert_false (gdk_rgba_equal (&colours[SHOWN_SUCCESS], &colours[SHOWN_WARNING]));
  g_assert_false (gdk_rgba_equal (&colours[SHOWN_WARNING], &colours[SHOWN_ERROR]));

  for (guint i = 0; i < G_N_ELEMENTS (state_colours); i++)
    {
      const char *state_class = ev_cp_state_get_css_class (state_colours[i].state);
      g_autofree char *badge_what = g_strdup_printf ("the badge of %s", state_class);
      g_autofree char *banner_what = g_strdup_printf ("the banner of %s", state_class);

      check_shown (badge[i], state_colours[i].shown, colours, badge_what);
      check_shown (banner[i], state_colours[i].shown, colours, banner_what);
    }

  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (references));
  ev_ui_test_destroy_window (window, 5000);
}

static int activated;

static void
activate_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  g_assert_true (GTK_IS_APPLICATION (user_data));
  activated++;
}

static void
startup_cb (GApplication *application,
            gpointer      user_data)
{
  static const GActionEntry entries[] = {
    { .name = "quit", .activate = activate_action },
    { .name = "about", .activate = activate_action },
  };

  ev_ui_application_startup (GTK_APPLICATION (application), entries, G_N_ELEMENTS (entries),
                             "io.github.evcharging.EVCharging.Test");
}

static void
check_accels (GtkApplication *application,
              const char     *action,
              const char     *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (application, action);

  g_assert_cmpstrv (accels, ((const char *[]) { accel, NULL }));
}

/* An app's startup: its actions (called on the app), Ctrl+Q and Ctrl+?,
 * its icon on every window, and the shared style, added once however
 * many times it is asked. */
static void
test_application_startup (void)
{
  g_autoptr(GtkApplication) application = NULL;
  g_autoptr(GError) error = NULL;
  GdkDisplay *display = gdk_display_get_default ();
  GtkStyleProvider *shared = g_object_get_data (G_OBJECT (display), "ev-ui-shared-style");

  /* Taken off the display (ev_ui_test_init() added it), to see startup
   * add it again. */
  g_assert_nonnull (shared);
  gtk_style_context_remove_provider_for_display (display, shared);
  g_object_set_data (G_OBJECT (display), "ev-ui-shared-style", NULL);

  application = gtk_application_new ("io.github.evcharging.EVCharging.Test", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (application, "startup", G_CALLBACK (startup_cb), NULL);
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);

  g_action_group_activate_action (G_ACTION_GROUP (application), "about", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (application), "quit", NULL);
  g_assert_cmpint (activated, ==, 2);
  check_accels (application, "app.quit", "<Control>q");
  check_accels (application, "win.show-help-overlay", "<Control>question");
  g_assert_cmpstr (gtk_window_get_default_icon_name (), ==, "io.github.evcharging.EVCharging.Test");
  shared = g_object_get_data (G_OBJECT (display), "ev-ui-shared-style");
  g_assert_true (GTK_IS_CSS_PROVIDER (shared));
  ev_ui_add_shared_style ();
  g_assert_true (g_object_get_data (G_OBJECT (display), "ev-ui-shared-style") == shared);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  ev_ui_test_init (NULL);

  g_test_add_func ("/ev-ui/shared-style/state-colours", test_state_colours);
  g_test_add_func ("/ev-ui/application-startup", test_application_startup);
  return g_test_run ();
}

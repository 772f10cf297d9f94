#include "config.h"

#include <string.h>

#include "ui-test-utils.h"

/**
 * ev_ui_test_init:
 * @css_resource: the resource path of the app's style.css
 *
 * The windows under test have no application, so nothing else loads the
 * style sheet that colours them.
 */
void
ev_ui_test_init (const char *css_resource)
{
  g_autoptr(GtkCssProvider) css = NULL;

  /* The tests draw with cairo; loading Mesa for nothing only leaves its
   * one-time allocations for LeakSanitizer to find. */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);

  /* A UI test that cannot see a display fails: it runs under xvfb-run. */
  if (!gtk_init_check ())
    g_error ("no display: run the UI tests under xvfb-run");
  adw_init ();

  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, css_resource);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

GtkWidget *
ev_ui_test_find (GtkWidget     *root,
                 EvUiTestMatch  match,
                 gconstpointer  data,
                 EvUiTestFlags  flags)
{
  if ((flags & EV_UI_TEST_VISIBLE_ONLY) && !gtk_widget_get_visible (root))
    return NULL;
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ev_ui_test_find (child, match, data, flags);

      if (found != NULL)
        return found;
    }

  return NULL;
}

typedef struct {
  GtkWidget     *root;
  EvUiTestMatch  match;
  gconstpointer  data;
  EvUiTestFlags  flags;
  GtkWidget     *found;
} FindWait;

static gboolean
found_cb (gpointer user_data)
{
  FindWait *wait = user_data;

  wait->found = ev_ui_test_find (wait->root, wait->match, wait->data, wait->flags);
  return wait->found != NULL;
}

GtkWidget *
ev_ui_test_wait_for (GtkWidget     *root,
                     EvUiTestMatch  match,
                     gconstpointer  data,
                     EvUiTestFlags  flags,
                     guint          timeout_ms,
                     const char    *what)
{
  FindWait wait = { root, match, data, flags, NULL };

  ev_test_wait_until (NULL, found_cb, &wait, timeout_ms, what);
  return wait.found;
}

static gboolean
is_type (GtkWidget     *widget,
         gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

GtkWidget *
ev_ui_test_find_type (GtkWidget *root,
                      GType      type)
{
  return ev_ui_test_find (root, is_type, GSIZE_TO_POINTER (type), EV_UI_TEST_ANY);
}

static gboolean
label_contains (GtkWidget     *widget,
                gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

GtkLabel *
ev_ui_test_find_label (GtkWidget     *root,
                       const char    *text,
                       EvUiTestFlags  flags)
{
  return (GtkLabel *) ev_ui_test_find (root, label_contains, text, flags);
}

static gboolean
label_is (GtkWidget     *widget,
          gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

gboolean
ev_ui_test_has_label (GtkWidget  *root,
                      const char *text)
{
  return ev_ui_test_find (root, label_is, text, EV_UI_TEST_ANY) != NULL;
}

static gboolean
button_for (GtkWidget     *widget,
            gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

GtkWidget *
ev_ui_test_find_button (GtkWidget  *root,
                        const char *action_name)
{
  return ev_ui_test_find (root, button_for, action_name, EV_UI_TEST_ANY);
}

static gboolean
has_class (GtkWidget     *widget,
           gconstpointer  css_class)
{
  return gtk_widget_has_css_class (widget, css_class);
}

GtkWidget *
ev_ui_test_find_class (GtkWidget  *root,
                       const char *css_class)
{
  return ev_ui_test_find (root, has_class, css_class, EV_UI_TEST_ANY);
}

GtkLabel *
ev_ui_test_wait_label (GtkWidget     *root,
                       const char    *text,
                       EvUiTestFlags  flags,
                       guint          timeout_ms)
{
  g_autofree char *what = g_strdup_printf ("the label “%s”", text);

  return (GtkLabel *) ev_ui_test_wait_for (root, label_contains, text, flags, timeout_ms, what);
}

static gboolean
toplevels_gone (gpointer user_data)
{
  return g_list_model_get_n_items (gtk_window_get_toplevels ()) == 0;
}

void
ev_ui_test_destroy_window (gpointer window,
                           guint    timeout_ms)
{
  gtk_window_destroy (GTK_WINDOW (window));
  ev_test_wait_until (NULL, toplevels_gone, NULL, timeout_ms, "the windows to close");
  g_assert_finalize_object (window);
}

/* The widget's last frame; none while a redraw is pending, so spin until
 * one is there. */
static GskRenderNode *
snapshot_widget (GtkWidget *widget)
{
  for (guint attempt = 0; attempt < 500; attempt++)
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
      GskRenderNode *node;

      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot),
                              gtk_widget_get_width (widget), gtk_widget_get_height (widget));
      node = gtk_snapshot_to_node (snapshot);
      if (node != NULL)
        return node;
      ev_test_sleep_spinning (NULL, 10);
    }

  g_error ("no frame of the window to save");
}

void
ev_ui_test_save_png (GtkWidget  *widget,
                     const char *path)
{
  g_autoptr(GskRenderNode) node = snapshot_widget (widget);
  g_autoptr(GdkTexture) texture = NULL;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                              gtk_widget_get_height (widget)));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot saved to %s", path);
}

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "ev-ui.h"
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

  /* Without a display a plain `meson test` skips the UI tests, saying
   * why (TAP "1..0 # SKIP"); `./run test` runs them under
   * xvfb-run and sets EV_UI_TESTS_REQUIRED, so that there a missing
   * display is a failure, never a skip. */
  if (!gtk_init_check ())
    {
      if (g_getenv ("EV_UI_TESTS_REQUIRED") != NULL)
        g_error ("no display: run the UI tests under xvfb-run");
      g_print ("1..0 # SKIP no display: run the UI tests under xvfb-run\n");
      exit (0);
    }
  adw_init ();

  ev_ui_add_shared_style ();
  if (css_resource == NULL)
    return;
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
ev_ui_test_bind_catalogue (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("EV_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

gboolean
ev_ui_test_in_spanish (void)
{
  if (g_test_subprocess ())
    return TRUE;

  g_setenv ("LANGUAGE", "es", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("LANGUAGE");
  g_test_trap_assert_passed ();
  return FALSE;
}

void
ev_ui_test_check_shortcuts (const char *resource)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource (resource);
  GObject *overlay = gtk_builder_get_object (builder, "help_overlay");

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  g_assert_nonnull (ev_ui_test_find_type (GTK_WIDGET (overlay), GTK_TYPE_SHORTCUTS_SHORTCUT));
  gtk_window_destroy (GTK_WINDOW (overlay));
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

static void
collect_mapped (GtkWidget *widget,
                GType      type,
                GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_mapped (child, type, found);
}

GPtrArray *
ev_ui_test_find_all_mapped (GtkWidget *root,
                            GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  collect_mapped (root, type, found);
  return found;
}

gboolean
ev_ui_test_switcher_bar_shown (gpointer bar)
{
  g_autoptr(GPtrArray) buttons = NULL;

  if (!adw_view_switcher_bar_get_reveal (bar) || !gtk_widget_get_mapped (bar))
    return FALSE;
  buttons = ev_ui_test_find_all_mapped (bar, GTK_TYPE_TOGGLE_BUTTON);
  return buttons->len > 0;
}

GdkTexture *
ev_ui_test_render (GtkWidget *widget)
{
  g_autoptr(GskRenderNode) node = snapshot_widget (widget);

  return gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                           gtk_widget_get_height (widget)));
}

guint
ev_ui_test_count_pixels (GdkTexture    *texture,
                         const GdkRGBA *colour,
                         double         tolerance)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = g_malloc ((gsize) width * height * 4);
  guint count = 0;

  /* GDK_MEMORY_DEFAULT: B, G, R, A, premultiplied. */
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      const guchar *p = pixels + 4 * i;
      double a = p[3] / 255.0;

      if (a > 0 &&
          fabs (p[2] / 255.0 / a - colour->red) <= tolerance &&
          fabs (p[1] / 255.0 / a - colour->green) <= tolerance &&
          fabs (p[0] / 255.0 / a - colour->blue) <= tolerance)
        count++;
    }
  return count;
}

void
ev_ui_test_save_png (GtkWidget  *widget,
                     const char *path)
{
  g_autoptr(GdkTexture) texture = ev_ui_test_render (widget);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot saved to %s", path);
}

struct _EvUiTestProgram
{
  char *name;
  GSubprocess *process;
  GDataInputStream *errors;
  GCancellable *cancellable;
  GPtrArray *lines;
  gboolean eof;
  gboolean exited;
};

static void read_error_line (EvUiTestProgram *program);

static void
error_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  EvUiTestProgram *program;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  program = user_data;
  if (line == NULL)
    {
      program->eof = TRUE;
      return;
    }
  g_printerr ("[%s] %s\n", program->name, line);
  g_ptr_array_add (program->lines, line);
  read_error_line (program);
}

static void
read_error_line (EvUiTestProgram *program)
{
  g_data_input_stream_read_line_async (program->errors, G_PRIORITY_DEFAULT, program->cancellable,
                                       error_line_cb, program);
}

static void
program_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ((EvUiTestProgram *) user_data)->exited = TRUE;
}

/**
 * ev_ui_test_program_spawn:
 * @argv: the program and its arguments
 * @env: (nullable): "KEY=VALUE" entries set for it, %NULL-terminated
 *
 * Returns: (transfer full): the running program
 */
EvUiTestProgram *
ev_ui_test_program_spawn (const char * const *argv,
                          const char * const *env)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  EvUiTestProgram *program = g_new0 (EvUiTestProgram, 1);

  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  program->name = g_path_get_basename (argv[0]);
  program->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  program->cancellable = g_cancellable_new ();
  program->lines = g_ptr_array_new_with_free_func (g_free);
  program->errors = g_data_input_stream_new (g_subprocess_get_stderr_pipe (program->process));
  g_subprocess_wait_async (program->process, program->cancellable, program_exited_cb, program);
  read_error_line (program);
  return program;
}

typedef struct
{
  EvUiTestProgram *program;
  const char *text;
} LineWait;

static gboolean
line_seen (gpointer user_data)
{
  LineWait *wait = user_data;

  for (guint i = 0; i < wait->program->lines->len; i++)
    if (strstr (g_ptr_array_index (wait->program->lines, i), wait->text) != NULL)
      return TRUE;
  /* Gone without saying it: no use waiting. */
  if (wait->program->exited && wait->program->eof)
    g_error ("%s exited before saying “%s”", wait->program->name, wait->text);
  return FALSE;
}

void
ev_ui_test_program_wait_line (EvUiTestProgram *program,
                              const char      *text,
                              guint            timeout_ms)
{
  LineWait wait = { program, text };

  ev_test_wait_until (NULL, line_seen, &wait, timeout_ms, text);
}

int
ev_ui_test_program_stop (EvUiTestProgram *program,
                         int              signum,
                         guint            timeout_ms)
{
  g_autofree char *what = g_strdup_printf ("%s to exit after signal %d", program->name, signum);

  g_subprocess_send_signal (program->process, signum);
  ev_test_wait_flag (NULL, &program->exited, timeout_ms, what);
  if (!g_subprocess_get_if_exited (program->process))
    g_error ("%s was killed by signal %d", program->name, g_subprocess_get_term_sig (program->process));
  return g_subprocess_get_exit_status (program->process);
}

void
ev_ui_test_program_free (EvUiTestProgram *program)
{
  if (!program->exited)
    {
      g_subprocess_force_exit (program->process);
      ev_test_wait_flag (NULL, &program->exited, 10000, "a program to be killed");
    }
  g_cancellable_cancel (program->cancellable);
  g_clear_object (&program->errors);
  g_clear_object (&program->process);
  g_clear_object (&program->cancellable);
  g_ptr_array_unref (program->lines);
  g_free (program->name);
  g_free (program);
}

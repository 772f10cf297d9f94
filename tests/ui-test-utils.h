#pragma once

/* Helpers of the UI tests: start GTK under Xvfb, find widgets in a
 * window's tree, wait for them, and save pictures. */

#include <adwaita.h>

#include "test-utils.h"

G_BEGIN_DECLS

/* Initialises GTK and libadwaita for drawing with cairo (g_error without
 * a display: UI tests run under xvfb-run) and loads the style sheets an
 * app has: the shared one (ev_ui_add_shared_style()) and @css_resource
 * (nullable), the app's own, which AdwApplication would load for it. */
void       ev_ui_test_init               (const char     *css_resource);

typedef enum {
  EV_UI_TEST_ANY          = 0,
  /* Hidden widgets and what they hold do not count. */
  EV_UI_TEST_VISIBLE_ONLY = 1 << 0,
} EvUiTestFlags;

/* Whether @widget is the one looked for; @data is the search's. */
typedef gboolean (*EvUiTestMatch) (GtkWidget     *widget,
                                   gconstpointer  data);

/* The first widget, depth first from @root itself, that @match accepts. */
GtkWidget *ev_ui_test_find               (GtkWidget      *root,
                                          EvUiTestMatch   match,
                                          gconstpointer   data,
                                          EvUiTestFlags   flags);
/* The same, spinning the default main context until there is one; the
 * test fails after @timeout_ms, saying it waited for @what. */
GtkWidget *ev_ui_test_wait_for           (GtkWidget      *root,
                                          EvUiTestMatch   match,
                                          gconstpointer   data,
                                          EvUiTestFlags   flags,
                                          guint           timeout_ms,
                                          const char     *what);

GtkWidget *ev_ui_test_find_type          (GtkWidget      *root,
                                          GType           type);
/* A label whose text contains @text. */
GtkLabel  *ev_ui_test_find_label         (GtkWidget      *root,
                                          const char     *text,
                                          EvUiTestFlags   flags);
/* Whether a label under @root shows exactly @text. */
gboolean   ev_ui_test_has_label          (GtkWidget      *root,
                                          const char     *text);
/* The button bound to @action_name. */
GtkWidget *ev_ui_test_find_button        (GtkWidget      *root,
                                          const char     *action_name);
GtkWidget *ev_ui_test_find_class         (GtkWidget      *root,
                                          const char     *css_class);
/* Waits for a label containing @text. */
GtkLabel  *ev_ui_test_wait_label         (GtkWidget      *root,
                                          const char     *text,
                                          EvUiTestFlags   flags,
                                          guint           timeout_ms);

/* Destroys @window, waits for every window to go, and checks that
 * nothing else holds @window. */
/* As the programs' main() do, with the catalogues built in po/
 * ($EV_LOCALEDIR): call once, first thing in main(). */
void       ev_ui_test_bind_catalogue     (void);
/* For a test run in Spanish: in the test process, runs the test again in
 * a subprocess with LANGUAGE=es (GLib decides once per process whether to
 * translate), asserts it passed and returns FALSE; in that subprocess,
 * returns TRUE: go on with the test. */
gboolean   ev_ui_test_in_spanish         (void);
/* The keyboard shortcuts window of @resource lists shortcuts. */
void       ev_ui_test_check_shortcuts    (const char     *resource);
void       ev_ui_test_destroy_window     (gpointer        window,
                                          guint           timeout_ms);

/* Every mapped widget of @type under @root, depth first. */
GPtrArray *ev_ui_test_find_all_mapped    (GtkWidget      *root,
                                          GType           type);
/* Whether an AdwViewSwitcherBar is up with its page buttons drawn. */
gboolean   ev_ui_test_switcher_bar_shown (gpointer        bar);
/* What @widget shows now. */
GdkTexture *ev_ui_test_render           (GtkWidget      *widget);
/* How many pixels of @texture are @colour, each channel within @tolerance. */
guint      ev_ui_test_count_pixels       (GdkTexture     *texture,
                                          const GdkRGBA  *colour,
                                          double          tolerance);
/* Saves what @widget shows now to the PNG file @path. */
void       ev_ui_test_save_png           (GtkWidget      *widget,
                                          const char     *path);

/* A program of the network run as its user would, with its window on the
 * test's display; @env adds "KEY=VALUE" entries to the test's
 * environment. Its standard error is passed on to the test's and kept. */
typedef struct _EvUiTestProgram EvUiTestProgram;

EvUiTestProgram *ev_ui_test_program_spawn     (const char * const *argv,
                                               const char * const *env);
/* Waits for a line of its standard error that contains @text. */
void             ev_ui_test_program_wait_line (EvUiTestProgram    *program,
                                               const char         *text,
                                               guint               timeout_ms);
/* Sends @signum and waits for the program to exit by itself; the test
 * fails if it has not within @timeout_ms, or was killed by a signal.
 * Returns its exit status. */
int              ev_ui_test_program_stop      (EvUiTestProgram    *program,
                                               int                 signum,
                                               guint               timeout_ms);
void             ev_ui_test_program_free      (EvUiTestProgram    *program);

G_END_DECLS

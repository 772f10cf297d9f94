#include "config.h"

#include <glib/gi18n-lib.h>

#include "central-headless.h"
#include "ev-headless.h"

static const char * const commands[] = {
  "stop CP|all", "resume CP|all", "list", "help", "quit", NULL
};

static void
print_list (CentralCore *core)
{
  GListModel *cps = central_core_get_charging_points (core);
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonArray *array = json_array_new ();
  guint n = g_list_model_get_n_items (cps);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "cp_id", ev_charging_point_get_cp_id (cp));
      json_object_set_string_member (item, "state", ev_cp_state_to_string (ev_charging_point_get_state (cp)));
      json_object_set_string_member (item, "location", ev_charging_point_get_location (cp));
      json_object_set_double_member (item, "price", ev_charging_point_get_price (cp));
      if (ev_charging_point_get_driver_id (cp) != NULL)
        json_object_set_string_member (item, "driver_id", ev_charging_point_get_driver_id (cp));
      else
        json_object_set_null_member (item, "driver_id");
      json_object_set_double_member (item, "kwh", ev_charging_point_get_kwh (cp));
      json_object_set_double_member (item, "amount", ev_charging_point_get_amount (cp));
      json_array_add_object_element (array, item);
    }

  json_object_set_array_member (fields, "cps", array);
  ev_headless_print_event ("list", fields);
}

/**
 * central_headless_run_command:
 * @core: a started core
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `stop CP|all`, `resume CP|all`, `list`, `help` or `quit`, printing
 * its events.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
central_headless_run_command (CentralCore *core,
                              const char  *line,
                              gboolean    *out_quit)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  guint n;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);

  if (n == 0)
    return NULL;

  if (n == 1 && g_str_equal (words[0], "quit"))
    {
      *out_quit = TRUE;
      return NULL;
    }
  if (n == 1 && g_str_equal (words[0], "list"))
    {
      print_list (core);
      return NULL;
    }
  if (n == 1 && g_str_equal (words[0], "help"))
    {
      ev_headless_print_help (commands);
      return NULL;
    }
  if (n == 2 && (g_str_equal (words[0], "stop") || g_str_equal (words[0], "resume")))
    {
      const char *target = g_str_equal (words[1], "all") ? NULL : words[1];
      gboolean ok = g_str_equal (words[0], "stop") ? central_core_stop (core, target, &error)
                                                   : central_core_resume (core, target, &error);

      return ok ? NULL : g_strdup (error->message);
    }

  {
    g_autofree char *stripped = g_strstrip (g_strdup (line));

    return g_strdup_printf (_("Unknown command “%s” (commands: stop CP|all, resume CP|all, list, help, quit)"),
                            stripped);
  }
}

static gboolean
start (gpointer   core,
       GError   **error)
{
  return central_core_start (core, error);
}

static void
shutdown (gpointer core)
{
  central_core_shutdown (core);
}

static char *
command (gpointer    core,
         const char *line,
         gboolean   *out_quit)
{
  return central_headless_run_command (core, line, out_quit);
}

/**
 * central_headless_run:
 * @core: a core, not started yet (so that its first events are printed)
 *
 * Starts @core and serves standard input until `quit`, end of input,
 * SIGINT or SIGTERM, then shuts the core down.
 *
 * Returns: the exit status: 0, or 1 if the core could not start
 */
int
central_headless_run (CentralCore *core)
{
  static const EvHeadlessRole role = { "ev-central", start, shutdown, command, NULL };

  return ev_headless_run (core, &role);
}

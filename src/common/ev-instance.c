/* ev-instance.c: what a second launch of a unique GApplication needs to
 * decide whether to hand over to the running instance. The running one
 * shows the options it was started with as the state of a disabled
 * action, which GApplication already publishes on the session bus
 * (org.gtk.Actions at the application's object path); a new launch reads
 * it before registering. */

#include "config.h"

#include "ev-instance.h"

#define OPTIONS_ACTION "instance-options"
/* A running instance answers at once; one that does not is treated as
 * none. */
#define QUERY_TIMEOUT_MS 2000

/**
 * ev_instance_export_options:
 * @application: a #GApplication, not registered yet
 * @options: (transfer floating): an `a{sv}` of the options it was started
 *   with, each one given on the command line and nothing else
 *
 * Shows @options to later launches (ev_instance_find_running()).
 */
void
ev_instance_export_options (GApplication *application,
                            GVariant     *options)
{
  g_autoptr(GSimpleAction) action = NULL;

  g_return_if_fail (G_IS_APPLICATION (application));
  g_return_if_fail (g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT));

  action = g_simple_action_new_stateful (OPTIONS_ACTION, NULL, options);
  /* Only to be read: activating it would do nothing. */
  g_simple_action_set_enabled (action, FALSE);
  g_action_map_add_action (G_ACTION_MAP (application), G_ACTION (action));
}

/* GApplication's own mapping: '.' becomes '/', '-' becomes '_'. */
static char *
object_path_for (const char *application_id)
{
  char *path = g_strconcat ("/", application_id, NULL);

  for (char *p = path; *p != '\0'; p++)
    {
      if (*p == '.')
        *p = '/';
      else if (*p == '-')
        *p = '_';
    }
  return path;
}

/**
 * ev_instance_find_running:
 * @application_id: the application's id
 * @out_options: (out) (optional) (transfer full) (nullable): the options
 *   the running instance exported, or %NULL when it exported none
 *
 * Asks the session bus for an instance of @application_id already
 * running. Without a session bus there is none to hand over to.
 *
 * Returns: %TRUE when one runs
 */
gboolean
ev_instance_find_running (const char  *application_id,
                          GVariant   **out_options)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) states = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean enabled;

  g_return_val_if_fail (g_application_id_is_valid (application_id), FALSE);

  if (out_options != NULL)
    *out_options = NULL;
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return FALSE;

  path = object_path_for (application_id);
  reply = g_dbus_connection_call_sync (bus, application_id, path, "org.gtk.Actions", "Describe",
                                       g_variant_new ("(s)", OPTIONS_ACTION), G_VARIANT_TYPE ("((bgav))"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, QUERY_TIMEOUT_MS, NULL, &error);
  if (reply == NULL)
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      /* Any other error came from a running instance that exports no
       * options (another version, or the action is unknown to it). */
      if (remote != NULL && (g_str_equal (remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                             g_str_equal (remote, "org.freedesktop.DBus.Error.NameHasNoOwner")))
        return FALSE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return FALSE;
      g_debug ("%s runs but tells no options: %s", application_id, error->message);
      return TRUE;
    }

  g_variant_get (reply, "((b&g@av))", &enabled, NULL, &states);
  if (out_options != NULL && g_variant_n_children (states) == 1)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (states, 0);
      g_autoptr(GVariant) state = g_variant_get_variant (boxed);

      if (g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT))
        *out_options = g_steal_pointer (&state);
    }
  return TRUE;
}

/**
 * ev_instance_options_match:
 * @given: an `a{sv}` of the options a launch was given
 * @running: an `a{sv}` of those the running instance was started with
 *
 * Returns: %TRUE when each option in @given is in @running with the same
 *   value; what @given leaves out does not count
 */
gboolean
ev_instance_options_match (GVariant *given,
                           GVariant *running)
{
  g_autoptr(GVariantDict) dict = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_return_val_if_fail (g_variant_is_of_type (given, G_VARIANT_TYPE_VARDICT), FALSE);
  g_return_val_if_fail (g_variant_is_of_type (running, G_VARIANT_TYPE_VARDICT), FALSE);

  dict = g_variant_dict_new (running);
  g_variant_iter_init (&iter, given);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      g_autoptr(GVariant) owned = value;
      g_autoptr(GVariant) theirs = g_variant_dict_lookup_value (dict, name, NULL);

      if (theirs == NULL || !g_variant_equal (owned, theirs))
        return FALSE;
    }
  return TRUE;
}

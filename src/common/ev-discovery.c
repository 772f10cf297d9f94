#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ev-discovery.h"
#include "ev-file.h"
#include "ev-json.h"

/* A discovery file holds one short JSON object. */
#define DISCOVERY_MAX_SIZE 4096

/*
 * The embedded broker announces itself in one small JSON file,
 * $XDG_RUNTIME_DIR/evcharging/broker:
 *
 *   {"bootstrap":"127.0.0.1:40123","pid":4242}
 *
 * The runtime directory is private to the user and emptied at logout, which
 * is the lifetime of a broker that keeps everything in memory. The pid lets
 * a reader tell a file left by a crashed broker from a live one.
 */

G_DEFINE_QUARK (ev-discovery-error-quark, ev_discovery_error)

/**
 * ev_discovery_get_path:
 *
 * Where the embedded broker's address is announced:
 * `g_get_user_runtime_dir()/evcharging/broker`.
 *
 * Returns: (transfer full): the path of the discovery file
 */
char *
ev_discovery_get_path (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "evcharging", "broker", NULL);
}

static gboolean
pid_is_alive (GPid pid)
{
  return kill (pid, 0) == 0 || errno == EPERM;
}

/* Whether something accepts connections at @bootstrap. In a Flatpak
 * sandbox each instance has its own process ids, so a broker started by
 * another instance looks dead to kill(); its port still answers. */
static gboolean
address_answers (const char *bootstrap)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  g_socket_client_set_timeout (client, 1);
  /* The broker is on this machine: no proxy (see ev-link.c). */
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, bootstrap, 0, NULL, NULL);
  return connection != NULL;
}

/* Reads the file without judging whether its process lives. */
static char *
read_file (const char  *path,
           GPid        *pid,
           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  const char *bootstrap;
  JsonObject *object;
  JsonNode *root;
  gint64 value;
  gsize length;

  if (!ev_file_read_bounded (path, DISCOVERY_MAX_SIZE, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_NOT_FOUND,
                     "No embedded broker is running (%s does not exist)", path);
      else
        g_set_error_literal (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_FAILED,
                             local_error->message);
      return NULL;
    }

  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_INVALID,
                   "%s is not valid JSON: %s", path, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  bootstrap = object != NULL ? json_object_get_string_member_with_default (object, "bootstrap", NULL) : NULL;
  value = object != NULL ? ev_json_object_get_int_in_range (object, "pid", 1, G_MAXINT, 0) : 0;

  if (bootstrap == NULL || *bootstrap == '\0' || strpbrk (bootstrap, " \t\r\n") != NULL ||
      value <= 0 || value > G_MAXINT)
    {
      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_INVALID,
                   "%s does not hold a broker address and a process id", path);
      return NULL;
    }

  *pid = (GPid) value;

  return g_strdup (bootstrap);
}

/**
 * ev_discovery_write:
 * @bootstrap: the broker's `host:port`
 * @pid: the process serving it, usually getpid()
 * @error: return location for a #GError
 *
 * Announces a broker. The file is replaced atomically, so a reader sees
 * either the old announcement or the new one, never half of one.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_discovery_write (const char  *bootstrap,
                    GPid         pid,
                    GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = ev_discovery_get_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (bootstrap != NULL && *bootstrap != '\0', FALSE);
  g_return_val_if_fail (pid > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_FAILED,
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "bootstrap");
  json_builder_add_string_value (builder, bootstrap);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, pid);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  contents = g_strconcat (text, "\n", NULL);

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &local_error))
    {
      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_FAILED,
                   "Cannot write %s: %s", path, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_discovery_read:
 * @pid: (out) (optional): the broker's process id
 * @error: return location for a #GError
 *
 * Finds the embedded broker of this user. A file whose process is gone (a
 * broker that crashed) counts as no broker: %EV_DISCOVERY_ERROR_STALE;
 * a process this one cannot see (another Flatpak instance) counts as live
 * when its address still accepts connections.
 *
 * Returns: (transfer full): the broker's bootstrap address, or %NULL with
 *   @error set
 */
char *
ev_discovery_read (GPid    *pid,
                   GError **error)
{
  g_autofree char *path = ev_discovery_get_path ();
  g_autofree char *bootstrap = NULL;
  GPid file_pid = 0;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bootstrap = read_file (path, &file_pid, error);
  if (bootstrap == NULL)
    return NULL;

  if (!pid_is_alive (file_pid) && !address_answers (bootstrap))
    {
      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_STALE,
                   "No embedded broker is running (process %d named in %s is gone)",
                   (int) file_pid, path);
      return NULL;
    }

  if (pid != NULL)
    *pid = file_pid;

  return g_steal_pointer (&bootstrap);
}

/**
 * ev_discovery_remove:
 * @pid: the process whose announcement to remove
 * @error: return location for a #GError
 *
 * Withdraws the announcement of @pid. A file written by another broker
 * since then is left alone; no file at all is not an error.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_discovery_remove (GPid     pid,
                     GError **error)
{
  g_autofree char *path = ev_discovery_get_path ();
  g_autofree char *bootstrap = NULL;
  g_autoptr(GError) local_error = NULL;
  GPid file_pid = 0;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bootstrap = read_file (path, &file_pid, &local_error);
  if (g_error_matches (local_error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_NOT_FOUND))
    return TRUE;
  if (bootstrap != NULL && file_pid != pid)
    return TRUE;

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, EV_DISCOVERY_ERROR, EV_DISCOVERY_ERROR_FAILED,
                   "Cannot remove %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

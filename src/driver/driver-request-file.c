#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "driver-request-file.h"
#include "ev-file.h"
#include "ev-protocol.h"

DriverRequestEntry *
driver_request_entry_new (const char *cp_id,
                          guint       line)
{
  DriverRequestEntry *entry = g_new0 (DriverRequestEntry, 1);

  entry->cp_id = g_strdup (cp_id);
  entry->line = line;
  return entry;
}

void
driver_request_entry_free (DriverRequestEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->cp_id);
  g_free (entry);
}

static void
problem_free (gpointer data)
{
  DriverRequestProblem *problem = data;

  g_free (problem->text);
  g_free (problem->message);
  g_free (problem);
}

static void
add_problem (DriverRequestFile *file,
             guint              line,
             const char        *text,
             gsize              length,
             const char        *message)
{
  DriverRequestProblem *problem = g_new0 (DriverRequestProblem, 1);

  problem->line = line;
  /* Shown back to people: keep it valid UTF-8 and short. */
  problem->text = g_utf8_make_valid (text, MIN (length, 80));
  problem->message = g_strdup (message);
  g_ptr_array_add (file->problems, problem);
}

static void
parse_line (DriverRequestFile *file,
            guint              number,
            const char        *line,
            gsize              length)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;
  char *hash;
  guint n_words = 0;

  if (memchr (line, '\0', length) != NULL || !g_utf8_validate (line, length, NULL))
    {
      add_problem (file, number, line, length, _("the line is not text"));
      return;
    }

  copy = g_strndup (line, length);
  /* A CP id never contains '#', so everything after one is a comment. */
  hash = strchr (copy, '#');
  if (hash != NULL)
    *hash = '\0';
  g_strstrip (copy);
  if (*copy == '\0')
    return;

  words = g_strsplit_set (copy, " \t\r\v\f", -1);
  for (guint i = 0; words[i] != NULL; i++)
    n_words += *words[i] != '\0';
  if (n_words != 1)
    {
      add_problem (file, number, line, length, _("one charging point id per line"));
      return;
    }

  if (!ev_protocol_validate_cp_id (copy, "cp_id", &error))
    {
      add_problem (file, number, line, length, error->message);
      return;
    }

  g_ptr_array_add (file->entries, driver_request_entry_new (copy, number));
}

/**
 * driver_request_file_parse:
 * @text: the file's bytes (need not be UTF-8 or NUL-terminated)
 * @length: their length
 *
 * Returns: (transfer full): the valid entries in order and the problems
 */
DriverRequestFile *
driver_request_file_parse (const char *text,
                           gsize       length)
{
  DriverRequestFile *file = g_new0 (DriverRequestFile, 1);
  const char *end = text + length;
  const char *p = text;
  guint number = 0;

  file->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_request_entry_free);
  file->problems = g_ptr_array_new_with_free_func (problem_free);

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl != NULL ? nl : end;
      gsize line_length = line_end - p;

      number++;
      if (line_length > 0 && p[line_length - 1] == '\r')
        line_length--;
      parse_line (file, number, p, line_length);
      p = nl != NULL ? nl + 1 : end;
    }

  return file;
}

/**
 * driver_request_file_load:
 * @path: the file
 * @error: return location for a #GError
 *
 * Reads and parses @path. A file that cannot be read, is not a regular
 * file or is larger than %DRIVER_REQUEST_FILE_MAX_SIZE is an error (found
 * without reading more than that); one without any valid entry
 * is not (the caller reports its problems first).
 *
 * Returns: (transfer full) (nullable): the parsed file
 */
DriverRequestFile *
driver_request_file_load (const char  *path,
                          GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!ev_file_read_bounded (path, DRIVER_REQUEST_FILE_MAX_SIZE, &contents, &length, error))
    return NULL;

  return driver_request_file_parse (contents, length);
}

void
driver_request_file_free (DriverRequestFile *file)
{
  if (file == NULL)
    return;
  g_ptr_array_unref (file->entries);
  g_ptr_array_unref (file->problems);
  g_free (file);
}

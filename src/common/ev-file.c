#include "config.h"

#include "ev-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Cannot read “%s”: %s"), path, g_strerror (saved_errno));
}

/**
 * ev_file_read_bounded:
 * @path: a file
 * @max_size: the most bytes it may hold
 * @contents: (out): its contents, NUL-terminated
 * @length: (out) (optional): their length
 * @error: return location for a #GError in %G_FILE_ERROR
 *
 * Reads @path as g_file_get_contents() does, but never more than
 * @max_size + 1 bytes: a file larger than @max_size is refused once that
 * much is read, so a huge file costs no memory. Only regular files are
 * read: a device (`/dev/zero`), a FIFO or a folder is refused at once,
 * without blocking. Every error names @path.
 *
 * Returns: %TRUE with *@contents set, or %FALSE with @error set
 */
gboolean
ev_file_read_bounded (const char  *path,
                      gsize        max_size,
                      char       **contents,
                      gsize       *length,
                      GError     **error)
{
  g_autofree char *buffer = NULL;
  gsize allocated, used = 0;
  struct stat info;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (max_size < G_MAXSIZE - 1, FALSE);

  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      set_errno_error (error, errno, path);
      return FALSE;
    }
  if (fstat (fd, &info) != 0)
    {
      set_errno_error (error, errno, path);
      close (fd);
      return FALSE;
    }
  if (!S_ISREG (info.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Cannot read “%s”: it is not a regular file"), path);
      close (fd);
      return FALSE;
    }

  /* The size is a hint only (/proc files say 0); the bound is what is read. */
  allocated = MIN ((gsize) MAX (info.st_size, 0), max_size) + 2;
  buffer = g_malloc (allocated);
  for (;;)
    {
      gssize n;

      if (used == allocated - 1)
        {
          allocated = MIN (allocated * 2, max_size + 2);
          buffer = g_realloc (buffer, allocated);
        }
      n = read (fd, buffer + used, allocated - 1 - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, errno, path);
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      used += n;
      if (used > max_size)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       _("Cannot read “%s”: it is larger than %lu bytes"),
                       path, (unsigned long) max_size);
          close (fd);
          return FALSE;
        }
    }
  close (fd);

  buffer[used] = '\0';
  if (length != NULL)
    *length = used;
  *contents = g_steal_pointer (&buffer);
  return TRUE;
}

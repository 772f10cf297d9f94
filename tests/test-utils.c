#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include "test-utils.h"

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * ev_test_wait_until:
 * @context: (nullable): the context to iterate, %NULL for the default one
 * @condition: checked after every iteration
 * @user_data: passed to @condition
 * @timeout_ms: how long to wait before the test fails
 * @what: what is being waited for, for the failure message
 *
 * Iterates @context until @condition holds. A test that waits never hangs:
 * when @timeout_ms passes first, the test fails saying what it waited for.
 */
void
ev_test_wait_until (GMainContext    *context,
                    EvTestCondition  condition,
                    gpointer         user_data,
                    guint            timeout_ms,
                    const char      *what)
{
  gboolean expired = FALSE;
  GSource *source;

  source = g_timeout_source_new (timeout_ms);
  g_source_set_callback (source, timeout_cb, &expired, NULL);
  g_source_attach (source, context);

  while (!condition (user_data) && !expired)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);
  g_source_unref (source);

  if (expired && !condition (user_data))
    g_error ("timed out after %u ms waiting for %s", timeout_ms, what);
}

static gboolean
flag_set (gpointer user_data)
{
  const gboolean *flag = user_data;

  return *flag;
}

/**
 * ev_test_wait_flag:
 *
 * Like ev_test_wait_until(), waiting for *@flag to become %TRUE.
 */
void
ev_test_wait_flag (GMainContext   *context,
                   const gboolean *flag,
                   guint           timeout_ms,
                   const char     *what)
{
  ev_test_wait_until (context, flag_set, (gpointer) flag, timeout_ms, what);
}

/**
 * ev_test_sleep_spinning:
 *
 * Lets @context run for @ms milliseconds.
 */
void
ev_test_sleep_spinning (GMainContext *context,
                        guint         ms)
{
  gboolean expired = FALSE;
  GSource *source;

  source = g_timeout_source_new (ms);
  g_source_set_callback (source, timeout_cb, &expired, NULL);
  g_source_attach (source, context);
  while (!expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (source);
  g_source_unref (source);
}

/**
 * ev_test_make_tmpdir:
 *
 * Returns: (transfer full): a new empty directory; remove it with
 *   ev_test_rm_rf()
 */
char *
ev_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir;

  dir = g_dir_make_tmp ("evtest-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

/**
 * ev_test_rm_rf:
 *
 * Removes @path and everything below it.
 */
void
ev_test_rm_rf (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          ev_test_rm_rf (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

/**
 * ev_test_set_disk_full:
 * @full: whether the disk should look full
 *
 * Plays a full disk for this whole process, or ends it: with a file size
 * limit of 0 no file may grow, and a write fails (EFBIG) as it would on a
 * full disk, instead of the signal SIGXFSZ killing the process.
 */
void
ev_test_set_disk_full (gboolean full)
{
  struct rlimit limit;

  signal (SIGXFSZ, SIG_IGN);
  g_assert_no_errno (getrlimit (RLIMIT_FSIZE, &limit));
  limit.rlim_cur = full ? 0 : RLIM_INFINITY;
  g_assert_no_errno (setrlimit (RLIMIT_FSIZE, &limit));
}

/**
 * ev_test_delivery_cb:
 * @user_data: an #EvTestDelivery
 *
 * An #EvBusDeliveredFunc that keeps the report in an #EvTestDelivery:
 * wait for its `done` with ev_test_wait_flag().
 */
void
ev_test_delivery_cb (EvBus        *bus,
                     const GError *error,
                     gpointer      user_data)
{
  EvTestDelivery *delivery = user_data;

  g_assert_false (delivery->done);
  delivery->error = error != NULL ? g_error_copy (error) : NULL;
  delivery->done = TRUE;
}

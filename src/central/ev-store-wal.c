/* ev-store-wal.c: keeping the write-ahead log small: checkpoints on a thread
 * of their own, and catching up when it grew. */

#include "config.h"

#include "ev-store-private.h"

/* Checkpoints */

/* Runs on the writer's thread, after each of its commits. */
int
store_wal_hook_cb (void       *user_data,
                   sqlite3    *db,
                   const char *db_name,
                   int         wal_pages)
{
  EvStore *self = user_data;
  Checkpointer *checkpointer = self->checkpointer;

  self->wal_pages_before = self->wal_pages;
  self->wal_pages = wal_pages;

  g_mutex_lock (&checkpointer->mutex);
  /* The first commit starts the checkpointer's clock; a long WAL wants a
   * checkpoint at once. */
  if (!checkpointer->committed || wal_pages >= CHECKPOINT_PAGES)
    g_cond_signal (&checkpointer->cond);
  checkpointer->committed = TRUE;
  checkpointer->wal_pages = wal_pages;
  g_mutex_unlock (&checkpointer->mutex);

  return SQLITE_OK;
}

static void
checkpoint (Checkpointer *checkpointer)
{
  gint64 start = g_get_monotonic_time ();
  int wal_pages = -1;
  int backfilled = -1;
  int rc;

  /* PASSIVE never waits for the writer or for readers: it copies what no
   * reader still needs. A transaction that begins once all is copied
   * starts the WAL over. */
  rc = sqlite3_wal_checkpoint_v2 (checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &wal_pages, &backfilled);
  g_mutex_lock (&checkpointer->mutex);
  checkpointer->backfilled = backfilled;
  g_mutex_unlock (&checkpointer->mutex);
  switch (rc & 0xff)
    {
    case SQLITE_OK:
    case SQLITE_BUSY:
    case SQLITE_INTERRUPT:
      g_debug ("Checkpoint: %d of %d WAL pages in the database, %" G_GINT64_FORMAT " µs (%s)",
               backfilled, wal_pages, g_get_monotonic_time () - start, sqlite3_errstr (rc));
      break;
    default:
      g_message ("Could not checkpoint the database: %s", sqlite3_errmsg (checkpointer->db));
    }
}

static gpointer
checkpointer_thread (gpointer data)
{
  Checkpointer *checkpointer = data;
  gint64 due = 0;

  g_mutex_lock (&checkpointer->mutex);
  while (!checkpointer->stopping)
    {
      if (!checkpointer->committed)
        {
          g_cond_wait (&checkpointer->cond, &checkpointer->mutex);
          continue;
        }

      if (due == 0)
        due = g_get_monotonic_time () + CHECKPOINT_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;
      if (checkpointer->wal_pages < CHECKPOINT_PAGES && g_get_monotonic_time () < due)
        {
          g_cond_wait_until (&checkpointer->cond, &checkpointer->mutex, due);
          continue;
        }

      checkpointer->committed = FALSE;
      due = 0;
      g_mutex_unlock (&checkpointer->mutex);
      checkpoint (checkpointer);
      g_mutex_lock (&checkpointer->mutex);
    }
  g_mutex_unlock (&checkpointer->mutex);

  return NULL;
}

Checkpointer *
store_checkpointer_start (const char  *path,
                          GError     **error)
{
  g_autofree Checkpointer *checkpointer = g_new0 (Checkpointer, 1);
  int version = 0;

  checkpointer->db = store_open_db (path, SQLITE_OPEN_READWRITE, &version, error);
  if (checkpointer->db == NULL)
    return NULL;

  g_mutex_init (&checkpointer->mutex);
  g_cond_init (&checkpointer->cond);
  checkpointer->thread = g_thread_try_new ("evstore-ckpt", checkpointer_thread,
                                           checkpointer, error);
  if (checkpointer->thread == NULL)
    {
      g_mutex_clear (&checkpointer->mutex);
      g_cond_clear (&checkpointer->cond);
      sqlite3_close (checkpointer->db);
      return NULL;
    }

  return g_steal_pointer (&checkpointer);
}

void
store_checkpointer_stop (Checkpointer *checkpointer)
{
  g_mutex_lock (&checkpointer->mutex);
  checkpointer->stopping = TRUE;
  g_cond_signal (&checkpointer->cond);
  g_mutex_unlock (&checkpointer->mutex);

  /* A checkpoint under way gives up at once; the writer finishes it as it
   * closes. */
  sqlite3_interrupt (checkpointer->db);
  g_thread_join (checkpointer->thread);

  sqlite3_close (checkpointer->db);
  g_mutex_clear (&checkpointer->mutex);
  g_cond_clear (&checkpointer->cond);
  g_free (checkpointer);
}

/* The WAL starts over only at a transaction that begins with all of it
 * copied into the database. Under writes with no pause the next batch
 * begins as soon as a commit ends, before the checkpointer has copied that
 * commit, and the WAL would grow without end. So once it is past
 * CATCH_UP_PAGES, and the checkpointer has copied everything up to the
 * commit before, the writer copies this last commit itself before the next
 * batch begins: a stall of one small checkpoint every few thousand pages
 * under constant load, none when the load pauses now and then. */
void
store_catch_up_wal (EvStore *self)
{
  gint64 start;
  int backfilled;
  int wal_pages = -1;
  int rc;

  if (self->checkpointer == NULL || self->wal_pages < CATCH_UP_PAGES)
    return;

  g_mutex_lock (&self->checkpointer->mutex);
  backfilled = self->checkpointer->backfilled;
  g_mutex_unlock (&self->checkpointer->mutex);
  if (backfilled < self->wal_pages_before)
    return;

  start = g_get_monotonic_time ();
  rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &wal_pages, &backfilled);
  g_debug ("Writer's checkpoint: %d of %d WAL pages in the database, %" G_GINT64_FORMAT " µs (%s)",
           backfilled, wal_pages, g_get_monotonic_time () - start, sqlite3_errstr (rc));
}

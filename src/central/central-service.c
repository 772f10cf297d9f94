/* central-service.c: Central's core on a thread of its own, and the view
 * of it that windows read.
 *
 * Two threads share this object. The core's thread runs CentralCore on
 * its own GMainContext and collects what changed: the CPs and supplies
 * whose properties were notified, the log lines and tickets added, the
 * link count. Every batch-interval it turns them into a Batch of
 * snapshots (new objects nobody else holds) and merges it into the one
 * pending batch, under the lock. The UI thread takes the pending batch in
 * one idle callback and applies it to its own models: property updates in
 * place, insertions and removals in as few splices as possible. A UI
 * thread that is busy for seconds only makes the pending batch hold the
 * latest value of more items; the core never waits for it. */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "central-service.h"
#include "ev-store.h"

/* What the views keep in memory; the database keeps everything. */
#define LOG_LIMIT 1000
#define HISTORY_LIMIT 1000
/* Beyond this many insertions or removals in one batch, a list is
 * rebuilt in one splice rather than changed item by item. */
#define SPLICE_THRESHOLD 32

/* Batches --------------------------------------------------------------- */

typedef struct
{
  GHashTable *cps;          /* cp_id → EvChargingPoint snapshot, NULL: gone */
  GHashTable *sessions;     /* supply_id → EvSupplySession snapshot, NULL: concluded */
  GPtrArray *log;           /* CentralEvent, oldest first */
  GPtrArray *history;       /* EvSupplySession snapshots, oldest first */
  guint history_added;      /* how many concluded, even beyond the bound */
  gboolean has_status;
  gboolean broker_reachable;
  guint n_links;
} Batch;

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static Batch *
batch_new (void)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->cps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  batch->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  batch->log = g_ptr_array_new_with_free_func (g_object_unref);
  batch->history = g_ptr_array_new_with_free_func (g_object_unref);
  return batch;
}

static void
batch_free (Batch *batch)
{
  g_hash_table_unref (batch->cps);
  g_hash_table_unref (batch->sessions);
  g_ptr_array_unref (batch->log);
  g_ptr_array_unref (batch->history);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

static void
batch_free_nullable (Batch *batch)
{
  if (batch != NULL)
    batch_free (batch);
}

static gboolean
batch_is_empty (Batch *batch)
{
  return g_hash_table_size (batch->cps) == 0 && g_hash_table_size (batch->sessions) == 0 &&
         batch->log->len == 0 && batch->history_added == 0 && !batch->has_status;
}

/* Moves @items to the end of @array, keeping the last @limit. */
static void
append_bounded (GPtrArray *array,
                GPtrArray *items,
                guint      limit)
{
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (array, g_object_ref (g_ptr_array_index (items, i)));
  g_ptr_array_set_size (items, 0);
  if (array->len > limit)
    g_ptr_array_remove_range (array, 0, array->len - limit);
}

static void
move_entries (GHashTable *into,
              GHashTable *from)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, from);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_hash_table_replace (into, key, value);
    }
}

/* Moves everything of @from into @into: the latest value of each item
 * wins. */
static void
batch_merge (Batch *into,
             Batch *from)
{
  move_entries (into->cps, from->cps);
  move_entries (into->sessions, from->sessions);
  append_bounded (into->log, from->log, LOG_LIMIT);
  append_bounded (into->history, from->history, HISTORY_LIMIT);
  into->history_added += from->history_added;
  if (from->has_status)
    {
      into->has_status = TRUE;
      into->broker_reachable = from->broker_reachable;
      into->n_links = from->n_links;
    }
}

/* The service ------------------------------------------------------------ */

struct _CentralService
{
  GObject parent_instance;

  CentralCore *core;          /* the core's thread's, once started */
  gboolean views;
  guint batch_interval;
  char *listen;
  char *bootstrap;
  char *db_path;

  GMainContext *core_context;
  GMainLoop *core_loop;
  GThread *thread;
  GMainContext *view_context;

  /* Under lock. */
  GMutex lock;
  GCond cond;
  gboolean start_done;
  gboolean running;
  GError *start_error;
  guint start_port;
  char *start_tls_fingerprint;
  Batch *pending;
  GSource *apply_source;

  /* The core's thread only. */
  GPtrArray *cp_mirror;       /* the core's EvChargingPoint, in its order */
  GPtrArray *request_mirror;  /* the core's open EvSupplySession, in order */
  GHashTable *dirty;          /* a core's CP or session → itself */
  Batch *building;
  GSource *flush_source;

  /* The UI thread only. */
  GListStore *cps;            /* EvChargingPoint copies, sorted by id */
  GHashTable *cp_index;       /* cp_id → EvChargingPoint of cps */
  GListStore *requests;       /* EvSupplySession copies, oldest first */
  GHashTable *request_index;  /* supply_id → EvSupplySession of requests */
  GListStore *log;            /* CentralEvent, newest first */
  GListStore *history;        /* EvSupplySession copies, newest first */
  gboolean started;
  guint port;
  gboolean broker_reachable;
  guint n_links;
  guint history_total;
  guint batches;
};

G_DEFINE_FINAL_TYPE (CentralService, central_service, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CORE,
  PROP_VIEWS,
  PROP_BATCH_INTERVAL,
  PROP_STARTED,
  PROP_PORT,
  PROP_BROKER_REACHABLE,
  PROP_N_LINKS,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_DB_PATH,
  PROP_BATCHES,
  PROP_HISTORY_TOTAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_NEWS,
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The UI thread: applying a batch ----------------------------------------- */

static int
compare_cp_ids (gconstpointer a,
                gconstpointer b)
{
  EvChargingPoint *cp_a = *(EvChargingPoint **) a;
  EvChargingPoint *cp_b = *(EvChargingPoint **) b;

  return strcmp (ev_charging_point_get_cp_id (cp_a), ev_charging_point_get_cp_id (cp_b));
}

/* The position of the first CP of the sorted @model whose id is not
 * before @cp_id. */
static guint
cp_lower_bound (GListModel *model,
                const char *cp_id)
{
  guint lo = 0, hi = g_list_model_get_n_items (model);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (model, mid);

      if (strcmp (ev_charging_point_get_cp_id (cp), cp_id) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Inserts the CPs of @added (sorted by id) into the sorted list: one at a
 * time when they are few, else in one splice of the merged list. */
static void
insert_cps (CentralService *self,
            GPtrArray      *added)
{
  GListModel *model = G_LIST_MODEL (self->cps);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(GPtrArray) merged = NULL;
  guint i = 0, j = 0;

  for (guint k = 0; k < added->len; k++)
    {
      EvChargingPoint *cp = g_ptr_array_index (added, k);

      g_hash_table_insert (self->cp_index, g_strdup (ev_charging_point_get_cp_id (cp)), cp);
    }

  if (added->len <= SPLICE_THRESHOLD)
    {
      for (guint k = 0; k < added->len; k++)
        {
          EvChargingPoint *cp = g_ptr_array_index (added, k);

          g_list_store_insert (self->cps, cp_lower_bound (model, ev_charging_point_get_cp_id (cp)), cp);
        }
      return;
    }

  merged = g_ptr_array_new_full (n + added->len, g_object_unref);
  while (i < n || j < added->len)
    {
      g_autoptr(EvChargingPoint) old = i < n ? g_list_model_get_item (model, i) : NULL;
      EvChargingPoint *new = j < added->len ? g_ptr_array_index (added, j) : NULL;

      if (new == NULL ||
          (old != NULL && strcmp (ev_charging_point_get_cp_id (old), ev_charging_point_get_cp_id (new)) < 0))
        {
          g_ptr_array_add (merged, g_steal_pointer (&old));
          i++;
        }
      else
        {
          g_ptr_array_add (merged, g_object_ref (new));
          j++;
        }
    }
  g_list_store_splice (self->cps, 0, n, merged->pdata, merged->len);
}

static void
apply_cps (CentralService *self,
           GHashTable     *cps)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  const char *cp_id;
  EvChargingPoint *snapshot;

  g_hash_table_iter_init (&iter, cps);
  while (g_hash_table_iter_next (&iter, (gpointer *) &cp_id, (gpointer *) &snapshot))
    {
      EvChargingPoint *cp = g_hash_table_lookup (self->cp_index, cp_id);
      guint position;

      if (snapshot == NULL)
        {
          /* Forgotten: the list is sorted by id, so its place is found
           * without a walk through thousands of CPs. */
          if (cp != NULL)
            {
              position = cp_lower_bound (G_LIST_MODEL (self->cps), cp_id);
              g_hash_table_remove (self->cp_index, cp_id);
              g_list_store_remove (self->cps, position);
            }
        }
      else if (cp != NULL)
        ev_charging_point_update (cp, snapshot);
      else
        g_ptr_array_add (added, g_object_ref (snapshot));
    }

  if (added->len > 0)
    {
      g_ptr_array_sort (added, compare_cp_ids);
      insert_cps (self, added);
    }
}

static int
compare_started (gconstpointer a,
                 gconstpointer b)
{
  EvSupplySession *sa = *(EvSupplySession **) a;
  EvSupplySession *sb = *(EvSupplySession **) b;
  gint64 ta = ev_supply_session_get_started_at (sa);
  gint64 tb = ev_supply_session_get_started_at (sb);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  return strcmp (ev_supply_session_get_supply_id (sa), ev_supply_session_get_supply_id (sb));
}

static int
compare_positions_descending (gconstpointer a,
                              gconstpointer b)
{
  guint pa = *(const guint *) a, pb = *(const guint *) b;

  return pa < pb ? 1 : pa > pb ? -1 : 0;
}

/* Removes the sessions of @gone: one splice per run of neighbours, from
 * the end. Supplies mostly end in the order they began, so the ones of a
 * batch are mostly one run at the top of the list. */
static void
remove_requests (CentralService *self,
                 GHashTable     *gone)
{
  GListModel *model = G_LIST_MODEL (self->requests);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i = 0;

  for (guint position = 0; position < n && positions->len < g_hash_table_size (gone); position++)
    {
      g_autoptr(EvSupplySession) session = g_list_model_get_item (model, position);

      if (g_hash_table_contains (gone, session))
        g_array_append_val (positions, position);
    }
  g_array_sort (positions, compare_positions_descending);

  while (i < positions->len)
    {
      guint last = g_array_index (positions, guint, i);
      guint first = last;

      while (i + 1 < positions->len && g_array_index (positions, guint, i + 1) == first - 1)
        first = g_array_index (positions, guint, ++i);
      g_list_store_splice (self->requests, first, last - first + 1, NULL, 0);
      i++;
    }
}

static void
apply_sessions (CentralService *self,
                GHashTable     *sessions)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) gone = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  GHashTableIter iter;
  const char *supply_id;
  EvSupplySession *snapshot;

  g_hash_table_iter_init (&iter, sessions);
  while (g_hash_table_iter_next (&iter, (gpointer *) &supply_id, (gpointer *) &snapshot))
    {
      EvSupplySession *session = g_hash_table_lookup (self->request_index, supply_id);

      if (snapshot == NULL)
        {
          if (session != NULL)
            {
              g_hash_table_add (gone, g_object_ref (session));
              g_hash_table_remove (self->request_index, supply_id);
            }
        }
      else if (session != NULL)
        ev_supply_session_update (session, snapshot);
      else
        {
          g_hash_table_insert (self->request_index, g_strdup (supply_id), snapshot);
          g_ptr_array_add (added, g_object_ref (snapshot));
        }
    }

  if (g_hash_table_size (gone) > 0)
    remove_requests (self, gone);
  if (added->len > 0)
    {
      g_ptr_array_sort (added, compare_started);
      g_list_store_splice (self->requests, g_list_model_get_n_items (G_LIST_MODEL (self->requests)), 0,
                           added->pdata, added->len);
    }
}

/* Puts @items (oldest first) at the top of @store, newest first, keeping
 * @limit items: two splices whatever their number. */
static void
prepend_bounded (GListStore *store,
                 GPtrArray  *items,
                 guint       limit)
{
  g_autofree gpointer *newest_first = NULL;
  guint n, m;

  if (items->len == 0)
    return;

  m = MIN (items->len, limit);
  newest_first = g_new (gpointer, m);
  for (guint i = 0; i < m; i++)
    newest_first[i] = g_ptr_array_index (items, items->len - 1 - i);
  g_list_store_splice (store, 0, 0, newest_first, m);

  n = g_list_model_get_n_items (G_LIST_MODEL (store));
  if (n > limit)
    g_list_store_splice (store, limit, n - limit, NULL, 0);
}

static void
apply_batch (CentralService *self,
             Batch          *batch)
{
  self->batches++;
  apply_cps (self, batch->cps);
  apply_sessions (self, batch->sessions);
  prepend_bounded (self->history, batch->history, HISTORY_LIMIT);
  prepend_bounded (self->log, batch->log, LOG_LIMIT);
  if (batch->history_added > 0)
    {
      self->history_total += batch->history_added;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY_TOTAL]);
    }

  if (batch->has_status)
    {
      if (self->broker_reachable != batch->broker_reachable)
        {
          self->broker_reachable = batch->broker_reachable;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKER_REACHABLE]);
        }
      if (self->n_links != batch->n_links)
        {
          self->n_links = batch->n_links;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LINKS]);
        }
    }

  for (guint i = 0; i < batch->log->len; i++)
    g_signal_emit (self, signals[SIGNAL_NEWS], 0, g_ptr_array_index (batch->log, i));
}

/* Takes the pending batch; at most one apply is ever scheduled, and it
 * is either dispatching now (@cancel FALSE) or destroyed. */
static Batch *
take_pending (CentralService *self,
              gboolean        cancel)
{
  Batch *batch;

  g_mutex_lock (&self->lock);
  batch = g_steal_pointer (&self->pending);
  if (cancel && self->apply_source != NULL)
    g_source_destroy (self->apply_source);
  g_clear_pointer (&self->apply_source, g_source_unref);
  g_mutex_unlock (&self->lock);
  return batch;
}

static gboolean
apply_pending_cb (gpointer user_data)
{
  CentralService *self = user_data;
  g_autoptr(Batch) batch = take_pending (self, FALSE);

  if (batch != NULL)
    apply_batch (self, batch);
  return G_SOURCE_REMOVE;
}

/* The core's thread: collecting changes ----------------------------------- */

static void schedule_flush (CentralService *self);

static void
item_notify_cb (GObject    *item,
                GParamSpec *pspec,
                gpointer    user_data)
{
  CentralService *self = user_data;

  g_hash_table_add (self->dirty, item);
  schedule_flush (self);
}

static void
watch_item (CentralService *self,
            GObject        *item)
{
  g_signal_connect (item, "notify", G_CALLBACK (item_notify_cb), self);
  g_hash_table_add (self->dirty, item);
}

/* Snapshots every dirty item into the batch being built. */
static void
snapshot_dirty (CentralService *self)
{
  GHashTableIter iter;
  GObject *item;

  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, (gpointer *) &item, NULL))
    {
      if (EV_IS_CHARGING_POINT (item))
        {
          EvChargingPoint *cp = EV_CHARGING_POINT (item);

          g_hash_table_replace (self->building->cps, g_strdup (ev_charging_point_get_cp_id (cp)),
                                ev_charging_point_copy (cp));
        }
      else
        {
          EvSupplySession *session = EV_SUPPLY_SESSION (item);

          g_hash_table_replace (self->building->sessions,
                                g_strdup (ev_supply_session_get_supply_id (session)),
                                ev_supply_session_is_concluded (session) ? NULL : ev_supply_session_copy (session));
        }
    }
  g_hash_table_remove_all (self->dirty);
}

/* Hands what was collected to the UI thread. */
static void
flush (CentralService *self)
{
  g_autoptr(Batch) built = NULL;

  snapshot_dirty (self);
  if (batch_is_empty (self->building))
    return;

  built = g_steal_pointer (&self->building);
  self->building = batch_new ();

  g_mutex_lock (&self->lock);
  if (self->pending == NULL)
    self->pending = g_steal_pointer (&built);
  else
    batch_merge (self->pending, built);
  if (self->apply_source == NULL && self->view_context != NULL)
    {
      self->apply_source = g_idle_source_new ();
      g_source_set_static_name (self->apply_source, "[evcharging] Central view batch");
      g_source_set_callback (self->apply_source, apply_pending_cb, self, NULL);
      g_source_attach (self->apply_source, self->view_context);
    }
  g_mutex_unlock (&self->lock);
}

static gboolean
flush_cb (gpointer user_data)
{
  CentralService *self = user_data;

  g_clear_pointer (&self->flush_source, g_source_unref);
  flush (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_flush (CentralService *self)
{
  if (self->flush_source != NULL)
    return;

  self->flush_source = g_timeout_source_new (self->batch_interval);
  g_source_set_static_name (self->flush_source, "[evcharging] Central batch");
  g_source_set_callback (self->flush_source, flush_cb, self, NULL);
  g_source_attach (self->flush_source, self->core_context);
}

/* Follows the core's list @model in @mirror: items that leave are gone
 * (@gone: their snapshot table in the batch), items that come are
 * watched. */
static void
mirror_changed (CentralService *self,
                GPtrArray      *mirror,
                GListModel     *model,
                guint           position,
                guint           removed,
                guint           added)
{
  for (guint i = position; i < position + removed; i++)
    {
      GObject *item = g_ptr_array_index (mirror, i);

      g_signal_handlers_disconnect_by_func (item, item_notify_cb, self);
      g_hash_table_remove (self->dirty, item);
      if (EV_IS_CHARGING_POINT (item))
        g_hash_table_replace (self->building->cps,
                              g_strdup (ev_charging_point_get_cp_id (EV_CHARGING_POINT (item))), NULL);
      else
        g_hash_table_replace (self->building->sessions,
                              g_strdup (ev_supply_session_get_supply_id (EV_SUPPLY_SESSION (item))), NULL);
    }
  g_ptr_array_remove_range (mirror, position, removed);

  for (guint i = 0; i < added; i++)
    {
      GObject *item = g_list_model_get_item (model, position + i);

      g_ptr_array_insert (mirror, position + i, item);
      watch_item (self, item);
    }

  schedule_flush (self);
}

static void
cps_changed_cb (GListModel *model,
                guint       position,
                guint       removed,
                guint       added,
                gpointer    user_data)
{
  CentralService *self = user_data;

  mirror_changed (self, self->cp_mirror, model, position, removed, added);
}

static void
requests_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  CentralService *self = user_data;

  mirror_changed (self, self->request_mirror, model, position, removed, added);
}

/* New items at the top of the core's log or history, oldest last. */
static void
take_newest (GListModel *model,
             guint       position,
             guint       added,
             GPtrArray  *into,
             gboolean    copy)
{
  if (position != 0)
    return;

  for (guint i = added; i > 0; i--)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i - 1);

      g_ptr_array_add (into, copy ? G_OBJECT (ev_supply_session_copy (EV_SUPPLY_SESSION (item)))
                                  : g_object_ref (item));
    }
}

static void
log_changed_cb (GListModel *model,
                guint       position,
                guint       removed,
                guint       added,
                gpointer    user_data)
{
  CentralService *self = user_data;

  /* Events are immutable: the views share them. */
  take_newest (model, position, added, self->building->log, FALSE);
  if (self->building->log->len > LOG_LIMIT)
    g_ptr_array_remove_range (self->building->log, 0, self->building->log->len - LOG_LIMIT);
  if (added > 0)
    schedule_flush (self);
}

static void
history_changed_cb (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    gpointer    user_data)
{
  CentralService *self = user_data;

  take_newest (model, position, added, self->building->history, TRUE);
  if (position == 0)
    self->building->history_added += added;
  if (self->building->history->len > HISTORY_LIMIT)
    g_ptr_array_remove_range (self->building->history, 0, self->building->history->len - HISTORY_LIMIT);
  if (added > 0)
    schedule_flush (self);
}

static void
status_notify_cb (CentralCore *core,
                  GParamSpec  *pspec,
                  gpointer     user_data)
{
  CentralService *self = user_data;

  self->building->has_status = TRUE;
  self->building->broker_reachable = central_core_get_broker_reachable (core);
  self->building->n_links = central_core_get_n_links (core);
  schedule_flush (self);
}

/* How many concluded supplies the database holds. */
static guint
count_history (CentralService *self)
{
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) newest = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;

  reader = ev_store_reader_open (self->db_path, &error);
  if (reader != NULL)
    newest = ev_store_reader_search_history (reader, NULL, 1, &total, &error);
  if (newest == NULL)
    g_warning ("Could not count the tickets in the database: %s", error->message);
  return total;
}

/* Starts collecting; the first batch holds everything the core has. */
static void
collector_attach (CentralService *self)
{
  GListModel *cps = central_core_get_charging_points (self->core);
  GListModel *requests = central_core_get_requests (self->core);
  GListModel *log = central_core_get_log (self->core);
  GListModel *history = central_core_get_history (self->core);

  self->cp_mirror = g_ptr_array_new_with_free_func (g_object_unref);
  self->request_mirror = g_ptr_array_new_with_free_func (g_object_unref);
  self->dirty = g_hash_table_new (NULL, NULL);
  self->building = batch_new ();

  mirror_changed (self, self->cp_mirror, cps, 0, 0, g_list_model_get_n_items (cps));
  mirror_changed (self, self->request_mirror, requests, 0, 0, g_list_model_get_n_items (requests));
  take_newest (log, 0, MIN (g_list_model_get_n_items (log), LOG_LIMIT), self->building->log, FALSE);
  take_newest (history, 0, MIN (g_list_model_get_n_items (history), HISTORY_LIMIT),
               self->building->history, TRUE);
  self->building->history_added = count_history (self);
  status_notify_cb (self->core, NULL, self);

  g_signal_connect (cps, "items-changed", G_CALLBACK (cps_changed_cb), self);
  g_signal_connect (requests, "items-changed", G_CALLBACK (requests_changed_cb), self);
  g_signal_connect (log, "items-changed", G_CALLBACK (log_changed_cb), self);
  g_signal_connect (history, "items-changed", G_CALLBACK (history_changed_cb), self);
  g_signal_connect (self->core, "notify::n-links", G_CALLBACK (status_notify_cb), self);
  g_signal_connect (self->core, "notify::broker-reachable", G_CALLBACK (status_notify_cb), self);

  /* The first batch goes now, not a batch interval later. */
  if (self->flush_source != NULL)
    g_source_destroy (self->flush_source);
  g_clear_pointer (&self->flush_source, g_source_unref);
  flush (self);
}

static void
disconnect_items (CentralService *self,
                  GPtrArray      *mirror)
{
  for (guint i = 0; mirror != NULL && i < mirror->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (mirror, i), item_notify_cb, self);
}

static void
collector_detach (CentralService *self)
{
  if (self->building == NULL)
    return;

  g_signal_handlers_disconnect_by_data (central_core_get_charging_points (self->core), self);
  g_signal_handlers_disconnect_by_data (central_core_get_requests (self->core), self);
  g_signal_handlers_disconnect_by_data (central_core_get_log (self->core), self);
  g_signal_handlers_disconnect_by_data (central_core_get_history (self->core), self);
  g_signal_handlers_disconnect_by_func (self->core, status_notify_cb, self);
  disconnect_items (self, self->cp_mirror);
  disconnect_items (self, self->request_mirror);

  if (self->flush_source != NULL)
    g_source_destroy (self->flush_source);
  g_clear_pointer (&self->flush_source, g_source_unref);
  g_clear_pointer (&self->cp_mirror, g_ptr_array_unref);
  g_clear_pointer (&self->request_mirror, g_ptr_array_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->building, batch_free);
}

static void
core_event_cb (CentralCore  *core,
               CentralEvent *event,
               gpointer      user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_EVENT], 0, event);
}

static gpointer
core_thread_main (gpointer user_data)
{
  CentralService *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->core_context);

  g_signal_connect (self->core, "event", G_CALLBACK (core_event_cb), self);
  ok = central_core_start (self->core, &error);
  if (ok && self->views)
    collector_attach (self);

  g_mutex_lock (&self->lock);
  self->start_done = TRUE;
  self->running = ok;
  self->start_port = ok ? central_core_get_port (self->core) : 0;
  g_free (self->start_tls_fingerprint);
  self->start_tls_fingerprint = ok ? g_strdup (central_core_get_tls_fingerprint (self->core)) : NULL;
  self->start_error = g_steal_pointer (&error);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (ok)
    g_main_loop_run (self->core_loop);

  g_signal_handlers_disconnect_by_func (self->core, core_event_cb, self);
  g_main_context_pop_thread_default (self->core_context);
  return NULL;
}

static gboolean
stop_core_cb (gpointer user_data)
{
  CentralService *self = user_data;

  central_core_shutdown (self->core);
  collector_detach (self);
  g_main_loop_quit (self->core_loop);
  return G_SOURCE_REMOVE;
}

/**
 * central_service_start:
 * @self: a service
 * @error: return location for an error
 *
 * Starts the core's thread and the core on it, and waits until the core
 * has started or failed. On success the view models hold everything the
 * core knows (the CPs of the database, open supplies, recent tickets).
 *
 * Returns: %TRUE when the core started
 */
gboolean
central_service_start (CentralService  *self,
                       GError         **error)
{
  g_autoptr(Batch) first = NULL;

  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (self->thread == NULL && !self->start_done, FALSE);

  if (self->views)
    self->view_context = g_main_context_ref_thread_default ();
  self->thread = g_thread_new ("central-core", core_thread_main, self);

  g_mutex_lock (&self->lock);
  while (!self->start_done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (!self->running)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      return FALSE;
    }

  /* The first batch now, so that a window shows the database at once. */
  first = take_pending (self, TRUE);
  if (first != NULL)
    apply_batch (self, first);

  self->started = TRUE;
  self->port = self->start_port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
  return TRUE;
}

/**
 * central_service_shutdown:
 * @self: a service
 *
 * Shuts the core down on its thread (links closed, database committed,
 * Kafka flushed) and joins the thread. Commands still queued for the
 * core then fail with %CENTRAL_CORE_ERROR_NOT_STARTED. Idempotent.
 */
void
central_service_shutdown (CentralService *self)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));

  if (self->thread == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->running = FALSE;
  g_mutex_unlock (&self->lock);

  g_main_context_invoke (self->core_context, stop_core_cb, self);
  g_thread_join (g_steal_pointer (&self->thread));

  /* What was still queued for the core runs now, against a stopped core:
   * every command gets its answer. */
  while (g_main_context_iteration (self->core_context, FALSE))
    ;

  /* Nobody will apply what was still pending. */
  batch_free_nullable (take_pending (self, TRUE));

  if (self->started)
    {
      self->started = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
    }
}

/* Calls ------------------------------------------------------------------- */

typedef struct
{
  CentralService *self;
  CentralServiceFunc func;
  gpointer user_data;
  gboolean done;
} Call;

static gboolean
call_cb (gpointer user_data)
{
  Call *call = user_data;

  call->func (call->self->core, call->user_data);

  g_mutex_lock (&call->self->lock);
  call->done = TRUE;
  g_cond_broadcast (&call->self->cond);
  g_mutex_unlock (&call->self->lock);
  return G_SOURCE_REMOVE;
}

/**
 * central_service_call:
 * @self: a started service
 * @func: what to run on the core's thread
 * @user_data: its data
 *
 * Runs @func with the core on the core's thread and waits for it: how the
 * headless front end runs its commands. Never call it from the core's
 * thread, nor from a function the core calls.
 *
 * Returns: %TRUE if @func ran; %FALSE when the core is not running
 */
gboolean
central_service_call (CentralService     *self,
                      CentralServiceFunc  func,
                      gpointer            user_data)
{
  Call call = { self, func, user_data, FALSE };
  gboolean running;

  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  g_mutex_lock (&self->lock);
  running = self->running;
  g_mutex_unlock (&self->lock);
  if (!running)
    return FALSE;

  g_main_context_invoke (self->core_context, call_cb, &call);

  g_mutex_lock (&self->lock);
  while (!call.done)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Operator commands: a GTask made on the UI thread, run on the core's
 * thread, answered on the UI thread again. */

typedef enum
{
  COMMAND_STOP,
  COMMAND_RESUME,
  COMMAND_RESET_TOKEN,
  COMMAND_FORGET,
  COMMAND_APPROVE,
  COMMAND_REJECT,
  COMMAND_FORGET_DRIVER_KEY,
  COMMAND_EXPORT,
  COMMAND_PRICE,
  COMMAND_LOCATION,
} CommandKind;

typedef struct
{
  CommandKind kind;
  char *cp_id;
  GFile *file;
  double price;
  char *text;
} Command;

static void
command_free (gpointer data)
{
  Command *command = data;

  g_free (command->cp_id);
  g_clear_object (&command->file);
  g_free (command->text);
  g_free (command);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CentralService *self = source_object;
  Command *command = task_data;
  GError *error = NULL;

  if (central_write_history_csv (self->db_path, command->file, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
run_command_cb (gpointer user_data)
{
  GTask *task = user_data;
  CentralService *self = g_task_get_source_object (task);
  Command *command = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean ok;

  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;

  /* An export commits here, then reads the database on a worker thread
   * of its own: the core goes on meanwhile. */
  switch (command->kind)
    {
    case COMMAND_EXPORT:
      if (central_core_flush (self->core, &error))
        g_task_run_in_thread (task, export_thread);
      else
        g_task_return_error (task, error);
      return G_SOURCE_REMOVE;
    case COMMAND_STOP:
      ok = central_core_stop (self->core, command->cp_id, &error);
      break;
    case COMMAND_RESUME:
      ok = central_core_resume (self->core, command->cp_id, &error);
      break;
    case COMMAND_RESET_TOKEN:
      ok = central_core_reset_token (self->core, command->cp_id, &error);
      break;
    case COMMAND_FORGET:
      /* The CP leaves the core's list, and so the view's with the next
       * batch (mirror_changed()). */
      ok = central_core_forget (self->core, command->cp_id, &error);
      break;
    case COMMAND_APPROVE:
      ok = central_core_approve (self->core, command->cp_id, &error);
      break;
    case COMMAND_REJECT:
      ok = central_core_reject (self->core, command->cp_id, &error);
      break;
    case COMMAND_FORGET_DRIVER_KEY:
      ok = central_core_forget_driver_key (self->core, command->cp_id, &error);
      break;
    case COMMAND_PRICE:
      ok = central_core_set_price (self->core, command->cp_id, command->price, &error);
      break;
    case COMMAND_LOCATION:
      ok = central_core_set_location (self->core, command->cp_id, command->text, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  return G_SOURCE_REMOVE;
}

static void
send_command_full (CentralService      *self,
                   CommandKind          kind,
                   const char          *cp_id,
                   GFile               *file,
                   double               price,
                   const char          *text,
                   gpointer             source_tag,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Command *command = g_new0 (Command, 1);
  gboolean running;

  command->kind = kind;
  command->cp_id = g_strdup (cp_id);
  command->file = file != NULL ? g_object_ref (file) : NULL;
  command->price = price;
  command->text = g_strdup (text);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, command, command_free);

  g_mutex_lock (&self->lock);
  running = self->running;
  g_mutex_unlock (&self->lock);
  if (!running)
    {
      /* Nobody would ever run it. */
      g_task_return_new_error (task, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED,
                               _("Central is not running"));
      g_object_unref (task);
      return;
    }
  g_main_context_invoke_full (self->core_context, G_PRIORITY_DEFAULT, run_command_cb, task, g_object_unref);
}

static void
send_command (CentralService      *self,
              CommandKind          kind,
              const char          *cp_id,
              GFile               *file,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  send_command_full (self, kind, cp_id, file, 0.0, NULL, source_tag, cancellable, callback, user_data);
}

static gboolean
finish_command (CentralService  *self,
                GAsyncResult    *result,
                gpointer         source_tag,
                GError         **error)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * central_service_stop_async:
 * @self: a service
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_stop() on the core's thread.
 */
void
central_service_stop_async (CentralService      *self,
                            const char          *cp_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));

  send_command (self, COMMAND_STOP, cp_id, NULL, central_service_stop_async, cancellable, callback, user_data);
}

gboolean
central_service_stop_finish (CentralService  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  return finish_command (self, result, central_service_stop_async, error);
}

/**
 * central_service_resume_async:
 * @self: a service
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_resume() on the core's thread.
 */
void
central_service_resume_async (CentralService      *self,
                              const char          *cp_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));

  send_command (self, COMMAND_RESUME, cp_id, NULL, central_service_resume_async, cancellable, callback, user_data);
}

gboolean
central_service_resume_finish (CentralService  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_command (self, result, central_service_resume_async, error);
}

/**
 * central_service_reset_token_async:
 * @self: a service
 * @cp_id: a charging point
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_reset_token() on the core's thread: the CP's link is
 * closed and its monitor must register again.
 */
void
central_service_reset_token_async (CentralService      *self,
                                   const char          *cp_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);

  send_command (self, COMMAND_RESET_TOKEN, cp_id, NULL, central_service_reset_token_async, cancellable, callback,
                user_data);
}

gboolean
central_service_reset_token_finish (CentralService  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  return finish_command (self, result, central_service_reset_token_async, error);
}

/**
 * central_service_set_price_async:
 * @self: a service
 * @cp_id: a charging point
 * @price: its new price per kWh, in €
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_set_price() on the core's thread: the next supply at
 * @cp_id is priced at @price; the one under way keeps its own.
 */
void
central_service_set_price_async (CentralService      *self,
                                 const char          *cp_id,
                                 double               price,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);

  send_command_full (self, COMMAND_PRICE, cp_id, NULL, price, NULL, central_service_set_price_async, cancellable,
                     callback, user_data);
}

gboolean
central_service_set_price_finish (CentralService  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return finish_command (self, result, central_service_set_price_async, error);
}

/**
 * central_service_set_location_async:
 * @self: a service
 * @cp_id: a charging point
 * @location: where it is
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_set_location() on the core's thread.
 */
void
central_service_set_location_async (CentralService      *self,
                                    const char          *cp_id,
                                    const char          *location,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);
  g_return_if_fail (location != NULL);

  send_command_full (self, COMMAND_LOCATION, cp_id, NULL, 0.0, location, central_service_set_location_async,
                     cancellable, callback, user_data);
}

gboolean
central_service_set_location_finish (CentralService  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return finish_command (self, result, central_service_set_location_async, error);
}

/**
 * central_service_forget_async:
 * @self: a service
 * @cp_id: a charging point
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_forget() on the core's thread. The CP leaves the
 * charging-point model with a later batch; refused with
 * %CENTRAL_CORE_ERROR_IN_PROGRESS while a supply at it is open.
 */
void
central_service_forget_async (CentralService      *self,
                              const char          *cp_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);

  send_command (self, COMMAND_FORGET, cp_id, NULL, central_service_forget_async, cancellable, callback, user_data);
}

gboolean
central_service_forget_finish (CentralService  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_command (self, result, central_service_forget_async, error);
}

/**
 * central_service_approve_async:
 * @self: a service
 * @cp_id: a charging point awaiting approval
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_approve() on the core's thread; the CP's "pending" turns
 * %FALSE in the model with a later batch.
 */
void
central_service_approve_async (CentralService      *self,
                               const char          *cp_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);

  send_command (self, COMMAND_APPROVE, cp_id, NULL, central_service_approve_async, cancellable, callback, user_data);
}

gboolean
central_service_approve_finish (CentralService  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return finish_command (self, result, central_service_approve_async, error);
}

/**
 * central_service_forget_driver_key_async:
 * @self: a service
 * @driver_id: a driver id bound to a key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_forget_driver_key() on the core's thread.
 */
void
central_service_forget_driver_key_async (CentralService      *self,
                                         const char          *driver_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (driver_id != NULL);

  send_command (self, COMMAND_FORGET_DRIVER_KEY, driver_id, NULL, central_service_forget_driver_key_async,
                cancellable, callback, user_data);
}

gboolean
central_service_forget_driver_key_finish (CentralService  *self,
                                          GAsyncResult    *result,
                                          GError         **error)
{
  return finish_command (self, result, central_service_forget_driver_key_async, error);
}

/**
 * central_service_reject_async:
 * @self: a service
 * @cp_id: a charging point awaiting approval
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * central_core_reject() on the core's thread; the CP leaves the model
 * with a later batch.
 */
void
central_service_reject_async (CentralService      *self,
                              const char          *cp_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (cp_id != NULL);

  send_command (self, COMMAND_REJECT, cp_id, NULL, central_service_reject_async, cancellable, callback, user_data);
}

gboolean
central_service_reject_finish (CentralService  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_command (self, result, central_service_reject_async, error);
}

/**
 * central_service_export_history_async:
 * @self: a service
 * @file: where to write
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * Writes the whole session history of the database as CSV: the core
 * commits, then a worker thread reads the database and writes @file
 * (central_write_history_csv()).
 */
void
central_service_export_history_async (CentralService      *self,
                                      GFile               *file,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  g_return_if_fail (G_IS_FILE (file));

  send_command (self, COMMAND_EXPORT, NULL, file, central_service_export_history_async, cancellable, callback,
                user_data);
}

gboolean
central_service_export_history_finish (CentralService  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return finish_command (self, result, central_service_export_history_async, error);
}

/* Searches: a worker thread with a read-only connection of its own. ------ */

typedef struct
{
  char *text;
  guint limit;
  gboolean history;
} Search;

typedef struct
{
  GListStore *model;
  guint total;
} Found;

static void
search_free (gpointer data)
{
  Search *search = data;

  g_free (search->text);
  g_free (search);
}

static void
found_free (gpointer data)
{
  Found *found = data;

  g_clear_object (&found->model);
  g_free (found);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CentralService *self = source_object;
  Search *search = task_data;
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GError *error = NULL;
  Found *found = g_new0 (Found, 1);

  reader = ev_store_reader_open (self->db_path, &error);
  if (reader != NULL && search->history)
    rows = ev_store_reader_search_history (reader, search->text, search->limit, &found->total, &error);
  else if (reader != NULL)
    rows = ev_store_reader_search_log (reader, search->text, search->limit, &found->total, &error);
  if (rows == NULL)
    {
      found_free (found);
      g_task_return_error (task, error);
      return;
    }

  found->model = g_list_store_new (search->history ? EV_TYPE_SUPPLY_SESSION : CENTRAL_TYPE_EVENT);
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(GObject) item = NULL;

      if (search->history)
        item = g_object_ref (g_ptr_array_index (rows, i));
      else
        item = G_OBJECT (central_event_new_from_record (g_ptr_array_index (rows, i)));
      g_list_store_append (found->model, item);
    }
  g_task_return_pointer (task, found, found_free);
}

static void
search_async (CentralService      *self,
              gboolean             history,
              const char          *text,
              guint                limit,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Search *search = g_new0 (Search, 1);

  search->text = g_strdup (text);
  search->limit = limit;
  search->history = history;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, search, search_free);
  g_task_run_in_thread (task, search_thread);
}

static GListModel *
search_finish (CentralService  *self,
               GAsyncResult    *result,
               gpointer         source_tag,
               guint           *out_total,
               GError         **error)
{
  Found *found;
  GListModel *model;

  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  found = g_task_propagate_pointer (G_TASK (result), error);
  if (found == NULL)
    return NULL;
  if (out_total != NULL)
    *out_total = found->total;
  model = G_LIST_MODEL (g_steal_pointer (&found->model));
  found_free (found);
  return model;
}

/**
 * central_service_search_log_async:
 * @self: a service
 * @text: (nullable): what to look for in the message, event or CP id of
 *   every log line in the database (case-insensitive); %NULL or "": all
 * @limit: at most this many, newest first (0: all)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * Searches the whole log, in the database, on a worker thread.
 */
void
central_service_search_log_async (CentralService      *self,
                                  const char          *text,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  search_async (self, FALSE, text, limit, central_service_search_log_async, cancellable, callback, user_data);
}

/**
 * central_service_search_log_finish:
 * @self: a service
 * @result: the result
 * @out_total: (out) (optional): how many lines match in all
 * @error: return location for an error
 *
 * Returns: (transfer full): the lines found, newest first (CentralEvent)
 */
GListModel *
central_service_search_log_finish (CentralService  *self,
                                   GAsyncResult    *result,
                                   guint           *out_total,
                                   GError         **error)
{
  return search_finish (self, result, central_service_search_log_async, out_total, error);
}

/**
 * central_service_search_history_async:
 * @self: a service
 * @text: (nullable): what to look for in the CP, driver, supply id or
 *   reason of every concluded supply in the database; %NULL or "": all
 * @limit: at most this many, newest first (0: all)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on this thread when done
 * @user_data: its data
 *
 * Searches the whole history, in the database, on a worker thread.
 */
void
central_service_search_history_async (CentralService      *self,
                                      const char          *text,
                                      guint                limit,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (CENTRAL_IS_SERVICE (self));
  search_async (self, TRUE, text, limit, central_service_search_history_async, cancellable, callback, user_data);
}

/**
 * central_service_search_history_finish:
 * @self: a service
 * @result: the result
 * @out_total: (out) (optional): how many supplies match in all
 * @error: return location for an error
 *
 * Returns: (transfer full): the supplies found, newest first
 *   (EvSupplySession)
 */
GListModel *
central_service_search_history_finish (CentralService  *self,
                                       GAsyncResult    *result,
                                       guint           *out_total,
                                       GError         **error)
{
  return search_finish (self, result, central_service_search_history_async, out_total, error);
}

/* Getters (UI thread) ------------------------------------------------------ */

gboolean
central_service_get_started (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), FALSE);
  return self->started;
}

/**
 * central_service_get_tls_fingerprint:
 * @self: a service
 *
 * Returns: (nullable): the SHA-256 fingerprint of the monitor port's
 *   certificate, %NULL when the links are plain TCP or not started
 */
const char *
central_service_get_tls_fingerprint (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return self->started ? self->start_tls_fingerprint : NULL;
}

guint
central_service_get_port (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), 0);
  return self->started ? self->port : 0;
}

gboolean
central_service_get_broker_reachable (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), FALSE);
  return self->broker_reachable;
}

guint
central_service_get_n_links (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), 0);
  return self->n_links;
}

const char *
central_service_get_listen (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return self->listen;
}

const char *
central_service_get_bootstrap (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return self->bootstrap;
}

const char *
central_service_get_db_path (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return self->db_path;
}

/* Every known CP, sorted by id: copies that follow the core's. */
GListModel *
central_service_get_charging_points (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->cps);
}

/* Supplies not concluded, oldest first. */
GListModel *
central_service_get_requests (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->requests);
}

/* The newest log lines (CentralEvent), newest first. */
GListModel *
central_service_get_log (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->log);
}

/* How many concluded supplies the database holds (the history model
 * shows the newest of them). */
guint
central_service_get_history_total (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), 0);
  return self->history_total;
}

/* The newest concluded supplies, newest first. */
GListModel *
central_service_get_history (CentralService *self)
{
  g_return_val_if_fail (CENTRAL_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->history);
}

/* GObject ------------------------------------------------------------------ */

/**
 * central_service_new:
 * @core: a core, not started, which the service's thread will own
 *
 * Returns: (transfer full): a service with view models
 */
CentralService *
central_service_new (CentralCore *core)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (core), NULL);

  return g_object_new (CENTRAL_TYPE_SERVICE, "core", core, NULL);
}

static void
central_service_constructed (GObject *object)
{
  CentralService *self = CENTRAL_SERVICE (object);

  G_OBJECT_CLASS (central_service_parent_class)->constructed (object);

  g_return_if_fail (self->core != NULL);
  self->listen = g_strdup (central_core_get_listen (self->core));
  self->bootstrap = g_strdup (central_core_get_bootstrap (self->core));
  self->db_path = g_strdup (central_core_get_db_path (self->core));
}

static void
central_service_dispose (GObject *object)
{
  CentralService *self = CENTRAL_SERVICE (object);

  central_service_shutdown (self);
  g_clear_object (&self->core);

  G_OBJECT_CLASS (central_service_parent_class)->dispose (object);
}

static void
central_service_finalize (GObject *object)
{
  CentralService *self = CENTRAL_SERVICE (object);

  g_clear_pointer (&self->pending, batch_free);
  g_clear_error (&self->start_error);
  g_clear_pointer (&self->core_loop, g_main_loop_unref);
  g_clear_pointer (&self->core_context, g_main_context_unref);
  g_clear_pointer (&self->view_context, g_main_context_unref);
  g_clear_pointer (&self->cp_index, g_hash_table_unref);
  g_clear_pointer (&self->request_index, g_hash_table_unref);
  g_clear_object (&self->cps);
  g_clear_object (&self->requests);
  g_clear_object (&self->log);
  g_clear_object (&self->history);
  g_free (self->listen);
  g_free (self->start_tls_fingerprint);
  g_free (self->bootstrap);
  g_free (self->db_path);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (central_service_parent_class)->finalize (object);
}

static void
central_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CentralService *self = CENTRAL_SERVICE (object);

  switch (prop_id)
    {
    case PROP_CORE:
      /* Only the core's thread may use it once started. */
      g_value_set_object (value, self->started ? NULL : self->core);
      break;
    case PROP_VIEWS:
      g_value_set_boolean (value, self->views);
      break;
    case PROP_BATCH_INTERVAL:
      g_value_set_uint (value, self->batch_interval);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_PORT:
      g_value_set_uint (value, central_service_get_port (self));
      break;
    case PROP_BROKER_REACHABLE:
      g_value_set_boolean (value, self->broker_reachable);
      break;
    case PROP_N_LINKS:
      g_value_set_uint (value, self->n_links);
      break;
    case PROP_LISTEN:
      g_value_set_string (value, self->listen);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_BATCHES:
      g_value_set_uint (value, self->batches);
      break;
    case PROP_HISTORY_TOTAL:
      g_value_set_uint (value, self->history_total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_service_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CentralService *self = CENTRAL_SERVICE (object);

  switch (prop_id)
    {
    case PROP_CORE:
      self->core = g_value_dup_object (value);
      break;
    case PROP_VIEWS:
      self->views = g_value_get_boolean (value);
      break;
    case PROP_BATCH_INTERVAL:
      self->batch_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_service_class_init (CentralServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = central_service_constructed;
  object_class->dispose = central_service_dispose;
  object_class->finalize = central_service_finalize;
  object_class->get_property = central_service_get_property;
  object_class->set_property = central_service_set_property;

  properties[PROP_CORE] =
    g_param_spec_object ("core", NULL, NULL, CENTRAL_TYPE_CORE, construct);
  properties[PROP_VIEWS] =
    g_param_spec_boolean ("views", NULL, NULL, TRUE, construct);
  properties[PROP_BATCH_INTERVAL] =
    g_param_spec_uint ("batch-interval", NULL, NULL, 1, 10000,
                       CENTRAL_SERVICE_DEFAULT_BATCH_INTERVAL_MS, construct);
  properties[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, readable);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, readable);
  properties[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  properties[PROP_N_LINKS] =
    g_param_spec_uint ("n-links", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, NULL, readable);
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, readable);
  properties[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL, readable);
  /* How many batches the views have taken (not notified): a measure of
   * the coalescing, for tests and benchmarks. */
  properties[PROP_BATCHES] =
    g_param_spec_uint ("batches", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_HISTORY_TOTAL] =
    g_param_spec_uint ("history-total", NULL, NULL, 0, G_MAXUINT, 0, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CentralService::news:
   * @self: the service
   * @event: a new log line
   *
   * On the UI thread, every new line of the log, oldest first.
   */
  signals[SIGNAL_NEWS] = g_signal_new ("news", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, CENTRAL_TYPE_EVENT);

  /**
   * CentralService::event:
   * @self: the service
   * @event: what happened
   *
   * On the core's thread, every event of the core as it happens.
   */
  signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), CENTRAL_TYPE_EVENT);
}

static void
central_service_init (CentralService *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->views = TRUE;
  self->batch_interval = CENTRAL_SERVICE_DEFAULT_BATCH_INTERVAL_MS;
  self->core_context = g_main_context_new ();
  self->core_loop = g_main_loop_new (self->core_context, FALSE);
  self->cps = g_list_store_new (EV_TYPE_CHARGING_POINT);
  self->cp_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->requests = g_list_store_new (EV_TYPE_SUPPLY_SESSION);
  self->request_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->log = g_list_store_new (CENTRAL_TYPE_EVENT);
  self->history = g_list_store_new (EV_TYPE_SUPPLY_SESSION);
}

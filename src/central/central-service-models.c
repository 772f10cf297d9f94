/* central-service-models.c: the views' list models, kept in step with the
 * core's by batches of what changed, applied at most once a frame. */

#include "config.h"

#include "central-service-private.h"

GParamSpec *service_pspecs[N_PROPS];
guint service_signals[N_SIGNALS];

/* @prop of @self changed. */
void
service_notify (CentralService *self,
                int             prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), service_pspecs[prop]);
}

static void
unref_nullable (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

Batch *
service_batch_new (void)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->cps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  batch->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_nullable);
  batch->log = g_ptr_array_new_with_free_func (g_object_unref);
  batch->history = g_ptr_array_new_with_free_func (g_object_unref);
  return batch;
}

void
service_batch_free (Batch *batch)
{
  g_hash_table_unref (batch->cps);
  g_hash_table_unref (batch->sessions);
  g_ptr_array_unref (batch->log);
  g_ptr_array_unref (batch->history);
  g_free (batch);
}

gboolean
service_batch_is_empty (Batch *batch)
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
void
service_batch_merge (Batch *into,
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
  EvSupply *sa = *(EvSupply **) a;
  EvSupply *sb = *(EvSupply **) b;
  gint64 ta = ev_supply_get_started_at (sa);
  gint64 tb = ev_supply_get_started_at (sb);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  return strcmp (ev_supply_get_supply_id (sa), ev_supply_get_supply_id (sb));
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
      g_autoptr(EvSupply) session = g_list_model_get_item (model, position);

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
  EvSupply *snapshot;

  g_hash_table_iter_init (&iter, sessions);
  while (g_hash_table_iter_next (&iter, (gpointer *) &supply_id, (gpointer *) &snapshot))
    {
      EvSupply *session = g_hash_table_lookup (self->request_index, supply_id);

      if (snapshot == NULL)
        {
          if (session != NULL)
            {
              g_hash_table_add (gone, g_object_ref (session));
              g_hash_table_remove (self->request_index, supply_id);
            }
        }
      else if (session != NULL)
        ev_supply_update (session, snapshot);
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

void
service_apply_batch (CentralService *self,
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
      service_notify (self, PROP_HISTORY_TOTAL);
    }

  if (batch->has_status)
    {
      if (self->broker_reachable != batch->broker_reachable)
        {
          self->broker_reachable = batch->broker_reachable;
          service_notify (self, PROP_BROKER_REACHABLE);
        }
      if (self->n_links != batch->n_links)
        {
          self->n_links = batch->n_links;
          service_notify (self, PROP_N_LINKS);
        }
    }

  for (guint i = 0; i < batch->log->len; i++)
    g_signal_emit (self, service_signals[SIGNAL_NEWS], 0, g_ptr_array_index (batch->log, i));
}

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

#include "central-service-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, service_batch_free)

static void
batch_free_nullable (Batch *batch)
{
  if (batch != NULL)
    service_batch_free (batch);
}

static void schedule_flush (CentralService *self);

G_DEFINE_FINAL_TYPE (CentralService, central_service, G_TYPE_OBJECT)

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
    service_apply_batch (self, batch);
  return G_SOURCE_REMOVE;
}

static void
item_notify_cb (GObject    *item,
                GParamSpec *pspec,
                gpointer    user_data)
{
  CentralService *self = user_data;

  g_hash_table_add (self->dirty, item);
  schedule_flush (self);
}

/* A CP's supply changed a figure: the CP's snapshot carries it. */
static void
item_supply_changed_cb (GObject  *item,
                        gpointer  user_data)
{
  item_notify_cb (item, NULL, user_data);
}

static void
watch_item (CentralService *self,
            GObject        *item)
{
  g_signal_connect (item, "notify", G_CALLBACK (item_notify_cb), self);
  if (EV_IS_CHARGING_POINT (item))
    g_signal_connect (item, "supply-changed", G_CALLBACK (item_supply_changed_cb), self);
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
          EvSupply *session = EV_SUPPLY (item);

          g_hash_table_replace (self->building->sessions,
                                g_strdup (ev_supply_get_supply_id (session)),
                                ev_supply_is_concluded (session) ? NULL : ev_supply_copy (session));
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
  if (service_batch_is_empty (self->building))
    return;

  built = g_steal_pointer (&self->building);
  self->building = service_batch_new ();

  g_mutex_lock (&self->lock);
  if (self->pending == NULL)
    self->pending = g_steal_pointer (&built);
  else
    service_batch_merge (self->pending, built);
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
void
service_mirror_changed (CentralService *self,
                        GPtrArray      *mirror,
                        GListModel     *model,
                        guint           position,
                        guint           removed,
                        guint           added)
{
  for (guint i = position; i < position + removed; i++)
    {
      GObject *item = g_ptr_array_index (mirror, i);

      g_signal_handlers_disconnect_by_data (item, self);
      g_hash_table_remove (self->dirty, item);
      if (EV_IS_CHARGING_POINT (item))
        g_hash_table_replace (self->building->cps,
                              g_strdup (ev_charging_point_get_cp_id (EV_CHARGING_POINT (item))), NULL);
      else
        g_hash_table_replace (self->building->sessions,
                              g_strdup (ev_supply_get_supply_id (EV_SUPPLY (item))), NULL);
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

  service_mirror_changed (self, self->cp_mirror, model, position, removed, added);
}

static void
requests_changed_cb (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  CentralService *self = user_data;

  service_mirror_changed (self, self->request_mirror, model, position, removed, added);
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

      g_ptr_array_add (into, copy ? G_OBJECT (ev_supply_copy (EV_SUPPLY (item)))
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
  self->building = service_batch_new ();

  service_mirror_changed (self, self->cp_mirror, cps, 0, 0, g_list_model_get_n_items (cps));
  service_mirror_changed (self, self->request_mirror, requests, 0, 0, g_list_model_get_n_items (requests));
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
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (mirror, i), self);
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
  g_clear_pointer (&self->building, service_batch_free);
}

static void
core_event_cb (CentralCore  *core,
               CentralEvent *event,
               gpointer      user_data)
{
  g_signal_emit (user_data, service_signals[SIGNAL_EVENT], 0, event);
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
    service_apply_batch (self, first);

  self->started = TRUE;
  self->port = self->start_port;
  g_object_notify_by_pspec (G_OBJECT (self), service_pspecs[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), service_pspecs[PROP_STARTED]);
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
      g_object_notify_by_pspec (G_OBJECT (self), service_pspecs[PROP_STARTED]);
    }
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

  g_clear_pointer (&self->pending, service_batch_free);
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

  service_pspecs[PROP_CORE] =
    g_param_spec_object ("core", NULL, NULL, CENTRAL_TYPE_CORE, construct);
  service_pspecs[PROP_VIEWS] =
    g_param_spec_boolean ("views", NULL, NULL, TRUE, construct);
  service_pspecs[PROP_BATCH_INTERVAL] =
    g_param_spec_uint ("batch-interval", NULL, NULL, 1, 10000,
                       CENTRAL_SERVICE_DEFAULT_BATCH_INTERVAL_MS, construct);
  service_pspecs[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, readable);
  service_pspecs[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, readable);
  service_pspecs[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  service_pspecs[PROP_N_LINKS] =
    g_param_spec_uint ("n-links", NULL, NULL, 0, G_MAXUINT, 0, readable);
  service_pspecs[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, NULL, readable);
  service_pspecs[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, readable);
  service_pspecs[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL, readable);
  /* How many batches the views have taken (not notified): a measure of
   * the coalescing, for tests and benchmarks. */
  service_pspecs[PROP_BATCHES] =
    g_param_spec_uint ("batches", NULL, NULL, 0, G_MAXUINT, 0, readable);
  service_pspecs[PROP_HISTORY_TOTAL] =
    g_param_spec_uint ("history-total", NULL, NULL, 0, G_MAXUINT, 0, readable);
  g_object_class_install_properties (object_class, N_PROPS, service_pspecs);

  /**
   * CentralService::news:
   * @self: the service
   * @event: a new log line
   *
   * On the UI thread, every new line of the log, oldest first.
   */
  service_signals[SIGNAL_NEWS] = g_signal_new ("news", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, CENTRAL_TYPE_EVENT);

  /**
   * CentralService::event:
   * @self: the service
   * @event: what happened
   *
   * On the core's thread, every event of the core as it happens.
   */
  service_signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), CENTRAL_TYPE_EVENT);
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
  self->requests = g_list_store_new (EV_TYPE_SUPPLY);
  self->request_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->log = g_list_store_new (CENTRAL_TYPE_EVENT);
  self->history = g_list_store_new (EV_TYPE_SUPPLY);
}

/* central-service-commands.c: the operator's commands and searches, sent
 * to the core's thread and answered on the views' thread. */

#include "config.h"

#include "central-service-private.h"

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
       * batch (service_mirror_changed()). */
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

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

/* Operator commands ------------------------------------------------------ */

/* Most commands name one CP or driver and run a core function of one
 * shape; a price, a location and an export carry more. */
typedef gboolean (*TargetFunc) (CentralCore  *core,
                                const char   *target,
                                GError      **error);

typedef enum
{
  COMMAND_TARGET,
  COMMAND_PRICE,
  COMMAND_LOCATION,
  COMMAND_EXPORT,
} CommandKind;

/* A GTask made on the views' thread, run on the core's thread, answered
 * on the views' thread again. */
typedef struct
{
  CommandKind kind;
  TargetFunc func;
  char *target;
  double price;
  char *text;
  GFile *file;
} Command;

static void
command_free (gpointer data)
{
  Command *command = data;

  g_free (command->target);
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

  switch (command->kind)
    {
    case COMMAND_EXPORT:
      /* An export commits here, then reads the database on a worker
       * thread of its own: the core goes on meanwhile. */
      if (central_core_flush (self->core, &error))
        g_task_run_in_thread (task, export_thread);
      else
        g_task_return_error (task, error);
      return G_SOURCE_REMOVE;
    case COMMAND_TARGET:
      /* A forgotten CP leaves the core's list, and so the view's with the
       * next batch (service_mirror_changed()). */
      ok = command->func (self->core, command->target, &error);
      break;
    case COMMAND_PRICE:
      ok = central_core_set_price (self->core, command->target, command->price, &error);
      break;
    case COMMAND_LOCATION:
      ok = central_core_set_location (self->core, command->target, command->text, &error);
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

/* Every command goes this way: a copy of @command in a task tagged
 * @source_tag, run on the core's thread. */
static void
send_command (CentralService      *self,
              const Command       *command,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Command *copy = g_memdup2 (command, sizeof *command);
  gboolean running;

  copy->target = g_strdup (command->target);
  copy->text = g_strdup (command->text);
  copy->file = command->file != NULL ? g_object_ref (command->file) : NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, copy, command_free);

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

/* The public pair of a command: central_service_NAME_async(), taking
 * @params (in parentheses) between @self and the usual three, refuses
 * arguments that fail @check and sends the Command whose members the
 * remaining arguments initialise; central_service_NAME_finish() answers
 * it. The async function is the task's source tag, which the views test
 * with g_async_result_is_tagged(). */
#define DEFINE_COMMAND(name, params, check, ...) \
  void \
  central_service_##name##_async (CentralService *self, \
                                  EXPAND params, \
                                  GCancellable *cancellable, \
                                  GAsyncReadyCallback callback, \
                                  gpointer user_data) \
  { \
    g_return_if_fail (CENTRAL_IS_SERVICE (self)); \
    g_return_if_fail (check); \
    send_command (self, &(Command) { __VA_ARGS__ }, central_service_##name##_async, cancellable, callback, \
                  user_data); \
  } \
  \
  gboolean \
  central_service_##name##_finish (CentralService *self, \
                                   GAsyncResult *result, \
                                   GError **error) \
  { \
    return finish_command (self, result, central_service_##name##_async, error); \
  }

#define EXPAND(...) __VA_ARGS__

/* A command that runs @core_func on one CP or driver id; %NULL, meaning
 * every CP, only where @nullable. */
#define DEFINE_TARGET_COMMAND(name, core_func, nullable) \
  DEFINE_COMMAND (name, (const char *target), (nullable) || target != NULL, \
                  .kind = COMMAND_TARGET, .func = core_func, .target = (char *) target)

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
DEFINE_TARGET_COMMAND (stop, central_core_stop, TRUE)

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
DEFINE_TARGET_COMMAND (resume, central_core_resume, TRUE)

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
DEFINE_TARGET_COMMAND (reset_token, central_core_reset_token, FALSE)

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
DEFINE_TARGET_COMMAND (forget, central_core_forget, FALSE)

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
DEFINE_TARGET_COMMAND (approve, central_core_approve, FALSE)

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
DEFINE_TARGET_COMMAND (reject, central_core_reject, FALSE)

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
DEFINE_TARGET_COMMAND (forget_driver_key, central_core_forget_driver_key, FALSE)

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
DEFINE_COMMAND (set_price, (const char *cp_id, double price), cp_id != NULL,
                .kind = COMMAND_PRICE, .target = (char *) cp_id, .price = price)

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
DEFINE_COMMAND (set_location, (const char *cp_id, const char *location), cp_id != NULL && location != NULL,
                .kind = COMMAND_LOCATION, .target = (char *) cp_id, .text = (char *) location)

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
DEFINE_COMMAND (export_history, (GFile *file), G_IS_FILE (file),
                .kind = COMMAND_EXPORT, .file = file)

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

  found->model = g_list_store_new (search->history ? EV_TYPE_SUPPLY : CENTRAL_TYPE_EVENT);
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

/* The public pair of a search of the log or (@history) of the supplies. */
#define DEFINE_SEARCH(name, is_history) \
  void \
  central_service_search_##name##_async (CentralService *self, \
                                         const char *text, \
                                         guint limit, \
                                         GCancellable *cancellable, \
                                         GAsyncReadyCallback callback, \
                                         gpointer user_data) \
  { \
    g_autoptr(GTask) task = NULL; \
    Search search = { NULL, limit, is_history }; \
    \
    g_return_if_fail (CENTRAL_IS_SERVICE (self)); \
    search.text = g_strdup (text); \
    task = g_task_new (self, cancellable, callback, user_data); \
    g_task_set_source_tag (task, central_service_search_##name##_async); \
    g_task_set_task_data (task, g_memdup2 (&search, sizeof search), search_free); \
    g_task_run_in_thread (task, search_thread); \
  } \
  \
  GListModel * \
  central_service_search_##name##_finish (CentralService *self, \
                                          GAsyncResult *result, \
                                          guint *out_total, \
                                          GError **error) \
  { \
    return search_finish (self, result, central_service_search_##name##_async, out_total, error); \
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
 * Searches the whole log, in the database, on a worker thread;
 * central_service_search_log_finish() returns the lines found, newest
 * first (#CentralEvent), and (@out_total) how many match in all.
 */
DEFINE_SEARCH (log, FALSE)

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
 * Searches the whole history, in the database, on a worker thread;
 * central_service_search_history_finish() returns the supplies found,
 * newest first (#EvSupply), and (@out_total) how many match in
 * all.
 */
DEFINE_SEARCH (history, TRUE)

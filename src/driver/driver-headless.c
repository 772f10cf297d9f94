#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "driver-headless.h"
#include "driver-history.h"
#include "ev-headless.h"
#include "ev-json.h"

/* The JSON lines of docs/cli.md (ev-driver) are made here and nowhere
 * else: the core tells its views typed events, properties and list
 * models, and this front end turns them into JSON. */

/* JSON -------------------------------------------------------------------- */

/* The members of every supply event: the ids, the phase, what the phase
 * has, and the situation in words. */
static JsonObject *
supply_fields (DriverCore         *core,
               const DriverFollow *follow,
               const char         *message)
{
  JsonObject *fields = json_object_new ();
  DriverPhase phase = driver_follow_get_phase (follow);
  EvSupply *supply = follow->supply;

  ev_json_object_set_nullable_string (fields, "request_id", follow->request_id);
  ev_json_object_set_nullable_string (fields, "supply_id", driver_follow_get_supply_id (follow));
  ev_json_object_set_nullable_string (fields, "cp_id", driver_follow_get_cp_id (follow));
  json_object_set_string_member (fields, "phase", driver_phase_to_string (phase));
  switch (phase)
    {
    case DRIVER_PHASE_AUTHORIZED:
      json_object_set_double_member (fields, "price", ev_supply_get_price (supply));
      break;
    case DRIVER_PHASE_SUPPLYING:
    case DRIVER_PHASE_FINISHED:
      json_object_set_int_member (fields, "seq", ev_supply_get_seq (supply));
      json_object_set_double_member (fields, "kwh", ev_supply_get_kwh (supply));
      json_object_set_double_member (fields, "amount", ev_supply_get_amount (supply));
      json_object_set_double_member (fields, "price", ev_supply_get_price (supply));
      json_object_set_int_member (fields, "started_at", ev_supply_get_started_at (supply));
      if (phase == DRIVER_PHASE_FINISHED)
        {
          json_object_set_int_member (fields, "ended_at", ev_supply_get_ended_at (supply));
          ev_json_object_set_nullable_string (fields, "reason", ev_supply_get_reason (supply));
        }
      break;
    case DRIVER_PHASE_FAILED:
      json_object_set_double_member (fields, "kwh", ev_supply_get_kwh (supply));
      json_object_set_double_member (fields, "amount", ev_supply_get_amount (supply));
      ev_json_object_set_nullable_string (fields, "reason", ev_supply_get_reason (supply));
      break;
    case DRIVER_PHASE_DENIED:
      ev_json_object_set_nullable_string (fields, "reason", ev_supply_get_reason (supply));
      break;
    case DRIVER_PHASE_NO_ANSWER:
      json_object_set_int_member (fields, "timeout_ms", driver_core_get_answer_timeout (core));
      break;
    case DRIVER_PHASE_IDLE:
    case DRIVER_PHASE_REQUESTED:
    default:
      break;
    }
  json_object_set_string_member (fields, "message", message);
  return fields;
}

static JsonObject *
cp_fields (gpointer item)
{
  EvChargingPoint *cp = item;
  JsonObject *fields = json_object_new ();
  EvCpState state = ev_charging_point_get_state (cp);

  json_object_set_string_member (fields, "cp_id", ev_charging_point_get_cp_id (cp));
  json_object_set_string_member (fields, "state", ev_cp_state_to_string (state));
  ev_json_object_set_nullable_string (fields, "location", ev_charging_point_get_location (cp));
  json_object_set_double_member (fields, "price", ev_charging_point_get_price (cp));
  json_object_set_boolean_member (fields, "available", ev_cp_state_is_available (state));
  return fields;
}

static JsonObject *
ticket_fields (gpointer item)
{
  return driver_history_ticket_to_json (item);
}

/* An array of the items of @model, each turned into an object. */
static JsonArray *
items_to_json (GListModel  *model,
               JsonObject *(*item_to_json) (gpointer item))
{
  JsonArray *array = json_array_new ();
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      json_array_add_object_element (array, item_to_json (item));
    }
  return array;
}

/* `path`, `n` and `m`, with which `file-start`, `file-paused`,
 * `file-resumed` and `file-request` begin. */
static JsonObject *
file_fields (const DriverEventData *data)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "path", data->path);
  json_object_set_int_member (fields, "n", data->position);
  json_object_set_int_member (fields, "m", data->total);
  return fields;
}

/* Appends the members of @from to @to, in their order. */
static void
append_members (JsonObject *to,
                JsonObject *from)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, from);
  while (json_object_iter_next_ordered (&iter, &member, &node))
    json_object_set_member (to, member, json_node_copy (node));
}

static JsonObject *
file_done_fields (const DriverEventData *data)
{
  JsonObject *fields = json_object_new ();
  JsonArray *results = json_array_new ();
  DriverFileTotals totals;

  driver_file_results_count (data->results, &totals);
  for (guint i = 0; i < data->results->len; i++)
    json_array_add_object_element (results, driver_file_result_to_json (g_ptr_array_index (data->results, i)));

  json_object_set_string_member (fields, "path", data->path);
  json_object_set_int_member (fields, "total", data->total);
  json_object_set_int_member (fields, "tickets", totals.tickets);
  json_object_set_int_member (fields, "denied", totals.denied);
  json_object_set_int_member (fields, "failed", totals.failed);
  json_object_set_int_member (fields, "no_answer", totals.no_answer);
  json_object_set_double_member (fields, "kwh", totals.kwh);
  json_object_set_double_member (fields, "amount", totals.amount);
  json_object_set_array_member (fields, "results", results);
  json_object_set_boolean_member (fields, "stopped", data->stopped);
  return fields;
}

/**
 * driver_headless_event_to_json:
 * @core: the core that emitted @event
 * @event: one of its events
 *
 * Returns: (transfer full): the members of @event's JSON line after
 *   "event", as docs/cli.md lists them
 */
JsonObject *
driver_headless_event_to_json (DriverCore  *core,
                               DriverEvent *event)
{
  const DriverEventData *data = driver_event_get_data (event);
  const char *message = ev_event_get_message (EV_EVENT (event));
  JsonObject *fields = NULL;

  switch (driver_event_get_kind (event))
    {
    case DRIVER_EVENT_READY:
      fields = json_object_new ();
      json_object_set_string_member (fields, "driver_id", driver_core_get_driver_id (core));
      ev_json_object_set_nullable_string (fields, "kafka", driver_core_get_bootstrap (core));
      json_object_set_string_member (fields, "state_dir", driver_core_get_state_dir (core));
      /* null: Central's messages cannot be checked (docs/cli.md). */
      ev_json_object_set_nullable_string (fields, "central_key",
                                          driver_core_get_central_key (core) != NULL
                                          ? ev_verify_key_get_fingerprint (driver_core_get_central_key (core))
                                          : NULL);
      break;
    case DRIVER_EVENT_BROKER:
      fields = json_object_new ();
      json_object_set_boolean_member (fields, "reachable", data->reachable);
      break;
    case DRIVER_EVENT_CP_STATE:
      fields = cp_fields (data->charging_point);
      if (data->has_previous)
        json_object_set_string_member (fields, "previous", ev_cp_state_to_string (data->previous));
      else
        json_object_set_null_member (fields, "previous");
      break;
    case DRIVER_EVENT_REQUEST:
      fields = supply_fields (core, data->supply, message);
      json_object_set_boolean_member (fields, "retry", data->retry);
      break;
    case DRIVER_EVENT_RECOVERED:
    case DRIVER_EVENT_NO_ANSWER:
    case DRIVER_EVENT_AUTHORIZED:
    case DRIVER_EVENT_DENIED:
    case DRIVER_EVENT_PROGRESS:
    case DRIVER_EVENT_TICKET:
    case DRIVER_EVENT_SUPPLY_ERROR:
      fields = supply_fields (core, data->supply, message);
      break;
    case DRIVER_EVENT_FILE_INVALID_LINE:
      fields = json_object_new ();
      json_object_set_string_member (fields, "path", data->path);
      json_object_set_int_member (fields, "line", data->line);
      json_object_set_string_member (fields, "text", data->text);
      json_object_set_string_member (fields, "message", message);
      break;
    case DRIVER_EVENT_FILE_START:
      fields = file_fields (data);
      json_object_set_int_member (fields, "invalid_lines", data->invalid_lines);
      json_object_set_boolean_member (fields, "resumed", data->resumed);
      json_object_set_boolean_member (fields, "paused", data->paused);
      break;
    case DRIVER_EVENT_FILE_PAUSED:
      fields = file_fields (data);
      json_object_set_boolean_member (fields, "requested", data->requested);
      break;
    case DRIVER_EVENT_FILE_RESUMED:
      fields = file_fields (data);
      break;
    case DRIVER_EVENT_FILE_REQUEST:
      fields = file_fields (data);
      json_object_set_string_member (fields, "cp_id", data->cp_id);
      json_object_set_int_member (fields, "line", data->line);
      break;
    case DRIVER_EVENT_FILE_RESULT:
      {
        g_autoptr(JsonObject) result = driver_file_result_to_json (data->result);

        fields = json_object_new ();
        json_object_set_string_member (fields, "path", data->path);
        json_object_set_int_member (fields, "m", data->total);
        append_members (fields, result);
      }
      break;
    case DRIVER_EVENT_FILE_DONE:
      fields = file_done_fields (data);
      break;
    case DRIVER_EVENT_INVALID_MESSAGE:
      fields = json_object_new ();
      json_object_set_string_member (fields, "topic", data->topic);
      json_object_set_string_member (fields, "reason", data->reason);
      break;
    case DRIVER_EVENT_ERROR:
    default:
      fields = json_object_new ();
      json_object_set_string_member (fields, "message", message != NULL ? message : "");
      break;
    }
  return fields;
}

/**
 * driver_headless_status_fields:
 * @core: a core
 *
 * Returns: (transfer full): the fields of the `status` event
 */
JsonObject *
driver_headless_status_fields (DriverCore *core)
{
  g_autofree char *message = driver_core_dup_status_text (core);
  JsonObject *fields = supply_fields (core, driver_core_get_supply (core), message);
  gboolean running = driver_core_get_file_running (core);

  json_object_set_string_member (fields, "driver_id", driver_core_get_driver_id (core));
  json_object_set_boolean_member (fields, "broker", driver_core_get_broker_reachable (core));
  json_object_set_boolean_member (fields, "file_running", running);
  if (running)
    {
      json_object_set_string_member (fields, "file", driver_core_get_file_path (core));
      json_object_set_int_member (fields, "file_position", driver_core_get_file_position (core));
      json_object_set_int_member (fields, "file_total", driver_core_get_file_total (core));
      json_object_set_boolean_member (fields, "file_paused", driver_core_get_file_paused (core));
    }
  return fields;
}

/**
 * driver_headless_list_fields:
 * @core: a core
 *
 * Returns: (transfer full): the fields of the `list` event
 */
JsonObject *
driver_headless_list_fields (DriverCore *core)
{
  JsonObject *fields = json_object_new ();

  json_object_set_array_member (fields, "cps", items_to_json (driver_core_get_charging_points (core), cp_fields));
  return fields;
}

/**
 * driver_headless_history_fields:
 * @core: a core
 *
 * Returns: (transfer full): the fields of the `history` event
 */
JsonObject *
driver_headless_history_fields (DriverCore *core)
{
  GListModel *history = driver_core_get_history (core);
  JsonObject *fields = json_object_new ();

  json_object_set_array_member (fields, "tickets", items_to_json (history, ticket_fields));
  json_object_set_int_member (fields, "count", g_list_model_get_n_items (history));
  json_object_set_double_member (fields, "total_kwh", driver_core_get_total_kwh (core));
  json_object_set_double_member (fields, "total_amount", driver_core_get_total_amount (core));
  return fields;
}

/* Commands ---------------------------------------------------------------- */

/* What the headless run needs besides the core: the file to run once
 * started, and whether `quit` was typed (end of input lets a running
 * file finish first). Kept on the core, as there is one per run. */
typedef struct
{
  char *file;
  gboolean quit_typed;
} HeadlessRun;

#define RUN_KEY "driver-headless-run"

static void
headless_run_free (gpointer data)
{
  HeadlessRun *run = data;

  g_free (run->file);
  g_free (run);
}

static gboolean
quit_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);

  if (run != NULL)
    run->quit_typed = TRUE;
  return ev_headless_command_quit (core, call, error);
}

/* `list`, `status` and `history`: an event of the same name. */
static gboolean
show_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  g_autoptr(JsonObject) fields = NULL;
  const char *name = call->words[0];

  if (g_str_equal (name, "list"))
    fields = driver_headless_list_fields (core);
  else if (g_str_equal (name, "status"))
    fields = driver_headless_status_fields (core);
  else
    fields = driver_headless_history_fields (core);
  ev_headless_print_event (name, fields);
  return TRUE;
}

static gboolean
request_command (gpointer         core,
                 EvHeadlessCall  *call,
                 GError         **error)
{
  g_autofree char *request_id = driver_core_request (core, call->words[1], error);

  return request_id != NULL;
}

/* `pause`, `resume` and `stop`: the request file that runs. */
static gboolean
file_run_command (gpointer         core,
                  EvHeadlessCall  *call,
                  GError         **error)
{
  const char *name = call->words[0];

  if (g_str_equal (name, "pause"))
    return driver_core_pause_file (core, error);
  if (g_str_equal (name, "resume"))
    return driver_core_resume_file (core, error);
  if (driver_core_stop_file (core))
    return TRUE;
  g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_NO_FILE, _("No request file is running"));
  return FALSE;
}

static gboolean
file_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  /* The path is the rest of the line, spaces included. */
  g_autofree char *path = g_strstrip (g_strdup (ev_headless_call_rest (call, 1)));

  return driver_core_run_file (core, path, error);
}

static const EvHeadlessCommand commands[] = {
  { "list", 0, 0, show_command },
  { "request CP", 1, 1, request_command },
  { "request auto" },
  { N_("file PATH"), 1, EV_HEADLESS_ANY_ARGS, file_command },
  { "pause", 0, 0, file_run_command },
  { "resume", 0, 0, file_run_command },
  { "stop", 0, 0, file_run_command },
  { "status", 0, 0, show_command },
  { "history", 0, 0, show_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, quit_command },
  { NULL }
};

/**
 * driver_headless_run_command:
 * @core: a started core
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `list`, `request CP`, `file PATH`, `pause`, `resume`, `stop` (the
 * last three act on the request file that runs), `status`, `history`,
 * `help` or `quit`, printing its events.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
driver_headless_run_command (DriverCore *core,
                             const char *line,
                             gboolean   *out_quit)
{
  return ev_headless_dispatch (commands, core, line, out_quit);
}

static gboolean
start (gpointer   core,
       GError   **error)
{
  HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);
  g_autoptr(GError) file_error = NULL;

  if (!driver_core_start (core, error))
    return FALSE;

  /* A file that resumed on start is already running. */
  if (run->file != NULL && !driver_core_get_file_running (core) &&
      !driver_core_run_file (core, run->file, &file_error))
    ev_headless_print_error (file_error->message);
  return TRUE;
}

/* The file is done, or paused: with input closed nobody can resume it,
 * so stop (the paused run is saved and resumes paused next time). */
static void
file_running_cb (GObject    *core,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  if (!driver_core_get_file_running (DRIVER_CORE (core)) || driver_core_get_file_paused (DRIVER_CORE (core)))
    g_main_loop_quit (user_data);
}

static gboolean
signal_cb (gpointer user_data)
{
  g_message ("Stopping on a signal");
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* End of input while a file runs: `ev-driver --headless --file F
 * </dev/null` must run the whole file, so wait for it (a signal, `quit`
 * or a pause still stop at once). */
static void
finish_file (DriverCore *core)
{
  g_autoptr(GMainLoop) loop = NULL;
  gulong handler, paused_handler;
  guint sigint_id, sigterm_id;

  loop = g_main_loop_new (NULL, FALSE);
  handler = g_signal_connect (core, "notify::file-running", G_CALLBACK (file_running_cb), loop);
  paused_handler = g_signal_connect (core, "notify::file-paused", G_CALLBACK (file_running_cb), loop);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, loop);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (core, handler);
  g_signal_handler_disconnect (core, paused_handler);
  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
}

static void
shutdown (gpointer core)
{
  HeadlessRun *run = g_object_get_data (G_OBJECT (core), RUN_KEY);

  if (!run->quit_typed && driver_core_get_file_running (core) && !driver_core_get_file_paused (core))
    finish_file (core);
  driver_core_shutdown (core);
}

static JsonObject *
event_to_json (gpointer  core,
               EvEvent  *event)
{
  return driver_headless_event_to_json (core, DRIVER_EVENT (event));
}

/**
 * driver_headless_run:
 * @core: a core, not started yet (so that its first events are printed)
 * @file: (nullable): a request file to run once started
 *
 * Starts @core and serves standard input until `quit`, SIGINT or SIGTERM,
 * or end of input (after a running request file is done), then shuts the
 * core down.
 *
 * Returns: the exit status: 0, or 1 if the core could not start
 */
int
driver_headless_run (DriverCore *core,
                     const char *file)
{
  static const EvHeadlessRole role = {
    .program = "ev-driver", .start = start, .shutdown = shutdown, .event_to_json = event_to_json,
    .commands = commands,
  };
  HeadlessRun *run = g_new0 (HeadlessRun, 1);
  int status;

  run->file = g_strdup (file);
  g_object_set_data_full (G_OBJECT (core), RUN_KEY, run, headless_run_free);
  status = ev_headless_run (core, &role);
  g_object_set_data (G_OBJECT (core), RUN_KEY, NULL);
  return status;
}

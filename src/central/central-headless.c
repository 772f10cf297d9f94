#include "config.h"

#include <glib/gi18n-lib.h>

#include "central-headless.h"
#include "ev-headless.h"

static void
print_list (CentralCore *core)
{
  GListModel *cps = central_core_get_charging_points (core);
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonArray *array = json_array_new ();
  guint n = g_list_model_get_n_items (cps);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "cp_id", ev_charging_point_get_cp_id (cp));
      json_object_set_string_member (item, "state", ev_cp_state_to_string (ev_charging_point_get_state (cp)));
      json_object_set_string_member (item, "location", ev_charging_point_get_location (cp));
      json_object_set_double_member (item, "price", ev_charging_point_get_price (cp));
      if (ev_charging_point_get_driver_id (cp) != NULL)
        json_object_set_string_member (item, "driver_id", ev_charging_point_get_driver_id (cp));
      else
        json_object_set_null_member (item, "driver_id");
      json_object_set_double_member (item, "kwh", ev_charging_point_get_kwh (cp));
      json_object_set_double_member (item, "amount", ev_charging_point_get_amount (cp));
      json_object_set_string_member (item, "approval", ev_charging_point_get_pending (cp) ? "pending" : "approved");
      json_array_add_object_element (array, item);
    }

  json_object_set_array_member (fields, "cps", array);
  ev_headless_print_event ("list", fields);
}

/* Commands ---------------------------------------------------------------- */

static gboolean
list_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  print_list (core);
  return TRUE;
}

/* `stop CP|all`, `resume CP|all` */
static gboolean
stop_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  const char *target = g_str_equal (call->words[1], "all") ? NULL : call->words[1];

  if (g_str_equal (call->words[0], "stop"))
    return central_core_stop (core, target, error);
  return central_core_resume (core, target, error);
}

static gboolean
price_command (gpointer         core,
               EvHeadlessCall  *call,
               GError         **error)
{
  const char *text = call->words[2];
  char *end = NULL;
  double price = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a price: give it in € per kWh, such as 0.42"), text);
      return FALSE;
    }
  return central_core_set_price (core, call->words[1], price, error);
}

static gboolean
location_command (gpointer         core,
                  EvHeadlessCall  *call,
                  GError         **error)
{
  /* The location is the rest of the line, spaces and all. */
  return central_core_set_location (core, call->words[1], ev_headless_call_rest (call, 2), error);
}

/* The commands that take one CP (or driver) and only say whether they
 * ran. */
static gboolean
cp_command (gpointer         core,
            EvHeadlessCall  *call,
            GError         **error)
{
  static const struct {
    const char *name;
    gboolean  (*run) (CentralCore *core, const char *id, GError **error);
  } runs[] = {
    { "approve", central_core_approve },
    { "reject", central_core_reject },
    { "reset-token", central_core_reset_token },
    { "forget", central_core_forget },
    { "forget-driver-key", central_core_forget_driver_key },
  };

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    if (g_str_equal (call->words[0], runs[i].name))
      return runs[i].run (core, call->words[1], error);
  g_return_val_if_reached (FALSE);
}

static const EvHeadlessCommand commands[] = {
  { "stop CP|all", 1, 1, stop_command },
  { "resume CP|all", 1, 1, stop_command },
  { "approve CP", 1, 1, cp_command },
  { "reject CP", 1, 1, cp_command },
  { "reset-token CP", 1, 1, cp_command },
  { "forget CP", 1, 1, cp_command },
  { "forget-driver-key DRIVER", 1, 1, cp_command },
  { "price CP EUR", 2, 2, price_command },
  { "location CP TEXT", 2, EV_HEADLESS_ANY_ARGS, location_command },
  { "list", 0, 0, list_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

/**
 * central_headless_run_command:
 * @core: a started core, on its own thread
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `stop CP|all`, `resume CP|all`, `approve CP`, `reject CP`,
 * `reset-token CP`, `forget CP`, `forget-driver-key DRIVER`,
 * `price CP EUR`, `location CP TEXT`, `list`, `help` or `quit`, printing
 * its events.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
central_headless_run_command (CentralCore *core,
                              const char  *line,
                              gboolean    *out_quit)
{
  return ev_headless_dispatch (commands, core, line, out_quit);
}

/* Events ------------------------------------------------------------------ */

typedef enum {
  F_END,
  F_CP_ID,          /* left out when there is none */
  F_PEER,
  F_APPROVAL,
  F_LOCATION,
  F_PRICE,
  F_STATE,
  F_PREVIOUS,
  F_REASON,
  F_FAULT,
  F_WRITABLE,
  F_HELD,
  F_REQUEST_ID,
  F_DRIVER_ID,
  F_SUPPLY_ID,
  F_ORIGIN,
  F_SEQ,
  F_KWH,
  F_AMOUNT,
  F_STARTED_AT,
  F_ENDED_AT,
  F_TARGET,
  F_ACTION,
  F_TOPIC,
  F_REACHABLE,
  F_LISTEN,
  F_PORT,
  F_KAFKA,
  F_DB,
  F_CPS,
  F_ENCRYPTED,
  F_FINGERPRINT,
  F_CLIENT_CERTS,
  F_COUNT,
  F_MESSAGE,
} Field;

/* The members of each event, in order (docs/cli.md); NULL: not printed. */
static const Field *const members[] = {
  [CENTRAL_EVENT_READY] = (const Field[]) { F_LISTEN, F_PORT, F_KAFKA, F_DB, F_CPS, F_END },
  [CENTRAL_EVENT_CP_REGISTERED] = (const Field[]) { F_CP_ID, F_LOCATION, F_PRICE, F_PEER, F_APPROVAL, F_END },
  [CENTRAL_EVENT_CP_AUTHENTICATED] = (const Field[]) { F_CP_ID, F_LOCATION, F_PRICE, F_PEER, F_END },
  [CENTRAL_EVENT_AUTH_DENIED] = (const Field[]) { F_CP_ID, F_REASON, F_PEER, F_END },
  [CENTRAL_EVENT_CP_STATE] = (const Field[]) { F_CP_ID, F_STATE, F_PREVIOUS, F_LOCATION, F_PRICE, F_END },
  [CENTRAL_EVENT_CP_DISCONNECTED] = (const Field[]) { F_CP_ID, F_REASON, F_END },
  [CENTRAL_EVENT_REQUEST] = (const Field[]) { F_CP_ID, F_REQUEST_ID, F_DRIVER_ID, F_ORIGIN, F_END },
  [CENTRAL_EVENT_AUTHORIZED] = (const Field[]) { F_CP_ID, F_REQUEST_ID, F_DRIVER_ID, F_SUPPLY_ID, F_PRICE, F_END },
  [CENTRAL_EVENT_DENIED] = (const Field[]) { F_CP_ID, F_REQUEST_ID, F_DRIVER_ID, F_REASON, F_END },
  [CENTRAL_EVENT_PROGRESS] = (const Field[]) { F_CP_ID, F_SUPPLY_ID, F_DRIVER_ID, F_SEQ, F_KWH, F_AMOUNT, F_END },
  [CENTRAL_EVENT_TICKET] = (const Field[]) { F_CP_ID, F_SUPPLY_ID, F_DRIVER_ID, F_KWH, F_AMOUNT, F_PRICE,
                                             F_STARTED_AT, F_ENDED_AT, F_REASON, F_END },
  [CENTRAL_EVENT_SUPPLY_ERROR] = (const Field[]) { F_CP_ID, F_SUPPLY_ID, F_DRIVER_ID, F_REASON, F_KWH,
                                                   F_AMOUNT, F_END },
  [CENTRAL_EVENT_SETTLED] = (const Field[]) { F_CP_ID, F_SUPPLY_ID, F_DRIVER_ID, F_KWH, F_AMOUNT, F_PRICE,
                                              F_STARTED_AT, F_ENDED_AT, F_REASON, F_FAULT, F_END },
  [CENTRAL_EVENT_STORE] = (const Field[]) { F_WRITABLE, F_HELD, F_REASON, F_END },
  [CENTRAL_EVENT_DIRECTIVE] = (const Field[]) { F_TARGET, F_ACTION, F_END },
  [CENTRAL_EVENT_INVALID_MESSAGE] = (const Field[]) { F_TOPIC, F_REASON, F_CP_ID, F_COUNT, F_END },
  [CENTRAL_EVENT_BROKER] = (const Field[]) { F_REACHABLE, F_END },
  [CENTRAL_EVENT_ERROR] = (const Field[]) { F_MESSAGE, F_END },
  [CENTRAL_EVENT_STOP] = NULL,
  [CENTRAL_EVENT_RESUME] = NULL,
  [CENTRAL_EVENT_TOKEN_RESET] = (const Field[]) { F_CP_ID, F_END },
  [CENTRAL_EVENT_CP_FORGOTTEN] = (const Field[]) { F_CP_ID, F_END },
  [CENTRAL_EVENT_PRICE] = (const Field[]) { F_CP_ID, F_PRICE, F_END },
  [CENTRAL_EVENT_LOCATION] = (const Field[]) { F_CP_ID, F_LOCATION, F_END },
  [CENTRAL_EVENT_TLS] = (const Field[]) { F_ENCRYPTED, F_FINGERPRINT, F_CLIENT_CERTS, F_MESSAGE, F_END },
  [CENTRAL_EVENT_TLS_FAILED] = (const Field[]) { F_PEER, F_REASON, F_END },
  [CENTRAL_EVENT_DRIVER_KEY_FORGOTTEN] = (const Field[]) { F_DRIVER_ID, F_END },
  [CENTRAL_EVENT_CP_APPROVED] = (const Field[]) { F_CP_ID, F_END },
  [CENTRAL_EVENT_CP_REJECTED] = (const Field[]) { F_CP_ID, F_END },
};

static void
add_member (JsonObject   *object,
            Field         field,
            CentralEvent *event)
{
  const CentralEventData *data = central_event_get_data (event);

  switch (field)
    {
    case F_CP_ID:
      if (data->cp_id != NULL)
        json_object_set_string_member (object, "cp_id", data->cp_id);
      break;
    case F_PEER:
      json_object_set_string_member (object, "peer", data->peer);
      break;
    case F_APPROVAL:
      json_object_set_string_member (object, "approval", data->pending ? "pending" : "approved");
      break;
    case F_LOCATION:
      json_object_set_string_member (object, "location", data->location);
      break;
    case F_PRICE:
      json_object_set_double_member (object, "price", data->price);
      break;
    case F_STATE:
      json_object_set_string_member (object, "state", ev_cp_state_to_string (data->state));
      break;
    case F_PREVIOUS:
      json_object_set_string_member (object, "previous", ev_cp_state_to_string (data->previous));
      break;
    case F_REASON:
      json_object_set_string_member (object, "reason", data->reason);
      break;
    case F_FAULT:
      json_object_set_string_member (object, "fault", data->fault);
      break;
    case F_WRITABLE:
      json_object_set_boolean_member (object, "writable", data->writable);
      break;
    case F_HELD:
      json_object_set_int_member (object, "held", data->held);
      break;
    case F_COUNT:
      if (data->count > 0)
        json_object_set_int_member (object, "count", data->count);
      break;
    case F_REQUEST_ID:
      json_object_set_string_member (object, "request_id", data->request_id);
      break;
    case F_DRIVER_ID:
      json_object_set_string_member (object, "driver_id", data->driver_id);
      break;
    case F_SUPPLY_ID:
      json_object_set_string_member (object, "supply_id", data->supply_id);
      break;
    case F_ORIGIN:
      json_object_set_string_member (object, "origin", data->origin);
      break;
    case F_SEQ:
      json_object_set_int_member (object, "seq", data->seq);
      break;
    case F_KWH:
      json_object_set_double_member (object, "kwh", data->kwh);
      break;
    case F_AMOUNT:
      json_object_set_double_member (object, "amount", data->amount);
      break;
    case F_STARTED_AT:
      json_object_set_int_member (object, "started_at", data->started_at);
      break;
    case F_ENDED_AT:
      json_object_set_int_member (object, "ended_at", data->ended_at);
      break;
    case F_TARGET:
      json_object_set_string_member (object, "target", data->target);
      break;
    case F_ACTION:
      json_object_set_string_member (object, "action", data->action);
      break;
    case F_TOPIC:
      json_object_set_string_member (object, "topic", data->topic);
      break;
    case F_REACHABLE:
      json_object_set_boolean_member (object, "reachable", data->reachable);
      break;
    case F_LISTEN:
      json_object_set_string_member (object, "listen", data->listen);
      break;
    case F_PORT:
      json_object_set_int_member (object, "port", data->port);
      break;
    case F_KAFKA:
      json_object_set_string_member (object, "kafka", data->kafka);
      break;
    case F_DB:
      json_object_set_string_member (object, "db", data->db);
      break;
    case F_CPS:
      json_object_set_int_member (object, "cps", data->cps);
      break;
    case F_ENCRYPTED:
      json_object_set_boolean_member (object, "encrypted", data->encrypted);
      break;
    case F_FINGERPRINT:
      if (data->fingerprint != NULL)
        json_object_set_string_member (object, "fingerprint", data->fingerprint);
      break;
    case F_CLIENT_CERTS:
      json_object_set_boolean_member (object, "client_certs", data->client_certs);
      break;
    case F_MESSAGE:
      json_object_set_string_member (object, "message", central_event_get_message (event));
      break;
    case F_END:
    default:
      g_assert_not_reached ();
    }
}

/**
 * central_headless_event_to_json:
 * @event: an event of Central's core
 *
 * Returns: (transfer full) (nullable): the members of @event as the
 *   headless front end prints them (docs/cli.md), without "event" and
 *   ending with "ts", when it happened (ms since the epoch); %NULL
 *   for the events that are not printed (the operator's own commands)
 */
JsonObject *
central_headless_event_to_json (CentralEvent *event)
{
  CentralEventKind kind;
  JsonObject *object;

  g_return_val_if_fail (CENTRAL_IS_EVENT (event), NULL);

  kind = central_event_get_kind (event);
  if ((guint) kind >= G_N_ELEMENTS (members) || members[kind] == NULL)
    return NULL;

  object = json_object_new ();
  for (const Field *field = members[kind]; *field != F_END; field++)
    add_member (object, *field, event);
  /* Central's own clock: the benchmarks time detection with it. */
  json_object_set_int_member (object, "ts", ev_event_get_time (EV_EVENT (event)));
  return object;
}

/* The front end ------------------------------------------------------------- */

static JsonObject *
event_to_json (gpointer  service,
               EvEvent  *event)
{
  return central_headless_event_to_json (CENTRAL_EVENT (event));
}

/**
 * central_headless_print_events:
 * @service: a service, not started yet
 *
 * Prints every event of @service's core as a JSON line on standard
 * output, from the core's thread: the headless front end, and the
 * console's `--events`.
 *
 * Returns: the signal handler's id
 */
gulong
central_headless_print_events (CentralService *service)
{
  return ev_event_connect_printer (service, event_to_json);
}

static gboolean
start (gpointer   service,
       GError   **error)
{
  return central_service_start (service, error);
}

static void
shutdown (gpointer service)
{
  central_service_shutdown (service);
}

typedef struct
{
  const char *line;
  gboolean quit;
  char *problem;
} CommandCall;

static void
run_command_cb (CentralCore *core,
                gpointer     user_data)
{
  CommandCall *call = user_data;

  call->problem = central_headless_run_command (core, call->line, &call->quit);
}

/* Runs on the core's thread: its output comes in order with its events. */
static char *
command (gpointer    service,
         const char *line,
         gboolean   *out_quit)
{
  CommandCall call = { line, FALSE, NULL };

  if (!central_service_call (service, run_command_cb, &call))
    return g_strdup (_("Central is not running"));
  *out_quit = call.quit;
  return call.problem;
}

/**
 * central_headless_run:
 * @service: a service without views, not started yet (so that its first
 *   events are printed)
 *
 * Starts @service and serves standard input until `quit`, end of input,
 * SIGINT or SIGTERM, then shuts the core down. The core runs on its own
 * thread and prints its events there.
 *
 * Returns: the exit status: 0, or 1 if the core could not start
 */
int
central_headless_run (CentralService *service)
{
  static const EvHeadlessRole role = {
    .program = "ev-central", .start = start, .shutdown = shutdown, .command = command,
    .event_to_json = event_to_json,
  };

  return ev_headless_run (service, &role);
}

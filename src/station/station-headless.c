#include "config.h"

#include <glib/gi18n-lib.h>

#include "ev-headless.h"
#include "ev-json.h"
#include "station-headless.h"

/* The JSON lines of docs/cli.md (ev-station engine and monitor) are made
 * here and nowhere else: the cores tell their views typed events and
 * properties, and this front end turns them into JSON. */

/* JSON -------------------------------------------------------------------- */

/* A `progress` or `ticket` event: the supply-data message sent. */
static void
set_supply_data_members (JsonObject         *fields,
                         const EvSupplyData *data)
{
  json_object_set_string_member (fields, "supply_id", data->supply_id);
  json_object_set_string_member (fields, "cp_id", data->cp_id);
  json_object_set_string_member (fields, "driver_id", data->driver_id);
  json_object_set_int_member (fields, "seq", data->seq);
  json_object_set_double_member (fields, "kwh", data->kwh);
  json_object_set_double_member (fields, "amount", data->amount);
  json_object_set_double_member (fields, "price", data->price);
  if (data->kind == EV_SUPPLY_DATA_TICKET)
    {
      json_object_set_int_member (fields, "started_at", data->started_at);
      json_object_set_int_member (fields, "ended_at", data->ended_at);
      json_object_set_string_member (fields, "reason", ev_ticket_reason_to_string (data->reason));
    }
}

/* Sets the members of the events of one role; FALSE for a kind it does
 * not have. */
typedef gboolean (*RoleMembers) (gpointer                core,
                                 const StationEventData *data,
                                 StationEventKind        kind,
                                 JsonObject             *fields);

static gboolean
engine_members (gpointer                core,
                const StationEventData *data,
                StationEventKind        kind,
                JsonObject             *fields)
{
  StationEngine *engine = core;

  switch (kind)
    {
    case STATION_EVENT_READY:
      json_object_set_string_member (fields, "listen", station_engine_get_listen (engine));
      json_object_set_int_member (fields, "port", station_engine_get_port (engine));
      json_object_set_string_member (fields, "kafka", station_engine_get_bootstrap (engine));
      json_object_set_string_member (fields, "location", station_engine_get_location (engine));
      json_object_set_double_member (fields, "power_kw", station_engine_get_power_kw (engine));
      json_object_set_string_member (fields, "state_dir", station_engine_get_state_dir (engine));
      /* null: directives cannot be checked (docs/cli.md). */
      ev_json_object_set_nullable_string (fields, "central_key",
                                          station_engine_get_central_key (engine) != NULL
                                          ? ev_verify_key_get_fingerprint (station_engine_get_central_key (engine))
                                          : NULL);
      return TRUE;
    case STATION_EVENT_MONITOR:
      json_object_set_boolean_member (fields, "connected", data->up);
      return TRUE;
    case STATION_EVENT_BOUND:
      json_object_set_string_member (fields, "cp_id", data->cp_id);
      return TRUE;
    case STATION_EVENT_CP_KEY:
      json_object_set_int_member (fields, "tickets", data->count);
      return TRUE;
    case STATION_EVENT_CENTRAL:
    case STATION_EVENT_BROKER:
      json_object_set_boolean_member (fields, "reachable", data->up);
      return TRUE;
    case STATION_EVENT_DIRECTIVE:
      json_object_set_string_member (fields, "target", data->directive->target);
      json_object_set_string_member (fields, "action", ev_directive_action_to_string (data->directive->action));
      if (data->directive->supply_id != NULL)
        json_object_set_string_member (fields, "supply_id", data->directive->supply_id);
      if (data->ignored != NULL)
        json_object_set_string_member (fields, "ignored", data->ignored);
      return TRUE;
    case STATION_EVENT_AUTHORIZED:
      json_object_set_string_member (fields, "supply_id", data->directive->supply_id);
      json_object_set_string_member (fields, "driver_id", data->directive->driver_id);
      json_object_set_double_member (fields, "price", data->directive->price);
      return TRUE;
    case STATION_EVENT_STARTED:
      json_object_set_string_member (fields, "supply_id", data->supply_id);
      json_object_set_string_member (fields, "driver_id", data->driver_id);
      json_object_set_int_member (fields, "started_at", data->started_at);
      return TRUE;
    case STATION_EVENT_STATE:
      json_object_set_string_member (fields, "state", ev_cp_state_to_string (data->state));
      json_object_set_string_member (fields, "previous", ev_cp_state_to_string (data->previous));
      return TRUE;
    case STATION_EVENT_PROGRESS:
    case STATION_EVENT_TICKET:
      set_supply_data_members (fields, data->supply_data);
      return TRUE;
    case STATION_EVENT_HEALTH:
      json_object_set_boolean_member (fields, "ok", data->up);
      return TRUE;
    case STATION_EVENT_REQUEST:
      json_object_set_string_member (fields, "request_id", data->request->request_id);
      json_object_set_string_member (fields, "cp_id", data->request->cp_id);
      json_object_set_string_member (fields, "driver_id", data->request->driver_id);
      return TRUE;
    case STATION_EVENT_NO_ANSWER:
      json_object_set_string_member (fields, "request_id", data->request->request_id);
      json_object_set_string_member (fields, "driver_id", data->request->driver_id);
      return TRUE;
    case STATION_EVENT_DENIED:
      json_object_set_string_member (fields, "request_id", data->response->request_id);
      json_object_set_string_member (fields, "driver_id", data->response->driver_id);
      json_object_set_string_member (fields, "reason", ev_supply_deny_reason_to_string (data->response->reason));
      return TRUE;
    case STATION_EVENT_INVALID_MESSAGE:
      json_object_set_string_member (fields, "topic", data->topic);
      json_object_set_string_member (fields, "reason", data->reason);
      return TRUE;
    case STATION_EVENT_NOT_PAIRED:
      json_object_set_string_member (fields, "request", data->reason);
      ev_json_object_set_nullable_string (fields, "cp_id", data->cp_id);
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
monitor_members (gpointer                core,
                 const StationEventData *data,
                 StationEventKind        kind,
                 JsonObject             *fields)
{
  StationMonitor *monitor = core;

  switch (kind)
    {
    case STATION_EVENT_READY:
      json_object_set_string_member (fields, "cp_id", station_monitor_get_cp_id (monitor));
      json_object_set_string_member (fields, "engine", station_monitor_get_engine (monitor));
      json_object_set_string_member (fields, "central", station_monitor_get_central (monitor));
      json_object_set_boolean_member (fields, "tls", station_monitor_get_tls (monitor));
      json_object_set_string_member (fields, "token_dir", station_monitor_get_token_dir (monitor));
      return TRUE;
    case STATION_EVENT_ENGINE_CONNECTED:
      json_object_set_string_member (fields, "engine", station_monitor_get_engine (monitor));
      ev_json_object_set_nullable_string (fields, "location", data->location);
      if (data->has_state)
        json_object_set_string_member (fields, "state", ev_cp_state_to_string (data->state));
      return TRUE;
    case STATION_EVENT_ENGINE_DENIED:
      json_object_set_string_member (fields, "reason", data->reason);
      return TRUE;
    case STATION_EVENT_ENGINE_DOWN:
      json_object_set_string_member (fields, "engine", station_monitor_get_engine (monitor));
      json_object_set_string_member (fields, "reason", data->reason);
      return TRUE;
    case STATION_EVENT_ENGINE_HEALTH:
      json_object_set_string_member (fields, "health", ev_engine_health_to_string (data->health));
      json_object_set_string_member (fields, "previous", ev_engine_health_to_string (data->previous_health));
      json_object_set_string_member (fields, "state", ev_cp_state_to_string (data->state));
      return TRUE;
    case STATION_EVENT_CENTRAL:
      json_object_set_string_member (fields, "link", station_central_link_to_string (data->link));
      json_object_set_string_member (fields, "central", station_monitor_get_central (monitor));
      json_object_set_boolean_member (fields, "tls", station_monitor_get_tls (monitor));
      if (data->reason != NULL)
        json_object_set_string_member (fields, "reason", data->reason);
      if (data->has_price)
        json_object_set_double_member (fields, "price", data->price);
      return TRUE;
    case STATION_EVENT_STATUS:
      json_object_set_string_member (fields, "state", ev_cp_state_to_string (data->state));
      json_object_set_string_member (fields, "engine", ev_engine_health_to_string (data->health));
      return TRUE;
    case STATION_EVENT_APPROVAL:
      json_object_set_boolean_member (fields, "pending", data->up);
      return TRUE;
    default:
      return FALSE;
    }
}

/* The members of @event: those both roles have, or those of its role. */
static JsonObject *
event_to_json (gpointer      core,
               StationEvent *event,
               RoleMembers   role_members)
{
  const StationEventData *data = station_event_get_data (event);
  StationEventKind kind = station_event_get_kind (event);
  JsonObject *fields = json_object_new ();

  if (kind == STATION_EVENT_PRICE)
    json_object_set_double_member (fields, "price", data->price);
  else if (kind == STATION_EVENT_ERROR)
    json_object_set_string_member (fields, "message", ev_event_get_message (EV_EVENT (event)));
  else if (!role_members (core, data, kind, fields))
    g_warning ("A %s event from the wrong role", ev_event_get_name (EV_EVENT (event)));
  /* A ticket the engine issued on its own (monitor-lost) says why. */
  if (kind == STATION_EVENT_TICKET && ev_event_get_message (EV_EVENT (event)) != NULL)
    json_object_set_string_member (fields, "message", ev_event_get_message (EV_EVENT (event)));
  return fields;
}

/**
 * station_headless_engine_event_to_json:
 * @engine: the engine that emitted @event
 * @event: one of its events
 *
 * Returns: (transfer full): the members of @event's JSON line after
 *   "event", as docs/cli.md lists them
 */
JsonObject *
station_headless_engine_event_to_json (StationEngine *engine,
                                       StationEvent  *event)
{
  return event_to_json (engine, event, engine_members);
}

/**
 * station_headless_monitor_event_to_json:
 * @monitor: the monitor that emitted @event
 * @event: one of its events
 *
 * Returns: (transfer full): the members of its JSON line, as for the
 *   engine
 */
JsonObject *
station_headless_monitor_event_to_json (StationMonitor *monitor,
                                        StationEvent   *event)
{
  return event_to_json (monitor, event, monitor_members);
}

/**
 * station_headless_engine_status_fields:
 * @engine: an engine
 *
 * Returns: (transfer full): the fields of the engine's `status` event
 */
JsonObject *
station_headless_engine_status_fields (StationEngine *engine)
{
  JsonObject *fields = json_object_new ();

  ev_json_object_set_nullable_string (fields, "cp_id", station_engine_get_cp_id (engine));
  json_object_set_string_member (fields, "state", ev_cp_state_to_string (station_engine_get_state (engine)));
  json_object_set_boolean_member (fields, "ko", station_engine_get_ko (engine));
  json_object_set_string_member (fields, "location", station_engine_get_location (engine));
  json_object_set_double_member (fields, "price", station_engine_get_price (engine));
  json_object_set_int_member (fields, "port", station_engine_get_port (engine));
  ev_json_object_set_nullable_string (fields, "supply_id", station_engine_get_supply_id (engine));
  ev_json_object_set_nullable_string (fields, "driver_id", station_engine_get_driver_id (engine));
  json_object_set_double_member (fields, "kwh", station_engine_get_kwh (engine));
  json_object_set_double_member (fields, "amount", station_engine_get_amount (engine));
  json_object_set_boolean_member (fields, "monitor", station_engine_get_monitor_connected (engine));
  json_object_set_boolean_member (fields, "central", station_engine_get_central_reachable (engine));
  json_object_set_boolean_member (fields, "broker", station_engine_get_broker_reachable (engine));
  return fields;
}

/**
 * station_headless_monitor_status_fields:
 * @monitor: a monitor
 *
 * Returns: (transfer full): the fields of the monitor's `status` event
 */
JsonObject *
station_headless_monitor_status_fields (StationMonitor *monitor)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "cp_id", station_monitor_get_cp_id (monitor));
  json_object_set_boolean_member (fields, "engine_connected", station_monitor_get_engine_connected (monitor));
  json_object_set_string_member (fields, "engine",
                                 ev_engine_health_to_string (station_monitor_get_engine_health (monitor)));
  json_object_set_string_member (fields, "engine_state",
                                 ev_cp_state_to_string (station_monitor_get_engine_state (monitor)));
  json_object_set_int_member (fields, "last_check", station_monitor_get_last_check (monitor));
  json_object_set_string_member (fields, "central",
                                 station_central_link_to_string (station_monitor_get_central_link (monitor)));
  ev_json_object_set_nullable_string (fields, "location", station_monitor_get_location (monitor));
  json_object_set_double_member (fields, "price", station_monitor_get_price (monitor));
  json_object_set_string_member (fields, "reported",
                                 ev_cp_state_to_string (station_monitor_get_reported_state (monitor)));
  return fields;
}

/* Commands ---------------------------------------------------------------- */

static gboolean
engine_status_command (gpointer         engine,
                       EvHeadlessCall  *call,
                       GError         **error)
{
  g_autoptr(JsonObject) fields = station_headless_engine_status_fields (engine);

  ev_headless_print_event ("status", fields);
  return TRUE;
}

/* `plug`, `unplug`, `ko` and `ok`: what a person at the CP does. */
static gboolean
engine_act_command (gpointer         engine,
                    EvHeadlessCall  *call,
                    GError         **error)
{
  const char *name = call->words[0];

  if (g_str_equal (name, "plug"))
    return station_engine_plug (engine, error);
  if (g_str_equal (name, "unplug"))
    return station_engine_unplug (engine, error);
  station_engine_set_ko (engine, g_str_equal (name, "ko"));
  return TRUE;
}

static gboolean
engine_request_command (gpointer         engine,
                        EvHeadlessCall  *call,
                        GError         **error)
{
  g_autofree char *request_id = station_engine_request_supply (engine, call->words[1], error);

  return request_id != NULL;
}

static const EvHeadlessCommand engine_commands[] = {
  { "plug", 0, 0, engine_act_command },
  { "unplug", 0, 0, engine_act_command },
  { "ko", 0, 0, engine_act_command },
  { "ok", 0, 0, engine_act_command },
  { N_("request [DRIVER]"), 0, 1, engine_request_command },
  { "status", 0, 0, engine_status_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

static gboolean
monitor_status_command (gpointer         monitor,
                        EvHeadlessCall  *call,
                        GError         **error)
{
  g_autoptr(JsonObject) fields = station_headless_monitor_status_fields (monitor);

  ev_headless_print_event ("status", fields);
  return TRUE;
}

static const EvHeadlessCommand monitor_commands[] = {
  { "status", 0, 0, monitor_status_command },
  { "help", 0, 0, ev_headless_command_help },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

static gboolean
engine_start (gpointer core, GError **error)
{
  return station_engine_start (core, error);
}

static void
engine_shutdown (gpointer core)
{
  station_engine_shutdown (core);
}

static JsonObject *
engine_event_to_json (gpointer core, EvEvent *event)
{
  return station_headless_engine_event_to_json (core, STATION_EVENT (event));
}

static gboolean
monitor_start (gpointer core, GError **error)
{
  return station_monitor_start (core, error);
}

static void
monitor_shutdown (gpointer core)
{
  station_monitor_shutdown (core);
}

static JsonObject *
monitor_event_to_json (gpointer core, EvEvent *event)
{
  return station_headless_monitor_event_to_json (core, STATION_EVENT (event));
}

/**
 * station_headless_run_engine:
 * @engine: an engine, not started yet (so that `ready` is printed)
 *
 * Returns: the exit status: 0, or 1 if the engine could not start
 */
int
station_headless_run_engine (StationEngine *engine)
{
  static const EvHeadlessRole role = {
    .program = "ev-station", .start = engine_start, .shutdown = engine_shutdown,
    .event_to_json = engine_event_to_json, .commands = engine_commands,
  };

  return ev_headless_run (engine, &role);
}

/**
 * station_headless_run_monitor:
 * @monitor: a monitor, not started yet
 *
 * Returns: the exit status: 0, or 1 if the monitor could not start
 */
int
station_headless_run_monitor (StationMonitor *monitor)
{
  static const EvHeadlessRole role = {
    .program = "ev-station", .start = monitor_start, .shutdown = monitor_shutdown,
    .event_to_json = monitor_event_to_json, .commands = monitor_commands,
  };

  return ev_headless_run (monitor, &role);
}

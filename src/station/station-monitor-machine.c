/* station-monitor-machine.c: a monitor's conversation with Central, as a
 * pure machine, for `ev-station monitor` and every CP of the fleet. */

#include "config.h"

#include "station-monitor-machine.h"

/* xorshift32, one state for all the machines of a program: a CP's
 * machine holds no random state of its own. */
static guint32
next_random (StationMonitorMachineConfig *config)
{
  guint32 x = config->seed != 0 ? config->seed : 0x9e3779b9;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  config->seed = x;
  return x;
}

/* A period × (1 ± jitter). */
static gint64
jittered (StationMonitorMachineConfig *config,
          guint                        period_ms)
{
  double unit;

  if (config->jitter <= 0.0)
    return period_ms;
  unit = next_random (config) / (double) G_MAXUINT32;
  return (gint64) (period_ms * (1.0 + config->jitter * (2.0 * unit - 1.0)));
}

/**
 * station_monitor_machine_reset:
 * @self: the machine to set up (embedded in its owner), or to start
 *   afresh (a monitor revived by hand)
 * @config: its parameters
 *
 * Sets up a machine whose link is down, with nothing outstanding, that
 * reconnects after the shortest delay.
 */
void
station_monitor_machine_reset (StationMonitorMachine             *self,
                               const StationMonitorMachineConfig *config)
{
  self->link = STATION_CENTRAL_LINK_DOWN;
  self->request = STATION_MONITOR_REQUEST_NONE;
  self->status_at = 0;
  self->held_at = 0;
  self->backoff_ms = config->reconnect_min_ms;
}

/**
 * station_monitor_machine_is_up:
 * @self: a machine
 *
 * Returns: whether Central has authenticated or registered the CP on
 *   this link
 */
gboolean
station_monitor_machine_is_up (const StationMonitorMachine *self)
{
  return self->link == STATION_CENTRAL_LINK_AUTHENTICATED ||
         self->link == STATION_CENTRAL_LINK_REGISTERED;
}

/**
 * station_monitor_machine_get_deadline:
 * @self: a machine
 *
 * Returns: when station_monitor_machine_tick() has something to do
 *   (monotonic ms), or -1 for never
 */
gint64
station_monitor_machine_get_deadline (const StationMonitorMachine *self)
{
  if (!station_monitor_machine_is_up (self) || self->status_at <= 0)
    return -1;
  return self->status_at;
}

/**
 * station_monitor_state_to_report:
 * @health: the engine's health
 * @state: the engine's state
 *
 * Returns: what Central is told: the engine's state, but never
 *   DISCONNECTED (which only Central decides), and BROKEN when the engine
 *   does not answer
 */
EvCpState
station_monitor_state_to_report (EvEngineHealth health,
                                 EvCpState      state)
{
  if (health == EV_ENGINE_HEALTH_UNREACHABLE || state == EV_CP_STATE_DISCONNECTED)
    return EV_CP_STATE_BROKEN;
  return state;
}

static void
set_link (StationMonitorMachine *self,
          StationCentralLink     link,
          const char            *reason,
          StationMonitorActions *actions)
{
  if (link != self->link || reason != NULL)
    actions->link_changed = TRUE;
  actions->reason = reason;
  self->link = link;
}

static void
send (StationMonitorMachine *self,
      StationMonitorRequest  request,
      StationMonitorActions *actions)
{
  self->request = request;
  actions->send = request;
}

/**
 * station_monitor_machine_connecting:
 * @self: a machine
 *
 * The caller starts connecting to Central. A CP refused stays `denied`
 * until Central takes it.
 *
 * Returns: what to do
 */
StationMonitorActions
station_monitor_machine_connecting (StationMonitorMachine *self)
{
  StationMonitorActions actions = { 0 };

  if (self->link != STATION_CENTRAL_LINK_DENIED)
    set_link (self, STATION_CENTRAL_LINK_CONNECTING, NULL, &actions);
  return actions;
}

/**
 * station_monitor_machine_established:
 * @self: a machine
 * @now_ms: monotonic ms
 *
 * The link to Central is open (past its handshake): authenticate.
 *
 * Returns: what to do: send %STATION_MONITOR_REQUEST_AUTH
 */
StationMonitorActions
station_monitor_machine_established (StationMonitorMachine *self,
                                     gint64                 now_ms)
{
  StationMonitorActions actions = { 0 };

  send (self, STATION_MONITOR_REQUEST_AUTH, &actions);
  return actions;
}

/**
 * station_monitor_machine_sending:
 * @self: a machine
 * @request: what the caller actually sent
 *
 * Says what went instead of the request asked for: `register` for `auth`
 * when no token is stored, nothing when a request could not be sent or
 * must wait (a monitor registers only once it knows its location).
 */
void
station_monitor_machine_sending (StationMonitorMachine *self,
                                 StationMonitorRequest  request)
{
  self->request = request;
}

static void
link_up (StationMonitorMachine       *self,
         StationMonitorMachineConfig *config,
         StationCentralLink           link,
         gint64                       now_ms,
         StationMonitorActions       *actions)
{
  actions->accepted = TRUE;
  actions->take_key = TRUE;
  set_link (self, link, NULL, actions);
  self->backoff_ms = config->reconnect_min_ms;
  self->held_at = 0;
  self->status_at = now_ms;
  if (config->spread_first && config->status_interval_ms > 0)
    self->status_at += next_random (config) % config->status_interval_ms + 1;
}

/* A refusal an operator must fix: close, and retry after the longest
 * delay. */
static void
refuse (StationMonitorMachine             *self,
        const StationMonitorMachineConfig *config,
        const EvLinkResponse              *response,
        StationMonitorActions             *actions)
{
  const char *reason = response->reason != EV_LINK_REASON_NONE
                       ? ev_link_reason_to_string (response->reason)
                       : ev_link_status_to_string (response->status);

  actions->refused = TRUE;
  actions->failed = TRUE;
  actions->close = TRUE;
  set_link (self, STATION_CENTRAL_LINK_DENIED, reason, actions);
  self->backoff_ms = config->reconnect_max_ms;
}

static gboolean
denied_for (const EvLinkResponse *response,
            EvLinkReason          reason)
{
  return response->status == EV_LINK_STATUS_DENIED && response->reason == reason;
}

static void
auth_answered (StationMonitorMachine       *self,
               StationMonitorMachineConfig *config,
               const EvLinkResponse        *response,
               gint64                       now_ms,
               StationMonitorActions       *actions)
{
  if (response->status == EV_LINK_STATUS_AUTHORIZED)
    link_up (self, config, STATION_CENTRAL_LINK_AUTHENTICATED, now_ms, actions);
  else if (denied_for (response, EV_LINK_REASON_UNKNOWN_CP))
    {
      /* A fresh Central database does not know the CP any more. */
      set_link (self, STATION_CENTRAL_LINK_CONNECTING, "unknown-cp", actions);
      send (self, STATION_MONITOR_REQUEST_REGISTER, actions);
    }
  else if (denied_for (response, EV_LINK_REASON_ALREADY_CONNECTED))
    {
      /* The CP is live on another link: one of ours, half-open after a
       * crash, or a stranger with its token. Central takes this one once
       * that link has been silent for 3 s: retry at the usual pace. */
      actions->other_link = TRUE;
      actions->close = TRUE;
      set_link (self, STATION_CENTRAL_LINK_CONNECTING, "already-connected", actions);
    }
  else
    refuse (self, config, response, actions);
}

static void
status_answered (StationMonitorMachine *self,
                 const EvLinkResponse  *response,
                 StationMonitorActions *actions)
{
  if (response->status == EV_LINK_STATUS_OK)
    {
      actions->accepted = TRUE;
      if (self->held_at > 0)
        {
          actions->status_due = self->held_at;
          self->held_at = 0;
          send (self, STATION_MONITOR_REQUEST_STATUS, actions);
        }
    }
  else if (denied_for (response, EV_LINK_REASON_NOT_AUTHENTICATED))
    {
      set_link (self, STATION_CENTRAL_LINK_CONNECTING, "not-authenticated", actions);
      self->status_at = 0;
      self->held_at = 0;
      send (self, STATION_MONITOR_REQUEST_AUTH, actions);
    }
  else
    actions->failed = TRUE;
}

/**
 * station_monitor_machine_response:
 * @self: a machine
 * @config: its parameters
 * @response: (nullable): Central's answer to the outstanding request, or
 *   %NULL for one that could not be read
 * @now_ms: monotonic ms
 *
 * Returns: what to do
 */
StationMonitorActions
station_monitor_machine_response (StationMonitorMachine       *self,
                                  StationMonitorMachineConfig *config,
                                  const EvLinkResponse        *response,
                                  gint64                       now_ms)
{
  StationMonitorActions actions = { 0 };
  StationMonitorRequest request = self->request;

  self->request = STATION_MONITOR_REQUEST_NONE;
  if (request == STATION_MONITOR_REQUEST_NONE)
    return actions;
  if (response == NULL)
    {
      actions.failed = TRUE;
      actions.close = request != STATION_MONITOR_REQUEST_STATUS;
      return actions;
    }

  switch (request)
    {
    case STATION_MONITOR_REQUEST_AUTH:
      auth_answered (self, config, response, now_ms, &actions);
      break;

    case STATION_MONITOR_REQUEST_REGISTER:
      if (response->status != EV_LINK_STATUS_REGISTERED || response->token == NULL)
        refuse (self, config, response, &actions);
      else
        {
          actions.keep_token = TRUE;
          link_up (self, config, STATION_CENTRAL_LINK_REGISTERED, now_ms, &actions);
        }
      break;

    case STATION_MONITOR_REQUEST_STATUS:
      status_answered (self, response, &actions);
      break;

    case STATION_MONITOR_REQUEST_NONE:
    default:
      break;
    }
  return actions;
}

/**
 * station_monitor_machine_changed:
 * @self: a machine
 * @now_ms: monotonic ms
 *
 * What Central was told has changed (the engine's health): it hears of it
 * at once, or as soon as the status on the wire is answered.
 *
 * Returns: what to do
 */
StationMonitorActions
station_monitor_machine_changed (StationMonitorMachine *self,
                                 gint64                 now_ms)
{
  StationMonitorActions actions = { 0 };

  if (!station_monitor_machine_is_up (self))
    return actions;
  if (self->request != STATION_MONITOR_REQUEST_NONE)
    {
      if (self->held_at == 0)
        self->held_at = now_ms;
      return actions;
    }
  actions.status_due = now_ms;
  send (self, STATION_MONITOR_REQUEST_STATUS, &actions);
  return actions;
}

/**
 * station_monitor_machine_tick:
 * @self: a machine
 * @config: its parameters
 * @now_ms: monotonic ms, at station_monitor_machine_get_deadline() or
 *   later (earlier does nothing)
 *
 * The status due now. One request is outstanding at a time: a status due
 * while the one before is unanswered is skipped, or held back with
 * @hold_skipped (the oldest leaves with the answer).
 *
 * Returns: what to do
 */
StationMonitorActions
station_monitor_machine_tick (StationMonitorMachine       *self,
                              StationMonitorMachineConfig *config,
                              gint64                       now_ms)
{  StationMonitorActions actions = { 0 };
  gint64 due = self->status_at;

  if (!station_monitor_machine_is_up (self) || due <= 0 || now_ms < due)
    return actions;

  self->status_at += jittered (config, config->status_interval_ms);
  if (self->status_at <= now_ms)
    self->status_at = now_ms + jittered (config, config->status_interval_ms);

  if (self->request != STATION_MONITOR_REQUEST_NONE)
    {
      actions.skipped = TRUE;
      if (config->hold_skipped && self->held_at == 0)
        self->held_at = due;
      return actions;
    }

  self->held_at = 0;
  actions.status_due = due;
  send (self, STATION_MONITOR_REQUEST_STATUS, &actions);
  return actions;
}

/**
 * station_monitor_machine_lost:
 * @self: a machine
 * @config: its parameters
 *
 * The link to Central is gone (or never came): nothing is outstanding any
 * more, the link is down (or stays denied).
 *
 * Returns: after how long to connect again, ms; each loss doubles the
 *   next delay, up to the longest
 */
guint
station_monitor_machine_lost (StationMonitorMachine       *self,
                              StationMonitorMachineConfig *config)
{
  guint delay = self->backoff_ms;

  self->request = STATION_MONITOR_REQUEST_NONE;
  self->status_at = 0;
  self->held_at = 0;
  if (self->link != STATION_CENTRAL_LINK_DENIED)
    self->link = STATION_CENTRAL_LINK_DOWN;
  self->backoff_ms = MIN (self->backoff_ms * 2, config->reconnect_max_ms);
  return jittered (config, delay);
}

/* station-fleet-links.c: the fleet's monitor links to Central, one framed
 * session a CP over one epoll set: connecting, TLS, auth or register,
 * and the statuses with their latencies. */

#include "config.h"

#include "station-fleet-private.h"

static void cp_act (FleetCp               *cp,
                    StationMonitorActions  actions,
                    const EvLinkResponse  *response);

/* The monitor side ----------------------------------------------------------- */

static gboolean
cp_request (FleetCp       *cp,
            EvLinkRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = ev_link_request_to_json (request, NULL);

  ev_link_request_free (request);
  cp->request_id = ev_link_session_request (fleet_cp_session (cp), json, g_get_monotonic_time (), &error);
  if (cp->request_id == 0)
    {
      g_debug ("%s: cannot send a request: %s", fleet_cp_id (cp), error->message);
      station_monitor_machine_sending (&cp->monitor, STATION_MONITOR_REQUEST_NONE);
      return FALSE;
    }
  return TRUE;
}

/* Registers with the nonce kept beside the tokens until the token is, so
 * that a repeat after a lost answer is answered again. It is read again
 * each time rather than kept in memory: a CP registers seldom, and
 * 10,000 of them stay small. */
static void
send_register (FleetCp *cp)
{
  g_autofree char *location = g_strdup_printf ("Fleet %s", fleet_cp_id (cp));
  g_autofree char *nonce = station_nonce_ensure (cp->fleet->token_dir, fleet_cp_id (cp));

  station_monitor_machine_sending (&cp->monitor, STATION_MONITOR_REQUEST_REGISTER);
  cp_request (cp, ev_link_request_new_register_with_nonce (fleet_cp_id (cp), location, nonce));
}

static void
authenticate (FleetCp *cp)
{
  g_autofree char *token = station_token_load (cp->fleet->token_dir, fleet_cp_id (cp));

  fleet_set_link (cp, CP_LINK_AUTH);
  if (token != NULL)
    cp_request (cp, ev_link_request_new_auth (fleet_cp_id (cp), token));
  else
    send_register (cp);
}

/* What the monitor reports: the engine's state, or BROKEN when its engine
 * does not answer. Its latency counts from @due_ms, when it was meant to
 * leave, not from when it could: a slow answer delays the statuses after
 * it, and that delay is part of what a monitor sees (no coordinated
 * omission). */
static void
send_status_due (FleetCp *cp,
                 gint64   due_ms)
{
  EvEngineHealth health = EV_ENGINE_HEALTH_UNREACHABLE;
  EvCpState state = EV_CP_STATE_BROKEN;

  if (!cp->engine_killed)
    {
      health = station_machine_get_ko (cp->machine) ? EV_ENGINE_HEALTH_KO : EV_ENGINE_HEALTH_OK;
      state = station_machine_get_state (cp->machine);
    }

  cp->intended_us = MIN (due_ms * 1000, g_get_monotonic_time ());
  if (cp_request (cp, ev_link_request_new_status (station_monitor_state_to_report (health, state), health)))
    cp->fleet->counters.status_sent++;
}

static void
keep_token (FleetCp    *cp,
            const char *token)
{
  StationFleet *self = cp->fleet;
  g_autoptr(GError) error = NULL;

  if (!station_token_save (self->token_dir, fleet_cp_id (cp), token, &error))
    {
      self->counters.errors++;
      g_message ("Could not keep the token of %s: %s", fleet_cp_id (cp), error->message);
      return;
    }
  station_nonce_forget (self->token_dir, fleet_cp_id (cp));
}

/* Does what the CP's monitor machine says. */
static void
cp_act (FleetCp               *cp,
        StationMonitorActions  actions,
        const EvLinkResponse  *response)
{
  StationFleet *self = cp->fleet;
  gboolean first_error = self->counters.errors == 0;

  if (actions.failed)
    self->counters.errors++;
  if (actions.keep_token)
    keep_token (cp, response->token);
  /* A CP keeps the key it has when an answer carries none. */
  if (actions.take_key && response->cp_key != NULL &&
      ev_cp_key_from_base64 (response->cp_key, &cp->key, NULL))
    cp->has_key = TRUE;
  if (actions.refused || actions.other_link)
    {
      /* Thousands of CPs may be refused alike: say it once. */
      if (first_error)
        g_message ("Central refused charging point %s: %s", fleet_cp_id (cp), actions.reason);
      else
        g_debug ("Central refused charging point %s: %s", fleet_cp_id (cp), actions.reason);
    }
  if (actions.link_changed && station_monitor_machine_is_up (&cp->monitor))
    fleet_set_link (cp, CP_LINK_UP);

  switch (actions.send)
    {
    case STATION_MONITOR_REQUEST_AUTH:
      authenticate (cp);
      break;
    case STATION_MONITOR_REQUEST_REGISTER:
      send_register (cp);
      break;
    case STATION_MONITOR_REQUEST_STATUS:
      send_status_due (cp, actions.status_due);
      break;
    case STATION_MONITOR_REQUEST_NONE:
    default:
      break;
    }
  if (actions.skipped)
    self->counters.status_skipped++;
  if (actions.close)
    ev_link_session_close (fleet_cp_session (cp));
  fleet_cp_reschedule (cp);
}

static void
session_response_cb (EvLinkSession *session,
                     guint          request_id,
                     const char    *text,
                     gsize          len,
                     gpointer       user_data)
{
  FleetCp *cp = user_data;
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  gboolean status = cp->monitor.request == STATION_MONITOR_REQUEST_STATUS;

  if (request_id != cp->request_id)
    return;
  response = ev_link_response_from_json (text, len, &error);
  if (response == NULL)
    g_debug ("%s: bad response from Central: %s", fleet_cp_id (cp), error->message);
  else if (status && response->status == EV_LINK_STATUS_OK)
    {
      cp->fleet->counters.status_answered++;
      fleet_record_latency (&cp->fleet->counters, g_get_monotonic_time () - cp->intended_us);
    }
  cp_act (cp, station_monitor_machine_response (&cp->monitor, &cp->fleet->monitor_config, response, fleet_now_ms ()), response);
}

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  FleetCp *cp = user_data;

  cp_act (cp, station_monitor_machine_established (&cp->monitor, fleet_now_ms ()), NULL);
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  FleetCp *cp = user_data;

  /* Its conn closes once this returns, and says so (conn_closed_cb()). */
  g_debug ("%s: link to Central closed: %s", fleet_cp_id (cp), reason != NULL ? reason->message : "");
  if (!cp->fleet->shutting_down && cp->monitor.link != STATION_CENTRAL_LINK_DENIED)
    cp->fleet->counters.errors++;
}

static const EvLinkSessionCallbacks session_callbacks = {
  .established = session_established_cb,
  .response_received = session_response_cb,
  .closed = session_closed_cb,
};

/* The status due now, if any (see station_monitor_machine_tick()). */
void
fleet_send_status (FleetCp *cp,
                   gint64   now)
{
  cp_act (cp, station_monitor_machine_tick (&cp->monitor, &cp->fleet->monitor_config, now), NULL);
}

/* The link -------------------------------------------------------------------- */

/* The link is gone: try again after the backoff (0.5 s doubling to 5 s,
 * 5 s after a refusal). A killed monitor starts afresh when revived. A
 * conn still open closes at once, without telling us. */
void
fleet_cp_lost (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  EvLinkConn *conn = g_steal_pointer (&cp->conn);
  guint delay;

  if (conn != NULL)
    {
      ev_link_conn_set_user_data (conn, NULL, NULL);
      ev_link_conn_close (conn);
    }
  delay = station_monitor_machine_lost (&cp->monitor, &self->monitor_config);
  if (cp->link == CP_LINK_KILLED)
    {
      station_monitor_machine_reset (&cp->monitor, &self->monitor_config);
      return;
    }
  fleet_set_link (cp, CP_LINK_IDLE);
  if (self->shutting_down)
    return;

  cp->retry_at = fleet_now_ms () + delay;
  self->counters.reconnects++;
  fleet_cp_reschedule (cp);
}

/* Connected, and TLS negotiated if any: the session starts right after
 * this (it sends ENQ). */
static void
conn_opened_cb (EvLinkConn *conn,
                gpointer    user_data)
{
  FleetCp *cp = user_data;

  ev_link_conn_set_timer (conn, -1);
  fleet_set_link (cp, CP_LINK_HANDSHAKE);
  ev_link_conn_set_session (conn, ev_link_session_new (EV_LINK_ROLE_CLIENT, &session_callbacks, cp));
}

static void
conn_timer_cb (EvLinkConn *conn,
               gint64      now_us,
               gpointer    user_data)
{
  FleetCp *cp = user_data;

  g_debug ("%s: connecting to Central timed out", fleet_cp_id (cp));
  cp->fleet->counters.errors++;
  fleet_cp_lost (cp);
}

static void
conn_closed_cb (EvLinkConn   *conn,
                const GError *reason,
                gpointer      user_data)
{
  FleetCp *cp = user_data;
  StationFleet *self = cp->fleet;

  if (reason != NULL && reason->domain == EV_TLS_ERROR)
    {
      if (self->counters.errors++ == 0)
        g_message ("TLS with Central at %s failed for %s: %s", self->central, fleet_cp_id (cp), reason->message);
    }
  else if (reason != NULL)
    {
      g_debug ("%s: cannot reach Central: %s", fleet_cp_id (cp), reason->message);
      self->counters.errors++;
    }
  cp->conn = NULL;
  fleet_cp_lost (cp);
}

static const EvLinkConnFuncs conn_funcs = {
  .opened = conn_opened_cb,
  .timer = conn_timer_cb,
  .closed = conn_closed_cb,
};

/* Connects @cp to Central, through TLS if the fleet has it; it has
 * CONNECT_TIMEOUT_MS to get there. */
void
fleet_cp_connect (FleetCp *cp,
                  gint64   now)
{
  StationFleet *self = cp->fleet;
  g_autoptr(GError) error = NULL;

  cp->conn = ev_link_set_connect (self->links, (struct sockaddr *) &self->address, self->address_len,
                                  &conn_funcs, cp, &error);
  if (cp->conn == NULL)
    {
      if (self->counters.errors++ == 0)
        g_message ("Cannot connect %s to Central at %s: %s", fleet_cp_id (cp), self->central, error->message);
      fleet_cp_lost (cp);
      return;
    }

  if (self->tls != NULL)
    ev_link_conn_set_tls (cp->conn, ev_tls_conn_new_client (self->tls, ev_link_conn_get_fd (cp->conn),
                                                            self->central_host, NULL));
  ev_link_conn_set_timer (cp->conn, (now + CONNECT_TIMEOUT_MS) * 1000);
  fleet_set_link (cp, CP_LINK_CONNECTING);
  ev_link_conn_update (cp->conn);
}

/* Sends what the session queued and moves the CP's timer after anything
 * happened outside the link's own callbacks. */
void
fleet_cp_update (FleetCp *cp)
{
  if (cp->conn != NULL)
    ev_link_conn_update (cp->conn);
  fleet_cp_reschedule (cp);
}

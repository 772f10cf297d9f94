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
  cp->request_id = ev_link_session_request (cp->session, json, g_get_monotonic_time (), &error);
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
    ev_link_session_close (cp->session);
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

  /* The socket is closed by fleet_cp_update(), outside the session's calls. */
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

/* Sockets -------------------------------------------------------------------- */

static void
set_events (FleetCp *cp,
            guint32  events)
{
  if (cp->events == events)
    return;
  if (ev_epoll_source_modify (cp->fleet->source, cp->fd, events, cp))
    cp->events = events;
}

static void
close_socket (FleetCp *cp)
{
  if (cp->fd < 0)
    return;
  ev_epoll_source_remove (cp->fleet->source, cp->fd);
  if (cp->tls != NULL)
    ev_tls_conn_bye (cp->tls);
  g_clear_pointer (&cp->tls, ev_tls_conn_free);
  close (cp->fd);
  cp->fd = -1;
  cp->events = 0;
}

/* The link is gone: try again after the backoff (0.5 s doubling to 5 s,
 * 5 s after a refusal). A killed monitor starts afresh when revived. */
void
fleet_cp_lost (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  guint delay;

  close_socket (cp);
  g_clear_pointer (&cp->session, ev_link_session_free);
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
}

void
fleet_cp_connect (FleetCp *cp,
                  gint64   now)
{
  StationFleet *self = cp->fleet;
  int one = 1;
  int fd;

  fd = socket (self->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0)
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fd < 0 ||
      (connect (fd, (struct sockaddr *) &self->address, self->address_len) != 0 && errno != EINPROGRESS) ||
      !ev_epoll_source_add (self->source, fd, EPOLLOUT, cp))
    {
      if (self->counters.errors++ == 0)
        g_message ("Cannot connect %s to Central at %s: %s", fleet_cp_id (cp), self->central, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      fleet_cp_lost (cp);
      return;
    }

  cp->fd = fd;
  cp->events = EPOLLOUT;
  fleet_set_link (cp, CP_LINK_CONNECTING);
  cp->retry_at = now + CONNECT_TIMEOUT_MS;
}

static void
cp_start_session (FleetCp *cp)
{
  cp->session = ev_link_session_new (EV_LINK_ROLE_CLIENT, &session_callbacks, cp);
  ev_link_session_start (cp->session, g_get_monotonic_time ());
}

/* Drives the TLS handshake; the session starts once it is done. */
void
fleet_cp_tls_handshake (FleetCp *cp)
{
  g_autoptr(GError) error = NULL;

  switch (ev_tls_conn_handshake (cp->tls, &error))
    {
    case EV_TLS_IO_OK:
      cp_start_session (cp);
      return;
    case EV_TLS_IO_AGAIN:
      set_events (cp, ev_tls_conn_wants_write (cp->tls) ? EPOLLOUT : EPOLLIN | EPOLLRDHUP);
      return;
    case EV_TLS_IO_EOF:
    case EV_TLS_IO_ERROR:
    default:
      if (cp->fleet->counters.errors++ == 0)
        g_message ("TLS with Central at %s failed for %s: %s", cp->fleet->central, fleet_cp_id (cp),
                   error != NULL ? error->message : "the connection closed");
      fleet_cp_lost (cp);
      return;
    }
}

/* connect() finished: start the session (it sends ENQ), or TLS first. */
void
fleet_cp_connected (FleetCp *cp)
{
  socklen_t len = sizeof (int);
  int error = 0;

  if (getsockopt (cp->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
    {
      g_debug ("%s: cannot reach Central: %s", fleet_cp_id (cp), g_strerror (error != 0 ? error : errno));
      cp->fleet->counters.errors++;
      fleet_cp_lost (cp);
      return;
    }

  fleet_set_link (cp, CP_LINK_HANDSHAKE);
  if (cp->fleet->tls == NULL)
    {
      cp_start_session (cp);
      return;
    }

  cp->tls = ev_tls_conn_new_client (cp->fleet->tls, cp->fd, cp->fleet->central_host, NULL);
  cp->retry_at = fleet_now_ms () + CONNECT_TIMEOUT_MS;
  fleet_cp_tls_handshake (cp);
}

/* Writes what the kernel takes now; EPOLLOUT brings the rest. */
void
fleet_cp_flush (FleetCp *cp)
{
  const guint8 *data;
  gsize len = 0;
  gssize sent;

  if (cp->fd < 0 || !ev_link_session_has_output (cp->session))
    return;
  if (cp->tls != NULL)
    {
      ev_tls_conn_flush_session (cp->tls, cp->session);
      return;
    }

  data = ev_link_session_peek_output (cp->session, &len);
  sent = send (cp->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent > 0)
    ev_link_session_consume_output (cp->session, sent);
  else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    {
      g_autoptr(GError) error = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                                             "%s", g_strerror (errno));

      if (ev_link_session_get_state (cp->session) == EV_LINK_SESSION_STATE_CLOSED)
        ev_link_session_consume_output (cp->session, len);
      else
        ev_link_session_fail (cp->session, error);
    }
}

void
fleet_cp_read (FleetCp *cp,
               guint32  events)
{
  StationFleet *self = cp->fleet;

  /* Until the socket is empty: a record may hold more than the buffer,
   * and what stays inside GnuTLS wakes no epoll. */
  if (cp->tls != NULL)
    {
      ev_tls_conn_read_session (cp->tls, cp->session, self->buffer, sizeof self->buffer, G_MAXSIZE);
      return;
    }

  while (cp->session != NULL && ev_link_session_get_state (cp->session) != EV_LINK_SESSION_STATE_CLOSED)
    {
      gssize n = recv (cp->fd, self->buffer, sizeof self->buffer, MSG_DONTWAIT);

      if (n > 0)
        {
          ev_link_session_receive (cp->session, self->buffer, n, g_get_monotonic_time ());
          if ((gsize) n == sizeof self->buffer || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            continue;
          return;
        }
      if (n == 0)
        ev_link_session_peer_closed (cp->session);
      else if (errno == EINTR)
        continue;
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          g_autoptr(GError) error = g_error_new (EV_LINK_ERROR, EV_LINK_ERROR_PEER_CLOSED,
                                                 "%s", g_strerror (errno));

          ev_link_session_fail (cp->session, error);
        }
      return;
    }
}

/* Brings the socket, its epoll mask and the CP's timer in line with its
 * session after anything happened. */
void
fleet_cp_update (FleetCp *cp)
{
  if (cp->session != NULL)
    {
      fleet_cp_flush (cp);
      if (ev_link_session_get_state (cp->session) == EV_LINK_SESSION_STATE_CLOSED)
        fleet_cp_lost (cp);
      else
        set_events (cp, EPOLLIN | EPOLLRDHUP | (ev_link_session_has_output (cp->session) ? EPOLLOUT : 0));
    }
  fleet_cp_reschedule (cp);
}

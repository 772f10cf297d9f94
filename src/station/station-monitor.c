#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ev-enum-types.h"
#include "ev-link.h"
#include "ev-protocol.h"
#include "ev-tls.h"
#include "station-machine.h"
#include "station-monitor.h"
#include "station-util.h"

G_DEFINE_ENUM_TYPE (StationCentralLink, station_central_link,
                    G_DEFINE_ENUM_VALUE (STATION_CENTRAL_LINK_DOWN, "down"),
                    G_DEFINE_ENUM_VALUE (STATION_CENTRAL_LINK_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (STATION_CENTRAL_LINK_AUTHENTICATED, "authenticated"),
                    G_DEFINE_ENUM_VALUE (STATION_CENTRAL_LINK_REGISTERED, "registered"),
                    G_DEFINE_ENUM_VALUE (STATION_CENTRAL_LINK_DENIED, "denied"))

G_DEFINE_ENUM_TYPE (StationEngineHealth, station_engine_health,
                    G_DEFINE_ENUM_VALUE (EV_ENGINE_HEALTH_OK, "ok"),
                    G_DEFINE_ENUM_VALUE (EV_ENGINE_HEALTH_KO, "ko"),
                    G_DEFINE_ENUM_VALUE (EV_ENGINE_HEALTH_UNREACHABLE, "unreachable"))

/**
 * station_central_link_to_string:
 * @link: a link state
 *
 * Returns: its name in events: `down`, `connecting`, `authenticated`,
 *   `registered` or `denied`
 */
const char *
station_central_link_to_string (StationCentralLink link)
{
  static const char * const names[] = { "down", "connecting", "authenticated", "registered", "denied" };

  g_return_val_if_fail ((guint) link < G_N_ELEMENTS (names), NULL);
  return names[link];
}

/* One of the two links the monitor keeps up, with its reconnection. */
typedef struct
{
  const char *name;
  char *address;
  EvLink *link;
  gboolean connecting;
  guint delay_ms;
  guint retry_id;
} Peer;

struct _StationMonitor
{
  GObject parent_instance;

  char *cp_id;
  char *token_dir;
  char *pairing_secret_file;
  char *pairing_secret;       /* from start on */
  char *nonce;                /* the registration's, until the token is kept */
  char *cp_key;               /* Central's key for the CP, for the engine; in memory only */
  guint interval_ms;
  guint health_timeout_ms;
  guint reconnect_min_ms;
  guint reconnect_max_ms;
  gboolean tls;
  char *tls_ca;
  char *tls_fingerprint;
  char *tls_client_cert;
  char *tls_client_key;
  EvTlsClient *tls_client;

  Peer engine;
  Peer central;
  GCancellable *cancellable;
  guint tick_id;
  guint health_timeout_id;    /* the engine's answer watchdog */
  gboolean health_pending;
  gboolean status_pending;
  gboolean status_stale;      /* what Central was told changed meanwhile */
  gboolean central_busy;      /* auth or register outstanding */
  gboolean engine_proved;     /* this engine link has sent its proof */

  gboolean started;
  gboolean engine_connected;  /* hello answered ok */
  EvEngineHealth engine_health;
  EvCpState engine_state;
  gint64 last_check;
  StationCentralLink central_link;
  char *location;
  double price;
  gboolean has_price;
  gboolean approval_pending;  /* Central says the CP awaits approval */
  EvCpState reported_state;
  EvEngineHealth reported_health;
  gboolean reported_once;
};

G_DEFINE_FINAL_TYPE (StationMonitor, station_monitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CP_ID,
  PROP_ENGINE,
  PROP_CENTRAL,
  PROP_TOKEN_DIR,
  PROP_PAIRING_SECRET_FILE,
  PROP_INTERVAL,
  PROP_HEALTH_TIMEOUT,
  PROP_RECONNECT_MIN,
  PROP_RECONNECT_MAX,
  PROP_TLS,
  PROP_TLS_CA,
  PROP_TLS_FINGERPRINT,
  PROP_TLS_CLIENT_CERT,
  PROP_TLS_CLIENT_KEY,
  PROP_STARTED,
  PROP_ENGINE_CONNECTED,
  PROP_ENGINE_HEALTH,
  PROP_ENGINE_STATE,
  PROP_LAST_CHECK,
  PROP_CENTRAL_LINK,
  PROP_LOCATION,
  PROP_PRICE,
  PROP_REPORTED_STATE,
  PROP_APPROVAL_PENDING,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_peer (StationMonitor *self,
                          Peer           *peer);
static void authenticate (StationMonitor *self);
static void check_engine (StationMonitor *self);
static void report_change (StationMonitor *self);
static void peer_lost (StationMonitor *self,
                       Peer           *peer,
                       const char     *reason);

static void
emit (StationMonitor         *self,
      StationEventKind        kind,
      const StationEventData *data)
{
  ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (kind, NULL, data));
}

static void
emit_error (StationMonitor *self,
            const char     *message)
{
  g_message ("%s", message);
  ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_ERROR, message, NULL));
}

static void
notify (StationMonitor *self,
        int             prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Tokens ---------------------------------------------------------------------- */

/**
 * station_monitor_default_token_dir:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/tokens`
 */
char *
station_monitor_default_token_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "tokens", NULL);
}

static char *
load_token (StationMonitor *self)
{
  return station_token_load (self->token_dir, self->cp_id);
}

static gboolean
save_token (StationMonitor  *self,
            const char      *token,
            GError         **error)
{
  return station_token_save (self->token_dir, self->cp_id, token, error);
}

/* Requests ------------------------------------------------------------------- */

typedef void (*ResponseFunc) (StationMonitor *self,
                              EvLinkResponse *response,
                              const GError   *error);

typedef struct
{
  StationMonitor *self;
  Peer *peer;
  ResponseFunc func;
} Pending;

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(EvLinkResponse) response = NULL;

  text = ev_link_request_finish (EV_LINK (source), result, &error);
  /* Cancelled: the monitor is shutting down or gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* An answer on a link that has since been replaced. */
  if (pending->peer->link != EV_LINK (source))
    return;

  if (text != NULL)
    response = ev_link_response_from_json (text, -1, &error);
  if (pending->func != NULL)
    pending->func (pending->self, response, error);
}

static void
send_request (StationMonitor *self,
              Peer           *peer,
              EvLinkRequest  *request,
              ResponseFunc    func)
{
  g_autofree char *json = ev_link_request_to_json (request, NULL);
  Pending *pending;

  ev_link_request_free (request);
  if (peer->link == NULL)
    return;

  pending = g_new0 (Pending, 1);
  pending->self = self;
  pending->peer = peer;
  pending->func = func;
  ev_link_request_async (peer->link, json, self->cancellable, request_cb, pending);
}

/* The engine ------------------------------------------------------------------ */

static void
set_engine_health (StationMonitor *self,
                   EvEngineHealth  health,
                   EvCpState       state)
{
  EvEngineHealth previous = self->engine_health;
  StationEventData data = { .health = health, .previous_health = previous, .state = state };

  if (state != self->engine_state)
    {
      self->engine_state = state;
      notify (self, PROP_ENGINE_STATE);
    }
  if (health == previous)
    return;

  self->engine_health = health;
  notify (self, PROP_ENGINE_HEALTH);

  emit (self, STATION_EVENT_ENGINE_HEALTH, &data);
  report_change (self);
}

static gboolean
central_is_up (StationMonitor *self)
{
  return self->central_link == STATION_CENTRAL_LINK_AUTHENTICATED ||
         self->central_link == STATION_CENTRAL_LINK_REGISTERED;
}

/* What the engine must know about Central: whether it is reachable, and
 * the price. */
static void
tell_engine (StationMonitor *self)
{
  if (!self->engine_connected)
    return;

  send_request (self, &self->engine, ev_link_request_new_central (central_is_up (self)), NULL);
  if (self->has_price)
    send_request (self, &self->engine, ev_link_request_new_price (self->price), NULL);
  if (self->cp_key != NULL)
    send_request (self, &self->engine, ev_link_request_new_key (self->cp_id, self->cp_key), NULL);
}

/* The key Central issued the CP goes to the engine, which signs its Kafka
 * messages with it (docs/protocol.md, "Charging-point keys"). */
static void
set_cp_key (StationMonitor *self,
            const char     *key)
{
  if (key == NULL || g_strcmp0 (key, self->cp_key) == 0)
    return;

  g_free (self->cp_key);
  self->cp_key = g_strdup (key);
  if (self->engine_connected)
    send_request (self, &self->engine, ev_link_request_new_key (self->cp_id, self->cp_key), NULL);
}

/* The engine must answer `hello` and `health` within the health time-out.
 * One request is outstanding per link, so a request it swallowed (a stall)
 * would hold the link until the 10 s response time-out, and an engine
 * answering again would be seen only then. The link is closed and opened
 * again at once instead: the engine is there, only silent. */
static void
engine_silent_cb (gpointer user_data)
{
  StationMonitor *self = user_data;
  g_autofree char *reason = g_strdup_printf (_("The engine did not answer within %u ms"),
                                             self->health_timeout_ms);

  self->health_timeout_id = 0;
  self->engine.delay_ms = self->reconnect_min_ms;
  peer_lost (self, &self->engine, reason);
}

static void
watch_engine_answer (StationMonitor *self)
{
  g_clear_handle_id (&self->health_timeout_id, g_source_remove);
  self->health_timeout_id = g_timeout_add_once (self->health_timeout_ms, engine_silent_cb, self);
}

static void
health_response (StationMonitor *self,
                 EvLinkResponse *response,
                 const GError   *error)
{
  self->health_pending = FALSE;
  g_clear_handle_id (&self->health_timeout_id, g_source_remove);

  if (response == NULL || (response->status != EV_LINK_STATUS_OK && response->status != EV_LINK_STATUS_KO))
    {
      g_debug ("Bad health answer: %s", error != NULL ? error->message : "unexpected status");
      set_engine_health (self, EV_ENGINE_HEALTH_UNREACHABLE, self->engine_state);
      return;
    }

  self->last_check = ev_protocol_now_ms ();
  notify (self, PROP_LAST_CHECK);
  set_engine_health (self,
                     response->status == EV_LINK_STATUS_OK ? EV_ENGINE_HEALTH_OK : EV_ENGINE_HEALTH_KO,
                     response->has_state ? response->state : self->engine_state);
}

static void
hello_response (StationMonitor *self,
                EvLinkResponse *response,
                const GError   *error)
{
  g_autofree char *message = NULL;

  g_clear_handle_id (&self->health_timeout_id, g_source_remove);

  /* The engine asks us to prove the pairing: answer its challenge, the
   * proof of the secret without the secret (docs/protocol.md). */
  if (response != NULL && response->status == EV_LINK_STATUS_DENIED &&
      response->reason == EV_LINK_REASON_NOT_PAIRED && response->challenge != NULL &&
      !self->engine_proved)
    {
      self->engine_proved = TRUE;
      watch_engine_answer (self);
      send_request (self, &self->engine,
                    ev_link_request_new_hello_paired (self->cp_id, response->challenge, self->pairing_secret),
                    hello_response);
      return;
    }

  if (response == NULL || response->status != EV_LINK_STATUS_OK)
    {
      const char *reason = response != NULL ? ev_link_reason_to_string (response->reason)
                                            : error->message;
      StationEventData denied = { .reason = (char *) (reason != NULL ? reason : "") };

      emit (self, STATION_EVENT_ENGINE_DENIED, &denied);
      message = g_strdup_printf (_("The engine at %s refused charging point %s: %s"),
                                 self->engine.address, self->cp_id, reason != NULL ? reason : "");
      emit_error (self, message);
      /* Reconnecting is all we can do; the closed handler retries slowly. */
      self->engine.delay_ms = self->reconnect_max_ms;
      ev_link_close (self->engine.link);
      return;
    }

  self->engine_connected = TRUE;
  self->engine.delay_ms = self->reconnect_min_ms;
  notify (self, PROP_ENGINE_CONNECTED);
  if (response->location != NULL && g_strcmp0 (response->location, self->location) != 0)
    {
      g_free (self->location);
      self->location = g_strdup (response->location);
      notify (self, PROP_LOCATION);
    }

  {
    StationEventData connected = {
      .location = response->location,
      .has_state = response->has_state,
      .state = response->state,
    };

    emit (self, STATION_EVENT_ENGINE_CONNECTED, &connected);
  }

  if (response->has_state)
    set_engine_health (self, self->engine_health, response->state);
  tell_engine (self);
  check_engine (self);

  /* A CP without a token registers with the engine's location. */
  if (self->central.link != NULL && !central_is_up (self) && !self->central_busy)
    authenticate (self);
}

static void
check_engine (StationMonitor *self)
{
  if (!self->engine_connected)
    {
      set_engine_health (self, EV_ENGINE_HEALTH_UNREACHABLE, self->engine_state);
      return;
    }
  if (self->health_pending)
    return;

  self->health_pending = TRUE;
  watch_engine_answer (self);
  send_request (self, &self->engine, ev_link_request_new_health (), health_response);
}

/* Central ---------------------------------------------------------------------- */

static void
set_central_link (StationMonitor     *self,
                  StationCentralLink  link,
                  const char         *reason)
{
  gboolean was_up = central_is_up (self);
  StationEventData data = { .link = link, .reason = (char *) reason };

  if (link == self->central_link && reason == NULL)
    return;

  self->central_link = link;
  notify (self, PROP_CENTRAL_LINK);

  data.has_price = central_is_up (self) && self->has_price;
  data.price = self->price;
  emit (self, STATION_EVENT_CENTRAL, &data);

  if (was_up != central_is_up (self))
    {
      /* Report at once, and let the engine show it. */
      self->reported_once = FALSE;
      tell_engine (self);
    }
}

static void
set_price (StationMonitor *self,
           double          price)
{
  StationEventData data = { .has_price = TRUE, .price = price };

  if (self->has_price && self->price == price)
    return;

  self->price = price;
  self->has_price = TRUE;
  notify (self, PROP_PRICE);
  emit (self, STATION_EVENT_PRICE, &data);

  if (self->engine_connected)
    send_request (self, &self->engine, ev_link_request_new_price (price), NULL);
}

/* What Central's last answer said of the operator's approval. */
static void
set_approval_pending (StationMonitor *self,
                      gboolean        pending)
{
  StationEventData data = { .up = pending };

  if (self->approval_pending == pending)
    return;
  self->approval_pending = pending;
  notify (self, PROP_APPROVAL_PENDING);
  emit (self, STATION_EVENT_APPROVAL, &data);
}

/* A refusal an operator must fix: keep the link closed for a while. */
static void
central_refused (StationMonitor *self,
                 const char     *reason)
{
  g_autofree char *message = g_strdup_printf (_("Central refused charging point %s: %s"),
                                              self->cp_id, reason);

  emit_error (self, message);
  set_central_link (self, STATION_CENTRAL_LINK_DENIED, reason);
  self->central.delay_ms = self->reconnect_max_ms;
  ev_link_close (self->central.link);
}

static void
register_response (StationMonitor *self,
                   EvLinkResponse *response,
                   const GError   *error)
{
  g_autoptr(GError) save_error = NULL;

  self->central_busy = FALSE;
  if (response == NULL)
    return;  /* The link closed: the closed handler reconnects. */

  if (response->status != EV_LINK_STATUS_REGISTERED || response->token == NULL)
    {
      central_refused (self, response->reason != EV_LINK_REASON_NONE
                             ? ev_link_reason_to_string (response->reason)
                             : ev_link_status_to_string (response->status));
      return;
    }

  if (!save_token (self, response->token, &save_error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not keep the token of %s: %s"),
                                                  self->cp_id, save_error->message);
      emit_error (self, message);
    }
  else
    {
      station_nonce_forget (self->token_dir, self->cp_id);
      g_clear_pointer (&self->nonce, g_free);
    }

  self->central.delay_ms = self->reconnect_min_ms;
  if (response->has_price)
    set_price (self, response->price);
  set_cp_key (self, response->cp_key);
  set_approval_pending (self, response->pending);
  set_central_link (self, STATION_CENTRAL_LINK_REGISTERED, NULL);
}

static void
send_register (StationMonitor *self)
{
  if (self->location == NULL)
    {
      /* Wait for the engine to say where it is (hello_response). */
      g_debug ("Waiting for the engine's location before registering %s", self->cp_id);
      return;
    }

  /* The same nonce until the token is kept: a repeat after a lost answer
   * is then answered again (docs/protocol.md). */
  if (self->nonce == NULL)
    self->nonce = station_nonce_ensure (self->token_dir, self->cp_id);
  self->central_busy = TRUE;
  send_request (self, &self->central,
                ev_link_request_new_register_with_nonce (self->cp_id, self->location, self->nonce),
                register_response);
}

static void
auth_response (StationMonitor *self,
               EvLinkResponse *response,
               const GError   *error)
{
  self->central_busy = FALSE;
  if (response == NULL)
    return;

  if (response->status == EV_LINK_STATUS_AUTHORIZED)
    {
      self->central.delay_ms = self->reconnect_min_ms;
      if (response->has_price)
        set_price (self, response->price);
      set_cp_key (self, response->cp_key);
      set_approval_pending (self, response->pending);
      set_central_link (self, STATION_CENTRAL_LINK_AUTHENTICATED, NULL);
      return;
    }

  /* A fresh Central database does not know us any more: register again. */
  if (response->status == EV_LINK_STATUS_DENIED && response->reason == EV_LINK_REASON_UNKNOWN_CP)
    {
      g_message ("Central does not know %s: registering it again", self->cp_id);
      set_central_link (self, STATION_CENTRAL_LINK_CONNECTING, "unknown-cp");
      send_register (self);
      return;
    }

  /* Our CP is live on another link: an earlier link of ours, half-open
   * after a crash, or a stranger with our token. Central takes us once
   * that link has been silent for 3 s, so retry at the usual pace. */
  if (response->status == EV_LINK_STATUS_DENIED && response->reason == EV_LINK_REASON_ALREADY_CONNECTED)
    {
      g_autofree char *message = g_strdup_printf (_("Central says charging point %s is connected on another link; trying again"),
                                                  self->cp_id);

      emit_error (self, message);
      set_central_link (self, STATION_CENTRAL_LINK_CONNECTING, "already-connected");
      ev_link_close (self->central.link);
      return;
    }

  central_refused (self, response->reason != EV_LINK_REASON_NONE
                         ? ev_link_reason_to_string (response->reason)
                         : ev_link_status_to_string (response->status));
}

static void
authenticate (StationMonitor *self)
{
  g_autofree char *token = load_token (self);

  if (token != NULL)
    {
      self->central_busy = TRUE;
      send_request (self, &self->central, ev_link_request_new_auth (self->cp_id, token), auth_response);
    }
  else
    send_register (self);
}

static void
status_response (StationMonitor *self,
                 EvLinkResponse *response,
                 const GError   *error)
{
  gboolean stale = self->status_stale;

  self->status_pending = FALSE;
  self->status_stale = FALSE;
  if (response == NULL)
    return;

  if (response->status == EV_LINK_STATUS_OK)
    {
      if (response->has_price)
        set_price (self, response->price);
      set_approval_pending (self, response->pending);
      /* The engine's health changed while this status was out. */
      if (stale)
        report_change (self);
      return;
    }

  if (response->status == EV_LINK_STATUS_DENIED && response->reason == EV_LINK_REASON_NOT_AUTHENTICATED)
    {
      set_central_link (self, STATION_CENTRAL_LINK_CONNECTING, "not-authenticated");
      authenticate (self);
      return;
    }

  g_message ("Central answered status with %s (%s)", ev_link_status_to_string (response->status),
             ev_link_reason_to_string (response->reason));
}

/* What Central is told: the engine's state, but never DISCONNECTED (which
 * only Central may decide), and BROKEN when nobody answers. */
static EvCpState
state_to_report (StationMonitor *self)
{
  if (self->engine_health == EV_ENGINE_HEALTH_UNREACHABLE || self->engine_state == EV_CP_STATE_DISCONNECTED)
    return EV_CP_STATE_BROKEN;
  return self->engine_state;
}

static void
report_status (StationMonitor *self)
{
  EvCpState state = state_to_report (self);

  if (!central_is_up (self) || self->status_pending)
    return;

  self->status_pending = TRUE;
  send_request (self, &self->central, ev_link_request_new_status (state, self->engine_health),
                status_response);

  if (!self->reported_once || self->engine_health != self->reported_health || state != self->reported_state)
    {
      StationEventData data = { .state = state, .health = self->engine_health };

      emit (self, STATION_EVENT_STATUS, &data);
    }
  self->reported_once = TRUE;
  self->reported_health = self->engine_health;
  if (state != self->reported_state)
    {
      self->reported_state = state;
      notify (self, PROP_REPORTED_STATE);
    }
}

/* Central hears of a change at once, not at the next tick. */
static void
report_change (StationMonitor *self)
{
  if (self->status_pending)
    self->status_stale = TRUE;
  else
    report_status (self);
}

static void
tick_cb (gpointer user_data)
{
  StationMonitor *self = user_data;

  check_engine (self);
  report_status (self);
}

static gboolean
tick_source_cb (gpointer user_data)
{
  tick_cb (user_data);
  return G_SOURCE_CONTINUE;
}

/* Links and reconnection ---------------------------------------------------- */

static void
peer_retry_cb (StationMonitor *self,
               Peer           *peer)
{
  peer->retry_id = 0;
  connect_peer (self, peer);
}

static void
engine_retry_cb (gpointer user_data)
{
  StationMonitor *self = user_data;

  peer_retry_cb (self, &self->engine);
}

static void
central_retry_cb (gpointer user_data)
{
  StationMonitor *self = user_data;

  peer_retry_cb (self, &self->central);
}

static void
schedule_retry (StationMonitor *self,
                Peer           *peer)
{
  guint delay = peer->delay_ms;

  if (!self->started || peer->retry_id != 0)
    return;

  peer->delay_ms = MIN (peer->delay_ms * 2, self->reconnect_max_ms);
  peer->retry_id = g_timeout_add_once (delay, peer == &self->engine ? engine_retry_cb : central_retry_cb, self);
}

/* A link went away, or never came: forget what it told us and retry. */
static void
peer_lost (StationMonitor *self,
           Peer           *peer,
           const char     *reason)
{
  if (peer->link != NULL)
    {
      g_signal_handlers_disconnect_by_data (peer->link, self);
      ev_link_close (peer->link);
      g_clear_object (&peer->link);
    }

  if (peer == &self->engine)
    {
      StationEventData data = { .reason = (char *) reason };

      self->health_pending = FALSE;
      g_clear_handle_id (&self->health_timeout_id, g_source_remove);
      if (self->engine_connected)
        {
          self->engine_connected = FALSE;
          notify (self, PROP_ENGINE_CONNECTED);
        }
      emit (self, STATION_EVENT_ENGINE_DOWN, &data);
      set_engine_health (self, EV_ENGINE_HEALTH_UNREACHABLE, self->engine_state);
    }
  else
    {
      self->status_pending = FALSE;
      self->status_stale = FALSE;
      self->central_busy = FALSE;
      if (self->central_link != STATION_CENTRAL_LINK_DENIED)
        set_central_link (self, STATION_CENTRAL_LINK_DOWN, reason);
    }

  schedule_retry (self, peer);
}

static void
link_closed_cb (EvLink       *link,
                const GError *reason,
                gpointer      user_data)
{
  StationMonitor *self = user_data;
  Peer *peer = link == self->engine.link ? &self->engine : &self->central;

  if (peer->link != link)
    return;
  peer_lost (self, peer, reason != NULL ? reason->message : "closed");
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autofree Pending *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EvLink) link = ev_link_connect_finish (result, &error);
  StationMonitor *self;
  Peer *peer;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = pending->self;
  peer = pending->peer;
  peer->connecting = FALSE;

  if (link == NULL)
    {
      g_debug ("Cannot reach the %s at %s: %s", peer->name, peer->address, error->message);
      peer_lost (self, peer, error->message);
      return;
    }

  peer->link = g_steal_pointer (&link);
  g_signal_connect (peer->link, "closed", G_CALLBACK (link_closed_cb), self);

  if (peer == &self->engine)
    {
      self->engine_proved = FALSE;
      watch_engine_answer (self);
      send_request (self, peer, ev_link_request_new_hello (self->cp_id), hello_response);
    }
  else
    authenticate (self);
}

static void
connect_peer (StationMonitor *self,
              Peer           *peer)
{
  Pending *pending;

  if (peer->connecting || peer->link != NULL)
    return;

  if (peer == &self->central && self->central_link != STATION_CENTRAL_LINK_DENIED)
    set_central_link (self, STATION_CENTRAL_LINK_CONNECTING, NULL);

  pending = g_new0 (Pending, 1);
  pending->self = self;
  pending->peer = peer;
  peer->connecting = TRUE;
  ev_link_connect_to_host_tls_async (peer->address, 0, 0,
                                     peer == &self->central ? self->tls_client : NULL,
                                     self->cancellable, connected_cb, pending);
}

/* GObject ---------------------------------------------------------------------- */

static void
peer_clear (StationMonitor *self,
            Peer           *peer)
{
  g_clear_handle_id (&peer->retry_id, g_source_remove);
  if (peer->link != NULL)
    {
      g_signal_handlers_disconnect_by_data (peer->link, self);
      ev_link_close (peer->link);
      g_clear_object (&peer->link);
    }
  peer->connecting = FALSE;
}

/**
 * station_monitor_shutdown:
 * @self: a monitor
 *
 * Closes both links and stops every timer. Idempotent.
 */
void
station_monitor_shutdown (StationMonitor *self)
{
  g_return_if_fail (STATION_IS_MONITOR (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->health_timeout_id, g_source_remove);
  peer_clear (self, &self->engine);
  peer_clear (self, &self->central);
  if (self->started)
    {
      self->started = FALSE;
      notify (self, PROP_STARTED);
    }
}

static void
station_monitor_dispose (GObject *object)
{
  StationMonitor *self = STATION_MONITOR (object);

  station_monitor_shutdown (self);

  G_OBJECT_CLASS (station_monitor_parent_class)->dispose (object);
}

static void
station_monitor_finalize (GObject *object)
{
  StationMonitor *self = STATION_MONITOR (object);

  g_free (self->cp_id);
  g_free (self->tls_ca);
  g_free (self->tls_fingerprint);
  g_free (self->tls_client_cert);
  g_free (self->tls_client_key);
  g_clear_pointer (&self->tls_client, ev_tls_client_unref);
  g_free (self->token_dir);
  g_free (self->pairing_secret_file);
  if (self->pairing_secret != NULL)
    explicit_bzero (self->pairing_secret, strlen (self->pairing_secret));
  g_free (self->pairing_secret);
  g_free (self->nonce);
  g_free (self->cp_key);
  g_free (self->engine.address);
  g_free (self->central.address);
  g_free (self->location);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (station_monitor_parent_class)->finalize (object);
}

static void
station_monitor_constructed (GObject *object)
{
  StationMonitor *self = STATION_MONITOR (object);

  G_OBJECT_CLASS (station_monitor_parent_class)->constructed (object);

  if (self->token_dir == NULL)
    self->token_dir = station_monitor_default_token_dir ();
  if (self->pairing_secret_file == NULL)
    self->pairing_secret_file = station_pairing_default_path ();
  self->reconnect_max_ms = MAX (self->reconnect_max_ms, self->reconnect_min_ms);
  self->engine.delay_ms = self->central.delay_ms = self->reconnect_min_ms;
}

static void
station_monitor_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  StationMonitor *self = STATION_MONITOR (object);

  switch (prop_id)
    {
    case PROP_CP_ID:
      g_value_set_string (value, self->cp_id);
      break;
    case PROP_ENGINE:
      g_value_set_string (value, self->engine.address);
      break;
    case PROP_CENTRAL:
      g_value_set_string (value, self->central.address);
      break;
    case PROP_TOKEN_DIR:
      g_value_set_string (value, self->token_dir);
      break;
    case PROP_PAIRING_SECRET_FILE:
      g_value_set_string (value, self->pairing_secret_file);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval_ms);
      break;
    case PROP_HEALTH_TIMEOUT:
      g_value_set_uint (value, self->health_timeout_ms);
      break;
    case PROP_RECONNECT_MIN:
      g_value_set_uint (value, self->reconnect_min_ms);
      break;
    case PROP_RECONNECT_MAX:
      g_value_set_uint (value, self->reconnect_max_ms);
      break;
    case PROP_TLS:
      g_value_set_boolean (value, station_monitor_get_tls (self));
      break;
    case PROP_TLS_CA:
      g_value_set_string (value, self->tls_ca);
      break;
    case PROP_TLS_FINGERPRINT:
      g_value_set_string (value, self->tls_fingerprint);
      break;
    case PROP_TLS_CLIENT_CERT:
      g_value_set_string (value, self->tls_client_cert);
      break;
    case PROP_TLS_CLIENT_KEY:
      g_value_set_string (value, self->tls_client_key);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_ENGINE_CONNECTED:
      g_value_set_boolean (value, self->engine_connected);
      break;
    case PROP_ENGINE_HEALTH:
      g_value_set_enum (value, self->engine_health);
      break;
    case PROP_ENGINE_STATE:
      g_value_set_enum (value, self->engine_state);
      break;
    case PROP_LAST_CHECK:
      g_value_set_int64 (value, self->last_check);
      break;
    case PROP_CENTRAL_LINK:
      g_value_set_enum (value, self->central_link);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_REPORTED_STATE:
      g_value_set_enum (value, self->reported_state);
      break;
    case PROP_APPROVAL_PENDING:
      g_value_set_boolean (value, self->approval_pending);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_monitor_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  StationMonitor *self = STATION_MONITOR (object);

  switch (prop_id)
    {
    case PROP_CP_ID:
      self->cp_id = g_value_dup_string (value);
      break;
    case PROP_ENGINE:
      self->engine.address = g_value_dup_string (value);
      break;
    case PROP_CENTRAL:
      self->central.address = g_value_dup_string (value);
      break;
    case PROP_TOKEN_DIR:
      self->token_dir = g_value_dup_string (value);
      break;
    case PROP_PAIRING_SECRET_FILE:
      self->pairing_secret_file = g_value_dup_string (value);
      break;
    case PROP_INTERVAL:
      self->interval_ms = g_value_get_uint (value);
      break;
    case PROP_HEALTH_TIMEOUT:
      self->health_timeout_ms = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_MIN:
      self->reconnect_min_ms = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_MAX:
      self->reconnect_max_ms = g_value_get_uint (value);
      break;
    case PROP_TLS:
      self->tls = g_value_get_boolean (value);
      break;
    case PROP_TLS_CA:
      self->tls_ca = g_value_dup_string (value);
      break;
    case PROP_TLS_FINGERPRINT:
      self->tls_fingerprint = g_value_dup_string (value);
      break;
    case PROP_TLS_CLIENT_CERT:
      self->tls_client_cert = g_value_dup_string (value);
      break;
    case PROP_TLS_CLIENT_KEY:
      self->tls_client_key = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define CONSTRUCT_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define READ_FLAGS (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

static GParamSpec *
ms_pspec (const char *name,
          guint       default_value)
{
  return g_param_spec_uint (name, NULL, NULL, 1, G_MAXINT32, default_value, CONSTRUCT_FLAGS);
}

static void
station_monitor_class_init (StationMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = station_monitor_constructed;
  object_class->dispose = station_monitor_dispose;
  object_class->finalize = station_monitor_finalize;
  object_class->get_property = station_monitor_get_property;
  object_class->set_property = station_monitor_set_property;

  properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_ENGINE] = g_param_spec_string ("engine", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_CENTRAL] = g_param_spec_string ("central", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_TOKEN_DIR] = g_param_spec_string ("token-dir", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_PAIRING_SECRET_FILE] =
    g_param_spec_string ("pairing-secret-file", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_INTERVAL] = ms_pspec ("interval", STATION_MONITOR_DEFAULT_INTERVAL_MS);
  properties[PROP_HEALTH_TIMEOUT] = ms_pspec ("health-timeout", STATION_MONITOR_DEFAULT_HEALTH_TIMEOUT_MS);
  properties[PROP_RECONNECT_MIN] = ms_pspec ("reconnect-min", STATION_MONITOR_DEFAULT_RECONNECT_MIN_MS);
  properties[PROP_RECONNECT_MAX] = ms_pspec ("reconnect-max", STATION_MONITOR_DEFAULT_RECONNECT_MAX_MS);
  properties[PROP_TLS] = g_param_spec_boolean ("tls", NULL, NULL, FALSE, CONSTRUCT_FLAGS);
  properties[PROP_TLS_CA] = g_param_spec_string ("tls-ca", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_TLS_FINGERPRINT] = g_param_spec_string ("tls-fingerprint", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_TLS_CLIENT_CERT] = g_param_spec_string ("tls-client-cert", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_TLS_CLIENT_KEY] = g_param_spec_string ("tls-client-key", NULL, NULL, NULL, CONSTRUCT_FLAGS);

  properties[PROP_STARTED] = g_param_spec_boolean ("started", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_ENGINE_CONNECTED] =
    g_param_spec_boolean ("engine-connected", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_ENGINE_HEALTH] =
    g_param_spec_enum ("engine-health", NULL, NULL, STATION_TYPE_ENGINE_HEALTH,
                       EV_ENGINE_HEALTH_UNREACHABLE, READ_FLAGS);
  properties[PROP_ENGINE_STATE] =
    g_param_spec_enum ("engine-state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_DISCONNECTED, READ_FLAGS);
  properties[PROP_LAST_CHECK] =
    g_param_spec_int64 ("last-check", NULL, NULL, 0, G_MAXINT64, 0, READ_FLAGS);
  properties[PROP_CENTRAL_LINK] =
    g_param_spec_enum ("central-link", NULL, NULL, STATION_TYPE_CENTRAL_LINK,
                       STATION_CENTRAL_LINK_DOWN, READ_FLAGS);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, READ_FLAGS);
  properties[PROP_PRICE] = g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  properties[PROP_REPORTED_STATE] =
    g_param_spec_enum ("reported-state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_DISCONNECTED, READ_FLAGS);
  properties[PROP_APPROVAL_PENDING] =
    g_param_spec_boolean ("approval-pending", NULL, NULL, FALSE, READ_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * StationMonitor::event:
   * @self: the monitor
   * @event: a #StationEvent
   *
   * Everything that happens, for the views.
   */
  signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), STATION_TYPE_EVENT);
}

static void
station_monitor_init (StationMonitor *self)
{
  self->cancellable = g_cancellable_new ();
  self->engine.name = "engine";
  self->central.name = "Central";
  self->engine_health = EV_ENGINE_HEALTH_UNREACHABLE;
  self->engine_state = EV_CP_STATE_DISCONNECTED;
  self->reported_state = EV_CP_STATE_DISCONNECTED;
  self->central_link = STATION_CENTRAL_LINK_DOWN;
}

/* Public API ------------------------------------------------------------------- */

static gboolean
check_address (const char  *option,
               const char  *address,
               GError     **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;

  if (address != NULL)
    parsed = g_network_address_parse (address, 0, NULL);
  if (parsed == NULL || g_network_address_get_port (G_NETWORK_ADDRESS (parsed)) == 0)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID,
                   _("%s: “%s” is not a host and port such as 127.0.0.1:7001"),
                   option, address != NULL ? address : "");
      return FALSE;
    }
  return TRUE;
}

/* A monitor told to use TLS (--tls, or a way to check Central given)
 * never falls back to plain TCP: what it needs must be there at start. */
static gboolean
check_tls (StationMonitor  *self,
           GError         **error)
{
  if (!station_monitor_get_tls (self))
    return TRUE;
  if (self->tls_client != NULL)
    return TRUE;
  if (!ev_tls_check_backend (error))
    return FALSE;
  self->tls_client = ev_tls_client_new (self->tls_ca, self->tls_fingerprint,
                                        self->tls_client_cert, self->tls_client_key, error);
  return self->tls_client != NULL;
}

/**
 * station_monitor_get_tls:
 * @self: a monitor
 *
 * Returns: whether the link to Central speaks TLS
 */
gboolean
station_monitor_get_tls (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);
  return self->tls || self->tls_ca != NULL || self->tls_fingerprint != NULL ||
         self->tls_client_cert != NULL;
}

/**
 * station_monitor_check:
 * @self: a monitor
 * @error: return location for a #GError
 *
 * Checks its configuration (the CP id and both addresses) without
 * starting anything, so that a program can refuse bad options before it
 * opens a window.
 *
 * Returns: %TRUE when station_monitor_start() may be called
 */
gboolean
station_monitor_check (StationMonitor  *self,
                       GError         **error)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);

  return ev_protocol_validate_cp_id (self->cp_id, NULL, error) &&
         check_address ("--engine", self->engine.address, error) &&
         check_address ("--central", self->central.address, error) &&
         check_tls (self, error);
}

/**
 * station_monitor_start:
 * @self: a monitor
 * @error: return location for a #GError
 *
 * Checks the configuration, emits `ready` and starts connecting to both
 * sides; from then on it keeps reconnecting by itself.
 *
 * Returns: %TRUE on success
 */
gboolean
station_monitor_start (StationMonitor  *self,
                       GError         **error)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (!station_monitor_check (self, error))
    return FALSE;
  g_clear_pointer (&self->pairing_secret, g_free);
  self->pairing_secret = station_pairing_secret_ensure (self->pairing_secret_file, error);
  if (self->pairing_secret == NULL)
    return FALSE;

  self->started = TRUE;
  notify (self, PROP_STARTED);

  emit (self, STATION_EVENT_READY, NULL);
  if (self->tls_client != NULL)
    {
      g_autofree char *how = ev_tls_client_describe (self->tls_client);

      g_message (_("The link to Central at %s uses TLS, %s"), self->central.address, how);
    }
  else
    g_message (_("The link to Central at %s is not encrypted: its token crosses the network in clear "
                 "(use --tls with --tls-ca or --tls-fingerprint)"),
               self->central.address);

  connect_peer (self, &self->engine);
  connect_peer (self, &self->central);
  self->tick_id = g_timeout_add (self->interval_ms, tick_source_cb, self);
  return TRUE;
}

const char *
station_monitor_get_cp_id (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), NULL);
  return self->cp_id;
}

/**
 * station_monitor_get_engine:
 * @self: a monitor
 *
 * Returns: its engine's "ADDR:PORT"
 */
const char *
station_monitor_get_engine (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), NULL);
  return self->engine.address;
}

/**
 * station_monitor_get_central:
 * @self: a monitor
 *
 * Returns: Central's "ADDR:PORT"
 */
const char *
station_monitor_get_central (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), NULL);
  return self->central.address;
}

const char *
station_monitor_get_token_dir (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), NULL);
  return self->token_dir;
}

gboolean
station_monitor_get_started (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);
  return self->started;
}

gboolean
station_monitor_get_engine_connected (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);
  return self->engine_connected;
}

EvEngineHealth
station_monitor_get_engine_health (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), EV_ENGINE_HEALTH_UNREACHABLE);
  return self->engine_health;
}

EvCpState
station_monitor_get_engine_state (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), EV_CP_STATE_DISCONNECTED);
  return self->engine_state;
}

gint64
station_monitor_get_last_check (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), 0);
  return self->last_check;
}

StationCentralLink
station_monitor_get_central_link (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), STATION_CENTRAL_LINK_DOWN);
  return self->central_link;
}

const char *
station_monitor_get_location (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), NULL);
  return self->location;
}

double
station_monitor_get_price (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), 0.0);
  return self->price;
}

EvCpState
station_monitor_get_reported_state (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), EV_CP_STATE_DISCONNECTED);
  return self->reported_state;
}

/**
 * station_monitor_get_approval_pending:
 * @self: a monitor
 *
 * Returns: whether Central's last answer said the CP awaits the
 *   operator's approval (it gets no supplies until then)
 */
gboolean
station_monitor_get_approval_pending (StationMonitor *self)
{
  g_return_val_if_fail (STATION_IS_MONITOR (self), FALSE);
  return self->approval_pending;
}

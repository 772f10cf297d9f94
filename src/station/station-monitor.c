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
#include "station-monitor-private.h"
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

G_DEFINE_FINAL_TYPE (StationMonitor, station_monitor, G_TYPE_OBJECT)

static void connect_peer (StationMonitor *self,
                          Peer           *peer);
static void check_engine (StationMonitor *self);
static void peer_lost (StationMonitor *self,
                       Peer           *peer,
                       const char     *reason);

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
      monitor_notify (self, PROP_ENGINE_STATE);
    }
  if (health == previous)
    return;

  self->engine_health = health;
  monitor_notify (self, PROP_ENGINE_HEALTH);

  monitor_emit (self, STATION_EVENT_ENGINE_HEALTH, &data);
  monitor_central_changed (self);
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
  monitor_notify (self, PROP_LAST_CHECK);
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
      monitor_send_request (self, &self->engine,
                    ev_link_request_new_hello_paired (self->cp_id, response->challenge, self->pairing_secret),
                    hello_response);
      return;
    }

  if (response == NULL || response->status != EV_LINK_STATUS_OK)
    {
      const char *reason = response != NULL ? ev_link_reason_to_string (response->reason)
                                            : error->message;
      StationEventData denied = { .reason = (char *) (reason != NULL ? reason : "") };

      monitor_emit (self, STATION_EVENT_ENGINE_DENIED, &denied);
      message = g_strdup_printf (_("The engine at %s refused charging point %s: %s"),
                                 self->engine.address, self->cp_id, reason != NULL ? reason : "");
      monitor_emit_error (self, message);
      /* Reconnecting is all we can do; the closed handler retries slowly. */
      self->engine.delay_ms = self->reconnect_max_ms;
      ev_link_close (self->engine.link);
      return;
    }

  self->engine_connected = TRUE;
  self->engine.delay_ms = self->reconnect_min_ms;
  monitor_notify (self, PROP_ENGINE_CONNECTED);
  if (response->location != NULL && g_strcmp0 (response->location, self->location) != 0)
    {
      g_free (self->location);
      self->location = g_strdup (response->location);
      monitor_notify (self, PROP_LOCATION);
    }

  {
    StationEventData connected = {
      .location = response->location,
      .has_state = response->has_state,
      .state = response->state,
    };

    monitor_emit (self, STATION_EVENT_ENGINE_CONNECTED, &connected);
  }

  if (response->has_state)
    set_engine_health (self, self->engine_health, response->state);
  monitor_tell_engine (self);
  check_engine (self);

  monitor_central_located (self);
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
  monitor_send_request (self, &self->engine, ev_link_request_new_health (), health_response);
}

static void
tick_cb (gpointer user_data)
{
  StationMonitor *self = user_data;

  check_engine (self);
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
                Peer           *peer,
                guint           delay)
{
  if (!self->started || peer->retry_id != 0)
    return;

  peer->retry_id = g_timeout_add_once (delay, peer == &self->engine ? engine_retry_cb : central_retry_cb, self);
}

/* A link went away, or never came: forget what it told us and retry. */
static void
peer_lost (StationMonitor *self,
           Peer           *peer,
           const char     *reason)
{
  guint delay;

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
          monitor_notify (self, PROP_ENGINE_CONNECTED);
        }
      monitor_emit (self, STATION_EVENT_ENGINE_DOWN, &data);
      set_engine_health (self, EV_ENGINE_HEALTH_UNREACHABLE, self->engine_state);
      delay = peer->delay_ms;
      peer->delay_ms = MIN (peer->delay_ms * 2, self->reconnect_max_ms);
    }
  else
    delay = monitor_central_lost (self, reason);

  schedule_retry (self, peer, delay);
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
      monitor_send_request (self, peer, ev_link_request_new_hello (self->cp_id), hello_response);
    }
  else
    monitor_central_established (self);
}

static void
connect_peer (StationMonitor *self,
              Peer           *peer)
{
  Pending *pending;

  if (peer->connecting || peer->link != NULL)
    return;

  if (peer == &self->central)
    monitor_central_connecting (self);

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
  monitor_central_stop (self);
  g_clear_handle_id (&self->health_timeout_id, g_source_remove);
  peer_clear (self, &self->engine);
  peer_clear (self, &self->central);
  if (self->started)
    {
      self->started = FALSE;
      monitor_notify (self, PROP_STARTED);
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
  self->engine.delay_ms = self->reconnect_min_ms;
  self->machine_config = (StationMonitorMachineConfig) {
    .reconnect_min_ms = self->reconnect_min_ms,
    .reconnect_max_ms = self->reconnect_max_ms,
    .status_interval_ms = self->interval_ms,
  };
  station_monitor_machine_reset (&self->machine, &self->machine_config);
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
      g_value_set_enum (value, self->machine.link);
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

  monitor_properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_ENGINE] = g_param_spec_string ("engine", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_CENTRAL] = g_param_spec_string ("central", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_TOKEN_DIR] = g_param_spec_string ("token-dir", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_PAIRING_SECRET_FILE] =
    g_param_spec_string ("pairing-secret-file", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_INTERVAL] = ms_pspec ("interval", STATION_MONITOR_DEFAULT_INTERVAL_MS);
  monitor_properties[PROP_HEALTH_TIMEOUT] = ms_pspec ("health-timeout", STATION_MONITOR_DEFAULT_HEALTH_TIMEOUT_MS);
  monitor_properties[PROP_RECONNECT_MIN] = ms_pspec ("reconnect-min", STATION_MONITOR_DEFAULT_RECONNECT_MIN_MS);
  monitor_properties[PROP_RECONNECT_MAX] = ms_pspec ("reconnect-max", STATION_MONITOR_DEFAULT_RECONNECT_MAX_MS);
  monitor_properties[PROP_TLS] = g_param_spec_boolean ("tls", NULL, NULL, FALSE, CONSTRUCT_FLAGS);
  monitor_properties[PROP_TLS_CA] = g_param_spec_string ("tls-ca", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_TLS_FINGERPRINT] = g_param_spec_string ("tls-fingerprint", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_TLS_CLIENT_CERT] = g_param_spec_string ("tls-client-cert", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  monitor_properties[PROP_TLS_CLIENT_KEY] = g_param_spec_string ("tls-client-key", NULL, NULL, NULL, CONSTRUCT_FLAGS);

  monitor_properties[PROP_STARTED] = g_param_spec_boolean ("started", NULL, NULL, FALSE, READ_FLAGS);
  monitor_properties[PROP_ENGINE_CONNECTED] =
    g_param_spec_boolean ("engine-connected", NULL, NULL, FALSE, READ_FLAGS);
  monitor_properties[PROP_ENGINE_HEALTH] =
    g_param_spec_enum ("engine-health", NULL, NULL, STATION_TYPE_ENGINE_HEALTH,
                       EV_ENGINE_HEALTH_UNREACHABLE, READ_FLAGS);
  monitor_properties[PROP_ENGINE_STATE] =
    g_param_spec_enum ("engine-state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_DISCONNECTED, READ_FLAGS);
  monitor_properties[PROP_LAST_CHECK] =
    g_param_spec_int64 ("last-check", NULL, NULL, 0, G_MAXINT64, 0, READ_FLAGS);
  monitor_properties[PROP_CENTRAL_LINK] =
    g_param_spec_enum ("central-link", NULL, NULL, STATION_TYPE_CENTRAL_LINK,
                       STATION_CENTRAL_LINK_DOWN, READ_FLAGS);
  monitor_properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, READ_FLAGS);
  monitor_properties[PROP_PRICE] = g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  monitor_properties[PROP_REPORTED_STATE] =
    g_param_spec_enum ("reported-state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_DISCONNECTED, READ_FLAGS);
  monitor_properties[PROP_APPROVAL_PENDING] =
    g_param_spec_boolean ("approval-pending", NULL, NULL, FALSE, READ_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, monitor_properties);

  /**
   * StationMonitor::event:
   * @self: the monitor
   * @event: a #StationEvent
   *
   * Everything that happens, for the views.
   */
  monitor_signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), STATION_TYPE_EVENT);
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
  monitor_notify (self, PROP_STARTED);

  monitor_emit (self, STATION_EVENT_READY, NULL);
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
  return self->machine.link;
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

/* station-monitor-private.h: what the files of the monitor share and no
 * one else sees: its structure, its links and its internal functions.
 * Calls go one way: station-monitor.c (the object, its links, the
 * engine) calls station-monitor-central.c (the conversation with
 * Central, through a #StationMonitorMachine), and both call
 * station-monitor-base.c (events, notifications, requests). */

#pragma once

#include "ev-link.h"
#include "ev-tls.h"
#include "station-monitor.h"
#include "station-monitor-machine.h"

G_BEGIN_DECLS

/* One of the two links the monitor keeps up, with its reconnection. */
typedef struct
{
  const char *name;
  char *address;
  EvLink *link;
  gboolean connecting;
  guint delay_ms;             /* the engine's; Central's is its machine's */
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
  StationMonitorMachineConfig machine_config;
  StationMonitorMachine machine;  /* the conversation with Central */
  GCancellable *cancellable;
  guint tick_id;
  guint status_id;            /* the machine's next status */
  guint health_timeout_id;    /* the engine's answer watchdog */
  gboolean health_pending;
  gboolean engine_proved;     /* this engine link has sent its proof */

  gboolean started;
  gboolean engine_connected;  /* hello answered ok */
  EvEngineHealth engine_health;
  EvCpState engine_state;
  gint64 last_check;
  char *location;
  double price;
  gboolean has_price;
  gboolean approval_pending;  /* Central says the CP awaits approval */
  EvCpState reported_state;
  EvEngineHealth reported_health;
  gboolean reported_once;
};

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

extern GParamSpec *monitor_properties[N_PROPS];
extern guint monitor_signals[N_SIGNALS];

typedef void (*ResponseFunc) (StationMonitor *self,
                              EvLinkResponse *response,
                              const GError   *error);

/* What a connection or a request on one of the links comes back to. */
typedef struct
{
  StationMonitor *self;
  Peer *peer;
  ResponseFunc func;
} Pending;

/* station-monitor-base.c */
void     monitor_emit          (StationMonitor         *self,
                                StationEventKind        kind,
                                const StationEventData *data);
void     monitor_emit_error    (StationMonitor         *self,
                                const char             *message);
void     monitor_notify        (StationMonitor         *self,
                                int                     prop);
void     monitor_send_request  (StationMonitor         *self,
                                Peer                   *peer,
                                EvLinkRequest          *request,
                                ResponseFunc            func);
void     monitor_tell_engine   (StationMonitor         *self);

/* station-monitor-central.c */
gboolean monitor_central_is_up       (StationMonitor *self);
void     monitor_central_connecting  (StationMonitor *self);
void     monitor_central_established (StationMonitor *self);
void     monitor_central_located     (StationMonitor *self);
void     monitor_central_changed     (StationMonitor *self);
guint    monitor_central_lost        (StationMonitor *self,
                                      const char     *reason);
void     monitor_central_stop        (StationMonitor *self);

G_END_DECLS

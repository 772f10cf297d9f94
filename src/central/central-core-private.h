/* central-core-private.h: what the files of Central's core share and no
 * one else sees: the core's structure, the records it keeps of charging
 * points and links, and its internal functions. */

#pragma once

#include "central-core.h"
#include "central-monitor-server.h"
#include "ev-bus.h"
#include "ev-enum-types.h"
#include "ev-messages.h"
#include "ev-topics.h"
#include "ev-protocol.h"
#include "ev-signing.h"
#include "ev-store.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "central-monitor-server.h"
#include "ev-bus.h"
#include "ev-enum-types.h"
#include "ev-messages.h"
#include "ev-topics.h"
#include "ev-protocol.h"
#include "ev-signing.h"
#include "ev-store.h"

G_BEGIN_DECLS

/* Consumer group of every Central: after a restart it resumes where the
 * last one stopped (PROTOCOL.md 3, "Consumer groups and delivery"). */
#define DEFAULT_GROUP "ev-central"
#define DEFAULT_LISTEN "0.0.0.0:7001"
#define DEFAULT_PRICE CENTRAL_CORE_DEFAULT_PRICE
#define DEFAULT_SILENCE_MS 3000
/* An engine ignores a start directive older than this (the vehicle has
 * 60 s to be plugged in), and stop/resume a little sooner. */
#define START_EXPIRES_MS 60000
#define STOP_EXPIRES_MS 30000
#define STOP_RESEND_US (5 * G_USEC_PER_SEC)
/* An authorisation no engine took up (it was busy, or never got the start)
 * ends as not plugged this long after it was given, 15 s after the start
 * directive expired: the CP must not stay pending for ever. */
#define DEFAULT_AUTHORIZED_TIMEOUT_MS (START_EXPIRES_MS + 15000)
/* Longer than a ticket takes to arrive, even through a broker's absence. */
#define DEFAULT_FORGOTTEN_TIMEOUT_MS 30000
/* A driver waits 10 s for an answer, then stops waiting (and a request
 * file moves on): a request older than this when Central reads it, from a
 * backlog after a restart, is denied rather than authorised for nobody. */
#define DEFAULT_REQUEST_MAX_AGE_MS 9000
#define AMOUNT_TOLERANCE 0.01
/* Measured with bench/ladder.py at 1,000 CPs: request → answer p50
 * 12.4 ms with every consumer at 5 ms, 10.4 ms with 3 ms everywhere. */
#define CENTRAL_FETCH_WAIT_MS 3
#define CENTRAL_LINGER_MS 1
#define LOG_LIMIT 1000
#define HISTORY_LIMIT 1000
/* Failed `auth` (docs/protocol.md, "Authentication limits"): a link that
 * failed this many times is closed; a CP id whose token was wrong this
 * many times in a row is answered `rate-limited`, without a look at the
 * token, for 1 s, then twice as long after each further failure, up to
 * a minute; rate-limited denials are logged once per interval per CP. */
#define AUTH_FAILURES_PER_LINK 3
#define AUTH_FAILURES_BEFORE_BACKOFF 3
#define DEFAULT_AUTH_BACKOFF_MS 1000
#define AUTH_BACKOFF_MAX_US (60 * G_USEC_PER_SEC)
#define AUTH_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
/* Per peer address (docs/protocol.md, "Registration, tokens and link
 * limits"): after this many wrong tokens from one address, whatever the
 * CP ids, the address backs off as a CP id does; it is forgotten after
 * ten minutes without one. New CP ids registered from one address draw
 * on a budget of 16 that grows back by one every 10 s. Loopback peers
 * are exempt unless "limit-loopback" is set: the one-machine demo and
 * the fleet register and authenticate hundreds of CPs from there. */
#define PEER_FAILURES_BEFORE_BACKOFF 10
#define PEER_FORGET_US (600 * G_USEC_PER_SEC)
#define REGISTER_BUDGET 16
#define REGISTER_REFILL_US (10 * G_USEC_PER_SEC)
#define PEER_LIMITS_PRUNE_AT 4096
/* Registrations awaiting the operator's approval, at most (docs/protocol.md,
 * "Approval"): from one address (loopback too: the limit bounds what an
 * operator must sort through, not the rate), and in all. */
#define PENDING_PER_ADDRESS 16
#define PENDING_TOTAL 1000

/* CentralCore ------------------------------------------------------------ */

/* What Central knows of one CP beyond its list item. */
typedef struct
{
  EvChargingPoint *cp;
  guint64 link_id;            /* the authenticated monitor link, 0 if none */
  gint64 last_status_us;      /* monotonic time of its last status */
  gboolean silent;            /* no status for the silence timeout */
  gboolean status_seen;       /* a status arrived since the link's auth */
  EvCpState reported;         /* what its monitor last reported, mapped */
  gboolean stopped;           /* the operator stopped it (stored) */
  gint64 stop_sent_us;        /* last stop or resume directive sent for it */
  gint64 idle_since_us;       /* reported ACTIVE with a supply open here */
  char *pending_address;      /* awaiting approval: the address it registered from */
  /* The keys it signs its Kafka messages with (docs/protocol.md,
   * "Charging-point keys"), read from the store on first use. */
  gboolean keys_loaded;
  gboolean has_key;
  gboolean has_previous;
  EvCpKey key;
  EvCpKey previous;
  gint64 key_issued_at;       /* ms since the epoch */
} CpRecord;

typedef struct
{
  guint64 id;
  char *peer;
  char *cp_id;                /* after a successful auth or register */
  guint auth_failures;        /* failed auth requests on this link */
} Link;

/* Denials of one kind that the log hears of once per interval. */
typedef struct
{
  gint64 logged_us;           /* last denial logged */
  guint unlogged;             /* denials since then */
} LogThrottle;

/* A CP key is replaced when the CP registers, and at an `auth` once it
 * is a day old; the key it replaced stays good for ten minutes, and for
 * the tickets of supplies that started before (docs/protocol.md). */
#define CP_KEY_MAX_AGE_MS (24 * 3600 * 1000)
#define CP_KEY_OVERLAP_MS (10 * 60 * 1000)
/* Messages refused for their CP key: the log hears of them once a minute
 * per CP. */
#define FORGED_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

/* Failed auth attempts of one CP id with a wrong token. */
typedef struct
{
  guint failures;             /* in a row */
  gint64 blocked_until_us;    /* monotonic; rate-limited before this */
  LogThrottle rate_limited;
  LogThrottle already_connected;
} AuthLimit;

/* What one peer address did wrong, and may still do. */
typedef struct
{
  guint failures;             /* wrong tokens, until forgotten */
  gint64 last_failure_us;
  gint64 blocked_until_us;    /* auth and register rate-limited before this */
  double register_budget;     /* new CP ids it may register now */
  gint64 register_refilled_us;
  LogThrottle rate_limited;
} PeerLimit;

struct _CentralCore
{
  GObject parent_instance;

  char *listen;
  char *bootstrap;
  char **overrides;
  char *db_path;
  char *group;
  double default_price;
  double default_price_max;   /* > default_price: new CPs draw a price in between */
  guint silence_timeout;
  guint request_max_age;
  guint authorized_timeout;
  guint forgotten_timeout;
  guint auth_timeout;
  guint max_unauthenticated;
  gboolean limit_loopback;
  char *tls_cert;
  char *tls_key;
  char *tls_client_ca;
  char *tls_fingerprint;      /* set while the monitor port speaks TLS */
  gboolean auto_approve;      /* new CPs need no operator's approval */
  gboolean insecure_bus;      /* check no driver signature nor CP MAC */
  guint auth_backoff;         /* ms, the first back-off of a CP id */
  guint cp_key_overlap;       /* ms a replaced CP key stays good for */
  gint64 started_at_ms;       /* when this core started, ms since the epoch */

  gboolean started;
  gboolean shutting_down;
  gboolean broker_reachable;

  EvStore *store;
  EvBus *bus;
  CentralMonitorServer *server;
  GSource *silence_source;
  char *ocpp_listen;          /* --ocpp-listen, or NULL */
  guint ocpp_heartbeat;       /* --ocpp-heartbeat in s, or 0: from the silence timeout */
  char *ocpp_keys;            /* --ocpp-keys: the chargers' Basic auth keys, or NULL */
  struct _CentralOcpp *ocpp;  /* the OCPP 1.6-J endpoint (central-ocpp.c) */

  /* The database could not be written (disk full, I/O error): the
   * engines' messages wait here, in order, their offsets uncommitted,
   * and are handled again once a write succeeds; requests are refused
   * meanwhile. */
  gboolean store_failed;
  gboolean replaying;
  GQueue held;                /* EvBusMessage */
  GSource *retry_source;

  GListStore *cps;
  GHashTable *records;        /* cp_id → CpRecord */
  GHashTable *links;          /* &Link.id → Link */
  GHashTable *auth_limits;    /* cp_id → AuthLimit */
  GHashTable *peer_limits;    /* peer address (no port) → PeerLimit */
  LogThrottle pending_throttle; /* too-many-pending denials */
  GHashTable *forged;         /* "topic cp_id" → LogThrottle: messages refused for their key */
  GHashTable *open;           /* supply_id → EvSupply (not concluded) */
  GHashTable *driver_supply;  /* driver_id → supply_id of its open session */
  /* The outbox's committed rows not yet known to be in Kafka, by id
   * (oldest first): &Outgoing.entry->id → Outgoing. */
  GTree *outbox;
  GSource *outbox_retry_source;
  GListStore *requests;
  GListStore *log;
  GListStore *history;

  /* Signs what Central publishes; %NULL: unsigned (tests of the core). */
  EvSigningKey *signing_key;
  GHashTable *driver_keys;    /* driver_id → EvVerifyKey it is bound to */
};

/* The outbox --------------------------------------------------------------
 *
 * Every message that tells a driver how a supply ended (its ticket, the
 * `supply-error` of a failed one, the ticket that settles one Central
 * ended at a fault) is written to the store's outbox in the batch that
 * ends the supply, and sent once that batch has committed; its row goes
 * when the delivery report says the broker has it. A report of failure
 * leaves it to be sent again, and a Central that stops before the report
 * leaves it to the next one, which sends every row left when it starts.
 * The row keeps the message's bytes, so a copy sent again is the same
 * message (the same envelope id): drivers keep one ticket per supply. */

/* How long a message the producer gave up on waits to be sent again. */
#define OUTBOX_RETRY_MS 3000
/* How long a stopping Central waits for what the outbox has in flight. */
#define OUTBOX_STOP_WAIT_MS 1000

typedef struct
{
  EvOutboxEntry *entry;
  gboolean in_flight;         /* produced, its delivery report not back */
} Outgoing;

/* What a delivery report needs to find its row. The bus never reports
 * after it closed, and the core closes it before it goes. */
typedef struct
{
  CentralCore *self;
  gint64 id;
} Delivery;

/* What must wait until the database has committed: relaying, answering,
 * and the Kafka offset. */
typedef void (*AfterCommitFunc) (CentralCore *self,
                                 gpointer     data);

typedef struct
{
  CentralCore *self;
  EvBusMessage *msg;
  AfterCommitFunc func;
  gpointer data;
  GDestroyNotify destroy;
} AfterCommit;

typedef struct
{
  guint64 link_id;
  EvLinkResponse *response;
} PendingResponse;

typedef struct
{
  char *request_id;
  EvSupply *session;
} Authorization;

/* A supply's figures for its driver and, for a ticket, the event that
 * tells it: both once stored, so that a batch lost and handled again
 * tells it once. */
typedef struct
{
  EvSupplyData *relayed;      /* progress, sent as it is */
  EvOutboxEntry *entry;       /* a ticket, sent through the outbox */
  EvSupply *ended;            /* a ticket's supply, or NULL */
  char *fault;                /* Central's reason, for a settled one */
} Relay;

/* Storage trouble ---------------------------------------------------------- */

#define STORE_RETRY_MS 1000

typedef struct
{
  GOutputStream *out;
  GCancellable *cancellable;
  GString *buffer;
  GError *error;
} CsvWriter;

void central_cp_record_free (CpRecord *rec);

void central_link_free (Link *link);

void central_store_cp_state (CentralCore *self, CpRecord *rec);

void central_update_state (CentralCore *self, CpRecord *rec);

CpRecord *central_add_cp (CentralCore *self, EvChargingPoint *cp);

void central_check_forgotten_supply (CentralCore *self, CpRecord *rec);

double central_registration_price (CentralCore *self);

void central_disconnect_cp (CentralCore *self, CpRecord *rec, const char *reason);

/* The per-address and per-id limits of central-links.c, for any link
 * that names its peer "ADDR:PORT" (a monitor's, an OCPP charger's). */
char *central_peer_address (const char *peer);

gboolean central_check_rate_limited (CentralCore *self, const char *from, const char *cp_id);

void central_count_token_failure (CentralCore *self, const char *from, const char *cp_id);

gboolean central_check_too_many_pending (CentralCore *self, const char *from, const char *cp_id);

gboolean central_take_register_budget (CentralCore *self, const char *from, const char *cp_id);

extern const CentralMonitorServerCallbacks central_server_callbacks;

gboolean central_check_silence_cb (gpointer user_data);

char *central_ensure_cp_key (CentralCore *self, CpRecord *rec, gboolean renew, gboolean *fresh, GError **error);

gboolean central_check_cp_mac (CentralCore *self, EvBusMessage *msg, const char *cp_id, const char *text,
                               gsize length, gint64 started_at, GError **store_error);

gboolean central_check_request_author (CentralCore *self, EvBusMessage *msg, const EvSupplyRequest *request,
                                       const char *data, gsize length, GError **store_error);

void central_when_committed (CentralCore *self, EvBusMessage *msg, AfterCommitFunc func, gpointer data,
                             GDestroyNotify destroy);

void central_track_session (CentralCore *self, EvSupply *session);

void central_fail_session (CentralCore *self, EvSupply *session, EvSupplyErrorReason reason);

void central_fail_supply (CentralCore *self, CpRecord *rec, EvSupplyErrorReason reason);

void central_apply_supply_data (CentralCore *self, const EvSupplyData *data);

void central_bus_message_cb (EvBus *bus, EvBusMessage *msg, gpointer user_data);

void central_publish (CentralCore *self, const char *topic, const char *key, char *json, gsize length);

void central_publish_cp_state (CentralCore *self, EvChargingPoint *cp);

void central_publish_directive (CentralCore *self, const char *target, EvDirectiveAction action,
                                EvSupply        *session);

void central_outgoing_free (gpointer data);

int central_compare_ids (gconstpointer a, gconstpointer b, gpointer user_data);

gboolean central_outbox_produce_cb (gpointer key, gpointer value, gpointer user_data);

void central_outbox_send (CentralCore *self, const EvOutboxEntry *entry);

EvOutboxEntry *central_outbox_write (CentralCore *self, const char *topic, const char *key, char *json, gsize length,
                                     GError **error);

EvOutboxEntry *central_write_supply_error (CentralCore *self, EvSupply *session, GError **error);

gboolean central_log_throttle_take (LogThrottle *throttle, gint64 interval_us, guint *count);

gint64 central_now_ms (void);

void central_emit (CentralCore *self, CentralEventKind kind, CentralLogLevel level, const char *message,
                   const CentralEventData *data);

void central_emit_error (CentralCore *self, const char *message);

void central_emit_invalid_message (CentralCore *self, const char *topic, const char *reason);

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

extern guint central_core_signals[N_SIGNALS];

G_END_DECLS

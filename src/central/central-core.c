#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "central-core.h"
#include "central-monitor-server.h"
#include "ev-bus.h"
#include "ev-enum-types.h"
#include "ev-messages.h"
#include "ev-mock-cluster.h"
#include "ev-protocol.h"
#include "ev-signing.h"
#include "ev-store.h"

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

G_DEFINE_QUARK (central-core-error-quark, central_core_error)

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

/* Counts one more of @throttle's events; %TRUE when the log may hear of
 * them now (the first, or the first after @interval_us), with *@count
 * the number since the last report. */
static gboolean
log_throttle_take (LogThrottle *throttle,
                   gint64       interval_us,
                   guint       *count)
{
  gint64 now = g_get_monotonic_time ();

  throttle->unlogged++;
  if (throttle->logged_us != 0 && now - throttle->logged_us < interval_us)
    return FALSE;
  *count = throttle->unlogged;
  throttle->logged_us = now;
  throttle->unlogged = 0;
  return TRUE;
}

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
  GHashTable *open;           /* supply_id → EvSupplySession (not concluded) */
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

G_DEFINE_FINAL_TYPE (CentralCore, central_core, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_DB_PATH,
  PROP_GROUP,
  PROP_DEFAULT_PRICE,
  PROP_DEFAULT_PRICE_MAX,
  PROP_SILENCE_TIMEOUT,
  PROP_REQUEST_MAX_AGE,
  PROP_AUTHORIZED_TIMEOUT,
  PROP_FORGOTTEN_TIMEOUT,
  PROP_AUTH_TIMEOUT,
  PROP_MAX_UNAUTHENTICATED,
  PROP_LIMIT_LOOPBACK,
  PROP_TLS_CERT,
  PROP_TLS_KEY,
  PROP_TLS_CLIENT_CA,
  PROP_TLS_FINGERPRINT,
  PROP_AUTH_BACKOFF,
  PROP_CP_KEY_OVERLAP,
  PROP_INSECURE_BUS,
  PROP_AUTO_APPROVE,
  PROP_STARTED,
  PROP_PORT,
  PROP_BROKER_REACHABLE,
  PROP_N_LINKS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cp_record_free (CpRecord *rec)
{
  g_clear_object (&rec->cp);
  g_free (rec->pending_address);
  g_free (rec);
}

static void
link_free (Link *link)
{
  g_free (link->peer);
  g_free (link->cp_id);
  g_free (link);
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Events ------------------------------------------------------------------ */

/* A log line: in memory the newest LOG_LIMIT, in the database (in the
 * current batch) all of them, up to the store's log-limit. */
static void
add_log (CentralCore  *self,
         CentralEvent *event)
{
  g_autoptr(GError) error = NULL;
  guint n;

  g_list_store_insert (self->log, 0, event);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->log));
  if (n > LOG_LIMIT)
    g_list_store_remove (self->log, n - 1);

  if (self->store != NULL &&
      !ev_store_append_log (self->store, central_event_get_time (event), central_event_get_level (event),
                            central_event_get_name (event), central_event_get_cp_id (event),
                            central_event_get_message (event), &error))
    g_debug ("Could not keep a log line in the database: %s", error->message);
}

/* Emits an event of @kind with @data and, when @message is given, logs it
 * for people. */
static void
emit (CentralCore            *self,
      CentralEventKind        kind,
      CentralLogLevel         level,
      const char             *message,
      const CentralEventData *data)
{
  CentralEvent *event = central_event_new (kind, 0, level, message, data);

  if (message != NULL)
    {
      add_log (self, event);
      if (level == CENTRAL_LOG_ERROR)
        g_warning ("%s", message);
      else
        g_message ("%s", message);
    }

  ev_event_emit (self, signals[SIGNAL_EVENT], event);
}

static void
emit_error (CentralCore *self,
            const char  *message)
{
  emit (self, CENTRAL_EVENT_ERROR, CENTRAL_LOG_ERROR, message, NULL);
}

static void
emit_invalid_message (CentralCore *self,
                      const char  *topic,
                      const char  *reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .topic = topic, .reason = reason };

  message = g_strdup_printf (_("Skipped a message on “%s”: %s"), topic, reason);
  emit (self, CENTRAL_EVENT_INVALID_MESSAGE, CENTRAL_LOG_WARNING, message, &data);
}

/* Kafka output ------------------------------------------------------------ */

static void
emit_publish_error (CentralCore  *self,
                    const char   *topic,
                    const GError *error)
{
  g_autofree char *message = g_strdup_printf (_("Could not publish on “%s”: %s"),
                                              topic, error->message);

  emit_error (self, message);
}

/* @json signed with Central's key (docs/protocol.md, “Signed messages”),
 * or a copy of it when Central has none. */
static char *
sign_outgoing (CentralCore  *self,
               const char   *topic,
               const char   *key,
               const char   *json,
               gsize        *length,
               GError      **error)
{
  if (self->signing_key == NULL)
    return g_strndup (json, *length);
  return ev_signed_message_sign (self->signing_key, topic, key, json, *length, length, error);
}

static void
publish (CentralCore *self,
         const char  *topic,
         const char  *key,
         char        *json,
         gsize        length)
{
  g_autofree char *owned = json;
  g_autofree char *signed_json = NULL;
  g_autoptr(GError) error = NULL;

  if (self->bus == NULL)
    return;

  if (owned == NULL)
    {
      /* A tombstone: its signature goes in a header. */
      g_autofree char *signature = NULL;

      if (self->signing_key != NULL)
        signature = ev_signed_tombstone_sign (self->signing_key, topic, key, &error);
      if ((self->signing_key != NULL && signature == NULL) ||
          !ev_bus_produce_tombstone (self->bus, topic, key, signature, &error))
        emit_publish_error (self, topic, error);
      return;
    }
  signed_json = sign_outgoing (self, topic, key, owned, &length, &error);
  if (signed_json == NULL || !ev_bus_produce (self->bus, topic, key, signed_json, length, &error))
    emit_publish_error (self, topic, error);
}

static void
publish_cp_state (CentralCore     *self,
                  EvChargingPoint *cp)
{
  g_autoptr(EvCpStateMessage) msg = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (cp);
  char *json;
  gsize length;

  /* No driver learns of a CP the operator has not approved. */
  if (ev_charging_point_get_pending (cp))
    return;

  msg = ev_cp_state_message_new (cp_id, ev_charging_point_get_state (cp));
  msg->location = g_strdup (ev_charging_point_get_location (cp));
  msg->has_price = TRUE;
  msg->price = ev_charging_point_get_price (cp);
  json = ev_cp_state_message_to_json (msg, &length);
  publish (self, "cp-states", cp_id, json, length);
}

static void
publish_directive (CentralCore       *self,
                   const char        *target,
                   EvDirectiveAction  action,
                   EvSupplySession   *session)
{
  g_autoptr(EvDirective) msg = NULL;
  gboolean supply = action == EV_DIRECTIVE_ACTION_START || action == EV_DIRECTIVE_ACTION_CANCEL;
  gint64 expires = now_ms () + (supply ? START_EXPIRES_MS : STOP_EXPIRES_MS);
  CentralEventData data = { .target = target, .action = ev_directive_action_to_string (action) };
  char *json;
  gsize length;

  msg = ev_directive_new (target, action, expires);
  if (session != NULL)
    {
      msg->supply_id = g_strdup (ev_supply_session_get_supply_id (session));
      msg->driver_id = g_strdup (ev_supply_session_get_driver_id (session));
      msg->has_price = TRUE;
      msg->price = ev_supply_session_get_price (session);
    }
  json = ev_directive_to_json (msg, &length);
  publish (self, "central-directives", target, json, length);

  emit (self, CENTRAL_EVENT_DIRECTIVE, CENTRAL_LOG_INFO, NULL, &data);
}

/* The operator's own stop or resume, for the log. */
static void
log_operator (CentralCore       *self,
              const char        *cp_id,
              EvDirectiveAction  action)
{
  g_autofree char *message = NULL;
  gboolean stop = action == EV_DIRECTIVE_ACTION_STOP;
  CentralEventData data = { .cp_id = cp_id, .target = cp_id != NULL ? cp_id : EV_DIRECTIVE_TARGET_ALL };

  if (cp_id == NULL)
    message = g_strdup (stop ? _("Stopped every charging point") : _("Resumed every charging point"));
  else
    message = g_strdup_printf (stop ? _("Stopped charging point %s") : _("Resumed charging point %s"), cp_id);
  emit (self, stop ? CENTRAL_EVENT_STOP : CENTRAL_EVENT_RESUME, CENTRAL_LOG_INFO, message, &data);
}

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

static void
outgoing_free (gpointer data)
{
  Outgoing *outgoing = data;

  ev_outbox_entry_free (outgoing->entry);
  g_free (outgoing);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void outbox_produce (CentralCore *self,
                            Outgoing    *outgoing);

static gboolean
outbox_produce_cb (gpointer key,
                   gpointer value,
                   gpointer user_data)
{
  outbox_produce (user_data, value);
  return FALSE;
}

static gboolean
outbox_retry_cb (gpointer user_data)
{
  CentralCore *self = user_data;

  /* Cleared first: a message that fails again schedules the next try. */
  g_clear_pointer (&self->outbox_retry_source, g_source_unref);
  g_tree_foreach (self->outbox, outbox_produce_cb, self);
  return G_SOURCE_REMOVE;
}

static void
schedule_outbox_retry (CentralCore *self)
{
  if (self->outbox_retry_source != NULL || self->shutting_down)
    return;

  self->outbox_retry_source = g_timeout_source_new (OUTBOX_RETRY_MS);
  g_source_set_static_name (self->outbox_retry_source, "[evcharging] Central outbox");
  g_source_set_callback (self->outbox_retry_source, outbox_retry_cb, self, NULL);
  g_source_attach (self->outbox_retry_source, g_main_context_get_thread_default ());
}

static void
outbox_delivered_cb (EvBus        *bus,
                     const GError *error,
                     gpointer      user_data)
{
  Delivery *delivery = user_data;
  CentralCore *self = delivery->self;
  Outgoing *outgoing = g_tree_lookup (self->outbox, &delivery->id);
  g_autoptr(GError) store_error = NULL;

  if (outgoing == NULL)
    return;

  if (error != NULL)
    {
      outgoing->in_flight = FALSE;
      g_message (_("A message on “%s” for %s was not delivered (%s); it is sent again in %d s"),
                 outgoing->entry->topic, outgoing->entry->key != NULL ? outgoing->entry->key : "?",
                 error->message, OUTBOX_RETRY_MS / 1000);
      schedule_outbox_retry (self);
      return;
    }

  g_tree_remove (self->outbox, &delivery->id);
  /* Harmless when it fails (the store is in trouble): the row is sent
   * again at the next start, a duplicate its driver ignores. */
  if (!ev_store_outbox_remove (self->store, delivery->id, &store_error))
    g_message (_("Could not take a delivered message out of the outbox: %s; it will be sent again when Central starts"),
               store_error->message);
}

/* Produces @outgoing unless it is in flight already: one copy at a time. */
static void
outbox_produce (CentralCore *self,
                Outgoing    *outgoing)
{
  g_autoptr(GError) error = NULL;
  EvOutboxEntry *entry = outgoing->entry;
  g_autofree char *payload = NULL;
  Delivery *delivery;
  gsize length = 0;

  if (self->bus == NULL || outgoing->in_flight)
    return;

  /* The outbox keeps the message unsigned: it is signed as it leaves,
   * with the key Central has then. */
  payload = sign_outgoing (self, entry->topic, entry->key, g_bytes_get_data (entry->payload, &length),
                           &length, &error);
  if (payload == NULL)
    {
      emit_publish_error (self, entry->topic, error);
      return;
    }
  delivery = g_new0 (Delivery, 1);
  delivery->self = self;
  delivery->id = entry->id;
  outgoing->in_flight = TRUE;
  if (!ev_bus_produce_full (self->bus, entry->topic, entry->key, payload, length,
                            outbox_delivered_cb, delivery, g_free, &error))
    {
      outgoing->in_flight = FALSE;
      emit_publish_error (self, entry->topic, error);
      schedule_outbox_retry (self);
    }
}

/* Sends a committed row of the outbox, and follows it until the broker
 * has it. */
static void
outbox_send (CentralCore         *self,
             const EvOutboxEntry *entry)
{
  Outgoing *outgoing = g_new0 (Outgoing, 1);

  outgoing->entry = ev_outbox_entry_new (entry->id, entry->topic, entry->key, entry->payload);
  g_tree_replace (self->outbox, &outgoing->entry->id, outgoing);
  outbox_produce (self, outgoing);
}

/* Writes @json (taken) to the outbox in the current batch. Returns the row
 * to hand to outbox_send() once the batch has committed, or %NULL when
 * the store failed (the batch was rolled back with it). */
static EvOutboxEntry *
outbox_write (CentralCore  *self,
              const char   *topic,
              const char   *key,
              char         *json,
              gsize         length,
              GError      **error)
{
  g_autoptr(GBytes) payload = g_bytes_new_take (json, length);
  gint64 id = 0;

  if (!ev_store_outbox_add (self->store, topic, key, g_bytes_get_data (payload, NULL), length, &id, error))
    return NULL;
  return ev_outbox_entry_new (id, topic, key, payload);
}

/* The `supply-error` that tells @session's driver it failed, written to
 * the outbox. */
static EvOutboxEntry *
write_supply_error (CentralCore      *self,
                    EvSupplySession  *session,
                    GError          **error)
{
  g_autoptr(EvSupplyError) msg = NULL;
  EvSupplyErrorReason reason = EV_SUPPLY_ERROR_REASON_ENGINE_FAULT;
  const char *driver_id = ev_supply_session_get_driver_id (session);
  char *json;
  gsize length;

  ev_supply_error_reason_from_string (ev_supply_session_get_reason (session), &reason);
  msg = ev_supply_error_new (ev_supply_session_get_supply_id (session), driver_id,
                             ev_supply_session_get_cp_id (session), reason);
  msg->kwh = ev_supply_session_get_kwh (session);
  msg->amount = ev_supply_session_get_amount (session);
  json = ev_supply_error_to_json (msg, &length);
  return outbox_write (self, "supply-error", driver_id, json, length, error);
}

/* Deferred effects ----------------------------------------------------- */

static void store_failed   (CentralCore  *self,
                            const GError *error);
static void hold_or_refuse (CentralCore  *self,
                            EvBusMessage *msg);
static gboolean is_storage_error (const GError *error);
static void store_failed_for (CentralCore  *self,
                              EvBusMessage *msg,
                              const char   *topic,
                              const GError *error);

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

static void
after_commit_free (gpointer user_data)
{
  AfterCommit *after = user_data;

  if (after->destroy != NULL)
    after->destroy (after->data);
  g_clear_pointer (&after->msg, ev_bus_message_unref);
  g_object_unref (after->self);
  g_free (after);
}

static void
after_commit_cb (EvStore      *store,
                 const GError *error,
                 gpointer      user_data)
{
  AfterCommit *after = user_data;
  CentralCore *self = after->self;

  if (error != NULL)
    {
      /* The effect is lost with the batch: memory is made to match the
       * database again, the message waits for the store (its offset left
       * alone, so a Central that stops meanwhile sees it again). */
      store_failed (self, error);
      if (after->msg != NULL)
        hold_or_refuse (self, after->msg);
      return;
    }

  if (after->func != NULL)
    after->func (self, after->data);
  if (after->msg != NULL && self->bus != NULL)
    ev_bus_message_done (self->bus, after->msg);
}

static void
when_committed (CentralCore     *self,
                EvBusMessage    *msg,
                AfterCommitFunc  func,
                gpointer         data,
                GDestroyNotify   destroy)
{
  AfterCommit *after = g_new0 (AfterCommit, 1);

  after->self = g_object_ref (self);
  after->msg = msg != NULL ? ev_bus_message_ref (msg) : NULL;
  after->func = func;
  after->data = data;
  after->destroy = destroy;
  ev_store_when_committed (self->store, after_commit_cb, after, after_commit_free);
}

/* Sessions ---------------------------------------------------------------- */

static void
track_session (CentralCore     *self,
               EvSupplySession *session)
{
  const char *supply_id = ev_supply_session_get_supply_id (session);
  CpRecord *rec = g_hash_table_lookup (self->records, ev_supply_session_get_cp_id (session));

  g_hash_table_insert (self->open, g_strdup (supply_id), g_object_ref (session));
  g_hash_table_insert (self->driver_supply,
                       g_strdup (ev_supply_session_get_driver_id (session)),
                       g_strdup (supply_id));
  g_list_store_append (self->requests, session);

  if (rec != NULL)
    {
      ev_charging_point_set_supply_id (rec->cp, supply_id);
      ev_charging_point_set_driver_id (rec->cp, ev_supply_session_get_driver_id (session));
      ev_charging_point_set_kwh (rec->cp, ev_supply_session_get_kwh (session));
      ev_charging_point_set_amount (rec->cp, ev_supply_session_get_amount (session));
    }
}

static void untrack_session (CentralCore     *self,
                             EvSupplySession *session);

/* Takes @session out of the open ones, into the history. */
static void
conclude_session (CentralCore     *self,
                  EvSupplySession *session)
{
  /* Held: the tables below may hold the last other references. */
  g_autoptr(EvSupplySession) held = g_object_ref (session);

  untrack_session (self, held);
  g_list_store_insert (self->history, 0, held);
  /* The database keeps every ticket; memory only the newest. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->history)) > HISTORY_LIMIT)
    g_list_store_remove (self->history, HISTORY_LIMIT);
}

static void
outbox_send_cb (CentralCore *self,
                gpointer     data)
{
  outbox_send (self, data);
}

/* The figures of @session, for its events. */
static void
session_data (EvSupplySession  *session,
              CentralEventData *data)
{
  data->cp_id = ev_supply_session_get_cp_id (session);
  data->supply_id = ev_supply_session_get_supply_id (session);
  data->driver_id = ev_supply_session_get_driver_id (session);
  data->reason = ev_supply_session_get_reason (session);
  data->kwh = ev_supply_session_get_kwh (session);
  data->amount = ev_supply_session_get_amount (session);
  data->price = ev_supply_session_get_price (session);
  data->started_at = ev_supply_session_get_started_at (session);
  data->ended_at = ev_supply_session_get_ended_at (session);
}

static void
emit_supply_error (CentralCore     *self,
                   EvSupplySession *session)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  message = g_strdup_printf (_("The supply of driver %s at %s failed (%s) after %.2f kWh, %.2f €"),
                             ev_supply_session_get_driver_id (session),
                             ev_supply_session_get_cp_id (session),
                             ev_reason_describe (ev_supply_session_get_reason (session)),
                             ev_supply_session_get_kwh (session),
                             ev_supply_session_get_amount (session));
  emit (self, CENTRAL_EVENT_SUPPLY_ERROR, CENTRAL_LOG_WARNING, message, &data);
}

/* Ends @session, not concluded yet, because of a fault seen by Central. */
static void
fail_session (CentralCore         *self,
              EvSupplySession     *session,
              EvSupplyErrorReason  reason)
{
  g_autoptr(GError) error = NULL;
  EvOutboxEntry *entry = NULL;
  gboolean recorded = FALSE;
  const char *supply_id = ev_supply_session_get_supply_id (session);

  /* Not plugged in yet: an engine that gets the start late (a restarted
   * one, its group still rebalancing) must not take up the ended supply. */
  if (ev_supply_session_get_phase (session) == EV_SUPPLY_PHASE_AUTHORIZED)
    publish_directive (self, ev_supply_session_get_cp_id (session), EV_DIRECTIVE_ACTION_CANCEL, session);

  ev_supply_session_set_phase (session, EV_SUPPLY_PHASE_FAILED);
  ev_supply_session_set_reason (session, ev_supply_error_reason_to_string (reason));
  ev_supply_session_set_ended_at (session, now_ms ());
  /* Central's view of the fault; the engine's meter has the last word. */
  ev_supply_session_set_provisional (session, TRUE);
  if (!ev_store_finish_session (self->store, session, &recorded, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not end supply %s: %s"), supply_id, error->message);
      emit_error (self, message);
      /* Ended in memory only until the store works again: it then reads
       * the supply back as open, and ends it again. */
      if (is_storage_error (error))
        store_failed (self, error);
    }
  else if (recorded && (entry = write_supply_error (self, session, &error)) == NULL)
    {
      /* Lost with its batch: the store reads the supply back as open. */
      store_failed (self, error);
    }

  g_object_ref (session);
  conclude_session (self, session);
  emit_supply_error (self, session);
  if (entry != NULL)
    when_committed (self, NULL, outbox_send_cb, entry, (GDestroyNotify) ev_outbox_entry_free);
  g_object_unref (session);
}

/* Ends the open supply at @rec's CP because of a fault seen by Central. */
static void
fail_supply (CentralCore         *self,
             CpRecord            *rec,
             EvSupplyErrorReason  reason)
{
  const char *supply_id = ev_charging_point_get_supply_id (rec->cp);
  EvSupplySession *session;

  if (supply_id == NULL)
    return;
  session = g_hash_table_lookup (self->open, supply_id);
  if (session != NULL)
    fail_session (self, session, reason);
}

/* CP states ---------------------------------------------------------------- */

static EvCpState
effective_state (CpRecord *rec)
{
  /* Authenticated but not reported yet: nobody knows what the engine
   * does (after a monitor restart it may still be supplying). */
  if (rec->link_id == 0 || rec->silent || !rec->status_seen)
    return EV_CP_STATE_DISCONNECTED;
  if (rec->reported == EV_CP_STATE_BROKEN)
    return EV_CP_STATE_BROKEN;
  if (rec->stopped)
    return EV_CP_STATE_STOPPED;
  return rec->reported;
}

static void
store_cp_state (CentralCore *self,
                CpRecord    *rec)
{
  g_autoptr(GError) error = NULL;
  EvCpState stored = rec->stopped ? EV_CP_STATE_STOPPED : ev_charging_point_get_state (rec->cp);

  /* A stored STOPPED is the operator's stop, which outlives restarts. */
  if (!rec->stopped && stored == EV_CP_STATE_STOPPED)
    stored = EV_CP_STATE_ACTIVE;
  if (!ev_store_set_cp_state (self->store, ev_charging_point_get_cp_id (rec->cp), stored, &error))
    emit_error (self, error->message);
}

static void
update_state (CentralCore *self,
              CpRecord    *rec)
{
  EvCpState previous = ev_charging_point_get_state (rec->cp);
  EvCpState state = effective_state (rec);
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);
  g_autofree char *message = NULL;
  CentralLogLevel level = CENTRAL_LOG_INFO;
  CentralEventData data = {
    .cp_id = cp_id,
    .state = state,
    .previous = previous,
    .location = ev_charging_point_get_location (rec->cp),
    .price = ev_charging_point_get_price (rec->cp),
  };

  if (state == previous)
    return;

  ev_charging_point_set_state (rec->cp, state);
  store_cp_state (self, rec);
  publish_cp_state (self, rec->cp);

  if (state == EV_CP_STATE_BROKEN)
    {
      level = CENTRAL_LOG_WARNING;
      message = g_strdup_printf (_("Charging point %s is broken down"), cp_id);
    }
  else if (previous == EV_CP_STATE_BROKEN && state != EV_CP_STATE_DISCONNECTED)
    message = g_strdup_printf (_("Charging point %s has recovered"), cp_id);
  emit (self, CENTRAL_EVENT_CP_STATE, level, message, &data);

  if (state == EV_CP_STATE_BROKEN)
    fail_supply (self, rec, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
  else if (state == EV_CP_STATE_DISCONNECTED)
    fail_supply (self, rec, EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED);
}

static CpRecord *
add_cp (CentralCore     *self,
        EvChargingPoint *cp)
{
  CpRecord *rec = g_new0 (CpRecord, 1);
  guint position;

  rec->cp = g_object_ref (cp);
  rec->reported = EV_CP_STATE_ACTIVE;
  g_hash_table_insert (self->records, g_strdup (ev_charging_point_get_cp_id (cp)), rec);

  /* Sorted by id; registrations are rare, so a binary search is plenty. */
  {
    guint lo = 0, hi = g_list_model_get_n_items (G_LIST_MODEL (self->cps));

    while (lo < hi)
      {
        guint mid = (lo + hi) / 2;
        g_autoptr(EvChargingPoint) other = g_list_model_get_item (G_LIST_MODEL (self->cps), mid);

        if (strcmp (ev_charging_point_get_cp_id (other), ev_charging_point_get_cp_id (cp)) < 0)
          lo = mid + 1;
        else
          hi = mid;
      }
    position = lo;
  }
  g_list_store_insert (self->cps, position, cp);

  return rec;
}

/* Monitor links ------------------------------------------------------------ */

static void
respond (CentralCore          *self,
         guint64               link_id,
         const EvLinkResponse *response)
{
  g_autofree char *json = NULL;
  gsize length;

  json = ev_link_response_to_json (response, &length);
  /* The link may be gone by now; nothing to do then. */
  central_monitor_server_respond (self->server, link_id, json, length, NULL);
}

static void
emit_auth_denied (CentralCore  *self,
                  Link         *link,
                  const char   *cp_id,
                  EvLinkReason  reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .cp_id = cp_id, .reason = ev_link_reason_to_string (reason), .peer = link->peer };

  message = g_strdup_printf (_("Denied charging point %s from %s: %s"),
                             cp_id != NULL ? cp_id : "?", link->peer,
                             ev_reason_describe (ev_link_reason_to_string (reason)));
  emit (self, CENTRAL_EVENT_AUTH_DENIED, CENTRAL_LOG_WARNING, message, &data);
}

/* Binds @link to @rec's CP: the newest authenticated link of a CP wins. */
static void
bind_link (CentralCore *self,
           Link        *link,
           CpRecord    *rec)
{
  guint64 previous = rec->link_id;

  if (link->cp_id != NULL && g_strcmp0 (link->cp_id, ev_charging_point_get_cp_id (rec->cp)) != 0)
    {
      CpRecord *other = g_hash_table_lookup (self->records, link->cp_id);

      if (other != NULL && other->link_id == link->id)
        {
          other->link_id = 0;
          update_state (self, other);
        }
    }

  g_free (link->cp_id);
  link->cp_id = g_strdup (ev_charging_point_get_cp_id (rec->cp));
  link->auth_failures = 0;
  central_monitor_server_set_authenticated (self->server, link->id);
  rec->link_id = link->id;
  rec->silent = FALSE;
  rec->status_seen = FALSE;
  rec->last_status_us = g_get_monotonic_time ();
  rec->reported = EV_CP_STATE_ACTIVE;

  if (previous != 0 && previous != link->id)
    central_monitor_server_close_link (self->server, previous);

  update_state (self, rec);
}

static void
emit_link_news (CentralCore      *self,
                CentralEventKind  kind,
                Link             *link,
                CpRecord         *rec,
                const char       *message)
{
  CentralEventData data = {
    .cp_id = ev_charging_point_get_cp_id (rec->cp),
    .location = ev_charging_point_get_location (rec->cp),
    .price = ev_charging_point_get_price (rec->cp),
    .peer = link->peer,
    .pending = ev_charging_point_get_pending (rec->cp),
  };

  emit (self, kind, CENTRAL_LOG_INFO, message, &data);
}

/* Counts a failed auth on @link, which closes after too many (once its
 * answer is out). */
static void
count_link_failure (CentralCore *self,
                    Link        *link)
{
  if (++link->auth_failures >= AUTH_FAILURES_PER_LINK)
    central_monitor_server_close_link (self->server, link->id);
}

static AuthLimit *
ensure_auth_limit (CentralCore *self,
                   const char  *cp_id)
{
  AuthLimit *limit = g_hash_table_lookup (self->auth_limits, cp_id);

  if (limit == NULL)
    {
      limit = g_new0 (AuthLimit, 1);
      g_hash_table_insert (self->auth_limits, g_strdup (cp_id), limit);
    }
  return limit;
}

/* The back-off after @failures in a row, the first of them @threshold:
 * the base, doubling with each further one, up to a minute. */
static gint64
backoff_us (CentralCore *self,
            guint        failures,
            guint        threshold)
{
  gint64 base = (gint64) self->auth_backoff * G_TIME_SPAN_MILLISECOND;
  guint shift = MIN (failures - threshold, 6);

  return MAX (MIN (base << shift, AUTH_BACKOFF_MAX_US), base);
}

/* The address of a peer "ADDR:PORT" or "[ADDR]:PORT", without the port
 * and brackets. */
static char *
peer_address (const char *peer)
{
  const char *colon = strrchr (peer, ':');
  g_autofree char *host = colon != NULL ? g_strndup (peer, colon - peer) : g_strdup (peer);

  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    return g_strndup (host + 1, strlen (host) - 2);
  return g_steal_pointer (&host);
}

/* Drops the addresses that have nothing left to hold against them. */
static void
prune_peer_limits (CentralCore *self)
{
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  PeerLimit *limit;

  g_hash_table_iter_init (&iter, self->peer_limits);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &limit))
    if (limit->blocked_until_us <= now && now - limit->last_failure_us >= PEER_FORGET_US &&
        now - limit->register_refilled_us >= REGISTER_BUDGET * REGISTER_REFILL_US)
      g_hash_table_iter_remove (&iter);
}

/* The limits of @link's address, or %NULL if it is exempt. */
static PeerLimit *
peer_limit_of (CentralCore *self,
               Link        *link)
{
  g_autofree char *address = peer_address (link->peer);
  PeerLimit *limit;

  if (!self->limit_loopback)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

      if (inet == NULL || g_inet_address_get_is_loopback (inet))
        return NULL;
    }

  limit = g_hash_table_lookup (self->peer_limits, address);
  if (limit == NULL)
    {
      if (g_hash_table_size (self->peer_limits) >= PEER_LIMITS_PRUNE_AT)
        prune_peer_limits (self);
      limit = g_new0 (PeerLimit, 1);
      limit->register_budget = REGISTER_BUDGET;
      limit->register_refilled_us = g_get_monotonic_time ();
      g_hash_table_insert (self->peer_limits, g_steal_pointer (&address), limit);
    }
  return limit;
}

/* A wrong token for @cp_id from @link: after a few in a row the CP id
 * backs off, and after a few more from one address (whatever the ids)
 * the address does. */
static void
count_token_failure (CentralCore *self,
                     Link        *link,
                     const char  *cp_id)
{
  AuthLimit *limit = ensure_auth_limit (self, cp_id);
  PeerLimit *peer = peer_limit_of (self, link);
  gint64 now = g_get_monotonic_time ();

  if (peer != NULL)
    {
      if (now - peer->last_failure_us >= PEER_FORGET_US)
        peer->failures = 0;
      peer->last_failure_us = now;
      if (++peer->failures >= PEER_FAILURES_BEFORE_BACKOFF)
        peer->blocked_until_us = now + backoff_us (self, peer->failures, PEER_FAILURES_BEFORE_BACKOFF);
    }

  if (++limit->failures >= AUTH_FAILURES_BEFORE_BACKOFF)
    limit->blocked_until_us = now + backoff_us (self, limit->failures, AUTH_FAILURES_BEFORE_BACKOFF);
}

/* Emits an `auth-denied` of @cp_id with @reason, its message from
 * @format (CP id, peer, count), if the log has not heard of such a
 * denial for an interval; otherwise counts it for the next report. */
static void
emit_throttled (CentralCore  *self,
                LogThrottle  *throttle,
                Link         *link,
                const char   *cp_id,
                EvLinkReason  reason,
                const char   *format)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .cp_id = cp_id, .reason = ev_link_reason_to_string (reason), .peer = link->peer };

  guint count;

  if (!log_throttle_take (throttle, AUTH_LOG_INTERVAL_US, &count))
    return;
  message = g_strdup_printf (format, cp_id != NULL ? cp_id : "?", link->peer, count);
  emit (self, CENTRAL_EVENT_AUTH_DENIED, CENTRAL_LOG_WARNING, message, &data);
}

/* Answers `rate-limited` while @cp_id, or @link's address, backs off;
 * the log hears of it once per interval, with how many there were. */
static gboolean
refuse_rate_limited (CentralCore *self,
                     Link        *link,
                     const char  *cp_id)
{
  AuthLimit *limit = g_hash_table_lookup (self->auth_limits, cp_id);
  PeerLimit *peer = peer_limit_of (self, link);
  g_autoptr(EvLinkResponse) response = NULL;
  gint64 now = g_get_monotonic_time ();

  if (peer != NULL && peer->blocked_until_us > now)
    emit_throttled (self, &peer->rate_limited, link, cp_id, EV_LINK_REASON_RATE_LIMITED,
                    _("Denied charging point %s from %s: too many wrong tokens from this address (rate-limited attempts since the last report: %u)"));
  else if (limit != NULL && limit->blocked_until_us > now)
    emit_throttled (self, &limit->rate_limited, link, cp_id, EV_LINK_REASON_RATE_LIMITED,
                    _("Denied charging point %s from %s: too many wrong tokens (rate-limited attempts since the last report: %u)"));
  else
    return FALSE;

  response = ev_link_response_new_denied (EV_LINK_REASON_RATE_LIMITED);
  respond (self, link->id, response);
  count_link_failure (self, link);
  return TRUE;
}

/* Whether @rec's CP is live on a link other than @link: authenticated
 * there, and heard from (auth or status) within the silence timeout. A
 * newcomer is refused then, so a stolen token cannot knock the real
 * monitor off; once the live link falls silent, the newcomer wins. */
static gboolean
refuse_already_connected (CentralCore *self,
                          Link        *link,
                          CpRecord    *rec)
{
  g_autoptr(EvLinkResponse) response = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);

  if (rec->link_id == 0 || rec->link_id == link->id ||
      g_get_monotonic_time () - rec->last_status_us >= (gint64) self->silence_timeout * G_TIME_SPAN_MILLISECOND)
    return FALSE;

  response = ev_link_response_new_denied (EV_LINK_REASON_ALREADY_CONNECTED);
  respond (self, link->id, response);
  emit_throttled (self, &ensure_auth_limit (self, cp_id)->already_connected, link, cp_id,
                  EV_LINK_REASON_ALREADY_CONNECTED,
                  _("Denied charging point %s from %s: it is connected on another link (refused attempts since the last report: %u)"));
  count_link_failure (self, link);
  return TRUE;
}

/* Answers `too-many-pending` when registering one more CP would leave
 * more than the operator may be asked to sort through awaiting approval:
 * from @link's address, or in all. */
static gboolean
refuse_too_many_pending (CentralCore *self,
                         Link        *link,
                         const char  *cp_id)
{
  g_autofree char *address = peer_address (link->peer);
  g_autoptr(EvLinkResponse) response = NULL;
  guint total = 0, from_address = 0;
  GHashTableIter iter;
  CpRecord *rec;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
    if (ev_charging_point_get_pending (rec->cp))
      {
        total++;
        from_address += g_strcmp0 (rec->pending_address, address) == 0;
      }
  if (total < PENDING_TOTAL && from_address < PENDING_PER_ADDRESS)
    return FALSE;

  response = ev_link_response_new_denied (EV_LINK_REASON_TOO_MANY_PENDING);
  respond (self, link->id, response);
  emit_throttled (self, &self->pending_throttle, link, cp_id, EV_LINK_REASON_TOO_MANY_PENDING,
                  _("Denied charging point %s from %s: too many charging points await approval (refused registrations since the last report: %u)"));
  return TRUE;
}

/* Whether @link's address may register one new CP id now (and takes it
 * from its budget); otherwise answers `rate-limited`. */
static gboolean
take_register_budget (CentralCore *self,
                      Link        *link,
                      const char  *cp_id)
{
  PeerLimit *peer = peer_limit_of (self, link);
  g_autoptr(EvLinkResponse) response = NULL;
  gint64 now = g_get_monotonic_time ();

  if (peer == NULL)
    return TRUE;
  peer->register_budget = MIN ((double) REGISTER_BUDGET,
                               peer->register_budget +
                               (double) (now - peer->register_refilled_us) / REGISTER_REFILL_US);
  peer->register_refilled_us = now;
  if (peer->register_budget >= 1.0 && peer->blocked_until_us <= now)
    {
      peer->register_budget -= 1.0;
      return TRUE;
    }

  response = ev_link_response_new_denied (EV_LINK_REASON_RATE_LIMITED);
  respond (self, link->id, response);
  emit_throttled (self, &peer->rate_limited, link, cp_id, EV_LINK_REASON_RATE_LIMITED,
                  _("Denied charging point %s from %s: too many registrations from this address (rate-limited attempts since the last report: %u)"));
  return FALSE;
}

typedef struct
{
  guint64 link_id;
  EvLinkResponse *response;
} PendingResponse;

static void
pending_response_free (gpointer data)
{
  PendingResponse *pending = data;

  ev_link_response_free (pending->response);
  g_free (pending);
}

static void
send_pending_response_cb (CentralCore *self,
                          gpointer     data)
{
  PendingResponse *pending = data;

  respond (self, pending->link_id, pending->response);
}

/* CP keys ------------------------------------------------------------------ */

static gboolean
load_cp_keys (CentralCore  *self,
              CpRecord     *rec,
              GError      **error)
{
  g_autofree char *key = NULL;
  g_autofree char *previous = NULL;
  gint64 issued_at = 0;

  if (rec->keys_loaded)
    return TRUE;
  if (!ev_store_get_cp_keys (self->store, ev_charging_point_get_cp_id (rec->cp), &key, &previous,
                             &issued_at, error))
    return FALSE;
  rec->has_key = key != NULL && ev_cp_key_from_base64 (key, &rec->key, NULL);
  rec->has_previous = previous != NULL && ev_cp_key_from_base64 (previous, &rec->previous, NULL);
  rec->key_issued_at = issued_at;
  rec->keys_loaded = TRUE;
  return TRUE;
}

/* Gives @rec a new key (stored in the current batch) when it has none,
 * when @renew, or when its key is a day old. Returns its key in base64,
 * or %NULL with @error set; *@fresh says whether it is new (then it may
 * only be handed out once committed). */
static char *
ensure_cp_key (CentralCore  *self,
               CpRecord     *rec,
               gboolean      renew,
               gboolean     *fresh,
               GError      **error)
{
  gint64 now = ev_protocol_now_ms ();
  g_autofree char *text = NULL;
  EvCpKey key;

  *fresh = FALSE;
  if (!load_cp_keys (self, rec, error))
    return NULL;
  if (rec->has_key && !renew && now - rec->key_issued_at < CP_KEY_MAX_AGE_MS)
    return ev_cp_key_to_base64 (&rec->key);

  if (!ev_cp_key_generate (&key, error))
    return NULL;
  text = ev_cp_key_to_base64 (&key);
  if (!ev_store_set_cp_key (self->store, ev_charging_point_get_cp_id (rec->cp), text, now, error))
    return NULL;
  rec->previous = rec->key;
  rec->has_previous = rec->has_key;
  rec->key = key;
  rec->has_key = TRUE;
  rec->key_issued_at = now;
  *fresh = TRUE;
  return g_steal_pointer (&text);
}

/* Says that a message on @topic for @cp_id was refused for its key, at
 * most once a minute per CP (with how many since), so that a flood of
 * forgeries cannot flood the log. */
static void
emit_forged (CentralCore *self,
             const char  *topic,
             const char  *cp_id,
             const char  *reason)
{
  g_autofree char *what = g_strconcat (topic, " ", cp_id, NULL);
  LogThrottle *throttle = g_hash_table_lookup (self->forged, what);
  g_autofree char *message = NULL;
  g_autofree char *described = NULL;
  CentralEventData data = { .topic = topic, .cp_id = cp_id };

  if (throttle == NULL)
    {
      throttle = g_new0 (LogThrottle, 1);
      g_hash_table_insert (self->forged, g_steal_pointer (&what), throttle);
    }
  if (!log_throttle_take (throttle, FORGED_LOG_INTERVAL_US, &data.count))
    return;
  described = g_strdup_printf (_("a message as charging point %s: %s"), cp_id, reason);
  data.reason = described;
  if (data.count > 1)
    message = g_strdup_printf (_("Skipped %u messages on “%s” in the last minute, the last %s"),
                               data.count, topic, described);
  else
    message = g_strdup_printf (_("Skipped a message on “%s”: %s"), topic, described);
  emit (self, CENTRAL_EVENT_INVALID_MESSAGE, CENTRAL_LOG_WARNING, message, &data);
}

/* Whether @msg (on "supply-data", or a station's "supply-req") carries the
 * MAC of @cp_id's key, or of the key it replaced within the overlap. A
 * ticket of a supply that started before the replacement may carry the
 * replaced key whatever its age (@started_at: the supply's start, ms since
 * the epoch, 0 if not started or unknown; -1 for messages other than
 * tickets). What fails is skipped as an invalid message; when the keys of
 * a CP cannot be read for a `supply-data`, %FALSE with @store_error set,
 * and @msg is the caller's to hold. */
static gboolean
check_cp_mac (CentralCore   *self,
              EvBusMessage  *msg,
              const char    *cp_id,
              const char    *text,
              gsize          length,
              gint64         started_at,
              GError       **store_error)
{
  const char *topic = ev_bus_message_get_topic (msg);
  CpRecord *rec = g_hash_table_lookup (self->records, cp_id);
  g_autoptr(GError) error = NULL;
  EvCpKey keys[2];
  guint n_keys = 0, which = 0;

  if (self->insecure_bus)
    return TRUE;

  /* A ticket waits for the store; a request is refused (it may be in
   * the refusing path already). */
  if (rec != NULL && !load_cp_keys (self, rec, &error) && g_str_equal (topic, "supply-data"))
    {
      g_propagate_error (store_error, g_steal_pointer (&error));
      return FALSE;
    }
  g_clear_error (&error);
  if (rec != NULL && rec->has_key)
    keys[n_keys++] = rec->key;
  if (rec != NULL && rec->has_previous)
    keys[n_keys++] = rec->previous;

  if (ev_mac_message_verify (keys, n_keys, topic, ev_bus_message_get_key (msg), text, length, &which, &error))
    {
      gint64 replaced = rec->key_issued_at;

      if (which == 0 || ev_protocol_now_ms () - replaced < self->cp_key_overlap ||
          (started_at >= 0 && started_at < replaced))
        return TRUE;
      g_set_error_literal (&error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY,
                           _("the code is made with a key that has been replaced"));
    }
  emit_forged (self, topic, cp_id, error->message);
  ev_bus_message_skip (self->bus, msg, error->message);
  return FALSE;
}

static void
handle_auth (CentralCore         *self,
             Link                *link,
             const EvLinkRequest *request)
{
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  CpRecord *rec = g_hash_table_lookup (self->records, request->cp_id);
  EvLinkReason reason = EV_LINK_REASON_NONE;
  gboolean fresh = FALSE;

  if (refuse_rate_limited (self, link, request->cp_id))
    return;

  if (rec == NULL)
    reason = EV_LINK_REASON_UNKNOWN_CP;
  else if (!ev_store_verify_token (self->store, request->cp_id, request->token, &error))
    reason = g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN) ? EV_LINK_REASON_UNKNOWN_CP
                                                                            : EV_LINK_REASON_BAD_TOKEN;
  if (reason != EV_LINK_REASON_NONE)
    {
      response = ev_link_response_new_denied (reason);
      respond (self, link->id, response);
      emit_auth_denied (self, link, request->cp_id, reason);
      if (reason == EV_LINK_REASON_BAD_TOKEN)
        count_token_failure (self, link, request->cp_id);
      count_link_failure (self, link);
      return;
    }

  if (refuse_already_connected (self, link, rec))
    return;

  g_hash_table_remove (self->auth_limits, request->cp_id);
  response = ev_link_response_new_authorized (ev_charging_point_get_price (rec->cp),
                                              ev_charging_point_get_location (rec->cp));
  response->pending = ev_charging_point_get_pending (rec->cp);
  response->cp_key = ensure_cp_key (self, rec, FALSE, &fresh, &error);
  if (response->cp_key == NULL)
    {
      /* The CP goes on with the key it has; the next auth tries again. */
      g_autofree char *problem = g_strdup_printf (_("Could not issue a key to charging point %s: %s"),
                                                  request->cp_id, error->message);

      emit_error (self, problem);
    }
  if (fresh)
    {
      /* A new key is only good once it is stored. */
      PendingResponse *pending = g_new0 (PendingResponse, 1);

      pending->link_id = link->id;
      pending->response = g_steal_pointer (&response);
      when_committed (self, NULL, send_pending_response_cb, pending, pending_response_free);
    }
  else
    respond (self, link->id, response);
  message = g_strdup_printf (_("Charging point %s connected from %s"), request->cp_id, link->peer);
  emit_link_news (self, CENTRAL_EVENT_CP_AUTHENTICATED, link, rec, message);
  bind_link (self, link, rec);
}

/* The price of a CP registering for the first time. */
static double
registration_price (CentralCore *self)
{
  double price;

  if (!(self->default_price_max > self->default_price))
    return self->default_price;
  /* Whole cents, within the range. */
  price = round (g_random_double_range (self->default_price, self->default_price_max) * 100.0) / 100.0;
  return CLAMP (price, self->default_price, self->default_price_max);
}

static void
handle_register (CentralCore         *self,
                 Link                *link,
                 const EvLinkRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *message = NULL;
  PendingResponse *pending;
  CpRecord *rec;
  double price;

  /* A CP known already (a repeated registration, or one whose token the
   * operator reset) keeps its price; a new one gets the default, or a
   * price drawn in the configured range. */
  rec = g_hash_table_lookup (self->records, request->cp_id);
  /* Only a repeat with a nonce could replace the live link's token;
   * without one the store answers `already-registered` below. */
  if (rec != NULL && request->nonce != NULL && refuse_already_connected (self, link, rec))
    return;
  /* The pending limit first: a refused registration spends no budget. */
  if (rec == NULL && !self->auto_approve && refuse_too_many_pending (self, link, request->cp_id))
    return;
  if (rec == NULL && !take_register_budget (self, link, request->cp_id))
    return;
  price = rec != NULL ? ev_charging_point_get_price (rec->cp) : registration_price (self);

  /* The store decides: a CP with a token is refused unless this repeats
   * its registration's nonce; one without a token (an old database, or
   * reset by the operator) registers again. */
  token = ev_store_register_cp_pending (self->store, request->cp_id, request->location,
                                        price, request->nonce, rec == NULL && !self->auto_approve, &error);
  if (token == NULL && g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS))
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_denied (EV_LINK_REASON_ALREADY_REGISTERED);

      respond (self, link->id, response);
      emit_auth_denied (self, link, request->cp_id, EV_LINK_REASON_ALREADY_REGISTERED);
      return;
    }
  if (token == NULL)
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_denied (EV_LINK_REASON_INVALID_REQUEST);

      message = g_strdup_printf (_("Could not register charging point %s: %s"),
                                 request->cp_id, error->message);
      emit_error (self, message);
      respond (self, link->id, response);
      return;
    }

  rec = g_hash_table_lookup (self->records, request->cp_id);
  if (rec == NULL)
    {
      g_autoptr(EvChargingPoint) cp = ev_charging_point_new (request->cp_id);

      ev_charging_point_set_location (cp, request->location);
      ev_charging_point_set_price (cp, price);
      ev_charging_point_set_pending (cp, !self->auto_approve);
      rec = add_cp (self, cp);
      if (!self->auto_approve)
        rec->pending_address = peer_address (link->peer);
    }
  else
    {
      /* Registered again: the store took the new location. */
      ev_charging_point_set_location (rec->cp, request->location);
      ev_charging_point_set_price (rec->cp, price);
    }
  g_hash_table_remove (self->auth_limits, request->cp_id);

  /* The token is only good once it is stored. */
  pending = g_new0 (PendingResponse, 1);
  pending->link_id = link->id;
  pending->response = ev_link_response_new_registered (ev_charging_point_get_price (rec->cp), token);
  pending->response->pending = ev_charging_point_get_pending (rec->cp);
  {
    g_autoptr(GError) key_error = NULL;
    gboolean fresh;

    /* New credentials, a new key. */
    pending->response->cp_key = ensure_cp_key (self, rec, TRUE, &fresh, &key_error);
    if (pending->response->cp_key == NULL)
      {
        g_autofree char *problem = g_strdup_printf (_("Could not issue a key to charging point %s: %s"),
                                                    request->cp_id, key_error->message);

        emit_error (self, problem);
      }
  }
  when_committed (self, NULL, send_pending_response_cb, pending, pending_response_free);

  if (ev_charging_point_get_pending (rec->cp))
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh); it awaits your approval"),
                               request->cp_id, ev_charging_point_get_location (rec->cp),
                               ev_charging_point_get_price (rec->cp));
  else
    message = g_strdup_printf (_("Charging point %s registered at %s (%.2f €/kWh)"),
                               request->cp_id, ev_charging_point_get_location (rec->cp),
                               ev_charging_point_get_price (rec->cp));
  emit_link_news (self, CENTRAL_EVENT_CP_REGISTERED, link, rec, message);
  bind_link (self, link, rec);
}

/* An engine that reports its CP free while Central has a supply under way
 * there for longer than any ticket takes to arrive has lost that supply
 * (replaced, or restarted without its journal): Central ends it at a
 * fault, provisionally, so that nothing stays open for ever; a ticket
 * that comes after all still settles it. */

static void
check_forgotten_supply (CentralCore *self,
                        CpRecord    *rec)
{
  const char *supply_id = ev_charging_point_get_supply_id (rec->cp);
  EvSupplySession *session = supply_id != NULL ? g_hash_table_lookup (self->open, supply_id) : NULL;

  if (session == NULL || ev_supply_session_get_phase (session) != EV_SUPPLY_PHASE_SUPPLYING ||
      rec->reported != EV_CP_STATE_ACTIVE)
    {
      rec->idle_since_us = 0;
      return;
    }
  if (rec->idle_since_us == 0)
    rec->idle_since_us = rec->last_status_us;
  else if (rec->last_status_us - rec->idle_since_us >= (gint64) self->forgotten_timeout * G_TIME_SPAN_MILLISECOND)
    {
      rec->idle_since_us = 0;
      fail_session (self, session, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
    }
}

static void
handle_status (CentralCore         *self,
               Link                *link,
               const EvLinkRequest *request)
{
  g_autoptr(EvLinkResponse) response = NULL;
  CpRecord *rec = link->cp_id != NULL ? g_hash_table_lookup (self->records, link->cp_id) : NULL;

  if (rec == NULL || rec->link_id != link->id)
    {
      response = ev_link_response_new_denied (EV_LINK_REASON_NOT_AUTHENTICATED);
      respond (self, link->id, response);
      return;
    }

  if (request->state == EV_CP_STATE_DISCONNECTED)
    {
      response = ev_link_response_new_error (EV_LINK_REASON_INVALID_REQUEST);
      respond (self, link->id, response);
      return;
    }

  rec->last_status_us = g_get_monotonic_time ();
  rec->silent = FALSE;
  rec->status_seen = TRUE;
  rec->reported = request->engine == EV_ENGINE_HEALTH_OK ? request->state : EV_CP_STATE_BROKEN;

  /* Resumed CPs are ACTIVE at once: a STOPPED report sent before the engine
   * got the resume is stale, and must not flip them back until the
   * directive is due again. */
  if (!rec->stopped && rec->reported == EV_CP_STATE_STOPPED &&
      rec->last_status_us - rec->stop_sent_us < STOP_RESEND_US)
    rec->reported = EV_CP_STATE_ACTIVE;

  /* The operator's word outlives an engine that missed the directive. */
  if (rec->reported != EV_CP_STATE_BROKEN &&
      rec->stopped != (rec->reported == EV_CP_STATE_STOPPED) &&
      rec->last_status_us - rec->stop_sent_us >= STOP_RESEND_US)
    {
      rec->stop_sent_us = rec->last_status_us;
      publish_directive (self, ev_charging_point_get_cp_id (rec->cp),
                         rec->stopped ? EV_DIRECTIVE_ACTION_STOP : EV_DIRECTIVE_ACTION_RESUME, NULL);
    }

  response = ev_link_response_new_ok_with_price (ev_charging_point_get_price (rec->cp));
  response->pending = ev_charging_point_get_pending (rec->cp);
  respond (self, link->id, response);
  update_state (self, rec);
  check_forgotten_supply (self, rec);
}

static void
link_opened_cb (CentralMonitorServer *server,
                guint64               link_id,
                const char           *peer,
                gpointer              user_data)
{
  CentralCore *self = user_data;
  Link *link = g_new0 (Link, 1);

  link->id = link_id;
  link->peer = g_strdup (peer);
  g_hash_table_insert (self->links, &link->id, link);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LINKS]);
}

/* The cp_id of a request that failed validation for another field, so
 * that the denial names the CP; %NULL when it has no valid one. */
static char *
valid_cp_id_of (const char *text,
                gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *member;
  const char *cp_id;

  if (!json_parser_load_from_data (parser, text, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  member = json_object_get_member (json_node_get_object (root), "cp_id");
  if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  cp_id = json_node_get_string (member);
  if (!ev_protocol_validate_cp_id (cp_id, "cp_id", NULL))
    return NULL;
  return g_strdup (cp_id);
}

/* With client certificates, a link may speak only for the CP its
 * certificate names (its CN): anything else is `bound-to-other-cp`. */
static gboolean
certificate_matches (CentralCore         *self,
                     Link                *link,
                     const EvLinkRequest *request)
{
  const char *name = central_monitor_server_get_peer_name (self->server, link->id);
  g_autoptr(EvLinkResponse) response = NULL;

  if (name == NULL || self->tls_client_ca == NULL ||
      (request->type != EV_LINK_REQUEST_AUTH && request->type != EV_LINK_REQUEST_REGISTER) ||
      g_strcmp0 (name, request->cp_id) == 0)
    return TRUE;

  response = ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
  respond (self, link->id, response);
  emit_auth_denied (self, link, request->cp_id, EV_LINK_REASON_BOUND_TO_OTHER_CP);
  count_link_failure (self, link);
  return FALSE;
}

static void
request_cb (CentralMonitorServer *server,
            guint64               link_id,
            const char           *text,
            gsize                 len,
            gpointer              user_data)
{
  CentralCore *self = user_data;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;
  Link *link = g_hash_table_lookup (self->links, &link_id);

  if (link == NULL)
    return;

  request = ev_link_request_parse (text, len, &reason, &error);
  if (request == NULL)
    {
      g_autoptr(EvLinkResponse) response = ev_link_response_new_for_reason (reason);

      g_debug ("Bad request from %s: %s", link->peer, error->message);
      respond (self, link_id, response);
      if (reason == EV_LINK_REASON_INVALID_ID || reason == EV_LINK_REASON_INVALID_LOCATION ||
          reason == EV_LINK_REASON_BAD_TOKEN)
        {
          g_autofree char *cp_id = valid_cp_id_of (text, len);

          emit_auth_denied (self, link, cp_id, reason);
        }
      return;
    }

  if (!certificate_matches (self, link, request))
    return;

  switch (request->type)
    {
    case EV_LINK_REQUEST_AUTH:
      handle_auth (self, link, request);
      break;
    case EV_LINK_REQUEST_REGISTER:
      handle_register (self, link, request);
      break;
    case EV_LINK_REQUEST_STATUS:
      handle_status (self, link, request);
      break;
    case EV_LINK_REQUEST_HELLO:
    case EV_LINK_REQUEST_HEALTH:
    case EV_LINK_REQUEST_CENTRAL:
    case EV_LINK_REQUEST_PRICE:
    default:
      {
        /* Requests for an engine are not Central's. */
        g_autoptr(EvLinkResponse) response = ev_link_response_new_unknown_type ();

        respond (self, link_id, response);
      }
      break;
    }
}

static void
disconnect_cp (CentralCore *self,
               CpRecord    *rec,
               const char  *reason)
{
  g_autofree char *message = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (rec->cp);
  CentralEventData data = { .cp_id = cp_id, .reason = reason };

  message = g_strdup_printf (_("Charging point %s disconnected: %s"), cp_id, reason);
  emit (self, CENTRAL_EVENT_CP_DISCONNECTED, CENTRAL_LOG_WARNING, message, &data);
  update_state (self, rec);
}

static void
link_closed_cb (CentralMonitorServer *server,
                guint64               link_id,
                const GError         *reason,
                gpointer              user_data)
{
  CentralCore *self = user_data;
  Link *link = g_hash_table_lookup (self->links, &link_id);
  CpRecord *rec;

  if (link == NULL)
    return;

  if (reason != NULL && (reason->domain == EV_TLS_ERROR ||
                         g_error_matches (reason, EV_LINK_ERROR, EV_LINK_ERROR_TLS_MISMATCH)))
    {
      g_autofree char *message = g_strdup_printf (_("TLS with the link from %s failed: %s"),
                                                  link->peer, reason->message);
      CentralEventData data = { .peer = link->peer, .reason = reason->message };

      emit (self, CENTRAL_EVENT_TLS_FAILED, CENTRAL_LOG_WARNING, message, &data);
    }

  rec = link->cp_id != NULL ? g_hash_table_lookup (self->records, link->cp_id) : NULL;
  if (rec != NULL && rec->link_id == link_id && !self->shutting_down)
    {
      gboolean was_silent = rec->silent;

      rec->link_id = 0;
      if (!was_silent)
        disconnect_cp (self, rec, reason != NULL ? reason->message : _("The link was closed"));
    }
  else if (rec != NULL && rec->link_id == link_id)
    rec->link_id = 0;

  g_hash_table_remove (self->links, &link_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LINKS]);
}

static const CentralMonitorServerCallbacks server_callbacks = {
  .link_opened = link_opened_cb,
  .request = request_cb,
  .link_closed = link_closed_cb,
};

static gboolean
check_silence_cb (gpointer user_data)
{
  CentralCore *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) self->silence_timeout * G_TIME_SPAN_MILLISECOND;
  GHashTableIter iter;
  CpRecord *rec;
  g_autoptr(GPtrArray) fell_silent = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
    if (rec->link_id != 0 && !rec->silent && now - rec->last_status_us >= limit)
      g_ptr_array_add (fell_silent, rec);

  /* Authorisations nobody took up (see DEFAULT_AUTHORIZED_TIMEOUT_MS). A
   * core that just started first reads what its backlog says of them. */
  {
    g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func (g_object_unref);
    gint64 now_wall = now_ms ();
    GHashTableIter open_iter;
    EvSupplySession *session;

    g_hash_table_iter_init (&open_iter, self->open);
    while (g_hash_table_iter_next (&open_iter, NULL, (gpointer *) &session))
      if (ev_supply_session_get_phase (session) == EV_SUPPLY_PHASE_AUTHORIZED &&
          now_wall - MAX (ev_supply_session_get_started_at (session), self->started_at_ms) >
          (gint64) self->authorized_timeout)
        g_ptr_array_add (expired, g_object_ref (session));

    for (guint i = 0; i < expired->len; i++)
      fail_session (self, g_ptr_array_index (expired, i), EV_SUPPLY_ERROR_REASON_NOT_PLUGGED);
  }

  /* Outside the iteration: handling may close links and add records. */
  for (guint i = 0; i < fell_silent->len; i++)
    {
      g_autofree char *reason = NULL;

      rec = g_ptr_array_index (fell_silent, i);
      rec->silent = TRUE;
      reason = g_strdup_printf (_("no status for %u ms"), self->silence_timeout);
      disconnect_cp (self, rec, reason);
    }

  return G_SOURCE_CONTINUE;
}

/* Supply requests ---------------------------------------------------------- */

/* The supply id of a request: the same request always gets the same
 * supply, so a redelivered request is answered again instead of denied. */
static char *
supply_id_for_request (const char *request_id)
{
  g_autofree char *salted = g_strconcat ("ev-central/supply/", request_id, NULL);
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, salted, -1);

  /* An RFC 4122 name-based layout: version 5 nibble, variant 10xx. */
  hex[12] = '5';
  hex[16] = "89ab"[g_ascii_xdigit_value (hex[16]) & 3];
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void
send_authorization (CentralCore     *self,
                    const char      *request_id,
                    EvSupplySession *session)
{
  g_autoptr(EvSupplyResponse) response = NULL;
  const char *driver_id = ev_supply_session_get_driver_id (session);
  char *json;
  gsize length;

  response = ev_supply_response_new_authorized (request_id, driver_id,
                                                ev_supply_session_get_cp_id (session),
                                                ev_supply_session_get_supply_id (session),
                                                ev_supply_session_get_price (session));
  json = ev_supply_response_to_json (response, &length);
  publish (self, "supply-res", driver_id, json, length);
  publish_directive (self, ev_supply_session_get_cp_id (session), EV_DIRECTIVE_ACTION_START, session);
}

typedef struct
{
  char *request_id;
  EvSupplySession *session;
} Authorization;

static void
authorization_free (gpointer data)
{
  Authorization *auth = data;

  g_free (auth->request_id);
  g_clear_object (&auth->session);
  g_free (auth);
}

static void
send_authorization_cb (CentralCore *self,
                       gpointer     data)
{
  Authorization *auth = data;
  EvSupplySession *session = auth->session;
  g_autofree char *message = NULL;
  CentralEventData event = {
    .cp_id = ev_supply_session_get_cp_id (session),
    .request_id = auth->request_id,
    .driver_id = ev_supply_session_get_driver_id (session),
    .supply_id = ev_supply_session_get_supply_id (session),
    .price = ev_supply_session_get_price (session),
  };

  /* Told once stored: a batch lost with the disk never authorised it. */
  message = g_strdup_printf (_("Authorised driver %s at %s"), event.driver_id, event.cp_id);
  emit (self, CENTRAL_EVENT_AUTHORIZED, CENTRAL_LOG_INFO, message, &event);
  send_authorization (self, auth->request_id, session);
}

static void
send_denial_cb (CentralCore *self,
                gpointer     data)
{
  EvSupplyResponse *response = data;
  char *json;
  gsize length;

  json = ev_supply_response_to_json (response, &length);
  publish (self, "supply-res", response->driver_id, json, length);
}

static EvSupplyDenyReason
check_request (CentralCore           *self,
               const EvSupplyRequest *request)
{
  CpRecord *rec = g_hash_table_lookup (self->records, request->cp_id);

  /* Not approved yet: as unknown to drivers as it is on cp-states. */
  if (rec == NULL || ev_charging_point_get_pending (rec->cp))
    return EV_SUPPLY_DENY_REASON_UNKNOWN_CP;

  switch (ev_charging_point_get_state (rec->cp))
    {
    case EV_CP_STATE_DISCONNECTED:
      return EV_SUPPLY_DENY_REASON_CP_DISCONNECTED;
    case EV_CP_STATE_BROKEN:
      return EV_SUPPLY_DENY_REASON_CP_BROKEN;
    case EV_CP_STATE_STOPPED:
      return EV_SUPPLY_DENY_REASON_CP_STOPPED;
    case EV_CP_STATE_WAITING:
    case EV_CP_STATE_SUPPLYING:
      return EV_SUPPLY_DENY_REASON_CP_BUSY;
    case EV_CP_STATE_ACTIVE:
    default:
      break;
    }

  if (ev_charging_point_get_supply_id (rec->cp) != NULL)
    return EV_SUPPLY_DENY_REASON_CP_BUSY;
  if (g_hash_table_contains (self->driver_supply, request->driver_id))
    return EV_SUPPLY_DENY_REASON_DRIVER_BUSY;

  return EV_SUPPLY_DENY_REASON_NONE;
}

/* A driver's request must be signed by the key its driver id is bound
 * to; the first signed request of an id binds it (docs/protocol.md,
 * “Signed messages”). Returns %FALSE when @msg is done with (rejected as
 * an invalid message), or with @store_error set when the binding could
 * not be read or stored (the caller holds @msg). */
static gboolean
check_request_author (CentralCore           *self,
                      EvBusMessage          *msg,
                      const EvSupplyRequest *request,
                      const char            *data,
                      gsize                  length,
                      GError               **store_error)
{
  g_autoptr(EvVerifyKey) signer = NULL;
  g_autoptr(GError) error = NULL;
  EvVerifyKey *bound;

  if (self->insecure_bus)
    return TRUE;
  /* Station requests are the engines': they carry their CP's MAC. */
  if (request->origin != EV_SUPPLY_ORIGIN_DRIVER)
    return check_cp_mac (self, msg, request->cp_id, data, length, -1, NULL);

  bound = g_hash_table_lookup (self->driver_keys, request->driver_id);
  if (bound == NULL)
    {
      g_autofree char *stored = NULL;

      if (!ev_store_get_driver_key (self->store, request->driver_id, &stored, &error))
        {
          g_propagate_error (store_error, g_steal_pointer (&error));
          return FALSE;
        }
      if (stored != NULL && (bound = ev_verify_key_new_from_base64 (stored, NULL)) != NULL)
        g_hash_table_insert (self->driver_keys, g_strdup (request->driver_id), bound);
    }

  if (!ev_signed_message_verify ("supply-req", ev_bus_message_get_key (msg), data, length,
                                 bound, &signer, &error))
    {
      g_autofree char *reason = g_strdup_printf (_("a request as driver %s: %s"),
                                                 request->driver_id, error->message);

      emit_invalid_message (self, "supply-req", reason);
      ev_bus_message_skip (self->bus, msg, reason);
      return FALSE;
    }
  if (bound != NULL)
    return TRUE;

  if (!ev_store_bind_driver_key (self->store, request->driver_id, ev_verify_key_get_base64 (signer), &error))
    {
      g_propagate_error (store_error, g_steal_pointer (&error));
      return FALSE;
    }
  g_hash_table_insert (self->driver_keys, g_strdup (request->driver_id), g_steal_pointer (&signer));
  return TRUE;
}

static void
handle_supply_request (CentralCore  *self,
                       EvBusMessage *msg,
                       const char   *data,
                       gsize         length)
{
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autoptr(EvSupplySession) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *supply_id = NULL;
  g_autofree char *message = NULL;
  EvSupplySession *session;
  EvSupplyDenyReason reason;
  CentralEventData event = { 0 };
  CpRecord *rec;

  request = ev_supply_request_from_json (data, length, &error);
  if (request == NULL)
    {
      emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (!check_request_author (self, msg, request, data, length, &error))
    {
      if (error != NULL)
        store_failed_for (self, msg, "supply-req", error);
      return;
    }

  supply_id = supply_id_for_request (request->request_id);

  /* Seen before (delivered again after a restart): answer the same way
   * while the supply is open, and stay quiet once it has ended. However
   * old the request, the supply it started may be under way: it is never
   * withdrawn here (an authorisation nobody takes up ends by itself, see
   * DEFAULT_AUTHORIZED_TIMEOUT_MS, and the engine ignores a start it
   * already follows). */
  session = g_hash_table_lookup (self->open, supply_id);
  if (session != NULL)
    {
      send_authorization (self, request->request_id, session);
      ev_bus_message_done (self->bus, msg);
      return;
    }
  stored = ev_store_lookup_session (self->store, supply_id, NULL);
  if (stored != NULL)
    {
      ev_bus_message_done (self->bus, msg);
      return;
    }

  /* Denied before (the answer may not have left before a crash): the same
   * answer again, never a new decision the driver no longer waits for. */
  {
    g_autofree char *denied = ev_store_lookup_denial (self->store, request->request_id, NULL);
    EvSupplyDenyReason earlier = EV_SUPPLY_DENY_REASON_INVALID_REQUEST;

    if (denied != NULL)
      {
        g_autoptr(EvSupplyResponse) again = NULL;

        ev_supply_deny_reason_from_string (denied, &earlier);
        again = ev_supply_response_new_denied (request->request_id, request->driver_id, request->cp_id, earlier);
        send_denial_cb (self, again);
        ev_bus_message_done (self->bus, msg);
        return;
      }
  }

  event.cp_id = request->cp_id;
  event.request_id = request->request_id;
  event.driver_id = request->driver_id;
  event.origin = ev_supply_origin_to_string (request->origin);
  emit (self, CENTRAL_EVENT_REQUEST, CENTRAL_LOG_INFO, NULL, &event);
  event.origin = NULL;

  if (self->request_max_age > 0 &&
      now_ms () - request->envelope.ts > (gint64) self->request_max_age)
    reason = EV_SUPPLY_DENY_REASON_INVALID_REQUEST;
  else
    reason = check_request (self, request);
  rec = g_hash_table_lookup (self->records, request->cp_id);
  if (reason == EV_SUPPLY_DENY_REASON_NONE &&
      !ev_store_create_session (self->store, supply_id, request->cp_id, request->driver_id,
                                ev_charging_point_get_price (rec->cp), &error))
    {
      if (is_storage_error (error))
        {
          store_failed_for (self, msg, "supply-req", error);
          return;
        }
      reason = g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS)
               ? EV_SUPPLY_DENY_REASON_CP_BUSY : EV_SUPPLY_DENY_REASON_INVALID_REQUEST;
      g_warning ("Could not store supply %s: %s", supply_id, error->message);
    }

  if (reason != EV_SUPPLY_DENY_REASON_NONE)
    {
      EvSupplyResponse *response = ev_supply_response_new_denied (request->request_id, request->driver_id,
                                                                  request->cp_id, reason);

      event.reason = ev_supply_deny_reason_to_string (reason);
      {
        g_autoptr(GError) store_error = NULL;

        if (!ev_store_record_denial (self->store, request->request_id,
                                     ev_supply_deny_reason_to_string (reason), &store_error))
          emit_error (self, store_error->message);
      }
      message = g_strdup_printf (_("Denied driver %s at %s: %s"), request->driver_id, request->cp_id,
                                 ev_reason_describe (ev_supply_deny_reason_to_string (reason)));
      emit (self, CENTRAL_EVENT_DENIED, CENTRAL_LOG_WARNING, message, &event);
      when_committed (self, msg, send_denial_cb, response, (GDestroyNotify) ev_supply_response_free);
      return;
    }

  session = ev_supply_session_new (supply_id, request->cp_id, request->driver_id);
  ev_supply_session_set_phase (session, EV_SUPPLY_PHASE_AUTHORIZED);
  ev_supply_session_set_price (session, ev_charging_point_get_price (rec->cp));
  ev_supply_session_set_started_at (session, now_ms ());
  track_session (self, session);

  {
    Authorization *auth = g_new0 (Authorization, 1);

    auth->request_id = g_strdup (request->request_id);
    auth->session = session;
    when_committed (self, msg, send_authorization_cb, auth, authorization_free);
  }
}

/* Live data ---------------------------------------------------------------- */

static void emit_ticket  (CentralCore     *self,
                          EvSupplySession *session);
static void emit_settled (CentralCore     *self,
                          EvSupplySession *session,
                          const char      *fault);

/* A supply's figures for its driver and, for a ticket, the event that
 * tells it: both once stored, so that a batch lost and handled again
 * tells it once. */
typedef struct
{
  EvSupplyData *relayed;      /* progress, sent as it is */
  EvOutboxEntry *entry;       /* a ticket, sent through the outbox */
  EvSupplySession *ended;     /* a ticket's supply, or NULL */
  char *fault;                /* Central's reason, for a settled one */
} Relay;

static void
relay_free (gpointer data)
{
  Relay *relay = data;

  g_clear_pointer (&relay->relayed, ev_supply_data_free);
  g_clear_pointer (&relay->entry, ev_outbox_entry_free);
  g_clear_object (&relay->ended);
  g_free (relay->fault);
  g_free (relay);
}

static void
relay_cb (CentralCore *self,
          gpointer     data)
{
  Relay *relay = data;

  if (relay->ended != NULL && relay->fault != NULL)
    emit_settled (self, relay->ended, relay->fault);
  else if (relay->ended != NULL)
    emit_ticket (self, relay->ended);

  if (relay->entry != NULL)
    outbox_send (self, relay->entry);
  else
    {
      gsize length;
      char *json = ev_supply_data_to_json (relay->relayed, &length);

      publish (self, "supply-data2", relay->relayed->driver_id, json, length);
    }
}

/* Relays @data to its driver once the batch has committed; a ticket goes
 * through the outbox, written now, in the batch that stored it. When that
 * write fails, the store is in trouble and @msg waits for it. */
static void
relay_later (CentralCore        *self,
             EvBusMessage       *msg,
             const EvSupplyData *data,
             EvSupplySession    *ended,
             const char         *fault)
{
  g_autoptr(EvSupplyData) relayed = ev_supply_data_copy (data);
  g_autoptr(GError) error = NULL;
  Relay *relay;

  /* A new message of Central's, with its own identity; source_ts keeps
   * when the engine sent it, so a driver can measure the whole path. */
  g_clear_pointer (&relayed->envelope.id, g_free);
  relayed->source_ts = data->envelope.ts;
  relayed->envelope.ts = 0;
  ev_envelope_ensure (&relayed->envelope);

  relay = g_new0 (Relay, 1);
  if (relayed->kind == EV_SUPPLY_DATA_TICKET)
    {
      gsize length;
      char *json = ev_supply_data_to_json (relayed, &length);

      relay->entry = outbox_write (self, "supply-data2", relayed->driver_id, json, length, &error);
      if (relay->entry == NULL)
        {
          relay_free (relay);
          store_failed_for (self, msg, "supply-data", error);
          return;
        }
    }
  else
    relay->relayed = g_steal_pointer (&relayed);
  relay->ended = ended != NULL ? ev_supply_session_copy (ended) : NULL;
  relay->fault = g_strdup (fault);
  when_committed (self, msg, relay_cb, relay, relay_free);
}

static void
emit_progress (CentralCore        *self,
               const EvSupplyData *data)
{
  CentralEventData event = {
    .cp_id = data->cp_id,
    .supply_id = data->supply_id,
    .driver_id = data->driver_id,
    .seq = data->seq,
    .kwh = data->kwh,
    .amount = data->amount,
  };

  emit (self, CENTRAL_EVENT_PROGRESS, CENTRAL_LOG_INFO, NULL, &event);
}

static void
emit_ticket (CentralCore     *self,
             EvSupplySession *session)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  message = g_strdup_printf (_("Ticket for driver %s at %s: %.2f kWh, %.2f €"),
                             ev_supply_session_get_driver_id (session),
                             ev_supply_session_get_cp_id (session),
                             ev_supply_session_get_kwh (session),
                             ev_supply_session_get_amount (session));
  emit (self, CENTRAL_EVENT_TICKET, CENTRAL_LOG_INFO, message, &data);
}

/* Returns the reason @data is not acceptable for @session, or NULL. */
static char *
check_supply_data (EvSupplySession    *session,
                   const EvSupplyData *data)
{
  double expected = data->kwh * ev_supply_session_get_price (session);

  if (g_strcmp0 (data->cp_id, ev_supply_session_get_cp_id (session)) != 0 ||
      g_strcmp0 (data->driver_id, ev_supply_session_get_driver_id (session)) != 0)
    return g_strdup_printf (_("supply %s is not at %s for driver %s"),
                            data->supply_id, data->cp_id, data->driver_id);
  if (data->kwh < ev_supply_session_get_kwh (session))
    return g_strdup_printf (_("energy went down from %.3f to %.3f kWh"),
                            ev_supply_session_get_kwh (session), data->kwh);
  if (fabs (data->amount - expected) > AMOUNT_TOLERANCE)
    return g_strdup_printf (_("amount %.2f € does not match %.3f kWh at %.2f €/kWh"),
                            data->amount, data->kwh, ev_supply_session_get_price (session));
  return NULL;
}

static void
handle_progress (CentralCore        *self,
                 EvBusMessage       *msg,
                 EvSupplySession    *session,
                 const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  gboolean applied = FALSE;
  CpRecord *rec;

  if (!ev_store_record_progress (self->store, data->supply_id, data->seq, data->kwh, data->amount,
                                 data->started_at, &applied, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      return;
    }

  ev_supply_session_set_seq (session, data->seq);
  ev_supply_session_set_kwh (session, data->kwh);
  ev_supply_session_set_amount (session, data->amount);
  ev_supply_session_set_phase (session, EV_SUPPLY_PHASE_SUPPLYING);
  if (data->started_at > 0)
    ev_supply_session_set_started_at (session, data->started_at);

  rec = g_hash_table_lookup (self->records, data->cp_id);
  if (rec != NULL && g_strcmp0 (ev_charging_point_get_supply_id (rec->cp), data->supply_id) == 0)
    {
      ev_charging_point_set_kwh (rec->cp, data->kwh);
      ev_charging_point_set_amount (rec->cp, data->amount);
    }

  emit_progress (self, data);
  relay_later (self, msg, data, NULL, NULL);
}

static void
handle_ticket (CentralCore        *self,
               EvBusMessage       *msg,
               EvSupplySession    *session,
               const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  gboolean recorded = FALSE;
  gboolean failed = data->reason == EV_TICKET_REASON_ENGINE_FAULT ||
                    data->reason == EV_TICKET_REASON_NOT_PLUGGED;

  g_object_ref (session);
  ev_supply_session_set_seq (session, data->seq);
  ev_supply_session_set_kwh (session, data->kwh);
  ev_supply_session_set_amount (session, data->amount);
  if (data->started_at > 0)
    ev_supply_session_set_started_at (session, data->started_at);
  ev_supply_session_set_ended_at (session, data->ended_at > 0 ? data->ended_at : now_ms ());
  ev_supply_session_set_reason (session, ev_ticket_reason_to_string (data->reason));
  ev_supply_session_set_phase (session, failed ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);

  if (!ev_store_finish_session (self->store, session, &recorded, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      g_object_unref (session);
      return;
    }

  conclude_session (self, session);

  if (!recorded)
    ev_bus_message_done (self->bus, msg);
  else if (failed)
    {
      EvOutboxEntry *entry = write_supply_error (self, session, &error);

      if (entry == NULL)
        store_failed_for (self, msg, "supply-data", error);
      else
        {
          emit_supply_error (self, session);
          when_committed (self, msg, outbox_send_cb, entry, (GDestroyNotify) ev_outbox_entry_free);
        }
    }
  else
    {
      relay_later (self, msg, data, session, NULL);
    }

  g_object_unref (session);
}

/* The newest history entry of @supply_id in memory, if still there. */
static EvSupplySession *
find_in_history (CentralCore *self,
                 const char  *supply_id)
{
  GListModel *history = G_LIST_MODEL (self->history);
  guint n = g_list_model_get_n_items (history);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvSupplySession) item = g_list_model_get_item (history, i);

      if (g_strcmp0 (ev_supply_session_get_supply_id (item), supply_id) == 0)
        return item;
    }
  return NULL;
}

static void
emit_settled (CentralCore     *self,
              EvSupplySession *session,
              const char      *fault)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  data.fault = fault;
  message = g_strdup_printf (_("Settled the supply of driver %s at %s with the engine’s figures after %s: %.2f kWh, %.2f €"),
                             ev_supply_session_get_driver_id (session),
                             ev_supply_session_get_cp_id (session),
                             ev_reason_describe (fault),
                             ev_supply_session_get_kwh (session),
                             ev_supply_session_get_amount (session));
  emit (self, CENTRAL_EVENT_SETTLED, CENTRAL_LOG_INFO, message, &data);
}

/* Data of a supply Central ended at a fault (@stored, provisional): the
 * engine went on. Progress keeps the stored figures up with its meter;
 * its ticket replaces Central's outcome, and the driver, who had the
 * error, gets the ticket. Billed once: the same row, settled once. */
static void
settle_session (CentralCore        *self,
                EvBusMessage       *msg,
                EvSupplySession    *stored,
                const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = check_supply_data (stored, data);
  g_autofree char *fault = g_strdup (ev_supply_session_get_reason (stored));
  gboolean recorded = FALSE;
  EvSupplySession *shown;

  if (problem != NULL)
    {
      emit_invalid_message (self, "supply-data", problem);
      ev_bus_message_skip (self->bus, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    {
      if (!ev_store_record_progress (self->store, data->supply_id, data->seq, data->kwh, data->amount,
                                     data->started_at, NULL, &error))
        {
          store_failed_for (self, msg, "supply-data", error);
          return;
        }
      when_committed (self, msg, NULL, NULL, NULL);
      return;
    }

  ev_supply_session_set_seq (stored, MAX (data->seq, ev_supply_session_get_seq (stored)));
  ev_supply_session_set_kwh (stored, data->kwh);
  ev_supply_session_set_amount (stored, data->amount);
  if (data->started_at > 0)
    ev_supply_session_set_started_at (stored, data->started_at);
  ev_supply_session_set_ended_at (stored, data->ended_at > 0 ? data->ended_at : now_ms ());
  ev_supply_session_set_reason (stored, ev_ticket_reason_to_string (data->reason));
  ev_supply_session_set_phase (stored, data->reason == EV_TICKET_REASON_ENGINE_FAULT ||
                                       data->reason == EV_TICKET_REASON_NOT_PLUGGED
                                       ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);
  ev_supply_session_set_provisional (stored, FALSE);
  if (!ev_store_finish_session (self->store, stored, &recorded, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      return;
    }
  if (!recorded)
    {
      ev_bus_message_done (self->bus, msg);
      return;
    }

  shown = find_in_history (self, data->supply_id);
  if (shown != NULL)
    ev_supply_session_update (shown, stored);
  relay_later (self, msg, data, stored, fault);
}

static void
handle_supply_data (CentralCore  *self,
                    EvBusMessage *msg,
                    const char   *text,
                    gsize         length)
{
  g_autoptr(EvSupplyData) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  EvSupplySession *session;

  data = ev_supply_data_from_json (text, length, &error);
  if (data == NULL)
    {
      emit_invalid_message (self, "supply-data", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }

  session = g_hash_table_lookup (self->open, data->supply_id);
  if (session == NULL)
    {
      g_autoptr(EvSupplySession) stored = ev_store_lookup_session (self->store, data->supply_id, NULL);

      /* Ended by Central at a fault: the engine's figures settle it. */
      if (stored != NULL && ev_supply_session_get_provisional (stored))
        {
          if (check_cp_mac (self, msg, data->cp_id, text, length,
                            data->kind == EV_SUPPLY_DATA_TICKET ? ev_supply_session_get_started_at (stored) : -1,
                            &error))
            settle_session (self, msg, stored, data);
          else if (error != NULL)
            store_failed_for (self, msg, "supply-data", error);
          return;
        }
      /* Late or repeated data of a supply that has ended with its ticket is
       * expected after a restart: it changes nothing. Its driver has the
       * outcome, or will: the outbox row written with the ticket is sent
       * until the broker has it, by this Central or the next. */
      if (stored != NULL)
        {
          ev_bus_message_done (self->bus, msg);
          return;
        }
      problem = g_strdup_printf (_("unknown supply %s"), data->supply_id);
      emit_invalid_message (self, "supply-data", problem);
      ev_bus_message_skip (self->bus, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS && data->seq <= ev_supply_session_get_seq (session))
    {
      /* A duplicate delivery. */
      ev_bus_message_done (self->bus, msg);
      return;
    }

  if (!check_cp_mac (self, msg, data->cp_id, text, length,
                     data->kind == EV_SUPPLY_DATA_TICKET ? ev_supply_session_get_started_at (session) : -1,
                     &error))
    {
      if (error != NULL)
        store_failed_for (self, msg, "supply-data", error);
      return;
    }

  problem = check_supply_data (session, data);
  if (problem != NULL)
    {
      emit_invalid_message (self, "supply-data", problem);
      ev_bus_message_skip (self->bus, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    handle_progress (self, msg, session, data);
  else
    handle_ticket (self, msg, session, data);
}

/* Storage trouble ---------------------------------------------------------- */

#define STORE_RETRY_MS 1000

/* A failure of the disk or of SQLite, not of the message. */
static gboolean
is_storage_error (const GError *error)
{
  return error->domain == EV_STORE_ERROR &&
         (error->code == EV_STORE_ERROR_FAILED || error->code == EV_STORE_ERROR_FULL ||
          error->code == EV_STORE_ERROR_BUSY || error->code == EV_STORE_ERROR_CORRUPT ||
          error->code == EV_STORE_ERROR_NOT_A_DATABASE);
}

static void
emit_store (CentralCore *self,
            gboolean     writable,
            const char  *reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .writable = writable, .held = self->held.length, .reason = reason };

  if (writable)
    message = g_strdup (_("The database can be written again: the messages held meanwhile are handled"));
  else
    message = g_strdup_printf (_("The database cannot be written (%s): the engines’ messages are held and "
                                 "supply requests refused until a write succeeds"), reason);
  emit (self, CENTRAL_EVENT_STORE, writable ? CENTRAL_LOG_INFO : CENTRAL_LOG_WARNING, message, &data);
}

/* Answers a request Central cannot store with `unavailable`, at once. */
static void
refuse_request (CentralCore  *self,
                EvBusMessage *msg)
{
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autoptr(EvSupplyResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : NULL;
  CentralEventData event = { 0 };

  request = ev_supply_request_from_json (text, length, &error);
  if (request == NULL)
    {
      emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (request->origin == EV_SUPPLY_ORIGIN_DRIVER && !self->insecure_bus &&
      !ev_signed_message_verify ("supply-req", ev_bus_message_get_key (msg), text, length,
                                 g_hash_table_lookup (self->driver_keys, request->driver_id), NULL, &error))
    {
      emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (request->origin == EV_SUPPLY_ORIGIN_STATION &&
      !check_cp_mac (self, msg, request->cp_id, text, length, -1, NULL))
    return;

  response = ev_supply_response_new_denied (request->request_id, request->driver_id, request->cp_id,
                                            EV_SUPPLY_DENY_REASON_UNAVAILABLE);
  event.cp_id = request->cp_id;
  event.request_id = request->request_id;
  event.driver_id = request->driver_id;
  event.reason = ev_supply_deny_reason_to_string (EV_SUPPLY_DENY_REASON_UNAVAILABLE);
  message = g_strdup_printf (_("Refused driver %s at %s: the database cannot be written"),
                             request->driver_id, request->cp_id);
  emit (self, CENTRAL_EVENT_DENIED, CENTRAL_LOG_WARNING, message, &event);
  send_denial_cb (self, response);
  ev_bus_message_done (self->bus, msg);
}

/* A message whose effect could not be stored: a request is refused, an
 * engine's message waits for the store, in order. */
static void
hold_or_refuse (CentralCore  *self,
                EvBusMessage *msg)
{
  if (g_str_equal (ev_bus_message_get_topic (msg), "supply-req"))
    refuse_request (self, msg);
  else
    g_queue_push_tail (&self->held, ev_bus_message_ref (msg));
}

/* The store failed on @msg's behalf (@error); a bad message is skipped. */
static void
store_failed_for (CentralCore  *self,
                  EvBusMessage *msg,
                  const char   *topic,
                  const GError *error)
{
  if (is_storage_error (error))
    {
      store_failed (self, error);
      hold_or_refuse (self, msg);
      return;
    }
  emit_invalid_message (self, topic, error->message);
  ev_bus_message_skip (self->bus, msg, error->message);
}

static gboolean retry_store_cb (gpointer user_data);

static void
store_failed (CentralCore  *self,
              const GError *error)
{
  if (self->retry_source == NULL)
    {
      self->retry_source = g_timeout_source_new (STORE_RETRY_MS);
      g_source_set_callback (self->retry_source, retry_store_cb, self, NULL);
      g_source_attach (self->retry_source, g_main_context_get_thread_default ());
    }
  if (self->store_failed)
    return;
  self->store_failed = TRUE;
  emit_store (self, FALSE, error->message);
}

/* Takes @session out of the open ones (the requests, its CP, its
 * driver). */
static void
untrack_session (CentralCore     *self,
                 EvSupplySession *session)
{
  g_autoptr(EvSupplySession) held = g_object_ref (session);
  const char *supply_id = ev_supply_session_get_supply_id (held);
  CpRecord *rec = g_hash_table_lookup (self->records, ev_supply_session_get_cp_id (held));
  guint position;

  if (g_list_store_find (self->requests, held, &position))
    g_list_store_remove (self->requests, position);
  if (g_strcmp0 (g_hash_table_lookup (self->driver_supply, ev_supply_session_get_driver_id (held)),
                 supply_id) == 0)
    g_hash_table_remove (self->driver_supply, ev_supply_session_get_driver_id (held));
  g_hash_table_remove (self->open, supply_id);
  if (rec != NULL && g_strcmp0 (ev_charging_point_get_supply_id (rec->cp), supply_id) == 0)
    ev_charging_point_clear_supply (rec->cp);
}

/* Makes the open supplies in memory those of the database: what a lost
 * batch created is forgotten, what it ended is open again. */
static gboolean
resync_sessions (CentralCore *self)
{
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) in_memory = NULL;
  g_autoptr(GError) error = NULL;

  stored = ev_store_load_open_sessions (self->store, &error);
  if (stored == NULL)
    return FALSE;

  in_memory = g_ptr_array_new_with_free_func (g_object_unref);
  {
    GHashTableIter iter;
    EvSupplySession *session;

    g_hash_table_iter_init (&iter, self->open);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
      g_ptr_array_add (in_memory, g_object_ref (session));
  }
  for (guint i = 0; i < in_memory->len; i++)
    untrack_session (self, g_ptr_array_index (in_memory, i));

  for (guint i = 0; i < stored->len; i++)
    {
      EvSupplySession *session = g_ptr_array_index (stored, i);
      EvSupplySession *ended = find_in_history (self, ev_supply_session_get_supply_id (session));
      guint position;

      if (ended != NULL && g_list_store_find (self->history, ended, &position))
        g_list_store_remove (self->history, position);
      track_session (self, session);
    }

  /* A fault whose end was lost with the batch is a fault still. */
  {
    GHashTableIter iter;
    CpRecord *rec;
    g_autoptr(GPtrArray) faulty = g_ptr_array_new ();

    g_hash_table_iter_init (&iter, self->records);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
      if (ev_charging_point_get_supply_id (rec->cp) != NULL &&
          (ev_charging_point_get_state (rec->cp) == EV_CP_STATE_BROKEN ||
           ev_charging_point_get_state (rec->cp) == EV_CP_STATE_DISCONNECTED))
        g_ptr_array_add (faulty, rec);
    for (guint i = 0; i < faulty->len; i++)
      {
        rec = g_ptr_array_index (faulty, i);
        fail_supply (self, rec, ev_charging_point_get_state (rec->cp) == EV_CP_STATE_BROKEN
                                ? EV_SUPPLY_ERROR_REASON_ENGINE_FAULT
                                : EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED);
      }
  }
  return TRUE;
}

static void dispatch (CentralCore  *self,
                      EvBusMessage *msg);

/* Once a second while the store fails: a write is tried; when it works,
 * memory is made to match the database and the held messages are handled
 * again, in the order they came. */
static gboolean
retry_store_cb (gpointer user_data)
{
  CentralCore *self = user_data;
  g_autoptr(GError) error = NULL;
  GQueue held = G_QUEUE_INIT;

  if (!ev_store_check_writable (self->store, &error))
    return G_SOURCE_CONTINUE;
  if (!resync_sessions (self))
    return G_SOURCE_CONTINUE;

  self->store_failed = FALSE;
  self->replaying = TRUE;
  held = self->held;
  g_queue_init (&self->held);
  while (!g_queue_is_empty (&held))
    {
      g_autoptr(EvBusMessage) msg = g_queue_pop_head (&held);

      /* Failed again: the rest waits behind what failed, in order. */
      if (self->store_failed)
        g_queue_push_tail (&self->held, g_steal_pointer (&msg));
      else
        dispatch (self, msg);
    }
  if (!self->store_failed && !ev_store_flush (self->store, &error))
    store_failed (self, error);
  self->replaying = FALSE;

  if (self->store_failed)
    return G_SOURCE_CONTINUE;

  emit_store (self, TRUE, NULL);
  g_clear_pointer (&self->retry_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
dispatch (CentralCore  *self,
          EvBusMessage *msg)
{
  const char *topic = ev_bus_message_get_topic (msg);
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *data = value != NULL ? g_bytes_get_data (value, &length) : NULL;

  if (g_str_equal (topic, "supply-req"))
    handle_supply_request (self, msg, data, length);
  else if (g_str_equal (topic, "supply-data"))
    handle_supply_data (self, msg, data, length);
  else
    ev_bus_message_done (self->bus, msg);
}

static void
bus_message_cb (EvBus        *bus,
                EvBusMessage *msg,
                gpointer      user_data)
{
  CentralCore *self = user_data;

  /* Behind held messages, a message waits too (or is refused). */
  if (self->store_failed || !g_queue_is_empty (&self->held))
    {
      hold_or_refuse (self, msg);
      return;
    }
  dispatch (self, msg);
}

static void
bus_reachable_cb (EvBus      *bus,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  CentralCore *self = user_data;
  gboolean reachable = ev_bus_get_reachable (bus);
  CentralEventData data = { .reachable = reachable };

  if (reachable == self->broker_reachable)
    return;

  self->broker_reachable = reachable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKER_REACHABLE]);

  emit (self, CENTRAL_EVENT_BROKER,
        reachable ? CENTRAL_LOG_INFO : CENTRAL_LOG_WARNING,
        reachable ? _("The Kafka broker is reachable") : _("The Kafka broker is unreachable"),
        &data);
}

/* Start and stop ------------------------------------------------------------ */

static gboolean
load_database (CentralCore  *self,
               GError      **error)
{
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) outbox = NULL;

  self->store = ev_store_open (self->db_path, error);
  if (self->store == NULL)
    return FALSE;

  cps = ev_store_load_charging_points (self->store, error);
  if (cps == NULL)
    return FALSE;
  for (guint i = 0; i < cps->len; i++)
    {
      EvChargingPoint *cp = g_ptr_array_index (cps, i);
      CpRecord *rec;

      /* Nobody is connected yet; only the operator's stop is kept. */
      rec = add_cp (self, cp);
      rec->stopped = ev_charging_point_get_state (cp) == EV_CP_STATE_STOPPED;
      ev_charging_point_set_state (cp, EV_CP_STATE_DISCONNECTED);
    }

  open = ev_store_load_open_sessions (self->store, error);
  if (open == NULL)
    return FALSE;
  for (guint i = 0; i < open->len; i++)
    track_session (self, g_ptr_array_index (open, i));

  /* What the last Central did not see reach the broker; sent once the bus
   * exists (central_core_start()). */
  outbox = ev_store_outbox_load (self->store, error);
  if (outbox == NULL)
    return FALSE;
  g_ptr_array_set_free_func (outbox, NULL);
  for (guint i = 0; i < outbox->len; i++)
    {
      Outgoing *outgoing = g_new0 (Outgoing, 1);

      outgoing->entry = g_ptr_array_index (outbox, i);
      g_tree_replace (self->outbox, &outgoing->entry->id, outgoing);
    }

  history = ev_store_load_history (self->store, NULL, HISTORY_LIMIT, error);
  if (history == NULL)
    return FALSE;
  for (guint i = 0; i < history->len; i++)
    g_list_store_append (self->history, g_ptr_array_index (history, i));

  /* The newest log lines, so that the log does not start empty. They are
   * read through a read-only connection: the writer has no need to. */
  {
    g_autoptr(EvStoreReader) reader = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(GError) local = NULL;

    reader = ev_store_reader_open (self->db_path, &local);
    if (reader != NULL)
      lines = ev_store_reader_search_log (reader, NULL, LOG_LIMIT, NULL, &local);
    if (lines == NULL)
      g_warning ("Could not read the log from the database: %s", local->message);
    for (guint i = 0; lines != NULL && i < lines->len; i++)
      {
        g_autoptr(CentralEvent) line = central_event_new_from_record (g_ptr_array_index (lines, i));

        g_list_store_append (self->log, line);
      }
  }

  return TRUE;
}

/* A real cluster that does not create topics on demand gets them from
 * `ev-central --create-topics`; until then Central would wait for
 * messages that cannot come. Said once, at start. */
static void
warn_missing_topics (CentralCore *self)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) missing = ev_bus_list_missing_topics (self->bus, ev_mock_cluster_get_topics (), &error);
  g_autofree char *names = NULL;

  if (missing == NULL)
    {
      g_message ("Could not check the Kafka topics: %s", error->message);
      return;
    }
  if (missing[0] == NULL)
    return;

  names = g_strjoinv (", ", missing);
  /* A message, not a warning: the cluster's state, not a fault of ours. */
  g_message (_("Kafka topics missing at %s: %s. Create them with “ev-central --create-topics” "
               "(docs/deployment.md); a cluster that creates topics on demand creates them with "
               "its own defaults at first use"),
             self->bootstrap, names);
}

/**
 * central_core_start:
 * @self: a core
 * @error: return location for an error
 *
 * Opens the database, starts listening for monitors and connects to
 * Kafka. On failure nothing is left running.
 *
 * Returns: %TRUE on success
 */
/* Loads the monitor port's certificate, if Central has one. */
static gboolean
setup_tls (CentralCore  *self,
           GError      **error)
{
  g_autoptr(EvTlsServer) tls = NULL;

  if (self->tls_cert == NULL && self->tls_key == NULL && self->tls_client_ca == NULL)
    return TRUE;
  if (self->tls_cert == NULL || self->tls_key == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("TLS needs both a certificate and its key (--tls-cert and --tls-key)"));
      return FALSE;
    }

  tls = ev_tls_server_new (self->tls_cert, self->tls_key, self->tls_client_ca, error);
  if (tls == NULL)
    return FALSE;
  central_monitor_server_set_tls (self->server, tls);
  g_free (self->tls_fingerprint);
  self->tls_fingerprint = g_strdup (ev_tls_server_get_fingerprint (tls));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_FINGERPRINT]);
  return TRUE;
}

/* Says, once at start, whether the monitor links are encrypted. */
static void
emit_tls (CentralCore *self)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .fingerprint = self->tls_fingerprint, .encrypted = self->tls_fingerprint != NULL,
                            .client_certs = self->tls_client_ca != NULL };

  if (self->tls_fingerprint == NULL)
    {
      message = g_strdup (_("Monitor links are not encrypted: tokens cross the network in clear "
                            "(start Central with --tls-cert and --tls-key)"));
      emit (self, CENTRAL_EVENT_TLS, CENTRAL_LOG_WARNING, message, &data);
      return;
    }

  if (self->tls_client_ca != NULL)
    message = g_strdup_printf (_("Monitor links use TLS, with client certificates required; "
                                 "Central’s certificate has the SHA-256 fingerprint %s"),
                               self->tls_fingerprint);
  else
    message = g_strdup_printf (_("Monitor links use TLS; Central’s certificate has the SHA-256 fingerprint %s"),
                               self->tls_fingerprint);
  emit (self, CENTRAL_EVENT_TLS, CENTRAL_LOG_INFO, message, &data);
}

gboolean
central_core_start (CentralCore  *self,
                    GError      **error)
{
  const char * const topics[] = { "supply-req", "supply-data", NULL };
  g_autofree char *client_id = NULL;
  CentralEventData data = { 0 };
  guint n;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL || self->db_path == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("Central needs a Kafka bootstrap address and a database"));
      return FALSE;
    }

  if (!load_database (self, error))
    goto fail;

  self->server = central_monitor_server_new (&server_callbacks, self);
  central_monitor_server_set_auth_timeout (self->server, self->auth_timeout);
  central_monitor_server_set_max_unauthenticated (self->server, self->max_unauthenticated);
  central_monitor_server_set_limit_loopback (self->server, self->limit_loopback);
  if (!setup_tls (self, error) ||
      !central_monitor_server_listen (self->server, self->listen, error))
    goto fail;

  client_id = g_strdup_printf ("ev-central-%d", (int) getpid ());
  {
    /* Central is on every path (request → answer, engine → driver): its
     * consumer waits less for each fetch than other programs' do (see
     * ev-bus.c; this matters on the embedded broker only, which answers a
     * fetch when its wait ends). The user's -X still wins. */
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
    g_auto(GStrv) overrides = NULL;

    g_strv_builder_add (builder, "fetch.wait.max.ms=" G_STRINGIFY (CENTRAL_FETCH_WAIT_MS));
    g_strv_builder_add (builder, "linger.ms=" G_STRINGIFY (CENTRAL_LINGER_MS));
    if (self->overrides != NULL)
      g_strv_builder_addv (builder, (const char **) self->overrides);
    overrides = g_strv_builder_end (builder);
    self->bus = ev_bus_new (self->bootstrap, self->group, client_id,
                            (const char * const *) overrides, error);
  }
  if (self->bus == NULL || !ev_bus_check_broker (self->bus, error))
    goto fail;
  warn_missing_topics (self);
  g_signal_connect (self->bus, "message", G_CALLBACK (bus_message_cb), self);
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (bus_reachable_cb), self);
  if (!ev_bus_subscribe (self->bus, topics, error))
    goto fail;

  /* The outcomes the last Central stored but did not see reach the
   * broker, oldest first. */
  n = (guint) g_tree_nnodes (self->outbox);
  if (n > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE,
                            "Sending the %u message the last run of Central left in its outbox",
                            "Sending the %u messages the last run of Central left in its outbox", n),
               n);
  g_tree_foreach (self->outbox, outbox_produce_cb, self);

  self->started_at_ms = now_ms ();
  /* On the thread-default context, like every source of the core: the
   * core may run on a thread of its own (CentralService). */
  {
    GSource *source = g_timeout_source_new (MAX (self->silence_timeout / 4, 10));

    g_source_set_static_name (source, "[evcharging] Central silence");
    g_source_set_callback (source, check_silence_cb, self, NULL);
    g_source_attach (source, g_main_context_get_thread_default ());
    self->silence_source = source;
  }
  self->started = TRUE;

  /* Whoever reads cp-states from the beginning learns that nobody is
   * connected until the monitors come back. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->cps));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (G_LIST_MODEL (self->cps), i);

      publish_cp_state (self, cp);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);

  data.listen = self->listen;
  data.port = central_monitor_server_get_port (self->server);
  data.kafka = self->bootstrap;
  data.db = self->db_path;
  data.cps = n;
  {
    g_autofree char *message = g_strdup_printf (_("Central is listening on port %u with %u charging points"),
                                                data.port, n);
    emit (self, CENTRAL_EVENT_READY, CENTRAL_LOG_INFO, message, &data);
  }
  emit_tls (self);
  if (self->insecure_bus)
    emit (self, CENTRAL_EVENT_ERROR, CENTRAL_LOG_WARNING,
          _("Kafka messages are neither signed nor checked (--insecure-bus): anyone who can reach the bus "
            "can act as Central, a driver or a charging point"), NULL);

  return TRUE;

fail:
  central_core_shutdown (self);
  return FALSE;
}

/**
 * central_core_shutdown:
 * @self: a core
 *
 * Closes every monitor link without treating it as a fault (supplies
 * continue while Central is down), commits the database and flushes what
 * Kafka still has to send. Safe to call more than once.
 */
void
central_core_shutdown (CentralCore *self)
{
  g_autoptr(GError) error = NULL;
  gboolean was_started;

  g_return_if_fail (CENTRAL_IS_CORE (self));

  if (self->shutting_down)
    return;
  self->shutting_down = TRUE;
  was_started = self->started;

  if (self->silence_source != NULL)
    g_source_destroy (self->silence_source);
  g_clear_pointer (&self->silence_source, g_source_unref);
  if (self->server != NULL)
    central_monitor_server_close (self->server);

  /* Effects waiting for the commit run now, before the bus goes. */
  if (self->store != NULL && !ev_store_flush (self->store, &error))
    g_warning ("Could not save the database: %s", error->message);

  /* The outbox's messages in flight get a moment to reach the broker, so
   * that their rows go now (committed as the store closes) rather than
   * being sent again by the next Central. */
  if (self->bus != NULL && g_tree_nnodes (self->outbox) > 0)
    ev_bus_flush (self->bus, OUTBOX_STOP_WAIT_MS);

  if (self->bus != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->bus, self);
      ev_bus_close (self->bus);
    }

  /* Held messages stay uncommitted: the next Central handles them. */
  if (self->retry_source != NULL)
    g_source_destroy (self->retry_source);
  g_clear_pointer (&self->retry_source, g_source_unref);
  g_queue_clear_full (&self->held, (GDestroyNotify) ev_bus_message_unref);

  /* What the bus could not deliver stays in the outbox for the next
   * Central. */
  if (self->outbox_retry_source != NULL)
    g_source_destroy (self->outbox_retry_source);
  g_clear_pointer (&self->outbox_retry_source, g_source_unref);
  g_tree_remove_all (self->outbox);

  g_clear_object (&self->bus);
  g_clear_object (&self->server);
  g_clear_object (&self->store);

  self->started = FALSE;
  if (was_started)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
}

/* Operator --------------------------------------------------------------------- */

static gboolean
check_operator_target (CentralCore  *self,
                       const char   *cp_id,
                       CpRecord    **out_rec,
                       GError      **error)
{
  if (!self->started)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED,
                           _("Central is not running"));
      return FALSE;
    }

  *out_rec = NULL;
  if (cp_id == NULL)
    return TRUE;

  if (!ev_protocol_validate_cp_id (cp_id, "cp_id", NULL))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid charging point id"), cp_id);
      return FALSE;
    }

  *out_rec = g_hash_table_lookup (self->records, cp_id);
  if (*out_rec == NULL)
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP,
                   _("There is no charging point “%s”"), cp_id);
      return FALSE;
    }

  return TRUE;
}

static void
set_stopped (CentralCore *self,
             CpRecord    *rec,
             gboolean     stopped)
{
  if (rec->stopped == stopped)
    return;

  rec->stopped = stopped;
  rec->stop_sent_us = g_get_monotonic_time ();
  if (!stopped && rec->reported == EV_CP_STATE_STOPPED)
    rec->reported = EV_CP_STATE_ACTIVE;
  store_cp_state (self, rec);
  update_state (self, rec);
}

static gboolean
operate (CentralCore       *self,
         const char        *cp_id,
         EvDirectiveAction  action,
         GError           **error)
{
  gboolean stop = action == EV_DIRECTIVE_ACTION_STOP;
  CpRecord *rec;

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;

  if (rec != NULL)
    set_stopped (self, rec, stop);
  else
    {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, self->records);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
        set_stopped (self, rec, stop);
    }

  publish_directive (self, cp_id != NULL ? cp_id : EV_DIRECTIVE_TARGET_ALL, action, NULL);
  log_operator (self, cp_id, action);
  return TRUE;
}

/**
 * central_core_stop:
 * @self: a core
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @error: return location for an error
 *
 * Puts charging points out of order: the stop is stored (it outlives a
 * restart), engines get a `stop` directive and end any supply with a
 * ticket.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_stop (CentralCore  *self,
                   const char   *cp_id,
                   GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return operate (self, cp_id, EV_DIRECTIVE_ACTION_STOP, error);
}

/**
 * central_core_resume:
 * @self: a core
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @error: return location for an error
 *
 * Undoes central_core_stop().
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_resume (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return operate (self, cp_id, EV_DIRECTIVE_ACTION_RESUME, error);
}

/* Emits @kind for @cp_id with @message, both the operator's doing. */
static void
log_cp_operator (CentralCore      *self,
                 CentralEventKind  kind,
                 const char       *cp_id,
                 const char       *message)
{
  CentralEventData data = { .cp_id = cp_id };

  emit (self, kind, CENTRAL_LOG_INFO, message, &data);
}

static gboolean
operator_store_failed (GError       *store_error,
                       GError      **error)
{
  g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_FAILED, store_error->message);
  g_error_free (store_error);
  return FALSE;
}

/**
 * central_core_reset_token:
 * @self: a core
 * @cp_id: a charging point
 * @error: return location for an error
 *
 * Clears the token of @cp_id on the operator's word: its link is closed,
 * its old token no longer authenticates it, and its monitor's next
 * `register` is accepted (with a new token).
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_reset_token (CentralCore  *self,
                          const char   *cp_id,
                          GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;

  if (!ev_store_reset_token (self->store, cp_id, &store_error))
    return operator_store_failed (store_error, error);

  g_hash_table_remove (self->auth_limits, cp_id);
  message = g_strdup_printf (_("Reset the token of charging point %s"), cp_id);
  log_cp_operator (self, CENTRAL_EVENT_TOKEN_RESET, cp_id, message);
  if (rec->link_id != 0)
    central_monitor_server_close_link (self->server, rec->link_id);
  return TRUE;
}

/**
 * central_core_set_price:
 * @self: a started core
 * @cp_id: a charging point
 * @price: its new price per kWh, in €, from 0 to %CENTRAL_CORE_PRICE_MAX
 * @error: return location for an error
 *
 * Gives @cp_id a price of its own. A supply keeps the price it was
 * authorised at: the new one applies from the next. Drivers see it in
 * `cp-states` at once, the monitor with its next status answer.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_set_price (CentralCore  *self,
                        const char   *cp_id,
                        double        price,
                        GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;
  CentralEventData data = { .cp_id = cp_id, .price = price };

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  if (!(price >= 0.0 && price <= CENTRAL_CORE_PRICE_MAX))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("A price is from 0 to %g € per kWh"), CENTRAL_CORE_PRICE_MAX);
      return FALSE;
    }

  if (!ev_store_set_cp_price (self->store, cp_id, price, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_price (rec->cp, price);
  publish_cp_state (self, rec->cp);
  message = g_strdup_printf (_("Set the price of charging point %s to %.2f €/kWh, from its next supply"),
                             cp_id, price);
  emit (self, CENTRAL_EVENT_PRICE, CENTRAL_LOG_INFO, message, &data);
  return TRUE;
}

/**
 * central_core_set_location:
 * @self: a started core
 * @cp_id: a charging point
 * @location: where it is, as `register` takes it (1–200 characters)
 * @error: return location for an error
 *
 * Corrects where @cp_id is. Drivers see it in `cp-states` at once; the
 * monitor is told with its next `authorized`.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_set_location (CentralCore  *self,
                           const char   *cp_id,
                           const char   *location,
                           GError      **error)
{
  g_autofree char *message = NULL;
  g_autofree char *stripped = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;
  CentralEventData data = { .cp_id = cp_id };

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);
  g_return_val_if_fail (location != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  stripped = g_strstrip (g_strdup (location));
  if (!ev_protocol_validate_location (stripped, "location", NULL))
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("A location is 1 to 200 characters of text, on one line"));
      return FALSE;
    }

  if (!ev_store_set_cp_location (self->store, cp_id, stripped, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_location (rec->cp, stripped);
  publish_cp_state (self, rec->cp);
  data.location = stripped;
  message = g_strdup_printf (_("Charging point %s is now at %s"), cp_id, stripped);
  emit (self, CENTRAL_EVENT_LOCATION, CENTRAL_LOG_INFO, message, &data);
  return TRUE;
}

static gboolean
has_open_session (CentralCore *self,
                  const char  *cp_id)
{
  GHashTableIter iter;
  EvSupplySession *session;

  g_hash_table_iter_init (&iter, self->open);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (g_strcmp0 (ev_supply_session_get_cp_id (session), cp_id) == 0)
      return TRUE;
  return FALSE;
}

static gboolean forget_cp (CentralCore       *self,
                           CpRecord          *rec,
                           CentralEventKind   kind,
                           GError           **error);

/**
 * central_core_forget:
 * @self: a core
 * @cp_id: a charging point
 * @error: return location for an error
 *
 * Forgets @cp_id on the operator's word: it, its token and its
 * registration leave memory and the database (its supplies stay in the
 * history), its link is closed, and `cp-states` gets a tombstone (a null
 * value) under its id. Refused while a supply at it has not concluded.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_forget (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  return forget_cp (self, rec, CENTRAL_EVENT_CP_FORGOTTEN, error);
}

/* Checks that @cp_id is a CP awaiting approval, for approve and reject. */
static gboolean
check_pending_target (CentralCore  *self,
                      const char   *cp_id,
                      CpRecord    **out_rec,
                      GError      **error)
{
  if (!check_operator_target (self, cp_id, out_rec, error))
    return FALSE;
  if (*out_rec == NULL || !ev_charging_point_get_pending ((*out_rec)->cp))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_PENDING,
                   _("Charging point %s is not awaiting approval"), cp_id != NULL ? cp_id : "all");
      return FALSE;
    }
  return TRUE;
}

/**
 * central_core_approve:
 * @self: a core
 * @cp_id: a charging point awaiting approval
 * @error: return location for an error
 *
 * Approves a CP that registered pending: from now on drivers see it on
 * `cp-states` and may be supplied there, and its monitor learns it with
 * its next `status`.
 *
 * Returns: %TRUE on success; %CENTRAL_CORE_ERROR_UNKNOWN_CP or
 *   %CENTRAL_CORE_ERROR_NOT_PENDING otherwise
 */
gboolean
central_core_approve (CentralCore  *self,
                      const char   *cp_id,
                      GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (!check_pending_target (self, cp_id, &rec, error))
    return FALSE;
  if (!ev_store_approve_cp (self->store, cp_id, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_pending (rec->cp, FALSE);
  g_clear_pointer (&rec->pending_address, g_free);
  publish_cp_state (self, rec->cp);
  message = g_strdup_printf (_("Approved charging point %s"), cp_id);
  log_cp_operator (self, CENTRAL_EVENT_CP_APPROVED, cp_id, message);
  return TRUE;
}

/**
 * central_core_reject:
 * @self: a core
 * @cp_id: a charging point awaiting approval
 * @error: return location for an error
 *
 * Rejects a CP that registered pending: it is forgotten, as by
 * central_core_forget() (its link is closed; it may register again, and
 * await approval again).
 *
 * Returns: %TRUE on success; %CENTRAL_CORE_ERROR_UNKNOWN_CP or
 *   %CENTRAL_CORE_ERROR_NOT_PENDING otherwise
 */
gboolean
central_core_reject (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (!check_pending_target (self, cp_id, &rec, error))
    return FALSE;
  return forget_cp (self, rec, CENTRAL_EVENT_CP_REJECTED, error);
}

/* Forgets @rec's CP (central_core_forget()), telling it as @kind. */
static gboolean
forget_cp (CentralCore       *self,
           CpRecord          *rec,
           CentralEventKind   kind,
           GError           **error)
{
  g_autofree char *message = NULL;
  g_autofree char *id = g_strdup (ev_charging_point_get_cp_id (rec->cp));
  const char *cp_id = id;
  gboolean was_pending = ev_charging_point_get_pending (rec->cp);
  GError *store_error = NULL;
  guint position;
  guint64 link_id;

  if (has_open_session (self, cp_id))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS,
                   _("Charging point %s has a supply in progress; try again when it ends"), cp_id);
      return FALSE;
    }
  if (!ev_store_forget_cp (self->store, cp_id, &store_error))
    {
      if (g_error_matches (store_error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS))
        {
          g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS, store_error->message);
          g_error_free (store_error);
          return FALSE;
        }
      return operator_store_failed (store_error, error);
    }

  /* The record goes first, so that closing its link changes nothing. */
  link_id = rec->link_id;
  if (g_list_store_find (self->cps, rec->cp, &position))
    g_list_store_remove (self->cps, position);
  g_hash_table_remove (self->records, id);
  g_hash_table_remove (self->auth_limits, id);
  if (link_id != 0)
    central_monitor_server_close_link (self->server, link_id);
  /* Drivers never saw a CP awaiting approval: nothing to take back. */
  if (!was_pending)
    publish (self, "cp-states", id, NULL, 0);

  if (kind == CENTRAL_EVENT_CP_REJECTED)
    message = g_strdup_printf (_("Rejected charging point %s: it was forgotten"), id);
  else
    message = g_strdup_printf (_("Forgot charging point %s"), id);
  log_cp_operator (self, kind, id, message);
  return TRUE;
}

/**
 * central_core_forget_driver_key:
 * @self: a core
 * @driver_id: a driver id
 * @error: return location for an error
 *
 * Unbinds @driver_id from the key it is bound to, on the operator's word
 * (a driver who lost their key): the next signed request for that id
 * binds it again.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_forget_driver_key (CentralCore  *self,
                                const char   *driver_id,
                                GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  gboolean forgotten = FALSE;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (driver_id != NULL, FALSE);

  if (!ev_protocol_validate_driver_id (driver_id, "driver_id", NULL))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a driver id"), driver_id);
      return FALSE;
    }
  if (!ev_store_forget_driver_key (self->store, driver_id, &forgotten, &store_error))
    return operator_store_failed (store_error, error);
  g_hash_table_remove (self->driver_keys, driver_id);
  if (!forgotten)
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP,
                   _("Driver %s is bound to no key"), driver_id);
      return FALSE;
    }

  message = g_strdup_printf (_("Driver %s is no longer bound to a key: their next request binds a new one"),
                             driver_id);
  emit (self, CENTRAL_EVENT_DRIVER_KEY_FORGOTTEN, CENTRAL_LOG_WARNING, message,
        &(CentralEventData) { .driver_id = driver_id });
  return TRUE;
}

/**
 * central_core_set_signing_key:
 * @self: a core, not started
 * @key: (nullable) (transfer full): the key Central signs its messages
 *   with, or %NULL to send them unsigned
 */
void
central_core_set_signing_key (CentralCore  *self,
                              EvSigningKey *key)
{
  g_return_if_fail (CENTRAL_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  self->signing_key = key;
}

/**
 * central_core_default_signing_key_path:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/central-signing.key`
 */
char *
central_core_default_signing_key_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "central-signing.key", NULL);
}

/**
 * central_core_load_signing_key:
 * @path: (nullable): a private key file, or %NULL for the default one
 * @error: return location for an error
 *
 * Reads Central's signing key, making it on first use, and writes its
 * public key where engines and drivers of this user look for it
 * (ev_signing_central_key_path()), so that the one-machine network needs
 * no flag.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvSigningKey *
central_core_load_signing_key (const char  *path,
                               GError     **error)
{
  g_autofree char *default_path = central_core_default_signing_key_path ();
  g_autofree char *public_path = ev_signing_central_key_path ();
  g_autoptr(EvSigningKey) key = NULL;
  g_autoptr(EvVerifyKey) public = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean created = FALSE;

  key = ev_signing_key_load_or_create (path != NULL ? path : default_path, TRUE, &created, error);
  if (key == NULL)
    return NULL;
  if (created)
    g_debug ("Made Central’s signing key in “%s”", path != NULL ? path : default_path);
  public = ev_signing_key_dup_verify_key (key);
  if (!ev_verify_key_save (public, public_path, &local_error))
    g_message (_("Could not write Central’s public key to “%s”: %s"), public_path, local_error->message);
  g_debug ("Central signs its messages with the key of fingerprint %s", ev_signing_key_get_fingerprint (key));
  return g_steal_pointer (&key);
}

/* CSV ------------------------------------------------------------------------- */

static void
csv_field (GString    *out,
           const char *text)
{
  if (text == NULL)
    text = "";

  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_time (GString *out,
          gint64   ms)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *text = NULL;

  if (ms > 0)
    time = g_date_time_new_from_unix_utc (ms / 1000);
  if (time != NULL)
    text = g_date_time_format_iso8601 (time);
  csv_field (out, text);
}

typedef struct
{
  GOutputStream *out;
  GCancellable *cancellable;
  GString *buffer;
  GError *error;
} CsvWriter;

/* Writes what the buffer holds once it is large; FALSE on failure. */
static gboolean
csv_drain (CsvWriter *writer,
           gsize      at_least)
{
  if (writer->buffer->len < at_least || writer->error != NULL)
    return writer->error == NULL;

  if (!g_output_stream_write_all (writer->out, writer->buffer->str, writer->buffer->len, NULL,
                                  writer->cancellable, &writer->error))
    return FALSE;
  g_string_truncate (writer->buffer, 0);
  return TRUE;
}

static gboolean
csv_row_cb (EvSupplySession *session,
            gpointer         user_data)
{
  CsvWriter *writer = user_data;
  GString *out = writer->buffer;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  csv_field (out, ev_supply_session_get_supply_id (session));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_session_get_cp_id (session));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_session_get_driver_id (session));
  g_string_append_c (out, ',');
  csv_time (out, ev_supply_session_get_started_at (session));
  g_string_append_c (out, ',');
  csv_time (out, ev_supply_session_get_ended_at (session));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.3f",
                                                       ev_supply_session_get_kwh (session)));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.2f",
                                                       ev_supply_session_get_amount (session)));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.4f",
                                                       ev_supply_session_get_price (session)));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_session_get_phase (session) == EV_SUPPLY_PHASE_FAILED ? "failed" : "finished");
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_session_get_reason (session));
  g_string_append (out, "\r\n");

  return csv_drain (writer, 64 * 1024);
}

/**
 * central_write_history_csv:
 * @db_path: Central's database
 * @file: where to write
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Writes every concluded supply of the database as CSV (RFC 4180): a
 * header line, then one row per supply, newest first; times in UTC ISO
 * 8601. It reads the database through its own read-only connection, one
 * row at a time, so it may run on any thread, on a database of any size,
 * while Central writes. @file is replaced only once it is complete.
 *
 * Returns: %TRUE on success
 */
gboolean
central_write_history_csv (const char    *db_path,
                           GFile         *file,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GString) buffer = g_string_new ("supply_id,cp_id,driver_id,started_at,ended_at,kwh,amount,price,outcome,reason\r\n");
  CsvWriter writer = { NULL, cancellable, buffer, NULL };

  g_return_val_if_fail (db_path != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  reader = ev_store_reader_open (db_path, error);
  if (reader == NULL)
    return FALSE;
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancellable, error);
  if (out == NULL)
    return FALSE;
  writer.out = G_OUTPUT_STREAM (out);

  if (!ev_store_reader_foreach_history (reader, csv_row_cb, &writer, error) ||
      !csv_drain (&writer, 0))
    {
      /* Cancelled: the file is left as it was. */
      g_autoptr(GCancellable) abandon = g_cancellable_new ();

      g_cancellable_cancel (abandon);
      g_output_stream_close (G_OUTPUT_STREAM (out), abandon, NULL);
      if (writer.error != NULL)
        g_propagate_error (error, writer.error);
      return FALSE;
    }

  return g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

/**
 * central_core_flush:
 * @self: a started core
 * @error: return location for an error
 *
 * Commits the database's current batch now, so that readers of the
 * database see everything the core has done.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_flush (CentralCore  *self,
                    GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (self->store == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED,
                           _("Central is not running"));
      return FALSE;
    }
  return ev_store_flush (self->store, error);
}

/**
 * central_core_export_history:
 * @self: a started core
 * @file: where to write
 * @error: return location for an error
 *
 * Commits the database, then writes every concluded supply in it as CSV
 * (central_write_history_csv()). It blocks the core's thread while it
 * writes: views export with central_service_export_history_async().
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_export_history (CentralCore  *self,
                             GFile        *file,
                             GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if (!central_core_flush (self, error))
    return FALSE;
  return central_write_history_csv (self->db_path, file, NULL, error);
}

/* GObject ------------------------------------------------------------------------- */

/**
 * central_core_default_db_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/evcharging/central.db`
 */
char *
central_core_default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "evcharging", "central.db", NULL);
}

/**
 * central_core_new:
 * @listen: (nullable): "ADDR:PORT" for monitors, or %NULL for the default
 * @bootstrap: Kafka bootstrap servers
 * @kafka_overrides: (nullable) (array zero-terminated=1): librdkafka
 *   "key=value" properties
 * @db_path: the SQLite database
 *
 * Returns: (transfer full): a core, not started
 */
CentralCore *
central_core_new (const char         *listen,
                  const char         *bootstrap,
                  const char * const *kafka_overrides,
                  const char         *db_path)
{
  return g_object_new (CENTRAL_TYPE_CORE,
                       "listen", listen,
                       "bootstrap", bootstrap,
                       "kafka-overrides", kafka_overrides,
                       "db-path", db_path,
                       NULL);
}

gboolean
central_core_get_started (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return self->started;
}

guint
central_core_get_port (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), 0);
  return self->server != NULL ? central_monitor_server_get_port (self->server) : 0;
}

/**
 * central_core_get_tls_fingerprint:
 * @self: a core
 *
 * Returns: (nullable): the SHA-256 fingerprint of the monitor port's
 *   certificate once started with TLS, else %NULL
 */
const char *
central_core_get_tls_fingerprint (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);

  return self->tls_fingerprint;
}

const char *
central_core_get_listen (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->listen;
}

const char *
central_core_get_bootstrap (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->bootstrap;
}

const char *
central_core_get_db_path (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->db_path;
}

gboolean
central_core_get_broker_reachable (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return self->broker_reachable;
}

guint
central_core_get_n_links (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), 0);
  return g_hash_table_size (self->links);
}

GListModel *
central_core_get_charging_points (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->cps);
}

EvChargingPoint *
central_core_lookup_cp (CentralCore *self,
                        const char  *cp_id)
{
  CpRecord *rec;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  g_return_val_if_fail (cp_id != NULL, NULL);

  rec = g_hash_table_lookup (self->records, cp_id);
  return rec != NULL ? rec->cp : NULL;
}

GListModel *
central_core_get_requests (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->requests);
}

GListModel *
central_core_get_log (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->log);
}

GListModel *
central_core_get_history (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

static void
central_core_dispose (GObject *object)
{
  CentralCore *self = CENTRAL_CORE (object);

  central_core_shutdown (self);

  G_OBJECT_CLASS (central_core_parent_class)->dispose (object);
}

static void
central_core_finalize (GObject *object)
{
  CentralCore *self = CENTRAL_CORE (object);

  g_clear_pointer (&self->records, g_hash_table_unref);
  g_clear_pointer (&self->links, g_hash_table_unref);
  g_clear_pointer (&self->auth_limits, g_hash_table_unref);
  g_clear_pointer (&self->peer_limits, g_hash_table_unref);
  g_clear_pointer (&self->open, g_hash_table_unref);
  g_clear_pointer (&self->driver_supply, g_hash_table_unref);
  g_clear_pointer (&self->driver_keys, g_hash_table_unref);
  g_clear_pointer (&self->forged, g_hash_table_unref);
  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  g_clear_pointer (&self->outbox, g_tree_unref);
  g_clear_object (&self->cps);
  g_clear_object (&self->requests);
  g_clear_object (&self->log);
  g_clear_object (&self->history);
  g_free (self->listen);
  g_free (self->tls_cert);
  g_free (self->tls_key);
  g_free (self->tls_client_ca);
  g_free (self->tls_fingerprint);
  g_free (self->bootstrap);
  g_strfreev (self->overrides);
  g_free (self->db_path);
  g_free (self->group);

  G_OBJECT_CLASS (central_core_parent_class)->finalize (object);
}

static void
central_core_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CentralCore *self = CENTRAL_CORE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_value_set_string (value, self->listen);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_value_set_boxed (value, self->overrides);
      break;
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_DEFAULT_PRICE:
      g_value_set_double (value, self->default_price);
      break;
    case PROP_DEFAULT_PRICE_MAX:
      g_value_set_double (value, self->default_price_max);
      break;
    case PROP_SILENCE_TIMEOUT:
      g_value_set_uint (value, self->silence_timeout);
      break;
    case PROP_REQUEST_MAX_AGE:
      g_value_set_uint (value, self->request_max_age);
      break;
    case PROP_AUTHORIZED_TIMEOUT:
      g_value_set_uint (value, self->authorized_timeout);
      break;
    case PROP_FORGOTTEN_TIMEOUT:
      g_value_set_uint (value, self->forgotten_timeout);
      break;
    case PROP_AUTH_TIMEOUT:
      g_value_set_uint (value, self->auth_timeout);
      break;
    case PROP_MAX_UNAUTHENTICATED:
      g_value_set_uint (value, self->max_unauthenticated);
      break;
    case PROP_LIMIT_LOOPBACK:
      g_value_set_boolean (value, self->limit_loopback);
      break;
    case PROP_TLS_CERT:
      g_value_set_string (value, self->tls_cert);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
      break;
    case PROP_TLS_CLIENT_CA:
      g_value_set_string (value, self->tls_client_ca);
      break;
    case PROP_TLS_FINGERPRINT:
      g_value_set_string (value, self->tls_fingerprint);
      break;
    case PROP_AUTO_APPROVE:
      g_value_set_boolean (value, self->auto_approve);
      break;
    case PROP_AUTH_BACKOFF:
      g_value_set_uint (value, self->auth_backoff);
      break;
    case PROP_CP_KEY_OVERLAP:
      g_value_set_uint (value, self->cp_key_overlap);
      break;
    case PROP_INSECURE_BUS:
      g_value_set_boolean (value, self->insecure_bus);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_PORT:
      g_value_set_uint (value, central_core_get_port (self));
      break;
    case PROP_BROKER_REACHABLE:
      g_value_set_boolean (value, self->broker_reachable);
      break;
    case PROP_N_LINKS:
      g_value_set_uint (value, central_core_get_n_links (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_core_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CentralCore *self = CENTRAL_CORE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_free (self->listen);
      self->listen = g_value_dup_string (value);
      if (self->listen == NULL)
        self->listen = g_strdup (DEFAULT_LISTEN);
      break;
    case PROP_BOOTSTRAP:
      g_free (self->bootstrap);
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_strfreev (self->overrides);
      self->overrides = g_value_dup_boxed (value);
      break;
    case PROP_DB_PATH:
      g_free (self->db_path);
      self->db_path = g_value_dup_string (value);
      break;
    case PROP_GROUP:
      g_free (self->group);
      self->group = g_value_dup_string (value);
      if (self->group == NULL)
        self->group = g_strdup (DEFAULT_GROUP);
      break;
    case PROP_DEFAULT_PRICE:
      self->default_price = g_value_get_double (value);
      break;
    case PROP_DEFAULT_PRICE_MAX:
      self->default_price_max = g_value_get_double (value);
      break;
    case PROP_SILENCE_TIMEOUT:
      self->silence_timeout = g_value_get_uint (value);
      break;
    case PROP_REQUEST_MAX_AGE:
      self->request_max_age = g_value_get_uint (value);
      break;
    case PROP_AUTHORIZED_TIMEOUT:
      self->authorized_timeout = g_value_get_uint (value);
      break;
    case PROP_FORGOTTEN_TIMEOUT:
      self->forgotten_timeout = g_value_get_uint (value);
      break;
    case PROP_AUTH_TIMEOUT:
      self->auth_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_UNAUTHENTICATED:
      self->max_unauthenticated = g_value_get_uint (value);
      break;
    case PROP_LIMIT_LOOPBACK:
      self->limit_loopback = g_value_get_boolean (value);
      break;
    case PROP_TLS_CERT:
      g_free (self->tls_cert);
      self->tls_cert = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (self->tls_key);
      self->tls_key = g_value_dup_string (value);
      break;
    case PROP_TLS_CLIENT_CA:
      g_free (self->tls_client_ca);
      self->tls_client_ca = g_value_dup_string (value);
      break;
    case PROP_AUTO_APPROVE:
      self->auto_approve = g_value_get_boolean (value);
      break;
    case PROP_AUTH_BACKOFF:
      self->auth_backoff = g_value_get_uint (value);
      break;
    case PROP_CP_KEY_OVERLAP:
      self->cp_key_overlap = g_value_get_uint (value);
      break;
    case PROP_INSECURE_BUS:
      self->insecure_bus = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_core_class_init (CentralCoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = central_core_dispose;
  object_class->finalize = central_core_finalize;
  object_class->get_property = central_core_get_property;
  object_class->set_property = central_core_set_property;

  properties[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, DEFAULT_LISTEN, construct);
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, construct);
  properties[PROP_KAFKA_OVERRIDES] =
    g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, construct);
  properties[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL, construct);
  properties[PROP_GROUP] =
    g_param_spec_string ("group", NULL, NULL, DEFAULT_GROUP, construct);
  properties[PROP_DEFAULT_PRICE] =
    g_param_spec_double ("default-price", NULL, NULL, 0.0, EV_PROTOCOL_PRICE_MAX, DEFAULT_PRICE, construct);
  /* Above default-price: a new CP gets a price drawn between the two, in
   * whole cents, as the design gives each CP its own; -1: none. */
  properties[PROP_DEFAULT_PRICE_MAX] =
    g_param_spec_double ("default-price-max", NULL, NULL, -1.0, EV_PROTOCOL_PRICE_MAX, -1.0, construct);
  properties[PROP_SILENCE_TIMEOUT] =
    g_param_spec_uint ("silence-timeout", NULL, NULL, 10, 600000, DEFAULT_SILENCE_MS, construct);
  /* 0 takes requests of any age. */
  properties[PROP_REQUEST_MAX_AGE] =
    g_param_spec_uint ("request-max-age", NULL, NULL, 0, G_MAXUINT, DEFAULT_REQUEST_MAX_AGE_MS, construct);
  properties[PROP_AUTHORIZED_TIMEOUT] =
    g_param_spec_uint ("authorized-timeout", NULL, NULL, 100, G_MAXUINT, DEFAULT_AUTHORIZED_TIMEOUT_MS, construct);
  /* How long an engine may report its CP free while a supply is under way
   * there before Central ends that supply (see check_forgotten_supply()). */
  properties[PROP_FORGOTTEN_TIMEOUT] =
    g_param_spec_uint ("forgotten-timeout", NULL, NULL, 100, G_MAXUINT, DEFAULT_FORGOTTEN_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /* How long a monitor link has from its accept to authenticate, in ms
   * (0: no limit). */
  properties[PROP_AUTH_TIMEOUT] =
    g_param_spec_uint ("auth-timeout", NULL, NULL, 0, G_MAXUINT,
                       CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS, construct);
  /* Unauthenticated links one address may hold (0: no limit). */
  properties[PROP_MAX_UNAUTHENTICATED] =
    g_param_spec_uint ("max-unauthenticated", NULL, NULL, 0, G_MAXUINT,
                       CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED, construct);
  /* Whether loopback peers count against max-unauthenticated. */
  /* TLS on the monitor port: the certificate and key (PEM), and the CA
   * every monitor's client certificate must come from. */
  properties[PROP_TLS_CERT] =
    g_param_spec_string ("tls-cert", NULL, NULL, NULL, construct);
  properties[PROP_TLS_KEY] =
    g_param_spec_string ("tls-key", NULL, NULL, NULL, construct);
  properties[PROP_TLS_CLIENT_CA] =
    g_param_spec_string ("tls-client-ca", NULL, NULL, NULL, construct);
  /* The SHA-256 fingerprint of the certificate, once started with TLS. */
  properties[PROP_TLS_FINGERPRINT] =
    g_param_spec_string ("tls-fingerprint", NULL, NULL, NULL, readable);
  properties[PROP_LIMIT_LOOPBACK] =
    g_param_spec_boolean ("limit-loopback", NULL, NULL, FALSE, construct);
  /* The first back-off of a CP id after repeated wrong tokens, in ms;
   * it doubles with each further one, up to a minute. */
  properties[PROP_AUTH_BACKOFF] =
    g_param_spec_uint ("auth-backoff", NULL, NULL, 1, 3600000, DEFAULT_AUTH_BACKOFF_MS, construct);
  /* How long a CP key replaced by a new one stays good, in ms (the
   * tickets of supplies that started before are accepted with it
   * whatever its age). */
  properties[PROP_CP_KEY_OVERLAP] =
    g_param_spec_uint ("cp-key-overlap", NULL, NULL, 0, G_MAXUINT, CP_KEY_OVERLAP_MS, construct);
  /* Check neither drivers' signatures nor CPs' MACs (the baseline of a
   * benchmark of what security costs; with no signing key, Central also
   * signs nothing). */
  properties[PROP_INSECURE_BUS] =
    g_param_spec_boolean ("insecure-bus", NULL, NULL, FALSE, construct);
  /* A new CP is approved as it registers (demos, benchmarks); otherwise
   * it awaits the operator's approval (central_core_approve()). */
  properties[PROP_AUTO_APPROVE] =
    g_param_spec_boolean ("auto-approve", NULL, NULL, FALSE, construct);
  properties[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, readable);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, readable);
  properties[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  properties[PROP_N_LINKS] =
    g_param_spec_uint ("n-links", NULL, NULL, 0, G_MAXUINT, 0, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CentralCore::event:
   * @self: the core
   * @event: (transfer none): what happened
   *
   * Everything that happens (docs/cli.md lists what the headless front end
   * prints of it), on the thread the core runs on.
   */
  signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), CENTRAL_TYPE_EVENT);
}

static void
central_core_init (CentralCore *self)
{
  self->cps = g_list_store_new (EV_TYPE_CHARGING_POINT);
  self->requests = g_list_store_new (EV_TYPE_SUPPLY_SESSION);
  self->log = g_list_store_new (CENTRAL_TYPE_EVENT);
  self->history = g_list_store_new (EV_TYPE_SUPPLY_SESSION);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) cp_record_free);
  self->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) link_free);
  self->auth_limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->peer_limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->driver_supply = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->driver_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ev_verify_key_free);
  self->forged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->outbox = g_tree_new_full (compare_ids, NULL, NULL, outgoing_free);
  self->default_price = DEFAULT_PRICE;
  self->silence_timeout = DEFAULT_SILENCE_MS;
  self->request_max_age = DEFAULT_REQUEST_MAX_AGE_MS;
  self->authorized_timeout = DEFAULT_AUTHORIZED_TIMEOUT_MS;
  self->auth_timeout = CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS;
  self->max_unauthenticated = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED;
  self->auth_backoff = DEFAULT_AUTH_BACKOFF_MS;
  self->listen = g_strdup (DEFAULT_LISTEN);
  self->group = g_strdup (DEFAULT_GROUP);
}

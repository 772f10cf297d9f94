#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "ev-bus.h"
#include "ev-epoll-source.h"
#include "ev-file.h"
#include "ev-frame.h"
#include "ev-headless.h"
#include "ev-link-session.h"
#include "ev-messages.h"
#include "ev-protocol.h"
#include "ev-signing.h"
#include "ev-timer-wheel.h"
#include "ev-tls.h"
#include "station-directives.h"
#include "station-fleet.h"
#include "station-machine.h"
#include "station-monitor.h"
#include "station-util.h"

/**
 * StationFleet:
 *
 * Many complete charging points in one process, for load tests: each has
 * the engine's #StationMachine (the same rules as `ev-station engine`)
 * and a monitor that behaves towards Central as `ev-station monitor`
 * does, over a real TCP link of its own speaking the framed protocol
 * through an #EvLinkSession.
 *
 * What differs from a pair of processes, and why:
 * - The engine↔monitor hop is not a socket: a monitor checks its engine's
 *   machine directly once per status period. A process may hold only
 *   20,000 descriptors here, and a fleet of that size needs every one of
 *   them for the links to Central. `kill-engine` makes an engine stop
 *   answering, as if its process died; its monitor then reports it
 *   `unreachable` and BROKEN with its next status (within a period).
 * - The engines share one Kafka producer and one consumer of
 *   `central-directives` (group `ev-fleet-<prefix>`), which hands every
 *   directive to its target (or to all) under the single engine's rules
 *   (station_directive_apply()).
 * - Every socket sits in one epoll set behind one #GSource, and each CP
 *   has one entry in a timing wheel, due at the earliest of its timers
 *   (status period, session time-outs, machine deadline, fault,
 *   reconnection), instead of a GLib source per socket or timer.
 */

#define CONNECTS_PER_MS 20
/* /proc/self/statm is one line of seven numbers. */
#define PROC_STATM_MAX_SIZE 4096
/* At most this many CPs connect, handshake or authenticate at once; the
 * others wait their turn, so that a fleet starting (or Central coming
 * back) never asks more than Central answers within its time-outs. */
#define MAX_JOINING 256
#define CONNECT_TIMEOUT_MS 5000
#define STATUS_JITTER 0.1
#define FAULT_MIN_MS 5000
#define FAULT_MAX_MS 30000
#define MS_PER_HOUR 3600000.0

typedef enum {
  CP_LINK_IDLE,        /* no socket; retry_at says when to connect */
  CP_LINK_CONNECTING,  /* connect() under way; retry_at is its deadline */
  CP_LINK_HANDSHAKE,   /* ENQ sent */
  CP_LINK_AUTH,        /* auth or register on the wire */
  CP_LINK_UP,          /* authenticated or registered */
  CP_LINK_KILLED,      /* kill-monitor: stays down until revive */
} CpLink;

typedef enum {
  CP_REQUEST_NONE,
  CP_REQUEST_AUTH,
  CP_REQUEST_REGISTER,
  CP_REQUEST_STATUS,
} CpRequest;

typedef struct
{
  EvTimerWheelEntry timer;
  StationFleet *fleet;
  StationMachine *machine;
  EvLinkSession *session;
  EvTlsConn *tls;       /* with TLS: its handshake, then its records */
  StationFinished finished;
  gint64 status_at;     /* monotonic ms; 0 while not up */
  gint64 retry_at;      /* monotonic ms */
  gint64 fault_at;      /* monotonic ms; 0 without faults */
  gint64 intended_us;   /* when the status on the wire was due (monotonic) */
  gint64 backlog_ms;    /* when the oldest status held back was due; 0 if none */
  char *nonce;          /* the registration's, until the token is kept */
  EvCpKey key;          /* Central's key for the CP, from auth or register */
  guint request_id;
  guint backoff_ms;
  int fd;
  guint32 events;
  guint8 link;
  guint8 request;
  guint8 state;         /* the machine's state last seen */
  guint8 engine_killed : 1;
  guint8 faulty : 1;
  guint8 refused : 1;
  guint8 was_up : 1;
  guint8 queued : 1;
  guint8 has_key : 1;
} FleetCp;

/* Status latencies in µs, in log-linear buckets: exact below 64 µs, then
 * 32 buckets per power of two (about 3 %), so that millions of samples
 * take a few kilobytes. */
#define LATENCY_LINEAR 64
#define LATENCY_SUB 32
#define LATENCY_BUCKETS (LATENCY_LINEAR + 40 * LATENCY_SUB)

typedef struct
{
  guint64 status_sent;
  guint64 status_answered;
  guint64 status_skipped;
  guint64 directives;
  guint64 supplies;
  guint64 tickets;
  guint64 errors;
  guint64 reconnects;
  guint64 faults;
  guint64 n_latencies;
  gint64 max_latency_us;
  guint32 latencies[LATENCY_BUCKETS];
} FleetCounters;

struct _StationFleet
{
  GObject parent_instance;

  guint count;
  char *prefix;
  char *central;
  char *central_host;   /* what Central's certificate must name */
  EvTlsClient *tls;
  char *bootstrap;
  char **kafka_overrides;
  char *token_dir;
  EvVerifyKey *central_key;   /* NULL: directives are not checked */
  double fault_rate;
  StationMachineConfig machine_config;
  guint stats_interval_ms;
  double seconds;
  guint status_interval_ms;
  guint reconnect_min_ms;
  guint reconnect_max_ms;
  int id_width;

  FleetCp *cps;
  struct sockaddr_storage address;
  socklen_t address_len;
  GSource *source;
  EvTimerWheel *wheel;
  EvBus *producer;
  EvBus *consumer;
  GRand *rand;
  guint stats_id;
  guint seconds_id;
  gint64 started_us;
  gboolean started;
  gboolean shutting_down;
  guint n_joining;
  guint *queue;         /* CPs waiting to join, a ring of indices */
  guint queue_head;
  guint queue_len;

  FleetCounters counters;
  guint8 buffer[EV_FRAME_MAX_DATA + 16];
};

G_DEFINE_FINAL_TYPE (StationFleet, station_fleet, G_TYPE_OBJECT)

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void cp_update       (FleetCp *cp);
static void cp_reschedule   (FleetCp *cp);
static void set_link        (FleetCp *cp,
                             CpLink   link);
static void cp_sync_machine (FleetCp *cp);

/**
 * station_fleet_config_init:
 * @config: the configuration to fill
 *
 * Fills @config with the defaults of `ev-station fleet`; @count is 0 and
 * @bootstrap %NULL, for the caller to set.
 */
void
station_fleet_config_init (StationFleetConfig *config)
{
  memset (config, 0, sizeof *config);
  config->prefix = STATION_FLEET_DEFAULT_PREFIX;
  config->central = STATION_FLEET_DEFAULT_CENTRAL;
  config->power_kw = STATION_DEFAULT_POWER_KW;
  config->auto_plug_ms = STATION_FLEET_DEFAULT_AUTO_PLUG_MS;
  config->auto_unplug_ms = STATION_FLEET_DEFAULT_AUTO_UNPLUG_MS;
  config->stats_interval_ms = STATION_FLEET_DEFAULT_STATS_INTERVAL_MS;
  config->status_interval_ms = STATION_MONITOR_DEFAULT_INTERVAL_MS;
  config->reconnect_min_ms = STATION_MONITOR_DEFAULT_RECONNECT_MIN_MS;
  config->reconnect_max_ms = STATION_MONITOR_DEFAULT_RECONNECT_MAX_MS;
}

static void
emit (StationFleet *self,
      const char   *name,
      JsonObject   *fields)
{
  ev_headless_emit (self, signals[SIGNAL_EVENT], name, fields);
}

static inline gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static inline guint
cp_index (FleetCp *cp)
{
  return cp - cp->fleet->cps;
}

static const char *
cp_id (FleetCp *cp)
{
  return station_machine_get_cp_id (cp->machine);
}

/* A period × (1 ± jitter), so that thousands of CPs do not beat in step. */
static gint64
jittered (StationFleet *self,
          guint         period_ms,
          double        jitter)
{
  return (gint64) (period_ms * (1.0 + g_rand_double_range (self->rand, -jitter, jitter)));
}

/* Ids ------------------------------------------------------------------------ */

static char *
format_cp_id (StationFleet *self,
              guint         index)
{
  return g_strdup_printf ("%s%0*u", self->prefix, self->id_width, index + 1);
}

/* Returns the CP called @id, or NULL if it is not one of ours. */
static FleetCp *
find_cp (StationFleet *self,
         const char   *id)
{
  gsize prefix_len = strlen (self->prefix);
  guint64 number = 0;
  const char *digits;

  if (id == NULL || !g_str_has_prefix (id, self->prefix) ||
      strlen (id) != prefix_len + self->id_width)
    return NULL;

  for (digits = id + prefix_len; *digits != '\0'; digits++)
    {
      if (!g_ascii_isdigit (*digits))
        return NULL;
      number = number * 10 + (*digits - '0');
    }
  if (number < 1 || number > self->count)
    return NULL;
  return &self->cps[number - 1];
}

static gboolean
is_joining (CpLink link)
{
  return link == CP_LINK_CONNECTING || link == CP_LINK_HANDSHAKE || link == CP_LINK_AUTH;
}

/* Waits for a place among the CPs joining Central. */
static void
queue_join (FleetCp *cp)
{
  StationFleet *self = cp->fleet;

  if (cp->queued)
    return;
  cp->queued = TRUE;
  self->queue[(self->queue_head + self->queue_len++) % self->count] = cp - self->cps;
}

/* A place is free: the first CP still waiting connects now. */
static void
dequeue_join (StationFleet *self)
{
  while (self->queue_len > 0 && !self->shutting_down)
    {
      FleetCp *cp = &self->cps[self->queue[self->queue_head]];

      self->queue_head = (self->queue_head + 1) % self->count;
      self->queue_len--;
      cp->queued = FALSE;
      if (cp->link == CP_LINK_IDLE)
        {
          cp->retry_at = 0;
          cp_reschedule (cp);
          return;
        }
    }
}

static void
set_link (FleetCp *cp,
          CpLink   link)
{
  gboolean was_joining = is_joining (cp->link);

  cp->fleet->n_joining += is_joining (link) - was_joining;
  cp->link = link;
  if (was_joining && !is_joining (link))
    dequeue_join (cp->fleet);
}

/* Timers --------------------------------------------------------------------- */

static gint64
epoch_to_monotonic_ms (gint64 epoch_ms)
{
  return epoch_ms - (ev_protocol_now_ms () - now_ms ());
}

/* Puts @cp in the wheel at the earliest of its timers. */
static void
cp_reschedule (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  gint64 due = G_MAXINT64;

  if ((cp->link == CP_LINK_IDLE && !cp->queued) || cp->link == CP_LINK_CONNECTING ||
      (cp->tls != NULL && cp->session == NULL))
    due = cp->retry_at;
  if (cp->session != NULL)
    {
      gint64 deadline = ev_link_session_get_deadline (cp->session);

      if (deadline >= 0)
        due = MIN (due, (deadline + 999) / 1000);
    }
  if (cp->link == CP_LINK_UP && cp->status_at > 0)
    due = MIN (due, cp->status_at);
  if (!cp->engine_killed)
    {
      gint64 deadline = station_machine_get_deadline (cp->machine);

      if (cp->fault_at > 0)
        due = MIN (due, cp->fault_at);
      if (deadline >= 0)
        due = MIN (due, epoch_to_monotonic_ms (deadline));
    }

  if (due == G_MAXINT64)
    ev_timer_wheel_cancel (self->wheel, &cp->timer);
  else
    ev_timer_wheel_schedule (self->wheel, &cp->timer, due);
}

/* The source wakes up at the wheel's next due time. */
static void
fleet_rearm (StationFleet *self)
{
  gint64 due;

  if (self->source == NULL)
    return;
  due = ev_timer_wheel_get_next_due (self->wheel);
  ev_epoll_source_set_wakeup (self->source, due < 0 ? -1 : due * 1000);
}

static void
schedule_fault (FleetCp *cp,
                gint64   now)
{
  StationFleet *self = cp->fleet;
  double mean_ms;

  if (self->fault_rate <= 0.0)
    return;

  /* Faults of a CP come as a Poisson process: exponential gaps. */
  mean_ms = MS_PER_HOUR / self->fault_rate;
  cp->fault_at = now + 1 + (gint64) (-log (1.0 - g_rand_double (self->rand)) * mean_ms);
}

/* The engine side ------------------------------------------------------------ */

/* Publishes what the machine produced and counts what changed. */
static void
cp_sync_machine (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  g_autoptr(GPtrArray) output = station_machine_take_output (cp->machine);
  EvCpState state = station_machine_get_state (cp->machine);

  for (guint i = 0; i < output->len; i++)
    {
      EvSupplyData *data = g_ptr_array_index (output, i);
      g_autoptr(GError) error = NULL;
      gsize length = 0;
      g_autofree char *plain = ev_supply_data_to_json (data, &length);
      g_autofree char *json = NULL;

      /* Signed with the CP's key (docs/protocol.md): a CP has one from its
       * first auth, before any supply can start. */
      if (!cp->has_key)
        g_set_error_literal (&error, STATION_ERROR, STATION_ERROR_NO_KEY, "no key from Central");
      else
        json = ev_mac_message_sign (&cp->key, "supply-data", data->cp_id, plain, length, &length, &error);
      if (json == NULL || !ev_bus_produce (self->producer, "supply-data", data->cp_id, json, length, &error))
        {
          self->counters.errors++;
          g_debug ("Could not publish supply data of %s: %s", data->cp_id, error->message);
        }
      if (data->kind == EV_SUPPLY_DATA_TICKET)
        {
          self->counters.tickets++;
          station_finished_add (&cp->finished, data->supply_id);
        }
    }

  if (state == EV_CP_STATE_SUPPLYING && cp->state != EV_CP_STATE_SUPPLYING)
    self->counters.supplies++;
  cp->state = state;
}

static StationMachine *
machine_new (StationFleet *self,
             guint         index)
{
  StationMachine *machine = station_machine_new (&self->machine_config);
  g_autofree char *id = format_cp_id (self, index);

  station_machine_set_cp_id (machine, id);
  return machine;
}

static void
cp_fault (FleetCp *cp,
          gint64   now)
{
  StationFleet *self = cp->fleet;

  cp->faulty = !cp->faulty;
  station_machine_set_ko (cp->machine, cp->faulty, ev_protocol_now_ms ());
  if (cp->faulty)
    {
      self->counters.faults++;
      cp->fault_at = now + FAULT_MIN_MS + g_rand_int_range (self->rand, 0, FAULT_MAX_MS - FAULT_MIN_MS + 1);
    }
  else
    schedule_fault (cp, now);
  cp_sync_machine (cp);
}

/* Hands @directive to one engine, under the single engine's rules. A dead
 * engine reads nothing; a revived one starts afresh, and what it missed
 * has expired by then, as for a restarted engine. */
static gboolean
deliver_directive (FleetCp           *cp,
                   const EvDirective *directive,
                   gint64             now)
{
  if (cp == NULL || cp->engine_killed)
    return FALSE;

  station_directive_apply (cp->machine, &cp->finished, directive, now, NULL);
  cp_sync_machine (cp);
  cp_reschedule (cp);
  return TRUE;
}

static void
consumer_message_cb (EvBus        *bus,
                     EvBusMessage *msg,
                     gpointer      user_data)
{
  StationFleet *self = user_data;
  g_autoptr(EvDirective) directive = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : "";
  gint64 now = ev_protocol_now_ms ();
  gboolean matched = FALSE;

  if (ev_bus_message_verify (msg, self->central_key, &error))
    directive = ev_directive_from_json (text, length, &error);
  if (directive == NULL)
    {
      self->counters.errors++;
      g_debug ("Skipping a directive: %s", error->message);
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }

  if (g_str_equal (directive->target, EV_DIRECTIVE_TARGET_ALL))
    for (guint i = 0; i < self->count; i++)
      matched |= deliver_directive (&self->cps[i], directive, now);
  else
    matched = deliver_directive (find_cp (self, directive->target), directive, now);

  self->counters.directives += matched;
  ev_bus_message_done (bus, msg);
  fleet_rearm (self);
}

/* The monitor side ----------------------------------------------------------- */

static void
cp_request (FleetCp       *cp,
            CpRequest      kind,
            EvLinkRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = ev_link_request_to_json (request, NULL);

  ev_link_request_free (request);
  cp->request_id = ev_link_session_request (cp->session, json, g_get_monotonic_time (), &error);
  if (cp->request_id == 0)
    {
      g_debug ("%s: cannot send a request: %s", cp_id (cp), error->message);
      cp->request = CP_REQUEST_NONE;
      return;
    }
  cp->request = kind;
}

/* Registers with the nonce kept (in memory and beside the tokens) until
 * the token is, so that a repeat after a lost answer is answered again. */
static void
send_register (FleetCp *cp)
{
  g_autofree char *location = g_strdup_printf ("Fleet %s", cp_id (cp));

  if (cp->nonce == NULL)
    cp->nonce = station_nonce_ensure (cp->fleet->token_dir, cp_id (cp));
  cp_request (cp, CP_REQUEST_REGISTER,
              ev_link_request_new_register_with_nonce (cp_id (cp), location, cp->nonce));
}

static void
authenticate (FleetCp *cp)
{
  g_autofree char *token = station_token_load (cp->fleet->token_dir, cp_id (cp));

  set_link (cp, CP_LINK_AUTH);
  if (token != NULL)
    cp_request (cp, CP_REQUEST_AUTH, ev_link_request_new_auth (cp_id (cp), token));
  else
    send_register (cp);
}

/* A refusal an operator must fix: close, and retry after the longest
 * delay, as the single monitor does. */
static void
refuse (FleetCp    *cp,
        const char *reason)
{
  StationFleet *self = cp->fleet;

  /* Thousands of CPs may be refused alike: say it once. */
  if (self->counters.errors++ == 0)
    g_message ("Central refused charging point %s: %s", cp_id (cp), reason);
  else
    g_debug ("Central refused charging point %s: %s", cp_id (cp), reason);
  cp->refused = TRUE;
  cp->backoff_ms = self->reconnect_max_ms;
  ev_link_session_close (cp->session);
}

/* A CP keeps the key it has when an answer carries none. */
static void
cp_set_key (FleetCp    *cp,
            const char *key)
{
  if (key != NULL && ev_cp_key_from_base64 (key, &cp->key, NULL))
    cp->has_key = TRUE;
}

static void
link_up (FleetCp *cp)
{
  StationFleet *self = cp->fleet;
  gint64 now = now_ms ();

  set_link (cp, CP_LINK_UP);
  cp->refused = FALSE;
  cp->was_up = TRUE;
  cp->backoff_ms = self->reconnect_min_ms;
  /* The first statuses of a fleet spread over one period. */
  cp->status_at = now + g_rand_int_range (self->rand, 0, self->status_interval_ms) + 1;
}

static void
record_latency (FleetCounters *counters,
                gint64         latency_us)
{
  guint64 v = MAX (latency_us, 0);
  guint index;

  if (v < LATENCY_LINEAR)
    index = v;
  else
    {
      int exponent = 63 - __builtin_clzll (v);   /* ≥ 6 */

      index = LATENCY_LINEAR + (exponent - 6) * LATENCY_SUB + ((v >> (exponent - 5)) - LATENCY_SUB);
    }
  counters->latencies[MIN (index, LATENCY_BUCKETS - 1)]++;
  counters->n_latencies++;
  counters->max_latency_us = MAX (counters->max_latency_us, latency_us);
}

static void send_status_due (FleetCp *cp,
                             gint64   due_ms);

static void
session_response_cb (EvLinkSession *session,
                     guint          request_id,
                     const char    *text,
                     gsize          len,
                     gpointer       user_data)
{
  FleetCp *cp = user_data;
  StationFleet *self = cp->fleet;
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) save_error = NULL;
  g_autoptr(GError) error = NULL;
  CpRequest kind = cp->request;

  if (request_id != cp->request_id)
    return;
  cp->request = CP_REQUEST_NONE;
  response = ev_link_response_from_json (text, len, &error);
  if (response == NULL)
    {
      self->counters.errors++;
      g_debug ("%s: bad response from Central: %s", cp_id (cp), error->message);
      if (kind != CP_REQUEST_STATUS)
        ev_link_session_close (session);
      return;
    }

  switch (kind)
    {
    case CP_REQUEST_AUTH:
      if (response->status == EV_LINK_STATUS_AUTHORIZED)
        {
          cp_set_key (cp, response->cp_key);
          link_up (cp);
        }
      else if (response->status == EV_LINK_STATUS_DENIED && response->reason == EV_LINK_REASON_UNKNOWN_CP)
        send_register (cp);  /* A fresh Central database: register again. */
      else
        refuse (cp, ev_link_reason_to_string (response->reason));
      break;

    case CP_REQUEST_REGISTER:
      if (response->status != EV_LINK_STATUS_REGISTERED || response->token == NULL)
        {
          refuse (cp, ev_link_reason_to_string (response->reason));
          break;
        }
      if (!station_token_save (self->token_dir, cp_id (cp), response->token, &save_error))
        {
          self->counters.errors++;
          g_message ("Could not keep the token of %s: %s", cp_id (cp), save_error->message);
        }
      else
        {
          station_nonce_forget (self->token_dir, cp_id (cp));
          g_clear_pointer (&cp->nonce, g_free);
        }
      cp_set_key (cp, response->cp_key);
      link_up (cp);
      break;

    case CP_REQUEST_STATUS:
      if (response->status == EV_LINK_STATUS_OK)
        {
          self->counters.status_answered++;
          record_latency (&self->counters, g_get_monotonic_time () - cp->intended_us);
          if (cp->backlog_ms > 0)
            {
              gint64 due = cp->backlog_ms;

              cp->backlog_ms = 0;
              send_status_due (cp, due);
            }
        }
      else if (response->status == EV_LINK_STATUS_DENIED &&
               response->reason == EV_LINK_REASON_NOT_AUTHENTICATED)
        authenticate (cp);
      else
        self->counters.errors++;
      break;

    case CP_REQUEST_NONE:
    default:
      break;
    }
}

static void
session_established_cb (EvLinkSession *session,
                        gpointer       user_data)
{
  authenticate (user_data);
}

static void
session_closed_cb (EvLinkSession *session,
                   const GError  *reason,
                   gpointer       user_data)
{
  FleetCp *cp = user_data;

  /* The socket is closed by cp_update(), outside the session's calls. */
  g_debug ("%s: link to Central closed: %s", cp_id (cp), reason != NULL ? reason->message : "");
  if (!cp->fleet->shutting_down && !cp->refused)
    cp->fleet->counters.errors++;
}

static const EvLinkSessionCallbacks session_callbacks = {
  .established = session_established_cb,
  .response_received = session_response_cb,
  .closed = session_closed_cb,
};

/* What the monitor reports: the engine's state, or BROKEN when its engine
 * does not answer. Its latency counts from @due_ms, when it was meant to
 * leave, not from when it could: a slow answer delays the statuses after
 * it, and that delay is part of what a monitor sees (no coordinated
 * omission). */
static void
send_status_due (FleetCp *cp,
                 gint64   due_ms)
{
  StationFleet *self = cp->fleet;
  EvEngineHealth health;
  EvCpState state;

  if (cp->engine_killed)
    {
      health = EV_ENGINE_HEALTH_UNREACHABLE;
      state = EV_CP_STATE_BROKEN;
    }
  else
    {
      health = station_machine_get_ko (cp->machine) ? EV_ENGINE_HEALTH_KO : EV_ENGINE_HEALTH_OK;
      state = station_machine_get_state (cp->machine);
    }

  cp->intended_us = MIN (due_ms * 1000, g_get_monotonic_time ());
  cp_request (cp, CP_REQUEST_STATUS, ev_link_request_new_status (state, health));
  if (cp->request == CP_REQUEST_STATUS)
    self->counters.status_sent++;
}

/* The status due now. One request is outstanding per link: a status due
 * while the one before is unanswered is held back and counted as
 * skipped; the oldest held back leaves as soon as the answer comes, its
 * latency counted from when it was due. */
static void
send_status (FleetCp *cp,
             gint64   now)
{
  StationFleet *self = cp->fleet;
  gint64 due = cp->status_at;

  cp->status_at += jittered (self, self->status_interval_ms, STATUS_JITTER);
  if (cp->status_at <= now)
    cp->status_at = now + jittered (self, self->status_interval_ms, STATUS_JITTER);

  if (cp->request != CP_REQUEST_NONE)
    {
      self->counters.status_skipped++;
      if (cp->backlog_ms == 0)
        cp->backlog_ms = due;
      return;
    }

  cp->backlog_ms = 0;
  send_status_due (cp, due);
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

/* The link is gone: try again after the backoff (0.5 s doubling to 5 s). */
static void
cp_lost (FleetCp *cp)
{
  StationFleet *self = cp->fleet;

  close_socket (cp);
  g_clear_pointer (&cp->session, ev_link_session_free);
  cp->request = CP_REQUEST_NONE;
  cp->status_at = 0;
  cp->backlog_ms = 0;
  if (cp->link == CP_LINK_KILLED)
    return;
  if (self->shutting_down)
    {
      set_link (cp, CP_LINK_IDLE);
      return;
    }

  set_link (cp, CP_LINK_IDLE);
  cp->retry_at = now_ms () + jittered (self, cp->backoff_ms, STATUS_JITTER);
  cp->backoff_ms = MIN (cp->backoff_ms * 2, self->reconnect_max_ms);
  self->counters.reconnects++;
}

static void
cp_connect (FleetCp *cp,
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
        g_message ("Cannot connect %s to Central at %s: %s", cp_id (cp), self->central, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      cp_lost (cp);
      return;
    }

  cp->fd = fd;
  cp->events = EPOLLOUT;
  set_link (cp, CP_LINK_CONNECTING);
  cp->retry_at = now + CONNECT_TIMEOUT_MS;
}

static void
cp_start_session (FleetCp *cp)
{
  cp->session = ev_link_session_new (EV_LINK_ROLE_CLIENT, &session_callbacks, cp);
  ev_link_session_start (cp->session, g_get_monotonic_time ());
}

/* Drives the TLS handshake; the session starts once it is done. */
static void
cp_tls_handshake (FleetCp *cp)
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
        g_message ("TLS with Central at %s failed for %s: %s", cp->fleet->central, cp_id (cp),
                   error != NULL ? error->message : "the connection closed");
      cp_lost (cp);
      return;
    }
}

/* connect() finished: start the session (it sends ENQ), or TLS first. */
static void
cp_connected (FleetCp *cp)
{
  socklen_t len = sizeof (int);
  int error = 0;

  if (getsockopt (cp->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
    {
      g_debug ("%s: cannot reach Central: %s", cp_id (cp), g_strerror (error != 0 ? error : errno));
      cp->fleet->counters.errors++;
      cp_lost (cp);
      return;
    }

  set_link (cp, CP_LINK_HANDSHAKE);
  if (cp->fleet->tls == NULL)
    {
      cp_start_session (cp);
      return;
    }

  cp->tls = ev_tls_conn_new_client (cp->fleet->tls, cp->fd, cp->fleet->central_host, NULL);
  cp->retry_at = now_ms () + CONNECT_TIMEOUT_MS;
  cp_tls_handshake (cp);
}

/* Writes what the kernel takes now; EPOLLOUT brings the rest. */
static void
cp_flush (FleetCp *cp)
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

static void
cp_read (FleetCp *cp,
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
static void
cp_update (FleetCp *cp)
{
  if (cp->session != NULL)
    {
      cp_flush (cp);
      if (ev_link_session_get_state (cp->session) == EV_LINK_SESSION_STATE_CLOSED)
        cp_lost (cp);
      else
        set_events (cp, EPOLLIN | EPOLLRDHUP | (ev_link_session_has_output (cp->session) ? EPOLLOUT : 0));
    }
  cp_reschedule (cp);
}

static void
fleet_ready_cb (gpointer tag,
                guint32  events,
                gpointer user_data)
{
  FleetCp *cp = tag;

  /* Closed earlier in this batch. */
  if (cp->fd < 0)
    return;

  if (cp->link == CP_LINK_CONNECTING)
    cp_connected (cp);
  else if (cp->tls != NULL && cp->session == NULL)
    cp_tls_handshake (cp);
  else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    cp_read (cp, events);
  cp_update (cp);
}

/* Everything due for one CP. */
static void
cp_due_cb (EvTimerWheelEntry *entry,
           gpointer           user_data)
{
  FleetCp *cp = (FleetCp *) entry;   /* the entry is the first member */
  gint64 now = now_ms ();

  if (cp->link == CP_LINK_IDLE && now >= cp->retry_at)
    {
      if (cp->fleet->n_joining < MAX_JOINING)
        cp_connect (cp, now);
      else
        queue_join (cp);
    }
  else if ((cp->link == CP_LINK_CONNECTING || (cp->tls != NULL && cp->session == NULL)) &&
           now >= cp->retry_at)
    {
      g_debug ("%s: connecting to Central timed out", cp_id (cp));
      cp->fleet->counters.errors++;
      cp_lost (cp);
    }

  if (cp->session != NULL)
    {
      gint64 deadline = ev_link_session_get_deadline (cp->session);

      if (deadline >= 0 && deadline <= g_get_monotonic_time ())
        ev_link_session_tick (cp->session, g_get_monotonic_time ());
    }

  if (!cp->engine_killed)
    {
      gint64 deadline = station_machine_get_deadline (cp->machine);

      if (cp->fault_at > 0 && now >= cp->fault_at)
        cp_fault (cp, now);
      if (deadline >= 0 && epoch_to_monotonic_ms (deadline) <= now)
        {
          station_machine_tick (cp->machine, ev_protocol_now_ms ());
          cp_sync_machine (cp);
        }
    }

  if (cp->link == CP_LINK_UP && cp->session != NULL && cp->status_at > 0 && now >= cp->status_at)
    send_status (cp, now);

  cp_update (cp);
}

static void
fleet_dispatched_cb (gpointer user_data)
{
  StationFleet *self = user_data;

  ev_timer_wheel_advance (self->wheel, now_ms (), cp_due_cb, self);
  fleet_rearm (self);
}

static const EvEpollSourceFuncs epoll_funcs = {
  .ready = fleet_ready_cb,
  .dispatched = fleet_dispatched_cb,
};

/* Statistics ----------------------------------------------------------------- */

static double
latency_ms (const FleetCounters *counters,
            double               p)
{
  guint64 rank, seen = 0;

  /* No samples is no data, not a perfect 0 ms. */
  if (counters->n_latencies == 0)
    return NAN;

  rank = (guint64) ceil (p * counters->n_latencies);
  rank = CLAMP (rank, 1, counters->n_latencies);
  for (guint i = 0; i < LATENCY_BUCKETS; i++)
    {
      guint64 low, width;

      seen += counters->latencies[i];
      if (seen < rank)
        continue;
      if (i < LATENCY_LINEAR)
        return MIN (i, counters->max_latency_us) / 1000.0;

      /* The middle of the bucket, never past the largest sample. */
      width = G_GUINT64_CONSTANT (1) << ((i - LATENCY_LINEAR) / LATENCY_SUB + 1);
      low = ((i - LATENCY_LINEAR) % LATENCY_SUB + LATENCY_SUB) * width;
      return MIN (low + width / 2, (guint64) counters->max_latency_us) / 1000.0;
    }
  return counters->max_latency_us / 1000.0;
}

/* A latency in ms, or null when there is none. */
static void
set_latency (JsonObject *object,
             const char *name,
             double      ms)
{
  if (isnan (ms))
    json_object_set_null_member (object, name);
  else
    json_object_set_double_member (object, name, ms);
}

static guint64
rss_kib (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!ev_file_read_bounded ("/proc/self/statm", PROC_STATM_MAX_SIZE, &statm, NULL, NULL) ||
      sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * sysconf (_SC_PAGESIZE) / 1024;
}

/**
 * station_fleet_stats:
 * @self: a fleet
 *
 * Returns: (transfer full): the fields of a `stats` event: gauges now,
 *   counters and status latencies since the start or the last reset
 */
JsonObject *
station_fleet_stats (StationFleet *self)
{
  const FleetCounters *c = &self->counters;
  JsonObject *fields = json_object_new ();
  JsonObject *latency = json_object_new ();
  guint links_up = 0, registered = 0, supplying = 0, waiting = 0, broken = 0;
  guint64 rss = rss_kib ();

  for (guint i = 0; i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];
      EvCpState state = station_machine_get_state (cp->machine);

      links_up += cp->session != NULL &&
                  ev_link_session_get_state (cp->session) == EV_LINK_SESSION_STATE_ESTABLISHED;
      registered += cp->link == CP_LINK_UP;
      supplying += !cp->engine_killed && state == EV_CP_STATE_SUPPLYING;
      waiting += !cp->engine_killed && state == EV_CP_STATE_WAITING;
      broken += cp->engine_killed || state == EV_CP_STATE_BROKEN;
    }

  json_object_set_double_member (fields, "t", (g_get_monotonic_time () - self->started_us) / 1e6);
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_int_member (fields, "links_up", links_up);
  json_object_set_int_member (fields, "registered", registered);
  json_object_set_int_member (fields, "supplying", supplying);
  json_object_set_int_member (fields, "waiting", waiting);
  json_object_set_int_member (fields, "broken", broken);
  json_object_set_int_member (fields, "status_sent", c->status_sent);
  json_object_set_int_member (fields, "status_answered", c->status_answered);
  json_object_set_int_member (fields, "status_skipped", c->status_skipped);
  json_object_set_int_member (fields, "directives", c->directives);
  json_object_set_int_member (fields, "supplies", c->supplies);
  json_object_set_int_member (fields, "tickets", c->tickets);
  json_object_set_int_member (fields, "errors", c->errors);
  json_object_set_int_member (fields, "reconnects", c->reconnects);
  json_object_set_int_member (fields, "faults", c->faults);
  set_latency (latency, "p50", latency_ms (c, 0.50));
  set_latency (latency, "p99", latency_ms (c, 0.99));
  set_latency (latency, "p999", latency_ms (c, 0.999));
  set_latency (latency, "max", c->n_latencies > 0 ? c->max_latency_us / 1000.0 : NAN);
  json_object_set_int_member (latency, "n", c->n_latencies);
  json_object_set_int_member (latency, "skipped", c->status_skipped);
  json_object_set_object_member (fields, "status_ms", latency);
  json_object_set_int_member (fields, "rss_kib", rss);
  json_object_set_double_member (fields, "rss_kib_per_cp", (double) rss / self->count);
  return fields;
}

/**
 * station_fleet_reset:
 * @self: a fleet
 *
 * Zeroes the counters and the latency samples.
 */
void
station_fleet_reset (StationFleet *self)
{
  memset (&self->counters, 0, sizeof self->counters);
}

static gboolean
stats_cb (gpointer user_data)
{
  StationFleet *self = user_data;

  emit (self, "stats", station_fleet_stats (self));
  return G_SOURCE_CONTINUE;
}

static void
seconds_cb (gpointer user_data)
{
  StationFleet *self = user_data;

  self->seconds_id = 0;
  ev_headless_quit ();
}

/* Commands ------------------------------------------------------------------- */

static FleetCp *
lookup (StationFleet  *self,
        const char    *id,
        GError       **error)
{
  FleetCp *cp = find_cp (self, id);

  if (cp == NULL)
    g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID,
                 _("There is no charging point “%s” in this fleet"), id);
  return cp;
}

/* Announces what a command did to @cp and brings its timers in line. */
static gboolean
commanded (StationFleet *self,
           FleetCp      *cp,
           const char   *event)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "cp_id", cp_id (cp));
  json_object_set_int_member (fields, "ts", ev_protocol_now_ms ());
  emit (self, event, fields);
  cp_reschedule (cp);
  fleet_rearm (self);
  return TRUE;
}

/**
 * station_fleet_kill_engine:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * The CP's engine stops, as if its process died: it answers no health
 * check, meters nothing and reads no directive. Its monitor reports it
 * BROKEN (`unreachable`) with its next status.
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_kill_engine (StationFleet  *self,
                           const char    *cp_id,
                           GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);

  if (cp == NULL)
    return FALSE;

  cp->engine_killed = TRUE;
  return commanded (self, cp, "engine-killed");
}

/**
 * station_fleet_kill_monitor:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * Closes the CP's link to Central abruptly (no EOT), as if its monitor
 * died, and does not reconnect it until station_fleet_revive().
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_kill_monitor (StationFleet  *self,
                            const char    *cp_id,
                            GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);

  if (cp == NULL)
    return FALSE;

  set_link (cp, CP_LINK_KILLED);
  cp_lost (cp);
  return commanded (self, cp, "monitor-killed");
}

/**
 * station_fleet_revive:
 * @self: a started fleet
 * @cp_id: one of its CPs
 * @error: return location for a #GError
 *
 * Undoes station_fleet_kill_engine() (the engine starts again afresh, as
 * a restarted process would) and station_fleet_kill_monitor() (the
 * monitor connects again).
 *
 * Returns: %TRUE if @cp_id is one of the fleet's
 */
gboolean
station_fleet_revive (StationFleet  *self,
                      const char    *cp_id,
                      GError       **error)
{
  FleetCp *cp = lookup (self, cp_id, error);
  gint64 now = now_ms ();

  if (cp == NULL)
    return FALSE;

  if (cp->engine_killed)
    {
      station_machine_free (cp->machine);
      cp->machine = machine_new (self, cp_index (cp));
      cp->engine_killed = FALSE;
      cp->faulty = FALSE;
      cp->state = EV_CP_STATE_ACTIVE;
      cp->fault_at = 0;
      schedule_fault (cp, now);
    }
  if (cp->link == CP_LINK_KILLED)
    {
      set_link (cp, CP_LINK_IDLE);
      cp->backoff_ms = self->reconnect_min_ms;
      cp->retry_at = now;
    }
  return commanded (self, cp, "revived");
}

static const char * const commands[] = {
  "stats", "reset", "kill-engine CP", "kill-monitor CP", "revive CP", "help", "quit", NULL
};

/**
 * station_fleet_command:
 * @self: a started fleet
 * @line: one command line
 * @out_quit: (out): set to %TRUE for `quit`
 *
 * Runs `stats`, `reset`, `kill-engine CP`, `kill-monitor CP`, `revive CP`,
 * `help` or `quit`.
 *
 * Returns: (transfer full) (nullable): an error message for people, or
 *   %NULL when the command ran
 */
char *
station_fleet_command (StationFleet *self,
                       const char   *line,
                       gboolean     *out_quit)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *stripped = NULL;
  guint n = 0;
  gboolean ok = TRUE;

  *out_quit = FALSE;
  words = ev_headless_split_words (line, &n);
  if (n == 0)
    return NULL;

  if (n == 1 && g_str_equal (words[0], "quit"))
    *out_quit = TRUE;
  else if (n == 1 && g_str_equal (words[0], "help"))
    ev_headless_print_help (commands);
  else if (n == 1 && g_str_equal (words[0], "stats"))
    emit (self, "stats", station_fleet_stats (self));
  else if (n == 1 && g_str_equal (words[0], "reset"))
    station_fleet_reset (self);
  else if (n == 2 && g_str_equal (words[0], "kill-engine"))
    ok = station_fleet_kill_engine (self, words[1], &error);
  else if (n == 2 && g_str_equal (words[0], "kill-monitor"))
    ok = station_fleet_kill_monitor (self, words[1], &error);
  else if (n == 2 && g_str_equal (words[0], "revive"))
    ok = station_fleet_revive (self, words[1], &error);
  else
    {
      stripped = g_strstrip (g_strdup (line));
      return g_strdup_printf (_("Unknown command “%s” (commands: stats, reset, kill-engine CP, "
                                "kill-monitor CP, revive CP, help, quit)"), stripped);
    }

  return ok ? NULL : g_strdup (error->message);
}

/* Starting and stopping ------------------------------------------------------ */

static gboolean
resolve_central (StationFleet  *self,
                 GError       **error)
{
  g_autoptr(GSocketAddress) address = station_parse_address (self->central, error);
  g_autoptr(GSocketConnectable) named = NULL;

  if (address == NULL)
    return FALSE;

  named = g_network_address_parse (self->central, 0, NULL);
  g_free (self->central_host);
  self->central_host = named != NULL ? g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (named)))
                                     : g_strdup (self->central);

  self->address_len = g_socket_address_get_native_size (address);
  return g_socket_address_to_native (address, &self->address, sizeof self->address, error);
}

/**
 * station_fleet_set_central_key:
 * @self: a fleet, not started
 * @key: (nullable) (transfer full): Central's public key, or %NULL to
 *   check nothing
 */
void
station_fleet_set_central_key (StationFleet *self,
                               EvVerifyKey  *key)
{
  g_return_if_fail (STATION_IS_FLEET (self));

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * station_fleet_start:
 * @self: a fleet
 * @error: return location for a #GError
 *
 * Raises the descriptor limit, connects to Kafka, creates every CP and
 * starts connecting them to Central (20 a millisecond, so that Central's
 * accept queue keeps up), then emits `ready`.
 *
 * Returns: %TRUE on success
 */
gboolean
station_fleet_start (StationFleet  *self,
                     GError       **error)
{
  const char * const topics[] = { "central-directives", NULL };
  g_autofree char *group = NULL;
  g_autofree char *client_id = NULL;
  JsonObject *fields;
  gint64 now;

  g_return_val_if_fail (STATION_IS_FLEET (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID, _("No Kafka bootstrap servers given"));
      return FALSE;
    }
  if (!resolve_central (self, error))
    return FALSE;

  ev_raise_fd_limit ();

  client_id = g_strdup_printf ("ev-fleet-%d", (int) getpid ());
  self->producer = ev_bus_new (self->bootstrap, NULL, client_id,
                               (const char * const *) self->kafka_overrides, error);
  if (self->producer == NULL)
    return FALSE;
  if (!ev_bus_check_broker (self->producer, error))
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  group = g_strconcat ("ev-fleet-", self->prefix, NULL);
  self->consumer = ev_bus_new (self->bootstrap, group, client_id,
                               (const char * const *) self->kafka_overrides, error);
  if (self->consumer == NULL || !ev_bus_subscribe (self->consumer, topics, error))
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->consumer, "message", G_CALLBACK (consumer_message_cb), self);

  self->source = ev_epoll_source_new (&epoll_funcs, self, error);
  if (self->source == NULL)
    {
      station_fleet_shutdown (self);
      return FALSE;
    }
  g_source_attach (self->source, NULL);

  now = now_ms ();
  self->started_us = g_get_monotonic_time ();
  ev_timer_wheel_init (self->wheel, now);
  self->cps = g_new0 (FleetCp, self->count);
  self->queue = g_new (guint, self->count);
  for (guint i = 0; i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];

      cp->fleet = self;
      cp->fd = -1;
      cp->machine = machine_new (self, i);
      cp->state = EV_CP_STATE_ACTIVE;
      cp->backoff_ms = self->reconnect_min_ms;
      cp->retry_at = now + i / CONNECTS_PER_MS;
      station_finished_init (&cp->finished, STATION_FLEET_FINISHED_REMEMBERED);
      schedule_fault (cp, now);
      cp_reschedule (cp);
    }
  fleet_rearm (self);

  if (self->stats_interval_ms > 0)
    self->stats_id = g_timeout_add (self->stats_interval_ms, stats_cb, self);
  if (self->seconds > 0.0)
    self->seconds_id = g_timeout_add_once ((guint) MIN (self->seconds * 1000.0, G_MAXUINT), seconds_cb, self);
  self->started = TRUE;

  fields = json_object_new ();
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_string_member (fields, "prefix", self->prefix);
  json_object_set_string_member (fields, "central", self->central);
  json_object_set_boolean_member (fields, "tls", self->tls != NULL);
  json_object_set_string_member (fields, "bootstrap", self->bootstrap);
  emit (self, "ready", fields);
  return TRUE;
}

/**
 * station_fleet_shutdown:
 * @self: a fleet
 *
 * Ends every link (EOT), flushes Kafka and emits `summary` if it was
 * started. Idempotent.
 */
void
station_fleet_shutdown (StationFleet *self)
{
  g_autoptr(JsonObject) summary = NULL;

  g_return_if_fail (STATION_IS_FLEET (self));

  /* The summary describes the fleet as it ran, before its links close. */
  if (self->started)
    summary = station_fleet_stats (self);
  self->shutting_down = TRUE;
  g_clear_handle_id (&self->stats_id, g_source_remove);
  g_clear_handle_id (&self->seconds_id, g_source_remove);

  for (guint i = 0; self->cps != NULL && i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];

      if (cp->session != NULL)
        {
          ev_link_session_close (cp->session);
          cp_flush (cp);
        }
      cp_lost (cp);
    }
  if (self->wheel != NULL)
    ev_timer_wheel_clear (self->wheel);
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  if (self->consumer != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->consumer, self);
      ev_bus_close (self->consumer);
      g_clear_object (&self->consumer);
    }
  if (self->producer != NULL)
    {
      ev_bus_close (self->producer);
      g_clear_object (&self->producer);
    }

  if (self->started)
    {
      self->started = FALSE;
      emit (self, "summary", g_steal_pointer (&summary));
    }
}

static void
station_fleet_dispose (GObject *object)
{
  StationFleet *self = STATION_FLEET (object);

  station_fleet_shutdown (self);

  G_OBJECT_CLASS (station_fleet_parent_class)->dispose (object);
}

static void
station_fleet_finalize (GObject *object)
{
  StationFleet *self = STATION_FLEET (object);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  for (guint i = 0; self->cps != NULL && i < self->count; i++)
    {
      station_machine_free (self->cps[i].machine);
      station_finished_clear (&self->cps[i].finished);
      g_free (self->cps[i].nonce);
    }
  g_free (self->cps);
  g_free (self->queue);
  g_free (self->wheel);
  g_clear_pointer (&self->rand, g_rand_free);
  g_free (self->prefix);
  g_free (self->central);
  g_free (self->central_host);
  g_clear_pointer (&self->tls, ev_tls_client_unref);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->token_dir);

  G_OBJECT_CLASS (station_fleet_parent_class)->finalize (object);
}

static void
station_fleet_class_init (StationFleetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = station_fleet_dispose;
  object_class->finalize = station_fleet_finalize;

  /**
   * StationFleet::event:
   * @self: the fleet
   * @name: the event's name, as in the headless front end
   * @fields: its members, without "event"
   *
   * Everything that happens, for the headless front end.
   */
  signals[SIGNAL_EVENT] = ev_headless_event_signal_new (G_TYPE_FROM_CLASS (klass));
}

static void
station_fleet_init (StationFleet *self)
{
  self->rand = g_rand_new ();
  self->wheel = g_new0 (EvTimerWheel, 1);
}

/**
 * station_fleet_new:
 * @config: what to simulate; @count ≥ 1
 *
 * Returns: (transfer full): a fleet, not started
 */
StationFleet *
station_fleet_new (const StationFleetConfig *config)
{
  StationFleet *self;
  guint digits = 1;

  g_return_val_if_fail (config != NULL && config->count >= 1, NULL);
  g_return_val_if_fail (config->status_interval_ms > 0 && config->reconnect_min_ms > 0, NULL);

  self = g_object_new (STATION_TYPE_FLEET, NULL);
  self->count = config->count;
  self->prefix = g_strdup (config->prefix);
  self->central = g_strdup (config->central);
  self->tls = config->tls != NULL ? ev_tls_client_ref (config->tls) : NULL;
  self->bootstrap = g_strdup (config->bootstrap);
  self->kafka_overrides = g_strdupv ((char **) config->kafka_overrides);
  self->token_dir = config->token_dir != NULL ? g_strdup (config->token_dir)
                                              : station_monitor_default_token_dir ();
  self->fault_rate = config->fault_rate;
  station_machine_config_init (&self->machine_config);
  self->machine_config.power_kw = config->power_kw;
  self->machine_config.auto_plug_ms = config->auto_plug_ms;
  self->machine_config.auto_unplug_ms = config->auto_unplug_ms;
  self->machine_config.auto_unplug_kwh = config->auto_unplug_kwh;
  self->stats_interval_ms = config->stats_interval_ms;
  self->seconds = config->seconds;
  self->status_interval_ms = config->status_interval_ms;
  self->reconnect_min_ms = config->reconnect_min_ms;
  self->reconnect_max_ms = MAX (config->reconnect_max_ms, config->reconnect_min_ms);

  for (guint n = config->count; n >= 10; n /= 10)
    digits++;
  self->id_width = MAX (digits, 5);
  return self;
}

/* A run of fixed length (--seconds) outlives the end of its input, so
 * that `ev-station fleet --seconds 30 </dev/null` runs 30 s. */
static gboolean
headless_start (gpointer   core,
                GError   **error)
{
  StationFleet *self = core;

  if (!station_fleet_start (self, error))
    return FALSE;
  ev_headless_run_past_end_of_input (self->seconds > 0.0);
  return TRUE;
}

static void
headless_shutdown (gpointer core)
{
  station_fleet_shutdown (core);
}

static char *
headless_command (gpointer    core,
                  const char *line,
                  gboolean   *out_quit)
{
  return station_fleet_command (core, line, out_quit);
}

/**
 * station_fleet_run_headless:
 * @self: a fleet, not started yet (so that `ready` is printed)
 *
 * Returns: the exit status: 0, or 1 if the fleet could not start
 */
int
station_fleet_run_headless (StationFleet *self)
{
  static const EvHeadlessRole role = { "ev-station fleet", headless_start, headless_shutdown, headless_command, NULL };

  return ev_headless_run (self, &role);
}

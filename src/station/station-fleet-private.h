/* station-fleet-private.h: what the files of the station fleet share and
 * no one else sees: its structure, its simulated CPs and its internal
 * functions. */

#pragma once

#include "ev-bus.h"
#include "ev-epoll-source.h"
#include "ev-link-set.h"
#include "ev-link-session.h"
#include "ev-messages.h"
#include "ev-signing.h"
#include "ev-timer-wheel.h"
#include "ev-tls.h"
#include "station-fleet.h"
#include "station-machine.h"
#include "station-util.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ev-bus.h"
#include "ev-link-set.h"
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
#include "station-machine.h"
#include "station-monitor.h"
#include "station-monitor-machine.h"
#include "station-util.h"

G_BEGIN_DECLS

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
 * - Every link is a conn of one #EvLinkSet (one epoll set behind one
 *   #GSource, which also times its sessions and its connect time-out),
 *   and each CP has one entry among the set's owner timers, due at the
 *   earliest of its own timers (status period, machine deadline, fault,
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
  CP_LINK_IDLE,        /* no conn; retry_at says when to connect */
  CP_LINK_CONNECTING,  /* connect() and TLS under way; the conn's timer is their deadline */
  CP_LINK_HANDSHAKE,   /* ENQ sent */
  CP_LINK_AUTH,        /* auth or register on the wire */
  CP_LINK_UP,          /* authenticated or registered */
  CP_LINK_KILLED,      /* kill-monitor: stays down until revive */
} CpLink;

typedef struct
{
  EvTimerWheelEntry timer;
  StationFleet *fleet;
  StationMachine *machine;
  EvLinkConn *conn;     /* the link to Central: socket, TLS, session */
  StationFinished finished;
  StationMonitorMachine monitor;  /* the conversation with Central */
  gint64 retry_at;      /* monotonic ms */
  gint64 fault_at;      /* monotonic ms; 0 without faults */
  gint64 intended_us;   /* when the status on the wire was due (monotonic) */
  EvCpKey key;          /* Central's key for the CP, from auth or register */
  guint request_id;
  /* Written by station_fleet_revive() alone: the monitor machine holds
   * the backoff, reset when a monitor is killed. */
  guint8 link;
  guint8 state;         /* the machine's state last seen */
  guint8 engine_killed : 1;
  guint8 faulty : 1;
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
  StationMonitorMachineConfig monitor_config;
  int id_width;

  FleetCp *cps;
  struct sockaddr_storage address;
  socklen_t address_len;
  EvLinkSet *links;
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
};

void fleet_send_status (FleetCp *cp, gint64 now);

void fleet_cp_lost (FleetCp *cp);

void fleet_cp_connect (FleetCp *cp, gint64 now);

void fleet_cp_update (FleetCp *cp);

static inline EvLinkSession *
fleet_cp_session (FleetCp *cp)
{
  return cp->conn != NULL ? ev_link_conn_get_session (cp->conn) : NULL;
}

void fleet_record_latency (FleetCounters *counters, gint64 latency_us);

void fleet_emit (StationFleet *self, const char *name, JsonObject *fields);

gint64 fleet_now_ms (void);

guint fleet_cp_index (FleetCp *cp);

const char *fleet_cp_id (FleetCp *cp);

char *fleet_format_cp_id (StationFleet *self, guint index);

FleetCp *fleet_find_cp (StationFleet *self, const char *id);

void fleet_queue_join (FleetCp *cp);

void fleet_set_link (FleetCp *cp, CpLink link);

gint64 fleet_epoch_to_monotonic_ms (gint64 epoch_ms);

void fleet_cp_reschedule (FleetCp *cp);

void fleet_schedule_fault (FleetCp *cp, gint64 now);

StationMachine *fleet_machine_new (StationFleet *self, guint index);

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

extern guint fleet_signals[N_SIGNALS];

G_END_DECLS

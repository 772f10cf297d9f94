#pragma once

#include <glib.h>

#include "ev-cp-state.h"
#include "ev-messages.h"
#include "station-event.h"

G_BEGIN_DECLS

/**
 * StationMonitorMachineConfig:
 * @reconnect_min_ms: the first reconnection delay, after a link that was up
 * @reconnect_max_ms: the longest, and the delay after a refusal
 * @status_interval_ms: how often a status is due while the link is up
 * @jitter: each delay is multiplied by a factor in [1 - jitter, 1 + jitter]
 *   (0 for none), so that thousands of CPs do not beat in step
 * @spread_first: the first status after the link comes up is due at a
 *   random time within one period rather than at once
 * @hold_skipped: a status falling due while the one before is unanswered
 *   is held back and leaves with the answer, rather than dropped
 * @seed: the state of the jitter's random numbers (any value to start)
 *
 * The parameters of a #StationMonitorMachine, shared by every machine of
 * a program (the fleet has one for 10,000 CPs), with their one random
 * state, so that a machine stays small.
 */
typedef struct {
  guint reconnect_min_ms;
  guint reconnect_max_ms;
  guint status_interval_ms;
  double jitter;
  gboolean spread_first;
  gboolean hold_skipped;
  guint32 seed;
} StationMonitorMachineConfig;

/**
 * StationMonitorRequest:
 * @STATION_MONITOR_REQUEST_NONE: nothing outstanding
 * @STATION_MONITOR_REQUEST_AUTH: `auth` with the stored token (or
 *   `register` when none is stored: see station_monitor_machine_sending())
 * @STATION_MONITOR_REQUEST_REGISTER: `register` with the kept nonce
 * @STATION_MONITOR_REQUEST_STATUS: `status`
 *
 * The request a monitor has on its link to Central (one at a time).
 */
typedef enum {
  STATION_MONITOR_REQUEST_NONE,
  STATION_MONITOR_REQUEST_AUTH,
  STATION_MONITOR_REQUEST_REGISTER,
  STATION_MONITOR_REQUEST_STATUS,
} StationMonitorRequest;

/**
 * StationMonitorActions:
 * @send: the request to send now (the machine counts it as outstanding)
 * @status_due: with %STATION_MONITOR_REQUEST_STATUS, when that status
 *   fell due (monotonic ms): its latency counts from there
 * @close: close the link; station_monitor_machine_lost() follows
 * @keep_token: keep the response's token, and forget the nonce
 * @take_key: the response's key is the CP's from now on (when it has one)
 * @accepted: the response is a yes: take its price and approval
 * @link_changed: the link state or its reason changed: tell it
 * @refused: Central refused the CP, an operator must act: say why
 * @other_link: Central has the CP on another link: say so, retry
 * @skipped: a status fell due while the one before was unanswered
 * @failed: a bad or unexpected answer, or a refusal: count it
 * @reason: the reason of a refusal or of the link's new state, a static
 *   string, or %NULL
 *
 * What the caller must do after an event. Several may be set at once:
 * they are done in the order of the fields. The flags are booleans, not
 * bit fields: GCC 12's store merging at -O2 lost `keep_token` set before
 * a call that set others (right with -fno-store-merging and with clang).
 */
typedef struct {
  StationMonitorRequest send;
  gint64 status_due;
  gboolean close;
  gboolean keep_token;
  gboolean take_key;
  gboolean accepted;
  gboolean link_changed;
  gboolean refused;
  gboolean other_link;
  gboolean skipped;
  gboolean failed;
  const char *reason;
} StationMonitorActions;

/**
 * StationMonitorMachine:
 *
 * A monitor's conversation with Central as a pure machine: authenticate
 * or register when the link comes up, register again when Central has
 * forgotten the CP, authenticate again when it asks, a status every
 * period (one request at a time), reconnection delays doubling from the
 * shortest to the longest, the longest after a refusal. It owns no clock,
 * no socket and no file: every event carries the time (monotonic ms) and
 * returns the #StationMonitorActions its caller does. A plain struct to
 * embed (the fleet has one per CP: 24 bytes, no allocation, its
 * parameters passed in): set it up with station_monitor_machine_reset(),
 * read its fields, change them only through its functions.
 */
typedef struct {
  gint64 status_at;     /* when the next status is due; 0 while not up */
  gint64 held_at;       /* when the oldest status held back fell due; 0 none */
  guint32 backoff_ms;   /* the next reconnection delay, before jitter */
  guint8 link;          /* #StationCentralLink */
  guint8 request;       /* #StationMonitorRequest outstanding */
} StationMonitorMachine;

StationMonitorActions station_monitor_machine_connecting  (StationMonitorMachine *self);
StationMonitorActions station_monitor_machine_established (StationMonitorMachine *self,
                                                           gint64                 now_ms);
void                  station_monitor_machine_sending     (StationMonitorMachine *self,
                                                           StationMonitorRequest  request);
StationMonitorActions station_monitor_machine_response    (StationMonitorMachine       *self,
                                                           StationMonitorMachineConfig *config,
                                                           const EvLinkResponse        *response,
                                                           gint64                       now_ms);
StationMonitorActions station_monitor_machine_changed     (StationMonitorMachine *self,
                                                           gint64                 now_ms);
StationMonitorActions station_monitor_machine_tick        (StationMonitorMachine       *self,
                                                           StationMonitorMachineConfig *config,
                                                           gint64                       now_ms);
guint                 station_monitor_machine_lost        (StationMonitorMachine       *self,
                                                           StationMonitorMachineConfig *config);
void                  station_monitor_machine_reset       (StationMonitorMachine             *self,
                                                           const StationMonitorMachineConfig *config);

gint64                station_monitor_machine_get_deadline (const StationMonitorMachine *self);
gboolean              station_monitor_machine_is_up       (const StationMonitorMachine *self);

EvCpState             station_monitor_state_to_report     (EvEngineHealth health,
                                                           EvCpState      state);

G_END_DECLS

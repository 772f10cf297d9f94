#pragma once

#include "ev-cp-state.h"
#include "ev-event.h"
#include "ev-messages.h"

G_BEGIN_DECLS

/**
 * StationCentralLink:
 * @STATION_CENTRAL_LINK_DOWN: no link to Central (it is unreachable)
 * @STATION_CENTRAL_LINK_CONNECTING: connecting, or waiting for the answer
 *   to `auth` or `register`
 * @STATION_CENTRAL_LINK_AUTHENTICATED: `auth` accepted with the stored token
 * @STATION_CENTRAL_LINK_REGISTERED: registered now; the token is stored
 * @STATION_CENTRAL_LINK_DENIED: Central refused the CP (bad token, already
 *   registered, invalid id); retried slowly in case the operator fixes it
 *
 * The monitor's link to Central, as its property and its events give it.
 */
typedef enum {
  STATION_CENTRAL_LINK_DOWN,
  STATION_CENTRAL_LINK_CONNECTING,
  STATION_CENTRAL_LINK_AUTHENTICATED,
  STATION_CENTRAL_LINK_REGISTERED,
  STATION_CENTRAL_LINK_DENIED,
} StationCentralLink;

GType       station_central_link_get_type  (void);
#define STATION_TYPE_CENTRAL_LINK (station_central_link_get_type ())
const char *station_central_link_to_string (StationCentralLink link);

/**
 * StationEventKind:
 * @STATION_EVENT_READY: the core started (its configuration is the
 *   core's).
 * @STATION_EVENT_MONITOR: engine: its monitor linked or went.
 * @STATION_EVENT_BOUND: engine: the monitor's `hello` gave the CP id.
 * @STATION_EVENT_CENTRAL: engine: Central reachable or not, as the
 *   monitor says; monitor: its link to Central changed.
 * @STATION_EVENT_PRICE: the CP's price from Central.
 * @STATION_EVENT_BROKER: engine: Kafka unreachable or back.
 * @STATION_EVENT_DIRECTIVE: engine: a directive for this CP, applied or
 *   not.
 * @STATION_EVENT_AUTHORIZED: engine: a supply is authorised (WAITING).
 * @STATION_EVENT_STARTED: engine: the vehicle is plugged in.
 * @STATION_EVENT_STATE: engine: its state changed.
 * @STATION_EVENT_PROGRESS: engine: a supply's live figures went out.
 * @STATION_EVENT_TICKET: engine: a supply ended with its ticket.
 * @STATION_EVENT_HEALTH: engine: a simulated fault set or cleared.
 * @STATION_EVENT_REQUEST: engine: a supply was asked here.
 * @STATION_EVENT_DENIED: engine: Central denied a request made here.
 * @STATION_EVENT_NO_ANSWER: engine: Central did not answer a request made
 *   here in time (%STATION_ENGINE_ANSWER_TIMEOUT_MS).
 * @STATION_EVENT_INVALID_MESSAGE: engine: a Kafka message was skipped.
 * @STATION_EVENT_ENGINE_CONNECTED: monitor: the engine answered `hello`.
 * @STATION_EVENT_ENGINE_DENIED: monitor: the engine serves another CP.
 * @STATION_EVENT_ENGINE_DOWN: monitor: the engine link closed or cannot
 *   be opened.
 * @STATION_EVENT_ENGINE_HEALTH: monitor: the engine's health changed.
 * @STATION_EVENT_STATUS: monitor: what is reported to Central changed.
 * @STATION_EVENT_APPROVAL: monitor: Central says the CP awaits the
 *   operator's approval, or no longer does (@up: awaiting).
 * @STATION_EVENT_CP_KEY: engine: its monitor handed over the key Central
 *   issued the CP, which its Kafka messages are signed with from now on.
 * @STATION_EVENT_NOT_PAIRED: engine: a link that has not proved the
 *   pairing sent a request other than a bare `hello` (once per link).
 * @STATION_EVENT_ERROR: something went wrong; the message says what.
 *
 * What a #StationEvent of the engine or of the monitor tells; the nicks
 * are the names of docs/cli.md.
 */
typedef enum {
  STATION_EVENT_READY,
  STATION_EVENT_MONITOR,
  STATION_EVENT_BOUND,
  STATION_EVENT_CENTRAL,
  STATION_EVENT_PRICE,
  STATION_EVENT_BROKER,
  STATION_EVENT_DIRECTIVE,
  STATION_EVENT_AUTHORIZED,
  STATION_EVENT_STARTED,
  STATION_EVENT_STATE,
  STATION_EVENT_PROGRESS,
  STATION_EVENT_TICKET,
  STATION_EVENT_HEALTH,
  STATION_EVENT_REQUEST,
  STATION_EVENT_DENIED,
  STATION_EVENT_NO_ANSWER,
  STATION_EVENT_INVALID_MESSAGE,
  STATION_EVENT_ENGINE_CONNECTED,
  STATION_EVENT_ENGINE_DENIED,
  STATION_EVENT_ENGINE_DOWN,
  STATION_EVENT_ENGINE_HEALTH,
  STATION_EVENT_STATUS,
  STATION_EVENT_NOT_PAIRED,
  STATION_EVENT_APPROVAL,
  STATION_EVENT_CP_KEY,
  STATION_EVENT_ERROR,
} StationEventKind;

GType station_event_kind_get_type (void);
#define STATION_TYPE_EVENT_KIND (station_event_kind_get_type ())

/**
 * StationEventData:
 * @up: engine `monitor`: the monitor is linked; engine `central`,
 *   `broker`: reachable; `health`: the engine is healthy (not KO)
 * @cp_id: `bound`; `not-paired`: the CP id a `hello` named (nullable)
 * @location: `engine-connected`: where the engine says it is (nullable)
 * @reason: `engine-denied`, `engine-down`, monitor `central` (nullable),
 *   `invalid-message`; `not-paired`: the type of the request refused
 * @topic: `invalid-message`
 * @ignored: `directive`: why it was not applied (%NULL when it was)
 * @has_state: `engine-connected`: the engine said its state
 * @state: `state`, `engine-connected`, `engine-health`, `status`
 * @previous: `state`
 * @health: `engine-health`, `status`: the engine's health
 * @previous_health: `engine-health`
 * @link: monitor `central`
 * @has_price: `price`; monitor `central`: up, with a price
 * @price: with @has_price
 * @supply_id: `started`
 * @driver_id: `started`
 * @started_at: `started`: ms since the epoch
 * @directive: `directive`, `authorized`
 * @supply_data: `progress`, `ticket`: the `supply-data` message sent
 * @request: `request`: the `supply-req` sent
 * @response: `denied`: Central's `supply-res`
 * @count: `cp-key`: tickets that were waiting for a key and go out now
 *
 * The typed data of a #StationEvent: each kind fills the members named
 * with it; the others are zero. For `error`, the event's message
 * (ev_event_get_message()) says what went wrong.
 */
typedef struct
{
  gboolean up;
  char *cp_id;
  char *location;
  char *reason;
  char *topic;
  char *ignored;
  gboolean has_state;
  EvCpState state;
  EvCpState previous;
  EvEngineHealth health;
  EvEngineHealth previous_health;
  StationCentralLink link;
  gboolean has_price;
  double price;
  char *supply_id;
  char *driver_id;
  gint64 started_at;
  EvDirective *directive;
  EvSupplyData *supply_data;
  EvSupplyRequest *request;
  EvSupplyResponse *response;
  guint count;
} StationEventData;

#define STATION_TYPE_EVENT (station_event_get_type ())

G_DECLARE_FINAL_TYPE (StationEvent, station_event, STATION, EVENT, EvEvent)

StationEvent           *station_event_new      (StationEventKind        kind,
                                                const char             *message,
                                                const StationEventData *data);
StationEventKind        station_event_get_kind (StationEvent           *self);
const StationEventData *station_event_get_data (StationEvent           *self);

G_END_DECLS

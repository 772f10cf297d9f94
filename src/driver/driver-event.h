#pragma once

#include "driver-file-run.h"
#include "driver-follow.h"
#include "ev-charging-point.h"
#include "ev-event.h"

G_BEGIN_DECLS

/**
 * DriverEventKind:
 * @DRIVER_EVENT_READY: the core started (its configuration is the
 *   core's).
 * @DRIVER_EVENT_BROKER: Kafka became reachable or unreachable.
 * @DRIVER_EVENT_CP_STATE: a CP appeared or changed.
 * @DRIVER_EVENT_RECOVERED: a supply in progress was found at start.
 * @DRIVER_EVENT_REQUEST: a request was sent; waiting for Central.
 * @DRIVER_EVENT_NO_ANSWER: Central did not answer in time.
 * @DRIVER_EVENT_AUTHORIZED: authorised: plug the vehicle in.
 * @DRIVER_EVENT_DENIED: Central refused the request.
 * @DRIVER_EVENT_PROGRESS: live figures of the supply.
 * @DRIVER_EVENT_TICKET: the supply ended with a ticket.
 * @DRIVER_EVENT_SUPPLY_ERROR: the supply ended by an error.
 * @DRIVER_EVENT_FILE_INVALID_LINE: a malformed line of a request file,
 *   skipped.
 * @DRIVER_EVENT_FILE_START: a request file run started or resumed.
 * @DRIVER_EVENT_FILE_PAUSED: the run was paused.
 * @DRIVER_EVENT_FILE_RESUMED: the run was resumed.
 * @DRIVER_EVENT_FILE_REQUEST: a line of the run is requested.
 * @DRIVER_EVENT_FILE_RESULT: a line of the run ended.
 * @DRIVER_EVENT_FILE_DONE: the run ended.
 * @DRIVER_EVENT_INVALID_MESSAGE: a Kafka message with the driver's key
 *   was skipped.
 * @DRIVER_EVENT_ERROR: something went wrong; the message says what.
 *
 * What a #DriverEvent tells; the nicks are the names of docs/cli.md.
 */
typedef enum {
  DRIVER_EVENT_READY,
  DRIVER_EVENT_BROKER,
  DRIVER_EVENT_CP_STATE,
  DRIVER_EVENT_RECOVERED,
  DRIVER_EVENT_REQUEST,
  DRIVER_EVENT_NO_ANSWER,
  DRIVER_EVENT_AUTHORIZED,
  DRIVER_EVENT_DENIED,
  DRIVER_EVENT_PROGRESS,
  DRIVER_EVENT_TICKET,
  DRIVER_EVENT_SUPPLY_ERROR,
  DRIVER_EVENT_FILE_INVALID_LINE,
  DRIVER_EVENT_FILE_START,
  DRIVER_EVENT_FILE_PAUSED,
  DRIVER_EVENT_FILE_RESUMED,
  DRIVER_EVENT_FILE_REQUEST,
  DRIVER_EVENT_FILE_RESULT,
  DRIVER_EVENT_FILE_DONE,
  DRIVER_EVENT_INVALID_MESSAGE,
  DRIVER_EVENT_ERROR,
} DriverEventKind;

/**
 * DriverEventData:
 * @supply: the supply as it stands after the event: `recovered`,
 *   `request`, `no-answer`, `authorized`, `denied`, `progress`, `ticket`,
 *   `supply-error`
 * @retry: `request`: the same request sent again after no answer
 * @charging_point: `cp-state`: the CP as it stands now (a copy)
 * @has_previous: `cp-state`: %FALSE for a CP seen for the first time
 * @previous: `cp-state`: its state before
 * @reachable: `broker`
 * @path: the request file of every `file-…` event
 * @position: n, the line under way from 1 (`file-start`, `-paused`,
 *   `-resumed`, `-request`; `file-result`: the line that ended)
 * @total: m, the lines of the run (every `file-…` event but
 *   `file-invalid-line`)
 * @invalid_lines: `file-start`: malformed lines skipped
 * @resumed: `file-start`: a saved run taken up again
 * @paused: `file-start`: the run starts paused
 * @requested: `file-paused`: a supply of line n is under way
 * @stopped: `file-done`: Stop ended the run early
 * @cp_id: `file-request`: the CP requested
 * @line: `file-request`, `file-invalid-line`: the line in the file
 * @text: `file-invalid-line`: the line as written
 * @result: `file-result`
 * @results: (element-type DriverFileResult): `file-done`: every result
 * @topic: `invalid-message`: where it came from
 * @reason: `invalid-message`, `file-invalid-line`: why it was skipped
 *
 * The typed data of a #DriverEvent: each kind fills the members named
 * with it; the others are zero. The event's message
 * (ev_event_get_message()) is, for supply events, the situation in words
 * for the driver; for `file-invalid-line` and `error`, what went wrong.
 */
typedef struct
{
  DriverFollow *supply;
  gboolean retry;
  EvChargingPoint *charging_point;
  gboolean has_previous;
  EvCpState previous;
  gboolean reachable;
  char *path;
  guint position;
  guint total;
  guint invalid_lines;
  gboolean resumed;
  gboolean paused;
  gboolean requested;
  gboolean stopped;
  char *cp_id;
  guint line;
  char *text;
  DriverFileResult *result;
  GPtrArray *results;
  char *topic;
  char *reason;
} DriverEventData;

#define DRIVER_TYPE_EVENT (driver_event_get_type ())

G_DECLARE_FINAL_TYPE (DriverEvent, driver_event, DRIVER, EVENT, EvEvent)

DriverEvent           *driver_event_new      (DriverEventKind        kind,
                                              const char            *message,
                                              const DriverEventData *data);
DriverEventKind        driver_event_get_kind (DriverEvent           *self);
const DriverEventData *driver_event_get_data (DriverEvent           *self);

G_END_DECLS

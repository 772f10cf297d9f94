#pragma once

#include <json-glib/json-glib.h>

#include "ev-messages.h"
#include "ev-supply.h"

G_BEGIN_DECLS

/**
 * DriverPhase:
 * @DRIVER_PHASE_IDLE: nothing requested.
 * @DRIVER_PHASE_REQUESTED: asked Central; waiting for its answer.
 * @DRIVER_PHASE_NO_ANSWER: Central did not answer in time; a late answer
 *   is still taken, and the driver may ask again.
 * @DRIVER_PHASE_AUTHORIZED: authorised: plug the vehicle in.
 * @DRIVER_PHASE_SUPPLYING: energy is flowing.
 * @DRIVER_PHASE_FINISHED: ended with a ticket.
 * @DRIVER_PHASE_DENIED: Central refused the request.
 * @DRIVER_PHASE_FAILED: ended by an error (`supply-error`).
 *
 * Where the driver's request and its supply stand, as the views, the
 * state file and the events name it: the supply's #EvSupplyPhase, with
 * the three states that belong to the request (idle, no answer, denied).
 * It is never stored: driver_follow_get_phase() reads it from the
 * follow's request part and its #EvSupply.
 */
typedef enum {
  DRIVER_PHASE_IDLE,
  DRIVER_PHASE_REQUESTED,
  DRIVER_PHASE_NO_ANSWER,
  DRIVER_PHASE_AUTHORIZED,
  DRIVER_PHASE_SUPPLYING,
  DRIVER_PHASE_FINISHED,
  DRIVER_PHASE_DENIED,
  DRIVER_PHASE_FAILED,
} DriverPhase;

/**
 * DriverError:
 * @DRIVER_ERROR_BUSY: a supply is already in progress.
 * @DRIVER_ERROR_FILE_RUNNING: a request file is being run.
 * @DRIVER_ERROR_EMPTY_FILE: the request file has no valid CP id.
 * @DRIVER_ERROR_NOT_STARTED: the core is not started.
 * @DRIVER_ERROR_STATE: the saved state cannot be read or written.
 * @DRIVER_ERROR_NO_FILE: no request file is being run.
 * @DRIVER_ERROR_FILE_PAUSED: the request file is paused already.
 * @DRIVER_ERROR_FILE_NOT_PAUSED: the request file is not paused.
 * @DRIVER_ERROR_NONE_AVAILABLE: `auto`, and no charging point is available.
 */
typedef enum {
  DRIVER_ERROR_BUSY,
  DRIVER_ERROR_FILE_RUNNING,
  DRIVER_ERROR_EMPTY_FILE,
  DRIVER_ERROR_NOT_STARTED,
  DRIVER_ERROR_STATE,
  DRIVER_ERROR_NO_FILE,
  DRIVER_ERROR_FILE_PAUSED,
  DRIVER_ERROR_FILE_NOT_PAUSED,
  DRIVER_ERROR_NONE_AVAILABLE,
} DriverError;

#define DRIVER_ERROR (driver_error_quark ())

GQuark driver_error_quark (void);

typedef enum {
  DRIVER_FOLLOW_IGNORED,
  DRIVER_FOLLOW_CHANGED,
  DRIVER_FOLLOW_CONCLUDED,
} DriverFollowResult;

/* One request and its supply as the driver follows them: a pure state
 * machine fed with the driver's Kafka messages and the time. It holds what
 * belongs to the request; the supply's phase and figures are its #EvSupply
 * alone, which views, the history and the core follow through its notify
 * signals. Every input is idempotent, so a message delivered twice (a
 * crash before its offset was committed, or a recovery read) changes
 * nothing the second time. */
typedef struct
{
  char *driver_id;
  char *request_id;
  gint64 requested_at;   /* ms since the epoch, 0 when unknown */
  gboolean no_answer;    /* the answer was due and did not come */
  gboolean denied;       /* Central refused: the supply failed unborn */
  EvSupply *supply;      /* NULL while idle */
} DriverFollow;

const char        *driver_phase_to_string     (DriverPhase          phase);
gboolean           driver_phase_to_supply_phase (DriverPhase        phase,
                                                 EvSupplyPhase     *supply_phase);
gboolean           driver_phase_from_string   (const char          *text,
                                               DriverPhase         *phase);
gboolean           driver_phase_is_active     (DriverPhase          phase);
gboolean           driver_phase_is_concluded  (DriverPhase          phase);

DriverPhase        driver_follow_get_phase    (const DriverFollow  *follow);
const char        *driver_follow_get_cp_id    (const DriverFollow  *follow);
const char        *driver_follow_get_supply_id (const DriverFollow *follow);
const char        *driver_follow_get_reason   (const DriverFollow  *follow);

DriverFollow      *driver_follow_new          (const char          *driver_id);
DriverFollow      *driver_follow_copy         (const DriverFollow  *follow);
void               driver_follow_free         (DriverFollow        *follow);

gboolean           driver_follow_check_free   (const DriverFollow  *follow,
                                               GError             **error);
gboolean           driver_follow_request      (DriverFollow        *follow,
                                               const char          *cp_id,
                                               const char          *request_id,
                                               gint64               now_ms,
                                               GError             **error);
gboolean           driver_follow_expire       (DriverFollow        *follow);
DriverFollowResult driver_follow_on_response  (DriverFollow        *follow,
                                               const EvSupplyResponse *msg);
DriverFollowResult driver_follow_on_data      (DriverFollow        *follow,
                                               const EvSupplyData  *msg);
DriverFollowResult driver_follow_on_error     (DriverFollow        *follow,
                                               const EvSupplyError *msg);

void               driver_supply_take_data    (EvSupply            *supply,
                                               const EvSupplyData  *msg,
                                               EvSupplyPhase        phase);

JsonObject        *driver_follow_to_json      (const DriverFollow  *follow);
DriverFollow      *driver_follow_from_json    (JsonObject          *object,
                                               const char          *driver_id,
                                               GError             **error);

const char        *driver_reason_describe     (DriverPhase          phase,
                                               const char          *reason);
char              *driver_follow_describe     (const DriverFollow  *follow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DriverFollow, driver_follow_free)

G_END_DECLS

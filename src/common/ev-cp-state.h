#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EvCpState:
 * @EV_CP_STATE_DISCONNECTED: Central has no live monitor link for the CP.
 * @EV_CP_STATE_ACTIVE: healthy, idle and available for a supply.
 * @EV_CP_STATE_WAITING: a supply is authorised; waiting for the vehicle.
 * @EV_CP_STATE_SUPPLYING: a vehicle is charging.
 * @EV_CP_STATE_STOPPED: healthy but stopped by the Central operator.
 * @EV_CP_STATE_BROKEN: the monitor reports the engine KO or unreachable.
 *
 * The six states of a charging point, identical in every app and on the
 * wire (see docs/protocol.md).
 */
typedef enum {
  EV_CP_STATE_DISCONNECTED,
  EV_CP_STATE_ACTIVE,
  EV_CP_STATE_WAITING,
  EV_CP_STATE_SUPPLYING,
  EV_CP_STATE_STOPPED,
  EV_CP_STATE_BROKEN,
} EvCpState;

#define EV_CP_STATE_LAST EV_CP_STATE_BROKEN

const char *ev_cp_state_to_string     (EvCpState   state);
gboolean    ev_cp_state_from_string   (const char *text,
                                       EvCpState  *state);
const char *ev_cp_state_get_label     (EvCpState   state);
const char *ev_cp_state_get_css_class (EvCpState   state);
gboolean    ev_cp_state_is_available  (EvCpState   state);

G_END_DECLS

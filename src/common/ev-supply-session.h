#pragma once

/* The former name of #EvSupply, kept only so that units not yet moved to
 * the new name build (issue 16); do not use it in new code. */

#include "ev-supply.h"

G_BEGIN_DECLS

typedef EvSupply EvSupplySession;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSupplySession, g_object_unref)

#define EV_TYPE_SUPPLY_SESSION             EV_TYPE_SUPPLY
#define EV_SUPPLY_SESSION(obj)             EV_SUPPLY (obj)
#define EV_IS_SUPPLY_SESSION(obj)          EV_IS_SUPPLY (obj)
#define ev_supply_session_new              ev_supply_new
#define ev_supply_session_get_supply_id    ev_supply_get_supply_id
#define ev_supply_session_get_cp_id        ev_supply_get_cp_id
#define ev_supply_session_get_driver_id    ev_supply_get_driver_id
#define ev_supply_session_get_phase        ev_supply_get_phase
#define ev_supply_session_set_phase        ev_supply_set_phase
#define ev_supply_session_get_price        ev_supply_get_price
#define ev_supply_session_set_price        ev_supply_set_price
#define ev_supply_session_get_kwh          ev_supply_get_kwh
#define ev_supply_session_set_kwh          ev_supply_set_kwh
#define ev_supply_session_get_amount       ev_supply_get_amount
#define ev_supply_session_set_amount       ev_supply_set_amount
#define ev_supply_session_get_seq          ev_supply_get_seq
#define ev_supply_session_set_seq          ev_supply_set_seq
#define ev_supply_session_get_started_at   ev_supply_get_started_at
#define ev_supply_session_set_started_at   ev_supply_set_started_at
#define ev_supply_session_get_ended_at     ev_supply_get_ended_at
#define ev_supply_session_set_ended_at     ev_supply_set_ended_at
#define ev_supply_session_get_reason       ev_supply_get_reason
#define ev_supply_session_set_reason       ev_supply_set_reason
#define ev_supply_session_get_provisional  ev_supply_get_provisional
#define ev_supply_session_set_provisional  ev_supply_set_provisional
#define ev_supply_session_is_concluded     ev_supply_is_concluded
#define ev_supply_session_update           ev_supply_update
#define ev_supply_session_copy             ev_supply_copy

G_END_DECLS

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * EvSupplyPhase:
 * @EV_SUPPLY_PHASE_REQUESTED: asked for, no answer yet.
 * @EV_SUPPLY_PHASE_AUTHORIZED: authorised; waiting for the vehicle.
 * @EV_SUPPLY_PHASE_SUPPLYING: energy is flowing.
 * @EV_SUPPLY_PHASE_FINISHED: ended with a ticket.
 * @EV_SUPPLY_PHASE_FAILED: denied, or ended by an error.
 *
 * Where one supply stands, as its driver and Central follow it.
 */
typedef enum {
  EV_SUPPLY_PHASE_REQUESTED,
  EV_SUPPLY_PHASE_AUTHORIZED,
  EV_SUPPLY_PHASE_SUPPLYING,
  EV_SUPPLY_PHASE_FINISHED,
  EV_SUPPLY_PHASE_FAILED,
} EvSupplyPhase;

#define EV_TYPE_SUPPLY_SESSION (ev_supply_session_get_type ())

G_DECLARE_FINAL_TYPE (EvSupplySession, ev_supply_session, EV, SUPPLY_SESSION, GObject)

EvSupplySession *ev_supply_session_new            (const char      *supply_id,
                                                   const char      *cp_id,
                                                   const char      *driver_id);

const char      *ev_supply_session_get_supply_id  (EvSupplySession *self);
const char      *ev_supply_session_get_cp_id      (EvSupplySession *self);
const char      *ev_supply_session_get_driver_id  (EvSupplySession *self);

EvSupplyPhase    ev_supply_session_get_phase      (EvSupplySession *self);
void             ev_supply_session_set_phase      (EvSupplySession *self,
                                                   EvSupplyPhase    phase);
double           ev_supply_session_get_price      (EvSupplySession *self);
void             ev_supply_session_set_price      (EvSupplySession *self,
                                                   double           price);
double           ev_supply_session_get_kwh        (EvSupplySession *self);
void             ev_supply_session_set_kwh        (EvSupplySession *self,
                                                   double           kwh);
double           ev_supply_session_get_amount     (EvSupplySession *self);
void             ev_supply_session_set_amount     (EvSupplySession *self,
                                                   double           amount);
guint            ev_supply_session_get_seq        (EvSupplySession *self);
void             ev_supply_session_set_seq        (EvSupplySession *self,
                                                   guint            seq);
gint64           ev_supply_session_get_started_at (EvSupplySession *self);
void             ev_supply_session_set_started_at (EvSupplySession *self,
                                                   gint64           started_at);
gint64           ev_supply_session_get_ended_at   (EvSupplySession *self);
void             ev_supply_session_set_ended_at   (EvSupplySession *self,
                                                   gint64           ended_at);
const char      *ev_supply_session_get_reason     (EvSupplySession *self);
void             ev_supply_session_set_reason     (EvSupplySession *self,
                                                   const char      *reason);

gboolean         ev_supply_session_get_provisional (EvSupplySession *self);
void             ev_supply_session_set_provisional (EvSupplySession *self,
                                                    gboolean         provisional);
gboolean         ev_supply_session_is_concluded   (EvSupplySession *self);
void             ev_supply_session_update         (EvSupplySession *self,
                                                   EvSupplySession *from);
EvSupplySession *ev_supply_session_copy           (EvSupplySession *self);

G_END_DECLS

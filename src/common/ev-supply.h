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
 * Where one supply stands, as its driver, its engine and Central follow
 * it. ev_supply_phase_to_string() gives each its one stable name (the
 * database, the driver's state file and the events use it).
 */
typedef enum {
  EV_SUPPLY_PHASE_REQUESTED,
  EV_SUPPLY_PHASE_AUTHORIZED,
  EV_SUPPLY_PHASE_SUPPLYING,
  EV_SUPPLY_PHASE_FINISHED,
  EV_SUPPLY_PHASE_FAILED,
} EvSupplyPhase;

const char      *ev_supply_phase_to_string   (EvSupplyPhase    phase);
gboolean         ev_supply_phase_from_string (const char      *name,
                                              EvSupplyPhase   *phase);

#define EV_TYPE_SUPPLY (ev_supply_get_type ())

G_DECLARE_FINAL_TYPE (EvSupply, ev_supply, EV, SUPPLY, GObject)

EvSupply        *ev_supply_new             (const char      *supply_id,
                                            const char      *cp_id,
                                            const char      *driver_id);

const char      *ev_supply_get_supply_id   (EvSupply        *self);
void             ev_supply_set_supply_id   (EvSupply        *self,
                                            const char      *supply_id);
const char      *ev_supply_get_cp_id       (EvSupply        *self);
const char      *ev_supply_get_driver_id   (EvSupply        *self);

EvSupplyPhase    ev_supply_get_phase       (EvSupply        *self);
void             ev_supply_set_phase       (EvSupply        *self,
                                            EvSupplyPhase    phase);
double           ev_supply_get_price       (EvSupply        *self);
void             ev_supply_set_price       (EvSupply        *self,
                                            double           price);
double           ev_supply_get_kwh         (EvSupply        *self);
void             ev_supply_set_kwh         (EvSupply        *self,
                                            double           kwh);
double           ev_supply_get_amount      (EvSupply        *self);
void             ev_supply_set_amount      (EvSupply        *self,
                                            double           amount);
guint            ev_supply_get_seq         (EvSupply        *self);
void             ev_supply_set_seq         (EvSupply        *self,
                                            guint            seq);
gint64           ev_supply_get_started_at  (EvSupply        *self);
void             ev_supply_set_started_at  (EvSupply        *self,
                                            gint64           started_at);
gint64           ev_supply_get_ended_at    (EvSupply        *self);
void             ev_supply_set_ended_at    (EvSupply        *self,
                                            gint64           ended_at);
const char      *ev_supply_get_reason      (EvSupply        *self);
void             ev_supply_set_reason      (EvSupply        *self,
                                            const char      *reason);
gboolean         ev_supply_get_provisional (EvSupply        *self);
void             ev_supply_set_provisional (EvSupply        *self,
                                            gboolean         provisional);

gboolean         ev_supply_is_concluded    (EvSupply        *self);
void             ev_supply_update          (EvSupply        *self,
                                            EvSupply        *from);
EvSupply        *ev_supply_copy            (EvSupply        *self);
gboolean         ev_supply_differs         (EvSupply        *a,
                                            EvSupply        *b,
                                            const char      *name);

G_END_DECLS

#pragma once

#include <glib-object.h>

#include "ev-cp-state.h"
#include "ev-supply.h"

G_BEGIN_DECLS

#define EV_TYPE_CHARGING_POINT (ev_charging_point_get_type ())

G_DECLARE_FINAL_TYPE (EvChargingPoint, ev_charging_point, EV, CHARGING_POINT, GObject)

EvChargingPoint *ev_charging_point_new          (const char      *cp_id);
EvChargingPoint *ev_charging_point_copy         (EvChargingPoint *self);

const char      *ev_charging_point_get_cp_id    (EvChargingPoint *self);

const char      *ev_charging_point_get_location (EvChargingPoint *self);
void             ev_charging_point_set_location (EvChargingPoint *self,
                                                 const char      *location);
double           ev_charging_point_get_price    (EvChargingPoint *self);
void             ev_charging_point_set_price    (EvChargingPoint *self,
                                                 double           price);
EvCpState        ev_charging_point_get_state    (EvChargingPoint *self);
void             ev_charging_point_set_state    (EvChargingPoint *self,
                                                 EvCpState        state);
EvSupply        *ev_charging_point_get_supply   (EvChargingPoint *self);
void             ev_charging_point_set_supply   (EvChargingPoint *self,
                                                 EvSupply        *supply);
const char      *ev_charging_point_get_driver_id (EvChargingPoint *self);
const char      *ev_charging_point_get_supply_id (EvChargingPoint *self);
double           ev_charging_point_get_kwh      (EvChargingPoint *self);
double           ev_charging_point_get_amount   (EvChargingPoint *self);

gboolean         ev_charging_point_get_pending  (EvChargingPoint *self);
void             ev_charging_point_set_pending  (EvChargingPoint *self,
                                                 gboolean         pending);

void             ev_charging_point_update       (EvChargingPoint *self,
                                                 EvChargingPoint *from);

G_END_DECLS

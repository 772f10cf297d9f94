#pragma once

#include <gio/gio.h>

#include "ev-cp-state.h"

G_BEGIN_DECLS

/**
 * EvCpStateModel:
 *
 * A #GListModel of the #EvChargingPoint items of another model that are
 * in one state, in the other model's order, kept up to date item by item.
 *
 * A filter list model does not watch item properties: a state filter
 * over 10,000 charging points would have to refilter them all after
 * every change, and a refilter that moves items near both ends of the
 * list reports one change spanning all of it, so a grid rebuilds every
 * visible card. Here a CP entering or leaving the state is one
 * items-changed of one item, at its place.
 *
 * Properties: "model" (#GListModel of #EvChargingPoint, nullable),
 * "state" (int: an #EvCpState, or -1 for every state: then the model
 * passes the other one's items and changes through, watching nothing).
 */
#define EV_TYPE_CP_STATE_MODEL (ev_cp_state_model_get_type ())

G_DECLARE_FINAL_TYPE (EvCpStateModel, ev_cp_state_model, EV, CP_STATE_MODEL, GObject)

EvCpStateModel *ev_cp_state_model_new       (GListModel     *model,
                                             int             state);
GListModel     *ev_cp_state_model_get_model (EvCpStateModel *self);
void            ev_cp_state_model_set_model (EvCpStateModel *self,
                                             GListModel     *model);
int             ev_cp_state_model_get_state (EvCpStateModel *self);
void            ev_cp_state_model_set_state (EvCpStateModel *self,
                                             int             state);

G_END_DECLS

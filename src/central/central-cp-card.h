#pragma once

#include <gtk/gtk.h>

#include "ev-charging-point.h"

G_BEGIN_DECLS

#define CENTRAL_TYPE_CP_CARD (central_cp_card_get_type ())

G_DECLARE_FINAL_TYPE (CentralCpCard, central_cp_card, CENTRAL, CP_CARD, GtkWidget)

GtkWidget       *central_cp_card_new      (void);

EvChargingPoint *central_cp_card_get_item (CentralCpCard   *self);
void             central_cp_card_set_item (CentralCpCard   *self,
                                           EvChargingPoint *item);

G_END_DECLS

#pragma once

#include <json-glib/json-glib.h>

#include "ev-supply.h"

G_BEGIN_DECLS

/* A ticket of the driver's history (a supply ended by a ticket or an
 * error) in the JSON form of history.json, which the headless `history`
 * event prints as well. */

JsonObject      *driver_history_ticket_to_json   (EvSupply *ticket);
EvSupply *driver_history_ticket_from_json (JsonObject      *object,
                                                  const char      *driver_id);

G_END_DECLS

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ev-messages.h"

G_BEGIN_DECLS

/* Small helpers shared by the station's two cores. */

GSocketAddress *station_parse_address       (const char         *host_and_port,
                                             GError            **error);
void            station_set_nullable_string (JsonObject         *object,
                                             const char         *member,
                                             const char         *value);
JsonObject     *station_supply_data_fields  (const EvSupplyData *data);
void            station_emit                (gpointer            instance,
                                             guint               signal_id,
                                             const char         *name,
                                             JsonObject         *fields);
void            station_emit_error          (gpointer            instance,
                                             guint               signal_id,
                                             const char         *message);

G_END_DECLS

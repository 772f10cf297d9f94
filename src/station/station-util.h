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
char           *station_token_load          (const char         *token_dir,
                                             const char         *cp_id);
gboolean        station_token_save          (const char         *token_dir,
                                             const char         *cp_id,
                                             const char         *token,
                                             GError            **error);

G_END_DECLS

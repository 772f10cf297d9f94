#pragma once

#include <json-glib/json-glib.h>

#include "driver-core.h"

G_BEGIN_DECLS

char       *driver_headless_run_command    (DriverCore  *core,
                                            const char  *line,
                                            gboolean    *out_quit);
int         driver_headless_run            (DriverCore  *core,
                                            const char  *file);

JsonObject *driver_headless_event_to_json  (DriverCore  *core,
                                            DriverEvent *event);
JsonObject *driver_headless_status_fields  (DriverCore  *core);
JsonObject *driver_headless_list_fields    (DriverCore  *core);
JsonObject *driver_headless_history_fields (DriverCore  *core);

G_END_DECLS

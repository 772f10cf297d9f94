#pragma once

#include "driver-fleet.h"

G_BEGIN_DECLS

char *driver_fleet_run_command (DriverFleet  *fleet,
                                const char   *line,
                                gboolean     *out_quit);
int   driver_fleet_main        (int           argc,
                                char        **argv);

G_END_DECLS

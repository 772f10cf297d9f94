#pragma once

#include "driver-fleet.h"

G_BEGIN_DECLS

int   driver_fleet_main        (int           argc,
                                char        **argv);

G_END_DECLS

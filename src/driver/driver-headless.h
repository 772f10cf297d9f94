#pragma once

#include "driver-core.h"

G_BEGIN_DECLS

char *driver_headless_run_command (DriverCore *core,
                                   const char *line,
                                   gboolean   *out_quit);
int   driver_headless_run         (DriverCore *core,
                                   const char *file);

G_END_DECLS

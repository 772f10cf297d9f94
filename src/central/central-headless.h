#pragma once

#include "central-core.h"

G_BEGIN_DECLS

/* Central's commands for the shared headless front end (ev-headless.h). */

int   central_headless_run         (CentralCore *core);
char *central_headless_run_command (CentralCore *core,
                                    const char  *line,
                                    gboolean    *out_quit);

G_END_DECLS

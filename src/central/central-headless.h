#pragma once

#include <json-glib/json-glib.h>

#include "central-core.h"
#include "central-service.h"

G_BEGIN_DECLS

/* Central's headless front end (ev-headless.h): the one place where
 * Central's events become the JSON lines of docs/cli.md. */

int         central_headless_run           (CentralService *service);
char       *central_headless_run_command   (CentralCore    *core,
                                            const char     *line,
                                            gboolean       *out_quit);
JsonObject *central_headless_event_to_json (CentralEvent   *event);
gulong      central_headless_print_events  (CentralService *service);

G_END_DECLS

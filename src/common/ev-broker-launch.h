#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long ev_broker_ensure() waits for a broker it started. */
#define EV_BROKER_LAUNCH_TIMEOUT_MS 15000

char *ev_broker_find_program (void);
char *ev_broker_ensure       (const char  *broker_program,
                              GError     **error);

G_END_DECLS

#pragma once

/* What central-monitor-server.c takes from central-monitor-server-listen.c. */

#include <gio/gio.h>

#include "central-monitor-server.h"

G_BEGIN_DECLS

GInetAddress *central_monitor_resolve_host  (const char    *host,
                                             GError       **error);
int           central_monitor_open_listener (GInetAddress  *inet,
                                             guint16        port,
                                             const char    *address,
                                             guint         *bound_port,
                                             GError       **error);
char         *central_monitor_format_peer   (int            fd,
                                             char         **address,
                                             gboolean      *loopback);

G_END_DECLS

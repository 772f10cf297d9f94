#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean ev_address_split (const char  *address,
                           char       **out_host,
                           guint16     *out_port,
                           GError     **error);

G_END_DECLS

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean ev_file_read_bounded (const char  *path,
                               gsize        max_size,
                               char       **contents,
                               gsize       *length,
                               GError     **error);

G_END_DECLS

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void      ev_instance_export_options (GApplication *application,
                                      GVariant     *options);
gboolean  ev_instance_find_running   (const char   *application_id,
                                      GVariant    **out_options);
gboolean  ev_instance_options_match  (GVariant     *given,
                                      GVariant     *running);

G_END_DECLS

#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char * const *ev_topics_get_all (void);

G_END_DECLS

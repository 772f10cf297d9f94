#pragma once

#include <glib.h>

G_BEGIN_DECLS

void ev_program_init                (const char *program);
int  ev_program_usage_error         (const char *program,
                                     const char *message);
int  ev_program_unexpected_argument (const char *program,
                                     const char *argument);

G_END_DECLS

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char *ev_json_to_string (JsonNode *node,
                         gsize    *length);
char *ev_json_object_to_string (JsonObject *object,
                                gsize      *length);
void  ev_json_object_set_nullable_string (JsonObject *object,
                                          const char *member,
                                          const char *value);
/* A finite figure, not negative, or 0 (ev-json.c). */
double ev_json_object_get_figure (JsonObject *object,
                                  const char *member);
/* A whole number from @min to @max, or @fallback (ev-json.c). */
gint64 ev_json_object_get_int_in_range (JsonObject *object,
                                        const char *member,
                                        gint64      min,
                                        gint64      max,
                                        gint64      fallback);

G_END_DECLS

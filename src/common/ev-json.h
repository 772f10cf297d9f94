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

G_END_DECLS

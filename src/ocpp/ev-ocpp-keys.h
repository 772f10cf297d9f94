#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* OCPP 1.6 security profile 2 (docs/ocpp.md): a charger's password for
 * HTTP Basic auth, its AuthorizationKey, has 16 to 40 bytes. */
#define EV_OCPP_KEY_MIN 16
#define EV_OCPP_KEY_MAX 40

gboolean    ev_ocpp_validate_key      (const char  *key,
                                       GError     **error);
GHashTable *ev_ocpp_keys_parse        (const char  *text,
                                       const char  *where,
                                       GError     **error);
GHashTable *ev_ocpp_keys_load         (const char  *path,
                                       GError     **error);
char       *ev_ocpp_basic_auth_encode (const char  *user,
                                       const char  *password);
gboolean    ev_ocpp_basic_auth_decode (const char  *header,
                                       char       **user,
                                       char       **password);

G_END_DECLS

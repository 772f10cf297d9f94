#pragma once

#include <libsoup/soup.h>

#include "central-core.h"

G_BEGIN_DECLS

/* OCPP security at Central's endpoint (docs/ocpp.md, "Security profile
 * 2"): which addresses it may listen on, the chargers' keys, and the
 * check of a handshake's Basic credentials. */
typedef struct _CentralOcppKeys CentralOcppKeys;

/* RFC 6585's status, which libsoup 3.2 does not name. */
#define CENTRAL_OCPP_STATUS_TOO_MANY_REQUESTS 429

CentralOcppKeys *central_ocpp_keys_load      (const char       *path,
                                              GError          **error);
void             central_ocpp_keys_free      (CentralOcppKeys  *keys);
gboolean         central_ocpp_keys_check     (CentralOcppKeys  *keys,
                                              const char       *cp_id,
                                              const char       *password);
guint            central_ocpp_keys_count     (CentralOcppKeys  *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CentralOcppKeys, central_ocpp_keys_free)

gboolean         central_ocpp_check_listen   (const char       *listen,
                                              gboolean          secured,
                                              GError          **error);
char            *central_ocpp_path_cp_id     (const char       *path);
guint            central_ocpp_authorize      (CentralCore      *core,
                                              CentralOcppKeys  *keys,
                                              const char       *cp_id,
                                              const char       *peer,
                                              const char       *authorization);

G_END_DECLS

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Small helpers shared by the station's two cores. */

GSocketAddress *station_parse_address       (const char         *host_and_port,
                                             GError            **error);
char           *station_token_load          (const char         *token_dir,
                                             const char         *cp_id);
gboolean        station_token_save          (const char         *token_dir,
                                             const char         *cp_id,
                                             const char         *token,
                                             GError            **error);

char           *station_nonce_ensure        (const char         *token_dir,
                                             const char         *cp_id);
void            station_nonce_forget        (const char         *token_dir,
                                             const char         *cp_id);

char           *station_pairing_default_path (void);
char           *station_pairing_secret_ensure (const char        *path,
                                              GError           **error);

G_END_DECLS

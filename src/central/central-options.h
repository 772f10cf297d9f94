#pragma once

#include <gio/gio.h>

#include "central-core.h"

G_BEGIN_DECLS

/* Central's configuration as given: by the command line (main.c), or by
 * the preferences (CentralSettings); each NULL = not given. */
typedef struct {
  char     *listen;
  char     *ocpp_listen;    /* --ocpp-listen: the OCPP 1.6-J endpoint */
  int       ocpp_heartbeat; /* --ocpp-heartbeat in s, 0: not given */
  char     *ocpp_keys;      /* --ocpp-keys: its chargers' keys (Basic auth) */
  char     *bootstrap;
  char    **kafka_overrides;
  char     *db_path;
  char     *signing_key;    /* Central's private key file */
  double    price;          /* < 0: not given */
  double    price_max;      /* > price: new CPs draw a price in between; else < 0 */
  gboolean  events;         /* also print the headless events on stdout */
  int       ui_stats_ms;    /* > 0: and `ui-stats` events this often */
  char     *page;           /* the page to open on, or NULL */
  char     *tls_cert;       /* TLS on the monitor port (PEM), or NULL */
  char     *tls_key;
  char     *tls_client_ca;
  gboolean  auto_approve;   /* --auto-approve: new CPs need no approval */
  gboolean  insecure_bus;   /* --insecure-bus: nothing signed nor checked on Kafka */
} CentralOptions;

void         central_options_init        (CentralOptions        *options);
void         central_options_steal       (CentralOptions        *dest,
                                          CentralOptions        *src);
void         central_options_clear       (CentralOptions        *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CentralOptions, central_options_clear)

GVariant    *central_options_to_variant  (const CentralOptions  *options,
                                          gboolean               serving,
                                          gboolean               window);
CentralCore *central_options_create_core (const CentralOptions  *options,
                                          const CentralOptions  *preferences,
                                          GError               **error);

G_END_DECLS

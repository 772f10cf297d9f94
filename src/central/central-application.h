#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* What main.c parsed from the command line; each NULL = not given. */
typedef struct {
  char     *listen;
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

void central_options_clear (CentralOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CentralOptions, central_options_clear)

#define CENTRAL_TYPE_APPLICATION (central_application_get_type ())

G_DECLARE_FINAL_TYPE (CentralApplication, central_application, CENTRAL, APPLICATION, AdwApplication)

CentralApplication *central_application_new (const CentralOptions *options);

G_END_DECLS

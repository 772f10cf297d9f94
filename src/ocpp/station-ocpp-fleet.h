#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * StationOcppFleetConfig:
 * @url: the CSMS's base URL, `ws://HOST:PORT/PATH`; each charger
 *   connects to `URL/<CP_ID>`.
 * @count: how many chargers.
 * @prefix: the CP ids' prefix.
 * @power_kw: the simulated charging power.
 * @meter_interval: seconds between two MeterValues of a transaction.
 * @stop_after: seconds after which a charger ends its transaction by
 *   itself (0: only on RemoteStopTransaction).
 * @password: (nullable): every charger's key for HTTP Basic auth (OCPP
 *   security profile 2), or %NULL.
 * @keys_file: (nullable): a file of `CP_ID KEY` lines, each charger's key
 *   (it wins over @password), or %NULL.
 * @tls_ca: (nullable): for `wss://`, a PEM file of the CAs the CSMS's
 *   certificate must be signed by, instead of the system's.
 *
 * What a fleet of simulated OCPP 1.6-J chargers does.
 */
typedef struct {
  const char *url;
  guint       count;
  const char *prefix;
  double      power_kw;
  guint       meter_interval;
  guint       stop_after;
  const char *password;
  const char *keys_file;
  const char *tls_ca;
} StationOcppFleetConfig;

#define STATION_TYPE_OCPP_FLEET (station_ocpp_fleet_get_type ())

G_DECLARE_FINAL_TYPE (StationOcppFleet, station_ocpp_fleet, STATION, OCPP_FLEET, GObject)

void              station_ocpp_fleet_config_init (StationOcppFleetConfig       *config);
StationOcppFleet *station_ocpp_fleet_new         (const StationOcppFleetConfig *config,
                                                  GError                      **error);
void              station_ocpp_fleet_start       (StationOcppFleet             *self);
void              station_ocpp_fleet_shutdown    (StationOcppFleet             *self);
JsonObject       *station_ocpp_fleet_stats       (StationOcppFleet             *self);
void              station_ocpp_fleet_reset       (StationOcppFleet             *self);

int               station_ocpp_fleet_main        (int                           argc,
                                                  char                        **argv);

G_END_DECLS

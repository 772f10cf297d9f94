#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ev-tls.h"
#include "ev-signing.h"

G_BEGIN_DECLS

#define STATION_FLEET_DEFAULT_PREFIX "ALC"
#define STATION_FLEET_DEFAULT_CENTRAL "127.0.0.1:7001"
#define STATION_FLEET_DEFAULT_AUTO_PLUG_MS 1000
#define STATION_FLEET_DEFAULT_AUTO_UNPLUG_MS 10000
#define STATION_FLEET_DEFAULT_STATS_INTERVAL_MS 1000
/* How many ended supplies each simulated engine remembers (a single engine
 * keeps 256; a fleet keeps fewer to stay small per CP). */
#define STATION_FLEET_FINISHED_REMEMBERED 32

/**
 * StationFleetConfig:
 * @count: how many charging points (≥ 1)
 * @prefix: their ids are @prefix followed by a zero-padded number
 * @central: Central's monitor address, ADDR:PORT
 * @bootstrap: Kafka bootstrap servers
 * @kafka_overrides: (nullable): librdkafka properties, key=value
 * @token_dir: where the monitors keep their tokens
 * @fault_rate: mean engine faults (KO) per CP per hour; 0 for none
 * @power_kw: charging power
 * @auto_plug_ms: plug in this long after authorisation; < 0 never
 * @auto_unplug_ms: unplug after supplying this long; < 0 never
 * @auto_unplug_kwh: unplug at this energy; <= 0 never
 * @stats_interval_ms: how often a `stats` event is printed; 0 never
 * @seconds: stop after this long; 0 runs until told to quit
 * @status_interval_ms: each monitor's status period (1000)
 * @reconnect_min_ms: the first reconnection delay (500)
 * @reconnect_max_ms: the longest one, also after a refusal (5000)
 * @tls: (nullable): speak TLS to Central, checking it so; %NULL for plain
 *   TCP
 *
 * What a fleet simulates. The strings are copied.
 */
typedef struct
{
  guint count;
  const char *prefix;
  const char *central;
  const char *bootstrap;
  const char * const *kafka_overrides;
  const char *token_dir;
  double fault_rate;
  double power_kw;
  gint64 auto_plug_ms;
  gint64 auto_unplug_ms;
  double auto_unplug_kwh;
  guint stats_interval_ms;
  double seconds;
  guint status_interval_ms;
  guint reconnect_min_ms;
  guint reconnect_max_ms;
  EvTlsClient *tls;
} StationFleetConfig;

void station_fleet_config_init (StationFleetConfig *config);

#define STATION_TYPE_FLEET (station_fleet_get_type ())

G_DECLARE_FINAL_TYPE (StationFleet, station_fleet, STATION, FLEET, GObject)

StationFleet *station_fleet_new          (const StationFleetConfig *config);
void          station_fleet_set_central_key (StationFleet          *self,
                                            EvVerifyKey           *key);
gboolean      station_fleet_start        (StationFleet             *self,
                                          GError                  **error);
void          station_fleet_shutdown     (StationFleet             *self);
JsonObject   *station_fleet_stats        (StationFleet             *self);
void          station_fleet_reset        (StationFleet             *self);
gboolean      station_fleet_kill_engine  (StationFleet             *self,
                                          const char               *cp_id,
                                          GError                  **error);
gboolean      station_fleet_kill_monitor (StationFleet             *self,
                                          const char               *cp_id,
                                          GError                  **error);
gboolean      station_fleet_revive       (StationFleet             *self,
                                          const char               *cp_id,
                                          GError                  **error);
int           station_fleet_run_headless (StationFleet             *self);

G_END_DECLS

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ev-signing.h"

G_BEGIN_DECLS

/* Limits of `ev-driver fleet`, checked by its options and commands. */
#define DRIVER_FLEET_MAX_COUNT 1000000
#define DRIVER_FLEET_MAX_RATE 100000.0
#define DRIVER_FLEET_DEFAULT_PREFIX "FLT"
#define DRIVER_FLEET_DEFAULT_ANSWER_TIMEOUT_MS 10000
#define DRIVER_FLEET_DEFAULT_STATS_INTERVAL_MS 1000

#define DRIVER_TYPE_FLEET (driver_fleet_get_type ())

G_DECLARE_FINAL_TYPE (DriverFleet, driver_fleet, DRIVER, FLEET, GObject)

gboolean     driver_fleet_check_prefix  (const char   *prefix,
                                         guint         count,
                                         GError      **error);
char        *driver_fleet_make_id       (const char   *prefix,
                                         guint         count,
                                         guint         n);

DriverFleet *driver_fleet_new           (const char   *bootstrap,
                                         char        **kafka_overrides,
                                         guint         count,
                                         const char   *prefix);

void         driver_fleet_set_central_key (DriverFleet *self,
                                           EvVerifyKey *key);
gboolean     driver_fleet_start         (DriverFleet  *self,
                                         GError      **error);
void         driver_fleet_shutdown      (DriverFleet  *self);

guint        driver_fleet_get_count     (DriverFleet  *self);
const char  *driver_fleet_get_prefix    (DriverFleet  *self);
double       driver_fleet_get_rate      (DriverFleet  *self);
void         driver_fleet_set_rate      (DriverFleet  *self,
                                         double        rate);
guint        driver_fleet_get_answer_timeout (DriverFleet *self);
void         driver_fleet_set_answer_timeout (DriverFleet *self,
                                              guint        timeout_ms);
guint        driver_fleet_get_stats_interval (DriverFleet *self);
void         driver_fleet_set_stats_interval (DriverFleet *self,
                                              guint        interval_ms);

JsonObject  *driver_fleet_stats_fields  (DriverFleet  *self);
void         driver_fleet_reset         (DriverFleet  *self);

G_END_DECLS

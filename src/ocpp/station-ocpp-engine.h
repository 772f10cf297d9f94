#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ev-headless.h"

G_BEGIN_DECLS

#define STATION_TYPE_OCPP_ENGINE (station_ocpp_engine_get_type ())

G_DECLARE_FINAL_TYPE (StationOcppEngine, station_ocpp_engine, STATION, OCPP_ENGINE, GObject)

StationOcppEngine *station_ocpp_engine_new         (const char         *url,
                                                    double              power_kw,
                                                    guint               meter_interval,
                                                    GError            **error);
gboolean           station_ocpp_engine_start       (StationOcppEngine  *self,
                                                    GError            **error);
void               station_ocpp_engine_shutdown    (StationOcppEngine  *self);

const char        *station_ocpp_engine_get_url     (StationOcppEngine  *self);
const char        *station_ocpp_engine_get_cp_id   (StationOcppEngine  *self);
const char        *station_ocpp_engine_get_link    (StationOcppEngine  *self);
const char        *station_ocpp_engine_get_boot    (StationOcppEngine  *self);
const char        *station_ocpp_engine_get_status  (StationOcppEngine  *self);
gboolean           station_ocpp_engine_get_plugged (StationOcppEngine  *self);
gboolean           station_ocpp_engine_get_faulted (StationOcppEngine  *self);
gboolean           station_ocpp_engine_get_in_transaction (StationOcppEngine *self);
const char        *station_ocpp_engine_get_id_tag  (StationOcppEngine  *self);
int                station_ocpp_engine_get_transaction_id (StationOcppEngine *self);
double             station_ocpp_engine_get_kwh     (StationOcppEngine  *self);

gboolean           station_ocpp_engine_plug        (StationOcppEngine  *self,
                                                    GError            **error);
gboolean           station_ocpp_engine_unplug      (StationOcppEngine  *self,
                                                    GError            **error);
void               station_ocpp_engine_set_faulted (StationOcppEngine  *self,
                                                    gboolean            faulted);

int                station_ocpp_engine_run_headless (StationOcppEngine *self);

G_END_DECLS

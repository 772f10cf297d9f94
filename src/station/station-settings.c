/* station-settings.c: the launcher's fields as GObject properties, each
 * bound to its GSettings key (kgx's settings object;
 * EvSettings does the storing and binding). The launcher binds
 * its entries to the properties and never sees GSettings. */

#include "config.h"

#include "station-settings.h"

enum {
  PROP_0,
  PROP_CP_ID,
  PROP_LOCATION,
  PROP_ENGINE_ADDRESS,
  PROP_CENTRAL_ADDRESS,
  PROP_TLS_CA,
  PROP_TLS_FINGERPRINT,
  N_PROPS
};

struct _StationSettings
{
  EvSettings parent_instance;
};

G_DEFINE_FINAL_TYPE (StationSettings, station_settings, EV_TYPE_SETTINGS)

static GParamSpec *properties[N_PROPS];

static void
station_settings_class_init (StationSettingsClass *klass)
{
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* The schema's defaults (data/…Station.gschema.xml). */
  properties[PROP_CP_ID] =
    g_param_spec_string ("cp-id", NULL, NULL, "CP-001", flags);
  properties[PROP_LOCATION] =
    g_param_spec_string ("location", NULL, NULL, "", flags);
  properties[PROP_ENGINE_ADDRESS] =
    g_param_spec_string ("engine-address", NULL, NULL, "auto", flags);
  properties[PROP_CENTRAL_ADDRESS] =
    g_param_spec_string ("central-address", NULL, NULL, "127.0.0.1:7001", flags);
  properties[PROP_TLS_CA] =
    g_param_spec_string ("tls-ca", NULL, NULL, "", flags);
  properties[PROP_TLS_FINGERPRINT] =
    g_param_spec_string ("tls-fingerprint", NULL, NULL, "", flags);

  ev_settings_class_install_properties (EV_SETTINGS_CLASS (klass),
                                        "io.github.evcharging.EVCharging.Station",
                                        properties, N_PROPS);
}

static void
station_settings_init (StationSettings *self)
{
}

StationSettings *
station_settings_new (void)
{
  return g_object_new (STATION_TYPE_SETTINGS, NULL);
}

const char *
station_settings_get_cp_id (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_CP_ID]);
}

const char *
station_settings_get_location (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_LOCATION]);
}

const char *
station_settings_get_engine_address (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_ENGINE_ADDRESS]);
}

const char *
station_settings_get_central_address (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_CENTRAL_ADDRESS]);
}

/* station-settings.c: the launcher's fields as GObject properties, each
 * bound to its GSettings key (kgx's settings object). The launcher binds
 * its entries to the properties and never sees GSettings. */

#include "config.h"

#include "ev-ui.h"
#include "station-settings.h"

#define SCHEMA_ID "io.github.evcharging.EVCharging.Station"

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
  GObject    parent_instance;

  GSettings *settings;
  char      *values[N_PROPS - PROP_CP_ID];
};

G_DEFINE_FINAL_TYPE (StationSettings, station_settings, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* Also the schema's defaults (data/…Station.gschema.xml). */
static const char * const defaults[N_PROPS] = {
  [PROP_CP_ID] = "CP-001",
  [PROP_LOCATION] = "",
  [PROP_ENGINE_ADDRESS] = "auto",
  [PROP_CENTRAL_ADDRESS] = "127.0.0.1:7001",
  [PROP_TLS_CA] = "",
  [PROP_TLS_FINGERPRINT] = "",
};

static const char *
get_value (StationSettings *self,
           guint            prop)
{
  return self->values[prop - PROP_CP_ID];
}

static void
set_value (StationSettings *self,
           guint            prop,
           const char      *value)
{
  ev_ui_set_string_property (self, &self->values[prop - PROP_CP_ID], value, properties[prop]);
}

static void
station_settings_constructed (GObject *object)
{
  StationSettings *self = STATION_SETTINGS (object);

  G_OBJECT_CLASS (station_settings_parent_class)->constructed (object);

  self->settings = ev_ui_settings_bind (self, SCHEMA_ID, properties, N_PROPS);
}

static void
station_settings_dispose (GObject *object)
{
  StationSettings *self = STATION_SETTINGS (object);

  ev_ui_settings_unbind (self, &self->settings, properties, N_PROPS);

  G_OBJECT_CLASS (station_settings_parent_class)->dispose (object);
}

static void
station_settings_finalize (GObject *object)
{
  StationSettings *self = STATION_SETTINGS (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->values); i++)
    g_clear_pointer (&self->values[i], g_free);

  G_OBJECT_CLASS (station_settings_parent_class)->finalize (object);
}

static void
station_settings_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  StationSettings *self = STATION_SETTINGS (object);

  if (prop_id >= PROP_CP_ID && prop_id < N_PROPS)
    g_value_set_string (value, get_value (self, prop_id));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
station_settings_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  StationSettings *self = STATION_SETTINGS (object);

  if (prop_id >= PROP_CP_ID && prop_id < N_PROPS)
    set_value (self, prop_id, g_value_get_string (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
station_settings_class_init (StationSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = station_settings_constructed;
  object_class->dispose = station_settings_dispose;
  object_class->finalize = station_settings_finalize;
  object_class->get_property = station_settings_get_property;
  object_class->set_property = station_settings_set_property;

  properties[PROP_CP_ID] =
    g_param_spec_string ("cp-id", NULL, NULL, defaults[PROP_CP_ID], flags);
  properties[PROP_LOCATION] =
    g_param_spec_string ("location", NULL, NULL, defaults[PROP_LOCATION], flags);
  properties[PROP_ENGINE_ADDRESS] =
    g_param_spec_string ("engine-address", NULL, NULL, defaults[PROP_ENGINE_ADDRESS], flags);
  properties[PROP_CENTRAL_ADDRESS] =
    g_param_spec_string ("central-address", NULL, NULL, defaults[PROP_CENTRAL_ADDRESS], flags);
  properties[PROP_TLS_CA] =
    g_param_spec_string ("tls-ca", NULL, NULL, defaults[PROP_TLS_CA], flags);
  properties[PROP_TLS_FINGERPRINT] =
    g_param_spec_string ("tls-fingerprint", NULL, NULL, defaults[PROP_TLS_FINGERPRINT], flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
station_settings_init (StationSettings *self)
{
  for (guint i = PROP_CP_ID; i < N_PROPS; i++)
    self->values[i - PROP_CP_ID] = g_strdup (defaults[i]);
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
  return get_value (self, PROP_CP_ID);
}

const char *
station_settings_get_location (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return get_value (self, PROP_LOCATION);
}

const char *
station_settings_get_engine_address (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return get_value (self, PROP_ENGINE_ADDRESS);
}

const char *
station_settings_get_central_address (StationSettings *self)
{
  g_return_val_if_fail (STATION_IS_SETTINGS (self), NULL);
  return get_value (self, PROP_CENTRAL_ADDRESS);
}

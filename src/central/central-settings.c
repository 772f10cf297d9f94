/* central-settings.c: Central's preferences as GObject properties, each
 * bound to its GSettings key, in the manner of kgx's settings object
 * (EvSettings does the storing and binding).
 * Widgets bind to the properties and never see GSettings. */

#include "config.h"

#include "central-settings.h"

struct _CentralSettings
{
  EvSettings parent_instance;
};

G_DEFINE_FINAL_TYPE (CentralSettings, central_settings, EV_TYPE_SETTINGS)

enum {
  PROP_0,
  PROP_LISTEN_ADDRESS,
  PROP_KAFKA_BOOTSTRAP,
  PROP_DATABASE_PATH,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_WINDOW_WIDTH,
  PROP_WINDOW_HEIGHT,
  PROP_WINDOW_MAXIMIZED,
  PROP_AUTO_APPROVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
central_settings_class_init (CentralSettingsClass *klass)
{
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* The schema's defaults (data/…Central.gschema.xml). */
  properties[PROP_LISTEN_ADDRESS] =
    g_param_spec_string ("listen-address", NULL, NULL, "0.0.0.0:7001", flags);
  properties[PROP_KAFKA_BOOTSTRAP] =
    g_param_spec_string ("kafka-bootstrap", NULL, NULL, "", flags);
  properties[PROP_DATABASE_PATH] =
    g_param_spec_string ("database-path", NULL, NULL, "", flags);
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_string ("tls-certificate", NULL, NULL, "", flags);
  properties[PROP_TLS_KEY] =
    g_param_spec_string ("tls-key", NULL, NULL, "", flags);
  properties[PROP_WINDOW_WIDTH] =
    g_param_spec_int ("window-width", NULL, NULL, 0, G_MAXINT, 1100, flags);
  properties[PROP_WINDOW_HEIGHT] =
    g_param_spec_int ("window-height", NULL, NULL, 0, G_MAXINT, 720, flags);
  properties[PROP_WINDOW_MAXIMIZED] =
    g_param_spec_boolean ("window-maximized", NULL, NULL, FALSE, flags);
  properties[PROP_AUTO_APPROVE] =
    g_param_spec_boolean ("auto-approve", NULL, NULL, FALSE, flags);

  ev_settings_class_install_properties (EV_SETTINGS_CLASS (klass),
                                        "io.github.evcharging.EVCharging.Central",
                                        properties, N_PROPS);
}

static void
central_settings_init (CentralSettings *self)
{
}

CentralSettings *
central_settings_new (void)
{
  return g_object_new (CENTRAL_TYPE_SETTINGS, NULL);
}

const char *
central_settings_get_listen_address (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_LISTEN_ADDRESS]);
}

void
central_settings_set_listen_address (CentralSettings *self,
                                     const char      *listen_address)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_settings_set_string (EV_SETTINGS (self), properties[PROP_LISTEN_ADDRESS], listen_address);
}

const char *
central_settings_get_kafka_bootstrap (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_KAFKA_BOOTSTRAP]);
}

void
central_settings_set_kafka_bootstrap (CentralSettings *self,
                                      const char      *kafka_bootstrap)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_settings_set_string (EV_SETTINGS (self), properties[PROP_KAFKA_BOOTSTRAP], kafka_bootstrap);
}

const char *
central_settings_get_database_path (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_DATABASE_PATH]);
}

void
central_settings_set_database_path (CentralSettings *self,
                                    const char      *database_path)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_settings_set_string (EV_SETTINGS (self), properties[PROP_DATABASE_PATH], database_path);
}

const char *
central_settings_get_tls_certificate (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_TLS_CERTIFICATE]);
}

const char *
central_settings_get_tls_key (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_TLS_KEY]);
}

gboolean
central_settings_get_auto_approve (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), FALSE);
  return ev_settings_get_boolean (EV_SETTINGS (self), properties[PROP_AUTO_APPROVE]);
}

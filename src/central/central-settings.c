/* central-settings.c: Central's preferences as GObject properties, each
 * bound to its GSettings key, in the manner of kgx's settings object.
 * Widgets bind to the properties and never see GSettings. */

#include "config.h"

#include "central-settings.h"
#include "ev-ui.h"

#define SCHEMA_ID "io.github.evcharging.EVCharging.Central"

struct _CentralSettings
{
  GObject    parent_instance;

  GSettings *settings;

  char      *listen_address;
  char      *kafka_bootstrap;
  char      *database_path;
  char      *tls_certificate;
  char      *tls_key;
  int        window_width;
  int        window_height;
  gboolean   window_maximized;
  gboolean   auto_approve;
};

G_DEFINE_FINAL_TYPE (CentralSettings, central_settings, G_TYPE_OBJECT)

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
central_settings_constructed (GObject *object)
{
  CentralSettings *self = CENTRAL_SETTINGS (object);

  G_OBJECT_CLASS (central_settings_parent_class)->constructed (object);

  self->settings = ev_ui_settings_bind (self, SCHEMA_ID, properties, N_PROPS);
}

static void
central_settings_dispose (GObject *object)
{
  CentralSettings *self = CENTRAL_SETTINGS (object);

  ev_ui_settings_unbind (self, &self->settings, properties, N_PROPS);

  G_OBJECT_CLASS (central_settings_parent_class)->dispose (object);
}

static void
central_settings_finalize (GObject *object)
{
  CentralSettings *self = CENTRAL_SETTINGS (object);

  g_clear_pointer (&self->listen_address, g_free);
  g_clear_pointer (&self->kafka_bootstrap, g_free);
  g_clear_pointer (&self->database_path, g_free);
  g_clear_pointer (&self->tls_certificate, g_free);
  g_clear_pointer (&self->tls_key, g_free);

  G_OBJECT_CLASS (central_settings_parent_class)->finalize (object);
}

static void
central_settings_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CentralSettings *self = CENTRAL_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_LISTEN_ADDRESS:
      g_value_set_string (value, self->listen_address);
      break;
    case PROP_KAFKA_BOOTSTRAP:
      g_value_set_string (value, self->kafka_bootstrap);
      break;
    case PROP_DATABASE_PATH:
      g_value_set_string (value, self->database_path);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, self->tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
      break;
    case PROP_WINDOW_WIDTH:
      g_value_set_int (value, self->window_width);
      break;
    case PROP_WINDOW_HEIGHT:
      g_value_set_int (value, self->window_height);
      break;
    case PROP_WINDOW_MAXIMIZED:
      g_value_set_boolean (value, self->window_maximized);
      break;
    case PROP_AUTO_APPROVE:
      g_value_set_boolean (value, self->auto_approve);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_settings_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CentralSettings *self = CENTRAL_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_LISTEN_ADDRESS:
      ev_ui_set_string_property (self, &self->listen_address, g_value_get_string (value), pspec);
      break;
    case PROP_KAFKA_BOOTSTRAP:
      ev_ui_set_string_property (self, &self->kafka_bootstrap, g_value_get_string (value), pspec);
      break;
    case PROP_DATABASE_PATH:
      ev_ui_set_string_property (self, &self->database_path, g_value_get_string (value), pspec);
      break;
    case PROP_TLS_CERTIFICATE:
      ev_ui_set_string_property (self, &self->tls_certificate, g_value_get_string (value), pspec);
      break;
    case PROP_TLS_KEY:
      ev_ui_set_string_property (self, &self->tls_key, g_value_get_string (value), pspec);
      break;
    case PROP_WINDOW_WIDTH:
      ev_ui_set_int_property (self, &self->window_width, g_value_get_int (value), pspec);
      break;
    case PROP_WINDOW_HEIGHT:
      ev_ui_set_int_property (self, &self->window_height, g_value_get_int (value), pspec);
      break;
    case PROP_WINDOW_MAXIMIZED:
      if (self->window_maximized != g_value_get_boolean (value))
        {
          self->window_maximized = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_AUTO_APPROVE:
      if (self->auto_approve != g_value_get_boolean (value))
        {
          self->auto_approve = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_settings_class_init (CentralSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = central_settings_constructed;
  object_class->dispose = central_settings_dispose;
  object_class->finalize = central_settings_finalize;
  object_class->get_property = central_settings_get_property;
  object_class->set_property = central_settings_set_property;

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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
central_settings_init (CentralSettings *self)
{
  self->listen_address = g_strdup ("0.0.0.0:7001");
  self->kafka_bootstrap = g_strdup ("");
  self->database_path = g_strdup ("");
  self->tls_certificate = g_strdup ("");
  self->tls_key = g_strdup ("");
  self->window_width = 1100;
  self->window_height = 720;
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
  return self->listen_address;
}

void
central_settings_set_listen_address (CentralSettings *self,
                                     const char      *listen_address)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_ui_set_string_property (self, &self->listen_address, listen_address, properties[PROP_LISTEN_ADDRESS]);
}

const char *
central_settings_get_kafka_bootstrap (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return self->kafka_bootstrap;
}

void
central_settings_set_kafka_bootstrap (CentralSettings *self,
                                      const char      *kafka_bootstrap)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_ui_set_string_property (self, &self->kafka_bootstrap, kafka_bootstrap, properties[PROP_KAFKA_BOOTSTRAP]);
}

const char *
central_settings_get_database_path (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);
  return self->database_path;
}

void
central_settings_set_database_path (CentralSettings *self,
                                    const char      *database_path)
{
  g_return_if_fail (CENTRAL_IS_SETTINGS (self));
  ev_ui_set_string_property (self, &self->database_path, database_path, properties[PROP_DATABASE_PATH]);
}

const char *
central_settings_get_tls_certificate (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);

  return self->tls_certificate;
}

const char *
central_settings_get_tls_key (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), NULL);

  return self->tls_key;
}

gboolean
central_settings_get_auto_approve (CentralSettings *self)
{
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (self), FALSE);
  return self->auto_approve;
}

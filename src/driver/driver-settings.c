/* driver-settings.c: the window's remembered state as GObject properties,
 * each bound to its GSettings key (kgx's settings object). The application
 * reads and writes the properties and never sees GSettings. */

#include "config.h"

#include "driver-settings.h"
#include "ev-ui.h"

#define SCHEMA_ID "io.github.evcharging.EVCharging.Driver"

struct _DriverSettings
{
  GObject    parent_instance;

  GSettings *settings;
  int        window_width;
  int        window_height;
  gboolean   window_maximized;
  char      *last_folder;
  char      *driver_id;
};

G_DEFINE_FINAL_TYPE (DriverSettings, driver_settings, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WINDOW_WIDTH,
  PROP_WINDOW_HEIGHT,
  PROP_WINDOW_MAXIMIZED,
  PROP_LAST_FOLDER,
  PROP_DRIVER_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
driver_settings_constructed (GObject *object)
{
  DriverSettings *self = DRIVER_SETTINGS (object);

  G_OBJECT_CLASS (driver_settings_parent_class)->constructed (object);

  self->settings = ev_ui_settings_bind (self, SCHEMA_ID, properties, N_PROPS);
}

static void
driver_settings_dispose (GObject *object)
{
  DriverSettings *self = DRIVER_SETTINGS (object);

  ev_ui_settings_unbind (self, &self->settings, properties, N_PROPS);

  G_OBJECT_CLASS (driver_settings_parent_class)->dispose (object);
}

static void
driver_settings_finalize (GObject *object)
{
  DriverSettings *self = DRIVER_SETTINGS (object);

  g_clear_pointer (&self->last_folder, g_free);
  g_clear_pointer (&self->driver_id, g_free);

  G_OBJECT_CLASS (driver_settings_parent_class)->finalize (object);
}

static void
driver_settings_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DriverSettings *self = DRIVER_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_WINDOW_WIDTH:
      g_value_set_int (value, self->window_width);
      break;
    case PROP_WINDOW_HEIGHT:
      g_value_set_int (value, self->window_height);
      break;
    case PROP_WINDOW_MAXIMIZED:
      g_value_set_boolean (value, self->window_maximized);
      break;
    case PROP_LAST_FOLDER:
      g_value_set_string (value, self->last_folder);
      break;
    case PROP_DRIVER_ID:
      g_value_set_string (value, self->driver_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_settings_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DriverSettings *self = DRIVER_SETTINGS (object);

  switch (prop_id)
    {
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
    case PROP_LAST_FOLDER:
      driver_settings_set_last_folder (self, g_value_get_string (value));
      break;
    case PROP_DRIVER_ID:
      driver_settings_set_driver_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_settings_class_init (DriverSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = driver_settings_constructed;
  object_class->dispose = driver_settings_dispose;
  object_class->finalize = driver_settings_finalize;
  object_class->get_property = driver_settings_get_property;
  object_class->set_property = driver_settings_set_property;

  /* The schema's defaults (data/…Driver.gschema.xml). */
  properties[PROP_WINDOW_WIDTH] =
    g_param_spec_int ("window-width", NULL, NULL, 0, G_MAXINT, 1000, flags);
  properties[PROP_WINDOW_HEIGHT] =
    g_param_spec_int ("window-height", NULL, NULL, 0, G_MAXINT, 720, flags);
  properties[PROP_WINDOW_MAXIMIZED] =
    g_param_spec_boolean ("window-maximized", NULL, NULL, FALSE, flags);
  properties[PROP_LAST_FOLDER] =
    g_param_spec_string ("last-folder", NULL, NULL, "", flags);
  properties[PROP_DRIVER_ID] =
    g_param_spec_string ("driver-id", NULL, NULL, "", flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
driver_settings_init (DriverSettings *self)
{
  self->window_width = 1000;
  self->window_height = 720;
  self->last_folder = g_strdup ("");
  self->driver_id = g_strdup ("");
}

DriverSettings *
driver_settings_new (void)
{
  return g_object_new (DRIVER_TYPE_SETTINGS, NULL);
}

const char *
driver_settings_get_last_folder (DriverSettings *self)
{
  g_return_val_if_fail (DRIVER_IS_SETTINGS (self), NULL);
  return self->last_folder;
}

void
driver_settings_set_last_folder (DriverSettings *self,
                                 const char     *last_folder)
{
  g_return_if_fail (DRIVER_IS_SETTINGS (self));

  ev_ui_set_string_property (self, &self->last_folder, last_folder, properties[PROP_LAST_FOLDER]);
}

const char *
driver_settings_get_driver_id (DriverSettings *self)
{
  g_return_val_if_fail (DRIVER_IS_SETTINGS (self), NULL);
  return self->driver_id;
}

void
driver_settings_set_driver_id (DriverSettings *self,
                               const char     *driver_id)
{
  g_return_if_fail (DRIVER_IS_SETTINGS (self));

  ev_ui_set_string_property (self, &self->driver_id, driver_id, properties[PROP_DRIVER_ID]);
}

/* driver-settings.c: the window's remembered state as GObject properties,
 * each bound to its GSettings key (EvSettings does the storing and
 * binding). The application reads and writes the properties and never
 * sees GSettings. */

#include "config.h"

#include "driver-settings.h"

struct _DriverSettings
{
  EvSettings parent_instance;
};

G_DEFINE_FINAL_TYPE (DriverSettings, driver_settings, EV_TYPE_SETTINGS)

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
driver_settings_class_init (DriverSettingsClass *klass)
{
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

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

  ev_settings_class_install_properties (EV_SETTINGS_CLASS (klass),
                                        "io.github.evcharging.EVCharging.Driver",
                                        properties, N_PROPS);
}

static void
driver_settings_init (DriverSettings *self)
{
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
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_LAST_FOLDER]);
}

void
driver_settings_set_last_folder (DriverSettings *self,
                                 const char     *last_folder)
{
  g_return_if_fail (DRIVER_IS_SETTINGS (self));
  ev_settings_set_string (EV_SETTINGS (self), properties[PROP_LAST_FOLDER], last_folder);
}

const char *
driver_settings_get_driver_id (DriverSettings *self)
{
  g_return_val_if_fail (DRIVER_IS_SETTINGS (self), NULL);
  return ev_settings_get_string (EV_SETTINGS (self), properties[PROP_DRIVER_ID]);
}

void
driver_settings_set_driver_id (DriverSettings *self,
                               const char     *driver_id)
{
  g_return_if_fail (DRIVER_IS_SETTINGS (self));
  ev_settings_set_string (EV_SETTINGS (self), properties[PROP_DRIVER_ID], driver_id);
}

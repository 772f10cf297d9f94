#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define EV_TYPE_SETTINGS (ev_settings_get_type ())

G_DECLARE_DERIVABLE_TYPE (EvSettings, ev_settings, EV, SETTINGS, GObject)

/**
 * EvSettingsClass:
 * @schema_id: the GSettings schema whose keys the properties mirror
 *
 * The base of each program's settings object, in kgx's manner: a subclass
 * installs, with ev_settings_class_install_properties(), properties named
 * as the schema's keys (strings, ints and booleans, their defaults the
 * schema's); the base stores their values, binds each to its key and
 * notifies only on change. Widgets and applications see properties, never
 * GSettings.
 */
struct _EvSettingsClass
{
  GObjectClass parent_class;

  const char  *schema_id;
};

void        ev_settings_class_install_properties (EvSettingsClass *klass,
                                                  const char      *schema_id,
                                                  GParamSpec     **pspecs,
                                                  guint            n_pspecs);

const char *ev_settings_get_string  (EvSettings *self,
                                     GParamSpec *pspec);
void        ev_settings_set_string  (EvSettings *self,
                                     GParamSpec *pspec,
                                     const char *value);
gboolean    ev_settings_get_boolean (EvSettings *self,
                                     GParamSpec *pspec);

G_END_DECLS

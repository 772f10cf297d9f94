/* ev-settings.c: the base of the programs' settings objects. The values
 * live in one GValue per property, indexed by the property's id, so that a
 * subclass only declares its properties. */

#include "config.h"

#include "ev-settings.h"

typedef struct
{
  GSettings *settings;
  GValue    *values;
  guint      n_values;
} EvSettingsPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EvSettings, ev_settings, G_TYPE_OBJECT)

static GValue *
value_of (EvSettings *self,
          GParamSpec *pspec)
{
  EvSettingsPrivate *priv = ev_settings_get_instance_private (self);

  g_return_val_if_fail (pspec->param_id < priv->n_values, NULL);

  return &priv->values[pspec->param_id];
}

static void
ev_settings_constructed (GObject *object)
{
  EvSettings *self = EV_SETTINGS (object);
  EvSettingsPrivate *priv = ev_settings_get_instance_private (self);
  const char *schema_id = EV_SETTINGS_GET_CLASS (self)->schema_id;
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs;

  G_OBJECT_CLASS (ev_settings_parent_class)->constructed (object);

  g_return_if_fail (schema_id != NULL);

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    priv->n_values = MAX (priv->n_values, pspecs[i]->param_id + 1);
  priv->values = g_new0 (GValue, priv->n_values);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GValue *value = &priv->values[pspecs[i]->param_id];

      g_value_init (value, pspecs[i]->value_type);
      g_param_value_set_default (pspecs[i], value);
    }

  /* Binding reads every key into its property at once. */
  priv->settings = g_settings_new (schema_id);
  for (guint i = 0; i < n_pspecs; i++)
    {
      const char *name = g_param_spec_get_name (pspecs[i]);

      g_settings_bind (priv->settings, name, object, name, G_SETTINGS_BIND_DEFAULT);
    }
}

static void
ev_settings_dispose (GObject *object)
{
  EvSettings *self = EV_SETTINGS (object);
  EvSettingsPrivate *priv = ev_settings_get_instance_private (self);

  /* The bindings hold the GSettings: drop them first. */
  if (priv->settings != NULL)
    {
      g_autofree GParamSpec **pspecs = NULL;
      guint n_pspecs;

      pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self), &n_pspecs);
      for (guint i = 0; i < n_pspecs; i++)
        g_settings_unbind (object, g_param_spec_get_name (pspecs[i]));
      g_clear_object (&priv->settings);
    }

  G_OBJECT_CLASS (ev_settings_parent_class)->dispose (object);
}

static void
ev_settings_finalize (GObject *object)
{
  EvSettings *self = EV_SETTINGS (object);
  EvSettingsPrivate *priv = ev_settings_get_instance_private (self);

  for (guint i = 0; i < priv->n_values; i++)
    if (G_IS_VALUE (&priv->values[i]))
      g_value_unset (&priv->values[i]);
  g_clear_pointer (&priv->values, g_free);

  G_OBJECT_CLASS (ev_settings_parent_class)->finalize (object);
}

static void
ev_settings_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  GValue *stored = value_of (EV_SETTINGS (object), pspec);

  if (stored != NULL)
    g_value_copy (stored, value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
ev_settings_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  GValue *stored = value_of (EV_SETTINGS (object), pspec);

  if (stored == NULL)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  /* A string is never NULL: an unset one reads as "", as in the schemas. */
  if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) == NULL)
    {
      if (g_strcmp0 (g_value_get_string (stored), "") == 0)
        return;
      g_value_set_string (stored, "");
    }
  else if (g_param_values_cmp (pspec, stored, value) == 0)
    return;
  else
    g_value_copy (value, stored);

  g_object_notify_by_pspec (object, pspec);
}

static void
ev_settings_class_init (EvSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = ev_settings_constructed;
  object_class->dispose = ev_settings_dispose;
  object_class->finalize = ev_settings_finalize;
}

static void
ev_settings_init (EvSettings *self)
{
}

/**
 * ev_settings_class_install_properties:
 * @klass: the class of a subclass
 * @schema_id: the schema whose keys the properties mirror
 * @pspecs: (array length=n_pspecs): the properties, @pspecs[0] %NULL
 * @n_pspecs: the length of @pspecs
 *
 * Installs @pspecs on @klass, stored and bound by the base. To be called
 * from the subclass's class_init (GObject does not inherit the property
 * accessors).
 */
void
ev_settings_class_install_properties (EvSettingsClass *klass,
                                      const char      *schema_id,
                                      GParamSpec     **pspecs,
                                      guint            n_pspecs)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  g_return_if_fail (EV_IS_SETTINGS_CLASS (klass));
  g_return_if_fail (schema_id != NULL);

  klass->schema_id = schema_id;
  object_class->get_property = ev_settings_get_property;
  object_class->set_property = ev_settings_set_property;
  g_object_class_install_properties (object_class, n_pspecs, pspecs);
}

/**
 * ev_settings_get_string:
 * @self: a settings object
 * @pspec: one of its string properties
 *
 * Returns: (transfer none): the value of @pspec, never %NULL
 */
const char *
ev_settings_get_string (EvSettings *self,
                        GParamSpec *pspec)
{
  g_return_val_if_fail (EV_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (G_IS_PARAM_SPEC_STRING (pspec), NULL);

  return g_value_get_string (value_of (self, pspec));
}

/**
 * ev_settings_set_string:
 * @self: a settings object
 * @pspec: one of its string properties
 * @value: (nullable): the new value; %NULL stores ""
 *
 * Sets @pspec, which writes its key and notifies, when it changes.
 */
void
ev_settings_set_string (EvSettings *self,
                        GParamSpec *pspec,
                        const char *value)
{
  g_auto(GValue) gvalue = G_VALUE_INIT;

  g_return_if_fail (EV_IS_SETTINGS (self));
  g_return_if_fail (G_IS_PARAM_SPEC_STRING (pspec));

  g_value_init (&gvalue, G_TYPE_STRING);
  g_value_set_string (&gvalue, value);
  g_object_set_property (G_OBJECT (self), g_param_spec_get_name (pspec), &gvalue);
}

/**
 * ev_settings_get_boolean:
 * @self: a settings object
 * @pspec: one of its boolean properties
 *
 * Returns: the value of @pspec
 */
gboolean
ev_settings_get_boolean (EvSettings *self,
                         GParamSpec *pspec)
{
  g_return_val_if_fail (EV_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (G_IS_PARAM_SPEC_BOOLEAN (pspec), FALSE);

  return g_value_get_boolean (value_of (self, pspec));
}

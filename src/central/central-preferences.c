/* central-preferences.c: the preferences window. Each row is bound both
 * ways to a property of CentralSettings; Central reads them at start. */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "central-preferences.h"

struct _CentralPreferences
{
  AdwPreferencesWindow  parent_instance;

  CentralSettings      *settings;

  AdwEntryRow          *listen_row;
  AdwEntryRow          *tls_cert_row;
  AdwEntryRow          *tls_key_row;
  GtkSwitch            *auto_approve_switch;
  AdwEntryRow          *bootstrap_row;
  AdwEntryRow          *database_row;
};

G_DEFINE_FINAL_TYPE (CentralPreferences, central_preferences, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ADDRESS:PORT with a port in 0–65535; IPv6 addresses in brackets. */
static gboolean
listen_address_is_valid (const char *text)
{
  const char *colon = strrchr (text, ':');
  guint64 port;
  char *end = NULL;

  if (colon == NULL || colon == text || colon[1] == '\0')
    return FALSE;

  port = g_ascii_strtoull (colon + 1, &end, 10);
  return *end == '\0' && port <= 65535;
}

static void
listen_changed_cb (CentralPreferences *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->listen_row));

  if (listen_address_is_valid (text))
    gtk_widget_remove_css_class (GTK_WIDGET (self->listen_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->listen_row), "error");
}

static void
central_preferences_constructed (GObject *object)
{
  CentralPreferences *self = CENTRAL_PREFERENCES (object);
  GBindingFlags flags = G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL;

  G_OBJECT_CLASS (central_preferences_parent_class)->constructed (object);

  g_object_bind_property (self->settings, "listen-address", self->listen_row, "text", flags);
  g_object_bind_property (self->settings, "kafka-bootstrap", self->bootstrap_row, "text", flags);
  g_object_bind_property (self->settings, "database-path", self->database_row, "text", flags);
  g_object_bind_property (self->settings, "tls-certificate", self->tls_cert_row, "text", flags);
  g_object_bind_property (self->settings, "tls-key", self->tls_key_row, "text", flags);
  g_object_bind_property (self->settings, "auto-approve", self->auto_approve_switch, "active", flags);
}

static void
central_preferences_dispose (GObject *object)
{
  CentralPreferences *self = CENTRAL_PREFERENCES (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CENTRAL_TYPE_PREFERENCES);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (central_preferences_parent_class)->dispose (object);
}

static void
central_preferences_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CentralPreferences *self = CENTRAL_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_preferences_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CentralPreferences *self = CENTRAL_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_preferences_class_init (CentralPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = central_preferences_constructed;
  object_class->dispose = central_preferences_dispose;
  object_class->get_property = central_preferences_get_property;
  object_class->set_property = central_preferences_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         CENTRAL_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/evcharging/EVCharging/Central/central-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, listen_row);
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, tls_cert_row);
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, tls_key_row);
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, auto_approve_switch);
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, bootstrap_row);
  gtk_widget_class_bind_template_child (widget_class, CentralPreferences, database_row);
  gtk_widget_class_bind_template_callback (widget_class, listen_changed_cb);
}

static void
central_preferences_init (CentralPreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CentralPreferences *
central_preferences_new (GtkWindow       *parent,
                         CentralSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (CENTRAL_IS_SETTINGS (settings), NULL);

  return g_object_new (CENTRAL_TYPE_PREFERENCES,
                       "transient-for", parent,
                       "settings", settings,
                       NULL);
}

/* driver-id-dialog.c: who is driving. Asked on the first run, when no
 * driver id was given (`--id`) or kept (GSettings `driver-id`), and from
 * the main menu to change it. It checks the id as the core does and says
 * what is wrong; a valid id is handed on with the `chosen` signal. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-core.h"
#include "driver-id-dialog.h"

struct _DriverIdDialog
{
  AdwWindow    parent_instance;

  AdwEntryRow *id_row;
  GtkLabel    *error_label;
  GtkButton   *continue_button;
};

G_DEFINE_FINAL_TYPE (DriverIdDialog, driver_id_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
id_changed_cb (DriverIdDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->id_row));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.continue", text[0] != '\0');
  driver_id_dialog_set_error (self, NULL);
}

static void
continue_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  DriverIdDialog *self = DRIVER_ID_DIALOG (widget);
  g_autofree char *driver_id = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->id_row))));
  g_autoptr(GError) error = NULL;

  if (!driver_core_check_driver_id (driver_id, &error))
    {
      driver_id_dialog_set_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_CHOSEN], 0, driver_id);
}

static void
driver_id_dialog_class_init (DriverIdDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * DriverIdDialog::chosen:
   * @driver_id: a valid driver id
   *
   * The user chose @driver_id. Whoever handles it says, with
   * driver_id_dialog_set_error(), if it cannot be used after all.
   */
  signals[SIGNAL_CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/evcharging/EVCharging/Driver/driver-id-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DriverIdDialog, id_row);
  gtk_widget_class_bind_template_child (widget_class, DriverIdDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, DriverIdDialog, continue_button);
  gtk_widget_class_bind_template_callback (widget_class, id_changed_cb);
  gtk_widget_class_install_action (widget_class, "dialog.continue", NULL, continue_action);
}

static void
driver_id_dialog_init (DriverIdDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * driver_id_dialog_new:
 * @application: (nullable): the application
 * @driver_id: (nullable): the id to start from
 *
 * Returns: (transfer full): a new dialog, not shown yet
 */
DriverIdDialog *
driver_id_dialog_new (GtkApplication *application,
                      const char     *driver_id)
{
  DriverIdDialog *self = g_object_new (DRIVER_TYPE_ID_DIALOG, "application", application, NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->id_row), driver_id != NULL ? driver_id : "");
  id_changed_cb (self);
  return self;
}

/**
 * driver_id_dialog_set_error:
 * @self: a dialog
 * @message: (nullable): what is wrong, or %NULL when nothing is
 *
 * Shows @message under the id, and marks the id wrong.
 */
void
driver_id_dialog_set_error (DriverIdDialog *self,
                            const char     *message)
{
  g_return_if_fail (DRIVER_IS_ID_DIALOG (self));

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->id_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->id_row), "error");
}

/* central-window-actions.c: the operator's actions in the window: stop and
 * resume, approvals, tokens, prices, locations, drivers' keys and the
 * history's export, each asked for first where it cannot be undone. */

#include "config.h"

#include "central-window-private.h"

/* Actions -------------------------------------------------------------- */

static void
operate_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CentralWindow) self = user_data;
  CentralService *service = CENTRAL_SERVICE (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (g_async_result_is_tagged (result, central_service_stop_async))
    ok = central_service_stop_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_resume_async))
    ok = central_service_resume_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_reset_token_async))
    ok = central_service_reset_token_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_set_price_async))
    ok = central_service_set_price_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_set_location_async))
    ok = central_service_set_location_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_approve_async))
    ok = central_service_approve_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_reject_async))
    ok = central_service_reject_finish (service, result, &error);
  else if (g_async_result_is_tagged (result, central_service_forget_driver_key_async))
    ok = central_service_forget_driver_key_finish (service, result, &error);
  else
    ok = central_service_forget_finish (service, result, &error);

  /* A refusal (a supply still open, a CP already forgotten) says why. */
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    window_toast_error (self, error);
}

/* A message to the core's thread; the answer comes back as a callback. */
static void
stop_or_resume (CentralWindow *self,
                const char    *cp_id,
                gboolean       stop)
{
  if (self->service == NULL)
    return;

  if (stop)
    central_service_stop_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
  else
    central_service_resume_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
}

void
window_stop_cp_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), g_variant_get_string (parameter, NULL), TRUE);
}

void
window_resume_cp_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), g_variant_get_string (parameter, NULL), FALSE);
}

/* Approve of a CP awaiting approval: nothing to undo, so no question. */
void
window_approve_cp_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);

  if (self->service != NULL)
    central_service_approve_async (self->service, g_variant_get_string (parameter, NULL), self->cancellable,
                                   operate_done_cb, g_object_ref (self));
}

/* The operator's answer to a confirmation; the dialog carries the CP it
 * is about (none: every CP). */
static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     CentralWindow    *self)
{
  const char *cp_id = g_object_get_data (G_OBJECT (dialog), "central-cp-id");

  if (g_str_equal (response, "stop"))
    stop_or_resume (self, cp_id, TRUE);
  else if (g_str_equal (response, "resume"))
    stop_or_resume (self, cp_id, FALSE);
  else if (self->service != NULL && g_str_equal (response, "reset-token"))
    central_service_reset_token_async (self->service, cp_id, self->cancellable, operate_done_cb,
                                       g_object_ref (self));
  else if (self->service != NULL && g_str_equal (response, "forget"))
    central_service_forget_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
  else if (self->service != NULL && g_str_equal (response, "reject"))
    central_service_reject_async (self->service, cp_id, self->cancellable, operate_done_cb, g_object_ref (self));
}

/* Asks before @response (labelled @label) is done to @cp_id, or to every
 * CP when it is %NULL. Cancel is the default. */
static void
confirm (CentralWindow          *self,
         const char             *heading,
         const char             *body,
         const char             *response,
         const char             *label,
         AdwResponseAppearance   appearance,
         const char             *cp_id)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    response, label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response, appearance);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "central-cp-id", g_strdup (cp_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}


/* Reset Token…, Forget… and Reject… of a card. */
void
window_confirm_cp_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  gboolean forget = g_str_equal (action_name, "win.forget-cp");

  if (g_str_equal (action_name, "win.reject-cp"))
    {
      /* Translators: %s is a charging point id. */
      g_autofree char *question = g_strdup_printf (_("Reject %s?"), cp_id);

      confirm (self, question,
               _("The charging point is forgotten and its monitor disconnected. If its monitor registers "
                 "again, it awaits your approval again."),
               "reject", _("_Reject"), ADW_RESPONSE_DESTRUCTIVE, cp_id);
      return;
    }

  /* Translators: %s is a charging point id. */
  g_autofree char *heading = g_strdup_printf (forget ? _("Forget %s?") : _("Reset the Token of %s?"), cp_id);

  if (forget)
    confirm (self, heading,
             _("The charging point, its token and its registration are deleted, and its monitor is "
               "disconnected. Its supplies stay in the history. To come back, its monitor must register again."),
             "forget", _("_Forget"), ADW_RESPONSE_DESTRUCTIVE, cp_id);
  else
    confirm (self, heading,
             _("Its monitor is disconnected and its token stops working. The monitor must register again "
               "to get a new token before the charging point takes supplies again."),
             "reset-token", _("_Reset Token"), ADW_RESPONSE_SUGGESTED, cp_id);
}

/* The CP @cp_id as the window shows it, or %NULL. */
static EvChargingPoint *
find_cp (CentralWindow *self,
         const char    *cp_id)
{
  GListModel *cps = self->service != NULL ? central_service_get_charging_points (self->service) : NULL;

  for (guint i = 0; cps != NULL && i < g_list_model_get_n_items (cps); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (g_strcmp0 (ev_charging_point_get_cp_id (cp), cp_id) == 0)
        return g_steal_pointer (&cp);
    }
  return NULL;
}

/* A dialog asking one value of @cp_id in @extra: Cancel, or @set_label,
 * whose response "set" goes to @response_cb. */
static void
present_cp_value_dialog (CentralWindow *self,
                         const char    *cp_id,
                         const char    *heading,
                         const char    *body,
                         GtkWidget     *extra,
                         const char    *set_label,
                         GCallback      response_cb)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  ev_ui_set_a11y_label (extra, heading);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), extra);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "set", set_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "central-cp-id", g_strdup (cp_id), g_free);
  g_signal_connect_object (dialog, "response", response_cb, self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Forget Key of a driver: the driver id typed in the dialog's entry. */
static void
forget_driver_key_response_cb (AdwMessageDialog *dialog,
                               const char       *response,
                               CentralWindow    *self)
{
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  g_autofree char *driver_id = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (self->service == NULL || !g_str_equal (response, "forget-key") || driver_id[0] == '\0')
    return;
  central_service_forget_driver_key_async (self->service, driver_id, self->cancellable, operate_done_cb,
                                           g_object_ref (self));
}

/* Forget a Driver's Key…: a driver who lost their key (a new computer, a
 * deleted state folder) is refused until the operator unbinds their id;
 * their next signed request binds the new key (docs/protocol.md). */
void
window_forget_driver_key_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *heading = _("Forget a Driver’s Key");
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                              _("Requests for this driver id are accepted only when signed "
                                                "with the key it is bound to. Forget it when the driver has "
                                                "lost theirs: their next request binds a new key — and so "
                                                "would anyone else’s who asks first as that driver."));
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_max_length (GTK_ENTRY (entry), EV_PROTOCOL_ID_MAX_LENGTH);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Driver id"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  ev_ui_set_a11y_label (entry, _("Driver id"));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "forget-key", _("_Forget Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget-key",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (forget_driver_key_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Set of a price (its spin button) or a location (its entry). */
static void
value_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   CentralWindow    *self)
{
  const char *cp_id = g_object_get_data (G_OBJECT (dialog), "central-cp-id");
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);

  if (self->service == NULL || !g_str_equal (response, "set"))
    return;
  if (GTK_IS_SPIN_BUTTON (extra))
    central_service_set_price_async (self->service, cp_id, gtk_spin_button_get_value (GTK_SPIN_BUTTON (extra)),
                                     self->cancellable, operate_done_cb, g_object_ref (self));
  else
    central_service_set_location_async (self->service, cp_id, gtk_editable_get_text (GTK_EDITABLE (extra)),
                                        self->cancellable, operate_done_cb, g_object_ref (self));
}

/* Set Price… of a card: the price of the CP's next supplies. */
void
window_set_price_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  g_autoptr(EvChargingPoint) cp = find_cp (self, cp_id);
  g_autofree char *heading = NULL;
  GtkWidget *spin;

  /* Translators: %s is a charging point id. */
  heading = g_strdup_printf (_("Price of %s"), cp_id);
  spin = gtk_spin_button_new_with_range (0.0, CENTRAL_CORE_PRICE_MAX, 0.01);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             cp != NULL ? ev_charging_point_get_price (cp) : CENTRAL_CORE_DEFAULT_PRICE);
  present_cp_value_dialog (self, cp_id, heading,
                           _("In € per kWh. A supply in progress keeps the price it started at; "
                             "the new one applies from the next supply."),
                           spin, _("_Set Price"), G_CALLBACK (value_response_cb));
}

/* Edit Location… of a card: where the CP is, as drivers see it. */
void
window_set_location_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  const char *cp_id = g_variant_get_string (parameter, NULL);
  g_autoptr(EvChargingPoint) cp = find_cp (self, cp_id);
  g_autofree char *heading = NULL;
  GtkWidget *entry;

  /* Translators: %s is a charging point id. */
  heading = g_strdup_printf (_("Location of %s"), cp_id);
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), EV_PROTOCOL_LOCATION_MAX_LENGTH);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), cp != NULL ? ev_charging_point_get_location (cp) : "");
  present_cp_value_dialog (self, cp_id, heading,
                           _("Drivers see it in the list of charging points at once; the station's "
                             "monitor is told when it next authenticates."),
                           entry, _("_Set Location"), G_CALLBACK (value_response_cb));
}

/* Stopping every CP ends every supply: it asks first. */
void
window_stop_all_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  confirm (CENTRAL_WINDOW (widget), _("Stop All Charging Points?"),
           _("Every supply in progress ends and its ticket is issued. "
             "The charging points show “Out of order” until they are resumed."),
           "stop", _("_Stop All"), ADW_RESPONSE_DESTRUCTIVE, NULL);
}

/* Resuming harms nothing: done at once, no question asked. */
void
window_resume_all_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  stop_or_resume (CENTRAL_WINDOW (widget), NULL, FALSE);
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GFile) file = user_data;
  g_autoptr(GError) error = NULL;
  CentralWindow *self = g_object_get_data (G_OBJECT (file), "central-window");

  if (central_service_export_history_finish (CENTRAL_SERVICE (source), result, &error))
    {
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *title = g_strdup_printf (_("History exported to %s"), name);

      if (self != NULL)
        central_window_add_toast (self, title);
    }
  else if (self != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      window_toast_error (self, error);
    }
}

void
window_export_response_cb (CentralWindow        *self,
                           int                   response,
                           GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->service != NULL)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  if (file != NULL)
    {
      /* The window may close before the export ends. */
      g_object_set_data_full (G_OBJECT (file), "central-window", g_object_ref (self), g_object_unref);
      central_service_export_history_async (self->service, file, self->cancellable,
                                            export_done_cb, g_object_ref (file));
    }

  g_signal_handlers_disconnect_by_func (chooser, window_export_response_cb, self);
  if (self->export_chooser == chooser)
    g_clear_object (&self->export_chooser);
}

void
window_export_history_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  CentralWindow *self = CENTRAL_WINDOW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->service == NULL || self->export_chooser != NULL)
    return;

  self->export_chooser = gtk_file_chooser_native_new (_("Export Session History"),
                                                      GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SAVE,
                                                      _("_Export"),
                                                      _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->export_chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->export_chooser),
                                     "central-history.csv");
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->export_chooser), filter);

  g_signal_connect_swapped (self->export_chooser, "response",
                            G_CALLBACK (window_export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->export_chooser));
}

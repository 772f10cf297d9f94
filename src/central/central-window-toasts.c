/* central-window-toasts.c: the window's toasts: errors in words, and the
 * events that need the operator's attention. */

#include "config.h"

#include "central-window-private.h"

/* Toasts --------------------------------------------------------------- */

void
window_attention_dismissed_cb (CentralWindow *self,
                               AdwToast      *toast)
{
  if (self->attention_toast == toast)
    {
      g_signal_handlers_disconnect_by_func (toast, window_attention_dismissed_cb, self);
      g_clear_object (&self->attention_toast);
      self->attention_count = 0;
    }
}

/* Events that need the operator's attention may come in storms (a broker
 * outage with thousands of CPs): while one such toast is shown, later ones
 * only update its count instead of queueing thousands of toasts. */
void
window_add_attention_toast (CentralWindow *self,
                            const char    *title)
{
  AdwToast *toast;

  if (self->attention_toast != NULL)
    {
      g_autofree char *summary = NULL;

      self->attention_count++;
      /* Translators: shown when several warnings arrive together; %u is their number. */
      summary = g_strdup_printf (_("Events needing attention: %u"), self->attention_count);
      adw_toast_set_title (self->attention_toast, summary);
      return;
    }

  toast = adw_toast_new (title);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 8);
  adw_toast_set_button_label (toast, _("Show _Log"));
  adw_toast_set_action_name (toast, "win.show-log");
  g_signal_connect_swapped (toast, "dismissed", G_CALLBACK (window_attention_dismissed_cb), self);

  self->attention_toast = g_object_ref (toast);
  self->attention_count = 1;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * central_window_add_toast:
 * @self: a #CentralWindow
 * @title: a translated sentence
 *
 * Shows @title as a short-lived toast.
 */
void
central_window_add_toast (CentralWindow *self,
                          const char    *title)
{
  g_return_if_fail (CENTRAL_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

void
window_toast_error (CentralWindow *self,
                    const GError  *error)
{
  central_window_add_toast (self, error->message);
}

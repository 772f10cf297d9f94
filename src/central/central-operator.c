/* central-operator.c: the operator's commands (stop, resume, price,
 * location, tokens, approval, forgetting). */

#include "config.h"

#include "central-core-private.h"

static gboolean forget_cp (CentralCore       *self,
                           CpRecord          *rec,
                           CentralEventKind   kind,
                           GError           **error);

/* The operator's own stop or resume, for the log. */
static void
log_operator (CentralCore       *self,
              const char        *cp_id,
              EvDirectiveAction  action)
{
  g_autofree char *message = NULL;
  gboolean stop = action == EV_DIRECTIVE_ACTION_STOP;
  CentralEventData data = { .cp_id = cp_id, .target = cp_id != NULL ? cp_id : EV_DIRECTIVE_TARGET_ALL };

  if (cp_id == NULL)
    message = g_strdup (stop ? _("Stopped every charging point") : _("Resumed every charging point"));
  else
    message = g_strdup_printf (stop ? _("Stopped charging point %s") : _("Resumed charging point %s"), cp_id);
  central_emit (self, stop ? CENTRAL_EVENT_STOP : CENTRAL_EVENT_RESUME, CENTRAL_LOG_INFO, message, &data);
}

/* Operator --------------------------------------------------------------------- */

static gboolean
check_operator_target (CentralCore  *self,
                       const char   *cp_id,
                       CpRecord    **out_rec,
                       GError      **error)
{
  if (!self->started)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED,
                           _("Central is not running"));
      return FALSE;
    }

  *out_rec = NULL;
  if (cp_id == NULL)
    return TRUE;

  if (!ev_protocol_validate_cp_id (cp_id, "cp_id", NULL))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid charging point id"), cp_id);
      return FALSE;
    }

  *out_rec = g_hash_table_lookup (self->records, cp_id);
  if (*out_rec == NULL)
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP,
                   _("There is no charging point “%s”"), cp_id);
      return FALSE;
    }

  return TRUE;
}

static void
set_stopped (CentralCore *self,
             CpRecord    *rec,
             gboolean     stopped)
{
  if (rec->stopped == stopped)
    return;

  rec->stopped = stopped;
  rec->stop_sent_us = g_get_monotonic_time ();
  if (!stopped && rec->reported == EV_CP_STATE_STOPPED)
    rec->reported = EV_CP_STATE_ACTIVE;
  central_store_cp_state (self, rec);
  central_update_state (self, rec);
}

static gboolean
operate (CentralCore       *self,
         const char        *cp_id,
         EvDirectiveAction  action,
         GError           **error)
{
  gboolean stop = action == EV_DIRECTIVE_ACTION_STOP;
  CpRecord *rec;

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;

  if (rec != NULL)
    set_stopped (self, rec, stop);
  else
    {
      GHashTableIter iter;

      g_hash_table_iter_init (&iter, self->records);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
        set_stopped (self, rec, stop);
    }

  central_publish_directive (self, cp_id != NULL ? cp_id : EV_DIRECTIVE_TARGET_ALL, action, NULL);
  log_operator (self, cp_id, action);
  return TRUE;
}

/**
 * central_core_stop:
 * @self: a core
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @error: return location for an error
 *
 * Puts charging points out of order: the stop is stored (it outlives a
 * restart), engines get a `stop` directive and end any supply with a
 * ticket.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_stop (CentralCore  *self,
                   const char   *cp_id,
                   GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return operate (self, cp_id, EV_DIRECTIVE_ACTION_STOP, error);
}

/**
 * central_core_resume:
 * @self: a core
 * @cp_id: (nullable): a charging point, or %NULL for every one
 * @error: return location for an error
 *
 * Undoes central_core_stop().
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_resume (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return operate (self, cp_id, EV_DIRECTIVE_ACTION_RESUME, error);
}

/* Emits @kind for @cp_id with @message, both the operator's doing. */
static void
log_cp_operator (CentralCore      *self,
                 CentralEventKind  kind,
                 const char       *cp_id,
                 const char       *message)
{
  CentralEventData data = { .cp_id = cp_id };

  central_emit (self, kind, CENTRAL_LOG_INFO, message, &data);
}

static gboolean
operator_store_failed (GError       *store_error,
                       GError      **error)
{
  g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_FAILED, store_error->message);
  g_error_free (store_error);
  return FALSE;
}

/**
 * central_core_reset_token:
 * @self: a core
 * @cp_id: a charging point
 * @error: return location for an error
 *
 * Clears the token of @cp_id on the operator's word: its link is closed,
 * its old token no longer authenticates it, and its monitor's next
 * `register` is accepted (with a new token).
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_reset_token (CentralCore  *self,
                          const char   *cp_id,
                          GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;

  if (!ev_store_reset_token (self->store, cp_id, &store_error))
    return operator_store_failed (store_error, error);

  g_hash_table_remove (self->auth_limits, cp_id);
  message = g_strdup_printf (_("Reset the token of charging point %s"), cp_id);
  log_cp_operator (self, CENTRAL_EVENT_TOKEN_RESET, cp_id, message);
  if (rec->link_id != 0)
    central_monitor_server_close_link (self->server, rec->link_id);
  return TRUE;
}

/**
 * central_core_set_price:
 * @self: a started core
 * @cp_id: a charging point
 * @price: its new price per kWh, in €, from 0 to %CENTRAL_CORE_PRICE_MAX
 * @error: return location for an error
 *
 * Gives @cp_id a price of its own. A supply keeps the price it was
 * authorised at: the new one applies from the next. Drivers see it in
 * `cp-states` at once, the monitor with its next status answer.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_set_price (CentralCore  *self,
                        const char   *cp_id,
                        double        price,
                        GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;
  CentralEventData data = { .cp_id = cp_id, .price = price };

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  if (!(price >= 0.0 && price <= CENTRAL_CORE_PRICE_MAX))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("A price is from 0 to %g € per kWh"), CENTRAL_CORE_PRICE_MAX);
      return FALSE;
    }

  if (!ev_store_set_cp_price (self->store, cp_id, price, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_price (rec->cp, price);
  central_publish_cp_state (self, rec->cp);
  message = g_strdup_printf (_("Set the price of charging point %s to %.2f €/kWh, from its next supply"),
                             cp_id, price);
  central_emit (self, CENTRAL_EVENT_PRICE, CENTRAL_LOG_INFO, message, &data);
  return TRUE;
}

/**
 * central_core_set_location:
 * @self: a started core
 * @cp_id: a charging point
 * @location: where it is, as `register` takes it (1–200 characters)
 * @error: return location for an error
 *
 * Corrects where @cp_id is. Drivers see it in `cp-states` at once; the
 * monitor is told with its next `authorized`.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_set_location (CentralCore  *self,
                           const char   *cp_id,
                           const char   *location,
                           GError      **error)
{
  g_autofree char *message = NULL;
  g_autofree char *stripped = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;
  CentralEventData data = { .cp_id = cp_id };

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);
  g_return_val_if_fail (location != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  stripped = g_strstrip (g_strdup (location));
  if (!ev_protocol_validate_location (stripped, "location", NULL))
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("A location is 1 to 200 characters of text, on one line"));
      return FALSE;
    }

  if (!ev_store_set_cp_location (self->store, cp_id, stripped, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_location (rec->cp, stripped);
  central_publish_cp_state (self, rec->cp);
  data.location = stripped;
  message = g_strdup_printf (_("Charging point %s is now at %s"), cp_id, stripped);
  central_emit (self, CENTRAL_EVENT_LOCATION, CENTRAL_LOG_INFO, message, &data);
  return TRUE;
}

static gboolean
has_open_session (CentralCore *self,
                  const char  *cp_id)
{
  GHashTableIter iter;
  EvSupply *session;

  g_hash_table_iter_init (&iter, self->open);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (g_strcmp0 (ev_supply_get_cp_id (session), cp_id) == 0)
      return TRUE;
  return FALSE;
}

/**
 * central_core_forget:
 * @self: a core
 * @cp_id: a charging point
 * @error: return location for an error
 *
 * Forgets @cp_id on the operator's word: it, its token and its
 * registration leave memory and the database (its supplies stay in the
 * history), its link is closed, and `cp-states` gets a tombstone (a null
 * value) under its id. Refused while a supply at it has not concluded.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_forget (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (cp_id != NULL, FALSE);

  if (!check_operator_target (self, cp_id, &rec, error))
    return FALSE;
  return forget_cp (self, rec, CENTRAL_EVENT_CP_FORGOTTEN, error);
}

/* Checks that @cp_id is a CP awaiting approval, for approve and reject. */
static gboolean
check_pending_target (CentralCore  *self,
                      const char   *cp_id,
                      CpRecord    **out_rec,
                      GError      **error)
{
  if (!check_operator_target (self, cp_id, out_rec, error))
    return FALSE;
  if (*out_rec == NULL || !ev_charging_point_get_pending ((*out_rec)->cp))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_PENDING,
                   _("Charging point %s is not awaiting approval"), cp_id != NULL ? cp_id : "all");
      return FALSE;
    }
  return TRUE;
}

/**
 * central_core_approve:
 * @self: a core
 * @cp_id: a charging point awaiting approval
 * @error: return location for an error
 *
 * Approves a CP that registered pending: from now on drivers see it on
 * `cp-states` and may be supplied there, and its monitor learns it with
 * its next `status`.
 *
 * Returns: %TRUE on success; %CENTRAL_CORE_ERROR_UNKNOWN_CP or
 *   %CENTRAL_CORE_ERROR_NOT_PENDING otherwise
 */
gboolean
central_core_approve (CentralCore  *self,
                      const char   *cp_id,
                      GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (!check_pending_target (self, cp_id, &rec, error))
    return FALSE;
  if (!ev_store_approve_cp (self->store, cp_id, &store_error))
    return operator_store_failed (store_error, error);

  ev_charging_point_set_pending (rec->cp, FALSE);
  g_clear_pointer (&rec->pending_address, g_free);
  central_publish_cp_state (self, rec->cp);
  message = g_strdup_printf (_("Approved charging point %s"), cp_id);
  log_cp_operator (self, CENTRAL_EVENT_CP_APPROVED, cp_id, message);
  return TRUE;
}

/**
 * central_core_reject:
 * @self: a core
 * @cp_id: a charging point awaiting approval
 * @error: return location for an error
 *
 * Rejects a CP that registered pending: it is forgotten, as by
 * central_core_forget() (its link is closed; it may register again, and
 * await approval again).
 *
 * Returns: %TRUE on success; %CENTRAL_CORE_ERROR_UNKNOWN_CP or
 *   %CENTRAL_CORE_ERROR_NOT_PENDING otherwise
 */
gboolean
central_core_reject (CentralCore  *self,
                     const char   *cp_id,
                     GError      **error)
{
  CpRecord *rec = NULL;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (!check_pending_target (self, cp_id, &rec, error))
    return FALSE;
  return forget_cp (self, rec, CENTRAL_EVENT_CP_REJECTED, error);
}

/* Forgets @rec's CP (central_core_forget()), telling it as @kind. */
static gboolean
forget_cp (CentralCore       *self,
           CpRecord          *rec,
           CentralEventKind   kind,
           GError           **error)
{
  g_autofree char *message = NULL;
  g_autofree char *id = g_strdup (ev_charging_point_get_cp_id (rec->cp));
  const char *cp_id = id;
  gboolean was_pending = ev_charging_point_get_pending (rec->cp);
  GError *store_error = NULL;
  guint position;
  guint64 link_id;

  if (has_open_session (self, cp_id))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS,
                   _("Charging point %s has a supply in progress; try again when it ends"), cp_id);
      return FALSE;
    }
  if (!ev_store_forget_cp (self->store, cp_id, &store_error))
    {
      if (g_error_matches (store_error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS))
        {
          g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS, store_error->message);
          g_error_free (store_error);
          return FALSE;
        }
      return operator_store_failed (store_error, error);
    }

  /* The record goes first, so that closing its link changes nothing. */
  link_id = rec->link_id;
  if (g_list_store_find (self->cps, rec->cp, &position))
    g_list_store_remove (self->cps, position);
  g_hash_table_remove (self->records, id);
  g_hash_table_remove (self->auth_limits, id);
  if (link_id != 0)
    central_monitor_server_close_link (self->server, link_id);
  /* Drivers never saw a CP awaiting approval: nothing to take back. */
  if (!was_pending)
    central_publish (self, "cp-states", id, NULL, 0);

  if (kind == CENTRAL_EVENT_CP_REJECTED)
    message = g_strdup_printf (_("Rejected charging point %s: it was forgotten"), id);
  else
    message = g_strdup_printf (_("Forgot charging point %s"), id);
  log_cp_operator (self, kind, id, message);
  return TRUE;
}

/**
 * central_core_forget_driver_key:
 * @self: a core
 * @driver_id: a driver id
 * @error: return location for an error
 *
 * Unbinds @driver_id from the key it is bound to, on the operator's word
 * (a driver who lost their key): the next signed request for that id
 * binds it again.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_forget_driver_key (CentralCore  *self,
                                const char   *driver_id,
                                GError      **error)
{
  g_autofree char *message = NULL;
  GError *store_error = NULL;
  gboolean forgotten = FALSE;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (driver_id != NULL, FALSE);

  if (!ev_protocol_validate_driver_id (driver_id, "driver_id", NULL))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a driver id"), driver_id);
      return FALSE;
    }
  if (!ev_store_forget_driver_key (self->store, driver_id, &forgotten, &store_error))
    return operator_store_failed (store_error, error);
  g_hash_table_remove (self->driver_keys, driver_id);
  if (!forgotten)
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP,
                   _("Driver %s is bound to no key"), driver_id);
      return FALSE;
    }

  message = g_strdup_printf (_("Driver %s is no longer bound to a key: their next request binds a new one"),
                             driver_id);
  central_emit (self, CENTRAL_EVENT_DRIVER_KEY_FORGOTTEN, CENTRAL_LOG_WARNING, message,
                &(CentralEventData) { .driver_id = driver_id });
  return TRUE;
}

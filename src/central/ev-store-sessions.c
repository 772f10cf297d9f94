/* ev-store-sessions.c: one row per supply, from its authorisation to its
 * ticket or fault, and the denials Central remembers. */

#include "config.h"

#include "ev-store-private.h"

/* Rows to objects */

EvSupply *
store_session_from_row (sqlite3_stmt *stmt)
{
  EvSupply *session;
  EvSupplyPhase phase = EV_SUPPLY_PHASE_FAILED;
  double price = sqlite3_column_double (stmt, 3);
  double kwh = sqlite3_column_double (stmt, 4);
  double amount = sqlite3_column_double (stmt, 5);
  gint64 seq = sqlite3_column_int64 (stmt, 6);

  session = ev_supply_new ((const char *) sqlite3_column_text (stmt, 0),
                                   (const char *) sqlite3_column_text (stmt, 1),
                                   (const char *) sqlite3_column_text (stmt, 2));

  if (!ev_supply_phase_from_string ((const char *) sqlite3_column_text (stmt, 7), &phase))
    g_debug ("Supply %s has an unknown phase; shown as failed",
             (const char *) sqlite3_column_text (stmt, 0));

  ev_supply_set_phase (session, phase);
  ev_supply_set_price (session, isfinite (price) && price >= 0 ? price : 0.0);
  ev_supply_set_kwh (session, isfinite (kwh) && kwh >= 0 ? kwh : 0.0);
  ev_supply_set_amount (session, isfinite (amount) && amount >= 0 ? amount : 0.0);
  ev_supply_set_seq (session, (guint) CLAMP (seq, 0, G_MAXUINT));
  ev_supply_set_reason (session, (const char *) sqlite3_column_text (stmt, 8));
  ev_supply_set_started_at (session, sqlite3_column_int64 (stmt, 9));
  ev_supply_set_ended_at (session, sqlite3_column_int64 (stmt, 10));
  ev_supply_set_provisional (session, sqlite3_column_int (stmt, 11) != 0);

  return session;
}

static GPtrArray *
collect_sessions (EvStore       *self,
                  sqlite3_stmt  *stmt,
                  GError       **error)
{
  return store_collect_store_rows (self, stmt, (RowFunc) store_session_from_row, g_object_unref, error);
}

/* Looks up one session with a cached statement whose ?1 is @key.
 * Returns FALSE on error; *out_session is NULL when there is none. */
static gboolean
select_session (EvStore          *self,
                StmtId            id,
                const char       *key,
                EvSupply **out_session,
                GError          **error)
{
  g_autoptr(EvBorrowedStmt) stmt = store_borrow_stmt (self, id, error);
  int rc;

  *out_session = NULL;
  if (stmt == NULL)
    return FALSE;

  store_bind_text (stmt, 1, key);
  if ((rc = store_step (self, stmt, error)) == 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out_session = store_session_from_row (stmt);

  return TRUE;
}

/**
 * ev_store_create_session:
 * @self: a store
 * @supply_id: the new supply's id (a UUID)
 * @cp_id: the charging point it is at, which must be registered
 * @driver_id: the driver it is for
 * @price: the price per kWh agreed, in EUR
 * @error: return location for an error
 *
 * Records a supply Central authorised (phase
 * %EV_SUPPLY_PHASE_AUTHORIZED), and touches its driver, in the current
 * batch. Use ev_store_when_committed() before telling anyone about it.
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_IN_PROGRESS if
 *   the charging point or the driver has a supply that has not ended,
 *   %EV_STORE_ERROR_EXISTS if @supply_id is taken,
 *   %EV_STORE_ERROR_NOT_FOUND for an unknown charging point
 */
gboolean
ev_store_create_session (EvStore     *self,
                         const char  *supply_id,
                         const char  *cp_id,
                         const char  *driver_id,
                         double       price,
                         GError     **error)
{
  g_autoptr(EvSupply) existing = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_supply_id (supply_id, error) ||
      !store_check_cp_id (cp_id, error) ||
      !store_check_driver_id (driver_id, error) ||
      !store_check_number (price, "price", error))
    return FALSE;

  if (!store_begin_write (self, error))
    return FALSE;

  {
    g_autoptr(EvBorrowedStmt) cp = store_borrow_stmt (self, STMT_CP_SELECT_TOKEN, error);

    if (cp == NULL)
      return FALSE;
    store_bind_text (cp, 1, cp_id);
    if ((rc = store_step (self, cp, error)) == 0)
      return FALSE;
    if (rc != SQLITE_ROW)
      {
        store_set_unknown_cp (cp_id, error);
        return FALSE;
      }
  }

  if (!select_session (self, STMT_SESSION_SELECT, supply_id, &existing, error))
    return FALSE;
  if (existing != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS,
                   _("Supply “%s” already exists"), supply_id);
      return FALSE;
    }

  if (!select_session (self, STMT_SESSION_OPEN_BY_CP, cp_id, &existing, error))
    return FALSE;
  if (existing == NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_DRIVER, driver_id, &existing, error))
    return FALSE;
  if (existing != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS,
                   _("Supply “%s” of driver “%s” at charging point “%s” has not ended"),
                   ev_supply_get_supply_id (existing),
                   ev_supply_get_driver_id (existing),
                   ev_supply_get_cp_id (existing));
      return FALSE;
    }

  if (!store_touch_driver (self, driver_id, error))
    return FALSE;

  if ((stmt = store_borrow_stmt (self, STMT_SESSION_INSERT, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, supply_id);
  store_bind_text (stmt, 2, cp_id);
  store_bind_text (stmt, 3, driver_id);
  sqlite3_bind_double (stmt, 4, price);
  sqlite3_bind_int64 (stmt, 5, store_now_ms ());

  return store_step_done (self, stmt, error);
}

static const StmtId progress_stmts[] = { STMT_SESSION_PROGRESS, STMT_SESSION_PROGRESS_PROVISIONAL };

/**
 * ev_store_record_progress:
 * @self: a store
 * @supply_id: the supply's id
 * @seq: the progress message's sequence number (from 1)
 * @kwh: energy so far, in kWh
 * @amount: amount so far, in EUR
 * @started_at: when energy started flowing (ms since the epoch), or 0 if
 *   not known; only the first one given is kept
 * @out_applied: (out) (optional): whether the progress was newer than what
 *   was stored, and so recorded
 * @error: return location for an error
 *
 * Records a supply's progress (phase %EV_SUPPLY_PHASE_SUPPLYING), in the
 * current batch. A @seq not greater than the stored one (a late or
 * duplicate delivery), or progress for a supply that has ended, changes
 * nothing and is not an error — except for a supply Central ended at a
 * fault (#EvSupply:provisional), whose figures follow the engine's
 * while its outcome stays.
 *
 * Returns: %TRUE on success (applied or not); %FALSE with @error set for
 *   bad input or an unknown supply
 */
gboolean
ev_store_record_progress (EvStore     *self,
                          const char  *supply_id,
                          guint        seq,
                          double       kwh,
                          double       amount,
                          gint64       started_at,
                          gboolean    *out_applied,
                          GError     **error)
{
  gboolean applied;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_applied != NULL)
    *out_applied = FALSE;

  if (!store_check_supply_id (supply_id, error) ||
      !store_check_number (kwh, "kwh", error) ||
      !store_check_number (amount, "amount", error) ||
      !store_check_time (started_at, error))
    return FALSE;

  if (seq == 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid sequence number 0: progress counts from 1"));
      return FALSE;
    }

  if (!store_begin_write (self, error))
    return FALSE;

  /* An open supply; else one Central ended at a fault, which follows the
   * engine's meter. */
  applied = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (progress_stmts) && !applied; i++)
    {
      g_autoptr(EvBorrowedStmt) stmt = store_borrow_stmt (self, progress_stmts[i], error);

      if (stmt == NULL)
        return FALSE;
      store_bind_text (stmt, 1, supply_id);
      sqlite3_bind_int64 (stmt, 2, seq);
      sqlite3_bind_double (stmt, 3, kwh);
      sqlite3_bind_double (stmt, 4, amount);
      store_bind_time (stmt, 5, started_at);
      if (!store_step_done (self, stmt, error))
        return FALSE;
      applied = sqlite3_changes (self->db) > 0;
    }
  if (!applied)
    {
      g_autoptr(EvSupply) session = NULL;

      if (!select_session (self, STMT_SESSION_SELECT, supply_id, &session, error))
        return FALSE;
      if (session == NULL)
        {
          store_set_unknown_supply (supply_id, error);
          return FALSE;
        }
    }

  if (out_applied != NULL)
    *out_applied = applied;
  return TRUE;
}

/**
 * ev_store_finish_session:
 * @self: a store
 * @outcome: the supply as it ended: its id, charging point and driver,
 *   phase %EV_SUPPLY_PHASE_FINISHED (a ticket) or %EV_SUPPLY_PHASE_FAILED
 *   (a fault), final kWh and amount, seq, start and end times (an end of
 *   0 means now) and reason
 * @out_recorded: (out) (optional): %TRUE if this call ended or settled
 *   the supply; %FALSE if it had already ended (a duplicate ticket, or a
 *   second fault), in which case nothing changed
 * @error: return location for an error
 *
 * Records the end of a supply, once: the first ticket or fault for a
 * supply_id is stored, any later one is recognised and ignored, so that
 * Central neither stores nor relays it twice. The one exception: an
 * outcome Central gave at a fault (@outcome's
 * #EvSupply:provisional set) is settled by the first outcome that
 * is not provisional — the engine's ticket — which replaces its figures,
 * phase and reason (@out_recorded is then %TRUE). Written in the current
 * batch; use ev_store_when_committed() before relaying it or committing
 * the Kafka offset.
 *
 * Returns: %TRUE on success (recorded or not); %FALSE with @error set for
 *   bad input, an unknown supply, or one that is another charging point's
 *   or driver's
 */
gboolean
ev_store_finish_session (EvStore          *self,
                         EvSupply  *outcome,
                         gboolean         *out_recorded,
                         GError          **error)
{
  g_autoptr(EvSupply) stored = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  const char *supply_id;
  const char *reason;
  EvSupplyPhase phase;
  gint64 ended_at;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (EV_IS_SUPPLY (outcome), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_recorded != NULL)
    *out_recorded = FALSE;

  supply_id = ev_supply_get_supply_id (outcome);
  phase = ev_supply_get_phase (outcome);
  reason = ev_supply_get_reason (outcome);
  ended_at = ev_supply_get_ended_at (outcome);

  if (!store_check_supply_id (supply_id, error) ||
      !store_check_number (ev_supply_get_kwh (outcome), "kwh", error) ||
      !store_check_number (ev_supply_get_amount (outcome), "amount", error) ||
      !store_check_time (ev_supply_get_started_at (outcome), error) ||
      !store_check_time (ended_at, error))
    return FALSE;

  if (phase != EV_SUPPLY_PHASE_FINISHED && phase != EV_SUPPLY_PHASE_FAILED)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Supply “%s” can only end finished or failed"), supply_id);
      return FALSE;
    }

  if (reason != NULL && !ev_protocol_validate_text (reason, "reason", MAX_REASON_CHARS, NULL))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid reason for the end of supply “%s”"), supply_id);
      return FALSE;
    }

  if (!store_begin_write (self, error))
    return FALSE;

  if (!select_session (self, STMT_SESSION_SELECT, supply_id, &stored, error))
    return FALSE;
  if (stored == NULL)
    {
      store_set_unknown_supply (supply_id, error);
      return FALSE;
    }

  if (g_strcmp0 (ev_supply_get_cp_id (stored), ev_supply_get_cp_id (outcome)) != 0 ||
      g_strcmp0 (ev_supply_get_driver_id (stored), ev_supply_get_driver_id (outcome)) != 0)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Supply “%s” is not at charging point “%s” for driver “%s”"),
                   supply_id,
                   ev_supply_get_cp_id (outcome),
                   ev_supply_get_driver_id (outcome));
      return FALSE;
    }

  /* Ended already: by a ticket (this is a duplicate), or by Central at a
   * fault, which only the engine's own outcome may settle. */
  if (ev_supply_is_concluded (stored) &&
      (!ev_supply_get_provisional (stored) || ev_supply_get_provisional (outcome)))
    return TRUE;

  if ((stmt = store_borrow_stmt (self, STMT_SESSION_FINISH, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, supply_id);
  store_bind_text (stmt, 2, ev_supply_phase_to_string (phase));
  sqlite3_bind_int64 (stmt, 3, ev_supply_get_seq (outcome));
  sqlite3_bind_double (stmt, 4, ev_supply_get_kwh (outcome));
  sqlite3_bind_double (stmt, 5, ev_supply_get_amount (outcome));
  store_bind_time (stmt, 6, ev_supply_get_started_at (outcome));
  sqlite3_bind_int64 (stmt, 7, ended_at > 0 ? ended_at : store_now_ms ());
  store_bind_text (stmt, 8, reason);
  sqlite3_bind_int (stmt, 9, ev_supply_get_provisional (outcome) ? 1 : 0);
  if (!store_step_done (self, stmt, error))
    return FALSE;

  if (out_recorded != NULL)
    *out_recorded = sqlite3_changes (self->db) > 0;
  return TRUE;
}

/**
 * ev_store_lookup_session:
 * @self: a store
 * @supply_id: a supply's id
 * @error: return location for an error
 *
 * Looks a supply up, whether in progress or ended (for a driver that
 * recovers after a crash).
 *
 * Returns: (transfer full): the supply, or %NULL with @error set
 *   (%EV_STORE_ERROR_NOT_FOUND if there is none)
 */
EvSupply *
ev_store_lookup_session (EvStore     *self,
                         const char  *supply_id,
                         GError     **error)
{
  EvSupply *session = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!store_check_supply_id (supply_id, error) ||
      !select_session (self, STMT_SESSION_SELECT, supply_id, &session, error))
    return NULL;

  if (session == NULL)
    store_set_unknown_supply (supply_id, error);

  return session;
}

/**
 * ev_store_find_open_session:
 * @self: a store
 * @cp_id: (nullable): a charging point's id
 * @driver_id: (nullable): a driver's id
 * @error: return location for an error
 *
 * Finds the supply that has not ended at @cp_id, or else of @driver_id;
 * there is at most one of each. Give at least one of them.
 *
 * Returns: (transfer full) (nullable): the supply, or %NULL if there is
 *   none (@error unset) or on error (@error set)
 */
EvSupply *
ev_store_find_open_session (EvStore     *self,
                            const char  *cp_id,
                            const char  *driver_id,
                            GError     **error)
{
  EvSupply *session = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (cp_id != NULL || driver_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((cp_id != NULL && !store_check_cp_id (cp_id, error)) ||
      (driver_id != NULL && !store_check_driver_id (driver_id, error)))
    return NULL;

  if (cp_id != NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_CP, cp_id, &session, error))
    return NULL;

  if (session == NULL && driver_id != NULL &&
      !select_session (self, STMT_SESSION_OPEN_BY_DRIVER, driver_id, &session, error))
    return NULL;

  return session;
}

/**
 * ev_store_load_open_sessions:
 * @self: a store
 * @error: return location for an error
 *
 * Loads every supply that has not ended, oldest authorisation first: what
 * Central resumes following after a restart.
 *
 * Returns: (transfer full) (element-type EvSupply): the supplies,
 *   or %NULL with @error set
 */
GPtrArray *
ev_store_load_open_sessions (EvStore  *self,
                             GError  **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((stmt = store_borrow_stmt (self, STMT_SESSION_OPEN_ALL, error)) == NULL)
    return NULL;

  return collect_sessions (self, stmt, error);
}

/**
 * ev_store_load_history:
 * @self: a store
 * @driver_id: (nullable): only this driver's supplies, or %NULL for all
 * @limit: at most this many, or 0 for all
 * @error: return location for an error
 *
 * Loads ended supplies (tickets and faults), the most recently ended
 * first.
 *
 * Returns: (transfer full) (element-type EvSupply): the supplies,
 *   or %NULL with @error set
 */
GPtrArray *
ev_store_load_history (EvStore     *self,
                       const char  *driver_id,
                       guint        limit,
                       GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (driver_id != NULL && !store_check_driver_id (driver_id, error))
    return NULL;

  stmt = store_borrow_stmt (self,
                            driver_id != NULL ? STMT_SESSION_HISTORY_BY_DRIVER : STMT_SESSION_HISTORY,
                            error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  if (driver_id != NULL)
    store_bind_text (stmt, 2, driver_id);

  return collect_sessions (self, stmt, error);
}

/**
 * ev_store_record_denial:
 * @self: a store
 * @request_id: the denied request's id
 * @reason: why, as on the wire (`cp-busy`…)
 * @error: return location for an error
 *
 * Remembers that Central denied @request_id, in the current batch; the
 * first reason recorded for a request stays.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_record_denial (EvStore     *self,
                        const char  *request_id,
                        const char  *reason,
                        GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (request_id != NULL && reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_begin_write (self, error))
    return FALSE;
  stmt = store_borrow_stmt (self, STMT_DENIAL_INSERT, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, request_id);
  store_bind_text (stmt, 2, reason);
  sqlite3_bind_int64 (stmt, 3, store_now_ms ());
  return store_step_done (self, stmt, error);
}

/**
 * ev_store_lookup_denial:
 * @self: a store
 * @request_id: a request's id
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the reason @request_id was denied,
 *   or %NULL if it was not (or on error, with @error set)
 */
char *
ev_store_lookup_denial (EvStore     *self,
                        const char  *request_id,
                        GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (request_id != NULL, NULL);

  stmt = store_borrow_stmt (self, STMT_DENIAL_SELECT, error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, 1, request_id);
  if ((rc = store_step (self, stmt, error)) == 0 || rc != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

/* OCPP transactions */

/**
 * ev_store_start_ocpp_transaction:
 * @self: a store
 * @supply_id: a supply that has not ended
 * @meter_start: the charger's meter when the transaction started, in Wh
 * @transaction_id: (out): the transactionId of the supply
 * @stored_meter_start: (out) (optional): the meter it started at
 * @error: return location for an error
 *
 * Gives @supply_id the next OCPP transactionId, in the current batch, or
 * returns the one it already has (with the meter it was first given:
 * a StartTransaction the charger repeats changes nothing).
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_NOT_FOUND if
 *   @supply_id is not a supply that has not ended
 */
gboolean
ev_store_start_ocpp_transaction (EvStore     *self,
                                 const char  *supply_id,
                                 gint64       meter_start,
                                 gint64      *transaction_id,
                                 gint64      *stored_meter_start,
                                 GError     **error)
{
  g_autoptr(EvBorrowedStmt) update = NULL;
  g_autoptr(EvBorrowedStmt) select = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (transaction_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_supply_id (supply_id, error) || !store_begin_write (self, error))
    return FALSE;
  update = store_borrow_stmt (self, STMT_SESSION_OCPP_START, error);
  if (update == NULL)
    return FALSE;
  store_bind_text (update, 1, supply_id);
  sqlite3_bind_int64 (update, 2, meter_start);
  if (!store_step_done (self, update, error))
    return FALSE;

  select = store_borrow_stmt (self, STMT_SESSION_OCPP_SELECT, error);
  if (select == NULL)
    return FALSE;
  store_bind_text (select, 1, supply_id);
  if ((rc = store_step (self, select, error)) == 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NOT_FOUND,
                   _("No supply %s under way"), supply_id);
      return FALSE;
    }
  *transaction_id = sqlite3_column_int64 (select, 0);
  if (stored_meter_start != NULL)
    *stored_meter_start = sqlite3_column_int64 (select, 1);
  return TRUE;
}

/**
 * ev_store_get_ocpp_transaction:
 * @self: a store
 * @supply_id: a supply
 * @transaction_id: (out): its OCPP transactionId
 * @error: return location for an error
 *
 * Returns: %TRUE if @supply_id has a transactionId (%FALSE also on
 *   error, with @error set)
 */
gboolean
ev_store_get_ocpp_transaction (EvStore     *self,
                               const char  *supply_id,
                               gint64      *transaction_id,
                               GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (transaction_id != NULL, FALSE);

  if (supply_id == NULL || (stmt = store_borrow_stmt (self, STMT_SESSION_OCPP_SELECT, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, supply_id);
  if (store_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  *transaction_id = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/**
 * ev_store_lookup_ocpp_transaction:
 * @self: a store
 * @transaction_id: an OCPP transactionId
 * @meter_start: (out) (optional): the meter it started at, in Wh
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the supply @transaction_id was
 *   given to, ended or not, or %NULL if none was (or on error, with
 *   @error set)
 */
char *
ev_store_lookup_ocpp_transaction (EvStore     *self,
                                  gint64       transaction_id,
                                  gint64      *meter_start,
                                  GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);

  stmt = store_borrow_stmt (self, STMT_SESSION_OCPP_LOOKUP, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, transaction_id);
  if ((rc = store_step (self, stmt, error)) == 0 || rc != SQLITE_ROW)
    return NULL;
  if (meter_start != NULL)
    *meter_start = sqlite3_column_int64 (stmt, 1);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

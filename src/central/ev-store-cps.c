/* ev-store-cps.c: the charging points' rows (registration, tokens, keys,
 * state, price, location, approval) and the drivers' (keys). */

#include "config.h"

#include <gobject/gvaluecollector.h>

#include "ev-store-private.h"

/* Tokens */

static char *
hash_token (const char *salt,
            const char *token)
{
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                    (const guchar *) salt, strlen (salt),
                                    token, -1);
}

/* Runs @stmt, a write to @cp_id's row, which an unknown id leaves
 * unchanged. */
static gboolean
step_cp_write (EvStore       *self,
               sqlite3_stmt  *stmt,
               const char    *cp_id,
               GError       **error)
{
  if (!store_step_done (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    {
      store_set_unknown_cp (cp_id, error);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_store_register_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is, as its station reports it
 * @price: the price per kWh Central assigns, in EUR
 * @error: return location for an error
 *
 * ev_store_register_cp_with_nonce() without a nonce.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
char *
ev_store_register_cp (EvStore     *self,
                      const char  *cp_id,
                      const char  *location,
                      double       price,
                      GError     **error)
{
  return ev_store_register_cp_with_nonce (self, cp_id, location, price, NULL, error);
}

static char *
hash_nonce (const char *nonce)
{
  return nonce != NULL ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, nonce, -1) : NULL;
}

/**
 * ev_store_register_cp_with_nonce:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is, as its station reports it
 * @price: the price per kWh Central assigns, in EUR
 * @nonce: (nullable): the registration's nonce, which its monitor keeps
 *   until it has its token
 * @error: return location for an error
 *
 * Registers a charging point, or registers again one whose token was
 * reset by ev_store_reset_token() (or that was registered before tokens
 * existed, or was forgotten), and issues it a new token. Only salted
 * hashes of the token and a hash of @nonce are stored: the returned
 * string is the only copy of the token.
 *
 * A registration repeated with the same @nonce (its answer was lost) is
 * answered again: since the token cannot be recovered from its hash, a new
 * one replaces it, which is as safe, since only the nonce's holder can
 * ask.
 *
 * Registration is committed before this returns, together with the rest
 * of the current batch.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 *   (%EV_STORE_ERROR_EXISTS if the charging point is registered, has a
 *   token, and @nonce is not its registration's)
 */
char *
ev_store_register_cp_with_nonce (EvStore     *self,
                                 const char  *cp_id,
                                 const char  *location,
                                 double       price,
                                 const char  *nonce,
                                 GError     **error)
{
  return ev_store_register_cp_pending (self, cp_id, location, price, nonce, FALSE, error);
}

/**
 * ev_store_register_cp_pending:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is
 * @price: its price in EUR/kWh
 * @nonce: (nullable): the registration's nonce
 * @pending: whether a new charging point (or a forgotten one registering
 *   anew) awaits the operator's approval (ev_store_approve_cp())
 * @error: return location for an error
 *
 * Like ev_store_register_cp_with_nonce(); a charging point the store
 * knows already keeps its approval.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
char *
ev_store_register_cp_pending (EvStore     *self,
                              const char  *cp_id,
                              const char  *location,
                              double       price,
                              const char  *nonce,
                              gboolean     pending,
                              GError     **error)
{
  g_autofree char *token = NULL;
  g_autofree char *salt = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *nonce_hash = hash_nonce (nonce);
  g_autoptr(EvBorrowedStmt) select = NULL;
  g_autoptr(EvBorrowedStmt) write = NULL;
  gboolean has_token;
  gboolean repeat = FALSE;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!store_check_cp_id (cp_id, error) ||
      !store_check_text (location, "location", EV_PROTOCOL_LOCATION_MAX_LENGTH, error) ||
      !store_check_number (price, "price", error))
    return NULL;

  if ((token = ev_protocol_random_hex (TOKEN_BYTES, error)) == NULL ||
      (salt = ev_protocol_random_hex (SALT_BYTES, error)) == NULL)
    return NULL;
  hash = hash_token (salt, token);

  if ((select = store_borrow_stmt (self, STMT_CP_SELECT_TOKEN, error)) == NULL)
    return NULL;
  store_bind_text (select, 1, cp_id);
  if ((rc = store_step (self, select, error)) == 0)
    return NULL;
  has_token = rc == SQLITE_ROW && sqlite3_column_type (select, 1) != SQLITE_NULL;
  if (has_token && nonce_hash != NULL && sqlite3_column_type (select, 2) != SQLITE_NULL)
    repeat = store_equal_in_constant_time ((const char *) sqlite3_column_text (select, 2), nonce_hash);
  g_clear_pointer (&select, store_borrowed_stmt_release);
  if (has_token && !repeat)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_EXISTS,
                   _("Charging point “%s” is already registered"), cp_id);
      return NULL;
    }

  if (!store_begin_write (self, error))
    return NULL;

  /* A row without a token, or forgotten, is registered again; a new
   * charging point gets a row. */
  for (StmtId id = repeat ? STMT_CP_RENEW_TOKEN : STMT_CP_REREGISTER; ; id = STMT_CP_INSERT)
    {
      if ((write = store_borrow_stmt (self, id, error)) == NULL)
        return NULL;
      store_bind_text (write, 1, cp_id);
      store_bind_text (write, 2, location);
      sqlite3_bind_double (write, 3, price);
      sqlite3_bind_int64 (write, 4, store_now_ms ());
      store_bind_text (write, 5, salt);
      store_bind_text (write, 6, hash);
      store_bind_text (write, 7, nonce_hash);
      if (id != STMT_CP_RENEW_TOKEN)
        sqlite3_bind_int (write, 8, pending ? 0 : 1);
      if (!store_step_done (self, write, error))
        return NULL;
      g_clear_pointer (&write, store_borrowed_stmt_release);
      if (id == STMT_CP_INSERT || sqlite3_changes (self->db) > 0)
        break;
    }

  /* The token leaves this function only once its hash is on disk. */
  if (!ev_store_flush (self, error))
    return NULL;

  return g_steal_pointer (&token);
}

/**
 * ev_store_verify_token:
 * @self: a store
 * @cp_id: the charging point's id
 * @token: the token it presents
 * @error: return location for an error
 *
 * Checks the token a charging point presents, in time that does not depend
 * on how much of it is right.
 *
 * Returns: %TRUE if @token is the charging point's; otherwise %FALSE with
 *   %EV_STORE_ERROR_NOT_FOUND (unknown charging point),
 *   %EV_STORE_ERROR_BAD_TOKEN (wrong token), %EV_STORE_ERROR_NO_TOKEN (it
 *   must register again) or %EV_STORE_ERROR_INVALID_ARGUMENT (invalid id)
 */
gboolean
ev_store_verify_token (EvStore     *self,
                       const char  *cp_id,
                       const char  *token,
                       GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  g_autofree char *hash = NULL;
  const char *salt;
  const char *stored;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_cp_id (cp_id, error))
    return FALSE;

  if ((stmt = store_borrow_stmt (self, STMT_CP_SELECT_TOKEN, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, cp_id);
  if ((rc = store_step (self, stmt, error)) == 0)
    return FALSE;

  if (rc != SQLITE_ROW)
    {
      store_set_unknown_cp (cp_id, error);
      return FALSE;
    }

  salt = (const char *) sqlite3_column_text (stmt, 0);
  stored = (const char *) sqlite3_column_text (stmt, 1);
  if (salt == NULL || stored == NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_NO_TOKEN,
                   _("Charging point “%s” has no token and must register again"),
                   cp_id);
      return FALSE;
    }

  if (token == NULL || token[0] == '\0' || strlen (token) > MAX_TOKEN_BYTES ||
      !store_equal_in_constant_time ((hash = hash_token (salt, token)), stored))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_BAD_TOKEN,
                   _("Wrong token for charging point “%s”"), cp_id);
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_store_reset_token:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Forgets a charging point's token, on the operator's word, so that its
 * monitor may register it again (ev_store_register_cp()) and receive a new
 * one. Its old token no longer authenticates it. Committed before this
 * returns, with the rest of the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_reset_token (EvStore     *self,
                      const char  *cp_id,
                      GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_cp_id (cp_id, error) || !store_begin_write (self, error))
    return FALSE;

  if ((stmt = store_borrow_stmt (self, STMT_CP_RESET_TOKEN, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, cp_id);
  if (!step_cp_write (self, stmt, cp_id, error))
    return FALSE;

  return ev_store_flush (self, error);
}

/**
 * ev_store_forget_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Forgets a charging point on the operator's word: it, its token and its
 * registration are gone (ev_store_load_charging_points() leaves it out,
 * its token no longer authenticates it, and its id may be registered
 * anew). The supplies it gave stay in the history. Committed before this
 * returns, with the rest of the current batch.
 *
 * Returns: %TRUE on success; %FALSE with %EV_STORE_ERROR_NOT_FOUND for an
 *   unknown charging point, or %EV_STORE_ERROR_IN_PROGRESS while a supply
 *   at it has not ended
 */
gboolean
ev_store_forget_cp (EvStore     *self,
                    const char  *cp_id,
                    GError     **error)
{
  g_autoptr(EvSupply) open = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!store_check_cp_id (cp_id, error))
    return FALSE;

  open = ev_store_find_open_session (self, cp_id, NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (open != NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS,
                   _("Charging point “%s” has a supply in progress"), cp_id);
      return FALSE;
    }

  if (!store_begin_write (self, error))
    return FALSE;

  for (StmtId id = STMT_CP_DELETE; ; id = STMT_CP_FORGET)
    {
      if ((stmt = store_borrow_stmt (self, id, error)) == NULL)
        return FALSE;
      store_bind_text (stmt, 1, cp_id);
      if (!store_step_done (self, stmt, error))
        return FALSE;
      g_clear_pointer (&stmt, store_borrowed_stmt_release);
      if (sqlite3_changes (self->db) > 0)
        break;
      if (id == STMT_CP_FORGET)
        {
          store_set_unknown_cp (cp_id, error);
          return FALSE;
        }
    }

  return ev_store_flush (self, error);
}

/**
 * ev_store_load_charging_points:
 * @self: a store
 * @error: return location for an error
 *
 * Loads every registered charging point, ordered by id, with its location,
 * price and last stored state. Supply figures are not set: see
 * ev_store_load_open_sessions().
 *
 * Returns: (transfer full) (element-type EvChargingPoint): the charging
 *   points, or %NULL with @error set
 */
GPtrArray *
ev_store_load_charging_points (EvStore  *self,
                               GError  **error)
{
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((stmt = store_borrow_stmt (self, STMT_CP_LOAD, error)) == NULL)
    return NULL;

  cps = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = store_step (self, stmt, error)) == SQLITE_ROW)
    {
      EvChargingPoint *cp;
      EvCpState state = EV_CP_STATE_DISCONNECTED;
      double price = sqlite3_column_double (stmt, 2);

      cp = ev_charging_point_new ((const char *) sqlite3_column_text (stmt, 0));
      ev_charging_point_set_location (cp, (const char *) sqlite3_column_text (stmt, 1));
      ev_charging_point_set_price (cp, isfinite (price) && price >= 0 ? price : 0.0);
      ev_cp_state_from_string ((const char *) sqlite3_column_text (stmt, 3), &state);
      ev_charging_point_set_state (cp, state);
      ev_charging_point_set_pending (cp, sqlite3_column_int (stmt, 4) == 0);
      g_ptr_array_add (cps, cp);
    }

  if (rc == 0)
    return NULL;

  return g_steal_pointer (&cps);
}

/* One-column updates ------------------------------------------------------ */

static gboolean
check_state (const GValue  *value,
             GError       **error)
{
  EvCpState state;

  if (ev_cp_state_from_string (g_value_get_string (value), &state))
    return TRUE;

  g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
               _("Invalid charging point state “%s”"),
               g_value_get_string (value) != NULL && g_utf8_validate (g_value_get_string (value), -1, NULL)
               ? g_value_get_string (value) : "");
  return FALSE;
}

static gboolean
check_price (const GValue  *value,
             GError       **error)
{
  return store_check_number (g_value_get_double (value), "price", error);
}

static gboolean
check_location (const GValue  *value,
                GError       **error)
{
  return store_check_text (g_value_get_string (value), "location", EV_PROTOCOL_LOCATION_MAX_LENGTH, error);
}

static gboolean
check_time (const GValue  *value,
            GError       **error)
{
  return store_check_time (g_value_get_int64 (value), error);
}

/* The values of a charging point's row that change one at a time: its
 * column, the type of its value, the statement that writes it (?1 the CP,
 * ?2 the value) and the check of the value. */
static const struct
{
  const char *column;
  GType type;
  StmtId stmt;
  gboolean (*check) (const GValue *value, GError **error);
} cp_columns[] = {
  { "state", G_TYPE_STRING, STMT_CP_SET_STATE, check_state },
  { "price", G_TYPE_DOUBLE, STMT_CP_SET_PRICE, check_price },
  { "location", G_TYPE_STRING, STMT_CP_SET_LOCATION, check_location },
  { "approved", G_TYPE_BOOLEAN, STMT_CP_APPROVE, NULL },
  { "last_seen", G_TYPE_INT64, STMT_CP_TOUCH, check_time },
};

/**
 * ev_store_set_cp_column:
 * @self: a store
 * @cp_id: the charging point's id
 * @column: which of its values: `state` (a string, the wire name of an
 *   #EvCpState), `price` (a double, EUR/kWh), `location` (a string),
 *   `approved` (a boolean) or `last_seen` (a gint64, ms since the epoch)
 * @value: the new value, of the column's type
 * @error: return location for an error
 *
 * Records one value of a charging point's row, in the current batch. A
 * column not in that list, a value of another type or a value out of
 * range is refused with %EV_STORE_ERROR_INVALID_ARGUMENT before anything
 * is written.
 *
 * Returns: %TRUE on success; %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_set_cp_column (EvStore       *self,
                        const char    *cp_id,
                        const char    *column,
                        const GValue  *value,
                        GError       **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  guint i;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (column != NULL, FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (i = 0; i < G_N_ELEMENTS (cp_columns) && !g_str_equal (cp_columns[i].column, column); i++)
    ;
  if (i == G_N_ELEMENTS (cp_columns))
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("A charging point has no column “%s” that can be set"),
                   g_utf8_validate (column, -1, NULL) ? column : "");
      return FALSE;
    }
  if (G_VALUE_TYPE (value) != cp_columns[i].type)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("The column “%s” takes a %s, not a %s"),
                   column, g_type_name (cp_columns[i].type), G_VALUE_TYPE_NAME (value));
      return FALSE;
    }
  if (!store_check_cp_id (cp_id, error) ||
      (cp_columns[i].check != NULL && !cp_columns[i].check (value, error)) ||
      !store_begin_write (self, error) ||
      (stmt = store_borrow_stmt (self, cp_columns[i].stmt, error)) == NULL)
    return FALSE;

  store_bind_text (stmt, 1, cp_id);
  if (G_VALUE_HOLDS_STRING (value))
    store_bind_text (stmt, 2, g_value_get_string (value));
  else if (G_VALUE_HOLDS_DOUBLE (value))
    sqlite3_bind_double (stmt, 2, g_value_get_double (value));
  else if (G_VALUE_HOLDS_BOOLEAN (value))
    sqlite3_bind_int (stmt, 2, g_value_get_boolean (value) ? 1 : 0);
  else
    sqlite3_bind_int64 (stmt, 2, g_value_get_int64 (value));
  return step_cp_write (self, stmt, cp_id, error);
}

/* ev_store_set_cp_column() with a value of @type collected from the
 * arguments. */
static gboolean
set_cp (EvStore     *self,
        const char  *cp_id,
        const char  *column,
        GError     **error,
        GType        type,
        ...)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, type);
  G_VALUE_COLLECT_INIT (&value, type, args, 0, &problem);
  va_end (args);
  g_return_val_if_fail (problem == NULL, FALSE);

  return ev_store_set_cp_column (self, cp_id, column, &value, error);
}

/**
 * ev_store_set_cp_state:
 * @self: a store
 * @cp_id: the charging point's id
 * @state: its new state
 * @error: return location for an error
 *
 * Records a charging point's state, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_state (EvStore     *self,
                       const char  *cp_id,
                       EvCpState    state,
                       GError     **error)
{
  const char *name = ev_cp_state_to_string (state);

  if (name == NULL)
    {
      g_set_error (error, EV_STORE_ERROR, EV_STORE_ERROR_INVALID_ARGUMENT,
                   _("Invalid charging point state %d"), (int) state);
      return FALSE;
    }

  return set_cp (self, cp_id, "state", error, G_TYPE_STRING, name);
}

/**
 * ev_store_set_cp_price:
 * @self: a store
 * @cp_id: the charging point's id
 * @price: its new price per kWh, in EUR
 * @error: return location for an error
 *
 * Records a charging point's price, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_price (EvStore     *self,
                       const char  *cp_id,
                       double       price,
                       GError     **error)
{
  return set_cp (self, cp_id, "price", error, G_TYPE_DOUBLE, price);
}

/**
 * ev_store_set_cp_location:
 * @self: a store
 * @cp_id: the charging point's id
 * @location: where it is now said to be (as `register` takes it)
 * @error: return location for an error
 *
 * Records a charging point's location, in the current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_set_cp_location (EvStore     *self,
                          const char  *cp_id,
                          const char  *location,
                          GError     **error)
{
  return set_cp (self, cp_id, "location", error, G_TYPE_STRING, location);
}

/**
 * ev_store_approve_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Approves a charging point that registered pending, in the current
 * batch. (Rejecting one is forgetting it: ev_store_forget_cp().)
 *
 * Returns: %TRUE on success; %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_approve_cp (EvStore     *self,
                     const char  *cp_id,
                     GError     **error)
{
  return set_cp (self, cp_id, "approved", error, G_TYPE_BOOLEAN, TRUE);
}

/**
 * ev_store_touch_cp:
 * @self: a store
 * @cp_id: the charging point's id
 * @error: return location for an error
 *
 * Records that the charging point was heard from now, in the current
 * batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_touch_cp (EvStore     *self,
                   const char  *cp_id,
                   GError     **error)
{
  return set_cp (self, cp_id, "last_seen", error, G_TYPE_INT64, store_now_ms ());
}

/**
 * ev_store_get_cp_keys:
 * @self: a store
 * @cp_id: a charging point's id
 * @out_key: (out) (transfer full) (nullable): its key (base64), %NULL
 *   when Central has issued it none
 * @out_previous: (out) (transfer full) (nullable): the key @out_key
 *   replaced, or %NULL
 * @out_issued_at: (out): when @out_key was issued, ms since the epoch (0
 *   without a key)
 * @error: return location for an error
 *
 * Returns: %TRUE on success (with or without keys);
 *   %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_get_cp_keys (EvStore     *self,
                      const char  *cp_id,
                      char       **out_key,
                      char       **out_previous,
                      gint64      *out_issued_at,
                      GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (out_key != NULL && out_previous != NULL && out_issued_at != NULL, FALSE);

  *out_key = *out_previous = NULL;
  *out_issued_at = 0;
  if (!store_check_cp_id (cp_id, error))
    return FALSE;
  stmt = store_borrow_stmt (self, STMT_CP_KEY_SELECT, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, cp_id);
  if ((rc = store_step (self, stmt, error)) == 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      store_set_unknown_cp (cp_id, error);
      return FALSE;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    {
      *out_key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *out_issued_at = sqlite3_column_int64 (stmt, 2);
    }
  if (sqlite3_column_type (stmt, 1) == SQLITE_TEXT)
    *out_previous = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  return TRUE;
}

/**
 * ev_store_set_cp_key:
 * @self: a store
 * @cp_id: a charging point's id
 * @key: the key (base64) Central issues it now
 * @issued_at: now, ms since the epoch
 * @error: return location for an error
 *
 * Records a new key for @cp_id in the current batch; its key until now
 * becomes its previous key (Central accepts both for a while).
 *
 * Returns: %TRUE on success; %EV_STORE_ERROR_NOT_FOUND for an unknown id
 */
gboolean
ev_store_set_cp_key (EvStore     *self,
                     const char  *cp_id,
                     const char  *key,
                     gint64       issued_at,
                     GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!store_check_cp_id (cp_id, error) || !store_begin_write (self, error))
    return FALSE;
  stmt = store_borrow_stmt (self, STMT_CP_KEY_SET, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, cp_id);
  store_bind_text (stmt, 2, key);
  sqlite3_bind_int64 (stmt, 3, issued_at);
  return step_cp_write (self, stmt, cp_id, error);
}

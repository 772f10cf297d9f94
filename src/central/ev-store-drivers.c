/* ev-store-drivers.c: the drivers' rows: when each was last heard of, and
 * the key each id is bound to. */

#include "config.h"

#include "ev-store-private.h"

gboolean
store_touch_driver (EvStore     *self,
                    const char  *driver_id,
                    GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = store_borrow_stmt (self, STMT_DRIVER_TOUCH, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, driver_id);
  sqlite3_bind_int64 (stmt, 2, store_now_ms ());
  return store_step_done (self, stmt, error);
}

/**
 * ev_store_touch_driver:
 * @self: a store
 * @driver_id: the driver's id (or `station:<cp_id>` for a supply requested
 *   at the station)
 * @error: return location for an error
 *
 * Records that the driver was heard from now, adding it if new, in the
 * current batch.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_touch_driver (EvStore     *self,
                       const char  *driver_id,
                       GError     **error)
{
  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return store_check_driver_id (driver_id, error) &&
         store_begin_write (self, error) &&
         store_touch_driver (self, driver_id, error);
}

/**
 * ev_store_driver_is_known:
 * @self: a store
 * @driver_id: a driver id
 * @error: return location for an error
 *
 * Returns: %TRUE if @driver_id has asked Central for a supply (%FALSE
 *   also on error, with @error set)
 */
gboolean
ev_store_driver_is_known (EvStore     *self,
                          const char  *driver_id,
                          GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);

  if (driver_id == NULL || (stmt = store_borrow_stmt (self, STMT_DRIVER_SELECT, error)) == NULL)
    return FALSE;
  store_bind_text (stmt, 1, driver_id);
  return store_step (self, stmt, error) == SQLITE_ROW;
}

/**
 * ev_store_get_driver_key:
 * @self: a store
 * @driver_id: a driver id
 * @out_key: (out) (transfer full) (nullable): the public key (base64) the
 *   id is bound to, or %NULL when it is bound to none
 * @error: return location for an error
 *
 * Returns: %TRUE on success (with or without a key)
 */
gboolean
ev_store_get_driver_key (EvStore     *self,
                         const char  *driver_id,
                         char       **out_key,
                         GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (out_key != NULL, FALSE);

  *out_key = NULL;
  stmt = store_borrow_stmt (self, STMT_DRIVER_KEY_SELECT, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, driver_id);
  if ((rc = store_step (self, stmt, error)) == 0)
    return FALSE;
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    *out_key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return TRUE;
}

/**
 * ev_store_bind_driver_key:
 * @self: a store
 * @driver_id: a driver id (added if new)
 * @public_key: the public key (base64) it is bound to from now on
 * @error: return location for an error
 *
 * Binds @driver_id to @public_key, in the current batch: Central then
 * accepts requests for that id signed by that key only.
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_bind_driver_key (EvStore     *self,
                          const char  *driver_id,
                          const char  *public_key,
                          GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (!store_check_driver_id (driver_id, error) || !store_begin_write (self, error))
    return FALSE;
  stmt = store_borrow_stmt (self, STMT_DRIVER_KEY_BIND, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, driver_id);
  sqlite3_bind_int64 (stmt, 2, store_now_ms ());
  store_bind_text (stmt, 3, public_key);
  return store_step_done (self, stmt, error);
}

/**
 * ev_store_forget_driver_key:
 * @self: a store
 * @driver_id: a driver id
 * @out_forgotten: (out) (optional): whether the id was bound to a key
 * @error: return location for an error
 *
 * Unbinds @driver_id from its key, in the current batch: its next signed
 * request binds it again (the operator's recovery for a lost key).
 *
 * Returns: %TRUE on success
 */
gboolean
ev_store_forget_driver_key (EvStore     *self,
                            const char  *driver_id,
                            gboolean    *out_forgotten,
                            GError     **error)
{
  g_autoptr(EvBorrowedStmt) stmt = NULL;

  g_return_val_if_fail (EV_IS_STORE (self), FALSE);

  if (!store_check_driver_id (driver_id, error) || !store_begin_write (self, error))
    return FALSE;
  stmt = store_borrow_stmt (self, STMT_DRIVER_KEY_FORGET, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, 1, driver_id);
  if (!store_step_done (self, stmt, error))
    return FALSE;
  if (out_forgotten != NULL)
    *out_forgotten = sqlite3_changes (self->db) > 0;
  return TRUE;
}

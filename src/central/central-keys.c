/* central-keys.c: the keys Central signs with and checks: its own signing
 * key, the charging points' keys, and the keys drivers' ids are bound to
 * (docs/protocol.md, "Signed messages", "Charging-point keys"). */

#include "config.h"

#include "central-core-private.h"

/* CP keys ------------------------------------------------------------------ */

static gboolean
load_cp_keys (CentralCore  *self,
              CpRecord     *rec,
              GError      **error)
{
  g_autofree char *key = NULL;
  g_autofree char *previous = NULL;
  gint64 issued_at = 0;

  if (rec->keys_loaded)
    return TRUE;
  if (!ev_store_get_cp_keys (self->store, ev_charging_point_get_cp_id (rec->cp), &key, &previous,
                             &issued_at, error))
    return FALSE;
  rec->has_key = key != NULL && ev_cp_key_from_base64 (key, &rec->key, NULL);
  rec->has_previous = previous != NULL && ev_cp_key_from_base64 (previous, &rec->previous, NULL);
  rec->key_issued_at = issued_at;
  rec->keys_loaded = TRUE;
  return TRUE;
}

/* Gives @rec a new key (stored in the current batch) when it has none,
 * when @renew, or when its key is a day old. Returns its key in base64,
 * or %NULL with @error set; *@fresh says whether it is new (then it may
 * only be handed out once committed). */
char *
central_ensure_cp_key (CentralCore  *self,
                       CpRecord     *rec,
                       gboolean      renew,
                       gboolean     *fresh,
                       GError      **error)
{
  gint64 now = ev_protocol_now_ms ();
  g_autofree char *text = NULL;
  EvCpKey key;

  *fresh = FALSE;
  if (!load_cp_keys (self, rec, error))
    return NULL;
  if (rec->has_key && !renew && now - rec->key_issued_at < CP_KEY_MAX_AGE_MS)
    return ev_cp_key_to_base64 (&rec->key);

  if (!ev_cp_key_generate (&key, error))
    return NULL;
  text = ev_cp_key_to_base64 (&key);
  if (!ev_store_set_cp_key (self->store, ev_charging_point_get_cp_id (rec->cp), text, now, error))
    return NULL;
  rec->previous = rec->key;
  rec->has_previous = rec->has_key;
  rec->key = key;
  rec->has_key = TRUE;
  rec->key_issued_at = now;
  *fresh = TRUE;
  return g_steal_pointer (&text);
}

/* Says that a message on @topic for @cp_id was refused for its key, at
 * most once a minute per CP (with how many since), so that a flood of
 * forgeries cannot flood the log. */
static void
emit_forged (CentralCore *self,
             const char  *topic,
             const char  *cp_id,
             const char  *reason)
{
  g_autofree char *what = g_strconcat (topic, " ", cp_id, NULL);
  LogThrottle *throttle = g_hash_table_lookup (self->forged, what);
  g_autofree char *message = NULL;
  g_autofree char *described = NULL;
  CentralEventData data = { .topic = topic, .cp_id = cp_id };

  if (throttle == NULL)
    {
      throttle = g_new0 (LogThrottle, 1);
      g_hash_table_insert (self->forged, g_steal_pointer (&what), throttle);
    }
  if (!central_log_throttle_take (throttle, FORGED_LOG_INTERVAL_US, &data.count))
    return;
  described = g_strdup_printf (_("a message as charging point %s: %s"), cp_id, reason);
  data.reason = described;
  if (data.count > 1)
    message = g_strdup_printf (_("Skipped %u messages on “%s” in the last minute, the last %s"),
                               data.count, topic, described);
  else
    message = g_strdup_printf (_("Skipped a message on “%s”: %s"), topic, described);
  central_emit (self, CENTRAL_EVENT_INVALID_MESSAGE, CENTRAL_LOG_WARNING, message, &data);
}

/* Whether @msg (on "supply-data", or a station's "supply-req") carries the
 * MAC of @cp_id's key, or of the key it replaced within the overlap. A
 * ticket of a supply that started before the replacement may carry the
 * replaced key whatever its age (@started_at: the supply's start, ms since
 * the epoch, 0 if not started or unknown; -1 for messages other than
 * tickets). What fails is skipped as an invalid message; when the keys of
 * a CP cannot be read for a `supply-data`, %FALSE with @store_error set,
 * and @msg is the caller's to hold. */
gboolean
central_check_cp_mac (CentralCore   *self,
                      EvBusMessage  *msg,
                      const char    *cp_id,
                      const char    *text,
                      gsize          length,
                      gint64         started_at,
                      GError       **store_error)
{
  const char *topic = ev_bus_message_get_topic (msg);
  CpRecord *rec = g_hash_table_lookup (self->records, cp_id);
  g_autoptr(GError) error = NULL;
  EvCpKey keys[2];
  guint n_keys = 0, which = 0;

  if (self->insecure_bus)
    return TRUE;

  /* A ticket waits for the store; a request is refused (it may be in
   * the refusing path already). */
  if (rec != NULL && !load_cp_keys (self, rec, &error) && g_str_equal (topic, "supply-data"))
    {
      g_propagate_error (store_error, g_steal_pointer (&error));
      return FALSE;
    }
  g_clear_error (&error);
  if (rec != NULL && rec->has_key)
    keys[n_keys++] = rec->key;
  if (rec != NULL && rec->has_previous)
    keys[n_keys++] = rec->previous;

  if (ev_mac_message_verify (keys, n_keys, topic, ev_bus_message_get_key (msg), text, length, &which, &error))
    {
      gint64 replaced = rec->key_issued_at;

      if (which == 0 || ev_protocol_now_ms () - replaced < self->cp_key_overlap ||
          (started_at >= 0 && started_at < replaced))
        return TRUE;
      g_set_error_literal (&error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY,
                           _("the code is made with a key that has been replaced"));
    }
  emit_forged (self, topic, cp_id, error->message);
  ev_bus_message_skip (self->bus, msg, error->message);
  return FALSE;
}

/* A driver's request must be signed by the key its driver id is bound
 * to; the first signed request of an id binds it (docs/protocol.md,
 * “Signed messages”). Returns %FALSE when @msg is done with (rejected as
 * an invalid message), or with @store_error set when the binding could
 * not be read or stored (the caller holds @msg). */
gboolean
central_check_request_author (CentralCore           *self,
                              EvBusMessage          *msg,
                              const EvSupplyRequest *request,
                              const char            *data,
                              gsize                  length,
                              GError               **store_error)
{
  g_autoptr(EvVerifyKey) signer = NULL;
  g_autoptr(GError) error = NULL;
  EvVerifyKey *bound;

  if (self->insecure_bus)
    return TRUE;
  /* Station requests are the engines': they carry their CP's MAC. */
  if (request->origin != EV_SUPPLY_ORIGIN_DRIVER)
    return central_check_cp_mac (self, msg, request->cp_id, data, length, -1, NULL);

  bound = g_hash_table_lookup (self->driver_keys, request->driver_id);
  if (bound == NULL)
    {
      g_autofree char *stored = NULL;

      if (!ev_store_get_driver_key (self->store, request->driver_id, &stored, &error))
        {
          g_propagate_error (store_error, g_steal_pointer (&error));
          return FALSE;
        }
      if (stored != NULL && (bound = ev_verify_key_new_from_base64 (stored, NULL)) != NULL)
        g_hash_table_insert (self->driver_keys, g_strdup (request->driver_id), bound);
    }

  if (!ev_signed_message_verify ("supply-req", ev_bus_message_get_key (msg), data, length,
                                 bound, &signer, &error))
    {
      g_autofree char *reason = g_strdup_printf (_("a request as driver %s: %s"),
                                                 request->driver_id, error->message);

      central_emit_invalid_message (self, "supply-req", reason);
      ev_bus_message_skip (self->bus, msg, reason);
      return FALSE;
    }
  if (bound != NULL)
    return TRUE;

  if (!ev_store_bind_driver_key (self->store, request->driver_id, ev_verify_key_get_base64 (signer), &error))
    {
      g_propagate_error (store_error, g_steal_pointer (&error));
      return FALSE;
    }
  g_hash_table_insert (self->driver_keys, g_strdup (request->driver_id), g_steal_pointer (&signer));
  return TRUE;
}

/**
 * central_core_set_signing_key:
 * @self: a core, not started
 * @key: (nullable) (transfer full): the key Central signs its messages
 *   with, or %NULL to send them unsigned
 */
void
central_core_set_signing_key (CentralCore  *self,
                              EvSigningKey *key)
{
  g_return_if_fail (CENTRAL_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  self->signing_key = key;
}

/**
 * central_core_default_signing_key_path:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/central-signing.key`
 */
char *
central_core_default_signing_key_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "central-signing.key", NULL);
}

/**
 * central_core_load_signing_key:
 * @path: (nullable): a private key file, or %NULL for the default one
 * @error: return location for an error
 *
 * Reads Central's signing key, making it on first use, and writes its
 * public key where engines and drivers of this user look for it
 * (ev_signing_central_key_path()), so that the one-machine network needs
 * no flag.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set
 */
EvSigningKey *
central_core_load_signing_key (const char  *path,
                               GError     **error)
{
  g_autofree char *default_path = central_core_default_signing_key_path ();
  g_autofree char *public_path = ev_signing_central_key_path ();
  g_autoptr(EvSigningKey) key = NULL;
  g_autoptr(EvVerifyKey) public = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean created = FALSE;

  key = ev_signing_key_load_or_create (path != NULL ? path : default_path, TRUE, &created, error);
  if (key == NULL)
    return NULL;
  if (created)
    g_debug ("Made Central’s signing key in “%s”", path != NULL ? path : default_path);
  public = ev_signing_key_dup_verify_key (key);
  if (!ev_verify_key_save (public, public_path, &local_error))
    g_message (_("Could not write Central’s public key to “%s”: %s"), public_path, local_error->message);
  g_debug ("Central signs its messages with the key of fingerprint %s", ev_signing_key_get_fingerprint (key));
  return g_steal_pointer (&key);
}

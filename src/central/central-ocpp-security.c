/* central-ocpp-security.c: OCPP security profile 2 at Central's endpoint:
 * TLS with the monitor port's certificate (central-ocpp.c), and HTTP
 * Basic auth on the handshake, before the WebSocket upgrade: the user
 * name is the CP id of the path, the password the charger's key from
 * --ocpp-keys. Wrong keys count against the CP id and the address as
 * wrong tokens do on the monitor port (central-links.c). */

#include "config.h"

#include <gnutls/gnutls.h>

#include "central-core-private.h"
#include "central-ocpp.h"
#include "central-ocpp-security.h"
#include "ev-address.h"
#include "ev-ocpp-keys.h"

#define DIGEST_LENGTH 32

struct _CentralOcppKeys
{
  GHashTable *digests;        /* CP id → SHA-256 of its key (DIGEST_LENGTH bytes) */
};

static void
digest_key (const char *key,
            guint8     *digest)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize length = DIGEST_LENGTH;

  g_checksum_update (checksum, (const guchar *) key, strlen (key));
  g_checksum_get_digest (checksum, digest, &length);
}

/**
 * central_ocpp_keys_load:
 * @path: a key file: `CP_ID KEY` lines (docs/ocpp.md)
 * @error: return location for an error
 *
 * Keeps only a digest of each key.
 *
 * Returns: (transfer full) (nullable): the keys
 */
CentralOcppKeys *
central_ocpp_keys_load (const char  *path,
                        GError     **error)
{
  g_autoptr(GHashTable) keys = ev_ocpp_keys_load (path, error);
  CentralOcppKeys *self;
  GHashTableIter iter;
  const char *cp_id;
  char *key;

  if (keys == NULL)
    return NULL;
  self = g_new0 (CentralOcppKeys, 1);
  self->digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, (gpointer *) &cp_id, (gpointer *) &key))
    {
      guint8 *digest = g_malloc (DIGEST_LENGTH);

      digest_key (key, digest);
      memset (key, 0, strlen (key));
      g_hash_table_insert (self->digests, g_strdup (cp_id), digest);
    }
  return self;
}

/**
 * central_ocpp_keys_free:
 * @keys: keys
 */
void
central_ocpp_keys_free (CentralOcppKeys *keys)
{
  g_hash_table_destroy (keys->digests);
  g_free (keys);
}

/**
 * central_ocpp_keys_count:
 * @keys: keys
 *
 * Returns: how many chargers have a key
 */
guint
central_ocpp_keys_count (CentralOcppKeys *keys)
{
  return g_hash_table_size (keys->digests);
}

/**
 * central_ocpp_keys_check:
 * @keys: keys
 * @cp_id: a CP id
 * @password: (nullable): the password it presents
 *
 * Compares digests, in a time that depends neither on how much of
 * @password is right nor on its length; a CP id without a key is
 * compared against nothing in the same time.
 *
 * Returns: %TRUE if @password is @cp_id's key
 */
gboolean
central_ocpp_keys_check (CentralOcppKeys *keys,
                         const char      *cp_id,
                         const char      *password)
{
  static const guint8 none[DIGEST_LENGTH] = { 0 };
  const guint8 *stored = g_hash_table_lookup (keys->digests, cp_id);
  guint8 digest[DIGEST_LENGTH];
  gboolean equal;

  digest_key (password != NULL ? password : "", digest);
  equal = gnutls_memcmp (digest, stored != NULL ? stored : none, DIGEST_LENGTH) == 0;
  return equal && stored != NULL && password != NULL;
}

/**
 * central_ocpp_check_listen:
 * @listen: "ADDR:PORT"
 * @secured: whether the endpoint speaks TLS and asks every charger for
 *   its key
 * @error: return location for an error
 *
 * A plain WebSocket carries keys in clear and proves nothing of Central
 * (security profile 1 of OCPP at best), and one without keys accepts
 * anyone: unless @secured, the endpoint listens on loopback addresses
 * only (a TLS-terminating proxy on the same host is the way to serve
 * such chargers further off; docs/ocpp.md).
 *
 * Returns: %TRUE if @listen may be listened on
 */
gboolean
central_ocpp_check_listen (const char  *listen,
                           gboolean     secured,
                           GError     **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint16 port;

  if (!ev_address_split (listen, &host, &port, error))
    return FALSE;
  if (secured)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  if (g_strcmp0 (host, "localhost") != 0 &&
      (address == NULL || !g_inet_address_get_is_loopback (address)))
    {
      g_set_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                   _("Without TLS (--tls-cert, --tls-key) and the chargers’ keys (--ocpp-keys), the OCPP endpoint listens on a loopback address only, not on “%s”"),
                   host);
      return FALSE;
    }
  return TRUE;
}

/**
 * central_ocpp_path_cp_id:
 * @path: a request's path
 *
 * Returns: (transfer full) (nullable): the CP id of a path
 *   `/ocpp/<CP_ID>` (unescaped), or %NULL if it has no valid one
 */
char *
central_ocpp_path_cp_id (const char *path)
{
  g_autofree char *cp_id = NULL;

  if (g_str_has_prefix (path, CENTRAL_OCPP_PATH "/"))
    cp_id = g_uri_unescape_string (path + strlen (CENTRAL_OCPP_PATH "/"), "/");
  if (!ev_protocol_is_valid_id (cp_id))
    return NULL;
  return g_steal_pointer (&cp_id);
}

static void
emit_denied (CentralCore  *core,
             const char   *cp_id,
             const char   *peer,
             EvLinkReason  reason,
             const char   *message)
{
  CentralEventData data = { .cp_id = cp_id, .reason = ev_link_reason_to_string (reason), .peer = peer };

  central_emit (core, CENTRAL_EVENT_AUTH_DENIED, CENTRAL_LOG_WARNING, message, &data);
}

/**
 * central_ocpp_authorize:
 * @core: the core whose limits apply
 * @keys: the chargers' keys
 * @cp_id: the CP id of the handshake's path
 * @peer: the charger's "ADDR:PORT"
 * @authorization: (nullable): the handshake's `Authorization` header
 *
 * Checks a charger's handshake: %CENTRAL_OCPP_STATUS_TOO_MANY_REQUESTS while
 * @cp_id or @peer's address backs off after wrong keys,
 * %SOUP_STATUS_UNAUTHORIZED without Basic credentials, with a user name
 * other than @cp_id, or with a wrong key (logged, without the key, and
 * counted as a wrong token).
 *
 * Returns: 0 if the charger may upgrade, else the HTTP status to answer
 */
guint
central_ocpp_authorize (CentralCore     *core,
                        CentralOcppKeys *keys,
                        const char      *cp_id,
                        const char      *peer,
                        const char      *authorization)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *message = NULL;
  EvLinkReason reason = EV_LINK_REASON_BAD_TOKEN;

  if (central_check_rate_limited (core, peer, cp_id))
    return CENTRAL_OCPP_STATUS_TOO_MANY_REQUESTS;
  if (!ev_ocpp_basic_auth_decode (authorization, &user, &password))
    {
      /* A client may ask first without credentials: not a wrong key. */
      g_debug ("OCPP charger %s from %s without Basic credentials", cp_id, peer);
      return SOUP_STATUS_UNAUTHORIZED;
    }

  if (!g_str_equal (user, cp_id))
    {
      reason = EV_LINK_REASON_BOUND_TO_OTHER_CP;
      message = g_strdup_printf (_("Denied OCPP charger %s from %s: its user name (%s) is not the charge point id of its path"),
                                 cp_id, peer, ev_protocol_is_valid_id (user) ? user : "?");
    }
  else if (!central_ocpp_keys_check (keys, cp_id, password))
    message = g_strdup_printf (g_hash_table_contains (keys->digests, cp_id)
                               ? _("Denied OCPP charger %s from %s: wrong key")
                               : _("Denied OCPP charger %s from %s: it has no key in the OCPP key file"),
                               cp_id, peer);
  if (password != NULL)
    memset (password, 0, strlen (password));
  if (message != NULL)
    {
      emit_denied (core, cp_id, peer, reason, message);
      central_count_token_failure (core, peer, cp_id);
      return SOUP_STATUS_UNAUTHORIZED;
    }

  g_hash_table_remove (core->auth_limits, cp_id);
  return 0;
}

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EvSigningError:
 * @EV_SIGNING_ERROR_FAILED: the cryptography library failed
 * @EV_SIGNING_ERROR_BAD_FILE: a key file that cannot be read or is not a
 *   key of ours
 * @EV_SIGNING_ERROR_BAD_KEY: a key or fingerprint in the wrong form
 * @EV_SIGNING_ERROR_UNSIGNED: a message that carries no signature
 * @EV_SIGNING_ERROR_MALFORMED: a signature member in the wrong place or
 *   form
 * @EV_SIGNING_ERROR_WRONG_KEY: signed by a key the reader does not trust
 * @EV_SIGNING_ERROR_BAD_SIGNATURE: the signature does not match the bytes
 *
 * Why a key could not be used or a message failed its check.
 */
typedef enum {
  EV_SIGNING_ERROR_FAILED,
  EV_SIGNING_ERROR_BAD_FILE,
  EV_SIGNING_ERROR_BAD_KEY,
  EV_SIGNING_ERROR_UNSIGNED,
  EV_SIGNING_ERROR_MALFORMED,
  EV_SIGNING_ERROR_WRONG_KEY,
  EV_SIGNING_ERROR_BAD_SIGNATURE,
} EvSigningError;

#define EV_SIGNING_ERROR (ev_signing_error_quark ())

GQuark ev_signing_error_quark (void);

/**
 * EV_SIGNING_PUBLIC_SIZE:
 *
 * Bytes of a raw Ed25519 public key.
 */
#define EV_SIGNING_PUBLIC_SIZE 32

/**
 * EV_SIGNING_SIGNATURE_SIZE:
 *
 * Bytes of a raw Ed25519 signature.
 */
#define EV_SIGNING_SIGNATURE_SIZE 64

/**
 * EV_SIGNING_DOMAIN:
 *
 * The first line of every signed byte string (docs/protocol.md).
 */
#define EV_SIGNING_DOMAIN "ev-sig-1"

/**
 * EV_SIGNING_HEADER:
 *
 * The Kafka message header that carries the signature of a tombstone.
 */
#define EV_SIGNING_HEADER "ev-sig"

/**
 * EvSigningKey:
 *
 * An Ed25519 key pair that can sign. Immutable after creation.
 */
typedef struct _EvSigningKey EvSigningKey;

/**
 * EvVerifyKey:
 *
 * An Ed25519 public key that checks signatures, or a fingerprint that
 * stands for one until a message brings the key itself.
 */
typedef struct _EvVerifyKey EvVerifyKey;

EvSigningKey *ev_signing_key_generate        (GError             **error);
EvSigningKey *ev_signing_key_new_from_base64 (const char          *text,
                                              GError             **error);
EvSigningKey *ev_signing_key_load            (const char          *path,
                                              GError             **error);
EvSigningKey *ev_signing_key_load_or_create  (const char          *path,
                                              gboolean             durable,
                                              gboolean            *created,
                                              GError             **error);
gboolean      ev_signing_key_save            (EvSigningKey        *key,
                                              const char          *path,
                                              gboolean             durable,
                                              GError             **error);
char         *ev_signing_key_to_base64       (EvSigningKey        *key);
const char   *ev_signing_key_get_public_base64 (EvSigningKey      *key);
const char   *ev_signing_key_get_fingerprint (EvSigningKey        *key);
EvVerifyKey  *ev_signing_key_dup_verify_key  (EvSigningKey        *key);
GBytes       *ev_signing_key_sign            (EvSigningKey        *key,
                                              const void          *data,
                                              gsize                len,
                                              GError             **error);
void          ev_signing_key_free            (EvSigningKey        *key);

EvVerifyKey  *ev_verify_key_new_from_base64  (const char          *text,
                                              GError             **error);
EvVerifyKey  *ev_verify_key_new_from_fingerprint (const char      *hex,
                                              GError             **error);
EvVerifyKey  *ev_verify_key_new_from_argument (const char         *argument,
                                              GError             **error);
EvVerifyKey  *ev_verify_key_load             (const char          *path,
                                              GError             **error);
gboolean      ev_verify_key_save             (EvVerifyKey         *key,
                                              const char          *path,
                                              GError             **error);
const char   *ev_verify_key_get_base64       (EvVerifyKey         *key);
const char   *ev_verify_key_get_fingerprint  (EvVerifyKey         *key);
gboolean      ev_verify_key_equal            (EvVerifyKey         *a,
                                              EvVerifyKey         *b);
gboolean      ev_verify_key_verify           (EvVerifyKey         *key,
                                              const void          *data,
                                              gsize                len,
                                              const void          *signature,
                                              gsize                signature_len);
void          ev_verify_key_free             (EvVerifyKey         *key);

char         *ev_signing_central_key_path    (void);
EvVerifyKey  *ev_signing_find_central_key    (const char          *key_argument,
                                              const char          *fingerprint,
                                              GError             **error);

char         *ev_signing_fingerprint         (const void          *public_key,
                                              gsize                len);

char         *ev_signed_message_sign         (EvSigningKey        *key,
                                              const char          *topic,
                                              const char          *kafka_key,
                                              const char          *text,
                                              gsize                len,
                                              gsize               *out_len,
                                              GError             **error);
gboolean      ev_signed_message_is_signed    (const void          *value,
                                              gsize                len);
gboolean      ev_signed_message_verify       (const char          *topic,
                                              const char          *kafka_key,
                                              const void          *value,
                                              gsize                len,
                                              EvVerifyKey         *trusted,
                                              EvVerifyKey        **signer,
                                              GError             **error);

char         *ev_signed_tombstone_sign       (EvSigningKey        *key,
                                              const char          *topic,
                                              const char          *kafka_key,
                                              GError             **error);
gboolean      ev_signed_tombstone_verify     (const char          *topic,
                                              const char          *kafka_key,
                                              const void          *header,
                                              gsize                len,
                                              EvVerifyKey         *trusted,
                                              GError             **error);

/**
 * EV_CP_KEY_SIZE:
 *
 * Bytes of a charging-point key (an HMAC-SHA256 secret).
 */
#define EV_CP_KEY_SIZE 32

/**
 * EV_MAC_DOMAIN:
 *
 * The first line of every byte string a charging-point key authenticates
 * (docs/protocol.md, “Charging-point keys”).
 */
#define EV_MAC_DOMAIN "ev-mac-1"

/**
 * EvCpKey:
 * @bytes: the secret
 *
 * The secret Central issues a charging point, shared by Central, the CP's
 * monitor and its engine, with which the engine authenticates its
 * `supply-data` and station requests.
 */
typedef struct {
  guint8 bytes[EV_CP_KEY_SIZE];
} EvCpKey;

gboolean      ev_cp_key_generate             (EvCpKey             *key,
                                              GError             **error);
gboolean      ev_cp_key_from_base64          (const char          *text,
                                              EvCpKey             *key,
                                              GError             **error);
char         *ev_cp_key_to_base64            (const EvCpKey       *key);
gboolean      ev_cp_key_equal                (const EvCpKey       *a,
                                              const EvCpKey       *b);

char         *ev_mac_message_sign            (const EvCpKey       *key,
                                              const char          *topic,
                                              const char          *kafka_key,
                                              const char          *text,
                                              gsize                len,
                                              gsize               *out_len,
                                              GError             **error);
gboolean      ev_mac_message_verify          (const EvCpKey       *keys,
                                              guint                n_keys,
                                              const char          *topic,
                                              const char          *kafka_key,
                                              const void          *value,
                                              gsize                len,
                                              guint               *out_which,
                                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvSigningKey, ev_signing_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvVerifyKey, ev_verify_key_free)

G_END_DECLS

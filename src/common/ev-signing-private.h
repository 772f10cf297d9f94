/* ev-signing-private.h: what ev-signing.c and ev-cp-key.c share: the byte
 * strings signed, the checks of what can carry a signature, and GnuTLS's
 * errors in words. */

#pragma once

#include <gnutls/gnutls.h>

#include "ev-signing.h"

#include "ev-file.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

G_BEGIN_DECLS

#define SEED_SIZE 32
#define PRIVATE_HEADER "evcharging-ed25519-private-key"
#define KEY_FILE_MAX 4096

/* base64 of 32 and 64 bytes */
#define PUBLIC_B64_LEN 44
#define SIGNATURE_B64_LEN 88

/* The tail of a signed message: `,"pub":"<44>","sig":"<88>"}`. */
#define PUB_MEMBER "\"pub\":\""
#define PUB_OPEN "," PUB_MEMBER
#define SIG_OPEN "\",\"sig\":\""
#define SIG_CLOSE "\"}"
#define TRAILER_LEN (strlen (PUB_OPEN) + PUBLIC_B64_LEN + strlen (SIG_OPEN) + SIGNATURE_B64_LEN + strlen (SIG_CLOSE))

struct _EvSigningKey
{
  gnutls_privkey_t privkey;
  guint8 seed[SEED_SIZE];
  EvVerifyKey *public;
};

struct _EvVerifyKey
{
  gboolean has_key;
  guint8 raw[EV_SIGNING_PUBLIC_SIZE];
  gnutls_pubkey_t pubkey;
  char *base64;
  char *fingerprint;
};

/* Signing keys -------------------------------------------------------------- */

/* The secret form of a key: its 32-byte seed, then its public key. */
#define SECRET_SIZE (SEED_SIZE + EV_SIGNING_PUBLIC_SIZE)

/* Charging-point keys: HMAC-SHA256 ---------------------------------------- */

/* The tail of a message with a MAC: `,"mac":"<44>"}`. */
#define MAC_OPEN ",\"mac\":\""
#define MAC_B64_LEN 44
#define MAC_TRAILER_LEN (strlen (MAC_OPEN) + MAC_B64_LEN + strlen (SIG_CLOSE))

void signing_set_gnutls_error (GError **error, int code, const char *what);

gboolean signing_decode_base64_exact (const char *text, gsize text_len, guint8 *out, gsize size);

GString *signing_domain_bytes (const char *domain, const char *topic, const char *kafka_key, const char *body,
                               gsize body_len);

gboolean signing_check_signable (const char *kafka_key, const char *text, gsize len, GError **error);

G_END_DECLS

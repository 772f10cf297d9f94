#pragma once

#include <gio/gio.h>

#include "ev-link-session.h"

G_BEGIN_DECLS

#define EV_TLS_ERROR (ev_tls_error_quark ())

/**
 * EvTlsError:
 * @EV_TLS_ERROR_FILE: a certificate, key or CA file could not be read or
 *   holds nothing usable.
 * @EV_TLS_ERROR_OPTIONS: the options contradict each other or are malformed
 *   (e.g. a fingerprint that is not 64 hex digits).
 * @EV_TLS_ERROR_UNSUPPORTED: GIO has no TLS backend (glib-networking).
 * @EV_TLS_ERROR_NOT_TLS: the peer spoke the plain protocol to a TLS end.
 * @EV_TLS_ERROR_HANDSHAKE: the handshake failed.
 * @EV_TLS_ERROR_CERTIFICATE: the peer's certificate was refused.
 * @EV_TLS_ERROR_TIMEOUT: the handshake took too long.
 *
 * Why TLS could not be set up.
 */
typedef enum {
  EV_TLS_ERROR_FILE,
  EV_TLS_ERROR_OPTIONS,
  EV_TLS_ERROR_UNSUPPORTED,
  EV_TLS_ERROR_NOT_TLS,
  EV_TLS_ERROR_HANDSHAKE,
  EV_TLS_ERROR_CERTIFICATE,
  EV_TLS_ERROR_TIMEOUT,
} EvTlsError;

GQuark ev_tls_error_quark (void);

/* The first byte of every TLS record that opens a handshake. */
#define EV_TLS_HANDSHAKE_RECORD 0x16

typedef struct _EvTlsServer EvTlsServer;
typedef struct _EvTlsClient EvTlsClient;
typedef struct _EvTlsConn EvTlsConn;

/**
 * EvTlsIo:
 * @EV_TLS_IO_OK: done (or some bytes moved)
 * @EV_TLS_IO_AGAIN: the socket is not ready; wait for
 *   ev_tls_conn_wants_write() ? EPOLLOUT : EPOLLIN
 * @EV_TLS_IO_EOF: the peer closed the connection
 * @EV_TLS_IO_ERROR: failed; the error says why
 */
typedef enum {
  EV_TLS_IO_OK,
  EV_TLS_IO_AGAIN,
  EV_TLS_IO_EOF,
  EV_TLS_IO_ERROR,
} EvTlsIo;

EvTlsServer *ev_tls_server_new             (const char   *cert_file,
                                            const char   *key_file,
                                            const char   *client_ca_file,
                                            GError      **error);
EvTlsServer *ev_tls_server_ref             (EvTlsServer  *self);
void         ev_tls_server_unref           (EvTlsServer  *self);
const char  *ev_tls_server_get_fingerprint (EvTlsServer  *self);
gboolean     ev_tls_server_get_requires_client_cert (EvTlsServer *self);

EvTlsClient *ev_tls_client_new             (const char   *ca_file,
                                            const char   *fingerprint,
                                            const char   *cert_file,
                                            const char   *key_file,
                                            GError      **error);
EvTlsClient *ev_tls_client_ref             (EvTlsClient  *self);
void         ev_tls_client_unref           (EvTlsClient  *self);
char        *ev_tls_client_describe        (EvTlsClient  *self);

void         ev_tls_client_handshake_async  (EvTlsClient         *self,
                                             GIOStream           *base,
                                             GSocketConnectable  *server,
                                             guint                timeout_ms,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GIOStream   *ev_tls_client_handshake_finish (GAsyncResult        *result,
                                             GError             **error);

EvTlsConn   *ev_tls_conn_new_server        (EvTlsServer  *server,
                                            int           fd);
EvTlsConn   *ev_tls_conn_new_client        (EvTlsClient  *client,
                                            int           fd,
                                            const char   *host,
                                            GError      **error);
void         ev_tls_conn_free              (EvTlsConn    *self);
EvTlsIo      ev_tls_conn_handshake         (EvTlsConn    *self,
                                            GError      **error);
gboolean     ev_tls_conn_is_established    (EvTlsConn    *self);
EvTlsIo      ev_tls_conn_recv              (EvTlsConn    *self,
                                            void         *buffer,
                                            gsize         size,
                                            gsize        *received,
                                            GError      **error);
EvTlsIo      ev_tls_conn_send              (EvTlsConn    *self,
                                            const void   *data,
                                            gsize         len,
                                            gsize        *sent,
                                            GError      **error);
gboolean     ev_tls_conn_wants_write       (EvTlsConn    *self);
void         ev_tls_conn_flush_session     (EvTlsConn    *self,
                                            EvLinkSession *session);
gsize        ev_tls_conn_read_session      (EvTlsConn    *self,
                                            EvLinkSession *session,
                                            guint8       *buffer,
                                            gsize         size,
                                            gsize         max);
char        *ev_tls_conn_get_peer_name     (EvTlsConn    *self);
void         ev_tls_conn_bye               (EvTlsConn    *self);

char        *ev_tls_fingerprint_of_file    (const char   *cert_file,
                                            GError      **error);
gboolean     ev_tls_parse_fingerprint      (const char   *text,
                                            char        **normalized,
                                            GError      **error);
gboolean     ev_tls_check_backend          (GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvTlsServer, ev_tls_server_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvTlsClient, ev_tls_client_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvTlsConn, ev_tls_conn_free)

G_END_DECLS

/* ev-tls-private.h: what the files of ev-tls share: the structures of its
 * server, client and connection, and GnuTLS's errors in words. */

#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ev-tls.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gi18n-lib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/**
 * EvTlsServer:
 *
 * A server's certificate and key (and, optionally, the CA its clients'
 * certificates must come from), loaded once and shared by every
 * connection.
 *
 * The monitor server keeps thousands of links in one epoll set (see
 * docs/architecture.md), which GTlsConnection, one GSource per link,
 * cannot do; so the server side, and the fleet's many client links,
 * drive GnuTLS (the library glib-networking wraps) directly over their
 * non-blocking sockets through #EvTlsConn. A single client link such as
 * the monitor's goes through GIO instead: ev_tls_client_handshake_async().
 */
struct _EvTlsServer
{
  gnutls_certificate_credentials_t credentials;
  char *fingerprint;
  gboolean requires_client_cert;
};

/**
 * EvTlsClient:
 *
 * How a client checks the server: against a CA file (host name or IP
 * address checked against the certificate) or against a pinned SHA-256
 * fingerprint of the server's certificate; and the client's own
 * certificate, if it has one.
 */
struct _EvTlsClient
{
  char *ca_file;
  char *fingerprint;          /* normalized, AA:BB:…, or NULL */
  char *cert_file;
  char *key_file;
  /* Made when first needed: GIO's for ev_tls_client_handshake_async(),
   * GnuTLS's for ev_tls_conn_new_client(). */
  GTlsDatabase *database;
  GTlsCertificate *certificate;
  gnutls_certificate_credentials_t credentials;
};

typedef enum {
  CONN_PEEK,
  CONN_HANDSHAKE,
  CONN_ESTABLISHED,
  CONN_FAILED,
} ConnState;

struct _EvTlsConn
{
  gnutls_session_t session;
  EvTlsServer *server;
  EvTlsClient *client;
  int fd;
  ConnState state;
  /* GnuTLS wants a send that returned AGAIN repeated; this many bytes
   * of the caller's output are in that record. */
  gsize send_pending;
  char *rejection;            /* why our verify function said no */
};

/* ---------------------------------------------------------------------
 * One client handshake through GIO.
 * --------------------------------------------------------------------- */

typedef struct {
  EvTlsClient *client;
  GTlsConnection *connection;
  char *host;
  char *rejection;
  GCancellable *cancellable;  /* ours: cancelled by the caller's or the timer */
  GSource *timer;
  GSource *cancel_source;
  gboolean timed_out;
} Handshake;

char *tls_fingerprint_of_der (const guint8 *der, gsize len);

G_END_DECLS

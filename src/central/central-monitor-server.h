#pragma once

#include <glib-object.h>

#include "ev-link-session.h"
#include "ev-tls.h"

G_BEGIN_DECLS

/* Links beyond this many get their ENQ answered NACK, by default. */
#define CENTRAL_MONITOR_SERVER_DEFAULT_MAX_LINKS 20000
/* A link has this long from its accept to authenticate, by default. */
#define CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS 10000
/* Unauthenticated links one peer address may hold at once, by default;
 * the oldest gives way to a new one. */
#define CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED 16

#define CENTRAL_TYPE_MONITOR_SERVER (central_monitor_server_get_type ())

G_DECLARE_FINAL_TYPE (CentralMonitorServer, central_monitor_server, CENTRAL, MONITOR_SERVER, GObject)

/**
 * CentralMonitorServerCallbacks:
 * @link_opened: (nullable): a connection was accepted, before its ENQ
 *   handshake; @peer is "ADDR:PORT" ("[ADDR]:PORT" for IPv6)
 * @request: (nullable): a request frame arrived and was ACKed; answer it
 *   with central_monitor_server_respond(), now or later. @text is
 *   NUL-terminated and valid only during the call.
 * @link_closed: (nullable): the link is gone; @reason, in the
 *   %EV_LINK_ERROR domain, or %EV_TLS_ERROR when its TLS handshake
 *   failed, says why. Called exactly once for every
 *   @link_opened, also from central_monitor_server_close_link() and
 *   central_monitor_server_close(), but not when the server is disposed.
 *
 * What a #CentralMonitorServer tells its owner. Every callback runs on the
 * main context that was the thread-default one when the server was
 * created, and may call back into the server, including closing the link
 * it reports or the whole server.
 */
typedef struct {
  void (*link_opened) (CentralMonitorServer *server,
                       guint64               link_id,
                       const char           *peer,
                       gpointer              user_data);
  void (*request)     (CentralMonitorServer *server,
                       guint64               link_id,
                       const char           *text,
                       gsize                 len,
                       gpointer              user_data);
  void (*link_closed) (CentralMonitorServer *server,
                       guint64               link_id,
                       const GError         *reason,
                       gpointer              user_data);
} CentralMonitorServerCallbacks;

CentralMonitorServer *central_monitor_server_new            (const CentralMonitorServerCallbacks *callbacks,
                                                             gpointer                             user_data);

gboolean              central_monitor_server_check_address (const char *address,
                                                            GError    **error);
gboolean              central_monitor_server_listen         (CentralMonitorServer *self,
                                                             const char           *address,
                                                             GError              **error);
guint                 central_monitor_server_get_port       (CentralMonitorServer *self);
guint                 central_monitor_server_get_n_links    (CentralMonitorServer *self);
guint                 central_monitor_server_get_max_links  (CentralMonitorServer *self);
void                  central_monitor_server_set_max_links  (CentralMonitorServer *self,
                                                             guint                 max);
guint                 central_monitor_server_get_timeout    (CentralMonitorServer *self,
                                                             EvLinkTimeout         which);
void                  central_monitor_server_set_timeout    (CentralMonitorServer *self,
                                                             EvLinkTimeout         which,
                                                             guint                 ms);
guint                 central_monitor_server_get_auth_timeout (CentralMonitorServer *self);
void                  central_monitor_server_set_auth_timeout (CentralMonitorServer *self,
                                                               guint                 ms);
guint                 central_monitor_server_get_max_unauthenticated (CentralMonitorServer *self);
void                  central_monitor_server_set_max_unauthenticated (CentralMonitorServer *self,
                                                                      guint                 max);
void                  central_monitor_server_set_limit_loopback (CentralMonitorServer *self,
                                                                 gboolean              limit);
void                  central_monitor_server_set_authenticated (CentralMonitorServer *self,
                                                                guint64               link_id);
const char           *central_monitor_server_get_peer       (CentralMonitorServer *self,
                                                             guint64               link_id);
void                  central_monitor_server_set_tls        (CentralMonitorServer *self,
                                                             EvTlsServer          *tls);
EvTlsServer          *central_monitor_server_get_tls        (CentralMonitorServer *self);
const char           *central_monitor_server_get_peer_name  (CentralMonitorServer *self,
                                                             guint64               link_id);

gboolean              central_monitor_server_respond        (CentralMonitorServer *self,
                                                             guint64               link_id,
                                                             const char           *text,
                                                             gssize                len,
                                                             GError              **error);
void                  central_monitor_server_close_link     (CentralMonitorServer *self,
                                                             guint64               link_id);
void                  central_monitor_server_close          (CentralMonitorServer *self);

G_END_DECLS

#pragma once

#include <gio/gio.h>

#include "ev-link-session.h"
#include "ev-tls.h"

G_BEGIN_DECLS

#define EV_TYPE_LINK (ev_link_get_type ())

G_DECLARE_FINAL_TYPE (EvLink, ev_link, EV, LINK, GObject)

EvLink     *ev_link_new                   (EvLinkRole            role,
                                           GIOStream            *stream);
EvLink     *ev_link_new_server            (GSocketConnection    *connection);

void        ev_link_connect_async         (GSocketConnectable   *address,
                                           guint                 handshake_timeout_ms,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
void        ev_link_connect_to_host_async (const char           *host_and_port,
                                           guint16               default_port,
                                           guint                 handshake_timeout_ms,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
void        ev_link_connect_tls_async     (GSocketConnectable   *address,
                                           guint                 handshake_timeout_ms,
                                           EvTlsClient          *tls,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
void        ev_link_connect_to_host_tls_async (const char       *host_and_port,
                                           guint16               default_port,
                                           guint                 handshake_timeout_ms,
                                           EvTlsClient          *tls,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
EvLink     *ev_link_connect_finish        (GAsyncResult         *result,
                                           GError              **error);

EvLinkRole    ev_link_get_role         (EvLink               *self);
GIOStream    *ev_link_get_stream       (EvLink               *self);
gboolean      ev_link_is_established   (EvLink               *self);
gboolean      ev_link_is_closed        (EvLink               *self);
const GError *ev_link_get_close_reason (EvLink               *self);
guint         ev_link_get_timeout      (EvLink               *self,
                                        EvLinkTimeout         which);
void          ev_link_set_timeout      (EvLink               *self,
                                        EvLinkTimeout         which,
                                        guint                 timeout_ms);

void        ev_link_request_async         (EvLink               *self,
                                           const char           *json,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
char       *ev_link_request_finish        (EvLink               *self,
                                           GAsyncResult         *result,
                                           GError              **error);
gboolean    ev_link_respond               (EvLink               *self,
                                           const char           *json,
                                           GError              **error);
void        ev_link_close                 (EvLink               *self);

G_END_DECLS

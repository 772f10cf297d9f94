#pragma once

#include <glib.h>
#include <sys/socket.h>

#include "ev-link-session.h"
#include "ev-timer-wheel.h"
#include "ev-tls.h"

G_BEGIN_DECLS

/* Reading stops after this much from one descriptor in one wakeup, by
 * default, so that a flood on one link cannot starve the others. */
#define EV_LINK_SET_DEFAULT_READ_LIMIT (64 * 1024)

typedef struct _EvLinkSet EvLinkSet;
typedef struct _EvLinkConn EvLinkConn;

/**
 * EvLinkConnFuncs:
 * @accepted: (nullable): listener: @conn was just accepted; it has the
 *   listener's functions and user data until the owner sets others. Set
 *   its TLS and session here: a plain conn opens when this returns.
 * @ready: (nullable): watched descriptor: it is ready with the epoll
 *   @events; the set does no I/O on it
 * @opened: (nullable): the transport is up (connected, and TLS
 *   negotiated if any); a session not started yet starts right after
 * @received: (nullable): a conn without a session: @len bytes arrived
 * @timer: (nullable): the time set with ev_link_conn_set_timer() came
 * @closed: (nullable): the conn is over and its descriptor closed;
 *   @reason is %NULL when its session says why or the owner closed it,
 *   otherwise the failure (connect, TLS, or I/O of a conn without a
 *   session). Called once, but not from ev_link_set_close_all() without
 *   notify nor once the set is freed.
 *
 * What a conn tells its owner. Each function may call into the set,
 * close any conn (its own included) or add new ones; a conn closed
 * stays allocated until the set's dispatch returns.
 */
typedef struct {
  void (*accepted) (EvLinkConn   *conn,
                    gpointer      user_data);
  void (*ready)    (EvLinkConn   *conn,
                    guint32       events,
                    gpointer      user_data);
  void (*opened)   (EvLinkConn   *conn,
                    gpointer      user_data);
  void (*received) (EvLinkConn   *conn,
                    const guint8 *data,
                    gsize         len,
                    gpointer      user_data);
  void (*timer)    (EvLinkConn   *conn,
                    gint64        now_us,
                    gpointer      user_data);
  void (*closed)   (EvLinkConn   *conn,
                    const GError *reason,
                    gpointer      user_data);
} EvLinkConnFuncs;

EvLinkSet    *ev_link_set_new            (GError                **error);
EvLinkSet    *ev_link_set_ref            (EvLinkSet              *self);
void          ev_link_set_unref          (EvLinkSet              *self);
void          ev_link_set_attach         (EvLinkSet              *self,
                                          GMainContext           *context);
void          ev_link_set_iterate        (EvLinkSet              *self,
                                          int                     max_wait_ms);
void          ev_link_set_set_read_limit (EvLinkSet              *self,
                                          gsize                   limit);
void          ev_link_set_set_max_events (EvLinkSet              *self,
                                          guint                   max_events);
guint         ev_link_set_get_n_conns    (EvLinkSet              *self);

EvLinkConn   *ev_link_set_listen         (EvLinkSet              *self,
                                          int                     fd,
                                          const EvLinkConnFuncs  *funcs,
                                          gpointer                user_data);
EvLinkConn   *ev_link_set_adopt          (EvLinkSet              *self,
                                          int                     fd,
                                          const EvLinkConnFuncs  *funcs,
                                          gpointer                user_data);
EvLinkConn   *ev_link_set_connect        (EvLinkSet              *self,
                                          const struct sockaddr  *address,
                                          socklen_t               address_len,
                                          const EvLinkConnFuncs  *funcs,
                                          gpointer                user_data,
                                          GError                **error);
EvLinkConn   *ev_link_set_watch          (EvLinkSet              *self,
                                          int                     fd,
                                          guint32                 events,
                                          const EvLinkConnFuncs  *funcs,
                                          gpointer                user_data);
void          ev_link_set_close_all      (EvLinkSet              *self,
                                          gboolean                notify);
void          ev_link_set_set_timer_func (EvLinkSet              *self,
                                          EvTimerWheelFunc        func,
                                          gpointer                user_data);
void          ev_link_set_schedule       (EvLinkSet              *self,
                                          EvTimerWheelEntry      *entry,
                                          gint64                  due_ms);
void          ev_link_set_cancel         (EvLinkSet              *self,
                                          EvTimerWheelEntry      *entry);

int           ev_link_conn_get_fd        (EvLinkConn             *conn);
gpointer      ev_link_conn_get_user_data (EvLinkConn             *conn);
void          ev_link_conn_set_user_data (EvLinkConn             *conn,
                                          const EvLinkConnFuncs  *funcs,
                                          gpointer                user_data);
gboolean      ev_link_conn_is_open       (EvLinkConn             *conn);
gboolean      ev_link_conn_is_closed     (EvLinkConn             *conn);
void          ev_link_conn_set_session   (EvLinkConn             *conn,
                                          EvLinkSession          *session);
EvLinkSession *ev_link_conn_get_session  (EvLinkConn             *conn);
void          ev_link_conn_set_tls       (EvLinkConn             *conn,
                                          EvTlsConn              *tls);
EvTlsConn    *ev_link_conn_get_tls       (EvLinkConn             *conn);
void          ev_link_conn_send          (EvLinkConn             *conn,
                                          const void             *data,
                                          gsize                   len);
gsize         ev_link_conn_get_n_unsent  (EvLinkConn             *conn);
void          ev_link_conn_set_timer     (EvLinkConn             *conn,
                                          gint64                  due_us);
void          ev_link_conn_update        (EvLinkConn             *conn);
void          ev_link_conn_close         (EvLinkConn             *conn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvLinkSet, ev_link_set_unref)

G_END_DECLS

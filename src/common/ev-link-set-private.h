#pragma once

/* What the files of EvLinkSet share: ev-link-set.c (the set: the epoll
 * source, the wheel, accepting, dispatch) and ev-link-set-conn.c (one
 * conn: reading, writing, TLS, its session and timer). */

#include "ev-link-set.h"
#include "ev-timer-wheel.h"

G_BEGIN_DECLS

#define LINK_SET_READ_CHUNK 16384

typedef enum {
  CONN_STREAM,
  CONN_LISTENER,
  CONN_WATCH,
} ConnKind;

struct _EvLinkConn
{
  EvLinkSet *set;
  ConnKind kind;
  int fd;
  const EvLinkConnFuncs *funcs;
  gpointer user_data;
  EvLinkConn *prev;
  EvLinkConn *next;

  guint32 events;
  EvLinkSession *session;
  EvTlsConn *tls;
  GByteArray *out;
  GError *reason;

  gint64 timer_us;
  gint64 due_ms;
  EvTimerWheelEntry entry;

  /* Set while the conn's own callbacks run: what they ask for waits
   * until they return. */
  guint busy;
  gboolean connecting;
  gboolean open;
  gboolean close_requested;
  gboolean silent;
  gboolean finished;
};

struct _EvLinkSet
{
  gint ref_count;
  GSource *source;
  gsize read_limit;
  EvLinkConn *conns;
  guint n_conns;
  GPtrArray *listeners;
  gint64 accept_paused_until;

  /* Calls into the set on the stack, and the conns closed meanwhile. */
  guint depth;
  GPtrArray *zombies;
  gboolean in_batch;
  /* While timers run: nothing is due before this. */
  gint64 floor_ms;

  EvTimerWheel wheel;
  /* The owner's timers, tied to no conn (ev_link_set_set_timer_func()),
   * and the wakeup last asked of the source. */
  EvTimerWheel *timers;
  EvTimerWheelFunc timer_func;
  gpointer timer_data;
  gint64 wakeup_us;
  guint8 buffer[LINK_SET_READ_CHUNK];
};

extern const EvLinkConnFuncs link_conn_no_funcs;

void link_set_enter        (EvLinkSet  *self);
void link_set_leave        (EvLinkSet  *self);
void link_set_finish       (EvLinkConn *conn);

void link_conn_set_events  (EvLinkConn *conn,
                            guint32     events);
void link_conn_schedule    (EvLinkConn *conn);
void link_conn_update      (EvLinkConn *conn);
void link_conn_opened      (EvLinkConn *conn);
void link_conn_ready       (EvLinkConn *conn,
                            guint32     events);

G_END_DECLS

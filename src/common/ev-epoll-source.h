#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EvEpollSourceFuncs:
 * @ready: a descriptor added with @tag is ready with the epoll @events
 * @dispatched: (nullable): called after every dispatch, the events handled;
 *   the place to run timers and set the next wakeup
 *
 * What an epoll source calls.
 */
typedef struct {
  void (*ready)      (gpointer tag,
                      guint32  events,
                      gpointer user_data);
  void (*dispatched) (gpointer user_data);
} EvEpollSourceFuncs;

GSource  *ev_epoll_source_new        (const EvEpollSourceFuncs *funcs,
                                      gpointer                  user_data,
                                      GError                  **error);
gboolean  ev_epoll_source_add        (GSource                  *source,
                                      int                       fd,
                                      guint32                   events,
                                      gpointer                  tag);
gboolean  ev_epoll_source_modify     (GSource                  *source,
                                      int                       fd,
                                      guint32                   events,
                                      gpointer                  tag);
void      ev_epoll_source_remove     (GSource                  *source,
                                      int                       fd);
void      ev_epoll_source_set_wakeup (GSource                  *source,
                                      gint64                    monotonic_us);
void      ev_epoll_source_wait       (GSource                  *source,
                                      int                       timeout_ms);
void      ev_epoll_source_set_max_events (GSource              *source,
                                          guint                 max_events);

void      ev_raise_fd_limit          (void);

G_END_DECLS

#pragma once

/* The client side shared by the monitor-link benchmarks: N framed links
 * (docs/protocol.md, section 2) on plain non-blocking sockets in one
 * EvLinkSet, run without a main loop, each conn's timer saying when its
 * link is due, and the statistics helpers. */

#include <glib.h>

#include "ev-frame.h"
#include "ev-link-set.h"
#include "ev-timer-wheel.h"

G_BEGIN_DECLS

/* The timing wheel has 1 ms slots and must be longer than any period. */
#define BENCH_WHEEL_SLOTS EV_TIMER_WHEEL_SLOTS
/* A periodic request leaves after the period times 1 ± BENCH_JITTER. */
#define BENCH_JITTER 0.1

typedef struct _BenchSource BenchSource;
typedef struct _BenchLink BenchLink;
typedef struct _BenchLinks BenchLinks;

/* A descriptor the loop watches besides the links starts with a
 * BenchSource: the loop calls @ready with its epoll events. */
typedef void (*BenchReadyFunc) (BenchSource *source,
                                guint32      events);

struct _BenchSource
{
  BenchReadyFunc ready;
  EvLinkConn *watch;
};

/* A response frame, already ACKed. */
typedef void (*BenchFrameFunc) (BenchLink  *link,
                                const char *data,
                                gsize       len);
/* The server ACKed the link's ENQ. */
typedef void (*BenchLinkFunc) (BenchLink *link);

struct _BenchLink
{
  BenchLinks *all;
  guint index;
  EvLinkConn *conn;
  EvFrameDecoder *decoder;
  gboolean established;
  gboolean closed;
  gboolean outstanding;
  gint64 sent_at;
  gint64 due;
};

typedef struct
{
  BenchLinkFunc established;
  BenchFrameFunc frame;
  BenchLinkFunc due;
} BenchLinkCallbacks;

/* The periodic request every link sends, and the measuring window. */
typedef struct
{
  GBytes *request;
  gint64 period_us;
  gint64 measure_from;
  gint64 measure_until;
  /* Request → response, in µs, of requests sent and answered inside the
   * window. */
  GArray *latencies;
  guint64 sent;
  /* Sends skipped because the previous request was still unanswered. */
  guint64 skipped;
  guint64 skipped_total;
} BenchPeriodic;

struct _BenchLinks
{
  BenchLink *links;
  guint n;
  guint n_established;
  guint n_closed;
  EvLinkSet *set;
  const BenchLinkCallbacks *callbacks;
  gpointer user_data;
  /* What went wrong, as the clients saw it. */
  guint64 nacks;
  guint64 eots;
  guint64 bad_frames;
  guint64 send_failures;
  guint64 closed_by_peer;
  guint64 connect_failures;
  BenchPeriodic periodic;
};

void     bench_links_init         (BenchLinks               *all,
                                   guint                     n,
                                   const BenchLinkCallbacks *callbacks,
                                   gpointer                  user_data,
                                   const char               *periodic_json,
                                   gint64                    period_us);
void     bench_links_clear        (BenchLinks               *all);
gboolean bench_links_connect_all  (BenchLinks               *all,
                                   guint16                   port,
                                   gint64                    timeout_us);
void     bench_links_close_all    (BenchLinks               *all,
                                   gboolean                  send_eot);
void     bench_links_add_source   (BenchLinks               *all,
                                   int                       fd,
                                   BenchSource              *source);
void     bench_links_remove_source (BenchLinks              *all,
                                   BenchSource              *source);
void     bench_links_schedule     (BenchLinks               *all,
                                   BenchLink                *link,
                                   gint64                    due);
void     bench_links_run          (BenchLinks               *all,
                                   gint64                    until);
guint64  bench_links_get_errors   (BenchLinks               *all);
void     bench_links_start_window (BenchLinks               *all,
                                   gint64                    duration_us);

/* A due callback: sends the periodic request and schedules the next. */
void     bench_link_periodic_due  (BenchLink                *link);
gboolean bench_link_periodic_answered (BenchLink            *link,
                                   gint64                   *out_latency);

void     bench_link_close         (BenchLink                *link);
void     bench_link_send          (BenchLink                *link,
                                   const void               *data,
                                   gsize                     len);
void     bench_link_request       (BenchLink                *link,
                                   GBytes                   *frame);

/* Latencies in µs: sorts @latencies, then reads percentiles (0..1). */
void     bench_latencies_sort     (GArray                   *latencies);
double   bench_latency_ms         (GArray                   *sorted,
                                   double                    p);
void     bench_raise_fd_limit     (void);
GBytes  *bench_frame_new          (const char               *json);

/* @relative to the folder of the running benchmark (build/bench/). */
char    *bench_default_program    (const char               *relative);
/* rm -r @path: a temporary folder of files and folders. */
void     bench_remove_tree        (const char               *path);

G_END_DECLS

/* central-service-private.h: what the files of CentralService share and no
 * one else sees: its structure and its internal functions. */

#pragma once

#include "central-core.h"
#include "central-service.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ev-store.h"

G_BEGIN_DECLS

/* What the views keep in memory; the database keeps everything. */
#define LOG_LIMIT 1000
#define HISTORY_LIMIT 1000
/* Beyond this many insertions or removals in one batch, a list is
 * rebuilt in one splice rather than changed item by item. */
#define SPLICE_THRESHOLD 32

/* Batches --------------------------------------------------------------- */

typedef struct
{
  GHashTable *cps;          /* cp_id → EvChargingPoint snapshot, NULL: gone */
  GHashTable *sessions;     /* supply_id → EvSupply snapshot, NULL: concluded */
  GPtrArray *log;           /* CentralEvent, oldest first */
  GPtrArray *history;       /* EvSupply snapshots, oldest first */
  guint history_added;      /* how many concluded, even beyond the bound */
  gboolean has_status;
  gboolean broker_reachable;
  guint n_links;
} Batch;

/* The service ------------------------------------------------------------ */

struct _CentralService
{
  GObject parent_instance;

  CentralCore *core;          /* the core's thread's, once started */
  gboolean views;
  guint batch_interval;
  char *listen;
  char *bootstrap;
  char *db_path;

  GMainContext *core_context;
  GMainLoop *core_loop;
  GThread *thread;
  GMainContext *view_context;

  /* Under lock. */
  GMutex lock;
  GCond cond;
  gboolean start_done;
  gboolean running;
  GError *start_error;
  guint start_port;
  char *start_tls_fingerprint;
  Batch *pending;
  GSource *apply_source;

  /* The core's thread only. */
  GPtrArray *cp_mirror;       /* the core's EvChargingPoint, in its order */
  GPtrArray *request_mirror;  /* the core's open EvSupply, in order */
  GHashTable *dirty;          /* a core's CP or session → itself */
  Batch *building;
  GSource *flush_source;

  /* The UI thread only. */
  GListStore *cps;            /* EvChargingPoint copies, sorted by id */
  GHashTable *cp_index;       /* cp_id → EvChargingPoint of cps */
  GListStore *requests;       /* EvSupply copies, oldest first */
  GHashTable *request_index;  /* supply_id → EvSupply of requests */
  GListStore *log;            /* CentralEvent, newest first */
  GListStore *history;        /* EvSupply copies, newest first */
  gboolean started;
  guint port;
  gboolean broker_reachable;
  guint n_links;
  guint history_total;
  guint batches;
};

enum {
  PROP_0,
  PROP_CORE,
  PROP_VIEWS,
  PROP_BATCH_INTERVAL,
  PROP_STARTED,
  PROP_PORT,
  PROP_BROKER_REACHABLE,
  PROP_N_LINKS,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_DB_PATH,
  PROP_BATCHES,
  PROP_HISTORY_TOTAL,
  N_PROPS
};

/* Calls ------------------------------------------------------------------- */

typedef struct
{
  CentralService *self;
  CentralServiceFunc func;
  gpointer user_data;
  gboolean done;
} Call;

Batch *service_batch_new (void);

void service_batch_free (Batch *batch);

gboolean service_batch_is_empty (Batch *batch);

void service_batch_merge (Batch *into, Batch *from);

void service_apply_batch (CentralService *self, Batch *batch);

void service_mirror_changed (CentralService *self, GPtrArray *mirror, GListModel *model, guint position,
                             guint removed, guint added);

void service_notify (CentralService *self,
                     int             prop);

enum {
  SIGNAL_NEWS,
  SIGNAL_EVENT,
  N_SIGNALS
};

extern GParamSpec *service_pspecs[N_PROPS];
extern guint service_signals[N_SIGNALS];

G_END_DECLS

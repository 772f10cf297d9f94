/* station-engine-private.h: what the files of the engine share and no one
 * else sees: its structure and its internal functions. */

#pragma once

#include "ev-bus.h"
#include "ev-link.h"
#include "ev-messages.h"
#include "station-directives.h"
#include "station-engine.h"
#include "station-journal.h"
#include "station-util.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "ev-bus.h"
#include "ev-enum-types.h"
#include "ev-link.h"
#include "ev-messages.h"
#include "ev-protocol.h"
#include "ev-supply.h"
#include "station-directives.h"
#include "station-journal.h"
#include "station-util.h"

G_BEGIN_DECLS

#define DEFAULT_LOCATION "Unknown location"

struct _StationEngine
{
  GObject parent_instance;

  /* Construct-only. */
  char *listen;
  char *bootstrap;
  char **kafka_overrides;
  char *location;
  char *state_dir;
  char *pairing_secret_file;   /* NULL: <state_dir>/pairing.secret */
  StationMachineConfig config;

  char *pairing_secret;        /* from start on */

  StationMachine *machine;
  GSocketService *service;
  GPtrArray *links;            /* EvLink, one per monitor connection */
  EvBus *bus;                  /* producer: supply-data, supply-req */
  EvBus *consumer;             /* central-directives, supply-res; from hello */
  EvVerifyKey *central_key;    /* checks what Central sends; NULL: nothing checked */
  EvCpKey cp_key;              /* signs what the engine publishes, from its monitor */
  gboolean has_cp_key;
  gboolean said_no_key;        /* progress held back for want of a key was said */
  GHashTable *requests;        /* request ids asked here, awaiting supply-res */
  StationFinished finished;   /* supply ids this engine has ended */
  StationJournal *journal;     /* from hello on: what survives a crash */
  GHashTable *in_flight;       /* supply ids whose ticket awaits its delivery report */
  gboolean journal_failing;
  guint timer_id;

  gboolean started;
  guint port;
  double price;
  gboolean central_reachable;
  gboolean broker_reachable;
  gboolean monitor_connected;

  /* What the properties last announced, to notify changes only. */
  EvCpState state;
  gboolean ko;
  /* The supply in progress, taken from the machine after every input;
   * its notifications are the engine's supply properties'. */
  EvSupply *supply;
};

enum {
  PROP_0,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_LOCATION,
  PROP_POWER_KW,
  PROP_PLUG_TIMEOUT,
  PROP_PROGRESS_INTERVAL,
  PROP_AUTO_PLUG,
  PROP_AUTO_UNPLUG_AFTER,
  PROP_AUTO_UNPLUG_KWH,
  PROP_MONITOR_GRACE,
  PROP_STATE_DIR,
  PROP_PAIRING_SECRET_FILE,
  PROP_STARTED,
  PROP_PORT,
  PROP_CP_ID,
  PROP_STATE,
  PROP_KO,
  PROP_PRICE,
  PROP_SUPPLY_ID,
  PROP_DRIVER_ID,
  PROP_SUPPLY_PRICE,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_MONITOR_CONNECTED,
  PROP_CENTRAL_REACHABLE,
  PROP_BROKER_REACHABLE,
  N_PROPS
};

typedef struct
{
  StationEngine *engine;
  char *supply_id;
} Delivery;

/* A supply asked here, waiting for Central's answer at most
 * %STATION_ENGINE_ANSWER_TIMEOUT_MS: then the station is told there is
 * none (`no-answer`) rather than left waiting for ever. */
typedef struct
{
  StationEngine *engine;
  EvSupplyRequest *request;
  guint timeout_id;
} Pending;

/* The monitor link ------------------------------------------------------- */

/* How far a monitor link got with the pairing (docs/protocol.md,
 * "The engine port"). */
typedef struct
{
  char *challenge;             /* the last one given, for the next hello */
  char *cp_id;                 /* a proved hello for it was answered ok */
  gboolean reported;           /* a not-paired event was emitted */
} LinkPairing;

#define CONSTRUCT_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define READ_FLAGS (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

void engine_emit (StationEngine *self, StationEventKind kind, const StationEventData *data);

void engine_emit_error (StationEngine *self, const char *message);

void engine_set_boolean (StationEngine *self, gboolean *field, gboolean value, int prop, StationEventKind kind);

char *engine_authenticate (StationEngine *self, const char *topic, const char *cp_id, const char *json,
                           gsize length, gsize *out_length, GError **error);

void engine_publish_undelivered (StationEngine *self);

void engine_sync_machine (StationEngine *self);

void engine_pending_free (gpointer data);

Pending *engine_pending_new (StationEngine *self, const EvSupplyRequest *request);

void engine_delivery_failed_cb (EvBus *bus, const char *topic, const char *key, const GError *error,
                                gpointer user_data);

void engine_broker_reachable_cb (EvBus *bus, GParamSpec *pspec, gpointer user_data);

gboolean engine_bind_cp (StationEngine *self, const char *cp_id, GError **error);

gboolean engine_incoming_cb (GSocketService *service, GSocketConnection *connection, GObject *source_object,
                             gpointer user_data);

void engine_close_links (StationEngine *self);

void engine_notify (StationEngine *self,
                    int            prop);

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

extern GParamSpec *engine_pspecs[N_PROPS];
extern guint engine_signals[N_SIGNALS];

G_END_DECLS

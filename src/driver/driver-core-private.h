/* driver-core-private.h: what the files of the driver's core share and no
 * one else sees: the core's structure and its internal functions. */

#pragma once

#include "driver-core.h"
#include "driver-enum-types.h"
#include "driver-event.h"
#include "driver-history.h"
#include "driver-request-file.h"
#include "ev-bus.h"
#include "ev-charging-point.h"
#include "ev-file.h"
#include "ev-json.h"
#include "ev-supply.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

G_BEGIN_DECLS

/* The driver's app as a GObject on GLib alone: the live list of CPs from
 * cp-states, one supply followed through supply-res / supply-data2 /
 * supply-error (consumer group ev-driver-<id>, commit after the state is
 * saved), request files, recovery after a crash and the ticket history.
 * Views (headless, GTK) read its properties and list models and follow
 * its `event` signal of typed #DriverEvent. */

#define STATE_FILE "state.json"
#define HISTORY_FILE "history.json"
/* The most a state or history file may hold (some 200,000 tickets). */
#define STATE_FILE_MAX_SIZE (64 * 1024 * 1024)

/* A supply-data2 or supply-error message that arrived before the answer
 * naming its supply: the topics are read in parallel, so a fast Central's
 * first figures can overtake its authorisation. */
typedef struct
{
  EvSupplyData *data;
  EvSupplyError *error;
} Early;

/* Early messages kept at most; more means they are not ours to wait for. */
#define EARLY_MAX 64

/* Supplies authorised for a request this driver had given up on, kept at
 * most (see mark_abandoned()). */
#define ABANDONED_MAX 256

struct _DriverCore
{
  GObject parent_instance;

  char *driver_id;
  char *bootstrap;
  char **kafka_overrides;
  char *state_dir;
  gint64 answer_timeout;
  gint64 file_spacing;

  gboolean started;
  gboolean reachable;
  EvBus *bus;        /* producer + group ev-driver-<id> */
  EvBus *cp_reader;  /* cp-states from the beginning */
  EvBus *recovery;   /* the driver's topics from the beginning, while recovering */
  EvSigningKey *signing_key;  /* signs the driver's requests */
  EvVerifyKey *central_key;   /* checks Central's messages; NULL: nothing checked */
  guint close_recovery_id;

  DriverFollow *follow;
  EvSupply *watched;          /* the follow's supply the properties follow */
  guint answer_id;
  GPtrArray *early;           /* Early, for a supply not authorised yet */
  GHashTable *abandoned;      /* supply_id set: authorised after the driver gave up */
  GQueue abandoned_order;     /* the same, oldest first, to bound it */

  GListStore *cps;
  GHashTable *cp_index;       /* cp_id → EvChargingPoint (borrowed from cps) */

  GListStore *history;
  GHashTable *history_ids;    /* supply_id set */
  double total_kwh;
  double total_amount;

  DriverFileRun *file;
  guint spacing_id;
};

enum {
  PROP_0,
  PROP_DRIVER_ID,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_STATE_DIR,
  PROP_ANSWER_TIMEOUT,
  PROP_FILE_SPACING,
  PROP_BROKER_REACHABLE,
  PROP_SUPPLY,
  PROP_PHASE,
  PROP_CP_ID,
  PROP_REQUEST_ID,
  PROP_SUPPLY_ID,
  PROP_REASON,
  PROP_PRICE,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_STARTED_AT,
  PROP_ENDED_AT,
  PROP_STATUS_TEXT,
  PROP_CHARGING_POINTS,
  PROP_CHARGING_POINTS_LOADED,
  PROP_HISTORY,
  PROP_TOTAL_KWH,
  PROP_TOTAL_AMOUNT,
  PROP_FILE_RUNNING,
  PROP_FILE_PATH,
  PROP_FILE_POSITION,
  PROP_FILE_TOTAL,
  PROP_FILE_PAUSED,
  N_PROPS
};

void driver_save_state (DriverCore *self);

void driver_add_history (DriverCore *self, EvSupply *session);

void driver_load_history (DriverCore *self);

void driver_save_history (DriverCore *self);

void driver_load_state (DriverCore *self);

void driver_early_free (gpointer user_data);

void driver_emit_supply (DriverCore *self, DriverEventKind kind, gboolean retry);

void driver_invalid_message (DriverCore *self, EvBus *bus, EvBusMessage *msg, const GError *error);

void driver_supply_message_cb (EvBus *bus, EvBusMessage *msg, gpointer user_data);

void driver_arm_answer_timeout (DriverCore *self);

void driver_emit_file (DriverCore *self, DriverEventKind kind, DriverEventData *data);

void driver_notify_file (DriverCore *self);

void driver_file_check (DriverCore *self);

void driver_emit (DriverCore *self, DriverEventKind kind, const char *message, const DriverEventData *data);

void driver_emit_error (DriverCore *self, const char *message);

void driver_watch_supply (DriverCore *self, EvSupply *supply);

void driver_notify_request (DriverCore *self);

void driver_close_bus (DriverCore *self, EvBus **bus);

void driver_core_notify (DriverCore *self,
                         int         prop);

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

extern GParamSpec *driver_core_pspecs[N_PROPS];
extern guint driver_core_signals[N_SIGNALS];

G_END_DECLS

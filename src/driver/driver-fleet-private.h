#pragma once

#include "driver-fleet.h"
#include "driver-follow.h"
#include "ev-bus.h"
#include "ev-messages.h"

G_BEGIN_DECLS

/* The parts of DriverFleet its three files share: driver-fleet.c (who
 * asks where, life), driver-fleet-answers.c (what comes back on Kafka) and
 * driver-fleet-stats.c (counters and latency histograms). */

#define NOT_LISTED G_MAXUINT
#define PACE_TICK_MS 10

/* Latency histogram: values in µs, exact below HIST_LINEAR, then
 * HIST_SUB buckets per power of two (about 3 % resolution). */
#define HIST_LINEAR 64
#define HIST_SUB 32
#define HIST_SHIFTS 40
#define HIST_BUCKETS (HIST_LINEAR + HIST_SHIFTS * HIST_SUB)

typedef struct
{
  guint64 counts[HIST_BUCKETS];
  guint64 n;
  guint64 max_us;
} Latency;

#define N_DENY_REASONS (EV_SUPPLY_DENY_REASON_UNAVAILABLE + 1)
#define N_ERROR_REASONS (EV_SUPPLY_ERROR_REASON_NOT_PLUGGED + 1)

/* Cumulative since start or the last reset. */
typedef struct
{
  guint64 requests;
  guint64 authorized;
  guint64 denied;
  guint64 denials[N_DENY_REASONS];
  guint64 skipped;
  guint64 no_answer;
  guint64 progress;
  guint64 tickets;
  guint64 errors;
  guint64 supply_errors[N_ERROR_REASONS];
  Latency response;
  Latency progress_latency;
} Counters;

/* A ticket or error that came before the answer authorising its supply
 * (they travel on different topics): applied once the answer comes. */
typedef struct
{
  EvSupplyData *data;
  EvSupplyError *error;
} Early;

typedef struct
{
  DriverFollow *follow;
  Early *early;
  gint64 sent_us;     /* monotonic time the request was produced */
  guint idle_pos;     /* index in idle, NOT_LISTED while busy */
  EvSigningKey *key;  /* read or made at its first request */
} FleetDriver;

typedef struct
{
  char *cp_id;
  EvCpState state;
  gboolean taken;     /* this fleet has a request or supply there */
  guint free_pos;     /* index in free_cps, NOT_LISTED otherwise */
} FleetCp;

typedef struct
{
  guint index;
  gint64 sent_us;
} Pending;

struct _DriverFleet
{
  GObject parent_instance;

  char *bootstrap;
  char **kafka_overrides;
  guint count;
  char *prefix;
  double rate;
  guint answer_timeout;
  guint stats_interval;

  EvBus *bus;
  EvVerifyKey *central_key;  /* NULL: Central's messages are not checked */
  FleetDriver *drivers;
  GHashTable *by_id;      /* driver id (owned by its follow) → FleetDriver */
  GArray *idle;           /* guint indices of drivers with nothing in progress */
  GHashTable *cps;        /* cp id → FleetCp */
  GPtrArray *free_cps;    /* ACTIVE and not taken */
  guint cps_active;
  GArray *pending;        /* Pending, in send order */
  guint pending_head;
  GRand *rand;
  gint64 started_us;
  gint64 next_arrival_us;
  guint produce_failures;
  guint pace_id;
  guint sweep_id;
  guint stats_id;
  gboolean started;

  Counters counters;
};

static inline gboolean
driver_fleet_is_busy (const FleetDriver *driver)
{
  return driver->idle_pos == NOT_LISTED;
}

void        driver_fleet_conclude        (DriverFleet   *self,
                                          FleetDriver   *driver);
void        driver_fleet_update_free     (DriverFleet   *self,
                                          FleetCp       *cp);
void        driver_fleet_early_free      (Early         *early);
void        driver_fleet_message_cb      (EvBus         *bus,
                                          EvBusMessage  *msg,
                                          gpointer       user_data);
void        driver_fleet_latency_add     (Latency       *latency,
                                          gint64         us);
JsonObject *driver_fleet_latency_fields  (const Latency *latency);

G_END_DECLS

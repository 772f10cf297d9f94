#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ev-ocpp-schema.h"

G_BEGIN_DECLS

/**
 * StationOcppPhase:
 * @STATION_OCPP_PHASE_IDLE: no link; the next attempt is due at `next_us`.
 * @STATION_OCPP_PHASE_CONNECTING: the WebSocket handshake is under way.
 * @STATION_OCPP_PHASE_BOOTING: linked, BootNotification not yet accepted.
 * @STATION_OCPP_PHASE_ACCEPTED: the CSMS accepted the boot.
 *
 * Where a simulated charger's link to its CSMS stands.
 */
typedef enum {
  STATION_OCPP_PHASE_IDLE,
  STATION_OCPP_PHASE_CONNECTING,
  STATION_OCPP_PHASE_BOOTING,
  STATION_OCPP_PHASE_ACCEPTED,
} StationOcppPhase;

/**
 * StationOcppConnector:
 *
 * The ChargePointStatus of a simulated charger's one connector (OCPP 1.6,
 * section 7.7), as far as the simulation reaches.
 */
typedef enum {
  STATION_OCPP_CONNECTOR_AVAILABLE,
  STATION_OCPP_CONNECTOR_PREPARING,
  STATION_OCPP_CONNECTOR_CHARGING,
  STATION_OCPP_CONNECTOR_FINISHING,
  STATION_OCPP_CONNECTOR_UNAVAILABLE,
  STATION_OCPP_CONNECTOR_FAULTED,
} StationOcppConnector;

/**
 * StationOcppBoot:
 *
 * The CSMS's last answer to BootNotification.
 */
typedef enum {
  STATION_OCPP_BOOT_NONE,
  STATION_OCPP_BOOT_ACCEPTED,
  STATION_OCPP_BOOT_PENDING,
  STATION_OCPP_BOOT_REJECTED,
} StationOcppBoot;

typedef struct _StationOcppHost StationOcppHost;
typedef struct _StationOcppCharger StationOcppCharger;

/**
 * StationOcppHost:
 * @session: the libsoup session every charger connects with
 * @cancellable: cancels the handshakes when the host goes
 * @schema: validates every message both ways
 * @url: the CSMS's base URL (with @prefix) or the charger's own URL
 * @prefix: (nullable): the ids' prefix: a charger connects to
 *   `URL/<prefix><index + 1>` on @digits digits; %NULL: to @url itself
 * @model: the chargePointModel of BootNotification
 * @power_kw: the simulated charging power
 * @meter_interval: seconds between two MeterValues of a transaction
 * @stop_after: seconds after which a charger ends its transaction by
 *   itself (0: never)
 * @answered: (nullable): told the round trip of every answered CALL
 * @booted: (nullable): told when a charger's boot is accepted
 * @changed: (nullable): told after every event that may change a
 *   charger's fields (a message, its link opening or closing)
 *
 * What the chargers of one process share: the link's tools, the
 * simulation's settings and the counters of docs/cli.md's `stats`.
 */
struct _StationOcppHost
{
  SoupSession  *session;
  GCancellable *cancellable;
  EvOcppSchema *schema;
  const char   *url;
  const char   *prefix;
  guint         digits;
  const char   *model;
  double        power_kw;
  guint         meter_interval;
  guint         stop_after;
  guint         handshakes;
  guint         max_handshakes;  /* at once; 0: 256 */
  const char   *password;        /* every charger's key for Basic auth, or NULL */
  GHashTable   *keys;            /* CP id → its key (wins over password), or NULL */
  gboolean      stopping;

  guint64       calls_sent;
  guint64       calls_answered;
  guint64       call_errors;
  guint64       errors;
  guint64       transactions;
  guint64       energy_wh;

  void        (*answered) (StationOcppHost    *host,
                           gint64              rtt_us);
  void        (*booted)   (StationOcppHost    *host,
                           StationOcppCharger *cp,
                           gint64              now_us);
  void        (*changed)  (StationOcppHost    *host,
                           StationOcppCharger *cp);
  gpointer      user_data;
};

/**
 * StationOcppCharger:
 *
 * One simulated OCPP 1.6-J charger with one connector: its link, its one
 * CALL in flight and those waiting, its meter and its transaction. A
 * plain struct, so that a fleet keeps 10,000 in one array; its fields are
 * read by its owner, written only by the functions below.
 */
struct _StationOcppCharger
{
  StationOcppHost         *host;
  SoupWebsocketConnection *ws;
  GQueue                   outbox;        /* EvOcppMessage *, CALLs waiting */
  char                    *id_tag;        /* of the transaction, or NULL */
  const char              *call_action;   /* the CALL in flight, or NULL */
  gint64                   call_sent_us;
  gint64                   next_us;       /* reconnect, boot retry */
  gint64                   heartbeat_us;
  gint64                   meter_us;
  gint64                   stop_us;       /* 0: no deadline */
  double                   meter_wh;
  guint                    call_seq;
  guint                    call_id;       /* of the CALL in flight */
  guint                    index;
  guint                    heartbeat_s;
  int                      transaction_id;
  int                      meter_start;
  int                      meter_stop;    /* of the last transaction */
  guint8                   phase;         /* StationOcppPhase */
  guint8                   connector;     /* StationOcppConnector */
  guint8                   boot;          /* StationOcppBoot */
  gboolean                 in_transaction : 1;
  gboolean                 inoperative : 1;   /* ChangeAvailability said so */
  gboolean                 booted_once : 1;
  gboolean                 plugged : 1;
  gboolean                 faulted : 1;
};

#define STATION_OCPP_TICK_MS 100

const char *station_ocpp_connector_to_string (StationOcppConnector connector);
const char *station_ocpp_boot_to_string      (StationOcppBoot      boot);
const char *station_ocpp_phase_to_string     (StationOcppPhase     phase);
gboolean    station_ocpp_check_url           (const char          *url,
                                              GError             **error);
char       *station_ocpp_url_cp_id           (const char          *url,
                                              GError             **error);
SoupSession *station_ocpp_session_new        (void);

void        station_ocpp_charger_init        (StationOcppCharger  *cp,
                                              StationOcppHost     *host,
                                              guint                index);
void        station_ocpp_charger_clear       (StationOcppCharger  *cp);
char       *station_ocpp_charger_dup_id      (StationOcppCharger  *cp);
void        station_ocpp_charger_tick        (StationOcppCharger  *cp,
                                              gint64               now_us,
                                              double               hours);
void        station_ocpp_charger_close       (StationOcppCharger  *cp);
gboolean    station_ocpp_charger_plug        (StationOcppCharger  *cp,
                                              GError             **error);
gboolean    station_ocpp_charger_unplug      (StationOcppCharger  *cp,
                                              GError             **error);
void        station_ocpp_charger_set_faulted (StationOcppCharger  *cp,
                                              gboolean             faulted);

G_END_DECLS

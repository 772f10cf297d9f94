#pragma once

#include <gio/gio.h>

#include "central-event.h"
#include "ev-signing.h"
#include "ev-charging-point.h"
#include "ev-supply.h"

G_BEGIN_DECLS

/* EUR/kWh of a newly registered CP when nothing else is said. */
#define CENTRAL_CORE_DEFAULT_PRICE 0.35
/* The highest price a charging point may have, in € per kWh (as --price). */
#define CENTRAL_CORE_PRICE_MAX 100.0

#define CENTRAL_CORE_ERROR (central_core_error_quark ())

typedef enum {
  CENTRAL_CORE_ERROR_FAILED,
  CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
  CENTRAL_CORE_ERROR_UNKNOWN_CP,
  CENTRAL_CORE_ERROR_NOT_STARTED,
  CENTRAL_CORE_ERROR_IN_PROGRESS,
  CENTRAL_CORE_ERROR_NOT_PENDING,
} CentralCoreError;

GQuark central_core_error_quark (void);

/**
 * CentralCore:
 *
 * Central's behaviour, on GLib/GIO alone: the monitor server, the Kafka
 * consumer and producers, the database, and the list models both front
 * ends show. Construct it with properties, then central_core_start().
 *
 * Construct-only properties:
 * - "listen" (string): "ADDR:PORT" for monitors; default "0.0.0.0:7001";
 *   port 0 picks a free port (read it back from "port").
 * - "bootstrap" (string): Kafka bootstrap servers (required).
 * - "kafka-overrides" (strv): librdkafka "key=value" properties.
 * - "db-path" (string): the SQLite database (required).
 * - "default-price" (double): EUR/kWh given to newly registered CPs
 *   (default 0.35).
 * - "silence-timeout" (uint, ms): a CP whose monitor sent no status for
 *   this long is DISCONNECTED (default 3000).
 * - "request-max-age" (uint, ms): a supply request older than this when
 *   read (by its envelope `ts`) is denied `invalid-request` (default
 *   9000; 0 = any age).
 * - "authorized-timeout" (uint, ms): an authorised supply that no
 *   progress has started this long after it was authorised ends with
 *   supply-error `not-plugged` and a `cancel` directive (default 75000).
 * - "group" (string): the Kafka consumer group (default "ev-central").
 * - "tls-cert", "tls-key" (string): PEM files; set, the monitor port
 *   speaks TLS (docs/tls.md). "tls-client-ca" (string): also require
 *   client certificates from this CA, whose CN must be the CP id.
 *
 * Read-only properties (notify):
 * - "started" (boolean)
 * - "port" (uint): the monitor port actually bound, 0 before start
 * - "broker-reachable" (boolean)
 * - "n-links" (uint): monitor links open
 * - "tls-fingerprint" (string): the SHA-256 fingerprint of the monitor
 *   port's certificate, %NULL while it is plain TCP
 *
 * Signals:
 * - "event" (CentralEvent *event): everything that happens, typed; the
 *   headless front end alone turns it into the JSON of docs/cli.md.
 *
 * The core is confined to one thread: it attaches every source to the
 * thread-default main context of the thread that starts it, and all its
 * methods, signals and models belong to that thread. CentralService runs
 * it on a thread of its own and gives views a copy of its models.
 */
#define CENTRAL_TYPE_CORE (central_core_get_type ())
G_DECLARE_FINAL_TYPE (CentralCore, central_core, CENTRAL, CORE, GObject)

/* $XDG_DATA_HOME/evcharging/central.db */
char        *central_core_default_db_path   (void);
char        *central_core_default_signing_key_path (void);
EvSigningKey *central_core_load_signing_key (const char         *path,
                                             GError            **error);

CentralCore *central_core_new               (const char         *listen,
                                             const char         *bootstrap,
                                             const char * const *kafka_overrides,
                                             const char         *db_path);

void         central_core_set_signing_key   (CentralCore        *self,
                                             EvSigningKey       *key);
void         central_core_set_ocpp_listen   (CentralCore        *self,
                                             const char         *listen);
void         central_core_set_ocpp_heartbeat (CentralCore       *self,
                                             guint              seconds);
void         central_core_set_ocpp_keys     (CentralCore        *self,
                                             const char         *path);
guint        central_core_get_ocpp_port     (CentralCore        *self);
gboolean     central_core_start             (CentralCore        *self,
                                             GError            **error);
/* Flushes the database and the producer, closes every link. Idempotent. */
void         central_core_shutdown          (CentralCore        *self);

gboolean     central_core_get_started       (CentralCore        *self);
guint        central_core_get_port          (CentralCore        *self);
const char  *central_core_get_listen        (CentralCore        *self);
const char  *central_core_get_tls_fingerprint (CentralCore      *self);
const char  *central_core_get_bootstrap     (CentralCore        *self);
const char  *central_core_get_db_path       (CentralCore        *self);
gboolean     central_core_get_broker_reachable (CentralCore     *self);
guint        central_core_get_n_links       (CentralCore        *self);

/* Every known CP, sorted by id; items are EvChargingPoint, updated in
 * place through their properties. */
GListModel  *central_core_get_charging_points (CentralCore      *self);
EvChargingPoint *central_core_lookup_cp     (CentralCore        *self,
                                             const char         *cp_id);
/* Supplies not concluded (requested, authorised, supplying), oldest
 * first; items are EvSupply. */
GListModel  *central_core_get_requests      (CentralCore        *self);
/* The system log, newest first, at most 1000 entries; CentralEvent. */
GListModel  *central_core_get_log           (CentralCore        *self);
/* Concluded supplies (tickets and failures), newest first, loaded from
 * the database at start and prepended as they conclude; EvSupply.
 * At most the newest 1000: the database keeps them all. */
GListModel  *central_core_get_history       (CentralCore        *self);

/* Operator commands. @cp_id NULL means every CP. */
gboolean     central_core_stop              (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);
gboolean     central_core_resume            (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);
gboolean     central_core_set_price         (CentralCore        *self,
                                             const char         *cp_id,
                                             double              price,
                                             GError            **error);
gboolean     central_core_set_location      (CentralCore        *self,
                                             const char         *cp_id,
                                             const char         *location,
                                             GError            **error);
gboolean     central_core_reset_token       (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);
gboolean     central_core_forget            (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);
gboolean     central_core_forget_driver_key (CentralCore        *self,
                                             const char         *driver_id,
                                             GError            **error);
gboolean     central_core_approve           (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);
gboolean     central_core_reject            (CentralCore        *self,
                                             const char         *cp_id,
                                             GError            **error);

/* Commits the database now. */
gboolean     central_core_flush             (CentralCore        *self,
                                             GError            **error);
/* Writes the whole history as CSV (RFC 4180, header line, UTF-8). */
gboolean     central_core_export_history    (CentralCore        *self,
                                             GFile              *file,
                                             GError            **error);
/* The same from any thread, with a read-only connection of its own. */
gboolean     central_write_history_csv      (const char         *db_path,
                                             GFile              *file,
                                             GCancellable       *cancellable,
                                             GError            **error);

G_END_DECLS

#pragma once

#include <gio/gio.h>

#include "central-core.h"

G_BEGIN_DECLS

/* How often, at most, the views get a batch of changes (ms). */
#define CENTRAL_SERVICE_DEFAULT_BATCH_INTERVAL_MS 100

/**
 * CentralService:
 *
 * Central's core on a thread of its own, with its own GMainContext: the
 * monitor links, Kafka, the database and their timers never wait for a
 * window. The thread that starts the service (the UI thread) reads a view
 * of the core: list models and properties updated from coalesced batches
 * of changes (the latest value of each CP and supply, log lines and
 * tickets added in one splice), at most every "batch-interval" ms, never
 * one wakeup per message. Operator commands travel the other way as
 * messages to the core's thread.
 *
 * Construct-only properties:
 * - "core" (CentralCore): a core, not started; from then on it belongs
 *   to the service's thread
 * - "views" (boolean, default TRUE): keep the view models (FALSE for the
 *   headless front end, which prints events on the core's thread)
 * - "batch-interval" (uint, ms, default 100)
 *
 * Read-only properties, on the UI thread: "started", "port",
 * "broker-reachable", "n-links", "history-total" (concluded supplies in
 * the database); "listen", "bootstrap", "db-path";
 * "batches" (how many batches the views have taken, not notified).
 *
 * Signals:
 * - "news" (CentralEvent *): on the UI thread, every new log line, oldest
 *   first, as its batch arrives
 * - "event" (CentralEvent *): on the core's thread, every event as it
 *   happens (for the headless front end)
 */
#define CENTRAL_TYPE_SERVICE (central_service_get_type ())
G_DECLARE_FINAL_TYPE (CentralService, central_service, CENTRAL, SERVICE, GObject)

typedef void (*CentralServiceFunc) (CentralCore *core,
                                    gpointer     user_data);

CentralService *central_service_new                  (CentralCore          *core);

gboolean        central_service_start                (CentralService       *self,
                                                      GError              **error);
void            central_service_shutdown             (CentralService       *self);

gboolean        central_service_call                 (CentralService       *self,
                                                      CentralServiceFunc    func,
                                                      gpointer              user_data);

gboolean        central_service_get_started          (CentralService       *self);
guint           central_service_get_port             (CentralService       *self);
const char     *central_service_get_tls_fingerprint  (CentralService       *self);
gboolean        central_service_get_broker_reachable (CentralService       *self);
guint           central_service_get_n_links          (CentralService       *self);
guint           central_service_get_history_total    (CentralService       *self);
const char     *central_service_get_listen           (CentralService       *self);
const char     *central_service_get_bootstrap        (CentralService       *self);
const char     *central_service_get_db_path          (CentralService       *self);

GListModel     *central_service_get_charging_points  (CentralService       *self);
GListModel     *central_service_get_requests         (CentralService       *self);
GListModel     *central_service_get_log              (CentralService       *self);
GListModel     *central_service_get_history          (CentralService       *self);

void            central_service_stop_async           (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_stop_finish          (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_resume_async         (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_resume_finish        (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            central_service_reset_token_async    (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_reset_token_finish   (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_set_price_async      (CentralService       *self,
                                                      const char           *cp_id,
                                                      double                price,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_set_price_finish     (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_set_location_async   (CentralService       *self,
                                                      const char           *cp_id,
                                                      const char           *location,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_set_location_finish  (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_forget_async         (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_forget_finish        (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_approve_async        (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_approve_finish       (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void            central_service_forget_driver_key_async (CentralService     *self,
                                                        const char         *driver_id,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
gboolean        central_service_forget_driver_key_finish (CentralService   *self,
                                                          GAsyncResult     *result,
                                                          GError          **error);
void            central_service_reject_async         (CentralService       *self,
                                                      const char           *cp_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_reject_finish        (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void            central_service_export_history_async (CentralService       *self,
                                                      GFile                *file,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean        central_service_export_history_finish (CentralService      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

void            central_service_search_log_async     (CentralService       *self,
                                                      const char           *text,
                                                      guint                 limit,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
GListModel     *central_service_search_log_finish    (CentralService       *self,
                                                      GAsyncResult         *result,
                                                      guint                *out_total,
                                                      GError              **error);
void            central_service_search_history_async (CentralService       *self,
                                                      const char           *text,
                                                      guint                 limit,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
GListModel     *central_service_search_history_finish (CentralService      *self,
                                                       GAsyncResult        *result,
                                                       guint               *out_total,
                                                       GError             **error);

G_END_DECLS

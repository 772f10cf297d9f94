#pragma once

#include <gio/gio.h>

#include "ev-charging-point.h"
#include "ev-cp-state.h"
#include "ev-supply.h"

G_BEGIN_DECLS

/* The default of EvStore:commit-latency, in ms. */
#define EV_STORE_DEFAULT_COMMIT_LATENCY_MS 2

#define EV_STORE_ERROR (ev_store_error_quark ())

/**
 * EvStoreError:
 * @EV_STORE_ERROR_FAILED: SQLite failed; the message carries its text.
 * @EV_STORE_ERROR_NOT_A_DATABASE: the file is not a SQLite database, or
 *   holds another application's data. It was left untouched.
 * @EV_STORE_ERROR_TOO_NEW: the database was written by a newer version of
 *   the program. It was left untouched.
 * @EV_STORE_ERROR_CORRUPT: SQLite found the database damaged.
 * @EV_STORE_ERROR_BUSY: another process kept the database locked for
 *   longer than the busy timeout.
 * @EV_STORE_ERROR_FULL: the disk is full.
 * @EV_STORE_ERROR_INVALID_ARGUMENT: bad input (an invalid id, a price that
 *   is not a finite number, negative energy, …); nothing was written.
 * @EV_STORE_ERROR_NOT_FOUND: no charging point or supply with that id.
 * @EV_STORE_ERROR_EXISTS: a charging point or supply with that id exists.
 * @EV_STORE_ERROR_BAD_TOKEN: the token does not match the charging point's.
 * @EV_STORE_ERROR_NO_TOKEN: the charging point has no token (registered
 *   before tokens existed, or reset by the operator) and must register
 *   again.
 * @EV_STORE_ERROR_IN_PROGRESS: the charging point or the driver already has
 *   a supply that has not ended.
 * @EV_STORE_ERROR_TOO_OLD: an #EvStoreReader met a database of an older
 *   schema, which only #EvStore (Central) upgrades. It was left untouched.
 *
 * Errors of #EvStore and #EvStoreReader. %EV_STORE_ERROR_NOT_FOUND also
 * means that an #EvStoreReader found no file to open.
 */
typedef enum {
  EV_STORE_ERROR_FAILED,
  EV_STORE_ERROR_NOT_A_DATABASE,
  EV_STORE_ERROR_TOO_NEW,
  EV_STORE_ERROR_CORRUPT,
  EV_STORE_ERROR_BUSY,
  EV_STORE_ERROR_FULL,
  EV_STORE_ERROR_INVALID_ARGUMENT,
  EV_STORE_ERROR_NOT_FOUND,
  EV_STORE_ERROR_EXISTS,
  EV_STORE_ERROR_BAD_TOKEN,
  EV_STORE_ERROR_NO_TOKEN,
  EV_STORE_ERROR_IN_PROGRESS,
  EV_STORE_ERROR_TOO_OLD,
} EvStoreError;

GQuark ev_store_error_quark (void);

/**
 * EV_STORE_SCHEMA_VERSION:
 *
 * The schema version (`PRAGMA user_version`) this build writes.
 */
#define EV_STORE_SCHEMA_VERSION 10

/* The default of EvStore:log-limit, in rows. */
#define EV_STORE_DEFAULT_LOG_LIMIT 200000

/**
 * EvLogRecord:
 * @id: its place in the log: later entries have greater ids
 * @time_ms: when it happened, in ms since the epoch
 * @level: its level, as given to ev_store_append_log()
 * @event: what happened, as a short name (`cp-registered`…)
 * @cp_id: (nullable): the charging point it is about, if any
 * @message: the text for people
 *
 * One entry of the log kept by ev_store_append_log(), as
 * ev_store_reader_search_log() returns it.
 */
typedef struct _EvLogRecord {
  gint64 id;
  gint64 time_ms;
  int level;
  char *event;
  char *cp_id;
  char *message;
} EvLogRecord;

void ev_log_record_free (EvLogRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvLogRecord, ev_log_record_free)

/**
 * EvOutboxEntry:
 * @id: its row in the outbox: later entries have greater ids
 * @topic: the Kafka topic it goes to
 * @key: (nullable): its Kafka key
 * @payload: its bytes, exactly as they are to be sent
 *
 * One message of the outbox (ev_store_outbox_add()), as
 * ev_store_outbox_load() returns it.
 */
typedef struct _EvOutboxEntry {
  gint64 id;
  char *topic;
  char *key;
  GBytes *payload;
} EvOutboxEntry;

EvOutboxEntry *ev_outbox_entry_new  (gint64         id,
                                     const char    *topic,
                                     const char    *key,
                                     GBytes        *payload);
void           ev_outbox_entry_free (EvOutboxEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvOutboxEntry, ev_outbox_entry_free)

#define EV_TYPE_STORE (ev_store_get_type ())

G_DECLARE_FINAL_TYPE (EvStore, ev_store, EV, STORE, GObject)

/**
 * EvStoreCommittedFunc:
 * @store: the store
 * @error: (nullable): %NULL when the writes were committed; otherwise why
 *   they were lost (the transaction was rolled back)
 * @user_data: the data given to ev_store_when_committed()
 *
 * Called once the transaction holding every write made before
 * ev_store_when_committed() has ended.
 */
typedef void (*EvStoreCommittedFunc) (EvStore      *store,
                                      const GError *error,
                                      gpointer      user_data);

/**
 * EvStoreSessionFunc:
 * @session: (transfer none): a supply; take a reference to keep it
 * @user_data: the data given with the function
 *
 * Called for each supply by ev_store_reader_foreach_history().
 *
 * Returns: %TRUE to go on, %FALSE to stop
 */
typedef gboolean (*EvStoreSessionFunc) (EvSupply *session,
                                        gpointer         user_data);

EvStore         *ev_store_open                  (const char            *path,
                                                 GError               **error);

const char      *ev_store_get_path              (EvStore               *self);
guint            ev_store_get_flush_interval    (EvStore               *self);
guint            ev_store_get_log_limit         (EvStore               *self);
void             ev_store_set_log_limit         (EvStore               *self,
                                                 guint                  log_limit);

gboolean         ev_store_flush                 (EvStore               *self,
                                                 GError               **error);
gboolean         ev_store_check_writable        (EvStore               *self,
                                                 GError               **error);
void             ev_store_when_committed        (EvStore               *self,
                                                 EvStoreCommittedFunc   func,
                                                 gpointer               user_data,
                                                 GDestroyNotify         destroy);
gboolean         ev_store_has_pending           (EvStore               *self);

char            *ev_store_register_cp           (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *location,
                                                 double                 price,
                                                 GError               **error);
char            *ev_store_register_cp_with_nonce (EvStore              *self,
                                                 const char            *cp_id,
                                                 const char            *location,
                                                 double                 price,
                                                 const char            *nonce,
                                                 GError               **error);
char            *ev_store_register_cp_pending   (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *location,
                                                 double                 price,
                                                 const char            *nonce,
                                                 gboolean               pending,
                                                 GError               **error);
gboolean         ev_store_approve_cp            (EvStore               *self,
                                                 const char            *cp_id,
                                                 GError               **error);
gboolean         ev_store_verify_token          (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *token,
                                                 GError               **error);
gboolean         ev_store_reset_token           (EvStore               *self,
                                                 const char            *cp_id,
                                                 GError               **error);
gboolean         ev_store_forget_cp             (EvStore               *self,
                                                 const char            *cp_id,
                                                 GError               **error);
GPtrArray       *ev_store_load_charging_points  (EvStore               *self,
                                                 GError               **error);
gboolean         ev_store_set_cp_state          (EvStore               *self,
                                                 const char            *cp_id,
                                                 EvCpState              state,
                                                 GError               **error);
gboolean         ev_store_set_cp_price          (EvStore               *self,
                                                 const char            *cp_id,
                                                 double                 price,
                                                 GError               **error);
gboolean         ev_store_set_cp_location       (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *location,
                                                 GError               **error);
gboolean         ev_store_touch_cp              (EvStore               *self,
                                                 const char            *cp_id,
                                                 GError               **error);
gboolean         ev_store_set_cp_column         (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *column,
                                                 const GValue          *value,
                                                 GError               **error);

gboolean         ev_store_touch_driver          (EvStore               *self,
                                                 const char            *driver_id,
                                                 GError               **error);

gboolean         ev_store_driver_is_known       (EvStore               *self,
                                                 const char            *driver_id,
                                                 GError               **error);
gboolean         ev_store_get_driver_key        (EvStore               *self,
                                                 const char            *driver_id,
                                                 char                 **out_key,
                                                 GError               **error);
gboolean         ev_store_bind_driver_key       (EvStore               *self,
                                                 const char            *driver_id,
                                                 const char            *public_key,
                                                 GError               **error);
gboolean         ev_store_forget_driver_key     (EvStore               *self,
                                                 const char            *driver_id,
                                                 gboolean              *out_forgotten,
                                                 GError               **error);

gboolean         ev_store_get_cp_keys           (EvStore               *self,
                                                 const char            *cp_id,
                                                 char                 **out_key,
                                                 char                 **out_previous,
                                                 gint64                *out_issued_at,
                                                 GError               **error);
gboolean         ev_store_set_cp_key            (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *key,
                                                 gint64                 issued_at,
                                                 GError               **error);

gboolean         ev_store_create_session        (EvStore               *self,
                                                 const char            *supply_id,
                                                 const char            *cp_id,
                                                 const char            *driver_id,
                                                 double                 price,
                                                 GError               **error);
gboolean         ev_store_record_progress       (EvStore               *self,
                                                 const char            *supply_id,
                                                 guint                  seq,
                                                 double                 kwh,
                                                 double                 amount,
                                                 gint64                 started_at,
                                                 gboolean              *out_applied,
                                                 GError               **error);
gboolean         ev_store_finish_session        (EvStore               *self,
                                                 EvSupply       *outcome,
                                                 gboolean              *out_recorded,
                                                 GError               **error);
EvSupply *ev_store_lookup_session        (EvStore               *self,
                                                 const char            *supply_id,
                                                 GError               **error);
EvSupply *ev_store_find_open_session     (EvStore               *self,
                                                 const char            *cp_id,
                                                 const char            *driver_id,
                                                 GError               **error);
GPtrArray       *ev_store_load_open_sessions    (EvStore               *self,
                                                 GError               **error);
GPtrArray       *ev_store_load_history          (EvStore               *self,
                                                 const char            *driver_id,
                                                 guint                  limit,
                                                 GError               **error);

gboolean         ev_store_record_denial         (EvStore               *self,
                                                 const char            *request_id,
                                                 const char            *reason,
                                                 GError               **error);
char            *ev_store_lookup_denial         (EvStore               *self,
                                                 const char            *request_id,
                                                 GError               **error);

gboolean         ev_store_start_ocpp_transaction (EvStore              *self,
                                                 const char            *supply_id,
                                                 gint64                 meter_start,
                                                 gint64                *transaction_id,
                                                 gint64                *stored_meter_start,
                                                 GError               **error);
gboolean         ev_store_get_ocpp_transaction  (EvStore               *self,
                                                 const char            *supply_id,
                                                 gint64                *transaction_id,
                                                 GError               **error);
char            *ev_store_lookup_ocpp_transaction (EvStore             *self,
                                                 gint64                 transaction_id,
                                                 gint64                *meter_start,
                                                 GError               **error);

gboolean         ev_store_append_log            (EvStore               *self,
                                                 gint64                 time_ms,
                                                 int                    level,
                                                 const char            *event,
                                                 const char            *cp_id,
                                                 const char            *message,
                                                 GError               **error);

gboolean         ev_store_outbox_add            (EvStore               *self,
                                                 const char            *topic,
                                                 const char            *key,
                                                 const void            *payload,
                                                 gsize                  length,
                                                 gint64                *out_id,
                                                 GError               **error);
gboolean         ev_store_outbox_remove         (EvStore               *self,
                                                 gint64                 id,
                                                 GError               **error);
GPtrArray       *ev_store_outbox_load           (EvStore               *self,
                                                 GError               **error);

typedef struct _EvStoreReader EvStoreReader;

EvStoreReader   *ev_store_reader_open           (const char            *path,
                                                 GError               **error);
void             ev_store_reader_free           (EvStoreReader         *reader);
GPtrArray       *ev_store_reader_search_log     (EvStoreReader         *reader,
                                                 const char            *text,
                                                 guint                  limit,
                                                 guint                 *out_total,
                                                 GError               **error);
GPtrArray       *ev_store_reader_search_history (EvStoreReader         *reader,
                                                 const char            *text,
                                                 guint                  limit,
                                                 guint                 *out_total,
                                                 GError               **error);
gboolean         ev_store_reader_foreach_history (EvStoreReader        *reader,
                                                 EvStoreSessionFunc     func,
                                                 gpointer               user_data,
                                                 GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvStoreReader, ev_store_reader_free)

G_END_DECLS

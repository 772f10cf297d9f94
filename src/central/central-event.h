#pragma once

#include <glib-object.h>

#include "ev-cp-state.h"
#include "ev-event.h"

G_BEGIN_DECLS

/**
 * CentralLogLevel:
 * @CENTRAL_LOG_INFO: routine news (a CP connected, a ticket issued)
 * @CENTRAL_LOG_WARNING: something needs attention (a denial, a fault, an
 *   unreachable broker)
 * @CENTRAL_LOG_ERROR: something failed (a database write, a bad message)
 */
typedef enum {
  CENTRAL_LOG_INFO,
  CENTRAL_LOG_WARNING,
  CENTRAL_LOG_ERROR,
} CentralLogLevel;

GType central_log_level_get_type (void);
#define CENTRAL_TYPE_LOG_LEVEL (central_log_level_get_type ())

/**
 * CentralEventKind:
 *
 * What happened. The nick of each value is the event's name in the
 * headless front end (docs/cli.md); %CENTRAL_EVENT_STOP and
 * %CENTRAL_EVENT_RESUME are the operator's own commands, kept in the log
 * only (the headless front end prints the `directive` they cause).
 */
typedef enum {
  CENTRAL_EVENT_READY,
  CENTRAL_EVENT_CP_REGISTERED,
  CENTRAL_EVENT_CP_AUTHENTICATED,
  CENTRAL_EVENT_AUTH_DENIED,
  CENTRAL_EVENT_CP_STATE,
  CENTRAL_EVENT_CP_DISCONNECTED,
  CENTRAL_EVENT_REQUEST,
  CENTRAL_EVENT_AUTHORIZED,
  CENTRAL_EVENT_DENIED,
  CENTRAL_EVENT_PROGRESS,
  CENTRAL_EVENT_TICKET,
  CENTRAL_EVENT_SUPPLY_ERROR,
  CENTRAL_EVENT_SETTLED,
  CENTRAL_EVENT_STORE,
  CENTRAL_EVENT_DIRECTIVE,
  CENTRAL_EVENT_INVALID_MESSAGE,
  CENTRAL_EVENT_BROKER,
  CENTRAL_EVENT_ERROR,
  CENTRAL_EVENT_STOP,
  CENTRAL_EVENT_RESUME,
  CENTRAL_EVENT_TOKEN_RESET,
  CENTRAL_EVENT_CP_FORGOTTEN,
  CENTRAL_EVENT_PRICE,
  CENTRAL_EVENT_LOCATION,
  CENTRAL_EVENT_TLS,
  CENTRAL_EVENT_TLS_FAILED,
  CENTRAL_EVENT_DRIVER_KEY_FORGOTTEN,
  CENTRAL_EVENT_CP_APPROVED,
  CENTRAL_EVENT_CP_REJECTED,
} CentralEventKind;

GType central_event_kind_get_type (void);
#define CENTRAL_TYPE_EVENT_KIND (central_event_kind_get_type ())

/**
 * CentralEventData:
 *
 * The figures of one event; which members mean something depends on the
 * kind (docs/cli.md lists them per event). Strings may be %NULL.
 */
typedef struct {
  const char *cp_id;
  const char *peer;
  const char *location;
  double      price;
  EvCpState   state;
  EvCpState   previous;
  const char *reason;
  const char *fault;
  const char *request_id;
  const char *driver_id;
  const char *supply_id;
  const char *origin;
  gint64      seq;
  double      kwh;
  double      amount;
  gint64      started_at;
  gint64      ended_at;
  const char *target;
  const char *action;
  const char *topic;
  gboolean    reachable;
  gboolean    writable;
  guint       held;
  const char *listen;
  guint       port;
  const char *kafka;
  const char *db;
  guint       cps;
  const char *fingerprint;
  gboolean    encrypted;
  gboolean    client_certs;
  gboolean    pending;
  guint       count;
} CentralEventData;

/**
 * CentralEvent:
 *
 * One thing that happened at Central (an #EvEvent), immutable once made,
 * so that it can travel from the core's thread to the views. Events with
 * a message are the lines of the system log.
 */
#define CENTRAL_TYPE_EVENT (central_event_get_type ())
G_DECLARE_FINAL_TYPE (CentralEvent, central_event, CENTRAL, EVENT, EvEvent)

CentralEvent           *central_event_new         (CentralEventKind        kind,
                                                   gint64                  time_ms,
                                                   CentralLogLevel         level,
                                                   const char             *message,
                                                   const CentralEventData *data);

CentralEventKind        central_event_get_kind    (CentralEvent *self);
/* The event's name, as in the headless front end ("cp-registered", …). */
const char             *central_event_get_name    (CentralEvent *self);
/* When it happened, in ms since the epoch. */
gint64                  central_event_get_time    (CentralEvent *self);
CentralLogLevel         central_event_get_level   (CentralEvent *self);
/* A translated sentence for people, or %NULL for events not logged. */
const char             *central_event_get_message (CentralEvent *self);
const char             *central_event_get_cp_id   (CentralEvent *self);
const CentralEventData *central_event_get_data    (CentralEvent *self);

typedef struct _EvLogRecord EvLogRecord;
CentralEvent           *central_event_new_from_record (const EvLogRecord *record);

G_END_DECLS

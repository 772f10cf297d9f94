#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "driver-follow.h"
#include "driver-request-file.h"

G_BEGIN_DECLS

/**
 * DriverFileOutcome:
 * @DRIVER_FILE_OUTCOME_TICKET: `ticket`, the supply ended with a ticket.
 * @DRIVER_FILE_OUTCOME_DENIED: `denied`, Central refused the request.
 * @DRIVER_FILE_OUTCOME_SUPPLY_ERROR: `supply-error`, the supply ended by
 *   an error.
 * @DRIVER_FILE_OUTCOME_NO_ANSWER: `no-answer`, Central did not answer in
 *   time.
 * @DRIVER_FILE_OUTCOME_NOT_SENT: `not-sent`, the request could not go out.
 *
 * How one line of a request file ended.
 */
typedef enum {
  DRIVER_FILE_OUTCOME_TICKET,
  DRIVER_FILE_OUTCOME_DENIED,
  DRIVER_FILE_OUTCOME_SUPPLY_ERROR,
  DRIVER_FILE_OUTCOME_NO_ANSWER,
  DRIVER_FILE_OUTCOME_NOT_SENT,
} DriverFileOutcome;

/* The result of one line of a request file. */
typedef struct
{
  guint n;                    /* its place in the run, from 1 */
  char *cp_id;
  guint line;                 /* its line in the file */
  DriverFileOutcome outcome;
  char *reason;               /* wire reason of a denial, ticket or error; nullable */
  char *supply_id;            /* nullable */
  double kwh;
  double amount;
} DriverFileResult;

/* What a run's results add up to. */
typedef struct
{
  guint tickets;
  guint denied;
  guint failed;               /* ended by an error, or not sent */
  guint no_answer;
  double kwh;
  double amount;
} DriverFileTotals;

/* A request file being run by the core. */
typedef struct
{
  char *path;
  GPtrArray *entries;         /* DriverRequestEntry */
  guint index;                /* the entry being run, or next to run */
  gboolean requested;         /* entries[index] was requested; its result is not in yet */
  gboolean paused;            /* no further line is requested until resumed */
  gint64 concluded_at;        /* monotonic µs the last line concluded; 0 none yet */
  GPtrArray *results;         /* DriverFileResult */
} DriverFileRun;

#define DRIVER_TYPE_FILE_RESULT (driver_file_result_get_type ())

const char        *driver_file_outcome_to_string  (DriverFileOutcome       outcome);
DriverFileOutcome  driver_file_outcome_for_phase  (DriverPhase             phase);

GType              driver_file_result_get_type    (void);
DriverFileResult  *driver_file_result_new         (guint                   n,
                                                   const DriverRequestEntry *entry,
                                                   const DriverFollow     *supply);
DriverFileResult  *driver_file_result_copy        (const DriverFileResult *result);
void               driver_file_result_free        (DriverFileResult       *result);
JsonObject        *driver_file_result_to_json     (const DriverFileResult *result);
DriverFileResult  *driver_file_result_from_json   (JsonObject             *object);
void               driver_file_results_count      (GPtrArray              *results,
                                                   DriverFileTotals       *totals);

DriverFileRun     *driver_file_run_new            (const char             *path);
void               driver_file_run_free           (DriverFileRun          *file);
guint              driver_file_run_get_position   (const DriverFileRun    *file);
JsonObject        *driver_file_run_to_json        (const DriverFileRun    *file);
DriverFileRun     *driver_file_run_from_json      (JsonObject             *object);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DriverFileResult, driver_file_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DriverFileRun, driver_file_run_free)

G_END_DECLS

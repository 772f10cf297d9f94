#include "config.h"

#include "driver-file-run.h"
#include "ev-json.h"

/* A request file run as the core keeps it, and the results of its lines.
 * The JSON forms are the ones saved in state.json, where a run resumes
 * from; a result's is also the one docs/cli.md prints in `file-result`
 * and `file-done`. */

static const char * const outcome_names[] = {
  [DRIVER_FILE_OUTCOME_TICKET] = "ticket",
  [DRIVER_FILE_OUTCOME_DENIED] = "denied",
  [DRIVER_FILE_OUTCOME_SUPPLY_ERROR] = "supply-error",
  [DRIVER_FILE_OUTCOME_NO_ANSWER] = "no-answer",
  [DRIVER_FILE_OUTCOME_NOT_SENT] = "not-sent",
};

const char *
driver_file_outcome_to_string (DriverFileOutcome outcome)
{
  g_return_val_if_fail (outcome <= DRIVER_FILE_OUTCOME_NOT_SENT, NULL);
  return outcome_names[outcome];
}

static gboolean
outcome_from_string (const char        *text,
                     DriverFileOutcome *outcome)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (outcome_names); i++)
    if (g_str_equal (text, outcome_names[i]))
      {
        *outcome = i;
        return TRUE;
      }
  return FALSE;
}

/**
 * driver_file_outcome_for_phase:
 * @phase: where a line's supply stands once it is over
 *
 * Returns: the line's outcome; %DRIVER_FILE_OUTCOME_NOT_SENT for a phase
 *   that does not end a line
 */
DriverFileOutcome
driver_file_outcome_for_phase (DriverPhase phase)
{
  switch (phase)
    {
    case DRIVER_PHASE_FINISHED: return DRIVER_FILE_OUTCOME_TICKET;
    case DRIVER_PHASE_DENIED: return DRIVER_FILE_OUTCOME_DENIED;
    case DRIVER_PHASE_FAILED: return DRIVER_FILE_OUTCOME_SUPPLY_ERROR;
    case DRIVER_PHASE_NO_ANSWER: return DRIVER_FILE_OUTCOME_NO_ANSWER;
    case DRIVER_PHASE_IDLE:
    case DRIVER_PHASE_REQUESTED:
    case DRIVER_PHASE_AUTHORIZED:
    case DRIVER_PHASE_SUPPLYING:
    default: return DRIVER_FILE_OUTCOME_NOT_SENT;
    }
}

G_DEFINE_BOXED_TYPE (DriverFileResult, driver_file_result, driver_file_result_copy, driver_file_result_free)

/**
 * driver_file_result_new:
 * @n: the line's place in the run, from 1
 * @entry: the line
 * @supply: (nullable): its supply once over, or %NULL when the request
 *   could not be sent
 *
 * Returns: (transfer full): the line's result
 */
DriverFileResult *
driver_file_result_new (guint                     n,
                        const DriverRequestEntry *entry,
                        const DriverFollow       *supply)
{
  DriverFileResult *result = g_new0 (DriverFileResult, 1);
  const char *cp_id = supply != NULL ? driver_follow_get_cp_id (supply) : NULL;

  result->n = n;
  /* An `auto` line's result names the CP it asked at. */
  result->cp_id = g_strdup (cp_id != NULL ? cp_id : entry->cp_id);
  result->line = entry->line;
  result->outcome = supply != NULL ? driver_file_outcome_for_phase (driver_follow_get_phase (supply))
                                   : DRIVER_FILE_OUTCOME_NOT_SENT;
  if (supply != NULL && supply->supply != NULL)
    {
      result->reason = g_strdup (ev_supply_get_reason (supply->supply));
      result->supply_id = g_strdup (ev_supply_get_supply_id (supply->supply));
      result->kwh = ev_supply_get_kwh (supply->supply);
      result->amount = ev_supply_get_amount (supply->supply);
    }
  return result;
}

DriverFileResult *
driver_file_result_copy (const DriverFileResult *result)
{
  DriverFileResult *copy = g_memdup2 (result, sizeof *result);

  copy->cp_id = g_strdup (result->cp_id);
  copy->reason = g_strdup (result->reason);
  copy->supply_id = g_strdup (result->supply_id);
  return copy;
}

void
driver_file_result_free (DriverFileResult *result)
{
  if (result == NULL)
    return;
  g_free (result->cp_id);
  g_free (result->reason);
  g_free (result->supply_id);
  g_free (result);
}

/**
 * driver_file_result_to_json:
 * @result: a line's result
 *
 * Returns: (transfer full): `{n, cp_id, line, outcome, reason, supply_id,
 *   kwh, amount}`, as saved and as docs/cli.md prints it
 */
JsonObject *
driver_file_result_to_json (const DriverFileResult *result)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "n", result->n);
  json_object_set_string_member (object, "cp_id", result->cp_id);
  json_object_set_int_member (object, "line", result->line);
  json_object_set_string_member (object, "outcome", driver_file_outcome_to_string (result->outcome));
  ev_json_object_set_nullable_string (object, "reason", result->reason);
  ev_json_object_set_nullable_string (object, "supply_id", result->supply_id);
  json_object_set_double_member (object, "kwh", result->kwh);
  json_object_set_double_member (object, "amount", result->amount);
  return object;
}

/**
 * driver_file_result_from_json:
 * @object: what driver_file_result_to_json() wrote
 *
 * Returns: (transfer full) (nullable): the result, or %NULL when @object
 *   is not one
 */
DriverFileResult *
driver_file_result_from_json (JsonObject *object)
{
  g_autoptr(DriverFileResult) result = g_new0 (DriverFileResult, 1);
  const char *cp_id = json_object_get_string_member_with_default (object, "cp_id", NULL);

  if (!ev_protocol_is_valid_id (cp_id) ||
      !outcome_from_string (json_object_get_string_member_with_default (object, "outcome", NULL),
                            &result->outcome))
    return NULL;

  result->n = (guint) ev_json_object_get_int_in_range (object, "n", 0, G_MAXUINT, 0);
  result->cp_id = g_strdup (cp_id);
  result->line = (guint) ev_json_object_get_int_in_range (object, "line", 0, G_MAXUINT, 0);
  result->reason = g_strdup (json_object_get_string_member_with_default (object, "reason", NULL));
  result->supply_id = g_strdup (json_object_get_string_member_with_default (object, "supply_id", NULL));
  result->kwh = ev_json_object_get_figure (object, "kwh");
  result->amount = ev_json_object_get_figure (object, "amount");
  return g_steal_pointer (&result);
}

/**
 * driver_file_results_count:
 * @results: (element-type DriverFileResult): a run's results
 * @totals: (out caller-allocates): what they add up to
 */
void
driver_file_results_count (GPtrArray        *results,
                           DriverFileTotals *totals)
{
  *totals = (DriverFileTotals) { 0 };
  for (guint i = 0; i < results->len; i++)
    {
      const DriverFileResult *result = g_ptr_array_index (results, i);

      totals->tickets += result->outcome == DRIVER_FILE_OUTCOME_TICKET;
      totals->denied += result->outcome == DRIVER_FILE_OUTCOME_DENIED;
      totals->failed += result->outcome == DRIVER_FILE_OUTCOME_SUPPLY_ERROR ||
                        result->outcome == DRIVER_FILE_OUTCOME_NOT_SENT;
      totals->no_answer += result->outcome == DRIVER_FILE_OUTCOME_NO_ANSWER;
      totals->kwh += result->kwh;
      totals->amount += result->amount;
    }
}

DriverFileRun *
driver_file_run_new (const char *path)
{
  DriverFileRun *file = g_new0 (DriverFileRun, 1);

  file->path = g_strdup (path);
  file->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_request_entry_free);
  file->results = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_file_result_free);
  return file;
}

void
driver_file_run_free (DriverFileRun *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_ptr_array_unref (file->entries);
  g_ptr_array_unref (file->results);
  g_free (file);
}

/**
 * driver_file_run_get_position:
 * @file: a run
 *
 * Returns: n, the line under way (or next) from 1, at most the last one
 */
guint
driver_file_run_get_position (const DriverFileRun *file)
{
  return MIN (file->index + 1, file->entries->len);
}

JsonObject *
driver_file_run_to_json (const DriverFileRun *file)
{
  JsonObject *object = json_object_new ();
  JsonArray *entries = json_array_new ();
  JsonArray *results = json_array_new ();

  for (guint i = 0; i < file->entries->len; i++)
    {
      DriverRequestEntry *entry = g_ptr_array_index (file->entries, i);
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "cp_id", entry->cp_id);
      json_object_set_int_member (item, "line", entry->line);
      json_array_add_object_element (entries, item);
    }
  for (guint i = 0; i < file->results->len; i++)
    json_array_add_object_element (results, driver_file_result_to_json (g_ptr_array_index (file->results, i)));

  json_object_set_string_member (object, "path", file->path);
  json_object_set_array_member (object, "entries", entries);
  json_object_set_int_member (object, "index", file->index);
  json_object_set_boolean_member (object, "requested", file->requested);
  json_object_set_boolean_member (object, "paused", file->paused);
  json_object_set_array_member (object, "results", results);
  return object;
}

/**
 * driver_file_run_from_json:
 * @object: what driver_file_run_to_json() wrote
 *
 * Returns: (transfer full) (nullable): the run, or %NULL when @object is
 *   damaged
 */
DriverFileRun *
driver_file_run_from_json (JsonObject *object)
{
  g_autoptr(DriverFileRun) file = NULL;
  JsonArray *entries, *results;
  const char *path;

  path = json_object_get_string_member_with_default (object, "path", NULL);
  entries = json_object_get_array_member (object, "entries");
  results = json_object_get_array_member (object, "results");
  if (path == NULL || entries == NULL || results == NULL)
    return NULL;

  file = driver_file_run_new (path);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *item = json_array_get_object_element (entries, i);
      const char *cp_id = item != NULL ? json_object_get_string_member_with_default (item, "cp_id", NULL) : NULL;

      if (!ev_protocol_is_valid_id (cp_id))
        return NULL;
      g_ptr_array_add (file->entries,
                       driver_request_entry_new (cp_id, (guint) ev_json_object_get_int_in_range (item, "line", 0, G_MAXUINT, 0)));
    }
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *item = json_array_get_object_element (results, i);
      DriverFileResult *result = item != NULL ? driver_file_result_from_json (item) : NULL;

      if (result != NULL)
        g_ptr_array_add (file->results, result);
    }
  /* Past the end, or damaged: the file is done, and asks for nothing more. */
  file->index = (guint) ev_json_object_get_int_in_range (object, "index", 0, file->entries->len, file->entries->len);
  file->requested = json_object_get_boolean_member_with_default (object, "requested", FALSE) &&
                    file->index < file->entries->len;
  file->paused = json_object_get_boolean_member_with_default (object, "paused", FALSE);
  return g_steal_pointer (&file);
}

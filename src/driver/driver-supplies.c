/* driver-supplies.c: the driver's supplies, from the request to the ticket:
 * the answers and figures Central relays, those that come early or late,
 * what a restart finds, and request files run one line after another. */

#include "config.h"

#include "driver-core-private.h"

static void file_record_result (DriverCore *self,
                                gboolean    sent);

void
driver_early_free (gpointer user_data)
{
  Early *early = user_data;

  g_clear_pointer (&early->data, ev_supply_data_free);
  g_clear_pointer (&early->error, ev_supply_error_free);
  g_free (early);
}

/* Supply events ------------------------------------------------------------ */

/* The supply events tell the supply as it stands now, and the situation
 * in words. */
void
driver_emit_supply (DriverCore      *self,
                    DriverEventKind  kind,
                    gboolean         retry)
{
  g_autofree char *message = driver_follow_describe (self->follow);
  DriverEventData data = { .supply = self->follow, .retry = retry };

  driver_emit (self, kind, message, &data);
}

/* The event of a phase the supply has just entered; FALSE for none. */
static gboolean
phase_event_kind (DriverPhase      phase,
                  DriverEventKind *kind)
{
  switch (phase)
    {
    case DRIVER_PHASE_REQUESTED: *kind = DRIVER_EVENT_REQUEST; return TRUE;
    case DRIVER_PHASE_NO_ANSWER: *kind = DRIVER_EVENT_NO_ANSWER; return TRUE;
    case DRIVER_PHASE_AUTHORIZED: *kind = DRIVER_EVENT_AUTHORIZED; return TRUE;
    case DRIVER_PHASE_SUPPLYING: *kind = DRIVER_EVENT_PROGRESS; return TRUE;
    case DRIVER_PHASE_FINISHED: *kind = DRIVER_EVENT_TICKET; return TRUE;
    case DRIVER_PHASE_DENIED: *kind = DRIVER_EVENT_DENIED; return TRUE;
    case DRIVER_PHASE_FAILED: *kind = DRIVER_EVENT_SUPPLY_ERROR; return TRUE;
    case DRIVER_PHASE_IDLE:
    default: return FALSE;
    }
}

static gboolean
close_recovery_cb (gpointer user_data)
{
  DriverCore *self = user_data;

  self->close_recovery_id = 0;
  driver_close_bus (self, &self->recovery);
  return G_SOURCE_REMOVE;
}

/* Records a concluded supply (ticket or error) once per supply id: the
 * history holds the follow's own supply, so that a later settling of it
 * is the supply the driver sees. */
static void
record_history (DriverCore *self)
{
  DriverPhase phase = driver_follow_get_phase (self->follow);
  const char *supply_id = driver_follow_get_supply_id (self->follow);

  if ((phase != DRIVER_PHASE_FINISHED && phase != DRIVER_PHASE_FAILED) ||
      supply_id == NULL || g_hash_table_contains (self->history_ids, supply_id))
    return;

  driver_add_history (self, self->follow->supply);
  driver_save_history (self);
  driver_core_notify (self, PROP_TOTAL_KWH);
  driver_core_notify (self, PROP_TOTAL_AMOUNT);
}

/* Everything that follows a change of the supply, in the order that makes
 * a crash harmless: state saved, history recorded, then the views told;
 * the caller marks the Kafka message done last. */
static void
follow_changed (DriverCore *self)
{
  DriverPhase phase = driver_follow_get_phase (self->follow);
  DriverEventKind kind;

  if (phase != DRIVER_PHASE_REQUESTED)
    g_clear_handle_id (&self->answer_id, g_source_remove);

  record_history (self);
  driver_save_state (self);
  if (phase_event_kind (phase, &kind))
    driver_emit_supply (self, kind, FALSE);

  /* The recovery read has found what it looked for (or a new supply
   * began): the consumer group alone goes on. It closes from an idle
   * callback, never from inside its own message handler. */
  if (self->recovery != NULL && !driver_phase_is_active (phase) && self->close_recovery_id == 0)
    self->close_recovery_id = g_idle_add (close_recovery_cb, self);

  driver_file_check (self);
}

/* Where a ticket of a supply the driver did not follow to its end puts
 * it: an engine that broke down, or a vehicle never plugged in, ended it
 * early. */
static EvSupplyPhase
ticket_phase (const EvSupplyData *data)
{
  return data->reason == EV_TICKET_REASON_ENGINE_FAULT || data->reason == EV_TICKET_REASON_NOT_PLUGGED
         ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED;
}

/* The final ticket of a supply that ended here with an error: Central
 * ended it at a fault and the engine went on; the history entry (which is
 * the supply shown, if it is that one) takes the engine's figures.
 * Returns FALSE for anything else, a repeat included. */
static gboolean
settle_history (DriverCore         *self,
                const EvSupplyData *data)
{
  g_autoptr(EvSupply) entry = NULL;
  g_autofree char *message = NULL;
  GListModel *history = G_LIST_MODEL (self->history);
  const char *reason = ev_ticket_reason_to_string (data->reason);
  DriverFollow *settled;
  DriverEventData event = { 0 };

  if (data->kind != EV_SUPPLY_DATA_TICKET || g_strcmp0 (data->driver_id, self->driver_id) != 0 ||
      !g_hash_table_contains (self->history_ids, data->supply_id))
    return FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (history) && entry == NULL; i++)
    {
      g_autoptr(EvSupply) item = g_list_model_get_item (history, i);

      if (g_strcmp0 (ev_supply_get_supply_id (item), data->supply_id) == 0)
        entry = g_steal_pointer (&item);
    }
  if (entry == NULL || ev_supply_get_phase (entry) != EV_SUPPLY_PHASE_FAILED ||
      (g_strcmp0 (ev_supply_get_reason (entry), reason) == 0 &&
       ev_supply_get_kwh (entry) == data->kwh))
    return FALSE;

  self->total_kwh += data->kwh - ev_supply_get_kwh (entry);
  self->total_amount += data->amount - ev_supply_get_amount (entry);
  driver_supply_take_data (entry, data, ticket_phase (data));
  driver_save_history (self);
  driver_core_notify (self, PROP_TOTAL_KWH);
  driver_core_notify (self, PROP_TOTAL_AMOUNT);

  /* The ticket as the events tell it: that supply, now settled. */
  settled = driver_follow_new (self->driver_id);
  settled->supply = g_object_ref (entry);
  if (self->follow->supply == entry)
    {
      settled->request_id = g_strdup (self->follow->request_id);
      settled->requested_at = self->follow->requested_at;
      driver_save_state (self);
    }

  message = g_strdup_printf (_("The final ticket of the supply at %s that failed: %.3f kWh, %.2f €"),
                             data->cp_id, data->kwh, data->amount);
  event.supply = settled;
  driver_emit (self, DRIVER_EVENT_TICKET, message, &event);
  driver_follow_free (settled);
  return TRUE;
}

/* A ticket billed to this driver for a supply it never followed: its
 * authorisation was lost (Central stopped, the broker was away) and the
 * driver gave up or moved on, but the vehicle was charged. It goes into
 * the history, once, so that the driver sees every supply it pays for.
 * A ticket with nothing supplied is not news. */
static gboolean
record_unfollowed (DriverCore         *self,
                   const EvSupplyData *data)
{
  g_autoptr(EvSupply) session = NULL;
  g_autofree char *message = NULL;
  DriverFollow *unfollowed;
  DriverEventData event = { 0 };

  if (data->kind != EV_SUPPLY_DATA_TICKET || g_strcmp0 (data->driver_id, self->driver_id) != 0 ||
      g_strcmp0 (data->supply_id, driver_follow_get_supply_id (self->follow)) == 0 ||
      g_hash_table_contains (self->history_ids, data->supply_id) ||
      (data->kwh <= 0.0 && data->amount <= 0.0))
    return FALSE;

  session = ev_supply_new (data->supply_id, data->cp_id, self->driver_id);
  driver_supply_take_data (session, data, ticket_phase (data));
  driver_add_history (self, session);
  driver_save_history (self);
  driver_core_notify (self, PROP_TOTAL_KWH);
  driver_core_notify (self, PROP_TOTAL_AMOUNT);

  unfollowed = driver_follow_new (self->driver_id);
  unfollowed->supply = g_object_ref (session);
  message = g_strdup_printf (_("A ticket for a supply at %s whose authorisation never reached you: %.3f kWh, %.2f €"),
                             data->cp_id, data->kwh, data->amount);
  event.supply = unfollowed;
  driver_emit (self, DRIVER_EVENT_TICKET, message, &event);
  driver_follow_free (unfollowed);
  return TRUE;
}

/* Kafka -------------------------------------------------------------------- */

void
driver_invalid_message (DriverCore   *self,
                        EvBus        *bus,
                        EvBusMessage *msg,
                        const GError *error)
{
  DriverEventData data = { .topic = (char *) ev_bus_message_get_topic (msg), .reason = error->message };

  ev_bus_message_skip (bus, msg, error->message);
  driver_emit (self, DRIVER_EVENT_INVALID_MESSAGE, NULL, &data);
}

/* Keeps the driver's own message about a supply it cannot know yet,
 * while its request waits for an answer. */
static gboolean
waiting_for_answer (DriverCore *self)
{
  DriverPhase phase = driver_follow_get_phase (self->follow);

  return phase == DRIVER_PHASE_REQUESTED || phase == DRIVER_PHASE_NO_ANSWER;
}

static void
keep_early (DriverCore     *self,
            const char     *driver_id,
            EvSupplyData  **data,
            EvSupplyError **error)
{
  Early *early;

  if (g_strcmp0 (driver_id, self->driver_id) != 0 || !waiting_for_answer (self))
    return;

  if (self->early->len >= EARLY_MAX)
    g_ptr_array_remove_index (self->early, 0);
  early = g_new0 (Early, 1);
  early->data = data != NULL ? g_steal_pointer (data) : NULL;
  early->error = error != NULL ? g_steal_pointer (error) : NULL;
  g_ptr_array_add (self->early, early);
}

/* The follow has left the wait for an answer (authorised, denied, …):
 * the early messages that are its supply's apply now, in the order they
 * came; the tickets of other supplies are supplies this driver paid for
 * without following them, and go into the history. */
static void
replay_early (DriverCore *self)
{
  g_autoptr(GPtrArray) early = g_steal_pointer (&self->early);

  self->early = g_ptr_array_new_with_free_func (driver_early_free);
  for (guint i = 0; i < early->len; i++)
    {
      Early *item = g_ptr_array_index (early, i);
      DriverFollowResult result = item->data != NULL ? driver_follow_on_data (self->follow, item->data)
                                                     : driver_follow_on_error (self->follow, item->error);

      if (result != DRIVER_FOLLOW_IGNORED)
        follow_changed (self);
      else if (item->data != NULL && !settle_history (self, item->data))
        record_unfollowed (self, item->data);
    }
}

/* An authorisation for a request that is no longer the one followed (the
 * driver gave up on it: no answer in time, or it asked again): its supply
 * may still have run, and its ticket is not one to wait an answer for.
 * Whatever of it came early goes into the history now, and what comes
 * later goes there at once. Without this, a ticket that overtook such an
 * authorisation waited for ever while the driver stayed without an
 * answer (chaos seed 735502081: drivers whose consumer group could not
 * join during broker outages got both, 30 s late). */
static void
mark_abandoned (DriverCore             *self,
                const EvSupplyResponse *response)
{
  char *key;

  if (response->status != EV_SUPPLY_STATUS_AUTHORIZED || response->supply_id == NULL ||
      g_strcmp0 (response->driver_id, self->driver_id) != 0 ||
      g_strcmp0 (response->request_id, self->follow->request_id) == 0 ||
      g_hash_table_contains (self->abandoned, response->supply_id))
    return;

  key = g_strdup (response->supply_id);
  g_hash_table_add (self->abandoned, key);
  g_queue_push_tail (&self->abandoned_order, key);
  if (self->abandoned_order.length > ABANDONED_MAX)
    g_hash_table_remove (self->abandoned, g_queue_pop_head (&self->abandoned_order));

  for (guint i = 0; i < self->early->len;)
    {
      Early *item = g_ptr_array_index (self->early, i);

      if (item->data != NULL && g_strcmp0 (item->data->supply_id, response->supply_id) == 0)
        {
          record_unfollowed (self, item->data);
          g_ptr_array_remove_index (self->early, i);
        }
      else
        i++;
    }
}

void
driver_supply_message_cb (EvBus        *bus,
                          EvBusMessage *msg,
                          gpointer      user_data)
{
  DriverCore *self = user_data;
  const char *topic = ev_bus_message_get_topic (msg);
  const char *key = ev_bus_message_get_key (msg);
  GBytes *value = ev_bus_message_get_value (msg);
  g_autoptr(GError) error = NULL;
  DriverFollowResult result = DRIVER_FOLLOW_IGNORED;
  const char *data = "";
  gsize length = 0;

  /* Keyed by driver id: another driver's messages are not even parsed. */
  if (key != NULL && g_strcmp0 (key, self->driver_id) != 0)
    {
      ev_bus_message_done (bus, msg);
      return;
    }

  if (!ev_bus_message_verify (msg, self->central_key, &error))
    {
      driver_invalid_message (self, bus, msg, error);
      return;
    }
  if (value != NULL)
    data = g_bytes_get_data (value, &length);

  if (g_str_equal (topic, "supply-res"))
    {
      g_autoptr(EvSupplyResponse) response = ev_supply_response_from_json (data, length, &error);

      if (response != NULL)
        result = driver_follow_on_response (self->follow, response);
      if (response != NULL && result == DRIVER_FOLLOW_IGNORED)
        mark_abandoned (self, response);
    }
  else if (g_str_equal (topic, "supply-data2"))
    {
      g_autoptr(EvSupplyData) supply_data = ev_supply_data_from_json (data, length, &error);

      if (supply_data != NULL)
        result = driver_follow_on_data (self->follow, supply_data);
      if (supply_data != NULL && result == DRIVER_FOLLOW_IGNORED && !settle_history (self, supply_data))
        {
          if (waiting_for_answer (self) && !g_hash_table_contains (self->abandoned, supply_data->supply_id))
            keep_early (self, supply_data->driver_id, &supply_data, NULL);
          else
            record_unfollowed (self, supply_data);
        }
    }
  else if (g_str_equal (topic, "supply-error"))
    {
      g_autoptr(EvSupplyError) supply_error = ev_supply_error_from_json (data, length, &error);

      if (supply_error != NULL)
        result = driver_follow_on_error (self->follow, supply_error);
      if (supply_error != NULL && result == DRIVER_FOLLOW_IGNORED)
        keep_early (self, supply_error->driver_id, NULL, &supply_error);
    }

  if (error != NULL)
    {
      driver_invalid_message (self, bus, msg, error);
      return;
    }
  if (result != DRIVER_FOLLOW_IGNORED)
    follow_changed (self);
  if (self->early->len > 0 && !waiting_for_answer (self))
    replay_early (self);
  ev_bus_message_done (bus, msg);
}

/* Requests ----------------------------------------------------------------- */

static gboolean
answer_timeout_cb (gpointer user_data)
{
  DriverCore *self = user_data;

  self->answer_id = 0;
  if (driver_follow_expire (self->follow))
    {
      driver_notify_request (self);
      follow_changed (self);
    }
  return G_SOURCE_REMOVE;
}

void
driver_arm_answer_timeout (DriverCore *self)
{
  g_clear_handle_id (&self->answer_id, g_source_remove);
  self->answer_id = g_timeout_add (MAX (self->answer_timeout, 0), answer_timeout_cb, self);
}

static char *
send_request (DriverCore  *self,
              const char  *cp_id,
              GError     **error)
{
  g_autoptr(DriverFollow) previous = NULL;
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *json = NULL;
  gboolean retry;
  gsize length;

  if (!self->started)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_NOT_STARTED, _("The driver is not started"));
      return NULL;
    }
  if (g_strcmp0 (cp_id, DRIVER_CORE_AUTO_CP) == 0)
    {
      cp_id = driver_core_choose_cp (self);
      if (cp_id == NULL)
        {
          g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_NONE_AVAILABLE,
                               _("No charging point is available right now"));
          return NULL;
        }
    }
  if (!ev_protocol_validate_cp_id (cp_id, "cp_id", error))
    return NULL;

  /* Asking again after no answer reuses the request id: Central answers a
   * repeated request the same way, so two answers never mean two supplies. */
  retry = driver_follow_get_phase (self->follow) == DRIVER_PHASE_NO_ANSWER &&
          g_strcmp0 (driver_follow_get_cp_id (self->follow), cp_id) == 0;
  request_id = retry ? g_strdup (self->follow->request_id) : ev_protocol_new_uuid ();
  if (!driver_follow_check_free (self->follow, error))
    return NULL;
  /* The follow as it was is kept aside until the request is out. */
  previous = g_steal_pointer (&self->follow);
  self->follow = driver_follow_new (self->driver_id);
  driver_follow_request (self->follow, cp_id, request_id, ev_protocol_now_ms (), NULL);
  if (!retry)
    {
      /* What came for the request given up on is not for this one; a
       * ticket among it is still the driver's. */
      for (guint i = 0; i < self->early->len; i++)
        {
          Early *item = g_ptr_array_index (self->early, i);

          if (item->data != NULL)
            record_unfollowed (self, item->data);
        }
      g_ptr_array_set_size (self->early, 0);
    }

  /* Saved before it is sent: a crash in between leaves a request that
   * times out, never an answer nobody is waiting for. */
  driver_save_state (self);
  request = ev_supply_request_new (request_id, cp_id, self->driver_id, EV_SUPPLY_ORIGIN_DRIVER);
  json = driver_core_sign_request (self->signing_key, request, &length, error);
  if (json == NULL || !ev_bus_produce (self->bus, "supply-req", cp_id, json, length, error))
    {
      driver_follow_free (self->follow);
      self->follow = g_steal_pointer (&previous);
      driver_save_state (self);
      return NULL;
    }

  driver_arm_answer_timeout (self);
  driver_watch_supply (self, self->follow->supply);
  driver_emit_supply (self, DRIVER_EVENT_REQUEST, retry);
  return g_steal_pointer (&request_id);
}

/**
 * driver_core_choose_cp:
 * @self: a core
 *
 * What `auto` asks for: the cheapest charging point available now in the
 * list read from `cp-states`, the first by id among equal prices.
 *
 * Returns: (nullable): its id, or %NULL when none is available
 */
const char *
driver_core_choose_cp (DriverCore *self)
{
  GListModel *cps;
  EvChargingPoint *best = NULL;

  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);

  cps = G_LIST_MODEL (self->cps);
  for (guint i = 0; i < g_list_model_get_n_items (cps); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (cps, i);

      if (!ev_cp_state_is_available (ev_charging_point_get_state (cp)))
        continue;
      if (best == NULL || ev_charging_point_get_price (cp) < ev_charging_point_get_price (best) ||
          (ev_charging_point_get_price (cp) == ev_charging_point_get_price (best) &&
           g_strcmp0 (ev_charging_point_get_cp_id (cp), ev_charging_point_get_cp_id (best)) < 0))
        best = cp;   /* the list keeps its reference */
    }
  return best != NULL ? ev_charging_point_get_cp_id (best) : NULL;
}

/**
 * driver_core_request:
 * @self: a started core
 * @cp_id: the charging point
 * @error: return location for a #GError
 *
 * Asks Central for a supply at @cp_id and follows it; %DRIVER_CORE_AUTO_CP
 * (`auto`) asks at driver_core_choose_cp(). Refused while a
 * supply is in progress or a request file runs. After Central did not
 * answer, asking again at the same CP repeats the same request.
 *
 * Returns: (transfer full) (nullable): the request id
 */
char *
driver_core_request (DriverCore  *self,
                     const char  *cp_id,
                     GError     **error)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);

  if (self->file != NULL)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_FILE_RUNNING,
                   _("The request file %s is running: wait until it is done"), self->file->path);
      return NULL;
    }
  return send_request (self, cp_id, error);
}

/* Request files ------------------------------------------------------------ */

/* Emits a file event: the members of @kind in @data, with the run's
 * path, n and m. */
void
driver_emit_file (DriverCore      *self,
                  DriverEventKind  kind,
                  DriverEventData *data)
{
  data->path = self->file->path;
  data->position = driver_file_run_get_position (self->file);
  data->total = self->file->entries->len;
  driver_emit (self, kind, NULL, data);
}

void
driver_notify_file (DriverCore *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  driver_core_notify (self, PROP_FILE_RUNNING);
  driver_core_notify (self, PROP_FILE_PATH);
  driver_core_notify (self, PROP_FILE_POSITION);
  driver_core_notify (self, PROP_FILE_TOTAL);
  driver_core_notify (self, PROP_FILE_PAUSED);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
file_request_current (DriverCore *self)
{
  DriverRequestEntry *entry = g_ptr_array_index (self->file->entries, self->file->index);
  g_autoptr(GError) error = NULL;
  g_autofree char *request_id = NULL;
  /* An `auto` line asks at the cheapest CP available when its turn comes. */
  const char *chosen = g_strcmp0 (entry->cp_id, DRIVER_CORE_AUTO_CP) == 0 ? driver_core_choose_cp (self) : NULL;
  const char *cp_id = chosen != NULL ? chosen : entry->cp_id;
  DriverEventData data = { .cp_id = (char *) cp_id, .line = entry->line };

  driver_emit_file (self, DRIVER_EVENT_FILE_REQUEST, &data);

  self->file->requested = TRUE;
  request_id = send_request (self, cp_id, &error);
  if (request_id == NULL)
    {
      /* Counted like any other failed supply, and the file goes on. */
      g_autofree char *message = g_strdup_printf (_("Line %u (%s): %s"), entry->line, cp_id, error->message);

      driver_emit_error (self, message);
      file_record_result (self, FALSE);
      driver_save_state (self);
      driver_file_check (self);
    }
  driver_notify_file (self);
}

static gboolean
spacing_cb (gpointer user_data)
{
  DriverCore *self = user_data;

  self->spacing_id = 0;
  if (self->file != NULL && !self->file->paused && !self->file->requested &&
      self->file->index < self->file->entries->len)
    file_request_current (self);
  return G_SOURCE_REMOVE;
}

/* @sent: whether the line's request went out (the supply's outcome is
 * recorded), or could not be sent at all. */
static void
file_record_result (DriverCore *self,
                    gboolean    sent)
{
  DriverRequestEntry *entry = g_ptr_array_index (self->file->entries, self->file->index);
  DriverFileResult *result = driver_file_result_new (self->file->index + 1, entry, sent ? self->follow : NULL);
  DriverEventData data = {
    .path = self->file->path,
    .position = result->n,
    .total = self->file->entries->len,
    .result = result,
  };

  g_ptr_array_add (self->file->results, result);
  self->file->requested = FALSE;
  self->file->concluded_at = g_get_monotonic_time ();
  self->file->index++;
  driver_emit (self, DRIVER_EVENT_FILE_RESULT, NULL, &data);
  /* The spacing runs from when everyone has heard of the result. */
  self->file->concluded_at = g_get_monotonic_time ();
}

/* @stopped: the user stopped the run before its end; the lines not yet
 * requested are not, and do not count in the summary. */
static void
file_finish (DriverCore *self,
             gboolean    stopped)
{
  g_autoptr(DriverFileRun) file = g_steal_pointer (&self->file);
  DriverEventData data = {
    .path = file->path,
    .total = file->entries->len,
    .results = file->results,
    .stopped = stopped,
  };

  g_clear_handle_id (&self->spacing_id, g_source_remove);
  driver_save_state (self);
  driver_notify_file (self);
  driver_emit (self, DRIVER_EVENT_FILE_DONE, NULL, &data);
}

/* The spacing still to wait before the next line: all of it after a
 * conclusion, what is left of it after a pause. */
static guint
file_spacing_left (DriverCore *self)
{
  gint64 elapsed_ms;

  if (self->file->concluded_at == 0)
    return MAX (self->file_spacing, 0);
  elapsed_ms = (g_get_monotonic_time () - self->file->concluded_at) / 1000;
  return CLAMP (self->file_spacing - elapsed_ms, 0, MAX (self->file_spacing, 0));
}

/* Moves the file on: a concluded (or unanswered) supply of the current
 * line is recorded, and the next line is requested after the spacing,
 * unless the run is paused. */
void
driver_file_check (DriverCore *self)
{
  DriverPhase phase;

  if (self->file == NULL)
    return;

  phase = driver_follow_get_phase (self->follow);
  if (self->file->requested &&
      (driver_phase_is_concluded (phase) || phase == DRIVER_PHASE_NO_ANSWER || phase == DRIVER_PHASE_IDLE))
    {
      file_record_result (self, phase != DRIVER_PHASE_IDLE);
      driver_save_state (self);
      driver_notify_file (self);
    }

  if (self->file->requested)
    return;
  if (self->file->index >= self->file->entries->len)
    file_finish (self, FALSE);
  else if (self->spacing_id == 0 && !self->file->paused)
    self->spacing_id = g_timeout_add (file_spacing_left (self), spacing_cb, self);
}

/**
 * driver_core_run_file:
 * @self: a started core
 * @path: a request file
 * @error: return location for a #GError
 *
 * Runs @path: requests its first CP at once and each next one
 * #DriverCore:file-spacing after the previous supply concluded, whatever
 * its outcome. Malformed lines are reported (`file-invalid-line`) and
 * skipped. Progress goes out as `file-request` and `file-result` events,
 * the summary as `file-done`.
 *
 * Returns: %TRUE if the file runs
 */
gboolean
driver_core_run_file (DriverCore  *self,
                      const char  *path,
                      GError     **error)
{
  g_autoptr(DriverRequestFile) parsed = NULL;
  g_autofree char *absolute = NULL;

  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!self->started)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_NOT_STARTED, _("The driver is not started"));
      return FALSE;
    }
  if (self->file != NULL)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_FILE_RUNNING,
                   _("The request file %s is running: wait until it is done"), self->file->path);
      return FALSE;
    }
  if (!driver_follow_check_free (self->follow, error))
    return FALSE;

  absolute = g_canonicalize_filename (path, NULL);
  parsed = driver_request_file_load (absolute, error);
  if (parsed == NULL)
    return FALSE;

  for (guint i = 0; i < parsed->problems->len; i++)
    {
      DriverRequestProblem *problem = g_ptr_array_index (parsed->problems, i);
      g_autofree char *message = g_strdup_printf (_("%s, line %u: %s (skipped)"), absolute, problem->line,
                                                  problem->message);

      DriverEventData data = { .path = absolute, .line = problem->line, .text = problem->text,
                               .reason = problem->message };

      driver_emit (self, DRIVER_EVENT_FILE_INVALID_LINE, message, &data);
    }
  if (parsed->entries->len == 0)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_EMPTY_FILE,
                   _("The request file %s has no valid charging point id"), absolute);
      return FALSE;
    }

  self->file = driver_file_run_new (absolute);
  g_ptr_array_extend_and_steal (self->file->entries, g_steal_pointer (&parsed->entries));
  parsed->entries = g_ptr_array_new ();

  {
    DriverEventData data = { .invalid_lines = parsed->problems->len };

    driver_emit_file (self, DRIVER_EVENT_FILE_START, &data);
  }
  file_request_current (self);
  return TRUE;
}

/**
 * driver_core_stop_file:
 * @self: a core
 *
 * Stops the request file that runs: no further line is requested, and
 * `file-done` reports the results so far with `stopped` set. A supply
 * already requested by the file goes on as an ordinary supply (a driver
 * cannot take back a request), and its ticket still reaches the history.
 * The saved state forgets the run, so it does not resume at the next start.
 *
 * Returns: %TRUE if a file was running
 */
gboolean
driver_core_stop_file (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);

  if (self->file == NULL)
    return FALSE;
  file_finish (self, TRUE);
  return TRUE;
}

static gboolean
check_file_running (DriverCore  *self,
                    GError     **error)
{
  if (self->file != NULL)
    return TRUE;
  g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_NO_FILE, _("No request file is running"));
  return FALSE;
}

/**
 * driver_core_pause_file:
 * @self: a core
 * @error: return location for a #GError
 *
 * Pauses the request file that runs: no further line is requested until
 * driver_core_resume_file(). A supply the file already requested goes on,
 * and its outcome is recorded as usual. The pause is saved, so a run
 * paused when the driver stops resumes paused. Emits `file-paused`.
 *
 * Returns: %TRUE if the run is now paused; %FALSE if no file runs or it
 *   was paused already
 */
gboolean
driver_core_pause_file (DriverCore  *self,
                        GError     **error)
{
  DriverEventData data = { 0 };

  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);

  if (!check_file_running (self, error))
    return FALSE;
  if (self->file->paused)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_FILE_PAUSED,
                   _("The request file %s is paused already"), self->file->path);
      return FALSE;
    }

  self->file->paused = TRUE;
  g_clear_handle_id (&self->spacing_id, g_source_remove);
  driver_save_state (self);
  driver_notify_file (self);
  data.requested = self->file->requested;
  driver_emit_file (self, DRIVER_EVENT_FILE_PAUSED, &data);
  return TRUE;
}

/**
 * driver_core_resume_file:
 * @self: a core
 * @error: return location for a #GError
 *
 * Resumes a paused request file: the next line is requested once the
 * #DriverCore:file-spacing after the last concluded supply has passed (at
 * once if it has). Emits `file-resumed`.
 *
 * Returns: %TRUE if the run goes on; %FALSE if no file runs or it was not
 *   paused
 */
gboolean
driver_core_resume_file (DriverCore  *self,
                         GError     **error)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);

  if (!check_file_running (self, error))
    return FALSE;
  if (!self->file->paused)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_FILE_NOT_PAUSED,
                   _("The request file %s is not paused"), self->file->path);
      return FALSE;
    }

  self->file->paused = FALSE;
  driver_save_state (self);
  driver_notify_file (self);
  {
    DriverEventData data = { 0 };

    driver_emit_file (self, DRIVER_EVENT_FILE_RESUMED, &data);
  }
  driver_file_check (self);
  return TRUE;
}

/**
 * driver_core_sign_request:
 * @key: the driver's key
 * @request: a request of this driver
 * @out_len: (out): the length of the result
 * @error: return location for an error
 *
 * @request as JSON, signed for `supply-req` with its CP as the key.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 */
char *
driver_core_sign_request (EvSigningKey          *key,
                          const EvSupplyRequest *request,
                          gsize                 *out_len,
                          GError               **error)
{
  g_autofree char *json = NULL;
  gsize length = 0;

  json = ev_supply_request_to_json (request, &length);
  return ev_signed_message_sign (key, "supply-req", request->cp_id, json, length, out_len, error);
}

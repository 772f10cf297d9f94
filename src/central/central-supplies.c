/* central-supplies.c: the supply rules: requests, authorisations, progress,
 * tickets, settling after faults, and what waits while the database cannot
 * be written. */

#include "config.h"

#include "central-core-private.h"

static void store_failed   (CentralCore  *self,
                            const GError *error);
static void hold_or_refuse (CentralCore  *self,
                            EvBusMessage *msg);
static gboolean is_storage_error (const GError *error);
static void store_failed_for (CentralCore  *self,
                              EvBusMessage *msg,
                              const char   *topic,
                              const GError *error);
static void untrack_session (CentralCore     *self,
                             EvSupply        *session);
static void emit_ticket  (CentralCore     *self,
                          EvSupply        *session);
static void emit_settled (CentralCore     *self,
                          EvSupply        *session,
                          const char      *fault);
static void apply_supply_data (CentralCore        *self,
                               EvBusMessage       *msg,
                               const EvSupplyData *data,
                               const char         *text,
                               gsize               length);
static gboolean retry_store_cb (gpointer user_data);
static void dispatch (CentralCore  *self,
                      EvBusMessage *msg);

/* Supply data comes from the bus, or from an OCPP charger with no bus
 * message behind it (@msg %NULL: central_apply_supply_data()). */
static void
message_done (CentralCore  *self,
              EvBusMessage *msg)
{
  if (msg != NULL)
    ev_bus_message_done (self->bus, msg);
}

static void
message_skip (CentralCore  *self,
              EvBusMessage *msg,
              const char   *reason)
{
  if (msg != NULL)
    ev_bus_message_skip (self->bus, msg, reason);
}

static void
after_commit_free (gpointer user_data)
{
  AfterCommit *after = user_data;

  if (after->destroy != NULL)
    after->destroy (after->data);
  g_clear_pointer (&after->msg, ev_bus_message_unref);
  g_object_unref (after->self);
  g_free (after);
}

static void
after_commit_cb (EvStore      *store,
                 const GError *error,
                 gpointer      user_data)
{
  AfterCommit *after = user_data;
  CentralCore *self = after->self;

  if (error != NULL)
    {
      /* The effect is lost with the batch: memory is made to match the
       * database again, the message waits for the store (its offset left
       * alone, so a Central that stops meanwhile sees it again). */
      store_failed (self, error);
      if (after->msg != NULL)
        hold_or_refuse (self, after->msg);
      return;
    }

  if (after->func != NULL)
    after->func (self, after->data);
  if (after->msg != NULL && self->bus != NULL)
    ev_bus_message_done (self->bus, after->msg);
}

void
central_when_committed (CentralCore     *self,
                        EvBusMessage    *msg,
                        AfterCommitFunc  func,
                        gpointer         data,
                        GDestroyNotify   destroy)
{
  AfterCommit *after = g_new0 (AfterCommit, 1);

  after->self = g_object_ref (self);
  after->msg = msg != NULL ? ev_bus_message_ref (msg) : NULL;
  after->func = func;
  after->data = data;
  after->destroy = destroy;
  ev_store_when_committed (self->store, after_commit_cb, after, after_commit_free);
}

/* Sessions ---------------------------------------------------------------- */

void
central_track_session (CentralCore     *self,
                       EvSupply        *session)
{
  const char *supply_id = ev_supply_get_supply_id (session);
  CpRecord *rec = g_hash_table_lookup (self->records, ev_supply_get_cp_id (session));

  g_hash_table_insert (self->open, g_strdup (supply_id), g_object_ref (session));
  g_hash_table_insert (self->driver_supply,
                       g_strdup (ev_supply_get_driver_id (session)),
                       g_strdup (supply_id));
  g_list_store_append (self->requests, session);

  if (rec != NULL)
    ev_charging_point_set_supply (rec->cp, session);
}

/* Takes @session out of the open ones, into the history. */
static void
conclude_session (CentralCore     *self,
                  EvSupply        *session)
{
  /* Held: the tables below may hold the last other references. */
  g_autoptr(EvSupply) held = g_object_ref (session);

  untrack_session (self, held);
  g_list_store_insert (self->history, 0, held);
  /* The database keeps every ticket; memory only the newest. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->history)) > HISTORY_LIMIT)
    g_list_store_remove (self->history, HISTORY_LIMIT);
}

static void
outbox_send_cb (CentralCore *self,
                gpointer     data)
{
  central_outbox_send (self, data);
}

/* The figures of @session, for its events. */
static void
session_data (EvSupply         *session,
              CentralEventData *data)
{
  data->cp_id = ev_supply_get_cp_id (session);
  data->supply_id = ev_supply_get_supply_id (session);
  data->driver_id = ev_supply_get_driver_id (session);
  data->reason = ev_supply_get_reason (session);
  data->kwh = ev_supply_get_kwh (session);
  data->amount = ev_supply_get_amount (session);
  data->price = ev_supply_get_price (session);
  data->started_at = ev_supply_get_started_at (session);
  data->ended_at = ev_supply_get_ended_at (session);
}

static void
emit_supply_error (CentralCore     *self,
                   EvSupply        *session)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  message = g_strdup_printf (_("The supply of driver %s at %s failed (%s) after %.2f kWh, %.2f €"),
                             ev_supply_get_driver_id (session),
                             ev_supply_get_cp_id (session),
                             ev_reason_describe (ev_supply_get_reason (session)),
                             ev_supply_get_kwh (session),
                             ev_supply_get_amount (session));
  central_emit (self, CENTRAL_EVENT_SUPPLY_ERROR, CENTRAL_LOG_WARNING, message, &data);
}

/* Ends @session, not concluded yet, because of a fault seen by Central. */
void
central_fail_session (CentralCore         *self,
                      EvSupply            *session,
                      EvSupplyErrorReason  reason)
{
  g_autoptr(GError) error = NULL;
  EvOutboxEntry *entry = NULL;
  gboolean recorded = FALSE;
  const char *supply_id = ev_supply_get_supply_id (session);

  /* Not plugged in yet: an engine that gets the start late (a restarted
   * one, its group still rebalancing) must not take up the ended supply. */
  if (ev_supply_get_phase (session) == EV_SUPPLY_PHASE_AUTHORIZED)
    central_publish_directive (self, ev_supply_get_cp_id (session), EV_DIRECTIVE_ACTION_CANCEL, session);

  ev_supply_set_phase (session, EV_SUPPLY_PHASE_FAILED);
  ev_supply_set_reason (session, ev_supply_error_reason_to_string (reason));
  ev_supply_set_ended_at (session, central_now_ms ());
  /* Central's view of the fault; the engine's meter has the last word. */
  ev_supply_set_provisional (session, TRUE);
  if (!ev_store_finish_session (self->store, session, &recorded, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not end supply %s: %s"), supply_id, error->message);
      central_emit_error (self, message);
      /* Ended in memory only until the store works again: it then reads
       * the supply back as open, and ends it again. */
      if (is_storage_error (error))
        store_failed (self, error);
    }
  else if (recorded && (entry = central_write_supply_error (self, session, &error)) == NULL)
    {
      /* Lost with its batch: the store reads the supply back as open. */
      store_failed (self, error);
    }

  g_object_ref (session);
  conclude_session (self, session);
  emit_supply_error (self, session);
  if (entry != NULL)
    central_when_committed (self, NULL, outbox_send_cb, entry, (GDestroyNotify) ev_outbox_entry_free);
  g_object_unref (session);
}

/* Ends the open supply at @rec's CP because of a fault seen by Central. */
void
central_fail_supply (CentralCore         *self,
                     CpRecord            *rec,
                     EvSupplyErrorReason  reason)
{
  const char *supply_id = ev_charging_point_get_supply_id (rec->cp);
  EvSupply *session;

  if (supply_id == NULL)
    return;
  session = g_hash_table_lookup (self->open, supply_id);
  if (session != NULL)
    central_fail_session (self, session, reason);
}

/* Supply requests ---------------------------------------------------------- */

/* The supply id of a request: the same request always gets the same
 * supply, so a redelivered request is answered again instead of denied. */
static char *
supply_id_for_request (const char *request_id)
{
  g_autofree char *salted = g_strconcat ("ev-central/supply/", request_id, NULL);
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, salted, -1);

  /* An RFC 4122 name-based layout: version 5 nibble, variant 10xx. */
  hex[12] = '5';
  hex[16] = "89ab"[g_ascii_xdigit_value (hex[16]) & 3];
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void
send_authorization (CentralCore     *self,
                    const char      *request_id,
                    EvSupply        *session)
{
  g_autoptr(EvSupplyResponse) response = NULL;
  const char *driver_id = ev_supply_get_driver_id (session);
  char *json;
  gsize length;

  response = ev_supply_response_new_authorized (request_id, driver_id,
                                                ev_supply_get_cp_id (session),
                                                ev_supply_get_supply_id (session),
                                                ev_supply_get_price (session));
  json = ev_supply_response_to_json (response, &length);
  central_publish (self, "supply-res", driver_id, json, length);
  central_publish_directive (self, ev_supply_get_cp_id (session), EV_DIRECTIVE_ACTION_START, session);
}

static void
authorization_free (gpointer data)
{
  Authorization *auth = data;

  g_free (auth->request_id);
  g_clear_object (&auth->session);
  g_free (auth);
}

static void
send_authorization_cb (CentralCore *self,
                       gpointer     data)
{
  Authorization *auth = data;
  EvSupply *session = auth->session;
  g_autofree char *message = NULL;
  CentralEventData event = {
    .cp_id = ev_supply_get_cp_id (session),
    .request_id = auth->request_id,
    .driver_id = ev_supply_get_driver_id (session),
    .supply_id = ev_supply_get_supply_id (session),
    .price = ev_supply_get_price (session),
  };

  /* Told once stored: a batch lost with the disk never authorised it. */
  message = g_strdup_printf (_("Authorised driver %s at %s"), event.driver_id, event.cp_id);
  central_emit (self, CENTRAL_EVENT_AUTHORIZED, CENTRAL_LOG_INFO, message, &event);
  send_authorization (self, auth->request_id, session);
}

static void
send_denial_cb (CentralCore *self,
                gpointer     data)
{
  EvSupplyResponse *response = data;
  char *json;
  gsize length;

  json = ev_supply_response_to_json (response, &length);
  central_publish (self, "supply-res", response->driver_id, json, length);
}

static EvSupplyDenyReason
check_request (CentralCore           *self,
               const EvSupplyRequest *request)
{
  CpRecord *rec = g_hash_table_lookup (self->records, request->cp_id);

  /* Not approved yet: as unknown to drivers as it is on cp-states. */
  if (rec == NULL || ev_charging_point_get_pending (rec->cp))
    return EV_SUPPLY_DENY_REASON_UNKNOWN_CP;

  switch (ev_charging_point_get_state (rec->cp))
    {
    case EV_CP_STATE_DISCONNECTED:
      return EV_SUPPLY_DENY_REASON_CP_DISCONNECTED;
    case EV_CP_STATE_BROKEN:
      return EV_SUPPLY_DENY_REASON_CP_BROKEN;
    case EV_CP_STATE_STOPPED:
      return EV_SUPPLY_DENY_REASON_CP_STOPPED;
    case EV_CP_STATE_WAITING:
    case EV_CP_STATE_SUPPLYING:
      return EV_SUPPLY_DENY_REASON_CP_BUSY;
    case EV_CP_STATE_ACTIVE:
    default:
      break;
    }

  if (ev_charging_point_get_supply_id (rec->cp) != NULL)
    return EV_SUPPLY_DENY_REASON_CP_BUSY;
  if (g_hash_table_contains (self->driver_supply, request->driver_id))
    return EV_SUPPLY_DENY_REASON_DRIVER_BUSY;

  return EV_SUPPLY_DENY_REASON_NONE;
}

static void
handle_supply_request (CentralCore  *self,
                       EvBusMessage *msg,
                       const char   *data,
                       gsize         length)
{
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autoptr(EvSupply) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *supply_id = NULL;
  g_autofree char *message = NULL;
  EvSupply *session;
  EvSupplyDenyReason reason;
  CentralEventData event = { 0 };
  CpRecord *rec;

  request = ev_supply_request_from_json (data, length, &error);
  if (request == NULL)
    {
      central_emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (!central_check_request_author (self, msg, request, data, length, &error))
    {
      if (error != NULL)
        store_failed_for (self, msg, "supply-req", error);
      return;
    }

  supply_id = supply_id_for_request (request->request_id);

  /* Seen before (delivered again after a restart): answer the same way
   * while the supply is open, and stay quiet once it has ended. However
   * old the request, the supply it started may be under way: it is never
   * withdrawn here (an authorisation nobody takes up ends by itself, see
   * DEFAULT_AUTHORIZED_TIMEOUT_MS, and the engine ignores a start it
   * already follows). */
  session = g_hash_table_lookup (self->open, supply_id);
  if (session != NULL)
    {
      send_authorization (self, request->request_id, session);
      ev_bus_message_done (self->bus, msg);
      return;
    }
  stored = ev_store_lookup_session (self->store, supply_id, NULL);
  if (stored != NULL)
    {
      ev_bus_message_done (self->bus, msg);
      return;
    }

  /* Denied before (the answer may not have left before a crash): the same
   * answer again, never a new decision the driver no longer waits for. */
  {
    g_autofree char *denied = ev_store_lookup_denial (self->store, request->request_id, NULL);
    EvSupplyDenyReason earlier = EV_SUPPLY_DENY_REASON_INVALID_REQUEST;

    if (denied != NULL)
      {
        g_autoptr(EvSupplyResponse) again = NULL;

        ev_supply_deny_reason_from_string (denied, &earlier);
        again = ev_supply_response_new_denied (request->request_id, request->driver_id, request->cp_id, earlier);
        send_denial_cb (self, again);
        ev_bus_message_done (self->bus, msg);
        return;
      }
  }

  event.cp_id = request->cp_id;
  event.request_id = request->request_id;
  event.driver_id = request->driver_id;
  event.origin = ev_supply_origin_to_string (request->origin);
  central_emit (self, CENTRAL_EVENT_REQUEST, CENTRAL_LOG_INFO, NULL, &event);
  event.origin = NULL;

  if (self->request_max_age > 0 &&
      central_now_ms () - request->envelope.ts > (gint64) self->request_max_age)
    reason = EV_SUPPLY_DENY_REASON_INVALID_REQUEST;
  else
    reason = check_request (self, request);
  rec = g_hash_table_lookup (self->records, request->cp_id);
  if (reason == EV_SUPPLY_DENY_REASON_NONE &&
      !ev_store_create_session (self->store, supply_id, request->cp_id, request->driver_id,
                                ev_charging_point_get_price (rec->cp), &error))
    {
      if (is_storage_error (error))
        {
          store_failed_for (self, msg, "supply-req", error);
          return;
        }
      reason = g_error_matches (error, EV_STORE_ERROR, EV_STORE_ERROR_IN_PROGRESS)
               ? EV_SUPPLY_DENY_REASON_CP_BUSY : EV_SUPPLY_DENY_REASON_INVALID_REQUEST;
      g_warning ("Could not store supply %s: %s", supply_id, error->message);
    }

  if (reason != EV_SUPPLY_DENY_REASON_NONE)
    {
      EvSupplyResponse *response = ev_supply_response_new_denied (request->request_id, request->driver_id,
                                                                  request->cp_id, reason);

      event.reason = ev_supply_deny_reason_to_string (reason);
      {
        g_autoptr(GError) store_error = NULL;

        if (!ev_store_record_denial (self->store, request->request_id,
                                     ev_supply_deny_reason_to_string (reason), &store_error))
          central_emit_error (self, store_error->message);
      }
      message = g_strdup_printf (_("Denied driver %s at %s: %s"), request->driver_id, request->cp_id,
                                 ev_reason_describe (ev_supply_deny_reason_to_string (reason)));
      central_emit (self, CENTRAL_EVENT_DENIED, CENTRAL_LOG_WARNING, message, &event);
      central_when_committed (self, msg, send_denial_cb, response, (GDestroyNotify) ev_supply_response_free);
      return;
    }

  session = ev_supply_new (supply_id, request->cp_id, request->driver_id);
  ev_supply_set_phase (session, EV_SUPPLY_PHASE_AUTHORIZED);
  ev_supply_set_price (session, ev_charging_point_get_price (rec->cp));
  ev_supply_set_started_at (session, central_now_ms ());
  central_track_session (self, session);

  {
    Authorization *auth = g_new0 (Authorization, 1);

    auth->request_id = g_strdup (request->request_id);
    auth->session = session;
    central_when_committed (self, msg, send_authorization_cb, auth, authorization_free);
  }
}

static void
relay_free (gpointer data)
{
  Relay *relay = data;

  g_clear_pointer (&relay->relayed, ev_supply_data_free);
  g_clear_pointer (&relay->entry, ev_outbox_entry_free);
  g_clear_object (&relay->ended);
  g_free (relay->fault);
  g_free (relay);
}

static void
relay_cb (CentralCore *self,
          gpointer     data)
{
  Relay *relay = data;

  if (relay->ended != NULL && relay->fault != NULL)
    emit_settled (self, relay->ended, relay->fault);
  else if (relay->ended != NULL)
    emit_ticket (self, relay->ended);

  if (relay->entry != NULL)
    central_outbox_send (self, relay->entry);
  else
    {
      gsize length;
      char *json = ev_supply_data_to_json (relay->relayed, &length);

      central_publish (self, "supply-data2", relay->relayed->driver_id, json, length);
    }
}

/* Relays @data to its driver once the batch has committed; a ticket goes
 * through the outbox, written now, in the batch that stored it. When that
 * write fails, the store is in trouble and @msg waits for it. */
static void
relay_later (CentralCore        *self,
             EvBusMessage       *msg,
             const EvSupplyData *data,
             EvSupply           *ended,
             const char         *fault)
{
  g_autoptr(EvSupplyData) relayed = ev_supply_data_copy (data);
  g_autoptr(GError) error = NULL;
  Relay *relay;

  /* A new message of Central's, with its own identity; source_ts keeps
   * when the engine sent it, so a driver can measure the whole path. */
  g_clear_pointer (&relayed->envelope.id, g_free);
  relayed->source_ts = data->envelope.ts;
  relayed->envelope.ts = 0;
  ev_envelope_ensure (&relayed->envelope);

  relay = g_new0 (Relay, 1);
  if (relayed->kind == EV_SUPPLY_DATA_TICKET)
    {
      gsize length;
      char *json = ev_supply_data_to_json (relayed, &length);

      relay->entry = central_outbox_write (self, "supply-data2", relayed->driver_id, json, length, &error);
      if (relay->entry == NULL)
        {
          relay_free (relay);
          store_failed_for (self, msg, "supply-data", error);
          return;
        }
    }
  else
    relay->relayed = g_steal_pointer (&relayed);
  relay->ended = ended != NULL ? ev_supply_copy (ended) : NULL;
  relay->fault = g_strdup (fault);
  central_when_committed (self, msg, relay_cb, relay, relay_free);
}

static void
emit_progress (CentralCore        *self,
               const EvSupplyData *data)
{
  CentralEventData event = {
    .cp_id = data->cp_id,
    .supply_id = data->supply_id,
    .driver_id = data->driver_id,
    .seq = data->seq,
    .kwh = data->kwh,
    .amount = data->amount,
  };

  central_emit (self, CENTRAL_EVENT_PROGRESS, CENTRAL_LOG_INFO, NULL, &event);
}

static void
emit_ticket (CentralCore     *self,
             EvSupply        *session)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  message = g_strdup_printf (_("Ticket for driver %s at %s: %.2f kWh, %.2f €"),
                             ev_supply_get_driver_id (session),
                             ev_supply_get_cp_id (session),
                             ev_supply_get_kwh (session),
                             ev_supply_get_amount (session));
  central_emit (self, CENTRAL_EVENT_TICKET, CENTRAL_LOG_INFO, message, &data);
}

/* Returns the reason @data is not acceptable for @session, or NULL. */
static char *
check_supply_data (EvSupply           *session,
                   const EvSupplyData *data)
{
  double expected = data->kwh * ev_supply_get_price (session);

  if (g_strcmp0 (data->cp_id, ev_supply_get_cp_id (session)) != 0 ||
      g_strcmp0 (data->driver_id, ev_supply_get_driver_id (session)) != 0)
    return g_strdup_printf (_("supply %s is not at %s for driver %s"),
                            data->supply_id, data->cp_id, data->driver_id);
  if (data->kwh < ev_supply_get_kwh (session))
    return g_strdup_printf (_("energy went down from %.3f to %.3f kWh"),
                            ev_supply_get_kwh (session), data->kwh);
  if (fabs (data->amount - expected) > AMOUNT_TOLERANCE)
    return g_strdup_printf (_("amount %.2f € does not match %.3f kWh at %.2f €/kWh"),
                            data->amount, data->kwh, ev_supply_get_price (session));
  return NULL;
}

static void
handle_progress (CentralCore        *self,
                 EvBusMessage       *msg,
                 EvSupply           *session,
                 const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  gboolean applied = FALSE;

  if (!ev_store_record_progress (self->store, data->supply_id, data->seq, data->kwh, data->amount,
                                 data->started_at, &applied, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      return;
    }

  ev_supply_set_seq (session, data->seq);
  ev_supply_set_kwh (session, data->kwh);
  ev_supply_set_amount (session, data->amount);
  ev_supply_set_phase (session, EV_SUPPLY_PHASE_SUPPLYING);
  if (data->started_at > 0)
    ev_supply_set_started_at (session, data->started_at);

  emit_progress (self, data);
  relay_later (self, msg, data, NULL, NULL);
}

static void
handle_ticket (CentralCore        *self,
               EvBusMessage       *msg,
               EvSupply           *session,
               const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  gboolean recorded = FALSE;
  gboolean failed = data->reason == EV_TICKET_REASON_ENGINE_FAULT ||
                    data->reason == EV_TICKET_REASON_NOT_PLUGGED;

  g_object_ref (session);
  ev_supply_set_seq (session, data->seq);
  ev_supply_set_kwh (session, data->kwh);
  ev_supply_set_amount (session, data->amount);
  if (data->started_at > 0)
    ev_supply_set_started_at (session, data->started_at);
  ev_supply_set_ended_at (session, data->ended_at > 0 ? data->ended_at : central_now_ms ());
  ev_supply_set_reason (session, ev_ticket_reason_to_string (data->reason));
  ev_supply_set_phase (session, failed ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);

  if (!ev_store_finish_session (self->store, session, &recorded, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      g_object_unref (session);
      return;
    }

  conclude_session (self, session);

  if (!recorded)
    message_done (self, msg);
  else if (failed)
    {
      EvOutboxEntry *entry = central_write_supply_error (self, session, &error);

      if (entry == NULL)
        store_failed_for (self, msg, "supply-data", error);
      else
        {
          emit_supply_error (self, session);
          central_when_committed (self, msg, outbox_send_cb, entry, (GDestroyNotify) ev_outbox_entry_free);
        }
    }
  else
    {
      relay_later (self, msg, data, session, NULL);
    }

  g_object_unref (session);
}

/* The newest history entry of @supply_id in memory, if still there. */
static EvSupply *
find_in_history (CentralCore *self,
                 const char  *supply_id)
{
  GListModel *history = G_LIST_MODEL (self->history);
  guint n = g_list_model_get_n_items (history);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvSupply) item = g_list_model_get_item (history, i);

      if (g_strcmp0 (ev_supply_get_supply_id (item), supply_id) == 0)
        return item;
    }
  return NULL;
}

static void
emit_settled (CentralCore     *self,
              EvSupply        *session,
              const char      *fault)
{
  g_autofree char *message = NULL;
  CentralEventData data = { 0 };

  session_data (session, &data);
  data.fault = fault;
  message = g_strdup_printf (_("Settled the supply of driver %s at %s with the engine’s figures after %s: %.2f kWh, %.2f €"),
                             ev_supply_get_driver_id (session),
                             ev_supply_get_cp_id (session),
                             ev_reason_describe (fault),
                             ev_supply_get_kwh (session),
                             ev_supply_get_amount (session));
  central_emit (self, CENTRAL_EVENT_SETTLED, CENTRAL_LOG_INFO, message, &data);
}

/* Data of a supply Central ended at a fault (@stored, provisional): the
 * engine went on. Progress keeps the stored figures up with its meter;
 * its ticket replaces Central's outcome, and the driver, who had the
 * error, gets the ticket. Billed once: the same row, settled once. */
static void
settle_session (CentralCore        *self,
                EvBusMessage       *msg,
                EvSupply           *stored,
                const EvSupplyData *data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = check_supply_data (stored, data);
  g_autofree char *fault = g_strdup (ev_supply_get_reason (stored));
  gboolean recorded = FALSE;
  EvSupply *shown;

  if (problem != NULL)
    {
      central_emit_invalid_message (self, "supply-data", problem);
      message_skip (self, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    {
      if (!ev_store_record_progress (self->store, data->supply_id, data->seq, data->kwh, data->amount,
                                     data->started_at, NULL, &error))
        {
          store_failed_for (self, msg, "supply-data", error);
          return;
        }
      central_when_committed (self, msg, NULL, NULL, NULL);
      return;
    }

  ev_supply_set_seq (stored, MAX (data->seq, ev_supply_get_seq (stored)));
  ev_supply_set_kwh (stored, data->kwh);
  ev_supply_set_amount (stored, data->amount);
  if (data->started_at > 0)
    ev_supply_set_started_at (stored, data->started_at);
  ev_supply_set_ended_at (stored, data->ended_at > 0 ? data->ended_at : central_now_ms ());
  ev_supply_set_reason (stored, ev_ticket_reason_to_string (data->reason));
  ev_supply_set_phase (stored, data->reason == EV_TICKET_REASON_ENGINE_FAULT ||
                                       data->reason == EV_TICKET_REASON_NOT_PLUGGED
                                       ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);
  ev_supply_set_provisional (stored, FALSE);
  if (!ev_store_finish_session (self->store, stored, &recorded, &error))
    {
      store_failed_for (self, msg, "supply-data", error);
      return;
    }
  if (!recorded)
    {
      message_done (self, msg);
      return;
    }

  shown = find_in_history (self, data->supply_id);
  if (shown != NULL)
    ev_supply_update (shown, stored);
  relay_later (self, msg, data, stored, fault);
}

static void
handle_supply_data (CentralCore  *self,
                    EvBusMessage *msg,
                    const char   *text,
                    gsize         length)
{
  g_autoptr(EvSupplyData) data = NULL;
  g_autoptr(GError) error = NULL;

  data = ev_supply_data_from_json (text, length, &error);
  if (data == NULL)
    {
      central_emit_invalid_message (self, "supply-data", error->message);
      message_skip (self, msg, error->message);
      return;
    }
  apply_supply_data (self, msg, data, text, length);
}

/* An engine's @data (@msg, its bytes @text), or an OCPP charger's (@msg
 * and @text %NULL: no MAC, see central-ocpp-supply.c). */
static void
apply_supply_data (CentralCore        *self,
                   EvBusMessage       *msg,
                   const EvSupplyData *data,
                   const char         *text,
                   gsize               length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  EvSupply *session;

  session = g_hash_table_lookup (self->open, data->supply_id);
  if (session == NULL)
    {
      g_autoptr(EvSupply) stored = ev_store_lookup_session (self->store, data->supply_id, NULL);

      /* Ended by Central at a fault: the engine's figures settle it. */
      if (stored != NULL && ev_supply_get_provisional (stored))
        {
          if (msg == NULL ||
              central_check_cp_mac (self, msg, data->cp_id, text, length,
                                    data->kind == EV_SUPPLY_DATA_TICKET ? ev_supply_get_started_at (stored) : -1,
                                    &error))
            settle_session (self, msg, stored, data);
          else if (error != NULL)
            store_failed_for (self, msg, "supply-data", error);
          return;
        }
      /* Late or repeated data of a supply that has ended with its ticket is
       * expected after a restart: it changes nothing. Its driver has the
       * outcome, or will: the outbox row written with the ticket is sent
       * until the broker has it, by this Central or the next. */
      if (stored != NULL)
        {
          message_done (self, msg);
          return;
        }
      problem = g_strdup_printf (_("unknown supply %s"), data->supply_id);
      central_emit_invalid_message (self, "supply-data", problem);
      message_skip (self, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS && data->seq <= ev_supply_get_seq (session))
    {
      /* A duplicate delivery. */
      message_done (self, msg);
      return;
    }

  if (msg != NULL &&
      !central_check_cp_mac (self, msg, data->cp_id, text, length,
                             data->kind == EV_SUPPLY_DATA_TICKET ? ev_supply_get_started_at (session) : -1,
                             &error))
    {
      if (error != NULL)
        store_failed_for (self, msg, "supply-data", error);
      return;
    }

  problem = check_supply_data (session, data);
  if (problem != NULL)
    {
      central_emit_invalid_message (self, "supply-data", problem);
      message_skip (self, msg, problem);
      return;
    }

  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    handle_progress (self, msg, session, data);
  else
    handle_ticket (self, msg, session, data);
}

/* Supply data measured by an OCPP charger (central-ocpp-supply.c), under
 * the rules of an engine's: a ticket is billed once, a supply Central
 * ended at a fault is settled by it, and a late one changes nothing. */
void
central_apply_supply_data (CentralCore        *self,
                           const EvSupplyData *data)
{
  apply_supply_data (self, NULL, data, NULL, 0);
}

/* A failure of the disk or of SQLite, not of the message. */
static gboolean
is_storage_error (const GError *error)
{
  return error->domain == EV_STORE_ERROR &&
         (error->code == EV_STORE_ERROR_FAILED || error->code == EV_STORE_ERROR_FULL ||
          error->code == EV_STORE_ERROR_BUSY || error->code == EV_STORE_ERROR_CORRUPT ||
          error->code == EV_STORE_ERROR_NOT_A_DATABASE);
}

static void
emit_store (CentralCore *self,
            gboolean     writable,
            const char  *reason)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .writable = writable, .held = self->held.length, .reason = reason };

  if (writable)
    message = g_strdup (_("The database can be written again: the messages held meanwhile are handled"));
  else
    message = g_strdup_printf (_("The database cannot be written (%s): the engines’ messages are held and "
                                 "supply requests refused until a write succeeds"), reason);
  central_emit (self, CENTRAL_EVENT_STORE, writable ? CENTRAL_LOG_INFO : CENTRAL_LOG_WARNING, message, &data);
}

/* Answers a request Central cannot store with `unavailable`, at once. */
static void
refuse_request (CentralCore  *self,
                EvBusMessage *msg)
{
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autoptr(EvSupplyResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : NULL;
  CentralEventData event = { 0 };

  request = ev_supply_request_from_json (text, length, &error);
  if (request == NULL)
    {
      central_emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (request->origin == EV_SUPPLY_ORIGIN_DRIVER && !self->insecure_bus &&
      !ev_signed_message_verify ("supply-req", ev_bus_message_get_key (msg), text, length,
                                 g_hash_table_lookup (self->driver_keys, request->driver_id), NULL, &error))
    {
      central_emit_invalid_message (self, "supply-req", error->message);
      ev_bus_message_skip (self->bus, msg, error->message);
      return;
    }
  if (request->origin == EV_SUPPLY_ORIGIN_STATION &&
      !central_check_cp_mac (self, msg, request->cp_id, text, length, -1, NULL))
    return;

  response = ev_supply_response_new_denied (request->request_id, request->driver_id, request->cp_id,
                                            EV_SUPPLY_DENY_REASON_UNAVAILABLE);
  event.cp_id = request->cp_id;
  event.request_id = request->request_id;
  event.driver_id = request->driver_id;
  event.reason = ev_supply_deny_reason_to_string (EV_SUPPLY_DENY_REASON_UNAVAILABLE);
  message = g_strdup_printf (_("Refused driver %s at %s: the database cannot be written"),
                             request->driver_id, request->cp_id);
  central_emit (self, CENTRAL_EVENT_DENIED, CENTRAL_LOG_WARNING, message, &event);
  send_denial_cb (self, response);
  ev_bus_message_done (self->bus, msg);
}

/* A message whose effect could not be stored: a request is refused, an
 * engine's message waits for the store, in order. */
static void
hold_or_refuse (CentralCore  *self,
                EvBusMessage *msg)
{
  if (g_str_equal (ev_bus_message_get_topic (msg), "supply-req"))
    refuse_request (self, msg);
  else
    g_queue_push_tail (&self->held, ev_bus_message_ref (msg));
}

/* The store failed on @msg's behalf (@error); a bad message is skipped. */
static void
store_failed_for (CentralCore  *self,
                  EvBusMessage *msg,
                  const char   *topic,
                  const GError *error)
{
  if (is_storage_error (error))
    {
      store_failed (self, error);
      /* An OCPP charger's call goes unanswered: the charger sends it again. */
      if (msg != NULL)
        hold_or_refuse (self, msg);
      return;
    }
  central_emit_invalid_message (self, topic, error->message);
  message_skip (self, msg, error->message);
}

static void
store_failed (CentralCore  *self,
              const GError *error)
{
  if (self->retry_source == NULL)
    {
      self->retry_source = g_timeout_source_new (STORE_RETRY_MS);
      g_source_set_callback (self->retry_source, retry_store_cb, self, NULL);
      g_source_attach (self->retry_source, g_main_context_get_thread_default ());
    }
  if (self->store_failed)
    return;
  self->store_failed = TRUE;
  emit_store (self, FALSE, error->message);
}

/* Takes @session out of the open ones (the requests, its CP, its
 * driver). */
static void
untrack_session (CentralCore     *self,
                 EvSupply        *session)
{
  g_autoptr(EvSupply) held = g_object_ref (session);
  const char *supply_id = ev_supply_get_supply_id (held);
  CpRecord *rec = g_hash_table_lookup (self->records, ev_supply_get_cp_id (held));
  guint position;

  if (g_list_store_find (self->requests, held, &position))
    g_list_store_remove (self->requests, position);
  if (g_strcmp0 (g_hash_table_lookup (self->driver_supply, ev_supply_get_driver_id (held)),
                 supply_id) == 0)
    g_hash_table_remove (self->driver_supply, ev_supply_get_driver_id (held));
  g_hash_table_remove (self->open, supply_id);
  if (rec != NULL && g_strcmp0 (ev_charging_point_get_supply_id (rec->cp), supply_id) == 0)
    ev_charging_point_set_supply (rec->cp, NULL);
}

/* Makes the open supplies in memory those of the database: what a lost
 * batch created is forgotten, what it ended is open again. */
static gboolean
resync_sessions (CentralCore *self)
{
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) in_memory = NULL;
  g_autoptr(GError) error = NULL;

  stored = ev_store_load_open_sessions (self->store, &error);
  if (stored == NULL)
    return FALSE;

  in_memory = g_ptr_array_new_with_free_func (g_object_unref);
  {
    GHashTableIter iter;
    EvSupply *session;

    g_hash_table_iter_init (&iter, self->open);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
      g_ptr_array_add (in_memory, g_object_ref (session));
  }
  for (guint i = 0; i < in_memory->len; i++)
    untrack_session (self, g_ptr_array_index (in_memory, i));

  for (guint i = 0; i < stored->len; i++)
    {
      EvSupply *session = g_ptr_array_index (stored, i);
      EvSupply *ended = find_in_history (self, ev_supply_get_supply_id (session));
      guint position;

      if (ended != NULL && g_list_store_find (self->history, ended, &position))
        g_list_store_remove (self->history, position);
      central_track_session (self, session);
    }

  /* A fault whose end was lost with the batch is a fault still. */
  {
    GHashTableIter iter;
    CpRecord *rec;
    g_autoptr(GPtrArray) faulty = g_ptr_array_new ();

    g_hash_table_iter_init (&iter, self->records);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rec))
      if (ev_charging_point_get_supply_id (rec->cp) != NULL &&
          (ev_charging_point_get_state (rec->cp) == EV_CP_STATE_BROKEN ||
           ev_charging_point_get_state (rec->cp) == EV_CP_STATE_DISCONNECTED))
        g_ptr_array_add (faulty, rec);
    for (guint i = 0; i < faulty->len; i++)
      {
        rec = g_ptr_array_index (faulty, i);
        central_fail_supply (self, rec, ev_charging_point_get_state (rec->cp) == EV_CP_STATE_BROKEN
                                        ? EV_SUPPLY_ERROR_REASON_ENGINE_FAULT
                                        : EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED);
      }
  }
  return TRUE;
}

/* Once a second while the store fails: a write is tried; when it works,
 * memory is made to match the database and the held messages are handled
 * again, in the order they came. */
static gboolean
retry_store_cb (gpointer user_data)
{
  CentralCore *self = user_data;
  g_autoptr(GError) error = NULL;
  GQueue held = G_QUEUE_INIT;

  if (!ev_store_check_writable (self->store, &error))
    return G_SOURCE_CONTINUE;
  if (!resync_sessions (self))
    return G_SOURCE_CONTINUE;

  self->store_failed = FALSE;
  self->replaying = TRUE;
  held = self->held;
  g_queue_init (&self->held);
  while (!g_queue_is_empty (&held))
    {
      g_autoptr(EvBusMessage) msg = g_queue_pop_head (&held);

      /* Failed again: the rest waits behind what failed, in order. */
      if (self->store_failed)
        g_queue_push_tail (&self->held, g_steal_pointer (&msg));
      else
        dispatch (self, msg);
    }
  if (!self->store_failed && !ev_store_flush (self->store, &error))
    store_failed (self, error);
  self->replaying = FALSE;

  if (self->store_failed)
    return G_SOURCE_CONTINUE;

  emit_store (self, TRUE, NULL);
  g_clear_pointer (&self->retry_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
dispatch (CentralCore  *self,
          EvBusMessage *msg)
{
  const char *topic = ev_bus_message_get_topic (msg);
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *data = value != NULL ? g_bytes_get_data (value, &length) : NULL;

  if (g_str_equal (topic, "supply-req"))
    handle_supply_request (self, msg, data, length);
  else if (g_str_equal (topic, "supply-data"))
    handle_supply_data (self, msg, data, length);
  else
    ev_bus_message_done (self->bus, msg);
}

void
central_bus_message_cb (EvBus        *bus,
                        EvBusMessage *msg,
                        gpointer      user_data)
{
  CentralCore *self = user_data;

  /* Behind held messages, a message waits too (or is refused). */
  if (self->store_failed || !g_queue_is_empty (&self->held))
    {
      hold_or_refuse (self, msg);
      return;
    }
  dispatch (self, msg);
}

/* station-engine-supply.c: the engine's supplies on Kafka: the machine's
 * output signed and published, the journal that keeps tickets until Kafka
 * has them, directives and answers to requests made at the station. */

#include "config.h"

#include "station-engine-private.h"

/* Kafka ------------------------------------------------------------------- */

/* @json with the MAC of the CP's key (docs/protocol.md, "Charging-point
 * keys"), or %NULL with @error set when the engine has no key yet. */
char *
engine_authenticate (StationEngine  *self,
                     const char     *topic,
                     const char     *cp_id,
                     const char     *json,
                     gsize           length,
                     gsize          *out_length,
                     GError        **error)
{
  if (!self->has_cp_key)
    {
      g_set_error_literal (error, STATION_ERROR, STATION_ERROR_NO_KEY,
                           _("Central has not issued this charging point its key yet: the monitor hands it "
                             "over once Central accepts the charging point"));
      return NULL;
    }
  return ev_mac_message_sign (&self->cp_key, topic, cp_id, json, length, out_length, error);
}

/* Live figures: without a key they are not sent (the ticket waits for
 * one in the journal). */
static void
publish (StationEngine *self,
         const char    *topic,
         const char    *json,
         gsize          length)
{
  g_autoptr(GError) error = NULL;
  const char *cp_id = station_machine_get_cp_id (self->machine);
  g_autofree char *signed_json = engine_authenticate (self, topic, cp_id, json, length, &length, &error);

  if (signed_json == NULL)
    {
      if (!self->said_no_key)
        engine_emit_error (self, error->message);
      self->said_no_key = TRUE;
      return;
    }
  if (!ev_bus_produce (self->bus, topic, cp_id, signed_json, length, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not publish on %s: %s"), topic, error->message);
      engine_emit_error (self, message);
    }
}

/* @message: (nullable): what to say with a ticket; the tickets the engine
 * issues on its own say why in words. */
static void
emit_supply_data (StationEngine      *self,
                  const EvSupplyData *data,
                  const char         *message)
{
  StationEventData event = { .supply_data = (EvSupplyData *) data };
  g_autofree char *monitor_lost = NULL;

  if (data->kind == EV_SUPPLY_DATA_PROGRESS)
    {
      engine_emit (self, STATION_EVENT_PROGRESS, &event);
      return;
    }

  /* A start repeated for a supply that already ended here (a restarted
   * Central answering its backlog again) must not run it a second time. */
  station_finished_add (&self->finished, data->supply_id);

  if (message == NULL && data->reason == EV_TICKET_REASON_MONITOR_LOST)
    message = monitor_lost = g_strdup_printf (_("The monitor has been gone for %.1f s: the supply ended with %.3f kWh"),
                                              self->config.monitor_grace_ms / 1000.0, data->kwh);
  ev_event_emit (self, engine_signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_TICKET, message, &event));
}

/* The journal --------------------------------------------------------------- */

/* A write that fails is said once, not every second, and again only
 * after one succeeded. */
static void
save_journal (StationEngine *self)
{
  g_autoptr(GError) error = NULL;

  if (station_journal_save (self->journal, &error))
    {
      self->journal_failing = FALSE;
      return;
    }
  if (!self->journal_failing)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot write the engine journal: %s. "
                                                    "If the engine stops now, the supply in progress "
                                                    "and any ticket not yet delivered are lost"),
                                                  error->message);
      engine_emit_error (self, message);
    }
  self->journal_failing = TRUE;
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_free (delivery->supply_id);
  g_free (delivery);
}

/* The bus calls this only while it is open, and the engine closes its bus
 * before it goes: @delivery->engine is alive. */
static void
ticket_delivered_cb (EvBus        *bus,
                     const GError *error,
                     gpointer      user_data)
{
  Delivery *delivery = user_data;
  StationEngine *self = delivery->engine;

  g_hash_table_remove (self->in_flight, delivery->supply_id);
  /* Not delivered: it stays in the journal, and is sent again when the
   * broker is back, or by the next engine. */
  if (error != NULL)
    return;
  if (station_journal_remove_ticket (self->journal, delivery->supply_id))
    save_journal (self);
}

/* A ticket is in the journal before it is published, and leaves it once
 * Kafka confirms it. */
static void
publish_ticket (StationEngine      *self,
                const EvSupplyData *ticket)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;
  Delivery *delivery;

  if (g_hash_table_contains (self->in_flight, ticket->supply_id))
    return;
  /* Kept in the journal until the monitor hands over a key. */
  if (!self->has_cp_key)
    return;

  {
    g_autofree char *plain = ev_supply_data_to_json (ticket, &length);

    json = engine_authenticate (self, "supply-data", ticket->cp_id, plain, length, &length, &error);
    if (json == NULL)
      {
        engine_emit_error (self, error->message);
        return;
      }
  }
  delivery = g_new0 (Delivery, 1);
  delivery->engine = self;
  delivery->supply_id = g_strdup (ticket->supply_id);
  if (!ev_bus_produce_full (self->bus, "supply-data", ticket->cp_id, json, length,
                            ticket_delivered_cb, delivery, delivery_free, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not publish on %s: %s"), "supply-data", error->message);
      engine_emit_error (self, message);
      return;
    }
  g_hash_table_add (self->in_flight, g_strdup (ticket->supply_id));
}

/* Tickets whose delivery failed (the broker away too long), once the
 * broker is back. */
void
engine_publish_undelivered (StationEngine *self)
{
  GPtrArray *tickets;

  if (self->journal == NULL || self->bus == NULL)
    return;

  tickets = station_journal_get_tickets (self->journal);
  for (guint i = 0; i < tickets->len; i++)
    publish_ticket (self, g_ptr_array_index (tickets, i));
}

/* Keeps the journal's supply in step with the machine's: a new
 * authorisation, a plug, a withdrawal. Progress is kept as it is made. */
static void
journal_follow_machine (StationEngine *self)
{
  g_autoptr(EvSupplyData) snapshot = station_machine_snapshot (self->machine);
  const EvSupplyData *kept = station_journal_get_supply (self->journal);

  if (snapshot == NULL && kept == NULL)
    return;
  if (snapshot != NULL && kept != NULL && g_str_equal (snapshot->supply_id, kept->supply_id) &&
      snapshot->started_at == kept->started_at)
    return;

  station_journal_set_supply (self->journal, snapshot, ev_protocol_now_ms ());
  save_journal (self);
}

/* At hello: what the last engine of this CP left. A supply it was
 * running ends now, as an engine fault, with the energy of its last
 * reading; every ticket not confirmed delivered is published again
 * (Central recognises a copy it already has). */
static void
recover_journal (StationEngine *self,
                 const char    *cp_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupplyData) crashed = NULL;
  GPtrArray *tickets;

  self->journal = station_journal_new (self->state_dir, cp_id);
  if (!station_journal_load (self->journal, &error))
    {
      g_autofree char *aside = station_journal_set_aside (self->journal, NULL);
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("%s. The engine goes on without it; the file is set aside as “%s”"),
                                 error->message,
                                 aside != NULL ? aside : station_journal_get_path (self->journal));
      engine_emit_error (self, message);
      return;
    }

  {
    GPtrArray *ended = station_journal_get_ended (self->journal);

    for (guint i = 0; i < ended->len; i++)
      station_finished_add (&self->finished, g_ptr_array_index (ended, i));
  }

  crashed = station_journal_take_supply (self->journal);
  if (crashed != NULL)
    {
      /* A message of its own, sent now. */
      g_clear_pointer (&crashed->envelope.id, g_free);
      crashed->envelope.ts = 0;
      ev_envelope_ensure (&crashed->envelope);
      station_journal_add_ticket (self->journal, crashed);
      save_journal (self);
    }

  tickets = station_journal_get_tickets (self->journal);
  for (guint i = 0; i < tickets->len; i++)
    {
      const EvSupplyData *ticket = g_ptr_array_index (tickets, i);
      g_autofree char *message = NULL;

      if (crashed != NULL && g_str_equal (ticket->supply_id, crashed->supply_id))
        message = g_strdup_printf (_("The engine stopped during this supply (it crashed, was killed or quit): "
                                     "the supply ended when it started again, with the %.3f kWh of its last "
                                     "reading"), ticket->kwh);
      else
        message = g_strdup (_("Sent again: the engine stopped before Kafka confirmed this ticket"));
      publish_ticket (self, ticket);
      emit_supply_data (self, ticket, message);
    }
}

static void
timer_cb (gpointer user_data)
{
  StationEngine *self = user_data;

  self->timer_id = 0;
  station_machine_tick (self->machine, ev_protocol_now_ms ());
  engine_sync_machine (self);
}

static void
schedule_tick (StationEngine *self)
{
  gint64 deadline = station_machine_get_deadline (self->machine);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (deadline < 0 || !self->started)
    return;

  self->timer_id = g_timeout_add_once ((guint) CLAMP (deadline - ev_protocol_now_ms (), 0, G_MAXUINT),
                                       timer_cb, self);
}

/* The engine's supply properties are its supply's: one notification per
 * real change, whichever way the figures came. */
static void
supply_notify_cb (EvSupply      *supply,
                  GParamSpec    *pspec,
                  StationEngine *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "kwh"))
    engine_notify (self, PROP_KWH);
  else if (g_str_equal (name, "amount"))
    engine_notify (self, PROP_AMOUNT);
  else if (g_str_equal (name, "price"))
    engine_notify (self, PROP_SUPPLY_PRICE);
}

/* Another supply (or none) is the engine's: what it shows changes where
 * it differs from the one before. */
static void
set_supply (StationEngine *self,
            EvSupply      *supply)
{
  g_autoptr(EvSupply) old = g_steal_pointer (&self->supply);
  GObjectClass *klass = g_type_class_peek (EV_TYPE_SUPPLY);
  static const struct {
    const char *name;
    int prop;
  } shown[] = {
    { "supply-id", PROP_SUPPLY_ID },
    { "driver-id", PROP_DRIVER_ID },
    { "price", PROP_SUPPLY_PRICE },
    { "kwh", PROP_KWH },
    { "amount", PROP_AMOUNT },
  };

  if (old != NULL)
    g_signal_handlers_disconnect_by_func (old, supply_notify_cb, self);
  if (supply != NULL)
    {
      self->supply = g_object_ref (supply);
      g_signal_connect_object (supply, "notify", G_CALLBACK (supply_notify_cb), self, 0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      g_auto(GValue) before = G_VALUE_INIT;
      g_auto(GValue) after = G_VALUE_INIT;
      GParamSpec *pspec = g_object_class_find_property (klass, shown[i].name);

      g_value_init (&before, pspec->value_type);
      g_value_init (&after, pspec->value_type);
      if (old != NULL)
        g_object_get_property (G_OBJECT (old), shown[i].name, &before);
      if (supply != NULL)
        g_object_get_property (G_OBJECT (supply), shown[i].name, &after);
      if (g_param_values_cmp (pspec, &before, &after) != 0)
        engine_notify (self, shown[i].prop);
    }
}

/* Takes the machine's supply into the engine's EvSupply. */
static void
follow_machine_supply (StationEngine *self)
{
  StationMachine *machine = self->machine;
  const char *supply_id = station_machine_get_supply_id (machine);
  double kwh = station_machine_get_kwh (machine);
  double price = station_machine_get_supply_price (machine);

  if (supply_id == NULL)
    {
      if (self->supply != NULL)
        set_supply (self, NULL);
      return;
    }
  if (self->supply == NULL || g_strcmp0 (ev_supply_get_supply_id (self->supply), supply_id) != 0)
    {
      g_autoptr(EvSupply) supply = ev_supply_new (supply_id, station_machine_get_cp_id (machine),
                                                  station_machine_get_driver_id (machine));

      ev_supply_set_phase (supply, EV_SUPPLY_PHASE_AUTHORIZED);
      ev_supply_set_price (supply, price);
      ev_supply_set_kwh (supply, kwh);
      ev_supply_set_amount (supply, kwh * price);
      set_supply (self, supply);
    }

  ev_supply_set_price (self->supply, price);
  ev_supply_set_kwh (self->supply, kwh);
  ev_supply_set_amount (self->supply, kwh * price);
  ev_supply_set_seq (self->supply, station_machine_get_seq (machine));
  ev_supply_set_started_at (self->supply, MAX (station_machine_get_started_at (machine), 0));
  if (station_machine_get_state (machine) == EV_CP_STATE_SUPPLYING)
    ev_supply_set_phase (self->supply, EV_SUPPLY_PHASE_SUPPLYING);
}

/* Publishes what the machine produced, announces what changed and sets
 * the timer for its next deadline. Called after every input. */
void
engine_sync_machine (StationEngine *self)
{
  g_autoptr(GPtrArray) output = station_machine_take_output (self->machine);
  EvCpState state = station_machine_get_state (self->machine);
  gboolean ko = station_machine_get_ko (self->machine);

  g_object_freeze_notify (G_OBJECT (self));

  for (guint i = 0; i < output->len; i++)
    {
      EvSupplyData *data = g_ptr_array_index (output, i);

      /* The journal first: a crash between the two loses nothing. */
      ev_envelope_ensure (&data->envelope);
      if (data->kind == EV_SUPPLY_DATA_TICKET)
        {
          station_journal_add_ticket (self->journal, data);
          save_journal (self);
          publish_ticket (self, data);
        }
      else
        {
          gsize length = 0;
          g_autofree char *json = ev_supply_data_to_json (data, &length);

          station_journal_set_supply (self->journal, data, data->envelope.ts);
          save_journal (self);
          publish (self, "supply-data", json, length);
        }
      if (data->kind == EV_SUPPLY_DATA_PROGRESS)
        /* The live figures first, so that a view shows them with the message. */
        follow_machine_supply (self);
      emit_supply_data (self, data, NULL);
    }
  if (self->journal != NULL)
    journal_follow_machine (self);

  if (ko != self->ko)
    {
      StationEventData data = { .up = !ko };

      self->ko = ko;
      engine_notify (self, PROP_KO);
      engine_emit (self, STATION_EVENT_HEALTH, &data);
    }

  follow_machine_supply (self);

  if (state != self->state)
    {
      StationEventData changed = { .state = state, .previous = self->state };

      self->state = state;
      engine_notify (self, PROP_STATE);
      engine_emit (self, STATION_EVENT_STATE, &changed);

      if (state == EV_CP_STATE_SUPPLYING)
        {
          StationEventData started = {
            .supply_id = (char *) station_engine_get_supply_id (self),
            .driver_id = (char *) station_engine_get_driver_id (self),
            .started_at = station_machine_get_started_at (self->machine),
          };

          engine_emit (self, STATION_EVENT_STARTED, &started);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
  schedule_tick (self);
}

static void
apply_directive (StationEngine     *self,
                 const EvDirective *directive)
{
  g_autofree char *ignored = NULL;
  StationEventData data = { .directive = (EvDirective *) directive };
  gboolean applied;

  applied = station_directive_apply (self->machine, &self->finished, directive,
                                     ev_protocol_now_ms (), &ignored);
  data.ignored = ignored;
  engine_emit (self, STATION_EVENT_DIRECTIVE, &data);

  if (applied && directive->action == EV_DIRECTIVE_ACTION_START)
    {
      data.ignored = NULL;
      engine_emit (self, STATION_EVENT_AUTHORIZED, &data);
    }
  engine_sync_machine (self);
}

void
engine_pending_free (gpointer data)
{
  Pending *pending = data;

  g_clear_handle_id (&pending->timeout_id, g_source_remove);
  ev_supply_request_free (pending->request);
  g_free (pending);
}

static gboolean
pending_timeout_cb (gpointer data)
{
  Pending *pending = data;
  StationEngine *self = pending->engine;
  StationEventData event = { .request = pending->request };
  g_autofree char *request_id = NULL;

  pending->timeout_id = 0;
  if (!g_hash_table_steal_extended (self->requests, pending->request->request_id, (gpointer *) &request_id, NULL))
    return G_SOURCE_REMOVE;
  engine_emit (self, STATION_EVENT_NO_ANSWER, &event);
  engine_pending_free (pending);
  return G_SOURCE_REMOVE;
}

Pending *
engine_pending_new (StationEngine         *self,
                    const EvSupplyRequest *request)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->engine = self;
  pending->request = ev_supply_request_copy (request);
  pending->timeout_id = g_timeout_add (STATION_ENGINE_ANSWER_TIMEOUT_MS, pending_timeout_cb, pending);
  return pending;
}

static void
handle_supply_response (StationEngine *self,
                        const char    *text,
                        gsize          length)
{
  g_autoptr(EvSupplyResponse) response = ev_supply_response_from_json (text, length, NULL);
  StationEventData data = { 0 };

  if (response == NULL || !g_hash_table_remove (self->requests, response->request_id))
    return;   /* not asked here, or already given up */
  if (response->status != EV_SUPPLY_STATUS_DENIED)
    return;

  data.response = response;
  engine_emit (self, STATION_EVENT_DENIED, &data);
}

static void
consumer_message_cb (EvBus        *bus,
                     EvBusMessage *msg,
                     gpointer      user_data)
{
  StationEngine *self = user_data;
  g_autoptr(EvDirective) directive = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : "";

  if (!ev_bus_message_verify (msg, self->central_key, &error))
    {
      StationEventData data = { .topic = (char *) ev_bus_message_get_topic (msg), .reason = error->message };

      engine_emit (self, STATION_EVENT_INVALID_MESSAGE, &data);
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }

  if (g_str_equal (ev_bus_message_get_topic (msg), "supply-res"))
    {
      handle_supply_response (self, text, length);
      ev_bus_message_done (bus, msg);
      return;
    }

  directive = ev_directive_from_json (text, length, &error);
  if (directive == NULL)
    {
      StationEventData data = { .topic = (char *) ev_bus_message_get_topic (msg), .reason = error->message };

      engine_emit (self, STATION_EVENT_INVALID_MESSAGE, &data);
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }

  if (ev_directive_applies_to (directive, station_machine_get_cp_id (self->machine)))
    apply_directive (self, directive);
  ev_bus_message_done (bus, msg);
}

void
engine_delivery_failed_cb (EvBus        *bus,
                           const char   *topic,
                           const char   *key,
                           const GError *error,
                           gpointer      user_data)
{
  StationEngine *self = user_data;
  g_autofree char *message = g_strdup_printf (_("A message on %s was not delivered: %s"), topic, error->message);

  engine_emit_error (self, message);
}

void
engine_broker_reachable_cb (EvBus      *bus,
                            GParamSpec *pspec,
                            gpointer    user_data)
{
  StationEngine *self = user_data;

  engine_set_boolean (self, &self->broker_reachable, ev_bus_get_reachable (bus), PROP_BROKER_REACHABLE,
                      STATION_EVENT_BROKER);
  if (self->broker_reachable)
    engine_publish_undelivered (self);
}

/* The engine learns its CP id from its monitor; only then can it pick its
 * directives. The consumer group is per CP, so a restarted engine resumes
 * where the last one stopped (and ignores what has expired meanwhile). */
gboolean
engine_bind_cp (StationEngine  *self,
                const char     *cp_id,
                GError        **error)
{
  const char * const topics[] = { "central-directives", "supply-res", NULL };
  g_autofree char *group = g_strconcat ("ev-engine-", cp_id, NULL);
  StationEventData data = { .cp_id = (char *) cp_id };

  self->consumer = ev_bus_new (self->bootstrap, group, group,
                               (const char * const *) self->kafka_overrides, error);
  if (self->consumer == NULL || !ev_bus_subscribe (self->consumer, topics, error))
    {
      g_clear_object (&self->consumer);
      return FALSE;
    }
  g_signal_connect (self->consumer, "message", G_CALLBACK (consumer_message_cb), self);

  station_machine_set_cp_id (self->machine, cp_id);
  engine_notify (self, PROP_CP_ID);

  engine_emit (self, STATION_EVENT_BOUND, &data);
  recover_journal (self, cp_id);
  return TRUE;
}

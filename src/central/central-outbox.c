/* central-outbox.c: what Central publishes, signed, and the outbox that
 * keeps it until Kafka has it. */

#include "config.h"

#include "central-core-private.h"

static void outbox_produce (CentralCore *self,
                            Outgoing    *outgoing);

/* Kafka output ------------------------------------------------------------ */

static void
emit_publish_error (CentralCore  *self,
                    const char   *topic,
                    const GError *error)
{
  g_autofree char *message = g_strdup_printf (_("Could not publish on “%s”: %s"),
                                              topic, error->message);

  central_emit_error (self, message);
}

/* @json signed with Central's key (docs/protocol.md, “Signed messages”),
 * or a copy of it when Central has none. */
static char *
sign_outgoing (CentralCore  *self,
               const char   *topic,
               const char   *key,
               const char   *json,
               gsize        *length,
               GError      **error)
{
  if (self->signing_key == NULL)
    return g_strndup (json, *length);
  return ev_signed_message_sign (self->signing_key, topic, key, json, *length, length, error);
}

void
central_publish (CentralCore *self,
                 const char  *topic,
                 const char  *key,
                 char        *json,
                 gsize        length)
{
  g_autofree char *owned = json;
  g_autofree char *signed_json = NULL;
  g_autoptr(GError) error = NULL;

  if (self->bus == NULL)
    return;

  if (owned == NULL)
    {
      /* A tombstone: its signature goes in a header. */
      g_autofree char *signature = NULL;

      if (self->signing_key != NULL)
        signature = ev_signed_tombstone_sign (self->signing_key, topic, key, &error);
      if ((self->signing_key != NULL && signature == NULL) ||
          !ev_bus_produce_tombstone (self->bus, topic, key, signature, &error))
        emit_publish_error (self, topic, error);
      return;
    }
  signed_json = sign_outgoing (self, topic, key, owned, &length, &error);
  if (signed_json == NULL || !ev_bus_produce (self->bus, topic, key, signed_json, length, &error))
    emit_publish_error (self, topic, error);
}

void
central_publish_cp_state (CentralCore     *self,
                          EvChargingPoint *cp)
{
  g_autoptr(EvCpStateMessage) msg = NULL;
  const char *cp_id = ev_charging_point_get_cp_id (cp);
  char *json;
  gsize length;

  /* No driver learns of a CP the operator has not approved. */
  if (ev_charging_point_get_pending (cp))
    return;

  msg = ev_cp_state_message_new (cp_id, ev_charging_point_get_state (cp));
  msg->location = g_strdup (ev_charging_point_get_location (cp));
  msg->has_price = TRUE;
  msg->price = ev_charging_point_get_price (cp);
  json = ev_cp_state_message_to_json (msg, &length);
  central_publish (self, "cp-states", cp_id, json, length);
}

void
central_publish_directive (CentralCore       *self,
                           const char        *target,
                           EvDirectiveAction  action,
                           EvSupply   *session)
{
  g_autoptr(EvDirective) msg = NULL;
  gboolean supply = action == EV_DIRECTIVE_ACTION_START || action == EV_DIRECTIVE_ACTION_CANCEL;
  gint64 expires = central_now_ms () + (supply ? START_EXPIRES_MS : STOP_EXPIRES_MS);
  CentralEventData data = { .target = target, .action = ev_directive_action_to_string (action) };
  char *json;
  gsize length;

  msg = ev_directive_new (target, action, expires);
  if (session != NULL)
    {
      msg->supply_id = g_strdup (ev_supply_get_supply_id (session));
      msg->driver_id = g_strdup (ev_supply_get_driver_id (session));
      msg->has_price = TRUE;
      msg->price = ev_supply_get_price (session);
    }
  json = ev_directive_to_json (msg, &length);
  central_publish (self, "central-directives", target, json, length);

  central_emit (self, CENTRAL_EVENT_DIRECTIVE, CENTRAL_LOG_INFO, NULL, &data);
}

void
central_outgoing_free (gpointer data)
{
  Outgoing *outgoing = data;

  ev_outbox_entry_free (outgoing->entry);
  g_free (outgoing);
}

int
central_compare_ids (gconstpointer a,
                     gconstpointer b,
                     gpointer      user_data)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

gboolean
central_outbox_produce_cb (gpointer key,
                           gpointer value,
                           gpointer user_data)
{
  outbox_produce (user_data, value);
  return FALSE;
}

static gboolean
outbox_retry_cb (gpointer user_data)
{
  CentralCore *self = user_data;

  /* Cleared first: a message that fails again schedules the next try. */
  g_clear_pointer (&self->outbox_retry_source, g_source_unref);
  g_tree_foreach (self->outbox, central_outbox_produce_cb, self);
  return G_SOURCE_REMOVE;
}

static void
schedule_outbox_retry (CentralCore *self)
{
  if (self->outbox_retry_source != NULL || self->shutting_down)
    return;

  self->outbox_retry_source = g_timeout_source_new (OUTBOX_RETRY_MS);
  g_source_set_static_name (self->outbox_retry_source, "[evcharging] Central outbox");
  g_source_set_callback (self->outbox_retry_source, outbox_retry_cb, self, NULL);
  g_source_attach (self->outbox_retry_source, g_main_context_get_thread_default ());
}

static void
outbox_delivered_cb (EvBus        *bus,
                     const GError *error,
                     gpointer      user_data)
{
  Delivery *delivery = user_data;
  CentralCore *self = delivery->self;
  Outgoing *outgoing = g_tree_lookup (self->outbox, &delivery->id);
  g_autoptr(GError) store_error = NULL;

  if (outgoing == NULL)
    return;

  if (error != NULL)
    {
      outgoing->in_flight = FALSE;
      g_message (_("A message on “%s” for %s was not delivered (%s); it is sent again in %d s"),
                 outgoing->entry->topic, outgoing->entry->key != NULL ? outgoing->entry->key : "?",
                 error->message, OUTBOX_RETRY_MS / 1000);
      schedule_outbox_retry (self);
      return;
    }

  g_tree_remove (self->outbox, &delivery->id);
  /* Harmless when it fails (the store is in trouble): the row is sent
   * again at the next start, a duplicate its driver ignores. */
  if (!ev_store_outbox_remove (self->store, delivery->id, &store_error))
    g_message (_("Could not take a delivered message out of the outbox: %s; it will be sent again when Central starts"),
               store_error->message);
}

/* Produces @outgoing unless it is in flight already: one copy at a time. */
static void
outbox_produce (CentralCore *self,
                Outgoing    *outgoing)
{
  g_autoptr(GError) error = NULL;
  EvOutboxEntry *entry = outgoing->entry;
  g_autofree char *payload = NULL;
  Delivery *delivery;
  gsize length = 0;

  if (self->bus == NULL || outgoing->in_flight)
    return;

  /* The outbox keeps the message unsigned: it is signed as it leaves,
   * with the key Central has then. */
  payload = sign_outgoing (self, entry->topic, entry->key, g_bytes_get_data (entry->payload, &length),
                           &length, &error);
  if (payload == NULL)
    {
      emit_publish_error (self, entry->topic, error);
      return;
    }
  delivery = g_new0 (Delivery, 1);
  delivery->self = self;
  delivery->id = entry->id;
  outgoing->in_flight = TRUE;
  if (!ev_bus_produce_full (self->bus, entry->topic, entry->key, payload, length,
                            outbox_delivered_cb, delivery, g_free, &error))
    {
      outgoing->in_flight = FALSE;
      emit_publish_error (self, entry->topic, error);
      schedule_outbox_retry (self);
    }
}

/* Sends a committed row of the outbox, and follows it until the broker
 * has it. */
void
central_outbox_send (CentralCore         *self,
                     const EvOutboxEntry *entry)
{
  Outgoing *outgoing = g_new0 (Outgoing, 1);

  outgoing->entry = ev_outbox_entry_new (entry->id, entry->topic, entry->key, entry->payload);
  g_tree_replace (self->outbox, &outgoing->entry->id, outgoing);
  outbox_produce (self, outgoing);
}

/* Writes @json (taken) to the outbox in the current batch. Returns the row
 * to hand to central_outbox_send() once the batch has committed, or %NULL when
 * the store failed (the batch was rolled back with it). */
EvOutboxEntry *
central_outbox_write (CentralCore  *self,
                      const char   *topic,
                      const char   *key,
                      char         *json,
                      gsize         length,
                      GError      **error)
{
  g_autoptr(GBytes) payload = g_bytes_new_take (json, length);
  gint64 id = 0;

  if (!ev_store_outbox_add (self->store, topic, key, g_bytes_get_data (payload, NULL), length, &id, error))
    return NULL;
  return ev_outbox_entry_new (id, topic, key, payload);
}

/* The `supply-error` that tells @session's driver it failed, written to
 * the outbox. */
EvOutboxEntry *
central_write_supply_error (CentralCore      *self,
                            EvSupply  *session,
                            GError          **error)
{
  g_autoptr(EvSupplyError) msg = NULL;
  EvSupplyErrorReason reason = EV_SUPPLY_ERROR_REASON_ENGINE_FAULT;
  const char *driver_id = ev_supply_get_driver_id (session);
  char *json;
  gsize length;

  ev_supply_error_reason_from_string (ev_supply_get_reason (session), &reason);
  msg = ev_supply_error_new (ev_supply_get_supply_id (session), driver_id,
                             ev_supply_get_cp_id (session), reason);
  msg->kwh = ev_supply_get_kwh (session);
  msg->amount = ev_supply_get_amount (session);
  json = ev_supply_error_to_json (msg, &length);
  return central_outbox_write (self, "supply-error", driver_id, json, length, error);
}

/* central-ocpp-supply.c: a driver's supply at an OCPP charger. Central
 * authorises it as at any CP (central-supplies.c); the start directive
 * becomes a RemoteStartTransaction, the charger's StartTransaction gets
 * the supply's transactionId (stored with it), and its MeterValues and
 * StopTransaction become the supply's progress and ticket, under the
 * rules of an engine's: a ticket is billed once, whatever the charger
 * sends again. */

#include "config.h"

#include "central-ocpp-private.h"

/* An idTag (IdToken) is at most 20 characters in OCPP 1.6. */
#define ID_TAG_MAX 20

/* Answers after the batch has committed ------------------------------------ */

typedef struct
{
  guint64 link_id;
  char *unique_id;
  JsonObject *payload;
} Reply;

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->unique_id);
  json_object_unref (reply->payload);
  g_free (reply);
}

static void
reply_cb (CentralCore *core,
          gpointer     data)
{
  Reply *reply = data;
  Charger *charger;

  if (core->ocpp == NULL)
    return;
  charger = g_hash_table_lookup (core->ocpp->chargers, &reply->link_id);
  if (charger != NULL)
    central_ocpp_send_result (charger, reply->unique_id, reply->payload);
}

/* A transaction's answer goes once what it confirms is stored: if the
 * batch is lost, the charger hears nothing and sends its call again. */
static void
reply_when_committed (Charger    *charger,
                      const char *unique_id,
                      JsonObject *payload)
{
  Reply *reply = g_new0 (Reply, 1);

  reply->link_id = charger->link_id;
  reply->unique_id = g_strdup (unique_id);
  reply->payload = json_object_ref (payload);
  central_when_committed (charger->ocpp->core, NULL, reply_cb, reply, reply_free);
}

static JsonObject *
id_tag_info (const char *status)
{
  JsonObject *info = json_object_new ();

  json_object_set_string_member (info, "status", status);
  return info;
}

static gint64
timestamp_ms (JsonObject *payload,
              const char *member)
{
  const char *text = json_object_has_member (payload, member)
                     ? json_object_get_string_member (payload, member) : NULL;
  g_autoptr(GDateTime) time = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return time != NULL ? g_date_time_to_unix (time) * 1000 + g_date_time_get_microsecond (time) / 1000
                      : central_now_ms ();
}

/* The mapping ------------------------------------------------------------- */

/**
 * central_ocpp_energy_register:
 * @payload: a MeterValues request (validated)
 * @wh: (out): the last reading of the energy register, in Wh
 *
 * Finds the last sampled value of Energy.Active.Import.Register (the
 * measurand of a value that names none) of the whole charger (no phase)
 * in a plain format, in Wh or kWh.
 *
 * Returns: %TRUE if there is one
 */
gboolean
central_ocpp_energy_register (JsonObject *payload,
                              double     *wh)
{
  JsonArray *values = json_object_get_array_member (payload, "meterValue");
  gboolean found = FALSE;

  for (guint i = 0; i < json_array_get_length (values); i++)
    {
      JsonArray *samples = json_object_get_array_member (json_array_get_object_element (values, i),
                                                         "sampledValue");

      for (guint j = 0; j < json_array_get_length (samples); j++)
        {
          JsonObject *sample = json_array_get_object_element (samples, j);
          const char *measurand = json_object_get_string_member_with_default (sample, "measurand",
                                                                              "Energy.Active.Import.Register");
          const char *unit = json_object_get_string_member_with_default (sample, "unit", "Wh");
          const char *format = json_object_get_string_member_with_default (sample, "format", "Raw");
          const char *text = json_object_get_string_member (sample, "value");
          char *end = NULL;
          double value;

          if (!g_str_equal (measurand, "Energy.Active.Import.Register") ||
              json_object_has_member (sample, "phase") || !g_str_equal (format, "Raw") ||
              (!g_str_equal (unit, "Wh") && !g_str_equal (unit, "kWh")))
            continue;
          value = g_ascii_strtod (text, &end);
          if (end == text || *end != '\0' || !isfinite (value) || value < 0)
            continue;
          *wh = g_str_equal (unit, "kWh") ? value * 1000 : value;
          found = TRUE;
        }
    }
  return found;
}

/**
 * central_ocpp_stop_reason:
 * @reason: (nullable): a StopTransaction's reason (`Local` when absent)
 *
 * Returns: how our ticket says the supply ended
 */
EvTicketReason
central_ocpp_stop_reason (const char *reason)
{
  static const char * const faults[] = { "EmergencyStop", "PowerLoss", "HardReset", "SoftReset", "Reboot" };
  static const char * const central[] = { "Remote", "DeAuthorized", "UnlockCommand" };

  if (reason != NULL && g_strv_contains ((const char * const *) faults, reason))
    return EV_TICKET_REASON_ENGINE_FAULT;
  for (gsize i = 0; reason != NULL && i < G_N_ELEMENTS (central); i++)
    if (g_str_equal (reason, central[i]))
      return EV_TICKET_REASON_STOPPED_BY_CENTRAL;
  return EV_TICKET_REASON_UNPLUGGED;
}

/* Supply data of @supply_id at @kwh of the charger's meter, as an engine
 * would send it, or %NULL if @supply_id is no supply at @charger's CP. */
static EvSupplyData *
supply_data (Charger          *charger,
             const char       *supply_id,
             EvSupplyDataKind  kind,
             double            kwh)
{
  CentralCore *core = charger->ocpp->core;
  EvSupply *open = g_hash_table_lookup (core->open, supply_id);
  g_autoptr(EvSupply) session = open != NULL ? g_object_ref (open)
                                             : ev_store_lookup_session (core->store, supply_id, NULL);
  EvSupplyData *data;

  if (session == NULL || g_strcmp0 (ev_supply_get_cp_id (session), charger->cp_id) != 0)
    return NULL;
  data = ev_supply_data_new (kind, supply_id, charger->cp_id, ev_supply_get_driver_id (session),
                             ev_supply_get_seq (session) + 1);
  data->kwh = MAX (kwh, 0.0);
  data->price = ev_supply_get_price (session);
  data->amount = data->kwh * data->price;
  data->started_at = ev_supply_get_started_at (session);
  return data;
}

/* The same for the supply whose transactionId @payload names, at @wh of
 * the charger's energy register. */
static EvSupplyData *
transaction_data (Charger          *charger,
                  JsonObject       *payload,
                  EvSupplyDataKind  kind,
                  double            wh)
{
  gint64 meter_start = 0;
  g_autofree char *supply_id =
    ev_store_lookup_ocpp_transaction (charger->ocpp->core->store,
                                      json_object_get_int_member (payload, "transactionId"),
                                      &meter_start, NULL);

  return supply_id != NULL ? supply_data (charger, supply_id, kind, (wh - meter_start) / 1000.0) : NULL;
}

/* Central's calls ------------------------------------------------------------ */

/* The start directive of the supply Central authorised at @cp_id. */
void
central_ocpp_remote_start (CentralOcpp *self,
                           const char  *cp_id)
{
  Charger *charger = central_ocpp_find_charger (self, cp_id);
  CpRecord *rec = g_hash_table_lookup (self->core->records, cp_id);
  g_autoptr(JsonObject) payload = NULL;
  EvSupply *supply = rec != NULL ? ev_charging_point_get_supply (rec->cp) : NULL;
  const char *supply_id, *driver_id;

  if (charger == NULL || supply == NULL || ev_supply_get_phase (supply) != EV_SUPPLY_PHASE_AUTHORIZED)
    return;
  supply_id = ev_supply_get_supply_id (supply);
  driver_id = ev_supply_get_driver_id (supply);
  /* A request delivered again is authorised again: one call per supply. */
  if (g_strcmp0 (charger->remote_started, supply_id) == 0)
    return;
  g_free (charger->remote_started);
  charger->remote_started = g_strdup (supply_id);

  if (strlen (driver_id) > ID_TAG_MAX)
    {
      g_autofree char *message = g_strdup_printf (_("Driver id %s is longer than an OCPP idTag: charging point %s cannot start its supply"),
                                                  driver_id, cp_id);

      central_emit_error (self->core, message);
      central_fail_session (self->core, supply, EV_SUPPLY_ERROR_REASON_NOT_PLUGGED);
      return;
    }
  payload = json_object_new ();
  json_object_set_int_member (payload, "connectorId", 1);
  json_object_set_string_member (payload, "idTag", driver_id);
  central_ocpp_send_call (charger, "RemoteStartTransaction", payload, supply_id);
}

/* @answer: the RemoteStartTransaction's result, or %NULL for a CALLERROR
 * or an invalid answer. A refusal ends the supply as an engine that
 * never took it up does; no answer at all leaves it to the same timeout. */
void
central_ocpp_remote_start_answered (Charger       *charger,
                                    AwaitedCall   *call,
                                    EvOcppMessage *answer)
{
  CentralCore *core = charger->ocpp->core;
  EvSupply *session = g_hash_table_lookup (core->open, call->supply_id);
  JsonObject *payload = answer != NULL ? ev_ocpp_message_get_payload (answer) : NULL;
  g_autofree char *message = NULL;

  if (payload != NULL && g_strcmp0 (json_object_get_string_member (payload, "status"), "Accepted") == 0)
    return;
  if (session == NULL || ev_supply_get_phase (session) != EV_SUPPLY_PHASE_AUTHORIZED)
    return;
  message = g_strdup_printf (_("Charging point %s refused to start the supply of driver %s"),
                             charger->cp_id, ev_supply_get_driver_id (session));
  g_message ("%s", message);
  central_fail_session (core, session, EV_SUPPLY_ERROR_REASON_NOT_PLUGGED);
}

/* The operator's stop of @cp_id ends its transaction. */
void
central_ocpp_remote_stop (CentralOcpp *self,
                          const char  *cp_id)
{
  Charger *charger = central_ocpp_find_charger (self, cp_id);
  CpRecord *rec = g_hash_table_lookup (self->core->records, cp_id);
  EvSupply *supply = rec != NULL ? ev_charging_point_get_supply (rec->cp) : NULL;
  g_autoptr(JsonObject) payload = NULL;
  gint64 transaction_id;

  if (charger == NULL || supply == NULL ||
      !ev_store_get_ocpp_transaction (self->core->store, ev_supply_get_supply_id (supply),
                                      &transaction_id, NULL))
    return;
  payload = json_object_new ();
  json_object_set_int_member (payload, "transactionId", transaction_id);
  central_ocpp_send_call (charger, "RemoteStopTransaction", payload, ev_supply_get_supply_id (supply));
}

/* The charger's calls -------------------------------------------------------- */

void
central_ocpp_handle_start_transaction (Charger    *charger,
                                       const char *unique_id,
                                       JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  const char *id_tag = json_object_get_string_member (payload, "idTag");
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *status = "Invalid";
  gint64 transaction_id = 0;
  EvSupply *supply;
  EvSupplyPhase phase;

  if (rec == NULL)
    return;
  supply = ev_charging_point_get_supply (rec->cp);
  phase = supply != NULL ? ev_supply_get_phase (supply) : EV_SUPPLY_PHASE_FAILED;
  if (supply != NULL && g_strcmp0 (ev_supply_get_driver_id (supply), id_tag) == 0 &&
      (phase == EV_SUPPLY_PHASE_AUTHORIZED || phase == EV_SUPPLY_PHASE_SUPPLYING))
    {
      const char *supply_id = ev_supply_get_supply_id (supply);

      if (!ev_store_start_ocpp_transaction (core->store, supply_id,
                                            json_object_get_int_member (payload, "meterStart"),
                                            &transaction_id, NULL, &error))
        {
          g_autoptr(GError) internal = g_error_new (EV_OCPP_ERROR, EV_OCPP_ERROR_INTERNAL_ERROR,
                                                    "%s", error->message);

          central_emit_error (core, error->message);
          central_ocpp_send_error (charger, unique_id, internal);
          return;
        }
      status = "Accepted";
      /* Supplying from now, at 0 kWh: the driver sees it start. */
      if (phase == EV_SUPPLY_PHASE_AUTHORIZED)
        {
          g_autoptr(EvSupplyData) data = supply_data (charger, supply_id, EV_SUPPLY_DATA_PROGRESS, 0);

          data->started_at = timestamp_ms (payload, "timestamp");
          central_apply_supply_data (core, data);
        }
    }
  else
    {
      g_autofree char *message = NULL;

      /* A start Central did not ask for bills no one. */
      if (g_hash_table_contains (core->driver_supply, id_tag))
        status = "ConcurrentTx";
      message = g_strdup_printf (_("Charging point %s started a transaction for %s that Central did not authorise: %s"),
                                 charger->cp_id, id_tag, status);
      central_emit (core, CENTRAL_EVENT_ERROR, CENTRAL_LOG_WARNING, message, NULL);
    }

  answer = json_object_new ();
  json_object_set_object_member (answer, "idTagInfo", id_tag_info (status));
  json_object_set_int_member (answer, "transactionId", transaction_id);
  reply_when_committed (charger, unique_id, answer);
}

void
central_ocpp_handle_meter_values (Charger    *charger,
                                  const char *unique_id,
                                  JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(EvSupplyData) data = NULL;
  double wh;

  if (rec == NULL)
    return;
  answer = json_object_new ();
  central_ocpp_send_result (charger, unique_id, answer);

  if (!json_object_has_member (payload, "transactionId") ||
      !central_ocpp_energy_register (payload, &wh))
    return;
  data = transaction_data (charger, payload, EV_SUPPLY_DATA_PROGRESS, wh);
  if (data != NULL)
    central_apply_supply_data (core, data);
}

void
central_ocpp_handle_stop_transaction (Charger    *charger,
                                      const char *unique_id,
                                      JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  gint64 transaction_id = json_object_get_int_member (payload, "transactionId");
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(EvSupplyData) data = NULL;

  if (rec == NULL)
    return;
  data = transaction_data (charger, payload, EV_SUPPLY_DATA_TICKET,
                           json_object_get_int_member (payload, "meterStop"));

  answer = json_object_new ();
  if (json_object_has_member (payload, "idTag"))
    json_object_set_object_member (answer, "idTagInfo", id_tag_info ("Accepted"));
  if (data == NULL)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, transaction_id);
      g_autofree char *message = g_strdup_printf (_("Charging point %s stopped transaction %s, which is none of its supplies: confirmed, nothing billed"),
                                                  charger->cp_id, id);

      /* Confirmed all the same: the charger must be able to clear its queue. */
      central_emit (core, CENTRAL_EVENT_ERROR, CENTRAL_LOG_WARNING, message, NULL);
      central_ocpp_send_result (charger, unique_id, answer);
      return;
    }
  data->ended_at = timestamp_ms (payload, "timestamp");
  data->reason = central_ocpp_stop_reason (json_object_get_string_member_with_default (payload, "reason", NULL));
  /* Open, ended by Central at a fault, or ended already (a repeat after a
   * reconnect): central-supplies.c bills it once. */
  central_apply_supply_data (core, data);
  reply_when_committed (charger, unique_id, answer);
}

/* Accepted for a driver Central knows whose supply may start here;
 * ConcurrentTx for one with a supply elsewhere; Invalid otherwise. */
void
central_ocpp_handle_authorize (Charger    *charger,
                               const char *unique_id,
                               JsonObject *payload)
{
  CentralCore *core = charger->ocpp->core;
  CpRecord *rec = central_ocpp_accepted_record (charger, unique_id);
  const char *id_tag = json_object_get_string_member (payload, "idTag");
  g_autoptr(JsonObject) answer = NULL;
  const char *supply_id;
  const char *status = "Invalid";

  if (rec == NULL)
    return;
  supply_id = g_hash_table_lookup (core->driver_supply, id_tag);
  if (supply_id != NULL)
    status = g_strcmp0 (supply_id, ev_charging_point_get_supply_id (rec->cp)) == 0 ? "Accepted" : "ConcurrentTx";
  else if (ev_store_driver_is_known (core->store, id_tag, NULL))
    status = "Accepted";
  answer = json_object_new ();
  json_object_set_object_member (answer, "idTagInfo", id_tag_info (status));
  central_ocpp_send_result (charger, unique_id, answer);
}

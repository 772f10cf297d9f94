#include "config.h"

#include "driver-file-run.h"
#include "driver-history.h"
#include "ev-json.h"

/**
 * driver_history_ticket_to_json:
 * @ticket: a concluded supply of the history
 *
 * Returns: (transfer full): `{supply_id, cp_id, outcome, reason, kwh,
 *   amount, price, started_at, ended_at}`
 */
JsonObject *
driver_history_ticket_to_json (EvSupply *ticket)
{
  JsonObject *object = json_object_new ();
  DriverFileOutcome outcome = ev_supply_get_phase (ticket) == EV_SUPPLY_PHASE_FINISHED
                              ? DRIVER_FILE_OUTCOME_TICKET : DRIVER_FILE_OUTCOME_SUPPLY_ERROR;

  json_object_set_string_member (object, "supply_id", ev_supply_get_supply_id (ticket));
  json_object_set_string_member (object, "cp_id", ev_supply_get_cp_id (ticket));
  json_object_set_string_member (object, "outcome", driver_file_outcome_to_string (outcome));
  ev_json_object_set_nullable_string (object, "reason", ev_supply_get_reason (ticket));
  json_object_set_double_member (object, "kwh", ev_supply_get_kwh (ticket));
  json_object_set_double_member (object, "amount", ev_supply_get_amount (ticket));
  json_object_set_double_member (object, "price", ev_supply_get_price (ticket));
  json_object_set_int_member (object, "started_at", ev_supply_get_started_at (ticket));
  json_object_set_int_member (object, "ended_at", ev_supply_get_ended_at (ticket));
  return object;
}

/**
 * driver_history_ticket_from_json:
 * @object: what driver_history_ticket_to_json() wrote
 * @driver_id: the driver whose history it is
 *
 * Returns: (transfer full) (nullable): the ticket, or %NULL when @object
 *   is not one
 */
EvSupply *
driver_history_ticket_from_json (JsonObject *object,
                                 const char *driver_id)
{
  const char *supply_id = json_object_get_string_member_with_default (object, "supply_id", NULL);
  const char *cp_id = json_object_get_string_member_with_default (object, "cp_id", NULL);
  const char *outcome = json_object_get_string_member_with_default (object, "outcome", NULL);
  EvSupply *ticket;

  if (supply_id == NULL || !ev_protocol_is_valid_id (cp_id))
    return NULL;

  ticket = ev_supply_new (supply_id, cp_id, driver_id);
  ev_supply_set_phase (ticket,
                               g_strcmp0 (outcome, driver_file_outcome_to_string (DRIVER_FILE_OUTCOME_TICKET)) == 0
                               ? EV_SUPPLY_PHASE_FINISHED : EV_SUPPLY_PHASE_FAILED);
  ev_supply_set_reason (ticket, json_object_get_string_member_with_default (object, "reason", NULL));
  ev_supply_set_kwh (ticket, ev_json_object_get_figure (object, "kwh"));
  ev_supply_set_amount (ticket, ev_json_object_get_figure (object, "amount"));
  ev_supply_set_price (ticket, ev_json_object_get_figure (object, "price"));
  ev_supply_set_started_at (ticket, ev_json_object_get_int_in_range (object, "started_at", 0, G_MAXINT64, 0));
  ev_supply_set_ended_at (ticket, ev_json_object_get_int_in_range (object, "ended_at", 0, G_MAXINT64, 0));
  return ticket;
}

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-follow.h"
#include "ev-json.h"
#include "ev-supply.h"

G_DEFINE_QUARK (driver-error-quark, driver_error)

/* The phases a supply has: the names are EvSupply's, so that the state
 * file, the events and Central's database say them alike. */
static const struct {
  DriverPhase phase;
  EvSupplyPhase supply_phase;
} supply_phases[] = {
  { DRIVER_PHASE_REQUESTED, EV_SUPPLY_PHASE_REQUESTED },
  { DRIVER_PHASE_AUTHORIZED, EV_SUPPLY_PHASE_AUTHORIZED },
  { DRIVER_PHASE_SUPPLYING, EV_SUPPLY_PHASE_SUPPLYING },
  { DRIVER_PHASE_FINISHED, EV_SUPPLY_PHASE_FINISHED },
  { DRIVER_PHASE_FAILED, EV_SUPPLY_PHASE_FAILED },
};

/* The states of a request rather than of a supply, named by the driver. */
static const struct {
  DriverPhase phase;
  const char *name;
} request_phases[] = {
  { DRIVER_PHASE_IDLE, "idle" },
  { DRIVER_PHASE_NO_ANSWER, "no-answer" },
  { DRIVER_PHASE_DENIED, "denied" },
};

/**
 * driver_phase_to_supply_phase:
 * @phase: a driver phase
 * @supply_phase: (out) (optional): where to put the supply's phase
 *
 * Returns: %TRUE if @phase is a phase of a supply (not idle, no-answer
 *   or denied, which belong to a request); @supply_phase is untouched
 *   otherwise
 */
gboolean
driver_phase_to_supply_phase (DriverPhase    phase,
                              EvSupplyPhase *supply_phase)
{
  for (guint i = 0; i < G_N_ELEMENTS (supply_phases); i++)
    if (supply_phases[i].phase == phase)
      {
        if (supply_phase != NULL)
          *supply_phase = supply_phases[i].supply_phase;
        return TRUE;
      }
  return FALSE;
}

/**
 * driver_phase_to_string:
 * @phase: a driver phase
 *
 * The one place that names the driver's phases: the state file and the
 * headless events (docs/cli.md) write these names.
 *
 * Returns: the phase's stable name
 */
const char *
driver_phase_to_string (DriverPhase phase)
{
  EvSupplyPhase supply_phase;

  if (driver_phase_to_supply_phase (phase, &supply_phase))
    return ev_supply_phase_to_string (supply_phase);
  for (guint i = 0; i < G_N_ELEMENTS (request_phases); i++)
    if (request_phases[i].phase == phase)
      return request_phases[i].name;
  g_return_val_if_reached (NULL);
}

gboolean
driver_phase_from_string (const char  *text,
                          DriverPhase *phase)
{
  EvSupplyPhase supply_phase;

  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (request_phases); i++)
    if (g_str_equal (text, request_phases[i].name))
      {
        *phase = request_phases[i].phase;
        return TRUE;
      }
  if (!ev_supply_phase_from_string (text, &supply_phase))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (supply_phases); i++)
    if (supply_phases[i].supply_phase == supply_phase)
      {
        *phase = supply_phases[i].phase;
        return TRUE;
      }
  return FALSE;
}

/* A supply is active from the request until its conclusion; a request
 * Central never answered stays active, since a late answer is taken. */
gboolean
driver_phase_is_active (DriverPhase phase)
{
  return phase == DRIVER_PHASE_REQUESTED || phase == DRIVER_PHASE_NO_ANSWER ||
         phase == DRIVER_PHASE_AUTHORIZED || phase == DRIVER_PHASE_SUPPLYING;
}

gboolean
driver_phase_is_concluded (DriverPhase phase)
{
  return phase == DRIVER_PHASE_FINISHED || phase == DRIVER_PHASE_DENIED || phase == DRIVER_PHASE_FAILED;
}

DriverFollow *
driver_follow_new (const char *driver_id)
{
  DriverFollow *follow = g_new0 (DriverFollow, 1);

  follow->driver_id = g_strdup (driver_id);
  return follow;
}

DriverFollow *
driver_follow_copy (const DriverFollow *follow)
{
  DriverFollow *copy = g_memdup2 (follow, sizeof *follow);

  copy->driver_id = g_strdup (follow->driver_id);
  copy->request_id = g_strdup (follow->request_id);
  copy->cp_id = g_strdup (follow->cp_id);
  copy->supply_id = g_strdup (follow->supply_id);
  copy->reason = g_strdup (follow->reason);
  return copy;
}

static void
clear_supply (DriverFollow *follow)
{
  g_clear_pointer (&follow->request_id, g_free);
  g_clear_pointer (&follow->cp_id, g_free);
  g_clear_pointer (&follow->supply_id, g_free);
  g_clear_pointer (&follow->reason, g_free);
  follow->phase = DRIVER_PHASE_IDLE;
  follow->price = follow->kwh = follow->amount = 0.0;
  follow->seq = 0;
  follow->requested_at = follow->started_at = follow->ended_at = 0;
}

void
driver_follow_free (DriverFollow *follow)
{
  if (follow == NULL)
    return;
  clear_supply (follow);
  g_free (follow->driver_id);
  g_free (follow);
}

/**
 * driver_follow_request:
 * @follow: the machine
 * @cp_id: a valid CP id
 * @request_id: the new request's id
 * @now_ms: the time
 * @error: return location for a #GError
 *
 * Starts following a new request. Refused while a supply is in progress,
 * except after Central did not answer: then the new request replaces it.
 *
 * Returns: %TRUE if the request is now followed
 */
gboolean
driver_follow_request (DriverFollow  *follow,
                       const char    *cp_id,
                       const char    *request_id,
                       gint64         now_ms,
                       GError       **error)
{
  if (driver_phase_is_active (follow->phase) && follow->phase != DRIVER_PHASE_NO_ANSWER)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_BUSY,
                   _("A supply at %s is already in progress"), follow->cp_id);
      return FALSE;
    }

  clear_supply (follow);
  follow->phase = DRIVER_PHASE_REQUESTED;
  follow->cp_id = g_strdup (cp_id);
  follow->request_id = g_strdup (request_id);
  follow->requested_at = now_ms;
  return TRUE;
}

/* The answer time-out passed: Central is not answering. */
gboolean
driver_follow_expire (DriverFollow *follow)
{
  if (follow->phase != DRIVER_PHASE_REQUESTED)
    return FALSE;
  follow->phase = DRIVER_PHASE_NO_ANSWER;
  return TRUE;
}

DriverFollowResult
driver_follow_on_response (DriverFollow           *follow,
                           const EvSupplyResponse *msg)
{
  if (g_strcmp0 (msg->driver_id, follow->driver_id) != 0 ||
      g_strcmp0 (msg->request_id, follow->request_id) != 0 ||
      (follow->phase != DRIVER_PHASE_REQUESTED && follow->phase != DRIVER_PHASE_NO_ANSWER))
    return DRIVER_FOLLOW_IGNORED;

  if (msg->status == EV_SUPPLY_STATUS_DENIED)
    {
      follow->phase = DRIVER_PHASE_DENIED;
      g_free (follow->reason);
      follow->reason = g_strdup (ev_supply_deny_reason_to_string (msg->reason));
      return DRIVER_FOLLOW_CONCLUDED;
    }

  follow->phase = DRIVER_PHASE_AUTHORIZED;
  g_free (follow->supply_id);
  follow->supply_id = g_strdup (msg->supply_id);
  if (msg->has_price)
    follow->price = msg->price;
  return DRIVER_FOLLOW_CHANGED;
}

static gboolean
is_current_supply (DriverFollow *follow,
                   const char   *driver_id,
                   const char   *supply_id)
{
  return g_strcmp0 (driver_id, follow->driver_id) == 0 &&
         follow->supply_id != NULL && g_strcmp0 (supply_id, follow->supply_id) == 0 &&
         (follow->phase == DRIVER_PHASE_AUTHORIZED || follow->phase == DRIVER_PHASE_SUPPLYING);
}

DriverFollowResult
driver_follow_on_data (DriverFollow       *follow,
                       const EvSupplyData *msg)
{
  if (!is_current_supply (follow, msg->driver_id, msg->supply_id))
    return DRIVER_FOLLOW_IGNORED;

  if (msg->kind == EV_SUPPLY_DATA_PROGRESS)
    {
      /* Older figures (a redelivery, a recovery read) never go back. */
      if (msg->seq <= follow->seq)
        return DRIVER_FOLLOW_IGNORED;
      follow->phase = DRIVER_PHASE_SUPPLYING;
    }
  else
    {
      follow->phase = DRIVER_PHASE_FINISHED;
      follow->ended_at = msg->ended_at;
      g_free (follow->reason);
      follow->reason = g_strdup (ev_ticket_reason_to_string (msg->reason));
    }

  follow->seq = MAX (follow->seq, msg->seq);
  follow->kwh = msg->kwh;
  follow->amount = msg->amount;
  follow->price = msg->price;
  follow->started_at = msg->started_at;
  return msg->kind == EV_SUPPLY_DATA_TICKET ? DRIVER_FOLLOW_CONCLUDED : DRIVER_FOLLOW_CHANGED;
}

DriverFollowResult
driver_follow_on_error (DriverFollow        *follow,
                        const EvSupplyError *msg)
{
  if (!is_current_supply (follow, msg->driver_id, msg->supply_id))
    return DRIVER_FOLLOW_IGNORED;

  follow->phase = DRIVER_PHASE_FAILED;
  follow->kwh = msg->kwh;
  follow->amount = msg->amount;
  g_free (follow->reason);
  follow->reason = g_strdup (ev_supply_error_reason_to_string (msg->reason));
  return DRIVER_FOLLOW_CONCLUDED;
}

JsonObject *
driver_follow_to_json (const DriverFollow *follow)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "phase", driver_phase_to_string (follow->phase));
  ev_json_object_set_nullable_string (object, "request_id", follow->request_id);
  ev_json_object_set_nullable_string (object, "cp_id", follow->cp_id);
  ev_json_object_set_nullable_string (object, "supply_id", follow->supply_id);
  ev_json_object_set_nullable_string (object, "reason", follow->reason);
  json_object_set_double_member (object, "price", follow->price);
  json_object_set_double_member (object, "kwh", follow->kwh);
  json_object_set_double_member (object, "amount", follow->amount);
  json_object_set_int_member (object, "seq", follow->seq);
  json_object_set_int_member (object, "requested_at", follow->requested_at);
  json_object_set_int_member (object, "started_at", follow->started_at);
  json_object_set_int_member (object, "ended_at", follow->ended_at);
  return object;
}

static char *
dup_member (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/**
 * driver_follow_from_json:
 * @object: what driver_follow_to_json() wrote
 * @driver_id: the driver
 * @error: return location for a #GError
 *
 * Reads a saved supply back, checking it enough that a damaged file
 * cannot make the driver follow nonsense.
 *
 * Returns: (transfer full) (nullable): the machine
 */
DriverFollow *
driver_follow_from_json (JsonObject  *object,
                         const char  *driver_id,
                         GError     **error)
{
  g_autoptr(DriverFollow) follow = driver_follow_new (driver_id);
  g_autofree char *phase = dup_member (object, "phase");

  if (!driver_phase_from_string (phase, &follow->phase))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("The saved supply has no valid phase"));
      return NULL;
    }
  follow->request_id = dup_member (object, "request_id");
  follow->cp_id = dup_member (object, "cp_id");
  follow->supply_id = dup_member (object, "supply_id");
  follow->reason = dup_member (object, "reason");
  follow->price = json_object_get_double_member_with_default (object, "price", 0.0);
  follow->kwh = json_object_get_double_member_with_default (object, "kwh", 0.0);
  follow->amount = json_object_get_double_member_with_default (object, "amount", 0.0);
  follow->seq = CLAMP (json_object_get_int_member_with_default (object, "seq", 0), 0, G_MAXUINT);
  follow->requested_at = json_object_get_int_member_with_default (object, "requested_at", 0);
  follow->started_at = json_object_get_int_member_with_default (object, "started_at", 0);
  follow->ended_at = json_object_get_int_member_with_default (object, "ended_at", 0);

  if (follow->phase != DRIVER_PHASE_IDLE &&
      (!ev_protocol_is_valid_id (follow->cp_id) ||
       !ev_protocol_validate_uuid (follow->request_id, "request_id", NULL) ||
       ((follow->phase == DRIVER_PHASE_AUTHORIZED || follow->phase == DRIVER_PHASE_SUPPLYING) &&
        !ev_protocol_validate_uuid (follow->supply_id, "supply_id", NULL))))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("The saved supply is damaged"));
      return NULL;
    }
  return g_steal_pointer (&follow);
}

/**
 * driver_reason_describe:
 * @phase: %DRIVER_PHASE_DENIED, %DRIVER_PHASE_FINISHED or %DRIVER_PHASE_FAILED
 * @reason: (nullable): the wire reason
 *
 * Returns: the reason in words a driver understands
 */
const char *
driver_reason_describe (DriverPhase  phase,
                        const char  *reason)
{
  static const struct {
    DriverPhase phase;   /* DRIVER_PHASE_IDLE: any */
    const char *reason;
    const char *text;
  } texts[] = {
    { DRIVER_PHASE_IDLE, "unknown-cp", N_("this charging point does not exist") },
    { DRIVER_PHASE_DENIED, "cp-disconnected", N_("the charging point is offline") },
    { DRIVER_PHASE_FAILED, "cp-disconnected", N_("the charging point went offline") },
    { DRIVER_PHASE_IDLE, "cp-busy", N_("the charging point is in use") },
    { DRIVER_PHASE_IDLE, "cp-stopped", N_("the charging point is out of order") },
    { DRIVER_PHASE_IDLE, "cp-broken", N_("the charging point is broken down") },
    { DRIVER_PHASE_IDLE, "driver-busy", N_("you already have a supply in progress") },
    { DRIVER_PHASE_IDLE, "invalid-request", N_("the request was not valid") },
    { DRIVER_PHASE_IDLE, "unavailable", N_("the network cannot take requests right now; try again later") },
    { DRIVER_PHASE_IDLE, "unplugged", N_("the vehicle was unplugged") },
    { DRIVER_PHASE_IDLE, "stopped-by-central", N_("stopped by the network operator") },
    { DRIVER_PHASE_IDLE, "engine-fault", N_("the charging point broke down") },
    { DRIVER_PHASE_IDLE, "not-plugged", N_("no vehicle was plugged in within a minute") },
    { DRIVER_PHASE_IDLE, "monitor-lost", N_("the charging point lost its monitor and stopped charging") },
  };

  if (reason == NULL)
    return _("no reason given");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if ((texts[i].phase == DRIVER_PHASE_IDLE || texts[i].phase == phase) &&
        g_str_equal (texts[i].reason, reason))
      return _(texts[i].text);
  return reason;
}

/**
 * driver_follow_describe:
 * @follow: the machine
 *
 * Returns: (transfer full): where the supply stands, for people
 */
char *
driver_follow_describe (const DriverFollow *follow)
{
  const char *why = driver_reason_describe (follow->phase, follow->reason);

  switch (follow->phase)
    {
    case DRIVER_PHASE_IDLE:
      return g_strdup (_("No supply in progress"));
    case DRIVER_PHASE_REQUESTED:
      return g_strdup_printf (_("Waiting for Central to answer your request at %s…"), follow->cp_id);
    case DRIVER_PHASE_NO_ANSWER:
      return g_strdup_printf (_("Central is not answering your request at %s. Try again in a moment."),
                              follow->cp_id);
    case DRIVER_PHASE_AUTHORIZED:
      return g_strdup_printf (_("Authorised: plug your vehicle in at %s"), follow->cp_id);
    case DRIVER_PHASE_SUPPLYING:
      return g_strdup_printf (_("Charging at %s: %.2f kWh, %.2f €"), follow->cp_id, follow->kwh, follow->amount);
    case DRIVER_PHASE_FINISHED:
      return g_strdup_printf (_("Finished at %s: %.2f kWh, %.2f € (%s)"), follow->cp_id,
                              follow->kwh, follow->amount, why);
    case DRIVER_PHASE_DENIED:
      return g_strdup_printf (_("Refused at %s: %s"), follow->cp_id, why);
    case DRIVER_PHASE_FAILED:
      return g_strdup_printf (_("The supply at %s ended early: %s (%.2f kWh, %.2f €)"), follow->cp_id,
                              why, follow->kwh, follow->amount);
    default:
      g_return_val_if_reached (NULL);
    }
}

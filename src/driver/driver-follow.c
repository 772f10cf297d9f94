#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

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

/**
 * driver_follow_get_phase:
 * @follow: the machine
 *
 * Returns: where the request and its supply stand: the supply's phase,
 *   told apart from the states of the request alone
 */
DriverPhase
driver_follow_get_phase (const DriverFollow *follow)
{
  if (follow->supply == NULL)
    return DRIVER_PHASE_IDLE;

  switch (ev_supply_get_phase (follow->supply))
    {
    case EV_SUPPLY_PHASE_REQUESTED:
      return follow->no_answer ? DRIVER_PHASE_NO_ANSWER : DRIVER_PHASE_REQUESTED;
    case EV_SUPPLY_PHASE_AUTHORIZED: return DRIVER_PHASE_AUTHORIZED;
    case EV_SUPPLY_PHASE_SUPPLYING: return DRIVER_PHASE_SUPPLYING;
    case EV_SUPPLY_PHASE_FINISHED: return DRIVER_PHASE_FINISHED;
    case EV_SUPPLY_PHASE_FAILED:
      return follow->denied ? DRIVER_PHASE_DENIED : DRIVER_PHASE_FAILED;
    default:
      g_return_val_if_reached (DRIVER_PHASE_IDLE);
    }
}

const char *
driver_follow_get_cp_id (const DriverFollow *follow)
{
  return follow->supply != NULL ? ev_supply_get_cp_id (follow->supply) : NULL;
}

const char *
driver_follow_get_supply_id (const DriverFollow *follow)
{
  return follow->supply != NULL ? ev_supply_get_supply_id (follow->supply) : NULL;
}

/* The wire reason of a denial, ticket or error. */
const char *
driver_follow_get_reason (const DriverFollow *follow)
{
  return follow->supply != NULL ? ev_supply_get_reason (follow->supply) : NULL;
}

DriverFollow *
driver_follow_new (const char *driver_id)
{
  DriverFollow *follow = g_new0 (DriverFollow, 1);

  follow->driver_id = g_strdup (driver_id);
  return follow;
}

/**
 * driver_follow_copy:
 * @follow: the machine
 *
 * What an event keeps: the request and its supply as they stand now.
 *
 * Returns: (transfer full): a copy holding a copy of the supply
 */
DriverFollow *
driver_follow_copy (const DriverFollow *follow)
{
  DriverFollow *copy = g_memdup2 (follow, sizeof *follow);

  copy->driver_id = g_strdup (follow->driver_id);
  copy->request_id = g_strdup (follow->request_id);
  copy->supply = follow->supply != NULL ? ev_supply_copy (follow->supply) : NULL;
  return copy;
}

static void
clear_request (DriverFollow *follow)
{
  g_clear_pointer (&follow->request_id, g_free);
  g_clear_object (&follow->supply);
  follow->requested_at = 0;
  follow->no_answer = follow->denied = FALSE;
}

void
driver_follow_free (DriverFollow *follow)
{
  if (follow == NULL)
    return;
  clear_request (follow);
  g_free (follow->driver_id);
  g_free (follow);
}

/**
 * driver_follow_check_free:
 * @follow: the machine
 * @error: return location for a #GError
 *
 * Returns: %TRUE if a new request may be followed: nothing is in
 *   progress, or Central did not answer the one before
 */
gboolean
driver_follow_check_free (const DriverFollow  *follow,
                          GError             **error)
{
  DriverPhase phase = driver_follow_get_phase (follow);

  if (driver_phase_is_active (phase) && phase != DRIVER_PHASE_NO_ANSWER)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_BUSY,
                   _("A supply at %s is already in progress"), driver_follow_get_cp_id (follow));
      return FALSE;
    }
  return TRUE;
}

/**
 * driver_follow_request:
 * @follow: the machine
 * @cp_id: a valid CP id
 * @request_id: the new request's id
 * @now_ms: the time
 * @error: return location for a #GError
 *
 * Starts following a new request, with a new #EvSupply (the one before,
 * if any, is let go). Refused while a supply is in progress, except after
 * Central did not answer: then the new request replaces it.
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
  if (!driver_follow_check_free (follow, error))
    return FALSE;

  clear_request (follow);
  follow->supply = ev_supply_new (NULL, cp_id, follow->driver_id);
  follow->request_id = g_strdup (request_id);
  follow->requested_at = now_ms;
  return TRUE;
}

/* The answer time-out passed: Central is not answering. */
gboolean
driver_follow_expire (DriverFollow *follow)
{
  if (driver_follow_get_phase (follow) != DRIVER_PHASE_REQUESTED)
    return FALSE;
  follow->no_answer = TRUE;
  return TRUE;
}

DriverFollowResult
driver_follow_on_response (DriverFollow           *follow,
                           const EvSupplyResponse *msg)
{
  DriverPhase phase = driver_follow_get_phase (follow);
  EvSupply *supply = follow->supply;

  if (g_strcmp0 (msg->driver_id, follow->driver_id) != 0 ||
      g_strcmp0 (msg->request_id, follow->request_id) != 0 ||
      (phase != DRIVER_PHASE_REQUESTED && phase != DRIVER_PHASE_NO_ANSWER))
    return DRIVER_FOLLOW_IGNORED;

  /* The request's state first: who watches the supply reads it with the
   * supply's new phase. */
  follow->no_answer = FALSE;
  g_object_freeze_notify (G_OBJECT (supply));
  if (msg->status == EV_SUPPLY_STATUS_DENIED)
    {
      follow->denied = TRUE;
      ev_supply_set_reason (supply, ev_supply_deny_reason_to_string (msg->reason));
      ev_supply_set_phase (supply, EV_SUPPLY_PHASE_FAILED);
    }
  else
    {
      ev_supply_set_supply_id (supply, msg->supply_id);
      if (msg->has_price)
        ev_supply_set_price (supply, msg->price);
      ev_supply_set_phase (supply, EV_SUPPLY_PHASE_AUTHORIZED);
    }
  g_object_thaw_notify (G_OBJECT (supply));
  return follow->denied ? DRIVER_FOLLOW_CONCLUDED : DRIVER_FOLLOW_CHANGED;
}

/**
 * driver_supply_take_data:
 * @supply: a supply of the driver's
 * @msg: figures of it from `supply-data2`
 * @phase: the phase they put it in
 *
 * Gives @supply the figures of @msg (and a ticket's end and reason),
 * notified together: its sequence number never goes back, and a start
 * not sent (0) keeps the one known.
 */
void
driver_supply_take_data (EvSupply           *supply,
                         const EvSupplyData *msg,
                         EvSupplyPhase       phase)
{
  g_object_freeze_notify (G_OBJECT (supply));
  if (msg->kind == EV_SUPPLY_DATA_TICKET)
    {
      ev_supply_set_ended_at (supply, msg->ended_at);
      ev_supply_set_reason (supply, ev_ticket_reason_to_string (msg->reason));
    }
  ev_supply_set_seq (supply, MAX (ev_supply_get_seq (supply), msg->seq));
  ev_supply_set_kwh (supply, msg->kwh);
  ev_supply_set_amount (supply, msg->amount);
  ev_supply_set_price (supply, msg->price);
  if (msg->started_at > 0)
    ev_supply_set_started_at (supply, msg->started_at);
  ev_supply_set_phase (supply, phase);
  g_object_thaw_notify (G_OBJECT (supply));
}

static gboolean
is_current_supply (DriverFollow *follow,
                   const char   *driver_id,
                   const char   *supply_id)
{
  DriverPhase phase = driver_follow_get_phase (follow);
  const char *current = driver_follow_get_supply_id (follow);

  return g_strcmp0 (driver_id, follow->driver_id) == 0 &&
         current != NULL && g_strcmp0 (supply_id, current) == 0 &&
         (phase == DRIVER_PHASE_AUTHORIZED || phase == DRIVER_PHASE_SUPPLYING);
}

DriverFollowResult
driver_follow_on_data (DriverFollow       *follow,
                       const EvSupplyData *msg)
{
  EvSupply *supply = follow->supply;

  if (!is_current_supply (follow, msg->driver_id, msg->supply_id))
    return DRIVER_FOLLOW_IGNORED;
  /* Older figures (a redelivery, a recovery read) never go back. */
  if (msg->kind == EV_SUPPLY_DATA_PROGRESS && msg->seq <= ev_supply_get_seq (supply))
    return DRIVER_FOLLOW_IGNORED;

  driver_supply_take_data (supply, msg, msg->kind == EV_SUPPLY_DATA_TICKET ? EV_SUPPLY_PHASE_FINISHED
                                                                           : EV_SUPPLY_PHASE_SUPPLYING);
  return msg->kind == EV_SUPPLY_DATA_TICKET ? DRIVER_FOLLOW_CONCLUDED : DRIVER_FOLLOW_CHANGED;
}

DriverFollowResult
driver_follow_on_error (DriverFollow        *follow,
                        const EvSupplyError *msg)
{
  EvSupply *supply = follow->supply;

  if (!is_current_supply (follow, msg->driver_id, msg->supply_id))
    return DRIVER_FOLLOW_IGNORED;

  g_object_freeze_notify (G_OBJECT (supply));
  ev_supply_set_kwh (supply, msg->kwh);
  ev_supply_set_amount (supply, msg->amount);
  ev_supply_set_reason (supply, ev_supply_error_reason_to_string (msg->reason));
  ev_supply_set_phase (supply, EV_SUPPLY_PHASE_FAILED);
  g_object_thaw_notify (G_OBJECT (supply));
  return DRIVER_FOLLOW_CONCLUDED;
}

/* The state file's form of the follow (tests /driver/follow/json-*): the
 * supply's members beside the request's, as they always were. */
JsonObject *
driver_follow_to_json (const DriverFollow *follow)
{
  JsonObject *object = json_object_new ();
  EvSupply *supply = follow->supply;

  json_object_set_string_member (object, "phase", driver_phase_to_string (driver_follow_get_phase (follow)));
  ev_json_object_set_nullable_string (object, "request_id", follow->request_id);
  ev_json_object_set_nullable_string (object, "cp_id", driver_follow_get_cp_id (follow));
  ev_json_object_set_nullable_string (object, "supply_id", driver_follow_get_supply_id (follow));
  ev_json_object_set_nullable_string (object, "reason", driver_follow_get_reason (follow));
  json_object_set_double_member (object, "price", supply != NULL ? ev_supply_get_price (supply) : 0.0);
  json_object_set_double_member (object, "kwh", supply != NULL ? ev_supply_get_kwh (supply) : 0.0);
  json_object_set_double_member (object, "amount", supply != NULL ? ev_supply_get_amount (supply) : 0.0);
  json_object_set_int_member (object, "seq", supply != NULL ? ev_supply_get_seq (supply) : 0);
  json_object_set_int_member (object, "requested_at", follow->requested_at);
  json_object_set_int_member (object, "started_at", supply != NULL ? ev_supply_get_started_at (supply) : 0);
  json_object_set_int_member (object, "ended_at", supply != NULL ? ev_supply_get_ended_at (supply) : 0);
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


static gint64
time_member (JsonObject *object,
             const char *member)
{
  return ev_json_object_get_int_in_range (object, member, 0, G_MAXINT64, 0);
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
  g_autofree char *phase_name = dup_member (object, "phase");
  g_autofree char *cp_id = dup_member (object, "cp_id");
  g_autofree char *supply_id = dup_member (object, "supply_id");
  g_autofree char *reason = dup_member (object, "reason");
  DriverPhase phase;
  EvSupplyPhase supply_phase = EV_SUPPLY_PHASE_REQUESTED;

  if (!driver_phase_from_string (phase_name, &phase))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("The saved supply has no valid phase"));
      return NULL;
    }
  if (phase == DRIVER_PHASE_IDLE)
    return g_steal_pointer (&follow);

  follow->request_id = dup_member (object, "request_id");
  if (!ev_protocol_is_valid_id (cp_id) ||
      !ev_protocol_validate_uuid (follow->request_id, "request_id", NULL) ||
      ((phase == DRIVER_PHASE_AUTHORIZED || phase == DRIVER_PHASE_SUPPLYING) &&
       !ev_protocol_validate_uuid (supply_id, "supply_id", NULL)))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("The saved supply is damaged"));
      return NULL;
    }

  follow->requested_at = time_member (object, "requested_at");
  follow->no_answer = phase == DRIVER_PHASE_NO_ANSWER;
  follow->denied = phase == DRIVER_PHASE_DENIED;
  if (follow->denied)
    supply_phase = EV_SUPPLY_PHASE_FAILED;
  else
    driver_phase_to_supply_phase (phase, &supply_phase);

  follow->supply = ev_supply_new (supply_id, cp_id, driver_id);
  ev_supply_set_phase (follow->supply, supply_phase);
  ev_supply_set_reason (follow->supply, reason);
  ev_supply_set_price (follow->supply, ev_json_object_get_figure (object, "price"));
  ev_supply_set_kwh (follow->supply, ev_json_object_get_figure (object, "kwh"));
  ev_supply_set_amount (follow->supply, ev_json_object_get_figure (object, "amount"));
  ev_supply_set_seq (follow->supply, (guint) ev_json_object_get_int_in_range (object, "seq", 0, G_MAXUINT, 0));
  ev_supply_set_started_at (follow->supply, time_member (object, "started_at"));
  ev_supply_set_ended_at (follow->supply, time_member (object, "ended_at"));
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
  DriverPhase phase = driver_follow_get_phase (follow);
  const char *cp_id = driver_follow_get_cp_id (follow);
  const char *why = driver_reason_describe (phase, driver_follow_get_reason (follow));
  double kwh = follow->supply != NULL ? ev_supply_get_kwh (follow->supply) : 0.0;
  double amount = follow->supply != NULL ? ev_supply_get_amount (follow->supply) : 0.0;

  switch (phase)
    {
    case DRIVER_PHASE_IDLE:
      return g_strdup (_("No supply in progress"));
    case DRIVER_PHASE_REQUESTED:
      return g_strdup_printf (_("Waiting for Central to answer your request at %s…"), cp_id);
    case DRIVER_PHASE_NO_ANSWER:
      return g_strdup_printf (_("Central is not answering your request at %s. Try again in a moment."),
                              cp_id);
    case DRIVER_PHASE_AUTHORIZED:
      return g_strdup_printf (_("Authorised: plug your vehicle in at %s"), cp_id);
    case DRIVER_PHASE_SUPPLYING:
      return g_strdup_printf (_("Charging at %s: %.2f kWh, %.2f €"), cp_id, kwh, amount);
    case DRIVER_PHASE_FINISHED:
      return g_strdup_printf (_("Finished at %s: %.2f kWh, %.2f € (%s)"), cp_id, kwh, amount, why);
    case DRIVER_PHASE_DENIED:
      return g_strdup_printf (_("Refused at %s: %s"), cp_id, why);
    case DRIVER_PHASE_FAILED:
      return g_strdup_printf (_("The supply at %s ended early: %s (%.2f kWh, %.2f €)"), cp_id,
                              why, kwh, amount);
    default:
      g_return_val_if_reached (NULL);
    }
}

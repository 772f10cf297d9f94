#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "driver-core.h"
#include "driver-enum-types.h"
#include "driver-event.h"
#include "driver-history.h"
#include "driver-request-file.h"
#include "ev-bus.h"
#include "ev-charging-point.h"
#include "ev-file.h"
#include "ev-json.h"
#include "ev-supply-session.h"

/* The driver's app as a GObject on GLib alone: the live list of CPs from
 * cp-states, one supply followed through supply-res / supply-data2 /
 * supply-error (consumer group ev-driver-<id>, commit after the state is
 * saved), request files, recovery after a crash and the ticket history.
 * Views (headless, GTK) read its properties and list models and follow
 * its `event` signal of typed #DriverEvent. */

#define STATE_FILE "state.json"
#define HISTORY_FILE "history.json"
/* The most a state or history file may hold (some 200,000 tickets). */
#define STATE_FILE_MAX_SIZE (64 * 1024 * 1024)

/* A supply-data2 or supply-error message that arrived before the answer
 * naming its supply: the topics are read in parallel, so a fast Central's
 * first figures can overtake its authorisation. */
typedef struct
{
  EvSupplyData *data;
  EvSupplyError *error;
} Early;

/* Early messages kept at most; more means they are not ours to wait for. */
#define EARLY_MAX 64

/* Supplies authorised for a request this driver had given up on, kept at
 * most (see mark_abandoned()). */
#define ABANDONED_MAX 256

static void
early_free (gpointer user_data)
{
  Early *early = user_data;

  g_clear_pointer (&early->data, ev_supply_data_free);
  g_clear_pointer (&early->error, ev_supply_error_free);
  g_free (early);
}

struct _DriverCore
{
  GObject parent_instance;

  char *driver_id;
  char *bootstrap;
  char **kafka_overrides;
  char *state_dir;
  gint64 answer_timeout;
  gint64 file_spacing;

  gboolean started;
  gboolean reachable;
  EvBus *bus;        /* producer + group ev-driver-<id> */
  EvBus *cp_reader;  /* cp-states from the beginning */
  EvBus *recovery;   /* the driver's topics from the beginning, while recovering */
  EvSigningKey *signing_key;  /* signs the driver's requests */
  EvVerifyKey *central_key;   /* checks Central's messages; NULL: nothing checked */
  guint close_recovery_id;

  DriverFollow *follow;
  guint answer_id;
  GPtrArray *early;           /* Early, for a supply not authorised yet */
  GHashTable *abandoned;      /* supply_id set: authorised after the driver gave up */
  GQueue abandoned_order;     /* the same, oldest first, to bound it */

  GListStore *cps;
  GHashTable *cp_index;       /* cp_id → EvChargingPoint (borrowed from cps) */

  GListStore *history;
  GHashTable *history_ids;    /* supply_id set */
  double total_kwh;
  double total_amount;

  DriverFileRun *file;
  guint spacing_id;
};

G_DEFINE_FINAL_TYPE (DriverCore, driver_core, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DRIVER_ID,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_STATE_DIR,
  PROP_ANSWER_TIMEOUT,
  PROP_FILE_SPACING,
  PROP_BROKER_REACHABLE,
  PROP_PHASE,
  PROP_CP_ID,
  PROP_REQUEST_ID,
  PROP_SUPPLY_ID,
  PROP_REASON,
  PROP_PRICE,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_STARTED_AT,
  PROP_ENDED_AT,
  PROP_STATUS_TEXT,
  PROP_CHARGING_POINTS,
  PROP_CHARGING_POINTS_LOADED,
  PROP_HISTORY,
  PROP_TOTAL_KWH,
  PROP_TOTAL_AMOUNT,
  PROP_FILE_RUNNING,
  PROP_FILE_PATH,
  PROP_FILE_POSITION,
  PROP_FILE_TOTAL,
  PROP_FILE_PAUSED,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void file_check         (DriverCore *self);
static void file_record_result (DriverCore *self,
                                gboolean    sent);
static void close_bus  (DriverCore  *self,
                        EvBus      **bus);

/* Helpers ------------------------------------------------------------------ */

static void
emit (DriverCore            *self,
      DriverEventKind        kind,
      const char            *message,
      const DriverEventData *data)
{
  ev_event_emit (self, signals[SIGNAL_EVENT], driver_event_new (kind, message, data));
}

static void
emit_error (DriverCore *self,
            const char *message)
{
  g_message ("%s", message);
  emit (self, DRIVER_EVENT_ERROR, message, NULL);
}

/**
 * driver_core_check_driver_id:
 * @driver_id: (nullable): what the user typed
 * @error: return location for a #GError
 *
 * A driver id is a plain protocol id; `station:<cp_id>` is kept for
 * requests typed at a station.
 *
 * Returns: %TRUE if @driver_id may be used by a driver
 */
gboolean
driver_core_check_driver_id (const char  *driver_id,
                             GError     **error)
{
  if (!ev_protocol_validate_driver_id (driver_id, "driver_id", error))
    return FALSE;
  if (ev_protocol_is_station_driver_id (driver_id))
    {
      g_set_error (error, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR_INVALID_ID,
                   _("“%s” is kept for requests made at a charging point: choose another driver id"),
                   driver_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * driver_core_default_state_dir:
 * @driver_id: a valid driver id
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/drivers/<id>`
 */
char *
driver_core_default_state_dir (const char *driver_id)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "drivers", driver_id, NULL);
}

/* Persistence -------------------------------------------------------------- */

/* Written to a temporary file and renamed over the old one, so a crash
 * leaves either the old or the new state, never half of one. */
static gboolean
save_json (DriverCore  *self,
           const char  *name,
           JsonObject  *object,
           GError     **error)
{
  g_autofree char *path = g_build_filename (self->state_dir, name, NULL);
  g_autofree char *text = NULL;
  gsize length;

  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), self->state_dir, g_strerror (saved_errno));
      return FALSE;
    }
  text = ev_json_object_to_string (object, &length);
  return g_file_set_contents_full (path, text, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static JsonObject *
load_json (DriverCore  *self,
           const char  *name,
           GError     **error)
{
  g_autofree char *path = g_build_filename (self->state_dir, name, NULL);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  JsonNode *root;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;

  if (!ev_file_read_bounded (path, STATE_FILE_MAX_SIZE, &contents, &length, &local_error))
    {
      g_set_error_literal (error, DRIVER_ERROR, DRIVER_ERROR_STATE, local_error->message);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("Cannot read %s: %s"), path, local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_STATE, _("Cannot read %s: not a JSON object"), path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static void
save_state (DriverCore *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_int_member (object, "version", 1);
  json_object_set_string_member (object, "driver_id", self->driver_id);
  if (self->follow->phase != DRIVER_PHASE_IDLE)
    json_object_set_object_member (object, "supply", driver_follow_to_json (self->follow));
  else
    json_object_set_null_member (object, "supply");
  if (self->file != NULL)
    json_object_set_object_member (object, "file", driver_file_run_to_json (self->file));
  else
    json_object_set_null_member (object, "file");

  if (!save_json (self, STATE_FILE, object, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot save the supply in progress: %s"), error->message);

      emit_error (self, message);
    }
}

static void
add_history (DriverCore      *self,
             EvSupplySession *session)
{
  g_hash_table_add (self->history_ids, g_strdup (ev_supply_session_get_supply_id (session)));
  g_list_store_append (self->history, session);
  self->total_kwh += ev_supply_session_get_kwh (session);
  self->total_amount += ev_supply_session_get_amount (session);
}

static void
load_history (DriverCore *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tickets;

  object = load_json (self, HISTORY_FILE, &error);
  if (error != NULL)
    emit_error (self, error->message);
  if (object == NULL || (tickets = json_object_get_array_member (object, "tickets")) == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *item = json_array_get_object_element (tickets, i);
      g_autoptr(EvSupplySession) session = item != NULL ? driver_history_ticket_from_json (item, self->driver_id)
                                                        : NULL;

      if (session != NULL &&
          !g_hash_table_contains (self->history_ids, ev_supply_session_get_supply_id (session)))
        add_history (self, session);
    }
}

static void
save_history (DriverCore *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *tickets = json_array_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvSupplySession) session = g_list_model_get_item (G_LIST_MODEL (self->history), i);

      json_array_add_object_element (tickets, driver_history_ticket_to_json (session));
    }
  json_object_set_array_member (object, "tickets", tickets);
  if (!save_json (self, HISTORY_FILE, object, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot save the ticket history: %s"), error->message);

      emit_error (self, message);
    }
}

/* Records a concluded supply (ticket or error) once per supply id. */
static void
record_history (DriverCore *self)
{
  DriverFollow *follow = self->follow;
  g_autoptr(EvSupplySession) session = NULL;

  if ((follow->phase != DRIVER_PHASE_FINISHED && follow->phase != DRIVER_PHASE_FAILED) ||
      follow->supply_id == NULL || g_hash_table_contains (self->history_ids, follow->supply_id))
    return;

  session = ev_supply_session_new (follow->supply_id, follow->cp_id, self->driver_id);
  ev_supply_session_set_phase (session, follow->phase == DRIVER_PHASE_FINISHED ? EV_SUPPLY_PHASE_FINISHED
                                                                               : EV_SUPPLY_PHASE_FAILED);
  ev_supply_session_set_reason (session, follow->reason);
  ev_supply_session_set_kwh (session, follow->kwh);
  ev_supply_session_set_amount (session, follow->amount);
  ev_supply_session_set_price (session, follow->price);
  ev_supply_session_set_seq (session, follow->seq);
  ev_supply_session_set_started_at (session, follow->started_at);
  ev_supply_session_set_ended_at (session, follow->ended_at);
  add_history (self, session);
  save_history (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_KWH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_AMOUNT]);
}

/* Supply events ------------------------------------------------------------ */

/* The supply events tell the supply as it stands now, and the situation
 * in words. */
static void
emit_supply (DriverCore      *self,
             DriverEventKind  kind,
             gboolean         retry)
{
  g_autofree char *message = driver_follow_describe (self->follow);
  DriverEventData data = { .supply = self->follow, .retry = retry };

  emit (self, kind, message, &data);
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

static void
notify_follow (DriverCore         *self,
               const DriverFollow *before)
{
  const DriverFollow *now = self->follow;
  GObject *object = G_OBJECT (self);

  g_object_freeze_notify (object);
  if (before->phase != now->phase)
    g_object_notify_by_pspec (object, properties[PROP_PHASE]);
  if (g_strcmp0 (before->cp_id, now->cp_id) != 0)
    g_object_notify_by_pspec (object, properties[PROP_CP_ID]);
  if (g_strcmp0 (before->request_id, now->request_id) != 0)
    g_object_notify_by_pspec (object, properties[PROP_REQUEST_ID]);
  if (g_strcmp0 (before->supply_id, now->supply_id) != 0)
    g_object_notify_by_pspec (object, properties[PROP_SUPPLY_ID]);
  if (g_strcmp0 (before->reason, now->reason) != 0)
    g_object_notify_by_pspec (object, properties[PROP_REASON]);
  if (before->price != now->price)
    g_object_notify_by_pspec (object, properties[PROP_PRICE]);
  if (before->kwh != now->kwh)
    g_object_notify_by_pspec (object, properties[PROP_KWH]);
  if (before->amount != now->amount)
    g_object_notify_by_pspec (object, properties[PROP_AMOUNT]);
  if (before->started_at != now->started_at)
    g_object_notify_by_pspec (object, properties[PROP_STARTED_AT]);
  if (before->ended_at != now->ended_at)
    g_object_notify_by_pspec (object, properties[PROP_ENDED_AT]);
  g_object_notify_by_pspec (object, properties[PROP_STATUS_TEXT]);
  g_object_thaw_notify (object);
}

static gboolean
close_recovery_cb (gpointer user_data)
{
  DriverCore *self = user_data;

  self->close_recovery_id = 0;
  close_bus (self, &self->recovery);
  return G_SOURCE_REMOVE;
}

/* Everything that follows a change of the supply, in the order that makes
 * a crash harmless: state saved, history recorded, then the views told;
 * the caller marks the Kafka message done last. */
static void
follow_changed (DriverCore         *self,
                const DriverFollow *before)
{
  DriverEventKind kind;

  if (self->follow->phase != DRIVER_PHASE_REQUESTED)
    g_clear_handle_id (&self->answer_id, g_source_remove);

  record_history (self);
  save_state (self);
  notify_follow (self, before);
  if (phase_event_kind (self->follow->phase, &kind))
    emit_supply (self, kind, FALSE);

  /* The recovery read has found what it looked for (or a new supply
   * began): the consumer group alone goes on. It closes from an idle
   * callback, never from inside its own message handler. */
  if (self->recovery != NULL && !driver_phase_is_active (self->follow->phase) && self->close_recovery_id == 0)
    self->close_recovery_id = g_idle_add (close_recovery_cb, self);

  file_check (self);
}

/* The final ticket of a supply that ended here with an error: Central
 * ended it at a fault and the engine went on; the history entry (and the
 * supply shown, if it is that one) take the engine's figures. Returns
 * FALSE for anything else, a repeat included. */
static gboolean
settle_history (DriverCore         *self,
                const EvSupplyData *data)
{
  g_autoptr(EvSupplySession) entry = NULL;
  g_autofree char *message = NULL;
  GListModel *history = G_LIST_MODEL (self->history);
  const char *reason = ev_ticket_reason_to_string (data->reason);
  gboolean failed = data->reason == EV_TICKET_REASON_ENGINE_FAULT || data->reason == EV_TICKET_REASON_NOT_PLUGGED;
  DriverFollow *settled;
  DriverEventData event = { 0 };

  if (data->kind != EV_SUPPLY_DATA_TICKET || g_strcmp0 (data->driver_id, self->driver_id) != 0 ||
      !g_hash_table_contains (self->history_ids, data->supply_id))
    return FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (history) && entry == NULL; i++)
    {
      g_autoptr(EvSupplySession) item = g_list_model_get_item (history, i);

      if (g_strcmp0 (ev_supply_session_get_supply_id (item), data->supply_id) == 0)
        entry = g_steal_pointer (&item);
    }
  if (entry == NULL || ev_supply_session_get_phase (entry) != EV_SUPPLY_PHASE_FAILED ||
      (g_strcmp0 (ev_supply_session_get_reason (entry), reason) == 0 &&
       ev_supply_session_get_kwh (entry) == data->kwh))
    return FALSE;

  self->total_kwh += data->kwh - ev_supply_session_get_kwh (entry);
  self->total_amount += data->amount - ev_supply_session_get_amount (entry);
  g_object_freeze_notify (G_OBJECT (entry));
  ev_supply_session_set_phase (entry, failed ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);
  ev_supply_session_set_reason (entry, reason);
  ev_supply_session_set_kwh (entry, data->kwh);
  ev_supply_session_set_amount (entry, data->amount);
  ev_supply_session_set_price (entry, data->price);
  ev_supply_session_set_seq (entry, MAX (data->seq, ev_supply_session_get_seq (entry)));
  if (data->started_at > 0)
    ev_supply_session_set_started_at (entry, data->started_at);
  ev_supply_session_set_ended_at (entry, data->ended_at);
  g_object_thaw_notify (G_OBJECT (entry));
  save_history (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_KWH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_AMOUNT]);

  /* The ticket as the events tell it: that supply, now settled. */
  settled = driver_follow_new (self->driver_id);
  settled->phase = failed ? DRIVER_PHASE_FAILED : DRIVER_PHASE_FINISHED;
  settled->cp_id = g_strdup (data->cp_id);
  settled->supply_id = g_strdup (data->supply_id);
  settled->reason = g_strdup (reason);
  settled->price = data->price;
  settled->kwh = data->kwh;
  settled->amount = data->amount;
  settled->seq = data->seq;
  settled->started_at = data->started_at;
  settled->ended_at = data->ended_at;

  if (g_strcmp0 (self->follow->supply_id, data->supply_id) == 0)
    {
      g_autoptr(DriverFollow) before = driver_follow_copy (self->follow);

      settled->request_id = g_strdup (self->follow->request_id);
      settled->requested_at = self->follow->requested_at;
      driver_follow_free (self->follow);
      self->follow = driver_follow_copy (settled);
      save_state (self);
      notify_follow (self, before);
    }

  message = g_strdup_printf (_("The final ticket of the supply at %s that failed: %.3f kWh, %.2f €"),
                             data->cp_id, data->kwh, data->amount);
  event.supply = settled;
  emit (self, DRIVER_EVENT_TICKET, message, &event);
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
  g_autoptr(EvSupplySession) session = NULL;
  g_autofree char *message = NULL;
  gboolean failed = data->reason == EV_TICKET_REASON_ENGINE_FAULT || data->reason == EV_TICKET_REASON_NOT_PLUGGED;
  DriverFollow *unfollowed;
  DriverEventData event = { 0 };

  if (data->kind != EV_SUPPLY_DATA_TICKET || g_strcmp0 (data->driver_id, self->driver_id) != 0 ||
      g_strcmp0 (data->supply_id, self->follow->supply_id) == 0 ||
      g_hash_table_contains (self->history_ids, data->supply_id) ||
      (data->kwh <= 0.0 && data->amount <= 0.0))
    return FALSE;

  session = ev_supply_session_new (data->supply_id, data->cp_id, self->driver_id);
  ev_supply_session_set_phase (session, failed ? EV_SUPPLY_PHASE_FAILED : EV_SUPPLY_PHASE_FINISHED);
  ev_supply_session_set_reason (session, ev_ticket_reason_to_string (data->reason));
  ev_supply_session_set_kwh (session, data->kwh);
  ev_supply_session_set_amount (session, data->amount);
  ev_supply_session_set_price (session, data->price);
  ev_supply_session_set_seq (session, data->seq);
  ev_supply_session_set_started_at (session, data->started_at);
  ev_supply_session_set_ended_at (session, data->ended_at);
  add_history (self, session);
  save_history (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_KWH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_AMOUNT]);

  unfollowed = driver_follow_new (self->driver_id);
  unfollowed->phase = failed ? DRIVER_PHASE_FAILED : DRIVER_PHASE_FINISHED;
  unfollowed->cp_id = g_strdup (data->cp_id);
  unfollowed->supply_id = g_strdup (data->supply_id);
  unfollowed->reason = g_strdup (ev_ticket_reason_to_string (data->reason));
  unfollowed->price = data->price;
  unfollowed->kwh = data->kwh;
  unfollowed->amount = data->amount;
  unfollowed->seq = data->seq;
  unfollowed->started_at = data->started_at;
  unfollowed->ended_at = data->ended_at;
  message = g_strdup_printf (_("A ticket for a supply at %s whose authorisation never reached you: %.3f kWh, %.2f €"),
                             data->cp_id, data->kwh, data->amount);
  event.supply = unfollowed;
  emit (self, DRIVER_EVENT_TICKET, message, &event);
  driver_follow_free (unfollowed);
  return TRUE;
}

/* Kafka -------------------------------------------------------------------- */

static void
invalid_message (DriverCore   *self,
                 EvBus        *bus,
                 EvBusMessage *msg,
                 const GError *error)
{
  DriverEventData data = { .topic = (char *) ev_bus_message_get_topic (msg), .reason = error->message };

  ev_bus_message_skip (bus, msg, error->message);
  emit (self, DRIVER_EVENT_INVALID_MESSAGE, NULL, &data);
}

/* Keeps the driver's own message about a supply it cannot know yet,
 * while its request waits for an answer. */
static gboolean
waiting_for_answer (DriverCore *self)
{
  return self->follow->phase == DRIVER_PHASE_REQUESTED || self->follow->phase == DRIVER_PHASE_NO_ANSWER;
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

  self->early = g_ptr_array_new_with_free_func (early_free);
  for (guint i = 0; i < early->len; i++)
    {
      Early *item = g_ptr_array_index (early, i);
      g_autoptr(DriverFollow) before = driver_follow_copy (self->follow);
      DriverFollowResult result = item->data != NULL ? driver_follow_on_data (self->follow, item->data)
                                                     : driver_follow_on_error (self->follow, item->error);

      if (result != DRIVER_FOLLOW_IGNORED)
        follow_changed (self, before);
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

static void
supply_message_cb (EvBus        *bus,
                   EvBusMessage *msg,
                   gpointer      user_data)
{
  DriverCore *self = user_data;
  const char *topic = ev_bus_message_get_topic (msg);
  const char *key = ev_bus_message_get_key (msg);
  GBytes *value = ev_bus_message_get_value (msg);
  g_autoptr(DriverFollow) before = NULL;
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
      invalid_message (self, bus, msg, error);
      return;
    }
  if (value != NULL)
    data = g_bytes_get_data (value, &length);
  before = driver_follow_copy (self->follow);

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
      invalid_message (self, bus, msg, error);
      return;
    }
  if (result != DRIVER_FOLLOW_IGNORED)
    follow_changed (self, before);
  if (self->early->len > 0 && !waiting_for_answer (self))
    replay_early (self);
  ev_bus_message_done (bus, msg);
}

static gint
compare_cps (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  return g_strcmp0 (ev_charging_point_get_cp_id ((EvChargingPoint *) a),
                    ev_charging_point_get_cp_id ((EvChargingPoint *) b));
}

/* cp-states is a latest-value-per-key topic read from the beginning: each
 * message replaces what the list says about its CP, in place. */
static void
forget_cp (DriverCore *self,
           const char *cp_id)
{
  EvChargingPoint *cp = g_hash_table_lookup (self->cp_index, cp_id);
  guint position;

  if (cp == NULL)
    return;
  if (g_list_store_find (self->cps, cp, &position))
    g_list_store_remove (self->cps, position);
  g_hash_table_remove (self->cp_index, cp_id);
}

static void
cp_state_cb (EvBus        *bus,
             EvBusMessage *msg,
             gpointer      user_data)
{
  DriverCore *self = user_data;
  GBytes *value = ev_bus_message_get_value (msg);
  g_autoptr(EvCpStateMessage) state = NULL;
  g_autoptr(GError) error = NULL;
  EvChargingPoint *cp;
  EvCpState previous = EV_CP_STATE_DISCONNECTED;
  gboolean known, changed;
  const char *data = "";
  gsize length = 0;

  if (!ev_bus_message_verify (msg, self->central_key, &error))
    {
      invalid_message (self, bus, msg, error);
      return;
    }

  /* A tombstone (docs/protocol.md): Central forgot the CP. */
  if ((value == NULL || g_bytes_get_size (value) == 0) && ev_bus_message_get_key (msg) != NULL)
    {
      forget_cp (self, ev_bus_message_get_key (msg));
      ev_bus_message_done (bus, msg);
      return;
    }

  if (value != NULL)
    data = g_bytes_get_data (value, &length);
  state = ev_cp_state_message_from_json (data, length, &error);
  if (state == NULL)
    {
      invalid_message (self, bus, msg, error);
      return;
    }

  cp = g_hash_table_lookup (self->cp_index, state->cp_id);
  known = cp != NULL;
  if (!known)
    {
      g_autoptr(EvChargingPoint) item = ev_charging_point_new (state->cp_id);

      cp = item;
      g_hash_table_insert (self->cp_index, g_strdup (state->cp_id), item);
      ev_charging_point_set_state (cp, state->state);
      if (state->location != NULL)
        ev_charging_point_set_location (cp, state->location);
      if (state->has_price)
        ev_charging_point_set_price (cp, state->price);
      g_list_store_insert_sorted (self->cps, item, compare_cps, NULL);
      changed = TRUE;
    }
  else
    {
      previous = ev_charging_point_get_state (cp);
      changed = previous != state->state ||
                (state->location != NULL && g_strcmp0 (state->location, ev_charging_point_get_location (cp)) != 0) ||
                (state->has_price && state->price != ev_charging_point_get_price (cp));
      ev_charging_point_set_state (cp, state->state);
      if (state->location != NULL)
        ev_charging_point_set_location (cp, state->location);
      if (state->has_price)
        ev_charging_point_set_price (cp, state->price);
    }

  if (changed)
    {
      DriverEventData event = { .charging_point = cp, .has_previous = known, .previous = previous };

      emit (self, DRIVER_EVENT_CP_STATE, NULL, &event);
    }
  ev_bus_message_done (bus, msg);
}

static void
reachable_cb (EvBus      *bus,
              GParamSpec *pspec,
              gpointer    user_data)
{
  DriverCore *self = user_data;
  gboolean reachable = ev_bus_get_reachable (bus);
  DriverEventData data = { .reachable = reachable };

  if (reachable == self->reachable)
    return;
  self->reachable = reachable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKER_REACHABLE]);
  emit (self, DRIVER_EVENT_BROKER, NULL, &data);
}

static const char * const supply_topics[] = { "supply-res", "supply-data2", "supply-error", NULL };

static EvBus *
open_reader (DriverCore          *self,
             const char * const  *topics,
             GCallback            callback,
             GError             **error)
{
  g_autofree char *client_id = g_strdup_printf ("ev-driver-%s", self->driver_id);
  g_autoptr(EvBus) bus = NULL;

  bus = ev_bus_new_reader (self->bootstrap, client_id, (const char * const *) self->kafka_overrides, error);
  if (bus == NULL || !ev_bus_subscribe (bus, topics, error))
    return NULL;
  g_signal_connect (bus, "message", callback, self);
  return g_steal_pointer (&bus);
}

/* Requests ----------------------------------------------------------------- */

static gboolean
answer_timeout_cb (gpointer user_data)
{
  DriverCore *self = user_data;
  g_autoptr(DriverFollow) before = driver_follow_copy (self->follow);

  self->answer_id = 0;
  if (driver_follow_expire (self->follow))
    follow_changed (self, before);
  return G_SOURCE_REMOVE;
}

static void
arm_answer_timeout (DriverCore *self)
{
  g_clear_handle_id (&self->answer_id, g_source_remove);
  self->answer_id = g_timeout_add (MAX (self->answer_timeout, 0), answer_timeout_cb, self);
}

static char *
send_request (DriverCore  *self,
              const char  *cp_id,
              GError     **error)
{
  g_autoptr(DriverFollow) before = driver_follow_copy (self->follow);
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
  retry = self->follow->phase == DRIVER_PHASE_NO_ANSWER && g_strcmp0 (self->follow->cp_id, cp_id) == 0;
  request_id = retry ? g_strdup (self->follow->request_id) : ev_protocol_new_uuid ();
  if (!driver_follow_request (self->follow, cp_id, request_id, ev_protocol_now_ms (), error))
    return NULL;
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
  save_state (self);
  request = ev_supply_request_new (request_id, cp_id, self->driver_id, EV_SUPPLY_ORIGIN_DRIVER);
  json = driver_core_sign_request (self->signing_key, request, &length, error);
  if (json == NULL || !ev_bus_produce (self->bus, "supply-req", cp_id, json, length, error))
    {
      driver_follow_free (self->follow);
      self->follow = g_steal_pointer (&before);
      save_state (self);
      return NULL;
    }

  arm_answer_timeout (self);
  notify_follow (self, before);
  emit_supply (self, DRIVER_EVENT_REQUEST, retry);
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
static void
emit_file (DriverCore      *self,
           DriverEventKind  kind,
           DriverEventData *data)
{
  data->path = self->file->path;
  data->position = driver_file_run_get_position (self->file);
  data->total = self->file->entries->len;
  emit (self, kind, NULL, data);
}

static void
notify_file (DriverCore *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_PATH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_POSITION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_PAUSED]);
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

  emit_file (self, DRIVER_EVENT_FILE_REQUEST, &data);

  self->file->requested = TRUE;
  request_id = send_request (self, cp_id, &error);
  if (request_id == NULL)
    {
      /* Counted like any other failed supply, and the file goes on. */
      g_autofree char *message = g_strdup_printf (_("Line %u (%s): %s"), entry->line, cp_id, error->message);

      emit_error (self, message);
      file_record_result (self, FALSE);
      save_state (self);
      file_check (self);
    }
  notify_file (self);
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
  emit (self, DRIVER_EVENT_FILE_RESULT, NULL, &data);
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
  save_state (self);
  notify_file (self);
  emit (self, DRIVER_EVENT_FILE_DONE, NULL, &data);
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
static void
file_check (DriverCore *self)
{
  if (self->file == NULL)
    return;

  if (self->file->requested &&
      (driver_phase_is_concluded (self->follow->phase) || self->follow->phase == DRIVER_PHASE_NO_ANSWER ||
       self->follow->phase == DRIVER_PHASE_IDLE))
    {
      file_record_result (self, self->follow->phase != DRIVER_PHASE_IDLE);
      save_state (self);
      notify_file (self);
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
  if (driver_phase_is_active (self->follow->phase) && self->follow->phase != DRIVER_PHASE_NO_ANSWER)
    {
      g_set_error (error, DRIVER_ERROR, DRIVER_ERROR_BUSY,
                   _("A supply at %s is already in progress"), self->follow->cp_id);
      return FALSE;
    }

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

      emit (self, DRIVER_EVENT_FILE_INVALID_LINE, message, &data);
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

    emit_file (self, DRIVER_EVENT_FILE_START, &data);
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
  save_state (self);
  notify_file (self);
  data.requested = self->file->requested;
  emit_file (self, DRIVER_EVENT_FILE_PAUSED, &data);
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
  save_state (self);
  notify_file (self);
  {
    DriverEventData data = { 0 };

    emit_file (self, DRIVER_EVENT_FILE_RESUMED, &data);
  }
  file_check (self);
  return TRUE;
}

/* Lifecycle ---------------------------------------------------------------- */

static void
cps_loaded_cb (DriverCore *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHARGING_POINTS_LOADED]);
}

/* Reads the saved state back. A supply in progress is followed again: the
 * consumer group delivers whatever it had not committed, and a reader
 * from the beginning of the driver's topics finds the outcome even when
 * the group's offsets are already past it. */
static void
load_state (DriverCore *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *supply, *file;

  object = load_json (self, STATE_FILE, &error);
  if (object == NULL)
    {
      if (error != NULL)
        emit_error (self, error->message);
      return;
    }

  supply = json_object_get_object_member (object, "supply");
  if (supply != NULL)
    {
      DriverFollow *follow = driver_follow_from_json (supply, self->driver_id, &error);

      if (follow == NULL)
        {
          emit_error (self, error->message);
          g_clear_error (&error);
        }
      else
        {
          driver_follow_free (self->follow);
          self->follow = follow;
        }
    }

  file = json_object_get_object_member (object, "file");
  if (file != NULL)
    {
      self->file = driver_file_run_from_json (file);
      if (self->file == NULL)
        emit_error (self, _("The saved request file run is damaged; it is not resumed"));
    }
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

/**
 * driver_core_set_central_key:
 * @self: a core, not started
 * @key: (nullable) (transfer full): Central's public key (or its
 *   fingerprint), or %NULL to check nothing
 *
 * What the driver checks Central's messages with: a message not signed by
 * it is skipped as invalid.
 */
void
driver_core_set_central_key (DriverCore  *self,
                             EvVerifyKey *key)
{
  g_return_if_fail (DRIVER_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * driver_core_get_central_key:
 * @self: a core
 *
 * Returns: (nullable) (transfer none): the key Central's messages are
 *   checked with
 */
EvVerifyKey *
driver_core_get_central_key (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->central_key;
}

/**
 * driver_core_start:
 * @self: a core
 * @error: return location for a #GError
 *
 * Reads the saved state and history, connects to Kafka and starts
 * reading cp-states and the driver's topics. Emits `ready` first, then
 * `recovered` and `file-start` (resumed) when there is something to
 * resume.
 *
 * Returns: %TRUE on success
 */
gboolean
driver_core_start (DriverCore  *self,
                   GError     **error)
{
  g_autofree char *group = NULL;

  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (!driver_core_check_driver_id (self->driver_id, error))
    return FALSE;
  if (self->signing_key == NULL)
    {
      g_autofree char *key_path = g_build_filename (self->state_dir, "signing.key", NULL);

      self->signing_key = ev_signing_key_load_or_create (key_path, TRUE, NULL, error);
      if (self->signing_key == NULL)
        return FALSE;
    }

  group = g_strdup_printf ("ev-driver-%s", self->driver_id);
  self->bus = ev_bus_new (self->bootstrap, group, group, (const char * const *) self->kafka_overrides, error);
  if (self->bus == NULL || !ev_bus_check_broker (self->bus, error) ||
      !ev_bus_subscribe (self->bus, supply_topics, error))
    {
      g_clear_object (&self->bus);
      return FALSE;
    }
  g_signal_connect (self->bus, "message", G_CALLBACK (supply_message_cb), self);
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (reachable_cb), self);

  {
    const char * const topics[] = { "cp-states", NULL };

    self->cp_reader = open_reader (self, topics, G_CALLBACK (cp_state_cb), error);
    if (self->cp_reader == NULL)
      {
        ev_bus_close (self->bus);
        g_clear_object (&self->bus);
        return FALSE;
      }
    g_signal_connect_swapped (self->cp_reader, "notify::caught-up", G_CALLBACK (cps_loaded_cb), self);
  }
  self->started = TRUE;

  if (self->central_key == NULL)
    g_message (_("No public key of Central: messages from Central cannot be checked, and anyone on "
                 "the bus can pass for it (give --central-key, or start Central once on this machine)"));
  emit (self, DRIVER_EVENT_READY, NULL, NULL);

  load_history (self);
  load_state (self);
  if (self->follow->phase != DRIVER_PHASE_IDLE || self->file != NULL)
    {
      DriverFollow idle = { .phase = DRIVER_PHASE_IDLE };

      notify_follow (self, &idle);
      notify_file (self);
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->history)) > 0)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_KWH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_AMOUNT]);
    }

  if (driver_phase_is_active (self->follow->phase))
    {
      g_autoptr(GError) local_error = NULL;

      self->recovery = open_reader (self, supply_topics, G_CALLBACK (supply_message_cb), &local_error);
      if (self->recovery == NULL)
        g_message ("Cannot read back the driver's topics: %s", local_error->message);
      if (self->follow->phase == DRIVER_PHASE_REQUESTED)
        arm_answer_timeout (self);
      emit_supply (self, DRIVER_EVENT_RECOVERED, FALSE);
    }

  if (self->file != NULL)
    {
      DriverEventData data = { .resumed = TRUE, .paused = self->file->paused };

      emit_file (self, DRIVER_EVENT_FILE_START, &data);
      file_check (self);
    }
  return TRUE;
}

/**
 * driver_core_get_charging_points_loaded:
 * @self: a core
 *
 * Returns: whether the list holds every CP `cp-states` held when the
 *   driver started (#DriverCore:charging-points-loaded)
 */
gboolean
driver_core_get_charging_points_loaded (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->cp_reader != NULL && ev_bus_get_caught_up (self->cp_reader);
}

static void
close_bus (DriverCore  *self,
           EvBus      **bus)
{
  if (*bus == NULL)
    return;
  g_signal_handlers_disconnect_by_data (*bus, self);
  ev_bus_close (*bus);
  g_clear_object (bus);
}

/**
 * driver_core_shutdown:
 * @self: a core
 *
 * Stops the timers and closes Kafka (flushing what is queued and
 * committing what is done). The saved state stays, so a new core with the
 * same driver id resumes. Safe to call twice.
 */
void
driver_core_shutdown (DriverCore *self)
{
  g_return_if_fail (DRIVER_IS_CORE (self));

  g_clear_handle_id (&self->answer_id, g_source_remove);
  g_clear_handle_id (&self->spacing_id, g_source_remove);
  g_clear_handle_id (&self->close_recovery_id, g_source_remove);
  close_bus (self, &self->recovery);
  close_bus (self, &self->cp_reader);
  close_bus (self, &self->bus);
  self->started = FALSE;
}

/* Views -------------------------------------------------------------------- */

const char *
driver_core_get_driver_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->driver_id;
}

const char *
driver_core_get_bootstrap (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->bootstrap;
}

const char *
driver_core_get_state_dir (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->state_dir;
}

/**
 * driver_core_get_answer_timeout:
 * @self: a core
 *
 * Returns: how long Central's answer is awaited, in ms
 */
gint64
driver_core_get_answer_timeout (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->answer_timeout;
}

gboolean
driver_core_get_broker_reachable (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->reachable;
}

DriverPhase
driver_core_get_phase (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), DRIVER_PHASE_IDLE);
  return self->follow->phase;
}

const char *
driver_core_get_cp_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->cp_id;
}

const char *
driver_core_get_request_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->request_id;
}

const char *
driver_core_get_supply_id (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->supply_id;
}

const char *
driver_core_get_reason (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow->reason;
}

double
driver_core_get_price (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->price;
}

double
driver_core_get_kwh (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->kwh;
}

double
driver_core_get_amount (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->follow->amount;
}

gint64
driver_core_get_started_at (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->follow->started_at;
}

gint64
driver_core_get_ended_at (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->follow->ended_at;
}

/**
 * driver_core_get_supply:
 * @self: a core
 *
 * Returns: (transfer none): the supply followed now, as its machine has
 *   it; read-only, valid until the core's next change
 */
const DriverFollow *
driver_core_get_supply (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->follow;
}

char *
driver_core_dup_status_text (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return driver_follow_describe (self->follow);
}

/**
 * driver_core_get_charging_points:
 * @self: a core
 *
 * Returns: (transfer none): every CP seen on cp-states, sorted by id, as
 *   #EvChargingPoint items updated in place
 */
GListModel *
driver_core_get_charging_points (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->cps);
}

/**
 * driver_core_get_history:
 * @self: a core
 *
 * Returns: (transfer none): the driver's concluded supplies (tickets and
 *   supplies ended by an error), oldest first, as #EvSupplySession items
 */
GListModel *
driver_core_get_history (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

double
driver_core_get_total_kwh (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->total_kwh;
}

double
driver_core_get_total_amount (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0.0);
  return self->total_amount;
}

gboolean
driver_core_get_file_running (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->file != NULL;
}

const char *
driver_core_get_file_path (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), NULL);
  return self->file != NULL ? self->file->path : NULL;
}

guint
driver_core_get_file_position (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->file != NULL ? self->file->index : 0;
}

guint
driver_core_get_file_total (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), 0);
  return self->file != NULL ? self->file->entries->len : 0;
}

gboolean
driver_core_get_file_paused (DriverCore *self)
{
  g_return_val_if_fail (DRIVER_IS_CORE (self), FALSE);
  return self->file != NULL && self->file->paused;
}

/* GObject ------------------------------------------------------------------ */

static void
driver_core_constructed (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  G_OBJECT_CLASS (driver_core_parent_class)->constructed (object);

  self->follow = driver_follow_new (self->driver_id);
  if (self->state_dir == NULL && self->driver_id != NULL)
    self->state_dir = driver_core_default_state_dir (self->driver_id);
}

static void
driver_core_dispose (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  driver_core_shutdown (self);
  if (self->cps != NULL)
    g_list_store_remove_all (self->cps);
  g_hash_table_remove_all (self->cp_index);

  G_OBJECT_CLASS (driver_core_parent_class)->dispose (object);
}

static void
driver_core_finalize (GObject *object)
{
  DriverCore *self = DRIVER_CORE (object);

  g_free (self->driver_id);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->state_dir);
  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  g_clear_pointer (&self->central_key, ev_verify_key_free);
  driver_follow_free (self->follow);
  g_ptr_array_unref (self->early);
  g_queue_clear (&self->abandoned_order);
  g_hash_table_unref (self->abandoned);
  g_clear_object (&self->cps);
  g_hash_table_unref (self->cp_index);
  g_clear_object (&self->history);
  g_hash_table_unref (self->history_ids);
  driver_file_run_free (self->file);

  G_OBJECT_CLASS (driver_core_parent_class)->finalize (object);
}

static void
driver_core_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DriverCore *self = DRIVER_CORE (object);

  switch (prop_id)
    {
    case PROP_DRIVER_ID: g_value_set_string (value, self->driver_id); break;
    case PROP_BOOTSTRAP: g_value_set_string (value, self->bootstrap); break;
    case PROP_KAFKA_OVERRIDES: g_value_set_boxed (value, self->kafka_overrides); break;
    case PROP_STATE_DIR: g_value_set_string (value, self->state_dir); break;
    case PROP_ANSWER_TIMEOUT: g_value_set_int64 (value, self->answer_timeout); break;
    case PROP_FILE_SPACING: g_value_set_int64 (value, self->file_spacing); break;
    case PROP_BROKER_REACHABLE: g_value_set_boolean (value, self->reachable); break;
    case PROP_PHASE: g_value_set_enum (value, self->follow->phase); break;
    case PROP_CP_ID: g_value_set_string (value, self->follow->cp_id); break;
    case PROP_REQUEST_ID: g_value_set_string (value, self->follow->request_id); break;
    case PROP_SUPPLY_ID: g_value_set_string (value, self->follow->supply_id); break;
    case PROP_REASON: g_value_set_string (value, self->follow->reason); break;
    case PROP_PRICE: g_value_set_double (value, self->follow->price); break;
    case PROP_KWH: g_value_set_double (value, self->follow->kwh); break;
    case PROP_AMOUNT: g_value_set_double (value, self->follow->amount); break;
    case PROP_STARTED_AT: g_value_set_int64 (value, self->follow->started_at); break;
    case PROP_ENDED_AT: g_value_set_int64 (value, self->follow->ended_at); break;
    case PROP_STATUS_TEXT: g_value_take_string (value, driver_follow_describe (self->follow)); break;
    case PROP_CHARGING_POINTS: g_value_set_object (value, self->cps); break;
    case PROP_CHARGING_POINTS_LOADED: g_value_set_boolean (value, driver_core_get_charging_points_loaded (self)); break;
    case PROP_HISTORY: g_value_set_object (value, self->history); break;
    case PROP_TOTAL_KWH: g_value_set_double (value, self->total_kwh); break;
    case PROP_TOTAL_AMOUNT: g_value_set_double (value, self->total_amount); break;
    case PROP_FILE_RUNNING: g_value_set_boolean (value, self->file != NULL); break;
    case PROP_FILE_PATH: g_value_set_string (value, driver_core_get_file_path (self)); break;
    case PROP_FILE_POSITION: g_value_set_uint (value, driver_core_get_file_position (self)); break;
    case PROP_FILE_TOTAL: g_value_set_uint (value, driver_core_get_file_total (self)); break;
    case PROP_FILE_PAUSED: g_value_set_boolean (value, driver_core_get_file_paused (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_core_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DriverCore *self = DRIVER_CORE (object);

  switch (prop_id)
    {
    case PROP_DRIVER_ID: self->driver_id = g_value_dup_string (value); break;
    case PROP_BOOTSTRAP: self->bootstrap = g_value_dup_string (value); break;
    case PROP_KAFKA_OVERRIDES: self->kafka_overrides = g_value_dup_boxed (value); break;
    case PROP_STATE_DIR: self->state_dir = g_value_dup_string (value); break;
    case PROP_ANSWER_TIMEOUT: self->answer_timeout = g_value_get_int64 (value); break;
    case PROP_FILE_SPACING: self->file_spacing = g_value_get_int64 (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
driver_core_class_init (DriverCoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = driver_core_constructed;
  object_class->dispose = driver_core_dispose;
  object_class->finalize = driver_core_finalize;
  object_class->get_property = driver_core_get_property;
  object_class->set_property = driver_core_set_property;

  properties[PROP_DRIVER_ID] = g_param_spec_string ("driver-id", NULL, NULL, NULL, construct);
  properties[PROP_BOOTSTRAP] = g_param_spec_string ("bootstrap", NULL, NULL, NULL, construct);
  properties[PROP_KAFKA_OVERRIDES] = g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, construct);
  /* Default: driver_core_default_state_dir(). */
  properties[PROP_STATE_DIR] = g_param_spec_string ("state-dir", NULL, NULL, NULL, construct);
  properties[PROP_ANSWER_TIMEOUT] =
    g_param_spec_int64 ("answer-timeout", NULL, NULL, 0, G_MAXINT32, DRIVER_DEFAULT_ANSWER_TIMEOUT_MS, construct);
  properties[PROP_FILE_SPACING] =
    g_param_spec_int64 ("file-spacing", NULL, NULL, 0, G_MAXINT32, DRIVER_DEFAULT_FILE_SPACING_MS, construct);
  properties[PROP_BROKER_REACHABLE] = g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL, DRIVER_TYPE_PHASE, DRIVER_PHASE_IDLE, readable);
  properties[PROP_CP_ID] = g_param_spec_string ("cp-id", NULL, NULL, NULL, readable);
  properties[PROP_REQUEST_ID] = g_param_spec_string ("request-id", NULL, NULL, NULL, readable);
  properties[PROP_SUPPLY_ID] = g_param_spec_string ("supply-id", NULL, NULL, NULL, readable);
  properties[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, readable);
  properties[PROP_PRICE] = g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  properties[PROP_KWH] = g_param_spec_double ("kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  properties[PROP_AMOUNT] = g_param_spec_double ("amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  properties[PROP_STARTED_AT] = g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  properties[PROP_ENDED_AT] = g_param_spec_int64 ("ended-at", NULL, NULL, 0, G_MAXINT64, 0, readable);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, readable);
  properties[PROP_CHARGING_POINTS] =
    g_param_spec_object ("charging-points", NULL, NULL, G_TYPE_LIST_MODEL, readable);
  /* Every CP `cp-states` held at start is in the list (its reader read
   * it to its end once); until then the list is still loading. */
  properties[PROP_CHARGING_POINTS_LOADED] =
    g_param_spec_boolean ("charging-points-loaded", NULL, NULL, FALSE, readable);
  properties[PROP_HISTORY] = g_param_spec_object ("history", NULL, NULL, G_TYPE_LIST_MODEL, readable);
  properties[PROP_TOTAL_KWH] = g_param_spec_double ("total-kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  properties[PROP_TOTAL_AMOUNT] =
    g_param_spec_double ("total-amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, readable);
  properties[PROP_FILE_RUNNING] = g_param_spec_boolean ("file-running", NULL, NULL, FALSE, readable);
  properties[PROP_FILE_PATH] = g_param_spec_string ("file-path", NULL, NULL, NULL, readable);
  properties[PROP_FILE_POSITION] = g_param_spec_uint ("file-position", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_FILE_TOTAL] = g_param_spec_uint ("file-total", NULL, NULL, 0, G_MAXUINT, 0, readable);
  properties[PROP_FILE_PAUSED] = g_param_spec_boolean ("file-paused", NULL, NULL, FALSE, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DriverCore::event:
   * @self: the core
   * @event: a #DriverEvent
   *
   * Everything that happens, as it happens, for the views: the headless
   * front end prints each one (docs/cli.md, ev-driver), the window shows
   * news and request file results.
   */
  signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), DRIVER_TYPE_EVENT);
}

static void
driver_core_init (DriverCore *self)
{
  self->answer_timeout = DRIVER_DEFAULT_ANSWER_TIMEOUT_MS;
  self->file_spacing = DRIVER_DEFAULT_FILE_SPACING_MS;
  self->early = g_ptr_array_new_with_free_func (early_free);
  self->cps = g_list_store_new (EV_TYPE_CHARGING_POINT);
  self->cp_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->history = g_list_store_new (EV_TYPE_SUPPLY_SESSION);
  self->history_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->abandoned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->abandoned_order);
}

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "ev-bus.h"
#include "ev-enum-types.h"
#include "ev-link.h"
#include "ev-messages.h"
#include "ev-protocol.h"
#include "station-directives.h"
#include "station-engine.h"
#include "station-journal.h"
#include "station-util.h"

#define DEFAULT_LOCATION "Unknown location"

struct _StationEngine
{
  GObject parent_instance;

  /* Construct-only. */
  char *listen;
  char *bootstrap;
  char **kafka_overrides;
  char *location;
  char *state_dir;
  char *pairing_secret_file;   /* NULL: <state_dir>/pairing.secret */
  StationMachineConfig config;

  char *pairing_secret;        /* from start on */

  StationMachine *machine;
  GSocketService *service;
  GPtrArray *links;            /* EvLink, one per monitor connection */
  EvBus *bus;                  /* producer: supply-data, supply-req */
  EvBus *consumer;             /* central-directives, supply-res; from hello */
  EvVerifyKey *central_key;    /* checks what Central sends; NULL: nothing checked */
  EvCpKey cp_key;              /* signs what the engine publishes, from its monitor */
  gboolean has_cp_key;
  gboolean said_no_key;        /* progress held back for want of a key was said */
  GHashTable *requests;        /* request ids asked here, awaiting supply-res */
  StationFinished finished;   /* supply ids this engine has ended */
  StationJournal *journal;     /* from hello on: what survives a crash */
  GHashTable *in_flight;       /* supply ids whose ticket awaits its delivery report */
  gboolean journal_failing;
  guint timer_id;

  gboolean started;
  guint port;
  double price;
  gboolean central_reachable;
  gboolean broker_reachable;
  gboolean monitor_connected;

  /* What the properties last announced, to notify changes only. */
  EvCpState state;
  gboolean ko;
  char *supply_id;
  char *driver_id;
  double supply_price;
  double kwh;
};

G_DEFINE_FINAL_TYPE (StationEngine, station_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_LOCATION,
  PROP_POWER_KW,
  PROP_PLUG_TIMEOUT,
  PROP_PROGRESS_INTERVAL,
  PROP_AUTO_PLUG,
  PROP_AUTO_UNPLUG_AFTER,
  PROP_AUTO_UNPLUG_KWH,
  PROP_MONITOR_GRACE,
  PROP_STATE_DIR,
  PROP_PAIRING_SECRET_FILE,
  PROP_STARTED,
  PROP_PORT,
  PROP_CP_ID,
  PROP_STATE,
  PROP_KO,
  PROP_PRICE,
  PROP_SUPPLY_ID,
  PROP_DRIVER_ID,
  PROP_SUPPLY_PRICE,
  PROP_KWH,
  PROP_AMOUNT,
  PROP_MONITOR_CONNECTED,
  PROP_CENTRAL_REACHABLE,
  PROP_BROKER_REACHABLE,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sync_machine (StationEngine *self);
static void update_monitor_connected (StationEngine *self);

static void
emit (StationEngine          *self,
      StationEventKind        kind,
      const StationEventData *data)
{
  ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (kind, NULL, data));
}

static void
emit_error (StationEngine *self,
            const char    *message)
{
  g_message ("%s", message);
  ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_ERROR, message, NULL));
}

static void
set_boolean (StationEngine    *self,
             gboolean         *field,
             gboolean          value,
             int               prop,
             StationEventKind  kind)
{
  StationEventData data = { .up = !!value };

  if (*field == data.up)
    return;

  *field = data.up;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
  emit (self, kind, &data);
}

/* Kafka ------------------------------------------------------------------- */

/* @json with the MAC of the CP's key (docs/protocol.md, "Charging-point
 * keys"), or %NULL with @error set when the engine has no key yet. */
static char *
authenticate (StationEngine  *self,
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
  g_autofree char *signed_json = authenticate (self, topic, cp_id, json, length, &length, &error);

  if (signed_json == NULL)
    {
      if (!self->said_no_key)
        emit_error (self, error->message);
      self->said_no_key = TRUE;
      return;
    }
  if (!ev_bus_produce (self->bus, topic, cp_id, signed_json, length, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not publish on %s: %s"), topic, error->message);
      emit_error (self, message);
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
      emit (self, STATION_EVENT_PROGRESS, &event);
      return;
    }

  /* A start repeated for a supply that already ended here (a restarted
   * Central answering its backlog again) must not run it a second time. */
  station_finished_add (&self->finished, data->supply_id);

  if (message == NULL && data->reason == EV_TICKET_REASON_MONITOR_LOST)
    message = monitor_lost = g_strdup_printf (_("The monitor has been gone for %.1f s: the supply ended with %.3f kWh"),
                                              self->config.monitor_grace_ms / 1000.0, data->kwh);
  ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_TICKET, message, &event));
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
      emit_error (self, message);
    }
  self->journal_failing = TRUE;
}

typedef struct
{
  StationEngine *engine;
  char *supply_id;
} Delivery;

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

    json = authenticate (self, "supply-data", ticket->cp_id, plain, length, &length, &error);
    if (json == NULL)
      {
        emit_error (self, error->message);
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
      emit_error (self, message);
      return;
    }
  g_hash_table_add (self->in_flight, g_strdup (ticket->supply_id));
}

/* Tickets whose delivery failed (the broker away too long), once the
 * broker is back. */
static void
publish_undelivered (StationEngine *self)
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
      emit_error (self, message);
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
  sync_machine (self);
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

static void
notify_if_changed_string (StationEngine *self,
                          char         **field,
                          const char    *value,
                          int            prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Publishes what the machine produced, announces what changed and sets
 * the timer for its next deadline. Called after every input. */
static void
sync_machine (StationEngine *self)
{
  g_autoptr(GPtrArray) output = station_machine_take_output (self->machine);
  EvCpState state = station_machine_get_state (self->machine);
  gboolean ko = station_machine_get_ko (self->machine);
  double kwh = station_machine_get_kwh (self->machine);
  double supply_price = station_machine_get_supply_price (self->machine);

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
        {
          /* The live figures first, so that a view shows them with the message. */
          self->kwh = data->kwh;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KWH]);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AMOUNT]);
        }
      emit_supply_data (self, data, NULL);
    }
  if (self->journal != NULL)
    journal_follow_machine (self);

  if (ko != self->ko)
    {
      StationEventData data = { .up = !ko };

      self->ko = ko;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KO]);
      emit (self, STATION_EVENT_HEALTH, &data);
    }

  notify_if_changed_string (self, &self->supply_id, station_machine_get_supply_id (self->machine), PROP_SUPPLY_ID);
  notify_if_changed_string (self, &self->driver_id, station_machine_get_driver_id (self->machine), PROP_DRIVER_ID);
  if (supply_price != self->supply_price)
    {
      self->supply_price = supply_price;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUPPLY_PRICE]);
    }
  if (kwh != self->kwh)
    {
      self->kwh = kwh;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KWH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AMOUNT]);
    }

  if (state != self->state)
    {
      StationEventData changed = { .state = state, .previous = self->state };

      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      emit (self, STATION_EVENT_STATE, &changed);

      if (state == EV_CP_STATE_SUPPLYING)
        {
          StationEventData started = {
            .supply_id = self->supply_id,
            .driver_id = self->driver_id,
            .started_at = station_machine_get_started_at (self->machine),
          };

          emit (self, STATION_EVENT_STARTED, &started);
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
  emit (self, STATION_EVENT_DIRECTIVE, &data);

  if (applied && directive->action == EV_DIRECTIVE_ACTION_START)
    {
      data.ignored = NULL;
      emit (self, STATION_EVENT_AUTHORIZED, &data);
    }
  sync_machine (self);
}

/* A supply asked here, waiting for Central's answer at most
 * %STATION_ENGINE_ANSWER_TIMEOUT_MS: then the station is told there is
 * none (`no-answer`) rather than left waiting for ever. */
typedef struct
{
  StationEngine *engine;
  EvSupplyRequest *request;
  guint timeout_id;
} Pending;

static void
pending_free (gpointer data)
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
  emit (self, STATION_EVENT_NO_ANSWER, &event);
  pending_free (pending);
  return G_SOURCE_REMOVE;
}

static Pending *
pending_new (StationEngine         *self,
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
  emit (self, STATION_EVENT_DENIED, &data);
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

      emit (self, STATION_EVENT_INVALID_MESSAGE, &data);
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

      emit (self, STATION_EVENT_INVALID_MESSAGE, &data);
      ev_bus_message_skip (bus, msg, error->message);
      return;
    }

  if (ev_directive_applies_to (directive, station_machine_get_cp_id (self->machine)))
    apply_directive (self, directive);
  ev_bus_message_done (bus, msg);
}

static void
delivery_failed_cb (EvBus        *bus,
                    const char   *topic,
                    const char   *key,
                    const GError *error,
                    gpointer      user_data)
{
  StationEngine *self = user_data;
  g_autofree char *message = g_strdup_printf (_("A message on %s was not delivered: %s"), topic, error->message);

  emit_error (self, message);
}

static void
broker_reachable_cb (EvBus      *bus,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  StationEngine *self = user_data;

  set_boolean (self, &self->broker_reachable, ev_bus_get_reachable (bus), PROP_BROKER_REACHABLE,
               STATION_EVENT_BROKER);
  if (self->broker_reachable)
    publish_undelivered (self);
}

/* The engine learns its CP id from its monitor; only then can it pick its
 * directives. The consumer group is per CP, so a restarted engine resumes
 * where the last one stopped (and ignores what has expired meanwhile). */
static gboolean
bind_cp (StationEngine  *self,
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CP_ID]);

  emit (self, STATION_EVENT_BOUND, &data);
  recover_journal (self, cp_id);
  return TRUE;
}

/* The monitor link ------------------------------------------------------- */

/* How far a monitor link got with the pairing (docs/protocol.md,
 * "The engine port"). */
typedef struct
{
  char *challenge;             /* the last one given, for the next hello */
  char *cp_id;                 /* a proved hello for it was answered ok */
  gboolean reported;           /* a not-paired event was emitted */
} LinkPairing;

static void
link_pairing_free (gpointer data)
{
  LinkPairing *pairing = data;

  g_free (pairing->challenge);
  g_free (pairing->cp_id);
  g_free (pairing);
}

static LinkPairing *
link_pairing (EvLink *link)
{
  return g_object_get_data (G_OBJECT (link), "station-pairing");
}

static gboolean
link_is_paired (EvLink *link)
{
  LinkPairing *pairing = link_pairing (link);

  return pairing != NULL && pairing->cp_id != NULL;
}

/* %NULL when @request may go on: a `hello` proving the pairing for its
 * CP id, or anything on a link whose proved `hello` was answered ok. A
 * `hello` that proves nothing is answered with a challenge, anything
 * else unpaired is refused, and the engine hears of a stranger once per
 * link. */
static EvLinkResponse *
check_pairing (StationEngine       *self,
               LinkPairing         *pairing,
               const EvLinkRequest *request)
{
  g_autofree char *challenge = NULL;
  g_autoptr(GError) error = NULL;
  gboolean stranger;

  if (request->type != EV_LINK_REQUEST_HELLO && pairing->cp_id != NULL)
    return NULL;
  if (request->type == EV_LINK_REQUEST_HELLO && request->proof == NULL &&
      g_strcmp0 (request->cp_id, pairing->cp_id) == 0)
    return NULL;
  if (request->type == EV_LINK_REQUEST_HELLO && pairing->challenge != NULL &&
      ev_link_pairing_check (self->pairing_secret, pairing->challenge, request))
    {
      g_clear_pointer (&pairing->challenge, g_free);
      return NULL;
    }

  /* A bare hello is how a paired monitor begins; a wrong proof, or an
   * order before the pairing, is a stranger's. */
  stranger = request->type != EV_LINK_REQUEST_HELLO || request->proof != NULL;
  if (stranger && !pairing->reported)
    {
      g_autofree char *message = NULL;
      StationEventData data = {
        .reason = (char *) ev_link_request_type_to_string (request->type),
        .cp_id = request->type == EV_LINK_REQUEST_HELLO ? request->cp_id : NULL,
      };

      pairing->reported = TRUE;
      message = request->type == EV_LINK_REQUEST_HELLO
        ? g_strdup_printf (_("Refused a monitor that is not paired with this engine (hello as %s)"), request->cp_id)
        : g_strdup_printf (_("Refused a “%s” request from a monitor that is not paired with this engine"),
                           data.reason);
      g_message ("%s", message);
      ev_event_emit (self, signals[SIGNAL_EVENT], station_event_new (STATION_EVENT_NOT_PAIRED, message, &data));
    }

  g_clear_pointer (&pairing->challenge, g_free);
  if (request->type != EV_LINK_REQUEST_HELLO)
    return ev_link_response_new_not_paired (NULL);

  /* A fresh challenge for each attempt: a proof seen once is worthless. */
  challenge = ev_protocol_new_nonce (&error);
  if (challenge == NULL)
    {
      emit_error (self, error->message);
      return ev_link_response_new_not_paired (NULL);
    }
  pairing->challenge = g_strdup (challenge);
  return ev_link_response_new_not_paired (challenge);
}

/* The key the monitor handed over (validated by the decoder): the
 * engine signs with it from now on, and the tickets that waited for a
 * key go out. */
static void
set_cp_key (StationEngine *self,
            const char    *text)
{
  StationEventData data = { 0 };
  EvCpKey key;

  if (!ev_cp_key_from_base64 (text, &key, NULL) ||
      (self->has_cp_key && ev_cp_key_equal (&key, &self->cp_key)))
    return;

  self->cp_key = key;
  self->has_cp_key = TRUE;
  self->said_no_key = FALSE;
  if (self->journal != NULL)
    data.count = station_journal_get_tickets (self->journal)->len - g_hash_table_size (self->in_flight);
  emit (self, STATION_EVENT_CP_KEY, &data);
  publish_undelivered (self);
}

static EvLinkResponse *
handle_request (StationEngine       *self,
                LinkPairing         *pairing,
                const EvLinkRequest *request)
{
  const char *cp_id = station_machine_get_cp_id (self->machine);
  EvCpState state = station_machine_get_state (self->machine);

  /* Central's requests are not an engine's to answer, paired or not. */
  if (request->type != EV_LINK_REQUEST_AUTH && request->type != EV_LINK_REQUEST_REGISTER &&
      request->type != EV_LINK_REQUEST_STATUS)
    {
      EvLinkResponse *refusal = check_pairing (self, pairing, request);

      if (refusal != NULL)
        return refusal;
    }

  switch (request->type)
    {
    case EV_LINK_REQUEST_HELLO:
      if (cp_id == NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!bind_cp (self, request->cp_id, &error))
            {
              g_autofree char *message = g_strdup_printf (_("Cannot read directives for %s: %s"),
                                                          request->cp_id, error->message);
              emit_error (self, message);
              return ev_link_response_new_error (EV_LINK_REASON_INVALID_REQUEST);
            }
        }
      else if (!g_str_equal (cp_id, request->cp_id))
        return ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
      if (g_strcmp0 (pairing->cp_id, request->cp_id) != 0)
        {
          g_free (pairing->cp_id);
          pairing->cp_id = g_strdup (request->cp_id);
          update_monitor_connected (self);
        }
      return ev_link_response_new_hello_ok (self->location, state);

    case EV_LINK_REQUEST_HEALTH:
      return ev_link_response_new_health (!station_machine_get_ko (self->machine), state);

    case EV_LINK_REQUEST_CENTRAL:
      set_boolean (self, &self->central_reachable, request->reachable, PROP_CENTRAL_REACHABLE,
                   STATION_EVENT_CENTRAL);
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_PRICE:
      if (self->price != request->price)
        {
          StationEventData data = { .has_price = TRUE, .price = request->price };

          self->price = request->price;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRICE]);
          emit (self, STATION_EVENT_PRICE, &data);
        }
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_KEY:
      if (cp_id == NULL || !g_str_equal (cp_id, request->cp_id))
        return ev_link_response_new_denied (EV_LINK_REASON_BOUND_TO_OTHER_CP);
      set_cp_key (self, request->key);
      return ev_link_response_new_ok ();

    case EV_LINK_REQUEST_AUTH:
    case EV_LINK_REQUEST_REGISTER:
    case EV_LINK_REQUEST_STATUS:
    default:
      /* Central's requests: not something an engine answers. */
      return ev_link_response_new_unknown_type ();
    }
}

static void
link_request_cb (EvLink     *link,
                 const char *text,
                 gpointer    user_data)
{
  StationEngine *self = user_data;
  g_autoptr(EvLinkRequest) request = NULL;
  g_autoptr(EvLinkResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  EvLinkReason reason = EV_LINK_REASON_NONE;

  request = ev_link_request_parse (text, -1, &reason, &error);
  if (request == NULL)
    {
      g_debug ("Bad request from the monitor: %s", error->message);
      response = ev_link_response_new_for_reason (reason);
    }
  else
    response = handle_request (self, link_pairing (link), request);

  json = ev_link_response_to_json (response, NULL);
  g_clear_error (&error);
  if (!ev_link_respond (link, json, &error))
    g_debug ("Could not answer the monitor: %s", error->message);
}

static void
update_monitor_connected (StationEngine *self)
{
  gboolean connected = FALSE;

  /* A stranger's link keeps no supply going. */
  for (guint i = 0; i < self->links->len; i++)
    {
      EvLink *link = g_ptr_array_index (self->links, i);

      connected |= ev_link_is_established (link) && link_is_paired (link);
    }

  set_boolean (self, &self->monitor_connected, connected, PROP_MONITOR_CONNECTED, STATION_EVENT_MONITOR);
  station_machine_set_monitor (self->machine, connected, ev_protocol_now_ms ());
  sync_machine (self);
}

static void
link_established_cb (EvLink     *link,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  update_monitor_connected (user_data);
}

static void
link_closed_cb (EvLink       *link,
                const GError *reason,
                gpointer      user_data)
{
  StationEngine *self = user_data;

  g_debug ("Monitor link closed: %s", reason != NULL ? reason->message : "");
  g_signal_handlers_disconnect_by_data (link, self);
  g_ptr_array_remove_fast (self->links, link);
  update_monitor_connected (self);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  StationEngine *self = user_data;
  EvLink *link = ev_link_new_server (connection);

  g_object_set_data_full (G_OBJECT (link), "station-pairing", g_new0 (LinkPairing, 1), link_pairing_free);
  g_signal_connect (link, "request", G_CALLBACK (link_request_cb), self);
  g_signal_connect (link, "closed", G_CALLBACK (link_closed_cb), self);
  g_signal_connect (link, "notify::established", G_CALLBACK (link_established_cb), self);
  g_ptr_array_add (self->links, link);
  return TRUE;
}

/* GObject ------------------------------------------------------------------ */

static void
close_links (StationEngine *self)
{
  g_autoptr(GPtrArray) links = g_steal_pointer (&self->links);

  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < links->len; i++)
    {
      EvLink *link = g_ptr_array_index (links, i);

      g_signal_handlers_disconnect_by_data (link, self);
      ev_link_close (link);
    }
}

/**
 * station_engine_shutdown:
 * @self: an engine
 *
 * Closes the monitor links and the listener, flushes Kafka. Idempotent.
 */
void
station_engine_shutdown (StationEngine *self)
{
  g_return_if_fail (STATION_IS_ENGINE (self));

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->links != NULL)
    close_links (self);
  if (self->consumer != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->consumer, self);
      ev_bus_close (self->consumer);
      g_clear_object (&self->consumer);
    }
  if (self->bus != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->bus, self);
      ev_bus_close (self->bus);
      g_clear_object (&self->bus);
    }
  if (self->started)
    {
      self->started = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
    }
}

static void
station_engine_constructed (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  G_OBJECT_CLASS (station_engine_parent_class)->constructed (object);

  if (self->listen == NULL)
    self->listen = g_strdup (STATION_ENGINE_DEFAULT_LISTEN);
  if (self->location == NULL)
    self->location = g_strdup (DEFAULT_LOCATION);
  if (self->state_dir == NULL)
    self->state_dir = station_engine_default_state_dir ();
  self->machine = station_machine_new (&self->config);
}

static void
station_engine_dispose (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  station_engine_shutdown (self);
  g_clear_pointer (&self->links, g_ptr_array_unref);

  G_OBJECT_CLASS (station_engine_parent_class)->dispose (object);
}

static void
station_engine_finalize (GObject *object)
{
  StationEngine *self = STATION_ENGINE (object);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  g_free (self->listen);
  g_free (self->bootstrap);
  g_strfreev (self->kafka_overrides);
  g_free (self->location);
  g_free (self->state_dir);
  g_free (self->pairing_secret_file);
  if (self->pairing_secret != NULL)
    explicit_bzero (self->pairing_secret, strlen (self->pairing_secret));
  g_free (self->pairing_secret);
  g_free (self->supply_id);
  g_free (self->driver_id);
  g_clear_pointer (&self->machine, station_machine_free);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->journal, station_journal_free);
  g_clear_pointer (&self->in_flight, g_hash_table_unref);
  station_finished_clear (&self->finished);

  G_OBJECT_CLASS (station_engine_parent_class)->finalize (object);
}

static void
station_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  StationEngine *self = STATION_ENGINE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_value_set_string (value, self->listen);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_value_set_boxed (value, self->kafka_overrides);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_POWER_KW:
      g_value_set_double (value, self->config.power_kw);
      break;
    case PROP_PLUG_TIMEOUT:
      g_value_set_int64 (value, self->config.plug_timeout_ms);
      break;
    case PROP_PROGRESS_INTERVAL:
      g_value_set_int64 (value, self->config.progress_interval_ms);
      break;
    case PROP_AUTO_PLUG:
      g_value_set_int64 (value, self->config.auto_plug_ms);
      break;
    case PROP_AUTO_UNPLUG_AFTER:
      g_value_set_int64 (value, self->config.auto_unplug_ms);
      break;
    case PROP_AUTO_UNPLUG_KWH:
      g_value_set_double (value, self->config.auto_unplug_kwh);
      break;
    case PROP_MONITOR_GRACE:
      g_value_set_int64 (value, self->config.monitor_grace_ms);
      break;
    case PROP_STATE_DIR:
      g_value_set_string (value, self->state_dir);
      break;
    case PROP_PAIRING_SECRET_FILE:
      g_value_set_string (value, self->pairing_secret_file);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_CP_ID:
      g_value_set_string (value, station_engine_get_cp_id (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_KO:
      g_value_set_boolean (value, self->ko);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_SUPPLY_ID:
      g_value_set_string (value, self->supply_id);
      break;
    case PROP_DRIVER_ID:
      g_value_set_string (value, self->driver_id);
      break;
    case PROP_SUPPLY_PRICE:
      g_value_set_double (value, self->supply_price);
      break;
    case PROP_KWH:
      g_value_set_double (value, self->kwh);
      break;
    case PROP_AMOUNT:
      g_value_set_double (value, station_engine_get_amount (self));
      break;
    case PROP_MONITOR_CONNECTED:
      g_value_set_boolean (value, self->monitor_connected);
      break;
    case PROP_CENTRAL_REACHABLE:
      g_value_set_boolean (value, self->central_reachable);
      break;
    case PROP_BROKER_REACHABLE:
      g_value_set_boolean (value, self->broker_reachable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
station_engine_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  StationEngine *self = STATION_ENGINE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      self->listen = g_value_dup_string (value);
      break;
    case PROP_BOOTSTRAP:
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_KAFKA_OVERRIDES:
      self->kafka_overrides = g_value_dup_boxed (value);
      break;
    case PROP_LOCATION:
      self->location = g_value_dup_string (value);
      break;
    case PROP_POWER_KW:
      self->config.power_kw = g_value_get_double (value);
      break;
    case PROP_PLUG_TIMEOUT:
      self->config.plug_timeout_ms = g_value_get_int64 (value);
      break;
    case PROP_PROGRESS_INTERVAL:
      self->config.progress_interval_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_PLUG:
      self->config.auto_plug_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_UNPLUG_AFTER:
      self->config.auto_unplug_ms = g_value_get_int64 (value);
      break;
    case PROP_AUTO_UNPLUG_KWH:
      self->config.auto_unplug_kwh = g_value_get_double (value);
      break;
    case PROP_MONITOR_GRACE:
      self->config.monitor_grace_ms = g_value_get_int64 (value);
      break;
    case PROP_STATE_DIR:
      self->state_dir = g_value_dup_string (value);
      break;
    case PROP_PAIRING_SECRET_FILE:
      self->pairing_secret_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define CONSTRUCT_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)
#define READ_FLAGS (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS)

static void
station_engine_class_init (StationEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = station_engine_constructed;
  object_class->dispose = station_engine_dispose;
  object_class->finalize = station_engine_finalize;
  object_class->get_property = station_engine_get_property;
  object_class->set_property = station_engine_set_property;

  properties[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_KAFKA_OVERRIDES] =
    g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, CONSTRUCT_FLAGS);
  properties[PROP_LOCATION] =
    g_param_spec_string ("location", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_POWER_KW] =
    g_param_spec_double ("power-kw", NULL, NULL, 0.001, 10000.0, STATION_DEFAULT_POWER_KW, CONSTRUCT_FLAGS);
  properties[PROP_PLUG_TIMEOUT] =
    g_param_spec_int64 ("plug-timeout", NULL, NULL, 0, G_MAXINT32,
                        STATION_DEFAULT_PLUG_TIMEOUT_MS, CONSTRUCT_FLAGS);
  properties[PROP_PROGRESS_INTERVAL] =
    g_param_spec_int64 ("progress-interval", NULL, NULL, 1, G_MAXINT32,
                        STATION_DEFAULT_PROGRESS_INTERVAL_MS, CONSTRUCT_FLAGS);
  properties[PROP_AUTO_PLUG] =
    g_param_spec_int64 ("auto-plug", NULL, NULL, -1, G_MAXINT32, -1, CONSTRUCT_FLAGS);
  properties[PROP_AUTO_UNPLUG_AFTER] =
    g_param_spec_int64 ("auto-unplug-after", NULL, NULL, -1, G_MAXINT32, -1, CONSTRUCT_FLAGS);
  properties[PROP_AUTO_UNPLUG_KWH] =
    g_param_spec_double ("auto-unplug-kwh", NULL, NULL, 0.0, EV_PROTOCOL_KWH_MAX, 0.0, CONSTRUCT_FLAGS);
  properties[PROP_MONITOR_GRACE] =
    g_param_spec_int64 ("monitor-grace", NULL, NULL, 0, G_MAXINT32,
                        STATION_DEFAULT_MONITOR_GRACE_MS, CONSTRUCT_FLAGS);
  properties[PROP_STATE_DIR] =
    g_param_spec_string ("state-dir", NULL, NULL, NULL, CONSTRUCT_FLAGS);
  properties[PROP_PAIRING_SECRET_FILE] =
    g_param_spec_string ("pairing-secret-file", NULL, NULL, NULL, CONSTRUCT_FLAGS);

  properties[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, READ_FLAGS);
  properties[PROP_CP_ID] =
    g_param_spec_string ("cp-id", NULL, NULL, NULL, READ_FLAGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, EV_TYPE_CP_STATE, EV_CP_STATE_ACTIVE, READ_FLAGS);
  properties[PROP_KO] =
    g_param_spec_boolean ("ko", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_PRICE] =
    g_param_spec_double ("price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  properties[PROP_SUPPLY_ID] =
    g_param_spec_string ("supply-id", NULL, NULL, NULL, READ_FLAGS);
  properties[PROP_DRIVER_ID] =
    g_param_spec_string ("driver-id", NULL, NULL, NULL, READ_FLAGS);
  properties[PROP_SUPPLY_PRICE] =
    g_param_spec_double ("supply-price", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  properties[PROP_KWH] =
    g_param_spec_double ("kwh", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  properties[PROP_AMOUNT] =
    g_param_spec_double ("amount", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, READ_FLAGS);
  properties[PROP_MONITOR_CONNECTED] =
    g_param_spec_boolean ("monitor-connected", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_CENTRAL_REACHABLE] =
    g_param_spec_boolean ("central-reachable", NULL, NULL, FALSE, READ_FLAGS);
  properties[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, READ_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * StationEngine::event:
   * @self: the engine
   * @event: a #StationEvent
   *
   * Everything that happens, for the views.
   */
  signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), STATION_TYPE_EVENT);
}

static void
station_engine_init (StationEngine *self)
{
  station_machine_config_init (&self->config);
  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pending_free);
  self->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  station_finished_init (&self->finished, STATION_FINISHED_REMEMBERED);
  self->state = EV_CP_STATE_ACTIVE;
}

/* Public API ----------------------------------------------------------------- */

/**
 * station_engine_set_central_key:
 * @self: an engine, not started
 * @key: (nullable) (transfer full): Central's public key (or its
 *   fingerprint), or %NULL to check nothing
 *
 * What the engine checks directives with: one not signed by Central is
 * skipped as invalid.
 */
void
station_engine_set_central_key (StationEngine *self,
                                EvVerifyKey   *key)
{
  g_return_if_fail (STATION_IS_ENGINE (self));
  g_return_if_fail (!self->started);

  g_clear_pointer (&self->central_key, ev_verify_key_free);
  self->central_key = key;
}

/**
 * station_engine_get_central_key:
 * @self: an engine
 *
 * Returns: (nullable) (transfer none): the key directives are checked with
 */
EvVerifyKey *
station_engine_get_central_key (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->central_key;
}

/**
 * station_engine_start:
 * @self: an engine
 * @error: return location for a #GError
 *
 * Listens for the monitor and connects to Kafka, then emits `ready`.
 *
 * Returns: %TRUE on success
 */
gboolean
station_engine_start (StationEngine  *self,
                      GError        **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autofree char *client_id = NULL;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID, _("No Kafka bootstrap servers given"));
      return FALSE;
    }

  address = station_parse_address (self->listen, error);
  if (address == NULL)
    return FALSE;

  /* Off this machine, a monitor cannot read our default secret: the
   * operator must hand both the same one. */
  if (self->pairing_secret_file == NULL &&
      !g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address))))
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_INVALID,
                   _("Listening on %s, which is not a loopback address, needs a pairing secret "
                     "shared with the monitor (--pairing-secret-file)"), self->listen);
      return FALSE;
    }
  {
    g_autofree char *path = self->pairing_secret_file != NULL
      ? g_strdup (self->pairing_secret_file)
      : g_build_filename (self->state_dir, "pairing.secret", NULL);

    g_clear_pointer (&self->pairing_secret, g_free);
    self->pairing_secret = station_pairing_secret_ensure (path, error);
    if (self->pairing_secret == NULL)
      return FALSE;
  }

  client_id = g_strdup_printf ("ev-engine-%d", (int) getpid ());
  self->bus = ev_bus_new (self->bootstrap, NULL, client_id,
                          (const char * const *) self->kafka_overrides, error);
  if (self->bus == NULL)
    return FALSE;
  if (!ev_bus_check_broker (self->bus, error))
    {
      station_engine_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (broker_reachable_cb), self);
  g_signal_connect (self->bus, "delivery-failed", G_CALLBACK (delivery_failed_cb), self);

  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    {
      g_prefix_error (error, _("Cannot listen on %s: "), self->listen);
      station_engine_shutdown (self);
      return FALSE;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->started = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);

  if (self->central_key == NULL)
    g_message (_("No public key of Central: directives cannot be checked, and anyone on the bus can "
                 "stop this charging point (give --central-key, or start Central once on this machine)"));
  emit (self, STATION_EVENT_READY, NULL);
  return TRUE;
}

gboolean
station_engine_plug (StationEngine  *self,
                     GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);

  ok = station_machine_plug (self->machine, ev_protocol_now_ms (), error);
  sync_machine (self);
  return ok;
}

gboolean
station_engine_unplug (StationEngine  *self,
                       GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);

  ok = station_machine_unplug (self->machine, ev_protocol_now_ms (), error);
  sync_machine (self);
  return ok;
}

/**
 * station_engine_set_ko:
 * @self: an engine
 * @ko: %TRUE to simulate a fault, %FALSE to clear it
 *
 * A fault answers `health` with `ko` and ends any supply at once (ticket
 * with the energy so far, reason `engine-fault`).
 */
void
station_engine_set_ko (StationEngine *self,
                       gboolean       ko)
{
  g_return_if_fail (STATION_IS_ENGINE (self));

  station_machine_set_ko (self->machine, ko, ev_protocol_now_ms ());
  sync_machine (self);
}

/**
 * station_engine_request_supply:
 * @self: a started engine bound to a CP
 * @driver_id: (nullable): the driver typed at the station, or %NULL for
 *   `station:<cp_id>`
 * @error: return location for a #GError
 *
 * Publishes a `supply-req` with origin `station`. Central answers with a
 * `start` directive, or a denial (the `denied` event).
 *
 * Returns: (transfer full) (nullable): the request id
 */
char *
station_engine_request_supply (StationEngine  *self,
                               const char     *driver_id,
                               GError        **error)
{
  const char *cp_id;
  g_autofree char *station_driver = NULL;
  g_autofree char *request_id = NULL;
  g_autoptr(EvSupplyRequest) request = NULL;
  g_autofree char *json = NULL;
  gsize length = 0;
  StationEventData data = { 0 };

  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);

  cp_id = station_machine_get_cp_id (self->machine);
  if (!self->started || cp_id == NULL)
    {
      g_set_error (error, STATION_ERROR, STATION_ERROR_NOT_BOUND,
                   _("The engine does not know its charging point id yet: start its monitor"));
      return NULL;
    }
  if (driver_id == NULL)
    driver_id = station_driver = ev_protocol_make_station_driver_id (cp_id);
  else if (!ev_protocol_validate_driver_id (driver_id, NULL, error))
    return NULL;

  request_id = ev_protocol_new_uuid ();
  request = ev_supply_request_new (request_id, cp_id, driver_id, EV_SUPPLY_ORIGIN_STATION);
  {
    g_autofree char *plain = ev_supply_request_to_json (request, &length);

    json = authenticate (self, "supply-req", cp_id, plain, length, &length, error);
  }
  if (json == NULL || !ev_bus_produce (self->bus, "supply-req", cp_id, json, length, error))
    return NULL;

  g_hash_table_insert (self->requests, g_strdup (request->request_id), pending_new (self, request));
  data.request = request;
  emit (self, STATION_EVENT_REQUEST, &data);

  return g_steal_pointer (&request_id);
}

gboolean
station_engine_get_started (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->started;
}

guint
station_engine_get_port (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0);
  return self->port;
}

const char *
station_engine_get_listen (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->listen;
}

const char *
station_engine_get_bootstrap (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->bootstrap;
}

const char *
station_engine_get_location (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->location;
}

const char *
station_engine_get_state_dir (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->state_dir;
}

/**
 * station_engine_default_state_dir:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/evcharging/engines`, where
 *   engines keep their journals unless told otherwise
 */
char *
station_engine_default_state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "evcharging", "engines", NULL);
}

double
station_engine_get_power_kw (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->config.power_kw;
}

const char *
station_engine_get_cp_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return station_machine_get_cp_id (self->machine);
}

EvCpState
station_engine_get_state (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), EV_CP_STATE_ACTIVE);
  return self->state;
}

gboolean
station_engine_get_ko (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->ko;
}

double
station_engine_get_price (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->price;
}

const char *
station_engine_get_supply_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->supply_id;
}

const char *
station_engine_get_driver_id (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), NULL);
  return self->driver_id;
}

double
station_engine_get_supply_price (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->supply_price;
}

double
station_engine_get_kwh (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->kwh;
}

double
station_engine_get_amount (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), 0.0);
  return self->kwh * self->supply_price;
}

gboolean
station_engine_get_monitor_connected (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->monitor_connected;
}

gboolean
station_engine_get_central_reachable (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->central_reachable;
}

gboolean
station_engine_get_broker_reachable (StationEngine *self)
{
  g_return_val_if_fail (STATION_IS_ENGINE (self), FALSE);
  return self->broker_reachable;
}

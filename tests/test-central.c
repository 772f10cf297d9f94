#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "central-core.h"
#include "central-headless.h"
#include "central-peers.h"
#include "ev-store.h"
#include "test-utils.h"

/* Central's core driven in-process against test peers: monitors over real
 * sockets, drivers and engines over a private ev-broker. The contract is
 * docs/protocol.md and the core's behaviour contract; every test uses its
 * own CP ids, driver ids, database and consumer group. */

#define WAIT_MS PEER_WAIT_MS
#define PRICE 0.42
#define HEARTBEAT_MS 300

static PeerBroker *broker;

typedef struct
{
  char *name;
  JsonObject *fields;
} Event;

static void
event_free (Event *event)
{
  g_free (event->name);
  json_object_unref (event->fields);
  g_free (event);
}

typedef struct
{
  char *tmpdir;
  char *db_path;
  char *group;
  guint silence_ms;
  guint authorized_ms;
  guint auth_timeout_ms;
  guint max_unauthenticated;
  guint auth_backoff_ms;
  gboolean limit_loopback;
  gboolean require_approval;  /* new CPs await approval (else auto-approve) */
  gboolean no_key_overlap;    /* a replaced CP key is good for old tickets only */
  double price_max;           /* > PRICE: new CPs draw their price up to it */
  EvSigningKey *signing_key;  /* when set: Central signs with a copy of it */
  CentralCore *core;
  GPtrArray *events;     /* Event *, across restarts */
  guint mark;            /* wait_event() looks from here */
} Fixture;

static const char *
bootstrap (void)
{
  return peer_broker_get_bootstrap (broker);
}

/* The events as the headless front end prints them (docs/cli.md). */
static void
event_cb (CentralCore  *core,
          CentralEvent *typed,
          gpointer      user_data)
{
  Fixture *f = user_data;
  JsonObject *fields = central_headless_event_to_json (typed);
  Event *event;

  if (fields == NULL)
    return;

  event = g_new0 (Event, 1);
  event->name = g_strdup (central_event_get_name (typed));
  event->fields = fields;
  g_ptr_array_add (f->events, event);
}

static void
core_start (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->core = g_object_new (CENTRAL_TYPE_CORE,
                          "listen", "127.0.0.1:0",
                          "bootstrap", bootstrap (),
                          "db-path", f->db_path,
                          "group", f->group,
                          "default-price", PRICE,
                          "default-price-max", f->price_max,
                          "silence-timeout", f->silence_ms,
                          "authorized-timeout", f->authorized_ms,
                          "auth-timeout", f->auth_timeout_ms,
                          "max-unauthenticated", f->max_unauthenticated,
                          "auth-backoff", f->auth_backoff_ms,
                          "limit-loopback", f->limit_loopback,
                          "auto-approve", !f->require_approval,
                          "cp-key-overlap", f->no_key_overlap ? 0 : 600000,
                          NULL);
  g_signal_connect (f->core, "event", G_CALLBACK (event_cb), f);
  if (f->signing_key != NULL)
    {
      g_autofree char *secret = ev_signing_key_to_base64 (f->signing_key);

      central_core_set_signing_key (f->core, ev_signing_key_new_from_base64 (secret, NULL));
    }
  g_assert_true (central_core_start (f->core, &error));
  g_assert_no_error (error);
  g_assert_true (central_core_get_started (f->core));
  g_assert_cmpuint (central_core_get_port (f->core), !=, 0);
}

static void
core_stop (Fixture *f)
{
  central_core_shutdown (f->core);
  g_signal_handlers_disconnect_by_data (f->core, f);
  g_assert_finalize_object (g_steal_pointer (&f->core));
}

static guint
port (Fixture *f)
{
  return central_core_get_port (f->core);
}

static void
fixture_init (Fixture *f,
              guint    silence_ms,
              guint    authorized_ms)
{
  g_autofree char *path = g_strdup (g_test_get_path ());
  g_autofree char *uuid = g_uuid_string_random ();

  g_strdelimit (path, "/", '-');
  f->tmpdir = ev_test_make_tmpdir ();
  f->db_path = g_build_filename (f->tmpdir, "central.db", NULL);
  f->group = g_strdup_printf ("ev-central%s-%.8s", path, uuid);
  f->silence_ms = silence_ms;
  f->authorized_ms = authorized_ms;
  if (f->auth_timeout_ms == 0)
    f->auth_timeout_ms = 10000;
  if (f->max_unauthenticated == 0)
    f->max_unauthenticated = 16;
  if (f->auth_backoff_ms == 0)
    f->auth_backoff_ms = 1000;
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  core_start (f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  fixture_init (f, 3000, 75000);
}

/* A short silence timeout, for the test of silence itself. */
static void
fixture_setup_quick_silence (Fixture       *f,
                             gconstpointer  data)
{
  fixture_init (f, 1000, 75000);
}

/* A short life for authorisations nobody takes up. */
static void
fixture_setup_quick_expiry (Fixture       *f,
                            gconstpointer  data)
{
  fixture_init (f, 3000, 1500);
}

/* Small link limits: 2 s to authenticate, 2 unauthenticated links per
 * address (loopback included, as every test peer is there), and a CP id that backs off does so for a minute. */
static void
fixture_setup_limits (Fixture       *f,
                      gconstpointer  data)
{
  f->auth_timeout_ms = 2000;
  f->max_unauthenticated = 2;
  f->auth_backoff_ms = 60000;
  f->limit_loopback = TRUE;
  fixture_init (f, 3000, 75000);
}

/* Two unauthenticated links per address (loopback included), and time
 * enough to authenticate that only that limit closes them. */
static void
fixture_setup_address_limit (Fixture       *f,
                             gconstpointer  data)
{
  f->auth_timeout_ms = 120000;
  f->max_unauthenticated = 2;
  f->limit_loopback = TRUE;
  fixture_init (f, 3000, 75000);
}

/* Central signs what it publishes. */
static void
fixture_setup_signed (Fixture       *f,
                      gconstpointer  data)
{
  f->signing_key = ev_signing_key_generate (NULL);
  fixture_init (f, 3000, 75000);
}

/* Per-address limits on loopback too, with a 1 s first back-off. */
static void
fixture_setup_peer_limits (Fixture       *f,
                           gconstpointer  data)
{
  f->limit_loopback = TRUE;
  fixture_init (f, 3000, 75000);
}

/* New CPs await the operator's approval, as by default. */
static void
fixture_setup_no_key_overlap (Fixture       *f,
                              gconstpointer  data)
{
  f->no_key_overlap = TRUE;
  fixture_init (f, 3000, 75000);
}

static void
fixture_setup_approval (Fixture       *f,
                        gconstpointer  data)
{
  f->require_approval = TRUE;
  fixture_init (f, 3000, 75000);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->signing_key, ev_signing_key_free);
  if (f->core != NULL)
    core_stop (f);
  g_ptr_array_unref (f->events);
  ev_test_rm_rf (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->db_path);
  g_free (f->group);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

/* Whether @event is @name with every string member of the NULL-ended
 * (member, value) pairs in @args. */
static gboolean
event_matches (Event      *event,
               const char *name,
               va_list     args)
{
  const char *member;

  if (!g_str_equal (event->name, name))
    return FALSE;

  while ((member = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      if (!json_object_has_member (event->fields, member) ||
          json_node_get_value_type (json_object_get_member (event->fields, member)) != G_TYPE_STRING ||
          g_strcmp0 (json_object_get_string_member (event->fields, member), value) != 0)
        return FALSE;
    }

  return TRUE;
}

/* The first event from @from on that matches, or -1. */
static int
find_event_va (Fixture    *f,
               guint       from,
               const char *name,
               va_list     args)
{
  for (guint i = from; i < f->events->len; i++)
    {
      va_list copy;
      gboolean match;

      va_copy (copy, args);
      match = event_matches (g_ptr_array_index (f->events, i), name, copy);
      va_end (copy);
      if (match)
        return i;
    }

  return -1;
}

static guint
count_events (Fixture    *f,
              const char *name,
              ...)
{
  guint n = 0;
  int i = -1;
  va_list args;

  va_start (args, name);
  while ((i = find_event_va (f, i + 1, name, args)) >= 0)
    n++;
  va_end (args);

  return n;
}

/* Events from here on are the ones wait_event() looks at. */
static void
mark_events (Fixture *f)
{
  f->mark = f->events->len;
}

/* Waits for @n events since the mark with @name and the given string
 * members (NULL-ended pairs); returns the fields of the @n-th. */
static JsonObject *
wait_events_va (Fixture    *f,
                guint       n,
                const char *name,
                va_list     args)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  guint seen = 0;
  int i = (int) f->mark - 1;

  while (seen < n)
    {
      int next = find_event_va (f, i + 1, name, args);

      if (next >= 0)
        {
          i = next;
          seen++;
          continue;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for the event “%s” (%u of %u seen)", name, seen, n);
      g_main_context_iteration (NULL, TRUE);
    }

  return ((Event *) g_ptr_array_index (f->events, i))->fields;
}

static JsonObject *
wait_events (Fixture    *f,
             guint       n,
             const char *name,
             ...)
{
  JsonObject *fields;
  va_list args;

  va_start (args, name);
  fields = wait_events_va (f, n, name, args);
  va_end (args);

  return fields;
}

static JsonObject *
wait_event (Fixture    *f,
            const char *name,
            ...)
{
  JsonObject *fields;
  va_list args;

  va_start (args, name);
  fields = wait_events_va (f, 1, name, args);
  va_end (args);

  return fields;
}

static double
number_member (JsonObject *fields,
               const char *member)
{
  g_assert_true (json_object_has_member (fields, member));
  return json_object_get_double_member (fields, member);
}

/* Whether the system log has an entry for @event about @cp_id. */
static gboolean
log_has (Fixture    *f,
         const char *event,
         const char *cp_id)
{
  GListModel *log = central_core_get_log (f->core);

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(CentralEvent) entry = g_list_model_get_item (log, i);

      if (g_strcmp0 (central_event_get_name (entry), event) == 0 &&
          g_strcmp0 (central_event_get_cp_id (entry), cp_id) == 0)
        {
          g_assert_nonnull (central_event_get_message (entry));
          return TRUE;
        }
    }

  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Charging points                                                     */

typedef struct
{
  Fixture *f;
  const char *cp_id;
  EvCpState state;
} StateWait;

static gboolean
cp_in_state (gpointer user_data)
{
  StateWait *wait = user_data;
  EvChargingPoint *cp = central_core_lookup_cp (wait->f->core, wait->cp_id);

  return cp != NULL && ev_charging_point_get_state (cp) == wait->state;
}

static void
wait_cp_state (Fixture    *f,
               const char *cp_id,
               EvCpState   state)
{
  StateWait wait = { f, cp_id, state };
  g_autofree char *what = g_strdup_printf ("%s to be %s", cp_id, ev_cp_state_to_string (state));

  ev_test_wait_until (NULL, cp_in_state, &wait, WAIT_MS, what);
}

static gboolean
cp_idle (gpointer user_data)
{
  StateWait *wait = user_data;
  EvChargingPoint *cp = central_core_lookup_cp (wait->f->core, wait->cp_id);
  const char *supply_id = ev_charging_point_get_supply_id (cp);

  return (supply_id == NULL || supply_id[0] == '\0') && ev_charging_point_get_driver_id (cp) == NULL;
}

/* Waits for the CP item's supply fields to be cleared. */
static void
wait_cp_idle (Fixture    *f,
              const char *cp_id)
{
  StateWait wait = { f, cp_id, 0 };

  ev_test_wait_until (NULL, cp_idle, &wait, WAIT_MS, "the CP's supply fields to clear");
}

static EvCpState
cp_state (Fixture    *f,
          const char *cp_id)
{
  EvChargingPoint *cp = central_core_lookup_cp (f->core, cp_id);

  g_assert_nonnull (cp);
  return ev_charging_point_get_state (cp);
}

static void
assert_response (EvLinkResponse *response,
                 EvLinkStatus    status,
                 EvLinkReason    reason)
{
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, ev_link_status_to_string (status));
  g_assert_cmpint (response->reason, ==, reason);
  ev_link_response_free (response);
}

/* Registers @cp_id on a new link, reports ACTIVE and keeps reporting it;
 * returns the monitor and, in @token, the token Central issued. */
static PeerMonitor *
connect_new_cp (Fixture     *f,
                const char  *cp_id,
                char       **token)
{
  PeerMonitor *monitor = peer_monitor_connect (port (f));
  g_autofree char *location = g_strdup_printf ("Test site %s", cp_id);
  EvLinkResponse *response;

  response = peer_monitor_register (monitor, cp_id, location);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_REGISTERED);
  g_assert_nonnull (response->token);
  if (token != NULL)
    *token = g_strdup (response->token);
  ev_link_response_free (response);

  assert_response (peer_monitor_status (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  peer_monitor_heartbeat (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  wait_cp_state (f, cp_id, EV_CP_STATE_ACTIVE);

  return monitor;
}

/* Closes @monitor's link to @cp_id and waits until Central knows, so that
 * another link may authenticate as the CP (test_stolen_token()). */
static void
close_link_of (Fixture     *f,
               PeerMonitor *monitor,
               const char  *cp_id)
{
  mark_events (f);
  peer_monitor_close (monitor);
  wait_event (f, "cp-disconnected", "cp_id", cp_id, NULL);
}

/* Authenticates a known CP on a new link and keeps it reporting @state. */
static PeerMonitor *
connect_known_cp (Fixture    *f,
                  const char *cp_id,
                  const char *token,
                  EvCpState   state)
{
  PeerMonitor *monitor = peer_monitor_connect (port (f));
  EvLinkResponse *response = peer_monitor_auth (monitor, cp_id, token);

  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_AUTHORIZED);
  ev_link_response_free (response);
  /* Central takes no request for the CP before its first status. */
  assert_response (peer_monitor_status (monitor, state, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  peer_monitor_heartbeat (monitor, state, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);

  return monitor;
}

/* A connected CP with its engine, and a driver: the cast of most tests. */
typedef struct
{
  PeerMonitor *monitor;
  PeerEngine *engine;
  PeerDriver *driver;
  char *token;
} Rig;

static Rig
rig_new (Fixture    *f,
         const char *cp_id,
         const char *driver_id)
{
  Rig rig = { NULL, NULL, NULL, NULL };

  rig.monitor = connect_new_cp (f, cp_id, &rig.token);
  rig.engine = peer_engine_new (bootstrap (), cp_id);
  rig.driver = peer_driver_new (bootstrap (), driver_id);
  return rig;
}

static void
rig_clear (Rig *rig)
{
  g_clear_pointer (&rig->driver, peer_driver_free);
  g_clear_pointer (&rig->engine, peer_engine_free);
  g_clear_pointer (&rig->monitor, peer_monitor_free);
  g_clear_pointer (&rig->token, g_free);
}

/* ------------------------------------------------------------------ */
/* Supplies                                                            */

/* Asks for a supply that must be authorised; checks the response against
 * the engine's start directive, and returns that directive. */
static const EvDirective *
start_supply (PeerDriver *driver,
              PeerEngine *engine,
              const char *cp_id)
{
  guint nth = peer_engine_count_directives (engine, EV_DIRECTIVE_ACTION_START) + 1;
  g_autofree char *request_id = peer_driver_request (driver, cp_id);
  const EvSupplyResponse *response = peer_driver_wait_response (driver, request_id);
  const EvDirective *start;

  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  g_assert_cmpstr (response->cp_id, ==, cp_id);
  g_assert_nonnull (response->supply_id);
  g_assert_true (g_uuid_string_is_valid (response->supply_id));

  start = peer_engine_wait_directive (engine, EV_DIRECTIVE_ACTION_START, nth);
  g_assert_cmpstr (start->target, ==, cp_id);
  g_assert_cmpstr (start->supply_id, ==, response->supply_id);
  g_assert_cmpstr (start->driver_id, ==, peer_driver_get_id (driver));
  g_assert_true (start->has_price);
  g_assert_cmpfloat_with_epsilon (start->price, response->price, 1e-9);

  return start;
}

static EvSupplyData *
supply_data_new (PeerEngine        *engine,
                 const EvDirective *start,
                 EvSupplyDataKind   kind,
                 guint              seq,
                 double             kwh,
                 EvTicketReason     reason)
{
  EvSupplyData *data = peer_engine_data_new (engine, start, kind, seq, kwh);

  if (kind == EV_SUPPLY_DATA_TICKET)
    data->reason = reason;
  return data;
}

static void
publish (PeerEngine        *engine,
         const EvDirective *start,
         EvSupplyDataKind   kind,
         guint              seq,
         double             kwh,
         EvTicketReason     reason)
{
  g_autoptr(EvSupplyData) data = supply_data_new (engine, start, kind, seq, kwh, reason);

  peer_engine_publish (engine, data);
}

/* Publishes a correct progress message and waits for the driver to get
 * it back from Central. */
static const EvSupplyData *
progress (PeerEngine        *engine,
          PeerDriver        *driver,
          const EvDirective *start,
          guint              seq,
          double             kwh)
{
  publish (engine, start, EV_SUPPLY_DATA_PROGRESS, seq, kwh, EV_TICKET_REASON_NONE);
  return peer_driver_wait_data (driver, start->supply_id, EV_SUPPLY_DATA_PROGRESS, seq);
}

/* Ordering barrier: everything published on `supply-data` for the CP
 * before (one key, one partition) has been processed by Central, and
 * everything Central relayed to the driver before has arrived, once a new
 * supply's progress made the round trip. Needs the CP idle and the driver
 * free. */
static const EvDirective *
barrier (PeerEngine *engine,
         PeerDriver *driver,
         const char *cp_id)
{
  const EvDirective *start = start_supply (driver, engine, cp_id);

  progress (engine, driver, start, 1, 0.1);
  return start;
}

static EvSupply *
db_lookup (Fixture    *f,
           const char *supply_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStore) store = ev_store_open (f->db_path, &error);
  EvSupply *session;

  g_assert_no_error (error);
  session = ev_store_lookup_session (store, supply_id, &error);
  g_assert_no_error (error);

  return session;
}

typedef gboolean (*SessionCheck) (EvSupply *session,
                                   gconstpointer    wanted);

/* Polls the database (Central commits in batches) until the supply
 * passes @check; returns it. */
static EvSupply *
wait_db (Fixture      *f,
         const char   *supply_id,
         SessionCheck  check,
         gconstpointer wanted,
         const char   *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      EvSupply *session = db_lookup (f, supply_id);

      if (session != NULL && check (session, wanted))
        return session;
      g_clear_object (&session);
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for supply %s to %s in the database", supply_id, what);
      ev_test_sleep_spinning (NULL, 50);
    }
}

static gboolean
has_phase (EvSupply *session,
           gconstpointer    wanted)
{
  return ev_supply_get_phase (session) == *(const EvSupplyPhase *) wanted;
}

static gboolean
has_kwh (EvSupply *session,
         gconstpointer    wanted)
{
  return fabs (ev_supply_get_kwh (session) - *(const double *) wanted) < 1e-9;
}

static EvSupply *
wait_db_phase (Fixture       *f,
               const char    *supply_id,
               EvSupplyPhase  phase)
{
  return wait_db (f, supply_id, has_phase, &phase, "reach its phase");
}

static EvSupply *
wait_db_kwh (Fixture    *f,
             const char *supply_id,
             double      kwh)
{
  return wait_db (f, supply_id, has_kwh, &kwh, "store its energy");
}

/* Produce requests the broker refuses while a test keeps Central's
 * messages from it: at a retry every 100 ms or so, hours. */
#define OUTBOX_PRODUCE_ERRORS 100000

/* The rows of Central's outbox, as committed. */
static GPtrArray *
db_outbox (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EvStore) store = ev_store_open (f->db_path, &error);
  GPtrArray *entries;

  g_assert_no_error (error);
  entries = ev_store_outbox_load (store, &error);
  g_assert_no_error (error);

  return entries;
}

/* The one row of Central's outbox, which must go on @topic to @key: its
 * payload. */
static GBytes *
db_outbox_single (Fixture    *f,
                  const char *topic,
                  const char *key)
{
  g_autoptr(GPtrArray) outbox = db_outbox (f);
  EvOutboxEntry *entry;

  g_assert_cmpuint (outbox->len, ==, 1);
  entry = g_ptr_array_index (outbox, 0);
  g_assert_cmpstr (entry->topic, ==, topic);
  g_assert_cmpstr (entry->key, ==, key);
  return g_bytes_ref (entry->payload);
}

static void
assert_outbox_empty (Fixture *f)
{
  g_autoptr(GPtrArray) outbox = db_outbox (f);

  g_assert_cmpuint (outbox->len, ==, 0);
}

/* Polls the database (Central commits in batches) until the outbox is
 * empty. */
static void
wait_outbox_empty (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      g_autoptr(GPtrArray) outbox = db_outbox (f);

      if (outbox->len == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for the outbox to empty (%u rows left)", outbox->len);
      ev_test_sleep_spinning (NULL, 50);
    }
}

/* The position of @supply_id in a model of EvSupply, or -1. */
static int
model_find (GListModel *model,
            const char *supply_id)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EvSupply) session = g_list_model_get_item (model, i);

      if (g_strcmp0 (ev_supply_get_supply_id (session), supply_id) == 0)
        return i;
    }

  return -1;
}

static void
assert_money (double kwh,
              double amount)
{
  g_assert_cmpfloat (fabs (amount - kwh * PRICE), <=, 0.01);
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */

static void
test_ready (Fixture       *f,
            gconstpointer  data)
{
  JsonObject *ready = wait_event (f, "ready", NULL);
  JsonObject *event;

  g_assert_cmpstr (json_object_get_string_member (ready, "db"), ==, f->db_path);
  g_assert_cmpstr (json_object_get_string_member (ready, "kafka"), ==, bootstrap ());
  g_assert_cmpint (json_object_get_int_member (ready, "port"), ==, port (f));
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, 0);
  g_assert_cmpuint (central_core_get_n_links (f->core), ==, 0);
  g_assert_true (json_object_has_member (ready, "listen"));

  /* The broker is found reachable (the bus says so within seconds). */
  event = wait_event (f, "broker", NULL);
  g_assert_true (json_object_get_boolean_member (event, "reachable"));
  g_assert_true (central_core_get_broker_reachable (f->core));

  /* Shutting down is idempotent. */
  central_core_shutdown (f->core);
  central_core_shutdown (f->core);
  g_assert_false (central_core_get_started (f->core));
}

/* ------------------------------------------------------------------ */
/* Monitor links                                                       */

static void
test_register_then_auth (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *first, *second;
  EvLinkResponse *response;
  JsonObject *event;
  EvChargingPoint *cp;

  first = peer_monitor_connect (port (f));
  response = peer_monitor_register (first, "CP-REG", "Alicante, Av. Maisonnave 12");
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_REGISTERED);
  g_assert_true (response->has_price);
  g_assert_cmpfloat_with_epsilon (response->price, PRICE, 1e-9);
  g_assert_nonnull (response->token);
  g_assert_cmpstr (response->token, !=, "");
  token = g_strdup (response->token);
  ev_link_response_free (response);

  event = wait_event (f, "cp-registered", "cp_id", "CP-REG",
                      "location", "Alicante, Av. Maisonnave 12", NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "price"), PRICE, 1e-9);
  /* Connected, but not counted on before its first status. */
  g_assert_cmpint (cp_state (f, "CP-REG"), ==, EV_CP_STATE_DISCONNECTED);
  assert_response (peer_monitor_status (first, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-REG", EV_CP_STATE_ACTIVE);
  cp = central_core_lookup_cp (f->core, "CP-REG");
  g_assert_cmpstr (ev_charging_point_get_location (cp), ==, "Alicante, Av. Maisonnave 12");
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, 1);
  g_assert_true (log_has (f, "cp-registered", "CP-REG"));

  /* The token works on a later link once the first is gone (while it
   * is live, see test_stolen_token()). */
  mark_events (f);
  peer_monitor_close (first);
  wait_cp_state (f, "CP-REG", EV_CP_STATE_DISCONNECTED);
  second = peer_monitor_connect (port (f));
  response = peer_monitor_auth (second, "CP-REG", token);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_AUTHORIZED);
  g_assert_cmpfloat_with_epsilon (response->price, PRICE, 1e-9);
  g_assert_cmpstr (response->location, ==, "Alicante, Av. Maisonnave 12");
  ev_link_response_free (response);
  wait_event (f, "cp-authenticated", "cp_id", "CP-REG", NULL);
  assert_response (peer_monitor_status (second, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  g_assert_cmpint (cp_state (f, "CP-REG"), ==, EV_CP_STATE_ACTIVE);

  /* Registered in the database, hash and all: a restarted Central knows
   * the CP (DISCONNECTED until it authenticates again). */
  peer_monitor_free (second);
  peer_monitor_free (first);
  core_stop (f);
  core_start (f);
  g_assert_cmpint (cp_state (f, "CP-REG"), ==, EV_CP_STATE_DISCONNECTED);
  second = peer_monitor_connect (port (f));
  response = peer_monitor_auth (second, "CP-REG", token);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_AUTHORIZED);
  ev_link_response_free (response);
  assert_response (peer_monitor_status (second, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-REG", EV_CP_STATE_ACTIVE);
  peer_monitor_free (second);
}

typedef struct
{
  const char *what;
  const char *request;       /* NULL: authenticate with the right token */
  EvLinkStatus status;
  EvLinkReason reason;
  const char *denied_cp_id;  /* the auth-denied event's cp_id, or NULL */
} LinkCase;

/* In order on one link: every denial before authentication, then the
 * errors after it. None closes the link. */
static const LinkCase link_cases[] = {
  { "status first", "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_NOT_AUTHENTICATED, NULL },
  { "unknown CP", "{\"type\":\"auth\",\"cp_id\":\"CP-NOBODY\",\"token\":\"abc\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_UNKNOWN_CP, "CP-NOBODY" },
  { "bad token", "{\"type\":\"auth\",\"cp_id\":\"CP-LINK\",\"token\":\"wrong-token\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_BAD_TOKEN, "CP-LINK" },
  { "auth invalid id", "{\"type\":\"auth\",\"cp_id\":\"CP 1!\",\"token\":\"abc\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_INVALID_ID, NULL },
  { "auth id too long", "{\"type\":\"auth\",\"cp_id\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\",\"token\":\"abc\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_INVALID_ID, NULL },
  { "already registered", "{\"type\":\"register\",\"cp_id\":\"CP-LINK\",\"location\":\"Elsewhere\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_REGISTERED, "CP-LINK" },
  { "empty location", "{\"type\":\"register\",\"cp_id\":\"CP-NEW\",\"location\":\"\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_INVALID_LOCATION, "CP-NEW" },
  { "control character in location", "{\"type\":\"register\",\"cp_id\":\"CP-NEW\",\"location\":\"a\\u0007b\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_INVALID_LOCATION, "CP-NEW" },
  { "register invalid id", "{\"type\":\"register\",\"cp_id\":\"\",\"location\":\"Somewhere\"}",
    EV_LINK_STATUS_DENIED, EV_LINK_REASON_INVALID_ID, NULL },
  { "authenticate", NULL, EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE, NULL },
  { "unknown type", "{\"type\":\"teleport\"}",
    EV_LINK_STATUS_ERROR, EV_LINK_REASON_UNKNOWN_TYPE, NULL },
  { "bad JSON", "{\"type\":\"status\",",
    EV_LINK_STATUS_ERROR, EV_LINK_REASON_BAD_JSON, NULL },
  { "not an object", "[1,2,3]",
    EV_LINK_STATUS_ERROR, EV_LINK_REASON_BAD_JSON, NULL },
  { "bad state", "{\"type\":\"status\",\"state\":\"FLYING\",\"engine\":\"ok\"}",
    EV_LINK_STATUS_ERROR, EV_LINK_REASON_INVALID_REQUEST, NULL },
  { "bad engine", "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"meh\"}",
    EV_LINK_STATUS_ERROR, EV_LINK_REASON_INVALID_REQUEST, NULL },
  { "status", "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}",
    EV_LINK_STATUS_OK, EV_LINK_REASON_NONE, NULL },
};

static void
test_link_requests (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *owner = connect_new_cp (f, "CP-LINK", &token);
  PeerMonitor *monitor = peer_monitor_connect (port (f));

  for (guint i = 0; i < G_N_ELEMENTS (link_cases); i++)
    {
      const LinkCase *c = &link_cases[i];
      EvLinkResponse *response;

      g_test_message ("case: %s", c->what);
      mark_events (f);
      if (c->request != NULL)
        response = peer_monitor_request (monitor, c->request);
      else
        {
          /* Not while the owner's link is live (test_stolen_token()). */
          peer_monitor_close (owner);
          wait_cp_state (f, "CP-LINK", EV_CP_STATE_DISCONNECTED);
          response = peer_monitor_auth (monitor, "CP-LINK", token);
        }

      g_assert_cmpstr (ev_link_status_to_string (response->status), ==,
                       ev_link_status_to_string (c->status));
      g_assert_cmpstr (ev_link_reason_to_string (response->reason), ==,
                       ev_link_reason_to_string (c->reason));
      if (c->status == EV_LINK_STATUS_OK || c->status == EV_LINK_STATUS_AUTHORIZED)
        {
          g_assert_true (response->has_price);
          g_assert_cmpfloat_with_epsilon (response->price, PRICE, 1e-9);
        }
      ev_link_response_free (response);

      if (c->status == EV_LINK_STATUS_DENIED && c->reason != EV_LINK_REASON_NOT_AUTHENTICATED)
        {
          const char *reason = ev_link_reason_to_string (c->reason);

          JsonObject *event = wait_event (f, "auth-denied", "reason", reason, NULL);
          const char *cp_id = json_object_get_string_member_with_default (event, "cp_id", NULL);

          /* Checked without aborting, so the cases after it still run. */
          if (c->denied_cp_id != NULL && g_strcmp0 (cp_id, c->denied_cp_id) != 0)
            g_test_fail_printf ("%s: auth-denied names cp_id %s, expected %s",
                                c->what, cp_id, c->denied_cp_id);
        }
      g_assert_false (peer_monitor_is_closed (monitor));
    }

  /* Denials registered nothing. */
  g_assert_null (central_core_lookup_cp (f->core, "CP-NEW"));
  g_assert_null (central_core_lookup_cp (f->core, "CP-NOBODY"));
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, 1);

  peer_monitor_free (monitor);
  peer_monitor_free (owner);
}

/* ------------------------------------------------------------------ */
/* Registration that survives a lost answer, and operator commands     */

#define NONCE "5f0c2a9e71d34b6a8e2f0c1d9b7a6e54"
#define OTHER_NONCE "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"

static EvLinkResponse *
register_with_nonce (PeerMonitor *monitor,
                     const char  *cp_id,
                     const char  *nonce)
{
  g_autofree char *json = NULL;
  g_autoptr(EvLinkRequest) request = ev_link_request_new_register_with_nonce (cp_id, "Elche, Plaza 1", nonce);

  json = ev_link_request_to_json (request, NULL);
  return peer_monitor_request (monitor, json);
}

static void
assert_auth (Fixture     *f,
             const char  *cp_id,
             const char  *token,
             EvLinkStatus status,
             EvLinkReason reason)
{
  PeerMonitor *monitor = peer_monitor_connect (port (f));

  assert_response (peer_monitor_auth (monitor, cp_id, token), status, reason);
  peer_monitor_free (monitor);
}

/* The `registered` answer is lost (the monitor gave up waiting): the same
 * register, nonce and all, gets a working token; another nonce does not. */
static void
test_register_repeat (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *lost, *again, *intruder;
  EvLinkResponse *response;

  lost = peer_monitor_connect (port (f));
  response = register_with_nonce (lost, "CP-RPT", NONCE);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_REGISTERED);
  ev_link_response_free (response);
  peer_monitor_free (lost);

  again = peer_monitor_connect (port (f));
  response = register_with_nonce (again, "CP-RPT", NONCE);
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, "registered");
  g_assert_nonnull (response->token);
  token = g_strdup (response->token);
  ev_link_response_free (response);
  assert_response (peer_monitor_status (again, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-RPT", EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, 1);

  /* While the CP is live, another link is refused whatever it holds. */
  assert_auth (f, "CP-RPT", token, EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_CONNECTED);
  intruder = peer_monitor_connect (port (f));
  assert_response (register_with_nonce (intruder, "CP-RPT", OTHER_NONCE),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_CONNECTED);
  peer_monitor_free (intruder);

  peer_monitor_close (again);
  wait_cp_state (f, "CP-RPT", EV_CP_STATE_DISCONNECTED);
  assert_auth (f, "CP-RPT", token, EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);

  intruder = peer_monitor_connect (port (f));
  assert_response (register_with_nonce (intruder, "CP-RPT", OTHER_NONCE),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_REGISTERED);
  assert_response (peer_monitor_register (intruder, "CP-RPT", "Elche, Plaza 1"),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_REGISTERED);
  peer_monitor_free (intruder);
  peer_monitor_free (again);
}

/* A CP whose stored token is missing (a schema-1 row, or reset) is not
 * locked out: auth says unknown-cp, and register is accepted. */
static void
test_register_without_token (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *monitor = connect_new_cp (f, "CP-OLD", &token);
  EvLinkResponse *response;

  peer_monitor_free (monitor);
  core_stop (f);
  {
    g_autoptr(GError) error = NULL;
    EvStore *store = ev_store_open (f->db_path, &error);

    g_assert_no_error (error);
    g_assert_true (ev_store_reset_token (store, "CP-OLD", &error));
    g_assert_finalize_object (store);
  }
  core_start (f);

  assert_auth (f, "CP-OLD", token, EV_LINK_STATUS_DENIED, EV_LINK_REASON_UNKNOWN_CP);
  monitor = peer_monitor_connect (port (f));
  response = peer_monitor_register (monitor, "CP-OLD", "Somewhere new");
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, "registered");
  g_clear_pointer (&token, g_free);
  token = g_strdup (response->token);
  ev_link_response_free (response);
  assert_response (peer_monitor_status (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-OLD", EV_CP_STATE_ACTIVE);
  g_assert_cmpstr (ev_charging_point_get_location (central_core_lookup_cp (f->core, "CP-OLD")), ==,
                   "Somewhere new");
  close_link_of (f, monitor, "CP-OLD");
  assert_auth (f, "CP-OLD", token, EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);
  peer_monitor_free (monitor);
}

/* A price of the CP's own: the supply under way keeps the price it was
 * authorised at; the monitor's next status answer and the next supply
 * carry the new one; a bad price or CP is refused. */
static void
test_operator_price (Fixture       *f,
                     gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-PR", "DRV-PR");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-PR");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvLinkResponse) answer = NULL;
  g_autoptr(EvSupply) stored = NULL;
  g_autoptr(GError) error = NULL;
  const EvDirective *next;
  JsonObject *event;

  g_assert_cmpfloat_with_epsilon (start->price, PRICE, 1e-9);
  progress (rig.engine, rig.driver, start, 1, 1.0);

  g_assert_true (central_core_set_price (f->core, "CP-PR", 0.5, &error));
  g_assert_no_error (error);
  event = wait_event (f, "price", "cp_id", "CP-PR", NULL);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (event, "price"), 0.5, 1e-9);
  answer = peer_monitor_status (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK);
  g_assert_true (answer->has_price);
  g_assert_cmpfloat_with_epsilon (answer->price, 0.5, 1e-9);

  /* The supply under way ends at its own price. */
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 2.0, EV_TICKET_REASON_UNPLUGGED);
  peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_price (stored), PRICE, 1e-9);
  assert_money (2.0, ev_supply_get_amount (stored));
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  wait_cp_state (f, "CP-PR", EV_CP_STATE_ACTIVE);

  /* The next one is authorised at the new price. */
  next = start_supply (rig.driver, rig.engine, "CP-PR");
  g_assert_cmpfloat_with_epsilon (next->price, 0.5, 1e-9);

  g_assert_false (central_core_set_price (f->core, "CP-PR", -0.1, &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (central_core_set_price (f->core, "CP-PR", NAN, &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (central_core_set_price (f->core, "CP-NOWHERE", 0.3, &error));
  g_assert_nonnull (error);

  rig_clear (&rig);
}

/* --price MIN-MAX: each new CP gets a price of its own in the range, in
 * whole cents; a CP registering again (its token reset) keeps its price. */
static void
test_price_range (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  double kept;

  core_stop (f);
  f->price_max = 0.60;
  core_start (f);

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-RNG%u", i);
      g_autofree char *location = g_strdup_printf ("Test site %s", cp_id);
      PeerMonitor *monitor = peer_monitor_connect (port (f));
      g_autoptr(EvLinkResponse) response = peer_monitor_register (monitor, cp_id, location);

      g_assert_cmpint (response->status, ==, EV_LINK_STATUS_REGISTERED);
      g_assert_true (response->has_price);
      g_assert_cmpfloat (response->price, >=, PRICE);
      g_assert_cmpfloat (response->price, <=, 0.60);
      g_assert_cmpfloat_with_epsilon (response->price * 100.0, round (response->price * 100.0), 1e-6);
      peer_monitor_free (monitor);
    }

  /* Registered again after its token was reset: the same price. */
  {
    PeerMonitor *monitor = peer_monitor_connect (port (f));
    g_autoptr(EvLinkResponse) first = NULL;
    g_autoptr(EvLinkResponse) again = NULL;

    first = peer_monitor_register (monitor, "CP-RNG9", "Test site CP-RNG9");
    kept = first->price;
    peer_monitor_free (monitor);
    g_assert_true (central_core_reset_token (f->core, "CP-RNG9", &error));
    g_assert_no_error (error);
    monitor = peer_monitor_connect (port (f));
    again = peer_monitor_register (monitor, "CP-RNG9", "Test site CP-RNG9");
    g_assert_cmpint (again->status, ==, EV_LINK_STATUS_REGISTERED);
    g_assert_cmpfloat_with_epsilon (again->price, kept, 1e-9);
    peer_monitor_free (monitor);
  }
}

/* Where a CP is, corrected by the operator: told in an event, kept in the
 * database (a Central started again tells the monitor); a bad location
 * or CP is refused. */
static void
test_operator_location (Fixture       *f,
                        gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-LOC", "DRV-LOC");
  g_autoptr(GError) error = NULL;
  PeerMonitor *monitor;
  EvLinkResponse *response;
  JsonObject *event;

  g_assert_true (central_core_set_location (f->core, "CP-LOC", "  Elche, Parque Empresarial 7  ", &error));
  g_assert_no_error (error);
  event = wait_event (f, "location", "cp_id", "CP-LOC", NULL);
  g_assert_cmpstr (json_object_get_string_member (event, "location"), ==, "Elche, Parque Empresarial 7");

  g_assert_false (central_core_set_location (f->core, "CP-LOC", "   ", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (central_core_set_location (f->core, "CP-LOC", "two\nlines", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (central_core_set_location (f->core, "CP-NOWHERE", "Murcia", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Kept: a Central started again tells the monitor where its CP is. */
  g_clear_pointer (&rig.monitor, peer_monitor_free);
  core_stop (f);
  core_start (f);
  monitor = peer_monitor_connect (port (f));
  response = peer_monitor_auth (monitor, "CP-LOC", rig.token);
  g_assert_cmpint (response->status, ==, EV_LINK_STATUS_AUTHORIZED);
  g_assert_cmpstr (response->location, ==, "Elche, Parque Empresarial 7");
  ev_link_response_free (response);
  peer_monitor_free (monitor);

  rig_clear (&rig);
}

static void
test_reset_token (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *line_error = NULL;
  PeerMonitor *monitor = connect_new_cp (f, "CP-RST", &token);
  EvLinkResponse *response;
  gboolean quit = TRUE;

  g_assert_false (central_core_reset_token (f->core, "CP-NONE", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);
  g_clear_error (&error);

  /* The headless command, as an operator types it. */
  mark_events (f);
  line_error = central_headless_run_command (f->core, "reset-token CP-RST", &quit);
  g_assert_null (line_error);
  g_assert_false (quit);
  wait_event (f, "token-reset", "cp_id", "CP-RST", NULL);
  peer_monitor_wait_closed (monitor);
  wait_cp_state (f, "CP-RST", EV_CP_STATE_DISCONNECTED);
  g_assert_true (log_has (f, "token-reset", "CP-RST"));
  peer_monitor_free (monitor);

  assert_auth (f, "CP-RST", token, EV_LINK_STATUS_DENIED, EV_LINK_REASON_UNKNOWN_CP);
  monitor = peer_monitor_connect (port (f));
  response = peer_monitor_register (monitor, "CP-RST", "Test site CP-RST");
  g_assert_cmpstr (ev_link_status_to_string (response->status), ==, "registered");
  close_link_of (f, monitor, "CP-RST");
  assert_auth (f, "CP-RST", response->token, EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);
  ev_link_response_free (response);
  assert_auth (f, "CP-RST", token, EV_LINK_STATUS_DENIED, EV_LINK_REASON_BAD_TOKEN);
  peer_monitor_free (monitor);
}

static void
test_forget (Fixture       *f,
             gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-FGT", "DRV-FGT");
  g_autoptr(GError) error = NULL;
  g_autoptr(EvSupply) stored = NULL;
  g_autofree char *line_error = NULL;
  g_autofree char *supply_id = NULL;
  const EvDirective *start;
  gboolean quit = FALSE;

  peer_driver_wait_cp_state (rig.driver, "CP-FGT", EV_CP_STATE_ACTIVE);

  /* Not while a supply is open there. */
  start = start_supply (rig.driver, rig.engine, "CP-FGT");
  supply_id = g_strdup (start->supply_id);
  g_assert_false (central_core_forget (f->core, "CP-FGT", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_IN_PROGRESS);
  g_clear_error (&error);
  g_assert_nonnull (central_core_lookup_cp (f->core, "CP-FGT"));

  progress (rig.engine, rig.driver, start, 1, 0.5);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 1.25, EV_TICKET_REASON_UNPLUGGED);
  peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 2);
  wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  wait_cp_idle (f, "CP-FGT");

  mark_events (f);
  line_error = central_headless_run_command (f->core, "forget CP-FGT", &quit);
  g_assert_null (line_error);
  wait_event (f, "cp-forgotten", "cp_id", "CP-FGT", NULL);
  g_assert_null (central_core_lookup_cp (f->core, "CP-FGT"));
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, 0);
  peer_monitor_wait_closed (rig.monitor);
  peer_driver_wait_cp_gone (rig.driver, "CP-FGT");

  /* Gone from the database too, its token with it; its supply stays. */
  core_stop (f);
  core_start (f);
  g_assert_null (central_core_lookup_cp (f->core, "CP-FGT"));
  assert_auth (f, "CP-FGT", rig.token, EV_LINK_STATUS_DENIED, EV_LINK_REASON_UNKNOWN_CP);
  stored = db_lookup (f, supply_id);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 1.25, 1e-9);

  line_error = central_headless_run_command (f->core, "forget CP-FGT", &quit);
  g_assert_nonnull (line_error);
  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Link limits                                                         */

static gboolean
raw_closed (gpointer user_data)
{
  return peer_raw_link_is_closed (user_data);
}

static gboolean
dribble_cb (gpointer user_data)
{
  static const guint8 enq = 0x05;

  if (!peer_raw_link_is_closed (user_data))
    peer_raw_link_try_send (user_data, &enq, 1);
  return G_SOURCE_CONTINUE;
}

/* Keeps @raw busy with a byte every 200 ms, as a slow client would, so
 * that no idle time-out closes it. */
static guint
dribble (PeerRawLink *raw)
{
  return g_timeout_add (200, dribble_cb, raw);
}

/* A link that never authenticates is closed at the auth time-out, though
 * it keeps sending, and though `status` was answered. */
static void
test_auth_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *monitor = connect_new_cp (f, "CP-TMO", &token);
  PeerRawLink *raw = peer_raw_link_connect (port (f));
  g_autofree char *answer = NULL;
  guint dribbling;

  answer = peer_raw_link_request (raw, "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}");
  g_assert_nonnull (strstr (answer, "not-authenticated"));

  dribbling = dribble (raw);
  ev_test_wait_until (NULL, raw_closed, raw, 30000, "an unauthenticated link to be closed");
  g_source_remove (dribbling);

  /* The authenticated monitor stays. */
  g_assert_false (peer_monitor_is_closed (monitor));
  g_assert_cmpint (cp_state (f, "CP-TMO"), ==, EV_CP_STATE_ACTIVE);
  peer_raw_link_free (raw);
  peer_monitor_free (monitor);
}

/* Beyond the limit of unauthenticated links from one address, the oldest
 * gives way, so a real monitor from there still gets in. */
static void
test_unauthenticated_per_address (Fixture       *f,
                                  gconstpointer  data)
{
  PeerRawLink *raws[4];
  guint dribbles[4];
  PeerMonitor *monitor;

  for (guint i = 0; i < 2; i++)
    {
      raws[i] = peer_raw_link_connect (port (f));
      dribbles[i] = dribble (raws[i]);
    }
  monitor = connect_new_cp (f, "CP-LIM", NULL);
  ev_test_wait_until (NULL, raw_closed, raws[0], 20000, "the oldest unauthenticated link to be closed");
  g_assert_false (peer_raw_link_is_closed (raws[1]));

  /* The monitor authenticated: it no longer counts. */
  for (guint i = 2; i < 4; i++)
    {
      raws[i] = peer_raw_link_connect (port (f));
      dribbles[i] = dribble (raws[i]);
    }
  ev_test_wait_until (NULL, raw_closed, raws[1], 20000, "the next oldest link to be closed");
  g_assert_false (peer_raw_link_is_closed (raws[2]));
  g_assert_false (peer_raw_link_is_closed (raws[3]));
  g_assert_false (peer_monitor_is_closed (monitor));
  g_assert_cmpint (cp_state (f, "CP-LIM"), ==, EV_CP_STATE_ACTIVE);

  for (guint i = 0; i < 4; i++)
    {
      g_source_remove (dribbles[i]);
      peer_raw_link_free (raws[i]);
    }
  peer_monitor_free (monitor);
}

/* Wrong tokens: a link is closed after three; a CP id backs off after
 * three in a row (even the right token is answered rate-limited), and the
 * log hears of the rate-limited ones once. */
static void
test_auth_rate_limited (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *owner = connect_new_cp (f, "CP-RL", &token);
  PeerMonitor *monitor = peer_monitor_connect (port (f));

  mark_events (f);
  for (guint i = 0; i < 3; i++)
    assert_response (peer_monitor_auth (monitor, "CP-RL", "wrong-token"),
                     EV_LINK_STATUS_DENIED, EV_LINK_REASON_BAD_TOKEN);
  peer_monitor_wait_closed (monitor);
  peer_monitor_free (monitor);

  monitor = peer_monitor_connect (port (f));
  assert_response (peer_monitor_auth (monitor, "CP-RL", "wrong-token"),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_RATE_LIMITED);
  assert_response (peer_monitor_auth (monitor, "CP-RL", token),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_RATE_LIMITED);
  assert_response (peer_monitor_auth (monitor, "CP-RL", "wrong-token"),
                   EV_LINK_STATUS_DENIED, EV_LINK_REASON_RATE_LIMITED);
  peer_monitor_wait_closed (monitor);
  peer_monitor_free (monitor);

  wait_event (f, "auth-denied", "cp_id", "CP-RL", "reason", "rate-limited", NULL);
  g_assert_cmpuint (count_events (f, "auth-denied", "cp_id", "CP-RL", "reason", "bad-token", NULL), ==, 3);
  g_assert_cmpuint (count_events (f, "auth-denied", "cp_id", "CP-RL", "reason", "rate-limited", NULL), ==, 1);
  /* The authenticated owner is not disturbed. */
  g_assert_false (peer_monitor_is_closed (owner));
  peer_monitor_free (owner);
}

/* A second link authenticating as a live CP (its token stolen) is
 * refused, however often it tries, and the live link keeps the CP ACTIVE
 * throughout; the log hears of it once. Once the live link falls silent,
 * the token's holder gets in and the silent link is closed. */
static void
test_stolen_token (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *owner = connect_new_cp (f, "CP-STOLEN", &token);
  PeerMonitor *thief;

  mark_events (f);
  for (guint i = 0; i < 3; i++)
    {
      thief = peer_monitor_connect (port (f));
      assert_response (peer_monitor_auth (thief, "CP-STOLEN", token),
                       EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_CONNECTED);
      assert_response (peer_monitor_register (thief, "CP-STOLEN", "Elsewhere"),
                       EV_LINK_STATUS_DENIED, EV_LINK_REASON_ALREADY_REGISTERED);
      peer_monitor_free (thief);
    }
  assert_response (peer_monitor_status (owner, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  g_assert_false (peer_monitor_is_closed (owner));
  g_assert_cmpint (cp_state (f, "CP-STOLEN"), ==, EV_CP_STATE_ACTIVE);
  /* No flapping: the CP never left ACTIVE, nor did it authenticate again. */
  g_assert_cmpuint (count_events (f, "cp-state", "cp_id", "CP-STOLEN", "previous", "ACTIVE", NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "cp-authenticated", "cp_id", "CP-STOLEN", NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "auth-denied", "cp_id", "CP-STOLEN", "reason", "already-connected", NULL), ==, 1);

  /* The real link dies silently (half-open): after the silence timeout
   * the token's holder gets in, and the silent link is closed. */
  peer_monitor_stop_heartbeat (owner);
  wait_cp_state (f, "CP-STOLEN", EV_CP_STATE_DISCONNECTED);
  thief = peer_monitor_connect (port (f));
  assert_response (peer_monitor_auth (thief, "CP-STOLEN", token),
                   EV_LINK_STATUS_AUTHORIZED, EV_LINK_REASON_NONE);
  peer_monitor_wait_closed (owner);
  assert_response (peer_monitor_status (thief, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-STOLEN", EV_CP_STATE_ACTIVE);
  peer_monitor_free (thief);
  peer_monitor_free (owner);
}

/* Many links from one address, each trying two wrong tokens for a CP id
 * of its own (so that no CP id backs off): after ten, the address backs
 * off, even for a right token, and the log hears of the rate-limited
 * tries once; after the back-off the right token works. */
static void
test_token_brute_force (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *owner = connect_new_cp (f, "CP-BF", &token);
  PeerMonitor *monitor;

  peer_monitor_close (owner);
  wait_cp_state (f, "CP-BF", EV_CP_STATE_DISCONNECTED);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-BF%u", i);
      PeerMonitor *victim = connect_new_cp (f, cp_id, NULL);

      peer_monitor_free (victim);
    }

  mark_events (f);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-BF%u", i);

      monitor = peer_monitor_connect (port (f));
      for (guint j = 0; j < 2; j++)
        assert_response (peer_monitor_auth (monitor, cp_id, "wrong-token"),
                         EV_LINK_STATUS_DENIED, EV_LINK_REASON_BAD_TOKEN);
      peer_monitor_free (monitor);
    }
  g_assert_cmpuint (count_events (f, "auth-denied", "reason", "bad-token", NULL), ==, 10);

  /* The address backs off: whatever the CP id or token. */
  for (guint i = 0; i < 3; i++)
    {
      monitor = peer_monitor_connect (port (f));
      assert_response (peer_monitor_auth (monitor, "CP-BF", i == 0 ? token : "wrong-token"),
                       EV_LINK_STATUS_DENIED, EV_LINK_REASON_RATE_LIMITED);
      assert_response (peer_monitor_register (monitor, "CP-BF-NEW", "Somewhere"),
                       EV_LINK_STATUS_DENIED, EV_LINK_REASON_RATE_LIMITED);
      peer_monitor_free (monitor);
    }
  g_assert_cmpuint (count_events (f, "auth-denied", "reason", "bad-token", NULL), ==, 10);
  g_assert_cmpuint (count_events (f, "auth-denied", "reason", "rate-limited", NULL), ==, 1);

  /* The back-off (1 s here) has no event to wait for. */
  ev_test_sleep_spinning (NULL, 1200);
  monitor = connect_known_cp (f, "CP-BF", token, EV_CP_STATE_ACTIVE);
  wait_cp_state (f, "CP-BF", EV_CP_STATE_ACTIVE);
  peer_monitor_free (monitor);
  peer_monitor_free (owner);
}

/* New CP ids from one address draw on a budget of 16: the 17th is
 * refused `rate-limited`, logged once however many follow; CPs known
 * already still register again. */
static void
test_register_flood (Fixture       *f,
                     gconstpointer  data)
{
  PeerMonitor *monitor = peer_monitor_connect (port (f));
  guint registered = 0;

  mark_events (f);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-FLOOD%02u", i);
      EvLinkResponse *response = peer_monitor_register (monitor, cp_id, "Somewhere");

      if (response->status == EV_LINK_STATUS_REGISTERED)
        registered++;
      else
        g_assert_cmpint (response->reason, ==, EV_LINK_REASON_RATE_LIMITED);
      ev_link_response_free (response);
    }
  /* At most one more may have grown back meanwhile. */
  g_assert_cmpuint (registered, >=, 16);
  g_assert_cmpuint (registered, <=, 17);
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_charging_points (f->core)), ==, registered);
  g_assert_cmpuint (count_events (f, "auth-denied", "reason", "rate-limited", NULL), ==, 1);
  g_assert_false (peer_monitor_is_closed (monitor));
  peer_monitor_free (monitor);
}

/* A request for @cp_id by @driver, answered with @status and @reason. */
static void
assert_supply_answer (PeerDriver         *driver,
                      const char         *cp_id,
                      EvSupplyStatus      status,
                      EvSupplyDenyReason  reason)
{
  g_autofree char *request_id = peer_driver_request (driver, cp_id);
  const EvSupplyResponse *response = peer_driver_wait_response (driver, request_id);

  g_assert_cmpstr (ev_supply_status_to_string (response->status), ==, ev_supply_status_to_string (status));
  g_assert_cmpint (response->reason, ==, reason);
}

/* Issue 14: a peer registers 100 new ids with approval required. They
 * are pending: answered `registered` with `"approval":"pending"`, shown
 * to nobody on cp-states, refused supplies as unknown; 16 may await from
 * one address, the rest are refused too-many-pending (logged once).
 * Approved, a CP appears on cp-states and is supplied; rejected, it is
 * gone; the headless commands refuse ids that are not pending. Pending
 * survives a restart. */
static void
test_mass_registration (Fixture       *f,
                        gconstpointer  data)
{
  PeerDriver *driver = peer_driver_new (bootstrap (), "DRV-MASS");
  PeerMonitor *owner, *flood;
  EvLinkResponse *response;
  g_autofree char *line_error = NULL;
  g_autoptr(GError) error = NULL;
  gboolean quit = FALSE;
  guint registered = 0, refused = 0;

  mark_events (f);
  owner = connect_new_cp (f, "CP-MASS-OK", NULL);
  wait_event (f, "cp-registered", "cp_id", "CP-MASS-OK", "approval", "pending", NULL);
  g_assert_true (ev_charging_point_get_pending (central_core_lookup_cp (f->core, "CP-MASS-OK")));
  response = peer_monitor_status (owner, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
  g_assert_true (response->pending);
  ev_link_response_free (response);

  flood = peer_monitor_connect (port (f));
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-MASS%03u", i);

      response = peer_monitor_register (flood, cp_id, "Somewhere");
      if (response->status == EV_LINK_STATUS_REGISTERED)
        {
          g_assert_true (response->pending);
          registered++;
        }
      else
        {
          g_assert_cmpstr (ev_link_reason_to_string (response->reason), ==, "too-many-pending");
          refused++;
        }
      ev_link_response_free (response);
    }
  /* The owner's CP is the 16th from this address. */
  g_assert_cmpuint (registered, ==, 15);
  g_assert_cmpuint (refused, ==, 85);
  g_assert_cmpuint (count_events (f, "auth-denied", "reason", "too-many-pending", NULL), ==, 1);
  g_assert_false (peer_monitor_is_closed (flood));

  /* Pending: no supplies, and no driver hears of them. */
  assert_supply_answer (driver, "CP-MASS-OK", EV_SUPPLY_STATUS_DENIED, EV_SUPPLY_DENY_REASON_UNKNOWN_CP);
  assert_supply_answer (driver, "CP-MASS000", EV_SUPPLY_STATUS_DENIED, EV_SUPPLY_DENY_REASON_UNKNOWN_CP);

  /* Approved: on cp-states, supplied, and its monitor is told. */
  line_error = central_headless_run_command (f->core, "approve CP-MASS-OK", &quit);
  g_assert_null (line_error);
  wait_event (f, "cp-approved", "cp_id", "CP-MASS-OK", NULL);
  g_assert_true (log_has (f, "cp-approved", "CP-MASS-OK"));
  peer_driver_wait_cp_state (driver, "CP-MASS-OK", EV_CP_STATE_ACTIVE);
  for (guint i = 0; i < registered; i++)
    {
      g_autofree char *cp_id = g_strdup_printf ("CP-MASS%03u", i);

      g_assert_false (peer_driver_knows_cp (driver, cp_id));
    }
  peer_monitor_stop_heartbeat (owner);
  response = peer_monitor_status (owner, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
  g_assert_false (response->pending);
  ev_link_response_free (response);
  peer_monitor_heartbeat (owner, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  assert_supply_answer (driver, "CP-MASS-OK", EV_SUPPLY_STATUS_AUTHORIZED, EV_SUPPLY_DENY_REASON_NONE);

  /* Rejected: forgotten, and room for one more pending. */
  g_assert_true (central_core_reject (f->core, "CP-MASS000", &error));
  g_assert_no_error (error);
  wait_event (f, "cp-rejected", "cp_id", "CP-MASS000", NULL);
  g_assert_null (central_core_lookup_cp (f->core, "CP-MASS000"));
  assert_response (peer_monitor_register (flood, "CP-MASS-NEW", "Somewhere"),
                   EV_LINK_STATUS_REGISTERED, EV_LINK_REASON_NONE);

  /* Only a CP awaiting approval may be approved or rejected. */
  g_clear_pointer (&line_error, g_free);
  line_error = central_headless_run_command (f->core, "approve CP-MASS-OK", &quit);
  g_assert_nonnull (line_error);
  g_assert_false (central_core_reject (f->core, "CP-MASS-OK", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_PENDING);
  g_clear_error (&error);
  g_assert_false (central_core_approve (f->core, "CP-NOBODY", &error));
  g_assert_error (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_UNKNOWN_CP);
  g_clear_error (&error);
  g_assert_false (quit);

  /* Remembered across a restart. */
  peer_monitor_free (flood);
  peer_monitor_free (owner);
  core_stop (f);
  core_start (f);
  g_assert_true (ev_charging_point_get_pending (central_core_lookup_cp (f->core, "CP-MASS001")));
  g_assert_false (ev_charging_point_get_pending (central_core_lookup_cp (f->core, "CP-MASS-OK")));
  g_assert_null (central_core_lookup_cp (f->core, "CP-MASS000"));
  peer_driver_free (driver);
}

typedef struct
{
  EvCpState reported;
  EvEngineHealth engine;
  EvCpState shown;
} StatusCase;

/* From ACTIVE, in order: each report and the state Central shows. */
static const StatusCase status_cases[] = {
  { EV_CP_STATE_WAITING, EV_ENGINE_HEALTH_OK, EV_CP_STATE_WAITING },
  { EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, EV_CP_STATE_SUPPLYING },
  { EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_KO, EV_CP_STATE_BROKEN },
  { EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, EV_CP_STATE_ACTIVE },
  { EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_UNREACHABLE, EV_CP_STATE_BROKEN },
  { EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, EV_CP_STATE_ACTIVE },
  { EV_CP_STATE_BROKEN, EV_ENGINE_HEALTH_OK, EV_CP_STATE_BROKEN },
  { EV_CP_STATE_STOPPED, EV_ENGINE_HEALTH_OK, EV_CP_STATE_STOPPED },
  { EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, EV_CP_STATE_ACTIVE },
};

static void
test_status_states (Fixture       *f,
                    gconstpointer  data)
{
  PeerDriver *watcher = peer_driver_new (bootstrap (), "DRV-STATUS");
  PeerMonitor *monitor = connect_new_cp (f, "CP-STATUS", NULL);
  EvCpState previous = EV_CP_STATE_ACTIVE;

  for (guint i = 0; i < G_N_ELEMENTS (status_cases); i++)
    {
      const StatusCase *c = &status_cases[i];
      const EvCpStateMessage *msg;

      g_test_message ("report %s/%s", ev_cp_state_to_string (c->reported),
                      ev_engine_health_to_string (c->engine));
      peer_monitor_stop_heartbeat (monitor);
      mark_events (f);
      assert_response (peer_monitor_status (monitor, c->reported, c->engine),
                       EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
      /* Reported again every so often, as a real monitor does, so the CP
       * is not silent while the test waits. */
      peer_monitor_heartbeat (monitor, c->reported, c->engine, HEARTBEAT_MS);
      wait_cp_state (f, "CP-STATUS", c->shown);
      wait_event (f, "cp-state", "cp_id", "CP-STATUS",
                  "state", ev_cp_state_to_string (c->shown),
                  "previous", ev_cp_state_to_string (previous), NULL);
      previous = c->shown;

      /* Published on cp-states too, for drivers and dashboards. */
      msg = peer_driver_wait_cp_state (watcher, "CP-STATUS", c->shown);
      g_assert_cmpstr (msg->location, ==, "Test site CP-STATUS");
      g_assert_true (msg->has_price);
      g_assert_cmpfloat_with_epsilon (msg->price, PRICE, 1e-9);
    }

  peer_driver_free (watcher);
  peer_monitor_free (monitor);
}

static void
test_disconnect_on_close (Fixture       *f,
                          gconstpointer  data)
{
  PeerMonitor *monitor = connect_new_cp (f, "CP-CLOSE", NULL);

  g_assert_cmpuint (central_core_get_n_links (f->core), ==, 1);
  mark_events (f);
  peer_monitor_close (monitor);
  wait_cp_state (f, "CP-CLOSE", EV_CP_STATE_DISCONNECTED);
  wait_event (f, "cp-disconnected", "cp_id", "CP-CLOSE", NULL);
  wait_event (f, "cp-state", "cp_id", "CP-CLOSE", "state", "DISCONNECTED", "previous", "ACTIVE", NULL);
  g_assert_cmpuint (central_core_get_n_links (f->core), ==, 0);
  peer_monitor_free (monitor);
}

static void
test_disconnect_on_silence (Fixture       *f,
                            gconstpointer  data)
{
  PeerMonitor *monitor = connect_new_cp (f, "CP-QUIET", NULL);

  /* The link stays open, but no status comes for the silence timeout. */
  peer_monitor_stop_heartbeat (monitor);
  assert_response (peer_monitor_status (monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-QUIET", EV_CP_STATE_SUPPLYING);
  mark_events (f);
  wait_cp_state (f, "CP-QUIET", EV_CP_STATE_DISCONNECTED);
  wait_event (f, "cp-disconnected", "cp_id", "CP-QUIET", NULL);
  g_assert_false (peer_monitor_is_closed (monitor));

  /* A later status on the same link restores the reported state. */
  assert_response (peer_monitor_status (monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  wait_cp_state (f, "CP-QUIET", EV_CP_STATE_ACTIVE);
  peer_monitor_free (monitor);
}

typedef struct
{
  const char *what;
  const char *bytes;
  gsize len;
  gboolean nack;   /* whether Central must answer NACK */
} FrameCase;

#define BYTES(s) s, sizeof s - 1

/* Each sent alone between good requests (three bad frames in a row close
 * a link, by design). */
static const FrameCase frame_cases[] = {
  { "bad LRC", BYTES ("\x02{\"type\":\"status\"}\x03\x00"), TRUE },
  { "empty frame", BYTES ("\x02\x03\x00"), TRUE },
  { "frame cut by STX", BYTES ("\x02{\"type\":"), TRUE },
  { "garbage between frames", BYTES ("hello\xff\xfe world"), FALSE },
};

static void
test_malformed_frames (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *token = NULL;
  PeerMonitor *owner = connect_new_cp (f, "CP-RAW", &token);
  g_autofree char *auth = g_strdup_printf ("{\"type\":\"auth\",\"cp_id\":\"CP-RAW\",\"token\":\"%s\"}", token);
  g_autofree char *response = NULL;
  g_autoptr(GString) oversize = g_string_new ("\x02{\"type\":\"");
  PeerRawLink *raw;

  peer_monitor_free (owner);
  raw = peer_raw_link_connect (port (f));
  response = peer_raw_link_request (raw, auth);
  g_assert_nonnull (strstr (response, "\"authorized\""));

  /* A frame over 4096 bytes, NACKed once, is the last case. */
  for (guint n = 0; n < 5000; n++)
    g_string_append_c (oversize, 'x');
  g_string_append_len (oversize, "\"}\x03\x00", 4);

  for (guint i = 0; i <= G_N_ELEMENTS (frame_cases); i++)
    {
      const FrameCase *c = i < G_N_ELEMENTS (frame_cases) ? &frame_cases[i] : NULL;
      g_autofree char *answer = NULL;

      g_test_message ("case: %s", c != NULL ? c->what : "oversize frame");
      if (c != NULL)
        peer_raw_link_send (raw, c->bytes, c->len);
      else
        peer_raw_link_send (raw, oversize->str, oversize->len);

      /* A good request right behind it: a frame cut short is only known
       * to be bad when the next STX arrives. The link survives, still
       * authenticated. */
      peer_raw_link_send_frame (raw, "{\"type\":\"status\",\"state\":\"ACTIVE\",\"engine\":\"ok\"}");
      if (c == NULL || c->nack)
        g_assert_cmphex (peer_raw_link_read_byte (raw), ==, 0x15);
      g_assert_cmphex (peer_raw_link_read_byte (raw), ==, 0x06);
      answer = peer_raw_link_read_frame (raw);
      g_assert_nonnull (strstr (answer, "\"ok\""));
      g_assert_false (peer_raw_link_is_closed (raw));
    }

  wait_cp_state (f, "CP-RAW", EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (central_core_get_n_links (f->core), ==, 1);
  peer_raw_link_free (raw);

  /* Central itself is still fine: a new monitor registers. */
  owner = connect_new_cp (f, "CP-RAW2", NULL);
  peer_monitor_free (owner);
}

/* ------------------------------------------------------------------ */
/* Supply requests                                                     */

typedef struct
{
  Fixture *f;
  PeerDriver *busy_driver;   /* has a supply at CP-D-BUSY */
  PeerDriver *driver;        /* free */
  GPtrArray *monitors;
} DenyWorld;

typedef struct
{
  const char *cp_id;
  gboolean busy_driver;
  EvSupplyDenyReason reason;
} DenyCase;

/* Each CP is prepared for its reason by deny_world_prepare(). */
static const DenyCase deny_cases[] = {
  { "CP-D-NONE", FALSE, EV_SUPPLY_DENY_REASON_UNKNOWN_CP },
  { "CP-D-GONE", FALSE, EV_SUPPLY_DENY_REASON_CP_DISCONNECTED },
  { "CP-D-GONE", TRUE, EV_SUPPLY_DENY_REASON_CP_DISCONNECTED },  /* before driver-busy */
  { "CP-D-KO", FALSE, EV_SUPPLY_DENY_REASON_CP_BROKEN },
  { "CP-D-STOPKO", FALSE, EV_SUPPLY_DENY_REASON_CP_BROKEN },      /* before cp-stopped */
  { "CP-D-STOP", FALSE, EV_SUPPLY_DENY_REASON_CP_STOPPED },
  { "CP-D-BUSY", FALSE, EV_SUPPLY_DENY_REASON_CP_BUSY },
  { "CP-D-SUPPLY", FALSE, EV_SUPPLY_DENY_REASON_CP_BUSY },
  { "CP-D-WAIT", FALSE, EV_SUPPLY_DENY_REASON_CP_BUSY },
  { "CP-D-FREE", TRUE, EV_SUPPLY_DENY_REASON_DRIVER_BUSY },
};

static PeerMonitor *
deny_connect (DenyWorld      *world,
              const char     *cp_id,
              EvCpState       state,
              EvEngineHealth  engine)
{
  PeerMonitor *monitor = connect_new_cp (world->f, cp_id, NULL);

  if (state != EV_CP_STATE_ACTIVE || engine != EV_ENGINE_HEALTH_OK)
    peer_monitor_heartbeat (monitor, state, engine, HEARTBEAT_MS);
  g_ptr_array_add (world->monitors, monitor);
  return monitor;
}

static void
deny_world_prepare (DenyWorld  *world,
                    PeerEngine *busy_engine)
{
  Fixture *f = world->f;
  g_autoptr(GError) error = NULL;

  peer_monitor_close (deny_connect (world, "CP-D-GONE", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK));
  wait_cp_state (f, "CP-D-GONE", EV_CP_STATE_DISCONNECTED);

  deny_connect (world, "CP-D-KO", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_KO);
  wait_cp_state (f, "CP-D-KO", EV_CP_STATE_BROKEN);

  deny_connect (world, "CP-D-STOPKO", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_KO);
  g_assert_true (central_core_stop (f->core, "CP-D-STOPKO", &error));
  g_assert_no_error (error);
  wait_cp_state (f, "CP-D-STOPKO", EV_CP_STATE_BROKEN);

  deny_connect (world, "CP-D-STOP", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
  g_assert_true (central_core_stop (f->core, "CP-D-STOP", &error));
  g_assert_no_error (error);
  wait_cp_state (f, "CP-D-STOP", EV_CP_STATE_STOPPED);

  /* Busy by its own report, without a session. */
  deny_connect (world, "CP-D-SUPPLY", EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK);
  wait_cp_state (f, "CP-D-SUPPLY", EV_CP_STATE_SUPPLYING);
  deny_connect (world, "CP-D-WAIT", EV_CP_STATE_WAITING, EV_ENGINE_HEALTH_OK);
  wait_cp_state (f, "CP-D-WAIT", EV_CP_STATE_WAITING);

  /* Busy by an authorised session (the engine has not started it, so the
   * CP still reports ACTIVE). */
  deny_connect (world, "CP-D-BUSY", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
  start_supply (world->busy_driver, busy_engine, "CP-D-BUSY");

  deny_connect (world, "CP-D-FREE", EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK);
}

static void
test_supply_denials (Fixture       *f,
                     gconstpointer  data)
{
  PeerEngine *busy_engine = peer_engine_new (bootstrap (), "CP-D-BUSY");
  PeerEngine *free_engine = peer_engine_new (bootstrap (), "CP-D-FREE");
  DenyWorld world = { f, NULL, NULL, NULL };
  guint n_requests;

  world.busy_driver = peer_driver_new (bootstrap (), "DRV-D-BUSY");
  world.driver = peer_driver_new (bootstrap (), "DRV-D-FREE");
  world.monitors = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_monitor_free);
  deny_world_prepare (&world, busy_engine);
  n_requests = g_list_model_get_n_items (central_core_get_requests (f->core));
  g_assert_cmpuint (n_requests, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (deny_cases); i++)
    {
      const DenyCase *c = &deny_cases[i];
      PeerDriver *driver = c->busy_driver ? world.busy_driver : world.driver;
      const char *reason = ev_supply_deny_reason_to_string (c->reason);
      g_autofree char *request_id = NULL;
      const EvSupplyResponse *response;

      g_test_message ("case: %s at %s", reason, c->cp_id);
      mark_events (f);
      request_id = peer_driver_request (driver, c->cp_id);
      response = peer_driver_wait_response (driver, request_id);
      g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_DENIED);
      g_assert_cmpstr (ev_supply_deny_reason_to_string (response->reason), ==, reason);
      g_assert_cmpstr (response->cp_id, ==, c->cp_id);
      g_assert_cmpstr (response->driver_id, ==, peer_driver_get_id (driver));
      g_assert_null (response->supply_id);

      wait_event (f, "request", "request_id", request_id, "cp_id", c->cp_id,
                  "driver_id", peer_driver_get_id (driver), "origin", "driver", NULL);
      wait_event (f, "denied", "request_id", request_id, "reason", reason, NULL);
      g_assert_cmpuint (g_list_model_get_n_items (central_core_get_requests (f->core)), ==, n_requests);
    }

  /* Nothing was started anywhere but the one supply. */
  g_assert_cmpuint (peer_engine_count_directives (free_engine, EV_DIRECTIVE_ACTION_START), ==, 0);
  g_assert_cmpuint (peer_engine_count_directives (busy_engine, EV_DIRECTIVE_ACTION_START), ==, 1);
  g_assert_cmpuint (count_events (f, "authorized", NULL), ==, 1);

  g_ptr_array_unref (world.monitors);
  peer_driver_free (world.busy_driver);
  peer_driver_free (world.driver);
  peer_engine_free (busy_engine);
  peer_engine_free (free_engine);
}

/* An authorisation no engine takes up (this peer engine never starts it)
 * ends as not plugged, is withdrawn from the engine, and frees the CP. */
static void
test_supply_unclaimed (Fixture       *f,
                       gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-UNCL", "DRV-UNCL");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-UNCL");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyError *failure;
  const EvDirective *cancel;

  failure = peer_driver_wait_error (rig.driver, supply_id);
  g_assert_cmpint (failure->reason, ==, EV_SUPPLY_ERROR_REASON_NOT_PLUGGED);
  g_assert_cmpstr (failure->cp_id, ==, "CP-UNCL");
  cancel = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_CANCEL, 1);
  g_assert_cmpstr (cancel->supply_id, ==, supply_id);
  g_assert_cmpstr (cancel->target, ==, "CP-UNCL");
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FAILED);
  g_assert_cmpstr (ev_supply_get_reason (stored), ==, "not-plugged");

  /* The CP is not left pending: the next request is authorised. */
  start_supply (rig.driver, rig.engine, "CP-UNCL");
  rig_clear (&rig);
}

/* Publishes a request made a minute ago, as a backlog read late. */
static void
publish_old_request (PeerDriver *driver,
                     const char *request_id,
                     const char *cp_id)
{
  g_autoptr(EvSupplyRequest) request = ev_supply_request_new (request_id, cp_id, peer_driver_get_id (driver),
                                                              EV_SUPPLY_ORIGIN_DRIVER);

  ev_envelope_ensure (&request->envelope);
  request->envelope.ts -= 60000;
  peer_driver_publish_request (driver, request);
}

/* A request read long after it was made (a backlog after a restart) is
 * denied: its driver stopped waiting after 10 s. */
static void
test_supply_stale_request (Fixture       *f,
                           gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-OLD", "DRV-OLD");
  const char *request_id = "0badc0de-0000-4000-8000-000000000001";
  const EvSupplyResponse *response;

  publish_old_request (rig.driver, request_id, "CP-OLD");
  response = peer_driver_wait_response (rig.driver, request_id);
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_DENIED);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_INVALID_REQUEST);

  /* A fresh one is fine. */
  start_supply (rig.driver, rig.engine, "CP-OLD");
  rig_clear (&rig);
}

/* Central stopped right after authorising, before its offset was
 * committed: the next Central reads the request again, long after it was
 * made, while the engine is already charging. The supply is answered as
 * before, never withdrawn, and billed by the engine's ticket. */
static void
test_supply_redelivered_late (Fixture       *f,
                              gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-LATE", "DRV-LATE");
  g_autofree char *request_id = peer_driver_request (rig.driver, "CP-LATE");
  const EvSupplyResponse *response = peer_driver_wait_response (rig.driver, request_id);
  g_autofree char *supply_id = g_strdup (response->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  const EvDirective *start;

  start = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 1);
  wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_AUTHORIZED);

  publish_old_request (rig.driver, request_id, "CP-LATE");

  g_assert_cmpint (peer_driver_wait_response_nth (rig.driver, request_id, 2)->status, ==,
                   EV_SUPPLY_STATUS_AUTHORIZED);
  peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 2);
  progress (rig.engine, rig.driver, start, 1, 1.25);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 1.5, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpfloat_with_epsilon (peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 2)->kwh,
                                  1.5, 1e-9);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 1.5, 1e-9);
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 0);
  g_assert_cmpuint (peer_engine_count_directives (rig.engine, EV_DIRECTIVE_ACTION_CANCEL), ==, 0);
  g_assert_cmpuint (count_events (f, "supply-error", "supply_id", supply_id, NULL), ==, 0);

  rig_clear (&rig);
}

/* The database cannot be written for a while: the engine's figures wait
 * for it and are then stored and relayed once; a request meanwhile is
 * refused at once, `unavailable`, and leaves nothing behind; Central
 * recovers by itself. */
static void
test_supply_store_full (Fixture       *f,
                        gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-FULL", "DRV-FULL");
  Rig other = rig_new (f, "CP-FULL2", "DRV-FULL2");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-FULL");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autofree char *request_id = NULL;
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyResponse *refused;
  JsonObject *event;

  progress (rig.engine, rig.driver, start, 1, 0.5);
  wait_db_kwh (f, supply_id, 0.5);

  mark_events (f);
  /* No file of this process may grow (the core's database is in it). */
  ev_test_set_disk_full (TRUE);
  publish (rig.engine, start, EV_SUPPLY_DATA_PROGRESS, 2, 1.0, EV_TICKET_REASON_NONE);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 3, 1.5, EV_TICKET_REASON_UNPLUGGED);
  event = wait_event (f, "store", NULL);
  g_assert_false (json_object_get_boolean_member (event, "writable"));

  request_id = peer_driver_request (other.driver, "CP-FULL2");
  refused = peer_driver_wait_response (other.driver, request_id);
  g_assert_cmpint (refused->status, ==, EV_SUPPLY_STATUS_DENIED);
  g_assert_cmpint (refused->reason, ==, EV_SUPPLY_DENY_REASON_UNAVAILABLE);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);

  ev_test_set_disk_full (FALSE);
  event = wait_events (f, 2, "store", NULL);
  g_assert_true (json_object_get_boolean_member (event, "writable"));
  g_assert_cmpfloat_with_epsilon (peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 3)->kwh,
                                  1.5, 1e-9);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 1.5, 1e-9);
  assert_money (1.5, ev_supply_get_amount (stored));

  /* Nothing half-done: both CPs and drivers take new supplies. */
  start_supply (other.driver, other.engine, "CP-FULL2");
  barrier (rig.engine, rig.driver, "CP-FULL");
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 1);

  rig_clear (&other);
  rig_clear (&rig);
}

/* The engine reports its CP free while a supply is under way there (it
 * was replaced, or restarted without its journal): after the
 * forgotten-timeout Central ends the supply at a fault, provisionally, so
 * that nothing stays open; a ticket that comes after all settles it. */
static void
test_supply_forgotten (Fixture       *f,
                       gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-FORGOT", "DRV-FORGOT");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-FORGOT");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyError *failure;

  g_object_set (f->core, "forgotten-timeout", 500, NULL);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 1.0);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);

  failure = peer_driver_wait_error (rig.driver, supply_id);
  g_assert_cmpint (failure->reason, ==, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
  g_assert_cmpfloat_with_epsilon (failure->kwh, 1.0, 1e-9);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FAILED);
  g_assert_true (ev_supply_get_provisional (stored));
  g_assert_cmpint (model_find (central_core_get_requests (f->core), supply_id), ==, -1);

  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 1.5, EV_TICKET_REASON_ENGINE_FAULT);
  wait_event (f, "settled", "supply_id", supply_id, NULL);
  g_clear_object (&stored);
  stored = wait_db_kwh (f, supply_id, 1.5);
  g_assert_false (ev_supply_get_provisional (stored));

  rig_clear (&rig);
}

/* Right after a monitor authenticates again (it restarted), Central does
 * not know whether the engine is still supplying: until the first status
 * the CP stays DISCONNECTED and takes no request. */
static void
test_supply_before_first_status (Fixture       *f,
                                 gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-FIRST", "DRV-FIRST");
  g_autofree char *request_id = NULL;
  const EvSupplyResponse *response;
  EvLinkResponse *auth;

  peer_monitor_free (g_steal_pointer (&rig.monitor));
  wait_cp_state (f, "CP-FIRST", EV_CP_STATE_DISCONNECTED);
  rig.monitor = peer_monitor_connect (port (f));
  auth = peer_monitor_auth (rig.monitor, "CP-FIRST", rig.token);
  g_assert_cmpint (auth->status, ==, EV_LINK_STATUS_AUTHORIZED);
  ev_link_response_free (auth);

  request_id = peer_driver_request (rig.driver, "CP-FIRST");
  response = peer_driver_wait_response (rig.driver, request_id);
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_DENIED);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_CP_DISCONNECTED);
  g_assert_cmpint (cp_state (f, "CP-FIRST"), ==, EV_CP_STATE_DISCONNECTED);

  assert_response (peer_monitor_status (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK),
                   EV_LINK_STATUS_OK, EV_LINK_REASON_NONE);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  start_supply (rig.driver, rig.engine, "CP-FIRST");
  rig_clear (&rig);
}

/* A denied request delivered again (Central restarted before its offset
 * was committed) gets the same answer, even if the CP is free by then. */
static void
test_supply_denial_remembered (Fixture       *f,
                               gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-DENY", "DRV-DENY");
  g_autofree char *request_id = NULL;
  const EvSupplyResponse *response;
  g_autoptr(GError) error = NULL;

  g_assert_true (central_core_stop (f->core, "CP-DENY", &error));
  g_assert_no_error (error);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_STOPPED, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  request_id = peer_driver_request (rig.driver, "CP-DENY");
  response = peer_driver_wait_response (rig.driver, request_id);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_CP_STOPPED);

  g_assert_true (central_core_resume (f->core, "CP-DENY", &error));
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  wait_cp_state (f, "CP-DENY", EV_CP_STATE_ACTIVE);
  core_stop (f);
  core_start (f);
  peer_driver_request_again (rig.driver, request_id, "CP-DENY");
  response = peer_driver_wait_response_nth (rig.driver, request_id, 2);
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_DENIED);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_CP_STOPPED);
  g_assert_cmpuint (peer_engine_count_directives (rig.engine, EV_DIRECTIVE_ACTION_START), ==, 0);
  rig_clear (&rig);
}

static void
test_supply_authorized (Fixture       *f,
                        gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-AUTH", "DRV-AUTH");
  g_autofree char *request_id = peer_driver_request (rig.driver, "CP-AUTH");
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyResponse *response, *again;
  const EvDirective *start;
  EvChargingPoint *cp;
  JsonObject *event;
  GListModel *requests;
  gint64 before = g_get_real_time () / 1000;

  response = peer_driver_wait_response (rig.driver, request_id);
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  g_assert_cmpstr (response->cp_id, ==, "CP-AUTH");
  g_assert_true (response->has_price);
  g_assert_cmpfloat_with_epsilon (response->price, PRICE, 1e-9);
  g_assert_true (g_uuid_string_is_valid (response->supply_id));

  start = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 1);
  g_assert_cmpstr (start->target, ==, "CP-AUTH");
  g_assert_cmpstr (start->supply_id, ==, response->supply_id);
  g_assert_cmpstr (start->driver_id, ==, "DRV-AUTH");
  g_assert_cmpfloat_with_epsilon (start->price, PRICE, 1e-9);
  /* About a minute from the authorisation (a minute, give or take the
   * time this test took to see it). */
  g_assert_cmpint (start->expires, >, before + 30000);
  g_assert_cmpint (start->expires, <=, g_get_real_time () / 1000 + 61000);

  wait_event (f, "request", "request_id", request_id, "cp_id", "CP-AUTH",
              "driver_id", "DRV-AUTH", "origin", "driver", NULL);
  event = wait_event (f, "authorized", "request_id", request_id,
                      "supply_id", response->supply_id, "cp_id", "CP-AUTH", "driver_id", "DRV-AUTH", NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "price"), PRICE, 1e-9);
  wait_event (f, "directive", "target", "CP-AUTH", "action", "start", NULL);

  cp = central_core_lookup_cp (f->core, "CP-AUTH");
  g_assert_cmpstr (ev_charging_point_get_driver_id (cp), ==, "DRV-AUTH");
  g_assert_cmpstr (ev_charging_point_get_supply_id (cp), ==, response->supply_id);
  requests = central_core_get_requests (f->core);
  g_assert_cmpint (model_find (requests, response->supply_id), ==, 0);
  {
    g_autoptr(EvSupply) session = g_list_model_get_item (requests, 0);
    g_assert_cmpint (ev_supply_get_phase (session), ==, EV_SUPPLY_PHASE_AUTHORIZED);
  }
  stored = wait_db_phase (f, response->supply_id, EV_SUPPLY_PHASE_AUTHORIZED);
  g_assert_cmpstr (ev_supply_get_driver_id (stored), ==, "DRV-AUTH");
  g_assert_cmpfloat_with_epsilon (ev_supply_get_price (stored), PRICE, 1e-9);

  /* A redelivered request gets the same authorisation, not cp-busy. */
  peer_driver_request_again (rig.driver, request_id, "CP-AUTH");
  start = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 2);
  g_assert_cmpstr (start->supply_id, ==, response->supply_id);
  again = peer_driver_wait_response_nth (rig.driver, request_id, 2);
  g_assert_cmpint (again->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  g_assert_cmpstr (again->supply_id, ==, response->supply_id);
  g_assert_cmpuint (g_list_model_get_n_items (requests), ==, 1);
  g_assert_cmpuint (count_events (f, "denied", "driver_id", "DRV-AUTH", NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "authorized", "supply_id", response->supply_id, NULL), >=, 1);

  rig_clear (&rig);
}

/* A request typed at the station names the driver `station:<cp_id>`. */
static void
test_station_request (Fixture       *f,
                      gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-ST", "station:CP-ST");
  g_autofree char *request_id = peer_engine_request (rig.engine, "station:CP-ST");
  const EvSupplyResponse *response = peer_driver_wait_response (rig.driver, request_id);
  const EvDirective *start;

  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  wait_event (f, "request", "request_id", request_id, "driver_id", "station:CP-ST",
              "origin", "station", NULL);
  start = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 1);
  g_assert_cmpstr (start->driver_id, ==, "station:CP-ST");
  g_assert_cmpstr (start->supply_id, ==, response->supply_id);
  progress (rig.engine, rig.driver, start, 1, 0.5);
  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Live data                                                           */

static void
assert_relayed (const EvSupplyData *relayed,
                const EvDirective  *start,
                const char         *cp_id,
                double              kwh)
{
  g_assert_cmpstr (relayed->supply_id, ==, start->supply_id);
  g_assert_cmpstr (relayed->cp_id, ==, cp_id);
  g_assert_cmpstr (relayed->driver_id, ==, start->driver_id);
  g_assert_cmpfloat_with_epsilon (relayed->kwh, kwh, 1e-9);
  assert_money (relayed->kwh, relayed->amount);
}

static void
test_progress_and_ticket (Fixture       *f,
                          gconstpointer  data)
{
  Rig rig_a = rig_new (f, "CP-PA", "DRV-PA");
  Rig rig_b = rig_new (f, "CP-PB", "DRV-PB");
  const EvDirective *start_a = start_supply (rig_a.driver, rig_a.engine, "CP-PA");
  const EvDirective *start_b = start_supply (rig_b.driver, rig_b.engine, "CP-PB");
  g_autofree char *supply_a = g_strdup (start_a->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyData *relayed;
  EvChargingPoint *cp;
  JsonObject *event;

  relayed = progress (rig_a.engine, rig_a.driver, start_a, 1, 0.5);
  assert_relayed (relayed, start_a, "CP-PA", 0.5);
  g_assert_cmpint (relayed->kind, ==, EV_SUPPLY_DATA_PROGRESS);
  g_assert_cmpint (relayed->source_ts, >, 0);
  {
    /* The relayed copy says when the engine sent it (source_ts). */
    g_autoptr(EvSupplyData) sent = peer_engine_data_new (rig_a.engine, start_a, EV_SUPPLY_DATA_PROGRESS, 2, 1.25);

    ev_envelope_ensure (&sent->envelope);
    sent->envelope.ts -= 3;
    peer_engine_publish (rig_a.engine, sent);
    relayed = peer_driver_wait_data (rig_a.driver, start_a->supply_id, EV_SUPPLY_DATA_PROGRESS, 2);
    g_assert_cmpint (relayed->source_ts, ==, sent->envelope.ts);
    g_assert_cmpint (relayed->envelope.ts, >=, relayed->source_ts);
  }
  assert_relayed (relayed, start_a, "CP-PA", 1.25);
  event = wait_event (f, "progress", "supply_id", supply_a, "cp_id", "CP-PA", "driver_id", "DRV-PA", NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "kwh"), 0.5, 1e-9);

  cp = central_core_lookup_cp (f->core, "CP-PA");
  g_assert_cmpfloat_with_epsilon (ev_charging_point_get_kwh (cp), 1.25, 1e-9);
  assert_money (1.25, ev_charging_point_get_amount (cp));
  g_assert_cmpstr (ev_charging_point_get_driver_id (cp), ==, "DRV-PA");
  g_clear_object (&stored);
  stored = wait_db_phase (f, supply_a, EV_SUPPLY_PHASE_SUPPLYING);

  /* Each driver gets its own supply's data and nothing of the other's. */
  progress (rig_b.engine, rig_b.driver, start_b, 1, 3.0);
  g_assert_cmpuint (peer_driver_count_data (rig_b.driver, supply_a, EV_SUPPLY_DATA_PROGRESS), ==, 0);
  g_assert_cmpuint (peer_driver_count_data (rig_a.driver, start_b->supply_id, EV_SUPPLY_DATA_PROGRESS), ==, 0);
  g_assert_cmpuint (peer_driver_count_data (rig_a.driver, NULL, EV_SUPPLY_DATA_PROGRESS), ==, 2);
  g_assert_cmpuint (peer_driver_count_data (rig_b.driver, NULL, EV_SUPPLY_DATA_PROGRESS), ==, 1);

  /* The ticket, published twice, is recorded and relayed once. */
  mark_events (f);
  publish (rig_a.engine, start_a, EV_SUPPLY_DATA_TICKET, 3, 2.0, EV_TICKET_REASON_UNPLUGGED);
  publish (rig_a.engine, start_a, EV_SUPPLY_DATA_TICKET, 3, 2.0, EV_TICKET_REASON_UNPLUGGED);
  relayed = peer_driver_wait_data (rig_a.driver, supply_a, EV_SUPPLY_DATA_TICKET, 0);
  assert_relayed (relayed, start_a, "CP-PA", 2.0);
  g_assert_cmpint (relayed->reason, ==, EV_TICKET_REASON_UNPLUGGED);
  g_assert_cmpint (relayed->started_at, >, 0);
  g_assert_cmpint (relayed->ended_at, >=, relayed->started_at);
  event = wait_event (f, "ticket", "supply_id", supply_a, "cp_id", "CP-PA", "driver_id", "DRV-PA",
                      "reason", "unplugged", NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "kwh"), 2.0, 1e-9);
  assert_money (2.0, number_member (event, "amount"));

  g_clear_object (&stored);
  stored = wait_db_phase (f, supply_a, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 2.0, 1e-9);
  wait_cp_idle (f, "CP-PA");

  barrier (rig_a.engine, rig_a.driver, "CP-PA");
  g_assert_cmpint (model_find (central_core_get_requests (f->core), supply_a), ==, -1);
  g_assert_cmpuint (peer_driver_count_data (rig_a.driver, supply_a, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_a, NULL), ==, 1);
  g_assert_cmpuint (peer_driver_count_errors (rig_a.driver, supply_a), ==, 0);
  g_assert_cmpint (model_find (central_core_get_history (f->core), supply_a), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_history (f->core)), ==, 1);

  rig_clear (&rig_a);
  rig_clear (&rig_b);
}

typedef enum {
  BAD_SEQ_REPEATED,
  BAD_SEQ_LOWER,
  BAD_ENERGY_DECREASING,
  BAD_AMOUNT,
  BAD_UNKNOWN_SUPPLY,
  BAD_OTHER_DRIVER,
  BAD_OTHER_CP,
  BAD_JSON,
  BAD_MISSING_FIELD,
  BAD_TICKET_AMOUNT,
} BadKind;

typedef struct
{
  const char *what;
  BadKind kind;
  /* May be skipped without an invalid-message event: a seq at or below
   * the last one is what a redelivery looks like. */
  gboolean silent;
} BadCase;

static const BadCase bad_cases[] = {
  { "seq repeated", BAD_SEQ_REPEATED, TRUE },
  { "seq lower", BAD_SEQ_LOWER, TRUE },
  { "energy decreasing", BAD_ENERGY_DECREASING, FALSE },
  { "amount is not kwh x price", BAD_AMOUNT, FALSE },
  { "unknown supply", BAD_UNKNOWN_SUPPLY, FALSE },
  { "another driver", BAD_OTHER_DRIVER, FALSE },
  { "another CP", BAD_OTHER_CP, FALSE },
  { "not JSON", BAD_JSON, FALSE },
  { "no supply_id", BAD_MISSING_FIELD, FALSE },
  { "ticket with a wrong amount", BAD_TICKET_AMOUNT, FALSE },
};

/* Publishes the bad message of @kind after a supply reached @seq / @kwh. */
static void
publish_bad (PeerEngine        *engine,
             const EvDirective *start,
             BadKind            kind,
             guint              seq,
             double             kwh)
{
  g_autoptr(EvSupplyData) data = peer_engine_data_new (engine, start, EV_SUPPLY_DATA_PROGRESS,
                                                       seq + 1, kwh + 1.0);
  g_autofree char *json = NULL;

  switch (kind)
    {
    case BAD_SEQ_REPEATED:
      data->seq = seq;
      break;
    case BAD_SEQ_LOWER:
      data->seq = seq - 1;
      break;
    case BAD_ENERGY_DECREASING:
      data->kwh = kwh - 0.5;
      data->amount = data->kwh * start->price;
      break;
    case BAD_AMOUNT:
      data->amount += 0.5;
      break;
    case BAD_UNKNOWN_SUPPLY:
      g_free (data->supply_id);
      data->supply_id = g_uuid_string_random ();
      break;
    case BAD_OTHER_DRIVER:
      g_free (data->driver_id);
      data->driver_id = g_strdup ("DRV-SOMEONE");
      break;
    case BAD_OTHER_CP:
      g_free (data->cp_id);
      data->cp_id = g_strdup ("CP-ELSEWHERE");
      break;
    case BAD_JSON:
      peer_engine_publish_raw (engine, "supply-data", "{\"v\":1,\"kind\":\"progress\",");
      return;
    case BAD_MISSING_FIELD:
      json = g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"ts\":%" G_GINT64_FORMAT ","
                              "\"kind\":\"progress\",\"cp_id\":\"%s\",\"driver_id\":\"%s\","
                              "\"seq\":%u,\"kwh\":%g,\"amount\":%g}",
                              start->supply_id, g_get_real_time () / 1000, data->cp_id,
                              data->driver_id, data->seq, data->kwh, data->amount);
      peer_engine_publish_raw (engine, "supply-data", json);
      return;
    case BAD_TICKET_AMOUNT:
      data->kind = EV_SUPPLY_DATA_TICKET;
      data->ended_at = MAX (g_get_real_time () / 1000, data->started_at);
      data->reason = EV_TICKET_REASON_UNPLUGGED;
      data->amount *= 2;
      break;
    default:
      g_assert_not_reached ();
    }

  peer_engine_publish (engine, data);
}

static void
test_invalid_data (Fixture       *f,
                   gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-BAD", "DRV-BAD");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-BAD");
  double kwh = 1.0;
  guint seq = 1;
  EvChargingPoint *cp = central_core_lookup_cp (f->core, "CP-BAD");

  progress (rig.engine, rig.driver, start, seq, kwh);

  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      guint invalid;

      g_test_message ("case: %s", c->what);
      mark_events (f);
      invalid = count_events (f, "invalid-message", "topic", "supply-data", NULL);
      publish_bad (rig.engine, start, c->kind, seq, kwh);

      /* The next good message is processed after the bad one (same key),
       * and relayed right after whatever the bad one would have caused. */
      seq++;
      kwh += 0.25;
      progress (rig.engine, rig.driver, start, seq, kwh);
      wait_event (f, "progress", "supply_id", start->supply_id, NULL);

      g_assert_cmpuint (peer_driver_count_data (rig.driver, NULL, EV_SUPPLY_DATA_PROGRESS), ==, seq);
      g_assert_cmpuint (peer_driver_count_data (rig.driver, NULL, EV_SUPPLY_DATA_TICKET), ==, 0);
      g_assert_cmpuint (peer_driver_count_errors (rig.driver, start->supply_id), ==, 0);
      g_assert_cmpuint (count_events (f, "progress", "supply_id", start->supply_id, NULL), ==, seq);
      g_assert_cmpuint (count_events (f, "ticket", "cp_id", "CP-BAD", NULL), ==, 0);
      if (!c->silent)
        g_assert_cmpuint (count_events (f, "invalid-message", "topic", "supply-data", NULL), >, invalid);
      g_assert_cmpfloat_with_epsilon (ev_charging_point_get_kwh (cp), kwh, 1e-9);
      g_assert_cmpstr (ev_charging_point_get_supply_id (cp), ==, start->supply_id);
    }

  /* Still working: the supply ends normally. */
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, seq + 1, kwh, EV_TICKET_REASON_UNPLUGGED);
  g_object_unref (wait_db_phase (f, start->supply_id, EV_SUPPLY_PHASE_FINISHED));
  peer_driver_wait_data (rig.driver, start->supply_id, EV_SUPPLY_DATA_TICKET, seq + 1);

  rig_clear (&rig);
}

/* The engine's own failure tickets become supply-error. */
static const EvTicketReason failure_reasons[] = {
  EV_TICKET_REASON_NOT_PLUGGED,
  EV_TICKET_REASON_ENGINE_FAULT,
};

static void
test_failure_tickets (Fixture       *f,
                      gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-FT", "DRV-FT");
  g_autoptr(GPtrArray) supplies = g_ptr_array_new_with_free_func (g_free);
  GListModel *history;

  for (guint i = 0; i < G_N_ELEMENTS (failure_reasons); i++)
    {
      const char *reason = ev_ticket_reason_to_string (failure_reasons[i]);
      const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-FT");
      g_autofree char *supply_id = g_strdup (start->supply_id);
      double kwh = failure_reasons[i] == EV_TICKET_REASON_NOT_PLUGGED ? 0.0 : 1.5;
      const EvSupplyError *error;
      g_autoptr(EvSupply) stored = NULL;
      JsonObject *event;

      g_test_message ("case: %s", reason);
      if (kwh > 0)
        progress (rig.engine, rig.driver, start, 1, kwh);
      publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, kwh, failure_reasons[i]);

      error = peer_driver_wait_error (rig.driver, supply_id);
      g_assert_cmpstr (ev_supply_error_reason_to_string (error->reason), ==, reason);
      g_assert_cmpstr (error->cp_id, ==, "CP-FT");
      g_assert_cmpfloat_with_epsilon (error->kwh, kwh, 1e-9);
      assert_money (kwh, error->amount);
      event = wait_event (f, "supply-error", "supply_id", supply_id, "reason", reason, NULL);
      g_assert_cmpfloat_with_epsilon (number_member (event, "kwh"), kwh, 1e-9);
      stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FAILED);
      g_ptr_array_add (supplies, g_steal_pointer (&supply_id));
    }

  /* Concluded: out of the requests, into the history (newest first). */
  barrier (rig.engine, rig.driver, "CP-FT");
  history = central_core_get_history (f->core);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, supplies->len);
  for (guint i = 0; i < supplies->len; i++)
    {
      const char *supply_id = g_ptr_array_index (supplies, i);

      g_assert_cmpint (model_find (history, supply_id), ==, supplies->len - 1 - i);
      g_assert_cmpint (model_find (central_core_get_requests (f->core), supply_id), ==, -1);
      g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 0);
      g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);
    }

  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Faults during a supply                                              */

typedef struct
{
  const char *cp_id;
  const char *driver_id;
  EvCpState state;
  EvSupplyErrorReason reason;
  EvTicketReason ticket;        /* the engine's own, after the fault */
  EvSupplyPhase settled_phase;
} FaultCase;

static const FaultCase fault_broken = {
  "CP-F-KO", "DRV-F-KO", EV_CP_STATE_BROKEN, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT,
  EV_TICKET_REASON_ENGINE_FAULT, EV_SUPPLY_PHASE_FAILED,
};
static const FaultCase fault_disconnected = {
  "CP-F-GONE", "DRV-F-GONE", EV_CP_STATE_DISCONNECTED, EV_SUPPLY_ERROR_REASON_CP_DISCONNECTED,
  EV_TICKET_REASON_UNPLUGGED, EV_SUPPLY_PHASE_FINISHED,
};

static void
test_fault_during_supply (Fixture       *f,
                          gconstpointer  data)
{
  const FaultCase *c = data;
  Rig rig = rig_new (f, c->cp_id, c->driver_id);
  const EvDirective *start = start_supply (rig.driver, rig.engine, c->cp_id);
  g_autofree char *supply_id = g_strdup (start->supply_id);
  const char *reason = ev_supply_error_reason_to_string (c->reason);
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyError *error;
  JsonObject *event;

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 0.75);
  progress (rig.engine, rig.driver, start, 2, 2.5);

  mark_events (f);
  if (c->state == EV_CP_STATE_BROKEN)
    peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_KO, HEARTBEAT_MS);
  else
    peer_monitor_close (rig.monitor);
  wait_cp_state (f, c->cp_id, c->state);

  error = peer_driver_wait_error (rig.driver, supply_id);
  g_assert_cmpstr (ev_supply_error_reason_to_string (error->reason), ==, reason);
  g_assert_cmpstr (error->cp_id, ==, c->cp_id);
  g_assert_cmpfloat_with_epsilon (error->kwh, 2.5, 1e-9);
  assert_money (2.5, error->amount);
  event = wait_event (f, "supply-error", "supply_id", supply_id, "reason", reason, NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "kwh"), 2.5, 1e-9);
  assert_money (2.5, number_member (event, "amount"));
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FAILED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 2.5, 1e-9);

  /* The engine went on: its progress keeps the stored figures up with its
   * meter, its ticket settles the supply — stored once, relayed once. */
  mark_events (f);
  publish (rig.engine, start, EV_SUPPLY_DATA_PROGRESS, 3, 2.6, EV_TICKET_REASON_NONE);
  g_clear_object (&stored);
  stored = wait_db_kwh (f, supply_id, 2.6);
  g_assert_cmpint (ev_supply_get_phase (stored), ==, EV_SUPPLY_PHASE_FAILED);
  g_assert_true (ev_supply_get_provisional (stored));
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 4, 2.75, c->ticket);
  event = wait_event (f, "settled", "supply_id", supply_id, "fault", reason,
                      "reason", ev_ticket_reason_to_string (c->ticket), NULL);
  g_assert_cmpfloat_with_epsilon (number_member (event, "kwh"), 2.75, 1e-9);
  assert_money (2.75, number_member (event, "amount"));
  g_assert_cmpfloat_with_epsilon (peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 4)->kwh,
                                  2.75, 1e-9);

  /* Repeated (a redelivery), it changes nothing. */
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 4, 2.75, c->ticket);
  if (c->state == EV_CP_STATE_DISCONNECTED)
    {
      peer_monitor_free (rig.monitor);
      rig.monitor = connect_known_cp (f, c->cp_id, rig.token, EV_CP_STATE_ACTIVE);
    }
  else
    peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  wait_cp_state (f, c->cp_id, EV_CP_STATE_ACTIVE);
  barrier (rig.engine, rig.driver, c->cp_id);
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 1);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (count_events (f, "settled", "supply_id", supply_id, NULL), ==, 1);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 0);
  g_assert_cmpint (model_find (central_core_get_requests (f->core), supply_id), ==, -1);
  g_assert_cmpint (model_find (central_core_get_history (f->core), supply_id), ==, 0);
  {
    g_autoptr(EvSupply) shown = g_list_model_get_item (central_core_get_history (f->core), 0);

    g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (shown), 2.75, 1e-9);
  }
  g_clear_object (&stored);
  stored = db_lookup (f, supply_id);
  g_assert_cmpint (ev_supply_get_phase (stored), ==, c->settled_phase);
  g_assert_cmpstr (ev_supply_get_reason (stored), ==, ev_ticket_reason_to_string (c->ticket));
  g_assert_false (ev_supply_get_provisional (stored));
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 2.75, 1e-9);
  assert_money (2.75, ev_supply_get_amount (stored));

  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Operator                                                            */

static void
assert_directive (const EvDirective *directive,
                  const char        *target,
                  EvDirectiveAction  action)
{
  gint64 now = g_get_real_time () / 1000;

  g_assert_cmpstr (directive->target, ==, target);
  g_assert_cmpint (directive->action, ==, action);
  g_assert_cmpint (directive->expires, >, now);
  g_assert_cmpint (directive->expires, <=, now + 31000);
}

typedef gboolean (*OperatorFunc) (CentralCore *, const char *, GError **);

static void
operator (Fixture      *f,
          OperatorFunc  func,
          const char   *cp_id)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (func (f->core, cp_id, &error));
  g_assert_no_error (error);
}

static void
test_stop_resume_one (Fixture       *f,
                      gconstpointer  data)
{
  PeerMonitor *other = connect_new_cp (f, "CP-OP2", NULL);
  Rig rig = rig_new (f, "CP-OP", "DRV-OP");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-OP");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autofree char *open_supply = NULL;
  const EvSupplyData *relayed;
  guint stops;

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 1.0);

  /* Stop: STOPPED at once even though the monitor reports SUPPLYING. */
  mark_events (f);
  operator (f, central_core_stop, "CP-OP");
  g_assert_cmpint (cp_state (f, "CP-OP"), ==, EV_CP_STATE_STOPPED);
  assert_directive (peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_STOP, 1),
                    "CP-OP", EV_DIRECTIVE_ACTION_STOP);
  wait_event (f, "directive", "target", "CP-OP", "action", "stop", NULL);
  g_assert_cmpint (cp_state (f, "CP-OP2"), ==, EV_CP_STATE_ACTIVE);

  /* The engine ends the supply; its ticket is relayed as any other. */
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 1.5, EV_TICKET_REASON_STOPPED_BY_CENTRAL);
  relayed = peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpint (relayed->reason, ==, EV_TICKET_REASON_STOPPED_BY_CENTRAL);
  g_object_unref (wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED));
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 0);

  /* Reports other than STOPPED/BROKEN do not make it available, and
   * Central repeats the stop. */
  stops = peer_engine_count_directives (rig.engine, EV_DIRECTIVE_ACTION_STOP);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_STOP, stops + 1);
  g_assert_cmpint (cp_state (f, "CP-OP"), ==, EV_CP_STATE_STOPPED);

  /* Remembered across a restart. */
  peer_monitor_free (rig.monitor);
  peer_monitor_free (other);
  core_stop (f);
  core_start (f);
  rig.monitor = connect_known_cp (f, "CP-OP", rig.token, EV_CP_STATE_ACTIVE);
  wait_cp_state (f, "CP-OP", EV_CP_STATE_STOPPED);

  /* Resume: ACTIVE at once. */
  mark_events (f);
  operator (f, central_core_resume, "CP-OP");
  g_assert_cmpint (cp_state (f, "CP-OP"), ==, EV_CP_STATE_ACTIVE);
  assert_directive (peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_RESUME, 1),
                    "CP-OP", EV_DIRECTIVE_ACTION_RESUME);
  wait_event (f, "directive", "target", "CP-OP", "action", "resume", NULL);
  /* Stays ACTIVE with the monitor reporting, and after a restart. */
  open_supply = g_strdup (barrier (rig.engine, rig.driver, "CP-OP")->supply_id);
  peer_monitor_free (rig.monitor);
  core_stop (f);
  core_start (f);
  rig.monitor = connect_known_cp (f, "CP-OP", rig.token, EV_CP_STATE_ACTIVE);
  wait_cp_state (f, "CP-OP", EV_CP_STATE_ACTIVE);

  /* The restarted Central loaded the open supply into the requests and
   * the concluded one into the history. */
  g_assert_cmpint (model_find (central_core_get_requests (f->core), open_supply), ==, 0);
  g_assert_cmpint (model_find (central_core_get_history (f->core), supply_id), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_history (f->core)), ==, 1);

  rig_clear (&rig);
}

static void
test_stop_resume_all (Fixture       *f,
                      gconstpointer  data)
{
  const char * const cps[] = { "CP-ALL1", "CP-ALL2" };
  PeerMonitor *monitors[G_N_ELEMENTS (cps)];
  PeerEngine *engines[G_N_ELEMENTS (cps)];

  for (guint i = 0; i < G_N_ELEMENTS (cps); i++)
    {
      monitors[i] = connect_new_cp (f, cps[i], NULL);
      engines[i] = peer_engine_new (bootstrap (), cps[i]);
    }

  mark_events (f);
  operator (f, central_core_stop, NULL);
  wait_event (f, "directive", "target", "all", "action", "stop", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cps); i++)
    {
      g_assert_cmpint (cp_state (f, cps[i]), ==, EV_CP_STATE_STOPPED);
      assert_directive (peer_engine_wait_directive (engines[i], EV_DIRECTIVE_ACTION_STOP, 1),
                        "all", EV_DIRECTIVE_ACTION_STOP);
    }

  mark_events (f);
  operator (f, central_core_resume, NULL);
  wait_event (f, "directive", "target", "all", "action", "resume", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cps); i++)
    {
      g_assert_cmpint (cp_state (f, cps[i]), ==, EV_CP_STATE_ACTIVE);
      assert_directive (peer_engine_wait_directive (engines[i], EV_DIRECTIVE_ACTION_RESUME, 1),
                        "all", EV_DIRECTIVE_ACTION_RESUME);
      peer_engine_free (engines[i]);
      peer_monitor_free (monitors[i]);
    }
}

typedef struct
{
  OperatorFunc func;
  const char *cp_id;
  CentralCoreError code;
} OperatorErrorCase;

static const OperatorErrorCase operator_errors[] = {
  { central_core_stop, "CP-NOT-THERE", CENTRAL_CORE_ERROR_UNKNOWN_CP },
  { central_core_resume, "CP-NOT-THERE", CENTRAL_CORE_ERROR_UNKNOWN_CP },
  { central_core_stop, "bad id!", CENTRAL_CORE_ERROR_INVALID_ARGUMENT },
  { central_core_resume, "", CENTRAL_CORE_ERROR_INVALID_ARGUMENT },
};

static void
test_operator_errors (Fixture       *f,
                      gconstpointer  data)
{
  PeerMonitor *monitor = connect_new_cp (f, "CP-OPERR", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (operator_errors); i++)
    {
      const OperatorErrorCase *c = &operator_errors[i];
      g_autoptr(GError) error = NULL;

      g_assert_false (c->func (f->core, c->cp_id, &error));
      g_assert_error (error, CENTRAL_CORE_ERROR, (int) c->code);
    }

  /* Nothing happened to the CP that exists. */
  g_assert_cmpint (cp_state (f, "CP-OPERR"), ==, EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (count_events (f, "directive", NULL), ==, 0);
  peer_monitor_free (monitor);
}

/* ------------------------------------------------------------------ */
/* Restart in the middle of a supply                                   */

static void
test_restart_mid_supply (Fixture       *f,
                         gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-RS", "DRV-RS");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-RS");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  const EvSupplyData *relayed;
  const EvDirective *later;

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 1.0);
  progress (rig.engine, rig.driver, start, 2, 2.0);

  /* Central goes away; the supply goes on. */
  core_stop (f);
  peer_monitor_wait_closed (rig.monitor);
  peer_monitor_free (rig.monitor);
  publish (rig.engine, start, EV_SUPPLY_DATA_PROGRESS, 3, 3.0, EV_TICKET_REASON_NONE);
  publish (rig.engine, start, EV_SUPPLY_DATA_PROGRESS, 4, 4.0, EV_TICKET_REASON_NONE);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 5, 4.5, EV_TICKET_REASON_UNPLUGGED);
  /* A second copy, as a retrying producer might send. */
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 5, 4.5, EV_TICKET_REASON_UNPLUGGED);

  /* Back on the same database and group: what was streamed meanwhile is
   * processed, the open supply was not failed. */
  mark_events (f);
  core_start (f);
  g_assert_cmpint (cp_state (f, "CP-RS"), ==, EV_CP_STATE_DISCONNECTED);
  relayed = peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpfloat_with_epsilon (relayed->kwh, 4.5, 1e-9);
  assert_money (4.5, relayed->amount);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 4.5, 1e-9);

  rig.monitor = connect_known_cp (f, "CP-RS", rig.token, EV_CP_STATE_ACTIVE);
  wait_cp_state (f, "CP-RS", EV_CP_STATE_ACTIVE);
  later = barrier (rig.engine, rig.driver, "CP-RS");

  /* Everything exactly once, across both Centrals. */
  for (guint seq = 1; seq <= 4; seq++)
    {
      relayed = peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_PROGRESS, seq);
      g_assert_cmpfloat_with_epsilon (relayed->kwh, seq, 1e-9);
    }
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_PROGRESS), ==, 4);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 0);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 1);
  g_assert_cmpuint (count_events (f, "progress", "supply_id", supply_id, NULL), ==, 4);
  g_assert_cmpuint (count_events (f, "supply-error", "supply_id", supply_id, NULL), ==, 0);
  g_assert_cmpint (model_find (central_core_get_history (f->core), supply_id), >=, 0);
  g_assert_cmpint (model_find (central_core_get_requests (f->core), supply_id), ==, -1);

  /* The ticket delivered again to a Central that has not relayed it
   * changes nothing, and is not relayed again: the relay went through the
   * outbox, written with the ticket, and its row is gone only because the
   * broker has it (/central/supply/outbox-after-restart is the Central
   * that stopped before). Before the outbox, this Central relayed it a
   * second time, in case the first relay had been lost. */
  core_stop (f);
  mark_events (f);
  core_start (f);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 5, 4.5, EV_TICKET_REASON_UNPLUGGED);
  publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 5, 4.5, EV_TICKET_REASON_UNPLUGGED);
  /* Same CP, same partition: processed after both copies; same driver,
   * relayed after anything they caused. */
  progress (rig.engine, rig.driver, later, 2, 0.2);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 1);
  assert_outbox_empty (f);
  g_clear_object (&stored);
  stored = db_lookup (f, supply_id);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 4.5, 1e-9);

  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* The outbox                                                          */

/* A ticket Central stored while its relay could not reach the broker
 * (every produce request refused), then Central stopped: the stop drops
 * the relay (its bus gives up after 2 s), but its row stays in the
 * outbox, committed with the ticket, and the next Central sends it. The
 * broker refuses produce requests with an error producers retry
 * (ev-broker's `produce-errors`), which keeps the relay in flight as a
 * flapping broker would, while the engine's ticket is already in. */
static void
test_outbox_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-OUTBOX", "DRV-OUTBOX");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-OUTBOX");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvSupplyData) ticket = NULL;
  g_autoptr(EvSupplyData) relayed = NULL;
  g_autoptr(EvSupply) stored = NULL;
  g_autoptr(GBytes) payload = NULL;
  const EvSupplyData *received;
  const EvDirective *later;
  gsize length = 0;
  const char *json;

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 1.0);

  /* The engine's ticket is in Kafka before Central reads it, and nothing
   * produced after it gets there. */
  core_stop (f);
  peer_monitor_wait_closed (rig.monitor);
  g_clear_pointer (&rig.monitor, peer_monitor_free);
  ticket = peer_engine_data_new (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 2.5);
  peer_engine_publish_delivered (rig.engine, ticket);
  peer_broker_set_produce_errors (broker, OUTBOX_PRODUCE_ERRORS);

  mark_events (f);
  core_start (f);
  wait_event (f, "ticket", "supply_id", supply_id, NULL);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 2.5, 1e-9);
  core_stop (f);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);

  /* The relay is in the outbox: the very bytes Central meant to send. */
  payload = db_outbox_single (f, "supply-data2", "DRV-OUTBOX");
  json = g_bytes_get_data (payload, &length);
  relayed = ev_supply_data_from_json (json, length, NULL);
  g_assert_nonnull (relayed);
  g_assert_cmpstr (relayed->supply_id, ==, supply_id);
  g_assert_cmpint (relayed->kind, ==, EV_SUPPLY_DATA_TICKET);
  g_assert_cmpfloat_with_epsilon (relayed->kwh, 2.5, 1e-9);

  /* The broker takes messages again; a new Central sends the row. */
  peer_broker_set_produce_errors (broker, 0);
  mark_events (f);
  core_start (f);
  received = peer_driver_wait_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET, 0);
  g_assert_cmpstr (received->envelope.id, ==, relayed->envelope.id);
  g_assert_cmpfloat_with_epsilon (received->kwh, 2.5, 1e-9);
  assert_money (2.5, received->amount);
  g_assert_cmpint (received->reason, ==, EV_TICKET_REASON_UNPLUGGED);
  wait_outbox_empty (f);

  /* Once: nothing else reaches the driver, nothing is billed twice. */
  rig.monitor = connect_known_cp (f, "CP-OUTBOX", rig.token, EV_CP_STATE_ACTIVE);
  wait_cp_state (f, "CP-OUTBOX", EV_CP_STATE_ACTIVE);
  later = barrier (rig.engine, rig.driver, "CP-OUTBOX");
  g_assert_cmpuint (peer_driver_count_data (rig.driver, supply_id, EV_SUPPLY_DATA_TICKET), ==, 1);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", supply_id, NULL), ==, 1);
  g_clear_object (&stored);
  stored = db_lookup (f, supply_id);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (stored), 2.5, 1e-9);

  /* A Central that stops right after it relayed a ticket (its delivery
   * report not back yet) waits for the report: the row goes, and nothing
   * is left to send again. */
  mark_events (f);
  publish (rig.engine, later, EV_SUPPLY_DATA_TICKET, 2, 0.5, EV_TICKET_REASON_UNPLUGGED);
  wait_event (f, "ticket", "supply_id", later->supply_id, NULL);
  core_stop (f);
  assert_outbox_empty (f);
  peer_driver_wait_data (rig.driver, later->supply_id, EV_SUPPLY_DATA_TICKET, 0);

  rig_clear (&rig);
}

/* A supply Central ends at a fault: its `supply-error` is in the outbox
 * from the commit that ends the supply (the same transaction) until the
 * broker has it, then it is gone. */
static void
test_outbox_supply_error (Fixture       *f,
                          gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-OUTERR", "DRV-OUTERR");
  const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-OUTERR");
  g_autofree char *supply_id = g_strdup (start->supply_id);
  g_autoptr(EvSupply) stored = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(EvSupplyError) written = NULL;
  const EvSupplyError *received;
  gsize length = 0;
  const char *json;

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  progress (rig.engine, rig.driver, start, 1, 1.25);

  peer_broker_set_produce_errors (broker, OUTBOX_PRODUCE_ERRORS);
  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_SUPPLYING, EV_ENGINE_HEALTH_KO, HEARTBEAT_MS);
  wait_event (f, "supply-error", "supply_id", supply_id, NULL);
  stored = wait_db_phase (f, supply_id, EV_SUPPLY_PHASE_FAILED);

  payload = db_outbox_single (f, "supply-error", "DRV-OUTERR");
  json = g_bytes_get_data (payload, &length);
  written = ev_supply_error_from_json (json, length, NULL);
  g_assert_nonnull (written);
  g_assert_cmpstr (written->supply_id, ==, supply_id);
  g_assert_cmpint (written->reason, ==, EV_SUPPLY_ERROR_REASON_ENGINE_FAULT);
  g_assert_cmpfloat_with_epsilon (written->kwh, 1.25, 1e-9);
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 0);

  peer_broker_set_produce_errors (broker, 0);
  received = peer_driver_wait_error (rig.driver, supply_id);
  g_assert_cmpstr (received->envelope.id, ==, written->envelope.id);
  wait_outbox_empty (f);

  peer_monitor_heartbeat (rig.monitor, EV_CP_STATE_ACTIVE, EV_ENGINE_HEALTH_OK, HEARTBEAT_MS);
  wait_cp_state (f, "CP-OUTERR", EV_CP_STATE_ACTIVE);
  barrier (rig.engine, rig.driver, "CP-OUTERR");
  g_assert_cmpuint (peer_driver_count_errors (rig.driver, supply_id), ==, 1);

  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Malformed Kafka messages                                            */

static const char * const bad_requests[] = {
  "not json at all",
  "{\"v\":1,\"request_id\":",
  "{\"v\":1,\"id\":\"8a1f3c52-3f0e-4c43-9d55-2f0d0b7e6f10\",\"ts\":1700000000000,"
  "\"request_id\":\"8a1f3c52-3f0e-4c43-9d55-2f0d0b7e6f11\",\"cp_id\":\"bad id!\","
  "\"driver_id\":\"DRV-MAL\",\"origin\":\"driver\"}",
  "{\"v\":2,\"request_id\":\"8a1f3c52-3f0e-4c43-9d55-2f0d0b7e6f12\",\"cp_id\":\"CP-MAL\"}",
  "[]",
};

static void
test_malformed_requests (Fixture       *f,
                         gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-MAL", "DRV-MAL");

  mark_events (f);
  for (guint i = 0; i < G_N_ELEMENTS (bad_requests); i++)
    peer_engine_publish_raw (rig.engine, "supply-req", bad_requests[i]);

  /* Skipped, each with an event; a good request after them works. */
  start_supply (rig.driver, rig.engine, "CP-MAL");
  wait_events (f, G_N_ELEMENTS (bad_requests), "invalid-message", "topic", "supply-req", NULL);
  g_assert_cmpuint (count_events (f, "denied", "driver_id", "DRV-MAL", NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "request", "cp_id", "CP-MAL", NULL), ==, 1);

  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* Signed messages                                                     */

/* Another key for a driver id already bound: the request is skipped as
 * invalid (so the real driver is not refused `driver-busy` afterwards);
 * so is an unsigned one. The operator can unbind a lost key. */
static void
test_driver_impersonation (Fixture       *f,
                           gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-IMP", "DRV-IMP");
  PeerDriver *impostor = peer_driver_new (bootstrap (), "DRV-IMP");
  g_autofree char *first = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *real = NULL;
  g_autofree char *stored_key = NULL;
  g_autoptr(EvSupplyRequest) unsigned_request = NULL;
  g_autofree char *unsigned_json = NULL;
  g_autoptr(GError) error = NULL;
  const EvSupplyResponse *response;

  /* The first signed request binds the id (denied: no such CP). */
  first = peer_driver_request (rig.driver, "CP-NOWHERE");
  response = peer_driver_wait_response (rig.driver, first);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_UNKNOWN_CP);

  mark_events (f);
  forged = peer_driver_request (impostor, "CP-IMP");
  unsigned_request = ev_supply_request_new ("6b0e5a52-0c1f-4f5e-9d1a-2b3c4d5e6f70", "CP-IMP", "DRV-IMP",
                                            EV_SUPPLY_ORIGIN_DRIVER);
  unsigned_json = ev_supply_request_to_json (unsigned_request, NULL);
  peer_engine_publish_raw (rig.engine, "supply-req", unsigned_json);
  wait_events (f, 2, "invalid-message", "topic", "supply-req", NULL);

  real = peer_driver_request (rig.driver, "CP-IMP");
  response = peer_driver_wait_response (rig.driver, real);
  g_assert_cmpint (response->status, ==, EV_SUPPLY_STATUS_AUTHORIZED);
  g_assert_cmpuint (peer_driver_count_responses (rig.driver, forged), ==, 0);
  g_assert_cmpuint (count_events (f, "request", "request_id", forged, NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "denied", "driver_id", "DRV-IMP", "reason", "driver-busy", NULL), ==, 0);

  /* The binding is in the database. */
  g_assert_true (central_core_flush (f->core, &error));
  {
    g_autoptr(EvStore) store = ev_store_open (f->db_path, &error);

    g_assert_no_error (error);
    g_assert_true (ev_store_get_driver_key (store, "DRV-IMP", &stored_key, &error));
    g_assert_nonnull (stored_key);
  }

  /* Unbound on the operator's word: the next key binds anew. */
  g_assert_false (central_core_forget_driver_key (f->core, "DRV-NOBODY", &error));
  g_clear_error (&error);
  g_assert_true (central_core_forget_driver_key (f->core, "DRV-IMP", &error));
  g_assert_no_error (error);
  wait_event (f, "driver-key-forgotten", "driver_id", "DRV-IMP", NULL);
  g_clear_pointer (&forged, g_free);
  forged = peer_driver_request (impostor, "CP-NOWHERE");
  response = peer_driver_wait_response (impostor, forged);
  g_assert_cmpint (response->reason, ==, EV_SUPPLY_DENY_REASON_UNKNOWN_CP);

  peer_driver_free (impostor);
  rig_clear (&rig);
}

/* Like publish(), waiting until the broker has it: what another producer
 * publishes afterwards on the CP's partition comes behind it. */
static void
publish_delivered (PeerEngine        *engine,
                   const EvDirective *start,
                   EvSupplyDataKind   kind,
                   guint              seq,
                   double             kwh,
                   EvTicketReason     reason)
{
  g_autoptr(EvSupplyData) data = supply_data_new (engine, start, kind, seq, kwh, reason);

  peer_engine_publish_delivered (engine, data);
}

/* Gives CP-KEY a new key: the operator resets its token, and its monitor
 * registers again on a new link (as a monitor does when refused). */
static PeerMonitor *
renew_cp_key (Fixture     *f,
              PeerMonitor *monitor)
{
  g_autofree char *before = g_strdup (peer_cp_key ("CP-KEY"));
  g_autoptr(GError) error = NULL;

  mark_events (f);
  g_assert_true (central_core_reset_token (f->core, "CP-KEY", &error));
  g_assert_no_error (error);
  wait_event (f, "cp-disconnected", "cp_id", "CP-KEY", NULL);
  peer_monitor_free (monitor);
  monitor = connect_new_cp (f, "CP-KEY", NULL);
  g_assert_nonnull (peer_cp_key ("CP-KEY"));
  g_assert_cmpstr (peer_cp_key ("CP-KEY"), !=, before);
  return monitor;
}

/* Charging-point keys (docs/protocol.md): progress, tickets and station
 * requests without the MAC of their CP's key are skipped, so nobody on
 * the bus can bill for a CP or ask as anyone at its station; a flood of
 * them is logged once. A key replaced at a new registration still
 * settles the supply that started before; after that it is good for
 * nothing (no overlap in this fixture). */
static void
test_cp_keys (Fixture       *f,
              gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-KEY", "DRV-KEY");
  PeerEngine *forger = peer_engine_new (bootstrap (), "CP-KEY");
  PeerEngine *stale = peer_engine_new (bootstrap (), "CP-KEY");
  g_autofree char *first_key = g_strdup (peer_cp_key ("CP-KEY"));
  g_autofree char *other_key = NULL;
  g_autofree char *second_key = NULL;
  g_autofree char *forged_request = NULL;
  g_autofree char *real_request = NULL;
  g_autoptr(EvSupply) settled = NULL;
  const EvDirective *start;
  const EvSupplyData *ticket;
  EvCpKey random_key;

  g_assert_nonnull (first_key);
  g_assert_true (ev_cp_key_generate (&random_key, NULL));
  other_key = ev_cp_key_to_base64 (&random_key);

  start = start_supply (rig.driver, rig.engine, "CP-KEY");
  progress (rig.engine, rig.driver, start, 1, 0.5);

  /* Forgeries of the live supply: unsigned, and signed by another key. */
  mark_events (f);
  peer_engine_use_key (forger, NULL);
  publish_delivered (forger, start, EV_SUPPLY_DATA_PROGRESS, 2, 50.0, EV_TICKET_REASON_NONE);
  publish_delivered (forger, start, EV_SUPPLY_DATA_TICKET, 3, 99999.0, EV_TICKET_REASON_UNPLUGGED);
  peer_engine_use_key (forger, other_key);
  publish_delivered (forger, start, EV_SUPPLY_DATA_PROGRESS, 2, 50.0, EV_TICKET_REASON_NONE);
  publish_delivered (forger, start, EV_SUPPLY_DATA_TICKET, 3, 99999.0, EV_TICKET_REASON_UNPLUGGED);
  /* Behind them on the CP's partition: the engine's own progress. */
  progress (rig.engine, rig.driver, start, 2, 1.0);
  g_assert_cmpuint (count_events (f, "ticket", "cp_id", "CP-KEY", NULL), ==, 0);
  g_assert_cmpuint (peer_driver_count_data (rig.driver, start->supply_id, EV_SUPPLY_DATA_TICKET), ==, 0);
  g_assert_cmpfloat_with_epsilon (ev_charging_point_get_kwh (central_core_lookup_cp (f->core, "CP-KEY")), 1.0, 1e-9);
  /* Four forgeries, one line in the log (once a minute per CP). */
  g_assert_cmpuint (count_events (f, "invalid-message", "topic", "supply-data", "cp_id", "CP-KEY", NULL), ==, 1);

  /* A new registration, a new key: the ticket of the supply under way,
   * made with the key it started under, still settles it, once. */
  rig.monitor = renew_cp_key (f, rig.monitor);
  peer_engine_use_key (stale, first_key);
  publish (stale, start, EV_SUPPLY_DATA_TICKET, 3, 1.25, EV_TICKET_REASON_UNPLUGGED);
  ticket = peer_driver_wait_data (rig.driver, start->supply_id, EV_SUPPLY_DATA_TICKET, 3);
  g_assert_cmpfloat_with_epsilon (ticket->kwh, 1.25, 1e-9);
  settled = wait_db_phase (f, start->supply_id, EV_SUPPLY_PHASE_FINISHED);
  g_assert_cmpfloat_with_epsilon (ev_supply_get_kwh (settled), 1.25, 1e-9);
  wait_cp_idle (f, "CP-KEY");

  /* Replaced once more, while the CP is idle. */
  second_key = g_strdup (peer_cp_key ("CP-KEY"));
  rig.monitor = renew_cp_key (f, rig.monitor);

  /* A station request must carry the MAC too: a forged one is skipped,
   * the station's own is taken. */
  mark_events (f);
  peer_engine_use_key (forger, other_key);
  forged_request = peer_engine_request (forger, "DRV-KEY-FORGED");
  wait_event (f, "invalid-message", "topic", "supply-req", "cp_id", "CP-KEY", NULL);
  real_request = peer_engine_request (rig.engine, "DRV-KEY-STATION");
  wait_event (f, "request", "request_id", real_request, NULL);
  g_assert_cmpuint (count_events (f, "request", "request_id", forged_request, NULL), ==, 0);
  start = peer_engine_wait_directive (rig.engine, EV_DIRECTIVE_ACTION_START, 2);
  g_assert_cmpstr (start->driver_id, ==, "DRV-KEY-STATION");

  /* Replaced twice, the first key is good for nothing, not even for a
   * ticket; the one before the newest is good for no new supply. */
  mark_events (f);
  publish_delivered (stale, start, EV_SUPPLY_DATA_TICKET, 1, 2.0, EV_TICKET_REASON_UNPLUGGED);
  peer_engine_use_key (stale, second_key);
  publish_delivered (stale, start, EV_SUPPLY_DATA_PROGRESS, 1, 0.1, EV_TICKET_REASON_NONE);
  publish (rig.engine, start, EV_SUPPLY_DATA_PROGRESS, 1, 0.25, EV_TICKET_REASON_NONE);
  wait_event (f, "progress", "supply_id", start->supply_id, NULL);
  g_assert_cmpuint (count_events (f, "ticket", "supply_id", start->supply_id, NULL), ==, 0);
  g_assert_cmpuint (count_events (f, "progress", "supply_id", start->supply_id, NULL), ==, 1);
  g_assert_cmpfloat_with_epsilon (ev_charging_point_get_kwh (central_core_lookup_cp (f->core, "CP-KEY")), 0.25, 1e-9);

  peer_engine_free (stale);
  peer_engine_free (forger);
  rig_clear (&rig);
}

typedef struct
{
  GPtrArray *messages;   /* EvBusMessage */
} Tap;

static void
tap_message_cb (EvBus        *bus,
                EvBusMessage *msg,
                gpointer      user_data)
{
  Tap *tap = user_data;

  g_ptr_array_add (tap->messages, ev_bus_message_ref (msg));
  ev_bus_message_done (bus, msg);
}

static gboolean
tap_has_topics (gpointer user_data)
{
  Tap *tap = user_data;
  gboolean res = FALSE, directive = FALSE, state = FALSE;

  for (guint i = 0; i < tap->messages->len; i++)
    {
      const char *topic = ev_bus_message_get_topic (g_ptr_array_index (tap->messages, i));

      res |= g_str_equal (topic, "supply-res");
      directive |= g_str_equal (topic, "central-directives");
      state |= g_str_equal (topic, "cp-states");
    }
  return res && directive && state;
}

/* Everything Central publishes carries its signature, for its topic and
 * key; no other key verifies it. */
static void
test_signed_output (Fixture       *f,
                    gconstpointer  data)
{
  const char * const topics[] = { "supply-res", "central-directives", "cp-states", NULL };
  Rig rig = rig_new (f, "CP-SIG", "DRV-SIG");
  g_autoptr(EvVerifyKey) central = ev_signing_key_dup_verify_key (f->signing_key);
  g_autoptr(EvSigningKey) other_key = ev_signing_key_generate (NULL);
  g_autoptr(EvVerifyKey) other = ev_signing_key_dup_verify_key (other_key);
  g_autoptr(EvBus) bus = NULL;
  g_autoptr(GError) error = NULL;
  Tap tap = { g_ptr_array_new_with_free_func ((GDestroyNotify) ev_bus_message_unref) };

  start_supply (rig.driver, rig.engine, "CP-SIG");
  bus = ev_bus_new_reader (bootstrap (), "test-central-tap", NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (bus, "message", G_CALLBACK (tap_message_cb), &tap);
  g_assert_true (ev_bus_subscribe (bus, topics, &error));
  ev_test_wait_until (NULL, tap_has_topics, &tap, WAIT_MS, "one message of each topic");

  for (guint i = 0; i < tap.messages->len; i++)
    {
      EvBusMessage *msg = g_ptr_array_index (tap.messages, i);
      g_autoptr(GError) verify_error = NULL;

      /* Other tests' Centrals share the broker, unsigned: ours only. */
      if (!g_str_has_suffix (ev_bus_message_get_key (msg), "-SIG"))
        continue;
      g_assert_true (ev_bus_message_verify (msg, central, &verify_error));
      g_assert_no_error (verify_error);
      g_assert_false (ev_bus_message_verify (msg, other, &verify_error));
      g_assert_error (verify_error, EV_SIGNING_ERROR, EV_SIGNING_ERROR_WRONG_KEY);
    }

  ev_bus_close (bus);
  g_ptr_array_unref (tap.messages);
  rig_clear (&rig);
}

/* ------------------------------------------------------------------ */
/* History export                                                      */

static void
test_export_history (Fixture       *f,
                     gconstpointer  data)
{
  Rig rig = rig_new (f, "CP-CSV", "DRV-CSV");
  g_autoptr(GPtrArray) supplies = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_build_filename (f->tmpdir, "history.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines = 0;

  /* Two tickets and a supply that failed at its engine. */
  for (guint i = 0; i < 3; i++)
    {
      const EvDirective *start = start_supply (rig.driver, rig.engine, "CP-CSV");

      g_ptr_array_add (supplies, g_strdup (start->supply_id));
      progress (rig.engine, rig.driver, start, 1, 1.0 + i);
      publish (rig.engine, start, EV_SUPPLY_DATA_TICKET, 2, 2.0 + i,
               i < 2 ? EV_TICKET_REASON_UNPLUGGED : EV_TICKET_REASON_ENGINE_FAULT);
      if (i < 2)
        peer_driver_wait_data (rig.driver, start->supply_id, EV_SUPPLY_DATA_TICKET, 0);
      else
        peer_driver_wait_error (rig.driver, start->supply_id);
    }
  g_assert_cmpuint (g_list_model_get_n_items (central_core_get_history (f->core)), ==, 3);

  g_assert_true (central_core_export_history (f->core, file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (contents, -1, NULL));

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && g_strcmp0 (lines[i], "\r") != 0)
      n_lines++;
  g_assert_cmpuint (n_lines, ==, 1 + supplies->len);

  /* A header naming the columns, then one row per supply (CRLF lines),
   * every column with the figures stored: energy to the Wh, money to the
   * cent, the price, the outcome and its reason. */
  g_assert_cmpstr (lines[0], ==, "supply_id,cp_id,driver_id,started_at,ended_at,kwh,amount,price,outcome,reason\r");
  for (guint s = 0; s < supplies->len; s++)
    {
      const char *supply_id = g_ptr_array_index (supplies, s);
      guint rows = 0;

      for (guint i = 1; lines[i] != NULL; i++)
        {
          g_auto(GStrv) fields = NULL;
          g_autofree char *kwh = NULL;
          g_autofree char *amount = NULL;

          if (!g_str_has_prefix (lines[i], supply_id))
            continue;
          rows++;
          g_assert_true (g_str_has_suffix (lines[i], "\r"));
          lines[i][strlen (lines[i]) - 1] = '\0';
          fields = g_strsplit (lines[i], ",", -1);
          g_assert_cmpuint (g_strv_length (fields), ==, 10);
          g_assert_cmpstr (fields[1], ==, "CP-CSV");
          g_assert_cmpstr (fields[2], ==, "DRV-CSV");
          g_assert_true (g_str_has_suffix (fields[3], "Z") && g_str_has_suffix (fields[4], "Z"));
          g_assert_cmpint (strcmp (fields[3], fields[4]), <=, 0);
          kwh = g_strdup_printf ("%.3f", 2.0 + s);
          amount = g_strdup_printf ("%.2f", (2.0 + s) * PRICE);
          g_assert_cmpstr (fields[5], ==, kwh);
          g_assert_cmpstr (fields[6], ==, amount);
          g_assert_cmpstr (fields[7], ==, "0.4200");
          g_assert_cmpstr (fields[8], ==, s < 2 ? "finished" : "failed");
          g_assert_cmpstr (fields[9], ==, s < 2 ? "unplugged" : "engine-fault");
        }
      g_assert_cmpuint (rows, ==, 1);
    }

  rig_clear (&rig);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *runtime_dir = NULL;
  g_autofree char **args = NULL;
  int status;

  /* Before anything asks GLib for it: nothing here meets another
   * program's broker. */
  runtime_dir = ev_test_make_tmpdir ();
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);

  /* Keep going after a failed check (g_test_fail()), so one broken rule
   * does not hide the state of the others. */
  args = g_new0 (char *, argc + 2);
  memcpy (args, argv, argc * sizeof (char *));
  args[argc++] = (char *) "--keep-going";
  argv = args;
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add ("/central/" path, Fixture, data, fixture_setup, func, fixture_teardown)
#define ADD_QUICK_SILENCE(path, func) \
  g_test_add ("/central/" path, Fixture, NULL, fixture_setup_quick_silence, func, fixture_teardown)

  ADD ("ready", test_ready, NULL);
  ADD ("link/register-then-auth", test_register_then_auth, NULL);
  ADD ("link/requests", test_link_requests, NULL);
  ADD ("link/register-repeat", test_register_repeat, NULL);
  ADD ("link/register-without-token", test_register_without_token, NULL);
  ADD ("operator/reset-token", test_reset_token, NULL);
  ADD ("operator/price", test_operator_price, NULL);
  ADD ("operator/location", test_operator_location, NULL);
  ADD ("registration/price-range", test_price_range, NULL);
  ADD ("operator/forget", test_forget, NULL);
  g_test_add ("/central/signing/driver-impersonation", Fixture, NULL, fixture_setup,
              test_driver_impersonation, fixture_teardown);
  g_test_add ("/central/signing/cp-keys", Fixture, NULL, fixture_setup_no_key_overlap,
              test_cp_keys, fixture_teardown);
  g_test_add ("/central/signing/output", Fixture, NULL, fixture_setup_signed,
              test_signed_output, fixture_teardown);
  g_test_add ("/central/link/auth-timeout", Fixture, NULL, fixture_setup_limits,
              test_auth_timeout, fixture_teardown);
  g_test_add ("/central/link/unauthenticated-per-address", Fixture, NULL, fixture_setup_address_limit,
              test_unauthenticated_per_address, fixture_teardown);
  g_test_add ("/central/link/auth-rate-limited", Fixture, NULL, fixture_setup_limits,
              test_auth_rate_limited, fixture_teardown);
  ADD ("link/stolen-token", test_stolen_token, NULL);
  g_test_add ("/central/registration/approval", Fixture, NULL, fixture_setup_approval,
              test_mass_registration, fixture_teardown);
  g_test_add ("/central/link/token-brute-force", Fixture, NULL, fixture_setup_peer_limits,
              test_token_brute_force, fixture_teardown);
  g_test_add ("/central/link/register-flood", Fixture, NULL, fixture_setup_peer_limits,
              test_register_flood, fixture_teardown);
  ADD ("link/status-states", test_status_states, NULL);
  ADD ("link/disconnect-on-close", test_disconnect_on_close, NULL);
  ADD_QUICK_SILENCE ("link/disconnect-on-silence", test_disconnect_on_silence);
  ADD ("link/malformed-frames", test_malformed_frames, NULL);
  ADD ("supply/denials", test_supply_denials, NULL);
  ADD ("supply/authorized", test_supply_authorized, NULL);
  g_test_add ("/central/supply/unclaimed", Fixture, NULL, fixture_setup_quick_expiry,
              test_supply_unclaimed, fixture_teardown);
  ADD ("supply/stale-request", test_supply_stale_request, NULL);
  ADD ("supply/denial-remembered", test_supply_denial_remembered, NULL);
  ADD ("supply/before-first-status", test_supply_before_first_status, NULL);
  ADD ("supply/station-request", test_station_request, NULL);
  ADD ("supply/progress-and-ticket", test_progress_and_ticket, NULL);
  ADD ("supply/invalid-data", test_invalid_data, NULL);
  ADD ("supply/failure-tickets", test_failure_tickets, NULL);
  ADD ("supply/fault-broken", test_fault_during_supply, &fault_broken);
  ADD ("supply/fault-disconnected", test_fault_during_supply, &fault_disconnected);
  ADD ("supply/malformed-requests", test_malformed_requests, NULL);
  ADD ("operator/stop-resume-one", test_stop_resume_one, NULL);
  ADD ("operator/stop-resume-all", test_stop_resume_all, NULL);
  ADD ("operator/errors", test_operator_errors, NULL);
  ADD ("restart-mid-supply", test_restart_mid_supply, NULL);
  ADD ("supply/outbox-after-restart", test_outbox_after_restart, NULL);
  ADD ("supply/outbox-supply-error", test_outbox_supply_error, NULL);
  ADD ("supply/redelivered-late", test_supply_redelivered_late, NULL);
  ADD ("supply/store-full", test_supply_store_full, NULL);
  ADD ("supply/forgotten", test_supply_forgotten, NULL);
  ADD ("export-history", test_export_history, NULL);

#undef ADD
#undef ADD_QUICK_SILENCE

  broker = peer_broker_start ();
  status = g_test_run ();
  peer_broker_stop (broker);

  ev_test_rm_rf (runtime_dir);

  return status;
}

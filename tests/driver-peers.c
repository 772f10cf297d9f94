#include "config.h"

#include <signal.h>
#include <string.h>

#include "driver-peers.h"
#include "ev-bus.h"
#include "test-utils.h"

/* FakeCentral -------------------------------------------------------------- */

struct _FakeCentral
{
  EvBus *reader;
  EvBus *producer;
  GPtrArray *requests;   /* EvSupplyRequest */
  FakeCentralPolicy policy;
  gpointer policy_data;
  EvSigningKey *key;     /* borrowed: signs what it publishes, when set */
};

static void
request_cb (EvBus        *bus,
            EvBusMessage *msg,
            gpointer      user_data)
{
  FakeCentral *central = user_data;
  GBytes *value = ev_bus_message_get_value (msg);
  gsize length = 0;
  const char *text = value != NULL ? g_bytes_get_data (value, &length) : "";
  EvSupplyRequest *request = ev_supply_request_from_json (text, length, NULL);

  g_assert_nonnull (request);
  g_ptr_array_add (central->requests, request);
  if (central->policy != NULL)
    central->policy (central, request, central->policy_data);
}

FakeCentral *
fake_central_new (const char *bootstrap)
{
  const char * const topics[] = { "supply-req", NULL };
  FakeCentral *central = g_new0 (FakeCentral, 1);
  g_autoptr(GError) error = NULL;

  central->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) ev_supply_request_free);
  central->reader = ev_bus_new_reader (bootstrap, "fake-central-reader", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ev_bus_subscribe (central->reader, topics, &error));
  g_signal_connect (central->reader, "message", G_CALLBACK (request_cb), central);
  central->producer = ev_bus_new (bootstrap, NULL, "fake-central", NULL, &error);
  g_assert_no_error (error);
  return central;
}

void
fake_central_set_policy (FakeCentral       *central,
                         FakeCentralPolicy  policy,
                         gpointer           user_data)
{
  central->policy = policy;
  central->policy_data = user_data;
}

typedef struct
{
  FakeCentral *central;
  guint nth;
} RequestWait;

static gboolean
request_arrived (gpointer user_data)
{
  RequestWait *wait = user_data;

  return wait->central->requests->len >= wait->nth;
}

const EvSupplyRequest *
fake_central_wait_request (FakeCentral *central,
                           guint        nth)
{
  RequestWait wait = { central, nth };
  g_autofree char *what = g_strdup_printf ("supply request %u", nth);

  ev_test_wait_until (NULL, request_arrived, &wait, PEER_WAIT_MS, what);
  return g_ptr_array_index (central->requests, nth - 1);
}

guint
fake_central_count_requests (FakeCentral *central)
{
  return central->requests->len;
}

void
fake_central_publish (FakeCentral *central,
                      const char  *topic,
                      const char  *key,
                      const char  *json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *signed_json = NULL;

  if (central->key != NULL)
    {
      signed_json = ev_signed_message_sign (central->key, topic, key, json, strlen (json), NULL, &error);
      g_assert_no_error (error);
      json = signed_json;
    }
  g_assert_true (ev_bus_produce (central->producer, topic, key, json, strlen (json), &error));
  g_assert_no_error (error);
}

/* Publishes a tombstone for @cp_id, signed when the central signs. */
void
fake_central_forget (FakeCentral *central,
                     const char  *cp_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *signature = NULL;

  if (central->key != NULL)
    signature = ev_signed_tombstone_sign (central->key, "cp-states", cp_id, &error);
  g_assert_no_error (error);
  g_assert_true (ev_bus_produce_tombstone (central->producer, "cp-states", cp_id, signature, &error));
  g_assert_no_error (error);
}

/* Signs what it publishes from now on with @key (borrowed), as Central
 * does, or nothing when @key is %NULL. */
void
fake_central_set_signing_key (FakeCentral  *central,
                              EvSigningKey *key)
{
  central->key = key;
}

/* Authorises @request at FAKE_CENTRAL_PRICE; returns the new supply id. */
char *
fake_central_authorize (FakeCentral           *central,
                        const EvSupplyRequest *request)
{
  char *supply_id = ev_protocol_new_uuid ();

  fake_central_authorize_supply (central, request, supply_id);
  return supply_id;
}

/* The same, naming the supply (for data sent before its authorisation). */
void
fake_central_authorize_supply (FakeCentral           *central,
                               const EvSupplyRequest *request,
                               const char            *supply_id)
{
  g_autoptr(EvSupplyResponse) response = NULL;
  g_autofree char *json = NULL;

  response = ev_supply_response_new_authorized (request->request_id, request->driver_id, request->cp_id,
                                                supply_id, FAKE_CENTRAL_PRICE);
  json = ev_supply_response_to_json (response, NULL);
  fake_central_publish (central, "supply-res", request->driver_id, json);
}

void
fake_central_deny (FakeCentral           *central,
                   const EvSupplyRequest *request,
                   EvSupplyDenyReason     reason)
{
  g_autoptr(EvSupplyResponse) response = NULL;
  g_autofree char *json = NULL;

  response = ev_supply_response_new_denied (request->request_id, request->driver_id, request->cp_id, reason);
  json = ev_supply_response_to_json (response, NULL);
  fake_central_publish (central, "supply-res", request->driver_id, json);
}

/* A progress or ticket on supply-data2, amount = kwh × price. */
void
fake_central_data (FakeCentral           *central,
                   const EvSupplyRequest *request,
                   const char            *supply_id,
                   EvSupplyDataKind       kind,
                   guint                  seq,
                   double                 kwh,
                   EvTicketReason         reason)
{
  g_autoptr(EvSupplyData) data = ev_supply_data_new (kind, supply_id, request->cp_id, request->driver_id, seq);
  g_autofree char *json = NULL;
  gint64 now = ev_protocol_now_ms ();

  data->kwh = kwh;
  data->amount = kwh * FAKE_CENTRAL_PRICE;
  data->price = FAKE_CENTRAL_PRICE;
  data->started_at = now - 1000;
  /* As Central relays an engine's message sent just now. */
  data->source_ts = now;
  if (kind == EV_SUPPLY_DATA_TICKET)
    {
      data->ended_at = now;
      data->reason = reason;
    }
  json = ev_supply_data_to_json (data, NULL);
  fake_central_publish (central, "supply-data2", request->driver_id, json);
}

void
fake_central_error (FakeCentral           *central,
                    const EvSupplyRequest *request,
                    const char            *supply_id,
                    EvSupplyErrorReason    reason,
                    double                 kwh)
{
  g_autoptr(EvSupplyError) msg = ev_supply_error_new (supply_id, request->driver_id, request->cp_id, reason);
  g_autofree char *json = NULL;

  msg->kwh = kwh;
  msg->amount = kwh * FAKE_CENTRAL_PRICE;
  json = ev_supply_error_to_json (msg, NULL);
  fake_central_publish (central, "supply-error", request->driver_id, json);
}

void
fake_central_cp_state (FakeCentral *central,
                       const char  *cp_id,
                       EvCpState    state)
{
  fake_central_cp_state_priced (central, cp_id, state, FAKE_CENTRAL_PRICE);
}

/* The same with a price of its own. */
void
fake_central_cp_state_priced (FakeCentral *central,
                              const char  *cp_id,
                              EvCpState    state,
                              double       price)
{
  g_autoptr(EvCpStateMessage) msg = ev_cp_state_message_new (cp_id, state);
  g_autofree char *json = NULL;

  msg->location = g_strdup_printf ("Street of %s", cp_id);
  msg->has_price = TRUE;
  msg->price = price;
  json = ev_cp_state_message_to_json (msg, NULL);
  fake_central_publish (central, "cp-states", cp_id, json);
}

void
fake_central_free (FakeCentral *central)
{
  ev_bus_close (central->reader);
  ev_bus_close (central->producer);
  g_assert_finalize_object (central->reader);
  g_assert_finalize_object (central->producer);
  g_ptr_array_unref (central->requests);
  g_free (central);
}

/* DriverProcess ------------------------------------------------------------ */

struct _DriverProcess
{
  GSubprocess *process;
  GDataInputStream *events_in;
  GCancellable *cancellable;
  GPtrArray *events;    /* JsonObject */
  gboolean exited;
  gboolean eof;
  int status;
};

static void read_event (DriverProcess *process);

static void
event_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DriverProcess *process = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      process->eof = TRUE;
      return;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, line, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("ev-driver wrote a line that is not a JSON object: %s", line);
  g_test_message ("ev-driver: %s", line);
  g_ptr_array_add (process->events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
  read_event (process);
}

static void
read_event (DriverProcess *process)
{
  g_data_input_stream_read_line_async (process->events_in, G_PRIORITY_DEFAULT, process->cancellable,
                                       event_line_cb, process);
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  DriverProcess *process = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  process->status = g_subprocess_get_if_exited (G_SUBPROCESS (source))
                    ? g_subprocess_get_exit_status (G_SUBPROCESS (source)) : -1;
  process->exited = TRUE;
}

DriverProcess *
driver_process_start (const char *bootstrap,
                      const char *driver_id,
                      const char *state_home,
                      const char *file)
{
  const char *args[] = { "--headless", "--id", driver_id, "--kafka", bootstrap, "--file", file, NULL };

  if (file == NULL)
    args[5] = NULL;
  return driver_process_spawn (args, state_home);
}

/* $EV_DRIVER with @args (for instance `fleet …`). */
DriverProcess *
driver_process_spawn (const char * const *args,
                      const char         *state_home)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *program = g_getenv ("EV_DRIVER");
  DriverProcess *process;

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (char *) program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_new0 (DriverProcess, 1);
  process->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  process->cancellable = g_cancellable_new ();
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state_home, TRUE);
  process->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process->process, NULL, exited_cb, process);
  process->events_in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process->process));
  read_event (process);
  return process;
}

static JsonObject *
find_event (DriverProcess *process,
            const char    *name,
            const char    *member,
            const char    *value)
{
  for (guint i = 0; i < process->events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (process->events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), name) == 0 &&
          (member == NULL ||
           g_strcmp0 (json_object_get_string_member_with_default (event, member, NULL), value) == 0))
        return event;
    }
  return NULL;
}

typedef struct
{
  DriverProcess *process;
  const char *name, *member, *value;
} EventWait;

static gboolean
event_arrived (gpointer user_data)
{
  EventWait *wait = user_data;

  return find_event (wait->process, wait->name, wait->member, wait->value) != NULL || wait->process->eof;
}

/* Waits for the first event @name (whose string @member is @value, when
 * given). */
JsonObject *
driver_process_wait_event (DriverProcess *process,
                           const char    *name,
                           const char    *member,
                           const char    *value)
{
  EventWait wait = { process, name, member, value };
  g_autofree char *what = g_strdup_printf ("the %s event of ev-driver", name);
  JsonObject *event;

  ev_test_wait_until (NULL, event_arrived, &wait, PEER_WAIT_MS, what);
  event = find_event (process, name, member, value);
  if (event == NULL)
    g_error ("ev-driver ended before its %s event", name);
  return event;
}

/* The latest event @name so far, or NULL. */
JsonObject *
driver_process_last_event (DriverProcess *process,
                           const char    *name)
{
  for (guint i = process->events->len; i > 0; i--)
    {
      JsonObject *event = g_ptr_array_index (process->events, i - 1);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", NULL), name) == 0)
        return event;
    }
  return NULL;
}

guint
driver_process_count_events (DriverProcess *process,
                             const char    *name)
{
  guint n = 0;

  for (guint i = 0; i < process->events->len; i++)
    n += g_strcmp0 (json_object_get_string_member_with_default (g_ptr_array_index (process->events, i),
                                                                "event", NULL), name) == 0;
  return n;
}

void
driver_process_send (DriverProcess *process,
                     const char    *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (process->process), text, strlen (text), NULL, NULL,
                             &error);
  g_assert_no_error (error);
}

/* End of input, as when the controlling script goes away. */
void
driver_process_close_input (DriverProcess *process)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (process->process), NULL, NULL);
}

/* A crash: SIGKILL, nothing flushed, nothing committed. */
void
driver_process_kill (DriverProcess *process)
{
  g_subprocess_send_signal (process->process, SIGKILL);
  ev_test_wait_flag (NULL, &process->exited, PEER_WAIT_MS, "ev-driver to die");
}

int
driver_process_wait_exit (DriverProcess *process)
{
  ev_test_wait_flag (NULL, &process->exited, PEER_WAIT_MS, "ev-driver to exit");
  return process->status;
}

void
driver_process_free (DriverProcess *process)
{
  if (!process->exited)
    {
      GOutputStream *input = g_subprocess_get_stdin_pipe (process->process);

      if (!g_output_stream_is_closed (input))
        g_output_stream_write_all (input, "quit\n", 5, NULL, NULL, NULL);
      g_output_stream_close (input, NULL, NULL);
      driver_process_wait_exit (process);
    }
  g_cancellable_cancel (process->cancellable);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&process->events_in);
  g_clear_object (&process->cancellable);
  g_clear_object (&process->process);
  g_ptr_array_unref (process->events);
  g_free (process);
}

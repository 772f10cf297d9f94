/* test-station-ocpp-ui: the engine window of an OCPP 1.6-J charger
 * (`ev-station engine --ocpp`) under Xvfb, against a CSMS the test plays:
 * a libsoup WebSocket server at ws://127.0.0.1:PORT/ocpp that answers as
 * OCPP 1.6 says (the first boot Pending, then Accepted), validates every
 * CALL of the charger against the official schemas and sends
 * RemoteStartTransaction and RemoteStopTransaction when the test asks.
 * `ev-station engine --ocpp URL` as a user starts it must stop cleanly on
 * SIGINT and SIGTERM. */

#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <signal.h>

#include "ev-ocpp-message.h"
#include "ev-ocpp-schema.h"
#include "station-engine-window.h"
#include "station-ocpp-engine.h"
#include "test-utils.h"
#include "ui-test-utils.h"

#define CP_ID "UI-OCPP-1"
#define WAIT_MS 20000
#define TRANSACTION_ID 77

typedef struct {
  SoupServer              *server;
  SoupWebsocketConnection *ws;
  char                    *url;
  guint                    boots;
  GPtrArray               *statuses;        /* char *, as StatusNotification said */
  GPtrArray               *answers;         /* char *, the status of each CALLRESULT */
  int                      meter_start;
  int                      meter_stop;      /* -1 until StopTransaction */
  guint                    meter_values;
  guint                    call_seq;
} Csms;

static JsonObject *
now_payload (const char *member)
{
  JsonObject *p = json_object_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");

  json_object_set_string_member (p, member, ts);
  return p;
}

static JsonObject *
id_tag_info (void)
{
  JsonObject *p = json_object_new ();
  JsonObject *info = json_object_new ();

  json_object_set_string_member (info, "status", "Accepted");
  json_object_set_object_member (p, "idTagInfo", info);
  return p;
}

static void
csms_send (Csms          *csms,
           EvOcppMessage *message)
{
  g_autofree char *text = ev_ocpp_message_encode (message, NULL);

  soup_websocket_connection_send_text (csms->ws, text);
}

/* The answer of a CSMS to each CALL of the charger. */
static JsonObject *
csms_answer (Csms       *csms,
             const char *action,
             JsonObject *params)
{
  JsonObject *p;

  if (g_str_equal (action, "BootNotification"))
    {
      p = now_payload ("currentTime");
      json_object_set_string_member (p, "status", ++csms->boots == 1 ? "Pending" : "Accepted");
      json_object_set_int_member (p, "interval", 1);
      return p;
    }
  if (g_str_equal (action, "Heartbeat"))
    return now_payload ("currentTime");
  if (g_str_equal (action, "StatusNotification"))
    g_ptr_array_add (csms->statuses, g_strdup (json_object_get_string_member (params, "status")));
  else if (g_str_equal (action, "MeterValues"))
    csms->meter_values++;
  else if (g_str_equal (action, "StartTransaction"))
    {
      csms->meter_start = (int) json_object_get_int_member (params, "meterStart");
      p = id_tag_info ();
      json_object_set_int_member (p, "transactionId", TRANSACTION_ID);
      return p;
    }
  else if (g_str_equal (action, "StopTransaction"))
    {
      g_assert_cmpint (json_object_get_int_member (params, "transactionId"), ==, TRANSACTION_ID);
      csms->meter_stop = (int) json_object_get_int_member (params, "meterStop");
      return id_tag_info ();
    }
  return json_object_new ();
}

static void
csms_message_cb (SoupWebsocketConnection *ws,
                 int                      type,
                 GBytes                  *bytes,
                 gpointer                 user_data)
{
  Csms *csms = user_data;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);
  g_autoptr(EvOcppMessage) message = ev_ocpp_message_decode (data, length, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  JsonObject *payload;

  g_assert_nonnull (message);
  payload = ev_ocpp_message_get_payload (message);
  if (ev_ocpp_message_get_message_type (message) == EV_OCPP_MESSAGE_CALL_RESULT)
    {
      g_ptr_array_add (csms->answers, g_strdup (json_object_get_string_member (payload, "status")));
      return;
    }
  g_assert_cmpint (ev_ocpp_message_get_message_type (message), ==, EV_OCPP_MESSAGE_CALL);
  /* The charger sends only what the official schemas allow. */
  ev_ocpp_schema_validate_message (ev_ocpp_schema_get_default (), message, NULL, &error);
  g_assert_no_error (error);
  {
    JsonObject *answer = csms_answer (csms, ev_ocpp_message_get_action (message), payload);
    g_autoptr(EvOcppMessage) result = ev_ocpp_message_new_call_result (ev_ocpp_message_get_unique_id (message),
                                                                       answer);

    json_object_unref (answer);
    csms_send (csms, result);
  }
}

static void
csms_websocket_cb (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *ws,
                   gpointer                 user_data)
{
  Csms *csms = user_data;

  g_assert_cmpstr (path, ==, "/ocpp/" CP_ID);
  g_clear_object (&csms->ws);
  csms->ws = g_object_ref (ws);
  g_signal_connect (ws, "message", G_CALLBACK (csms_message_cb), csms);
}

static void
csms_start (Csms *csms)
{
  const char *protocols[] = { "ocpp1.6", NULL };
  g_autoptr(GError) error = NULL;
  GSList *uris;

  csms->statuses = g_ptr_array_new_with_free_func (g_free);
  csms->answers = g_ptr_array_new_with_free_func (g_free);
  csms->meter_stop = -1;
  csms->server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (csms->server, "/ocpp", NULL, (char **) protocols,
                                     csms_websocket_cb, csms, NULL);
  soup_server_listen_local (csms->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (csms->server);
  g_assert_nonnull (uris);
  csms->url = g_strdup_printf ("ws://127.0.0.1:%d/ocpp/" CP_ID, g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static void
csms_stop (Csms *csms)
{
  if (csms->ws != NULL)
    g_signal_handlers_disconnect_by_data (csms->ws, csms);
  g_clear_object (&csms->ws);
  soup_server_disconnect (csms->server);
  g_clear_object (&csms->server);
  g_clear_pointer (&csms->statuses, g_ptr_array_unref);
  g_clear_pointer (&csms->answers, g_ptr_array_unref);
  g_free (csms->url);
}

static void
csms_call (Csms       *csms,
           const char *action,
           JsonObject *payload)
{
  g_autofree char *id = g_strdup_printf ("csms-%u", ++csms->call_seq);
  g_autoptr(EvOcppMessage) message = ev_ocpp_message_new_call (id, action, payload);

  json_object_unref (payload);
  csms_send (csms, message);
}

typedef struct {
  GPtrArray  *array;
  const char *text;
} LastIs;

static gboolean
last_is (gpointer user_data)
{
  LastIs *wait = user_data;

  return wait->array->len > 0 &&
         g_str_equal (g_ptr_array_index (wait->array, wait->array->len - 1), wait->text);
}

/* Waits for the CSMS to have heard @text last in @array. */
static void
wait_last (GPtrArray  *array,
           const char *text)
{
  LastIs wait = { array, text };

  ev_test_wait_until (NULL, last_is, &wait, WAIT_MS, text);
}

static gboolean
label_changed (gpointer user_data)
{
  GtkLabel *label = g_object_get_data (user_data, "label");

  return !g_str_equal (gtk_label_get_label (label), g_object_get_data (user_data, "was"));
}

static gboolean
stopped (gpointer user_data)
{
  return ((Csms *) user_data)->meter_stop >= 0;
}

static gboolean
metered (gpointer user_data)
{
  return ((Csms *) user_data)->meter_values >= 2;
}

static void
activate (GtkWidget  *window,
          const char *action)
{
  g_assert_true (gtk_widget_is_sensitive (ev_ui_test_find_button (window, action)));
  g_assert_true (gtk_widget_activate_action (window, action, NULL));
}

static void
ended_cb (StationOcppEngine *engine,
          const char        *name,
          JsonObject        *fields,
          gpointer           user_data)
{
  if (g_str_equal (name, "transaction-ended"))
    *(gint64 *) user_data = json_object_get_int_member (fields, "energy_wh");
}

/* Boot, status, a remote start whose kWh rise, a remote stop, a fault:
 * each one shown. */
static void
test_engine_window (void)
{
  Csms csms = { 0 };
  g_autoptr(StationOcppEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GtkLabel *kwh;
  g_autofree char *was = NULL;
  g_autoptr(GObject) watch = g_object_new (G_TYPE_OBJECT, NULL);
  gint64 ended_wh = -1;

  csms_start (&csms);
  engine = station_ocpp_engine_new (csms.url, 1000.0, 1, &error);
  g_assert_no_error (error);
  g_signal_connect (engine, "event", G_CALLBACK (ended_cb), &ended_wh);
  window = GTK_WIDGET (g_object_ref_sink (station_engine_window_new_ocpp (NULL, engine)));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (station_ocpp_engine_start (engine, &error));

  /* The boot: Pending first, shown, then Accepted and Available. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "OCPP Charger " CP_ID);
  ev_ui_test_wait_label (window, "holds the boot Pending", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_true (ev_ui_test_has_label (window, "Not Accepted"));
  wait_last (csms.statuses, "Available");
  ev_ui_test_wait_label (window, "accepted the boot", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_true (ev_ui_test_has_label (window, "Available"));
  g_assert_true (ev_ui_test_has_label (window, "CSMS connected"));
  g_assert_false (gtk_widget_is_sensitive (ev_ui_test_find_button (window, "engine.unplug")));

  /* Plugged in: Preparing, on screen and at the CSMS. */
  activate (window, "engine.plug");
  wait_last (csms.statuses, "Preparing");
  g_assert_true (ev_ui_test_has_label (window, "Preparing"));

  /* The CSMS starts a transaction: its idTag, id and rising kWh. */
  {
    JsonObject *p = json_object_new ();

    json_object_set_string_member (p, "idTag", "UI-DRIVER");
    csms_call (&csms, "RemoteStartTransaction", p);
  }
  ev_ui_test_wait_label (window, "idTag UI-DRIVER", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  ev_ui_test_wait_label (window, "Transaction 77", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  wait_last (csms.statuses, "Charging");
  g_assert_true (ev_ui_test_has_label (window, "Charging"));
  kwh = ev_ui_test_find_label (window, "kWh", EV_UI_TEST_VISIBLE_ONLY);
  g_assert_nonnull (kwh);
  was = g_strdup (gtk_label_get_label (kwh));
  g_object_set_data (watch, "label", kwh);
  g_object_set_data (watch, "was", was);
  ev_test_wait_until (NULL, label_changed, watch, WAIT_MS, "the kWh to rise");
  g_assert_cmpfloat (station_ocpp_engine_get_kwh (engine), >, 0.0);
  ev_test_wait_until (NULL, metered, &csms, WAIT_MS, "two MeterValues");

  /* The CSMS stops it: billed what the charger metered; Finishing. */
  {
    JsonObject *p = json_object_new ();

    json_object_set_int_member (p, "transactionId", TRANSACTION_ID);
    csms_call (&csms, "RemoteStopTransaction", p);
  }
  ev_test_wait_until (NULL, stopped, &csms, WAIT_MS, "StopTransaction");
  wait_last (csms.statuses, "Finishing");
  ev_ui_test_wait_label (window, "Finishing", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_null (ev_ui_test_find_label (window, "idTag UI-DRIVER", EV_UI_TEST_VISIBLE_ONLY));
  g_assert_cmpint (csms.meter_stop - csms.meter_start, >, 0);
  g_assert_cmpint (ended_wh, ==, csms.meter_stop - csms.meter_start);
  g_assert_cmpstr (g_ptr_array_index (csms.answers, 0), ==, "Accepted");
  g_assert_cmpstr (g_ptr_array_index (csms.answers, 1), ==, "Accepted");

  /* Unplugged, then a fault and its repair. */
  activate (window, "engine.unplug");
  wait_last (csms.statuses, "Available");
  activate (window, "engine.simulate-fault");
  wait_last (csms.statuses, "Faulted");
  ev_ui_test_wait_label (window, "repair it to charge again", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_false (gtk_widget_is_sensitive (ev_ui_test_find_button (window, "engine.plug")));
  activate (window, "engine.repair");
  wait_last (csms.statuses, "Available");

  station_ocpp_engine_shutdown (engine);
  ev_ui_test_destroy_window (window, WAIT_MS);
  g_signal_handlers_disconnect_by_data (engine, &ended_wh);
  csms_stop (&csms);
}

/* The CSMS cannot be reached: said, and retried. */
static void
test_engine_window_unreachable (void)
{
  g_autoptr(StationOcppEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  /* A bad URL never makes a charger. */
  g_assert_null (station_ocpp_engine_new ("http://127.0.0.1:1/ocpp/X", 22.0, 10, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (station_ocpp_engine_new ("ws://127.0.0.1:1/", 22.0, 10, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Port 1 on loopback: nobody listens. */
  engine = station_ocpp_engine_new ("ws://127.0.0.1:1/ocpp/" CP_ID, 22.0, 10, &error);
  g_assert_no_error (error);
  window = GTK_WIDGET (g_object_ref_sink (station_engine_window_new_ocpp (NULL, engine)));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (station_ocpp_engine_start (engine, &error));
  ev_ui_test_wait_label (window, "cannot be reached", EV_UI_TEST_VISIBLE_ONLY, WAIT_MS);
  g_assert_true (ev_ui_test_has_label (window, "CSMS not connected"));
  /* Central's on-site request has no place at an OCPP charger. */
  g_assert_false (gtk_widget_get_mapped (ev_ui_test_find_button (window, "engine.request-supply")));

  station_ocpp_engine_shutdown (engine);
  ev_ui_test_destroy_window (window, WAIT_MS);
}

/* ev-station engine --ocpp with its window: a signal closes it, status 0. */
static void
test_program_quits_on_signal (gconstpointer data)
{
  const char * const argv[] = {
    g_getenv ("EV_STATION"), "engine", "--ocpp", "ws://127.0.0.1:1/ocpp/" CP_ID, NULL
  };
  const char * const env[] = { "G_MESSAGES_DEBUG=Station", NULL };
  EvUiTestProgram *program;

  g_assert_nonnull (argv[0]);
  program = ev_ui_test_program_spawn (argv, env);
  ev_ui_test_program_wait_line (program, "Window presented", WAIT_MS);
  g_assert_cmpint (ev_ui_test_program_stop (program, GPOINTER_TO_INT (data), WAIT_MS), ==, 0);
  ev_ui_test_program_free (program);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  ev_ui_test_bind_catalogue ();
  ev_ui_test_init ("/io/github/evcharging/EVCharging/Station/style.css");

  g_test_add_func ("/station-ocpp-ui/engine-window", test_engine_window);
  g_test_add_func ("/station-ocpp-ui/engine-window-unreachable", test_engine_window_unreachable);
  g_test_add_data_func ("/station-ocpp-ui/program/sigterm", GINT_TO_POINTER (SIGTERM),
                        test_program_quits_on_signal);
  g_test_add_data_func ("/station-ocpp-ui/program/sigint", GINT_TO_POINTER (SIGINT),
                        test_program_quits_on_signal);
  return g_test_run ();
}

#include "config.h"

#include <math.h>
#include <gio/gio.h>

#include "ev-charging-point.h"
#include "ev-enum-types.h"
#include "ev-supply-session.h"

typedef struct {
  GHashTable *counts;
} NotifyLog;

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           NotifyLog  *log)
{
  const char *name = g_param_spec_get_name (pspec);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (log->counts, name));

  g_hash_table_insert (log->counts, (gpointer) name, GUINT_TO_POINTER (n + 1));
}

static guint
notified (NotifyLog  *log,
          const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (log->counts, name));
}

static void
watch (GObject   *object,
       NotifyLog *log)
{
  log->counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_signal_connect (object, "notify", G_CALLBACK (notify_cb), log);
}

static void
test_cp_new_destroy (void)
{
  EvChargingPoint *cp = ev_charging_point_new ("ALC-01");

  g_assert_cmpstr (ev_charging_point_get_cp_id (cp), ==, "ALC-01");
  g_assert_cmpint (ev_charging_point_get_state (cp), ==, EV_CP_STATE_DISCONNECTED);
  g_assert_null (ev_charging_point_get_driver_id (cp));
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 0.0);

  g_assert_finalize_object (cp);
}

static void
test_cp_notify_once_per_change (void)
{
  EvChargingPoint *cp = ev_charging_point_new ("CP1");
  NotifyLog log;

  watch (G_OBJECT (cp), &log);

  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  ev_charging_point_set_location (cp, "Alicante");
  ev_charging_point_set_location (cp, "Alicante");
  ev_charging_point_set_price (cp, 0.35);
  ev_charging_point_set_price (cp, 0.35);
  ev_charging_point_set_driver_id (cp, "D1");
  ev_charging_point_set_kwh (cp, 1.5);
  ev_charging_point_set_amount (cp, 0.525);

  g_assert_cmpuint (notified (&log, "state"), ==, 1);
  g_assert_cmpuint (notified (&log, "location"), ==, 1);
  g_assert_cmpuint (notified (&log, "price"), ==, 1);
  g_assert_cmpuint (notified (&log, "driver-id"), ==, 1);
  g_assert_cmpuint (notified (&log, "kwh"), ==, 1);
  g_assert_cmpuint (notified (&log, "amount"), ==, 1);

  /* Setting through GObject goes through the same setters. */
  g_object_set (cp, "state", EV_CP_STATE_SUPPLYING, "kwh", 1.5, NULL);
  g_assert_cmpuint (notified (&log, "state"), ==, 2);
  g_assert_cmpuint (notified (&log, "kwh"), ==, 1);
  g_assert_cmpint (ev_charging_point_get_state (cp), ==, EV_CP_STATE_SUPPLYING);

  ev_charging_point_clear_supply (cp);
  g_assert_null (ev_charging_point_get_driver_id (cp));
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 0.0);
  g_assert_cmpfloat (ev_charging_point_get_amount (cp), ==, 0.0);
  g_assert_cmpuint (notified (&log, "driver-id"), ==, 2);
  g_assert_cmpuint (notified (&log, "kwh"), ==, 2);
  /* The supply id was never set: clearing it is not a change. */
  g_assert_cmpuint (notified (&log, "supply-id"), ==, 0);

  g_hash_table_unref (log.counts);
  g_assert_finalize_object (cp);
}

static void
test_cp_rejects_bad_numbers (void)
{
  EvChargingPoint *cp = ev_charging_point_new ("CP1");

  ev_charging_point_set_price (cp, 0.40);

  g_test_expect_message ("EvCommon", G_LOG_LEVEL_CRITICAL, "*isfinite*");
  ev_charging_point_set_price (cp, NAN);
  g_test_assert_expected_messages ();

  g_test_expect_message ("EvCommon", G_LOG_LEVEL_CRITICAL, "*value >= 0.0*");
  ev_charging_point_set_kwh (cp, -1.0);
  g_test_assert_expected_messages ();

  g_assert_cmpfloat (ev_charging_point_get_price (cp), ==, 0.40);
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 0.0);

  g_assert_finalize_object (cp);
}

static void
test_cp_in_list_model (void)
{
  g_autoptr(GListStore) store = g_list_store_new (EV_TYPE_CHARGING_POINT);
  EvChargingPoint *cp = ev_charging_point_new ("CP9");
  g_autoptr(EvChargingPoint) item = NULL;

  g_list_store_append (store, cp);
  item = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_assert_true (item == cp);
  g_clear_object (&item);
  g_clear_object (&store);

  g_assert_finalize_object (cp);
}

static void
test_session_lifecycle (void)
{
  EvSupplySession *s = ev_supply_session_new ("6f1c0a51-8d2e-4c9a-9a52-3a8a0b4b8f10", "CP1", "D7");
  NotifyLog log;

  watch (G_OBJECT (s), &log);

  g_assert_cmpint (ev_supply_session_get_phase (s), ==, EV_SUPPLY_PHASE_REQUESTED);
  g_assert_false (ev_supply_session_is_concluded (s));

  ev_supply_session_set_phase (s, EV_SUPPLY_PHASE_SUPPLYING);
  ev_supply_session_set_seq (s, 3);
  ev_supply_session_set_seq (s, 3);
  ev_supply_session_set_kwh (s, 2.0);
  ev_supply_session_set_amount (s, 0.7);
  ev_supply_session_set_started_at (s, 1700000000000);
  g_assert_false (ev_supply_session_is_concluded (s));

  ev_supply_session_set_phase (s, EV_SUPPLY_PHASE_FINISHED);
  ev_supply_session_set_ended_at (s, 1700000060000);
  ev_supply_session_set_reason (s, "unplugged");
  ev_supply_session_set_reason (s, "unplugged");
  g_assert_true (ev_supply_session_is_concluded (s));

  g_assert_cmpuint (notified (&log, "phase"), ==, 2);
  g_assert_cmpuint (notified (&log, "seq"), ==, 1);
  g_assert_cmpuint (notified (&log, "reason"), ==, 1);
  g_assert_cmpstr (ev_supply_session_get_cp_id (s), ==, "CP1");
  g_assert_cmpstr (ev_supply_session_get_driver_id (s), ==, "D7");
  g_assert_cmpint (ev_supply_session_get_ended_at (s), ==, 1700000060000);

  ev_supply_session_set_phase (s, EV_SUPPLY_PHASE_FAILED);
  g_assert_true (ev_supply_session_is_concluded (s));

  g_hash_table_unref (log.counts);
  g_assert_finalize_object (s);
}

static void
test_session_rejects_bad_numbers (void)
{
  EvSupplySession *s = ev_supply_session_new (NULL, "CP1", "station:CP1");

  g_test_expect_message ("EvCommon", G_LOG_LEVEL_CRITICAL, "*amount >= 0.0*");
  ev_supply_session_set_amount (s, -0.5);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (ev_supply_session_get_amount (s), ==, 0.0);
  g_assert_null (ev_supply_session_get_supply_id (s));

  g_assert_finalize_object (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/charging-point/new-destroy", test_cp_new_destroy);
  g_test_add_func ("/charging-point/notify-once", test_cp_notify_once_per_change);
  g_test_add_func ("/charging-point/bad-numbers", test_cp_rejects_bad_numbers);
  g_test_add_func ("/charging-point/list-model", test_cp_in_list_model);
  g_test_add_func ("/supply-session/lifecycle", test_session_lifecycle);
  g_test_add_func ("/supply-session/bad-numbers", test_session_rejects_bad_numbers);

  return g_test_run ();
}

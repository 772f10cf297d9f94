#include "config.h"

#include <math.h>
#include <gio/gio.h>

#include "ev-charging-point.h"
#include "ev-cp-state-model.h"
#include "ev-enum-types.h"
#include "ev-supply.h"

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

/* A copy is a snapshot: it keeps the values the CP had. */
static void
test_cp_copy (void)
{
  EvChargingPoint *cp = ev_charging_point_new ("CP1");
  EvChargingPoint *copy;
  g_autoptr(EvSupply) supply = NULL;

  ev_charging_point_set_state (cp, EV_CP_STATE_SUPPLYING);
  ev_charging_point_set_location (cp, "Alicante");
  ev_charging_point_set_price (cp, 0.35);
  supply = ev_supply_new ("S1", "CP1", "D1");
  ev_supply_set_kwh (supply, 1.5);
  ev_supply_set_amount (supply, 0.525);
  ev_charging_point_set_supply (cp, supply);
  copy = ev_charging_point_copy (cp);
  ev_charging_point_set_state (cp, EV_CP_STATE_ACTIVE);
  /* The snapshot's supply is its own: the live one goes on. */
  ev_supply_set_kwh (supply, 2.0);
  g_assert_true (ev_charging_point_get_supply (copy) != supply);
  ev_charging_point_set_supply (cp, NULL);

  g_assert_cmpstr (ev_charging_point_get_cp_id (copy), ==, "CP1");
  g_assert_cmpint (ev_charging_point_get_state (copy), ==, EV_CP_STATE_SUPPLYING);
  g_assert_cmpstr (ev_charging_point_get_location (copy), ==, "Alicante");
  g_assert_cmpfloat (ev_charging_point_get_price (copy), ==, 0.35);
  g_assert_cmpstr (ev_charging_point_get_driver_id (copy), ==, "D1");
  g_assert_cmpstr (ev_charging_point_get_supply_id (copy), ==, "S1");
  g_assert_cmpfloat (ev_charging_point_get_kwh (copy), ==, 1.5);
  g_assert_cmpfloat (ev_charging_point_get_amount (copy), ==, 0.525);

  g_assert_finalize_object (copy);
  g_assert_finalize_object (cp);
  g_assert_finalize_object (g_steal_pointer (&supply));
}

static void
reset (NotifyLog *log)
{
  g_hash_table_remove_all (log->counts);
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

  g_assert_cmpuint (notified (&log, "state"), ==, 1);
  g_assert_cmpuint (notified (&log, "location"), ==, 1);
  g_assert_cmpuint (notified (&log, "price"), ==, 1);

  /* Setting through GObject goes through the same setters. */
  g_object_set (cp, "state", EV_CP_STATE_SUPPLYING, "price", 0.35, NULL);
  g_assert_cmpuint (notified (&log, "state"), ==, 2);
  g_assert_cmpuint (notified (&log, "price"), ==, 1);
  g_assert_cmpint (ev_charging_point_get_state (cp), ==, EV_CP_STATE_SUPPLYING);

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
  ev_charging_point_set_price (cp, -1.0);
  g_test_assert_expected_messages ();

  g_assert_cmpfloat (ev_charging_point_get_price (cp), ==, 0.40);

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

typedef struct {
  guint position, removed, added;
  guint calls;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->calls++;
}

static char *
ids_of (GListModel *model)
{
  GString *ids = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (model, i);

      g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", ev_charging_point_get_cp_id (cp));
    }
  return g_string_free (ids, FALSE);
}

/* The CPs of a list in one state: each change is one item in or out at
 * its place, never the whole list again. */
static void
test_cp_state_model (void)
{
  g_autoptr(GListStore) store = g_list_store_new (EV_TYPE_CHARGING_POINT);
  g_autoptr(EvCpStateModel) model = NULL;
  g_autoptr(EvChargingPoint) cp5 = NULL;
  EvChargingPoint *cps[4];
  Change change = { 0 };
  char *ids;

  for (guint i = 0; i < G_N_ELEMENTS (cps); i++)
    {
      g_autofree char *id = g_strdup_printf ("CP%u", i + 1);

      cps[i] = ev_charging_point_new (id);
      ev_charging_point_set_state (cps[i], i % 2 == 0 ? EV_CP_STATE_ACTIVE : EV_CP_STATE_BROKEN);
      g_list_store_append (store, cps[i]);
      g_object_unref (cps[i]);
    }

  /* Every state: the list itself, changes passed through. */
  model = ev_cp_state_model_new (G_LIST_MODEL (store), -1);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &change);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == EV_TYPE_CHARGING_POINT);
  ev_charging_point_set_state (cps[0], EV_CP_STATE_BROKEN);
  g_assert_cmpuint (change.calls, ==, 0);

  /* One state: CP1 CP2 CP4 are BROKEN. */
  ev_cp_state_model_set_state (model, EV_CP_STATE_BROKEN);
  g_assert_cmpuint (change.calls, ==, 1);
  g_assert_cmpuint (change.removed, ==, 4);
  g_assert_cmpuint (change.added, ==, 3);
  ids = ids_of (G_LIST_MODEL (model));
  g_assert_cmpstr (ids, ==, "CP1 CP2 CP4");
  g_free (ids);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 3));

  /* CP3 breaks: in at its place. */
  ev_charging_point_set_state (cps[2], EV_CP_STATE_BROKEN);
  g_assert_cmpuint (change.calls, ==, 2);
  g_assert_cmpuint (change.position, ==, 2);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);
  ids = ids_of (G_LIST_MODEL (model));
  g_assert_cmpstr (ids, ==, "CP1 CP2 CP3 CP4");
  g_free (ids);

  /* CP2 recovers: out; a change within the state is no change. */
  ev_charging_point_set_state (cps[1], EV_CP_STATE_ACTIVE);
  g_assert_cmpuint (change.calls, ==, 3);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);
  ev_charging_point_set_location (cps[0], "Elsewhere");
  g_assert_cmpuint (change.calls, ==, 3);

  /* The list changes: a new BROKEN CP, one removed, positions kept. */
  cp5 = ev_charging_point_new ("CP5");
  ev_charging_point_set_state (cp5, EV_CP_STATE_BROKEN);
  g_list_store_insert (store, 1, cp5);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.added, ==, 1);
  ids = ids_of (G_LIST_MODEL (model));
  g_assert_cmpstr (ids, ==, "CP1 CP5 CP3 CP4");
  g_free (ids);
  g_list_store_remove (store, 0);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);
  ev_charging_point_set_state (cps[1], EV_CP_STATE_BROKEN);
  ids = ids_of (G_LIST_MODEL (model));
  g_assert_cmpstr (ids, ==, "CP5 CP2 CP3 CP4");
  g_free (ids);

  /* Back to every state, then no list: nothing watched any more. */
  ev_cp_state_model_set_state (model, -1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  ev_cp_state_model_set_model (model, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 0));
}

/* A CP holds its supply itself: the supply's changes are the CP's, until
 * another supply (or none) takes its place. */
static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

/* A CP notifies :supply when it holds another supply; a figure of the
 * supply it holds is the supply's notification and the CP's
 * ::supply-changed, so that a view bound to supply.kwh is told once. */
static void
test_cp_supply (void)
{
  EvChargingPoint *cp = ev_charging_point_new ("CP1");
  EvSupply *first = ev_supply_new ("S1", "CP1", "D1");
  EvSupply *second = ev_supply_new ("S2", "CP1", "D2");
  NotifyLog log;
  guint changed = 0;

  watch (G_OBJECT (cp), &log);
  g_signal_connect (cp, "supply-changed", G_CALLBACK (count_cb), &changed);
  g_assert_null (ev_charging_point_get_supply (cp));
  g_assert_null (ev_charging_point_get_driver_id (cp));
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 0.0);

  ev_charging_point_set_supply (cp, first);
  ev_charging_point_set_supply (cp, first);
  g_assert_cmpuint (notified (&log, "supply"), ==, 1);
  g_assert_cmpuint (changed, ==, 0);
  g_assert_cmpstr (ev_charging_point_get_driver_id (cp), ==, "D1");
  g_assert_cmpstr (ev_charging_point_get_supply_id (cp), ==, "S1");

  ev_supply_set_kwh (first, 1.5);
  ev_supply_set_kwh (first, 1.5);
  g_assert_cmpuint (notified (&log, "supply"), ==, 1);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 1.5);

  g_object_set (cp, "supply", second, NULL);
  g_assert_cmpuint (notified (&log, "supply"), ==, 2);
  /* The old supply is no longer this CP's. */
  ev_supply_set_kwh (first, 3.0);
  g_assert_cmpuint (notified (&log, "supply"), ==, 2);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpfloat (ev_charging_point_get_kwh (cp), ==, 0.0);
  ev_supply_set_kwh (second, 2.0);
  g_assert_cmpuint (changed, ==, 2);

  ev_charging_point_set_supply (cp, NULL);
  g_assert_cmpuint (notified (&log, "supply"), ==, 3);
  ev_supply_set_kwh (second, 1.0);
  g_assert_cmpuint (notified (&log, "supply"), ==, 3);
  g_assert_cmpuint (changed, ==, 2);

  g_hash_table_unref (log.counts);
  g_assert_finalize_object (cp);
  g_assert_finalize_object (first);
  g_assert_finalize_object (second);
}

/* How a view's CP follows the original: the same supply is updated in
 * place (its watchers see its figures change), another is copied. */
static void
test_cp_update_supply (void)
{
  g_autoptr(EvChargingPoint) original = ev_charging_point_new ("CP1");
  g_autoptr(EvChargingPoint) view = ev_charging_point_new ("CP1");
  g_autoptr(EvSupply) live = ev_supply_new ("S1", "CP1", "D1");
  g_autoptr(EvSupply) next = ev_supply_new ("S2", "CP1", "D2");
  EvSupply *shown;
  NotifyLog log;

  ev_charging_point_set_supply (original, live);
  ev_charging_point_update (view, original);
  shown = ev_charging_point_get_supply (view);
  g_assert_nonnull (shown);
  g_assert_true (shown != live);
  g_assert_cmpstr (ev_supply_get_driver_id (shown), ==, "D1");

  watch (G_OBJECT (shown), &log);
  ev_supply_set_kwh (live, 2.5);
  ev_supply_set_amount (live, 0.875);
  ev_charging_point_update (view, original);
  g_assert_true (ev_charging_point_get_supply (view) == shown);
  g_assert_cmpuint (notified (&log, "kwh"), ==, 1);
  g_assert_cmpuint (notified (&log, "amount"), ==, 1);
  g_assert_cmpuint (notified (&log, "phase"), ==, 0);
  g_assert_cmpfloat (ev_charging_point_get_kwh (view), ==, 2.5);

  ev_charging_point_set_supply (original, next);
  ev_charging_point_update (view, original);
  g_assert_cmpstr (ev_charging_point_get_supply_id (view), ==, "S2");

  ev_charging_point_set_supply (original, NULL);
  ev_charging_point_update (view, original);
  g_assert_null (ev_charging_point_get_supply (view));

  g_hash_table_unref (log.counts);
}

/* Every property notifies once per real change, never for an equal value,
 * and an update from an equal supply notifies nothing. */
static void
test_supply_notify_once (void)
{
  g_autoptr(EvSupply) s = ev_supply_new ("S1", "CP1", "D7");
  g_autoptr(EvSupply) same = NULL;
  g_autoptr(EvSupply) later = NULL;
  const char *changing[] = { "phase", "price", "kwh", "amount", "seq", "started-at",
                             "ended-at", "reason", "provisional" };
  NotifyLog log;

  watch (G_OBJECT (s), &log);
  for (guint round = 0; round < 2; round++)
    {
      ev_supply_set_phase (s, EV_SUPPLY_PHASE_SUPPLYING);
      ev_supply_set_price (s, 0.35);
      ev_supply_set_kwh (s, 2.0);
      ev_supply_set_amount (s, 0.7);
      ev_supply_set_seq (s, 3);
      ev_supply_set_started_at (s, 1700000000000);
      ev_supply_set_ended_at (s, 1700000060000);
      ev_supply_set_reason (s, "unplugged");
      ev_supply_set_provisional (s, TRUE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (changing); i++)
    g_assert_cmpuint (notified (&log, changing[i]), ==, 1);
  g_assert_cmpuint (g_hash_table_size (log.counts), ==, G_N_ELEMENTS (changing));

  reset (&log);
  same = ev_supply_copy (s);
  ev_supply_update (s, same);
  g_assert_cmpuint (g_hash_table_size (log.counts), ==, 0);

  later = ev_supply_copy (s);
  ev_supply_set_kwh (later, 2.5);
  ev_supply_set_seq (later, 4);
  ev_supply_update (s, later);
  g_assert_cmpuint (notified (&log, "kwh"), ==, 1);
  g_assert_cmpuint (notified (&log, "seq"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (log.counts), ==, 2);

  g_hash_table_unref (log.counts);
}

/* A supply made while only requested (a driver's) learns its id once;
 * ev_supply_differs() compares values, no supply counting as the
 * defaults. */
static void
test_supply_id_and_differs (void)
{
  g_autoptr(EvSupply) s = ev_supply_new (NULL, "CP1", "D7");
  g_autoptr(EvSupply) t = NULL;
  NotifyLog log;

  watch (G_OBJECT (s), &log);
  ev_supply_set_supply_id (s, "S1");
  ev_supply_set_supply_id (s, "S1");
  g_assert_cmpstr (ev_supply_get_supply_id (s), ==, "S1");
  g_assert_cmpuint (notified (&log, "supply-id"), ==, 1);
  g_assert_cmpuint (g_hash_table_size (log.counts), ==, 1);

  t = ev_supply_copy (s);
  g_assert_false (ev_supply_differs (s, t, "kwh"));
  g_assert_false (ev_supply_differs (s, t, "supply-id"));
  ev_supply_set_kwh (t, 1.5);
  g_assert_true (ev_supply_differs (s, t, "kwh"));
  g_assert_false (ev_supply_differs (s, t, "amount"));
  g_assert_false (ev_supply_differs (NULL, s, "kwh"));
  g_assert_true (ev_supply_differs (NULL, t, "kwh"));
  g_assert_true (ev_supply_differs (s, NULL, "cp-id"));
  g_assert_false (ev_supply_differs (NULL, NULL, "cp-id"));

  g_hash_table_unref (log.counts);
}

/* The phases have one set of names, the one the database keeps. */
static void
test_supply_phase_names (void)
{
  const char *names[] = { "requested", "authorized", "supplying", "finished", "failed" };
  EvSupplyPhase phase = EV_SUPPLY_PHASE_REQUESTED;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (ev_supply_phase_to_string (i), ==, names[i]);
      g_assert_true (ev_supply_phase_from_string (names[i], &phase));
      g_assert_cmpint (phase, ==, i);
    }
  g_assert_false (ev_supply_phase_from_string ("denied", &phase));
  g_assert_false (ev_supply_phase_from_string (NULL, &phase));
  g_assert_cmpint (phase, ==, EV_SUPPLY_PHASE_FAILED);
}

static void
test_session_lifecycle (void)
{
  EvSupply *s = ev_supply_new ("6f1c0a51-8d2e-4c9a-9a52-3a8a0b4b8f10", "CP1", "D7");
  NotifyLog log;

  watch (G_OBJECT (s), &log);

  g_assert_cmpint (ev_supply_get_phase (s), ==, EV_SUPPLY_PHASE_REQUESTED);
  g_assert_false (ev_supply_is_concluded (s));

  ev_supply_set_phase (s, EV_SUPPLY_PHASE_SUPPLYING);
  ev_supply_set_seq (s, 3);
  ev_supply_set_seq (s, 3);
  ev_supply_set_kwh (s, 2.0);
  ev_supply_set_amount (s, 0.7);
  ev_supply_set_started_at (s, 1700000000000);
  g_assert_false (ev_supply_is_concluded (s));

  ev_supply_set_phase (s, EV_SUPPLY_PHASE_FINISHED);
  ev_supply_set_ended_at (s, 1700000060000);
  ev_supply_set_reason (s, "unplugged");
  ev_supply_set_reason (s, "unplugged");
  g_assert_true (ev_supply_is_concluded (s));

  g_assert_cmpuint (notified (&log, "phase"), ==, 2);
  g_assert_cmpuint (notified (&log, "seq"), ==, 1);
  g_assert_cmpuint (notified (&log, "reason"), ==, 1);
  g_assert_cmpstr (ev_supply_get_cp_id (s), ==, "CP1");
  g_assert_cmpstr (ev_supply_get_driver_id (s), ==, "D7");
  g_assert_cmpint (ev_supply_get_ended_at (s), ==, 1700000060000);

  ev_supply_set_phase (s, EV_SUPPLY_PHASE_FAILED);
  g_assert_true (ev_supply_is_concluded (s));

  g_hash_table_unref (log.counts);
  g_assert_finalize_object (s);
}

static void
test_session_rejects_bad_numbers (void)
{
  EvSupply *s = ev_supply_new (NULL, "CP1", "station:CP1");

  g_test_expect_message ("EvCommon", G_LOG_LEVEL_CRITICAL, "*amount >= 0.0*");
  ev_supply_set_amount (s, -0.5);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (ev_supply_get_amount (s), ==, 0.0);
  g_assert_null (ev_supply_get_supply_id (s));

  g_assert_finalize_object (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/charging-point/new-destroy", test_cp_new_destroy);
  g_test_add_func ("/charging-point/copy", test_cp_copy);
  g_test_add_func ("/charging-point/notify-once", test_cp_notify_once_per_change);
  g_test_add_func ("/charging-point/bad-numbers", test_cp_rejects_bad_numbers);
  g_test_add_func ("/charging-point/list-model", test_cp_in_list_model);
  g_test_add_func ("/charging-point/state-model", test_cp_state_model);
  g_test_add_func ("/charging-point/supply", test_cp_supply);
  g_test_add_func ("/charging-point/update-supply", test_cp_update_supply);
  g_test_add_func ("/supply/lifecycle", test_session_lifecycle);
  g_test_add_func ("/supply/bad-numbers", test_session_rejects_bad_numbers);
  g_test_add_func ("/supply/notify-once", test_supply_notify_once);
  g_test_add_func ("/supply/phase-names", test_supply_phase_names);
  g_test_add_func ("/supply/id-and-differs", test_supply_id_and_differs);

  return g_test_run ();
}

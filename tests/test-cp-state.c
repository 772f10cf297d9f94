#include "config.h"

#include "ev-cp-state.h"
#include "ev-enum-types.h"

static const struct {
  EvCpState state;
  const char *wire;
  const char *css_class;
  gboolean available;
} cases[] = {
  { EV_CP_STATE_DISCONNECTED, "DISCONNECTED", "state-disconnected", FALSE },
  { EV_CP_STATE_ACTIVE, "ACTIVE", "state-active", TRUE },
  { EV_CP_STATE_WAITING, "WAITING", "state-waiting", FALSE },
  { EV_CP_STATE_SUPPLYING, "SUPPLYING", "state-supplying", FALSE },
  { EV_CP_STATE_STOPPED, "STOPPED", "state-stopped", FALSE },
  { EV_CP_STATE_BROKEN, "BROKEN", "state-broken", FALSE },
};

static void
test_wire_names (void)
{
  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      EvCpState parsed = (EvCpState) -1;

      g_assert_cmpstr (ev_cp_state_to_string (cases[i].state), ==, cases[i].wire);
      g_assert_true (ev_cp_state_from_string (cases[i].wire, &parsed));
      g_assert_cmpint (parsed, ==, cases[i].state);
      g_assert_cmpstr (ev_cp_state_get_css_class (cases[i].state), ==, cases[i].css_class);
      g_assert_cmpint (ev_cp_state_is_available (cases[i].state), ==, cases[i].available);
      g_assert_nonnull (ev_cp_state_get_label (cases[i].state));
      g_assert_cmpstr (ev_cp_state_get_label (cases[i].state), !=, "");
    }
}

static void
test_unknown_names (void)
{
  static const char *bad[] = { "", "active", "Active", "ACTIVE ", "BROKEN_DOWN", "WAITING_FOR_SUPPLY", "OK" };
  EvCpState parsed = EV_CP_STATE_STOPPED;

  for (unsigned i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (ev_cp_state_from_string (bad[i], &parsed));
  g_assert_false (ev_cp_state_from_string (NULL, &parsed));

  /* A failed parse leaves the output alone. */
  g_assert_cmpint (parsed, ==, EV_CP_STATE_STOPPED);
  g_assert_null (ev_cp_state_to_string ((EvCpState) 42));
}

static void
test_labels_distinct (void)
{
  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    for (unsigned j = i + 1; j < G_N_ELEMENTS (cases); j++)
      g_assert_cmpstr (ev_cp_state_get_label (cases[i].state), !=,
                       ev_cp_state_get_label (cases[j].state));

  /* The spec names two labels exactly. */
  g_assert_cmpstr (ev_cp_state_get_label (EV_CP_STATE_STOPPED), ==, "Out of order");
  g_assert_cmpstr (ev_cp_state_get_label (EV_CP_STATE_BROKEN), ==, "Broken down");
}

static void
test_gtype_matches_wire (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (EV_TYPE_CP_STATE);

  g_assert_cmpuint (klass->n_values, ==, G_N_ELEMENTS (cases));
  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_nonnull (g_enum_get_value (klass, cases[i].state));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cp-state/wire-names", test_wire_names);
  g_test_add_func ("/cp-state/unknown-names", test_unknown_names);
  g_test_add_func ("/cp-state/labels-distinct", test_labels_distinct);
  g_test_add_func ("/cp-state/gtype", test_gtype_matches_wire);

  return g_test_run ();
}

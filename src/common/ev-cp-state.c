#include "config.h"

#include <glib/gi18n-lib.h>

#include "ev-cp-state.h"

typedef struct {
  const char *wire;
  const char *label;
  const char *css_class;
} StateInfo;

/* Indexed by EvCpState. The wire names are the contract of
 * docs/protocol.md; the CSS classes are what every window colours by. */
static const StateInfo state_info[] = {
  [EV_CP_STATE_DISCONNECTED] = { "DISCONNECTED", N_("Disconnected"), "state-disconnected" },
  [EV_CP_STATE_ACTIVE] = { "ACTIVE", N_("Available"), "state-active" },
  [EV_CP_STATE_WAITING] = { "WAITING", N_("Plug in"), "state-waiting" },
  [EV_CP_STATE_SUPPLYING] = { "SUPPLYING", N_("Supplying"), "state-supplying" },
  [EV_CP_STATE_STOPPED] = { "STOPPED", N_("Out of order"), "state-stopped" },
  [EV_CP_STATE_BROKEN] = { "BROKEN", N_("Broken down"), "state-broken" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (state_info) == EV_CP_STATE_LAST + 1);

static const StateInfo *
lookup (EvCpState state)
{
  if ((unsigned) state > EV_CP_STATE_LAST)
    return NULL;
  return &state_info[state];
}

/**
 * ev_cp_state_to_string:
 * @state: a state
 *
 * Returns: (transfer none): the wire name of @state (`"ACTIVE"`, …), or
 *   %NULL if @state is not a valid state.
 */
const char *
ev_cp_state_to_string (EvCpState state)
{
  const StateInfo *info = lookup (state);

  return info != NULL ? info->wire : NULL;
}

/**
 * ev_cp_state_from_string:
 * @text: (nullable): a wire name such as `"SUPPLYING"`
 * @state: (out): where to store the state
 *
 * Parses a wire name. Matching is exact: `"active"` is not a state.
 *
 * Returns: %TRUE if @text named a state
 */
gboolean
ev_cp_state_from_string (const char *text,
                         EvCpState  *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  for (unsigned i = 0; i < G_N_ELEMENTS (state_info); i++)
    {
      if (g_str_equal (text, state_info[i].wire))
        {
          *state = (EvCpState) i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * ev_cp_state_get_label:
 * @state: a state
 *
 * Returns: (transfer none): the translated label shown to people
 */
const char *
ev_cp_state_get_label (EvCpState state)
{
  const StateInfo *info = lookup (state);

  g_return_val_if_fail (info != NULL, NULL);

  return g_dgettext (GETTEXT_PACKAGE, info->label);
}

/**
 * ev_cp_state_get_css_class:
 * @state: a state
 *
 * Returns: (transfer none): the CSS class that colours widgets in @state
 */
const char *
ev_cp_state_get_css_class (EvCpState state)
{
  const StateInfo *info = lookup (state);

  g_return_val_if_fail (info != NULL, NULL);

  return info->css_class;
}

/**
 * ev_cp_state_is_available:
 * @state: a state
 *
 * Returns: %TRUE if a driver may request a supply at a CP in @state
 */
gboolean
ev_cp_state_is_available (EvCpState state)
{
  return state == EV_CP_STATE_ACTIVE;
}

/* ev-cp-state-model.c: the charging points of a list in one state, kept
 * up to date one item at a time. */

#include "config.h"

#include "ev-charging-point.h"
#include "ev-cp-state-model.h"

/* One item of the other model, while a state is chosen. */
typedef struct
{
  EvCpStateModel *self;
  EvChargingPoint *item;
  guint position;      /* in the other model */
  gulong handler;      /* notify::state */
} Entry;

struct _EvCpStateModel
{
  GObject parent_instance;

  GListModel *model;
  int state;

  /* Only while state >= 0: */
  GPtrArray *all;      /* Entry, one per item of the model, in its order */
  GPtrArray *shown;    /* Entry (borrowed from all) in the state, in order */
};

static void ev_cp_state_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EvCpStateModel, ev_cp_state_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, ev_cp_state_model_list_model_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_signal_handler_disconnect (entry->item, entry->handler);
  g_object_unref (entry->item);
  g_free (entry);
}

static gboolean
entry_matches (Entry *entry)
{
  return (int) ev_charging_point_get_state (entry->item) == entry->self->state;
}

/* The first index of shown whose item is at @position or after it. */
static guint
lower_bound (EvCpStateModel *self,
             guint           position)
{
  guint lo = 0, hi = self->shown->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      Entry *entry = g_ptr_array_index (self->shown, mid);

      if (entry->position < position)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
item_state_cb (EvChargingPoint *item,
               GParamSpec      *pspec,
               gpointer         user_data)
{
  Entry *entry = user_data;
  EvCpStateModel *self = entry->self;
  guint index = lower_bound (self, entry->position);
  gboolean present = index < self->shown->len && g_ptr_array_index (self->shown, index) == entry;
  gboolean matches = entry_matches (entry);

  if (matches && !present)
    {
      g_ptr_array_insert (self->shown, index, entry);
      g_list_model_items_changed (G_LIST_MODEL (self), index, 0, 1);
    }
  else if (!matches && present)
    {
      g_ptr_array_remove_index (self->shown, index);
      g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);
    }
}

static Entry *
entry_new (EvCpStateModel *self,
           guint           position)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->self = self;
  entry->item = g_list_model_get_item (self->model, position);
  entry->position = position;
  entry->handler = g_signal_connect (entry->item, "notify::state", G_CALLBACK (item_state_cb), entry);
  return entry;
}

static guint
n_shown (EvCpStateModel *self)
{
  if (self->model == NULL)
    return 0;
  if (self->state < 0)
    return g_list_model_get_n_items (self->model);
  return self->shown->len;
}

/* Watches every item of the model when a state is chosen; nothing else. */
static void
rebuild (EvCpStateModel *self)
{
  guint n;

  g_ptr_array_set_size (self->shown, 0);
  g_ptr_array_set_size (self->all, 0);
  if (self->model == NULL || self->state < 0)
    return;

  n = g_list_model_get_n_items (self->model);
  for (guint i = 0; i < n; i++)
    {
      Entry *entry = entry_new (self, i);

      g_ptr_array_add (self->all, entry);
      if (entry_matches (entry))
        g_ptr_array_add (self->shown, entry);
    }
}

static void
model_items_changed_cb (GListModel     *model,
                        guint           position,
                        guint           removed,
                        guint           added,
                        EvCpStateModel *self)
{
  guint first, last, n_added = 0;

  if (self->state < 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  /* The shown items among the removed ones are one run of shown. */
  first = lower_bound (self, position);
  last = lower_bound (self, position + removed);
  g_ptr_array_remove_range (self->shown, first, last - first);
  g_ptr_array_remove_range (self->all, position, removed);

  for (guint i = 0; i < added; i++)
    {
      Entry *entry = entry_new (self, position + i);

      g_ptr_array_insert (self->all, position + i, entry);
      if (entry_matches (entry))
        g_ptr_array_insert (self->shown, first + n_added++, entry);
    }
  if (removed != added)
    for (guint i = position + added; i < self->all->len; i++)
      ((Entry *) g_ptr_array_index (self->all, i))->position = i;

  if (last - first > 0 || n_added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), first, last - first, n_added);
}

static GType
ev_cp_state_model_get_item_type (GListModel *list)
{
  return EV_TYPE_CHARGING_POINT;
}

static guint
ev_cp_state_model_get_n_items (GListModel *list)
{
  return n_shown (EV_CP_STATE_MODEL (list));
}

static gpointer
ev_cp_state_model_get_item (GListModel *list,
                            guint       position)
{
  EvCpStateModel *self = EV_CP_STATE_MODEL (list);

  if (self->model == NULL)
    return NULL;
  if (self->state < 0)
    return g_list_model_get_item (self->model, position);
  if (position >= self->shown->len)
    return NULL;
  return g_object_ref (((Entry *) g_ptr_array_index (self->shown, position))->item);
}

static void
ev_cp_state_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ev_cp_state_model_get_item_type;
  iface->get_n_items = ev_cp_state_model_get_n_items;
  iface->get_item = ev_cp_state_model_get_item;
}

static void
ev_cp_state_model_dispose (GObject *object)
{
  EvCpStateModel *self = EV_CP_STATE_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, model_items_changed_cb, self);
  g_clear_object (&self->model);
  g_ptr_array_set_size (self->shown, 0);
  g_ptr_array_set_size (self->all, 0);

  G_OBJECT_CLASS (ev_cp_state_model_parent_class)->dispose (object);
}

static void
ev_cp_state_model_finalize (GObject *object)
{
  EvCpStateModel *self = EV_CP_STATE_MODEL (object);

  g_ptr_array_unref (self->shown);
  g_ptr_array_unref (self->all);

  G_OBJECT_CLASS (ev_cp_state_model_parent_class)->finalize (object);
}

static void
ev_cp_state_model_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EvCpStateModel *self = EV_CP_STATE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_cp_state_model_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EvCpStateModel *self = EV_CP_STATE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      ev_cp_state_model_set_model (self, g_value_get_object (value));
      break;
    case PROP_STATE:
      ev_cp_state_model_set_state (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_cp_state_model_class_init (EvCpStateModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ev_cp_state_model_dispose;
  object_class->finalize = ev_cp_state_model_finalize;
  object_class->get_property = ev_cp_state_model_get_property;
  object_class->set_property = ev_cp_state_model_set_property;

  properties[PROP_MODEL] = g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, -1, EV_CP_STATE_LAST, -1, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_cp_state_model_init (EvCpStateModel *self)
{
  self->state = -1;
  self->all = g_ptr_array_new_with_free_func (entry_free);
  self->shown = g_ptr_array_new ();
}

/**
 * ev_cp_state_model_new:
 * @model: (nullable): a #GListModel of #EvChargingPoint
 * @state: an #EvCpState, or -1 for every state
 *
 * Returns: (transfer full): a new #EvCpStateModel
 */
EvCpStateModel *
ev_cp_state_model_new (GListModel *model,
                       int         state)
{
  return g_object_new (EV_TYPE_CP_STATE_MODEL, "model", model, "state", state, NULL);
}

GListModel *
ev_cp_state_model_get_model (EvCpStateModel *self)
{
  g_return_val_if_fail (EV_IS_CP_STATE_MODEL (self), NULL);
  return self->model;
}

void
ev_cp_state_model_set_model (EvCpStateModel *self,
                             GListModel     *model)
{
  guint old_n;

  g_return_if_fail (EV_IS_CP_STATE_MODEL (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  old_n = n_shown (self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, model_items_changed_cb, self);
  g_set_object (&self->model, model);
  if (self->model != NULL)
    g_signal_connect (self->model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
  rebuild (self);

  if (old_n > 0 || n_shown (self) > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, n_shown (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

int
ev_cp_state_model_get_state (EvCpStateModel *self)
{
  g_return_val_if_fail (EV_IS_CP_STATE_MODEL (self), -1);
  return self->state;
}

void
ev_cp_state_model_set_state (EvCpStateModel *self,
                             int             state)
{
  guint old_n;

  g_return_if_fail (EV_IS_CP_STATE_MODEL (self));
  g_return_if_fail (state >= -1 && state <= EV_CP_STATE_LAST);

  if (self->state == state)
    return;

  old_n = n_shown (self);
  self->state = state;
  rebuild (self);

  if (old_n > 0 || n_shown (self) > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, n_shown (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

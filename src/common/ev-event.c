#include "config.h"

#include <string.h>

#include "ev-event.h"
#include "ev-headless.h"

/**
 * EvEvent:
 *
 * Something that happened in a core, as its views are told: an immutable
 * object of a kind (a value of the app's kind enumeration, whose nick is
 * the event's name in the headless front end), the time it happened and,
 * for some kinds, a message for people. Each app derives its event type
 * with the typed data of its kinds.
 *
 * A core has one `event` signal (ev_event_signal_new()) carrying its
 * events; the windows read their typed data and the headless front end
 * turns them into JSON lines (ev_event_connect_printer()).
 */

typedef struct
{
  int kind;
  gint64 time;
  char *message;
  /* The strings of the app's data point in here. */
  GStringChunk *strings;
  gboolean has_data;
} EvEventPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (EvEvent, ev_event, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_TIME,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ev_event_constructed (GObject *object)
{
  EvEvent *self = EV_EVENT (object);
  EvEventPrivate *priv = ev_event_get_instance_private (self);
  EvEventClass *klass = EV_EVENT_GET_CLASS (self);

  G_OBJECT_CLASS (ev_event_parent_class)->constructed (object);

  if (klass->kinds == NULL || g_enum_get_value (klass->kinds, priv->kind) == NULL)
    g_critical ("%s: %d is not a kind of event", G_OBJECT_TYPE_NAME (object), priv->kind);
}

static void
ev_event_finalize (GObject *object)
{
  EvEvent *self = EV_EVENT (object);
  EvEventPrivate *priv = ev_event_get_instance_private (self);
  EvEventClass *klass = EV_EVENT_GET_CLASS (self);

  for (guint i = 0; priv->has_data && i < klass->n_members; i++)
    {
      const EvEventMember *member = &klass->members[i];
      gpointer *slot = G_STRUCT_MEMBER_P (self, klass->data_offset + member->offset);

      if (member->free != NULL && *slot != NULL)
        member->free (*slot);
    }
  g_clear_pointer (&priv->strings, g_string_chunk_free);
  g_free (priv->message);

  G_OBJECT_CLASS (ev_event_parent_class)->finalize (object);
}

static void
ev_event_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  EvEvent *self = EV_EVENT (object);
  EvEventPrivate *priv = ev_event_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_int (value, priv->kind);
      break;
    case PROP_NAME:
      g_value_set_string (value, ev_event_get_name (self));
      break;
    case PROP_TIME:
      g_value_set_int64 (value, priv->time);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, priv->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_event_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  EvEventPrivate *priv = ev_event_get_instance_private (EV_EVENT (object));

  switch (prop_id)
    {
    case PROP_KIND:
      priv->kind = g_value_get_int (value);
      break;
    case PROP_MESSAGE:
      priv->message = g_value_dup_string (value);
      break;
    case PROP_TIME:
      if (g_value_get_int64 (value) > 0)
        priv->time = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ev_event_class_init (EvEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                                G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = ev_event_constructed;
  object_class->finalize = ev_event_finalize;
  object_class->get_property = ev_event_get_property;
  object_class->set_property = ev_event_set_property;

  /**
   * EvEvent:kind:
   *
   * A value of the kind enumeration of the app's event type.
   */
  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, 0, G_MAXINT, 0, construct);
  /**
   * EvEvent:name:
   *
   * The nick of the kind: the event's name in the headless front end.
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, readable);
  /**
   * EvEvent:time:
   *
   * When it happened, in milliseconds since the epoch; 0 when made:
   * now (an event read back from a file or a database keeps its time).
   */
  properties[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, construct);
  /**
   * EvEvent:message:
   *
   * What happened in words for people (translated), for the kinds that
   * have one (errors, for instance).
   */
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, construct);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ev_event_init (EvEvent *self)
{
  EvEventPrivate *priv = ev_event_get_instance_private (self);

  priv->time = g_get_real_time () / 1000;
}

/**
 * ev_event_class_set_kind_type:
 * @klass: the class of an app's event type
 * @kind_type: the #GEnum of its kinds
 *
 * Called from the class_init of every type derived from #EvEvent.
 */
void
ev_event_class_set_kind_type (EvEventClass *klass,
                              GType         kind_type)
{
  g_return_if_fail (EV_IS_EVENT_CLASS (klass));
  g_return_if_fail (G_TYPE_IS_ENUM (kind_type));

  klass->kinds = g_type_class_ref (kind_type);
}

/**
 * ev_event_class_set_data:
 * @klass: the class of an app's event type
 * @data_offset: where its instance struct holds its data struct
 * @data_size: the size of the data struct
 * @members: (array length=n_members): the data's pointer members
 * @n_members: how many
 *
 * Tells how the data of an app's events is copied and freed, so that
 * ev_event_set_data() and finalisation do it; called from the class_init
 * of a type derived from #EvEvent that has data.
 */
void
ev_event_class_set_data (EvEventClass        *klass,
                         gsize                data_offset,
                         gsize                data_size,
                         const EvEventMember *members,
                         guint                n_members)
{
  g_return_if_fail (EV_IS_EVENT_CLASS (klass));
  g_return_if_fail (data_offset >= sizeof (EvEvent));

  klass->data_offset = data_offset;
  klass->data_size = data_size;
  klass->members = members;
  klass->n_members = n_members;
}

/**
 * ev_event_set_data:
 * @self: an event just made
 * @data: (nullable): its data, of the struct ev_event_class_set_data()
 *   named
 *
 * Copies @data into the event, once: the strings into the event's own
 * store, the other pointer members with their copy function.
 */
void
ev_event_set_data (EvEvent       *self,
                   gconstpointer  data)
{
  EvEventPrivate *priv;
  EvEventClass *klass;

  g_return_if_fail (EV_IS_EVENT (self));

  priv = ev_event_get_instance_private (self);
  klass = EV_EVENT_GET_CLASS (self);
  g_return_if_fail (klass->data_size > 0);
  g_return_if_fail (!priv->has_data);
  if (data == NULL)
    return;

  memcpy (G_STRUCT_MEMBER_P (self, klass->data_offset), data, klass->data_size);
  priv->has_data = TRUE;
  for (guint i = 0; i < klass->n_members; i++)
    {
      const EvEventMember *member = &klass->members[i];
      gpointer *slot = G_STRUCT_MEMBER_P (self, klass->data_offset + member->offset);

      if (*slot == NULL)
        continue;
      if (member->copy != NULL)
        {
          *slot = member->copy (*slot);
          continue;
        }
      if (priv->strings == NULL)
        priv->strings = g_string_chunk_new (128);
      *slot = g_string_chunk_insert_const (priv->strings, *slot);
    }
}

/**
 * ev_event_get_kind:
 * @self: an event
 *
 * Returns: its kind, a value of the app's kind enumeration
 */
int
ev_event_get_kind (EvEvent *self)
{
  EvEventPrivate *priv;

  g_return_val_if_fail (EV_IS_EVENT (self), 0);

  priv = ev_event_get_instance_private (self);
  return priv->kind;
}

/**
 * ev_event_get_name:
 * @self: an event
 *
 * Returns: the nick of its kind, the name docs/cli.md gives the event
 */
const char *
ev_event_get_name (EvEvent *self)
{
  GEnumValue *value;

  g_return_val_if_fail (EV_IS_EVENT (self), NULL);

  value = g_enum_get_value (EV_EVENT_GET_CLASS (self)->kinds, ev_event_get_kind (self));
  return value != NULL ? value->value_nick : NULL;
}

/**
 * ev_event_get_time:
 * @self: an event
 *
 * Returns: when it happened, in milliseconds since the epoch
 */
gint64
ev_event_get_time (EvEvent *self)
{
  EvEventPrivate *priv;

  g_return_val_if_fail (EV_IS_EVENT (self), 0);

  priv = ev_event_get_instance_private (self);
  return priv->time;
}

/**
 * ev_event_get_message:
 * @self: an event
 *
 * Returns: (nullable): what happened in words for people, for the kinds
 *   that have one
 */
const char *
ev_event_get_message (EvEvent *self)
{
  EvEventPrivate *priv;

  g_return_val_if_fail (EV_IS_EVENT (self), NULL);

  priv = ev_event_get_instance_private (self);
  return priv->message;
}

/**
 * ev_event_signal_new:
 * @instance_type: a core's type
 * @event_type: the type of its events, derived from #EvEvent
 *
 * Creates the `event` signal of a core: one argument, the event, which
 * handlers may keep with a reference.
 *
 * Returns: the signal's id
 */
guint
ev_event_signal_new (GType instance_type,
                     GType event_type)
{
  g_return_val_if_fail (g_type_is_a (event_type, EV_TYPE_EVENT), 0);

  return g_signal_new ("event", instance_type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                       g_cclosure_marshal_VOID__OBJECT, G_TYPE_NONE, 1, event_type);
}

/**
 * ev_event_emit:
 * @instance: a core
 * @signal_id: its `event` signal
 * @event: (transfer full): the event
 *
 * Emits @event, taking it.
 */
void
ev_event_emit (gpointer instance,
               guint    signal_id,
               gpointer event)
{
  g_autoptr(EvEvent) owned = event;

  g_return_if_fail (EV_IS_EVENT (owned));

  g_signal_emit (instance, signal_id, 0, owned);
}

typedef struct
{
  EvEventJsonFunc to_json;
} Printer;

static void
print_event_cb (GObject *core,
                EvEvent *event,
                gpointer user_data)
{
  Printer *printer = user_data;
  g_autoptr(JsonObject) fields = printer->to_json (core, event);

  if (fields != NULL)
    ev_headless_print_event (ev_event_get_name (event), fields);
}

/**
 * ev_event_connect_printer:
 * @core: a core with an `event` signal of #EvEvent
 * @to_json: its headless front end's conversion
 *
 * For the headless front ends (#EvHeadlessRole's watch): prints every
 * event of @core as a JSON line, `{"event": name, …to_json (core, event)}`;
 * an event for which @to_json returns %NULL is not printed. The handler
 * runs on the thread that emits the events.
 *
 * Returns: the handler's id
 */
gulong
ev_event_connect_printer (gpointer        core,
                          EvEventJsonFunc to_json)
{
  Printer *printer;

  g_return_val_if_fail (G_IS_OBJECT (core), 0);
  g_return_val_if_fail (to_json != NULL, 0);

  printer = g_new0 (Printer, 1);
  printer->to_json = to_json;
  return g_signal_connect_data (core, "event", G_CALLBACK (print_event_cb), printer,
                                (GClosureNotify) (void (*) (void)) g_free, 0);
}

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define EV_TYPE_EVENT (ev_event_get_type ())

G_DECLARE_DERIVABLE_TYPE (EvEvent, ev_event, EV, EVENT, GObject)

/**
 * EvEventClass:
 * @parent_class: the parent class
 *
 * Each app's event type derives from #EvEvent and names, with
 * ev_event_class_set_kind_type(), the enumeration of its kinds.
 */
struct _EvEventClass
{
  GObjectClass parent_class;

  /*< private >*/
  GEnumClass *kinds;
  gsize data_offset;
  gsize data_size;
  const struct _EvEventMember *members;
  guint n_members;
};

/**
 * EvEventMember:
 * @offset: where the member is in the app's data struct
 * @copy: (nullable): how to copy it; %NULL for a string
 * @free: (nullable): how to free a copy (strings are the event's own)
 *
 * A pointer member of an app's event data, which the event copies when
 * made and frees when it goes; the other members are copied as they are.
 */
typedef struct _EvEventMember {
  gsize          offset;
  GBoxedCopyFunc copy;
  GDestroyNotify free;
} EvEventMember;

/* A string member of an event data struct. */
#define EV_EVENT_STRING(type, member) { G_STRUCT_OFFSET (type, member), NULL, NULL }
/* A member copied with @copy and freed with @free. */
#define EV_EVENT_BOXED(type, member, copy, free) \
  { G_STRUCT_OFFSET (type, member), (GBoxedCopyFunc) (void (*) (void)) (copy), \
    (GDestroyNotify) (void (*) (void)) (free) }

void         ev_event_class_set_kind_type (EvEventClass *klass,
                                           GType         kind_type);
void         ev_event_class_set_data      (EvEventClass        *klass,
                                           gsize                data_offset,
                                           gsize                data_size,
                                           const EvEventMember *members,
                                           guint                n_members);
void         ev_event_set_data            (EvEvent             *self,
                                           gconstpointer        data);

int          ev_event_get_kind            (EvEvent      *self);
const char  *ev_event_get_name            (EvEvent      *self);
gint64       ev_event_get_time            (EvEvent      *self);
const char  *ev_event_get_message         (EvEvent      *self);

guint        ev_event_signal_new          (GType         instance_type,
                                           GType         event_type);
void         ev_event_emit                (gpointer      instance,
                                           guint         signal_id,
                                           gpointer      event);

/**
 * EvEventJsonFunc:
 * @core: the core that emitted @event
 * @event: one of its events
 *
 * A headless front end's conversion of an event to the members of its
 * JSON line, without "event".
 *
 * Returns: (transfer full) (nullable): the members, or %NULL for an
 *   event the front end does not print
 */
typedef JsonObject *(*EvEventJsonFunc) (gpointer  core,
                                        EvEvent  *event);

gulong       ev_event_connect_printer     (gpointer         core,
                                           EvEventJsonFunc  to_json);

G_END_DECLS

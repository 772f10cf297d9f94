#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One generic codec for every message of the wire: a message is described
 * by a table of its members (EvMessageType) and ev_message_encode() and
 * ev_message_decode() read that table. The typed functions of
 * ev-messages.h are one-line wrappers around these. */

/**
 * EvEnvelope:
 * @id: (nullable): the message UUID, for de-duplication.
 * @ts: the time of the message in ms since the epoch; 0 when unset.
 *
 * The envelope of every Kafka message (`"v":1` is implied). An encoder
 * writes a fresh UUID and the current time for an unset envelope without
 * changing the message; call ev_envelope_ensure() first to keep them, e.g.
 * to resend the same message.
 */
typedef struct {
  char *id;
  gint64 ts;
} EvEnvelope;

void ev_envelope_ensure (EvEnvelope *envelope);

/**
 * EvMessageFieldType:
 * @EV_MESSAGE_FIELD_STRING: `char *`, a JSON string; absent when %NULL.
 * @EV_MESSAGE_FIELD_ENUM: an enumeration (stored as `int`), a JSON string
 *   through the field's wire names; absent when the value has no name.
 * @EV_MESSAGE_FIELD_DOUBLE: `double`, a JSON number.
 * @EV_MESSAGE_FIELD_TIMESTAMP: `gint64` ms since the epoch, a whole JSON
 *   number checked by ev_protocol_validate_timestamp().
 * @EV_MESSAGE_FIELD_SEQ: `guint`, a whole JSON number from 1.
 * @EV_MESSAGE_FIELD_BOOLEAN: `gboolean`, `true` or `false`.
 *
 * How a member is stored in the C struct and written on the wire.
 */
typedef enum {
  EV_MESSAGE_FIELD_STRING,
  EV_MESSAGE_FIELD_ENUM,
  EV_MESSAGE_FIELD_DOUBLE,
  EV_MESSAGE_FIELD_TIMESTAMP,
  EV_MESSAGE_FIELD_SEQ,
  EV_MESSAGE_FIELD_BOOLEAN,
} EvMessageFieldType;

/**
 * EvMessageFieldFlags:
 * @EV_MESSAGE_FIELD_OMIT_ZERO: a timestamp of 0 is left out when encoding.
 * @EV_MESSAGE_FIELD_OMIT_UNSET: a timestamp not above 0 is left out.
 * @EV_MESSAGE_FIELD_SELECTS: this enum selects which members the message
 *   carries and requires (`type`, `status`, `action`, `kind`); it comes
 *   before every member that depends on it.
 * @EV_MESSAGE_FIELD_TYPE_NAME: an unknown value is
 *   %EV_PROTOCOL_ERROR_UNKNOWN_TYPE rather than
 *   %EV_PROTOCOL_ERROR_INVALID_VALUE.
 */
typedef enum {
  EV_MESSAGE_FIELD_OMIT_ZERO = 1 << 0,
  EV_MESSAGE_FIELD_OMIT_UNSET = 1 << 1,
  EV_MESSAGE_FIELD_SELECTS = 1 << 2,
  EV_MESSAGE_FIELD_TYPE_NAME = 1 << 3,
} EvMessageFieldFlags;

/* Masks over the values of the selecting enum. */
#define EV_MESSAGE_WHEN(value) (1u << (value))
#define EV_MESSAGE_ALWAYS G_MAXUINT32

typedef gboolean    (*EvMessageStringCheck) (const char  *value,
                                             const char  *field,
                                             GError     **error);
typedef gboolean    (*EvMessageNumberCheck) (double       value,
                                             const char  *field,
                                             GError     **error);
typedef const char *(*EvMessageEnumName)    (int          value);
typedef gboolean    (*EvMessageEnumValue)   (const char  *text,
                                             int         *value);
typedef gboolean    (*EvMessageCheck)       (gconstpointer msg,
                                             GError      **error);

/**
 * EvMessageField:
 * @name: the JSON member name.
 * @type: how it is stored and written.
 * @offset: where it is in the struct.
 * @presence: the offset of the `gboolean has_…` that says whether an enum
 *   or a double is present, or 0 when it is always written.
 * @carried: the values of the selecting enum whose messages carry the
 *   member (others neither write, read nor compare it); 0 means all.
 * @required: the values of the selecting enum for which it is required:
 *   %EV_MESSAGE_ALWAYS, EV_MESSAGE_WHEN() masks, or 0 for optional.
 * @flags: #EvMessageFieldFlags.
 * @check_string: (nullable): validates a string member.
 * @check_number: (nullable): validates a double member.
 * @enum_name: an enum member's wire name of a value (%NULL for none).
 * @enum_value: an enum member's value of a wire name.
 * @refusal: the #EvLinkReason a server answers when this member of a link
 *   request is missing or invalid.
 *
 * One member of a message.
 */
typedef struct {
  const char *name;
  EvMessageFieldType type;
  gsize offset;
  gsize presence;
  guint32 carried;
  guint32 required;
  guint flags;
  EvMessageStringCheck check_string;
  EvMessageNumberCheck check_number;
  EvMessageEnumName enum_name;
  EvMessageEnumValue enum_value;
  int refusal;
} EvMessageField;

/**
 * EvMessageType:
 * @name: the message's name in the contract (`supply-req`, `link-request`).
 * @size: the size of its C struct.
 * @max_size: the largest encoded form accepted, in bytes.
 * @envelope: whether the struct starts with an #EvEnvelope (`v`, `id`,
 *   `ts`, written before the members).
 * @fields: the members, in the order they are written.
 * @n_fields: how many.
 * @check: (nullable): a rule across members, run after they are decoded.
 * @bad_json_refusal: the #EvLinkReason for input that is not a JSON object.
 *
 * The description of one message, from which it is built, copied,
 * compared, encoded and decoded.
 */
typedef struct {
  const char *name;
  gsize size;
  gsize max_size;
  gboolean envelope;
  const EvMessageField *fields;
  guint n_fields;
  EvMessageCheck check;
  int bad_json_refusal;
} EvMessageType;

gpointer ev_message_new    (const EvMessageType *type);
gpointer ev_message_copy   (const EvMessageType *type,
                            gconstpointer        msg);
void     ev_message_free   (const EvMessageType *type,
                            gpointer             msg);
gboolean ev_message_equal  (const EvMessageType *type,
                            gconstpointer        a,
                            gconstpointer        b);
char    *ev_message_encode (const EvMessageType *type,
                            gconstpointer        msg,
                            gsize               *length);
gpointer ev_message_decode (const EvMessageType *type,
                            const char          *data,
                            gssize               length,
                            int                 *refusal,
                            GError             **error);

/* Declares and defines the typed wrappers of one message. */
#define EV_MESSAGE_DECLARE_CODEC(Type, prefix)                               \
  Type     *prefix##_copy      (const Type  *msg);                           \
  void      prefix##_free      (Type        *msg);                           \
  gboolean  prefix##_equal     (const Type  *a,                              \
                                const Type  *b);                             \
  char     *prefix##_to_json   (const Type  *msg,                            \
                                gsize       *length);                        \
  Type     *prefix##_from_json (const char  *data,                           \
                                gssize       length,                         \
                                GError     **error);

#define EV_MESSAGE_DEFINE_CODEC(Type, prefix, info)                          \
  Type *                                                                     \
  prefix##_copy (const Type *msg)                                            \
  {                                                                          \
    return ev_message_copy (&info, msg);                                     \
  }                                                                          \
                                                                             \
  void                                                                       \
  prefix##_free (Type *msg)                                                  \
  {                                                                          \
    ev_message_free (&info, msg);                                            \
  }                                                                          \
                                                                             \
  gboolean                                                                   \
  prefix##_equal (const Type *a,                                             \
                  const Type *b)                                             \
  {                                                                          \
    return ev_message_equal (&info, a, b);                                   \
  }                                                                          \
                                                                             \
  char *                                                                     \
  prefix##_to_json (const Type *msg,                                         \
                    gsize      *length)                                      \
  {                                                                          \
    return ev_message_encode (&info, msg, length);                           \
  }                                                                          \
                                                                             \
  Type *                                                                     \
  prefix##_from_json (const char  *data,                                     \
                      gssize       length,                                   \
                      GError     **error)                                    \
  {                                                                          \
    return ev_message_decode (&info, data, length, NULL, error);             \
  }

G_END_DECLS

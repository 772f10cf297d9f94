#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ev-frame.h"

G_DEFINE_QUARK (ev-frame-error-quark, ev_frame_error)

/**
 * ev_frame_is_control_byte:
 * @byte: a byte
 *
 * Returns: %TRUE if @byte is ENQ, ACK, NACK or EOT
 */
gboolean
ev_frame_is_control_byte (guint8 byte)
{
  return byte == EV_FRAME_ENQ || byte == EV_FRAME_ACK ||
         byte == EV_FRAME_NACK || byte == EV_FRAME_EOT;
}

/**
 * ev_frame_lrc:
 * @data: (array length=len): the bytes of DATA
 * @len: the length of @data
 *
 * Computes the longitudinal redundancy check of a frame: the XOR of every
 * byte of DATA.
 *
 * Returns: the LRC byte
 */
guint8
ev_frame_lrc (const void *data,
              gsize       len)
{
  const guint8 *bytes = data;
  guint8 lrc = 0;

  g_return_val_if_fail (data != NULL || len == 0, 0);

  for (gsize i = 0; i < len; i++)
    lrc ^= bytes[i];

  return lrc;
}

/**
 * ev_frame_validate_data:
 * @data: (array length=len): the bytes of DATA
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Checks that @data can be sent as the DATA of one frame: 1 to
 * %EV_FRAME_MAX_DATA bytes, none of them STX or ETX.
 *
 * Returns: %TRUE if @data can be framed
 */
gboolean
ev_frame_validate_data (const void  *data,
                        gsize        len,
                        GError     **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len == 0)
    {
      g_set_error_literal (error, EV_FRAME_ERROR, EV_FRAME_ERROR_EMPTY,
                           _("A frame cannot carry empty data"));
      return FALSE;
    }

  if (len > EV_FRAME_MAX_DATA)
    {
      g_set_error (error, EV_FRAME_ERROR, EV_FRAME_ERROR_TOO_LONG,
                   _("A frame carries at most %d bytes of data"),
                   EV_FRAME_MAX_DATA);
      return FALSE;
    }

  if (memchr (data, EV_FRAME_STX, len) != NULL ||
      memchr (data, EV_FRAME_ETX, len) != NULL)
    {
      g_set_error_literal (error, EV_FRAME_ERROR, EV_FRAME_ERROR_RESERVED_BYTE,
                           _("Frame data cannot contain the bytes STX or ETX"));
      return FALSE;
    }

  return TRUE;
}

/**
 * ev_frame_encode_append:
 * @buffer: where to append the frame
 * @data: (array length=len): the bytes of DATA
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Appends the frame carrying @data to @buffer, which is left untouched if
 * @data cannot be framed (see ev_frame_validate_data()).
 *
 * Returns: %TRUE if the frame was appended
 */
gboolean
ev_frame_encode_append (GByteArray  *buffer,
                        const void  *data,
                        gsize        len,
                        GError     **error)
{
  const guint8 stx = EV_FRAME_STX;
  guint8 tail[2];

  g_return_val_if_fail (buffer != NULL, FALSE);

  if (!ev_frame_validate_data (data, len, error))
    return FALSE;

  tail[0] = EV_FRAME_ETX;
  tail[1] = ev_frame_lrc (data, len);

  g_byte_array_append (buffer, &stx, 1);
  g_byte_array_append (buffer, data, len);
  g_byte_array_append (buffer, tail, sizeof tail);

  return TRUE;
}

/**
 * ev_frame_encode:
 * @data: (array length=len): the bytes of DATA
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Frames @data: STX, @data, ETX and the LRC.
 *
 * Returns: (transfer full) (nullable): the bytes of the frame, or %NULL
 *   with @error set if @data cannot be framed
 */
GBytes *
ev_frame_encode (const void  *data,
                 gsize        len,
                 GError     **error)
{
  g_autoptr(GByteArray) buffer = NULL;

  buffer = g_byte_array_sized_new (len + EV_FRAME_OVERHEAD);
  if (!ev_frame_encode_append (buffer, data, len, error))
    return NULL;

  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
}

typedef enum {
  DECODER_BETWEEN,
  DECODER_IN_DATA,
  DECODER_AWAIT_LRC,
  DECODER_DISCARD,
  DECODER_DISCARD_LRC,
} DecoderState;

/**
 * EvFrameDecoder:
 *
 * An incremental frame parser. Feed it whatever the socket returned, in
 * any chunks; it reports frames, bad frames and control bytes in the
 * order they arrived.
 */
struct _EvFrameDecoder
{
  EvFrameDecoderFunc func;
  gpointer user_data;

  DecoderState state;
  gsize len;
  guint8 lrc;
  guint64 garbage;
  char data[EV_FRAME_MAX_DATA + 1];
};

/**
 * ev_frame_decoder_new:
 * @func: (scope forever): called for every event, in order
 * @user_data: passed to @func
 *
 * Creates a decoder. @func must neither free the decoder nor feed it.
 *
 * Returns: (transfer full): a new decoder
 */
EvFrameDecoder *
ev_frame_decoder_new (EvFrameDecoderFunc func,
                      gpointer           user_data)
{
  EvFrameDecoder *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (EvFrameDecoder, 1);
  self->func = func;
  self->user_data = user_data;
  self->state = DECODER_BETWEEN;

  return self;
}

/**
 * ev_frame_decoder_free:
 * @self: (transfer full): a decoder
 *
 * Frees @self.
 */
void
ev_frame_decoder_free (EvFrameDecoder *self)
{
  g_free (self);
}

/**
 * ev_frame_decoder_reset:
 * @self: a decoder
 *
 * Forgets any partial frame, as when a new connection starts.
 */
void
ev_frame_decoder_reset (EvFrameDecoder *self)
{
  g_return_if_fail (self != NULL);

  self->state = DECODER_BETWEEN;
  self->len = 0;
  self->lrc = 0;
}

/**
 * ev_frame_decoder_is_in_frame:
 * @self: a decoder
 *
 * Returns: %TRUE if the bytes fed so far end inside a frame
 */
gboolean
ev_frame_decoder_is_in_frame (EvFrameDecoder *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->state != DECODER_BETWEEN;
}

/**
 * ev_frame_decoder_get_garbage_count:
 * @self: a decoder
 *
 * Returns: how many bytes between frames were neither STX nor a control
 *   byte, and so were ignored
 */
guint64
ev_frame_decoder_get_garbage_count (EvFrameDecoder *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->garbage;
}

static void
emit_bad (EvFrameDecoder *self,
          EvFrameError    error)
{
  EvFrameEvent event = { .type = EV_FRAME_EVENT_BAD_FRAME, .error = error };

  self->func (&event, self->user_data);
}

static void
start_frame (EvFrameDecoder *self)
{
  self->state = DECODER_IN_DATA;
  self->len = 0;
  self->lrc = 0;
}

static void
end_frame (EvFrameDecoder *self,
           guint8          lrc)
{
  EvFrameEvent event = { .type = EV_FRAME_EVENT_FRAME };

  self->state = DECODER_BETWEEN;

  if (self->len == 0)
    {
      emit_bad (self, EV_FRAME_ERROR_EMPTY);
      return;
    }

  if (lrc != self->lrc)
    {
      emit_bad (self, EV_FRAME_ERROR_BAD_LRC);
      return;
    }

  self->data[self->len] = '\0';
  event.data = self->data;
  event.len = self->len;
  self->func (&event, self->user_data);
}

/**
 * ev_frame_decoder_feed:
 * @self: a decoder
 * @data: (array length=len): bytes as they arrived
 * @len: the length of @data
 *
 * Parses @data, calling the decoder's function for every frame, bad frame
 * and control byte it completes. A frame may span any number of calls.
 *
 * Data longer than %EV_FRAME_MAX_DATA is reported as a bad frame as soon
 * as it overflows; the rest of it is discarded up to the next STX, or up
 * to its own ETX and LRC, after which control bytes count again.
 */
void
ev_frame_decoder_feed (EvFrameDecoder *self,
                       const void     *data,
                       gsize           len)
{
  const guint8 *bytes = data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  for (gsize i = 0; i < len; i++)
    {
      guint8 byte = bytes[i];

      switch (self->state)
        {
        case DECODER_BETWEEN:
          if (byte == EV_FRAME_STX)
            {
              start_frame (self);
            }
          else if (ev_frame_is_control_byte (byte))
            {
              EvFrameEvent event = { .type = EV_FRAME_EVENT_CONTROL, .control = byte };

              self->func (&event, self->user_data);
            }
          else
            {
              self->garbage++;
            }
          break;

        case DECODER_IN_DATA:
          if (byte == EV_FRAME_STX)
            {
              emit_bad (self, EV_FRAME_ERROR_INTERRUPTED);
              start_frame (self);
            }
          else if (byte == EV_FRAME_ETX)
            {
              self->state = DECODER_AWAIT_LRC;
            }
          else if (self->len == EV_FRAME_MAX_DATA)
            {
              self->state = DECODER_DISCARD;
              emit_bad (self, EV_FRAME_ERROR_TOO_LONG);
            }
          else
            {
              self->data[self->len++] = (char) byte;
              self->lrc ^= byte;
            }
          break;

        case DECODER_AWAIT_LRC:
          /* Any value is a valid LRC, STX and control bytes included. */
          end_frame (self, byte);
          break;

        case DECODER_DISCARD:
          if (byte == EV_FRAME_STX)
            start_frame (self);
          else if (byte == EV_FRAME_ETX)
            self->state = DECODER_DISCARD_LRC;
          break;

        case DECODER_DISCARD_LRC:
          self->state = DECODER_BETWEEN;
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

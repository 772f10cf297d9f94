#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The framing of docs/protocol.md, section 2:
 * frame = STX DATA ETX LRC, DATA 1..4096 bytes, LRC = XOR of DATA. */
#define EV_FRAME_STX  0x02
#define EV_FRAME_ETX  0x03
#define EV_FRAME_EOT  0x04
#define EV_FRAME_ENQ  0x05
#define EV_FRAME_ACK  0x06
#define EV_FRAME_NACK 0x15

#define EV_FRAME_MAX_DATA 4096
/* STX, ETX and LRC around DATA. */
#define EV_FRAME_OVERHEAD 3

#define EV_FRAME_ERROR (ev_frame_error_quark ())

/**
 * EvFrameError:
 * @EV_FRAME_ERROR_EMPTY: DATA is empty.
 * @EV_FRAME_ERROR_TOO_LONG: DATA is longer than %EV_FRAME_MAX_DATA bytes.
 * @EV_FRAME_ERROR_RESERVED_BYTE: DATA contains STX or ETX.
 * @EV_FRAME_ERROR_BAD_LRC: the LRC byte does not match DATA.
 * @EV_FRAME_ERROR_INTERRUPTED: an STX arrived inside a frame, which was
 *   dropped; the STX starts a new frame.
 *
 * Why a frame could not be encoded or was received broken.
 */
typedef enum {
  EV_FRAME_ERROR_EMPTY,
  EV_FRAME_ERROR_TOO_LONG,
  EV_FRAME_ERROR_RESERVED_BYTE,
  EV_FRAME_ERROR_BAD_LRC,
  EV_FRAME_ERROR_INTERRUPTED,
} EvFrameError;

GQuark   ev_frame_error_quark        (void);

gboolean ev_frame_is_control_byte    (guint8        byte);
guint8   ev_frame_lrc                (const void   *data,
                                      gsize         len);
gboolean ev_frame_validate_data      (const void   *data,
                                      gsize         len,
                                      GError      **error);
GBytes  *ev_frame_encode             (const void   *data,
                                      gsize         len,
                                      GError      **error);
gboolean ev_frame_encode_append      (GByteArray   *buffer,
                                      const void   *data,
                                      gsize         len,
                                      GError      **error);

/**
 * EvFrameEventType:
 * @EV_FRAME_EVENT_FRAME: a well-formed frame whose LRC matched.
 * @EV_FRAME_EVENT_BAD_FRAME: a frame that must be answered with NACK.
 * @EV_FRAME_EVENT_CONTROL: ENQ, ACK, NACK or EOT outside a frame.
 *
 * What an #EvFrameDecoder found.
 */
typedef enum {
  EV_FRAME_EVENT_FRAME,
  EV_FRAME_EVENT_BAD_FRAME,
  EV_FRAME_EVENT_CONTROL,
} EvFrameEventType;

/**
 * EvFrameEvent:
 * @type: what was found
 * @data: for %EV_FRAME_EVENT_FRAME, DATA followed by a NUL byte (DATA
 *   itself may contain NUL); valid only during the callback
 * @len: the length of @data
 * @control: for %EV_FRAME_EVENT_CONTROL, the control byte
 * @error: for %EV_FRAME_EVENT_BAD_FRAME, why the frame is bad
 *
 * One thing an #EvFrameDecoder reports.
 */
typedef struct {
  EvFrameEventType type;
  const char *data;
  gsize len;
  guint8 control;
  EvFrameError error;
} EvFrameEvent;

typedef void (*EvFrameDecoderFunc) (const EvFrameEvent *event,
                                    gpointer            user_data);

typedef struct _EvFrameDecoder EvFrameDecoder;

EvFrameDecoder *ev_frame_decoder_new               (EvFrameDecoderFunc  func,
                                                    gpointer            user_data);
void            ev_frame_decoder_free              (EvFrameDecoder     *self);
void            ev_frame_decoder_feed              (EvFrameDecoder     *self,
                                                    const void         *data,
                                                    gsize               len);
void            ev_frame_decoder_reset             (EvFrameDecoder     *self);
gboolean        ev_frame_decoder_is_in_frame       (EvFrameDecoder     *self);
guint64         ev_frame_decoder_get_garbage_count (EvFrameDecoder     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvFrameDecoder, ev_frame_decoder_free)

G_END_DECLS

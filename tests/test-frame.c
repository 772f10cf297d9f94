#include "config.h"

#include <string.h>
#include <glib.h>

#include "ev-frame.h"

/* Inputs are written in a small notation so that the LRC need not be
 * computed by hand: after an ETX (\x03), `$` stands for the right LRC of
 * the data since the last STX and `#` for a wrong one. */
static GByteArray *
expand (const char *spec,
        gsize       len)
{
  GByteArray *bytes = g_byte_array_new ();
  gsize frame_start = 0;

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = (guint8) spec[i];

      if (c == EV_FRAME_STX)
        {
          g_byte_array_append (bytes, &c, 1);
          frame_start = bytes->len;
        }
      else if ((c == '$' || c == '#') && i > 0 && spec[i - 1] == EV_FRAME_ETX)
        {
          guint8 lrc = ev_frame_lrc (bytes->data + frame_start, bytes->len - 1 - frame_start);

          if (c == '#')
            lrc ^= 0x5A;
          g_byte_array_append (bytes, &lrc, 1);
        }
      else
        {
          g_byte_array_append (bytes, &c, 1);
        }
    }

  return bytes;
}

static const char *
error_name (EvFrameError error)
{
  switch (error)
    {
    case EV_FRAME_ERROR_EMPTY: return "empty";
    case EV_FRAME_ERROR_TOO_LONG: return "long";
    case EV_FRAME_ERROR_RESERVED_BYTE: return "reserved";
    case EV_FRAME_ERROR_BAD_LRC: return "lrc";
    case EV_FRAME_ERROR_INTERRUPTED: return "stx";
    default: g_assert_not_reached ();
    }
}

/* Events are logged as text: F(data) for a frame, B(why) for a bad frame,
 * and the name of a control byte. Unprintable bytes of data are \xNN. */
static void
log_event_cb (const EvFrameEvent *event,
              gpointer            user_data)
{
  GString *log = user_data;

  if (log->len > 0)
    g_string_append_c (log, ' ');

  switch (event->type)
    {
    case EV_FRAME_EVENT_FRAME:
      g_assert_nonnull (event->data);
      g_assert_cmpuint (event->len, >=, 1);
      g_assert_cmpuint (event->len, <=, EV_FRAME_MAX_DATA);
      g_assert_cmpint (event->data[event->len], ==, '\0');
      g_string_append (log, "F(");
      for (gsize i = 0; i < event->len; i++)
        {
          guint8 c = (guint8) event->data[i];

          if (c >= 0x20 && c < 0x7f)
            g_string_append_c (log, (char) c);
          else
            g_string_append_printf (log, "\\x%02x", c);
        }
      g_string_append_c (log, ')');
      break;
    case EV_FRAME_EVENT_BAD_FRAME:
      g_string_append_printf (log, "B(%s)", error_name (event->error));
      break;
    case EV_FRAME_EVENT_CONTROL:
      switch (event->control)
        {
        case EV_FRAME_ENQ: g_string_append (log, "ENQ"); break;
        case EV_FRAME_ACK: g_string_append (log, "ACK"); break;
        case EV_FRAME_NACK: g_string_append (log, "NACK"); break;
        case EV_FRAME_EOT: g_string_append (log, "EOT"); break;
        default: g_assert_not_reached ();
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  const char *name;
  const char *spec;
  gsize spec_len;
  const char *events;
  guint64 garbage;
  gboolean ends_in_frame;
} DecodeCase;

#define SPEC(s) s, sizeof (s) - 1

static const DecodeCase decode_cases[] = {
  { "one frame", SPEC ("\x02{\"type\":\"health\"}\x03$"), "F({\"type\":\"health\"})", 0, FALSE },
  { "one byte of data", SPEC ("\x02" "7\x03$"), "F(7)", 0, FALSE },
  { "two frames", SPEC ("\x02{\"a\":1}\x03$\x02{\"b\":2}\x03$"), "F({\"a\":1}) F({\"b\":2})", 0, FALSE },
  { "bad lrc", SPEC ("\x02{\"a\":1}\x03#"), "B(lrc)", 0, FALSE },
  { "bad lrc then good frame", SPEC ("\x02{}\x03#\x02[]\x03$"), "B(lrc) F([])", 0, FALSE },
  { "empty data", SPEC ("\x02\x03$"), "B(empty)", 0, FALSE },
  { "empty data, nonzero lrc", SPEC ("\x02\x03" "A"), "B(empty)", 0, FALSE },
  { "garbage between frames", SPEC ("xyz\x02{}\x03$ \r\n\x02[1]\x03$ok"), "F({}) F([1])", 8, FALSE },
  { "stx inside a frame", SPEC ("\x02{\"a\":\x02{}\x03$"), "B(stx) F({})", 0, FALSE },
  { "etx without stx", SPEC ("\x03\x02{}\x03$\x03"), "F({})", 2, FALSE },
  { "control bytes", SPEC ("\x05\x06\x15\x04"), "ENQ ACK NACK EOT", 0, FALSE },
  { "control bytes around frames", SPEC ("\x06\x02{}\x03$\x15\x02[]\x03$\x04"), "ACK F({}) NACK F([]) EOT", 0, FALSE },
  { "control bytes inside a frame are data", SPEC ("\x02" "a\x06" "b\x04\x03$"), "F(a\\x06b\\x04)", 0, FALSE },
  { "nul inside a frame is data", SPEC ("\x02" "a\0b\x03$"), "F(a\\x00b)", 0, FALSE },
  /* "ac" XORs to 0x02, "ab" to 0x03, "ad" to 0x05 and "ag" to 0x06: an
   * LRC byte is never taken for STX, ETX or a control byte. */
  { "lrc equal to stx", SPEC ("\x02" "ac\x03$\x02{}\x03$"), "F(ac) F({})", 0, FALSE },
  { "lrc equal to etx", SPEC ("\x02" "ab\x03$"), "F(ab)", 0, FALSE },
  { "lrc equal to enq", SPEC ("\x02" "ad\x03$"), "F(ad)", 0, FALSE },
  { "lrc equal to ack", SPEC ("\x02" "ag\x03$\x06"), "F(ag) ACK", 0, FALSE },
  { "frame cut short", SPEC ("\x02{\"a\""), "", 0, TRUE },
  { "frame waiting for its lrc", SPEC ("\x02{}\x03"), "", 0, TRUE },
  { "utf-8 data", SPEC ("\x02{\"location\":\"Alicante, Av. Maisonnave 12 \xc3\xb1\"}\x03$"),
    "F({\"location\":\"Alicante, Av. Maisonnave 12 \\xc3\\xb1\"})", 0, FALSE },
};

typedef struct {
  EvFrameDecoder *decoder;
  GString *log;
} Decoded;

static Decoded
decode_in_chunks (const guint8 *bytes,
                  gsize         len,
                  const gsize  *cuts,
                  guint         n_cuts)
{
  Decoded result = { NULL, g_string_new (NULL) };
  gsize start = 0;

  result.decoder = ev_frame_decoder_new (log_event_cb, result.log);
  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize end = i < n_cuts ? cuts[i] : len;

      ev_frame_decoder_feed (result.decoder, bytes + start, end - start);
      start = end;
    }

  return result;
}

static void
decoded_clear (Decoded *decoded)
{
  g_clear_pointer (&decoded->decoder, ev_frame_decoder_free);
  g_string_free (decoded->log, TRUE);
}

static void
check_case (const DecodeCase *c,
            Decoded          *decoded)
{
  g_test_message ("case: %s", c->name);
  g_assert_cmpstr (decoded->log->str, ==, c->events);
  g_assert_cmpuint (ev_frame_decoder_get_garbage_count (decoded->decoder), ==, c->garbage);
  g_assert_cmpint (ev_frame_decoder_is_in_frame (decoded->decoder), ==, c->ends_in_frame);
}

static void
test_decode_whole (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *c = &decode_cases[i];
      g_autoptr(GByteArray) bytes = expand (c->spec, c->spec_len);
      Decoded decoded = decode_in_chunks (bytes->data, bytes->len, NULL, 0);

      check_case (c, &decoded);
      decoded_clear (&decoded);
    }
}

static void
test_decode_byte_by_byte (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *c = &decode_cases[i];
      g_autoptr(GByteArray) bytes = expand (c->spec, c->spec_len);
      g_autofree gsize *cuts = g_new (gsize, bytes->len);
      Decoded decoded;

      for (guint j = 0; j < bytes->len; j++)
        cuts[j] = j;

      decoded = decode_in_chunks (bytes->data, bytes->len, cuts, bytes->len);
      check_case (c, &decoded);
      decoded_clear (&decoded);
    }
}

static void
test_decode_every_split (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *c = &decode_cases[i];
      g_autoptr(GByteArray) bytes = expand (c->spec, c->spec_len);

      for (gsize cut = 0; cut <= bytes->len; cut++)
        {
          Decoded decoded = decode_in_chunks (bytes->data, bytes->len, &cut, 1);

          check_case (c, &decoded);
          decoded_clear (&decoded);
        }
    }
}

static void
test_decode_merged (void)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();
  g_autoptr(GString) expected = g_string_new (NULL);
  guint64 garbage = 0;
  Decoded decoded;

  /* Every case that ends between frames, back to back in one read. */
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *c = &decode_cases[i];
      g_autoptr(GByteArray) bytes = NULL;

      if (c->ends_in_frame)
        continue;

      bytes = expand (c->spec, c->spec_len);
      g_byte_array_append (all, bytes->data, bytes->len);
      if (c->events[0] != '\0')
        g_string_append_printf (expected, "%s%s", expected->len > 0 ? " " : "", c->events);
      garbage += c->garbage;
    }

  decoded = decode_in_chunks (all->data, all->len, NULL, 0);
  g_assert_cmpstr (decoded.log->str, ==, expected->str);
  g_assert_cmpuint (ev_frame_decoder_get_garbage_count (decoded.decoder), ==, garbage);
  decoded_clear (&decoded);
}

static GByteArray *
oversize_frame (gsize data_len)
{
  GByteArray *bytes = g_byte_array_new ();
  guint8 stx = EV_FRAME_STX;

  g_byte_array_append (bytes, &stx, 1);
  for (gsize i = 0; i < data_len; i++)
    {
      guint8 c = 'a';
      g_byte_array_append (bytes, &c, 1);
    }

  return bytes;
}

static void
test_decode_max_size (void)
{
  g_autoptr(GByteArray) bytes = oversize_frame (EV_FRAME_MAX_DATA);
  guint8 tail[2] = { EV_FRAME_ETX, 0 };
  Decoded decoded;

  /* 4096 'a': an even count, so the LRC is 0. */
  g_byte_array_append (bytes, tail, 2);
  decoded = decode_in_chunks (bytes->data, bytes->len, NULL, 0);
  g_assert_cmpuint (decoded.log->len, ==, strlen ("F()") + EV_FRAME_MAX_DATA);
  g_assert_true (g_str_has_prefix (decoded.log->str, "F(aaaa"));
  decoded_clear (&decoded);
}

static void
test_decode_oversize_recovers_at_stx (void)
{
  g_autoptr(GByteArray) bytes = oversize_frame (EV_FRAME_MAX_DATA + 1);
  g_autoptr(GByteArray) good = expand (SPEC ("\x05\x03zz\x02{}\x03$"));
  Decoded decoded;

  /* Neither the ENQ nor the ETX inside the discarded run counts: what
   * follows the ETX is its LRC ("z"), then garbage, then the next frame. */
  g_byte_array_append (bytes, good->data, good->len);

  decoded = decode_in_chunks (bytes->data, bytes->len, NULL, 0);
  g_assert_cmpstr (decoded.log->str, ==, "B(long) F({})");
  g_assert_cmpuint (ev_frame_decoder_get_garbage_count (decoded.decoder), ==, 1);
  decoded_clear (&decoded);

  /* The same, one byte at a time. */
  {
    g_autofree gsize *cuts = g_new (gsize, bytes->len);

    for (guint j = 0; j < bytes->len; j++)
      cuts[j] = j;
    decoded = decode_in_chunks (bytes->data, bytes->len, cuts, bytes->len);
    g_assert_cmpstr (decoded.log->str, ==, "B(long) F({})");
    decoded_clear (&decoded);
  }
}

static void
test_decode_oversize_without_etx (void)
{
  g_autoptr(GByteArray) bytes = oversize_frame (3 * EV_FRAME_MAX_DATA);
  g_autoptr(GByteArray) good = expand (SPEC ("\x02{\"ok\":true}\x03$\x06"));
  Decoded decoded;

  g_byte_array_append (bytes, good->data, good->len);
  decoded = decode_in_chunks (bytes->data, bytes->len, NULL, 0);
  /* Reported once, as soon as it overflows, not once per extra byte. */
  g_assert_cmpstr (decoded.log->str, ==, "B(long) F({\"ok\":true}) ACK");
  decoded_clear (&decoded);
}

static void
test_decode_oversize_then_control (void)
{
  g_autoptr(GByteArray) bytes = oversize_frame (EV_FRAME_MAX_DATA + 10);
  /* ETX, an LRC that happens to be ACK, then a real EOT. */
  guint8 tail[] = { EV_FRAME_ETX, EV_FRAME_ACK, EV_FRAME_EOT };
  Decoded decoded;

  g_byte_array_append (bytes, tail, sizeof tail);
  decoded = decode_in_chunks (bytes->data, bytes->len, NULL, 0);
  g_assert_cmpstr (decoded.log->str, ==, "B(long) EOT");
  g_assert_false (ev_frame_decoder_is_in_frame (decoded.decoder));
  decoded_clear (&decoded);
}

static void
test_decode_reset (void)
{
  g_autoptr(GByteArray) part = expand (SPEC ("\x02{\"half\""));
  g_autoptr(GByteArray) next = expand (SPEC ("\x06"));
  Decoded decoded = decode_in_chunks (part->data, part->len, NULL, 0);

  g_assert_true (ev_frame_decoder_is_in_frame (decoded.decoder));
  ev_frame_decoder_reset (decoded.decoder);
  g_assert_false (ev_frame_decoder_is_in_frame (decoded.decoder));
  ev_frame_decoder_feed (decoded.decoder, next->data, next->len);
  g_assert_cmpstr (decoded.log->str, ==, "ACK");
  decoded_clear (&decoded);
}

static void
test_lrc (void)
{
  g_assert_cmpuint (ev_frame_lrc ("", 0), ==, 0);
  g_assert_cmpuint (ev_frame_lrc ("A", 1), ==, 0x41);
  g_assert_cmpuint (ev_frame_lrc ("ab", 2), ==, 0x03);
  g_assert_cmpuint (ev_frame_lrc ("abab", 4), ==, 0x00);
  g_assert_cmpuint (ev_frame_lrc ("{}", 2), ==, 0x7b ^ 0x7d);
}

static void
test_encode_exact_bytes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = ev_frame_encode ("{}", 2, &error);
  const guint8 expected[] = { 0x02, '{', '}', 0x03, 0x7b ^ 0x7d };
  gsize len;
  const guint8 *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (frame, &len);
  g_assert_cmpmem (data, len, expected, sizeof expected);
}

static void
roundtrip_one (const char *data,
               gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = ev_frame_encode (data, len, &error);
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(EvFrameDecoder) decoder = NULL;
  g_autoptr(GString) expected = g_string_new ("F(");
  gsize frame_len;
  const guint8 *frame_data;

  g_assert_no_error (error);
  frame_data = g_bytes_get_data (frame, &frame_len);
  g_assert_cmpuint (frame_len, ==, len + EV_FRAME_OVERHEAD);

  decoder = ev_frame_decoder_new (log_event_cb, log);
  ev_frame_decoder_feed (decoder, frame_data, frame_len);

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = (guint8) data[i];

      if (c >= 0x20 && c < 0x7f)
        g_string_append_c (expected, (char) c);
      else
        g_string_append_printf (expected, "\\x%02x", c);
    }
  g_string_append_c (expected, ')');
  g_assert_cmpstr (log->str, ==, expected->str);
}

static void
test_encode_roundtrip (void)
{
  g_autofree char *max = g_strnfill (EV_FRAME_MAX_DATA, 'x');
  const char *samples[] = {
    "{}",
    "1",
    "{\"type\":\"auth\",\"cp_id\":\"CP1\",\"token\":\"s3cr3t\"}",
    "{\"location\":\"Alicante, Av. Maisonnave 12 \xc3\xb1\xe2\x82\xac\"}",
    "\x04\x05\x06\x15",
  };

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    roundtrip_one (samples[i], strlen (samples[i]));
  roundtrip_one (max, EV_FRAME_MAX_DATA);
}

/* Random frames and control bytes, cut into random chunks, decode to
 * exactly what was encoded. */
static void
test_encode_roundtrip_random_chunks (void)
{
  for (guint round = 0; round < 50; round++)
    {
      g_autoptr(GByteArray) stream = g_byte_array_new ();
      g_autoptr(GString) expected = g_string_new (NULL);
      g_autoptr(GString) log = g_string_new (NULL);
      g_autoptr(EvFrameDecoder) decoder = ev_frame_decoder_new (log_event_cb, log);
      guint n = g_test_rand_int_range (1, 20);
      gsize pos = 0;

      for (guint i = 0; i < n; i++)
        {
          if (g_test_rand_int_range (0, 4) == 0)
            {
              static const guint8 controls[] = { EV_FRAME_ENQ, EV_FRAME_ACK, EV_FRAME_NACK, EV_FRAME_EOT };
              static const char *names[] = { "ENQ", "ACK", "NACK", "EOT" };
              guint k = g_test_rand_int_range (0, 4);

              g_byte_array_append (stream, &controls[k], 1);
              g_string_append_printf (expected, "%s%s", expected->len > 0 ? " " : "", names[k]);
            }
          else
            {
              gsize len = g_test_rand_int_range (1, 300);
              g_autofree char *data = g_malloc (len + 1);

              for (gsize j = 0; j < len; j++)
                data[j] = (char) g_test_rand_int_range (0x20, 0x7f);
              data[len] = '\0';
              g_assert_true (ev_frame_encode_append (stream, data, len, NULL));
              g_string_append_printf (expected, "%sF(%s)", expected->len > 0 ? " " : "", data);
            }
        }

      while (pos < stream->len)
        {
          gsize chunk = g_test_rand_int_range (1, 64);

          chunk = MIN (chunk, stream->len - pos);

          ev_frame_decoder_feed (decoder, stream->data + pos, chunk);
          pos += chunk;
        }

      g_assert_cmpstr (log->str, ==, expected->str);
    }
}

static void
test_encode_rejects (void)
{
  g_autofree char *too_long = g_strnfill (EV_FRAME_MAX_DATA + 1, 'x');
  struct {
    const char *data;
    gsize len;
    EvFrameError code;
  } cases[] = {
    { "", 0, EV_FRAME_ERROR_EMPTY },
    { too_long, EV_FRAME_MAX_DATA + 1, EV_FRAME_ERROR_TOO_LONG },
    { "{\"a\":\"\x02\"}", 9, EV_FRAME_ERROR_RESERVED_BYTE },
    { "{\"a\":\"\x03\"}", 9, EV_FRAME_ERROR_RESERVED_BYTE },
    { "\x02", 1, EV_FRAME_ERROR_RESERVED_BYTE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) append_error = NULL;
      g_autoptr(GBytes) frame = ev_frame_encode (cases[i].data, cases[i].len, &error);
      g_autoptr(GByteArray) buffer = g_byte_array_new ();
      guint8 before = EV_FRAME_ACK;

      g_assert_error (error, EV_FRAME_ERROR, (int) cases[i].code);
      g_assert_null (frame);
      g_assert_nonnull (error->message);

      /* A rejected frame leaves the buffer as it was. */
      g_byte_array_append (buffer, &before, 1);
      g_assert_false (ev_frame_encode_append (buffer, cases[i].data, cases[i].len, &append_error));
      g_assert_error (append_error, EV_FRAME_ERROR, (int) cases[i].code);
      g_assert_cmpuint (buffer->len, ==, 1);
    }
}

static void
test_control_bytes (void)
{
  g_assert_cmpint (EV_FRAME_STX, ==, 0x02);
  g_assert_cmpint (EV_FRAME_ETX, ==, 0x03);
  g_assert_cmpint (EV_FRAME_EOT, ==, 0x04);
  g_assert_cmpint (EV_FRAME_ENQ, ==, 0x05);
  g_assert_cmpint (EV_FRAME_ACK, ==, 0x06);
  g_assert_cmpint (EV_FRAME_NACK, ==, 0x15);

  for (guint b = 0; b < 256; b++)
    g_assert_cmpint (ev_frame_is_control_byte (b), ==,
                     b == 0x04 || b == 0x05 || b == 0x06 || b == 0x15);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/control-bytes", test_control_bytes);
  g_test_add_func ("/frame/lrc", test_lrc);
  g_test_add_func ("/frame/encode/exact-bytes", test_encode_exact_bytes);
  g_test_add_func ("/frame/encode/roundtrip", test_encode_roundtrip);
  g_test_add_func ("/frame/encode/roundtrip-random-chunks", test_encode_roundtrip_random_chunks);
  g_test_add_func ("/frame/encode/rejects", test_encode_rejects);
  g_test_add_func ("/frame/decode/whole", test_decode_whole);
  g_test_add_func ("/frame/decode/byte-by-byte", test_decode_byte_by_byte);
  g_test_add_func ("/frame/decode/every-split", test_decode_every_split);
  g_test_add_func ("/frame/decode/merged", test_decode_merged);
  g_test_add_func ("/frame/decode/max-size", test_decode_max_size);
  g_test_add_func ("/frame/decode/oversize-recovers-at-stx", test_decode_oversize_recovers_at_stx);
  g_test_add_func ("/frame/decode/oversize-without-etx", test_decode_oversize_without_etx);
  g_test_add_func ("/frame/decode/oversize-then-control", test_decode_oversize_then_control);
  g_test_add_func ("/frame/decode/reset", test_decode_reset);

  return g_test_run ();
}

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EV_PROTOCOL_ERROR:
 *
 * The error domain of messages that cannot be decoded or fail validation.
 * The codes are #EvProtocolError.
 */
#define EV_PROTOCOL_ERROR (ev_protocol_error_quark ())

/**
 * EvProtocolError:
 * @EV_PROTOCOL_ERROR_BAD_JSON: empty input, invalid UTF-8 or malformed JSON.
 * @EV_PROTOCOL_ERROR_NOT_OBJECT: valid JSON, but not a JSON object.
 * @EV_PROTOCOL_ERROR_MISSING_FIELD: a required field is absent or null.
 * @EV_PROTOCOL_ERROR_WRONG_TYPE: a field has the wrong JSON type.
 * @EV_PROTOCOL_ERROR_INVALID_ID: a CP id, driver id or UUID is malformed.
 * @EV_PROTOCOL_ERROR_INVALID_VALUE: a field is out of range, an unknown
 *   enumeration string, or inconsistent with another field.
 * @EV_PROTOCOL_ERROR_TOO_LARGE: the input is over the size bound.
 * @EV_PROTOCOL_ERROR_UNKNOWN_TYPE: a link request of an unknown `type`.
 * @EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION: an envelope `v` other than 1.
 *
 * Why a message was rejected.
 */
typedef enum {
  EV_PROTOCOL_ERROR_BAD_JSON,
  EV_PROTOCOL_ERROR_NOT_OBJECT,
  EV_PROTOCOL_ERROR_MISSING_FIELD,
  EV_PROTOCOL_ERROR_WRONG_TYPE,
  EV_PROTOCOL_ERROR_INVALID_ID,
  EV_PROTOCOL_ERROR_INVALID_VALUE,
  EV_PROTOCOL_ERROR_TOO_LARGE,
  EV_PROTOCOL_ERROR_UNKNOWN_TYPE,
  EV_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
} EvProtocolError;

/* The envelope version this implementation speaks. */
#define EV_PROTOCOL_VERSION 1

/* Size bounds of one encoded message, in bytes. */
#define EV_PROTOCOL_LINK_MAX_SIZE 4096
#define EV_PROTOCOL_KAFKA_MAX_SIZE (64 * 1024)

/* cp_id and driver_id: 1 to 32 characters of A-Z a-z 0-9 . _ - */
#define EV_PROTOCOL_ID_MAX_LENGTH 32
/* The driver id of a request typed at the station: "station:<cp_id>". */
#define EV_PROTOCOL_STATION_DRIVER_PREFIX "station:"
#define EV_PROTOCOL_LOCATION_MAX_LENGTH 200
#define EV_PROTOCOL_TOKEN_MAX_LENGTH 256
/* A registration nonce: 16 to 256 characters; ours are 128 random bits. */
#define EV_PROTOCOL_NONCE_MIN_LENGTH 16
#define EV_PROTOCOL_NONCE_BYTES 16

/* Sane upper bounds: anything above is a bug or an attack, not a supply. */
#define EV_PROTOCOL_PRICE_MAX 100.0        /* EUR/kWh */
#define EV_PROTOCOL_KWH_MAX 100000.0       /* kWh in one supply */
#define EV_PROTOCOL_AMOUNT_MAX 10000000.0  /* EUR for one supply */
/* 9999-12-31T23:59:59.999Z */
#define EV_PROTOCOL_TIMESTAMP_MAX G_GINT64_CONSTANT (253402300799999)

GQuark    ev_protocol_error_quark             (void);

gboolean  ev_protocol_is_valid_id             (const char  *id);
gboolean  ev_protocol_is_station_driver_id    (const char  *driver_id);
char     *ev_protocol_make_station_driver_id  (const char  *cp_id);

gboolean  ev_protocol_validate_cp_id          (const char  *cp_id,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_driver_id      (const char  *driver_id,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_uuid           (const char  *uuid,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_text           (const char  *text,
                                               const char  *field,
                                               long         max_chars,
                                               GError     **error);
gboolean  ev_protocol_validate_number         (double       value,
                                               const char  *field,
                                               double       max,
                                               GError     **error);
gboolean  ev_protocol_validate_location       (const char  *location,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_token          (const char  *token,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_nonce          (const char  *nonce,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_cp_key         (const char  *key,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_price          (double       price,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_kwh            (double       kwh,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_amount         (double       amount,
                                               const char  *field,
                                               GError     **error);
gboolean  ev_protocol_validate_timestamp      (gint64       ts,
                                               const char  *field,
                                               GError     **error);

char     *ev_protocol_new_uuid                (void);
char     *ev_protocol_random_hex              (gsize        n_bytes,
                                               GError     **error);
char     *ev_protocol_new_nonce               (GError     **error);
gint64    ev_protocol_now_ms                  (void);

G_END_DECLS

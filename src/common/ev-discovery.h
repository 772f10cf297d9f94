#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EvDiscoveryError:
 * @EV_DISCOVERY_ERROR_NOT_FOUND: no discovery file: no embedded broker runs
 * @EV_DISCOVERY_ERROR_STALE: the file names a process that is gone
 * @EV_DISCOVERY_ERROR_INVALID: the file cannot be parsed
 * @EV_DISCOVERY_ERROR_FAILED: it cannot be read, written or removed
 *
 * Why the embedded broker cannot be found or announced.
 */
typedef enum {
  EV_DISCOVERY_ERROR_NOT_FOUND,
  EV_DISCOVERY_ERROR_STALE,
  EV_DISCOVERY_ERROR_INVALID,
  EV_DISCOVERY_ERROR_FAILED,
} EvDiscoveryError;

#define EV_DISCOVERY_ERROR (ev_discovery_error_quark ())

GQuark    ev_discovery_error_quark (void);

char     *ev_discovery_get_path    (void);
gboolean  ev_discovery_write       (const char  *bootstrap,
                                    GPid         pid,
                                    GError     **error);
char     *ev_discovery_read        (GPid        *pid,
                                    GError     **error);
gboolean  ev_discovery_remove      (GPid         pid,
                                    GError     **error);

G_END_DECLS

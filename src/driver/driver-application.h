#pragma once

#include <adwaita.h>

#include "driver-core.h"

G_BEGIN_DECLS

#define DRIVER_APP_ID APP_ID_PREFIX ".Driver"

#define DRIVER_TYPE_APPLICATION (driver_application_get_type ())

G_DECLARE_FINAL_TYPE (DriverApplication, driver_application, DRIVER, APPLICATION, AdwApplication)

/**
 * DriverLaunch:
 * @driver_id: (nullable): the driver, checked; %NULL: the window asks
 * @bootstrap: the Kafka bootstrap servers
 * @overrides: (nullable): librdkafka properties
 * @central_key: (nullable) (transfer full): Central's key to trust
 * @file: (nullable): a request file to run once started, as --file does
 * @headless: no window: the headless front end on standard input
 *
 * What ev-driver's options, checked, ask of one launch.
 */
typedef struct {
  const char          *driver_id;
  const char          *bootstrap;
  const char * const  *overrides;
  EvVerifyKey         *central_key;
  const char          *file;
  gboolean             headless;
} DriverLaunch;

DriverApplication *driver_application_new          (DriverLaunch       *launch);
/* No driver id yet: the first window asks who is driving, then starts a
 * core on @bootstrap with @overrides. */
DriverApplication *driver_application_new_for_bus  (const char         *bootstrap,
                                                    const char * const *overrides,
                                                    const char         *file);
/* The core of the driver now at the wheel; %NULL before one is chosen. */
DriverCore        *driver_application_get_core     (DriverApplication  *self);
gboolean           driver_application_use_driver   (DriverApplication  *self,
                                                    const char         *driver_id,
                                                    GError            **error);

G_END_DECLS

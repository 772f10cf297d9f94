/* station-ui.c: what the engine window, the monitor window and the
 * launcher share beyond ev-ui.c. */

#include "config.h"

#include "station-resources.h"
#include "station-ui.h"

void
station_ui_ensure_resources (void)
{
  /* A static library drops an object nothing refers to, and with it the
   * constructor that registers the resources. */
  (void) station_get_resource ();
}

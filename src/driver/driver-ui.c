/* driver-ui.c: what the driver's window and its rows share beyond
 * ev-ui.c. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "driver-resources.h"
#include "driver-ui.h"

void
driver_ui_ensure_resources (void)
{
  /* A static library drops an object nothing refers to, and with it the
   * constructor that registers the resources. */
  (void) driver_get_resource ();
}

char *
driver_ui_format_date_time (gint64 ms)
{
  /* Translators: a date and time in g_date_time_format() notation. */
  return ev_ui_format_ms (ms, _("%Y-%m-%d %H:%M:%S"));
}

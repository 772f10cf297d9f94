/* ocpp-fleet-run.c: the OCPP fleet's headless front end as a program of
 * its own, for tests and benchmarks until ev-station fleet --ocpp calls
 * it. */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "station-ocpp-fleet.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  return station_ocpp_fleet_main (argc, argv);
}

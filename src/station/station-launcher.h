#pragma once

#include <adwaita.h>

#include "station-settings.h"

G_BEGIN_DECLS

#define STATION_TYPE_LAUNCHER (station_launcher_get_type ())

G_DECLARE_FINAL_TYPE (StationLauncher, station_launcher, STATION, LAUNCHER, AdwApplicationWindow)

/* A process that ends within this time of its start failed to start. */
#define STATION_LAUNCHER_STARTUP_GRACE_MS 3000

/* How long the processes have, after SIGTERM, to flush Kafka and exit
 * before station_launcher_stop_all_async() kills them. */
#define STATION_LAUNCHER_STOP_TIMEOUT_MS 10000

/* @app may be NULL (tests). @program is the ev-station binary the pairs
 * run (NULL: this program, /proc/self/exe). */
StationLauncher *station_launcher_new           (GtkApplication   *app,
                                                 StationSettings  *settings,
                                                 const char       *program);

/* Starts an engine and its monitor from the fields ("launcher.start"). */
gboolean         station_launcher_start         (StationLauncher  *self,
                                                 GError          **error);
/* Starts `ev-station engine --ocpp URL` from the OCPP field
 * ("launcher.start-ocpp"). */
gboolean         station_launcher_start_ocpp    (StationLauncher  *self,
                                                 GError          **error);
/* Sends SIGTERM to every process started here that still runs. */
void             station_launcher_stop_all      (StationLauncher  *self);
void             station_launcher_stop_all_async  (StationLauncher     *self,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         station_launcher_stop_all_finish (StationLauncher     *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
guint            station_launcher_get_n_pairs   (StationLauncher  *self);
guint            station_launcher_get_n_running (StationLauncher  *self);

G_END_DECLS

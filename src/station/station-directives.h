#pragma once

#include <glib.h>

#include "ev-messages.h"
#include "station-machine.h"

G_BEGIN_DECLS

/* How many ended supplies a single engine remembers. */
#define STATION_FINISHED_REMEMBERED 256

/**
 * StationFinished:
 *
 * The supply ids an engine has ended or seen cancelled, the newest
 * @capacity of them, so that a `start` sent again (by a restarted Central
 * answering its backlog) never runs a supply twice. Zero-initialised with
 * station_finished_init(); the ids are allocated only once used.
 */
typedef struct
{
  /*< private >*/
  char **ids;
  guint16 capacity;
  guint16 len;
  guint16 oldest;
} StationFinished;

void     station_finished_init     (StationFinished   *self,
                                    guint              capacity);
void     station_finished_clear    (StationFinished   *self);
void     station_finished_add      (StationFinished   *self,
                                    const char        *supply_id);
gboolean station_finished_contains (const StationFinished *self,
                                    const char        *supply_id);

gboolean station_directive_apply   (StationMachine    *machine,
                                    StationFinished   *finished,
                                    const EvDirective *directive,
                                    gint64             now_ms,
                                    char             **out_ignored);

G_END_DECLS

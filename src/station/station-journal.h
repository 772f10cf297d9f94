#pragma once

#include <glib.h>

#include "ev-messages.h"

G_BEGIN_DECLS

/* A journal is one small JSON object; anything bigger is not one. */
#define STATION_JOURNAL_MAX_SIZE (1024 * 1024)

/*
 * StationJournal: what an engine must not forget when it dies, kept in
 * one file per CP (`<state-dir>/<cp_id>.json`), replaced atomically (a
 * temporary file in the same folder, fsync, rename) on every change:
 *
 * - "supply": the supply in progress, as the `engine-fault` ticket it
 *   gets should the engine stop now: its ids, price, `started_at`, the
 *   `seq` and energy of its last progress (written before that progress
 *   is published), `ended_at` the time of that reading.
 * - "tickets": every ticket published and not yet confirmed delivered by
 *   Kafka, exactly as published (envelope included, so that a copy sent
 *   again is recognisably the same message).
 *
 * It holds no clock and no bus: the engine says what changed, then saves.
 */
typedef struct _StationJournal StationJournal;

StationJournal     *station_journal_new            (const char          *state_dir,
                                                    const char          *cp_id);
void                station_journal_free           (StationJournal      *self);

/* How many ended supply ids a journal keeps (as StationFinished does). */
#define STATION_JOURNAL_ENDED 256

void                station_journal_add_ended      (StationJournal      *self,
                                                    const char          *supply_id);
GPtrArray          *station_journal_get_ended      (StationJournal      *self);

const char         *station_journal_get_path       (StationJournal      *self);

gboolean            station_journal_load           (StationJournal      *self,
                                                    GError             **error);
char               *station_journal_set_aside      (StationJournal      *self,
                                                    GError             **error);
gboolean            station_journal_save           (StationJournal      *self,
                                                    GError             **error);

const EvSupplyData *station_journal_get_supply     (StationJournal      *self);
void                station_journal_set_supply     (StationJournal      *self,
                                                    const EvSupplyData  *last,
                                                    gint64               now_ms);
EvSupplyData       *station_journal_take_supply    (StationJournal      *self);

GPtrArray          *station_journal_get_tickets    (StationJournal      *self);
void                station_journal_add_ticket     (StationJournal      *self,
                                                    const EvSupplyData  *ticket);
gboolean            station_journal_remove_ticket  (StationJournal      *self,
                                                    const char          *supply_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StationJournal, station_journal_free)

G_END_DECLS

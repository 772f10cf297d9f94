/* station-fleet-stats.c: what the fleet measures: status latencies from
 * the intended send time, its counters and its memory. */

#include "config.h"

#include "station-fleet-private.h"

void
fleet_record_latency (FleetCounters *counters,
                      gint64         latency_us)
{
  guint64 v = MAX (latency_us, 0);
  guint index;

  if (v < LATENCY_LINEAR)
    index = v;
  else
    {
      int exponent = 63 - __builtin_clzll (v);   /* ≥ 6 */

      index = LATENCY_LINEAR + (exponent - 6) * LATENCY_SUB + ((v >> (exponent - 5)) - LATENCY_SUB);
    }
  counters->latencies[MIN (index, LATENCY_BUCKETS - 1)]++;
  counters->n_latencies++;
  counters->max_latency_us = MAX (counters->max_latency_us, latency_us);
}

/* Statistics ----------------------------------------------------------------- */

static double
latency_ms (const FleetCounters *counters,
            double               p)
{
  guint64 rank, seen = 0;

  /* No samples is no data, not a perfect 0 ms. */
  if (counters->n_latencies == 0)
    return NAN;

  rank = (guint64) ceil (p * counters->n_latencies);
  rank = CLAMP (rank, 1, counters->n_latencies);
  for (guint i = 0; i < LATENCY_BUCKETS; i++)
    {
      guint64 low, width;

      seen += counters->latencies[i];
      if (seen < rank)
        continue;
      if (i < LATENCY_LINEAR)
        return MIN (i, counters->max_latency_us) / 1000.0;

      /* The middle of the bucket, never past the largest sample. */
      width = G_GUINT64_CONSTANT (1) << ((i - LATENCY_LINEAR) / LATENCY_SUB + 1);
      low = ((i - LATENCY_LINEAR) % LATENCY_SUB + LATENCY_SUB) * width;
      return MIN (low + width / 2, (guint64) counters->max_latency_us) / 1000.0;
    }
  return counters->max_latency_us / 1000.0;
}

/* A latency in ms, or null when there is none. */
static void
set_latency (JsonObject *object,
             const char *name,
             double      ms)
{
  if (isnan (ms))
    json_object_set_null_member (object, name);
  else
    json_object_set_double_member (object, name, ms);
}

static guint64
rss_kib (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!ev_file_read_bounded ("/proc/self/statm", PROC_STATM_MAX_SIZE, &statm, NULL, NULL) ||
      sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return 0;
  return (guint64) resident * sysconf (_SC_PAGESIZE) / 1024;
}

/**
 * station_fleet_stats:
 * @self: a fleet
 *
 * Returns: (transfer full): the fields of a `stats` event: gauges now,
 *   counters and status latencies since the start or the last reset
 */
JsonObject *
station_fleet_stats (StationFleet *self)
{
  const FleetCounters *c = &self->counters;
  JsonObject *fields = json_object_new ();
  JsonObject *latency = json_object_new ();
  guint links_up = 0, registered = 0, supplying = 0, waiting = 0, broken = 0;
  guint64 rss = rss_kib ();

  for (guint i = 0; i < self->count; i++)
    {
      FleetCp *cp = &self->cps[i];
      EvCpState state = station_machine_get_state (cp->machine);

      links_up += fleet_cp_session (cp) != NULL &&
                  ev_link_session_get_state (fleet_cp_session (cp)) == EV_LINK_SESSION_STATE_ESTABLISHED;
      registered += cp->link == CP_LINK_UP;
      supplying += !cp->engine_killed && state == EV_CP_STATE_SUPPLYING;
      waiting += !cp->engine_killed && state == EV_CP_STATE_WAITING;
      broken += cp->engine_killed || state == EV_CP_STATE_BROKEN;
    }

  json_object_set_double_member (fields, "t", (g_get_monotonic_time () - self->started_us) / 1e6);
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_int_member (fields, "links_up", links_up);
  json_object_set_int_member (fields, "registered", registered);
  json_object_set_int_member (fields, "supplying", supplying);
  json_object_set_int_member (fields, "waiting", waiting);
  json_object_set_int_member (fields, "broken", broken);
  json_object_set_int_member (fields, "status_sent", c->status_sent);
  json_object_set_int_member (fields, "status_answered", c->status_answered);
  json_object_set_int_member (fields, "status_skipped", c->status_skipped);
  json_object_set_int_member (fields, "directives", c->directives);
  json_object_set_int_member (fields, "supplies", c->supplies);
  json_object_set_int_member (fields, "tickets", c->tickets);
  json_object_set_int_member (fields, "errors", c->errors);
  json_object_set_int_member (fields, "reconnects", c->reconnects);
  json_object_set_int_member (fields, "faults", c->faults);
  set_latency (latency, "p50", latency_ms (c, 0.50));
  set_latency (latency, "p99", latency_ms (c, 0.99));
  set_latency (latency, "p999", latency_ms (c, 0.999));
  set_latency (latency, "max", c->n_latencies > 0 ? c->max_latency_us / 1000.0 : NAN);
  json_object_set_int_member (latency, "n", c->n_latencies);
  json_object_set_int_member (latency, "skipped", c->status_skipped);
  json_object_set_object_member (fields, "status_ms", latency);
  json_object_set_int_member (fields, "rss_kib", rss);
  json_object_set_double_member (fields, "rss_kib_per_cp", (double) rss / self->count);
  return fields;
}

/**
 * station_fleet_reset:
 * @self: a fleet
 *
 * Zeroes the counters and the latency samples.
 */
void
station_fleet_reset (StationFleet *self)
{
  memset (&self->counters, 0, sizeof self->counters);
}

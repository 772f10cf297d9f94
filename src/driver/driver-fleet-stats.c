/* driver-fleet-stats.c: the fleet's counters and latency histograms. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "driver-fleet-private.h"

/* Latency ------------------------------------------------------------------ */

static guint
latency_bucket (guint64 us)
{
  guint bits = 0;
  guint shift;
  guint64 index;

  if (us < HIST_LINEAR)
    return us;
  for (guint64 v = us; v != 0; v >>= 1)
    bits++;
  /* Keeps the 6 highest bits: 32 sub-buckets per power of two. */
  shift = bits - 6;
  index = HIST_LINEAR + (guint64) (shift - 1) * HIST_SUB + ((us >> shift) - HIST_SUB);
  return MIN (index, HIST_BUCKETS - 1);
}

/* The middle of a bucket. */
static double
latency_bucket_value (guint index)
{
  guint shift, mantissa;

  if (index < HIST_LINEAR)
    return index;
  shift = (index - HIST_LINEAR) / HIST_SUB + 1;
  mantissa = (index - HIST_LINEAR) % HIST_SUB + HIST_SUB;
  return ((double) ((guint64) mantissa << shift)) + (((guint64) 1 << shift) - 1) / 2.0;
}

void
driver_fleet_latency_add (Latency *latency,
                          gint64   us)
{
  guint64 value = us > 0 ? (guint64) us : 0;

  latency->counts[latency_bucket (value)]++;
  latency->n++;
  latency->max_us = MAX (latency->max_us, value);
}

static double
latency_quantile_us (const Latency *latency,
                     double         q)
{
  guint64 rank = (guint64) ceil (q * latency->n);
  guint64 seen = 0;

  rank = CLAMP (rank, 1, latency->n);
  for (guint i = 0; i < HIST_BUCKETS; i++)
    {
      seen += latency->counts[i];
      if (seen >= rank)
        return MIN (latency_bucket_value (i), (double) latency->max_us);
    }
  return latency->max_us;
}

static void
set_ms (JsonObject *object,
        const char *member,
        double      us)
{
  json_object_set_double_member (object, member, round (us) / 1000.0);
}

/* {"n", "p50", "p99", "p999", "max"} in ms; the figures are null with no
 * sample. */
JsonObject *
driver_fleet_latency_fields (const Latency *latency)
{
  static const struct { const char *name; double q; } quantiles[] = {
    { "p50", 0.5 }, { "p99", 0.99 }, { "p999", 0.999 },
  };
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "n", latency->n);
  for (guint i = 0; i < G_N_ELEMENTS (quantiles); i++)
    {
      if (latency->n == 0)
        json_object_set_null_member (object, quantiles[i].name);
      else
        set_ms (object, quantiles[i].name, latency_quantile_us (latency, quantiles[i].q));
    }
  if (latency->n == 0)
    json_object_set_null_member (object, "max");
  else
    set_ms (object, "max", latency->max_us);
  return object;
}

/* Statistics --------------------------------------------------------------- */

/**
 * driver_fleet_stats_fields:
 * @self: a fleet
 *
 * Returns: (transfer full): the members of a `stats` or `summary` event:
 *   the time since start, the fleet's gauges, and the counters and
 *   latencies since start or the last driver_fleet_reset()
 */
JsonObject *
driver_fleet_stats_fields (DriverFleet *self)
{
  const Counters *counters;
  JsonObject *fields, *denials, *supply_errors;
  guint in_flight = 0, supplying = 0;
  double t;

  g_return_val_if_fail (DRIVER_IS_FLEET (self), NULL);

  counters = &self->counters;
  fields = json_object_new ();
  denials = json_object_new ();
  supply_errors = json_object_new ();
  t = self->started ? (g_get_monotonic_time () - self->started_us) / 1000 / 1000.0 : 0.0;

  for (guint i = 0; self->drivers != NULL && i < self->count; i++)
    {
      DriverPhase phase = driver_follow_get_phase (self->drivers[i].follow);

      if (!driver_fleet_is_busy (&self->drivers[i]))
        continue;
      in_flight += phase == DRIVER_PHASE_REQUESTED;
      supplying += phase == DRIVER_PHASE_AUTHORIZED || phase == DRIVER_PHASE_SUPPLYING;
    }
  for (guint i = EV_SUPPLY_DENY_REASON_NONE + 1; i < N_DENY_REASONS; i++)
    json_object_set_int_member (denials, ev_supply_deny_reason_to_string (i), counters->denials[i]);
  for (guint i = EV_SUPPLY_ERROR_REASON_NONE + 1; i < N_ERROR_REASONS; i++)
    json_object_set_int_member (supply_errors, ev_supply_error_reason_to_string (i), counters->supply_errors[i]);

  json_object_set_double_member (fields, "t", t);
  json_object_set_int_member (fields, "count", self->count);
  json_object_set_double_member (fields, "rate", self->rate);
  json_object_set_int_member (fields, "cps_known", self->cps != NULL ? g_hash_table_size (self->cps) : 0);
  json_object_set_int_member (fields, "cps_active", self->cps_active);
  json_object_set_int_member (fields, "requests", counters->requests);
  json_object_set_int_member (fields, "authorized", counters->authorized);
  json_object_set_int_member (fields, "denied", counters->denied);
  json_object_set_object_member (fields, "denials", denials);
  json_object_set_int_member (fields, "skipped", counters->skipped);
  json_object_set_int_member (fields, "no_answer", counters->no_answer);
  json_object_set_int_member (fields, "in_flight", in_flight);
  json_object_set_int_member (fields, "supplying", supplying);
  json_object_set_int_member (fields, "progress", counters->progress);
  json_object_set_int_member (fields, "tickets", counters->tickets);
  json_object_set_int_member (fields, "errors", counters->errors);
  json_object_set_object_member (fields, "supply_errors", supply_errors);
  json_object_set_object_member (fields, "response_ms", driver_fleet_latency_fields (&counters->response));
  json_object_set_object_member (fields, "progress_ms", driver_fleet_latency_fields (&counters->progress_latency));
  return fields;
}

/**
 * driver_fleet_reset:
 * @self: a fleet
 *
 * Sets the counters and latencies to zero; what is in progress goes on.
 */
void
driver_fleet_reset (DriverFleet *self)
{
  g_return_if_fail (DRIVER_IS_FLEET (self));

  memset (&self->counters, 0, sizeof self->counters);
}


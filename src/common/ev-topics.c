#include "config.h"

#include "ev-topics.h"

static const char * const topics[] = {
  "supply-req",
  "supply-res",
  "central-directives",
  "supply-data",
  "supply-data2",
  "supply-error",
  "cp-states",
  NULL
};

/**
 * ev_topics_get_all:
 *
 * The Kafka topics of the wire contract (PROTOCOL.md 3): the ones
 * `ev-broker` creates from the start and `ev-central --create-topics`
 * creates on a real cluster.
 *
 * Returns: (transfer none) (array zero-terminated=1): the topic names
 */
const char * const *
ev_topics_get_all (void)
{
  return topics;
}

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Partitions per topic that `ev-central --create-topics` asks for by
 * default: docs/deployment.md says why. */
#define CENTRAL_TOPICS_DEFAULT_PARTITIONS 6
#define CENTRAL_TOPICS_MAX_PARTITIONS 10000
#define CENTRAL_TOPICS_MAX_REPLICATION 100

typedef enum {
  CENTRAL_TOPICS_RIGHT,        /* every topic exists as asked (created or found) */
  CENTRAL_TOPICS_MISCONFIGURED, /* every topic exists, some not as asked */
  CENTRAL_TOPICS_FAILED,       /* the cluster could not be asked, or a creation failed */
} CentralTopicsStatus;

CentralTopicsStatus central_topics_create        (const char          *bootstrap,
                                                  const char * const  *overrides,
                                                  int                  partitions,
                                                  int                  replication_factor,
                                                  GPtrArray           *report);

G_END_DECLS

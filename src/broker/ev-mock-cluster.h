#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define EV_TYPE_MOCK_CLUSTER (ev_mock_cluster_get_type ())

G_DECLARE_FINAL_TYPE (EvMockCluster, ev_mock_cluster, EV, MOCK_CLUSTER, GObject)

/**
 * EV_MOCK_CLUSTER_DEFAULT_PARTITIONS:
 *
 * How many partitions each topic gets unless told otherwise; the same number
 * the mock cluster gives a topic it creates on demand.
 */
#define EV_MOCK_CLUSTER_DEFAULT_PARTITIONS 4

EvMockCluster      *ev_mock_cluster_new            (int             partitions,
                                                    GError        **error);

const char         *ev_mock_cluster_get_bootstrap  (EvMockCluster  *self);
int                 ev_mock_cluster_get_partitions (EvMockCluster  *self);
gboolean            ev_mock_cluster_get_up         (EvMockCluster  *self);
gboolean            ev_mock_cluster_set_down       (EvMockCluster  *self,
                                                    GError        **error);
gboolean            ev_mock_cluster_set_up         (EvMockCluster  *self,
                                                    GError        **error);
void                ev_mock_cluster_set_produce_errors (EvMockCluster  *self,
                                                        guint           count);

G_END_DECLS

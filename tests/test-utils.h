#pragma once

#include <glib.h>

#include "ev-bus.h"

G_BEGIN_DECLS

typedef gboolean (*EvTestCondition) (gpointer user_data);

void   ev_test_wait_until      (GMainContext    *context,
                                EvTestCondition  condition,
                                gpointer         user_data,
                                guint            timeout_ms,
                                const char      *what);
void   ev_test_wait_flag       (GMainContext    *context,
                                const gboolean  *flag,
                                guint            timeout_ms,
                                const char      *what);
void   ev_test_sleep_spinning  (GMainContext    *context,
                                guint            ms);
char  *ev_test_make_tmpdir     (void);
void   ev_test_rm_rf           (const char      *path);
void   ev_test_set_disk_full   (gboolean         full);

/* The delivery report of a message produced with ev_bus_produce_full()
 * and ev_test_delivery_cb (the delivery as user data). */
typedef struct
{
  gboolean done;
  GError *error;
} EvTestDelivery;

void   ev_test_delivery_cb     (EvBus           *bus,
                                const GError    *error,
                                gpointer         user_data);

G_END_DECLS

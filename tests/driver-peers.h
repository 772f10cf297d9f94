#pragma once

/* Test peers of the driver, written from docs/protocol.md and src/common
 * alone: a test Central on Kafka (reads supply-req, publishes supply-res,
 * supply-data2, supply-error and cp-states as the test says) and the
 * ev-driver program run as a child process. The private ev-broker comes
 * from central-peers.h. Waits spin the thread-default main context and
 * fail after PEER_WAIT_MS. */

#include <json-glib/json-glib.h>

#include "central-peers.h"
#include "ev-messages.h"
#include "ev-signing.h"

G_BEGIN_DECLS

#define FAKE_CENTRAL_PRICE 0.5

typedef struct _FakeCentral FakeCentral;

/* Called for every new request when set: the test's Central policy. */
typedef void (*FakeCentralPolicy) (FakeCentral           *central,
                                   const EvSupplyRequest *request,
                                   gpointer               user_data);

FakeCentral           *fake_central_new            (const char            *bootstrap);
void                   fake_central_set_policy     (FakeCentral           *central,
                                                    FakeCentralPolicy      policy,
                                                    gpointer               user_data);
const EvSupplyRequest *fake_central_wait_request   (FakeCentral           *central,
                                                    guint                  nth);
guint                  fake_central_count_requests (FakeCentral           *central);
void                   fake_central_set_signing_key (FakeCentral          *central,
                                                     EvSigningKey         *key);
void                   fake_central_forget         (FakeCentral           *central,
                                                    const char            *cp_id);
void                   fake_central_publish        (FakeCentral           *central,
                                                    const char            *topic,
                                                    const char            *key,
                                                    const char            *json);
char                  *fake_central_authorize      (FakeCentral           *central,
                                                    const EvSupplyRequest *request);
void                   fake_central_authorize_supply (FakeCentral           *central,
                                                      const EvSupplyRequest *request,
                                                      const char            *supply_id);
void                   fake_central_deny           (FakeCentral           *central,
                                                    const EvSupplyRequest *request,
                                                    EvSupplyDenyReason     reason);
void                   fake_central_data           (FakeCentral           *central,
                                                    const EvSupplyRequest *request,
                                                    const char            *supply_id,
                                                    EvSupplyDataKind       kind,
                                                    guint                  seq,
                                                    double                 kwh,
                                                    EvTicketReason         reason);
void                   fake_central_error          (FakeCentral           *central,
                                                    const EvSupplyRequest *request,
                                                    const char            *supply_id,
                                                    EvSupplyErrorReason    reason,
                                                    double                 kwh);
void                   fake_central_cp_state       (FakeCentral           *central,
                                                    const char            *cp_id,
                                                    EvCpState              state);
void                   fake_central_cp_state_priced (FakeCentral        *central,
                                                     const char         *cp_id,
                                                     EvCpState           state,
                                                     double              price);
void                   fake_central_free           (FakeCentral           *central);

/* The ev-driver program ($EV_DRIVER --headless) with its own state
 * home; its events are kept in order. */
typedef struct _DriverProcess DriverProcess;

DriverProcess *driver_process_start       (const char    *bootstrap,
                                           const char    *driver_id,
                                           const char    *state_home,
                                           const char    *file);
DriverProcess *driver_process_spawn       (const char * const *args,
                                           const char    *state_home);
JsonObject    *driver_process_last_event  (DriverProcess *process,
                                           const char    *name);
JsonObject    *driver_process_wait_event  (DriverProcess *process,
                                           const char    *name,
                                           const char    *member,
                                           const char    *value);
guint          driver_process_count_events (DriverProcess *process,
                                            const char    *name);
void           driver_process_send        (DriverProcess *process,
                                           const char    *line);
void           driver_process_close_input (DriverProcess *process);
void           driver_process_kill        (DriverProcess *process);
int            driver_process_wait_exit   (DriverProcess *process);
void           driver_process_free        (DriverProcess *process);

G_END_DECLS

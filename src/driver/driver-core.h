#pragma once

#include <gio/gio.h>

#include "driver-event.h"
#include "driver-follow.h"
#include "ev-messages.h"
#include "ev-signing.h"

G_BEGIN_DECLS

/* Defaults of the construct properties of the same names, in ms. */
#define DRIVER_DEFAULT_ANSWER_TIMEOUT_MS 10000
#define DRIVER_DEFAULT_FILE_SPACING_MS 4000

#define DRIVER_TYPE_CORE (driver_core_get_type ())

G_DECLARE_FINAL_TYPE (DriverCore, driver_core, DRIVER, CORE, GObject)

char        *driver_core_default_state_dir   (const char   *driver_id);
gboolean     driver_core_check_driver_id     (const char   *driver_id,
                                              GError      **error);

char        *driver_core_sign_request        (EvSigningKey          *key,
                                              const EvSupplyRequest *request,
                                              gsize                 *out_len,
                                              GError               **error);
void         driver_core_set_central_key     (DriverCore   *self,
                                              EvVerifyKey  *key);
EvVerifyKey *driver_core_get_central_key     (DriverCore   *self);

gboolean     driver_core_start               (DriverCore   *self,
                                              GError      **error);
void         driver_core_shutdown            (DriverCore   *self);

/* In place of a CP id: the cheapest available CP (driver_core_choose_cp()). */
#define DRIVER_CORE_AUTO_CP "auto"

char        *driver_core_request             (DriverCore   *self,
                                              const char   *cp_id,
                                              GError      **error);
const char  *driver_core_choose_cp           (DriverCore   *self);
gboolean     driver_core_run_file            (DriverCore   *self,
                                              const char   *path,
                                              GError      **error);
gboolean     driver_core_stop_file           (DriverCore   *self);
gboolean     driver_core_pause_file          (DriverCore   *self,
                                              GError      **error);
gboolean     driver_core_resume_file         (DriverCore   *self,
                                              GError      **error);

const char  *driver_core_get_driver_id       (DriverCore   *self);
const char  *driver_core_get_bootstrap       (DriverCore   *self);
const char  *driver_core_get_state_dir       (DriverCore   *self);
gint64       driver_core_get_answer_timeout  (DriverCore   *self);
gboolean     driver_core_get_broker_reachable (DriverCore  *self);
const DriverFollow *driver_core_get_supply  (DriverCore   *self);
EvSupply    *driver_core_get_current_supply  (DriverCore   *self);
DriverPhase  driver_core_get_phase           (DriverCore   *self);
const char  *driver_core_get_cp_id           (DriverCore   *self);
const char  *driver_core_get_request_id      (DriverCore   *self);
const char  *driver_core_get_supply_id       (DriverCore   *self);
const char  *driver_core_get_reason          (DriverCore   *self);
double       driver_core_get_price           (DriverCore   *self);
double       driver_core_get_kwh             (DriverCore   *self);
double       driver_core_get_amount          (DriverCore   *self);
gint64       driver_core_get_started_at      (DriverCore   *self);
gint64       driver_core_get_ended_at        (DriverCore   *self);
char        *driver_core_dup_status_text     (DriverCore   *self);
GListModel  *driver_core_get_charging_points (DriverCore   *self);
gboolean     driver_core_get_charging_points_loaded (DriverCore *self);
GListModel  *driver_core_get_history         (DriverCore   *self);
double       driver_core_get_total_kwh       (DriverCore   *self);
double       driver_core_get_total_amount    (DriverCore   *self);
gboolean     driver_core_get_file_running    (DriverCore   *self);
const char  *driver_core_get_file_path       (DriverCore   *self);
guint        driver_core_get_file_position   (DriverCore   *self);
guint        driver_core_get_file_total      (DriverCore   *self);
gboolean     driver_core_get_file_paused     (DriverCore   *self);

G_END_DECLS

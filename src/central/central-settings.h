#pragma once

#include "ev-settings.h"

G_BEGIN_DECLS

#define CENTRAL_TYPE_SETTINGS (central_settings_get_type ())

G_DECLARE_FINAL_TYPE (CentralSettings, central_settings, CENTRAL, SETTINGS, EvSettings)

CentralSettings *central_settings_new                 (void);

const char      *central_settings_get_listen_address  (CentralSettings *self);
void             central_settings_set_listen_address  (CentralSettings *self,
                                                       const char      *listen_address);
const char      *central_settings_get_kafka_bootstrap (CentralSettings *self);
void             central_settings_set_kafka_bootstrap (CentralSettings *self,
                                                       const char      *kafka_bootstrap);
const char      *central_settings_get_database_path   (CentralSettings *self);
const char      *central_settings_get_tls_certificate (CentralSettings *self);
const char      *central_settings_get_tls_key         (CentralSettings *self);
void             central_settings_set_database_path   (CentralSettings *self,
                                                       const char      *database_path);
gboolean         central_settings_get_auto_approve    (CentralSettings *self);

G_END_DECLS

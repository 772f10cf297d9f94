#pragma once

#include <adwaita.h>

#include "central-settings.h"

G_BEGIN_DECLS

#define CENTRAL_TYPE_PREFERENCES (central_preferences_get_type ())

G_DECLARE_FINAL_TYPE (CentralPreferences, central_preferences, CENTRAL, PREFERENCES, AdwPreferencesWindow)

CentralPreferences *central_preferences_new (GtkWindow       *parent,
                                             CentralSettings *settings);

G_END_DECLS

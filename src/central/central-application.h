#pragma once

#include <adwaita.h>

#include "central-options.h"

G_BEGIN_DECLS

#define CENTRAL_TYPE_APPLICATION (central_application_get_type ())

G_DECLARE_FINAL_TYPE (CentralApplication, central_application, CENTRAL, APPLICATION, AdwApplication)

CentralApplication *central_application_new (CentralOptions *options);

G_END_DECLS

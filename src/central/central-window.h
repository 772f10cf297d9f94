#pragma once

#include <adwaita.h>

#include "central-application.h"
#include "central-service.h"

G_BEGIN_DECLS

#define CENTRAL_TYPE_WINDOW (central_window_get_type ())

G_DECLARE_FINAL_TYPE (CentralWindow, central_window, CENTRAL, WINDOW, AdwApplicationWindow)

/* @app may be NULL (tests); @service may be NULL when Central could not
 * start: then show the reason with central_window_show_error(). */
CentralWindow *central_window_new        (CentralApplication *app,
                                          CentralService     *service);

CentralService *central_window_get_service (CentralWindow     *self);
void           central_window_show_error (CentralWindow      *self,
                                          const char         *message);
void           central_window_add_toast  (CentralWindow      *self,
                                          const char         *title);
gboolean       central_window_show_page  (CentralWindow      *self,
                                          const char         *name);

G_END_DECLS

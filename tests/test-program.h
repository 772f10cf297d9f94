#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A program of ours run as a real process in --headless mode (or any
 * mode that prints JSON lines on stdout): its events as they come, its
 * standard input, its exit status. */
typedef struct
{
  const char *name;
  GSubprocess *process;
  GDataInputStream *out;
  GCancellable *cancellable;
  GPtrArray *events;    /* JsonObject */
  gboolean exited;
  gboolean signalled;
  int status;           /* exit status, or the signal when signalled */
} EvTestProgram;

EvTestProgram *ev_test_program_start      (const char     *name,
                                           const char     *runtime_dir,
                                           const char    **argv);
EvTestProgram *ev_test_program_start_with_env (const char  *name,
                                              const char  *runtime_dir,
                                              const char **env,
                                              const char **argv);
EvTestProgram *ev_test_broker_start       (const char     *runtime_dir,
                                           const char    **bootstrap);
void           ev_test_program_send       (EvTestProgram  *program,
                                           const char     *line);
int            ev_test_program_finish     (EvTestProgram  *program);
int            ev_test_program_wait_exit  (EvTestProgram  *program,
                                           guint           timeout_ms);
void           ev_test_program_free       (EvTestProgram  *program);

guint          ev_test_program_count      (EvTestProgram  *program,
                                           const char     *name,
                                           const char     *member,
                                           const char     *value,
                                           const char     *member2,
                                           const char     *value2);
void           ev_test_program_wait       (EvTestProgram  *program,
                                           guint           at_least,
                                           const char     *name,
                                           const char     *member,
                                           const char     *value,
                                           const char     *member2,
                                           const char     *value2);
JsonObject    *ev_test_program_last       (EvTestProgram  *program,
                                           const char     *name);
gboolean       ev_test_event_has          (JsonObject     *event,
                                           const char     *member,
                                           const char     *value);

G_END_DECLS

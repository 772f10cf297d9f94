/* ev_headless_dispatch(): the one command loop of the headless front ends
 * and the broker: which row of a table a line runs, its arguments, and
 * the error for a line no row takes. And EvEvent's data table, which the
 * three apps' events copy and free their data with. */

#include "config.h"

#include <string.h>

#include "ev-event.h"
#include "ev-headless.h"

typedef struct {
  char *ran;      /* the words of the last command run, joined by '|' */
  char *rest;     /* what the `say` command read as the rest of its line */
} Core;

static gboolean
record (Core           *core,
        EvHeadlessCall *call)
{
  g_assert_cmpuint (call->n_words, ==, g_strv_length (call->words));
  g_free (core->ran);
  core->ran = g_strjoinv ("|", call->words);
  return TRUE;
}

static gboolean
plain_command (gpointer         core,
               EvHeadlessCall  *call,
               GError         **error)
{
  return record (core, call);
}

static gboolean
say_command (gpointer         user_data,
             EvHeadlessCall  *call,
             GError         **error)
{
  Core *core = user_data;

  g_free (core->rest);
  core->rest = g_strdup (ev_headless_call_rest (call, 2));
  return record (core, call);
}

static gboolean
fail_command (gpointer         core,
              EvHeadlessCall  *call,
              GError         **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s refused", call->words[1]);
  return FALSE;
}

static const EvHeadlessCommand commands[] = {
  { "list", 0, 0, plain_command },
  { "request CP", 1, 1, plain_command },
  { "request auto" },
  { "ask [WHO]", 0, 1, plain_command },
  { "say CP TEXT", 2, EV_HEADLESS_ANY_ARGS, say_command },
  { "fail CP", 1, 1, fail_command },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

/* Each line runs the row its name and number of words fit, with its
 * words; blanks around and between words do not count. */
static void
test_runs (void)
{
  static const struct { const char *line; const char *ran; } cases[] = {
    { "list", "list" },
    { "  list \t", "list" },
    { "request CP1", "request|CP1" },
    { "request\t auto\r", "request|auto" },
    { "ask", "ask" },
    { "ask someone", "ask|someone" },
    { "say CP1 one", "say|CP1|one" },
    { "say CP1 Calle Mayor 1", "say|CP1|Calle|Mayor|1" },
  };
  Core core = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *problem = NULL;
      gboolean quit = TRUE;

      g_test_message ("“%s”", cases[i].line);
      problem = ev_headless_dispatch (commands, &core, cases[i].line, &quit);
      g_assert_null (problem);
      g_assert_false (quit);
      g_assert_cmpstr (core.ran, ==, cases[i].ran);
    }
  g_free (core.ran);
  g_free (core.rest);
}

/* A text argument is the rest of the line, its own blanks kept. */
static void
test_rest (void)
{
  g_autofree char *problem = NULL;
  Core core = { 0 };
  gboolean quit;

  problem = ev_headless_dispatch (commands, &core, " say  CP1  Calle  Mayor 1", &quit);
  g_assert_null (problem);
  g_assert_cmpstr (core.rest, ==, "  Calle  Mayor 1");
  g_free (core.ran);
  g_free (core.rest);
}

/* An unknown name, a wrong number of words or a help-only row are one
 * error that names the line and lists the commands that run (the
 * help-only row left out); a command's own failure is its message; an
 * empty line does nothing. */
static void
test_errors (void)
{
  static const char *const unknown[] = {
    "lists", "list all", "request", "request CP1 CP2", "ask a b", "say CP1", "quit now", "LIST", "requestCP1",
  };
  Core core = { 0 };
  g_autofree char *problem = NULL;
  gboolean quit = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autofree char *line = g_strdup_printf ("  %s ", unknown[i]);
      g_autofree char *expected = g_strdup_printf ("Unknown command “%s” (commands: list, request CP, ask [WHO], "
                                                   "say CP TEXT, fail CP, quit)", unknown[i]);
      g_autofree char *said = NULL;

      g_test_message ("“%s”", unknown[i]);
      said = ev_headless_dispatch (commands, &core, line, &quit);
      g_assert_cmpstr (said, ==, expected);
      g_assert_false (quit);
    }
  g_assert_null (core.ran);

  problem = ev_headless_dispatch (commands, &core, "fail CP9", &quit);
  g_assert_cmpstr (problem, ==, "CP9 refused");

  g_clear_pointer (&problem, g_free);
  problem = ev_headless_dispatch (commands, &core, " \t ", &quit);
  g_assert_null (problem);
  g_assert_false (quit);
  g_assert_null (core.ran);
}

static void
test_quit (void)
{
  g_autofree char *problem = NULL;
  gboolean quit = FALSE;

  problem = ev_headless_dispatch (commands, NULL, "quit", &quit);
  g_assert_null (problem);
  g_assert_true (quit);
}

/* Events ------------------------------------------------------------------- */

typedef enum { TEST_EVENT_ONE, TEST_EVENT_TWO } TestEventKind;

static GType
test_event_kind_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { TEST_EVENT_ONE, "TEST_EVENT_ONE", "one" },
    { TEST_EVENT_TWO, "TEST_EVENT_TWO", "two" },
    { 0, NULL, NULL },
  };

  if (type == 0)
    type = g_enum_register_static ("TestEventKind", values);
  return type;
}

typedef struct {
  guint copies;
  guint frees;
} Counts;

static Counts counts;

typedef struct {
  int value;
} Box;

static Box *
box_copy (const Box *box)
{
  counts.copies++;
  return g_memdup2 (box, sizeof *box);
}

static void
box_free (Box *box)
{
  counts.frees++;
  g_free (box);
}

typedef struct {
  char *name;
  int number;
  const char *label;
  Box *box;
} TestEventData;

#define TEST_TYPE_EVENT (test_event_get_type ())
G_DECLARE_FINAL_TYPE (TestEvent, test_event, TEST, EVENT, EvEvent)

struct _TestEvent {
  EvEvent parent_instance;

  TestEventData data;
};

G_DEFINE_FINAL_TYPE (TestEvent, test_event, EV_TYPE_EVENT)

static const EvEventMember members[] = {
  EV_EVENT_STRING (TestEventData, name),
  EV_EVENT_STRING (TestEventData, label),
  EV_EVENT_BOXED (TestEventData, box, box_copy, box_free),
};

static void
test_event_class_init (TestEventClass *klass)
{
  ev_event_class_set_kind_type (EV_EVENT_CLASS (klass), test_event_kind_get_type ());
  ev_event_class_set_data (EV_EVENT_CLASS (klass), G_STRUCT_OFFSET (TestEvent, data), sizeof (TestEventData),
                           members, G_N_ELEMENTS (members));
}

static void
test_event_init (TestEvent *self)
{
}

/* An event keeps its own copy of its data: strings, boxed members and
 * the rest; it frees what it copied, once; no data is none. */
static void
test_event_data (void)
{
  g_autofree char *name = g_strdup ("CP1");
  Box box = { 42 };
  TestEventData data = { name, 7, NULL, &box };
  TestEvent *event = g_object_new (TEST_TYPE_EVENT, "kind", TEST_EVENT_TWO, NULL);
  TestEvent *empty = g_object_new (TEST_TYPE_EVENT, "kind", TEST_EVENT_ONE, NULL);

  counts = (Counts) { 0 };
  ev_event_set_data (EV_EVENT (event), &data);
  ev_event_set_data (EV_EVENT (empty), NULL);
  name[0] = 'X';
  box.value = 0;

  g_assert_cmpstr (ev_event_get_name (EV_EVENT (event)), ==, "two");
  g_assert_cmpstr (event->data.name, ==, "CP1");
  g_assert_true (event->data.name != name);
  g_assert_cmpint (event->data.number, ==, 7);
  g_assert_null (event->data.label);
  g_assert_true (event->data.box != &box);
  g_assert_cmpint (event->data.box->value, ==, 42);
  g_assert_cmpuint (counts.copies, ==, 1);
  g_assert_null (empty->data.name);

  g_assert_finalize_object (event);
  g_assert_finalize_object (empty);
  g_assert_cmpuint (counts.frees, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/headless/dispatch/runs", test_runs);
  g_test_add_func ("/headless/dispatch/rest", test_rest);
  g_test_add_func ("/headless/dispatch/errors", test_errors);
  g_test_add_func ("/headless/dispatch/quit", test_quit);
  g_test_add_func ("/event/data", test_event_data);

  return g_test_run ();
}

#include "config.h"

#define G_LOG_DOMAIN "EvBroker"

#include <signal.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ev-program.h"
#include "ev-discovery.h"
#include "ev-headless.h"
#include "ev-mock-cluster.h"
#include "ev-topics.h"

/*
 * ev-broker: the embedded Kafka broker. It has no window, so it always runs
 * "headless": events as JSON lines on stdout, commands as lines on stdin,
 * human logs on stderr (docs/cli.md).
 */

typedef struct
{
  GMainLoop *loop;
  EvMockCluster *cluster;
  EvHeadlessInput *input;
} Broker;

static void
print_error (const char *message)
{
  ev_headless_print_error (message);
  g_printerr ("ev-broker: %s\n", message);
}

static gboolean
status_command (gpointer         user_data,
                EvHeadlessCall  *call,
                GError         **error)
{
  Broker *broker = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  JsonArray *topics = json_array_new ();
  const char * const *names = ev_topics_get_all ();

  for (guint i = 0; names[i] != NULL; i++)
    json_array_add_string_element (topics, names[i]);

  json_object_set_string_member (object, "bootstrap", ev_mock_cluster_get_bootstrap (broker->cluster));
  json_object_set_int_member (object, "pid", getpid ());
  json_object_set_boolean_member (object, "up", ev_mock_cluster_get_up (broker->cluster));
  json_object_set_int_member (object, "partitions", ev_mock_cluster_get_partitions (broker->cluster));
  json_object_set_array_member (object, "topics", topics);
  ev_headless_print_event ("status", object);
  return TRUE;
}

static void
quit (Broker *broker)
{
  if (broker->input != NULL)
    ev_headless_input_stop (broker->input);
  g_main_loop_quit (broker->loop);
}

/* The most `produce-errors` takes: at a retry every 100 ms, hours. */
#define MAX_PRODUCE_ERRORS 1000000

/* `produce-errors N`: the next N produce requests fail (0: none). */
static gboolean
produce_errors_command (gpointer         user_data,
                        EvHeadlessCall  *call,
                        GError         **error)
{
  Broker *broker = user_data;
  g_autoptr(JsonObject) object = NULL;
  guint64 count = 0;

  if (call->n_words != 2 ||
      !g_ascii_string_to_unsigned (call->words[1], 10, 0, MAX_PRODUCE_ERRORS, &count, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("produce-errors takes a count from 0 to %d"), MAX_PRODUCE_ERRORS);
      return FALSE;
    }

  ev_mock_cluster_set_produce_errors (broker->cluster, (guint) count);
  g_message (_("Produce requests to fail from now on: %u"), (guint) count);
  object = json_object_new ();
  json_object_set_int_member (object, "count", (gint64) count);
  ev_headless_print_event ("produce-errors", object);
  return TRUE;
}

/* `down` and `up`. */
static gboolean
down_command (gpointer         user_data,
              EvHeadlessCall  *call,
              GError         **error)
{
  Broker *broker = user_data;
  gboolean down = g_str_equal (call->words[0], "down");

  if (!(down ? ev_mock_cluster_set_down (broker->cluster, error) : ev_mock_cluster_set_up (broker->cluster, error)))
    return FALSE;
  g_message (down ? "Broker down" : "Broker up");
  ev_headless_print_event (down ? "broker-down" : "broker-up", NULL);
  return TRUE;
}

static const EvHeadlessCommand commands[] = {
  { "down", 0, 0, down_command },
  { "up", 0, 0, down_command },
  { "produce-errors N", 0, EV_HEADLESS_ANY_ARGS, produce_errors_command },
  { "status", 0, 0, status_command },
  { "quit", 0, 0, ev_headless_command_quit },
  { NULL }
};

static gboolean
command_line_cb (const char   *line,
                 const GError *error,
                 gpointer      user_data)
{
  Broker *broker = user_data;
  g_autofree char *problem = NULL;
  gboolean done = FALSE;

  if (line == NULL)
    {
      /* End of input (or an unreadable one): nobody can send `quit`. */
      if (error != NULL)
        g_printerr (_("ev-broker: cannot read commands: %s\n"), error->message);
      quit (broker);
      return FALSE;
    }

  problem = ev_headless_dispatch (commands, broker, line, &done);
  if (problem != NULL)
    print_error (problem);
  if (done)
    quit (broker);
  return !done;
}

static gboolean
signal_cb (gpointer user_data)
{
  Broker *broker = user_data;

  g_message ("Stopping on a signal");
  quit (broker);

  return G_SOURCE_CONTINUE;
}

/* Starts the cluster, announces it and serves commands until told to quit.
 * Returns the exit status. */
static int
serve (Broker   *broker,
       int       partitions,
       gboolean  detached)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *other = NULL;
  g_autofree char *discovery_path = NULL;
  GPid other_pid = 0;

  discovery_path = ev_discovery_get_path ();
  other = ev_discovery_read (&other_pid, NULL);
  if (other != NULL && other_pid != getpid ())
    {
      g_autofree char *message = g_strdup_printf (_("Another broker (process %d) already runs at %s; see %s"),
                                                  (int) other_pid, other, discovery_path);
      print_error (message);
      return 1;
    }

  broker->cluster = ev_mock_cluster_new (partitions, &error);
  if (broker->cluster == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot start the broker: %s"), error->message);
      print_error (message);
      return 1;
    }

  /* Announced before "ready", so whoever sees "ready" can discover it. */
  if (!ev_discovery_write (ev_mock_cluster_get_bootstrap (broker->cluster), getpid (), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot announce the broker: %s"), error->message);
      print_error (message);
      return 1;
    }

  {
    g_autoptr(JsonObject) ready = json_object_new ();

    json_object_set_string_member (ready, "bootstrap", ev_mock_cluster_get_bootstrap (broker->cluster));
    json_object_set_int_member (ready, "pid", getpid ());
    ev_headless_print_event ("ready", ready);
  }
  g_message ("Kafka broker ready at %s (announced in %s)",
             ev_mock_cluster_get_bootstrap (broker->cluster), discovery_path);

  if (!detached)
    broker->input = ev_headless_input_new (command_line_cb, broker);
  g_main_loop_run (broker->loop);

  if (!ev_discovery_remove (getpid (), &error))
    g_printerr ("ev-broker: %s\n", error->message);

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean headless = FALSE;
  gboolean version = FALSE;
  gboolean detached = FALSE;
  int partitions = EV_MOCK_CLUSTER_DEFAULT_PARTITIONS;
  Broker broker = { 0 };
  int status;
  guint sigint_id;
  guint sigterm_id;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_("Run without a window (the broker never has one; accepted like every program)"), NULL },
    { "detached", 0, 0, G_OPTION_ARG_NONE, &detached,
      N_("Read no commands: run until SIGINT or SIGTERM (how programs start the broker)"), NULL },
    { "partitions", 'p', 0, G_OPTION_ARG_INT, &partitions,
      N_("Partitions of each topic (default 4)"), N_("N") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  ev_program_init ("ev-broker");
  /* stdout carries only JSON events. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("The embedded Kafka broker of EV Charging Network. It prints JSON events on "
                                  "standard output and reads the commands down, up, produce-errors N, status "
                                  "and quit from standard input."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ev-broker: %s\n", error->message);
      return 2;
    }

  if (version)
    {
      g_print ("ev-broker %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (partitions < 1 || partitions > 1000)
    {
      g_printerr (_("ev-broker: --partitions must be between 1 and 1000\n"));
      return 2;
    }

  /* Before anything is announced: a SIGTERM right after "ready" must
   * still withdraw the announcement. */
  broker.loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &broker);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &broker);

  status = serve (&broker, partitions, detached);

  g_clear_handle_id (&sigint_id, g_source_remove);
  g_clear_handle_id (&sigterm_id, g_source_remove);
  g_clear_pointer (&broker.input, ev_headless_input_free);
  g_clear_object (&broker.cluster);
  g_clear_pointer (&broker.loop, g_main_loop_unref);
  if (status == 0)
    g_message ("Kafka broker stopped");

  return status;
}

#include "config.h"

#include "central-core-private.h"
#include "central-ocpp.h"

G_DEFINE_QUARK (central-core-error-quark, central_core_error)

G_DEFINE_FINAL_TYPE (CentralCore, central_core, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTEN,
  PROP_BOOTSTRAP,
  PROP_KAFKA_OVERRIDES,
  PROP_DB_PATH,
  PROP_GROUP,
  PROP_DEFAULT_PRICE,
  PROP_DEFAULT_PRICE_MAX,
  PROP_SILENCE_TIMEOUT,
  PROP_REQUEST_MAX_AGE,
  PROP_AUTHORIZED_TIMEOUT,
  PROP_FORGOTTEN_TIMEOUT,
  PROP_AUTH_TIMEOUT,
  PROP_MAX_UNAUTHENTICATED,
  PROP_LIMIT_LOOPBACK,
  PROP_TLS_CERT,
  PROP_TLS_KEY,
  PROP_TLS_CLIENT_CA,
  PROP_TLS_FINGERPRINT,
  PROP_AUTH_BACKOFF,
  PROP_CP_KEY_OVERLAP,
  PROP_INSECURE_BUS,
  PROP_AUTO_APPROVE,
  PROP_STARTED,
  PROP_PORT,
  PROP_BROKER_REACHABLE,
  PROP_N_LINKS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];


static void
bus_reachable_cb (EvBus      *bus,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  CentralCore *self = user_data;
  gboolean reachable = ev_bus_get_reachable (bus);
  CentralEventData data = { .reachable = reachable };

  if (reachable == self->broker_reachable)
    return;

  self->broker_reachable = reachable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BROKER_REACHABLE]);

  central_emit (self, CENTRAL_EVENT_BROKER,
                reachable ? CENTRAL_LOG_INFO : CENTRAL_LOG_WARNING,
                reachable ? _("The Kafka broker is reachable") : _("The Kafka broker is unreachable"),
                &data);
}

/* Start and stop ------------------------------------------------------------ */

static gboolean
load_database (CentralCore  *self,
               GError      **error)
{
  g_autoptr(GPtrArray) cps = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) outbox = NULL;

  self->store = ev_store_open (self->db_path, error);
  if (self->store == NULL)
    return FALSE;

  cps = ev_store_load_charging_points (self->store, error);
  if (cps == NULL)
    return FALSE;
  for (guint i = 0; i < cps->len; i++)
    {
      EvChargingPoint *cp = g_ptr_array_index (cps, i);
      CpRecord *rec;

      /* Nobody is connected yet; only the operator's stop is kept. */
      rec = central_add_cp (self, cp);
      rec->stopped = ev_charging_point_get_state (cp) == EV_CP_STATE_STOPPED;
      ev_charging_point_set_state (cp, EV_CP_STATE_DISCONNECTED);
    }

  open = ev_store_load_open_sessions (self->store, error);
  if (open == NULL)
    return FALSE;
  for (guint i = 0; i < open->len; i++)
    central_track_session (self, g_ptr_array_index (open, i));

  /* What the last Central did not see reach the broker; sent once the bus
   * exists (central_core_start()). */
  outbox = ev_store_outbox_load (self->store, error);
  if (outbox == NULL)
    return FALSE;
  g_ptr_array_set_free_func (outbox, NULL);
  for (guint i = 0; i < outbox->len; i++)
    {
      Outgoing *outgoing = g_new0 (Outgoing, 1);

      outgoing->entry = g_ptr_array_index (outbox, i);
      g_tree_replace (self->outbox, &outgoing->entry->id, outgoing);
    }

  history = ev_store_load_history (self->store, NULL, HISTORY_LIMIT, error);
  if (history == NULL)
    return FALSE;
  for (guint i = 0; i < history->len; i++)
    g_list_store_append (self->history, g_ptr_array_index (history, i));

  /* The newest log lines, so that the log does not start empty. They are
   * read through a read-only connection: the writer has no need to. */
  {
    g_autoptr(EvStoreReader) reader = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(GError) local = NULL;

    reader = ev_store_reader_open (self->db_path, &local);
    if (reader != NULL)
      lines = ev_store_reader_search_log (reader, NULL, LOG_LIMIT, NULL, &local);
    if (lines == NULL)
      g_warning ("Could not read the log from the database: %s", local->message);
    for (guint i = 0; lines != NULL && i < lines->len; i++)
      {
        g_autoptr(CentralEvent) line = central_event_new_from_record (g_ptr_array_index (lines, i));

        g_list_store_append (self->log, line);
      }
  }

  return TRUE;
}

/* A real cluster that does not create topics on demand gets them from
 * `ev-central --create-topics`; until then Central would wait for
 * messages that cannot come. Said once, at start. */
static void
warn_missing_topics (CentralCore *self)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) missing = ev_bus_list_missing_topics (self->bus, ev_topics_get_all (), &error);
  g_autofree char *names = NULL;

  if (missing == NULL)
    {
      g_message ("Could not check the Kafka topics: %s", error->message);
      return;
    }
  if (missing[0] == NULL)
    return;

  names = g_strjoinv (", ", missing);
  /* A message, not a warning: the cluster's state, not a fault of ours. */
  g_message (_("Kafka topics missing at %s: %s. Create them with “ev-central --create-topics” "
               "(docs/deployment.md); a cluster that creates topics on demand creates them with "
               "its own defaults at first use"),
             self->bootstrap, names);
}

/**
 * central_core_start:
 * @self: a core
 * @error: return location for an error
 *
 * Opens the database, starts listening for monitors and connects to
 * Kafka. On failure nothing is left running.
 *
 * Returns: %TRUE on success
 */
/* Loads the monitor port's certificate, if Central has one. */
static gboolean
setup_tls (CentralCore  *self,
           GError      **error)
{
  g_autoptr(EvTlsServer) tls = NULL;

  if (self->tls_cert == NULL && self->tls_key == NULL && self->tls_client_ca == NULL)
    return TRUE;
  if (self->tls_cert == NULL || self->tls_key == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("TLS needs both a certificate and its key (--tls-cert and --tls-key)"));
      return FALSE;
    }

  tls = ev_tls_server_new (self->tls_cert, self->tls_key, self->tls_client_ca, error);
  if (tls == NULL)
    return FALSE;
  central_monitor_server_set_tls (self->server, tls);
  g_free (self->tls_fingerprint);
  self->tls_fingerprint = g_strdup (ev_tls_server_get_fingerprint (tls));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_FINGERPRINT]);
  return TRUE;
}

/* Says, once at start, whether the monitor links are encrypted. */
static void
emit_tls (CentralCore *self)
{
  g_autofree char *message = NULL;
  CentralEventData data = { .fingerprint = self->tls_fingerprint, .encrypted = self->tls_fingerprint != NULL,
                            .client_certs = self->tls_client_ca != NULL };

  if (self->tls_fingerprint == NULL)
    {
      message = g_strdup (_("Monitor links are not encrypted: tokens cross the network in clear "
                            "(start Central with --tls-cert and --tls-key)"));
      central_emit (self, CENTRAL_EVENT_TLS, CENTRAL_LOG_WARNING, message, &data);
      return;
    }

  if (self->tls_client_ca != NULL)
    message = g_strdup_printf (_("Monitor links use TLS, with client certificates required; "
                                 "Central’s certificate has the SHA-256 fingerprint %s"),
                               self->tls_fingerprint);
  else
    message = g_strdup_printf (_("Monitor links use TLS; Central’s certificate has the SHA-256 fingerprint %s"),
                               self->tls_fingerprint);
  central_emit (self, CENTRAL_EVENT_TLS, CENTRAL_LOG_INFO, message, &data);
}

gboolean
central_core_start (CentralCore  *self,
                    GError      **error)
{
  const char * const topics[] = { "supply-req", "supply-data", NULL };
  g_autofree char *client_id = NULL;
  CentralEventData data = { 0 };
  guint n;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->bootstrap == NULL || self->db_path == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_INVALID_ARGUMENT,
                           _("Central needs a Kafka bootstrap address and a database"));
      return FALSE;
    }

  if (!load_database (self, error))
    goto fail;

  self->server = central_monitor_server_new (&central_server_callbacks, self);
  central_monitor_server_set_auth_timeout (self->server, self->auth_timeout);
  central_monitor_server_set_max_unauthenticated (self->server, self->max_unauthenticated);
  central_monitor_server_set_limit_loopback (self->server, self->limit_loopback);
  if (!setup_tls (self, error) ||
      !central_monitor_server_listen (self->server, self->listen, error))
    goto fail;
  if (self->ocpp_listen != NULL &&
      (self->ocpp = central_ocpp_new (self, self->ocpp_listen, error)) == NULL)
    goto fail;

  client_id = g_strdup_printf ("ev-central-%d", (int) getpid ());
  {
    /* Central is on every path (request → answer, engine → driver): its
     * consumer waits less for each fetch than other programs' do (see
     * ev-bus.c; this matters on the embedded broker only, which answers a
     * fetch when its wait ends). The user's -X still wins. */
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
    g_auto(GStrv) overrides = NULL;

    g_strv_builder_add (builder, "fetch.wait.max.ms=" G_STRINGIFY (CENTRAL_FETCH_WAIT_MS));
    g_strv_builder_add (builder, "linger.ms=" G_STRINGIFY (CENTRAL_LINGER_MS));
    if (self->overrides != NULL)
      g_strv_builder_addv (builder, (const char **) self->overrides);
    overrides = g_strv_builder_end (builder);
    self->bus = ev_bus_new (self->bootstrap, self->group, client_id,
                            (const char * const *) overrides, error);
  }
  if (self->bus == NULL || !ev_bus_check_broker (self->bus, error))
    goto fail;
  warn_missing_topics (self);
  g_signal_connect (self->bus, "message", G_CALLBACK (central_bus_message_cb), self);
  g_signal_connect (self->bus, "notify::reachable", G_CALLBACK (bus_reachable_cb), self);
  if (!ev_bus_subscribe (self->bus, topics, error))
    goto fail;

  /* The outcomes the last Central stored but did not see reach the
   * broker, oldest first. */
  n = (guint) g_tree_nnodes (self->outbox);
  if (n > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE,
                            "Sending the %u message the last run of Central left in its outbox",
                            "Sending the %u messages the last run of Central left in its outbox", n),
               n);
  g_tree_foreach (self->outbox, central_outbox_produce_cb, self);

  self->started_at_ms = central_now_ms ();
  /* On the thread-default context, like every source of the core: the
   * core may run on a thread of its own (CentralService). */
  {
    GSource *source = g_timeout_source_new (MAX (self->silence_timeout / 4, 10));

    g_source_set_static_name (source, "[evcharging] Central silence");
    g_source_set_callback (source, central_check_silence_cb, self, NULL);
    g_source_attach (source, g_main_context_get_thread_default ());
    self->silence_source = source;
  }
  self->started = TRUE;

  /* Whoever reads cp-states from the beginning learns that nobody is
   * connected until the monitors come back. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->cps));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EvChargingPoint) cp = g_list_model_get_item (G_LIST_MODEL (self->cps), i);

      central_publish_cp_state (self, cp);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);

  data.listen = self->listen;
  data.port = central_monitor_server_get_port (self->server);
  data.kafka = self->bootstrap;
  data.db = self->db_path;
  data.cps = n;
  {
    g_autofree char *message = g_strdup_printf (_("Central is listening on port %u with %u charging points"),
                                                data.port, n);
    central_emit (self, CENTRAL_EVENT_READY, CENTRAL_LOG_INFO, message, &data);
  }
  emit_tls (self);
  if (self->insecure_bus)
    central_emit (self, CENTRAL_EVENT_ERROR, CENTRAL_LOG_WARNING,
                  _("Kafka messages are neither signed nor checked (--insecure-bus): anyone who can reach the bus "
                    "can act as Central, a driver or a charging point"), NULL);

  return TRUE;

fail:
  central_core_shutdown (self);
  return FALSE;
}

/**
 * central_core_shutdown:
 * @self: a core
 *
 * Closes every monitor link without treating it as a fault (supplies
 * continue while Central is down), commits the database and flushes what
 * Kafka still has to send. Safe to call more than once.
 */
void
central_core_shutdown (CentralCore *self)
{
  g_autoptr(GError) error = NULL;
  gboolean was_started;

  g_return_if_fail (CENTRAL_IS_CORE (self));

  if (self->shutting_down)
    return;
  self->shutting_down = TRUE;
  was_started = self->started;

  if (self->silence_source != NULL)
    g_source_destroy (self->silence_source);
  g_clear_pointer (&self->silence_source, g_source_unref);
  if (self->server != NULL)
    central_monitor_server_close (self->server);
  g_clear_pointer (&self->ocpp, central_ocpp_free);

  /* Effects waiting for the commit run now, before the bus goes. */
  if (self->store != NULL && !ev_store_flush (self->store, &error))
    g_warning ("Could not save the database: %s", error->message);

  /* The outbox's messages in flight get a moment to reach the broker, so
   * that their rows go now (committed as the store closes) rather than
   * being sent again by the next Central. */
  if (self->bus != NULL && g_tree_nnodes (self->outbox) > 0)
    ev_bus_flush (self->bus, OUTBOX_STOP_WAIT_MS);

  if (self->bus != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->bus, self);
      ev_bus_close (self->bus);
    }

  /* Held messages stay uncommitted: the next Central handles them. */
  if (self->retry_source != NULL)
    g_source_destroy (self->retry_source);
  g_clear_pointer (&self->retry_source, g_source_unref);
  g_queue_clear_full (&self->held, (GDestroyNotify) ev_bus_message_unref);

  /* What the bus could not deliver stays in the outbox for the next
   * Central. */
  if (self->outbox_retry_source != NULL)
    g_source_destroy (self->outbox_retry_source);
  g_clear_pointer (&self->outbox_retry_source, g_source_unref);
  g_tree_remove_all (self->outbox);

  g_clear_object (&self->bus);
  g_clear_object (&self->server);
  g_clear_object (&self->store);

  self->started = FALSE;
  if (was_started)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
}

/**
 * central_core_set_ocpp_listen:
 * @self: a core, not started
 * @listen: (nullable): "ADDR:PORT" of the OCPP 1.6-J endpoint, a loopback
 *   address (plain WebSocket), or %NULL for none
 *
 * Makes central_core_start() accept OCPP chargers too (docs/ocpp.md).
 */
void
central_core_set_ocpp_listen (CentralCore *self,
                              const char  *listen)
{
  g_return_if_fail (CENTRAL_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_free (self->ocpp_listen);
  self->ocpp_listen = g_strdup (listen);
}

/**
 * central_core_get_ocpp_port:
 * @self: a core
 *
 * Returns: the port of the OCPP endpoint, or 0 when it has none
 */
guint
central_core_get_ocpp_port (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), 0);

  return self->ocpp != NULL ? central_ocpp_get_port (self->ocpp) : 0;
}

/**
 * central_core_set_ocpp_heartbeat:
 * @self: a core, not started
 * @seconds: the heartbeat interval OCPP chargers are given at boot, or 0
 *   for half the silence timeout
 *
 * An OCPP charger then counts as silent after two intervals (see
 * central_ocpp_silence_ms()).
 */
void
central_core_set_ocpp_heartbeat (CentralCore *self,
                                 guint        seconds)
{
  g_return_if_fail (CENTRAL_IS_CORE (self));
  g_return_if_fail (!self->started);

  self->ocpp_heartbeat = seconds;
}

/**
 * central_core_set_ocpp_keys:
 * @self: a core, not started
 * @path: (nullable): the OCPP chargers' key file (docs/ocpp.md), or %NULL
 *
 * Makes the OCPP endpoint ask every charger for its key (HTTP Basic auth,
 * security profile 2); read when the core starts.
 */
void
central_core_set_ocpp_keys (CentralCore *self,
                            const char  *path)
{
  g_return_if_fail (CENTRAL_IS_CORE (self));
  g_return_if_fail (!self->started);

  g_free (self->ocpp_keys);
  self->ocpp_keys = g_strdup (path);
}

/**
 * central_core_flush:
 * @self: a started core
 * @error: return location for an error
 *
 * Commits the database's current batch now, so that readers of the
 * database see everything the core has done.
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_flush (CentralCore  *self,
                    GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);

  if (self->store == NULL)
    {
      g_set_error_literal (error, CENTRAL_CORE_ERROR, CENTRAL_CORE_ERROR_NOT_STARTED,
                           _("Central is not running"));
      return FALSE;
    }
  return ev_store_flush (self->store, error);
}

/* GObject ------------------------------------------------------------------------- */

/**
 * central_core_default_db_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/evcharging/central.db`
 */
char *
central_core_default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "evcharging", "central.db", NULL);
}

/**
 * central_core_new:
 * @listen: (nullable): "ADDR:PORT" for monitors, or %NULL for the default
 * @bootstrap: Kafka bootstrap servers
 * @kafka_overrides: (nullable) (array zero-terminated=1): librdkafka
 *   "key=value" properties
 * @db_path: the SQLite database
 *
 * Returns: (transfer full): a core, not started
 */
CentralCore *
central_core_new (const char         *listen,
                  const char         *bootstrap,
                  const char * const *kafka_overrides,
                  const char         *db_path)
{
  return g_object_new (CENTRAL_TYPE_CORE,
                       "listen", listen,
                       "bootstrap", bootstrap,
                       "kafka-overrides", kafka_overrides,
                       "db-path", db_path,
                       NULL);
}

gboolean
central_core_get_started (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return self->started;
}

guint
central_core_get_port (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), 0);
  return self->server != NULL ? central_monitor_server_get_port (self->server) : 0;
}

/**
 * central_core_get_tls_fingerprint:
 * @self: a core
 *
 * Returns: (nullable): the SHA-256 fingerprint of the monitor port's
 *   certificate once started with TLS, else %NULL
 */
const char *
central_core_get_tls_fingerprint (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);

  return self->tls_fingerprint;
}

const char *
central_core_get_listen (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->listen;
}

const char *
central_core_get_bootstrap (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->bootstrap;
}

const char *
central_core_get_db_path (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return self->db_path;
}

gboolean
central_core_get_broker_reachable (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  return self->broker_reachable;
}

guint
central_core_get_n_links (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), 0);
  return g_hash_table_size (self->links);
}

GListModel *
central_core_get_charging_points (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->cps);
}

EvChargingPoint *
central_core_lookup_cp (CentralCore *self,
                        const char  *cp_id)
{
  CpRecord *rec;

  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  g_return_val_if_fail (cp_id != NULL, NULL);

  rec = g_hash_table_lookup (self->records, cp_id);
  return rec != NULL ? rec->cp : NULL;
}

GListModel *
central_core_get_requests (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->requests);
}

GListModel *
central_core_get_log (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->log);
}

GListModel *
central_core_get_history (CentralCore *self)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

static void
central_core_dispose (GObject *object)
{
  CentralCore *self = CENTRAL_CORE (object);

  central_core_shutdown (self);

  G_OBJECT_CLASS (central_core_parent_class)->dispose (object);
}

static void
central_core_finalize (GObject *object)
{
  CentralCore *self = CENTRAL_CORE (object);

  g_clear_pointer (&self->records, g_hash_table_unref);
  g_clear_pointer (&self->links, g_hash_table_unref);
  g_clear_pointer (&self->auth_limits, g_hash_table_unref);
  g_clear_pointer (&self->peer_limits, g_hash_table_unref);
  g_clear_pointer (&self->open, g_hash_table_unref);
  g_clear_pointer (&self->driver_supply, g_hash_table_unref);
  g_clear_pointer (&self->driver_keys, g_hash_table_unref);
  g_clear_pointer (&self->forged, g_hash_table_unref);
  g_clear_pointer (&self->signing_key, ev_signing_key_free);
  g_clear_pointer (&self->outbox, g_tree_unref);
  g_clear_object (&self->cps);
  g_clear_object (&self->requests);
  g_clear_object (&self->log);
  g_clear_object (&self->history);
  g_free (self->listen);
  g_free (self->ocpp_listen);
  g_free (self->ocpp_keys);
  g_free (self->tls_cert);
  g_free (self->tls_key);
  g_free (self->tls_client_ca);
  g_free (self->tls_fingerprint);
  g_free (self->bootstrap);
  g_strfreev (self->overrides);
  g_free (self->db_path);
  g_free (self->group);

  G_OBJECT_CLASS (central_core_parent_class)->finalize (object);
}

static void
central_core_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CentralCore *self = CENTRAL_CORE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_value_set_string (value, self->listen);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_string (value, self->bootstrap);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_value_set_boxed (value, self->overrides);
      break;
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_DEFAULT_PRICE:
      g_value_set_double (value, self->default_price);
      break;
    case PROP_DEFAULT_PRICE_MAX:
      g_value_set_double (value, self->default_price_max);
      break;
    case PROP_SILENCE_TIMEOUT:
      g_value_set_uint (value, self->silence_timeout);
      break;
    case PROP_REQUEST_MAX_AGE:
      g_value_set_uint (value, self->request_max_age);
      break;
    case PROP_AUTHORIZED_TIMEOUT:
      g_value_set_uint (value, self->authorized_timeout);
      break;
    case PROP_FORGOTTEN_TIMEOUT:
      g_value_set_uint (value, self->forgotten_timeout);
      break;
    case PROP_AUTH_TIMEOUT:
      g_value_set_uint (value, self->auth_timeout);
      break;
    case PROP_MAX_UNAUTHENTICATED:
      g_value_set_uint (value, self->max_unauthenticated);
      break;
    case PROP_LIMIT_LOOPBACK:
      g_value_set_boolean (value, self->limit_loopback);
      break;
    case PROP_TLS_CERT:
      g_value_set_string (value, self->tls_cert);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
      break;
    case PROP_TLS_CLIENT_CA:
      g_value_set_string (value, self->tls_client_ca);
      break;
    case PROP_TLS_FINGERPRINT:
      g_value_set_string (value, self->tls_fingerprint);
      break;
    case PROP_AUTO_APPROVE:
      g_value_set_boolean (value, self->auto_approve);
      break;
    case PROP_AUTH_BACKOFF:
      g_value_set_uint (value, self->auth_backoff);
      break;
    case PROP_CP_KEY_OVERLAP:
      g_value_set_uint (value, self->cp_key_overlap);
      break;
    case PROP_INSECURE_BUS:
      g_value_set_boolean (value, self->insecure_bus);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    case PROP_PORT:
      g_value_set_uint (value, central_core_get_port (self));
      break;
    case PROP_BROKER_REACHABLE:
      g_value_set_boolean (value, self->broker_reachable);
      break;
    case PROP_N_LINKS:
      g_value_set_uint (value, central_core_get_n_links (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_core_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CentralCore *self = CENTRAL_CORE (object);

  switch (prop_id)
    {
    case PROP_LISTEN:
      g_free (self->listen);
      self->listen = g_value_dup_string (value);
      if (self->listen == NULL)
        self->listen = g_strdup (DEFAULT_LISTEN);
      break;
    case PROP_BOOTSTRAP:
      g_free (self->bootstrap);
      self->bootstrap = g_value_dup_string (value);
      break;
    case PROP_KAFKA_OVERRIDES:
      g_strfreev (self->overrides);
      self->overrides = g_value_dup_boxed (value);
      break;
    case PROP_DB_PATH:
      g_free (self->db_path);
      self->db_path = g_value_dup_string (value);
      break;
    case PROP_GROUP:
      g_free (self->group);
      self->group = g_value_dup_string (value);
      if (self->group == NULL)
        self->group = g_strdup (DEFAULT_GROUP);
      break;
    case PROP_DEFAULT_PRICE:
      self->default_price = g_value_get_double (value);
      break;
    case PROP_DEFAULT_PRICE_MAX:
      self->default_price_max = g_value_get_double (value);
      break;
    case PROP_SILENCE_TIMEOUT:
      self->silence_timeout = g_value_get_uint (value);
      break;
    case PROP_REQUEST_MAX_AGE:
      self->request_max_age = g_value_get_uint (value);
      break;
    case PROP_AUTHORIZED_TIMEOUT:
      self->authorized_timeout = g_value_get_uint (value);
      break;
    case PROP_FORGOTTEN_TIMEOUT:
      self->forgotten_timeout = g_value_get_uint (value);
      break;
    case PROP_AUTH_TIMEOUT:
      self->auth_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_UNAUTHENTICATED:
      self->max_unauthenticated = g_value_get_uint (value);
      break;
    case PROP_LIMIT_LOOPBACK:
      self->limit_loopback = g_value_get_boolean (value);
      break;
    case PROP_TLS_CERT:
      g_free (self->tls_cert);
      self->tls_cert = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (self->tls_key);
      self->tls_key = g_value_dup_string (value);
      break;
    case PROP_TLS_CLIENT_CA:
      g_free (self->tls_client_ca);
      self->tls_client_ca = g_value_dup_string (value);
      break;
    case PROP_AUTO_APPROVE:
      self->auto_approve = g_value_get_boolean (value);
      break;
    case PROP_AUTH_BACKOFF:
      self->auth_backoff = g_value_get_uint (value);
      break;
    case PROP_CP_KEY_OVERLAP:
      self->cp_key_overlap = g_value_get_uint (value);
      break;
    case PROP_INSECURE_BUS:
      self->insecure_bus = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
central_core_class_init (CentralCoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = central_core_dispose;
  object_class->finalize = central_core_finalize;
  object_class->get_property = central_core_get_property;
  object_class->set_property = central_core_set_property;

  properties[PROP_LISTEN] =
    g_param_spec_string ("listen", NULL, NULL, DEFAULT_LISTEN, construct);
  properties[PROP_BOOTSTRAP] =
    g_param_spec_string ("bootstrap", NULL, NULL, NULL, construct);
  properties[PROP_KAFKA_OVERRIDES] =
    g_param_spec_boxed ("kafka-overrides", NULL, NULL, G_TYPE_STRV, construct);
  properties[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL, construct);
  properties[PROP_GROUP] =
    g_param_spec_string ("group", NULL, NULL, DEFAULT_GROUP, construct);
  properties[PROP_DEFAULT_PRICE] =
    g_param_spec_double ("default-price", NULL, NULL, 0.0, EV_PROTOCOL_PRICE_MAX, DEFAULT_PRICE, construct);
  /* Above default-price: a new CP gets a price drawn between the two, in
   * whole cents, as the design gives each CP its own; -1: none. */
  properties[PROP_DEFAULT_PRICE_MAX] =
    g_param_spec_double ("default-price-max", NULL, NULL, -1.0, EV_PROTOCOL_PRICE_MAX, -1.0, construct);
  properties[PROP_SILENCE_TIMEOUT] =
    g_param_spec_uint ("silence-timeout", NULL, NULL, 10, 600000, DEFAULT_SILENCE_MS, construct);
  /* 0 takes requests of any age. */
  properties[PROP_REQUEST_MAX_AGE] =
    g_param_spec_uint ("request-max-age", NULL, NULL, 0, G_MAXUINT, DEFAULT_REQUEST_MAX_AGE_MS, construct);
  properties[PROP_AUTHORIZED_TIMEOUT] =
    g_param_spec_uint ("authorized-timeout", NULL, NULL, 100, G_MAXUINT, DEFAULT_AUTHORIZED_TIMEOUT_MS, construct);
  /* How long an engine may report its CP free while a supply is under way
   * there before Central ends that supply (see central_check_forgotten_supply()). */
  properties[PROP_FORGOTTEN_TIMEOUT] =
    g_param_spec_uint ("forgotten-timeout", NULL, NULL, 100, G_MAXUINT, DEFAULT_FORGOTTEN_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /* How long a monitor link has from its accept to authenticate, in ms
   * (0: no limit). */
  properties[PROP_AUTH_TIMEOUT] =
    g_param_spec_uint ("auth-timeout", NULL, NULL, 0, G_MAXUINT,
                       CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS, construct);
  /* Unauthenticated links one address may hold (0: no limit). */
  properties[PROP_MAX_UNAUTHENTICATED] =
    g_param_spec_uint ("max-unauthenticated", NULL, NULL, 0, G_MAXUINT,
                       CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED, construct);
  /* Whether loopback peers count against max-unauthenticated. */
  /* TLS on the monitor port: the certificate and key (PEM), and the CA
   * every monitor's client certificate must come from. */
  properties[PROP_TLS_CERT] =
    g_param_spec_string ("tls-cert", NULL, NULL, NULL, construct);
  properties[PROP_TLS_KEY] =
    g_param_spec_string ("tls-key", NULL, NULL, NULL, construct);
  properties[PROP_TLS_CLIENT_CA] =
    g_param_spec_string ("tls-client-ca", NULL, NULL, NULL, construct);
  /* The SHA-256 fingerprint of the certificate, once started with TLS. */
  properties[PROP_TLS_FINGERPRINT] =
    g_param_spec_string ("tls-fingerprint", NULL, NULL, NULL, readable);
  properties[PROP_LIMIT_LOOPBACK] =
    g_param_spec_boolean ("limit-loopback", NULL, NULL, FALSE, construct);
  /* The first back-off of a CP id after repeated wrong tokens, in ms;
   * it doubles with each further one, up to a minute. */
  properties[PROP_AUTH_BACKOFF] =
    g_param_spec_uint ("auth-backoff", NULL, NULL, 1, 3600000, DEFAULT_AUTH_BACKOFF_MS, construct);
  /* How long a CP key replaced by a new one stays good, in ms (the
   * tickets of supplies that started before are accepted with it
   * whatever its age). */
  properties[PROP_CP_KEY_OVERLAP] =
    g_param_spec_uint ("cp-key-overlap", NULL, NULL, 0, G_MAXUINT, CP_KEY_OVERLAP_MS, construct);
  /* Check neither drivers' signatures nor CPs' MACs (the baseline of a
   * benchmark of what security costs; with no signing key, Central also
   * signs nothing). */
  properties[PROP_INSECURE_BUS] =
    g_param_spec_boolean ("insecure-bus", NULL, NULL, FALSE, construct);
  /* A new CP is approved as it registers (demos, benchmarks); otherwise
   * it awaits the operator's approval (central_core_approve()). */
  properties[PROP_AUTO_APPROVE] =
    g_param_spec_boolean ("auto-approve", NULL, NULL, FALSE, construct);
  properties[PROP_STARTED] =
    g_param_spec_boolean ("started", NULL, NULL, FALSE, readable);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, readable);
  properties[PROP_BROKER_REACHABLE] =
    g_param_spec_boolean ("broker-reachable", NULL, NULL, FALSE, readable);
  properties[PROP_N_LINKS] =
    g_param_spec_uint ("n-links", NULL, NULL, 0, G_MAXUINT, 0, readable);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CentralCore::event:
   * @self: the core
   * @event: (transfer none): what happened
   *
   * Everything that happens (docs/cli.md lists what the headless front end
   * prints of it), on the thread the core runs on.
   */
  central_core_signals[SIGNAL_EVENT] = ev_event_signal_new (G_TYPE_FROM_CLASS (klass), CENTRAL_TYPE_EVENT);
}

static void
central_core_init (CentralCore *self)
{
  self->cps = g_list_store_new (EV_TYPE_CHARGING_POINT);
  self->requests = g_list_store_new (EV_TYPE_SUPPLY);
  self->log = g_list_store_new (CENTRAL_TYPE_EVENT);
  self->history = g_list_store_new (EV_TYPE_SUPPLY);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) central_cp_record_free);
  self->links = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) central_link_free);
  self->auth_limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->peer_limits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->driver_supply = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->driver_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ev_verify_key_free);
  self->forged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->outbox = g_tree_new_full (central_compare_ids, NULL, NULL, central_outgoing_free);
  self->default_price = DEFAULT_PRICE;
  self->silence_timeout = DEFAULT_SILENCE_MS;
  self->request_max_age = DEFAULT_REQUEST_MAX_AGE_MS;
  self->authorized_timeout = DEFAULT_AUTHORIZED_TIMEOUT_MS;
  self->auth_timeout = CENTRAL_MONITOR_SERVER_DEFAULT_AUTH_TIMEOUT_MS;
  self->max_unauthenticated = CENTRAL_MONITOR_SERVER_DEFAULT_MAX_UNAUTHENTICATED;
  self->auth_backoff = DEFAULT_AUTH_BACKOFF_MS;
  self->listen = g_strdup (DEFAULT_LISTEN);
  self->group = g_strdup (DEFAULT_GROUP);
}

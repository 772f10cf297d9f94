/* central-options.c: Central's configuration, resolved in one place for
 * both front ends. The first one given wins: the command line, the
 * preferences (the window only), the defaults. */

#include "config.h"

#include <string.h>

#include "central-options.h"
#include "ev-broker-launch.h"

/**
 * central_options_init:
 * @options: options to set to "nothing given"
 */
void
central_options_init (CentralOptions *options)
{
  memset (options, 0, sizeof *options);
  options->price = -1.0;
  options->price_max = -1.0;
}

/**
 * central_options_steal:
 * @dest: uninitialised options
 * @src: the options to move into @dest, "nothing given" after
 */
void
central_options_steal (CentralOptions *dest,
                       CentralOptions *src)
{
  *dest = *src;
  central_options_init (src);
}

/**
 * central_options_clear:
 * @options: options
 *
 * Frees what @options holds (not @options itself).
 */
void
central_options_clear (CentralOptions *options)
{
  g_clear_pointer (&options->listen, g_free);
  g_clear_pointer (&options->ocpp_listen, g_free);
  g_clear_pointer (&options->ocpp_keys, g_free);
  g_clear_pointer (&options->bootstrap, g_free);
  g_clear_pointer (&options->kafka_overrides, g_strfreev);
  g_clear_pointer (&options->db_path, g_free);
  g_clear_pointer (&options->signing_key, g_free);
  g_clear_pointer (&options->page, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
  g_clear_pointer (&options->tls_client_ca, g_free);
}

static void
add_string (GVariantDict *dict,
            const char   *name,
            const char   *value)
{
  if (value != NULL)
    g_variant_dict_insert (dict, name, "s", value);
}

static void
add_flag (GVariantDict *dict,
          const char   *name,
          gboolean      value)
{
  if (value)
    g_variant_dict_insert (dict, name, "b", TRUE);
}

/**
 * central_options_to_variant:
 * @options: options
 * @serving: include those that say what Central serves and where
 * @window: include those that only shape the window
 *
 * Returns: (transfer floating): an `a{sv}` of the options given, each
 *   under its command-line name, for comparing two launches
 */
GVariant *
central_options_to_variant (const CentralOptions *options,
                            gboolean              serving,
                            gboolean              window)
{
  g_autoptr(GVariantDict) dict = g_variant_dict_new (NULL);

  if (serving)
    {
      add_string (dict, "listen", options->listen);
      add_string (dict, "ocpp-listen", options->ocpp_listen);
      add_string (dict, "ocpp-keys", options->ocpp_keys);
      if (options->ocpp_heartbeat > 0)
        g_variant_dict_insert (dict, "ocpp-heartbeat", "i", options->ocpp_heartbeat);
      add_string (dict, "kafka", options->bootstrap);
      if (options->kafka_overrides != NULL)
        g_variant_dict_insert (dict, "property", "^as", options->kafka_overrides);
      add_string (dict, "db", options->db_path);
      add_string (dict, "signing-key", options->signing_key);
      if (options->price >= 0.0)
        g_variant_dict_insert (dict, "price", "(dd)", options->price, options->price_max);
      add_string (dict, "tls-cert", options->tls_cert);
      add_string (dict, "tls-key", options->tls_key);
      add_string (dict, "tls-client-ca", options->tls_client_ca);
      add_flag (dict, "auto-approve", options->auto_approve);
      add_flag (dict, "insecure-bus", options->insecure_bus);
    }
  if (window)
    {
      add_flag (dict, "events", options->events);
      if (options->ui_stats_ms > 0)
        g_variant_dict_insert (dict, "ui-stats", "i", options->ui_stats_ms);
      add_string (dict, "page", options->page);
    }
  return g_variant_dict_end (dict);
}

/* The first given of the command line and the preferences; "" stays "",
 * which is the default. */
static const char *
pick (const char *option,
      const char *preference)
{
  if (option != NULL)
    return option;
  return preference != NULL ? preference : "";
}

/**
 * central_options_create_core:
 * @options: the command line's options
 * @preferences: (nullable): the preferences, in the same form, or %NULL
 *   for none (headless)
 * @error: return location for a #GError
 *
 * Makes Central's core as configured, not started: the embedded broker
 * is started when no Kafka is given, and Central's signing key is read
 * or made unless the bus is insecure.
 *
 * Returns: (transfer full) (nullable): the core, or %NULL with @error set
 */
CentralCore *
central_options_create_core (const CentralOptions  *options,
                             const CentralOptions  *preferences,
                             GError               **error)
{
  static const CentralOptions none = { .price = -1.0, .price_max = -1.0 };
  const char *listen, *bootstrap_given, *db_given, *tls_cert, *tls_key;
  g_autofree char *bootstrap = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr(CentralCore) core = NULL;
  g_autoptr(EvSigningKey) key = NULL;

  if (preferences == NULL)
    preferences = &none;

  listen = pick (options->listen, preferences->listen);
  bootstrap_given = pick (options->bootstrap, preferences->bootstrap);
  bootstrap = *bootstrap_given != '\0' ? g_strdup (bootstrap_given) : ev_broker_ensure (NULL, error);
  if (bootstrap == NULL)
    return NULL;
  db_given = pick (options->db_path, preferences->db_path);
  db_path = *db_given != '\0' ? g_strdup (db_given) : central_core_default_db_path ();
  tls_cert = pick (options->tls_cert, preferences->tls_cert);
  tls_key = pick (options->tls_key, preferences->tls_key);
  if (*tls_cert == '\0' && *tls_key == '\0')
    tls_cert = tls_key = NULL;

  core = g_object_new (CENTRAL_TYPE_CORE,
                       "listen", *listen != '\0' ? listen : NULL,
                       "bootstrap", bootstrap,
                       "kafka-overrides", options->kafka_overrides,
                       "db-path", db_path,
                       "default-price", options->price >= 0.0 ? options->price : CENTRAL_CORE_DEFAULT_PRICE,
                       "default-price-max", options->price_max,
                       "tls-cert", tls_cert,
                       "tls-key", tls_key,
                       "tls-client-ca", options->tls_client_ca,
                       "auto-approve", options->auto_approve || preferences->auto_approve,
                       "insecure-bus", options->insecure_bus,
                       NULL);
  central_core_set_ocpp_listen (core, options->ocpp_listen);
  central_core_set_ocpp_keys (core, options->ocpp_keys);
  central_core_set_ocpp_heartbeat (core, (guint) MAX (options->ocpp_heartbeat, 0));
  if (!options->insecure_bus)
    {
      key = central_core_load_signing_key (options->signing_key, error);
      if (key == NULL)
        return NULL;
      central_core_set_signing_key (core, g_steal_pointer (&key));
    }
  return g_steal_pointer (&core);
}

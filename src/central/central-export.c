/* central-export.c: the session history as CSV. */

#include "config.h"

#include "central-core-private.h"

/* CSV ------------------------------------------------------------------------- */

static void
csv_field (GString    *out,
           const char *text)
{
  if (text == NULL)
    text = "";

  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_time (GString *out,
          gint64   ms)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *text = NULL;

  if (ms > 0)
    time = g_date_time_new_from_unix_utc (ms / 1000);
  if (time != NULL)
    text = g_date_time_format_iso8601 (time);
  csv_field (out, text);
}

/* Writes what the buffer holds once it is large; FALSE on failure. */
static gboolean
csv_drain (CsvWriter *writer,
           gsize      at_least)
{
  if (writer->buffer->len < at_least || writer->error != NULL)
    return writer->error == NULL;

  if (!g_output_stream_write_all (writer->out, writer->buffer->str, writer->buffer->len, NULL,
                                  writer->cancellable, &writer->error))
    return FALSE;
  g_string_truncate (writer->buffer, 0);
  return TRUE;
}

static gboolean
csv_row_cb (EvSupply *session,
            gpointer         user_data)
{
  CsvWriter *writer = user_data;
  GString *out = writer->buffer;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  csv_field (out, ev_supply_get_supply_id (session));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_get_cp_id (session));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_get_driver_id (session));
  g_string_append_c (out, ',');
  csv_time (out, ev_supply_get_started_at (session));
  g_string_append_c (out, ',');
  csv_time (out, ev_supply_get_ended_at (session));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.3f",
                                                       ev_supply_get_kwh (session)));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.2f",
                                                       ev_supply_get_amount (session)));
  g_string_append_printf (out, ",%s", g_ascii_formatd (number, sizeof number, "%.4f",
                                                       ev_supply_get_price (session)));
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_get_phase (session) == EV_SUPPLY_PHASE_FAILED ? "failed" : "finished");
  g_string_append_c (out, ',');
  csv_field (out, ev_supply_get_reason (session));
  g_string_append (out, "\r\n");

  return csv_drain (writer, 64 * 1024);
}

/**
 * central_write_history_csv:
 * @db_path: Central's database
 * @file: where to write
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Writes every concluded supply of the database as CSV (RFC 4180): a
 * header line, then one row per supply, newest first; times in UTC ISO
 * 8601. It reads the database through its own read-only connection, one
 * row at a time, so it may run on any thread, on a database of any size,
 * while Central writes. @file is replaced only once it is complete.
 *
 * Returns: %TRUE on success
 */
gboolean
central_write_history_csv (const char    *db_path,
                           GFile         *file,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(EvStoreReader) reader = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GString) buffer = g_string_new ("supply_id,cp_id,driver_id,started_at,ended_at,kwh,amount,price,outcome,reason\r\n");
  CsvWriter writer = { NULL, cancellable, buffer, NULL };

  g_return_val_if_fail (db_path != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  reader = ev_store_reader_open (db_path, error);
  if (reader == NULL)
    return FALSE;
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancellable, error);
  if (out == NULL)
    return FALSE;
  writer.out = G_OUTPUT_STREAM (out);

  if (!ev_store_reader_foreach_history (reader, csv_row_cb, &writer, error) ||
      !csv_drain (&writer, 0))
    {
      /* Cancelled: the file is left as it was. */
      g_autoptr(GCancellable) abandon = g_cancellable_new ();

      g_cancellable_cancel (abandon);
      g_output_stream_close (G_OUTPUT_STREAM (out), abandon, NULL);
      if (writer.error != NULL)
        g_propagate_error (error, writer.error);
      return FALSE;
    }

  return g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

/**
 * central_core_export_history:
 * @self: a started core
 * @file: where to write
 * @error: return location for an error
 *
 * Commits the database, then writes every concluded supply in it as CSV
 * (central_write_history_csv()). It blocks the core's thread while it
 * writes: views export with central_service_export_history_async().
 *
 * Returns: %TRUE on success
 */
gboolean
central_core_export_history (CentralCore  *self,
                             GFile        *file,
                             GError      **error)
{
  g_return_val_if_fail (CENTRAL_IS_CORE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if (!central_core_flush (self, error))
    return FALSE;
  return central_write_history_csv (self->db_path, file, NULL, error);
}

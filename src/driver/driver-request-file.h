#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A request file: one CP id per line; blank lines and `#` comments are
 * ignored; every other malformed line is reported with its number. Pure:
 * parsing never touches the disk. */

typedef struct
{
  char *cp_id;
  guint line;
} DriverRequestEntry;

typedef struct
{
  guint line;
  char *text;      /* the line as written (valid UTF-8, possibly cut) */
  char *message;   /* why it is skipped, for people */
} DriverRequestProblem;

typedef struct
{
  GPtrArray *entries;    /* DriverRequestEntry */
  GPtrArray *problems;   /* DriverRequestProblem */
} DriverRequestFile;

/* Larger files are refused: a list of supplies is not a data set. */
#define DRIVER_REQUEST_FILE_MAX_SIZE (1024 * 1024)

DriverRequestFile  *driver_request_file_parse (const char         *text,
                                               gsize               length);
DriverRequestFile  *driver_request_file_load  (const char         *path,
                                               GError            **error);
DriverRequestEntry *driver_request_entry_new  (const char         *cp_id,
                                               guint               line);
void                driver_request_entry_free (DriverRequestEntry *entry);
void                driver_request_file_free  (DriverRequestFile  *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DriverRequestFile, driver_request_file_free)

G_END_DECLS

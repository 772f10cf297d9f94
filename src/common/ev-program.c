/* ev-program.c: what every program of ours does first, and how it tells
 * bad arguments (docs/cli.md: exit status 2, the reason on standard
 * error, then where to read about every option). */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <signal.h>

#include "ev-program.h"

/**
 * ev_program_init:
 * @program: the program's name, as people type it (`ev-central`)
 *
 * Sets up the locale and the translations, names the program, and
 * ignores the signals a program of ours reports as errors instead of
 * dying of them.
 */
void
ev_program_init (const char *program)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname (program);
  /* A reader of our output that went away must not kill us. */
  signal (SIGPIPE, SIG_IGN);
  /* Past the file size limit (ulimit -f) a write fails with EFBIG, which
   * is reported, rather than killing us without a word. */
  signal (SIGXFSZ, SIG_IGN);
}

/**
 * ev_program_usage_error:
 * @program: the program's name, with its command if any (`ev-driver fleet`)
 * @message: what is wrong with the arguments
 *
 * Says on standard error what is wrong and where every option is told.
 *
 * Returns: 2, the exit status of bad arguments
 */
int
ev_program_usage_error (const char *program,
                        const char *message)
{
  g_printerr ("%s: %s\n", program, message);
  g_printerr (_("Run “%s --help” to see every option.\n"), program);
  return 2;
}

/**
 * ev_program_unexpected_argument:
 * @program: the program's name, with its command if any
 * @argument: the argument it takes none of
 *
 * Returns: 2, the exit status of bad arguments
 */
int
ev_program_unexpected_argument (const char *program,
                                const char *argument)
{
  g_printerr (_("%s: unexpected argument “%s”\n"), program, argument);
  g_printerr (_("Run “%s --help” to see every option.\n"), program);
  return 2;
}

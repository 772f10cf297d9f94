#!/usr/bin/python3
"""bench/repetition.py: what it takes out of src/ before each count.

The test plays the `duplicates` command on purpose: a stand-in on PATH
that answers with what it was given (the C files, the headers, the style
sheets, and how many lifecycle functions are left in them), so that the
three counts show what each step removed. It also checks the stripping
of one file line by line, and that the script says so when `duplicates`
is missing.

    bench-repetition.py BENCH/repetition.py
"""

import importlib.util
import os
import subprocess
import sys
import tempfile

TAIL = """int
ev_thing_get_n (EvThing *self)
{
  return self->n;
}

static GObject *
ev_other_constructed_helper (void)
{
  return NULL;
}
"""

CLASS = """/* a unit */
#include "a.h"

struct _EvThing { GObject parent; int n; };

G_DEFINE_FINAL_TYPE (EvThing, ev_thing, G_TYPE_OBJECT)

static void
ev_thing_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  switch (prop_id)
    {
    default:
      break;
    }
}

static void
ev_thing_dispose (GObject *object)
{
  G_OBJECT_CLASS (ev_thing_parent_class)->dispose (object);
}

static void
ev_thing_class_init (EvThingClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ev_thing_dispose;
}

static void
ev_thing_init (EvThing *self)
{
}

""" + TAIL

KEPT = """/* a unit */
#include "a.h"

struct _EvThing { GObject parent; int n; };

G_DEFINE_FINAL_TYPE (EvThing, ev_thing, G_TYPE_OBJECT)





""" + TAIL

# The stand-in: one line, as the real command's first, with what it read.
FAKE = """#!/bin/sh
repo=$2
c=$(find "$repo" -name '*.c' | wc -l)
h=$(find "$repo" -name '*.h' | wc -l)
css=$(find "$repo" -name '*.css' | wc -l)
life=$(cat $(find "$repo" -name '*.c') | grep -c '_class_init (')
echo "$c c $h h $css css $life lifecycle"
"""


def load(path):
    spec = importlib.util.spec_from_file_location("repetition", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    script = sys.argv[1]
    repetition = load(script)
    failures = []

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ev-thing.c")
        with open(path, "w", encoding="utf-8") as f:
            f.write(CLASS)
        repetition.strip_lifecycle(path)
        with open(path, encoding="utf-8") as f:
            stripped = f.read()
        if stripped != KEPT:
            failures.append("stripped file:\n" + stripped)

        # A checkout of two C files, a header and a style sheet, and a
        # PATH with the stand-in.
        top = os.path.join(tmp, "top")
        os.makedirs(os.path.join(top, "src", "app"))
        os.makedirs(os.path.join(top, "bench"))
        for name, text in (("app/ev-thing.c", CLASS), ("app/main.c", "int\nmain (void)\n{\n  return 0;\n}\n"),
                           ("app/ev-thing.h", "#pragma once\n"), ("app/style.css", "a { color: red; }\n")):
            with open(os.path.join(top, "src", name), "w", encoding="utf-8") as f:
                f.write(text)
        with open(script, encoding="utf-8") as f, \
             open(os.path.join(top, "bench", "repetition.py"), "w", encoding="utf-8") as g:
            g.write(f.read())
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        fake = os.path.join(bin_dir, "duplicates")
        with open(fake, "w", encoding="utf-8") as f:
            f.write(FAKE)
        os.chmod(fake, 0o755)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + "/usr/bin:/bin")
        out = subprocess.run([sys.executable, os.path.join(top, "bench", "repetition.py")],
                             capture_output=True, text=True, env=env, check=False)
        want = ["src/ of the working tree",
                "  as is:        2 c 1 h 0 css 1 lifecycle",
                "  no lifecycle: 2 c 1 h 0 css 0 lifecycle",
                "  no headers:   2 c 0 h 0 css 0 lifecycle"]
        if out.returncode != 0 or out.stdout.splitlines() != want:
            failures.append("three counts: rc %d\n%s%s" % (out.returncode, out.stdout, out.stderr))
        # The checkout itself is untouched.
        with open(os.path.join(top, "src", "app", "ev-thing.c"), encoding="utf-8") as f:
            if f.read() != CLASS:
                failures.append("the script changed src/ itself")

        env = dict(os.environ, PATH="/nonexistent")
        out = subprocess.run([sys.executable, os.path.join(top, "bench", "repetition.py")],
                             capture_output=True, text=True, env=env, check=False)
        if out.returncode == 0 or "duplicates command is not on PATH" not in out.stderr:
            failures.append("without duplicates: rc %d, %s" % (out.returncode, out.stderr))

    for failure in failures:
        print("FAIL: " + failure)
    if failures:
        sys.exit(1)
    print("bench/repetition.py: stripping and the three counts as expected")


if __name__ == "__main__":
    main()

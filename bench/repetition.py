#!/usr/bin/env python3
"""How much of src/ repeats itself, and how much of that is GObject's own.

Counts the pairs of places that share six or more lines of the same shape
with the `duplicates` tool (the measure of issue 16), three times:

  as is         src/ as it stands;
  no lifecycle  the same, with every GObject lifecycle function taken out
                (*_get_property, *_set_property, *_class_init, *_init,
                *_dispose, *_finalize, *_constructed): the property
                switches and class set-ups the house style (STYLE.md,
                "Classes") asks each class to write out;
  no headers    that, with the headers taken out too (the prototypes and
                type declarations every C unit repeats).

The last two are not code that could run: they show how many pairs would
remain if the boilerplate were gone altogether, to weigh a target of a
given number of pairs against what the house style itself writes.

    python3 bench/repetition.py               # the working tree
    python3 bench/repetition.py --rev 06c2b45 # a commit

Needs the `duplicates` command on PATH. Style sheets are left out of all
three counts alike (they are not C).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

LIFECYCLE = re.compile(
    r"^[a-z_0-9]+_(get_property|set_property|class_init|init|dispose|finalize|constructed)\s*\(")
RETURN_TYPES = {"static void", "void", "static GObject *"}


def strip_lifecycle(path):
    """Removes each lifecycle function of one C file, its return type line
    included (a definition starts at column 0 and ends at the first "}"
    there)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        if LIFECYCLE.match(lines[i]):
            if out and out[-1].strip() in RETURN_TYPES:
                out.pop()
            while i < len(lines) and lines[i] != "}":
                i += 1
            i += 1
            continue
        out.append(lines[i])
        i += 1
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def remove(tree, suffix):
    for folder, _dirs, files in os.walk(tree):
        for name in files:
            if name.endswith(suffix):
                os.unlink(os.path.join(folder, name))


def count(tree, seconds):
    """The first line of `duplicates` over @tree: the pairs and files."""
    result = subprocess.run(["duplicates", "--repo", tree, "--seconds", str(seconds)],
                            capture_output=True, text=True, check=False)
    lines = result.stdout.splitlines()
    incomplete = [line for line in lines if line.startswith("incomplete:")]
    if not lines or incomplete:
        sys.exit("repetition.py: duplicates did not finish: %s"
                 % ("; ".join(incomplete) or result.stderr.strip() or "no output"))
    return lines[0]


def copy_src(top, rev, dest):
    """src/ of the working tree, or of @rev, into @dest (not a git checkout,
    so that duplicates reads every file in it)."""
    if rev is None:
        shutil.copytree(os.path.join(top, "src"), dest)
        return
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", top, "archive", rev, "src"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", dest, "--strip-components=1"], input=archive, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", help="a commit to measure instead of the working tree")
    parser.add_argument("--seconds", type=int, default=300,
                        help="how long duplicates may take for each count (default 300)")
    args = parser.parse_args()
    if shutil.which("duplicates") is None:
        sys.exit("repetition.py: the duplicates command is not on PATH")
    if not 2 <= args.seconds <= 600:
        sys.exit("repetition.py: --seconds must be from 2 to 600")

    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="ev-repetition-") as tmp:
        tree = os.path.join(tmp, "src")
        try:
            copy_src(top, args.rev, tree)
        except subprocess.CalledProcessError as error:
            sys.exit("repetition.py: cannot read src/ of %s: %s" % (args.rev, error))
        remove(tree, ".css")
        print("src/ of %s" % (args.rev or "the working tree"))
        print("  as is:        " + count(tree, args.seconds))
        for folder, _dirs, files in os.walk(tree):
            for name in files:
                if name.endswith(".c"):
                    strip_lifecycle(os.path.join(folder, name))
        print("  no lifecycle: " + count(tree, args.seconds))
        remove(tree, ".h")
        print("  no headers:   " + count(tree, args.seconds))


if __name__ == "__main__":
    main()

#!/bin/sh
# check-po.sh SRCDIR: fails when a user-visible string is not translated.
#  1. every source file that marks strings is listed in po/POTFILES.in;
#  2. every catalogue compiles cleanly (msgfmt --check);
#  3. every string marked in the sources has a translation in every
#     catalogue that is neither missing, empty nor fuzzy (msgcmp).
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src"
status=0

listed="$work/listed"
grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort > "$listed"
marked="$work/marked"
grep -rlE '(^|[^A-Za-z0-9_])N?C?_\(' --include='*.c' src | sort > "$marked" || true
grep -rlE 'translatable="yes"' --include='*.ui' src | sort >> "$marked" || true
sort -o "$marked" "$marked"
missing=$(comm -23 "$marked" "$listed")
if [ -n "$missing" ]; then
  echo "not ok - files with translatable strings missing from po/POTFILES.in:"
  echo "$missing" | sed 's/^/#   /'
  status=1
fi
for f in $(cat "$listed"); do
  [ -f "$f" ] || { echo "not ok - po/POTFILES.in lists $f, which does not exist"; status=1; }
done

xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ \
  --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 \
  --keyword=ngettext:1,2 --files-from=po/POTFILES.in -o "$work/ev.pot" \
  2>"$work/xgettext.err" || { cat "$work/xgettext.err"; exit 1; }

for lang in $(grep -v '^#' po/LINGUAS); do
  if ! msgfmt --check -o /dev/null "po/$lang.po" 2>"$work/msgfmt.err"; then
    echo "not ok - po/$lang.po does not compile:"; sed 's/^/#   /' "$work/msgfmt.err"
    status=1
    continue
  fi
  if ! msgcmp "po/$lang.po" "$work/ev.pot" 2>"$work/msgcmp.err"; then
    echo "not ok - po/$lang.po lacks translations (missing, empty or fuzzy):"
    sed 's/^/#   /' "$work/msgcmp.err"
    status=1
  else
    echo "ok - po/$lang.po translates every string"
  fi
done
exit $status

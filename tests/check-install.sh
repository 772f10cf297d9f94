#!/usr/bin/env bash
# check-install.sh BUILDDIR SRCDIR: installs BUILDDIR into a staging folder
# (meson install --destdir, which only reads the build tree) and checks
# that what a user gets works: the programs start, Central runs headless on
# the installed broker, schemas compile, launchers, metainfo, icons and the
# Spanish catalogue are in place. Speaks TAP; each failure says what is
# missing.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  exec 3>&- 4>&- 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
fail() {
  n=$((n + 1)); failed=$((failed + 1))
  echo "not ok $n - $1"; shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
check() { # check DESCRIPTION WHY COMMAND...
  local what=$1 why=$2; shift 2
  local out
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what" "$why" "$out"; fi
}
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; exit $?; }

# Where things go, as meson was configured.
read -r prefix bindir datadir localedir version < <(python3 - "$build" <<'PY'
import json, os, sys
info = os.path.join(sys.argv[1], "meson-info")
opts = {o["name"]: o["value"] for o in json.load(open(os.path.join(info, "intro-buildoptions.json")))}
proj = json.load(open(os.path.join(info, "intro-projectinfo.json")))
print(opts["prefix"], opts["bindir"], opts["datadir"], opts["localedir"], proj["version"])
PY
)
stage=$work/stage
root=$stage$prefix
bin=$root/$bindir
share=$root/$datadir

if out=$(meson install -C "$build" --destdir "$stage" --no-rebuild --quiet 2>&1); then
  ok "meson install --destdir into a staging folder"
else
  fail "meson install --destdir into a staging folder" "$out"
  finish
fi

# The installed programs run from the staging tree, find each other there
# (ev-central starts the ev-broker next to it), and read the staged schemas.
unset EV_BROKER GSETTINGS_SCHEMA_DIR
export XDG_DATA_DIRS="$share:/usr/local/share:/usr/share"
export XDG_RUNTIME_DIR=$work/run XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# --- programs ---------------------------------------------------------------
for program in ev-central ev-station ev-broker ev-driver; do
  if [ ! -x "$bin/$program" ]; then
    fail "$program is installed" "no executable $bindir/$program in the staging tree"
    continue
  fi
  out=$(timeout 20 "$bin/$program" --version </dev/null 2>&1)
  if [ $? -eq 0 ] && [ "$out" = "$program $version" ]; then
    ok "$program --version"
  else
    fail "$program --version" "expected \"$program $version\" and exit 0, got:" "$out"
  fi
done

# --- a real headless run: the installed broker, then Central on it ----------
# wait_for FILE REGEX SECONDS: waits for a line matching REGEX in FILE.
wait_for() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt "$deadline" ]; do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_exit PID SECONDS: the exit status of PID, or 124 if it outlives SECONDS.
wait_exit() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill "$1"; wait "$1" 2>/dev/null; return 124; fi
  wait "$1"
}

mkfifo "$work/broker.in" "$work/central.in"
"$bin/ev-broker" --headless <"$work/broker.in" >"$work/broker.out" 2>"$work/broker.err" &
broker_pid=$!
pids+=("$broker_pid")
exec 3>"$work/broker.in"
if wait_for "$work/broker.out" '"event":"ready"' 30; then
  ok "installed ev-broker --headless announces ready"
  bootstrap=$(sed -n 's/.*"bootstrap":"\([^"]*\)".*/\1/p' "$work/broker.out" | head -n1)

  "$bin/ev-central" --headless --listen 127.0.0.1:0 --db "$work/c.db" \
    <"$work/central.in" >"$work/central.out" 2>"$work/central.err" &
  central_pid=$!
  pids+=("$central_pid")
  exec 4>"$work/central.in"
  if wait_for "$work/central.out" '"event":"ready"' 30; then
    ok "installed ev-central --headless announces ready"
    if grep -q "\"kafka\":\"$bootstrap\"" "$work/central.out"; then
      ok "ev-central found the installed broker through XDG_RUNTIME_DIR"
    else
      fail "ev-central found the installed broker through XDG_RUNTIME_DIR" \
        "broker at $bootstrap; Central said:" "$(head -n1 "$work/central.out")"
    fi
    [ -f "$work/c.db" ] && ok "ev-central created its database" ||
      fail "ev-central created its database" "no $work/c.db"
  else
    fail "installed ev-central --headless announces ready" "stdout:" \
      "$(cat "$work/central.out")" "stderr:" "$(tail -n 20 "$work/central.err")"
  fi
  echo quit >&4
  exec 4>&-
  wait_exit "$central_pid" 30
  status=$?
  if [ $status -eq 0 ] && tail -n1 "$work/central.out" | grep -q '"event":"stopped"'; then
    ok "ev-central quits with status 0 after \"stopped\""
  else
    fail "ev-central quits with status 0 after \"stopped\"" "exit status $status; last lines:" \
      "$(tail -n 3 "$work/central.out")" "$(tail -n 10 "$work/central.err")"
  fi
else
  fail "installed ev-broker --headless announces ready" "stdout:" \
    "$(cat "$work/broker.out")" "stderr:" "$(tail -n 20 "$work/broker.err")"
fi
echo quit >&3
exec 3>&-
wait_exit "$broker_pid" 30
status=$?
[ $status -eq 0 ] && ok "ev-broker quits with status 0" ||
  fail "ev-broker quits with status 0" "exit status $status" "$(tail -n 10 "$work/broker.err")"

# --- GSettings schemas --------------------------------------------------------
# meson install --destdir skips the post-install steps: do them here.
schemas=$share/glib-2.0/schemas
for source in "$src"/data/*.gschema.xml; do
  name=$(basename "$source")
  [ -f "$schemas/$name" ] && ok "schema $name is installed" ||
    fail "schema $name is installed" "missing $datadir/glib-2.0/schemas/$name"
done
check "the staged schemas compile (glib-compile-schemas --strict)" "" \
  glib-compile-schemas --strict "$schemas"
for source in "$src"/data/*.gschema.xml; do
  id=$(sed -n 's/.*<schema [^>]*id="\([^"]*\)".*/\1/p' "$source" | head -n1)
  check "GSettings finds $id through XDG_DATA_DIRS" \
    "the compiled schema in the staging tree does not provide it" gsettings list-keys "$id"
done

# --- launchers, metainfo, icons ---------------------------------------------
desktops=("$share"/applications/*.desktop)
if [ ! -e "${desktops[0]}" ]; then
  fail "desktop files are installed" "nothing in $datadir/applications"
  desktops=()
fi
if command -v gtk-update-icon-cache >/dev/null; then
  check "the staged hicolor icon cache builds" "" \
    gtk-update-icon-cache --quiet --ignore-theme-index --force "$share/icons/hicolor"
else
  skip "the staged hicolor icon cache builds" "gtk-update-icon-cache is not installed"
fi
for desktop in "${desktops[@]}"; do
  id=$(basename "$desktop" .desktop)
  if command -v desktop-file-validate >/dev/null; then
    check "$id.desktop validates" "" desktop-file-validate "$desktop"
  else
    skip "$id.desktop validates" "desktop-file-validate is not installed"
  fi
  exec_program=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop" | head -n1)
  [ -x "$bin/$exec_program" ] && ok "$id.desktop runs an installed program" ||
    fail "$id.desktop runs an installed program" "Exec=$exec_program is not in $bindir"
  icon=$(sed -n 's/^Icon=//p' "$desktop" | head -n1)
  [ -f "$share/icons/hicolor/scalable/apps/$icon.svg" ] && ok "$id: scalable icon $icon.svg" ||
    fail "$id: scalable icon $icon.svg" "missing $datadir/icons/hicolor/scalable/apps/$icon.svg"
  [ -f "$share/icons/hicolor/symbolic/apps/$icon-symbolic.svg" ] &&
    ok "$id: symbolic icon $icon-symbolic.svg" ||
    fail "$id: symbolic icon $icon-symbolic.svg" \
      "missing $datadir/icons/hicolor/symbolic/apps/$icon-symbolic.svg (data/icons/hicolor/symbolic/apps/ and an install_data in data/meson.build)"
  # Each app has a Spanish name of its own, not the English one kept.
  name_en=$(sed -n 's/^Name=//p' "$desktop" | head -n1)
  name_es=$(sed -n 's/^Name\[es\]=//p' "$desktop" | head -n1)
  if [ -n "$name_es" ] && [ "$name_es" != "$name_en" ]; then
    ok "$id.desktop has a Spanish name ($name_es)"
  else
    fail "$id.desktop has a Spanish name" "Name[es]=“$name_es” for Name=“$name_en” (po/es.po)"
  fi
  metainfo=$share/metainfo/$id.metainfo.xml
  if [ ! -f "$metainfo" ]; then
    fail "$id.metainfo.xml is installed" "missing $datadir/metainfo/$id.metainfo.xml"
  elif ! grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$metainfo"; then
    fail "$id.metainfo.xml launches $id.desktop" "no such <launchable> in it"
  else
    ok "$id.metainfo.xml is installed and launches $id.desktop"
  fi
done
for metainfo in "$share"/metainfo/*.metainfo.xml; do
  [ -e "$metainfo" ] || { fail "metainfo is installed" "nothing in $datadir/metainfo"; break; }
  name=$(basename "$metainfo")
  if command -v appstreamcli >/dev/null; then
    check "$name validates (appstreamcli --no-net)" "" appstreamcli validate --no-net "$metainfo"
  else
    skip "$name validates" "appstreamcli is not installed"
  fi
  for tag in description screenshots releases content_rating; do
    grep -q "<$tag" "$metainfo" && ok "$name has <$tag>" || fail "$name has <$tag>" "add it to data/$name.in"
  done
done
# The suite's metainfo (the Flatpak's store entry, installed only with
# -Dflatpak=true: read from the build) provides every program and names
# every app.
suite=$build/data/io.github.evcharging.EVCharging.metainfo.xml
for program in ev-central ev-station ev-broker ev-driver; do
  grep -q "<binary>$program</binary>" "$suite" && ok "the suite provides $program" ||
    fail "the suite provides $program" "no <binary>$program</binary> in data/$(basename "$suite").in"
done
for app in "EV Charging Central" "EV Charging Station" "EV Charging Driver"; do
  grep -q "<li>$app:" "$suite" && ok "the suite describes $app" ||
    fail "the suite describes $app" "no <li>$app: …</li> in data/$(basename "$suite").in"
done

# --- translations ---------------------------------------------------------------
mo=$root/$localedir/es/LC_MESSAGES/evcharging.mo
if [ ! -f "$mo" ]; then
  fail "the Spanish catalogue is installed" "missing $localedir/es/LC_MESSAGES/evcharging.mo (po/LINGUAS lists es?)"
  finish
fi
ok "the Spanish catalogue is installed"
grep -aqF "$prefix/$localedir" "$bin/ev-central" && ok "ev-central looks for catalogues in $prefix/$localedir" ||
  fail "ev-central looks for catalogues in $prefix/$localedir" "LOCALEDIR in config.h is not the install path"

# The program reads its catalogue from the configured prefix, not the
# staging folder: in a private mount namespace, the staged folder is
# mounted over the real one (as root, or in a user namespace).
english=$(LANGUAGE= "$bin/ev-central" --help 2>&1)
real_locale=$prefix/$localedir
if [ -d "$real_locale" ]; then
  mount_from=$root/$localedir mount_on=$real_locale
else
  mount_from=$share mount_on=$prefix/$datadir
fi
spanish=""
for ns in "unshare --mount" "unshare --user --map-root-user --mount"; do
  [ -d "$mount_on" ] || break
  if spanish=$($ns -- sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
      "$mount_from" "$mount_on" env LANGUAGE=es "$bin/ev-central" --help 2>/dev/null); then
    break
  fi
  spanish=""
done
result=$(ENGLISH=$english SPANISH=$spanish python3 - "$mo" <<'PY'
import gettext, os, re, sys
with open(sys.argv[1], "rb") as f:
    catalog = gettext.GNUTranslations(f)._catalog
english, spanish = os.environ["ENGLISH"], os.environ["SPANISH"]
pairs = []
for line in english.splitlines():
    for text in {line.strip(), re.split(r"\s{2,}", line.strip())[-1]}:
        if text and catalog.get(text) and catalog[text] != text:
            pairs.append((text, catalog[text]))
if not pairs:
    print("none: no line of ev-central --help is in the catalogue")
elif not spanish:
    print("unrun: %d lines of --help are translated in the catalogue" % len(pairs))
else:
    missing = [es for _, es in pairs if es not in spanish]
    print("missing: " + missing[0] if missing else "ok: " + pairs[0][1])
PY
)
case $result in
  ok:*) ok "LANGUAGE=es ev-central --help speaks Spanish (${result#ok: })" ;;
  unrun:*) skip "LANGUAGE=es ev-central --help speaks Spanish" \
    "no private mount namespace here to put the catalogue in $mount_on; ${result#unrun: }" ;;
  *) fail "LANGUAGE=es ev-central --help speaks Spanish" "$result" "$spanish" ;;
esac

finish

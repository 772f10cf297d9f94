#!/bin/sh
# check-systemd-units.sh UNITDIR BUILDDIR: `systemd-analyze verify` on the
# systemd units of data/systemd as meson configured them, with their
# programs taken from the build (verify wants them to exist), the
# templates as instances for CP1.
set -eu
units=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/units"
ln -s "$build/src/central/ev-central" "$work/bin/ev-central"
ln -s "$build/src/station/ev-station" "$work/bin/ev-station"
for f in "$units"/ev-*.service "$units"/ev-*.socket; do
  sed "s|^ExecStart=[^ ]*/ev-|ExecStart=$work/bin/ev-|" "$f" > "$work/units/$(basename "$f")"
done
cd "$work/units"
for role in engine monitor; do
  for kind in service socket; do
    ln -s "ev-station-$role@.$kind" "ev-station-$role@CP1.$kind"
  done
done
# Dependencies outside these units (network-online.target…) come from the
# machine's own unit path. verify only warns about a bad line (an unknown
# key, a bad value) and goes on: any output at all fails here.
status=0
SYSTEMD_UNIT_PATH="$work/units:" systemd-analyze verify --man=no \
  ev-central.service ev-central.socket \
  ev-station-engine@CP1.service ev-station-engine@CP1.socket \
  ev-station-monitor@CP1.service ev-station-monitor@CP1.socket > "$work/out" 2>&1 || status=$?
cat "$work/out"
[ "$status" -eq 0 ] && [ ! -s "$work/out" ]

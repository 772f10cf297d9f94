#!/bin/sh
# run-cp-test.sh SRCDIR WORKDIR E2E-SCRIPT: installs the pinned ocpp-rpc
# into WORKDIR (in the build directory) from the lock file, once, then
# runs E2E-SCRIPT, whose charger is tests/ocpp/cp-central.js.
set -eu
src=$1 work=$2 script=$3

mkdir -p "$work"
if ! cmp -s "$src/package-lock.json" "$work/package-lock.json" \
   || [ ! -d "$work/node_modules/ocpp-rpc" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
NODE_PATH="$work/node_modules" exec /usr/bin/python3 "$script"

#!/bin/sh
# run-csms-test.sh SRCDIR WORKDIR FLEET-PROGRAM: installs the pinned
# ocpp-rpc into WORKDIR (in the build directory) from the lock file, once,
# then runs csms-fleet.js against FLEET-PROGRAM.
set -eu
src=$1 work=$2 program=$(realpath "$3")

mkdir -p "$work"
if ! cmp -s "$src/package-lock.json" "$work/package-lock.json" \
   || [ ! -d "$work/node_modules/ocpp-rpc" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
NODE_PATH="$work/node_modules" exec node "$src/csms-fleet.js" "$program"

#!/bin/sh
# run-csms-test.sh SRCDIR WORKDIR EV-STATION [SCRIPT]: installs the pinned
# ocpp-rpc into WORKDIR (in the build directory) from the lock file, once,
# then runs SCRIPT (default csms-fleet.js) against EV-STATION.
set -eu
src=$1 work=$2 program=$(realpath "$3") script=${4:-csms-fleet.js}

mkdir -p "$work"
if ! cmp -s "$src/package-lock.json" "$work/package-lock.json" \
   || [ ! -d "$work/node_modules/ocpp-rpc" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
NODE_PATH="$work/node_modules" exec node "$src/$script" "$program"

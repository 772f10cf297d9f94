#!/bin/sh
# run-fuzzer.sh FUZZER SEEDS SECONDS: a bounded libFuzzer run that writes
# its new corpus into a scratch directory, never into the source tree. A
# crash, leak or time-out artefact is the reproducer of a bug: it is kept
# in $EV_FUZZ_ARTIFACTS (default: fuzz-artifacts/ in the current
# directory, the build directory under meson) and named on standard error
# with the command that replays it.
set -eu
fuzzer=$1 seeds=$2 seconds=$3
artifacts=${EV_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=5 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" || status=$?
for found in "$work"/artifacts/*; do
  [ -e "$found" ] || continue
  mkdir -p "$artifacts"
  kept="$artifacts/$(basename "$fuzzer")-$(basename "$found")"
  cp "$found" "$kept"
  echo "run-fuzzer: reproducer kept in $kept; replay it with: $fuzzer $kept" >&2
done
exit "$status"

#!/bin/sh
# run-fuzzer.sh FUZZER SEEDS SECONDS: a bounded libFuzzer run that writes
# its new corpus and any crash artefact into a scratch directory, never into
# the source tree.
set -eu
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
"$fuzzer" -max_total_time="$seconds" -timeout=5 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds"

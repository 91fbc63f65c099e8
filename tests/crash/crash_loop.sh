#!/bin/sh
# Process crash loop: kill -9 a multi-threaded writer at random
# moments (a third of the kills aimed at a running save_to_file), recover the
# store and check it against the writers' intent/ack logs. State accumulates
# in one directory across all cycles.
#
#   tests/crash/crash_loop.sh [CYCLES] [SEED]
#
# CI mode (default, registered as the ctest test `crash_loop`): 200 cycles,
# about a minute on 2 cores. Long mode: tests/crash/crash_loop.sh 10000
# (~0.3 s per cycle on 2 cores, ~50 minutes; most of a cycle is the two
# recoveries). Shorter kill delays and a clean stop after a time budget:
#   KVSTORE_CRASH_ARGS="--min-ms 5 --max-ms 100 --time-limit 1500" tests/crash/crash_loop.sh 10000
# The data-directory layout (open_dir; checkpoints, rotations, manifest
# switches; registered as the ctest test `crash_loop_dir`, 150 cycles):
#   KVSTORE_CRASH_ARGS="--layout dir" tests/crash/crash_loop.sh 10000
#
# Environment: KVSTORE_CRASH_TEST  the kvstore_crash_test binary (default:
#                                  build/tools/kvstore_crash_test)
#              KVSTORE_CRASH_DIR   the data directory (default: a new mktemp -d,
#                                  removed after a successful run)
#              KVSTORE_CRASH_SYNC  always|everysec|no|mixed (default mixed)
#              KVSTORE_CRASH_ARGS  extra flags for `run` (e.g. --max-ms 150)
set -eu
cycles=${1:-200}
seed=${2:-1}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${KVSTORE_CRASH_TEST:-$here/build/tools/kvstore_crash_test}
sync=${KVSTORE_CRASH_SYNC:-mixed}
if [ -n "${KVSTORE_CRASH_DIR:-}" ]; then
  dir=$KVSTORE_CRASH_DIR
  cleanup=false
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kvstore-crash.XXXXXX")
  cleanup=true
fi
mkdir -p "$dir"
rc=0
# shellcheck disable=SC2086
"$bin" run --dir "$dir" --cycles "$cycles" --seed "$seed" --sync "$sync" ${KVSTORE_CRASH_ARGS:-} || rc=$?
if [ "$rc" -eq 0 ] && [ "$cleanup" = true ]; then rm -rf "$dir"; fi
if [ "$rc" -ne 0 ]; then echo "crash loop FAILED (data kept in $dir)" >&2; fi
exit "$rc"

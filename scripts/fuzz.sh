#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-16 + ASan/UBSan and runs
# each one for a while on a copy of its seed corpus.
#
#   scripts/fuzz.sh [seconds_per_target] [build_dir]
#
# seconds_per_target defaults to 60; build_dir to <repo>/build-fuzz. Prints the
# number of executions per target. Exits non-zero if any target reports a
# crash, an invariant violation, a leak, a timeout, an out-of-memory or a
# sanitizer error; the offending inputs are copied to <build_dir>/fuzz-artifacts/.
# The seed corpora are never modified (new inputs stay in a temporary copy).
#
# Environment: FUZZ_JOBS (build parallelism, default 2).

set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${2:-$ROOT/build-fuzz}"
JOBS="${FUZZ_JOBS:-2}"

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: $0 [seconds_per_target] [build_dir]" >&2
  exit 2
fi

# ---- toolchain ----
need=()
command -v clang++-16 >/dev/null 2>&1 || need+=(clang-16)
# libFuzzer's runtime comes with libclang-rt-16-dev.
if ! ls /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
   ! dpkg -s libclang-rt-16-dev >/dev/null 2>&1; then
  need+=(libclang-rt-16-dev)
fi
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v ninja >/dev/null 2>&1 || need+=(ninja-build)
if [ "${#need[@]}" -gt 0 ]; then
  echo "fuzz.sh: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# ---- configure and build ----
# (-U drops a project hook that an older version of this script left in the cache.)
cmake_extra=("-UCMAKE_PROJECT_kvstore_INCLUDE")
CC=clang-16 CXX=clang++-16 cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKVSTORE_BUILD_FUZZ=ON -DKVSTORE_BUILD_TESTS=OFF -DKVSTORE_BUILD_BENCH=OFF \
  -DKVSTORE_SANITIZE=address,undefined "${cmake_extra[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target fuzz_wal_reader fuzz_snapshot_loader fuzz_resp_parser

# ---- run ----
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kvstore-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$ARTIFACTS"

# target corpus_subdir max_len [extra flags...]
TARGETS=(
  "fuzz_wal_reader wal 4096 -dict=$ROOT/tests/fuzz/wal.dict"
  "fuzz_snapshot_loader snapshot 4096 -dict=$ROOT/tests/fuzz/snapshot.dict"
  "fuzz_resp_parser resp 2048 -dict=$ROOT/tests/fuzz/resp.dict"
)

failed=0
summary=()
for spec in "${TARGETS[@]}"; do
  read -r target corpus max_len extra <<<"$spec"
  mkdir -p "$WORK/$target/corpus" "$WORK/$target/artifacts"
  cp -r "$ROOT/tests/fuzz/corpus/$corpus/." "$WORK/$target/corpus/"
  log="$WORK/$target/log"
  echo "== $target: ${SECONDS_PER_TARGET}s, max_len $max_len"
  start=$(date +%s)
  rc=0
  # shellcheck disable=SC2086  # $extra holds zero or more flags
  # As a subdirectory the targets land in tests/fuzz/; through the hook, at the top.
  bin="$BUILD_DIR/tests/fuzz/$target"
  [ -x "$bin" ] || bin="$BUILD_DIR/$target"
  "$bin" "$WORK/$target/corpus" \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/$target/artifacts/" $extra \
    >"$log" 2>&1 || rc=$?
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs="${execs:-?}"
  status=ok
  if [ "$rc" -ne 0 ] ||
     grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|fuzz invariant violated|SUMMARY: ' "$log"; then
    status="FAILED (exit $rc)"
    failed=1
    grep -E 'invariant violated|ERROR:|runtime error:|SUMMARY:|Test unit written' "$log" | head -n 20 || true
    echo "-- last lines of the $target log:"
    tail -n 40 "$log"
    cp "$WORK/$target/artifacts/"* "$ARTIFACTS/" 2>/dev/null || true
    cp "$log" "$ARTIFACTS/$target.log"
  fi
  summary+=("$(printf '%-22s %12s executions in %4ss  %s' "$target" "$execs" "$secs" "$status")")
done

echo
echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: FAILED; reproduce with <build_dir>/<target> <input> (inputs in $ARTIFACTS)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Snapshot load speed of the portable build (the default: no -march, simdjson
# picks its SIMD kernel at run time) against a -march=native build
# (-DKVSTORE_SNAPSHOT_ARCH=native), in one run: both builds open the same
# 1M-key data directory (a 125 MB snapshot) in alternation, RUNS times each.
# The figure is the library's own open time (the "opened store: ... N s" log
# line: map + parse + insert), median per build; ratio = native / portable
# (>= 0.95 means the portable build loses at most 5%).
#
#   bench/snapshot_arch.sh [RUNS]     (default 15; builds in build-arch-*/)
# PORTABLE_KVSTORE and NATIVE_KVSTORE name already built `kvstore` programs
# (Release) to use instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
command -v ccache >/dev/null && export CMAKE_CXX_COMPILER_LAUNCHER=ccache
portable=${PORTABLE_KVSTORE:-build-arch-portable/kvstore}
native=${NATIVE_KVSTORE:-build-arch-native/kvstore}
for variant in portable native; do
  [ $variant = portable ] && [ -n "${PORTABLE_KVSTORE:-}" ] && continue
  [ $variant = native ] && [ -n "${NATIVE_KVSTORE:-}" ] && continue
  arch=""
  [ $variant = native ] && arch=native
  cmake -S . -B build-arch-$variant -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVSTORE_BUILD_TESTS=OFF \
    -DKVSTORE_BUILD_BENCH=OFF -DKVSTORE_BUILD_EXAMPLES=OFF -DKVSTORE_SNAPSHOT_ARCH=$arch >/dev/null
  cmake --build build-arch-$variant --target kvstore_cli >/dev/null
done

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 - "$data/flat.json" <<'PY'
import json, sys
json.dump({"key:%09d" % i: "v" * 90 + "%010d" % i for i in range(1000000)}, open(sys.argv[1], "w"))
PY
"$portable" -d "$data/store" import "$data/flat.json" >/dev/null 2>&1
"$portable" -d "$data/store" checkpoint >/dev/null 2>&1
rm "$data/flat.json"

for i in $(seq 1 "$runs"); do
  for variant in portable native; do
    bin=$portable
    [ $variant = native ] && bin=$native
    KVSTORE_LOG_LEVEL=info "$bin" -d "$data/store" size 2>&1 >/dev/null |
      sed -n 's/.*opened store: .*, \([0-9.]*\) s$/\1/p' >>"$data/$variant"
  done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "$data/portable")
n=$(median "$data/native")
echo "1M keys, $(wc -l <"$data/portable") opens each, median open time:"
echo "  portable (default)      $p s"
echo "  -march=native           $n s"
echo "  ratio native/portable   $(awk -v p="$p" -v n="$n" 'BEGIN {printf "%.3f", n / p}')"

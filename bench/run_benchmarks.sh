#!/usr/bin/env bash
# Builds the benchmarks in Release (build-bench) and runs the comparison of
# docs/BENCHMARKS.md: kvstore_compare (every workload, every competitor, one table of
# ratios; it also runs memory_per_key once per competitor, each in its own
# process). Everything, including the per-round figures, goes to stdout.
#
#   bench/run_benchmarks.sh [--micro] [kvstore_compare flags...]
#
#   --micro   also run the Google Benchmark micro-benchmarks (kvstore_bench)
#   e.g. bench/run_benchmarks.sh --quick          (100k keys, one round)
#        bench/run_benchmarks.sh --dir /mnt/data  (data files on another disk)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-bench"
micro=0
args=()
for a in "$@"; do
  if [[ $a == --micro ]]; then micro=1; else args+=("$a"); fi
done

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVSTORE_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 memory_per_key kvstore_compare >/dev/null

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "kernel: $(uname -r)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
data_dir=${TMPDIR:-/tmp}
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ ${args[$i]} == --dir ]]; then data_dir=${args[$((i + 1))]}; fi
done
mkdir -p "$data_dir"
echo "data dir filesystem: $(df -T "$data_dir" | awk 'NR==2 {print $2 " on " $1 " (" $7 ")"}')"
echo

echo "== kvstore_compare ${args[*]:-}"
status=0
"$build/bench/kvstore_compare" "${args[@]}" 2>&1 || status=$?

if [[ $micro == 1 ]]; then
  ninja -C "$build" -j2 kvstore_bench >/dev/null
  echo
  echo "== kvstore_bench --benchmark_min_time=0.2"
  "$build/bench/kvstore_bench" --benchmark_min_time=0.2 2>&1
fi
# kvstore_compare exits 1 when a target is missed (the table says which), 2+ on errors.
exit $status

#!/usr/bin/env bash
# How cost grows with the number of keys (docs/BENCHMARKS.md, "How cost grows
# with the number of keys"): per N, set and get ns/op, RSS bytes per key, and
# save, load and replay time per key, each from a process of its own (the
# scaling tool, bench/scaling.cc: fill, then load, then replay). Prints two
# tables, wall clock and CPU time of the process, each figure with its ratio
# to the figure at the base size and a verdict per column on the promise
# (within 1.5x), and appends the medians to a CSV in the format of
# docs/results/benchmarks.csv.
#
#   bench/scaling.sh [--sizes 10000,100000,1000000,10000000] [--rounds 1]
#                    [--base 100000] [--get-seconds 2] [--csv FILE]
#                    [--build DIR] [--dir DIR]
#
#   --sizes        the numbers of keys, comma-separated
#   --rounds R     runs of every phase per size; the medians are reported
#   --base N       the size the ratios are taken against (default 100000: at
#                  10k keys fixed costs, such as a save's fsyncs and rename,
#                  and caches that hold the whole store dominate)
#   --get-seconds  how long the random gets run per fill
#   --csv FILE     append the medians (e.g. docs/results/benchmarks.csv);
#                  machine label $BENCH_MACHINE (default vm-2c-xeon)
#   --build DIR    a Release build directory with KVSTORE_BUILD_BENCH=ON
#                  (default build-bench, configured and built if needed)
#   --dir DIR      where the data directories go (default $TMPDIR or /tmp)
#
# 10M keys need about 2.5 GB of RAM and 3 GB of disk (WAL and snapshot).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/bench_lib.sh
source "$root/bench/bench_lib.sh"

sizes=10000,100000,1000000,10000000
rounds=1
base=100000
get_seconds=2
csv=""
build="$root/build-bench"
dir=${TMPDIR:-/tmp}
cmdline="bench/scaling.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --sizes|--rounds|--base|--get-seconds|--csv|--build|--dir)
      if [[ $# -lt 2 || -z $2 ]]; then echo "$(basename "$0"): $1 needs a value" >&2; exit 2; fi
      case $1 in
        --sizes) sizes=$2 ;;
        --rounds) rounds=$2 ;;
        --base) base=$2 ;;
        --get-seconds) get_seconds=$2 ;;
        --csv) csv=$2 ;;
        --build) build=$2 ;;
        --dir) dir=$2 ;;
      esac
      shift 2 ;;
    *) echo "$(basename "$0"): unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a size_list <<<"$sizes"
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then echo "$(basename "$0"): --rounds must be >= 1" >&2; exit 2; fi
for n in "${size_list[@]}"; do
  if [[ ! $n =~ ^[1-9][0-9]*$ ]]; then echo "$(basename "$0"): bad size '$n' in --sizes" >&2; exit 2; fi
done
if [[ ! " ${size_list[*]} " == *" $base "* ]]; then base=${size_list[0]}; fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVSTORE_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 scaling >/dev/null
tool="$build/bench/scaling"

mkdir -p "$dir"
TMPDIR=$dir bench_workdir kvscaling
bench_banner
echo "== data dir filesystem: $(df -T "$dir" | awk 'NR==2 {print $2 " on " $1}')"
export BENCH_MACHINE=${BENCH_MACHINE:-vm-2c-xeon}
BENCH_DATE=$(date -u +%Y-%m-%dT%H:%MZ)
export BENCH_DATE

# The value of field name in a key=value line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# Wall-clock figures (the table), then the same timings as CPU time of the
# process (a second table: it does not count waiting for a core).
metrics=(set_ns get_ns bytes_per_key save_ns_per_key load_ns_per_key replay_ns_per_record)
cpu_metrics=(set_cpu_ns get_cpu_ns save_cpu_ns_per_key load_cpu_ns_per_key open_cpu_ns_per_record)
units=(ns/op ns/op B/key ns/key ns/key ns/record ns/op ns/op ns/key ns/key ns/record)
heads=("set ns/op" "get ns/op" "bytes/key" "save ns/key" "load ns/key" "replay ns/rec"
  "set cpu ns/op" "get cpu ns/op" "save cpu ns/key" "load cpu ns/key" "replay cpu ns/rec")
metrics+=("${cpu_metrics[@]}")
declare -A values  # "metric n" -> newline-separated per-round figures
for ((r = 1; r <= rounds; r++)); do
  for n in "${size_list[@]}"; do
    data="$BENCH_WORK/data-$n"
    snap="$BENCH_WORK/snapshot-$n.json"
    rm -rf "$data" "$snap" "$BENCH_WORK/load.wal"
    fill=$("$tool" fill --keys "$n" --dir "$data" --snapshot "$snap" --get-seconds "$get_seconds")
    load=$("$tool" load --keys "$n" --snapshot "$snap" --wal "$BENCH_WORK/load.wal")
    replay=$("$tool" replay --keys "$n" --dir "$data")
    echo "round $r: $fill"
    echo "round $r: $load"
    echo "round $r: $replay"
    for m in "${metrics[@]}"; do
      v=$(field "$m" "$fill $load $replay")
      values["$m $n"]+="$v"$'\n'
    done
    rm -rf "$data" "$snap" "$BENCH_WORK/load.wal"
  done
done
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A med
for n in "${size_list[@]}"; do
  for m in "${metrics[@]}"; do
    med["$m $n"]=$(printf '%s' "${values["$m $n"]}" | bench_median)
  done
done

# Prints the table of the metrics with indices from..to, and for each the
# promise: from the base size up, within 1.5x of the base's figure (the
# per-operation figures; for save, load and replay the time per key, i.e.
# linear growth of their totals), and the spread over every size, smaller ones
# included (largest / smallest figure).
table() {  # title from to
  local i m n v x hi spread_lo spread_hi verdict
  echo
  echo "== $1: medians of $rounds round(s); (x) = ratio to the figure at $base keys"
  printf '%-10s' "keys"
  for ((i = $2; i <= $3; i++)); do printf ' | %-17s' "${heads[$i]}"; done
  echo
  for n in "${size_list[@]}"; do
    printf '%-10s' "$n"
    for ((i = $2; i <= $3; i++)); do
      m=${metrics[$i]}
      printf ' | %-17s' "$(printf '%.1f (%s)' "${med["$m $n"]}" "$(bench_ratio "${med["$m $n"]}" "${med["$m $base"]}")")"
    done
    echo
  done
  echo "-- promise: within 1.5x of the figure at $base keys at every size >= $base?"
  for ((i = $2; i <= $3; i++)); do
    m=${metrics[$i]}
    hi=0 spread_lo="" spread_hi=0
    for n in "${size_list[@]}"; do
      v=${med["$m $n"]}
      x=$(bench_ratio "$v" "${med["$m $base"]}")
      if ((n >= base)); then hi=$(awk -v a="$hi" -v b="$x" 'BEGIN { print (b > a ? b : a) }'); fi
      spread_lo=$(awk -v a="${spread_lo:-$v}" -v b="$v" 'BEGIN { print (b < a ? b : a) }')
      spread_hi=$(awk -v a="$spread_hi" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
    done
    verdict=$(awk -v hi="$hi" 'BEGIN { print (hi <= 1.5 ? "yes" : "NO") }')
    printf '%-17s %-3s (largest ratio %s; over all sizes, largest / smallest figure %s)\n' \
      "${heads[$i]}" "$verdict" "$hi" "$(bench_ratio "$spread_hi" "$spread_lo")"
  done
}
echo
echo "== load average at end: $load_avg"
table "wall clock" 0 5
table "CPU time of the process" 6 10

if [[ -n $csv ]]; then
  for n in "${size_list[@]}"; do
    for i in "${!metrics[@]}"; do
      bench_csv_row "$csv" scaling "keys=$n" kvstore 1 "${metrics[$i]}" "${med["${metrics[$i]} $n"]}" \
        "${units[$i]}" "$cmdline"
    done
  done
  bench_csv_row "$csv" scaling all machine "" load_average_1min "${load_avg%% *}" "" "$cmdline"
  echo "== appended $(( ${#size_list[@]} * ${#metrics[@]} + 1 )) rows to $csv"
fi

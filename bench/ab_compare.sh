#!/usr/bin/env bash
# Before/after comparison of two builds of kvstore_bench, in one run.
#
#   bench/ab_compare.sh --before BUILD_DIR --after BUILD_DIR [--filter REGEX]
#                       [--rounds N] [--min-time SECONDS] [--csv FILE] [--label TEXT]
#
# Runs the Google Benchmark cases matching REGEX from BUILD_DIR/bench/kvstore_bench
# of both builds, alternating before and after N times (default 5), so that
# drift of a shared machine hits both alike. Prints, per case, the median real
# time of each build and the ratio before/after (above 1: the after build is
# faster). With --csv, appends one row per case to FILE in the format of
# docs/results/benchmarks.csv (competitor "before" / "after", metric
# median_ns, and the ratio as metric after_speedup).
#
# Typical use: a worktree of the old commit built in Release beside the
# current one:
#   git worktree add /tmp/before OLD && cmake -S /tmp/before -B /tmp/before/build-rel \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/before/build-rel --target kvstore_bench
#   bench/ab_compare.sh --before /tmp/before/build-rel --after build-rel \
#     --filter 'BM_(Get|Set)/kvstore/' --rounds 10 --min-time 0.5
set -euo pipefail

before="" after="" filter="." rounds=5 min_time=0.3 csv="" label="ab_compare"
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --min-time) min_time=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ab_compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$before" ] && [ -n "$after" ] || { echo "ab_compare.sh: --before and --after are required" >&2; exit 2; }
for b in "$before" "$after"; do
  [ -x "$b/bench/kvstore_bench" ] || { echo "ab_compare.sh: no $b/bench/kvstore_bench (build the kvstore_bench target)" >&2; exit 2; }
done

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$before; [ "$side" = after ] && dir=$after
    "$dir/bench/kvstore_bench" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
      --benchmark_format=csv 2>/dev/null | tail -n +2 | sed "s/^/$side,$r,/" >> "$raw"
  done
done

python3 - "$raw" "$csv" "$label" "$filter" "$rounds" "$min_time" <<'EOF'
import csv, statistics, sys, datetime, socket
raw, out, label, flt, rounds, min_time = sys.argv[1:7]
runs = {}
for row in csv.reader(open(raw)):
    side, name, real, unit = row[0], row[2], float(row[4]), row[6]
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    runs.setdefault(name, {}).setdefault(side, []).append(real * scale)
print(f"{'case':50} {'before ns':>12} {'after ns':>12} {'before/after':>12}")
rows = []
stamp = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ")
cmd = f"bench/ab_compare.sh --filter '{flt}' --rounds {rounds} --min-time {min_time}"
for name, sides in runs.items():
    if "before" not in sides or "after" not in sides:
        continue
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    print(f"{name:50} {b:12.1f} {a:12.1f} {b / a:12.2f}")
    for comp, v in (("before", b), ("after", a)):
        rows.append([stamp, "vm-2c-epyc", "main", label, name, comp, "", "median_ns", f"{v:.1f}", "ns", cmd])
    rows.append([stamp, "vm-2c-epyc", "main", label, name, "after", "", "after_speedup", f"{b / a:.3f}", "x", cmd])
if out:
    with open(out, "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
EOF

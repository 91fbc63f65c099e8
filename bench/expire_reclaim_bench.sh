#!/usr/bin/env bash
# Mass expiry: how long kvstore-server and Debian's redis-server take to
# reclaim N keys that all reach their deadline at the same moment, and what
# that costs the clients they serve meanwhile (docs/BENCHMARKS.md, "Mass
# expiry"). Both servers in the same run, taking turns.
#
#   bench/expire_reclaim_bench.sh [--keys N] [--rounds R] [--sync MODE]
#       [--threads T] [--clients C] [--lead S] [--poll-ms MS] [--server PATH]
#       [--ports A,B] [--csv FILE]
#
#   --keys     expiring keys, 16-byte names, 100-byte values (default 1000000)
#   --rounds   rounds per server; medians are reported (default 3)
#   --sync     kvstore-server --sync: no (default; Redis without AOF or RDB)
#              or everysec (Redis with appendonly yes, appendfsync everysec)
#   --threads  kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --clients  client connections during the round (default 50)
#   --lead     seconds from the start of the load to the deadline (default
#              10, 30 with --sync everysec); the load must end 1.5 s before it
#   --poll-ms  interval of the INFO stats polls from the deadline on (default
#              10); each poll is work for the server too
#   --server   kvstore-server binary (default: a Release build in build-bench)
#   --ports    the two loopback ports, redis then kvstore (default 16579,16679)
#   --csv      append the medians and ratios to FILE in the format of
#              docs/results/benchmarks.csv
#
# Each round starts each server afresh (order alternating), loads the keys
# with one deadline `--lead` seconds ahead (SET ... PXAT), serves a client
# from the end of the load until the keys are reclaimed, and stops the
# server (bench/expire_reclaim_round.py measures). Reported per server:
# reclaim time (deadline to INFO stats expired_keys grown by N, polled every
# --poll-ms), client p99 latency while reclaiming and before the deadline
# (baseline), and the ratios kvstore/redis. A default run takes about 2
# minutes. Data directories are temporary and removed at exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keys=1000000
rounds=3
sync=no
threads=0
clients=50
lead=""
poll_ms=10
server_bin=""
ports="16579,16679"
csv=""
source "$root/bench/bench_lib.sh"
cmdline="bench/expire_reclaim_bench.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    --keys) keys=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --lead) lead=$2; shift 2 ;;
    --poll-ms) poll_ms=$2; shift 2 ;;
    *) bench_pair_flag "$1" "${2-}"; shift 2 ;;
  esac
done

if [[ -z $lead ]]; then
  # Loading with persistence on takes 7-12 s on the 2-core machine of docs/BENCHMARKS.md.
  lead=10
  if [[ $sync == everysec ]]; then lead=30; fi
fi
bench_pair_setup expire-reclaim
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server --sync $sync --threads $threads ($server_bin), $keys expiring keys, $clients clients, $rounds rounds"

# One round against one server: writes the JSON line of
# expire_reclaim_round.py to $BENCH_WORK/round.json.
run_round() {  # who
  bench_start_one "$1" "$redis_port" "$kv_port" "$sync" "$server_bin" "$threads"
  python3 "$root/bench/expire_reclaim_round.py" round --port "$BENCH_PORT" --keys "$keys" \
    --clients "$clients" --lead "$lead" --interval-ms "$poll_ms" >"$BENCH_WORK/round.json"
  bench_stop_one
}

# Field of a round's JSON line: path like window.p99_ms; "none" if null.
field() {  # json path
  python3 -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."): v = v[k]
print("none" if v is None else v)' "$1" "$2"
}

declare -A results
for ((r = 0; r < rounds; r++)); do
  if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
  for who in $order; do
    run_round "$who"
    line=$(cat "$BENCH_WORK/round.json")
    echo "run: $who round $r: $line"
    for f in reclaim_ms window.p99_ms baseline.p99_ms window.p50_ms baseline.p50_ms window.rps baseline.rps poll_median_ms; do
      results["$who/$f"]+="$(field "$line" "$f") "
    done
  done
done

# Median of one metric over the rounds; "none" if any round timed out.
med() {  # who metric
  local v=${results[$1/$2]}
  if [[ $v == *none* ]]; then echo none; return; fi
  echo "$v" | tr ' ' '\n' | grep . | bench_median
}

echo
echo "Medians of $rounds rounds (latency in ms, as the client sees it; rps = client requests per second)"
printf "%-22s %12s %12s %14s\n" metric redis kvstore "kvstore/redis"
for f in reclaim_ms window.p99_ms baseline.p99_ms window.p50_ms baseline.p50_ms window.rps baseline.rps poll_median_ms; do
  rv=$(med redis "$f"); kv=$(med kv "$f")
  ratio=none
  [[ $rv != none && $kv != none ]] && ratio=$(bench_ratio "$kv" "$rv")
  printf "%-22s %12s %12s %13sx\n" "$f" "$rv" "$kv" "$ratio"
done
for who in redis kv; do
  w=$(med "$who" window.p99_ms); b=$(med "$who" baseline.p99_ms)
  if [[ $w != none ]]; then
    echo "$who: p99 while reclaiming / p99 before the deadline = $(bench_ratio "$w" "$b")x"
  fi
done

if [[ -n $csv ]]; then
  workload="${keys}_keys_one_deadline_sync_${sync}_c${clients}_poll${poll_ms}ms"
  for who in redis kv; do
    name=redis; thr=1
    [[ $who == kv ]] && { name=kvstore; thr=$threads; }
    for f in reclaim_ms window.p99_ms baseline.p99_ms; do
      v=$(med "$who" "$f")
      [[ $v == none ]] && continue
      bench_csv_row "$csv" expire_reclaim "$workload" "$name" "$thr" "median_${f/./_}" "$v" ms "$cmdline"
    done
  done
  for f in reclaim_ms window.p99_ms baseline.p99_ms; do
    rv=$(med redis "$f"); kv=$(med kv "$f")
    [[ $rv == none || $kv == none ]] && continue
    bench_csv_row "$csv" expire_reclaim "$workload" kvstore "$threads" "ratio_vs_redis_${f/./_}" \
      "$(bench_ratio "$kv" "$rv")" x "$cmdline"
  done
  bench_csv_row "$csv" expire_reclaim "$workload" machine "" load_average_1min \
    "$(cut -d' ' -f1 /proc/loadavg)" "" "$cmdline"
fi

#!/usr/bin/env bash
# Transactions: throughput of MULTI + 10 SETs + EXEC against kvstore-server
# and Debian's redis-server in the same run, taking turns (docs/BENCHMARKS.md,
# "MULTI/EXEC throughput").
#
#   bench/multi_exec_bench.sh [--clients C] [--procs P] [--pipeline D]
#       [--seconds S] [--rounds R] [--sync MODE] [--threads T]
#       [--server PATH] [--ports A,B] [--csv FILE]
#
#   --clients   connections (default 50)
#   --procs     client processes sharing them (default 2)
#   --pipeline  transactions per write per connection (default 16)
#   --seconds   measured seconds per run, after 1 s of warm-up (default 5)
#   --rounds    runs per server; the median is reported (default 3)
#   --sync      kvstore-server --sync: everysec (default; Redis with
#               appendonly yes, appendfsync everysec) or no (Redis without
#               AOF or RDB)
#   --threads   kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --server    kvstore-server binary (default: a Release build in build-bench)
#   --ports     the two loopback ports, redis then kvstore (default 16779,16879)
#   --csv       append the medians and the ratio to FILE in the format of
#               docs/results/benchmarks.csv
#
# The client is bench/multi_exec_client.py (raw sockets; it compares the
# replies with the 150 bytes every successful transaction answers). Each
# round starts each server afresh (order alternating) with data in a
# temporary directory, runs the client, and stops the server. Reported:
# transactions per second per run, the CPU share of client and server during
# the run (if the client is near 100 % per process, it is the bottleneck:
# raise --procs), the medians and the ratio kvstore/redis. A default run
# takes under a minute.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
clients=50
procs=2
pipeline=16
seconds=5
rounds=3
sync=everysec
threads=0
server_bin=""
ports="16779,16879"
csv=""
source "$root/bench/bench_lib.sh"
cmdline="bench/multi_exec_bench.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --procs) procs=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) bench_pair_flag "$1" "${2-}"; shift 2 ;;
  esac
done

bench_pair_setup multi-exec
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server --sync $sync --threads $threads ($server_bin); $clients clients in $procs processes, $pipeline transactions per write, $seconds s per run, $rounds rounds"

# One run against one server: writes the client's JSON line to $BENCH_WORK/run.json.
run_one() {  # who
  bench_start_one "$1" "$redis_port" "$kv_port" "$sync" "$server_bin" "$threads"
  python3 "$root/bench/multi_exec_client.py" --port "$BENCH_PORT" --clients "$clients" \
    --procs "$procs" --pipeline "$pipeline" --seconds "$seconds" --server-pid "$BENCH_PID" \
    >"$BENCH_WORK/run.json"
  bench_stop_one
}

declare -A tps
for ((r = 0; r < rounds; r++)); do
  if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
  for who in $order; do
    run_one "$who"
    read -r v ccpu scpu < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["tx_per_s"], d["client_cpu_pct"], d["server_cpu_pct"])' "$BENCH_WORK/run.json")
    echo "run: $who round $r: $v transactions/s (client CPU ${ccpu}%, server CPU ${scpu}%)"
    tps[$who]+="$v "
  done
done

rv=$(echo "${tps[redis]}" | tr ' ' '\n' | grep . | bench_median)
kv=$(echo "${tps[kv]}" | tr ' ' '\n' | grep . | bench_median)
ratio=$(bench_ratio "$kv" "$rv")
echo
printf "%-32s %14s %14s %14s\n" "MULTI + 10 SET + EXEC" "redis tx/s" "kvstore tx/s" "kvstore/redis"
printf "%-32s %14.0f %14.0f %13sx\n" "median of $rounds" "$rv" "$kv" "$ratio"

if [[ -n $csv ]]; then
  workload="multi_10_set_exec_c${clients}_p${pipeline}_sync_${sync}"
  bench_csv_row "$csv" multi_exec "$workload" redis 1 median "$rv" tx/s "$cmdline"
  bench_csv_row "$csv" multi_exec "$workload" kvstore "$threads" median "$kv" tx/s "$cmdline"
  bench_csv_row "$csv" multi_exec "$workload" kvstore "$threads" ratio_vs_redis "$ratio" x "$cmdline"
  bench_csv_row "$csv" multi_exec "$workload" machine "" load_average_1min \
    "$(cut -d' ' -f1 /proc/loadavg)" "" "$cmdline"
fi

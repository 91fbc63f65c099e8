#!/usr/bin/env bash
# Lua scripts: throughput of EVALSHA against kvstore-server and Debian's
# redis-server in the same run, taking turns (docs/BENCHMARKS.md, "Lua
# scripts"). Two workloads, driven by redis-benchmark:
#   three   EVALSHA of a script that calls three commands (INCR one key, SET
#           another, GET it back), keys drawn from --keys, at pipeline 1
#           and 16;
#   limiter a rate limiter: INCR a counter and give it a TTL when it is new,
#           keys drawn from --keys, pipeline 1.
#
#   bench/script_bench.sh [--clients C] [--requests N] [--keys K]
#       [--rounds R] [--sync MODE] [--threads T] [--server PATH]
#       [--ports A,B] [--csv FILE]
#
#   --clients   connections (default 50)
#   --requests  requests per redis-benchmark run (default 100000)
#   --keys      random keyspace size, redis-benchmark -r (default 100000)
#   --rounds    runs per server and cell; the median is reported (default 3)
#   --sync      kvstore-server --sync: everysec (default; Redis with
#               appendonly yes, appendfsync everysec) or no (Redis without
#               AOF or RDB)
#   --threads   kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --server    kvstore-server binary (default: a Release build in build-bench)
#   --ports     the two loopback ports, redis then kvstore (default 16789,16889)
#   --csv       append the medians and the ratios to FILE in the format of
#               docs/results/benchmarks.csv
#
# Each round starts each server afresh (order alternating) with data in a
# temporary directory, loads the scripts with SCRIPT LOAD, runs every cell,
# and stops the server. Output: one line per run, then a table of medians
# and ratios kvstore/redis. A default run takes about two minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
clients=50
requests=100000
keys=100000
rounds=3
sync=everysec
threads=0
server_bin=""
ports="16789,16889"
csv=""
source "$root/bench/bench_lib.sh"
cmdline="bench/script_bench.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    *) bench_pair_flag "$1" "${2-}"; shift 2 ;;
  esac
done

three="redis.call('incr', KEYS[1]); redis.call('set', KEYS[2], ARGV[1]); return redis.call('get', KEYS[2])"
limiter="local n = redis.call('incr', KEYS[1]); if n == 1 then redis.call('expire', KEYS[1], ARGV[1]) end; return n"

bench_pair_setup script-bench
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server --sync $sync --threads $threads ($server_bin); $clients clients, $requests requests per run, keyspace $keys, $rounds rounds"

# Prints requests per second of one redis-benchmark run of the command given.
rps() {  # pipeline command...
  local pipeline=$1
  shift
  redis-benchmark -p "$BENCH_PORT" -n "$requests" -c "$clients" -P "$pipeline" -r "$keys" \
    --csv "$@" 2>/dev/null | awk -F'","' 'NR > 1 { gsub(/"/, "", $2); print $2; exit }'
}

cells=("three/1" "three/16" "limiter/1")
declare -A results
for ((r = 0; r < rounds; r++)); do
  if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
  for who in $order; do
    bench_start_one "$who" "$redis_port" "$kv_port" "$sync" "$server_bin" "$threads"
    sha_three=$(redis-cli -p "$BENCH_PORT" SCRIPT LOAD "$three")
    sha_limiter=$(redis-cli -p "$BENCH_PORT" SCRIPT LOAD "$limiter")
    for cell in "${cells[@]}"; do
      pipeline=${cell#*/}
      if [[ ${cell%/*} == three ]]; then
        v=$(rps "$pipeline" EVALSHA "$sha_three" 2 "c:__rand_int__" "s:__rand_int__" value)
      else
        v=$(rps "$pipeline" EVALSHA "$sha_limiter" 1 "rl:__rand_int__" 60)
      fi
      if [[ -z $v || $v == 0* ]]; then
        echo "$(basename "$0"): no throughput from $who for $cell (is the script refused?)" >&2
        redis-cli -p "$BENCH_PORT" EVALSHA "$sha_three" 2 c:1 s:1 value >&2 || true
        exit 1
      fi
      echo "run: $who round $r $cell: $v req/s"
      results["$cell/$who"]+="$v "
    done
    bench_stop_one
  done
done

echo
printf "%-10s %-3s %14s %14s %14s\n" script P "redis req/s" "kvstore req/s" kvstore/redis
for cell in "${cells[@]}"; do
  rv=$(echo "${results[$cell/redis]}" | tr ' ' '\n' | grep . | bench_median)
  kv=$(echo "${results[$cell/kv]}" | tr ' ' '\n' | grep . | bench_median)
  ratio=$(bench_ratio "$kv" "$rv")
  printf "%-10s %-3s %14.0f %14.0f %13sx\n" "${cell%/*}" "${cell#*/}" "$rv" "$kv" "$ratio"
  if [[ -n $csv ]]; then
    workload="evalsha_${cell%/*}_c${clients}_p${cell#*/}_sync_${sync}"
    bench_csv_row "$csv" script "$workload" redis 1 median "$rv" req/s "$cmdline"
    bench_csv_row "$csv" script "$workload" kvstore "$threads" median "$kv" req/s "$cmdline"
    bench_csv_row "$csv" script "$workload" kvstore "$threads" ratio_vs_redis "$ratio" x "$cmdline"
  fi
done
if [[ -n $csv ]]; then
  bench_csv_row "$csv" script all machine "" load_average_1min "$(cut -d' ' -f1 /proc/loadavg)" "" \
    "$cmdline"
fi

#!/usr/bin/env bash
# redis-benchmark against kvstore-server and Debian's redis-server in the same
# run (docs/BENCHMARKS.md, "kvstore-server against redis-server"): SET and GET, 50 clients, 100-byte values, pipeline 1 and
# 16, with comparable persistence: Redis AOF `appendfsync everysec` vs
# `--sync everysec`, and `appendfsync always` vs `--sync always`. RDB
# snapshots are off for Redis; kvstore's automatic checkpoints keep their
# defaults (they trim the WAL, as AOF rewrites trim the AOF).
#
#   bench/redis_compare.sh [--requests N] [--rounds R] [--threads T] [--keys K]
#
#   --requests  requests per redis-benchmark run (default 200000)
#   --rounds    runs per cell; the median is reported (default 3)
#   --threads   kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --keys      random keyspace size, redis-benchmark -r (default 100000)
#
# The two servers take turns within each round (order alternating), so drift
# of this shared machine affects both alike. Output: one line per run, then a
# table of medians and ratios kvstore/redis. Both servers listen on loopback
# ports that do not clash with a local Redis (16379, 16479) and keep their
# data in a temporary directory removed at exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=200000
rounds=3
threads=0
keys=100000
while [[ $# -gt 0 ]]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "redis_compare: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done

# Packages (Debian): the servers and the client, plus the build of kvstore-server.
source "$root/bench/bench_lib.sh"
bench_install_packages redis-server redis-tools
threads=$(bench_io_threads "$threads")
# Redis is a Release build: measure kvstore-server as one too.
server_bin=$(bench_release_server "$root")

work=$(mktemp -d "${TMPDIR:-/tmp}/redis-compare.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

redis_port=16379
kv_port=16479

start_servers() {  # mode: everysec | always
  rm -rf "$work/redis" "$work/kv"
  mkdir -p "$work/redis" "$work/kv"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
    --appendonly yes --appendfsync "$1" --daemonize no --logfile "$work/redis.log" &
  pids+=($!)
  "$server_bin" --port "$kv_port" --dir "$work/kv" --sync "$1" --threads "$threads" \
    >"$work/kv.log" 2>&1 &
  pids+=($!)
  bench_wait_ready "$redis_port"
  bench_wait_ready "$kv_port"
}

stop_servers() {
  redis-cli -p "$redis_port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  redis-cli -p "$kv_port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# Prints requests per second of one redis-benchmark run.
rps() {  # port test pipeline
  redis-benchmark -p "$1" -t "$2" -n "$requests" -c 50 -d 100 -P "$3" -r "$keys" --csv 2>/dev/null |
    awk -F'","' 'NR > 1 { gsub(/"/, "", $2); print $2; exit }'
}

bench_banner
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server $threads threads, $requests requests, 50 clients, 100-byte values, keyspace $keys, $rounds rounds"
declare -A results
for mode in everysec always; do
  start_servers "$mode"
  # Fill both keyspaces once so that GETs hit.
  redis-benchmark -p "$redis_port" -t set -n "$keys" -c 50 -d 100 -P 16 -r "$keys" -q >/dev/null
  redis-benchmark -p "$kv_port" -t set -n "$keys" -c 50 -d 100 -P 16 -r "$keys" -q >/dev/null
  for pipeline in 1 16; do
    for t in set get; do
      for ((r = 0; r < rounds; r++)); do
        if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
        for who in $order; do
          port=$redis_port; [[ $who == kv ]] && port=$kv_port
          v=$(rps "$port" "$t" "$pipeline")
          echo "run: $mode P$pipeline $t $who round $r: $v req/s"
          results["$mode/$pipeline/$t/$who"]+="$v "
        done
      done
    done
  done
  stop_servers
done

echo
printf "%-9s %-3s %-4s %14s %14s %8s\n" mode P op "redis req/s" "kvstore req/s" ratio
for mode in everysec always; do
  for pipeline in 1 16; do
    for t in set get; do
      r=$(echo "${results[$mode/$pipeline/$t/redis]}" | tr ' ' '\n' | grep . | bench_median)
      k=$(echo "${results[$mode/$pipeline/$t/kv]}" | tr ' ' '\n' | grep . | bench_median)
      ratio=$(awk -v a="$k" -v b="$r" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
      printf "%-9s %-3s %-4s %14.0f %14.0f %7sx\n" "$mode" "$pipeline" "$t" "$r" "$k" "$ratio"
    done
  done
done

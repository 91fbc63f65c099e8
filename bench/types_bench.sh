#!/usr/bin/env bash
# Hashes, lists, sets and sorted sets: kvstore-server against Debian's
# redis-server in the same run (docs/BENCHMARKS.md, "Data types against
# redis-server").
#
#   bench/types_bench.sh [--requests N] [--elements N] [--tests LIST]
#       [--rounds R] [--sync MODE] [--threads T] [--server PATH]
#       [--ports A,B] [--csv FILE]
#
#   --requests  requests per redis-benchmark run (default 100000)
#   --elements  elements of the one big value per type for memory, save and
#               restart (default 1000000; 0 skips that part)
#   --tests     redis-benchmark tests (default
#               hset,lpush,rpush,lpop,rpop,sadd,spop,zadd,zpopmin,lrange_100)
#   --rounds    runs per cell; the median is reported (default 3)
#   --sync      kvstore-server --sync: everysec (default; Redis with
#               appendonly yes, appendfsync everysec) or no (Redis without
#               AOF or RDB)
#   --threads   kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --server    kvstore-server binary (default: a Release build in build-bench)
#   --ports     the two loopback ports, redis then kvstore (default 16979,17079)
#   --csv       append the medians and ratios to FILE in the format of
#               docs/results/benchmarks.csv
#
# Throughput: redis-benchmark, 50 clients, pipeline 1 and 16, both servers
# running at once and taking turns per run (order alternating by round).
# Beside each run's requests per second, the CPU time the server spent in it
# (all its threads, /proc/PID/task/*/schedstat) per request: it depends far
# less on what else runs on the machine. For lrange_* the CPU time includes
# the LPUSH that redis-benchmark runs first to fill the list.
# Memory: for each type, a fresh server of each kind is filled with one key
# of --elements elements (bench/types_memory.py: HSET/RPUSH/SADD/ZADD in
# batches of 1000); reported are the RSS growth per element, the time of
# SAVE, and the time a restart takes until the server answers PING.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/bench/bench_lib.sh"
requests=100000 elements=1000000 tests=hset,lpush,rpush,lpop,rpop,sadd,spop,zadd,zpopmin,lrange_100
rounds=3 sync=everysec threads=0 server_bin="" ports=16979,17079 csv=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --elements) elements=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    *) bench_pair_flag "$1" "${2:-}"; shift 2 ;;
  esac
done
bench_pair_setup types-bench
command_line="bench/types_bench.sh --requests $requests --elements $elements --rounds $rounds --sync $sync"
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server $threads threads, --sync $sync, $requests requests, 50 clients, $rounds rounds"


# --- throughput: both servers up, taking turns -------------------------------
declare -A results cpus
mkdir -p "$BENCH_WORK/r" "$BENCH_WORK/k"
bench_start_redis "$redis_port" "$BENCH_WORK/r" "$sync"
redis_pid=$BENCH_PID
bench_start_kvstore "$server_bin" "$kv_port" "$BENCH_WORK/k" "$sync" "$threads"
kv_pid=$BENCH_PID
BENCH_PID=""
IFS=, read -r -a test_list <<<"$tests"
for pipeline in 1 16; do
  for t in "${test_list[@]}"; do
    for ((r = 0; r < rounds; r++)); do
      if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
      for who in $order; do
        port=$redis_port; [[ $who == kv ]] && port=$kv_port
        pid=$redis_pid; [[ $who == kv ]] && pid=$kv_pid
        c0=$(bench_cpu_ns "$pid")
        v=$(bench_rps "$port" "$t" "$pipeline" "$requests")
        cpu=$(awk -v a="$c0" -v b="$(bench_cpu_ns "$pid")" -v n="$requests" \
          'BEGIN { printf "%.3f", (b - a) / n / 1000 }')
        echo "run: P$pipeline $t $who round $r: $v req/s, server CPU $cpu us/request"
        results["$pipeline/$t/$who"]+="$v "
        cpus["$pipeline/$t/$who"]+="$cpu "
      done
    done
  done
done
bench_stop_server "$redis_port" "$redis_pid"
bench_stop_server "$kv_port" "$kv_pid"

echo
printf "%-3s %-11s %14s %14s %8s %12s %12s %8s\n" P test "redis req/s" "kvstore req/s" ratio \
  "redis cpu/req" "kv cpu/req" "cpu ratio"
median_of() { echo "$1" | tr ' ' '\n' | grep . | bench_median; }
for pipeline in 1 16; do
  for t in "${test_list[@]}"; do
    r=$(median_of "${results[$pipeline/$t/redis]}")
    k=$(median_of "${results[$pipeline/$t/kv]}")
    ratio=$(bench_ratio "$k" "$r")
    rc=$(median_of "${cpus[$pipeline/$t/redis]}")
    kc=$(median_of "${cpus[$pipeline/$t/kv]}")
    cratio=$(bench_ratio "$kc" "$rc")
    printf "%-3s %-11s %14.0f %14.0f %7sx %10s us %10s us %7sx\n" "$pipeline" "$t" "$r" "$k" \
      "$ratio" "$rc" "$kc" "$cratio"
    if [[ -n $csv ]]; then
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" redis 1 median_rps "$r" req/s "$command_line"
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" kvstore "$threads" median_rps "$k" req/s "$command_line"
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" kvstore "$threads" ratio_vs_redis "$ratio" x "$command_line"
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" redis 1 server_cpu_per_request "$rc" us "$command_line"
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" kvstore "$threads" server_cpu_per_request "$kc" us "$command_line"
      bench_csv_row "$csv" types "${t}_c50_p${pipeline}_sync_$sync" kvstore "$threads" cpu_ratio_vs_redis "$cratio" x "$command_line"
    fi
  done
done

# --- memory per element, save and restart -------------------------------------
(( elements > 0 )) || exit 0
echo
printf "%-5s %-8s %16s %10s %12s\n" type server "bytes/element" "save s" "restart s"
for type in hash list set zset; do
  declare -A per
  for who in redis kv; do
    bench_start_one "$who" "$redis_port" "$kv_port" "$sync" "$server_bin" "$threads"
    line=$(python3 "$root/bench/types_memory.py" --port "$BENCH_PORT" --pid "$BENCH_PID" \
      --type "$type" --elements "$elements")
    bpe=$(sed -n 's/.*bytes_per_element=\([0-9.]*\).*/\1/p' <<<"$line")
    save=$(sed -n 's/.*save_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
    # Restart on the same files: SHUTDOWN NOSAVE keeps what SAVE wrote (and
    # the log after it); time until PING answers.
    bench_stop_one
    start=$(date +%s.%N)
    if [[ $who == redis ]]; then
      BENCH_PORT=$redis_port
      bench_start_redis "$redis_port" "$BENCH_WORK/data" "$sync"
    else
      BENCH_PORT=$kv_port
      bench_start_kvstore "$server_bin" "$kv_port" "$BENCH_WORK/data" "$sync" "$threads"
    fi
    restart=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    n=$(redis-cli -p "$BENCH_PORT" TYPE big 2>/dev/null || true)
    bench_stop_one
    printf "%-5s %-8s %16s %10s %12s   (%s)\n" "$type" "$who" "$bpe" "$save" "$restart" "$n"
    per[$who]=$bpe
    if [[ -n $csv ]]; then
      bench_csv_row "$csv" types "${type}_${elements}" "$who" 1 rss_bytes_per_element "$bpe" B "$command_line"
      bench_csv_row "$csv" types "${type}_${elements}" "$who" 1 save_seconds "$save" s "$command_line"
      bench_csv_row "$csv" types "${type}_${elements}" "$who" 1 restart_seconds "$restart" s "$command_line"
    fi
  done
  echo "      memory kvstore/redis: $(bench_ratio "${per[kv]}" "${per[redis]}")x"
  if [[ -n $csv ]]; then
    bench_csv_row "$csv" types "${type}_${elements}" kvstore "$threads" memory_ratio_vs_redis "$(bench_ratio "${per[kv]}" "${per[redis]}")" x "$command_line"
  fi
done

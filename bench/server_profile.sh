#!/usr/bin/env bash
# Where a server's time goes per request: kvstore-server with one and with
# two I/O threads against Debian's redis-server, on the same redis-benchmark
# load (docs/BENCHMARKS.md, "Where the server's time goes").
#
#   bench/server_profile.sh [--tests LIST] [--pipelines LIST] [--requests N]
#       [--rounds R] [--sync MODE] [--server PATH] [--ports A,B]
#       [--perf DIR] [--csv FILE]
#
#   --tests      redis-benchmark tests (default ping_mbulk,get,set,hset,lrange_100)
#   --pipelines  pipeline depths (default 1,16)
#   --requests   requests per run (default 100000)
#   --rounds     runs per cell, medians reported (default 3)
#   --sync       everysec (default) or no, as bench/types_bench.sh
#   --server     kvstore-server binary (default: a Release build in build-bench)
#   --ports      redis's port, then kvstore's; the second kvstore-server
#                listens on the next port (default 17301,17401)
#   --perf DIR   also record a perf profile of each kvstore-server run with
#                two I/O threads and write its top symbols to
#                DIR/<test>_p<P>.txt (needs perf; kernel symbols need root)
#   --csv        append the medians to FILE (docs/results/benchmarks.csv)
#
# For every run: requests per second (as redis-benchmark reports them), the
# server's CPU time per request (all its threads, from
# /proc/PID/task/*/schedstat) and its context switches per request (from
# /proc/PID/task/*/status). CPU per request says what a request costs the
# server whatever else runs on the machine; context switches say how often a
# thread went to sleep in epoll_wait and was woken again. 50 clients; the
# three servers run at once and take turns, order rotating by round.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/bench/bench_lib.sh"
tests=ping_mbulk,get,set,hset,lrange_100 pipelines=1,16 requests=100000
# shellcheck disable=SC2034  # threads: a common flag, unused here (both counts run)
rounds=3 sync=everysec threads=2 server_bin="" ports=17301,17401 csv="" perf_dir=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --tests) tests=$2; shift 2 ;;
    --pipelines) pipelines=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --perf) perf_dir=$2; shift 2 ;;
    *) bench_pair_flag "$1" "${2:-}"; shift 2 ;;
  esac
done
bench_pair_setup server-profile
kv2_port=$((kv_port + 1))
bench_require_free_ports "$kv2_port"
[[ -n $perf_dir ]] && { bench_install_packages linux-perf; mkdir -p "$perf_dir"; }
command_line="bench/server_profile.sh --tests $tests --pipelines $pipelines --requests $requests --rounds $rounds --sync $sync"
echo "== redis-server $(redis-server --version | awk '{print $3}'), --sync $sync, $requests requests, 50 clients, $rounds rounds"

ctx_switches() {  # pid
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
# One redis-benchmark run; prints "rps cpu_us_per_request switches_per_request".
measure() {  # port pid test pipeline
  local c0 s0 v
  c0=$(bench_cpu_ns "$2")
  s0=$(ctx_switches "$2")
  v=$(bench_rps "$1" "$3" "$4" "$requests")
  awk -v v="$v" -v c0="$c0" -v c1="$(bench_cpu_ns "$2")" -v s0="$s0" -v s1="$(ctx_switches "$2")" \
    -v n="$requests" 'BEGIN { printf "%s %.3f %.3f\n", v, (c1 - c0) / n / 1000, (s1 - s0) / n }'
}

mkdir -p "$BENCH_WORK/r" "$BENCH_WORK/k1" "$BENCH_WORK/k2"
bench_start_redis "$redis_port" "$BENCH_WORK/r" "$sync"
redis_pid=$BENCH_PID
bench_start_kvstore "$server_bin" "$kv_port" "$BENCH_WORK/k1" "$sync" 1
kv1_pid=$BENCH_PID
bench_start_kvstore "$server_bin" "$kv2_port" "$BENCH_WORK/k2" "$sync" 2
kv2_pid=$BENCH_PID
BENCH_PID=""
stop_all() {
  bench_stop_server "$redis_port" "$redis_pid"
  bench_stop_server "$kv_port" "$kv1_pid"
  bench_stop_server "$kv2_port" "$kv2_pid"
}
trap 'stop_all; bench_cleanup' EXIT

declare -A rps cpu csw
servers=(redis kv1 kv2)
IFS=, read -r -a test_list <<<"$tests"
IFS=, read -r -a pipeline_list <<<"$pipelines"
for p in "${pipeline_list[@]}"; do
  for t in "${test_list[@]}"; do
    for ((r = 0; r < rounds; r++)); do
      for ((i = 0; i < 3; i++)); do
        who=${servers[$(((i + r) % 3))]}
        case $who in
          redis) port=$redis_port pid=$redis_pid ;;
          kv1) port=$kv_port pid=$kv1_pid ;;
          kv2) port=$kv2_port pid=$kv2_pid ;;
        esac
        if [[ -n $perf_dir && $who == kv2 && $r == 0 ]]; then
          # An extra run under perf, not counted: sampling costs the server CPU.
          perf record -q -F 999 -g -p "$pid" -o "$BENCH_WORK/perf.data" >/dev/null 2>&1 &
          perf_pid=$!
          sleep 0.3
          measure "$port" "$pid" "$t" "$p" >/dev/null
          kill -INT "$perf_pid" 2>/dev/null || true
          wait "$perf_pid" 2>/dev/null || true
          perf report -i "$BENCH_WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
            grep -v '^#' | grep '%' | grep -v '^ *|' | grep -v -- '--' | head -40 >"$perf_dir/${t}_p$p.txt" || true
        fi
        read -r v c s < <(measure "$port" "$pid" "$t" "$p")
        echo "run: P$p $t $who round $r: $v req/s, $c us CPU/request, $s switches/request"
        rps["$p/$t/$who"]+="$v " cpu["$p/$t/$who"]+="$c " csw["$p/$t/$who"]+="$s "
      done
    done
  done
done

median_of() { echo "$1" | tr ' ' '\n' | grep . | bench_median; }
echo
printf "%-3s %-11s | %10s %10s %10s | %8s %8s %8s | %7s %7s %7s\n" P test \
  "redis r/s" "kv-1 r/s" "kv-2 r/s" "redis us" "kv-1 us" "kv-2 us" "redis cs" "kv-1 cs" "kv-2 cs"
for p in "${pipeline_list[@]}"; do
  for t in "${test_list[@]}"; do
    line=$(printf "%-3s %-11s |" "$p" "$t")
    for m in rps cpu csw; do
      for who in "${servers[@]}"; do
        case $m in
          rps) v=$(median_of "${rps[$p/$t/$who]}"); line+=$(printf " %10.0f" "$v"); unit=req/s ;;
          cpu) v=$(median_of "${cpu[$p/$t/$who]}"); line+=$(printf " %8s" "$v"); unit=us/request ;;
          csw) v=$(median_of "${csw[$p/$t/$who]}"); line+=$(printf " %7s" "$v"); unit=switches/request ;;
        esac
        if [[ -n $csv ]]; then
          comp=kvstore n=${who#kv}
          [[ $who == redis ]] && comp=redis n=1
          bench_csv_row "$csv" server_profile "${t}_c50_p${p}_sync_$sync" "$comp" "$n" "$m" "$v" \
            "$unit" "$command_line"
        fi
      done
      line+=" |"
    done
    echo "${line% |}"
  done
done

#!/usr/bin/env bash
# Three kvstore-server shards behind twemproxy (Debian's nutcracker, set up as
# docs/SCALING.md describes) against one kvstore-server reached directly, in
# the same run: redis-benchmark SET and GET, 50 clients, 100-byte values,
# random keys (so they spread over the shards), pipeline 1.
#
#   bench/scaleout_bench.sh [--requests N] [--rounds R] [--threads T] [--keys K]
#                           [--sync MODE] [--server PATH]
#
#   --requests  requests per redis-benchmark run (default 100000)
#   --rounds    runs per cell; the median is reported (default 3)
#   --threads   I/O threads of every kvstore-server (default 1)
#   --keys      random keyspace size, redis-benchmark -r (default 100000)
#   --sync      --sync of every kvstore-server (default everysec)
#   --server    a kvstore-server binary (default: a Release build in build-bench)
#
# Direct and proxied runs take turns within each round (order alternating),
# so drift of this shared machine affects both alike. Output: one line per
# run, then the medians and the ratio proxy/direct. Everything listens on
# loopback ports 17400-17404 and keeps its data in a temporary directory
# removed at exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=100000
rounds=3
threads=1
keys=100000
sync=everysec
server_bin=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --sync) sync=$2; shift 2 ;;
    --server) server_bin=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scaleout_bench: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done

source "$root/bench/bench_lib.sh"
bench_install_packages nutcracker redis-tools
nutcracker=$(command -v nutcracker || echo /usr/sbin/nutcracker)
[[ -z $server_bin ]] && server_bin=$(bench_release_server "$root")

work=$(mktemp -d "${TMPDIR:-/tmp}/scaleout-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

proxy_port=17400
direct_port=17404
shard_ports=(17401 17402 17403)

for port in "${shard_ports[@]}" "$direct_port"; do
  "$server_bin" --port "$port" --dir "$work/data-$port" --sync "$sync" --threads "$threads" \
    --log-level warn >"$work/server-$port.log" 2>&1 &
  pids+=($!)
done
cat >"$work/nutcracker.yml" <<EOF
kvstore:
  listen: 127.0.0.1:$proxy_port
  redis: true
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: false
  timeout: 2000
  preconnect: true
  servers:
    - 127.0.0.1:${shard_ports[0]}:1 shard1
    - 127.0.0.1:${shard_ports[1]}:1 shard2
    - 127.0.0.1:${shard_ports[2]}:1 shard3
EOF
"$nutcracker" -c "$work/nutcracker.yml" -o "$work/nutcracker.log" -p "$work/nutcracker.pid" \
  -s 17405 -a 127.0.0.1 &
pids+=($!)
for port in "${shard_ports[@]}" "$direct_port" "$proxy_port"; do bench_wait_ready "$port"; done

# Prints requests per second of one redis-benchmark run. redis-benchmark asks
# for CONFIG first, which the proxy does not route: it warns and goes on.
rps() {  # port test
  redis-benchmark -p "$1" -t "$2" -n "$requests" -c 50 -d 100 -r "$keys" --csv 2>/dev/null |
    awk -F'","' 'NR > 1 { gsub(/"/, "", $2); print $2; exit }'
}

bench_banner
echo "== $("$nutcracker" --version 2>&1 | head -1), kvstore-server --sync $sync --threads $threads, $requests requests, 50 clients, 100-byte values, keyspace $keys, $rounds rounds"
# Fill both keyspaces once so that GETs hit.
redis-benchmark -p "$direct_port" -t set -n "$keys" -c 50 -d 100 -P 16 -r "$keys" -q >/dev/null 2>&1
redis-benchmark -p "$proxy_port" -t set -n "$keys" -c 50 -d 100 -P 16 -r "$keys" -q >/dev/null 2>&1
declare -A results
for t in set get; do
  for ((r = 0; r < rounds; r++)); do
    if (( r % 2 == 0 )); then order="direct proxy"; else order="proxy direct"; fi
    for who in $order; do
      port=$direct_port; [[ $who == proxy ]] && port=$proxy_port
      v=$(rps "$port" "$t")
      echo "run: $t $who round $r: $v req/s"
      results["$t/$who"]+="$v "
    done
  done
done

echo
printf "%-4s %16s %22s %8s\n" op "direct req/s" "3 shards+proxy req/s" ratio
for t in set get; do
  d=$(echo "${results[$t/direct]}" | tr ' ' '\n' | grep . | bench_median)
  p=$(echo "${results[$t/proxy]}" | tr ' ' '\n' | grep . | bench_median)
  ratio=$(awk -v a="$p" -v b="$d" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf "%-4s %16.0f %22.0f %7sx\n" "$t" "$d" "$p" "$ratio"
done

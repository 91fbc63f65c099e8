#!/usr/bin/env bash
# Under disk pressure: SET latency and durability of kvstore-server and
# Debian's redis-server while another process saturates the disk, against
# the same load without it (docs/BENCHMARKS.md, "Under disk pressure").
# Both servers in the same run, taking turns.
#
#   bench/disk_pressure.sh [--clients C] [--procs P] [--seconds S]
#       [--rounds R] [--modes LIST] [--dir DIR] [--pressure-mb MB]
#       [--writers N] [--grace S] [--threads T] [--server PATH]
#       [--ports A,B] [--csv FILE]
#
#   --clients      connections, one SET at a time each (default 32)
#   --procs        client processes sharing them (default 2)
#   --seconds      measured seconds per run, after 1 s of warm-up (default 10)
#   --rounds       runs per server, mode and condition (default 1); with more,
#                  the median throughput, p50 and p99 and the highest max are
#                  reported
#   --modes        persistence modes, comma-separated (default
#                  everysec,always): kvstore-server --sync MODE against Redis
#                  with appendonly yes, appendfsync MODE, no RDB
#   --dir          where the temporary data directories and the pressure file
#                  go, on the file system under test (default /var/tmp)
#   --writers      disk writers running at once (default 4: one writer
#                  keeps a single request in flight, which a virtual disk
#                  serves without making anybody else's syncs wait much)
#   --pressure-mb  total size of the pressure files, one per writer, each
#                  rewritten in a loop (default 2048); the file system needs
#                  this plus 2 GiB free
#   --grace        seconds before the kill within which everysec may lose
#                  acknowledged writes (default 2: Redis and kvstore-server
#                  sync once a second, and Redis may postpone a sync by one
#                  more second while the previous one is still running)
#   --threads      kvstore-server I/O threads (default 0: the server's own, one per core but one)
#   --server       kvstore-server binary (default: a Release build in build-bench)
#   --ports        the two loopback ports, redis then kvstore (default 16799,16899)
#   --csv          append the figures and ratios to FILE in the format of
#                  docs/results/benchmarks.csv
#
# For each mode, round and server (order alternating per round), two runs:
# baseline, then pressure. A run starts the server afresh with an empty data
# directory; under pressure it also starts the disk writers, each `dd
# if=/dev/zero bs=1M count=MB/N oflag=direct` over a file of its own in a
# loop (O_DIRECT: straight to the disk, not the page cache), 1 s
# before the load and until the server has restarted. The load
# (bench/disk_pressure_client.py) sends SETs of keys c<client>:<n> with
# 100-byte values, one request in flight per connection, times each request
# and logs what was acknowledged; at the end of the measured period it kills
# the server with SIGKILL, requests still in flight. The server is then
# restarted on the same directory and every acknowledged key is read back:
# at always all must be there, at everysec all those acknowledged more than
# --grace seconds before the kill. Reported per run: SETs per second, p50,
# p99 and max latency, the disk's write rate (all writers), the restart
# time, lost keys; then a table per mode and the ratios kvstore/redis. Exit
# status 1 if any promised key was lost. A default run takes about 3 minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
clients=32
procs=2
seconds=10
rounds=1
modes="everysec,always"
dir=/var/tmp
pressure_mb=2048
writers=4
grace=2
sync=everysec  # bench_pair_setup checks it; the modes come from --modes
threads=0
server_bin=""
ports="16799,16899"
csv=""
source "$root/bench/bench_lib.sh"
cmdline="bench/disk_pressure.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --procs) procs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --pressure-mb) pressure_mb=$2; shift 2 ;;
    --grace) grace=$2; shift 2 ;;
    --writers) writers=$2; shift 2 ;;
    --sync) echo "$(basename "$0"): use --modes (try --help)" >&2; exit 2 ;;
    *) bench_pair_flag "$1" "${2-}"; shift 2 ;;
  esac
done

me=$(basename "$0")
IFS=, read -r -a mode_list <<<"$modes"
for m in "${mode_list[@]}"; do
  [[ $m == everysec || $m == always ]] || { echo "$me: --modes takes everysec and/or always" >&2; exit 2; }
done
[[ $writers =~ ^[1-9][0-9]?$ ]] || { echo "$me: --writers must be 1 to 99" >&2; exit 2; }
[[ $pressure_mb =~ ^[1-9][0-9]*$ ]] || { echo "$me: --pressure-mb must be a positive integer" >&2; exit 2; }
[[ -d $dir && -w $dir ]] || { echo "$me: --dir $dir is not a writable directory" >&2; exit 2; }
avail_mb=$(( $(df --output=avail -k "$dir" | tail -1) / 1024 ))
if (( avail_mb < pressure_mb + 2048 )); then
  echo "$me: $dir has $avail_mb MB free; the pressure file needs $pressure_mb MB plus 2048 MB of margin" >&2
  exit 1
fi

export TMPDIR=$dir  # bench_workdir makes the work directory there
bench_pair_setup disk-pressure
writer_pids=()
trap 'stop_pressure; bench_cleanup' EXIT

# The block device under --dir, for its write counter (empty if there is none).
dev=$(basename "$(df --output=source "$dir" | tail -1)")
[[ -r /sys/class/block/$dev/stat ]] || dev=""
echo "== redis-server $(redis-server --version | awk '{print $3}'), kvstore-server --threads $threads ($server_bin); modes $modes; $clients clients in $procs processes, pipeline 1, 100-byte values, $seconds s per run, $rounds rounds"
echo "== data and pressure file in $BENCH_WORK ($(df --output=source,fstype "$dir" | tail -1 | tr -s ' '), $avail_mb MB free), $writers writers, $pressure_mb MB of pressure files, everysec grace $grace s"

# Sectors written to the device so far (0 without a device).
sectors_written() { if [[ -n $dev ]]; then awk '{ print $7 }' "/sys/class/block/$dev/stat"; else echo 0; fi; }

start_pressure() {
  local i
  for ((i = 0; i < writers; i++)); do
    (
      trap 'kill "$dd_pid" 2>/dev/null; exit 0' TERM
      while :; do
        dd if=/dev/zero of="$BENCH_WORK/pressure.$i" bs=1M count=$((pressure_mb / writers)) \
          oflag=direct status=none &
        dd_pid=$!
        wait "$dd_pid" || exit 1
      done
    ) &
    writer_pids+=($!)
  done
  sleep 1
}

stop_pressure() {
  local pid
  for pid in "${writer_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  writer_pids=()
  rm -f "$BENCH_WORK"/pressure.*
}

# Restarts the server killed by the client on its data directory; prints the seconds it took.
restart() {  # who mode
  local t0
  t0=$(date +%s.%N)
  if [[ $1 == redis ]]; then
    bench_start_redis "$BENCH_PORT" "$BENCH_WORK/data" "$2"
  else
    bench_start_kvstore "$server_bin" "$BENCH_PORT" "$BENCH_WORK/data" "$2" "$threads"
  fi
  disown "$BENCH_PID"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }' >"$BENCH_WORK/restart_s"
}

# Results, keyed "mode,who,condition": space-separated values, one per round.
declare -A rps p50 p99 maxl lost
lost_total=0

# One run; prints its line and records its figures.
run_one() {  # mode who condition(baseline|pressure) round
  local mode=$1 who=$2 cond=$3 s0 s1 t0 t1 k="$1,$2,$3"
  bench_start_one "$who" "$redis_port" "$kv_port" "$mode" "$server_bin" "$threads"
  disown "$BENCH_PID"  # the client kills it: no "Killed" notice from this shell
  if [[ $cond == pressure ]]; then start_pressure; fi
  s0=$(sectors_written)
  t0=$(date +%s.%N)
  python3 "$root/bench/disk_pressure_client.py" load --port "$BENCH_PORT" \
    --server-pid "$BENCH_PID" --clients "$clients" --procs "$procs" --seconds "$seconds" \
    --grace "$grace" --ack-log "$BENCH_WORK/ack.json" >"$BENCH_WORK/run.json"
  s1=$(sectors_written)
  t1=$(date +%s.%N)
  while kill -0 "$BENCH_PID" 2>/dev/null; do sleep 0.05; done  # killed by the client
  restart "$who" "$mode"
  stop_pressure
  python3 "$root/bench/disk_pressure_client.py" verify --port "$BENCH_PORT" \
    --ack-log "$BENCH_WORK/ack.json" --mode "$mode" >"$BENCH_WORK/verify.json"
  bench_stop_one
  local warnings="" r a b m acked cc sc lo req ming
  if [[ $who == redis ]]; then
    warnings=", $(grep -c 'fsync is taking too long' "$BENCH_WORK/data/redis.log" || true) 'AOF fsync is taking too long' warnings"
  fi
  read -r r a b m acked cc sc lo req ming < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2]))
print(d["rps"], d["p50_ms"], d["p99_ms"], d["max_ms"], d["acked"], d["client_cpu_pct"],
      d["server_cpu_pct"], v["lost"], v["required"], v["missing_in_grace"])' \
    "$BENCH_WORK/run.json" "$BENCH_WORK/verify.json")
  local disk
  disk=$(awk -v s="$((s1 - s0))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s * 512 / 1e6 / (b - a) }')
  echo "run: $mode $who $cond round $4: $r SET/s, p50 $a ms, p99 $b ms, max $m ms;" \
    "CPU client ${cc}% server ${sc}%; disk writes $disk MB/s; restart $(cat "$BENCH_WORK/restart_s") s;" \
    "lost $lo of $req promised keys ($acked acknowledged, $ming of the last ${grace} s missing)$warnings"
  rps[$k]+="$r "; p50[$k]+="$a "; p99[$k]+="$b "; maxl[$k]+="$m "; lost[$k]+="$lo "
  lost_total=$((lost_total + lo))
}

median_of() { tr ' ' '\n' | grep . | bench_median; }
max_of() { tr ' ' '\n' | grep . | sort -g | tail -1; }
sum_of() { tr ' ' '\n' | grep . | awk '{ s += $1 } END { print s + 0 }'; }

for mode in "${mode_list[@]}"; do
  for ((r = 0; r < rounds; r++)); do
    if (( r % 2 == 0 )); then order="redis kv"; else order="kv redis"; fi
    for who in $order; do
      run_one "$mode" "$who" baseline "$r"
      run_one "$mode" "$who" pressure "$r"
    done
  done
done

goal_max=""
for mode in "${mode_list[@]}"; do
  echo
  echo "== $mode (kvstore --sync $mode, redis appendfsync $mode)"
  printf "%-8s %-9s %10s %9s %9s %10s %6s\n" server condition "SET/s" "p50 ms" "p99 ms" "max ms" lost
  declare -A med=()
  for who in redis kv; do
    for cond in baseline pressure; do
      k="$mode,$who,$cond"
      med[$k,rps]=$(echo "${rps[$k]}" | median_of)
      med[$k,max]=$(echo "${maxl[$k]}" | max_of)
      med[$k,p50]=$(echo "${p50[$k]}" | median_of)
      med[$k,p99]=$(echo "${p99[$k]}" | median_of)
      med[$k,lost]=$(echo "${lost[$k]}" | sum_of)
      name=$who; [[ $who == kv ]] && name=kvstore
      printf "%-8s %-9s %10s %9s %9s %10s %6s\n" "$name" "$cond" "${med[$k,rps]}" \
        "${med[$k,p50]}" "${med[$k,p99]}" "${med[$k,max]}" "${med[$k,lost]}"
      if [[ -n $csv ]]; then
        workload="set_c${clients}_sync_${mode}_${cond}"
        th=1; [[ $who == kv ]] && th=$threads
        for metric in rps p50 p99 max lost; do
          case $metric in
            rps) label=median; unit=ops/s ;;
            p50|p99) label=${metric}_latency; unit=ms ;;
            max) label=max_latency; unit=ms ;;
            lost) label=lost_acknowledged_keys; unit=keys ;;
          esac
          bench_csv_row "$csv" disk_pressure "$workload" "$name" "$th" "$label" \
            "${med[$k,$metric]}" "$unit" "$cmdline"
        done
      fi
    done
  done
  for cond in baseline pressure; do
    tr=$(bench_ratio "${med[$mode,kv,$cond,rps]}" "${med[$mode,redis,$cond,rps]}")
    mr=$(bench_ratio "${med[$mode,kv,$cond,max]}" "${med[$mode,redis,$cond,max]}")
    echo "kvstore/redis $cond: throughput ${tr}x, max latency ${mr}x"
    if [[ -n $csv ]]; then
      workload="set_c${clients}_sync_${mode}_${cond}"
      bench_csv_row "$csv" disk_pressure "$workload" kvstore "$threads" ratio_vs_redis "$tr" x "$cmdline"
      bench_csv_row "$csv" disk_pressure "$workload" kvstore "$threads" max_latency_ratio_vs_redis "$mr" x "$cmdline"
    fi
    if [[ $mode == everysec && $cond == pressure ]]; then goal_max=$mr; fi
  done
  unset med
done
if [[ -n $csv ]]; then
  bench_csv_row "$csv" disk_pressure "set_c${clients}" machine "" load_average_1min \
    "$(cut -d' ' -f1 /proc/loadavg)" "" "$cmdline"
fi

echo
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $goal_max ]]; then
  if awk -v r="$goal_max" 'BEGIN { exit !(r <= 0.10) }'; then verdict=met; else verdict="NOT met"; fi
  echo "goal: max latency under pressure at everysec <= 1/10 of redis-server's: $verdict (${goal_max}x)"
fi
if (( lost_total > 0 )); then
  echo "goal: nothing acknowledged is lost: NOT met ($lost_total promised keys lost)"
  exit 1
fi
echo "goal: nothing acknowledged is lost: met"

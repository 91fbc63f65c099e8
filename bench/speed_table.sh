#!/usr/bin/env bash
# The project's speed table (docs/BENCHMARKS.md, "The speed table") in one run:
# every figure against its comparison measured in the same run, rounds
# interleaved (kvstore and its comparison take turns, the order reversed each
# round), medians and per-round ratio ranges, one table, optional CSV rows.
#
#   bench/speed_table.sh [--rounds R] [--keys N] [--csv FILE] [--dir PATH]
#                        [--build DIR] [--requests N] [--port P] [--no-server]
#
#   --rounds    rounds of every figure (default 3)
#   --keys      keys of the store figures (default 1000000)
#   --csv       append the figures to FILE (columns of docs/results/benchmarks.csv;
#               machine label $BENCH_MACHINE, default vm-2c-xeon)
#   --dir       parent of the data directories (default $TMPDIR or /tmp)
#   --build     Release build directory to use (default build-bench, configured
#               and built here with -DKVSTORE_BUILD_BENCH=ON)
#   --requests  requests per redis-benchmark run of the server rows (default 200000)
#   --port      loopback port of the redis-server the persistence rows start (default 16581)
#   --no-server leave out the server rows (bench/redis_compare.sh)
#
# What each row runs:
#   get, fill, mixed, durable writes  kvstore_compare --only get,fill,mixed,always
#       (kvstore against the seed design; kAlways against this disk's raw
#       append+fdatasync rate in the same directory, measured with a second
#       thread spinning so that the vCPUs do not idle; the rate with the CPU
#       left idle is shown for information)
#   memory     memory_per_key kvstore / seed, a process each
#   WAL replay speed_probe wal (fill the WAL, close), then speed_probe replay: a
#              fresh process opens the WAL; against redis-server loading an AOF of
#              the same SETs (appendonly yes, aof-use-rdb-preamble no, restart),
#              its "DB loaded from append only file" time
#   save       speed_probe save (fill, then save_to_file wall time) against
#              redis-cli SAVE wall time of the same keys (filled with redis-cli --pipe)
#   load       speed_probe load in a fresh process against redis-server restarted
#              on that dump.rdb, its "DB loaded from disk" time
#   server     bench/redis_compare.sh --rounds R (pipeline 1 and 16, SET and GET,
#              everysec and always)
# Exit status: 0 if every target is met, 1 if one is not, 2+ on errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=3
keys=1000000
csv=""
data_parent=${TMPDIR:-/tmp}
build="$root/build-bench"
requests=200000
port=16581
server=1
command="bench/speed_table.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --csv) csv=$2; shift 2 ;;
    --dir) data_parent=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --no-server) server=0; shift ;;
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "speed_table: unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ -n $csv && $csv != /* ]] && csv="$PWD/$csv"

source "$root/bench/bench_lib.sh"
bench_install_packages redis-server redis-tools libleveldb-dev  # kvstore_compare links LevelDB
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVSTORE_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j2 kvstore_compare memory_per_key speed_probe >/dev/null
bin="$build/bench"
bench_require_free_ports "$port"

mkdir -p "$data_parent"
work=$(mktemp -d "$data_parent/speed-table.XXXXXX")
redis_pid=""
cleanup() {
  if [[ -n $redis_pid ]]; then bench_stop_server "$port" "$redis_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
samples="$work/samples.tsv"  # figure<TAB>kv|cmp<TAB>value, in round order
: >"$samples"
sample() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$samples"; echo "  $1 $2 $3" >&2; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }  # key=value line on stdin

bench_banner
echo "== data directory: $(df -T "$work" | awk 'NR==2 {print $2 " on " $1}'), $keys keys, $rounds rounds"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- store rows against the seed and the raw disk (kvstore_compare) ----
echo "== kvstore_compare (get, fill, mixed, durable writes)" >&2
"$bin/kvstore_compare" --keys "$keys" --rounds "$rounds" --only get,fill,mixed,always --no-leveldb \
  --dir "$work" --samples "$work/compare.tsv" >"$work/compare.out" 2>&1 || true
[[ -s $work/compare.tsv ]] || { cat "$work/compare.out" >&2; exit 3; }
# Each row against the seed only: the get rows also hold the ceiling's samples.
awk -F'\t' '
  function side(c) { return c == "kvstore" ? "kv" : c == "seed" ? "cmp" : "" }
  $1 == "get, 2 threads" && side($2) != "" { print "get2\t" side($2) "\t" $3 }
  $1 == "fill, 1 thread" && side($2) != "" { print "fill1\t" side($2) "\t" $3 }
  $1 == "fill, 2 threads" && side($2) != "" { print "fill2\t" side($2) "\t" $3 }
  $1 == "mixed 90/10, 2 threads" && side($2) != "" { print "mixed\t" side($2) "\t" $3 }
  $1 ~ /^kAlways, [0-9]+ writers/ && $2 == "kvstore kAlways" { print "always\tkv\t" $3 }
  $1 ~ /^kAlways, [0-9]+ writers/ && $2 == "raw append+fdatasync" { print "always\tcmp\t" $3 }
  $1 ~ /^kAlways, [0-9]+ writers/ && $2 == "raw, idle CPU" { print "raw_idle\tkv\t" $3 }
  $1 == "kAlways, writes per fdatasync" { print "per_sync\tkv\t" $3 }
' "$work/compare.tsv" >>"$samples"

# ---- persistence rows against redis-server, and memory ----
redis_start() {  # dir, then redis-server flags
  local dir=$1
  shift
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --daemonize no \
    --logfile "$dir/redis.log" "$@" &
  redis_pid=$!
  for _ in $(seq 1 6000); do  # up to 10 min: loading answers -LOADING, not PONG
    redis-cli -p "$port" PING 2>/dev/null | grep -q PONG && return 0
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "speed_table: redis-server did not come up (log: $dir/redis.log)" >&2
  exit 3
}
redis_stop() {
  bench_stop_server "$port" "$redis_pid"
  redis_pid=""
}
redis_fill() {
  "$bin/speed_probe" resp --keys "$keys" | redis-cli -p "$port" --pipe >/dev/null
  local n
  n=$(redis-cli -p "$port" DBSIZE)
  [[ $n == "$keys" ]] || { echo "speed_table: redis holds $n keys, expected $keys" >&2; exit 3; }
}
# Seconds of the last "DB loaded from ..." line of a redis log.
redis_load_seconds() { sed -n 's/.*DB loaded from [a-z ]*: \([0-9.]*\) seconds.*/\1/p' "$1" | tail -1; }

redis_round() {
  local d="$work/redis"
  rm -rf "$d"
  # RDB: SAVE of the filled keys (wall time of the command), then load it in a fresh process.
  redis_start "$d" --appendonly no
  redis_fill
  local t0 t1
  t0=$(date +%s.%N)
  redis-cli -p "$port" SAVE >/dev/null
  t1=$(date +%s.%N)
  sample save cmp "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
  redis_stop
  redis_start "$d" --appendonly no
  sample load cmp "$(redis_load_seconds "$d/redis.log")"
  redis_stop
  rm -rf "$d"
  # AOF of the same SETs, plain RESP (no RDB preamble, no rewrite), loaded by a restart.
  local aof=(--appendonly yes --appendfsync everysec --aof-use-rdb-preamble no --auto-aof-rewrite-percentage 0)
  redis_start "$d" "${aof[@]}"
  redis_fill
  redis_stop
  redis_start "$d" "${aof[@]}"
  local s
  s=$(redis_load_seconds "$d/redis.log")
  sample replay cmp "$(awk -v n="$keys" -v s="$s" 'BEGIN { printf "%.0f", n / s }')"
  redis_stop
  rm -rf "$d"
}

kv_round() {
  local d="$work/kv"
  rm -rf "$d"
  "$bin/speed_probe" wal "$d/wal" --keys "$keys" >/dev/null
  sample replay kv "$("$bin/speed_probe" replay "$d/wal" --keys "$keys" | field records_per_s)"
  "$bin/speed_probe" save "$d/snap" --keys "$keys" >"$work/save.out"
  sample save kv "$(field save_seconds <"$work/save.out")"
  sample load kv "$("$bin/speed_probe" load "$d/snap" --keys "$keys" | field load_seconds)"
  rm -rf "$d"
}

for ((r = 0; r < rounds; r++)); do
  echo "== round $((r + 1))/$rounds: memory, replay, save, load" >&2
  sample memory kv "$("$bin/memory_per_key" kvstore --keys "$keys" --dir "$work" | field bytes_per_key)"
  sample memory cmp "$("$bin/memory_per_key" seed --keys "$keys" --dir "$work" | field bytes_per_key)"
  if ((r % 2 == 0)); then kv_round; redis_round; else redis_round; kv_round; fi
done

# ---- server rows (bench/redis_compare.sh) ----
if [[ $server == 1 ]]; then
  echo "== bench/redis_compare.sh --rounds $rounds --requests $requests" >&2
  bash "$root/bench/redis_compare.sh" --rounds "$rounds" --requests "$requests" >"$work/server.out" 2>&1 ||
    { cat "$work/server.out" >&2; exit 3; }
  # run: everysec P1 set kv round 0: 12345.6 req/s
  awk '/^run: / { side = ($5 == "kv" ? "kv" : "cmp"); v = $8
                  print "server_" $4 "_" $2 "_" $3 "\t" side "\t" v }' "$work/server.out" >>"$samples"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----
# id|figure|kvstore unit|comparison|check (ratio>= ratio<= value<= value>=)|target|goal|threads|csv workload|unit
rows=$(cat <<EOF
get2|random gets, 2 threads|ops/s|seed|ratio>=|2.5|3|2|get_random|ops/s
fill1|fill, everysec, 1 thread|ops/s|seed|ratio>=|1.3|2|1|fill_everysec|ops/s
fill2|fill, everysec, 2 threads|ops/s|seed|ratio>=|2|4|2|fill_everysec|ops/s
mixed|mixed 90% get / 10% set, 2 threads|ops/s|seed|ratio>=|5|10|2|mixed_90_10|ops/s
always|durable (kAlways) writes, 32 threads|writes/s|raw append+fdatasync|ratio>=|16|28|32|always_writes|writes/s
per_sync|writes per fdatasync (kAlways, 32 threads)|writes|-|value>=|16||32|always_writes_per_sync|writes
raw_idle|(information) raw append+fdatasync, CPU left idle|writes/s|-|none|||1|raw_append_fdatasync_idle_cpu|writes/s
memory|memory per string key, RSS|B/key|seed|value<=|150|130|1|memory_per_key|bytes
replay|WAL replay of $keys SETs|records/s|redis-server AOF load|ratio>=|2|4|1|wal_replay|records/s
save|snapshot save, $keys keys|s|redis-server SAVE|ratio<=|0.5|0.15|1|snapshot_save|s
load|snapshot load, $keys keys|s|redis-server RDB load|ratio<=|1.0|0.25|1|snapshot_load|s
EOF
)
for mode in everysec always; do
  for p in 1 16; do
    for op in set get; do
      if [[ $p == 1 ]]; then tgt="0.95|"; else tgt="1.3|1.8"; fi
      rows+=$'\n'"server_${op}_${mode}_P$p|server ${op^^}, $mode, pipeline $p|req/s|redis-server|ratio>=|$tgt|50|server_${op}_${mode}_P$p|requests/s"
    done
  done
done

echo
echo "| figure | kvstore | comparison | ratio (per-round range) | target | goal | result |"
echo "|---|---:|---:|---|---|---|---|"
missed=0
while IFS='|' read -r id label unit cmp check target goal threads wl csv_unit; do
  grep -q "^$id"$'\t' "$samples" || continue
  # median kv, median cmp, ratio of medians, per-round min and max
  read -r kv cv ratio lo hi < <(awk -F'\t' -v id="$id" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == id && $2 == "kv" { k[++nk] = $3; kr[nk] = $3 }
    $1 == id && $2 == "cmp" { c[++nc] = $3; cr[nc] = $3 }
    END {
      km = median(k, nk); cm = nc ? median(c, nc) : 0
      lo = 1e300; hi = 0
      for (i = 1; i <= nk && i <= nc; i++) if (cr[i] > 0) { r = kr[i] / cr[i]; if (r < lo) lo = r; if (r > hi) hi = r }
      printf "%.10g %.10g %.4f %.2f %.2f\n", km, cm, (cm > 0 ? km / cm : 0), (nc ? lo : 0), hi
    }' "$samples")
  case $check in
    ratio\>=) ok=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) }'); tt=">= ${target}x" ;;
    ratio\<=) ok=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) }'); tt="<= ${target}x" ;;
    value\<=) ok=$(awk -v r="$kv" -v t="$target" 'BEGIN { print (r <= t) }'); tt="<= $target $unit" ;;
    value\>=) ok=$(awk -v r="$kv" -v t="$target" 'BEGIN { print (r >= t) }'); tt=">= $target $unit" ;;
    none) ok=-; tt="" ;;
  esac
  gt=""
  if [[ -n $goal ]]; then gt="${tt%% *} ${goal}${tt#* "$target"}"; fi
  if [[ $ok == - ]]; then
    result=""
  elif [[ $ok == 1 ]]; then
    result=met
  else
    result="NOT MET"
    missed=$((missed + 1))
  fi
  fmt() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.3g", v }'; }
  if [[ $cmp == - ]]; then
    ctext="-"; rtext="-"
  else
    ctext="$(fmt "$cv") ($cmp)"; rtext=$(printf '%.2fx (%s-%s)' "$ratio" "$lo" "$hi")
  fi
  echo "| $label | $(fmt "$kv") $unit | $ctext | $rtext | $tt | $gt | $result |"
  if [[ -n $csv ]]; then
    export BENCH_MACHINE=${BENCH_MACHINE:-vm-2c-xeon}
    bench_csv_row "$csv" speed_table "$wl" kvstore "$threads" median "$kv" "$csv_unit" "$command"
    if [[ $cmp != - ]]; then
      bench_csv_row "$csv" speed_table "$wl" "$cmp" "$threads" median "$cv" "$csv_unit" "$command"
      bench_csv_row "$csv" speed_table "$wl" kvstore "$threads" ratio "$ratio" x "$command"
      bench_csv_row "$csv" speed_table "$wl" kvstore "$threads" ratio_round_min "$lo" x "$command"
      bench_csv_row "$csv" speed_table "$wl" kvstore "$threads" ratio_round_max "$hi" x "$command"
    fi
  fi
done <<<"$rows"
if [[ -n $csv ]]; then
  bench_csv_row "$csv" speed_table machine - - load_average_1min_start "${load_start%% *}" load "$command"
  bench_csv_row "$csv" speed_table machine - - load_average_1min_end "${load_end%% *}" load "$command"
fi
echo
echo "median of $rounds round(s); load average $load_start at start, $load_end at end; $missed target(s) not met."
((missed == 0))

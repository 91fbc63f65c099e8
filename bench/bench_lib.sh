# shellcheck shell=bash
# Shared by the server benchmark scripts (bench/redis_compare.sh,
# bench/scaleout_bench.sh, bench/expire_reclaim_bench.sh, bench/script_bench.sh,
# bench/multi_exec_bench.sh, bench/types_bench.sh, bench/server_profile.sh and
# others): packages, servers, ports, redis-benchmark runs, medians, CSV rows.
# Source it, do not run it.

# Installs the Debian packages given that are missing.
bench_install_packages() {
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

# Builds kvstore-server as a Release build (as Redis is) in <root>/build-bench
# and prints its path.
bench_release_server() {  # root
  cmake -S "$1" -B "$1/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$1/build-bench" -j2 kvstore-server >/dev/null
  echo "$1/build-bench/server/kvstore-server"
}

# The I/O threads kvstore-server runs with --threads T: T, or for 0 the
# server's default (one per core but one, at least one), so that reports
# and CSV rows name the number that ran.
bench_io_threads() {  # threads
  local cores
  if [[ $1 != 0 ]]; then echo "$1"; return; fi
  cores=$(nproc)
  echo $((cores > 2 ? cores - 1 : 1))
}

# Waits until something answers PING on the port (10 s at most).
bench_wait_ready() {  # port
  for _ in $(seq 1 100); do
    redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): nothing answers PING on port $1" >&2
  exit 1
}

# The median of the numbers on standard input, one per line.
bench_median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Fails unless nothing listens on each TCP port given (loopback benchmarks
# must not talk to somebody else's server).
bench_require_free_ports() {  # port...
  local p
  for p in "$@"; do
    if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$(basename "$0"): port $p is in use; pick other ports (see --help)" >&2
      exit 1
    fi
  done
}

# Starts Debian's redis-server in the background on a loopback port with its
# data in dir (created) and sets BENCH_PID (read by the caller). persistence: "no" (no RDB, no
# AOF) or an appendfsync mode (everysec, always: AOF on, no RDB).
bench_start_redis() {  # port dir persistence
  mkdir -p "$2"
  local args=(--save '')
  if [[ $3 == no ]]; then args+=(--appendonly no); else args+=(--appendonly yes --appendfsync "$3"); fi
  redis-server --port "$1" --bind 127.0.0.1 --dir "$2" "${args[@]}" --daemonize no \
    --logfile "$2/redis.log" &
  BENCH_PID=$!
  bench_wait_ready "$1"
}

# Starts kvstore-server in the background and sets BENCH_PID.
bench_start_kvstore() {  # binary port dir sync threads
  mkdir -p "$3"
  "$1" --port "$2" --dir "$3" --sync "$4" --threads "$5" --log-level warn >"$3/kv.log" 2>&1 &
  # shellcheck disable=SC2034  # read by the caller
  BENCH_PID=$!
  bench_wait_ready "$2"
}

# Asks the server on port to shut down without saving and waits for pid.
bench_stop_server() {  # port pid
  redis-cli -p "$1" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  kill "$2" 2>/dev/null || true
  wait "$2" 2>/dev/null || true
}

# Prints the banner lines every server benchmark starts with.
bench_banner() {
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Appends one row to a CSV file in the format of docs/results/benchmarks.csv
# (date,machine,version,benchmark,workload,competitor,threads,metric,value,
# unit,command). The machine label is $BENCH_MACHINE (default vm-2c-epyc,
# the machine of docs/BENCHMARKS.md), the version $BENCH_VERSION (default
# main), the date $BENCH_DATE if set (so that every row of one run carries the
# same date, which is how scripts/plots finds a run), else now. The command is
# quoted if it holds a comma or a quote.
bench_csv_row() {  # file benchmark workload competitor threads metric value unit command
  local file=$1 cmd=$9
  if [[ $cmd == *[,\"]* ]]; then cmd="\"${cmd//\"/\"\"}\""; fi
  [[ -s $file ]] || echo "date,machine,version,benchmark,workload,competitor,threads,metric,value,unit,command" >"$file"
  echo "${BENCH_DATE:-$(date -u +%Y-%m-%dT%H:%MZ)},${BENCH_MACHINE:-vm-2c-epyc},${BENCH_VERSION:-main},$2,$3,$4,$5,$6,$7,$8,$cmd" >>"$file"
}

# The ratio a / b with two decimals (0 when b is 0).
# Requests per second of one redis-benchmark run (50 clients, -r 100000),
# from the row of the test itself: lrange_* first runs an LPUSH to fill the
# list and reports it on a row of its own, which must not be taken for the
# LRANGE figure.
bench_rps() {  # port test pipeline requests
  redis-benchmark -p "$1" -t "$2" -n "$4" -c 50 -P "$3" -r 100000 --csv 2>/dev/null |
    awk -F'","' -v t="$2" 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2)
      if (index($1, toupper(t)) == 1) { print $2; exit } }'
}

# Nanoseconds a process's threads have run on a CPU (all live threads).
bench_cpu_ns() {  # pid
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# The scripts that compare kvstore-server with redis-server one server at a
# time, afresh per run (bench/expire_reclaim_bench.sh,
# bench/multi_exec_bench.sh), share the helpers below: their common flags
# (--rounds --sync --threads --server --ports --csv, in the variables of the
# same names, server_bin for --server), the setup, a work directory
# BENCH_WORK removed at exit with the running server (BENCH_PORT,
# BENCH_PID) stopped first, even on errors or Ctrl-C.

# Takes one common flag and its value. -h/--help prints the script's header
# comment and exits 0; any other flag is an error (exit 2).
# shellcheck disable=SC2034  # the variables belong to the calling script
bench_pair_flag() {  # flag value
  case $1 in
    --rounds) rounds=$2 ;;
    --sync) sync=$2 ;;
    --threads) threads=$2 ;;
    --server) server_bin=$2 ;;
    --ports) ports=$2 ;;
    --csv) csv=$2 ;;
    -h|--help) sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$(basename "$0"): unknown flag $1 (try --help)" >&2; exit 2 ;;
  esac
  if [[ -z $2 ]]; then echo "$(basename "$0"): $1 needs a value" >&2; exit 2; fi
}

# After the flags: checks them, installs what is missing, builds
# kvstore-server unless --server gave one, checks that the ports are free
# (sets redis_port, kv_port; threads 0 becomes the server's default), makes
# the work directory and prints the banner.
bench_pair_setup() {  # name
  bench_check_sync "$sync"
  threads=$(bench_io_threads "$threads")
  bench_install_packages redis-server redis-tools python3
  if [[ -z $server_bin ]]; then
    server_bin=$(bench_release_server "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)")
  fi
  redis_port=${ports%,*}
  kv_port=${ports#*,}
  bench_require_free_ports "$redis_port" "$kv_port"
  bench_workdir "$1"
  bench_banner
}

bench_workdir() {  # name
  BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  BENCH_PID=""
  BENCH_PORT=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  if [[ -n ${BENCH_PID:-} ]]; then bench_stop_server "$BENCH_PORT" "$BENCH_PID"; fi
  rm -rf "$BENCH_WORK"
}

# Starts "redis" or "kv" (kvstore-server) on its port with an empty data
# directory, at like persistence: sync "no" is kvstore --sync no against
# Redis without AOF or RDB, "everysec" kvstore --sync everysec against Redis
# with appendonly yes and appendfsync everysec.
bench_start_one() {  # who redis_port kv_port sync kvstore_binary kvstore_threads
  rm -rf "$BENCH_WORK/data"
  if [[ $1 == redis ]]; then
    BENCH_PORT=$2
    bench_start_redis "$2" "$BENCH_WORK/data" "$4"
  else
    BENCH_PORT=$3
    bench_start_kvstore "$5" "$3" "$BENCH_WORK/data" "$4" "$6"
  fi
}

# Fails unless sync is a mode bench_start_one knows.
bench_check_sync() {  # sync
  case $1 in
    no|everysec) ;;
    *) echo "$(basename "$0"): --sync must be no or everysec" >&2; exit 2 ;;
  esac
}

bench_stop_one() {
  bench_stop_server "$BENCH_PORT" "$BENCH_PID"
  BENCH_PID=""
}

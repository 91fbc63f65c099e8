# shellcheck shell=bash
# Shared by the redis-benchmark scripts (bench/redis_compare.sh,
# bench/scaleout_bench.sh); source it, do not run it.

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

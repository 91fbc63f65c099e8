#!/usr/bin/env bash
# Runs Redis 7.0's own test suite (a copy kept outside this repository) against
# kvstore-server, or against Debian's redis-server to compare side by side.
# Each unit runs in its own runner process against its own fresh server, so a
# crash or a hang in one unit cannot spoil the figures of the next. The summary
# (and --report FILE) is parsed from the runner's [ok] / [err] / [skip] /
# [ignore] / [exception] lines. See docs/REDIS-COMPAT.md.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Units run when no --unit is given: the ones whose results docs/REDIS-COMPAT.md tracks.
kDefaultUnits=(unit/type/string unit/keyspace unit/info-command unit/expire unit/multi
  unit/type/incr unit/protocol unit/auth unit/quit unit/pubsub unit/bitops unit/bitfield
  unit/scripting unit/functions unit/type/hash unit/type/set unit/type/zset unit/scan
  unit/type/list)
# Tests that need something outside a Redis-compatible data server's contract:
# DEBUG (Redis's internal introspection), replication, HyperLogLog internals,
# and access to the server's process on the local machine.
kDefaultDenyTags=(-needs:debug -needs:repl -needs:pfdebug -needs:local-process)

usage() {
  cat <<'EOF'
Usage: tests/redis_suite/run.sh [OPTIONS] [-- RUNNER_ARGS...]

Runs Redis 7.0's test suite (tests/test_helper.tcl, in external-server mode)
against a fresh kvstore-server (or redis-server) on a free loopback port,
one unit at a time, and prints per unit how many tests passed, failed and
were skipped, with the names of the failing tests.

Only one run at a time per machine: the runner's client port is fixed, so a
second run waits for the first (flock on /tmp/redis_suite.lock, or
$KVSTORE_SUITE_LOCK). Do not wrap run.sh in flock on that same file.

Options:
  --suite DIR          the suite: a directory holding tests/test_helper.tcl
                       (default: $KVSTORE_REDIS_SUITE; required one way or the other)
  --server NAME        kvstore (default) or redis (Debian's /usr/bin/redis-server,
                       run with --save '' --appendonly no)
  --server-bin PATH    the server binary (default: build/server/kvstore-server of
                       this checkout, or /usr/bin/redis-server)
  --unit UNIT          a unit to run, e.g. unit/type/string (repeatable; default:
                       the twelve units listed in docs/REDIS-COMPAT.md)
  --only NAME          run only this test (exact name, or /REGEX; repeatable)
  --skiptest NAME      skip this test (exact name, or /REGEX; repeatable)
  --known FILE         known failures to skip with --server kvstore
                       (default: tests/redis_suite/known_failures.txt)
  --all                do not skip the known failures (see what still fails;
                       --only runs a known failure only with --all)
  --tags TAG           extra runner tag filter, e.g. -needs:save or needs:repl
                       (repeatable; added to the defaults below)
  --timeout SECONDS    stop a unit that makes no progress for this long (default 120)
  --report FILE        write a TSV: one row per test (server, unit, result, test,
                       detail) and one row per unit (result unit-pass, unit-fail,
                       unit-error or unit-empty; counts and seconds in the detail column)
  --keep               keep the work directory (suite copy, server and runner logs)
  --verbose            show the runner's output while it runs
  -h, --help           this help
  -- RUNNER_ARGS...    passed to test_helper.tcl unchanged (e.g. --accurate)

The runner always gets: --host 127.0.0.1 --port PORT --singledb --clients 1
--durable --ignore-encoding --ignore-digest --timeout SECONDS, and
--tags -needs:debug -needs:repl -needs:pfdebug -needs:local-process.

A unit's status is pass (tests ran, none failed), fail (a test failed), error
(runner exception, timeout, server did not start or died) or empty (no test ran:
all skipped, known failures or excluded by tag).

Exit status: 0 when no unit failed or errored; 1 otherwise; 2 on bad usage.
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

suite=${KVSTORE_REDIS_SUITE:-}
server=kvstore
server_bin=
units=()
only=()
skips=()
known_file=$here/known_failures.txt
use_known=1
extra_tags=()
timeout=120
report=
keep=0
verbose=0
runner_args=()

while [ $# -gt 0 ]; do
  case $1 in
    --suite) [ $# -ge 2 ] || die "--suite needs a directory"; suite=$2; shift 2 ;;
    --server) [ $# -ge 2 ] || die "--server needs kvstore or redis"; server=$2; shift 2 ;;
    --server-bin) [ $# -ge 2 ] || die "--server-bin needs a path"; server_bin=$2; shift 2 ;;
    --unit) [ $# -ge 2 ] || die "--unit needs a unit name"; units+=("${2%.tcl}"); shift 2 ;;
    --only) [ $# -ge 2 ] || die "--only needs a test name"; only+=("$2"); shift 2 ;;
    --skiptest) [ $# -ge 2 ] || die "--skiptest needs a test name"; skips+=("$2"); shift 2 ;;
    --known) [ $# -ge 2 ] || die "--known needs a file"; known_file=$2; shift 2 ;;
    --all) use_known=0; shift ;;
    --tags) [ $# -ge 2 ] || die "--tags needs a tag"; extra_tags+=("$2"); shift 2 ;;
    --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout=$2; shift 2 ;;
    --report) [ $# -ge 2 ] || die "--report needs a file"; report=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --verbose) verbose=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; runner_args=("$@"); break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [ -z "$suite" ]; then
  die "where is Redis 7.0's test suite? Give --suite DIR or set KVSTORE_REDIS_SUITE
to a directory holding tests/test_helper.tcl (Redis 7.0.15's tests/ directory)."
fi
[ -f "$suite/tests/test_helper.tcl" ] ||
  die "$suite/tests/test_helper.tcl not found: --suite / KVSTORE_REDIS_SUITE must name the directory that holds tests/"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds, not '$timeout'"
command -v tclsh8.6 >/dev/null || die "tclsh8.6 not found: install Debian's tcl8.6 (scripts/dev installs it)"

case $server in
  kvstore) server_bin=${server_bin:-$repo/build/server/kvstore-server} ;;
  redis) server_bin=${server_bin:-/usr/bin/redis-server} ;;
  *) die "--server must be kvstore or redis, not '$server'" ;;
esac
[ -x "$server_bin" ] || die "server binary $server_bin not found or not executable
(build it: cmake --build build --target kvstore-server, or give --server-bin)"
server_bin=$(cd "$(dirname "$server_bin")" && pwd)/$(basename "$server_bin")

[ ${#units[@]} -gt 0 ] || units=("${kDefaultUnits[@]}")

# The runner's own client port is fixed, so two runs on one machine would
# talk to each other's servers: wait for any other run to finish.
lock_file=${KVSTORE_SUITE_LOCK:-/tmp/redis_suite.lock}
exec 9>>"$lock_file" || die "cannot open the lock file $lock_file"
if ! flock -n 9; then
  echo "run.sh: another run of the suite holds $lock_file; waiting for it" >&2
  flock 9
fi
for u in "${units[@]}"; do
  [ -f "$suite/tests/$u.tcl" ] || die "no unit '$u' in the suite (no $suite/tests/$u.tcl)"
done
if [ -n "$report" ]; then
  : >"$report" 2>/dev/null || die "cannot write the report file $report"
  report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
fi

# --- the work directory: a copy of the suite, patched ------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/kvstore-redis-suite.XXXXXX")
server_pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  stop_server
  if [ "$keep" = 1 ]; then echo "run.sh: work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The runner writes into tests/tmp, so it always runs on a copy.
cp -r "$suite/tests" "$work/tests"
# Patch of the copy: between tests, external mode runs FUNCTION FLUSH, which a
# server without Redis functions answers with an error that would abort the
# whole run before its first test. Wrap that one call in catch; the tests that
# use FUNCTION themselves still fail, as they should.
sed -i 's/^\(\s*\)r function flush$/\1catch {r function flush} ;# kvstore harness: a server may lack FUNCTION/' \
  "$work/tests/support/server.tcl"
grep -q 'catch {r function flush}' "$work/tests/support/server.tcl" ||
  die "could not patch tests/support/server.tcl (is the suite Redis 7.0's?)"

# --- the server under test ---------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {  # start_server LOGFILE: sets server_pid and port
  local log=$1 data
  port=$(free_port) || die "could not find a free port"
  data=$(mktemp -d "$work/data.XXXXXX")
  if [ "$server" = kvstore ]; then
    "$server_bin" --bind 127.0.0.1 --port "$port" --dir "$data" --sync no --threads 2 \
      >"$log" 2>&1 &
  else
    "$server_bin" --bind 127.0.0.1 --port "$port" --dir "$data" --save '' --appendonly no \
      --daemonize no --logfile "" >"$log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 100); do  # up to 10 s for the server to listen
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    alive "$server_pid" || break
    sleep 0.1
  done
  echo "run.sh: the server did not start listening on 127.0.0.1:$port; its log:" >&2
  cat "$log" >&2
  stop_server
  return 1
}

# alive PID: the process runs (a child that exited stays a zombie until waited
# for, and kill -0 still succeeds on a zombie).
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st:0:1}" != Z ]
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  for _ in $(seq 100); do
    alive "$server_pid" || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

# --- known failures ----------------------------------------------------------
# known_for UNIT: the test names listed for UNIT in the known-failures file
# (lines "unit<TAB>test name<TAB>reason"; # comments and blank lines ignored).
known_for() {
  [ "$use_known" = 1 ] && [ "$server" = kvstore ] && [ -f "$known_file" ] || return 0
  awk -F'\t' -v u="$1" '$0 !~ /^#/ && NF >= 2 && $1 == u { print $2 }' "$known_file"
}
if [ "$use_known" = 1 ] && [ "$server" = kvstore ] && [ ! -f "$known_file" ]; then
  die "known-failures file $known_file not found (give --known FILE, or --all)"
fi

# --- parse a runner log into TSV rows: unit, result, test, detail -----------
# result: ok | err | skip | known | ignore | exception | timeout.
parse_log() {  # parse_log UNIT LOG KNOWN_NAMES_FILE
  awk -v unit="$1" -v knownf="$3" '
    BEGIN {
      OFS = "\t"
      while ((getline k < knownf) > 0) known[k] = 1
    }
    function clean(s) { gsub(/\t/, " ", s); gsub(/\r/, "", s); return s }
    # The runner cuts the first 10 characters off an unexpected error (it
    # expects "assertion:"), then prints the full error as the first line of
    # the stack trace: prefer that line when it holds the cut one.
    function flush_err() {
      if (pending != "") {
        d = d1
        if (d2 != "" && index(d2, d1) > 0) d = d2
        else if (d2 != "") d = d1 " | " d2
        print unit, pending_kind, clean(pending), clean(substr(d, 1, 300))
      }
      pending = ""; d1 = ""; d2 = ""
    }
    /^\[ok\]: / {
      flush_err(); s = substr($0, 7); sub(/ \([0-9]+ ms\)$/, "", s); print unit, "ok", clean(s), ""; next
    }
    /^\[skip\]: / {
      flush_err(); s = substr($0, 9); print unit, ((s in known) ? "known" : "skip"), clean(s), ""; next
    }
    /^\[ignore\]: / {
      flush_err(); s = substr($0, 11); r = s
      if (match(s, /: (Tag: .*|Not supported .*|large memory flag not provided)$/)) {
        r = substr(s, RSTART + 2); s = substr(s, 1, RSTART - 1)
      }
      print unit, "ignore", clean(s), clean(r); next
    }
    /^\[err\]: / {
      flush_err(); s = substr($0, 8); ndetail = 0; d1 = ""; d2 = ""; pending_kind = "err"
      if (sub(/ in tests\/.*\.tcl$/, "", s)) { pending = s; next }
      # Not "NAME in FILE": an error outside any test, in the start_server
      # block; what follows is the error itself.
      pending = "(error outside a test)"; d1 = s; ndetail = 1; next
    }
    /^\[exception\]: / {
      flush_err(); pending = "(runner exception)"; pending_kind = "exception"
      d1 = substr($0, 15); d2 = ""; ndetail = 1; next
    }
    /^\[TIMEOUT\]: / {
      flush_err(); print unit, "timeout", "(runner timeout: no progress)", ""; next
    }
    /^\[[0-9]+\/[0-9]+ done\]|^Testing |^\[ready\]|^Cleanup|^ *The End|^Execution time|^  [0-9]+ seconds - |^!!! WARNING|^\*\*\* \[err\]/ {
      flush_err(); next
    }
    pending != "" && ndetail < 2 && $0 != "" {
      if (ndetail == 0) d1 = $0; else d2 = $0
      ndetail++; next
    }
    END { flush_err() }
  ' "$2"
}

# --- run the units -----------------------------------------------------------
rows=$work/rows.tsv
: >"$rows"
summary=$work/summary.tsv
: >"$summary"
overall=0
echo "Redis test suite against $server ($server_bin), $(date -u '+%Y-%m-%d %H:%M UTC')"

for unit in "${units[@]}"; do
  known_names=$work/known.$$.txt
  known_for "$unit" >"$known_names"
  args=(--host 127.0.0.1 --singledb --clients 1 --durable --ignore-encoding --ignore-digest
    --timeout "$timeout" --single "$unit")
  for t in "${kDefaultDenyTags[@]}" ${extra_tags[@]+"${extra_tags[@]}"}; do args+=(--tags "$t"); done
  for t in ${only[@]+"${only[@]}"}; do args+=(--only "$t"); done
  for t in ${skips[@]+"${skips[@]}"}; do args+=(--skiptest "$t"); done
  while IFS= read -r t; do args+=(--skiptest "$t"); done <"$known_names"
  args+=(${runner_args[@]+"${runner_args[@]}"})

  slug=${unit//\//_}
  log=$work/$slug.runner.log
  slog=$work/$slug.server.log
  echo "--- $unit"
  start=$(date +%s)
  if ! start_server "$slog"; then
    printf '%s\t%s\t%s\t%s\n' "$unit" exception "(server did not start)" "" >>"$rows"
    rc=1
  else
    args+=(--port "$port")
    # TERM=dumb: no colour codes in the lines parsed below. The outer timeout is
    # a backstop in case the runner itself hangs (its own --timeout stops hung tests).
    if [ "$verbose" = 1 ]; then
      (cd "$work" && TERM=dumb timeout $((timeout * 4 + 600)) tclsh8.6 tests/test_helper.tcl "${args[@]}" 2>&1) |
        tee "$log"
      rc=${PIPESTATUS[0]}
    else
      (cd "$work" && TERM=dumb timeout $((timeout * 4 + 600)) tclsh8.6 tests/test_helper.tcl "${args[@]}" >"$log" 2>&1)
      rc=$?
    fi
    parse_log "$unit" "$log" "$known_names" >>"$rows"
    if ! alive "$server_pid"; then
      printf '%s\t%s\t%s\t%s\n' "$unit" exception "(server exited during the unit)" \
        "$(tail -n 3 "$slog" | tr '\t\n' '  ')" >>"$rows"
      rc=1
    fi
    stop_server
  fi
  secs=$(($(date +%s) - start))
  count() { awk -F'\t' -v u="$unit" -v r="$1" '$1 == u && $2 == r' "$rows" | wc -l; }
  ok=$(count ok); err=$(count err); skip=$(count skip); kn=$(count known); ign=$(count ignore)
  exc=$(($(count exception) + $(count timeout)))
  if [ "$exc" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$err" -eq 0 ]; }; then
    status=error
  elif [ "$err" -gt 0 ]; then
    status=fail
  elif [ "$ok" -eq 0 ]; then
    status=empty  # nothing failed, but nothing ran either: not a pass
  else
    status=pass
  fi
  case $status in fail|error) overall=1 ;; esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$unit" "$status" "$ok" "$err" "$((skip + kn + ign))" "$kn" "$ign" "$secs" >>"$summary"
  echo "    $status: $ok passed, $err failed, $((skip + kn + ign)) skipped ($kn known failures, $ign by tag), ${secs}s"
  if [ "$status" = error ]; then
    echo "    runner exit $rc; its last lines:"
    tail -n 5 "$log" 2>/dev/null | sed 's/^/      | /'
  fi
  rm -f "$known_names"
done

# --- summary -----------------------------------------------------------------
echo
echo "Summary ($server): passed / failed / skipped (of which known failures, by tag) / seconds"
total_known=0
while IFS=$'\t' read -r unit status ok err skipped kn ign secs; do
  printf '  %-22s %-5s %4s passed %4s failed %4s skipped (%s known, %s by tag) %4ss\n' \
    "$unit" "$status" "$ok" "$err" "$skipped" "$kn" "$ign" "$secs"
  total_known=$((total_known + kn))
  awk -F'\t' -v u="$unit" '$1 == u && ($2 == "err" || $2 == "exception" || $2 == "timeout") {
    printf "      FAILED [%s] %s\n", $2, $3; if ($4 != "") printf "             %s\n", substr($4, 1, 160) }' "$rows"
done <"$summary"
if [ "$server" = kvstore ]; then
  if [ "$use_known" = 1 ]; then
    echo "$total_known tests skipped as known failures (listed in $known_file; --all runs them)"
  else
    echo "known failures not skipped (--all)"
  fi
fi

if [ -n "$report" ]; then
  {
    printf 'server\tunit\tresult\ttest\tdetail\n'
    awk -F'\t' -v s="$server" 'BEGIN { OFS = "\t" } { print s, $0 }' "$rows"
    awk -F'\t' -v s="$server" 'BEGIN { OFS = "\t" } {
      printf "%s\t%s\tunit-%s\t\tpassed=%s failed=%s skipped=%s known=%s ignored=%s seconds=%s\n",
        s, $1, $2, $3, $4, $5, $6, $7, $8 }' "$summary"
  } >"$report"
  echo "report: $report"
fi

if [ "$overall" = 0 ]; then echo "no test failed"; else echo "FAILED: a unit failed or errored"; fi
exit "$overall"

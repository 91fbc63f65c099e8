#!/usr/bin/env bash
# Installs the kvstore-server package into a clean Debian 12 root and runs the
# service there the way systemd would:
#   1. a minimal bookworm root from Debian's archive (mmdebstrap, the mirror of
#      /etc/apt/sources.list.d/debian.sources), with systemd and the package's
#      dependencies, cached as ~/.cache/kvstore/bookworm-<hash>.tar
#   2. dpkg -i kvstore-server_*.deb: the postinst creates the kvstore user and
#      /var/lib/kvstore
#   3. systemd-analyze verify of the installed unit
#   4. ExecStart of the unit run in the root (chroot) as User=/Group= of the
#      unit (setpriv), on a free port set in /etc/kvstore/kvstore.conf
#   5. redis-cli writes keys, SIGTERM stops it (exit status 0, final
#      snapshot), a second start reads every key back
# Needs root (chroot, mount). About 5 minutes with an empty cache, under one
# minute with it.
#
#   tests/package/deb_install_test.sh [DIR_WITH_DEBS]   (default: build-g-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
debdir=$(cd "${1:-build-g-release}" && pwd)
deb=$(ls "$debdir"/kvstore-server_*.deb | tail -1)
[ "$(id -u)" -eq 0 ] || { echo "deb_install_test: needs root (chroot)" >&2; exit 2; }
for tool in mmdebstrap redis-cli; do
  command -v $tool >/dev/null || { echo "deb_install_test: needs $tool" >&2; exit 2; }
done
start=$(date +%s)

# --- 1. the cached root ---------------------------------------------------------
# The package's dependencies, first of each alternative, without versions.
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u | paste -sd, -)
include="systemd,procps,$deps"
mirror=$(sed -n 's/^URIs: *\(.*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
cache=${KVSTORE_CACHE:-$HOME/.cache/kvstore}
tarball=$cache/bookworm-$(echo "$mirror $include" | sha256sum | cut -c1-16).tar
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  echo "building a Debian 12 root with $include (cached as $tarball)"
  mmdebstrap --variant=minbase --format=tar --include="$include" \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    bookworm "$tarball.tmp" "$mirror" >/dev/null 2>"$cache/mmdebstrap.log" ||
    { tail -20 "$cache/mmdebstrap.log" >&2; exit 1; }
  mv "$tarball.tmp" "$tarball"
fi
root=$(mktemp -d /tmp/kvstore-deb-root.XXXXXX)
pid= listener=
# Runs on every exit, under set -e: no step may fail it (a process already
# gone is fine).
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  if [ -n "$listener" ]; then kill "$listener" 2>/dev/null || true; fi
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root" || true
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
echo "root ready after $(( $(date +%s) - start )) s"

# --- 2. install -------------------------------------------------------------------
cp "$deb" "$root/tmp/"
chroot "$root" dpkg -i "/tmp/$(basename "$deb")" >/dev/null
unit=$root/lib/systemd/system/kvstore-server.service
[ -f "$unit" ] || unit=$root/usr/lib/systemd/system/kvstore-server.service
chroot "$root" getent passwd kvstore >/dev/null || { echo "FAIL: no kvstore user"; exit 1; }
[ "$(chroot "$root" stat -c %U /var/lib/kvstore)" = kvstore ] || { echo "FAIL: /var/lib/kvstore not owned by kvstore"; exit 1; }
echo "ok   installed: user kvstore, /var/lib/kvstore"

# --- 3. the unit ------------------------------------------------------------------
mount -t proc proc "$root/proc"
if ! out=$(chroot "$root" systemd-analyze verify --man=no /lib/systemd/system/kvstore-server.service 2>&1); then
  echo "FAIL: systemd-analyze verify: $out"; exit 1
fi
[ -z "$out" ] || { echo "FAIL: systemd-analyze verify warns: $out"; exit 1; }
echo "ok   systemd-analyze verify"

# --- 4. start it as the unit would ------------------------------------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
group=$(sed -n 's/^Group=//p' "$unit")
port=$(( 20000 + RANDOM % 20000 ))
sed -i "s/^port .*/port $port/" "$root/etc/kvstore/kvstore.conf"
# systemd's notification socket (Type=notify), played by a small listener that
# records each datagram on a line of $root/tmp/notify.log.
notify_listener() {
  rm -f "$root/tmp/notify.sock"
  python3 - "$root/tmp/notify.sock" "$root/tmp/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.settimeout(60)
with open(sys.argv[2], "a") as log:
    try:
        while True:
            log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
            log.flush()
    except socket.timeout:
        pass
PY
  listener=$!
  for _ in $(seq 1 50); do [ -S "$root/tmp/notify.sock" ] && return 0; sleep 0.1; done
}
launch() {
  notify_listener
  # shellcheck disable=SC2086  # ExecStart is a command line
  NOTIFY_SOCKET=/tmp/notify.sock chroot "$root" setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
    -- $exec_start >>"$root/tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$port" PING 2>/dev/null | grep -q PONG && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: the server did not answer on port $port"; cat "$root/tmp/server.log"; exit 1
}
stop() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  pid=
  [ $rc -eq 0 ] || { echo "FAIL: exit status $rc after SIGTERM"; cat "$root/tmp/server.log"; exit 1; }
  kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null || true
  listener=
  grep -q '^READY=1' "$root/tmp/notify.log" || { echo "FAIL: no READY=1 notification"; exit 1; }
  grep -q '^STOPPING=1' "$root/tmp/notify.log" || { echo "FAIL: no STOPPING=1 notification"; exit 1; }
  rm -f "$root/tmp/notify.log"
}
launch
# chroot and setpriv exec, so $pid is kvstore-server itself.
[ "$(ps -o uid= -p "$pid" | tr -d ' ')" = "$(chroot "$root" id -u "$user")" ] ||
  { echo "FAIL: not running as $user"; exit 1; }
for i in $(seq 1 200); do echo "SET key:$i value-$i"; done | redis-cli -p "$port" >/dev/null
[ "$(redis-cli -p "$port" DBSIZE)" = 200 ] || { echo "FAIL: DBSIZE after 200 SETs"; exit 1; }
stop
echo "ok   ExecStart as $user:$group, READY=1, 200 keys written, SIGTERM: STOPPING=1, exit 0"
owners=$(chroot "$root" find /var/lib/kvstore -mindepth 1 -printf '%u\n' | sort -u)
[ "$owners" = kvstore ] || { echo "FAIL: data files owned by: $owners"; exit 1; }

# --- 5. the data survives a restart; the log file is rotated ------------------------
log=/var/log/kvstore/kvstore-server.log
sed -i "s|^# logfile .*|logfile $log|" "$root/etc/kvstore/kvstore.conf"
launch
[ "$(redis-cli -p "$port" DBSIZE)" = 200 ] || { echo "FAIL: DBSIZE after restart"; exit 1; }
[ "$(redis-cli -p "$port" GET key:137)" = value-137 ] || { echo "FAIL: key:137 after restart"; exit 1; }
echo "ok   restart: 200 keys read back"
grep -q 'ready' "$root$log" || { echo "FAIL: nothing in $log"; exit 1; }
# What logrotate does: rename, then SIGHUP (the postrotate of the snippet).
mv "$root$log" "$root$log.1"
kill -HUP "$pid"
for _ in $(seq 1 50); do [ -s "$root$log" ] && break; sleep 0.1; done
grep -q 'reopened' "$root$log" || { echo "FAIL: $log not reopened after SIGHUP"; exit 1; }
redis-cli -p "$port" PING >/dev/null
stop
grep -q 'bye' "$root$log" || { echo "FAIL: the stop was not logged to the new $log"; exit 1; }
! grep -q 'bye' "$root$log.1" || { echo "FAIL: still writing to the rotated file"; exit 1; }
echo "ok   logfile: renamed + SIGHUP, the server writes to a new file"
echo "deb_install_test passed in $(( $(date +%s) - start )) s"

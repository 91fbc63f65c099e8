#!/usr/bin/env bash
# End-to-end test of the kvstore CLI: exit codes, round trips through the WAL
# and the snapshot, and clear errors for a missing folder.
set -u
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; fails=$((fails + 1)); fi
}

"$cli" --dir "$dir" set greeting "hello world"; check "set exits 0" 0 $?
check "get after set" "hello world" "$("$cli" --dir "$dir" get greeting)"
"$cli" --dir "$dir" get missing >/dev/null; check "get of a missing key exits 1" 1 $?
"$cli" --dir "$dir" set other 2
check "size" 2 "$("$cli" --dir "$dir" size)"
"$cli" --dir "$dir" checkpoint; check "checkpoint exits 0" 0 $?
check "snapshot written" yes "$([ -s "$dir/snapshot.json" ] && echo yes)"
check "value survives checkpoint + reload" "hello world" "$("$cli" --dir "$dir" get greeting)"
check "del existing prints 1" 1 "$("$cli" --dir "$dir" del greeting)"
check "del missing prints 0" 0 "$("$cli" --dir "$dir" del greeting)"
check "size after del" 1 "$("$cli" --dir "$dir" size)"
out=$(printf 'SET k v w\nGET k\nSIZE\nFROB\nQUIT\nGET k\n' | "$cli" --dir "$dir" shell)
check "shell session" $'OK\n"v w"\n2\n(error) unknown command or missing argument; type HELP' "$out"
err=$("$cli" --dir "$dir/nope" size 2>&1); rc=$?
check "missing folder exits 1" 1 $rc
check "missing folder message names it" yes "$(grep -q "$dir/nope" <<<"$err" && echo yes)"
"$cli" --sync sometimes --dir "$dir" size >/dev/null 2>&1; check "bad --sync rejected (non-zero exit)" yes "$([ $? -ne 0 ] && echo yes)"
"$cli" --help | grep -q checkpoint; check "--help lists subcommands" 0 $?

echo "$((16 - fails)) passed, $fails failed"
[ $fails -eq 0 ]

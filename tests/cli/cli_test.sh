#!/usr/bin/env bash
# End-to-end test of the kvstore CLI (docs/CLI.md): every subcommand's output
# and exit code, binary-safe round trips, check/repair of damaged WAL files,
# and refusal while the directory lock is held (flock from util-linux).
set -u
cli=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/data
fails=0
total=0
check() {  # check NAME EXPECTED ACTUAL
  total=$((total + 1))
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; fails=$((fails + 1)); fi
}
kv() { "$cli" --dir "$dir" "$@"; }
# The newest WAL segment of a data directory (the layout is docs/FORMATS.md's).
wal_file() { ls "$1"/wal-*.log "$1"/kvstore.wal 2>/dev/null | tail -n 1; }
flip_byte() {  # flip_byte FILE OFFSET: xor the byte with 0x20
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\x$(printf %02x $((b ^ 32)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --- get / set / del / size / checkpoint / shell ---------------------------------
kv set greeting "hello world"; check "set exits 0 (creates the directory)" 0 $?
check "get after set" "hello world" "$(kv get greeting)"
kv get missing >/dev/null; check "get of a missing key exits 1" 1 $?
kv set other 2
check "size" 2 "$(kv size)"
kv checkpoint; check "checkpoint exits 0" 0 $?
check "snapshot written" yes "$(ls "$dir"/snapshot*.json >/dev/null 2>&1 && echo yes)"
check "value survives checkpoint + reload" "hello world" "$(kv get greeting)"
check "del existing prints 1" 1 "$(kv del greeting)"
check "del missing prints 0" 0 "$(kv del greeting)"
kv set a 1; kv set b 2
check "del of several keys counts those that existed" 2 "$(kv del a b nope)"
check "size after del" 1 "$(kv size)"
out=$(printf 'SET k v w\nGET k\nSIZE\nFROB\nQUIT\nGET k\n' | kv shell)
check "shell session" $'OK\n"v w"\n2\n(error) unknown command or missing argument; type HELP' "$out"

# --- binary-safe values ------------------------------------------------------------
printf 'line1\nline2\000\377end' >"$tmp/value.bin"
kv set --value-file "$tmp/value.bin" blob; check "set --value-file exits 0" 0 $?
kv get -n blob >"$tmp/got.bin"
check "get -n returns the exact bytes" yes "$(cmp -s "$tmp/value.bin" "$tmp/got.bin" && echo yes)"
printf 'from\000stdin' | kv set piped -
kv get -n piped >"$tmp/got2.bin"
check "set KEY - reads standard input" yes "$(printf 'from\000stdin' | cmp -s - "$tmp/got2.bin" && echo yes)"

# --- scan --------------------------------------------------------------------------
kv set "user:1" alice; kv set "user:2" bob; kv set "tab	key" x
check "scan --match" $'user:1\nuser:2' "$(kv scan --match 'user:*' | sort)"
check "scan --values escapes bytes" 'blob	line1\nline2\x00\xffend' "$(kv scan --values --match blob)"
check "scan escapes a tab in a key" 'tab\tkey' "$(kv scan --match 'tab*')"
check "scan lists every key (the shell set k too)" 7 "$(kv scan | wc -l)"
check "scan --limit" 2 "$(kv scan --limit 2 | wc -l)"
# Redis's glob, edge cases included (the full table: tests/common/glob_test.cc).
kv set "" empty
check "scan --match '*' lists the empty key too, as SCAN does" 8 "$(kv scan --match '*' | wc -l)"
check "scan --match '**' does not, as Redis's matcher" 7 "$(kv scan --match '**' | wc -l)"
kv del "" >/dev/null
check "scan --match: in [s-] the - is a range up to ], the class unclosed" "" "$(kv scan --match 'u[s-]er:1')"

# --- import / export ---------------------------------------------------------------
kv export "$tmp/export.json"; check "export to a file exits 0" 0 $?
check "export writes the {\"map\": ...} form" yes "$(grep -q '"map"' "$tmp/export.json" && echo yes)"
"$cli" --dir "$tmp/copy" import "$tmp/export.json" 2>/dev/null; check "import exits 0" 0 $?
"$cli" --dir "$tmp/copy" get -n blob >"$tmp/got3.bin"
check "import/export round-trips non-UTF-8 bytes" yes "$(cmp -s "$tmp/value.bin" "$tmp/got3.bin" && echo yes)"
check "export of the copy equals the original export" \
  "$(kv export | sort)" "$("$cli" --dir "$tmp/copy" export | sort)"
printf '{"x": "1", "y": "\\u0000b64:/w=="}' >"$tmp/flat.json"
"$cli" --dir "$tmp/flat" import "$tmp/flat.json" 2>/dev/null
check "import of a flat object" 1 "$("$cli" --dir "$tmp/flat" get x)"
check "import decodes the binary marker" '\xff' "$("$cli" --dir "$tmp/flat" scan --values --match y | cut -f2)"
check "import from standard input" in "$(echo "{\"map\":{\"s\":\"in\"}}" | "$cli" --dir "$tmp/stdin" import - 2>/dev/null && "$cli" --dir "$tmp/stdin" get s)"
printf '{"x": 1}' >"$tmp/bad.json"
"$cli" --dir "$tmp/flat" import "$tmp/bad.json" 2>/dev/null; check "import of a non-string value exits 2" 2 $?
err=$(kv export 2>&1 >/dev/null)
check "no progress output when stderr is not a terminal" "" "$err"

# --- expiry: set --px/--pxat, ttl, scan --ttl, export/import of deadlines -------------
d5=$tmp/expirydir
far=4102444800000  # 2100-01-01 in Unix ms
ex() { "$cli" --dir "$d5" "$@"; }
ex set plain v; ex set --pxat "$far" later v2; ex set --px 600000 soon v3
ex set --pxat 1000 gone v4; check "set --pxat in the past exits 0" 0 $?
check "ttl of a key without a deadline" -1 "$(ex ttl plain)"
check "ttl --at prints the deadline" "$far" "$(ex ttl --at later)"
t=$(ex ttl soon); check "ttl --px 600000 is at most 600000 and not much less" yes "$([ "$t" -le 600000 ] && [ "$t" -gt 590000 ] && echo yes)"
out=$(ex ttl gone); rc=$?; check "ttl of an expired key: -2, exit 1" "1 -2" "$rc $out"
out=$(ex ttl nope); rc=$?; check "ttl of an absent key: -2, exit 1" "1 -2" "$rc $out"
ex get gone >/dev/null; check "get hides an expired key (exit 1)" 1 $?
check "scan hides an expired key" $'later\nplain\nsoon' "$(ex scan | sort)"
check "size does not count an expired key" 3 "$(ex size)"
check "scan --ttl adds the remaining ms" $'later\tyes\nplain\t-1' \
  "$(ex scan --ttl --match '[lp]*' | sort | sed "s/\t[0-9]\{10,\}$/\tyes/")"
ex set --px 300 brief v5; sleep 0.6
ex get brief >/dev/null; check "a key set with --px is gone after its time" 1 $?
ex set soon replaced; check "plain set clears the deadline (as SET)" -1 "$(ex ttl soon)"
ex set --px 5 --pxat 5 both v 2>/dev/null; check "--px and --pxat together exit 2" 2 $?
ex set --px 0 zero v 2>/dev/null; check "--px 0 exits 2" 2 $?
ex export "$tmp/exp.json"
check "export writes \"expires\" with the deadline" yes "$(grep -q "\"later\": $far" "$tmp/exp.json" && echo yes)"
check "export lists only keys with a deadline in \"expires\"" 1 "$(sed -n '/"expires"/,/}/p' "$tmp/exp.json" | grep -c '": [0-9]')"
"$cli" --dir "$tmp/expcopy" import "$tmp/exp.json" 2>/dev/null
check "import keeps the deadline" "$far" "$("$cli" --dir "$tmp/expcopy" ttl --at later)"
check "import keeps keys without one" -1 "$("$cli" --dir "$tmp/expcopy" ttl plain)"
check "the import's snapshot holds \"expires\" and checks clean" "1 0" \
  "$(grep -c '"expires"' "$tmp"/expcopy/snapshot-*.json) $("$cli" --dir "$tmp/expcopy" check >/dev/null; echo $?)"
printf '{"map": {"old": "x", "new": "y", "keep": "z"}, "expires": {"old": 1000, "new": %s}}' "$far" >"$tmp/aged.json"
err=$("$cli" --dir "$tmp/aged" import "$tmp/aged.json" 2>&1); rc=$?
check "import skips a pair whose deadline has passed and says so" "0 yes" "$rc $(grep -q 'imported 2 keys.*skipped 1' <<<"$err" && echo yes)"
check "the skipped key is absent" $'keep\nnew' "$("$cli" --dir "$tmp/aged" scan | sort)"
printf '{"map": {"a": "x"}, "expires": {"a": -1}}' >"$tmp/badexp.json"
"$cli" --dir "$tmp/aged" import "$tmp/badexp.json" 2>"$tmp/err"; rc=$?
check "import of a bad deadline exits 2 and says why" "2 yes" "$rc $(grep -q 'not a positive integer' "$tmp/err" && echo yes)"
check "dump --json shows expire_at_ms" "{\"type\":\"setx\",\"key\":\"later\",\"value\":\"v2\",\"expire_at_ms\":$far}" \
  "$(ex dump --json | grep '"later"' | head -n 1 | sed 's/"seq":[0-9]*,//')"
ex check >/dev/null; check "check of a directory with expiry records exits 0" 0 $?

# --- hashes, lists, sets and sorted sets (made by import: the tool has no command for them) ---
d6=$tmp/typeddir
ty() { "$cli" --dir "$d6" "$@"; }
cat >"$tmp/typed.json" <<EOF
{"map": {"str": "plain"},
 "objects": {
  "h": {"type": "hash", "seq": 1, "value": {"f": "v", "bin": "\u0000b64:/wA="}},
  "l": {"type": "list", "seq": 1, "deadline": $far, "value": ["a", "b", "a"]},
  "s": {"type": "set", "seq": 1, "value": ["1", "x"]},
  "z": {"type": "zset", "seq": 1, "value": [["lo", "-inf"], ["mid", 2.5], ["hi", "inf"]]}}}
EOF
ty import "$tmp/typed.json" 2>/dev/null; check "import of objects exits 0" 0 $?
err=$(ty get h 2>&1 >/dev/null); rc=$?
check "get of a hash: exit 2, one WRONGTYPE line" "2 kvstore: WRONGTYPE key 'h' holds a hash, not a string" "$rc $err"
ty get z >/dev/null 2>&1; check "get of a sorted set exits 2" 2 $?
check "scan lists keys of every type" $'h\nl\ns\nstr\nz' "$(ty scan | sort)"
check "scan --values summarises objects" $'h\t<hash, 2 fields>\nl\t<list, 3 elements>\ns\t<set, 2 members>\nstr\tplain\nz\t<zset, 3 members>' \
  "$(ty scan --values | sort)"
check "scan --type" "l" "$(ty scan --type list)"
check "ttl of a list" "$far" "$(ty ttl --at l)"
ty export "$tmp/typed-out.json"
check "export writes \"objects\"" yes "$(grep -q '"objects"' "$tmp/typed-out.json" && grep -q '"-inf"' "$tmp/typed-out.json" && echo yes)"
"$cli" --dir "$tmp/typedcopy" import "$tmp/typed-out.json" 2>/dev/null
check "export/import round-trips every type" "$(ty export | grep -v '"seq"' | sort)" \
  "$("$cli" --dir "$tmp/typedcopy" export | grep -v '"seq"' | sort)"
check "the import's directory checks clean" 0 "$("$cli" --dir "$tmp/typedcopy" check >/dev/null; echo $?)"
out=$(printf 'GET h\nQUIT\n' | ty shell)
check "shell GET of a hash" "(error) WRONGTYPE key 'h' holds a hash, not a string" "$out"

# --- progress bars ---------------------------------------------------------------------
# script(1) gives the command a terminal for stderr; stdout goes to /dev/null.
out=$(script -qfec "'$cli' --dir '$dir' check >/dev/null" /dev/null </dev/null)
check "progress bar drawn when stderr is a terminal" yes "$(grep -q '\[#*-*\] *[0-9]*%' <<<"$out" && echo yes)"
err=$("$cli" --dir "$dir" check 2>&1 >/dev/null)
check "no progress output when stderr is a pipe (check)" "" "$err"

# --- dump --------------------------------------------------------------------------
d2=$tmp/dumpdir
"$cli" --dir "$d2" set k1 'v 1'; "$cli" --dir "$d2" set k2 $'a\nb'; "$cli" --dir "$d2" del k1 >/dev/null
check "dump text" $'set "k1" "v 1"\nset "k2" "a\\nb"\nremove "k1"' \
  "$("$cli" --dir "$d2" dump | grep -v '^#' | cut -d' ' -f2-)"
check "dump --json" '{"type":"set","key":"k2","value":"a\nb"}' \
  "$("$cli" --dir "$d2" dump --json | sed -n 2p | sed 's/"seq":[0-9]*,//')"
check "dump --file of one segment" 3 "$("$cli" dump --file "$(wal_file "$d2")" | grep -vc '^#')"

# --- check and repair ----------------------------------------------------------------
d3=$tmp/checkdir
for i in 1 2 3 4 5 6; do "$cli" --dir "$d3" set "key$i" "value-$i"; done
out=$("$cli" --dir "$d3" check); check "check of a clean directory exits 0" "0 clean" "$? ${out%%:*}"
wal=$(wal_file "$d3")
cp "$wal" "$tmp/wal.orig"
flip_byte "$wal" 52  # inside the first record (the header is 32 bytes)
out=$("$cli" --dir "$d3" check); rc=$?
check "check finds a flipped byte (exit 1)" 1 $rc
check "check names the file and offset" yes "$(grep -q "^$wal: byte 32: corruption" <<<"$out" && echo yes)"
"$cli" --dir "$d3" check --repair >/dev/null; check "repair refuses corruption before the tail" 1 $?
check "refused repair leaves the file alone" yes "$(! cmp -s "$wal" "$tmp/wal.orig" && ls "$wal".bak-* >/dev/null 2>&1 || echo yes)"
cp "$tmp/wal.orig" "$wal"
size=$(stat -c %s "$wal")
truncate -s $((size - 12)) "$wal"
out=$("$cli" --dir "$d3" check); rc=$?
check "check reports a torn tail (exit 1)" "1 yes" "$rc $(grep -q "^$wal: byte [0-9]*: torn tail" <<<"$out" && echo yes)"
"$cli" --dir "$d3" check --repair >/dev/null; check "check --repair of a torn tail exits 0" 0 $?
check "repair kept a backup" yes "$(ls "$wal".bak-* >/dev/null 2>&1 && echo yes)"
"$cli" --dir "$d3" check >/dev/null; check "clean after repair" 0 $?
check "records before the tail survive the repair" value-5 "$("$cli" --dir "$d3" get key5)"
flock "$d3/LOCK" "$cli" --dir "$d3" check >/dev/null 2>"$tmp/err"; rc=$?
check "check refuses while the directory is locked" "2 yes" "$rc $(grep -q locked "$tmp/err" && echo yes)"
flock "$d3/LOCK" "$cli" --dir "$d3" get key5 >/dev/null 2>&1; check "get refuses while locked" 2 $?

d4=$tmp/manifestdir
"$cli" --dir "$d4" set k v && "$cli" --dir "$d4" checkpoint
"$cli" --dir "$d4" check >/dev/null; check "check after a checkpoint (MANIFEST, snapshot, segment)" 0 $?
sed -i 's/^sequence /sequence 9/' "$d4/MANIFEST"
out=$("$cli" --dir "$d4" check); rc=$?
check "check finds a damaged MANIFEST" "1 yes" "$rc $(grep -q "^$d4/MANIFEST: corruption" <<<"$out" && echo yes)"
"$cli" --dir "$d4" get k >/dev/null 2>&1; check "opening a store with a damaged MANIFEST exits 2" 2 $?

# --- bench / serve -------------------------------------------------------------------
out=$("$cli" bench --ops 2000 --threads 2 --value-size 16); rc=$?
check "bench prints ops/s for sets and gets" "0 2" "$rc $(grep -c 'ops/s' <<<"$out")"
mkdir -p "$tmp/bin" && cp "$cli" "$tmp/bin/kvstore"
printf '#!/bin/sh\necho "server $*"\n' >"$tmp/bin/kvstore-server" && chmod +x "$tmp/bin/kvstore-server"
check "serve execs kvstore-server beside it with --dir" "server --dir $dir --port 7000" \
  "$("$tmp/bin/kvstore" --dir "$dir" serve -- --port 7000)"
rm "$tmp/bin/kvstore-server"
PATH=/nonexistent "$tmp/bin/kvstore" serve 2>"$tmp/err"; rc=$?
check "serve without a server binary: clear error" "2 yes" "$rc $(grep -q 'kvstore-server not found' "$tmp/err" && echo yes)"

# --- usage -------------------------------------------------------------------------
for sub in "" get set ttl del size scan checkpoint shell check dump import export serve bench; do
  "$cli" $sub --help >/dev/null; check "--help ${sub:-(tool)} exits 0" 0 $?
done
"$cli" --help | grep -q checkpoint; check "--help lists subcommands" 0 $?
err=$("$cli" --dir "$tmp/nope" size 2>&1); rc=$?
check "missing directory exits 2 and names it" "2 yes" "$rc $(grep -q "$tmp/nope" <<<"$err" && echo yes)"
"$cli" --sync sometimes --dir "$dir" size >/dev/null 2>&1; check "bad --sync exits 2" 2 $?
"$cli" frobnicate >/dev/null 2>&1; check "unknown subcommand exits 2" 2 $?
err=$("$cli" get 2>&1); rc=$?
check "missing argument: exit 2, one line 'kvstore: ...'" "2 1 yes" "$rc $(wc -l <<<"$err") $([[ $err == kvstore:* ]] && echo yes)"
"$cli" --dir "$dir" set k 2>/dev/null; check "set without a value exits 2" 2 $?
"$cli" --dir "$dir" check --point-in-time 2>/dev/null; check "--point-in-time without --repair exits 2" 2 $?

echo "$((total - fails)) passed, $fails failed"
[ $fails -eq 0 ]

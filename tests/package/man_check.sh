#!/usr/bin/env bash
# The man pages list exactly the options the programs accept: every option in
# `kvstore --help`, `kvstore SUBCOMMAND --help` and `kvstore-server --help`
# appears in docs/man/*.1, and every option a man page names exists.
#
#   tests/package/man_check.sh KVSTORE KVSTORE_SERVER MAN_DIR
set -euo pipefail
kvstore=$1 server=$2 man=$3
subcommands="get set del ttl size scan checkpoint shell check dump import export serve bench backup restore"

# Long options (--name) and short ones (-x) at the start of CLI11's help lines.
help_options() {
  sed -n 's/^  \(-[a-zA-Z0-9],\)\{0,1\}\(--[a-z0-9-]*\).*/\1\2/p' | tr ',' '\n' | grep . | sort -u
}
# Options a man page names: \-\-name or \-x in bold.
man_options() {
  grep -o '\\fB\\-\(\\-[a-z0-9\\-]*\|[a-zA-Z0-9]\)\\f' "$1" | sed 's/\\fB//; s/\\f$//; s/\\-/-/g' |
    grep -v '^--$' | grep -v '^-$' | sort -u
}

fail=0
compare() {  # name, help options file, man page
  local only_help only_man
  only_help=$(comm -23 "$2" <(man_options "$3"))
  only_man=$(comm -13 "$2" <(man_options "$3"))
  if [ -n "$only_help" ]; then
    echo "FAIL $1: in --help but not in $(basename "$3"): $only_help"; fail=1
  fi
  if [ -n "$only_man" ]; then
    echo "FAIL $1: in $(basename "$3") but not in --help: $only_man"; fail=1
  fi
  if [ -z "$only_help$only_man" ]; then echo "ok   $1: $(wc -l <"$2") options"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$server" --help | help_options >"$tmp/server"
compare kvstore-server "$tmp/server" "$man/kvstore-server.1"
{
  "$kvstore" --help
  for s in $subcommands; do "$kvstore" "$s" --help; done
} | help_options >"$tmp/kvstore"
compare kvstore "$tmp/kvstore" "$man/kvstore.1"

# The subcommand list of --help and the man page's SUBCOMMANDS agree.
"$kvstore" --help | sed -n '/^Subcommands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | sort >"$tmp/subs"
if [ "$(tr ' ' '\n' <<<"$subcommands" | sort)" != "$(cat "$tmp/subs")" ]; then
  echo "FAIL kvstore: subcommands changed; update this script and docs/man/kvstore.1"; fail=1
fi
for s in $(cat "$tmp/subs"); do
  grep -q "^\\\\fB$s\\\\fR\|^\.B $s\$" "$man/kvstore.1" || { echo "FAIL kvstore.1: no entry for $s"; fail=1; }
done
# The pages name the version the programs print.
for prog in "$kvstore" "$server"; do
  name=$(basename "$prog") version=$("$prog" --version | awk '{print $2}')
  grep -q "^\.TH .*\"kvstore $version\"" "$man/$name.1" ||
    { echo "FAIL $name.1: .TH does not say kvstore $version"; fail=1; }
done
# Both pages are valid roff (man(1) renders them without warnings).
for page in "$man"/*.1; do
  if command -v groff >/dev/null; then
    warnings=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1 || true)
    [ -z "$warnings" ] || { echo "FAIL $(basename "$page"): $warnings"; fail=1; }
  fi
done
exit $fail

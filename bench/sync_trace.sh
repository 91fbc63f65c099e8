#!/bin/sh
# Runs a command under `perf trace` and prints, per system call of the WAL's
# durability path, the calls, and for fdatasync/msync/fsync the latency
# p50/p99/max of every call (docs/BENCHMARKS.md, durable writes). Example:
#   bench/sync_trace.sh build-rel/bench/sync_probe --cases none --store --seconds 3
set -eu
trace=$(mktemp)
trap 'rm -f "$trace"' EXIT
perf trace -o "$trace" \
  -e fdatasync,msync,fsync,write,pwrite64,fallocate,ftruncate,sync_file_range,mremap -- "$@"
# Lines: "  0.000 ( 0.193 ms): name/tid fdatasync(fd: 4) = 0".
sed -n 's/^ *[0-9.]* ( *\([0-9.]*\) ms): [^ ]* \([a-z_0-9]*\)(.*/\2 \1/p' "$trace" |
  sort -k1,1 -k2,2g |
  awk '{ n[$1]++; v[$1, n[$1]] = $2 }
       END {
         for (c in n) {
           line = sprintf("%-16s calls %7d", c, n[c])
           if (c == "fdatasync" || c == "msync" || c == "fsync") {
             p50 = v[c, int((n[c] - 1) * 0.50) + 1]; p99 = v[c, int((n[c] - 1) * 0.99) + 1]
             line = line sprintf("  p50 %.3f ms  p99 %.3f ms  max %.3f ms", p50, p99, v[c, n[c]])
           }
           print line
         }
       }'

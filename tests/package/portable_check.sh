#!/usr/bin/env bash
# The default build runs on any x86-64: no AVX/AVX2/AVX-512 instruction (ymm
# or zmm registers) in the programs or the library. SIMD kernels are chosen
# at run time inside libsimdjson (see KVSTORE_SNAPSHOT_ARCH in CMakeLists.txt).
# A build configured with -DKVSTORE_SNAPSHOT_ARCH=native fails this check.
#
#   tests/package/portable_check.sh FILE...
set -euo pipefail
[ "$(uname -m)" = x86_64 ] || { echo "skipped: not x86-64"; exit 0; }
fail=0
for f in "$@"; do
  n=$(objdump -d --no-show-raw-insn "$f" | grep -cE '%[yz]mm' || true)
  if [ "$n" -ne 0 ]; then
    echo "FAIL $f: $n instructions use ymm/zmm registers"; fail=1
  else
    echo "ok   $f"
  fi
done
exit $fail

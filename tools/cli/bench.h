// Copyright (c) the kvstore developers.
//
// `kvstore bench`: a quick in-process throughput figure for this machine —
// T threads set N keys in total, then get them — on a temporary directory
// (removed afterwards) or on --dir. Not a benchmark suite (see bench/ and
// docs/BENCHMARKS.md); a sanity check of a disk and a sync mode.

#ifndef KVSTORE_TOOLS_CLI_BENCH_H_
#define KVSTORE_TOOLS_CLI_BENCH_H_

#include <cstddef>
#include <cstdint>

#include "cli.h"

namespace kvstore::cli {

struct BenchArgs {
  uint64_t ops = 100000;
  unsigned threads = 2;
  std::size_t value_size = 100;
};

int BenchCommand(const GlobalFlags& flags, const BenchArgs& args);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_BENCH_H_

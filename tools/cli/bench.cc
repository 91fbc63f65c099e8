// Copyright (c) the kvstore developers.

#include "bench.h"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store_commands.h"

namespace kvstore::cli {
namespace {

std::string BenchKey(unsigned thread, uint64_t i) {
  return "bench:" + std::to_string(thread) + ":" + std::to_string(i);
}

// Runs op(thread, i) for the share of `ops` of each of `threads` threads and
// returns the wall time in seconds.
template <class Op>
double Timed(uint64_t ops, unsigned threads, Op op) {
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Thread t takes ops t, t + threads, ...: shares differ by at most one.
      for (uint64_t i = t; i < ops; i += threads) op(t, i);
    });
  }
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintRate(const char* what, uint64_t ops, double seconds, const BenchArgs& args,
               const GlobalFlags& flags) {
  std::printf("%-4s %llu ops in %.3f s: %.0f ops/s (%u threads, %zu-byte values, sync %s)\n", what,
              static_cast<unsigned long long>(ops), seconds,
              seconds > 0 ? static_cast<double>(ops) / seconds : 0.0, args.threads, args.value_size,
              flags.sync.c_str());
}

}  // namespace

int BenchCommand(const GlobalFlags& flags, const BenchArgs& args) {
  if (args.threads == 0 || args.ops == 0) return Fail("bench needs --ops and --threads >= 1");
  GlobalFlags where = flags;
  std::string temp;
  if (!flags.dir_given) {
    std::error_code ec;  // temp_directory_path honours TMPDIR
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "kvstore-bench-XXXXXX");
    if (ec || ::mkdtemp(pattern.data()) == nullptr) {
      return Fail("cannot create a temporary directory for bench");
    }
    temp = where.dir = pattern;
  }
  int rc = kExitOk;
  {
    auto store = OpenStore(where, true);
    if (!store) {
      rc = Fail(store.error());
    } else {
      const std::string value(args.value_size, 'v');
      std::atomic<bool> failed{false};
      const double set_s = Timed(args.ops, args.threads, [&](unsigned t, uint64_t i) {
        if (!store->set(BenchKey(t, i), value)) failed = true;
      });
      std::atomic<uint64_t> misses{0};
      const double get_s = Timed(args.ops, args.threads, [&](unsigned t, uint64_t i) {
        if (!store->get(BenchKey(t, i))) ++misses;
      });
      auto closed = store->close();
      if (failed || misses != 0 || !closed) {
        rc = Fail(!closed ? closed.error().ToString() : "a set failed or a get missed its key");
      } else {
        PrintRate("set", args.ops, set_s, args, flags);
        PrintRate("get", args.ops, get_s, args, flags);
      }
    }
  }
  if (!temp.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp, ec);
  }
  return rc;
}

}  // namespace kvstore::cli

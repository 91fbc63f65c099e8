// Copyright (c) the kvstore developers.
//
// readers_writer: one thread setting keys while N threads get them without
// pause, for N in a list: what the readers cost the writer and the other
// way round (docs/DESIGN.md, "A get writes no memory another core uses").
// With more busy threads than CPUs some reader is always preempted, and the
// shard lock's writer may have to wait for one preempted inside a get.
//
//   readers_writer [--readers 0,1,2,3,16] [--keys N] [--seconds S] [--dir PATH]
//
// One line per N: the writer's sets/s, the readers' gets/s, and the writer
// thread's CPU time and context switches (voluntary: it slept).

#include <kvstore/kvstore.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "engines.h"

namespace kvbench {
namespace {

struct Config {
  std::vector<int> readers = {0, 1, 2, 3, 16};
  std::size_t keys = 100000;
  double seconds = 2;
  std::string dir;
};

void Run(const Config& cfg, int readers) {
  TempDir dir(cfg.dir);
  KeySet keys(cfg.keys);
  const ValuePool values;
  KvEngine store(dir.File("kv.wal"), kvstore::SyncMode::kEverySecond);
  for (std::size_t i = 0; i < cfg.keys; ++i) store.Set(keys[i], values.Get(i));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> gets{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < readers; ++t) {
    threads.emplace_back([&, t] {
      Rng rng(100 + t);
      uint64_t n = 0;
      std::string value;
      while (!stop.load(std::memory_order_relaxed)) {
        (void)store.Get(keys[rng.Uniform(cfg.keys)], &value);
        ++n;
      }
      gets += n;
    });
  }
  rusage before{};
  ::getrusage(RUSAGE_THREAD, &before);
  const auto start = Clock::now();
  Rng rng(7);
  uint64_t sets = 0;
  while (SecondsSince(start) < cfg.seconds) {
    for (int i = 0; i < 100; ++i) store.Set(keys[rng.Uniform(cfg.keys)], values.Get(i));
    sets += 100;
  }
  const double secs = SecondsSince(start);
  rusage after{};
  ::getrusage(RUSAGE_THREAD, &after);
  stop = true;
  for (auto& t : threads) t.join();
  auto cpu = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  std::printf("readers=%d sets/s=%.0f gets/s=%.0f writer_cpu_s=%.2f writer_sleeps=%ld writer_preempted=%ld\n",
              readers, static_cast<double>(sets) / secs, static_cast<double>(gets.load()) / secs,
              cpu(after) - cpu(before), after.ru_nvcsw - before.ru_nvcsw,
              after.ru_nivcsw - before.ru_nivcsw);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--readers" && has_value) {
      cfg.readers.clear();
      std::string list = argv[++i];
      for (std::size_t p = 0; p <= list.size();) {
        const std::size_t comma = std::min(list.find(',', p), list.size());
        cfg.readers.push_back(std::atoi(list.substr(p, comma - p).c_str()));
        p = comma + 1;
      }
    } else if (a == "--keys" && has_value) {
      cfg.keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seconds" && has_value) {
      cfg.seconds = std::atof(argv[++i]);
    } else if (a == "--dir" && has_value) {
      cfg.dir = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--readers 0,1,2,3,16] [--keys N] [--seconds S] [--dir PATH]\n"
                   "  one writer sets random keys while N reader threads get them, for each N\n",
                   argv[0]);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (cfg.keys == 0 || cfg.seconds <= 0) {
    std::fprintf(stderr, "%s: --keys and --seconds must be positive\n", argv[0]);
    return 2;
  }
  for (int r : cfg.readers) Run(cfg, r);
  return 0;
}

}  // namespace
}  // namespace kvbench

int main(int argc, char** argv) { return kvbench::Main(argc, argv); }

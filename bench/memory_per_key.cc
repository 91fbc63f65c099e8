// Copyright (c) the kvstore developers.
//
// Memory per key: RSS growth (VmRSS from /proc/self/status) over inserting N
// keys (16-byte keys, 100-byte values) into a fresh store, in a process of its
// own so that nothing else inflates or hides the figure. Run it once per
// competitor:
//
//   memory_per_key kvstore [--keys N] [--dir PATH]
//   memory_per_key seed    [--keys N] [--dir PATH]
//
// Keys are generated on the fly, so the only thing that grows is the store
// (and, for kvstore, the WAL pages the store keeps mapped). Prints one line of
// key=value fields; bytes_per_key is the figure the target is about.

#include <kvstore/kvstore.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "bench_util.h"
#include "seed_baseline.h"

namespace kvbench {
namespace {

struct Rss {
  uint64_t rss, anon, file, hwm;
  static Rss Now() {
    return {ReadRssBytes("VmRSS:"), ReadRssBytes("RssAnon:"), ReadRssBytes("RssFile:"),
            ReadRssBytes("VmHWM:")};
  }
};

template <class SetFn>
int Measure(const char* name, std::size_t keys, SetFn set, const std::function<std::size_t()>& size) {
  ValuePool values;
  const Rss before = Rss::Now();
  char key[kKeySize];
  const auto start = Clock::now();
  for (std::size_t i = 0; i < keys; ++i) {
    FormatKey(i, 0, key);
    set(std::string(key, kKeySize), std::string(values.Get(i)));
  }
  const double secs = SecondsSince(start);
  const Rss after = Rss::Now();
  if (size() != keys) {
    std::fprintf(stderr, "%s: expected %zu keys, store holds %zu\n", name, keys, size());
    return 1;
  }
  const auto per_key = [&](uint64_t a, uint64_t b) {
    return (static_cast<double>(a) - static_cast<double>(b)) / static_cast<double>(keys);
  };
  std::printf(
      "competitor=%s keys=%zu rss_before_mb=%.1f rss_after_mb=%.1f bytes_per_key=%.1f "
      "anon_bytes_per_key=%.1f file_bytes_per_key=%.1f peak_growth_bytes_per_key=%.1f "
      "insert_seconds=%.2f\n",
      name, keys, before.rss / 1048576.0, after.rss / 1048576.0, per_key(after.rss, before.rss),
      per_key(after.anon, before.anon), per_key(after.file, before.file),
      per_key(after.hwm, before.rss), secs);
  return 0;
}

int Main(int argc, char** argv) {
  std::string which;
  std::size_t keys = 1000000;
  std::string base;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      base = argv[++i];
    } else if (which.empty() && argv[i][0] != '-') {
      which = argv[i];
    } else {
      which.clear();
      break;
    }
  }
  if (which != "kvstore" && which != "seed") {
    std::fprintf(stderr, "usage: %s kvstore|seed [--keys N] [--dir PATH]\n", argv[0]);
    return 2;
  }
  TempDir dir(base);
  if (which == "seed") {
    SeedStore store(dir.File("seed.wal"));
    return Measure(
        "seed", keys, [&](std::string k, std::string v) { store.Set(std::move(k), std::move(v)); },
        [&] { return store.Size(); });
  }
  auto opened = kvstore::KvStore::open(dir.File("kvstore.wal"));
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  kvstore::KvStore store = std::move(*opened);
  return Measure(
      "kvstore", keys, [&](std::string k, std::string v) { store.set(std::move(k), std::move(v)).value(); },
      [&] { return store.size(); });
}

}  // namespace
}  // namespace kvbench

int main(int argc, char** argv) { return kvbench::Main(argc, argv); }

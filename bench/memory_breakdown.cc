// Copyright (c) the kvstore developers.
//
// memory_breakdown: where memory_per_key's bytes per key go (docs/DESIGN.md,
// "Memory per key"). Each mode runs in a process of its own and prints one
// line of key=value fields, all per key (or per block) unless named
// otherwise:
//
//   memory_breakdown store  --keys N   the whole store (KvStore::open, WAL and
//                                      all), as memory_per_key measures it,
//                                      plus the anonymous memory in huge
//                                      pages
//   memory_breakdown map    --keys N [--reserve]
//                                      the sharded map alone (no WAL, no write
//                                      path), with its tables' capacities;
//                                      --reserve sizes the tables first,
//                                      --small-pages as below
//   memory_breakdown blocks --keys N --size S [--small-pages]
//                                      N mimalloc blocks of S bytes and
//                                      nothing else: the allocator's share
//
// The map mode reaches into src/ (ShardMap) to read the table capacities,
// which the public API does not expose; it changes nothing there.

#include <mimalloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kvstore/kvstore.h"
#include "shard_map.h"

namespace {

using kvbench::ReadRssBytes;

// A field of /proc/self/smaps_rollup in bytes (AnonHugePages: anonymous
// memory backed by transparent huge pages).
uint64_t SmapsRollup(const std::string& field) {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string name;
  while (in >> name) {
    if (name == field) {
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

struct Probe {
  double rss, anon, file, huge;
  static Probe Now() {
    return {static_cast<double>(ReadRssBytes("VmRSS:")),
            static_cast<double>(ReadRssBytes("RssAnon:")),
            static_cast<double>(ReadRssBytes("RssFile:")),
            static_cast<double>(SmapsRollup("AnonHugePages:"))};
  }
  // Growth from `before` per key, as one line's fields.
  std::string PerKey(const Probe& before, std::size_t n) const {
    const double k = static_cast<double>(n);
    char buf[256];
    std::snprintf(buf, sizeof(buf), "rss=%.1f anon=%.1f file=%.1f anon_huge=%.1f",
                  (rss - before.rss) / k, (anon - before.anon) / k, (file - before.file) / k,
                  (huge - before.huge) / k);
    return buf;
  }
};

int Store(std::size_t n) {
  kvbench::TempDir dir;
  kvstore::Options o;
  o.log_level = kvstore::LogLevel::kWarn;
  auto opened = kvstore::KvStore::open(dir.File("kvstore.wal"), o);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  kvstore::KvStore store = std::move(*opened);
  const kvbench::ValuePool values;
  const Probe before = Probe::Now();
  char key[kvbench::kKeySize];
  for (std::size_t i = 0; i < n; ++i) {
    kvbench::FormatKey(i, 0, key);
    store.set(std::string(key, kvbench::kKeySize), std::string(values.Get(i))).value();
  }
  const Probe after = Probe::Now();
  std::printf("mode=store keys=%zu %s stats_memory_bytes=%.1f\n", n,
              after.PerKey(before, n).c_str(),
              static_cast<double>(store.stats().memory_bytes) / static_cast<double>(n));
  return 0;
}

int Map(std::size_t n, bool reserve, bool small_pages) {
  const kvbench::ValuePool values;
  auto map = std::make_unique<kvstore::ShardMap>();  // configures mimalloc as the store does
  // The map allocated nothing from mimalloc yet: this still takes effect.
  if (small_pages) mi_option_disable(mi_option_large_os_pages);
  // Sizing the tables up front (as loading a snapshot does) leaves no freed
  // smaller tables behind: the difference is what growth by doubling costs.
  if (reserve) map->Reserve(n);
  const Probe before = Probe::Now();
  char key[kvbench::kKeySize];
  for (std::size_t i = 0; i < n; ++i) {
    kvbench::FormatKey(i, 0, key);
    map->PutUnshared(kvstore::ShardMap::HashKey(std::string_view(key, kvbench::kKeySize)),
                     values.Get(i));
  }
  const Probe after = Probe::Now();
  // What mimalloc gives back when asked to (freed smaller tables among it).
  mi_collect(true);
  const Probe collected = Probe::Now();
  // Nothing else runs: reading the tables without their locks is safe here.
  std::size_t cap_sum = 0, cap_min = SIZE_MAX, cap_max = 0, size_min = SIZE_MAX, size_max = 0;
  double entry_bytes = 0, rounded_bytes = 0;
  for (std::size_t s = 0; s < kvstore::ShardMap::kShards; ++s) {
    kvstore::Shard& sh = map->shard(s);
    kvstore::ReaderLock lock(&sh.mu);
    const std::size_t cap = sh.set.capacity(), size = sh.set.size();
    cap_sum += cap;
    cap_min = std::min(cap_min, cap);
    cap_max = std::max(cap_max, cap);
    size_min = std::min(size_min, size);
    size_max = std::max(size_max, size);
    entry_bytes += static_cast<double>(sh.entry_bytes.load());
    for (const char* e : sh.set) rounded_bytes += static_cast<double>(mi_usable_size(e));
  }
  const double k = static_cast<double>(n);
  // A Swiss table of capacity c holds c slots and c + 1 + 15 control bytes
  // (the sentinel and the cloned group at the end).
  const double slot_bytes = 8.0 * static_cast<double>(cap_sum);
  const double ctrl_bytes =
      static_cast<double>(cap_sum) + 16.0 * static_cast<double>(kvstore::ShardMap::kShards);
  std::printf(
      "mode=map keys=%zu reserve=%d large_os_pages=%d %s entry=%.1f entry_rounded=%.1f "
      "table_slots=%.1f "
      "table_ctrl=%.1f "
      "load=%.3f collected_rss=%.1f capacity_min=%zu capacity_max=%zu shard_keys_min=%zu "
      "shard_keys_max=%zu\n",
      n, reserve ? 1 : 0, small_pages ? 0 : 1, after.PerKey(before, n).c_str(), entry_bytes / k,
      rounded_bytes / k, slot_bytes / k, ctrl_bytes / k, k / static_cast<double>(cap_sum),
      (collected.rss - before.rss) / k, cap_min, cap_max, size_min, size_max);
  return 0;
}

int Blocks(std::size_t n, std::size_t size, bool small_pages) {
  if (!small_pages) mi_option_enable(mi_option_large_os_pages);  // as the store does
  // Touched before the first probe: only the blocks are measured.
  std::vector<void*> blocks(n, nullptr);
  const Probe before = Probe::Now();
  for (std::size_t i = 0; i < n; ++i) {
    void* p = mi_malloc(size);
    std::memset(p, 1, size);
    blocks[i] = p;
  }
  const Probe after = Probe::Now();
  std::printf("mode=blocks keys=%zu size=%zu good_size=%zu large_os_pages=%d %s\n", n, size,
              mi_good_size(size), small_pages ? 0 : 1, after.PerKey(before, n).c_str());
  for (void* p : blocks) mi_free(p);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s store|map|blocks --keys N [--reserve] [--size S] [--small-pages]\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  std::size_t keys = 1000000, size = 118;
  bool small_pages = false, reserve = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      size = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--reserve") == 0) {
      reserve = true;
    } else if (std::strcmp(argv[i], "--small-pages") == 0) {
      small_pages = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (mode == "store") return Store(keys);
  if (mode == "map") return Map(keys, reserve, small_pages);
  if (mode == "blocks") return Blocks(keys, size, small_pages);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}

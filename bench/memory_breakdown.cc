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
//                                      path), with its tables' capacities
//                                      and the CPU time per insert;
//                                      --reserve sizes the tables first,
//                                      --small-pages as below
//   memory_breakdown blocks --keys N --size S [--small-pages]
//                                      N mimalloc blocks of S bytes and
//                                      nothing else: the allocator's share
//   memory_breakdown proto  --keys N [--tables mimalloc|mmap]
//                                    [--entries mimalloc|slab120|slab120-slots4]
//                                    [--direct-kib 64]
//                                      the map's tables and entries rebuilt
//                                      outside the store, with the table
//                                      arrays from mimalloc (as now) or from
//                                      mmap/munmap, and the entries from
//                                      mimalloc (as now) or 120-byte slab
//                                      slots (slab120-slots4: and tables of
//                                      4-byte slot numbers, arrays by mmap);
//                                      --direct-kib: the smallest array mmap
//                                      serves. The recommendations, measured.
//
// The map and proto modes reach into src/ (ShardMap, its entry layout and
// hash), which the public API does not expose, to read the table capacities
// and to rebuild the tables; they change nothing there.

#include <mimalloc.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
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
  return kvbench::ReadProcKb("/proc/self/smaps_rollup", field);
}

// CPU seconds of the process so far (not counting waits for a core).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
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
  const Probe before = Probe::Now();
  // Sizing the tables up front (as loading a snapshot does) leaves no freed
  // smaller tables behind: the difference is what growth by doubling costs.
  // The tables count in the growth; their sizing does not count in the time.
  if (reserve) map->Reserve(n);
  const double start = CpuSeconds();
  char key[kvbench::kKeySize];
  for (std::size_t i = 0; i < n; ++i) {
    kvbench::FormatKey(i, 0, key);
    map->PutUnshared(kvstore::ShardMap::HashKey(std::string_view(key, kvbench::kKeySize)),
                     values.Get(i));
  }
  const double insert_seconds = CpuSeconds() - start;
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
      "mode=map keys=%zu reserve=%d large_os_pages=%d insert_cpu_ns=%.1f %s entry=%.1f "
      "entry_rounded=%.1f "
      "table_slots=%.1f "
      "table_ctrl=%.1f "
      "load=%.3f collected_rss=%.1f capacity_min=%zu capacity_max=%zu shard_keys_min=%zu "
      "shard_keys_max=%zu\n",
      n, reserve ? 1 : 0, small_pages ? 0 : 1, insert_seconds * 1e9 / static_cast<double>(n),
      after.PerKey(before, n).c_str(), entry_bytes / k, rounded_bytes / k, slot_bytes / k,
      ctrl_bytes / k, k / static_cast<double>(cap_sum), (collected.rss - before.rss) / k, cap_min,
      cap_max, size_min, size_max);
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

// --- proto: the recommendations of docs/DESIGN.md, "Memory per key", tried
// outside the store. 96 Swiss tables of entry pointers, shard chosen as
// ShardMap does, entries in the store's layout; the table arrays and the
// entries come from the allocators named on the command line.

// Table arrays of at least g_direct_bytes (--direct-kib, default 64 KiB)
// straight from the kernel (huge pages asked for from 4 MiB), so that a table
// freed by a doubling goes back at once; smaller ones from mimalloc as now.
std::size_t g_direct_bytes = std::size_t{64} << 10;

template <typename T>
struct MmapLargeAllocator {
  using value_type = T;
  MmapLargeAllocator() = default;
  template <typename U>
  MmapLargeAllocator(const MmapLargeAllocator<U>&) {}  // NOLINT: allocators convert implicitly
  static std::size_t Rounded(std::size_t bytes) { return (bytes + 4095) & ~std::size_t{4095}; }
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < g_direct_bytes) return static_cast<T*>(mi_malloc(bytes));
    void* p =
        ::mmap(nullptr, Rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    if (bytes >= (std::size_t{4} << 20)) ::madvise(p, Rounded(bytes), MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < g_direct_bytes) {
      mi_free(p);
    } else {
      ::munmap(p, Rounded(bytes));
    }
  }
  template <typename U>
  bool operator==(const MmapLargeAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const MmapLargeAllocator<U>&) const {
    return false;
  }
};

// Entries in 2 MiB slabs of fixed 120-byte slots (118 rounded up to 8),
// bump-allocated: what a slab per 8-byte size class would cost per entry.
class Slab120 {
 public:
  static constexpr std::size_t kSlot = 120;
  static constexpr std::size_t kSlab = std::size_t{2} << 20;
  char* Allocate() {
    if (next_ + kSlot > end_) {
      void* p = ::mmap(nullptr, kSlab, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      ::madvise(p, kSlab, MADV_HUGEPAGE);
      next_ = static_cast<char*>(p);
      end_ = next_ + kSlab;
    }
    char* e = next_;
    next_ += kSlot;
    return e;
  }

 private:
  char* next_ = nullptr;
  char* end_ = nullptr;
};

template <typename Alloc>
using ProtoSet = absl::flat_hash_set<char*, kvstore::EntryHash, kvstore::EntryEq, Alloc>;

template <typename Alloc>
int ProtoRun(std::size_t n, bool slab, const char* tables_name) {
  mi_option_enable(mi_option_large_os_pages);  // as the store does
  const kvbench::ValuePool values;
  constexpr std::size_t kShards = kvstore::ShardMap::kShards;
  auto sets = std::make_unique<ProtoSet<Alloc>[]>(kShards);
  Slab120 slabs;
  const Probe before = Probe::Now();
  char key[kvbench::kKeySize];
  for (std::size_t i = 0; i < n; ++i) {
    kvbench::FormatKey(i, 0, key);
    const std::string_view k(key, kvbench::kKeySize), v = values.Get(i);
    const std::size_t bytes = 2 + k.size() + v.size();  // one-byte varints for these sizes
    char* e = slab ? slabs.Allocate() : static_cast<char*>(mi_malloc(bytes));
    char* p = kvstore::PutVarint32(kvstore::PutVarint32(e, static_cast<uint32_t>(k.size())),
                                   static_cast<uint32_t>(v.size()));
    std::memcpy(p, k.data(), k.size());
    std::memcpy(p + k.size(), v.data(), v.size());
    const uint64_t h = kvstore::Hash64(k);
    sets[static_cast<std::size_t>(((h >> 32) * kShards) >> 32)].insert(e);
  }
  const Probe after = Probe::Now();
  std::size_t total = 0;
  for (std::size_t s = 0; s < kShards; ++s) total += sets[s].size();
  if (total != n) {
    std::fprintf(stderr, "proto: %zu entries, expected %zu\n", total, n);
    return 1;
  }
  std::printf("mode=proto keys=%zu tables=%s entries=%s direct_kib=%zu %s\n", n, tables_name,
              slab ? "slab120" : "mimalloc", g_direct_bytes >> 10, after.PerKey(before, n).c_str());
  return 0;  // the process exits: nothing is freed
}

// 4-byte slot numbers instead of pointers: entries in one region of 120-byte
// slots (reserved up front, pages touched as they fill), and tables of
// uint32_t slot numbers that hash and compare through the region.
char* g_region = nullptr;
const char* SlotEntry(uint32_t slot) { return g_region + std::size_t{slot} * Slab120::kSlot; }
struct SlotHash {
  using is_transparent = void;
  std::size_t operator()(uint32_t slot) const {
    return kvstore::Hash64(kvstore::Entry::Key(SlotEntry(slot)));
  }
};
struct SlotEq {
  bool operator()(uint32_t a, uint32_t b) const {
    return kvstore::Entry::Key(SlotEntry(a)) == kvstore::Entry::Key(SlotEntry(b));
  }
};

int ProtoSlots(std::size_t n) {
  mi_option_enable(mi_option_large_os_pages);  // as the store does
  const kvbench::ValuePool values;
  constexpr std::size_t kShards = kvstore::ShardMap::kShards;
  using Set = absl::flat_hash_set<uint32_t, SlotHash, SlotEq, MmapLargeAllocator<uint32_t>>;
  auto sets = std::make_unique<Set[]>(kShards);
  const std::size_t region =
      (n * Slab120::kSlot + Slab120::kSlab - 1) / Slab120::kSlab * Slab120::kSlab;
  void* p = ::mmap(nullptr, region, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return 1;
  ::madvise(p, region, MADV_HUGEPAGE);
  g_region = static_cast<char*>(p);
  const Probe before = Probe::Now();
  char key[kvbench::kKeySize];
  for (std::size_t i = 0; i < n; ++i) {
    kvbench::FormatKey(i, 0, key);
    const std::string_view k(key, kvbench::kKeySize), v = values.Get(i);
    char* e = g_region + i * Slab120::kSlot;
    char* q = kvstore::PutVarint32(kvstore::PutVarint32(e, static_cast<uint32_t>(k.size())),
                                   static_cast<uint32_t>(v.size()));
    std::memcpy(q, k.data(), k.size());
    std::memcpy(q + k.size(), v.data(), v.size());
    const uint64_t h = kvstore::Hash64(k);
    sets[static_cast<std::size_t>(((h >> 32) * kShards) >> 32)].insert(static_cast<uint32_t>(i));
  }
  const Probe after = Probe::Now();
  std::size_t total = 0;
  for (std::size_t s = 0; s < kShards; ++s) total += sets[s].size();
  if (total != n) return 1;
  std::printf("mode=proto keys=%zu tables=mmap slots=4 entries=slab120 direct_kib=%zu %s\n", n,
              g_direct_bytes >> 10, after.PerKey(before, n).c_str());
  return 0;
}

int Proto(std::size_t n, const std::string& tables, const std::string& entries) {
  if (entries == "slab120-slots4") return ProtoSlots(n);
  const bool slab = entries == "slab120";
  if (!slab && entries != "mimalloc") return 2;
  if (tables == "mimalloc") return ProtoRun<mi_stl_allocator<char*>>(n, slab, "mimalloc");
  if (tables == "mmap") return ProtoRun<MmapLargeAllocator<char*>>(n, slab, "mmap");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: %s store|map|blocks|proto --keys N [--reserve] [--size S] [--small-pages]\n"
        "       [--tables mimalloc|mmap] [--entries mimalloc|slab120|slab120-slots4]\n"
        "       [--direct-kib K]\n",
        argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  std::size_t keys = 1000000, size = 118;
  bool small_pages = false, reserve = false;
  std::string tables = "mimalloc", entries = "mimalloc";
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      size = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--tables") == 0 && i + 1 < argc) {
      tables = argv[++i];
    } else if (std::strcmp(argv[i], "--entries") == 0 && i + 1 < argc) {
      entries = argv[++i];
    } else if (std::strcmp(argv[i], "--direct-kib") == 0 && i + 1 < argc) {
      g_direct_bytes = std::strtoull(argv[++i], nullptr, 10) << 10;
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
  if (mode == "proto") return Proto(keys, tables, entries);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}

// Copyright (c) the kvstore developers.
//
// Google Benchmark micro-benchmarks: get / set / mixed 90-10 on a store
// prefilled with N keys (16-byte keys, 100-byte values; N from
// KVSTORE_BENCH_KEYS, default 1000000), for kvstore (kEverySecond), the seed
// design and LevelDB (sync=false), with 1 and 2 threads. Sets overwrite
// present keys (steady state); the fill of fresh keys is in kvstore_compare.
//
//   kvstore_bench [--benchmark_filter=REGEX] [--benchmark_min_time=0.2]
//
// Stores are built lazily, once per process, in a temporary directory that is
// removed at exit. Throughput is items_per_second (real time).
//
// kvstore_nocount is kvstore with Options::count_operations off: the pair
// shows what the per-shard operation counters of stats() cost
// (--benchmark_filter='kvstore' runs both).
//
// BM_Append/<mode> is the WAL's append path alone: sets of fresh keys (then
// overwrites) into a store that starts empty, in each SyncMode, so it includes
// the log's preallocation and mapping growth. BM_Replay is the open of a
// store whose WAL holds N set records (no snapshot): read, parse and apply.
// BM_Save is save_to_file of the prefilled kvstore store (N keys) to a JSON
// snapshot; BM_Load is load_from_file of that snapshot.
//
//   kvstore_bench --benchmark_filter='Append|Replay|Save|Load'

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "bench_util.h"
#include "engines.h"

namespace kvbench {
namespace {

enum class Kind { kSeed, kKvStore, kLevelDb, kKvStoreNoCount };

std::size_t KeyCount() {
  const char* env = std::getenv("KVSTORE_BENCH_KEYS");
  const std::size_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
  return n > 0 ? n : 1000000;
}

struct World {
  TempDir dir;
  KeySet keys{KeyCount()};
  ValuePool values;
};

World& TheWorld() {
  static World world;
  return world;
}

std::unique_ptr<Engine> Make(Kind kind) {
  World& w = TheWorld();
  switch (kind) {
    case Kind::kSeed:
      return std::make_unique<SeedEngine>(w.dir.File("seed.wal"));
    case Kind::kKvStore:
      return std::make_unique<KvEngine>(w.dir.File("kv.wal"), kvstore::SyncMode::kEverySecond);
    case Kind::kKvStoreNoCount:
      return std::make_unique<KvEngine>(w.dir.File("kv-nocount.wal"),
                                        kvstore::SyncMode::kEverySecond, false);
    case Kind::kLevelDb:
#ifdef KVBENCH_HAVE_LEVELDB
      return std::make_unique<LevelDbEngine>(w.dir.File("leveldb"), false);
#else
      return nullptr;
#endif
  }
  return nullptr;
}

// The prefilled store of each kind, built on first use (thread-safe static
// initialisation: the other benchmark threads wait for it).
Engine& Prefilled(Kind kind) {
  // The world first, so that it outlives (is destroyed after) the stores.
  World& w = TheWorld();
  static std::unique_ptr<Engine> engines[4];
  static std::once_flag once[4];
  const auto i = static_cast<std::size_t>(kind);
  std::call_once(once[i], [&] {
    engines[i] = Make(kind);
    for (std::size_t k = 0; k < w.keys.size(); ++k) engines[i]->Set(w.keys[k], w.values.Get(k));
  });
  return *engines[i];
}

void BM_Get(benchmark::State& state, Kind kind) {
  Engine& e = Prefilled(kind);
  const KeySet& keys = TheWorld().keys;
  Rng rng(100 + state.thread_index());
  std::string value;
  for (auto _ : state) {
    bool found = e.Get(keys[rng.Uniform(keys.size())], &value);
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Set(benchmark::State& state, Kind kind) {
  Engine& e = Prefilled(kind);
  const KeySet& keys = TheWorld().keys;
  const ValuePool& values = TheWorld().values;
  Rng rng(200 + state.thread_index());
  for (auto _ : state) e.Set(keys[rng.Uniform(keys.size())], values.Get(rng.Next()));
  state.SetItemsProcessed(state.iterations());
}

void BM_Mixed(benchmark::State& state, Kind kind) {
  Engine& e = Prefilled(kind);
  const KeySet& keys = TheWorld().keys;
  const ValuePool& values = TheWorld().values;
  Rng rng(300 + state.thread_index());
  std::string value;
  for (auto _ : state) {
    const std::size_t k = rng.Uniform(keys.size());
    if (rng.Uniform(10) == 0) {
      e.Set(keys[k], values.Get(rng.Next()));
    } else {
      bool found = e.Get(keys[k], &value);
      benchmark::DoNotOptimize(found);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Append(benchmark::State& state, kvstore::SyncMode mode) {
  World& w = TheWorld();
  static std::atomic<int> runs{0};
  const std::string path = w.dir.File("append-" + std::to_string(runs++) + ".wal");
  {
    KvEngine e(path, mode);
    std::size_t i = 0;
    for (auto _ : state) {
      e.Set(w.keys[i % w.keys.size()], w.values.Get(i));
      ++i;
    }
  }
  std::filesystem::remove(path);
  state.SetItemsProcessed(state.iterations());
}

// The WAL of N sets, written once per process.
const std::string& ReplayLog() {
  static const std::string path = [] {
    World& w = TheWorld();
    std::string p = w.dir.File("replay.wal");
    KvEngine e(p, kvstore::SyncMode::kNever);
    for (std::size_t k = 0; k < w.keys.size(); ++k) e.Set(w.keys[k], w.values.Get(k));
    return p;
  }();
  return path;
}

void BM_Replay(benchmark::State& state) {
  const std::string& path = ReplayLog();
  for (auto _ : state) {
    auto store = KvEngine::Open(path, kvstore::SyncMode::kNever);
    state.PauseTiming();
    if (store.size() != TheWorld().keys.size()) state.SkipWithError("replay lost records");
    (void)store.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(TheWorld().keys.size()));
}

// The snapshot BM_Save writes and BM_Load reads.
std::string SnapshotFile() { return TheWorld().dir.File("bench-snapshot.json"); }

void BM_Save(benchmark::State& state) {
  auto* kv = static_cast<KvEngine*>(&Prefilled(Kind::kKvStore));
  for (auto _ : state) {
    auto r = kv->store().save_to_file(SnapshotFile());
    if (!r) state.SkipWithError(r.error().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(TheWorld().keys.size()));
}

void BM_Load(benchmark::State& state) {
  static const bool saved = [] {
    auto* kv = static_cast<KvEngine*>(&Prefilled(Kind::kKvStore));
    return kv->store().save_to_file(SnapshotFile()).has_value();
  }();
  if (!saved) state.SkipWithError("save_to_file failed");
  const std::string wal = TheWorld().dir.File("bench-load.wal");
  for (auto _ : state) {
    std::filesystem::remove(wal);
    auto store = kvstore::KvStore::load_from_file(SnapshotFile(), wal);
    state.PauseTiming();
    if (!store || store->size() != TheWorld().keys.size()) state.SkipWithError("load lost keys");
    if (store) (void)store->close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(TheWorld().keys.size()));
}

void Configure(benchmark::internal::Benchmark* b) {
  b->Threads(1)->Threads(2)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Get, seed, Kind::kSeed)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Get, kvstore, Kind::kKvStore)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Set, seed, Kind::kSeed)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Set, kvstore, Kind::kKvStore)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Mixed, seed, Kind::kSeed)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Mixed, kvstore, Kind::kKvStore)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Get, kvstore_nocount, Kind::kKvStoreNoCount)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Set, kvstore_nocount, Kind::kKvStoreNoCount)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Mixed, kvstore_nocount, Kind::kKvStoreNoCount)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Append, never, kvstore::SyncMode::kNever)->UseRealTime();
BENCHMARK_CAPTURE(BM_Append, every_second, kvstore::SyncMode::kEverySecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Append, always, kvstore::SyncMode::kAlways)->UseRealTime();
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Save)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef KVBENCH_HAVE_LEVELDB
BENCHMARK_CAPTURE(BM_Get, leveldb, Kind::kLevelDb)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Set, leveldb, Kind::kLevelDb)->Apply(Configure);
BENCHMARK_CAPTURE(BM_Mixed, leveldb, Kind::kLevelDb)->Apply(Configure);
#endif

}  // namespace
}  // namespace kvbench

BENCHMARK_MAIN();

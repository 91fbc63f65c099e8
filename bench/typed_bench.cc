// Copyright (c) the kvstore developers.
//
// Snapshots of one big sorted set: save and load of N members, for N from
// 100k to 1M. Items per second that stay flat as N grows show that both are
// linear in the set's size (the target: a million-member sorted set saves
// and loads in linear time). Part of kvstore_bench:
//   kvstore_bench --benchmark_filter=BM_ZSetSnapshot
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kvstore/kvstore.h"

namespace kvbench {
namespace {

kvstore::Options Quiet() {
  kvstore::Options o;
  o.sync = kvstore::SyncMode::kNever;
  o.checkpoint.on_close = false;
  o.log_level = kvstore::LogLevel::kOff;
  return o;
}

// A store holding one sorted set of n members with distinct random scores.
kvstore::KvStore BuildZSet(const std::string& wal, int64_t n) {
  auto s = std::move(kvstore::KvStore::open(wal, Quiet())).value();
  Rng rng(42);
  constexpr int64_t kBatch = 10000;
  std::vector<std::string> scores, members;
  for (int64_t done = 0; done < n; done += kBatch) {
    scores.clear();
    members.clear();
    std::vector<std::string_view> args;
    for (int64_t i = done; i < std::min(n, done + kBatch); ++i) {
      scores.push_back(kvstore::EncodeScore(static_cast<double>(rng.Next() % 1000000000) / 7));
      members.push_back("member:" + std::to_string(i));
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
      args.push_back(scores[i]);
      args.push_back(members[i]);
    }
    if (!s.apply("z", kvstore::OpCode::kZSetAdd, args)) std::abort();
  }
  return s;
}

void BM_ZSetSnapshotSave(benchmark::State& state) {
  TempDir dir;
  auto s = BuildZSet(dir.File("z.wal"), state.range(0));
  for (auto _ : state) {
    if (!s.save_to_file(dir.File("z.json"))) state.SkipWithError("save failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ZSetSnapshotLoad(benchmark::State& state) {
  TempDir dir;
  {
    auto s = BuildZSet(dir.File("z.wal"), state.range(0));
    if (!s.save_to_file(dir.File("z.json"))) std::abort();
  }
  for (auto _ : state) {
    auto s = kvstore::KvStore::load_from_file(dir.File("z.json"), dir.File("empty.wal"), Quiet());
    state.PauseTiming();
    bool ok = s && s->size() == 1;
    s->view("z", [&](const kvstore::Object& o) { ok = ok && o.size() == uint64_t(state.range(0)); });
    if (!ok) state.SkipWithError("load lost members");
    std::filesystem::remove(dir.File("empty.wal"));
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_ZSetSnapshotSave)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetSnapshotLoad)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace kvbench

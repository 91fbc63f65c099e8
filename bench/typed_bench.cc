// Copyright (c) the kvstore developers.
//
// One big sorted set: snapshot save and load of N members, for N from 100k
// to 3M (items per second that stay flat as N grows show that both are
// linear in the set's size), and ZRANK / a ZRANGE from a rank in the middle
// (time per call that stays flat as N grows shows O(log n)). Part of
// kvstore_bench:
//   kvstore_bench --benchmark_filter='BM_ZSet(Snapshot|Rank)'
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

// ZRANK of a random member (the object call, under the store's view).
void BM_ZSetRank(benchmark::State& state) {
  TempDir dir;
  auto s = BuildZSet(dir.File("z.wal"), state.range(0));
  Rng rng(7);
  std::size_t sum = 0;
  for (auto _ : state) {
    const std::string member = "member:" + std::to_string(rng.Next() % state.range(0));
    s.view("z", [&](const kvstore::Object& o) {
      sum += *static_cast<const kvstore::ZSetValue&>(o).rank(member);
    });
  }
  benchmark::DoNotOptimize(sum);
}

// ZRANGE of 10 members from a random rank (the object call).
void BM_ZSetRangeFromRank(benchmark::State& state) {
  TempDir dir;
  auto s = BuildZSet(dir.File("z.wal"), state.range(0));
  Rng rng(7);
  std::size_t seen = 0;
  for (auto _ : state) {
    const std::size_t start = rng.Next() % static_cast<std::size_t>(state.range(0));
    s.view("z", [&](const kvstore::Object& o) {
      int left = 10;
      static_cast<const kvstore::ZSetValue&>(o).for_each_from_rank(
          start, false, [&](std::string_view, double) {
            ++seen;
            return --left > 0;
          });
    });
  }
  benchmark::DoNotOptimize(seen);
}

BENCHMARK(BM_ZSetSnapshotSave)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetSnapshotLoad)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetRank)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ZSetRangeFromRank)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kvbench

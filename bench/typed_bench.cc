// Copyright (c) the kvstore developers.
//
// One big sorted set: snapshot save and load of N members, for N from 100k
// to 3M (items per second that stay flat as N grows show that both are
// linear in the set's size); ZADD of a million random scores; ZRANK and a
// ZRANGE from a random rank (time per call that stays flat as N grows shows
// O(log n)); the memory a million-member set takes. Part of kvstore_bench:
//   kvstore_bench --benchmark_filter='BM_ZSet'
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

// A store holding one sorted set of n members, with random scores or, when
// in_order, rising ones (member i at i / 2, as bench/types_memory.py).
kvstore::KvStore BuildZSet(const std::string& wal, int64_t n, bool in_order = false) {
  auto s = std::move(kvstore::KvStore::open(wal, Quiet())).value();
  Rng rng(42);
  constexpr int64_t kBatch = 10000;
  std::vector<std::string> scores, members;
  for (int64_t done = 0; done < n; done += kBatch) {
    scores.clear();
    members.clear();
    std::vector<std::string_view> args;
    for (int64_t i = done; i < std::min(n, done + kBatch); ++i) {
      const double score =
          in_order ? static_cast<double>(i) / 2 : static_cast<double>(rng.Next() % 1000000000) / 7;
      scores.push_back(kvstore::EncodeScore(score));
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

// ZADD of n members with random scores, 10000 per call, into one new set
// (random inserts into the set's ordered index; the WAL is written, not
// synced).
void BM_ZSetAddRandom(benchmark::State& state) {
  for (auto _ : state) {
    TempDir dir;
    auto s = BuildZSet(dir.File("z.wal"), state.range(0));
    state.PauseTiming();
    (void)s.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The anonymous RSS growth per member over building one set of n members
// (arg 1: rising scores, 0: random ones), as the counter bytes_per_member.
void BM_ZSetMemory(benchmark::State& state) {
  for (auto _ : state) {
    TempDir dir;
    const uint64_t before = ReadRssBytes("RssAnon:");
    auto s = BuildZSet(dir.File("z.wal"), state.range(0), state.range(1) != 0);
    const uint64_t after = ReadRssBytes("RssAnon:");
    state.counters["bytes_per_member"] =
        static_cast<double>(after - before) / static_cast<double>(state.range(0));
  }
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
      auto take = [&](std::string_view, double) {
        ++seen;
        return --left > 0;
      };
      static_cast<const kvstore::ZSetValue&>(o).for_each_from_rank(start, false, take);
    });
  }
  benchmark::DoNotOptimize(seen);
}

BENCHMARK(BM_ZSetSnapshotSave)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetSnapshotLoad)->Arg(100000)->Arg(1000000)->Arg(3000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetAddRandom)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZSetMemory)
    ->Args({1000000, 0})
    ->Args({1000000, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ZSetRank)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ZSetRangeFromRank)->Arg(1000)->Arg(100000)->Arg(1000000);

}  // namespace
}  // namespace kvbench

// Copyright (c) the kvstore developers.

#include "expirer.h"

#include <time.h>

#include <algorithm>
#include <vector>

#include "histogram.h"

namespace kvstore {

namespace {
// Reclaim lag buckets (seconds): 1 ms .. 5 min.
const std::vector<double> kLagBounds = {0.001, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300};
// Keys removed per WAL record and per hold of a shard's lock: large enough
// to amortise the record, small enough that readers of the shard wait
// microseconds.
constexpr std::size_t kBatch = 64;

uint64_t ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}
}  // namespace

Expirer::Expirer(const Options& options, ShardMap* map, WritePath* writes)
    : map_(map),
      writes_(writes),
      on_expired_(options.on_expired),
      period_(options.expire_cycle_period),
      budget_(std::chrono::duration_cast<std::chrono::microseconds>(period_) *
              std::clamp(options.expire_cycle_cpu_percent, 1, 100) / 100),
      lag_(MakeHistogram(kLagBounds)) {}

void Expirer::Start() {
  if (period_.count() <= 0) return;
  task_ = Background::Default().Every(period_, [this] { RunCycle(); });
}

bool Expirer::DrainShard(std::size_t i, int64_t now,
                         std::chrono::steady_clock::time_point stop_at) {
  Shard& shard = map_->shard(i);
  std::vector<int64_t> lags;
  std::vector<std::string> keys;
  while (shard.expiring_count.load(std::memory_order_relaxed) > 0) {
    lags.clear();
    keys.clear();
    const std::size_t n =
        writes_->ReclaimExpired(shard, now, kBatch, &lags, on_expired_ ? &keys : nullptr);
    for (const auto& k : keys) on_expired_(k);
    if (n > 0) {
      expired_.fetch_add(n, std::memory_order_relaxed);
      MutexLock lock(&mu_);
      for (int64_t l : lags) Observe(&lag_, static_cast<double>(l) / 1000.0);
    }
    if (n < kBatch) return true;  // nothing more expired here (or the WAL refused)
    if (std::chrono::steady_clock::now() >= stop_at) return false;
  }
  return true;
}

uint64_t Expirer::ReclaimAll() {
  const uint64_t before = expired_.load(std::memory_order_relaxed);
  const int64_t now = map_->clock().NowMs();
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    DrainShard(i, now, std::chrono::steady_clock::time_point::max());
  }
  return expired_.load(std::memory_order_relaxed) - before;
}

void Expirer::RunCycle() {
  const uint64_t cpu_start = ThreadCpuMicros();
  const auto stop_at = std::chrono::steady_clock::now() + budget_;
  const int64_t now = map_->clock().NowMs();
  std::size_t i = next_shard_;
  for (std::size_t done = 0; done < ShardMap::kShards; ++done, i = (i + 1) % ShardMap::kShards) {
    if (!DrainShard(i, now, stop_at)) break;  // budget spent: resume here next run
  }
  next_shard_ = i % ShardMap::kShards;
  cycles_.fetch_add(1, std::memory_order_relaxed);
  cpu_us_.fetch_add(ThreadCpuMicros() - cpu_start, std::memory_order_relaxed);
}

void Expirer::FillStats(Stats* s) const {
  const uint64_t expiring = map_->Expiring();
  const int64_t now = map_->clock().NowMs();
  uint64_t stale = 0;
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    const Shard& shard = map_->shard(i);
    if (shard.expiring_count.load(std::memory_order_relaxed) == 0) continue;
    ReaderLock lock(&shard.mu);
    stale += shard.Stale(now);
  }
  s->keys_with_expiry = expiring - std::min(expiring, stale);
  s->expired_keys = expired_.load(std::memory_order_relaxed);
  s->expired_stale_perc =
      expiring == 0 ? 0.0 : 100.0 * static_cast<double>(stale) / static_cast<double>(expiring);
  s->expire_cycles = cycles_.load(std::memory_order_relaxed);
  s->expire_cycle_cpu_us = cpu_us_.load(std::memory_order_relaxed);
  MutexLock lock(&mu_);
  s->expire_lag_seconds = lag_;
}

}  // namespace kvstore

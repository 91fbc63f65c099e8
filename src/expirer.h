// Copyright (c) the kvstore developers.
//
// The active expiry cycle: gives back the memory of expired keys. Expired
// keys are invisible to reads from their deadline on (shard_map.h checks the
// deadline on every access to a key that has one); this cycle removes them,
// logging each removal to the WAL (write_path.h, WritePath::ReclaimExpired)
// so that replay reproduces the same state.
//
// Each shard keeps its expiring keys ordered by deadline, so a run finds
// exactly the expired ones, oldest first, without sampling. Like Redis's
// cycle it runs Options::expire_cycle_period apart (10 times a second by
// default) on the shared background pool and keeps to a CPU budget: a run
// stops after expire_cycle_cpu_percent of its period (25 ms of every 100 ms
// by default), resuming at the next shard next time. While the budget
// suffices, expired keys are reclaimed within one period of their deadline;
// when it does not, the backlog (expired_stale_perc) shrinks at the
// budget's pace, and reads still never see an expired key.

#ifndef KVSTORE_SRC_EXPIRER_H_
#define KVSTORE_SRC_EXPIRER_H_

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "background.h"
#include "kvstore/kvstore.h"
#include "mutex.h"
#include "shard_map.h"
#include "write_path.h"

namespace kvstore {

class Expirer {
 public:
  Expirer(const Options& options, ShardMap* map, WritePath* writes);
  ~Expirer() { Stop(); }
  Expirer(const Expirer&) = delete;
  Expirer& operator=(const Expirer&) = delete;

  // Reclaims every key expired now, with no budget (open: keys that expired
  // while the store was closed). Returns how many.
  uint64_t ReclaimAll();
  // Starts the periodic runs (unless the period is zero).
  void Start();
  // Stops them, waiting for a run in progress. Idempotent.
  void Stop() { task_.Cancel(); }

  // Runs one budgeted cycle now (the periodic task; tests call it directly).
  void RunCycle();

  void FillStats(Stats* s) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Reclaims from shard i until it has no expired key left or the deadline
  // passes. Returns false if it stopped for the deadline.
  bool DrainShard(std::size_t i, int64_t now,
                  std::chrono::steady_clock::time_point stop_at) ABSL_LOCKS_EXCLUDED(mu_);

  ShardMap* const map_;
  WritePath* const writes_;
  const std::function<void(std::string_view)> on_expired_;  // Options::on_expired
  const std::chrono::milliseconds period_;
  const std::chrono::microseconds budget_;

  std::size_t next_shard_ = 0;  // where a run that hit its budget resumes
  std::atomic<uint64_t> expired_{0};
  std::atomic<uint64_t> cycles_{0};
  std::atomic<uint64_t> cpu_us_{0};
  mutable Mutex mu_;
  Histogram lag_ ABSL_GUARDED_BY(mu_);

  Background::Handle task_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_EXPIRER_H_

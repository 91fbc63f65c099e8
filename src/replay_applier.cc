// Copyright (c) the kvstore developers.
//
// ReplayApplier's lanes: the scanning thread fills a batch of ops per lane
// and queues full batches (at most kMaxQueued per lane, so memory stays
// bounded); each lane's thread applies its batches in order.

#include "replay_applier.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "mutex.h"
#include "storage_layout.h"

namespace kvstore {
namespace {

constexpr uint64_t kMinRecordsForThreads = 8192;
constexpr std::size_t kMaxAppliers = 3;
constexpr std::size_t kBatchOps = 256;
constexpr std::size_t kMaxQueued = 64;  // batches per lane

// SetAppliersForTesting's count; -1: none.
std::atomic<int64_t> appliers_for_testing{-1};

// One single-key op; the views point into the scanned log.
struct Op {
  uint64_t seq;
  HashedKey key;
  std::string_view value;
  int64_t deadline;
  wal::RecordType type;
};

}  // namespace

struct ReplayApplier::Lane {
  Mutex mu;
  CondVar changed;
  std::deque<std::vector<Op>> queue ABSL_GUARDED_BY(mu);
  std::size_t unapplied ABSL_GUARDED_BY(mu) = 0;  // batches queued or being applied
  bool stop ABSL_GUARDED_BY(mu) = false;
  std::vector<Op> filling;  // the scanning thread's
  std::thread thread;

  void Send() {
    if (filling.empty()) return;
    std::vector<Op> next;
    next.reserve(kBatchOps);
    MutexLock l(&mu);
    while (queue.size() >= kMaxQueued) changed.Wait(&mu);
    queue.push_back(std::move(filling));
    ++unapplied;
    changed.SignalAll();
    filling = std::move(next);
  }

  void WaitApplied() {
    MutexLock l(&mu);
    while (unapplied > 0) changed.Wait(&mu);
  }

  void Run(ShardMap* map) {
    for (;;) {
      std::vector<Op> batch;
      {
        MutexLock l(&mu);
        while (queue.empty() && !stop) changed.Wait(&mu);
        if (queue.empty()) return;
        batch = std::move(queue.front());
        queue.pop_front();
        changed.SignalAll();  // room in the queue
      }
      for (const Op& op : batch) ApplyReplayOp(map, op.seq, op.type, op.key, op.value, op.deadline);
      MutexLock l(&mu);
      --unapplied;
      changed.SignalAll();
    }
  }
};

ReplayApplier::ReplayApplier(ShardMap* map, std::size_t appliers)
    : map_(map), lanes_(appliers > 0 ? new Lane[appliers] : nullptr), appliers_(appliers) {
  for (std::size_t i = 0; i < appliers_; ++i) {
    Lane& lane = lanes_[i];
    lane.filling.reserve(kBatchOps);
    try {
      lane.thread = std::thread([&lane, map] { lane.Run(map); });
    } catch (const std::system_error&) {
      // No thread: apply inline from here on (the lanes started so far are
      // stopped first, so nothing is applied out of order).
      Finish();
      appliers_ = 0;
      finished_ = false;
      return;
    }
  }
}

ReplayApplier::~ReplayApplier() { Finish(); }

std::size_t ReplayApplier::AppliersFor(uint64_t records) {
  if (const int64_t n = appliers_for_testing.load(); n >= 0) return static_cast<std::size_t>(n);
  if (records < kMinRecordsForThreads) return 0;
  const std::size_t cores = std::thread::hardware_concurrency();
  if (cores < 2) return 0;
  return std::min(cores - 1, kMaxAppliers);
}

void ReplayApplier::SetAppliersForTesting(std::optional<std::size_t> appliers) {
  appliers_for_testing.store(appliers ? static_cast<int64_t>(*appliers) : -1);
}

void ReplayApplier::Apply(const wal::RecordView& rec) {
  if (appliers_ == 0) {
    ApplyRecord(map_, rec);
    return;
  }
  if (rec.type != wal::RecordType::kBatch) {
    Route(rec.seq, rec.type, rec.key, rec.value, rec.deadline);
    return;
  }
  std::string why;  // the reader validated the grammar already
  (void)wal::ForEachBatchOp(rec.value, &why, [&](const wal::BatchOp& op) {
    Route(rec.seq, op.type, op.key, op.value, op.deadline);
  });
}

void ReplayApplier::Route(uint64_t seq, wal::RecordType type, std::string_view key,
                          std::string_view value, int64_t deadline) {
  if (type == wal::RecordType::kClear) {
    Drain();  // every shard's earlier ops first
    map_->ReplayClear(seq);
    return;
  }
  const HashedKey k = ShardMap::HashKey(key);
  Lane& lane = lanes_[ShardMap::ShardOf(k) % appliers_];
  lane.filling.push_back(Op{seq, k, value, deadline, type});
  if (lane.filling.size() >= kBatchOps) lane.Send();
}

void ReplayApplier::Drain() {
  for (std::size_t i = 0; i < appliers_; ++i) lanes_[i].Send();
  for (std::size_t i = 0; i < appliers_; ++i) lanes_[i].WaitApplied();
}

void ReplayApplier::Finish() {
  if (finished_) return;
  finished_ = true;
  Drain();
  for (std::size_t i = 0; i < appliers_; ++i) {
    Lane& lane = lanes_[i];
    {
      MutexLock l(&lane.mu);
      lane.stop = true;
      lane.changed.SignalAll();
    }
    if (lane.thread.joinable()) lane.thread.join();
  }
}

}  // namespace kvstore

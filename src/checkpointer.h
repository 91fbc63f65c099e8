// Copyright (c) the kvstore developers.
//
// When snapshots are written, and what stats() says about them. The
// Checkpointer serialises every snapshot of a store (save_to_file,
// checkpoint(), the automatic ones and the final one of close()), runs the
// automatic triggers of CheckpointPolicy as a task of the background pool
// (background.h) every 100 ms, backs off after a failure (retry_min doubling
// to retry_max) and keeps the bookkeeping: counts, last outcome, and the
// base (sequence, WAL bytes, time) the triggers count from. How and where a
// snapshot is written is the StorageLayout's business.

#ifndef KVSTORE_SRC_CHECKPOINTER_H_
#define KVSTORE_SRC_CHECKPOINTER_H_

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "background.h"
#include "kvstore/kvstore.h"
#include "mutex.h"
#include "shard_map.h"
#include "storage_layout.h"

namespace kvstore {

class Checkpointer {
 public:
  // base_seq: the sequence of the snapshot the store opened from;
  // own_snapshot: the layout wrote that snapshot (its time is then the
  // open's, for last_checkpoint_unix).
  Checkpointer(const Options& options, StorageLayout* layout, const ShardMap* map,
               std::shared_ptr<spdlog::logger> log, uint64_t base_seq, bool own_snapshot);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Starts the automatic triggers (layouts with checkpoints of their own).
  void Start();

  // save_to_file.
  Result<void> Save(const std::string& path) ABSL_LOCKS_EXCLUDED(save_mu_, mu_);
  // checkpoint(): kInvalidArgument for a layout without checkpoints, kClosed
  // after Close.
  Result<void> Checkpoint() ABSL_LOCKS_EXCLUDED(save_mu_, mu_);

  // Stops the triggers (waiting for a checkpoint in progress) and writes the
  // final snapshot if CheckpointPolicy::on_close asks and anything changed.
  // *first is false if an earlier Close already did this (then returns OK).
  Result<void> Close(bool* first) ABSL_LOCKS_EXCLUDED(save_mu_, mu_);

  // Fills the checkpoint fields of stats(); last_seq and wal_bytes are the
  // WAL's current figures.
  void FillStats(Stats* s, uint64_t last_seq, uint64_t wal_bytes) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class Kind { kSave, kCheckpoint };
  Result<void> Run(Kind kind, const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(save_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Records the outcome of one snapshot: counters, last error, backoff.
  void Note(const Result<SnapshotOutcome>& r, double seconds) ABSL_LOCKS_EXCLUDED(mu_);
  bool Due(std::chrono::steady_clock::time_point now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The periodic task: checkpoints if a rule holds and no backoff is pending.
  void Tick() ABSL_LOCKS_EXCLUDED(save_mu_, mu_);

  const CheckpointPolicy policy_;
  StorageLayout* const layout_;
  const ShardMap* const map_;
  const std::shared_ptr<spdlog::logger> log_;

  Mutex save_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one snapshot at a time
  bool closed_ ABSL_GUARDED_BY(save_mu_) = false;

  mutable Mutex mu_;  // the bookkeeping, read by stats() while a snapshot runs
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<Error> last_error_ ABSL_GUARDED_BY(mu_);
  double last_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_unix_ ABSL_GUARDED_BY(mu_) = 0;
  // The base the triggers count from: the last snapshot the log starts after.
  uint64_t base_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t base_wal_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point base_time_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point retry_at_ ABSL_GUARDED_BY(mu_);  // after a failure
  std::chrono::milliseconds backoff_ ABSL_GUARDED_BY(mu_){0};

  Background::Handle task_;  // the triggers; cancelled by Close
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_CHECKPOINTER_H_

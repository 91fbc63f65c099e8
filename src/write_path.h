// Copyright (c) the kvstore developers.
//
// The commit path: every write of a store (set, remove, clear, update) from
// the public call to its durability, top to bottom in write_path.cc:
//
//   check sizes -> encode the WAL record (no lock) -> lock the key's shard
//   -> Wal::Append (assigns the sequence number, copies the record into the
//   log) -> apply to the shard -> unlock -> wait for durability as
//   Options::sync and WriteOptions ask (group commit: Wal::Commit)
//
// Holding the shard lock across append and apply makes the order of writes to
// a key in memory equal to their order in the log, so replay reproduces the
// state readers saw. Also here: the group-commit API (wait_durable,
// durable_sequence) and the Transaction that update() callbacks see.

#ifndef KVSTORE_SRC_WRITE_PATH_H_
#define KVSTORE_SRC_WRITE_PATH_H_

#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/kvstore.h"
#include "shard_map.h"
#include "wal.h"

namespace kvstore {

class WritePath {
 public:
  WritePath(ShardMap* map, Wal* wal, bool count_ops, std::shared_ptr<spdlog::logger> log)
      : map_(map), wal_(wal), count_ops_(count_ops), log_(std::move(log)) {}

  // deadline: Unix ms, 0 for none (set() clears a key's deadline).
  Result<void> Set(std::string_view key, std::string_view value, const WriteOptions& wo,
                   int64_t deadline = 0);
  Result<bool> ExpireAt(std::string_view key, int64_t deadline, const WriteOptions& wo) {
    return ChangeExpiry(key, deadline, false, wo);
  }
  Result<bool> Persist(std::string_view key, const WriteOptions& wo) {
    return ChangeExpiry(key, 0, true, wo);
  }
  Result<std::optional<std::string>> Remove(std::string_view key, const WriteOptions& wo);
  Result<void> Clear(const WriteOptions& wo);
  Result<void> Update(const std::vector<std::string_view>& keys,
                      const std::function<void(Transaction&)>& fn, const WriteOptions& wo);
  Result<void> UpdateAll(const std::function<void(Transaction&)>& fn, const WriteOptions& wo);

  // The active expiry cycle's write: under the shard's lock, logs one remove
  // (one batch record for several) for up to `max` entries whose deadline is
  // before now and erases them. Adds each one's lag (now - deadline, ms) to
  // *lags. Returns how many it reclaimed; 0 also when the WAL refuses the
  // record (the keys stay invisible and are tried again next cycle).
  // With keys, appends the reclaimed keys to it.
  std::size_t ReclaimExpired(Shard& shard, int64_t now, std::size_t max,
                             std::vector<int64_t>* lags, std::vector<std::string>* keys = nullptr);

  // sync(): every logged write durable now.
  Result<void> Sync() { return Logged(wal_->SyncAll()); }
  // The group-commit API (KvStore::wait_durable and friends).
  Result<void> WaitDurable(uint64_t seq) {
    return Logged(wal_->SyncUpTo(std::min(seq, wal_->last_seq())));
  }
  uint64_t LastSequence() const { return wal_->last_seq(); }
  Result<void> SetSyncMode(SyncMode mode) { return Logged(wal_->SetMode(mode)); }
  SyncMode GetSyncMode() const { return wal_->mode(); }
  uint64_t DurableSequence() const { return wal_->synced_seq(); }

  uint64_t clears() const { return clears_.load(std::memory_order_relaxed); }
  uint64_t updates() const { return updates_.load(std::memory_order_relaxed); }

 private:
  Result<bool> ChangeExpiry(std::string_view key, int64_t deadline, bool persist,
                            const WriteOptions& wo);
  // The durability step every write ends with: reports the sequence number
  // and waits for it as Options::sync and wo require.
  Result<void> Finish(const Result<uint64_t>& seq, const WriteOptions& wo);
  // Logs the first failed write (the store refuses writes after a failed
  // sync, and logging every refusal would flood the log).
  template <typename T>
  T Logged(T r) const {
    if (!r && r.error().code() != ErrorCode::kInvalidArgument &&
        !write_error_logged_.exchange(true)) {
      log_->error("write failed: {}", r.error().ToString());
    }
    return r;
  }

  ShardMap* const map_;
  Wal* const wal_;
  const bool count_ops_;
  const std::shared_ptr<spdlog::logger> log_;
  mutable std::atomic<bool> write_error_logged_{false};
  std::atomic<uint64_t> clears_{0}, updates_{0};
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_WRITE_PATH_H_

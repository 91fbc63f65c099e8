// Copyright (c) the kvstore developers.
//
// KvStore::Impl: one open store, assembled from its parts. It owns the
// keyspace (ShardMap), the StorageLayout (files, WAL), the commit path
// (WritePath), the Checkpointer, the active expiry cycle (Expirer) and the
// recovery figures; KvStore's public
// methods (kvstore.cc) forward to these parts. Open and Close order the
// parts' start and stop.

#ifndef KVSTORE_SRC_STORE_H_
#define KVSTORE_SRC_STORE_H_

#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <optional>

#include "checkpointer.h"
#include "expirer.h"
#include "kvstore/kvstore.h"
#include "shard_map.h"
#include "storage_layout.h"
#include "write_path.h"

namespace kvstore {

class KvStore::Impl {
 public:
  // Recovers through layout (made by SingleFileLayout::Make or
  // DataDirLayout::Make with the same options and log) and starts the
  // checkpoint triggers.
  static Result<std::unique_ptr<Impl>> Open(
      Result<std::unique_ptr<StorageLayout>> layout, const Options& options,
      std::shared_ptr<spdlog::logger> log);
  ~Impl() { (void)Close(); }

  // The final checkpoint (if asked), then the WAL and the layout's files.
  Result<void> Close();
  Stats GetStats() const;  // stats.cc

  ShardMap& map() { return map_; }
  const ShardMap& map() const { return map_; }
  WritePath& writes() { return *writes_; }
  const WritePath& writes() const { return *writes_; }
  Checkpointer& checkpointer() { return *checkpointer_; }
  Expirer& expirer() { return *expirer_; }
  StorageLayout& layout() { return *layout_; }
  const RecoveryStats& recovery() const { return recovery_; }
  bool count_ops() const { return count_ops_; }
  // scan() calls, for stats().
  void CountScan() const {
    if (count_ops_) scans_.fetch_add(1, std::memory_order_relaxed);
  }

  Impl(const Options& options, std::shared_ptr<spdlog::logger> log)
      : count_ops_(options.count_operations), log_(std::move(log)) {
    map_.set_clock(Clock(options.clock));
    map_.set_encoding_limits(options.encoding_limits);
  }

 private:
  const bool count_ops_;
  const std::shared_ptr<spdlog::logger> log_;
  ShardMap map_;
  std::unique_ptr<StorageLayout> layout_;
  RecoveryStats recovery_;
  std::optional<WritePath> writes_;
  std::optional<Checkpointer> checkpointer_;
  std::optional<Expirer> expirer_;
  mutable std::atomic<uint64_t> scans_{0};
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_STORE_H_

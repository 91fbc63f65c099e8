// Copyright (c) the kvstore developers.
//
// The layout of KvStore::open and load_from_file: one WAL file the caller
// names, and optionally a snapshot to start from. save_to_file writes a
// snapshot where the caller says and then rewrites the WAL to hold only the
// records after it (Wal::Checkpoint). No checkpoints of its own, no lock.

#ifndef KVSTORE_SRC_SINGLE_FILE_LAYOUT_H_
#define KVSTORE_SRC_SINGLE_FILE_LAYOUT_H_

#include <memory>
#include <optional>
#include <string>

#include "storage_layout.h"

namespace kvstore {

class SingleFileLayout final : public StorageLayout {
 public:
  // snapshot_path: the snapshot to load first (load_from_file), or nullptr.
  // Errors: kInvalidArgument for an empty path.
  static Result<std::unique_ptr<StorageLayout>> Make(const std::string* snapshot_path,
                                                     const std::string& wal_path,
                                                     const Options& options,
                                                     std::shared_ptr<spdlog::logger> log);

  Result<RecoverInfo> Recover(ShardMap* map, RecoveryStats* stats) override;
  Result<SnapshotOutcome> Save(const ShardMap& map, const std::string& path) override;
  bool has_checkpoints() const override { return false; }
  Result<SnapshotOutcome> Checkpoint(const ShardMap& map) override;
  Result<void> Close() override;
  const std::string& name() const override { return wal_path_; }

 private:
  SingleFileLayout(std::optional<std::string> snapshot_path, std::string wal_path,
                   const Options& options, std::shared_ptr<spdlog::logger> log);

  const std::shared_ptr<FileSystem> fs_;
  const std::optional<std::string> snapshot_path_;
  const std::string wal_path_;
  const Options options_;
  const std::shared_ptr<spdlog::logger> log_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_SINGLE_FILE_LAYOUT_H_

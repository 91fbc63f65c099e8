// Copyright (c) the kvstore developers.
//
// The layout of KvStore::open_dir: a directory, locked (flock on dir/LOCK)
// for the life of the store, holding the snapshot the MANIFEST names and the
// numbered WAL segments that continue it (names and MANIFEST format:
// data_dir.h; the protocol step by step: docs/FORMATS.md).
//
// Open replays the segments in order; a checkpoint rotates the WAL to a new
// segment, writes the snapshot at the cut, switches the MANIFEST and only
// then deletes what became obsolete. save_to_file is an export: the segments
// belong to the directory's own snapshots and stay.

#ifndef KVSTORE_SRC_DATA_DIR_LAYOUT_H_
#define KVSTORE_SRC_DATA_DIR_LAYOUT_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "data_dir.h"
#include "mutex.h"
#include "storage_layout.h"

namespace kvstore {

class DataDirLayout final : public StorageLayout {
 public:
  // Errors: kInvalidArgument for an empty path.
  static Result<std::unique_ptr<StorageLayout>> Make(const std::string& dir,
                                                     const Options& options,
                                                     std::shared_ptr<spdlog::logger> log);

  Result<RecoverInfo> Recover(ShardMap* map, RecoveryStats* stats) override;
  Result<SnapshotOutcome> Save(const ShardMap& map, const std::string& path) override;
  bool has_checkpoints() const override { return true; }
  Result<SnapshotOutcome> Checkpoint(const ShardMap& map) override ABSL_LOCKS_EXCLUDED(mu_);
  Result<void> Close() override;
  const std::string& name() const override { return dir_; }
  Result<backup::StoreCut> PinForBackup() override ABSL_LOCKS_EXCLUDED(mu_);
  void UnpinForBackup(const std::vector<std::string>& names) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  DataDirLayout(std::string dir, const Options& options, std::shared_ptr<spdlog::logger> log);

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  Result<void> RemoveObsolete(const datadir::Listing& listing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Result<void> ReplaySegments(const datadir::Listing& listing, ShardMap* map,
                              RecoveryStats* stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<FileSystem> fs_;
  const std::string dir_;
  const Options options_;
  const std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<FileLock> lock_;  // the directory's LOCK, from Recover to Close

  // The Checkpointer already runs one checkpoint at a time; mu_ makes the
  // layout's own state safe on its own.
  Mutex mu_;
  datadir::Manifest manifest_ ABSL_GUARDED_BY(mu_);
  uint64_t segment_ ABSL_GUARDED_BY(mu_) = 0;  // the segment taking appends
  // Files running backups still need: RemoveObsolete keeps them.
  std::multiset<std::string> pinned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_DATA_DIR_LAYOUT_H_

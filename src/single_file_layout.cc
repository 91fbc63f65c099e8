// Copyright (c) the kvstore developers.

#include "single_file_layout.h"

#include "durable_file.h"
#include "error.h"
#include "snapshot.h"

namespace kvstore {

SingleFileLayout::SingleFileLayout(std::optional<std::string> snapshot_path, std::string wal_path,
                                   const Options& options, std::shared_ptr<spdlog::logger> log)
    : fs_(options.fs ? options.fs : FileSystem::Default()),
      snapshot_path_(std::move(snapshot_path)),
      wal_path_(std::move(wal_path)),
      options_(options),
      log_(std::move(log)) {}

Result<std::unique_ptr<StorageLayout>> SingleFileLayout::Make(const std::string* snapshot_path,
                                                              const std::string& wal_path,
                                                              const Options& options,
                                                              std::shared_ptr<spdlog::logger> log) {
  if (wal_path.empty() || (snapshot_path != nullptr && snapshot_path->empty())) {
    return InvalidArgument("empty path given for the " +
                           std::string(wal_path.empty() ? "WAL" : "snapshot"));
  }
  std::optional<std::string> snap;
  if (snapshot_path != nullptr) snap = *snapshot_path;
  return std::unique_ptr<StorageLayout>(
      new SingleFileLayout(std::move(snap), wal_path, options, std::move(log)));
}

Result<RecoverInfo> SingleFileLayout::Recover(ShardMap* map, RecoveryStats* stats) {
  RecoverInfo info;
  info.snapshot = snapshot_path_ ? *snapshot_path_ : std::string("(none)");
  info.wal = wal_path_;
  if (snapshot_path_) {
    KV_RETURN_IF_ERROR(RemoveLeftover(*fs_, *snapshot_path_ + ".tmp"));  // a crash mid-save
    auto loaded = snapshot::Load(*fs_, *snapshot_path_, map);
    if (!loaded) return std::move(loaded).error();
    // The snapshot may have been renamed into place without a directory sync.
    KV_RETURN_IF_ERROR(fs_->SyncDir(DirName(*snapshot_path_)));
    stats->snapshot_keys = loaded->keys;
    stats->snapshot_sequence = loaded->sequence;
  }
  auto wal = Wal::Open(
      fs_, wal_path_, options_, stats->snapshot_sequence, snapshot_path_.has_value(),
      [map](uint64_t records) { map->Reserve(map->Size() + records); },
      [map](const wal::RecordView& rec) { ApplyRecord(map, rec); }, stats);
  if (!wal) return std::move(wal).error();
  wal_ = std::move(*wal);
  info.base_seq = stats->snapshot_sequence;
  return info;
}

// The snapshot protocol (docs/DESIGN.md): cut at V, write the snapshot
// durably, then drop records <= V from the log. A crash at any point leaves
// the old or the new snapshot and a log holding every record the survivor
// lacks.
Result<SnapshotOutcome> SingleFileLayout::Save(const ShardMap& map, const std::string& path) {
  auto saved = SaveSnapshot(*fs_, map, *wal_, path);
  if (!saved) return std::move(saved).error();
  SnapshotOutcome out = std::move(saved->outcome);
  out.wal_bytes_at_cut = wal_->counters().bytes;
  KV_RETURN_IF_ERROR(wal_->Checkpoint(saved->cut));
  out.is_base = true;
  return out;
}

Result<SnapshotOutcome> SingleFileLayout::Checkpoint(const ShardMap&) {
  return InvalidArgument("checkpoint() needs a store opened with open_dir (use save_to_file)");
}

Result<void> SingleFileLayout::Close() { return wal_ ? wal_->Close() : Result<void>(); }

}  // namespace kvstore

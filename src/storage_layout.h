// Copyright (c) the kvstore developers.
//
// Where a store keeps its bytes. A StorageLayout owns the files: it loads the
// snapshot and replays the WAL on open, owns the Wal that takes appends,
// writes snapshots (save_to_file, and its own checkpoints if it has them) and
// releases everything on close. Two implementations:
//
//   SingleFileLayout  KvStore::open / load_from_file: one WAL file, and the
//                     snapshot the caller names (single_file_layout.h)
//   DataDirLayout     KvStore::open_dir: a locked directory of numbered WAL
//                     segments and snapshots switched by a MANIFEST
//                     (data_dir_layout.h, data_dir.h for the names)
//
// A layout decides how and where; when (triggers, backoff) and the
// bookkeeping of stats() belong to the Checkpointer, which serialises every
// Save and Checkpoint call. This file also holds what both layouts share:
// applying replayed records and writing a snapshot file.

#ifndef KVSTORE_SRC_STORAGE_LAYOUT_H_
#define KVSTORE_SRC_STORAGE_LAYOUT_H_

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backup_cut.h"
#include "kvstore/kvstore.h"
#include "shard_map.h"
#include "snapshot.h"
#include "wal.h"

namespace kvstore {

// What one snapshot write produced.
struct SnapshotOutcome {
  std::string path;   // the snapshot file written
  uint64_t seq = 0;   // the sequence number it covers
  uint64_t bytes = 0;
  // The log now starts after seq: the snapshot is the base from which the
  // automatic checkpoint triggers count (not for an export of a directory).
  bool is_base = false;
  uint64_t wal_bytes_at_cut = 0;  // the WAL's byte counter at the cut (if is_base)
};

// What Recover found, for the open log line and the checkpoint triggers.
struct RecoverInfo {
  std::string snapshot;    // the snapshot loaded, or "(none)"
  std::string wal;         // the log taking appends
  uint64_t base_seq = 0;   // sequence of the snapshot the triggers count from
  bool own_snapshot = false;  // a snapshot the layout itself wrote was loaded
};

class StorageLayout {
 public:
  virtual ~StorageLayout() = default;

  // Loads the snapshot (if any) into map and replays the log after it,
  // filling *stats except duration. map is empty and not shared yet. On
  // success wal() takes appends.
  virtual Result<RecoverInfo> Recover(ShardMap* map, RecoveryStats* stats) = 0;

  // save_to_file: a snapshot of map at path (temporary, fsync, rename,
  // directory fsync), after making the WAL durable up to what it holds.
  virtual Result<SnapshotOutcome> Save(const ShardMap& map, const std::string& path) = 0;

  // Whether the layout writes snapshots of its own (checkpoint() and the
  // automatic triggers). Without, Checkpoint is never called.
  virtual bool has_checkpoints() const = 0;
  // The layout's own snapshot: write it and drop the log it covers.
  virtual Result<SnapshotOutcome> Checkpoint(const ShardMap& map) = 0;

  // Closes the WAL (syncing it) and releases the layout's hold on its files.
  virtual Result<void> Close() = 0;

  // The directory or WAL path, for messages.
  virtual const std::string& name() const = 0;

  // KvStore::backup (src/backup.cc): a cut of the layout's files at the
  // WAL's current end, whose files no checkpoint deletes until
  // UnpinForBackup(cut.pinned). Layouts without a directory of their own:
  // kInvalidArgument.
  virtual Result<backup::StoreCut> PinForBackup();
  virtual void UnpinForBackup(const std::vector<std::string>& names);

  Wal& wal() { return *wal_; }
  const Wal& wal() const { return *wal_; }

 protected:
  std::unique_ptr<Wal> wal_;  // set by Recover
};

// Applies a replayed WAL record to a map that is not shared yet.
void ApplyRecord(ShardMap* map, const wal::RecordView& rec);

// The snapshot step both layouts share: takes the WAL's cut (sequence V),
// writes map (every record <= V, possibly later ones) to path durably and
// makes the WAL durable before the rename, so that the snapshot never holds a
// write whose earlier writes a power loss could still take away.
struct SavedSnapshot {
  Wal::Cut cut;
  SnapshotOutcome outcome;
};
Result<SavedSnapshot> SaveSnapshot(FileSystem& fs, const ShardMap& map, Wal& wal,
                                   const std::string& path);
// As SaveSnapshot, at an already taken cut; a checkpoint passes
// snapshot::Encoders::kCheckpoint.
Result<SnapshotOutcome> WriteSnapshotAt(FileSystem& fs, const ShardMap& map, Wal& wal,
                                        const std::string& path, uint64_t seq,
                                        snapshot::Encoders encoders = snapshot::Encoders::kSave);

// The open summary: snapshot, records replayed and skipped, keys, time, and
// a warning or error for what recovery dropped.
void LogRecovery(spdlog::logger& log, const RecoverInfo& info, const RecoveryStats& r,
                 std::size_t keys);

}  // namespace kvstore

#endif  // KVSTORE_SRC_STORAGE_LAYOUT_H_

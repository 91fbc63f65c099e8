// Copyright (c) the kvstore developers.

#include "data_dir_layout.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "durable_file.h"
#include "error.h"
#include "snapshot.h"

namespace kvstore {

DataDirLayout::DataDirLayout(std::string dir, const Options& options,
                             std::shared_ptr<spdlog::logger> log)
    : fs_(options.fs ? options.fs : FileSystem::Default()),
      dir_(std::move(dir)),
      options_(options),
      log_(std::move(log)) {}

Result<std::unique_ptr<StorageLayout>> DataDirLayout::Make(const std::string& dir,
                                                           const Options& options,
                                                           std::shared_ptr<spdlog::logger> log) {
  if (dir.empty()) return InvalidArgument("empty data directory path");
  return std::unique_ptr<StorageLayout>(new DataDirLayout(dir, options, std::move(log)));
}

Result<RecoverInfo> DataDirLayout::Recover(ShardMap* map, RecoveryStats* stats) {
  KV_RETURN_IF_ERROR(fs_->MakeDir(dir_));
  auto lock = fs_->LockFile(Path(datadir::kLockName));
  if (!lock) return std::move(lock).error();
  lock_ = std::move(*lock);

  MutexLock l(&mu_);
  const std::string manifest_path = Path(datadir::kManifestName);
  auto has_manifest = fs_->FileExists(manifest_path);
  if (!has_manifest) return std::move(has_manifest).error();
  if (*has_manifest) {
    std::string text;
    KV_RETURN_IF_ERROR(fs_->ReadFile(manifest_path, &text));
    auto m = datadir::DecodeManifest(text, manifest_path);
    if (!m) return std::move(m).error();
    manifest_ = *m;
  }
  // The manifest may have been renamed into place without a directory sync
  // before a crash: make it durable before deleting what it made obsolete.
  KV_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  auto listing = datadir::List(*fs_, dir_);
  if (!listing) return std::move(listing).error();
  KV_RETURN_IF_ERROR(RemoveObsolete(*listing));

  if (!manifest_.snapshot.empty()) {
    const std::string path = Path(manifest_.snapshot);
    auto loaded = snapshot::Load(*fs_, path, map);
    if (!loaded) return std::move(loaded).error();
    if (loaded->sequence != manifest_.sequence) {
      return Corruption("snapshot '" + path + "' covers sequence " +
                        std::to_string(loaded->sequence) + " but the manifest says " +
                        std::to_string(manifest_.sequence));
    }
    stats->snapshot_keys = loaded->keys;
    stats->snapshot_sequence = loaded->sequence;
  }
  KV_RETURN_IF_ERROR(ReplaySegments(*listing, map, stats));
  RecoverInfo info;
  info.snapshot = manifest_.snapshot.empty() ? std::string("(none)") : Path(manifest_.snapshot);
  info.wal = Path(datadir::SegmentName(segment_));
  info.base_seq = manifest_.sequence;
  info.own_snapshot = !manifest_.snapshot.empty();
  return info;
}

// Removes what an interrupted checkpoint or an earlier manifest left behind.
Result<void> DataDirLayout::RemoveObsolete(const datadir::Listing& listing) {
  for (const std::string& name : listing.leftovers) {
    KV_RETURN_IF_ERROR(fs_->RemoveFile(Path(name)));
  }
  for (const std::string& name : listing.snapshots) {
    if (pinned_.count(name) != 0) continue;  // a running backup links it
    if (name != manifest_.snapshot) KV_RETURN_IF_ERROR(fs_->RemoveFile(Path(name)));
  }
  for (uint64_t n : listing.segments) {
    if (n < manifest_.wal_segment && pinned_.count(datadir::SegmentName(n)) == 0) {
      KV_RETURN_IF_ERROR(fs_->RemoveFile(Path(datadir::SegmentName(n))));
    }
  }
  return {};
}

// Replays the segments from manifest_.wal_segment on, in order. All but the
// last are sealed (a checkpoint rotated away from them after they were
// complete): each must continue the previous one and end cleanly. The last is
// opened through Wal::Open, which handles a torn tail and takes the appends.
Result<void> DataDirLayout::ReplaySegments(const datadir::Listing& listing, ShardMap* map,
                                           RecoveryStats* stats) {
  std::vector<uint64_t> segs;
  for (uint64_t n : listing.segments) {
    if (n >= manifest_.wal_segment) segs.push_back(n);
  }
  if (segs.empty()) segs.push_back(manifest_.wal_segment);
  // A checkpoint creates the next segment before it switches appends to it
  // (writing its header under the append lock). If the process died in
  // between, that segment holds nothing but zeros and the one before it is
  // still the live one, possibly with a torn final record: drop the unused
  // segment so that the live one is replayed as the last (torn tail allowed).
  while (segs.size() > 1) {
    const std::string path = Path(datadir::SegmentName(segs.back()));
    auto view = fs_->OpenView(path);
    if (!view) return std::move(view).error();
    if ((*view)->data().find_first_not_of('\0') != std::string_view::npos) break;
    view->reset();
    KV_RETURN_IF_ERROR(fs_->RemoveFile(path));
    log_->info("removed {}: created by a checkpoint that never switched to it", path);
    segs.pop_back();
  }
  uint64_t seq = manifest_.sequence;
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::string path = Path(datadir::SegmentName(segs[i]));
    auto view = fs_->OpenView(path);
    if (!view) return std::move(view).error();
    const std::string_view data = (*view)->data();
    map->Reserve(map->Size() + wal::CountFramedRecords(data));
    auto scan = wal::ScanLog(data, path, [&](const wal::RecordView& rec) {
      if (rec.seq <= seq) {
        ++stats->records_skipped;
      } else {
        ApplyRecord(map, rec);
        ++stats->records_replayed;
      }
    });
    if (!scan) return std::move(scan).error();
    if (!scan->has_header || scan->base_seq != seq) {
      return Corruption("WAL segment '" + path + "' does not continue sequence " +
                        std::to_string(seq) + (scan->has_header ? "" : " (no header)") +
                        ": records are missing");
    }
    if (scan->end != wal::End::kClean) {
      return Corruption("WAL segment '" + path + "' is damaged at offset " +
                        std::to_string(scan->valid_end) + " (" + scan->problem +
                        ") but later segments follow it");
    }
    seq = std::max(seq, scan->last_seq);
  }
  segment_ = segs.back();
  const std::string last = Path(datadir::SegmentName(segment_));
  {
    // Each segment starts where the previous one (or the snapshot) ended. A
    // later start is a gap (Wal::Open reports it); an earlier one means the
    // segment does not belong here.
    auto view = fs_->OpenView(last);
    if (view && (*view)->data().size() >= wal::kFileHeaderSize &&
        std::memcmp((*view)->data().data(), wal::kMagic, sizeof wal::kMagic) == 0) {
      const uint64_t base = GetFixed64((*view)->data().data() + 16);
      if (base < seq) {
        return Corruption("WAL segment '" + last + "' starts after sequence " +
                          std::to_string(base) + " but the segments before it end at " +
                          std::to_string(seq) + ": it does not continue them");
      }
    }
  }
  RecoveryStats tail;
  auto wal = Wal::Open(
      fs_, last, options_, seq, /*have_snapshot=*/true,
      [map](uint64_t records) { map->Reserve(map->Size() + records); },
      [map](const wal::RecordView& rec) { ApplyRecord(map, rec); }, &tail);
  if (!wal) return std::move(wal).error();
  wal_ = std::move(*wal);
  stats->records_replayed += tail.records_replayed;
  stats->records_skipped += tail.records_skipped;
  stats->bytes_dropped = tail.bytes_dropped;
  stats->drop_offset = tail.drop_offset;
  stats->torn_tail = tail.torn_tail;
  stats->corruption_dropped = tail.corruption_dropped;
  stats->last_sequence = tail.last_sequence;
  return {};
}

// An export: the directory's own files are left alone.
Result<SnapshotOutcome> DataDirLayout::Save(const ShardMap& map, const std::string& path) {
  auto saved = SaveSnapshot(*fs_, map, *wal_, path);
  if (!saved) return std::move(saved).error();
  return std::move(saved->outcome);
}

// Rotate the WAL to a new segment at sequence V, write snapshot-V, switch the
// MANIFEST to it, then delete the older snapshot and segments. A crash at any
// step leaves a MANIFEST naming a complete snapshot and segments that hold
// every record after it (docs/FORMATS.md walks through each step).
Result<SnapshotOutcome> DataDirLayout::Checkpoint(const ShardMap& map) {
  MutexLock l(&mu_);
  const uint64_t next = segment_ + 1;
  const std::string next_path = Path(datadir::SegmentName(next));
  auto file = fs_->OpenLogFile(next_path, 0);
  if (!file) return std::move(file).error();
  // The new segment's entry must be durable before records go in it.
  KV_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  auto cut = wal_->Rotate(std::move(*file), next_path);
  if (!cut) {
    (void)fs_->RemoveFile(next_path);
    return std::move(cut).error();
  }
  segment_ = next;
  const uint64_t bytes_at_cut = wal_->counters().bytes;
  auto out = WriteSnapshotAt(*fs_, map, *wal_, Path(datadir::SnapshotName(cut->seq)), cut->seq,
                             snapshot::Encoders::kCheckpoint);
  if (!out) return out;
  datadir::Manifest m;
  m.snapshot = datadir::SnapshotName(cut->seq);
  m.sequence = out->seq;
  m.wal_segment = segment_;
  KV_RETURN_IF_ERROR(datadir::WriteManifest(*fs_, dir_, m));
  manifest_ = m;
  // Only now is the old state obsolete.
  auto listing = datadir::List(*fs_, dir_);
  if (listing) {
    auto removed = RemoveObsolete(*listing);
    if (!removed) {
      log_->warn("checkpoint: could not remove an obsolete file: {}", removed.error().ToString());
    }
  }
  out->is_base = true;
  out->wal_bytes_at_cut = bytes_at_cut;
  return out;
}

// Under mu_, no checkpoint rotates, switches the manifest or deletes
// meanwhile: the manifest, the segment taking appends and the WAL's cut
// describe one state.
Result<backup::StoreCut> DataDirLayout::PinForBackup() {
  MutexLock l(&mu_);
  auto cut = wal_->TakeCut();  // refused once closed
  if (!cut) return std::move(cut).error();
  backup::StoreCut c{fs_,        dir_,        manifest_, segment_, cut->seq, cut->offset,
                     cut->file, backup::FilesNeeded(manifest_, segment_)};
  pinned_.insert(c.pinned.begin(), c.pinned.end());
  return c;
}

void DataDirLayout::UnpinForBackup(const std::vector<std::string>& names) {
  MutexLock l(&mu_);
  for (const std::string& n : names) {
    auto it = pinned_.find(n);
    if (it != pinned_.end()) pinned_.erase(it);
  }
}

Result<void> DataDirLayout::Close() {
  Result<void> r = wal_ ? wal_->Close() : Result<void>();
  if (lock_) {
    log_->info("closed {}", dir_);
    lock_.reset();
  }
  return r;
}

}  // namespace kvstore

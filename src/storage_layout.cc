// Copyright (c) the kvstore developers.

#include "storage_layout.h"

#include <chrono>
#include <string>
#include <vector>

#include "durable_file.h"
#include "error.h"
#include "object.h"
#include "snapshot.h"

namespace kvstore {

namespace {
void ApplyOp(ShardMap* map, uint64_t seq, wal::RecordType type, std::string_view key,
             std::string_view value, int64_t deadline) {
  if (type != wal::RecordType::kClear && !map->ReplayApplies(key, seq)) return;
  switch (type) {
    case wal::RecordType::kSet:
      map->PutUnshared(ShardMap::HashKey(key), value);
      break;
    case wal::RecordType::kSetExpiring:
      map->PutUnshared(ShardMap::HashKey(key), value, deadline);
      break;
    case wal::RecordType::kRemove:
      map->EraseUnshared(ShardMap::HashKey(key));
      break;
    case wal::RecordType::kExpire:
      // Logged only for a key present then, so replay finds it present too.
      map->SetDeadlineUnshared(ShardMap::HashKey(key), deadline);
      break;
    case wal::RecordType::kClear:
      map->ReplayClear(seq);
      break;
    case wal::RecordType::kTyped: {
      // The reader checked the op's form. Logged only after it applied to
      // the same state, so it applies again; a refusal would mean a bug.
      OpCode code;
      std::vector<std::string_view> args;
      std::string why;
      if (DecodeOp(value, &code, &args)) {
        (void)map->ApplyOpUnshared(ShardMap::HashKey(key), code, args, &why);
      }
      break;
    }
    case wal::RecordType::kBatch:
      break;  // not an op
  }
}
}  // namespace

void ApplyRecord(ShardMap* map, const wal::RecordView& rec) {
  if (rec.type != wal::RecordType::kBatch) {
    ApplyOp(map, rec.seq, rec.type, rec.key, rec.value, rec.deadline);
    return;
  }
  std::string why;  // the reader validated the grammar already
  (void)wal::ForEachBatchOp(rec.value, &why, [&](const wal::BatchOp& op) {
    ApplyOp(map, rec.seq, op.type, op.key, op.value, op.deadline);
  });
}

namespace {
// Counts the bytes a snapshot writes (for stats()).
class CountingFile final : public WritableFile {
 public:
  explicit CountingFile(WritableFile* base) : base_(base) {}
  Result<void> Append(std::string_view data) override {
    bytes += data.size();
    return base_->Append(data);
  }
  Result<void> Sync() override { return base_->Sync(); }
  Result<void> Close() override { return base_->Close(); }
  uint64_t bytes = 0;

 private:
  WritableFile* base_;
};
}  // namespace

Result<SnapshotOutcome> WriteSnapshotAt(FileSystem& fs, const ShardMap& map, Wal& wal,
                                        const std::string& path, uint64_t seq,
                                        snapshot::Encoders encoders) {
  uint64_t bytes = 0;
  // Shards are captured after the cut, so the snapshot may hold records newer
  // than seq that are not yet durable (kEverySecond, kNever): make the WAL
  // durable before the snapshot can replace the old one.
  KV_RETURN_IF_ERROR(WriteFileDurably(
      fs, path,
      [&](WritableFile* f) {
        CountingFile counted(f);
        auto r = snapshot::Write(map, seq, &counted, [&wal] { return wal.last_seq(); }, encoders);
        bytes = counted.bytes;
        return r;
      },
      [&] { return wal.SyncAll(); }));
  SnapshotOutcome out;
  out.path = path;
  out.seq = seq;
  out.bytes = bytes;
  return out;
}

Result<SavedSnapshot> SaveSnapshot(FileSystem& fs, const ShardMap& map, Wal& wal,
                                   const std::string& path) {
  auto cut = wal.TakeCut();
  if (!cut) return std::move(cut).error();
  auto out = WriteSnapshotAt(fs, map, wal, path, cut->seq);
  if (!out) return std::move(out).error();
  return SavedSnapshot{std::move(*cut), std::move(*out)};
}

void LogRecovery(spdlog::logger& log, const RecoverInfo& info, const RecoveryStats& r,
                 std::size_t keys) {
  log.info(
      "opened store: snapshot {} ({} keys, sequence {}), WAL {} ({} records replayed, {} "
      "skipped), {} keys, last sequence {}, {:.3f} s",
      info.snapshot, r.snapshot_keys, r.snapshot_sequence, info.wal, r.records_replayed,
      r.records_skipped, keys, r.last_sequence, std::chrono::duration<double>(r.duration).count());
  if (r.torn_tail) {
    log.warn("WAL {}: dropped a torn final record ({} bytes at offset {}): an interrupted write",
             info.wal, r.bytes_dropped, r.drop_offset);
  }
  if (r.corruption_dropped) {
    log.error(
        "WAL {}: damaged at offset {}; point-in-time recovery dropped {} bytes (saved beside it "
        "as .dropped-{})",
        info.wal, r.drop_offset, r.bytes_dropped, r.drop_offset);
  }
}

Result<backup::StoreCut> StorageLayout::PinForBackup() {
  return InvalidArgument("backup() needs a store opened with open_dir");
}

void StorageLayout::UnpinForBackup(const std::vector<std::string>&) {}

}  // namespace kvstore

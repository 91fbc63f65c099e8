// Copyright (c) the kvstore developers.

#include "check.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "data_dir.h"  // the library's (src/): MANIFEST format
#include "decimal.h"   // the library's (src/): the ops' decimal arguments
#include "dir_layout.h"
#include "error.h"
#include "file_map.h"
#include "object.h"  // the library's (src/): typed ops
#include "progress.h"
#include "shard_map.h"
#include "snapshot.h"
#include "wal_format.h"
#include "wal_reader.h"

namespace kvstore::cli {
namespace {

// The lock open_dir takes, so that a repair never edits files under a running
// server and a server cannot start while the repair runs.
Result<std::unique_ptr<FileLock>> LockDataDir(const std::string& dir) {
  return FileSystem::Default()->LockFile(dir + "/" + datadir::kLockName);
}

// What the check learnt about one WAL file.
struct WalState {
  std::string path;
  bool header_ok = false;
  wal::ScanResult scan;
  uint64_t size = 0;
  bool damaged() const { return !header_ok || scan.end != wal::End::kClean; }
  bool corrupt() const { return !header_ok || scan.end == wal::End::kCorrupt; }
};

// What is wrong with a deadline (setx: a Unix ms > 0; expire: >= 0, 0
// clearing the deadline), or "".
std::string BadDeadline(wal::RecordType type, int64_t deadline) {
  if (type == wal::RecordType::kSetExpiring && deadline <= 0) {
    return "setx with deadline " + std::to_string(deadline) + " (must be a Unix time in ms > 0)";
  }
  if (type == wal::RecordType::kExpire && deadline < 0) {
    return "expire with deadline " + std::to_string(deadline) +
           " (must be a Unix time in ms, or 0 to clear)";
  }
  return "";
}

// What is wrong with a well-formed typed op's arguments, or "". The op is
// applied to an empty object of its type, which checks every argument
// before it changes anything (object.h ApplyOp). Only whether an index fits
// the list depends on the list, which a check without replay cannot know:
// for LSET and LINSERT the index need only be a decimal >= 0.
std::string BadTypedArgs(std::string_view op) {
  OpCode code;
  std::vector<std::string_view> args;
  if (!DecodeOp(op, &code, &args)) return "malformed typed op";  // the reader refuses these
  std::string why;
  if (code == OpCode::kListSet || code == OpCode::kListInsert) {
    int64_t index;
    if (args.size() != 2) {
      return "typed op: " + std::string(code == OpCode::kListSet ? "ListSet" : "ListInsert") +
             " needs an index and an element";
    }
    if (!ParseCanonicalInt64(args[0], &index) || index < 0) {
      return "typed op with a list index that is not a decimal >= 0";
    }
    return "";
  }
  auto obj = NewObject(OpType(code));
  if (ApplyOp(obj.get(), code, args, EncodingLimits{}, &why)) return "";
  return "typed op: " + why;
}

// What is wrong with a well-framed record that the store would replay but
// no writer produces (a bad deadline, a typed op whose arguments do not fit
// it), or "". For a batch, the first op at fault.
std::string BadRecord(const wal::RecordView& rec) {
  const auto check = [](wal::RecordType type, int64_t deadline, std::string_view value) {
    return type == wal::RecordType::kTyped ? BadTypedArgs(value) : BadDeadline(type, deadline);
  };
  std::string why;
  if (rec.type != wal::RecordType::kBatch) {
    why = check(rec.type, rec.deadline, rec.value);
  } else {
    std::string grammar;  // the reader has validated the batch already
    std::size_t i = 0;
    wal::ForEachBatchOp(rec.value, &grammar, [&](const wal::BatchOp& op) {
      if (why.empty()) {
        why = check(op.type, op.deadline, op.value);
        if (!why.empty()) why = "batch op " + std::to_string(i) + ": " + why;
      }
      ++i;
    });
  }
  return why.empty() ? why : "corruption: seq " + std::to_string(rec.seq) + ": " + why;
}

// Why a typed op's bytes do not decode (object.h EncodeOp's form).
std::string TypedOpFault(std::string_view op) {
  if (op.empty()) return "an empty typed op";
  const auto code = static_cast<uint8_t>(op[0]);
  if (code == 0 || code > kMaxOpCode) {
    return "a typed op with unknown op code " + std::to_string(code) + " (this build knows 1 to " +
           std::to_string(kMaxOpCode) + ")";
  }
  return "a typed op whose argument list is truncated or has trailing bytes";
}

// If the record at off is framed and its checksum holds, yet the reader
// refused it (an unknown record type, a malformed typed op...): what is
// wrong with it. A checksum that holds means the bytes are the ones written,
// so this is not an interrupted append but a record from a newer kvstore or
// a bug; cutting it off would lose an acknowledged write. nullopt when the
// framing or checksum fails (or the record is fine).
std::optional<std::string> ContentFault(std::string_view data, uint64_t off) {
  if (!wal::ChecksumHolds(data, off)) return std::nullopt;
  const uint64_t seq = GetFixed64(data.data() + off + wal::kRecordHeaderSize);
  wal::RecordView rec;
  uint64_t next;
  std::string why;
  if (wal::DecodeRecord(data, off, 0, &rec, &next, &why)) return std::nullopt;
  std::string what = "seq " + std::to_string(seq) + ": " + why;
  if (rec.type == wal::RecordType::kTyped && rec.key.data() != nullptr) {  // the key parsed
    what += ": " + TypedOpFault(rec.value);
  } else if (rec.type == wal::RecordType::kBatch) {
    std::size_t ops = 0;  // the ones before the fault
    std::string batch_why;
    wal::ForEachBatchOp(rec.value, &batch_why, [&](const wal::BatchOp&) { ++ops; });
    what += " (op " + std::to_string(ops) + ")";
  }
  what += " (the record's checksum holds: written by a newer kvstore or a bug, not an ";
  return what + "interrupted append)";
}

// Records with a bad deadline or typed op reported one by one per file; the
// rest are counted.
constexpr std::size_t kMaxDeadlineReports = 10;

class Checker {
 public:
  // Errors (as opposed to damage) stop the check.
  Result<WalState> CheckWal(const std::string& path);
  Result<void> CheckSnapshot(const std::string& path);
  // The decoded manifest, or nullopt if it is damaged (reported).
  Result<std::optional<datadir::Manifest>> CheckManifest(const std::string& path);
  // Segment `next` must continue where `prev` stopped.
  void CheckContinuity(const WalState& prev, const WalState& next);
  // The first segment needed must start at or before the sequence the
  // snapshot covers, else the records in between are lost.
  void CheckCoverage(const WalState& first, uint64_t covered);
  // The manifest's snapshot and first segment must exist.
  void CheckManifestTargets(const std::string& dir, const datadir::Manifest& m,
                            const DirListing& listing);
  uint64_t newest_snapshot_sequence() const { return snapshot_seq_; }
  void AddDamage(Damage d) { damage_.push_back(std::move(d)); }

  const std::vector<Damage>& damage() const { return damage_; }
  int files() const { return files_; }

 private:
  std::vector<Damage> damage_;
  int files_ = 0;
  uint64_t snapshot_seq_ = 0;  // the highest sequence a valid snapshot covers
};

Result<WalState> Checker::CheckWal(const std::string& path) {
  ++files_;
  auto file = MappedFile::Open(path);
  if (!file) return std::move(file).error();
  WalState st;
  st.path = path;
  st.size = file->data().size();
  ProgressBar progress("check " + path, st.size, "bytes");
  std::vector<Damage> bad_deadlines;
  uint64_t more_bad_deadlines = 0;
  auto scan = wal::ScanLog(file->data(), path, [&](const wal::RecordView& rec) {
    progress.Update(rec.offset);
    const std::string why = BadRecord(rec);
    if (why.empty()) return;
    if (bad_deadlines.size() == kMaxDeadlineReports) {
      ++more_bad_deadlines;
      return;
    }
    bad_deadlines.push_back({path, rec.offset, why, false, true});
  });
  progress.Finish();
  // Well-framed records that no writer produces: the store replays them (a
  // setx without a deadline as a plain set, a negative deadline as expired),
  // but they mean a bug or tampering, so they are reported as corruption.
  for (Damage& d : bad_deadlines) damage_.push_back(std::move(d));
  if (more_bad_deadlines > 0) {
    damage_.push_back({path, std::nullopt,
                       "corruption: " + std::to_string(more_bad_deadlines) +
                           " more records with a bad deadline or typed op",
                       false, true});
  }
  if (!scan) {  // the header itself is damaged; the message names the offset
    damage_.push_back({path, std::nullopt, "corruption: " + scan.error().message(), false, true});
    return st;
  }
  st.header_ok = true;
  st.scan = *scan;
  if (st.scan.end != wal::End::kClean) {
    if (auto fault = ContentFault(file->data(), st.scan.valid_end)) {
      // Not torn, whatever follows: --repair must not cut it off.
      st.scan.end = wal::End::kCorrupt;
      damage_.push_back({path, st.scan.valid_end, "corruption: " + *fault, false, true});
      return st;
    }
  }
  if (st.scan.end == wal::End::kTornTail) {
    damage_.push_back({path, st.scan.valid_end,
                       "torn tail: " + st.scan.problem + " (an interrupted append; " +
                           std::to_string(st.scan.data_end - st.scan.valid_end) +
                           " bytes; --repair cuts it off)",
                       true, true});
  } else if (st.scan.end == wal::End::kCorrupt) {
    damage_.push_back({path, st.scan.valid_end,
                       "corruption: " + st.scan.problem +
                           " (intact data follows, so this is "
                           "not an interrupted append)",
                       false, true});
  }
  return st;
}

Result<void> Checker::CheckSnapshot(const std::string& path) {
  ++files_;
  // Loading into a scratch map checks everything open would: JSON grammar,
  // string values, base64 after the binary marker, the version.
  ShardMap map;
  auto info = snapshot::Load(*FileSystem::Default(), path, &map);
  if (info) {
    snapshot_seq_ = std::max(snapshot_seq_, info->sequence);
    return {};
  }
  if (info.error().code() != ErrorCode::kCorruption) return info.error();
  damage_.push_back({path, std::nullopt, "corruption: " + info.error().message(), false});
  return {};
}

Result<std::optional<datadir::Manifest>> Checker::CheckManifest(const std::string& path) {
  ++files_;
  std::string text;
  if (auto r = FileSystem::Default()->ReadFile(path, &text); !r) return std::move(r).error();
  auto m = datadir::DecodeManifest(text, path);  // the library's own parser
  if (m) return std::optional<datadir::Manifest>(*m);
  damage_.push_back({path, std::nullopt, "corruption: " + m.error().message(), false});
  return std::optional<datadir::Manifest>();
}

void Checker::CheckContinuity(const WalState& prev, const WalState& next) {
  if (!prev.header_ok || !next.header_ok) return;  // already reported
  if (next.scan.base_seq == prev.scan.last_seq) return;
  damage_.push_back({next.path, wal::kHeaderBaseSeqOffset,
                     "corruption: sequence gap: segment continues after seq " +
                         std::to_string(next.scan.base_seq) + " but the previous segment ends at " +
                         std::to_string(prev.scan.last_seq),
                     false, true});
}

void Checker::CheckCoverage(const WalState& first, uint64_t covered) {
  if (!first.header_ok || first.scan.base_seq <= covered) return;
  damage_.push_back({first.path, wal::kHeaderBaseSeqOffset,
                     "corruption: records " + std::to_string(covered + 1) + ".." +
                         std::to_string(first.scan.base_seq) +
                         " are missing: the log starts after seq " +
                         std::to_string(first.scan.base_seq) +
                         " but the snapshot covers only up to " + std::to_string(covered),
                     false, true});
}

void Checker::CheckManifestTargets(const std::string& dir, const datadir::Manifest& m,
                                   const DirListing& listing) {
  const std::string manifest = dir + "/" + datadir::kManifestName;
  if (!m.snapshot.empty() && std::none_of(listing.snapshots.begin(), listing.snapshots.end(),
                                          [&](const DirFile& f) { return f.name == m.snapshot; })) {
    damage_.push_back({manifest, std::nullopt,
                       "corruption: names snapshot " + m.snapshot + ", which is missing", false});
  }
  if (std::none_of(listing.wal_segments.begin(), listing.wal_segments.end(),
                   [&](const DirFile& f) { return f.number == m.wal_segment; })) {
    damage_.push_back({manifest, std::nullopt,
                       "corruption: names first WAL segment " +
                           datadir::SegmentName(m.wal_segment) + ", which is missing",
                       false});
  }
}

void PrintDamage(const Damage& d) {
  if (d.offset) {
    std::printf("%s: byte %llu: %s\n", d.path.c_str(), static_cast<unsigned long long>(*d.offset),
                d.what.c_str());
  } else {
    std::printf("%s: %s\n", d.path.c_str(), d.what.c_str());
  }
}

int Report(const Checker& c) {
  for (const Damage& d : c.damage()) PrintDamage(d);
  if (c.damage().empty()) {
    std::printf("clean: %d files checked\n", c.files());
    return kExitOk;
  }
  std::printf("damaged: %zu problems in %d files checked\n", c.damage().size(), c.files());
  return kExitNo;
}

// The repair of a run of WAL segments (in order). Returns whether anything
// was left unrepaired.
Result<bool> RepairSegments(const std::vector<WalState>& segs, const std::vector<bool>& gap_before,
                            const CheckOptions& options) {
  // The first segment with damage that is not a torn tail, or that does not
  // continue its predecessor.
  std::size_t bad = segs.size();
  for (std::size_t i = 0; i < segs.size() && bad == segs.size(); ++i) {
    if (gap_before[i] || segs[i].corrupt()) bad = i;
  }
  if (bad < segs.size() && !options.point_in_time) {
    std::printf(
        "not repaired: %s is corrupt before its tail; --point-in-time keeps the valid "
        "prefix and sets the rest aside\n",
        segs[bad].path.c_str());
    return true;
  }
  if (!segs.empty() && bad == 0 && (gap_before[0] || !segs[0].header_ok)) {
    // Setting the first segment aside would leave the snapshot with no log
    // to continue it (and the manifest naming a missing file).
    std::printf(
        "not repaired: %s is the first segment the snapshot needs and its start is unusable; "
        "restore it from a backup\n",
        segs[0].path.c_str());
    return true;
  }
  FileSystem& fs = *FileSystem::Default();
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const WalState& s = segs[i];
    const bool cut_whole = i > bad || (i == bad && (gap_before[i] || !s.header_ok));
    if (cut_whole) {
      // Everything after the damage is set aside: rename is the backup.
      const std::string to = BackupName(s.path);
      KV_RETURN_IF_ERROR(fs.RenameFile(s.path, to));
      KV_RETURN_IF_ERROR(fs.SyncDir(ParentDir(s.path)));
      std::printf("repaired: moved %s aside to %s\n", s.path.c_str(), to.c_str());
    } else if (s.damaged()) {
      auto bak = BackupAndTruncate(s.path, std::min(s.scan.valid_end, s.size));
      if (!bak) return std::move(bak).error();
      std::printf("repaired: %s truncated to %llu bytes (was %llu; original kept as %s)\n",
                  s.path.c_str(), static_cast<unsigned long long>(s.scan.valid_end),
                  static_cast<unsigned long long>(s.size), bak->c_str());
    }
  }
  return false;
}

// The check of a directory, once locked; `repair` may run at most once.
int CheckLockedDir(const std::string& dir, const CheckOptions& options) {
  auto listing = ListDataDir(dir);
  if (!listing) return Fail(listing.error());
  Checker c;
  std::optional<datadir::Manifest> manifest;
  if (listing->manifest) {
    auto m = c.CheckManifest(listing->manifest->path);
    if (!m) return Fail(m.error());
    manifest = *m;
    if (manifest) c.CheckManifestTargets(dir, *manifest, *listing);
  }
  for (const DirFile& f : listing->snapshots) {
    if (auto r = c.CheckSnapshot(f.path); !r) return Fail(r.error());
  }
  // What the snapshot in use covers: the manifest says; without one (the
  // legacy layout) the newest valid snapshot.
  const uint64_t covered = manifest ? manifest->sequence : c.newest_snapshot_sequence();
  std::vector<WalState> segs;
  std::vector<bool> gap_before;
  for (const DirFile& f : listing->wal_segments) {
    if (manifest && f.number < manifest->wal_segment) {
      // Superseded by a checkpoint; the store deletes it at its next open.
      std::printf("note: %s is obsolete (before the manifest's first segment); not checked\n",
                  f.path.c_str());
      continue;
    }
    auto st = c.CheckWal(f.path);
    if (!st) return Fail(st.error());
    const std::size_t before = c.damage().size();
    if (segs.empty()) c.CheckCoverage(*st, covered);
    if (!segs.empty()) c.CheckContinuity(segs.back(), *st);
    gap_before.push_back(c.damage().size() != before);
    segs.push_back(std::move(*st));
  }
  for (const DirFile& f : listing->leftovers) {
    std::printf("note: %s is left over from an interrupted write; the next open deletes it\n",
                f.path.c_str());
  }
  if (c.files() == 0) std::printf("note: '%s' holds no kvstore files\n", dir.c_str());
  const int rc = Report(c);
  if (rc != kExitNo || !options.repair) return rc;
  auto unrepaired = RepairSegments(segs, gap_before, options);
  if (!unrepaired) return Fail(unrepaired.error());
  const bool snapshot_damage =
      std::any_of(c.damage().begin(), c.damage().end(), [&](auto& d) { return !d.in_wal; });
  if (snapshot_damage) std::printf("not repaired: snapshot or manifest damage (restore it)\n");
  if (*unrepaired || snapshot_damage) return kExitNo;
  std::printf("after repair:\n");
  return CheckLockedDir(dir, CheckOptions{});
}

enum class SingleKind { kWal, kSnapshot, kManifest, kUnknown };

SingleKind SniffKind(const std::string& path, std::string_view data) {
  if (std::filesystem::path(path).filename() == datadir::kManifestName)
    return SingleKind::kManifest;
  if (data.size() < sizeof wal::kMagic ||
      data.starts_with(std::string_view(wal::kMagic, sizeof wal::kMagic)) ||
      data.find_first_not_of('\0') == std::string_view::npos) {
    return SingleKind::kWal;  // short or all-zero files read as an empty log
  }
  const auto first = data.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && data[first] == '{') return SingleKind::kSnapshot;
  return SingleKind::kUnknown;
}

// The check of one file, its directory locked if it has a LOCK.
int CheckLockedFile(const std::string& path, const CheckOptions& options) {
  SingleKind kind;
  {
    auto file = MappedFile::Open(path);  // unmapped again before any repair
    if (!file) return Fail(file.error());
    kind = SniffKind(path, file->data());
  }
  Checker c;
  std::vector<WalState> segs;
  Result<void> r;
  switch (kind) {
    case SingleKind::kWal: {
      auto st = c.CheckWal(path);
      if (!st) return Fail(st.error());
      segs.push_back(std::move(*st));
      break;
    }
    case SingleKind::kSnapshot:
      r = c.CheckSnapshot(path);
      break;
    case SingleKind::kManifest:
      if (auto m = c.CheckManifest(path); !m) r = std::move(m).error();
      break;
    case SingleKind::kUnknown:
      return Fail("'" + path + "' is neither a kvstore WAL nor a JSON snapshot or manifest");
  }
  if (!r) return Fail(r.error());
  const int rc = Report(c);
  if (rc != kExitNo || !options.repair) return rc;
  if (kind != SingleKind::kWal) {
    std::printf("not repaired: only WAL files can be repaired\n");
    return kExitNo;
  }
  auto unrepaired = RepairSegments(segs, {false}, options);
  if (!unrepaired) return Fail(unrepaired.error());
  if (*unrepaired) return kExitNo;
  if (!std::filesystem::exists(path)) return kExitOk;  // set aside whole
  std::printf("after repair:\n");
  return CheckLockedFile(path, CheckOptions{});
}

}  // namespace

std::string BackupName(const std::string& path) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm;
  ::gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  std::string name = path + ".bak-" + stamp;
  for (int n = 2; std::filesystem::exists(name); ++n) {
    name = path + ".bak-" + stamp + "-" + std::to_string(n);
  }
  return name;
}

Result<std::string> BackupAndTruncate(const std::string& path, uint64_t size) {
  FileSystem& fs = *FileSystem::Default();
  const std::string bak = BackupName(path);
  {
    // The backup must be durable before the original shrinks.
    auto original = fs.OpenView(path);
    if (!original) return std::move(original).error();
    auto copy = fs.NewWritableFile(bak);
    if (!copy) return std::move(copy).error();
    KV_RETURN_IF_ERROR((*copy)->Append((*original)->data()));
    KV_RETURN_IF_ERROR(SyncAndClose(**copy));
    KV_RETURN_IF_ERROR(fs.SyncDir(ParentDir(path)));
  }
  // Opening the log at `size` cuts off what follows, as the store's own
  // recovery does with a torn tail; the sync makes the cut durable.
  auto log = fs.OpenLogFile(path, size);
  if (!log) return std::move(log).error();
  KV_RETURN_IF_ERROR(SyncAndClose(**log));
  return bak;
}

int CheckDataDir(const std::string& dir, const CheckOptions& options) {
  if (!std::filesystem::is_directory(dir)) {
    return Fail("data directory '" + dir + "' does not exist");
  }
  auto lock = LockDataDir(dir);
  if (!lock) return Fail(lock.error());
  return CheckLockedDir(dir, options);
}

int CheckSingleFile(const std::string& path, const CheckOptions& options) {
  const std::string dir = ParentDir(path);
  std::unique_ptr<FileLock> lock;
  auto locked_dir = FileSystem::Default()->FileExists(dir + "/" + datadir::kLockName);
  if (!locked_dir) return Fail(locked_dir.error());
  if (*locked_dir) {
    auto l = LockDataDir(dir);
    if (!l) return Fail(l.error());
    lock = std::move(*l);
  }
  return CheckLockedFile(path, options);
}

}  // namespace kvstore::cli

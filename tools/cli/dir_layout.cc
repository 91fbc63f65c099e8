// Copyright (c) the kvstore developers.

#include "dir_layout.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "data_dir.h"  // the library's (src/): names and MANIFEST format

namespace kvstore::cli {

FileKind ClassifyName(std::string_view name, uint64_t* number) {
  if (name == datadir::kManifestName) return FileKind::kManifest;
  if (name == datadir::kLockName) return FileKind::kLock;
  if (name == kLegacyWalName || name == kLegacySnapshotName) {
    *number = 0;
    return name == kLegacyWalName ? FileKind::kWalSegment : FileKind::kSnapshot;
  }
  if (auto n = datadir::ParseSnapshotName(name)) {
    *number = *n;
    return FileKind::kSnapshot;
  }
  if (auto n = datadir::ParseSegmentName(name)) {
    *number = *n;
    return FileKind::kWalSegment;
  }
  // As the library's datadir::List classifies temporaries.
  if (name.ends_with(".tmp") || name.ends_with(".log.new")) return FileKind::kLeftover;
  return FileKind::kOther;
}

std::string WalSegmentName(uint64_t number) { return datadir::SegmentName(number); }
std::string SnapshotName(uint64_t sequence) { return datadir::SnapshotName(sequence); }
std::string LockPath(const std::string& dir) { return dir + "/" + datadir::kLockName; }

Result<DirListing> ListDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot list data directory '" + dir + "': " + ec.message());
  }
  DirListing out;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    DirFile f;
    f.name = it->path().filename().string();
    f.path = dir + "/" + f.name;
    f.kind = ClassifyName(f.name, &f.number);
    switch (f.kind) {
      case FileKind::kManifest:
        out.manifest = f;
        break;
      case FileKind::kSnapshot:
        out.snapshots.push_back(f);
        break;
      case FileKind::kWalSegment:
        out.wal_segments.push_back(f);
        break;
      default:
        break;
    }
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot list data directory '" + dir + "': " + ec.message());
  }
  const auto by_number = [](const DirFile& a, const DirFile& b) { return a.number < b.number; };
  std::sort(out.snapshots.begin(), out.snapshots.end(), by_number);
  std::sort(out.wal_segments.begin(), out.wal_segments.end(), by_number);
  return out;
}

}  // namespace kvstore::cli

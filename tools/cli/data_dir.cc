// Copyright (c) the kvstore developers.

#include "data_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace kvstore::cli {
namespace {

constexpr std::string_view kManifestName = "MANIFEST";
constexpr std::string_view kLockName = "LOCK";
constexpr std::string_view kSnapshotPrefix = "snapshot-", kSnapshotSuffix = ".json";
constexpr std::string_view kWalPrefix = "wal-", kWalSuffix = ".log";
constexpr std::size_t kSeqDigits = 20;  // zero-padded, so names sort by number

// Parses prefix + 20 digits + suffix.
bool ParseNumbered(std::string_view name, std::string_view prefix, std::string_view suffix,
                   uint64_t* seq) {
  if (name.size() != prefix.size() + kSeqDigits + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(prefix.size(), kSeqDigits)) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *seq = v;
  return true;
}

std::string Numbered(std::string_view prefix, uint64_t seq, std::string_view suffix) {
  char digits[kSeqDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(seq));
  return std::string(prefix) + digits + std::string(suffix);
}

}  // namespace

FileKind ClassifyName(std::string_view name, uint64_t* seq) {
  if (name == kManifestName) return FileKind::kManifest;
  if (name == kLockName) return FileKind::kLock;
  // The legacy files sort first: sequence 0.
  if (name == kLegacyWalName || name == kLegacySnapshotName) {
    *seq = 0;
    return name == kLegacyWalName ? FileKind::kWalSegment : FileKind::kSnapshot;
  }
  if (ParseNumbered(name, kSnapshotPrefix, kSnapshotSuffix, seq)) return FileKind::kSnapshot;
  if (ParseNumbered(name, kWalPrefix, kWalSuffix, seq)) return FileKind::kWalSegment;
  return FileKind::kOther;
}

std::string WalSegmentName(uint64_t seq) { return Numbered(kWalPrefix, seq, kWalSuffix); }
std::string SnapshotName(uint64_t seq) { return Numbered(kSnapshotPrefix, seq, kSnapshotSuffix); }

std::string LockPath(const std::string& dir) { return dir + "/" + std::string(kLockName); }

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
    f.kind = ClassifyName(f.name, &f.seq);
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
  const auto by_seq = [](const DirFile& a, const DirFile& b) { return a.seq < b.seq; };
  std::sort(out.snapshots.begin(), out.snapshots.end(), by_seq);
  std::sort(out.wal_segments.begin(), out.wal_segments.end(), by_seq);
  return out;
}

}  // namespace kvstore::cli

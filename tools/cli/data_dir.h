// Copyright (c) the kvstore developers.
//
// The file names of a data directory written by KvStore::open_dir
// (docs/FORMATS.md). Everything the tool knows about those names is in this
// file and data_dir.cc, so that a change of layout is a change here only.

#ifndef KVSTORE_TOOLS_CLI_DATA_DIR_H_
#define KVSTORE_TOOLS_CLI_DATA_DIR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/result.h"

namespace kvstore::cli {

// The layout of the first CLI (before open_dir): one WAL and one snapshot.
// Recognised so that `check` and `dump` work on such directories too.
inline constexpr std::string_view kLegacyWalName = "kvstore.wal";
inline constexpr std::string_view kLegacySnapshotName = "snapshot.json";

enum class FileKind { kManifest, kSnapshot, kWalSegment, kLock, kOther };

struct DirFile {
  std::string path;  // dir + "/" + name
  std::string name;
  FileKind kind = FileKind::kOther;
  uint64_t seq = 0;  // the sequence number in the name (snapshots, segments)
};

// What a directory holds, snapshots and segments in ascending order of seq.
struct DirListing {
  std::optional<DirFile> manifest;
  std::vector<DirFile> snapshots;
  std::vector<DirFile> wal_segments;
};

// Classifies a file name of the directory; sets *seq for snapshots and WAL
// segments.
FileKind ClassifyName(std::string_view name, uint64_t* seq);

// The name open_dir gives a WAL segment or snapshot starting at seq.
std::string WalSegmentName(uint64_t seq);
std::string SnapshotName(uint64_t seq);

std::string LockPath(const std::string& dir);

// Lists the directory. Errors: kIoError if it cannot be read (or does not
// exist: the message says so).
Result<DirListing> ListDataDir(const std::string& dir);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_DATA_DIR_H_

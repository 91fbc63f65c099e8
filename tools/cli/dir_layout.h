// Copyright (c) the kvstore developers.
//
// What the tool needs to know about the files of a data directory. The names
// and the MANIFEST format are the library's (src/data_dir.h, reused here, not
// repeated); this file adds the listing with paths that check and dump walk,
// and the layout of the first CLI (kvstore.wal + snapshot.json), which they
// also accept so that such directories can still be inspected and repaired.

#ifndef KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_
#define KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/result.h"

namespace kvstore::cli {

inline constexpr std::string_view kLegacyWalName = "kvstore.wal";
inline constexpr std::string_view kLegacySnapshotName = "snapshot.json";

enum class FileKind {
  kManifest,
  kSnapshot,
  kWalSegment,
  kLock,
  kLeftover,  // a temporary of an interrupted write; the next open deletes it
  kOther,
};

struct DirFile {
  std::string path;  // dir + "/" + name
  std::string name;
  FileKind kind = FileKind::kOther;
  // The number in the name: a snapshot's sequence, a segment's number (0 for
  // the legacy files, which sort first).
  uint64_t number = 0;
};

// What a directory holds, snapshots and segments in ascending order.
struct DirListing {
  std::optional<DirFile> manifest;
  std::vector<DirFile> snapshots;
  std::vector<DirFile> wal_segments;
  std::vector<DirFile> leftovers;
};

// Classifies a file name of the directory; sets *number for snapshots and
// WAL segments.
FileKind ClassifyName(std::string_view name, uint64_t* number);

// The library's names (src/data_dir.h), for tests and messages.
std::string WalSegmentName(uint64_t number);
std::string SnapshotName(uint64_t sequence);
std::string LockPath(const std::string& dir);

// Lists the directory. Errors: kIoError if it cannot be read (or does not
// exist: the message says so).
Result<DirListing> ListDataDir(const std::string& dir);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_

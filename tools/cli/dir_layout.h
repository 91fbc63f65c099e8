// Copyright (c) the kvstore developers.
//
// The files of a data directory that `check` and `dump` walk: the library's
// listing (src/data_dir.h: names, kinds, order; the rules open_dir applies),
// with paths, plus the layout of the first CLI (kvstore.wal + snapshot.json),
// which they also accept so that such directories can still be inspected and
// repaired.

#ifndef KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_
#define KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data_dir.h"
#include "kvstore/result.h"

namespace kvstore::cli {

inline constexpr std::string_view kLegacyWalName = "kvstore.wal";
inline constexpr std::string_view kLegacySnapshotName = "snapshot.json";

using datadir::FileKind;

struct DirFile {
  std::string path;  // dir + "/" + name
  std::string name;
  FileKind kind = FileKind::kOther;
  // A snapshot's sequence, a segment's number (0 for the legacy files, which
  // sort first).
  uint64_t number = 0;
};

// What a directory holds, snapshots and segments in ascending order.
struct DirListing {
  std::optional<DirFile> manifest;
  std::vector<DirFile> snapshots;
  std::vector<DirFile> wal_segments;
  std::vector<DirFile> leftovers;
};

// datadir::Classify, which also knows the legacy names.
datadir::DirEntry ClassifyName(std::string_view name);

// Lists the directory. Errors: kIoError if it cannot be read (or does not
// exist: the message names it).
Result<DirListing> ListDataDir(const std::string& dir);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_DIR_LAYOUT_H_

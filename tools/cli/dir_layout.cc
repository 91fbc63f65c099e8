// Copyright (c) the kvstore developers.

#include "dir_layout.h"

#include "kvstore/filesystem.h"

namespace kvstore::cli {

datadir::DirEntry ClassifyName(std::string_view name) {
  if (name == kLegacyWalName) return {std::string(name), FileKind::kWalSegment, 0};
  if (name == kLegacySnapshotName) return {std::string(name), FileKind::kSnapshot, 0};
  return datadir::Classify(name);
}

Result<DirListing> ListDataDir(const std::string& dir) {
  auto entries = datadir::ListEntries(*FileSystem::Default(), dir);
  if (!entries) return std::move(entries).error();
  DirListing out;
  // Entries come sorted by number; a legacy file (number 0) goes first.
  const auto add = [](std::vector<DirFile>& files, DirFile f) {
    files.insert(f.number == 0 ? files.begin() : files.end(), std::move(f));
  };
  for (const datadir::DirEntry& listed : *entries) {
    const datadir::DirEntry e =
        listed.kind == FileKind::kOther ? ClassifyName(listed.name) : listed;
    DirFile f{dir + "/" + e.name, e.name, e.kind, e.number};
    switch (e.kind) {
      case FileKind::kManifest:
        out.manifest = std::move(f);
        break;
      case FileKind::kSnapshot:
        add(out.snapshots, std::move(f));
        break;
      case FileKind::kWalSegment:
        add(out.wal_segments, std::move(f));
        break;
      case FileKind::kLeftover:
        out.leftovers.push_back(std::move(f));
        break;
      case FileKind::kLock:
      case FileKind::kOther:
        break;
    }
  }
  return out;
}

}  // namespace kvstore::cli

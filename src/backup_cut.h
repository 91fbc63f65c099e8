// Copyright (c) the kvstore developers.
//
// What a store hands src/backup.cc (the public API is include/kvstore/backup.h; the format
// and the protocol are in docs/BACKUP.md). A backup is built from a plan:
// the MANIFEST of one point in time, its snapshot, the WAL segments that a
// later segment continues (immutable: hard-linked when their preallocated
// tail is already trimmed) and the final segment's bytes up to the plan's
// last sequence number (always copied). Two sources make plans: a running
// store in this process (StoreCut: an exact cut taken under the store's
// checkpoint lock, its files pinned against deletion) and a directory read
// from outside, without its lock (retrying when a checkpoint deletes a file
// before it is linked).

#ifndef KVSTORE_SRC_BACKUP_CUT_H_
#define KVSTORE_SRC_BACKUP_CUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data_dir.h"
#include "kvstore/backup.h"
#include "kvstore/filesystem.h"

namespace kvstore::backup {

inline constexpr char kBackupManifestName[] = "BACKUP-MANIFEST";

// What a running store hands a backup: everything logged up to `sequence`
// lies in the snapshot the manifest names and in segments
// manifest.wal_segment .. last_segment, the last one's first active_size bytes.
struct StoreCut {
  std::shared_ptr<FileSystem> fs;
  std::string dir;
  datadir::Manifest manifest;
  uint64_t last_segment = 0;
  uint64_t sequence = 0;
  uint64_t active_size = 0;
  std::shared_ptr<LogFile> active;  // reads the last segment's bytes
  std::vector<std::string> pinned;  // file names the store must not delete meanwhile
};

// The file names a cut needs (its snapshot and segments): the store pins them.
std::vector<std::string> FilesNeeded(const datadir::Manifest& manifest, uint64_t last_segment);

// Builds, verifies and seals a backup of the store the cut was taken from.
Result<BackupInfo> FromStoreCut(const StoreCut& cut, const std::string& to_dir);

}  // namespace kvstore::backup

#endif  // KVSTORE_SRC_BACKUP_CUT_H_

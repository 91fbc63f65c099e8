// Copyright (c) the kvstore developers.
//
// Online backup and restore of data directories (docs/BACKUP.md).
//
// A backup is a directory that opens as a normal data directory: the MANIFEST,
// snapshot and WAL segments of one point in time, plus BACKUP-MANIFEST, written
// last, which lists every file with its size and XXH3-64 checksum. A
// directory without BACKUP-MANIFEST is not a complete backup.
//
//   auto info = store.backup("/backups/2026-12-01").value();    // in-process
//   auto info = kvstore::BackupDataDir("data", "/backups/x");   // any process
//   kvstore::RestoreBackup("/backups/x", "data-restored");

#ifndef KVSTORE_BACKUP_H_
#define KVSTORE_BACKUP_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kvstore/result.h"

namespace kvstore {

struct Options;

// One file of a backup, as BACKUP-MANIFEST lists it.
struct BackupFile {
  std::string name;       // e.g. "wal-00000000000000000007.log"
  uint64_t size = 0;      // bytes
  uint64_t checksum = 0;  // XXH3-64 of its bytes
  bool linked = false;    // a hard link to the source's file (not a copy)
};

// What a backup holds. Plain data.
struct BackupInfo {
  std::string dir;  // the backup directory
  // The backup holds exactly the writes numbered 1..sequence: every write
  // acknowledged before the backup began, and possibly some later ones.
  uint64_t sequence = 0;
  uint64_t keys = 0;          // keys in that state
  uint64_t bytes = 0;         // total size of the files
  uint64_t linked_bytes = 0;  // of which hard-linked rather than copied
  int64_t created_unix = 0;   // when it was completed
  std::vector<BackupFile> files;          // every file but BACKUP-MANIFEST
  std::chrono::microseconds duration{0};  // how long the backup took
};

// Backs up the data directory from_dir into to_dir from outside the process
// that has it open, or with no process on it. to_dir must not exist or be an
// empty directory; its parent must exist. Safe while another process writes
// to from_dir and checkpoints it: immutable files (snapshots, WAL segments
// that a later segment continues) are hard-linked where the file system
// allows (copied otherwise), and the segment that may still take appends is
// copied up to its last complete record. A checkpoint that deletes a file
// before it is linked makes the backup start over (a few times, then
// kBusy). If no process holds from_dir, it is locked for the duration, so
// that no server starts on it meanwhile. The result is verified by opening a
// scratch copy before BACKUP-MANIFEST is written.
//
// Errors: kInvalidArgument (to_dir not empty, from_dir not a data
// directory), kIoError / kNoSpace (nothing that looks like a complete backup
// is left behind), kCorruption (the source is damaged).
// options.fs is used for all I/O (nullptr: POSIX); hard links only with POSIX.
Result<BackupInfo> BackupDataDir(const std::string& from_dir, const std::string& to_dir,
                                 const Options& options);
// The same with default Options (POSIX file system).
Result<BackupInfo> BackupDataDir(const std::string& from_dir, const std::string& to_dir);

// Reads dir's BACKUP-MANIFEST and checks every file it lists (size and
// checksum) and that nothing else is in dir. kCorruption naming the file
// otherwise; kInvalidArgument if dir has no BACKUP-MANIFEST.
Result<BackupInfo> VerifyBackup(const std::string& dir, const Options& options);
// The same with default Options (POSIX file system).
Result<BackupInfo> VerifyBackup(const std::string& dir);

// Verifies the backup in from_dir, then makes to_dir a data directory holding
// its state: immutable files are hard-linked where possible, the last WAL
// segment (which the restored store appends to) is always copied, the
// MANIFEST is written last. to_dir is created if absent; it must not be
// locked by a running store. A to_dir that holds anything else than a LOCK
// file is refused (kInvalidArgument) unless force, which first removes the
// data directory's own files (MANIFEST, snapshots, WAL segments) and leaves
// other files alone. Finally opens the result to confirm sequence and keys.
Result<BackupInfo> RestoreBackup(const std::string& from_dir, const std::string& to_dir,
                                 bool force, const Options& options);
// The same with default Options (POSIX file system).
Result<BackupInfo> RestoreBackup(const std::string& from_dir, const std::string& to_dir,
                                 bool force = false);

}  // namespace kvstore

#endif  // KVSTORE_BACKUP_H_

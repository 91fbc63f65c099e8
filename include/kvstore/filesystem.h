// Copyright (c) the kvstore developers.
//
// The I/O seam. Every byte the store reads or writes, and every directory
// operation, goes through a FileSystem, so that tests can substitute one that
// injects faults or simulates power loss (see tests/fault_injection_fs.h).
// FileSystem::Default() is the POSIX implementation.
//
// Thread safety: a FileSystem is used from many threads at once and must be
// thread-safe. A WritableFile or LogFile is used by one thread at a time (the
// store serialises access to each file).

#ifndef KVSTORE_FILESYSTEM_H_
#define KVSTORE_FILESYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/result.h"

namespace kvstore {

// A file written front to back (snapshots and other whole files).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends data. On success the bytes are handed to the OS (or buffered by the
  // implementation until Sync/Close).
  virtual Result<void> Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Result<void> Sync() = 0;
  // Releases the file; reports errors that a close can reveal. Idempotent.
  virtual Result<void> Close() = 0;
};

// The write-ahead log file: append-only, with a cheap hand-off to the OS.
//
// Append(record) requires record.size() to be a non-zero multiple of 8 and the
// file size to be a multiple of 8 (the WAL format guarantees both). An
// implementation must make the first 8 bytes of a record visible last, so that
// a process killed during Append leaves either the whole record or a record
// whose first 8 bytes are still zero (see docs/FORMATS.md). Bytes past Size()
// read as zeros (space may be preallocated).
class LogFile {
 public:
  virtual ~LogFile() = default;
  // On success the record is in the OS (survives the death of this process).
  virtual Result<void> Append(std::string_view record) = 0;
  // Makes every appended record durable (survives power loss).
  virtual Result<void> Sync() = 0;
  // Bytes appended so far, including what the file held when opened.
  virtual uint64_t Size() const = 0;
  // Copies n bytes at offset (which must be < Size()) into out.
  virtual Result<void> ReadAt(uint64_t offset, std::size_t n, char* out) const = 0;
  // Trims preallocated space and releases the file. Does not sync. Idempotent.
  virtual Result<void> Close() = 0;
  // A hint from the store: whether a sync will follow (nearly) every append
  // from now on (SyncMode::kAlways). The POSIX file then prepares the space
  // it preallocates page by page, so that each sync writes back only the
  // pages the appends touched. Ignoring it is correct.
  virtual void SetSyncEachAppend(bool on) { (void)on; }
};

// Read-only contents of a whole file. data() is followed in memory by at least
// FileSystem::kReadPadding readable bytes, so SIMD parsers can use it in place.
class FileView {
 public:
  virtual ~FileView() = default;
  // The file's bytes, valid while the view is alive.
  virtual std::string_view data() const = 0;
};

// An exclusive lock on a file, held until the object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Every file operation the store performs, so that tests can inject faults
// and other storage can be plugged in. Default() is the POSIX implementation.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide POSIX implementation (never null, never destroyed).
  static std::shared_ptr<FileSystem> Default();

  // Creates path, or truncates it if it exists.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens path for appending after its first valid_size bytes, creating it if
  // absent; anything past valid_size is discarded.
  virtual Result<std::unique_ptr<LogFile>> OpenLogFile(const std::string& path,
                                                       uint64_t valid_size) = 0;
  // Reads the whole file into *contents. On success contents->capacity() is at
  // least contents->size() + kReadPadding, so parsers that read past the end
  // in wide SIMD loads can use the buffer in place.
  static constexpr std::size_t kReadPadding = 64;
  // Reads the whole file into *contents (see kReadPadding above).
  virtual Result<void> ReadFile(const std::string& path, std::string* contents) = 0;
  // A view of the whole file. The default reads it with ReadFile; the POSIX
  // implementation maps the page cache instead (no copy, no fresh pages).
  // The file must not be truncated while the view is alive.
  virtual Result<std::unique_ptr<FileView>> OpenView(const std::string& path);
  // True if path names an existing file (or directory).
  virtual Result<bool> FileExists(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Result<void> RenameFile(const std::string& from, const std::string& to) = 0;
  // Deletes the file path (unlink(2)).
  virtual Result<void> RemoveFile(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, removals) durable.
  virtual Result<void> SyncDir(const std::string& dir) = 0;
  // Creates the directory dir (its parent must exist); an existing directory
  // is success.
  virtual Result<void> MakeDir(const std::string& dir) = 0;
  // The names (not paths) of the entries of dir, excluding "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Takes an exclusive lock on path (creating the file if absent) without
  // waiting: kBusy if another holder has it. The POSIX implementation uses
  // flock(2), which also excludes other processes; this default keeps a
  // registry in this process, enough for file systems that live in memory.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path);
};

}  // namespace kvstore

#endif  // KVSTORE_FILESYSTEM_H_

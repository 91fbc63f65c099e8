// Copyright (c) the kvstore developers.
//
// Writing a whole file so that a crash or power loss leaves either the old
// file or the complete new one under its name, never a torn mix:
//
//   write path + suffix  ->  fsync it  ->  rename over path  ->  fsync the directory
//
// Every file the library replaces (snapshots, the MANIFEST, a fresh WAL's
// header) is written through WriteFileDurably; nothing else in src/ renames.
// The one exception is Wal::Checkpoint, which renames a log that keeps taking
// appends and so cannot be written in one go (see wal.cc).

#ifndef KVSTORE_SRC_DURABLE_FILE_H_
#define KVSTORE_SRC_DURABLE_FILE_H_

#include <functional>
#include <string>

#include "kvstore/filesystem.h"
#include "kvstore/result.h"

namespace kvstore {

// Fills the temporary file.
using WriteFn = std::function<Result<void>(WritableFile*)>;

// Writes path as the file comment says: `write` fills path + suffix (a crash
// leaves it behind; the next open removes it), which is then synced and
// closed; `before_rename`, if given, runs next, the last chance to refuse
// (the snapshot protocol makes the WAL durable here); then the rename and the
// directory fsync. On failure the temporary is removed (best effort) and path
// is untouched, unless the failure is the directory fsync after the rename:
// then path names the new file, but whether the rename survives a power loss
// is unknown.
Result<void> WriteFileDurably(FileSystem& fs, const std::string& path, const WriteFn& write,
                              const std::function<Result<void>()>& before_rename = {},
                              const std::string& suffix = ".tmp");

// The directory part of path ("." for a bare name).
std::string DirName(const std::string& path);

// Removes path if it exists (a temporary file a crash left behind).
Result<void> RemoveLeftover(FileSystem& fs, const std::string& path);

}  // namespace kvstore

#endif  // KVSTORE_SRC_DURABLE_FILE_H_

// Copyright (c) the kvstore developers.
//
// `kvstore check`: verifies a data directory (or one file) without opening
// the store: WAL framing, checksums and sequence continuity within and across
// segments, snapshot JSON validity, the manifest. Each damage is one line
// "<file>: byte <offset>: <kind>: <what>" on stdout.
//
// `--repair` only ever shortens WAL segments, and only after copying each one
// it changes to "<file>.bak-<UTC time>": a torn tail (an append interrupted by
// a crash, never acknowledged) is cut off; damage before the tail is real
// corruption and is refused unless --point-in-time asks to keep the valid
// prefix (then later segments are renamed aside as backups too). Snapshot
// damage is reported but never "repaired": there is nothing to cut.

#ifndef KVSTORE_TOOLS_CLI_CHECK_H_
#define KVSTORE_TOOLS_CLI_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kvstore/result.h"

namespace kvstore::cli {

struct Damage {
  std::string path;
  std::optional<uint64_t> offset;  // absent when the message itself says where
  std::string what;
  bool torn_tail = false;  // an interrupted append: safe to cut off
  bool in_wal = false;     // in WAL segments (the only files --repair changes)
};

struct CheckOptions {
  bool repair = false;
  bool point_in_time = false;
};

// The whole command for a directory. Returns kExitOk if clean (or repaired
// clean), kExitNo if damage remains, kExitError if the check itself failed
// (directory locked, unreadable file).
int CheckDataDir(const std::string& dir, const CheckOptions& options);

// The same for one file; its kind is recognised from its content (WAL magic,
// JSON object) or its name (MANIFEST). If the file's directory has a LOCK
// file, that lock is taken too.
int CheckSingleFile(const std::string& path, const CheckOptions& options);

// "<path>.bak-<UTC time>", unique among existing files.
std::string BackupName(const std::string& path);

// Copies path to BackupName(path) (synced), then truncates path to size
// (synced). Returns the backup's name.
Result<std::string> BackupAndTruncate(const std::string& path, uint64_t size);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_CHECK_H_

// Copyright (c) the kvstore developers.
//
// The layout of a data directory (KvStore::open_dir; docs/FORMATS.md):
//
//   LOCK                                 flock'ed while a store has it open
//   MANIFEST                             names the current snapshot
//   snapshot-<sequence, 20 digits>.json  the snapshot the MANIFEST names
//   wal-<segment number, 20 digits>.log  WAL segments, replayed in order
//
// The MANIFEST is a few text lines ending in an XXH3 checksum of the lines
// before it; it is only ever replaced by rename, so it is old or new, never
// torn. A snapshot or segment it does not need is obsolete and removed.

#ifndef KVSTORE_SRC_DATA_DIR_H_
#define KVSTORE_SRC_DATA_DIR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/filesystem.h"
#include "kvstore/result.h"

namespace kvstore::datadir {

inline constexpr char kLockName[] = "LOCK";
inline constexpr char kManifestName[] = "MANIFEST";

// Files that a program built on the store keeps in its data directory beside
// the store's own (kvstore-server's function libraries). The store neither
// reads nor writes them; backup and restore carry them along (each is small
// and replaced whole by a rename, so it is copied as it is at the backup).
inline constexpr std::string_view kCompanionFiles[] = {"functions.kvfn"};
inline bool IsCompanionFile(std::string_view name) {
  for (std::string_view c : kCompanionFiles) {
    if (name == c) return true;
  }
  return false;
}

std::string SnapshotName(uint64_t sequence);
std::string SegmentName(uint64_t number);
// The number in a well-formed name, else nullopt.
std::optional<uint64_t> ParseSnapshotName(std::string_view name);
std::optional<uint64_t> ParseSegmentName(std::string_view name);

struct Manifest {
  std::string snapshot;      // file name; empty: no snapshot yet
  uint64_t sequence = 0;     // the snapshot's sequence number
  uint64_t wal_segment = 1;  // first segment needed: it continues the snapshot
};

std::string EncodeManifest(const Manifest& m);
// kCorruption (naming path) unless text is a well-formed, checksummed manifest.
Result<Manifest> DecodeManifest(std::string_view text, const std::string& path);

// Replaces dir/MANIFEST durably: temporary file, fsync, rename, directory fsync.
Result<void> WriteManifest(FileSystem& fs, const std::string& dir, const Manifest& m);

// Text files of "key value" lines that end in a line "checksum <16 hex
// digits>" holding XXH3-64 of every byte before it (MANIFEST, BACKUP-MANIFEST).
std::string WithChecksumLine(std::string text);
std::string Hex64(uint64_t v);  // 16 lower-case hex digits
// Checks text's checksum line and first line (header), then calls fn(key,
// value) for each line between; fn returns an error text to stop with, or "".
// Errors: kCorruption "<what> '<path>' is damaged: <why>".
Result<void> ForEachCheckedLine(
    std::string_view text, std::string_view header, const std::string& what,
    const std::string& path,
    const std::function<std::string(std::string_view key, std::string_view value)>& fn);

// What a directory holds, sorted.
struct Listing {
  bool has_manifest = false;
  std::vector<uint64_t> segments;      // segment numbers
  std::vector<std::string> snapshots;  // snapshot file names
  std::vector<std::string> leftovers;  // temporaries of interrupted writes
};
Result<Listing> List(FileSystem& fs, const std::string& dir);

// ---- Shared with the kvstore tool ----
// `kvstore check` and `kvstore dump` (tools/cli) inspect and repair a
// directory without opening a store. They list it with the rules List (and so
// open_dir) applies, through these, rather than with rules of their own.

enum class FileKind {
  kManifest,
  kLock,
  kSnapshot,
  kWalSegment,
  kLeftover,  // a temporary of an interrupted write; open_dir deletes it
  kOther,     // not the store's
};

struct DirEntry {
  std::string name;
  FileKind kind = FileKind::kOther;
  uint64_t number = 0;  // a snapshot's sequence, a WAL segment's number
};

// What the file `name` is in a data directory.
DirEntry Classify(std::string_view name);

// Every entry of dir, classified, sorted by kind, then number, then name.
Result<std::vector<DirEntry>> ListEntries(FileSystem& fs, const std::string& dir);

}  // namespace kvstore::datadir

#endif  // KVSTORE_SRC_DATA_DIR_H_

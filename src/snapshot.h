// Copyright (c) the kvstore developers.
//
// JSON snapshots (docs/FORMATS.md):
//   {"format": "kvstore-snapshot", "version": 3, "sequence": N, "keys": N,
//    "map": {"key": "value", ...},
//    "objects": {"key": {"type": "hash", "seq": N, "deadline": ms, "value": ...}, ...},
//    "expires": {"key": deadline_ms, ...}}
// "expires" (version 2) is present only when some string key has a
// deadline; "objects" (version 3) only when some key holds a hash, list, set
// or sorted set: "value" is {"field": "value", ...} for a hash, [elements]
// for a list or set, [["member", score], ...] for a sorted set (a score is a
// JSON number, or "inf" / "-inf"), and "deadline" is there only for a key
// with one. "seq" is the last WAL record the object's capture includes:
// replay skips older changes to that key (ShardMap::SetReplayFloor). The
// "map" keeps the seed's form. Versions 1 to 3 and the flat form load.
// pretty-printed with two-space indents. Keys and values that are valid UTF-8
// and do not start with the marker below are written as JSON strings; all
// others as the marker followed by their standard base64 (RFC 4648) text.

#ifndef KVSTORE_SRC_SNAPSHOT_H_
#define KVSTORE_SRC_SNAPSHOT_H_

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvstore/filesystem.h"
#include "shard_map.h"

namespace kvstore::snapshot {

// NUL, then "b64:". In JSON text it reads "\u0000b64:".
inline constexpr std::string_view kBinaryMarker{"\0b64:", 5};
inline constexpr uint64_t kVersion = 3;

// Appends the text form of bytes to *out (see the file comment).
void EncodeText(std::string_view bytes, std::string* out);
// Inverse of EncodeText. Returns false if the marker is followed by bad base64.
bool DecodeText(std::string_view text, std::string* out);

// The writer of snapshots and of `kvstore export`, which writes the same form.
using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
// Writes bytes as an object key or a string value in text form (EncodeText);
// scratch is reused across calls.
void WriteText(JsonWriter& w, std::string_view bytes, bool is_key, std::string* scratch);
// A key and its deadline in Unix ms.
using KeyDeadlines = std::vector<std::pair<std::string, int64_t>>;
// Writes the "expires" member (key -> deadline); nothing when there are none.
void WriteExpires(JsonWriter& w, const KeyDeadlines& expires, std::string* scratch);
// Writes one member of "objects": key, then {"type", "seq", ["deadline",]
// "value"} as the file comment describes (deadline 0: none). seq is the
// object's replay floor: the last WAL record its content includes.
void WriteObject(JsonWriter& w, std::string_view key, const Object& obj, int64_t deadline,
                 uint64_t seq, std::string* scratch);

// How many threads a snapshot encodes with (for a map of 20000 keys or more;
// a smaller one is encoded by the calling thread alone).
enum class Encoders {
  // A save: up to min(cores, 4), to finish soonest.
  kSave,
  // A checkpoint, which runs beside the store's writers: up to half the cores
  // (at least one, and one encodes on the calling thread). Measured with one
  // writer on 2 cores (bench/checkpoint_latency.cc, 1M keys): a second
  // encoder shortened the checkpoint from 0.43 to 0.34 s but cost the writer
  // 18-21 % of its sets and grew the peak extra memory from 13 to 35-37 MB.
  kCheckpoint,
};

// Serialises the map shard by shard to file. Each shard's live entries are
// copied under its shared lock (a memcpy per entry), then encoded and written
// without it, so a shard's writers wait only for the copy. With more than one
// encoder (Encoders), threads each take the next shard while the calling
// thread writes the shards' text in shard order: the file is the same, byte
// for byte, as one thread makes. Extra memory: one shard's copy (its entry
// bytes plus 8 per entry) per encoding thread and at most about 1 MiB of JSON
// text per thread plus 4 MiB queued. An encoder's or the file's error fails
// the save; no thread outlives it.
//
// Strings go first, then a second pass captures the objects (each shard's
// under its lock, cloned, with last_seq() read there as the object's "seq").
Result<void> Write(const ShardMap& map, uint64_t seq, WritableFile* file,
                   const std::function<uint64_t()>& last_seq, Encoders encoders = Encoders::kSave);

// For tests: hook(i) runs on the thread encoding shard i after the shard is
// copied and its lock released, before the copy is encoded; calls are one at
// a time. An empty hook removes it.
void SetShardHookForTesting(std::function<void(std::size_t)> hook);
// For tests: the number of encoding threads Write uses whatever the map's
// size (1: the calling thread alone); 0 restores the automatic choice.
void SetEncodeWorkersForTesting(std::size_t workers);

struct LoadInfo {
  uint64_t sequence = 0;  // 0 when the snapshot does not say (flat form)
  uint64_t keys = 0;      // entries read
};

// Parses path (either form) into map, which must be empty and not yet shared
// with other threads. Errors: kIoError to read, kCorruption for malformed JSON
// or a non-string value, naming the file and the byte offset or key.
Result<LoadInfo> Load(FileSystem& fs, const std::string& path, ShardMap* map);

}  // namespace kvstore::snapshot

#endif  // KVSTORE_SRC_SNAPSHOT_H_

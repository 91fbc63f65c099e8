// Copyright (c) the kvstore developers.
//
// `kvstore import` and `kvstore export`: the store's contents, every type, as
// JSON in the snapshot's encoding (docs/FORMATS.md: text stays text, other
// bytes become "\u0000b64:" + base64), so that binary data round-trips.

#ifndef KVSTORE_TOOLS_CLI_JSON_IO_H_
#define KVSTORE_TOOLS_CLI_JSON_IO_H_

#include <string>

#include "cli.h"

namespace kvstore::cli {

struct ImportArgs {
  std::string file;
  bool clear = false;  // remove every key first (else the file is merged in)
};

// Reads file ("-": standard input) in the snapshot form {"map": {...},
// "objects": {...}, "expires": {...}} (metadata members allowed) or as a flat
// {"key": "value"} object, sets every pair (with its deadline from
// "expires", if any) and rebuilds every hash, list, set and sorted set of
// "objects" (with its "deadline") through Transaction::apply, replacing what
// the key held; a key whose deadline has passed is skipped. Then checkpoints
// so that the next open loads a snapshot instead of replaying the import's
// WAL records.
int ImportCommand(const GlobalFlags& flags, const ImportArgs& args);

// Writes the store in the snapshot's form, pretty-printed: {"map": {...}}
// with the strings, plus "objects": {"key": {"type", "seq", ["deadline",]
// "value"}} when some key holds a hash, list, set or sorted set, and
// "expires": {"key": deadline in Unix ms} when some string key has one
// (docs/FORMATS.md). To file, or to standard output if file is empty or
// "-". A file is written beside itself and renamed into place, so it is
// never seen half written.
int ExportCommand(const GlobalFlags& flags, const std::string& file);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_JSON_IO_H_

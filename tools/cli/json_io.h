// Copyright (c) the kvstore developers.
//
// `kvstore import` and `kvstore export`: the store's contents as JSON, in the
// snapshot's encoding (docs/FORMATS.md: text stays text, other bytes become
// "\u0000b64:" + base64), so that binary data round-trips.

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
// "expires": {...}} (metadata members allowed) or as a flat {"key": "value"}
// object, sets every pair (with its deadline from "expires", if any; a pair
// whose deadline has passed is skipped), then checkpoints so that the next open loads a snapshot instead of
// replaying the import's WAL records.
int ImportCommand(const GlobalFlags& flags, const ImportArgs& args);

// Writes {"map": {...}} (pretty-printed; plus "expires": {"key": deadline
// in Unix ms} when some key has one) to file, or to standard output if
// file is empty or "-". A file is written beside itself and renamed into
// place, so it is never seen half written.
int ExportCommand(const GlobalFlags& flags, const std::string& file);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_JSON_IO_H_

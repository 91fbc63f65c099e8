// Copyright (c) the kvstore developers.
//
// The subcommands that open the data directory as a store (KvStore::open_dir):
// get, set, del, size, scan, checkpoint and the interactive shell. Each opens
// the store, acts and closes it; the directory lock makes them fail cleanly
// (kBusy) while a server or another tool holds the directory.

#ifndef KVSTORE_TOOLS_CLI_STORE_COMMANDS_H_
#define KVSTORE_TOOLS_CLI_STORE_COMMANDS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli.h"

namespace kvstore::cli {

// The one place the tool opens a store. create: make the directory if it is
// absent (commands that write); otherwise a missing directory is an error
// (a typo in --dir should not create an empty store and report "not found").
// clock: Options::clock (empty: the system clock).
Result<KvStore> OpenStore(const GlobalFlags& flags, bool create,
                          std::function<int64_t()> clock = {});

// A clock that always answers the time of this call: commands that read many
// keys (scan, export) see the store at one instant, so a key they list is
// still there when its deadline is read.
std::function<int64_t()> FrozenNow();

// Prints key's value. An absent key exits kExitNo; a key holding a hash,
// list, set or sorted set fails (kExitError) with one line "WRONGTYPE key
// 'k' holds a hash, not a string".
int GetCommand(const GlobalFlags& flags, const std::string& key, bool no_newline);

struct SetArgs {
  std::string key;
  std::string value;       // "-": read standard input
  std::string value_file;  // instead of value
  bool has_value = false;
  int64_t px = 0;    // > 0: expire this many milliseconds from now
  int64_t pxat = 0;  // > 0: expire at this Unix time in milliseconds
};
int SetCommand(const GlobalFlags& flags, const SetArgs& args);

// Prints the key's remaining time to live in milliseconds (as Redis's PTTL),
// or with at its deadline in Unix ms (as PEXPIRETIME); -1 if it has none.
// An absent key prints -2 and exits kExitNo.
int TtlCommand(const GlobalFlags& flags, const std::string& key, bool at);

int DelCommand(const GlobalFlags& flags, const std::vector<std::string>& keys);
int SizeCommand(const GlobalFlags& flags);

struct ScanArgs {
  std::string match;         // common/glob.h; empty matches everything
  std::size_t count = 1000;  // keys per KvStore::scan() page (a hint, as in Redis)
  std::size_t limit = 0;     // stop after this many keys; 0: no limit
  // Add a column: a string's value (escaped); for a key holding a hash, list,
  // set or sorted set, its type and size in angle brackets, e.g. "<hash, 3
  // fields>" (docs/CLI.md). --type string makes the column only values.
  bool values = false;
  bool ttl = false;  // add a column: the remaining ms, -1 for none (as PTTL)
  // Only keys of this type (Redis's TYPE names: string, list, set, zset,
  // hash), as SCAN's TYPE option; empty: every type.
  std::string type;
};
int ScanCommand(const GlobalFlags& flags, const ScanArgs& args);

int CheckpointCommand(const GlobalFlags& flags);
int ShellCommand(const GlobalFlags& flags);

// Reads a whole file ("-": standard input) as bytes.
Result<std::string> ReadAll(const std::string& path);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_STORE_COMMANDS_H_

// Copyright (c) the kvstore developers.
//
// What every subcommand of the `kvstore` tool shares: the global flags, the
// exit codes (docs/CLI.md) and the one-line error report on stderr.

#ifndef KVSTORE_TOOLS_CLI_CLI_H_
#define KVSTORE_TOOLS_CLI_CLI_H_

#include <string>
#include <string_view>

#include "kvstore/kvstore.h"

namespace kvstore::cli {

// Exit codes, after grep and diff: 1 is a negative answer that is not an
// error (a key that is absent, damage that `check` found), 2 is trouble.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;
inline constexpr int kExitError = 2;

struct GlobalFlags {
  std::string dir = "./data";
  bool dir_given = false;  // --dir was on the command line (bench uses a temp dir otherwise)
  std::string sync = "everysec";

  SyncMode sync_mode() const;
};

// Prints "kvstore: <message>" on stderr and returns kExitError.
int Fail(std::string_view message);
int Fail(const Error& error);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_CLI_H_

// Copyright (c) the kvstore developers.
//
// `kvstore serve [server flags...]`: replaces this process with
// kvstore-server (found beside the kvstore binary, else on PATH), passing
// --dir and the remaining arguments unchanged.

#ifndef KVSTORE_TOOLS_CLI_SERVE_H_
#define KVSTORE_TOOLS_CLI_SERVE_H_

#include <string>
#include <vector>

#include "cli.h"

namespace kvstore::cli {

// The server's path beside `self` (this executable's path), or
// "kvstore-server" to be searched on PATH.
std::string ServerCandidate(const std::string& self);

// Returns only if the exec failed (with kExitError after the message).
int ServeCommand(const GlobalFlags& flags, const std::vector<std::string>& server_args);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_SERVE_H_

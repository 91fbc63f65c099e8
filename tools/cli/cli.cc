// Copyright (c) the kvstore developers.

#include "cli.h"

#include <cstdio>

namespace kvstore::cli {

SyncMode GlobalFlags::sync_mode() const {
  if (sync == "always") return SyncMode::kAlways;
  if (sync == "no") return SyncMode::kNever;
  return SyncMode::kEverySecond;
}

int Fail(std::string_view message) {
  // One line, whatever the message holds: scripts read stderr line by line.
  std::string line(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "kvstore: %s\n", line.c_str());
  return kExitError;
}

int Fail(const Error& error) { return Fail(error.ToString()); }

}  // namespace kvstore::cli

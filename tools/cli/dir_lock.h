// Copyright (c) the kvstore developers.
//
// The data directory's lock, taken the way KvStore::open_dir takes it (flock
// on dir/LOCK), so that `check --repair` never edits files under a running
// server and a server cannot start while the repair runs.

#ifndef KVSTORE_TOOLS_CLI_DIR_LOCK_H_
#define KVSTORE_TOOLS_CLI_DIR_LOCK_H_

#include <string>

#include "kvstore/result.h"

namespace kvstore::cli {

// Holds the lock until destroyed (closing the descriptor releases it).
class DirLock {
 public:
  // Takes an exclusive flock on lock_path without waiting. Creates the file
  // if absent. Errors: kBusy if another process holds it, kIoError otherwise.
  static Result<DirLock> Acquire(const std::string& lock_path);

  DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_DIR_LOCK_H_

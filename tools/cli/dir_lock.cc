// Copyright (c) the kvstore developers.

#include "dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kvstore::cli {

Result<DirLock> DirLock::Acquire(const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return Error(ErrorCode::kIoError, "open '" + lock_path + "': " + std::strerror(err));
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Error(ErrorCode::kBusy, "'" + lock_path +
                                         "' is locked by another process (a running server or "
                                         "tool); stop it first");
    }
    return Error(ErrorCode::kIoError, "flock '" + lock_path + "': " + std::strerror(err));
  }
  return DirLock(fd);
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace kvstore::cli

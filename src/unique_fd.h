// Copyright (c) the kvstore developers.
//
// A move-only owner of a file descriptor. Close() is explicit and returns its
// error, because a close can be the first to report a failed write; the
// destructor closes silently only as a fallback.

#ifndef KVSTORE_SRC_UNIQUE_FD_H_
#define KVSTORE_SRC_UNIQUE_FD_H_

#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "error.h"

namespace kvstore {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Closes the descriptor; path is for the error message. Never retried on
  // EINTR: on Linux the descriptor is released even then.
  Result<void> Close(const std::string& path) {
    if (fd_ < 0) return {};
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 && errno != EINTR) return PosixError("close", path, errno);
    return {};
  }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  int fd_ = -1;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_UNIQUE_FD_H_

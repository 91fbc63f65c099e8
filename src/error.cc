// Copyright (c) the kvstore developers.

#include "error.h"

#include <cerrno>
#include <cstring>

namespace kvstore {

const char* ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kIoError:
      return "IO error";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNoSpace:
      return "no space";
    case ErrorCode::kClosed:
      return "closed";
    case ErrorCode::kBusy:
      return "busy";
  }
  return "unknown error";
}

std::string Error::ToString() const { return std::string(ErrorCodeName(code_)) + ": " + message_; }

Error PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg(op);
  msg += " '";
  msg += path;
  msg += "': ";
  msg += std::strerror(err);
  const bool full = err == ENOSPC || err == EDQUOT;
  return Error(full ? ErrorCode::kNoSpace : ErrorCode::kIoError, std::move(msg));
}

}  // namespace kvstore

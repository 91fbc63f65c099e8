// Copyright (c) the kvstore developers.
//
// Internal helpers to build Errors with consistent messages.

#ifndef KVSTORE_SRC_ERROR_H_
#define KVSTORE_SRC_ERROR_H_

#include <string>
#include <string_view>

#include "kvstore/result.h"

namespace kvstore {

// "<op> '<path>': <strerror(err)>", with kNoSpace for ENOSPC/EDQUOT and
// kIoError otherwise.
Error PosixError(std::string_view op, const std::string& path, int err);

inline Error Corruption(std::string msg) { return Error(ErrorCode::kCorruption, std::move(msg)); }
inline Error InvalidArgument(std::string msg) {
  return Error(ErrorCode::kInvalidArgument, std::move(msg));
}

// Propagates an error from an expression returning Result<...>.
#define KV_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    auto kv_status_ = (expr);                             \
    if (!kv_status_) return std::move(kv_status_).error(); \
  } while (0)

}  // namespace kvstore

#endif  // KVSTORE_SRC_ERROR_H_

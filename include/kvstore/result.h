// Copyright (c) the kvstore developers.
//
// Error and Result<T>: errors as values. The success path is cheap (no
// allocation for Result<void>, a std::variant for Result<T>). This mirrors the
// subset of std::expected<T, Error> that the API needs; std::expected itself is
// not usable with clang 16 on Debian 12's libstdc++.

#ifndef KVSTORE_RESULT_H_
#define KVSTORE_RESULT_H_

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace kvstore {

// What kind of failure an Error reports. Callers branch on this; the message is
// for humans and logs.
enum class ErrorCode {
  kIoError,          // the OS refused a read, write, sync, rename, open...
  kCorruption,       // a file's contents fail their checksum or grammar
  kInvalidArgument,  // the caller passed something unusable (e.g. oversize key)
  kNoSpace,          // the disk is full (ENOSPC / EDQUOT)
  kClosed,           // the store was closed, moved from, or stopped accepting
                     // writes after an earlier failure
  kBusy,             // the data directory is locked by another process
};

// Returns a stable, human-readable name such as "IO error" or "corruption".
const char* ErrorCodeName(ErrorCode code) noexcept;

// A failure: a code plus a message naming what failed, on which file (and
// offset where it applies) and the OS error text. Cheap to copy and move.
class Error {
 public:
  // An error of kind `code`; `message` says what failed and where.
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  // The kind of failure, for callers to branch on.
  ErrorCode code() const noexcept { return code_; }
  // What failed, for humans and logs.
  const std::string& message() const noexcept { return message_; }
  // "<code name>: <message>", for logs and exception texts.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

// Thrown by Result<T>::value() when the result holds an error.
class BadResultAccess : public std::runtime_error {
 public:
  // Carries a copy of the error; what() is error.ToString().
  explicit BadResultAccess(const Error& error)
      : std::runtime_error(error.ToString()), error_(error) {}
  // The error the Result held.
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Either a T or an Error. Interface subset of std::expected<T, Error>.
// REQUIRES for operator*, operator->: has_value(). For error(): !has_value().
template <class T>
class [[nodiscard]] Result {
 public:
  // A success holding `value` (implicit, like std::expected).
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit like expected
  // A failure holding `error`.
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  // True when the result holds a value, false when it holds an error.
  bool has_value() const noexcept { return v_.index() == 0; }
  // Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  // The value; throws BadResultAccess if the result holds an error.
  T& value() & {
    Check();
    return std::get<0>(v_);
  }
  // The value; throws BadResultAccess if the result holds an error.
  const T& value() const& {
    Check();
    return std::get<0>(v_);
  }
  // Moves the value out; throws BadResultAccess if the result holds an error.
  T&& value() && {
    Check();
    return std::move(std::get<0>(v_));
  }
  // The value, unchecked. REQUIRES: has_value().
  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  // The value, unchecked. REQUIRES: has_value().
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  // Moves the value out, unchecked. REQUIRES: has_value().
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  // Member access to the value, unchecked. REQUIRES: has_value().
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  // Member access to the value, unchecked. REQUIRES: has_value().
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  // The error. REQUIRES: !has_value().
  const Error& error() const& noexcept { return *std::get_if<1>(&v_); }
  // Moves the error out. REQUIRES: !has_value().
  Error&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

 private:
  void Check() const {
    if (!has_value()) throw BadResultAccess(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

// Success, or an Error. Success is a null pointer: returning OK costs nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  // Success.
  Result() noexcept = default;
  // A failure holding `error`.
  Result(Error error) : error_(std::make_unique<Error>(std::move(error))) {}  // NOLINT
  // Copies the error, if any.
  Result(const Result& other)
      : error_(other.error_ ? std::make_unique<Error>(*other.error_) : nullptr) {}
  // Takes the error, if any, from `other`.
  Result(Result&&) noexcept = default;
  // Copies the error, if any.
  Result& operator=(const Result& other) {
    if (this != &other) error_ = other.error_ ? std::make_unique<Error>(*other.error_) : nullptr;
    return *this;
  }
  // Takes the error, if any, from `other`.
  Result& operator=(Result&&) noexcept = default;

  // True on success.
  bool has_value() const noexcept { return error_ == nullptr; }
  // Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }
  // Throws BadResultAccess if the result holds an error; does nothing on success.
  void value() const {
    if (error_) throw BadResultAccess(*error_);
  }
  // Does nothing (for symmetry with Result<T>).
  void operator*() const noexcept {}
  // The error. REQUIRES: !has_value().
  const Error& error() const& noexcept { return *error_; }
  // Moves the error out. REQUIRES: !has_value().
  Error&& error() && noexcept { return std::move(*error_); }

 private:
  std::unique_ptr<Error> error_;
};

}  // namespace kvstore

#endif  // KVSTORE_RESULT_H_

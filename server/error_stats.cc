// Copyright (c) the kvstore developers.
//
// The registry of error codes; see error_stats.h.

#include "error_stats.h"

#include <mutex>

namespace kvstore::server {

namespace {

constexpr std::size_t kMaxCodeLength = 31;

// Names are written once, before `count` publishes them (release), and never
// change: readers scan [0, count) without the lock.
struct Registry {
  std::mutex mu;
  std::array<std::array<char, kMaxCodeLength + 1>, kMaxErrorCodes> names{};
  std::array<uint8_t, kMaxErrorCodes> lengths{};
  std::atomic<std::size_t> count{0};

  std::string_view Name(std::size_t i) const {
    return std::string_view(names[i].data(), lengths[i]);
  }
  std::size_t Find(std::string_view code, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) {
      if (Name(i) == code) return i;
    }
    return kMaxErrorCodes;
  }
};

Registry& Codes() {
  static Registry r;
  return r;
}

}  // namespace

std::string_view ErrorCode(std::string_view error_text) {
  return error_text.substr(0, error_text.find(' '));
}

std::size_t ErrorCodeSlot(std::string_view code) {
  Registry& r = Codes();
  if (code.empty() || code.size() > kMaxCodeLength) return kMaxErrorCodes;
  const std::size_t seen = r.Find(code, r.count.load(std::memory_order_acquire));
  if (seen < kMaxErrorCodes) return seen;
  std::lock_guard<std::mutex> lock(r.mu);
  const std::size_t n = r.count.load(std::memory_order_relaxed);
  if (const std::size_t again = r.Find(code, n); again < kMaxErrorCodes) return again;
  if (n == kMaxErrorCodes) return kMaxErrorCodes;
  code.copy(r.names[n].data(), code.size());
  r.lengths[n] = static_cast<uint8_t>(code.size());
  r.count.store(n + 1, std::memory_order_release);
  return n;
}

std::size_t ErrorCodeCount() { return Codes().count.load(std::memory_order_acquire); }

std::string_view ErrorCodeName(std::size_t slot) { return Codes().Name(slot); }

}  // namespace kvstore::server

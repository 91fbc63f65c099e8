// Copyright (c) the kvstore developers.
//
// Counting error replies by their code, the first word of the error ("ERR",
// "WRONGTYPE", "NOAUTH"), for INFO errorstats and total_error_replies. Codes
// get a slot the first time one is replied (a process-wide registry, locked
// only then); each I/O thread counts into its own ErrorTally with relaxed
// single-writer counters, so an error reply costs a short scan of the known
// codes and no locked instruction. As Redis, only a bounded number of
// distinct codes is tracked: past kMaxErrorCodes they count in the total only.

#ifndef KVSTORE_SERVER_ERROR_STATS_H_
#define KVSTORE_SERVER_ERROR_STATS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvstore::server {

// A counter written by exactly one thread and read by others: a relaxed load
// and store instead of an atomic read-modify-write, so counting costs no
// locked instruction on the request path.
struct OwnedCounter {
  std::atomic<uint64_t> v{0};
  void Add(uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return v.load(std::memory_order_relaxed); }
};

constexpr std::size_t kMaxErrorCodes = 64;

// The code of an error reply text: its first word ("ERR" for "ERR syntax error").
std::string_view ErrorCode(std::string_view error_text);

// The slot of `code`, registering it on first use; kMaxErrorCodes when the
// registry is full or the code is longer than a code can be.
std::size_t ErrorCodeSlot(std::string_view code);
// The number of registered codes, and the name of each (slot < count).
std::size_t ErrorCodeCount();
std::string_view ErrorCodeName(std::size_t slot);

// One I/O thread's error replies.
struct ErrorTally {
  std::array<OwnedCounter, kMaxErrorCodes> by_code;
  OwnedCounter total;

  void Count(std::string_view error_text) {
    total.Add(1);
    const std::size_t slot = ErrorCodeSlot(ErrorCode(error_text));
    if (slot < kMaxErrorCodes) by_code[slot].Add(1);
  }
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_ERROR_STATS_H_

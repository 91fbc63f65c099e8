// Copyright (c) the kvstore developers.
//
// Shared helpers for the libFuzzer targets in tests/fuzz/.
//
// FUZZ_CHECK(cond) aborts through __builtin_trap() when an invariant does not
// hold, after printing which one, so that libFuzzer records the input as a
// crash. Sanitizer reports (ASan, UBSan with -fno-sanitize-recover) abort by
// themselves.

#ifndef KVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_
#define KVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, \
                   #cond);                                                        \
      std::fflush(stderr);                                                        \
      __builtin_trap();                                                           \
    }                                                                             \
  } while (0)

namespace kvstore::fuzz {

using Model = std::map<std::string, std::string>;

// The stores' clock, which stands still (2023-11-14), so that which deadlines
// have passed depends on the input alone.
inline constexpr int64_t kFuzzNowMs = 1'700'000'000'000;

// Key -> (value, deadline in Unix ms; 0: none, as in the WAL and the map).
using TimedModel = std::map<std::string, std::pair<std::string, int64_t>>;

// Whether an entry with this deadline is visible at kFuzzNowMs.
inline bool LiveAtFuzzNow(int64_t deadline) { return deadline == 0 || deadline >= kFuzzNowMs; }

// Options for a store on the in-memory filesystem. kNever: no background
// sync thread per open, which keeps the fuzzers fast; no active expiry cycle
// either (with the clock standing still it would find nothing that the open
// did not already reclaim).
inline Options MemOptions(std::shared_ptr<testing::FaultInjectionFs> fs,
                          RecoveryMode mode = RecoveryMode::kStrict) {
  Options o;
  o.sync = SyncMode::kNever;
  o.recovery = mode;
  o.fs = std::move(fs);
  o.log_level = LogLevel::kOff;  // millions of opens
  o.clock = [] { return kFuzzNowMs; };
  o.expire_cycle_period = std::chrono::milliseconds(0);
  return o;
}

// The store holds exactly `model`: same size, every model key has its value.
inline void CheckStoreEquals(const KvStore& store, const Model& model) {
  FUZZ_CHECK(store.size() == model.size());
  for (const auto& [k, v] : model) {
    auto got = store.get(k);
    FUZZ_CHECK(got.has_value());
    FUZZ_CHECK(*got == v);
  }
}

// The store holds exactly the entries of `model` that are live at
// kFuzzNowMs, each with its deadline.
inline void CheckStoreEquals(const KvStore& store, const TimedModel& model) {
  Model live;
  for (const auto& [k, vd] : model) {
    if (!LiveAtFuzzNow(vd.second)) {
      FUZZ_CHECK(!store.get(k).has_value());
      FUZZ_CHECK(store.expire_time(k) == kKeyAbsent);
      continue;
    }
    live.emplace(k, vd.first);
    FUZZ_CHECK(store.expire_time(k) == (vd.second == 0 ? kNoExpiry : vd.second));
  }
  CheckStoreEquals(store, live);
}

// Whether some entry of `model` has expired at kFuzzNowMs (an open then
// logs removes for them, so the store's sequence moves on).
inline bool AnyExpired(const TimedModel& model) {
  for (const auto& [k, vd] : model) {
    if (!LiveAtFuzzNow(vd.second)) return true;
  }
  return false;
}

// Set to a non-empty value to print why an open failed (debugging a finding).
inline bool Verbose() {
  static const bool v = std::getenv("KVSTORE_FUZZ_VERBOSE") != nullptr;
  return v;
}

}  // namespace kvstore::fuzz

#endif  // KVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_

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
#include "support/object_text.h"

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

// The stores' clock, which stands still (2023-11-14), so that which deadlines
// have passed depends on the input alone.
inline constexpr int64_t kFuzzNowMs = 1'700'000'000'000;

// What a key must hold: a string (value) or, when obj is set, a hash, list,
// set or sorted set; and its deadline in Unix ms (0: none, as in the WAL and
// the map). Objects compare by content (support/object_text.h).
struct ModelValue {
  std::string value;
  int64_t deadline = 0;
  std::shared_ptr<Object> obj;
  bool operator==(const ModelValue& o) const {
    if (deadline != o.deadline || (obj == nullptr) != (o.obj == nullptr)) return false;
    return obj ? testing::ObjectText(*obj) == testing::ObjectText(*o.obj) : value == o.value;
  }
};
using TimedModel = std::map<std::string, ModelValue>;

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

// The store holds exactly the entries of `model` that are live at
// kFuzzNowMs, each with its type, content and deadline.
inline void CheckStoreEquals(const KvStore& store, const TimedModel& model) {
  std::size_t live = 0;
  for (const auto& [k, mv] : model) {
    if (!LiveAtFuzzNow(mv.deadline)) {
      FUZZ_CHECK(store.type(k) == Type::kNone);
      FUZZ_CHECK(!store.get(k).has_value());
      FUZZ_CHECK(store.expire_time(k) == kKeyAbsent);
      continue;
    }
    ++live;
    FUZZ_CHECK(store.expire_time(k) == (mv.deadline == 0 ? kNoExpiry : mv.deadline));
    if (mv.obj) {
      std::string text;
      const Type type = store.view(k, [&](const Object& obj) { text = testing::ObjectText(obj); });
      FUZZ_CHECK(type == mv.obj->type());
      FUZZ_CHECK(text == testing::ObjectText(*mv.obj));
    } else {
      auto got = store.get(k);
      FUZZ_CHECK(got.has_value());
      FUZZ_CHECK(*got == mv.value);
    }
  }
  FUZZ_CHECK(store.size() == live);
}

// Whether some entry of `model` has expired at kFuzzNowMs (an open then
// logs removes for them, so the store's sequence moves on).
inline bool AnyExpired(const TimedModel& model) {
  for (const auto& [k, mv] : model) {
    if (!LiveAtFuzzNow(mv.deadline)) return true;
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

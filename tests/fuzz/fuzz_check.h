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

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

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

// Options for a store on the in-memory filesystem. kNever: no background
// sync thread per open, which keeps the fuzzers fast.
inline Options MemOptions(std::shared_ptr<testing::FaultInjectionFs> fs,
                          RecoveryMode mode = RecoveryMode::kStrict) {
  Options o;
  o.sync = SyncMode::kNever;
  o.recovery = mode;
  o.fs = std::move(fs);
  o.log_level = LogLevel::kOff;  // millions of opens
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

// Set to a non-empty value to print why an open failed (debugging a finding).
inline bool Verbose() {
  static const bool v = std::getenv("KVSTORE_FUZZ_VERBOSE") != nullptr;
  return v;
}

}  // namespace kvstore::fuzz

#endif  // KVSTORE_TESTS_FUZZ_FUZZ_CHECK_H_

// Copyright (c) the kvstore developers.
//
// Sweeps and randomized trials run their full counts in the plain build and
// a tenth of them under sanitizers, which slow the code 5-20x; the plain
// build proves the counts, the sanitizer builds prove memory and thread
// safety on the same code paths. KVSTORE_TEST_SCALE=N overrides the divisor.

#ifndef KVSTORE_TESTS_SUPPORT_TEST_SCALE_H_
#define KVSTORE_TESTS_SUPPORT_TEST_SCALE_H_

#include <cstdlib>

namespace kvstore::testing {

inline constexpr bool kUnderSanitizer =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    true;
#else
    false;
#endif
#else
    false;
#endif

// Divides a count for this build; never returns less than 1.
inline int Scaled(int full) {
  int divisor = kUnderSanitizer ? 10 : 1;
  if (const char* env = std::getenv("KVSTORE_TEST_SCALE")) divisor = std::atoi(env);
  if (divisor < 1) divisor = 1;
  return full / divisor > 0 ? full / divisor : 1;
}

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_TEST_SCALE_H_

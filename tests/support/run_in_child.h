// Copyright (c) the kvstore developers.
//
// RunInChild: runs part of a test in a forked child, so that what it changes
// in the process (a lowered limit, an ignored signal) never leaks into the
// rest of the suite. The child reports what went wrong on stderr and through
// its exit status (CHILD_CHECK), which the parent checks.

#ifndef KVSTORE_TESTS_SUPPORT_RUN_IN_CHILD_H_
#define KVSTORE_TESTS_SUPPORT_RUN_IN_CHILD_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

// In a child: prints why and exits with status 1 unless ok.
#define CHILD_CHECK(ok, what)                                                                    \
  do {                                                                                           \
    if (!(ok)) {                                                                                 \
      std::fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, std::string(what).c_str()); \
      std::fflush(stderr);                                                                       \
      ::_exit(1);                                                                                \
    }                                                                                            \
  } while (0)

namespace kvstore::testing {

// Runs body in a forked child and expects it to exit with status 0.
inline void RunInChild(const std::function<void()>& body) {
#if defined(__SANITIZE_THREAD__)
  // The child opens stores, which start the background pool's threads.
  GTEST_SKIP() << "TSan does not support starting threads in the child of a multi-threaded fork";
#endif
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    body();
    std::fflush(nullptr);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed (see its message above)";
}

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_RUN_IN_CHILD_H_

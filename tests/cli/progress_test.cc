// Copyright (c) the kvstore developers.

#include "progress.h"

#include <gtest/gtest.h>

#include <thread>

namespace kvstore::cli {
namespace {

TEST(ProgressBar, RendersFractionAndAmounts) {
  ProgressBar bar("check", 4 << 20, "bytes", false);
  EXPECT_EQ(bar.Render(1 << 20), "check [#######-----------------------]  25% 1.0 MiB / 4.0 MiB");
  ProgressBar keys("import", 10, "keys", false);
  EXPECT_EQ(keys.Render(10), "import [##############################] 100% 10 keys / 10 keys");
  EXPECT_EQ(keys.Render(99), keys.Render(10));  // clamped
}

TEST(ProgressBar, EmptyTotalIsComplete) {
  ProgressBar bar("x", 0, "keys", false);
  EXPECT_NE(bar.Render(0).find("100%"), std::string::npos);
}

TEST(ProgressBar, DisabledBarWritesNothing) {
  ::testing::internal::CaptureStderr();
  {
    ProgressBar bar("x", 10, "keys", false);
    for (int i = 0; i <= 10; ++i) bar.Update(i);
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ElapsedIndicator, ShowsElapsedTimeAfterTheDelayThenErasesItself) {
  ::testing::internal::CaptureStderr();
  {
    ElapsedIndicator ind("opening data", true, std::chrono::milliseconds(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.rfind("\ropening data... 0.", 0), 0u) << err;
  EXPECT_TRUE(err.ends_with("\r\033[K")) << err;
}

TEST(ElapsedIndicator, QuickStepsShowNothing) {
  ::testing::internal::CaptureStderr();
  { ElapsedIndicator ind("opening data", true, std::chrono::milliseconds(10000)); }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace kvstore::cli

// Copyright (c) the kvstore developers.
//
// The function libraries' encoding and file (function_file.h): round trips,
// and every truncation and every single-bit flip is refused.

#include "function_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace kvstore::server {
namespace {

const std::vector<std::string> kCodes = {
    "#!lua name=a\nredis.register_function('fa', function() return 1 end)",
    "",  // an empty code is still a library slot: the decoder keeps it
    std::string("#!lua name=b\n-- bytes \x00\xff kept\n", 30)};

TEST(FunctionFileTest, EncodingRoundTrips) {
  for (const auto& codes : {std::vector<std::string>{}, kCodes}) {
    std::vector<std::string> out = {"left over"};
    ASSERT_TRUE(DecodeLibraries(EncodeLibraries(codes), &out));
    EXPECT_EQ(out, codes);
  }
}

TEST(FunctionFileTest, EveryTruncationAndBitFlipIsRefused) {
  const std::string payload = EncodeLibraries(kCodes);
  std::vector<std::string> out;
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(DecodeLibraries(payload.substr(0, n), &out)) << "truncated to " << n;
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = payload;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      EXPECT_FALSE(DecodeLibraries(damaged, &out)) << "byte " << i << " bit " << bit;
    }
  }
  EXPECT_FALSE(DecodeLibraries(payload + "x", &out));
}

TEST(FunctionFileTest, FileRoundTripsAndAbsentMeansNone) {
  testing::TempDir dir;
  auto none = LoadFunctionFile(dir.path());
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(SaveFunctionFile(dir.path(), kCodes));
  // A temporary file a crash left behind is removed, and ignored.
  std::ofstream(dir.File(std::string(kFunctionFileName) + ".tmp")) << "torn";
  auto loaded = LoadFunctionFile(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, kCodes);
  EXPECT_FALSE(std::filesystem::exists(dir.File(std::string(kFunctionFileName) + ".tmp")));
}

TEST(FunctionFileTest, DamagedFileIsCorruptionNamingIt) {
  testing::TempDir dir;
  ASSERT_TRUE(SaveFunctionFile(dir.path(), kCodes));
  const std::string path = dir.File(kFunctionFileName);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  auto loaded = LoadFunctionFile(dir.path());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(loaded.error().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// The POSIX WAL's preallocated space (src/posix_fs.cc) under kAlways: each
// group-commit sync writes back the pages the appends touched, not a large
// folio around them. The kernel charges a process for the bytes of every
// page-cache folio it dirties (/proc/self/io, write_bytes); a store through
// the mapping dirties a whole folio, so the charge per durable append shows
// the folios' size. With zeros written 1 MiB at a time it was hundreds of
// KiB per append on Linux 6.x (large folios); with page-sized zeros it is a
// page or two.

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

// Bytes this process has dirtied in the page cache so far; nullopt without
// task I/O accounting.
std::optional<uint64_t> WriteBytes() {
  std::ifstream in("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value) {
    if (name == "write_bytes:") return value;
  }
  return std::nullopt;
}

TEST(WalPreallocTest, DurableAppendsDirtyPagesNotLargeFolios) {
  testing::TempDir dir;
  Options o;
  o.sync = SyncMode::kAlways;
  auto store = KvStore::open(dir.File("wal.log"), o);
  ASSERT_TRUE(store) << store.error().message();
  const std::string value(100, 'v');
  // Past the first preallocated steps (64 KiB, then 256 KiB), which the
  // store prepares before it knows its mode or while it learns it.
  for (int i = 0; i < 4000; ++i) ASSERT_TRUE(store->set("warm" + std::to_string(i), value));
  const std::optional<uint64_t> before = WriteBytes();
  if (!before.has_value()) GTEST_SKIP() << "no /proc/self/io write_bytes";
  constexpr int kAppends = 3000;  // about 400 KiB of records, each synced alone
  for (int i = 0; i < kAppends; ++i) ASSERT_TRUE(store->set("key" + std::to_string(i), value));
  const uint64_t per_append = (*WriteBytes() - *before) / kAppends;
  // A page of records, the page it may spill into, and the zeros of the
  // steps preallocated meanwhile (at most 1 MiB each, a few of them).
  EXPECT_LT(per_append, 16u * 1024) << "bytes dirtied per durable append";
}

}  // namespace
}  // namespace kvstore

// Copyright (c) the kvstore developers.

#include "dir_layout.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace kvstore::cli {
namespace {

TEST(DataDir, NamesRoundTripThroughClassify) {
  uint64_t seq = 0;
  EXPECT_EQ(ClassifyName(WalSegmentName(42), &seq), FileKind::kWalSegment);
  EXPECT_EQ(seq, 42u);
  EXPECT_EQ(ClassifyName(SnapshotName(7), &seq), FileKind::kSnapshot);
  EXPECT_EQ(seq, 7u);
  EXPECT_EQ(ClassifyName("MANIFEST", &seq), FileKind::kManifest);
  EXPECT_EQ(ClassifyName("LOCK", &seq), FileKind::kLock);
  EXPECT_EQ(ClassifyName("kvstore.wal", &seq), FileKind::kWalSegment);
  EXPECT_EQ(ClassifyName("snapshot.json", &seq), FileKind::kSnapshot);
  EXPECT_EQ(ClassifyName("MANIFEST.tmp", &seq), FileKind::kLeftover);
  EXPECT_EQ(ClassifyName(WalSegmentName(3) + ".new", &seq), FileKind::kLeftover);
  EXPECT_EQ(ClassifyName("wal-12.log", &seq), FileKind::kOther);  // not 20 digits
  EXPECT_EQ(ClassifyName(WalSegmentName(1) + ".bak-20240101T000000Z", &seq), FileKind::kOther);
}

TEST(DataDir, ListingSortsBySequence) {
  kvstore::testing::TempDir dir;
  for (uint64_t s : {30u, 4u, 100u})
    kvstore::testing::WriteFileBytes(dir.File(WalSegmentName(s)), "");
  kvstore::testing::WriteFileBytes(dir.File(SnapshotName(9)), "{}");
  kvstore::testing::WriteFileBytes(dir.File("MANIFEST"), "{}");
  kvstore::testing::WriteFileBytes(dir.File("notes.txt"), "x");
  auto listing = ListDataDir(dir.path());
  ASSERT_TRUE(listing) << listing.error().ToString();
  ASSERT_EQ(listing->wal_segments.size(), 3u);
  EXPECT_EQ(listing->wal_segments[0].number, 4u);
  EXPECT_EQ(listing->wal_segments[2].number, 100u);
  ASSERT_EQ(listing->snapshots.size(), 1u);
  EXPECT_TRUE(listing->manifest.has_value());
}

TEST(DataDir, MissingDirectoryIsAnError) {
  auto listing = ListDataDir("/nonexistent/kvstore-test-dir");
  ASSERT_FALSE(listing);
  EXPECT_NE(listing.error().message().find("/nonexistent/kvstore-test-dir"), std::string::npos);
}

}  // namespace
}  // namespace kvstore::cli

// Copyright (c) the kvstore developers.

#include "dir_layout.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace kvstore::cli {
namespace {

TEST(DataDir, NamesRoundTripThroughClassify) {
  datadir::DirEntry e = ClassifyName(datadir::SegmentName(42));
  EXPECT_EQ(e.kind, FileKind::kWalSegment);
  EXPECT_EQ(e.number, 42u);
  e = ClassifyName(datadir::SnapshotName(7));
  EXPECT_EQ(e.kind, FileKind::kSnapshot);
  EXPECT_EQ(e.number, 7u);
  EXPECT_EQ(ClassifyName("MANIFEST").kind, FileKind::kManifest);
  EXPECT_EQ(ClassifyName("LOCK").kind, FileKind::kLock);
  EXPECT_EQ(ClassifyName("kvstore.wal").kind, FileKind::kWalSegment);
  EXPECT_EQ(ClassifyName("snapshot.json").kind, FileKind::kSnapshot);
  EXPECT_EQ(ClassifyName("MANIFEST.tmp").kind, FileKind::kLeftover);
  EXPECT_EQ(ClassifyName(datadir::SegmentName(3) + ".new").kind, FileKind::kLeftover);
  EXPECT_EQ(ClassifyName("wal-12.log").kind, FileKind::kOther);  // not 20 digits
  EXPECT_EQ(ClassifyName(datadir::SegmentName(1) + ".bak-20240101T000000Z").kind, FileKind::kOther);
}

TEST(DataDir, ListingSortsBySequence) {
  kvstore::testing::TempDir dir;
  for (uint64_t s : {30u, 4u, 100u})
    kvstore::testing::WriteFileBytes(dir.File(datadir::SegmentName(s)), "");
  kvstore::testing::WriteFileBytes(dir.File(datadir::SnapshotName(9)), "{}");
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

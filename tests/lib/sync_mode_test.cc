// Copyright (c) the kvstore developers.
//
// KvStore::set_sync_mode: the open store's durability promise changes at
// once. Proven with a simulated power loss (FaultInjectionFs drops what was
// never fdatasync'ed): a write acknowledged after switching to kAlways
// survives it, a write acknowledged after switching to kNever is not synced
// on the write path; switching to kAlways also makes earlier writes
// durable; kEverySecond's background sync starts and stops with the mode.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/fault_fs_store_test.h"

namespace kvstore::testing {
namespace {

class SyncModeTest : public FaultFsStoreTest {
 protected:
  // Polls (bounded) until the store's durable sequence reaches seq.
  static bool BecomesDurable(const KvStore& store, uint64_t seq, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (store.durable_sequence() < seq) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
};

TEST_F(SyncModeTest, SwitchingToAlwaysSyncsEarlierWritesAndEveryLaterOne) {
  KvStore store = Open(SyncMode::kNever);
  EXPECT_EQ(store.sync_mode(), SyncMode::kNever);
  ASSERT_TRUE(store.set("before", "1"));
  EXPECT_LT(store.durable_sequence(), store.last_sequence());  // kNever: not synced

  fs_->ResetCounters();
  ASSERT_TRUE(store.set_sync_mode(SyncMode::kAlways));
  EXPECT_EQ(store.sync_mode(), SyncMode::kAlways);
  EXPECT_EQ(store.durable_sequence(), store.last_sequence());  // the switch synced "before"
  EXPECT_EQ(fs_->count(OpKind::kSync), 1u);

  ASSERT_TRUE(store.set("after", "2"));
  EXPECT_EQ(store.durable_sequence(), store.last_sequence());  // synced before returning
  EXPECT_EQ(fs_->count(OpKind::kSync), 2u);

  KvStore after = CrashAndReopen(&store);
  EXPECT_EQ(after.get("before"), "1");
  EXPECT_EQ(after.get("after"), "2");
}

TEST_F(SyncModeTest, SwitchingToNeverStopsSyncingOnTheWritePath) {
  KvStore store = Open(SyncMode::kAlways);
  ASSERT_TRUE(store.set("durable", "1"));
  ASSERT_TRUE(store.set_sync_mode(SyncMode::kNever));
  fs_->ResetCounters();
  ASSERT_TRUE(store.set("volatile", "2"));
  EXPECT_EQ(fs_->count(OpKind::kSync), 0u);
  EXPECT_LT(store.durable_sequence(), store.last_sequence());

  KvStore after = CrashAndReopen(&store);
  EXPECT_EQ(after.get("durable"), "1");
  EXPECT_EQ(after.get("volatile"), std::nullopt);  // lost with the power, as kNever allows
}

TEST_F(SyncModeTest, EverySecondStartsAndStopsTheBackgroundSync) {
  KvStore store = Open(SyncMode::kNever);
  ASSERT_TRUE(store.set_sync_mode(SyncMode::kEverySecond));
  ASSERT_TRUE(store.set("a", "1"));
  // The background task syncs about once a second.
  EXPECT_TRUE(BecomesDurable(store, store.last_sequence(), std::chrono::seconds(5)));

  ASSERT_TRUE(store.set_sync_mode(SyncMode::kNever));
  ASSERT_TRUE(store.set("b", "2"));
  const uint64_t seq = store.last_sequence();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // > two background periods
  EXPECT_LT(store.durable_sequence(), seq);
}

TEST_F(SyncModeTest, SettingTheSameModeTwiceIsHarmless) {
  KvStore store = Open(SyncMode::kEverySecond);
  ASSERT_TRUE(store.set_sync_mode(SyncMode::kEverySecond));
  ASSERT_TRUE(store.set("a", "1"));
  EXPECT_TRUE(BecomesDurable(store, store.last_sequence(), std::chrono::seconds(5)));
}

TEST_F(SyncModeTest, ClosedOrMovedStoreRefuses) {
  KvStore store = Open(SyncMode::kNever);
  ASSERT_TRUE(store.close());
  auto r = store.set_sync_mode(SyncMode::kAlways);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kClosed);
  KvStore moved = std::move(store);
  EXPECT_FALSE(store.set_sync_mode(SyncMode::kAlways));  // NOLINT(bugprone-use-after-move)
}

// Writers never stop while another thread flips the mode; every write
// succeeds, and once the mode stays kAlways each write is durable when it
// returns (the in-flight writer count stayed balanced across the flips).
TEST_F(SyncModeTest, ConcurrentWritersWhileTheModeChanges) {
  KvStore store = Open(SyncMode::kNever);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        if (!store.set("k" + std::to_string(t), std::to_string(i))) ++failures;
      }
    });
  }
  const SyncMode modes[] = {SyncMode::kAlways, SyncMode::kEverySecond, SyncMode::kNever};
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(store.set_sync_mode(modes[i % 3]));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(store.set_sync_mode(SyncMode::kAlways));
  ASSERT_TRUE(store.set("last", "1"));
  EXPECT_EQ(store.durable_sequence(), store.last_sequence());
}

}  // namespace
}  // namespace kvstore::testing

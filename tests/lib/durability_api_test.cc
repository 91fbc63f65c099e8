// Copyright (c) the kvstore developers.
//
// The group-commit API: WriteOptions::wait_durable = false, the write's
// sequence number, durable_sequence() and wait_durable(). A deferred write
// in a kAlways store is visible at once but survives power loss only after
// wait_durable() covers it; many deferred writers share one fdatasync.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/fault_fs_store_test.h"

namespace kvstore::testing {
namespace {

using DurabilityApiTest = FaultFsStoreTest;

TEST_F(DurabilityApiTest, WritesReportConsecutiveSequenceNumbers) {
  KvStore store = Open(SyncMode::kAlways);
  uint64_t a = 0, b = 0, c = 0, d = 99, e = 0;
  ASSERT_TRUE(store.set("a", "1", {.sequence = &a}));
  ASSERT_TRUE(store.set("b", "2", {.wait_durable = false, .sequence = &b}));
  auto removed = store.remove("a", {.sequence = &c});
  ASSERT_TRUE(removed);
  ASSERT_TRUE(removed->has_value());
  // Removing an absent key logs nothing: sequence 0.
  ASSERT_TRUE(store.remove("absent", {.sequence = &d}));
  ASSERT_TRUE(store.update({"x", "y"},
                           [](Transaction& t) {
                             t.set("x", "1");
                             t.set("y", "2");
                           },
                           {.sequence = &e}));
  EXPECT_EQ(b, a + 1);
  EXPECT_EQ(c, b + 1);
  EXPECT_EQ(d, 0u);
  EXPECT_EQ(e, c + 1);  // one batch record, one number
  EXPECT_EQ(store.last_sequence(), e);
}

TEST_F(DurabilityApiTest, DeferredWriteIsVisibleButNotDurableUntilWaited) {
  KvStore store = Open(SyncMode::kAlways);
  ASSERT_TRUE(store.set("durable", "1"));
  const uint64_t before = store.durable_sequence();
  EXPECT_EQ(before, store.last_sequence());  // kAlways waited for it

  uint64_t seq = 0;
  ASSERT_TRUE(store.set("deferred", "2", {.wait_durable = false, .sequence = &seq}));
  EXPECT_EQ(store.get("deferred"), "2");
  EXPECT_LT(store.durable_sequence(), seq);

  // Power loss now: the deferred write is gone, the waited one is not.
  fs_->SimulateCrash(FaultInjectionFs::CrashMode::kDropUnsynced);
  {
    KvStore reopened = Open(SyncMode::kAlways);
    EXPECT_EQ(reopened.get("durable"), "1");
    EXPECT_EQ(reopened.get("deferred"), std::nullopt);
    // Again, this time waiting before the crash.
    ASSERT_TRUE(reopened.set("deferred", "3", {.wait_durable = false, .sequence = &seq}));
    ASSERT_TRUE(reopened.wait_durable(seq));
    EXPECT_GE(reopened.durable_sequence(), seq);
    fs_->SimulateCrash(FaultInjectionFs::CrashMode::kDropUnsynced);
  }
  KvStore after = Open(SyncMode::kAlways);
  EXPECT_EQ(after.get("deferred"), "3");
}

TEST_F(DurabilityApiTest, WaitDurableSyncsInEveryMode) {
  for (SyncMode mode : {SyncMode::kNever, SyncMode::kEverySecond}) {
    SCOPED_TRACE(ModeName(mode));
    fs_ = std::make_shared<FaultInjectionFs>();
    fs_->CreateDir("/db");
    {
      KvStore store = Open(mode);
      uint64_t seq = 0;
      ASSERT_TRUE(store.set("k", "v", {.sequence = &seq}));
      ASSERT_TRUE(store.wait_durable(seq));
      EXPECT_GE(store.durable_sequence(), seq);
      fs_->SimulateCrash(FaultInjectionFs::CrashMode::kDropUnsynced);
    }
    KvStore after = Open(mode);
    EXPECT_EQ(after.get("k"), "v");
  }
}

TEST_F(DurabilityApiTest, WaitBeyondLastSequenceIsClampedAndNothingIsSyncedTwice) {
  KvStore store = Open(SyncMode::kAlways);
  uint64_t seq = 0;
  ASSERT_TRUE(store.set("k", "v", {.wait_durable = false, .sequence = &seq}));
  fs_->ResetCounters();
  ASSERT_TRUE(store.wait_durable(seq + 1000));  // clamped: returns, does not hang
  const uint64_t syncs = fs_->count(OpKind::kSync);
  EXPECT_EQ(syncs, 1u);
  ASSERT_TRUE(store.wait_durable(seq));  // already durable: no new fdatasync
  EXPECT_EQ(fs_->count(OpKind::kSync), syncs);
}

// Deterministic group commit: the first waiter's fdatasync is held open
// (a filesystem hook) until every other thread has made its deferred write
// and is about to wait. The next leader's sync must then cover all of them:
// two fdatasyncs for eight writers, whatever the machine's timing.
TEST_F(DurabilityApiTest, DeferredWritersShareOneFdatasync) {
  KvStore store = Open(SyncMode::kAlways);
  constexpr int kFollowers = 7;
  std::atomic<int> written{0};
  std::atomic<bool> first_sync{true};
  fs_->set_hook([&](OpKind kind, const std::string&) {
    if (kind != OpKind::kSync || !first_sync.exchange(false)) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (written.load() < kFollowers && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let them reach the wait
  });
  fs_->ResetCounters();
  std::atomic<int> failures{0};
  uint64_t leader_seq = 0;
  ASSERT_TRUE(store.set("leader", "v", {.wait_durable = false, .sequence = &leader_seq}));
  std::thread leader([&] {
    if (!store.wait_durable(leader_seq)) failures++;
  });
  std::vector<std::thread> followers;
  for (int t = 0; t < kFollowers; ++t) {
    followers.emplace_back([&, t] {
      uint64_t seq = 0;
      if (!store.set("f" + std::to_string(t), "v", {.wait_durable = false, .sequence = &seq})) {
        failures++;
      }
      written++;
      if (!store.wait_durable(seq)) failures++;
      if (store.durable_sequence() < seq) failures++;
    });
  }
  leader.join();
  for (auto& th : followers) th.join();
  fs_->set_hook(nullptr);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(fs_->count(OpKind::kSync), 2u);
  EXPECT_EQ(store.durable_sequence(), store.last_sequence());
}

// Many threads deferring and waiting at random: every wait returns with its
// write durable, and the store ends fully synced.
TEST_F(DurabilityApiTest, ConcurrentDeferredWritersAllBecomeDurable) {
  KvStore store = Open(SyncMode::kAlways);
  constexpr int kThreads = 8, kWrites = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        uint64_t seq = 0;
        const std::string key = std::to_string(t) + ":" + std::to_string(i);
        if (!store.set(key, "v", {.wait_durable = false, .sequence = &seq})) failures++;
        if (!store.wait_durable(seq)) failures++;
        if (store.durable_sequence() < seq) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kThreads * kWrites));
  EXPECT_EQ(store.durable_sequence(), store.last_sequence());
}

TEST_F(DurabilityApiTest, FailedSyncIsReportedToTheWaiterAndSticks) {
  KvStore store = Open(SyncMode::kAlways);
  uint64_t seq = 0;
  ASSERT_TRUE(store.set("k", "v", {.wait_durable = false, .sequence = &seq}));
  fs_->InjectFault(FaultInjectionFs::Fault::At(OpKind::kSync, 1, EIO));
  auto r = store.wait_durable(seq);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError);
  EXPECT_LT(store.durable_sequence(), seq);
  fs_->ClearFaults();
  // Never retried: the next write and the next wait fail too.
  EXPECT_FALSE(store.set("k2", "v"));
  EXPECT_FALSE(store.wait_durable(seq));
}

TEST_F(DurabilityApiTest, MovedFromStoreRefusesToWait) {
  KvStore store = Open(SyncMode::kAlways);
  KvStore other = std::move(store);
  EXPECT_FALSE(store.wait_durable(1));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(store.durable_sequence(), 0u);
}

}  // namespace
}  // namespace kvstore::testing

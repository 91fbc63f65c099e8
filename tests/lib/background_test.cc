// Copyright (c) the kvstore developers.
//
// The process-wide background pool (src/background.h): periodic tasks run,
// cancelling waits for a run in progress, and many open stores share a few
// threads for their once-a-second syncs and checkpoint triggers instead of
// holding threads of their own.

#include "background.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/store_model.h"

namespace kvstore::testing {
namespace {

using namespace std::chrono_literals;

// Threads of this process, as the kernel counts them.
int CountThreads() {
  DIR* d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// fork() while the pool's threads wait on its condition variables: the child
// (one thread, a copy of that state) must still open stores whose periodic
// work goes to a pool, and cancel tasks it inherited, without hanging.
TEST(BackgroundTest, ForkedChildGetsAWorkingPool) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "TSan does not support starting threads in the child of a multi-threaded fork";
#endif
  std::atomic<int> runs{0};
  auto inherited = Background::Default().Every(10ms, [&] { runs++; });
  std::this_thread::sleep_for(50ms);  // the pool's threads are now waiting
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(20);  // a hang ends the child with SIGALRM
    std::atomic<int> child_runs{0};
    auto task = Background::Default().Every(10ms, [&] { child_runs++; });
    auto fs = std::make_shared<FaultInjectionFs>();
    fs->CreateDir("/d");
    {
      auto store = KvStore::open_dir("/d/data", MakeOptions(fs, SyncMode::kEverySecond));
      if (!store || !store->set("k", "v") || !store->close()) ::_exit(3);
    }
    for (int i = 0; i < 200 && child_runs.load() == 0; ++i) std::this_thread::sleep_for(10ms);
    task.Cancel();
    inherited.Cancel();  // the parent's task: no thread of the child runs it
    ::_exit(child_runs.load() > 0 ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  inherited.Cancel();
  EXPECT_GT(runs.load(), 0);
}

TEST(BackgroundTest, PoolIsSmallAndFixed) {
  const int n = Background::Default().threads();
  EXPECT_GE(n, 2);
  EXPECT_LE(n, 4);
}

TEST(BackgroundTest, TaskRunsPeriodicallyUntilCancelled) {
  std::atomic<int> runs{0};
  auto h = Background::Default().Every(20ms, [&] { runs.fetch_add(1); });
  ASSERT_TRUE(WaitFor([&] { return runs.load() >= 3; }, 5000ms)) << runs.load();
  h.Cancel();
  const int after = runs.load();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(runs.load(), after);  // no run after Cancel returned
  EXPECT_FALSE(h.active());
}

TEST(BackgroundTest, CancelWaitsForTheRunInProgress) {
  std::atomic<bool> started{false}, finished{false};
  auto h = Background::Default().Every(1ms, [&] {
    if (started.exchange(true)) return;
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  ASSERT_TRUE(WaitFor([&] { return started.load(); }, 5000ms));
  h.Cancel();
  EXPECT_TRUE(finished.load());  // Cancel returned only after the run ended
}

TEST(BackgroundTest, TaskMayCancelItselfWithoutDeadlock) {
  std::atomic<int> runs{0};
  Background::Handle h;
  std::atomic<bool> ready{false};
  h = Background::Default().Every(5ms, [&] {
    if (!ready.load()) return;
    h.Cancel();
    runs.fetch_add(1);  // after Cancel: the test reads h only once it sees this
  });
  ready = true;
  ASSERT_TRUE(WaitFor([&] { return runs.load() >= 1; }, 5000ms));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 1);
}

TEST(BackgroundTest, SlowTaskDoesNotStopOthers) {
  std::atomic<bool> stop{false};
  auto slow = Background::Default().Every(1ms, [&] {
    while (!stop.load()) std::this_thread::sleep_for(1ms);
  });
  std::atomic<int> runs{0};
  auto fast = Background::Default().Every(10ms, [&] { runs.fetch_add(1); });
  EXPECT_TRUE(WaitFor([&] { return runs.load() >= 5; }, 5000ms)) << runs.load();
  stop = true;
  slow.Cancel();
  fast.Cancel();
}

// 200 data directories in kEverySecond with checkpoints on: before the pool,
// each held a checkpoint thread and a sync thread (400 threads). Now the
// process gains at most the pool's threads, and both kinds of background work
// still happen: half the stores (default policy, nothing due for an hour) are
// made durable by the once-a-second sync alone; the other half have a
// trigger that any write satisfies and must checkpoint.
TEST(BackgroundTest, ManyStoresShareTheBoundedPool) {
  constexpr int kStores = 200;
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir("/s");
  Options syncing = MakeOptions(fs, SyncMode::kEverySecond);
  syncing.log_level = LogLevel::kWarn;
  syncing.checkpoint.on_close = false;
  Options checkpointing = syncing;
  checkpointing.checkpoint.wal_bytes = 1;  // any write makes a checkpoint due
  auto is_checkpointing = [](int i) { return i % 2 == 1; };
  const int before = CountThreads();
  ASSERT_GT(before, 0);

  std::vector<KvStore> stores;
  stores.reserve(kStores);
  for (int i = 0; i < kStores; ++i) {
    auto s = KvStore::open_dir("/s/db" + std::to_string(i),
                               is_checkpointing(i) ? checkpointing : syncing);
    ASSERT_TRUE(s) << s.error().ToString();
    ASSERT_TRUE(s->set("key", "value " + std::to_string(i)));
    EXPECT_LT(s->durable_sequence(), s->last_sequence());  // kEverySecond: not yet
    stores.push_back(std::move(*s));
  }
  const int during = CountThreads();
  EXPECT_LE(during, before + Background::Default().threads())
      << "threads before " << before << ", with " << kStores << " stores open " << during;

  EXPECT_TRUE(WaitFor(
      [&] {
        for (int i = 0; i < kStores; ++i) {
          const KvStore& s = stores[static_cast<std::size_t>(i)];
          if (s.durable_sequence() < s.last_sequence()) return false;
          if (is_checkpointing(i) && s.stats().checkpoints < 1) return false;
        }
        return true;
      },
      30000ms));
  for (int i = 0; i < kStores; ++i) {
    const Stats st = stores[static_cast<std::size_t>(i)].stats();
    EXPECT_GE(st.wal_syncs, 1u) << i;
    EXPECT_EQ(st.checkpoint_failures, 0u) << i;
    if (is_checkpointing(i)) {
      EXPECT_GE(st.checkpoints, 1u) << i;
    } else {
      EXPECT_EQ(st.checkpoints, 0u) << i;  // so the sync task made it durable
    }
  }
  EXPECT_LE(CountThreads(), before + Background::Default().threads());
  for (KvStore& s : stores) EXPECT_TRUE(s.close());
  // Closed stores released their directories; reopening finds the data.
  auto again = KvStore::open_dir("/s/db7", checkpointing);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get("key"), "value 7");
}

}  // namespace
}  // namespace kvstore::testing

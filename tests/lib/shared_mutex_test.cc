// Copyright (c) the kvstore developers.
//
// SharedMutex (src/shared_mutex.h): fast readers and writers exclude each
// other, a fast reader leaves the shared lock untouched, a slow revocation
// closes the fast way for a while, threads beyond the reader slots still
// read correctly, and ShardMap's per-thread get counters add up exactly.

#include "shared_mutex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "shard_map.h"
#include "support/run_in_child.h"

namespace kvstore {
namespace {

using std::chrono::milliseconds;

// Two values a writer changes one after the other, with work between: a
// reader that saw the first change but not the second would find them apart.
struct Pair {
  SharedMutex mu;
  uint64_t a ABSL_GUARDED_BY(mu) = 0;
  uint64_t b ABSL_GUARDED_BY(mu) = 0;
};

void Work(int n) {
  for (int i = 0; i < n; ++i) asm volatile("" ::: "memory");
}

TEST(SharedMutexTest, FastReadersNeverSeeAWriteHalfDone) {
  constexpr int kWrites = 50000;
  Pair p;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, fast{0}, reads{0};
  std::vector<std::thread> readers;
  // One reader per spare CPU: a reader preempted inside its read keeps the
  // writer waiting for a whole time slice.
  const int kReaders = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      const std::size_t slot = reader_slots::This();
      uint64_t my_torn = 0, my_fast = 0, my_reads = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        FastReaderLock lock(&p.mu, slot);
        const uint64_t a = p.a;
        Work(20);
        const uint64_t b = p.b;
        my_torn += a != b;
        my_fast += lock.fast();
        ++my_reads;
      }
      torn += my_torn;
      fast += my_fast;
      reads += my_reads;
    });
  }
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      {
        WriterLock lock(&p.mu);
        ++p.a;
        Work(20);
        ++p.b;
      }
      // A pause between writes, so that readers restore the bias after
      // each revocation and most reads meet the writer on the fast way.
      Work(3000);
    }
    stop = true;
  });
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(fast.load(), reads.load() / 2) << "most reads should take the fast way";
  WriterLock lock(&p.mu);
  EXPECT_EQ(p.a, uint64_t{kWrites});
  EXPECT_EQ(p.b, uint64_t{kWrites});
}

TEST(SharedMutexTest, AFastReaderLeavesTheSharedLockUntouched) {
  SharedMutex mu;
  ASSERT_TRUE(mu.SharedLockIsFreeForTest());
  {
    FastReaderLock lock(&mu, reader_slots::This());
    ASSERT_TRUE(lock.fast());
    EXPECT_TRUE(mu.SharedLockIsFreeForTest());
  }
  {
    ReaderLock lock(&mu);  // the shared lock's reader count is taken
    EXPECT_FALSE(mu.SharedLockIsFreeForTest());
  }
  // Without a slot, a reader takes the shared lock.
  {
    FastReaderLock lock(&mu, reader_slots::kNoSlot);
    EXPECT_FALSE(lock.fast());
    EXPECT_FALSE(mu.SharedLockIsFreeForTest());
  }
}

TEST(SharedMutexTest, AWriterWaitsForAFastReaderToLeave) {
  SharedMutex mu;
  std::atomic<bool> inside{false}, leave{false}, written{false};
  std::thread reader([&] {
    FastReaderLock lock(&mu, reader_slots::This());
    EXPECT_TRUE(lock.fast());
    inside = true;
    while (!leave) std::this_thread::sleep_for(milliseconds(1));
    EXPECT_FALSE(written.load()) << "a writer entered while a fast reader was inside";
  });
  while (!inside) std::this_thread::sleep_for(milliseconds(1));
  std::thread writer([&] {
    WriterLock lock(&mu);
    written = true;
  });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(written.load());
  leave = true;
  reader.join();
  writer.join();
  EXPECT_TRUE(written.load());
}

TEST(SharedMutexTest, ASlowRevocationSendsReadersToTheSharedLockForAWhile) {
  // A writer that waited about 50 ms for a fast reader keeps the fast way
  // closed for about nine times as long; then the first reader reopens it.
  SharedMutex mu;
  std::atomic<bool> inside{false};
  std::thread reader([&] {
    FastReaderLock lock(&mu, reader_slots::This());
    EXPECT_TRUE(lock.fast());
    inside = true;
    std::this_thread::sleep_for(milliseconds(50));
  });
  while (!inside) std::this_thread::sleep_for(milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  { WriterLock lock(&mu); }
  reader.join();
  ASSERT_GE(std::chrono::steady_clock::now() - start, milliseconds(40));
  {
    FastReaderLock lock(&mu, reader_slots::This());
    EXPECT_FALSE(lock.fast()) << "the fast way reopened at once after a slow revocation";
  }
  std::this_thread::sleep_for(milliseconds(1000));  // past 9 x 50 ms, with margin
  { FastReaderLock lock(&mu, reader_slots::This()); }  // reopens it
  FastReaderLock lock(&mu, reader_slots::This());
  EXPECT_TRUE(lock.fast()) << "the fast way did not reopen";
}

TEST(SharedMutexTest, AReaderArrivingDuringAWriteWaitsForIt) {
  SharedMutex mu;
  std::atomic<bool> read{false}, was_fast{true};
  std::thread reader;
  {
    WriterLock lock(&mu);
    reader = std::thread([&] {
      FastReaderLock l(&mu, reader_slots::This());
      was_fast = l.fast();
      read = true;
    });
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_FALSE(read.load()) << "a reader entered while a writer held the lock";
  }
  reader.join();
  EXPECT_TRUE(read.load());
  EXPECT_FALSE(was_fast.load()) << "a reader that met a writer must wait on the shared lock";
}

TEST(SharedMutexTest, ThreadsBeyondTheSlotsStillExcludeWriters) {
  // More threads than slots hold their slots at once: the extra ones get
  // none and read through the shared lock, and every read stays whole.
  constexpr int kThreads = static_cast<int>(reader_slots::kReaderSlots) + 8;
  Pair p;
  std::atomic<int> claimed{0}, without{0};
  std::atomic<bool> go{false};
  std::atomic<uint64_t> torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    readers.emplace_back([&] {
      const std::size_t slot = reader_slots::This();
      if (slot == reader_slots::kNoSlot) ++without;
      ++claimed;
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 2000; ++i) {
        FastReaderLock lock(&p.mu, slot);
        torn += p.a != p.b;
      }
    });
  }
  while (claimed < kThreads) std::this_thread::yield();
  go = true;
  for (int i = 0; i < 20000; ++i) {
    WriterLock lock(&p.mu);
    ++p.a;
    Work(10);
    ++p.b;
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GE(without.load(), 8);
  // Exited threads gave their slots back.
  std::size_t later = reader_slots::kNoSlot;
  std::thread([&] { later = reader_slots::This(); }).join();
  EXPECT_LT(later, reader_slots::kReaderSlots);
}

TEST(SharedMutexTest, AForkedChildsWritersDoNotWaitForTheParentsReaders) {
  // A thread is inside a fast read when the process forks: the child has no
  // such thread, and its writer must not wait for it.
  SharedMutex mu;
  std::atomic<bool> inside{false}, leave{false};
  std::thread reader([&] {
    FastReaderLock lock(&mu, reader_slots::This());
    inside = true;
    while (!leave) std::this_thread::sleep_for(milliseconds(1));
  });
  while (!inside) std::this_thread::sleep_for(milliseconds(1));
  testing::RunInChild([&] {
    std::atomic<bool> written{false};
    std::thread writer([&] {
      WriterLock lock(&mu);
      written = true;
    });
    for (int i = 0; i < 2000 && !written; ++i) std::this_thread::sleep_for(milliseconds(1));
    CHILD_CHECK(written, "the child's writer waited for a reader of the parent");
    writer.join();
  });
  leave = true;
  reader.join();
}

TEST(SharedMutexTest, GetCountsAddUpAcrossThreadsThatComeAndGo) {
  ShardMap map;
  for (int i = 0; i < 100; ++i) {
    map.PutUnshared(ShardMap::HashKey("k" + std::to_string(i)), "v");
  }
  constexpr int kWaves = 3, kThreads = 4, kEach = 5000;
  for (int w = 0; w < kWaves; ++w) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&map, t] {
        for (int i = 0; i < kEach; ++i) {
          // Even i: a present key; odd i: an absent one.
          const std::string key = (i % 2 == 0 ? "k" : "absent") + std::to_string((i + t) % 100);
          EXPECT_EQ(map.Get(key, /*count=*/true).has_value(), i % 2 == 0);
        }
        (void)map.Get("k1", /*count=*/false);  // not counted
      });
    }
    for (auto& t : threads) t.join();
  }
  const ShardMap::GetCounts n = map.Gets();
  EXPECT_EQ(n.hits, uint64_t{kWaves} * kThreads * kEach / 2);
  EXPECT_EQ(n.misses, uint64_t{kWaves} * kThreads * kEach / 2);
}

}  // namespace
}  // namespace kvstore

// Copyright (c) the kvstore developers.
//
// The reader slots' table and the writer's side of SharedMutex
// (shared_mutex.h).

#include "shared_mutex.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>

#include <chrono>
#include <mutex>
#include <thread>

#include "mutex.h"

namespace kvstore {
namespace reader_slots {

Slot slots[kReaderSlots];
std::atomic<std::size_t> high_water{0};

namespace {
// Gives the thread's slot back when the thread exits.
struct Release {
  std::size_t slot = kNoSlot;
  ~Release() {
    if (slot < kReaderSlots) slots[slot].taken.store(false, std::memory_order_release);
  }
};

// In the child of fork() only the forking thread lives on: the other
// threads' slots are freed, and a read one of them was in (at the fork) no
// longer holds off the child's writers.
void FreeOtherThreadsSlots() {
  for (std::size_t i = 0; i < kReaderSlots; ++i) {
    if (i == this_thread_slot) continue;
    slots[i].reading.store(nullptr, std::memory_order_relaxed);
    slots[i].taken.store(false, std::memory_order_relaxed);
  }
}
}  // namespace

std::size_t Claim() {
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { ::pthread_atfork(nullptr, nullptr, FreeOtherThreadsSlots); });
  static thread_local Release release;
  std::size_t claimed = kNoSlot;
  for (std::size_t i = 0; i < kReaderSlots; ++i) {
    bool expected = false;
    if (!slots[i].taken.load(std::memory_order_relaxed) &&
        slots[i].taken.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      claimed = i;
      break;
    }
  }
  if (claimed < kReaderSlots) {
    // Before the thread's first fast read, and sequentially consistent, so
    // that a writer who misses the new high water is sure to have its
    // cleared bias seen by that read (see Revoke).
    std::size_t h = high_water.load(std::memory_order_seq_cst);
    while (h < claimed + 1 &&
           !high_water.compare_exchange_weak(h, claimed + 1, std::memory_order_seq_cst)) {
    }
  }
  release.slot = claimed;
  this_thread_slot = claimed;
  return claimed;
}

}  // namespace reader_slots

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void SharedMutex::Revoke() {
  bias_.store(false, std::memory_order_seq_cst);
  const int64_t start = NowNs();
  // bias_ was cleared (sequentially consistent) before this load: a reader
  // whose slot lies beyond the high water read here claimed it after, so its
  // own check of bias_ comes later still and sees it cleared.
  const std::size_t n = reader_slots::high_water.load(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < n; ++i) {
    const std::atomic<const void*>& reading = reader_slots::slots[i].reading;
    // A reader inside leaves within a microsecond unless it was preempted
    // there. Then the writer sleeps on a futex the reader wakes as it
    // leaves: yielding or sleeping for a fixed time measured 10x fewer
    // writes with two busy readers and a writer on two CPUs, the writer
    // waiting a millisecond or more for the scheduler each time.
    for (int spins = 0; reading.load(std::memory_order_seq_cst) == this; ++spins) {
      if (spins < Mutex::kLockSpins) {
        CpuPause();
        continue;
      }
      writer_sleeps_.store(1, std::memory_order_seq_cst);
      if (reading.load(std::memory_order_seq_cst) == this) {
        const timespec timeout{0, 1000000};  // 1 ms: a bound, in case of a lost wake-up
        ::syscall(SYS_futex, &writer_sleeps_, FUTEX_WAIT_PRIVATE, 1, &timeout, nullptr, 0);
      }
      writer_sleeps_.store(0, std::memory_order_relaxed);
    }
  }
  const int64_t end = NowNs();
  inhibit_until_ns_.store(end + kInhibitFactor * (end - start), std::memory_order_relaxed);
}

void SharedMutex::WakeWriter() {
  writer_sleeps_.store(0, std::memory_order_relaxed);
  ::syscall(SYS_futex, &writer_sleeps_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void SharedMutex::MaybeRestoreBias() {
  if (NowNs() >= inhibit_until_ns_.load(std::memory_order_relaxed)) {
    // Release: the last writer's changes happened before this reader's
    // shared lock, and a fast reader that sees the bias must see them too.
    bias_.store(true, std::memory_order_release);
  }
}

}  // namespace kvstore

// Copyright (c) the kvstore developers.
//
// The reader slots' table and the writer's side of SharedMutex
// (shared_mutex.h).

#include "shared_mutex.h"

#include <pthread.h>

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
    // that a writer who misses the new high water also sees its own mark
    // seen (see WaitForFastReaders).
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

void SharedMutex::WaitForFastReaders() {
  // writer_ was stored (sequentially consistent) before this load: a reader
  // whose slot lies beyond the high water read here claimed it after, so its
  // own check of writer_ comes later still and sees the mark.
  const std::size_t n = reader_slots::high_water.load(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < n; ++i) {
    const std::atomic<const void*>& reading = reader_slots::slots[i].reading;
    for (int spins = 0; reading.load(std::memory_order_seq_cst) == this; ++spins) {
      if (spins < Mutex::kLockSpins) {
        CpuPause();
      } else {
        std::this_thread::yield();
      }
    }
  }
}

}  // namespace kvstore

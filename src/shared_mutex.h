// Copyright (c) the kvstore developers.
//
// The shard lock: a reader/writer lock whose short readers enter it without
// writing to memory any other thread uses.
//
// A std::shared_mutex counts its readers in the lock word, so every get
// writes the shard's lock line; when two cores read the same shards, that
// line moves between their caches on most gets. Here a thread that reads
// owns a reader slot instead: a cache line of its own in a process-wide
// table of kReaderSlots (reader_slots below). A fast reader writes the
// lock's address into its slot, then checks that no writer holds the lock;
// a writer takes the underlying std::shared_mutex, marks the lock held, then
// waits until no slot names the lock. Both sides publish with a sequentially
// consistent store and then load the other's word (the Dekker pattern), so
// either the reader sees the writer's mark, leaves its slot and waits on the
// shared lock, or the writer sees the reader and waits for it to leave.
//
// What it costs: a writer loads every slot ever claimed (at most
// kReaderSlots lines, usually as many as the threads that have read), and
// waits out fast readers of its lock, spinning, then yielding. Fast readers
// must therefore be short and must not block: ShardMap::Get, which copies
// one value out, is the one that uses them. Longer readers (scans, object
// views, snapshots) take the shared lock as before, and a thread beyond the
// kReaderSlots'th reads through the shared lock too.
//
// Thread-safety annotations as mutex.h's: FastReaderLock holds the lock
// shared for the analysis whichever way it entered.

#ifndef KVSTORE_SRC_SHARED_MUTEX_H_
#define KVSTORE_SRC_SHARED_MUTEX_H_

#include <absl/base/thread_annotations.h>

#include <atomic>
#include <cstddef>
#include <shared_mutex>

namespace kvstore {

// Per-thread reader slots, shared by every SharedMutex of the process.
namespace reader_slots {

// Threads that can read fast at once; a thread exiting frees its slot.
inline constexpr std::size_t kReaderSlots = 64;
// What This() returns to a thread that found every slot taken.
inline constexpr std::size_t kNoSlot = kReaderSlots;

struct alignas(64) Slot {
  std::atomic<const void*> reading{nullptr};  // the lock its thread reads fast
  std::atomic<bool> taken{false};             // a live thread owns the slot
};
extern Slot slots[kReaderSlots];
// Slots ever claimed: writers look at slots[0, high_water).
extern std::atomic<std::size_t> high_water;

inline constexpr std::size_t kUnclaimed = kReaderSlots + 1;
inline thread_local std::size_t this_thread_slot = kUnclaimed;
// Claims a slot for the calling thread (or settles on kNoSlot).
std::size_t Claim();

// The calling thread's slot (claimed on its first call, released when the
// thread exits), or kNoSlot.
inline std::size_t This() {
  const std::size_t s = this_thread_slot;
  return s != kUnclaimed ? s : Claim();
}

}  // namespace reader_slots

class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.lock();
    writer_.store(true, std::memory_order_seq_cst);
    WaitForFastReaders();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    writer_.store(false, std::memory_order_release);
    mu_.unlock();
  }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }

  // Enters as a fast reader through `slot` (reader_slots::This()) and
  // returns true, or, when a writer holds the lock or slot is kNoSlot, takes
  // the shared lock and returns false. Pass the result to FastReaderUnlock.
  bool FastReaderLock(std::size_t slot) ABSL_SHARED_LOCK_FUNCTION() {
    if (slot < reader_slots::kReaderSlots) {
      std::atomic<const void*>& reading = reader_slots::slots[slot].reading;
      reading.store(this, std::memory_order_seq_cst);
      if (!writer_.load(std::memory_order_seq_cst)) return true;
      reading.store(nullptr, std::memory_order_release);
    }
    mu_.lock_shared();
    return false;
  }
  void FastReaderUnlock(std::size_t slot, bool fast) ABSL_UNLOCK_FUNCTION() {
    if (fast) {
      reader_slots::slots[slot].reading.store(nullptr, std::memory_order_release);
    } else {
      mu_.unlock_shared();
    }
  }

  // Whether the underlying shared lock is free (no reader or writer holds it
  // through it): fast readers leave it untouched. For tests.
  bool SharedLockIsFreeForTest() {
    if (!mu_.try_lock()) return false;
    mu_.unlock();
    return true;
  }

 private:
  // Waits until no reader slot names this lock. REQUIRES: writer_ set.
  void WaitForFastReaders();

  std::shared_mutex mu_;
  std::atomic<bool> writer_{false};  // a writer holds mu_ (or is taking it)
};

// Holds a SharedMutex exclusively for its scope.
class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds a SharedMutex shared for its scope (through the shared lock).
class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds a SharedMutex shared for its scope, as a fast reader when it can.
// The scope must be short and must not block (see the file comment).
class ABSL_SCOPED_LOCKABLE FastReaderLock {
 public:
  FastReaderLock(SharedMutex* mu, std::size_t slot) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu), slot_(slot), fast_(mu->FastReaderLock(slot)) {}
  ~FastReaderLock() ABSL_UNLOCK_FUNCTION() { mu_->FastReaderUnlock(slot_, fast_); }
  FastReaderLock(const FastReaderLock&) = delete;
  FastReaderLock& operator=(const FastReaderLock&) = delete;

  bool fast() const { return fast_; }

 private:
  SharedMutex* const mu_;
  const std::size_t slot_;
  const bool fast_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_SHARED_MUTEX_H_

// Copyright (c) the kvstore developers.
//
// The shard lock: a reader/writer lock whose short readers enter it without
// writing to memory any other thread uses.
//
// A std::shared_mutex counts its readers in the lock word, so every get
// writes the shard's lock line; when two cores read the same shards, that
// line moves between their caches on most gets. Here a thread that reads
// owns a reader slot instead: a cache line of its own in a process-wide
// table of kReaderSlots (reader_slots below). While the lock is *biased*
// towards readers, a fast reader writes the lock's address into its slot,
// then checks that the bias still holds. A writer takes the underlying
// std::shared_mutex, clears the bias (it revokes it), then waits until no
// slot names the lock. Both sides publish with a sequentially consistent
// store and then load the other's word (the Dekker pattern), so either the
// reader sees the bias gone, leaves its slot and waits on the shared lock,
// or the writer sees the reader and waits for it to leave.
//
// A revocation costs the writer a look at every slot ever claimed (at most
// kReaderSlots lines, usually as many as the threads that have read) and a
// wait for the fast readers inside, which is long when one of them was
// preempted there (more runnable threads than CPUs). So after a revocation
// readers use the shared lock for kInhibitFactor times as long as the
// revocation took, and the writers of that time skip the scan; the first
// reader after it restores the bias. This is the policy of BRAVO (Dice and
// Kogan, "BRAVO: Biased Locking for Reader-Writer Locks", USENIX ATC 2019).
// Read-mostly shards stay fast; a shard written often, or whose readers
// get preempted, behaves as a plain std::shared_mutex.
//
// Fast readers must be short and must not block: ShardMap::Get, which
// copies one value out, is the one that uses them. Longer readers (scans,
// object views, snapshots) take the shared lock, and a thread beyond the
// kReaderSlots'th reads through the shared lock too.
//
// Thread-safety annotations as mutex.h's: FastReaderLock holds the lock
// shared for the analysis whichever way it entered.

#ifndef KVSTORE_SRC_SHARED_MUTEX_H_
#define KVSTORE_SRC_SHARED_MUTEX_H_

#include <absl/base/thread_annotations.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
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
    // Readers change bias_ only under mu_ (shared), so holding it
    // exclusively, a plain load reads the latest value.
    if (bias_.load(std::memory_order_relaxed)) Revoke();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }

  // Enters as a fast reader through `slot` (reader_slots::This()) and
  // returns true, or, when the lock is not biased (a writer holds it, or a
  // recent revocation closed the fast way) or slot is kNoSlot, takes the
  // shared lock and returns false. Pass the result to FastReaderUnlock.
  bool FastReaderLock(std::size_t slot) ABSL_SHARED_LOCK_FUNCTION() {
    if (slot < reader_slots::kReaderSlots && bias_.load(std::memory_order_relaxed)) {
      std::atomic<const void*>& reading = reader_slots::slots[slot].reading;
      reading.store(this, std::memory_order_seq_cst);
      if (bias_.load(std::memory_order_seq_cst)) return true;
      LeaveSlot(slot);  // a revoking writer may be waiting for it
    }
    mu_.lock_shared();
    if (!bias_.load(std::memory_order_relaxed)) MaybeRestoreBias();
    return false;
  }
  void FastReaderUnlock(std::size_t slot, bool fast) ABSL_UNLOCK_FUNCTION() {
    if (fast) {
      LeaveSlot(slot);
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
  // Clears the reader's slot. Sequentially consistent against Revoke's
  // sleep: either the writer sees the slot cleared, or this sees it waiting
  // and wakes it.
  void LeaveSlot(std::size_t slot) {
    reader_slots::slots[slot].reading.store(nullptr, std::memory_order_seq_cst);
    if (writer_sleeps_.load(std::memory_order_seq_cst) != 0) WakeWriter();
  }
  // Clears bias_, waits until no reader slot names this lock, and keeps
  // the fast way closed for kInhibitFactor times as long as that took.
  // REQUIRES: mu_ held exclusively.
  void Revoke();
  // Wakes the writer sleeping in Revoke (a fast reader it waited for has
  // left).
  void WakeWriter();
  // Reopens the fast way once the time set by Revoke has passed.
  // REQUIRES: mu_ held shared.
  void MaybeRestoreBias();

  // How many times the cost of a revocation fast reads stay off after it.
  static constexpr int64_t kInhibitFactor = 9;

  std::shared_mutex mu_;
  // Readers may enter fast. Cleared by a writer (under mu_ exclusively),
  // set again by a reader (under mu_ shared).
  std::atomic<bool> bias_{true};
  std::atomic<int64_t> inhibit_until_ns_{0};  // steady clock
  // 1 while the writer sleeps in Revoke for a fast reader (a futex word).
  std::atomic<uint32_t> writer_sleeps_{0};
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

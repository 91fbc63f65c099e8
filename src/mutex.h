// Copyright (c) the kvstore developers.
//
// A mutex that clang's thread-safety analysis (-Wthread-safety) understands:
// a thin wrapper around std::mutex carrying absl's annotation macros
// (libstdc++'s own mutexes carry none). The shards' reader/writer lock is in
// shared_mutex.h.
//
//   Mutex mu_;
//   int n_ ABSL_GUARDED_BY(mu_);
//   void Add() { MutexLock l(&mu_); ++n_; }
//
// CondVar waits on a Mutex it is given (as absl::CondVar does), so guarded
// state read around a wait stays checked.
//
// Mutex::Lock tries for a short while before it sleeps, as absl::Mutex and
// glibc's adaptive mutexes do. The WAL's append lock (wal.h) is held for a
// few hundred nanoseconds per write; a thread that finds it taken and sleeps
// on the futex costs itself and the holder's unlock a wake-up of several
// microseconds (more on a virtual machine). Measured with two writers
// (bench/compare.cc, fill, 2 threads): 1.45x the seed's design sleeping,
// 2.0x trying up to kLockSpins times first. No spinning on one CPU, where the
// holder cannot run while the waiter spins.

#ifndef KVSTORE_SRC_MUTEX_H_
#define KVSTORE_SRC_MUTEX_H_

#include <absl/base/thread_annotations.h>

#include <chrono>
#include <thread>
#include <condition_variable>
#include <mutex>

namespace kvstore {

// Tells the CPU the caller is spinning (x86 pause, arm yield).
inline void CpuPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (mu_.try_lock()) return;
    LockSlow();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis that the caller holds the lock (no runtime check).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

  // Attempts (each a try_lock and a pause of the CPU, a few microseconds in
  // all) before Lock sleeps.
  static constexpr int kLockSpins = 100;

 private:
  friend class CondVar;

  // Not inlined: the uncontended Lock stays one try_lock.
  [[gnu::noinline]] void LockSlow() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    static const bool spin = std::thread::hardware_concurrency() > 1;
    for (int i = 0; spin && i < kLockSpins; ++i) {
      CpuPause();
      if (mu_.try_lock()) return;
    }
    mu_.lock();
  }
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable used with a Mutex, which every wait must hold (and
// names, as absl::CondVar does, so the analysis can check it).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Returns false on timeout (spurious wake-ups return true, as Wait does).
  bool WaitUntil(Mutex* mu, std::chrono::steady_clock::time_point deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool woken = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_MUTEX_H_

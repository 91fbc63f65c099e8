// Copyright (c) the kvstore developers.
//
// DurabilityBarrier: how an I/O loop keeps the promise of --sync always with
// the library's group commit. Commands write with
// WriteOptions{.wait_durable = false} (Deferred()), which logs the write and
// makes it visible but does not wait for its fdatasync; the barrier keeps
// the highest sequence number written since it was last released. Before the
// loop sends the replies of a batch it calls Wait() once: one
// KvStore::wait_durable() for the whole batch, and I/O loops waiting at the
// same time share one fdatasync inside the library. In the other sync modes
// nothing waits (their promise is weaker, and the store never syncs on the
// write path for them); the mode is the store's current one.
//
// One barrier per I/O loop; not thread-safe.

#ifndef KVSTORE_SERVER_DURABILITY_H_
#define KVSTORE_SERVER_DURABILITY_H_

#include <cstdint>

#include "kvstore/kvstore.h"

namespace kvstore::server {

class DurabilityBarrier {
 public:
  // Replies wait for durability while the store's mode is kAlways (it can
  // change at runtime: CONFIG SET appendfsync).
  explicit DurabilityBarrier(const KvStore* store) : store_(store) {}

  // The options for a write whose reply this barrier will hold back; the
  // write's sequence lands in a scratch slot that Record() folds in.
  WriteOptions Deferred() { return WriteOptions{.wait_durable = false, .sequence = &scratch_}; }

  // Call after each write made with Deferred().
  void Record() {
    if (scratch_ > highest_) highest_ = scratch_;
    if (scratch_ != 0) latest_ = scratch_;
    scratch_ = 0;
  }

  // Folds in a write another thread made for a reply this barrier's loop
  // sends (a blocked client served by the thread that woke it).
  void Include(uint64_t sequence) {
    if (sequence > highest_) highest_ = sequence;
  }

  // The sequence of the last write recorded (0: none yet); unlike
  // highest(), Wait() does not reset it. The dispatcher compares it before
  // and after a command to learn the command's last write.
  uint64_t latest() const { return latest_; }

  // Whether a write since the last Wait() must become durable first.
  bool pending() const { return highest_ != 0 && store_->sync_mode() == SyncMode::kAlways; }
  uint64_t highest() const { return highest_; }

  // Blocks until every write recorded since the last Wait() is on stable
  // storage (no-op when none is pending). On error the replies must not be
  // sent: they would promise what the disk refused.
  Result<void> Wait();

 private:
  const KvStore* store_;
  uint64_t scratch_ = 0;
  uint64_t highest_ = 0;
  uint64_t latest_ = 0;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_DURABILITY_H_

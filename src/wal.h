// Copyright (c) the kvstore developers.
//
// The write-ahead log: recovery on open, ordered appends, group commit, the
// background sync of kEverySecond, and the checkpoint that rewrites the log
// to drop records a snapshot already holds.
//
// Locks: mu_ orders appends (sequence numbers are assigned under it, so file
// order is sequence order). sync_mu_ guards the group-commit state; it may be
// held while taking mu_, never the reverse. No I/O that can block for long
// (fdatasync) runs under mu_, except the short final step of a checkpoint.
// The once-a-second sync of kEverySecond is a task of the process-wide
// background pool (background.h), not a thread of its own.

#ifndef KVSTORE_SRC_WAL_H_
#define KVSTORE_SRC_WAL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "background.h"
#include "kvstore/kvstore.h"
#include "mutex.h"
#include "wal_reader.h"

namespace kvstore {

struct WalCounters {
  uint64_t records = 0;    // records appended by this process
  uint64_t bytes = 0;      // bytes appended by this process
  uint64_t syncs = 0;      // fdatasync calls on the log
  Histogram sync_seconds;  // latency of each fdatasync (group commit or background)
  Histogram sync_records;  // records each fdatasync made durable
};

class Wal {
 public:
  using ApplyFn = std::function<void(const wal::RecordView&)>;
  using ReserveFn = std::function<void(uint64_t records)>;

  // Opens path and replays the records after snapshot_seq through apply.
  // Before replay, reserve is told an upper bound of the records to come.
  // With have_snapshot, a log that starts after snapshot_seq is kCorruption.
  static Result<std::unique_ptr<Wal>> Open(std::shared_ptr<FileSystem> fs, const std::string& path,
                                           const Options& options, uint64_t snapshot_seq,
                                           bool have_snapshot, const ReserveFn& reserve,
                                           const ApplyFn& apply, RecoveryStats* stats);
  ~Wal();

  // Assigns the next sequence number to rec (built by wal::EncodeRecord) and
  // hands it to the OS. Returns the sequence number.
  // REQUIRES: the caller holds the locks that order writes to the keys the
  // record touches, so that apply order equals sequence order per key.
  Result<uint64_t> Append(std::string* rec, uint64_t payload_hash) ABSL_LOCKS_EXCLUDED(mu_);
  // Writers call these around the work that leads to Append (kAlways group
  // commit lets a sync leader wait briefly for them: larger batches). Other
  // modes never read the count, so they skip the shared atomic.
  // WriterEnter returns whether it counted the writer; pass that to
  // WriterLeave (the mode may change in between: SetMode).
  bool WriterEnter() {
    if (mode() != SyncMode::kAlways) return false;
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    // A writer released by the last sync is back (see returning_).
    int r = returning_.load(std::memory_order_relaxed);
    while (r > 0 && !returning_.compare_exchange_weak(r, r - 1, std::memory_order_relaxed)) {
    }
    return true;
  }
  void WriterLeave(bool counted) {
    if (counted) in_flight_.fetch_sub(1, std::memory_order_release);
  }
  SyncMode mode() const { return mode_.load(std::memory_order_relaxed); }
  // Changes when writes become durable from now on (KvStore::set_sync_mode):
  // kAlways makes Commit wait for an fdatasync, kEverySecond starts the
  // background sync, the others stop it. kClosed after Close().
  Result<void> SetMode(SyncMode mode) ABSL_LOCKS_EXCLUDED(mode_mu_, sync_mu_, mu_);
  // Waits until record seq is durable as Options::sync requires.
  Result<void> Commit(uint64_t seq);
  // Makes every appended record durable.
  Result<void> SyncAll();
  // Group commit: returns once every record <= seq is durable. One waiter
  // leads the fdatasync for everything appended so far; the others wait.
  Result<void> SyncUpTo(uint64_t seq) ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);
  // Every record <= this is durable.
  uint64_t synced_seq() const { return synced_seq_atomic_.load(std::memory_order_acquire); }

  struct Cut {
    uint64_t seq;
    uint64_t offset;
    std::shared_ptr<LogFile> file;
  };
  // The position of the last appended record: records <= seq lie before offset.
  Result<Cut> TakeCut() ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the log by one holding only the records after cut.seq. A crash at
  // any point leaves the old log or the new one under the log's name.
  Result<void> Checkpoint(const Cut& cut) ABSL_LOCKS_EXCLUDED(mu_);

  // Data-directory mode: switches appends to `next` (a new, empty segment at
  // next_path whose directory entry the caller has made durable) and returns
  // the cut: every record <= cut.seq is in an earlier segment. The old file is
  // retired: the next group-commit or SyncAll syncs it before the new one, so
  // durability stays in sequence order. Writers pause only for the header.
  Result<Cut> Rotate(std::shared_ptr<LogFile> next, const std::string& next_path)
      ABSL_LOCKS_EXCLUDED(mu_);

  Result<void> Close() ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);
  uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  WalCounters counters() const ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);

 private:
  Wal(std::shared_ptr<FileSystem> fs, std::string path, SyncMode mode);
  void AwaitInFlightWriters() const;
  // SyncUpTo; a writer (Commit) is counted in waiting_ while it waits.
  Result<void> WaitDurable(uint64_t seq, bool writer) ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);
  static Result<void> CopyRange(const LogFile& from, uint64_t begin, uint64_t end, LogFile* to);
  // The kEverySecond task: syncs if anything was appended since the last sync.
  void BackgroundSync() ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);
  void StartBackgroundSync() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mode_mu_);
  Result<void> Refuse() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<FileSystem> fs_;
  std::atomic<SyncMode> mode_;
  // Serialises SetMode and Close around sync_task_; a leaf lock (a task
  // being cancelled under it never takes it).
  Mutex mode_mu_;
  bool mode_closed_ ABSL_GUARDED_BY(mode_mu_) = false;

  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(sync_mu_);
  std::string path_ ABSL_GUARDED_BY(mu_);  // Rotate changes it
  std::shared_ptr<LogFile> file_ ABSL_GUARDED_BY(mu_);
  // Earlier segments (Rotate) not yet synced since they stopped taking
  // appends.
  std::vector<std::shared_ptr<LogFile>> retired_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<Error> sticky_ ABSL_GUARDED_BY(mu_);  // writes refused after this
  std::atomic<uint64_t> last_seq_{0};                 // written under mu_
  WalCounters counters_ ABSL_GUARDED_BY(mu_);         // except the sync fields
  // What the current file was last told by SetSyncEachAppend (Append).
  const LogFile* hinted_file_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool hinted_always_ ABSL_GUARDED_BY(mu_) = false;

  mutable Mutex sync_mu_;
  CondVar sync_cv_;  // used with sync_mu_
  uint64_t synced_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  std::atomic<uint64_t> synced_seq_atomic_{0};  // mirrors synced_seq_ for lock-free readers
  bool syncing_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::atomic<uint64_t> syncs_{0};
  Histogram sync_seconds_ ABSL_GUARDED_BY(sync_mu_);
  Histogram sync_records_ ABSL_GUARDED_BY(sync_mu_);
  std::atomic<int> in_flight_{0};  // writers between WriterEnter and WriterLeave
  // The sequence numbers writers (Commit) wait for, one entry per thread.
  std::vector<uint64_t> waiting_ ABSL_GUARDED_BY(sync_mu_);
  // Writers the last sync released that have not entered a write since: a
  // thread in a loop of durable writes is about to append again, so the next
  // leader waits for it (bounded) rather than sync without it. Set by each
  // sync, counted down by WriterEnter; a writer that never returns costs one
  // bounded wait, since the next sync sets it afresh.
  std::atomic<int> returning_{0};

  Background::Handle sync_task_ ABSL_GUARDED_BY(mode_mu_);  // kEverySecond only
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_WAL_H_

// Copyright (c) the kvstore developers.

#include "wal.h"

#include "histogram.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "durable_file.h"
#include "error.h"

namespace kvstore {

namespace {

// Writes a log holding only a header (base_seq) to path, durably.
Result<void> CreateEmptyLog(FileSystem& fs, const std::string& path, uint64_t base_seq) {
  return WriteFileDurably(
      fs, path, [&](WritableFile* f) { return f->Append(wal::EncodeFileHeader(base_seq)); },
      nullptr, ".new");
}

// Keeps the bytes that point-in-time recovery drops, for a human to inspect.
Result<void> SaveDroppedBytes(FileSystem& fs, const std::string& path, std::string_view bytes,
                              uint64_t offset) {
  const std::string out = path + ".dropped-" + std::to_string(offset);
  auto f = fs.NewWritableFile(out);
  if (!f) return std::move(f).error();
  KV_RETURN_IF_ERROR((*f)->Append(bytes));
  KV_RETURN_IF_ERROR((*f)->Sync());
  return (*f)->Close();
}

std::string CorruptionMessage(const std::string& path, const wal::ScanResult& scan) {
  return "WAL '" + path + "': damaged record at offset " + std::to_string(scan.valid_end) + " (" +
         scan.problem + ") with " + std::to_string(scan.data_end - scan.valid_end) +
         " bytes after it; " + std::to_string(scan.records) +
         " valid records precede it. Open with RecoveryMode::kPointInTime to keep only them.";
}

}  // namespace

namespace {
// Latency buckets (seconds) for fdatasync: 50 µs .. 5 s.
const std::vector<double> kSyncBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                         0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                         0.5,     1,      2.5,     5};
// Records per fdatasync: 1 .. 4096.
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
}  // namespace

Wal::Wal(std::shared_ptr<FileSystem> fs, std::string path, SyncMode mode)
    : fs_(std::move(fs)),
      mode_(mode),
      path_(std::move(path)),
      sync_seconds_(MakeHistogram(kSyncBounds)),
      sync_records_(MakeHistogram(kBatchBounds)) {}

Wal::~Wal() { (void)Close(); }

Result<std::unique_ptr<Wal>> Wal::Open(std::shared_ptr<FileSystem> fs, const std::string& path,
                                       const Options& options, uint64_t snapshot_seq,
                                       bool have_snapshot, const ReserveFn& reserve,
                                       const ApplyFn& apply, RecoveryStats* stats) {
  std::unique_ptr<Wal> w(new Wal(fs, path, options.sync));
  KV_RETURN_IF_ERROR(RemoveLeftover(*fs, path + ".new"));  // from a crash mid-checkpoint
  auto exists = fs->FileExists(path);
  if (!exists) return std::move(exists).error();
  std::unique_ptr<FileView> view;
  if (*exists) {
    auto v = fs->OpenView(path);
    if (!v) return std::move(v).error();
    view = std::move(*v);
  }
  const std::string_view data = view ? view->data() : std::string_view();

  reserve(wal::CountFramedRecords(data));
  auto scan = wal::ScanLog(data, path, [&](const wal::RecordView& rec) {
    if (rec.seq <= snapshot_seq) {
      ++stats->records_skipped;
    } else {
      apply(rec);
      ++stats->records_replayed;
    }
  });
  if (!scan) return std::move(scan).error();
  if (scan->end == wal::End::kCorrupt) {
    if (options.recovery == RecoveryMode::kStrict)
      return Corruption(CorruptionMessage(path, *scan));
    KV_RETURN_IF_ERROR(
        SaveDroppedBytes(*fs, path, data.substr(scan->valid_end, scan->data_end - scan->valid_end),
                         scan->valid_end));
    stats->corruption_dropped = true;
  }
  stats->torn_tail = scan->end == wal::End::kTornTail;
  if (scan->end != wal::End::kClean) {
    stats->bytes_dropped = scan->data_end - scan->valid_end;
    stats->drop_offset = scan->valid_end;
  }
  view.reset();  // before the log is truncated below
  if (have_snapshot && scan->has_header && scan->base_seq > snapshot_seq) {
    return Corruption("WAL '" + path + "' continues after sequence " +
                      std::to_string(scan->base_seq) + " but the snapshot covers only up to " +
                      std::to_string(snapshot_seq) + ": records " +
                      std::to_string(snapshot_seq + 1) + ".." + std::to_string(scan->base_seq) +
                      " are missing (is this the snapshot that belongs to this WAL?)");
  }

  uint64_t valid_end = scan->valid_end;
  uint64_t last = std::max(scan->last_seq, snapshot_seq);
  // A fresh log, a log whose header never completed, or a log that ends before
  // the snapshot (its tail was lost while the snapshot survived) restarts as an
  // empty log that continues the snapshot, so sequence numbers stay contiguous.
  if (!scan->has_header || scan->last_seq < snapshot_seq) {
    KV_RETURN_IF_ERROR(CreateEmptyLog(*fs, path, last));
    valid_end = wal::kFileHeaderSize;
  }
  auto file = fs->OpenLogFile(path, valid_end);
  if (!file) return std::move(file).error();
  // The log's name may come from a rename (a checkpoint) whose directory sync
  // never happened before a crash: make it durable before acknowledging any
  // write appended to this file.
  KV_RETURN_IF_ERROR(fs->SyncDir(DirName(path)));
  {
    MutexLock l(&w->mu_);
    w->file_ = std::move(*file);
    w->last_seq_.store(last);
  }
  {
    MutexLock l(&w->sync_mu_);
    w->synced_seq_ = last;
    w->synced_seq_atomic_.store(last, std::memory_order_release);
  }
  stats->last_sequence = last;
  if (options.sync == SyncMode::kEverySecond) {
    MutexLock l(&w->mode_mu_);
    w->StartBackgroundSync();
  }
  return w;
}

void Wal::StartBackgroundSync() {
  sync_task_ =
      Background::Default().Every(std::chrono::seconds(1), [this] { BackgroundSync(); });
}

Result<void> Wal::SetMode(SyncMode mode) {
  MutexLock lock(&mode_mu_);
  if (mode_closed_) return Error(ErrorCode::kClosed, "WAL is closed");
  const SyncMode old = mode_.exchange(mode, std::memory_order_relaxed);
  if (old == mode) return {};
  if (mode == SyncMode::kEverySecond) {
    StartBackgroundSync();
  } else if (old == SyncMode::kEverySecond) {
    sync_task_.Cancel();  // waits for a sync in progress
  }
  // Writes acknowledged under the weaker mode become durable now, so that
  // "always" holds for everything acknowledged before it too.
  if (mode == SyncMode::kAlways) return SyncAll();
  return {};
}

Result<void> Wal::Refuse() const {
  if (closed_) return Error(ErrorCode::kClosed, "WAL '" + path_ + "' is closed");
  if (sticky_) {
    return Error(
        sticky_->code(),
        "store refuses writes after a failed WAL sync (reopen to recover): " + sticky_->message());
  }
  return {};
}

Result<uint64_t> Wal::Append(std::string* rec, uint64_t payload_hash) {
  MutexLock lock(&mu_);
  KV_RETURN_IF_ERROR(Refuse());
  const uint64_t seq = last_seq_.load(std::memory_order_relaxed) + 1;
  if (seq >= wal::kMaxSequence) {
    return Error(ErrorCode::kInvalidArgument, "WAL '" + path_ + "': sequence numbers exhausted");
  }
  wal::FinishRecord(seq, payload_hash, rec);
  // The file learns the mode before the append that may preallocate.
  if (const bool always = mode() == SyncMode::kAlways;
      file_.get() != hinted_file_ || always != hinted_always_) {
    file_->SetSyncEachAppend(always);
    hinted_file_ = file_.get();
    hinted_always_ = always;
  }
  KV_RETURN_IF_ERROR(file_->Append(*rec));
  last_seq_.store(seq, std::memory_order_release);
  ++counters_.records;
  counters_.bytes += rec->size();
  return seq;
}

Result<void> Wal::Commit(uint64_t seq) {
  if (mode() != SyncMode::kAlways) return {};
  return WaitDurable(seq, true);
}

Result<void> Wal::SyncAll() { return SyncUpTo(last_seq()); }

// Group commit: the first waiter becomes the leader and syncs everything
// appended so far, outside every lock; writers arriving meanwhile wait and the
// next leader syncs all of them at once.
Result<void> Wal::SyncUpTo(uint64_t seq) { return WaitDurable(seq, false); }

Result<void> Wal::WaitDurable(uint64_t seq, bool writer) {
  MutexLock lock(&sync_mu_);
  if (writer) waiting_.push_back(seq);
  auto leave = [&](Result<void> r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) {
    if (writer) {
      auto it = std::find(waiting_.begin(), waiting_.end(), seq);
      if (it != waiting_.end()) {
        *it = waiting_.back();
        waiting_.pop_back();
      }
    }
    return r;
  };
  while (synced_seq_ < seq) {
    if (syncing_) {
      sync_cv_.Wait(&sync_mu_);
      continue;
    }
    syncing_ = true;
    uint64_t target = 0;
    Result<void> r;
    bool refused = false;
    double seconds = 0;
    sync_mu_.Unlock();  // the slow part runs without it
    {
      AwaitInFlightWriters();
      std::shared_ptr<LogFile> file;
      std::vector<std::shared_ptr<LogFile>> retired;
      {
        MutexLock append_lock(&mu_);
        r = Refuse();
        refused = !r;
        target = last_seq_.load(std::memory_order_relaxed);
        file = file_;
        retired = retired_;
      }
      if (!refused) {
        const auto start = std::chrono::steady_clock::now();
        // Older segments first: a record must not become durable before an
        // earlier one.
        for (const auto& old : retired) {
          if (r) r = old->Sync();
        }
        if (r) r = file->Sync();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        MutexLock append_lock(&mu_);
        if (r) {
          retired_.erase(retired_.begin(),
                         retired_.begin() + static_cast<std::ptrdiff_t>(retired.size()));
        } else if (!sticky_) {
          sticky_ = r.error();  // never retry: after a failed fsync the file's state is unknown
        }
      }
    }
    sync_mu_.Lock();
    syncing_ = false;
    if (!refused) {
      syncs_.fetch_add(1, std::memory_order_relaxed);
      Observe(&sync_seconds_, seconds);
      if (r) {
        Observe(&sync_records_, static_cast<double>(target - std::min(target, synced_seq_)));
        synced_seq_ = std::max(synced_seq_, target);
        synced_seq_atomic_.store(synced_seq_, std::memory_order_release);
        const uint64_t synced = synced_seq_;
        const auto released = std::count_if(waiting_.begin(), waiting_.end(),
                                            [synced](uint64_t s) { return s <= synced; });
        returning_.store(static_cast<int>(released), std::memory_order_relaxed);
      }
    }
    sync_cv_.SignalAll();
    if (!r) return leave(std::move(r));
  }
  return leave({});
}

// Writers woken by the previous sync are usually about to append their next
// record; syncing before they do halves the batch (the leader would take only
// the writers that appended during the previous sync). Wait for the writers
// between WriterEnter and WriterLeave and for those the last sync released
// that have not entered a write yet, briefly (a bounded time, so a stalled or
// departed writer cannot hold the group back).
void Wal::AwaitInFlightWriters() const {
  if (mode() != SyncMode::kAlways) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(500);
  while ((in_flight_.load(std::memory_order_acquire) > 0 ||
          returning_.load(std::memory_order_relaxed) > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
}

void Wal::BackgroundSync() {
  const uint64_t last = last_seq();
  {
    MutexLock lock(&sync_mu_);
    if (synced_seq_ >= last) return;
  }
  (void)SyncUpTo(last);  // a failure is sticky and reported to writers
}

Result<Wal::Cut> Wal::TakeCut() {
  MutexLock lock(&mu_);
  KV_RETURN_IF_ERROR(Refuse());
  return Cut{last_seq_.load(std::memory_order_relaxed), file_->Size(), file_};
}

Result<void> Wal::CopyRange(const LogFile& from, uint64_t begin, uint64_t end, LogFile* to) {
  constexpr uint64_t kChunk = 1 << 20;
  std::string buf;
  for (uint64_t off = begin; off < end; off += kChunk) {
    const auto n = static_cast<std::size_t>(std::min(kChunk, end - off));
    buf.resize(n);
    KV_RETURN_IF_ERROR(from.ReadAt(off, n, buf.data()));
    KV_RETURN_IF_ERROR(to->Append(buf));
  }
  return {};
}

Result<void> Wal::Checkpoint(const Cut& cut) {
  std::string path;
  {
    MutexLock lock(&mu_);
    path = path_;
  }
  const std::string tmp = path + ".new";
  auto opened = fs_->OpenLogFile(tmp, 0);
  if (!opened) return std::move(opened).error();
  std::shared_ptr<LogFile> next = std::move(*opened);
  auto fail = [&](Result<void> r) {
    (void)next->Close();
    (void)fs_->RemoveFile(tmp);
    return r;
  };
  // Bulk copy without the lock: records between the cut and `mid` are final.
  uint64_t mid = cut.file->Size();
  auto r = next->Append(wal::EncodeFileHeader(cut.seq));
  if (r) r = CopyRange(*cut.file, cut.offset, mid, next.get());
  if (r) r = next->Sync();
  if (!r) return fail(std::move(r));

  // Brief exclusive step: copy what arrived meanwhile, make it durable, switch.
  MutexLock lock(&mu_);
  if (file_ != cut.file || closed_ || path_ != path) {
    return fail(Error(ErrorCode::kClosed, "WAL '" + path + "' changed during checkpoint"));
  }
  // Not WriteFileDurably: the new log keeps taking appends after the rename,
  // and the switch must happen under mu_.
  r = CopyRange(*cut.file, mid, cut.file->Size(), next.get());
  if (r) r = next->Sync();
  if (r) r = fs_->RenameFile(tmp, path_);
  if (!r) return fail(std::move(r));
  file_ = next;  // the path names the new log now
  r = fs_->SyncDir(DirName(path_));
  if (!r) {
    // Whether the rename survives a crash is unknown, so appends to either
    // file might be lost: refuse writes from now on.
    sticky_ = r.error();
    return r;
  }
  return {};
}

Result<Wal::Cut> Wal::Rotate(std::shared_ptr<LogFile> next, const std::string& next_path) {
  MutexLock lock(&mu_);
  KV_RETURN_IF_ERROR(Refuse());
  const uint64_t seq = last_seq_.load(std::memory_order_relaxed);
  KV_RETURN_IF_ERROR(next->Append(wal::EncodeFileHeader(seq)));
  Cut cut{seq, file_->Size(), file_};
  retired_.push_back(file_);
  file_ = std::move(next);
  path_ = next_path;
  return cut;
}

Result<void> Wal::Close() {
  {
    MutexLock lock(&mode_mu_);
    mode_closed_ = true;
    sync_task_.Cancel();  // waits for a background sync in progress
  }
  std::shared_ptr<LogFile> file;
  std::vector<std::shared_ptr<LogFile>> retired;
  bool failed;
  {
    MutexLock lock(&mu_);
    if (closed_ || file_ == nullptr) return {};
    closed_ = true;
    failed = sticky_.has_value();
    file = file_;
    retired.swap(retired_);
  }
  Result<void> r;
  for (const auto& old : retired) {
    if (!failed && r) r = old->Sync();
  }
  if (!failed && r) r = file->Sync();
  auto c = file->Close();
  if (!r) return r;
  return c;
}

WalCounters Wal::counters() const {
  WalCounters c;
  {
    MutexLock lock(&mu_);
    c = counters_;
  }
  MutexLock lock(&sync_mu_);
  c.syncs = syncs_.load(std::memory_order_relaxed);
  c.sync_seconds = sync_seconds_;
  c.sync_records = sync_records_;
  return c;
}

}  // namespace kvstore

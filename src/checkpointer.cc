// Copyright (c) the kvstore developers.

#include "checkpointer.h"

#include <algorithm>

#include "error.h"

namespace kvstore {

namespace {
int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
constexpr std::chrono::milliseconds kTriggerPeriod{100};
}  // namespace

Checkpointer::Checkpointer(const Options& options, StorageLayout* layout, const ShardMap* map,
                           std::shared_ptr<spdlog::logger> log, uint64_t base_seq,
                           bool own_snapshot)
    : policy_(options.checkpoint), layout_(layout), map_(map), log_(std::move(log)) {
  MutexLock l(&mu_);
  base_seq_ = base_seq;
  base_time_ = std::chrono::steady_clock::now();
  // LASTSAVE-style figures start from the snapshot the store opened from.
  if (own_snapshot) last_unix_ = UnixNow();
}

Checkpointer::~Checkpointer() { task_.Cancel(); }

void Checkpointer::Start() {
  if (!layout_->has_checkpoints()) return;
  task_ = Background::Default().Every(kTriggerPeriod, [this] { Tick(); });
}

Result<void> Checkpointer::Save(const std::string& path) {
  if (path.empty()) return InvalidArgument("empty snapshot path");
  MutexLock l(&save_mu_);
  return Run(Kind::kSave, path);
}

Result<void> Checkpointer::Checkpoint() {
  if (!layout_->has_checkpoints()) {
    return layout_->Checkpoint(*map_).error();  // says why (kInvalidArgument)
  }
  MutexLock l(&save_mu_);
  if (closed_) return Error(ErrorCode::kClosed, "store is closed");
  return Run(Kind::kCheckpoint, "");
}

Result<void> Checkpointer::Run(Kind kind, const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  {
    MutexLock l(&mu_);
    running_ = true;
  }
  Result<SnapshotOutcome> out =
      kind == Kind::kSave ? layout_->Save(*map_, path) : layout_->Checkpoint(*map_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Note(out, seconds);
  if (!out) {
    if (kind == Kind::kSave) {
      log_->error("save to {} failed: {}", path, out.error().ToString());
    } else {
      log_->error("checkpoint of {} failed (previous snapshot kept): {}", layout_->name(),
                  out.error().ToString());
    }
    return out.error();
  }
  if (kind == Kind::kSave) {
    log_->info("saved snapshot {} (sequence {}, {} bytes)", out->path, out->seq, out->bytes);
  } else {
    log_->info("checkpoint: wrote {} (sequence {}, {} bytes) in {:.3f} s", out->path, out->seq,
               out->bytes, seconds);
  }
  return {};
}

void Checkpointer::Note(const Result<SnapshotOutcome>& r, double seconds) {
  MutexLock l(&mu_);
  if (r) {
    if (r->is_base) {
      base_seq_ = r->seq;
      base_wal_bytes_ = r->wal_bytes_at_cut;
      base_time_ = std::chrono::steady_clock::now();
    }
    ++checkpoints_;
    last_error_.reset();
    last_seconds_ = seconds;
    last_bytes_ = r->bytes;
    last_unix_ = UnixNow();
    backoff_ = std::chrono::milliseconds(0);
  } else {
    ++failures_;
    last_error_ = r.error();
    backoff_ = std::clamp(backoff_ * 2, policy_.retry_min, policy_.retry_max);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
  }
  running_ = false;
}

bool Checkpointer::Due(std::chrono::steady_clock::time_point now) const {
  const Wal& wal = layout_->wal();
  const uint64_t last = wal.last_seq();
  const uint64_t changes = last - std::min(last, base_seq_);
  if (changes == 0) return false;
  if (policy_.wal_bytes > 0 && wal.counters().bytes - base_wal_bytes_ >= policy_.wal_bytes) {
    return true;
  }
  for (const auto& [seconds, min_changes] : policy_.after_changes) {
    if (changes >= min_changes && now - base_time_ >= seconds) return true;
  }
  return false;
}

void Checkpointer::Tick() {
  {
    MutexLock l(&mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now < retry_at_ || !Due(now)) return;
  }
  MutexLock l(&save_mu_);
  if (!closed_) (void)Run(Kind::kCheckpoint, "");  // failures are logged and counted
}

Result<void> Checkpointer::Close(bool* first) {
  task_.Cancel();  // waits for a checkpoint in progress
  MutexLock l(&save_mu_);
  *first = !closed_;
  if (closed_) return {};
  closed_ = true;
  bool changed;
  {
    MutexLock s(&mu_);
    changed = layout_->wal().last_seq() > base_seq_;
  }
  if (layout_->has_checkpoints() && policy_.on_close && changed) {
    return Run(Kind::kCheckpoint, "");
  }
  return {};
}

void Checkpointer::FillStats(Stats* s, uint64_t last_seq, uint64_t wal_bytes) const {
  MutexLock l(&mu_);
  s->checkpoints = checkpoints_;
  s->checkpoint_failures = failures_;
  s->checkpoint_running = running_;
  s->last_checkpoint_ok = !last_error_.has_value();
  if (last_error_) s->last_checkpoint_error = last_error_->ToString();
  s->last_checkpoint_seconds = last_seconds_;
  s->last_checkpoint_bytes = last_bytes_;
  s->last_checkpoint_unix = last_unix_;
  s->changes_since_checkpoint = last_seq - std::min(last_seq, base_seq_);
  s->wal_bytes_since_checkpoint = wal_bytes - std::min(wal_bytes, base_wal_bytes_);
}

}  // namespace kvstore

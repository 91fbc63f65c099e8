// Copyright (c) the kvstore developers.
//
// RunOrdered: the queues between the producing workers and the consuming
// calling thread, and the rule that keeps their memory bounded.

#include "ordered_chunks.h"

#include <deque>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "error.h"
#include "mutex.h"

namespace kvstore {
namespace {

class Pipeline {
 public:
  Pipeline(std::size_t units, std::size_t max_buffered)
      : max_buffered_(max_buffered), unit_count_(units), units_(units) {}

  // A worker's loop: claims units in order until none is left or the run fails.
  void Work(std::size_t worker, const ProduceUnit& produce) {
    for (;;) {
      std::size_t unit;
      {
        MutexLock l(&mu_);
        if (failed_ || next_ >= unit_count_) return;
        unit = next_++;
      }
      const EmitChunk emit = [&](std::string&& chunk) { return Push(unit, std::move(chunk)); };
      Result<void> r = produce(worker, unit, emit);
      MutexLock l(&mu_);
      units_[unit].done = true;
      if (!r) Fail(std::move(r));
      changed_.SignalAll();
    }
  }

  // The consumer: every unit's chunks in order, until the end or a failure.
  void Consume(const ConsumeChunk& consume) {
    for (std::size_t u = 0; u < unit_count_; ++u) {
      for (;;) {
        std::string chunk;
        {
          MutexLock l(&mu_);
          current_ = u;
          changed_.SignalAll();  // a worker may wait for its unit to come up
          while (!failed_ && units_[u].chunks.empty() && !units_[u].done) changed_.Wait(&mu_);
          if (failed_) return;
          if (units_[u].chunks.empty()) break;  // done and drained
          chunk = std::move(units_[u].chunks.front());
          units_[u].chunks.pop_front();
          buffered_ -= chunk.size();
        }
        Result<void> r = consume(u, chunk);
        if (!r) {
          MutexLock l(&mu_);
          Fail(std::move(r));
          changed_.SignalAll();
          return;
        }
      }
    }
  }

  // Records an error that is not the consumer's or a worker's (a thread that
  // could not start).
  void FailWith(Result<void> r) {
    MutexLock l(&mu_);
    Fail(std::move(r));
    changed_.SignalAll();
  }

  Result<void> result() {
    MutexLock l(&mu_);
    return error_;
  }

 private:
  struct Unit {
    std::deque<std::string> chunks;
    bool done = false;
  };

  // Queues a chunk of unit, first waiting while too much is queued, except
  // for the unit being consumed once its own queue is drained (so the
  // consumer always has something coming).
  bool Push(std::size_t unit, std::string&& chunk) {
    MutexLock l(&mu_);
    while (!failed_ && buffered_ > max_buffered_ &&
           !(unit == current_ && units_[unit].chunks.empty())) {
      changed_.Wait(&mu_);
    }
    if (failed_) return false;
    buffered_ += chunk.size();
    units_[unit].chunks.push_back(std::move(chunk));
    changed_.SignalAll();
    return true;
  }

  void Fail(Result<void> r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(r);
  }

  const std::size_t max_buffered_;
  const std::size_t unit_count_;  // units_.size(), which never changes
  Mutex mu_;
  CondVar changed_;  // any change of the state below
  std::vector<Unit> units_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ ABSL_GUARDED_BY(mu_) = 0;     // the next unit to claim
  std::size_t current_ ABSL_GUARDED_BY(mu_) = 0;  // the unit being consumed
  std::size_t buffered_ ABSL_GUARDED_BY(mu_) = 0;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  Result<void> error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

Result<void> RunOrdered(std::size_t units, std::size_t workers, std::size_t max_buffered,
                        const ProduceUnit& produce, const ConsumeChunk& consume) {
  if (workers <= 1) {
    for (std::size_t u = 0; u < units; ++u) {
      Result<void> consumed;
      const EmitChunk emit = [&](std::string&& chunk) {
        if (consumed) consumed = consume(u, chunk);
        return static_cast<bool>(consumed);
      };
      Result<void> r = produce(0, u, emit);
      KV_RETURN_IF_ERROR(consumed);
      KV_RETURN_IF_ERROR(r);
    }
    return {};
  }
  Pipeline p(units, max_buffered);
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    try {
      threads.emplace_back([&p, &produce, w] { p.Work(w, produce); });
    } catch (const std::system_error& e) {
      p.FailWith(Error(ErrorCode::kIoError, std::string("cannot start a thread: ") + e.what()));
      break;
    }
  }
  p.Consume(consume);
  for (auto& t : threads) t.join();
  return p.result();
}

}  // namespace kvstore

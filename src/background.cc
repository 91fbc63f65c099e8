// Copyright (c) the kvstore developers.
//
// The pool keeps its tasks in a min-heap of (next run, task); a thread takes
// the earliest due task, runs it without the lock and puts it back with its
// next time. Cancelled tasks are dropped lazily when they reach the top.

#include "background.h"

#include <pthread.h>

#include <algorithm>
#include <queue>
#include <thread>
#include <vector>

#include "mutex.h"

namespace kvstore {

using Clock = std::chrono::steady_clock;

class Background::Task {
 public:
  Task(std::chrono::milliseconds period, std::function<void()> fn)
      : period(period), fn(std::move(fn)) {}
  const std::chrono::milliseconds period;
  const std::function<void()> fn;
  // The rest is guarded by the pool's mutex (a member of another object, so
  // not expressible as an annotation here).
  bool running = false;
  bool cancelled = false;
  std::thread::id runner;
  const void* owner = nullptr;  // the Impl it was added to
};

class Background::Impl {
 public:
  explicit Impl(int threads) : size_(threads) {}

  void Add(const std::shared_ptr<Task>& task) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock l(&mu_);
    // Threads start with the first task, not before: a forked child that
    // only execs (and so never adds one) starts none.
    if (!started_) {
      started_ = true;
      for (int i = 0; i < size_; ++i) {
        // The pool lives as long as the process (a store may be closed by a
        // static destructor); its threads end with it.
        std::thread([this] { Run(); }).detach();
      }
    }
    task->owner = this;
    queue_.push({Clock::now() + task->period, task});
    work_cv_.Signal();
  }

  void Cancel(const std::shared_ptr<Task>& task) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock l(&mu_);
    task->cancelled = true;
    // A task of the pool a forked child replaced (see Default()): no thread
    // of this pool runs it.
    if (task->owner != this) return;
    if (task->runner == std::this_thread::get_id()) return;  // from inside the task
    while (task->running) done_cv_.Wait(&mu_);
  }

  int threads() const { return size_; }

 private:
  struct Entry {
    Clock::time_point due;
    std::shared_ptr<Task> task;
    bool operator>(const Entry& o) const { return due > o.due; }
  };

  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock l(&mu_);
    for (;;) {
      while (!queue_.empty() && queue_.top().task->cancelled) queue_.pop();
      if (queue_.empty()) {
        work_cv_.Wait(&mu_);
        continue;
      }
      const Clock::time_point due = queue_.top().due;
      if (Clock::now() < due) {
        work_cv_.WaitUntil(&mu_, due);
        continue;
      }
      std::shared_ptr<Task> task = queue_.top().task;
      queue_.pop();
      // Another thread may now wait for an earlier due task.
      if (!queue_.empty()) work_cv_.Signal();
      task->running = true;
      task->runner = std::this_thread::get_id();
      mu_.Unlock();
      task->fn();
      mu_.Lock();
      task->running = false;
      task->runner = std::thread::id();
      if (task->cancelled) {
        done_cv_.SignalAll();
      } else {
        queue_.push({std::max(due + task->period, Clock::now()), std::move(task)});
        work_cv_.Signal();
      }
    }
  }

  Mutex mu_;
  CondVar work_cv_;  // a task was added or became due
  CondVar done_cv_;  // a cancelled task finished its run
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_ ABSL_GUARDED_BY(mu_);
  const int size_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {
int PoolSize() {
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw, 2u, 4u));
}
}  // namespace

Background::Background() : impl_(std::make_unique<Impl>(PoolSize())) {}

Background& Background::Default() {
  static Background* pool = [] {
    auto* p = new Background();  // never destroyed: see Impl
    // A child of fork() has none of the pool's threads, and its copy of the
    // pool's mutex and condition variables may be mid-use by them: it gets
    // a pool of its own (the parent's, unusable there, is left as it is).
    // Stores the child inherited lose their periodic work; stores it opens
    // get the new pool.
    ::pthread_atfork(nullptr, nullptr, [] {
      (void)Default().impl_.release();
      Default().impl_ = std::make_unique<Impl>(PoolSize());
    });
    return p;
  }();
  return *pool;
}

int Background::threads() const { return impl_->threads(); }

Background::Handle Background::Every(std::chrono::milliseconds period, std::function<void()> fn) {
  auto task = std::make_shared<Task>(period, std::move(fn));
  impl_->Add(task);
  return Handle(this, std::move(task));
}

Background::Handle::Handle(Handle&& other) noexcept
    : pool_(other.pool_), task_(std::move(other.task_)) {
  other.pool_ = nullptr;
}

Background::Handle& Background::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Cancel();
    pool_ = other.pool_;
    task_ = std::move(other.task_);
    other.pool_ = nullptr;
  }
  return *this;
}

void Background::Handle::Cancel() {
  if (task_ == nullptr) return;
  pool_->impl_->Cancel(task_);
  task_.reset();
  pool_ = nullptr;
}

}  // namespace kvstore

// Copyright (c) the kvstore developers.
//
// The process-wide pool that runs the periodic background work of every open
// store: the once-a-second WAL sync of SyncMode::kEverySecond and the
// checkpoint triggers of data directories. A few threads
// (min(4, hardware threads), at least 2) serve any number of stores, so a
// process with a thousand stores open does not hold a thousand threads.
//
// A task runs every `period` (the first run one period after registration);
// runs of one task never overlap and a run that overruns its period is
// followed by the next one at once. A long task (a checkpoint writing a large
// snapshot) occupies one pool thread meanwhile; the others keep serving the
// remaining tasks.

#ifndef KVSTORE_SRC_BACKGROUND_H_
#define KVSTORE_SRC_BACKGROUND_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace kvstore {

class Background {
 public:
  // The process's pool, created (threads started) on first use and never
  // destroyed.
  static Background& Default();

  class Task;
  // Unregisters on destruction (see Cancel).
  class Handle {
   public:
    Handle() = default;
    Handle(Handle&& other) noexcept;
    Handle& operator=(Handle&& other) noexcept;
    ~Handle() { Cancel(); }
    // Stops the task: after Cancel returns, the task is not running and will
    // not run again. Waits for a run in progress on another thread; called
    // from the task itself it only prevents later runs. Idempotent.
    void Cancel();
    bool active() const { return task_ != nullptr; }

   private:
    friend class Background;
    Handle(Background* pool, std::shared_ptr<Task> task) : pool_(pool), task_(std::move(task)) {}
    Background* pool_ = nullptr;
    std::shared_ptr<Task> task_;
  };

  // Runs fn every period on a pool thread until the handle is cancelled or
  // destroyed. fn must not throw.
  Handle Every(std::chrono::milliseconds period, std::function<void()> fn);

  // Threads in the pool.
  int threads() const;

  class Impl;

 private:
  Background();
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_BACKGROUND_H_

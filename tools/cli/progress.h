// Copyright (c) the kvstore developers.
//
// A one-line progress bar on stderr for long operations (check, dump, import,
// export). Written here because the usual library for this (indicators) is
// not packaged in Debian 12, and the tool takes dependencies only from Debian.
//
// The bar is drawn only when stderr is a terminal, so pipes, logs and tests
// see nothing; it redraws at most ten times a second and erases itself when
// done, leaving the terminal as it was.

#ifndef KVSTORE_TOOLS_CLI_PROGRESS_H_
#define KVSTORE_TOOLS_CLI_PROGRESS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace kvstore::cli {

class ProgressBar {
 public:
  // total: the amount that means 100% (bytes, records, keys: `unit` says
  // which). enabled: draw at all; defaults to whether stderr is a terminal.
  ProgressBar(std::string label, uint64_t total, std::string unit);
  ProgressBar(std::string label, uint64_t total, std::string unit, bool enabled);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();  // Finish()

  // Records that `done` of total are finished. Cheap when nothing is drawn.
  void Update(uint64_t done);
  // Erases the bar. Idempotent.
  void Finish();

  bool enabled() const { return enabled_; }
  // The line that would be drawn for `done` (without the leading \r).
  std::string Render(uint64_t done) const;

 private:
  std::string label_;
  uint64_t total_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// For a step whose progress cannot be measured: opening a store replays its
// WAL inside the library, which reports no progress. Once the step has taken
// longer than `delay`, a background thread shows "<label>... <seconds> s" and
// updates it ten times a second until destruction erases it. Like the bar,
// only on a terminal.
class ElapsedIndicator {
 public:
  explicit ElapsedIndicator(std::string label);
  ElapsedIndicator(std::string label, bool enabled, std::chrono::milliseconds delay);
  ElapsedIndicator(const ElapsedIndicator&) = delete;
  ElapsedIndicator& operator=(const ElapsedIndicator&) = delete;
  ~ElapsedIndicator();

 private:
  void Run(std::string label, std::chrono::milliseconds delay);

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_PROGRESS_H_

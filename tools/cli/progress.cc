// Copyright (c) the kvstore developers.

#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace kvstore::cli {
namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

// "12.3 MiB" for byte counts, plain numbers otherwise.
std::string Amount(uint64_t n, const std::string& unit) {
  char buf[64];
  if (unit == "bytes") {
    static constexpr const char* kSuffix[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int i = 0;
    while (v >= 1024 && i < 4) v /= 1024, ++i;
    std::snprintf(buf, sizeof(buf), i == 0 ? "%.0f %s" : "%.1f %s", v, kSuffix[i]);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu %s", static_cast<unsigned long long>(n), unit.c_str());
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, uint64_t total, std::string unit)
    : ProgressBar(std::move(label), total, std::move(unit), ::isatty(STDERR_FILENO) == 1) {}

ProgressBar::ProgressBar(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::Render(uint64_t done) const {
  if (done > total_) done = total_;
  const double frac = total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(frac * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kBarWidth, '-');
  char pct[16];
  std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(frac * 100));
  return label_ + " [" + bar + "] " + pct + " " + Amount(done, unit_) + " / " +
         Amount(total_, unit_);
}

void ProgressBar::Update(uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // The first update draws at once (a bar that a fast operation erases
  // again a moment later is invisible), later ones at most every interval.
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  // \r returns to the start of the line; \033[K erases what a longer previous
  // line left behind.
  std::fprintf(stderr, "\r%s\033[K", Render(done).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

ElapsedIndicator::ElapsedIndicator(std::string label)
    : ElapsedIndicator(std::move(label), ::isatty(STDERR_FILENO) == 1,
                       std::chrono::milliseconds(500)) {}

ElapsedIndicator::ElapsedIndicator(std::string label, bool enabled,
                                   std::chrono::milliseconds delay) {
  if (enabled) thread_ = std::thread(&ElapsedIndicator::Run, this, std::move(label), delay);
}

ElapsedIndicator::~ElapsedIndicator() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void ElapsedIndicator::Run(std::string label, std::chrono::milliseconds delay) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  // Quick steps end within the delay and never show anything.
  if (cv_.wait_for(lock, delay, [&] { return done_; })) return;
  do {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\r%s... %.1f s\033[K", label.c_str(), s);
    std::fflush(stderr);
  } while (!cv_.wait_for(lock, kRedrawInterval, [&] { return done_; }));
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace kvstore::cli

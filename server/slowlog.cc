// Copyright (c) the kvstore developers.
//
// SlowLog; see slowlog.h.

#include "slowlog.h"

namespace kvstore::server {

void SlowLog::Add(std::span<const std::string_view> argv, uint64_t micros, int64_t unix_seconds,
                  std::string client_addr, std::string client_name, std::size_t max_len) {
  SlowLogEntry e;
  e.micros = micros;
  e.unix_seconds = unix_seconds;
  e.client_addr = std::move(client_addr);
  e.client_name = std::move(client_name);
  const std::size_t shown = argv.size() > kMaxArgs ? kMaxArgs - 1 : argv.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const std::string_view a = argv[i];
    if (a.size() > kMaxArgLength) {
      e.args.push_back(std::string(a.substr(0, kMaxArgLength)) + "... (" +
                       std::to_string(a.size() - kMaxArgLength) + " more bytes)");
    } else {
      e.args.emplace_back(a);
    }
  }
  if (shown < argv.size()) {
    e.args.push_back("... (" + std::to_string(argv.size() - shown) + " more arguments)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::Get(int64_t count) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t n = count < 0 ? entries_.size()
                                  : std::min(entries_.size(), static_cast<std::size_t>(count));
  return std::vector<SlowLogEntry>(entries_.begin(),
                                   entries_.begin() + static_cast<std::ptrdiff_t>(n));
}

std::size_t SlowLog::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

void SlowLog::Trim(std::size_t max_len) {
  std::lock_guard<std::mutex> lock(mu_);
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace kvstore::server

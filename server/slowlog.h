// Copyright (c) the kvstore developers.
//
// SlowLog: the commands that ran longer than slowlog-log-slower-than
// microseconds, newest first, at most slowlog-max-len of them (Redis's
// slowlog.c). Shared by the I/O threads: Add takes a mutex, but only for a
// command already slow enough to be logged, so the request path pays one
// relaxed load and a compare. Arguments are kept as Redis keeps them: at most
// 32 (the last says how many more there were), each cut to 128 bytes.

#ifndef KVSTORE_SERVER_SLOWLOG_H_
#define KVSTORE_SERVER_SLOWLOG_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvstore::server {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t unix_seconds = 0;
  uint64_t micros = 0;
  std::vector<std::string> args;
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  static constexpr std::size_t kMaxArgs = 32;
  static constexpr std::size_t kMaxArgLength = 128;

  // Logs a command; keeps at most max_len entries.
  void Add(std::span<const std::string_view> argv, uint64_t micros, int64_t unix_seconds,
           std::string client_addr, std::string client_name, std::size_t max_len);
  // The newest `count` entries (all when count < 0), newest first.
  std::vector<SlowLogEntry> Get(int64_t count) const;
  std::size_t Len() const;
  void Reset();
  // Drops the oldest entries beyond max_len (CONFIG SET slowlog-max-len).
  void Trim(std::size_t max_len);

 private:
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  // GUARDED_BY(mu_), newest first
  uint64_t next_id_ = 0;              // GUARDED_BY(mu_)
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_SLOWLOG_H_

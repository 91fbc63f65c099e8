// Copyright (c) the kvstore developers.
//
// WatchRegistry: which clients WATCH which keys, for optimistic locking
// (WATCH ... MULTI ... EXEC). Every write through the keyspace layer
// (keyspace.h) touches the keys it changes BEFORE applying the change: the
// touch marks every client watching the key dirty, and EXEC, which checks
// the flag under the shard locks of its transaction (the client's watched
// keys are among the keys it locks), aborts. A write applied before EXEC
// took its locks was therefore marked before, and EXEC sees it.
//
// The registry is behind one mutex, but a write pays only one relaxed load
// (any()) while nobody watches anything. Never call the store while holding
// the mutex: writers touch keys while holding shard locks.

#ifndef KVSTORE_SERVER_WATCH_H_
#define KVSTORE_SERVER_WATCH_H_

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvstore::server {

struct ClientInfo;

class WatchRegistry {
 public:
  // Whether any client watches any key (one relaxed load).
  bool any() const { return watched_keys_.load(std::memory_order_relaxed) != 0; }
  // Whether some client watches key.
  bool IsWatched(std::string_view key);
  // Every watched key (FLUSHALL touches those that exist).
  std::vector<std::string> Keys();

  // Adds key to c's watches (once; false if c watched it already);
  // c->watched is updated too.
  bool Watch(ClientInfo* c, std::string_view key);
  // Forgets all of c's watches and clears its dirty flag (UNWATCH, EXEC,
  // DISCARD, disconnect).
  void UnwatchAll(ClientInfo* c);
  // Marks every client watching key dirty. Call before the write applies.
  void Touch(std::string_view key);

  // Keys watched now, all clients together (for tests and INFO).
  std::size_t watched_keys() const { return watched_keys_.load(std::memory_order_relaxed); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<ClientInfo*>, Hash, std::equal_to<>>
      clients_;  // GUARDED_BY(mu_)
  std::atomic<std::size_t> watched_keys_{0};  // == clients_.size()
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_WATCH_H_

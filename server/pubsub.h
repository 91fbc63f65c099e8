// Copyright (c) the kvstore developers.
//
// Pub/sub: the server-wide registry of channel, pattern and shard-channel
// subscriptions (PubSub), each connection's side of it (PubSubClient: its
// subscriptions and its mailbox), the per-I/O-loop queue through which a
// publisher on one thread hands messages to a subscriber on another
// (DeliveryQueue), and client-output-buffer-limit (OutputBufferLimits).
//
// Delivery across threads. A connection belongs to one I/O loop and only
// that loop touches its output buffer. PUBLISH, on any loop, takes the
// registry's lock shared, frames the message once per RESP version and
// appends it to each subscriber's mailbox under the mailbox's own mutex;
// the first message into an empty mailbox also puts the subscriber on its
// loop's DeliveryQueue and wakes that loop (eventfd). The loop moves the
// mailbox into the connection's output buffer and sends it like any reply.
// One publisher's messages reach a subscriber in order: the publisher
// appends them in order to one FIFO mailbox. No lock is held while a socket
// is written. A subscriber is removed from the registry (lock taken
// exclusively) before its connection is destroyed, so no publisher can
// reach a mailbox that is gone.
//
// Bounded memory. The publisher checks the subscriber's unsent bytes (its
// mailbox plus what its loop has not yet sent) against the pubsub class of
// client-output-buffer-limit, as Redis does on every reply it adds: past
// the hard limit, or past the soft limit for longer than its seconds, the
// mailbox is freed, later messages are dropped and the loop closes the
// connection.

#ifndef KVSTORE_SERVER_PUBSUB_H_
#define KVSTORE_SERVER_PUBSUB_H_

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kvstore::server {

// What a subscription names: a channel (SUBSCRIBE), a glob pattern over
// channel names (PSUBSCRIBE) or a shard channel (SSUBSCRIBE; with cluster
// disabled, as here, a separate namespace that behaves like channels).
enum class PubSubKind { kChannel = 0, kPattern = 1, kShard = 2 };
inline constexpr int kPubSubKinds = 3;

// client-output-buffer-limit: per client class, a hard limit in bytes and a
// soft limit in bytes with the seconds a client may stay above it (0: no
// limit). The pubsub class is enforced by publishers (see this header's
// top), the normal class by each connection's I/O loop (event_loop.h); the
// replica class is kept and reported (there are no replicas).
class OutputBufferLimits {
 public:
  /// Client classes, in CONFIG GET's order.
  enum Class { kNormal = 0, kReplica = 1, kPubsub = 2, kClassCount = 3 };
  /// One class's limits.
  struct Limit {
    uint64_t hard = 0;
    uint64_t soft = 0;
    int64_t soft_seconds = 0;
  };

  /// Redis's defaults: "normal 0 0 0 slave 268435456 67108864 60 pubsub
  /// 33554432 8388608 60".
  OutputBufferLimits();
  /// The current limits of class `c`.
  Limit Get(Class c) const;
  /// The value as CONFIG GET reports it.
  std::string ToString() const;
  /// Checks a CONFIG SET value: groups of "<class> <hard> <soft> <seconds>"
  /// (class normal, slave, replica or pubsub; sizes with optional units).
  /// Returns "" or Redis's reason.
  static std::string Check(std::string_view value);
  /// Applies a value Check() accepted; classes not named keep their limits.
  void Set(std::string_view value);

 private:
  std::atomic<uint64_t> hard_[kClassCount];
  std::atomic<uint64_t> soft_[kClassCount];
  std::atomic<int64_t> seconds_[kClassCount];
};

// Redis's checkClientOutputBufferLimits for one client, the one copy of
// that rule: whether `used` unsent bytes put the client past `limit`, that
// is at or past the hard limit, or at or past the soft limit for longer
// than its seconds. Remembers since when the client has been past the soft
// limit; a client back under it starts afresh.
class OutputBufferCheck {
 public:
  /// Whether the client must be closed. `now_ms` is the caller's clock.
  bool Over(const OutputBufferLimits::Limit& limit, uint64_t used, int64_t now_ms);

 private:
  int64_t soft_since_ms_ = 0;  // 0: not past the soft limit
};

class PubSubClient;

// One I/O loop's list of subscribers with messages waiting in their
// mailboxes. Publishers post; only the loop takes.
class DeliveryQueue {
 public:
  /// `wake` wakes the loop (called from any thread).
  explicit DeliveryQueue(std::function<void()> wake) : wake_(std::move(wake)) {}
  /// Adds `c` (which was not queued) and wakes the loop if the list was empty.
  void Post(PubSubClient* c);
  /// Takes the whole list (the loop, once per turn).
  std::vector<PubSubClient*> Take();
  /// Removes `c` if it is listed (the loop, before its connection goes).
  void Forget(PubSubClient* c);

 private:
  std::function<void()> wake_;
  std::mutex mu_;
  std::vector<PubSubClient*> ready_;  // GUARDED_BY(mu_)
};

// One connection's side of pub/sub. The subscription sets are written only
// by the connection's own thread, with the registry's lock held exclusively;
// the mailbox is shared with publishers under mu_.
class PubSubClient {
 public:
  /// `protocol` is the client's RESP version (ClientInfo::protocol); it
  /// decides how messages to this client are framed.
  explicit PubSubClient(const std::atomic<int>* protocol) : protocol_(protocol) {}
  PubSubClient(const PubSubClient&) = delete;
  PubSubClient& operator=(const PubSubClient&) = delete;

  /// Binds the client to its I/O loop's queue; `owner` is what the loop
  /// knows the connection by. Before the client can subscribe.
  void Attach(DeliveryQueue* queue, void* owner) {
    queue_ = queue;
    owner_ = owner;
  }
  /// What Attach() was given as the owner.
  void* owner() const { return owner_; }
  /// The number of subscriptions of kind `k` (any thread: CLIENT LIST).
  std::size_t count(PubSubKind k) const {
    return counts_[static_cast<int>(k)].load(std::memory_order_relaxed);
  }
  /// What (P)SUBSCRIBE and (P)UNSUBSCRIBE report: channels plus patterns.
  std::size_t channels_and_patterns() const {
    return count(PubSubKind::kChannel) + count(PubSubKind::kPattern);
  }
  /// Whether the client has any subscription (Redis's subscribed mode).
  bool subscribed() const { return channels_and_patterns() + count(PubSubKind::kShard) > 0; }
  /// The names the client is subscribed to, of kind `k` (own thread).
  std::vector<std::string> Names(PubSubKind k) const;
  /// Moves the mailbox's messages to the end of `out` (own thread). Returns
  /// false if the client went past its output-buffer limit: the mailbox was
  /// freed and the connection must be closed.
  bool TakeMessages(std::string* out);
  /// The bytes the loop has yet to send to this client (own thread, after
  /// each send), which the output-buffer limit counts with the mailbox.
  void set_unsent(uint64_t n) { unsent_.store(n, std::memory_order_relaxed); }

 private:
  friend class PubSub;
  // Appends one framed message (publisher's thread, registry lock shared)
  // and, the first time since the loop last took the mailbox, queues the
  // client on its loop (outside the mailbox's lock).
  void Deliver(std::string_view framed, const OutputBufferLimits::Limit& limit, int64_t now_ms);
  void Append(std::string_view framed, const OutputBufferLimits::Limit& limit, int64_t now_ms);

  const std::atomic<int>* protocol_;
  DeliveryQueue* queue_ = nullptr;
  void* owner_ = nullptr;
  absl::flat_hash_set<std::string> names_[kPubSubKinds];
  std::atomic<std::size_t> counts_[kPubSubKinds] = {};
  std::atomic<uint64_t> unsent_{0};
  std::mutex mu_;
  std::string mailbox_;        // GUARDED_BY(mu_)
  bool queued_ = false;        // GUARDED_BY(mu_): in queue_'s list
  bool over_limit_ = false;    // GUARDED_BY(mu_): to be closed; messages dropped
  OutputBufferCheck check_;    // GUARDED_BY(mu_)
};

// The server's subscriptions: who listens to which channel and pattern.
class PubSub {
 public:
  /// Subscribes `c` to `name`; false if it already was.
  bool Subscribe(PubSubClient* c, PubSubKind kind, std::string_view name);
  /// Unsubscribes `c` from `name`; false if it was not subscribed.
  bool Unsubscribe(PubSubClient* c, PubSubKind kind, std::string_view name);
  /// Drops every subscription of `c` without replies (RESET, disconnect).
  void UnsubscribeAll(PubSubClient* c);
  /// Sends `message` to the subscribers of `channel` (kShard: of the shard
  /// channel; kChannel: also to every client with a matching pattern).
  /// Returns the number of deliveries, as PUBLISH replies.
  int64_t Publish(PubSubKind kind, std::string_view channel, std::string_view message);
  /// Channels (or shard channels) with subscribers, matching the glob
  /// `pattern` if one is given.
  std::vector<std::string> Channels(PubSubKind kind, const std::string_view* pattern);
  /// The number of subscribers of `channel` (kChannel or kShard).
  int64_t NumSub(PubSubKind kind, std::string_view channel);
  /// The number of distinct names of kind `kind` with subscribers (INFO's
  /// pubsub_channels, pubsub_patterns; PUBSUB NUMPAT).
  std::size_t Size(PubSubKind kind);
  /// client-output-buffer-limit.
  OutputBufferLimits& limits() { return limits_; }

 private:
  using Subscribers = absl::flat_hash_set<PubSubClient*>;
  std::shared_mutex mu_;
  absl::flat_hash_map<std::string, Subscribers> by_name_[kPubSubKinds];  // GUARDED_BY(mu_)
  OutputBufferLimits limits_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_PUBSUB_H_

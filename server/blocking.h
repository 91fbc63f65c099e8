// Copyright (c) the kvstore developers.
//
// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX): the server-wide registry of clients waiting for keys
// (BlockingRegistry), what one wait is (Waiter), each connection's side of
// it (BlockingClient), the per-I/O-loop queue that hands a finished wait back
// to its connection's thread (UnblockQueue), and the helpers a blocking
// command's handler uses (BlockOrServe, ParseBlockTimeout).
//
// How a wait works. A blocking command first runs its non-blocking attempt
// (a pop) in one update. When every key is empty it registers a Waiter from
// inside that update, under the keys' shard locks, at the end of each key's
// FIFO queue, and the connection stops running its input (Redis's blocked
// client). Every write to a key (keyspace::Update's TouchWritten, also under
// the shard lock) notes the key as ready on the writing thread if someone
// waits on it; after that thread's top-level command (the dispatcher calls
// ServeReady), the writer re-runs the waiters' attempts for each ready key in
// FIFO order, each one in its own update, as Redis serves blocked clients
// after the command that made a key ready. An attempt that finds the list
// empty again (another client took the element first) leaves its waiter
// blocked, re-armed under the same locks, so no later write can be missed.
// A served attempt's reply (framed in the waiter's RESP version) and its
// write's sequence go to the waiter's I/O loop through its UnblockQueue; that
// loop sends it after its own durability wait, then resumes the client's
// pipelined input. So a push replies only after the clients it woke have
// been served: "RPUSH a x" followed by "LRANGE b" sees what a blocked
// "BLMOVE a b" moved.
//
// Because registration, re-arming and the writes that make keys ready all
// happen under the keys' shard locks, a waiter is either served by the
// attempt that runs after a write or sees that write itself. While one
// thread serves a key's first waiter, another thread that made the same key
// ready leaves the key to it: the serving thread goes on down the queue
// after a served waiter, and marks a served waiter's other keys ready too
// (it may have been the head of their queues).
//
// Timeouts and disconnects are handled by the waiter's own loop (Cancel);
// CLIENT UNBLOCK, from any thread, ends a wait the same way. A wait
// cancelled while another thread runs its attempt ends when that attempt
// does: served (its reply is delivered) or not (the cancellation's reply).
// So a connection that closes while its wait is being served (or was served
// and its outcome is still on the way) keeps its socket until the outcome
// arrives, and a served pop's reply is still sent to it (EventLoop's
// orphans): an element is never popped for a client the server has already
// let go of, so a peer that only shut down its writing side receives every
// element it was given.

#ifndef KVSTORE_SERVER_BLOCKING_H_
#define KVSTORE_SERVER_BLOCKING_H_

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reply.h"

namespace kvstore::server {

struct CommandContext;
struct ServerState;
struct ThreadStats;
class DurabilityBarrier;

// What a blocking command's non-blocking attempt did.
enum class AttemptResult {
  kServed,  // it popped, and wrote its reply
  kEmpty,   // every key was empty (or, when retrying, of another type): nothing written
  kError,   // it wrote an error reply (WRONGTYPE, a store error)
};

// A blocking command's attempt: one update that pops if it can. When it
// cannot (kEmpty), it calls on_empty() inside that update, under the keys'
// locks, and writes nothing. `ready` is null for the command's own attempt,
// which pops from the first of its keys that has something. When the attempt
// re-runs for a blocked client, `ready` is the key a write made ready, and
// the attempt pops from that key only (Redis 7.0's
// serveClientsBlockedOnKey serves a client from the key that was
// signalled, not from the first of its keys); a key of another type then
// counts as empty (Redis 7.0 keeps such a client blocked). It must own what
// it captures: it outlives the command that made it.
using BlockedAttempt = std::function<AttemptResult(CommandContext& ctx, const std::string* ready,
                                                   const std::function<void()>& on_empty)>;

class UnblockQueue;

// One blocked client's wait.
struct Waiter {
  // Set before the waiter is registered, then read-only.
  uint64_t client_id = 0;
  void* owner = nullptr;  // what the client's loop knows the connection by
  UnblockQueue* queue = nullptr;
  const std::atomic<int>* protocol = nullptr;  // the client's RESP version
  std::vector<std::string> keys;               // distinct, in the command's order
  BlockedAttempt attempt;
  void (*reply_timeout)(ReplyWriter&) = nullptr;  // the reply when the wait times out
  int64_t deadline_ms = 0;                        // NowMs() clock; 0: none

  // How the wait ended, for the owning loop (written before the waiter is
  // posted to its queue, read after the loop takes it).
  // kClosed: the connection went away (nothing to reply).
  enum class End { kNone, kServed, kTimeout, kUnblockError, kClosed };
  End end = End::kNone;
  std::string reply;      // kServed: the framed reply
  uint64_t sequence = 0;  // kServed: the pop's write, for the loop's durability wait

  // GUARDED_BY(BlockingRegistry::mu_).
  enum class State { kWaiting, kServing, kDone };
  State state = State::kWaiting;
  End cancel = End::kNone;  // a cancellation that arrived while kServing
};

// One I/O loop's list of waits that ended on another thread. Any thread
// posts; only the loop takes.
class UnblockQueue {
 public:
  // `wake` wakes the loop (called from any thread).
  explicit UnblockQueue(std::function<void()> wake) : wake_(std::move(wake)) {}
  // Adds w and wakes the loop if the list was empty.
  void Post(std::shared_ptr<Waiter> w);
  // Takes the whole list (the loop, once per turn).
  std::vector<std::shared_ptr<Waiter>> Take();

 private:
  std::function<void()> wake_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Waiter>> done_;  // GUARDED_BY(mu_)
};

// A connection's side: its loop's queue, and its current wait. Only the
// connection's own thread touches it.
struct BlockingClient {
  UnblockQueue* queue = nullptr;  // null: the client cannot block (no loop)
  void* owner = nullptr;
  std::shared_ptr<Waiter> waiter;  // set while the client is blocked
};

// Who waits for which key.
class BlockingRegistry {
 public:
  // Registers w at the end of the queue of each of its keys. Called inside
  // the update that found them empty (under their locks).
  void Block(const std::shared_ptr<Waiter>& w);
  // Notes that key was written, under its lock: if someone waits for it,
  // this thread's next ServeReady() re-runs their attempts.
  void Signal(std::string_view key);
  // After a top-level command, holding no lock: serves the waiters of the
  // keys this thread signalled, FIFO per key, until no key is ready. The
  // attempts' writes are recorded in `durability` (the caller's loop's).
  void ServeReady(ServerState& server, ThreadStats& stats, DurabilityBarrier& durability);
  // Whether a Signal() on this thread awaits ServeReady() (for tests).
  static bool HasReady();
  // Ends w's wait (the owning loop: a timeout, or kClosed for a
  // disconnect). Returns true if it ended now; false if another thread is
  // running its attempt, which then posts w with its outcome (served, or
  // `why`).
  bool Cancel(const std::shared_ptr<Waiter>& w, Waiter::End why);
  // CLIENT UNBLOCK: ends the wait of client `id` (any thread), posting it
  // to its loop with `why`. Returns false if the client is not blocked.
  bool Unblock(uint64_t id, Waiter::End why);
  // The number of blocked clients (INFO's blocked_clients).
  std::size_t blocked_clients() const { return count_.load(std::memory_order_relaxed); }

 private:
  // REQUIRES: mu_ held. Removes w from every queue; marks it done.
  void RemoveLocked(const std::shared_ptr<Waiter>& w);

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::deque<std::shared_ptr<Waiter>>> by_key_;  // GUARDED_BY(mu_)
  absl::flat_hash_map<uint64_t, std::shared_ptr<Waiter>> by_client_;              // GUARDED_BY(mu_)
  std::atomic<std::size_t> count_{0};  // by_client_.size()
};

// Redis's getTimeoutFromObjectOrReply in seconds: a float number of
// seconds, as a relative timeout in ms (0: forever). Otherwise replies
// "ERR timeout is not a float or out of range" or "ERR timeout is negative"
// and returns false.
bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* timeout_ms);

// Runs a blocking command: attempt() once, whose reply it is when it served
// or failed. When every key is empty: inside MULTI/EXEC or a script (or for
// a client without a loop) reply_now() answers at once, as Redis's
// non-blocking fallback; otherwise the client blocks on `keys` for
// timeout_ms (0: forever), and reply_timeout() answers if the time runs out.
void BlockOrServe(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout_ms,
                  BlockedAttempt attempt, void (*reply_now)(ReplyWriter&),
                  void (*reply_timeout)(ReplyWriter&));

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_BLOCKING_H_

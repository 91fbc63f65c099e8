// Copyright (c) the kvstore developers.
//
// What the command implementations share across I/O threads: the store, the
// settings that CONFIG SET may change, counters for INFO and /metrics, the
// registry of clients (for CLIENT LIST), background saves and the shutdown
// request. Everything on the request path is either immutable after start or
// a relaxed atomic written by one thread; the mutexes here are taken only by
// rare commands (AUTH, CLIENT SETNAME/LIST, CONFIG, BGSAVE) and on connect /
// disconnect.

#ifndef KVSTORE_SERVER_SERVER_STATE_H_
#define KVSTORE_SERVER_SERVER_STATE_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "watch.h"
#include "error_stats.h"
#include "slowlog.h"
#include "lua_engine.h"
#include "pubsub.h"
#include "blocking.h"
#include "kvstore/kvstore.h"

namespace kvstore::server {

// Upper bound on the number of commands and subcommands (statistics slots;
// command_table.cc static_asserts it).
constexpr std::size_t kMaxCommands = 320;

// multi-max-queued-bytes' default: what one client may queue between MULTI
// and EXEC.
constexpr uint64_t kDefaultMultiMaxQueuedBytes = 64u << 20;

// busy-poll-us' default (microseconds). On this project's 2-vCPU VM a
// sleeping I/O thread costs its waker a virtual CPU's wake-up on every
// request at pipeline 1; 20 us of polling took most of that away
// (docs/BENCHMARKS.md, "Busy polling").
constexpr int64_t kDefaultBusyPollUs = 20;

// Per-I/O-thread counters, each on its own cache lines.
struct alignas(64) ThreadStats {
  std::array<OwnedCounter, kMaxCommands> calls;
  std::array<OwnedCounter, kMaxCommands> usec;
  std::array<OwnedCounter, kMaxCommands> failed;
  std::array<OwnedCounter, kMaxCommands> rejected;  // refused before running (arity, NOAUTH)
  ErrorTally errors;                                 // every error reply, by code
  OwnedCounter commands;
  OwnedCounter net_input_bytes;
  OwnedCounter net_output_bytes;
};

// A client's MULTI state (cmd_multi.cc): the commands queued for EXEC.
struct MultiState {
  bool active = false;  // between MULTI and EXEC/DISCARD
  bool failed = false;  // a command was refused while queueing: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  std::size_t bytes = 0;  // what `queued` holds, as multi-max-queued-bytes counts it
};

// A key a client WATCHes, and what it held once WATCH had registered it:
// EXEC also aborts if the key no longer holds that (see cmd_multi.cc).
struct WatchedKey {
  std::string key;
  bool existed = false;
  uint64_t fingerprint = 0;  // hash of the value, if it existed
};

// A connected client as commands and CLIENT LIST see it. Owned by its I/O
// thread's Connection; fields other threads read are atomics or guarded by
// ServerState::clients_mu.
struct ClientInfo {
  uint64_t id = 0;
  int fd = -1;
  std::string addr;   // peer "ip:port"
  std::string laddr;  // local "ip:port"
  int64_t created_ms = 0;
  std::atomic<int64_t> last_active_ms{0};
  std::atomic<int> last_command{-1};  // statistics slot (command.h StatSlot)
  std::atomic<int> protocol{2};       // 2 or 3 (HELLO)
  std::string name;                   // GUARDED_BY(ServerState::clients_mu)
  // Only the owning thread touches these.
  bool authenticated = true;
  bool close_after_reply = false;  // QUIT, or a fatal protocol error
  // CLIENT REPLY OFF: no command replies (pub/sub messages still come);
  // CLIENT REPLY SKIP: none for the next command.
  bool reply_off = false;
  bool reply_skip = false;
  MultiState multi;
  std::vector<WatchedKey> watched;  // WATCHed keys (watch.h holds the other side)
  // Set by any client's write to a watched key (watch.h); EXEC then aborts.
  std::atomic<bool> watch_dirty{false};
  uint64_t last_write_seq = 0;     // the sequence of this client's last write (WAITAOF)
  PubSubClient pubsub{&protocol};  // subscriptions and undelivered messages (pubsub.h)
  BlockingClient blocking;         // its loop's queue and its wait, if blocked (blocking.h)
};

// Sums of every thread's counters. INFO reports them relative to the
// baseline taken by CONFIG RESETSTAT; /metrics reports the raw sums, because
// Prometheus counters must never go down.
struct CommandTotals {
  std::array<uint64_t, kMaxCommands> calls{}, usec{}, failed{}, rejected{};
  std::array<uint64_t, kMaxErrorCodes> errors{};
  uint64_t error_replies = 0;
  uint64_t commands = 0;
};

enum class ShutdownMode { kDefault, kSave, kNoSave };

// 40 random hexadecimal characters (Redis's run_id and replication ID).
std::string RandomHex40();
// The store's default checkpoint rules as redis.conf's "save" value.
std::string DefaultSaveRules();

struct ServerState {
  ServerState(Config cfg, KvStore* s)
      : config(std::move(cfg)), store(s), run_id(RandomHex40()), replid(RandomHex40()) {
    proto_max_bulk_len.store(config.proto_max_bulk_len);
    client_query_buffer_limit.store(config.client_query_buffer_limit);
    save_rules = DefaultSaveRules();
  }

  const Config config;  // as started; the mutable settings are below
  KvStore* store;
  int64_t start_unix = 0;
  int64_t start_ms = 0;

  // CONFIG SET-able settings (config_params.cc says what each one does).
  std::atomic<uint64_t> maxclients{10000};
  std::atomic<int64_t> timeout{0};
  std::atomic<uint64_t> multi_max_queued_bytes{kDefaultMultiMaxQueuedBytes};
  // How long (ms) a script runs before other clients get BUSY and SCRIPT
  // KILL / FUNCTION KILL may stop it (busy-reply-threshold, lua-time-limit).
  std::atomic<int64_t> busy_reply_threshold{5000};
  std::atomic<int64_t> hz{10};
  // busy-poll-us: how long an I/O thread that is busy polls for its next
  // events before it sleeps (EventLoop::WaitForEvents); 0: never.
  std::atomic<int64_t> busy_poll_us{kDefaultBusyPollUs};
  std::atomic<uint64_t> proto_max_bulk_len{512ull << 20};
  std::atomic<uint64_t> client_query_buffer_limit{1ull << 30};
  std::atomic<uint64_t> maxmemory{0};
  // list-compress-depth: kept and reported; lists are never compressed.
  std::atomic<int64_t> list_compress_depth{0};
  std::atomic<int64_t> slowlog_log_slower_than{10000};  // microseconds; < 0: off
  std::atomic<uint64_t> slowlog_max_len{128};
  SlowLog slowlog;
  LuaEngine lua;  // EVAL's interpreter and script cache (cmd_script.cc)
  // Settings kept as text and reported back (no effect on the store yet:
  // see config_params.cc).
  std::mutex settings_mu;
  std::string save_rules;              // GUARDED_BY(settings_mu)
  std::string notify_keyspace_events;  // GUARDED_BY(settings_mu)
  // The same as NotifyFlag bits (notify.h), read by every write.
  std::atomic<uint32_t> notify_flags{0};
  std::string maxmemory_policy = "noeviction";  // GUARDED_BY(settings_mu)

  // INFO memory's used_memory_peak, as INFO has sampled it.
  std::atomic<uint64_t> used_memory_peak{0};

  // INFO's instantaneous_ops_per_sec: commands run in the last whole second
  // or so, sampled by the I/O loops' once-a-second tick (SampleOps).
  std::atomic<uint64_t> ops_per_sec{0};
  std::mutex ops_mu;
  int64_t ops_sample_ms = 0;         // GUARDED_BY(ops_mu)
  uint64_t ops_sample_commands = 0;  // GUARDED_BY(ops_mu)

  void SampleOps(int64_t now_ms) {
    std::unique_lock<std::mutex> lock(ops_mu, std::try_to_lock);
    if (!lock.owns_lock() || now_ms - ops_sample_ms < 1000) return;
    uint64_t commands = 0;
    for (const auto& t : thread_stats) commands += t->commands.Get();
    if (ops_sample_ms != 0) {
      ops_per_sec.store((commands - ops_sample_commands) * 1000 /
                        static_cast<uint64_t>(now_ms - ops_sample_ms));
    }
    ops_sample_ms = now_ms;
    ops_sample_commands = commands;
  }

  // Identity for INFO: 40 hex characters each, random per start.
  std::string run_id;
  std::string replid;
  std::atomic<bool> auth_required{false};
  std::mutex auth_mu;
  std::string requirepass;  // GUARDED_BY(auth_mu)

  // Connections.
  std::atomic<uint64_t> next_client_id{1};
  std::atomic<uint64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::mutex clients_mu;
  std::unordered_map<uint64_t, ClientInfo*> clients;  // GUARDED_BY(clients_mu)

  // WATCH: which clients watch which keys.
  WatchRegistry watches;
  // Pub/sub: who subscribes to what (pubsub.h).
  PubSub pubsub;
  // Blocked clients: who waits for which key (blocking.h).
  BlockingRegistry blocking;

  // One per I/O thread, sized before the threads start.
  std::vector<std::unique_ptr<ThreadStats>> thread_stats;
  std::mutex stats_mu;
  CommandTotals stats_baseline;  // GUARDED_BY(stats_mu)

  CommandTotals SumCommandStats() const {
    CommandTotals t;
    for (const auto& s : thread_stats) {
      for (std::size_t i = 0; i < kMaxCommands; ++i) {
        t.calls[i] += s->calls[i].Get();
        t.usec[i] += s->usec[i].Get();
        t.failed[i] += s->failed[i].Get();
        t.rejected[i] += s->rejected[i].Get();
      }
      for (std::size_t i = 0; i < kMaxErrorCodes; ++i) t.errors[i] += s->errors.by_code[i].Get();
      t.error_replies += s->errors.total.Get();
      t.commands += s->commands.Get();
    }
    return t;
  }

  // The totals since the last CONFIG RESETSTAT.
  CommandTotals CommandStatsSinceReset() {
    CommandTotals t = SumCommandStats();
    std::lock_guard<std::mutex> lock(stats_mu);
    for (std::size_t i = 0; i < kMaxCommands; ++i) {
      t.calls[i] -= std::min(t.calls[i], stats_baseline.calls[i]);
      t.usec[i] -= std::min(t.usec[i], stats_baseline.usec[i]);
      t.failed[i] -= std::min(t.failed[i], stats_baseline.failed[i]);
      t.rejected[i] -= std::min(t.rejected[i], stats_baseline.rejected[i]);
    }
    for (std::size_t i = 0; i < kMaxErrorCodes; ++i) {
      t.errors[i] -= std::min(t.errors[i], stats_baseline.errors[i]);
    }
    t.error_replies -= std::min(t.error_replies, stats_baseline.error_replies);
    t.commands -= std::min(t.commands, stats_baseline.commands);
    return t;
  }

  void ResetCommandStats() {
    CommandTotals t = SumCommandStats();
    std::lock_guard<std::mutex> lock(stats_mu);
    stats_baseline = t;
  }

  // BGSAVE.
  std::mutex bgsave_mu;
  std::thread bgsave_thread;  // GUARDED_BY(bgsave_mu)
  std::atomic<bool> bgsave_running{false};
  std::atomic<bool> last_bgsave_ok{true};

  // SHUTDOWN: set by the command, acted on by the main thread.
  std::atomic<bool> shutdown_requested{false};
  std::atomic<ShutdownMode> shutdown_mode{ShutdownMode::kDefault};
  std::function<void()> wake_main;  // set before the threads start

  // Called by the SHUTDOWN command.
  void RequestShutdown(ShutdownMode mode) {
    shutdown_mode.store(mode);
    shutdown_requested.store(true);
    if (wake_main) wake_main();
  }

  bool CheckPassword(std::string_view user, std::string_view pass) {
    std::lock_guard<std::mutex> lock(auth_mu);
    return user == "default" && pass == requirepass;
  }

  // Waits for a running BGSAVE to finish (shutdown).
  void JoinBgsave() {
    std::lock_guard<std::mutex> lock(bgsave_mu);
    if (bgsave_thread.joinable()) bgsave_thread.join();
  }
};

int64_t NowMs();

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_SERVER_STATE_H_

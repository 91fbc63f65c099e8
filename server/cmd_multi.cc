// Copyright (c) the kvstore developers.
//
// Transactions (Redis's multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH, and
// the queue the dispatcher fills between MULTI and EXEC.
//
// EXEC runs the queued commands' ordinary handlers inside ONE library
// transaction: KvStore::update() over every key the queued commands name
// (from the command table's key positions) plus the client's WATCHed keys,
// or KvStore::update_all() when a queued command reads or writes the keyspace
// as a whole (KEYS, SCAN, DBSIZE, FLUSHALL...). The keyspace layer
// (keyspace.h) sends the handlers' reads and writes to it, so no other client
// sees part of the transaction, and everything it writes is one WAL record:
// all or nothing after a crash. Commands that do not touch the keyspace
// (CONFIG, INFO, PING...) run after it, outside the shard locks, and their
// replies take their place in EXEC's array.
//
// Queue-time checks are the dispatcher's (dispatcher.cc): an unknown command,
// a wrong arity, a no-multi command or a queue past multi-max-queued-bytes
// makes EXEC answer EXECABORT. A run-time error (INCR on a non-integer) is
// that command's reply in EXEC's array; the other commands still run.

#include <functional>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "dispatcher.h"
#include "keyspace.h"

namespace kvstore::server {

namespace {

// What multi-max-queued-bytes counts for one queued command: its arguments
// plus the bookkeeping of a vector of strings.
std::size_t QueuedSize(std::span<const std::string_view> argv) {
  std::size_t n = sizeof(std::vector<std::string>);
  for (auto a : argv) n += sizeof(std::string) + a.size();
  return n;
}

// Ends the client's transaction: drops the queue and every WATCH.
void EndTransaction(CommandContext& ctx) {
  ctx.client.multi = MultiState{};
  ctx.server.watches.UnwatchAll(&ctx.client);
}

uint64_t Fingerprint(std::string_view value) { return std::hash<std::string_view>{}(value); }

// Whether a watched key still holds what it held at WATCH.
// (An object's changes all mark its watchers; its fingerprint is 0.)
bool Unchanged(const Transaction& tx, const WatchedKey& w) {
  if (tx.type(w.key) != Type::kString) return (tx.type(w.key) != Type::kNone) == w.existed;
  const auto v = tx.get(w.key);
  return w.existed && Fingerprint(*v) == w.fingerprint;
}

struct Queued {
  const CommandSpec* top;
  const CommandSpec* cmd;
  std::vector<std::string_view> argv;
  bool keyspace;  // runs inside the transaction (reads or writes keys)
};

}  // namespace

void FailQueuedTransaction(ClientInfo& client) {
  client.multi.failed = true;
  // EXEC will only ever answer EXECABORT: what was queued is of no use.
  client.multi.queued = {};
  client.multi.bytes = 0;
}

void QueueCommand(CommandContext& ctx) {
  MultiState& m = ctx.client.multi;
  if (m.failed) return ctx.reply.Simple("QUEUED");  // as Redis, though EXEC will abort
  const std::size_t size = QueuedSize(ctx.argv);
  const uint64_t limit = ctx.server.multi_max_queued_bytes.load(std::memory_order_relaxed);
  if (m.bytes + size > limit) {
    FailQueuedTransaction(ctx.client);
    return ctx.reply.Error("ERR transaction too large: its queued commands exceed " +
                           std::to_string(limit) +
                           " bytes (multi-max-queued-bytes); EXEC will discard it");
  }
  m.queued.emplace_back(ctx.argv.begin(), ctx.argv.end());
  m.bytes += size;
  ctx.reply.Simple("QUEUED");
}

void MultiCommand(CommandContext& ctx) {
  if (ctx.client.multi.active) return ctx.reply.Error("ERR MULTI calls can not be nested");
  ctx.client.multi.active = true;
  ctx.reply.Ok();
}

void DiscardCommand(CommandContext& ctx) {
  if (!ctx.client.multi.active) return ctx.reply.Error("ERR DISCARD without MULTI");
  EndTransaction(ctx);
  ctx.reply.Ok();
}

void WatchCommand(CommandContext& ctx) {
  if (ctx.client.multi.active) return ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    if (!ctx.server.watches.Watch(&ctx.client, ctx.argv[i])) continue;
    // Read once registered: a write that applies later either marks this
    // client or leaves a value EXEC sees differ.
    WatchedKey& w = ctx.client.watched.back();
    const auto v = keyspace::Get(ctx, ctx.argv[i]);
    w.existed = v.has_value() || keyspace::Exists(ctx, ctx.argv[i]);
    w.fingerprint = v ? Fingerprint(*v) : 0;
  }
  ctx.reply.Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  ctx.server.watches.UnwatchAll(&ctx.client);
  ctx.reply.Ok();
}

void ExecCommand(CommandContext& ctx) {
  ClientInfo& client = ctx.client;
  if (!client.multi.active) return ctx.reply.Error("ERR EXEC without MULTI");
  const MultiState m = std::move(client.multi);
  client.multi = MultiState{};
  if (m.failed) {
    ctx.server.watches.UnwatchAll(&client);
    return ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (client.watch_dirty.load(std::memory_order_acquire)) {
    ctx.server.watches.UnwatchAll(&client);
    return ctx.reply.NullArray();
  }
  // The watches stay registered until the transaction holds their locks.
  const std::vector<WatchedKey> watched = client.watched;

  // Every command was looked up and checked when it was queued.
  std::vector<Queued> queued;
  queued.reserve(m.queued.size());
  std::vector<std::string_view> keys;
  for (const auto& w : watched) keys.push_back(w.key);
  bool whole_keyspace = false;
  for (const auto& args : m.queued) {
    Queued q;
    q.argv.assign(args.begin(), args.end());
    q.top = LookupCommand(q.argv[0]);
    q.cmd = q.top->subcommands.empty() || q.argv.size() < 2 ? q.top
                                                             : LookupSubcommand(*q.top, q.argv[1]);
    const uint32_t flags = q.cmd->flags | q.top->flags;
    q.keyspace = (flags & (kWrite | kReadOnly | kWholeKeyspace)) != 0;
    whole_keyspace |= (flags & kWholeKeyspace) != 0;
    for (auto k : KeysOf(*q.cmd, q.argv)) keys.push_back(k);
    queued.push_back(std::move(q));
  }

  const int exec_slot = client.last_command.load(std::memory_order_relaxed);
  // Each command's reply, framed as the client's protocol asks.
  std::vector<std::string> replies(queued.size());
  auto run = [&](std::size_t i, Transaction* tx) {
    ReplyWriter out(&replies[i], ctx.reply.protocol());
    CommandContext sub{ctx.server, client, queued[i].argv, out, ctx.stats, ctx.durability, tx};
    RunCommand(sub, *queued[i].top, *queued[i].cmd);
  };
  bool dirty = false;
  auto body = [&](Transaction& tx) {
    // Under the locks of every watched key: a write to one applied before
    // now has marked this client already (watch.h), or, if it was past its
    // check of the registry when WATCH registered the key, left a value
    // other than the one WATCH read.
    if (client.watch_dirty.load(std::memory_order_acquire)) {
      dirty = true;
      return;
    }
    for (const auto& w : watched) {
      if (!Unchanged(tx, w)) {
        dirty = true;
        return;
      }
    }
    for (std::size_t i = 0; i < queued.size(); ++i) {
      if (queued[i].keyspace) run(i, &tx);
    }
  };
  KvStore& store = *ctx.server.store;
  const Result<void> r = whole_keyspace
                             ? store.update_all(body, ctx.durability.Deferred())
                             : store.update(keyspace::UniqueKeys(std::move(keys)), body,
                                            ctx.durability.Deferred());
  ctx.durability.Record();
  ctx.server.watches.UnwatchAll(&client);
  if (!r) return ReplyStoreError(ctx, r.error());
  if (dirty) return ctx.reply.NullArray();
  for (std::size_t i = 0; i < queued.size(); ++i) {
    if (!queued[i].keyspace) run(i, nullptr);
  }
  ctx.reply.ArrayHeader(replies.size());
  for (const auto& reply : replies) ctx.reply.Raw(reply);
  client.last_command.store(exec_slot, std::memory_order_relaxed);  // CLIENT LIST: cmd=exec
}

}  // namespace kvstore::server

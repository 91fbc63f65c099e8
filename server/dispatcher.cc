// Copyright (c) the kvstore developers.
//
// Command dispatch and pipelined SET batching; see dispatcher.h.

#include "dispatcher.h"
#include "command_handlers.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "keyspace.h"

namespace kvstore::server {

namespace {

// A run of pipelined SETs becomes one update() of at most this many keys /
// bytes, so that the shard locks it holds are held briefly.
constexpr std::size_t kMaxSetBatch = 128;
constexpr std::size_t kMaxSetBatchBytes = 1 << 20;

void ReplyUnknownCommand(ReplyWriter& reply, std::span<const std::string_view> argv) {
  // Redis 7: the name and then arguments, each quoted and followed by a
  // space, until 128 characters of arguments have been shown.
  std::string msg = "ERR unknown command '";
  msg.append(argv[0].substr(0, 128));
  msg.append("', with args beginning with: ");
  std::size_t shown = 0;
  for (std::size_t i = 1; i < argv.size() && shown < 128; ++i) {
    const std::string_view arg = argv[i].substr(0, 128 - shown);
    msg.push_back('\'');
    msg.append(arg);
    msg.append("' ");
    shown += arg.size() + 3;
  }
  reply.Error(msg);
}

}  // namespace

bool ArityOk(const CommandSpec& c, std::size_t argc) {
  const auto n = static_cast<int>(argc);
  return c.arity > 0 ? n == c.arity : n >= -c.arity;
}

bool AllowedWhileBusy(const CommandSpec& top, const CommandSpec& cmd) {
  return ((top.flags | cmd.flags) & kAllowBusy) != 0 && cmd.first_key == 0;
}

bool WaitForScript(ServerState& server, ReplyWriter& reply) {
  const int64_t threshold = server.busy_reply_threshold.load(std::memory_order_relaxed);
  int64_t ms = server.lua.RunningForMs();
  while (ms >= 0 && ms < threshold) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ms = server.lua.RunningForMs();
  }
  if (ms < 0) return true;
  reply.Error(server.lua.RunningFunction()
                  ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                    "SHUTDOWN NOSAVE."
                  : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                    "SHUTDOWN NOSAVE.");
  return false;
}

void LogSlow(ServerState& server, const ClientInfo& client, std::span<const std::string_view> argv,
             int64_t micros) {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(server.clients_mu);
    name = client.name;
  }
  server.slowlog.Add(argv, static_cast<uint64_t>(micros), NowMs() / 1000, client.addr,
                     std::move(name), server.slowlog_max_len.load(std::memory_order_relaxed));
}

namespace {
// Whether cmd works on string values only (CommandContext::string_values).
bool NeedsStrings(const CommandSpec& cmd) {
  const std::string_view group = cmd.group;
  if (group != "string" && group != "bitmap") return false;
  for (std::string_view any : {"set", "setnx", "setex", "psetex", "mset", "msetnx", "mget"}) {
    if (any == cmd.name) return false;
  }
  return true;
}
}  // namespace

void RunCommand(CommandContext& ctx, const CommandSpec& top, const CommandSpec& cmd) {
  const std::size_t index = StatSlot(top, cmd);
  static const std::vector<bool> needs_strings = [] {
    std::vector<bool> v(StatSlotCount());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = NeedsStrings(StatSlotSpec(i));
    return v;
  }();
  ctx.string_values = needs_strings[index];
  ctx.spec = &cmd;
  ctx.client.last_command.store(static_cast<int>(index), std::memory_order_relaxed);
  const uint64_t errors_before = ctx.reply.errors();
  const uint64_t write_before = ctx.durability.latest();
  const auto start = std::chrono::steady_clock::now();
  const bool silenced = ctx.reply.discarding();
  cmd.handler(ctx);
  if (!silenced) ctx.reply.Resume();
  if (ctx.durability.latest() != write_before) ctx.client.last_write_seq = ctx.durability.latest();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  ctx.stats.calls[index].Add(1);
  ctx.stats.usec[index].Add(static_cast<uint64_t>(us.count()));
  const int64_t slower_than = ctx.server.slowlog_log_slower_than.load(std::memory_order_relaxed);
  if (slower_than >= 0 && us.count() >= slower_than) {
    LogSlow(ctx.server, ctx.client, ctx.argv, us.count());
  }
  ctx.stats.commands.Add(1);
  if (ctx.reply.errors() != errors_before) ctx.stats.failed[index].Add(1);
}

void Dispatcher::Execute(ClientInfo& client, std::span<const std::string_view> argv,
                         ReplyWriter& reply) {
  CommandContext ctx{server_, client, argv, reply, stats_, durability_};
  // CLIENT REPLY OFF / SKIP: this command's reply goes nowhere.
  struct Silence {
    ReplyWriter& reply;
    ~Silence() { reply.Resume(); }
  } silence{reply};
  if (client.reply_off || std::exchange(client.reply_skip, false)) reply.Discard();
  // Inside MULTI, a command refused before it could be queued makes EXEC
  // fail (Redis's EXECABORT).
  struct FailTransaction {
    ClientInfo& client;
    bool refused = true;
    ~FailTransaction() {
      if (refused && client.multi.active) FailQueuedTransaction(client);
    }
  } fail{client};
  const CommandSpec* top = LookupCommand(argv[0]);
  if (top == nullptr) return ReplyUnknownCommand(reply, argv);
  const CommandSpec* cmd = top;
  if (!top->subcommands.empty() && argv.size() >= 2) {
    cmd = LookupSubcommand(*top, argv[1]);
    if (cmd == nullptr) return ReplyUnknownSubcommand(ctx, *top);
  }
  // A container without a handler of its own has arity -2, so cmd is a
  // subcommand (with a handler) once the arity check passes.
  const std::size_t index = StatSlot(*top, *cmd);
  // As Redis, a known command refused before it runs counts as rejected.
  if (!ArityOk(*cmd, argv.size()) || cmd->handler == nullptr) {
    stats_.rejected[index].Add(1);
    return ReplyArity(ctx, *cmd);
  }
  if (!client.authenticated && (cmd->flags & kNoAuth) == 0 &&
      server_.auth_required.load(std::memory_order_relaxed)) {
    stats_.rejected[index].Add(1);
    return reply.Error("NOAUTH Authentication required.");
  }
  if (RefusedInSubscribedMode(ctx, *top, *cmd)) {
    stats_.rejected[index].Add(1);
    return;
  }
  if (client.multi.active && (cmd->flags & kNoMulti) != 0) {
    return reply.Error("ERR Command not allowed inside a transaction");
  }
  if (!AllowedWhileBusy(*top, *cmd)) {
    // EXEC refused while a script is busy ends the transaction, as in Redis:
    // "EXECABORT Transaction discarded because of: BUSY ...".
    std::string busy;
    ReplyWriter capture(&busy);
    if (!WaitForScript(server_, capture)) {
      if (client.multi.active && top->handler == ExecCommand) {
        fail.refused = false;
        client.multi = MultiState{};
        server_.watches.UnwatchAll(&client);
        return reply.Error("EXECABORT Transaction discarded because of: " +
                           busy.substr(1, busy.size() - 3));
      }
      return reply.Error(busy.substr(1, busy.size() - 3));  // counted in errorstats here
    }
  }
  fail.refused = false;
  const std::function<void()> while_busy = [&] {
    if (while_busy_) while_busy_(&client);
  };
  ctx.while_busy = &while_busy;
  if (client.multi.active && (top->flags & kNotQueued) == 0) return QueueCommand(ctx);
  // Commands run from inside another (a script's hook serving the loop) must
  // not serve blocked clients: the outer command may hold the keys' locks.
  static thread_local int depth = 0;
  ++depth;
  RunCommand(ctx, *top, *cmd);
  --depth;
  // Clients blocked on keys this command wrote are served before its reply
  // goes out, as Redis serves them after the command (blocking.h).
  if (depth == 0) server_.blocking.ServeReady(server_, stats_, durability_);
}

bool Dispatcher::IsBatchableSet(const ClientInfo& client,
                                std::span<const std::string_view> argv) const {
  if (argv.size() != 3 || argv[0].size() != 3 || client.multi.active) return false;
  if (client.reply_off || client.reply_skip) return false;  // CLIENT REPLY: one by one
  const std::string_view n = argv[0];
  if ((n[0] | 0x20) != 's' || (n[1] | 0x20) != 'e' || (n[2] | 0x20) != 't') return false;
  if (!client.authenticated && server_.auth_required.load(std::memory_order_relaxed)) return false;
  // A batch publishes no keyspace notifications: run SETs one by one then.
  if (server_.notify_flags.load(std::memory_order_relaxed) != 0) return false;
  // An oversized key must fail alone, not take the batch down with it.
  return argv[1].size() <= KvStore::kMaxKeySize && argv[2].size() <= KvStore::kMaxValueSize;
}

void Dispatcher::RunSetBatch(Connection& c, ReplyWriter& reply) {
  SetBatch& batch = c.sets;
  const std::size_t n = batch.pairs.size();
  if (n == 0) return;
  static const std::size_t kSetIndex = StatSlot(*LookupCommand("set"), *LookupCommand("set"));
  const auto start = std::chrono::steady_clock::now();
  const uint64_t write_before = durability_.latest();
  const Result<void> r = keyspace::SetPairs(server_, durability_, batch.pairs);
  if (durability_.latest() != write_before) c.info.last_write_seq = durability_.latest();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  for (std::size_t i = 0; i < n; ++i) {
    if (r) {
      reply.Ok();
    } else {
      reply.Error("ERR " + r.error().message());
    }
  }
  // The batch's time, shared evenly, is each SET's time for the SLOWLOG.
  const int64_t slower_than = server_.slowlog_log_slower_than.load(std::memory_order_relaxed);
  const int64_t each = us.count() / static_cast<int64_t>(n);
  if (slower_than >= 0 && each >= slower_than) {
    for (const auto& [key, value] : batch.pairs) {
      const std::string_view argv[] = {"set", key, value};
      LogSlow(server_, c.info, argv, each);
    }
  }
  c.info.last_command.store(static_cast<int>(kSetIndex), std::memory_order_relaxed);
  stats_.calls[kSetIndex].Add(n);
  stats_.usec[kSetIndex].Add(static_cast<uint64_t>(us.count()));
  stats_.commands.Add(n);
  if (!r) stats_.failed[kSetIndex].Add(n);
  batch.pairs.clear();
  batch.bytes = 0;
}

void Dispatcher::ProcessInput(Connection& c) {
  ReplyWriter reply(&c.out, c.info.protocol.load(std::memory_order_relaxed), &stats_.errors);
  c.parser.set_max_bulk_len(server_.proto_max_bulk_len.load(std::memory_order_relaxed));
  // A normal client's output stops at the hard client-output-buffer-limit,
  // even within one long reply; the loop then closes the connection.
  if (!c.info.pubsub.subscribed()) {
    reply.set_cap(server_.pubsub.limits().Get(OutputBufferLimits::kNormal).hard);
  }
  std::size_t pos = 0;
  // A blocked client's later commands wait until its wait ends (the loop
  // resumes its input then); a client past its output limit runs no more.
  while (!c.info.close_after_reply && pos < c.in_len && !c.info.blocking.waiter &&
         !reply.over_cap()) {
    if (c.need > c.in_len) break;  // a known-incomplete command
    std::size_t consumed = 0;
    const ParseStatus st =
        c.parser.Parse(c.in.data() + pos, c.in_len - pos, c.info.authenticated, &consumed);
    if (st == ParseStatus::kIncomplete) {
      c.need = c.parser.needed();  // relative to pos, which becomes 0 below
      break;
    }
    c.need = 0;
    if (st == ParseStatus::kError) {
      RunSetBatch(c, reply);
      server_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("protocol error from client id={} addr={}: {}", c.info.id, c.info.addr,
                    c.parser.error());
      reply.Error(c.parser.error());
      c.info.close_after_reply = true;
      break;
    }
    pos += consumed;
    const auto& args = c.parser.args();
    if (args.empty()) continue;
    // The views stay valid until the input is consumed below: later parses
    // never write before their own command's first byte.
    if (IsBatchableSet(c.info, args)) {
      c.sets.pairs.emplace_back(args[1], args[2]);
      c.sets.bytes += args[1].size() + args[2].size();
      if (c.sets.pairs.size() >= kMaxSetBatch || c.sets.bytes >= kMaxSetBatchBytes) {
        RunSetBatch(c, reply);
      }
      continue;
    }
    RunSetBatch(c, reply);  // replies stay in order
    Execute(c.info, args, reply);
  }
  RunSetBatch(c, reply);
  if (reply.over_cap()) c.output_over_limit = true;
  // QUIT, a protocol error or the output limit: drop what follows.
  if (c.info.close_after_reply || c.output_over_limit) pos = c.in_len;
  c.ConsumeInput(pos);
}

}  // namespace kvstore::server

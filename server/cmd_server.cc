// Copyright (c) the kvstore developers.
//
// Server administration (Redis's server.c, rdb.c, slowlog.c, replication.c
// parts): COMMAND and its subcommands (answered from the command table),
// SAVE, BGSAVE, LASTSAVE, TIME, SHUTDOWN, SLOWLOG, MEMORY DOCTOR/STATS, WAIT
// and WAITAOF. INFO is in info.cc, CONFIG in cmd_config.cc, MEMORY USAGE
// with the other per-key commands in cmd_keyspace.cc.

#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "command_handlers.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

// Redis 7's ACL categories, derived from the flags and the group, in
// Redis's category order.
std::vector<const char*> AclCategories(const CommandSpec& c) {
  std::vector<const char*> cats;
  const std::string_view group = c.group;
  if (group == "generic") cats.push_back("@keyspace");
  if (c.flags & kReadOnly) cats.push_back("@read");
  if (c.flags & kWrite) cats.push_back("@write");
  if (group == "list") cats.push_back("@list");
  if (group == "string") cats.push_back("@string");
  if (group == "bitmap") cats.push_back("@bitmap");
  if (group == "sorted_set") cats.push_back("@sortedset");
  if (c.flags & kPubsub) cats.push_back("@pubsub");
  if (c.flags & kAdmin) cats.push_back("@admin");
  cats.push_back((c.flags & kFast) ? "@fast" : "@slow");
  if (c.flags & kBlocking) cats.push_back("@blocking");
  if (c.flags & kAdmin) cats.push_back("@dangerous");
  if (group == "connection") cats.push_back("@connection");
  if (group == "transactions") cats.push_back("@transaction");
  if (group == "scripting") cats.push_back("@scripting");
  return cats;
}

void CommandInfoEntry(CommandContext& ctx, const CommandSpec& c) {
  static constexpr std::pair<uint32_t, const char*> kFlagNames[] = {
      {kWrite, "write"},        {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},    {kAdmin, "admin"},
      {kPubsub, "pubsub"},
      {kNoScript, "noscript"},  {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},        {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},     {kNoMandatoryKeys, "no_mandatory_keys"},
      {kNoAsyncLoading, "no_async_loading"},
      {kNoMulti, "no_multi"},   {kMovableKeys, "movablekeys"},
      {kAllowBusy, "allow_busy"},
  };
  ctx.reply.ArrayHeader(10);
  ctx.reply.Bulk(FullName(c));
  ctx.reply.Integer(c.arity);
  std::vector<const char*> flags;
  for (const auto& [bit, name] : kFlagNames) {
    if (c.flags & bit) flags.push_back(name);
  }
  ctx.reply.ArrayHeader(flags.size());
  for (const char* f : flags) ctx.reply.Simple(f);
  ctx.reply.Integer(c.first_key);
  ctx.reply.Integer(c.last_key);
  ctx.reply.Integer(c.key_step);
  const std::vector<const char*> cats = AclCategories(c);
  ctx.reply.ArrayHeader(cats.size());
  for (const char* cat : cats) ctx.reply.Simple(cat);
  ctx.reply.ArrayHeader(0);  // tips
  ctx.reply.ArrayHeader(0);  // key specs
  ctx.reply.ArrayHeader(c.subcommands.size());
  for (const auto& sub : c.subcommands) CommandInfoEntry(ctx, sub);
}

void CommandDocsEntry(CommandContext& ctx, const CommandSpec& c) {
  ctx.reply.Bulk(FullName(c));
  ctx.reply.MapHeader(c.subcommands.empty() ? 2 : 3);
  ctx.reply.Bulk("summary");
  ctx.reply.Bulk(c.summary);
  ctx.reply.Bulk("group");
  ctx.reply.Bulk(c.group);
  if (c.subcommands.empty()) return;
  ctx.reply.Bulk("subcommands");
  ctx.reply.MapHeader(c.subcommands.size());
  for (const auto& sub : c.subcommands) CommandDocsEntry(ctx, sub);
}

void AllCommandsInfo(CommandContext& ctx) {
  const auto all = Commands();
  ctx.reply.ArrayHeader(all.size());
  for (const auto& c : all) CommandInfoEntry(ctx, c);
}

}  // namespace

// ---- COMMAND ----

// COMMAND: every top-level command's entry (subcommands inside theirs).
void CommandCommand(CommandContext& ctx) { AllCommandsInfo(ctx); }

void CommandCountCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(Commands().size()));
}

void CommandListCommand(CommandContext& ctx) {
  if (ctx.argv.size() != 2) return ctx.reply.Error(kSyntaxError);  // no FILTERBY here
  std::vector<std::string> names;
  for (const auto& c : Commands()) {
    names.emplace_back(c.name);
    for (const auto& sub : c.subcommands) names.push_back(FullName(sub));
  }
  ctx.reply.ArrayHeader(names.size());
  for (const auto& name : names) ctx.reply.Bulk(name);
}

// COMMAND INFO [name ...]: a null for an unknown name; "config|get" names a
// subcommand.
void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 2) return AllCommandsInfo(ctx);
  ctx.reply.ArrayHeader(ctx.argv.size() - 2);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    if (const CommandSpec* c = LookupByFullName(ctx.argv[i])) {
      CommandInfoEntry(ctx, *c);
    } else {
      ctx.reply.NullArray();
    }
  }
}

// COMMAND DOCS [name ...]: unknown names are left out.
void CommandDocsCommand(CommandContext& ctx) {
  std::vector<const CommandSpec*> docs;
  if (ctx.argv.size() == 2) {
    for (const auto& c : Commands()) docs.push_back(&c);
  } else {
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if (const CommandSpec* c = LookupByFullName(ctx.argv[i])) docs.push_back(c);
    }
  }
  ctx.reply.MapHeader(docs.size());
  for (const auto* c : docs) CommandDocsEntry(ctx, *c);
}

// COMMAND GETKEYS command [arg ...]: the keys, from the table's key
// positions or numkeys (none if numkeys is not a count that fits).
void CommandGetkeysCommand(CommandContext& ctx) {
  const auto args = ctx.argv.subspan(2);
  const CommandSpec* c = LookupCommand(args[0]);
  if (c != nullptr && !c->subcommands.empty() && args.size() >= 2) {
    c = LookupSubcommand(*c, args[1]);
  }
  if (c == nullptr) return ctx.reply.Error("ERR Invalid command specified");
  const auto argc = static_cast<int>(args.size());
  if ((c->arity > 0 && argc != c->arity) || argc < -c->arity) {
    return ctx.reply.Error("ERR Invalid number of arguments specified for command");
  }
  if (c->first_key == 0 && !(c->flags & kMovableKeys)) {
    return ctx.reply.Error("ERR The command has no key arguments");
  }
  const std::vector<std::string_view> keys = KeysOf(*c, args);
  ctx.reply.ArrayHeader(keys.size());
  for (const auto k : keys) ctx.reply.Bulk(k);
}

void CommandHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("command")); }

// ---- persistence and lifecycle ----

void SaveCommand(CommandContext& ctx) {
  if (ctx.server.bgsave_running.load()) {
    return ctx.reply.Error("ERR Background save already in progress");
  }
  auto r = ctx.server.store->checkpoint();
  if (!r) return ReplyStoreError(ctx, r.error());
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]: KvStore::checkpoint() on a thread of its own; the
// store's writers keep running meanwhile.
void BgsaveCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "SCHEDULE"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  ServerState& s = ctx.server;
  std::lock_guard<std::mutex> lock(s.bgsave_mu);
  if (s.bgsave_running.load()) return ctx.reply.Error("ERR Background save already in progress");
  if (s.bgsave_thread.joinable()) s.bgsave_thread.join();  // finished: reap it
  s.bgsave_running.store(true);
  s.bgsave_thread = std::thread([&s] {
    auto r = s.store->checkpoint();
    s.last_bgsave_ok.store(static_cast<bool>(r));
    s.bgsave_running.store(false);
  });
  ctx.reply.Simple("Background saving started");
}

void LastsaveCommand(CommandContext& ctx) {
  const int64_t t = ctx.server.store->stats().last_checkpoint_unix;
  ctx.reply.Integer(t > 0 ? t : ctx.server.start_unix);
}

void TimeCommand(CommandContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(tv.tv_sec));
  ctx.reply.Bulk(std::to_string(tv.tv_usec));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: no reply on success; the main thread
// stops the I/O threads (which closes this connection), then saves or not.
void ShutdownCommand(CommandContext& ctx) {
  ShutdownMode mode = ShutdownMode::kDefault;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    const std::string_view o = ctx.argv[i];
    if (EqualsIgnoreCase(o, "NOSAVE") && mode != ShutdownMode::kSave) {
      mode = ShutdownMode::kNoSave;
    } else if (EqualsIgnoreCase(o, "SAVE") && mode != ShutdownMode::kNoSave) {
      mode = ShutdownMode::kSave;
    } else if (EqualsIgnoreCase(o, "NOW") || EqualsIgnoreCase(o, "FORCE")) {
      // Nothing to wait for (no replicas) and nothing to force past.
    } else if (EqualsIgnoreCase(o, "ABORT") && ctx.argv.size() == 2) {
      return ctx.reply.Error("ERR No shutdown in progress.");
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (ctx.server.lua.RunningForMs() >= 0) {
    // A script is running (this is its I/O loop serving others, or another
    // loop): Redis's way out of a script that cannot be killed. Its writes
    // were never committed, and every acknowledged write is already in the
    // WAL (written, so the exit loses none), so the process ends at once.
    spdlog::warn("SHUTDOWN while a script is running: exiting without waiting for it");
    std::_Exit(0);
  }
  ctx.client.close_after_reply = true;
  ctx.server.RequestShutdown(mode);
}

// ---- SLOWLOG ----

// SLOWLOG GET [count]: newest first; count -1 means all (default 10).
void SlowlogGetCommand(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.argv.size() > 3) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
  }
  if (ctx.argv.size() == 3 && (!ParseInt64(ctx.argv[2], &count) || count < -1)) {
    return ctx.reply.Error("ERR count should be greater than or equal to -1");
  }
  const std::vector<SlowLogEntry> entries = ctx.server.slowlog.Get(count);
  ctx.reply.ArrayHeader(entries.size());
  for (const auto& e : entries) {
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_seconds);
    ctx.reply.Integer(static_cast<int64_t>(e.micros));
    ctx.reply.ArrayHeader(e.args.size());
    for (const auto& arg : e.args) ctx.reply.Bulk(arg);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog.Len()));
}

void SlowlogResetCommand(CommandContext& ctx) {
  ctx.server.slowlog.Reset();
  ctx.reply.Ok();
}

void SlowlogHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("slowlog")); }

// ---- MEMORY ----

// MEMORY DOCTOR: what the memory figures say, in a sentence or two.
void MemoryDoctorCommand(CommandContext& ctx) {
  const Stats st = ctx.server.store->stats();
  std::string report = "kvstore holds " + std::to_string(st.keys) + " keys in about " +
                       std::to_string(st.memory_bytes) + " bytes (MEMORY STATS has the figures). ";
  const uint64_t max = ctx.server.maxmemory.load();
  if (max != 0 && st.memory_bytes > max) {
    report += "The data exceeds maxmemory (" + std::to_string(max) +
              " bytes), which kvstore reports but does not enforce: nothing is evicted.";
  } else {
    report += "No memory problem detected.";
  }
  ctx.reply.Verbatim(report);
}

// MEMORY STATS: Redis's map, with the figures kvstore has (the store's
// memory accounting and the process's resident size); the rest is 0.
void MemoryStatsCommand(CommandContext& ctx) {
  const Stats st = ctx.server.store->stats();
  const uint64_t used = st.memory_bytes;
  const uint64_t peak = SampleMemoryPeak(ctx.server, used);
  const uint64_t rss = RssBytes();
  const std::pair<const char*, uint64_t> ints[] = {
      {"peak.allocated", peak},     {"total.allocated", used}, {"startup.allocated", 0},
      {"replication.backlog", 0},   {"clients.slaves", 0},     {"clients.normal", 0},
      {"aof.buffer", 0},            {"overhead.total", 0},     {"keys.count", st.keys},
      {"keys.bytes-per-key", st.keys == 0 ? 0 : used / st.keys},
      {"dataset.bytes", used},
  };
  const std::pair<const char*, double> ratios[] = {
      {"dataset.percentage", used == 0 ? 0.0 : 100.0},
      {"peak.percentage", peak == 0 ? 0.0 : 100.0 * static_cast<double>(used) / peak},
      {"fragmentation", used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used)},
  };
  ctx.reply.MapHeader(std::size(ints) + std::size(ratios));
  for (const auto& [name, v] : ints) {
    ctx.reply.Bulk(name);
    ctx.reply.Integer(static_cast<int64_t>(v));
  }
  for (const auto& [name, v] : ratios) {
    ctx.reply.Bulk(name);
    ctx.reply.Double(v);
  }
}

void MemoryHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("memory")); }

// ---- WAIT, WAITAOF ----

namespace {

// Redis's timeout argument: milliseconds, 0 = forever. False with the error
// replied.
bool ParseTimeout(CommandContext& ctx, std::string_view arg, int64_t* ms) {
  if (!ParseInt64(arg, ms)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return false;
  }
  if (*ms < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  return true;
}

}  // namespace

// WAIT numreplicas timeout: a kvstore server has no replicas, so no number of
// them can ever acknowledge; the answer (0) is known at once and given
// without waiting for the timeout.
void WaitCommand(CommandContext& ctx) {
  int64_t replicas = 0, timeout = 0;
  if (!ParseInt64(ctx.argv[1], &replicas)) return ctx.reply.Error(kNotIntegerError);
  if (!ParseTimeout(ctx, ctx.argv[2], &timeout)) return;
  ctx.reply.Integer(0);
}

// WAITAOF numlocal numreplicas timeout (Redis 7.2): [local, replicas] that
// have this client's writes on stable storage. numlocal 1 makes the WAL's
// fdatasync cover the client's last write (KvStore::wait_durable: it syncs
// in every appendfsync mode, and shares the fdatasync with concurrent
// writers), so it answers 1 as soon as that is done; the WAL is always on.
// There are no replicas: the second element is always 0, and it is known at
// once, so numreplicas > 0 answers without waiting for the timeout.
void WaitaofCommand(CommandContext& ctx) {
  int64_t local = 0, replicas = 0, timeout = 0;
  if (!ParseInt64(ctx.argv[1], &local)) return ctx.reply.Error(kNotIntegerError);
  if (local < 0 || local > 1) {
    return ctx.reply.Error("ERR value is out of range, value must between 0 and 1");
  }
  if (!ParseInt64(ctx.argv[2], &replicas)) return ctx.reply.Error(kNotIntegerError);
  if (replicas < 0) return ctx.reply.Error("ERR value is out of range, must be positive");
  if (!ParseTimeout(ctx, ctx.argv[3], &timeout)) return;
  const uint64_t seq = ctx.client.last_write_seq;
  if (local == 1 && seq != 0) {
    if (auto r = ctx.server.store->wait_durable(seq); !r) return ReplyStoreError(ctx, r.error());
  }
  // As Redis, the first element is whether the writes are durable, whatever
  // numlocal asked for.
  const int64_t synced = ctx.server.store->durable_sequence() >= seq ? 1 : 0;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(synced);
  ctx.reply.Integer(0);
}

}  // namespace kvstore::server

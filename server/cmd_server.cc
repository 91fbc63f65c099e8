// Copyright (c) the kvstore developers.
//
// Server administration (Redis's server.c and rdb.c parts): COMMAND and its
// subcommands (answered from the command table), SAVE, BGSAVE, LASTSAVE,
// TIME, SHUTDOWN. INFO is in info.cc, CONFIG in cmd_config.cc.

#include <sys/time.h>

#include <string>
#include <thread>
#include <vector>

#include "command_handlers.h"
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
  if (group == "string") cats.push_back("@string");
  if (group == "bitmap") cats.push_back("@bitmap");
  if (c.flags & kAdmin) cats.push_back("@admin");
  cats.push_back((c.flags & kFast) ? "@fast" : "@slow");
  if (c.flags & kAdmin) cats.push_back("@dangerous");
  if (group == "connection") cats.push_back("@connection");
  if (group == "transactions") cats.push_back("@transaction");
  return cats;
}

void CommandInfoEntry(CommandContext& ctx, const CommandSpec& c) {
  static constexpr std::pair<uint32_t, const char*> kFlagNames[] = {
      {kWrite, "write"},        {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},    {kAdmin, "admin"},
      {kNoScript, "noscript"},  {kLoading, "loading"},
      {kStale, "stale"},        {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},     {kNoAsyncLoading, "no_async_loading"},
      {kNoMulti, "no_multi"},   {kAllowBusy, "allow_busy"},
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
// positions.
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
  if (c->first_key == 0) return ctx.reply.Error("ERR The command has no key arguments");
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
  ctx.client.close_after_reply = true;
  ctx.server.RequestShutdown(mode);
}

}  // namespace kvstore::server

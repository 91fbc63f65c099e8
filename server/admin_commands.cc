// Copyright (c) the kvstore developers.
//
// Connection and server commands: AUTH, HELLO, SELECT, QUIT, CLIENT, CONFIG,
// INFO, COMMAND, DBSIZE, FLUSHDB/FLUSHALL, SAVE, BGSAVE, LASTSAVE, TIME,
// SHUTDOWN. Reply and error texts are Redis 7's.

#include <sys/time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "common/glob.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kSyntax[] = "ERR syntax error";
constexpr char kWrongPass[] = "WRONGPASS invalid username-password pair or user is disabled.";

void UnknownSubcommand(CommandContext& ctx, std::string_view container) {
  std::string msg = "ERR unknown subcommand '";
  msg.append(ctx.argv[1].substr(0, 128));
  msg.append("'. Try ");
  msg.append(container);
  msg.append(" HELP.");
  ctx.reply.Error(msg);
}

}  // namespace

// ---- connection ----

void AuthCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) return ctx.reply.Error(kSyntax);
  const std::string_view user = ctx.argv.size() == 3 ? ctx.argv[1] : "default";
  const std::string_view pass = ctx.argv.back();
  if (!ctx.server.auth_required.load()) {
    if (ctx.argv.size() == 2) {
      return ctx.reply.Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
    }
    // The default user has no password: any password is accepted for it.
    if (user != "default") return ctx.reply.Error(kWrongPass);
    ctx.client.authenticated = true;
    return ctx.reply.Ok();
  }
  if (!ctx.server.CheckPassword(user, pass)) return ctx.reply.Error(kWrongPass);
  ctx.client.authenticated = true;
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void SetClientName(CommandContext& ctx, std::string_view name) {
  std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
  ctx.client.name.assign(name);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void HelloCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  int64_t ver = 0;
  if (a.size() >= 2) {
    if (!ParseInt64(a[1], &ver)) {
      return ctx.reply.Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver < 2 || ver > 3) return ctx.reply.Error("NOPROTO unsupported protocol version");
  }
  std::string_view user, pass, name;
  bool have_auth = false, have_name = false;
  for (std::size_t i = 2; i < a.size(); ++i) {
    const bool more = a.size() - i - 1;
    if (EqualsIgnoreCase(a[i], "AUTH") && a.size() - i - 1 >= 2) {
      user = a[i + 1];
      pass = a[i + 2];
      have_auth = true;
      i += 2;
    } else if (EqualsIgnoreCase(a[i], "SETNAME") && more) {
      name = a[++i];
      have_name = true;
    } else {
      return ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(a[i]) + "'");
    }
  }
  if (have_auth) {
    const bool ok =
        ctx.server.auth_required.load() ? ctx.server.CheckPassword(user, pass) : user == "default";
    if (!ok) return ctx.reply.Error(kWrongPass);
    ctx.client.authenticated = true;
  }
  if (!ctx.client.authenticated && ctx.server.auth_required.load()) {
    return ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (have_name) {
    if (!ValidClientName(name)) {
      return ctx.reply.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    SetClientName(ctx, name);
  }
  if (ver != 0) {
    ctx.client.protocol.store(static_cast<int>(ver));
    ctx.reply.set_protocol(static_cast<int>(ver));
  }
  // Clients look at "server" and "version"; we answer as the Redis version
  // whose commands and texts we follow, and name ourselves in an extra field.
  ctx.reply.MapHeader(8);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk("7.0.0");
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.reply.protocol());
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
  ctx.reply.Bulk("kvstore_version");
  ctx.reply.Bulk(KVSTORE_SERVER_VERSION);
}

void SelectCommand(CommandContext& ctx) {
  int64_t db = 0;
  if (!ParseInt64(ctx.argv[1], &db)) {
    return ctx.reply.Error("ERR value is not an integer or out of range");
  }
  if (db != 0) return ctx.reply.Error("ERR DB index is out of range");
  ctx.reply.Ok();
}

void QuitCommand(CommandContext& ctx) {
  ctx.client.close_after_reply = true;
  ctx.reply.Ok();
}

// One CLIENT LIST line (Redis's field names; fields we have no notion of are
// left out). REQUIRES: s.clients_mu is held.
std::string ClientLine(ServerState& s, const ClientInfo& c) {
  const int64_t now = NowMs();
  const int cmd = c.last_command.load(std::memory_order_relaxed);
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "id=%" PRIu64 " addr=%s laddr=%s fd=%d name=%s age=%" PRId64 " idle=%" PRId64
                " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=%s user=default resp=%d\n",
                c.id, c.addr.c_str(), c.laddr.c_str(), c.fd, c.name.c_str(),
                (now - c.created_ms) / 1000,
                (now - c.last_active_ms.load(std::memory_order_relaxed)) / 1000,
                cmd >= 0 ? Commands()[static_cast<std::size_t>(cmd)].name : "NULL",
                c.protocol.load(std::memory_order_relaxed));
  (void)s;
  return buf;
}

// CLIENT ID | GETNAME | SETNAME name | LIST | INFO | SETINFO attr value | HELP
void ClientCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  const std::string_view sub = a[1];
  auto arity = [&](std::size_t n, const char* full) {
    if (a.size() != n) {
      ReplyArity(ctx, full);
      return false;
    }
    return true;
  };
  if (EqualsIgnoreCase(sub, "ID")) {
    if (arity(2, "client|id")) ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  } else if (EqualsIgnoreCase(sub, "GETNAME")) {
    if (!arity(2, "client|getname")) return;
    std::string name;
    {
      std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
      name = ctx.client.name;
    }
    if (name.empty()) return ctx.reply.Null();
    ctx.reply.Bulk(name);
  } else if (EqualsIgnoreCase(sub, "SETNAME")) {
    if (!arity(3, "client|setname")) return;
    if (!ValidClientName(a[2])) {
      return ctx.reply.Error(
          "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    SetClientName(ctx, a[2]);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(sub, "SETINFO")) {
    if (!arity(4, "client|setinfo")) return;
    if (!EqualsIgnoreCase(a[2], "LIB-NAME") && !EqualsIgnoreCase(a[2], "LIB-VER")) {
      return ctx.reply.Error("ERR Unrecognized option '" + std::string(a[2]) + "'");
    }
    ctx.reply.Ok();  // accepted and not kept: nothing here reports it
  } else if (EqualsIgnoreCase(sub, "LIST") || EqualsIgnoreCase(sub, "INFO")) {
    const bool info = EqualsIgnoreCase(sub, "INFO");
    if (info && !arity(2, "client|info")) return;
    if (!info && a.size() != 2 && !(a.size() == 4 && EqualsIgnoreCase(a[2], "TYPE"))) {
      return ctx.reply.Error(kSyntax);
    }
    std::string out;
    {
      std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
      if (info) {
        out = ClientLine(ctx.server, ctx.client);
      } else if (a.size() == 2 || EqualsIgnoreCase(a[3], "normal")) {
        for (const auto& [id, c] : ctx.server.clients) out += ClientLine(ctx.server, *c);
      }
    }
    ctx.reply.Verbatim(out);
  } else if (EqualsIgnoreCase(sub, "HELP")) {
    static const char* const kHelp[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [TYPE normal]",
        "    Return information about client connections.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Accepted for client libraries; not kept.",
        "HELP",
        "    Print this help."};
    ctx.reply.ArrayHeader(std::size(kHelp));
    for (const char* line : kHelp) ctx.reply.Simple(line);
  } else {
    UnknownSubcommand(ctx, "CLIENT");
  }
}

// ---- CONFIG ----

namespace {

struct ConfigParam {
  const char* name;
  bool mutable_at_runtime;
};

// The parameters CONFIG GET knows. Only maxclients, requirepass and timeout
// can change at runtime; the rest describe the running server (the store's
// sync mode, the listeners and the parser limits are fixed at start).
constexpr ConfigParam kParams[] = {
    {"bind", false},
    {"port", false},
    {"dir", false},
    {"appendonly", false},
    {"appendfsync", false},
    {"save", false},
    {"maxclients", true},
    {"requirepass", true},
    {"timeout", true},
    {"databases", false},
    {"maxmemory", false},
    {"maxmemory-policy", false},
    {"io-threads", false},
    {"proto-max-bulk-len", false},
    {"client-query-buffer-limit", false},
    {"protected-mode", false},
    {"daemonize", false},
    {"loglevel", false},
    {"tcp-keepalive", false},
};

std::string SaveString(const ServerState& s) {
  (void)s;
  // The store's default policy (kvstore::CheckpointPolicy::after_changes),
  // which the server uses unchanged.
  std::string out;
  for (const auto& [secs, changes] : CheckpointPolicy{}.after_changes) {
    if (!out.empty()) out += ' ';
    out += std::to_string(secs.count()) + " " + std::to_string(changes);
  }
  return out;
}

std::string ParamValue(ServerState& s, std::string_view name) {
  const Config& c = s.config;
  if (name == "bind") {
    std::string out;
    for (const auto& b : c.bind) out += (out.empty() ? "" : " ") + b;
    return out;
  }
  if (name == "port") return std::to_string(c.port);
  if (name == "dir") return c.dir;
  if (name == "appendonly") return "yes";  // the WAL is always on
  if (name == "appendfsync") return c.sync;
  if (name == "save") return SaveString(s);
  if (name == "maxclients") return std::to_string(s.maxclients.load());
  if (name == "requirepass") {
    std::lock_guard<std::mutex> lock(s.auth_mu);
    return s.requirepass;
  }
  if (name == "timeout") return std::to_string(s.timeout.load());
  if (name == "databases") return "1";
  if (name == "maxmemory") return "0";
  if (name == "maxmemory-policy") return "noeviction";
  if (name == "io-threads") return std::to_string(c.threads);
  if (name == "proto-max-bulk-len") return std::to_string(c.proto_max_bulk_len);
  if (name == "client-query-buffer-limit") return std::to_string(c.client_query_buffer_limit);
  if (name == "protected-mode") return "no";
  if (name == "daemonize") return "no";
  if (name == "loglevel") return c.log_level;
  if (name == "tcp-keepalive") return "0";
  return "";
}

const ConfigParam* FindParam(std::string_view name) {
  for (const auto& p : kParams) {
    if (EqualsIgnoreCase(name, p.name)) return &p;
  }
  return nullptr;
}

void ConfigGet(CommandContext& ctx) {
  if (ctx.argv.size() < 3) return ReplyArity(ctx, "config|get");
  std::vector<const ConfigParam*> found;
  for (const auto& p : kParams) {
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if (common::GlobMatch(ctx.argv[i], p.name, /*nocase=*/true)) {
        found.push_back(&p);
        break;
      }
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const auto* p : found) {
    ctx.reply.Bulk(p->name);
    ctx.reply.Bulk(ParamValue(ctx.server, p->name));
  }
}

// Applies one mutable parameter; returns an error text or "".
std::string ApplyParam(ServerState& s, std::string_view name, std::string_view value) {
  const std::string prefix =
      "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - ";
  if (name == "requirepass") {
    std::lock_guard<std::mutex> lock(s.auth_mu);
    s.requirepass.assign(value);
    s.auth_required.store(!value.empty());
    return "";
  }
  int64_t v = 0;
  if (!ParseInt64(value, &v)) return prefix + "argument couldn't be parsed into an integer";
  if (name == "maxclients") {
    if (v < 1 || v > (1 << 20)) return prefix + "argument must be between 1 and 1048576 inclusive";
    s.maxclients.store(static_cast<uint64_t>(v));
  } else if (name == "timeout") {
    if (v < 0 || v > INT32_MAX)
      return prefix + "argument must be between 0 and 2147483647 inclusive";
    s.timeout.store(v);
  }
  return "";
}

void ConfigSet(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() < 4) return ReplyArity(ctx, "config|set");
  if (a.size() % 2 != 0) return ctx.reply.Error(kSyntax);
  // Validate every pair before applying any, as Redis 7 does.
  for (std::size_t i = 2; i < a.size(); i += 2) {
    const ConfigParam* p = FindParam(a[i]);
    if (p == nullptr) {
      return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                             std::string(a[i]) + "'");
    }
    if (!p->mutable_at_runtime) {
      return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                             std::string(a[i]) + "') - can't set immutable config");
    }
    int64_t v = 0;
    if (std::string_view(p->name) != "requirepass" && !ParseInt64(a[i + 1], &v)) {
      return ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                             std::string(p->name) +
                             "') - argument couldn't be parsed into an integer");
    }
  }
  for (std::size_t i = 2; i < a.size(); i += 2) {
    const std::string err = ApplyParam(ctx.server, FindParam(a[i])->name, a[i + 1]);
    if (!err.empty()) return ctx.reply.Error(err);
  }
  ctx.reply.Ok();
}

}  // namespace

void ConfigCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.argv[1];
  if (EqualsIgnoreCase(sub, "GET")) return ConfigGet(ctx);
  if (EqualsIgnoreCase(sub, "SET")) return ConfigSet(ctx);
  if (EqualsIgnoreCase(sub, "RESETSTAT")) {
    if (ctx.argv.size() != 2) return ReplyArity(ctx, "config|resetstat");
    // The counters belong to their threads; a baseline resets them for INFO.
    ctx.server.ResetCommandStats();
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "HELP")) {
    static const char* const kHelp[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "HELP",
        "    Print this help."};
    ctx.reply.ArrayHeader(std::size(kHelp));
    for (const char* line : kHelp) ctx.reply.Simple(line);
    return;
  }
  UnknownSubcommand(ctx, "CONFIG");
}

// ---- COMMAND ----

namespace {

void CommandInfoEntry(CommandContext& ctx, const CommandSpec& c) {
  ctx.reply.ArrayHeader(10);
  ctx.reply.Bulk(c.name);
  ctx.reply.Integer(c.arity);
  std::vector<const char*> flags;
  if (c.flags & kWrite) flags.push_back("write");
  if (c.flags & kReadOnly) flags.push_back("readonly");
  if (c.flags & kAdmin) flags.push_back("admin");
  if (c.flags & kFast) flags.push_back("fast");
  if (c.flags & kNoAuth) flags.push_back("no_auth");
  ctx.reply.ArrayHeader(flags.size());
  for (const char* f : flags) ctx.reply.Simple(f);
  ctx.reply.Integer(c.first_key);
  ctx.reply.Integer(c.last_key);
  ctx.reply.Integer(c.key_step);
  ctx.reply.ArrayHeader(0);  // ACL categories
  ctx.reply.ArrayHeader(0);  // tips
  ctx.reply.ArrayHeader(0);  // key specs
  ctx.reply.ArrayHeader(0);  // subcommands
}

void CommandDocsEntry(CommandContext& ctx, const CommandSpec& c) {
  ctx.reply.Bulk(c.name);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("summary");
  ctx.reply.Bulk(c.summary);
  ctx.reply.Bulk("group");
  ctx.reply.Bulk(c.group);
}

}  // namespace

// COMMAND | COMMAND COUNT | COMMAND INFO [name...] | COMMAND DOCS [name...]
// | COMMAND LIST
void CommandCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  const auto all = Commands();
  if (a.size() == 1) {
    ctx.reply.ArrayHeader(all.size());
    for (const auto& c : all) CommandInfoEntry(ctx, c);
    return;
  }
  const std::string_view sub = a[1];
  if (EqualsIgnoreCase(sub, "COUNT")) {
    if (a.size() != 2) return ReplyArity(ctx, "command|count");
    return ctx.reply.Integer(static_cast<int64_t>(all.size()));
  }
  if (EqualsIgnoreCase(sub, "LIST")) {
    ctx.reply.ArrayHeader(all.size());
    for (const auto& c : all) ctx.reply.Bulk(c.name);
    return;
  }
  if (EqualsIgnoreCase(sub, "INFO")) {
    if (a.size() == 2) {
      ctx.reply.ArrayHeader(all.size());
      for (const auto& c : all) CommandInfoEntry(ctx, c);
      return;
    }
    ctx.reply.ArrayHeader(a.size() - 2);
    for (std::size_t i = 2; i < a.size(); ++i) {
      const CommandSpec* c = LookupCommand(a[i]);
      if (c != nullptr) {
        CommandInfoEntry(ctx, *c);
      } else {
        ctx.reply.NullArray();
      }
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "DOCS")) {
    std::vector<const CommandSpec*> docs;
    if (a.size() == 2) {
      for (const auto& c : all) docs.push_back(&c);
    } else {
      for (std::size_t i = 2; i < a.size(); ++i) {
        if (const CommandSpec* c = LookupCommand(a[i])) docs.push_back(c);
      }
    }
    ctx.reply.MapHeader(docs.size());
    for (const auto* c : docs) CommandDocsEntry(ctx, *c);
    return;
  }
  UnknownSubcommand(ctx, "COMMAND");
}

// ---- keyspace-wide and persistence ----

void DbsizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.store->size()));
}

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: one clear() either way (it is one WAL
// record and quick).
void FlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "ASYNC") &&
                              !EqualsIgnoreCase(ctx.argv[1], "SYNC"))) {
    return ctx.reply.Error(kSyntax);
  }
  auto r = ctx.server.store->clear();
  if (!r) return (void)ReplyStoreError(ctx, r.error());
  ctx.reply.Ok();
}

void SaveCommand(CommandContext& ctx) {
  if (ctx.server.bgsave_running.load()) {
    return ctx.reply.Error("ERR Background save already in progress");
  }
  auto r = ctx.server.store->checkpoint();
  if (!r) return (void)ReplyStoreError(ctx, r.error());
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]: KvStore::checkpoint() on a thread of its own; the
// store's writers keep running meanwhile.
void BgsaveCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "SCHEDULE"))) {
    return ctx.reply.Error(kSyntax);
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
      return ctx.reply.Error(kSyntax);
    }
  }
  ctx.client.close_after_reply = true;
  ctx.server.RequestShutdown(mode);
}

}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// Connection commands (Redis's networking.c and server.c parts): PING,
// ECHO, QUIT, AUTH, HELLO, SELECT and CLIENT's subcommands. Reply and error
// texts are Redis 7's.

#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <string>

#include "command_handlers.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kWrongPass[] = "WRONGPASS invalid username-password pair or user is disabled.";
constexpr char kBadClientName[] =
    "ERR Client names cannot contain spaces, newlines or special characters.";

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

// One CLIENT LIST line (Redis's field names; fields we have no notion of are
// left out). REQUIRES: s.clients_mu is held.
std::string ClientLine(const ClientInfo& c) {
  const int64_t now = NowMs();
  const int cmd = c.last_command.load(std::memory_order_relaxed);
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "id=%" PRIu64 " addr=%s laddr=%s fd=%d name=%s age=%" PRId64 " idle=%" PRId64
                " flags=%s db=0 sub=%zu psub=%zu ssub=%zu multi=-1 cmd=%s user=default resp=%d\n",
                c.id, c.addr.c_str(), c.laddr.c_str(), c.fd, c.name.c_str(),
                (now - c.created_ms) / 1000,
                (now - c.last_active_ms.load(std::memory_order_relaxed)) / 1000,
                c.pubsub.subscribed() ? "P" : "N", c.pubsub.count(PubSubKind::kChannel),
                c.pubsub.count(PubSubKind::kPattern), c.pubsub.count(PubSubKind::kShard),
                cmd >= 0 ? FullName(StatSlotSpec(static_cast<std::size_t>(cmd))).c_str() : "NULL",
                c.protocol.load(std::memory_order_relaxed));
  return buf;
}

}  // namespace

void PingCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2) return ReplyArity(ctx, *LookupCommand("ping"));
  // RESP2 subscribed mode: a pong "message", as Redis.
  if (ctx.client.pubsub.subscribed() && ctx.reply.protocol() == 2) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    return ctx.reply.Bulk(ctx.argv.size() == 2 ? ctx.argv[1] : "");
  }
  if (ctx.argv.size() == 2) return ctx.reply.Bulk(ctx.argv[1]);
  ctx.reply.Simple("PONG");
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.argv[1]); }

void AuthCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) return ctx.reply.Error(kSyntaxError);
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
      return ctx.reply.Error(kBadClientName);
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
  ctx.reply.Bulk(kRedisVersion);
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
    return ctx.reply.Error(kNotIntegerError);
  }
  if (db != 0) return ctx.reply.Error("ERR DB index is out of range");
  ctx.reply.Ok();
}

void QuitCommand(CommandContext& ctx) {
  ctx.client.close_after_reply = true;
  ctx.reply.Ok();
}

// RESET: the connection as a new one would be (Redis's
// clearClientConnectionState): no transaction, no watched keys, no
// subscriptions, RESP2, no name, and not authenticated if a password is set.
void ResetCommand(CommandContext& ctx) {
  ClientInfo& c = ctx.client;
  c.multi = MultiState{};
  ctx.server.watches.UnwatchAll(&c);
  ctx.server.pubsub.UnsubscribeAll(&c.pubsub);
  TakeOwnMessages(ctx);
  c.protocol.store(2);
  ctx.reply.set_protocol(2);
  SetClientName(ctx, "");
  c.authenticated = !ctx.server.auth_required.load();
  ctx.reply.Simple("RESET");
}


// ---- CLIENT subcommands ----

void ClientIdCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
}

void ClientGetnameCommand(CommandContext& ctx) {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
    name = ctx.client.name;
  }
  if (name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(name);
}

void ClientSetnameCommand(CommandContext& ctx) {
  if (!ValidClientName(ctx.argv[2])) return ctx.reply.Error(kBadClientName);
  SetClientName(ctx, ctx.argv[2]);
  ctx.reply.Ok();
}

// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered (the dispatcher
// discards replies while they hold); ON answers OK.
void ClientReplyCommand(CommandContext& ctx) {
  const std::string_view mode = ctx.argv[2];
  if (EqualsIgnoreCase(mode, "ON")) {
    ctx.client.reply_off = false;
    ctx.client.reply_skip = false;
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(mode, "OFF")) {
    ctx.client.reply_off = true;
  } else if (EqualsIgnoreCase(mode, "SKIP")) {
    if (!ctx.client.reply_off) ctx.client.reply_skip = true;
  } else {
    return ctx.reply.Error(kSyntaxError);
  }
  ctx.reply.Discard();
}

// CLIENT SETINFO <LIB-NAME|LIB-VER> <value>: accepted and not kept, nothing
// here reports it.
void ClientSetinfoCommand(CommandContext& ctx) {
  if (!EqualsIgnoreCase(ctx.argv[2], "LIB-NAME") && !EqualsIgnoreCase(ctx.argv[2], "LIB-VER")) {
    return ctx.reply.Error("ERR Unrecognized option '" + std::string(ctx.argv[2]) + "'");
  }
  ctx.reply.Ok();
}

// CLIENT LIST [TYPE normal|pubsub|master|replica]: a client with a
// subscription is of type pubsub, every other one normal, as in Redis.
void ClientListCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() != 2 && !(a.size() == 4 && EqualsIgnoreCase(a[2], "TYPE"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  const bool all = a.size() == 2;
  const bool normal = !all && EqualsIgnoreCase(a[3], "normal");
  const bool pubsub = !all && EqualsIgnoreCase(a[3], "pubsub");
  if (!all && !normal && !pubsub && !EqualsIgnoreCase(a[3], "master") &&
      !EqualsIgnoreCase(a[3], "replica") && !EqualsIgnoreCase(a[3], "slave")) {
    return ctx.reply.Error("ERR Unknown client type '" + std::string(a[3]) + "'");
  }
  std::string out;
  {
    std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
    for (const auto& [id, c] : ctx.server.clients) {
      const bool subscribed = c->pubsub.subscribed();
      if (all || (normal && !subscribed) || (pubsub && subscribed)) out += ClientLine(*c);
    }
  }
  ctx.reply.Verbatim(out);
}

void ClientInfoCommand(CommandContext& ctx) {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(ctx.server.clients_mu);
    out = ClientLine(ctx.client);
  }
  ctx.reply.Verbatim(out);
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends a blocking command's wait
// (blocking.h), on whichever thread the client is.
void ClientUnblockCommand(CommandContext& ctx) {
  Waiter::End why = Waiter::End::kTimeout;
  if (ctx.argv.size() == 4) {
    if (EqualsIgnoreCase(ctx.argv[3], "error")) {
      why = Waiter::End::kUnblockError;
    } else if (!EqualsIgnoreCase(ctx.argv[3], "timeout")) {
      return ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.argv.size() > 4) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
  }
  int64_t id = 0;
  if (!ParseInt64(ctx.argv[2], &id)) return ctx.reply.Error(kNotIntegerError);
  ctx.reply.Integer(id > 0 && ctx.server.blocking.Unblock(static_cast<uint64_t>(id), why) ? 1 : 0);
}

void ClientHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("client")); }

}  // namespace kvstore::server

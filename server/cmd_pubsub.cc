// Copyright (c) the kvstore developers.
//
// Pub/sub commands (Redis's pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
// PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB's
// subcommands, plus the RESP2 subscribed-mode rule the dispatcher applies.
// Thin handlers over the registry in pubsub.h; replies are Redis 7's.

#include <string>

#include "command_handlers.h"
#include "pubsub.h"

namespace kvstore::server {

namespace {

// The names each kind's commands use in their replies.
struct KindNames {
  const char* subscribe;
  const char* unsubscribe;
};
constexpr KindNames kNames[kPubSubKinds] = {
    {"subscribe", "unsubscribe"}, {"psubscribe", "punsubscribe"}, {"ssubscribe", "sunsubscribe"}};

// The count a (un)subscribe confirmation carries: channels plus patterns,
// or shard channels alone (Redis 7.0).
int64_t ConfirmationCount(const PubSubClient& c, PubSubKind kind) {
  return static_cast<int64_t>(kind == PubSubKind::kShard ? c.count(PubSubKind::kShard)
                                                         : c.channels_and_patterns());
}

// [kind, name, count] as an array (RESP2) or a push (RESP3); name may be
// null (an UNSUBSCRIBE with nothing to unsubscribe).
// Sent even under CLIENT REPLY OFF (as Redis's pushes are, in RESP2 too).
void Confirm(CommandContext& ctx, const char* what, const std::string_view* name, PubSubKind kind) {
  const bool push = ctx.reply.protocol() == 3;
  const bool silenced = ctx.reply.discarding();
  if (silenced) ctx.reply.Resume();
  ctx.reply.Raw(push ? ">3\r\n" : "*3\r\n");
  ctx.reply.Bulk(what);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(ConfirmationCount(ctx.client.pubsub, kind));
  if (silenced) ctx.reply.Discard();
}

void SubscribeGeneric(CommandContext& ctx, PubSubKind kind) {
  TakeOwnMessages(ctx);
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    ctx.server.pubsub.Subscribe(&ctx.client.pubsub, kind, ctx.argv[i]);
    Confirm(ctx, kNames[static_cast<int>(kind)].subscribe, &ctx.argv[i], kind);
  }
}

void UnsubscribeGeneric(CommandContext& ctx, PubSubKind kind) {
  TakeOwnMessages(ctx);
  const char* what = kNames[static_cast<int>(kind)].unsubscribe;
  if (ctx.argv.size() > 1) {
    for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
      ctx.server.pubsub.Unsubscribe(&ctx.client.pubsub, kind, ctx.argv[i]);
      Confirm(ctx, what, &ctx.argv[i], kind);
    }
    return;
  }
  // No arguments: every subscription of the kind, one reply each, or one
  // reply with a null name when there is none.
  const std::vector<std::string> names = ctx.client.pubsub.Names(kind);
  for (const std::string& name : names) {
    ctx.server.pubsub.Unsubscribe(&ctx.client.pubsub, kind, name);
    const std::string_view view(name);
    Confirm(ctx, what, &view, kind);
  }
  if (names.empty()) Confirm(ctx, what, nullptr, kind);
}

void PublishGeneric(CommandContext& ctx, PubSubKind kind) {
  const int64_t receivers = ctx.server.pubsub.Publish(kind, ctx.argv[1], ctx.argv[2]);
  TakeOwnMessages(ctx);  // a subscriber publishing to itself sees the message first
  ctx.reply.Integer(receivers);
}

void ChannelsGeneric(CommandContext& ctx, PubSubKind kind) {
  if (ctx.argv.size() > 3) {
    return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                           std::string(ctx.argv[1]) + "'. Try PUBSUB HELP.");
  }
  const std::string_view* pattern = ctx.argv.size() == 3 ? &ctx.argv[2] : nullptr;
  const std::vector<std::string> names = ctx.server.pubsub.Channels(kind, pattern);
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& name : names) ctx.reply.Bulk(name);
}

void NumsubGeneric(CommandContext& ctx, PubSubKind kind) {
  // A flat array (channel, count, ...) in RESP3 too, as Redis 7.0.
  ctx.reply.ArrayHeader(2 * (ctx.argv.size() - 2));
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    ctx.reply.Bulk(ctx.argv[i]);
    ctx.reply.Integer(ctx.server.pubsub.NumSub(kind, ctx.argv[i]));
  }
}

}  // namespace

// Not inside EXEC or a script, whose replies are framed apart; there the
// loop delivers them right after.
void TakeOwnMessages(CommandContext& ctx) {
  if (ctx.tx != nullptr) return;
  std::string pending;
  if (ctx.client.pubsub.TakeMessages(&pending)) ctx.reply.Raw(pending);
}

void SubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kChannel); }
void PsubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kPattern); }
void SsubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, PubSubKind::kShard); }
void UnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kChannel); }
void PunsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kPattern); }
void SunsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSubKind::kShard); }
void PublishCommand(CommandContext& ctx) { PublishGeneric(ctx, PubSubKind::kChannel); }
void SpublishCommand(CommandContext& ctx) { PublishGeneric(ctx, PubSubKind::kShard); }

void PubsubChannelsCommand(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kChannel); }
void PubsubShardchannelsCommand(CommandContext& ctx) { ChannelsGeneric(ctx, PubSubKind::kShard); }
void PubsubNumsubCommand(CommandContext& ctx) { NumsubGeneric(ctx, PubSubKind::kChannel); }
void PubsubShardnumsubCommand(CommandContext& ctx) { NumsubGeneric(ctx, PubSubKind::kShard); }

void PubsubNumpatCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub.Size(PubSubKind::kPattern)));
}

void PubsubHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("pubsub")); }

bool RefusedInSubscribedMode(CommandContext& ctx, const CommandSpec& top, const CommandSpec& cmd) {
  if (!ctx.client.pubsub.subscribed() || ctx.client.protocol.load() != 2) return false;
  const CommandHandler h = top.handler;
  if (h == PingCommand || h == SubscribeCommand || h == SsubscribeCommand ||
      h == UnsubscribeCommand || h == SunsubscribeCommand || h == PsubscribeCommand ||
      h == PunsubscribeCommand || h == QuitCommand || h == ResetCommand) {
    return false;
  }
  ctx.reply.Error("ERR Can't execute '" + FullName(cmd) +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
                  "in this context");
  return true;
}

}  // namespace kvstore::server

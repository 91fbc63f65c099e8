// Copyright (c) the kvstore developers.
//
// CONFIG's subcommands: GET (globs over the parameter table, names and
// aliases), SET (several parameters at once, all or none, as Redis 7),
// RESETSTAT and HELP. The parameters are data in config_params.cc.

#include <string>
#include <vector>

#include "command_handlers.h"
#include "config_params.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

std::string SetFailed(std::string_view name, std::string_view reason) {
  std::string msg = "ERR CONFIG SET failed (possibly related to argument '";
  msg.append(name);
  msg.append("') - ");
  msg.append(reason);
  return msg;
}

}  // namespace

// CONFIG GET pattern [pattern ...]: every parameter whose name (or alias)
// matches any pattern, once, under the name that matched.
void ConfigGetCommand(CommandContext& ctx) {
  std::vector<std::pair<const char*, const ConfigParam*>> found;
  auto matches = [&](const char* name) {
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if (GlobMatch(ctx.argv[i], name, /*nocase=*/true)) return true;
    }
    return false;
  };
  for (const auto& p : ConfigParams()) {
    if (matches(p.name)) found.emplace_back(p.name, &p);
    if (p.alias != nullptr && matches(p.alias)) found.emplace_back(p.alias, &p);
  }
  ctx.reply.MapHeader(found.size());
  for (const auto& [name, p] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(p->get(ctx.server));
  }
}

// CONFIG SET name value [name value ...]: every pair is checked (known,
// mutable, not named twice, a valid value) before any is applied, so either
// all change or none does.
void ConfigSetCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() % 2 != 0) return ctx.reply.Error(kSyntaxError);
  std::vector<const ConfigParam*> params;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    const ConfigParam* p = FindConfigParam(a[i]);
    if (p == nullptr) {
      return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                             std::string(a[i]) + "'");
    }
    if (!p->mutable_at_runtime()) return ctx.reply.Error(SetFailed(a[i], "can't set immutable config"));
    for (const ConfigParam* seen : params) {
      if (seen == p) return ctx.reply.Error(SetFailed(a[i], "duplicate parameter"));
    }
    if (const std::string why = ValidateConfigValue(*p, a[i + 1]); !why.empty()) {
      return ctx.reply.Error(SetFailed(a[i], why));
    }
    params.push_back(p);
  }
  for (std::size_t i = 0; i < params.size(); ++i) params[i]->apply(ctx.server, a[2 + 2 * i + 1]);
  ctx.reply.Ok();
}

// The counters belong to their threads; a baseline resets them for INFO.
void ConfigResetstatCommand(CommandContext& ctx) {
  ctx.server.ResetCommandStats();
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("config")); }

}  // namespace kvstore::server

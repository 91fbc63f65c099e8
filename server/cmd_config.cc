// Copyright (c) the kvstore developers.
//
// CONFIG's subcommands: GET (globs over the parameter table, names and
// aliases), SET (several parameters at once, all or none, as Redis 7),
// REWRITE, RESETSTAT and HELP. The parameters are data in config_params.cc.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "common/glob.h"
#include "config_params.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

// A config-file value: double-quoted when it is empty or holds blanks (the
// file reader strips one pair of quotes).
std::string FileValue(const std::string& v) {
  if (v.empty() || v.find_first_of(" \t") != std::string::npos) return '"' + v + '"';
  return v;
}

// The parameter a config-file line sets, or nullptr (comments, blank lines,
// options CONFIG does not know); *value is the line's value, unquoted.
const ConfigParam* LineParam(const std::string& line, std::string* value) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos || line[first] == '#') return nullptr;
  const auto end = line.find_first_of(" \t", first);
  value->clear();
  if (end != std::string::npos) {
    const auto v = line.find_first_not_of(" \t", end);
    if (v != std::string::npos) *value = line.substr(v);
    while (!value->empty() && (value->back() == ' ' || value->back() == '\r')) value->pop_back();
    if (value->size() >= 2 && value->front() == '"' && value->back() == '"') {
      *value = value->substr(1, value->size() - 2);
    }
  }
  return FindConfigParam(std::string_view(line).substr(first, end - first));
}

// Writes `text` to `path` atomically: a temporary file beside it, fsync,
// rename. Returns "" or the reason it failed.
std::string ReplaceFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return "cannot write '" + tmp + "'";
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return "cannot write '" + path + "'";
  }
  return "";
}

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
      const std::string_view pattern = ctx.argv[i];
      // As Redis 7: a pattern without glob characters is a plain name.
      const bool glob = pattern.find_first_of("*?[") != std::string_view::npos;
      if (glob ? common::GlobMatch(pattern, name, /*nocase=*/true)
               : EqualsIgnoreCase(pattern, name)) {
        return true;
      }
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
  // Applying can still fail (appendfsync's fdatasync): then the parameters
  // already changed get their old values back, as Redis restores them.
  std::vector<std::string> old_values;
  for (const ConfigParam* p : params) old_values.push_back(p->get(ctx.server));
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (const std::string why = params[i]->apply(ctx.server, a[2 + 2 * i + 1]); !why.empty()) {
      for (std::size_t j = 0; j < i; ++j) (void)params[j]->apply(ctx.server, old_values[j]);
      return ctx.reply.Error(SetFailed(a[2 + 2 * i], why));
    }
  }
  ctx.reply.Ok();
}

// CONFIG REWRITE: the config file the server started with gets the current
// value of every parameter CONFIG SET can change: the first line that sets
// one is kept if it already says that value, else rewritten in place (later
// ones are dropped), or the line is appended; a parameter changed back to
// its default gets no line (it needs none, and an empty requirepass could
// not be written). Comments and every other line
// are kept as they are.
void ConfigRewriteCommand(CommandContext& ctx) {
  const std::string& path = ctx.server.config.config_file;
  if (path.empty()) return ctx.reply.Error("ERR The server is running without a config file");
  // One rewrite at a time (two I/O threads could run one each).
  static std::mutex rewrite_mu;
  std::lock_guard<std::mutex> lock(rewrite_mu);
  std::ifstream in(path);
  if (!in) return ctx.reply.Error("ERR Rewriting config file: cannot read '" + path + "'");
  std::vector<const ConfigParam*> written;
  auto was_written = [&](const ConfigParam* p) {
    for (const ConfigParam* w : written) {
      if (w == p) return true;
    }
    return false;
  };
  std::string out, line, on_line;
  while (std::getline(in, line)) {
    const ConfigParam* p = LineParam(line, &on_line);
    if (p == nullptr || !p->mutable_at_runtime()) {
      out += line + "\n";
    } else if (!was_written(p) && on_line == p->get(ctx.server)) {
      out += line + "\n";  // already says what is in force: kept as written
      written.push_back(p);
    } else if (!was_written(p)) {
      if (const std::string v = p->get(ctx.server); v != p->default_value) {
        out += std::string(p->name) + " " + FileValue(v) + "\n";
      }
      written.push_back(p);
    }
  }
  for (const auto& p : ConfigParams()) {
    if (!p.mutable_at_runtime() || was_written(&p)) continue;
    const std::string v = p.get(ctx.server);
    if (v != p.default_value) out += std::string(p.name) + " " + FileValue(v) + "\n";
  }
  if (const std::string err = ReplaceFile(path, out); !err.empty()) {
    return ctx.reply.Error("ERR Rewriting config file: " + err);
  }
  ctx.reply.Ok();
}

// The counters belong to their threads; a baseline resets them for INFO.
void ConfigResetstatCommand(CommandContext& ctx) {
  ctx.server.ResetCommandStats();
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("config")); }

}  // namespace kvstore::server

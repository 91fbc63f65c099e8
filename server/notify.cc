// Copyright (c) the kvstore developers.
//
// Keyspace notifications; see notify.h.

#include "notify.h"

#include <string>

#include "command.h"
#include "server_state.h"

namespace kvstore::server {

uint32_t ParseNotifyFlags(std::string_view value) {
  uint32_t f = 0;
  for (char c : value) {
    switch (c) {
      case 'A':
        f |= kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
             kNotifyZSet | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule;
        break;
      case 'K': f |= kNotifyKeyspace; break;
      case 'E': f |= kNotifyKeyevent; break;
      case 'g': f |= kNotifyGeneric; break;
      case '$': f |= kNotifyString; break;
      case 'l': f |= kNotifyList; break;
      case 's': f |= kNotifySet; break;
      case 'h': f |= kNotifyHash; break;
      case 'z': f |= kNotifyZSet; break;
      case 'x': f |= kNotifyExpired; break;
      case 'e': f |= kNotifyEvicted; break;
      case 't': f |= kNotifyStream; break;
      case 'd': f |= kNotifyModule; break;
      case 'n': f |= kNotifyNew; break;
      case 'm': f |= kNotifyMiss; break;
      default: break;
    }
  }
  return f;
}

void Notify(ServerState& server, uint32_t cls, std::string_view event, std::string_view key) {
  const uint32_t flags = server.notify_flags.load(std::memory_order_relaxed);
  if ((flags & cls) == 0 || (flags & (kNotifyKeyspace | kNotifyKeyevent)) == 0) return;
  if (flags & kNotifyKeyspace) {
    std::string channel = "__keyspace@0__:";
    channel.append(key);
    server.pubsub.Publish(PubSubKind::kChannel, channel, event);
  }
  if (flags & kNotifyKeyevent) {
    std::string channel = "__keyevent@0__:";
    channel.append(event);
    server.pubsub.Publish(PubSubKind::kChannel, channel, key);
  }
}

CommandEvent EventOf(const CommandSpec& spec) {
  if ((spec.flags & kWrite) == 0) return {};
  const std::string_view group = spec.group;
  uint32_t cls = 0;
  if (group == "string" || group == "bitmap") cls = kNotifyString;
  else if (group == "list") cls = kNotifyList;
  else if (group == "set") cls = kNotifySet;
  else if (group == "hash") cls = kNotifyHash;
  else if (group == "sorted_set") cls = kNotifyZSet;
  else if (group == "generic") cls = kNotifyGeneric;
  else return {};
  // Redis's event names where they differ from the command's.
  static constexpr std::pair<std::string_view, std::string_view> kRenamed[] = {
      {"incr", "incrby"},          {"decr", "incrby"},
      {"decrby", "incrby"},        {"setnx", "set"},
      {"setex", "set"},            {"psetex", "set"},
      {"mset", "set"},             {"msetnx", "set"},
      {"getset", "set"},           {"getdel", "del"},
      {"unlink", "del"},           {"pexpire", "expire"},
      {"expireat", "expire"},      {"pexpireat", "expire"},
      {"hmset", "hset"},           {"hsetnx", "hset"},
      {"zincrby", "zincr"},        {"zremrangebyscore", "zrembyscore"},
      {"zremrangebyrank", "zrembyrank"}, {"zremrangebylex", "zrembylex"},
      {"rpoplpush", "rpop"},       {"copy", "copy_to"},
  };
  std::string_view event = spec.name;
  for (const auto& [from, to] : kRenamed) {
    if (event == from) {
      event = to;
      break;
    }
  }
  return {cls, event};
}

}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// Keyspace notifications (Redis's notify-keyspace-events): after a command
// changes a key, a message on "__keyspace@0__:<key>" naming the event and
// one on "__keyevent@0__:<event>" naming the key, for the event classes
// the parameter enables. The dispatcher and the keyspace layer call
// Notify(); with the parameter empty (the default) a call costs one atomic
// load.
//
// Which event a command raises is data: its table group gives the class
// (string, list, set, hash, sorted set, generic) and its name the event,
// with Redis's renamings (INCR raises "incrby", HMSET "hset"...) in
// notify.cc. The active expiry cycle raises "expired" (class x) through
// Options::on_expired; a key a write creates raises "new" (class n).

#ifndef KVSTORE_SERVER_NOTIFY_H_
#define KVSTORE_SERVER_NOTIFY_H_

#include <cstdint>
#include <string_view>

namespace kvstore::server {

struct CommandSpec;
struct ServerState;

enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K
  kNotifyKeyevent = 1u << 1,  // E
  kNotifyGeneric = 1u << 2,   // g
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZSet = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyModule = 1u << 11,   // d
  kNotifyNew = 1u << 12,      // n
  kNotifyMiss = 1u << 13,     // m
};

// The flags of a notify-keyspace-events value (any order; 'A' is g$lshzxetd).
uint32_t ParseNotifyFlags(std::string_view value);

// Publishes event for key if class is enabled (and K or E is).
void Notify(ServerState& server, uint32_t cls, std::string_view event, std::string_view key);

// The class and event a write command raises for a key it changed (class 0:
// none, e.g. for commands that only read).
struct CommandEvent {
  uint32_t cls = 0;
  std::string_view event;
};
CommandEvent EventOf(const CommandSpec& spec);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_NOTIFY_H_

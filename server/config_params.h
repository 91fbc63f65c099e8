// Copyright (c) the kvstore developers.
//
// The parameters CONFIG GET and CONFIG SET know, as one table: name (and an
// alias: the name of kvstore-server's own flag where it differs from
// redis.conf's), type, default, validation, how to read the current value
// and, for those that can change while the server runs, how to apply a new
// one. Validation and error texts follow Redis 7's config.c.

#ifndef KVSTORE_SERVER_CONFIG_PARAMS_H_
#define KVSTORE_SERVER_CONFIG_PARAMS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server_state.h"

namespace kvstore::server {

enum class ParamType {
  kString,   // any text
  kInteger,  // a decimal integer in [min, max]
  kMemory,   // an integer with an optional unit (k, kb, m, mb, g, gb) in [min, max]
  kBool,     // yes | no
  kEnum,     // one of `choices`
  kList,     // space-separated words (bind, save)
};

struct ConfigParam {
  const char* name;   // redis.conf's name, as CONFIG GET reports it
  const char* alias;  // another accepted name, or nullptr
  ParamType type;
  const char* default_value;  // what a server started without flags reports
  int64_t min, max;           // kInteger and kMemory only
  // The current value, as CONFIG GET prints it.
  std::string (*get)(ServerState& s);
  // Applies a validated value; returns "" or why it failed. nullptr: fixed
  // at start (CONFIG SET refuses).
  std::string (*apply)(ServerState& s, std::string_view value);
  // kEnum: the accepted words, lower case, separated by '|', in the order
  // Redis lists them in its error.
  const char* choices = nullptr;
  // Extra validation beyond the type's; returns "" or the reason.
  std::string (*check)(std::string_view value) = nullptr;

  bool mutable_at_runtime() const { return apply != nullptr; }
};

// The whole table, in CONFIG GET order.
std::span<const ConfigParam> ConfigParams();

// The parameter named `name` or aliased so (any case), or nullptr.
const ConfigParam* FindConfigParam(std::string_view name);

// Checks `value` for `p` without applying it. Returns "" if valid, else the
// reason after Redis's "CONFIG SET failed (possibly related to argument
// '<name>') - " prefix.
std::string ValidateConfigValue(const ConfigParam& p, std::string_view value);

// notify-keyspace-events: the flags in Redis's canonical order ("AKE"), or
// nullopt-like "" with *ok false for a character Redis does not know.
std::string NormalizeKeyspaceEvents(std::string_view flags, bool* ok);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_CONFIG_PARAMS_H_

// Copyright (c) the kvstore developers.
//
// The time arguments of the commands that set a key's deadline, parsed once
// with Redis 7's rules: SET's and GETEX's options (EX, PX, EXAT, PXAT,
// KEEPTTL, PERSIST, NX, XX, GET), SETEX's and PSETEX's times (positive only)
// and the EXPIRE family's (any integer, checked only for overflow).
// Deadlines come out as absolute Unix milliseconds, as the store keeps them.
// Pure functions: the handlers (cmd_strings.cc, cmd_expire.cc) reply the
// errors, with the command's name.

#ifndef KVSTORE_SERVER_EXPIRE_ARGS_H_
#define KVSTORE_SERVER_EXPIRE_ARGS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kvstore::server::expire_args {

enum class Unit { kSeconds, kMilliseconds };
enum class Base { kRelative, kAbsolute };  // from now (EX, PX) or a Unix time (EXAT, PXAT)

enum class TimeError {
  kNone,
  kNotInteger,  // "ERR value is not an integer or out of range"
  kInvalid,     // "ERR invalid expire time in '<command>' command"
};

// The deadline of SET's, GETEX's, SETEX's and PSETEX's time `arg`: it must be
// > 0, and the deadline must fit an int64 (Redis 7's
// getExpireMillisecondsOrReply).
TimeError ParseSetTime(std::string_view arg, Unit unit, Base base, int64_t now_ms,
                       int64_t* deadline_ms);

// The deadline of EXPIRE's, PEXPIRE's, EXPIREAT's and PEXPIREAT's time `arg`:
// any integer (a deadline in the past removes the key), as long as the unit
// conversion and the addition of now do not overflow (Redis 7's
// expireGenericCommand).
TimeError ParseExpireTime(std::string_view arg, Unit unit, Base base, int64_t now_ms,
                          int64_t* deadline_ms);

// The options of SET (from argv[3]) and GETEX (from argv[2]), as Redis 7's
// parseExtendedStringArgumentsOrReply accepts them: NX, XX, GET and KEEPTTL
// only for SET, PERSIST only for GETEX; at most one kind of time (a repeated
// one wins, as in Redis); NX and XX exclude each other.
struct StringOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  bool has_time = false;
  Unit unit = Unit::kSeconds;
  Base base = Base::kRelative;
  std::string_view time;  // the time argument when has_time
};
enum class Command { kSet, kGetex };
// False: a syntax error ("ERR syntax error").
bool ParseStringOptions(std::span<const std::string_view> args, Command command,
                        StringOptions* out);

// What EXPIRE's NX, XX, GT and LT allow (Redis 7's
// parseExtendedExpireArgumentsOrReply).
struct ExpireCondition {
  bool nx = false, xx = false, gt = false, lt = false;
  // Whether the new deadline may replace `current` (kNoExpiry: none, which
  // GT and LT treat as infinite).
  bool Allows(int64_t current, int64_t deadline_ms) const;
};
// The options after EXPIRE's time. False: `error` holds the error reply
// (an unknown option, or NX with XX, GT or LT, or GT with LT).
bool ParseExpireCondition(std::span<const std::string_view> args, ExpireCondition* out,
                          std::string* error);

}  // namespace kvstore::server::expire_args

#endif  // KVSTORE_SERVER_EXPIRE_ARGS_H_

// Copyright (c) the kvstore developers.
//
// Parsing of expiry time arguments; see expire_args.h.

#include "expire_args.h"

#include <limits>

#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server::expire_args {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

}  // namespace

TimeError ParseSetTime(std::string_view arg, Unit unit, Base base, int64_t now_ms,
                       int64_t* deadline_ms) {
  int64_t t = 0;
  if (!ParseInt64(arg, &t)) return TimeError::kNotInteger;
  if (t <= 0 || (unit == Unit::kSeconds && t > kMax / 1000)) return TimeError::kInvalid;
  if (unit == Unit::kSeconds) t *= 1000;
  if (base == Base::kRelative) {
    if (t > kMax - now_ms) return TimeError::kInvalid;
    t += now_ms;
  }
  *deadline_ms = t;
  return TimeError::kNone;
}

TimeError ParseExpireTime(std::string_view arg, Unit unit, Base base, int64_t now_ms,
                          int64_t* deadline_ms) {
  int64_t t = 0;
  if (!ParseInt64(arg, &t)) return TimeError::kNotInteger;
  if (unit == Unit::kSeconds) {
    if (t > kMax / 1000 || t < kMin / 1000) return TimeError::kInvalid;
    t *= 1000;
  }
  if (base == Base::kRelative) {
    if (t > kMax - now_ms) return TimeError::kInvalid;
    t += now_ms;
  }
  *deadline_ms = t;
  return TimeError::kNone;
}

bool ParseStringOptions(std::span<const std::string_view> args, Command command,
                        StringOptions* out) {
  const bool set = command == Command::kSet;
  StringOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view opt = args[i];
    const bool has_next = i + 1 < args.size();
    // A time may be given again with the same unit and base (the last one
    // wins), never with another, nor with KEEPTTL or PERSIST.
    auto time_ok = [&](Unit u, Base b) {
      return !o.keepttl && !o.persist && has_next &&
             (!o.has_time || (o.unit == u && o.base == b));
    };
    if (set && EqualsIgnoreCase(opt, "NX") && !o.xx) {
      o.nx = true;
    } else if (set && EqualsIgnoreCase(opt, "XX") && !o.nx) {
      o.xx = true;
    } else if (set && EqualsIgnoreCase(opt, "GET")) {
      o.get = true;
    } else if (set && EqualsIgnoreCase(opt, "KEEPTTL") && !o.has_time) {
      o.keepttl = true;
    } else if (!set && EqualsIgnoreCase(opt, "PERSIST") && !o.has_time) {
      o.persist = true;
    } else {
      Unit u;
      Base b;
      if (EqualsIgnoreCase(opt, "EX")) {
        u = Unit::kSeconds, b = Base::kRelative;
      } else if (EqualsIgnoreCase(opt, "PX")) {
        u = Unit::kMilliseconds, b = Base::kRelative;
      } else if (EqualsIgnoreCase(opt, "EXAT")) {
        u = Unit::kSeconds, b = Base::kAbsolute;
      } else if (EqualsIgnoreCase(opt, "PXAT")) {
        u = Unit::kMilliseconds, b = Base::kAbsolute;
      } else {
        return false;
      }
      if (!time_ok(u, b)) return false;
      o.has_time = true;
      o.unit = u;
      o.base = b;
      o.time = args[++i];
    }
  }
  *out = o;
  return true;
}

bool ExpireCondition::Allows(int64_t current, int64_t deadline_ms) const {
  const bool none = current < 0;  // kNoExpiry
  if (nx && !none) return false;
  if (xx && none) return false;
  if (gt && (none || deadline_ms <= current)) return false;
  if (lt && !none && deadline_ms >= current) return false;
  return true;
}

bool ParseExpireCondition(std::span<const std::string_view> args, ExpireCondition* out,
                          std::string* error) {
  ExpireCondition c;
  for (std::string_view opt : args) {
    if (EqualsIgnoreCase(opt, "NX")) {
      c.nx = true;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      c.xx = true;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      c.gt = true;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      c.lt = true;
    } else {
      *error = "ERR Unsupported option ";
      error->append(opt);
      return false;
    }
  }
  if (c.nx && (c.xx || c.gt || c.lt)) {
    *error = "ERR NX and XX, GT or LT options at the same time are not compatible";
    return false;
  }
  if (c.gt && c.lt) {
    *error = "ERR GT and LT options at the same time are not compatible";
    return false;
  }
  *out = c;
  return true;
}

}  // namespace kvstore::server::expire_args

// Copyright (c) the kvstore developers.
//
// scan_args.h: cursor and MATCH/COUNT parsing for the SCAN family.

#include "scan_args.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "common/glob.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

bool ParseScanCursor(std::string_view arg, uint64_t* cursor) {
  // Redis reads a cursor with strtoul: a sign is accepted ("-1" is 2^64 - 1)
  // and "" is 0, but a leading space, trailing junk or overflow is not.
  if (!arg.empty() && std::isspace(static_cast<unsigned char>(arg[0]))) return false;
  const std::string text(arg);  // strtoull needs a terminated string
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = v;
  return true;
}

bool ElementScanArgs::Matches(std::string_view element) const {
  return pattern == "*" || common::GlobMatch(pattern, element);
}

bool ParseElementScanArgs(CommandContext& ctx, ElementScanArgs* out) {
  const auto& a = ctx.argv;
  if (!ParseScanCursor(a[2], &out->cursor)) {
    ctx.reply.Error(kInvalidCursorError);
    return false;
  }
  for (std::size_t i = 3; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
    if (EqualsIgnoreCase(a[i], "MATCH")) {
      out->pattern = a[i + 1];
    } else if (EqualsIgnoreCase(a[i], "COUNT")) {
      if (!ParseInt64(a[i + 1], &out->count)) {
        ctx.reply.Error(kNotIntegerError);
        return false;
      }
      if (out->count < 1) {
        ctx.reply.Error(kSyntaxError);
        return false;
      }
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
  }
  return true;
}

}  // namespace kvstore::server

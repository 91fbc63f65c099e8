// Copyright (c) the kvstore developers.
//
// The multi-key pops' shared argument parsing; see mpop_args.h.

#include "mpop_args.h"

#include "command.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

bool ParseMpopArgs(CommandContext& ctx, std::size_t numkeys_at, std::string_view first_end,
                   std::string_view second_end, MpopArgs* out) {
  const auto& a = ctx.argv;
  int64_t numkeys = 0;
  if (!ParseInt64(a[numkeys_at], &numkeys) || numkeys <= 0) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return false;
  }
  const std::size_t first_key = numkeys_at + 1;
  if (static_cast<uint64_t>(numkeys) >= a.size() - first_key) {  // no room for END
    ctx.reply.Error(kSyntaxError);
    return false;
  }
  const std::size_t end_at = first_key + static_cast<std::size_t>(numkeys);
  if (EqualsIgnoreCase(a[end_at], first_end)) {
    out->second_end = false;
  } else if (EqualsIgnoreCase(a[end_at], second_end)) {
    out->second_end = true;
  } else {
    ctx.reply.Error(kSyntaxError);
    return false;
  }
  int64_t count = -1;  // not given yet
  for (std::size_t i = end_at + 1; i < a.size(); ++i) {
    if (count == -1 && EqualsIgnoreCase(a[i], "count") && i + 1 < a.size()) {
      if (!ParseInt64(a[++i], &count) || count <= 0) {
        ctx.reply.Error("ERR count should be greater than 0");
        return false;
      }
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
  }
  out->count = count == -1 ? 1 : count;
  out->keys = a.subspan(first_key, static_cast<std::size_t>(numkeys));
  return true;
}

}  // namespace kvstore::server

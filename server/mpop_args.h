// Copyright (c) the kvstore developers.
//
// The arguments the multi-key pops share after their timeout (Redis 7.0's
// LMPOP, BLMPOP, ZMPOP and BZMPOP): `numkeys key [key ...] END [COUNT
// count]`, where END is one of two words (LEFT|RIGHT for lists, MIN|MAX for
// sorted sets). Parsed once here, with Redis's errors, so the blocking and
// non-blocking forms cannot drift apart.

#ifndef KVSTORE_SERVER_MPOP_ARGS_H_
#define KVSTORE_SERVER_MPOP_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kvstore::server {

struct CommandContext;

// A multi-key pop's parsed arguments.
struct MpopArgs {
  std::span<const std::string_view> keys;  // views into the command's argv
  bool second_end = false;                 // END was the second word (RIGHT, MAX)
  int64_t count = 1;                       // COUNT, or 1
};

// Parses ctx.argv from numkeys (at argv[numkeys_at]) to the end, END being
// `first_end` or `second_end` (any case). On an error replies Redis's
// ("ERR numkeys should be greater than 0", "ERR syntax error", "ERR count
// should be greater than 0") and returns false.
bool ParseMpopArgs(CommandContext& ctx, std::size_t numkeys_at, std::string_view first_end,
                   std::string_view second_end, MpopArgs* out);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_MPOP_ARGS_H_

// Copyright (c) the kvstore developers.
//
// The arguments the SCAN family shares: the cursor (SCAN, HSCAN, SSCAN,
// ZSCAN) and the MATCH and COUNT options of the scans over one key's
// elements (HSCAN, SSCAN, ZSCAN), parsed with Redis 7.0's errors.

#ifndef KVSTORE_SERVER_SCAN_ARGS_H_
#define KVSTORE_SERVER_SCAN_ARGS_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "command.h"

namespace kvstore::server {

// "ERR invalid cursor": the reply to a cursor ParseScanCursor rejects.
inline constexpr char kInvalidCursorError[] = "ERR invalid cursor";

// A cursor argument as Redis 7.0 reads one (strtoul): decimal, an optional
// sign (a negative one wraps around), "" meaning 0; no leading space, no
// trailing bytes, at most 2^64 - 1.
bool ParseScanCursor(std::string_view arg, uint64_t* cursor);

// HSCAN / SSCAN / ZSCAN key cursor [MATCH pattern] [COUNT count].
struct ElementScanArgs {
  uint64_t cursor = 0;
  std::string_view pattern = "*";
  int64_t count = 10;  // a hint: a step may return more

  // Whether an element (a field or member) passes MATCH. The pattern "*"
  // passes everything, the empty element included, as in Redis.
  bool Matches(std::string_view element) const;
};

// Parses ctx.argv[2] (the cursor) and the options after it. On an error
// replies it (invalid cursor, syntax error, not an integer) and returns false.
bool ParseElementScanArgs(CommandContext& ctx, ElementScanArgs* out);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_SCAN_ARGS_H_

// Copyright (c) the kvstore developers.
//
// The `cmsgpack` library that Redis gives Lua scripts: MessagePack encoding
// of Lua values and decoding back. Debian packages no such library for Lua
// 5.1, so kvstore has its own, written to behave as Redis 7's does:
//
//   cmsgpack.pack(v1, v2, ...)            -> the encodings, concatenated
//   cmsgpack.unpack(s)                    -> every value in s
//   cmsgpack.unpack_one(s [, offset])     -> next_offset, value
//   cmsgpack.unpack_limit(s, n [, offset])-> next_offset, up to n values
//
// Offsets are 0-based byte positions; next_offset is -1 once s is used up.
// Numbers take the smallest integer form when integral (within int64),
// else float32 when that is exact, else float64. A table whose keys are
// exactly 1..n is an array, any other table a map. Tables nested deeper
// than 16 levels encode as nil, so that a table that contains itself
// still encodes. The decoder treats its input as hostile: a truncated or
// malformed buffer is a Lua error, never a read past its end.

#ifndef KVSTORE_SERVER_LUA_CMSGPACK_H_
#define KVSTORE_SERVER_LUA_CMSGPACK_H_

struct lua_State;

namespace kvstore::server {

// Deepest table nesting pack encodes; a table below it encodes as nil.
inline constexpr int kCmsgpackMaxNesting = 16;

// The library opener, named as Lua's own openers are (luaopen_NAME): it
// pushes the cmsgpack table and returns 1. It does not set a global; the
// caller names it.
int luaopen_cmsgpack(lua_State* L);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_LUA_CMSGPACK_H_

// Copyright (c) the kvstore developers.
//
// The `struct` library that Redis gives Lua scripts (Roberto Ierusalimschy's
// design, as Redis 7 ships it): conversion between Lua numbers and strings
// and packed binary records. Debian packages no such library for Lua 5.1,
// so kvstore has its own, written to behave as Redis 7's does:
//
//   struct.pack(fmt, v1, v2, ...)  -> the packed string
//   struct.unpack(fmt, s [, pos])  -> the values, then the position after them
//   struct.size(fmt)               -> the packed size of a fixed-size format
//
// Format characters: '>' big endian, '<' little endian, '![n]' alignment
// (n a power of 2, default 8), 'x' a zero byte, 'b'/'B' signed/unsigned
// char, 'h'/'H' short (2 bytes), 'l'/'L' long (8), 'T' size_t (8), 'i[n]'/
// 'I[n]' an n-byte integer (default 4, at most 32), 'f' float, 'd' double,
// 'c[n]' n raw bytes (c0: the whole string when packing; when unpacking, a
// length read by the previous item), 's' a zero-terminated string, and
// spaces, which are ignored. Positions are 1-based, as Lua's. unpack
// treats its input as hostile: every read is checked against the data's
// length first.

#ifndef KVSTORE_SERVER_LUA_STRUCT_H_
#define KVSTORE_SERVER_LUA_STRUCT_H_

struct lua_State;

namespace kvstore::server {

// The library opener, named as Lua's own openers are (luaopen_NAME): it
// pushes the struct table and returns 1. It does not set a global; the
// caller names it.
int luaopen_struct(lua_State* L);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_LUA_STRUCT_H_

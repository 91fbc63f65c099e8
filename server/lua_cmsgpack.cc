// Copyright (c) the kvstore developers.
//
// Lua's C API unwinds with longjmp, so nothing here holds a C++ object with a
// destructor: the bytes pack builds live in a Lua userdata that the garbage
// collector frees if an error cuts the encoding short.

#include "lua_cmsgpack.h"

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace kvstore::server {
namespace {

// ---- Encoding -------------------------------------------------------------

// The output of pack. The bytes are a userdata at stack slot `slot`; growing
// the buffer allocates a bigger userdata and puts it in that slot, so the old
// one becomes garbage and an error at any point leaks nothing.
struct Out {
  lua_State* L;
  int slot;
  unsigned char* data;
  size_t len;
  size_t cap;
};

void Reserve(Out* o, size_t more) {
  if (o->cap - o->len >= more) return;
  const size_t need = o->len + more;
  if (need < o->len || need > SIZE_MAX / 2) luaL_error(o->L, "cmsgpack: result too large");
  size_t cap = o->cap * 2;
  if (cap < need) cap = need;
  if (cap < 64) cap = 64;
  auto* grown = static_cast<unsigned char*>(lua_newuserdata(o->L, cap));
  if (o->len > 0) std::memcpy(grown, o->data, o->len);
  lua_replace(o->L, o->slot);
  o->data = grown;
  o->cap = cap;
}

void Put(Out* o, const void* bytes, size_t n) {
  if (n == 0) return;
  Reserve(o, n);
  std::memcpy(o->data + o->len, bytes, n);
  o->len += n;
}

void PutByte(Out* o, unsigned byte) {
  const auto b = static_cast<unsigned char>(byte);
  Put(o, &b, 1);
}

// A type byte followed by `width` bytes of `value`, big-endian (MessagePack's
// byte order for every multi-byte field).
void PutTagged(Out* o, unsigned tag, uint64_t value, int width) {
  unsigned char b[9];
  b[0] = static_cast<unsigned char>(tag);
  for (int i = 0; i < width; ++i) {
    b[1 + i] = static_cast<unsigned char>(value >> (8 * (width - 1 - i)));
  }
  Put(o, b, static_cast<size_t>(1 + width));
}

void EncodeInteger(Out* o, int64_t n) {
  if (n >= 0) {
    if (n <= 0x7f) {
      PutByte(o, static_cast<unsigned>(n));  // positive fixint
    } else if (n <= 0xff) {
      PutTagged(o, 0xcc, static_cast<uint64_t>(n), 1);
    } else if (n <= 0xffff) {
      PutTagged(o, 0xcd, static_cast<uint64_t>(n), 2);
    } else if (n <= 0xffffffffLL) {
      PutTagged(o, 0xce, static_cast<uint64_t>(n), 4);
    } else {
      PutTagged(o, 0xcf, static_cast<uint64_t>(n), 8);
    }
    return;
  }
  const auto bits = static_cast<uint64_t>(n);
  if (n >= -32) {
    PutByte(o, static_cast<unsigned>(bits & 0xff));  // negative fixint 0xe0..0xff
  } else if (n >= INT8_MIN) {
    PutTagged(o, 0xd0, bits, 1);
  } else if (n >= INT16_MIN) {
    PutTagged(o, 0xd1, bits, 2);
  } else if (n >= INT32_MIN) {
    PutTagged(o, 0xd2, bits, 4);
  } else {
    PutTagged(o, 0xd3, bits, 8);
  }
}

// Lua 5.1 has only doubles. An integral one in int64's range is an integer;
// anything else is a float32 if that holds it exactly (infinities included),
// else a float64.
void EncodeNumber(Out* o, double d) {
  if (d >= -0x1p63 && d < 0x1p63 && std::trunc(d) == d) {
    EncodeInteger(o, static_cast<int64_t>(d));
    return;
  }
  // Out-of-range conversion to float is undefined: only try values that fit.
  if (std::isinf(d) || std::fabs(d) <= FLT_MAX) {
    const auto f = static_cast<float>(d);
    if (static_cast<double>(f) == d) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      PutTagged(o, 0xca, bits, 4);
      return;
    }
  }
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  PutTagged(o, 0xcb, bits, 8);
}

void EncodeString(Out* o, const char* s, size_t n) {
  if (n < 32) {
    PutByte(o, 0xa0 | static_cast<unsigned>(n));
  } else if (n <= 0xff) {
    PutTagged(o, 0xd9, n, 1);
  } else if (n <= 0xffff) {
    PutTagged(o, 0xda, n, 2);
  } else if (n <= 0xffffffffULL) {
    PutTagged(o, 0xdb, n, 4);
  } else {
    luaL_error(o->L, "cmsgpack: string of %f bytes is too long for MessagePack",
               static_cast<lua_Number>(n));
  }
  Put(o, s, n);
}

// An array or map header: the fix form (`fix_tag` | n) up to 15 entries,
// then the 16-bit form (`tag16`), then the 32-bit one (tag16 + 1).
void EncodeContainerHeader(Out* o, unsigned fix_tag, unsigned tag16, size_t n) {
  if (n <= 15) {
    PutByte(o, fix_tag | static_cast<unsigned>(n));
  } else if (n <= 0xffff) {
    PutTagged(o, tag16, n, 2);
  } else {
    PutTagged(o, tag16 + 1, n, 4);
  }
}

// Whether the table at `index` has exactly the keys 1..n (a Lua sequence
// without holes); if so *n is its length. An empty table is an array.
bool IsArray(lua_State* L, int index, size_t* n) {
  size_t count = 0;
  lua_Number max = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);  // the value; the key stays for lua_next
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    const lua_Number k = lua_tonumber(L, -1);
    if (!(k >= 1 && k <= INT_MAX) || std::trunc(k) != k) {
      lua_pop(L, 1);
      return false;
    }
    if (k > max) max = k;
    ++count;
  }
  // Keys are distinct integers in 1..max; there are max of them only if
  // none is missing.
  *n = count;
  return max == static_cast<lua_Number>(count);
}

void EncodeTop(Out* o, int level);

void EncodeTable(Out* o, int level) {
  lua_State* L = o->L;
  // Room for a key, its value, a copy of the key and a grown buffer.
  luaL_checkstack(L, 4, "cmsgpack: table nesting");
  const int t = lua_gettop(L);
  size_t n = 0;
  if (IsArray(L, t, &n)) {
    EncodeContainerHeader(o, 0x90, 0xdc, n);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, t, static_cast<int>(i));  // n <= INT_MAX: IsArray checked it
      EncodeTop(o, level + 1);
    }
    return;
  }
  n = 0;
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  EncodeContainerHeader(o, 0x80, 0xde, n);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {  // stack: ... key value
    lua_pushvalue(L, -2);        // ... key value key
    EncodeTop(o, level + 1);     // the key; pops the copy
    EncodeTop(o, level + 1);     // the value; the key stays for lua_next
  }
}

// Encodes the value on top of the stack, then pops it. Functions, userdata
// and threads have no MessagePack form and encode as nil, as in Redis.
void EncodeTop(Out* o, int level) {
  lua_State* L = o->L;
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level >= kCmsgpackMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      EncodeString(o, s, n);
      break;
    }
    case LUA_TBOOLEAN:
      PutByte(o, lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case LUA_TNUMBER:
      EncodeNumber(o, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      EncodeTable(o, level);
      break;
    default:
      PutByte(o, 0xc0);
      break;
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  luaL_checkstack(L, 3, "cmsgpack.pack");  // the buffer, a value, a grown buffer
  Out o{L, nargs + 1, nullptr, 0, 0};
  lua_pushnil(L);  // the buffer's slot; Reserve puts the first userdata here
  for (int i = 1; i <= nargs; ++i) {
    lua_pushvalue(L, i);
    EncodeTop(&o, 0);
  }
  lua_pushlstring(L, reinterpret_cast<const char*>(o.data), o.len);
  return 1;
}

// ---- Decoding -------------------------------------------------------------

enum class DecodeError { kNone, kTruncated, kBadFormat };

// A read position in the input. The input string stays on the stack (it is
// argument 1) for as long as the cursor is used.
struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError error;
};

bool Need(Cursor* c, size_t n) {
  if (c->left >= n) return true;
  c->error = DecodeError::kTruncated;
  return false;
}

void Skip(Cursor* c, size_t n) {
  c->p += n;
  c->left -= n;
}

uint64_t ReadBigEndian(const unsigned char* p, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | p[i];
  return v;
}

void DecodeValue(lua_State* L, Cursor* c);

// Decoded tables are filled key by key as the input proves to hold the
// entries: a count in the header is never trusted for an allocation. Each
// entry takes at least one input byte, so the loops end with the input.
void DecodeArray(lua_State* L, Cursor* c, uint64_t n) {
  luaL_checkstack(L, 2, "cmsgpack: nesting too deep");
  lua_newtable(L);
  for (uint64_t i = 1; i <= n; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    lua_rawset(L, -3);
  }
}

void DecodeMap(lua_State* L, Cursor* c, uint64_t n) {
  luaL_checkstack(L, 2, "cmsgpack: nesting too deep");
  lua_newtable(L);
  for (uint64_t i = 0; i < n; ++i) {
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    DecodeValue(L, c);
    if (c->error != DecodeError::kNone) return;
    lua_rawset(L, -3);  // a nil or NaN key raises Lua's own error, as in Redis
  }
}

// A string whose length is a `width`-byte field after the type byte.
void DecodeString(lua_State* L, Cursor* c, int width) {
  const auto header = static_cast<size_t>(1 + width);
  if (!Need(c, header)) return;
  const uint64_t n = ReadBigEndian(c->p + 1, width);
  if (c->left - header < n) {
    c->error = DecodeError::kTruncated;
    return;
  }
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p + header), n);
  Skip(c, header + n);
}

// Pushes the value at the cursor and moves past it; on bad input sets
// c->error (pushing nothing more for that value).
void DecodeValue(lua_State* L, Cursor* c) {
  if (!Need(c, 1)) return;
  // Every value decoded takes a stack slot until the call returns.
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  const unsigned tag = c->p[0];
  if (tag <= 0x7f) {  // positive fixint
    lua_pushnumber(L, tag);
    Skip(c, 1);
    return;
  }
  if (tag >= 0xe0) {  // negative fixint
    lua_pushnumber(L, static_cast<int8_t>(tag));
    Skip(c, 1);
    return;
  }
  if ((tag & 0xe0) == 0xa0) {  // fixstr
    const size_t n = tag & 0x1f;
    if (!Need(c, 1 + n)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p + 1), n);
    Skip(c, 1 + n);
    return;
  }
  if ((tag & 0xf0) == 0x90) {  // fixarray
    Skip(c, 1);
    DecodeArray(L, c, tag & 0x0f);
    return;
  }
  if ((tag & 0xf0) == 0x80) {  // fixmap
    Skip(c, 1);
    DecodeMap(L, c, tag & 0x0f);
    return;
  }
  // The rest (0xc0..0xdf) carry a fixed-size field after the type byte.
  int width = 0;
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      Skip(c, 1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      Skip(c, 1);
      return;
    case 0xd9:
      DecodeString(L, c, 1);
      return;
    case 0xda:
      DecodeString(L, c, 2);
      return;
    case 0xdb:
      DecodeString(L, c, 4);
      return;
    case 0xcc:
    case 0xd0:
      width = 1;
      break;
    case 0xcd:
    case 0xd1:
    case 0xdc:
    case 0xde:
      width = 2;
      break;
    case 0xca:
    case 0xce:
    case 0xd2:
    case 0xdd:
    case 0xdf:
      width = 4;
      break;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      width = 8;
      break;
    default:  // 0xc1 (never used), bin, ext and fixext: not Redis's either
      c->error = DecodeError::kBadFormat;
      return;
  }
  if (!Need(c, static_cast<size_t>(1 + width))) return;
  const uint64_t v = ReadBigEndian(c->p + 1, width);
  Skip(c, static_cast<size_t>(1 + width));
  switch (tag) {
    case 0xcc:
    case 0xcd:
    case 0xce:
      lua_pushnumber(L, static_cast<lua_Number>(v));
      break;
    case 0xcf:
      // Redis pushes a uint64 through a signed integer: 2^63 and above come
      // out negative. Kept, so a script sees the same numbers.
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
      break;
    case 0xd0:
      lua_pushnumber(L, static_cast<int8_t>(v));
      break;
    case 0xd1:
      lua_pushnumber(L, static_cast<int16_t>(v));
      break;
    case 0xd2:
      lua_pushnumber(L, static_cast<int32_t>(v));
      break;
    case 0xd3:
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
      break;
    case 0xca: {
      const auto bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, f);
      break;
    }
    case 0xcb: {
      double d;
      std::memcpy(&d, &v, sizeof d);
      lua_pushnumber(L, d);
      break;
    }
    case 0xdc:
    case 0xdd:
      DecodeArray(L, c, v);
      break;
    default:  // 0xde, 0xdf
      DecodeMap(L, c, v);
      break;
  }
}

// The shared body of the unpack functions. The input is argument 1 and the
// only thing on the stack below the results. limit == 0 and offset == 0
// together mean "everything, and no offset in the results" (plain unpack,
// and unpack_limit(s, 0) too, as in Redis).
int UnpackFrom(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %f and limit of %f.",
                      static_cast<lua_Number>(offset), static_cast<lua_Number>(limit));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %f greater than input length %f.",
                      static_cast<lua_Number>(offset), static_cast<lua_Number>(len));
  }
  const lua_Integer max = all ? INT_MAX : limit;
  const size_t start = static_cast<size_t>(offset);
  Cursor c{reinterpret_cast<const unsigned char*>(s) + start, len - start, DecodeError::kNone};
  int count = 0;
  while (c.left > 0 && count < max) {
    DecodeValue(L, &c);
    if (c.error == DecodeError::kTruncated) return luaL_error(L, "Missing bytes in input.");
    if (c.error == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
    ++count;
  }
  if (all) return count;
  luaL_checkstack(L, 1, "cmsgpack: unpack results");
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);  // the offset comes first, right above the input
  return count + 1;
}

int Unpack(lua_State* L) { return UnpackFrom(L, 0, 0); }

// Leaves the input alone on the stack (or nothing, if there was none, so that
// the error for it says "no value").
void DropExtraArguments(lua_State* L) {
  if (lua_gettop(L) > 1) lua_settop(L, 1);
}

int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  DropExtraArguments(L);
  return UnpackFrom(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  DropExtraArguments(L);
  return UnpackFrom(L, limit, offset);
}

}  // namespace

int luaopen_cmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"unpack_one", UnpackOne}, {"unpack_limit", UnpackLimit}};
  lua_createtable(L, 0, 6);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  // What scripts that check for the library read; the version is that of
  // the Redis library whose behaviour this one follows.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// Lua's C API unwinds with longjmp, so nothing here holds a C++ object with a
// destructor; pack builds its result in a luaL_Buffer, which lives on the
// Lua stack.

#include "lua_struct.h"

#include <bit>
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

// Largest n in 'i<n>' / 'I<n>'.
constexpr int kMaxIntSize = 32;
// '!' without a number: the strictest alignment of a native type (double's
// on the platforms kvstore builds for).
constexpr int kMaxAlign = alignof(double) > alignof(int) ? alignof(double) : alignof(int);

// The state a format carries from one item to the next.
struct Layout {
  bool little;
  size_t align;
};

Layout DefaultLayout() { return {std::endian::native == std::endian::little, 1}; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The options that pack a Lua number as an integer (lower case: signed).
bool IsIntegerOption(char opt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'h':
    case 'H':
    case 'l':
    case 'L':
    case 'T':
    case 'i':
    case 'I':
      return true;
    default:
      return false;
  }
}

// Reads the decimal number at *fmt, if there is one, and moves past it.
int ReadNumber(lua_State* L, const char** fmt, int fallback) {
  if (!IsDigit(**fmt)) return fallback;
  int n = 0;
  do {
    const int digit = *(*fmt)++ - '0';
    if (n > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
  } while (IsDigit(**fmt));
  return n;
}

// The size in bytes of option `opt` (reading its count from *fmt); 0 for
// the options that are not items.
size_t ItemSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
    case 'x':
      return 1;
    case 'h':
    case 'H':
      return sizeof(int16_t);
    case 'l':
    case 'L':
    case 'T':
    case 'd':
      return 8;
    case 'f':
      return sizeof(float);
    case 'c':
      return static_cast<size_t>(ReadNumber(L, fmt, 1));
    case 'i':
    case 'I': {
      const int n = ReadNumber(L, fmt, sizeof(int32_t));
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return static_cast<size_t>(n);
    }
    default:
      return 0;
  }
}

// Padding before an item of `size` bytes at offset `at`: an item aligns to
// its own size, capped by the format's alignment. The arithmetic is Redis's
// also for sizes that are not powers of 2 (i3, i6 ...), so that packed
// layouts match byte for byte.
size_t Padding(size_t at, const Layout& layout, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > layout.align) size = layout.align;
  return (size - (at & (size - 1))) & (size - 1);
}

// The options that change the layout rather than add an item. Anything else
// that reaches here is not an option at all.
void ApplyControl(lua_State* L, char opt, const char** fmt, Layout* layout) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      layout->little = false;
      return;
    case '<':
      layout->little = true;
      return;
    case '!': {
      const int a = ReadNumber(L, fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      layout->align = static_cast<size_t>(a);
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// A Lua number as the bits of an integer item. Out-of-range values give
// what Redis's conversion gives on x86-64, where it is undefined in C.
uint64_t IntegerBits(lua_Number n) {
  if (n < 0) {
    if (n >= -0x1p63) return static_cast<uint64_t>(static_cast<int64_t>(n));
    return uint64_t{1} << 63;
  }
  if (n < 0x1p64) return static_cast<uint64_t>(n);
  if (std::isnan(n)) return uint64_t{1} << 63;
  return 0;  // 2^64 and above, +inf
}

// Appends the low `size` bytes of `bits` in the layout's byte order; bytes
// beyond the 8th (i9 .. i32) are zero.
void AddInteger(luaL_Buffer* b, uint64_t bits, bool little, size_t size) {
  unsigned char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; ++i) {
    const unsigned char byte = i < 8 ? static_cast<unsigned char>(bits >> (8 * i)) : 0;
    bytes[little ? i : size - 1 - i] = byte;
  }
  luaL_addlstring(b, reinterpret_cast<const char*>(bytes), size);
}

// Appends an object's bytes (a float or double), reordered if the layout's
// byte order is not the machine's.
void AddRaw(luaL_Buffer* b, const void* object, size_t size, bool little) {
  unsigned char bytes[8];
  std::memcpy(bytes, object, size);
  if (little != (std::endian::native == std::endian::little)) {
    for (size_t i = 0; i < size / 2; ++i) {
      const unsigned char t = bytes[i];
      bytes[i] = bytes[size - 1 - i];
      bytes[size - 1 - i] = t;
    }
  }
  luaL_addlstring(b, reinterpret_cast<const char*>(bytes), size);
}

// double -> float with IEEE rounding, where a plain cast of a value beyond
// float's range is undefined: those round to infinity.
float ToFloat(lua_Number d) {
  if (std::isfinite(d) && std::fabs(d) >= 0x1.ffffffp127) {
    return std::signbit(d) ? -HUGE_VALF : HUGE_VALF;
  }
  return static_cast<float>(d);
}

// Refuses a missing argument `arg` of pack before it is read: the
// luaL_Buffer's pieces sit on the stack right above the arguments, and one
// must not be taken for an argument. The text is the one Redis gives.
void CheckPresent(lua_State* L, int arg, int nargs, const char* type) {
  if (arg > nargs) luaL_argerror(L, arg, lua_pushfstring(L, "%s expected, got nil", type));
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  const int nargs = lua_gettop(L);
  Layout layout = DefaultLayout();
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    const size_t pad = Padding(total, layout, opt, size);
    for (size_t i = 0; i < pad; ++i) luaL_addchar(&b, '\0');
    total += pad;
    switch (opt) {
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        CheckPresent(L, arg, nargs, "number");
        const float f = ToFloat(luaL_checknumber(L, arg++));
        AddRaw(&b, &f, sizeof f, layout.little);
        break;
      }
      case 'd': {
        CheckPresent(L, arg, nargs, "number");
        const double d = luaL_checknumber(L, arg++);
        AddRaw(&b, &d, sizeof d, layout.little);
        break;
      }
      case 'c':
      case 's': {
        CheckPresent(L, arg, nargs, "string");
        size_t len = 0;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        // Redis names the argument after this one here; so does kvstore,
        // so that the error text is the same.
        luaL_argcheck(L, len >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++size;
        }
        break;
      }
      default:
        if (IsIntegerOption(opt)) {
          CheckPresent(L, arg, nargs, "number");
          AddInteger(&b, IntegerBits(luaL_checknumber(L, arg++)), layout.little, size);
        } else {
          ApplyControl(L, opt, &fmt, &layout);
        }
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// An integer item read from `p`. For sizes beyond 8 only the last 8 bytes
// read count, and the sign mask is Redis's shift by size*8-1 taken modulo
// 64, as x86-64 does it; so a script sees the numbers Redis gives it.
lua_Number ReadInteger(const unsigned char* p, bool little, bool is_signed, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v = (v << 8) | p[little ? size - 1 - i : i];
  if (!is_signed) return static_cast<lua_Number>(v);
  if (size == 0) return 0;
  const uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if ((v & mask) != 0) v |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

// A float or double item read from `p` in the layout's byte order.
void ReadRaw(const unsigned char* p, void* object, size_t size, bool little) {
  unsigned char bytes[8];
  for (size_t i = 0; i < size; ++i) {
    const bool swap = little != (std::endian::native == std::endian::little);
    bytes[i] = p[swap ? size - 1 - i : i];
  }
  std::memcpy(object, bytes, size);
}

// The byte count a 'c0' item takes from the number before it, converted as
// Redis's cast to size_t converts on x86-64 (undefined in C): negative and
// NaN become huge, which the bounds check refuses; 2^64 and up become 0.
size_t CountFromNumber(lua_Number n) {
  if (n >= 0x1p64) return 0;
  if (n >= 0x1p63) return static_cast<size_t>(n);
  if (!(n > -0x1p63)) return size_t{1} << 63;           // NaN, -2^63 and below
  return static_cast<size_t>(static_cast<int64_t>(n));  // truncates toward zero
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t ld = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(luaL_checklstring(L, 2, &ld));
  // As in Redis, a negative position wraps to a huge one, which the bounds
  // check refuses (or, with no items, comes back as it went in).
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  Layout layout = DefaultLayout();
  int results = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, layout, opt, size);
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");  // the item and the final position
    switch (opt) {
      case 'x':
        break;
      case 'f': {
        float f;
        ReadRaw(data + pos, &f, sizeof f, layout.little);
        lua_pushnumber(L, f);
        ++results;
        break;
      }
      case 'd': {
        double d;
        ReadRaw(data + pos, &d, sizeof d, layout.little);
        lua_pushnumber(L, d);
        ++results;
        break;
      }
      case 'c':
        if (size == 0) {
          if (results == 0 || !lua_isnumber(L, -1)) {
            luaL_error(L, "format 'c0' needs a previous size");
          }
          size = CountFromNumber(lua_tonumber(L, -1));
          lua_pop(L, 1);
          --results;
          luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
        }
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size);
        ++results;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', ld - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const unsigned char*>(end) - (data + pos)) + 1;
        lua_pushlstring(L, reinterpret_cast<const char*>(data + pos), size - 1);
        ++results;
        break;
      }
      default:
        if (IsIntegerOption(opt)) {
          const bool is_signed = opt >= 'a' && opt <= 'z';
          lua_pushnumber(L, ReadInteger(data + pos, layout.little, is_signed, size));
          ++results;
        } else {
          ApplyControl(L, opt, &fmt, &layout);
        }
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout = DefaultLayout();
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = ItemSize(L, opt, &fmt);
    pos += Padding(pos, layout, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // As in Redis, a letter or digit that is no option adds nothing here
    // (pack and unpack refuse it); other characters must be options.
    if (!IsAlnum(opt)) ApplyControl(L, opt, &fmt, &layout);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int luaopen_struct(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, Pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, Unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  return 1;
}

}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// The cmsgpack and struct Lua libraries (server/lua_cmsgpack.cc,
// server/lua_struct.cc), driven from Lua in a bare interpreter. Expected
// bytes and error texts are the ones Debian's redis-server 7.0 gives for the
// same calls (redis-cli eval "return cmsgpack.pack(...)" 0 | xxd).

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "lua_cmsgpack.h"
#include "lua_struct.h"

namespace kvstore::server {
namespace {

class LuaLibsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L_ = luaL_newstate();
    ASSERT_NE(L_, nullptr);
    // Only what the tests need to build values, plus the two libraries.
    for (lua_CFunction open : {luaopen_base, luaopen_string, luaopen_table, luaopen_math}) {
      lua_pushcfunction(L_, open);
      lua_call(L_, 0, 0);
    }
    luaopen_cmsgpack(L_);
    lua_setglobal(L_, "cmsgpack");
    luaopen_struct(L_);
    lua_setglobal(L_, "struct");
    ASSERT_EQ(Run("function hex(s) return (string.gsub(s, '.', function(c) "
                  "return string.format('%02x', string.byte(c)) end)) end"),
              std::vector<std::string>{});
  }
  void TearDown() override { lua_close(L_); }

  // Runs `chunk` (named "t", so errors read "t:1: ..."); returns its results
  // through tostring, or {"ERROR", message} if it raised.
  std::vector<std::string> Run(const std::string& chunk) {
    lua_settop(L_, 0);
    std::vector<std::string> out;
    if (luaL_loadbuffer(L_, chunk.data(), chunk.size(), "=t") != 0 ||
        lua_pcall(L_, 0, LUA_MULTRET, 0) != 0) {
      const char* msg = lua_tostring(L_, -1);
      return {"ERROR", msg != nullptr ? msg : "(not a string)"};
    }
    const int n = lua_gettop(L_);
    for (int i = 1; i <= n; ++i) {
      lua_getglobal(L_, "tostring");
      lua_pushvalue(L_, i);
      lua_call(L_, 1, 1);
      out.emplace_back(lua_tostring(L_, -1));
      lua_pop(L_, 1);
    }
    lua_settop(L_, 0);
    return out;
  }

  // The hex of the one string `expr` evaluates to.
  std::string Hex(const std::string& expr) {
    const auto r = Run("return hex(" + expr + ")");
    return r.size() == 1 ? r[0] : "<" + (r.size() == 2 ? r[1] : std::string("?")) + ">";
  }

  // The error message `chunk` raises, or "(no error)".
  std::string Error(const std::string& chunk) {
    const auto r = Run(chunk);
    return r.size() == 2 && r[0] == "ERROR" ? r[1] : "(no error)";
  }

  lua_State* L_ = nullptr;
};

struct Case {
  const char* lua;
  const char* hex;
};

// ---- cmsgpack: encoding -------------------------------------------------

TEST_F(LuaLibsTest, PackIntegersUseTheSmallestForm) {
  for (const Case& c : std::initializer_list<Case>{
           {"0", "00"},
           {"127", "7f"},  // positive fixint
           {"128", "cc80"},
           {"255", "ccff"},  // uint8
           {"256", "cd0100"},
           {"65535", "cdffff"},  // uint16
           {"65536", "ce00010000"},
           {"4294967295", "ceffffffff"},  // uint32
           {"4294967296", "cf0000000100000000"},
           {"2^53+1", "cf0020000000000000"},  // uint64
           {"-1", "ff"},
           {"-32", "e0"},  // negative fixint
           {"-33", "d0df"},
           {"-128", "d080"},  // int8
           {"-129", "d1ff7f"},
           {"-32768", "d18000"},  // int16
           {"-32769", "d2ffff7fff"},
           {"-2147483648", "d280000000"},  // int32
           {"-2147483649", "d3ffffffff7fffffff"},
           {"-1099511627776", "d3ffffff0000000000"},  // Redis's own test
           {"-2^63", "d38000000000000000"},           // int64
           {"-0.0", "00"},
       }) {
    EXPECT_EQ(Hex(std::string("cmsgpack.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
}

TEST_F(LuaLibsTest, PackNonIntegersAsFloat32WhenExactElseFloat64) {
  for (const Case& c : std::initializer_list<Case>{
           {"1.5", "ca3fc00000"},
           {"0.1", "cb3fb999999999999a"},  // Redis's own test
           {"2^63", "ca5f000000"},         // integral but beyond int64
           {"2^64", "ca5f800000"},
           {"1e20", "cb4415af1d78b58c40"},
           {"1e300", "cb7e37e43c8800759c"},
           {"3.4028234663852886e38", "ca7f7fffff"},  // FLT_MAX
           {"1/0", "ca7f800000"},
           {"-1/0", "caff800000"},
           {"0/0", "cbfff8000000000000"},
           {"-(0/0)", "cb7ff8000000000000"},
       }) {
    EXPECT_EQ(Hex(std::string("cmsgpack.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
}

TEST_F(LuaLibsTest, PackStringsBooleansNil) {
  for (const Case& c : std::initializer_list<Case>{
           {"''", "a0"},
           {"'x'", "a178"},
           {"true", "c3"},
           {"false", "c2"},
           {"nil", "c0"},
           {"function() end", "c0"},  // no MessagePack form: nil, as in Redis
       }) {
    EXPECT_EQ(Hex(std::string("cmsgpack.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
  // Headers at each length boundary (fixstr, str8, str16, str32).
  const struct {
    int len;
    const char* header;
  } kLengths[] = {{31, "bf"},      {32, "d920"},      {255, "d9ff"},
                  {256, "da0100"}, {65535, "daffff"}, {65536, "db00010000"}};
  for (const auto& l : kLengths) {
    const std::string hex = Hex("cmsgpack.pack(string.rep('a', " + std::to_string(l.len) + "))");
    const std::string header = l.header;
    EXPECT_EQ(hex.substr(0, header.size()), header) << l.len;
    EXPECT_EQ(hex.size(), header.size() + 2 * static_cast<size_t>(l.len)) << l.len;
    EXPECT_EQ(hex.find_first_not_of("61", header.size()), std::string::npos) << l.len;
  }
}

TEST_F(LuaLibsTest, PackTablesAsArraysOrMaps) {
  for (const Case& c : std::initializer_list<Case>{
           {"{}", "90"},
           {"{1,2,3}", "93010203"},
           {"{{}}", "9190"},
           {"{true, false, 'x', 1.5, -7, {a={}}}", "96c3c2a178ca3fc00000f981a16190"},
           {"{x=1}", "81a17801"},
           {"{[1]=1,[3]=3}", "8201010303"},  // a hole: a map
           {"{1,2,nil,4}", "83010102020404"},
           {"{[2]=1}", "810201"},
           {"{[0]=1}", "810001"},
           {"{[-1]=1}", "81ff01"},
           {"{[1.5]=1}", "81ca3fc0000001"},
           {"{[2^40]=1}", "81cf000001000000000001"},
           {"{['1']=1}", "81a13101"},  // a string key is not an index
           {"{[{}]=1}", "819001"},
       }) {
    EXPECT_EQ(Hex(std::string("cmsgpack.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
}

TEST_F(LuaLibsTest, PackContainerHeadersAtEachBoundary) {
  const struct {
    const char* fill;  // builds t with n entries
    int n;
    const char* header;
  } kCases[] = {
      {"t[i] = i", 15, "9f"},
      {"t[i] = i", 16, "dc0010"},
      {"t[i] = 0", 65535, "dcffff"},
      {"t[i] = 0", 65536, "dd00010000"},
      {"t['k'..i] = 0", 15, "8f"},
      {"t['k'..i] = 0", 16, "de0010"},
      {"t['k'..i] = 0", 65535, "deffff"},
      {"t['k'..i] = 0", 65536, "df00010000"},
  };
  for (const auto& c : kCases) {
    const std::string hex = Hex("(function() local t = {} for i = 1, " + std::to_string(c.n) +
                                " do " + c.fill + " end return cmsgpack.pack(t) end)()");
    const std::string header = c.header;
    EXPECT_EQ(hex.substr(0, header.size()), header) << c.fill << " x" << c.n;
  }
  EXPECT_EQ(Hex("(function() local t = {} for i = 1, 15 do t[i] = i end "
                "return cmsgpack.pack(t) end)()"),
            "9f0102030405060708090a0b0c0d0e0f");
}

TEST_F(LuaLibsTest, PackStopsAtNestingDepth16) {
  // Sixteen nested tables encode; the seventeenth becomes nil.
  EXPECT_EQ(Hex("cmsgpack.pack({{{{{{{{{{{{{{{{}}}}}}}}}}}}}}}})"),
            "91919191919191919191919191919190");
  EXPECT_EQ(Hex("cmsgpack.pack({{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}})"),
            "9191919191919191919191919191919101");
  EXPECT_EQ(Hex("cmsgpack.pack({{{{{{{{{{{{{{{{{{{{}}}}}}}}}}}}}}}}}}}})"),
            "91919191919191919191919191919191c0");
  // A table that holds itself encodes as 16 copies, then nil.
  EXPECT_EQ(Hex("(function() local a = {} a[1] = a return cmsgpack.pack(a) end)()"),
            "91919191919191919191919191919191c0");
  // Redis's circular-reference test: unpacked, the copies nest as packed.
  EXPECT_EQ(Run("local a = {x=nil, y=5} local b = {x=a} a['x'] = b "
                "local re = cmsgpack.unpack(cmsgpack.pack(a)) "
                "return re.x.x.y == re.y, type(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x), "
                "re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x"),
            (std::vector<std::string>{"true", "table", "nil"}));
}

TEST_F(LuaLibsTest, PackConcatenatesItsArgumentsAndNeedsOne) {
  EXPECT_EQ(Hex("cmsgpack.pack(1, 2, 'a')"), "0102a161");
  EXPECT_EQ(Hex("cmsgpack.pack(2^31, -2^31, 2^32-1, -2^63+1024)"),
            "ce80000000d280000000ceffffffffd38000000000000400");
  EXPECT_EQ(Error("cmsgpack.pack()"),
            "t:1: bad argument #0 to 'pack' (MessagePack pack needs input.)");
}

// ---- cmsgpack: decoding -------------------------------------------------

TEST_F(LuaLibsTest, RoundTripsEveryType) {
  // Deep equality in Lua, over values of each encoding.
  const char* kDeepEqual =
      "local function eq(a, b) "
      "  if type(a) ~= type(b) then return false end "
      "  if type(a) ~= 'table' then return a == b end "
      "  for k, v in pairs(a) do if not eq(v, b[k]) then return false end end "
      "  for k in pairs(b) do if a[k] == nil then return false end end "
      "  return true "
      "end ";
  const std::string values =
      "{0, 1, 127, 128, 255, 256, 65535, 65536, 2^32-1, 2^32, 2^53, -1, -32, -33, -128, -129, "
      "-32768, -32769, -2^31, -2^31-1, -2^53, 0.5, 0.1, -1e300, 1/0, -1/0, "
      "'', 'x', string.rep('s', 31), string.rep('s', 32), string.rep('s', 255), "
      "string.rep('s', 256), string.rep('s', 70000), true, false, {}, {1, 2, {3, {4}}}, "
      "{a = 1, b = {c = 'd'}, [7] = false, [0.5] = 2}}";
  EXPECT_EQ(Run(std::string(kDeepEqual) + "local vs = " + values +
                " for i, v in ipairs(vs) do "
                "  local packed = cmsgpack.pack(v) "
                "  local back = cmsgpack.unpack(packed) "
                "  if not eq(v, back) then return 'value ' .. i end "
                "  local off, one = cmsgpack.unpack_one(packed) "
                "  if off ~= -1 or not eq(v, one) then return 'unpack_one ' .. i end "
                "end "
                "local all = {cmsgpack.unpack(cmsgpack.pack(unpack(vs)))} "
                "if #all ~= #vs then return 'count ' .. #all end "
                "for i = 1, #vs do if not eq(vs[i], all[i]) then return 'multi ' .. i end end "
                "return 'ok'"),
            std::vector<std::string>{"ok"});
  // NaN is not equal to itself: check it by its encoding once decoded.
  EXPECT_EQ(Hex("cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(0/0)))"), "cbfff8000000000000");
}

TEST_F(LuaLibsTest, UnpackDecodesEveryWireForm) {
  // Forms pack never writes but a client may send: wider integers than
  // needed, float32 for integral values.
  for (const Case& c : std::initializer_list<Case>{
           {"'\\204\\5'", "5"},
           {"'\\205\\0\\5'", "5"},
           {"'\\206\\0\\0\\0\\5'", "5"},
           {"'\\207\\0\\0\\0\\0\\0\\0\\0\\5'", "5"},
           {"'\\208\\251'", "-5"},
           {"'\\209\\255\\251'", "-5"},
           {"'\\210\\255\\255\\255\\251'", "-5"},
           {"'\\211\\255\\255\\255\\255\\255\\255\\255\\251'", "-5"},
           {"'\\202\\64\\160\\0\\0'", "5"},
           {"'\\202\\127\\128\\0\\0'", "inf"},
           {"'\\203\\64\\20\\0\\0\\0\\0\\0\\0'", "5"},
           {"'\\217\\2ab'", "ab"},
           {"'\\218\\0\\2ab'", "ab"},
           {"'\\219\\0\\0\\0\\2ab'", "ab"},
           // Redis reads a uint64 through a signed integer: kept.
           {"'\\207\\255\\255\\255\\255\\255\\255\\255\\255'", "-1"},
       }) {
    EXPECT_EQ(Run(std::string("return tostring(cmsgpack.unpack(") + c.lua + "))"),
              std::vector<std::string>{c.hex})
        << c.lua;
  }
  EXPECT_EQ(Run("local t = cmsgpack.unpack('\\220\\0\\2\\1\\2') return #t, t[1], t[2]"),
            (std::vector<std::string>{"2", "1", "2"}));
  EXPECT_EQ(Run("local t = cmsgpack.unpack('\\221\\0\\0\\0\\1\\7') return #t, t[1]"),
            (std::vector<std::string>{"1", "7"}));
  EXPECT_EQ(Run("local t = cmsgpack.unpack('\\222\\0\\1\\161a\\1') return t.a"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(Run("local t = cmsgpack.unpack('\\223\\0\\0\\0\\1\\161a\\2') return t.a"),
            std::vector<std::string>{"2"});
  EXPECT_EQ(Run("return cmsgpack.unpack('')"), std::vector<std::string>{});
  // A number argument is a string to Lua 5.1: '12' is the bytes 0x31 0x32.
  EXPECT_EQ(Run("return cmsgpack.unpack(12)"), (std::vector<std::string>{"49", "50"}));
}

TEST_F(LuaLibsTest, UnpackOneAndUnpackLimitReturnTheNextOffset) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Run("return cmsgpack.unpack_one('')"), V{"-1"});
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2')"), (V{"1", "1"}));
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', 0)"), (V{"1", "1"}));
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', 1)"), (V{"-1", "2"}));
  EXPECT_EQ(Run("return cmsgpack.unpack_one('\\1\\2', 2)"), V{"-1"});
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2\\3', 2)"), (V{"2", "1", "2"}));
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2\\3', 5, 1)"), (V{"-1", "2", "3"}));
  // Limit 0 at offset 0 is "all, without an offset", as in Redis.
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2\\3', 0)"), (V{"1", "2", "3"}));
  EXPECT_EQ(Run("return cmsgpack.unpack_limit('\\1\\2\\3', 0, 1)"), V{"1"});
  // Redis's smoke test walks a stream of strings of each header size.
  EXPECT_EQ(Run("local s = cmsgpack.pack(1, 'ab', {3}, 4) "
                "local o, a, b = cmsgpack.unpack_limit(s, 2, 1) "
                "local o2, c = cmsgpack.unpack_one(s, o) "
                "return o, a, b[1], o2, c"),
            (V{"6", "ab", "3", "-1", "4"}));
  EXPECT_EQ(Run("local s = cmsgpack.pack(string.rep('a', 5), string.rep('b', 200), "
                "string.rep('c', 1000), string.rep('d', 70000)) "
                "local out, off = {}, 0 "
                "while off ~= -1 do local o, v = cmsgpack.unpack_limit(s, 1, off) "
                "  out[#out + 1] = #v .. v:sub(1, 1) off = o end "
                "return table.concat(out, ' ')"),
            V{"5a 200b 1000c 70000d"});
}

TEST_F(LuaLibsTest, UnpackArgumentErrors) {
  EXPECT_EQ(Error("cmsgpack.unpack_one('\\1\\2', 3)"),
            "t:1: Start offset 3 greater than input length 2.");
  EXPECT_EQ(Error("cmsgpack.unpack_one('\\1\\2', -1)"),
            "t:1: Invalid request to unpack with offset of -1 and limit of 1.");
  EXPECT_EQ(Error("cmsgpack.unpack_limit('\\1\\2\\3', -2)"),
            "t:1: Invalid request to unpack with offset of 0 and limit of -2.");
  EXPECT_EQ(Error("cmsgpack.unpack_limit('\\1')"),
            "t:1: bad argument #2 to 'unpack_limit' (number expected, got no value)");
  EXPECT_EQ(Error("cmsgpack.unpack_one()"),
            "t:1: bad argument #1 to 'unpack_one' (string expected, got no value)");
  EXPECT_EQ(Error("cmsgpack.unpack({})"),
            "t:1: bad argument #1 to 'unpack' (string expected, got table)");
}

TEST_F(LuaLibsTest, UnpackRefusesTruncatedInputAtEveryCut) {
  // Every proper prefix of a buffer holding each type fails cleanly (an
  // ASan build proves no read goes past the string).
  ASSERT_EQ(Run("full = cmsgpack.pack({1, -200, 70000, -70000, 2^40, -2^40, 1.5, 0.1, "
                "'abc', string.rep('x', 40), string.rep('y', 300), true, false, nil, "
                "{a = {b = {}}}}) return #full"),
            std::vector<std::string>{"419"});
  EXPECT_EQ(Run("local bad = 0 "
                "for cut = 1, #full - 1 do "
                "  local ok, err = pcall(cmsgpack.unpack, full:sub(1, cut)) "
                "  if ok or not string.find(err, 'Missing bytes in input.', 1, true) then "
                "    bad = bad + 1 end "
                "end return bad"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(Run("local s = cmsgpack.pack(string.rep('z', 70000)) local bad = 0 "
                "for _, cut in ipairs({1, 2, 3, 4, 5, 6, 1000, 70004}) do "
                "  local ok, err = pcall(cmsgpack.unpack, s:sub(1, cut)) "
                "  if ok or not string.find(err, 'Missing bytes in input.', 1, true) then "
                "    bad = bad + 1 end "
                "end return #s, bad"),
            (std::vector<std::string>{"70005", "0"}));
  for (const char* truncated :
       {"'\\204'", "'\\205\\1'", "'\\206\\1\\2\\3'", "'\\207\\1'", "'\\211\\1\\2\\3\\4\\5\\6\\7'",
        "'\\202\\1'", "'\\203\\1\\2'", "'\\165abcd'", "'\\217'", "'\\217\\5abc'", "'\\218\\0'",
        "'\\219\\255\\255\\255\\255abc'", "'\\145'", "'\\220\\0'", "'\\221\\255\\255\\255\\255'",
        "'\\223\\255\\255\\255\\255'", "'\\129\\1'"}) {
    EXPECT_EQ(Error(std::string("cmsgpack.unpack(") + truncated + ")"),
              "t:1: Missing bytes in input.")
        << truncated;
  }
}

TEST_F(LuaLibsTest, UnpackRefusesUnknownTypes) {
  // 0xc1 is never used; bin, ext and fixext are not in Redis's library.
  for (const char* bad :
       {"'\\193'", "'\\196\\1a'", "'\\199\\1\\1a'", "'\\212\\1a'", "'\\1\\193'", "'\\145\\193'"}) {
    EXPECT_EQ(Error(std::string("cmsgpack.unpack(") + bad + ")"), "t:1: Bad data format in input.")
        << bad;
  }
  EXPECT_EQ(Error("cmsgpack.unpack('\\129\\192\\1')"), "table index is nil");
}

TEST_F(LuaLibsTest, UnpackBoundsStackUse) {
  // Too many top-level values, and nesting far deeper than pack writes:
  // errors from Lua's stack limit, not a crash.
  EXPECT_EQ(Error("cmsgpack.unpack(string.rep('\\1', 100000))"),
            "t:1: stack overflow (too many return values at once; use unpack_one or "
            "unpack_limit instead.)");
  EXPECT_NE(Error("cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')").find("stack overflow"),
            std::string::npos);
  EXPECT_EQ(Run("local t = cmsgpack.unpack(string.rep('\\145', 3000) .. '\\7') "
                "for i = 1, 3000 do t = t[1] end return t"),
            std::vector<std::string>{"7"});
  // One value at a time works however many there are.
  EXPECT_EQ(Run("local s, off, n = string.rep('\\1', 100000), 0, 0 "
                "while off ~= -1 do off = cmsgpack.unpack_one(s, off) n = n + 1 end return n"),
            std::vector<std::string>{"100000"});
}

TEST_F(LuaLibsTest, UnpackSurvivesRandomBytes) {
  // Hostile input: random strings, and random mutations of a valid buffer.
  // Each either decodes or raises a Lua error.
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string valid = Run("return cmsgpack.pack({1, {a = 'b', c = {2.5, -3}}, 'xyz', "
                                "string.rep('q', 40), true})")
                                .at(0);
  int decoded = 0;
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      const int len = 1 + i % 40;
      for (int j = 0; j < len; ++j) s.push_back(static_cast<char>(byte(rng)));
    } else {
      s = valid;
      for (int j = 0; j < 3; ++j)
        s[static_cast<size_t>(byte(rng)) % s.size()] = static_cast<char>(byte(rng));
    }
    lua_settop(L_, 0);
    lua_getglobal(L_, "cmsgpack");
    lua_getfield(L_, -1, "unpack");
    lua_pushlstring(L_, s.data(), s.size());
    (lua_pcall(L_, 1, LUA_MULTRET, 0) == 0 ? decoded : refused) += 1;
  }
  lua_settop(L_, 0);
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

// ---- struct ---------------------------------------------------------------

TEST_F(LuaLibsTest, StructPacksEachOptionInBothByteOrders) {
  for (const Case& c : std::initializer_list<Case>{
           {"'>i', 1", "00000001"},
           {"'<i', 1", "01000000"},
           {"'b', -1", "ff"},
           {"'B', 255", "ff"},
           {"'B', 256", "00"},
           {"'b', 128", "80"},
           {"'>h', -2", "fffe"},
           {"'<h', -2", "feff"},
           {"'<H', 65535", "ffff"},
           {"'>H', 258", "0102"},
           {"'>l', -2", "fffffffffffffffe"},
           {"'<L', 1", "0100000000000000"},
           {"'>T', 1", "0000000000000001"},
           {"'<T', 1", "0100000000000000"},
           {"'>i3', -1", "ffffff"},
           {"'<i3', 1", "010000"},
           {"'>I3', 65536*3 + 2", "030002"},
           {"'>i16', -1", "0000000000000000ffffffffffffffff"},
           {"'<i16', -1", "ffffffffffffffff0000000000000000"},
           {"'>I16', 1", "00000000000000000000000000000001"},
           {"'i0', 1", ""},
           {"'>f', 1.5", "3fc00000"},
           {"'<f', 1.5", "0000c03f"},
           {"'>d', 0.1", "3fb999999999999a"},
           {"'<d', 0.1", "9a9999999999b93f"},
           {"'s', 'ab'", "616200"},
           {"'c', 'ab'", "61"},
           {"'c0', 'ab'", "6162"},
           {"'c3', 'abcd'", "616263"},
           {"'x'", "00"},
           {"'b x h', 1, 2", "01000200"},
           {"'>i', ' 7'", "00000007"},  // a numeric string is a number
           {"'b', '12'", "0c"},
           // Out-of-range numbers: what Redis gives on x86-64.
           {"'>i', 2^31", "80000000"},
           {"'>i', -2^31-1", "7fffffff"},
           {"'>I', -1", "ffffffff"},
           {"'>l', 2^63", "8000000000000000"},
           {"'>l', 2^64", "0000000000000000"},
           {"'>l', 0/0", "8000000000000000"},
           {"'>l', 1/0", "0000000000000000"},
           {"'>l', -1/0", "8000000000000000"},
           {"'>l', -2^64", "8000000000000000"},
           {"'>l', 1.9", "0000000000000001"},
           {"'>l', -1.9", "ffffffffffffffff"},
           {"'>f', 1e300", "7f800000"},
       }) {
    EXPECT_EQ(Hex(std::string("struct.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
}

TEST_F(LuaLibsTest, StructAlignment) {
  for (const Case& c : std::initializer_list<Case>{
           {"'!4 b i', 1, 2", "0100000002000000"},
           {"'! b d', 1, 2", "01000000000000000000000000000040"},  // '!' alone: 8
           {"'!2 b i', 1, 2", "010002000000"},
           {"'!1 b i', 1, 2", "0102000000"},
           {"'!8 b i3', 1, 2", "010000020000"},
           {"'!8 b i6', 1, 2", "010000000000020000000000"},
           {"'!8 b i12', 1, 2", "0100000000000000020000000000000000000000"},
           {"'!8 b c3 i', 1, 'abc', 2", "0161626302000000"},  // c never aligns
           {"'!b', 1", "01"},
           {"'b!', 1", "01"},
       }) {
    EXPECT_EQ(Hex(std::string("struct.pack(") + c.lua + ")"), c.hex) << c.lua;
  }
  EXPECT_EQ(Run("return struct.unpack('!4 b i', '\\1\\0\\0\\0\\2\\0\\0\\0')"),
            (std::vector<std::string>{"1", "2", "9"}));
  // Alignment counts from the start of the data, not from pos.
  EXPECT_EQ(Run("return struct.unpack('!4 i', 'xx\\0\\0\\7\\0\\0\\0', 2)"),
            (std::vector<std::string>{"7", "9"}));
}

TEST_F(LuaLibsTest, StructUnpack) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Run("return struct.unpack('>i', '\\0\\0\\0\\1')"), (V{"1", "5"}));
  EXPECT_EQ(Run("return struct.unpack('<i', '\\1\\0\\0\\0xyz', 1)"), (V{"1", "5"}));
  EXPECT_EQ(Run("return struct.unpack('>b B h H', '\\255\\255\\255\\254\\255\\254')"),
            (V{"-1", "255", "-2", "65534", "7"}));
  EXPECT_EQ(Run("return struct.unpack('<h H', '\\254\\255\\254\\255')"), (V{"-2", "65534", "5"}));
  EXPECT_EQ(Run("return struct.unpack('>l', '\\255\\255\\255\\255\\255\\255\\255\\254')"),
            (V{"-2", "9"}));
  EXPECT_EQ(Run("return string.format('%.0f', struct.unpack('>L', string.rep('\\255', 8)))"),
            V{"18446744073709551616"});
  EXPECT_EQ(Run("return struct.unpack('<T', '\\2\\1\\0\\0\\0\\0\\0\\0')"), (V{"258", "9"}));
  EXPECT_EQ(Run("return struct.unpack('>i3', '\\255\\255\\254')"), (V{"-2", "4"}));
  EXPECT_EQ(Run("return struct.unpack('<I3', '\\1\\0\\1')"), (V{"65537", "4"}));
  EXPECT_EQ(Run("return struct.unpack('>i16', string.rep('\\255', 16))"), (V{"-1", "17"}));
  EXPECT_EQ(Run("return struct.unpack('>i12', string.rep('\\255', 12))"), (V{"-1", "13"}));
  // Sizes past 8 keep the last 8 bytes, with Redis's x86-64 sign mask.
  EXPECT_EQ(Run("return struct.unpack('>i9', '\\128' .. string.rep('\\0', 8))"), (V{"0", "10"}));
  EXPECT_EQ(Run("return struct.unpack('>i9', '\\0\\128' .. string.rep('\\0', 7))"),
            (V{"-128", "10"}));
  EXPECT_EQ(Run("return struct.unpack('i0', 'abc')"), (V{"0", "1"}));
  EXPECT_EQ(Run("return struct.unpack('x b', 'ab')"), (V{"98", "3"}));
  EXPECT_EQ(Run("return struct.unpack('>f', '\\63\\192\\0\\0')"), (V{"1.5", "5"}));
  EXPECT_EQ(Run("return struct.unpack('<f', '\\0\\0\\192\\63')"), (V{"1.5", "5"}));
  EXPECT_EQ(Run("return struct.unpack('>d', '\\63\\185\\153\\153\\153\\153\\153\\154')"),
            (V{"0.1", "9"}));
  EXPECT_EQ(Run("return struct.unpack('<d', '\\154\\153\\153\\153\\153\\153\\185\\63')"),
            (V{"0.1", "9"}));
  EXPECT_EQ(Run("return struct.unpack('s b', 'ab\\0\\5')"), (V{"ab", "5", "5"}));
  EXPECT_EQ(Run("return struct.unpack('>s', 'ab\\0cd', 2)"), (V{"b", "4"}));
  EXPECT_EQ(Run("return struct.unpack('c2 c1', 'abc')"), (V{"ab", "c", "4"}));
  // c0 takes its length from the item before, which it replaces.
  EXPECT_EQ(Run("return struct.unpack('b c0', '\\2abc')"), (V{"ab", "4"}));
  EXPECT_EQ(Run("return struct.unpack('c1 c0', '2abc')"), (V{"ab", "4"}));
  // A count of 2^64 or more (here inf) is 0, as Redis's cast gives on x86-64.
  EXPECT_EQ(Run("return struct.unpack('c3 c0', 'infabc')"), (V{"", "4"}));
  // An empty format reads nothing and returns pos as given, even past the end.
  EXPECT_EQ(Run("return struct.unpack('', 'abc', 10)"), V{"10"});
  EXPECT_EQ(Run("return struct.unpack('', 'abc', -5)"), V{"-5"});
  EXPECT_EQ(Run("return struct.unpack('b', 'a', 1.9)"), (V{"97", "2"}));
  // pack and unpack agree for every option.
  EXPECT_EQ(Run("local f = '<!8 b B h H l L T i I i3 I5 f d s c3 x' "
                "local s = struct.pack(f, -5, 200, -300, 60000, -2^40, 2^40, 77, -2^31, 2^32-1, "
                "-70000, 2^39, 0.25, -1e100, 'zero', 'abc') "
                "local r = {struct.unpack(f, s)} "
                "return #s, table.concat(r, ',', 1, 15), r[16], #r"),
            (V{"73",
               "-5,200,-300,60000,-1099511627776,1099511627776,77,-2147483648,4294967295,"
               "-70000,549755813888,0.25,-1e+100,zero,abc",
               "74", "16"}));
}

TEST_F(LuaLibsTest, StructUnpackRefusesShortData) {
  const std::string kShort = "t:1: bad argument #2 to 'unpack' (data string too short)";
  for (const char* call : {"'>i', '\\0\\0\\1'", "'>i', '\\0\\0\\0\\1', -1", "'b', 'abc', 10",
                           "'b c0', '\\9abc'", "'b c0', '\\255abc'", "'>f d', '\\63\\192\\0\\0'",
                           "'>i12', ''", "'c2147483647', 'ab'", "'d', 'abcdefg'", "'x', ''"}) {
    EXPECT_EQ(Error(std::string("struct.unpack(") + call + ")"), kShort) << call;
  }
  EXPECT_EQ(Error("struct.unpack('s', 'ab')"), "t:1: unfinished string in data");
  EXPECT_EQ(Error("struct.unpack('s', '')"), "t:1: unfinished string in data");
  EXPECT_EQ(Error("struct.unpack('c0', 'abc')"), "t:1: format 'c0' needs a previous size");
  EXPECT_EQ(Error("struct.unpack('c2 c0', '2abc')"), "t:1: format 'c0' needs a previous size");
  EXPECT_EQ(Error("struct.unpack('>i', '\\0\\0\\0\\1', 0)"),
            "t:1: bad argument #3 to 'unpack' (offset must be 1 or greater)");
  EXPECT_EQ(Error("struct.unpack('b', 'a', 'x')"),
            "t:1: bad argument #3 to 'unpack' (number expected, got string)");
  EXPECT_EQ(Error("struct.unpack('b')"),
            "t:1: bad argument #2 to 'unpack' (string expected, got no value)");
}

TEST_F(LuaLibsTest, StructSize) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Run("return struct.size('>i!4bhlL Td f xc3')"), V{"48"});
  EXPECT_EQ(Run("return struct.size('c')"), V{"1"});
  EXPECT_EQ(Run("return struct.size('i32')"), V{"32"});
  EXPECT_EQ(Run("return struct.size('!16 b d')"), V{"16"});
  EXPECT_EQ(Run("return struct.size('! b d')"), V{"16"});
  EXPECT_EQ(Run("return struct.size('c2147483647')"), V{"2147483647"});
  EXPECT_EQ(Run("return struct.size('z')"), V{"0"});      // letters that are no option: ignored
  EXPECT_EQ(Run("return struct.size('b\\0i')"), V{"1"});  // the format ends at a zero byte
  EXPECT_EQ(Error("struct.size('s')"),
            "t:1: bad argument #1 to 'size' (option 's' has no fixed size)");
  EXPECT_EQ(Error("struct.size('c0')"),
            "t:1: bad argument #1 to 'size' (option 'c0' has no fixed size)");
  EXPECT_EQ(Error("struct.size()"),
            "t:1: bad argument #1 to 'size' (string expected, got no value)");
}

TEST_F(LuaLibsTest, StructFormatErrors) {
  EXPECT_EQ(Error("struct.size('i33')"), "t:1: integral size 33 is larger than limit of 32");
  EXPECT_EQ(Error("struct.pack('i33', 1)"), "t:1: integral size 33 is larger than limit of 32");
  EXPECT_EQ(Error("struct.size('!3')"), "t:1: alignment 3 is not a power of 2");
  EXPECT_EQ(Error("struct.size('!0')"), "t:1: alignment 0 is not a power of 2");
  EXPECT_EQ(Error("struct.size('i99999999999')"), "t:1: integral size overflow");
  EXPECT_EQ(Error("struct.size('c2147483648')"), "t:1: integral size overflow");
  EXPECT_EQ(Error("struct.unpack('z', 'a')"),
            "t:1: bad argument #1 to 'unpack' (invalid format option 'z')");
  EXPECT_EQ(Error("struct.pack('z', 1)"),
            "t:1: bad argument #1 to 'pack' (invalid format option 'z')");
  EXPECT_EQ(Error("struct.pack(1, 2)"),
            "t:1: bad argument #1 to 'pack' (invalid format option '1')");
  EXPECT_EQ(Error("struct.pack('b5', 1)"),
            "t:1: bad argument #1 to 'pack' (invalid format option '5')");
  EXPECT_EQ(Error("struct.pack()"),
            "t:1: bad argument #1 to 'pack' (string expected, got no value)");
}

TEST_F(LuaLibsTest, StructPackArgumentErrors) {
  EXPECT_EQ(Error("struct.pack('c5', 'ab')"), "t:1: bad argument #3 to 'pack' (string too short)");
  EXPECT_EQ(Error("struct.pack('b')"), "t:1: bad argument #2 to 'pack' (number expected, got nil)");
  EXPECT_EQ(Error("struct.pack('b', 'x')"),
            "t:1: bad argument #2 to 'pack' (number expected, got string)");
  EXPECT_EQ(Error("struct.pack('i', {})"),
            "t:1: bad argument #2 to 'pack' (number expected, got table)");
  EXPECT_EQ(Error("struct.pack('c3', {})"),
            "t:1: bad argument #2 to 'pack' (string expected, got table)");
  // A missing argument after a long item is still refused: the packed bytes
  // so far are on Lua's stack and must not be read as an argument.
  EXPECT_EQ(Error("struct.pack('c0 b c0', string.rep('1', 10000), 1)"),
            "t:1: bad argument #4 to 'pack' (string expected, got nil)");
  EXPECT_EQ(Error("struct.pack('c0 i', string.rep('7', 10000))"),
            "t:1: bad argument #3 to 'pack' (number expected, got nil)");
}

TEST_F(LuaLibsTest, StructUnpackSurvivesRandomFormats) {
  // Random formats over random data: each call returns or raises, and no
  // read leaves the data (checked under ASan).
  std::mt19937 rng(7);
  const std::string kAlphabet = "<>!x bBhHlLTiIcsfd0123489";
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string fmt;
    for (int j = 0; j < 1 + i % 12; ++j) fmt.push_back(kAlphabet[pick(rng)]);
    std::string data;
    for (int j = 0; j < i % 50; ++j) data.push_back(static_cast<char>(byte(rng)));
    lua_settop(L_, 0);
    lua_getglobal(L_, "struct");
    lua_getfield(L_, -1, "unpack");
    lua_pushlstring(L_, fmt.data(), fmt.size());
    lua_pushlstring(L_, data.data(), data.size());
    lua_pushinteger(L_, 1 + i % 5);
    (lua_pcall(L_, 3, LUA_MULTRET, 0) == 0 ? ok : failed) += 1;
  }
  lua_settop(L_, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace kvstore::server

// Copyright (c) the kvstore developers.
//
// The kvstore tool on hashes, lists, sets and sorted sets: export and import
// round-trip every type (deadlines, binary bytes, scores of every kind,
// objects too large for one op), and get and scan say what such a key holds
// instead of printing it as a string.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "cli.h"
#include "json_io.h"
#include "kvstore/kvstore.h"
#include "store_commands.h"
#include "support/object_text.h"
#include "support/temp_dir.h"

namespace kvstore::cli {
namespace {

using namespace std::string_literals;
using kvstore::testing::ReadFileBytes;
using kvstore::testing::TempDir;
using kvstore::testing::WriteFileBytes;

constexpr int64_t kFarFuture = 4102444800000;  // 2100-01-01, in Unix ms

GlobalFlags Flags(const std::string& dir) {
  GlobalFlags f;
  f.dir = dir;
  f.dir_given = true;
  f.sync = "no";
  return f;
}

KvStore Open(const std::string& dir) {
  Options options;
  options.log_level = LogLevel::kWarn;
  auto store = KvStore::open_dir(dir, options);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return std::move(*store);
}

void Apply(KvStore& store, std::string_view key, OpCode code, std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  auto r = store.apply(key, code, views);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
}

// Every key of the store, one sorted line each: key, deadline and content
// (support/object_text.h for the other types), so two stores compare as
// strings.
std::string Canon(const KvStore& store) {
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  do {
    cursor = store.scan(cursor, 100,
                        [&](std::string_view k, std::string_view) { keys.emplace_back(k); });
  } while (cursor != 0);
  std::vector<std::string> lines;
  for (const std::string& key : keys) {
    std::string content;
    if (store.view(key, [&](const Object& obj) { content = kvstore::testing::ObjectText(obj); }) ==
        Type::kString) {
      content = "string:" + store.get(key).value_or("?");
    }
    lines.push_back("[" + key + "] " + std::to_string(store.expire_time(key)) + " " + content);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// A store with every type: binary keys, fields, members and elements
// (invalid UTF-8, NUL, text that starts with the snapshot's binary marker),
// deadlines, scores from -inf to inf with -0 and subnormals, compact and
// large encodings, and a list of about 3 MiB (several import ops).
void Fill(const std::string& dir) {
  KvStore store = Open(dir);
  ASSERT_TRUE(store.set("str", "plain").has_value());
  ASSERT_TRUE(store.set("empty", "").has_value());
  ASSERT_TRUE(store.set_expiring("bin\xff"s, "\x00\xfe"s, kFarFuture).has_value());

  Apply(store, "h\xff\x00"s, OpCode::kHashSet,
        {"f", "\x00\x01\xff"s, "\0b64:not base64"s, "v", "empty", ""});
  Apply(store, "bighash", OpCode::kHashSet, {"seed", "1"});
  for (int i = 0; i < 300; ++i) {
    Apply(store, "bighash", OpCode::kHashSet, {"field" + std::to_string(i), std::string(70, 'v')});
  }
  ASSERT_TRUE(store.expire_at("bighash", kFarFuture + 1).has_value());

  Apply(store, "list", OpCode::kListPush, {"R", "a", "\xff\xfe"s, "", "a", "\0b64:"s});
  Apply(store, "list", OpCode::kListPush, {"L", "head"});
  ASSERT_TRUE(store.expire_at("list", kFarFuture + 2).has_value());

  Apply(store, "ints", OpCode::kSetAdd, {"1", "-5", "9223372036854775807", "42"});
  Apply(store, "mixed", OpCode::kSetAdd, {"x", "1", "\xc3\x28"s, "\0"s});
  ASSERT_TRUE(store.expire_at("mixed", kFarFuture + 3).has_value());

  Apply(store, "z", OpCode::kZSetAdd,
        {EncodeScore(-std::numeric_limits<double>::infinity()), "ninf",
         EncodeScore(std::numeric_limits<double>::infinity()), "pinf", EncodeScore(-0.0), "negzero",
         EncodeScore(0.1), "tenth", EncodeScore(5e-324), "subnormal", EncodeScore(-1e300), "huge",
         EncodeScore(3), "\xff"s, EncodeScore(3), "three"});
  ASSERT_TRUE(store.expire_at("z", kFarFuture + 4).has_value());

  // Large enough that import splits it into several ops.
  std::vector<std::string> elements = {"R"};
  for (int i = 0; i < 3000; ++i) elements.push_back(std::to_string(i) + std::string(1000, 'e'));
  Apply(store, "biglist", OpCode::kListPush, elements);
  ASSERT_TRUE(store.expire_at("biglist", kFarFuture + 5).has_value());
  ASSERT_TRUE(store.close().has_value());
}

TEST(TypedValues, ExportImportRoundTripsEveryType) {
  TempDir tmp;
  const std::string src = tmp.File("src"), dst = tmp.File("dst"), file = tmp.File("export.json");
  Fill(src);
  std::string want;
  {
    KvStore store = Open(src);
    want = Canon(store);
    ASSERT_TRUE(store.close().has_value());
  }
  ASSERT_NE(want.find("biglist"), std::string::npos);
  ASSERT_EQ(ExportCommand(Flags(src), file), kExitOk);
  const std::string text = ReadFileBytes(file);
  EXPECT_NE(text.find("\"objects\""), std::string::npos);
  EXPECT_NE(text.find("\"-inf\""), std::string::npos);
  EXPECT_NE(text.find("\"deadline\": " + std::to_string(kFarFuture + 4)), std::string::npos);

  ::testing::internal::CaptureStderr();
  ASSERT_EQ(ImportCommand(Flags(dst), {file, false}), kExitOk);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("imported 10 keys"), std::string::npos);
  {
    KvStore store = Open(dst);  // from the import's checkpoint
    EXPECT_EQ(Canon(store), want);
    EXPECT_EQ(store.size(), 10u);
    // One update per key but the 3 MiB list's, which took several.
    EXPECT_GE(store.last_sequence(), store.size() + 2);
    ASSERT_TRUE(store.close().has_value());
  }
  // And the copy exports to a file that imports to the same store again.
  const std::string again = tmp.File("again.json");
  ASSERT_EQ(ExportCommand(Flags(dst), again), kExitOk);
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(ImportCommand(Flags(tmp.File("third")), {again, false}), kExitOk);
  ::testing::internal::GetCapturedStderr();
  KvStore third = Open(tmp.File("third"));
  EXPECT_EQ(Canon(third), want);
  ASSERT_TRUE(third.close().has_value());
}

TEST(TypedValues, ImportReplacesWhatTheKeyHeld) {
  TempDir tmp;
  const std::string dir = tmp.File("d"), file = tmp.File("in.json");
  {
    KvStore store = Open(dir);
    ASSERT_TRUE(store.set_expiring("h", "a string", kFarFuture).has_value());
    Apply(store, "l", OpCode::kListPush, {"R", "old1", "old2"});
    Apply(store, "s", OpCode::kSetAdd, {"old"});
    ASSERT_TRUE(store.expire_at("s", kFarFuture).has_value());
    Apply(store, "keep", OpCode::kHashSet, {"f", "v"});
    ASSERT_TRUE(store.close().has_value());
  }
  WriteFileBytes(file, R"({"map": {"s": "now a string"}, "objects": {)"
                       R"("h": {"type": "hash", "seq": 1, "value": {"f": "v"}},)"
                       R"("l": {"type": "list", "seq": 1, "value": ["new"]}}})");
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(ImportCommand(Flags(dir), {file, false}), kExitOk);
  ::testing::internal::GetCapturedStderr();
  KvStore store = Open(dir);
  EXPECT_EQ(Canon(store),
            "[h] -1 hash:1:f1:v\n"  // the string's deadline went with it
            "[keep] -1 hash:1:f1:v\n"
            "[l] -1 list:3:new\n"  // replaced, not appended to
            "[s] -1 string:now a string\n");
  ASSERT_TRUE(store.close().has_value());
}

TEST(TypedValues, ImportSkipsObjectsWhoseDeadlineHasPassed) {
  TempDir tmp;
  const std::string dir = tmp.File("d"), file = tmp.File("in.json");
  WriteFileBytes(file, R"({"map": {}, "objects": {)"
                       R"("gone": {"type": "set", "seq": 1, "deadline": 1000, "value": ["m"]},)"
                       R"("here": {"type": "zset", "seq": 1, "deadline": )" +
                           std::to_string(kFarFuture) + R"(, "value": [["m", "inf"]]}}})");
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(ImportCommand(Flags(dir), {file, false}), kExitOk);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("imported 1 keys from " + file +
                                                          " (skipped 1 whose deadline has passed)"),
            std::string::npos);
  KvStore store = Open(dir);
  EXPECT_EQ(Canon(store), "[here] " + std::to_string(kFarFuture) + " zset:1:m@inf\n");
  ASSERT_TRUE(store.close().has_value());
}

TEST(TypedValues, ImportOfABadObjectFailsAndNamesIt) {
  TempDir tmp;
  const std::string file = tmp.File("in.json");
  WriteFileBytes(file, R"({"map": {}, "objects": {"z": {"type": "zset", "seq": 1, )"
                       R"("value": [["m", "NaN"]]}}})");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ImportCommand(Flags(tmp.File("d")), {file, false}), kExitError);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(R"(object "z": score "NaN" is not a number)"), std::string::npos) << err;
}

// Runs a store command, capturing what it prints.
struct Output {
  int rc;
  std::string out, err;
};
template <typename Fn>
Output Capture(Fn&& fn) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = fn();
  std::fflush(stdout);
  Output o{rc, "", ""};
  o.out = ::testing::internal::GetCapturedStdout();
  o.err = ::testing::internal::GetCapturedStderr();
  return o;
}

class TypedCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    KvStore store = Open(dir_);
    ASSERT_TRUE(store.set("s", "text").has_value());
    ASSERT_TRUE(store.set("e", "").has_value());
    Apply(store, "h", OpCode::kHashSet, {"f1", "v", "f2", "v", "f3", "v"});
    Apply(store, "l", OpCode::kListPush, {"R", "only"});
    Apply(store, "set\xff"s, OpCode::kSetAdd, {"a", "b"});
    Apply(store, "z", OpCode::kZSetAdd, {EncodeScore(1), "m", EncodeScore(2), "n"});
    ASSERT_TRUE(store.expire_at("z", kFarFuture).has_value());
    ASSERT_TRUE(store.close().has_value());
  }
  std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(text.substr(start, nl - start));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }
  TempDir tmp_;
  std::string dir_ = tmp_.File("d");
};

TEST_F(TypedCommands, GetOfAnotherTypeIsOneWrongTypeLineAndExitTwo) {
  auto o = Capture([&] { return GetCommand(Flags(dir_), "h", false); });
  EXPECT_EQ(o.rc, kExitError);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "kvstore: WRONGTYPE key 'h' holds a hash, not a string\n");
  o = Capture([&] { return GetCommand(Flags(dir_), "set\xff"s, false); });
  EXPECT_EQ(o.rc, kExitError);
  EXPECT_EQ(o.err, "kvstore: WRONGTYPE key 'set\\xff' holds a set, not a string\n");
  o = Capture([&] { return GetCommand(Flags(dir_), "z", false); });
  EXPECT_EQ(o.rc, kExitError);
  EXPECT_EQ(o.err, "kvstore: WRONGTYPE key 'z' holds a zset, not a string\n");
  o = Capture([&] { return GetCommand(Flags(dir_), "l", false); });
  EXPECT_EQ(o.rc, kExitError);
  // Strings, the empty one included, and absent keys are as before.
  o = Capture([&] { return GetCommand(Flags(dir_), "e", false); });
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_EQ(o.out, "\n");
  o = Capture([&] { return GetCommand(Flags(dir_), "absent", false); });
  EXPECT_EQ(o.rc, kExitNo);
  EXPECT_EQ(o.err, "");
}

TEST_F(TypedCommands, ScanListsEveryKeyAndValuesSummariseObjects) {
  ScanArgs args;
  auto o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_EQ(Lines(o.out), (std::vector<std::string>{"e", "h", "l", "s", "set\\xff", "z"}));
  args.values = true;
  o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_EQ(Lines(o.out), (std::vector<std::string>{
                              "e\t", "h\t<hash, 3 fields>", "l\t<list, 1 element>", "s\ttext",
                              "set\\xff\t<set, 2 members>", "z\t<zset, 2 members>"}));
  args.ttl = true;
  args.match = "z";
  o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  ASSERT_EQ(Lines(o.out).size(), 1u);
  EXPECT_TRUE(o.out.starts_with("z\t<zset, 2 members>\t")) << o.out;
  EXPECT_NE(o.out, "z\t<zset, 2 members>\t-1\n");
}

TEST_F(TypedCommands, ScanTypeFilters) {
  ScanArgs args;
  args.type = "string";
  args.values = true;
  auto o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_EQ(Lines(o.out), (std::vector<std::string>{"e\t", "s\ttext"}));
  args.values = false;
  for (const char* type : {"hash", "list", "set", "zset"}) {
    args.type = type;
    o = Capture([&] { return ScanCommand(Flags(dir_), args); });
    EXPECT_EQ(Lines(o.out).size(), 1u) << type << ": " << o.out;
  }
  args.type = "hash";
  args.limit = 1;
  o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  EXPECT_EQ(o.out, "h\n");
  args.type = "stream";
  o = Capture([&] { return ScanCommand(Flags(dir_), args); });
  EXPECT_EQ(o.rc, kExitError);
  EXPECT_NE(o.err.find("scan --type takes string, list, set, zset or hash"), std::string::npos);
}

}  // namespace
}  // namespace kvstore::cli

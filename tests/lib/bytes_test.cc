// Copyright (c) the kvstore developers.
//
// Keys and values are arbitrary bytes: NUL, newlines, invalid UTF-8, the
// snapshot's own binary marker, all 256 byte values. They must survive WAL
// replay and snapshot+load unchanged, while the snapshot stays valid UTF-8
// JSON in which text data is readable as-is.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "kvstore/kvstore.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;
using kvstore::testing::ReadFileBytes;

namespace fs = std::filesystem;
using namespace std::string_literals;

Options NoSync() {
  Options o;
  o.sync = SyncMode::kNever;
  return o;
}

std::string AllBytes() {
  std::string s(256, '\0');
  for (int i = 0; i < 256; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return s;
}

// Hard cases, each as a key and as a value.
std::vector<std::string> TrickyStrings() {
  std::vector<std::string> v = {
      ""s,
      "\0"s,
      "\0\0\0"s,
      "a\0b"s,
      "trailing NUL\0"s,
      "\n"s,
      "line one\nline two\r\nline three\r"s,
      " "s,
      "  leading and trailing spaces  "s,
      "\t tab\vvertical\fform feed"s,
      "quote \" backslash \\ slash / brace { } bracket [ ] colon : comma ,"s,
      "\x01\x02\x1f\x7f"s,
      "\xff"s,
      "\xfe\xff\x00\x01"s,
      "\x80 lone continuation"s,
      "truncated \xe2\x82"s,         // first two bytes of a 3-byte sequence
      "overlong \xc0\x80"s,          // overlong NUL
      "surrogate \xed\xa0\x80"s,     // UTF-16 surrogate in UTF-8: invalid
      "beyond \xf4\x90\x80\x80"s,    // above U+10FFFF
      "valid 4-byte \xf0\x9f\x9a\x80"s,
      "\xe2\x80\xa8\xe2\x80\xa9 separators"s,
      "\xef\xbb\xbf BOM"s,
      "\0b64:"s,                      // exactly the binary marker
      "\0b64:aGVsbG8="s,              // looks like an encoded value
      "\0b64:not base64 !!"s,
      "\0b64"s,                       // marker without the colon
      "b64:aGVsbG8="s,                // the marker's text without the NUL
      "\\u0000b64:aGVsbG8="s,         // the JSON spelling of the marker, literally
      "{\"map\": {\"k\": \"v\"}}"s,   // JSON inside a value
      "map"s,
      "sequence"s,
      "version"s,
      "format"s,
      AllBytes(),
      std::string(1000, '\0'),
      std::string(3000, '\xff'),
  };
  std::string reversed = AllBytes();
  std::reverse(reversed.begin(), reversed.end());
  v.push_back(reversed);
  return v;
}

// Each tricky string as a key (value: a tagged copy) and as a value (key: its
// index), plus every single byte as a key and a value.
std::map<std::string, std::string> TrickyData() {
  std::map<std::string, std::string> m;
  const std::vector<std::string> t = TrickyStrings();
  for (std::size_t i = 0; i < t.size(); ++i) {
    m[t[i]] = "as-key:"s + t[i];
    m["value-" + std::to_string(i)] = t[i];
  }
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    m["byte-key:"s + byte] = byte;
    m[std::string(2, static_cast<char>(b))] = "two of byte " + std::to_string(b);
  }
  return m;
}

// Random binary data with a fixed seed.
std::map<std::string, std::string> RandomBinaryData(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::map<std::string, std::string> m;
  while (m.size() < n) {
    std::string k(1 + rng() % 24, '\0');
    for (char& c : k) c = static_cast<char>(rng());
    std::string v(rng() % 200, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    m[k] = v;
  }
  return m;
}

void ExpectExactly(const KvStore& s, const std::map<std::string, std::string>& m) {
  EXPECT_EQ(s.size(), m.size());
  for (const auto& [k, v] : m) {
    auto got = s.get(k);
    ASSERT_TRUE(got.has_value()) << "missing key of " << k.size() << " bytes: " << ::testing::PrintToString(k);
    EXPECT_EQ(*got, v) << "key " << ::testing::PrintToString(k);
  }
}

class BytesTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string wal_ = dir_.File("bytes.wal");
  std::string snap_ = dir_.File("bytes.json");
};

TEST_F(BytesTest, TrickyKeysAndValuesSurviveWalReplay) {
  const auto data = TrickyData();
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    for (const auto& [k, v] : data) ASSERT_TRUE(s->set(k, v)) << ::testing::PrintToString(k);
    ExpectExactly(*s, data);
  }
  auto s = KvStore::open(wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->recovery_stats().records_replayed, data.size());
  ExpectExactly(*s, data);
}

TEST_F(BytesTest, TrickyKeysAndValuesSurviveSnapshotAndLoad) {
  const auto data = TrickyData();
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    for (const auto& [k, v] : data) ASSERT_TRUE(s->set(k, v));
    ASSERT_TRUE(s->save_to_file(snap_));
  }
  fs::remove(wal_);  // the snapshot alone
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->recovery_stats().snapshot_keys, data.size());
  ExpectExactly(*s, data);
}

TEST_F(BytesTest, RemoveOfBinaryKeysIsReplayed) {
  const auto data = TrickyData();
  std::map<std::string, std::string> expect = data;
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    for (const auto& [k, v] : data) ASSERT_TRUE(s->set(k, v));
    int i = 0;
    for (const auto& [k, v] : data) {
      if (i++ % 2 == 0) {
        auto r = s->remove(k);
        ASSERT_TRUE(r);
        ASSERT_TRUE(r->has_value()) << ::testing::PrintToString(k);
        EXPECT_EQ(**r, v);
        expect.erase(k);
      }
    }
  }
  auto s = KvStore::open(wal_, NoSync());
  ASSERT_TRUE(s);
  ExpectExactly(*s, expect);
}

TEST_F(BytesTest, RandomBinaryDataSurvivesSnapshotPlusWal) {
  const auto before = RandomBinaryData(500, 4242);
  const auto after = RandomBinaryData(200, 777);
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    for (const auto& [k, v] : before) ASSERT_TRUE(s->set(k, v));
    ASSERT_TRUE(s->save_to_file(snap_));
    for (const auto& [k, v] : after) ASSERT_TRUE(s->set(k, v));  // in the WAL only
  }
  std::map<std::string, std::string> want = before;
  for (const auto& [k, v] : after) want[k] = v;
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->recovery_stats().records_replayed, after.size());
  ExpectExactly(*s, want);
}

TEST_F(BytesTest, ValueStartingWithTheBinaryMarkerIsNotMistakenForEncodedData) {
  const std::string marker_value = "\0b64:aGVsbG8="s;  // base64 of "hello"
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set("k", marker_value));
    ASSERT_TRUE(s->set(marker_value, "v"));
    ASSERT_TRUE(s->save_to_file(snap_));
  }
  fs::remove(wal_);
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->get("k"), marker_value) << "must not decode to \"hello\"";
  EXPECT_EQ(s->get(marker_value), "v");
  EXPECT_EQ(s->get("hello"), std::nullopt);
  EXPECT_EQ(s->size(), 2u);
}

TEST_F(BytesTest, SnapshotIsValidUtf8JsonAndTextIsReadableAsIs) {
  const auto data = TrickyData();
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    for (const auto& [k, v] : data) ASSERT_TRUE(s->set(k, v));
    ASSERT_TRUE(s->set("plain key", "plain text value"));
    ASSERT_TRUE(s->set("grüße", "Ünïcödé ✓ 日本"));
    ASSERT_TRUE(s->set("path/to/thing", "https://example.com/?a=1&b=2"));
    ASSERT_TRUE(s->save_to_file(snap_));
  }
  const std::string text = ReadFileBytes(snap_);
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(simdjson::validate_utf8(text.data(), text.size()))
      << "the snapshot must be valid UTF-8 whatever the data";
  EXPECT_EQ(text.find('\0'), std::string::npos) << "no raw NUL in a JSON text";

  // It parses as JSON (a full DOM parse, independent of the store's loader).
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
  simdjson::dom::object map;
  ASSERT_EQ(doc["map"].get(map), simdjson::SUCCESS);
  EXPECT_EQ(map.size(), data.size() + 3);

  // Text is stored as-is, not encoded.
  EXPECT_NE(text.find("\"plain key\": \"plain text value\""), std::string::npos) << text.substr(0, 2000);
  EXPECT_NE(text.find("\"grüße\": \"Ünïcödé ✓ 日本\""), std::string::npos);
  EXPECT_NE(text.find("\"https://example.com/?a=1&b=2\""), std::string::npos);
  std::string_view v;
  ASSERT_EQ(map["plain key"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "plain text value");
  // A value with newlines is valid UTF-8: a JSON string with escapes, not base64.
  ASSERT_EQ(map["line one\nline two\r\nline three\r"].get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "as-key:line one\nline two\r\nline three\r");
  // Binary data is marked and base64-encoded: "\u0000b64:".
  EXPECT_NE(text.find("\\u0000b64:"), std::string::npos);
  ASSERT_EQ(map["value-12"].get(v), simdjson::SUCCESS);  // "\xff"
  EXPECT_EQ(v, "\0b64:/w=="s);
}

TEST_F(BytesTest, TextWithNulIsStoredAsEscapedJsonString) {
  // "a\0b" is valid UTF-8: JSON can carry it as "a\u0000b" without base64.
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set("nul", "a\0b"s));
    ASSERT_TRUE(s->save_to_file(snap_));
  }
  const std::string text = ReadFileBytes(snap_);
  EXPECT_NE(text.find("\"nul\": \"a\\u0000b\""), std::string::npos) << text;
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("nul"), "a\0b"s);
}

TEST_F(BytesTest, EveryByteValueAsWholeKeyAndValueRoundTripsThroughBothPaths) {
  const std::string all = AllBytes();
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set(all, all));
  }
  {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->get(all), all);
    ASSERT_TRUE(s->save_to_file(snap_));
  }
  fs::remove(wal_);
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get(all), all);
  EXPECT_EQ(s->size(), 1u);
}

TEST_F(BytesTest, HandWrittenBinaryMarkerInSnapshotDecodes) {
  // The documented encoding, written by hand (as another tool would).
  {
    std::ofstream out(snap_);
    out << R"({"map": {"\u0000b64:/w==": "\u0000b64:AAEC", "text": "\u00e9t\u00e9"}})";
  }
  auto s = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->get("\xff"), "\x00\x01\x02"s);
  EXPECT_EQ(s->get("text"), "été");
}

}  // namespace
}  // namespace kvstore

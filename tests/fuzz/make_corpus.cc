// Copyright (c) the kvstore developers.
//
// Writes the seed corpora of the fuzz targets:
//   fuzz_make_corpus <dir>   ->  <dir>/wal/*  and  <dir>/snapshot/*
// WAL images and snapshots come from the real store running on the in-memory
// FaultInjectionFs; damaged variants (torn tails, corruption, sequence gaps,
// bad headers) are derived from them the way a crash or a bad disk would.
// A few hand-written snapshots cover the other accepted JSON forms and the
// errors. Every file stays below 4 KiB. The output is committed under
// tests/fuzz/corpus/; rerun after a format change.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "coding.h"
#include "kvstore/kvstore.h"
#include "object.h"
#include "support/fault_injection_fs.h"
#include "wal_format.h"

namespace {

using kvstore::KvStore;
using kvstore::testing::FaultInjectionFs;

std::string g_out;
int g_files = 0;

void Die(const std::string& what) {
  std::cerr << "fuzz_make_corpus: " << what << "\n";
  std::exit(1);
}

template <class R>
void Ok(const R& r, const char* what) {
  if (!r.has_value()) Die(std::string(what) + ": " + r.error().message());
}

void Write(const std::string& kind, const std::string& name, const std::string& data) {
  if (data.size() >= 4096) Die(kind + "/" + name + " is " + std::to_string(data.size()) + " bytes");
  std::filesystem::create_directories(g_out + "/" + kind);
  std::ofstream f(g_out + "/" + kind + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) Die("cannot write " + kind + "/" + name);
  ++g_files;
}

// The generator's clock stands still before every deadline below, so nothing
// expires while the seeds are written; the fuzzers' clock (kFuzzNowMs in
// fuzz_check.h, 1'700'000'000'000) is later than kPast and earlier than kLater.
constexpr int64_t kGenNowMs = 1'650'000'000'000;
constexpr int64_t kPast = 1'660'000'000'000;   // expired at the fuzzers' time
constexpr int64_t kLater = 1'800'000'000'000;  // live at the fuzzers' time

kvstore::Options Opts(std::shared_ptr<FaultInjectionFs> fs) {
  kvstore::Options o;
  o.sync = kvstore::SyncMode::kNever;
  o.fs = std::move(fs);
  o.clock = [] { return kGenNowMs; };
  return o;
}

// Runs `body` on a fresh store and returns the closed WAL's bytes (and, if
// snapshot is non-null, the last snapshot written to "snap.json").
std::string MakeWal(const std::function<void(KvStore&)>& body, std::string* snapshot = nullptr) {
  auto fs = std::make_shared<FaultInjectionFs>();
  auto store = KvStore::open("w.wal", Opts(fs));
  Ok(store, "open");
  body(*store);
  Ok(store->close(), "close");
  if (snapshot != nullptr) *snapshot = fs->Contents("snap.json").value_or("");
  return fs->Contents("w.wal").value();
}

// Offsets of the records of a WAL image with a valid framing.
std::vector<std::size_t> RecordOffsets(const std::string& w) {
  std::vector<std::size_t> offs;
  std::size_t off = kvstore::wal::kFileHeaderSize;
  while (off + 8 <= w.size()) {
    uint32_t len = kvstore::GetFixed32(w.data() + off);
    if (len == 0) break;
    offs.push_back(off);
    off += 8 + kvstore::wal::Padded(len);
  }
  return offs;
}

void Reseal(std::string* w, std::size_t off) {
  uint32_t len = kvstore::GetFixed32(w->data() + off);
  const char* body = w->data() + off + 8;
  kvstore::PutFixed32(w->data() + off + 4,
                      kvstore::wal::RecordChecksum(XXH3_64bits(body + 8, len - 8),
                                                   kvstore::GetFixed64(body)));
}

// One typed op on key (Transaction::apply through KvStore::apply).
void Op(KvStore& s, std::string_view key, kvstore::OpCode code, std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  Ok(s.apply(key, code, views), "apply");
}

std::string Score(double d) { return kvstore::EncodeScore(d); }

// A typed record with `op` as its bytes, appended to a closed log image as
// its next record (a record no writer produces: bad arguments, an unknown
// op code).
std::string AppendTyped(const std::string& w, std::string_view key, const std::string& op) {
  std::string rec;
  const uint64_t hash = kvstore::wal::EncodeRecord(kvstore::wal::RecordType::kTyped, key, op, &rec);
  kvstore::wal::FinishRecord(RecordOffsets(w).size() + 1, hash, &rec);
  return w + rec;
}

std::string EncodedOp(kvstore::OpCode code, std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string op;
  kvstore::EncodeOp(code, views, &op);
  return op;
}

// Every typed op, on every type: creation, updates, emptied objects, a
// string overwriting an object, deadlines (one expired at the fuzzers' time).
void TypedOps(KvStore& s) {
  using kvstore::OpCode;
  Op(s, "h", OpCode::kHashSet, {"f1", "v1", "f2", std::string("\0\xff", 2)});
  Op(s, "h", OpCode::kHashSet, {"f1", "again", "f3", ""});
  Op(s, "h", OpCode::kHashDel, {"f2", "absent"});
  Op(s, "ints", OpCode::kSetAdd, {"1", "-7", "42"});
  Op(s, "ints", OpCode::kSetAdd, {"not an int"});  // leaves the intset
  Op(s, "ints", OpCode::kSetRem, {"42"});
  Op(s, "z", OpCode::kZSetAdd,
     {Score(1.5), "m", Score(-INFINITY), "lo", Score(INFINITY), "hi", Score(-0.0), "zero"});
  Op(s, "z", OpCode::kZSetAdd, {Score(2.5), "m"});
  Op(s, "z", OpCode::kZSetRem, {"lo", "absent"});
  Op(s, "l", OpCode::kListPush, {"R", "a", "b", "c", "a"});
  Op(s, "l", OpCode::kListPush, {"L", "x", "y"});
  Op(s, "l", OpCode::kListPop, {"R", "1"});
  Op(s, "l", OpCode::kListSet, {"1", "set"});
  Op(s, "l", OpCode::kListInsert, {"2", "ins"});
  Op(s, "l", OpCode::kListRem, {"-1", "a"});
  Op(s, "l", OpCode::kListTrim, {"0", "3"});
  Op(s, "gone", OpCode::kSetAdd, {"m"});
  Op(s, "gone", OpCode::kSetRem, {"m"});  // emptied: the key goes
  Op(s, "replaced", OpCode::kListPush, {"R", "e"});
  Ok(s.set("replaced", "now a string"), "set");
  Op(s, "later", OpCode::kHashSet, {"f", "v"});
  Ok(s.expire_at("later", kLater), "expire_at");
  Op(s, "past", OpCode::kListPush, {"L", "e"});
  Ok(s.expire_at("past", kPast), "expire_at");
  Op(s, std::string("\0bin\xff", 5), OpCode::kSetAdd, {std::string("\0b64:", 5), "\xc3\x28"});
}

void WalCorpus() {
  auto set = [](KvStore& s, std::string k, std::string v) { Ok(s.set(std::move(k), std::move(v)), "set"); };

  Write("wal", "empty_file", "");
  Write("wal", "header_only", MakeWal([](KvStore&) {}));
  const std::string basic = MakeWal([&](KvStore& s) {
    set(s, "ab", "xyz");
    set(s, "key", "value");
    set(s, "ab", "replaced");
  });
  Write("wal", "sets", basic);
  const std::string mixed = MakeWal([&](KvStore& s) {
    set(s, "a", "1");
    set(s, "b", "2");
    Ok(s.remove("a"), "remove");
    set(s, "c", "3");
    Ok(s.clear(), "clear");
    set(s, "d", "4");
    Ok(s.remove("d"), "remove");
    set(s, "e", "");
  });
  Write("wal", "set_remove_clear", mixed);
  Write("wal", "binary", MakeWal([&](KvStore& s) {
          set(s, std::string("\0k\xff\n", 4), std::string("v\0\xfe\r\n", 5));
          set(s, "", "empty key");
          set(s, std::string("\0b64:", 5), "marker key");
          set(s, "text", std::string("\0b64:AAAA", 9));
          set(s, "utf8 \xc3\xa9\xf0\x9f\x98\x80", "\xe2\x82\xac");
        }));
  Write("wal", "batch_updates", MakeWal([&](KvStore& s) {
          set(s, "x", "1");
          Ok(s.update({"x", "y", "z"},
                      [](kvstore::Transaction& t) {
                        t.set("y", std::string(*t.get("x")) + "2");
                        t.remove("x");
                        t.set("z", std::string("\0\xff", 2));
                      }),
             "update");
          Ok(s.update({"y"}, [](kvstore::Transaction& t) { t.set("y", "single"); }), "update");
        }));
  Write("wal", "long_key_varint", MakeWal([&](KvStore& s) {
          set(s, std::string(200, 'k'), "two-byte varint");
          set(s, "big", std::string(1500, 'v'));
        }));
  Write("wal", "clears_only", MakeWal([&](KvStore& s) {
          Ok(s.clear(), "clear");
          Ok(s.clear(), "clear");
        }));

  // Expiry (version 2 records): setx, expire (a new deadline, 0 to clear,
  // a past one logged as a remove) and batches with ops 5 and 6.
  Write("wal", "expiry_records", MakeWal([&](KvStore& s) {
          Ok(s.set_expiring("live", "1", kLater), "set_expiring");
          Ok(s.set_expiring("gone", "2", kPast), "set_expiring");
          set(s, "plain", "3");
          Ok(s.expire_at("plain", kLater + 7), "expire_at");
          Ok(s.expire_at("gone", kLater), "expire_at");
          Ok(s.persist("live"), "persist");
          Ok(s.expire_at("live", kPast), "expire_at");
          set(s, "doomed", "4");
          Ok(s.expire_at("doomed", kGenNowMs - 1), "expire_at");  // logged as a remove
          Ok(s.set_expiring(std::string("\0bin\xff", 5), "x", kLater), "set_expiring");
        }));
  Write("wal", "batch_expiry", MakeWal([&](KvStore& s) {
          set(s, "a", "1");
          Ok(s.update({"a", "b", "c"},
                      [](kvstore::Transaction& t) {
                        t.set("b", "2", kLater);
                        t.expire_at("a", kPast);
                        t.set("c", "3", kPast);
                      }),
             "update");
          Ok(s.update({"a", "b"},
                      [](kvstore::Transaction& t) {
                        t.persist("b");
                        t.expire_at("a", kLater);
                        t.set("b", std::string(*t.get("b")) + "!", t.expire_time("a"));
                      }),
             "update");
        }));

  // Typed values (version 3 records): typed ops alone and in batches.
  const std::string typed = MakeWal(TypedOps);
  Write("wal", "typed_ops", typed);
  Write("wal", "typed_batch", MakeWal([&](KvStore& s) {
          using kvstore::OpCode;
          Op(s, "l", OpCode::kListPush, {"R", "1", "2", "3"});
          Ok(s.update({"l", "m", "h"},
                      [](kvstore::Transaction& t) {
                        // Read before write, as a command does: LMOVE-like.
                        const std::string head(
                            static_cast<const kvstore::ListValue*>(t.object("l"))->at(0));
                        std::vector<std::string_view> pop = {"L", "1"};
                        t.apply("l", OpCode::kListPop, pop);
                        std::vector<std::string_view> push = {"R", head};
                        t.apply("m", OpCode::kListPush, push);
                        std::vector<std::string_view> hset = {"moved", head};
                        t.apply("h", OpCode::kHashSet, hset);
                        t.expire_at("h", kLater);
                      }),
             "update");
          const auto flush_then_add = [](kvstore::Transaction& t) {
            t.clear();
            std::vector<std::string_view> add = {"after the clear"};
            t.apply("s", OpCode::kSetAdd, add);
          };
          Ok(s.update_all(flush_then_add), "update_all");
        }));
  // Well-framed typed records that no writer produces: replay skips them.
  Write("wal", "typed_bad_args",
        AppendTyped(AppendTyped(typed, "z", EncodedOp(kvstore::OpCode::kZSetAdd, {"1.5", "m"})),
                    "l", EncodedOp(kvstore::OpCode::kListSet, {"99", "x"})));
  Write("wal", "typed_wrong_type",
        AppendTyped(typed, "h", EncodedOp(kvstore::OpCode::kListPush, {"R", "x"})));
  // An op code this build does not know, and trailing bytes: malformed.
  std::string unknown = EncodedOp(kvstore::OpCode::kSetAdd, {"m"});
  unknown[0] = static_cast<char>(kvstore::kMaxOpCode + 1);
  Write("wal", "typed_unknown_op_code", AppendTyped(typed, "s", unknown));
  Write("wal", "typed_trailing_bytes",
        AppendTyped(typed, "s", EncodedOp(kvstore::OpCode::kSetAdd, {"m"}) + "x"));

  // A checkpointed log (base_seq > 0) holding the writes after the snapshot.
  std::string snap;
  const std::string checkpointed = MakeWal(
      [&](KvStore& s) {
        set(s, "old1", "x");
        set(s, "old2", "y");
        Ok(s.save_to_file("snap.json"), "save");
        set(s, "new", "z");
        Ok(s.remove("old1"), "remove");
      },
      &snap);
  Write("wal", "checkpointed", checkpointed);

  // Crash shapes.
  auto offs = RecordOffsets(mixed);
  // Interrupted append: the last record's header word is still zero.
  std::string t = mixed;
  std::memset(t.data() + offs.back(), 0, 8);
  Write("wal", "torn_header_zero", t);
  // A record cut short by the end of the file.
  Write("wal", "torn_cut_short", basic.substr(0, basic.size() - 5));
  // Unclean close: preallocated zeros after the last record.
  Write("wal", "zero_padded", basic + std::string(96, '\0'));
  // Torn tail followed by zeros.
  t = basic.substr(0, basic.size() - 3) + std::string(67, '\0');
  Write("wal", "torn_then_zeros", t);
  // Crash while creating the file: an incomplete header.
  Write("wal", "header_incomplete", basic.substr(0, 20));
  Write("wal", "header_zeros", std::string(32, '\0'));

  // Damage before the tail.
  std::string c = mixed;
  c[offs[2] + 18] ^= 0x40;  // a payload byte of the third record
  Write("wal", "corrupt_middle_checksum", c);
  c = mixed;
  c.erase(offs[3], offs[4] - offs[3]);  // a lost record: a sequence gap
  Write("wal", "sequence_gap", c);
  c = mixed;
  // An unknown type (one past the last), checksum recomputed.
  c[offs[1] + 16] = static_cast<char>(kvstore::wal::RecordType::kTyped) + 1;
  Reseal(&c, offs[1]);
  Write("wal", "unknown_type", c);
  c = mixed;
  kvstore::PutFixed32(c.data() + offs[1], 0xF0000001u);  // absurd length
  Write("wal", "bad_length", c);

  // Bad headers.
  c = basic;
  c[0] = 'X';
  Write("wal", "bad_magic", c);
  // Versions 1 and 2 are still read; version 4 is from the future.
  for (uint32_t version : {1u, 2u, kvstore::wal::kVersion + 1}) {
    c = basic;
    kvstore::PutFixed32(c.data() + 8, version);
    kvstore::PutFixed32(c.data() + 24, static_cast<uint32_t>(XXH3_64bits(c.data(), 24)));
    Write("wal", "version_" + std::to_string(version), c);
  }
  c = basic;
  c[25] ^= 1;
  Write("wal", "bad_header_crc", c);
}

void SnapshotCorpus() {
  auto save = [](const std::function<void(KvStore&)>& body) {
    std::string snap;
    MakeWal(
        [&](KvStore& s) {
          body(s);
          Ok(s.save_to_file("snap.json"), "save");
        },
        &snap);
    return snap;
  };
  auto set = [](KvStore& s, std::string k, std::string v) { Ok(s.set(std::move(k), std::move(v)), "set"); };

  Write("snapshot", "empty_store.json", save([](KvStore&) {}));
  Write("snapshot", "text.json", save([&](KvStore& s) {
          set(s, "key", "value");
          set(s, "user:1", "{\"name\": \"quoted\"}");
          set(s, "tabs\tand\nnewlines", "back\\slash");
          set(s, "", "");
        }));
  Write("snapshot", "binary_markers.json", save([&](KvStore& s) {
          set(s, std::string("\0k\xff", 3), std::string("v\0\xfe", 3));
          set(s, std::string("\0b64:", 5), "a text key that starts with the marker");
          set(s, "value starts with marker", std::string("\0b64:AAAA", 9));
          set(s, "invalid utf8", "\xc3\x28\xa0\xa1");
          set(s, "\xed\xa0\x80 surrogate", "x");
        }));
  Write("snapshot", "unicode.json", save([&](KvStore& s) {
          set(s, "caf\xc3\xa9", "\xe2\x82\xac 5");
          set(s, "emoji \xf0\x9f\x98\x80", "\xe4\xb8\xad\xe6\x96\x87");
          set(s, "control \x01\x1f", "\x7f");
        }));
  Write("snapshot", "after_writes.json", save([&](KvStore& s) {
          for (int i = 0; i < 20; ++i) set(s, "k" + std::to_string(i), std::to_string(i * i));
          Ok(s.remove("k3"), "remove");
          Ok(s.clear(), "clear");
          set(s, "survivor", "1");
        }));

  Write("snapshot", "expires.json", save([&](KvStore& s) {
          set(s, "plain", "no deadline");
          Ok(s.set_expiring("live", "1", kLater), "set_expiring");
          Ok(s.set_expiring("expired at fuzz time", "2", kPast), "set_expiring");
          Ok(s.set_expiring(std::string("\0k\xff", 3), "binary key", kLater + 1), "set_expiring");
        }));

  Write("snapshot", "objects.json", save(TypedOps));

  // Other accepted forms, written by hand.
  Write("snapshot", "seed_map_form.json", "{\"map\": {\"a\": \"1\", \"b\": \"2\"}}");
  Write("snapshot", "flat_form.json", "{\"name\": \"kvstore\", \"lang\": \"c++\"}\n");
  Write("snapshot", "flat_with_map_string.json", "{\"map\": \"not an object\", \"k\": \"v\"}");
  Write("snapshot", "empty_object.json", "{}");
  Write("snapshot", "escapes.json",
        "{\"map\": {\"\\u0000b64:AP8=\": \"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\", "
        "\"k\\u0000\": \"\\u0000b64:\"}}");
  Write("snapshot", "duplicates.json", "{\"map\": {\"a\": \"1\", \"a\": \"2\", \"b\": \"x\", \"b\": \"y\"}}");
  Write("snapshot", "metadata_first_and_last.json",
        "{\"format\": \"kvstore-snapshot\", \"future\": {\"nested\": [1, 2, {\"x\": null}]},\n"
        " \"map\": {\"k\": \"v\"}, \"version\": 1, \"sequence\": 42, \"keys\": 1, \"extra\": true}");
  Write("snapshot", "sequence_large.json",
        "{\"version\": 1, \"sequence\": 18446744073709551614, \"map\": {\"k\": \"v\"}}");

  // Errors.
  Write("snapshot", "err_non_string_value.json", "{\"map\": {\"a\": 1, \"b\": [\"x\"]}}");
  Write("snapshot", "err_flat_non_string.json", "{\"a\": \"1\", \"b\": false}");
  Write("snapshot", "err_bad_base64.json", "{\"map\": {\"k\": \"\\u0000b64:@@@\"}}");
  Write("snapshot", "expires_first.json",
        "{\"expires\": {\"k\": 1700000000000}, \"version\": 2, \"map\": {\"k\": \"v\", \"j\": \"w\"}}");
  Write("snapshot", "err_version_4.json", "{\"version\": 4, \"map\": {}}");
  // "objects" (version 3), by hand: every type, duplicates (the last wins),
  // scores of every form, a key also in "map", and the errors.
  Write("snapshot", "objects_forms.json",
        "{\"version\": 3, \"sequence\": 4, \"map\": {\"both\": \"string\"}, \"objects\": {\n"
        " \"h\": {\"type\": \"hash\", \"seq\": 4, \"value\": {\"f\": \"1\", \"f\": \"2\", "
        "\"\\u0000b64:/w==\": \"\\u0000b64:AA==\"}},\n"
        " \"l\": {\"seq\": 9, \"type\": \"list\", \"deadline\": 1800000000000, "
        "\"value\": [\"a\", \"a\", \"\"]},\n"
        " \"s\": {\"type\": \"set\", \"value\": [\"1\", \"1\", \"x\"]},\n"
        " \"old\": {\"type\": \"set\", \"seq\": 1, \"deadline\": 1600000000000, \"value\": "
        "[\"m\"]},\n"
        " \"z\": {\"type\": \"zset\", \"seq\": 4, \"value\": [[\"m\", 1], [\"m\", -2.5e-3], "
        "[\"n\", \"inf\"], [\"o\", \"-inf\"], [\"p\", 1e308]]},\n"
        " \"both\": {\"type\": \"hash\", \"seq\": 4, \"value\": {\"k\": \"v\"}}}}");
  Write("snapshot", "err_object_unknown_type.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"stream\", \"value\": []}}}");
  Write("snapshot", "err_object_empty.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"list\", \"value\": []}}}");
  Write("snapshot", "err_object_value_first.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"value\": [\"a\"], \"type\": \"set\"}}}");
  Write("snapshot", "err_object_no_value.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"set\", \"seq\": 1}}}");
  Write("snapshot", "err_zset_score.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"zset\", \"value\": [[\"m\", \"nan\"]]}}}");
  Write("snapshot", "err_zset_pair.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"zset\", \"value\": [[\"m\", 1, 2]]}}}");
  Write("snapshot", "err_hash_value_number.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"hash\", \"value\": {\"f\": 1}}}}");
  Write("snapshot", "err_object_deadline.json",
        "{\"map\": {}, \"objects\": {\"k\": {\"type\": \"set\", \"deadline\": 0, \"value\": "
        "[\"m\"]}}}");
  Write("snapshot", "err_expires_zero.json", "{\"map\": {\"k\": \"v\"}, \"expires\": {\"k\": 0}}");
  Write("snapshot", "err_expires_not_in_map.json",
        "{\"map\": {\"k\": \"v\"}, \"expires\": {\"x\": 1800000000000}}");
  Write("snapshot", "err_expires_string.json",
        "{\"map\": {\"k\": \"v\"}, \"expires\": {\"k\": \"1800000000000\"}}");
  Write("snapshot", "err_expires_array.json", "{\"map\": {\"k\": \"v\"}, \"expires\": [1]}");
  Write("snapshot", "err_negative_sequence.json", "{\"sequence\": -1, \"map\": {}}");
  Write("snapshot", "err_truncated.json", "{\"map\": {\"a\": \"1\", \"b\": \"");
  Write("snapshot", "err_trailing_data.json", "{\"map\": {}} {}");
  Write("snapshot", "err_top_array.json", "[\"map\", {}]");
  Write("snapshot", "err_invalid_utf8.json", "{\"map\": {\"k\": \"\xff\xfe\"}}");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus <corpus_dir>\n";
    return 2;
  }
  g_out = argv[1];
  WalCorpus();
  SnapshotCorpus();
  std::cout << "wrote " << g_files << " files under " << g_out << "\n";
  return 0;
}

// Copyright (c) the kvstore developers.
//
// Typed values' common parts (object.h, types.h): making objects, checking
// and applying ops, the ops' byte form, memory figures, type names and the
// score encoding. The layouts are in {hash,set,zset,list}_object.cc.

#include "object.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "coding.h"
#include "decimal.h"
#include "hash_object.h"
#include "list_object.h"
#include "set_object.h"
#include "zset_object.h"

namespace kvstore {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNone:
      return "none";
    case Type::kString:
      return "string";
    case Type::kList:
      return "list";
    case Type::kSet:
      return "set";
    case Type::kZSet:
      return "zset";
    case Type::kHash:
      return "hash";
  }
  return "none";
}

Type OpType(OpCode code) {
  switch (code) {
    case OpCode::kHashSet:
    case OpCode::kHashDel:
      return Type::kHash;
    case OpCode::kSetAdd:
    case OpCode::kSetRem:
      return Type::kSet;
    case OpCode::kZSetAdd:
    case OpCode::kZSetRem:
      return Type::kZSet;
    case OpCode::kListPush:
    case OpCode::kListPop:
    case OpCode::kListSet:
    case OpCode::kListInsert:
    case OpCode::kListRem:
    case OpCode::kListTrim:
      return Type::kList;
  }
  return Type::kNone;
}

std::string EncodeScore(double score) {
  uint64_t bits;
  std::memcpy(&bits, &score, sizeof(bits));
  std::string out(8, '\0');
  PutFixed64(out.data(), bits);
  return out;
}

double DecodeScore(std::string_view bytes) {
  const uint64_t bits = GetFixed64(bytes.data());
  double score;
  std::memcpy(&score, &bits, sizeof(score));
  return score;
}

std::unique_ptr<Object> NewObject(Type type) {
  switch (type) {
    case Type::kHash:
      return std::make_unique<HashObject>();
    case Type::kSet:
      return std::make_unique<SetObject>();
    case Type::kZSet:
      return std::make_unique<ZSetObject>();
    case Type::kList:
      return std::make_unique<ListObject>();
    case Type::kNone:
    case Type::kString:
      break;
  }
  return nullptr;
}

namespace {

// A decimal argument in [0, max]; ParseCanonicalInt64's strict form, so
// "+1", " 1", "01" and "-0" are refused as well as negatives.
bool ParseIndex(std::string_view s, uint64_t max, uint64_t* out) {
  int64_t v;
  if (!ParseCanonicalInt64(s, &v) || v < 0 || static_cast<uint64_t>(v) > max) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

// "L" (head) or "R" (tail).
bool ParseSide(std::string_view s, bool* front) {
  if (s == "L" || s == "R") {
    *front = s == "L";
    return true;
  }
  return false;
}

bool Fail(std::string* why, std::string_view message) {
  if (why != nullptr) why->assign(message);
  return false;
}

bool ApplyHash(HashObject* hash, OpCode code, std::span<const std::string_view> args,
               const EncodingLimits& limits, std::string* why) {
  if (code == OpCode::kHashSet) {
    if (args.empty() || args.size() % 2 != 0) {
      return Fail(why, "HashSet needs field, value pairs");
    }
    for (std::size_t i = 0; i < args.size(); i += 2) hash->Set(args[i], args[i + 1], limits);
    return true;
  }
  if (args.empty()) return Fail(why, "HashDel needs a field");
  for (std::string_view field : args) hash->Del(field);
  return true;
}

bool ApplySet(SetObject* set, OpCode code, std::span<const std::string_view> args,
              const EncodingLimits& limits, std::string* why) {
  if (args.empty()) return Fail(why, "SetAdd and SetRem need a member");
  for (std::string_view member : args) {
    if (code == OpCode::kSetAdd) {
      set->Add(member, limits);
    } else {
      set->Rem(member);
    }
  }
  return true;
}

bool ApplyZSet(ZSetObject* zset, OpCode code, std::span<const std::string_view> args,
               const EncodingLimits& limits, std::string* why) {
  if (code == OpCode::kZSetRem) {
    if (args.empty()) return Fail(why, "ZSetRem needs a member");
    for (std::string_view member : args) zset->Rem(member);
    return true;
  }
  if (args.empty() || args.size() % 2 != 0) return Fail(why, "ZSetAdd needs score, member pairs");
  for (std::size_t i = 0; i < args.size(); i += 2) {
    if (args[i].size() != 8) return Fail(why, "ZSetAdd score is not 8 bytes");
    if (std::isnan(DecodeScore(args[i]))) return Fail(why, "ZSetAdd score is NaN");
  }
  bool reserved = false;
  for (std::size_t i = 0; i < args.size(); i += 2) {
    zset->Add(DecodeScore(args[i]), args[i + 1], limits);
    if (!reserved && !zset->compact()) {
      zset->Reserve((args.size() - i) / 2);
      reserved = true;
    }
  }
  return true;
}

bool ApplyList(ListObject* list, OpCode code, std::span<const std::string_view> args,
               std::string* why) {
  constexpr uint64_t kAny = std::numeric_limits<int64_t>::max();
  bool front = false;
  uint64_t a = 0;
  uint64_t b = 0;
  switch (code) {
    case OpCode::kListPush:
      if (args.size() < 2) return Fail(why, "ListPush needs a side and an element");
      if (!ParseSide(args[0], &front)) return Fail(why, "ListPush side is not L or R");
      for (std::size_t i = 1; i < args.size(); ++i) list->Push(front, args[i]);
      return true;
    case OpCode::kListPop:
      if (args.size() != 2) return Fail(why, "ListPop needs a side and a count");
      if (!ParseSide(args[0], &front)) return Fail(why, "ListPop side is not L or R");
      if (!ParseIndex(args[1], kAny, &a)) return Fail(why, "ListPop count is not a decimal >= 0");
      list->Pop(front, static_cast<std::size_t>(a));
      return true;
    case OpCode::kListSet:
      if (args.size() != 2) return Fail(why, "ListSet needs an index and an element");
      if (list->size() == 0 || !ParseIndex(args[0], list->size() - 1, &a)) {
        return Fail(why, "ListSet index out of range");
      }
      list->Set(static_cast<std::size_t>(a), args[1]);
      return true;
    case OpCode::kListInsert:
      if (args.size() != 2) return Fail(why, "ListInsert needs an index and an element");
      if (!ParseIndex(args[0], list->size(), &a)) return Fail(why, "ListInsert index out of range");
      list->Insert(static_cast<std::size_t>(a), args[1]);
      return true;
    case OpCode::kListRem: {
      if (args.size() != 2) return Fail(why, "ListRem needs a count and an element");
      int64_t count;
      if (!ParseCanonicalInt64(args[0], &count)) return Fail(why, "ListRem count is not a decimal");
      list->Rem(count, args[1]);
      return true;
    }
    case OpCode::kListTrim:
      if (args.size() != 2) return Fail(why, "ListTrim needs start and stop");
      if (!ParseIndex(args[0], kAny, &a) || !ParseIndex(args[1], kAny, &b)) {
        return Fail(why, "ListTrim start or stop is not a decimal >= 0");
      }
      list->Trim(static_cast<std::size_t>(a), static_cast<std::size_t>(b));
      return true;
    default:
      break;
  }
  return Fail(why, "not a list op");
}

}  // namespace

bool ApplyOp(Object* obj, OpCode code, std::span<const std::string_view> args,
             const EncodingLimits& limits, std::string* why) {
  const Type type = OpType(code);
  if (type == Type::kNone) return Fail(why, "unknown op code");
  if (obj == nullptr || obj->type() != type)
    return Fail(why, "op applied to a value of another type");
  switch (type) {
    case Type::kHash:
      return ApplyHash(static_cast<HashObject*>(obj), code, args, limits, why);
    case Type::kSet:
      return ApplySet(static_cast<SetObject*>(obj), code, args, limits, why);
    case Type::kZSet:
      return ApplyZSet(static_cast<ZSetObject*>(obj), code, args, limits, why);
    case Type::kList:
      return ApplyList(static_cast<ListObject*>(obj), code, args, why);
    case Type::kNone:
    case Type::kString:
      break;
  }
  return Fail(why, "unknown op code");
}

std::size_t ObjectBytes(const Object& obj) {
  switch (obj.type()) {
    case Type::kHash:
      return sizeof(HashObject) + static_cast<const HashObject&>(obj).HeapBytes();
    case Type::kSet:
      return sizeof(SetObject) + static_cast<const SetObject&>(obj).HeapBytes();
    case Type::kZSet:
      return sizeof(ZSetObject) + static_cast<const ZSetObject&>(obj).HeapBytes();
    case Type::kList:
      return sizeof(ListObject) + static_cast<const ListObject&>(obj).HeapBytes();
    case Type::kNone:
    case Type::kString:
      break;
  }
  return 0;
}

void EncodeOp(OpCode code, std::span<const std::string_view> args, std::string* out) {
  char buf[5];
  out->push_back(static_cast<char>(code));
  out->append(buf, PutVarint32(buf, static_cast<uint32_t>(args.size())));
  for (std::string_view arg : args) {
    out->append(buf, PutVarint32(buf, static_cast<uint32_t>(arg.size())));
    out->append(arg);
  }
}

bool DecodeOp(std::string_view bytes, OpCode* code, std::vector<std::string_view>* args) {
  if (bytes.empty()) return false;
  const auto c = static_cast<uint8_t>(bytes[0]);
  if (c == 0 || c > kMaxOpCode) return false;
  const char* p = bytes.data() + 1;
  const char* const end = bytes.data() + bytes.size();
  uint32_t argc;
  p = GetVarint32(p, end, &argc);
  // Each argument takes at least its length byte.
  if (p == nullptr || argc > static_cast<std::size_t>(end - p)) return false;
  args->clear();
  args->reserve(argc);
  for (uint32_t i = 0; i < argc; ++i) {
    uint32_t len;
    p = GetVarint32(p, end, &len);
    if (p == nullptr || len > static_cast<std::size_t>(end - p)) return false;
    args->emplace_back(p, len);
    p += len;
  }
  if (p != end) return false;
  *code = static_cast<OpCode>(c);
  return true;
}

}  // namespace kvstore

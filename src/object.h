// Copyright (c) the kvstore developers.
//
// The engine's side of the typed values (include/kvstore/types.h): making
// objects, applying ops to them (live writes, transactions' views and WAL
// replay all call ApplyOp, so the three agree), the ops' byte form in WAL
// records, and the objects' memory figure. The four layouts live in
// hash_object.cc, set_object.cc, zset_object.cc and list_object.cc.

#ifndef KVSTORE_SRC_OBJECT_H_
#define KVSTORE_SRC_OBJECT_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/types.h"

namespace kvstore {

// An empty object of type (kList, kSet, kZSet or kHash) in its compact
// encoding (a set starts as an intset; the first non-integer member converts it).
std::unique_ptr<Object> NewObject(Type type);

// Applies one op to obj, which has the op's type (OpType(code)). limits
// decide when a compact encoding converts. Returns false, with *why set and
// obj unchanged, if the arguments do not fit the op (wrong count, a score
// that is not 8 bytes or is NaN, a malformed decimal, an index out of
// range): only a damaged or hand-made record can do that.
bool ApplyOp(Object* obj, OpCode code, std::span<const std::string_view> args,
             const EncodingLimits& limits, std::string* why);

// Approximate heap bytes the object holds (for memory figures): the object
// itself plus its layout's estimate (each *_object.h says what it counts;
// allocator rounding and per-block headers are not counted).
std::size_t ObjectBytes(const Object& obj);

// Heap bytes a std::string owns besides itself: its buffer, when the text is
// too long for the inline (short-string) space. The layouts' HeapBytes() add
// this to their arrays' and tables' own sizes.
inline std::size_t StringHeapBytes(const std::string& s) {
  static const std::size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 : 0;
}

// Appends the byte form of an op (after the key, in a WAL record) to *out:
//   code u8 | varint32 argc | (varint32 len | bytes){argc}
void EncodeOp(OpCode code, std::span<const std::string_view> args, std::string* out);
// Parses EncodeOp's form; views point into bytes. False if malformed (unknown
// code, truncated, trailing bytes).
bool DecodeOp(std::string_view bytes, OpCode* code, std::vector<std::string_view>* args);

}  // namespace kvstore

#endif  // KVSTORE_SRC_OBJECT_H_

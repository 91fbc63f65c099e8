// Copyright (c) the kvstore developers.
//
// Little-endian fixed-width and varint encoding, and the hash used for both
// checksums and key placement (XXH3 from libxxhash, inlined).

#ifndef KVSTORE_SRC_CODING_H_
#define KVSTORE_SRC_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kvstore {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "file formats assume little-endian");

inline void PutFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void PutFixed64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t GetFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t GetFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// LEB128: 7 bits per byte, low bits first; at most 5 bytes for 32 bits.
inline char* PutVarint32(char* p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline int VarintLength(uint32_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Decodes a varint from [p, end). Returns the byte after it, or nullptr if the
// varint is truncated or longer than 5 bytes.
inline const char* GetVarint32(const char* p, const char* end, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && p < end; shift += 7) {
    uint32_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline uint64_t Hash64(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

}  // namespace kvstore

#endif  // KVSTORE_SRC_CODING_H_

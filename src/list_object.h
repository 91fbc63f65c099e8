// Copyright (c) the kvstore developers.
//
// The list layout (ListValue in include/kvstore/types.h): a packed chunked
// deque, what Redis calls a quicklist (and reports for every list in 7.0, so
// this one does too).
//
// The elements live in chunks. A chunk is one heap block: a 16-byte header
// (element count, the byte range in use, capacity) and then the elements
// back to back, each as
//
//   [length: LEB128][bytes][length: LEB128, bytes in reverse order]
//
// so a 14-byte element costs 16 bytes, and a chunk can be walked from
// either end (the trailing length is read backwards from an entry's end).
// The bytes in use sit anywhere inside the block: free space is kept at
// whichever end is being pushed to, so pushes at either end of the list
// are O(1) amortized. A chunk holds at most kChunkBlock bytes (8 KiB with
// its header, Redis's default list-max-listpack-size -2); an element too
// long for that is alone in a chunk of its own size. The chunks are kept in
// order in a vector with free slots at the front, so a chunk is added or
// dropped at either end in O(1) amortized.
//
// at(i) walks the chunk counts from the nearer end of the list and then the
// entries from the nearer end of the chunk. Pops and trims drop whole chunks
// without reading their elements; LINSERT into a full chunk splits it.
// Removing from the middle (LREM, or an LSET whose element no longer fits
// its chunk) merges a chunk left less than half full into a neighbour when
// both fit in one, so many nearly empty chunks do not build up. The chunk
// bound is fixed; EncodingLimits::list_max_listpack_size is not used.
//
// Views from at() and for_each_from() point into a chunk: valid until the
// next change to the list. An element passed to a mutator must not point
// into this list. Elements are shorter than 4 GiB (the store's
// kMaxValueSize bounds every op).

#ifndef KVSTORE_SRC_LIST_OBJECT_H_
#define KVSTORE_SRC_LIST_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "kvstore/types.h"

namespace kvstore {

class ListObject final : public ListValue {
 public:
  /// Heap bytes of a full chunk, its header included.
  static constexpr std::size_t kChunkBlock = 8192;

  ListObject() = default;
  ListObject(const ListObject& other);
  ListObject& operator=(const ListObject&) = delete;
  ~ListObject() override;

  std::size_t size() const override { return size_; }
  std::string_view encoding() const override { return "quicklist"; }
  std::unique_ptr<Object> Clone() const override;
  std::string_view at(std::size_t index) const override;
  void for_each_from(std::size_t start, bool reverse,
                     const std::function<bool(std::string_view element)>& fn) const override;

  // Adds element at the head (front) or the tail.
  void Push(bool front, std::string_view element);
  // Removes up to count elements from the head (front) or the tail.
  void Pop(bool front, std::size_t count);
  // REQUIRES: index < size().
  void Set(std::size_t index, std::string_view element);
  // Inserts element so that it lands at index. REQUIRES: index <= size().
  void Insert(std::size_t index, std::string_view element);
  // LREM: removes up to count matches of element from the head (count > 0),
  // up to -count from the tail (count < 0), or every match (0). Returns the
  // number removed.
  std::size_t Rem(int64_t count, std::string_view element);
  // Keeps the elements from start to stop (inclusive, 0-based); none if
  // start > stop or start >= size(); stop past the end means the end.
  void Trim(std::size_t start, std::size_t stop);

  // Heap bytes as allocated: every chunk's block (header and capacity) and
  // the chunk vector's capacity.
  std::size_t HeapBytes() const;

  /// Chunks in use.
  std::size_t chunk_count() const { return chunks_.size() - head_; }

  // A chunk: a header and its entries in one block (list_object.cc).
  struct Chunk;

 private:
  // An element's place: its chunk (0-based among those in use), its rank
  // in that chunk and the data offset of its entry.
  struct Pos {
    std::size_t chunk;
    uint32_t rank;
    uint32_t offset;
  };

  Chunk* chunk(std::size_t i) const { return chunks_[head_ + i]; }
  Chunk*& chunk_slot(std::size_t i) { return chunks_[head_ + i]; }
  // REQUIRES: index < size().
  Pos Locate(std::size_t index) const;

  // Puts c in as chunk i (0..chunk_count()).
  void AddChunk(std::size_t i, Chunk* c);
  // Frees chunks [first, first + count).
  void DropChunks(std::size_t first, std::size_t count);
  // Frees the empty chunks among [first, last].
  void DropEmpty(std::size_t first, std::size_t last);
  // Makes `need` free bytes at data offset `at` of chunk i (its first byte
  // in use, its end, or an entry boundary), moving the entries on one side
  // of `at` or the chunk to a new block. Returns where the free bytes start.
  uint32_t OpenGap(std::size_t i, uint32_t at, uint32_t need);
  // Removes the bytes [at, at + len) of chunk i, `entries` entries, by
  // moving the fewer bytes on either side. Returns where the bytes that
  // followed them now start.
  uint32_t CloseGap(std::size_t i, uint32_t at, uint32_t len, uint32_t entries);
  // Moves chunk i to a new block of `capacity` data bytes with `gap` free
  // bytes opened at offset gap_at; front: the free space is wanted at the
  // head. Returns the gap's offset in the new block.
  uint32_t Reblock(std::size_t i, uint32_t capacity, uint32_t gap_at, uint32_t gap, bool front);
  // Moves chunk i to a smaller block when less than a quarter of it is used.
  void ShrinkIfSparse(std::size_t i);
  // Splits chunk i before its entry of the given rank (> 0), at offset
  // `at`: that entry and those after it move to a new chunk i + 1.
  void Split(std::size_t i, uint32_t at, uint32_t rank);
  // Merges neighbours among chunks [first, last] when one of them is less
  // than half full and both fit in one chunk.
  void MergeSparse(std::size_t first, std::size_t last);
  // Removes the element at index, merging its chunk with a neighbour if it
  // becomes sparse. REQUIRES: index < size(), and its chunk holds others.
  void RemoveAt(std::size_t index);

  // Slots [head_, chunks_.size()) hold the chunks in order; those before
  // head_ are free, for chunks added at the head.
  std::vector<Chunk*> chunks_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_LIST_OBJECT_H_

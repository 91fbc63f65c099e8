// Copyright (c) the kvstore developers.
//
// The list layout (ListValue in include/kvstore/types.h): a std::deque of
// strings, which is itself a deque of fixed-size blocks, so pushes and pops
// at either end are O(1) and at(i) is O(1) anywhere. Redis 7.0 reports
// "quicklist" for every list, so this one does too. The elements are not
// packed into chunks of list_max_listpack_size (a std::string each costs
// 32 bytes besides a long element's heap buffer); that limit is not used.

#ifndef KVSTORE_SRC_LIST_OBJECT_H_
#define KVSTORE_SRC_LIST_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kvstore/types.h"

namespace kvstore {

class ListObject final : public ListValue {
 public:
  ListObject() = default;

  std::size_t size() const override { return elements_.size(); }
  std::string_view encoding() const override { return "quicklist"; }
  std::unique_ptr<Object> Clone() const override;
  std::string_view at(std::size_t index) const override { return elements_[index]; }
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

  // Approximate heap bytes: a std::string per element, the deque's block
  // map (one pointer per 512-byte block), and the long elements' buffers.
  std::size_t HeapBytes() const;

 private:
  std::deque<std::string> elements_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_LIST_OBJECT_H_

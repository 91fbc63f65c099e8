// Copyright (c) the kvstore developers.
//
// The list layout: a deque of strings ("quicklist").

#include "list_object.h"

#include <algorithm>
#include <iterator>

#include "object.h"

namespace kvstore {

std::unique_ptr<Object> ListObject::Clone() const { return std::make_unique<ListObject>(*this); }

void ListObject::for_each_from(std::size_t start, bool reverse,
                               const std::function<bool(std::string_view element)>& fn) const {
  if (start >= elements_.size()) return;
  if (reverse) {
    for (std::size_t i = start + 1; i-- > 0;) {
      if (!fn(elements_[i])) return;
    }
    return;
  }
  for (std::size_t i = start; i < elements_.size(); ++i) {
    if (!fn(elements_[i])) return;
  }
}

void ListObject::Push(bool front, std::string_view element) {
  if (front) {
    elements_.emplace_front(element);
  } else {
    elements_.emplace_back(element);
  }
}

void ListObject::Pop(bool front, std::size_t count) {
  count = std::min(count, elements_.size());
  const auto n = static_cast<std::ptrdiff_t>(count);
  if (front) {
    elements_.erase(elements_.begin(), elements_.begin() + n);
  } else {
    elements_.erase(elements_.end() - n, elements_.end());
  }
}

void ListObject::Set(std::size_t index, std::string_view element) {
  elements_[index].assign(element);
}

void ListObject::Insert(std::size_t index, std::string_view element) {
  elements_.emplace(elements_.begin() + static_cast<std::ptrdiff_t>(index), element);
}

std::size_t ListObject::Rem(int64_t count, std::string_view element) {
  const bool all = count == 0;
  // Matches still to remove (when not all).
  uint64_t left = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  std::size_t removed = 0;
  if (count >= 0) {
    // From the head: compact the kept elements forwards.
    auto out = elements_.begin();
    for (auto it = elements_.begin(); it != elements_.end(); ++it) {
      if ((all || left > 0) && *it == element) {
        ++removed;
        if (!all) --left;
        continue;
      }
      if (out != it) *out = std::move(*it);
      ++out;
    }
    elements_.erase(out, elements_.end());
    return removed;
  }
  // From the tail: compact the kept elements backwards.
  auto out = elements_.rbegin();
  for (auto it = elements_.rbegin(); it != elements_.rend(); ++it) {
    if (left > 0 && *it == element) {
      ++removed;
      --left;
      continue;
    }
    if (out != it) *out = std::move(*it);
    ++out;
  }
  elements_.erase(elements_.begin(), out.base());
  return removed;
}

void ListObject::Trim(std::size_t start, std::size_t stop) {
  if (start > stop || start >= elements_.size()) {
    elements_.clear();
    return;
  }
  stop = std::min(stop, elements_.size() - 1);
  elements_.erase(elements_.begin() + static_cast<std::ptrdiff_t>(stop) + 1, elements_.end());
  elements_.erase(elements_.begin(), elements_.begin() + static_cast<std::ptrdiff_t>(start));
}

std::size_t ListObject::HeapBytes() const {
  // libstdc++ allocates a deque's elements in 512-byte blocks.
  constexpr std::size_t kBlock = 512;
  const std::size_t per_block = std::max<std::size_t>(1, kBlock / sizeof(std::string));
  const std::size_t blocks = elements_.size() / per_block + 1;
  std::size_t bytes = blocks * (kBlock + sizeof(void*));
  for (const std::string& e : elements_) bytes += StringHeapBytes(e);
  return bytes;
}

}  // namespace kvstore

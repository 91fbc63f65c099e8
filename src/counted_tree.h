// Copyright (c) the kvstore developers.
//
// CountedTree: an ordered set of small trivially copyable entries that also
// answers "how many entries come before this one" (rank) and "which entry
// has rank k" (at) in O(log n), which a B-tree without subtree counts cannot.
//
// Layout: a vector of chunks, each a sorted array of up to kChunk entries
// (the chunks in order, so the whole is one sorted sequence), and a Fenwick
// tree over the chunks' sizes. A lookup binary-searches the chunks by their
// last entry, then the chunk; rank() adds the sizes of the chunks before the
// entry's (O(log m) for m chunks); at() descends the Fenwick tree. Inserting
// into a full chunk splits it in halves, except at the very end, where a new
// chunk is started (entries arriving in order fill chunks completely, in O(1)
// amortised); but a full chunk with a neighbour an eighth empty first moves
// entries into it (as a B*-tree), which leaves chunks about 80 % full under
// random inserts rather than 70 %. A chunk that falls below a quarter full
// is merged with a neighbour, or takes entries from it. A split or merge
// rebuilds the Fenwick tree and moves the chunk vector's tail, O(m), and is
// rare next to inserts and erases (a chunk fresh from a split is half full).
// The only chunk of a small tree starts small and doubles up to kChunk
// entries. Any insert or erase invalidates every iterator.

#ifndef KVSTORE_SRC_COUNTED_TREE_H_
#define KVSTORE_SRC_COUNTED_TREE_H_

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace kvstore {

// A test hook: on this thread, the Fenwick nodes that rank() and at() have
// read and the chunk boundaries that iterators have crossed, in every
// CountedTree. Both are O(log n) per rank() and at(); a walk over the
// entries crosses n / (entries per chunk) boundaries.
inline std::size_t& CountedTreeStepsForTest() {
  static thread_local std::size_t steps = 0;
  return steps;
}

template <typename T, typename Compare, typename Alloc = std::allocator<T>,
          std::size_t kChunk = 256>
class CountedTree {
  static_assert(std::is_trivially_copyable_v<T>, "entries are moved with memmove");
  static_assert(kChunk >= 4 && std::has_single_bit(kChunk), "kChunk: a power of two >= 4");

  // One sorted array of entries.
  struct Chunk {
    T* data;
    std::uint32_t size;
    std::uint32_t cap;
  };
  using Traits = std::allocator_traits<Alloc>;
  using ChunkAlloc = typename Traits::template rebind_alloc<Chunk>;
  using CountAlloc = typename Traits::template rebind_alloc<std::size_t>;
  // The first chunk's capacity; it doubles up to kChunk.
  static constexpr std::uint32_t kFirstCap = 8 < kChunk ? 8 : kChunk;
  // A full chunk moves entries to a neighbour with at least this much room
  // (half of the room) rather than split.
  static constexpr std::uint32_t kShareRoom = kChunk / 8 > 2 ? kChunk / 8 : 2;

 public:
  // A bidirectional iterator over the entries in order (entries are
  // constant: changing one's order means erasing and inserting it).
  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return tree_->chunks_[chunk_].data[pos_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++pos_ == tree_->chunks_[chunk_].size) {
        ++chunk_;
        pos_ = 0;
        ++CountedTreeStepsForTest();
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    const_iterator& operator--() {
      if (pos_ == 0) {
        --chunk_;
        pos_ = tree_->chunks_[chunk_].size;
        ++CountedTreeStepsForTest();
      }
      --pos_;
      return *this;
    }
    const_iterator operator--(int) {
      const_iterator old = *this;
      --*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.pos_ == b.pos_;
    }

   private:
    friend class CountedTree;
    const_iterator(const CountedTree* tree, std::size_t chunk, std::size_t pos)
        : tree_(tree), chunk_(chunk), pos_(pos) {}

    const CountedTree* tree_ = nullptr;
    std::size_t chunk_ = 0;  // chunks_.size() at end()
    std::size_t pos_ = 0;
  };
  using iterator = const_iterator;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;
  using value_type = T;
  using size_type = std::size_t;

  CountedTree() = default;
  CountedTree(const CountedTree&) = delete;
  CountedTree& operator=(const CountedTree&) = delete;
  ~CountedTree() { clear(); }

  // The number of entries.
  std::size_t size() const { return size_; }
  // True when there are no entries.
  bool empty() const { return size_ == 0; }

  const_iterator begin() const { return {this, 0, 0}; }
  const_iterator end() const { return {this, chunks_.size(), 0}; }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }

  // The first entry not ordered before key (key: a T, or anything Compare
  // orders against T both ways), or end().
  template <typename K>
  const_iterator lower_bound(const K& key) const {
    const std::size_t ci = FirstChunkNotBefore(key);
    if (ci == chunks_.size()) return end();
    const Chunk& c = chunks_[ci];
    const T* p = std::lower_bound(c.data, c.data + c.size, key, comp_);
    return {this, ci, static_cast<std::size_t>(p - c.data)};
  }

  // The entry equivalent to key, or end().
  template <typename K>
  const_iterator find(const K& key) const {
    const_iterator it = lower_bound(key);
    if (it != end() && comp_(key, *it)) return end();
    return it;
  }

  // Inserts v unless an equivalent entry is present; the entry's position
  // and whether v was inserted.
  std::pair<const_iterator, bool> insert(const T& v) {
    if (chunks_.empty()) return {InsertAt(0, 0, v), true};
    std::size_t ci = FirstChunkNotBefore(v);
    if (ci == chunks_.size()) ci = chunks_.size() - 1;  // after every entry
    const Chunk& c = chunks_[ci];
    const std::size_t pos =
        static_cast<std::size_t>(std::lower_bound(c.data, c.data + c.size, v, comp_) - c.data);
    if (pos < c.size && !comp_(v, c.data[pos])) return {const_iterator(this, ci, pos), false};
    return {InsertAt(ci, pos, v), true};
  }

  // As insert(v). With hint == end() and v after every entry, appends in
  // O(1) amortised without a search; any other hint is ignored.
  const_iterator insert(const_iterator hint, const T& v) {
    if (hint == end() && !chunks_.empty()) {
      const Chunk& last = chunks_.back();
      if (comp_(last.data[last.size - 1], v)) return InsertAt(chunks_.size() - 1, last.size, v);
    }
    return insert(v).first;
  }

  // Removes the entry at it. REQUIRES: it is a valid, dereferenceable
  // iterator of this tree.
  void erase(const_iterator it) {
    const std::size_t ci = it.chunk_;
    Chunk& c = chunks_[ci];
    assert(ci < chunks_.size() && it.pos_ < c.size);
    std::memmove(c.data + it.pos_, c.data + it.pos_ + 1, (c.size - it.pos_ - 1) * sizeof(T));
    --c.size;
    --size_;
    if (c.size == 0) {
      FreeChunk(c);
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(ci));
      RebuildCounts();
    } else if (chunks_.size() > 1 && c.size < kChunk / 4) {
      Rebalance(ci + 1 < chunks_.size() ? ci : ci - 1);
      RebuildCounts();
    } else {
      AddCount(ci, -1);
    }
  }

  // Removes every entry and frees every chunk.
  void clear() {
    for (Chunk& c : chunks_) FreeChunk(c);
    chunks_.clear();
    chunks_.shrink_to_fit();
    counts_.clear();
    counts_.shrink_to_fit();
    size_ = 0;
  }

  // The number of entries before it (size() for end()), in O(log n).
  std::size_t rank(const_iterator it) const { return EntriesBefore(it.chunk_) + it.pos_; }

  // The entry with k entries before it, in O(log n). REQUIRES: k < size().
  const_iterator at(std::size_t k) const {
    assert(k < size_);
    // The last chunk whose preceding entries number at most k: the Fenwick
    // descent from the highest power of two.
    const std::size_t m = chunks_.size();
    std::size_t ci = 0;
    std::size_t& steps = CountedTreeStepsForTest();
    for (std::size_t step = std::bit_floor(m); step > 0; step >>= 1) {
      ++steps;
      if (ci + step <= m && counts_[ci + step] <= k) {
        ci += step;
        k -= counts_[ci];
      }
    }
    return {this, ci, k};
  }

  // The heap bytes held: the chunks' arrays at their capacity, the chunk
  // vector and the Fenwick tree (not counting the allocator's rounding).
  std::size_t allocated_bytes() const {
    std::size_t bytes =
        chunks_.capacity() * sizeof(Chunk) + counts_.capacity() * sizeof(std::size_t);
    for (const Chunk& c : chunks_) bytes += c.cap * sizeof(T);
    return bytes;
  }

 private:
  // The first chunk whose last entry is not ordered before key, or
  // chunks_.size().
  template <typename K>
  std::size_t FirstChunkNotBefore(const K& key) const {
    std::size_t lo = 0;
    std::size_t hi = chunks_.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      const Chunk& c = chunks_[mid];
      if (comp_(c.data[c.size - 1], key)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // Inserts v at position pos of chunk ci (ci == 0 with no chunks: the
  // first), splitting or growing a full chunk.
  const_iterator InsertAt(std::size_t ci, std::size_t pos, const T& v) {
    bool rebuild = false;
    if (chunks_.empty()) {
      NewChunkAt(0, kFirstCap);
      rebuild = true;
    } else if (chunks_[ci].size == chunks_[ci].cap) {
      if (chunks_[ci].cap < kChunk) {
        Grow(chunks_[ci], std::min<std::size_t>(std::size_t{chunks_[ci].cap} * 2, kChunk));
      } else if (pos == chunks_[ci].size && ci + 1 == chunks_.size()) {
        // After every entry: start a new chunk and keep this one full.
        NewChunkAt(ci + 1, kChunk);
        ++ci;
        pos = 0;
        rebuild = true;
      } else if (ci + 1 < chunks_.size() && chunks_[ci + 1].size + kShareRoom <= kChunk) {
        // Move this chunk's tail to the front of the next one.
        Chunk& left = chunks_[ci];
        Chunk& right = chunks_[ci + 1];
        const std::uint32_t n = (kChunk - right.size) / 2;
        std::memmove(right.data + n, right.data, right.size * sizeof(T));
        std::memcpy(right.data, left.data + left.size - n, n * sizeof(T));
        left.size -= n;
        right.size += n;
        AddCount(ci, -static_cast<std::ptrdiff_t>(n));
        AddCount(ci + 1, n);
        if (pos > left.size) {
          pos -= left.size;
          ++ci;
        }
      } else if (ci > 0 && chunks_[ci - 1].size + kShareRoom <= kChunk) {
        // Move this chunk's head to the end of the previous one.
        Chunk& left = chunks_[ci - 1];
        Chunk& right = chunks_[ci];
        const std::uint32_t n = (kChunk - left.size) / 2;
        std::memcpy(left.data + left.size, right.data, n * sizeof(T));
        std::memmove(right.data, right.data + n, (right.size - n) * sizeof(T));
        left.size += n;
        right.size -= n;
        AddCount(ci - 1, n);
        AddCount(ci, -static_cast<std::ptrdiff_t>(n));
        if (pos <= n) {
          pos += left.size - n;
          --ci;
        } else {
          pos -= n;
        }
      } else {
        NewChunkAt(ci + 1, kChunk);
        Chunk& left = chunks_[ci];
        Chunk& right = chunks_[ci + 1];
        const std::uint32_t half = left.size / 2;
        right.size = left.size - half;
        std::memcpy(right.data, left.data + half, right.size * sizeof(T));
        left.size = half;
        if (pos > half) {
          ++ci;
          pos -= half;
        }
        rebuild = true;
      }
    }
    Chunk& c = chunks_[ci];
    std::memmove(c.data + pos + 1, c.data + pos, (c.size - pos) * sizeof(T));
    c.data[pos] = v;
    ++c.size;
    ++size_;
    if (rebuild) {
      RebuildCounts();
    } else {
      AddCount(ci, 1);
    }
    return {this, ci, pos};
  }

  // Chunks l and l + 1, one of them under a quarter full: merged into l if
  // they fit in one chunk, else shared evenly.
  void Rebalance(std::size_t l) {
    Chunk& left = chunks_[l];
    Chunk& right = chunks_[l + 1];
    const std::size_t total = std::size_t{left.size} + right.size;
    if (total <= kChunk) {
      if (left.cap < total) Grow(left, kChunk);
      std::memcpy(left.data + left.size, right.data, right.size * sizeof(T));
      left.size = static_cast<std::uint32_t>(total);
      FreeChunk(right);
      chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(l + 1));
      return;
    }
    // More than one chunk's worth: both are at kChunk capacity (only a
    // lone chunk is ever smaller), and each ends at least half full.
    const std::uint32_t target = static_cast<std::uint32_t>(total / 2);
    if (left.size < target) {
      const std::uint32_t n = target - left.size;
      std::memcpy(left.data + left.size, right.data, n * sizeof(T));
      std::memmove(right.data, right.data + n, (right.size - n) * sizeof(T));
      left.size += n;
      right.size -= n;
    } else {
      const std::uint32_t n = left.size - target;
      std::memmove(right.data + n, right.data, right.size * sizeof(T));
      std::memcpy(right.data, left.data + target, n * sizeof(T));
      left.size -= n;
      right.size += n;
    }
  }

  void NewChunkAt(std::size_t ci, std::size_t cap) {
    Alloc alloc;
    T* data = Traits::allocate(alloc, cap);
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(ci),
                   Chunk{data, 0, static_cast<std::uint32_t>(cap)});
  }

  void Grow(Chunk& c, std::size_t cap) {
    Alloc alloc;
    T* data = Traits::allocate(alloc, cap);
    std::memcpy(data, c.data, c.size * sizeof(T));
    Traits::deallocate(alloc, c.data, c.cap);
    c.data = data;
    c.cap = static_cast<std::uint32_t>(cap);
  }

  void FreeChunk(Chunk& c) {
    Alloc alloc;
    Traits::deallocate(alloc, c.data, c.cap);
  }

  // counts_[i] (1-based) holds the sizes of chunks (i - lowbit(i), i].
  void RebuildCounts() {
    const std::size_t m = chunks_.size();
    counts_.assign(m + 1, 0);
    for (std::size_t i = 1; i <= m; ++i) {
      counts_[i] += chunks_[i - 1].size;
      const std::size_t parent = i + (i & (~i + 1));
      if (parent <= m) counts_[parent] += counts_[i];
    }
  }

  void AddCount(std::size_t ci, std::ptrdiff_t delta) {
    for (std::size_t i = ci + 1; i < counts_.size(); i += i & (~i + 1)) {
      counts_[i] = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(counts_[i]) + delta);
    }
  }

  // The entries in chunks [0, ci).
  std::size_t EntriesBefore(std::size_t ci) const {
    std::size_t sum = 0;
    std::size_t& steps = CountedTreeStepsForTest();
    for (std::size_t i = ci; i > 0; i &= i - 1) {
      ++steps;
      sum += counts_[i];
    }
    return sum;
  }

  [[no_unique_address]] Compare comp_;
  std::vector<Chunk, ChunkAlloc> chunks_;
  std::vector<std::size_t, CountAlloc> counts_;  // the Fenwick tree, 1-based
  std::size_t size_ = 0;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_COUNTED_TREE_H_
